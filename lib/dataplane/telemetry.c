/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry: /twamp/dp/stats, /twamp/dp/lcore,<i>, /twamp/dp/port,<name>,
 * /twamp/dp/ports, /twamp/dp/turnaround.
 * 22.11 callbacks take no user argument, so the data plane being reported is
 * a process-wide pointer under a lock (destroy clears it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include "dp_private.h"

static rte_spinlock_t tel_lock = RTE_SPINLOCK_INITIALIZER;
static struct tw_dp *tel_dp;
static bool tel_registered;

static void add_stats(struct rte_tel_data *d, const struct tw_dp_stats *st)
{
	for (unsigned i = 0; i < TW_DP_CNT__MAX; i++)
		rte_tel_data_add_dict_u64(d, tw_dp_counter_name(i), st->cnt[i]);
	for (unsigned i = 0; i < TW_DP_DROP__MAX; i++) {
		char name[48];

		snprintf(name, sizeof(name), "drop_%s", tw_dp_drop_name(i));
		rte_tel_data_add_dict_u64(d, name, st->drop[i]);
	}
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_dp_stats st;
	int rc = -ENODEV;

	(void)cmd;
	(void)params;
	rte_spinlock_lock(&tel_lock);
	if (tel_dp != NULL && tw_dp_stats_get(tel_dp, &st) == 0) {
		rte_tel_data_start_dict(d);
		add_stats(d, &st);
		rc = 0;
	}
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

static int tel_lcore(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_dp_stats st;
	char *end;
	unsigned long w;
	int rc = -EINVAL;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -EINVAL;
	w = strtoul(params, &end, 10);
	if (*end != '\0' || w > TW_DP_WORKERS_MAX)
		return -EINVAL;
	rte_spinlock_lock(&tel_lock);
	if (tel_dp != NULL && tw_dp_stats_sum(tel_dp, (int)w, -1, &st) == 0) {
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_string(d, "role",
					     w == tel_dp->conf.n_workers ? "service" : "worker");
		add_stats(d, &st);
		rc = 0;
	}
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

static int tel_port(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_dp_stats st;
	int rc = -EINVAL, idx;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -EINVAL;
	rte_spinlock_lock(&tel_lock);
	idx = tw_dp_port_index(tel_dp, params);
	if (idx >= 0 && tw_dp_stats_sum(tel_dp, -1, idx, &st) == 0) {
		rte_tel_data_start_dict(d);
		add_stats(d, &st);
		rc = 0;
	}
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

static int tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int rc = -ENODEV;

	(void)cmd;
	(void)params;
	rte_spinlock_lock(&tel_lock);
	if (tel_dp != NULL) {
		rte_tel_data_start_dict(d);
		for (unsigned i = 0; i < tel_dp->n_ports; i++) {
			const struct dp_port *p = &tel_dp->ports[i];
			struct rte_tel_data *c = rte_tel_data_alloc();

			if (c == NULL)
				break;
			rte_tel_data_start_dict(c);
			rte_tel_data_add_dict_string(c, "device", p->devname);
			rte_tel_data_add_dict_int(c, "ethdev", p->port_id);
			rte_tel_data_add_dict_int(c, "queues", p->nq);
			rte_tel_data_add_dict_string(c, "tap", p->tap_id != DP_NO_PORT ?
						     p->tap_ifname : "");
			rte_tel_data_add_dict_string(c, "rx_timestamp",
						     p->hwts == DP_HWTS_NONE ? "tsc" : "hardware");
			if (rte_tel_data_add_dict_container(d, p->conf.name, c, 0) != 0)
				rte_tel_data_free(c);
		}
		rc = 0;
	}
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

static int tel_turnaround(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static struct tw_dp_hist h; /* 4 KB: off the telemetry thread's stack */
	int rc = -ENODEV;

	(void)cmd;
	(void)params;
	rte_spinlock_lock(&tel_lock);
	if (tel_dp != NULL && tw_dp_turnaround_get(tel_dp, -1, &h) == 0) {
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_u64(d, "count", h.count);
		rte_tel_data_add_dict_u64(d, "mean_ns", h.count ? h.sum_ns / h.count : 0);
		rte_tel_data_add_dict_u64(d, "p50_ns", tw_dp_hist_quantile(&h, 0.5));
		rte_tel_data_add_dict_u64(d, "p90_ns", tw_dp_hist_quantile(&h, 0.9));
		rte_tel_data_add_dict_u64(d, "p99_ns", tw_dp_hist_quantile(&h, 0.99));
		rte_tel_data_add_dict_u64(d, "p999_ns", tw_dp_hist_quantile(&h, 0.999));
		rte_tel_data_add_dict_u64(d, "max_ns", h.max_ns);
		rc = 0;
	}
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

int tw_dp_telemetry_register(struct tw_dp *dp)
{
	int rc = 0;

	if (dp == NULL)
		return -EINVAL;
	rte_spinlock_lock(&tel_lock);
	if (!tel_registered) {
		rc = rte_telemetry_register_cmd("/twamp/dp/stats", tel_stats,
			"Data-plane counters summed over lcores. No parameters");
		if (rc == 0)
			rc = rte_telemetry_register_cmd("/twamp/dp/lcore", tel_lcore,
				"Counters of one lcore. Parameter: worker index (the last is the service)");
		if (rc == 0)
			rc = rte_telemetry_register_cmd("/twamp/dp/port", tel_port,
				"Counters of one port over all lcores. Parameter: port name");
		if (rc == 0)
			rc = rte_telemetry_register_cmd("/twamp/dp/turnaround", tel_turnaround,
				"Reflector turnaround, RX stamp to TX, all workers: count, mean, quantiles, max (ns)");
		if (rc == 0)
			rc = rte_telemetry_register_cmd("/twamp/dp/ports", tel_ports,
				"Ports: device, ethdev id, queues, TAP, RX timestamp source. No parameters");
		tel_registered = rc == 0;
	}
	if (rc == 0)
		tel_dp = dp;
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

void tw_dp_telemetry_forget(struct tw_dp *dp)
{
	rte_spinlock_lock(&tel_lock);
	if (tel_dp == dp)
		tel_dp = NULL;
	rte_spinlock_unlock(&tel_lock);
}
