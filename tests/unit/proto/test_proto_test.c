/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for TWAMP/OWAMP-Test packets (lib/proto/tw_proto_test.c). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tw_proto_test.h"

#define SEQ 0x01020304u
#define TS 0x1112131415161718ull
#define EE 0x8123u
#define RX_TS 0x2122232425262728ull
#define S_SEQ 0x31323334u
#define S_TS 0x4142434445464748ull
#define S_EE 0x0a0bu

static struct tw_test_layout lay(enum tw_test_mode m, bool sym, bool dscp,
				 uint16_t rl)
{
	struct tw_test_layout l;

	assert_int_equal(tw_proto_test_layout_init(&l, m, sym, dscp, rl), 0);
	return l;
}

static const uint8_t ts_oct[8] = { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };
static const uint8_t rxts_oct[8] = { 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28 };
static const uint8_t sts_oct[8] = { 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48 };

static struct tw_test_sender sender_msg(void)
{
	struct tw_test_sender s = { .seq = SEQ, .ts = TS, .errest = EE };

	for (int i = 0; i < 16; i++)
		s.hmac[i] = (uint8_t)(0xe0 + i);
	return s;
}

static struct tw_test_reflector refl_msg(void)
{
	struct tw_test_reflector r = {
		.seq = SEQ, .ts = TS, .errest = EE, .rx_ts = RX_TS,
		.sender_seq = S_SEQ, .sender_ts = S_TS, .sender_errest = S_EE,
		.sender_ttl = 0xfe, .sender_dscp_ecn = 0xb9,
	};

	for (int i = 0; i < 16; i++)
		r.hmac[i] = (uint8_t)(0xe0 + i);
	return r;
}

static void test_layout_sizes(void **state)
{
	static const struct {
		enum tw_test_mode m;
		bool sym, dscp;
		uint16_t sh, rh, ts, sc, rc;
	} v[] = {
		{ TW_TEST_UNAUTH, false, false, 14, 41, 4, 0, 0 },
		{ TW_TEST_UNAUTH, false, true, 14, 42, 4, 0, 0 },
		{ TW_TEST_UNAUTH, true, false, 41, 41, 4, 0, 0 },
		{ TW_TEST_UNAUTH, true, true, 42, 42, 4, 0, 0 },
		{ TW_TEST_AUTH, false, false, 48, 112, 16, 16, 16 },
		{ TW_TEST_AUTH, true, true, 112, 112, 16, 16, 16 },
		{ TW_TEST_ENC, false, true, 48, 112, 16, 32, 96 },
		{ TW_TEST_ENC, true, false, 112, 112, 16, 32, 96 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct tw_test_layout l = lay(v[i].m, v[i].sym, v[i].dscp, 0);

		assert_int_equal(l.sender_hdr, v[i].sh);
		assert_int_equal(l.refl_hdr, v[i].rh);
		assert_int_equal(l.ts_off, v[i].ts);
		assert_int_equal(l.sender_crypt, v[i].sc);
		assert_int_equal(l.refl_crypt, v[i].rc);
	}
}

static void test_layout_invalid(void **state)
{
	struct tw_test_layout l;

	(void)state;
	assert_int_equal(tw_proto_test_layout_init(&l, (enum tw_test_mode)3, false,
					     false, 0), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_proto_test_layout_init(NULL, TW_TEST_UNAUTH, false,
					     false, 0), -TW_PROTO_E_INVAL);
}

/* RFC 4656 §4.1.2 unauthenticated: Seq | Timestamp | Error Estimate | pad */
static void test_sender_unauth_octets(void **state)
{
	static const uint8_t want[] = {
		0x01, 0x02, 0x03, 0x04,
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x81, 0x23,
		0xaa, 0xbb, 0xcc,
	};
	static const uint8_t pad[] = { 0xaa, 0xbb, 0xcc };
	struct tw_test_layout l = lay(TW_TEST_UNAUTH, false, false, 0);
	struct tw_test_sender s = sender_msg();
	uint8_t buf[64];

	(void)state;
	s.pad = pad;
	s.pad_len = 3;
	assert_int_equal(tw_proto_test_sender_encode(&l, &s, buf, sizeof(buf)), 17);
	assert_memory_equal(buf, want, sizeof(want));
}

/* RFC 4656 §4.1.2 auth/enc: Seq | MBZ 12 | TS | EE | MBZ 6 | HMAC | pad */
static void test_sender_auth_octets(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_AUTH, false, false, 0);
	struct tw_test_sender s = sender_msg();
	uint8_t want[50] = { 0x01, 0x02, 0x03, 0x04 };
	uint8_t buf[64];

	(void)state;
	memcpy(want + 16, ts_oct, 8);
	want[24] = 0x81;
	want[25] = 0x23;
	for (int i = 0; i < 16; i++)
		want[32 + i] = (uint8_t)(0xe0 + i);
	s.pad_len = 2; /* NULL pad: zeros */
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tw_proto_test_sender_encode(&l, &s, buf, sizeof(buf)), 50);
	assert_memory_equal(buf, want, sizeof(want));
}

