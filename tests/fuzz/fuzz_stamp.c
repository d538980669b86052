/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer targets for STAMP: base packets, the TLV iterator, each typed
 * TLV decoder, HMAC TLV placement and the reflector's TLV processing.
 * For base packets and reflector processing the first input octet picks
 * the mode (bit 0: authenticated).
 */

#include <string.h>

#include "fuzz.h"
#include "tw_proto_stamp.h"

static enum tw_stamp_mode mode_of(uint8_t b)
{
	return (b & 1) ? TW_STAMP_AUTH : TW_STAMP_UNAUTH;
}

static void run_sender(const uint8_t *data, size_t len)
{
	struct tw_stamp_sender a, b;
	uint8_t canon[TW_STAMP_BASE_AUTH], again[TW_STAMP_BASE_AUTH];
	enum tw_stamp_mode m;
	int n;

	if (len < 1)
		return;
	m = mode_of(data[0]);
	n = tw_proto_stamp_sender_decode(m, data + 1, len - 1, &a);
	if (n < 0) {
		TW_FUZZ_ASSERT(n == -TW_PROTO_E_TRUNCATED);
		return;
	}
	TW_FUZZ_ASSERT((size_t)n <= len - 1 && (size_t)n <= tw_proto_stamp_base_len(m));
	TW_FUZZ_ASSERT(tw_proto_stamp_sender_encode(m, &a, canon, sizeof(canon)) ==
		       (int)tw_proto_stamp_base_len(m));
	TW_FUZZ_ASSERT(memcmp(canon, data + 1, 4) == 0);
	TW_FUZZ_ASSERT(tw_proto_stamp_sender_decode(m, canon, sizeof(canon), &b) ==
		       (int)tw_proto_stamp_base_len(m));
	TW_FUZZ_ASSERT(b.seq == a.seq && b.ts == a.ts && b.errest == a.errest &&
		       b.ssid == a.ssid && memcmp(b.hmac, a.hmac, 16) == 0);
	tw_proto_stamp_sender_encode(m, &b, again, sizeof(again));
	TW_FUZZ_ASSERT(memcmp(canon, again, tw_proto_stamp_base_len(m)) == 0);
}

static void run_reflector(const uint8_t *data, size_t len)
{
	struct tw_stamp_reflector a, b;
	uint8_t canon[TW_STAMP_BASE_AUTH], again[TW_STAMP_BASE_AUTH];
	enum tw_stamp_mode m;
	int n;

	if (len < 1)
		return;
	m = mode_of(data[0]);
	n = tw_proto_stamp_reflector_decode(m, data + 1, len - 1, &a);
	if (n < 0)
		return;
	TW_FUZZ_ASSERT((size_t)n <= len - 1 && (size_t)n <= tw_proto_stamp_base_len(m));
	tw_proto_stamp_reflector_encode(m, &a, canon, sizeof(canon));
	TW_FUZZ_ASSERT(tw_proto_stamp_reflector_decode(m, canon, sizeof(canon), &b) ==
		       (int)tw_proto_stamp_base_len(m));
	tw_proto_stamp_reflector_encode(m, &b, again, sizeof(again));
	TW_FUZZ_ASSERT(memcmp(canon, again, tw_proto_stamp_base_len(m)) == 0);
}

/* Walk a chain; every TLV lies inside, offsets strictly increase. */
static int walk(const uint8_t *buf, size_t len, size_t start, unsigned *count)
{
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv t;
	size_t prev_end = start;
	int r;

	*count = 0;
	tw_proto_stamp_tlv_iter_init(&it, buf, len, start);
	while ((r = tw_proto_stamp_tlv_next(&it, &t)) == 1) {
		TW_FUZZ_ASSERT(t.off == prev_end);
		TW_FUZZ_ASSERT(t.value == buf + t.off + TW_STAMP_TLV_HDR);
		TW_FUZZ_ASSERT(t.off + TW_STAMP_TLV_HDR + t.len <= len);
		prev_end = t.off + TW_STAMP_TLV_HDR + t.len;
		(*count)++;
	}
	TW_FUZZ_ASSERT(r == 0 || r == -TW_PROTO_E_TLV);
	TW_FUZZ_ASSERT(r != 0 || prev_end == len);
	TW_FUZZ_ASSERT(it.off <= len);
	return r;
}

