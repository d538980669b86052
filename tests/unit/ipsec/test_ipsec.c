/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ipsec under EAL (--no-huge, no PCI; the library creates the
 * crypto_aesni_mb / crypto_aesni_gcm vdevs). Inbound: ESP frames that
 * scapy's SecurityAssociation protected (esp_vectors.h, generated at build
 * time) decrypt to the exact inner frame, in every algorithm and mode.
 * Outbound: the replies lib/ipsec protects are decrypted by scapy
 * (esp_vectors.py check) back to the exact reply. Replay window, wrong
 * ICV, unknown SPI, IKE on 4500, API errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "tw_ipsec.h"
#include "esp_vectors.h"
#include "ah_vectors.h"
#include "tw_test_eal.h"

#define N_VEC (sizeof(esp_vecs) / sizeof(esp_vecs[0]))

static struct rte_rcu_qsbr *qsbr;
static struct rte_mempool *pool;
static const char *script;
static enum tw_ipsec_action action = TW_IPSEC_ACT_CPU_CRYPTO;
static unsigned ctx_seq;

static const uint8_t V4_US[4] = { 198, 18, 0, 1 }, V4_PEER[4] = { 198, 18, 0, 2 };
static const uint8_t V6_US[16] = { 0x20, 0x01, 0, 2, [15] = 1 };
static const uint8_t V6_PEER[16] = { 0x20, 0x01, 0, 2, [15] = 2 };

static struct tw_ipsec *ctx_new(void)
{
	char name[16];
	struct tw_ipsec_conf c = { .n_workers = 1, .qsbr = qsbr, .max_sas = 64,
				   .socket = SOCKET_ID_ANY, .action = action, .name = name };
	struct tw_ipsec *ctx;

	snprintf(name, sizeof(name), "t%u", ctx_seq++);
	ctx = tw_ipsec_create(&c);
	assert_non_null(ctx);
	return ctx;
}

/* The SA pair of vector @p v: inbound spi (peer -> us), outbound spi+1. */
static void vec_conf(const struct esp_vec *v, struct tw_ipsec_sa_conf *in,
		     struct tw_ipsec_sa_conf *out)
{
	const uint8_t *us = v->ipv == 4 ? V4_US : V6_US;
	const uint8_t *peer = v->ipv == 4 ? V4_PEER : V6_PEER;
	size_t al = v->ipv == 4 ? 4 : 16;

	memset(in, 0, sizeof(*in));
	in->spi = v->spi;
	in->dir = TW_IPSEC_IN;
	in->proto = TW_IPSEC_ESP;
	in->mode = v->tunnel ? TW_IPSEC_TUNNEL : TW_IPSEC_TRANSPORT;
	in->ipv = (uint8_t)v->ipv;
	memcpy(in->src, peer, al);
	memcpy(in->dst, us, al);
	in->encap_udp = v->encap_udp;
	in->cipher = v->cipher;
	in->auth = v->auth;
	memcpy(in->cipher_key, v->ckey, v->ckey_len);
	in->cipher_key_len = v->ckey_len;
	memcpy(in->auth_key, v->akey, v->akey_len);
	in->auth_key_len = v->akey_len;
	in->esn = v->esn;
	in->replay_window = 64;
	*out = *in;
	out->spi = v->spi + 1;
	out->dir = TW_IPSEC_OUT;
	out->replay_window = 0;
	memcpy(out->src, us, al);
	memcpy(out->dst, peer, al);
	in->reply_spi = out->spi;
}

static void add_vec(struct tw_ipsec *ctx, const struct esp_vec *v)
{
	struct tw_ipsec_sa_conf in, out;

	vec_conf(v, &in, &out);
	assert_int_equal(tw_ipsec_sa_add(ctx, &out), 0);
	assert_int_equal(tw_ipsec_sa_add(ctx, &in), 0);
}

static struct rte_mbuf *frame(const uint8_t *b, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *d;

	assert_non_null(m);
	d = rte_pktmbuf_append(m, len);
	assert_non_null(d);
	memcpy(d, b, len);
	/* what the worker's classifier sets: Ethernet, outer IP header */
	m->l2_len = 14;
	m->l3_len = (b[14] >> 4) == 4 ? (uint16_t)((b[14] & 0xf) * 4) : 40;
	return m;
}

static void stats(struct tw_ipsec *ctx, const struct esp_vec *v, enum tw_ipsec_dir dir,
		  struct tw_ipsec_sa_stats *st)
{
	struct tw_ipsec_sa_info info;
	const uint8_t *dst = dir == TW_IPSEC_IN ? (v->ipv == 4 ? V4_US : V6_US)
						: (v->ipv == 4 ? V4_PEER : V6_PEER);

	assert_int_equal(tw_ipsec_sa_get(ctx, dir, TW_IPSEC_ESP,
					 dir == TW_IPSEC_IN ? v->spi : v->spi + 1,
					 (unsigned)v->ipv, dst, &info), 0);
	*st = info.stats;
	/* listing never shows keys */
	for (unsigned i = 0; i < TW_IPSEC_KEY_MAX; i++) {
		assert_int_equal(info.conf.cipher_key[i], 0);
		assert_int_equal(info.conf.auth_key[i], 0);
	}
}

