/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reflector under EAL without ports: frames are built in mbufs, handed
 * to tw_refl_udp_handler() and tw_refl_tx_stamp() as a worker would, and the
 * replies decoded with lib/proto and lib/crypto field by field. Then the
 * concurrency test: a second lcore reflects a continuous stream while the
 * main thread adds and removes thousands of sessions.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "pcap_write.h"
#include "tw_crypto.h"
#include "tw_dp_reflect.h"
#include "tw_proto_stamp.h"
#include "tw_proto_test.h"
#include "tw_test_dp.h"

static struct rte_mempool *pool;
static struct tw_crypto_engine *teng;
static struct tw_dp_clock clk;

static const uint8_t MAC_PEER[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t MAC_US[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t V4_PEER[16] = { 198, 18, 0, 2 };
static const uint8_t V4_US[16] = { 198, 18, 0, 1 };
static const uint8_t V6_PEER[16] = { 0x20, 0x01, 0, 2, [15] = 2 };
static const uint8_t V6_US[16] = { 0x20, 0x01, 0, 2, [15] = 1 };

/* 48-octet TWAMP Light key and a STAMP key */
static const uint8_t LKEY[48] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0xcc, 0xdd, 0xee, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
	0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
};
static const uint8_t SKEY[32] = "stamp-hmac-sha256-key-0123456789";

struct flow {
	unsigned ipv;
	const uint8_t *peer, *us;
	uint16_t sport, dport;
	uint8_t ttl, tos;
};

static struct flow flow(unsigned ipv, uint16_t sport, uint16_t dport)
{
	struct flow f = { .ipv = ipv, .sport = sport, .dport = dport,
			  .ttl = 61, .tos = 0xb9 /* DSCP 46, ECN 1 */ };

	f.peer = ipv == 4 ? V4_PEER : V6_PEER;
	f.us = ipv == 4 ? V4_US : V6_US;
	return f;
}

static unsigned l3len(unsigned ipv)
{
	return ipv == 4 ? 20 : 40;
}

static struct rte_mbuf *frame(const struct flow *fl, const uint8_t *pl,
			      uint16_t plen, tw_ntp_t rx)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	unsigned l3 = l3len(fl->ipv);
	uint8_t *f, *ip, *udp;
	uint16_t ck;

	assert_non_null(m);
	f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + l3 + 8 + plen));
	assert_non_null(f);
	memcpy(f, MAC_US, 6);
	memcpy(f + 6, MAC_PEER, 6);
	tw_put_be16(f + 12, fl->ipv == 4 ? 0x0800 : 0x86dd);
	ip = f + 14;
	memset(ip, 0, l3);
	if (fl->ipv == 4) {
		ip[0] = 0x45;
		ip[1] = fl->tos;
		tw_put_be16(ip + 2, (uint16_t)(l3 + 8 + plen));
		tw_put_be16(ip + 4, 0x1234);
		tw_put_be16(ip + 6, 0x4000);
		ip[8] = fl->ttl;
		ip[9] = 17;
		memcpy(ip + 12, fl->peer, 4);
		memcpy(ip + 16, fl->us, 4);
		tw_put_be16(ip + 10, tw_dp_ipv4_hdr_sum(ip, 20));
	} else {
		ip[0] = (uint8_t)(0x60 | fl->tos >> 4);
		ip[1] = (uint8_t)(fl->tos << 4 | 0x0a);
		ip[2] = 0xbc;
		ip[3] = 0xde;
		tw_put_be16(ip + 4, (uint16_t)(8 + plen));
		ip[6] = 17;
		ip[7] = fl->ttl;
		memcpy(ip + 8, fl->peer, 16);
		memcpy(ip + 24, fl->us, 16);
	}
	udp = ip + l3;
	tw_put_be16(udp, fl->sport);
	tw_put_be16(udp + 2, fl->dport);
	tw_put_be16(udp + 4, (uint16_t)(8 + plen));
	memset(udp + 6, 0, 2);
	memcpy(udp + 8, pl, plen);
	/* a valid UDP checksum, as every packet the classifier owns has (the
	 * reflector derives the reply's from it when the padding is long) */
	ck = tw_dp_udp_sum(ip, fl->ipv, udp, (uint32_t)(8 + plen));
	tw_put_be16(udp + 6, ck != 0 ? ck : 0xffff);
	m->l2_len = 14;
	m->l3_len = (uint16_t)l3;
	m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L4_UDP |
			 (fl->ipv == 4 ? RTE_PTYPE_L3_IPV4 : RTE_PTYPE_L3_IPV6);
	*RTE_MBUF_DYNFIELD(m, tw_dp_rx_ntp_offset, tw_ntp_t *) = rx;
	return m;
}

/* handler + TX stamp as the worker loop does them */
static void run(struct tw_refl *r, unsigned worker, struct rte_mbuf **m,
		uint16_t n, uint8_t *verdict, tw_ntp_t now)
{
	struct rte_mbuf *tx[TW_DP_BURST];
	uint16_t nt = 0;

	memset(verdict, TW_DP_V_EXCEPTION, n);
	tw_refl_udp_handler(r, worker, 0, m, n, verdict);
	for (uint16_t i = 0; i < n; i++)
		if (verdict[i] == TW_DP_V_TX)
			tx[nt++] = m[i];
	if (nt != 0)
		tw_refl_tx_stamp(r, 0, tx, nt, now);
}

/* One packet through the reflector; returns its verdict, mbuf kept. */
static uint8_t one(struct tw_refl *r, struct rte_mbuf *m, tw_ntp_t now)
{
	uint8_t v;

	run(r, 0, &m, 1, &v, now);
	return v;
}

/* One packet whose reply is not inspected. */
static uint8_t one_free(struct tw_refl *r, struct rte_mbuf *m)
{
	uint8_t v = one(r, m, 2);

	rte_pktmbuf_free(m);
	return v;
}

/* Check the reply's L2-L4 headers; returns the payload. */
static uint8_t *check_headers(struct rte_mbuf *m, const struct flow *fl,
			      uint16_t rlen, uint8_t tos)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	unsigned l3 = l3len(fl->ipv);
	uint8_t *ip = f + 14, *udp = ip + l3;

	assert_int_equal(rte_pktmbuf_data_len(m), 14 + l3 + 8 + rlen);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 14 + l3 + 8 + rlen);
	assert_memory_equal(f, MAC_PEER, 6);
	assert_memory_equal(f + 6, MAC_US, 6);
	if (fl->ipv == 4) {
		assert_int_equal(ip[1], tos);
		assert_int_equal(tw_get_be16(ip + 2), l3 + 8 + rlen);
		assert_int_equal(tw_get_be16(ip + 4), 0x1234);
		assert_int_equal(ip[8], 255);
		assert_int_equal(ip[9], 17);
		assert_memory_equal(ip + 12, fl->us, 4);
		assert_memory_equal(ip + 16, fl->peer, 4);
		assert_int_equal(tw_dp_ipv4_hdr_sum(ip, 20), 0);
	} else {
		assert_int_equal(ip[0] >> 4, 6);
		assert_int_equal((uint8_t)(ip[0] << 4 | ip[1] >> 4), tos);
		assert_int_equal(ip[1] & 0x0f, 0x0a); /* flow label kept */
		assert_int_equal(tw_get_be16(ip + 4), 8 + rlen);
		assert_int_equal(ip[7], 255);
		assert_memory_equal(ip + 8, fl->us, 16);
		assert_memory_equal(ip + 24, fl->peer, 16);
	}
	assert_int_equal(tw_get_be16(udp), fl->dport);
	assert_int_equal(tw_get_be16(udp + 2), fl->sport);
	assert_int_equal(tw_get_be16(udp + 4), 8 + rlen);
	assert_int_not_equal(tw_get_be16(udp + 6), 0);
	assert_int_equal(tw_dp_udp_sum(ip, fl->ipv, udp, (uint32_t)(8 + rlen)), 0);
	return udp + 8;
}

static uint16_t reply_len(struct rte_mbuf *m, const struct flow *fl)
{
	return (uint16_t)(rte_pktmbuf_data_len(m) - 14 - l3len(fl->ipv) - 8);
}

static struct tw_refl *refl(unsigned workers, uint32_t max)
{
	struct tw_refl_conf c = { .n_workers = workers, .max_sessions = max,
				  .clock = &clk, .crypto = TW_CRYPTO_IMPL_BEST };
	struct tw_refl *r = tw_refl_create(&c);

	assert_non_null(r);
	assert_non_null(tw_refl_qsbr(r));
	return r;
}

static void pad_pattern(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(0xa0 + i);
}

static struct tw_crypto_test *light_ctx(enum tw_refl_mode mode)
{
	struct tw_crypto_session_keys k;
	struct tw_crypto_test *t;

	memcpy(k.aes, LKEY, 16);
	memcpy(k.hmac, LKEY + 16, 32);
	t = tw_crypto_test_create(teng, mode == TW_REFL_AUTH ? TW_CRYPTO_TEST_AUTH
							     : TW_CRYPTO_TEST_ENC, &k);
	assert_non_null(t);
	return t;
}

static uint64_t drops(struct tw_refl *r, enum tw_refl_drop why)
{
	struct tw_refl_stats s;

	assert_int_equal(tw_refl_stats(r, -1, &s), 0);
	return s.drop[why];
}

/* ---- TWAMP Light ---- */

/* A sender packet with @p pad padding octets, protected when @p ct. */
static uint16_t twamp_sender(const struct tw_test_layout *l,
			     const struct tw_crypto_test *ct, uint32_t seq,
			     tw_ntp_t ts, uint16_t pad, uint8_t *buf)
{
	uint8_t padding[1500];
	struct tw_test_sender s = { .seq = seq, .ts = ts, .errest = 0x8123,
				    .pad = padding, .pad_len = pad };
	int n;

	pad_pattern(padding, pad);
	n = tw_proto_test_sender_encode(l, &s, buf, 2048);
	assert_true(n > 0);
	if (ct != NULL)
		assert_int_equal(tw_crypto_test_protect(teng, ct, TW_CRYPTO_PKT_SENDER,
							buf, (size_t)n), 0);
	return (uint16_t)n;
}

struct twamp_exp {
	uint32_t seq, sender_seq;
	tw_ntp_t sender_ts, rx, now;
	uint8_t ttl, dscp_ecn;
};

