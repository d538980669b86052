/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AH (RFC 4302) in lib/ipsec against scapy's SecurityAssociation(AH)
 * (ah_vectors.h, generated at build time): inbound frames scapy protected
 * verify and strip to the exact packet scapy started from; outbound frames
 * equal scapy's byte for byte (AH has no IV: it is deterministic). Every
 * algorithm, mode and family. Forged ICV, replay, window edges, malformed
 * packets, sequence exhaustion and refused SA parameters.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tw_ipsec_ah.h"


#include "ah_vectors.h"

#define NV (sizeof(ah_vecs) / sizeof(ah_vecs[0]))

static const uint8_t PEER4[4] = { 198, 18, 0, 2 }, US4[4] = { 198, 18, 0, 1 };
static const uint8_t PEER6[16] = { 0x20, 0x01, 0, 2, [15] = 2 };
static const uint8_t US6[16] = { 0x20, 0x01, 0, 2, [15] = 1 };

static void conf_of(const struct ah_vec *v, bool out, struct tw_ipsec_sa_conf *c)
{
	const uint8_t *peer = v->ipv == 4 ? PEER4 : PEER6;
	const uint8_t *us = v->ipv == 4 ? US4 : US6;
	unsigned alen = v->ipv == 4 ? 4 : 16;

	memset(c, 0, sizeof(*c));
	c->spi = v->spi + (out ? 1 : 0);
	c->dir = out ? TW_IPSEC_OUT : TW_IPSEC_IN;
	c->proto = TW_IPSEC_AH;
	c->mode = v->tunnel ? TW_IPSEC_TUNNEL : TW_IPSEC_TRANSPORT;
	c->ipv = (uint8_t)v->ipv;
	memcpy(c->src, out ? us : peer, alen);
	memcpy(c->dst, out ? peer : us, alen);
	c->cipher = TW_IPSEC_CIPHER_NULL;
	c->auth = v->auth;
	memcpy(c->auth_key, v->key, v->key_len);
	c->auth_key_len = (uint8_t)v->key_len;
}

static struct tw_ipsec_ah *sa_of(const struct ah_vec *v, bool out)
{
	struct tw_ipsec_sa_conf c;
	struct tw_ipsec_ah *ah;

	conf_of(v, out, &c);
	ah = tw_ipsec_ah_create(&c);
	assert_non_null(ah);
	return ah;
}

/* scapy -> us: verify, strip, exact original packet; counters */
static void test_inbound_vectors(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NV; i++) {
		const struct ah_vec *v = &ah_vecs[i];
		struct tw_ipsec_ah *ah = sa_of(v, false);
		struct tw_ipsec_sa_stats st;
		size_t octets = 0;

		for (unsigned n = 0; n < 2; n++) {
			uint8_t buf[512];
			uint32_t off = 0, len = 0;

			memcpy(buf, v->in[n], v->in_len[n]);
			print_message("# %s in%u\n", v->name, n + 1);
			assert_int_equal(tw_ipsec_ah_inbound(ah, buf, (uint32_t)v->in_len[n],
							     &off, &len), 0);
			assert_int_equal(len, v->plain_len[n]);
			assert_memory_equal(buf + off, v->plain[n], len);
			octets += v->in_len[n];
		}
		tw_ipsec_ah_stats(ah, &st);
		assert_int_equal(st.packets, 2);
		assert_int_equal(st.octets, octets);
		assert_int_equal(st.auth_fail + st.replay_drop + st.bad, 0);
		tw_ipsec_ah_destroy(ah);
	}
}

