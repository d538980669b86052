/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the Control client and server both need (ctrl_priv.h).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "ctrl_priv.h"
#include "tw_crypto.h"

tw_ntp_t ctrl_ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return tw_ntp_from_unix((uint64_t)ts.tv_sec, (uint32_t)ts.tv_nsec);
}

/* RFC 4656 §3.5, RFC 5357 §3.5: SID = IPv4 address | NTP timestamp | random. */
int ctrl_sid_make(uint8_t sid[TW_CTRL_SID_LEN], const uint8_t addr4[4], tw_ntp_t now)
{
	memcpy(sid, addr4, 4);
	tw_put_be64(sid + 4, now);
	return tw_crypto_random(sid + 12, 4) < 0 ? -EIO : 0;
}