static void put_be16_(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* What the reflector does to a TWAMP-Test packet: swap MACs, addresses, ports. */
static void swap_reply(struct rte_mbuf *m, unsigned ipv)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *), t[16];
	unsigned al = ipv == 4 ? 4 : 16, so = ipv == 4 ? 14 + 12 : 14 + 8;
	unsigned udp = ipv == 4 ? 14 + 20 : 14 + 40;

	memcpy(t, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, t, 6);
	memcpy(t, f + so, al);
	memcpy(f + so, f + so + al, al);
	memcpy(f + so + al, t, al);
	memcpy(t, f + udp, 2);
	memcpy(f + udp, f + udp + 2, 2);
	memcpy(f + udp + 2, t, 2);
	/* checksums: IPv4 header unchanged by a swap; UDP checksum too */
}

static void test_inbound_vectors(void **state)
{
	struct tw_ipsec *ctx = ctx_new();
	char path[] = "/tmp/tw_ipsec_outXXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	unsigned n_ok = 0;

	(void)state;
	assert_non_null(f);
	for (unsigned i = 0; i < N_VEC; i++)
		add_vec(ctx, &esp_vecs[i]);
	assert_int_equal(tw_ipsec_sa_count(ctx), 2 * N_VEC);
	for (unsigned i = 0; i < N_VEC; i++) {
		const struct esp_vec *v = &esp_vecs[i];
		struct rte_mbuf *m = frame(v->esp, v->esp_len);
		struct tw_ipsec_sa_stats st;
		uint8_t verdict[1];
		void *reply[1];
		uint16_t n;

		print_message("# %s\n", v->name);
		n = tw_ipsec_dp_inbound(ctx, 0, &m, 1, verdict, reply);
		if (n != 1) {
			stats(ctx, v, TW_IPSEC_IN, &st);
			print_message("# in v %u bad %lu auth %lu replay %lu err %lu\n", verdict[0],
				      (unsigned long)st.bad, (unsigned long)st.auth_fail,
				      (unsigned long)st.replay_drop, (unsigned long)st.errors);
		}
		assert_int_equal(n, 1);
		assert_int_equal(verdict[0], TW_IPSEC_V_INNER);
		assert_non_null(reply[0]);
		assert_int_equal(rte_pktmbuf_pkt_len(m), v->plain_len);
		assert_memory_equal(rte_pktmbuf_mtod(m, void *), v->plain, v->plain_len);
		stats(ctx, v, TW_IPSEC_IN, &st);
		assert_int_equal(st.packets, 1);
		assert_int_equal(st.auth_fail, 0);

		/* the reply, through the paired outbound SA, for scapy to check */
		swap_reply(m, (unsigned)v->ipv);
		n = tw_ipsec_dp_outbound(ctx, 0, &m, reply, 1);
		if (n != 1) {
			stats(ctx, v, TW_IPSEC_OUT, &st);
			print_message("# out errors %lu seq %lu rte_errno %d\n",
				      (unsigned long)st.errors, (unsigned long)st.seq_overflow, rte_errno);
		}
		assert_int_equal(n, 1);
		fprintf(f, "%s ", v->name);
		for (uint32_t j = 0; j < rte_pktmbuf_pkt_len(m); j++)
			fprintf(f, "%02x", rte_pktmbuf_mtod(m, uint8_t *)[j]);
		fprintf(f, "\n");
		stats(ctx, v, TW_IPSEC_OUT, &st);
		assert_int_equal(st.packets, 1);
		rte_pktmbuf_free(m);
	}
	fclose(f);
	{
		char cmd[512], line[512];
		FILE *p;

		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s check %s", script, path);
		p = popen(cmd, "r");
		assert_non_null(p);
		while (fgets(line, sizeof(line), p) != NULL) {
			print_message("# scapy: %s", line);
			if (strncmp(line, "ok ", 3) == 0)
				n_ok++;
		}
		assert_int_equal(pclose(p), 0);
	}
	unlink(path);
	assert_int_equal(n_ok, N_VEC);
	tw_ipsec_destroy(ctx);
}

static void test_replay_and_icv(void **state)
{
	struct tw_ipsec *ctx = ctx_new();
	const struct esp_vec *v = &esp_vecs[2];   /* CBC + SHA1-96 */
	struct tw_ipsec_sa_stats st;
	struct rte_mbuf *m[3];
	uint8_t verdict[3];
	void *reply[3];
	uint8_t bad[512];

	(void)state;
	add_vec(ctx, v);
	/* the same packet twice in one burst, then again: one passes */
	m[0] = frame(v->esp, v->esp_len);
	m[1] = frame(v->esp, v->esp_len);
	assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, m, 2, verdict, reply), 1);
	assert_int_equal(verdict[0] + verdict[1], TW_IPSEC_V_INNER + TW_IPSEC_V_DROP);
	rte_pktmbuf_free(m[0]);
	rte_pktmbuf_free(m[1]);
	m[0] = frame(v->esp, v->esp_len);
	assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, m, 1, verdict, reply), 0);
	assert_int_equal(verdict[0], TW_IPSEC_V_DROP);
	rte_pktmbuf_free(m[0]);
	stats(ctx, v, TW_IPSEC_IN, &st);
	assert_int_equal(st.packets, 1);
	assert_int_equal(st.replay_drop, 2);
	assert_int_equal(st.auth_fail, 0);

	/* wrong ICV (sequence number 1 already seen would be a replay: the
	 * forged packet's ICV is checked first only for new numbers, so use
	 * the GCM vector's fresh SA) */
	v = &esp_vecs[0];
	add_vec(ctx, v);
	memcpy(bad, v->esp, v->esp_len);
	bad[v->esp_len - 1] ^= 0x01;
	m[0] = frame(bad, v->esp_len);
	assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, m, 1, verdict, reply), 0);
	assert_int_equal(verdict[0], TW_IPSEC_V_DROP);
	rte_pktmbuf_free(m[0]);
	stats(ctx, v, TW_IPSEC_IN, &st);
	assert_int_equal(st.auth_fail, 1);
	assert_int_equal(st.replay_drop, 0);
	assert_int_equal(st.packets, 0);
	/* a forged packet does not advance the window: the real one passes */
	m[0] = frame(v->esp, v->esp_len);
	assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, m, 1, verdict, reply), 1);
	rte_pktmbuf_free(m[0]);
	tw_ipsec_destroy(ctx);
}

