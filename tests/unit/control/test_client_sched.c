/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_sched: RFC 4656 §5 exponential deviates (Appendix B vectors, an
 * independent python3-cryptography implementation, statistics) and §3.6
 * schedules.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "tw_sched.h"

#ifndef SCHED_REF_PY
#define SCHED_REF_PY "tests/unit/control/sched_ref.py"
#endif

static void hex2sid(const char *hex, uint8_t sid[16])
{
	for (int i = 0; i < 16; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		sid[i] = (uint8_t)v;
	}
}

static struct tw_sched *exp_sched(const char *hex, uint64_t mean)
{
	struct tw_owamp_slot slot = { .type = TW_OWAMP_SLOT_EXP, .parameter = mean };
	uint8_t sid[16];
	struct tw_sched *s;

	hex2sid(hex, sid);
	s = tw_sched_create(sid, &slot, 1);
	assert_non_null(s);
	return s;
}

/* RFC 4656 Appendix B: the sum of 1,000,000 deviates for four SIDs. */
static void test_appendix_b(void **state)
{
	static const struct {
		const char *sid;
		uint64_t sum;
	} tv[] = {
		{ "2872979303ab47eeac028dab3829dab2", 0x000f4479bd317381ull },
		{ "0102030405060708090a0b0c0d0e0f00", 0x000f433686466a62ull },
		{ "deadbeefdeadbeefdeadbeefdeadbeef", 0x000f416c8884d2d3ull },
		{ "feed0feed1feed2feed3feed4feed5ab", 0x000f3f0b4b416ec8ull },
	};
	(void)state;
	for (size_t t = 0; t < sizeof(tv) / sizeof(tv[0]); t++) {
		struct tw_sched *s = exp_sched(tv[t].sid, 1ull << 32);
		uint64_t sum = 0, off = 0;

		for (int i = 0; i < 1000000; i++)
			sum += tw_sched_exp_rand(s);
		assert_int_equal(sum, tv[t].sum);
		/* the schedule with a 1 s mean produces the same sum as offset */
		tw_sched_reset(s);
		for (int i = 0; i < 1000000; i++)
			off = tw_sched_next_ntp(s);
		assert_int_equal(off, tv[t].sum);
		assert_int_equal(tw_sched_count(s), 1000000);
		tw_sched_destroy(s);
	}
}

/*
 * Hand-worked first deviate: AES-128-ECB(SID, counter 0) computed here with
 * OpenSSL directly; its first 32 bits are U. Algorithm S by hand: count
 * the leading ones (j), shift them and the zero out; if U < ln2 the result
 * is j ln2 + U, else the minimum of k new uniforms (the next words of the
 * same block) times ... which we only check for the immediate case.
 */
static void test_hand_worked(void **state)
{
	static const char *sids[] = {
		"0102030405060708090a0b0c0d0e0f00",
		"2872979303ab47eeac028dab3829dab2",
		"deadbeefdeadbeefdeadbeefdeadbeef",
		"00000000000000000000000000000000",
		"ffffffffffffffffffffffffffffffff",
	};
	unsigned immediate = 0;

	(void)state;
	for (size_t t = 0; t < sizeof(sids) / sizeof(sids[0]); t++) {
		uint8_t sid[16], zero[16] = { 0 }, blk[16];
		EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
		int outl = 0;
		uint32_t u, j = 0;
		uint64_t uf, want, v;
		struct tw_sched *s = exp_sched(sids[t], 1ull << 32);

		hex2sid(sids[t], sid);
		assert_int_equal(EVP_EncryptInit_ex(x, EVP_aes_128_ecb(), NULL, sid, NULL), 1);
		EVP_CIPHER_CTX_set_padding(x, 0);
		assert_int_equal(EVP_EncryptUpdate(x, blk, &outl, zero, 16), 1);
		EVP_CIPHER_CTX_free(x);
		u = (uint32_t)blk[0] << 24 | (uint32_t)blk[1] << 16 |
		    (uint32_t)blk[2] << 8 | blk[3];
		while (j < 32 && (u & (0x80000000u >> j)))
			j++;
		uf = j < 31 ? (uint64_t)(u << (j + 1)) & 0xFFFFFFFFu : 0;
		v = tw_sched_exp_rand(s);
		if (uf < 0xB17217F8u) {
			/* j * ln2 in 32.32 is (j << 32) * 0xB17217F8 >> 32 */
			want = (uint64_t)j * 0xB17217F8u + uf;
			assert_int_equal(v, want);
			immediate++;
		} else {
			/* min of k >= 2 uniforms, times ln2: below (j+1) ln2 */
			assert_true(v >= (uint64_t)j * 0xB17217F8u);
			assert_true(v < (uint64_t)(j + 1) * 0xB17217F8u);
		}
		tw_sched_destroy(s);
	}
	assert_true(immediate > 0);
}

