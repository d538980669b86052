/* SPDX-License-Identifier: BSD-3-Clause */
#include <stddef.h>

#include "tw_dp_hist.h"

uint64_t tw_dp_hist_quantile(const struct tw_dp_hist *h, double q)
{
	uint64_t want, seen = 0;

	if (h == NULL || h->count == 0)
		return 0;
	if (q <= 0)
		q = 0;
	want = (uint64_t)(q * (double)h->count);
	if (want >= h->count)
		want = h->count - 1;
	for (unsigned b = 0; b < TW_DP_HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen > want) {
			uint64_t top = b + 1 < TW_DP_HIST_BUCKETS ?
				       tw_dp_hist_floor(b + 1) - 1 : UINT64_MAX;

			return top < h->max_ns ? top : h->max_ns;
		}
	}
	return h->max_ns;
}
