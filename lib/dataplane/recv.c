/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receive side of the worker fast path: TWAMP-Test replies (RFC 5357
 * §4.2.1, erratum 5045, RFC 6038, RFC 7750), TWAMP Light replies (RFC 5357
 * App. I), STAMP replies (RFC 8762 §4.3) and OWAMP-Test packets (RFC 4656
 * §4.1.2) become struct tw_stats_rec records on a per-worker ring.
 *
 * Per burst: one bulk lookup by 5-tuple; length checks against the
 * session's layout; one verify burst per packet format (reflector replies,
 * OWAMP sender packets, STAMP replies) for auth/enc; decode with
 * lib/proto; one ring enqueue for the burst's records. The packets are
 * consumed: nothing is sent, nothing goes to the kernel.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include "dp_common.h"
#include "dp_private.h"
#include "tw_dp_recv.h"
#include "tw_keys.h"
#include "tw_proto_stamp.h"
#include "tw_proto_test.h"

#define UDP_HDR 8u
#define PORTS 65536u
#define SLOT_BITS 24u
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
_Static_assert(TW_RECV_ID_SLOT(~0u) == SLOT_MASK, "id layout");

/* Counters with one writer each (a worker; a session's flow is one worker's). */
struct recv_cnt {
	uint64_t rx, consumed;
	uint64_t drop[TW_RECV_DROP__MAX];
	tw_ntp_t last_rx;
} __rte_cache_aligned;

/* A receive session; read-only for the workers once published, except c. */
struct recv_sess {
	struct tw_keys_5t key;
	uint32_t id;
	uint8_t kind;              /* enum tw_recv_kind */
	uint8_t mode;              /* enum tw_recv_mode */
	uint16_t min_len;          /* octets before anything optional */
	struct tw_test_layout layout;          /* TWAMP, LIGHT, OWAMP */
	struct tw_crypto_test *ct;             /* TWAMP, LIGHT, OWAMP auth/enc */
	struct tw_crypto_stamp **stamp;        /* STAMP auth: one per worker */
	unsigned n_stamp;
	struct recv_cnt c;
};

struct recv_worker {
	struct tw_crypto_engine *eng;
	struct rte_ring *ring;     /* records: this worker -> control thread */
	struct recv_cnt c;         /* totals */
} __rte_cache_aligned;

struct tw_recv {
	unsigned n_workers;
	uint32_t max_sessions;
	uint32_t ring_size;
	struct tw_dp_clock *clock;
	enum tw_crypto_impl impl;
	struct rte_rcu_qsbr *qsbr;
	bool own_qsbr;
	struct tw_keys *tab;
	struct tw_crypto_engine *ctl_eng;
	uint32_t *port_refs;           /* sessions per local UDP port */
	struct recv_sess **by_slot;
	uint8_t *gen;                  /* per slot: bumped on every delete */
	uint32_t n_sess;
	uint32_t slot_hint;
	unsigned drain_next;           /* worker the next drain starts with */
	struct tw_dp *dp;
	struct recv_worker *w;
	struct tw_dp_clock own_clock;
};

static const char *const drop_names[] = {
#define TW_RECV_DROP_NAME(name, id, text) id,
	TW_RECV_DROPS(TW_RECV_DROP_NAME)
#undef TW_RECV_DROP_NAME
};

const char *tw_recv_drop_name(unsigned reason)
{
	return reason < TW_RECV_DROP__MAX ? drop_names[reason] : "unknown";
}

/* ---- sessions: allocation ---- */

static void sess_free(struct recv_sess *s)
{
	tw_crypto_test_destroy(s->ct);
	if (s->stamp != NULL) {
		for (unsigned i = 0; i < s->n_stamp; i++)
			tw_crypto_stamp_destroy(s->stamp[i]);
		free(s->stamp);
	}
	tw_crypto_wipe(s, sizeof(*s));
	free(s);
}

