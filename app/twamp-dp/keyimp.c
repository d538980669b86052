/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp: the key-import socket (lib/keyimp) in the control loop, its
 * telemetry, and the accessors ctrl.c (RFC 7717) and the IPsec glue use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include "keyimp.h"
#include "twamp_dp.h"

struct app_keyimp {
	struct tw_keyimp *t;
	struct tw_keyimp_server *srv;
	/* Child SA operations, installed by the IPsec glue */
	int (*add)(void *arg, const struct tw_keyimp_child *c);
	void (*del)(void *arg, const struct tw_keyimp_child *c);
	void (*counters)(void *arg, const struct tw_keyimp_child *c,
			 struct tw_keyimp_child_counters *out);
	void *arg;
	unsigned pass;
};

/* 22.11 telemetry callbacks take no argument: the process's one table */
static struct app_keyimp *cur;
static rte_spinlock_t tel_lock = RTE_SPINLOCK_INITIALIZER;
static struct tw_keyimp_stats tel_st;
static bool tel_on;

static int op_add(void *arg, const struct tw_keyimp_child *c)
{
	struct app_keyimp *k = arg;

	return k->add != NULL ? k->add(k->arg, c) : 0;
}

static void op_del(void *arg, const struct tw_keyimp_child *c)
{
	struct app_keyimp *k = arg;

	if (k->del != NULL)
		k->del(k->arg, c);
}

static void op_counters(void *arg, const struct tw_keyimp_child *c,
			struct tw_keyimp_child_counters *out)
{
	struct app_keyimp *k = arg;

	if (k->counters != NULL)
		k->counters(k->arg, c, out);
}

/* lib/keyimp never puts key material into a message */
static void op_log(void *arg, const char *msg)
{
	(void)arg;
	app_log("%s", msg);
}

static void tel_snapshot(struct app_keyimp *k)
{
	struct tw_keyimp_stats st;

	tw_keyimp_stats_get(k->t, &st);
	rte_spinlock_lock(&tel_lock);
	tel_st = st;
	tel_on = true;
	rte_spinlock_unlock(&tel_lock);
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_keyimp_stats st;
	bool on;

	(void)cmd;
	(void)params;
	rte_spinlock_lock(&tel_lock);
	st = tel_st;
	on = tel_on;
	rte_spinlock_unlock(&tel_lock);
	rte_tel_data_start_dict(d);
	if (!on)
		return 0;
	rte_tel_data_add_dict_u64(d, "ike_sas", st.ike);
	rte_tel_data_add_dict_u64(d, "child_sas", st.child);
	rte_tel_data_add_dict_u64(d, "clients", st.clients);
	rte_tel_data_add_dict_u64(d, "accepted", st.accepted);
	rte_tel_data_add_dict_u64(d, "refused_peer", st.refused_peer);
	rte_tel_data_add_dict_u64(d, "refused_busy", st.refused_busy);
	rte_tel_data_add_dict_u64(d, "records", st.records);
	rte_tel_data_add_dict_u64(d, "records_ok", st.records_ok);
	rte_tel_data_add_dict_u64(d, "records_err", st.records_err);
	rte_tel_data_add_dict_u64(d, "ike_added", st.ike_added);
	rte_tel_data_add_dict_u64(d, "ike_rekeyed", st.ike_rekeyed);
	rte_tel_data_add_dict_u64(d, "ike_deleted", st.ike_deleted);
	rte_tel_data_add_dict_u64(d, "child_added", st.child_added);
	rte_tel_data_add_dict_u64(d, "child_deleted", st.child_deleted);
	return 0;
}

struct app_keyimp *app_keyimp_create(const struct tw_config *cfg, int *failed)
{
	static bool tel_done;
	const char *path = cfg->ipsec.key_import_socket;
	struct tw_keyimp_server_conf sc = { 0 };
	struct tw_keyimp_conf tc = { 0 };
	struct app_keyimp *k;

	*failed = 0;
	if (path[0] == '\0')
		return NULL;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		goto fail;
	/* Child SAs are accepted (and kept) even before an IPsec data plane
	 * installs its operations: `key list` shows them */
	tc.ipsec_enabled = true;
	tc.ops.child_add = op_add;
	tc.ops.child_del = op_del;
	tc.ops.child_counters = op_counters;
	tc.ops.log = op_log;
	tc.ops.arg = k;
	k->t = tw_keyimp_create(&tc);
	if (k->t == NULL) {
		app_log("key import: cannot create the table: %s", strerror(errno));
		goto fail;
	}
	sc.path = path;
	sc.allow_uid = getuid();
	k->srv = tw_keyimp_server_create(k->t, &sc);
	if (k->srv == NULL) {
		app_log("key import: cannot serve %s: %s%s", path, strerror(errno),
			errno == EEXIST ? " (a file that is not a socket is in the way)" : "");
		goto fail;
	}
	app_log("key import: protocol %u on %s (mode 0600, root and uid %u)",
		TW_KEYIMP_VERSION, path, (unsigned)sc.allow_uid);
	cur = k;
	tel_snapshot(k);
	if (!tel_done && rte_telemetry_register_cmd("/twamp/keys/stats", tel_stats,
						    "key import counters (no keys)") == 0)
		tel_done = true;
	return k;
fail:
	if (k != NULL) {
		tw_keyimp_destroy(k->t);
		free(k);
	}
	*failed = 1;
	return NULL;
}

void app_keyimp_service(struct app_keyimp *k)
{
	int n;

	if (k == NULL)
		return;
	n = tw_keyimp_server_poll(k->srv, 0);
	if (n < 0 && k->pass % 1024 == 0)
		app_log("key import: poll: %s", strerror(-n));
	/* counters for telemetry: after any work, and now and then */
	if (n != 0 || ++k->pass % 256 == 0)
		tel_snapshot(k);
}

void app_keyimp_destroy(struct app_keyimp *k)
{
	if (k == NULL)
		return;
	if (cur == k)
		cur = NULL;
	rte_spinlock_lock(&tel_lock);
	tel_on = false;
	rte_spinlock_unlock(&tel_lock);
	tw_keyimp_server_destroy(k->srv);
	tw_keyimp_destroy(k->t);
	free(k);
}

struct tw_keyimp *app_keyimp_table(void)
{
	return cur != NULL ? cur->t : NULL;
}

void app_keyimp_set_child_ops(struct app_keyimp *k,
			      int (*add)(void *arg, const struct tw_keyimp_child *c),
			      void (*del)(void *arg, const struct tw_keyimp_child *c),
			      void (*counters)(void *arg, const struct tw_keyimp_child *c,
					       struct tw_keyimp_child_counters *out),
			      void *arg)
{
	if (k == NULL)
		return;
	k->add = add;
	k->del = del;
	k->counters = counters;
	k->arg = arg;
}
