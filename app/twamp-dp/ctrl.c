/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp: the TWAMP/OWAMP-Control server on the appliance.
 *
 * lib/control runs the protocol; this file answers its callbacks:
 *  - KeyID -> passphrase from the key file (keys:, not secrets:);
 *  - RFC 7717 IKEv2Derived: SPIi/SPIr -> prf(SK_d, "IPPM") from the IKE
 *    SA table of key import (app_ctrl_set_ike()); offered while it holds
 *    an IKE SA;
 *  - TWAMP Request-TW-Session -> tw_refl_session_add() (not started),
 *    Start -> tw_refl_session_start(), Stop -> tw_refl_session_stop()
 *    with the session's Timeout, close -> tw_refl_session_del();
 *  - OWAMP Request-Session (appliance as receiver) -> a receive session
 *    (app_recv_session_add()) whose records are kept here, per session,
 *    for Fetch-Session, also after the control connection closed (the
 *    last KEEP_CLOSED sessions, for KEEP_S seconds);
 *  - REFWAIT (RFC 5357 §4.2): a started TWAMP session that received
 *    nothing for refwait_s is removed from the reflector (checked once a
 *    second from the reflector's per-session last_rx);
 *  - telemetry /twamp/ctrl/stats.
 * The listen sockets are kernel TCP sockets on the TAP's addresses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include "ctrl.h"
#include "keyimp.h"
#include "recv.h"
#include "tw_ctrl_server.h"
#include "tw_dp_reflect.h"
#include "tw_keyimp.h"
#include "tw_sched.h"
#include "twamp_dp.h"

#define PORT_FIRST 20000u       /* test ports the server chooses */
#define PORT_LAST 59999u
#define KEEP_CLOSED 64u         /* finished OWAMP sessions kept for Fetch */
#define KEEP_S 3600u
#define RECS_MAX (1u << 20)     /* records kept per OWAMP session (32 MiB) */
#define RECS_TOTAL (1u << 23)   /* records kept in all (256 MiB) */

struct csess {
	enum tw_ctrl_proto proto;
	uint32_t id;             /* tw_refl or tw_recv session id */
	uint64_t conn_id;        /* its control connection */
	bool live;               /* in the data plane */
	bool started;
	bool closed;             /* its connection went; OWAMP: kept for Fetch */
	time_t started_at, closed_at;
	uint8_t sid[TW_CTRL_SID_LEN];
	/* OWAMP */
	bool stopped;
	uint32_t next_seqno;
	struct tw_owamp_skip *skips;
	uint32_t n_skips;
	uint8_t *req;
	size_t req_len;
	tw_ntp_t start_time;
	struct tw_owamp_record *recs;
	uint32_t n_recs, cap_recs;
	uint64_t recs_dropped;
	struct app_ctrl *owner;
};

struct app_ctrl {
	struct tw_ctrl_server *srv;
	const struct tw_config *cfg;
	struct tw_refl *refl;
	struct csess **s;         /* handle = index */
	uint32_t cap;
	uint32_t next_port;
	time_t last_sec;
	uint32_t refwait_s;
	uint64_t refwait_expired;
	uint64_t recs_total;       /* OWAMP record slots allocated, all sessions */
	uint64_t recs_dropped;     /* not kept: over RECS_MAX / RECS_TOTAL */
	struct tw_owamp_record *fetch;  /* Fetch-Session answer buffer */
	struct app_ctrl_ike ike;        /* the IKE SA table (RFC 7717) */
	uint64_t ike_found, ike_missing;
};

/* 22.11 telemetry callbacks take no argument: the one server */
static rte_spinlock_t tel_lock = RTE_SPINLOCK_INITIALIZER;
static struct app_ctrl *tel_ctrl;

/* ------------------------------------------------------------------ */

static int key_lookup(void *arg, const uint8_t keyid[TW_CTRL_KEYID_LEN],
		      uint8_t *secret, size_t cap)
{
	struct app_ctrl *c = arg;
	char id[TW_CTRL_KEYID_LEN + 1];
	const struct tw_config_key *k;
	int n = tw_proto_ctrl_keyid_name_len(keyid);

	if (n <= 0)
		return -ENOENT;
	memcpy(id, keyid, (size_t)n);
	id[n] = '\0';
	k = tw_config_key_find(&c->cfg->keys, id);
	if (k == NULL || k->is_secret || k->len == 0 || k->len > cap)
		return -ENOENT;
	memcpy(secret, k->value, k->len);
	return (int)k->len;
}

/* RFC 7717 §5.3: KeyID SPIi | SPIr -> the IKE SA's key (a copy). */
static int ike_lookup(void *arg, const uint8_t spi_i[TW_CTRL_SPI_LEN],
		      const uint8_t spi_r[TW_CTRL_SPI_LEN], struct tw_ctrl_ike_key *out)
{
	struct app_ctrl *c = arg;
	int rc = c->ike.lookup != NULL ? c->ike.lookup(c->ike.arg, spi_i, spi_r, out) : -ENOENT;

	if (rc == 0)
		c->ike_found++;
	else
		c->ike_missing++;
	return rc;
}

static unsigned ike_count(void *arg)
{
	struct app_ctrl *c = arg;

	return c->ike.count != NULL ? c->ike.count(c->ike.arg) : 0;
}

/* The seed draft's profile: the Child SA between the two ends (a copy). */
static int draft_lookup(void *arg, const struct sockaddr *local, const struct sockaddr *peer,
			struct tw_ctrl_draft_sa *out)
{
	struct app_ctrl *c = arg;
	int rc = c->ike.draft != NULL ? c->ike.draft(c->ike.arg, local, peer, out) : -ENOENT;

	if (rc == 0)
		c->ike_found++;
	else
		c->ike_missing++;
	return rc;
}

void app_ctrl_set_ike(struct app_ctrl *c, const struct app_ctrl_ike *ike)
{
	if (c == NULL)
		return;
	if (ike != NULL)
		c->ike = *ike;
	else
		memset(&c->ike, 0, sizeof(c->ike));
}

/* lib/keyimp's IKE SA table as the source (control thread only). */
static int keyimp_lookup(void *arg, const uint8_t spi_i[TW_CTRL_SPI_LEN],
			 const uint8_t spi_r[TW_CTRL_SPI_LEN], struct tw_ctrl_ike_key *out)
{
	struct tw_keyimp_ike ike;
	int rc = tw_keyimp_ike_get(arg, spi_i, spi_r, &ike);

	if (rc == 0 && (ike.secret_len == 0 || ike.secret_len > sizeof(out->secret)))
		rc = -ENOENT;
	if (rc == 0) {
		out->prf = (enum tw_crypto_prf)ike.prf;
		memcpy(out->secret, ike.secret, ike.secret_len);
		out->secret_len = ike.secret_len;
	}
	tw_keyimp_ike_wipe(&ike);
	return rc == 0 ? 0 : -ENOENT;
}

static unsigned keyimp_count(void *arg)
{
	return tw_keyimp_ike_count(arg);
}

static bool sockaddr_keyimp(const struct sockaddr *sa, struct tw_keyimp_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		a->family = AF_INET;
		memcpy(a->addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		a->family = AF_INET6;
		memcpy(a->addr, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

/*
 * lib/keyimp's Child SA pair between the two ends, as the draft profile
 * reads it (docs/protocol.md): Alternative 2 takes the keys of the
 * server's inbound SA (client -> server).
 */
static int keyimp_draft(void *arg, const struct sockaddr *local, const struct sockaddr *peer,
			struct tw_ctrl_draft_sa *out)
{
	struct tw_keyimp_addr l, r;
	struct tw_keyimp_draft d;
	int rc;

	if (!sockaddr_keyimp(local, &l) || !sockaddr_keyimp(peer, &r))
		return -ENOENT;
	rc = tw_keyimp_draft_find(arg, &l, &r, &d);
	if (rc == 0 && (d.skeyseed_len > sizeof(out->skeyseed) ||
			d.keymat_len > sizeof(out->keymat) ||
			d.encr_key_len > sizeof(out->encr_key) ||
			d.integ_key_len > sizeof(out->integ_key)))
		rc = -ENOENT;
	if (rc == 0) {
		out->protocol = d.proto;
		out->spi_in = d.spi_in;
		out->spi_out = d.spi_out;
		out->prf = (enum tw_crypto_prf)d.prf;
		memcpy(out->skeyseed, d.skeyseed, d.skeyseed_len);
		out->skeyseed_len = d.skeyseed_len;
		memcpy(out->keymat, d.keymat, d.keymat_len);
		out->keymat_len = d.keymat_len;
		out->encr = d.encr;
		memcpy(out->encr_key, d.encr_key_in, d.encr_key_len);
		out->encr_key_len = d.encr_key_len;
		out->integ = d.integ;
		memcpy(out->integ_key, d.integ_key_in, d.integ_key_len);
		out->integ_key_len = d.integ_key_len;
	}
	tw_keyimp_draft_wipe(&d);
	return rc == 0 ? 0 : -ENOENT;
}

void app_ctrl_use_keyimp(struct app_ctrl *c, const struct tw_keyimp *t)
{
	struct app_ctrl_ike ike = {
		.lookup = keyimp_lookup,
		.count = keyimp_count,
		.draft = keyimp_draft,
		.arg = (void *)(uintptr_t)t,
	};

	app_ctrl_set_ike(c, t != NULL ? &ike : NULL);
}

static bool is_local(const struct tw_config *cfg, int family, const uint8_t *addr)
{
	for (unsigned p = 0; p < cfg->n_ports; p++) {
		const struct tw_config_port *cp = &cfg->ports[p];
		const struct tw_config_addr *v = family == AF_INET6 ? cp->ipv6 : cp->ipv4;
		unsigned n = family == AF_INET6 ? cp->n_ipv6 : cp->n_ipv4;

		for (unsigned i = 0; i < n; i++)
			if (memcmp(v[i].addr, addr, family == AF_INET6 ? 16 : 4) == 0)
				return true;
	}
	return false;
}

static int slot_new(struct app_ctrl *c, uint32_t *h)
{
	for (uint32_t i = 0; i < c->cap; i++) {
		if (c->s[i] == NULL) {
			*h = i;
			break;
		}
		if (i + 1 == c->cap)
			*h = c->cap;
	}
	if (c->cap == 0)
		*h = 0;
	if (*h == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 64;
		struct csess **p = realloc(c->s, cap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		memset(p + c->cap, 0, (cap - c->cap) * sizeof(*p));
		c->s = p;
		c->cap = cap;
	}
	c->s[*h] = calloc(1, sizeof(struct csess));
	return c->s[*h] != NULL ? 0 : -ENOMEM;
}

static void slot_free(struct app_ctrl *c, uint32_t h)
{
	struct csess *s = c->s[h];

	if (s == NULL)
		return;
	c->recs_total -= s->cap_recs;
	free(s->skips);
	free(s->req);
	free(s->recs);
	free(s);
	c->s[h] = NULL;
}

static uint16_t next_port(struct app_ctrl *c)
{
	uint16_t p = (uint16_t)c->next_port;

	c->next_port = c->next_port >= PORT_LAST ? PORT_FIRST : c->next_port + 1;
	return p;
}

/* OWAMP records arrive from the receiver (control loop). */
static void owamp_sink(void *arg, uint32_t session, const struct tw_stats_rec *recs, unsigned n)
{
	struct csess *s = arg;

	(void)session;
	for (unsigned i = 0; i < n; i++) {
		struct tw_owamp_record *r;

		if (s->n_recs == s->cap_recs) {
			uint32_t cap = s->cap_recs ? s->cap_recs * 2 : 256;
			struct tw_owamp_record *p;

			if (cap > RECS_MAX ||
			    s->owner->recs_total + (cap - s->cap_recs) > RECS_TOTAL ||
			    (p = realloc(s->recs, cap * sizeof(*p))) == NULL) {
				s->recs_dropped += n - i;
				s->owner->recs_dropped += n - i;
				return;
			}
			s->owner->recs_total += cap - s->cap_recs;
			s->recs = p;
			s->cap_recs = cap;
		}
		r = &s->recs[s->n_recs++];
		tw_stats_rec_to_owamp(&recs[i], r);
	}
}

/* The Accept code for a data-plane table's refusal @p rc (logged). */
static uint8_t refused(const char *table, int rc)
{
	app_log("control: %s session not added: %s", table, strerror(-rc));
	return rc == -ENOSPC ? TW_ACCEPT_TEMPORARY :
	       rc == -ENOTSUP ? TW_ACCEPT_NOT_SUPPORTED : TW_ACCEPT_INTERNAL;
}

static uint8_t add_twamp(struct app_ctrl *c, struct csess *cs, struct tw_ctrl_srv_session *s)
{
	struct tw_refl_session rs;
	int rc = -EEXIST;

	memset(&rs, 0, sizeof(rs));
	rs.family = s->family;
	memcpy(rs.local_addr, s->local_addr, 16);
	memcpy(rs.peer_addr, s->peer_addr, 16);
	rs.peer_port = s->peer_port;
	rs.proto = TW_REFL_TWAMP;
	rs.mode = s->test_mode == TW_CTRL_SRV_TEST_AUTH ? TW_REFL_AUTH :
		  s->test_mode == TW_CTRL_SRV_TEST_ENC ? TW_REFL_ENC : TW_REFL_OPEN;
	rs.sym_size = s->sym_size;
	rs.dscp_ecn = s->dscp_ecn;
	rs.reflect_len = s->reflect_padding;
	rs.test_keys = s->test_keys;
	rs.dscp = s->dscp;
	rs.refwait_s = 0; /* enforced here, see service */
	/* the asked port first; when it is 0 or taken, one we choose
	 * (RFC 8545 §5.1: Accept 0 with another port) */
	if (s->local_port != 0) {
		rs.local_port = s->local_port;
		rc = tw_refl_session_add(c->refl, &rs, &cs->id);
	}
	for (unsigned tries = 0; (rc == -EEXIST || rc == -EBUSY) && tries < 64; tries++) {
		rs.local_port = next_port(c);
		rc = tw_refl_session_add(c->refl, &rs, &cs->id);
	}
	tw_crypto_wipe(&rs.test_keys, sizeof(rs.test_keys));
	if (rc != 0)
		return refused("reflector", rc);
	s->local_port = rs.local_port;
	return TW_ACCEPT_OK;
}

static uint8_t add_owamp(struct app_ctrl *c, struct csess *cs, struct tw_ctrl_srv_session *s)
{
	struct tw_recv_session rs;
	int rc = -EEXIST;

	if (app_recv_get() == NULL || s->peer_port == 0)
		return TW_ACCEPT_NOT_SUPPORTED;
	memset(&rs, 0, sizeof(rs));
	rs.family = s->family;
	memcpy(rs.local_addr, s->local_addr, 16);
	memcpy(rs.peer_addr, s->peer_addr, 16);
	rs.peer_port = s->peer_port;
	rs.kind = TW_RECV_OWAMP;
	rs.mode = s->test_mode == TW_CTRL_SRV_TEST_AUTH ? TW_RECV_AUTH :
		  s->test_mode == TW_CTRL_SRV_TEST_ENC ? TW_RECV_ENC : TW_RECV_OPEN;
	rs.test_keys = s->test_keys;
	if (s->local_port != 0) {
		rs.local_port = s->local_port;
		rc = app_recv_session_add(&rs, owamp_sink, cs, &cs->id);
	}
	for (unsigned tries = 0; (rc == -EEXIST || rc == -EBUSY) && tries < 64; tries++) {
		rs.local_port = next_port(c);
		rc = app_recv_session_add(&rs, owamp_sink, cs, &cs->id);
	}
	tw_crypto_wipe(&rs.test_keys, sizeof(rs.test_keys));
	if (rc != 0)
		return refused("receive", rc);
	cs->req = malloc(s->req_wire_len);
	if (cs->req == NULL) {
		app_recv_session_del(cs->id);
		return TW_ACCEPT_INTERNAL;
	}
	memcpy(cs->req, s->req_wire, s->req_wire_len);
	cs->req_len = s->req_wire_len;
	cs->start_time = s->start_time;
	s->local_port = rs.local_port;
	return TW_ACCEPT_OK;
}

static uint8_t session_add(void *arg, struct tw_ctrl_srv_session *s, uint64_t *handle)
{
	struct app_ctrl *c = arg;
	struct csess *cs;
	uint32_t h = 0;
	uint8_t accept;

	/* the test packets must reach this appliance's data plane */
	if (!is_local(c->cfg, s->family, s->local_addr))
		return TW_ACCEPT_FAILURE;
	if (slot_new(c, &h) != 0)
		return TW_ACCEPT_INTERNAL;
	cs = c->s[h];
	cs->owner = c;
	cs->proto = s->proto;
	cs->conn_id = s->conn_id;
	memcpy(cs->sid, s->sid, TW_CTRL_SID_LEN);
	accept = s->proto == TW_CTRL_TWAMP ? add_twamp(c, cs, s) : add_owamp(c, cs, s);
	if (accept != TW_ACCEPT_OK) {
		slot_free(c, h);
		return accept;
	}
	cs->live = true;
	*handle = h;
	return TW_ACCEPT_OK;
}

static struct csess *get(struct app_ctrl *c, uint64_t h)
{
	return h < c->cap ? c->s[h] : NULL;
}

static int session_start(void *arg, uint64_t h)
{
	struct app_ctrl *c = arg;
	struct csess *s = get(c, h);

	if (s == NULL)
		return -ENOENT;
	s->started = true;
	s->started_at = time(NULL);
	if (s->proto == TW_CTRL_TWAMP && s->live)
		return tw_refl_session_start(c->refl, s->id);
	return 0; /* OWAMP: the receiver records from the moment it exists */
}

static int session_stop(void *arg, uint64_t h, uint64_t timeout_ns, uint32_t next_seqno,
			const struct tw_owamp_skip *skips, uint32_t n_skips)
{
	struct app_ctrl *c = arg;
	struct csess *s = get(c, h);

	if (s == NULL)
		return -ENOENT;
	if (s->proto == TW_CTRL_TWAMP)
		return s->live ? tw_refl_session_stop(c->refl, s->id, timeout_ns) : 0;
	s->stopped = true;
	s->next_seqno = next_seqno;
	free(s->skips);
	s->skips = NULL;
	s->n_skips = 0;
	if (n_skips > 0) {
		s->skips = malloc(n_skips * sizeof(*skips));
		if (s->skips == NULL)
			return -ENOMEM;
		memcpy(s->skips, skips, n_skips * sizeof(*skips));
		s->n_skips = n_skips;
	}
	return 0;
}

static void session_del(void *arg, uint64_t h)
{
	struct app_ctrl *c = arg;
	struct csess *s = get(c, h);

	if (s == NULL)
		return;
	if (s->live) {
		if (s->proto == TW_CTRL_TWAMP)
			(void)tw_refl_session_del(c->refl, s->id);
		else
			(void)app_recv_session_del(s->id);
		s->live = false;
	}
	if (s->proto == TW_CTRL_TWAMP) {
		slot_free(c, (uint32_t)h);
		return;
	}
	/* OWAMP: the results stay for a Fetch-Session on another connection */
	s->closed = true;
	s->closed_at = time(NULL);
}

static int cmp_rec(const void *a, const void *b)
{
	const struct tw_owamp_record *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool skipped(const struct csess *s, uint32_t seq)
{
	for (uint32_t i = 0; i < s->n_skips; i++)
		if (seq >= s->skips[i].first && seq <= s->skips[i].last)
			return true;
	return false;
}

/*
 * RFC 4656 §3.9: the records of [begin, end] in sequence order; once the
 * session is finished, a packet never received is a record with Receive
 * Timestamp 0 and its scheduled send time (§5 schedule from the request).
 */
static uint8_t owamp_fetch(void *arg, const uint8_t sid[TW_CTRL_SID_LEN], uint32_t begin,
			   uint32_t end, struct tw_ctrl_srv_fetch *out)
{
	struct app_ctrl *c = arg;
	struct csess *s = NULL;
	struct tw_ctrl_request req;
	struct tw_owamp_slot *slots = NULL;
	struct tw_sched *sch = NULL;
	uint32_t last, n = 0, k = 0;
	uint64_t want;

	app_recv_service(); /* what the workers have so far */
	for (uint32_t i = 0; i < c->cap && s == NULL; i++)
		if (c->s[i] != NULL && c->s[i]->proto == TW_CTRL_OWAMP &&
		    memcmp(c->s[i]->sid, sid, TW_CTRL_SID_LEN) == 0)
			s = c->s[i];
	if (s == NULL || begin > end)
		return TW_ACCEPT_FAILURE;
	qsort(s->recs, s->n_recs, sizeof(*s->recs), cmp_rec);
	if (tw_proto_owamp_request_decode(s->req, s->req_len, &req) < 0)
		return TW_ACCEPT_INTERNAL;
	/* the last sequence number reported: all sent ones once finished */
	if (s->stopped)
		last = s->next_seqno == 0 ? 0 : s->next_seqno - 1;
	else
		last = s->n_recs > 0 ? s->recs[s->n_recs - 1].seq : 0;
	if (end > last)
		end = last;
	/* more than could ever be kept: a Next Seqno no session reaches */
	if (last >= 2ull * RECS_MAX)
		return TW_ACCEPT_PERMANENT;
	want = (s->stopped && s->next_seqno == 0) || (!s->stopped && s->n_recs == 0) ||
	       begin > end ? 0 : (uint64_t)end - begin + 1;
	free(c->fetch);
	c->fetch = NULL;
	if (want + s->n_recs > RECS_MAX * 2ull)
		return TW_ACCEPT_PERMANENT;
	c->fetch = calloc(want + s->n_recs + 1, sizeof(*c->fetch));
	if (c->fetch == NULL)
		return TW_ACCEPT_INTERNAL;
	if (s->stopped && want > 0) {
		slots = calloc(req.num_slots, sizeof(*slots));
		for (uint32_t i = 0; slots != NULL && i < req.num_slots; i++)
			tw_proto_owamp_slot_get(&req, i, &slots[i]);
		sch = slots != NULL ? tw_sched_create(s->sid, slots, req.num_slots) : NULL;
		free(slots);
		for (uint32_t i = 0; sch != NULL && i < begin; i++)
			(void)tw_sched_next_ntp(sch);
	}
	for (uint64_t q = begin; want > 0 && q <= end; q++) {
		uint64_t off = sch != NULL ? tw_sched_next_ntp(sch) : 0;
		bool got = false;

		while (k < s->n_recs && s->recs[k].seq < q)
			k++;
		while (k < s->n_recs && s->recs[k].seq == q) {
			c->fetch[n++] = s->recs[k++];
			got = true;
		}
		if (!got && s->stopped && !skipped(s, (uint32_t)q)) {
			struct tw_owamp_record *r = &c->fetch[n++];

			memset(r, 0, sizeof(*r));
			r->seq = (uint32_t)q;
			r->send_ts = s->start_time + off;
			r->send_errest = 0x0001; /* lost: S 0, Multiplier 1 */
			r->recv_errest = 0x0001;
		}
	}
	tw_sched_destroy(sch);
	out->finished = s->stopped;
	out->next_seqno = s->next_seqno;
	out->recs = c->fetch;
	out->n_recs = n;
	out->skips = s->skips;
	out->n_skips = s->n_skips;
	out->request = s->req;
	out->request_len = s->req_len;
	return TW_ACCEPT_OK;
}

static void logcb(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level >= 7)
		return; /* per-request detail: the counters have it */
	app_log("control: %s", msg);
}

/* ------------------------------------------------------------------ */
/* telemetry                                                           */
/* ------------------------------------------------------------------ */

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_ctrl_server_stats st;
	char name[48];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_spinlock_lock(&tel_lock);
	if (tel_ctrl == NULL || tw_ctrl_server_stats(tel_ctrl->srv, &st) != 0) {
		rte_spinlock_unlock(&tel_lock);
		return 0;
	}
	rte_tel_data_add_dict_u64(d, "connections", st.connections);
	rte_tel_data_add_dict_u64(d, "accepted", st.accepted);
	rte_tel_data_add_dict_u64(d, "sessions", st.sessions);
	rte_tel_data_add_dict_u64(d, "sessions_accepted", st.sessions_accepted);
	rte_tel_data_add_dict_u64(d, "sessions_refused", st.sessions_refused);
	rte_tel_data_add_dict_u64(d, "refwait_expired", tel_ctrl->refwait_expired);
	rte_tel_data_add_dict_u64(d, "owamp_record_slots", tel_ctrl->recs_total);
	rte_tel_data_add_dict_u64(d, "owamp_records_dropped", tel_ctrl->recs_dropped);
	rte_tel_data_add_dict_u64(d, "ike_sas", ike_count(tel_ctrl));
	rte_tel_data_add_dict_u64(d, "ike_key_found", tel_ctrl->ike_found);
	rte_tel_data_add_dict_u64(d, "ike_key_missing", tel_ctrl->ike_missing);
	for (unsigned i = 0; i < TW_CTRL_SRV_CLOSE__MAX; i++) {
		snprintf(name, sizeof(name), "close_%s", tw_ctrl_server_close_name(i));
		rte_tel_data_add_dict_u64(d, name, st.closes[i]);
	}
	rte_spinlock_unlock(&tel_lock);
	return 0;
}

/* ------------------------------------------------------------------ */

struct app_ctrl *app_ctrl_create(const struct tw_config *cfg, struct app_refl *refl,
				 struct tw_dp *dp, int *failed)
{
	static const struct tw_ctrl_server_ops ops = {
		.key_lookup = key_lookup,
		.ike_lookup = ike_lookup,
		.ike_count = ike_count,
		.draft_lookup = draft_lookup,
		.session_add = session_add,
		.session_start = session_start,
		.session_stop = session_stop,
		.session_del = session_del,
		.owamp_fetch = owamp_fetch,
		.log = logcb,
	};
	static bool tel_done;
	const struct tw_config_control *cc = &cfg->control;
	struct tw_ctrl_server_conf sc;
	struct app_ctrl *c;
	unsigned ok = 0;

	(void)dp;
	*failed = 0;
	if (!cc->enabled)
		return NULL;
	memset(&sc, 0, sizeof(sc));
	sc.modes = (cc->modes | cc->options) & ~(uint32_t)(TW_CONFIG_MODE_IKEV2 | TW_CONFIG_OPT_PTP);
	sc.owamp_modes = cc->modes & (TW_MODE_UNAUTH | TW_MODE_AUTH | TW_MODE_ENCRYPTED);
	if ((cc->modes & TW_CONFIG_MODE_IKEV2) &&
	    cfg->ipsec.profile == TW_CONFIG_IKEV2_DRAFT) {
		static const char *const vn[] = { "base", "alt1", "alt2" };
		const struct tw_config_ipsec *ip = &cfg->ipsec;

		/* the seed draft: offered when a Child SA joins the two ends */
		sc.modes |= TW_MODE_IKEV2;
		sc.owamp_modes |= TW_MODE_OWAMP_IKEV2;
		sc.draft = true;
		sc.draft_variant = ip->variant == TW_CONFIG_VARIANT_ALT2 ? TW_CTRL_DRAFT_ALT2 :
				   ip->variant == TW_CONFIG_VARIANT_ALT1 ? TW_CTRL_DRAFT_ALT1 :
									   TW_CTRL_DRAFT_BASE;
		sc.draft_secret = ip->secret == TW_CONFIG_SECRET_KEYMAT ? TW_CTRL_DRAFT_KEYMAT :
									  TW_CTRL_DRAFT_SKEYSEED;
		sc.draft_sid_key = ip->sid_key;
		app_log("control: mode ikev2 (seed draft profile, variant %s%s%s%s) offered on "
			"connections whose two ends a key-import Child SA joins",
			vn[sc.draft_variant],
			sc.draft_variant == TW_CTRL_DRAFT_ALT2 ? "" : ", secret ",
			sc.draft_variant == TW_CTRL_DRAFT_ALT2 ? "" :
			sc.draft_secret == TW_CTRL_DRAFT_KEYMAT ? "keymat" : "skeyseed",
			sc.draft_sid_key ? ", per-SID key" : "");
	} else if (cc->modes & TW_CONFIG_MODE_IKEV2) {
		/* RFC 7717: offered while key import holds an IKE SA */
		sc.modes |= TW_MODE_IKEV2;
		sc.owamp_modes |= TW_MODE_OWAMP_IKEV2;
		sc.ike_token_key = cfg->ipsec.token_key == TW_CONFIG_TOKEN_DIRECT ?
					   TW_CRYPTO_TOKEN_KEY_DIRECT : TW_CRYPTO_TOKEN_KEY_PBKDF2;
		app_log("control: mode ikev2 (RFC 7717, token key %s) offered while key "
			"import holds an IKE SA",
			sc.ike_token_key == TW_CRYPTO_TOKEN_KEY_DIRECT ? "direct" : "pbkdf2");
	}
	if (cc->options & TW_CONFIG_OPT_PTP)
		app_log("control: warning: ptp_timestamps (RFC 8186) is not served yet; not offered");
	sc.count = cc->count;
	sc.max_connections = cc->max_connections;
	sc.max_sessions = cc->max_sessions;
	sc.max_sessions_per_connection = cc->max_sessions_per_connection;
	sc.servwait_s = cc->servwait_s;
	sc.refwait_s = cc->refwait_s;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail;
	c->cfg = cfg;
	c->refl = app_refl_get(refl);
	c->refwait_s = cc->refwait_s;
	c->next_port = PORT_FIRST;
	/* key import is created first (run.c): its IKE SA table, or none */
	app_ctrl_use_keyimp(c, app_keyimp_table());
	c->srv = tw_ctrl_server_create(&sc, &ops, c);
	if (c->srv == NULL || c->refl == NULL) {
		app_log("control: cannot create the server: %s", strerror(errno));
		goto fail;
	}
	for (unsigned i = 0; i < cc->n_listen; i++) {
		const struct tw_config_endpoint *e = &cc->listen[i];
		int fam = e->ip.family == 6 ? AF_INET6 : AF_INET;
		char a[INET6_ADDRSTRLEN];
		int rc;

		tw_config_addr_str(&e->ip, a, sizeof(a));
		rc = tw_ctrl_server_listen(c->srv, fam, e->ip.addr, e->port, TW_CTRL_TWAMP);
		if (rc < 0) {
			app_log("control: cannot listen on %s%s%s:%u (TWAMP): %s",
				fam == AF_INET6 ? "[" : "", a, fam == AF_INET6 ? "]" : "",
				e->port, strerror(-rc));
			continue;
		}
		ok++;
		app_log("control: TWAMP-Control on %s%s%s:%u", fam == AF_INET6 ? "[" : "", a,
			fam == AF_INET6 ? "]" : "", e->port);
		/* reflector.control.owamp_port: 0 = no OWAMP server (lib/config
		 * refuses a port that is also a TWAMP listen port) */
		if (cc->owamp_port == 0 || e->port == cc->owamp_port)
			continue;
		rc = tw_ctrl_server_listen(c->srv, fam, e->ip.addr, cc->owamp_port,
					   TW_CTRL_OWAMP);
		if (rc < 0)
			app_log("control: cannot listen on %s%s%s:%u (OWAMP): %s",
				fam == AF_INET6 ? "[" : "", a, fam == AF_INET6 ? "]" : "",
				cc->owamp_port, strerror(-rc));
		else
			app_log("control: OWAMP-Control on %s%s%s:%u", fam == AF_INET6 ? "[" : "",
				a, fam == AF_INET6 ? "]" : "", cc->owamp_port);
	}
	if (ok == 0) {
		app_log("control: no listen address could be bound");
		goto fail;
	}
	app_log("control: modes 0x%x offered (TWAMP), 0x%x (OWAMP), count %u, "
		"max %u connections, %u sessions (%u per connection), SERVWAIT %u s, "
		"REFWAIT %u s", sc.modes, sc.owamp_modes, sc.count, sc.max_connections,
		sc.max_sessions, sc.max_sessions_per_connection, sc.servwait_s, sc.refwait_s);
	rte_spinlock_lock(&tel_lock);
	tel_ctrl = c;
	rte_spinlock_unlock(&tel_lock);
	if (!tel_done && rte_telemetry_register_cmd("/twamp/ctrl/stats", tel_stats,
						    "TWAMP/OWAMP-Control server counters") == 0)
		tel_done = true;
	return c;
fail:
	if (c != NULL) {
		tw_ctrl_server_destroy(c->srv);
		free(c);
	}
	*failed = 1;
	return NULL;
}

/* REFWAIT and the OWAMP results kept after their connection, once a second. */
static void housekeeping(struct app_ctrl *c, time_t now)
{
	struct timespec ts;
	tw_ntp_t ntp;
	uint32_t closed = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ntp = tw_ntp_from_unix((uint64_t)ts.tv_sec, (uint32_t)ts.tv_nsec);
	for (uint32_t i = 0; i < c->cap; i++) {
		struct csess *s = c->s[i];
		struct tw_refl_stats st;

		if (s == NULL)
			continue;
		if (s->proto == TW_CTRL_OWAMP) {
			if (s->closed && (++closed > KEEP_CLOSED ||
					  now - s->closed_at > (time_t)KEEP_S))
				slot_free(c, i);
			continue;
		}
		if (!s->live || !s->started || c->refwait_s == 0 ||
		    tw_refl_session_stats(c->refl, s->id, &st) != 0)
			continue;
		if (st.last_rx != 0 ? tw_ntp_diff_ns(ntp, st.last_rx) / 1000000000 >=
					      (int64_t)c->refwait_s :
				      now - s->started_at >= (time_t)c->refwait_s) {
			/* RFC 5357 §4.2: the reflector MAY discontinue it */
			(void)tw_refl_session_del(c->refl, s->id);
			s->live = false;
			c->refwait_expired++;
			(void)tw_ctrl_server_session_expired(c->srv, s->conn_id, i);
			app_log("control: test session on reflector id %u: REFWAIT (%u s) "
				"expired, removed", s->id, c->refwait_s);
		}
	}
}

void app_ctrl_service(struct app_ctrl *c)
{
	time_t now;

	if (c == NULL)
		return;
	(void)tw_ctrl_server_poll(c->srv, 0);
	now = time(NULL);
	if (now != c->last_sec) {
		c->last_sec = now;
		housekeeping(c, now);
	}
}

void app_ctrl_destroy(struct app_ctrl *c)
{
	if (c == NULL)
		return;
	rte_spinlock_lock(&tel_lock);
	if (tel_ctrl == c)
		tel_ctrl = NULL;
	rte_spinlock_unlock(&tel_lock);
	tw_ctrl_server_destroy(c->srv);
	for (uint32_t i = 0; i < c->cap; i++) {
		if (c->s[i] != NULL && c->s[i]->live && c->s[i]->proto == TW_CTRL_OWAMP)
			(void)app_recv_session_del(c->s[i]->id);
		slot_free(c, i);
	}
	free(c->s);
	free(c->fetch);
	free(c);
}