static void run_tlv_iter(const uint8_t *data, size_t len)
{
	unsigned n;
	int u;

	walk(data, len, 0, &n);
	u = tw_proto_stamp_reflected_check(data, len, 0);
	TW_FUZZ_ASSERT(u == -TW_PROTO_E_HMAC || (u >= 0 && (unsigned)u <= n));
}

/* Each typed decoder on each TLV: decode, encode, decode gives the same. */
static void check_typed(const struct tw_stamp_tlv *t)
{
	static uint8_t out[70000];
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv u;
	int n;

	switch (t->type) {
	case TW_STAMP_TLV_LOCATION: {
		struct tw_stamp_location loc;
		struct tw_stamp_loc_addr subs[64], a;
		struct tw_stamp_tlv s;
		size_t k = 0;
		bool all_known = true;

		if (tw_proto_stamp_tlv_decode_location(t, &loc) != 0)
			return;
		tw_proto_stamp_tlv_iter_init(&it, loc.sub, loc.sub_len, 0);
		while (tw_proto_stamp_tlv_next(&it, &s) == 1) {
			int r = tw_proto_stamp_loc_sub_decode(&s, &a);

			TW_FUZZ_ASSERT(r == 0 || r == -TW_PROTO_E_INVAL);
			if (r != 0 || k == 64)
				all_known = false;
			else
				subs[k++] = a;
		}
		if (!all_known)
			return;
		n = tw_proto_stamp_tlv_encode_location(t->flags, loc.dst_port,
						 loc.src_port, subs, k, out,
						 sizeof(out));
		TW_FUZZ_ASSERT(n == (int)(TW_STAMP_TLV_HDR + t->len));
		tw_proto_stamp_tlv_iter_init(&it, out, (size_t)n, 0);
		TW_FUZZ_ASSERT(tw_proto_stamp_tlv_next(&it, &u) == 1);
		TW_FUZZ_ASSERT(tw_proto_stamp_tlv_decode_location(&u, &loc) == 0);
		return;
	}
	case TW_STAMP_TLV_TSINFO: {
		struct tw_stamp_tsinfo a, b;

		if (tw_proto_stamp_tlv_decode_tsinfo(t, &a) != 0)
			return;
		n = tw_proto_stamp_tlv_encode_tsinfo(t->flags, &a, out, sizeof(out));
		TW_FUZZ_ASSERT(n == (int)(TW_STAMP_TLV_HDR + t->len));
		TW_FUZZ_ASSERT(memcmp(out, t->value - TW_STAMP_TLV_HDR, (size_t)n) == 0);
		tw_proto_stamp_tlv_iter_init(&it, out, (size_t)n, 0);
		TW_FUZZ_ASSERT(tw_proto_stamp_tlv_next(&it, &u) == 1);
		TW_FUZZ_ASSERT(tw_proto_stamp_tlv_decode_tsinfo(&u, &b) == 0);
		return;
	}
	case TW_STAMP_TLV_COS: {
		struct tw_stamp_cos a, b;

		if (tw_proto_stamp_tlv_decode_cos(t, &a) != 0) {
			TW_FUZZ_ASSERT(t->len != 4);
			return;
		}
		n = tw_proto_stamp_tlv_encode_cos(t->flags, &a, out, sizeof(out));
		TW_FUZZ_ASSERT(n == 8);
		TW_FUZZ_ASSERT(memcmp(out, t->value - 4, 6) == 0);
		tw_proto_stamp_tlv_iter_init(&it, out, 8, 0);
		TW_FUZZ_ASSERT(tw_proto_stamp_tlv_next(&it, &u) == 1);
		TW_FUZZ_ASSERT(tw_proto_stamp_tlv_decode_cos(&u, &b) == 0);
		TW_FUZZ_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
		return;
	}
	case TW_STAMP_TLV_DIRECT: {
		struct tw_stamp_direct a;

		if (tw_proto_stamp_tlv_decode_direct(t, &a) != 0)
			return;
		n = tw_proto_stamp_tlv_encode_direct(t->flags, &a, out, sizeof(out));
		TW_FUZZ_ASSERT(n == 16 && memcmp(out, t->value - 4, 16) == 0);
		return;
	}
	case TW_STAMP_TLV_ACCESS: {
		struct tw_stamp_access a;
		int r = tw_proto_stamp_tlv_decode_access(t, &a);

		if (r != 0) {
			TW_FUZZ_ASSERT(r == -TW_PROTO_E_TLV || r == -TW_PROTO_E_RANGE);
			return;
		}
		TW_FUZZ_ASSERT(a.id == 1 || a.id == 2);
		n = tw_proto_stamp_tlv_encode_access(t->flags, &a, out, sizeof(out));
		TW_FUZZ_ASSERT(n == 8 && out[5] == t->value[1]);
		return;
	}
	case TW_STAMP_TLV_FOLLOWUP: {
		struct tw_stamp_followup a;

		if (tw_proto_stamp_tlv_decode_followup(t, &a) != 0)
			return;
		n = tw_proto_stamp_tlv_encode_followup(t->flags, &a, out, sizeof(out));
		TW_FUZZ_ASSERT(n == 20 && memcmp(out, t->value - 4, 17) == 0);
		return;
	}
	case TW_STAMP_TLV_HMAC: {
		uint8_t h[16];

		if (tw_proto_stamp_tlv_decode_hmac(t, h) != 0)
			return;
		n = tw_proto_stamp_tlv_encode_hmac(t->flags, h, out, sizeof(out));
		TW_FUZZ_ASSERT(n == 20 && memcmp(out, t->value - 4, 20) == 0);
		return;
	}
	default:
		return;
	}
}

