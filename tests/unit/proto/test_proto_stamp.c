/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for STAMP base packets and RFC 8972 TLVs (lib/proto/tw_proto_stamp.c). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tw_proto_stamp.h"

#define U TW_STAMP_TLV_U
#define M TW_STAMP_TLV_M
#define I TW_STAMP_TLV_I

static const uint8_t ts_oct[8] = { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };
static const uint8_t rx_oct[8] = { 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28 };
static const uint8_t st_oct[8] = { 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48 };

static struct tw_stamp_sender smsg(void)
{
	struct tw_stamp_sender s = { .seq = 0x01020304, .ts = 0x1112131415161718ull,
				     .errest = 0x8123, .ssid = 0xabcd };

	for (int i = 0; i < 16; i++)
		s.hmac[i] = (uint8_t)(0xe0 + i);
	return s;
}

static struct tw_stamp_reflector rmsg(void)
{
	struct tw_stamp_reflector r = {
		.seq = 0x01020304, .ts = 0x1112131415161718ull, .errest = 0x8123,
		.ssid = 0xabcd, .rx_ts = 0x2122232425262728ull,
		.sender_seq = 0x31323334, .sender_ts = 0x4142434445464748ull,
		.sender_errest = 0x0a0b, .sender_ttl = 0xfe,
	};

	for (int i = 0; i < 16; i++)
		r.hmac[i] = (uint8_t)(0xe0 + i);
	return r;
}

/* RFC 8762 Figure 2 + RFC 8972 Figure 1 */
static void test_sender_unauth_octets(void **state)
{
	struct tw_stamp_sender s = smsg();
	uint8_t want[44] = { 0x01, 0x02, 0x03, 0x04 }, buf[64];

	(void)state;
	memcpy(want + 4, ts_oct, 8);
	want[12] = 0x81;
	want[13] = 0x23;
	want[14] = 0xab;
	want[15] = 0xcd;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tw_proto_stamp_sender_encode(TW_STAMP_UNAUTH, &s, buf, 64), 44);
	assert_memory_equal(buf, want, 44);
	assert_int_equal(buf[44], 0xee);
}

/* RFC 8762 Figure 4 + RFC 8972 Figure 3: SSID at 26, HMAC at 96 */
static void test_sender_auth_octets(void **state)
{
	struct tw_stamp_sender s = smsg();
	uint8_t want[112] = { 0x01, 0x02, 0x03, 0x04 }, buf[128];

	(void)state;
	memcpy(want + 16, ts_oct, 8);
	want[24] = 0x81;
	want[25] = 0x23;
	want[26] = 0xab;
	want[27] = 0xcd;
	for (int i = 0; i < 16; i++)
		want[96 + i] = (uint8_t)(0xe0 + i);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tw_proto_stamp_sender_encode(TW_STAMP_AUTH, &s, buf, 128), 112);
	assert_memory_equal(buf, want, 112);
}

/* RFC 8762 Figure 5 + RFC 8972 Figure 2 */
static void test_reflector_unauth_octets(void **state)
{
	static const uint8_t want[44] = {
		0x01, 0x02, 0x03, 0x04,
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x81, 0x23, 0xab, 0xcd,
		0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
		0x31, 0x32, 0x33, 0x34,
		0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
		0x0a, 0x0b, 0x00, 0x00,
		0xfe, 0x00, 0x00, 0x00,
	};
	struct tw_stamp_reflector r = rmsg();
	uint8_t buf[64];

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tw_proto_stamp_reflector_encode(TW_STAMP_UNAUTH, &r, buf, 64), 44);
	assert_memory_equal(buf, want, 44);
}

/* RFC 8762 Figure 6 + RFC 8972 Figure 4 */
static void test_reflector_auth_octets(void **state)
{
	struct tw_stamp_reflector r = rmsg();
	uint8_t want[112] = { 0x01, 0x02, 0x03, 0x04 }, buf[128];

	(void)state;
	memcpy(want + 16, ts_oct, 8);
	want[24] = 0x81;
	want[25] = 0x23;
	want[26] = 0xab;
	want[27] = 0xcd;
	memcpy(want + 32, rx_oct, 8);
	want[48] = 0x31; want[49] = 0x32; want[50] = 0x33; want[51] = 0x34;
	memcpy(want + 64, st_oct, 8);
	want[72] = 0x0a;
	want[73] = 0x0b;
	want[80] = 0xfe;
	for (int i = 0; i < 16; i++)
		want[96 + i] = (uint8_t)(0xe0 + i);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tw_proto_stamp_reflector_encode(TW_STAMP_AUTH, &r, buf, 128), 112);
	assert_memory_equal(buf, want, 112);
}

static void test_base_round_trips(void **state)
{
	(void)state;
	for (int m = 0; m < 2; m++) {
		struct tw_stamp_sender s = smsg(), sd;
		struct tw_stamp_reflector r = rmsg(), rd;
		uint8_t a[128], b[128];
		int n;

		if (m == TW_STAMP_UNAUTH) {
			memset(s.hmac, 0, 16);
			memset(r.hmac, 0, 16);
		}
		n = tw_proto_stamp_sender_encode((enum tw_stamp_mode)m, &s, a, 128);
		assert_int_equal(tw_proto_stamp_sender_decode((enum tw_stamp_mode)m, a, n, &sd), n);
		assert_int_equal(sd.seq, s.seq);
		assert_true(sd.ts == s.ts);
		assert_int_equal(sd.errest, s.errest);
		assert_int_equal(sd.ssid, s.ssid);
		assert_memory_equal(sd.hmac, s.hmac, 16);
		assert_int_equal(tw_proto_stamp_sender_encode((enum tw_stamp_mode)m, &sd, b, 128), n);
		assert_memory_equal(a, b, n);
		n = tw_proto_stamp_reflector_encode((enum tw_stamp_mode)m, &r, a, 128);
		assert_int_equal(tw_proto_stamp_reflector_decode((enum tw_stamp_mode)m, a, n, &rd), n);
		assert_int_equal(rd.ssid, 0xabcd);
		assert_true(rd.sender_ts == r.sender_ts);
		assert_int_equal(tw_proto_stamp_reflector_encode((enum tw_stamp_mode)m, &rd, b, 128), n);
		assert_memory_equal(a, b, n);
	}
}

static void test_decode_returns_tlv_start(void **state)
{
	struct tw_stamp_sender s = smsg(), d;
	uint8_t buf[128] = { 0 };

	(void)state;
	tw_proto_stamp_sender_encode(TW_STAMP_UNAUTH, &s, buf, 128);
	assert_int_equal(tw_proto_stamp_sender_decode(TW_STAMP_UNAUTH, buf, 60, &d), 44);
	tw_proto_stamp_sender_encode(TW_STAMP_AUTH, &s, buf, 128);
	assert_int_equal(tw_proto_stamp_sender_decode(TW_STAMP_AUTH, buf, 128, &d), 112);
}