/* tw_keys free callback: the grace period of a deleted session is over */
static void sess_free_cb(void *arg, void *data)
{
	(void)arg;
	sess_free(data);
}

/* Layout, minimum length and crypto context of a session. */
static int sess_init(struct tw_recv *r, struct recv_sess *e,
		     const struct tw_recv_session *s)
{
	enum tw_crypto_test_mode cm;

	e->kind = (uint8_t)s->kind;
	e->mode = (uint8_t)s->mode;
	switch (s->kind) {
	case TW_RECV_TWAMP:
	case TW_RECV_LIGHT:
	case TW_RECV_OWAMP:
		if (s->mode > TW_RECV_ENC)
			return -EINVAL;
		if (s->kind != TW_RECV_TWAMP &&
		    (s->sym_size || s->dscp_ecn || s->reflect_len != 0))
			return -EINVAL;
		if (tw_proto_test_layout_init(&e->layout, (enum tw_test_mode)s->mode,
					      s->sym_size, s->dscp_ecn,
					      s->reflect_len) != 0)
			return -EINVAL;
		/* RFC 5357 §4.2.1: the reply's header; RFC 4656 §4.1.2: the
		 * sender header of an OWAMP-Test packet */
		e->min_len = s->kind == TW_RECV_OWAMP ? e->layout.sender_hdr
						       : e->layout.refl_hdr;
		if (s->mode == TW_RECV_OPEN)
			return 0;
		if (r->ctl_eng == NULL)
			return -ENOTSUP;
		cm = s->mode == TW_RECV_AUTH ? TW_CRYPTO_TEST_AUTH : TW_CRYPTO_TEST_ENC;
		e->ct = tw_crypto_test_create(r->ctl_eng, cm, &s->test_keys);
		return e->ct != NULL ? 0 : -ENOMEM;
	case TW_RECV_STAMP:
		if (s->mode > TW_RECV_AUTH || s->sym_size || s->dscp_ecn ||
		    s->reflect_len != 0)
			return -EINVAL;
		/* RFC 8762 §4.3.2 base packet; §4.6: a TWAMP Light reflector's
		 * 41-octet reply is a valid unauthenticated one */
		e->min_len = s->mode == TW_RECV_AUTH ? TW_STAMP_BASE_AUTH
						      : TW_STAMP_MIN_REFL_UNAUTH;
		if (s->mode == TW_RECV_OPEN)
			return 0;
		if (s->stamp_key == NULL || s->stamp_key_len < TW_RECV_STAMP_KEY_MIN ||
		    s->stamp_key_len > TW_RECV_STAMP_KEY_MAX)
			return -EINVAL;
		/* the context carries scratch state: one per worker */
		e->stamp = calloc(r->n_workers, sizeof(*e->stamp));
		if (e->stamp == NULL)
			return -ENOMEM;
		e->n_stamp = r->n_workers;
		for (unsigned i = 0; i < r->n_workers; i++) {
			e->stamp[i] = tw_crypto_stamp_create(s->stamp_key, s->stamp_key_len);
			if (e->stamp[i] == NULL)
				return -ENOMEM;
		}
		return 0;
	}
	return -EINVAL;
}

/* ---- life cycle ---- */

/* 22.11 telemetry callbacks take no argument: the latest receiver. The
 * telemetry thread is no QSBR reader: the lock keeps a session it reads
 * from being unlinked (and later freed) under it. */
static rte_spinlock_t tel_lock = RTE_SPINLOCK_INITIALIZER;
static struct tw_recv *tel_recv;
static uint32_t recv_serial;   /* unique ring names per process */

struct tw_recv *tw_recv_create(const struct tw_recv_conf *conf)
{
	struct tw_recv *r;
	uint32_t serial;
	int e = ENOMEM;

