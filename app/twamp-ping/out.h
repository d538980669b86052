/* SPDX-License-Identifier: BSD-3-Clause */
/* twamp-ping results file (out.c). */
#ifndef TWAMP_PING_OUT_H
#define TWAMP_PING_OUT_H

#include "run.h"
#include "tw_stats.h"

/* lib/stats' JSON plus the "twamp_ping" object, written atomically. */
int out_write_json(const char *path, const struct tw_stats_result *res,
		   const struct tw_stats_meta *meta, const struct run *r,
		   const struct run_dep *d);

#endif /* TWAMP_PING_OUT_H */
