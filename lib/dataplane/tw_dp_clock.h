/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * TSC -> NTP time for the fast path (DESIGN.md §4).
 *
 * The control thread takes a (TSC, CLOCK_REALTIME) anchor, best of several
 * samples, and refreshes it periodically; workers convert a TSC value to a
 * 64-bit NTP timestamp with one 64x64->128 multiply and a shift (no division
 * per packet). Readers and the single writer synchronise through a sequence
 * counter, so a worker never sees half an anchor.
 *
 * No DPDK dependency: the TSC is read with the x86 rdtsc instruction (or
 * CLOCK_MONOTONIC_RAW in ns where there is no TSC), so the math is testable
 * without EAL.
 */
#ifndef TW_DP_CLOCK_H
#define TW_DP_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "tw_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * One linear map TSC -> NTP:
 *   ntp = ntp0 + round((tsc - tsc0) * mult / 2^(32 + shift)),
 *   mult = 2^(64 + shift) / hz, shift the largest with 2^(shift + 1) < hz,
 * so mult keeps 62 significant bits (an hour without re-anchoring stays
 * within a nanosecond of exact) and the rounded product fits 128 bits for
 * any 64-bit TSC difference.
 */
struct tw_dp_clock_anchor {
	uint64_t tsc;   /**< TSC at the anchor */
	tw_ntp_t ntp;   /**< NTP time at the anchor */
	uint64_t mult;  /**< 2^(64 + shift) / hz */
	uint64_t hz;    /**< TSC ticks per second the map uses */
	uint32_t shift; /**< see above */
};

/** The clock: an anchor under a sequence counter, plus its error estimate. */
struct tw_dp_clock {
	uint32_t seq;                   /**< odd while the writer updates */
	struct tw_dp_clock_anchor a;    /**< current map */
	uint16_t errest;                /**< encoded RFC 4656 Error Estimate */
	uint64_t nominal_hz;            /**< TSC frequency given at init */
	uint64_t window_ns;             /**< best sampling window of the last refresh */
	uint64_t refreshes;             /**< number of anchors taken */
};

/** How long tw_dp_clock_init() measures the TSC rate (ms). */
#define TW_DP_CLOCK_CAL_MS 50

/** Samples per refresh; the one with the tightest TSC window wins. */
#define TW_DP_CLOCK_SAMPLES 9

/** Largest frequency correction a refresh accepts (parts per million). */
#define TW_DP_CLOCK_MAX_PPM 500

/**
 * Fill @p a so that @p tsc maps to @p unix_ns (ns since 1970) at @p hz ticks/s.
 * One division, at anchor time only.
 * @return 0, or -TW_PROTO_E_INVAL when @p hz is 0.
 */
int tw_dp_clock_anchor_set(struct tw_dp_clock_anchor *a, uint64_t tsc,
			   uint64_t unix_ns, uint64_t hz);

/**
 * Convert a TSC value through an anchor. Works for TSC values before the
 * anchor too (a packet stamped just before a refresh).
 */
static inline tw_ntp_t tw_dp_clock_anchor_ntp(const struct tw_dp_clock_anchor *a,
					      uint64_t tsc)
{
	unsigned sh = 32 + a->shift;
	unsigned __int128 half = (unsigned __int128)1 << (sh - 1);

	if (tsc >= a->tsc)
		return a->ntp + (uint64_t)(((unsigned __int128)(tsc - a->tsc) *
					    a->mult + half) >> sh);
	return a->ntp - (uint64_t)(((unsigned __int128)(a->tsc - tsc) *
				    a->mult + half) >> sh);
}

/** Read the CPU's time stamp counter (what the fast path stamps with). */
uint64_t tw_dp_clock_tsc(void);

/**
 * Initialise and take the first anchor. The TSC rate is always measured
 * against CLOCK_MONOTONIC_RAW (TW_DP_CLOCK_CAL_MS): a frequency from the
 * CPU's nominal clock (rte_get_tsc_hz() on virtual machines) can be
 * thousands of ppm off, more than a refresh may correct.
 * @param tsc_hz TSC frequency to use only when the measurement fails
 *               (rte_get_tsc_hz() under EAL, or 0)
 * @return 0, -TW_PROTO_E_INVAL on a NULL clock, -TW_PROTO_E_RANGE when the
 *         frequency cannot be determined or the system clock cannot be read.
 */
int tw_dp_clock_init(struct tw_dp_clock *clk, uint64_t tsc_hz);

/**
 * Take a new anchor (control thread, the only writer). The best of
 * TW_DP_CLOCK_SAMPLES (TSC, CLOCK_REALTIME, TSC) triples is used; when the
 * previous anchor is at least half a second old the TSC frequency is
 * re-estimated from the two anchors, within ±TW_DP_CLOCK_MAX_PPM of nominal.
 * The Error Estimate is refreshed from adjtimex().
 * @return 0, or -TW_PROTO_E_RANGE when the system clock cannot be read.
 */
int tw_dp_clock_refresh(struct tw_dp_clock *clk);

/**
 * Install a new anchor and error estimate (what refresh does after sampling;
 * exposed for tests and for callers with their own time source).
 */
void tw_dp_clock_publish(struct tw_dp_clock *clk,
			 const struct tw_dp_clock_anchor *a, uint16_t errest);

/** Convert a TSC value to NTP time (any thread; lock-free reader). */
tw_ntp_t tw_dp_clock_ntp(const struct tw_dp_clock *clk, uint64_t tsc);

/**
 * TSC ticks per second of the current map: the measured and tracked rate,
 * for anything that converts TSC intervals (pacing, timeouts).
 */
uint64_t tw_dp_clock_hz(const struct tw_dp_clock *clk);

/** Current NTP time (reads the TSC). */
tw_ntp_t tw_dp_clock_now(const struct tw_dp_clock *clk);

/** The encoded Error Estimate to put into test packets (never 0). */
uint16_t tw_dp_clock_errest(const struct tw_dp_clock *clk);

/**
 * The Error Estimate for a kernel clock state: S only when synchronised
 * (adjtimex() returned neither TIME_ERROR nor STA_UNSYNC set); error =
 * esterror (synchronised) or maxerror (not), in microseconds, plus the
 * sampling window.
 *
 * @param state   adjtimex() return value
 * @param status  timex.status
 * @param esterror_us timex.esterror
 * @param maxerror_us timex.maxerror
 * @param window_ns   TSC sampling uncertainty
 * @return the encoded estimate (never 0).
 */
uint16_t tw_dp_clock_errest_from_kernel(int state, int status, long esterror_us,
					long maxerror_us, uint64_t window_ns);

/**
 * Frequency a refresh would adopt: the measured rate between two anchors
 * when within ±TW_DP_CLOCK_MAX_PPM of @p nominal_hz, else @p nominal_hz.
 *
 * @param d_tsc ticks between the anchors
 * @param d_ns  CLOCK_REALTIME nanoseconds between them
 */
uint64_t tw_dp_clock_rate(uint64_t nominal_hz, uint64_t d_tsc, uint64_t d_ns);

#ifdef __cplusplus
}
#endif

#endif /* TW_DP_CLOCK_H */
