/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session-Reflector on the worker fast path: RFC 5357 §4.2 (TWAMP-Test),
 * RFC 5357 App. I (TWAMP Light), RFC 8762 §4.3 (STAMP) with the RFC 8972
 * TLVs, RFC 6038 and RFC 7750 session options.
 *
 * Per burst: one bulk lookup by 5-tuple (a second one with peer port 0
 * only when such static sessions exist), then the light port of the
 * destination port; one verify burst for the authenticated/encrypted
 * packets; the reply is written in place with the Timestamp zero and the
 * UDP checksum computed over it; the TX stamp callback then writes the
 * Timestamp and adds it to the checksum (unauthenticated and TWAMP
 * authenticated modes, where the Timestamp lies outside what the HMAC
 * covers) or writes it, protects and checksums (TWAMP encrypted mode,
 * RFC 5357 §4.2.1; STAMP authenticated mode, whose HMAC covers it).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_telemetry.h>

#include "dp_common.h"
#include "tw_dp_reflect.h"
#include "tw_keys.h"
#include "tw_proto_stamp.h"
#include "tw_proto_test.h"

#define UDP_HDR 8u
#define PORTS 65536u

/* Per-target counters and worker-owned state; one writer each. */
struct refl_cnt {
	uint64_t rx, tx;
	uint64_t drop[TW_REFL_DROP__MAX];
	tw_ntp_t last_rx;
	uint32_t seq;          /* next own Sequence Number */
	bool have_prev;        /* STAMP Follow-Up Telemetry: last reply */
	uint32_t prev_seq;
	tw_ntp_t prev_ts;
} __rte_cache_aligned;

/* What a packet is reflected with; read-only once published. */
struct refl_tgt {
	uint8_t proto;         /* enum tw_refl_proto */
	uint8_t mode;          /* enum tw_refl_mode */
	uint8_t dscp;          /* or TW_REFL_DSCP_COPY */
	bool own_seq;          /* own Sequence Numbers, else the sender's */
	uint8_t tx_kind;       /* what tw_refl_tx_stamp does: K_* below */
	uint8_t ts_off;        /* Timestamp offset in the reply payload */
	struct tw_test_layout layout;          /* TWAMP, LIGHT */
	struct tw_crypto_test *ct;             /* TWAMP, LIGHT auth/enc */
	struct tw_crypto_stamp **stamp;        /* STAMP key, one per worker */
	unsigned n_stamp;
};

enum { ST_ACCEPTED = 0, ST_STARTED = 1 };

struct refl_sess {
	struct refl_tgt t;
	struct tw_keys_5t key;
	uint32_t id;
	uint8_t state;         /* control writes, workers read (atomic) */
	uint64_t stop_tsc;     /* 0 = not stopping (atomic) */
	uint32_t refwait_s;
	tw_ntp_t started;      /* for REFWAIT before the first packet */
	struct refl_cnt c;     /* the worker that owns the flow */
};

struct refl_light {
	struct refl_tgt t;
	uint16_t port;
	unsigned n_allow;
	struct tw_dp_prefix allow[TW_REFL_ALLOW_MAX];
	struct refl_cnt c[];   /* per worker */
};

/* What the TX stamp callback does to a reply. */
enum { K_TS_INC, K_ENC, K_STAMP_AUTH };

struct pend {
	struct rte_mbuf *m;
	uint8_t *ip, *udp, *pl;
	struct refl_cnt *c;
	const void *ctx;       /* struct tw_crypto_test / tw_crypto_stamp */
	uint32_t seq;
	uint16_t plen;
	uint16_t idx;          /* in the handler's burst */
	uint8_t ts_off;
	uint8_t kind;
	uint8_t ipv;
	bool stamp_prev;       /* remember seq/TX time for Follow-Up */
};

struct refl_worker {
	struct tw_crypto_engine *eng;
	struct refl_cnt c;     /* totals */
	uint16_t npend;
	struct pend pend[TW_DP_BURST];
} __rte_cache_aligned;

struct tw_refl {
	unsigned n_workers;
	uint32_t max_sessions;
	struct tw_dp_clock *clock;
	enum tw_crypto_impl impl;
	struct rte_rcu_qsbr *qsbr;
	struct tw_keys *tab;
	struct tw_crypto_engine *ctl_eng;
	struct refl_light **light;     /* by UDP port */
	unsigned n_light;
	uint32_t n_any;                /* sessions with peer port 0 */
	uint32_t *port_refs;           /* sessions per local UDP port */
	struct refl_sess **by_id;
	uint32_t n_sess;
	uint32_t id_hint;
	struct tw_dp *dp;
	struct refl_worker *w;
	struct tw_dp_clock own_clock;
};

/* The worker that ran the handler last on this thread, for tx_stamp. */
static __thread struct refl_worker *cur_worker;

static const char *const drop_names[] = {
#define TW_REFL_DROP_NAME(name, id, text) id,
	TW_REFL_DROPS(TW_REFL_DROP_NAME)
#undef TW_REFL_DROP_NAME
};

const char *tw_refl_drop_name(unsigned reason)
{
	return reason < TW_REFL_DROP__MAX ? drop_names[reason] : "unknown";
}

/* ---- targets ---- */

static void tgt_release(struct refl_tgt *t)
{
	tw_crypto_test_destroy(t->ct);
	t->ct = NULL;
	if (t->stamp != NULL) {
		for (unsigned i = 0; i < t->n_stamp; i++)
			tw_crypto_stamp_destroy(t->stamp[i]);
		free(t->stamp);
		t->stamp = NULL;
	}
}