static void test_decode_truncation(void **state)
{
	uint8_t buf[128];
	struct tw_stamp_sender s;
	struct tw_stamp_reflector r;

	(void)state;
	memset(buf, 0x77, sizeof(buf));
	for (size_t len = 0; len < 14; len++)
		assert_int_equal(tw_proto_stamp_sender_decode(TW_STAMP_UNAUTH, buf, len, &s),
				 -TW_PROTO_E_TRUNCATED);
	for (size_t len = 0; len < 112; len++) {
		assert_int_equal(tw_proto_stamp_sender_decode(TW_STAMP_AUTH, buf, len, &s),
				 -TW_PROTO_E_TRUNCATED);
		assert_int_equal(tw_proto_stamp_reflector_decode(TW_STAMP_AUTH, buf, len, &r),
				 -TW_PROTO_E_TRUNCATED);
	}
	for (size_t len = 0; len < 41; len++)
		assert_int_equal(tw_proto_stamp_reflector_decode(TW_STAMP_UNAUTH, buf, len, &r),
				 -TW_PROTO_E_TRUNCATED);
}

/* RFC 8762 §4.6: a TWAMP Light sender's short packet is accepted */
static void test_decode_short_twamp_light(void **state)
{
	uint8_t buf[44];
	struct tw_stamp_sender s;
	struct tw_stamp_reflector r;

	(void)state;
	memset(buf, 0x77, sizeof(buf));
	assert_int_equal(tw_proto_stamp_sender_decode(TW_STAMP_UNAUTH, buf, 14, &s), 14);
	assert_int_equal(s.ssid, 0); /* beyond the datagram reads as zero */
	assert_int_equal(s.seq, 0x77777777);
	assert_int_equal(tw_proto_stamp_sender_decode(TW_STAMP_UNAUTH, buf, 15, &s), 15);
	assert_int_equal(s.ssid, 0x7700);
	assert_int_equal(tw_proto_stamp_sender_decode(TW_STAMP_UNAUTH, buf, 16, &s), 16);
	assert_int_equal(s.ssid, 0x7777);
	assert_int_equal(tw_proto_stamp_reflector_decode(TW_STAMP_UNAUTH, buf, 41, &r), 41);
	assert_int_equal(r.sender_ttl, 0x77);
}

static void test_base_errors(void **state)
{
	struct tw_stamp_sender s = smsg();
	struct tw_stamp_reflector r = rmsg();
	uint8_t buf[128];

	(void)state;
	for (size_t cap = 0; cap < 44; cap++) {
		assert_int_equal(tw_proto_stamp_sender_encode(TW_STAMP_UNAUTH, &s, buf, cap),
				 -TW_PROTO_E_NOSPACE);
		assert_int_equal(tw_proto_stamp_reflector_encode(TW_STAMP_UNAUTH, &r, buf, cap),
				 -TW_PROTO_E_NOSPACE);
	}
	assert_int_equal(tw_proto_stamp_sender_encode(TW_STAMP_AUTH, &s, buf, 111),
			 -TW_PROTO_E_NOSPACE);
	assert_int_equal(tw_proto_stamp_sender_encode((enum tw_stamp_mode)2, &s, buf, 128),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_proto_stamp_reflector_decode((enum tw_stamp_mode)5, buf, 128, &r),
			 -TW_PROTO_E_INVAL);
}

static void test_ssid_check(void **state)
{
	(void)state;
	assert_int_equal(tw_proto_stamp_ssid_check(0), -TW_PROTO_E_SSID);
	assert_int_equal(tw_proto_stamp_ssid_check(1), 0);
	assert_int_equal(tw_proto_stamp_ssid_check(0xffff), 0);
}

static const struct tw_stamp_reflect_info rinfo = {
	.seq = 9, .rx_ts = 0x2122232425262728ull, .errest = 0x0101, .ttl = 250,
};

static void test_reflect_inplace_tlvs_kept(void **state)
{
	struct tw_stamp_sender s = smsg();
	struct tw_stamp_reflector d;
	uint8_t buf[128];
	int n;

	(void)state;
	tw_proto_stamp_sender_encode(TW_STAMP_UNAUTH, &s, buf, 128);
	assert_int_equal(tw_proto_stamp_tlv_encode_padding(U, 8, NULL, buf + 44, 84), 12);
	n = tw_proto_stamp_reflect_inplace(TW_STAMP_UNAUTH, buf, 56, 128, &rinfo);
	assert_int_equal(n, 56);
	assert_int_equal(tw_proto_stamp_reflector_decode(TW_STAMP_UNAUTH, buf, n, &d), 44);
	assert_int_equal(d.seq, 9);
	assert_int_equal(d.ssid, 0xabcd);
	assert_int_equal(d.sender_seq, 0x01020304);
	assert_true(d.sender_ts == 0x1112131415161718ull);
	assert_int_equal(d.sender_errest, 0x8123);
	assert_int_equal(d.sender_ttl, 250);
	assert_true(d.ts == 0);
	assert_int_equal(buf[44], U); /* TLVs untouched until processed */
	tw_proto_stamp_set_ts(TW_STAMP_UNAUTH, buf, 0x5555);
	assert_int_equal(tw_proto_stamp_reflector_decode(TW_STAMP_UNAUTH, buf, n, &d), 44);
	assert_true(d.ts == 0x5555);
}

static void test_reflect_inplace_short(void **state)
{
	struct tw_stamp_reflector r = { .seq = 9, .errest = 0x0101,
					.rx_ts = 0x2122232425262728ull,
					.sender_seq = 0x01020304,
					.sender_ts = 0x1112131415161718ull,
					.sender_errest = 0x8123, .sender_ttl = 250 };
	uint8_t buf[64], want[44];

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	memcpy(buf, "\x01\x02\x03\x04\x11\x12\x13\x14\x15\x16\x17\x18\x81\x23", 14);
	assert_int_equal(tw_proto_stamp_reflect_inplace(TW_STAMP_UNAUTH, buf, 14, 44, &rinfo), 44);
	tw_proto_stamp_reflector_encode(TW_STAMP_UNAUTH, &r, want, 44);
	assert_memory_equal(buf, want, 44);
}

