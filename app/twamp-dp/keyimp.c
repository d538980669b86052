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
#include "spd.h"
#include "twamp_dp.h"
#include <sys/socket.h>

#include "tw_dataplane.h"
#include "tw_ipsec.h"

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
	struct tw_ipsec *ipsec;
	struct tw_dp *dp;
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

struct app_keyimp *app_keyimp_create(const struct tw_config *cfg, bool child_sas,
				     int *failed)
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
	/* without an IPsec data plane (a build without lib/ipsec keeps them
	 * for `key list`), Child SAs are refused with 503 not-ready */
	tc.ipsec_enabled = child_sas;
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

/* ---- Child SAs into lib/ipsec (app/twamp-dp/ipsec.c's context) ---- */

static unsigned ipv_of(const struct tw_keyimp_addr *a)
{
	return a->family == AF_INET ? 4 : 6;
}

/* docs/key-import.md §8 -> lib/ipsec; -ENOTSUP (encr) or -ENOPROTOOPT
 * (integ) for what this data plane lacks. */
_Static_assert(TW_IPSEC_TS_MAX == TW_KEYIMP_TS_MAX, "selector lists of one size");

/* A key-import selector list as lib/ipsec's (RFC 4301 §5.2 inbound check) */
static uint8_t ts_copy(struct tw_ipsec_ts *o, const struct tw_keyimp_ts *ts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		app_spd_ts_to_ipsec(&o[i], &ts[i]);
	return (uint8_t)n;
}