static void run_typed(const uint8_t *data, size_t len)
{
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv t;

	tw_proto_stamp_tlv_iter_init(&it, data, len, 0);
	while (tw_proto_stamp_tlv_next(&it, &t) == 1)
		check_typed(&t);
}

static void run_hmac_find(const uint8_t *data, size_t len)
{
	size_t off = SIZE_MAX;
	int r;

	if (len < 1)
		return;
	r = tw_proto_stamp_hmac_tlv_find(data + 1, len - 1, 0, data[0] & 1, &off);
	TW_FUZZ_ASSERT(r == TW_STAMP_HMAC_NONE || r == TW_STAMP_HMAC_PRESENT ||
		       r == TW_STAMP_HMAC_BAD);
	if (r == TW_STAMP_HMAC_PRESENT) {
		TW_FUZZ_ASSERT(off + TW_STAMP_TLV_HDR + TW_STAMP_HMAC_LEN <= len - 1);
		TW_FUZZ_ASSERT(data[1 + off + 1] == TW_STAMP_TLV_HMAC);
	}
}

/* Reflector: base reply in place, then TLV processing over a copy. */
static void run_reflect(const uint8_t *data, size_t len)
{
	static uint8_t buf[70000];
	struct tw_stamp_reflect_ctx c;
	struct tw_stamp_reflect_out o;
	struct tw_stamp_reflect_info ri = { .seq = 1, .ttl = 64 };
	enum tw_stamp_mode m;
	unsigned before, after;
	size_t base, rlen, hoff;
	int n, rb, ra;

	if (len < 4)
		return;
	m = mode_of(data[0]);
	memset(&c, 0, sizeof(c));
	c.tos = data[1];
	c.dscp_allowed = 0x5555555555555555ull;
	c.ipv6 = data[2] & 1;
	c.have_mac = data[2] & 2;
	c.mac_eui64 = data[2] & 4;
	c.have_prev = data[2] & 8;
	c.integrity_failed = data[2] & 16;
	c.ts_out = data[3];
	data += 4;
	len -= 4;
	if (len > sizeof(buf))
		return;
	memcpy(buf, data, len);
	n = tw_proto_stamp_reflect_inplace(m, buf, len, sizeof(buf), &ri);
	if (n < 0)
		return;
	base = tw_proto_stamp_base_len(m);
	rlen = (size_t)n;
	TW_FUZZ_ASSERT(rlen >= base && rlen >= len);
	TW_FUZZ_ASSERT(rlen == base || memcmp(buf + base, data + base, rlen - base) == 0);
	{
		struct tw_stamp_sender sd;
		struct tw_stamp_reflector rd;

		TW_FUZZ_ASSERT(tw_proto_stamp_sender_decode(m, data, len, &sd) >= 0);
		TW_FUZZ_ASSERT(tw_proto_stamp_reflector_decode(m, buf, rlen, &rd) ==
			       (int)base);
		TW_FUZZ_ASSERT(rd.seq == 1 && rd.ts == 0 && rd.sender_ttl == 64 &&
			       rd.ssid == sd.ssid && rd.sender_seq == sd.seq &&
			       rd.sender_ts == sd.ts &&
			       rd.sender_errest == sd.errest);
		TW_FUZZ_ASSERT(m == TW_STAMP_UNAUTH ||
			       tw_proto_is_zero(rd.hmac, TW_STAMP_HMAC_LEN));
	}
	(void)tw_proto_stamp_hmac_tlv_find(buf, rlen, base, m == TW_STAMP_AUTH, &hoff);
	rb = walk(buf, rlen, base, &before);
	TW_FUZZ_ASSERT(tw_proto_stamp_reflect_tlvs(&c, buf, rlen, base, &o) == 0);
	/* processing never changes the chain's shape */
	ra = walk(buf, rlen, base, &after);
	TW_FUZZ_ASSERT(ra == rb && after == before);
	TW_FUZZ_ASSERT(o.ntlv <= before + 1);
	TW_FUZZ_ASSERT(!o.has_hmac || (o.hmac_off >= base &&
				       o.hmac_off + 20 <= rlen));
	if (rb == 0 && !c.integrity_failed && !o.malformed)
		TW_FUZZ_ASSERT(o.ntlv == before);
}

