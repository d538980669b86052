/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receiver under EAL without NICs: replies (TWAMP, TWAMP Light, STAMP)
 * and OWAMP-Test packets are built with lib/proto and lib/crypto in every
 * mode, IPv4/IPv6, with and without a VLAN tag, handed to
 * tw_recv_udp_handler() as a worker would, and the drained records checked
 * field by field; then the drops, the API errors, the UDP port owner
 * classes, the loop the Session-Sender relies on (the reflector reflects a
 * sender packet, the receiver turns the reply into a record), the real
 * worker loop on net_pcap with both classes in one burst, several workers'
 * records drained in order, and sessions added and removed while a second
 * lcore runs bursts.
 */
#include <errno.h>
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
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "pcap_write.h"
#include "tw_crypto.h"
#include "tw_dp_recv.h"
#include "tw_dp_reflect.h"
#include "tw_proto_stamp.h"
#include "tw_proto_test.h"
#include "tw_test_dp.h"

static struct rte_mempool *pool;
static struct tw_crypto_engine *teng;
static struct tw_dp_clock clk;
static char pcap_in[64], pcap_out[64];

static const uint8_t V4_US[16] = { 198, 18, 0, 1 };
static const uint8_t V4_PEER[16] = { 198, 18, 0, 2 };
static const uint8_t V6_US[16] = { 0x20, 0x01, 0, 2, [15] = 1 };
static const uint8_t V6_PEER[16] = { 0x20, 0x01, 0, 2, [15] = 2 };
static const uint8_t KEY48[48] = "0123456789abcdef0123456789abcdef0123456789abcde";
static const uint8_t SKEY[32] = "stamp-hmac-sha256-key-0123456789";

/* Where a packet arrives (us) and where it comes from (peer). */
struct path {
	unsigned ipv;
	uint16_t vlan;          /* 0: untagged */
	uint16_t us_port, peer_port;
	uint8_t ttl, tos;
};

static struct path path(unsigned ipv, uint16_t vlan, uint16_t us_port,
			uint16_t peer_port)
{
	return (struct path){ .ipv = ipv, .vlan = vlan, .us_port = us_port,
			      .peer_port = peer_port, .ttl = 57,
			      .tos = 0x2a << 2 | 2 /* DSCP 42, ECT(0) */ };
}

static const uint8_t *us_addr(unsigned ipv)
{
	return ipv == 4 ? V4_US : V6_US;
}

static const uint8_t *peer_addr(unsigned ipv)
{
	return ipv == 4 ? V4_PEER : V6_PEER;
}

/* An Ethernet (+802.1Q) / IP / UDP frame in an mbuf as the classifier
 * leaves it (l2_len, l3_len, packet_type) with RX time @p rx. */
static struct rte_mbuf *frame(const struct path *p, const uint8_t *pl,
			      uint16_t plen, tw_ntp_t rx)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	unsigned l2 = p->vlan != 0 ? 18 : 14, l3 = p->ipv == 4 ? 20 : 40;
	uint8_t *f, *ip, *udp;

	assert_non_null(m);
	f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l2 + l3 + 8 + plen));
	assert_non_null(f);
	memset(f, 0, l2 + l3 + 8);
	f[0] = 0x02;
	f[6] = 0x02;
	f[11] = 1;
	if (p->vlan != 0) {
		tw_put_be16(f + 12, 0x8100);
		tw_put_be16(f + 14, p->vlan);
	}
	tw_put_be16(f + l2 - 2, p->ipv == 4 ? 0x0800 : 0x86dd);
	ip = f + l2;
	if (p->ipv == 4) {
		ip[0] = 0x45;
		ip[1] = p->tos;
		tw_put_be16(ip + 2, (uint16_t)(l3 + 8 + plen));
		ip[8] = p->ttl;
		ip[9] = 17;
		memcpy(ip + 12, V4_PEER, 4);
		memcpy(ip + 16, V4_US, 4);
	} else {
		ip[0] = (uint8_t)(0x60 | p->tos >> 4);
		ip[1] = (uint8_t)(p->tos << 4);
		tw_put_be16(ip + 4, (uint16_t)(8 + plen));
		ip[6] = 17;
		ip[7] = p->ttl;
		memcpy(ip + 8, V6_PEER, 16);
		memcpy(ip + 24, V6_US, 16);
	}
	udp = ip + l3;
	tw_put_be16(udp, p->peer_port);
	tw_put_be16(udp + 2, p->us_port);
	tw_put_be16(udp + 4, (uint16_t)(8 + plen));
	memcpy(udp + 8, pl, plen);
	m->l2_len = (uint16_t)l2;
	m->l3_len = (uint16_t)l3;
	m->packet_type = (p->vlan != 0 ? RTE_PTYPE_L2_ETHER_VLAN : RTE_PTYPE_L2_ETHER) |
			 (p->ipv == 4 ? RTE_PTYPE_L3_IPV4 : RTE_PTYPE_L3_IPV6) |
			 RTE_PTYPE_L4_UDP;
	*RTE_MBUF_DYNFIELD(m, tw_dp_rx_ntp_offset, tw_ntp_t *) = rx;
	return m;
}

static struct tw_recv *recv_new(unsigned workers, uint32_t max, uint32_t ring)
{
	struct tw_recv_conf c = { .n_workers = workers, .max_sessions = max,
				  .clock = &clk, .crypto = TW_CRYPTO_IMPL_BEST,
				  .ring_size = ring };
	struct tw_recv *r = tw_recv_create(&c);

	assert_non_null(r);
	assert_non_null(tw_recv_qsbr(r));
	return r;
}

/* A reflector and a receiver on its QSBR variable, one worker each. */
static struct tw_recv *pair(struct tw_refl **refl, struct tw_dp_clock *clock)
{
	struct tw_refl_conf rc = { .n_workers = 1, .max_sessions = 64, .clock = clock,
				   .crypto = TW_CRYPTO_IMPL_BEST };
	struct tw_recv_conf cc = { .n_workers = 1, .max_sessions = 64, .clock = clock,
				   .crypto = TW_CRYPTO_IMPL_BEST };
	struct tw_recv *r;

	*refl = tw_refl_create(&rc);
	assert_non_null(*refl);
	cc.qsbr = tw_refl_qsbr(*refl);
	r = tw_recv_create(&cc);
	assert_non_null(r);
	assert_ptr_equal(tw_recv_qsbr(r), tw_refl_qsbr(*refl)); /* shared */
	return r;
}

static struct tw_recv_session sess(const struct path *p, enum tw_recv_kind kind,
				   enum tw_recv_mode mode)
{
	struct tw_recv_session s = { .kind = kind, .mode = mode };

	s.family = p->ipv == 4 ? AF_INET : AF_INET6;
	memcpy(s.local_addr, us_addr(p->ipv), 16);
	memcpy(s.peer_addr, peer_addr(p->ipv), 16);
	s.local_port = p->us_port;
	s.peer_port = p->peer_port;
	memcpy(s.test_keys.aes, KEY48, 16);
	memcpy(s.test_keys.hmac, KEY48 + 16, 32);
	if (kind == TW_RECV_STAMP && mode == TW_RECV_AUTH) {
		s.stamp_key = SKEY;
		s.stamp_key_len = sizeof(SKEY);
	}
	return s;
}

static struct tw_crypto_test *test_ctx(enum tw_recv_mode mode)
{
	struct tw_crypto_session_keys k;
	struct tw_crypto_test *t;

	if (mode == TW_RECV_OPEN)
		return NULL;
	memcpy(k.aes, KEY48, 16);
	memcpy(k.hmac, KEY48 + 16, 32);
	t = tw_crypto_test_create(teng, mode == TW_RECV_AUTH ? TW_CRYPTO_TEST_AUTH
							     : TW_CRYPTO_TEST_ENC, &k);
	assert_non_null(t);
	return t;
}

/* Run a burst through the handler as the worker does; frees the mbufs and
 * checks every verdict is CONSUMED or DROP. Returns how many were consumed. */
