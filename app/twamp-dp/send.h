/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp: the Session-Sender as configured (sender.sessions) and ad-hoc
 * runs from `twamp-ctl run` (telemetry /twamp/send/run and
 * /twamp/send/result), on top of lib/dataplane's sender (tw_dp_send.h) and
 * receiver (tw_dp_recv.h), with lib/stats for the metrics and results.
 * Everything here runs on the control thread except the telemetry
 * callbacks, which hand requests over under a lock.
 */
#ifndef TWAMP_DP_SEND_H
#define TWAMP_DP_SEND_H

#include <stdbool.h>

#include "tw_config.h"
#include "tw_dataplane.h"

struct app_send;

/*
 * Create the sender for @p dp (created, not started) and attach it: on the
 * sender lcore when the config has one (every port then needs a spare TX
 * queue), else in worker 0's loop. Replies come through app_recv (recv.h).
 * NULL after logging why.
 */
struct app_send *app_send_create(const struct tw_config *cfg, struct tw_dp *dp);
/* True when the sender runs on an lcore of its own (launch app_send_main()). */
bool app_send_dedicated(const struct app_send *a);
/* lcore entry of the dedicated sender (rte_eal_remote_launch). */
int app_send_main(void *a);
/* Queue sender.sessions (after the ports started); one log line each. */
void app_send_start(struct app_send *a);
/* Control-loop pass: next hops, records, results, requests. */
void app_send_service(struct app_send *a);
/* Free everything (workers and sender stopped). NULL-safe. */
void app_send_destroy(struct app_send *a);

#endif