static void test_not_ours(void **state)
{
	struct tw_ipsec *ctx = ctx_new();
	const struct esp_vec *v = &esp_vecs[0];  /* ESP in UDP */
	struct rte_mbuf *m;
	uint8_t b[512], verdict[1];
	void *reply[1];

	(void)state;
	/* no SA at all: the host's, untouched */
	m = frame(v->esp, v->esp_len);
	assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, &m, 1, verdict, reply), 0);
	assert_int_equal(verdict[0], TW_IPSEC_V_HOST);
	assert_int_equal(rte_pktmbuf_pkt_len(m), v->esp_len);
	assert_memory_equal(rte_pktmbuf_mtod(m, void *), v->esp, v->esp_len);
	assert_int_equal(m->l3_len, 20);
	rte_pktmbuf_free(m);
	add_vec(ctx, v);
	/* another SPI: the host's */
	memcpy(b, v->esp, v->esp_len);
	b[14 + 20 + 8 + 3] ^= 0x40;
	m = frame(b, v->esp_len);
	assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, &m, 1, verdict, reply), 0);
	assert_int_equal(verdict[0], TW_IPSEC_V_HOST);
	assert_memory_equal(rte_pktmbuf_mtod(m, void *), b, v->esp_len);
	rte_pktmbuf_free(m);
	/* RFC 3948 §2.2 non-ESP marker: IKE */
	memcpy(b, v->esp, v->esp_len);
	memset(b + 14 + 20 + 8, 0, 4);
	m = frame(b, v->esp_len);
	assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, &m, 1, verdict, reply), 0);
	assert_int_equal(verdict[0], TW_IPSEC_V_NOT_OURS);
	rte_pktmbuf_free(m);
	/* not for our address: no SA for that destination, the host's */
	memcpy(b, v->esp, v->esp_len);
	b[14 + 19] = 9;
	m = frame(b, v->esp_len);
	assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, &m, 1, verdict, reply), 0);
	assert_int_equal(verdict[0], TW_IPSEC_V_HOST);
	rte_pktmbuf_free(m);
	tw_ipsec_destroy(ctx);
}

static void test_api_errors(void **state)
{
	struct tw_ipsec *ctx = ctx_new();
	struct tw_ipsec_sa_conf in, out, c;
	struct tw_ipsec_conf bad = { .n_workers = 0, .qsbr = qsbr };

	(void)state;
	assert_null(tw_ipsec_create(NULL));
	assert_null(tw_ipsec_create(&bad));
	assert_int_equal(errno, EINVAL);
	bad.n_workers = 1;
	bad.action = TW_IPSEC_ACT_INLINE_CRYPTO;
	assert_null(tw_ipsec_create(&bad));
	assert_int_equal(errno, ENOTSUP);

	vec_conf(&esp_vecs[2], &in, &out);
	/* the reply SA must exist first */
	assert_int_equal(tw_ipsec_sa_add(ctx, &in), -ENOENT);
	assert_int_equal(tw_ipsec_sa_count(ctx), 0);
	c = out;
	c.auth = TW_IPSEC_AUTH_NONE;  /* encryption-only ESP */
	c.auth_key_len = 0;
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), -EINVAL);
	c = out;
	c.cipher_key_len = 20;
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), -EINVAL);
	c = out;
	c.spi = 255;
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), -EINVAL);
	c = out;
	c.proto = TW_IPSEC_AH;   /* AH takes no cipher */
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), -EINVAL);
	c = out;
	c.mode = TW_IPSEC_TRANSPORT;
	c.encap_udp = true;
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), -ENOTSUP);
	/* traffic selectors: at most TW_IPSEC_TS_MAX, a family, ordered ranges */
	c = out;
	c.n_ts_local = TW_IPSEC_TS_MAX + 1;
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), -EINVAL);
	c = out;
	c.n_ts_remote = 1;
	c.ts_remote[0] = (struct tw_ipsec_ts){ .ipv = 5, .port_hi = 65535 };
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), -EINVAL);
	c.ts_remote[0] = (struct tw_ipsec_ts){ .ipv = 4, .port_lo = 2, .port_hi = 1 };
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), -EINVAL);
	c.ts_remote[0] = (struct tw_ipsec_ts){ .ipv = 4, .port_hi = 65535,
					       .from = { 10, 0, 0, 2 }, .to = { 10, 0, 0, 1 } };
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), -EINVAL);
	/* a configured outer DSCP: 0..63, outbound tunnel SAs only (ESP, AH) */
	c = out;
	c.outer_dscp_fixed = true;
	c.outer_dscp = 64;
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), -EINVAL);
	c.outer_dscp = 10;
	c.mode = TW_IPSEC_TRANSPORT;
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), -EINVAL);
	c = in;
	c.reply_spi = 0;
	c.outer_dscp_fixed = true;
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), -EINVAL);
	c.proto = TW_IPSEC_AH;
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), -EINVAL);
	assert_int_equal(tw_ipsec_sa_count(ctx), 0);

	assert_int_equal(tw_ipsec_sa_add(ctx, &out), 0);
	assert_int_equal(tw_ipsec_sa_add(ctx, &out), -EEXIST);
	assert_int_equal(tw_ipsec_sa_add(ctx, &in), 0);
	/* paired: the outbound SA stays until unpaired */
	assert_int_equal(tw_ipsec_sa_del(ctx, TW_IPSEC_OUT, TW_IPSEC_ESP, out.spi, 4, out.dst),
			 -EBUSY);
	assert_int_equal(tw_ipsec_sa_pair(ctx, TW_IPSEC_ESP, in.spi, 4, in.dst, 0), 0);
	assert_int_equal(tw_ipsec_sa_del(ctx, TW_IPSEC_OUT, TW_IPSEC_ESP, out.spi, 4, out.dst),
			 0);
	assert_int_equal(tw_ipsec_sa_del(ctx, TW_IPSEC_OUT, TW_IPSEC_ESP, out.spi, 4, out.dst),
			 -ENOENT);
	assert_int_equal(tw_ipsec_sa_pair(ctx, TW_IPSEC_ESP, in.spi, 4, in.dst, out.spi),
			 -ENOENT);
	assert_int_equal(tw_ipsec_sa_del(ctx, TW_IPSEC_IN, TW_IPSEC_ESP, in.spi, 4, in.dst), 0);
	assert_int_equal(tw_ipsec_sa_count(ctx), 0);
	assert_string_equal(tw_ipsec_cipher_name(TW_IPSEC_CIPHER_AES_GCM_128), "aes-gcm-128");
	assert_int_equal(tw_ipsec_cipher_key_len(TW_IPSEC_CIPHER_AES_CTR_128), 20);
	assert_null(tw_ipsec_auth_name(TW_IPSEC_AUTH__MAX));
	tw_ipsec_destroy(ctx);
}

