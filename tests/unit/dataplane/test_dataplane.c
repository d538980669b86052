/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/dataplane without EAL: the frame classifier and the TSC -> NTP clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include <cmocka.h>

#include "tw_dp_clock.h"
#include "tw_dp_hist.h"
#include "tw_dp_parse.h"

/* ------------------------------------------------------------------ */
/* frames                                                              */

static uint64_t owned_map[65536 / 64];

static const uint8_t OUR_V4[4] = { 198, 18, 0, 1 };
static const uint8_t PEER_V4[4] = { 198, 18, 0, 2 };
static const uint8_t OUR_V6[16] = { 0x20, 0x01, 0, 2, [15] = 1 };
static const uint8_t PEER_V6[16] = { 0x20, 0x01, 0, 2, [15] = 2 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static struct tw_dp_match match(uint16_t vlan)
{
	struct tw_dp_match m = { .vlan = vlan, .n_v4 = 1, .n_v6 = 1,
				 .udp_owned = owned_map };

	memcpy(m.v4[0], OUR_V4, 4);
	memcpy(m.v6[0], OUR_V6, 16);
	return m;
}

/* Ethernet (+ VLAN) header; returns its length. */
static size_t eth(uint8_t *f, uint16_t vlan, uint16_t type)
{
	memset(f, 0xaa, 12);
	if (vlan != 0) {
		put16(f + 12, 0x8100);
		put16(f + 14, vlan);
		put16(f + 16, type);
		return 18;
	}
	put16(f + 12, type);
	return 14;
}

/* Eth / IPv4 (IHL words) / UDP with @payload octets; valid checksum. */
static size_t udp4(uint8_t *f, uint16_t vlan, unsigned ihl, uint16_t dport,
		   const uint8_t *dst, size_t payload)
{
	size_t l2 = eth(f, vlan, 0x0800), hl = ihl * 4;
	uint8_t *ip = f + l2, *u = ip + hl;
	uint16_t sum;

	memset(ip, 0, hl);
	ip[0] = (uint8_t)(0x40 | ihl);
	put16(ip + 2, (uint16_t)(hl + 8 + payload));
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, PEER_V4, 4);
	memcpy(ip + 16, dst, 4);
	sum = tw_dp_ipv4_hdr_sum(ip, (unsigned)hl);
	put16(ip + 10, sum);
	put16(u, 40000);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + payload));
	put16(u + 6, 0);
	memset(u + 8, 0x5a, payload);
	put16(u + 6, tw_dp_udp_sum(ip, 4, u, (uint32_t)(8 + payload)));
	return l2 + hl + 8 + payload;
}

static size_t udp6(uint8_t *f, uint16_t vlan, uint8_t nh, uint16_t dport,
		   const uint8_t *dst, size_t payload)
{
	size_t l2 = eth(f, vlan, 0x86dd);
	uint8_t *ip = f + l2, *u = ip + 40;

	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)(8 + payload));
	ip[6] = nh;
	ip[7] = 255;
	memcpy(ip + 8, PEER_V6, 16);
	memcpy(ip + 24, dst, 16);
	put16(u, 40000);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + payload));
	put16(u + 6, 0);
	memset(u + 8, 0x5a, payload);
	put16(u + 6, tw_dp_udp_sum(ip, 6, u, (uint32_t)(8 + payload)));
	return l2 + 40 + 8 + payload;
}

static int setup_owned(void **state)
{
	(void)state;
	memset(owned_map, 0, sizeof(owned_map));
	owned_map[862 >> 6] |= 1ull << (862 & 63);
	owned_map[65535 >> 6] |= 1ull << (65535 & 63);
	return 0;
}

static enum tw_dp_class classify(const struct tw_dp_match *m, const uint8_t *f,
				 size_t len, unsigned flags, struct tw_dp_l34 *l)
{
	return tw_dp_parse(m, f, (uint32_t)len, flags, l);
}

/* ---- IPv4 ---- */

static void test_v4_owned(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 5, 862, OUR_V4, 41);
	struct tw_dp_l34 l;

	(void)state;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
	assert_int_equal(l.l2_len, 14);
	assert_int_equal(l.l3_len, 20);
	assert_int_equal(l.ipv, 4);
	assert_int_equal(l.ttl, 64);
	assert_int_equal(l.proto, 17);
	assert_int_equal(l.sport, 40000);
	assert_int_equal(l.dport, 862);
	assert_int_equal(l.udp_len, 49);
	assert_int_equal(l.ether_type, 0x0800);
	assert_int_equal(l.vlan, 0);
}

static void test_v4_port_65535_owned(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 5, 65535, OUR_V4, 0);
	struct tw_dp_l34 l;

	(void)state;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
}

static void test_v4_port_not_owned(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 5, 863, OUR_V4, 20);
	struct tw_dp_l34 l;

	(void)state;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_EXCEPTION);
	assert_int_equal(l.dport, 863);
	/* IKE never belongs to the fast path */
	n = udp4(f, 0, 5, 500, OUR_V4, 20);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_EXCEPTION);
	n = udp4(f, 0, 5, 4500, OUR_V4, 20);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_EXCEPTION);
}

static void test_v4_not_our_address(void **state)
{
	static const uint8_t bcast[4] = { 198, 18, 0, 255 };
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 5, 862, bcast, 20);
	struct tw_dp_l34 l;

	(void)state;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_EXCEPTION);
}

static void test_v4_second_address(void **state)
{
	static const uint8_t other[4] = { 198, 19, 7, 7 };
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 5, 862, other, 20);
	struct tw_dp_l34 l;

	(void)state;
	memcpy(m.v4[1], other, 4);
	m.n_v4 = 2;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
}

static void test_v4_no_owned_map(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 5, 862, OUR_V4, 20);
	struct tw_dp_l34 l;

	(void)state;
	m.udp_owned = NULL;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_EXCEPTION);
}