static void test_reflect_inplace_auth(void **state)
{
	struct tw_stamp_sender s = smsg();
	uint8_t buf[128];

	(void)state;
	tw_proto_stamp_sender_encode(TW_STAMP_AUTH, &s, buf, 128);
	assert_int_equal(tw_proto_stamp_reflect_inplace(TW_STAMP_AUTH, buf, 112, 112, &rinfo), 112);
	assert_true(tw_proto_is_zero(buf + TW_STAMP_HMAC_OFF, 16));
	assert_int_equal(buf[26], 0xab);
	assert_int_equal(buf[80], 250);
	assert_int_equal(tw_proto_stamp_reflect_inplace(TW_STAMP_AUTH, buf, 111, 128, &rinfo),
			 -TW_PROTO_E_TRUNCATED);
	assert_int_equal(tw_proto_stamp_reflect_inplace(TW_STAMP_UNAUTH, buf, 14, 43, &rinfo),
			 -TW_PROTO_E_NOSPACE);
	assert_int_equal(tw_proto_stamp_reflect_inplace(TW_STAMP_UNAUTH, buf, SIZE_MAX,
						  SIZE_MAX, &rinfo),
			 -TW_PROTO_E_LENGTH);
}

/* ---- TLV iterator ---- */

static void test_iter_good_chain(void **state)
{
	static const uint8_t p[] = {
		0xee, 0xee,                       /* not TLVs: start = 2 */
		U, 1, 0, 2, 0xaa, 0xbb,           /* padding, 2 */
		U, 200, 0, 0,                     /* unknown, zero length */
		U, 5, 0, 12, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv t;

	(void)state;
	tw_proto_stamp_tlv_iter_init(&it, p, sizeof(p), 2);
	assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), 1);
	assert_int_equal(t.type, 1);
	assert_int_equal(t.len, 2);
	assert_int_equal(t.off, 2);
	assert_ptr_equal(t.value, p + 6);
	assert_int_equal(t.flags, U);
	assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), 1);
	assert_int_equal(t.type, 200);
	assert_int_equal(t.len, 0);
	assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), 1);
	assert_int_equal(t.type, 5);
	assert_int_equal(t.off, 12);
	assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), 0);
	assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), 0);
}

static void test_iter_empty(void **state)
{
	uint8_t p[4] = { 0 };
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv t;

	(void)state;
	tw_proto_stamp_tlv_iter_init(&it, p, 4, 4);
	assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), 0);
	tw_proto_stamp_tlv_iter_init(&it, p, 4, 5);
	assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), -TW_PROTO_E_TLV);
}

static void test_iter_overrun_value(void **state)
{
	static const uint8_t p[] = { U, 1, 0, 4, 1, 2, 3 }; /* 4 claimed, 3 there */
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv t;

	(void)state;
	tw_proto_stamp_tlv_iter_init(&it, p, sizeof(p), 0);
	assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), -TW_PROTO_E_TLV);
	assert_int_equal(it.off, 0);
	assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), -TW_PROTO_E_TLV); /* sticky */
}

static void test_iter_overrun_header(void **state)
{
	static const uint8_t p[] = { U, 1, 0, 0, U, 1, 0 }; /* 3 stray octets */
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv t;

	(void)state;
	for (size_t len = 5; len <= sizeof(p); len++) {
		tw_proto_stamp_tlv_iter_init(&it, p, len, 0);
		assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), 1);
		assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), -TW_PROTO_E_TLV);
		assert_int_equal(it.off, 4);
	}
}

static void test_iter_max_length(void **state)
{
	static const uint8_t p[] = { U, 1, 0xff, 0xff, 0 };
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv t;

	(void)state;
	tw_proto_stamp_tlv_iter_init(&it, p, sizeof(p), 0);
	assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), -TW_PROTO_E_TLV);
}

static void test_tlv_put(void **state)
{
	static const uint8_t v[3] = { 7, 8, 9 };
	static const uint8_t want[] = { 0x80, 0xfc, 0x00, 0x03, 7, 8, 9 };
	uint8_t buf[16];

	(void)state;
	assert_int_equal(tw_proto_stamp_tlv_put(buf, 16, U, 252, v, 3), 7);
	assert_memory_equal(buf, want, 7);
	assert_int_equal(tw_proto_stamp_tlv_put(buf, 6, U, 252, v, 3), -TW_PROTO_E_NOSPACE);
	assert_int_equal(tw_proto_stamp_tlv_put(buf, 16, 0, 1, NULL, 2), 6);
	assert_true(tw_proto_is_zero(buf + 4, 2));
}

/* ---- typed TLVs ---- */

static struct tw_stamp_tlv first(const uint8_t *p, size_t len)
{
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv t;

	tw_proto_stamp_tlv_iter_init(&it, p, len, 0);
	assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), 1);
	return t;
}

static void test_padding_tlv(void **state)
{
	static const uint8_t pad[4] = { 1, 2, 3, 4 };
	static const uint8_t want[] = { 0x80, 0x01, 0x00, 0x04, 1, 2, 3, 4 };
	uint8_t buf[16];

	(void)state;
	assert_int_equal(tw_proto_stamp_tlv_encode_padding(U, 4, pad, buf, 16), 8);
	assert_memory_equal(buf, want, 8);
	assert_int_equal(tw_proto_stamp_tlv_encode_padding(U, 4, pad, buf, 7),
			 -TW_PROTO_E_NOSPACE);
}

/* RFC 8972 Figure 8 and §4.2.1 */
static void test_location_octets(void **state)
{
	struct tw_stamp_loc_addr subs[3] = {
		{ .flags = U, .type = TW_STAMP_LOC_SRC_MAC },
		{ .flags = 0, .type = TW_STAMP_LOC_DST_IPV4,
		  .addr = { 192, 0, 2, 1 } },
		{ .flags = 0, .type = TW_STAMP_LOC_SRC_EUI48,
		  .addr = { 2, 0, 0, 0, 0, 1, 0xff, 0xff } }, /* MBZ not written */
	};
	uint8_t want[8 + 12 + 20 + 12] = {
		0x80, 0x02, 0x00, 48, 0x03, 0x5e, 0xc0, 0x00,
		0x80, 0x01, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 0,
		0x00, 0x05, 0x00, 0x10, 192, 0, 2, 1, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0x00, 0x02, 0x00, 0x08, 2, 0, 0, 0, 0, 1, 0, 0,
	};
	uint8_t buf[64];
	struct tw_stamp_location loc;
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv t, sub;
	struct tw_stamp_loc_addr a;
	int k = 0;

	(void)state;
	assert_int_equal(tw_proto_stamp_tlv_encode_location(U, 862, 49152, subs, 3, buf, 64),
			 52);
	assert_memory_equal(buf, want, 52);
	t = first(buf, 52);
	assert_int_equal(tw_proto_stamp_tlv_decode_location(&t, &loc), 0);
	assert_int_equal(loc.dst_port, 862);
	assert_int_equal(loc.src_port, 49152);
	assert_int_equal(loc.sub_len, 44);
	tw_proto_stamp_tlv_iter_init(&it, loc.sub, loc.sub_len, 0);
	while (tw_proto_stamp_tlv_next(&it, &sub) == 1) {
		assert_int_equal(tw_proto_stamp_loc_sub_decode(&sub, &a), 0);
		assert_int_equal(a.type, subs[k].type);
		k++;
	}
	assert_int_equal(k, 3);
	assert_int_equal(a.addr[6], 0); /* MBZ octets not reported */
	assert_int_equal(tw_proto_stamp_tlv_encode_location(U, 862, 49152, subs, 3, buf, 51),
			 -TW_PROTO_E_NOSPACE);
	subs[1].type = 0;
	assert_int_equal(tw_proto_stamp_tlv_encode_location(U, 862, 49152, subs, 3, buf, 64),
			 -TW_PROTO_E_RANGE);
}