static void twamp_check(const struct tw_test_layout *l,
			const struct tw_crypto_test *ct, uint8_t *pl, uint16_t len,
			const struct twamp_exp *e)
{
	struct tw_test_reflector rf;

	if (ct != NULL)
		assert_int_equal(tw_crypto_test_verify(teng, ct, TW_CRYPTO_PKT_REFLECTOR,
						       pl, len), 0);
	assert_int_equal(tw_proto_test_reflector_decode(l, pl, len, &rf), len);
	assert_int_equal(rf.seq, e->seq);
	assert_int_equal(rf.ts, e->now);
	assert_int_equal(rf.errest, tw_dp_clock_errest(&clk));
	assert_int_equal(rf.rx_ts, e->rx);
	assert_int_equal(rf.sender_seq, e->sender_seq);
	assert_int_equal(rf.sender_ts, e->sender_ts);
	assert_int_equal(rf.sender_errest, 0x8123);
	assert_int_equal(rf.sender_ttl, e->ttl);
	assert_int_equal(rf.sender_dscp_ecn, e->dscp_ecn);
	/* sender stamps, reflector receives, then transmits */
	assert_true(rf.sender_ts <= rf.rx_ts);
	assert_true(rf.rx_ts <= rf.ts);
}

static void light_case(unsigned ipv, enum tw_refl_mode mode, uint16_t pad)
{
	struct tw_refl *r = refl(1, 64);
	struct tw_refl_light lc = { .port = 862, .proto = TW_REFL_LIGHT,
				    .mode = mode, .dscp = 10 };
	struct tw_crypto_test *ct = mode == TW_REFL_OPEN ? NULL : light_ctx(mode);
	struct tw_test_layout l;
	struct flow fl = flow(ipv, 40000, 862);
	uint8_t buf[2048];
	tw_ntp_t sts, rx, now;
	uint16_t n, rl;
	struct rte_mbuf *m;
	struct twamp_exp e;
	uint8_t *pl;

	if (mode != TW_REFL_OPEN) {
		lc.key = LKEY;
		lc.key_len = sizeof(LKEY);
	}
	assert_int_equal(tw_refl_light_add(r, &lc), 0);
	assert_int_equal(tw_proto_test_layout_init(&l, (enum tw_test_mode)mode,
						   false, false, 0), 0);
	for (uint32_t k = 0; k < 3; k++) {
		sts = tw_dp_clock_now(&clk);
		n = twamp_sender(&l, ct, 1000 + k * 7, sts, pad, buf);
		rx = tw_dp_clock_now(&clk);
		m = frame(&fl, buf, n, rx);
		now = tw_dp_clock_now(&clk);
		assert_int_equal(one(r, m, now), TW_DP_V_TX);
		rl = reply_len(m, &fl);
		/* padding truncated to keep the sizes equal when it can */
		assert_int_equal(rl, n >= l.refl_hdr ? n : l.refl_hdr);
		pl = check_headers(m, &fl, rl, 10 << 2);
		e = (struct twamp_exp){ .seq = 1000 + k * 7, /* stateless: copied */
					.sender_seq = 1000 + k * 7, .sender_ts = sts,
					.rx = rx, .now = now, .ttl = 61 };
		twamp_check(&l, ct, pl, rl, &e);
		if (rl > l.refl_hdr) {
			uint8_t pat[1500];

			/* the reply's padding is the sender's, highest octets dropped */
			pad_pattern(pat, sizeof(pat));
			assert_memory_equal(pl + l.refl_hdr, pat, rl - l.refl_hdr);
		}
		rte_pktmbuf_free(m);
	}
	{
		struct tw_refl_stats s;

		assert_int_equal(tw_refl_light_stats(r, 862, &s), 0);
		assert_int_equal(s.rx, 3);
		assert_int_equal(s.tx, 3);
		assert_int_equal(s.last_rx, rx);
		assert_int_equal(tw_refl_stats(r, 0, &s), 0);
		assert_int_equal(s.tx, 3);
	}
	tw_crypto_test_destroy(ct);
	tw_refl_destroy(r);
}

static void test_light_open_v4(void **s) { (void)s; light_case(4, TW_REFL_OPEN, 27); }
static void test_light_open_v6(void **s) { (void)s; light_case(6, TW_REFL_OPEN, 27); }
static void test_light_open_short_sender(void **s) { (void)s; light_case(4, TW_REFL_OPEN, 0); }
static void test_light_open_big_padding(void **s) { (void)s; light_case(6, TW_REFL_OPEN, 1000); }
/* The reply's UDP sum derived from the request's (RFC 1624) when the
 * padding is long: every length around the switch-over, odd and even
 * (odd moves byte-swap the padding's sum), both families */
static void test_light_open_pad_sweep(void **s)
{
	(void)s;
	for (uint16_t pad = 27; pad < 200; pad++) {
		light_case(4, TW_REFL_OPEN, pad);
		light_case(6, TW_REFL_OPEN, pad);
	}
	light_case(4, TW_REFL_OPEN, 1431);
	light_case(6, TW_REFL_OPEN, 1410);
}
static void test_light_auth_v4(void **s) { (void)s; light_case(4, TW_REFL_AUTH, 64); }
static void test_light_auth_v6(void **s) { (void)s; light_case(6, TW_REFL_AUTH, 64); }
static void test_light_auth_short_sender(void **s) { (void)s; light_case(4, TW_REFL_AUTH, 0); }
static void test_light_enc_v4(void **s) { (void)s; light_case(4, TW_REFL_ENC, 64); }
static void test_light_enc_v6(void **s) { (void)s; light_case(6, TW_REFL_ENC, 100); }

/* ---- STAMP ---- */

static uint16_t stamp_sender(enum tw_stamp_mode sm, const struct tw_crypto_stamp *sc,
			     uint32_t seq, tw_ntp_t ts, uint16_t ssid, uint8_t *buf)
{
	struct tw_stamp_sender s = { .seq = seq, .ts = ts, .errest = 0x8123,
				     .ssid = ssid };
	int n = tw_proto_stamp_sender_encode(sm, &s, buf, 2048);

	assert_true(n > 0);
	if (sc != NULL)
		assert_int_equal(tw_crypto_stamp_sign(sc, buf, (size_t)n), 0);
	return (uint16_t)n;
}

/*
 * A full burst of authenticated STAMP on two ports with different keys
 * (checked and signed as bursts): good packets of both keys are reflected
 * and signed with their own key, forged and short ones are dropped by
 * reason, in every position of the burst.
 */
static void test_stamp_auth_mixed_burst(void **state)
{
	static const uint8_t key2[20] = "second-stamp-key-20o";
	struct tw_refl *r = refl(1, 64);
	struct tw_refl_light la = { .port = 862, .proto = TW_REFL_STAMP,
				    .mode = TW_REFL_AUTH, .key = SKEY,
				    .key_len = sizeof(SKEY) };
	struct tw_refl_light lb = { .port = 863, .proto = TW_REFL_STAMP,
				    .mode = TW_REFL_AUTH, .key = key2,
				    .key_len = sizeof(key2), .stateful = true };
	struct tw_crypto_stamp *sa = tw_crypto_stamp_create(SKEY, sizeof(SKEY));
	struct tw_crypto_stamp *sb = tw_crypto_stamp_create(key2, sizeof(key2));
	struct flow fa = flow(4, 40001, 862), fb = flow(6, 40002, 863);
	struct rte_mbuf *m[TW_DP_BURST];
	uint8_t v[TW_DP_BURST], buf[2048];
	struct tw_refl_stats st;

	(void)state;
	assert_non_null(sa);
	assert_non_null(sb);
	assert_int_equal(tw_refl_light_add(r, &la), 0);
	assert_int_equal(tw_refl_light_add(r, &lb), 0);
	for (unsigned i = 0; i < TW_DP_BURST; i++) {
		uint16_t n;

		switch (i % 5) {
		case 0:
		case 3:
			n = stamp_sender(TW_STAMP_AUTH, sa, i, 7, 0x11, buf);
			m[i] = frame(&fa, buf, n, 10);
			break;
		case 1:
			n = stamp_sender(TW_STAMP_AUTH, sb, i, 7, 0x22, buf);
			m[i] = frame(&fb, buf, n, 10);
			break;
		case 2: /* signed with the other port's key */
			n = stamp_sender(TW_STAMP_AUTH, sb, i, 7, 0x11, buf);
			m[i] = frame(&fa, buf, n, 10);
			break;
		default: /* too short for the authenticated base packet */
			n = stamp_sender(TW_STAMP_AUTH, sb, i, 7, 0x22, buf);
			m[i] = frame(&fb, buf, 100, 10);
			break;
		}
	}
	run(r, 0, m, TW_DP_BURST, v, 20);
	for (unsigned i = 0, nb = 0; i < TW_DP_BURST; i++) {
		const struct flow *fl = i % 5 == 1 ? &fb : &fa;
		struct tw_stamp_reflector rf;
		uint8_t *pl;

		if (i % 5 == 2 || i % 5 == 4) {
			assert_int_equal(v[i], TW_DP_V_DROP);
			rte_pktmbuf_free(m[i]);
			continue;
		}
		assert_int_equal(v[i], TW_DP_V_TX);
		pl = check_headers(m[i], fl, TW_STAMP_BASE_AUTH, 0);
		assert_int_equal(tw_crypto_stamp_check(i % 5 == 1 ? sb : sa, pl,
						       TW_STAMP_BASE_AUTH), 0);
		assert_int_equal(tw_crypto_stamp_check(i % 5 == 1 ? sa : sb, pl,
						       TW_STAMP_BASE_AUTH),
				 -TW_PROTO_E_HMAC);
		assert_int_equal(tw_proto_stamp_reflector_decode(TW_STAMP_AUTH, pl,
								 TW_STAMP_BASE_AUTH, &rf),
				 TW_STAMP_BASE_AUTH);
		assert_int_equal(rf.sender_seq, i);
		assert_int_equal(rf.seq, i % 5 == 1 ? nb++ : i);
		assert_int_equal(rf.ts, 20);
		assert_int_equal(rf.rx_ts, 10);
		rte_pktmbuf_free(m[i]);
	}
	assert_int_equal(tw_refl_stats(r, 0, &st), 0);
	assert_int_equal(st.rx, 32);
	assert_int_equal(st.tx, 20);
	assert_int_equal(st.drop[TW_REFL_DROP_BAD_HMAC], 6);
	assert_int_equal(st.drop[TW_REFL_DROP_TOO_SHORT], 6);
	assert_int_equal(st.drop[TW_REFL_DROP_CRYPTO], 0);
	tw_crypto_stamp_destroy(sa);
	tw_crypto_stamp_destroy(sb);
	tw_refl_destroy(r);
}