/* The same sequence from an independent python3-cryptography implementation. */
static void check_python(const char *sid_hex, uint64_t mean, bool scaled, int n)
{
	char cmd[512], line[64];
	struct tw_sched *s = exp_sched(sid_hex, mean);
	FILE *p;
	int i = 0;

	if (access("/usr/bin/python3", X_OK) != 0 || access(SCHED_REF_PY, R_OK) != 0) {
		tw_sched_destroy(s);
		skip();
	}
	if (scaled)
		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s %d %" PRIx64,
			 SCHED_REF_PY, sid_hex, n, mean);
	else
		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s %d",
			 SCHED_REF_PY, sid_hex, n);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		uint64_t want = strtoull(line, NULL, 16);
		uint64_t got = scaled ? tw_sched_next_interval(s) : tw_sched_exp_rand(s);

		if (got != want)
			fail_msg("%s #%d: C %016" PRIx64 " python %016" PRIx64,
				 sid_hex, i, got, want);
		i++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(i, n);
	tw_sched_destroy(s);
}

static void test_python_reference(void **state)
{
	(void)state;
	check_python("0102030405060708090a0b0c0d0e0f00", 1ull << 32, false, 20000);
	/* mean 1 ms and 37.5 µs (1 Mpps-class Poisson) */
	check_python("feed0feed1feed2feed3feed4feed5ab", tw_sched_ns_to_ntp(1000000),
		     true, 20000);
	check_python("a5a5a5a5000000011111111122222222", tw_sched_ns_to_ntp(37500),
		     true, 20000);
}

/* Exponential distribution: mean, variance, P(X < mean) = 1 - 1/e. */
static void test_statistics(void **state)
{
	const int n = 100000;
	const uint64_t mean_ns = 1000000;
	struct tw_sched *s = exp_sched("2872979303ab47eeac028dab3829dab2",
				       tw_sched_ns_to_ntp(mean_ns));
	double sum = 0, sum2 = 0, below = 0;

	(void)state;
	for (int i = 0; i < n; i++) {
		double x = (double)tw_sched_ntp_to_ns(tw_sched_next_interval(s));

		sum += x;
		sum2 += x * x;
		below += x < (double)mean_ns;
	}
	double m = sum / n, var = sum2 / n - m * m;

	/* 3 sigma of the sample mean is 0.95 %; the sequence is fixed by the SID */
	assert_true(fabs(m / mean_ns - 1.0) < 0.02);
	assert_true(fabs(sqrt(var) / mean_ns - 1.0) < 0.03);
	assert_true(fabs(below / n - (1.0 - exp(-1.0))) < 0.01);
	tw_sched_destroy(s);
}

