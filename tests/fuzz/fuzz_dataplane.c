/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/dataplane: the fast-path frame classifier and the TSC -> NTP math. */
#include <string.h>

#include "fuzz.h"
#include "tw_dp_clock.h"
#include "tw_dp_parse.h"

static uint64_t owned[65536 / 64];

static const uint8_t V4[4] = { 198, 18, 0, 1 };
static const uint8_t V6[16] = { 0x20, 0x01, 0, 2, [15] = 1 };

static struct tw_dp_match match(uint16_t vlan)
{
	struct tw_dp_match m = { .vlan = vlan, .n_v4 = 1, .n_v6 = 1, .udp_owned = owned };

	memcpy(m.v4[0], V4, 4);
	memcpy(m.v6[0], V6, 16);
	owned[862 >> 6] |= 1ull << (862 & 63);
	owned[4500 >> 6] &= ~(1ull << (4500 & 63));
	return m;
}

/* Input: [config octet][frame...]; config bit 0 = VLAN 100 port, bits 1-4 = NIC flags. */
static void run_parse(const uint8_t *data, size_t len)
{
	struct tw_dp_match m;
	struct tw_dp_l34 l, l2;
	enum tw_dp_class c;
	unsigned flags;
	uint8_t *f;

	if (len < 1)
		return;
	m = match(data[0] & 1 ? 100 : 0);
	flags = (data[0] >> 1) & 0xf;
	len--;
	f = malloc(len ? len : 1); /* exact size: ASan sees any over-read */
	TW_FUZZ_ASSERT(f != NULL);
	memcpy(f, data + 1, len);
	c = tw_dp_parse(&m, f, (uint32_t)len, flags, &l);
	TW_FUZZ_ASSERT(c == TW_DP_CLS_OWNED || c == TW_DP_CLS_EXCEPTION || c == TW_DP_CLS_DROP);
	TW_FUZZ_ASSERT(tw_dp_parse(&m, f, (uint32_t)len, flags, &l2) == c);
	TW_FUZZ_ASSERT(memcmp(&l, &l2, sizeof(l)) == 0);
	TW_FUZZ_ASSERT(l.l2_len == 0 || l.l2_len == 14 || l.l2_len == 18);
	if (c == TW_DP_CLS_DROP)
		TW_FUZZ_ASSERT(l.drop < TW_DP_DROP__MAX);
	if (c != TW_DP_CLS_DROP)
		TW_FUZZ_ASSERT(l.l2_len <= len && l.vlan == m.vlan);
	if (c == TW_DP_CLS_OWNED) {
		TW_FUZZ_ASSERT(l.ipv == 4 || l.ipv == 6);
		TW_FUZZ_ASSERT(l.proto == 17 && l.udp_len >= 8);
		TW_FUZZ_ASSERT((size_t)l.l2_len + l.l3_len + l.udp_len <= len);
		TW_FUZZ_ASSERT(tw_dp_port_is_owned(owned, l.dport));
		TW_FUZZ_ASSERT(!(flags & TW_DP_PARSE_L4_CKSUM_BAD));
		if (!(flags & TW_DP_PARSE_L4_CKSUM_GOOD)) {
			const uint8_t *u = f + l.l2_len + l.l3_len;

			TW_FUZZ_ASSERT((l.ipv == 4 && u[6] == 0 && u[7] == 0) ||
				       tw_dp_udp_sum(f + l.l2_len, l.ipv, u, l.udp_len) == 0);
		}
		if (l.ipv == 4) {
			const uint8_t *s = f + l.l2_len + 12;

			TW_FUZZ_ASSERT(l.l3_len >= 20 && l.l3_len <= 60);
			TW_FUZZ_ASSERT(memcmp(f + l.l2_len + 16, V4, 4) == 0);
			/* a reply never goes to 0/8, 127/8, 224/4, 240/4 nor to us */
			TW_FUZZ_ASSERT(s[0] != 0 && s[0] != 127 && s[0] < 224 &&
				       memcmp(s, V4, 4) != 0);
			if (!(flags & TW_DP_PARSE_L3_CKSUM_GOOD))
				TW_FUZZ_ASSERT(tw_dp_ipv4_hdr_sum(f + l.l2_len, l.l3_len) == 0);
			TW_FUZZ_ASSERT(!(flags & TW_DP_PARSE_L3_CKSUM_BAD));
		} else {
			static const uint8_t zero[10];
			const uint8_t *s = f + l.l2_len + 8;

			TW_FUZZ_ASSERT(l.l3_len == 40);
			TW_FUZZ_ASSERT(memcmp(f + l.l2_len + 24, V6, 16) == 0);
			/* nor to ff00::/8, ::, ::1, ::ffff:0:0/96 */
			TW_FUZZ_ASSERT(s[0] != 0xff && memcmp(s, V6, 16) != 0);
			TW_FUZZ_ASSERT(memcmp(s, zero, 10) != 0 ||
				       (!(s[10] == 0xff && s[11] == 0xff) &&
					(s[10] | s[11] | s[12] | s[13] | s[14] | s[15]) != 0 &&
					!(s[10] == 0 && s[11] == 0 && s[12] == 0 && s[13] == 0 &&
					  s[14] == 0 && s[15] == 1)));
		}
	}
	free(f);
}

