/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp: the receiver (replies to our Session-Senders, OWAMP-Test
 * packets) on lib/dataplane's tw_recv, and the one place that drains its
 * records: each receive session has a sink (the DPDK sender, the OWAMP
 * server) that app_recv_service() hands its records to. Control thread
 * only, like everything in tw_recv but the worker handler.
 *
 * How "send" and "srv" use it: app_recv_session_add() with a sink when a
 * session is set up (the 5-tuple the packets arrive on, kind, mode, keys);
 * records arrive in the sink from the control loop, each worker's in order;
 * app_recv_session_del() when done (the sink is not called for it again).
 * Counters: tw_recv_session_stats(app_recv_get(), id, ...).
 */
#ifndef TWAMP_DP_RECV_H
#define TWAMP_DP_RECV_H

#include <rte_rcu_qsbr.h>

#include "tw_config.h"
#include "tw_dataplane.h"
#include "tw_dp_recv.h"

/* Records of one session, oldest first (@p n >= 1). */
typedef void (*app_recv_sink_fn)(void *arg, uint32_t session,
				 const struct tw_stats_rec *recs, unsigned n);

/* Create the receiver on the reflector's QSBR variable; 0 or -1 (logged). */
int app_recv_create(const struct tw_config *cfg, unsigned n_workers,
		    struct rte_rcu_qsbr *qsbr);
/* Handler class, telemetry; 0 or -1 (logged). */
int app_recv_attach(struct tw_dp *dp);
/* The receiver (NULL before app_recv_create()). */
struct tw_recv *app_recv_get(void);
/* tw_recv_session_add() with the sink that gets its records. */
int app_recv_session_add(const struct tw_recv_session *s, app_recv_sink_fn fn,
			 void *arg, uint32_t *id);
/* tw_recv_session_del(); records still queued for it are discarded. */
int app_recv_session_del(uint32_t id);
/* Drain the rings into the sinks (a bounded amount per call); records moved. */
unsigned app_recv_service(void);
/* Free it all (workers stopped). */
void app_recv_destroy(void);

#endif