/* RFC 6038 §5.1.4: 27 MBZ then padding */
static void test_sender_sym_unauth_octets(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_UNAUTH, true, false, 0);
	struct tw_test_sender s = sender_msg();
	static const uint8_t pad[] = { 0x99 };
	uint8_t want[42] = { 0x01, 0x02, 0x03, 0x04 };
	uint8_t buf[64];

	(void)state;
	memcpy(want + 4, ts_oct, 8);
	want[12] = 0x81;
	want[13] = 0x23;
	want[41] = 0x99;
	s.pad = pad;
	s.pad_len = 1;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tw_proto_test_sender_encode(&l, &s, buf, sizeof(buf)), 42);
	assert_memory_equal(buf, want, sizeof(want));
}

/* RFC 7750 §2.2.2 Figure 4: 28 MBZ with DSCP-ECN + Symmetrical Size */
static void test_sender_sym_dscp_octets(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_UNAUTH, true, true, 0);
	struct tw_test_sender s = sender_msg();
	uint8_t want[42] = { 0x01, 0x02, 0x03, 0x04 };
	uint8_t buf[64];

	(void)state;
	memcpy(want + 4, ts_oct, 8);
	want[12] = 0x81;
	want[13] = 0x23;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tw_proto_test_sender_encode(&l, &s, buf, sizeof(buf)), 42);
	assert_memory_equal(buf, want, sizeof(want));
}

/* auth/enc Symmetrical Size: 48 + 64 MBZ (erratum 5045: 112 reflector) */
static void test_sender_sym_auth_octets(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_ENC, true, false, 0);
	struct tw_test_sender s = sender_msg();
	uint8_t want[112] = { 0x01, 0x02, 0x03, 0x04 };
	uint8_t buf[128];

	(void)state;
	memcpy(want + 16, ts_oct, 8);
	want[24] = 0x81;
	want[25] = 0x23;
	for (int i = 0; i < 16; i++)
		want[32 + i] = (uint8_t)(0xe0 + i);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tw_proto_test_sender_encode(&l, &s, buf, sizeof(buf)), 112);
	assert_memory_equal(buf, want, sizeof(want));
}

/* RFC 5357 §4.2.1 unauthenticated reflector, 41 octets */
static void test_reflector_unauth_octets(void **state)
{
	static const uint8_t want[] = {
		0x01, 0x02, 0x03, 0x04,
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x81, 0x23, 0x00, 0x00,
		0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
		0x31, 0x32, 0x33, 0x34,
		0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
		0x0a, 0x0b, 0x00, 0x00,
		0xfe,
		0x77, 0x66,
	};
	static const uint8_t pad[] = { 0x77, 0x66 };
	struct tw_test_layout l = lay(TW_TEST_UNAUTH, false, false, 0);
	struct tw_test_reflector r = refl_msg(); /* dscp not negotiated */
	uint8_t buf[64];

	(void)state;
	r.pad = pad;
	r.pad_len = 2;
	assert_int_equal(tw_proto_test_reflector_encode(&l, &r, buf, sizeof(buf)), 43);
	assert_memory_equal(buf, want, sizeof(want));
}

/* RFC 7750 §2.2.1: S-DSCP-ECN at 41 */
static void test_reflector_dscp_octets(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_UNAUTH, false, true, 0);
	struct tw_test_reflector r = refl_msg();
	uint8_t buf[64];

	(void)state;
	assert_int_equal(tw_proto_test_reflector_encode(&l, &r, buf, sizeof(buf)), 42);
	assert_int_equal(buf[40], 0xfe);
	assert_int_equal(buf[41], 0xb9);
}

