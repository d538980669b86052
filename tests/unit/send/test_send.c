/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Session-Sender under EAL (--no-huge): the exponential schedule, stream
 * validation, and every protocol and mode built on a net_ring port (TX loops
 * back to RX), decoded with lib/proto and verified with lib/crypto; sent
 * records, stop/delete, record-ring back-pressure, the sender TX queue on
 * net_null.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "tw_dp_send.h"
#include "tw_ipsec.h"
#include "tw_proto_stamp.h"
#include "tw_test_eal.h"

static const uint8_t light_key[48] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
	22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41,
	42, 43, 44, 45, 46, 47,
};
static const uint8_t nh_mac[6] = { 0x02, 0, 0, 0, 0, 0x22 };

static struct tw_dp_port_conf port(const char *name, const char *dev)
{
	struct tw_dp_port_conf p = { .rx_desc = 512, .tx_desc = 512 };

	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.device, sizeof(p.device), "%s", dev);
	p.addrs[0] = (struct tw_dp_prefix){ .family = AF_INET, .len = 24,
					    .addr = { 198, 18, 0, 1 } };
	p.n_addrs = 1;
	return p;
}

struct fx {
	struct tw_dp *dp;
	struct tw_send *s;
	uint16_t pid;
};

static void fx_up(struct fx *f, const char *dev, bool txq, uint32_t ring)
{
	struct tw_dp_port_conf p = port("s0", dev);
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 1,
				.sender_txq = txq };
	struct tw_send_conf sc = { .max_streams = 8, .ring_size = ring,
				   .crypto = TW_CRYPTO_IMPL_BEST };
	char err[256];

	f->dp = tw_dp_ports_create(&c, err, sizeof(err));
	if (f->dp == NULL)
		fail_msg("create: %s", err);
	f->s = tw_send_create(&sc);
	assert_non_null(f->s);
	assert_int_equal(tw_send_attach(f->s, f->dp, txq), 0);
	assert_int_equal(tw_dp_ports_start(f->dp, err, sizeof(err)), 0);
	assert_int_equal(tw_dp_port_ids(f->dp, 0, &f->pid, NULL), 0);
}

static void fx_down(struct fx *f)
{
	tw_dp_quit(f->dp);
	tw_dp_ports_stop(f->dp);
	tw_send_destroy(f->s);
	tw_dp_ports_destroy(f->dp);
}

static struct tw_send_stream base_stream(int family, enum tw_send_proto proto,
					 enum tw_test_mode mode)
{
	struct tw_send_stream st = { .port = 0, .family = family, .sport = 40000,
				     .dport = 862, .dscp = 46, .ecn = 1, .ttl = 64,
				     .proto = proto, .mode = mode, .count = 5,
				     .interval_ns = 1000 };