/* us -> scapy: byte-exact, then our own inbound side takes it back */
static void test_outbound_vectors(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NV; i++) {
		const struct ah_vec *v = &ah_vecs[i];
		struct tw_ipsec_ah *ah = sa_of(v, true);
		struct tw_ipsec_sa_stats st;
		uint8_t out[512];
		int n;

		print_message("# %s out\n", v->name);
		n = tw_ipsec_ah_outbound(ah, v->rin, (uint32_t)v->rin_len, out, sizeof(out));
		assert_int_equal(n, v->rout_len);
		assert_memory_equal(out, v->rout, v->rout_len);
		tw_ipsec_ah_stats(ah, &st);
		assert_int_equal(st.packets, 1);
		assert_int_equal(st.octets, v->rout_len);
		/* too small a buffer: refused, sequence number not used */
		assert_int_equal(tw_ipsec_ah_outbound(ah, v->rin, (uint32_t)v->rin_len, out,
						      (uint32_t)v->rout_len - 1), -ENOSPC);
		n = tw_ipsec_ah_outbound(ah, v->rin, (uint32_t)v->rin_len, out, sizeof(out));
		assert_int_equal(n, v->rout_len);
		assert_int_equal(out[(v->ipv == 4 ? 20 : 40) + 11], 2);
		tw_ipsec_ah_destroy(ah);
	}
}

/* forged ICV, payload, mutable fields; replay; all counted, nothing changed */
static void test_forged_and_replay(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NV; i++) {
		const struct ah_vec *v = &ah_vecs[i];
		struct tw_ipsec_ah *ah = sa_of(v, false);
		unsigned hl = v->ipv == 4 ? 20 : 40;
		struct tw_ipsec_sa_stats st;
		uint8_t buf[512];
		uint32_t off, len;

		print_message("# %s forged/replay\n", v->name);
		/* ICV, payload and an immutable header field (source) flipped */
		const size_t flip[] = { hl + 12, v->in_len[0] - 1, v->ipv == 4 ? 12u : 8u };
		for (unsigned f = 0; f < 3; f++) {
			memcpy(buf, v->in[0], v->in_len[0]);
			buf[flip[f]] ^= 0x01;
			assert_int_equal(tw_ipsec_ah_inbound(ah, buf, (uint32_t)v->in_len[0],
							     &off, &len), -EACCES);
			buf[flip[f]] ^= 0x01;
			assert_memory_equal(buf, v->in[0], v->in_len[0]);
		}
		/* mutable fields (TTL / hop limit) may change in transit */
		memcpy(buf, v->in[1], v->in_len[1]);
		buf[v->ipv == 4 ? 8 : 7] = 3;
		if (v->ipv == 4)
			buf[1] = 0xb8;   /* TOS: DSCP EF; checksum is not covered either */
		assert_int_equal(tw_ipsec_ah_inbound(ah, buf, (uint32_t)v->in_len[1], &off, &len),
				 0);
		/* replay of 2, and 1 still accepted once (inside the window) */
		memcpy(buf, v->in[1], v->in_len[1]);
		assert_int_equal(tw_ipsec_ah_inbound(ah, buf, (uint32_t)v->in_len[1], &off, &len),
				 -EALREADY);
		memcpy(buf, v->in[0], v->in_len[0]);
		assert_int_equal(tw_ipsec_ah_inbound(ah, buf, (uint32_t)v->in_len[0], &off, &len),
				 0);
		memcpy(buf, v->in[0], v->in_len[0]);
		assert_int_equal(tw_ipsec_ah_inbound(ah, buf, (uint32_t)v->in_len[0], &off, &len),
				 -EALREADY);
		/* truncated: malformed */
		memcpy(buf, v->in[0], v->in_len[0]);
		assert_int_equal(tw_ipsec_ah_inbound(ah, buf, hl + 8, &off, &len), -EBADMSG);
		tw_ipsec_ah_stats(ah, &st);
		assert_int_equal(st.auth_fail, 3);
		assert_int_equal(st.replay_drop, 2);
		assert_int_equal(st.packets, 2);
		assert_int_equal(st.bad, 1);
		tw_ipsec_ah_destroy(ah);
	}
}