static void test_location_malformed(void **state)
{
	static const uint8_t short_loc[] = { U, 2, 0, 3, 0, 0, 0 };
	static const uint8_t bad_sub_len[] = { U, 2, 0, 14, 0, 1, 0, 2,
					       U, 4, 0, 6, 0, 0, 0, 0, 0, 0 };
	static const uint8_t sub_overrun[] = { U, 2, 0, 8, 0, 1, 0, 2,
					       U, 1, 0, 8 };
	static const uint8_t unknown_sub[] = { U, 2, 0, 9, 0, 1, 0, 2,
					       U, 99, 0, 1, 0 };
	struct tw_stamp_location loc;
	struct tw_stamp_tlv t;

	(void)state;
	t = first(short_loc, sizeof(short_loc));
	assert_int_equal(tw_proto_stamp_tlv_decode_location(&t, &loc), -TW_PROTO_E_TLV);
	t = first(bad_sub_len, sizeof(bad_sub_len));
	assert_int_equal(tw_proto_stamp_tlv_decode_location(&t, &loc), -TW_PROTO_E_TLV);
	t = first(sub_overrun, sizeof(sub_overrun));
	assert_int_equal(tw_proto_stamp_tlv_decode_location(&t, &loc), -TW_PROTO_E_TLV);
	t = first(unknown_sub, sizeof(unknown_sub));
	assert_int_equal(tw_proto_stamp_tlv_decode_location(&t, &loc), 0);
	t.type = 3;
	assert_int_equal(tw_proto_stamp_tlv_decode_location(&t, &loc), -TW_PROTO_E_INVAL);
}

static void test_loc_sub_len(void **state)
{
	(void)state;
	assert_int_equal(tw_proto_stamp_loc_sub_len(0), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_proto_stamp_loc_sub_len(1), 8);
	assert_int_equal(tw_proto_stamp_loc_sub_len(3), 8);
	assert_int_equal(tw_proto_stamp_loc_sub_len(4), 16);
	assert_int_equal(tw_proto_stamp_loc_sub_len(9), 16);
	assert_int_equal(tw_proto_stamp_loc_sub_len(10), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_proto_stamp_loc_sub_len(255), -TW_PROTO_E_INVAL);
}

/* RFC 8972 Figure 11 */
static void test_tsinfo(void **state)
{
	static const uint8_t sub[] = { U, 1, 0, 2, 9, 9 };
	static const uint8_t want[] = { 0x80, 3, 0, 10, 1, 2, 5, 1, U, 1, 0, 2, 9, 9 };
	struct tw_stamp_tsinfo ti = { .sync_in = 1, .ts_in = 2, .sync_out = 5,
				      .ts_out = 1, .sub = sub, .sub_len = 6 }, d;
	uint8_t buf[32];
	struct tw_stamp_tlv t;

	(void)state;
	assert_int_equal(tw_proto_stamp_tlv_encode_tsinfo(U, &ti, buf, 32), 14);
	assert_memory_equal(buf, want, 14);
	t = first(buf, 14);
	assert_int_equal(tw_proto_stamp_tlv_decode_tsinfo(&t, &d), 0);
	assert_int_equal(d.sync_out, 5);
	assert_int_equal(d.sub_len, 6);
	assert_memory_equal(d.sub, sub, 6);
	buf[3] = 3; /* Length below the 4 fixed octets */
	t = first(buf, 14);
	assert_int_equal(tw_proto_stamp_tlv_decode_tsinfo(&t, &d), -TW_PROTO_E_TLV);
	buf[3] = 9; /* sub-TLV chain now overruns */
	t = first(buf, 14);
	assert_int_equal(tw_proto_stamp_tlv_decode_tsinfo(&t, &d), -TW_PROTO_E_TLV);
	assert_int_equal(tw_proto_stamp_tlv_encode_tsinfo(U, &ti, buf, 13), -TW_PROTO_E_NOSPACE);
}

/* RFC 8972 Figure 12: DSCP1(6) DSCP2(6) ECN(2) RP(2) Reserved(16) */
static void test_cos(void **state)
{
	struct tw_stamp_cos c = { .dscp1 = 46, .dscp2 = 10, .ecn = 1, .rp = 1 }, d;
	static const uint8_t want[] = { 0x80, 4, 0, 4, 0xb8, 0xa5, 0, 0 };
	uint8_t buf[16];
	struct tw_stamp_tlv t;

	(void)state;
	assert_int_equal(tw_proto_stamp_tlv_encode_cos(U, &c, buf, 16), 8);
	assert_memory_equal(buf, want, 8);
	t = first(buf, 8);
	assert_int_equal(tw_proto_stamp_tlv_decode_cos(&t, &d), 0);
	assert_memory_equal(&d, &c, sizeof(c));
	c.dscp1 = 64;
	assert_int_equal(tw_proto_stamp_tlv_encode_cos(U, &c, buf, 16), -TW_PROTO_E_RANGE);
	c.dscp1 = 0;
	c.rp = 4;
	assert_int_equal(tw_proto_stamp_tlv_encode_cos(U, &c, buf, 16), -TW_PROTO_E_RANGE);
	c.rp = 0;
	assert_int_equal(tw_proto_stamp_tlv_encode_cos(U, &c, buf, 7), -TW_PROTO_E_NOSPACE);
}