/* A reply whose inbound SA lost its pairing: dropped, counted. */
static void test_no_reply_sa(void **state)
{
	struct tw_ipsec *ctx = ctx_new();
	const struct esp_vec *v = &esp_vecs[1];
	struct tw_ipsec_sa_conf in, out;
	struct tw_ipsec_sa_stats st;
	struct rte_mbuf *m;
	uint8_t verdict[1];
	void *reply[1];

	(void)state;
	add_vec(ctx, v);
	vec_conf(v, &in, &out);
	assert_int_equal(tw_ipsec_sa_pair(ctx, TW_IPSEC_ESP, in.spi, 4, in.dst, 0), 0);
	m = frame(v->esp, v->esp_len);
	assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, &m, 1, verdict, reply), 1);
	assert_int_equal(tw_ipsec_dp_outbound(ctx, 0, &m, reply, 1), 0);
	rte_pktmbuf_free(m);
	stats(ctx, v, TW_IPSEC_IN, &st);
	assert_int_equal(st.no_reply_sa, 1);
	tw_ipsec_destroy(ctx);
}

/* ESN (RFC 4303 §2.2.1): what our outbound SA protects, our inbound SA
 * with the same keys accepts, across the 2^32 boundary. */
static void test_esn_round_trip(void **state)
{
	struct tw_ipsec *ctx = ctx_new();
	const struct esp_vec *v = &esp_vecs[5], *v2 = &esp_vecs[2];
	struct tw_ipsec_sa_conf in, out, loop, in2, out2;
	struct tw_ipsec_sa_info info;
	struct rte_mbuf *m;
	uint8_t verdict[1];
	void *h[1];

	(void)state;
	vec_conf(v, &in, &out);
	/* HMAC-SHA256 rather than the vector's GCM: the ICV covers the high bits */
	out.cipher = TW_IPSEC_CIPHER_AES_CBC_128;
	out.cipher_key_len = 16;
	out.auth = TW_IPSEC_AUTH_HMAC_SHA256_128;
	out.auth_key_len = 32;
	memset(out.auth_key, 0x5a, 32);
	out.seq_start = 0xfffffffeull;
	assert_int_equal(tw_ipsec_sa_add(ctx, &out), 0);
	/* the far end of the outbound SA, as an inbound SA of this table */
	loop = out;
	loop.dir = TW_IPSEC_IN;
	loop.seq_start = 0xfffffff0ull;
	loop.replay_window = 64;
	assert_int_equal(tw_ipsec_sa_add(ctx, &loop), 0);
	/* a reply handle: scapy's CBC vector on an SA paired with @out */
	vec_conf(v2, &in2, &out2);
	in2.reply_spi = out.spi;
	assert_int_equal(tw_ipsec_sa_add(ctx, &in2), 0);
	m = frame(v2->esp, v2->esp_len);
	assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, &m, 1, verdict, h), 1);
	rte_pktmbuf_free(m);
	for (unsigned i = 0; i < 4; i++) {
		void *hh[1] = { h[0] };
		void *reply[1];

		m = frame(v->plain, v->plain_len);
		assert_int_equal(tw_ipsec_dp_outbound(ctx, 0, &m, hh, 1), 1);
		m->l2_len = 14;
		m->l3_len = 20;
		assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, &m, 1, verdict, reply), 1);
		assert_int_equal(rte_pktmbuf_pkt_len(m), v->plain_len);
		assert_memory_equal(rte_pktmbuf_mtod(m, void *), v->plain, v->plain_len);
		rte_pktmbuf_free(m);
	}
	assert_int_equal(tw_ipsec_sa_get(ctx, TW_IPSEC_IN, TW_IPSEC_ESP, loop.spi, 4, loop.dst,
					 &info), 0);
	assert_int_equal(info.stats.packets, 4);
	tw_ipsec_destroy(ctx);
}

