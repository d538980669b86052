/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The seed draft's profile (ipsec.ikev2.profile: draft; docs/protocol.md)
 * end to end: lib/control's client against its server over loopback TCP,
 * the server's draft_lookup answered from a small Child SA table keyed by
 * the connection's two addresses: every variant (base, Alternative 1,
 * Alternative 2) with SKEYSEED and KEYMAT, TWAMP and OWAMP, authenticated,
 * encrypted and mixed; the per-SID key; a greeting that binds another SA
 * (the client closes without a word); no SA (no IKEv2 bit); a wrong key
 * (Accept 1, or a bad HMAC in Alternative 2); garbage in every new state;
 * a rekey and a delete while a connection runs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "tw_ctrl_client.h"
#include "tw_ctrl_server.h"

#include "e2e_srv.h"

#define SA_MAX 4

/* ------------------------------------------------ the Child SA table */

struct child_sa {
	bool used;
	uint8_t local[4], peer[4];   /* the server's view */
	struct tw_ctrl_draft_sa sa;
};

struct srv {
	struct e2e_srv e;            /* first: the server ops' argument */
	struct child_sa tab[SA_MAX]; /* under e.mu */
};

/*
 * A Child SA between 127.0.0.1 (server) and @p peer_last (127.0.0.x) with
 * SPIs, SKEYSEED, KEYMAT and keys made from @p tag. AES-CBC-128 with
 * HMAC-SHA2-256 (Alternative 2 needs an AES-128 key and an HMAC key).
 */
static void sa_make(struct child_sa *e, uint8_t tag, uint8_t peer_last, enum tw_crypto_prf prf)
{
	struct tw_ctrl_draft_sa *sa = &e->sa;

	memset(e, 0, sizeof(*e));
	e->used = true;
	memcpy(e->local, (uint8_t[]){ 127, 0, 0, 1 }, 4);
	memcpy(e->peer, (uint8_t[]){ 127, 0, 0, peer_last }, 4);
	sa->protocol = TW_CTRL_DRAFT_PROTO_ESP;
	sa->spi_in = 0xc0000000u | (uint32_t)tag << 8 | 1;
	sa->spi_out = 0xd0000000u | (uint32_t)tag << 8 | 2;
	sa->prf = prf;
	sa->skeyseed_len = (size_t)tw_crypto_prf_len(prf);
	sa->keymat_len = 64;
	for (size_t i = 0; i < 64; i++) {
		sa->skeyseed[i] = i < sa->skeyseed_len ? (uint8_t)(tag * 31 + i * 7) : 0;
		sa->keymat[i] = (uint8_t)(tag * 17 + i * 3 + 1);
		sa->integ_key[i] = i < 32 ? (uint8_t)(tag * 13 + i * 5 + 2) : 0;
	}
	sa->encr = 12; /* ENCR_AES_CBC */
	sa->encr_key_len = 16;
	for (size_t i = 0; i < 16; i++)
		sa->encr_key[i] = (uint8_t)(tag * 11 + i + 3);
	sa->integ = 12; /* AUTH_HMAC_SHA2_256_128 */
	sa->integ_key_len = 32;
}

static void sa_put(struct srv *a, unsigned slot, const struct child_sa *e)
{
	pthread_mutex_lock(&a->e.mu);
	if (e != NULL)
		a->tab[slot] = *e;
	else
		memset(&a->tab[slot], 0, sizeof(a->tab[slot]));
	pthread_mutex_unlock(&a->e.mu);
}

static int draft_lookup(void *arg, const struct sockaddr *local, const struct sockaddr *peer,
			struct tw_ctrl_draft_sa *out)
{
	const struct sockaddr_in *l = (const struct sockaddr_in *)local;
	const struct sockaddr_in *p = (const struct sockaddr_in *)peer;
	struct srv *a = arg;
	int rc = -ENOENT;

	if (local->sa_family != AF_INET || peer->sa_family != AF_INET)
		return -ENOENT;
	pthread_mutex_lock(&a->e.mu);
	for (unsigned i = 0; i < SA_MAX; i++) {
		if (a->tab[i].used && memcmp(a->tab[i].local, &l->sin_addr, 4) == 0 &&
		    memcmp(a->tab[i].peer, &p->sin_addr, 4) == 0) {
			*out = a->tab[i].sa;
			rc = 0;
		}
	}
	pthread_mutex_unlock(&a->e.mu);
	return rc;
}