static void test_v4_options(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 6, 862, OUR_V4, 20);
	struct tw_dp_l34 l;

	(void)state;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
	assert_int_equal(l.l3_len, 24);
	assert_int_equal(l.udp_len, 28);
}

static void test_v4_ethernet_padding(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256] = { 0 };
	struct tw_dp_l34 l;

	(void)state;
	udp4(f, 0, 5, 862, OUR_V4, 2); /* 44 octets, padded to 60 on the wire */
	assert_int_equal(classify(&m, f, 60, 0, &l), TW_DP_CLS_OWNED);
	assert_int_equal(l.udp_len, 10);
}

static void test_v4_bad_cksum(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 5, 862, OUR_V4, 20);
	struct tw_dp_l34 l;

	(void)state;
	f[14 + 10] ^= 0x01;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L3_CKSUM);
	/* the NIC's word counts when it gives one */
	assert_int_equal(classify(&m, f, n, TW_DP_PARSE_L3_CKSUM_GOOD, &l), TW_DP_CLS_OWNED);
	f[14 + 10] ^= 0x01;
	assert_int_equal(classify(&m, f, n, TW_DP_PARSE_L3_CKSUM_BAD, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L3_CKSUM);
}

static void test_v4_fragments_to_kernel(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 5, 862, OUR_V4, 20);
	struct tw_dp_l34 l;

	(void)state;
	f[14 + 6] = 0x20; /* MF */
	assert_int_equal(classify(&m, f, n, TW_DP_PARSE_L3_CKSUM_GOOD, &l),
			 TW_DP_CLS_EXCEPTION);
	f[14 + 6] = 0x00;
	f[14 + 7] = 0x10; /* offset 16 */
	assert_int_equal(classify(&m, f, n, TW_DP_PARSE_L3_CKSUM_GOOD, &l),
			 TW_DP_CLS_EXCEPTION);
	f[14 + 6] = 0x40; /* DF alone is fine */
	f[14 + 7] = 0x00;
	assert_int_equal(classify(&m, f, n, TW_DP_PARSE_L3_CKSUM_GOOD, &l),
			 TW_DP_CLS_OWNED);
}

static void test_v4_other_protocols(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 5, 862, OUR_V4, 20);
	struct tw_dp_l34 l;
	static const uint8_t protos[] = { 1, 6, 50, 51, 47 };

	(void)state;
	for (size_t i = 0; i < sizeof(protos); i++) {
		f[14 + 9] = protos[i];
		assert_int_equal(classify(&m, f, n, TW_DP_PARSE_L3_CKSUM_GOOD, &l),
				 TW_DP_CLS_EXCEPTION);
		assert_int_equal(l.proto, protos[i]);
	}
}

static void test_v4_truncated_header(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	struct tw_dp_l34 l;

	(void)state;
	udp4(f, 0, 5, 862, OUR_V4, 20);
	assert_int_equal(classify(&m, f, 14 + 19, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L3_TRUNC);
}

static void test_v4_bad_ihl_version_length(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 5, 862, OUR_V4, 20);
	struct tw_dp_l34 l;

	(void)state;
	f[14] = 0x44; /* IHL 4 */
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L3_TRUNC);
	f[14] = 0x65; /* version 6 in an IPv4 EtherType */
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	f[14] = 0x4f; /* IHL 15: 60 octets, more than the packet's 48 */
	put16(f + 14 + 2, 48);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	f[14] = 0x45;
	put16(f + 14 + 2, (uint16_t)(n - 14 + 1)); /* total length past the frame */
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L3_TRUNC);
	put16(f + 14 + 2, 19); /* total length below the header */
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L3_TRUNC);
}

static void test_v4_udp_lengths(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 5, 862, OUR_V4, 20);
	struct tw_dp_l34 l;

	(void)state;
	put16(f + 34 + 4, 7);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L4_TRUNC);
	put16(f + 34 + 4, 29); /* one past the IP payload */
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L4_TRUNC);
	put16(f + 34 + 4, 20); /* shorter than the IP payload: trailing octets */
	assert_int_equal(classify(&m, f, n, TW_DP_PARSE_L4_CKSUM_GOOD, &l), TW_DP_CLS_OWNED);
	assert_int_equal(l.udp_len, 20);
}

static void test_v4_ip_payload_below_udp_header(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	struct tw_dp_l34 l;

	(void)state;
	udp4(f, 0, 5, 862, OUR_V4, 0);
	put16(f + 14 + 2, 27);
	f[14 + 10] = 0;
	f[14 + 11] = 0;
	put16(f + 14 + 10, tw_dp_ipv4_hdr_sum(f + 14, 20));
	assert_int_equal(classify(&m, f, 14 + 27, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L4_TRUNC);
}

static void test_v4_every_truncation(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 5, 862, OUR_V4, 30);
	struct tw_dp_l34 l;

	(void)state;
	for (size_t len = 0; len < n; len++) {
		enum tw_dp_class c = classify(&m, f, len, 0, &l);

		assert_int_equal(c, TW_DP_CLS_DROP);
		assert_true(l.drop == TW_DP_DROP_RUNT || l.drop == TW_DP_DROP_L3_TRUNC);
	}
}

/* ---- IPv6 ---- */

static void test_v6_owned(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp6(f, 0, 17, 862, OUR_V6, 41);
	struct tw_dp_l34 l;

	(void)state;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
	assert_int_equal(l.l2_len, 14);
	assert_int_equal(l.l3_len, 40);
	assert_int_equal(l.ipv, 6);
	assert_int_equal(l.ttl, 255);
	assert_int_equal(l.udp_len, 49);
	assert_int_equal(l.dport, 862);
}

static void test_v6_not_ours(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	struct tw_dp_l34 l;
	size_t n = udp6(f, 0, 17, 862, PEER_V6, 20);

	(void)state;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_EXCEPTION);
	n = udp6(f, 0, 17, 9, OUR_V6, 20);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_EXCEPTION);
}

