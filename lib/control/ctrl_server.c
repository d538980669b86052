/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP/OWAMP-Control server: per-connection state machine + epoll loop.
 *
 * Input is framed with tw_proto_ctrl_msg_len() on plaintext: in the secure
 * modes the first block of a command is decrypted (tw_crypto_ctrl_decrypt)
 * to learn its length, further header blocks as the framing asks for them,
 * and the rest is opened with its HMAC (tw_crypto_ctrl_open) once the whole
 * message is there. `dec` counts the octets at the head of the input
 * buffer that are already plaintext, so a message may arrive in any pieces.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "ctrl_priv.h"
#include "tw_ctrl_server.h"

#define LISTEN_MAX 16
#define READ_CHUNK 65536u             /* per connection per event: fairness */
#define IN_MAX (TW_CTRL_MSG_MAX + READ_CHUNK)
#define ACCEPT_BURST 16
#define EVENTS_MAX 64
#define DEFAULT_DEADLINE_MS 10000u
#define DEFAULT_OUT_MAX (16u << 20)
#define SECRET_MAX 256

const char *tw_ctrl_server_close_name(unsigned reason)
{
#define NAME(name, id, text) [TW_CTRL_SRV_CLOSE_##name] = id,
	static const char *const names[] = { TW_CTRL_SRV_CLOSES(NAME) };
#undef NAME
	return reason < TW_CTRL_SRV_CLOSE__MAX ? names[reason] : "unknown";
}

static const char *close_text(unsigned reason)
{
#define TEXT(name, id, text) [TW_CTRL_SRV_CLOSE_##name] = text,
	static const char *const texts[] = { TW_CTRL_SRV_CLOSES(TEXT) };
#undef TEXT
	return reason < TW_CTRL_SRV_CLOSE__MAX ? texts[reason] : "unknown";
}

enum ev_kind { EV_LISTEN, EV_CONN };

struct listener {
	enum ev_kind kind; /* first: epoll data points here */
	int fd;
	enum tw_ctrl_proto proto;
	uint16_t port;
};

/*
 * Connection states (RFC 4656 §3, RFC 5357 §3): SETUP waits for the
 * Set-Up-Response; IDLE takes commands; RUNNING is between Start-Sessions
 * and Stop-Sessions (SERVWAIT suspended, RFC 5357 §3.1); CLOSING flushes
 * what is queued and reads nothing more.
 */
enum conn_state { ST_SETUP, ST_IDLE, ST_RUNNING, ST_CLOSING };

struct sess {
	uint8_t sid[TW_CTRL_SID_LEN];
	uint64_t handle;
	uint64_t timeout_ns;
	bool started;
	bool stopped;
	bool expired;      /* REFWAIT removed it (tw_ctrl_server_session_expired) */
};

struct conn {
	enum ev_kind kind; /* first: epoll data points here */
	struct tw_ctrl_server *srv;
	struct conn *next;
	int fd;
	uint64_t id;
	enum tw_ctrl_proto proto;
	enum conn_state state;
	bool dead;         /* closed, freed at the end of the poll pass */
	bool want_out;     /* EPOLLOUT registered */
	uint32_t mode;
	uint32_t offered;  /* the Modes of the greeting this connection got */
	int family;        /* AF_INET, AF_INET6, 0 unknown */
	uint8_t local[16], peer[16];
	uint16_t lport, pport;
	char name[64];     /* peer as text, for the log */
	uint8_t challenge[16], salt[16];
	struct tw_crypto_session_keys sk;
	struct tw_crypto_ctrl *crypto;
	/* the seed draft's profile: this greeting carried the SA binding; the
	 * secret / root (base, Alt. 1) or session keys (Alt. 2) it stands for */
	bool draft;
	uint8_t draft_proto;
	uint32_t draft_spi_in, draft_spi_out;
	enum tw_crypto_prf draft_prf;
	uint8_t draft_secret[TW_CTRL_DRAFT_SECRET_MAX];
	size_t draft_secret_len;
	struct tw_crypto_session_keys draft_sk;
	uint8_t *in;
	size_t in_len, in_cap, dec;
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	uint64_t last_rx_ms;
	uint64_t msg_start_ms; /* 0: no partial message */
	struct sess *sess;
	uint32_t n_sess, cap_sess;
	uint32_t n_running;  /* started, not stopped */
	uint32_t n_expired;  /* of those, removed by REFWAIT */
};

struct tw_ctrl_server {
	struct tw_ctrl_server_conf conf;
	struct tw_ctrl_server_ops ops;
	void *arg;
	int epfd;
	struct listener listen[LISTEN_MAX];
	unsigned n_listen;
	struct conn *conns;
	uint64_t next_id;
	struct tw_ctrl_server_stats st;
};

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Milliseconds from @p t to @p now; 0 when @p t is later (set this pass). */
static uint64_t elapsed(uint64_t now, uint64_t t)
{
	return now > t ? now - t : 0;
}

static tw_ntp_t ntp_now(const struct tw_ctrl_server *srv)
{
	if (srv->ops.now != NULL)
		return srv->ops.now(srv->arg);
	return ctrl_ntp_now();
}

/* An NTP-format interval (RFC 4656 §3.5 Timeout) in ns, saturating. */
static uint64_t interval_ns(tw_ntp_t t)
{
	uint64_t sec = t >> 32, frac = t & 0xffffffffu;

	if (sec > UINT64_MAX / 1000000000u - 1)
		return UINT64_MAX;
	return sec * 1000000000u + ((frac * 1000000000u) >> 32);
}

