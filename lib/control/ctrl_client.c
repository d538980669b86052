/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP (RFC 5357 §3) and OWAMP (RFC 4656 §3) Control-Client.
 *
 * The client is strictly request/response: every exported call writes one
 * command and reads the answers it implies, each step bounded by the
 * deadline. The server never speaks unasked (an OWAMP server may send
 * Stop-Sessions; that is read by tw_ctrl_client_ow_stop()), so anything
 * waiting on the socket before a command is a violation. Violations,
 * timeouts and a peer that closes end the connection; refusals do not.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctrl_priv.h"
#include "tw_ctrl_client.h"

enum sess_state {
	SESS_ACCEPTED,
	SESS_STARTED,
};

struct sess {
	uint8_t sid[TW_CTRL_SID_LEN];
	bool conf_sender;   /* OWAMP: the server sends */
	bool conf_receiver; /* OWAMP: the server receives */
	uint8_t state;      /* enum sess_state */
};

struct tw_ctrl_client {
	enum tw_ctrl_proto proto;
	uint32_t modes, options, options_required, exact_mode;
	enum tw_crypto_token_key_mode token_key;
	uint32_t count_cap;
	int timeout_ms;
	bool have_keyid;
	bool ikev2;
	bool draft;                     /* the seed draft's profile */
	struct tw_ctrl_client_draft dc; /* .secret points to c->secret */
	uint8_t keyid[TW_CTRL_KEYID_LEN];
	uint8_t *secret;
	size_t secret_len;

	int fd;
	uint32_t mode;          /* chosen Mode, 0 when not connected */
	uint32_t server_modes;
	tw_ntp_t start_time;
	uint8_t last_accept;
	struct tw_crypto_ctrl *cc;        /* NULL in unauthenticated mode */
	struct tw_crypto_session_keys sk; /* control session keys */
	struct sockaddr_storage local, peer;

	struct sess *sess;
	uint32_t n_sess, cap_sess;

	uint8_t *buf;
	size_t buf_cap;
	char err[256];
};

/* ------------------------------------------------------------ helpers */

/* strerror() may share a buffer between threads; the description table
 * does not (a client runs in its own thread). */
static const char *errtext(int e)
{
	const char *t = strerrordesc_np(e);

	return t != NULL ? t : "unknown error";
}

static bool keyed_mode(uint32_t mode)
{
	return (mode & (TW_MODE_AUTH | TW_MODE_ENCRYPTED | TW_MODE_MIXED)) != 0;
}

/* The IKEv2Derived bit (RFC 7717 §7): TWAMP bit 7, OWAMP bit 4. */
static uint32_t ike_bit(enum tw_ctrl_proto proto)
{
	return proto == TW_CTRL_TWAMP ? TW_MODE_IKEV2 : TW_MODE_OWAMP_IKEV2;
}

__attribute__((format(printf, 3, 4)))
static int fail(struct tw_ctrl_client *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return code;
}

static void conn_close(struct tw_ctrl_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->mode = 0;
	tw_crypto_ctrl_destroy(c->cc);
	c->cc = NULL;
	tw_crypto_wipe(&c->sk, sizeof(c->sk));
	if (c->buf != NULL)
		tw_crypto_wipe(c->buf, c->buf_cap);
	c->n_sess = 0;
}

/* A failure after which the stream cannot be trusted: close, report. */
__attribute__((format(printf, 3, 4)))
static int violate(struct tw_ctrl_client *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	conn_close(c);
	return code;
}

int tw_ctrl_client_accept_errno(uint8_t accept)
{
	switch (tw_proto_ctrl_accept_normalize(accept)) {
	case TW_ACCEPT_OK:
		return 0;
	case TW_ACCEPT_INTERNAL:
		return -EREMOTEIO;
	case TW_ACCEPT_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	case TW_ACCEPT_PERMANENT:
		return -ENOSPC;
	case TW_ACCEPT_TEMPORARY:
		return -EAGAIN;
	case TW_ACCEPT_NO_IKEV2_SA:
		return -ENOKEY;
	default:
		return -EACCES;
	}
}