	if (family == AF_INET) {
		memcpy(st.src, "\xc6\x12\x00\x01", 4);
		memcpy(st.dst, "\xc6\x12\x00\x02", 4);
	} else {
		memcpy(st.src, "\x20\x01\x00\x02\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
		memcpy(st.dst, "\x20\x01\x00\x02\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	}
	memcpy(st.dst_mac, nh_mac, 6);
	tw_proto_test_layout_init(&st.layout, mode, false, false, 0);
	memcpy(st.keys.aes, light_key, 16);
	memcpy(st.keys.hmac, light_key + 16, 32);
	memset(st.stamp_key, 0xc5, 32);
	st.stamp_key_len = 32;
	return st;
}

/* ---- pure schedule math ---- */

static void test_exp_gap_mean(void **state)
{
	uint64_t s[4] = { 1, 2, 3, 4 };
	double sum = 0, sq = 0;
	const unsigned n = 200000;

	(void)state;
	for (unsigned i = 0; i < n; i++) {
		uint64_t g = tw_send_exp_gap(s, 10000);

		assert_true(g >= 1);
		sum += (double)g;
		sq += (double)g * (double)g;
	}
	/* exponential: mean = sd = 10000; within 1 % on 200k samples */
	assert_true(fabs(sum / n - 10000) < 100);
	assert_true(fabs(sqrt(sq / n - (sum / n) * (sum / n)) - 10000) < 200);
	/* a gap never rounds to 0 */
	assert_int_equal(tw_send_exp_gap(s, 0), 1);
}

static void test_header_len(void **state)
{
	struct tw_send_stream st = base_stream(AF_INET, TW_SEND_LIGHT, TW_TEST_UNAUTH);

	(void)state;
	assert_int_equal(tw_send_header_len(&st), 14);
	st = base_stream(AF_INET, TW_SEND_LIGHT, TW_TEST_ENC);
	assert_int_equal(tw_send_header_len(&st), 48);
	st = base_stream(AF_INET, TW_SEND_STAMP, TW_TEST_UNAUTH);
	assert_int_equal(tw_send_header_len(&st), 44);
	st = base_stream(AF_INET, TW_SEND_STAMP, TW_TEST_AUTH);
	assert_int_equal(tw_send_header_len(&st), 112);
	st.mode = TW_TEST_ENC; /* STAMP has no encrypted mode */
	assert_int_equal(tw_send_header_len(&st), -EINVAL);
	st = base_stream(AF_INET, TW_SEND_LIGHT, TW_TEST_AUTH);
	st.layout.mode = TW_TEST_UNAUTH; /* layout and mode disagree */
	assert_int_equal(tw_send_header_len(&st), -EINVAL);
	assert_int_equal(tw_send_header_len(NULL), -EINVAL);
}

static void test_bad_streams(void **state)
{
	struct fx f;
	struct tw_send_stream st;
	uint32_t id;

	(void)state;
	fx_up(&f, "net_ring0", false, 0);
#define BAD(field_stmt)                                                         \
	do {                                                                    \
		st = base_stream(AF_INET, TW_SEND_LIGHT, TW_TEST_UNAUTH);       \
		field_stmt;                                                     \
		assert_int_equal(tw_send_stream_add(f.s, &st, &id), -EINVAL);   \
	} while (0)
	BAD(st.port = 1);
	BAD(st.family = AF_UNIX);
	BAD(st.dport = 0);
	BAD(st.dscp = 64);
	BAD(st.ecn = 4);
	BAD(st.vlan = 4095);
	BAD(st.padding = TW_SEND_PAD_MAX + 1);
	BAD(st.interval_ns = 0);
	BAD((st.count = 0, st.duration_ns = 0));
	BAD(st.sched = 7);
	BAD(st.dst_mac[0] = 1);
	BAD(st.proto = 9);
	BAD((st.proto = TW_SEND_STAMP, st.padding = 3, st.ssid = 1));
	BAD((st.proto = TW_SEND_STAMP, st.padding = 8, st.ssid = 0));
	BAD((st.proto = TW_SEND_STAMP, st.mode = TW_TEST_AUTH, st.stamp_key_len = 8));
	BAD((st.server_octets = 7, st.padding = 1));       /* RFC 6038 §5.1.2: 2 octets */
	BAD((st.proto = TW_SEND_STAMP, st.server_octets = 7, st.padding = 8, st.ssid = 1));
#undef BAD
	assert_int_equal(tw_send_stream_add(NULL, &st, &id), -EINVAL);
	assert_int_equal(tw_send_stream_stop(f.s, 3), -ENOENT);
	assert_int_equal(tw_send_stream_del(f.s, 99), -ENOENT);
	fx_down(&f);
}

/* Run the sender until stream @p id is DONE (bounded). */
static void run_until_done(struct fx *f, uint32_t id)
{
	struct tw_send_stream_stats ss;

	for (unsigned i = 0; i < 10000000; i++) {
		tw_send_poll(f->s);
		assert_int_equal(tw_send_stream_get(f->s, id, &ss), 0);
		if (ss.state == TW_SEND_S_DONE)
			return;
	}
	fail_msg("stream %u never finished", id);
}

/* One protocol/mode/family: frames on the wire decode and verify. With
 * @p lay the TWAMP options' layout (RFC 6038, 7750), with @p server_octets
 * the RFC 6038 Server octets that must open the padding. */
static void check_stream_x(enum tw_send_proto proto, enum tw_test_mode mode, int family,
			   uint32_t padding, const struct tw_test_layout *lay,
			   uint16_t server_octets)
{
	struct tw_send_stream st = base_stream(family, proto, mode);
	struct tw_send_rec rec[16];
	struct rte_mbuf *m[16];
	struct tw_send_stream_stats ss;
	struct tw_crypto_engine *e = tw_crypto_engine_create(TW_CRYPTO_IMPL_OPENSSL);
	struct tw_crypto_test *ct = NULL;
	struct tw_crypto_stamp *sk = NULL;
	struct fx f;
	uint32_t id;
	unsigned nr, nm = 0;
	int hl;

	assert_non_null(e);
	st.padding = padding;
	if (lay != NULL)
		st.layout = *lay;
	st.server_octets = server_octets;
	if (proto == TW_SEND_STAMP && padding != 0)
		st.ssid = 0x1234;
	hl = tw_send_header_len(&st);
	fx_up(&f, "net_ring0", false, 0);
	assert_int_equal(tw_send_stream_add(f.s, &st, &id), 0);
	run_until_done(&f, id);
	assert_int_equal(tw_send_stream_get(f.s, id, &ss), 0);
	assert_int_equal(ss.sent, 5);
	assert_int_equal(ss.tx_drop + ss.crypto_err, 0);
	assert_int_equal(ss.depart.count, 5);
	nr = tw_send_drain(f.s, rec, 16);
	assert_int_equal(nr, 5);
	while (nm < 5) {
		uint16_t k = rte_eth_rx_burst(f.pid, 0, m + nm, (uint16_t)(16 - nm));

		if (k == 0)
			break;
		nm += k;
	}
	assert_int_equal(nm, 5);
	if (proto != TW_SEND_STAMP && mode != TW_TEST_UNAUTH) {
		ct = tw_crypto_test_create(e, mode == TW_TEST_ENC ? TW_CRYPTO_TEST_ENC :
					   TW_CRYPTO_TEST_AUTH, &st.keys);
		assert_non_null(ct);
	}
	if (proto == TW_SEND_STAMP && mode == TW_TEST_AUTH) {
		sk = tw_crypto_stamp_create(st.stamp_key, st.stamp_key_len);
		assert_non_null(sk);
	}
	for (unsigned i = 0; i < nm; i++) {
		uint8_t *fr = rte_pktmbuf_mtod(m[i], uint8_t *);
		unsigned l3 = family == AF_INET ? 20 : 40, off = 14 + l3 + 8;
		uint8_t *pay = fr + off;
		size_t plen = rte_pktmbuf_data_len(m[i]) - off;

		assert_int_equal(plen, (size_t)hl + padding);
		assert_memory_equal(fr, nh_mac, 6);
		assert_int_equal(tw_get_be16(fr + 12), family == AF_INET ? 0x0800 : 0x86dd);
		if (family == AF_INET) {
			const struct rte_ipv4_hdr *ip = (const void *)(fr + 14);

			assert_int_equal(ip->type_of_service, 46 << 2 | 1);
			assert_int_equal(ip->time_to_live, 64);
			assert_int_equal(rte_raw_cksum(ip, 20), 0xffff); /* header checksum */
			assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, fr + 14 + 20), 0);
		} else {
			const struct rte_ipv6_hdr *ip = (const void *)(fr + 14);

			assert_int_equal((rte_be_to_cpu_32(ip->vtc_flow) >> 20) & 0xff, 46 << 2 | 1);
			assert_int_equal(ip->hop_limits, 64);
			assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, fr + 14 + 40), 0);
		}
		assert_int_equal(tw_get_be16(fr + 14 + l3), 40000);
		assert_int_equal(tw_get_be16(fr + 14 + l3 + 2), 862);
		if (ct != NULL)
			assert_int_equal(tw_crypto_test_verify(e, ct, TW_CRYPTO_PKT_SENDER, pay,
							       plen), 0);
		if (sk != NULL)
			assert_int_equal(tw_crypto_stamp_check(sk, pay, plen), 0);
		if (proto == TW_SEND_STAMP) {
			struct tw_stamp_sender d;
			int r = tw_proto_stamp_sender_decode(mode == TW_TEST_AUTH ? TW_STAMP_AUTH :
							     TW_STAMP_UNAUTH, pay, plen, &d);

			assert_int_equal(r, hl);
			assert_int_equal(d.seq, i);
			assert_int_equal(d.ts, rec[i].t1);
			assert_int_equal(d.ssid, st.ssid);
			assert_int_not_equal(d.errest, 0);
			if (padding != 0) { /* one Extra Padding TLV */
				struct tw_stamp_tlv_iter it;
				struct tw_stamp_tlv t;

				tw_proto_stamp_tlv_iter_init(&it, pay, plen, (size_t)hl);
				assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), 1);
				assert_int_equal(t.type, TW_STAMP_TLV_PADDING);
				assert_int_equal(t.len, padding - 4);
				assert_int_equal(tw_proto_stamp_tlv_next(&it, &t), 0);
			}
		} else {
			struct tw_test_sender d;

			assert_int_equal(tw_proto_test_sender_decode(&st.layout, pay, plen, &d),
					 (int)plen);
			assert_int_equal(d.seq, i);
			assert_int_equal(d.ts, rec[i].t1);
			assert_int_not_equal(d.errest, 0);
			if (server_octets != 0)
				assert_int_equal(tw_get_be16(pay + hl), server_octets);
		}
		assert_int_equal(rec[i].seq, i);
		assert_int_equal(rec[i].stream, id);
		if (i > 0)
			assert_true(rec[i].t1 >= rec[i - 1].t1);
	}
	rte_pktmbuf_free_bulk(m, nm);
	assert_int_equal(tw_send_stream_del(f.s, id), 0);
	assert_int_equal(tw_send_stream_get(f.s, id, &ss), -ENOENT);
	tw_crypto_test_destroy(ct);
	tw_crypto_stamp_destroy(sk);
	tw_crypto_engine_destroy(e);
	fx_down(&f);
}

