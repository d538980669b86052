/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/stats unit tests: hand-made cases for every metric, bad input, the
 * invariant sent = received + lost + in_flight, and the writers' output
 * parsed back (JSON with python3's json, CSV/JSONL by hand). */

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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>

#include "tw_stats.h"

#define T0_SEC 1790000000ull /* 2026-09 */
#define MS 1000000ll
#define US 1000ll
#define SYNC (TW_ERREST_S | 0x0001u) /* S, scale 0, multiplier 1: 0.23 ns */
#define NOSYNC 0x0001u

static char tmpdir[64];

/* Delays come from NTP timestamps built from ns and converted back (both
 * directions round): allow 1 ns. */
#define assert_ns(a, b) assert_true(llabs((long long)(a) - (long long)(b)) <= 1)

/* NTP time T0 + ns */
static tw_ntp_t at(int64_t ns)
{
	uint64_t t = T0_SEC * 1000000000u + (uint64_t)ns; /* ns may be < 0 */
	return tw_ntp_from_unix(t / 1000000000u, (uint32_t)(t % 1000000000u));
}

/* A round-trip record: sent at t1 (ns after T0), forward delay, reflector
 * processing time, backward delay. */
static struct tw_stats_rec rt_rec(uint32_t seq, uint32_t rseq, int64_t t1, int64_t fwd,
				  int64_t proc, int64_t back)
{
	struct tw_stats_rec r;

	memset(&r, 0, sizeof(r));
	r.seq = seq;
	r.refl_seq = rseq;
	r.t1 = at(t1);
	r.t2 = at(t1 + fwd);
	r.t3 = at(t1 + fwd + proc);
	r.t4 = at(t1 + fwd + proc + back);
	r.e1 = r.e2 = r.e4 = SYNC;
	r.ttl_fwd = 253;
	r.ttl_back = 252;
	r.tos_back = 0;
	return r;
}

static struct tw_stats_rec ow_rec(uint32_t seq, int64_t t1, int64_t t2)
{
	struct tw_stats_rec r;

	memset(&r, 0, sizeof(r));
	r.seq = seq;
	r.t1 = at(t1);
	r.t2 = at(t2);
	r.e1 = r.e2 = SYNC;
	r.flags = TW_STATS_REC_ONEWAY;
	return r;
}

static struct tw_stats *mk(enum tw_stats_kind kind, enum tw_stats_rseq rseq)
{
	struct tw_stats_conf c;

	tw_stats_conf_init(&c);
	c.kind = kind;
	c.rseq = rseq;
	c.timeout_ns = 1000 * MS;
	struct tw_stats *s = tw_stats_create(&c);
	assert_non_null(s);
	return s;
}

static struct tw_stats_result res(const struct tw_stats *s)
{
	struct tw_stats_result r;

	assert_int_equal(tw_stats_result(s, &r), 0);
	assert_int_equal(r.sent, r.received + r.lost + r.in_flight);
	if (r.finished)
		assert_int_equal(r.in_flight, 0);
	assert_true(r.late <= r.lost && r.lost_window <= r.lost);
	assert_true(r.lost_fwd <= r.lost && r.lost_back <= r.lost && r.lost_unknown <= r.lost);
	assert_true(r.dup_fwd <= r.dup && r.dup_back <= r.dup);
	assert_true(r.reordered <= r.received);
	if (r.dir_known && r.kind == TW_STATS_ROUNDTRIP)
		assert_int_equal(r.lost, r.lost_fwd + r.lost_back + r.lost_unknown + r.late);
	if (r.dup_dir_known)
		assert_int_equal(r.dup, r.dup_fwd + r.dup_back);
	return r;
}

/* Send seq 0..n-1, 10 ms apart. */
static void send_n(struct tw_stats *s, uint32_t first, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(tw_stats_sent(s, first + i, at((int64_t)i * 10 * MS)), 0);
}

/* ---- counts ------------------------------------------------------------ */

static void test_empty(void **state)
{
	(void)state;
	struct tw_stats *s = mk(TW_STATS_ROUNDTRIP, TW_STATS_RSEQ_AUTO);
	struct tw_stats_result r = res(s);
	assert_int_equal(r.sent, 0);
	assert_false(r.finished);
	assert_int_equal(tw_stats_finish(s), 0);
	r = res(s);
	assert_true(r.finished);
	assert_int_equal(r.sent + r.received + r.lost + r.dup, 0);
	assert_int_equal(r.d[TW_STATS_D_RTT].n, 0);
	assert_true(r.loss_ratio == 0.0);
	assert_false(r.fwd_synced);
	tw_stats_destroy(s);
}

static void test_all_lost(void **state)
{
	(void)state;
	struct tw_stats *s = mk(TW_STATS_ROUNDTRIP, TW_STATS_RSEQ_AUTO);
	send_n(s, 0, 10);
	struct tw_stats_result r = res(s);
	assert_int_equal(r.in_flight, 10);
	assert_int_equal(r.lost, 0);
	tw_stats_finish(s);
	r = res(s);
	assert_int_equal(r.lost, 10);
	assert_int_equal(r.received, 0);
	assert_true(r.loss_ratio == 1.0);
	/* no reply at all: AUTO cannot tell a counter from a copier */
	assert_false(r.dir_known);
	tw_stats_destroy(s);

	s = mk(TW_STATS_ROUNDTRIP, TW_STATS_RSEQ_COUNTER);
	send_n(s, 0, 10);
	tw_stats_finish(s);
	r = res(s);
	assert_true(r.dir_known);
	assert_int_equal(r.lost_unknown, 10); /* nothing came back: either way */
	tw_stats_destroy(s);
}

/* Loss at the start, in the middle (both directions) and at the end, with a
 * reflector that counts (RFC 5357 §4.2.1). */
static void test_loss_directions(void **state)
{
	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		struct tw_stats *s = mk(TW_STATS_ROUNDTRIP,
					mode ? TW_STATS_RSEQ_AUTO : TW_STATS_RSEQ_COUNTER);
		send_n(s, 0, 10);
		/* the reflector got 1,2,3,5,6,7,8,9 (0 and 4 lost forward) and
		 * numbered them 0..7; the replies to 6 (r 4) and 9 (r 7) were
		 * lost on the way back */
		const uint32_t got[][2] = { { 1, 0 }, { 2, 1 }, { 3, 2 }, { 5, 3 }, { 7, 5 }, { 8, 6 } };
		for (unsigned i = 0; i < 6; i++) {
			struct tw_stats_rec rec = rt_rec(got[i][0], got[i][1], got[i][0] * 10 * MS,
							 MS, 10 * US, MS);
			assert_int_equal(tw_stats_recv(s, &rec), 0);
		}
		struct tw_stats_result r = res(s);
		assert_int_equal(r.received, 6);
		assert_int_equal(r.in_flight, 4);
		tw_stats_finish(s);
		r = res(s);
		assert_int_equal(r.lost, 4);
		assert_true(r.dir_known);
		assert_int_equal(r.lost_fwd, 2);
		assert_int_equal(r.lost_back, 1);
		assert_int_equal(r.lost_unknown, 1);
		assert_true(r.loss_ratio == 0.4);
		tw_stats_destroy(s);
	}
}

