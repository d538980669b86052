/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The clocks of the pacing loop and a percentile helper. The send times
 * themselves come from lib/control's tw_sched (RFC 4656 §5).
 */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "ping.h"

uint64_t pace_mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

int64_t pace_real_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t ping_pct(int64_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_i64);
	/* nearest rank */
	i = (size_t)ceil(p / 100.0 * (double)n);
	if (i > 0)
		i--;
	return v[i < n ? i : n - 1];
}