static void check_stream(enum tw_send_proto proto, enum tw_test_mode mode, int family,
			 uint32_t padding)
{
	check_stream_x(proto, mode, family, padding, NULL, 0);
}

/* Full TWAMP with the negotiated options: the sender header grows with
 * Symmetrical Size (and DSCP-ECN), the Server octets open the padding. */
static void test_twamp_options(void **state)
{
	struct tw_test_layout l;

	(void)state;
	tw_proto_test_layout_init(&l, TW_TEST_UNAUTH, true, true, 16);
	assert_int_equal(l.sender_hdr, 42);
	check_stream_x(TW_SEND_TWAMP, TW_TEST_UNAUTH, AF_INET, 16, &l, 0x5a01);
	tw_proto_test_layout_init(&l, TW_TEST_AUTH, true, false, 0);
	assert_int_equal(l.sender_hdr, 112);
	check_stream_x(TW_SEND_TWAMP, TW_TEST_AUTH, AF_INET6, 0, &l, 0);
	tw_proto_test_layout_init(&l, TW_TEST_ENC, false, true, 8);
	check_stream_x(TW_SEND_TWAMP, TW_TEST_ENC, AF_INET, 72, &l, 0x0102);
}

static void test_light_modes(void **state)
{
	(void)state;
	for (int fam = 0; fam < 2; fam++) {
		int af = fam ? AF_INET6 : AF_INET;

		check_stream(TW_SEND_LIGHT, TW_TEST_UNAUTH, af, 0);
		check_stream(TW_SEND_LIGHT, TW_TEST_UNAUTH, af, 27);
		check_stream(TW_SEND_LIGHT, TW_TEST_AUTH, af, 64);
		check_stream(TW_SEND_LIGHT, TW_TEST_ENC, af, 64);
		check_stream(TW_SEND_TWAMP, TW_TEST_ENC, af, 1001); /* odd tail */
		check_stream(TW_SEND_OWAMP, TW_TEST_AUTH, af, 0);
	}
}