static void test_fixed_length_checks(void **state)
{
	uint8_t buf[32] = { U, 4, 0, 5 };
	struct tw_stamp_tlv t = first(buf, 9);
	struct tw_stamp_cos c;
	struct tw_stamp_direct d;
	struct tw_stamp_access a;
	struct tw_stamp_followup f;
	uint8_t h[16];

	(void)state;
	assert_int_equal(tw_proto_stamp_tlv_decode_cos(&t, &c), -TW_PROTO_E_TLV);
	assert_int_equal(tw_proto_stamp_tlv_decode_direct(&t, &d), -TW_PROTO_E_INVAL);
	t.type = TW_STAMP_TLV_DIRECT;
	assert_int_equal(tw_proto_stamp_tlv_decode_direct(&t, &d), -TW_PROTO_E_TLV);
	t.type = TW_STAMP_TLV_ACCESS;
	assert_int_equal(tw_proto_stamp_tlv_decode_access(&t, &a), -TW_PROTO_E_TLV);
	t.type = TW_STAMP_TLV_FOLLOWUP;
	assert_int_equal(tw_proto_stamp_tlv_decode_followup(&t, &f), -TW_PROTO_E_TLV);
	t.type = TW_STAMP_TLV_HMAC;
	assert_int_equal(tw_proto_stamp_tlv_decode_hmac(&t, h), -TW_PROTO_E_TLV);
	t.len = 0; /* zero length is malformed for every fixed-size type */
	assert_int_equal(tw_proto_stamp_tlv_decode_hmac(&t, h), -TW_PROTO_E_TLV);
}

/* RFC 8972 Figure 13 */
static void test_direct(void **state)
{
	struct tw_stamp_direct dm = { 1, 0x02030405, 0xffffffff }, d;
	static const uint8_t want[] = { 0x80, 5, 0, 12, 0, 0, 0, 1, 2, 3, 4, 5,
					0xff, 0xff, 0xff, 0xff };
	uint8_t buf[16];
	struct tw_stamp_tlv t;

	(void)state;
	assert_int_equal(tw_proto_stamp_tlv_encode_direct(U, &dm, buf, 16), 16);
	assert_memory_equal(buf, want, 16);
	t = first(buf, 16);
	assert_int_equal(tw_proto_stamp_tlv_decode_direct(&t, &d), 0);
	assert_memory_equal(&d, &dm, sizeof(d));
	assert_int_equal(tw_proto_stamp_tlv_encode_direct(U, &dm, buf, 15), -TW_PROTO_E_NOSPACE);
}

/* RFC 8972 Figure 14 */
static void test_access(void **state)
{
	struct tw_stamp_access ar = { .id = 2, .return_code = 1 }, d;
	static const uint8_t want[] = { 0x80, 6, 0, 4, 0x20, 0x01, 0, 0 };
	uint8_t buf[16];
	struct tw_stamp_tlv t;

	(void)state;
	assert_int_equal(tw_proto_stamp_tlv_encode_access(U, &ar, buf, 16), 8);
	assert_memory_equal(buf, want, 8);
	t = first(buf, 8);
	assert_int_equal(tw_proto_stamp_tlv_decode_access(&t, &d), 0);
	assert_int_equal(d.id, 2);
	assert_int_equal(d.return_code, 1);
	ar.id = 3; /* not 3GPP nor non-3GPP: MUST be discarded */
	assert_int_equal(tw_proto_stamp_tlv_encode_access(U, &ar, buf, 16), 8);
	t = first(buf, 8);
	assert_int_equal(tw_proto_stamp_tlv_decode_access(&t, &d), -TW_PROTO_E_RANGE);
	ar.id = 16;
	assert_int_equal(tw_proto_stamp_tlv_encode_access(U, &ar, buf, 16), -TW_PROTO_E_RANGE);
}

/* RFC 8972 Figure 15 */
static void test_followup(void **state)
{
	struct tw_stamp_followup f = { .seq = 5, .ts = 0x1112131415161718ull,
				       .ts_mode = TW_STAMP_TSM_HW }, d;
	static const uint8_t want[] = { 0x80, 7, 0, 16, 0, 0, 0, 5,
					0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
					1, 0, 0, 0 };
	uint8_t buf[32];
	struct tw_stamp_tlv t;

	(void)state;
	assert_int_equal(tw_proto_stamp_tlv_encode_followup(U, &f, buf, 32), 20);
	assert_memory_equal(buf, want, 20);
	t = first(buf, 20);
	assert_int_equal(tw_proto_stamp_tlv_decode_followup(&t, &d), 0);
	assert_int_equal(d.seq, 5);
	assert_true(d.ts == f.ts);
	assert_int_equal(d.ts_mode, TW_STAMP_TSM_HW);
	assert_int_equal(tw_proto_stamp_tlv_encode_followup(U, &f, buf, 19), -TW_PROTO_E_NOSPACE);
}

/* RFC 8972 Figure 16 */
static void test_hmac_tlv(void **state)
{
	uint8_t h[16], d[16], buf[32];
	struct tw_stamp_tlv t;

	(void)state;
	for (int i = 0; i < 16; i++)
		h[i] = (uint8_t)i;
	assert_int_equal(tw_proto_stamp_tlv_encode_hmac(U, h, buf, 32), 20);
	assert_int_equal(buf[1], 8);
	assert_int_equal(buf[3], 16);
	t = first(buf, 20);
	assert_int_equal(tw_proto_stamp_tlv_decode_hmac(&t, d), 0);
	assert_memory_equal(d, h, 16);
}

/* ---- HMAC TLV placement (RFC 8972 §4.8) ---- */

static size_t add(uint8_t *buf, size_t off, uint8_t type, uint16_t len)
{
	int n = tw_proto_stamp_tlv_put(buf + off, 256 - off, U, type, NULL, len);

	assert_true(n > 0);
	return off + (size_t)n;
}

static void test_hmac_find_present(void **state)
{
	uint8_t buf[256] = { 0 };
	size_t off = add(buf, 44, TW_STAMP_TLV_COS, 4), hoff = 0, end;

	(void)state;
	end = add(buf, off, TW_STAMP_TLV_HMAC, 16);
	assert_int_equal(tw_proto_stamp_hmac_tlv_find(buf, end, 44, true, &hoff),
			 TW_STAMP_HMAC_PRESENT);
	assert_int_equal(hoff, off);
	/* Extra Padding may follow the HMAC TLV */
	end = add(buf, end, TW_STAMP_TLV_PADDING, 3);
	assert_int_equal(tw_proto_stamp_hmac_tlv_find(buf, end, 44, true, &hoff),
			 TW_STAMP_HMAC_PRESENT);
}

