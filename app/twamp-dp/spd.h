/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp: which outbound IPsec SA protects a sender test stream.
 *
 * RFC 4301 §4.4.1 SPD semantics over the key-import Child SAs: an
 * outbound Child SA protects a stream when one of its local traffic
 * selectors (RFC 7296 §3.13.1: address range, IP protocol, port range)
 * holds the stream's source address, UDP and source port, and one of its
 * remote selectors holds the destination address, UDP and destination
 * port. Of those, the newest one installed in the data plane (the highest
 * lib/ipsec serial: a rekey installs a newer Child SA before the old one
 * is deleted) is chosen. Pure functions (tests/unit/send/test_spd.c).
 */
#ifndef TWAMP_DP_SPD_H
#define TWAMP_DP_SPD_H

#include <stdbool.h>
#include <stdint.h>

#include "tw_ipsec_ts.h"
#include "tw_keyimp.h"

/* A test stream's packets as the SPD sees them (outbound). */
struct app_spd_flow {
	uint8_t family;          /* AF_INET / AF_INET6 */
	uint8_t src[16], dst[16]; /* network order, IPv4 in the first 4 */
	uint8_t proto;           /* IP protocol (17) */
	uint16_t sport, dport;   /* host order */
};

/* A key-import selector in lib/ipsec's form (tw_ipsec_ts.h; a range whose
 * ends differ in family holds nothing). */
void app_spd_ts_to_ipsec(struct tw_ipsec_ts *o, const struct tw_keyimp_ts *ts);

/* True when selector @p ts holds address @p addr, @p proto and @p port
 * (tw_ipsec_ts_holds(), RFC 7296 §3.13.1). */
bool app_spd_ts_holds(const struct tw_keyimp_ts *ts, uint8_t family, const uint8_t *addr,
		      uint8_t proto, uint16_t port);

/* True when outbound Child SA @p c protects @p f (the rule above; an
 * inbound one never does). */
bool app_spd_covers(const struct tw_keyimp_child *c, const struct app_spd_flow *f);

/*
 * The Child SA of @p n that protects @p f: the covering one with the
 * highest @p serial (0 = not installed in the data plane: skipped).
 * @return its index, or -1 when none covers the flow.
 */
int app_spd_select(const struct tw_keyimp_child *c, const uint64_t *serial, unsigned n,
		   const struct app_spd_flow *f);

#endif