static void refl_auth_want(uint8_t want[112], bool dscp)
{
	memset(want, 0, 112);
	want[0] = 0x01; want[1] = 0x02; want[2] = 0x03; want[3] = 0x04;
	memcpy(want + 16, ts_oct, 8);
	want[24] = 0x81;
	want[25] = 0x23;
	memcpy(want + 32, rxts_oct, 8);
	want[48] = 0x31; want[49] = 0x32; want[50] = 0x33; want[51] = 0x34;
	memcpy(want + 64, sts_oct, 8);
	want[72] = 0x0a;
	want[73] = 0x0b;
	want[80] = 0xfe;
	if (dscp)
		want[81] = 0xb9;
	for (int i = 0; i < 16; i++)
		want[96 + i] = (uint8_t)(0xe0 + i);
}

/* RFC 5357 §4.2.1 + erratum 5045: 112-octet auth/enc reflector header */
static void test_reflector_auth_octets(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_AUTH, false, false, 0);
	struct tw_test_reflector r = refl_msg();
	uint8_t want[112], buf[128];

	(void)state;
	refl_auth_want(want, false);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tw_proto_test_reflector_encode(&l, &r, buf, sizeof(buf)), 112);
	assert_memory_equal(buf, want, 112);
}

/* RFC 7750 Figure 3: S-DSCP-ECN at 81 in auth/enc */
static void test_reflector_auth_dscp_octets(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_ENC, false, true, 0);
	struct tw_test_reflector r = refl_msg();
	uint8_t want[112], buf[128];

	(void)state;
	refl_auth_want(want, true);
	assert_int_equal(tw_proto_test_reflector_encode(&l, &r, buf, sizeof(buf)), 112);
	assert_memory_equal(buf, want, 112);
}

static const struct tw_test_layout *all_layouts(size_t *n)
{
	static struct tw_test_layout ls[12];
	static const enum tw_test_mode modes[] = { TW_TEST_UNAUTH, TW_TEST_AUTH,
						   TW_TEST_ENC };
	size_t k = 0;

	for (size_t m = 0; m < 3; m++)
		for (int sym = 0; sym < 2; sym++)
			for (int d = 0; d < 2; d++)
				tw_proto_test_layout_init(&ls[k++], modes[m], sym, d, 0);
	*n = k;
	return ls;
}

static void test_sender_round_trip(void **state)
{
	static const uint8_t pad[5] = { 1, 2, 3, 4, 5 };
	size_t n;
	const struct tw_test_layout *ls = all_layouts(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		struct tw_test_sender s = sender_msg(), d;
		uint8_t buf[200], again[200];
		int len;

		if (ls[i].mode == TW_TEST_UNAUTH)
			memset(s.hmac, 0, sizeof(s.hmac));
		s.pad = pad;
		s.pad_len = 5;
		len = tw_proto_test_sender_encode(&ls[i], &s, buf, sizeof(buf));
		assert_int_equal(len, ls[i].sender_hdr + 5);
		assert_int_equal(tw_proto_test_sender_decode(&ls[i], buf, len, &d), len);
		assert_int_equal(d.seq, SEQ);
		assert_true(d.ts == TS);
		assert_int_equal(d.errest, EE);
		assert_memory_equal(d.hmac, s.hmac, 16);
		assert_ptr_equal(d.pad, buf + ls[i].sender_hdr);
		assert_int_equal(d.pad_len, 5);
		assert_int_equal(tw_proto_test_sender_encode(&ls[i], &d, again,
						       sizeof(again)), len);
		assert_memory_equal(again, buf, len);
	}
}

static void test_reflector_round_trip(void **state)
{
	static const uint8_t pad[3] = { 9, 8, 7 };
	size_t n;
	const struct tw_test_layout *ls = all_layouts(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		struct tw_test_reflector r = refl_msg(), d;
		uint8_t buf[200], again[200];
		int len;

		r.pad = pad;
		r.pad_len = 3;
		len = tw_proto_test_reflector_encode(&ls[i], &r, buf, sizeof(buf));
		assert_int_equal(len, ls[i].refl_hdr + 3);
		assert_int_equal(tw_proto_test_reflector_decode(&ls[i], buf, len, &d), len);
		assert_int_equal(d.seq, SEQ);
		assert_true(d.rx_ts == RX_TS);
		assert_int_equal(d.sender_seq, S_SEQ);
		assert_true(d.sender_ts == S_TS);
		assert_int_equal(d.sender_errest, S_EE);
		assert_int_equal(d.sender_ttl, 0xfe);
		assert_int_equal(d.sender_dscp_ecn, ls[i].dscp_ecn ? 0xb9 : 0);
		assert_int_equal(d.pad_len, 3);
		assert_int_equal(tw_proto_test_reflector_encode(&ls[i], &d, again,
							  sizeof(again)), len);
		assert_memory_equal(again, buf, len);
	}
}

