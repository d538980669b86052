/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-packet test records and the IPPM metrics computed from them.
 *
 * A record is what one test packet left behind: its four timestamps (or
 * two, one way), Error Estimates, TTLs and DSCP/ECN. Session-Senders (the
 * DPDK sender, twamp-ping) and the OWAMP receiver produce them; lib/stats
 * turns them into RFC 2681 / 7679 / 5481 / 6673 / 5560 / 4737 metrics.
 * No DPDK dependency.
 */
#ifndef TW_STATS_H
#define TW_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The record is one way (OWAMP): t3, t4, e4, ttl_back, tos_back unused. */
#define TW_STATS_REC_ONEWAY 0x01u
/** tos_fwd holds what the reflector saw (RFC 7750 S-DSCP-ECN). */
#define TW_STATS_REC_TOS_FWD 0x02u
/** t4 came from the NIC or the kernel (SO_TIMESTAMPING), not user space. */
#define TW_STATS_REC_T4_HW 0x04u

/**
 * One test packet as the Session-Sender saw its reply (round trip), or as
 * the receiver saw it (one way). Times are NTP 64-bit; Error Estimates raw
 * (RFC 4656 §4.1.2: S bit, Scale, Multiplier).
 */
struct tw_stats_rec {
	uint32_t seq;       /**< Session-Sender Sequence Number */
	uint32_t refl_seq;  /**< reflector's Sequence Number (round trip) */
	tw_ntp_t t1;        /**< Sender Timestamp, as in the packet */
	tw_ntp_t t2;        /**< reflector Receive Timestamp; one way: receiver RX */
	tw_ntp_t t3;        /**< reflector Timestamp (its TX); one way: 0 */
	tw_ntp_t t4;        /**< sender's RX time of the reply; one way: 0 */
	uint16_t e1;        /**< Sender Error Estimate */
	uint16_t e2;        /**< reflector's (or receiver's) Error Estimate */
	uint16_t e4;        /**< sender's Error Estimate at t4; one way: 0 */
	uint8_t ttl_fwd;    /**< Sender TTL the reflector saw (one way: TTL at
			         the receiver); 0 = unknown */
	uint8_t ttl_back;   /**< TTL / Hop Limit of the reply at the sender; 0 = unknown */
	uint8_t tos_fwd;    /**< DSCP << 2 | ECN at the reflector (flag TOS_FWD) */
	uint8_t tos_back;   /**< DSCP << 2 | ECN of the reply as received */
	uint8_t flags;      /**< TW_STATS_REC_* */
};

#ifdef __cplusplus
}
#endif

#endif /* TW_STATS_H */