static int tgt_init(struct tw_refl *r, struct refl_tgt *t, enum tw_refl_proto proto,
		    enum tw_refl_mode mode, bool sym, bool dscp_ecn, uint16_t refl_len,
		    const struct tw_crypto_session_keys *tk, const uint8_t *skey,
		    size_t skey_len, bool stateful, uint8_t dscp)
{
	if (dscp > 63 && dscp != TW_REFL_DSCP_COPY)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->proto = (uint8_t)proto;
	t->mode = (uint8_t)mode;
	t->dscp = dscp;
	switch (proto) {
	case TW_REFL_TWAMP:
	case TW_REFL_LIGHT:
		if (mode > TW_REFL_ENC)
			return -EINVAL;
		if (proto == TW_REFL_LIGHT && (sym || dscp_ecn || refl_len))
			return -EINVAL;
		t->own_seq = proto == TW_REFL_TWAMP || stateful;
		if (tw_proto_test_layout_init(&t->layout, (enum tw_test_mode)mode,
					      sym, dscp_ecn, refl_len) != 0)
			return -EINVAL;
		/* encrypted: the Timestamp is inside the encrypted part */
		t->tx_kind = mode == TW_REFL_ENC ? K_ENC : K_TS_INC;
		t->ts_off = (uint8_t)t->layout.ts_off;
		if (mode == TW_REFL_OPEN)
			return 0;
		if (tk == NULL)
			return -EINVAL;
		if (r->ctl_eng == NULL)
			return -ENOTSUP;
		t->ct = tw_crypto_test_create(r->ctl_eng,
					      mode == TW_REFL_AUTH ? TW_CRYPTO_TEST_AUTH
								   : TW_CRYPTO_TEST_ENC,
					      tk);
		return t->ct != NULL ? 0 : -ENOMEM;
	case TW_REFL_STAMP:
		if (mode > TW_REFL_AUTH || sym || dscp_ecn || refl_len)
			return -EINVAL;
		t->own_seq = stateful;
		/* RFC 8762 §4.3: Timestamp at 4 (unauthenticated) or 16 */
		t->tx_kind = mode == TW_REFL_AUTH ? K_STAMP_AUTH : K_TS_INC;
		t->ts_off = mode == TW_REFL_AUTH ? 16 : 4;
		if (skey == NULL || skey_len == 0)
			return mode == TW_REFL_AUTH ? -EINVAL : 0;
		if (skey_len < TW_REFL_STAMP_KEY_MIN || skey_len > TW_REFL_STAMP_KEY_MAX)
			return -EINVAL;
		/* the context carries scratch state: one per worker */
		t->stamp = calloc(r->n_workers, sizeof(*t->stamp));
		if (t->stamp == NULL)
			return -ENOMEM;
		t->n_stamp = r->n_workers;
		for (unsigned i = 0; i < r->n_workers; i++) {
			t->stamp[i] = tw_crypto_stamp_create(skey, skey_len);
			if (t->stamp[i] == NULL) {
				tgt_release(t);
				return -ENOMEM;
			}
		}
		return 0;
	}
	return -EINVAL;
}

static void sess_free(struct refl_sess *s)
{
	tgt_release(&s->t);
	tw_crypto_wipe(s, sizeof(*s));
	free(s);
}

/* tw_keys free callback: the grace period of a deleted session is over */
static void sess_free_cb(void *arg, void *data)
{
	(void)arg;
	sess_free(data);
}

static void light_free(struct refl_light *l)
{
	tgt_release(&l->t);
	free(l);
}

/* ---- life cycle ---- */

struct tw_refl *tw_refl_create(const struct tw_refl_conf *conf)
{
	struct tw_refl *r;
	size_t qsz;