/* The sender's hook: outbound SA handles by SPI, protection by handle,
 * the table generation and the SA serials a rekey is told by. */
static void test_sender_protect(void **state)
{
	struct tw_ipsec *ctx = ctx_new();
	const struct esp_vec *v = &esp_vecs[5];
	struct tw_ipsec_sa_conf in, out, out2, loop;
	struct tw_ipsec_sa_info info;
	struct rte_mbuf *m[2];
	uint8_t verdict[1];
	void *h[2], *reply[1];
	uint64_t g0, g1, g2, s1;

	(void)state;
	vec_conf(v, &in, &out);
	out.cipher = TW_IPSEC_CIPHER_AES_CBC_128;
	out.cipher_key_len = 16;
	out.auth = TW_IPSEC_AUTH_HMAC_SHA256_128;
	out.auth_key_len = 32;
	memset(out.auth_key, 0x5a, 32);
	g0 = tw_ipsec_generation(ctx);
	assert_null(tw_ipsec_dp_sa(ctx, TW_IPSEC_ESP, out.spi, out.ipv, out.dst));
	assert_int_equal(tw_ipsec_sa_add(ctx, &out), 0);
	g1 = tw_ipsec_generation(ctx);
	assert_true(g1 != g0);
	/* the far end of the outbound SA, as an inbound SA of this table */
	loop = out;
	loop.dir = TW_IPSEC_IN;
	loop.replay_window = 64;
	assert_int_equal(tw_ipsec_sa_add(ctx, &loop), 0);
	/* a rekeyed outbound SA: a higher serial */
	out2 = out;
	out2.spi = out.spi + 0x100;
	assert_int_equal(tw_ipsec_sa_add(ctx, &out2), 0);
	assert_int_equal(tw_ipsec_sa_get(ctx, TW_IPSEC_OUT, TW_IPSEC_ESP, out.spi, out.ipv,
					 out.dst, &info), 0);
	s1 = info.serial;
	assert_true(s1 > 0);
	assert_int_equal(tw_ipsec_sa_get(ctx, TW_IPSEC_OUT, TW_IPSEC_ESP, out2.spi, out2.ipv,
					 out2.dst, &info), 0);
	assert_true(info.serial > s1);

	/* handles: outbound only, by SPI and destination */
	h[0] = tw_ipsec_dp_sa(ctx, TW_IPSEC_ESP, out.spi, out.ipv, out.dst);
	assert_non_null(h[0]);
	assert_null(tw_ipsec_dp_sa(ctx, TW_IPSEC_ESP, loop.spi + 1, out.ipv, out.dst));
	assert_null(tw_ipsec_dp_sa(ctx, TW_IPSEC_ESP, out.spi, out.ipv, V4_US));
	assert_null(tw_ipsec_dp_sa(ctx, TW_IPSEC_ESP, out.spi, 5, out.dst));
	assert_null(tw_ipsec_dp_sa(NULL, TW_IPSEC_ESP, out.spi, out.ipv, out.dst));

	/* a packet protected by handle (the second has none: it fails, behind),
	 * then decrypted by the far end's SA: the same packet */
	m[0] = frame(v->plain, v->plain_len);
	m[1] = frame(v->plain, v->plain_len);
	h[1] = NULL;
	{
		struct rte_mbuf *first = m[0], *second = m[1];

		assert_int_equal(tw_ipsec_dp_protect(ctx, 0, m, h, 2), 1);
		assert_ptr_equal(m[0], first);
		assert_ptr_equal(m[1], second);
	}
	rte_pktmbuf_free(m[1]);
	m[0]->l2_len = 14;
	m[0]->l3_len = 20;
	assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, m, 1, verdict, reply), 1);
	assert_int_equal(rte_pktmbuf_pkt_len(m[0]), v->plain_len);
	assert_memory_equal(rte_pktmbuf_mtod(m[0], void *), v->plain, v->plain_len);
	rte_pktmbuf_free(m[0]);
	assert_int_equal(tw_ipsec_sa_get(ctx, TW_IPSEC_OUT, TW_IPSEC_ESP, out.spi, out.ipv,
					 out.dst, &info), 0);
	assert_int_equal(info.stats.packets, 1);

	/* deleting and re-pairing change the generation; a failed call does not */
	g2 = tw_ipsec_generation(ctx);
	assert_int_equal(tw_ipsec_sa_del(ctx, TW_IPSEC_OUT, TW_IPSEC_ESP, 0x7777, 4, out.dst),
			 -ENOENT);
	assert_int_equal(tw_ipsec_generation(ctx), g2);
	assert_int_equal(tw_ipsec_sa_del(ctx, TW_IPSEC_OUT, TW_IPSEC_ESP, out.spi, out.ipv,
					 out.dst), 0);
	assert_true(tw_ipsec_generation(ctx) != g2);
	assert_null(tw_ipsec_dp_sa(ctx, TW_IPSEC_ESP, out.spi, out.ipv, out.dst));
	in.reply_spi = out2.spi;
	assert_int_equal(tw_ipsec_sa_add(ctx, &in), 0);
	g2 = tw_ipsec_generation(ctx);
	assert_int_equal(tw_ipsec_sa_pair(ctx, TW_IPSEC_ESP, in.spi, in.ipv, in.dst, 0), 0);
	assert_true(tw_ipsec_generation(ctx) != g2);
	assert_int_equal(tw_ipsec_generation(NULL), 0);
	tw_ipsec_destroy(ctx);
}