static void test_decode_ignores_mbz(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_AUTH, false, false, 0);
	struct tw_test_reflector d;
	uint8_t buf[112];

	(void)state;
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(tw_proto_test_reflector_decode(&l, buf, sizeof(buf), &d), 112);
	assert_int_equal(d.sender_dscp_ecn, 0); /* not negotiated: MBZ */
	assert_int_equal(d.seq, 0xffffffffu);
}

static void test_truncation_every_length(void **state)
{
	size_t n;
	const struct tw_test_layout *ls = all_layouts(&n);
	uint8_t buf[200] = { 0 };

	(void)state;
	for (size_t i = 0; i < n; i++) {
		for (size_t len = 0; len < ls[i].sender_hdr; len++) {
			struct tw_test_sender s;

			assert_int_equal(tw_proto_test_sender_decode(&ls[i], buf, len, &s),
					 -TW_PROTO_E_TRUNCATED);
		}
		for (size_t len = 0; len < ls[i].refl_hdr; len++) {
			struct tw_test_reflector r;

			assert_int_equal(tw_proto_test_reflector_decode(&ls[i], buf, len, &r),
					 -TW_PROTO_E_TRUNCATED);
		}
	}
}

static void test_encode_nospace_every_cap(void **state)
{
	size_t n;
	const struct tw_test_layout *ls = all_layouts(&n);
	uint8_t buf[200];

	(void)state;
	for (size_t i = 0; i < n; i++) {
		struct tw_test_sender s = sender_msg();
		struct tw_test_reflector r = refl_msg();

		s.pad_len = 4;
		r.pad_len = 4;
		for (size_t cap = 0; cap < ls[i].sender_hdr + 4u; cap++)
			assert_int_equal(tw_proto_test_sender_encode(&ls[i], &s, buf, cap),
					 -TW_PROTO_E_NOSPACE);
		for (size_t cap = 0; cap < ls[i].refl_hdr + 4u; cap++)
			assert_int_equal(tw_proto_test_reflector_encode(&ls[i], &r, buf, cap),
					 -TW_PROTO_E_NOSPACE);
	}
}

static void test_huge_lengths(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_UNAUTH, false, false, 0);
	struct tw_test_sender s = sender_msg();
	struct tw_test_reflector r = refl_msg();
	uint8_t buf[64] = { 0 };

	(void)state;
	s.pad_len = UINT32_MAX;
	r.pad_len = UINT32_MAX;
	assert_int_equal(tw_proto_test_sender_encode(&l, &s, buf, SIZE_MAX),
			 -TW_PROTO_E_LENGTH);
	assert_int_equal(tw_proto_test_reflector_encode(&l, &r, buf, SIZE_MAX),
			 -TW_PROTO_E_LENGTH);
	s.pad_len = TW_TEST_MAX_LEN - 13;
	assert_int_equal(tw_proto_test_sender_encode(&l, &s, buf, SIZE_MAX),
			 -TW_PROTO_E_LENGTH);
	assert_int_equal(tw_proto_test_sender_decode(&l, buf, TW_TEST_MAX_LEN + 1, &s),
			 -TW_PROTO_E_LENGTH);
	assert_int_equal(tw_proto_test_reflector_decode(&l, buf, SIZE_MAX, &r),
			 -TW_PROTO_E_LENGTH);
}

static void test_owamp_names(void **state)
{
	struct tw_test_layout l;
	struct tw_test_sender s = sender_msg(), d;
	uint8_t a[64], b[64];

	(void)state;
	assert_int_equal(tw_proto_owamp_test_layout_init(&l, TW_TEST_ENC), 0);
	assert_int_equal(l.sender_hdr, 48);
	assert_int_equal(tw_proto_owamp_test_encode(&l, &s, a, sizeof(a)), 48);
	assert_int_equal(tw_proto_test_sender_encode(&l, &s, b, sizeof(b)), 48);
	assert_memory_equal(a, b, 48);
	assert_int_equal(tw_proto_owamp_test_decode(&l, a, 48, &d), 48);
	assert_int_equal(d.seq, SEQ);
}