	/* an OpenSSL test context is one thread's: light ports share theirs */
	if (conf == NULL || conf->n_workers == 0 ||
	    conf->n_workers > TW_DP_WORKERS_MAX || conf->max_sessions < 8 ||
	    conf->max_sessions > (1u << 24) ||
	    (conf->crypto == TW_CRYPTO_IMPL_OPENSSL && conf->n_workers > 1)) {
		rte_errno = EINVAL;
		return NULL;
	}
	r = rte_zmalloc("tw_refl", sizeof(*r), RTE_CACHE_LINE_SIZE);
	if (r == NULL)
		goto nomem;
	r->n_workers = conf->n_workers;
	r->max_sessions = conf->max_sessions;
	r->impl = conf->crypto;
	r->clock = conf->clock;
	if (r->clock == NULL) {
		if (tw_dp_clock_init(&r->own_clock, rte_get_tsc_hz()) != 0) {
			rte_free(r);
			rte_errno = EIO;
			return NULL;
		}
		r->clock = &r->own_clock;
	}
	qsz = rte_rcu_qsbr_get_memsize(r->n_workers);
	r->qsbr = rte_zmalloc("tw_refl_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (r->qsbr == NULL || rte_rcu_qsbr_init(r->qsbr, r->n_workers) != 0)
		goto nomem;
	r->w = rte_zmalloc("tw_refl_w", sizeof(*r->w) * r->n_workers,
			   RTE_CACHE_LINE_SIZE);
	r->light = rte_zmalloc("tw_refl_light", sizeof(*r->light) * PORTS, 0);
	r->port_refs = rte_zmalloc("tw_refl_refs", sizeof(*r->port_refs) * PORTS, 0);
	r->by_id = rte_zmalloc("tw_refl_ids", sizeof(*r->by_id) * r->max_sessions, 0);
	if (r->w == NULL || r->light == NULL || r->port_refs == NULL ||
	    r->by_id == NULL)
		goto nomem;
	/* without AES-NI/intel-ipsec-mb only unauthenticated modes work */
	r->ctl_eng = tw_crypto_engine_create(r->impl);
	if (r->ctl_eng != NULL) {
		for (unsigned i = 0; i < r->n_workers; i++) {
			r->w[i].eng = tw_crypto_engine_create(r->impl);
			if (r->w[i].eng == NULL) {
				tw_refl_destroy(r);
				rte_errno = ENOTSUP;
				return NULL;
			}
		}
	}
	r->tab = dp_sess_table_create(r->max_sessions, r->qsbr, sess_free_cb, r);
	if (r->tab == NULL) {
		int e = rte_errno;

		tw_refl_destroy(r);
		rte_errno = e;
		return NULL;
	}
	return r;
nomem:
	tw_refl_destroy(r);
	rte_errno = ENOMEM;
	return NULL;
}

static struct tw_refl *tel_refl;

void tw_refl_destroy(struct tw_refl *r)
{
	if (r == NULL)
		return;
	if (tel_refl == r)
		tel_refl = NULL;
	tw_keys_destroy(r->tab);
	if (r->light != NULL)
		for (unsigned p = 0; p < PORTS; p++)
			if (r->light[p] != NULL)
				light_free(r->light[p]);
	if (r->w != NULL)
		for (unsigned i = 0; i < r->n_workers; i++)
			tw_crypto_engine_destroy(r->w[i].eng);
	tw_crypto_engine_destroy(r->ctl_eng);
	rte_free(r->w);
	rte_free(r->light);
	rte_free(r->port_refs);
	rte_free(r->by_id);
	rte_free(r->qsbr);
	rte_free(r);
}

struct rte_rcu_qsbr *tw_refl_qsbr(struct tw_refl *r)
{
	return r != NULL ? r->qsbr : NULL;
}

static void port_own(struct tw_refl *r, uint16_t port, bool own)
{
	if (r->dp != NULL)
		tw_dp_udp_port_own(r->dp, port, own);
}

int tw_refl_attach(struct tw_refl *r, struct tw_dp *dp)
{
	int rc;

	if (r == NULL || dp == NULL)
		return -EINVAL;
	rc = tw_dp_set_udp_handler(dp, tw_refl_udp_handler, r);
	if (rc == 0)
		rc = tw_dp_set_tx_stamp(dp, tw_refl_tx_stamp, r);
	if (rc != 0)
		return rc;
	r->dp = dp;
	/* the data plane's clock is the one its service thread refreshes */
	if (r->clock == &r->own_clock && tw_dp_clock(dp) != NULL)
		r->clock = tw_dp_clock(dp);
	for (unsigned p = 0; p < PORTS; p++)
		if (r->light[p] != NULL || r->port_refs[p] != 0)
			port_own(r, (uint16_t)p, true);
	return 0;
}

/* ---- light ports ---- */

static bool prefix_ok(const struct tw_dp_prefix *p)
{
	return (p->family == AF_INET && p->len <= 32) ||
	       (p->family == AF_INET6 && p->len <= 128);
}

/* wait until no worker can still hold a pointer read before now */
static void grace(struct tw_refl *r)
{
	rte_rcu_qsbr_synchronize(r->qsbr, RTE_QSBR_THRID_INVALID);
}

int tw_refl_light_add(struct tw_refl *r, const struct tw_refl_light *cfg)
{
	struct tw_crypto_session_keys tk;
	struct refl_light *l, *old;
	bool have_tk = false;
	size_t sz;
	int rc;

	if (r == NULL || cfg == NULL || cfg->n_allow > TW_REFL_ALLOW_MAX ||
	    (cfg->proto != TW_REFL_LIGHT && cfg->proto != TW_REFL_STAMP))
		return -EINVAL;
	for (unsigned i = 0; i < cfg->n_allow; i++)
		if (!prefix_ok(&cfg->allow[i]))
			return -EINVAL;
	old = r->light[cfg->port];
	if (old == NULL && r->n_light >= TW_REFL_LIGHT_MAX)
		return -ENOSPC;
	if (cfg->proto == TW_REFL_LIGHT && cfg->mode != TW_REFL_OPEN) {
		if (cfg->key == NULL || cfg->key_len != TW_REFL_LIGHT_KEY_LEN)
			return -EINVAL;
		memcpy(tk.aes, cfg->key, TW_CRYPTO_AES_KEY);
		memcpy(tk.hmac, cfg->key + TW_CRYPTO_AES_KEY, TW_CRYPTO_HMAC_KEY);
		have_tk = true;
	}
	sz = sizeof(*l) + sizeof(l->c[0]) * r->n_workers;
	l = dp_obj_alloc(sz);
	if (l == NULL) {
		tw_crypto_wipe(&tk, sizeof(tk));
		return -ENOMEM;
	}
	rc = tgt_init(r, &l->t, cfg->proto, cfg->mode, false, false, 0,
		      have_tk ? &tk : NULL,
		      cfg->proto == TW_REFL_STAMP ? cfg->key : NULL,
		      cfg->proto == TW_REFL_STAMP ? cfg->key_len : 0,
		      cfg->stateful, cfg->dscp);
	tw_crypto_wipe(&tk, sizeof(tk));
	if (rc != 0) {
		light_free(l);
		return rc;
	}
	l->port = cfg->port;
	l->n_allow = cfg->n_allow;
	memcpy(l->allow, cfg->allow, sizeof(l->allow[0]) * cfg->n_allow);
	__atomic_store_n(&r->light[cfg->port], l, __ATOMIC_RELEASE);
	if (old != NULL) {
		grace(r);
		light_free(old);
	} else {
		r->n_light++;
	}
	port_own(r, cfg->port, true);
	return 0;
}

int tw_refl_light_del(struct tw_refl *r, uint16_t port)
{
	struct refl_light *l;

	if (r == NULL)
		return -EINVAL;
	l = r->light[port];
	if (l == NULL)
		return -ENOENT;
	__atomic_store_n(&r->light[port], NULL, __ATOMIC_RELEASE);
	r->n_light--;
	if (r->port_refs[port] == 0)
		port_own(r, port, false);
	grace(r);
	light_free(l);
	return 0;
}

/* ---- sessions ---- */

static struct refl_sess *sess_get(const struct tw_refl *r, uint32_t id)
{
	return r != NULL && id < r->max_sessions ? r->by_id[id] : NULL;
}

int tw_refl_session_add(struct tw_refl *r, const struct tw_refl_session *s,
			uint32_t *id)
{
	struct refl_sess *e;
	unsigned ipv;
	uint32_t slot;
	int rc;

	if (r == NULL || s == NULL || id == NULL)
		return -EINVAL;
	ipv = dp_family_ipv(s->family);
	if (ipv == 0)
		return -EINVAL;
	if (s->proto == TW_REFL_TWAMP && s->peer_port == 0)
		return -EINVAL;
	if (r->n_sess >= r->max_sessions)
		return -ENOSPC;
	e = dp_obj_alloc(sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	rc = tgt_init(r, &e->t, s->proto, s->mode, s->sym_size, s->dscp_ecn,
		      s->reflect_len, &s->test_keys, s->stamp_key,
		      s->stamp_key_len, s->stateful, s->dscp);
	if (rc != 0) {
		sess_free(e);
		return rc;
	}
	tw_keys_5t_set(&e->key, ipv, s->local_addr, s->local_port,
		       s->peer_addr, s->peer_port);
	e->state = s->started ? ST_STARTED : ST_ACCEPTED;
	e->refwait_s = s->refwait_s;
	e->started = tw_dp_clock_now(r->clock);
	for (slot = r->id_hint; r->by_id[slot] != NULL;)
		slot = slot + 1 < r->max_sessions ? slot + 1 : 0;
	e->id = slot;
	rc = tw_keys_add(r->tab, &e->key, e);
	if (rc != 0) {
		sess_free(e);
		return rc;
	}
	r->by_id[slot] = e;
	r->id_hint = slot + 1 < r->max_sessions ? slot + 1 : 0;
	__atomic_store_n(&r->n_sess, r->n_sess + 1, __ATOMIC_RELAXED);
	if (s->peer_port == 0)
		__atomic_store_n(&r->n_any, r->n_any + 1, __ATOMIC_RELAXED);
	if (r->port_refs[s->local_port]++ == 0)
		port_own(r, s->local_port, true);
	*id = slot;
	return 0;
}

int tw_refl_session_del(struct tw_refl *r, uint32_t id)
{
	struct refl_sess *e = sess_get(r, id);
	uint16_t lport;
	int rc;

	if (r == NULL)
		return -EINVAL;
	if (e == NULL)
		return -ENOENT;
	lport = e->key.local_port;
	if (e->key.peer_port == 0)
		__atomic_store_n(&r->n_any, r->n_any - 1, __ATOMIC_RELAXED);
	r->by_id[id] = NULL;
	__atomic_store_n(&r->n_sess, r->n_sess - 1, __ATOMIC_RELAXED);
	if (--r->port_refs[lport] == 0 && r->light[lport] == NULL)
		port_own(r, lport, false);
	/* e now belongs to the table's deferred free */
	rc = tw_keys_del(r->tab, &e->key);
	return rc < 0 ? rc : 0;
}

int tw_refl_session_start(struct tw_refl *r, uint32_t id)
{
	struct refl_sess *e = sess_get(r, id);

	if (r == NULL)
		return -EINVAL;
	if (e == NULL)
		return -ENOENT;
	e->started = tw_dp_clock_now(r->clock);
	__atomic_store_n(&e->state, ST_STARTED, __ATOMIC_RELEASE);
	return 0;
}

int tw_refl_expire(struct tw_refl *r, tw_ntp_t now)
{
	int n = 0;

	if (r == NULL)
		return -EINVAL;
	for (uint32_t id = 0; id < r->max_sessions; id++) {
		struct refl_sess *e = r->by_id[id];
		tw_ntp_t last;

		if (e == NULL || e->refwait_s == 0 ||
		    __atomic_load_n(&e->state, __ATOMIC_RELAXED) != ST_STARTED)
			continue;
		last = __atomic_load_n(&e->c.last_rx, __ATOMIC_RELAXED);
		if (last < e->started)
			last = e->started;
		if (tw_ntp_diff_ns(now, last) > (int64_t)e->refwait_s * 1000000000 &&
		    tw_refl_session_del(r, id) == 0)
			n++;
	}
	return n;
}

int tw_refl_session_stop(struct tw_refl *r, uint32_t id, uint64_t timeout_ns)
{
	struct refl_sess *e = sess_get(r, id);
	uint64_t t;

	if (r == NULL)
		return -EINVAL;
	if (e == NULL)
		return -ENOENT;
	t = rte_rdtsc() + (uint64_t)((unsigned __int128)timeout_ns *
				     rte_get_tsc_hz() / 1000000000u);
	__atomic_store_n(&e->stop_tsc, t != 0 ? t : 1, __ATOMIC_RELEASE);
	return 0;
}

unsigned tw_refl_session_count(const struct tw_refl *r)
{
	return r != NULL ? r->n_sess : 0;
}

/* ---- counters ---- */

static void cnt_add(struct tw_refl_stats *o, const struct refl_cnt *c)
{
	o->rx += c->rx;
	o->tx += c->tx;
	for (unsigned i = 0; i < TW_REFL_DROP__MAX; i++)
		o->drop[i] += c->drop[i];
	if (c->last_rx > o->last_rx)
		o->last_rx = c->last_rx;
}

int tw_refl_stats(const struct tw_refl *r, int worker, struct tw_refl_stats *out)
{
	if (r == NULL || out == NULL || worker < -1 || worker >= (int)r->n_workers)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < r->n_workers; i++)
		if (worker < 0 || (unsigned)worker == i)
			cnt_add(out, &r->w[i].c);
	return 0;
}

int tw_refl_session_stats(const struct tw_refl *r, uint32_t id,
			  struct tw_refl_stats *out)
{
	const struct refl_sess *e = sess_get(r, id);

