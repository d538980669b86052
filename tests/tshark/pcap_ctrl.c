/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcap_ctrl OUTDIR: writes OUTDIR/ctrl.pcap, two unauthenticated
 * TWAMP-Control conversations encoded by lib/proto (IPv4 on TCP 862, IPv6
 * on TCP 8862), one message per frame, and OUTDIR/ctrl.expect with the
 * values encoded, as tshark -T fields prints them (tests/tshark/check.py).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcap_write.h"
#include "tw_proto_ctrl.h"

struct out {
	FILE *pcap;
	FILE *exp;
	unsigned frame;   /* number of the frame last written (1-based) */
};

static void die(const char *what)
{
	fprintf(stderr, "pcap_ctrl: %s\n", what);
	exit(1);
}

static void send_msg(struct out *o, struct tw_pcap_flow *fl, const uint8_t *msg,
		     int len)
{
	if (len <= 0)
		die("encode failed");
	if (tw_pcap_write_frame(o->pcap, fl, msg, (size_t)len) != 0)
		die("cannot write frame");
	o->frame++;
}

__attribute__((format(printf, 3, 4)))
static void expect(struct out *o, const char *field, const char *fmt, ...)
{
	va_list ap;

	fprintf(o->exp, "%u\t%s\t", o->frame, field);
	va_start(ap, fmt);
	vfprintf(o->exp, fmt, ap);
	va_end(ap);
	fputc('\n', o->exp);
}

/* tshark prints FT_BYTES as lower-case hex without separators. */
static void expect_hex(struct out *o, const char *field, const uint8_t *p,
		       size_t n)
{
	char s[2 * 256 + 1];

	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	s[2 * n] = '\0';
	expect(o, field, "%s", s);
}

/*
 * tshark prints absolute times in the local zone ("Nov 14, 2023 22:13:21.
 * 000000000 UTC"); run.sh runs this program and tshark in one environment,
 * so localtime() here gives the same text. Days are >= 10: no padding.
 */
static void expect_time(struct out *o, const char *field, tw_ntp_t ts)
{
	int64_t sec;
	uint32_t nsec;
	time_t t;
	struct tm tm;
	char s[64], zone[16];

	tw_ntp_to_unix(ts, &sec, &nsec);
	t = (time_t)sec;
	if (localtime_r(&t, &tm) == NULL)
		die("localtime");
	strftime(s, sizeof(s), "%b %d, %Y %H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%Z", &tm);
	expect(o, field, "%s.%09u %s", s, nsec, zone);
}

static void fill(uint8_t *p, size_t n, uint8_t b)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(b * 7 + i * 13);
}