static int refused(struct tw_ctrl_client *c, const char *what, uint8_t accept)
{
	c->last_accept = accept;
	return fail(c, tw_ctrl_client_accept_errno(accept),
		    "server refused %s: Accept %u (%s)", what, accept,
		    tw_proto_ctrl_accept_name(accept));
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int grow(struct tw_ctrl_client *c, size_t need)
{
	size_t cap = c->buf_cap;
	uint8_t *nb;

	if (need <= cap)
		return 0;
	while (cap < need)
		cap *= 2;
	nb = malloc(cap);
	if (nb == NULL)
		return -ENOMEM;
	memcpy(nb, c->buf, c->buf_cap);
	tw_crypto_wipe(c->buf, c->buf_cap);
	free(c->buf);
	c->buf = nb;
	c->buf_cap = cap;
	return 0;
}

/* Wait for @p events until @p deadline; 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int64_t left = deadline - now_ms();
		int r;

		if (left < 0)
			left = 0;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int io_write(struct tw_ctrl_client *c, const uint8_t *p, size_t len,
		    const char *what)
{
	int64_t deadline = now_ms() + c->timeout_ms;
	size_t done = 0;

	while (done < len) {
		ssize_t w = send(c->fd, p + done, len - done, MSG_NOSIGNAL);
		int r;

		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return violate(c, errno == EPIPE ? -ECONNRESET : -errno,
				       "sending %s: %s", what, errtext(errno));
		r = wait_fd(c->fd, POLLOUT, deadline);
		if (r == -ETIMEDOUT)
			return violate(c, r, "sending %s: no progress in %d ms",
				       what, c->timeout_ms);
		if (r < 0)
			return violate(c, r, "sending %s: %s", what, errtext(-r));
	}
	return 0;
}

static int io_read(struct tw_ctrl_client *c, uint8_t *p, size_t len,
		   int64_t deadline, const char *what)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = recv(c->fd, p + done, len - done, 0);
		int r;

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0)
			return violate(c, -ECONNRESET,
				       "server closed the connection %s %s",
				       done ? "in the middle of" : "instead of sending",
				       what);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return violate(c, -errno, "reading %s: %s", what,
				       errtext(errno));
		r = wait_fd(c->fd, POLLIN, deadline);
		if (r == -ETIMEDOUT)
			return violate(c, r,
				       "timed out after %d ms waiting for %s (%zu of %zu octets)",
				       c->timeout_ms, what, done, len);
		if (r < 0)
			return violate(c, r, "reading %s: %s", what, errtext(-r));
	}
	return 0;
}

static int crypto_err(struct tw_ctrl_client *c, int r, const char *what)
{
	if (r == -TW_PROTO_E_HMAC)
		return violate(c, -EBADMSG, "%s: HMAC mismatch", what);
	return violate(c, r == -TW_PROTO_E_NOMEM ? -ENOMEM : -EIO, "%s: %s",
		       what, tw_proto_strerror(r));
}

/*
 * Read @p len octets into c->buf + off: decrypted into the pending HMAC, or
 * (@p hmac_end) decrypted and checked against the HMAC in their last block
 * (RFC 4656 §3.2). Clear text in unauthenticated mode.
 */
static int read_part(struct tw_ctrl_client *c, size_t off, size_t len,
		     bool hmac_end, int64_t deadline, const char *what)
{
	int r;

	if (grow(c, off + len) != 0)
		return violate(c, -ENOMEM, "%s: out of memory", what);
	r = io_read(c, c->buf + off, len, deadline, what);
	if (r < 0 || c->cc == NULL || len == 0)
		return r;
	r = hmac_end ? tw_crypto_ctrl_open(c->cc, c->buf + off, len) :
		       tw_crypto_ctrl_decrypt(c->cc, c->buf + off, len);
	return r < 0 ? crypto_err(c, r, what) : 0;
}

/*
 * Read one message into c->buf, framed by tw_proto_ctrl_msg_len(): first
 * block, then whatever the length fields ask for, then the rest with its
 * HMAC. @return its length or a negative errno (connection closed).
 */
static int recv_msg(struct tw_ctrl_client *c, enum tw_ctrl_expect expect,
		    const char *what)
{
	int64_t deadline = now_ms() + c->timeout_ms;
	size_t have = TW_CTRL_BLOCK, need = 0;
	int n, r;

	r = read_part(c, 0, TW_CTRL_BLOCK, false, deadline, what);
	if (r < 0)
		return r;
	for (;;) {
		n = tw_proto_ctrl_msg_len(c->proto, c->mode, expect, c->buf,
					  have, &need);
		if (n > 0)
			break;
		if (n < 0)
			return violate(c, -EPROTO, "%s: %s (first octet %u)",
				       what, tw_proto_strerror(n), c->buf[0]);
		if (need <= have || need % TW_CTRL_BLOCK != 0)
			return violate(c, -EPROTO, "%s: bad framing", what);
		r = read_part(c, have, need - have, false, deadline, what);
		if (r < 0)
			return r;
		have = need;
	}
	if ((size_t)n < have + TW_CTRL_HMAC_LEN || n % TW_CTRL_BLOCK != 0)
		return violate(c, -EPROTO, "%s: bad framing", what);
	r = read_part(c, have, (size_t)n - have, true, deadline, what);
	return r < 0 ? r : n;
}

/* Seal (keyed modes) and send @p len octets of c->buf, HMAC slot last. */
static int send_buf(struct tw_ctrl_client *c, size_t len, const char *what)
{
	if (c->cc != NULL) {
		int r = tw_crypto_ctrl_seal(c->cc, c->buf, len);

		if (r < 0)
			return crypto_err(c, r, what);
	}
	return io_write(c, c->buf, len, what);
}

/*
 * Before a command: the server has no reason to have spoken. Data waiting
 * means it sent something unasked (or closed): the stream is out of step.
 */
static int check_quiet(struct tw_ctrl_client *c, const char *what)
{
	uint8_t b;
	ssize_t n;

	if (c->fd < 0)
		return fail(c, -ENOTCONN, "%s: not connected", what);
	n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return violate(c, -ECONNRESET,
			       "server closed the connection before %s", what);
	if (n > 0)
		return violate(c, -EPROTO,
			       "server sent data unasked before %s (first octet %u)",
			       what, b);
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		return violate(c, -errno, "before %s: %s", what, errtext(errno));
	return 0;
}

static struct sess *sess_find(struct tw_ctrl_client *c, const uint8_t *sid)
{
	for (uint32_t i = 0; i < c->n_sess; i++)
		if (memcmp(c->sess[i].sid, sid, TW_CTRL_SID_LEN) == 0)
			return &c->sess[i];
	return NULL;
}

static int sess_add(struct tw_ctrl_client *c, const uint8_t *sid,
		    bool conf_sender, bool conf_receiver)
{
	struct sess *s;

	if (c->n_sess == c->cap_sess) {
		uint32_t cap = c->cap_sess ? 2 * c->cap_sess : 8;
		struct sess *ns = realloc(c->sess, (size_t)cap * sizeof(*ns));

		if (ns == NULL)
			return -ENOMEM;
		c->sess = ns;
		c->cap_sess = cap;
	}
	s = &c->sess[c->n_sess++];
	memcpy(s->sid, sid, TW_CTRL_SID_LEN);
	s->conf_sender = conf_sender;
	s->conf_receiver = conf_receiver;
	s->state = SESS_ACCEPTED;
	return 0;
}

static void sess_del(struct tw_ctrl_client *c, struct sess *s)
{
	*s = c->sess[--c->n_sess];
}

/* ------------------------------------------------------ create/destroy */

/* The draft profile's secret takes the place of the passphrase (no KeyID). */
static const struct tw_ctrl_client_conf *draft_conf(const struct tw_ctrl_client_conf *conf,
						    struct tw_ctrl_client_conf *tmp)
{
	*tmp = *conf;
	tmp->keyid = NULL;
	tmp->keyid_raw = NULL;
	tmp->secret = conf->draft->secret;
	tmp->secret_len = conf->draft->variant == TW_CTRL_DRAFT_ALT2 ? 0 : conf->draft->secret_len;
	return tmp;
}

struct tw_ctrl_client *tw_ctrl_client_create(const struct tw_ctrl_client_conf *conf)
{
	struct tw_ctrl_client_conf dconf;
	struct tw_ctrl_client *c;
	uint32_t sec_mask, security;
	bool keyed;

	if (conf == NULL || (conf->proto != TW_CTRL_TWAMP &&
			     conf->proto != TW_CTRL_OWAMP) ||
	    conf->timeout_ms < 0 ||
	    (conf->token_key != TW_CRYPTO_TOKEN_KEY_PBKDF2 &&
	     conf->token_key != TW_CRYPTO_TOKEN_KEY_DIRECT)) {
		errno = EINVAL;
		return NULL;
	}
	sec_mask = conf->proto == TW_CTRL_TWAMP ? TW_MODE_SECURITY_TWAMP :
						  TW_MODE_SECURITY_OWAMP;
	if (conf->exact_mode != 0) {
		security = conf->exact_mode & sec_mask;
		/* exactly one security bit */
		if (security == 0 || (security & (security - 1)) != 0 ||
		    (conf->proto == TW_CTRL_OWAMP &&
		     (conf->exact_mode & ~(uint32_t)TW_MODE_OWAMP_IKEV2) != security) ||
		    ((conf->exact_mode & ike_bit(conf->proto)) != 0 && !keyed_mode(security))) {
			errno = EINVAL;
			return NULL;
		}
	} else {
		security = conf->modes;
		if (security == 0 || (security & ~sec_mask) != 0 ||
		    (conf->options & sec_mask) != 0 ||
		    (conf->proto == TW_CTRL_OWAMP && conf->options != 0) ||
		    (conf->options_required & ~conf->options) != 0) {
			errno = EINVAL;
			return NULL;
		}
	}
	if (conf->draft != NULL) {
		const struct tw_ctrl_client_draft *d = conf->draft;

		if ((d->variant != TW_CTRL_DRAFT_BASE && d->variant != TW_CTRL_DRAFT_ALT1 &&
		     d->variant != TW_CTRL_DRAFT_ALT2) ||
		    (d->protocol != TW_CTRL_DRAFT_PROTO_ESP &&
		     d->protocol != TW_CTRL_DRAFT_PROTO_AH) ||
		    d->spi_in < TW_CTRL_DRAFT_SPI_MIN || d->spi_out < TW_CTRL_DRAFT_SPI_MIN ||
		    (d->sid_key && d->variant != TW_CTRL_DRAFT_BASE) ||
		    (d->variant != TW_CTRL_DRAFT_ALT2 &&
		     (d->secret == NULL || d->secret_len == 0 ||
		      tw_crypto_prf_len(d->prf) < 0 ||
		      (d->variant == TW_CTRL_DRAFT_ALT1 &&
		       d->secret_len < TW_CRYPTO_AES_KEY))) ||
		    (conf->exact_mode != 0 ? (conf->exact_mode & ike_bit(conf->proto)) == 0 :
					     !keyed_mode(security))) {
			errno = EINVAL;
			return NULL;
		}
	} else if (conf->ikev2 && conf->exact_mode == 0 &&
	    !keyed_mode(security)) {
		errno = EINVAL; /* IKEv2Derived needs a keyed mode */
		return NULL;
	}
	keyed = keyed_mode(security) || conf->ikev2;
	if (keyed && conf->draft == NULL && ((conf->keyid == NULL && conf->keyid_raw == NULL) ||
		      conf->secret == NULL || conf->secret_len == 0 ||
		      (conf->token_key == TW_CRYPTO_TOKEN_KEY_DIRECT &&
		       conf->secret_len < TW_CRYPTO_AES_KEY))) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	c->fd = -1;
	c->last_accept = 0xFF;
	c->proto = conf->proto;
	c->modes = conf->modes;
	c->options = conf->options;
	c->options_required = conf->options_required;
	c->exact_mode = conf->exact_mode;
	c->ikev2 = (conf->ikev2 || conf->draft != NULL) && conf->exact_mode == 0;
	c->token_key = conf->token_key;
	if (conf->draft != NULL) {
		c->draft = true;
		c->dc = *conf->draft;
		c->dc.secret = NULL;
		c->token_key = TW_CRYPTO_TOKEN_KEY_PBKDF2; /* base: RFC 4656 */
		conf = draft_conf(conf, &dconf);
	}
	c->count_cap = conf->count_cap ? conf->count_cap : TW_CTRL_COUNT_CAP_DEFAULT;
	c->timeout_ms = conf->timeout_ms ? conf->timeout_ms : TW_CTRL_CLIENT_TIMEOUT_MS;
	if (conf->keyid != NULL) {
		if (tw_proto_ctrl_keyid_from_name(c->keyid, conf->keyid,
						  strlen(conf->keyid)) != 0)
			goto inval;
		c->have_keyid = true;
	} else if (conf->keyid_raw != NULL) {
		memcpy(c->keyid, conf->keyid_raw, TW_CTRL_KEYID_LEN);
		c->have_keyid = true;
	}
	if (conf->secret != NULL && conf->secret_len > 0) {
		c->secret = malloc(conf->secret_len);
		if (c->secret == NULL) {
			tw_ctrl_client_destroy(c);
			errno = ENOMEM;
			return NULL;
		}
		memcpy(c->secret, conf->secret, conf->secret_len);
		c->secret_len = conf->secret_len;
	}
	c->buf_cap = 4096;
	c->buf = malloc(c->buf_cap);
	if (c->buf == NULL) {
		tw_ctrl_client_destroy(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
inval:
	tw_ctrl_client_destroy(c);
	errno = EINVAL;
	return NULL;
}

void tw_ctrl_client_destroy(struct tw_ctrl_client *c)
{
	if (c == NULL)
		return;
	conn_close(c);
	if (c->secret != NULL) {
		tw_crypto_wipe(c->secret, c->secret_len);
		free(c->secret);
	}
	free(c->buf);
	free(c->sess);
	tw_crypto_wipe(c, sizeof(*c));
	free(c);
}

/* ---------------------------------------------------- connection setup */

static const char *mode_names(enum tw_ctrl_proto proto, uint32_t modes,
			      char *out, size_t cap)
{
	size_t off = 0;

	out[0] = '\0';
	for (unsigned b = 0; b < 32 && off < cap; b++) {
		if (!(modes & (1u << b)))
			continue;
		off += (size_t)snprintf(out + off, cap - off, "%s%s",
					off ? ", " : "",
					tw_proto_ctrl_mode_name(proto, b));
	}
	if (modes == 0)
		snprintf(out, cap, "none");
	return out;
}

/* RFC 4656 §3.1: the client picks one security mode the server offers. */
static int choose_mode(struct tw_ctrl_client *c, uint32_t offered,
		       uint32_t *mode)
{
	static const uint32_t pref[] = { TW_MODE_ENCRYPTED, TW_MODE_AUTH,
					 TW_MODE_MIXED, TW_MODE_UNAUTH };
	char a[320], b[320];
	uint32_t missing;

	if (c->exact_mode != 0) {
		if (tw_proto_ctrl_mode_check(c->proto, offered, c->exact_mode) != 0)
			return fail(c, -ENOPROTOOPT,
				    "server offers modes {%s}; the requested mode {%s} is not among them",
				    mode_names(c->proto, offered, a, sizeof(a)),
				    mode_names(c->proto, c->exact_mode, b, sizeof(b)));
		*mode = c->exact_mode;
		return 0;
	}
	*mode = 0;
	if (c->ikev2 && !(offered & ike_bit(c->proto)))
		return fail(c, -ENOPROTOOPT,
			    c->draft ? "server offers modes {%s}: no IKEv2 bit (seed draft: it "
				       "has no Child SA to this client)" :
				       "server offers modes {%s}: no IKEv2Derived (RFC 7717; it has no IKE SA)",
			    mode_names(c->proto, offered, a, sizeof(a)));
	for (unsigned i = 0; i < sizeof(pref) / sizeof(pref[0]); i++) {
		if (c->proto == TW_CTRL_OWAMP && pref[i] == TW_MODE_MIXED)
			continue;
		if (c->ikev2 && pref[i] == TW_MODE_UNAUTH)
			continue;
		if (c->modes & offered & pref[i]) {
			*mode = pref[i];
			break;
		}
	}
	if (*mode == 0)
		return fail(c, -ENOPROTOOPT,
			    "no common security mode: server offers {%s}, client allows {%s}",
			    mode_names(c->proto, offered, a, sizeof(a)),
			    mode_names(c->proto, c->modes, b, sizeof(b)));
	missing = c->options_required & ~offered;
	if (missing != 0)
		return fail(c, -ENOPROTOOPT,
			    "server does not offer required option(s) {%s}",
			    mode_names(c->proto, missing, a, sizeof(a)));
	*mode |= c->options & offered;
	if (c->ikev2)
		*mode |= ike_bit(c->proto);
	return 0;
}

static int token_key(struct tw_ctrl_client *c, const struct tw_ctrl_greeting *g,
		     uint8_t key[TW_CRYPTO_AES_KEY])
{
	int r;

	if (c->token_key == TW_CRYPTO_TOKEN_KEY_DIRECT)
		r = tw_crypto_rfc7717_token_key(TW_CRYPTO_TOKEN_KEY_DIRECT,
						c->secret, c->secret_len,
						g->salt, g->count, c->count_cap,
						key);
	else
		r = tw_crypto_token_key(c->secret, c->secret_len, g->salt,
					g->count, c->count_cap, key);
	if (r == -TW_PROTO_E_RANGE)
		return fail(c, -ERANGE,
			    "server greeting Count %u is above the cap %u (RFC 5357 §6)",
			    g->count, c->count_cap);
	if (r < 0)
		return fail(c, -EIO, "token key: %s", tw_proto_strerror(r));
	return 0;
}

/* Best effort: tell the server we quit (Mode 0, RFC 4656 §3.1). */
static void send_mode0(struct tw_ctrl_client *c)
{
	uint8_t b[TW_CTRL_SETUP_RESPONSE_LEN];
	struct tw_ctrl_setup_response sr;

	memset(&sr, 0, sizeof(sr));
	if (tw_proto_ctrl_setup_response_encode(&sr, b, sizeof(b)) > 0)
		(void)send(c->fd, b, sizeof(b), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static const char *draft_name(enum tw_ctrl_draft_variant v)
{
	return v == TW_CTRL_DRAFT_ALT1 ? "alt1" : v == TW_CTRL_DRAFT_ALT2 ? "alt2" : "base";
}

/*
 * Seed draft §4.1: a greeting with the IKEv2 bit carries the SA binding;
 * "the client MUST close the connection if it receives a greeting with an
 * erroneous SPI and protocol value": nothing more is sent.
 */
static int draft_greeting(struct tw_ctrl_client *c, struct tw_ctrl_greeting *g)
{
	struct tw_ctrl_draft_greeting d;
	int r;

	r = tw_proto_ctrl_draft_greeting_decode(c->dc.variant, c->buf, TW_CTRL_GREETING_LEN, &d);
	if (r < 0)
		return violate(c, -EPROTO, "Server Greeting (seed draft, %s): %s",
			       draft_name(c->dc.variant), tw_proto_strerror(r));
	c->server_modes = d.modes;
	if (d.protocol != c->dc.protocol || d.spi_in != c->dc.spi_in ||
	    d.spi_out != c->dc.spi_out)
		return violate(c, -EKEYREJECTED,
			       "Server Greeting binds %s SPIs 0x%08x (to server) / 0x%08x "
			       "(from server), our SA is %s 0x%08x / 0x%08x: closed "
			       "without a reply (seed draft: MUST close)",
			       d.protocol == TW_CTRL_DRAFT_PROTO_AH ? "AH" : "ESP", d.spi_in,
			       d.spi_out, c->dc.protocol == TW_CTRL_DRAFT_PROTO_AH ? "AH" : "ESP",
			       c->dc.spi_in, c->dc.spi_out);
	memset(g, 0, sizeof(*g));
	g->modes = d.modes;
	memcpy(g->challenge, d.challenge, 16);
	memcpy(g->salt, d.salt, 16);
	g->count = d.count;
	tw_crypto_wipe(&d, sizeof(d));
	return 0;
}

/*
 * Seed draft §4.2.1 / §4.2.2: the Alternative 1 or 2 Set-Up-Response and
 * the session keys it stands for (docs/protocol.md); sent here.
 */
static int draft_setup_response(struct tw_ctrl_client *c, const struct tw_ctrl_greeting *g,
				uint32_t mode, uint8_t client_iv[16])
{
	struct tw_ctrl_draft_setup_response d;
	int r;

	memset(&d, 0, sizeof(d));
	d.mode = mode;
	if (tw_crypto_random(d.client_iv, sizeof(d.client_iv)) < 0)
		return violate(c, -EIO, "Set-Up-Response: crypto failure");
	if (c->dc.variant == TW_CTRL_DRAFT_ALT1) {
		if (tw_crypto_draft_alt1_keys(c->dc.prf, c->secret, c->secret_len, &c->sk) < 0 ||
		    tw_crypto_draft_alt1_token(c->secret, c->secret_len, g->challenge,
					       d.token) < 0)
			return violate(c, -EIO, "Set-Up-Response: crypto failure");
	} else {
		c->sk = c->dc.alt2;
	}
	memcpy(client_iv, d.client_iv, 16);
	r = tw_proto_ctrl_draft_setup_response_encode(c->dc.variant, &d, c->buf, c->buf_cap);
	tw_crypto_wipe(&d, sizeof(d));
	if (r < 0)
		return violate(c, -EIO, "Set-Up-Response: %s", tw_proto_strerror(r));
	return io_write(c, c->buf, TW_CTRL_SETUP_RESPONSE_LEN, "Set-Up-Response");
}

static int setup(struct tw_ctrl_client *c)
{
	struct tw_ctrl_greeting g;
	struct tw_ctrl_setup_response sr;
	struct tw_ctrl_server_start ss;
	uint8_t key[TW_CRYPTO_AES_KEY];
	uint32_t mode = 0;
	int r;

	r = read_part(c, 0, TW_CTRL_GREETING_LEN, false,
		      now_ms() + c->timeout_ms, "Server Greeting");
	if (r < 0)
		return r;
	if (c->draft && (tw_get_be32(c->buf + 12) & ike_bit(c->proto)) != 0) {
		r = draft_greeting(c, &g);
		if (r < 0)
			return r;
	} else {
		r = tw_proto_ctrl_greeting_decode(c->buf, TW_CTRL_GREETING_LEN, &g);
		if (r < 0)
			return violate(c, -EPROTO, "Server Greeting: %s",
				       tw_proto_strerror(r));
	}
	c->server_modes = g.modes;
	if (g.modes == 0)
		return violate(c, -ECONNREFUSED,
			       "server greeting offers Modes 0: the server refuses the connection");
	r = choose_mode(c, g.modes, &mode);
	if (r < 0) {
		send_mode0(c);
		conn_close(c);
		return r;
	}

	memset(&sr, 0, sizeof(sr));
	sr.mode = mode;
	if (c->draft && c->dc.variant != TW_CTRL_DRAFT_BASE) {
		r = draft_setup_response(c, &g, mode, sr.client_iv);
		if (r < 0)
			return r;
		goto sent;
	}
	if (keyed_mode(mode)) {
		r = token_key(c, &g, key);
		if (r < 0) {
			send_mode0(c);
			conn_close(c);
			return r;
		}
		memcpy(sr.keyid, c->keyid, TW_CTRL_KEYID_LEN);
		if (tw_crypto_random(&c->sk, sizeof(c->sk)) < 0 ||
		    tw_crypto_random(sr.client_iv, sizeof(sr.client_iv)) < 0 ||
		    tw_crypto_token_encrypt(key, g.challenge, &c->sk, sr.token) < 0) {
			tw_crypto_wipe(key, sizeof(key));
			return violate(c, -EIO, "Set-Up-Response: crypto failure");
		}
		tw_crypto_wipe(key, sizeof(key));
	}
	r = tw_proto_ctrl_setup_response_encode(&sr, c->buf, c->buf_cap);
	tw_crypto_wipe(&sr.token, sizeof(sr.token));
	if (r < 0)
		return violate(c, -EIO, "Set-Up-Response: %s", tw_proto_strerror(r));
	r = io_write(c, c->buf, TW_CTRL_SETUP_RESPONSE_LEN, "Set-Up-Response");
	if (r < 0)
		return r;
sent:

	/* Server-Start: octets 0-31 in clear; 32-47 the first encrypted block. */
	r = read_part(c, 0, TW_CTRL_SERVER_START_LEN, false,
		      now_ms() + c->timeout_ms, "Server-Start");
	if (r < 0)
		return r;
	(void)tw_proto_ctrl_server_start_decode(c->buf, TW_CTRL_SERVER_START_LEN, &ss);
	c->last_accept = ss.accept;
	if (ss.accept != TW_ACCEPT_OK) {
		r = refused(c, "the connection (Server-Start)", ss.accept);
		conn_close(c);
		return r;
	}
	if (keyed_mode(mode)) {
		c->cc = tw_crypto_ctrl_create(TW_CRYPTO_CLIENT, &c->sk,
					      sr.client_iv, ss.server_iv);
		if (c->cc == NULL)
			return violate(c, -EIO, "control crypto context: failure");
		r = tw_crypto_ctrl_server_start(c->cc, c->buf,
						TW_CTRL_SERVER_START_LEN);
		if (r < 0)
			return crypto_err(c, r, "Server-Start");
		(void)tw_proto_ctrl_server_start_decode(c->buf,
							TW_CTRL_SERVER_START_LEN, &ss);
	}
	c->start_time = ss.start_time;
	c->mode = mode;
	c->err[0] = '\0';
	return 0;
}

static int conn_prepare(struct tw_ctrl_client *c, int fd)
{
	socklen_t l;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int e = errno;

		close(fd);
		return fail(c, -e, "socket: %s", errtext(e));
	}
	c->fd = fd;
	l = sizeof(c->local);
	if (getsockname(fd, (struct sockaddr *)&c->local, &l) < 0)
		memset(&c->local, 0, sizeof(c->local));
	l = sizeof(c->peer);
	if (getpeername(fd, (struct sockaddr *)&c->peer, &l) < 0) {
		int e = errno;

		return violate(c, e == ENOTCONN ? -ENOTCONN : -e,
			       "socket is not connected: %s", errtext(e));
	}
	c->n_sess = 0;
	c->last_accept = 0xFF;
	c->server_modes = 0;
	c->start_time = 0;
	return 0;
}

int tw_ctrl_client_connect_fd(struct tw_ctrl_client *c, int fd)
{
	int r;

	if (c == NULL || fd < 0)
		return -EINVAL;
	if (c->fd >= 0) {
		close(fd);
		return fail(c, -EBUSY, "already connected");
	}
	r = conn_prepare(c, fd);
	return r < 0 ? r : setup(c);
}

int tw_ctrl_client_connect(struct tw_ctrl_client *c,
			   const struct sockaddr *server, socklen_t server_len,
			   const struct sockaddr *local, socklen_t local_len)
{
	int fd, r, soerr = 0;
	socklen_t l = sizeof(soerr);

	if (c == NULL || server == NULL ||
	    (server->sa_family != AF_INET && server->sa_family != AF_INET6) ||
	    (local != NULL && local->sa_family != server->sa_family))
		return c ? fail(c, -EINVAL, "connect: bad address") : -EINVAL;
	if (c->fd >= 0)
		return fail(c, -EBUSY, "already connected");
	fd = socket(server->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(c, -errno, "socket: %s", errtext(errno));
	if (local != NULL && bind(fd, local, local_len) < 0) {
		r = -errno;
		close(fd);
		return fail(c, r, "bind: %s", errtext(-r));
	}
	if (connect(fd, server, server_len) < 0 && errno != EINPROGRESS) {
		r = -errno;
		close(fd);
		return fail(c, r, "connect: %s", errtext(-r));
	}
	r = wait_fd(fd, POLLOUT, now_ms() + c->timeout_ms);
	if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &l) == 0 &&
	    soerr != 0)
		r = -soerr;
	if (r < 0) {
		close(fd);
		return fail(c, r, "connect: %s", r == -ETIMEDOUT ?
			    "timed out" : errtext(-r));
	}
	r = conn_prepare(c, fd);
	return r < 0 ? r : setup(c);
}

void tw_ctrl_client_close(struct tw_ctrl_client *c)
{
	if (c != NULL)
		conn_close(c);
}

bool tw_ctrl_client_connected(const struct tw_ctrl_client *c)
{
	return c != NULL && c->fd >= 0;
}

int tw_ctrl_client_fd(const struct tw_ctrl_client *c)
{
	return c ? c->fd : -1;
}

uint32_t tw_ctrl_client_mode(const struct tw_ctrl_client *c)
{
	return c ? c->mode : 0;
}

uint32_t tw_ctrl_client_server_modes(const struct tw_ctrl_client *c)
{
	return c ? c->server_modes : 0;
}

tw_ntp_t tw_ctrl_client_server_start_time(const struct tw_ctrl_client *c)
{
	return c ? c->start_time : 0;
}

uint8_t tw_ctrl_client_last_accept(const struct tw_ctrl_client *c)
{
	return c ? c->last_accept : 0xFF;
}

const char *tw_ctrl_client_error(const struct tw_ctrl_client *c)
{
	return c ? c->err : "no client";
}

int tw_ctrl_client_session_keys(const struct tw_ctrl_client *c,
				struct tw_crypto_session_keys *out)
{
	if (c == NULL || out == NULL)
		return -EINVAL;
	if (c->fd < 0)
		return -ENOTCONN;
	if (c->cc == NULL)
		return -EINVAL;
	*out = c->sk;
	return 0;
}

/* ------------------------------------------------------------ sessions */

/* The IP version and the 16-octet address of one end of the connection;
 * IPv4-mapped IPv6 reads as IPv4. */
static uint8_t sock_addr(const struct sockaddr_storage *ss, uint8_t out[16])
{
	memset(out, 0, 16);
	if (ss->ss_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return 4;
	}
	if (ss->ss_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

		if (memcmp(a, mapped, 12) == 0) {
			memcpy(out, a + 12, 4);
			return 4;
		}
		memcpy(out, a, 16);
		return 6;
	}
	return 0;
}

/* Build the common request fields; fill the result's addresses. */
static int req_fill(struct tw_ctrl_client *c, const struct tw_ctrl_session_req *q,
		    bool client_sends, bool client_receives,
		    struct tw_ctrl_request *m, struct tw_ctrl_session *out)
{
	uint8_t loc[16], rem[16], ipvn_l, ipvn_r, ipvn;
	static const uint8_t zero[16];
	struct tw_typep tp;

	/* RFC 4656 §3.5: Type-P formats 10 and 11 are not defined */
	if (tw_proto_ctrl_typep_decode(q->type_p, &tp) < 0)
		return fail(c, -EINVAL, "session request: Type-P Descriptor 0x%08x has an undefined format",
			    q->type_p);
	ipvn_l = sock_addr(&c->local, loc);
	ipvn_r = sock_addr(&c->peer, rem);
	ipvn = q->ipvn ? q->ipvn : ipvn_r;
	if (ipvn != 4 && ipvn != 6)
		return fail(c, -EINVAL, "session request: IP version %u", ipvn);
	memset(m, 0, sizeof(*m));
	m->ipvn = ipvn;
	m->sender_port = q->sender_port;
	m->receiver_port = q->receiver_port;
	memcpy(m->sender_addr, q->sender_addr, 16);
	memcpy(m->receiver_addr, q->receiver_addr, 16);
	if (ipvn == 4 && (!tw_proto_is_zero(q->sender_addr + 4, 12) ||
			  !tw_proto_is_zero(q->receiver_addr + 4, 12)))
		return fail(c, -EINVAL, "session request: IPv4 address with 16 octets");
	m->padding_length = q->padding_length;
	m->start_time = q->start_time;
	m->timeout = q->timeout;
	m->type_p = q->type_p;
	m->reflect_octets = q->reflect_octets;
	m->reflect_padding = q->reflect_padding;

	memset(out, 0, sizeof(*out));
	out->ipvn = ipvn;
	memcpy(out->sender_addr, q->sender_addr, 16);
	memcpy(out->receiver_addr, q->receiver_addr, 16);
	/* An all-zero address means that end of the control connection
	 * (RFC 4656 §3.5, RFC 5357 §3.5); report which one it is. */
	if (memcmp(q->sender_addr, zero, 16) == 0) {
		if ((client_sends ? ipvn_l : ipvn_r) != ipvn)
			return fail(c, -EINVAL,
				    "session request: zero sender address needs IPv%u control, not IPv%u",
				    ipvn, client_sends ? ipvn_l : ipvn_r);
		memcpy(out->sender_addr, client_sends ? loc : rem, 16);
	}
	if (memcmp(q->receiver_addr, zero, 16) == 0) {
		if ((client_receives ? ipvn_l : ipvn_r) != ipvn)
			return fail(c, -EINVAL,
				    "session request: zero receiver address needs IPv%u control, not IPv%u",
				    ipvn, client_receives ? ipvn_l : ipvn_r);
		memcpy(out->receiver_addr, client_receives ? loc : rem, 16);
	}
	out->sender_port = q->sender_port;
	out->receiver_port = q->receiver_port;
	out->mode = c->mode;
	return 0;
}

static int test_keys(struct tw_ctrl_client *c, struct tw_ctrl_session *out)
{
	/* Mixed mode (RFC 5618): encrypted control, unauthenticated test. */
	if (!(c->mode & (TW_MODE_AUTH | TW_MODE_ENCRYPTED)))
		return 0;
	if (c->draft && c->dc.sid_key && (c->mode & ike_bit(c->proto)) ?
		    /* seed draft §4.1: PRF{secret, SID} (docs/protocol.md) */
		    tw_crypto_draft_sid_keys(c->dc.prf, c->secret, c->secret_len, out->sid,
					     &out->test_keys) < 0 :
		    tw_crypto_test_keys(&c->sk, out->sid, &out->test_keys) < 0)
		return violate(c, -EIO, "test keys: crypto failure");
	out->has_keys = true;
	return 0;
}

/*
 * The Accept-Session answering the request just sent (RFC 4656 §3.5,
 * RFC 5357 §3.5, RFC 6038 §4.3). On Accept 0 the SID is the server's, or
 * @p own_sid when the client chose it (the answer's SID is then unused).
 * @return 0 (accepted), an Accept errno, or a failure code.
 */
static int read_answer(struct tw_ctrl_client *c, const uint8_t *own_sid,
		       struct tw_ctrl_accept_session *as, struct tw_ctrl_session *out)
{
	int n = recv_msg(c, TW_CTRL_EXPECT_ACCEPT_SESSION, "Accept-Session");

	if (n < 0)
		return n;
	(void)tw_proto_ctrl_accept_session_decode(c->buf, (size_t)n,
						  c->proto == TW_CTRL_TWAMP ? c->mode : 0,
						  as);
	c->last_accept = as->accept;
	out->accept = as->accept;
	out->server_port = as->port;
	if (as->accept != TW_ACCEPT_OK)
		return refused(c, "the session (Accept-Session)", as->accept);
	if (own_sid != NULL) {
		memcpy(out->sid, own_sid, TW_CTRL_SID_LEN);
		return 0;
	}
	if (tw_proto_is_zero(as->sid, TW_CTRL_SID_LEN) || sess_find(c, as->sid))
		return violate(c, -EPROTO, "Accept-Session: %s SID",
			       tw_proto_is_zero(as->sid, TW_CTRL_SID_LEN) ?
			       "zero" : "duplicate");
	memcpy(out->sid, as->sid, TW_CTRL_SID_LEN);
	return 0;
}

/* The prologue of every command: the right protocol, the stream in step. */
static int cmd_begin(struct tw_ctrl_client *c, enum tw_ctrl_proto proto,
		     const char *what)
{
	if (c->proto != proto)
		return fail(c, -EINVAL, "%s on %s connection", what,
			    c->proto == TW_CTRL_TWAMP ? "a TWAMP" : "an OWAMP");
	return check_quiet(c, what);
}

int tw_ctrl_client_request_tw_session(struct tw_ctrl_client *c,
				      const struct tw_ctrl_session_req *req,
				      struct tw_ctrl_session *out)
{
	struct tw_ctrl_accept_session as;
	struct tw_ctrl_request m;
	int r;

	if (c == NULL || req == NULL || out == NULL)
		return -EINVAL;
	r = cmd_begin(c, TW_CTRL_TWAMP, "Request-TW-Session");
	if (r < 0)
		return r;
	if (req->sender_port == 0)
		return fail(c, -EINVAL, "Request-TW-Session: sender port 0");
	if ((req->reflect_octets || req->reflect_padding) &&
	    !(c->mode & TW_MODE_REFLECT_OCTETS))
		return fail(c, -EINVAL,
			    "Request-TW-Session: octets to reflect need the reflect-octets mode (RFC 6038)");
	/* RFC 6038 §4.2: the padding reflected comes out of the padding sent
	 * (equal lengths allowed, as the reflector does: docs/protocol.md). */
	if (req->reflect_padding > req->padding_length)
		return fail(c, -EINVAL,
			    "Request-TW-Session: %u octets of padding to reflect, only %u sent (RFC 6038 §4.2)",
			    req->reflect_padding, req->padding_length);
	r = req_fill(c, req, true, false, &m, out);
	if (r < 0)
		return r;
	r = tw_proto_twamp_request_encode(&m, c->mode, c->buf, c->buf_cap);
	if (r < 0)
		return fail(c, -EINVAL, "Request-TW-Session: %s", tw_proto_strerror(r));
	r = send_buf(c, (size_t)r, "Request-TW-Session");
	if (r < 0)
		return r;
	r = read_answer(c, NULL, &as, out);
	if (r < 0)
		return r;
	/* RFC 5357 §3.5: Port is where the reflector receives; the server may
	 * suggest another than asked (RFC 8545 §5.1), never none. */
	if (as.port == 0)
		return violate(c, -EPROTO, "Accept-Session: accepted with Port 0");
	/* RFC 6038 §4.3: Reflected octets SHALL be those of the request. */
	if ((c->mode & TW_MODE_REFLECT_OCTETS) && as.reflected_octets != req->reflect_octets)
		return violate(c, -EPROTO,
			       "Accept-Session: Reflected octets 0x%04x, requested 0x%04x (RFC 6038 §4.3)",
			       as.reflected_octets, req->reflect_octets);
	out->receiver_port = as.port;
	out->reflected_octets = as.reflected_octets;
	out->server_octets = as.server_octets;
	if (sess_add(c, as.sid, false, false) < 0)
		return violate(c, -ENOMEM, "out of memory");
	return test_keys(c, out);
}

/* RFC 4656 §3.5: the client receives, so it makes the SID from its address. */
static int make_sid(struct tw_ctrl_client *c, uint8_t sid[TW_CTRL_SID_LEN])
{
	uint8_t a[16];
	uint8_t ipvn = sock_addr(&c->local, a);

	return ctrl_sid_make(sid, ipvn == 6 ? a + 12 : a, ctrl_ntp_now());
}

int tw_ctrl_client_request_ow_session(struct tw_ctrl_client *c,
				      const struct tw_ctrl_session_req *req,
				      struct tw_ctrl_session *out)
{
	struct tw_ctrl_accept_session as;
	struct tw_ctrl_request m;
	size_t len, first = TW_CTRL_REQUEST_TW_SESSION_LEN;
	bool client_sends, client_receives;
	int r;

	if (c == NULL || req == NULL || out == NULL)
		return -EINVAL;
	r = cmd_begin(c, TW_CTRL_OWAMP, "Request-Session");
	if (r < 0)
		return r;
	if (!req->conf_sender && !req->conf_receiver)
		return fail(c, -EINVAL, "Request-Session: neither Conf-Sender nor Conf-Receiver");
	if (req->slots == NULL || req->num_slots == 0)
		return fail(c, -EINVAL, "Request-Session: no schedule slot");
	for (uint32_t i = 0; i < req->num_slots; i++)
		if (req->slots[i].type > TW_OWAMP_SLOT_FIXED)
			return fail(c, -EINVAL, "Request-Session: slot %u type %u",
				    i, req->slots[i].type);
	client_sends = !req->conf_sender;
	client_receives = !req->conf_receiver;
	if ((client_sends && req->sender_port == 0) ||
	    (client_receives && req->receiver_port == 0))
		return fail(c, -EINVAL, "Request-Session: the client's %s port is 0",
			    client_sends ? "sender" : "receiver");
	if (req->reflect_octets || req->reflect_padding)
		return fail(c, -EINVAL, "Request-Session: octets to reflect are TWAMP only");
	r = req_fill(c, req, client_sends, client_receives, &m, out);
	if (r < 0)
		return r;
	m.conf_sender = req->conf_sender;
	m.conf_receiver = req->conf_receiver;
	m.num_slots = req->num_slots;
	m.num_packets = req->num_packets;
	m.slots = req->slots;
	if (client_receives) {
		/* RFC 4656 §3.5: the receiving side generates the SID. */
		if (tw_proto_is_zero(req->sid, TW_CTRL_SID_LEN)) {
			if (make_sid(c, m.sid) < 0)
				return fail(c, -EIO, "SID: random failure");
		} else {
			memcpy(m.sid, req->sid, TW_CTRL_SID_LEN);
		}
		if (sess_find(c, m.sid))
			return fail(c, -EINVAL, "Request-Session: SID already in use");
	}
	len = first + (size_t)req->num_slots * TW_OWAMP_SLOT_LEN + TW_CTRL_HMAC_LEN;
	if (len > TW_CTRL_MSG_MAX)
		return fail(c, -EINVAL, "Request-Session: too many slots");
	if (grow(c, len) < 0)
		return fail(c, -ENOMEM, "out of memory");
	r = tw_proto_owamp_request_encode(&m, c->buf, c->buf_cap);
	if (r < 0)
		return fail(c, -EINVAL, "Request-Session: %s", tw_proto_strerror(r));
	/* Two HMACs: after the first 112 octets and after the slots. */
	if (c->cc != NULL &&
	    ((r = tw_crypto_ctrl_seal(c->cc, c->buf, first)) < 0 ||
	     (r = tw_crypto_ctrl_seal(c->cc, c->buf + first, len - first)) < 0))
		return crypto_err(c, r, "Request-Session");
	r = io_write(c, c->buf, len, "Request-Session");
	if (r < 0)
		return r;
	r = read_answer(c, client_receives ? m.sid : NULL, &as, out);
	if (r < 0)
		return r;
	/* RFC 4656 §3.5: Port is the server's receive port (Conf-Receiver)
	 * or the port the server sends from (Conf-Sender only). */
	if (req->conf_sender != req->conf_receiver) {
		if (as.port == 0)
			return violate(c, -EPROTO, "Accept-Session: accepted with Port 0");
		if (req->conf_receiver)
			out->receiver_port = as.port;
		else
			out->sender_port = as.port;
	}
	if (sess_add(c, out->sid, req->conf_sender, req->conf_receiver) < 0)
		return violate(c, -ENOMEM, "out of memory");
	return test_keys(c, out);
}

/* ------------------------------------------------------- start and stop */

int tw_ctrl_client_start(struct tw_ctrl_client *c)
{
	struct tw_ctrl_start_sessions ss;
	struct tw_ctrl_start_ack ack;
	int n;

	if (c == NULL)
		return -EINVAL;
	n = check_quiet(c, "Start-Sessions");
	if (n < 0)
		return n;
	if (c->proto == TW_CTRL_TWAMP && (c->mode & TW_MODE_INDIVIDUAL))
		return fail(c, -EINVAL,
			    "Start-Sessions is not used in individual session control mode (RFC 5938 §3.1)");
	memset(&ss, 0, sizeof(ss));
	n = tw_proto_ctrl_start_sessions_encode(&ss, c->buf, c->buf_cap);
	n = send_buf(c, (size_t)n, "Start-Sessions");
	if (n < 0)
		return n;
	n = recv_msg(c, TW_CTRL_EXPECT_START_ACK, "Start-Ack");
	if (n < 0)
		return n;
	(void)tw_proto_ctrl_start_ack_decode(c->buf, (size_t)n, &ack);
	c->last_accept = ack.accept;
	if (ack.accept != TW_ACCEPT_OK) {
		/* RFC 4656 §3.7: the client SHOULD close on a rejection. */
		n = refused(c, "Start-Sessions (Start-Ack)", ack.accept);
		conn_close(c);
		return n;
	}
	for (uint32_t i = 0; i < c->n_sess; i++)
		c->sess[i].state = SESS_STARTED;
	return 0;
}

int tw_ctrl_client_stop(struct tw_ctrl_client *c, uint8_t accept)
{
	struct tw_ctrl_stop_sessions m;
	int n;

	if (c == NULL)
		return -EINVAL;
	n = cmd_begin(c, TW_CTRL_TWAMP, "Stop-Sessions (OWAMP: tw_ctrl_client_ow_stop())");
	if (n < 0)
		return n;
	if (c->mode & TW_MODE_INDIVIDUAL)
		return fail(c, -EINVAL,
			    "Stop-Sessions is not used in individual session control mode (RFC 5938 §3.1)");
	/* RFC 5357 §3.8: every accepted session not yet stopped. */
	memset(&m, 0, sizeof(m));
	m.accept = accept;
	m.num_sessions = c->n_sess;
	n = tw_proto_twamp_stop_sessions_encode(&m, c->buf, c->buf_cap);
	n = send_buf(c, (size_t)n, "Stop-Sessions");
	if (n < 0)
		return n;
	c->n_sess = 0;
	return 0;
}

/* RFC 5938 §3.2-3.5: Start-N/Stop-N and their (possibly several) acks. */
static int n_sessions(struct tw_ctrl_client *c, bool start,
		      const uint8_t (*sids)[TW_CTRL_SID_LEN], uint32_t n,
		      uint8_t *accepts)
{
	const char *what = start ? "Start-N-Sessions" : "Stop-N-Sessions";
	const char *awhat = start ? "Start-N-Ack" : "Stop-N-Ack";
	struct tw_ctrl_n_sessions m;
	uint8_t *acc;
	uint32_t left = n;
	int first_err = 0, r;
	size_t len;

	if (c == NULL || sids == NULL || n == 0)
		return -EINVAL;
	if (c->proto != TW_CTRL_TWAMP || !(c->mode & TW_MODE_INDIVIDUAL))
		return fail(c, c->fd < 0 ? -ENOTCONN : -EINVAL,
			    "%s needs individual session control mode (RFC 5938)", what);
	r = check_quiet(c, what);
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < n; i++) {
		if (sess_find(c, sids[i]) == NULL)
			return fail(c, -EINVAL, "%s: SID #%u not accepted on this connection",
				    what, i);
		for (uint32_t j = 0; j < i; j++)
			if (memcmp(sids[i], sids[j], TW_CTRL_SID_LEN) == 0)
				return fail(c, -EINVAL, "%s: SID #%u repeated", what, i);
	}
	len = 32 + (size_t)n * TW_CTRL_SID_LEN;
	if (len > TW_CTRL_MSG_MAX)
		return fail(c, -EINVAL, "%s: too many SIDs", what);
	acc = malloc(n);
	if (acc == NULL || grow(c, len) < 0) {
		free(acc);
		return fail(c, -ENOMEM, "out of memory");
	}
	memset(acc, 0xFF, n);
	memset(&m, 0, sizeof(m));
	m.num_sessions = n;
	m.sids = &sids[0][0];
	r = start ? tw_proto_twamp_start_n_encode(&m, c->buf, c->buf_cap) :
		    tw_proto_twamp_stop_n_encode(&m, c->buf, c->buf_cap);
	if (r < 0) {
		free(acc);
		return fail(c, -EINVAL, "%s: %s", what, tw_proto_strerror(r));
	}
	r = send_buf(c, (size_t)r, what);
	while (r >= 0 && left > 0) {
		struct tw_ctrl_n_sessions ack;
		int k = recv_msg(c, TW_CTRL_EXPECT_N_ACK, awhat);

		if (k < 0) {
			r = k;
			break;
		}
		k = start ? tw_proto_twamp_start_n_ack_decode(c->buf, (size_t)k, &ack) :
			    tw_proto_twamp_stop_n_ack_decode(c->buf, (size_t)k, &ack);
		if (k < 0) {
			r = violate(c, -EPROTO, "%s: %s (command %u)", awhat,
				    tw_proto_strerror(k), c->buf[0]);
			break;
		}
		c->last_accept = ack.accept;
		for (uint32_t i = 0; i < ack.num_sessions && r >= 0; i++) {
			const uint8_t *sid = ack.sids + (size_t)i * TW_CTRL_SID_LEN;
			uint32_t j;

			for (j = 0; j < n; j++)
				if (memcmp(sids[j], sid, TW_CTRL_SID_LEN) == 0)
					break;
			if (j == n || acc[j] != 0xFF) {
				r = violate(c, -EPROTO, "%s: SID %s", awhat,
					    j == n ? "not asked for" : "answered twice");
				break;
			}
			acc[j] = ack.accept;
			left--;
		}
	}
	if (r >= 0) {
		r = 0;
		for (uint32_t i = 0; i < n; i++) {
			struct sess *s = sess_find(c, sids[i]);

			if (acc[i] != TW_ACCEPT_OK) {
				if (first_err == 0)
					first_err = refused(c, awhat, acc[i]);
				continue;
			}
			if (start)
				s->state = SESS_STARTED;
			else
				sess_del(c, s);
		}
		r = first_err;
	}
	if (accepts != NULL)
		memcpy(accepts, acc, n);
	free(acc);
	return r;
}

int tw_ctrl_client_start_n(struct tw_ctrl_client *c,
			   const uint8_t (*sids)[TW_CTRL_SID_LEN], uint32_t n,
			   uint8_t *accepts)
{
	return n_sessions(c, true, sids, n, accepts);
}

int tw_ctrl_client_stop_n(struct tw_ctrl_client *c,
			  const uint8_t (*sids)[TW_CTRL_SID_LEN], uint32_t n,
			  uint8_t *accepts)
{
	return n_sessions(c, false, sids, n, accepts);
}

/* ------------------------------------------------- OWAMP stop and fetch */

/* One record of the server's Stop-Sessions: known, sent by the server,
 * not seen before; handed to the caller. */
static int server_stop_record(struct tw_ctrl_client *c, uint32_t i,
			      const struct tw_owamp_sess_desc *sd, bool *seen,
			      tw_ctrl_desc_cb cb, void *arg)
{
	const struct sess *s = sess_find(c, sd->sid);
	struct tw_owamp_skip *sk = NULL;
	int r = 0;

	if (s == NULL || !s->conf_sender)
		return violate(c, -EPROTO,
			       "the server's Stop-Sessions: record #%u names a session it does not send",
			       i);
	if (seen[s - c->sess])
		return violate(c, -EPROTO,
			       "the server's Stop-Sessions: record #%u repeats a SID", i);
	seen[s - c->sess] = true;
	if (cb == NULL)
		return 0;
	if (sd->num_skips > 0) {
		sk = calloc(sd->num_skips, sizeof(*sk));
		if (sk == NULL)
			return violate(c, -ENOMEM, "out of memory");
		for (uint32_t q = 0; q < sd->num_skips; q++)
			tw_proto_owamp_skip_get(sd->skip_wire, q, &sk[q]);
	}
	r = cb(arg, sd->sid, sd->next_seqno, sk, sd->num_skips);
	free(sk);
	if (r < 0)
		return violate(c, r, "Stop-Sessions: aborted by the caller (%s)",
			       errtext(-r));
	return 0;
}

/* RFC 4656 §3.8: the server's Stop-Sessions describes exactly the
 * sessions it sends. */
static int read_server_stop(struct tw_ctrl_client *c, uint32_t n_recv,
			    tw_ctrl_desc_cb cb, void *arg, uint8_t *server_accept)
{
	struct tw_owamp_stop_sessions in;
	size_t off = 0;
	bool *seen;
	int r;

	r = recv_msg(c, TW_CTRL_EXPECT_STOP_SESSIONS, "the server's Stop-Sessions");
	if (r < 0)
		return r;
	r = tw_proto_owamp_stop_sessions_decode(c->buf, (size_t)r, &in);
	if (r < 0)
		return violate(c, -EPROTO, "the server's Stop-Sessions: %s",
			       tw_proto_strerror(r));
	c->last_accept = in.accept;
	if (server_accept != NULL)
		*server_accept = in.accept;
	if (in.num_sessions != n_recv)
		return violate(c, -EPROTO,
			       "the server's Stop-Sessions describes %u sessions, it sends %u (RFC 4656 §3.8)",
			       in.num_sessions, n_recv);
	seen = calloc(c->n_sess + 1, sizeof(*seen));
	if (seen == NULL)
		return violate(c, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < in.num_sessions; i++) {
		struct tw_owamp_sess_desc sd;
		int k = tw_proto_owamp_sess_desc_decode(in.records + off,
							in.records_len - off, &sd);

		if (k < 0) {
			r = violate(c, -EPROTO, "the server's Stop-Sessions: %s",
				    tw_proto_strerror(k));
			break;
		}
		off += (size_t)k;
		r = server_stop_record(c, i, &sd, seen, cb, arg);
		if (r < 0)
			break;
	}
	free(seen);
	if (r < 0)
		return r;
	c->n_sess = 0;
	if (in.accept != TW_ACCEPT_OK)
		return refused(c, "the sessions (Stop-Sessions)", in.accept);
	return 0;
}

int tw_ctrl_client_ow_stop(struct tw_ctrl_client *c, uint8_t accept,
			   const struct tw_ctrl_ow_send_state *states,
			   uint32_t n, tw_ctrl_desc_cb cb, void *arg,
			   uint8_t *server_accept)
{
	struct tw_owamp_sess_desc *d = NULL;
	struct tw_owamp_stop_sessions m;
	uint32_t n_send = 0, n_recv = 0;
	static const struct tw_owamp_sess_desc none;
	size_t len;
	int r;

	if (c == NULL || (n > 0 && states == NULL))
		return -EINVAL;
	if (c->proto != TW_CTRL_OWAMP)
		return fail(c, -EINVAL, "use tw_ctrl_client_stop() for TWAMP");
	if (c->fd < 0)
		return fail(c, -ENOTCONN, "Stop-Sessions: not connected");
	/* RFC 4656 §3.8: our records are exactly the sessions we send. */
	for (uint32_t i = 0; i < c->n_sess; i++) {
		n_send += c->sess[i].conf_receiver && !c->sess[i].conf_sender;
		n_recv += c->sess[i].conf_sender;
	}
	if (n != n_send)
		return fail(c, -EINVAL,
			    "Stop-Sessions: %u send states given, %u sessions send from here",
			    n, n_send);
	len = TW_CTRL_BLOCK;
	for (uint32_t i = 0; i < n; i++) {
		const struct sess *s = sess_find(c, states[i].sid);

		if (s == NULL || !s->conf_receiver || s->conf_sender)
			return fail(c, -EINVAL,
				    "Stop-Sessions: state #%u is not a session sent from here", i);
		for (uint32_t j = 0; j < i; j++)
			if (memcmp(states[i].sid, states[j].sid, TW_CTRL_SID_LEN) == 0)
				return fail(c, -EINVAL, "Stop-Sessions: state #%u repeated", i);
		if (states[i].num_skips > 0 && states[i].skips == NULL)
			return fail(c, -EINVAL, "Stop-Sessions: state #%u without skips", i);
		len += 2 * TW_CTRL_BLOCK +
		       tw_proto_ctrl_pad16((size_t)states[i].num_skips * TW_OWAMP_SKIP_LEN);
		if (len > TW_CTRL_MSG_MAX)
			return fail(c, -EINVAL, "Stop-Sessions: too many skip ranges");
	}
	len += TW_CTRL_HMAC_LEN;
	if (n > 0 && (d = calloc(n, sizeof(*d))) == NULL)
		return fail(c, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		memcpy(d[i].sid, states[i].sid, TW_CTRL_SID_LEN);
		d[i].next_seqno = states[i].next_seqno;
		d[i].num_skips = states[i].num_skips;
		d[i].skips = states[i].skips;
	}
	memset(&m, 0, sizeof(m));
	m.accept = accept;
	m.num_sessions = n;
	m.sessions = d != NULL ? d : &none;
	if (grow(c, len) < 0) {
		free(d);
		return fail(c, -ENOMEM, "out of memory");
	}
	r = tw_proto_owamp_stop_sessions_encode(&m, c->buf, c->buf_cap);
	free(d);
	if (r < 0)
		return fail(c, -EINVAL, "Stop-Sessions: %s", tw_proto_strerror(r));
	r = send_buf(c, (size_t)r, "Stop-Sessions");
	if (r < 0)
		return r;

	return read_server_stop(c, n_recv, cb, arg, server_accept);
}

struct fetch_arr {
	struct tw_owamp_record *recs;
	uint32_t cap, n;
};

static int fetch_arr_cb(void *arg, const struct tw_owamp_record *rec)
{
	struct fetch_arr *a = arg;

	if (a->n == a->cap)
		return -ENOSPC;
	a->recs[a->n++] = *rec;
	return 0;
}

int tw_ctrl_client_fetch_array(struct tw_ctrl_client *c,
			       const uint8_t sid[TW_CTRL_SID_LEN],
			       uint32_t begin_seq, uint32_t end_seq,
			       struct tw_owamp_record *recs, uint32_t cap,
			       uint32_t *n_recs, struct tw_ctrl_fetch_info *info)
{
	struct fetch_arr a = { .recs = recs, .cap = cap };
	int r;

	if (recs == NULL && cap > 0)
		return -EINVAL;
	r = tw_ctrl_client_fetch(c, sid, begin_seq, end_seq, fetch_arr_cb,
				 NULL, &a, info);
	if (n_recs != NULL)
		*n_recs = a.n;
	return r;
}

/* Records block streamed in chunks: decrypt, hand out whole records. */
static int fetch_records(struct tw_ctrl_client *c, uint32_t n, uint32_t begin,
			 uint32_t end, tw_ctrl_record_cb cb, void *arg)
{
	const size_t chunk = 4000; /* 160 records, a multiple of 16 */
	size_t data = tw_proto_ctrl_pad16((size_t)n * TW_OWAMP_RECORD_LEN);
	size_t done = 0, carry = 0;
	uint32_t got = 0;
	int64_t deadline = now_ms() + c->timeout_ms;
	int r;

	if (grow(c, chunk + TW_OWAMP_RECORD_LEN) < 0)
		return violate(c, -ENOMEM, "out of memory");
	while (done < data) {
		size_t take = data - done < chunk ? data - done : chunk;
		size_t avail, p = 0;

		/* each chunk gets a fresh deadline: progress, not the total */
		deadline = now_ms() + c->timeout_ms;
		r = read_part(c, carry, take, false, deadline, "Fetch-Session records");
		if (r < 0)
			return r;
		done += take;
		avail = carry + take;
		while (got < n && avail - p >= TW_OWAMP_RECORD_LEN) {
			struct tw_owamp_record rec;

			(void)tw_proto_owamp_record_decode(c->buf + p, avail - p, &rec);
			p += TW_OWAMP_RECORD_LEN;
			got++;
			if (rec.seq < begin || rec.seq > end)
				return violate(c, -EPROTO,
					       "Fetch-Session: record seq %u outside the requested %u..%u",
					       rec.seq, begin, end);
			if (cb != NULL && (r = cb(arg, &rec)) < 0)
				return violate(c, r, "Fetch-Session: aborted by the caller (%s)",
					       errtext(-r));
		}
		carry = got < n ? avail - p : 0;
		memmove(c->buf, c->buf + p, carry);
	}
	/* The HMAC over all records (and their padding). */
	r = read_part(c, 0, TW_CTRL_HMAC_LEN, true, deadline, "Fetch-Session records HMAC");
	return r;
}

int tw_ctrl_client_fetch(struct tw_ctrl_client *c,
			 const uint8_t sid[TW_CTRL_SID_LEN], uint32_t begin_seq,
			 uint32_t end_seq, tw_ctrl_record_cb rec_cb,
			 tw_ctrl_skip_cb skip_cb, void *arg,
			 struct tw_ctrl_fetch_info *info)
{
	struct tw_owamp_fetch_session fs;
	struct tw_owamp_fetch_ack fa;
	struct tw_ctrl_fetch_info dummy;
	int64_t deadline;
	const uint8_t *wire;
	uint8_t hmac[TW_CTRL_HMAC_LEN];
	size_t len, first = TW_CTRL_REQUEST_TW_SESSION_LEN;
	uint32_t slots;
	int r;

	if (c == NULL || sid == NULL || begin_seq > end_seq)
		return -EINVAL;
	if (info == NULL)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	r = cmd_begin(c, TW_CTRL_OWAMP, "Fetch-Session");
	if (r < 0)
		return r;
	memset(&fs, 0, sizeof(fs));
	fs.begin_seq = begin_seq;
	fs.end_seq = end_seq;
	memcpy(fs.sid, sid, TW_CTRL_SID_LEN);
	r = tw_proto_owamp_fetch_session_encode(&fs, c->buf, c->buf_cap);
	r = send_buf(c, (size_t)r, "Fetch-Session");
	if (r < 0)
		return r;
	r = recv_msg(c, TW_CTRL_EXPECT_FETCH_ACK, "Fetch-Ack");
	if (r < 0)
		return r;
	(void)tw_proto_owamp_fetch_ack_decode(c->buf, (size_t)r, &fa);
	c->last_accept = fa.accept;
	info->accept = fa.accept;
	if (fa.accept != TW_ACCEPT_OK)
		return refused(c, "Fetch-Session (Fetch-Ack)", fa.accept);
	/* RFC 4656 §3.9: unfinished sessions report Next Seqno and skip
	 * ranges as zero. */
	if (!fa.finished && (fa.next_seqno != 0 || fa.num_skips != 0))
		return violate(c, -EPROTO,
			       "Fetch-Ack: Finished 0 with Next Seqno %u and %u skip ranges (RFC 4656 §3.9)",
			       fa.next_seqno, fa.num_skips);
	info->finished = fa.finished != 0;
	info->next_seqno = fa.next_seqno;
	info->num_skips = fa.num_skips;
	info->num_records = fa.num_records;

	/* The reproduced Request-Session: 112 octets with their HMAC, then
	 * the slots with theirs. */
	deadline = now_ms() + c->timeout_ms;
	r = read_part(c, 0, first, true, deadline, "Fetch-Session Request-Session");
	if (r < 0)
		return r;
	if (c->buf[0] != TW_OWAMP_CMD_REQUEST_SESSION)
		return violate(c, -EPROTO,
			       "Fetch-Session: session data starts with command %u, not Request-Session",
			       c->buf[0]);
	slots = tw_get_be32(c->buf + 4);
	len = first + (size_t)slots * TW_OWAMP_SLOT_LEN + TW_CTRL_HMAC_LEN;
	if (slots == 0 || slots > (TW_CTRL_MSG_MAX - first) / TW_OWAMP_SLOT_LEN)
		return violate(c, -EPROTO, "Fetch-Session: Request-Session with %u slots",
			       slots);
	r = read_part(c, first, len - first, true, deadline,
		      "Fetch-Session Request-Session slots");
	if (r < 0)
		return r;
	r = tw_proto_owamp_request_decode(c->buf, len, &info->request);
	if (r < 0)
		return violate(c, -EPROTO, "Fetch-Session Request-Session: %s",
			       tw_proto_strerror(r));
	for (uint32_t i = 0; i < slots && i < 16; i++)
		tw_proto_owamp_slot_get(&info->request, i, &info->slots[i]);
	info->request.slots = NULL;
	info->request.slot_wire = NULL;

	/* Skip ranges block. */
	len = tw_proto_owamp_skips_block_len(fa.num_skips);
	if (len > TW_CTRL_MSG_MAX)
		return violate(c, -EPROTO, "Fetch-Ack: %u skip ranges", fa.num_skips);
	r = read_part(c, 0, len, true, now_ms() + c->timeout_ms,
		      "Fetch-Session skip ranges");
	if (r < 0)
		return r;
	r = tw_proto_owamp_skips_decode(c->buf, len, fa.num_skips, &wire, hmac);
	if (r < 0)
		return violate(c, -EPROTO, "Fetch-Session skip ranges: %s",
			       tw_proto_strerror(r));
	for (uint32_t i = 0; i < fa.num_skips; i++) {
		struct tw_owamp_skip s;

		tw_proto_owamp_skip_get(wire, i, &s);
		if (skip_cb != NULL && (r = skip_cb(arg, &s)) < 0)
			return violate(c, r, "Fetch-Session: aborted by the caller (%s)",
				       errtext(-r));
	}
	return fetch_records(c, fa.num_records, begin_seq, end_seq, rec_cb, arg);
}