	if (conf == NULL || conf->n_workers == 0 ||
	    conf->n_workers > TW_DP_WORKERS_MAX || conf->max_sessions < 8 ||
	    conf->max_sessions > (1u << SLOT_BITS) ||
	    (conf->ring_size != 0 && (!rte_is_power_of_2(conf->ring_size) ||
				      conf->ring_size < TW_DP_BURST ||
				      conf->ring_size > (1u << 24))) ||
	    (conf->crypto == TW_CRYPTO_IMPL_OPENSSL && conf->n_workers > 1) ||
	    (conf->qsbr != NULL && conf->qsbr->max_threads < conf->n_workers)) {
		rte_errno = EINVAL;
		return NULL;
	}
	r = rte_zmalloc("tw_recv", sizeof(*r), RTE_CACHE_LINE_SIZE);
	if (r == NULL)
		goto fail;
	r->n_workers = conf->n_workers;
	r->max_sessions = conf->max_sessions;
	r->ring_size = conf->ring_size != 0 ? conf->ring_size : TW_RECV_RING_DEFAULT;
	r->impl = conf->crypto;
	r->clock = conf->clock;
	if (r->clock == NULL) {
		if (tw_dp_clock_init(&r->own_clock, rte_get_tsc_hz()) != 0) {
			e = EIO;
			goto fail;
		}
		r->clock = &r->own_clock;
	}
	r->qsbr = conf->qsbr;
	if (r->qsbr == NULL) {
		size_t qsz = rte_rcu_qsbr_get_memsize(r->n_workers);

		r->qsbr = rte_zmalloc("tw_recv_qsbr", qsz, RTE_CACHE_LINE_SIZE);
		if (r->qsbr == NULL)
			goto fail;
		r->own_qsbr = true;
		if (rte_rcu_qsbr_init(r->qsbr, r->n_workers) != 0)
			goto fail;
	}
	r->w = rte_zmalloc("tw_recv_w", sizeof(*r->w) * r->n_workers, RTE_CACHE_LINE_SIZE);
	r->port_refs = rte_zmalloc("tw_recv_refs", sizeof(*r->port_refs) * PORTS, 0);
	r->by_slot = rte_zmalloc("tw_recv_ids", sizeof(*r->by_slot) * r->max_sessions, 0);
	r->gen = rte_zmalloc("tw_recv_gen", r->max_sessions, 0);
	if (r->w == NULL || r->port_refs == NULL || r->by_slot == NULL || r->gen == NULL)
		goto fail;
	serial = __atomic_fetch_add(&recv_serial, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < r->n_workers; i++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "tw_recv%u_%u", serial, i);
		r->w[i].ring = rte_ring_create_elem(name, sizeof(struct tw_recv_rec),
						    r->ring_size, SOCKET_ID_ANY,
						    RING_F_SP_ENQ | RING_F_SC_DEQ |
						    RING_F_EXACT_SZ);
		if (r->w[i].ring == NULL) {
			e = rte_errno;
			goto fail;
		}
	}
	/* without AES-NI/intel-ipsec-mb only unauthenticated TWAMP works */
	r->ctl_eng = tw_crypto_engine_create(r->impl);
	if (r->ctl_eng != NULL) {
		for (unsigned i = 0; i < r->n_workers; i++) {
			r->w[i].eng = tw_crypto_engine_create(r->impl);
			if (r->w[i].eng == NULL) {
				e = ENOTSUP;
				goto fail;
			}
		}
	}
	r->tab = dp_sess_table_create(r->max_sessions, r->qsbr, sess_free_cb, r);
	if (r->tab == NULL) {
		e = rte_errno;
		goto fail;
	}
	return r;
fail:
	tw_recv_destroy(r);
	rte_errno = e;
	return NULL;
}