static struct srv *srv_start(enum tw_ctrl_draft_variant v, enum tw_ctrl_draft_secret sec,
			     bool sid_key)
{
	static const struct tw_ctrl_server_ops ops = {
		.draft_lookup = draft_lookup,
		.session_add = e2e_session_add,
		.session_start = e2e_session_start,
		.session_stop = e2e_session_stop,
	};
	struct tw_ctrl_server_conf conf = e2e_srv_conf();
	struct srv *a = calloc(1, sizeof(*a));
	static const uint8_t any[16] = { 0 };

	assert_non_null(a);
	conf.draft = true;
	conf.draft_variant = v;
	conf.draft_secret = sec;
	conf.draft_sid_key = sid_key;
	e2e_srv_start(&a->e, &conf, &ops, any);
	return a;
}

static void srv_free(struct srv *a)
{
	e2e_srv_stop(&a->e);
	free(a);
}

static uint64_t closes(struct srv *a, unsigned reason)
{
	return e2e_srv_closes(&a->e, reason, 400);
}

/* ------------------------------------------------------- the client */

/* The client's view of @p e: its outbound SA is the server's inbound. */
static struct tw_ctrl_client *draft_client(enum tw_ctrl_proto proto, uint32_t modes,
					   const struct child_sa *e,
					   enum tw_ctrl_draft_variant v,
					   enum tw_ctrl_draft_secret sec, bool sid_key)
{
	struct tw_ctrl_client_draft d = {
		.variant = v,
		.protocol = e->sa.protocol,
		.spi_in = e->sa.spi_in,
		.spi_out = e->sa.spi_out,
		.prf = e->sa.prf,
		.secret = sec == TW_CTRL_DRAFT_KEYMAT ? e->sa.keymat : e->sa.skeyseed,
		.secret_len = sec == TW_CTRL_DRAFT_KEYMAT ? e->sa.keymat_len : e->sa.skeyseed_len,
		.sid_key = sid_key,
	};
	struct tw_ctrl_client_conf cf = {
		.proto = proto,
		.modes = modes,
		.draft = &d,
		.timeout_ms = 5000,
	};
	struct tw_ctrl_client *c;

	assert_int_equal(tw_crypto_draft_alt2_keys(e->sa.encr, e->sa.encr_key,
						   e->sa.encr_key_len, e->sa.integ,
						   e->sa.integ_key, e->sa.integ_key_len, &d.alt2),
			 0);
	c = tw_ctrl_client_create(&cf);
	assert_non_null(c);
	return c;
}

static int connect_from(struct tw_ctrl_client *c, int port, uint8_t from_last)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sockaddr_in l4 = { .sin_family = AF_INET };

	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l4.sin_addr.s_addr = htonl(0x7f000000u | from_last);
	return tw_ctrl_client_connect(c, (struct sockaddr *)&s4, sizeof(s4),
				      (struct sockaddr *)&l4, sizeof(l4));
}

static unsigned find_sess(struct srv *a, const uint8_t sid[16])
{
	return e2e_find_sess(&a->e, sid);
}

static unsigned twamp_request(struct srv *a, struct tw_ctrl_client *c, uint16_t port,
			      struct tw_ctrl_session *s)
{
	struct tw_ctrl_session_req q;

	memset(&q, 0, sizeof(q));
	q.sender_port = port;
	q.timeout = 1ull << 32;
	if (tw_ctrl_client_request_tw_session(c, &q, s) != 0)
		fail_msg("request: %s", tw_ctrl_client_error(c));
	return find_sess(a, s->sid);
}

