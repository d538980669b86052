/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic selectors (RFC 7296 §3.13.1), DPDK-free: lib/ipsec's inbound
 * check of decrypted packets (RFC 4301 §5.2) and twamp-dp's outbound SA
 * choice for test streams (app/twamp-dp/spd.c) use the one rule below.
 */
#ifndef TW_IPSEC_TS_H
#define TW_IPSEC_TS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define TW_IPSEC_TS_MAX 16u /**< traffic selectors per list */

/** A traffic selector: an inclusive address range of one family, a
 *  protocol (0 = any), an inclusive port range. */
struct tw_ipsec_ts {
	uint8_t ipv;                  /**< 4 or 6; 0 holds nothing */
	uint8_t proto;                /**< 0 = any */
	uint16_t port_lo, port_hi;    /**< host order */
	uint8_t from[16], to[16];     /**< network order (IPv4: 4 octets) */
};

/** True when @p ts holds address @p a (family @p ipv, 4 or 6), IP
 *  protocol @p proto and port @p port (host order). */
static inline bool tw_ipsec_ts_holds(const struct tw_ipsec_ts *ts, unsigned ipv,
				     const uint8_t *a, uint8_t proto, uint16_t port)
{
	size_t len = ipv == 4 ? 4 : 16;

	return ts->ipv != 0 && ts->ipv == ipv && memcmp(a, ts->from, len) >= 0 &&
	       memcmp(a, ts->to, len) <= 0 && (ts->proto == 0 || ts->proto == proto) &&
	       port >= ts->port_lo && port <= ts->port_hi;
}

#endif