void tw_recv_destroy(struct tw_recv *r)
{
	if (r == NULL)
		return;
	rte_spinlock_lock(&tel_lock);
	if (tel_recv == r)
		tel_recv = NULL;
	rte_spinlock_unlock(&tel_lock);
	/* frees every session, present or awaiting its grace period */
	tw_keys_destroy(r->tab);
	if (r->w != NULL)
		for (unsigned i = 0; i < r->n_workers; i++) {
			tw_crypto_engine_destroy(r->w[i].eng);
			rte_ring_free(r->w[i].ring);
		}
	tw_crypto_engine_destroy(r->ctl_eng);
	if (r->own_qsbr)
		rte_free(r->qsbr);
	rte_free(r->w);
	rte_free(r->port_refs);
	rte_free(r->by_slot);
	rte_free(r->gen);
	rte_free(r);
}

struct rte_rcu_qsbr *tw_recv_qsbr(struct tw_recv *r)
{
	return r != NULL ? r->qsbr : NULL;
}

int tw_recv_attach(struct tw_recv *r, struct tw_dp *dp)
{
	int rc;

	if (r == NULL || dp == NULL)
		return -EINVAL;
	rc = tw_dp_set_udp_class_handler(dp, TW_DP_UDP_RECEIVER, tw_recv_udp_handler, r);
	if (rc != 0)
		return rc;
	for (unsigned p = 0; p < PORTS; p++) {
		if (r->port_refs[p] == 0)
			continue;
		rc = tw_dp_udp_port_claim(dp, (uint16_t)p, TW_DP_UDP_RECEIVER, true);
		if (rc != 0) {
			/* give back what this call took */
			while (p-- > 0)
				if (r->port_refs[p] != 0)
					tw_dp_udp_port_claim(dp, (uint16_t)p,
							     TW_DP_UDP_RECEIVER, false);
			tw_dp_set_udp_class_handler(dp, TW_DP_UDP_RECEIVER, NULL, NULL);
			return rc;
		}
	}
	r->dp = dp;
	/* the data plane's clock is the one its service thread refreshes */
	if (r->clock == &r->own_clock && tw_dp_clock(dp) != NULL)
		r->clock = tw_dp_clock(dp);
	return 0;
}

/* ---- sessions ---- */

static struct recv_sess *sess_get(const struct tw_recv *r, uint32_t id)
{
	uint32_t slot = id & SLOT_MASK;
	struct recv_sess *e;

	if (r == NULL || slot >= r->max_sessions)
		return NULL;
	e = r->by_slot[slot];
	return e != NULL && e->id == id ? e : NULL;
}