static unsigned owamp_request(struct srv *a, struct tw_ctrl_client *c, struct tw_ctrl_session *s)
{
	struct tw_owamp_slot slot = { .type = TW_OWAMP_SLOT_FIXED, .parameter = 1ull << 28 };
	struct tw_ctrl_session_req q;

	memset(&q, 0, sizeof(q));
	q.conf_receiver = true;
	q.sender_port = 8001;
	q.num_packets = 10;
	q.slots = &slot;
	q.num_slots = 1;
	if (tw_ctrl_client_request_ow_session(c, &q, s) != 0)
		fail_msg("OWAMP request: %s", tw_ctrl_client_error(c));
	return find_sess(a, s->sid);
}

/* Both ends hold the same test keys, and they are what the variant says. */
static void check_keys(struct srv *a, unsigned i, struct tw_ctrl_client *c,
		       const struct tw_ctrl_session *s, uint32_t mode, const struct child_sa *e,
		       enum tw_ctrl_draft_variant v, enum tw_ctrl_draft_secret sec, bool sid_key)
{
	const uint8_t *root = sec == TW_CTRL_DRAFT_KEYMAT ? e->sa.keymat : e->sa.skeyseed;
	size_t root_len = sec == TW_CTRL_DRAFT_KEYMAT ? e->sa.keymat_len : e->sa.skeyseed_len;
	struct tw_crypto_session_keys sk, want;

	e2e_same_keys(&a->e, i, s, mode);
	assert_int_equal(tw_ctrl_client_session_keys(c, &sk), 0);
	if (v == TW_CTRL_DRAFT_ALT1) {
		assert_int_equal(tw_crypto_draft_alt1_keys(e->sa.prf, root, root_len, &want), 0);
		assert_memory_equal(&sk, &want, sizeof(sk));
	} else if (v == TW_CTRL_DRAFT_ALT2) {
		memset(&want, 0, sizeof(want));
		memcpy(want.aes, e->sa.encr_key, 16);
		memcpy(want.hmac, e->sa.integ_key, e->sa.integ_key_len);
		assert_memory_equal(&sk, &want, sizeof(sk));
	}
	if (sid_key && (mode & (TW_MODE_AUTH | TW_MODE_ENCRYPTED))) {
		assert_int_equal(tw_crypto_draft_sid_keys(e->sa.prf, root, root_len, s->sid,
							  &want), 0);
		assert_memory_equal(&s->test_keys, &want, sizeof(want));
	}
}

/* ------------------------------------------------------------ tests */