static void emit_frame(tw_fuzz_emit_fn emit, void *ctx, uint8_t cfg, bool v6,
		       uint16_t dport, bool tagged)
{
	uint8_t b[128] = { 0 };
	size_t o = 1, ip;

	b[0] = cfg;
	memset(b + o, 0xaa, 12);
	o += 12;
	if (tagged) {
		b[o++] = 0x81, b[o++] = 0x00, b[o++] = 0x00, b[o++] = 100;
	}
	b[o++] = v6 ? 0x86 : 0x08;
	b[o++] = v6 ? 0xdd : 0x00;
	ip = o;
	if (v6) {
		b[o] = 0x60, b[o + 5] = 8 + 20, b[o + 6] = 17, b[o + 7] = 64;
		memcpy(b + o + 8, V6, 16);
		b[o + 8 + 15] = 2; /* a unicast source that is not ours */
		memcpy(b + o + 24, V6, 16);
		o += 40;
	} else {
		uint16_t s;

		b[o] = 0x45, b[o + 3] = 20 + 8 + 20, b[o + 8] = 64, b[o + 9] = 17;
		memcpy(b + o + 12, V4, 4);
		b[o + 12] = 10;
		memcpy(b + o + 16, V4, 4);
		s = tw_dp_ipv4_hdr_sum(b + ip, 20);
		b[o + 10] = (uint8_t)(s >> 8), b[o + 11] = (uint8_t)s;
		o += 20;
	}
	b[o] = 0x9c, b[o + 1] = 0x40;
	b[o + 2] = (uint8_t)(dport >> 8), b[o + 3] = (uint8_t)dport;
	b[o + 5] = 8 + 20;
	{
		uint16_t s = tw_dp_udp_sum(b + ip, v6 ? 6 : 4, b + o, 8 + 20);

		b[o + 6] = (uint8_t)(s >> 8), b[o + 7] = (uint8_t)s;
	}
	o += 8 + 20;
	emit(ctx, b, o);
}

static void seeds_parse(tw_fuzz_emit_fn emit, void *ctx)
{
	static const uint8_t arp[1 + 42] = { 0, [13] = 0x08, [14] = 0x06 };

	emit_frame(emit, ctx, 0, false, 862, false);
	emit_frame(emit, ctx, 0, true, 862, false);
	emit_frame(emit, ctx, 1, false, 862, true);
	emit_frame(emit, ctx, 1, true, 862, true);
	emit_frame(emit, ctx, 0, false, 4500, false);
	emit_frame(emit, ctx, 2, false, 862, false);
	emit(ctx, arp, sizeof(arp));
}