/* window mechanics over our own outbound -> inbound, SHA-256 IPv6 tunnel */
static void test_window(void **state)
{
	const struct ah_vec *v = &ah_vecs[NV - 2];
	struct tw_ipsec_sa_conf ci, co;
	struct tw_ipsec_ah *in, *out;
	static uint8_t pk[200][256];
	int len[200];
	uint32_t off, l;
	uint8_t buf[256];

	(void)state;
	assert_true(v->tunnel && v->ipv == 6);
	conf_of(v, true, &co);
	conf_of(v, true, &ci);   /* the same keys and addresses, inbound */
	ci.dir = TW_IPSEC_IN;
	ci.replay_window = 64;
	out = tw_ipsec_ah_create(&co);
	in = tw_ipsec_ah_create(&ci);
	assert_non_null(out);
	assert_non_null(in);
	for (unsigned s = 0; s < 200; s++) {
		len[s] = tw_ipsec_ah_outbound(out, v->rin, (uint32_t)v->rin_len, pk[s],
					      sizeof(pk[s]));
		assert_true(len[s] > 0);
	}
#define IN(s) (memcpy(buf, pk[(s) - 1], (size_t)len[(s) - 1]), \
	       tw_ipsec_ah_inbound(in, buf, (uint32_t)len[(s) - 1], &off, &l))
	assert_int_equal(IN(100), 0);
	assert_int_equal(IN(37), 0);          /* 100 - 37 = 63: inside */
	assert_int_equal(IN(36), -EALREADY);  /* 64 behind: left of the window */
	assert_int_equal(IN(37), -EALREADY);
	assert_int_equal(IN(64), 0);          /* same word as 128 once slid */
	assert_int_equal(IN(128), 0);
	assert_int_equal(IN(65), 0);          /* 63 behind 128 */
	assert_int_equal(IN(64), -EALREADY);
	assert_int_equal(IN(192), 0);         /* big jump: all cleared */
	assert_int_equal(IN(129), 0);
	assert_int_equal(IN(128), -EALREADY);
	assert_int_equal(IN(191), 0);
	assert_int_equal(IN(191), -EALREADY);
	assert_int_equal(IN(200), 0);
	assert_int_equal(IN(200), -EALREADY);
#undef IN
	tw_ipsec_ah_destroy(in);
	tw_ipsec_ah_destroy(out);
}

/* the last sequence number is 2^32 - 1; then refused and counted */
static void test_seq_overflow(void **state)
{
	const struct ah_vec *v = &ah_vecs[0];
	struct tw_ipsec_sa_conf c;
	struct tw_ipsec_sa_stats st;
	struct tw_ipsec_ah *ah;
	uint8_t out[512];

	(void)state;
	conf_of(v, true, &c);
	c.seq_start = UINT32_MAX - 1;
	ah = tw_ipsec_ah_create(&c);
	assert_non_null(ah);
	assert_true(tw_ipsec_ah_outbound(ah, v->rin, (uint32_t)v->rin_len, out, sizeof(out)) > 0);
	assert_int_equal(out[20 + 8] & out[20 + 9] & out[20 + 10] & out[20 + 11], 0xff);
	assert_int_equal(tw_ipsec_ah_outbound(ah, v->rin, (uint32_t)v->rin_len, out, sizeof(out)),
			 -EOVERFLOW);
	tw_ipsec_ah_stats(ah, &st);
	assert_int_equal(st.seq_overflow, 1);
	assert_int_equal(st.packets, 1);
	tw_ipsec_ah_destroy(ah);
}

/* Two threads share one outbound SA (the sender in worker 0, reflector
 * replies in another worker): each number 1..2N is used exactly once. */
#define SHARE_N 20000u
struct share_arg {
	struct tw_ipsec_ah *ah;
	const struct ah_vec *v;
	uint32_t *seqs;
	int bad;
};

static void *share_run(void *p)
{
	struct share_arg *a = p;
	uint8_t out[512];

	for (unsigned i = 0; i < SHARE_N; i++) {
		int len = tw_ipsec_ah_outbound(a->ah, a->v->rin, (uint32_t)a->v->rin_len,
					       out, sizeof(out));
		if (len <= 0) {
			a->bad++;
			continue;
		}
		/* IPv4 tunnel: AH after the 20-octet outer header, seq at 8 */
		a->seqs[i] = (uint32_t)out[28] << 24 | (uint32_t)out[29] << 16 |
			     (uint32_t)out[30] << 8 | out[31];
	}
	return NULL;
}