static int to_ipsec(const struct tw_keyimp_child *c, struct tw_ipsec_sa_conf *o)
{
	memset(o, 0, sizeof(*o));
	o->spi = c->spi;
	o->dir = c->dir == TW_KEYIMP_DIR_IN ? TW_IPSEC_IN : TW_IPSEC_OUT;
	o->proto = c->proto == TW_KEYIMP_ESP ? TW_IPSEC_ESP : TW_IPSEC_AH;
	o->mode = c->mode == TW_KEYIMP_TUNNEL ? TW_IPSEC_TUNNEL : TW_IPSEC_TRANSPORT;
	o->ipv = (uint8_t)ipv_of(&c->src);
	memcpy(o->src, c->src.addr, 16);
	memcpy(o->dst, c->dst.addr, 16);
	o->encap_udp = c->encap_udp;
	o->encap_sport = c->encap_sport;
	o->encap_dport = c->encap_dport;
	switch (c->encr) {
	case 0:
	case TW_KEYIMP_ENCR_NULL:
		o->cipher = TW_IPSEC_CIPHER_NULL;
		break;
	case TW_KEYIMP_ENCR_AES_GCM_16:
		o->cipher = c->encr_keylen == 128 ? TW_IPSEC_CIPHER_AES_GCM_128 :
			    c->encr_keylen == 256 ? TW_IPSEC_CIPHER_AES_GCM_256 :
			    TW_IPSEC_CIPHER__MAX;
		break;
	case TW_KEYIMP_ENCR_AES_CBC:
		o->cipher = c->encr_keylen == 128 ? TW_IPSEC_CIPHER_AES_CBC_128 :
			    c->encr_keylen == 256 ? TW_IPSEC_CIPHER_AES_CBC_256 :
			    TW_IPSEC_CIPHER__MAX;
		break;
	case TW_KEYIMP_ENCR_AES_CTR:
		o->cipher = c->encr_keylen == 128 ? TW_IPSEC_CIPHER_AES_CTR_128 :
			    c->encr_keylen == 256 ? TW_IPSEC_CIPHER_AES_CTR_256 :
			    TW_IPSEC_CIPHER__MAX;
		break;
	default: /* AES-GCM with 8/12-octet ICV */
		o->cipher = TW_IPSEC_CIPHER__MAX;
		break;
	}
	if (o->cipher == TW_IPSEC_CIPHER__MAX)
		return -ENOTSUP;
	switch (c->integ) {
	case TW_KEYIMP_INTEG_NONE:
		o->auth = TW_IPSEC_AUTH_NONE;
		break;
	case TW_KEYIMP_INTEG_HMAC_SHA1_96:
		o->auth = TW_IPSEC_AUTH_HMAC_SHA1_96;
		break;
	case TW_KEYIMP_INTEG_HMAC_SHA2_256_128:
		o->auth = TW_IPSEC_AUTH_HMAC_SHA256_128;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (c->encr_key_len > sizeof(o->cipher_key) || c->integ_key_len > sizeof(o->auth_key))
		return -ENOTSUP;
	memcpy(o->cipher_key, c->encr_key, c->encr_key_len);
	o->cipher_key_len = c->encr_key_len;
	memcpy(o->auth_key, c->integ_key, c->integ_key_len);
	o->auth_key_len = c->integ_key_len;
	o->esn = c->esn;
	if (o->dir == TW_IPSEC_IN) {
		o->replay_window = c->replay_window;
		o->no_replay = c->replay_window == 0;
		o->n_ts_local = ts_copy(o->ts_local, c->ts_local, c->n_ts_local);
		o->n_ts_remote = ts_copy(o->ts_remote, c->ts_remote, c->n_ts_remote);
	}
	return 0;
}

static int ipsec_add(void *arg, const struct tw_keyimp_child *c)
{
	struct app_keyimp *k = arg;
	struct tw_ipsec *ctx = k->ipsec;
	struct tw_ipsec_sa_conf o;
	struct tw_ipsec_sa_info info;
	unsigned ipv = ipv_of(&c->src);
	int rc = to_ipsec(c, &o);

	if (rc != 0)
		goto out;
	/* in: replies go out on the paired SA, when the client sent it first
	 * (docs/key-import.md §6.4); out: pair the inbound SA already there */
	if (o.dir == TW_IPSEC_IN && c->peer_spi != 0 &&
	    tw_ipsec_sa_get(ctx, TW_IPSEC_OUT, o.proto, c->peer_spi, ipv, c->src.addr,
			    &info) == 0)
		o.reply_spi = c->peer_spi;
	rc = tw_ipsec_sa_add(ctx, &o);
	if (rc == 0 && o.dir == TW_IPSEC_OUT && c->peer_spi != 0)
		(void)tw_ipsec_sa_pair(ctx, o.proto, c->peer_spi, ipv, c->src.addr, c->spi);
	if (rc == 0 && c->encap_udp)
		(void)tw_dp_esp_udp_port(k->dp, c->dir == TW_KEYIMP_DIR_IN ? c->encap_dport :
					 c->encap_sport, true);
	if (rc == -EINVAL || rc == -ENOENT || rc == -EEXIST)
		rc = -EIO; /* validated already: an internal inconsistency */
out:
	explicit_bzero(&o, sizeof(o));
	return rc;
}

static void ipsec_del(void *arg, const struct tw_keyimp_child *c)
{
	struct app_keyimp *k = arg;
	enum tw_ipsec_proto proto = c->proto == TW_KEYIMP_ESP ? TW_IPSEC_ESP : TW_IPSEC_AH;
	unsigned ipv = ipv_of(&c->dst);
	enum tw_ipsec_dir dir = c->dir == TW_KEYIMP_DIR_IN ? TW_IPSEC_IN : TW_IPSEC_OUT;
	int rc = tw_ipsec_sa_del(k->ipsec, dir, proto, c->spi, ipv, c->dst.addr);

	if (rc == -EBUSY) {
		/* an inbound SA still replies through it (ike-down, sync-end
		 * remove in any order): unpair those first */
		struct tw_ipsec_sa_info info;
		uint32_t it = 0;

		while (tw_ipsec_sa_iterate(k->ipsec, &it, &info) == 1) {
			if (info.conf.dir == TW_IPSEC_IN && info.conf.proto == proto &&
			    info.conf.reply_spi == c->spi)
				(void)tw_ipsec_sa_pair(k->ipsec, proto, info.conf.spi, ipv,
						       info.conf.dst, 0);
		}
		rc = tw_ipsec_sa_del(k->ipsec, dir, proto, c->spi, ipv, c->dst.addr);
	}
	if (rc != 0 && rc != -ENOENT)
		app_log("key import: removing a Child SA from the data plane: %s",
			strerror(-rc));
}

static void ipsec_counters(void *arg, const struct tw_keyimp_child *c,
			   struct tw_keyimp_child_counters *out)
{
	struct app_keyimp *k = arg;
	struct tw_ipsec_sa_info info;

	if (tw_ipsec_sa_get(k->ipsec, c->dir == TW_KEYIMP_DIR_IN ? TW_IPSEC_IN : TW_IPSEC_OUT,
			    c->proto == TW_KEYIMP_ESP ? TW_IPSEC_ESP : TW_IPSEC_AH, c->spi,
			    ipv_of(&c->dst), c->dst.addr, &info) != 0)
		return;
	out->packets = info.stats.packets;
	out->bytes = info.stats.octets;
	out->errors = info.stats.auth_fail + info.stats.replay_drop + info.stats.bad +
		      info.stats.inner_drop + info.stats.ts_mismatch + info.stats.no_reply_sa +
		      info.stats.seq_overflow + info.stats.errors + info.stats.ecn_drop;
}

void app_keyimp_use_ipsec(struct app_keyimp *k, struct tw_ipsec *ctx, struct tw_dp *dp)
{
	if (k == NULL || ctx == NULL)
		return;
	k->ipsec = ctx;
	k->dp = dp;
	app_keyimp_set_child_ops(k, ipsec_add, ipsec_del, ipsec_counters, k);
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
