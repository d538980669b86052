/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp: the TWAMP-Control / OWAMP-Control server (lib/control) glued to
 * the appliance: keys from the key file, TWAMP test sessions into the
 * reflector, OWAMP test sessions into the receiver with their records kept
 * for Fetch-Session, REFWAIT, telemetry /twamp/ctrl/stats. Control thread
 * only.
 */
#ifndef TWAMP_DP_CTRL_H
#define TWAMP_DP_CTRL_H

#include "refl.h"
#include "tw_config.h"
#include "tw_dataplane.h"

struct app_ctrl;

/*
 * Listen on reflector.control.listen (TWAMP) and the same addresses on TCP
 * 861 (OWAMP); call after the ports (and their TAP addresses) are up.
 * NULL when control is disabled (nothing logged) or on error (logged;
 * *failed is then set).
 */
struct app_ctrl *app_ctrl_create(const struct tw_config *cfg, struct app_refl *refl,
				 struct tw_dp *dp, int *failed);
/* One control-loop pass: sockets (never blocking), REFWAIT once a second. */
void app_ctrl_service(struct app_ctrl *c);
/* Close every connection (removing its sessions) and free. NULL-safe. */
void app_ctrl_destroy(struct app_ctrl *c);

#endif
