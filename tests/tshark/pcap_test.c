/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcap_test OUTDIR: write OUTDIR/test.pcap with unauthenticated TWAMP-Test
 * sender and reflector packets encoded by lib/proto (IPv4 and IPv6), and
 * OUTDIR/test.expect with the values encoded, as `tshark -T fields` prints
 * them (tests/tshark/check.py compares).
 *
 * tshark's TWAMP-Test dissector guesses the direction from the length: 27
 * or more octets after the 14-octet sender header make it a reflector
 * packet. So the sender packets here carry at most 26 octets of padding
 * (RFC 5357 §4.1.2 recommends 27 to equalise sizes; tshark would then
 * misdecode them). Reflector packets come from the data-plane path,
 * tw_proto_test_reflect_inplace(), fed with the sender packets.
 *
 * Timestamps are chosen with fractions that are multiples of 2^-9 s, so
 * tshark's nanosecond rendering is exact, and are printed in UTC: run
 * tshark with TZ=UTC (check.py's environment) for the dates to match.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcap_write.h"
#include "tw_proto_test.h"

#define TWAMP_PORT 862

struct out {
	FILE *pcap;
	FILE *expect;
	unsigned frame;
};

/* 2024-01-01T00:00:00Z */
#define BASE_UNIX 1704067200u

/* NTP timestamp with a fraction of k/512 s: exact in nanoseconds. */
static tw_ntp_t ts_at(uint32_t sec, uint32_t k512)
{
	return (uint64_t)(BASE_UNIX + TW_NTP_UNIX_OFFSET + sec) << 32 |
	       (uint64_t)(k512 & 511) << 23;
}

/* As tshark prints an absolute time in UTC: "Jan  1, 2024 00:00:07.001953125 UTC". */
static void fmt_ts(char *buf, size_t cap, tw_ntp_t ts)
{
	time_t t = (time_t)((ts >> 32) - TW_NTP_UNIX_OFFSET);
	uint64_t ns = ((ts & 0xffffffffu) * 1000000000ull) >> 32;
	struct tm tm;
	char date[64];

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%b %e, %Y %H:%M:%S", &tm);
	snprintf(buf, cap, "%s.%09llu UTC", date, (unsigned long long)ns);
}

static void expect(struct out *o, const char *field, const char *value)
{
	fprintf(o->expect, "%u\t%s\t%s\n", o->frame, field, value);
}

static void expect_u(struct out *o, const char *field, unsigned long v)
{
	char b[32];

	snprintf(b, sizeof(b), "%lu", v);
	expect(o, field, b);
}

static void expect_ts(struct out *o, const char *field, tw_ntp_t ts)
{
	char b[80];

	fmt_ts(b, sizeof(b), ts);
	expect(o, field, b);
}

static void expect_hex(struct out *o, const char *field, const uint8_t *p,
		       size_t n)
{
	char b[2 * 256 + 1];

	for (size_t i = 0; i < n && i < 256; i++)
		snprintf(b + 2 * i, 3, "%02x", p[i]);
	b[2 * (n < 256 ? n : 256)] = '\0';
	expect(o, field, b);
}

/*
 * tshark shares the S/Z/Scale/Multiplier sub-fields between Error Estimate
 * and Sender Error Estimate: in a reflector packet each prints two values,
 * "own,sender".
 */
static void expect_errest(struct out *o, uint16_t raw, const uint16_t *sender)
{
	struct tw_errest e, se = { 0 };
	char b[4][32];

	tw_errest_decode(raw, &e);
	if (sender != NULL)
		tw_errest_decode(*sender, &se);
	snprintf(b[0], sizeof(b[0]), "%d", e.synced);
	snprintf(b[1], sizeof(b[1]), "%d", e.ptp);
	snprintf(b[2], sizeof(b[2]), "%u", e.scale);
	snprintf(b[3], sizeof(b[3]), "%u", e.multiplier);
	if (sender != NULL) {
		snprintf(b[0] + strlen(b[0]), sizeof(b[0]) - strlen(b[0]), ",%d",
			 se.synced);
		snprintf(b[1] + strlen(b[1]), sizeof(b[1]) - strlen(b[1]), ",%d",
			 se.ptp);
		snprintf(b[2] + strlen(b[2]), sizeof(b[2]) - strlen(b[2]), ",%u",
			 se.scale);
		snprintf(b[3] + strlen(b[3]), sizeof(b[3]) - strlen(b[3]), ",%u",
			 se.multiplier);
	}
	expect_u(o, "twamp.test.error_estimate", raw);
	expect(o, "twamp.test.error_estimate.s", b[0]);
	expect(o, "twamp.test.error_estimate.z", b[1]);
	expect(o, "twamp.test.error_estimate.scale", b[2]);
	expect(o, "twamp.test.error_estimate.multiplier", b[3]);
}

static int write_frame(struct out *o, struct tw_pcap_flow *fl,
		       const uint8_t *p, size_t n)
{
	if (tw_pcap_write_frame(o->pcap, fl, p, n) != 0)
		return -1;
	o->frame++;
	return 0;
}

/*
 * One exchange: the sender packet (seq, ts, errest, pad_len octets of
 * padding), arriving with TTL @p ttl, and the reflector's reply.
 */
static int exchange(struct out *o, struct tw_pcap_flow *fwd,
		    struct tw_pcap_flow *rev, uint32_t seq, uint32_t refl_seq,
		    uint32_t sec, uint16_t errest, uint32_t pad_len,
		    uint8_t ttl)
{
	static const struct tw_errest rerr = { .synced = true, .scale = 2,
					       .multiplier = 3 };
	struct tw_test_layout l;
	struct tw_test_sender s = { .seq = seq, .ts = ts_at(sec, seq * 37 + 1),
				    .errest = errest, .pad_len = pad_len };
	struct tw_test_reflect_info ri = {
		.seq = refl_seq, .rx_ts = ts_at(sec, seq * 37 + 100),
		.errest = tw_errest_encode(&rerr), .ttl = ttl,
	};
	uint8_t pad[26], buf[128];
	tw_ntp_t tx_ts = ts_at(sec, seq * 37 + 101);
	int n, r;

	tw_proto_test_layout_init(&l, TW_TEST_UNAUTH, false, false, 0);
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = (uint8_t)(0xa0 + seq + i);
	s.pad = pad;
	n = tw_proto_test_sender_encode(&l, &s, buf, sizeof(buf));
	if (n < 0 || pad_len > 26)
		return -1;
	fwd->ttl = ttl;
	if (write_frame(o, fwd, buf, (size_t)n) != 0)
		return -1;
	expect_u(o, "twamp.test.seq_number", seq);
	expect_ts(o, "twamp.test.timestamp", s.ts);
	expect_errest(o, errest, NULL);
	if (pad_len > 0)
		expect_hex(o, "twamp.test.padding", pad, pad_len);

	r = tw_proto_test_reflect_inplace(&l, buf, (size_t)n, sizeof(buf), &ri);
	if (r < 0)
		return -1;
	tw_proto_test_set_ts(&l, buf, tx_ts);
	rev->ttl = 255;
	if (write_frame(o, rev, buf, (size_t)r) != 0)
		return -1;
	expect_u(o, "twamp.test.seq_number", refl_seq);
	expect_ts(o, "twamp.test.timestamp", tx_ts);
	expect_errest(o, ri.errest, &errest);
	expect_ts(o, "twamp.test.receive_timestamp", ri.rx_ts);
	expect_u(o, "twamp.test.sender_seq_number", seq);
	expect_ts(o, "twamp.test.sender_timestamp", s.ts);
	expect_u(o, "twamp.test.sender_error_estimate", errest);
	expect_u(o, "twamp.test.sender_ttl", ttl);
	if (r > 41)
		expect_hex(o, "twamp.test.padding", buf + 41, (size_t)r - 41);
	return 0;
}

/*
 * A reply to a sender packet that is not in the capture (a Symmetrical
 * Size sender would be misread by tshark): shows the reflector keeping
 * the sender's padding minus its highest-numbered octets.
 */
static int lone_reply(struct out *o, struct tw_pcap_flow *rev,
		      uint32_t refl_seq, uint32_t sec, size_t sender_pad)
{
	struct tw_test_layout l;
	struct tw_test_sender s = { .seq = 1000 + refl_seq, .ts = ts_at(sec, 5),
				    .errest = 0x0001, .pad_len = (uint32_t)sender_pad };
	struct tw_test_reflect_info ri = { .seq = refl_seq, .rx_ts = ts_at(sec, 6),
					   .errest = 0x8001, .ttl = 64 };
	uint8_t pad[128], buf[256];
	int n, r;

	tw_proto_test_layout_init(&l, TW_TEST_UNAUTH, false, false, 0);
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = (uint8_t)i;
	s.pad = pad;
	n = tw_proto_test_sender_encode(&l, &s, buf, sizeof(buf));
	if (n < 0)
		return -1;
	r = tw_proto_test_reflect_inplace(&l, buf, (size_t)n, sizeof(buf), &ri);
	if (r < 0)
		return -1;
	tw_proto_test_set_ts(&l, buf, ts_at(sec, 7));
	rev->ttl = 255;
	if (write_frame(o, rev, buf, (size_t)r) != 0)
		return -1;
	expect_u(o, "twamp.test.seq_number", refl_seq);
	expect_ts(o, "twamp.test.timestamp", ts_at(sec, 7));
	expect_errest(o, ri.errest, &s.errest);
	expect_ts(o, "twamp.test.receive_timestamp", ri.rx_ts);
	expect_u(o, "twamp.test.sender_seq_number", s.seq);
	expect_ts(o, "twamp.test.sender_timestamp", s.ts);
	expect_u(o, "twamp.test.sender_error_estimate", 1);
	expect_u(o, "twamp.test.sender_ttl", 64);
	expect_hex(o, "twamp.test.padding", pad, (size_t)r - 41);
	return 0;
}

int main(int argc, char **argv)
{
	struct out o = { 0 };
	struct tw_pcap_flow f4 = tw_pcap_flow4("192.0.2.1", 50001, "192.0.2.2",
					       TWAMP_PORT, false);
	struct tw_pcap_flow r4 = tw_pcap_flow4("192.0.2.2", TWAMP_PORT,
					       "192.0.2.1", 50001, false);
	struct tw_pcap_flow f6 = tw_pcap_flow6("2001:db8::1", 50002,
					       "2001:db8::2", TWAMP_PORT, false);
	struct tw_pcap_flow r6 = tw_pcap_flow6("2001:db8::2", TWAMP_PORT,
					       "2001:db8::1", 50002, false);
	char path[4096];
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/test.pcap", argv[1]);
	o.pcap = tw_pcap_open(path);
	snprintf(path, sizeof(path), "%s/test.expect", argv[1]);
	o.expect = fopen(path, "w");
	if (o.pcap == NULL || o.expect == NULL) {
		fprintf(stderr, "pcap_test: cannot write in %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	fprintf(o.expect, "decode-as\tudp.port==%u,twamp.test\n", TWAMP_PORT);
	/* IPv4: three exchanges, growing padding (0, 9, 26), TTLs 255/253/61 */
	rc |= exchange(&o, &f4, &r4, 0, 0, 1, 0x8101, 0, 255);
	rc |= exchange(&o, &f4, &r4, 1, 1, 2, 0x0a20, 9, 253);
	rc |= exchange(&o, &f4, &r4, 2, 2, 3, 0xbfff, 26, 61);
	/* IPv6: sequence numbers far apart, unsynchronised clock */
	rc |= exchange(&o, &f6, &r6, 41, 0, 4, 0x0001, 4, 64);
	rc |= exchange(&o, &f6, &r6, 4000000000u, 1, 5, 0x3fff, 20, 1);
	/* replies carrying reflected padding */
	rc |= lone_reply(&o, &r4, 3, 6, 60);
	rc |= lone_reply(&o, &r6, 2, 7, 100);
	if (fclose(o.pcap) != 0 || fclose(o.expect) != 0)
		rc = -1;
	if (rc != 0) {
		fprintf(stderr, "pcap_test: encoding or writing failed\n");
		return 1;
	}
	return 0;
}