static void test_v6_ext_headers_and_icmp(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	struct tw_dp_l34 l;
	static const uint8_t nhs[] = { 0, 43, 44, 58, 6, 50 };

	(void)state;
	for (size_t i = 0; i < sizeof(nhs); i++) {
		size_t n = udp6(f, 0, nhs[i], 862, OUR_V6, 20);

		assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_EXCEPTION);
		assert_int_equal(l.proto, nhs[i]);
	}
}

static void test_v6_truncated(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp6(f, 0, 17, 862, OUR_V6, 20);
	struct tw_dp_l34 l;

	(void)state;
	for (size_t len = 14; len < n; len++) {
		assert_int_equal(classify(&m, f, len, 0, &l), TW_DP_CLS_DROP);
		assert_int_equal(l.drop, TW_DP_DROP_L3_TRUNC);
	}
	f[14] = 0x40;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L3_TRUNC);
}

static void test_v6_udp_lengths(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp6(f, 0, 17, 862, OUR_V6, 20);
	struct tw_dp_l34 l;

	(void)state;
	put16(f + 54 + 4, 29);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L4_TRUNC);
	put16(f + 14 + 4, 7); /* IPv6 payload shorter than a UDP header */
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L4_TRUNC);
}

/* ---- Ethernet / VLAN ---- */

static void test_runt(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[64] = { 0 };
	struct tw_dp_l34 l;

	(void)state;
	for (size_t len = 0; len < 14; len++) {
		assert_int_equal(classify(&m, f, len, 0, &l), TW_DP_CLS_DROP);
		assert_int_equal(l.drop, TW_DP_DROP_RUNT);
	}
}

static void test_arp_and_other_types_to_kernel(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[64] = { 0 };
	struct tw_dp_l34 l;
	static const uint16_t types[] = { 0x0806, 0x88cc, 0x8863, 0x888e };

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		eth(f, 0, types[i]);
		assert_int_equal(classify(&m, f, 60, 0, &l), TW_DP_CLS_EXCEPTION);
		assert_int_equal(l.ether_type, types[i]);
		assert_int_equal(l.ipv, 0);
	}
}

static void test_vlan_owned(void **state)
{
	struct tw_dp_match m = match(100);
	uint8_t f[256];
	size_t n = udp4(f, 100, 5, 862, OUR_V4, 20);
	struct tw_dp_l34 l;

	(void)state;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
	assert_int_equal(l.l2_len, 18);
	assert_int_equal(l.vlan, 100);
	/* PCP bits do not change the VID */
	f[14] |= 0xe0;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
	n = udp6(f, 100, 17, 862, OUR_V6, 20);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
	assert_int_equal(l.l2_len, 18);
}

static void test_vlan_mismatch(void **state)
{
	struct tw_dp_match tagged = match(100), untagged = match(0);
	uint8_t f[256];
	struct tw_dp_l34 l;
	size_t n;

	(void)state;
	n = udp4(f, 200, 5, 862, OUR_V4, 20);
	assert_int_equal(classify(&tagged, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_VLAN);
	n = udp4(f, 0, 5, 862, OUR_V4, 20);
	assert_int_equal(classify(&tagged, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_VLAN);
	n = udp4(f, 100, 5, 862, OUR_V4, 20);
	assert_int_equal(classify(&untagged, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_VLAN);
	/* priority tag (VID 0) on an untagged port: still a tag */
	n = udp4(f, 0, 5, 862, OUR_V4, 20);
	memmove(f + 18, f + 14, n - 14);
	put16(f + 12, 0x8100);
	put16(f + 14, 0x2000);
	assert_int_equal(classify(&untagged, f, n + 4, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_VLAN);
}

static void test_vlan_runt_and_arp(void **state)
{
	struct tw_dp_match m = match(100);
	uint8_t f[64] = { 0 };
	struct tw_dp_l34 l;

	(void)state;
	eth(f, 100, 0x0806);
	for (size_t len = 14; len < 18; len++) {
		assert_int_equal(classify(&m, f, len, 0, &l), TW_DP_CLS_DROP);
		assert_int_equal(l.drop, TW_DP_DROP_RUNT);
	}
	assert_int_equal(classify(&m, f, 60, 0, &l), TW_DP_CLS_EXCEPTION);
	assert_int_equal(l.ether_type, 0x0806);
}

static void test_owned_map_helper(void **state)
{
	(void)state;
	assert_true(tw_dp_port_is_owned(owned_map, 862));
	assert_false(tw_dp_port_is_owned(owned_map, 861));
	assert_false(tw_dp_port_is_owned(owned_map, 863));
	assert_true(tw_dp_port_is_owned(owned_map, 65535));
	assert_false(tw_dp_port_is_owned(owned_map, 0));
	assert_false(tw_dp_port_is_owned(NULL, 862));
}

static void test_ipv4_hdr_sum_known_answer(void **state)
{
	/* a captured header whose checksum field (0xb861) is correct */
	static const uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
				       0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01,
				       0xc0, 0xa8, 0x00, 0xc7 };
	uint8_t z[20];

	(void)state;
	assert_int_equal(tw_dp_ipv4_hdr_sum(h, 20), 0);
	memcpy(z, h, 20);
	z[10] = z[11] = 0;
	assert_int_equal(tw_dp_ipv4_hdr_sum(z, 20), 0xb861);
}

/* Known answers, cross-checked with scapy: 198.18.0.2 / 2001:2::2 port 40000 ->
 * .1 / ::1 port 862, payload "hello". */
static void test_udp_sum_known_answer(void **state)
{
	uint8_t ip4[20] = { 0x45, [9] = 17, [12] = 198, 18, 0, 2, 198, 18, 0, 1 };
	uint8_t ip6[40] = { 0x60, [6] = 17, [8] = 0x20, 0x01, 0, 2, [23] = 2,
			    [24] = 0x20, 0x01, 0, 2, [39] = 1 };
	uint8_t u[13] = { 0x9c, 0x40, 0x03, 0x5e, 0, 13, 0, 0, 'h', 'e', 'l', 'l', 'o' };

	(void)state;
	assert_int_equal(tw_dp_udp_sum(ip4, 4, u, 13), 0x903b);
	assert_int_equal(tw_dp_udp_sum(ip6, 6, u, 13), 0xdc5a);
	put16(u + 6, 0x903b);
	assert_int_equal(tw_dp_udp_sum(ip4, 4, u, 13), 0);
	put16(u + 6, 0xdc5a);
	assert_int_equal(tw_dp_udp_sum(ip6, 6, u, 13), 0);
}

static void test_v4_udp_cksum(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 5, 862, OUR_V4, 41); /* odd length */
	struct tw_dp_l34 l;

	(void)state;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
	f[n - 1] ^= 0x40;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L4_CKSUM);
	assert_int_equal(classify(&m, f, n, TW_DP_PARSE_L4_CKSUM_GOOD, &l), TW_DP_CLS_OWNED);
	/* RFC 768: zero means "no checksum" over IPv4 */
	put16(f + 34 + 6, 0);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
	assert_int_equal(classify(&m, f, n, TW_DP_PARSE_L4_CKSUM_BAD, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L4_CKSUM);
}

static void test_udp_cksum_not_ours_to_kernel(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp4(f, 0, 5, 9999, OUR_V4, 20);
	struct tw_dp_l34 l;

	(void)state;
	f[n - 1] ^= 1; /* the kernel judges (and counts) it */
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_EXCEPTION);
}

static void test_v6_udp_cksum(void **state)
{
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	size_t n = udp6(f, 0, 17, 862, OUR_V6, 41);
	struct tw_dp_l34 l;

	(void)state;
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
	f[14 + 8] ^= 0x01; /* source address is covered by the pseudo-header */
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L4_CKSUM);
	f[14 + 8] ^= 0x01;
	/* RFC 8200 §8.1: a zero UDP checksum over IPv6 is discarded */
	put16(f + 54 + 6, 0);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_L4_CKSUM);
}

