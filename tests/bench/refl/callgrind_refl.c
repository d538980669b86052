/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instruction-count driver for the reflector's per-packet path: the frames
 * of a gen_refl_pcap file, 32 at a time, through what a worker does to an
 * owned packet (tw_dp_parse with no NIC checksum flags, the UDP handler,
 * the TX stamp). Only bench_burst() is meant to be counted:
 *
 *   valgrind --tool=callgrind --collect-atstart=no \
 *     --toggle-collect=bench_burst ./callgrind_refl CASE FILE [--key HEX]
 *
 * then divide the instructions (callgrind_annotate) by the packets this
 * program prints. Not a test: scripts/bench-reflector.sh measures time.
 *
 * With --time ROUNDS (natively, not under valgrind) it also times the same
 * path: ROUNDS passes over the file, the TSC around each bench_burst()
 * call, and prints the best pass in ns per packet. The best pass is the one
 * other load on a shared machine disturbed least; unlike the
 * bench-reflector.sh figures it leaves out the RX/TX bursts, the timestamp
 * field and the turnaround histogram.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "tw_dp_parse.h"
#include "tw_dp_reflect.h"

#define MAXF 4096
#define ROUNDS 8
#define TIME_ROUNDS_MAX 100000u

static uint8_t frames[MAXF][256];
static uint16_t flen[MAXF];
static uint64_t owned[65536 / 64];

static int read_pcap(const char *path, unsigned *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t gh[24], rh[16];

	if (f == NULL || fread(gh, 1, sizeof(gh), f) != sizeof(gh))
		return -1;
	*n = 0;
	while (*n < MAXF && fread(rh, 1, sizeof(rh), f) == sizeof(rh)) {
		uint32_t cl;

		memcpy(&cl, rh + 8, 4);
		if (cl > sizeof(frames[0]) || fread(frames[*n], 1, cl, f) != cl)
			break;
		flen[(*n)++] = (uint16_t)cl;
	}
	fclose(f);
	return *n == 0 ? -1 : 0;
}