static void test_variants(void **state)
{
	static const uint32_t tw[] = { TW_MODE_AUTH, TW_MODE_ENCRYPTED, TW_MODE_MIXED };
	static const struct {
		enum tw_ctrl_draft_variant v;
		enum tw_ctrl_draft_secret sec;
		bool sid_key;
		enum tw_crypto_prf prf;
	} cases[] = {
		{ TW_CTRL_DRAFT_BASE, TW_CTRL_DRAFT_SKEYSEED, false, TW_CRYPTO_PRF_HMAC_SHA2_256 },
		{ TW_CTRL_DRAFT_BASE, TW_CTRL_DRAFT_KEYMAT, false, TW_CRYPTO_PRF_HMAC_SHA1 },
		{ TW_CTRL_DRAFT_BASE, TW_CTRL_DRAFT_SKEYSEED, true, TW_CRYPTO_PRF_HMAC_SHA2_512 },
		{ TW_CTRL_DRAFT_BASE, TW_CTRL_DRAFT_KEYMAT, true, TW_CRYPTO_PRF_HMAC_SHA2_384 },
		{ TW_CTRL_DRAFT_ALT1, TW_CTRL_DRAFT_SKEYSEED, false, TW_CRYPTO_PRF_HMAC_SHA1 },
		{ TW_CTRL_DRAFT_ALT1, TW_CTRL_DRAFT_KEYMAT, false, TW_CRYPTO_PRF_HMAC_SHA2_256 },
		{ TW_CTRL_DRAFT_ALT2, TW_CTRL_DRAFT_SKEYSEED, false, TW_CRYPTO_PRF_HMAC_SHA2_256 },
	};

	(void)state;
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct srv *a = srv_start(cases[k].v, cases[k].sec, cases[k].sid_key);
		struct child_sa e;

		sa_make(&e, (uint8_t)(k + 1), 1, cases[k].prf);
		sa_put(a, 0, &e);
		for (unsigned m = 0; m < 3; m++) {
			struct tw_ctrl_client *c = draft_client(TW_CTRL_TWAMP, tw[m], &e, cases[k].v,
								cases[k].sec, cases[k].sid_key);
			struct tw_ctrl_session s;
			unsigned i;

			if (connect_from(c, a->e.port_twamp, 1) != 0)
				fail_msg("case %u TWAMP 0x%x: %s", k, tw[m], tw_ctrl_client_error(c));
			assert_int_equal(tw_ctrl_client_mode(c), tw[m] | TW_MODE_IKEV2);
			i = twamp_request(a, c, (uint16_t)(5000 + m), &s);
			assert_int_equal(tw_ctrl_client_start(c), 0);
			assert_int_equal(tw_ctrl_client_stop(c, 0), 0);
			/* a second session after Stop: both HMAC streams still agree */
			i = twamp_request(a, c, (uint16_t)(5100 + m), &s);
			assert_true(tw_ctrl_client_connected(c));
			check_keys(a, i, c, &s, tw[m] | TW_MODE_IKEV2, &e, cases[k].v, cases[k].sec,
				   cases[k].sid_key);
			tw_ctrl_client_destroy(c);
		}
		for (unsigned m = 0; m < 2; m++) {
			uint32_t mode = m ? TW_MODE_ENCRYPTED : TW_MODE_AUTH;
			struct tw_ctrl_client *c = draft_client(TW_CTRL_OWAMP, mode, &e, cases[k].v,
								cases[k].sec, cases[k].sid_key);
			struct tw_ctrl_session s;
			unsigned i;

			if (connect_from(c, a->e.port_owamp, 1) != 0)
				fail_msg("case %u OWAMP 0x%x: %s", k, mode, tw_ctrl_client_error(c));
			assert_int_equal(tw_ctrl_client_mode(c), mode | TW_MODE_OWAMP_IKEV2);
			i = owamp_request(a, c, &s);
			check_keys(a, i, c, &s, mode | TW_MODE_OWAMP_IKEV2, &e, cases[k].v,
				   cases[k].sec, cases[k].sid_key);
			tw_ctrl_client_destroy(c);
		}
		srv_free(a);
	}
}

/* Read exactly @p n octets from a raw socket. */
static void recv_all(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, b + got, n - got, 0);

		assert_true(r > 0);
		got += (size_t)r;
	}
}

static int raw_connect(int port, uint8_t from_last)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sockaddr_in l4 = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l4.sin_addr.s_addr = htonl(0x7f000000u | from_last);
	assert_int_equal(bind(fd, (struct sockaddr *)&l4, sizeof(l4)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&s4, sizeof(s4)), 0);
	return fd;
}

