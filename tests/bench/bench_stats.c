/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/stats throughput: how many records per second tw_stats_sent() +
 * tw_stats_recv() take on one core (the control thread drains the sender's
 * replies at this rate), with a realistic mix: 0.1 % loss, 0.1 %
 * duplicates, 1 % reordered by a few packets, jittered delays. Also the
 * cost of tw_stats_result() (once per second) and the peak window size.
 *
 *   bench_stats [records] [in-flight]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tw_stats.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* CPU time of this thread: the machine may be shared, and what matters is
 * the cost per record on the core that does it. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
	unsigned lag = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 1000;
	const tw_ntp_t t0 = tw_ntp_from_unix(1790000000, 0);
	const uint64_t ns_unit = 1ull << 32; /* NTP units per second */
	const uint64_t period = ns_unit / 10000000; /* 100 ns: 10 Mpps */
	struct tw_stats_conf c;
	struct tw_stats_result r;
	struct tw_stats *s;

	if (n == 0 || lag == 0 || lag > 1u << 20) {
		fprintf(stderr, "usage: bench_stats [records > 0] [in-flight 1..2^20]\n");
		return 2;
	}
	tw_stats_conf_init(&c);
	c.rseq = TW_STATS_RSEQ_COUNTER;
	s = tw_stats_create(&c);
	if (s == NULL) {
		perror("bench_stats");
		return 1;
	}

	/* pre-build the replies so the loop measures lib/stats only */
	uint64_t nrec = n;
	struct tw_stats_rec *recs = calloc(nrec, sizeof(*recs));
	uint8_t *what = calloc(nrec, 1); /* 0 normal, 1 lost, 2 dup, 3 swap */
	if (recs == NULL || what == NULL) {
		perror("bench_stats");
		return 1;
	}
	uint32_t rs = 0;
	for (uint64_t i = 0; i < nrec; i++) {
		struct tw_stats_rec *x = &recs[i];
		uint64_t t1 = t0 + i * period;
		uint64_t fwd = (20000 + rnd() % 5000) * ns_unit / 1000000000u;
		uint64_t back = (21000 + rnd() % 5000) * ns_unit / 1000000000u;
		x->seq = (uint32_t)i;
		x->t1 = t1;
		x->t2 = t1 + fwd;
		x->t3 = x->t2 + 2000 * ns_unit / 1000000000u;
		x->t4 = x->t3 + back;
		x->e1 = x->e2 = x->e4 = 0x8001;
		x->ttl_fwd = 253;
		x->ttl_back = 253;
		uint64_t d = rnd() % 1000;
		what[i] = d == 0 ? 1 : d == 1 ? 2 : d < 12 ? 3 : 0;
		if (what[i] != 1)
			x->refl_seq = rs++;
	}

	double t_start = now_s();
	uint64_t nrecv = 0;
	for (uint64_t i = 0; i < nrec + lag; i++) {
		if (i < nrec)
			tw_stats_sent(s, (uint32_t)i, recs[i].t1);
		if (i < lag)
			continue;
		/* the reply to packet i - lag arrives now */
		uint64_t k = i - lag;
		if (what[k] == 1)
			continue;
		if (what[k] == 3 && k + 1 < nrec && what[k + 1] == 0) {
			/* swap with the next one */
			tw_stats_recv(s, &recs[k + 1]);
			tw_stats_recv(s, &recs[k]);
			what[k + 1] = 1;
			nrecv += 2;
			continue;
		}
		tw_stats_recv(s, &recs[k]);
		nrecv++;
		if (what[k] == 2) {
			tw_stats_recv(s, &recs[k]);
			nrecv++;
		}
	}
	double t_loop = now_s() - t_start;

	double t_res = now_s();
	const int nres = 20;
	for (int i = 0; i < nres; i++)
		tw_stats_result(s, &r);
	t_res = (now_s() - t_res) / nres;
	tw_stats_finish(s);
	tw_stats_result(s, &r);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("bench_stats: %" PRIu64 " sent, %" PRIu64 " records in %.3f s CPU: %.2f M records/s "
	       "(sent+recv %.1f ns per packet)\n",
	       n, nrecv, t_loop, (double)nrecv / t_loop / 1e6, t_loop * 1e9 / (double)n);
	printf("bench_stats: tw_stats_result() %.3f ms; max RSS %ld MiB (records array %.0f MiB)\n",
	       t_res * 1e3, ru.ru_maxrss / 1024, (double)nrec * sizeof(*recs) / 1048576.0);
	printf("bench_stats: received %" PRIu64 " lost %" PRIu64 " dup %" PRIu64
	       " reordered %" PRIu64 " rtt median %" PRId64 " ns p99 %" PRId64 " ns\n",
	       r.received, r.lost, r.dup, r.reordered, r.d[TW_STATS_D_RTT].median_ns,
	       r.d[TW_STATS_D_RTT].pct_ns[1]);
	int ok = r.sent == r.received + r.lost && r.lost_window == 0;
	tw_stats_destroy(s);
	free(recs);
	free(what);
	return ok ? 0 : 1;
}
