/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp's choice of the outbound SA for a sender test stream
 * (app/twamp-dp/spd.c): RFC 4301 §4.4.1 selectors over key-import Child
 * SAs (RFC 7296 §3.13.1 ranges), the newest installed one wins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "spd.h"

static struct tw_keyimp_ts ts4(const char *lo, const char *hi, uint8_t proto, uint16_t plo,
			       uint16_t phi)
{
	struct tw_keyimp_ts t = { .proto = proto, .port_lo = plo, .port_hi = phi };

	assert_int_equal(tw_keyimp_addr_parse(lo, &t.from), 0);
	assert_int_equal(tw_keyimp_addr_parse(hi, &t.to), 0);
	return t;
}

/* An outbound Child SA A (198.51.100.1) -> B (198.51.100.2), UDP any port. */
static struct tw_keyimp_child child(uint32_t spi, int dir)
{
	struct tw_keyimp_child c;

	memset(&c, 0, sizeof(c));
	c.spi = spi;
	c.dir = (uint8_t)dir;
	c.proto = TW_KEYIMP_ESP;
	c.n_ts_local = 1;
	c.ts_local[0] = ts4("198.51.100.1", "198.51.100.1", 17, 0, 65535);
	c.n_ts_remote = 1;
	c.ts_remote[0] = ts4("198.51.100.2", "198.51.100.2", 17, 0, 65535);
	return c;
}

static struct app_spd_flow flow(void)
{
	struct app_spd_flow f = { .family = AF_INET, .proto = 17, .sport = 50001,
				  .dport = 862 };
	static const uint8_t a[4] = { 198, 51, 100, 1 }, b[4] = { 198, 51, 100, 2 };

	memcpy(f.src, a, 4);
	memcpy(f.dst, b, 4);
	return f;
}

static void test_ts_holds(void **state)
{
	struct tw_keyimp_ts t = ts4("10.0.0.0", "10.0.0.255", 17, 862, 863);
	struct tw_keyimp_ts any = ts4("0.0.0.0", "255.255.255.255", 0, 0, 65535);
	struct tw_keyimp_ts v6 = ts4("2001:db8::", "2001:db8::ffff", 0, 0, 65535);
	static const uint8_t in[4] = { 10, 0, 0, 7 }, lo[4] = { 10, 0, 0, 0 },
			     hi[4] = { 10, 0, 0, 255 }, out[4] = { 10, 0, 1, 0 };
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	(void)state;
	assert_true(app_spd_ts_holds(&t, AF_INET, in, 17, 862));
	assert_true(app_spd_ts_holds(&t, AF_INET, lo, 17, 863));   /* inclusive */
	assert_true(app_spd_ts_holds(&t, AF_INET, hi, 17, 862));
	assert_false(app_spd_ts_holds(&t, AF_INET, out, 17, 862));  /* address */
	assert_false(app_spd_ts_holds(&t, AF_INET, in, 6, 862));    /* protocol */
	assert_false(app_spd_ts_holds(&t, AF_INET, in, 17, 864));   /* port */
	assert_false(app_spd_ts_holds(&t, AF_INET, in, 17, 861));
	assert_true(app_spd_ts_holds(&any, AF_INET, out, 50, 0));    /* 0 = any protocol */
	assert_false(app_spd_ts_holds(&any, AF_INET6, a6, 17, 862)); /* family */
	a6[15] = 1;
	assert_true(app_spd_ts_holds(&v6, AF_INET6, a6, 17, 862));
	a6[13] = 1;
	assert_false(app_spd_ts_holds(&v6, AF_INET6, a6, 17, 862));
}

static void test_covers(void **state)
{
	struct tw_keyimp_child c = child(0x1001, TW_KEYIMP_DIR_OUT);
	struct app_spd_flow f = flow();

	(void)state;
	assert_true(app_spd_covers(&c, &f));
	/* an inbound SA protects nothing we send */
	c.dir = TW_KEYIMP_DIR_IN;
	assert_false(app_spd_covers(&c, &f));
	c.dir = TW_KEYIMP_DIR_OUT;
	/* reversed selectors: the stream's source is the remote side */
	c.ts_local[0] = ts4("198.51.100.2", "198.51.100.2", 17, 0, 65535);
	c.ts_remote[0] = ts4("198.51.100.1", "198.51.100.1", 17, 0, 65535);
	assert_false(app_spd_covers(&c, &f));
	/* the second remote selector names the destination port */
	c = child(0x1001, TW_KEYIMP_DIR_OUT);
	c.ts_remote[0] = ts4("198.51.100.2", "198.51.100.2", 17, 861, 861);
	assert_false(app_spd_covers(&c, &f));
	c.ts_remote[1] = ts4("198.51.100.0", "198.51.100.255", 17, 862, 862);
	c.n_ts_remote = 2;
	assert_true(app_spd_covers(&c, &f));
	/* TCP-only selectors (the control connection) leave the UDP stream */
	c = child(0x1001, TW_KEYIMP_DIR_OUT);
	c.ts_local[0].proto = 6;
	assert_false(app_spd_covers(&c, &f));
	/* no selector at all covers nothing */
	c = child(0x1001, TW_KEYIMP_DIR_OUT);
	c.n_ts_local = 0;
	assert_false(app_spd_covers(&c, &f));
}

static void test_select_newest(void **state)
{
	struct tw_keyimp_child c[4];
	uint64_t serial[4] = { 3, 7, 9, 0 };
	struct app_spd_flow f = flow();

	(void)state;
	c[0] = child(0x1001, TW_KEYIMP_DIR_OUT);
	c[1] = child(0x1002, TW_KEYIMP_DIR_OUT);   /* the rekeyed one */
	c[2] = child(0x2002, TW_KEYIMP_DIR_IN);    /* newer, but inbound */
	c[3] = child(0x1003, TW_KEYIMP_DIR_OUT);   /* not in the data plane */
	assert_int_equal(app_spd_select(c, serial, 4, &f), 1);
	/* the old one deleted (after the rekey): the new one stays */
	serial[0] = 0;
	assert_int_equal(app_spd_select(c, serial, 4, &f), 1);
	/* a newer rekey installed: it wins */
	serial[3] = 10;
	assert_int_equal(app_spd_select(c, serial, 4, &f), 3);
	/* nothing covers another destination */
	f.dst[3] = 9;
	assert_int_equal(app_spd_select(c, serial, 4, &f), -1);
	assert_int_equal(app_spd_select(c, serial, 0, &f), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ts_holds),
		cmocka_unit_test(test_covers),
		cmocka_unit_test(test_select_newest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