static void test_reply_len_unauth(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_UNAUTH, false, false, 0);

	(void)state;
	assert_int_equal(tw_proto_test_reply_len(&l, 0), -TW_PROTO_E_TRUNCATED);
	assert_int_equal(tw_proto_test_reply_len(&l, 13), -TW_PROTO_E_TRUNCATED);
	assert_int_equal(tw_proto_test_reply_len(&l, 14), 41);
	assert_int_equal(tw_proto_test_reply_len(&l, 15), 41);
	assert_int_equal(tw_proto_test_reply_len(&l, 41), 41);
	assert_int_equal(tw_proto_test_reply_len(&l, 42), 42);
	assert_int_equal(tw_proto_test_reply_len(&l, 1000), 1000);
	assert_int_equal(tw_proto_test_reply_len(&l, TW_TEST_MAX_LEN), TW_TEST_MAX_LEN);
	assert_int_equal(tw_proto_test_reply_len(&l, TW_TEST_MAX_LEN + 1),
			 -TW_PROTO_E_LENGTH);
	assert_int_equal(tw_proto_test_reply_len(&l, UINT32_MAX), -TW_PROTO_E_LENGTH);
	assert_int_equal(tw_proto_test_reply_len(&l, SIZE_MAX), -TW_PROTO_E_LENGTH);
}

static void test_reply_len_auth_and_sym(void **state)
{
	struct tw_test_layout a = lay(TW_TEST_AUTH, false, false, 0);
	struct tw_test_layout s = lay(TW_TEST_ENC, true, false, 0);
	struct tw_test_layout d = lay(TW_TEST_UNAUTH, false, true, 0);

	(void)state;
	assert_int_equal(tw_proto_test_reply_len(&a, 47), -TW_PROTO_E_TRUNCATED);
	assert_int_equal(tw_proto_test_reply_len(&a, 48), 112);
	assert_int_equal(tw_proto_test_reply_len(&a, 104), 112); /* RFC text's 104 */
	assert_int_equal(tw_proto_test_reply_len(&a, 112), 112);
	assert_int_equal(tw_proto_test_reply_len(&a, 113), 113);
	assert_int_equal(tw_proto_test_reply_len(&s, 111), -TW_PROTO_E_TRUNCATED);
	assert_int_equal(tw_proto_test_reply_len(&s, 112), 112);
	assert_int_equal(tw_proto_test_reply_len(&d, 14), 42);
	assert_int_equal(tw_proto_test_reply_len(&d, 42), 42);
}

static void test_reply_len_reflect_octets(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_UNAUTH, false, false, 10);
	struct tw_test_layout big = lay(TW_TEST_UNAUTH, false, false, 65535);

	(void)state;
	assert_int_equal(tw_proto_test_reply_len(&l, 23), -TW_PROTO_E_PADDING);
	assert_int_equal(tw_proto_test_reply_len(&l, 24), 51);
	assert_int_equal(tw_proto_test_reply_len(&l, 51), 51);
	assert_int_equal(tw_proto_test_reply_len(&l, 52), 52);
	/* cannot be carried: padding to reflect exceeds any datagram */
	assert_int_equal(tw_proto_test_reply_len(&big, TW_TEST_MAX_LEN),
			 -TW_PROTO_E_PADDING);
}

static void test_session_sizes(void **state)
{
	struct tw_test_layout u = lay(TW_TEST_UNAUTH, false, false, 0);
	struct tw_test_layout a = lay(TW_TEST_AUTH, false, false, 0);
	struct tw_test_sizes z;

	(void)state;
	assert_int_equal(tw_proto_test_session_sizes(&u, 0, &z), 0);
	assert_int_equal(z.sender_len, 14);
	assert_int_equal(z.reply_len, 41);
	assert_false(z.symmetric);
	assert_int_equal(tw_proto_test_session_sizes(&u, 27, &z), 0);
	assert_int_equal(z.sender_len, 41);
	assert_int_equal(z.reply_len, 41);
	assert_true(z.symmetric);
	assert_int_equal(tw_proto_test_session_sizes(&a, 56, &z), 0); /* RFC's 56 */
	assert_int_equal(z.sender_len, 104);
	assert_int_equal(z.reply_len, 112);
	assert_false(z.symmetric);
	assert_int_equal(tw_proto_test_session_sizes(&a, 64, &z), 0);
	assert_true(z.symmetric);
	assert_int_equal(z.reply_len, 112);
}