static void test_binding_and_no_sa(void **state)
{
	struct srv *a = srv_start(TW_CTRL_DRAFT_ALT1, TW_CTRL_DRAFT_SKEYSEED, false);
	struct tw_ctrl_client *c;
	struct tw_ctrl_draft_greeting g;
	struct child_sa e, other;
	uint8_t b[TW_CTRL_GREETING_LEN];
	int fd;

	(void)state;
	sa_make(&e, 1, 1, TW_CRYPTO_PRF_HMAC_SHA2_256);
	sa_put(a, 0, &e);
	/* the greeting carries exactly the Child SA's Protocol and SPIs */
	fd = raw_connect(a->e.port_twamp, 1);
	recv_all(fd, b, sizeof(b));
	assert_int_equal(tw_proto_ctrl_draft_greeting_decode(TW_CTRL_DRAFT_ALT1, b, 64, &g), 64);
	assert_int_equal(g.protocol, 50);
	assert_int_equal(g.spi_in, e.sa.spi_in);
	assert_int_equal(g.spi_out, e.sa.spi_out);
	assert_true((g.modes & TW_MODE_IKEV2) != 0);
	close(fd);
	/* the client's SA has other SPIs: it closes and sends nothing */
	other = e;
	other.sa.spi_in ^= 0x100;
	c = draft_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &other, TW_CTRL_DRAFT_ALT1,
			 TW_CTRL_DRAFT_SKEYSEED, false);
	assert_int_equal(connect_from(c, a->e.port_twamp, 1), -EKEYREJECTED);
	assert_non_null(strstr(tw_ctrl_client_error(c), "MUST close"));
	assert_false(tw_ctrl_client_connected(c));
	tw_ctrl_client_destroy(c);
	other = e;
	other.sa.spi_out ^= 0x100;
	c = draft_client(TW_CTRL_OWAMP, TW_MODE_ENCRYPTED, &other, TW_CTRL_DRAFT_ALT1,
			 TW_CTRL_DRAFT_SKEYSEED, false);
	assert_int_equal(connect_from(c, a->e.port_owamp, 1), -EKEYREJECTED);
	tw_ctrl_client_destroy(c);
	/* AH where the server has ESP */
	other = e;
	other.sa.protocol = TW_CTRL_DRAFT_PROTO_AH;
	c = draft_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &other, TW_CTRL_DRAFT_ALT1,
			 TW_CTRL_DRAFT_SKEYSEED, false);
	assert_int_equal(connect_from(c, a->e.port_twamp, 1), -EKEYREJECTED);
	tw_ctrl_client_destroy(c);
	/* the server saw three peers close without a Set-Up-Response */
	{
		struct tw_ctrl_server_stats st;

		for (int i = 0; i < 400; i++) {
			assert_int_equal(tw_ctrl_server_stats(a->e.srv, &st), 0);
			if (st.closes[TW_CTRL_SRV_CLOSE_PEER] >= 4)
				break;
			usleep(5000);
		}
		assert_int_equal(st.closes[TW_CTRL_SRV_CLOSE_PEER], 4); /* with the raw one */
		assert_int_equal(st.closes[TW_CTRL_SRV_CLOSE_QUIT], 0);
		assert_int_equal(st.sessions, 0);
	}
	/* a client of another variant: the greeting does not decode as its own */
	c = draft_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &e, TW_CTRL_DRAFT_ALT2,
			 TW_CTRL_DRAFT_SKEYSEED, false);
	assert_int_equal(connect_from(c, a->e.port_twamp, 1), -EPROTO);
	tw_ctrl_client_destroy(c);
	c = draft_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &e, TW_CTRL_DRAFT_BASE,
			 TW_CTRL_DRAFT_SKEYSEED, false);
	assert_int_equal(connect_from(c, a->e.port_twamp, 1), -EPROTO);
	tw_ctrl_client_destroy(c);
	/* from 127.0.0.2 there is no Child SA: an RFC 4656 greeting without
	 * the IKEv2 bit, and the client says so */
	fd = raw_connect(a->e.port_twamp, 2);
	recv_all(fd, b, sizeof(b));
	for (int i = 0; i < 12; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(b[15] & TW_MODE_IKEV2, 0);
	{
		struct tw_ctrl_greeting rg;

		assert_int_equal(tw_proto_ctrl_greeting_decode(b, 64, &rg), 64);
	}
	close(fd);
	c = draft_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &e, TW_CTRL_DRAFT_ALT1,
			 TW_CTRL_DRAFT_SKEYSEED, false);
	assert_int_equal(connect_from(c, a->e.port_twamp, 2), -ENOPROTOOPT);
	assert_int_equal(tw_ctrl_client_server_modes(c) & TW_MODE_IKEV2, 0);
	assert_non_null(strstr(tw_ctrl_client_error(c), "no Child SA"));
	tw_ctrl_client_destroy(c);
	srv_free(a);
}