static unsigned run(struct tw_recv *r, unsigned worker, struct rte_mbuf **m,
		    uint16_t n, uint8_t *verdict)
{
	unsigned c = 0;

	memset(verdict, TW_DP_V_EXCEPTION, n);
	tw_recv_udp_handler(r, worker, 0, m, n, verdict);
	for (uint16_t i = 0; i < n; i++) {
		assert_true(verdict[i] == TW_DP_V_CONSUMED || verdict[i] == TW_DP_V_DROP);
		c += verdict[i] == TW_DP_V_CONSUMED;
	}
	rte_pktmbuf_free_bulk(m, n);
	return c;
}

static uint8_t one(struct tw_recv *r, struct rte_mbuf *m)
{
	uint8_t v;

	run(r, 0, &m, 1, &v);
	return v;
}

static uint64_t drops(struct tw_recv *r, enum tw_recv_drop why)
{
	struct tw_recv_stats s;

	assert_int_equal(tw_recv_stats(r, -1, &s), 0);
	return s.drop[why];
}

/* Exactly one record on the rings; returns it. */
static struct tw_recv_rec one_rec(struct tw_recv *r)
{
	struct tw_recv_rec out[4];

	assert_int_equal(tw_recv_drain(r, out, 4), 1);
	return out[0];
}

/* the fields every record of a path carries */
static void check_path(const struct tw_stats_rec *rec, const struct path *p,
		       tw_ntp_t rx, bool oneway)
{
	if (oneway) {
		assert_int_equal(rec->flags & TW_STATS_REC_ONEWAY, TW_STATS_REC_ONEWAY);
		assert_int_equal(rec->t2, rx);
		assert_int_equal(rec->e2, tw_dp_clock_errest(&clk));
		assert_int_equal(rec->ttl_fwd, p->ttl);
		assert_int_equal(rec->tos_back, p->tos);
		assert_int_equal(rec->refl_seq, 0);
		assert_int_equal(rec->t3, 0);
		assert_int_equal(rec->t4, 0);
		assert_int_equal(rec->e4, 0);
		assert_int_equal(rec->ttl_back, 0);
		return;
	}
	assert_int_equal(rec->flags & TW_STATS_REC_ONEWAY, 0);
	assert_int_equal(rec->t4, rx);
	assert_int_equal(rec->e4, tw_dp_clock_errest(&clk));
	assert_int_equal(rec->ttl_back, p->ttl);
	assert_int_equal(rec->tos_back, p->tos);
}

/* Run @fn for IPv4 and IPv6, untagged and tagged with @vlan, every mode
 * from open to @max_mode and option sets 0..@n_opt-1. */
static void each(uint16_t vlan, int max_mode, unsigned n_opt,
		 void (*fn)(unsigned ipv, uint16_t vlan, int mode, unsigned opt))
{
	for (unsigned ipv = 4; ipv <= 6; ipv += 2)
		for (unsigned tagged = 0; tagged < 2; tagged++)
			for (int mode = 0; mode <= max_mode; mode++)
				for (unsigned opt = 0; opt < n_opt; opt++)
					fn(ipv, tagged ? vlan : 0, mode, opt);
}

/* ---- TWAMP and TWAMP Light replies ---- */

static uint16_t twamp_reply(const struct tw_test_layout *l,
			    const struct tw_crypto_test *ct,
			    const struct tw_test_reflector *m, uint8_t *buf)
{
	int n = tw_proto_test_reflector_encode(l, m, buf, 2048);

	assert_true(n > 0);
	if (ct != NULL)
		assert_int_equal(tw_crypto_test_protect(teng, ct, TW_CRYPTO_PKT_REFLECTOR,
							buf, (size_t)n), 0);
	return (uint16_t)n;
}

static void twamp_case(enum tw_recv_kind kind, unsigned ipv, uint16_t vlan,
		       enum tw_recv_mode mode, bool sym, bool dscp, uint16_t refl_len)
{
	struct tw_recv *r = recv_new(1, 64, 0);
	struct path p = path(ipv, vlan, 40000, kind == TW_RECV_LIGHT ? 862 : 18760);
	struct tw_recv_session s = sess(&p, kind, mode);
	struct tw_crypto_test *ct = test_ctx(mode);
	struct tw_test_layout l;
	struct tw_test_reflector m = {
		.seq = 77, .ts = 0x1111222233334444ull, .errest = 0x8001,
		.rx_ts = 0x1111222233330000ull, .sender_seq = 1234,
		.sender_ts = 0x1111222200000000ull, .sender_errest = 0x80ff,
		.sender_ttl = 63, .sender_dscp_ecn = 0xb9, .pad_len = 100,
	};
	struct tw_recv_rec rr;
	struct tw_recv_stats st;
	uint8_t buf[2048];
	uint32_t id;
	uint16_t n;

	s.sym_size = sym;
	s.dscp_ecn = dscp;
	s.reflect_len = refl_len;
	assert_int_equal(tw_proto_test_layout_init(&l, (enum tw_test_mode)mode, sym, dscp,
						   refl_len), 0);
	assert_int_equal(tw_recv_session_add(r, &s, &id), 0);
	n = twamp_reply(&l, ct, &m, buf);
	assert_int_equal(one(r, frame(&p, buf, n, 0x5555666677778888ull)), TW_DP_V_CONSUMED);
	rr = one_rec(r);
	assert_int_equal(rr.session, id);
	assert_int_equal(rr.rec.seq, 1234);
	assert_int_equal(rr.rec.refl_seq, 77);
	assert_int_equal(rr.rec.t1, m.sender_ts);
	assert_int_equal(rr.rec.t2, m.rx_ts);
	assert_int_equal(rr.rec.t3, m.ts);
	assert_int_equal(rr.rec.e1, 0x80ff);
	assert_int_equal(rr.rec.e2, 0x8001);
	assert_int_equal(rr.rec.ttl_fwd, 63);
	if (dscp) {
		assert_int_equal(rr.rec.tos_fwd, 0xb9);
		assert_int_equal(rr.rec.flags & TW_STATS_REC_TOS_FWD, TW_STATS_REC_TOS_FWD);
	} else {
		assert_int_equal(rr.rec.tos_fwd, 0);
		assert_int_equal(rr.rec.flags & TW_STATS_REC_TOS_FWD, 0);
	}
	assert_int_equal(rr.rec.flags & TW_STATS_REC_T4_HW, 0);
	check_path(&rr.rec, &p, 0x5555666677778888ull, false);
	/* the header alone is enough; one octet less is not */
	n = twamp_reply(&l, ct, &(struct tw_test_reflector){ .seq = 78, .sender_seq = 1235 },
			buf);
	assert_int_equal(n, l.refl_hdr);
	assert_int_equal(one(r, frame(&p, buf, n, 9)), TW_DP_V_CONSUMED);
	assert_int_equal(one_rec(r).rec.seq, 1235);
	assert_int_equal(one(r, frame(&p, buf, (uint16_t)(n - 1), 9)), TW_DP_V_DROP);
	assert_int_equal(drops(r, TW_RECV_DROP_TOO_SHORT), 1);
	assert_int_equal(tw_recv_session_stats(r, id, &st), 0);
	assert_int_equal(st.rx, 3);
	assert_int_equal(st.consumed, 2);
	assert_int_equal(st.drop[TW_RECV_DROP_TOO_SHORT], 1);
	assert_int_equal(st.last_rx, 9);
	assert_int_equal(tw_recv_session_del(r, id), 0);
	tw_crypto_test_destroy(ct);
	tw_recv_destroy(r);
}

/* bit 0: Symmetrical Size, bit 1: DSCP-ECN, bit 2: 8 octets reflected */
static void twamp_opt_case(unsigned ipv, uint16_t vlan, int mode, unsigned opt)
{
	twamp_case(TW_RECV_TWAMP, ipv, vlan, (enum tw_recv_mode)mode, opt & 1, opt & 2,
		   opt & 4 ? 8 : 0);
}

static void light_case(unsigned ipv, uint16_t vlan, int mode, unsigned opt)
{
	(void)opt;
	twamp_case(TW_RECV_LIGHT, ipv, vlan, (enum tw_recv_mode)mode, false, false, 0);
}

