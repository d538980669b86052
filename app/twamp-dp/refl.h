/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp: the reflector as configured (light ports, static sessions, keys
 * from the key file), on top of lib/dataplane's reflector.
 */
#ifndef TWAMP_DP_REFL_H
#define TWAMP_DP_REFL_H

#include <rte_rcu_qsbr.h>

#include "tw_config.h"
#include "tw_dataplane.h"

struct tw_refl;

struct app_refl;

/* Create the reflector for @p n_workers workers; NULL after logging why. */
struct app_refl *app_refl_create(const struct tw_config *cfg, unsigned n_workers);
/* The QSBR variable the workers must report to (NULL: none). */
struct rte_rcu_qsbr *app_refl_qsbr(struct app_refl *r);
/* The lib/dataplane reflector (for the control server's sessions). */
struct tw_refl *app_refl_get(struct app_refl *r);
/* Light ports, static sessions, handlers, owned UDP ports; 0 or -1 (logged). */
int app_refl_attach(struct app_refl *r, struct tw_dp *dp, const struct tw_config *cfg);
/* One line per listening port / static session. */
void app_refl_log(const struct app_refl *r, const struct tw_config *cfg);
/* Control-loop housekeeping (deferred frees). */
void app_refl_service(struct app_refl *r);
/* Release the UDP ports (before the data plane goes). NULL-safe. */
void app_refl_detach(struct app_refl *r);
/* Free everything, wiping keys. NULL-safe. */
void app_refl_destroy(struct app_refl *r);

#endif
