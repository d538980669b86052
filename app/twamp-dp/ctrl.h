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

#include "tw_ctrl_server.h"

struct app_ctrl;

/*
 * Where IKEv2 keys come from (key import's IKE SA table): lookup by
 * SPIi/SPIr copies the IKE SA's prf(SK_d, "IPPM") (0 or -ENOENT), count
 * says how many IKE SAs there are (IKEv2Derived is offered while > 0).
 * Both run on the control thread.
 */
struct app_ctrl_ike {
	int (*lookup)(void *arg, const uint8_t spi_i[TW_CTRL_SPI_LEN],
		      const uint8_t spi_r[TW_CTRL_SPI_LEN], struct tw_ctrl_ike_key *out);
	unsigned (*count)(void *arg);
	/* ipsec.ikev2.profile draft: the Child SA between the control
	 * connection's two ends (0 or -ENOENT); see tw_ctrl_server_ops */
	int (*draft)(void *arg, const struct sockaddr *local, const struct sockaddr *peer,
		     struct tw_ctrl_draft_sa *out);
	void *arg;
};

/*
 * Listen on reflector.control.listen (TWAMP) and the same addresses on TCP
 * 861 (OWAMP); call after the ports (and their TAP addresses) are up.
 * NULL when control is disabled (nothing logged) or on error (logged;
 * *failed is then set).
 */
struct app_ctrl *app_ctrl_create(const struct tw_config *cfg, struct app_refl *refl,
				 struct tw_dp *dp, int *failed);
/* Set (or with NULL clear) the IKE SA table; NULL-safe on @p c. */
void app_ctrl_set_ike(struct app_ctrl *c, const struct app_ctrl_ike *ike);
struct tw_keyimp;
/* Take RFC 7717 keys (and the draft profile's Child SAs) from key import's
 * tables (lib/keyimp); NULL
 * clears. The table must outlive @p c or be cleared first. */
void app_ctrl_use_keyimp(struct app_ctrl *c, const struct tw_keyimp *t);
/* One control-loop pass: sockets (never blocking), REFWAIT once a second. */
void app_ctrl_service(struct app_ctrl *c);
/* Close every connection (removing its sessions) and free. NULL-safe. */
void app_ctrl_destroy(struct app_ctrl *c);

#endif
