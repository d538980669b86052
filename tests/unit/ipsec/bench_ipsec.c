/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP decap + reflect + encap per core (scripts/bench-ipsec.sh): the same
 * packets through (a) bare librte_ipsec (inbound session, then the outbound
 * session, L2 kept aside by hand) and (b) lib/ipsec's worker entry points
 * (tw_ipsec_dp_inbound, the reflector's address/port swap, then
 * tw_ipsec_dp_outbound), one after the other in the same run, CPU_CRYPTO.
 * Each burst copies 32 pre-built ESP frames into fresh mbufs (both sides pay
 * it). The anti-replay window is off so the frames can be reused. The two
 * alternate in 50 ms slices; rates are per second of the thread's CPU time.
 *
 *   bench_ipsec [gcm128|cbc-sha256|gcm128-udp] [SECONDS] [PCAP CIPHER_KEY_HEX [AUTH_KEY_HEX]]
 * prints: case, Mpps bare, Mpps lib/ipsec, ratio
 * gcm128-udp: AES-GCM-128 in UDP 4500 (RFC 3948) on every SA.
 *
 * Without PCAP the frames are 32 ESP packets encrypted here. With PCAP
 * (scripts/bench-ipsec.sh appliance mode: the file twamp-dp replays) they
 * are that file's frames (Ethernet, IPv4 outer, ESP tunnel from 198.18.0.2
 * to 198.18.0.1), cycled 32 at a time; the inbound SA takes the SPI of the
 * first frame and the keys given, the reply SA is 0x1001; the thread runs
 * on lcore 1 (CPU 1), where twamp-dp's worker runs in that script.
 *
 *   bench_ipsec --port PREFIX CASE SECONDS PCAP CIPHER_KEY_HEX [AUTH_KEY_HEX]
 * the bare loop as a minimal forwarder instead (issue 5's baseline "on
 * net_pcap replay"): EAL with hugepages (--in-memory, file prefix PREFIX),
 * one port net_pcap0,rx_pcap=PCAP,infinite_rx=1 as twamp-dp's, lcore 1;
 * rte_eth_rx_burst, the inbound session, the swap, the outbound session,
 * rte_eth_tx_burst (net_pcap frees what it sends without a tx_pcap), the
 * failed and unsent freed. 1 s warm-up, then SECONDS; prints
 * bare_port_mpps (per second of the thread's CPU time) and the wall rate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ipsec.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "ipsec_priv.h"

#define B 32

static const uint8_t US[4] = { 198, 18, 0, 1 }, PEER[4] = { 198, 18, 0, 2 };
static struct rte_mempool *pool;

static struct ipsec_sa *sa_of(struct tw_ipsec *ctx, enum tw_ipsec_dir dir, uint32_t spi,
			      const uint8_t *dst)
{
	struct tw_keys_5t k;
	void *d = NULL;

	sa_key(&k, dir, TW_IPSEC_ESP, spi, 4, dst);
	if (tw_keys_lookup(ctx->sas, &k, &d) != 0) {
		fprintf(stderr, "SA 0x%x missing\n", spi);
		exit(1);
	}
	return d;
}

static struct rte_mbuf *copy(const uint8_t *b, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	memcpy(rte_pktmbuf_append(m, len), b, len);
	m->l2_len = 14;
	m->l3_len = 20;
	return m;
}

#define MAX_FRAMES 65536u
/* an untagged Ethernet frame of the largest RFC 2544 size (1518 with the
 * FCS the pcap does not hold) fits; scripts/bench-ipsec.sh --sizes */
#define MAX_FRAME 1536u

/* Ethernet frames of a classic pcap file into @p f (MAX_FRAME each); the
 * count, or 0 after a message. */
static unsigned read_pcap(const char *path, uint8_t (*f)[MAX_FRAME], uint16_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint32_t gh[6], rh[4];
	unsigned n = 0;

	if (fp == NULL) {
		fprintf(stderr, "bench_ipsec: %s: %s\n", path, strerror(errno));
		return 0;
	}
	if (fread(gh, sizeof(gh), 1, fp) != 1 || (gh[0] != 0xa1b2c3d4u && gh[0] != 0xa1b23c4du) ||
	    gh[5] != 1) {
		fprintf(stderr, "bench_ipsec: %s: not a little-endian Ethernet pcap\n", path);
		fclose(fp);
		return 0;
	}
	while (fread(rh, sizeof(rh), 1, fp) == 1) {
		if (n == MAX_FRAMES || rh[2] > MAX_FRAME || rh[2] != rh[3] ||
		    fread(f[n], rh[2], 1, fp) != 1) {
			fprintf(stderr, "bench_ipsec: %s: frame %u: more than %u frames, longer "
				"than %u octets, truncated or cut short\n", path, n, MAX_FRAMES,
				MAX_FRAME);
			fclose(fp);
			return 0;
		}
		len[n++] = (uint16_t)rh[2];
	}
	fclose(fp);
	if (n == 0)
		fprintf(stderr, "bench_ipsec: %s: no frames\n", path);
	return n;
}

/* @p hex into @p out (at most @p cap octets); the length, or -1 */
static int unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

/* the reflector's rewrite of the inner packet: MACs, addresses, ports */
static void swap(struct rte_mbuf *m)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *), t[6];

	memcpy(t, f, 6); memcpy(f, f + 6, 6); memcpy(f + 6, t, 6);
	memcpy(t, f + 26, 4); memcpy(f + 26, f + 30, 4); memcpy(f + 30, t, 4);
	memcpy(t, f + 34, 2); memcpy(f + 34, f + 36, 2); memcpy(f + 36, t, 2);
}