static void test_twamp_all(void **state)
{
	(void)state;
	each(100, TW_RECV_ENC, 8, twamp_opt_case);
}

static void test_light_all(void **state)
{
	(void)state;
	each(7, TW_RECV_ENC, 1, light_case);
}

/* ---- STAMP replies ---- */

static void stamp_case(unsigned ipv, uint16_t vlan, int mode_, unsigned opt)
{
	const enum tw_recv_mode mode = (enum tw_recv_mode)mode_;
	enum tw_stamp_mode sm = mode == TW_RECV_AUTH ? TW_STAMP_AUTH : TW_STAMP_UNAUTH;
	struct tw_recv *r = recv_new(1, 64, 0);
	struct path p = path(ipv, vlan, 40001, 862);
	struct tw_recv_session s = sess(&p, TW_RECV_STAMP, mode);
	struct tw_crypto_stamp *sc = tw_crypto_stamp_create(SKEY, sizeof(SKEY));
	struct tw_stamp_reflector m = {
		.seq = 9, .ts = 0x2000000000000003ull, .errest = 0x8002, .ssid = 5,
		.rx_ts = 0x2000000000000002ull, .sender_seq = 4321,
		.sender_ts = 0x2000000000000001ull, .sender_errest = 0x8003,
		.sender_ttl = 250,
	};
	uint8_t buf[512];
	uint32_t id;
	int n, k;

	(void)opt;
	assert_non_null(sc);
	assert_int_equal(tw_recv_session_add(r, &s, &id), 0);
	n = tw_proto_stamp_reflector_encode(sm, &m, buf, sizeof(buf));
	assert_true(n > 0);
	/* RFC 8972 TLVs after the base packet: skipped */
	k = tw_proto_stamp_tlv_encode_padding(0, 20, NULL, buf + n, sizeof(buf) - (size_t)n);
	assert_true(k > 0);
	n += k;
	if (sm == TW_STAMP_AUTH)
		assert_int_equal(tw_crypto_stamp_sign(sc, buf, (size_t)n), 0);
	assert_int_equal(one(r, frame(&p, buf, (uint16_t)n, 0x3000000000000000ull)),
			 TW_DP_V_CONSUMED);
	{
		struct tw_recv_rec rr = one_rec(r);

		assert_int_equal(rr.session, id);
		assert_int_equal(rr.rec.seq, 4321);
		assert_int_equal(rr.rec.refl_seq, 9);
		assert_int_equal(rr.rec.t1, m.sender_ts);
		assert_int_equal(rr.rec.t2, m.rx_ts);
		assert_int_equal(rr.rec.t3, m.ts);
		assert_int_equal(rr.rec.e1, 0x8003);
		assert_int_equal(rr.rec.e2, 0x8002);
		assert_int_equal(rr.rec.ttl_fwd, 250);
		assert_int_equal(rr.rec.tos_fwd, 0);
		assert_int_equal(rr.rec.flags & TW_STATS_REC_TOS_FWD, 0);
		check_path(&rr.rec, &p, 0x3000000000000000ull, false);
	}
	if (sm == TW_STAMP_AUTH) {
		/* forged, then one octet short of the base */
		buf[30] ^= 1;
		assert_int_equal(one(r, frame(&p, buf, (uint16_t)n, 1)), TW_DP_V_DROP);
		assert_int_equal(drops(r, TW_RECV_DROP_BAD_HMAC), 1);
		assert_int_equal(one(r, frame(&p, buf, TW_STAMP_BASE_AUTH - 1, 1)),
				 TW_DP_V_DROP);
	} else {
		/* RFC 8762 §4.6: a TWAMP Light reflector's 41 octets */
		assert_int_equal(one(r, frame(&p, buf, 41, 1)), TW_DP_V_CONSUMED);
		assert_int_equal(one_rec(r).rec.ttl_fwd, 250);
		assert_int_equal(one(r, frame(&p, buf, 40, 1)), TW_DP_V_DROP);
	}
	assert_int_equal(drops(r, TW_RECV_DROP_TOO_SHORT), 1);
	assert_int_equal(tw_recv_drain(r, (struct tw_recv_rec[1]){ 0 }, 1), 0);
	tw_crypto_stamp_destroy(sc);
	tw_recv_destroy(r);
}

static void test_stamp_all(void **state)
{
	(void)state;
	each(4094, TW_RECV_AUTH, 1, stamp_case);
}

/* ---- OWAMP-Test ---- */

static void owamp_case(unsigned ipv, uint16_t vlan, int mode_, unsigned opt)
{
	const enum tw_recv_mode mode = (enum tw_recv_mode)mode_;
	struct tw_recv *r = recv_new(1, 64, 0);
	struct path p = path(ipv, vlan, 9000, 9001);
	struct tw_recv_session s = sess(&p, TW_RECV_OWAMP, mode);
	struct tw_crypto_test *ct = test_ctx(mode);
	struct tw_test_layout l;
	struct tw_test_sender m = { .seq = 31337, .ts = 0x4000000000000001ull,
				    .errest = 0x8004, .pad_len = 33 };
	struct tw_recv_rec rr;
	uint8_t buf[512];
	uint32_t id;
	int n;

	(void)opt;
	assert_int_equal(tw_proto_owamp_test_layout_init(&l, (enum tw_test_mode)mode), 0);
	assert_int_equal(tw_recv_session_add(r, &s, &id), 0);
	n = tw_proto_owamp_test_encode(&l, &m, buf, sizeof(buf));
	assert_true(n > 0);
	if (ct != NULL)
		assert_int_equal(tw_crypto_test_protect(teng, ct, TW_CRYPTO_PKT_SENDER, buf,
							(size_t)n), 0);
	assert_int_equal(one(r, frame(&p, buf, (uint16_t)n, 0x4000000000000009ull)),
			 TW_DP_V_CONSUMED);
	rr = one_rec(r);
	assert_int_equal(rr.session, id);
	assert_int_equal(rr.rec.seq, 31337);
	assert_int_equal(rr.rec.t1, m.ts);
	assert_int_equal(rr.rec.e1, 0x8004);
	assert_int_equal(rr.rec.tos_fwd, 0);
	check_path(&rr.rec, &p, 0x4000000000000009ull, true);
	if (ct != NULL) {
		buf[5] ^= 0x80; /* forged */
		assert_int_equal(one(r, frame(&p, buf, (uint16_t)n, 1)), TW_DP_V_DROP);
		assert_int_equal(drops(r, TW_RECV_DROP_BAD_HMAC), 1);
	}
	assert_int_equal(one(r, frame(&p, buf, (uint16_t)(l.sender_hdr - 1), 1)),
			 TW_DP_V_DROP);
	assert_int_equal(drops(r, TW_RECV_DROP_TOO_SHORT), 1);
	tw_crypto_test_destroy(ct);
	tw_recv_destroy(r);
}

static void test_owamp_all(void **state)
{
	(void)state;
	each(1, TW_RECV_ENC, 1, owamp_case);
}

/* ---- drops, burst order, ring full ---- */