/* ---- the source a reply would go to ---- */

/* Rewrite the IPv4 source of a udp4() frame (no VLAN, IHL 5), checksums kept valid. */
static void src4(uint8_t *f, const uint8_t *src)
{
	uint8_t *ip = f + 14, *u = ip + 20;

	memcpy(ip + 12, src, 4);
	put16(ip + 10, 0);
	put16(ip + 10, tw_dp_ipv4_hdr_sum(ip, 20));
	put16(u + 6, 0);
	put16(u + 6, tw_dp_udp_sum(ip, 4, u, (uint32_t)((u[4] << 8) | u[5])));
}

static void src6(uint8_t *f, const uint8_t *src)
{
	uint8_t *ip = f + 14, *u = ip + 40;

	memcpy(ip + 8, src, 16);
	put16(u + 6, 0);
	put16(u + 6, tw_dp_udp_sum(ip, 6, u, (uint32_t)((u[4] << 8) | u[5])));
}

/* RFC 1122 §3.2.1.3, RFC 1812 §5.3.7: 0/8, 127/8, 224/4, 240/4 and our own
 * destination are refused, whatever the NIC said about the checksums. */
static void test_v4_src_not_unicast(void **state)
{
	static const uint8_t bad[][4] = {
		{ 0, 0, 0, 0 },       { 0, 1, 2, 3 },         { 127, 0, 0, 1 },
		{ 127, 255, 255, 254 }, { 224, 0, 0, 1 },     { 224, 0, 0, 9 },
		{ 239, 255, 255, 255 }, { 240, 0, 0, 1 },     { 254, 1, 1, 1 },
		{ 255, 255, 255, 255 }, { 198, 18, 0, 1 } /* OUR_V4: looped */,
	};
	static const unsigned flags[] = { 0, TW_DP_PARSE_L3_CKSUM_GOOD | TW_DP_PARSE_L4_CKSUM_GOOD };
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	struct tw_dp_l34 l;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (size_t j = 0; j < 2; j++) {
			size_t n = udp4(f, 0, 5, 862, OUR_V4, 20);

			src4(f, bad[i]);
			assert_int_equal(classify(&m, f, n, flags[j], &l), TW_DP_CLS_DROP);
			assert_int_equal(l.drop, TW_DP_DROP_SRC_ADDR);
			assert_int_equal(l.dport, 862);
			/* not owned: the kernel's call, under its own rules */
			n = udp4(f, 0, 5, 863, OUR_V4, 20);
			src4(f, bad[i]);
			assert_int_equal(classify(&m, f, n, flags[j], &l), TW_DP_CLS_EXCEPTION);
		}
		/* nor to an address that is not ours */
		{
			size_t n = udp4(f, 0, 5, 862, PEER_V4, 20);

			src4(f, bad[i]);
			assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_EXCEPTION);
		}
	}
	assert_string_equal(tw_dp_drop_name(TW_DP_DROP_SRC_ADDR), "src_addr");
}

/* The unicast neighbours of every refused range are still owned. */
static void test_v4_src_unicast_edges(void **state)
{
	static const uint8_t good[][4] = {
		{ 1, 0, 0, 0 },     { 126, 255, 255, 255 }, { 128, 0, 0, 0 },
		{ 223, 255, 255, 255 }, { 198, 18, 0, 255 }, { 10, 0, 0, 1 },
	};
	static const uint8_t other[4] = { 198, 19, 7, 7 };
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	struct tw_dp_l34 l;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		n = udp4(f, 0, 5, 862, OUR_V4, 20);
		src4(f, good[i]);
		assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
	}
	/* another of the port's addresses as source is not judged (a loop per
	 * packet); only the packet's own destination is */
	memcpy(m.v4[1], other, 4);
	m.n_v4 = 2;
	n = udp4(f, 0, 5, 862, OUR_V4, 20);
	src4(f, other);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
	n = udp4(f, 0, 5, 862, other, 20);
	src4(f, other);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_SRC_ADDR);
}

