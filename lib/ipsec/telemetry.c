/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry: /twamp/ipsec/sas (the SAs by name), /twamp/ipsec/sa,<name>
 * (SPI, direction, algorithms, counters; never keys) and /twamp/ipsec/stats
 * (totals per direction). 22.11 callbacks
 * take no argument: the context reported is a process-wide pointer under
 * the lock that SA add/delete also take.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include "ipsec_priv.h"

rte_spinlock_t tw_ipsec_tel_lock = RTE_SPINLOCK_INITIALIZER;
static struct tw_ipsec *tel_ctx;
static bool tel_registered;

#define STATS(X) X(packets) X(octets) X(auth_fail) X(replay_drop) X(bad) \
	X(inner_drop) X(ts_mismatch) X(no_reply_sa) X(seq_overflow) X(errors) X(ecn_drop)

static void add_stats(struct rte_tel_data *d, const struct tw_ipsec_sa_stats *s)
{
#define ADD(f) rte_tel_data_add_dict_u64(d, #f, s->f);
	STATS(ADD)
#undef ADD
}

static void sa_name(const struct tw_ipsec_sa_info *info, char *buf, size_t len)
{
	snprintf(buf, len, "%s:0x%08x", info->conf.dir == TW_IPSEC_IN ? "in" : "out",
		 info->conf.spi);
}

/* The SAs by name ("in:0x00002001"): the parameter of /twamp/ipsec/sa. */
static int tel_sas(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_ipsec_sa_info info;
	uint32_t next = 0;
	int rc = -ENODEV;

	(void)cmd;
	(void)params;
	rte_spinlock_lock(&tw_ipsec_tel_lock);
	if (tel_ctx != NULL) {
		rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
		rc = 0;
		while (tw_ipsec_sa_iterate(tel_ctx, &next, &info) == 1) {
			char name[32];

			sa_name(&info, name, sizeof(name));
			if (rte_tel_data_add_array_string(d, name) != 0)
				break;
		}
	}
	rte_spinlock_unlock(&tw_ipsec_tel_lock);
	return rc;
}

/* One SA: addresses, algorithms, counters (never keys). */
static int tel_sa(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_ipsec_sa_info info;
	uint32_t next = 0;
	int rc = -ENODEV;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -EINVAL;
	rte_spinlock_lock(&tw_ipsec_tel_lock);
	if (tel_ctx != NULL) {
		rc = -ENOENT;
		while (tw_ipsec_sa_iterate(tel_ctx, &next, &info) == 1) {
			char name[32];

			sa_name(&info, name, sizeof(name));
			if (strcmp(name, params) != 0)
				continue;
			rte_tel_data_start_dict(d);
			rte_tel_data_add_dict_u64(d, "spi", info.conf.spi);
			rte_tel_data_add_dict_string(d, "direction",
						     info.conf.dir == TW_IPSEC_IN ? "in" : "out");
			rte_tel_data_add_dict_string(d, "proto", info.conf.proto == TW_IPSEC_AH ?
						     "ah" : "esp");
			rte_tel_data_add_dict_string(d, "mode", info.conf.mode == TW_IPSEC_TUNNEL ?
						     "tunnel" : "transport");
			rte_tel_data_add_dict_string(d, "encap", info.conf.encap_udp ? "udp" : "none");
			rte_tel_data_add_dict_string(d, "cipher",
						     tw_ipsec_cipher_name(info.conf.cipher));
			rte_tel_data_add_dict_string(d, "auth", tw_ipsec_auth_name(info.conf.auth));
			rte_tel_data_add_dict_u64(d, "esn", info.conf.esn);
			if (info.conf.dir == TW_IPSEC_IN)
				rte_tel_data_add_dict_u64(d, "reply_spi", info.conf.reply_spi);
			/* RFC 4301 §5.1.2.1: the outer DSCP, copied or the SA's */
			if (info.conf.dir == TW_IPSEC_OUT && info.conf.mode == TW_IPSEC_TUNNEL) {
				if (info.conf.outer_dscp_fixed)
					rte_tel_data_add_dict_u64(d, "outer_dscp",
								  info.conf.outer_dscp);
				else
					rte_tel_data_add_dict_string(d, "outer_dscp", "copy");
			}
			add_stats(d, &info.stats);
			rc = 0;
			break;
		}
	}
	rte_spinlock_unlock(&tw_ipsec_tel_lock);
	return rc;
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_ipsec_sa_stats in = { 0 }, out = { 0 };
	struct tw_ipsec_sa_info info;
	uint32_t next = 0;
	int rc = -ENODEV;

	(void)cmd;
	(void)params;
	rte_spinlock_lock(&tw_ipsec_tel_lock);
	if (tel_ctx != NULL) {
		uint64_t n_in = 0, n_out = 0;

		while (tw_ipsec_sa_iterate(tel_ctx, &next, &info) == 1) {
			struct tw_ipsec_sa_stats *t = info.conf.dir == TW_IPSEC_IN ? &in : &out;

#define SUMF(f) t->f += info.stats.f;
			STATS(SUMF)
#undef SUMF
			if (info.conf.dir == TW_IPSEC_IN)
				n_in++;
			else
				n_out++;
		}
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_u64(d, "sas_in", n_in);
		rte_tel_data_add_dict_u64(d, "sas_out", n_out);
#define ADDIO(f) rte_tel_data_add_dict_u64(d, "in_" #f, in.f); \
		 rte_tel_data_add_dict_u64(d, "out_" #f, out.f);
		STATS(ADDIO)
#undef ADDIO
		rc = 0;
	}
	rte_spinlock_unlock(&tw_ipsec_tel_lock);
	return rc;
}

int tw_ipsec_telemetry_register(struct tw_ipsec *ctx)
{
	int rc = 0;

	if (ctx == NULL)
		return -EINVAL;
	rte_spinlock_lock(&tw_ipsec_tel_lock);
	if (!tel_registered) {
		rc = rte_telemetry_register_cmd("/twamp/ipsec/sas", tel_sas,
			"IPsec SAs terminated in the workers, by name. No parameters");
		if (rc == 0)
			rc = rte_telemetry_register_cmd("/twamp/ipsec/sa", tel_sa,
				"One SA: algorithms and counters. Parameter: name (in:0x00002001)");
		if (rc == 0)
			rc = rte_telemetry_register_cmd("/twamp/ipsec/stats", tel_stats,
				"IPsec totals per direction. No parameters");
		tel_registered = rc == 0;
	}
	if (rc == 0)
		tel_ctx = ctx;
	rte_spinlock_unlock(&tw_ipsec_tel_lock);
	return rc;
}

void ipsec_telemetry_forget(struct tw_ipsec *ctx)
{
	rte_spinlock_lock(&tw_ipsec_tel_lock);
	if (tel_ctx == ctx)
		tel_ctx = NULL;
	rte_spinlock_unlock(&tw_ipsec_tel_lock);
}