int tw_recv_session_add(struct tw_recv *r, const struct tw_recv_session *s,
			uint32_t *id)
{
	struct recv_sess *e;
	unsigned ipv;
	uint32_t slot;
	int rc;

	if (r == NULL || s == NULL || id == NULL || s->peer_port == 0 ||
	    s->local_port == 0)
		return -EINVAL;
	ipv = dp_family_ipv(s->family);
	if (ipv == 0)
		return -EINVAL;
	if (r->n_sess >= r->max_sessions)
		return -ENOSPC;
	e = dp_obj_alloc(sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	rc = sess_init(r, e, s);
	if (rc != 0) {
		sess_free(e);
		return rc;
	}
	tw_keys_5t_set(&e->key, ipv, s->local_addr, s->local_port, s->peer_addr,
		       s->peer_port);
	/* the port first: a session whose packets would go elsewhere is useless */
	if (r->port_refs[s->local_port] == 0 && r->dp != NULL) {
		rc = tw_dp_udp_port_claim(r->dp, s->local_port, TW_DP_UDP_RECEIVER, true);
		if (rc != 0) {
			sess_free(e);
			return rc;
		}
	}
	for (slot = r->slot_hint; r->by_slot[slot] != NULL;)
		slot = slot + 1 < r->max_sessions ? slot + 1 : 0;
	e->id = (uint32_t)r->gen[slot] << SLOT_BITS | slot;
	rc = tw_keys_add(r->tab, &e->key, e);
	if (rc != 0) {
		if (r->port_refs[s->local_port] == 0 && r->dp != NULL)
			tw_dp_udp_port_claim(r->dp, s->local_port, TW_DP_UDP_RECEIVER, false);
		sess_free(e);
		return rc;
	}
	r->by_slot[slot] = e;
	r->slot_hint = slot + 1 < r->max_sessions ? slot + 1 : 0;
	r->port_refs[s->local_port]++;
	__atomic_store_n(&r->n_sess, r->n_sess + 1, __ATOMIC_RELAXED);
	*id = e->id;
	return 0;
}

int tw_recv_session_del(struct tw_recv *r, uint32_t id)
{
	struct recv_sess *e = sess_get(r, id);
	uint32_t slot = id & SLOT_MASK;
	uint16_t lport;
	int rc;

	if (r == NULL)
		return -EINVAL;
	if (e == NULL)
		return -ENOENT;
	lport = e->key.local_port;
	rte_spinlock_lock(&tel_lock);
	r->by_slot[slot] = NULL;
	rte_spinlock_unlock(&tel_lock);
	r->gen[slot]++;
	__atomic_store_n(&r->n_sess, r->n_sess - 1, __ATOMIC_RELAXED);
	if (--r->port_refs[lport] == 0 && r->dp != NULL)
		tw_dp_udp_port_claim(r->dp, lport, TW_DP_UDP_RECEIVER, false);
	/* e now belongs to the table's deferred free (wiped after the grace
	 * period) */
	rc = tw_keys_del(r->tab, &e->key);
	return rc < 0 ? rc : 0;
}

unsigned tw_recv_session_count(const struct tw_recv *r)
{
	return r != NULL ? __atomic_load_n(&r->n_sess, __ATOMIC_RELAXED) : 0;
}

/* ---- records ---- */

unsigned tw_recv_drain(struct tw_recv *r, struct tw_recv_rec *out, unsigned max)
{
	unsigned got = 0, start;

	if (r == NULL || out == NULL)
		return 0;
	/* start with a different worker each call: a busy one cannot starve
	 * the others when @max is small */
	start = r->drain_next;
	r->drain_next = start + 1 < r->n_workers ? start + 1 : 0;
	for (unsigned k = 0; k < r->n_workers && got < max; k++) {
		unsigned i = start + k < r->n_workers ? start + k : start + k - r->n_workers;

		got += rte_ring_sc_dequeue_burst_elem(r->w[i].ring, out + got,
						      sizeof(*out), max - got, NULL);
	}
	return got;
}

/* ---- counters ---- */

static void cnt_add(struct tw_recv_stats *o, const struct recv_cnt *c)
{
	tw_ntp_t last;

	o->rx += __atomic_load_n(&c->rx, __ATOMIC_RELAXED);
	o->consumed += __atomic_load_n(&c->consumed, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < TW_RECV_DROP__MAX; i++)
		o->drop[i] += __atomic_load_n(&c->drop[i], __ATOMIC_RELAXED);
	last = __atomic_load_n(&c->last_rx, __ATOMIC_RELAXED);
	if (last > o->last_rx)
		o->last_rx = last;
}

int tw_recv_stats(const struct tw_recv *r, int worker, struct tw_recv_stats *out)
{
	if (r == NULL || out == NULL || worker < -1 || worker >= (int)r->n_workers)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < r->n_workers; i++)
		if (worker < 0 || (unsigned)worker == i)
			cnt_add(out, &r->w[i].c);
	return 0;
}

int tw_recv_session_stats(const struct tw_recv *r, uint32_t id,
			  struct tw_recv_stats *out)
{
	const struct recv_sess *e = sess_get(r, id);

	if (r == NULL || out == NULL)
		return -EINVAL;
	if (e == NULL)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	cnt_add(out, &e->c);
	return 0;
}

/* ---- fast path ---- */

/* one packet of a burst on its way through the handler */
struct pkt {
	uint8_t *ip, *pl;
	struct recv_sess *s;
	uint16_t plen;
	uint8_t ttl, tos;
};