/* Ethernet + IP (family @p ipv, DS field @p ds, IPv4 checksum valid) +
 * UDP + 24 octets, from us to the peer: a reply as the reflector leaves it */
static uint16_t ds_frame(uint8_t *f, unsigned ipv, uint8_t ds)
{
	unsigned hl = ipv == 4 ? 20 : 40, al = ipv == 4 ? 4 : 16, len = hl + 8 + 24;

	memset(f, 0, 14 + len);
	f[0] = 2; f[5] = 2; f[6] = 2; f[11] = 1;
	put_be16_(f + 12, ipv == 4 ? 0x0800 : 0x86dd);
	if (ipv == 4) {
		f[14] = 0x45;
		put_be16_(f + 16, len);
		f[14 + 8] = 255;
		f[14 + 9] = 17;
		memcpy(f + 14 + 12, V4_US, al);
		memcpy(f + 14 + 16, V4_PEER, al);
		f[15] = ds;
		{
			struct rte_ipv4_hdr *v4 = (void *)(f + 14);

			v4->hdr_checksum = rte_ipv4_cksum(v4);
		}
	} else {
		f[14] = (uint8_t)(0x60 | ds >> 4);
		f[15] = (uint8_t)(ds << 4 | 0x1);   /* flow label 0x1xxxx: ours to keep */
		put_be16_(f + 18, 8 + 24);
		f[14 + 6] = 17;
		f[14 + 7] = 255;
		memcpy(f + 14 + 8, V6_US, al);
		memcpy(f + 14 + 24, V6_PEER, al);
	}
	put_be16_(f + 14 + hl, 862);
	put_be16_(f + 14 + hl + 2, 40862);
	put_be16_(f + 14 + hl + 4, 8 + 24);
	for (unsigned i = 0; i < 24; i++)
		f[14 + hl + 8 + i] = (uint8_t)(i * 7);
	return (uint16_t)(14 + len);
}

/* RFC 4301 §5.1.2.1 / RFC 6040 §4.1 on the way out (the outer DS field the
 * inner one, or the SA's DSCP with the inner ECN; TTL 64, flow label 0),
 * RFC 6040 §4.2 on the way in (through an inbound SA with the outbound
 * SA's keys: the far end of the tunnel), for each outer/inner family. */
