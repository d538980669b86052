/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp: ESP terminated in the workers (lib/ipsec). One context per
 * process, created when the config has ipsec.sas or a key-import socket;
 * the static SAs of ipsec.sas are installed at start, each inbound SA
 * paired with the outbound SA of the reverse direction. Key import
 * ("keyimp") adds and deletes SAs through app_ipsec_get().
 */
#ifndef TWAMP_DP_IPSEC_H
#define TWAMP_DP_IPSEC_H

#include <rte_rcu_qsbr.h>

#include "tw_config.h"
#include "tw_dataplane.h"
#include "tw_ipsec.h"

/* Create the context on the reflector's QSBR variable (nothing when the
 * config has no IPsec); 0 or -1 (logged). */
int app_ipsec_create(const struct tw_config *cfg, unsigned n_workers,
		     struct rte_rcu_qsbr *qsbr);
/* Worker hooks, ESP-in-UDP ports, static SAs, telemetry (before the
 * ports start); 0 or -1 (logged). */
int app_ipsec_attach(struct tw_dp *dp, const struct tw_config *cfg);
/* The context (NULL when IPsec is not configured). */
struct tw_ipsec *app_ipsec_get(void);
/* Free it (workers stopped). */
void app_ipsec_destroy(void);

#endif