static void test_session_sizes_huge(void **state)
{
	struct tw_test_layout u = lay(TW_TEST_UNAUTH, false, false, 0);
	struct tw_test_layout r = lay(TW_TEST_UNAUTH, false, false, 100);
	struct tw_test_layout big = lay(TW_TEST_UNAUTH, false, false, 65535);
	struct tw_test_sizes z;

	(void)state;
	assert_int_equal(tw_proto_test_session_sizes(&u, TW_TEST_MAX_LEN - 14, &z), 0);
	assert_int_equal(z.sender_len, TW_TEST_MAX_LEN);
	assert_int_equal(tw_proto_test_session_sizes(&u, TW_TEST_MAX_LEN - 13, &z),
			 -TW_PROTO_E_PADDING);
	assert_int_equal(tw_proto_test_session_sizes(&u, UINT32_MAX, &z),
			 -TW_PROTO_E_PADDING);
	assert_int_equal(tw_proto_test_session_sizes(&u, UINT32_MAX - 13, &z),
			 -TW_PROTO_E_PADDING);
	assert_int_equal(tw_proto_test_session_sizes(&r, 99, &z), -TW_PROTO_E_PADDING);
	assert_int_equal(tw_proto_test_session_sizes(&r, 100, &z), 0);
	assert_int_equal(z.reply_len, 141);
	assert_int_equal(tw_proto_test_session_sizes(&big, 65513, &z),
			 -TW_PROTO_E_PADDING);
}

static void test_equal_padding(void **state)
{
	(void)state;
	struct tw_test_layout a = lay(TW_TEST_UNAUTH, false, false, 0);
	struct tw_test_layout b = lay(TW_TEST_UNAUTH, false, true, 0);
	struct tw_test_layout c = lay(TW_TEST_AUTH, false, false, 0);
	struct tw_test_layout d = lay(TW_TEST_UNAUTH, true, true, 0);
	struct tw_test_layout e = lay(TW_TEST_ENC, true, false, 7);
	struct tw_test_layout f = lay(TW_TEST_UNAUTH, false, false, 10);

	assert_int_equal(tw_proto_test_equal_padding(&a), 27);
	assert_int_equal(tw_proto_test_equal_padding(&b), 28);
	assert_int_equal(tw_proto_test_equal_padding(&c), 64);
	assert_int_equal(tw_proto_test_equal_padding(&d), 0);
	assert_int_equal(tw_proto_test_equal_padding(&e), 7);
	assert_int_equal(tw_proto_test_equal_padding(&f), 37);
}

static void test_sender_write_and_ts(void **state)
{
	struct tw_test_layout u = lay(TW_TEST_UNAUTH, false, false, 0);
	struct tw_test_layout a = lay(TW_TEST_AUTH, true, false, 0);
	struct tw_test_sender d;
	uint8_t buf[128];

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(tw_proto_test_sender_write(&u, buf, 20, SEQ, EE), 14);
	tw_proto_test_set_ts(&u, buf, TS);
	assert_int_equal(tw_proto_test_sender_decode(&u, buf, 20, &d), 20);
	assert_int_equal(d.seq, SEQ);
	assert_true(d.ts == TS);
	assert_int_equal(d.errest, EE);
	assert_int_equal(buf[14], 0x5a); /* padding untouched */
	assert_int_equal(tw_proto_test_get_seq(buf), SEQ);
	assert_int_equal(tw_proto_test_sender_write(&u, buf, 13, SEQ, EE),
			 -TW_PROTO_E_NOSPACE);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(tw_proto_test_sender_write(&a, buf, 120, 7, EE), 112);
	tw_proto_test_set_ts(&a, buf, TS);
	assert_memory_equal(buf + 16, ts_oct, 8);
	assert_true(tw_proto_is_zero(buf + 4, 12));
	assert_true(tw_proto_is_zero(buf + 26, 112 - 26));
	assert_int_equal(buf[112], 0x5a);
}