/* A reflector that copies the sender's numbers: the split is unknown. */
static void test_loss_copier(void **state)
{
	(void)state;
	struct tw_stats *s = mk(TW_STATS_ROUNDTRIP, TW_STATS_RSEQ_AUTO);
	send_n(s, 0, 5);
	for (uint32_t i = 0; i < 5; i++) {
		if (i == 2)
			continue;
		struct tw_stats_rec rec = rt_rec(i, i, i * 10 * MS, MS, 0, MS);
		assert_int_equal(tw_stats_recv(s, &rec), 0);
	}
	tw_stats_finish(s);
	struct tw_stats_result r = res(s);
	assert_int_equal(r.lost, 1);
	assert_false(r.dir_known);
	assert_int_equal(r.lost_fwd + r.lost_back + r.lost_unknown, 0);
	tw_stats_destroy(s);

	s = mk(TW_STATS_ROUNDTRIP, TW_STATS_RSEQ_COPY);
	send_n(s, 0, 3);
	struct tw_stats_rec rec = rt_rec(0, 7, 0, MS, 0, MS);
	tw_stats_recv(s, &rec);
	tw_stats_finish(s);
	r = res(s);
	assert_false(r.dir_known);
	assert_false(r.dup_dir_known);
	tw_stats_destroy(s);
}

/* RFC 5560: a further copy is a duplicate, not received twice; its reflector
 * number tells where it was duplicated. */
static void test_duplicates(void **state)
{
	(void)state;
	struct tw_stats *s = mk(TW_STATS_ROUNDTRIP, TW_STATS_RSEQ_COUNTER);
	send_n(s, 0, 3);
	struct tw_stats_rec a = rt_rec(0, 0, 0, MS, 0, MS);
	struct tw_stats_rec b = rt_rec(1, 1, 10 * MS, MS, 0, MS);
	struct tw_stats_rec b2 = rt_rec(1, 2, 10 * MS, 2 * MS, 0, MS); /* reflected twice */
	struct tw_stats_rec c = rt_rec(2, 3, 20 * MS, MS, 0, MS);
	assert_int_equal(tw_stats_recv(s, &a), 0);
	assert_int_equal(tw_stats_recv(s, &a), 0); /* reply duplicated */
	assert_int_equal(tw_stats_recv(s, &b), 0);
	assert_int_equal(tw_stats_recv(s, &b2), 0);
	assert_int_equal(tw_stats_recv(s, &c), 0);
	assert_int_equal(tw_stats_recv(s, &c), 0);
	assert_int_equal(tw_stats_recv(s, &c), 0);
	tw_stats_finish(s);
	struct tw_stats_result r = res(s);
	assert_int_equal(r.received, 3);
	assert_int_equal(r.lost, 0);
	assert_int_equal(r.dup, 4);
	assert_true(r.dup_dir_known);
	assert_int_equal(r.dup_fwd, 1);
	assert_int_equal(r.dup_back, 3);
	assert_int_equal(r.d[TW_STATS_D_RTT].n, 3); /* delays of first copies only */
	assert_int_equal(r.reordered, 0);
	tw_stats_destroy(s);
}

/* ---- reordering (RFC 4737 §7 examples) -------------------------------- */

static struct tw_stats_result ow_arrivals(const unsigned *seq, unsigned n,
					  const int64_t *dst_us, unsigned total)
{
	struct tw_stats *s = mk(TW_STATS_ONEWAY, TW_STATS_RSEQ_AUTO);
	for (unsigned i = 1; i <= total; i++)
		assert_int_equal(tw_stats_sent(s, i, at((int64_t)(i - 1) * 20 * US)), 0);
	for (unsigned i = 0; i < n; i++) {
		int64_t src = (int64_t)(seq[i] - 1) * 20 * US;
		int64_t dst = dst_us ? dst_us[i] * US : src + 68 * US + (int64_t)i;
		struct tw_stats_rec r = ow_rec(seq[i], src, dst);
		assert_int_equal(tw_stats_recv(s, &r), 0);
	}
	tw_stats_finish(s);
	struct tw_stats_result r = res(s);
	tw_stats_destroy(s);
	return r;
}

static void test_reorder_rfc4737_table3(void **state)
{
	(void)state;
	/* §7.3, Table 3: packets 4, 5, 6 with long transit times */
	static const unsigned seq[] = { 1, 2, 3, 7, 8, 9, 10, 4, 5, 6, 11 };
	static const int64_t dst[] = { 68, 88, 108, 188, 208, 228, 248, 250, 252, 256, 268 };
	struct tw_stats_result r = ow_arrivals(seq, 11, dst, 11);

	assert_int_equal(r.received, 11);
	assert_int_equal(r.reordered, 3);
	assert_int_equal(r.extent_max, 6); /* e = 4, 5, 6 */
	assert_true(r.extent_mean == 5.0);
	assert_ns(r.late_time_max_ns, 68 * US); /* 62, 64, 68 */
	/* packet 4 is 4-reordered; 5 and 6 are not n-reordered */
	for (unsigned i = 0; i < TW_STATS_NREORD_MAX; i++)
		assert_int_equal(r.nreord[i], i == 3 ? 1 : 0);
	/* delays by sequence number: 68 68 68 190 172 156 68 68 68 68 68 us
	 * IPDV (RFC 5481 §4.1): 0 0 122 -18 -16 -88 0 0 0 0 */
	const struct tw_stats_dist *ip = &r.d[TW_STATS_D_IPDV_FWD];
	assert_int_equal(ip->n, 10);
	assert_ns(ip->min_ns, -88 * US);
	assert_ns(ip->max_ns, 122 * US);
	assert_ns(ip->median_ns, 0);
	assert_true(fabs(ip->mean_ns) <= 1);
	/* PDV (§4.2): D - 68 us: 0 x8, 88, 104, 122 */
	const struct tw_stats_dist *pdv = &r.d[TW_STATS_D_PDV_FWD];
	assert_int_equal(pdv->n, 11);
	assert_ns(pdv->min_ns, 0);
	assert_ns(pdv->max_ns, 122 * US);
	assert_ns(pdv->median_ns, 0);
	assert_ns(pdv->pct_ns[0], 104 * US); /* p90: rank 10 of 11 */
	assert_ns(pdv->pct_ns[1], 122 * US); /* p99: rank 11 */
	assert_true(r.fwd_synced);
}