static void test_stamp_modes(void **state)
{
	(void)state;
	for (int fam = 0; fam < 2; fam++) {
		int af = fam ? AF_INET6 : AF_INET;

		check_stream(TW_SEND_STAMP, TW_TEST_UNAUTH, af, 0);
		check_stream(TW_SEND_STAMP, TW_TEST_UNAUTH, af, 33);
		check_stream(TW_SEND_STAMP, TW_TEST_AUTH, af, 0);
		check_stream(TW_SEND_STAMP, TW_TEST_AUTH, af, 16);
	}
}

/* An 802.1Q stream: the tag follows the MACs, the IP header and the UDP
 * checksum are right behind it. */
static void test_vlan_frame(void **state)
{
	struct tw_send_stream st = base_stream(AF_INET6, TW_SEND_LIGHT, TW_TEST_ENC);
	struct rte_mbuf *m[8];
	struct fx f;
	uint32_t id;
	uint16_t n;
	uint8_t *fr;

	(void)state;
	fx_up(&f, "net_ring0", false, 0);
	st.vlan = 100;
	st.count = 1;
	st.padding = 64;
	assert_int_equal(tw_send_stream_add(f.s, &st, &id), 0);
	run_until_done(&f, id);
	n = rte_eth_rx_burst(f.pid, 0, m, 8);
	assert_int_equal(n, 1);
	fr = rte_pktmbuf_mtod(m[0], uint8_t *);
	assert_int_equal(rte_pktmbuf_data_len(m[0]), 18 + 40 + 8 + 48 + 64);
	assert_int_equal(tw_get_be16(fr + 12), 0x8100);
	assert_int_equal(tw_get_be16(fr + 14) & 0x0fff, 100);
	assert_int_equal(tw_get_be16(fr + 16), 0x86dd);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify((const void *)(fr + 18), fr + 18 + 40), 0);
	rte_pktmbuf_free_bulk(m, n);
	fx_down(&f);
}

