/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/dataplane internals shared by the reflector (reflect.c) and the
 * receiver (recv.c): control-side helpers (dp_common.c) and the per-packet
 * header reads both fast paths make (static inline: no call per packet). */
#ifndef TW_DP_COMMON_H
#define TW_DP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <rte_mbuf.h>
#include <rte_telemetry.h>

#include "tw_keys.h"
#include "tw_proto.h"

/* Zeroed control-side object from the C heap (sanitizers see it), cache
 * aligned so that a worker's counters share no line with another's.
 * NULL when out of memory. */
void *dp_obj_alloc(size_t sz);

/* Telemetry parameter: a decimal number no greater than @max.
 * 0, or -EINVAL for a missing, malformed or too large one. */
int dp_tel_uint_arg(const char *params, unsigned long max, unsigned long *v);

/* One telemetry command of a table for dp_tel_register() */
struct dp_tel_cmd {
	const char *path;
	telemetry_cb fn;
	const char *help;
};

/* Register @n commands once per process (*@registered tells, and is set
 * when all are). 0, or the error of rte_telemetry_register_cmd(). */
int dp_tel_register(const struct dp_tel_cmd *cmds, unsigned n, bool *registered);

/* The session table of @max_sessions sessions, with headroom for deleted
 * entries waiting for their grace period on @qsbr; @free_fn frees an
 * entry after it. NULL with rte_errno set. */
struct tw_keys *dp_sess_table_create(uint32_t max_sessions,
				     struct rte_rcu_qsbr *qsbr,
				     tw_keys_free_fn free_fn, void *free_arg);

/* IP version of an address family: 4, 6, or 0 for another one */
static inline unsigned dp_family_ipv(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 6 : 0;
}

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