/* RFC 1122 §3.2.1.3 (d): the directed broadcast of the destination's prefix
 * (tw_dp_match.v4_bcast, filled from the port's prefix lengths). */
static void test_v4_src_directed_broadcast(void **state)
{
	static const uint8_t bcast[4] = { 198, 18, 0, 255 }, below[4] = { 198, 18, 0, 254 };
	static const uint8_t other[4] = { 198, 19, 7, 7 };
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	struct tw_dp_l34 l;
	size_t n;

	(void)state;
	memcpy(m.v4_bcast[0], bcast, 4);            /* 198.18.0.1/24 */
	memcpy(m.v4[1], other, 4);
	memcpy(m.v4_bcast[1], other, 4);            /* a /32: none */
	m.n_v4 = 2;
	n = udp4(f, 0, 5, 862, OUR_V4, 20);
	src4(f, bcast);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_DROP);
	assert_int_equal(l.drop, TW_DP_DROP_SRC_ADDR);
	n = udp4(f, 0, 5, 863, OUR_V4, 20);
	src4(f, bcast);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_EXCEPTION);
	n = udp4(f, 0, 5, 862, OUR_V4, 20);
	src4(f, below);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
	/* judged against the destination's own prefix only */
	n = udp4(f, 0, 5, 862, other, 20);
	src4(f, bcast);
	assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
}

/* RFC 4291 §2.7, §2.5.2, §2.5.3, §2.5.5.2: ff00::/8, ::, ::1, ::ffff:0:0/96,
 * and our own destination. */
static void test_v6_src_not_unicast(void **state)
{
	static const uint8_t bad[][16] = {
		{ 0 },                                  /* :: */
		{ [15] = 1 },                           /* ::1 */
		{ 0xff, 0x02, [15] = 1 },               /* ff02::1 */
		{ 0xff, 0x05, [15] = 2 },               /* ff05::2 */
		{ 0xff },                               /* ff00:: */
		{ [10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1 }, /* ::ffff:127.0.0.1 */
		{ [10] = 0xff, [11] = 0xff, [12] = 198, [13] = 18, [15] = 2 },
		{ 0x20, 0x01, 0, 2, [15] = 1 },         /* OUR_V6: looped */
	};
	static const unsigned flags[] = { 0, TW_DP_PARSE_L4_CKSUM_GOOD };
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	struct tw_dp_l34 l;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (size_t j = 0; j < 2; j++) {
			size_t n = udp6(f, 0, 17, 862, OUR_V6, 20);

			src6(f, bad[i]);
			assert_int_equal(classify(&m, f, n, flags[j], &l), TW_DP_CLS_DROP);
			assert_int_equal(l.drop, TW_DP_DROP_SRC_ADDR);
			n = udp6(f, 0, 17, 863, OUR_V6, 20);
			src6(f, bad[i]);
			assert_int_equal(classify(&m, f, n, flags[j], &l), TW_DP_CLS_EXCEPTION);
		}
	}
}

static void test_v6_src_unicast_edges(void **state)
{
	static const uint8_t good[][16] = {
		{ [15] = 2 },                           /* ::2 (IPv4-compatible, deprecated) */
		{ [8] = 0, [9] = 1 },                   /* ::1:0:0:0 */
		{ [10] = 0xff, [11] = 0xfe, [15] = 1 }, /* ::fffe:0:1 */
		{ [9] = 1, [10] = 0xff, [11] = 0xff, [15] = 1 }, /* ::1:ffff:0:1 */
		{ [7] = 1, [15] = 1 },                  /* 0:0:0:1::1 */
		{ 0xfe, 0x80, [15] = 1 },               /* fe80::1 */
		{ 0xfe, 0xff, [15] = 1 },
		{ 0x20, 0x01, 0, 2, [15] = 2 },
	};
	struct tw_dp_match m = match(0);
	uint8_t f[256];
	struct tw_dp_l34 l;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t n = udp6(f, 0, 17, 862, OUR_V6, 20);

		src6(f, good[i]);
		assert_int_equal(classify(&m, f, n, 0, &l), TW_DP_CLS_OWNED);
	}
}

static void test_drop_names(void **state)
{
	(void)state;
	for (unsigned i = 0; i < TW_DP_DROP__MAX; i++) {
		assert_string_not_equal(tw_dp_drop_name(i), "unknown");
		assert_true(strlen(tw_dp_drop_text(i)) > 5);
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(tw_dp_drop_name(i), tw_dp_drop_name(j));
	}
	assert_string_equal(tw_dp_drop_name(TW_DP_DROP_RUNT), "runt");
	assert_string_equal(tw_dp_drop_name(TW_DP_DROP__MAX), "unknown");
	assert_string_equal(tw_dp_drop_text(1000), "unknown");
}

/* ------------------------------------------------------------------ */
/* clock                                                               */

#define NS 1000000000ull
#define T0_UNIX_NS (1764240000ull * NS + 123456789ull) /* 2025-11-27 + .123456789 */

static void test_anchor_rejects_bad_hz(void **state)
{
	struct tw_dp_clock_anchor a;

	(void)state;
	assert_int_equal(tw_dp_clock_anchor_set(&a, 0, 0, 0), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_dp_clock_anchor_set(&a, 0, 0, 1), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_dp_clock_anchor_set(NULL, 0, 0, 1000), -TW_PROTO_E_INVAL);
}

static void test_anchor_identity(void **state)
{
	struct tw_dp_clock_anchor a;

	(void)state;
	assert_int_equal(tw_dp_clock_anchor_set(&a, 5000, T0_UNIX_NS, 2600000000ull), 0);
	assert_int_equal(a.ntp, tw_ntp_from_unix(T0_UNIX_NS / NS, T0_UNIX_NS % NS));
	assert_int_equal(tw_dp_clock_anchor_ntp(&a, 5000), a.ntp);
	assert_int_equal(a.ntp >> 32, 1764240000ull + TW_NTP_UNIX_OFFSET);
}