static void conversation(struct out *o, bool v6, uint16_t port, uint8_t tag)
{
	struct tw_pcap_flow c2s = v6 ?
		tw_pcap_flow6("2001:db8::1", 40000, "2001:db8::2", port, true) :
		tw_pcap_flow4("192.0.2.1", 40000, "198.51.100.2", port, true);
	struct tw_pcap_flow s2c = v6 ?
		tw_pcap_flow6("2001:db8::2", port, "2001:db8::1", 40000, true) :
		tw_pcap_flow4("198.51.100.2", port, "192.0.2.1", 40000, true);
	uint8_t buf[256];
	const uint32_t modes = TW_MODE_UNAUTH | TW_MODE_AUTH | TW_MODE_ENCRYPTED;

	/* Server Greeting */
	{
		struct tw_ctrl_greeting m = { .modes = modes, .count = 1024u << tag };

		fill(m.challenge, 16, tag);
		fill(m.salt, 16, (uint8_t)(tag + 1));
		send_msg(o, &s2c, buf, tw_proto_ctrl_greeting_encode(&m, buf, sizeof(buf)));
		expect(o, "twamp.control.modes", "%u", m.modes);
		expect_hex(o, "twamp.control.challenge", m.challenge, 16);
		expect_hex(o, "twamp.control.salt", m.salt, 16);
		expect(o, "twamp.control.count", "%u", m.count);
	}
	/* Set-Up-Response: unauthenticated, KeyID/Token/Client-IV unused */
	{
		struct tw_ctrl_setup_response m = { .mode = TW_MODE_UNAUTH };

		send_msg(o, &c2s, buf, tw_proto_ctrl_setup_response_encode(&m, buf, sizeof(buf)));
		expect(o, "twamp.control.mode", "%u", m.mode);
	}
	/* Server-Start */
	{
		struct tw_ctrl_server_start m = {
			.accept = TW_ACCEPT_OK,
			.start_time = tw_ntp_from_unix(1700000000u + tag, 0),
		};

		fill(m.server_iv, 16, (uint8_t)(tag + 2));
		send_msg(o, &s2c, buf, tw_proto_ctrl_server_start_encode(&m, buf, sizeof(buf)));
		expect(o, "twamp.control.accept", "%u", m.accept);
		expect_hex(o, "twamp.control.iv", m.server_iv, 16);
		/* RFC 4656 §3.1: when the server started; tshark's name for it */
		expect_time(o, "twamp.control.server_uptime", m.start_time);
	}
	/* Request-TW-Session */
	{
		struct tw_ctrl_request m = {
			.ipvn = v6 ? 6 : 4,
			.sender_port = (uint16_t)(20000 + tag),
			.receiver_port = (uint16_t)(30000 + tag),
			.padding_length = 27u + tag,
			.start_time = tw_ntp_from_unix(1700000010u, 0),
			.timeout = (uint64_t)(2 + tag) << 32,
			.type_p = tw_proto_ctrl_typep_dscp(46), /* EF */
		};

		memcpy(m.sender_addr, c2s.src, v6 ? 16 : 4);
		memcpy(m.receiver_addr, c2s.dst, v6 ? 16 : 4);
		send_msg(o, &c2s, buf, tw_proto_twamp_request_encode(&m, TW_MODE_UNAUTH,
								     buf, sizeof(buf)));
		expect(o, "twamp.control.command", "%u", TW_TWAMP_CMD_REQUEST_TW_SESSION);
		expect(o, "twamp.control.ipvn", "%u", m.ipvn);
		expect(o, "twamp.control.conf_sender", "0");
		expect(o, "twamp.control.conf_receiver", "0");
		expect(o, "twamp.control.number_of_schedule_slots", "0");
		expect(o, "twamp.control.number_of_packets", "0");
		expect(o, "twamp.control.sender_port", "%u", m.sender_port);
		expect(o, "twamp.control.receiver_port", "%u", m.receiver_port);
		if (v6) {
			expect(o, "twamp.control.sender_ipv6", "2001:db8::1");
			expect(o, "twamp.control.receiver_ipv6", "2001:db8::2");
		} else {
			expect(o, "twamp.control.sender_ipv4", "192.0.2.1");
			expect(o, "twamp.control.receiver_ipv4", "198.51.100.2");
		}
		expect_hex(o, "twamp.control.session_id", m.sid, 16);
		expect(o, "twamp.control.padding_length", "%u", m.padding_length);
		expect_time(o, "twamp.control.start_time", m.start_time);
		/* a relative time: whole seconds here */
		expect(o, "twamp.control.timeout", "%u.000000000",
		       (unsigned)(m.timeout >> 32));
		expect(o, "twamp.control.type-p", "0x%08x", m.type_p);
	}
	/* Accept-Session */
	{
		struct tw_ctrl_accept_session m = {
			.accept = TW_ACCEPT_OK, .port = (uint16_t)(30000 + tag),
		};

		fill(m.sid, 16, (uint8_t)(tag + 3));
		send_msg(o, &s2c, buf, tw_proto_ctrl_accept_session_encode(&m, TW_MODE_UNAUTH,
									   buf, sizeof(buf)));
		expect(o, "twamp.control.accept", "%u", m.accept);
		expect(o, "twamp.control.receiver_port", "%u", m.port);
		expect_hex(o, "twamp.control.session_id", m.sid, 16);
	}
	/* Start-Sessions, Start-Ack */
	{
		struct tw_ctrl_start_sessions ss = { .hmac = { 0 } };
		struct tw_ctrl_start_ack sa = { .accept = TW_ACCEPT_OK };

		send_msg(o, &c2s, buf, tw_proto_ctrl_start_sessions_encode(&ss, buf, sizeof(buf)));
		expect(o, "twamp.control.command", "%u", TW_TWAMP_CMD_START_SESSIONS);
		send_msg(o, &s2c, buf, tw_proto_ctrl_start_ack_encode(&sa, buf, sizeof(buf)));
		expect(o, "twamp.control.accept", "%u", sa.accept);
	}
	/* Stop-Sessions */
	{
		struct tw_ctrl_stop_sessions m = { .accept = TW_ACCEPT_OK, .num_sessions = 1 };

		send_msg(o, &c2s, buf, tw_proto_twamp_stop_sessions_encode(&m, buf, sizeof(buf)));
		expect(o, "twamp.control.command", "%u", TW_TWAMP_CMD_STOP_SESSIONS);
		expect(o, "twamp.control.accept", "%u", m.accept);
		expect(o, "twamp.control.numsessions", "%u", m.num_sessions);
	}
}

int main(int argc, char **argv)
{
	char path[4096];
	struct out o = { 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: pcap_ctrl OUTDIR\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/ctrl.pcap", argv[1]);
	o.pcap = tw_pcap_open(path);
	if (o.pcap == NULL)
		die("cannot open the pcap");
	snprintf(path, sizeof(path), "%s/ctrl.expect", argv[1]);
	o.exp = fopen(path, "w");
	if (o.exp == NULL)
		die("cannot open the expect file");
	fprintf(o.exp, "decode-as\ttcp.port==8862,twamp.control\n");
	conversation(&o, false, 862, 1);
	conversation(&o, true, 8862, 2);
	if (fclose(o.pcap) != 0 || fclose(o.exp) != 0)
		die("cannot close the output");
	return 0;
}