static void test_mixed_burst_and_drops(void **state)
{
	struct tw_recv *r = recv_new(1, 64, 0);
	struct path pa = path(4, 0, 40010, 862), pb = path(6, 0, 40011, 18760);
	struct path pc = path(4, 0, 40012, 862), pu = path(4, 0, 40010, 863);
	struct tw_recv_session sa = sess(&pa, TW_RECV_LIGHT, TW_RECV_OPEN);
	struct tw_recv_session sb = sess(&pb, TW_RECV_TWAMP, TW_RECV_AUTH);
	struct tw_recv_session sc = sess(&pc, TW_RECV_LIGHT, TW_RECV_ENC);
	struct tw_crypto_test *cauth = test_ctx(TW_RECV_AUTH), *cenc = test_ctx(TW_RECV_ENC);
	struct tw_test_layout lo, la, le;
	struct rte_mbuf *m[TW_DP_BURST];
	struct tw_recv_rec out[TW_DP_BURST];
	uint8_t verdict[TW_DP_BURST], buf[512];
	struct tw_recv_stats st;
	uint32_t ia, ib, ic;
	unsigned got;

	(void)state;
	tw_proto_test_layout_init(&lo, TW_TEST_UNAUTH, false, false, 0);
	tw_proto_test_layout_init(&la, TW_TEST_AUTH, false, false, 0);
	tw_proto_test_layout_init(&le, TW_TEST_ENC, false, false, 0);
	assert_int_equal(tw_recv_session_add(r, &sa, &ia), 0);
	assert_int_equal(tw_recv_session_add(r, &sb, &ib), 0);
	assert_int_equal(tw_recv_session_add(r, &sc, &ic), 0);
	/* a: open, b: auth, c: enc, in turns; every 5th forged or unknown */
	for (uint16_t i = 0; i < TW_DP_BURST; i++) {
		struct tw_test_reflector rf = { .sender_seq = i, .seq = 100u + i };
		const struct path *p = i % 3 == 0 ? &pa : i % 3 == 1 ? &pb : &pc;
		uint16_t n = twamp_reply(i % 3 == 0 ? &lo : i % 3 == 1 ? &la : &le,
					 i % 3 == 0 ? NULL : i % 3 == 1 ? cauth : cenc,
					 &rf, buf);

		if (i % 5 == 4 && i % 3 != 0)
			buf[i % 3 == 1 ? 100 : 20] ^= 1; /* HMAC / ciphertext */
		if (i % 5 == 4 && i % 3 == 0)
			p = &pu;                 /* no session on that peer port */
		m[i] = frame(p, buf, n, 1000u + i);
	}
	got = run(r, 0, m, TW_DP_BURST, verdict);
	assert_int_equal(tw_recv_drain(r, out, TW_DP_BURST), got);
	for (unsigned k = 0, i = 0; i < TW_DP_BURST; i++) {
		if (i % 5 == 4) {
			assert_int_equal(verdict[i], TW_DP_V_DROP);
			continue;
		}
		assert_int_equal(verdict[i], TW_DP_V_CONSUMED);
		assert_int_equal(out[k].rec.seq, i);          /* arrival order */
		assert_int_equal(out[k].rec.refl_seq, 100 + i);
		assert_int_equal(out[k].rec.t4, 1000 + i);
		assert_int_equal(out[k].session, i % 3 == 0 ? ia : i % 3 == 1 ? ib : ic);
		k++;
	}
	assert_int_equal(tw_recv_stats(r, -1, &st), 0);
	assert_int_equal(st.rx, TW_DP_BURST);
	assert_int_equal(st.consumed, got);
	assert_int_equal(st.drop[TW_RECV_DROP_NO_SESSION] + st.drop[TW_RECV_DROP_BAD_HMAC],
			 TW_DP_BURST - got);
	assert_int_equal(st.drop[TW_RECV_DROP_NO_SESSION], 2);  /* i = 9, 24 */
	assert_int_equal(tw_recv_session_stats(r, ia, &st), 0);
	assert_int_equal(st.drop[TW_RECV_DROP_NO_SESSION], 0);
	assert_int_equal(tw_recv_session_stats(r, ib, &st), 0);
	assert_int_equal(st.drop[TW_RECV_DROP_BAD_HMAC], 2);   /* i = 4, 19 */
	assert_int_equal(st.rx, st.consumed + 2);
	assert_int_equal(tw_recv_session_stats(r, ic, &st), 0);
	assert_int_equal(st.drop[TW_RECV_DROP_BAD_HMAC], 2);   /* i = 14, 29 */
	assert_int_equal(st.rx, st.consumed + 2);
	/* a removed session is gone at once */
	assert_int_equal(tw_recv_session_del(r, ia), 0);
	assert_int_equal(tw_recv_session_stats(r, ia, &st), -ENOENT);
	assert_int_equal(one(r, frame(&pa, buf, 41, 1)), TW_DP_V_DROP);
	assert_int_equal(drops(r, TW_RECV_DROP_NO_SESSION), 3);
	tw_crypto_test_destroy(cauth);
	tw_crypto_test_destroy(cenc);
	tw_recv_destroy(r);
}

static void test_ring_full(void **state)
{
	struct tw_recv *r = recv_new(1, 8, 64);
	struct path p = path(4, 0, 5000, 862);
	struct tw_recv_session s = sess(&p, TW_RECV_LIGHT, TW_RECV_OPEN);
	struct tw_recv_rec out[200];
	struct rte_mbuf *m[TW_DP_BURST];
	uint8_t verdict[TW_DP_BURST], buf[64] = { 0 };
	struct tw_recv_stats st;
	uint32_t id, seq = 0;

	(void)state;
	assert_int_equal(tw_recv_session_add(r, &s, &id), 0);
	/* 3 bursts of 32 into a 64-record ring: the third is dropped whole */
	for (int b = 0; b < 3; b++) {
		for (int i = 0; i < TW_DP_BURST; i++) {
			tw_put_be32(buf + 24, seq++);
			m[i] = frame(&p, buf, 41, 1);
		}
		assert_int_equal(run(r, 0, m, TW_DP_BURST, verdict), b < 2 ? TW_DP_BURST : 0);
	}
	assert_int_equal(drops(r, TW_RECV_DROP_RING_FULL), TW_DP_BURST);
	assert_int_equal(tw_recv_session_stats(r, id, &st), 0);
	assert_int_equal(st.rx, 96);
	assert_int_equal(st.consumed, 64);
	assert_int_equal(st.drop[TW_RECV_DROP_RING_FULL], 32);
	assert_int_equal(tw_recv_drain(r, out, 200), 64);
	for (uint32_t i = 0; i < 64; i++)
		assert_int_equal(out[i].rec.seq, i);
	/* room again; small drains take what is asked */
	for (int i = 0; i < 3; i++) {
		tw_put_be32(buf + 24, 500u + (uint32_t)i);
		m[i] = frame(&p, buf, 41, 1);
	}
	assert_int_equal(run(r, 0, m, 3, verdict), 3);
	assert_int_equal(tw_recv_drain(r, out, 2), 2);
	assert_int_equal(out[1].rec.seq, 501);
	assert_int_equal(tw_recv_drain(r, out, 2), 1);
	assert_int_equal(out[0].rec.seq, 502);
	tw_recv_destroy(r);
}

/* ---- several workers: each one's records in order ---- */

static void test_drain_workers(void **state)
{
	struct tw_recv *r = recv_new(3, 64, 1024);
	struct path p[3] = { path(4, 0, 6000, 862), path(4, 0, 6001, 862),
			     path(6, 0, 6002, 862) };
	struct tw_recv_rec out[1024];
	uint32_t id[3], next[3] = { 0, 0, 0 };
	uint8_t buf[64] = { 0 }, verdict[TW_DP_BURST];
	unsigned total = 0, got;

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct tw_recv_session s = sess(&p[i], TW_RECV_LIGHT, TW_RECV_OPEN);

		assert_int_equal(tw_recv_session_add(r, &s, &id[i]), 0);
	}
	for (uint32_t k = 0; k < 100; k++)
		for (unsigned w = 0; w < 3; w++) {
			struct rte_mbuf *m[2];

			for (int j = 0; j < 2; j++) {
				tw_put_be32(buf + 24, 2 * k + (uint32_t)j);
				m[j] = frame(&p[w], buf, 41, 1);
			}
			assert_int_equal(run(r, w, m, 2, verdict), 2);
		}
	/* small drains rotate over the workers; each keeps its order */
	while ((got = tw_recv_drain(r, out, 7)) != 0) {
		for (unsigned i = 0; i < got; i++) {
			unsigned w = out[i].session == id[0] ? 0 : out[i].session == id[1] ? 1 : 2;

			assert_int_equal(out[i].session, id[w]);
			assert_int_equal(out[i].rec.seq, next[w]);
			next[w]++;
		}
		total += got;
	}
	assert_int_equal(total, 600);
	for (int w = 0; w < 3; w++) {
		struct tw_recv_stats st;

		assert_int_equal(tw_recv_stats(r, w, &st), 0);
		assert_int_equal(st.consumed, 200);
	}
	tw_recv_destroy(r);
}

/* ---- API errors ---- */

