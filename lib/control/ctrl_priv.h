/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal helpers shared by the Control client and server (not exported).
 */
#ifndef TW_CTRL_PRIV_H
#define TW_CTRL_PRIV_H

#include <stdint.h>

#include "tw_proto.h"
#include "tw_proto_ctrl.h"

/* The CLOCK_REALTIME wall clock as an NTP timestamp. */
tw_ntp_t ctrl_ntp_now(void);

/*
 * Fill a SID: @p addr4 (the receiver's IPv4 address, or the low 4 octets of
 * its IPv6 one), the NTP timestamp @p now and 4 random octets.
 * Returns 0, or -EIO when the random generator fails.
 */
int ctrl_sid_make(uint8_t sid[TW_CTRL_SID_LEN], const uint8_t addr4[4], tw_ntp_t now);

#endif /* TW_CTRL_PRIV_H */