static void test_reorder_rfc4737_examples(void **state)
{
	(void)state;
	/* §7.2: s = 1,2,3,4,7,5,6,8,9,10: 5 (e=1, 1-reordered) and 6 (e=2) */
	static const unsigned a[] = { 1, 2, 3, 4, 7, 5, 6, 8, 9, 10 };
	struct tw_stats_result r = ow_arrivals(a, 10, NULL, 10);
	assert_int_equal(r.reordered, 2);
	assert_int_equal(r.extent_max, 2);
	assert_true(r.extent_mean == 1.5);
	assert_int_equal(r.nreord[0], 1);
	for (unsigned i = 1; i < TW_STATS_NREORD_MAX; i++)
		assert_int_equal(r.nreord[i], 0);

	/* §5.3: s = 1,2,3,7,8,9,4,5,6: only 4 is n-reordered, n = 3 */
	static const unsigned b[] = { 1, 2, 3, 7, 8, 9, 4, 5, 6 };
	r = ow_arrivals(b, 9, NULL, 9);
	assert_int_equal(r.reordered, 3);
	assert_int_equal(r.nreord[2], 1);
	assert_int_equal(r.nreord[0] + r.nreord[1], 0);
	assert_int_equal(r.extent_max, 5); /* 4: e=3, 5: e=4, 6: e=5 */

	/* §7.1 style: one packet (2) arriving after 10 later ones */
	static const unsigned c[] = { 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 2 };
	r = ow_arrivals(c, 12, NULL, 12);
	assert_int_equal(r.reordered, 1);
	assert_int_equal(r.extent_max, 10);
	assert_int_equal(r.nreord[9], 1);

	/* more than TW_STATS_NREORD_MAX early packets: counted in the last cell */
	unsigned d[40];
	for (unsigned i = 0; i < 39; i++)
		d[i] = i + 2;
	d[39] = 1;
	r = ow_arrivals(d, 40, NULL, 40);
	assert_int_equal(r.nreord[TW_STATS_NREORD_MAX - 1], 1);
	assert_int_equal(r.extent_max, 39);

	/* in order: nothing */
	static const unsigned e[] = { 1, 2, 3, 4 };
	r = ow_arrivals(e, 4, NULL, 4);
	assert_int_equal(r.reordered + r.extent_max, 0);
}

/* ---- delays ----------------------------------------------------------- */

static void test_rtt_definitions(void **state)
{
	(void)state;
	struct tw_stats *s = mk(TW_STATS_ROUNDTRIP, TW_STATS_RSEQ_COUNTER);
	send_n(s, 0, 2);
	/* fwd 3 ms, processing 1 ms, back 2 ms */
	struct tw_stats_rec a = rt_rec(0, 0, 0, 3 * MS, 1 * MS, 2 * MS);
	struct tw_stats_rec b = rt_rec(1, 1, 10 * MS, 4 * MS, 1 * MS, 2 * MS);
	tw_stats_recv(s, &a);
	tw_stats_recv(s, &b);
	tw_stats_finish(s);
	struct tw_stats_result r = res(s);
	assert_ns(r.d[TW_STATS_D_RTT].min_ns, 5 * MS);   /* (t4-t1)-(t3-t2) */
	assert_ns(r.d[TW_STATS_D_RTT].max_ns, 6 * MS);
	assert_ns(r.d[TW_STATS_D_RTT_RAW].min_ns, 6 * MS); /* t4-t1 */
	assert_ns(r.d[TW_STATS_D_PROC].max_ns, 1 * MS);    /* t3-t2 */
	assert_ns(r.d[TW_STATS_D_FWD].min_ns, 3 * MS);     /* t2-t1 */
	assert_ns(r.d[TW_STATS_D_FWD].max_ns, 4 * MS);
	assert_ns(r.d[TW_STATS_D_BACK].median_ns, 2 * MS); /* t4-t3 */
	assert_true(fabs(r.d[TW_STATS_D_RTT].mean_ns - 5.5 * MS) <= 1);
	assert_true(fabs(r.d[TW_STATS_D_RTT].stddev_ns - 0.5 * MS) <= 1);
	assert_int_equal(r.d[TW_STATS_D_IPDV_RTT].n, 1);
	assert_ns(r.d[TW_STATS_D_IPDV_RTT].min_ns, 1 * MS);
	assert_ns(r.d[TW_STATS_D_IPDV_FWD].min_ns, 1 * MS);
	assert_ns(r.d[TW_STATS_D_IPDV_BACK].min_ns, 0);
	assert_true(r.fwd_synced && r.back_synced);
	/* Error Estimates: multiplier 1, scale 0 = 2^-32 s each */
	assert_true(r.err_rtt_ns > 0.46 && r.err_rtt_ns < 0.47);
	assert_int_equal(r.hops_fwd.min, 2);
	assert_int_equal(r.hops_back.max, 3);
	assert_int_equal(r.ttl_init, 255);
	tw_stats_destroy(s);
}

/* One-way delays are flagged unless both ends say they are synchronised. */
static void test_clock_sync(void **state)
{
	(void)state;
	static const struct {
		enum tw_stats_clock clock;
		uint16_t e1, e2, e4;
		bool fwd, back;
	} cases[] = {
		{ TW_STATS_CLOCK_AUTO, SYNC, SYNC, SYNC, true, true },
		{ TW_STATS_CLOCK_AUTO, SYNC, NOSYNC, SYNC, false, false },
		{ TW_STATS_CLOCK_AUTO, SYNC, SYNC, NOSYNC, true, false },
		{ TW_STATS_CLOCK_AUTO, NOSYNC, SYNC, SYNC, false, true },
		{ TW_STATS_CLOCK_SYNCED, NOSYNC, NOSYNC, NOSYNC, true, true },
		{ TW_STATS_CLOCK_UNSYNCED, SYNC, SYNC, SYNC, false, false },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tw_stats_conf c;
		tw_stats_conf_init(&c);
		c.clock = cases[i].clock;
		struct tw_stats *s = tw_stats_create(&c);
		assert_non_null(s);
		send_n(s, 0, 2);
		struct tw_stats_rec a = rt_rec(0, 0, 0, MS, 0, MS);
		struct tw_stats_rec b = rt_rec(1, 1, 10 * MS, MS, 0, MS);
		b.e1 = cases[i].e1;
		b.e2 = cases[i].e2;
		b.e4 = cases[i].e4;
		tw_stats_recv(s, &a);
		tw_stats_recv(s, &b);
		struct tw_stats_result r = res(s);
		assert_int_equal(r.fwd_synced, cases[i].fwd);
		assert_int_equal(r.back_synced, cases[i].back);
		tw_stats_destroy(s);
	}

	/* one way, receiver clock 5 s ahead and not synchronised: delays are
	 * still reported (flagged), IPDV is offset-free */
	struct tw_stats *s = mk(TW_STATS_ONEWAY, TW_STATS_RSEQ_AUTO);
	send_n(s, 0, 3);
	for (uint32_t i = 0; i < 3; i++) {
		struct tw_stats_rec r = ow_rec(i, i * 10 * MS, i * 10 * MS + 5000 * MS + i * MS);
		r.e2 = NOSYNC;
		assert_int_equal(tw_stats_recv(s, &r), 0);
	}
	tw_stats_finish(s);
	struct tw_stats_result r = res(s);
	assert_false(r.fwd_synced);
	assert_int_equal(r.received, 3); /* 5 s > timeout, but the clocks say nothing */
	assert_ns(r.d[TW_STATS_D_FWD].min_ns, 5000 * MS);
	assert_ns(r.d[TW_STATS_D_IPDV_FWD].min_ns, MS);
	assert_ns(r.d[TW_STATS_D_PDV_FWD].max_ns, 2 * MS);
	tw_stats_destroy(s);
}