static const struct tw_test_reflect_info rinfo = {
	.seq = 77, .rx_ts = RX_TS, .errest = 0x0101, .ttl = 61, .dscp_ecn = 0xb9,
};

static void check_reply(const struct tw_test_layout *l, const uint8_t *buf,
			int len, uint32_t sseq, tw_ntp_t sts, uint16_t see)
{
	struct tw_test_reflector d;

	assert_int_equal(tw_proto_test_reflector_decode(l, buf, (size_t)len, &d), len);
	assert_int_equal(d.seq, 77);
	assert_true(d.ts == 0);
	assert_int_equal(d.errest, 0x0101);
	assert_true(d.rx_ts == RX_TS);
	assert_int_equal(d.sender_seq, sseq);
	assert_true(d.sender_ts == sts);
	assert_int_equal(d.sender_errest, see);
	assert_int_equal(d.sender_ttl, 61);
	assert_int_equal(d.sender_dscp_ecn, l->dscp_ecn ? 0xb9 : 0);
}

static void test_reflect_inplace_unauth(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_UNAUTH, false, false, 0);
	struct tw_test_sender s = sender_msg();
	uint8_t pad[46], buf[128];
	int n;

	(void)state;
	for (int i = 0; i < 46; i++)
		pad[i] = (uint8_t)(i + 1);
	s.pad = pad;
	s.pad_len = 46;
	assert_int_equal(tw_proto_test_sender_encode(&l, &s, buf, sizeof(buf)), 60);
	n = tw_proto_test_reflect_inplace(&l, buf, 60, sizeof(buf), &rinfo);
	assert_int_equal(n, 60);
	check_reply(&l, buf, n, SEQ, TS, EE);
	/* sender padding reused, highest-numbered octets dropped */
	assert_memory_equal(buf + 41, pad, 19);
}

static void test_reflect_inplace_short_no_stale(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_UNAUTH, false, false, 0);
	struct tw_test_reflector r = refl_msg();
	struct tw_test_sender s = sender_msg();
	uint8_t buf[64], want[64];
	int n;

	(void)state;
	memset(buf, 0xee, sizeof(buf)); /* stale buffer contents */
	assert_int_equal(tw_proto_test_sender_encode(&l, &s, buf, sizeof(buf)), 14);
	n = tw_proto_test_reflect_inplace(&l, buf, 14, 41, &rinfo);
	assert_int_equal(n, 41);
	r.seq = 77;
	r.ts = 0;
	r.errest = 0x0101;
	r.sender_seq = SEQ;
	r.sender_ts = TS;
	r.sender_errest = EE;
	r.sender_ttl = 61;
	assert_int_equal(tw_proto_test_reflector_encode(&l, &r, want, sizeof(want)), 41);
	assert_memory_equal(buf, want, 41);
}

static void test_reflect_inplace_errors(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_UNAUTH, false, false, 0);
	uint8_t buf[64] = { 0 };

	(void)state;
	assert_int_equal(tw_proto_test_reflect_inplace(&l, buf, 14, 40, &rinfo),
			 -TW_PROTO_E_NOSPACE);
	assert_int_equal(tw_proto_test_reflect_inplace(&l, buf, 13, 64, &rinfo),
			 -TW_PROTO_E_TRUNCATED);
	assert_int_equal(tw_proto_test_reflect_inplace(&l, buf, SIZE_MAX, SIZE_MAX,
						 &rinfo), -TW_PROTO_E_LENGTH);
}

static void test_reflect_inplace_auth(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_ENC, false, true, 0);
	struct tw_test_sender s = sender_msg();
	uint8_t buf[160];
	int n;

	(void)state;
	s.pad_len = 64;
	assert_int_equal(tw_proto_test_sender_encode(&l, &s, buf, sizeof(buf)), 112);
	n = tw_proto_test_reflect_inplace(&l, buf, 112, sizeof(buf), &rinfo);
	assert_int_equal(n, 112);
	check_reply(&l, buf, n, SEQ, TS, EE);
	assert_true(tw_proto_is_zero(buf + TW_TEST_REFL_HMAC_OFF, 16));
	assert_true(tw_proto_is_zero(buf + 4, 12));
	assert_true(tw_proto_is_zero(buf + 82, 14));
}

