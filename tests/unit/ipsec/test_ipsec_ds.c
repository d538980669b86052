/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DS field across the tunnel (tw_ipsec_ds.h), no EAL: the RFC 6040
 * §4.2 decapsulation table (all 16 arriving combinations), the outer DS
 * field of RFC 4301 §5.1.2.1 / RFC 6040 §4.1, and the header writes (the
 * IPv4 checksum still verifies, the IPv6 flow label stays).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tw_ipsec_ds.h"

enum { N = TW_ECN_NOT_ECT, E1 = TW_ECN_ECT1, E0 = TW_ECN_ECT0, CE = TW_ECN_CE, D = TW_ECN_DROP };

/* RFC 6040 Figure 4 (normal mode), row = arriving inner, column = arriving
 * outer (Not-ECT, ECT(0), ECT(1), CE): the departing inner header */
static void test_decap_table(void **state)
{
	static const struct {
		unsigned inner;
		int out[4];   /* outer Not-ECT, ECT(0), ECT(1), CE */
	} fig4[] = {
		{ N,  { N,  N,  N,  D } },
		{ E0, { E0, E0, E1, CE } },
		{ E1, { E1, E1, E1, CE } },
		{ CE, { CE, CE, CE, CE } },
	};
	static const unsigned outer[4] = { N, E0, E1, CE };
	unsigned cases = 0;

	(void)state;
	for (unsigned r = 0; r < 4; r++)
		for (unsigned c = 0; c < 4; c++) {
			int got = tw_ipsec_ecn_decap(outer[c], fig4[r].inner);

			if (got != fig4[r].out[c])
				fail_msg("inner %u outer %u: got %d, RFC 6040 says %d",
					 fig4[r].inner, outer[c], got, fig4[r].out[c]);
			/* the DSCP bits around the ECN field do not matter */
			assert_int_equal(tw_ipsec_ecn_decap(0xb8u | outer[c], 0x28u | fig4[r].inner),
					 got);
			cases++;
		}
	assert_int_equal(cases, 16);
}

/* RFC 4301 §5.1.2.1 + RFC 6040 §4.1 normal mode */
static void test_outer_ds(void **state)
{
	(void)state;
	/* copy: DSCP and ECN as inside */
	for (unsigned ds = 0; ds < 256; ds++)
		assert_int_equal(tw_ipsec_outer_ds((uint8_t)ds, false, 17), ds);
	/* configured DSCP, ECN still copied */
	assert_int_equal(tw_ipsec_outer_ds(0xb8 | E0, true, 10), 10 << 2 | E0);
	assert_int_equal(tw_ipsec_outer_ds(0xb8 | CE, true, 0), CE);
	assert_int_equal(tw_ipsec_outer_ds(0x00, true, 63), 0xfc);
	assert_int_equal(tw_ipsec_outer_ds(0xff, true, 46), 0xbb);
}

static uint16_t v4_sum(const uint8_t *h)
{
	uint32_t s = 0;

	for (unsigned i = 0; i < 20; i += 2)
		s += (uint32_t)h[i] << 8 | h[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void v4_fill(uint8_t *h, uint8_t tos)
{
	static const uint8_t base[20] = { 0x45, 0, 0, 72, 0x12, 0x34, 0x40, 0, 255, 17, 0, 0,
					  198, 18, 0, 2, 198, 18, 0, 1 };
	uint16_t ck;

	memcpy(h, base, 20);
	h[1] = tos;
	ck = (uint16_t)~v4_sum(h);
	h[10] = (uint8_t)(ck >> 8);
	h[11] = (uint8_t)ck;
}

/* RFC 1624: the incrementally updated checksum verifies for every change */
static void test_ds_set_v4(void **state)
{
	uint8_t h[20], ref[20];

	(void)state;
	for (unsigned from = 0; from < 256; from++)
		for (unsigned to = 0; to < 256; to += 3) {
			v4_fill(h, (uint8_t)from);
			assert_int_equal(tw_ipsec_ds_get(h), from);
			tw_ipsec_ds_set(h, (uint8_t)to);
			assert_int_equal(tw_ipsec_ds_get(h), to);
			assert_int_equal(v4_sum(h), 0xffff);
			v4_fill(ref, (uint8_t)to);
			assert_memory_equal(h, ref, 20);
		}
}

static void test_ds_set_v6(void **state)
{
	/* version 6, traffic class 0xb9, flow label 0xabcde */
	uint8_t h[40] = { 0x6b, 0x9a, 0xbc, 0xde, 0, 8, 17, 64 };

	(void)state;
	assert_int_equal(tw_ipsec_ds_get(h), 0xb9);
	tw_ipsec_ds_set(h, 0x2b);
	assert_int_equal(tw_ipsec_ds_get(h), 0x2b);
	assert_int_equal(h[0], 0x62);
	assert_int_equal(h[1], 0xba);
	assert_int_equal(h[2], 0xbc);
	assert_int_equal(h[3], 0xde);
	assert_int_equal(h[6], 17);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decap_table),
		cmocka_unit_test(test_outer_ds),
		cmocka_unit_test(test_ds_set_v4),
		cmocka_unit_test(test_ds_set_v6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
