/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * twamp-dp wire formats: the base every codec shares.
 *
 * Error codes, big-endian field access, NTP and PTPv2-truncated timestamps
 * and the Error Estimate. The message codecs live in tw_proto_ctrl.h
 * (TWAMP/OWAMP-Control), tw_proto_test.h (TWAMP/OWAMP-Test) and
 * tw_proto_stamp.h (STAMP and its TLVs).
 *
 * Conventions for every codec in this library:
 *  - decode(buf, len, out) checks lengths before it reads, never reads past
 *    @p len, fills @p out only on success and returns the number of octets
 *    consumed (> 0) or a negative TW_PROTO_E_* code;
 *  - encode(msg, buf, cap) writes the whole message (MBZ fields zeroed) and
 *    returns the number of octets written or a negative TW_PROTO_E_* code;
 *  - nothing allocates, prints or keeps state.
 * Library code has no dependency on DPDK.
 */
#ifndef TW_PROTO_H
#define TW_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Every error a codec can return, negated. The X-macro keeps the enum and
 * the strings in one place; append new codes at the end.
 */
#define TW_PROTO_ERRORS(X)                                                     \
	X(TRUNCATED, "input shorter than the message")                         \
	X(NOSPACE, "output buffer too small")                                  \
	X(LENGTH, "length or count field inconsistent with the input")        \
	X(COMMAND, "unexpected command number")                                \
	X(IPVN, "IP version neither 4 nor 6")                                  \
	X(MODE, "invalid or conflicting mode bits")                            \
	X(COUNT, "PBKDF2 iteration count not a power of 2 or below 1024")     \
	X(MULTIPLIER, "error estimate multiplier is zero")                     \
	X(CONF, "Conf-Sender/Conf-Receiver invalid for this protocol")         \
	X(SLOT, "unknown schedule slot type")                                  \
	X(TLV, "malformed TLV")                                                \
	X(SSID, "invalid session sender identifier")                           \
	X(ADDRESS, "invalid address field")                                    \
	X(RANGE, "field value out of range")                                   \
	X(PADDING, "padding length inconsistent with the packet")              \
	X(INVAL, "invalid argument")                                           \
	X(HMAC, "HMAC verification failed")                                    \
	X(TOKEN, "token does not decrypt to the challenge (wrong key)")        \
	X(CRYPTO, "crypto library failure")                                    \
	X(NOMEM, "out of memory")                                              \
	X(MBZ, "must-be-zero field not zero")                                  \
	X(PROTOCOL, "protocol neither ESP (50) nor AH (51)")

#define TW_PROTO_ERR_ENUM(name, str) TW_PROTO_E_##name,
/** Error codes; functions return them negated. 0 is success. */
enum tw_proto_err {
	TW_PROTO_OK = 0,
	TW_PROTO_ERRORS(TW_PROTO_ERR_ENUM)
	TW_PROTO_E__MAX
};
#undef TW_PROTO_ERR_ENUM

/**
 * Text for a (negative or positive) TW_PROTO_E_* code.
 *
 * @return a static string; "unknown error" for codes out of range.
 */
const char *tw_proto_strerror(int err);

/* ---- big-endian field access: never cast wire bytes to structs ---- */

static inline uint16_t tw_get_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t tw_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t tw_get_be64(const uint8_t *p)
{
	return (uint64_t)tw_get_be32(p) << 32 | tw_get_be32(p + 4);
}

static inline void tw_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void tw_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void tw_put_be64(uint8_t *p, uint64_t v)
{
	tw_put_be32(p, (uint32_t)(v >> 32));
	tw_put_be32(p + 4, (uint32_t)v);
}

/** True when every octet of [p, p+n) is zero. */
bool tw_proto_is_zero(const uint8_t *p, size_t n);

/** Value of one hex digit (0-9, a-f, A-F), or -1 for any other character. */
static inline int tw_proto_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ---- timestamps (RFC 4656 §4.1.2, RFC 5905 §6, RFC 8186 §2.3) ---- */

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
#define TW_NTP_UNIX_OFFSET 2208988800u