	if (r == NULL || out == NULL)
		return -EINVAL;
	if (e == NULL)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	cnt_add(out, &e->c);
	out->next_seq = e->c.seq;
	return 0;
}

int tw_refl_light_stats(const struct tw_refl *r, uint16_t port,
			struct tw_refl_stats *out)
{
	const struct refl_light *l;

	if (r == NULL || out == NULL)
		return -EINVAL;
	l = r->light[port];
	if (l == NULL)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < r->n_workers; i++)
		cnt_add(out, &l->c[i]);
	return 0;
}

/* ---- fast path ---- */

/* RFC 768 / RFC 8200 §8.1 over the reply, the Timestamp still zero; the
 * sums are native-order words (tw_dp_csum_*), stored with memcpy. The
 * first @p summed octets of the UDP datagram (header included) are summed
 * here, the sum of the rest is @p rest (0 when summed = ulen). */
static void udp_cksum_set(uint8_t *ip, unsigned ipv, uint8_t *udp, uint16_t ulen,
			  uint16_t summed, uint16_t rest)
{
	uint64_t sum = tw_dp_udp_pseudo_sum(ip, ipv, ulen) + rest;
	uint16_t c;

	memset(udp + 6, 0, 2);
	c = (uint16_t)~tw_dp_csum_fold(tw_dp_csum_add(sum, udp, summed));
	if (c == 0)
		c = 0xffff;
	memcpy(udp + 6, &c, 2);
}

/* RFC 1624 eqn. 3: add 8 octets that were zero when the checksum was computed */
static void udp_cksum_add_ts(uint8_t *udp, const uint8_t *ts)
{
	uint64_t t;
	uint16_t c;

	memcpy(&c, udp + 6, 2);
	memcpy(&t, ts, 8);
	c = (uint16_t)~tw_dp_csum_fold(tw_dp_csum_add64((uint16_t)~c, t));
	if (c == 0)
		c = 0xffff;
	memcpy(udp + 6, &c, 2);
}

static bool peer_allowed(const struct refl_light *l, unsigned ipv, const uint8_t *a)
{
	for (unsigned i = 0; i < l->n_allow; i++) {
		const struct tw_dp_prefix *p = &l->allow[i];
		unsigned bits = p->len, k;

		if ((ipv == 4) != (p->family == AF_INET))
			continue;
		for (k = 0; bits >= 8; k++, bits -= 8)
			if (a[k] != p->addr[k])
				break;
		if (bits >= 8)
			continue;
		if (bits == 0 || ((a[k] ^ p->addr[k]) & (uint8_t)(0xff00u >> bits)) == 0)
			return true;
	}
	return l->n_allow == 0;
}