static void test_anchor_one_second(void **state)
{
	static const uint64_t hzs[] = { 1000000000ull, 2600000000ull, 3999999999ull,
					25000000ull };
	struct tw_dp_clock_anchor a;

	(void)state;
	for (size_t i = 0; i < sizeof(hzs) / sizeof(hzs[0]); i++) {
		tw_ntp_t t;

		tw_dp_clock_anchor_set(&a, 1ull << 40, T0_UNIX_NS, hzs[i]);
		t = tw_dp_clock_anchor_ntp(&a, (1ull << 40) + hzs[i]);
		/* within one 2^-32 s unit of exactly one second */
		assert_true(t - a.ntp >= (1ull << 32) - 1 && t - a.ntp <= (1ull << 32));
		t = tw_dp_clock_anchor_ntp(&a, (1ull << 40) + hzs[i] / 2);
		assert_true(tw_ntp_diff_ns(t, a.ntp) >= 499999999 &&
			    tw_ntp_diff_ns(t, a.ntp) <= 500000000);
	}
}

static void test_anchor_before(void **state)
{
	struct tw_dp_clock_anchor a;
	int64_t d;

	(void)state;
	tw_dp_clock_anchor_set(&a, 10ull * 2600000000ull, T0_UNIX_NS, 2600000000ull);
	d = tw_ntp_diff_ns(tw_dp_clock_anchor_ntp(&a, 9ull * 2600000000ull), a.ntp);
	assert_true(d >= -1000000001 && d <= -999999999);
	d = tw_ntp_diff_ns(tw_dp_clock_anchor_ntp(&a, a.tsc - 26), a.ntp);
	assert_true(d >= -11 && d <= -9);
}

/* Exact reference: ns = d * 1e9 / hz with 128-bit integers. */
static void test_anchor_accuracy(void **state)
{
	static const uint64_t hzs[] = { 2600000000ull, 2893204000ull, 3100000123ull };
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (size_t i = 0; i < sizeof(hzs) / sizeof(hzs[0]); i++) {
		struct tw_dp_clock_anchor a;

		tw_dp_clock_anchor_set(&a, 777, T0_UNIX_NS, hzs[i]);
		for (int k = 0; k < 2000; k++) {
			uint64_t d, want;
			int64_t got;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			d = x % (hzs[i] * 3600); /* up to an hour after the anchor */
			want = (uint64_t)(((unsigned __int128)d * NS) / hzs[i]);
			got = tw_ntp_diff_ns(tw_dp_clock_anchor_ntp(&a, 777 + d), a.ntp);
			assert_true(got >= (int64_t)want - 2 && got <= (int64_t)want + 2);
		}
	}
}

static void test_anchor_no_overflow_after_a_day(void **state)
{
	struct tw_dp_clock_anchor a;
	uint64_t hz = 3000000000ull, day = 86400ull * hz;
	int64_t d;

	(void)state;
	tw_dp_clock_anchor_set(&a, 0, T0_UNIX_NS, hz);
	d = tw_ntp_diff_ns(tw_dp_clock_anchor_ntp(&a, day), a.ntp);
	assert_true(d >= (int64_t)(86400 * NS) - 2 && d <= (int64_t)(86400 * NS) + 2);
}

static void test_publish_and_read(void **state)
{
	struct tw_dp_clock clk = { 0 };
	struct tw_dp_clock_anchor a;

	(void)state;
	tw_dp_clock_anchor_set(&a, 1000, T0_UNIX_NS, 2000000000ull);
	tw_dp_clock_publish(&clk, &a, 0x8123);
	assert_int_equal(clk.seq % 2, 0);
	assert_int_equal(clk.seq, 2);
	assert_int_equal(tw_dp_clock_ntp(&clk, 1000), a.ntp);
	assert_int_equal(tw_dp_clock_ntp(&clk, 1000 + 2000000000ull) - a.ntp, 1ull << 32);
	assert_int_equal(tw_dp_clock_errest(&clk), 0x8123);
	tw_dp_clock_publish(&clk, &a, 0x0101);
	assert_int_equal(clk.seq, 4);
	assert_int_equal(tw_dp_clock_errest(&clk), 0x0101);
}

static void test_errest_synced(void **state)
{
	struct tw_errest e;
	uint16_t raw = tw_dp_clock_errest_from_kernel(TIME_OK, 0, 1000, 16000000, 500);

	(void)state;
	assert_int_equal(tw_errest_decode(raw, &e), 0);
	assert_true(e.synced);
	assert_false(e.ptp);
	assert_true(tw_errest_to_ns(&e) >= 1000500);
	assert_true(tw_errest_to_ns(&e) < 2 * 1000500);
}

static void test_errest_unsynced(void **state)
{
	struct tw_errest e;
	uint16_t raw;

	(void)state;
	raw = tw_dp_clock_errest_from_kernel(TIME_OK, STA_UNSYNC, 1000, 16000000, 0);
	assert_int_equal(tw_errest_decode(raw, &e), 0);
	assert_false(e.synced);
	assert_true(tw_errest_to_ns(&e) >= 16000000000ull); /* maxerror, 16 s */
	raw = tw_dp_clock_errest_from_kernel(TIME_ERROR, 0, 1000, 1000, 0);
	assert_false(raw & TW_ERREST_S);
	raw = tw_dp_clock_errest_from_kernel(-1, 0, 1000, 1000, 0);
	assert_false(raw & TW_ERREST_S);
	raw = tw_dp_clock_errest_from_kernel(TIME_INS, 0, 1000, 1000, 0);
	assert_true(raw & TW_ERREST_S);
}