static void test_hmac_find_not_last(void **state)
{
	uint8_t buf[256] = { 0 };
	size_t hoff, end = add(buf, 44, TW_STAMP_TLV_HMAC, 16);

	(void)state;
	end = add(buf, end, TW_STAMP_TLV_COS, 4);
	assert_int_equal(tw_proto_stamp_hmac_tlv_find(buf, end, 44, false, &hoff),
			 TW_STAMP_HMAC_BAD);
}

static void test_hmac_find_twice_or_wrong_len(void **state)
{
	uint8_t buf[256] = { 0 };
	size_t hoff, end = add(buf, 44, TW_STAMP_TLV_HMAC, 16);

	(void)state;
	end = add(buf, end, TW_STAMP_TLV_HMAC, 16);
	assert_int_equal(tw_proto_stamp_hmac_tlv_find(buf, end, 44, false, &hoff),
			 TW_STAMP_HMAC_BAD);
	end = add(buf, 44, TW_STAMP_TLV_HMAC, 12);
	assert_int_equal(tw_proto_stamp_hmac_tlv_find(buf, end, 44, false, &hoff),
			 TW_STAMP_HMAC_BAD);
}

static void test_hmac_find_required(void **state)
{
	uint8_t buf[256] = { 0 };
	size_t hoff, end;

	(void)state;
	/* no TLVs: nothing to protect */
	assert_int_equal(tw_proto_stamp_hmac_tlv_find(buf, 112, 112, true, &hoff),
			 TW_STAMP_HMAC_NONE);
	/* sole Extra Padding TLV: exempt */
	end = add(buf, 112, TW_STAMP_TLV_PADDING, 8);
	assert_int_equal(tw_proto_stamp_hmac_tlv_find(buf, end, 112, true, &hoff),
			 TW_STAMP_HMAC_NONE);
	/* two padding TLVs: not the exception */
	end = add(buf, end, TW_STAMP_TLV_PADDING, 8);
	assert_int_equal(tw_proto_stamp_hmac_tlv_find(buf, end, 112, true, &hoff),
			 TW_STAMP_HMAC_BAD);
	end = add(buf, 112, TW_STAMP_TLV_DIRECT, 12);
	assert_int_equal(tw_proto_stamp_hmac_tlv_find(buf, end, 112, true, &hoff),
			 TW_STAMP_HMAC_BAD);
	assert_int_equal(tw_proto_stamp_hmac_tlv_find(buf, end, 112, false, &hoff),
			 TW_STAMP_HMAC_NONE);
}

static void test_hmac_find_overrun(void **state)
{
	uint8_t buf[256] = { 0 };
	size_t hoff, end = add(buf, 44, TW_STAMP_TLV_COS, 4);

	(void)state;
	assert_int_equal(tw_proto_stamp_hmac_tlv_find(buf, end + 2, 44, false, &hoff),
			 TW_STAMP_HMAC_NONE);
	assert_int_equal(tw_proto_stamp_hmac_tlv_find(buf, end + 2, 44, true, &hoff),
			 TW_STAMP_HMAC_BAD);
	end = add(buf, end, TW_STAMP_TLV_HMAC, 16);
	assert_int_equal(tw_proto_stamp_hmac_tlv_find(buf, end + 3, 44, false, &hoff),
			 TW_STAMP_HMAC_BAD);
}

/* ---- reflector TLV processing ---- */

static struct tw_stamp_reflect_ctx ctx4(void)
{
	struct tw_stamp_reflect_ctx c = {
		.tos = 10 << 2 | 2, .dscp_allowed = 1ull << 46,
		.src_port = 49152, .dst_port = 862,
		.src_ip = { 198, 51, 100, 7 }, .dst_ip = { 192, 0, 2, 1 },
		.have_mac = true, .src_mac = { 2, 0, 0, 0, 0, 9 },
		.r_rxc = 100, .r_txc = 99,
		.sync_in = TW_STAMP_SYNC_NTP, .ts_in = TW_STAMP_TSM_SW,
		.sync_out = TW_STAMP_SYNC_PTP, .ts_out = TW_STAMP_TSM_HW,
	};

	return c;
}

static void test_reflect_unknown_type_sets_u(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	uint8_t buf[256] = { 0 };
	size_t end = add(buf, 44, 200, 3);

	(void)state;
	end = add(buf, end, TW_STAMP_TLV_PADDING, 4);
	buf[44 + 4] = 0x5a;
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, end, 44, &o), 0);
	assert_int_equal(o.ntlv, 2);
	assert_false(o.malformed);
	assert_int_equal(buf[44], U);         /* unknown: U, copied */
	assert_int_equal(buf[48], 0x5a);
	assert_int_equal(buf[51], 0);         /* padding understood: U cleared */
}

static void test_reflect_reserved_types_unknown(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	uint8_t buf[256] = { 0 };
	size_t end = add(buf, 44, 0, 0);

	(void)state;
	end = add(buf, end, 255, 0);
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, end, 44, &o), 0);
	assert_int_equal(buf[44], U);
	assert_int_equal(buf[48], U);
}

static void test_reflect_malformed_stops(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	uint8_t buf[256] = { 0 };
	size_t cos = 44, dm, end = add(buf, 44, TW_STAMP_TLV_COS, 5);

	(void)state;
	dm = end;
	end = add(buf, end, TW_STAMP_TLV_DIRECT, 12);
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, end, 44, &o), 0);
	assert_true(o.malformed);
	assert_int_equal(o.ntlv, 1);
	assert_int_equal(buf[cos], M);
	assert_int_equal(buf[dm], U);                  /* remainder as received */
	assert_true(tw_proto_is_zero(buf + dm + 4, 12)); /* not filled */
}

static void test_reflect_overrun_sets_m(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	uint8_t buf[256] = { 0 };
	size_t end = add(buf, 44, TW_STAMP_TLV_PADDING, 2), last = end;

	(void)state;
	end = add(buf, end, TW_STAMP_TLV_DIRECT, 12);
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, end - 1, 44, &o), 0);
	assert_true(o.malformed);
	assert_int_equal(o.ntlv, 2);
	assert_int_equal(buf[44], 0);
	assert_int_equal(buf[last], M);
	assert_true(tw_proto_is_zero(buf + last + 4, 11));
	/* a stray octet after the chain */
	buf[44] = U;
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, 51, 44, &o), 0);
	assert_int_equal(buf[50], M);
}

static void test_reflect_integrity_failed(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	uint8_t buf[256] = { 0 };
	size_t dm = 44, h, end = add(buf, 44, TW_STAMP_TLV_DIRECT, 12);

	(void)state;
	h = end;
	end = add(buf, end, TW_STAMP_TLV_HMAC, 16);
	c.integrity_failed = true;
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, end, 44, &o), 0);
	assert_int_equal(buf[dm], I);
	assert_int_equal(buf[h], I);
	assert_true(tw_proto_is_zero(buf + dm + 4, 12)); /* nothing processed */
	assert_false(o.has_hmac);
	assert_int_equal(o.ntlv, 2);
}