static void logf_(struct tw_ctrl_server *srv, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void logf_(struct tw_ctrl_server *srv, int level, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (srv->ops.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	srv->ops.log(srv->arg, level, buf);
}

static const char *proto_name(enum tw_ctrl_proto p)
{
	return p == TW_CTRL_OWAMP ? "OWAMP" : "TWAMP";
}

/* ------------------------------------------------------------------ */
/* output                                                              */
/* ------------------------------------------------------------------ */

static void conn_close(struct conn *c, enum tw_ctrl_srv_close reason);

static void ep_mod(struct conn *c, bool out)
{
	struct epoll_event ev = { .data.ptr = c };

	if (c->want_out == out)
		return;
	ev.events = (c->state == ST_CLOSING ? 0 : EPOLLIN) | (out ? EPOLLOUT : 0);
	if (epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->want_out = out;
}

/* Reserve @p n octets at the end of the output queue; NULL closes. */
static uint8_t *out_reserve(struct conn *c, size_t n)
{
	size_t limit = c->srv->conf.out_max;
	uint8_t *p;

	if (c->state == ST_CLOSING || c->dead)
		return NULL; /* never send after the close decision */

	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len - c->out_off + n > limit) {
		conn_close(c, TW_CTRL_SRV_CLOSE_IO);
		return NULL;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 1024;

		if (c->out_off > 0) {
			memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		while (cap < c->out_len + n)
			cap *= 2;
		p = realloc(c->out, cap);
		if (p == NULL) {
			conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
			return NULL;
		}
		c->out = p;
		c->out_cap = cap;
	}
	p = c->out + c->out_len;
	c->out_len += n;
	return p;
}

static void out_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ep_mod(c, true);
			return;
		}
		if (n <= 0) {
			c->out_off = c->out_len; /* nothing more can be sent */
			conn_close(c, TW_CTRL_SRV_CLOSE_IO);
			return;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	ep_mod(c, false);
}

/*
 * Queue a control message, sealing it in the secure modes (its last 16
 * octets are its HMAC slot). @p plain is @p len octets of plaintext.
 */
static int out_msg(struct conn *c, const uint8_t *plain, size_t len)
{
	uint8_t *p = out_reserve(c, len);

	if (p == NULL)
		return -1;
	memcpy(p, plain, len);
	if (c->crypto != NULL && tw_crypto_ctrl_seal(c->crypto, p, len) != 0) {
		conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
		return -1;
	}
	return 0;
}

/* Queue octets whose HMAC follows later (OWAMP slots). */
static int out_part(struct conn *c, const uint8_t *plain, size_t len)
{
	uint8_t *p;

	if (len == 0)
		return 0;
	p = out_reserve(c, len);
	if (p == NULL)
		return -1;
	memcpy(p, plain, len);
	if (c->crypto != NULL && tw_crypto_ctrl_encrypt(c->crypto, p, len) != 0) {
		conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* connection life                                                     */
/* ------------------------------------------------------------------ */

/* Sessions started and not stopped (kept in step by sess_start/sess_stop). */
static uint32_t running(const struct conn *c)
{
	return c->n_running;
}

static void sessions_drop(struct conn *c)
{
	struct tw_ctrl_server *srv = c->srv;

	for (uint32_t i = 0; i < c->n_sess; i++) {
		if (srv->ops.session_del != NULL)
			srv->ops.session_del(srv->arg, c->sess[i].handle);
	}
	srv->st.sessions -= c->n_sess;
	c->n_sess = 0;
	c->n_running = c->n_expired = 0;
}

/* The one place a connection changes state. */
static void change_state(struct conn *c, enum conn_state s)
{
	if (c->state == s)
		return;
	if (s == ST_CLOSING) {
		struct epoll_event ev = { .events = 0, .data.ptr = c };

		(void)shutdown(c->fd, SHUT_RD);
		(void)epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
		c->want_out = false;
	}
	if (c->state == ST_RUNNING || s == ST_IDLE)
		c->last_rx_ms = mono_ms(); /* SERVWAIT resumes (RFC 5357 §3.1) */
	c->state = s;
}

/* The draft SA's keys copied at the greeting (docs/protocol.md). */
static void draft_wipe(struct conn *c)
{
	tw_crypto_wipe(c->draft_secret, sizeof(c->draft_secret));
	c->draft_secret_len = 0;
	tw_crypto_wipe(&c->draft_sk, sizeof(c->draft_sk));
}

static void conn_free(struct conn *c)
{
	if (c->fd >= 0) {
		(void)epoll_ctl(c->srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	tw_crypto_ctrl_destroy(c->crypto);
	tw_crypto_wipe(&c->sk, sizeof(c->sk));
	draft_wipe(c);
	tw_crypto_wipe(c->challenge, sizeof(c->challenge));
	if (c->in != NULL)
		tw_crypto_wipe(c->in, c->in_cap);
	free(c->in);
	free(c->out);
	free(c->sess);
	free(c);
}

/*
 * Close: counted and logged once, sessions removed at once; what is queued
 * (an Accept that explains the close) is still flushed, then the socket
 * goes at the end of the pass.
 */
static void conn_close(struct conn *c, enum tw_ctrl_srv_close reason)
{
	struct tw_ctrl_server *srv = c->srv;

	if (c->state == ST_CLOSING || c->dead)
		return;
	srv->st.closes[reason]++;
	logf_(srv, reason == TW_CTRL_SRV_CLOSE_PEER || reason == TW_CTRL_SRV_CLOSE_QUIT ||
			   reason == TW_CTRL_SRV_CLOSE_SHUTDOWN ? 6 : 4,
	      "%s-Control %s: closed: %s (%s)", proto_name(c->proto), c->name,
	      tw_ctrl_server_close_name(reason), close_text(reason));
	sessions_drop(c);
	tw_crypto_ctrl_destroy(c->crypto);
	c->crypto = NULL;
	c->in_len = c->dec = 0;
	change_state(c, ST_CLOSING);
	c->msg_start_ms = mono_ms(); /* flush deadline */
	if (c->out_off >= c->out_len || reason == TW_CTRL_SRV_CLOSE_IO ||
	    reason == TW_CTRL_SRV_CLOSE_PEER)
		c->dead = true;
}

static void addr_of(const struct sockaddr_storage *ss, int *family,
		    uint8_t addr[16], uint16_t *port)
{
	memset(addr, 0, 16);
	*port = 0;
	*family = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		*family = AF_INET;
		memcpy(addr, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		*family = AF_INET6;
		memcpy(addr, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
	}
}

static void send_greeting(struct conn *c, uint32_t modes)
{
	struct tw_ctrl_greeting g;
	uint8_t buf[TW_CTRL_GREETING_LEN];
	uint8_t *p;

	memset(&g, 0, sizeof(g));
	g.modes = modes;
	g.count = c->srv->conf.count;
	if (tw_crypto_random(c->challenge, 16) != 0 ||
	    tw_crypto_random(c->salt, 16) != 0) {
		conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
		return;
	}
	memcpy(g.challenge, c->challenge, 16);
	memcpy(g.salt, c->salt, 16);
	if (c->draft && modes != 0) {
		/* seed draft §4.1, Figure 5: the SA binding in the Unused octets */
		struct tw_ctrl_draft_greeting d = {
			.protocol = c->draft_proto, .spi_in = c->draft_spi_in,
			.spi_out = c->draft_spi_out, .modes = modes, .count = g.count,
		};

		memcpy(d.challenge, c->challenge, 16);
		memcpy(d.salt, c->salt, 16);
		if (c->srv->conf.draft_variant == TW_CTRL_DRAFT_ALT2)
			memset(c->challenge, 0, 16);
		if (tw_proto_ctrl_draft_greeting_encode(c->srv->conf.draft_variant, &d, buf,
							sizeof(buf)) < 0) {
			conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
			return;
		}
	} else if (tw_proto_ctrl_greeting_encode(&g, buf, sizeof(buf)) < 0) {
		conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
		return;
	}
	p = out_reserve(c, sizeof(buf));
	if (p != NULL)
		memcpy(p, buf, sizeof(buf));
}

/*
 * Modes of a greeting: the configured ones, less IKEv2Derived while the
 * caller holds no IKE SA (RFC 7717 §5.2: offered when IKEv2 keys exist).
 */
static uint32_t greeting_modes(struct tw_ctrl_server *srv, enum tw_ctrl_proto proto,
			       bool draft)
{
	uint32_t m = proto == TW_CTRL_TWAMP ? srv->conf.modes : srv->conf.owamp_modes;
	uint32_t ike = proto == TW_CTRL_TWAMP ? TW_MODE_IKEV2 : TW_MODE_OWAMP_IKEV2;

	if (srv->conf.draft) {
		/* seed draft: offered when the Child SA to this peer is known */
		if (!draft)
			m &= ~ike;
		return m;
	}
	if ((m & ike) != 0 &&
	    (srv->ops.ike_lookup == NULL ||
	     (srv->ops.ike_count != NULL && srv->ops.ike_count(srv->arg) == 0)))
		m &= ~ike;
	return m;
}

static const char *draft_variant_name(enum tw_ctrl_draft_variant v)
{
	return v == TW_CTRL_DRAFT_ALT1 ? "alt1" : v == TW_CTRL_DRAFT_ALT2 ? "alt2" : "base";
}

/*
 * The seed draft's profile: copy from the Child SA between the two ends
 * what this connection's greeting and Set-Up-Response need (docs/protocol.md).
 * @return true when the IKEv2 bit can be offered.
 */
static bool draft_snapshot(struct conn *c, const struct sockaddr_storage *local,
			   const struct sockaddr_storage *peer)
{
	struct tw_ctrl_server *srv = c->srv;
	const struct tw_ctrl_server_conf *cf = &srv->conf;
	uint32_t m = c->proto == TW_CTRL_TWAMP ? cf->modes : cf->owamp_modes;
	uint32_t ike = c->proto == TW_CTRL_TWAMP ? TW_MODE_IKEV2 : TW_MODE_OWAMP_IKEV2;
	struct tw_ctrl_draft_sa sa;
	const char *why = NULL;
	int rc;

	if (!cf->draft || (m & ike) == 0 || srv->ops.draft_lookup == NULL || c->family == 0)
		return false;
	memset(&sa, 0, sizeof(sa));
	rc = srv->ops.draft_lookup(srv->arg, (const struct sockaddr *)local,
				   (const struct sockaddr *)peer, &sa);
	if (rc != 0) {
		tw_crypto_wipe(&sa, sizeof(sa));
		logf_(srv, 6, "%s-Control %s: draft profile: no Child SA between the two ends, "
		      "IKEv2 not offered", proto_name(c->proto), c->name);
		return false;
	}
	if ((sa.protocol != TW_CTRL_DRAFT_PROTO_ESP && sa.protocol != TW_CTRL_DRAFT_PROTO_AH) ||
	    sa.spi_in < TW_CTRL_DRAFT_SPI_MIN || sa.spi_out < TW_CTRL_DRAFT_SPI_MIN) {
		why = "protocol or SPI invalid";
	} else if (cf->draft_variant == TW_CTRL_DRAFT_ALT2) {
		if (tw_crypto_draft_alt2_keys(sa.encr, sa.encr_key, sa.encr_key_len, sa.integ,
					      sa.integ_key, sa.integ_key_len, &c->draft_sk) != 0)
			why = "its algorithms cannot key Alternative 2 (AES-CBC/CTR-128 with "
			      "HMAC-SHA1/SHA2-256 or AES-XCBC needed)";
	} else {
		const uint8_t *sec = cf->draft_secret == TW_CTRL_DRAFT_KEYMAT ? sa.keymat :
										sa.skeyseed;
		size_t len = cf->draft_secret == TW_CTRL_DRAFT_KEYMAT ? sa.keymat_len :
									sa.skeyseed_len;

		if (len == 0 || len > sizeof(c->draft_secret) ||
		    tw_crypto_prf_len(sa.prf) < 0 ||
		    (cf->draft_variant == TW_CTRL_DRAFT_ALT1 && len < TW_CRYPTO_AES_KEY)) {
			why = cf->draft_secret == TW_CTRL_DRAFT_KEYMAT ?
				"the key table has no KEYMAT for it (child-add keymat=)" :
				"the key table has no SKEYSEED for its IKE SA (ike-up skeyseed=)";
		} else {
			memcpy(c->draft_secret, sec, len);
			c->draft_secret_len = len;
			c->draft_prf = sa.prf;
		}
	}
	if (why != NULL) {
		logf_(srv, 4, "%s-Control %s: draft profile (%s): Child SA %s SPIs 0x%08x/0x%08x: "
		      "%s; IKEv2 not offered", proto_name(c->proto), c->name,
		      draft_variant_name(cf->draft_variant), sa.protocol == 51 ? "AH" : "ESP",
		      sa.spi_in, sa.spi_out, why);
		tw_crypto_wipe(&sa, sizeof(sa));
		draft_wipe(c);
		return false;
	}
	c->draft = true;
	c->draft_proto = sa.protocol;
	c->draft_spi_in = sa.spi_in;
	c->draft_spi_out = sa.spi_out;
	tw_crypto_wipe(&sa, sizeof(sa));
	return true;
}

static int conn_new(struct tw_ctrl_server *srv, int fd, enum tw_ctrl_proto proto)
{
	struct epoll_event ev;
	struct sockaddr_storage ss, ls;
	socklen_t sl;
	struct conn *c;
	char a[INET6_ADDRSTRLEN];
	bool over = srv->st.connections >= srv->conf.max_connections;
	int fl = 1;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return -ENOMEM;
	}
	c->kind = EV_CONN;
	c->srv = srv;
	c->fd = fd;
	c->id = ++srv->next_id;
	c->proto = proto;
	c->state = ST_SETUP;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &fl, sizeof(fl));
	sl = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		addr_of(&ss, &c->family, c->local, &c->lport);
	ls = ss;
	sl = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		addr_of(&ss, &c->family, c->peer, &c->pport);
	if (c->family != 0 && inet_ntop(c->family, c->peer, a, sizeof(a)) != NULL)
		snprintf(c->name, sizeof(c->name), c->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
			 a, c->pport);
	else
		snprintf(c->name, sizeof(c->name), "#%llu", (unsigned long long)c->id);
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		int err = -errno;

		conn_free(c);
		return err;
	}
	c->next = srv->conns;
	srv->conns = c;
	srv->st.accepted++;
	srv->st.connections++;
	c->last_rx_ms = c->msg_start_ms = mono_ms();
	if (over) {
		/* RFC 4656 §3.1: Modes 0 says "I do not wish to talk" */
		send_greeting(c, 0);
		out_flush(c);
		conn_close(c, TW_CTRL_SRV_CLOSE_CONN_LIMIT);
		return -EMFILE;
	}
	c->offered = greeting_modes(srv, proto, draft_snapshot(c, &ls, &ss));
	send_greeting(c, c->offered);
	out_flush(c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Set-Up-Response -> Server-Start (RFC 4656 §3.1, RFC 5357 §3.1)      */
/* ------------------------------------------------------------------ */

static void server_start(struct conn *c, uint8_t accept, const uint8_t iv[16])
{
	struct tw_ctrl_server_start ss;
	uint8_t buf[TW_CTRL_SERVER_START_LEN];
	uint8_t *p;

	memset(&ss, 0, sizeof(ss));
	ss.accept = accept;
	if (iv != NULL)
		memcpy(ss.server_iv, iv, 16);
	if (accept == TW_ACCEPT_OK)
		ss.start_time = ntp_now(c->srv);
	(void)tw_proto_ctrl_server_start_encode(&ss, buf, sizeof(buf));
	p = out_reserve(c, sizeof(buf));
	if (p == NULL)
		return;
	memcpy(p, buf, sizeof(buf));
	if (accept == TW_ACCEPT_OK && c->crypto != NULL &&
	    tw_crypto_ctrl_server_start(c->crypto, p, sizeof(buf)) != 0)
		conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
}

/*
 * RFC 7717 §5.1-5.3: the Token key of an IKEv2Derived connection. The IKE
 * SA's key is copied here and wiped before returning: this connection's
 * session keys come from its Token, so nothing later depends on the SA.
 * @return 0, -ENOENT (no such IKE SA: logged) or another error.
 */
static int ike_token_key(struct conn *c, const uint8_t keyid[TW_CTRL_KEYID_LEN],
			 uint8_t key[TW_CRYPTO_AES_KEY])
{
	struct tw_ctrl_server *srv = c->srv;
	struct tw_ctrl_ike_key ik;
	uint8_t spi_i[TW_CTRL_SPI_LEN], spi_r[TW_CTRL_SPI_LEN];
	int rc;

	tw_proto_ctrl_keyid_to_spis(keyid, spi_i, spi_r);
	memset(&ik, 0, sizeof(ik));
	rc = srv->ops.ike_lookup != NULL ? srv->ops.ike_lookup(srv->arg, spi_i, spi_r, &ik) :
					   -ENOENT;
	if (rc == 0 && (ik.secret_len == 0 || ik.secret_len > sizeof(ik.secret)))
		rc = -ENOENT;
	if (rc != 0) {
		tw_crypto_wipe(&ik, sizeof(ik));
		logf_(srv, 4, "%s-Control %s: IKEv2Derived: no IKE SA with SPIi "
		      "%02x%02x%02x%02x%02x%02x%02x%02x SPIr %02x%02x%02x%02x%02x%02x%02x%02x "
		      "(Accept 6)", proto_name(c->proto), c->name,
		      spi_i[0], spi_i[1], spi_i[2], spi_i[3], spi_i[4], spi_i[5], spi_i[6],
		      spi_i[7], spi_r[0], spi_r[1], spi_r[2], spi_r[3], spi_r[4], spi_r[5],
		      spi_r[6], spi_r[7]);
		return -ENOENT;
	}
	rc = tw_crypto_rfc7717_token_key(srv->conf.ike_token_key, ik.secret, ik.secret_len,
					 c->salt, srv->conf.count, 0, key);
	tw_crypto_wipe(&ik, sizeof(ik));
	return rc;
}

/*
 * The seed draft's profile, a keyed mode with the IKEv2 bit: the session
 * keys by variant (docs/protocol.md): base = RFC 4656 with the SKEYSEED or
 * KEYMAT as passphrase; Alt. 1 = Token Enc_root(Challenge) checked, keys
 * prf+(root, "O/TWAMP enc" / "O/TWAMP auth"); Alt. 2 = the Child SA's keys.
 * @return 0 (c->sk set, r->client_iv the response's), or the Accept value
 *         with *why the close reason.
 */
static uint8_t draft_setup(struct conn *c, const uint8_t *msg, size_t len,
			   struct tw_ctrl_setup_response *r, enum tw_ctrl_srv_close *why)
{
	struct tw_ctrl_server *srv = c->srv;
	enum tw_ctrl_draft_variant v = srv->conf.draft_variant;
	struct tw_ctrl_draft_setup_response d;
	uint8_t key[TW_CRYPTO_AES_KEY];
	int rc;

	*why = TW_CTRL_SRV_CLOSE_INTERNAL;
	if (v == TW_CTRL_DRAFT_BASE) {
		rc = tw_crypto_token_key(c->draft_secret, c->draft_secret_len, c->salt,
					 srv->conf.count, 0, key);
		if (rc == 0)
			rc = tw_crypto_token_decrypt(key, c->challenge, r->token, &c->sk);
		tw_crypto_wipe(key, sizeof(key));
	} else {
		rc = tw_proto_ctrl_draft_setup_response_decode(v, msg, len, &d);
		if (rc == -TW_PROTO_E_MBZ) {
			logf_(srv, 4, "%s-Control %s: draft %s Set-Up-Response with non-zero MBZ "
			      "octets (a client of another variant?) (Accept 1)",
			      proto_name(c->proto), c->name, draft_variant_name(v));
			*why = TW_CTRL_SRV_CLOSE_DRAFT_MBZ;
			return TW_ACCEPT_FAILURE;
		}
		if (rc >= 0 && v == TW_CTRL_DRAFT_ALT1) {
			rc = tw_crypto_draft_alt1_token_check(c->draft_secret, c->draft_secret_len,
							      c->challenge, d.token);
			if (rc == 0)
				rc = tw_crypto_draft_alt1_keys(c->draft_prf, c->draft_secret,
							       c->draft_secret_len, &c->sk);
		} else if (rc >= 0) {
			c->sk = c->draft_sk;
			rc = 0;
		}
		memcpy(r->client_iv, d.client_iv, 16);
		tw_crypto_wipe(&d, sizeof(d));
	}
	/* the base variant's per-SID key needs the secret until the end */
	if (!(v == TW_CTRL_DRAFT_BASE && srv->conf.draft_sid_key))
		draft_wipe(c);
	if (rc == -TW_PROTO_E_TOKEN) {
		*why = TW_CTRL_SRV_CLOSE_TOKEN;
		return TW_ACCEPT_FAILURE;
	}
	return rc == 0 ? TW_ACCEPT_OK : TW_ACCEPT_INTERNAL;
}

static void on_setup(struct conn *c, const uint8_t *msg, size_t len)
{
	struct tw_ctrl_server *srv = c->srv;
	struct tw_ctrl_setup_response r;
	uint8_t secret[SECRET_MAX], key[TW_CRYPTO_AES_KEY], iv[16];
	uint32_t offered = c->offered;
	uint32_t sec_bits = c->proto == TW_CTRL_TWAMP ? TW_MODE_SECURITY_TWAMP :
							TW_MODE_SECURITY_OWAMP;
	uint32_t ike_bit = c->proto == TW_CTRL_TWAMP ? TW_MODE_IKEV2 : TW_MODE_OWAMP_IKEV2;
	int n, rc;

	if (tw_proto_ctrl_setup_response_decode(msg, len, &r) < 0) {
		conn_close(c, TW_CTRL_SRV_CLOSE_MALFORMED);
		return;
	}
	if (r.mode == 0) {
		conn_close(c, TW_CTRL_SRV_CLOSE_QUIT);
		return;
	}
	if (tw_proto_ctrl_mode_check(c->proto, offered, r.mode) != 0 ||
	    /* RFC 7717 §5.2: IKEv2Derived keys an authenticated mode */
	    ((r.mode & ike_bit) != 0 && (r.mode & sec_bits) == TW_MODE_UNAUTH)) {
		server_start(c, TW_ACCEPT_NOT_SUPPORTED, NULL);
		conn_close(c, TW_CTRL_SRV_CLOSE_MODE);
		return;
	}
	c->mode = r.mode;
	if (c->draft && !(r.mode & ike_bit) &&
	    srv->conf.draft_variant != TW_CTRL_DRAFT_BASE &&
	    (r.mode & sec_bits) != TW_MODE_UNAUTH) {
		/* an Alt. 1/2 greeting has no Salt/Count for a passphrase */
		server_start(c, TW_ACCEPT_NOT_SUPPORTED, NULL);
		conn_close(c, TW_CTRL_SRV_CLOSE_MODE);
		return;
	}
	if (!(r.mode & ike_bit))
		draft_wipe(c);
	if ((r.mode & sec_bits) == TW_MODE_UNAUTH) {
		server_start(c, TW_ACCEPT_OK, NULL);
		change_state(c, ST_IDLE);
		return;
	}
	if ((r.mode & ike_bit) && c->draft) {
		enum tw_ctrl_srv_close why;
		uint8_t acc = draft_setup(c, msg, len, &r, &why);

		tw_crypto_wipe(&r.token, sizeof(r.token));
		if (acc != TW_ACCEPT_OK) {
			server_start(c, acc, NULL);
			conn_close(c, why);
			return;
		}
		rc = 0;
		goto keyed;
	}
	if (r.mode & ike_bit) {
		rc = ike_token_key(c, r.keyid, key);
		if (rc == -ENOENT) {
			server_start(c, TW_ACCEPT_NO_IKEV2_SA, NULL);
			conn_close(c, TW_CTRL_SRV_CLOSE_NO_IKE_SA);
			return;
		}
	} else {
		n = srv->ops.key_lookup != NULL ?
			srv->ops.key_lookup(srv->arg, r.keyid, secret, sizeof(secret)) : -ENOENT;
		if (n <= 0 || (size_t)n > sizeof(secret)) {
			server_start(c, TW_ACCEPT_FAILURE, NULL);
			conn_close(c, TW_CTRL_SRV_CLOSE_KEYID);
			return;
		}
		rc = tw_crypto_token_key(secret, (size_t)n, c->salt, srv->conf.count, 0, key);
		tw_crypto_wipe(secret, sizeof(secret));
	}
	if (rc == 0)
		rc = tw_crypto_token_decrypt(key, c->challenge, r.token, &c->sk);
	tw_crypto_wipe(key, sizeof(key));
	tw_crypto_wipe(&r.token, sizeof(r.token));
	if (rc == -TW_PROTO_E_TOKEN) {
		server_start(c, TW_ACCEPT_FAILURE, NULL);
		conn_close(c, TW_CTRL_SRV_CLOSE_TOKEN);
		return;
	}
keyed:
	if (rc != 0 || tw_crypto_random(iv, sizeof(iv)) != 0) {
		server_start(c, TW_ACCEPT_INTERNAL, NULL);
		conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
		return;
	}
	c->crypto = tw_crypto_ctrl_create(TW_CRYPTO_SERVER, &c->sk, r.client_iv, iv);
	if (c->crypto == NULL) {
		server_start(c, TW_ACCEPT_INTERNAL, NULL);
		conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
		return;
	}
	server_start(c, TW_ACCEPT_OK, iv);
	if (c->state == ST_SETUP)
		change_state(c, ST_IDLE);
}

/* ------------------------------------------------------------------ */
/* Request-TW-Session / Request-Session (RFC 5357 §3.5, RFC 4656 §3.5)  */
/* ------------------------------------------------------------------ */

static struct sess *sess_find(struct conn *c, const uint8_t *sid)
{
	for (uint32_t i = 0; i < c->n_sess; i++)
		if (memcmp(c->sess[i].sid, sid, TW_CTRL_SID_LEN) == 0)
			return &c->sess[i];
	return NULL;
}

/* Accept-Session (RFC 4656 §3.5, RFC 6038 §4.3); Port and SID only on 0. */
static void accept_msg(struct conn *c, uint8_t accept, uint16_t port, const uint8_t *sid,
		       uint16_t reflected)
{
	struct tw_ctrl_accept_session a;
	uint8_t buf[TW_CTRL_ACCEPT_SESSION_LEN];

	memset(&a, 0, sizeof(a));
	a.accept = accept;
	if (accept == TW_ACCEPT_OK) {
		a.port = port;
		memcpy(a.sid, sid, TW_CTRL_SID_LEN);
		a.reflected_octets = reflected;
	}
	(void)tw_proto_ctrl_accept_session_encode(&a, c->proto == TW_CTRL_TWAMP ? c->mode : 0,
						  buf, sizeof(buf));
	(void)out_msg(c, buf, sizeof(buf));
}

/* The answer to a session request, counted. */
static void accept_session(struct conn *c, uint8_t accept, uint16_t port,
			   const uint8_t *sid, uint16_t reflected)
{
	if (accept == TW_ACCEPT_OK) {
		c->srv->st.sessions_accepted++;
	} else {
		c->srv->st.sessions_refused++;
		logf_(c->srv, 7, "%s-Control %s: session refused: Accept %u (%s)",
		      proto_name(c->proto), c->name, accept, tw_proto_ctrl_accept_name(accept));
	}
	accept_msg(c, accept, port, sid, reflected);
}

/* RFC 4656 §3.5: the configured SID address, else the local one. */
static int make_sid(struct conn *c, uint8_t sid[TW_CTRL_SID_LEN])
{
	const struct tw_ctrl_server_conf *cf = &c->srv->conf;
	const uint8_t *a = !tw_proto_is_zero(cf->sid_addr, 4) ? cf->sid_addr :
			   c->family == AF_INET ? c->local : c->local + 12;

	return ctrl_sid_make(sid, a, ntp_now(c->srv));
}

static uint8_t dscp_of(const struct tw_typep *t)
{
	if (t->format == TW_TYPEP_DSCP)
		return t->dscp;
	/* RFC 2836 §3: a PHB ID of a single standard PHB is its DSCP << 10 */
	return (uint8_t)(t->phb_id >> 10);
}

static void on_request(struct conn *c, const uint8_t *msg, size_t len)
{
	struct tw_ctrl_server *srv = c->srv;
	const struct tw_ctrl_server_conf *cf = &srv->conf;
	struct tw_ctrl_request req;
	struct tw_ctrl_srv_session s;
	struct sess *ns;
	uint64_t handle = 0;
	uint32_t sec = c->mode & (c->proto == TW_CTRL_TWAMP ? TW_MODE_SECURITY_TWAMP :
							   TW_MODE_SECURITY_OWAMP);
	int alen, rc;
	uint8_t accept;

	rc = c->proto == TW_CTRL_TWAMP ? tw_proto_twamp_request_decode(msg, len, c->mode, &req) :
					 tw_proto_owamp_request_decode(msg, len, &req);
	if (rc == -TW_PROTO_E_CONF || rc == -TW_PROTO_E_IPVN) {
		accept_session(c, TW_ACCEPT_NOT_SUPPORTED, 0, NULL, 0);
		return;
	}
	if (rc < 0) {
		conn_close(c, TW_CTRL_SRV_CLOSE_MALFORMED);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.proto = c->proto;
	s.conn_id = c->id;
	s.family = req.ipvn == 6 ? AF_INET6 : AF_INET;
	alen = req.ipvn == 6 ? 16 : 4;
	/* TWAMP: Number of Slots/Packets MUST be 0; OWAMP: we only receive */
	if ((c->proto == TW_CTRL_TWAMP && (req.num_slots != 0 || req.num_packets != 0)) ||
	    (c->proto == TW_CTRL_OWAMP && (req.conf_sender || !req.conf_receiver)) ||
	    tw_proto_ctrl_typep_decode(req.type_p, &req.typep) != 0) {
		accept_session(c, TW_ACCEPT_NOT_SUPPORTED, 0, NULL, 0);
		return;
	}
	/* all-zero address: the control connection's end (RFC 4656 §3.5) */
	if (tw_proto_is_zero(req.sender_addr, 16)) {
		if (c->family != s.family) {
			accept_session(c, TW_ACCEPT_NOT_SUPPORTED, 0, NULL, 0);
			return;
		}
		memcpy(s.peer_addr, c->peer, 16);
	} else {
		memcpy(s.peer_addr, req.sender_addr, (size_t)alen);
	}
	if (tw_proto_is_zero(req.receiver_addr, 16)) {
		if (c->family != s.family) {
			accept_session(c, TW_ACCEPT_NOT_SUPPORTED, 0, NULL, 0);
			return;
		}
		memcpy(s.local_addr, c->local, 16);
	} else {
		memcpy(s.local_addr, req.receiver_addr, (size_t)alen);
	}
	/* RFC 6038 §4.2 asks Padding Length > Length of padding to reflect
	 * (room for truncation); with Symmetrical Size the sender's MBZ
	 * already gives that room, so only more than is sent is refused */
	if ((c->mode & TW_MODE_REFLECT_OCTETS) && req.padding_length < req.reflect_padding) {
		accept_session(c, TW_ACCEPT_NOT_SUPPORTED, 0, NULL, 0);
		return;
	}
	/* limits: this connection cannot free sessions without closing, so
	 * its own cap is permanent (4); the total frees up as others go (5) */
	if (c->n_sess >= cf->max_sessions_per_connection) {
		accept_session(c, TW_ACCEPT_PERMANENT, 0, NULL, 0);
		return;
	}
	if (srv->st.sessions >= cf->max_sessions) {
		accept_session(c, TW_ACCEPT_TEMPORARY, 0, NULL, 0);
		return;
	}
	if (make_sid(c, s.sid) != 0) {
		accept_session(c, TW_ACCEPT_INTERNAL, 0, NULL, 0);
		return;
	}
	s.local_port = req.receiver_port;
	s.peer_port = req.sender_port;
	s.mode = c->mode;
	s.test_mode = sec == TW_MODE_AUTH ? TW_CTRL_SRV_TEST_AUTH :
		      sec == TW_MODE_ENCRYPTED ? TW_CTRL_SRV_TEST_ENC : TW_CTRL_SRV_TEST_OPEN;
	if (s.test_mode != TW_CTRL_SRV_TEST_OPEN &&
	    (c->draft_secret_len > 0 ?
		     /* seed draft §4.1: PRF{secret, SID} (docs/protocol.md) */
		     tw_crypto_draft_sid_keys(c->draft_prf, c->draft_secret, c->draft_secret_len,
					      s.sid, &s.test_keys) :
		     tw_crypto_test_keys(&c->sk, s.sid, &s.test_keys)) != 0) {
		accept_session(c, TW_ACCEPT_INTERNAL, 0, NULL, 0);
		return;
	}
	s.padding_length = req.padding_length;
	s.start_time = req.start_time;
	s.timeout_ns = interval_ns(req.timeout);
	s.dscp = dscp_of(&req.typep);
	if (c->proto == TW_CTRL_TWAMP) {
		s.dscp_ecn = (c->mode & TW_MODE_DSCP_ECN) != 0;
		s.sym_size = (c->mode & TW_MODE_SYMMETRICAL) != 0;
		if (c->mode & TW_MODE_REFLECT_OCTETS) {
			s.reflect_octets = req.reflect_octets;
			s.reflect_padding = req.reflect_padding;
		}
	}
	s.refwait_s = cf->refwait_s;
	s.num_packets = req.num_packets;
	s.req = &req;
	s.req_wire = msg;
	s.req_wire_len = len;
	if (c->n_sess == c->cap_sess) {
		uint32_t cap = c->cap_sess ? c->cap_sess * 2 : 4;
		struct sess *p = realloc(c->sess, cap * sizeof(*p));

		if (p == NULL) {
			tw_crypto_wipe(&s.test_keys, sizeof(s.test_keys));
			accept_session(c, TW_ACCEPT_INTERNAL, 0, NULL, 0);
			return;
		}
		c->sess = p;
		c->cap_sess = cap;
	}
	accept = srv->ops.session_add(srv->arg, &s, &handle);
	tw_crypto_wipe(&s.test_keys, sizeof(s.test_keys));
	if (accept != TW_ACCEPT_OK) {
		accept_session(c, accept, 0, NULL, 0);
		return;
	}
	ns = &c->sess[c->n_sess++];
	memset(ns, 0, sizeof(*ns));
	memcpy(ns->sid, s.sid, TW_CTRL_SID_LEN);
	ns->handle = handle;
	ns->timeout_ns = s.timeout_ns;
	srv->st.sessions++;
	accept_session(c, TW_ACCEPT_OK, s.local_port, s.sid, s.reflect_octets);
}

/* ------------------------------------------------------------------ */
/* Start / Stop (RFC 4656 §3.7-3.8, RFC 5357 §3.7-3.8, RFC 5938 §3)     */
/* ------------------------------------------------------------------ */

static void start_ack(struct conn *c, uint8_t accept)
{
	struct tw_ctrl_start_ack a = { .accept = accept };
	uint8_t buf[TW_CTRL_START_ACK_LEN];

	(void)tw_proto_ctrl_start_ack_encode(&a, buf, sizeof(buf));
	(void)out_msg(c, buf, sizeof(buf));
}

static int sess_start(struct conn *c, struct sess *s)
{
	struct tw_ctrl_server *srv = c->srv;

	if (srv->ops.session_start != NULL &&
	    srv->ops.session_start(srv->arg, s->handle) != 0)
		return -1;
	s->started = true;
	c->n_running++;
	return 0;
}

static void sess_stop(struct conn *c, struct sess *s, uint32_t next_seqno,
		      const struct tw_owamp_skip *skips, uint32_t n_skips)
{
	struct tw_ctrl_server *srv = c->srv;

	if (srv->ops.session_stop != NULL)
		(void)srv->ops.session_stop(srv->arg, s->handle, s->timeout_ns,
					    next_seqno, skips, n_skips);
	s->stopped = true;
	c->n_running--;
	if (s->expired)
		c->n_expired--;
}

static void on_start(struct conn *c, const uint8_t *msg, size_t len)
{
	struct tw_ctrl_start_sessions m;
	uint8_t accept = TW_ACCEPT_OK;

	if (tw_proto_ctrl_start_sessions_decode(msg, len, &m) < 0) {
		conn_close(c, TW_CTRL_SRV_CLOSE_MALFORMED);
		return;
	}
	for (uint32_t i = 0; i < c->n_sess; i++) {
		struct sess *s = &c->sess[i];

		if (!s->started && !s->stopped && sess_start(c, s) != 0)
			accept = TW_ACCEPT_INTERNAL;
	}
	start_ack(c, accept);
	change_state(c, ST_RUNNING);
}

static void on_twamp_stop(struct conn *c, const uint8_t *msg, size_t len)
{
	struct tw_ctrl_stop_sessions m;

	if (tw_proto_twamp_stop_sessions_decode(msg, len, &m) < 0 ||
	    m.num_sessions != running(c)) {
		/* RFC 5357 §3.8: a count that does not match is invalid */
		conn_close(c, TW_CTRL_SRV_CLOSE_MALFORMED);
		return;
	}
	for (uint32_t i = 0; i < c->n_sess; i++)
		if (c->sess[i].started && !c->sess[i].stopped)
			sess_stop(c, &c->sess[i], 0, NULL, 0);
	change_state(c, ST_IDLE);
}

static void on_owamp_stop(struct conn *c, uint8_t *msg, size_t len)
{
	struct tw_owamp_stop_sessions m;
	struct tw_owamp_sess_desc d;
	struct tw_owamp_stop_sessions reply;
	struct tw_owamp_sess_desc none;
	struct tw_owamp_skip *skips = NULL;
	uint8_t buf[2 * TW_CTRL_BLOCK];
	size_t off = 0;

	if (tw_proto_owamp_stop_sessions_decode(msg, len, &m) < 0 ||
	    m.num_sessions != running(c)) {
		conn_close(c, TW_CTRL_SRV_CLOSE_MALFORMED);
		return;
	}
	/* every record must name a running session of ours before any stops */
	for (uint32_t i = 0; i < m.num_sessions; i++) {
		int n = tw_proto_owamp_sess_desc_decode(m.records + off, m.records_len - off, &d);
		struct sess *s = n > 0 ? sess_find(c, d.sid) : NULL;

		if (s == NULL || !s->started || s->stopped) {
			conn_close(c, TW_CTRL_SRV_CLOSE_MALFORMED);
			return;
		}
		off += (size_t)n;
	}
	off = 0;
	for (uint32_t i = 0; i < m.num_sessions; i++) {
		int n = tw_proto_owamp_sess_desc_decode(m.records + off, m.records_len - off, &d);
		struct sess *s = sess_find(c, d.sid);

		off += (size_t)n;
		free(skips);
		skips = d.num_skips ? calloc(d.num_skips, sizeof(*skips)) : NULL;
		if (d.num_skips && skips == NULL) {
			conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
			return;
		}
		for (uint32_t k = 0; k < d.num_skips; k++)
			tw_proto_owamp_skip_get(d.skip_wire, k, &skips[k]);
		sess_stop(c, s, d.next_seqno, skips, d.num_skips);
	}
	free(skips);
	/* RFC 4656 §3.8: our side has no send sessions: 0 records */
	memset(&reply, 0, sizeof(reply));
	memset(&none, 0, sizeof(none));
	reply.sessions = &none;
	if (tw_proto_owamp_stop_sessions_encode(&reply, buf, sizeof(buf)) == (int)sizeof(buf))
		(void)out_msg(c, buf, sizeof(buf));
	change_state(c, ST_IDLE);
}

static void n_ack(struct conn *c, bool start, uint8_t accept,
		  const struct tw_ctrl_n_sessions *req)
{
	struct tw_ctrl_n_sessions a = *req;
	size_t len = 32u + 16u * (size_t)req->num_sessions;
	uint8_t *buf = malloc(len);
	int rc;

	if (buf == NULL) {
		conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
		return;
	}
	a.accept = accept;
	memset(a.hmac, 0, sizeof(a.hmac));
	rc = start ? tw_proto_twamp_start_n_ack_encode(&a, buf, len) :
		     tw_proto_twamp_stop_n_ack_encode(&a, buf, len);
	if (rc > 0)
		(void)out_msg(c, buf, (size_t)rc);
	else
		conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
	free(buf);
}

/* RFC 5938 §3.2/3.4: all SIDs must be valid, or none is acted on. */
static void on_n(struct conn *c, bool start, const uint8_t *msg, size_t len)
{
	struct tw_ctrl_n_sessions m;
	uint8_t accept = TW_ACCEPT_OK;
	int rc;

	rc = start ? tw_proto_twamp_start_n_decode(msg, len, &m) :
		     tw_proto_twamp_stop_n_decode(msg, len, &m);
	if (rc < 0) {
		conn_close(c, TW_CTRL_SRV_CLOSE_MALFORMED);
		return;
	}
	for (uint32_t i = 0; i < m.num_sessions; i++) {
		struct sess *s = sess_find(c, m.sids + 16u * i);

		if (s == NULL || s->stopped || s->started != !start)
			accept = TW_ACCEPT_FAILURE;
	}
	for (uint32_t i = 0; accept == TW_ACCEPT_OK && i < m.num_sessions; i++) {
		struct sess *s = sess_find(c, m.sids + 16u * i);

		if (start && sess_start(c, s) != 0)
			accept = TW_ACCEPT_INTERNAL;
		else if (!start)
			sess_stop(c, s, 0, NULL, 0);
	}
	n_ack(c, start, accept, &m);
}

/* ------------------------------------------------------------------ */
/* Fetch-Session (RFC 4656 §3.9)                                       */
/* ------------------------------------------------------------------ */

static void fetch_ack(struct conn *c, const struct tw_owamp_fetch_ack *a)
{
	uint8_t buf[TW_CTRL_FETCH_ACK_LEN];

	(void)tw_proto_owamp_fetch_ack_encode(a, buf, sizeof(buf));
	(void)out_msg(c, buf, sizeof(buf));
}

static void on_fetch(struct conn *c, const uint8_t *msg, size_t len)
{
	struct tw_ctrl_server *srv = c->srv;
	struct tw_owamp_fetch_session f;
	struct tw_owamp_fetch_ack a;
	struct tw_ctrl_srv_fetch out;
	struct tw_ctrl_request req;
	uint8_t zero[TW_CTRL_HMAC_LEN] = { 0 };
	uint8_t *blk;
	size_t rlen, slen, blen;
	bool ok;

	if (tw_proto_owamp_fetch_session_decode(msg, len, &f) < 0) {
		conn_close(c, TW_CTRL_SRV_CLOSE_MALFORMED);
		return;
	}
	memset(&a, 0, sizeof(a));
	memset(&out, 0, sizeof(out));
	a.accept = srv->ops.owamp_fetch == NULL ? TW_ACCEPT_NOT_SUPPORTED :
		   srv->ops.owamp_fetch(srv->arg, f.sid, f.begin_seq, f.end_seq, &out);
	if (a.accept == TW_ACCEPT_OK &&
	    (out.request == NULL ||
	     tw_proto_owamp_request_decode(out.request, out.request_len, &req) < 0))
		a.accept = TW_ACCEPT_INTERNAL;
	if (a.accept != TW_ACCEPT_OK) {
		fetch_ack(c, &a);
		return;
	}
	a.finished = out.finished;
	a.next_seqno = out.next_seqno;
	a.num_skips = out.n_skips;
	a.num_records = out.n_recs;
	fetch_ack(c, &a);
	/* the Request-Session reproduced (112-octet block, slots, HMAC), the
	 * skip ranges and the records, each block with its HMAC; one scratch
	 * buffer large enough for the largest of the three */
	rlen = 128u + 16u * (size_t)req.num_slots;
	slen = tw_proto_owamp_skips_block_len(out.n_skips);
	blen = tw_proto_owamp_records_block_len(out.n_recs);
	blk = malloc(rlen > slen ? (rlen > blen ? rlen : blen) : (slen > blen ? slen : blen));
	memset(req.hmac, 0, sizeof(req.hmac));
	memset(req.hmac2, 0, sizeof(req.hmac2));
	req.slots = NULL;
	ok = blk != NULL && tw_proto_owamp_request_encode(&req, blk, rlen) == (int)rlen &&
	     out_msg(c, blk, TW_CTRL_REQUEST_TW_SESSION_LEN) == 0 &&
	     out_part(c, blk + TW_CTRL_REQUEST_TW_SESSION_LEN, rlen - 128u) == 0 &&
	     out_msg(c, blk + rlen - 16u, 16u) == 0;
	ok = ok && tw_proto_owamp_skips_encode(out.skips, out.n_skips, zero, blk, slen) == (int)slen &&
	     out_msg(c, blk, slen) == 0;
	ok = ok && tw_proto_owamp_records_encode(out.recs, out.n_recs, zero, blk, blen) == (int)blen &&
	     out_msg(c, blk, blen) == 0;
	free(blk);
	if (!ok && c->state != ST_CLOSING)
		conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
}

/* ------------------------------------------------------------------ */
/* framing and dispatch                                                */
/* ------------------------------------------------------------------ */

/* An unknown command: Accept 3 in an Accept-Session, then close. */
static void unknown_command(struct conn *c)
{
	accept_msg(c, TW_ACCEPT_NOT_SUPPORTED, 0, NULL, 0);
	conn_close(c, TW_CTRL_SRV_CLOSE_COMMAND);
}

/*
 * Length of the complete message at the head of the input, made plaintext
 * and its HMAC(s) checked; 0: incomplete; -1: the connection was closed.
 */
static long frame(struct conn *c)
{
	size_t need = 0, total;
	int n;

	if (c->state == ST_SETUP)
		return c->in_len >= TW_CTRL_SETUP_RESPONSE_LEN ? TW_CTRL_SETUP_RESPONSE_LEN : 0;
	if (c->in_len < TW_CTRL_BLOCK)
		return 0;
	if (c->crypto != NULL && c->dec == 0) {
		if (tw_crypto_ctrl_decrypt(c->crypto, c->in, TW_CTRL_BLOCK) != 0) {
			conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
			return -1;
		}
		c->dec = TW_CTRL_BLOCK;
	}
	for (;;) {
		size_t avail = c->crypto != NULL ? c->dec : c->in_len;

		n = tw_proto_ctrl_msg_len(c->proto, c->mode, TW_CTRL_EXPECT_COMMAND,
					  c->in, avail, &need);
		if (n > 0)
			break;
		if (n == -TW_PROTO_E_COMMAND) {
			unknown_command(c);
			return -1;
		}
		if (n < 0) {
			conn_close(c, TW_CTRL_SRV_CLOSE_MALFORMED);
			return -1;
		}
		if (c->crypto == NULL)
			return 0;
		need = tw_proto_ctrl_pad16(need);
		if (c->in_len < need)
			return 0;
		if (tw_crypto_ctrl_decrypt(c->crypto, c->in + c->dec, need - c->dec) != 0) {
			conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
			return -1;
		}
		c->dec = need;
	}
	total = (size_t)n;
	if (c->in_len < total)
		return 0;
	if (c->crypto != NULL) {
		int rc;

		if (c->proto == TW_CTRL_OWAMP && c->in[0] == TW_OWAMP_CMD_REQUEST_SESSION &&
		    c->dec <= TW_CTRL_REQUEST_TW_SESSION_LEN - TW_CTRL_BLOCK) {
			/* RFC 4656 §3.5: an HMAC after the block and after the slots */
			rc = tw_crypto_ctrl_open(c->crypto, c->in + c->dec,
						 TW_CTRL_REQUEST_TW_SESSION_LEN - c->dec);
			c->dec = TW_CTRL_REQUEST_TW_SESSION_LEN;
			if (rc == 0 && total - 16u > c->dec)
				rc = tw_crypto_ctrl_decrypt(c->crypto, c->in + c->dec,
							    total - 16u - c->dec);
			c->dec = total - 16u;
		} else {
			rc = 0;
		}
		if (rc == 0)
			rc = tw_crypto_ctrl_open(c->crypto, c->in + c->dec, total - c->dec);
		c->dec = total;
		if (rc != 0) {
			conn_close(c, rc == -TW_PROTO_E_HMAC ? TW_CTRL_SRV_CLOSE_HMAC :
							       TW_CTRL_SRV_CLOSE_INTERNAL);
			return -1;
		}
	}
	return (long)total;
}

/* One complete message: switch (state) -> switch (command). */
static void dispatch(struct conn *c, uint8_t *msg, size_t len)
{
	bool twamp = c->proto == TW_CTRL_TWAMP;
	bool indiv = twamp && (c->mode & TW_MODE_INDIVIDUAL);

	switch (c->state) {
	case ST_SETUP:
		on_setup(c, msg, len);
		return;
	case ST_IDLE:
		switch (msg[0]) {
		case TW_TWAMP_CMD_REQUEST_TW_SESSION: /* == 5, OWAMP unknown */
			if (twamp)
				on_request(c, msg, len);
			else
				unknown_command(c);
			return;
		case TW_OWAMP_CMD_REQUEST_SESSION:
			on_request(c, msg, len); /* framing let only OWAMP through */
			return;
		case TW_TWAMP_CMD_START_SESSIONS:
			on_start(c, msg, len);
			return;
		case TW_OWAMP_CMD_FETCH_SESSION: /* == 4: TWAMP reserved */
			if (!twamp)
				on_fetch(c, msg, len);
			else
				unknown_command(c);
			return;
		case TW_TWAMP_CMD_START_N_SESSIONS:
		case TW_TWAMP_CMD_STOP_N_SESSIONS:
			if (indiv)
				on_n(c, msg[0] == TW_TWAMP_CMD_START_N_SESSIONS, msg, len);
			else
				unknown_command(c);
			return;
		case TW_TWAMP_CMD_STOP_SESSIONS:
			conn_close(c, TW_CTRL_SRV_CLOSE_ORDER);
			return;
		default:
			unknown_command(c);
			return;
		}
	case ST_RUNNING:
		switch (msg[0]) {
		case TW_TWAMP_CMD_STOP_SESSIONS:
			if (twamp)
				on_twamp_stop(c, msg, len);
			else
				on_owamp_stop(c, msg, len);
			return;
		default:
			/* RFC 4656 §3.4: nothing but Stop between Start and Stop */
			conn_close(c, TW_CTRL_SRV_CLOSE_ORDER);
			return;
		}
	case ST_CLOSING:
		return;
	}
}

static void consume(struct conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
	c->dec = 0;
}

static void conn_read(struct conn *c, uint64_t now)
{
	size_t got = 0;

	while (got < READ_CHUNK && c->state != ST_CLOSING) {
		ssize_t n;

		if (c->in_cap - c->in_len < 4096) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
			uint8_t *p;

			if (cap > IN_MAX)
				cap = IN_MAX;
			if (cap <= c->in_cap)
				break;
			p = realloc(c->in, cap);
			if (p == NULL) {
				conn_close(c, TW_CTRL_SRV_CLOSE_INTERNAL);
				return;
			}
			c->in = p;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			conn_close(c, n == 0 ? TW_CTRL_SRV_CLOSE_PEER : TW_CTRL_SRV_CLOSE_IO);
			return;
		}
		c->in_len += (size_t)n;
		got += (size_t)n;
		c->last_rx_ms = now;
		/* process as we go so one message never waits for the next read */
		for (;;) {
			long m = frame(c);

			if (m <= 0)
				break;
			dispatch(c, c->in, (size_t)m);
			if (c->state == ST_CLOSING)
				return;
			consume(c, (size_t)m);
		}
	}
	if (c->state == ST_CLOSING)
		return;
	if (c->in_len == 0)
		c->msg_start_ms = 0;
	else if (c->msg_start_ms == 0)
		c->msg_start_ms = now;
}

static void timers(struct tw_ctrl_server *srv, uint64_t now)
{
	uint64_t dl = srv->conf.msg_deadline_ms;
	uint64_t sw = (uint64_t)srv->conf.servwait_s * 1000u;

	for (struct conn *c = srv->conns; c != NULL; c = c->next) {
		if (c->dead)
			continue;
		if (c->state == ST_CLOSING) {
			if (elapsed(now, c->msg_start_ms) >= dl)
				c->dead = true; /* client does not read: give up */
			continue;
		}
		if ((c->state == ST_SETUP || c->msg_start_ms != 0) &&
		    elapsed(now, c->msg_start_ms) >= dl)
			conn_close(c, TW_CTRL_SRV_CLOSE_DEADLINE);
		else if (c->state != ST_SETUP && running(c) == c->n_expired &&
			 elapsed(now, c->last_rx_ms) >= sw)
			conn_close(c, TW_CTRL_SRV_CLOSE_SERVWAIT);
	}
}

static void reap(struct tw_ctrl_server *srv)
{
	struct conn **pp = &srv->conns;

	while (*pp != NULL) {
		struct conn *c = *pp;

		if (c->state == ST_CLOSING && !c->dead && c->out_off >= c->out_len)
			c->dead = true;
		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		srv->st.connections--;
		conn_free(c);
	}
}

/* ------------------------------------------------------------------ */
/* public                                                              */
/* ------------------------------------------------------------------ */

struct tw_ctrl_server *tw_ctrl_server_create(const struct tw_ctrl_server_conf *conf,
					     const struct tw_ctrl_server_ops *ops,
					     void *arg)
{
	struct tw_ctrl_server *srv;

	if (conf == NULL || ops == NULL || ops->session_add == NULL ||
	    tw_crypto_count_check(conf->count, 0) != 0 || conf->max_connections == 0 ||
	    conf->max_sessions == 0 || conf->max_sessions_per_connection == 0 ||
	    conf->servwait_s == 0 ||
	    (conf->modes & TW_MODE_SECURITY_TWAMP) == 0 ||
	    (conf->ike_token_key != TW_CRYPTO_TOKEN_KEY_PBKDF2 &&
	     conf->ike_token_key != TW_CRYPTO_TOKEN_KEY_DIRECT) ||
	    (conf->draft &&
	     ((conf->draft_variant != TW_CTRL_DRAFT_BASE &&
	       conf->draft_variant != TW_CTRL_DRAFT_ALT1 &&
	       conf->draft_variant != TW_CTRL_DRAFT_ALT2) ||
	      (conf->draft_secret != TW_CTRL_DRAFT_SKEYSEED &&
	       conf->draft_secret != TW_CTRL_DRAFT_KEYMAT) ||
	      (conf->draft_sid_key && conf->draft_variant != TW_CTRL_DRAFT_BASE)))) {
		errno = EINVAL;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	srv->conf = *conf;
	if (srv->conf.msg_deadline_ms == 0)
		srv->conf.msg_deadline_ms = DEFAULT_DEADLINE_MS;
	if (srv->conf.out_max == 0)
		srv->conf.out_max = DEFAULT_OUT_MAX;
	srv->ops = *ops;
	srv->arg = arg;
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0) {
		int err = errno;

		free(srv);
		errno = err;
		return NULL;
	}
	return srv;
}

void tw_ctrl_server_destroy(struct tw_ctrl_server *srv)
{
	if (srv == NULL)
		return;
	for (struct conn *c = srv->conns; c != NULL; c = c->next)
		conn_close(c, TW_CTRL_SRV_CLOSE_SHUTDOWN);
	for (struct conn *c = srv->conns; c != NULL; c = c->next)
		c->dead = true;
	reap(srv);
	for (unsigned i = 0; i < srv->n_listen; i++)
		close(srv->listen[i].fd);
	close(srv->epfd);
	free(srv);
}

int tw_ctrl_server_listen(struct tw_ctrl_server *srv, int family,
			  const uint8_t addr[16], uint16_t port,
			  enum tw_ctrl_proto proto)
{
	struct sockaddr_storage ss;
	struct listener *l;
	struct epoll_event ev;
	socklen_t sl;
	int fd, one = 1, err;

	if (srv == NULL || addr == NULL || (family != AF_INET && family != AF_INET6) ||
	    (proto != TW_CTRL_TWAMP && proto != TW_CTRL_OWAMP))
		return -EINVAL;
	if (srv->n_listen >= LISTEN_MAX)
		return -ENOSPC;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, addr, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, addr, 16);
		sl = sizeof(*s6);
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* the address may still be tentative (IPv6 DAD on a fresh TAP) */
	(void)setsockopt(fd, family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
			 family == AF_INET ? IP_FREEBIND : IPV6_FREEBIND, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
	    bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		goto fail;
	l = &srv->listen[srv->n_listen];
	l->kind = EV_LISTEN;
	l->fd = fd;
	l->proto = proto;
	l->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
					    ((struct sockaddr_in6 *)&ss)->sin6_port);
	ev.events = EPOLLIN;
	ev.data.ptr = l;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		goto fail;
	return (int)srv->n_listen++;
fail:
	err = -errno;
	close(fd);
	return err;
}

int tw_ctrl_server_listen_port(const struct tw_ctrl_server *srv, int idx)
{
	if (srv == NULL || idx < 0 || (unsigned)idx >= srv->n_listen)
		return -EINVAL;
	return srv->listen[idx].port;
}

int tw_ctrl_server_adopt(struct tw_ctrl_server *srv, int fd, enum tw_ctrl_proto proto)
{
	if (srv == NULL || fd < 0 || (proto != TW_CTRL_TWAMP && proto != TW_CTRL_OWAMP)) {
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	return conn_new(srv, fd, proto);
}

static void on_listen(struct tw_ctrl_server *srv, struct listener *l)
{
	for (int i = 0; i < ACCEPT_BURST; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return; /* EAGAIN, or an aborted connection */
		(void)conn_new(srv, fd, l->proto);
	}
}

int tw_ctrl_server_poll(struct tw_ctrl_server *srv, int timeout_ms)
{
	struct epoll_event ev[EVENTS_MAX];
	uint64_t now;
	int n;

	if (srv == NULL)
		return -EINVAL;
	n = epoll_wait(srv->epfd, ev, EVENTS_MAX, timeout_ms);
	if (n < 0 && errno != EINTR)
		return -errno;
	if (n < 0)
		n = 0;
	now = mono_ms();
	for (int i = 0; i < n; i++) {
		enum ev_kind *k = ev[i].data.ptr;
		struct conn *c;

		if (*k == EV_LISTEN) {
			on_listen(srv, (struct listener *)k);
			continue;
		}
		c = (struct conn *)k;
		if (c->dead)
			continue;
		if ((ev[i].events & EPOLLOUT) || c->state == ST_CLOSING)
			out_flush(c);
		if (c->state != ST_CLOSING && !c->dead &&
		    (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			conn_read(c, now);
		if (!c->dead && c->out_off < c->out_len)
			out_flush(c);
	}
	timers(srv, now);
	for (struct conn *c = srv->conns; c != NULL; c = c->next)
		if (!c->dead && c->out_off < c->out_len && !c->want_out)
			out_flush(c);
	reap(srv);
	return n;
}

int tw_ctrl_server_session_expired(struct tw_ctrl_server *srv, uint64_t conn_id,
				   uint64_t handle)
{
	if (srv == NULL)
		return -EINVAL;
	for (struct conn *c = srv->conns; c != NULL; c = c->next) {
		if (c->id != conn_id || c->dead || c->state == ST_CLOSING)
			continue;
		for (uint32_t i = 0; i < c->n_sess; i++) {
			struct sess *s = &c->sess[i];

			if (s->handle != handle)
				continue;
			if (!s->started || s->stopped || s->expired)
				return 0;
			s->expired = true;
			if (++c->n_expired == c->n_running)
				c->last_rx_ms = mono_ms(); /* SERVWAIT resumes now */
			return 0;
		}
	}
	return -ENOENT;
}

int tw_ctrl_server_fd(const struct tw_ctrl_server *srv)
{
	return srv != NULL ? srv->epfd : -EINVAL;
}

int tw_ctrl_server_stats(const struct tw_ctrl_server *srv, struct tw_ctrl_server_stats *out)
{
	if (srv == NULL || out == NULL)
		return -EINVAL;
	*out = srv->st;
	return 0;
}