static void drain_port(uint16_t pid)
{
	struct rte_mbuf *m[32];
	uint16_t k;

	while ((k = rte_eth_rx_burst(pid, 0, m, 32)) != 0)
		rte_pktmbuf_free_bulk(m, k);
}

/* Records the control thread has not drained hold the sender back. */
static void test_record_ring_backpressure(void **state)
{
	struct tw_send_stream st = base_stream(AF_INET, TW_SEND_LIGHT, TW_TEST_UNAUTH);
	struct tw_send_stream_stats ss;
	struct tw_send_rec rec[64];
	struct fx f;
	uint32_t id, got = 0;

	(void)state;
	fx_up(&f, "net_ring0", false, 8);
	st.count = 40;
	assert_int_equal(tw_send_stream_add(f.s, &st, &id), 0);
	for (unsigned i = 0; i < 100000; i++)
		tw_send_poll(f.s);
	assert_int_equal(tw_send_stream_get(f.s, id, &ss), 0);
	assert_int_equal(ss.sent, 8); /* stopped at the ring size */
	assert_true(ss.stalls > 0);
	assert_int_equal(ss.state, TW_SEND_S_RUNNING);
	for (unsigned i = 0; i < 10000000 && got < 40; i++) {
		unsigned n = tw_send_drain(f.s, rec, 64);

		for (unsigned k = 0; k < n; k++)
			assert_int_equal(rec[k].seq, got + k);
		got += n;
		tw_send_poll(f.s);
		drain_port(f.pid);
	}
	assert_int_equal(got, 40);
	assert_int_equal(tw_send_stream_get(f.s, id, &ss), 0);
	assert_int_equal(ss.sent, 40);
	fx_down(&f);
}