static void stamp_case(unsigned ipv, enum tw_refl_mode mode, bool stateful)
{
	struct tw_refl *r = refl(1, 64);
	struct tw_refl_light lc = { .port = 862, .proto = TW_REFL_STAMP,
				    .mode = mode, .stateful = stateful,
				    .dscp = TW_REFL_DSCP_COPY };
	enum tw_stamp_mode sm = mode == TW_REFL_AUTH ? TW_STAMP_AUTH : TW_STAMP_UNAUTH;
	struct tw_crypto_stamp *sc = NULL;
	struct flow fl = flow(ipv, 40001, 862);
	uint8_t buf[2048];

	if (mode == TW_REFL_AUTH) {
		lc.key = SKEY;
		lc.key_len = sizeof(SKEY);
		sc = tw_crypto_stamp_create(SKEY, sizeof(SKEY));
		assert_non_null(sc);
	}
	assert_int_equal(tw_refl_light_add(r, &lc), 0);
	for (uint32_t k = 0; k < 3; k++) {
		tw_ntp_t sts = tw_dp_clock_now(&clk), rx, now;
		uint16_t n = stamp_sender(sm, sc, 500 + k * 3, sts, 0x4242, buf);
		struct tw_stamp_reflector rf;
		struct rte_mbuf *m;
		uint8_t *pl;

		rx = tw_dp_clock_now(&clk);
		m = frame(&fl, buf, n, rx);
		now = tw_dp_clock_now(&clk);
		assert_int_equal(one(r, m, now), TW_DP_V_TX);
		assert_int_equal(reply_len(m, &fl), tw_proto_stamp_base_len(sm));
		pl = check_headers(m, &fl, reply_len(m, &fl), 46 << 2);
		if (sc != NULL)
			assert_int_equal(tw_crypto_stamp_check(sc, pl, reply_len(m, &fl)), 0);
		assert_int_equal(tw_proto_stamp_reflector_decode(sm, pl, reply_len(m, &fl), &rf),
				 tw_proto_stamp_base_len(sm));
		assert_int_equal(rf.seq, stateful ? k : 500 + k * 3);
		assert_int_equal(rf.ts, now);
		assert_int_equal(rf.errest, tw_dp_clock_errest(&clk));
		assert_int_equal(rf.ssid, 0x4242);
		assert_int_equal(rf.rx_ts, rx);
		assert_int_equal(rf.sender_seq, 500 + k * 3);
		assert_int_equal(rf.sender_ts, sts);
		assert_int_equal(rf.sender_errest, 0x8123);
		assert_int_equal(rf.sender_ttl, 61);
		rte_pktmbuf_free(m);
	}
	tw_crypto_stamp_destroy(sc);
	tw_refl_destroy(r);
}

static void test_stamp_open_v4(void **s) { (void)s; stamp_case(4, TW_REFL_OPEN, false); }
static void test_stamp_open_v6(void **s) { (void)s; stamp_case(6, TW_REFL_OPEN, false); }
static void test_stamp_auth_v4(void **s) { (void)s; stamp_case(4, TW_REFL_AUTH, false); }
static void test_stamp_auth_v6(void **s) { (void)s; stamp_case(6, TW_REFL_AUTH, false); }
static void test_stamp_stateful_v4(void **s) { (void)s; stamp_case(4, TW_REFL_OPEN, true); }
static void test_stamp_auth_stateful_v6(void **s) { (void)s; stamp_case(6, TW_REFL_AUTH, true); }

/* RFC 8762 §4.6: a 14-octet TWAMP Light sender packet gets a base reply. */
static void test_stamp_short_sender(void **state)
{
	struct tw_refl *r = refl(1, 64);
	struct tw_refl_light lc = { .port = 862, .proto = TW_REFL_STAMP };
	struct flow fl = flow(4, 40001, 862);
	uint8_t buf[14] = { 0, 0, 0, 9 };
	struct tw_stamp_reflector rf;
	struct rte_mbuf *m;
	uint8_t *pl;

	(void)state;
	assert_int_equal(tw_refl_light_add(r, &lc), 0);
	m = frame(&fl, buf, sizeof(buf), 5);
	assert_int_equal(one(r, m, 6), TW_DP_V_TX);
	pl = check_headers(m, &fl, TW_STAMP_BASE_UNAUTH, 0);
	assert_int_equal(tw_proto_stamp_reflector_decode(TW_STAMP_UNAUTH, pl, 44, &rf), 44);
	assert_int_equal(rf.sender_seq, 9);
	assert_int_equal(rf.rx_ts, 5);
	assert_int_equal(rf.ts, 6);
	rte_pktmbuf_free(m);
	tw_refl_destroy(r);
}

/* RFC 8972: Class of Service TLV sets the reply DSCP; the HMAC TLV of an
 * authenticated packet is verified and the reply's is signed. */
static void test_stamp_tlvs_cos_hmac(void **state)
{
	struct tw_refl *r = refl(1, 64);
	struct tw_refl_light lc = { .port = 862, .proto = TW_REFL_STAMP,
				    .mode = TW_REFL_AUTH, .key = SKEY,
				    .key_len = sizeof(SKEY) };
	struct tw_crypto_stamp *sc = tw_crypto_stamp_create(SKEY, sizeof(SKEY));
	struct tw_stamp_cos cos = { .dscp1 = 34, .dscp2 = 0, .ecn = 0, .rp = 0 };
	struct flow fl = flow(6, 40002, 862);
	uint8_t buf[2048];
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv t;
	struct rte_mbuf *m;
	uint16_t n, rl;
	uint8_t *pl;
	int c;

	(void)state;
	assert_non_null(sc);
	assert_int_equal(tw_refl_light_add(r, &lc), 0);
	n = stamp_sender(TW_STAMP_AUTH, sc, 77, 100, 0x99, buf);
	c = tw_proto_stamp_tlv_encode_cos(TW_STAMP_TLV_SENDER_FLAGS, &cos, buf + n, 64);
	assert_int_equal(c, 8);
	c = tw_proto_stamp_tlv_encode_hmac(TW_STAMP_TLV_SENDER_FLAGS,
					   (const uint8_t[16]){ 0 }, buf + n + 8, 64);
	assert_int_equal(c, 20);
	assert_int_equal(tw_crypto_stamp_tlv_sign(sc, buf, (size_t)n + 28, n, (size_t)n + 8), 0);
	assert_int_equal(tw_crypto_stamp_sign(sc, buf, (size_t)n + 28), 0);
	m = frame(&fl, buf, (uint16_t)(n + 28), 150);
	assert_int_equal(one(r, m, 200), TW_DP_V_TX);
	rl = reply_len(m, &fl);
	assert_int_equal(rl, n + 28);
	pl = check_headers(m, &fl, rl, 34 << 2);
	assert_int_equal(tw_crypto_stamp_check(sc, pl, rl), 0);
	assert_int_equal(tw_crypto_stamp_tlv_check(sc, pl, rl, n, (size_t)n + 8), 0);
	tw_proto_stamp_tlv_iter_init(&it, pl, rl, n);
	assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), 1);
	assert_int_equal(t.type, TW_STAMP_TLV_COS);
	assert_int_equal(t.flags, 0); /* processed: U, M, I clear */
	assert_int_equal(tw_proto_stamp_tlv_decode_cos(&t, &cos), 0);
	assert_int_equal(cos.dscp1, 34);
	assert_int_equal(cos.dscp2, 46); /* what the packet arrived with */
	assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), 1);
	assert_int_equal(t.type, TW_STAMP_TLV_HMAC);
	assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), 0);
	rte_pktmbuf_free(m);

	/* forged HMAC TLV: reflected, every TLV flagged I (integrity failed) */
	n = stamp_sender(TW_STAMP_AUTH, sc, 78, 100, 0x99, buf);
	assert_int_equal(tw_proto_stamp_tlv_encode_cos(TW_STAMP_TLV_SENDER_FLAGS, &cos,
						       buf + n, 64), 8);
	assert_int_equal(tw_proto_stamp_tlv_encode_hmac(TW_STAMP_TLV_SENDER_FLAGS,
							(const uint8_t[16]){ 1 },
							buf + n + 8, 64), 20);
	assert_int_equal(tw_crypto_stamp_sign(sc, buf, (size_t)n + 28), 0);
	m = frame(&fl, buf, (uint16_t)(n + 28), 150);
	assert_int_equal(one(r, m, 200), TW_DP_V_TX);
	pl = check_headers(m, &fl, (uint16_t)(n + 28), 0); /* CoS not applied */
	tw_proto_stamp_tlv_iter_init(&it, pl, (size_t)n + 28, n);
	while ((c = tw_proto_stamp_tlv_next(&it, &t)) == 1)
		assert_true(t.flags & TW_STAMP_TLV_I);
	assert_int_equal(c, 0);
	rte_pktmbuf_free(m);
	tw_crypto_stamp_destroy(sc);
	tw_refl_destroy(r);
}

/* An HMAC TLV that no key can verify: reflected with I on every TLV. */
static void test_stamp_hmac_tlv_without_key(void **state)
{
	struct tw_refl *r = refl(1, 64);
	struct tw_refl_light lc = { .port = 862, .proto = TW_REFL_STAMP };
	struct tw_stamp_cos cos = { .dscp1 = 34 };
	struct flow fl = flow(4, 40003, 862);
	uint8_t buf[256];
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv t;
	struct rte_mbuf *m;
	uint16_t n;
	uint8_t *pl;
	int c, ntlv = 0;

	(void)state;
	assert_int_equal(tw_refl_light_add(r, &lc), 0);
	n = stamp_sender(TW_STAMP_UNAUTH, NULL, 5, 100, 0x99, buf);
	assert_int_equal(tw_proto_stamp_tlv_encode_cos(TW_STAMP_TLV_SENDER_FLAGS, &cos,
						       buf + n, 64), 8);
	assert_int_equal(tw_proto_stamp_tlv_encode_hmac(TW_STAMP_TLV_SENDER_FLAGS,
							(const uint8_t[16]){ 7 },
							buf + n + 8, 64), 20);
	m = frame(&fl, buf, (uint16_t)(n + 28), 150);
	assert_int_equal(one(r, m, 200), TW_DP_V_TX);
	pl = check_headers(m, &fl, (uint16_t)(n + 28), 0); /* CoS not applied */
	tw_proto_stamp_tlv_iter_init(&it, pl, (size_t)n + 28, n);
	while ((c = tw_proto_stamp_tlv_next(&it, &t)) == 1) {
		assert_true(t.flags & TW_STAMP_TLV_I);
		ntlv++;
	}
	assert_int_equal(c, 0);
	assert_int_equal(ntlv, 2);
	rte_pktmbuf_free(m);
	tw_refl_destroy(r);
}