static void test_api_errors(void **state)
{
	struct tw_recv_conf bad = { .n_workers = 1, .max_sessions = 8, .ring_size = 100,
				    .crypto = TW_CRYPTO_IMPL_BEST };
	struct tw_recv *r;
	struct path p = path(4, 0, 7000, 862);
	struct tw_recv_session s;
	struct tw_recv_stats st;
	struct tw_recv_rec out[1];
	uint32_t id, id2, ids[8];

	(void)state;
	assert_null(tw_recv_create(NULL));
	assert_null(tw_recv_create(&bad));          /* ring not a power of 2 */
	assert_int_equal(rte_errno, EINVAL);
	bad.ring_size = 0;
	bad.max_sessions = 4;
	assert_null(tw_recv_create(&bad));
	bad.max_sessions = 8;
	bad.n_workers = 0;
	assert_null(tw_recv_create(&bad));
	bad.n_workers = 2;
	bad.crypto = TW_CRYPTO_IMPL_OPENSSL;
	assert_null(tw_recv_create(&bad));
	r = recv_new(1, 8, 0);                      /* a QSBR variable of 1 thread */
	bad.crypto = TW_CRYPTO_IMPL_BEST;
	bad.qsbr = tw_recv_qsbr(r);
	assert_null(tw_recv_create(&bad));          /* for 2 workers */
	assert_int_equal(rte_errno, EINVAL);
	tw_recv_destroy(r);
	tw_recv_destroy(NULL);

	r = recv_new(1, 8, 0);
	s = sess(&p, TW_RECV_LIGHT, TW_RECV_OPEN);
	assert_int_equal(tw_recv_session_add(NULL, &s, &id), -EINVAL);
	assert_int_equal(tw_recv_session_add(r, NULL, &id), -EINVAL);
	assert_int_equal(tw_recv_session_add(r, &s, NULL), -EINVAL);
	s.peer_port = 0;
	assert_int_equal(tw_recv_session_add(r, &s, &id), -EINVAL);
	s = sess(&p, TW_RECV_LIGHT, TW_RECV_OPEN);
	s.family = AF_UNIX;
	assert_int_equal(tw_recv_session_add(r, &s, &id), -EINVAL);
	s = sess(&p, TW_RECV_LIGHT, TW_RECV_OPEN);
	s.sym_size = true;                          /* TWAMP only */
	assert_int_equal(tw_recv_session_add(r, &s, &id), -EINVAL);
	s = sess(&p, TW_RECV_OWAMP, TW_RECV_OPEN);
	s.dscp_ecn = true;
	assert_int_equal(tw_recv_session_add(r, &s, &id), -EINVAL);
	s = sess(&p, TW_RECV_STAMP, TW_RECV_ENC);   /* STAMP has no enc mode */
	assert_int_equal(tw_recv_session_add(r, &s, &id), -EINVAL);
	s = sess(&p, TW_RECV_STAMP, TW_RECV_AUTH);
	s.stamp_key_len = 15;
	assert_int_equal(tw_recv_session_add(r, &s, &id), -EINVAL);
	s.stamp_key = NULL;
	assert_int_equal(tw_recv_session_add(r, &s, &id), -EINVAL);
	s = sess(&p, (enum tw_recv_kind)9, TW_RECV_OPEN);
	assert_int_equal(tw_recv_session_add(r, &s, &id), -EINVAL);
	s = sess(&p, TW_RECV_TWAMP, (enum tw_recv_mode)3);
	assert_int_equal(tw_recv_session_add(r, &s, &id), -EINVAL);
	assert_int_equal(tw_recv_session_count(r), 0);

	s = sess(&p, TW_RECV_LIGHT, TW_RECV_OPEN);
	assert_int_equal(tw_recv_session_add(r, &s, &id), 0);
	assert_int_equal(tw_recv_session_add(r, &s, &id2), -EEXIST);
	assert_int_equal(tw_recv_session_count(r), 1);
	/* an id does not come back right away: the slot's generation moves */
	assert_int_equal(tw_recv_session_del(r, id), 0);
	assert_int_equal(tw_recv_session_del(r, id), -ENOENT);
	assert_int_equal(tw_recv_session_del(NULL, id), -EINVAL);
	for (int i = 0; i < 8; i++) {
		s.peer_port = (uint16_t)(100 + i);
		assert_int_equal(tw_recv_session_add(r, &s, &ids[i]), 0);
		assert_int_not_equal(ids[i], id);
	}
	s.peer_port = 99;
	assert_int_equal(tw_recv_session_add(r, &s, &id2), -ENOSPC);
	assert_int_equal(tw_recv_session_stats(r, id, &st), -ENOENT);
	assert_int_equal(tw_recv_session_stats(r, ids[0], NULL), -EINVAL);
	assert_int_equal(tw_recv_stats(r, 1, &st), -EINVAL);
	assert_int_equal(tw_recv_stats(r, -2, &st), -EINVAL);
	assert_int_equal(tw_recv_stats(NULL, -1, &st), -EINVAL);
	assert_int_equal(tw_recv_drain(NULL, out, 1), 0);
	assert_int_equal(tw_recv_drain(r, NULL, 1), 0);
	assert_int_equal(tw_recv_drain(r, out, 0), 0);
	assert_int_equal(tw_recv_attach(NULL, NULL), -EINVAL);
	assert_int_equal(tw_recv_attach(r, NULL), -EINVAL);
	assert_string_equal(tw_recv_drop_name(TW_RECV_DROP_RING_FULL), "ring_full");
	assert_string_equal(tw_recv_drop_name(TW_RECV_DROP__MAX), "unknown");
	assert_int_equal(tw_recv_telemetry_register(NULL), -EINVAL);
	assert_int_equal(tw_recv_telemetry_register(r), 0);
	/* a handler call with nonsense is ignored */
	tw_recv_udp_handler(NULL, 0, 0, NULL, 1, NULL);
	tw_recv_udp_handler(r, 5, 0, NULL, 1, NULL);
	tw_recv_destroy(r);
}

/* ---- the data plane: owner classes ---- */

static struct tw_dp *dp_new(const char *device, struct rte_rcu_qsbr *q)
{
	static struct tw_dp_port_conf pc;
	struct tw_dp_conf dc = { .ports = &pc, .n_ports = 1, .n_workers = 1, .qsbr = q };
	char err[256] = "";
	struct tw_dp *dp;

	memset(&pc, 0, sizeof(pc));
	snprintf(pc.name, sizeof(pc.name), "p0");
	snprintf(pc.device, sizeof(pc.device), "%s", device);
	pc.rx_desc = pc.tx_desc = 256;
	pc.addrs[0] = (struct tw_dp_prefix){ .family = AF_INET, .len = 24,
					     .addr = { 198, 18, 0, 1 } };
	pc.addrs[1] = (struct tw_dp_prefix){ .family = AF_INET6, .len = 64,
					     .addr = { 0x20, 0x01, 0, 2, [15] = 1 } };
	pc.n_addrs = 2;
	dp = tw_dp_ports_create(&dc, err, sizeof(err));
	if (dp == NULL)
		fail_msg("create: %s", err);
	return dp;
}

