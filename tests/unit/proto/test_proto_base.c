/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for lib/proto/tw_proto.c: errors, NTP/PTP timestamps, Error Estimate. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tw_proto.h"

#define NTP_EPOCH ((uint64_t)TW_NTP_UNIX_OFFSET << 32)

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(tw_proto_strerror(0), "ok");
	assert_string_equal(tw_proto_strerror(-TW_PROTO_E_TRUNCATED),
			    "input shorter than the message");
	assert_string_equal(tw_proto_strerror(TW_PROTO_E_TLV), "malformed TLV");
	assert_string_equal(tw_proto_strerror(-TW_PROTO_E__MAX), "unknown error");
	assert_string_equal(tw_proto_strerror(-100000), "unknown error");
}

static void test_be_access(void **state)
{
	uint8_t b[8];

	(void)state;
	tw_put_be16(b, 0x1234);
	assert_int_equal(b[0], 0x12);
	assert_int_equal(b[1], 0x34);
	tw_put_be32(b, 0xdeadbeef);
	assert_int_equal(tw_get_be32(b), 0xdeadbeef);
	assert_int_equal(b[0], 0xde);
	tw_put_be64(b, 0x0102030405060708ull);
	for (int i = 0; i < 8; i++)
		assert_int_equal(b[i], i + 1);
	assert_true(tw_get_be64(b) == 0x0102030405060708ull);
	assert_int_equal(tw_get_be16(b + 6), 0x0708);
}

static void test_is_zero(void **state)
{
	uint8_t b[5] = { 0 };

	(void)state;
	assert_true(tw_proto_is_zero(b, 5));
	assert_true(tw_proto_is_zero(b, 0));
	b[4] = 1;
	assert_false(tw_proto_is_zero(b, 5));
	assert_true(tw_proto_is_zero(b, 4));
}

static void test_ntp_epoch(void **state)
{
	(void)state;
	assert_true(tw_ntp_from_unix(0, 0) == NTP_EPOCH);
	/* 2024-01-01T00:00:00Z = 1704067200 Unix = 3913056000 NTP */
	assert_true(tw_ntp_from_unix(1704067200, 0) == (uint64_t)3913056000u << 32);
}

static void test_ntp_fraction_rounding(void **state)
{
	(void)state;
	/* half a second is exactly 2^31 */
	assert_true((tw_ntp_from_unix(0, 500000000) & UINT32_MAX) == 0x80000000u);
	/* 1 ns = 4.29 units -> 4 (rounded to nearest) */
	assert_true((tw_ntp_from_unix(0, 1) & UINT32_MAX) == 4);
	/* just below a second rounds to 0xfffffffc, never carries */
	assert_true(tw_ntp_from_unix(0, 999999999) == (NTP_EPOCH | 0xfffffffcu));
	assert_true((tw_ntp_from_unix(0, 123456789) & UINT32_MAX) == 0x1f9add37u);
	/* caller error nsec >= 1e9 saturates the fraction */
	assert_true(tw_ntp_from_unix(0, 1000000000u) == (NTP_EPOCH | 0xffffffffu));
}

static void test_ntp_to_unix(void **state)
{
	int64_t s;
	uint32_t ns;

	(void)state;
	tw_ntp_to_unix(NTP_EPOCH | 0x80000000u, &s, &ns);
	assert_int_equal(s, 0);
	assert_int_equal(ns, 500000000);
	/* rounded down: 0x1f9add37 is 123456788.99 ns */
	tw_ntp_to_unix(tw_ntp_from_unix(1704067200, 123456789), &s, &ns);
	assert_int_equal(s, 1704067200);
	assert_int_equal(ns, 123456788);
	tw_ntp_to_unix(tw_ntp_from_unix(5, 999999999), &s, &ns);
	assert_int_equal(s, 5);
	assert_int_equal(ns, 999999999);
	/* before 1970: negative Unix seconds */
	tw_ntp_to_unix(0, &s, &ns);
	assert_int_equal(s, -(int64_t)TW_NTP_UNIX_OFFSET);
	assert_int_equal(ns, 0);
}