/* Percentiles: exact below 2048 ns, within 2^-11 above. */
static void test_percentiles(void **state)
{
	(void)state;
	struct tw_stats_conf c;
	tw_stats_conf_init(&c);
	c.n_pct = 4;
	c.pct[0] = 99;
	c.pct[1] = 90;
	c.pct[2] = 100;
	c.pct[3] = 0.1;
	c.timeout_ns = 200000000000ull;
	struct tw_stats *s = tw_stats_create(&c);
	assert_non_null(s);
	send_n(s, 0, 1000);
	for (uint32_t i = 0; i < 1000; i++) {
		struct tw_stats_rec r = rt_rec(i, i, i * 10 * MS, 0, 0, (int64_t)i + 1);
		tw_stats_recv(s, &r);
	}
	struct tw_stats_result r = res(s);
	const struct tw_stats_dist *d = &r.d[TW_STATS_D_RTT];
	/* sorted by tw_stats_create: 0.1 90 99 100 */
	assert_true(r.pct[0] == 0.1 && r.pct[3] == 100);
	assert_ns(d->min_ns, 1);
	assert_ns(d->median_ns, 500);
	assert_ns(d->pct_ns[0], 1);
	assert_ns(d->pct_ns[1], 900);
	assert_ns(d->pct_ns[2], 990);
	assert_ns(d->pct_ns[3], 1000);
	tw_stats_destroy(s);

	/* large values: 1..1000 ms */
	s = tw_stats_create(&c);
	send_n(s, 0, 1000);
	for (uint32_t i = 0; i < 1000; i++) {
		struct tw_stats_rec rr = rt_rec(i, i, i * 10 * MS, 0, 0, ((int64_t)i + 1) * MS + 7);
		tw_stats_recv(s, &rr);
	}
	r = res(s);
	d = &r.d[TW_STATS_D_RTT];
	const int64_t want[] = { 1 * MS + 7, 900 * MS + 7, 990 * MS + 7, 1000 * MS + 7 };
	for (unsigned i = 0; i < 4; i++) {
		double err = (double)(llabs(d->pct_ns[i] - want[i]) - 1) / (double)want[i];
		assert_true(err <= 1.0 / 2048);
	}
	assert_true((double)(llabs(d->median_ns - (500 * MS + 7)) - 1) / (500.0 * MS) <= 1.0 / 2048);
	assert_ns(d->max_ns, 1000 * MS + 7);
	assert_true(fabs(d->mean_ns - (500.5 * MS + 7)) <= 1);
	tw_stats_destroy(s);
}

/* Negative delays (a reflector clock behind) land in the mirror histogram. */
static void test_negative_delays(void **state)
{
	(void)state;
	struct tw_stats *s = mk(TW_STATS_ROUNDTRIP, TW_STATS_RSEQ_COUNTER);
	send_n(s, 0, 5);
	for (uint32_t i = 0; i < 5; i++) {
		struct tw_stats_rec r = rt_rec(i, i, i * 10 * MS, -3 * MS - i * 1000, 0,
					       5 * MS + i * 1000);
		tw_stats_recv(s, &r);
	}
	struct tw_stats_result r = res(s);
	const struct tw_stats_dist *d = &r.d[TW_STATS_D_FWD];
	assert_ns(d->min_ns, -3 * MS - 4000);
	assert_ns(d->max_ns, -3 * MS);
	assert_true(llabs(d->median_ns - (-3 * MS - 2000)) <= 3 * MS / 2048);
	assert_ns(r.d[TW_STATS_D_RTT].min_ns, 2 * MS);
	tw_stats_destroy(s);
}

/* ---- timeout, late packets, the window, wrap --------------------------- */

static void test_timeout_and_late(void **state)
{
	(void)state;
	struct tw_stats *s = mk(TW_STATS_ROUNDTRIP, TW_STATS_RSEQ_COUNTER); /* 1 s */
	send_n(s, 0, 4);
	/* 0: back in 999 ms; 1: 1001 ms (late); 2: never; 3: after expiry */
	struct tw_stats_rec a = rt_rec(0, 0, 0, 499 * MS, 0, 500 * MS);
	struct tw_stats_rec b = rt_rec(1, 1, 10 * MS, 500 * MS, 0, 501 * MS);
	assert_int_equal(tw_stats_recv(s, &a), 0);
	assert_int_equal(tw_stats_recv(s, &b), 0);
	struct tw_stats_result r = res(s);
	assert_int_equal(r.received, 1);
	assert_int_equal(r.lost, 1);
	assert_int_equal(r.late, 1);
	assert_int_equal(r.in_flight, 2);

	/* time passes: 2 and 3 sent at 20 and 30 ms; at 1.025 s only 2 expired?
	 * No: expiry is by 64-packet block, whose latest send is 30 ms. */
	assert_int_equal(tw_stats_advance(s, at(1025 * MS)), 0);
	r = res(s);
	assert_int_equal(r.in_flight, 2); /* never before the timeout */
	assert_int_equal(tw_stats_advance(s, at(1031 * MS)), 0);
	r = res(s);
	assert_int_equal(r.in_flight, 0);
	assert_int_equal(r.lost, 3);
	struct tw_stats_rec d = rt_rec(3, 3, 30 * MS, 600 * MS, 0, 600 * MS);
	assert_int_equal(tw_stats_recv(s, &d), 0);
	assert_int_equal(tw_stats_recv(s, &d), 0); /* and a copy of it */
	tw_stats_finish(s);
	r = res(s);
	assert_int_equal(r.lost, 3);
	assert_int_equal(r.late, 2);
	assert_int_equal(r.dup, 1);
	assert_int_equal(r.received, 1);
	assert_int_equal(r.d[TW_STATS_D_RTT].n, 1);
	/* lost not late: only 2, below the highest reply (3): forward or back
	 * from the reflector's numbers: r 0, 1, 3 seen, 2 missing: backward */
	assert_int_equal(r.lost_back, 1);
	assert_int_equal(r.lost_fwd, 0);
	/* a record after finish for a packet that made it is a duplicate */
	assert_int_equal(tw_stats_recv(s, &a), 0);
	r = res(s);
	assert_int_equal(r.dup, 2);
	tw_stats_destroy(s);
}