/* ---- full TWAMP sessions ---- */

static uint32_t add_session(struct tw_refl *r, unsigned ipv, enum tw_refl_mode mode,
			    bool sym, bool dscp_ecn, uint16_t refl_len,
			    uint16_t peer_port, bool started,
			    struct tw_crypto_session_keys *keys_out)
{
	struct tw_refl_session s = { .family = ipv == 4 ? AF_INET : AF_INET6,
				     .local_port = 20000, .peer_port = peer_port,
				     .proto = TW_REFL_TWAMP, .mode = mode,
				     .sym_size = sym, .dscp_ecn = dscp_ecn,
				     .reflect_len = refl_len, .dscp = 26,
				     .started = started };
	uint32_t id = UINT32_MAX;

	memcpy(s.local_addr, ipv == 4 ? V4_US : V6_US, 16);
	memcpy(s.peer_addr, ipv == 4 ? V4_PEER : V6_PEER, 16);
	for (unsigned i = 0; i < 16; i++)
		s.test_keys.aes[i] = (uint8_t)(i * 3 + 1);
	for (unsigned i = 0; i < 32; i++)
		s.test_keys.hmac[i] = (uint8_t)(i * 5 + 2);
	if (keys_out != NULL)
		*keys_out = s.test_keys;
	assert_int_equal(tw_refl_session_add(r, &s, &id), 0);
	assert_true(id < 1u << 24);
	return id;
}

static void session_case(unsigned ipv, enum tw_refl_mode mode, bool sym,
			 bool dscp_ecn, uint16_t refl_len, uint16_t pad)
{
	struct tw_refl *r = refl(1, 64);
	struct tw_crypto_session_keys k;
	struct tw_crypto_test *ct = NULL;
	struct tw_test_layout l;
	struct flow fl = flow(ipv, 30000, 20000);
	uint8_t buf[2048];
	uint32_t id;

	id = add_session(r, ipv, mode, sym, dscp_ecn, refl_len, 30000, true, &k);
	if (mode != TW_REFL_OPEN) {
		ct = tw_crypto_test_create(teng, mode == TW_REFL_AUTH ? TW_CRYPTO_TEST_AUTH
								      : TW_CRYPTO_TEST_ENC, &k);
		assert_non_null(ct);
	}
	assert_int_equal(tw_proto_test_layout_init(&l, (enum tw_test_mode)mode, sym,
						   dscp_ecn, refl_len), 0);
	for (uint32_t s = 0; s < 4; s++) {
		tw_ntp_t sts = tw_dp_clock_now(&clk), rx, now;
		uint16_t n = twamp_sender(&l, ct, 7000 + s * 2, sts, pad, buf), rl;
		struct twamp_exp e;
		struct rte_mbuf *m;
		uint8_t *pl;

		rx = tw_dp_clock_now(&clk);
		m = frame(&fl, buf, n, rx);
		now = tw_dp_clock_now(&clk);
		assert_int_equal(one(r, m, now), TW_DP_V_TX);
		rl = reply_len(m, &fl);
		assert_int_equal(rl, tw_proto_test_reply_len(&l, n));
		if (sym)
			assert_int_equal(rl, n);
		pl = check_headers(m, &fl, rl, 26 << 2);
		e = (struct twamp_exp){ .seq = s, /* own sequence per session */
					.sender_seq = 7000 + s * 2, .sender_ts = sts,
					.rx = rx, .now = now, .ttl = 61,
					.dscp_ecn = dscp_ecn ? 0xb9 : 0 };
		twamp_check(&l, ct, pl, rl, &e);
		if (refl_len != 0) {
			uint8_t pat[1500];

			/* RFC 6038: the octets to reflect lead the reply padding */
			pad_pattern(pat, sizeof(pat));
			assert_memory_equal(pl + l.refl_hdr, pat, refl_len);
		}
		rte_pktmbuf_free(m);
	}
	{
		struct tw_refl_stats st;

		assert_int_equal(tw_refl_session_stats(r, id, &st), 0);
		assert_int_equal(st.rx, 4);
		assert_int_equal(st.tx, 4);
		assert_int_equal(st.next_seq, 4);
	}
	tw_crypto_test_destroy(ct);
	tw_refl_destroy(r);
}

static void test_session_open_v4(void **s)
{
	(void)s;
	session_case(4, TW_REFL_OPEN, false, false, 0, 27);
}
static void test_session_open_v6(void **s)
{
	(void)s;
	session_case(6, TW_REFL_OPEN, false, false, 0, 27);
}
static void test_session_sym_v4(void **s)
{
	(void)s;
	session_case(4, TW_REFL_OPEN, true, false, 0, 10);
}
static void test_session_sym_dscp_v6(void **s)
{
	(void)s;
	session_case(6, TW_REFL_OPEN, true, true, 0, 10);
}
static void test_session_dscp_ecn_v4(void **s)
{
	(void)s;
	session_case(4, TW_REFL_OPEN, false, true, 0, 28);
}
static void test_session_reflect_octets_v4(void **s)
{
	(void)s;
	session_case(4, TW_REFL_OPEN, false, false, 16, 60);
}
static void test_session_reflect_octets_v6(void **s)
{
	(void)s;
	session_case(6, TW_REFL_OPEN, true, false, 8, 8);
}
/* the same with long padding: the reply's sum derived from the request's */
static void test_session_long_padding(void **s)
{
	(void)s;
	session_case(4, TW_REFL_OPEN, false, false, 0, 301);
	session_case(6, TW_REFL_OPEN, true, false, 0, 300);
	session_case(4, TW_REFL_OPEN, true, true, 0, 257);
	session_case(6, TW_REFL_OPEN, false, true, 0, 1000);
	session_case(4, TW_REFL_OPEN, false, false, 16, 401);
	session_case(6, TW_REFL_OPEN, true, false, 8, 222);
}
static void test_session_auth_v4(void **s)
{
	(void)s;
	session_case(4, TW_REFL_AUTH, false, false, 0, 64);
}
static void test_session_auth_sym_v6(void **s)
{
	(void)s;
	session_case(6, TW_REFL_AUTH, true, true, 0, 0);
}
static void test_session_enc_v4(void **s)
{
	(void)s;
	session_case(4, TW_REFL_ENC, false, true, 0, 64);
}
static void test_session_enc_v6(void **s)
{
	(void)s;
	session_case(6, TW_REFL_ENC, true, false, 12, 20);
}

/* ---- drops ---- */

static void expect_drop(struct tw_refl *r, struct rte_mbuf *m, enum tw_refl_drop why)
{
	uint64_t before = drops(r, why);
	uint8_t before_pkt[256];
	uint16_t len = rte_pktmbuf_data_len(m);

	memcpy(before_pkt, rte_pktmbuf_mtod(m, uint8_t *), len < 256 ? len : 256);
	assert_int_equal(one(r, m, 1), TW_DP_V_DROP);
	assert_int_equal(drops(r, why), before + 1);
	/* never rewritten into a reply */
	assert_memory_equal(before_pkt, rte_pktmbuf_mtod(m, uint8_t *), len < 256 ? len : 256);
	rte_pktmbuf_free(m);
}

static void test_drop_forged_hmac(void **state)
{
	struct tw_refl *r = refl(1, 64);
	struct tw_refl_light lc = { .port = 862, .proto = TW_REFL_LIGHT,
				    .mode = TW_REFL_AUTH, .key = LKEY, .key_len = 48 };
	struct tw_refl_light sc = { .port = 863, .proto = TW_REFL_STAMP,
				    .mode = TW_REFL_AUTH, .key = SKEY, .key_len = 32 };
	struct tw_crypto_test *ct = light_ctx(TW_REFL_AUTH);
	struct tw_crypto_stamp *st = tw_crypto_stamp_create(SKEY, 32);
	struct tw_test_layout l;
	struct flow fl = flow(4, 40000, 862), fs = flow(6, 40000, 863);
	uint8_t buf[2048];
	uint16_t n;

	(void)state;
	assert_int_equal(tw_refl_light_add(r, &lc), 0);
	assert_int_equal(tw_refl_light_add(r, &sc), 0);
	tw_proto_test_layout_init(&l, TW_TEST_AUTH, false, false, 0);
	n = twamp_sender(&l, ct, 1, 2, 16, buf);
	buf[TW_TEST_SENDER_HMAC_OFF] ^= 1;
	expect_drop(r, frame(&fl, buf, n, 3), TW_REFL_DROP_BAD_HMAC);
	/* right HMAC, wrong key */
	n = twamp_sender(&l, ct, 1, 2, 16, buf);
	buf[0] ^= 0x80;
	expect_drop(r, frame(&fl, buf, n, 3), TW_REFL_DROP_BAD_HMAC);
	n = stamp_sender(TW_STAMP_AUTH, st, 1, 2, 3, buf);
	buf[20] ^= 1; /* timestamp changed after signing */
	expect_drop(r, frame(&fs, buf, n, 3), TW_REFL_DROP_BAD_HMAC);
	tw_crypto_test_destroy(ct);
	tw_crypto_stamp_destroy(st);
	tw_refl_destroy(r);
}

static void test_drop_forged_enc_session(void **state)
{
	struct tw_refl *r = refl(1, 64);
	struct tw_crypto_session_keys k;
	struct tw_crypto_test *ct;
	struct tw_test_layout l;
	struct flow fl = flow(6, 30000, 20000);
	uint8_t buf[2048];
	uint16_t n;

	(void)state;
	add_session(r, 6, TW_REFL_ENC, false, false, 0, 30000, true, &k);
	k.hmac[0] ^= 1; /* the sender has the wrong HMAC key */
	ct = tw_crypto_test_create(teng, TW_CRYPTO_TEST_ENC, &k);
	tw_proto_test_layout_init(&l, TW_TEST_ENC, false, false, 0);
	n = twamp_sender(&l, ct, 1, 2, 64, buf);
	expect_drop(r, frame(&fl, buf, n, 3), TW_REFL_DROP_BAD_HMAC);
	tw_crypto_test_destroy(ct);
	tw_refl_destroy(r);
}