static void test_ntp_diff(void **state)
{
	tw_ntp_t a = tw_ntp_from_unix(1000, 250000000);
	tw_ntp_t b = tw_ntp_from_unix(1001, 750000000);

	(void)state;
	assert_int_equal(tw_ntp_diff_ns(b, a), 1500000000);
	assert_int_equal(tw_ntp_diff_ns(a, b), -1500000000);
	assert_int_equal(tw_ntp_diff_ns(a, a), 0);
	/* one fraction unit below: floor gives -1 ns, not 0 */
	assert_int_equal(tw_ntp_diff_ns(a - 1, a), -1);
	assert_int_equal(tw_ntp_diff_ns(a + 1, a), 0);
	/* sub-microsecond precision survives at 2024 magnitudes */
	a = tw_ntp_from_unix(1704067200, 100);
	b = tw_ntp_from_unix(1704067200, 1100);
	assert_in_range(tw_ntp_diff_ns(b, a), 999, 1001);
	assert_in_range(tw_ntp_diff_ns(a, b), -1001, -999);
}

static void test_ptp_from_ntp(void **state)
{
	struct tw_ptp_ts p;

	(void)state;
	assert_int_equal(tw_ptp_from_ntp(tw_ntp_from_unix(1700000000, 500000000),
					 37, &p), 0);
	assert_int_equal(p.sec, 1700000037);
	assert_int_equal(p.nsec, 500000000);
	/* 1900 is before the PTP epoch */
	assert_int_equal(tw_ptp_from_ntp(0, 37, &p), -TW_PROTO_E_RANGE);
	/* just after 1970 UTC is fine with a TAI offset */
	assert_int_equal(tw_ptp_from_ntp(NTP_EPOCH, 37, &p), 0);
	assert_int_equal(p.sec, 37);
}

static void test_ptp_to_ntp(void **state)
{
	struct tw_ptp_ts p = { .sec = 1700000037, .nsec = 250000000 };
	tw_ntp_t n;

	(void)state;
	assert_int_equal(tw_ptp_to_ntp(&p, 37, &n), 0);
	assert_true(n == tw_ntp_from_unix(1700000000, 250000000));
	p.nsec = 1000000000;
	assert_int_equal(tw_ptp_to_ntp(&p, 37, &n), -TW_PROTO_E_RANGE);
	/* beyond NTP era 0 (2036) */
	p.sec = UINT32_MAX;
	p.nsec = 0;
	assert_int_equal(tw_ptp_to_ntp(&p, 0, &n), -TW_PROTO_E_RANGE);
}

static void test_ptp_round_trip(void **state)
{
	struct tw_ptp_ts p;
	tw_ntp_t n = tw_ntp_from_unix(1800000000, 999999999), back;
	int64_t s1, s2;
	uint32_t ns1, ns2;

	(void)state;
	assert_int_equal(tw_ptp_from_ntp(n, 37, &p), 0);
	assert_int_equal(tw_ptp_to_ntp(&p, 37, &back), 0);
	tw_ntp_to_unix(n, &s1, &ns1);
	tw_ntp_to_unix(back, &s2, &ns2);
	assert_int_equal(s1, s2);
	assert_in_range(ns2, ns1 - 1, ns1 + 1);
}

static void test_errest_decode(void **state)
{
	struct tw_errest e;

	(void)state;
	assert_int_equal(tw_errest_decode(0x8101, &e), 0);
	assert_true(e.synced);
	assert_false(e.ptp);
	assert_int_equal(e.scale, 1);
	assert_int_equal(e.multiplier, 1);
	assert_int_equal(tw_errest_decode(0x7fff, &e), 0);
	assert_false(e.synced);
	assert_true(e.ptp);
	assert_int_equal(e.scale, 63);
	assert_int_equal(e.multiplier, 255);
}

static void test_errest_multiplier_zero(void **state)
{
	struct tw_errest e = { .scale = 9, .multiplier = 9 };

	(void)state;
	assert_int_equal(tw_errest_decode(0x0000, &e), -TW_PROTO_E_MULTIPLIER);
	assert_int_equal(tw_errest_decode(0xff00, &e), -TW_PROTO_E_MULTIPLIER);
	/* out untouched on failure */
	assert_int_equal(e.scale, 9);
	assert_int_equal(e.multiplier, 9);
}