/* Stop and delete; duration-bound streams; Poisson streams end by count. */
static void test_stop_del_duration(void **state)
{
	struct tw_send_stream st = base_stream(AF_INET, TW_SEND_LIGHT, TW_TEST_UNAUTH);
	struct tw_send_stream_stats ss;
	struct tw_send_stats tot;
	struct fx f;
	uint32_t a, b, c, d;

	(void)state;
	fx_up(&f, "net_ring0", false, 0);
	st.count = 0;
	st.duration_ns = 3600ull * 1000000000u;
	st.interval_ns = 1000000000u; /* one a second: it runs for the whole test */
	assert_int_equal(tw_send_stream_add(f.s, &st, &a), 0);
	tw_send_poll(f.s);
	assert_int_equal(tw_send_stream_get(f.s, a, &ss), 0);
	assert_int_equal(ss.state, TW_SEND_S_RUNNING);
	assert_int_equal(ss.sent, 1); /* periodic: the first at the start */
	assert_int_equal(tw_send_stream_del(f.s, a), -EBUSY);
	assert_int_equal(tw_send_stream_stop(f.s, a), 0);
	tw_send_poll(f.s);
	assert_int_equal(tw_send_stream_get(f.s, a, &ss), 0);
	assert_int_equal(ss.state, TW_SEND_S_DONE);
	assert_int_equal(tw_send_stream_stop(f.s, a), 0); /* already done: fine */

	st.duration_ns = 2000000; /* 2 ms at 100 µs: 20 packets */
	st.interval_ns = 100000;
	assert_int_equal(tw_send_stream_add(f.s, &st, &b), 0);
	st.sched = TW_SEND_POISSON;
	st.count = 50;
	st.duration_ns = 0;
	st.interval_ns = 2000;
	st.seed = 42;
	assert_int_equal(tw_send_stream_add(f.s, &st, &c), 0);
	run_until_done(&f, b);
	run_until_done(&f, c);
	drain_port(f.pid);
	/* the RFC 4656 §5 schedule (lib/control tw_sched keyed with a SID) */
	st.rfc4656_sched = true;
	memset(st.sid, 0x5a, sizeof(st.sid));
	assert_int_equal(tw_send_stream_add(f.s, &st, &d), 0);
	run_until_done(&f, d);
	drain_port(f.pid);
	assert_int_equal(tw_send_stream_get(f.s, d, &ss), 0);
	assert_int_equal(ss.sent, 50);
	assert_int_equal(tw_send_stream_del(f.s, d), 0);
	assert_int_equal(tw_send_stream_get(f.s, b, &ss), 0);
	assert_int_equal(ss.sent, 20);
	assert_int_equal(tw_send_stream_get(f.s, c, &ss), 0);
	assert_int_equal(ss.sent, 50);
	assert_int_equal(tw_send_stats_get(f.s, &tot), 0);
	assert_int_equal(tot.sent, 121);
	assert_int_equal(tot.streams_added, 4);
	assert_int_equal(tw_send_stream_del(f.s, a), 0);
	assert_int_equal(tw_send_stream_del(f.s, b), 0);
	assert_int_equal(tw_send_stats_get(f.s, &tot), 0);
	assert_int_equal(tot.sent, 121); /* deleted streams still count */
	assert_int_equal(tot.depart.count, 121);
	fx_down(&f);
}

/* net_null offers spare queues: the sender gets its own (dedicated lcore mode). */
static void test_sender_queue(void **state)
{
	struct tw_send_stream st = base_stream(AF_INET6, TW_SEND_STAMP, TW_TEST_UNAUTH);
	struct tw_send_stream_stats ss;
	struct tw_send_conf sc = { .max_streams = 2 };
	struct tw_send *s2;
	struct fx f;
	uint32_t id;

	(void)state;
	fx_up(&f, "net_null0", true, 0);
	assert_int_equal(tw_dp_sender_txq(f.dp, 0), 1);
	assert_int_equal(tw_dp_sender_txq(f.dp, 1), -EINVAL);
	assert_int_equal(tw_send_attach(f.s, f.dp, true), -EBUSY);
	s2 = tw_send_create(&sc);
	assert_non_null(s2);
	assert_int_equal(tw_send_attach(s2, f.dp, false), -EBUSY); /* started */
	tw_send_destroy(s2);
	st.count = 1000;
	st.interval_ns = 100;
	assert_int_equal(tw_send_stream_add(f.s, &st, &id), 0);
	run_until_done(&f, id);
	assert_int_equal(tw_send_stream_get(f.s, id, &ss), 0);
	assert_int_equal(ss.sent + ss.tx_drop, 1000);
	fx_down(&f);
}

static void test_create_errors(void **state)
{
	struct tw_send_conf c = { .max_streams = 0 };

	(void)state;
	assert_null(tw_send_create(NULL));
	assert_null(tw_send_create(&c));
	c.max_streams = 4;
	c.ring_size = 1000;
	assert_null(tw_send_create(&c));
	assert_int_equal(rte_errno, EINVAL);
	tw_send_destroy(NULL);
	assert_int_equal(tw_send_attach(NULL, NULL, false), -EINVAL);
	assert_int_equal(tw_send_poll(NULL), 0);
	assert_int_equal(tw_send_main(NULL), -EINVAL);
}

/* ---- outbound IPsec (lib/ipsec, the real one) ---- */

static uint64_t ops_gen(void *arg)
{
	return tw_ipsec_generation(arg);
}