static void test_drop_too_short(void **state)
{
	struct tw_refl *r = refl(1, 64);
	struct tw_refl_light lo = { .port = 862, .proto = TW_REFL_LIGHT };
	struct tw_refl_light la = { .port = 863, .proto = TW_REFL_LIGHT,
				    .mode = TW_REFL_ENC, .key = LKEY, .key_len = 48 };
	struct tw_refl_light sa = { .port = 864, .proto = TW_REFL_STAMP,
				    .mode = TW_REFL_AUTH, .key = SKEY, .key_len = 16 };
	struct tw_refl_light so = { .port = 865, .proto = TW_REFL_STAMP };
	struct flow f1 = flow(4, 1, 862), f2 = flow(4, 1, 863), f3 = flow(6, 1, 864),
		    f4 = flow(6, 1, 865);
	uint8_t buf[128] = { 0 };

	(void)state;
	assert_int_equal(tw_refl_light_add(r, &lo), 0);
	assert_int_equal(tw_refl_light_add(r, &la), 0);
	assert_int_equal(tw_refl_light_add(r, &sa), 0);
	assert_int_equal(tw_refl_light_add(r, &so), 0);
	expect_drop(r, frame(&f1, buf, 13, 1), TW_REFL_DROP_TOO_SHORT);
	expect_drop(r, frame(&f1, buf, 0, 1), TW_REFL_DROP_TOO_SHORT);
	expect_drop(r, frame(&f2, buf, 47, 1), TW_REFL_DROP_TOO_SHORT);
	expect_drop(r, frame(&f3, buf, 111, 1), TW_REFL_DROP_TOO_SHORT);
	expect_drop(r, frame(&f4, buf, 13, 1), TW_REFL_DROP_TOO_SHORT);
	tw_refl_destroy(r);
}

/* RFC 6038: padding shorter than the octets to reflect */
static void test_drop_bad_length(void **state)
{
	struct tw_refl *r = refl(1, 64);
	struct tw_test_layout l;
	struct flow fl = flow(4, 30000, 20000);
	uint8_t buf[2048];
	uint16_t n;

	(void)state;
	add_session(r, 4, TW_REFL_OPEN, false, false, 32, 30000, true, NULL);
	tw_proto_test_layout_init(&l, TW_TEST_UNAUTH, false, false, 32);
	n = twamp_sender(&l, NULL, 1, 2, 31, buf);
	expect_drop(r, frame(&fl, buf, n, 3), TW_REFL_DROP_BAD_LENGTH);
	tw_refl_destroy(r);
}

static void test_drop_no_session(void **state)
{
	struct tw_refl *r = refl(1, 64);
	struct tw_refl_light lo = { .port = 862, .proto = TW_REFL_LIGHT };
	struct flow fl = flow(4, 30000, 20000), other = flow(6, 1, 9999);
	uint8_t buf[64] = { 0 };
	uint32_t id;

	(void)state;
	expect_drop(r, frame(&fl, buf, 41, 1), TW_REFL_DROP_NO_SESSION);
	assert_int_equal(tw_refl_light_add(r, &lo), 0);
	id = add_session(r, 4, TW_REFL_OPEN, false, false, 0, 30000, true, NULL);
	assert_int_equal(one_free(r, frame(&fl, buf, 41, 1)), TW_DP_V_TX);
	/* a different peer port or local port is another flow */
	fl.sport = 30001;
	expect_drop(r, frame(&fl, buf, 41, 1), TW_REFL_DROP_NO_SESSION);
	expect_drop(r, frame(&other, buf, 41, 1), TW_REFL_DROP_NO_SESSION);
	fl.sport = 30000;
	assert_int_equal(tw_refl_session_del(r, id), 0);
	expect_drop(r, frame(&fl, buf, 41, 1), TW_REFL_DROP_NO_SESSION);
	assert_int_equal(tw_refl_session_del(r, id), -ENOENT);
	assert_int_equal(tw_refl_light_del(r, 862), 0);
	assert_int_equal(tw_refl_light_del(r, 862), -ENOENT);
	fl.dport = 862;
	expect_drop(r, frame(&fl, buf, 41, 1), TW_REFL_DROP_NO_SESSION);
	tw_refl_destroy(r);
}

static void test_session_start_stop(void **state)
{
	struct tw_refl *r = refl(1, 64);
	struct flow fl = flow(6, 30000, 20000);
	uint8_t buf[64] = { 0 };
	struct rte_mbuf *m;
	uint32_t id;

	(void)state;
	id = add_session(r, 6, TW_REFL_OPEN, false, false, 0, 30000, false, NULL);
	expect_drop(r, frame(&fl, buf, 41, 1), TW_REFL_DROP_NOT_STARTED);
	assert_int_equal(tw_refl_session_start(r, id), 0);
	m = frame(&fl, buf, 41, 1);
	assert_int_equal(one(r, m, 2), TW_DP_V_TX);
	/* the first reflected packet has sequence 0: drops did not count */
	assert_int_equal(tw_get_be32(check_headers(m, &fl, 41, 26 << 2)), 0);
	rte_pktmbuf_free(m);
	/* Stop-Sessions with a timeout: still reflected until it passes */
	assert_int_equal(tw_refl_session_stop(r, id, 60ull * 1000000000u), 0);
	m = frame(&fl, buf, 41, 1);
	assert_int_equal(one(r, m, 2), TW_DP_V_TX);
	rte_pktmbuf_free(m);
	assert_int_equal(tw_refl_session_stop(r, id, 0), 0);
	expect_drop(r, frame(&fl, buf, 41, 1), TW_REFL_DROP_STOPPED);
	assert_int_equal(tw_refl_session_start(r, 63), -ENOENT);
	assert_int_equal(tw_refl_session_stop(r, 1u << 30, 0), -ENOENT);
	assert_int_equal(tw_refl_session_start(NULL, id), -EINVAL);
	tw_refl_destroy(r);
}

static void test_light_allow_list(void **state)
{
	struct tw_refl *r = refl(1, 64);
	struct tw_refl_light lo = { .port = 862, .proto = TW_REFL_LIGHT, .n_allow = 2 };
	struct flow f4 = flow(4, 1, 862), f6 = flow(6, 1, 862);
	uint8_t buf[64] = { 0 };

	(void)state;
	lo.allow[0] = (struct tw_dp_prefix){ .family = AF_INET, .len = 31,
					     .addr = { 198, 18, 0, 2 } };
	lo.allow[1] = (struct tw_dp_prefix){ .family = AF_INET6, .len = 127,
					     .addr = { 0x20, 0x01, 0, 3 } };
	assert_int_equal(tw_refl_light_add(r, &lo), 0);
	assert_int_equal(one_free(r, frame(&f4, buf, 14, 1)), TW_DP_V_TX);
	expect_drop(r, frame(&f6, buf, 14, 1), TW_REFL_DROP_NOT_ALLOWED);
	/* a /126 over 2001:2::/126 lets the peer ::2 in */
	lo.allow[1] = (struct tw_dp_prefix){ .family = AF_INET6, .len = 126,
					     .addr = { 0x20, 0x01, 0, 2 } };
	lo.allow[0].len = 32;
	lo.allow[0].addr[3] = 3;
	assert_int_equal(tw_refl_light_add(r, &lo), 0); /* replaces */
	assert_int_equal(one_free(r, frame(&f6, buf, 14, 1)), TW_DP_V_TX);
	expect_drop(r, frame(&f4, buf, 14, 1), TW_REFL_DROP_NOT_ALLOWED);
	tw_refl_destroy(r);
}

/* static sessions with peer port 0 take any source port */
static void test_static_any_peer_port(void **state)
{
	struct tw_refl *r = refl(1, 64);
	struct tw_refl_session s = { .family = AF_INET, .local_port = 862,
				     .proto = TW_REFL_STAMP, .stateful = true,
				     .started = true, .dscp = 8 };
	struct flow fl = flow(4, 5555, 862);
	uint8_t buf[64] = { 0 };
	struct rte_mbuf *m;
	uint32_t id;

	(void)state;
	memcpy(s.local_addr, V4_US, 4);
	memcpy(s.peer_addr, V4_PEER, 4);
	assert_int_equal(tw_refl_session_add(r, &s, &id), 0);
	for (uint16_t p = 0; p < 3; p++) {
		fl.sport = (uint16_t)(5555 + p * 1000);
		m = frame(&fl, buf, 44, 1);
		assert_int_equal(one(r, m, 2), TW_DP_V_TX);
		/* stateful: one counter for the session */
		assert_int_equal(tw_get_be32(check_headers(m, &fl, 44, 8 << 2)), p);
		rte_pktmbuf_free(m);
	}
	tw_refl_destroy(r);
}

