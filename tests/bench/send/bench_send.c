/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session-Sender benchmark (scripts/bench-sender.sh): one stream on a
 * net_null port, the sender on lcore 1 with its own TX queue (as with
 * sender.lcore), the main lcore draining the sent records as the control
 * thread does. Prints one JSON object: the achieved rate (packets over the
 * span of their Sender Timestamps), the departure error (actual - scheduled)
 * p50/p99/max from the sender's histogram, and the counters.
 *
 *   bench_send [EAL args] -- CASE RATE_PPS SECONDS
 *   CASE light-open | light-auth | light-enc | stamp-open | stamp-auth
 *   RATE_PPS 0 = as fast as it goes (a departure due every nanosecond)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "tw_dp_send.h"

/* CPU time the sender lcore really got: the machine may be shared. */
static uint64_t cpu_ns, wall_ns;

static uint64_t ts_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int sender_lcore(void *arg)
{
	uint64_t c0 = ts_ns(CLOCK_THREAD_CPUTIME_ID), w0 = ts_ns(CLOCK_MONOTONIC);
	int rc = tw_send_main(arg);

	cpu_ns = ts_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	wall_ns = ts_ns(CLOCK_MONOTONIC) - w0;
	return rc;
}

int main(int argc, char **argv)
{
	struct tw_dp_port_conf pc = { .name = "b0", .device = "net_null0", .tx_desc = 1024,
				      .rx_desc = 512 };
	struct tw_dp_conf c = { .ports = &pc, .n_ports = 1, .n_workers = 1, .sender_txq = true };
	struct tw_send_conf sc = { .max_streams = 4, .ring_size = 1u << 20,
				   .crypto = TW_CRYPTO_IMPL_BEST };
	static struct tw_send_stream_stats ss;
	static struct tw_send_rec rec[4096];
	struct tw_send_stream st = { .family = AF_INET, .sport = 40000, .dport = 862,
				     .dst_mac = { 2, 0, 0, 0, 0, 2 }, .src = { 198, 18, 0, 1 },
				     .dst = { 198, 18, 0, 2 } };
	tw_ntp_t first = 0, last = 0;
	uint64_t drained = 0, rate, secs, stop_at;
	unsigned lc;
	struct tw_dp *dp;
	struct tw_send *s;
	char err[256];
	const char *cs;
	uint32_t id;
	int n;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "bench_send: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	if (argc != 4) {
		fprintf(stderr, "usage: bench_send [EAL] -- CASE RATE_PPS SECONDS\n");
		return 2;
	}
	cs = argv[1];
	rate = strtoull(argv[2], NULL, 10);
	secs = strtoull(argv[3], NULL, 10);
	if (strncmp(cs, "stamp", 5) == 0)
		st.proto = TW_SEND_STAMP;
	else
		st.proto = TW_SEND_LIGHT;
	st.mode = strstr(cs, "-auth") ? TW_TEST_AUTH : strstr(cs, "-enc") ? TW_TEST_ENC :
		  TW_TEST_UNAUTH;
	tw_proto_test_layout_init(&st.layout, st.mode, false, false, 0);
	/* equal sizes both ways, as the config's default padding */
	st.padding = st.proto == TW_SEND_STAMP ? 0 : st.mode == TW_TEST_UNAUTH ? 27 : 64;
	memset(st.keys.aes, 0x11, sizeof(st.keys.aes));
	memset(st.keys.hmac, 0x22, sizeof(st.keys.hmac));
	memset(st.stamp_key, 0x33, 32);
	st.stamp_key_len = 32;
	/* rate 0: a departure due every nanosecond, stopped after SECONDS of
	 * wall time (the schedule itself would take ages to cover them) */
	st.interval_ns = rate != 0 ? 1000000000ull / rate : 1;
	st.count = rate != 0 ? rate * secs : 0;
	st.duration_ns = rate != 0 ? secs * 1000000000ull : 3600ull * 1000000000ull;

	lc = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
	dp = tw_dp_ports_create(&c, err, sizeof(err));
	s = tw_send_create(&sc);
	if (dp == NULL || s == NULL || lc >= RTE_MAX_LCORE) {
		fprintf(stderr, "bench_send: setup: %s (needs 2 lcores)\n", dp ? "sender" : err);
		return 1;
	}
	if (tw_send_attach(s, dp, true) != 0 || tw_dp_ports_start(dp, err, sizeof(err)) != 0 ||
	    tw_send_stream_add(s, &st, &id) != 0) {
		fprintf(stderr, "bench_send: start failed\n");
		return 1;
	}
	rte_eal_remote_launch(sender_lcore, s, lc);
	stop_at = rte_get_tsc_cycles() + secs * rte_get_tsc_hz();
	for (;;) {
		unsigned k = tw_send_drain(s, rec, RTE_DIM(rec));

		for (unsigned i = 0; i < k; i++) {
			if (first == 0)
				first = rec[i].t1;
			last = rec[i].t1;
		}
		drained += k;
		if (rate == 0 && stop_at != 0 && rte_get_tsc_cycles() >= stop_at) {
			tw_send_stream_stop(s, id);
			stop_at = 0;
		}
		if (k == 0) {
			tw_send_stream_get(s, id, &ss);
			if (ss.state == TW_SEND_S_DONE && tw_send_drain(s, rec, 1) == 0)
				break;
			rte_delay_us_sleep(100);
		}
	}
	tw_dp_quit(dp);
	rte_eal_wait_lcore(lc);
	tw_send_stream_get(s, id, &ss);
	{
		double span = (double)tw_ntp_diff_ns(last, first) / 1e9;

		printf("{\"case\": \"%s\", \"rate_pps\": %" PRIu64 ", \"seconds\": %" PRIu64
		       ", \"sent\": %" PRIu64 ", \"drained\": %" PRIu64 ", \"achieved_pps\": %.0f"
		       ", \"depart_p50_ns\": %" PRIu64 ", \"depart_p99_ns\": %" PRIu64
		       ", \"depart_max_ns\": %" PRIu64 ", \"late\": %" PRIu64 ", \"tx_drop\": %"
		       PRIu64 ", \"stalls\": %" PRIu64 ", \"crypto_err\": %" PRIu64
		       ", \"cpu_share\": %.3f, \"pps_per_cpu_s\": %.0f}\n",
		       cs, rate, secs, ss.sent, drained,
		       span > 0 ? (double)(ss.sent - 1) / span : 0.0,
		       tw_dp_hist_quantile(&ss.depart, 0.5), tw_dp_hist_quantile(&ss.depart, 0.99),
		       ss.depart.max_ns, ss.late, ss.tx_drop, ss.stalls, ss.crypto_err,
		       wall_ns ? (double)cpu_ns / (double)wall_ns : 0.0,
		       cpu_ns ? (double)ss.sent * 1e9 / (double)cpu_ns : 0.0);
	}
	tw_dp_ports_stop(dp);
	tw_send_destroy(s);
	tw_dp_ports_destroy(dp);
	rte_eal_cleanup();
	return 0;
}
