/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The steps of a twamp-ping run: addresses and keys, the control
 * connection (TWAMP or OWAMP through lib/control's Control-Client), one
 * or more test sessions (each its own socket, packets, schedule and
 * lib/stats session, run in its own thread when there are several), then
 * Stop-Sessions (and for OWAMP Fetch-Session) and the results.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "out.h"
#include "tw_sched.h"

#define NS_PER_SEC 1000000000ull
#define PROGRESS_MIN_NS (3 * NS_PER_SEC)
#define REFLECT_MARK 0x7470u /* "tp": RFC 6038 Octets to be reflected */

static tw_ntp_t ntp_of(int64_t real_ns)
{
	return tw_ntp_from_unix((uint64_t)(real_ns / (int64_t)NS_PER_SEC),
				(uint32_t)(real_ns % (int64_t)NS_PER_SEC));
}

const char *ping_proto_name(enum ping_proto proto)
{
	static const char *const n[] = { "twamp", "twamp-light", "stamp",
					 "owamp" };
	return n[proto];
}

const char *ping_mode_name(enum ping_mode mode)
{
	static const char *const n[] = { "open", "authenticated", "encrypted",
					 "mixed" };
	return n[mode];
}

static int setup_fail(const char *what, const char *detail)
{
	fprintf(stderr, "twamp-ping: %s", what);
	if (detail != NULL && detail[0] != '\0')
		fprintf(stderr, ": %s", detail);
	fputc('\n', stderr);
	return PING_EXIT_SETUP;
}

/* ---- addresses ---- */

static int resolve(const char *host, long port, int family, int passive,
		   struct sockaddr_storage *ss, socklen_t *len, char *err,
		   size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = family,
		.ai_socktype = SOCK_DGRAM,
		.ai_flags = passive ? AI_PASSIVE : AI_ADDRCONFIG,
	}, *res;
	char pbuf[24], hbuf[256];
	const char *h = host;
	int rc;

	/* [v6] written with brackets */
	if (host != NULL && host[0] == '[') {
		size_t n = strcspn(host + 1, "]");

		if (host[1 + n] != ']' || host[2 + n] != '\0' || n >= sizeof(hbuf)) {
			snprintf(err, errlen, "bad address '%s'", host);
			return -EINVAL;
		}
		memcpy(hbuf, host + 1, n);
		hbuf[n] = '\0';
		h = hbuf;
	}
	snprintf(pbuf, sizeof(pbuf), "%ld", port < 0 ? 0 : port);
	rc = getaddrinfo(h, pbuf, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host,
			 gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void addr_text(const struct sockaddr_storage *ss, char *buf,
		      size_t len, int *port)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, buf, (socklen_t)len);
		*port = ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, buf, (socklen_t)len);
		*port = ntohs(a->sin_port);
	}
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

int ping_resolve(struct ping *p)
{
	/* the reflector (Light, STAMP) or the control server (TWAMP, OWAMP) */
	if (resolve(p->o.host, p->o.port, p->o.family, 0, &p->peer,
		    &p->peer_len, p->err, sizeof(p->err)) < 0)
		return setup_fail(p->err, NULL);
	if (resolve(p->o.src, p->o.src_port, p->peer.ss_family, 1, &p->src,
		    &p->src_len, p->err, sizeof(p->err)) < 0)
		return setup_fail(p->err, NULL);
	if (p->src.ss_family != p->peer.ss_family)
		return setup_fail("source and destination are of different address families", NULL);
	return 0;
}

int ping_load_key(struct ping *p)
{
	struct tw_config_diag diag = { 0 };
	int rc;

	if (p->o.key_file == NULL)
		return 0;
	rc = tw_config_keys_load(p->o.key_file, &p->keys, &diag);
	for (unsigned i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.msgs[i].text);
	tw_config_diag_free(&diag);
	if (rc < 0)
		return setup_fail("cannot load the key file", p->o.key_file);
	if (p->o.key_id == NULL)
		return 0;
	p->key = tw_config_key_find(&p->keys, p->o.key_id);
	if (p->key == NULL)
		return setup_fail("KeyID not in the key file", p->o.key_id);
	return 0;
}