/* a burst mixing sessions, light ports, drops and modes */
static void test_mixed_burst(void **state)
{
	struct tw_refl *r = refl(2, 64);
	struct tw_refl_light la = { .port = 862, .proto = TW_REFL_LIGHT,
				    .mode = TW_REFL_ENC, .key = LKEY, .key_len = 48 };
	struct tw_crypto_test *ct = light_ctx(TW_REFL_ENC);
	struct tw_test_layout le, lo;
	struct rte_mbuf *m[TW_DP_BURST];
	uint8_t v[TW_DP_BURST], buf[256];
	struct flow fe = flow(4, 100, 862), fo = flow(6, 30000, 20000), fx = flow(4, 1, 1);

	(void)state;
	assert_int_equal(tw_refl_light_add(r, &la), 0);
	add_session(r, 6, TW_REFL_OPEN, false, false, 0, 30000, true, NULL);
	tw_proto_test_layout_init(&le, TW_TEST_ENC, false, false, 0);
	tw_proto_test_layout_init(&lo, TW_TEST_UNAUTH, false, false, 0);
	for (unsigned i = 0; i < TW_DP_BURST; i++) {
		uint16_t n;

		switch (i % 4) {
		case 0:
			n = twamp_sender(&le, ct, i, 1, 64, buf);
			m[i] = frame(&fe, buf, n, 10);
			break;
		case 1:
			n = twamp_sender(&lo, NULL, i, 1, 27, buf);
			m[i] = frame(&fo, buf, n, 10);
			break;
		case 2:
			n = twamp_sender(&le, ct, i, 1, 64, buf);
			buf[40] ^= 1;
			m[i] = frame(&fe, buf, n, 10);
			break;
		default:
			m[i] = frame(&fx, buf, 20, 10);
			break;
		}
	}
	run(r, 1, m, TW_DP_BURST, v, 20);
	for (unsigned i = 0; i < TW_DP_BURST; i++) {
		struct twamp_exp e = { .sender_seq = i, .sender_ts = 1, .rx = 10,
				       .now = 20, .ttl = 61 };

		switch (i % 4) {
		case 0:
			assert_int_equal(v[i], TW_DP_V_TX);
			e.seq = i;
			twamp_check(&le, ct, check_headers(m[i], &fe, 112, 0),
				    112, &e);
			break;
		case 1:
			assert_int_equal(v[i], TW_DP_V_TX);
			e.seq = i / 4;
			twamp_check(&lo, NULL, check_headers(m[i], &fo, 41, 26 << 2), 41, &e);
			break;
		default:
			assert_int_equal(v[i], TW_DP_V_DROP);
			break;
		}
		rte_pktmbuf_free(m[i]);
	}
	{
		struct tw_refl_stats s;

		assert_int_equal(tw_refl_stats(r, 1, &s), 0);
		assert_int_equal(s.rx, 32);
		assert_int_equal(s.tx, 16);
		assert_int_equal(s.drop[TW_REFL_DROP_BAD_HMAC], 8);
		assert_int_equal(s.drop[TW_REFL_DROP_NO_SESSION], 8);
		assert_int_equal(tw_refl_stats(r, 0, &s), 0);
		assert_int_equal(s.rx, 0);
		assert_int_equal(tw_refl_stats(r, 2, &s), -EINVAL);
	}
	tw_crypto_test_destroy(ct);
	tw_refl_destroy(r);
}

/* RFC 5357 §4.2 REFWAIT: silent started sessions go, others stay */
static void test_refwait_expire(void **state)
{
	struct tw_refl *r = refl(1, 64);
	struct tw_refl_session s = { .family = AF_INET, .local_port = 20000,
				     .peer_port = 1, .proto = TW_REFL_TWAMP,
				     .refwait_s = 2, .started = true };
	struct flow fl = flow(4, 2, 20000);
	uint8_t buf[64] = { 0 };
	tw_ntp_t t0 = tw_dp_clock_now(&clk), sec = (tw_ntp_t)1 << 32;
	uint32_t quiet, busy, never, forever;

	(void)state;
	memcpy(s.local_addr, V4_US, 4);
	memcpy(s.peer_addr, V4_PEER, 4);
	assert_int_equal(tw_refl_session_add(r, &s, &quiet), 0);
	s.peer_port = 2;
	assert_int_equal(tw_refl_session_add(r, &s, &busy), 0);
	s.peer_port = 3;
	s.started = false;
	assert_int_equal(tw_refl_session_add(r, &s, &never), 0);
	s.peer_port = 4;
	s.started = true;
	s.refwait_s = 0;
	assert_int_equal(tw_refl_session_add(r, &s, &forever), 0);
	assert_int_equal(tw_refl_expire(r, t0 + sec), 0);
	/* busy receives at t0 + 2 s */
	assert_int_equal(one_free(r, frame(&fl, buf, 14, t0 + 2 * sec)), TW_DP_V_TX);
	assert_int_equal(tw_refl_expire(r, t0 + 3 * sec), 1);
	assert_int_equal(tw_refl_session_stats(r, quiet, &(struct tw_refl_stats){ 0 }),
			 -ENOENT);
	assert_int_equal(tw_refl_session_count(r), 3);
	assert_int_equal(tw_refl_expire(r, t0 + 5 * sec), 1); /* busy now quiet */
	assert_int_equal(tw_refl_session_count(r), 2);
	assert_int_equal(tw_refl_expire(r, t0 + 1000 * sec), 0); /* not started, no REFWAIT */
	assert_int_equal(tw_refl_expire(NULL, 0), -EINVAL);
	tw_refl_destroy(r);
}

/* Random payloads on every kind of port: never a crash, a reply always
 * well formed (lengths, checksums, addresses), else a counted drop. */
static void test_random_payloads(void **state)
{
	struct tw_refl *r = refl(1, 64);
	const struct tw_refl_light ports[] = {
		{ .port = 862, .proto = TW_REFL_LIGHT },
		{ .port = 863, .proto = TW_REFL_LIGHT, .mode = TW_REFL_AUTH,
		  .key = LKEY, .key_len = 48 },
		{ .port = 864, .proto = TW_REFL_LIGHT, .mode = TW_REFL_ENC,
		  .key = LKEY, .key_len = 48 },
		{ .port = 865, .proto = TW_REFL_STAMP, .stateful = true },
		{ .port = 866, .proto = TW_REFL_STAMP, .mode = TW_REFL_AUTH,
		  .key = SKEY, .key_len = 32 },
		{ .port = 867, .proto = TW_REFL_STAMP, .key = SKEY, .key_len = 16 },
	};
	uint32_t rnd = 99;
	uint8_t buf[400];
	uint64_t tx = 0, dropped = 0;
	struct tw_refl_stats st;

	(void)state;
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(tw_refl_light_add(r, &ports[i]), 0);
	add_session(r, 4, TW_REFL_OPEN, true, true, 20, 30000, true, NULL);
	for (unsigned it = 0; it < 4000; it++) {
		struct flow fl;
		struct rte_mbuf *m;
		uint16_t plen;
		uint8_t v;

		rnd = rnd * 1103515245u + 12345u;
		fl = flow((rnd >> 9) & 1 ? 6 : 4, 30000, (uint16_t)(862 + (rnd >> 12) % 7));
		if (fl.dport == 868)
			fl.dport = 20000;
		plen = (uint16_t)((rnd >> 16) % 300);
		for (unsigned k = 0; k < plen; k++) {
			rnd = rnd * 1103515245u + 12345u;
			buf[k] = (uint8_t)(rnd >> 16);
		}
		/* STAMP TLV-looking tails now and then */
		if (plen > 120 && (it & 3) == 0) {
			buf[112] = 0x80;
			buf[113] = (uint8_t)(1 + it % 9);
			tw_put_be16(buf + 114, (uint16_t)(it % 40));
		}
		m = frame(&fl, buf, plen, 1);
		v = one(r, m, 2);
		if (v == TW_DP_V_TX) {
			uint16_t rl = reply_len(m, &fl);
			const uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *) + 14;
			uint8_t tos = fl.ipv == 4 ? ip[1] : (uint8_t)(ip[0] << 4 | ip[1] >> 4);

			/* any DSCP (a CoS TLV may choose it), never an ECN mark */
			assert_int_equal(tos & 3, 0);
			check_headers(m, &fl, rl, tos);
			tx++;
		} else {
			assert_int_equal(v, TW_DP_V_DROP);
			dropped++;
		}
		rte_pktmbuf_free(m);
	}
	assert_int_equal(tw_refl_stats(r, -1, &st), 0);
	assert_int_equal(st.tx, tx);
	assert_int_equal(st.rx, tx + dropped);
	{
		uint64_t sum = 0;

		for (unsigned d = 0; d < TW_REFL_DROP__MAX; d++)
			sum += st.drop[d];
		assert_int_equal(sum, dropped);
	}
	assert_true(tx > 500);
	tw_refl_destroy(r);
}

/* ---- end to end: the data plane's worker loop on net_pcap ---- */

static char pcap_in[64], pcap_out[64];

static const uint8_t *pcap_next(const uint8_t *p, const uint8_t *end, uint32_t *len)
{
	if (end - p < 16)
		return NULL;
	*len = (uint32_t)p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 |
	       (uint32_t)p[11] << 24;
	if ((size_t)(end - p - 16) < *len)
		return NULL;
	return p + 16;
}