static void test_reflect_cos(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	struct tw_stamp_cos want = { .dscp1 = 46 }, got;
	uint8_t buf[64];
	struct tw_stamp_tlv t;

	(void)state;
	tw_proto_stamp_tlv_encode_cos(U, &want, buf, 64);
	buf[6] = 0xff; /* Reserved must be zeroed in the reply */
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, 8, 0, &o), 0);
	t = first(buf, 8);
	assert_int_equal(t.flags, 0);
	assert_int_equal(tw_proto_stamp_tlv_decode_cos(&t, &got), 0);
	assert_int_equal(got.dscp1, 46);
	assert_int_equal(got.dscp2, 10);
	assert_int_equal(got.ecn, 2);
	assert_int_equal(got.rp, 0);
	assert_int_equal(buf[6], 0);
	assert_true(o.cos);
	assert_int_equal(o.reply_dscp, 46);
	/* DSCP1 not permitted by policy: received DSCP, RP = 1 */
	c.dscp_allowed = 0;
	tw_proto_stamp_tlv_encode_cos(U, &want, buf, 64);
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, 8, 0, &o), 0);
	t = first(buf, 8);
	assert_int_equal(tw_proto_stamp_tlv_decode_cos(&t, &got), 0);
	assert_int_equal(got.rp, 1);
	assert_int_equal(o.reply_dscp, 10);
}

static void test_reflect_direct(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	struct tw_stamp_direct d = { .s_txc = 1234 }, got;
	uint8_t buf[64];
	struct tw_stamp_tlv t;

	(void)state;
	tw_proto_stamp_tlv_encode_direct(U, &d, buf, 64);
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, 16, 0, &o), 0);
	t = first(buf, 16);
	assert_int_equal(tw_proto_stamp_tlv_decode_direct(&t, &got), 0);
	assert_int_equal(got.s_txc, 1234);
	assert_int_equal(got.r_rxc, 100);
	assert_int_equal(got.r_txc, 99);
	assert_int_equal(t.flags, 0);
}

static void test_reflect_location_v4(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	struct tw_stamp_loc_addr req[3] = {
		{ .flags = U, .type = TW_STAMP_LOC_SRC_MAC },
		{ .flags = U, .type = TW_STAMP_LOC_DST_IP },
		{ .flags = U, .type = TW_STAMP_LOC_SRC_IP },
	};
	static const uint8_t want[] = {
		0, 2, 0, 60, 0x03, 0x5e, 0xc0, 0x00,
		0, 2, 0, 8, 2, 0, 0, 0, 0, 9, 0, 0,
		0, 5, 0, 16, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 8, 0, 16, 198, 51, 100, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		U, 77, 0, 0,
	};
	uint8_t buf[128];
	int n = tw_proto_stamp_tlv_encode_location(U, 0, 0, req, 3, buf, 128);

	(void)state;
	assert_int_equal(n, 60);
	/* append an unknown sub-TLV inside the Location TLV */
	buf[3] = 60;
	tw_proto_stamp_tlv_put(buf + 60, 8, U, 77, NULL, 0);
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, 64, 0, &o), 0);
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_reflect_location_v6_nomac(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	struct tw_stamp_loc_addr req[2] = {
		{ .flags = U, .type = TW_STAMP_LOC_SRC_MAC },
		{ .flags = U, .type = TW_STAMP_LOC_SRC_IP },
	};
	uint8_t buf[128];
	int n = tw_proto_stamp_tlv_encode_location(U, 0, 0, req, 2, buf, 128);

	(void)state;
	c.ipv6 = true;
	c.have_mac = false;
	for (int i = 0; i < 16; i++)
		c.src_ip[i] = (uint8_t)(0x20 + i);
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, (size_t)n, 0, &o), 0);
	assert_int_equal(buf[9], TW_STAMP_LOC_SRC_EUI64);
	assert_true(tw_proto_is_zero(buf + 12, 8));
	assert_int_equal(buf[21], TW_STAMP_LOC_SRC_IPV6);
	assert_memory_equal(buf + 24, c.src_ip, 16);
}

static void test_reflect_location_bad_sub(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	uint8_t buf[] = { U, 2, 0, 10, 0, 0, 0, 0, U, 4, 0, 2, 0, 0 };

	(void)state;
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, sizeof(buf), 0, &o), 0);
	assert_true(o.malformed);
	assert_int_equal(buf[0], M);
	assert_int_equal(buf[8], M);
}

static void test_reflect_tsinfo(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	uint8_t buf[] = { U, 3, 0, 8, 0, 0, 0, 0, U, 1, 0, 0 };

	(void)state;
	buf[8] = 0; /* a sender may not set U on sub-TLVs; we still mark it */
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, sizeof(buf), 0, &o), 0);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[4], TW_STAMP_SYNC_NTP);
	assert_int_equal(buf[5], TW_STAMP_TSM_SW);
	assert_int_equal(buf[6], TW_STAMP_SYNC_PTP);
	assert_int_equal(buf[7], TW_STAMP_TSM_HW);
	assert_int_equal(buf[8], U);
}

static void test_reflect_followup(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	struct tw_stamp_followup f = { .seq = 0xdead, .ts = 0xbeef, .ts_mode = 9 }, got;
	uint8_t buf[32];
	struct tw_stamp_tlv t;

	(void)state;
	/* stateless / first packet: zeroed */
	tw_proto_stamp_tlv_encode_followup(U, &f, buf, 32);
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, 20, 0, &o), 0);
	assert_true(tw_proto_is_zero(buf + 4, 16));
	assert_int_equal(buf[0], 0);
	c.have_prev = true;
	c.prev_seq = 41;
	c.prev_ts = 0x1234;
	c.prev_ts_mode = TW_STAMP_TSM_HW;
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, 20, 0, &o), 0);
	t = first(buf, 20);
	assert_int_equal(tw_proto_stamp_tlv_decode_followup(&t, &got), 0);
	assert_int_equal(got.seq, 41);
	assert_true(got.ts == 0x1234);
	assert_int_equal(got.ts_mode, TW_STAMP_TSM_HW);
	/* wrong Length: M, Sequence Number and Timestamp zeroed */
	memset(buf, 0x77, sizeof(buf));
	tw_proto_stamp_tlv_put(buf, 32, U, TW_STAMP_TLV_FOLLOWUP, NULL, 14);
	memset(buf + 4, 0x77, 14);
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, 18, 0, &o), 0);
	assert_int_equal(buf[0], M);
	assert_true(tw_proto_is_zero(buf + 4, 12));
	assert_int_equal(buf[16], 0x77);
}