static void test_shared_outbound(void **state)
{
	const struct ah_vec *v = NULL;
	static uint32_t seqs[2][SHARE_N];
	static uint8_t seen[2 * SHARE_N + 1];
	struct share_arg a[2];
	struct tw_ipsec_sa_stats st;
	struct tw_ipsec_ah *ah;
	pthread_t t;

	(void)state;
	for (unsigned i = 0; i < NV && v == NULL; i++)
		if (ah_vecs[i].tunnel && ah_vecs[i].ipv == 4)
			v = &ah_vecs[i];
	assert_non_null(v);
	ah = sa_of(v, true);
	for (unsigned k = 0; k < 2; k++)
		a[k] = (struct share_arg){ .ah = ah, .v = v, .seqs = seqs[k] };
	assert_int_equal(pthread_create(&t, NULL, share_run, &a[1]), 0);
	share_run(&a[0]);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(a[0].bad + a[1].bad, 0);
	memset(seen, 0, sizeof(seen));
	for (unsigned k = 0; k < 2; k++)
		for (unsigned i = 0; i < SHARE_N; i++) {
			assert_true(seqs[k][i] >= 1 && seqs[k][i] <= 2 * SHARE_N);
			assert_int_equal(seen[seqs[k][i]], 0);
			seen[seqs[k][i]] = 1;
		}
	tw_ipsec_ah_stats(ah, &st);
	assert_int_equal(st.packets, 2 * SHARE_N);
	tw_ipsec_ah_destroy(ah);
}

static void test_bad_conf(void **state)
{
	const struct ah_vec *v = &ah_vecs[0];
	struct tw_ipsec_sa_conf c;
	uint8_t buf[512];
	uint32_t off, len;
	struct tw_ipsec_ah *ah;

	(void)state;
#define REFUSED(field, val, err) do { \
		conf_of(v, false, &c); c.field = val; errno = 0; \
		assert_null(tw_ipsec_ah_create(&c)); assert_int_equal(errno, err); \
	} while (0)
	REFUSED(spi, 255, EINVAL);
	REFUSED(proto, TW_IPSEC_ESP, EINVAL);
	REFUSED(auth, TW_IPSEC_AUTH_NONE, EINVAL);
	REFUSED(auth_key_len, 19, EINVAL);
	REFUSED(cipher, TW_IPSEC_CIPHER_AES_CBC_128, EINVAL);
	REFUSED(ipv, 5, EINVAL);
	REFUSED(inner_ipv, 7, EINVAL);
	REFUSED(replay_window, TW_IPSEC_REPLAY_MAX + 1, EINVAL);
	REFUSED(esn, true, ENOTSUP);
	REFUSED(encap_udp, true, ENOTSUP);
#undef REFUSED
	assert_null(tw_ipsec_ah_create(NULL));
	ah = sa_of(v, false);
	assert_int_equal(tw_ipsec_ah_hdr_len(ah), 24);
	/* wrong direction, NULL arguments */
	assert_int_equal(tw_ipsec_ah_outbound(ah, v->rin, (uint32_t)v->rin_len, buf,
					      sizeof(buf)), -EINVAL);
	assert_int_equal(tw_ipsec_ah_inbound(ah, NULL, 100, &off, &len), -EINVAL);
	/* an SA of another SPI: malformed for this one, unchanged */
	memcpy(buf, ah_vecs[1].in[0], ah_vecs[1].in_len[0]);
	assert_int_equal(tw_ipsec_ah_inbound(ah, buf, (uint32_t)ah_vecs[1].in_len[0], &off, &len),
			 -EBADMSG);
	assert_memory_equal(buf, ah_vecs[1].in[0], ah_vecs[1].in_len[0]);
	tw_ipsec_ah_destroy(ah);
	tw_ipsec_ah_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inbound_vectors),
		cmocka_unit_test(test_outbound_vectors),
		cmocka_unit_test(test_forged_and_replay),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_seq_overflow),
		cmocka_unit_test(test_shared_outbound),
		cmocka_unit_test(test_bad_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