/* The packet layout decides the default padding: equal sizes both ways. */
int ping_padding(struct ping *p)
{
	struct tw_test_layout l;
	enum tw_test_mode m = p->o.mode == PING_AUTH ? TW_TEST_AUTH :
			      p->o.mode == PING_ENC ? TW_TEST_ENC :
						      TW_TEST_UNAUTH;

	(void)tw_proto_test_layout_init(&l, m, p->o.sym_size, p->o.dscp_ecn,
					p->o.reflect_octets > 0 ?
					(uint16_t)p->o.reflect_octets : 0);
	if (p->o.padding >= 0)
		p->padding = (uint32_t)p->o.padding;
	else if (p->o.proto == PING_STAMP || p->o.proto == PING_OWAMP)
		p->padding = 0;
	else
		p->padding = tw_proto_test_equal_padding(&l);
	/* RFC 6038 §4.2: Padding Length SHALL be > the Length of padding to
	 * reflect */
	if (p->o.reflect_octets > 0 &&
	    p->padding <= (uint32_t)p->o.reflect_octets) {
		if (p->o.padding >= 0) {
			fprintf(stderr, "twamp-ping: -s %u must exceed --reflect-octets %ld (RFC 6038 §4.2)\n",
				p->padding, p->o.reflect_octets);
			return PING_EXIT_USAGE;
		}
		p->padding = (uint32_t)p->o.reflect_octets + 1;
	}
	return 0;
}

/* ---- the control connection ---- */

static const char *accept_text(struct ping *p, int rc)
{
	uint8_t a = tw_ctrl_client_last_accept(p->cl);
	const char *e = tw_ctrl_client_error(p->cl);

	/* the client's message names the step and the Accept value */
	if (e[0] != '\0')
		snprintf(p->err, sizeof(p->err), "%s", e);
	else if (a != 0 && a != 0xff)
		snprintf(p->err, sizeof(p->err), "Accept %u (%s)", a,
			 tw_proto_ctrl_accept_name(a));
	else
		snprintf(p->err, sizeof(p->err), "%s", strerror(-rc));
	return p->err;
}

static int ctrl_fail(struct ping *p, const char *step, int rc)
{
	fprintf(stderr, "twamp-ping: %s: %s\n", step, accept_text(p, rc));
	return PING_EXIT_SETUP;
}

static uint32_t mode_bits(enum ping_mode m)
{
	static const uint32_t b[] = { TW_MODE_UNAUTH, TW_MODE_AUTH,
				      TW_MODE_ENCRYPTED, TW_MODE_MIXED };
	return b[m];
}

/* Connection setup (RFC 4656 §3.1, RFC 5357 §3.1); nothing for Light/STAMP. */
int ping_ctrl_connect(struct ping *p)
{
	struct tw_ctrl_client_conf cc = { 0 };
	struct sockaddr_storage local = p->src;
	char where[INET6_ADDRSTRLEN];
	int rc, port;

	if (p->o.proto != PING_TWAMP && p->o.proto != PING_OWAMP)
		return 0;
	cc.proto = p->o.proto == PING_OWAMP ? TW_CTRL_OWAMP : TW_CTRL_TWAMP;
	cc.modes = mode_bits(p->o.mode);
	if (cc.proto == TW_CTRL_TWAMP) {
		if (p->o.individual)
			cc.options |= TW_MODE_INDIVIDUAL;
		if (p->o.reflect_octets >= 0)
			cc.options |= TW_MODE_REFLECT_OCTETS;
		if (p->o.sym_size)
			cc.options |= TW_MODE_SYMMETRICAL;
		if (p->o.dscp_ecn)
			cc.options |= TW_MODE_DSCP_ECN;
		/* what the user asked for must be there: no silent fallback */
		cc.options_required = cc.options;
	}
	if (p->key != NULL) {
		cc.keyid = p->key->id;
		cc.secret = p->key->value;
		cc.secret_len = p->key->len;
		cc.token_key = TW_CRYPTO_TOKEN_KEY_PBKDF2;
	}
	if (p->have_draft) {
		/* the seed draft's profile: binding and keys (docs/protocol.md) */
		cc.draft = &p->draft;
	} else if (p->have_ike) {
		/* RFC 7717 §5.3: KeyID = SPIi | SPIr | zeros, prf(SK_d, "IPPM") */
		cc.ikev2 = true;
		cc.keyid_raw = p->ike_keyid;
		cc.secret = p->ike_secret;
		cc.secret_len = p->ike_secret_len;
		cc.token_key = p->o.ike_direct ? TW_CRYPTO_TOKEN_KEY_DIRECT :
						 TW_CRYPTO_TOKEN_KEY_PBKDF2;
	}
	cc.timeout_ms = (int)(p->o.timeout_ns / 1000000u) + 3000;
	p->cl = tw_ctrl_client_create(&cc);
	if (p->cl == NULL)
		return setup_fail("control client", strerror(errno));
	/* -S applies to the control connection too (any port) */
	set_port(&local, 0);
	rc = tw_ctrl_client_connect(p->cl, (const struct sockaddr *)&p->peer,
				    p->peer_len,
				    p->o.src != NULL ?
				    (const struct sockaddr *)&local : NULL,
				    p->o.src != NULL ? p->src_len : 0);
	if (rc < 0) {
		addr_text(&p->peer, where, sizeof(where), &port);
		fprintf(stderr, "twamp-ping: control connection to %s%s%s port %d failed: %s\n",
			p->peer.ss_family == AF_INET6 ? "[" : "", where,
			p->peer.ss_family == AF_INET6 ? "]" : "", port,
			accept_text(p, rc));
		return PING_EXIT_SETUP;
	}
	return 0;
}