static inline void drop(struct recv_worker *w, struct pkt *p, uint8_t *verdict,
			enum tw_recv_drop why)
{
	*verdict = TW_DP_V_DROP;
	w->c.drop[why]++;
	if (p->s != NULL)
		p->s->c.drop[why]++;
}

static inline enum tw_recv_drop verify_drop(int e)
{
	return e == -TW_PROTO_E_HMAC ? TW_RECV_DROP_BAD_HMAC :
	       e == -TW_PROTO_E_TRUNCATED ? TW_RECV_DROP_TOO_SHORT :
	       TW_RECV_DROP_CRYPTO;
}

/* verify @n packets of one format; failures become drops */
static void verify(struct recv_worker *w, enum tw_crypto_pkt kind,
		   const struct tw_crypto_test *const *vt, uint8_t *const *vp,
		   const uint16_t *vl, const uint16_t *vi, uint16_t nv,
		   struct pkt *pk, uint8_t *verdict)
{
	int res[TW_DP_BURST];
	int rc;

	if (nv == 0)
		return;
	rc = tw_crypto_test_verify_burst(w->eng, vt, kind, vp, vl, nv, res);
	for (uint16_t k = 0; k < nv; k++) {
		int e = rc < 0 ? rc : res[k];

		if (e != 0)
			drop(w, &pk[vi[k]], &verdict[vi[k]], verify_drop(e));
	}
}

/* What a TWAMP (RFC 5357 §4.2.1) and a STAMP (RFC 8762 §4.3) reply carry
 * alike; @m: struct tw_test_reflector or struct tw_stamp_reflector. */
#define REPLY_FIELDS(rec, m)                                                   \
	do {                                                                   \
		(rec)->seq = (m).sender_seq;                                   \
		(rec)->refl_seq = (m).seq;                                     \
		(rec)->t1 = (m).sender_ts;                                     \
		(rec)->t2 = (m).rx_ts;                                         \
		(rec)->t3 = (m).ts;                                            \
		(rec)->e1 = (m).sender_errest;                                 \
		(rec)->e2 = (m).errest;                                        \
		(rec)->ttl_fwd = (m).sender_ttl;                               \
	} while (0)

/* Decode one accepted packet into @rec (the checks before made every read
 * below safe: plen >= the session's min_len). */
static void decode(const struct recv_sess *s, const struct pkt *p, tw_ntp_t rx,
		   uint16_t errest, struct tw_stats_rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	switch (s->kind) {
	case TW_RECV_OWAMP: {
		/* RFC 4656 §4.1.2: one way, the receiver timestamps */
		struct tw_test_sender m;

		tw_proto_owamp_test_decode(&s->layout, p->pl, p->plen, &m);
		rec->seq = m.seq;
		rec->t1 = m.ts;
		rec->e1 = m.errest;
		rec->t2 = rx;
		rec->e2 = errest;
		rec->ttl_fwd = p->ttl;
		rec->tos_back = p->tos;
		rec->flags = TW_STATS_REC_ONEWAY;
		return;
	}
	case TW_RECV_STAMP: {
		/* RFC 8762 §4.3 reflector packet */
		struct tw_stamp_reflector m;

		tw_proto_stamp_reflector_decode(s->mode == TW_RECV_AUTH ? TW_STAMP_AUTH
								       : TW_STAMP_UNAUTH,
						p->pl, p->plen, &m);
		REPLY_FIELDS(rec, m);
		break;
	}
	default: {
		/* RFC 5357 §4.2.1 (erratum 5045), RFC 7750 §2.2.1 */
		struct tw_test_reflector m;

		tw_proto_test_reflector_decode(&s->layout, p->pl, p->plen, &m);
		REPLY_FIELDS(rec, m);
		if (s->layout.dscp_ecn) {
			rec->tos_fwd = m.sender_dscp_ecn;
			rec->flags |= TW_STATS_REC_TOS_FWD;
		}
		break;
	}
	}
	rec->t4 = rx;
	rec->e4 = errest;
	rec->ttl_back = p->ttl;
	rec->tos_back = p->tos;
}