static void test_wrong_key(void **state)
{
	(void)state;
	for (int v = 0; v < 3; v++) {
		struct srv *a = srv_start((enum tw_ctrl_draft_variant)v, TW_CTRL_DRAFT_SKEYSEED,
					  false);
		struct tw_ctrl_client *c;
		struct tw_ctrl_session s;
		struct tw_ctrl_session_req q;
		struct child_sa e, wrong;

		sa_make(&e, 1, 1, TW_CRYPTO_PRF_HMAC_SHA2_256);
		sa_put(a, 0, &e);
		wrong = e;
		wrong.sa.skeyseed[0] ^= 1;
		wrong.sa.encr_key[0] ^= 1;
		c = draft_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &wrong, (enum tw_ctrl_draft_variant)v,
				 TW_CTRL_DRAFT_SKEYSEED, false);
		if (v != TW_CTRL_DRAFT_ALT2) {
			/* base: the Token does not decrypt; Alt. 1: Enc_root(Challenge) differs */
			assert_int_equal(connect_from(c, a->e.port_twamp, 1), -EACCES);
			assert_int_equal(tw_ctrl_client_last_accept(c), TW_ACCEPT_FAILURE);
			assert_int_equal(closes(a, TW_CTRL_SRV_CLOSE_TOKEN), 1);
		} else {
			/* Alt. 2 has no Token: the first command's HMAC fails */
			assert_int_equal(connect_from(c, a->e.port_twamp, 1), 0);
			memset(&q, 0, sizeof(q));
			q.sender_port = 5000;
			q.timeout = 1ull << 32;
			assert_true(tw_ctrl_client_request_tw_session(c, &q, &s) < 0);
			/* the command decrypts to garbage: its number, or else its
			 * HMAC, gives it away; either way no session */
			{
				struct tw_ctrl_server_stats st;

				for (int i = 0; i < 400; i++) {
					assert_int_equal(tw_ctrl_server_stats(a->e.srv, &st), 0);
					if (st.connections == 0)
						break;
					usleep(5000);
				}
				assert_int_equal(st.closes[TW_CTRL_SRV_CLOSE_HMAC] +
						 st.closes[TW_CTRL_SRV_CLOSE_COMMAND] +
						 st.closes[TW_CTRL_SRV_CLOSE_MALFORMED], 1);
				assert_int_equal(st.sessions_accepted, 0);
			}
		}
		tw_ctrl_client_destroy(c);
		srv_free(a);
	}
}