static void test_window(void **state)
{
	(void)state;
	struct tw_stats_conf c;
	tw_stats_conf_init(&c);
	c.max_window = 4096;
	struct tw_stats *s = tw_stats_create(&c);
	assert_non_null(s);
	for (uint32_t i = 0; i < 10000; i++)
		assert_int_equal(tw_stats_sent(s, i, at(i * 1000)), 0);
	struct tw_stats_result r = res(s);
	/* the window keeps 4096 minus up to one block */
	assert_true(r.lost_window >= 10000 - 4096 && r.lost_window <= 10000 - 4096 + 64);
	assert_int_equal(r.lost, r.lost_window);
	/* too old now */
	struct tw_stats_rec old = rt_rec(10, 0, 10 * US, US, 0, US);
	assert_int_equal(tw_stats_recv(s, &old), -ENOENT);
	struct tw_stats_rec recent = rt_rec(9990, 0, 9990 * US, US, 0, US);
	assert_int_equal(tw_stats_recv(s, &recent), 0);
	r = res(s);
	assert_int_equal(r.unexpected, 1);
	assert_int_equal(r.received, 1);
	tw_stats_destroy(s);

	/* the default grows with the packets in flight: nothing lost early */
	s = mk(TW_STATS_ROUNDTRIP, TW_STATS_RSEQ_AUTO);
	for (uint32_t i = 0; i < 300000; i++)
		assert_int_equal(tw_stats_sent(s, i, at(i * 100)), 0);
	struct tw_stats_rec first = rt_rec(0, 0, 0, US, 0, US);
	assert_int_equal(tw_stats_recv(s, &first), 0);
	r = res(s);
	assert_int_equal(r.lost_window, 0);
	assert_int_equal(r.in_flight, 300000 - 1);
	tw_stats_finish(s);
	r = res(s);
	assert_int_equal(r.lost, 300000 - 1);
	tw_stats_destroy(s);
}

