/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DS field (DSCP + ECN, RFC 2474 §3 / RFC 3168 §5) across a tunnel,
 * DPDK-free: the outer header an encapsulator builds (RFC 4301 §5.1.2.1,
 * RFC 6040 §4.1) and the inner header a decapsulator leaves (RFC 6040
 * §4.2). lib/ipsec's worker path (dp.c, ah.c) and the unit tests use the
 * one rule below.
 */
#ifndef TW_IPSEC_DS_H
#define TW_IPSEC_DS_H

#include <stdbool.h>
#include <stdint.h>

/** ECN codepoints (RFC 3168 §5). */
#define TW_ECN_NOT_ECT 0u
#define TW_ECN_ECT1 1u
#define TW_ECN_ECT0 2u
#define TW_ECN_CE 3u

/** tw_ipsec_ecn_decap(): the packet must be dropped. */
#define TW_ECN_DROP (-1)

/**
 * RFC 6040 §4.2 (normal mode, Figure 4): the inner ECN field after
 * decapsulation, from the arriving @p inner and @p outer ECN fields
 * (0..3, higher bits ignored): outer CE sets an ECN-capable inner to CE,
 * outer ECT(1) turns inner ECT(0) into ECT(1); outer CE over a Not-ECT
 * inner is TW_ECN_DROP (the congestion mark cannot be carried on); every
 * other combination leaves the inner field as it is.
 * @return the inner ECN field (0..3) or TW_ECN_DROP.
 */
static inline int tw_ipsec_ecn_decap(unsigned outer, unsigned inner)
{
	outer &= 3u;
	inner &= 3u;
	if (outer == TW_ECN_CE)
		return inner == TW_ECN_NOT_ECT ? TW_ECN_DROP : (int)TW_ECN_CE;
	if (outer == TW_ECN_ECT1 && inner == TW_ECN_ECT0)
		return (int)TW_ECN_ECT1;
	return (int)inner;
}

/**
 * RFC 4301 §5.1.2.1 (tunnel header construction) with RFC 6040 §4.1
 * (normal mode): the outer DS field from the inner one @p inner_ds: the
 * DSCP copied, or @p dscp (0..63) when @p fixed (the SA's configured
 * mapping); the ECN field always copied.
 */
static inline uint8_t tw_ipsec_outer_ds(uint8_t inner_ds, bool fixed, uint8_t dscp)
{
	return fixed ? (uint8_t)((dscp & 0x3fu) << 2 | (inner_ds & 3u)) : inner_ds;
}

/** The DS field (IPv4 TOS octet, IPv6 Traffic Class) of the IP header @p ip. */
static inline uint8_t tw_ipsec_ds_get(const uint8_t *ip)
{
	return (ip[0] >> 4) == 4 ? ip[1] : (uint8_t)(ip[0] << 4 | ip[1] >> 4);
}

/**
 * Write the DS field of the IP header @p ip (IPv4: the header checksum
 * updated incrementally, RFC 1624 §3 eqn. 3, so a valid header stays
 * valid; IPv6: the Traffic Class, the flow label untouched).
 */
static inline void tw_ipsec_ds_set(uint8_t *ip, uint8_t ds)
{
	if ((ip[0] >> 4) == 4) {
		/* the 16-bit word [version/IHL, TOS] changes from m to m' */
		uint32_t m = (uint32_t)ip[0] << 8 | ip[1], m2 = (uint32_t)ip[0] << 8 | ds;
		uint32_t hc = (uint32_t)ip[10] << 8 | ip[11];
		uint32_t s = (~hc & 0xffffu) + (~m & 0xffffu) + m2;

		s = (s & 0xffffu) + (s >> 16);
		s = (s & 0xffffu) + (s >> 16);
		hc = ~s & 0xffffu;
		ip[1] = ds;
		ip[10] = (uint8_t)(hc >> 8);
		ip[11] = (uint8_t)hc;
	} else {
		ip[0] = (uint8_t)((ip[0] & 0xf0u) | ds >> 4);
		ip[1] = (uint8_t)((ip[1] & 0x0fu) | (uint8_t)(ds << 4));
	}
}

#endif