/* Garbage from the client (raw) and from the server (a socketpair). */
static void test_garbage(void **state)
{
	struct srv *a = srv_start(TW_CTRL_DRAFT_ALT1, TW_CTRL_DRAFT_SKEYSEED, false);
	struct tw_ctrl_draft_greeting g;
	struct tw_ctrl_draft_setup_response d;
	struct child_sa e;
	uint8_t b[TW_CTRL_SETUP_RESPONSE_LEN];
	int fd;

	(void)state;
	sa_make(&e, 1, 1, TW_CRYPTO_PRF_HMAC_SHA2_256);
	sa_put(a, 0, &e);
	/* Alt. 1 Set-Up-Response with non-zero MBZ (KeyID): Accept 1, close */
	for (int k = 0; k < 2; k++) {
		fd = raw_connect(a->e.port_twamp, 1);
		recv_all(fd, b, TW_CTRL_GREETING_LEN);
		assert_int_equal(tw_proto_ctrl_draft_greeting_decode(TW_CTRL_DRAFT_ALT1, b, 64, &g),
				 64);
		memset(&d, 0, sizeof(d));
		d.mode = TW_MODE_AUTH | TW_MODE_IKEV2;
		assert_int_equal(tw_crypto_draft_alt1_token(e.sa.skeyseed, e.sa.skeyseed_len,
							    g.challenge, d.token), 0);
		assert_int_equal(tw_proto_ctrl_draft_setup_response_encode(TW_CTRL_DRAFT_ALT1, &d,
									   b, sizeof(b)), 164);
		b[k ? 120 : 10] = 0x42; /* KeyID, then the MBZ after the Token */
		assert_int_equal(send(fd, b, sizeof(b), 0), (ssize_t)sizeof(b));
		recv_all(fd, b, TW_CTRL_SERVER_START_LEN);
		assert_int_equal(b[15], TW_ACCEPT_FAILURE);
		assert_int_equal(recv(fd, b, 1, 0), 0);
		close(fd);
	}
	assert_int_equal(closes(a, TW_CTRL_SRV_CLOSE_DRAFT_MBZ), 2);
	/* a keyed mode without the IKEv2 bit: no Salt/Count for a passphrase */
	fd = raw_connect(a->e.port_twamp, 1);
	recv_all(fd, b, TW_CTRL_GREETING_LEN);
	memset(&d, 0, sizeof(d));
	d.mode = TW_MODE_ENCRYPTED;
	assert_int_equal(tw_proto_ctrl_draft_setup_response_encode(TW_CTRL_DRAFT_ALT1, &d, b,
								   sizeof(b)), 164);
	assert_int_equal(send(fd, b, sizeof(b), 0), (ssize_t)sizeof(b));
	recv_all(fd, b, TW_CTRL_SERVER_START_LEN);
	assert_int_equal(b[15], TW_ACCEPT_NOT_SUPPORTED);
	close(fd);
	/* open mode with the IKEv2 bit: Accept 3 */
	fd = raw_connect(a->e.port_twamp, 1);
	recv_all(fd, b, TW_CTRL_GREETING_LEN);
	d.mode = TW_MODE_UNAUTH | TW_MODE_IKEV2;
	assert_int_equal(tw_proto_ctrl_draft_setup_response_encode(TW_CTRL_DRAFT_ALT1, &d, b,
								   sizeof(b)), 164);
	assert_int_equal(send(fd, b, sizeof(b), 0), (ssize_t)sizeof(b));
	recv_all(fd, b, TW_CTRL_SERVER_START_LEN);
	assert_int_equal(b[15], TW_ACCEPT_NOT_SUPPORTED);
	close(fd);
	srv_free(a);

	/* the client fed malformed draft greetings: -EPROTO, nothing sent */
	for (int k = 0; k < 4; k++) {
		struct tw_ctrl_client *c = draft_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &e,
							TW_CTRL_DRAFT_ALT1,
							TW_CTRL_DRAFT_SKEYSEED, false);
		uint8_t w[TW_CTRL_GREETING_LEN];
		int sv[2];

		memset(&g, 0, sizeof(g));
		g.protocol = 50;
		g.spi_in = e.sa.spi_in;
		g.spi_out = e.sa.spi_out;
		g.modes = TW_MODE_AUTH | TW_MODE_IKEV2;
		memset(g.challenge, 0x61, 16);
		assert_int_equal(tw_proto_ctrl_draft_greeting_encode(TW_CTRL_DRAFT_ALT1, &g, w,
								     sizeof(w)), 64);
		switch (k) {
		case 0: w[0] = 17; break;           /* neither ESP nor AH */
		case 1: w[2] = 1; break;            /* MBZ after Protocol */
		case 2: w[51] = 4; break;           /* a Count in Alt. 1 */
		case 3: memset(w + 4, 0, 4); break; /* SPI 0 */
		}
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		assert_int_equal(send(sv[1], w, sizeof(w), 0), (ssize_t)sizeof(w));
		assert_int_equal(tw_ctrl_client_connect_fd(c, sv[0]), -EPROTO);
		assert_int_equal(recv(sv[1], b, 1, 0), 0); /* closed, nothing sent */
		close(sv[1]);
		tw_ctrl_client_destroy(c);
	}
	/* the client refuses configurations that cannot work */
	{
		struct tw_ctrl_client_draft d0 = {
			.variant = TW_CTRL_DRAFT_ALT1, .protocol = 50, .spi_in = 0x1000,
			.spi_out = 0x1001, .prf = TW_CRYPTO_PRF_HMAC_SHA2_256,
			.secret = e.sa.skeyseed, .secret_len = 15,
		};
		struct tw_ctrl_client_conf cf = { .proto = TW_CTRL_TWAMP, .modes = TW_MODE_AUTH,
						  .draft = &d0 };

		assert_null(tw_ctrl_client_create(&cf)); /* root below 16 octets */
		d0.secret_len = 32;
		d0.sid_key = true;
		assert_null(tw_ctrl_client_create(&cf)); /* sid_key is the base variant's */
		d0.sid_key = false;
		d0.protocol = 6;
		assert_null(tw_ctrl_client_create(&cf));
		d0.protocol = 51;
		d0.spi_out = 255;
		assert_null(tw_ctrl_client_create(&cf));
		d0.spi_out = 0x1001;
		cf.modes = TW_MODE_UNAUTH;
		assert_null(tw_ctrl_client_create(&cf)); /* the IKEv2 bit keys a mode */
		assert_int_equal(errno, EINVAL);
		cf.modes = TW_MODE_MIXED;
		tw_ctrl_client_destroy(tw_ctrl_client_create(&cf));
	}
	/* and the server those it cannot serve */
	{
		static const struct tw_ctrl_server_ops ops = { .session_add = e2e_session_add };
		struct tw_ctrl_server_conf conf = {
			.modes = TW_MODE_AUTH | TW_MODE_IKEV2, .count = 1024, .max_connections = 1,
			.max_sessions = 1, .max_sessions_per_connection = 1, .servwait_s = 1,
			.draft = true, .draft_variant = TW_CTRL_DRAFT_ALT2, .draft_sid_key = true,
		};

		assert_null(tw_ctrl_server_create(&conf, &ops, NULL));
		conf.draft_variant = (enum tw_ctrl_draft_variant)3;
		conf.draft_sid_key = false;
		assert_null(tw_ctrl_server_create(&conf, &ops, NULL));
		assert_int_equal(errno, EINVAL);
	}
}