/* Swap MACs, addresses and ports; TTL/Hop Limit 255, DSCP, lengths. */
static void reply_headers(struct rte_mbuf *m, uint8_t *f, uint8_t *ip, uint8_t *udp,
			  unsigned ipv, uint16_t rlen, uint8_t tos)
{
	uint8_t tmp[16];
	uint16_t ulen = (uint16_t)(UDP_HDR + rlen);

	memcpy(tmp, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, tmp, 6);
	if (ipv == 4) {
		/* RFC 1624 eqn. 3 over the three words that change (the
		 * address swap leaves the sum alone); the header was verified */
		uint32_t sum = (uint16_t)~tw_get_be16(ip + 10);

		sum += (uint16_t)~tw_get_be16(ip) + (uint16_t)~tw_get_be16(ip + 2) +
		       (uint16_t)~tw_get_be16(ip + 8);
		ip[1] = tos;
		tw_put_be16(ip + 2, (uint16_t)(m->l3_len + ulen));
		ip[8] = 255;
		sum += tw_get_be16(ip) + tw_get_be16(ip + 2) + tw_get_be16(ip + 8);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		tw_put_be16(ip + 10, (uint16_t)~sum);
		memcpy(tmp, ip + 12, 4);
		memcpy(ip + 12, ip + 16, 4);
		memcpy(ip + 16, tmp, 4);
	} else {
		ip[0] = (uint8_t)(0x60 | (tos >> 4));
		ip[1] = (uint8_t)((tos << 4) | (ip[1] & 0x0f));
		tw_put_be16(ip + 4, ulen);
		ip[7] = 255;
		memcpy(tmp, ip + 8, 16);
		memcpy(ip + 8, ip + 24, 16);
		memcpy(ip + 24, tmp, 16);
	}
	memcpy(tmp, udp, 2);
	memcpy(udp, udp + 2, 2);
	memcpy(udp + 2, tmp, 2);
	tw_put_be16(udp + 4, ulen);
	m->data_len = (uint16_t)(m->l2_len + m->l3_len + ulen);
	m->pkt_len = m->data_len;
}

/* one packet of a burst on its way through the handler */
struct pkt {
	uint8_t *f, *ip, *udp, *pl;
	const struct refl_tgt *t;
	struct refl_cnt *c;
	uint16_t plen;
	uint8_t ipv;
	uint8_t ttl, tos;
	int16_t cos_tos;       /* STAMP Class of Service TLV: reply TOS */
	bool stamp_integ_fail;
};

/*
 * The reply's UDP sum without a pass over its padding (RFC 1624), for an
 * unauthenticated TWAMP reply: call before tw_proto_test_reflect_inplace().
 * The reply is the reflector's header (refl_hdr octets, all written anew)
 * and the sender's padding from sender_hdr on, moved to refl_hdr. The
 * request's checksum was verified (the classifier owns only such packets:
 * its own sum, or the NIC's verdict; a zero over IPv4 means none was sent
 * and is not used): the whole request sums to -0 (RFC 1071), so its
 * payload's sum is minus that of its pseudo header and UDP header; less its
 * header and the tail the reply drops, it is the moved run's sum, byte-
 * swapped by a move of odd length (RFC 1071 §2(B)). Taken only when that
 * costs fewer octets than a pass over the reply. @return true with
 * @p *msum the moved run's sum as it lies in the reply (native order).
 */
static bool moved_sum(const struct pkt *p, const struct tw_test_layout *l, uint16_t *msum)
{
	uint32_t s = l->sender_hdr, r = l->refl_hdr, pad, tail;
	uint16_t ck, pay, head, tl, ms;
	int n = tw_proto_test_reply_len(l, p->plen);

	memcpy(&ck, p->udp + 6, 2);
	if (n < 0 || ck == 0 || (uint32_t)n < r || p->plen < s + ((uint32_t)n - r))
		return false;
	pad = (uint32_t)n - r;
	tail = p->plen - s - pad;
	/* octets summed here and at the checksum, against a pass over the reply */
	if (s + tail + r + (p->ipv == 4 ? 8u : 32u) >= (uint32_t)n)
		return false;
	pay = (uint16_t)~tw_dp_csum_fold(tw_dp_csum_add(
		tw_dp_udp_pseudo_sum(p->ip, p->ipv, (uint16_t)(UDP_HDR + p->plen)), p->udp, UDP_HDR));
	head = tw_dp_csum_fold(tw_dp_csum_add(0, p->pl, s));
	tl = tw_dp_csum_fold(tw_dp_csum_add(0, p->pl + s + pad, tail));
	if ((s + pad) & 1)
		tl = __builtin_bswap16(tl);
	ms = tw_dp_csum_fold((uint64_t)pay + (uint16_t)~head + (uint16_t)~tl);
	*msum = (r - s) & 1 ? __builtin_bswap16(ms) : ms;
	return true;
}

/* The headers of an owned packet (the parser set l2_len and l3_len). */
static inline void pkt_init(struct pkt *p, struct rte_mbuf *m)
{
	uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *) + m->l2_len;

	p->f = rte_pktmbuf_mtod(m, uint8_t *);
	p->ip = ip;
	p->udp = ip + m->l3_len;
	p->pl = p->udp + UDP_HDR;
	p->plen = (uint16_t)(tw_get_be16(p->udp + 4) - UDP_HDR);
	p->t = NULL;
	p->c = NULL;
	p->cos_tos = -1;
	p->stamp_integ_fail = false;
	p->ipv = (uint8_t)dp_ipv(m);
	dp_ttl_tos(ip, p->ipv, &p->ttl, &p->tos);
}

static inline void drop(struct refl_worker *w, struct pkt *p, uint8_t *verdict,
			enum tw_refl_drop why)
{
	*verdict = TW_DP_V_DROP;
	w->c.drop[why]++;
	if (p->c != NULL)
		p->c->drop[why]++;
}

static int map_proto_err(int rc)
{
	switch (-rc) {
	case TW_PROTO_E_TRUNCATED:
		return TW_REFL_DROP_TOO_SHORT;
	case TW_PROTO_E_NOSPACE:
		return TW_REFL_DROP_NO_ROOM;
	default:
		return TW_REFL_DROP_BAD_LENGTH;
	}
}

/* STAMP: base HMAC, HMAC TLV, reflect, TLVs; returns the reply length or
 * a negative drop reason */
static int reflect_stamp(unsigned worker, struct rte_mbuf *m,
			 struct pkt *p, size_t room, uint32_t *seq_out, uint16_t errest)
{
	const struct refl_tgt *t = p->t;
	enum tw_stamp_mode sm = t->mode == TW_REFL_AUTH ? TW_STAMP_AUTH : TW_STAMP_UNAUTH;
	const struct tw_crypto_stamp *sc = t->stamp != NULL ? t->stamp[worker] : NULL;
	size_t base = tw_proto_stamp_base_len(sm), hoff = 0;
	struct tw_stamp_reflect_info ri;
	int rl;