/* Beyond the history: IPDV pair not formed, extent not computed, counted. */
static void test_history_bound(void **state)
{
	(void)state;
	struct tw_stats_conf c;
	tw_stats_conf_init(&c);
	c.ipdv_window = 4;
	struct tw_stats *s = tw_stats_create(&c);
	assert_non_null(s);
	send_n(s, 0, 21);
	for (uint32_t i = 1; i <= 21; i++) {
		uint32_t k = i % 21; /* 1..20, then 0 */
		struct tw_stats_rec r = rt_rec(k, i - 1, k * 10 * MS, MS, 0, MS);
		assert_int_equal(tw_stats_recv(s, &r), 0);
	}
	struct tw_stats_result r = res(s);
	assert_int_equal(r.received, 21);
	assert_int_equal(r.ipdv_skipped, 1);
	assert_int_equal(r.d[TW_STATS_D_IPDV_RTT].n, 19);
	assert_int_equal(r.reordered, 1);
	assert_int_equal(r.extent_unknown, 1);
	assert_int_equal(r.extent_max, 0);
	assert_int_equal(r.nreord[TW_STATS_NREORD_MAX - 1], 1);
	tw_stats_destroy(s);
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Random sequences of calls (gaps, strays, old and future numbers, time
 * jumps, a small window) never break the invariants. */
static void test_random_calls(void **state)
{
	(void)state;
	uint64_t x = 0x2545f4914f6cdd1dull;
#define RND() xorshift(&x)
	for (unsigned round = 0; round < 20; round++) {
		struct tw_stats_conf c;
		tw_stats_conf_init(&c);
		c.max_window = round % 2 ? 4096 : 0;
		c.ipdv_window = 1u << (RND() % 6);
		c.timeout_ns = 1 + RND() % (50 * MS);
		c.kind = round % 3 == 2 ? TW_STATS_ONEWAY : TW_STATS_ROUNDTRIP;
		c.rseq = (enum tw_stats_rseq)(RND() % 3);
		struct tw_stats *s = tw_stats_create(&c);
		assert_non_null(s);
		uint32_t seq = (uint32_t)RND();
		int64_t t = 0;
		for (unsigned op = 0; op < 20000; op++) {
			unsigned k = RND() % 100;
			if (k < 40) {
				seq += 1 + (RND() % 50 == 0 ? (uint32_t)(RND() % 5000) : 0);
				t += (int64_t)(RND() % (2 * MS));
				int rc = tw_stats_sent(s, seq, at(t));
				assert_true(rc == 0 || rc == -EINVAL);
			} else if (k < 95) {
				uint32_t q = seq - (uint32_t)(RND() % 6000) + (RND() % 20 == 0 ? 3 : 0);
				int64_t sent_at = t - (int64_t)(RND() % (60 * MS));
				struct tw_stats_rec r = c.kind == TW_STATS_ONEWAY ?
					ow_rec(q, sent_at, t + (int64_t)(RND() % MS)) :
					rt_rec(q, (uint32_t)RND() % 8000, sent_at,
					       (int64_t)(RND() % (30 * MS)) - 10 * MS, (int64_t)(RND() % 1000),
					       (int64_t)(RND() % (30 * MS)));
				r.e2 = RND() % 2 ? SYNC : NOSYNC;
				int rc = tw_stats_recv(s, &r);
				assert_true(rc == 0 || rc == -ENOENT);
			} else if (k < 99) {
				assert_int_equal(tw_stats_advance(s, at(t + (int64_t)(RND() % (100 * MS)))), 0);
			} else {
				(void)res(s); /* checks the invariants */
			}
		}
		tw_stats_finish(s);
		struct tw_stats_result r = res(s);
		assert_int_equal(r.in_flight, 0);
		assert_true(r.lost >= r.late + r.lost_window);
		tw_stats_destroy(s);
	}
#undef RND
}

/* Sequence numbers wrap at 2^32 (RFC 5357 §4.1.2: a 32-bit counter). */
static void test_wrap(void **state)
{
	(void)state;
	struct tw_stats *s = mk(TW_STATS_ROUNDTRIP, TW_STATS_RSEQ_COUNTER);
	const uint32_t first = 0xfffffff0u;
	send_n(s, first, 32);
	uint32_t r_next = 0xfffffffau;
	/* arrival order: ..., skip first+5 (lost), first+17 before first+16 */
	for (uint32_t i = 0; i < 32; i++) {
		uint32_t k = i == 16 ? 17 : i == 17 ? 16 : i;
		if (k == 5)
			continue;
		struct tw_stats_rec rec = rt_rec(first + k, r_next++, k * 10 * MS, MS, 0, MS + k);
		assert_int_equal(tw_stats_recv(s, &rec), 0);
	}
	tw_stats_finish(s);
	struct tw_stats_result r = res(s);
	assert_int_equal(r.sent, 32);
	assert_int_equal(r.received, 31);
	assert_int_equal(r.lost, 1);
	assert_int_equal(r.lost_fwd, 1); /* the reflector's numbers have no hole */
	assert_int_equal(r.reordered, 1);
	assert_int_equal(r.extent_max, 1);
	assert_int_equal(r.unexpected, 0);
	tw_stats_destroy(s);
}

/* Gaps in the sender's numbers: never sent, never counted. */
static void test_gap(void **state)
{
	(void)state;
	struct tw_stats *s = mk(TW_STATS_ROUNDTRIP, TW_STATS_RSEQ_COUNTER);
	assert_int_equal(tw_stats_sent(s, 0, at(0)), 0);
	assert_int_equal(tw_stats_sent(s, 5, at(MS)), 0);
	struct tw_stats_rec g = rt_rec(3, 0, 0, US, 0, US);
	assert_int_equal(tw_stats_recv(s, &g), -ENOENT);
	struct tw_stats_rec a = rt_rec(5, 0, MS, US, 0, US);
	assert_int_equal(tw_stats_recv(s, &a), 0);
	tw_stats_finish(s);
	struct tw_stats_result r = res(s);
	assert_int_equal(r.sent, 2);
	assert_int_equal(r.lost, 1);
	assert_int_equal(r.unexpected, 1);
	assert_int_equal(r.d[TW_STATS_D_IPDV_RTT].n, 0); /* 0 and 5 not consecutive */
	tw_stats_destroy(s);
}

static void test_tos(void **state)
{
	(void)state;
	struct tw_stats_conf c;
	tw_stats_conf_init(&c);
	c.tos_sent = 46 << 2;
	c.tos_reply = 46 << 2;
	struct tw_stats *s = tw_stats_create(&c);
	send_n(s, 0, 3);
	const uint8_t fwd[] = { 46 << 2, 0, 46 << 2 | 3 };
	for (uint32_t i = 0; i < 3; i++) {
		struct tw_stats_rec r = rt_rec(i, i, i * 10 * MS, MS, 0, MS);
		r.flags |= TW_STATS_REC_TOS_FWD;
		r.tos_fwd = fwd[i];
		r.tos_back = 46 << 2;
		tw_stats_recv(s, &r);
	}
	struct tw_stats_result r = res(s);
	assert_int_equal(r.tos_fwd.n, 3);
	assert_int_equal(r.tos_fwd.dscp_changed, 1);
	assert_int_equal(r.tos_fwd.ecn_changed, 1);
	assert_int_equal(r.tos_fwd.ecn_ce, 1);
	assert_int_equal(r.tos_back.dscp_changed + r.tos_back.ecn_changed, 0);
	tw_stats_destroy(s);
}

/* ---- bad input changes nothing ------------------------------------------ */

static void test_bad_input(void **state)
{
	(void)state;
	struct tw_stats_conf c;
	tw_stats_conf_init(&c);
	c.n_pct = 1;
	c.pct[0] = 0;
	errno = 0;
	assert_null(tw_stats_create(&c));
	assert_int_equal(errno, EINVAL);
	c.pct[0] = 101;
	assert_null(tw_stats_create(&c));
	c.pct[0] = 50;
	c.n_pct = TW_STATS_MAX_PCT + 1;
	assert_null(tw_stats_create(&c));
	c.n_pct = 1;
	c.kind = (enum tw_stats_kind)7;
	assert_null(tw_stats_create(&c));
	c.kind = TW_STATS_ROUNDTRIP;
	c.tos_sent = 256;
	assert_null(tw_stats_create(&c));
	assert_null(tw_stats_create(NULL));

	struct tw_stats *s = mk(TW_STATS_ROUNDTRIP, TW_STATS_RSEQ_AUTO);
	send_n(s, 0, 3);
	struct tw_stats_result before = res(s);
	assert_int_equal(tw_stats_sent(s, 2, at(0)), -EINVAL); /* again */
	assert_int_equal(tw_stats_sent(s, 1, at(0)), -EINVAL); /* backwards */
	assert_int_equal(tw_stats_sent(s, 0x80000000u, at(0)), -EINVAL); /* absurd jump */
	assert_int_equal(tw_stats_recv(s, NULL), -EINVAL);
	struct tw_stats_rec ow = ow_rec(0, 0, MS);
	assert_int_equal(tw_stats_recv(s, &ow), -EINVAL); /* wrong kind */
	struct tw_stats_rec fut = rt_rec(3, 0, 0, US, 0, US);
	assert_int_equal(tw_stats_recv(s, &fut), -ENOENT); /* not sent yet */
	struct tw_stats_result after = res(s);
	assert_int_equal(after.sent, before.sent);
	assert_int_equal(after.received + after.lost, 0);
	assert_int_equal(after.unexpected, 1);
	assert_int_equal(tw_stats_result(s, NULL), -EINVAL);
	assert_int_equal(tw_stats_result(NULL, &after), -EINVAL);
	assert_int_equal(tw_stats_sent(NULL, 0, 0), -EINVAL);
	assert_int_equal(tw_stats_advance(NULL, 0), -EINVAL);
	assert_int_equal(tw_stats_finish(NULL), -EINVAL);
	tw_stats_finish(s);
	assert_int_equal(tw_stats_sent(s, 3, at(0)), -EINVAL); /* after finish */
	tw_stats_destroy(s);
	tw_stats_destroy(NULL);
	assert_null(tw_stats_dist_name(TW_STATS_D_N));
	assert_string_equal(tw_stats_dist_name(TW_STATS_D_RTT), "rtt");
	assert_null(tw_stats_pp_open("/nonexistent/dir/x.csv", TW_STATS_PP_CSV));
	assert_null(tw_stats_pp_open("x.csv", TW_STATS_PP_CSV | TW_STATS_PP_JSONL));
	assert_int_equal(tw_stats_write_json("/nonexistent/dir/r.json", &after, NULL) < 0, 1);
}

/* ---- output ----------------------------------------------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static int py(const char *code, const char *arg)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c '%s' '%s'", code, arg);
	return system(cmd);
}

static struct tw_stats *sample(struct tw_stats_pp *pp)
{
	struct tw_stats_conf c;
	tw_stats_conf_init(&c);
	c.pp = pp;
	c.rseq = TW_STATS_RSEQ_COUNTER;
	c.timeout_ns = 1000 * MS;
	struct tw_stats *s = tw_stats_create(&c);
	assert_non_null(s);
	send_n(s, 0, 5);
	struct tw_stats_rec a = rt_rec(0, 0, 0, MS, 10 * US, MS);
	struct tw_stats_rec b = rt_rec(2, 1, 20 * MS, 3 * MS, 10 * US, MS);
	struct tw_stats_rec c1 = rt_rec(1, 2, 10 * MS, 5 * MS, 10 * US, MS);
	struct tw_stats_rec late = rt_rec(4, 3, 40 * MS, 900 * MS, 0, 200 * MS);
	tw_stats_recv(s, &a);
	tw_stats_recv(s, &b);
	tw_stats_recv(s, &c1);
	tw_stats_recv(s, &c1);
	tw_stats_recv(s, &late);
	tw_stats_finish(s);
	return s;
}

static const struct tw_stats_meta meta = {
	.tool = "test_stats", .tool_version = "0.1.0", .name = "a \"quoted\"\nname",
	.protocol = "twamp", .mode = "authenticated", .sid = "00112233445566778899aabbccddeeff",
	.src_addr = "2001:2::1", .src_port = 40000, .dst_addr = "2001:2::2", .dst_port = 862,
	.schedule = "periodic", .interval_s = 0.01, .count = 5, .dscp = 46, .ecn = 0,
	.padding = 27, .packet_size = 41, .timestamps = "kernel",
};

static void test_json(void **state)
{
	(void)state;
	struct tw_stats *s = sample(NULL);
	struct tw_stats_result r = res(s);
	char path[128];
	snprintf(path, sizeof(path), "%s/r.json", tmpdir);
	struct tw_stats_meta m = meta;
	m.start = at(0);
	m.end = at(2000 * MS);
	assert_int_equal(tw_stats_write_json(path, &r, &m), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* parsed back by an independent JSON parser, key values checked */
	assert_int_equal(py("import json,sys\n"
			    "d=json.load(open(sys.argv[1]))\n"
			    "assert d[\"version\"]==1\n"
			    "p=d[\"packets\"]\n"
			    "assert (p[\"sent\"],p[\"received\"],p[\"lost\"],p[\"late\"],p[\"duplicates\"])==(5,3,2,1,1),p\n"
			    "assert p[\"sent\"]==p[\"received\"]+p[\"lost\"]+p[\"in_flight\"]\n"
			    "assert d[\"session\"][\"name\"]==\"a \\\"quoted\\\"\\nname\"\n"
			    "assert d[\"session\"][\"start\"]==\"2026-09-21T14:13:20.000000000Z\",d[\"session\"][\"start\"]\n"
			    "assert d[\"delay\"][\"rtt\"][\"p99_ns\"]==d[\"delay\"][\"rtt\"][\"max_ns\"]\n"
			    "assert d[\"delay\"][\"forward\"][\"reliable\"] is True\n"
			    "assert d[\"reordering\"][\"reordered\"]==1\n"
			    "assert d[\"loss_direction\"]==dict(known=True,forward=1,backward=0,unknown=0),d[\"loss_direction\"]\n",
			    path),
			 0);
	/* no temporary left behind */
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "test $(ls %s | grep -c tmp) -eq 0", tmpdir);
	assert_int_equal(system(cmd), 0);

	/* NULL meta and stdout-like stream */
	FILE *f = tmpfile();
	assert_int_equal(tw_stats_json_fprint(f, &r, NULL), 0);
	fclose(f);

	/* the summary and the progress line say what they should */
	snprintf(path, sizeof(path), "%s/sum.txt", tmpdir);
	f = fopen(path, "w");
	assert_int_equal(tw_stats_print_summary(f, &r, &m), 0);
	fclose(f);
	char *t = slurp(path);
	assert_non_null(strstr(t, "5 sent, 2 lost (40.000%), of which 1 late"));
	assert_non_null(strstr(t, "round-trip time min/median/max = 2/4/6 ms"));
	assert_non_null(strstr(t, "to [2001:2::2]:862 (authenticated)"));
	assert_non_null(strstr(t, "send hops = 2 (consistently)"));
	assert_non_null(strstr(t, "reordered 1"));
	char line[256];
	int n = tw_stats_progress_line(line, sizeof(line), &r, &m, at(3000 * MS));
	assert_true(n > 0 && (size_t)n < sizeof(line));
	assert_non_null(strstr(line, "3.0s sent 5 recv 3 lost 2"));
	assert_int_equal(tw_stats_progress_line(line, 8, &r, &m, at(3000 * MS)), n);
	assert_int_equal(strlen(line), 7); /* truncated, terminated */
	tw_stats_destroy(s);

	/* one way: only the forward sets */
	s = mk(TW_STATS_ONEWAY, TW_STATS_RSEQ_AUTO);
	send_n(s, 0, 2);
	struct tw_stats_rec o = ow_rec(1, 10 * MS, 11 * MS);
	o.ttl_fwd = 250;
	tw_stats_recv(s, &o);
	tw_stats_finish(s);
	r = res(s);
	f = tmpfile();
	assert_non_null(f);
	assert_int_equal(tw_stats_print_summary(f, &r, NULL), 0);
	rewind(f);
	char sum[2048];
	size_t sn = fread(sum, 1, sizeof(sum) - 1, f);
	sum[sn] = 0;
	fclose(f);
	assert_non_null(strstr(sum, "--- owamp one-way session ---\n"));
	assert_non_null(strstr(sum, "2 sent, 1 lost (50.000%), 0 duplicates\n"));
	assert_non_null(strstr(sum, "one-way delay min/median/max = 1/1/1 ms"));
	assert_non_null(strstr(sum, "\nhops = 5 (consistently)\n"));
	snprintf(path, sizeof(path), "%s/ow.json", tmpdir);
	assert_int_equal(tw_stats_write_json(path, &r, NULL), 0);
	assert_int_equal(py("import json,sys\n"
			    "d=json.load(open(sys.argv[1]))\n"
			    "assert d[\"session\"][\"kind\"]==\"one-way\"\n"
			    "assert \"rtt\" not in d[\"delay\"]\n"
			    "assert abs(d[\"delay\"][\"forward\"][\"min_ns\"]-1000000)<=1\n"
			    "assert d[\"loss_direction\"][\"forward\"]==1\n",
			    path),
			 0);
	tw_stats_destroy(s);
}