static void test_ds_across_tunnel(void **state)
{
	static const struct {
		unsigned ipv, inner;
		bool fixed;
		enum tw_ipsec_proto proto;
	} fam[] = { { 4, 4, false, TW_IPSEC_ESP }, { 6, 6, false, TW_IPSEC_ESP },
		    { 4, 6, false, TW_IPSEC_ESP }, { 6, 4, true, TW_IPSEC_ESP },
		    { 4, 4, true, TW_IPSEC_ESP }, { 4, 4, false, TW_IPSEC_AH },
		    { 6, 6, true, TW_IPSEC_AH } };
	/* inner DS sent, outer ECN forced on the wire, inner DS decapsulated
	 * (-1: dropped) */
	static const struct {
		uint8_t ds, outer_ecn;
		int want;
	} ecn[] = {
		{ 0xb8 | TW_ECN_ECT0, TW_ECN_CE, 0xb8 | TW_ECN_CE },
		{ 0xb8 | TW_ECN_ECT1, TW_ECN_CE, 0xb8 | TW_ECN_CE },
		{ 0xb8 | TW_ECN_ECT0, TW_ECN_ECT1, 0xb8 | TW_ECN_ECT1 },
		{ 0x28 | TW_ECN_ECT1, TW_ECN_ECT0, 0x28 | TW_ECN_ECT1 },
		{ 0x28 | TW_ECN_ECT0, TW_ECN_ECT0, 0x28 | TW_ECN_ECT0 },
		{ 0xb8 | TW_ECN_NOT_ECT, TW_ECN_NOT_ECT, 0xb8 },
		{ 0xb8 | TW_ECN_CE, TW_ECN_NOT_ECT, 0xb8 | TW_ECN_CE },
		{ 0xb8 | TW_ECN_NOT_ECT, TW_ECN_CE, -1 },
	};

	(void)state;
	for (size_t fi = 0; fi < sizeof(fam) / sizeof(fam[0]); fi++) {
		struct tw_ipsec *ctx = ctx_new();
		struct tw_ipsec_sa_conf out = { 0 }, loop;
		struct tw_ipsec_sa_info info;
		unsigned ipv = fam[fi].ipv, al = ipv == 4 ? 4 : 16, drops = 0;
		void *h;

		print_message("# DS across an IPv%u %s tunnel, inner IPv%u, outer DSCP %s\n", ipv,
			      fam[fi].proto == TW_IPSEC_AH ? "AH" : "ESP", fam[fi].inner,
			      fam[fi].fixed ? "10" : "copied");
		out.spi = 0x3001;
		out.dir = TW_IPSEC_OUT;
		out.proto = fam[fi].proto;
		out.mode = TW_IPSEC_TUNNEL;
		out.ipv = (uint8_t)ipv;
		out.inner_ipv = (uint8_t)fam[fi].inner;
		memcpy(out.src, ipv == 4 ? V4_US : V6_US, al);
		memcpy(out.dst, ipv == 4 ? V4_PEER : V6_PEER, al);
		if (out.proto == TW_IPSEC_AH) {
			out.auth = TW_IPSEC_AUTH_HMAC_SHA256_128;
			out.auth_key_len = 32;
			memset(out.auth_key, 0x3d, 32);
		} else {
			out.cipher = TW_IPSEC_CIPHER_AES_GCM_128;
			out.cipher_key_len = 20;
			memset(out.cipher_key, 0x3c, 20);
		}
		out.outer_dscp_fixed = fam[fi].fixed;
		out.outer_dscp = 10;
		assert_int_equal(tw_ipsec_sa_add(ctx, &out), 0);
		loop = out;
		loop.dir = TW_IPSEC_IN;
		loop.outer_dscp_fixed = false;
		loop.replay_window = 64;
		assert_int_equal(tw_ipsec_sa_add(ctx, &loop), 0);
		h = tw_ipsec_dp_sa(ctx, out.proto, out.spi, ipv, out.dst);
		assert_non_null(h);
		for (size_t ei = 0; ei < sizeof(ecn) / sizeof(ecn[0]); ei++) {
			uint8_t f[200], *o, *in;
			uint16_t len = ds_frame(f, fam[fi].inner, ecn[ei].ds);
			struct rte_mbuf *m = frame(f, len);
			uint8_t verdict[1], ods;
			void *hh[1] = { h }, *reply[1];

			assert_int_equal(tw_ipsec_dp_protect(ctx, 0, &m, hh, 1), 1);
			o = rte_pktmbuf_mtod_offset(m, uint8_t *, 14);
			ods = tw_ipsec_ds_get(o);
			assert_int_equal(ods, fam[fi].fixed ? 10 << 2 | (ecn[ei].ds & 3) : ecn[ei].ds);
			if (ipv == 4) {
				assert_int_equal(o[8], 64);
				assert_int_equal(rte_raw_cksum(o, 20), 0xffff);
			} else {
				assert_int_equal(o[7], 64);
				assert_int_equal(o[1] & 0xf, 0);   /* flow label 0 */
				assert_int_equal(o[2] | o[3], 0);
			}
			/* a router on the way marks the outer header */
			tw_ipsec_ds_set(o, (uint8_t)((ods & 0xfc) | ecn[ei].outer_ecn));
			m->l2_len = 14;
			m->l3_len = (uint16_t)(ipv == 4 ? 20 : 40);
			if (ecn[ei].want < 0) {
				assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, &m, 1, verdict, reply), 0);
				assert_int_equal(verdict[0], TW_IPSEC_V_DROP);
				rte_pktmbuf_free(m);
				drops++;
				continue;
			}
			assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, &m, 1, verdict, reply), 1);
			assert_int_equal(rte_pktmbuf_pkt_len(m), len);
			in = rte_pktmbuf_mtod_offset(m, uint8_t *, 14);
			assert_int_equal(tw_ipsec_ds_get(in), ecn[ei].want);
			/* the rest of the packet as sent; the IPv4 checksum verifies */
			if (fam[fi].inner == 4)
				assert_int_equal(rte_raw_cksum(in, 20), 0xffff);
			tw_ipsec_ds_set(f + 14, (uint8_t)ecn[ei].want);
			assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *) + 12, f + 12, len - 12);
			rte_pktmbuf_free(m);
		}
		assert_int_equal(tw_ipsec_sa_get(ctx, TW_IPSEC_IN, out.proto, loop.spi, ipv,
						 loop.dst, &info), 0);
		assert_int_equal(info.stats.ecn_drop, drops);
		/* AH: the engine counts a packet when its ICV verifies */
		if (out.proto == TW_IPSEC_AH)
			info.stats.packets -= drops;
		assert_int_equal(info.stats.packets, sizeof(ecn) / sizeof(ecn[0]) - drops);
		assert_int_equal(info.stats.auth_fail + info.stats.bad + info.stats.errors, 0);
		tw_ipsec_destroy(ctx);
	}
}

static void test_lookaside_none(void **state)
{
	enum tw_ipsec_action saved = action;

	action = TW_IPSEC_ACT_LOOKASIDE_NONE;
	test_inbound_vectors(state);
	test_replay_and_icv(state);
	action = saved;
}

/* AH (RFC 4302) through the worker path: scapy's frames in, the inner
 * packet out; the reply protected byte for byte as scapy does it; the
 * counters through tw_ipsec_sa_get(); a forged ICV and a replay dropped. */