	/* the base HMAC of what is long enough was checked for the burst */
	if (p->plen < (sm == TW_STAMP_AUTH ? TW_STAMP_BASE_AUTH : TW_STAMP_MIN_UNAUTH))
		return -TW_REFL_DROP_TOO_SHORT;
	/* the HMAC TLV covers the sender's Sequence Number: check it first */
	if (p->plen > base) {
		int hs = tw_proto_stamp_hmac_tlv_find(p->pl, p->plen, base,
						      sm == TW_STAMP_AUTH, &hoff);

		if (hs == TW_STAMP_HMAC_BAD ||
		    (hs == TW_STAMP_HMAC_PRESENT &&
		     (sc == NULL ||
		      tw_crypto_stamp_tlv_check(sc, p->pl, p->plen, base, hoff) != 0)))
			p->stamp_integ_fail = true;
	}
	ri.seq = t->own_seq ? p->c->seq : tw_get_be32(p->pl);
	ri.rx_ts = tw_dp_rx_ntp(m);
	ri.errest = errest;
	ri.ttl = p->ttl;
	rl = tw_proto_stamp_reflect_inplace(sm, p->pl, p->plen, room, &ri);
	if (rl < 0)
		return -map_proto_err(rl);
	if ((size_t)rl > base) {
		struct tw_stamp_reflect_ctx cx;
		struct tw_stamp_reflect_out out;
		size_t alen = p->ipv == 4 ? 4 : 16;

		memset(&cx, 0, sizeof(cx));
		cx.tos = p->tos;
		cx.dscp_allowed = ~0ull;
		cx.src_port = tw_get_be16(p->udp);
		cx.dst_port = tw_get_be16(p->udp + 2);
		cx.ipv6 = p->ipv == 6;
		memcpy(cx.src_ip, p->ip + (p->ipv == 4 ? 12 : 8), alen);
		memcpy(cx.dst_ip, p->ip + (p->ipv == 4 ? 16 : 24), alen);
		cx.have_mac = true;
		memcpy(cx.src_mac, p->f + 6, 6);
		cx.r_rxc = (uint32_t)p->c->rx;
		cx.r_txc = (uint32_t)p->c->tx;
		cx.sync_in = cx.sync_out = TW_STAMP_SYNC_NTP;
		cx.ts_in = cx.ts_out = TW_STAMP_TSM_SW;
		cx.have_prev = t->own_seq && p->c->have_prev;
		cx.prev_seq = p->c->prev_seq;
		cx.prev_ts = p->c->prev_ts;
		cx.prev_ts_mode = TW_STAMP_TSM_SW;
		cx.integrity_failed = p->stamp_integ_fail;
		if (tw_proto_stamp_reflect_tlvs(&cx, p->pl, (size_t)rl, base, &out) != 0)
			return -TW_REFL_DROP_BAD_LENGTH;
		if (out.cos)
			p->cos_tos = (int16_t)(out.reply_dscp << 2);
		if (out.has_hmac && sc != NULL &&
		    tw_crypto_stamp_tlv_sign(sc, p->pl, (size_t)rl, base, out.hmac_off) != 0)
			return -TW_REFL_DROP_CRYPTO;
	}
	*seq_out = ri.seq;
	return rl;
}

void tw_refl_udp_handler(void *arg, unsigned worker, unsigned port,
			 struct rte_mbuf **pkts, uint16_t n, uint8_t *verdict)
{
	struct tw_refl *r = arg;
	struct refl_worker *w;
	struct tw_keys_5t keys[TW_DP_BURST];
	const struct tw_keys_5t *kp[TW_DP_BURST];
	void *data[TW_DP_BURST];
	struct pkt pk[TW_DP_BURST];
	const struct tw_crypto_test *vt[TW_DP_BURST];
	const struct tw_crypto_stamp *vs[TW_DP_BURST];
	const uint8_t *vsp[TW_DP_BURST];
	uint8_t *vp[TW_DP_BURST];
	uint16_t vl[TW_DP_BURST], vi[TW_DP_BURST], nv = 0;
	uint16_t vsl[TW_DP_BURST], vsi[TW_DP_BURST], ns = 0;
	int vres[TW_DP_BURST];
	uint64_t hits = 0, now_tsc;
	uint16_t errest;
	bool any_sess;

	(void)port;
	if (r == NULL || worker >= r->n_workers || n == 0 || n > TW_DP_BURST)
		return;
	w = &r->w[worker];
	cur_worker = w;
	w->npend = 0;
	w->c.rx += n;
	now_tsc = rte_rdtsc();
	errest = tw_dp_clock_errest(r->clock);
	/* with no session at all (light ports only) no 5-tuple is built */
	any_sess = __atomic_load_n(&r->n_sess, __ATOMIC_RELAXED) != 0;

	/* sessions: headers and 5-tuples first, one bulk lookup */
	for (uint16_t i = 0; any_sess && i < n; i++) {
		struct pkt *p = &pk[i];

		pkt_init(p, pkts[i]);
		dp_5t(&keys[i], p->ipv, p->ip, p->udp);
		kp[i] = &keys[i];
	}
	if (any_sess)
		tw_keys_lookup_bulk(r->tab, kp, n, &hits, data);
	/* static sessions that take any peer port: only for what missed */
	if (any_sess && __atomic_load_n(&r->n_any, __ATOMIC_RELAXED) != 0 &&
	    hits != (1ull << n) - 1) {
		void *d2[TW_DP_BURST];
		uint64_t h2 = 0;

		for (uint16_t i = 0; i < n; i++)
			keys[i].peer_port = 0;
		tw_keys_lookup_bulk(r->tab, kp, n, &h2, d2);
		for (uint16_t i = 0; i < n; i++)
			if (!(hits >> i & 1) && (h2 >> i & 1)) {
				data[i] = d2[i];
				hits |= 1ull << i;
			}
	}

