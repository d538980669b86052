/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp: the configured reflector (reflector.light[] and
 * reflector.static_sessions[] with their keys from the key file) on top of
 * lib/dataplane's tw_refl, plus the app's own telemetry: what exists
 * (/twamp/app/reflector) and the turnaround histogram per worker
 * (/twamp/app/turnaround), so twamp-ctl can ask for every session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_errno.h>
#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include "refl.h"
#include "tw_dp_reflect.h"
#include "twamp_dp.h"

struct app_session {
	uint32_t id;
	unsigned cfg_idx;
};

struct app_refl {
	struct tw_refl *refl;
	struct tw_dp *dp;
	unsigned n_workers;
	struct app_session *sessions;
	unsigned n_sessions;
	const struct tw_config *cfg; /* valid between attach and detach */
};

/* 22.11 telemetry callbacks take no argument: the app's one reflector */
static rte_spinlock_t tel_lock = RTE_SPINLOCK_INITIALIZER;
static struct app_refl *tel_refl;

static enum tw_refl_proto map_proto(enum tw_config_proto p)
{
	return p == TW_CONFIG_PROTO_STAMP ? TW_REFL_STAMP :
	       p == TW_CONFIG_PROTO_LIGHT ? TW_REFL_LIGHT : TW_REFL_TWAMP;
}

static enum tw_refl_mode map_mode(enum tw_config_mode m)
{
	return m == TW_CONFIG_TMODE_AUTH ? TW_REFL_AUTH :
	       m == TW_CONFIG_TMODE_ENC ? TW_REFL_ENC : TW_REFL_OPEN;
}

static const char *mode_name(enum tw_config_mode m)
{
	return m == TW_CONFIG_TMODE_AUTH ? "auth" : m == TW_CONFIG_TMODE_ENC ? "enc" : "open";
}

static int family_of(const struct tw_config_addr *a)
{
	return a->family == 6 ? AF_INET6 : AF_INET;
}

/* The key-file secret @p id (the config checked it exists and its length). */
static const struct tw_config_key *secret(const struct tw_config *cfg, const char *id)
{
	const struct tw_config_key *k = tw_config_key_find(&cfg->keys, id);

	if (k == NULL || !k->is_secret) {
		app_log("key '%s': no such secret in the key file", id);
		return NULL;
	}
	return k;
}

/* A static session's local address: the port address whose subnet holds the
 * peer, else the first address of the peer's family. */
static const struct tw_config_addr *local_addr(const struct tw_config *cfg,
					       const struct tw_config_addr *peer)
{
	const struct tw_config_addr *first = NULL;

	for (unsigned p = 0; p < cfg->n_ports; p++) {
		const struct tw_config_port *cp = &cfg->ports[p];
		const struct tw_config_addr *v = peer->family == 6 ? cp->ipv6 : cp->ipv4;
		unsigned n = peer->family == 6 ? cp->n_ipv6 : cp->n_ipv4;

		for (unsigned i = 0; i < n; i++) {
			if (tw_config_addr_in_prefix(&v[i], peer))
				return &v[i];
			if (first == NULL)
				first = &v[i];
		}
	}
	return first;
}

struct app_refl *app_refl_create(const struct tw_config *cfg, unsigned n_workers)
{
	struct tw_refl_conf rc = {
		.n_workers = n_workers,
		.clock = NULL, /* the data plane (and its clock) comes after the QSBR */
		.crypto = TW_CRYPTO_IMPL_BEST,
	};
	struct app_refl *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		app_log("reflector: out of memory");
		return NULL;
	}
	rc.max_sessions = cfg->control.enabled ? cfg->control.max_sessions : 1024;
	if (rc.max_sessions < cfg->n_statics + 8)
		rc.max_sessions = cfg->n_statics + 8;
	r->n_workers = n_workers;
	r->sessions = calloc(cfg->n_statics + 1, sizeof(*r->sessions));
	r->refl = r->sessions != NULL ? tw_refl_create(&rc) : NULL;
	if (r->refl == NULL) {
		app_log("reflector: %s", rte_strerror(rte_errno));
		free(r->sessions);
		free(r);
		return NULL;
	}
	return r;
}

struct tw_refl *app_refl_get(struct app_refl *r)
{
	return r != NULL ? r->refl : NULL;
}