static void test_worker_loop_pcap(void **state)
{
	struct tw_refl_conf rcf = { .n_workers = 1, .max_sessions = 64,
				    .crypto = TW_CRYPTO_IMPL_BEST }; /* no clock */
	struct tw_refl *r = tw_refl_create(&rcf);
	struct tw_refl_light lo = { .port = 862, .proto = TW_REFL_LIGHT, .dscp = 46 };
	struct tw_refl_light ls = { .port = 863, .proto = TW_REFL_STAMP,
				    .mode = TW_REFL_AUTH, .key = SKEY, .key_len = 32 };
	struct tw_refl_light le = { .port = 864, .proto = TW_REFL_LIGHT,
				    .mode = TW_REFL_ENC, .key = LKEY, .key_len = 48 };
	struct tw_dp_port_conf pc = { .name = "pc", .rx_desc = 256, .tx_desc = 256 };
	struct tw_dp_conf dc = { .ports = &pc, .n_ports = 1, .n_workers = 1 };
	struct tw_crypto_test *ct = light_ctx(TW_REFL_ENC);
	struct tw_crypto_stamp *sc = tw_crypto_stamp_create(SKEY, 32);
	struct tw_test_layout lu, lenc;
	struct tw_pcap_flow f1 = tw_pcap_flow4("198.18.0.2", 40000, "198.18.0.1", 862, false);
	struct tw_pcap_flow f2 = tw_pcap_flow6("2001:2::2", 40001, "2001:2::1", 863, false);
	struct tw_pcap_flow f3 = tw_pcap_flow4("198.18.0.2", 40002, "198.18.0.1", 864, false);
	struct tw_refl_stats st;
	struct tw_dp_hist h;
	uint8_t buf[256], out[4096];
	const uint8_t *p, *end;
	char err[256] = "";
	struct tw_dp *dp;
	unsigned seen = 0;
	uint16_t dp_errest;
	uint32_t len;
	size_t got;
	FILE *f;
	int n;

	(void)state;
	assert_non_null(r);
	tw_proto_test_layout_init(&lu, TW_TEST_UNAUTH, false, false, 0);
	tw_proto_test_layout_init(&lenc, TW_TEST_ENC, false, false, 0);
	f = tw_pcap_open(pcap_in);
	assert_non_null(f);
	f1.ttl = 33;
	n = twamp_sender(&lu, NULL, 11, 5, 27, buf);
	assert_int_equal(tw_pcap_write_frame(f, &f1, buf, (size_t)n), 0);
	n = stamp_sender(TW_STAMP_AUTH, sc, 12, 5, 7, buf);
	assert_int_equal(tw_pcap_write_frame(f, &f2, buf, (size_t)n), 0);
	n = twamp_sender(&lenc, ct, 13, 5, 64, buf);
	assert_int_equal(tw_pcap_write_frame(f, &f3, buf, (size_t)n), 0);
	buf[33] ^= 4; /* forged */
	assert_int_equal(tw_pcap_write_frame(f, &f3, buf, (size_t)n), 0);
	assert_int_equal(fclose(f), 0);

	snprintf(pc.device, sizeof(pc.device), "net_pcap9,rx_pcap=%s,tx_pcap=%s",
		 pcap_in, pcap_out);
	pc.addrs[0] = (struct tw_dp_prefix){ .family = AF_INET, .len = 24,
					     .addr = { 198, 18, 0, 1 } };
	pc.addrs[1] = (struct tw_dp_prefix){ .family = AF_INET6, .len = 64,
					     .addr = { 0x20, 0x01, 0, 2, [15] = 1 } };
	pc.n_addrs = 2;
	dc.qsbr = tw_refl_qsbr(r);
	dp = tw_dp_ports_create(&dc, err, sizeof(err));
	if (dp == NULL)
		fail_msg("create: %s", err);
	assert_int_equal(tw_refl_light_add(r, &lo), 0); /* before attach */
	assert_int_equal(tw_refl_attach(r, dp), 0);
	assert_int_equal(tw_refl_light_add(r, &ls), 0); /* after */
	assert_int_equal(tw_refl_light_add(r, &le), 0);
	assert_int_equal(tw_refl_telemetry_register(r), 0);
	assert_int_equal(tw_dp_ports_start(dp, err, sizeof(err)), 0);
	assert_int_equal(tw_refl_attach(r, dp), -EBUSY);
	for (int i = 0; i < 8; i++)
		tw_dp_worker_poll(dp, 0);
	tw_dp_quit(dp);
	assert_int_equal(tw_dp_ports_stop(dp), 0);
	assert_int_equal(tw_dp_turnaround_get(dp, -1, &h), 0);
	assert_int_equal(h.count, 3);
	dp_errest = tw_dp_clock_errest(tw_dp_clock(dp));
	tw_dp_ports_destroy(dp);
	assert_int_equal(tw_refl_stats(r, -1, &st), 0);
	assert_int_equal(st.rx, 4);
	assert_int_equal(st.tx, 3);
	assert_int_equal(st.drop[TW_REFL_DROP_BAD_HMAC], 1);

	f = fopen(pcap_out, "rb");
	assert_non_null(f);
	got = fread(out, 1, sizeof(out), f);
	fclose(f);
	assert_true(got > 24);
	end = out + got;
	for (p = out + 24; (p = pcap_next(p, end, &len)) != NULL; p += len) {
		const uint8_t *ip = p + 14;
		unsigned ipv = ip[0] >> 4, l3 = ipv == 4 ? 20 : 40;
		const uint8_t *udp = ip + l3;
		uint16_t ulen = tw_get_be16(udp + 4), sport = tw_get_be16(udp);
		uint8_t pl[256];

		assert_true(ulen <= sizeof(pl) && 14 + l3 + ulen <= len);
		assert_int_equal(tw_dp_udp_sum(ip, ipv, udp, ulen), 0);
		assert_int_equal(ipv == 4 ? ip[8] : ip[7], 255);
		memcpy(pl, udp + 8, ulen - 8u);
		if (sport == 862) {
			struct tw_test_reflector rf;

			assert_int_equal(ip[1], 46 << 2);
			assert_int_equal(tw_dp_ipv4_hdr_sum(ip, 20), 0);
			assert_int_equal(tw_proto_test_reflector_decode(&lu, pl, ulen - 8u, &rf),
					 ulen - 8);
			assert_int_equal(rf.sender_seq, 11);
			assert_int_equal(rf.sender_ttl, 33);
			assert_int_equal(rf.errest, dp_errest); /* the adopted clock */
			assert_true(rf.rx_ts > 5 && rf.ts >= rf.rx_ts);
		} else if (sport == 863) {
			struct tw_stamp_reflector rf;

			assert_int_equal(ipv, 6);
			assert_int_equal(tw_crypto_stamp_check(sc, pl, ulen - 8u), 0);
			assert_int_equal(tw_proto_stamp_reflector_decode(TW_STAMP_AUTH, pl,
									 ulen - 8u, &rf), 112);
			assert_int_equal(rf.sender_seq, 12);
			assert_int_equal(rf.ssid, 7);
			assert_true(rf.ts >= rf.rx_ts);
		} else {
			struct tw_test_reflector rf;

			assert_int_equal(sport, 864);
			assert_int_equal(tw_crypto_test_verify(teng, ct, TW_CRYPTO_PKT_REFLECTOR,
							       pl, ulen - 8u), 0);
			assert_int_equal(tw_proto_test_reflector_decode(&lenc, pl, ulen - 8u, &rf),
					 ulen - 8);
			assert_int_equal(rf.sender_seq, 13);
			assert_true(rf.ts >= rf.rx_ts);
		}
		seen |= 1u << (sport - 862);
	}
	assert_int_equal(seen, 7);
	tw_crypto_test_destroy(ct);
	tw_crypto_stamp_destroy(sc);
	tw_refl_destroy(r);
}

/* ---- API errors ---- */

static void test_api_errors(void **state)
{
	struct tw_refl_conf c = { .n_workers = 0, .max_sessions = 64, .clock = &clk };
	struct tw_refl *r;
	struct tw_refl_light l = { .port = 862, .proto = TW_REFL_LIGHT,
				   .mode = TW_REFL_AUTH, .key = LKEY, .key_len = 47 };
	struct tw_refl_session s = { .family = AF_INET, .local_port = 1, .peer_port = 2,
				     .proto = TW_REFL_TWAMP };
	uint32_t id, ids[8];
	struct tw_refl_stats st;

	(void)state;
	assert_null(tw_refl_create(NULL));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(tw_refl_create(&c));
	c.n_workers = 1;
	c.max_sessions = 4;
	assert_null(tw_refl_create(&c));
	assert_int_equal(rte_errno, EINVAL);
	c.max_sessions = 64;
	c.n_workers = 2;
	c.crypto = TW_CRYPTO_IMPL_OPENSSL;
	assert_null(tw_refl_create(&c));
	assert_int_equal(rte_errno, EINVAL);
	tw_refl_destroy(NULL);
	r = refl(1, 8);
	assert_int_equal(tw_refl_light_add(r, &l), -EINVAL);      /* key 47 */
	l.mode = TW_REFL_OPEN;
	l.proto = TW_REFL_TWAMP;
	assert_int_equal(tw_refl_light_add(r, &l), -EINVAL);      /* not light */
	l.proto = TW_REFL_STAMP;
	l.mode = TW_REFL_ENC;
	assert_int_equal(tw_refl_light_add(r, &l), -EINVAL);      /* STAMP enc */
	l.mode = TW_REFL_AUTH;
	l.key = NULL;
	assert_int_equal(tw_refl_light_add(r, &l), -EINVAL);      /* no key */
	l.key = SKEY;
	l.key_len = 15;
	assert_int_equal(tw_refl_light_add(r, &l), -EINVAL);      /* short key */
	l.key_len = 16;
	l.dscp = 64;
	assert_int_equal(tw_refl_light_add(r, &l), -EINVAL);      /* DSCP */
	l.dscp = 0;
	l.n_allow = 1;
	l.allow[0].family = AF_INET;
	l.allow[0].len = 33;
	assert_int_equal(tw_refl_light_add(r, &l), -EINVAL);      /* prefix */
	l.n_allow = 0;
	assert_int_equal(tw_refl_light_add(r, &l), 0);
	assert_int_equal(tw_refl_light_stats(r, 1, &st), -ENOENT);
	s.family = 99;
	assert_int_equal(tw_refl_session_add(r, &s, &id), -EINVAL);
	s.family = AF_INET;
	s.peer_port = 0;
	assert_int_equal(tw_refl_session_add(r, &s, &id), -EINVAL); /* TWAMP any port */
	s.peer_port = 2;
	s.mode = TW_REFL_ENC;
	s.proto = TW_REFL_STAMP;
	assert_int_equal(tw_refl_session_add(r, &s, &id), -EINVAL);
	s.proto = TW_REFL_TWAMP;
	s.mode = TW_REFL_OPEN;
	for (unsigned i = 0; i < 8; i++) {
		s.peer_port = (uint16_t)(100 + i);
		assert_int_equal(tw_refl_session_add(r, &s, &ids[i]), 0);
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(ids[i], ids[j]);
	}
	assert_int_equal(tw_refl_session_count(r), 8);
	s.peer_port = 200;
	assert_int_equal(tw_refl_session_add(r, &s, &id), -ENOSPC);
	assert_int_equal(tw_refl_session_del(r, ids[3]), 0);
	s.peer_port = 101;
	assert_int_equal(tw_refl_session_add(r, &s, &id), -EEXIST);
	s.peer_port = 200;
	assert_int_equal(tw_refl_session_add(r, &s, &id), 0);
	assert_int_equal(id, ids[3]); /* ids are reused */
	assert_int_equal(tw_refl_session_stats(r, ids[7], &st), 0);
	assert_int_equal(tw_refl_session_stats(r, 99, &st), -ENOENT);
	assert_string_equal(tw_refl_drop_name(TW_REFL_DROP_BAD_HMAC), "bad_hmac");
	assert_string_equal(tw_refl_drop_name(TW_REFL_DROP__MAX), "unknown");
	assert_int_equal(tw_refl_attach(r, NULL), -EINVAL);
	tw_refl_destroy(r);
}

/* ---- concurrency: lookups on lcore 1 while lcore 0 rewrites the table ---- */

#define CC_STABLE 64u
#define CC_CHURN 512u
#define CC_OPS 20000u
#define CC_LIGHT (CC_STABLE + CC_CHURN) /* peer of the light port packets */

struct cc {
	struct tw_refl *r;
	bool stop;
	uint64_t stable_sent, stable_ok, churn_tx, churn_drop, errors, loops;
	uint32_t seq[CC_STABLE];
};

static void cc_peer(uint8_t *a, unsigned idx)
{
	memset(a, 0, 16);
	a[0] = 198;
	a[1] = 19;
	a[2] = (uint8_t)(idx >> 8);
	a[3] = (uint8_t)idx;
}

