/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test driver for lib/dataplane: one port with the TAP exception path, the
 * worker loop and the exception service on the main lcore, until SIGINT or
 * SIGTERM; then a clean stop and the counters on stdout.
 *
 *   dp_exception EAL-ARGS -- --device DEV [--name NAME] [--addr A/LEN]...
 *                [--vlan VID] [--own-udp PORT]... [--idle-us N]
 *                [--no-exception] [--seconds S] [--reflect-udp PORT] [--mac MAC] [--tap IFNAME]
 *
 * With one lcore the worker loop and the service share it; with more, every
 * worker lcore runs tw_dp_worker_main() and the service has its own control
 * thread (tw_dp_service_start()).
 * --reflect-udp PORT echoes UDP to PORT from the fast path (swap only).
 * Prints "ready" once the port and TAP are up, and at exit one line per
 * counter: "counter NAME VALUE" and "drop NAME VALUE".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "tw_dataplane.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint16_t reflect_port;

/* A bare fast-path echo for --reflect-udp: swap MACs, addresses and ports.
 * Swapping keeps the IPv4 header and UDP checksums valid (one's complement
 * sums do not depend on order). */
static void echo(void *arg, unsigned worker, unsigned port, struct rte_mbuf **pkts,
		 uint16_t n, uint8_t *verdict)
{
	(void)arg;
	(void)worker;
	(void)port;
	for (uint16_t i = 0; i < n; i++) {
		uint8_t *f = rte_pktmbuf_mtod(pkts[i], uint8_t *), t[16];
		uint8_t *ip = f + pkts[i]->l2_len, *udp = ip + pkts[i]->l3_len;
		bool v4 = RTE_ETH_IS_IPV4_HDR(pkts[i]->packet_type);
		unsigned a = v4 ? 12 : 8, alen = v4 ? 4 : 16;

		if (tw_get_be16(udp + 2) != reflect_port)
			continue; /* stays TW_DP_V_EXCEPTION */
		memcpy(t, f, 6);
		memcpy(f, f + 6, 6);
		memcpy(f + 6, t, 6);
		memcpy(t, ip + a, alen);
		memcpy(ip + a, ip + a + alen, alen);
		memcpy(ip + a + alen, t, alen);
		memcpy(t, udp, 2);
		memcpy(udp, udp + 2, 2);
		memcpy(udp + 2, t, 2);
		verdict[i] = TW_DP_V_TX;
	}
}

