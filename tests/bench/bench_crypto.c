/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test-packet crypto cost per reflected packet: verify the Session-Sender
 * packet (decrypt + HMAC check), then protect the Session-Reflector reply
 * (HMAC + encrypt), in authenticated and encrypted mode, with the
 * intel-ipsec-mb, OpenSSL and native (AES-NI + SHA-NI) engines, one packet
 * per call and bursts of 32 through the burst API. Also STAMP
 * (HMAC-SHA-256/128) check + sign, one packet per call and in bursts of
 * 32. Times are CPU time of this thread.
 *
 * usage: bench_crypto [iterations per round] [rounds] [only]
 * where only (e.g. "imb/auth/burst32") selects one case.
 * Prints one line per case: ns/pkt (best round) and the Mpps it implies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tw_crypto.h"

#define BURST 32
#define SENDER_LEN 112   /* 48 + 64 octets of padding (equal sizes) */
#define REFLECTOR_LEN 112

static uint64_t now_ns(void)
{
	struct timespec ts;

	/* CPU time of this thread: other load on a shared machine does not
	 * count against us while we are descheduled */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct bench {
	struct tw_crypto_engine *e;
	const struct tw_crypto_test *t[BURST];
	uint8_t rx_proto[BURST][SENDER_LEN]; /* protected sender packets */
	uint8_t rx[BURST][SENDER_LEN];
	uint8_t tx[BURST][REFLECTOR_LEN];
	uint8_t *prx[BURST], *ptx[BURST];
	uint16_t lrx[BURST], ltx[BURST];
};

/* One reflected packet: what the data plane will do per packet. */
static int reflect_one(struct bench *b, unsigned i)
{
	memcpy(b->rx[i], b->rx_proto[i], SENDER_LEN);
	if (tw_crypto_test_verify(b->e, b->t[i], TW_CRYPTO_PKT_SENDER,
				  b->rx[i], SENDER_LEN) != 0)
		return -1;
	memcpy(b->tx[i] + 48, b->rx[i], 4); /* Sender Sequence Number */
	return tw_crypto_test_protect(b->e, b->t[i], TW_CRYPTO_PKT_REFLECTOR,
				      b->tx[i], REFLECTOR_LEN);
}

static int reflect_burst(struct bench *b)
{
	int r[BURST];

	for (unsigned i = 0; i < BURST; i++)
		memcpy(b->rx[i], b->rx_proto[i], SENDER_LEN);
	if (tw_crypto_test_verify_burst(b->e, b->t, TW_CRYPTO_PKT_SENDER,
					b->prx, b->lrx, BURST, r) != BURST)
		return -1;
	for (unsigned i = 0; i < BURST; i++)
		memcpy(b->tx[i] + 48, b->rx[i], 4);
	if (tw_crypto_test_protect_burst(b->e, b->t, TW_CRYPTO_PKT_REFLECTOR,
					 b->ptx, b->ltx, BURST, r) != BURST)
		return -1;
	return 0;
}

static int setup(struct bench *b, enum tw_crypto_impl impl,
		 enum tw_crypto_test_mode mode, struct tw_crypto_test **ts)
{
	struct tw_crypto_session_keys k;

	memset(b, 0, sizeof(*b));
	b->e = tw_crypto_engine_create(impl);
	if (b->e == NULL)
		return -1;
	/* 4 sessions interleaved, as on a busy reflector */
	for (unsigned s = 0; s < 4; s++) {
		if (tw_crypto_random(&k, sizeof(k)) != 0)
			return -1;
		ts[s] = tw_crypto_test_create(b->e, mode, &k);
		if (ts[s] == NULL)
			return -1;
	}
	for (unsigned i = 0; i < BURST; i++) {
		b->t[i] = ts[i % 4];
		if (tw_crypto_random(b->rx_proto[i], SENDER_LEN) != 0 ||
		    tw_crypto_random(b->tx[i], REFLECTOR_LEN) != 0)
			return -1;
		if (tw_crypto_test_protect(b->e, b->t[i], TW_CRYPTO_PKT_SENDER,
					   b->rx_proto[i], SENDER_LEN) != 0)
			return -1;
		b->prx[i] = b->rx[i];
		b->ptx[i] = b->tx[i];
		b->lrx[i] = SENDER_LEN;
		b->ltx[i] = REFLECTOR_LEN;
	}
	return 0;
}

struct bcase {
	char name[40];
	bool burst;
	struct bench b;
	struct tw_crypto_test *ts[4];
	double best;
};

static void case_init(struct bcase *c, enum tw_crypto_impl impl,
		      enum tw_crypto_test_mode mode, bool burst)
{
	if (setup(&c->b, impl, mode, c->ts) != 0) {
		fprintf(stderr, "bench: setup failed\n");
		exit(1);
	}
	c->burst = burst;
	c->best = 1e30;
}

static void case_round(struct bcase *c, unsigned long iters)
{
	uint64_t t0 = now_ns();
	unsigned long pkts = 0;
	double ns;

	while (pkts < iters) {
		int rc;

		if (c->burst) {
			rc = reflect_burst(&c->b);
			pkts += BURST;
		} else {
			rc = reflect_one(&c->b, (unsigned)(pkts % BURST));
			pkts++;
		}
		if (rc != 0) {
			fprintf(stderr, "bench: verify/protect failed\n");
			exit(1);
		}
	}
	ns = (double)(now_ns() - t0) / (double)pkts;
	if (ns < c->best)
		c->best = ns;
}

static void case_fini(struct bcase *c)
{
	for (unsigned s = 0; s < 4; s++)
		tw_crypto_test_destroy(c->ts[s]);
	tw_crypto_engine_destroy(c->b.e);
}

static double run_stamp(unsigned long iters, unsigned rounds)
{
	uint8_t key[32] = { 1 }, pkt[112] = { 2 };
	struct tw_crypto_stamp *s = tw_crypto_stamp_create(key, sizeof(key));
	double best = 1e30;

	if (s == NULL || tw_crypto_stamp_sign(s, pkt, sizeof(pkt)) != 0)
		exit(1);
	for (unsigned r = 0; r < rounds; r++) {
		uint64_t t0 = now_ns();

		for (unsigned long i = 0; i < iters; i++) {
			if (tw_crypto_stamp_check(s, pkt, sizeof(pkt)) != 0 ||
			    tw_crypto_stamp_sign(s, pkt, sizeof(pkt)) != 0)
				exit(1);
		}
		double ns = (double)(now_ns() - t0) / (double)iters;
		if (ns < best)
			best = ns;
	}
	tw_crypto_stamp_destroy(s);
	return best;
}

/* STAMP check + sign through the burst API: 32 packets, 4 keys. */
static double run_stamp_burst(unsigned long iters, unsigned rounds)
{
	static uint8_t pkt[BURST][112];
	struct tw_crypto_stamp *ks[4];
	const struct tw_crypto_stamp *s[BURST];
	uint8_t *p[BURST];
	const uint8_t *cp[BURST];
	uint16_t lens[BURST];
	int res[BURST];
	double best = 1e30;

	for (unsigned k = 0; k < 4; k++) {
		uint8_t key[32] = { (uint8_t)(k + 1) };

		ks[k] = tw_crypto_stamp_create(key, sizeof(key));
		if (ks[k] == NULL)
			exit(1);
	}
	for (unsigned i = 0; i < BURST; i++) {
		s[i] = ks[i % 4];
		memset(pkt[i], (int)i, sizeof(pkt[i]));
		p[i] = pkt[i];
		cp[i] = pkt[i];
		lens[i] = sizeof(pkt[i]);
	}
	if (tw_crypto_stamp_sign_burst(s, p, lens, BURST, res) != BURST)
		exit(1);
	for (unsigned r = 0; r < rounds; r++) {
		uint64_t t0 = now_ns();
		unsigned long n = 0;

		for (; n < iters; n += BURST) {
			if (tw_crypto_stamp_check_burst(s, cp, lens, BURST,
							res) != BURST ||
			    res[0] != 0 || res[BURST - 1] != 0 ||
			    tw_crypto_stamp_sign_burst(s, p, lens, BURST,
						       res) != BURST)
				exit(1);
		}
		double ns = (double)(now_ns() - t0) / (double)n;
		if (ns < best)
			best = ns;
	}
	for (unsigned k = 0; k < 4; k++)
		tw_crypto_stamp_destroy(ks[k]);
	return best;
}

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 5;
	const char *only = argc > 3 ? argv[3] : NULL;
	static struct bcase cases[12];
	size_t nc = 0;
	static const struct {
		const char *name;
		enum tw_crypto_impl impl;
	} impls[] = { { "imb", TW_CRYPTO_IMPL_IMB },
		      { "openssl", TW_CRYPTO_IMPL_OPENSSL },
		      { "native", TW_CRYPTO_IMPL_NATIVE } };
	static const struct {
		const char *name;
		enum tw_crypto_test_mode mode;
	} modes[] = { { "auth", TW_CRYPTO_TEST_AUTH },
		      { "enc", TW_CRYPTO_TEST_ENC } };

	if (iters < BURST)
		iters = BURST;
	printf("# reflector verify(sender %d B) + protect(reflector %d B), "
	       "best of %u rounds x %lu packets\n", SENDER_LEN, REFLECTOR_LEN,
	       rounds, iters);
	printf("%-24s %10s %8s\n", "impl/mode/call", "ns/pkt", "Mpps");
	for (size_t m = 0; m < 2; m++)
		for (size_t i = 0; i < 3; i++)
			for (int burst = 0; burst < 2; burst++) {
				struct bcase *c = &cases[nc];

				snprintf(c->name, sizeof(c->name), "%s/%s/%s",
					 impls[i].name, modes[m].name,
					 burst ? "burst32" : "single");
				if (only != NULL && strcmp(only, c->name) != 0)
					continue;
				case_init(c, impls[i].impl, modes[m].mode,
					  burst);
				nc++;
			}
	/* rounds interleave the cases so machine noise hits them alike */
	for (unsigned r = 0; r < rounds; r++)
		for (size_t k = 0; k < nc; k++)
			case_round(&cases[k], iters);
	for (size_t k = 0; k < nc; k++) {
		printf("%-24s %10.1f %8.2f\n", cases[k].name, cases[k].best,
		       1000.0 / cases[k].best);
		case_fini(&cases[k]);
	}
	if (only == NULL || strcmp(only, "stamp/check+sign") == 0) {
		double ns = run_stamp(iters, rounds);

		printf("%-24s %10.1f %8.2f\n", "stamp/check+sign", ns,
		       1000.0 / ns);
	}
	if (only == NULL || strcmp(only, "stamp/burst32") == 0) {
		double ns = run_stamp_burst(iters, rounds);

		printf("%-24s %10.1f %8.2f\n", "stamp/burst32", ns,
		       1000.0 / ns);
	}
	return 0;
}