static void test_errest_never_zero(void **state)
{
	uint16_t raw = tw_dp_clock_errest_from_kernel(TIME_OK, 0, 0, 0, 0);
	struct tw_errest e;

	(void)state;
	assert_int_not_equal(raw, 0);
	assert_int_equal(tw_errest_decode(raw, &e), 0);
	assert_int_not_equal(e.multiplier, 0);
	raw = tw_dp_clock_errest_from_kernel(TIME_OK, 0, -5, -5, 0);
	assert_int_not_equal(raw & 0xff, 0);
}

static void test_rate(void **state)
{
	uint64_t nominal = 2600000000ull;

	(void)state;
	/* 100 ppm fast over 2 s: adopted */
	assert_int_equal(tw_dp_clock_rate(nominal, 2 * 2600260000ull, 2 * NS), 2600260000ull);
	/* 1000 ppm: a clock step, not a rate; keep nominal */
	assert_int_equal(tw_dp_clock_rate(nominal, 2 * 2602600000ull, 2 * NS), nominal);
	assert_int_equal(tw_dp_clock_rate(nominal, 2 * 2597400000ull, 2 * NS), nominal);
	assert_int_equal(tw_dp_clock_rate(nominal, 123, 0), nominal);
	assert_int_equal(tw_dp_clock_rate(nominal, 0, NS), nominal);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static void test_init_null(void **state)
{
	(void)state;
	assert_int_equal(tw_dp_clock_init(NULL, 1000000), -TW_PROTO_E_INVAL);
}

static void test_init_measures_and_tracks_realtime(void **state)
{
	struct tw_dp_clock clk;
	tw_ntp_t t;
	uint64_t r;
	int64_t s;
	uint32_t n;
	int64_t diff;

	(void)state;
	assert_int_equal(tw_dp_clock_init(&clk, 0), 0);
	assert_true(clk.nominal_hz > 1000000);
	assert_int_equal(clk.refreshes, 1);
	t = tw_dp_clock_now(&clk);
	r = realtime_ns();
	tw_ntp_to_unix(t, &s, &n);
	diff = (int64_t)r - (s * (int64_t)NS + n);
	assert_true(diff > -1000000 && diff < 1000000); /* within 1 ms */
	assert_int_not_equal(tw_dp_clock_errest(&clk), 0);
}

/* A frequency hint 2000 ppm off (a VM's nominal P0 clock) is not trusted:
 * the measured rate is used, and the clock still tracks CLOCK_REALTIME
 * after a second without a refresh. */
static void test_init_ignores_a_wrong_hint(void **state)
{
	struct tw_dp_clock ref, clk;
	struct timespec d = { 1, 0 };
	uint64_t r;
	int64_t s, diff, ppm;
	uint32_t n;

	(void)state;
	assert_int_equal(tw_dp_clock_init(&ref, 0), 0);
	assert_int_equal(tw_dp_clock_init(&clk, ref.nominal_hz + ref.nominal_hz / 500), 0);
	ppm = ((int64_t)clk.nominal_hz - (int64_t)ref.nominal_hz) * 1000000 /
	      (int64_t)ref.nominal_hz;
	assert_true(ppm > -1000 && ppm < 1000);
	assert_int_equal(tw_dp_clock_hz(&clk), clk.a.hz);
	nanosleep(&d, NULL);
	tw_ntp_to_unix(tw_dp_clock_now(&clk), &s, &n);
	r = realtime_ns();
	diff = (int64_t)r - (s * (int64_t)NS + n);
	/* 2000 ppm would be 2 ms here */
	assert_true(diff > -1000000 && diff < 1000000);
}

static void test_refresh_is_continuous(void **state)
{
	struct tw_dp_clock clk;
	struct timespec d = { 0, 20000000 };
	uint64_t tsc;
	tw_ntp_t before, after;

	(void)state;
	assert_int_equal(tw_dp_clock_init(&clk, 0), 0);
	nanosleep(&d, NULL);
	tsc = tw_dp_clock_tsc();
	before = tw_dp_clock_ntp(&clk, tsc);
	assert_int_equal(tw_dp_clock_refresh(&clk), 0);
	after = tw_dp_clock_ntp(&clk, tsc);
	assert_int_equal(clk.refreshes, 2);
	assert_int_equal(clk.seq, 4);
	/* re-anchoring moves a given TSC value by little (< 200 µs) */
	assert_true(tw_ntp_diff_ns(after, before) > -200000 &&
		    tw_ntp_diff_ns(after, before) < 200000);
}

static void test_now_monotonic(void **state)
{
	struct tw_dp_clock clk;
	tw_ntp_t prev;

	(void)state;
	assert_int_equal(tw_dp_clock_init(&clk, 0), 0);
	prev = tw_dp_clock_now(&clk);
	for (int i = 0; i < 10000; i++) {
		tw_ntp_t t = tw_dp_clock_now(&clk);

		assert_true(t >= prev);
		prev = t;
	}
}

/* ------------------------------------------------------------------ */
/* histogram                                                           */

static void test_hist_buckets_cover_values(void **state)
{
	uint64_t v = 0;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		unsigned b = tw_dp_hist_bucket(v);

		assert_true(b < TW_DP_HIST_BUCKETS);
		assert_true(tw_dp_hist_floor(b) <= v);
		if (b + 1 < TW_DP_HIST_BUCKETS)
			assert_true(v < tw_dp_hist_floor(b + 1));
		/* width at most 1/8 of the value above 8 ns */
		if (v >= 8 && b + 1 < TW_DP_HIST_BUCKETS)
			assert_true((tw_dp_hist_floor(b + 1) - tw_dp_hist_floor(b)) * 8 <= v);
		v = v < 64 ? v + 1 : v + v / 37 + 1;
		if (v > (UINT64_MAX >> 1))
			break;
	}
	assert_int_equal(tw_dp_hist_bucket(UINT64_MAX), TW_DP_HIST_BUCKETS - 1);
	for (unsigned b = 1; b < TW_DP_HIST_BUCKETS; b++)
		assert_true(tw_dp_hist_floor(b) > tw_dp_hist_floor(b - 1));
}