struct rte_rcu_qsbr *app_refl_qsbr(struct app_refl *r)
{
	return tw_refl_qsbr(r->refl);
}

static int add_light(struct app_refl *r, const struct tw_config *cfg,
		     const struct tw_config_light *cl)
{
	struct tw_refl_light l = {
		.port = cl->port,
		.proto = map_proto(cl->protocol),
		.mode = map_mode(cl->mode),
		.stateful = cl->stateful,
		.dscp = TW_REFL_DSCP_COPY,
	};
	int rc;

	if (cl->mode != TW_CONFIG_TMODE_OPEN) {
		const struct tw_config_key *k = secret(cfg, cl->key_id);

		if (k == NULL)
			return -1;
		l.key = k->value;
		l.key_len = k->len;
	}
	for (unsigned i = 0; i < cl->n_allow && l.n_allow < TW_REFL_ALLOW_MAX; i++) {
		struct tw_dp_prefix *p = &l.allow[l.n_allow++];

		p->family = family_of(&cl->allow[i]);
		p->len = cl->allow[i].prefix;
		memcpy(p->addr, cl->allow[i].addr, 16);
	}
	rc = tw_refl_light_add(r->refl, &l);
	if (rc != 0)
		app_log("reflector.light port %u: %s", cl->port, strerror(-rc));
	return rc;
}

static int add_static(struct app_refl *r, const struct tw_config *cfg, unsigned idx)
{
	const struct tw_config_static *cs = &cfg->statics[idx];
	const struct tw_config_addr *la = local_addr(cfg, &cs->peer);
	struct tw_refl_session s = {
		.family = family_of(&cs->peer),
		.local_port = cs->port,
		.peer_port = cs->peer_port,
		.proto = map_proto(cs->protocol),
		.mode = map_mode(cs->mode),
		.stateful = cs->stateful,
		.dscp = TW_REFL_DSCP_COPY,
		.started = true,
	};
	char pa[INET6_ADDRSTRLEN];
	uint32_t id;
	int rc;

	tw_config_addr_str(&cs->peer, pa, sizeof(pa));
	if (la == NULL) {
		app_log("reflector.static_sessions[%u]: no port address for peer %s", idx, pa);
		return -1;
	}
	memcpy(s.local_addr, la->addr, 16);
	memcpy(s.peer_addr, cs->peer.addr, 16);
	if (cs->mode != TW_CONFIG_TMODE_OPEN) {
		const struct tw_config_key *k = secret(cfg, cs->key_id);

		if (k == NULL)
			return -1;
		if (cs->protocol == TW_CONFIG_PROTO_STAMP) {
			s.stamp_key = k->value;
			s.stamp_key_len = k->len;
		} else if (k->len == TW_REFL_LIGHT_KEY_LEN) {
			memcpy(s.test_keys.aes, k->value, sizeof(s.test_keys.aes));
			memcpy(s.test_keys.hmac, k->value + sizeof(s.test_keys.aes),
			       sizeof(s.test_keys.hmac));
		} else {
			app_log("reflector.static_sessions[%u]: key '%s' has %zu octets, "
				"TWAMP Light needs %u", idx, cs->key_id, k->len,
				TW_REFL_LIGHT_KEY_LEN);
			return -1;
		}
	}
	rc = tw_refl_session_add(r->refl, &s, &id);
	explicit_bzero(&s.test_keys, sizeof(s.test_keys));
	if (rc != 0) {
		app_log("reflector.static_sessions[%u] (peer %s): %s", idx, pa, strerror(-rc));
		return rc;
	}
	r->sessions[r->n_sessions].id = id;
	r->sessions[r->n_sessions].cfg_idx = idx;
	r->n_sessions++;
	return 0;
}

static void add_refl_stats(struct rte_tel_data *d, const struct tw_refl_stats *st)
{
	rte_tel_data_add_dict_u64(d, "rx", st->rx);
	rte_tel_data_add_dict_u64(d, "tx", st->tx);
	for (unsigned i = 0; i < TW_REFL_DROP__MAX; i++) {
		char name[48];

		snprintf(name, sizeof(name), "drop_%s", tw_refl_drop_name(i));
		rte_tel_data_add_dict_u64(d, name, st->drop[i]);
	}
}

