/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer targets for TWAMP/OWAMP-Test packets. The first input octet
 * picks one of the 12 layouts (mode x Symmetrical Size x DSCP-ECN), the
 * second the Length of padding to reflect (0-7); the rest is the packet.
 */

#include <string.h>

#include "fuzz.h"
#include "tw_proto_test.h"

#define HDR 2

static struct tw_test_layout pick(const uint8_t *data)
{
	struct tw_test_layout l;
	unsigned k = data[0] % 12u;

	tw_proto_test_layout_init(&l, (enum tw_test_mode)(k / 4), (k & 2) != 0,
			    (k & 1) != 0, (uint16_t)(data[1] & 7));
	return l;
}

static void run_sender(const uint8_t *data, size_t len)
{
	struct tw_test_layout l;
	struct tw_test_sender a, b;
	static uint8_t canon[70000], again[70000];
	int n, m;

	if (len < HDR)
		return;
	l = pick(data);
	data += HDR;
	len -= HDR;
	n = tw_proto_test_sender_decode(&l, data, len, &a);
	if (n < 0) {
		TW_FUZZ_ASSERT(n == -TW_PROTO_E_TRUNCATED || n == -TW_PROTO_E_LENGTH);
		TW_FUZZ_ASSERT(len < l.sender_hdr || len > TW_TEST_MAX_LEN);
		return;
	}
	TW_FUZZ_ASSERT((size_t)n == len);
	TW_FUZZ_ASSERT(a.pad == data + l.sender_hdr);
	TW_FUZZ_ASSERT(a.pad_len + l.sender_hdr == len);
	m = tw_proto_test_sender_encode(&l, &a, canon, sizeof(canon));
	TW_FUZZ_ASSERT(m == n);
	/* the fields survive; only MBZ octets may differ from the input */
	TW_FUZZ_ASSERT(memcmp(canon, data, 4) == 0);
	TW_FUZZ_ASSERT(memcmp(canon + l.ts_off, data + l.ts_off, 10) == 0);
	TW_FUZZ_ASSERT(memcmp(canon + l.sender_hdr, data + l.sender_hdr,
			      len - l.sender_hdr) == 0);
	TW_FUZZ_ASSERT(tw_proto_test_sender_decode(&l, canon, (size_t)m, &b) == m);
	TW_FUZZ_ASSERT(tw_proto_test_sender_encode(&l, &b, again, sizeof(again)) == m);
	TW_FUZZ_ASSERT(memcmp(canon, again, (size_t)m) == 0);
}

static void run_reflector(const uint8_t *data, size_t len)
{
	struct tw_test_layout l;
	struct tw_test_reflector a, b;
	static uint8_t canon[70000], again[70000];
	int n, m;

	if (len < HDR)
		return;
	l = pick(data);
	data += HDR;
	len -= HDR;
	n = tw_proto_test_reflector_decode(&l, data, len, &a);
	if (n < 0) {
		TW_FUZZ_ASSERT(len < l.refl_hdr || len > TW_TEST_MAX_LEN);
		return;
	}
	TW_FUZZ_ASSERT((size_t)n == len);
	if (!l.dscp_ecn)
		TW_FUZZ_ASSERT(a.sender_dscp_ecn == 0);
	m = tw_proto_test_reflector_encode(&l, &a, canon, sizeof(canon));
	TW_FUZZ_ASSERT(m == n);
	TW_FUZZ_ASSERT(memcmp(canon + l.refl_hdr, data + l.refl_hdr,
			      len - l.refl_hdr) == 0);
	TW_FUZZ_ASSERT(tw_proto_test_reflector_decode(&l, canon, (size_t)m, &b) == m);
	TW_FUZZ_ASSERT(tw_proto_test_reflector_encode(&l, &b, again, sizeof(again)) == m);
	TW_FUZZ_ASSERT(memcmp(canon, again, (size_t)m) == 0);
}

/* The reflector fast path: reply in place, then decode the reply. */
static void run_reflect(const uint8_t *data, size_t len)
{
	static const struct tw_test_reflect_info ri = {
		.seq = 7, .rx_ts = 0x1111, .errest = 0x0101, .ttl = 255,
		.dscp_ecn = 0xb8,
	};
	static uint8_t buf[70000];
	struct tw_test_layout l;
	struct tw_test_sender s;
	struct tw_test_reflector r;
	size_t cap;
	int n, want;

	if (len < HDR + 1)
		return;
	l = pick(data);
	cap = data[2] == 0 ? sizeof(buf) : data[2] + 16u;
	data += HDR + 1;
	len -= HDR + 1;
	want = tw_proto_test_reply_len(&l, len);
	memcpy(buf, data, len);
	memset(buf + len, 0xee, sizeof(buf) - len);
	n = tw_proto_test_reflect_inplace(&l, buf, len, cap, &ri);
	if (want < 0) {
		TW_FUZZ_ASSERT(n == want);
		return;
	}
	if ((size_t)want > cap) {
		TW_FUZZ_ASSERT(n == -TW_PROTO_E_NOSPACE);
		return;
	}
	TW_FUZZ_ASSERT(n == want);
	TW_FUZZ_ASSERT((size_t)n >= l.refl_hdr && (size_t)n <= cap);
	TW_FUZZ_ASSERT(n == (int)len || (size_t)n == (size_t)l.refl_hdr + l.reflect_len);
	TW_FUZZ_ASSERT(tw_proto_test_sender_decode(&l, data, len, &s) == (int)len);
	TW_FUZZ_ASSERT(tw_proto_test_reflector_decode(&l, buf, (size_t)n, &r) == n);
	TW_FUZZ_ASSERT(r.sender_seq == s.seq && r.sender_ts == s.ts &&
		       r.sender_errest == s.errest && r.seq == 7 && r.ts == 0);
	/*
	 * The whole reply is what the struct encoder makes of the sender's
	 * fields and the sender's padding, highest octets dropped: nothing
	 * stale, octets to reflect first.
	 */
	TW_FUZZ_ASSERT(len - l.sender_hdr >= (size_t)n - l.refl_hdr);
	{
		static uint8_t want[70000];
		struct tw_test_reflector e = {
			.seq = 7, .errest = 0x0101, .rx_ts = 0x1111,
			.sender_seq = s.seq, .sender_ts = s.ts,
			.sender_errest = s.errest, .sender_ttl = 255,
			.sender_dscp_ecn = 0xb8, .pad = data + l.sender_hdr,
			.pad_len = (uint32_t)n - l.refl_hdr,
		};

		TW_FUZZ_ASSERT(tw_proto_test_reflector_encode(&l, &e, want,
							sizeof(want)) == n);
		TW_FUZZ_ASSERT(memcmp(want, buf, (size_t)n) == 0);
	}
}