static int cc_worker(void *arg)
{
	struct cc *c = arg;
	struct rte_rcu_qsbr *q = tw_refl_qsbr(c->r);
	struct rte_mbuf *m[TW_DP_BURST];
	uint8_t v[TW_DP_BURST], buf[64], peer[16];
	unsigned idx[TW_DP_BURST];
	struct tw_test_layout l;
	uint32_t rnd = 12345;

	tw_proto_test_layout_init(&l, TW_TEST_UNAUTH, false, false, 0);
	if (rte_rcu_qsbr_thread_register(q, 0) != 0)
		return -1;
	rte_rcu_qsbr_thread_online(q, 0);
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		for (unsigned i = 0; i < TW_DP_BURST; i++) {
			struct tw_test_sender s = { .seq = (uint32_t)c->loops * 32 + i,
						    .ts = 77, .errest = 1 };
			struct flow fl;

			rnd = rnd * 1103515245u + 12345u;
			if ((i & 3) == 3)
				idx[i] = CC_LIGHT;
			else if (i & 1)
				idx[i] = CC_STABLE + (rnd >> 8) % CC_CHURN;
			else
				idx[i] = (unsigned)((c->loops * 16 + i / 2) % CC_STABLE);
			cc_peer(peer, idx[i]);
			fl = flow(4, 40000, idx[i] == CC_LIGHT ? 862 : 20000);
			fl.peer = peer;
			tw_proto_test_sender_encode(&l, &s, buf, sizeof(buf));
			m[i] = frame(&fl, buf, 14, 1000);
		}
		run(c->r, 0, m, TW_DP_BURST, v, 2000);
		for (unsigned i = 0; i < TW_DP_BURST; i++) {
			uint8_t *pl = rte_pktmbuf_mtod(m[i], uint8_t *) + 14 + 20 + 8;
			struct tw_test_reflector rf;
			bool ok;

			if (v[i] == TW_DP_V_TX) {
				ok = tw_proto_test_reflector_decode(&l, pl, 41, &rf) == 41 &&
				     rf.sender_seq == (uint32_t)c->loops * 32 + i &&
				     rf.sender_ts == 77 && rf.rx_ts == 1000 && rf.ts == 2000 &&
				     rf.sender_ttl == 61 &&
				     rte_pktmbuf_data_len(m[i]) == 14 + 20 + 8 + 41 &&
				     pl[-8 + 2] == 40000 >> 8 &&
				     memcmp(pl - 8 - 20 + 16, (uint8_t[]){ 198, 19,
					    (uint8_t)(idx[i] >> 8), (uint8_t)idx[i] }, 4) == 0;
				if (idx[i] < CC_STABLE)
					ok = ok && rf.seq == c->seq[idx[i]]++;
				else if (idx[i] == CC_LIGHT)
					ok = ok && rf.seq == rf.sender_seq; /* stateless */
				if (!ok)
					c->errors++;
			}
			if (idx[i] < CC_STABLE) {
				c->stable_sent++;
				c->stable_ok += v[i] == TW_DP_V_TX;
			} else if (v[i] == TW_DP_V_TX) {
				c->churn_tx++;
			} else {
				c->churn_drop++;
			}
			rte_pktmbuf_free(m[i]);
		}
		__atomic_store_n(&c->loops, c->loops + 1, __ATOMIC_RELAXED);
		rte_rcu_qsbr_quiescent(q, 0);
	}
	rte_rcu_qsbr_thread_offline(q, 0);
	rte_rcu_qsbr_thread_unregister(q, 0);
	return 0;
}

static void cc_session(struct tw_refl_session *s, unsigned idx)
{
	memset(s, 0, sizeof(*s));
	s->family = AF_INET;
	memcpy(s->local_addr, V4_US, 4);
	cc_peer(s->peer_addr, idx);
	s->local_port = 20000;
	s->peer_port = 40000;
	s->proto = TW_REFL_TWAMP;
	s->started = true;
}

static void test_concurrent_add_del(void **state)
{
	struct cc *c = calloc(1, sizeof(*c));
	uint32_t ids[CC_CHURN];
	bool present[CC_CHURN] = { false };
	struct tw_refl_session s;
	struct tw_refl_stats st;
	unsigned worker_lcore = rte_get_next_lcore(-1, 1, 0);
	uint32_t rnd = 777, id, adds = 0, dels = 0;
	struct tw_refl_light lp = { .port = 862, .proto = TW_REFL_LIGHT };
	bool light_on = false;

	(void)state;
	assert_non_null(c);
	assert_true(worker_lcore < RTE_MAX_LCORE);
	c->r = refl(1, 1024);
	for (unsigned i = 0; i < CC_STABLE; i++) {
		cc_session(&s, i);
		assert_int_equal(tw_refl_session_add(c->r, &s, &id), 0);
	}
	assert_int_equal(rte_eal_remote_launch(cc_worker, c, worker_lcore), 0);
	while (__atomic_load_n(&c->loops, __ATOMIC_RELAXED) == 0)
		rte_pause();
	for (unsigned op = 0; op < CC_OPS; op++) {
		unsigned k;

		rnd = rnd * 1103515245u + 12345u;
		k = (rnd >> 8) % CC_CHURN;
		if (present[k]) {
			assert_int_equal(tw_refl_session_del(c->r, ids[k]), 0);
			dels++;
		} else {
			cc_session(&s, CC_STABLE + k);
			assert_int_equal(tw_refl_session_add(c->r, &s, &ids[k]), 0);
			adds++;
		}
		present[k] = !present[k];
		if ((op & 63) == 0)
			rte_delay_us_block(50);
		/* the light port comes and goes too (waits for a grace period) */
		if ((op & 255) == 0) {
			if (light_on)
				assert_int_equal(tw_refl_light_del(c->r, 862), 0);
			else
				assert_int_equal(tw_refl_light_add(c->r, &lp), 0);
			light_on = !light_on;
		}
	}
	__atomic_store_n(&c->stop, true, __ATOMIC_RELEASE);
	assert_int_equal(rte_eal_wait_lcore(worker_lcore), 0);
	print_message("concurrency: %u adds, %u deletes, %" PRIu64 " bursts, %" PRIu64
		      " stable replies, %" PRIu64 " churn replies, %" PRIu64 " churn drops\n",
		      adds, dels, c->loops, c->stable_ok, c->churn_tx, c->churn_drop);
	assert_int_equal(c->errors, 0);
	assert_true(c->loops > 10);
	assert_true(adds + dels == CC_OPS);
	/* every packet of a session that was present all along was answered */
	assert_int_equal(c->stable_ok, c->stable_sent);
	assert_true(c->churn_tx > 0);
	assert_int_equal(tw_refl_stats(c->r, -1, &st), 0);
	assert_int_equal(st.drop[TW_REFL_DROP_NO_SESSION], c->churn_drop);
	assert_int_equal(st.tx, c->stable_ok + c->churn_tx);
	for (unsigned d = 0; d < TW_REFL_DROP__MAX; d++)
		if (d != TW_REFL_DROP_NO_SESSION)
			assert_int_equal(st.drop[d], 0);
	tw_refl_destroy(c->r);
	free(c);
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0-1", "--log-level=lib.eal:error", NULL };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_light_open_v4),
		cmocka_unit_test(test_light_open_v6),
		cmocka_unit_test(test_light_open_short_sender),
		cmocka_unit_test(test_light_open_big_padding),
		cmocka_unit_test(test_light_open_pad_sweep),
		cmocka_unit_test(test_session_long_padding),
		cmocka_unit_test(test_light_auth_v4),
		cmocka_unit_test(test_light_auth_v6),
		cmocka_unit_test(test_light_auth_short_sender),
		cmocka_unit_test(test_light_enc_v4),
		cmocka_unit_test(test_light_enc_v6),
		cmocka_unit_test(test_stamp_open_v4),
		cmocka_unit_test(test_stamp_open_v6),
		cmocka_unit_test(test_stamp_auth_v4),
		cmocka_unit_test(test_stamp_auth_v6),
		cmocka_unit_test(test_stamp_stateful_v4),
		cmocka_unit_test(test_stamp_auth_stateful_v6),
		cmocka_unit_test(test_stamp_short_sender),
		cmocka_unit_test(test_stamp_tlvs_cos_hmac),
		cmocka_unit_test(test_stamp_hmac_tlv_without_key),
		cmocka_unit_test(test_session_open_v4),
		cmocka_unit_test(test_session_open_v6),
		cmocka_unit_test(test_session_sym_v4),
		cmocka_unit_test(test_session_sym_dscp_v6),
		cmocka_unit_test(test_session_dscp_ecn_v4),
		cmocka_unit_test(test_session_reflect_octets_v4),
		cmocka_unit_test(test_session_reflect_octets_v6),
		cmocka_unit_test(test_session_auth_v4),
		cmocka_unit_test(test_session_auth_sym_v6),
		cmocka_unit_test(test_session_enc_v4),
		cmocka_unit_test(test_session_enc_v6),
		cmocka_unit_test(test_drop_forged_hmac),
		cmocka_unit_test(test_drop_forged_enc_session),
		cmocka_unit_test(test_drop_too_short),
		cmocka_unit_test(test_drop_bad_length),
		cmocka_unit_test(test_drop_no_session),
		cmocka_unit_test(test_session_start_stop),
		cmocka_unit_test(test_light_allow_list),
		cmocka_unit_test(test_static_any_peer_port),
		cmocka_unit_test(test_mixed_burst),
		cmocka_unit_test(test_stamp_auth_mixed_burst),
		cmocka_unit_test(test_refwait_expire),
		cmocka_unit_test(test_random_payloads),
		cmocka_unit_test(test_worker_loop_pcap),
		cmocka_unit_test(test_api_errors),
		cmocka_unit_test(test_concurrent_add_del),
	};
	int rc;

	(void)argc;
	if (tw_test_dp_init(eal, "refl_test", 2047, &pool, &teng, &clk) != 0)
		return 1;
	snprintf(pcap_in, sizeof(pcap_in), "/tmp/tw-refl-test-%d-in.pcap", (int)getpid());
	snprintf(pcap_out, sizeof(pcap_out), "/tmp/tw-refl-test-%d-out.pcap", (int)getpid());
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(pcap_in);
	unlink(pcap_out);
	tw_test_dp_fini(pool, teng);
	return rc;
}