static void test_hist_quantiles(void **state)
{
	static struct tw_dp_hist h;
	uint64_t p50, p99;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(tw_dp_hist_quantile(&h, 0.5), 0);
	assert_int_equal(tw_dp_hist_quantile(NULL, 0.5), 0);
	for (uint64_t v = 1; v <= 10000; v++)
		tw_dp_hist_add(&h, v * 100); /* 100 ns .. 1 ms, uniform */
	assert_int_equal(h.count, 10000);
	assert_int_equal(h.max_ns, 1000000);
	assert_int_equal(h.sum_ns, 100ull * 10000 * 10001 / 2);
	p50 = tw_dp_hist_quantile(&h, 0.5);
	p99 = tw_dp_hist_quantile(&h, 0.99);
	/* never below the truth, at most one bucket (1/8) above it */
	assert_true(p50 >= 500000 && p50 <= 500000 + 500000 / 8 + 1);
	assert_true(p99 >= 990000 && p99 <= 1000000);
	assert_int_equal(tw_dp_hist_quantile(&h, 1.0), 1000000);
	assert_int_equal(tw_dp_hist_quantile(&h, 2.0), 1000000);
	assert_true(tw_dp_hist_quantile(&h, 0.0) <= 100 + 100 / 8 + 1);
	assert_true(tw_dp_hist_quantile(&h, -1.0) <= 100 + 100 / 8 + 1);
}

static void test_hist_single_value(void **state)
{
	static struct tw_dp_hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	tw_dp_hist_add(&h, 1234);
	/* capped at the maximum seen: a lone sample reads back exactly */
	assert_int_equal(tw_dp_hist_quantile(&h, 0.5), 1234);
	assert_int_equal(tw_dp_hist_quantile(&h, 0.999), 1234);
	tw_dp_hist_add(&h, 0);
	assert_int_equal(tw_dp_hist_quantile(&h, 0.0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_v4_owned, setup_owned),
		cmocka_unit_test_setup(test_v4_port_65535_owned, setup_owned),
		cmocka_unit_test_setup(test_v4_port_not_owned, setup_owned),
		cmocka_unit_test_setup(test_v4_not_our_address, setup_owned),
		cmocka_unit_test_setup(test_v4_second_address, setup_owned),
		cmocka_unit_test_setup(test_v4_no_owned_map, setup_owned),
		cmocka_unit_test_setup(test_v4_options, setup_owned),
		cmocka_unit_test_setup(test_v4_ethernet_padding, setup_owned),
		cmocka_unit_test_setup(test_v4_bad_cksum, setup_owned),
		cmocka_unit_test_setup(test_v4_fragments_to_kernel, setup_owned),
		cmocka_unit_test_setup(test_v4_other_protocols, setup_owned),
		cmocka_unit_test_setup(test_v4_truncated_header, setup_owned),
		cmocka_unit_test_setup(test_v4_bad_ihl_version_length, setup_owned),
		cmocka_unit_test_setup(test_v4_udp_lengths, setup_owned),
		cmocka_unit_test_setup(test_v4_ip_payload_below_udp_header, setup_owned),
		cmocka_unit_test_setup(test_v4_every_truncation, setup_owned),
		cmocka_unit_test_setup(test_v6_owned, setup_owned),
		cmocka_unit_test_setup(test_v6_not_ours, setup_owned),
		cmocka_unit_test_setup(test_v6_ext_headers_and_icmp, setup_owned),
		cmocka_unit_test_setup(test_v6_truncated, setup_owned),
		cmocka_unit_test_setup(test_v6_udp_lengths, setup_owned),
		cmocka_unit_test_setup(test_runt, setup_owned),
		cmocka_unit_test_setup(test_arp_and_other_types_to_kernel, setup_owned),
		cmocka_unit_test_setup(test_vlan_owned, setup_owned),
		cmocka_unit_test_setup(test_vlan_mismatch, setup_owned),
		cmocka_unit_test_setup(test_vlan_runt_and_arp, setup_owned),
		cmocka_unit_test_setup(test_owned_map_helper, setup_owned),
		cmocka_unit_test(test_ipv4_hdr_sum_known_answer),
		cmocka_unit_test(test_udp_sum_known_answer),
		cmocka_unit_test_setup(test_v4_udp_cksum, setup_owned),
		cmocka_unit_test_setup(test_udp_cksum_not_ours_to_kernel, setup_owned),
		cmocka_unit_test_setup(test_v6_udp_cksum, setup_owned),
		cmocka_unit_test_setup(test_v4_src_not_unicast, setup_owned),
		cmocka_unit_test_setup(test_v4_src_unicast_edges, setup_owned),
		cmocka_unit_test_setup(test_v4_src_directed_broadcast, setup_owned),
		cmocka_unit_test_setup(test_v6_src_not_unicast, setup_owned),
		cmocka_unit_test_setup(test_v6_src_unicast_edges, setup_owned),
		cmocka_unit_test(test_drop_names),
		cmocka_unit_test(test_anchor_rejects_bad_hz),
		cmocka_unit_test(test_anchor_identity),
		cmocka_unit_test(test_anchor_one_second),
		cmocka_unit_test(test_anchor_before),
		cmocka_unit_test(test_anchor_accuracy),
		cmocka_unit_test(test_anchor_no_overflow_after_a_day),
		cmocka_unit_test(test_publish_and_read),
		cmocka_unit_test(test_errest_synced),
		cmocka_unit_test(test_errest_unsynced),
		cmocka_unit_test(test_errest_never_zero),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_init_null),
		cmocka_unit_test(test_init_measures_and_tracks_realtime),
		cmocka_unit_test(test_init_ignores_a_wrong_hint),
		cmocka_unit_test(test_refresh_is_continuous),
		cmocka_unit_test(test_now_monotonic),
		cmocka_unit_test(test_hist_buckets_cover_values),
		cmocka_unit_test(test_hist_quantiles),
		cmocka_unit_test(test_hist_single_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