static void test_reflect_inplace_sym(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_UNAUTH, true, false, 0);
	struct tw_test_sender s = sender_msg();
	uint8_t pad[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, buf[64];
	int n;

	(void)state;
	s.pad = pad;
	s.pad_len = 9;
	assert_int_equal(tw_proto_test_sender_encode(&l, &s, buf, sizeof(buf)), 50);
	n = tw_proto_test_reflect_inplace(&l, buf, 50, sizeof(buf), &rinfo);
	assert_int_equal(n, 50);
	check_reply(&l, buf, n, SEQ, TS, EE);
	assert_memory_equal(buf + 41, pad, 9); /* whole padding, same place */
}

static void test_reflect_inplace_reflect_octets(void **state)
{
	struct tw_test_layout l = lay(TW_TEST_UNAUTH, false, false, 4);
	struct tw_test_sender s = sender_msg();
	uint8_t pad[6] = { 'A', 'B', 'C', 'D', 'x', 'y' }, buf[64];
	int n;

	(void)state;
	s.pad = pad;
	s.pad_len = 6;
	assert_int_equal(tw_proto_test_sender_encode(&l, &s, buf, sizeof(buf)), 20);
	n = tw_proto_test_reflect_inplace(&l, buf, 20, sizeof(buf), &rinfo);
	assert_int_equal(n, 45);
	check_reply(&l, buf, n, SEQ, TS, EE);
	assert_memory_equal(buf + 41, "ABCD", 4);
}

static void test_reflect_inplace_dscp(void **state)
{
	struct tw_test_layout on = lay(TW_TEST_UNAUTH, false, true, 0);
	struct tw_test_layout off = lay(TW_TEST_UNAUTH, false, false, 0);
	struct tw_test_sender s = sender_msg();
	uint8_t pad[30], buf[64];

	(void)state;
	memset(pad, 0x33, sizeof(pad));
	s.pad = pad;
	s.pad_len = 30;
	tw_proto_test_sender_encode(&on, &s, buf, sizeof(buf));
	assert_int_equal(tw_proto_test_reflect_inplace(&on, buf, 44, 64, &rinfo), 44);
	assert_int_equal(buf[41], 0xb9);
	assert_int_equal(buf[42], 0x33);
	tw_proto_test_sender_encode(&off, &s, buf, sizeof(buf));
	assert_int_equal(tw_proto_test_reflect_inplace(&off, buf, 44, 64, &rinfo), 44);
	assert_int_equal(buf[41], 0x33); /* padding, not S-DSCP-ECN */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_sizes),
		cmocka_unit_test(test_layout_invalid),
		cmocka_unit_test(test_sender_unauth_octets),
		cmocka_unit_test(test_sender_auth_octets),
		cmocka_unit_test(test_sender_sym_unauth_octets),
		cmocka_unit_test(test_sender_sym_dscp_octets),
		cmocka_unit_test(test_sender_sym_auth_octets),
		cmocka_unit_test(test_reflector_unauth_octets),
		cmocka_unit_test(test_reflector_dscp_octets),
		cmocka_unit_test(test_reflector_auth_octets),
		cmocka_unit_test(test_reflector_auth_dscp_octets),
		cmocka_unit_test(test_sender_round_trip),
		cmocka_unit_test(test_reflector_round_trip),
		cmocka_unit_test(test_decode_ignores_mbz),
		cmocka_unit_test(test_truncation_every_length),
		cmocka_unit_test(test_encode_nospace_every_cap),
		cmocka_unit_test(test_huge_lengths),
		cmocka_unit_test(test_owamp_names),
		cmocka_unit_test(test_reply_len_unauth),
		cmocka_unit_test(test_reply_len_auth_and_sym),
		cmocka_unit_test(test_reply_len_reflect_octets),
		cmocka_unit_test(test_session_sizes),
		cmocka_unit_test(test_session_sizes_huge),
		cmocka_unit_test(test_equal_padding),
		cmocka_unit_test(test_sender_write_and_ts),
		cmocka_unit_test(test_reflect_inplace_unauth),
		cmocka_unit_test(test_reflect_inplace_short_no_stale),
		cmocka_unit_test(test_reflect_inplace_errors),
		cmocka_unit_test(test_reflect_inplace_auth),
		cmocka_unit_test(test_reflect_inplace_sym),
		cmocka_unit_test(test_reflect_inplace_reflect_octets),
		cmocka_unit_test(test_reflect_inplace_dscp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