static void seeds_base(tw_fuzz_emit_fn emit, void *ctx, bool reflector)
{
	for (int m = 0; m < 2; m++) {
		uint8_t buf[1 + TW_STAMP_BASE_AUTH] = { (uint8_t)m };
		struct tw_stamp_sender s = { .seq = 3, .ts = 0xe2000000ull << 32,
					     .errest = 0x8101, .ssid = 0x1234 };
		struct tw_stamp_reflector r = { .seq = 3, .ssid = 0x1234,
						.sender_ttl = 255 };
		int n = reflector ? tw_proto_stamp_reflector_encode((enum tw_stamp_mode)m, &r,
							      buf + 1, sizeof(buf) - 1)
				  : tw_proto_stamp_sender_encode((enum tw_stamp_mode)m, &s,
							   buf + 1, sizeof(buf) - 1);

		emit(ctx, buf, (size_t)n + 1);
		emit(ctx, buf, 15); /* TWAMP Light size */
	}
}

static void seeds_sender(tw_fuzz_emit_fn emit, void *ctx)
{
	seeds_base(emit, ctx, false);
}

static void seeds_reflector(tw_fuzz_emit_fn emit, void *ctx)
{
	seeds_base(emit, ctx, true);
}

/* One of every TLV type, then an HMAC TLV and a trailing Extra Padding. */
static size_t all_tlvs(uint8_t *buf, size_t cap)
{
	static const struct tw_stamp_loc_addr subs[3] = {
		{ .flags = TW_STAMP_TLV_U, .type = TW_STAMP_LOC_SRC_MAC },
		{ .flags = TW_STAMP_TLV_U, .type = TW_STAMP_LOC_DST_IP },
		{ .flags = TW_STAMP_TLV_U, .type = TW_STAMP_LOC_SRC_IP },
	};
	static const uint8_t sub[4] = { TW_STAMP_TLV_U, 1, 0, 0 };
	struct tw_stamp_tsinfo ti = { .sub = sub, .sub_len = 4 };
	struct tw_stamp_cos cos = { .dscp1 = 46 };
	struct tw_stamp_direct dm = { .s_txc = 10 };
	struct tw_stamp_access ar = { .id = 1, .return_code = 1 };
	struct tw_stamp_followup fu = { 0 };
	uint8_t h[16] = { 0 };
	const uint8_t f = TW_STAMP_TLV_SENDER_FLAGS;
	size_t o = 0;

	o += (size_t)tw_proto_stamp_tlv_encode_padding(f, 6, NULL, buf + o, cap - o);
	o += (size_t)tw_proto_stamp_tlv_encode_location(f, 0, 0, subs, 3, buf + o, cap - o);
	o += (size_t)tw_proto_stamp_tlv_encode_tsinfo(f, &ti, buf + o, cap - o);
	o += (size_t)tw_proto_stamp_tlv_encode_cos(f, &cos, buf + o, cap - o);
	o += (size_t)tw_proto_stamp_tlv_encode_direct(f, &dm, buf + o, cap - o);
	o += (size_t)tw_proto_stamp_tlv_encode_access(f, &ar, buf + o, cap - o);
	o += (size_t)tw_proto_stamp_tlv_encode_followup(f, &fu, buf + o, cap - o);
	o += (size_t)tw_proto_stamp_tlv_put(buf + o, cap - o, f, 200, NULL, 2);
	o += (size_t)tw_proto_stamp_tlv_encode_hmac(f, h, buf + o, cap - o);
	o += (size_t)tw_proto_stamp_tlv_encode_padding(f, 3, NULL, buf + o, cap - o);
	return o;
}

