/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/stats internals shared by stats.c (metrics) and output.c (writers).
 */
#ifndef TW_STATS_PRIV_H
#define TW_STATS_PRIV_H

#include <stdint.h>

#include "tw_stats.h"

/*
 * Log-linear histogram of signed nanosecond values (HDR-style). Magnitudes
 * below 2^(SUB_BITS+1) have a bucket each; above, every power of two is cut
 * into 2^SUB_BITS equal buckets, so a bucket is at most 2^-SUB_BITS of its
 * lower bound wide. Negative values go to a mirror array.
 */
#define HIST_SUB (1u << TW_STATS_HIST_SUB_BITS)
/* magnitude < 2^37: largest index (36 - SUB_BITS) * SUB + 2 * SUB - 1 */
#define HIST_NB ((37u - TW_STATS_HIST_SUB_BITS) * HIST_SUB + HIST_SUB)

struct stats_hist {
	uint64_t *pos;  /* HIST_NB counters, v >= 0 */
	uint64_t *neg;  /* HIST_NB counters, -v for v < 0 */
};

/* Exact moments plus the histogram of one distribution. */
struct stats_acc {
	uint64_t n;
	int64_t min;
	int64_t max;
	__int128 sum;    /* exact mean */
	int64_t shift;   /* first value: shifted sums keep the variance exact enough */
	double sd;       /* sum of (v - shift) */
	double sd2;      /* sum of (v - shift)^2 */
	struct stats_hist h;
};

/* Index of magnitude @p m (clamped by the caller to < 2^37). */
static inline uint32_t stats_hist_index(uint64_t m)
{
	if (m < 2 * HIST_SUB)
		return (uint32_t)m;
	unsigned msb = 63u - (unsigned)__builtin_clzll(m);
	unsigned shift = msb - TW_STATS_HIST_SUB_BITS;
	return (uint32_t)(shift * HIST_SUB + (m >> shift));
}

/* Lowest magnitude of bucket @p idx and its width. */
static inline void stats_hist_bucket(uint32_t idx, uint64_t *lo, uint64_t *w)
{
	if (idx < 2 * HIST_SUB) {
		*lo = idx;
		*w = 1;
		return;
	}
	unsigned shift = idx / HIST_SUB - 1;
	uint64_t sub = idx - (uint64_t)shift * HIST_SUB;
	*lo = sub << shift;
	*w = 1ull << shift;
}

#endif /* TW_STATS_PRIV_H */