static uint16_t local_port(const struct psock *s)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	int port = 0;
	char t[INET6_ADDRSTRLEN];

	if (getsockname(s->fd, (struct sockaddr *)&ss, &l) == 0)
		addr_text(&ss, t, sizeof(t), &port);
	return (uint16_t)port;
}

static void keys_from_session(struct psess *s)
{
	uint32_t sec = s->sess.mode & TW_MODE_SECURITY_TWAMP;

	s->test_mode = sec & TW_MODE_ENCRYPTED ? PING_ENC :
		       sec & TW_MODE_AUTH ? PING_AUTH : PING_OPEN;
	if (s->test_mode != PING_OPEN && s->sess.has_keys) {
		memcpy(s->test_key, s->sess.test_keys.aes, 16);
		memcpy(s->test_key + 16, s->sess.test_keys.hmac, 32);
		s->have_test_key = true;
	}
	for (unsigned i = 0; i < TW_CTRL_SID_LEN; i++)
		snprintf(s->sid_text + 2 * i, 3, "%02x", s->sess.sid[i]);
	s->meta.sid = s->sid_text;
	set_port(&s->peer, s->sess.receiver_port);
	memcpy(&s->sock.peer, &s->peer, s->peer_len);
}

static void fill_req_common(struct psess *s, struct tw_ctrl_session_req *rq)
{
	const struct opts *o = &s->p->o;

	memset(rq, 0, sizeof(*rq));
	rq->sender_port = local_port(&s->sock);
	rq->padding_length = s->p->padding;
	rq->timeout = tw_sched_ns_to_ntp(o->timeout_ns);
	rq->type_p = tw_proto_ctrl_typep_dscp(o->dscp < 0 ? 0 :
					      (uint8_t)o->dscp);
}

/* RFC 5357 §3.5 Request-TW-Session, RFC 6038 §4.2 options */
static int twamp_request(struct psess *s)
{
	struct ping *p = s->p;
	struct tw_ctrl_session_req rq;
	int rc;

	fill_req_common(s, &rq);
	rq.receiver_port = p->o.test_port > 0 ?
			   (uint16_t)(p->o.test_port + s->idx) : 0;
	if (p->o.reflect_octets >= 0) {
		/* a value the server echoes in Accept-Session, and the length
		 * of padding to reflect */
		rq.reflect_octets = REFLECT_MARK;
		rq.reflect_padding = (uint16_t)p->o.reflect_octets;
	}
	rc = tw_ctrl_client_request_tw_session(p->cl, &rq, &s->sess);
	if (rc < 0)
		return ctrl_fail(p, "Request-TW-Session refused", rc);
	if (p->o.reflect_octets >= 0 && s->sess.reflected_octets != REFLECT_MARK) {
		fprintf(stderr, "twamp-ping: the server did not reflect the Octets to be reflected (sent 0x%04x, got 0x%04x): it does not implement RFC 6038\n",
			REFLECT_MARK, s->sess.reflected_octets);
		return PING_EXIT_SETUP;
	}
	keys_from_session(s);
	return 0;
}