static int hexkey(const char *s, uint8_t *out, size_t *len)
{
	size_t n = 0;

	while (s[0] != '\0' && s[1] != '\0' && n < 64) {
		unsigned v;

		if (sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	*len = n;
	return 0;
}

/* What the worker does to one burst of owned UDP packets. */
__attribute__((noinline)) void bench_burst(struct tw_refl *r, const struct tw_dp_match *mt,
					   struct rte_mbuf **m, uint16_t n, uint64_t *txc);
__attribute__((noinline)) void bench_burst(struct tw_refl *r, const struct tw_dp_match *mt,
					   struct rte_mbuf **m, uint16_t n, uint64_t *txc)
{
	uint8_t verdict[TW_DP_BURST];
	struct rte_mbuf *tx[TW_DP_BURST];
	uint16_t nt = 0, no = 0;
	struct rte_mbuf *own[TW_DP_BURST];

	for (uint16_t i = 0; i < n; i++) {
		struct tw_dp_l34 l;

		if (tw_dp_parse(mt, rte_pktmbuf_mtod(m[i], const uint8_t *),
				rte_pktmbuf_data_len(m[i]), 0, &l) != TW_DP_CLS_OWNED)
			continue;
		m[i]->l2_len = l.l2_len;
		m[i]->l3_len = l.l3_len;
		own[no++] = m[i];
	}
	memset(verdict, TW_DP_V_EXCEPTION, no);
	tw_refl_udp_handler(r, 0, 0, own, no, verdict);
	for (uint16_t i = 0; i < no; i++)
		if (verdict[i] == TW_DP_V_TX)
			tx[nt++] = own[i];
	if (nt != 0)
		tw_refl_tx_stamp(r, 0, tx, nt, 0x1234567800000000ull);
	*txc += nt;
}

int main(int argc, char **argv)
{
	static const struct rte_mbuf_dynfield ntp_field = {
		.name = "tw_dp_rx_ntp",
		.size = sizeof(tw_ntp_t),
		.align = __alignof__(tw_ntp_t),
	};
	char *eal[] = { argv[0], "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0", "--log-level=lib.eal:error", NULL };
	struct tw_refl_light lc = { .port = 862, .dscp = TW_REFL_DSCP_COPY };
	struct tw_dp_match mt = { .n_v4 = 1, .v4 = { { 198, 18, 0, 1 } },
				  .udp_owned = owned };
	static struct tw_dp_clock clk;
	struct tw_refl_conf rc = { .n_workers = 1, .max_sessions = 16, .clock = &clk,
				   .crypto = TW_CRYPTO_IMPL_BEST };
	struct rte_mempool *pool;
	struct rte_mbuf *m[TW_DP_BURST];
	struct tw_refl *r;
	uint8_t key[64];
	size_t key_len = 0;
	unsigned nf, rounds = ROUNDS, timed = 0;
	uint64_t txc = 0, pk = 0, best = UINT64_MAX;
	bool bad = argc < 3;

	for (int a = 3; a < argc && !bad; a += 2) {
		if (a + 1 >= argc)
			bad = true;
		else if (strcmp(argv[a], "--key") == 0)
			bad = hexkey(argv[a + 1], key, &key_len) != 0;
		else if (strcmp(argv[a], "--time") == 0)
			bad = sscanf(argv[a + 1], "%u", &timed) != 1 || timed == 0 ||
			      timed > TIME_ROUNDS_MAX;
		else
			bad = true;
	}
	if (bad) {
		fprintf(stderr, "usage: callgrind_refl CASE PCAP [--key HEX] [--time ROUNDS]\n");
		return 2;
	}
	if (timed != 0)
		rounds = timed;
	if (strncmp(argv[1], "stamp", 5) == 0)
		lc.proto = TW_REFL_STAMP;
	else
		lc.proto = TW_REFL_LIGHT;
	lc.mode = strstr(argv[1], "unauth") != NULL ? TW_REFL_OPEN :
		  strstr(argv[1], "enc") != NULL ? TW_REFL_ENC : TW_REFL_AUTH;
	if (lc.mode != TW_REFL_OPEN) {
		lc.key = key;
		lc.key_len = key_len;
	}
	if (read_pcap(argv[2], &nf) != 0) {
		fprintf(stderr, "callgrind_refl: cannot read %s\n", argv[2]);
		return 1;
	}
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0)
		return 1;
	tw_dp_rx_ntp_offset = rte_mbuf_dynfield_register(&ntp_field);
	pool = rte_pktmbuf_pool_create("cg", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (tw_dp_rx_ntp_offset < 0 || pool == NULL ||
	    tw_dp_clock_init(&clk, rte_get_tsc_hz()) != 0 ||
	    rte_pktmbuf_alloc_bulk(pool, m, TW_DP_BURST) != 0)
		return 1;
	r = tw_refl_create(&rc);
	if (r == NULL || tw_refl_light_add(r, &lc) != 0) {
		fprintf(stderr, "callgrind_refl: reflector setup failed\n");
		return 1;
	}
	owned[862 / 64] |= 1ull << (862 % 64);
	for (unsigned round = 0; round < rounds; round++) {
		uint64_t cyc = 0;

		for (unsigned b = 0; b + TW_DP_BURST <= nf; b += TW_DP_BURST) {
			uint64_t t0;

			for (unsigned i = 0; i < TW_DP_BURST; i++) {
				struct rte_mbuf *x = m[i];

				rte_pktmbuf_reset(x);
				memcpy(rte_pktmbuf_append(x, flen[b + i]), frames[b + i],
				       flen[b + i]);
				x->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 |
						 RTE_PTYPE_L4_UDP;
				*RTE_MBUF_DYNFIELD(x, tw_dp_rx_ntp_offset, tw_ntp_t *) =
					0x1234560000000000ull;
			}
			t0 = rte_rdtsc_precise();
			bench_burst(r, &mt, m, TW_DP_BURST, &txc);
			cyc += rte_rdtsc_precise() - t0;
			pk += TW_DP_BURST;
		}
		if (cyc < best)
			best = cyc;
	}
	printf("packets %llu replies %llu\n", (unsigned long long)pk,
	       (unsigned long long)txc);
	if (timed != 0)
		printf("best of %u passes: %.1f ns per packet\n", timed,
		       (double)best * 1e9 / (double)rte_get_tsc_hz() /
		       (double)(nf / TW_DP_BURST * TW_DP_BURST));
	tw_refl_destroy(r);
	rte_pktmbuf_free_bulk(m, TW_DP_BURST);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return txc == pk ? 0 : 1;
}