static void test_per_packet(void **state)
{
	(void)state;
	for (unsigned fmt = TW_STATS_PP_CSV; fmt <= TW_STATS_PP_JSONL; fmt++) {
		char path[128];
		snprintf(path, sizeof(path), "%s/pp.%s", tmpdir, fmt == TW_STATS_PP_CSV ? "csv" : "jsonl");
		struct tw_stats_pp *pp = tw_stats_pp_open(path, fmt);
		assert_non_null(pp);
		struct tw_stats *s = sample(pp);
		assert_int_equal(tw_stats_pp_close(pp), 0);
		tw_stats_destroy(s);
		const char *code = fmt == TW_STATS_PP_CSV ?
			"import csv,sys\n"
			"rows=list(csv.DictReader(open(sys.argv[1])))\n"
			"st=[(r[\"seq\"],r[\"status\"]) for r in rows]\n"
			"assert st==[(\"0\",\"ok\"),(\"2\",\"ok\"),(\"1\",\"ok\"),(\"1\",\"dup\"),(\"4\",\"late\"),(\"3\",\"lost\")],st\n"
			"assert abs(int(rows[0][\"rtt_ns\"])-2000000)<=1 and abs(int(rows[0][\"proc_ns\"])-10000)<=1\n"
			"assert rows[5][\"t1_ns\"]==str(1790000000*10**9+30*10**6) and rows[5][\"rtt_ns\"]==\"\"\n"
			"assert rows[0][\"ttl_fwd\"]==\"253\"\n" :
			"import json,sys\n"
			"rows=[json.loads(l) for l in open(sys.argv[1])]\n"
			"st=[(r[\"seq\"],r[\"status\"]) for r in rows]\n"
			"assert st==[(0,\"ok\"),(2,\"ok\"),(1,\"ok\"),(1,\"dup\"),(4,\"late\"),(3,\"lost\")],st\n"
			"assert abs(rows[2][\"fwd_ns\"]-5000000)<=1 and rows[2][\"refl_seq\"]==2\n"
			"assert rows[5][\"rtt_ns\"] is None and rows[5][\"t1_ns\"]==1790000000*10**9+30*10**6\n";
		assert_int_equal(py(code, path), 0);
	}
	assert_int_equal(tw_stats_pp_write(NULL, NULL, TW_STATS_PP_OK), -EINVAL);
	assert_string_equal(tw_stats_pp_status_name(TW_STATS_PP_LOST), "lost");
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tw_stats_test.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int fill_text(FILE *f, void *arg)
{
	return fputs(arg, f) == EOF ? -EIO : 0;
}

static int fill_fail(FILE *f, void *arg)
{
	(void)arg;
	fputs("partial", f);
	return -ENOSPC;
}

/* tw_stats_write_atomic(): content, mode, the old file kept on failure */
static void test_write_atomic(void **state)
{
	char path[128];
	struct stat st;
	DIR *d;
	struct dirent *e;
	unsigned n = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/atomic.txt", tmpdir);
	assert_int_equal(tw_stats_write_atomic(NULL, fill_text, "x"), -EINVAL);
	assert_int_equal(tw_stats_write_atomic("", fill_text, "x"), -EINVAL);
	assert_int_equal(tw_stats_write_atomic(path, NULL, "x"), -EINVAL);
	assert_int_equal(stat(path, &st), -1);

	assert_int_equal(tw_stats_write_atomic(path, fill_text, "first\n"), 0);
	assert_string_equal(slurp(path), "first\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);

	assert_int_equal(tw_stats_write_atomic(path, fill_fail, NULL), -ENOSPC);
	assert_string_equal(slurp(path), "first\n");
	assert_true(tw_stats_write_atomic("/nonexistent/dir/a.txt", fill_text, "x") < 0);

	/* no temporary left behind */
	d = opendir(tmpdir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "atomic.txt", 10) == 0)
			n++;
	closedir(d);
	assert_int_equal(n, 1);
	unlink(path);
}

/* RFC 4656 §3.8 records <-> one-way tw_stats_rec, and through tw_stats */
static void test_owamp_record(void **state)
{
	struct tw_owamp_record o = {
		.seq = 7, .send_errest = 0x8101, .recv_errest = 0x0203,
		.send_ts = 0x1122334455667788ull, .recv_ts = 0x1122334455677788ull,
		.ttl = 61,
	}, back;
	struct tw_stats_rec r;

	(void)state;
	memset(&r, 0xa5, sizeof(r));
	tw_stats_rec_from_owamp(&o, &r);
	assert_int_equal(r.seq, 7);
	assert_int_equal(r.refl_seq, 0);
	assert_true(r.t1 == o.send_ts);
	assert_true(r.t2 == o.recv_ts);
	assert_true(r.t3 == 0 && r.t4 == 0);
	assert_int_equal(r.e1, 0x8101);
	assert_int_equal(r.e2, 0x0203);
	assert_int_equal(r.e4, 0);
	assert_int_equal(r.ttl_fwd, 61);
	assert_int_equal(r.ttl_back, 0);
	assert_int_equal(r.tos_fwd, 0);
	assert_int_equal(r.tos_back, 0);
	assert_int_equal(r.flags, TW_STATS_REC_ONEWAY);

	memset(&back, 0xa5, sizeof(back));
	tw_stats_rec_to_owamp(&r, &back);
	assert_int_equal(back.seq, o.seq);
	assert_int_equal(back.send_errest, o.send_errest);
	assert_int_equal(back.recv_errest, o.recv_errest);
	assert_true(back.send_ts == o.send_ts);
	assert_true(back.recv_ts == o.recv_ts);
	assert_int_equal(back.ttl, o.ttl);

	/* a lost packet's record: receive time 0 */
	o.recv_ts = 0;
	tw_stats_rec_from_owamp(&o, &r);
	assert_true(r.t2 == 0);
	assert_int_equal(r.flags, TW_STATS_REC_ONEWAY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_all_lost),
		cmocka_unit_test(test_loss_directions),
		cmocka_unit_test(test_loss_copier),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_reorder_rfc4737_table3),
		cmocka_unit_test(test_reorder_rfc4737_examples),
		cmocka_unit_test(test_rtt_definitions),
		cmocka_unit_test(test_clock_sync),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_negative_delays),
		cmocka_unit_test(test_timeout_and_late),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_history_bound),
		cmocka_unit_test(test_random_calls),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_tos),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_per_packet),
		cmocka_unit_test(test_owamp_record),
		cmocka_unit_test(test_write_atomic),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