static void *ops_lookup(void *arg, const struct tw_send_sa *sa)
{
	return tw_ipsec_dp_sa(arg, TW_IPSEC_ESP, sa->spi, sa->ipv, sa->dst);
}

static uint16_t ops_protect(void *arg, unsigned worker, struct rte_mbuf **pkts, void *sa[],
			    uint16_t n)
{
	return tw_ipsec_dp_protect(arg, worker, pkts, sa, n);
}

/* Outbound SA @p spi 198.18.0.1 -> .2 (AES-CBC-128, HMAC-SHA2-256-128,
 * tunnel) and, in the same table, its far end as an inbound SA. */
static void sa_pair(struct tw_ipsec *ctx, uint32_t spi)
{
	struct tw_ipsec_sa_conf c = { .spi = spi, .dir = TW_IPSEC_OUT, .proto = TW_IPSEC_ESP,
				      .mode = TW_IPSEC_TUNNEL, .ipv = 4,
				      .cipher = TW_IPSEC_CIPHER_AES_CBC_128, .cipher_key_len = 16,
				      .auth = TW_IPSEC_AUTH_HMAC_SHA256_128, .auth_key_len = 32 };

	memcpy(c.src, "\xc6\x12\x00\x01", 4);
	memcpy(c.dst, "\xc6\x12\x00\x02", 4);
	memset(c.cipher_key, (int)spi, 16);
	memset(c.auth_key, 0x5a, 32);
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), 0);
	c.dir = TW_IPSEC_IN;
	c.replay_window = 64;
	assert_int_equal(tw_ipsec_sa_add(ctx, &c), 0);
}

