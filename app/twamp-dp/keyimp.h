/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp: key import (docs/key-import.md) served on
 * ipsec.key_import.socket from the control loop: the IKE SA table that
 * RFC 7717 in TWAMP/OWAMP-Control (ctrl.c) reads, Child SAs handed to the
 * IPsec data plane through app_keyimp_set_child_ops(), telemetry
 * /twamp/keys/stats. Control thread only (the telemetry callback reads a
 * snapshot under a lock).
 */
#ifndef TWAMP_DP_KEYIMP_H
#define TWAMP_DP_KEYIMP_H

#include "tw_config.h"
#include "tw_keyimp.h"

struct app_keyimp;

/*
 * Create the table and serve the socket when ipsec.key_import.socket is
 * set. NULL when key import is off (nothing logged) or on error (logged;
 * *failed is then set).
 */
struct app_keyimp *app_keyimp_create(const struct tw_config *cfg, int *failed);
/* One control-loop pass: accept, read and answer, never blocking. */
void app_keyimp_service(struct app_keyimp *k);
/* Close the clients, remove the socket, wipe every key. NULL-safe. */
void app_keyimp_destroy(struct app_keyimp *k);

/*
 * The IKE SA table of the running appliance (NULL when key import is off):
 * ctrl.c looks IKE SAs up here (tw_keyimp_ike_get() by KeyID on the server
 * side, tw_keyimp_ike_by_peer() on the client side) and keeps the copy for
 * the connection. Control thread only.
 */
struct tw_keyimp *app_keyimp_table(void);

/*
 * Child SA operations (lib/ipsec): install before the first client sends
 * records. Without them Child SAs are validated and kept for `key list`.
 */
void app_keyimp_set_child_ops(struct app_keyimp *k,
			      int (*add)(void *arg, const struct tw_keyimp_child *c),
			      void (*del)(void *arg, const struct tw_keyimp_child *c),
			      void (*counters)(void *arg, const struct tw_keyimp_child *c,
					       struct tw_keyimp_child_counters *out),
			      void *arg);

#endif