	/* resolve, check state and length, gather what must be verified */
	for (uint16_t i = 0; i < n; i++) {
		struct pkt *p = &pk[i];
		struct rte_mbuf *m = pkts[i];
		uint16_t min;

		if (!any_sess)
			pkt_init(p, m);
		verdict[i] = TW_DP_V_TX;
		if (hits >> i & 1) {
			struct refl_sess *e = data[i];
			uint64_t stop;

			p->t = &e->t;
			p->c = &e->c;
			p->c->rx++;
			p->c->last_rx = tw_dp_rx_ntp(m);
			if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != ST_STARTED) {
				drop(w, p, &verdict[i], TW_REFL_DROP_NOT_STARTED);
				continue;
			}
			stop = __atomic_load_n(&e->stop_tsc, __ATOMIC_ACQUIRE);
			if (stop != 0 && now_tsc >= stop) {
				drop(w, p, &verdict[i], TW_REFL_DROP_STOPPED);
				continue;
			}
		} else {
			struct refl_light *l =
				__atomic_load_n(&r->light[tw_get_be16(p->udp + 2)],
						__ATOMIC_ACQUIRE);

			if (l == NULL) {
				drop(w, p, &verdict[i], TW_REFL_DROP_NO_SESSION);
				continue;
			}
			p->t = &l->t;
			p->c = &l->c[worker];
			p->c->rx++;
			p->c->last_rx = tw_dp_rx_ntp(m);
			if (l->n_allow != 0 &&
			    !peer_allowed(l, p->ipv, p->ip + (p->ipv == 4 ? 12 : 8))) {
				drop(w, p, &verdict[i], TW_REFL_DROP_NOT_ALLOWED);
				continue;
			}
		}
		if (m->nb_segs != 1) {
			drop(w, p, &verdict[i], TW_REFL_DROP_NO_ROOM);
			continue;
		}
		if (p->t->proto == TW_REFL_STAMP) {
			/* RFC 8762 §4.4: base HMAC, checked as one burst */
			if (p->t->mode == TW_REFL_AUTH && p->plen >= TW_STAMP_BASE_AUTH) {
				vs[ns] = p->t->stamp != NULL ? p->t->stamp[worker] : NULL;
				vsp[ns] = p->pl;
				vsl[ns] = p->plen;
				vsi[ns++] = i;
			}
			continue;
		}
		min = p->t->layout.sender_hdr;
		if (p->plen < min) {
			drop(w, p, &verdict[i], TW_REFL_DROP_TOO_SHORT);
			continue;
		}
		if (p->t->mode != TW_REFL_OPEN) {
			vt[nv] = p->t->ct;
			vp[nv] = p->pl;
			vl[nv] = p->plen;
			vi[nv++] = i;
		}
	}
	if (nv != 0) {
		int rc = tw_crypto_test_verify_burst(w->eng, vt, TW_CRYPTO_PKT_SENDER,
						     vp, vl, nv, vres);

		for (uint16_t k = 0; k < nv; k++) {
			int e = rc < 0 ? rc : vres[k];

			if (e != 0)
				drop(w, &pk[vi[k]], &verdict[vi[k]],
				     e == -TW_PROTO_E_HMAC ? TW_REFL_DROP_BAD_HMAC :
				     e == -TW_PROTO_E_TRUNCATED ? TW_REFL_DROP_TOO_SHORT :
				     TW_REFL_DROP_CRYPTO);
		}
	}
	if (ns != 0) {
		int rc = tw_crypto_stamp_check_burst(vs, vsp, vsl, ns, vres);

		for (uint16_t k = 0; k < ns; k++) {
			int e = rc < 0 ? rc : vres[k];

			if (e != 0)
				drop(w, &pk[vsi[k]], &verdict[vsi[k]],
				     e == -TW_PROTO_E_HMAC ? TW_REFL_DROP_BAD_HMAC :
				     TW_REFL_DROP_CRYPTO);
		}
	}

	/* reflect in place and rewrite the headers */
	nv = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct pkt *p = &pk[i];
		struct rte_mbuf *m = pkts[i];
		const struct refl_tgt *t = p->t;
		size_t room;
		struct pend *pd;
		uint32_t seq = 0;
		uint16_t msum = 0;
		bool moved = false;
		uint8_t tos;
		int rl;

		if (verdict[i] != TW_DP_V_TX)
			continue;
		room = (size_t)m->buf_len - m->data_off - (size_t)(p->pl - p->f);
		if (room > TW_TEST_MAX_LEN)
			room = TW_TEST_MAX_LEN;
		if (t->proto == TW_REFL_STAMP) {
			rl = reflect_stamp(worker, m, p, room, &seq, errest);
			if (rl < 0) {
				drop(w, p, &verdict[i], (enum tw_refl_drop)-rl);
				continue;
			}
		} else {
			struct tw_test_reflect_info ri;

			if (t->mode == TW_REFL_OPEN)
				moved = moved_sum(p, &t->layout, &msum);
			ri.seq = t->own_seq ? p->c->seq : tw_proto_test_get_seq(p->pl);
			ri.rx_ts = tw_dp_rx_ntp(m);
			ri.errest = errest;
			ri.ttl = p->ttl;
			ri.dscp_ecn = p->tos;
			rl = tw_proto_test_reflect_inplace(&t->layout, p->pl, p->plen,
							   room, &ri);
			if (rl < 0) {
				drop(w, p, &verdict[i], (enum tw_refl_drop)map_proto_err(rl));
				continue;
			}
			seq = ri.seq;
		}
		if (t->own_seq)
			p->c->seq++;
		/* STAMP Class of Service TLV chose the DSCP, else the target's */
		if (p->cos_tos >= 0)
			tos = (uint8_t)p->cos_tos;
		else if (t->dscp == TW_REFL_DSCP_COPY)
			tos = (uint8_t)(p->ipv == 4 ? p->ip[1] & 0xfc
					: ((p->ip[0] << 4) | (p->ip[1] >> 4)) & 0xfc);
		else
			tos = (uint8_t)(t->dscp << 2);
		reply_headers(m, p->f, p->ip, p->udp, p->ipv, (uint16_t)rl, tos);
		p->plen = (uint16_t)rl;
		p->c->tx++;
		w->c.tx++;

		pd = &w->pend[w->npend++];
		pd->m = m;
		pd->idx = i;
		pd->ip = p->ip;
		pd->udp = p->udp;
		pd->pl = p->pl;
		pd->c = p->c;
		pd->seq = seq;
		pd->plen = (uint16_t)rl;
		pd->ipv = p->ipv;
		pd->stamp_prev = t->proto == TW_REFL_STAMP && t->own_seq;
		pd->ts_off = t->ts_off;
		pd->kind = t->tx_kind;
		if (t->proto == TW_REFL_STAMP) {
			pd->ctx = t->stamp != NULL ? t->stamp[worker] : NULL;
		} else {
			pd->ctx = t->ct;
			if (t->mode == TW_REFL_AUTH) {
				/* UDP sum once the HMAC is in (below) */
				vt[nv] = t->ct;
				vp[nv] = p->pl;
				vl[nv] = (uint16_t)rl;
				vi[nv++] = (uint16_t)(w->npend - 1);
				continue;
			}
		}
		if (pd->kind == K_TS_INC)
			udp_cksum_set(p->ip, p->ipv, p->udp, (uint16_t)(UDP_HDR + rl),
				      (uint16_t)(UDP_HDR + (moved ? t->layout.refl_hdr : rl)), msum);
	}
	/* authenticated TWAMP: the HMAC does not cover the Timestamp */
	if (nv != 0) {
		int rc = tw_crypto_test_protect_burst(w->eng, vt, TW_CRYPTO_PKT_REFLECTOR,
						      vp, vl, nv, vres);

		for (uint16_t k = 0; k < nv; k++)
			if (rc < 0 || vres[k] != 0) {
				/* cannot happen with a valid context; never send it */
				struct pend *pd = &w->pend[vi[k]];

				verdict[pd->idx] = TW_DP_V_DROP;
				pd->c->tx--;
				w->c.tx--;
				pd->c->drop[TW_REFL_DROP_CRYPTO]++;
				w->c.drop[TW_REFL_DROP_CRYPTO]++;
				pd->m = NULL;
			}
	}
	for (uint16_t k = 0; k < nv; k++) {
		struct pend *pd = &w->pend[vi[k]];

		if (pd->m != NULL)
			udp_cksum_set(pd->ip, pd->ipv, pd->udp, (uint16_t)(UDP_HDR + pd->plen),
				      (uint16_t)(UDP_HDR + pd->plen), 0);
	}
}