static void test_port_classes(void **state)
{
	struct tw_refl *refl;
	struct tw_refl_light lo = { .port = 862, .proto = TW_REFL_LIGHT };
	struct path p1 = path(4, 0, 40000, 862), p2 = path(6, 0, 862, 40000);
	struct path p3 = path(6, 0, 40000, 863);
	struct tw_recv_session s1 = sess(&p1, TW_RECV_LIGHT, TW_RECV_OPEN);
	struct tw_recv_session s2 = sess(&p2, TW_RECV_LIGHT, TW_RECV_OPEN);
	struct tw_recv_session s3 = sess(&p3, TW_RECV_STAMP, TW_RECV_OPEN);
	struct tw_recv *r;
	struct tw_dp *dp;
	uint32_t id1, id3, id;
	char err[128];

	(void)state;
	r = pair(&refl, &clk);
	dp = dp_new("net_null7", tw_refl_qsbr(refl));
	assert_int_equal(tw_dp_set_udp_class_handler(dp, TW_DP_UDP_NONE, NULL, NULL), -EINVAL);
	assert_int_equal(tw_dp_set_udp_class_handler(dp, TW_DP_UDP_CLASS_MAX, NULL, NULL),
			 -EINVAL);
	assert_int_equal(tw_dp_udp_port_claim(dp, 1, TW_DP_UDP_NONE, true), -EINVAL);
	assert_int_equal(tw_dp_udp_port_claim(NULL, 1, TW_DP_UDP_RECEIVER, true), -EINVAL);
	assert_int_equal(tw_dp_udp_port_class(NULL, 1), TW_DP_UDP_NONE);

	assert_int_equal(tw_recv_session_add(r, &s1, &id1), 0); /* before attach */
	assert_int_equal(tw_refl_light_add(refl, &lo), 0);
	assert_int_equal(tw_refl_attach(refl, dp), 0);
	assert_int_equal(tw_recv_attach(r, dp), 0);
	assert_int_equal(tw_dp_udp_port_class(dp, 862), TW_DP_UDP_REFLECTOR);
	assert_int_equal(tw_dp_udp_port_class(dp, 40000), TW_DP_UDP_RECEIVER);
	assert_int_equal(tw_dp_udp_port_class(dp, 40001), TW_DP_UDP_NONE);
	/* one owner per port: the receiver cannot take the reflector's... */
	assert_int_equal(tw_recv_session_add(r, &s2, &id), -EBUSY);
	assert_int_equal(tw_recv_session_count(r), 1);
	/* ...nor the reflector the receiver's, and its release leaves it */
	assert_int_equal(tw_dp_udp_port_own(dp, 40000, true), -EBUSY);
	assert_int_equal(tw_dp_udp_port_own(dp, 40000, false), 0);
	assert_int_equal(tw_dp_udp_port_class(dp, 40000), TW_DP_UDP_RECEIVER);
	/* a second session on the port shares it; the last one releases it */
	assert_int_equal(tw_recv_session_add(r, &s3, &id3), 0);
	assert_int_equal(tw_recv_session_del(r, id1), 0);
	assert_int_equal(tw_dp_udp_port_class(dp, 40000), TW_DP_UDP_RECEIVER);
	assert_int_equal(tw_recv_session_del(r, id3), 0);
	assert_int_equal(tw_dp_udp_port_class(dp, 40000), TW_DP_UDP_NONE);
	assert_int_equal(tw_dp_udp_port_own(dp, 40000, true), 0);
	assert_int_equal(tw_dp_udp_port_class(dp, 40000), TW_DP_UDP_REFLECTOR);
	assert_int_equal(tw_recv_session_add(r, &s1, &id), -EBUSY);
	assert_int_equal(tw_dp_udp_port_own(dp, 40000, false), 0);
	assert_int_equal(tw_dp_ports_start(dp, err, sizeof(err)), 0);
	assert_int_equal(tw_recv_attach(r, dp), -EBUSY);
	/* at run time the port is claimed by the add */
	assert_int_equal(tw_recv_session_add(r, &s1, &id), 0);
	assert_int_equal(tw_dp_udp_port_class(dp, 40000), TW_DP_UDP_RECEIVER);
	tw_dp_quit(dp);
	assert_int_equal(tw_dp_ports_stop(dp), 0);
	tw_dp_ports_destroy(dp);
	tw_recv_destroy(r);
	tw_refl_destroy(refl);
}

/* attach fails when a session's port already has another owner */
static void test_attach_conflict(void **state)
{
	struct tw_recv *r = recv_new(1, 8, 0);
	struct path p = path(4, 0, 862, 40000);
	struct tw_recv_session s = sess(&p, TW_RECV_LIGHT, TW_RECV_OPEN);
	struct tw_dp *dp = dp_new("net_null8", NULL);
	uint32_t id;

	(void)state;
	assert_int_equal(tw_recv_session_add(r, &s, &id), 0);
	assert_int_equal(tw_dp_udp_port_own(dp, 862, true), 0);
	assert_int_equal(tw_recv_attach(r, dp), -EBUSY);
	assert_int_equal(tw_dp_udp_port_class(dp, 862), TW_DP_UDP_REFLECTOR);
	assert_int_equal(tw_dp_udp_port_own(dp, 862, false), 0);
	assert_int_equal(tw_recv_attach(r, dp), 0);
	assert_int_equal(tw_dp_udp_port_class(dp, 862), TW_DP_UDP_RECEIVER);
	tw_dp_ports_destroy(dp);
	tw_recv_destroy(r);
}

/* ---- the Session-Sender's loop: reflector, then receiver ---- */

static void loop_case(unsigned ipv, uint16_t vlan, enum tw_refl_proto proto,
		      enum tw_refl_mode mode)
{
	struct tw_refl *refl;
	struct tw_recv *r;
	/* the reflector's view: the sender's packet arrives at us:862 */
	struct path sp = path(ipv, vlan, 862, 41000);
	struct tw_refl_light lc = { .port = 862, .proto = proto, .mode = mode,
				    .dscp = 34, .key = proto == TW_REFL_STAMP ? SKEY : KEY48,
				    .key_len = proto == TW_REFL_STAMP ? 32 : 48 };
	/* the receiver's view: the reply arrives at the sender's address
	 * (V*_PEER) from the reflector's (V*_US) */
	struct tw_recv_session s = { .kind = proto == TW_REFL_STAMP ? TW_RECV_STAMP
								    : TW_RECV_LIGHT,
				     .mode = (enum tw_recv_mode)mode,
				     .family = ipv == 4 ? AF_INET : AF_INET6,
				     .local_port = 41000, .peer_port = 862 };
	struct tw_crypto_test *ct = test_ctx((enum tw_recv_mode)mode);
	struct tw_crypto_stamp *sc = tw_crypto_stamp_create(SKEY, 32);
	struct rte_mbuf *m;
	struct tw_recv_rec rr;
	uint8_t buf[256] = { 0 }, v;
	const tw_ntp_t t1 = 0x6000000000000000ull, t2 = t1 + 1000, t3 = t2 + 500;
	const tw_ntp_t t4 = t3 + 2000;
	uint32_t id;
	int n;

	assert_non_null(sc);
	r = pair(&refl, &clk);
	assert_int_equal(tw_refl_light_add(refl, &lc), 0);
	memcpy(s.local_addr, peer_addr(ipv), 16);
	memcpy(s.peer_addr, us_addr(ipv), 16);
	memcpy(s.test_keys.aes, KEY48, 16);
	memcpy(s.test_keys.hmac, KEY48 + 16, 32);
	s.stamp_key = SKEY;
	s.stamp_key_len = 32;
	assert_int_equal(tw_recv_session_add(r, &s, &id), 0);

	/* the Session-Sender's packet */
	if (proto == TW_REFL_STAMP) {
		enum tw_stamp_mode sm = mode == TW_REFL_AUTH ? TW_STAMP_AUTH : TW_STAMP_UNAUTH;
		struct tw_stamp_sender ss = { .seq = 5, .ts = t1, .errest = 0x8010 };

		n = tw_proto_stamp_sender_encode(sm, &ss, buf, sizeof(buf));
		assert_true(n > 0);
		if (sm == TW_STAMP_AUTH)
			assert_int_equal(tw_crypto_stamp_sign(sc, buf, (size_t)n), 0);
	} else {
		struct tw_test_layout l;
		struct tw_test_sender ts = { .seq = 5, .ts = t1, .errest = 0x8010,
					     .pad_len = 64 };

		tw_proto_test_layout_init(&l, (enum tw_test_mode)mode, false, false, 0);
		n = tw_proto_test_sender_encode(&l, &ts, buf, sizeof(buf));
		assert_true(n > 0);
		if (ct != NULL)
			assert_int_equal(tw_crypto_test_protect(teng, ct, TW_CRYPTO_PKT_SENDER,
								buf, (size_t)n), 0);
	}
	sp.ttl = 60;
	m = frame(&sp, buf, (uint16_t)n, t2);
	/* reflect, TX-stamp at t3 */
	memset(&v, TW_DP_V_EXCEPTION, 1);
	tw_refl_udp_handler(refl, 0, 0, &m, 1, &v);
	assert_int_equal(v, TW_DP_V_TX);
	tw_refl_tx_stamp(refl, 0, &m, 1, t3);
	/* the reply, as received back: 3 hops less on the way */
	{
		uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);