void tw_recv_udp_handler(void *arg, unsigned worker, unsigned port,
			 struct rte_mbuf **pkts, uint16_t n, uint8_t *verdict)
{
	struct tw_recv *r = arg;
	struct recv_worker *w;
	struct tw_keys_5t keys[TW_DP_BURST];
	const struct tw_keys_5t *kp[TW_DP_BURST];
	void *data[TW_DP_BURST];
	struct pkt pk[TW_DP_BURST];
	/* verify lists: [0] reflector replies, [1] OWAMP sender packets */
	const struct tw_crypto_test *vt[2][TW_DP_BURST];
	uint8_t *vp[2][TW_DP_BURST];
	uint16_t vl[2][TW_DP_BURST], vi[2][TW_DP_BURST], nv[2] = { 0, 0 };
	/* and the STAMP authenticated replies */
	const struct tw_crypto_stamp *st[TW_DP_BURST];
	const uint8_t *sp[TW_DP_BURST];
	uint16_t sl[TW_DP_BURST], si[TW_DP_BURST], ns = 0;
	struct tw_recv_rec recs[TW_DP_BURST];
	uint16_t ri[TW_DP_BURST], nr = 0;
	uint64_t hits = 0, hwflag = 0;
	uint16_t errest;
	unsigned q;

	if (r == NULL || worker >= r->n_workers || n == 0 || n > TW_DP_BURST)
		return;
	w = &r->w[worker];
	w->c.rx += n;
	errest = tw_dp_clock_errest(r->clock);
	if (r->dp != NULL && port < r->dp->n_ports &&
	    r->dp->ports[port].hwts != DP_HWTS_NONE)
		hwflag = r->dp->hw_ts_flag;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct pkt *p = &pk[i];
		unsigned ipv;
		uint8_t *udp;

		p->s = NULL;
		p->ip = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
		udp = p->ip + m->l3_len;
		p->pl = udp + UDP_HDR;
		p->plen = (uint16_t)(tw_get_be16(udp + 4) - UDP_HDR);
		ipv = dp_ipv(m);
		dp_ttl_tos(p->ip, ipv, &p->ttl, &p->tos);
		dp_5t(&keys[i], ipv, p->ip, udp);
		kp[i] = &keys[i];
		data[i] = NULL;
	}
	if (__atomic_load_n(&r->n_sess, __ATOMIC_RELAXED) != 0)
		tw_keys_lookup_bulk(r->tab, kp, n, &hits, data);

	/* resolve, check lengths, gather what must be verified */
	for (uint16_t i = 0; i < n; i++) {
		struct pkt *p = &pk[i];
		struct rte_mbuf *m = pkts[i];
		struct recv_sess *s;
		unsigned f;

		verdict[i] = TW_DP_V_CONSUMED;
		if (!(hits >> i & 1)) {
			drop(w, p, &verdict[i], TW_RECV_DROP_NO_SESSION);
			continue;
		}
		s = p->s = data[i];
		s->c.rx++;
		s->c.last_rx = tw_dp_rx_ntp(m);
		/* the classifier checked the UDP length against the first
		 * segment: a chained mbuf's datagram is all there */
		if (p->plen < s->min_len) {
			drop(w, p, &verdict[i], TW_RECV_DROP_TOO_SHORT);
			continue;
		}
		if (s->mode == TW_RECV_OPEN)
			continue;
		if (s->kind == TW_RECV_STAMP) {
			st[ns] = s->stamp[worker];
			sp[ns] = p->pl;
			sl[ns] = p->plen;
			si[ns++] = i;
			continue;
		}
		f = s->kind == TW_RECV_OWAMP;
		vt[f][nv[f]] = s->ct;
		vp[f][nv[f]] = p->pl;
		vl[f][nv[f]] = p->plen;
		vi[f][nv[f]++] = i;
	}
	verify(w, TW_CRYPTO_PKT_REFLECTOR, vt[0], vp[0], vl[0], vi[0], nv[0], pk, verdict);
	verify(w, TW_CRYPTO_PKT_SENDER, vt[1], vp[1], vl[1], vi[1], nv[1], pk, verdict);
	if (ns != 0) {
		/* RFC 8762 §4.4: HMAC-SHA-256 over octets 0-95, in one burst */
		int res[TW_DP_BURST];
		int rc = tw_crypto_stamp_check_burst(st, sp, sl, ns, res);

		for (uint16_t k = 0; k < ns; k++) {
			int e = rc < 0 ? rc : res[k];

			if (e != 0)
				drop(w, &pk[si[k]], &verdict[si[k]], verify_drop(e));
		}
	}

	/* records, in arrival order */
	for (uint16_t i = 0; i < n; i++) {
		struct tw_recv_rec *rr;

		if (verdict[i] != TW_DP_V_CONSUMED)
			continue;
		rr = &recs[nr];
		rr->session = pk[i].s->id;
		rr->_pad = 0;
		decode(pk[i].s, &pk[i], tw_dp_rx_ntp(pkts[i]), errest, &rr->rec);
		if (pkts[i]->ol_flags & hwflag)
			rr->rec.flags |= TW_STATS_REC_T4_HW;
		ri[nr++] = i;
	}
	if (nr == 0)
		return;
	q = rte_ring_sp_enqueue_burst_elem(w->ring, recs, sizeof(recs[0]), nr, NULL);
	for (uint16_t k = 0; k < nr; k++) {
		struct pkt *p = &pk[ri[k]];

		if (k >= q) {
			drop(w, p, &verdict[ri[k]], TW_RECV_DROP_RING_FULL);
			continue;
		}
		p->s->c.consumed++;
	}
	w->c.consumed += q;
}

