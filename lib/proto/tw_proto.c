/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared pieces of the wire formats: errors, timestamps, Error Estimate. */

#include "tw_proto.h"

#define NS_PER_SEC 1000000000u

#define TW_PROTO_ERR_STR(name, str) [TW_PROTO_E_##name] = str,
static const char *const err_str[TW_PROTO_E__MAX] = {
	[TW_PROTO_OK] = "ok",
	TW_PROTO_ERRORS(TW_PROTO_ERR_STR)
};
#undef TW_PROTO_ERR_STR

const char *tw_proto_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= TW_PROTO_E__MAX || err_str[err] == NULL)
		return "unknown error";
	return err_str[err];
}

bool tw_proto_is_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* RFC 5905 §6: NTP era 0 seconds | 2^-32 fractions. */
tw_ntp_t tw_ntp_from_unix(uint64_t unix_sec, uint32_t nsec)
{
	uint64_t frac = (((uint64_t)nsec << 32) + NS_PER_SEC / 2) / NS_PER_SEC;
	uint64_t sec = unix_sec + TW_NTP_UNIX_OFFSET;

	if (frac > UINT32_MAX) /* only for nsec >= 1e9, a caller error */
		frac = UINT32_MAX;
	return sec << 32 | frac;
}

void tw_ntp_to_unix(tw_ntp_t ts, int64_t *unix_sec, uint32_t *nsec)
{
	*unix_sec = (int64_t)(ts >> 32) - (int64_t)TW_NTP_UNIX_OFFSET;
	*nsec = (uint32_t)(((ts & UINT32_MAX) * NS_PER_SEC) >> 32);
}

int64_t tw_ntp_diff_ns(tw_ntp_t a, tw_ntp_t b)
{
	int64_t d = (int64_t)(a - b);
	int64_t hi = d >> 32; /* floor, also for negative d */
	uint64_t lo = (uint64_t)d & UINT32_MAX;

	return hi * (int64_t)NS_PER_SEC + (int64_t)((lo * NS_PER_SEC) >> 32);
}

/* RFC 8186 §2.3: PTPv2 truncated = seconds since 1970 TAI | nanoseconds. */
int tw_ptp_from_ntp(tw_ntp_t ntp, int32_t tai_utc, struct tw_ptp_ts *out)
{
	int64_t usec;
	uint32_t nsec;

	tw_ntp_to_unix(ntp, &usec, &nsec);
	usec += tai_utc;
	if (usec < 0 || usec > (int64_t)UINT32_MAX)
		return -TW_PROTO_E_RANGE;
	out->sec = (uint32_t)usec;
	out->nsec = nsec;
	return 0;
}

int tw_ptp_to_ntp(const struct tw_ptp_ts *ptp, int32_t tai_utc, tw_ntp_t *out)
{
	int64_t ntp_sec = (int64_t)ptp->sec - tai_utc + TW_NTP_UNIX_OFFSET;

	if (ptp->nsec >= NS_PER_SEC)
		return -TW_PROTO_E_RANGE;
	if (ntp_sec < TW_NTP_UNIX_OFFSET - (int64_t)INT32_MAX ||
	    ntp_sec > (int64_t)UINT32_MAX)
		return -TW_PROTO_E_RANGE;
	*out = tw_ntp_from_unix((uint64_t)(ntp_sec - TW_NTP_UNIX_OFFSET),
				ptp->nsec);
	return 0;
}

/* RFC 4656 §4.1.2: S | Z | Scale(6) | Multiplier(8); Multiplier MUST NOT be 0. */
int tw_errest_decode(uint16_t raw, struct tw_errest *out)
{
	if ((raw & 0xff) == 0)
		return -TW_PROTO_E_MULTIPLIER;
	out->synced = (raw & TW_ERREST_S) != 0;
	out->ptp = (raw & TW_ERREST_Z) != 0;
	out->scale = (uint8_t)((raw >> 8) & 0x3f);
	out->multiplier = (uint8_t)(raw & 0xff);
	return 0;
}

uint16_t tw_errest_encode(const struct tw_errest *e)
{
	if (e->multiplier == 0 || e->scale > 63)
		return 0;
	return (uint16_t)((e->synced ? TW_ERREST_S : 0) |
			  (e->ptp ? TW_ERREST_Z : 0) |
			  (unsigned)e->scale << 8 | e->multiplier);
}

struct tw_errest tw_errest_from_ns(uint64_t err_ns, bool synced, bool ptp)
{
	/* units of 2^-32 s, rounded up so the estimate never flatters */
	unsigned __int128 u = ((unsigned __int128)err_ns << 32) + NS_PER_SEC - 1;
	struct tw_errest e = { .synced = synced, .ptp = ptp };
	unsigned scale = 0;

	u /= NS_PER_SEC;
	if (u == 0)
		u = 1;
	/* smallest scale with ceil(u / 2^scale) <= 255 */
	while (scale < 63 && ((u + ((unsigned __int128)1 << scale) - 1) >> scale) > 255)
		scale++;
	u = (u + ((unsigned __int128)1 << scale) - 1) >> scale;
	e.scale = (uint8_t)scale;
	e.multiplier = u > 255 ? 255 : (uint8_t)u;
	return e;
}

uint64_t tw_errest_to_ns(const struct tw_errest *e)
{
	unsigned __int128 v = (unsigned __int128)e->multiplier << e->scale;

	v = (v * NS_PER_SEC) >> 32;
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}