/* RFC 4656 §3.5 Request-Session: the server receives on our schedule */
static int owamp_request(struct psess *s)
{
	struct ping *p = s->p;
	struct tw_ctrl_session_req rq;
	int rc;

	fill_req_common(s, &rq);
	rq.conf_receiver = true;
	rq.start_time = ntp_of(p->start_real);
	rq.num_packets = (uint32_t)p->o.count;
	rq.slots = &s->slot;
	rq.num_slots = 1;
	rc = tw_ctrl_client_request_ow_session(p->cl, &rq, &s->sess);
	if (rc < 0)
		return ctrl_fail(p, "Request-Session refused", rc);
	keys_from_session(s);
	return 0;
}

/* The source address and port the results name: the test socket's port
 * and, when it is bound to the wildcard, the address the kernel's route
 * to the peer picks (a connected probe socket tells it). */
static void source_text(struct psess *s)
{
	struct sockaddr_storage ls;
	socklen_t l = sizeof(ls);
	int port = -1, probe;

	s->meta.src_port = -1;
	if (getsockname(s->sock.fd, (struct sockaddr *)&ls, &l) < 0)
		return;
	addr_text(&ls, s->src_text, sizeof(s->src_text), &port);
	s->meta.src_port = port;
	if (s->p->o.src != NULL)
		return;
	probe = socket(s->peer.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return;
	l = sizeof(ls);
	if (connect(probe, (const struct sockaddr *)&s->peer, s->peer_len) == 0 &&
	    getsockname(probe, (struct sockaddr *)&ls, &l) == 0)
		addr_text(&ls, s->src_text, sizeof(s->src_text), &port);
	close(probe);
}

/* FILE for one session, FILE with ".N" before its extension for several. */
static char *session_path(const char *path, unsigned idx, unsigned n)
{
	const char *dot, *slash;
	char *out;

	if (path == NULL)
		return NULL;
	if (n == 1)
		return strdup(path);
	dot = strrchr(path, '.');
	slash = strrchr(path, '/');
	if (dot == NULL || (slash != NULL && dot < slash) || dot == path)
		dot = path + strlen(path);
	if (asprintf(&out, "%.*s.%u%s", (int)(dot - path), path, idx + 1,
		     dot) < 0)
		return NULL;
	return out;
}

static int make_sched(struct psess *s)
{
	const struct opts *o = &s->p->o;
	uint8_t seed[TW_CTRL_SID_LEN];

	if (o->proto == PING_OWAMP) {
		/* RFC 4656 §5: the receiver can reproduce it from the SID */
		s->sched = tw_sched_create(s->sess.sid, &s->slot, 1);
	} else if (o->poisson) {
		/* TWAMP has no schedule on the wire: any key gives a Poisson
		 * stream; the SID when there is one */
		if (o->proto == PING_TWAMP)
			memcpy(seed, s->sess.sid, sizeof(seed));
		else
			(void)tw_crypto_random(seed, sizeof(seed));
		s->sched = tw_sched_create_poisson(seed, o->interval_ns);
	} else {
		s->sched = tw_sched_create_periodic(o->interval_ns);
	}
	return s->sched == NULL ? setup_fail("schedule", strerror(errno)) : 0;
}

static int make_tpkt(struct psess *s)
{
	struct ping *p = s->p;
	const uint8_t *k = NULL;
	size_t klen = 0;
	const char *why;
	bool ow = p->o.proto == PING_OWAMP;

	/* Light/STAMP keys straight from the key file, TWAMP/OWAMP test
	 * keys derived from the control connection */
	if (p->o.proto == PING_TWAMP || ow) {
		if (s->have_test_key) {
			k = s->test_key;
			klen = sizeof(s->test_key);
		}
	} else if (p->key != NULL) {
		k = p->key->value;
		klen = p->key->len;
	}
	if (tpkt_init(&s->tp, p->o.proto, s->test_mode, p->padding,
		      !ow && p->o.sym_size, !ow && p->o.dscp_ecn,
		      p->o.reflect_octets > 0 ? (uint16_t)p->o.reflect_octets : 0,
		      (uint16_t)p->o.ssid, p->o.zero_pad, k, klen, &why) < 0)
		return setup_fail("test packets", why);
	return 0;
}

static int make_stats(struct psess *s)
{
	const struct opts *o = &s->p->o;
	struct tw_stats_conf sc;

	tw_stats_conf_init(&sc);
	sc.kind = o->proto == PING_OWAMP ? TW_STATS_ONEWAY : TW_STATS_ROUNDTRIP;
	sc.timeout_ns = o->timeout_ns;
	sc.rseq = o->proto == PING_LIGHT ? TW_STATS_RSEQ_COPY :
		  o->proto == PING_TWAMP ? TW_STATS_RSEQ_COUNTER :
					   TW_STATS_RSEQ_AUTO;
	sc.tos_sent = (o->dscp < 0 ? 0 : o->dscp << 2) | o->ecn;
	s->json_path = session_path(o->json, s->idx, s->p->n);
	s->pp_path = session_path(o->per_packet, s->idx, s->p->n);
	if (s->pp_path != NULL) {
		s->pp = tw_stats_pp_open(s->pp_path, o->pp_format);
		if (s->pp == NULL)
			return setup_fail("per-packet file", strerror(errno));
		sc.pp = s->pp;
	}
	s->stats = tw_stats_create(&sc);
	if (s->stats == NULL)
		return setup_fail("statistics", strerror(errno));
	return 0;
}

static void make_meta(struct psess *s)
{
	const struct opts *o = &s->p->o;

	addr_text(&s->peer, s->dst_text, sizeof(s->dst_text), &s->meta.dst_port);
	source_text(s);
	s->meta.tool = "twamp-ping";
	s->meta.tool_version = TWAMP_PING_VERSION;
	s->meta.protocol = ping_proto_name(o->proto);
	s->meta.mode = ping_mode_name(o->mode);
	s->meta.src_addr = s->src_text;
	s->meta.dst_addr = s->dst_text;
	s->meta.schedule = o->poisson ? "poisson" : "periodic";
	s->meta.interval_s = (double)o->interval_ns / 1e9;
	s->meta.count = o->count ? (int64_t)o->count : -1;
	s->meta.dscp = o->dscp < 0 ? 0 : o->dscp;
	s->meta.ecn = o->ecn;
	s->meta.padding = (int)s->p->padding;
	s->meta.packet_size = (int)s->tp.send_len;
	s->meta.timestamps = s->sock.hw ? "hw" : "kernel";
}

static int session_open(struct psess *s)
{
	struct ping *p = s->p;
	struct sockaddr_storage src = p->src;
	int rc;

	s->peer = p->peer;
	s->peer_len = p->peer_len;
	s->test_mode = p->o.mode;
	if (p->o.src_port > 0)
		set_port(&src, (uint16_t)(p->o.src_port + s->idx));
	if (psock_open(&s->sock, &s->peer, s->peer_len, &src, p->src_len,
		       p->o.dscp < 0 && p->o.ecn == 0 ? -1 :
		       (p->o.dscp < 0 ? 0 : p->o.dscp) << 2 | p->o.ecn,
		       p->o.hw_if, p->err, sizeof(p->err)) < 0)
		return setup_fail("test socket", p->err);
	if (p->o.proto == PING_TWAMP) {
		rc = twamp_request(s);
	} else if (p->o.proto == PING_OWAMP) {
		s->slot.type = p->o.poisson ? TW_OWAMP_SLOT_EXP :
					      TW_OWAMP_SLOT_FIXED;
		s->slot.parameter = tw_sched_ns_to_ntp(p->o.interval_ns);
		rc = owamp_request(s);
	} else {
		rc = 0;
	}
	if (rc == 0)
		rc = make_sched(s);
	if (rc == 0)
		rc = make_tpkt(s);
	if (rc == 0)
		rc = make_stats(s);
	if (rc == 0)
		make_meta(s);
	return rc;
}

int ping_sessions_open(struct ping *p)
{
	int rc;

	p->s = calloc(p->n, sizeof(*p->s));
	if (p->s == NULL)
		return setup_fail("out of memory", NULL);
	for (unsigned i = 0; i < p->n; i++) {
		p->s[i].p = p;
		p->s[i].idx = i;
		p->s[i].sock.fd = -1;
	}
	if (p->o.proto == PING_OWAMP) {
		if (p->o.count == 0) {
			/* OWAMP announces the number of packets */
			p->o.count = p->o.duration_ns / p->o.interval_ns;
			if (p->o.count == 0)
				p->o.count = 1;
		}
		/* RFC 4656 §3.5: a Start Time far enough ahead for setup */
		p->start_real = pace_real_ns() + (int64_t)NS_PER_SEC;
	}
	for (unsigned i = 0; i < p->n; i++) {
		rc = session_open(&p->s[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- start, run, stop ---- */

typedef int (*sids_fn)(struct tw_ctrl_client *c,
		       const uint8_t (*sids)[TW_CTRL_SID_LEN], uint32_t n,
		       uint8_t *accepts);

/* RFC 5938 Start-N-Sessions / Stop-N-Sessions naming every SID of the run */
static int every_sid(struct ping *p, sids_fn fn)
{
	uint8_t (*sids)[TW_CTRL_SID_LEN] = calloc(p->n, sizeof(*sids));
	int rc;

	if (sids == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < p->n; i++)
		memcpy(sids[i], p->s[i].sess.sid, TW_CTRL_SID_LEN);
	rc = fn(p->cl, (const uint8_t (*)[TW_CTRL_SID_LEN])sids, p->n, NULL);
	free(sids);
	return rc;
}

int ping_start(struct ping *p)
{
	int rc;

	if (p->cl == NULL)
		return 0;
	rc = p->o.individual ? every_sid(p, tw_ctrl_client_start_n) :
			       tw_ctrl_client_start(p->cl);
	return rc < 0 ? ctrl_fail(p, "Start-Sessions failed", rc) : 0;
}

static void tick(struct run *r, void *arg)
{
	struct psess *s = arg;
	struct tw_stats_result res;
	char line[160];
	tw_ntp_t now = ntp_of(pace_real_ns());

	if (r->tp->proto != PING_OWAMP)
		(void)tw_stats_advance(r->stats, now);
	/* one line on the terminal: the first session's */
	if (!s->p->progress || s->idx != 0)
		return;
	if (tw_stats_result(r->stats, &res) < 0)
		return;
	if (tw_stats_progress_line(line, sizeof(line), &res, &s->meta, now) < 0)
		return;
	printf("\r%s\033[K", line);
	fflush(stdout);
	s->p->progress_shown = true;
}

static void *session_thread(void *arg)
{
	struct psess *s = arg;

	s->rc = run_send(&s->run);
	/* OWAMP: let the last packets arrive before Stop-Sessions, even
	 * after an interrupt (RFC 4656 §3.8) */
	if (s->p->o.proto == PING_OWAMP)
		s->run.stop = &s->run.no_stop;
	if (s->rc == 0)
		run_wait_replies(&s->run);
	return NULL;
}

int ping_run(struct ping *p)
{
	uint64_t planned = p->o.count ? p->o.count * p->o.interval_ns :
					p->o.duration_ns;
	int64_t now;
	int exit_code = 0;

	p->progress = p->o.progress == 1 ||
		      (p->o.progress < 0 && isatty(STDOUT_FILENO) &&
		       !p->o.quiet && planned > PROGRESS_MIN_NS);
	now = pace_real_ns();
	for (unsigned i = 0; i < p->n; i++) {
		struct psess *s = &p->s[i];
		struct run *r = &s->run;

		r->tp = &s->tp;
		r->sock = &s->sock;
		r->sched = s->sched;
		r->stats = s->stats;
		r->count = p->o.count;
		r->duration_ns = p->o.proto == PING_OWAMP ? 0 : p->o.duration_ns;
		r->timeout_ns = p->o.timeout_ns;
		r->stop = p->stop;
		r->halt = &p->halt;
		/* one session watches the control connection for all */
		r->ctrl_fd = p->cl != NULL && i == 0 ? tw_ctrl_client_fd(p->cl) : -1;
		r->tick = tick;
		r->tick_arg = s;
		if (p->o.proto == PING_OWAMP)
			r->start_mono = pace_mono_ns() +
					(uint64_t)(p->start_real - pace_real_ns());
		if (run_init(r) < 0)
			return setup_fail("out of memory", NULL);
		s->meta.start = ntp_of(now);
	}
	if (p->n == 1) {
		session_thread(&p->s[0]);
	} else {
		for (unsigned i = 0; i < p->n; i++) {
			if (pthread_create(&p->s[i].th, NULL, session_thread,
					   &p->s[i]) != 0) {
				/* the ones started stop; nothing is measured */
				__atomic_store_n(&p->halt, 1, __ATOMIC_RELAXED);
				exit_code = setup_fail("cannot start a session thread",
						       strerror(errno));
				break;
			}
			p->s[i].thread = true;
		}
		for (unsigned i = 0; i < p->n; i++)
			if (p->s[i].thread)
				pthread_join(p->s[i].th, NULL);
	}
	for (unsigned i = 0; i < p->n; i++) {
		struct psess *s = &p->s[i];

		if (s->rc == -EMSGSIZE) {
			fprintf(stderr, "twamp-ping: a test packet of %u octets (UDP payload) does not fit the path MTU; test packets are never fragmented: use a smaller -s\n",
				s->tp.send_len);
			return PING_EXIT_SETUP;
		}
		if (s->rc < 0) {
			char where[INET6_ADDRSTRLEN];
			int port;

			addr_text(&s->peer, where, sizeof(where), &port);
			fprintf(stderr, "twamp-ping: cannot send test packets to %s port %d: %s\n",
				where, port, strerror(-s->rc));
			return PING_EXIT_SETUP;
		}
		if (s->run.ctrl_event)
			fprintf(stderr, "twamp-ping: warning: the server %s the control connection after %llu packets: the streams stopped there\n",
				p->o.proto == PING_OWAMP ? "spoke on (Stop-Sessions?)" :
							   "closed",
				(unsigned long long)s->run.n_sent);
	}
	return exit_code;
}

struct fetch_ctx {
	struct psess *s;
};

/* RFC 4656 §3.9: one fetched packet record -> a one-way stats record */
static int on_record(void *arg, const struct tw_owamp_record *or)
{
	struct fetch_ctx *f = arg;
	struct run *r = &f->s->run;
	struct tw_stats_rec rec;

	if (or->recv_ts == 0)
		return 0; /* lost: counted when the stats session finishes */
	/* a record must describe a packet we sent, with our timestamp */
	if (or->seq >= r->n_sent || r->sent[or->seq].t1 != or->send_ts) {
		r->bad[or->seq >= r->n_sent ? PING_BAD_UNKNOWN_SEQ :
					      PING_BAD_MISMATCH]++;
		return 0;
	}
	tw_stats_rec_from_owamp(or, &rec);
	if (r->sent[or->seq].n_replies++ == 0)
		r->n_answered++;
	(void)tw_stats_recv(r->stats, &rec);
	return 0;
}

static int owamp_stop_fetch(struct ping *p)
{
	struct tw_ctrl_ow_send_state *st = calloc(p->n, sizeof(*st));
	struct tw_ctrl_fetch_info info;
	uint8_t sacc = 0;
	int rc;

	if (st == NULL)
		return setup_fail("out of memory", NULL);
	for (unsigned i = 0; i < p->n; i++) {
		memcpy(st[i].sid, p->s[i].sess.sid, TW_CTRL_SID_LEN);
		st[i].next_seqno = (uint32_t)p->s[i].run.n_sent;
	}
	rc = tw_ctrl_client_ow_stop(p->cl, 0, st, p->n, NULL, NULL, &sacc);
	free(st);
	if (rc < 0)
		return ctrl_fail(p, "Stop-Sessions failed", rc);
	for (unsigned i = 0; i < p->n; i++) {
		struct fetch_ctx f = { .s = &p->s[i] };

		rc = tw_ctrl_client_fetch(p->cl, p->s[i].sess.sid, 0, UINT32_MAX,
					  on_record, NULL, &f, &info);
		if (rc < 0)
			return ctrl_fail(p, "Fetch-Session failed", rc);
	}
	return 0;
}

int ping_stop(struct ping *p)
{
	int rc;

	if (p->cl == NULL)
		return 0;
	if (p->o.proto == PING_OWAMP)
		return owamp_stop_fetch(p);
	rc = p->o.individual ? every_sid(p, tw_ctrl_client_stop_n) :
			       tw_ctrl_client_stop(p->cl, 0);
	/* the measurements are in: a failed stop is only a warning */
	if (rc < 0)
		fprintf(stderr, "twamp-ping: warning: Stop-Sessions: %s\n",
			accept_text(p, rc));
	return 0;
}

/* ---- results ---- */

static uint64_t n_bad(const struct run *r)
{
	uint64_t n = 0;

	for (int i = 0; i < PING_BAD__MAX; i++)
		n += r->bad[i];
	return n;
}

static void print_extra(FILE *f, const struct psess *s)
{
	static const char *const names[] = {
#define PING_BAD_NAME(n, str) str,
		PING_BAD_REASONS(PING_BAD_NAME)
#undef PING_BAD_NAME
	};
	const struct run *r = &s->run;
	const struct run_dep *d = &s->dep;
	uint64_t nbad = n_bad(r);

	fprintf(f, "departure error (sent - scheduled) p50/p99/max = %.3f/%.3f/%.3f us",
		(double)d->user_p50 / 1e3, (double)d->user_p99 / 1e3,
		(double)d->user_max / 1e3);
	if (d->n_kernel > 0)
		fprintf(f, "; kernel TX - Sender Timestamp p50/p99 = %.3f/%.3f us",
			(double)d->stamp_p50 / 1e3, (double)d->stamp_p99 / 1e3);
	fputc('\n', f);
	if (nbad > 0) {
		fprintf(f, "%llu bad replies rejected (", (unsigned long long)nbad);
		for (int i = 0, first = 1; i < PING_BAD__MAX; i++)
			if (r->bad[i]) {
				fprintf(f, "%s%s %llu", first ? "" : ", ",
					names[i], (unsigned long long)r->bad[i]);
				first = 0;
			}
		fprintf(f, ")%s\n", r->bad[PING_BAD_HMAC] ? ": wrong key?" : "");
	}
	if (s->res.sent > 0 && s->res.received == 0 && nbad == 0 &&
	    s->test_mode != PING_OPEN && s->test_mode != PING_MIXED)
		fprintf(f, "no reply at all: a reflector drops %s packets it cannot verify (wrong key?) or nothing answers on that port\n",
			ping_mode_name(s->test_mode));
	if (r->send_errors > 0)
		fprintf(f, "%llu packets could not be sent (%s)\n",
			(unsigned long long)r->send_errors,
			strerror(r->last_send_errno));
}

int ping_results(struct ping *p)
{
	uint64_t bad = 0, received = 0;
	int64_t now = pace_real_ns();
	int rc;

	if (p->progress_shown)
		printf("\r\033[K");
	for (unsigned i = 0; i < p->n; i++) {
		struct psess *s = &p->s[i];
		struct run *r = &s->run;

		s->meta.end = ntp_of(now);
		/* what t4 really was: NIC, kernel or user space (OWAMP: the
		 * receiver's) */
		if (p->o.proto != PING_OWAMP && r->n_answered > 0)
			s->meta.timestamps = r->n_hw_rx > 0 &&
					     r->n_hw_rx == r->n_kernel_rx ? "hw" :
					     r->n_kernel_rx > 0 ? "kernel" : "user";
		tw_stats_finish(s->stats);
		tw_stats_result(s->stats, &s->res);
		run_departure(r, &s->dep);
		if (!p->o.quiet) {
			tw_stats_print_summary(stdout, &s->res, &s->meta);
			print_extra(stdout, s);
		}
		if (s->json_path != NULL) {
			rc = out_write_json(s->json_path, &s->res, &s->meta, r,
					    &s->dep);
			if (rc < 0)
				fprintf(stderr, "twamp-ping: writing %s: %s\n",
					s->json_path, strerror(-rc));
		}
		bad += n_bad(r);
		received += s->res.received;
	}
	if (bad > 0 && received == 0) {
		fprintf(stderr, "twamp-ping: all %llu replies were rejected%s\n",
			(unsigned long long)bad,
			p->s[0].run.bad[PING_BAD_HMAC] ?
			" (HMAC check failed: wrong key?)" : "");
		return PING_EXIT_BAD;
	}
	return 0;
}

void ping_free(struct ping *p)
{
	tw_crypto_wipe(p->ike_secret, sizeof(p->ike_secret));
	tw_crypto_wipe(&p->draft, sizeof(p->draft));
	for (unsigned i = 0; p->s != NULL && i < p->n; i++) {
		struct psess *s = &p->s[i];

		tw_stats_destroy(s->stats);
		if (s->pp != NULL && tw_stats_pp_close(s->pp) < 0)
			fprintf(stderr, "twamp-ping: writing %s failed\n",
				s->pp_path);
		tw_sched_destroy(s->sched);
		tpkt_fini(&s->tp);
		run_fini(&s->run);
		psock_close(&s->sock);
		free(s->json_path);
		free(s->pp_path);
		tw_crypto_wipe(s->test_key, sizeof(s->test_key));
		tw_crypto_wipe(&s->sess, sizeof(s->sess));
	}
	free(p->s);
	tw_ctrl_client_destroy(p->cl);
	tw_config_keys_free(&p->keys);
}