		if (ipv == 4)
			ip[8] = 252;
		else
			ip[7] = 252;
	}
	*RTE_MBUF_DYNFIELD(m, tw_dp_rx_ntp_offset, tw_ntp_t *) = t4;
	assert_int_equal(one(r, m), TW_DP_V_CONSUMED);
	rr = one_rec(r);
	assert_int_equal(rr.session, id);
	assert_int_equal(rr.rec.seq, 5);
	assert_int_equal(rr.rec.refl_seq, 5);  /* stateless: the sender's */
	assert_int_equal(rr.rec.t1, t1);
	assert_int_equal(rr.rec.t2, t2);
	assert_int_equal(rr.rec.t3, t3);
	assert_int_equal(rr.rec.t4, t4);
	assert_int_equal(rr.rec.e1, 0x8010);
	assert_int_equal(rr.rec.e2, tw_dp_clock_errest(&clk));
	assert_int_equal(rr.rec.e4, tw_dp_clock_errest(&clk));
	assert_int_equal(rr.rec.ttl_fwd, 60);
	assert_int_equal(rr.rec.ttl_back, 252);
	assert_int_equal(rr.rec.tos_back, 34 << 2);
	assert_int_equal(rr.rec.flags, 0);
	tw_crypto_stamp_destroy(sc);
	tw_crypto_test_destroy(ct);
	tw_recv_destroy(r);
	tw_refl_destroy(refl);
}

static void loop_light(unsigned ipv, uint16_t vlan, int mode, unsigned opt)
{
	(void)opt;
	loop_case(ipv, vlan, TW_REFL_LIGHT, (enum tw_refl_mode)mode);
}

static void loop_stamp(unsigned ipv, uint16_t vlan, int mode, unsigned opt)
{
	(void)opt;
	loop_case(ipv, vlan, TW_REFL_STAMP, (enum tw_refl_mode)mode);
}

static void test_reflector_to_receiver(void **state)
{
	(void)state;
	each(3, TW_REFL_ENC, 1, loop_light);
	each(3, TW_REFL_AUTH, 1, loop_stamp);
}

/* A full TWAMP session pair with every option: the reflector's session
 * and the receiver's see the same layout. */
static void test_reflector_to_receiver_twamp(void **state)
{
	struct tw_refl *refl;
	struct tw_recv *r;

	(void)state;
	r = pair(&refl, &clk);
	for (int mode = TW_REFL_OPEN; mode <= TW_REFL_ENC; mode++) {
		struct tw_refl_session rs = { .family = AF_INET6, .local_port = 20000,
					      .peer_port = 30000, .proto = TW_REFL_TWAMP,
					      .mode = (enum tw_refl_mode)mode,
					      .sym_size = true, .dscp_ecn = true,
					      .reflect_len = 4, .dscp = TW_REFL_DSCP_COPY,
					      .started = true };
		struct tw_recv_session s = { .family = AF_INET6, .local_port = 30000,
					     .peer_port = 20000, .kind = TW_RECV_TWAMP,
					     .mode = (enum tw_recv_mode)mode, .sym_size = true,
					     .dscp_ecn = true, .reflect_len = 4 };
		struct tw_crypto_test *ct = test_ctx((enum tw_recv_mode)mode);
		struct path sp = path(6, 0, 20000, 30000);
		struct tw_test_layout l;
		struct tw_test_sender ts = { .seq = 99, .ts = 1000, .errest = 0x8020,
					     .pad_len = 40 };
		struct rte_mbuf *m;
		struct tw_recv_rec rr;
		uint32_t rid, id;
		uint8_t buf[512], v;
		int n;

		memcpy(rs.local_addr, V6_US, 16);
		memcpy(rs.peer_addr, V6_PEER, 16);
		memcpy(rs.test_keys.aes, KEY48, 16);
		memcpy(rs.test_keys.hmac, KEY48 + 16, 32);
		memcpy(s.local_addr, V6_PEER, 16);
		memcpy(s.peer_addr, V6_US, 16);
		s.test_keys = rs.test_keys;
		assert_int_equal(tw_refl_session_add(refl, &rs, &rid), 0);
		assert_int_equal(tw_recv_session_add(r, &s, &id), 0);
		tw_proto_test_layout_init(&l, (enum tw_test_mode)mode, true, true, 4);
		n = tw_proto_test_sender_encode(&l, &ts, buf, sizeof(buf));
		assert_true(n > 0);
		if (ct != NULL)
			assert_int_equal(tw_crypto_test_protect(teng, ct, TW_CRYPTO_PKT_SENDER,
								buf, (size_t)n), 0);
		sp.tos = 0xb9;
		m = frame(&sp, buf, (uint16_t)n, 2000);
		tw_refl_udp_handler(refl, 0, 0, &m, 1, &v);
		assert_int_equal(v, TW_DP_V_TX);
		tw_refl_tx_stamp(refl, 0, &m, 1, 3000);
		*RTE_MBUF_DYNFIELD(m, tw_dp_rx_ntp_offset, tw_ntp_t *) = 4000;
		assert_int_equal(one(r, m), TW_DP_V_CONSUMED);
		rr = one_rec(r);
		assert_int_equal(rr.session, id);
		assert_int_equal(rr.rec.seq, 99);
		assert_int_equal(rr.rec.refl_seq, 0);   /* the session's first */
		assert_int_equal(rr.rec.t1, 1000);
		assert_int_equal(rr.rec.t2, 2000);
		assert_int_equal(rr.rec.t3, 3000);
		assert_int_equal(rr.rec.t4, 4000);
		assert_int_equal(rr.rec.ttl_fwd, 57);
		assert_int_equal(rr.rec.ttl_back, 255);
		assert_int_equal(rr.rec.tos_fwd, 0xb9);   /* S-DSCP-ECN */
		assert_int_equal(rr.rec.tos_back, 0xb8);  /* DSCP copied, ECN 0 */
		assert_int_equal(rr.rec.flags, TW_STATS_REC_TOS_FWD);
		assert_int_equal(tw_refl_session_del(refl, rid), 0);
		assert_int_equal(tw_recv_session_del(r, id), 0);
		tw_crypto_test_destroy(ct);
	}
	tw_recv_destroy(r);
	tw_refl_destroy(refl);
}

/* ---- the real worker loop: both classes in one burst ---- */