/* ---- telemetry ---- */

static void tel_stats(struct rte_tel_data *d, const struct tw_recv_stats *s)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx", s->rx);
	rte_tel_data_add_dict_u64(d, "consumed", s->consumed);
	for (unsigned i = 0; i < TW_RECV_DROP__MAX; i++)
		rte_tel_data_add_dict_u64(d, tw_recv_drop_name(i), s->drop[i]);
	rte_tel_data_add_dict_u64(d, "last_rx_ntp", s->last_rx);
}

static int tel_cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_recv_stats s;

	int rc = -ENOENT;

	(void)cmd;
	(void)params;
	rte_spinlock_lock(&tel_lock);
	if (tel_recv != NULL && tw_recv_stats(tel_recv, -1, &s) == 0) {
		tel_stats(d, &s);
		rte_tel_data_add_dict_u64(d, "sessions", tw_recv_session_count(tel_recv));
		rc = 0;
	}
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

static int tel_cmd_session(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_recv_stats s;
	unsigned long v;
	int rc = -EINVAL;

	(void)cmd;
	if (dp_tel_uint_arg(params, UINT32_MAX, &v) != 0)
		return -EINVAL;
	rte_spinlock_lock(&tel_lock);
	if (tel_recv != NULL && tw_recv_session_stats(tel_recv, (uint32_t)v, &s) == 0) {
		tel_stats(d, &s);
		rc = 0;
	}
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

int tw_recv_telemetry_register(struct tw_recv *r)
{
	static const struct dp_tel_cmd cmds[] = {
		{ "/twamp/recv/stats", tel_cmd_stats,
		  "Receiver counters (replies, OWAMP-Test), all workers" },
		{ "/twamp/recv/session", tel_cmd_session,
		  "Counters of one receive session. Parameters: int id" },
	};
	static bool registered;

	if (r == NULL)
		return -EINVAL;
	rte_spinlock_lock(&tel_lock);
	tel_recv = r;
	rte_spinlock_unlock(&tel_lock);
	return dp_tel_register(cmds, RTE_DIM(cmds), &registered);
}