static void test_reflect_access_and_hmac(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	struct tw_stamp_access a = { .id = 1, .return_code = 2 };
	uint8_t h[16], buf[64];
	int n = tw_proto_stamp_tlv_encode_access(U, &a, buf, 64);

	(void)state;
	buf[4] |= 0x0f; /* Resv */
	buf[7] = 0x44;  /* Reserved */
	memset(h, 0xaa, 16);
	n += tw_proto_stamp_tlv_encode_hmac(U, h, buf + n, 64 - (size_t)n);
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, (size_t)n, 0, &o), 0);
	assert_int_equal(buf[4], 0x10);
	assert_int_equal(buf[5], 2);
	assert_int_equal(buf[7], 0);
	assert_true(o.has_hmac);
	assert_int_equal(o.hmac_off, 8);
	assert_int_equal(buf[8], 0);
	assert_true(tw_proto_is_zero(buf + 12, 16));
}

static void test_reflect_bad_start(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	uint8_t buf[8] = { 0 };

	(void)state;
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, 8, 9, &o), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, 8, 8, &o), 0);
	assert_int_equal(o.ntlv, 0);
	assert_int_equal(o.reply_dscp, 10);
}

static void test_reflected_check(void **state)
{
	uint8_t buf[256] = { 0 };
	size_t a = 44, b, c, end;

	(void)state;
	b = add(buf, a, TW_STAMP_TLV_COS, 4);
	c = add(buf, b, 200, 0);
	end = add(buf, c, TW_STAMP_TLV_DIRECT, 12);
	buf[a] = 0;
	buf[b] = U; /* usable count includes it; the caller skips it */
	buf[c] = 0;
	assert_int_equal(tw_proto_stamp_reflected_check(buf, end, 44), 3);
	buf[c] = M;
	assert_int_equal(tw_proto_stamp_reflected_check(buf, end, 44), 2);
	buf[c] = 0;
	assert_int_equal(tw_proto_stamp_reflected_check(buf, end - 1, 44), 2);
	buf[b] = I;
	assert_int_equal(tw_proto_stamp_reflected_check(buf, end, 44), -TW_PROTO_E_HMAC);
	buf[b] = 0;
	buf[c] = I | M;
	assert_int_equal(tw_proto_stamp_reflected_check(buf, end, 44), -TW_PROTO_E_HMAC);
	buf[c] = 0;
	buf[c + 3] = 50; /* overruns; its flags octet carries I */
	buf[c] = I;
	assert_int_equal(tw_proto_stamp_reflected_check(buf, end, 44), -TW_PROTO_E_HMAC);
	assert_int_equal(tw_proto_stamp_reflected_check(buf, 44, 44), 0);
}

/* The reflector's output, read by the sender: U and M as set, no I. */
static void test_reflect_then_sender_check(void **state)
{
	struct tw_stamp_reflect_ctx c = ctx4();
	struct tw_stamp_reflect_out o;
	uint8_t buf[256] = { 0 };
	size_t end = add(buf, 44, TW_STAMP_TLV_PADDING, 4);

	(void)state;
	end = add(buf, end, 201, 1);
	end = add(buf, end, TW_STAMP_TLV_COS, 3);
	end = add(buf, end, TW_STAMP_TLV_DIRECT, 12);
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, end, 44, &o), 0);
	assert_int_equal(tw_proto_stamp_reflected_check(buf, end, 44), 2);
	c.integrity_failed = true;
	assert_int_equal(tw_proto_stamp_reflect_tlvs(&c, buf, end, 44, &o), 0);
	assert_int_equal(tw_proto_stamp_reflected_check(buf, end, 44), -TW_PROTO_E_HMAC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sender_unauth_octets),
		cmocka_unit_test(test_sender_auth_octets),
		cmocka_unit_test(test_reflector_unauth_octets),
		cmocka_unit_test(test_reflector_auth_octets),
		cmocka_unit_test(test_base_round_trips),
		cmocka_unit_test(test_decode_returns_tlv_start),
		cmocka_unit_test(test_decode_truncation),
		cmocka_unit_test(test_decode_short_twamp_light),
		cmocka_unit_test(test_base_errors),
		cmocka_unit_test(test_ssid_check),
		cmocka_unit_test(test_reflect_inplace_tlvs_kept),
		cmocka_unit_test(test_reflect_inplace_short),
		cmocka_unit_test(test_reflect_inplace_auth),
		cmocka_unit_test(test_iter_good_chain),
		cmocka_unit_test(test_iter_empty),
		cmocka_unit_test(test_iter_overrun_value),
		cmocka_unit_test(test_iter_overrun_header),
		cmocka_unit_test(test_iter_max_length),
		cmocka_unit_test(test_tlv_put),
		cmocka_unit_test(test_padding_tlv),
		cmocka_unit_test(test_location_octets),
		cmocka_unit_test(test_location_malformed),
		cmocka_unit_test(test_loc_sub_len),
		cmocka_unit_test(test_tsinfo),
		cmocka_unit_test(test_cos),
		cmocka_unit_test(test_fixed_length_checks),
		cmocka_unit_test(test_direct),
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_followup),
		cmocka_unit_test(test_hmac_tlv),
		cmocka_unit_test(test_hmac_find_present),
		cmocka_unit_test(test_hmac_find_not_last),
		cmocka_unit_test(test_hmac_find_twice_or_wrong_len),
		cmocka_unit_test(test_hmac_find_required),
		cmocka_unit_test(test_hmac_find_overrun),
		cmocka_unit_test(test_reflect_unknown_type_sets_u),
		cmocka_unit_test(test_reflect_reserved_types_unknown),
		cmocka_unit_test(test_reflect_malformed_stops),
		cmocka_unit_test(test_reflect_overrun_sets_m),
		cmocka_unit_test(test_reflect_integrity_failed),
		cmocka_unit_test(test_reflect_cos),
		cmocka_unit_test(test_reflect_direct),
		cmocka_unit_test(test_reflect_location_v4),
		cmocka_unit_test(test_reflect_location_v6_nomac),
		cmocka_unit_test(test_reflect_location_bad_sub),
		cmocka_unit_test(test_reflect_tsinfo),
		cmocka_unit_test(test_reflect_followup),
		cmocka_unit_test(test_reflect_access_and_hmac),
		cmocka_unit_test(test_reflect_bad_start),
		cmocka_unit_test(test_reflected_check),
		cmocka_unit_test(test_reflect_then_sender_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