/*
 * A rekey (new Child SA, new SPIs and keys) and a delete while a
 * connection runs: it keeps its keys; new connections see the new SA.
 */
static void test_rekey_delete(void **state)
{
	struct srv *a = srv_start(TW_CTRL_DRAFT_BASE, TW_CTRL_DRAFT_KEYMAT, true);
	struct tw_ctrl_client *c1, *c2;
	struct tw_ctrl_session s1, s2;
	struct child_sa old, new_sa;
	unsigned i;

	(void)state;
	sa_make(&old, 1, 1, TW_CRYPTO_PRF_HMAC_SHA2_256);
	sa_make(&new_sa, 2, 1, TW_CRYPTO_PRF_HMAC_SHA2_256);
	sa_put(a, 0, &old);
	c1 = draft_client(TW_CTRL_TWAMP, TW_MODE_ENCRYPTED, &old, TW_CTRL_DRAFT_BASE,
			  TW_CTRL_DRAFT_KEYMAT, true);
	assert_int_equal(connect_from(c1, a->e.port_twamp, 1), 0);
	(void)twamp_request(a, c1, 5001, &s1);
	assert_int_equal(tw_ctrl_client_start(c1), 0);
	/* rekey: the new SA replaces the old one */
	sa_put(a, 0, &new_sa);
	c2 = draft_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &old, TW_CTRL_DRAFT_BASE,
			  TW_CTRL_DRAFT_KEYMAT, true);
	assert_int_equal(connect_from(c2, a->e.port_twamp, 1), -EKEYREJECTED);
	tw_ctrl_client_destroy(c2);
	c2 = draft_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &new_sa, TW_CTRL_DRAFT_BASE,
			  TW_CTRL_DRAFT_KEYMAT, true);
	assert_int_equal(connect_from(c2, a->e.port_twamp, 1), 0);
	i = twamp_request(a, c2, 5002, &s2);
	check_keys(a, i, c2, &s2, TW_MODE_AUTH | TW_MODE_IKEV2, &new_sa, TW_CTRL_DRAFT_BASE,
		   TW_CTRL_DRAFT_KEYMAT, true);
	/* delete: no IKEv2 bit for new connections */
	sa_put(a, 0, NULL);
	tw_ctrl_client_destroy(c2);
	c2 = draft_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &new_sa, TW_CTRL_DRAFT_BASE,
			  TW_CTRL_DRAFT_KEYMAT, true);
	assert_int_equal(connect_from(c2, a->e.port_twamp, 1), -ENOPROTOOPT);
	tw_ctrl_client_destroy(c2);
	/* the first connection still speaks, with per-SID keys of the old KEYMAT */
	assert_int_equal(tw_ctrl_client_stop(c1, 0), 0);
	i = twamp_request(a, c1, 5003, &s1);
	check_keys(a, i, c1, &s1, TW_MODE_ENCRYPTED | TW_MODE_IKEV2, &old, TW_CTRL_DRAFT_BASE,
		   TW_CTRL_DRAFT_KEYMAT, true);
	assert_true(tw_ctrl_client_connected(c1));
	tw_ctrl_client_destroy(c1);
	srv_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_binding_and_no_sa),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_rekey_delete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
