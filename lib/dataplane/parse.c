/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "tw_dp_parse.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define IPPROTO_UDP_ 17
#define UDP_HLEN 8
#define IPV6_HLEN 40

#define TW_DP_DROP_ID(name, id, text) id,
#define TW_DP_DROP_TEXT(name, id, text) text,
static const char *const drop_ids[] = { TW_DP_DROPS(TW_DP_DROP_ID) };
static const char *const drop_texts[] = { TW_DP_DROPS(TW_DP_DROP_TEXT) };

const char *tw_dp_drop_name(unsigned reason)
{
	return reason < TW_DP_DROP__MAX ? drop_ids[reason] : "unknown";
}

const char *tw_dp_drop_text(unsigned reason)
{
	return reason < TW_DP_DROP__MAX ? drop_texts[reason] : "unknown";
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Fold, complement, and return it as a big-endian field value. */
static uint16_t fold(uint64_t sum)
{
	uint16_t r = (uint16_t)~tw_dp_csum_fold(sum);

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	r = __builtin_bswap16(r);
#endif
	return r;
}

uint16_t tw_dp_ipv4_hdr_sum(const uint8_t *h, unsigned hlen)
{
	if (hlen == 20) /* no options: the loop unrolled by the compiler */
		return fold(tw_dp_csum_add(0, h, 20));
	return fold(tw_dp_csum_add(0, h, hlen));
}

static inline __attribute__((always_inline)) uint16_t
udp_sum(const uint8_t *ip, unsigned ipv, const uint8_t *udp, uint32_t len)
{
	return fold(tw_dp_csum_add(tw_dp_udp_pseudo_sum(ip, ipv, (uint16_t)len), udp, len));
}

uint16_t tw_dp_udp_sum(const uint8_t *ip, unsigned ipv, const uint8_t *udp,
		       uint32_t len)
{
	return udp_sum(ip, ipv, udp, len);
}

static enum tw_dp_class drop(struct tw_dp_l34 *out, enum tw_dp_drop why)
{
	out->drop = (uint8_t)why;
	return TW_DP_CLS_DROP;
}

/* Index of @a in the port's IPv4 addresses, or -1. */
static int v4_ours(const struct tw_dp_match *m, const uint8_t *a)
{
	for (unsigned i = 0; i < m->n_v4 && i < TW_DP_ADDRS_MAX; i++)
		if (memcmp(m->v4[i], a, 4) == 0)
			return (int)i;
	return -1;
}

static bool v6_ours(const struct tw_dp_match *m, const uint8_t *a)
{
	for (unsigned i = 0; i < m->n_v6 && i < TW_DP_ADDRS_MAX; i++)
		if (memcmp(m->v6[i], a, 16) == 0)
			return true;
	return false;
}

/*
 * RFC 1122 §3.2.1.3 (a host MUST silently discard a datagram whose source is
 * invalid by that section), RFC 1812 §5.3.7 (martians), RFC 1112 §4: no
 * reply may go to network 0 (0/8), loopback (127/8), multicast (224/4) or
 * class E (240/4, 255.255.255.255 among them), nor (§3.2.1.3 (d)) to the
 * directed broadcast @p bcast of the destination's prefix. A source equal to
 * the destination is a looped or forged packet whose reply would come back
 * to us: the UDP echo loop. One octet's range and two 32-bit compares;
 * another of the port's addresses as source would cost a loop over them per
 * packet and is not checked.
 */
static inline __attribute__((always_inline)) bool
v4_src_bad(const uint8_t *ip, const uint8_t *bcast)
{
	uint8_t o = ip[12];
	uint32_t s, d, b;

	memcpy(&s, ip + 12, 4);
	memcpy(&d, ip + 16, 4);
	memcpy(&b, bcast, 4);
	/* 0 and 224..255 wrap to 32 and 0..31 */
	return (uint8_t)(o + 32) <= 32 || o == 127 || s == d || s == b;
}

/*
 * RFC 4291 §2.7: a multicast address (ff00::/8) is never a source; §2.5.2
 * and §2.5.3: neither is the unspecified address (::) nor, off its node, the
 * loopback (::1). §2.5.5.2 defines the IPv4-mapped ::ffff:0:0/96 to stand
 * for an IPv4 node inside a dual-stack node's API: no IPv6 interface has
 * one, so a packet from one is forged, and a reply to it can only reach an
 * IPv4 node through a stack that maps it back, to an address (127.0.0.1,
 * 255.255.255.255) the IPv4 rule refuses. The source equal to the
 * destination as for IPv4. The common case costs one octet and two 64-bit
 * compares; the low words are read only when the high half is zero.
 */
static inline __attribute__((always_inline)) bool v6_src_bad(const uint8_t *ip)
{
	uint64_t s0, s1, d0, d1;
	uint32_t w2, w3;

	memcpy(&s0, ip + 8, 8);
	memcpy(&s1, ip + 16, 8);
	memcpy(&d0, ip + 24, 8);
	memcpy(&d1, ip + 32, 8);
	if (ip[8] == 0xff || (s0 == d0 && s1 == d1))
		return true;
	if (s0 != 0)
		return false;
	w2 = be32(ip + 16);
	w3 = be32(ip + 20);
	return (w2 == 0 && w3 <= 1) || w2 == 0xffff; /* ::, ::1, ::ffff:0:0/96 */
}

/*
 * UDP header at l4, @avail octets of IP payload: lengths, ownership, the
 * source a reply would go to, checksum. The source is judged before the
 * checksum so that a flood of refused packets costs no checksum; IPv4's
 * header checksum already covers it. @p ipv: 4 or 6, a constant at each
 * call (out->ipv is reloaded after every store through @p out, which may
 * alias the frame); @p bcast: IPv4, the directed broadcast of the
 * destination's prefix.
 */
static inline __attribute__((always_inline)) enum tw_dp_class
udp(const struct tw_dp_match *m, const uint8_t *ip, const uint8_t *l4, uint32_t avail,
    unsigned ipv, bool ours, const uint8_t *bcast, unsigned flags, struct tw_dp_l34 *out)
{
	uint16_t ck;

	if (avail < UDP_HLEN)
		return drop(out, TW_DP_DROP_L4_TRUNC);
	out->sport = be16(l4);
	out->dport = be16(l4 + 2);
	out->udp_len = be16(l4 + 4);
	if (out->udp_len < UDP_HLEN || out->udp_len > avail)
		return drop(out, TW_DP_DROP_L4_TRUNC);
	if (!ours || !tw_dp_port_is_owned(m->udp_owned, out->dport))
		return TW_DP_CLS_EXCEPTION;
	if (ipv == 4 ? v4_src_bad(ip, bcast) : v6_src_bad(ip))
		return drop(out, TW_DP_DROP_SRC_ADDR);
	if (flags & TW_DP_PARSE_L4_CKSUM_BAD)
		return drop(out, TW_DP_DROP_L4_CKSUM);
	if (flags & TW_DP_PARSE_L4_CKSUM_GOOD)
		return TW_DP_CLS_OWNED;
	ck = be16(l4 + 6);
	if (ck == 0 && ipv == 4) /* RFC 768: no checksum sent */
		return TW_DP_CLS_OWNED;
	if (ck == 0 || udp_sum(ip, ipv, l4, out->udp_len) != 0)
		return drop(out, TW_DP_DROP_L4_CKSUM);
	return TW_DP_CLS_OWNED;
}

/* RFC 791 §3.1: version/IHL, total length, flags/fragment offset, TTL, protocol. */
static enum tw_dp_class ipv4(const struct tw_dp_match *m, const uint8_t *h,
			     uint32_t len, unsigned flags, struct tw_dp_l34 *out)
{
	unsigned ihl, tot;
	int i;

	out->ipv = 4;
	if (len < 20 || (h[0] >> 4) != 4)
		return drop(out, TW_DP_DROP_L3_TRUNC);
	ihl = (h[0] & 0xfu) * 4u;
	tot = be16(h + 2);
	if (ihl < 20 || ihl > len || tot < ihl || tot > len)
		return drop(out, TW_DP_DROP_L3_TRUNC);
	out->l3_len = (uint16_t)ihl;
	out->ttl = h[8];
	out->proto = h[9];
	/* MF set or offset non-zero: a fragment, reassembly is the kernel's job */
	if (out->proto != IPPROTO_UDP_ || (be16(h + 6) & 0x3fff) != 0)
		return TW_DP_CLS_EXCEPTION;
	i = v4_ours(m, h + 16);
	if (i < 0)
		return udp(m, h, h + ihl, tot - ihl, 4, false, NULL, flags, out);
	if (flags & TW_DP_PARSE_L3_CKSUM_BAD)
		return drop(out, TW_DP_DROP_L3_CKSUM);
	if (!(flags & TW_DP_PARSE_L3_CKSUM_GOOD) && tw_dp_ipv4_hdr_sum(h, ihl) != 0)
		return drop(out, TW_DP_DROP_L3_CKSUM);
	return udp(m, h, h + ihl, tot - ihl, 4, true, m->v4_bcast[i], flags, out);
}

/* RFC 8200 §3: fixed 40-octet header; only UDP as the first next header. */
static enum tw_dp_class ipv6(const struct tw_dp_match *m, const uint8_t *h,
			     uint32_t len, unsigned flags, struct tw_dp_l34 *out)
{
	uint32_t plen;

	out->ipv = 6;
	if (len < IPV6_HLEN || (h[0] >> 4) != 6)
		return drop(out, TW_DP_DROP_L3_TRUNC);
	plen = be16(h + 4);
	if (plen > len - IPV6_HLEN)
		return drop(out, TW_DP_DROP_L3_TRUNC);
	out->l3_len = IPV6_HLEN;
	out->proto = h[6];
	out->ttl = h[7];
	if (out->proto != IPPROTO_UDP_)
		return TW_DP_CLS_EXCEPTION;
	return udp(m, h, h + IPV6_HLEN, plen, 6, v6_ours(m, h + 24), NULL, flags, out);
}

enum tw_dp_class tw_dp_parse(const struct tw_dp_match *m, const uint8_t *f,
			     uint32_t len, unsigned flags, struct tw_dp_l34 *out)
{
	uint16_t type;
	uint32_t off = ETH_HLEN;

	memset(out, 0, sizeof(*out));
	if (len < ETH_HLEN)
		return drop(out, TW_DP_DROP_RUNT);
	type = be16(f + 12);
	if (type == ETHERTYPE_VLAN) {
		if (len < ETH_HLEN + VLAN_HLEN)
			return drop(out, TW_DP_DROP_RUNT);
		out->vlan = be16(f + 14) & 0xfff;
		type = be16(f + 16);
		off += VLAN_HLEN;
	}
	out->l2_len = (uint16_t)off;
	out->ether_type = type;
	/* a VLAN port owns its tag only; an untagged port takes no tagged frames */
	if (out->vlan != m->vlan || (m->vlan != 0 && off == ETH_HLEN) ||
	    (m->vlan == 0 && off != ETH_HLEN) || type == ETHERTYPE_QINQ)
		return drop(out, TW_DP_DROP_VLAN);
	if (type == ETHERTYPE_IPV4)
		return ipv4(m, f + off, len - off, flags, out);
	if (type == ETHERTYPE_IPV6)
		return ipv6(m, f + off, len - off, flags, out);
	return TW_DP_CLS_EXCEPTION;
}