/* Reference RFC 1071 sum, 16 bits at a time in network order. */
static uint16_t ref_sum(const uint8_t *ph, size_t phlen, const uint8_t *p, size_t len,
			uint32_t extra)
{
	uint64_t sum = extra;

	for (size_t i = 0; i + 1 < phlen; i += 2)
		sum += (uint32_t)ph[i] << 8 | ph[i + 1];
	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Input: [selector][40-octet IP header][UDP datagram...]: fast sums == reference. */
static void run_cksum(const uint8_t *data, size_t len)
{
	const uint8_t *ip = data + 1, *u = data + 41;
	unsigned ipv;
	size_t ulen;
	uint8_t *copy;

	if (len < 41)
		return;
	ipv = data[0] & 1 ? 6 : 4;
	ulen = len - 41;
	copy = malloc(ulen ? ulen : 1); /* exact size: ASan sees any over-read */
	TW_FUZZ_ASSERT(copy != NULL);
	memcpy(copy, u, ulen);
	TW_FUZZ_ASSERT(tw_dp_udp_sum(ip, ipv, copy, (uint32_t)ulen) ==
		       ref_sum(ipv == 4 ? ip + 12 : ip + 8, ipv == 4 ? 8 : 32, copy, ulen,
			       17 + (uint32_t)(ulen & 0xffff)) ||
		       ulen > 0xffff);
	TW_FUZZ_ASSERT(tw_dp_ipv4_hdr_sum(ip, (unsigned)(data[0] >> 1) % 41) ==
		       ref_sum(NULL, 0, ip, (data[0] >> 1) % 41, 0));
	free(copy);
}

static void seeds_cksum(tw_fuzz_emit_fn emit, void *ctx)
{
	uint8_t b[41 + 13] = { 0 };

	b[1] = 0x45;
	b[1 + 12] = 198, b[1 + 13] = 18, b[1 + 15] = 2;
	memcpy(b + 41, "\x9c\x40\x03\x5e\x00\x0d\x00\x00hello", 13);
	emit(ctx, b, sizeof(b));
	b[0] = 1;
	emit(ctx, b, sizeof(b) - 1);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Input: tsc0 | delta | hz (8 octets each, little-endian). */
static void run_clock(const uint8_t *data, size_t len)
{
	struct tw_dp_clock_anchor a;
	uint64_t t0, d, hz;
	unsigned __int128 exact;
	tw_ntp_t got;
	int rc;

	if (len < 24)
		return;
	t0 = le64(data);
	d = le64(data + 8);
	hz = le64(data + 16);
	rc = tw_dp_clock_anchor_set(&a, t0, 1700000000ull * 1000000000ull, hz);
	if (hz < 2) {
		TW_FUZZ_ASSERT(rc == -TW_PROTO_E_INVAL);
		return;
	}
	TW_FUZZ_ASSERT(rc == 0 && a.shift < 64);
	exact = ((unsigned __int128)d << 32) / hz; /* NTP units after d ticks */
	if (exact >= (unsigned __int128)1 << 62)
		return;
	got = tw_dp_clock_anchor_ntp(&a, t0 + d) - a.ntp; /* forward (t0 + d may wrap: fine) */
	if (t0 + d >= t0) {
		TW_FUZZ_ASSERT(got + 1 >= (uint64_t)exact && got <= (uint64_t)exact + 1);
		got = a.ntp - tw_dp_clock_anchor_ntp(&a, t0);
		TW_FUZZ_ASSERT(got == 0);
	}
	if (t0 >= d) {
		got = a.ntp - tw_dp_clock_anchor_ntp(&a, t0 - d);
		TW_FUZZ_ASSERT(got + 1 >= (uint64_t)exact && got <= (uint64_t)exact + 1);
	}
	TW_FUZZ_ASSERT(tw_dp_clock_errest_from_kernel((int)(t0 & 7) - 1, (int)hz,
						      (long)d, (long)t0, hz) != 0);
}

static void seeds_clock(tw_fuzz_emit_fn emit, void *ctx)
{
	static const uint64_t v[][3] = {
		{ 1000, 2600000000ull, 2600000000ull },
		{ 1ull << 40, 86400ull * 3000000000ull, 3000000000ull },
		{ 5, 3, 2 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t b[24];

		for (int k = 0; k < 3; k++)
			for (int j = 0; j < 8; j++)
				b[k * 8 + j] = (uint8_t)(v[i][k] >> (8 * j));
		emit(ctx, b, sizeof(b));
	}
}

TW_FUZZ_TARGETS(
	{ "dp_parse", run_parse, seeds_parse },
	{ "dp_clock", run_clock, seeds_clock },
	{ "dp_cksum", run_cksum, seeds_cksum },
);