static int parse_prefix(const char *s, struct tw_dp_prefix *p)
{
	char buf[64];
	char *slash, *end;
	long len;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	len = strtol(slash + 1, &end, 10);
	if (*end != '\0' || len < 0)
		return -1;
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, buf, p->addr) == 1 && len <= 32)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1 && len <= 128)
		p->family = AF_INET6;
	else
		return -1;
	p->len = (uint8_t)len;
	return 0;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s EAL-ARGS -- --device DEV [--name NAME] "
		"[--addr A/LEN]... [--vlan VID] [--own-udp PORT]... [--idle-us N] "
		"[--no-exception] [--seconds S] [--reflect-udp PORT] [--mac MAC] [--tap IFNAME]\n",
		prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "addr", required_argument, NULL, 'a' },
		{ "vlan", required_argument, NULL, 'v' },
		{ "own-udp", required_argument, NULL, 'u' },
		{ "idle-us", required_argument, NULL, 'i' },
		{ "no-exception", no_argument, NULL, 'x' },
		{ "seconds", required_argument, NULL, 's' },
		{ "reflect-udp", required_argument, NULL, 'r' },
		{ "mac", required_argument, NULL, 'm' },
		{ "tap", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct tw_dp_port_conf pc = { .name = "uplink", .exception = true };
	struct tw_dp_conf conf = { .ports = &pc, .n_ports = 1, .n_workers = 1,
				   .idle_sleep_us = 200 };
	uint16_t own[16];
	unsigned n_own = 0;
	double seconds = 0, elapsed;
	uint64_t t_start, t_end;
	struct tw_dp_stats st;
	struct tw_dp *dp;
	char err[512];
	int rc, opt;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= rc;
	argv += rc;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			snprintf(pc.device, sizeof(pc.device), "%s", optarg);
			break;
		case 'n':
			snprintf(pc.name, sizeof(pc.name), "%s", optarg);
			break;
		case 'a':
			if (pc.n_addrs >= RTE_DIM(pc.addrs) ||
			    parse_prefix(optarg, &pc.addrs[pc.n_addrs]) != 0) {
				fprintf(stderr, "bad address %s\n", optarg);
				return 2;
			}
			pc.n_addrs++;
			break;
		case 'v':
			pc.vlan = (uint16_t)atoi(optarg);
			break;
		case 'u':
			if (n_own < RTE_DIM(own))
				own[n_own++] = (uint16_t)atoi(optarg);
			break;
		case 'i':
			conf.idle_sleep_us = (uint32_t)atoi(optarg);
			break;
		case 'x':
			pc.exception = false;
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 't':
			snprintf(pc.tap_ifname, sizeof(pc.tap_ifname), "%s", optarg);
			break;
		case 'm':
			if (rte_ether_unformat_addr(optarg,
						    (struct rte_ether_addr *)pc.mac) != 0) {
				fprintf(stderr, "bad MAC %s\n", optarg);
				return 2;
			}
			pc.has_mac = true;
			break;
		case 'r':
			reflect_port = (uint16_t)atoi(optarg);
			if (n_own < RTE_DIM(own))
				own[n_own++] = reflect_port;
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (rte_lcore_count() > 1)
		conf.n_workers = rte_lcore_count() - 1;
	if (pc.device[0] == '\0') {
		usage(argv[0]);
		return 2;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	dp = tw_dp_ports_create(&conf, err, sizeof(err));
	if (dp == NULL) {
		fprintf(stderr, "dp_exception: %s\n", err);
		rte_eal_cleanup();
		return 1;
	}
	for (unsigned i = 0; i < n_own; i++)
		tw_dp_udp_port_own(dp, own[i], true);
	if (reflect_port != 0)
		tw_dp_set_udp_handler(dp, echo, NULL);
	if (tw_dp_telemetry_register(dp) != 0)
		fprintf(stderr, "dp_exception: telemetry commands not registered\n");
	rc = tw_dp_ports_start(dp, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "dp_exception: %s\n", err);
		tw_dp_ports_destroy(dp);
		rte_eal_cleanup();
		return 1;
	}
	if (rte_lcore_count() > 1) {
		unsigned w = 0, lc;

		/* workers on the worker lcores, the service on a control thread */
		RTE_LCORE_FOREACH_WORKER(lc)
			rte_eal_remote_launch(tw_dp_worker_main, tw_dp_worker_arg(dp, w++), lc);
		rc = tw_dp_service_start(dp, conf.idle_sleep_us);
		if (rc != 0)
			fprintf(stderr, "dp_exception: service thread: %s\n", strerror(-rc));
	}
	printf("ready\n");
	fflush(stdout);

	t_start = rte_rdtsc();
	t_end = seconds > 0 ? t_start + (uint64_t)(seconds * (double)rte_get_tsc_hz()) : UINT64_MAX;
	while (!stop && rte_rdtsc() < t_end) {
		int n;

		if (rte_lcore_count() > 1) {
			rte_delay_us_sleep(10000);
			continue;
		}
		/* one lcore: the worker loop and the exception service take turns */
		n = tw_dp_worker_poll(dp, 0);
		n += (int)tw_dp_service(dp);
		if (n == 0 && conf.idle_sleep_us != 0)
			rte_delay_us_sleep(conf.idle_sleep_us);
	}

	tw_dp_quit(dp);
	rte_eal_mp_wait_lcore();
	tw_dp_service_stop(dp);
	elapsed = (double)(rte_rdtsc() - t_start) / (double)rte_get_tsc_hz();
	/* drain: what the kernel already queued on the TAP still goes out */
	for (int i = 0; i < 4; i++) {
		tw_dp_service(dp);
		tw_dp_worker_poll(dp, 0);
	}
	rc = tw_dp_ports_stop(dp);
	tw_dp_stats_get(dp, &st);
	for (unsigned i = 0; i < TW_DP_CNT__MAX; i++)
		printf("counter %s %" PRIu64 "\n", tw_dp_counter_name(i), st.cnt[i]);
	for (unsigned i = 0; i < TW_DP_DROP__MAX; i++)
		printf("drop %s %" PRIu64 "\n", tw_dp_drop_name(i), st.drop[i]);
	printf("seconds %.3f rx_mpps %.3f tx_mpps %.3f\n", elapsed,
	       (double)st.cnt[TW_DP_CNT_RX] / elapsed / 1e6,
	       (double)st.cnt[TW_DP_CNT_TX] / elapsed / 1e6);
	{
		static struct tw_dp_hist h;

		if (tw_dp_turnaround_get(dp, -1, &h) == 0 && h.count != 0)
			printf("turnaround_ns count %" PRIu64 " p50 %" PRIu64 " p99 %" PRIu64
			       " max %" PRIu64 "\n", h.count, tw_dp_hist_quantile(&h, 0.5),
			       tw_dp_hist_quantile(&h, 0.99), h.max_ns);
	}
	fflush(stdout);
	tw_dp_ports_destroy(dp);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
