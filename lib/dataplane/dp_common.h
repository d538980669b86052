/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/dataplane fast-path helpers shared by the reflector (reflect.c) and
 * the receiver (recv.c): the per-packet header reads both make. Their
 * control-side helpers (dp_common.c) are declared in dp_private.h. */
#ifndef TW_DP_COMMON_H
#define TW_DP_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "dp_private.h"
#include "tw_keys.h"
#include "tw_proto.h"

/* IP version of a parsed packet: 4 or 6 */
static inline unsigned dp_ipv(const struct rte_mbuf *m)
{
	return RTE_ETH_IS_IPV4_HDR(m->packet_type) ? 4 : 6;
}

/* TTL / Hop Limit and TOS / Traffic Class of the IP header at @ip */
static inline void dp_ttl_tos(const uint8_t *ip, unsigned ipv, uint8_t *ttl,
			      uint8_t *tos)
{
	if (ipv == 4) {
		*ttl = ip[8];
		*tos = ip[1];
	} else {
		*ttl = ip[7];
		*tos = (uint8_t)((ip[0] << 4) | (ip[1] >> 4));
	}
}

/* Session key of a received packet: our address and port, the peer's. */
static inline void dp_5t(struct tw_keys_5t *k, unsigned ipv, const uint8_t *ip,
			 const uint8_t *udp)
{
	unsigned a = ipv == 4 ? 12 : 8, alen = ipv == 4 ? 4 : 16;

	tw_keys_5t_set(k, ipv, ip + a + alen, tw_get_be16(udp + 2), ip + a,
		       tw_get_be16(udp));
}

#endif