static void test_ah_dp(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ah_vecs) / sizeof(ah_vecs[0]); i++) {
		const struct ah_vec *v = &ah_vecs[i];
		const uint8_t *us = v->ipv == 4 ? V4_US : V6_US;
		const uint8_t *peer = v->ipv == 4 ? V4_PEER : V6_PEER;
		struct tw_ipsec *ctx = ctx_new();
		struct tw_ipsec_sa_conf in = { 0 }, out;
		struct tw_ipsec_sa_info info;
		struct rte_mbuf *m[3];
		uint8_t f[600], verdict[3];
		void *reply[3];
		size_t al = v->ipv == 4 ? 4 : 16;

		print_message("# ah dp %s\n", v->name);
		in.spi = v->spi;
		in.dir = TW_IPSEC_IN;
		in.proto = TW_IPSEC_AH;
		in.mode = v->tunnel ? TW_IPSEC_TUNNEL : TW_IPSEC_TRANSPORT;
		in.ipv = (uint8_t)v->ipv;
		memcpy(in.src, peer, al);
		memcpy(in.dst, us, al);
		in.auth = v->auth;
		memcpy(in.auth_key, v->key, v->key_len);
		in.auth_key_len = (uint8_t)v->key_len;
		out = in;
		out.spi = v->spi + 1;
		out.dir = TW_IPSEC_OUT;
		memcpy(out.src, us, al);
		memcpy(out.dst, peer, al);
		in.reply_spi = out.spi;
		assert_int_equal(tw_ipsec_sa_add(ctx, &out), 0);
		assert_int_equal(tw_ipsec_sa_add(ctx, &in), 0);

		/* Ethernet: us <- peer; seq 1, a forged copy of 2, 1 again */
		memset(f, 0, 14);
		f[0] = 2; f[5] = 1; f[6] = 2; f[11] = 2;
		put_be16_(f + 12, v->ipv == 4 ? 0x0800 : 0x86dd);
		memcpy(f + 14, v->in[0], v->in_len[0]);
		m[0] = frame(f, (uint16_t)(14 + v->in_len[0]));
		memcpy(f + 14, v->in[1], v->in_len[1]);
		f[14 + v->in_len[1] - 1] ^= 0x80;
		m[1] = frame(f, (uint16_t)(14 + v->in_len[1]));
		memcpy(f + 14, v->in[0], v->in_len[0]);
		m[2] = frame(f, (uint16_t)(14 + v->in_len[0]));
		assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, m, 3, verdict, reply), 1);
		assert_int_equal(verdict[0], TW_IPSEC_V_INNER);
		assert_int_equal(verdict[1], TW_IPSEC_V_DROP);
		assert_int_equal(verdict[2], TW_IPSEC_V_DROP);
		assert_int_equal(rte_pktmbuf_pkt_len(m[0]), 14 + v->plain_len[0]);
		assert_memory_equal(rte_pktmbuf_mtod_offset(m[0], uint8_t *, 14), v->plain[0],
				    v->plain_len[0]);
		assert_int_equal(rte_pktmbuf_mtod(m[0], uint8_t *)[12], v->ipv == 4 ? 0x08 : 0x86);
		rte_pktmbuf_free(m[1]);
		rte_pktmbuf_free(m[2]);
		/* the reply, as the reflector leaves it */
		memcpy(f + 14, v->rin, v->rin_len);
		rte_pktmbuf_free(m[0]);
		m[0] = frame(f, (uint16_t)(14 + v->rin_len));
		assert_int_equal(tw_ipsec_dp_outbound(ctx, 0, m, reply, 1), 1);
		assert_int_equal(rte_pktmbuf_pkt_len(m[0]), 14 + v->rout_len);
		assert_memory_equal(rte_pktmbuf_mtod_offset(m[0], uint8_t *, 14), v->rout,
				    v->rout_len);
		rte_pktmbuf_free(m[0]);

		assert_int_equal(tw_ipsec_sa_get(ctx, TW_IPSEC_IN, TW_IPSEC_AH, in.spi,
						 v->ipv, us, &info), 0);
		assert_int_equal(info.stats.packets, 1);
		assert_int_equal(info.stats.auth_fail, 1);
		assert_int_equal(info.stats.replay_drop, 1);
		for (unsigned k = 0; k < TW_IPSEC_KEY_MAX; k++)
			assert_int_equal(info.conf.auth_key[k], 0);
		assert_int_equal(tw_ipsec_sa_get(ctx, TW_IPSEC_OUT, TW_IPSEC_AH, out.spi,
						 v->ipv, peer, &info), 0);
		assert_int_equal(info.stats.packets, 1);
		assert_int_equal(info.stats.octets, v->rout_len);

		/* another SPI (RFC 4302 §2.4): the host's own AH, untouched */
		memcpy(f + 14, v->in[0], v->in_len[0]);
		f[14 + (v->ipv == 4 ? 20 : 40) + 4 + 3] ^= 0x40;
		m[0] = frame(f, (uint16_t)(14 + v->in_len[0]));
		assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, m, 1, verdict, reply), 0);
		assert_int_equal(verdict[0], TW_IPSEC_V_HOST);
		assert_memory_equal(rte_pktmbuf_mtod(m[0], uint8_t *), f, 14 + v->in_len[0]);
		rte_pktmbuf_free(m[0]);
		tw_ipsec_destroy(ctx);
	}
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0", "--log-level=lib.eal:error",
			"--log-level=pmd.*:error", "--log-level=lib.cryptodev:error",
			"--log-level=user1:error", NULL };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inbound_vectors),
		cmocka_unit_test(test_replay_and_icv),
		cmocka_unit_test(test_ah_dp),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_api_errors),
		cmocka_unit_test(test_no_reply_sa),
		cmocka_unit_test(test_esn_round_trip),
		cmocka_unit_test(test_sender_protect),
		cmocka_unit_test(test_ds_across_tunnel),
		cmocka_unit_test(test_lookaside_none),
	};
	size_t sz;
	int rc;

	script = argc > 1 ? argv[1] : "tests/unit/ipsec/esp_vectors.py";
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	sz = rte_rcu_qsbr_get_memsize(1);
	qsbr = rte_zmalloc("qsbr", sz, RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(qsbr, 1);
	pool = rte_pktmbuf_pool_create("tpool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tw_test_eal_cleanup();
	return rc;
}