static void test_worker_loop_pcap(void **state)
{
	struct tw_refl *refl;
	struct tw_refl_light lo = { .port = 862, .proto = TW_REFL_LIGHT };
	struct path pr = path(4, 0, 40000, 862);
	struct tw_recv_session s = sess(&pr, TW_RECV_LIGHT, TW_RECV_OPEN);
	struct tw_pcap_flow to_refl = tw_pcap_flow4("198.18.0.2", 50000, "198.18.0.1",
						    862, false);
	struct tw_pcap_flow to_recv = tw_pcap_flow4("198.18.0.2", 862, "198.18.0.1",
						    40000, false);
	struct tw_pcap_flow other = tw_pcap_flow4("198.18.0.2", 862, "198.18.0.1",
						  40001, false);
	struct tw_recv_rec out[16];
	struct tw_refl_stats rst;
	struct tw_dp_stats dst;
	struct tw_recv_stats st;
	char dev[200], err[128];
	uint8_t buf[64];
	struct tw_dp *dp;
	uint32_t id;
	struct tw_recv *r;
	FILE *f;

	(void)state;
	r = pair(&refl, NULL); /* no clock: both adopt the data plane's */
	f = tw_pcap_open(pcap_in);
	assert_non_null(f);
	/* sender packets and replies interleaved: one burst, two classes */
	for (uint32_t i = 0; i < 6; i++) {
		memset(buf, 0, sizeof(buf));
		tw_put_be32(buf, i);
		tw_put_be32(buf + 24, i);
		if (i % 2 == 0)
			assert_int_equal(tw_pcap_write_frame(f, &to_refl, buf, 14), 0);
		else
			assert_int_equal(tw_pcap_write_frame(f, &to_recv, buf, 41), 0);
	}
	assert_int_equal(tw_pcap_write_frame(f, &other, buf, 41), 0); /* kernel's */
	assert_int_equal(fclose(f), 0);
	snprintf(dev, sizeof(dev), "net_pcap5,rx_pcap=%s,tx_pcap=%s", pcap_in, pcap_out);
	dp = dp_new(dev, tw_refl_qsbr(refl));
	{
		assert_int_equal(tw_refl_light_add(refl, &lo), 0);
		assert_int_equal(tw_refl_attach(refl, dp), 0);
		assert_int_equal(tw_recv_attach(r, dp), 0);
		assert_int_equal(tw_recv_session_add(r, &s, &id), 0);
		assert_int_equal(tw_recv_telemetry_register(r), 0);
		assert_int_equal(tw_dp_ports_start(dp, err, sizeof(err)), 0);
		for (int i = 0; i < 8; i++)
			tw_dp_worker_poll(dp, 0);
		tw_dp_quit(dp);
		assert_int_equal(tw_dp_ports_stop(dp), 0);
		assert_int_equal(tw_dp_stats_get(dp, &dst), 0);
		assert_int_equal(dst.cnt[TW_DP_CNT_RX], 7);
		assert_int_equal(dst.cnt[TW_DP_CNT_OWNED], 6);
		assert_int_equal(dst.cnt[TW_DP_CNT_TX], 3);
		assert_int_equal(dst.cnt[TW_DP_CNT_CONSUMED], 3);
		assert_int_equal(dst.drop[TW_DP_DROP_HANDLER], 0);
		assert_int_equal(dst.drop[TW_DP_DROP_NO_EXCEPTION], 1);
		assert_int_equal(tw_refl_stats(refl, -1, &rst), 0);
		assert_int_equal(rst.tx, 3);
		assert_int_equal(tw_recv_drain(r, out, 16), 3);
		for (uint32_t k = 0; k < 3; k++) {
			assert_int_equal(out[k].session, id);
			assert_int_equal(out[k].rec.seq, 2 * k + 1);
			assert_int_not_equal(out[k].rec.t4, 0);  /* the worker's RX time */
			assert_int_equal(out[k].rec.ttl_back, 64);
			/* net_pcap hands the capture time as a hardware stamp */
			assert_int_equal(out[k].rec.flags, TW_STATS_REC_T4_HW);
		}
		assert_int_equal(tw_recv_stats(r, 0, &st), 0);
		assert_int_equal(st.consumed, 3);
		tw_dp_ports_destroy(dp);
		tw_recv_destroy(r);
	}
	tw_refl_destroy(refl);
}

/* ---- sessions added and removed while another lcore runs bursts ---- */

#define CC_FLOWS 8

struct cc_ctx {
	struct tw_recv *r;
	volatile bool stop;
	uint64_t bursts;
};

static int cc_worker(void *arg)
{
	struct cc_ctx *c = arg;
	struct rte_rcu_qsbr *q = tw_recv_qsbr(c->r);
	uint8_t buf[64] = { 0 }, verdict[TW_DP_BURST];
	uint32_t seq[CC_FLOWS] = { 0 };

	rte_rcu_qsbr_thread_register(q, 0);
	rte_rcu_qsbr_thread_online(q, 0);
	while (!c->stop) {
		struct rte_mbuf *m[CC_FLOWS];

		for (unsigned i = 0; i < CC_FLOWS; i++) {
			struct path p = path(4, 0, (uint16_t)(8000 + i), 862);

			tw_put_be32(buf + 24, seq[i]++);
			tw_put_be32(buf, i);
			m[i] = frame(&p, buf, 41, seq[i]);
		}
		memset(verdict, 0, sizeof(verdict));
		tw_recv_udp_handler(c->r, 0, 0, m, CC_FLOWS, verdict);
		rte_pktmbuf_free_bulk(m, CC_FLOWS);
		rte_rcu_qsbr_quiescent(q, 0);
		c->bursts++;
	}
	rte_rcu_qsbr_thread_offline(q, 0);
	rte_rcu_qsbr_thread_unregister(q, 0);
	return 0;
}

static void test_concurrent_add_del(void **state)
{
	struct cc_ctx c = { .r = recv_new(1, 64, 4096) };
	struct tw_recv_rec out[512];
	uint32_t id[CC_FLOWS], last[CC_FLOWS];
	bool have[CC_FLOWS] = { false }, seen_last[CC_FLOWS] = { false };
	unsigned lcore = rte_get_next_lcore(-1, 1, 0);
	uint64_t records = 0;
	struct tw_recv_stats st;

	(void)state;
	assert_true(lcore < RTE_MAX_LCORE);
	assert_int_equal(rte_eal_remote_launch(cc_worker, &c, lcore), 0);
	for (unsigned round = 0; round < 3000; round++) {
		unsigned i = round % CC_FLOWS;
		unsigned got;

		if (have[i]) {
			assert_int_equal(tw_recv_session_del(c.r, id[i]), 0);
			have[i] = false;
		} else {
			struct path p = path(4, 0, (uint16_t)(8000 + i), 862);
			struct tw_recv_session s = sess(&p, TW_RECV_LIGHT, TW_RECV_OPEN);

			assert_int_equal(tw_recv_session_add(c.r, &s, &id[i]), 0);
			have[i] = true;
		}
		/* records come from the flow's packets in order: a session's
		 * sequence numbers only grow (the id tells the session) */
		got = tw_recv_drain(c.r, out, 512);
		for (unsigned k = 0; k < got; k++) {
			unsigned f = (unsigned)(out[k].rec.refl_seq);

			assert_true(f < CC_FLOWS);
			if (seen_last[f])
				assert_true(out[k].rec.seq > last[f]);
			last[f] = out[k].rec.seq;
			seen_last[f] = true;
		}
		records += got;
	}
	c.stop = true;
	rte_eal_wait_lcore(lcore);
	records += tw_recv_drain(c.r, out, 512);
	assert_int_equal(tw_recv_stats(c.r, -1, &st), 0);
	assert_true(c.bursts > 0);
	assert_int_equal(st.rx, c.bursts * CC_FLOWS);
	assert_int_equal(st.consumed, records);
	assert_int_equal(st.rx, st.consumed + st.drop[TW_RECV_DROP_NO_SESSION] +
				       st.drop[TW_RECV_DROP_RING_FULL]);
	print_message("# %llu bursts, %llu records while sessions came and went\n",
		      (unsigned long long)c.bursts, (unsigned long long)records);
	tw_recv_destroy(c.r);
}

int main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0-1", "--log-level=lib.eal:error",
			prefix, NULL };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twamp_all),
		cmocka_unit_test(test_light_all),
		cmocka_unit_test(test_stamp_all),
		cmocka_unit_test(test_owamp_all),
		cmocka_unit_test(test_mixed_burst_and_drops),
		cmocka_unit_test(test_ring_full),
		cmocka_unit_test(test_drain_workers),
		cmocka_unit_test(test_api_errors),
		cmocka_unit_test(test_port_classes),
		cmocka_unit_test(test_attach_conflict),
		cmocka_unit_test(test_reflector_to_receiver),
		cmocka_unit_test(test_reflector_to_receiver_twamp),
		cmocka_unit_test(test_worker_loop_pcap),
		cmocka_unit_test(test_concurrent_add_del),
	};
	int rc;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=tw_recv_test_%d", (int)getpid());
	if (tw_test_dp_init(eal, "recv_test", 4095, &pool, &teng, &clk) != 0)
		return 1;
	snprintf(pcap_in, sizeof(pcap_in), "/tmp/tw-recv-test-%d-in.pcap", (int)getpid());
	snprintf(pcap_out, sizeof(pcap_out), "/tmp/tw-recv-test-%d-out.pcap", (int)getpid());
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(pcap_in);
	unlink(pcap_out);
	tw_test_dp_fini(pool, teng);
	return rc;
}