static void test_errest_encode(void **state)
{
	struct tw_errest e = { .synced = true, .ptp = false, .scale = 0x3f,
			       .multiplier = 0x12 };

	(void)state;
	assert_int_equal(tw_errest_encode(&e), 0xbf12);
	e.synced = false;
	e.ptp = true;
	e.scale = 1;
	e.multiplier = 1;
	assert_int_equal(tw_errest_encode(&e), 0x4101);
	e.multiplier = 0;
	assert_int_equal(tw_errest_encode(&e), 0);
	e.multiplier = 1;
	e.scale = 64;
	assert_int_equal(tw_errest_encode(&e), 0);
}

static void test_errest_round_trip(void **state)
{
	(void)state;
	for (unsigned raw = 0; raw <= 0xffff; raw += 7) {
		struct tw_errest e;

		if (tw_errest_decode((uint16_t)raw, &e) == 0)
			assert_int_equal(tw_errest_encode(&e), raw);
	}
}

static void test_errest_from_ns(void **state)
{
	struct tw_errest e;

	(void)state;
	e = tw_errest_from_ns(0, true, false);
	assert_int_equal(e.multiplier, 1);
	assert_int_equal(e.scale, 0);
	assert_true(e.synced);
	/* 1 us = 4294.97 units -> ceil 4295 -> scale 5, ceil(4295/32) = 135 */
	e = tw_errest_from_ns(1000, false, true);
	assert_int_equal(e.scale, 5);
	assert_int_equal(e.multiplier, 135);
	assert_true(e.ptp);
	assert_false(e.synced);
}

static void test_errest_to_ns(void **state)
{
	struct tw_errest e = { .scale = 32, .multiplier = 1 };

	(void)state;
	assert_true(tw_errest_to_ns(&e) == 1000000000u);
	e.scale = 5;
	e.multiplier = 135;
	assert_true(tw_errest_to_ns(&e) == 1005);
	e.scale = 63;
	e.multiplier = 255;
	assert_true(tw_errest_to_ns(&e) == UINT64_MAX);
}

static void test_errest_never_flatters(void **state)
{
	static const uint64_t v[] = { 1, 2, 233, 1000, 4096, 999999, 1000000,
				      123456789, 1000000000, 3600000000000ull,
				      1ull << 40, 1ull << 62 };

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct tw_errest e = tw_errest_from_ns(v[i], false, false);

		assert_int_not_equal(e.multiplier, 0);
		assert_true(e.scale <= 63);
		assert_true(tw_errest_to_ns(&e) + 1 >= v[i]);
		assert_int_not_equal(tw_errest_encode(&e), 0);
	}
}

static void test_errest_saturates(void **state)
{
	struct tw_errest e = tw_errest_from_ns(UINT64_MAX, true, false);

	(void)state;
	assert_int_not_equal(e.multiplier, 0);
	assert_true(e.scale <= 63);
	assert_int_not_equal(tw_errest_encode(&e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_be_access),
		cmocka_unit_test(test_is_zero),
		cmocka_unit_test(test_ntp_epoch),
		cmocka_unit_test(test_ntp_fraction_rounding),
		cmocka_unit_test(test_ntp_to_unix),
		cmocka_unit_test(test_ntp_diff),
		cmocka_unit_test(test_ptp_from_ntp),
		cmocka_unit_test(test_ptp_to_ntp),
		cmocka_unit_test(test_ptp_round_trip),
		cmocka_unit_test(test_errest_decode),
		cmocka_unit_test(test_errest_multiplier_zero),
		cmocka_unit_test(test_errest_encode),
		cmocka_unit_test(test_errest_round_trip),
		cmocka_unit_test(test_errest_from_ns),
		cmocka_unit_test(test_errest_to_ns),
		cmocka_unit_test(test_errest_never_flatters),
		cmocka_unit_test(test_errest_saturates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