static void seeds_tlvs(tw_fuzz_emit_fn emit, void *ctx)
{
	uint8_t buf[512];
	size_t n = all_tlvs(buf, sizeof(buf));

	emit(ctx, buf, n);
	emit(ctx, buf, n - 1);
}

static void seeds_hmac_find(tw_fuzz_emit_fn emit, void *ctx)
{
	uint8_t buf[512] = { 1 };
	size_t n = all_tlvs(buf + 1, sizeof(buf) - 1);

	emit(ctx, buf, n + 1);
	buf[0] = 0;
	emit(ctx, buf, n + 1);
}

static void seeds_reflect(tw_fuzz_emit_fn emit, void *ctx)
{
	for (int m = 0; m < 2; m++) {
		uint8_t buf[4 + 512] = { (uint8_t)m, 0xb8, (uint8_t)(m ? 0x0b : 0x02), 1 };
		struct tw_stamp_sender s = { .seq = 5, .errest = 0x0101, .ssid = 7 };
		int n = tw_proto_stamp_sender_encode((enum tw_stamp_mode)m, &s, buf + 4, 508);
		size_t t = all_tlvs(buf + 4 + n, 508 - (size_t)n);

		emit(ctx, buf, 4 + (size_t)n + t);
	}
}

TW_FUZZ_TARGETS(
	{ "sender", run_sender, seeds_sender },
	{ "reflector", run_reflector, seeds_reflector },
	{ "tlv_iter", run_tlv_iter, seeds_tlvs },
	{ "typed", run_typed, seeds_tlvs },
	{ "hmac_find", run_hmac_find, seeds_hmac_find },
	{ "reflect", run_reflect, seeds_reflect },
);