/**
 * A 64-bit NTP timestamp held in host order: seconds since 1900 in the upper
 * 32 bits, binary fraction in the lower 32. On the wire it is big-endian.
 */
typedef uint64_t tw_ntp_t;

/** Build an NTP timestamp from Unix seconds and nanoseconds (< 1e9). */
tw_ntp_t tw_ntp_from_unix(uint64_t unix_sec, uint32_t nsec);

/** Split an NTP timestamp into Unix seconds and nanoseconds (rounded down). */
void tw_ntp_to_unix(tw_ntp_t ts, int64_t *unix_sec, uint32_t *nsec);

/**
 * Signed difference a - b in nanoseconds, computed in integers so that
 * nanosecond differences survive (a double near 1.8e9 s resolves ~240 ns).
 * Assumes |a - b| < 2^31 s (no era handling).
 */
int64_t tw_ntp_diff_ns(tw_ntp_t a, tw_ntp_t b);

/**
 * PTPv2 truncated timestamp (RFC 8186 §2.3, IEEE 1588-2008): 32-bit seconds
 * since the PTP epoch (1970-01-01 TAI) and 32-bit nanoseconds (< 1e9).
 * Host order; on the wire seconds then nanoseconds, big-endian.
 */
struct tw_ptp_ts {
	uint32_t sec;
	uint32_t nsec;
};

/**
 * Convert between NTP (UTC) and PTP (TAI) given the current TAI-UTC offset
 * in seconds (37 since 2017).
 *
 * @return 0, or -TW_PROTO_E_RANGE when nsec >= 1e9 or the result would not
 *         fit the target's 32-bit seconds.
 */
int tw_ptp_from_ntp(tw_ntp_t ntp, int32_t tai_utc, struct tw_ptp_ts *out);
int tw_ptp_to_ntp(const struct tw_ptp_ts *ptp, int32_t tai_utc, tw_ntp_t *out);

/** Read/write a 64-bit timestamp field (either format: 8 raw octets). */
static inline tw_ntp_t tw_ts_get(const uint8_t *p) { return tw_get_be64(p); }
static inline void tw_ts_put(uint8_t *p, tw_ntp_t ts) { tw_put_be64(p, ts); }

/**
 * Error Estimate (RFC 4656 §4.1.2): S(1) | Z(1) | Scale(6) | Multiplier(8).
 * S: clock synchronised to UTC. Z: timestamp format, 0 NTP, 1 PTPv2
 * truncated (RFC 8186 §2.3). Error = Multiplier * 2^(Scale - 32) seconds.
 */
struct tw_errest {
	bool synced;        /**< S bit */
	bool ptp;           /**< Z bit */
	uint8_t scale;      /**< 0..63 */
	uint8_t multiplier; /**< 1..255; 0 is invalid */
};

#define TW_ERREST_S 0x8000u
#define TW_ERREST_Z 0x4000u

/**
 * Decode a 16-bit Error Estimate.
 * @return 0, or -TW_PROTO_E_MULTIPLIER when Multiplier is 0 (RFC 4656
 *         §4.1.2: the packet SHOULD be considered corrupt).
 */
int tw_errest_decode(uint16_t raw, struct tw_errest *out);

/**
 * Encode an Error Estimate.
 * @return the 16-bit field, or 0 if the estimate is invalid (scale > 63 or
 *         multiplier 0); 0 is never a valid encoding.
 */
uint16_t tw_errest_encode(const struct tw_errest *e);

/**
 * The smallest Error Estimate (S, Scale, Multiplier) that covers @p err_ns
 * nanoseconds, rounding up so the claim is never better than the truth.
 * Multiplier is never 0; @p err_ns above ~2^63 ns saturates.
 */
struct tw_errest tw_errest_from_ns(uint64_t err_ns, bool synced, bool ptp);

/** The error an estimate claims, in nanoseconds (saturating). */
uint64_t tw_errest_to_ns(const struct tw_errest *e);

#ifdef __cplusplus
}
#endif

#endif /* TW_PROTO_H */
