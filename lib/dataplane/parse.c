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
	uint64_t sum = (uint64_t)tw_dp_csum_be16(IPPROTO_UDP_) +
		       tw_dp_csum_be16((uint16_t)len);

	sum = ipv == 4 ? tw_dp_csum_add(sum, ip + 12, 8)
		       : tw_dp_csum_add(sum, ip + 8, 32);
	return fold(tw_dp_csum_add(sum, udp, len));
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

static bool v4_ours(const struct tw_dp_match *m, const uint8_t *a)
{
	for (unsigned i = 0; i < m->n_v4 && i < TW_DP_ADDRS_MAX; i++)
		if (memcmp(m->v4[i], a, 4) == 0)
			return true;
	return false;
}

static bool v6_ours(const struct tw_dp_match *m, const uint8_t *a)
{
	for (unsigned i = 0; i < m->n_v6 && i < TW_DP_ADDRS_MAX; i++)
		if (memcmp(m->v6[i], a, 16) == 0)
			return true;
	return false;
}

/* UDP header at l4, @avail octets of IP payload: lengths, ownership, checksum. */
static inline __attribute__((always_inline)) enum tw_dp_class
udp(const struct tw_dp_match *m, const uint8_t *ip, const uint8_t *l4, uint32_t avail,
    bool ours, unsigned flags, struct tw_dp_l34 *out)
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
	if (flags & TW_DP_PARSE_L4_CKSUM_BAD)
		return drop(out, TW_DP_DROP_L4_CKSUM);
	if (flags & TW_DP_PARSE_L4_CKSUM_GOOD)
		return TW_DP_CLS_OWNED;
	ck = be16(l4 + 6);
	if (ck == 0 && out->ipv == 4) /* RFC 768: no checksum sent */
		return TW_DP_CLS_OWNED;
	if (ck == 0 || udp_sum(ip, out->ipv, l4, out->udp_len) != 0)
		return drop(out, TW_DP_DROP_L4_CKSUM);
	return TW_DP_CLS_OWNED;
}

/* RFC 791 §3.1: version/IHL, total length, flags/fragment offset, TTL, protocol. */
static enum tw_dp_class ipv4(const struct tw_dp_match *m, const uint8_t *h,
			     uint32_t len, unsigned flags, struct tw_dp_l34 *out)
{
	unsigned ihl, tot;

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
	if (!v4_ours(m, h + 16))
		return udp(m, h, h + ihl, tot - ihl, false, flags, out);
	if (flags & TW_DP_PARSE_L3_CKSUM_BAD)
		return drop(out, TW_DP_DROP_L3_CKSUM);
	if (!(flags & TW_DP_PARSE_L3_CKSUM_GOOD) && tw_dp_ipv4_hdr_sum(h, ihl) != 0)
		return drop(out, TW_DP_DROP_L3_CKSUM);
	return udp(m, h, h + ihl, tot - ihl, true, flags, out);
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
	return udp(m, h, h + IPV6_HLEN, plen, v6_ours(m, h + 24), flags, out);
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
