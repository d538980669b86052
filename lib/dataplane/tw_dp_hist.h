/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Log-linear latency histogram (no DPDK): per-worker turnaround of the
 * reflector, later the sender's RTT.
 */
#ifndef TW_DP_HIST_H
#define TW_DP_HIST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Histogram buckets: 8 linear below 8 ns, then 8 per power of two. */
#define TW_DP_HIST_BUCKETS 496

/**
 * A latency histogram in nanoseconds, relative resolution 1/8: what the
 * reflector's turnaround (RX stamp to TX stamp) looks like per worker.
 */
struct tw_dp_hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t max_ns;
	uint64_t bucket[TW_DP_HIST_BUCKETS];
} __attribute__((aligned(64)));

/** Bucket of a value in ns. */
static inline unsigned tw_dp_hist_bucket(uint64_t ns)
{
	unsigned e;

	if (ns < 8)
		return (unsigned)ns;
	e = 63u - (unsigned)__builtin_clzll(ns);
	return (e - 2) * 8 + (unsigned)((ns >> (e - 3)) & 7);
}

/** Smallest value of bucket @p b (b < TW_DP_HIST_BUCKETS). */
static inline uint64_t tw_dp_hist_floor(unsigned b)
{
	if (b < 8)
		return b;
	return (uint64_t)(8 + b % 8) << (b / 8 + 2 - 3);
}

/** Record one value (the owning lcore only). */
static inline void tw_dp_hist_add(struct tw_dp_hist *h, uint64_t ns)
{
	h->count++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->bucket[tw_dp_hist_bucket(ns)]++;
}

/**
 * The value below which a fraction @p q (0..1) of the samples lie, as the
 * upper edge of its bucket (never below the truth by more than 1/8), capped
 * at the maximum seen. 0 for an empty histogram.
 */
uint64_t tw_dp_hist_quantile(const struct tw_dp_hist *h, double q);

#ifdef __cplusplus
}
#endif

#endif /* TW_DP_HIST_H */