/* /twamp/app/reflector: light ports and sessions with their counters. */
static int tel_reflector(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int rc = -ENODEV;

	(void)cmd;
	(void)params;
	rte_spinlock_lock(&tel_lock);
	if (tel_refl != NULL && tel_refl->cfg != NULL) {
		const struct tw_config *cfg = tel_refl->cfg;
		struct rte_tel_data *light = rte_tel_data_alloc();
		struct rte_tel_data *sess = rte_tel_data_alloc();

		rte_tel_data_start_dict(d);
		if (light != NULL) {
			rte_tel_data_start_dict(light);
			for (unsigned i = 0; i < cfg->n_light; i++) {
				const struct tw_config_light *cl = &cfg->light[i];
				struct rte_tel_data *c = rte_tel_data_alloc();
				struct tw_refl_stats st;
				char key[16];

				if (c == NULL)
					continue;
				rte_tel_data_start_dict(c);
				rte_tel_data_add_dict_string(c, "protocol",
					tw_config_proto_name(cl->protocol));
				rte_tel_data_add_dict_string(c, "mode", mode_name(cl->mode));
				if (tw_refl_light_stats(tel_refl->refl, cl->port, &st) == 0)
					add_refl_stats(c, &st);
				snprintf(key, sizeof(key), "%u", cl->port);
				if (rte_tel_data_add_dict_container(light, key, c, 0) != 0)
					rte_tel_data_free(c);
			}
			if (rte_tel_data_add_dict_container(d, "light", light, 0) != 0)
				rte_tel_data_free(light);
		}
		if (sess != NULL) {
			rte_tel_data_start_dict(sess);
			for (unsigned i = 0; i < tel_refl->n_sessions; i++) {
				const struct app_session *as = &tel_refl->sessions[i];
				const struct tw_config_static *cs = &cfg->statics[as->cfg_idx];
				struct rte_tel_data *c = rte_tel_data_alloc();
				struct tw_refl_stats st;
				char key[16], pa[INET6_ADDRSTRLEN];

				if (c == NULL)
					continue;
				rte_tel_data_start_dict(c);
				rte_tel_data_add_dict_string(c, "peer",
					tw_config_addr_str(&cs->peer, pa, sizeof(pa)));
				rte_tel_data_add_dict_int(c, "peer_port", cs->peer_port);
				rte_tel_data_add_dict_int(c, "port", cs->port);
				rte_tel_data_add_dict_string(c, "protocol",
					tw_config_proto_name(cs->protocol));
				rte_tel_data_add_dict_string(c, "mode", mode_name(cs->mode));
				if (tw_refl_session_stats(tel_refl->refl, as->id, &st) == 0) {
					add_refl_stats(c, &st);
					rte_tel_data_add_dict_u64(c, "next_seq", st.next_seq);
				}
				snprintf(key, sizeof(key), "%u", as->id);
				if (rte_tel_data_add_dict_container(sess, key, c, 0) != 0)
					rte_tel_data_free(c);
			}
			if (rte_tel_data_add_dict_container(d, "sessions", sess, 0) != 0)
				rte_tel_data_free(sess);
		}
		rc = 0;
	}
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

/* /twamp/app/turnaround: per worker, quantiles and the non-empty buckets
 * (lower edge in ns -> packets). */
static int tel_turnaround(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static struct tw_dp_hist h; /* 4 KB: off the telemetry thread's stack */
	int rc = -ENODEV;

	(void)cmd;
	(void)params;
	rte_spinlock_lock(&tel_lock);
	if (tel_refl != NULL && tel_refl->dp != NULL) {
		rte_tel_data_start_dict(d);
		for (unsigned w = 0; w < tel_refl->n_workers; w++) {
			struct rte_tel_data *c, *b;
			char key[32];

			if (tw_dp_turnaround_get(tel_refl->dp, (int)w, &h) != 0)
				continue;
			c = rte_tel_data_alloc();
			b = rte_tel_data_alloc();
			if (c == NULL || b == NULL) {
				rte_tel_data_free(c);
				rte_tel_data_free(b);
				break;
			}
			rte_tel_data_start_dict(c);
			rte_tel_data_add_dict_u64(c, "count", h.count);
			rte_tel_data_add_dict_u64(c, "mean_ns", h.count ? h.sum_ns / h.count : 0);
			rte_tel_data_add_dict_u64(c, "p50_ns", tw_dp_hist_quantile(&h, 0.5));
			rte_tel_data_add_dict_u64(c, "p99_ns", tw_dp_hist_quantile(&h, 0.99));
			rte_tel_data_add_dict_u64(c, "max_ns", h.max_ns);
			rte_tel_data_start_dict(b);
			for (unsigned i = 0; i < TW_DP_HIST_BUCKETS; i++) {
				if (h.bucket[i] == 0)
					continue;
				snprintf(key, sizeof(key), "%llu",
					 (unsigned long long)tw_dp_hist_floor(i));
				rte_tel_data_add_dict_u64(b, key, h.bucket[i]);
			}
			if (rte_tel_data_add_dict_container(c, "buckets_ns", b, 0) != 0)
				rte_tel_data_free(b);
			snprintf(key, sizeof(key), "worker%u", w);
			if (rte_tel_data_add_dict_container(d, key, c, 0) != 0)
				rte_tel_data_free(c);
		}
		rc = 0;
	}
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

int app_refl_attach(struct app_refl *r, struct tw_dp *dp, const struct tw_config *cfg)
{
	static bool registered;
	int rc = tw_refl_attach(r->refl, dp);

	if (rc != 0) {
		app_log("reflector: cannot attach to the data plane: %s", strerror(-rc));
		return -1;
	}
	for (unsigned i = 0; i < cfg->n_light; i++)
		if (add_light(r, cfg, &cfg->light[i]) != 0)
			return -1;
	for (unsigned i = 0; i < cfg->n_statics; i++)
		if (add_static(r, cfg, i) != 0)
			return -1;
	rc = tw_refl_telemetry_register(r->refl);
	if (rc != 0)
		app_log("reflector telemetry not registered: %s", strerror(-rc));
	rte_spinlock_lock(&tel_lock);
	r->dp = dp;
	r->cfg = cfg;
	tel_refl = r;
	rte_spinlock_unlock(&tel_lock);
	if (!registered) {
		registered = true;
		if (rte_telemetry_register_cmd("/twamp/app/reflector", tel_reflector,
				"Light ports and static sessions with their counters. No parameters") != 0 ||
		    rte_telemetry_register_cmd("/twamp/app/turnaround", tel_turnaround,
				"Reflector turnaround per worker: quantiles and histogram buckets (ns). No parameters") != 0)
			app_log("app telemetry commands not registered");
	}
	return 0;
}

void app_refl_log(const struct app_refl *r, const struct tw_config *cfg)
{
	char pa[INET6_ADDRSTRLEN], la[INET6_ADDRSTRLEN];

	for (unsigned i = 0; i < cfg->n_light; i++) {
		const struct tw_config_light *cl = &cfg->light[i];

		app_log("listening: UDP %u, %s %s%s%s, %s", cl->port,
			tw_config_proto_name(cl->protocol), mode_name(cl->mode),
			cl->key_id[0] ? " key " : "", cl->key_id,
			cl->n_allow ? "allow-listed peers" : "any peer");
	}
	for (unsigned i = 0; i < r->n_sessions; i++) {
		const struct tw_config_static *cs = &cfg->statics[r->sessions[i].cfg_idx];
		const struct tw_config_addr *l = local_addr(cfg, &cs->peer);
		char pp[8];

		snprintf(pp, sizeof(pp), "%u", cs->peer_port);
		app_log("static session %u: %s port %s -> %s port %u, %s %s",
			r->sessions[i].id, tw_config_addr_str(&cs->peer, pa, sizeof(pa)),
			cs->peer_port ? pp : "any", l ? tw_config_addr_str(l, la, sizeof(la)) : "?",
			cs->port, tw_config_proto_name(cs->protocol), mode_name(cs->mode));
	}
}

void app_refl_service(struct app_refl *r)
{
	(void)r; /* the session table reclaims on the next add or delete */
}

void app_refl_detach(struct app_refl *r)
{
	if (r == NULL)
		return;
	rte_spinlock_lock(&tel_lock);
	if (tel_refl == r)
		tel_refl = NULL;
	r->dp = NULL;
	r->cfg = NULL;
	rte_spinlock_unlock(&tel_lock);
}

void app_refl_destroy(struct app_refl *r)
{
	if (r == NULL)
		return;
	app_refl_detach(r);
	tw_refl_destroy(r->refl);
	free(r->sessions);
	free(r);
}
