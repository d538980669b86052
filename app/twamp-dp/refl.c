/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder until lib/dataplane's reflector lands: no UDP port is owned. */
#include <stdlib.h>

#include "refl.h"
#include "twamp_dp.h"

struct app_refl {
	int unused;
};

struct app_refl *app_refl_create(const struct tw_config *cfg, unsigned n_workers)
{
	(void)cfg;
	(void)n_workers;
	return calloc(1, sizeof(struct app_refl));
}

struct rte_rcu_qsbr *app_refl_qsbr(struct app_refl *r)
{
	(void)r;
	return NULL;
}

int app_refl_attach(struct app_refl *r, struct tw_dp *dp, const struct tw_config *cfg)
{
	(void)r;
	(void)dp;
	(void)cfg;
	return 0;
}

void app_refl_log(const struct app_refl *r, const struct tw_config *cfg)
{
	(void)r;
	(void)cfg;
	app_log("reflector not built in yet");
}

void app_refl_service(struct app_refl *r)
{
	(void)r;
}

void app_refl_detach(struct app_refl *r)
{
	(void)r;
}

void app_refl_destroy(struct app_refl *r)
{
	free(r);
}