static void run_padding(const uint8_t *data, size_t len)
{
	struct tw_test_layout l;
	struct tw_test_sizes z;
	uint32_t pad;
	int r;

	if (len < HDR + 4)
		return;
	l = pick(data);
	if (len >= HDR + 6)
		tw_proto_test_layout_init(&l, (enum tw_test_mode)l.mode, l.sym_size,
				    l.dscp_ecn, tw_get_be16(data + 6));
	pad = tw_get_be32(data + 2);
	r = tw_proto_test_session_sizes(&l, pad, &z);
	if (r < 0) {
		TW_FUZZ_ASSERT(r == -TW_PROTO_E_PADDING);
		TW_FUZZ_ASSERT(pad < l.reflect_len ||
			       (uint64_t)pad + l.sender_hdr > TW_TEST_MAX_LEN ||
			       (uint64_t)l.refl_hdr + l.reflect_len > TW_TEST_MAX_LEN);
		return;
	}
	TW_FUZZ_ASSERT(z.sender_len == l.sender_hdr + pad);
	TW_FUZZ_ASSERT(z.reply_len >= z.sender_len && z.reply_len >= l.refl_hdr);
	TW_FUZZ_ASSERT(z.reply_len <= TW_TEST_MAX_LEN);
	TW_FUZZ_ASSERT(z.symmetric == (z.reply_len == z.sender_len));
	TW_FUZZ_ASSERT(tw_proto_test_reply_len(&l, z.sender_len) == (int)z.reply_len);
	if (pad >= tw_proto_test_equal_padding(&l))
		TW_FUZZ_ASSERT(z.symmetric);
}

static void emit_layouts(tw_fuzz_emit_fn emit, void *ctx, bool reflector)
{
	static const uint8_t pad[80] = { 'A', 'B', 'C', 'D', 'E', 'F', 'G' };

	for (unsigned k = 0; k < 12; k++) {
		for (unsigned rl = 0; rl < 8; rl += 7) {
			uint8_t sel[2] = { (uint8_t)k, (uint8_t)rl };
			struct tw_test_layout l = pick(sel);
			uint8_t buf[2 + 256];
			struct tw_test_sender s = { .seq = k, .ts = 0xe1234567ull << 32,
						    .errest = 0x8101, .pad = pad };
			struct tw_test_reflector r = { .seq = k, .sender_seq = 9,
						       .sender_ttl = 64, .errest = 1,
						       .pad = pad };
			int n;

			s.pad_len = tw_proto_test_equal_padding(&l);
			r.pad_len = 3;
			buf[0] = sel[0];
			buf[1] = sel[1];
			n = reflector ? tw_proto_test_reflector_encode(&l, &r, buf + 2, 256)
				      : tw_proto_test_sender_encode(&l, &s, buf + 2, 256);
			if (n > 0)
				emit(ctx, buf, (size_t)n + 2);
		}
	}
}

static void seeds_sender(tw_fuzz_emit_fn emit, void *ctx)
{
	emit_layouts(emit, ctx, false);
}

static void seeds_reflector(tw_fuzz_emit_fn emit, void *ctx)
{
	emit_layouts(emit, ctx, true);
}

static void seeds_reflect(tw_fuzz_emit_fn emit, void *ctx)
{
	static const uint8_t pad[64];

	for (unsigned k = 0; k < 12; k++) {
		uint8_t buf[3 + 200] = { (uint8_t)k, (uint8_t)(k & 7), 0 };
		struct tw_test_layout l = pick(buf);
		struct tw_test_sender s = { .seq = k, .errest = 0x0101, .pad = pad,
					    .pad_len = k * 5 };
		int n = tw_proto_test_sender_encode(&l, &s, buf + 3, 200);

		if (n > 0)
			emit(ctx, buf, (size_t)n + 3);
	}
}

static void seeds_padding(tw_fuzz_emit_fn emit, void *ctx)
{
	static const uint8_t v[][8] = {
		{ 0, 0, 0, 0, 0, 27, 0, 0 },
		{ 4, 0, 0, 0, 0, 64, 0, 0 },
		{ 1, 0, 0xff, 0xff, 0xff, 0xff, 0, 0 },
		{ 2, 0, 0, 0, 0xff, 0xe9, 0, 10 },
		{ 3, 0, 0, 0, 0, 0, 0xff, 0xff },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		emit(ctx, v[i], sizeof(v[i]));
}

TW_FUZZ_TARGETS(
	{ "sender", run_sender, seeds_sender },
	{ "reflector", run_reflector, seeds_reflector },
	{ "reflect", run_reflect, seeds_reflect },
	{ "padding", run_padding, seeds_padding },
);