static uint32_t be32_(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Every frame on the wire is ESP with SPI @p spi; decrypted by the far
 * end's SA it is the TWAMP Light packet with the next sequence number. */
static void expect_esp(struct fx *f, struct tw_ipsec *ctx, uint32_t spi, unsigned n,
		       uint32_t *seq)
{
	struct rte_mbuf *m[16];
	unsigned nm = 0;

	while (nm < n) {
		uint16_t k = rte_eth_rx_burst(f->pid, 0, m + nm, (uint16_t)(16 - nm));

		if (k == 0)
			break;
		nm += k;
	}
	assert_int_equal(nm, n);
	for (unsigned i = 0; i < nm; i++) {
		const uint8_t *fr = rte_pktmbuf_mtod(m[i], const uint8_t *);
		uint8_t verdict[1];
		void *reply[1];

		assert_int_equal(fr[23], 50);              /* ESP (RFC 4303) */
		assert_int_equal(be32_(fr + 34), spi);
		m[i]->l2_len = 14;
		m[i]->l3_len = 20;
		assert_int_equal(tw_ipsec_dp_inbound(ctx, 0, &m[i], 1, verdict, reply), 1);
		fr = rte_pktmbuf_mtod(m[i], const uint8_t *);
		assert_int_equal(fr[23], 17);              /* the inner UDP packet */
		assert_int_equal(fr[36], 862 >> 8);
		assert_int_equal(fr[37], 862 & 0xff);
		assert_int_equal(be32_(fr + 42), (*seq)++);
		assert_int_equal(rte_ipv4_udptcp_cksum_verify((const void *)(fr + 14),
							      fr + 34), 0);
		rte_pktmbuf_free(m[i]);
	}
}

static void test_ipsec_stream(void **state)
{
	const struct tw_send_ipsec_ops ops = { .generation = ops_gen, .lookup = ops_lookup,
					       .protect = ops_protect };
	struct tw_send_ipsec_ops half = ops;
	size_t qs = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *q = rte_zmalloc("q", qs, RTE_CACHE_LINE_SIZE);
	struct tw_ipsec_conf ic = { .n_workers = 1, .qsbr = q, .socket = SOCKET_ID_ANY,
				    .name = "snd" };
	struct tw_send_sa sa = { .spi = 0x4001, .ipv = 4, .dst = { 198, 18, 0, 2 } };
	struct tw_send_stream st = base_stream(AF_INET, TW_SEND_LIGHT, TW_TEST_UNAUTH);
	struct tw_send_stream_stats ss;
	struct tw_send_rec rec[16];
	struct rte_mbuf *m[4];
	struct tw_ipsec *ctx;
	struct fx f;
	uint32_t id, id2, plain, seq = 0;

	(void)state;
	assert_non_null(q);
	assert_int_equal(rte_rcu_qsbr_init(q, 1), 0);
	ctx = tw_ipsec_create(&ic);
	assert_non_null(ctx);
	fx_up(&f, "net_ring0", false, 0);
	half.protect = NULL;
	assert_int_equal(tw_send_set_ipsec(f.s, &half, ctx), -EINVAL);
	/* an IPsec stream without the hook: refused */
	st.ipsec = true;
	st.sa = sa;
	assert_int_equal(tw_send_stream_add(f.s, &st, &id), -ENOTSUP);
	st.sa.spi = 255;   /* RFC 4303 §2.1: reserved */
	assert_int_equal(tw_send_stream_add(f.s, &st, &id), -EINVAL);
	st.sa = sa;
	assert_int_equal(tw_send_set_ipsec(f.s, &ops, ctx), 0);

	/* no SA yet: the stream waits, nothing leaves in the clear */
	assert_int_equal(tw_send_stream_add(f.s, &st, &id), 0);
	for (unsigned i = 0; i < 1000; i++)
		tw_send_poll(f.s);
	assert_int_equal(tw_send_stream_get(f.s, id, &ss), 0);
	assert_int_equal(ss.sent, 0);
	assert_true(ss.no_sa > 0);
	assert_int_equal(rte_eth_rx_burst(f.pid, 0, m, 4), 0);
	assert_int_equal(tw_send_set_ipsec(f.s, &ops, ctx), -EBUSY);

	/* the SA appears (the generation changes): all five go, as ESP */
	sa_pair(ctx, 0x4001);
	run_until_done(&f, id);
	assert_int_equal(tw_send_stream_get(f.s, id, &ss), 0);
	assert_int_equal(ss.sent, 5);
	assert_int_equal(ss.ipsec, 5);
	assert_int_equal(ss.crypto_err + ss.tx_drop, 0);
	assert_int_equal(tw_send_drain(f.s, rec, 16), 5);
	expect_esp(&f, ctx, 0x4001, 5, &seq);

	/* another SA named while it runs (a rekey): the packets follow it */
	sa_pair(ctx, 0x4002);
	st.count = 4;
	assert_int_equal(tw_send_stream_add(f.s, &st, &id2), 0);
	sa.spi = 0x4002;
	assert_int_equal(tw_send_stream_set_sa(f.s, id2, &sa), 0);
	run_until_done(&f, id2);
	assert_int_equal(tw_send_drain(f.s, rec, 16), 4);
	seq = 0;
	expect_esp(&f, ctx, 0x4002, 4, &seq);
	/* set_sa: only IPsec streams, valid SAs, existing streams */
	st.ipsec = false;
	assert_int_equal(tw_send_stream_add(f.s, &st, &plain), 0);
	assert_int_equal(tw_send_stream_set_sa(f.s, plain, &sa), -EINVAL);
	sa.spi = 7;
	assert_int_equal(tw_send_stream_set_sa(f.s, id2, &sa), -EINVAL);
	assert_int_equal(tw_send_stream_set_sa(f.s, 77, &sa), -ENOENT);
	run_until_done(&f, plain);
	assert_int_equal(tw_send_stream_get(f.s, plain, &ss), 0);
	assert_int_equal(ss.ipsec, 0);
	fx_down(&f);
	tw_ipsec_destroy(ctx);
	rte_free(q);
}

int main(void)
{
	char *eal[] = { "test_send", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0", "--log-level=*:crit" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exp_gap_mean),
		cmocka_unit_test(test_header_len),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_bad_streams),
		cmocka_unit_test(test_light_modes),
		cmocka_unit_test(test_twamp_options),
		cmocka_unit_test(test_stamp_modes),
		cmocka_unit_test(test_vlan_frame),
		cmocka_unit_test(test_record_ring_backpressure),
		cmocka_unit_test(test_stop_del_duration),
		cmocka_unit_test(test_sender_queue),
		cmocka_unit_test(test_ipsec_stream),
	};
	int rc;

	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tw_test_eal_cleanup();
	return rc;
}