static void test_periodic_and_slots(void **state)
{
	struct tw_owamp_slot pair[2] = {
		{ .type = TW_OWAMP_SLOT_EXP, .parameter = tw_sched_ns_to_ntp(500000) },
		{ .type = TW_OWAMP_SLOT_FIXED, .parameter = 0 },
	};
	uint8_t sid[16];
	struct tw_sched *s = tw_sched_create_periodic(1000000);
	uint64_t p = tw_sched_ns_to_ntp(1000000), prev = 0;

	(void)state;
	assert_non_null(s);
	assert_int_equal(p, 4294967u); /* 1 ms = 0.001 * 2^32, rounded */
	for (uint64_t k = 1; k <= 100000; k++)
		assert_int_equal(tw_sched_next(s), k * 1000000); /* exact, no drift */
	assert_int_equal(tw_sched_next_interval(s), p);
	tw_sched_destroy(s);
	/* a fixed slot from the wire: exact sum in NTP units, converted once */
	{
		struct tw_owamp_slot fx = { .type = TW_OWAMP_SLOT_FIXED, .parameter = p };

		s = tw_sched_create(NULL, &fx, 1);
		assert_non_null(s);
		for (uint64_t k = 1; k <= 100000; k++)
			assert_int_equal(tw_sched_next(s), tw_sched_ntp_to_ns(k * p));
		tw_sched_destroy(s);
	}

	/* RFC 4656 §3.6: Poisson stream of back-to-back pairs */
	hex2sid("deadbeefdeadbeefdeadbeefdeadbeef", sid);
	s = tw_sched_create(sid, pair, 2);
	assert_non_null(s);
	for (int i = 0; i < 1000; i++) {
		uint64_t off = tw_sched_next_ntp(s);

		if (i % 2)
			assert_int_equal(off, prev);
		else
			assert_true(off >= prev);
		prev = off;
	}
	/* reset restarts the generator: same first offsets */
	tw_sched_reset(s);
	{
		struct tw_sched *t = tw_sched_create(sid, pair, 2);

		for (int i = 0; i < 100; i++)
			assert_int_equal(tw_sched_next_ntp(s), tw_sched_next_ntp(t));
		tw_sched_destroy(t);
	}
	tw_sched_destroy(s);

	/* conversions */
	assert_int_equal(tw_sched_ns_to_ntp(1000000000ull), 1ull << 32);
	assert_int_equal(tw_sched_ntp_to_ns(1ull << 32), 1000000000ull);
	assert_int_equal(tw_sched_ntp_to_ns(tw_sched_ns_to_ntp(123456789)), 123456789);
	assert_int_equal(tw_sched_mul(3ull << 31, 2ull << 32), 3ull << 32); /* 1.5 * 2 */
	assert_int_equal(tw_sched_mul(0xFFFFFFFFFFFFFFFFull, 1ull << 32),
			 0xFFFFFFFFFFFFFFFFull);
}

static void test_bad_input(void **state)
{
	struct tw_owamp_slot bad = { .type = 2, .parameter = 1 };
	struct tw_owamp_slot ex = { .type = TW_OWAMP_SLOT_EXP, .parameter = 1 };
	uint8_t sid[16] = { 1 };

	(void)state;
	errno = 0;
	assert_null(tw_sched_create(sid, NULL, 1));
	assert_int_equal(errno, EINVAL);
	assert_null(tw_sched_create(sid, &ex, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(tw_sched_create(sid, &bad, 1));
	assert_int_equal(errno, EINVAL);
	assert_null(tw_sched_create(NULL, &ex, 1));
	assert_int_equal(errno, EINVAL);
	assert_null(tw_sched_create(sid, &ex, TW_SCHED_SLOTS_MAX + 1));
	assert_int_equal(errno, EINVAL);
	tw_sched_destroy(NULL);
}

/* Not an assertion: the cost per packet, for docs/performance.md. */
static void test_speed(void **state)
{
	struct tw_sched *s = exp_sched("feed0feed1feed2feed3feed4feed5ab",
				       tw_sched_ns_to_ntp(1000));
	struct timespec a, b;
	const int n = 2000000;
	uint64_t x = 0;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++)
		x += tw_sched_next(s);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("# tw_sched_next (Poisson): %.1f ns per packet (%d packets, chk %" PRIu64 ")\n",
	       ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n,
	       n, x & 0xff);
	tw_sched_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appendix_b),
		cmocka_unit_test(test_hand_worked),
		cmocka_unit_test(test_python_reference),
		cmocka_unit_test(test_statistics),
		cmocka_unit_test(test_periodic_and_slots),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests_name("client_sched", tests, NULL, NULL);
}
