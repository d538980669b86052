/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * OWAMP send schedules (RFC 4656 §3.6) and the reproducible exponential
 * pseudo-random sequence of RFC 4656 §5.
 *
 * A schedule is a circular list of slots (struct tw_owamp_slot from
 * tw_proto_ctrl.h): a fixed slot waits its parameter, an exponential slot
 * waits an exponentially distributed interval whose mean is its parameter,
 * then one packet is sent and the next slot follows. Packet 0 leaves one
 * interval after the session's Start Time (RFC 4656 §3.6: "wait ... and
 * then send").
 *
 * The exponential intervals are exactly those of RFC 4656 §5: uniform
 * 32-bit numbers from AES-128 in counter mode keyed with the SID (§5.3,
 * Appendix A: the counter value c is encrypted when c mod 4 == 0 and the
 * block gives four numbers), Knuth's Algorithm S with the fixed Q[] table
 * (§5.1), and 32.32 fixed-point arithmetic with exact products (§5.2), so
 * the sender and the receiver compute the same send times bit for bit
 * (Appendix B's test vectors pass). The interval of an exponential slot is
 * mul(exp_variate, parameter), both in 32.32 (NTP interval) units, as
 * perfSONAR's owamp does.
 *
 * Intervals and offsets are kept in NTP units (1/2^32 s) and summed
 * exactly; nanosecond values are converted from the exact sum, so no
 * rounding drift accumulates over long sessions.
 *
 * A tw_sched allocates once at creation; tw_sched_next*() never allocate
 * and do one AES block per four uniform numbers (batched). One thread at a
 * time per schedule.
 */
#ifndef TW_SCHED_H
#define TW_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "tw_proto.h"
#include "tw_proto_ctrl.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest number of slots a schedule accepts (RFC 4656 sets no limit). */
#define TW_SCHED_SLOTS_MAX 65536u

/** A schedule (opaque): slots, the SID-keyed generator, the running offset. */
struct tw_sched;

/**
 * Create a schedule.
 *
 * @param sid    the session's SID (the generator's key; RFC 4656 §5.3).
 *               May be NULL when no slot is exponential.
 * @param slots  @p n slots, copied.
 * @param n      1..TW_SCHED_SLOTS_MAX.
 * @return the schedule, or NULL with errno: EINVAL (no slot, too many,
 *         a type other than 0/1, an exponential slot without @p sid),
 *         ENOMEM, EIO (the AES implementation failed).
 */
struct tw_sched *tw_sched_create(const uint8_t sid[TW_CTRL_SID_LEN],
				 const struct tw_owamp_slot *slots, uint32_t n);

/**
 * Periodic schedule: one fixed slot of @p interval_ns (RFC 4656 §3.6
 * "Periodic stream"). tw_sched_next() is exact in nanoseconds here
 * (k * interval_ns; TWAMP has no wire schedule to agree with); the NTP
 * functions see the interval rounded to NTP units. An OWAMP sender uses
 * tw_sched_create() with the slots it sent, so both ends agree.
 * @return as tw_sched_create().
 */
struct tw_sched *tw_sched_create_periodic(uint64_t interval_ns);

/**
 * Poisson schedule: one exponential slot of mean @p mean_ns keyed with
 * @p sid (RFC 4656 §3.6 "Poisson stream"). TWAMP has no schedule on the
 * wire; a TWAMP sender may still use this with any 16 octets (e.g. its
 * SID) to get a reproducible Poisson stream.
 * @return as tw_sched_create().
 */
struct tw_sched *tw_sched_create_poisson(const uint8_t sid[TW_CTRL_SID_LEN],
					 uint64_t mean_ns);

/** Wipe and free (NULL is allowed). */
void tw_sched_destroy(struct tw_sched *s);

/**
 * Go back to the start: the next call returns packet 0's interval again
 * (the generator restarts from counter 0).
 */
void tw_sched_reset(struct tw_sched *s);

/**
 * The interval before the next packet, in NTP units (32.32 seconds), and
 * advance. For an exponential slot it is mul(exp_variate, parameter)
 * (RFC 4656 §5.2 multiplication).
 */
uint64_t tw_sched_next_interval(struct tw_sched *s);

/**
 * Offset of the next packet from the session's Start Time in NTP units
 * (exact running sum of the intervals), and advance.
 */
uint64_t tw_sched_next_ntp(struct tw_sched *s);

/**
 * Offset of the next packet from the session's Start Time in nanoseconds
 * (the exact NTP sum converted, rounded to nearest), and advance. Sessions of up
 * to 2^32 s fit.
 */
uint64_t tw_sched_next(struct tw_sched *s);

/** Number of packets the schedule has produced since creation or reset. */
uint64_t tw_sched_count(const struct tw_sched *s);

/**
 * One exponential variate of mean 1 (RFC 4656 §5.1 Algorithm S, 32.32
 * fixed point) from the schedule's generator: what Appendix B sums. Shares
 * the generator with tw_sched_next*(); for tests and reference tools.
 */
uint64_t tw_sched_exp_rand(struct tw_sched *s);

/** Interval conversion: nanoseconds to NTP units (rounded to nearest). */
uint64_t tw_sched_ns_to_ntp(uint64_t ns);

/**
 * Interval conversion: NTP units to nanoseconds (rounded to nearest, so
 * tw_sched_ntp_to_ns(tw_sched_ns_to_ntp(ns)) == ns).
 */
uint64_t tw_sched_ntp_to_ns(uint64_t ntp);

/**
 * RFC 4656 §5.2 multiplication of two 32.32 fixed-point numbers:
 * (u * v) >> 32 computed exactly (modulo 2^64, as Appendix A's
 * OWPnum64_mul).
 */
static inline uint64_t tw_sched_mul(uint64_t u, uint64_t v)
{
	return (uint64_t)(((unsigned __int128)u * v) >> 32);
}

#ifdef __cplusplus
}
#endif

#endif /* TW_SCHED_H */