/* After a protect burst: a reply that could not be protected leaves as
 * zeros (never in clear, never with a stale MAC); then its UDP sum */
static void tx_protected(struct refl_worker *w, const uint16_t *idx, uint16_t n,
			 int rc, const int *res)
{
	for (uint16_t k = 0; k < n; k++) {
		struct pend *pd = &w->pend[idx[k]];

		if (rc < 0 || res[k] != 0) {
			memset(pd->pl, 0, pd->plen);
			w->c.drop[TW_REFL_DROP_CRYPTO]++;
		}
		udp_cksum_set(pd->ip, pd->ipv, pd->udp, (uint16_t)(UDP_HDR + pd->plen),
			      (uint16_t)(UDP_HDR + pd->plen), 0);
	}
}

void tw_refl_tx_stamp(void *arg, unsigned port, struct rte_mbuf **pkts,
		      uint16_t n, tw_ntp_t now)
{
	struct tw_refl *r = arg;
	struct refl_worker *w = cur_worker;
	const struct tw_crypto_test *et[TW_DP_BURST];
	const struct tw_crypto_stamp *st[TW_DP_BURST];
	uint8_t *ep[TW_DP_BURST], *sp[TW_DP_BURST];
	uint16_t el[TW_DP_BURST], ei[TW_DP_BURST], ne = 0, j = 0;
	uint16_t sl[TW_DP_BURST], si[TW_DP_BURST], ns = 0;
	int eres[TW_DP_BURST];

	(void)port;
	if (r == NULL || w == NULL || w < r->w || w >= r->w + r->n_workers)
		return;
	for (uint16_t i = 0; i < n; i++) {
		struct pend *pd;
		uint16_t k;

		/* same order as the TX verdicts; search in case of gaps */
		for (k = j; k < w->npend && w->pend[k].m != pkts[i]; k++)
			;
		if (k == w->npend)
			continue;
		j = (uint16_t)(k + 1);
		pd = &w->pend[k];
		tw_ts_put(pd->pl + pd->ts_off, now);
		switch (pd->kind) {
		case K_TS_INC:
			udp_cksum_add_ts(pd->udp, pd->pl + pd->ts_off);
			break;
		case K_ENC:
			et[ne] = pd->ctx;
			ep[ne] = pd->pl;
			el[ne] = pd->plen;
			ei[ne++] = k;
			break;
		case K_STAMP_AUTH:
			st[ns] = pd->ctx;
			sp[ns] = pd->pl;
			sl[ns] = pd->plen;
			si[ns++] = k;
			break;
		}
		if (pd->stamp_prev) {
			pd->c->have_prev = true;
			pd->c->prev_seq = pd->seq;
			pd->c->prev_ts = now;
		}
	}
	if (ne != 0) {
		int rc = tw_crypto_test_protect_burst(w->eng, et, TW_CRYPTO_PKT_REFLECTOR,
						      ep, el, ne, eres);

		tx_protected(w, ei, ne, rc, eres);
	}
	/* STAMP authenticated: the HMAC covers the Timestamp (RFC 8762 §4.3.2) */
	if (ns != 0) {
		int rc = tw_crypto_stamp_sign_burst(st, sp, sl, ns, eres);

		tx_protected(w, si, ns, rc, eres);
	}
	w->npend = 0;
}

/* ---- telemetry ---- */

static void tel_stats(struct rte_tel_data *d, const struct tw_refl_stats *s)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx", s->rx);
	rte_tel_data_add_dict_u64(d, "tx", s->tx);
	for (unsigned i = 0; i < TW_REFL_DROP__MAX; i++)
		rte_tel_data_add_dict_u64(d, tw_refl_drop_name(i), s->drop[i]);
	rte_tel_data_add_dict_u64(d, "last_rx_ntp", s->last_rx);
}

static int tel_cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_refl_stats s;

	(void)cmd;
	(void)params;
	if (tel_refl == NULL || tw_refl_stats(tel_refl, -1, &s) != 0)
		return -ENOENT;
	tel_stats(d, &s);
	rte_tel_data_add_dict_u64(d, "sessions", tel_refl->n_sess);
	rte_tel_data_add_dict_u64(d, "light_ports", tel_refl->n_light);
	return 0;
}

static int tel_cmd_worker(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_refl_stats s;
	unsigned long v;

	(void)cmd;
	if (tel_refl == NULL || dp_tel_uint_arg(params, INT32_MAX, &v) != 0 ||
	    tw_refl_stats(tel_refl, (int)v, &s) != 0)
		return -EINVAL;
	tel_stats(d, &s);
	return 0;
}

static int tel_cmd_session(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_refl_stats s;
	unsigned long v;

	(void)cmd;
	if (tel_refl == NULL || dp_tel_uint_arg(params, UINT32_MAX, &v) != 0 ||
	    tw_refl_session_stats(tel_refl, (uint32_t)v, &s) != 0)
		return -EINVAL;
	tel_stats(d, &s);
	rte_tel_data_add_dict_u64(d, "next_seq", s.next_seq);
	return 0;
}

static int tel_cmd_light(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_refl_stats s;
	unsigned long v;

	(void)cmd;
	if (tel_refl == NULL || dp_tel_uint_arg(params, UINT16_MAX, &v) != 0 ||
	    tw_refl_light_stats(tel_refl, (uint16_t)v, &s) != 0)
		return -EINVAL;
	tel_stats(d, &s);
	return 0;
}

int tw_refl_telemetry_register(struct tw_refl *r)
{
	static const struct dp_tel_cmd cmds[] = {
		{ "/twamp/refl/stats", tel_cmd_stats, "Reflector counters, all workers" },
		{ "/twamp/refl/worker", tel_cmd_worker,
		  "Reflector counters of one worker. Parameters: int worker" },
		{ "/twamp/refl/session", tel_cmd_session,
		  "Counters of one session. Parameters: int id" },
		{ "/twamp/refl/light", tel_cmd_light,
		  "Counters of one light port. Parameters: int UDP port" },
	};
	static bool registered;

	if (r == NULL)
		return -EINVAL;
	tel_refl = r;
	return dp_tel_register(cmds, RTE_DIM(cmds), &registered);
}