/* The bare loop as a forwarder on port 0 (net_pcap): what a minimal
 * librte_ipsec reflector does per burst and nothing else. */
static int forward(struct ipsec_sa *sin, struct ipsec_sa *sout, bool udp, double secs,
		   const char *which)
{
	struct rte_eth_conf pc = { 0 };
	uint64_t hz = rte_get_tsc_hz(), done = 0, t0 = 0;
	struct timespec c0 = { 0 }, c1;
	double cpu;
	uint8_t l2[14];
	bool have_l2 = false, timing = false;

	if (rte_eth_dev_count_avail() != 1 || rte_eth_dev_configure(0, 1, 1, &pc) != 0 ||
	    rte_eth_rx_queue_setup(0, 0, 512, (unsigned)rte_socket_id(), NULL, pool) != 0 ||
	    rte_eth_tx_queue_setup(0, 0, 512, (unsigned)rte_socket_id(), NULL) != 0 ||
	    rte_eth_dev_start(0) != 0) {
		fprintf(stderr, "bench_ipsec: the net_pcap port did not start\n");
		return 1;
	}
	for (uint64_t warm = rte_rdtsc() + hz;;) {
		struct rte_mbuf *m[B];
		uint16_t n, k, t;

		if (!timing && rte_rdtsc() >= warm) {
			timing = true;
			done = 0;
			t0 = rte_rdtsc();
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		}
		if (timing && rte_rdtsc() - t0 >= (uint64_t)(secs * (double)hz))
			break;
		n = rte_eth_rx_burst(0, 0, m, B);
		if (n == 0)
			continue;
		if (!have_l2) {
			/* the reply's L2 header: the frames' own, as the swap
			 * exchanges the MACs (the pcap has one pair) */
			memcpy(l2, rte_pktmbuf_mtod(m[0], void *), 14);
			have_l2 = true;
		}
		for (uint16_t i = 0; i < n; i++) {
			m[i]->l2_len = 14;
			/* librte_ipsec finds ESP at l2_len + l3_len */
			m[i]->l3_len = udp ? 28 : 20;
		}
		k = rte_ipsec_pkt_cpu_prepare(&sin->ss, m, n);
		k = rte_ipsec_pkt_process(&sin->ss, m, k);
		for (uint16_t i = 0; i < k; i++) {
			memcpy(rte_pktmbuf_prepend(m[i], 14), l2, 14);
			swap(m[i]);
			rte_pktmbuf_adj(m[i], 14);
			m[i]->l2_len = 0;
			m[i]->l3_len = 20;
		}
		if (k < n)   /* failed: behind the good ones */
			rte_pktmbuf_free_bulk(m + k, n - k);
		n = k;
		k = rte_ipsec_pkt_cpu_prepare(&sout->ss, m, n);
		k = rte_ipsec_pkt_process(&sout->ss, m, k);
		for (uint16_t i = 0; i < k; i++)
			memcpy(rte_pktmbuf_prepend(m[i], 14), l2, 14);
		if (k < n)
			rte_pktmbuf_free_bulk(m + k, n - k);
		t = rte_eth_tx_burst(0, 0, m, k);
		if (t < k)
			rte_pktmbuf_free_bulk(m + t, k - t);
		done += t;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	printf("%s bare_port_mpps=%.2f wall_mpps=%.2f\n", which, (double)done / cpu / 1e6,
	       (double)done / ((double)(rte_rdtsc() - t0) / (double)hz) / 1e6);
	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	return done != 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0", "--log-level=*:error", NULL };
	char vdev[600], *eal_port[] = { argv[0], "--in-memory", "--no-pci", "--no-telemetry",
					"--file-prefix", NULL, "--vdev", vdev, "-l", "1",
					"--log-level=*:error", NULL };
	const char *prefix = NULL;

	if (argc > 2 && strcmp(argv[1], "--port") == 0) {
		prefix = argv[2];
		argc -= 2;
		argv += 2;
		if (argc < 4) {
			fprintf(stderr, "bench_ipsec: --port needs CASE SECONDS PCAP KEYS\n");
			return 2;
		}
	}

	const char *which = argc > 1 ? argv[1] : "gcm128";
	double secs = argc > 2 ? atof(argv[2]) : 2.0;
	bool udp = strcmp(which, "gcm128-udp") == 0;
	bool gcm = udp || strcmp(which, "gcm128") == 0;
	struct tw_ipsec_conf cc = { .n_workers = 1, .max_sas = 16, .socket = SOCKET_ID_ANY,
				    .action = TW_IPSEC_ACT_CPU_CRYPTO, .name = "bench" };
	struct tw_ipsec_sa_conf gen = { 0 }, in, out;
	struct ipsec_sa *sgen, *sin, *sout;
	/* 100 MB of bss: only the pages the pcap's frames fill are touched */
	static uint8_t esp[MAX_FRAMES][MAX_FRAME];
	static uint16_t esp_len[MAX_FRAMES];
	const char *pcap = argc > 3 ? argv[3] : NULL;
	unsigned n_frames = B, next = 0;
	struct tw_ipsec *ctx;
	double mpps[2];
	int kl;

	/* with a pcap: lcore 1, the CPU of twamp-dp's worker in the same script */
	if (argc > 3)
		eal[8] = "1";
	if (prefix != NULL) {
		if (snprintf(vdev, sizeof(vdev), "net_pcap0,rx_pcap=%s,infinite_rx=1", pcap) >=
		    (int)sizeof(vdev)) {
			fprintf(stderr, "bench_ipsec: %s: path too long\n", pcap);
			return 2;
		}
		eal_port[5] = (char *)(uintptr_t)prefix;
		if (rte_eal_init((int)(sizeof(eal_port) / sizeof(eal_port[0])) - 1, eal_port) < 0)
			return 1;
	} else if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		return 1;
	}
	cc.qsbr = rte_zmalloc("q", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(cc.qsbr, 1);
	/* the port: net_pcap keeps the whole file in mbufs of this pool */
	pool = rte_pktmbuf_pool_create("bp", prefix != NULL ? 8191 : 4095, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	ctx = tw_ipsec_create(&cc);
	if (pool == NULL || ctx == NULL)
		return 1;
	gen.dir = TW_IPSEC_OUT;
	gen.proto = TW_IPSEC_ESP;
	gen.mode = TW_IPSEC_TUNNEL;
	gen.ipv = 4;
	gen.cipher = gcm ? TW_IPSEC_CIPHER_AES_GCM_128 : TW_IPSEC_CIPHER_AES_CBC_128;
	gen.auth = gcm ? TW_IPSEC_AUTH_NONE : TW_IPSEC_AUTH_HMAC_SHA256_128;
	gen.encap_udp = udp;
	gen.cipher_key_len = (uint8_t)tw_ipsec_cipher_key_len(gen.cipher);
	gen.auth_key_len = (uint8_t)tw_ipsec_auth_key_len(gen.auth);
	memset(gen.cipher_key, 0x11, gen.cipher_key_len);
	memset(gen.auth_key, 0x22, gen.auth_key_len);
	/* the peer's encryptor (peer -> us), our inbound twin, our reply SA */
	gen.spi = 0x2001;
	if (pcap != NULL) {
		n_frames = read_pcap(pcap, esp, esp_len);
		if (n_frames == 0)
			return 1;
		unsigned o = udp ? 42 : 34;   /* the SPI behind IPv4 (+ UDP) */

		if (esp_len[0] < o + 8 || esp[0][23] != (udp ? 17 : 50)) {
			fprintf(stderr, "bench_ipsec: %s: the first frame is not IPv4 ESP%s\n",
				pcap, udp ? " in UDP" : "");
			return 1;
		}
		gen.spi = (uint32_t)esp[0][o] << 24 | (uint32_t)esp[0][o + 1] << 16 |
			  (uint32_t)esp[0][o + 2] << 8 | esp[0][o + 3];
		kl = argc > 4 ? unhex(argv[4], gen.cipher_key, sizeof(gen.cipher_key)) : -1;
		if (kl != gen.cipher_key_len ||
		    unhex(argc > 5 ? argv[5] : "", gen.auth_key, sizeof(gen.auth_key)) !=
			    gen.auth_key_len) {
			fprintf(stderr, "bench_ipsec: %s needs a %u-octet cipher key and a "
				"%u-octet auth key (hex)\n", which, gen.cipher_key_len,
				gen.auth_key_len);
			return 1;
		}
	}
	memcpy(gen.src, PEER, 4);
	memcpy(gen.dst, US, 4);
	out = gen;
	out.spi = 0x1001;
	memcpy(out.src, US, 4);
	memcpy(out.dst, PEER, 4);
	in = gen;
	in.dir = TW_IPSEC_IN;
	in.no_replay = true;
	in.reply_spi = out.spi;
	if (tw_ipsec_sa_add(ctx, &gen) || tw_ipsec_sa_add(ctx, &out) || tw_ipsec_sa_add(ctx, &in))
		return 1;
	sgen = sa_of(ctx, TW_IPSEC_OUT, gen.spi, US);
	sin = sa_of(ctx, TW_IPSEC_IN, in.spi, US);
	sout = sa_of(ctx, TW_IPSEC_OUT, out.spi, PEER);
	/* 32 TWAMP-Light-sized test packets (41-octet payload), encrypted once */
	for (unsigned i = 0; pcap == NULL && i < B; i++) {
		uint8_t f[14 + 20 + 8 + 41] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0,
						0x45, 0, 0, 20 + 8 + 41, 0, 0, 0, 0, 255, 17 };
		struct rte_mbuf *m;

		memcpy(f + 26, PEER, 4);
		memcpy(f + 30, US, 4);
		f[34] = 0x9f; f[35] = (uint8_t)i; f[36] = 0x21; f[37] = 0xb4; f[39] = 49;
		m = copy(f, sizeof(f));
		rte_pktmbuf_adj(m, 14);
		m->l2_len = 0;
		if (rte_ipsec_pkt_cpu_prepare(&sgen->ss, &m, 1) != 1 ||
		    rte_ipsec_pkt_process(&sgen->ss, &m, 1) != 1)
			return 1;
		if (udp) {
			/* RFC 768: the UDP length (librte_ipsec leaves the template's) */
			uint8_t *u = rte_pktmbuf_mtod_offset(m, uint8_t *, 20);

			u[4] = (uint8_t)((m->pkt_len - 20) >> 8);
			u[5] = (uint8_t)(m->pkt_len - 20);
		}
		memcpy(rte_pktmbuf_prepend(m, 14), f, 14);
		esp_len[i] = (uint16_t)m->pkt_len;
		memcpy(esp[i], rte_pktmbuf_mtod(m, void *), m->pkt_len);
		rte_pktmbuf_free(m);
	}
	if (prefix != NULL) {
		int rc = forward(sin, sout, udp, secs, which);

		tw_ipsec_destroy(ctx);
		rte_eal_cleanup();
		return rc;
	}
	/* the two modes alternate in 50 ms slices; the rate is per second of
	 * this thread's CPU time (a shared machine's steal does not count) */
	uint64_t done[2] = { 0 };
	double cpu[2] = { 0 };

	for (unsigned slice = 0; slice < (unsigned)(secs * 20) * 2; slice++) {
		int mode = (int)(slice & 1);
		uint64_t hz = rte_get_tsc_hz(), end = rte_rdtsc() + hz / 20;
		struct timespec c0, c1;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		while (rte_rdtsc() < end) {
			struct rte_mbuf *m[B];
			void *h[B];
			uint8_t v[B];
			uint16_t k;

			for (unsigned i = 0; i < B; i++) {
				m[i] = copy(esp[next], esp_len[next]);
				next = next + 1 == n_frames ? 0 : next + 1;
			}
			if (mode == 0) {
				/* bare librte_ipsec: decap, the same swap, encap */
				uint8_t l2[14];

				/* librte_ipsec finds ESP at l2_len + l3_len:
				 * behind the UDP header in UDP encapsulation */
				for (unsigned i = 0; udp && i < B; i++)
					m[i]->l3_len = 28;
				k = rte_ipsec_pkt_cpu_prepare(&sin->ss, m, B);
				k = rte_ipsec_pkt_process(&sin->ss, m, k);
				memcpy(l2, esp[0], 14);
				for (unsigned i = 0; i < k; i++) {
					memcpy(rte_pktmbuf_prepend(m[i], 14), l2, 14);
					swap(m[i]);
					rte_pktmbuf_adj(m[i], 14);
					m[i]->l2_len = 0;
					m[i]->l3_len = 20;
				}
				k = rte_ipsec_pkt_cpu_prepare(&sout->ss, m, k);
				k = rte_ipsec_pkt_process(&sout->ss, m, k);
				for (unsigned i = 0; i < k; i++)
					memcpy(rte_pktmbuf_prepend(m[i], 14), l2, 14);
			} else {
				k = tw_ipsec_dp_inbound(ctx, 0, m, B, v, h);
				for (unsigned i = 0; i < k; i++)
					swap(m[i]);
				k = tw_ipsec_dp_outbound(ctx, 0, m, h, k);
			}
			done[mode] += k;
			rte_pktmbuf_free_bulk(m, B);
		}
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
		cpu[mode] += (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	}
	for (int mode = 0; mode < 2; mode++)
		mpps[mode] = (double)done[mode] / cpu[mode] / 1e6;
	printf("%s bare_librte_ipsec_mpps=%.2f lib_ipsec_mpps=%.2f ratio=%.2f\n", which,
	       mpps[0], mpps[1], mpps[1] / mpps[0]);
	tw_ipsec_destroy(ctx);
	rte_eal_cleanup();
	return 0;
}
