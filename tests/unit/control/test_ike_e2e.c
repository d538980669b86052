/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 7717 (IKEv2-derived keys) end to end: lib/control's client against
 * its server over loopback TCP, the server keyed by a small IKE SA table
 * (SPIi, SPIr, PRF, SK_d) that the test changes while connections run:
 * IKEv2Derived in authenticated, encrypted and mixed mode with both
 * token-key readings, TWAMP and OWAMP; unknown SPIs (Accept 6, close);
 * a wrong secret (Accept 1); an IKE rekey and an IKE delete between and
 * during connections.
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

#define IKE_MAX 4

/* ------------------------------------------------ the IKE SA table */

struct ike_sa {
	bool used;
	uint8_t spi_i[8], spi_r[8];
	enum tw_crypto_prf prf;
	uint8_t sk_d[TW_CRYPTO_PRF_MAX];
	size_t sk_d_len;
};

struct srv {
	struct e2e_srv e;            /* first: the server ops' argument */
	struct ike_sa ike[IKE_MAX];  /* under e.mu */
};

/* An IKE SA with SPIs made from @p tag and SK_d of @p prf's length. */
static void sa_make(struct ike_sa *sa, uint8_t tag, enum tw_crypto_prf prf)
{
	memset(sa, 0, sizeof(*sa));
	sa->used = true;
	for (int i = 0; i < 8; i++) {
		sa->spi_i[i] = (uint8_t)(0xA0 + tag + i);
		sa->spi_r[i] = (uint8_t)(0x10 * tag + i);
	}
	sa->prf = prf;
	sa->sk_d_len = (size_t)tw_crypto_prf_len(prf);
	for (size_t i = 0; i < sa->sk_d_len; i++)
		sa->sk_d[i] = (uint8_t)(tag * 37 + i * 11);
}

static void sa_put(struct srv *a, unsigned slot, const struct ike_sa *sa)
{
	pthread_mutex_lock(&a->e.mu);
	if (sa != NULL)
		a->ike[slot] = *sa;
	else
		memset(&a->ike[slot], 0, sizeof(a->ike[slot]));
	pthread_mutex_unlock(&a->e.mu);
}

static int ike_lookup(void *arg, const uint8_t spi_i[8], const uint8_t spi_r[8],
		      struct tw_ctrl_ike_key *out)
{
	struct srv *a = arg;
	int rc = -ENOENT;

	pthread_mutex_lock(&a->e.mu);
	for (unsigned i = 0; i < IKE_MAX; i++) {
		const struct ike_sa *sa = &a->ike[i];
		int n;

		if (!sa->used || memcmp(sa->spi_i, spi_i, 8) != 0 ||
		    memcmp(sa->spi_r, spi_r, 8) != 0)
			continue;
		n = tw_crypto_rfc7717_secret(sa->prf, sa->sk_d, sa->sk_d_len, out->secret);
		if (n > 0) {
			out->prf = sa->prf;
			out->secret_len = (size_t)n;
			rc = 0;
		}
		break;
	}
	pthread_mutex_unlock(&a->e.mu);
	return rc;
}

static unsigned ike_count(void *arg)
{
	struct srv *a = arg;
	unsigned n = 0;

	pthread_mutex_lock(&a->e.mu);
	for (unsigned i = 0; i < IKE_MAX; i++)
		n += a->ike[i].used;
	pthread_mutex_unlock(&a->e.mu);
	return n;
}

static struct srv *srv_start(enum tw_crypto_token_key_mode tk)
{
	static const struct tw_ctrl_server_ops ops = {
		.ike_lookup = ike_lookup,
		.ike_count = ike_count,
		.session_add = e2e_session_add,
		.session_start = e2e_session_start,
		.session_stop = e2e_session_stop,
	};
	struct tw_ctrl_server_conf conf = e2e_srv_conf();
	struct srv *a = calloc(1, sizeof(*a));
	static const uint8_t lo[16] = { 127, 0, 0, 1 };

	assert_non_null(a);
	conf.ike_token_key = tk;
	e2e_srv_start(&a->e, &conf, &ops, lo);
	return a;
}

static void srv_free(struct srv *a)
{
	e2e_srv_stop(&a->e);
	free(a);
}

static uint64_t closes(struct srv *a, unsigned reason)
{
	return e2e_srv_closes(&a->e, reason, 200);
}

/* ------------------------------------------------------- the client */

/*
 * A client keyed by @p sa as an IKE peer would key it: KeyID = SPIi | SPIr
 * | zeros, secret = prf(SK_d, "IPPM") (RFC 7717 §5.1, §5.3).
 */
static struct tw_ctrl_client *ike_client(enum tw_ctrl_proto proto, uint32_t modes,
					 const struct ike_sa *sa,
					 enum tw_crypto_token_key_mode tk)
{
	uint8_t keyid[TW_CTRL_KEYID_LEN], secret[TW_CRYPTO_PRF_MAX];
	int n = tw_crypto_rfc7717_secret(sa->prf, sa->sk_d, sa->sk_d_len, secret);
	struct tw_ctrl_client_conf cf = {
		.proto = proto,
		.modes = modes,
		.ikev2 = true,
		.keyid_raw = keyid,
		.secret = secret,
		.secret_len = (size_t)n,
		.token_key = tk,
	};
	struct tw_ctrl_client *c;

	assert_true(n > 0);
	tw_proto_ctrl_keyid_from_spis(keyid, sa->spi_i, sa->spi_r);
	c = tw_ctrl_client_create(&cf);
	assert_non_null(c);
	return c;
}

static int connect_to(struct tw_ctrl_client *c, int port)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return tw_ctrl_client_connect(c, (struct sockaddr *)&s4, sizeof(s4), NULL, 0);
}

/* Request one TWAMP session; its index on the server side. */
static unsigned twamp_request(struct srv *a, struct tw_ctrl_client *c, uint16_t port,
			      struct tw_ctrl_session *s)
{
	struct tw_ctrl_session_req q;
	int r;

	memset(&q, 0, sizeof(q));
	q.sender_port = port;
	q.timeout = 1ull << 32;
	r = tw_ctrl_client_request_tw_session(c, &q, s);
	if (r != 0)
		fail_msg("request: %s", tw_ctrl_client_error(c));
	return e2e_find_sess(&a->e, s->sid);
}

/* ------------------------------------------------------------ tests */

static void test_modes(void **state)
{
	static const uint32_t tw[] = { TW_MODE_AUTH, TW_MODE_ENCRYPTED, TW_MODE_MIXED };
	static const enum tw_crypto_prf prfs[] = { TW_CRYPTO_PRF_HMAC_SHA2_256,
						   TW_CRYPTO_PRF_HMAC_SHA1 };

	(void)state;
	for (int t = 0; t < 2; t++) {
		enum tw_crypto_token_key_mode tk = t ? TW_CRYPTO_TOKEN_KEY_DIRECT :
						       TW_CRYPTO_TOKEN_KEY_PBKDF2;
		struct srv *a = srv_start(tk);
		struct ike_sa sa;

		sa_make(&sa, 1, prfs[t]);
		sa_put(a, 0, &sa);
		for (unsigned m = 0; m < 3; m++) {
			struct tw_ctrl_client *c = ike_client(TW_CTRL_TWAMP, tw[m], &sa, tk);
			struct tw_ctrl_session s;
			unsigned i;

			if (connect_to(c, a->e.port_twamp) != 0)
				fail_msg("TWAMP 0x%x tk %d: %s", tw[m], t, tw_ctrl_client_error(c));
			assert_int_equal(tw_ctrl_client_mode(c), tw[m] | TW_MODE_IKEV2);
			i = twamp_request(a, c, (uint16_t)(5000 + m), &s);
			assert_int_equal(tw_ctrl_client_start(c), 0);
			assert_int_equal(tw_ctrl_client_stop(c, 0), 0);
			assert_true(tw_ctrl_client_connected(c));
			e2e_same_keys(&a->e, i, &s, tw[m] | TW_MODE_IKEV2);
			tw_ctrl_client_destroy(c);
		}
		/* OWAMP, bit 4 */
		for (unsigned m = 0; m < 2; m++) {
			uint32_t mode = m ? TW_MODE_ENCRYPTED : TW_MODE_AUTH;
			struct tw_ctrl_client *c = ike_client(TW_CTRL_OWAMP, mode, &sa, tk);
			struct tw_owamp_slot slot = { .type = TW_OWAMP_SLOT_FIXED,
						      .parameter = 1ull << 28 };
			struct tw_ctrl_session_req q;
			struct tw_ctrl_session s;

			if (connect_to(c, a->e.port_owamp) != 0)
				fail_msg("OWAMP 0x%x tk %d: %s", mode, t, tw_ctrl_client_error(c));
			assert_int_equal(tw_ctrl_client_mode(c), mode | TW_MODE_OWAMP_IKEV2);
			memset(&q, 0, sizeof(q));
			q.conf_receiver = true;
			q.sender_port = 8001;
			q.num_packets = 10;
			q.slots = &slot;
			q.num_slots = 1;
			if (tw_ctrl_client_request_ow_session(c, &q, &s) != 0)
				fail_msg("OWAMP request: %s", tw_ctrl_client_error(c));
			pthread_mutex_lock(&a->e.mu);
			assert_memory_equal(&a->e.s[a->e.n - 1].test_keys, &s.test_keys,
					    sizeof(s.test_keys));
			assert_int_equal(a->e.s[a->e.n - 1].mode, mode | TW_MODE_OWAMP_IKEV2);
			pthread_mutex_unlock(&a->e.mu);
			tw_ctrl_client_destroy(c);
		}
		srv_free(a);
	}
}

static void test_refusals(void **state)
{
	struct srv *a = srv_start(TW_CRYPTO_TOKEN_KEY_PBKDF2);
	struct tw_ctrl_client *c;
	struct ike_sa sa, other;

	(void)state;
	sa_make(&sa, 1, TW_CRYPTO_PRF_HMAC_SHA2_256);
	sa_make(&other, 2, TW_CRYPTO_PRF_HMAC_SHA2_256);
	/* no IKE SA at all: IKEv2Derived is not offered */
	c = ike_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &sa, TW_CRYPTO_TOKEN_KEY_PBKDF2);
	assert_int_equal(connect_to(c, a->e.port_twamp), -ENOPROTOOPT);
	assert_int_equal(tw_ctrl_client_server_modes(c) & TW_MODE_IKEV2, 0);
	tw_ctrl_client_destroy(c);
	/* unknown SPIs: Server-Start Accept 6 and close */
	sa_put(a, 0, &sa);
	c = ike_client(TW_CTRL_TWAMP, TW_MODE_ENCRYPTED, &other, TW_CRYPTO_TOKEN_KEY_PBKDF2);
	assert_int_equal(connect_to(c, a->e.port_twamp), -ENOKEY);
	assert_int_equal(tw_ctrl_client_last_accept(c), TW_ACCEPT_NO_IKEV2_SA);
	assert_false(tw_ctrl_client_connected(c));
	tw_ctrl_client_destroy(c);
	assert_int_equal(closes(a, TW_CTRL_SRV_CLOSE_NO_IKE_SA), 1);
	/* the right SPIs with another SK_d (wrong key): Accept 1 */
	memcpy(other.spi_i, sa.spi_i, 8);
	memcpy(other.spi_r, sa.spi_r, 8);
	c = ike_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &other, TW_CRYPTO_TOKEN_KEY_PBKDF2);
	assert_int_equal(connect_to(c, a->e.port_twamp), -EACCES);
	assert_int_equal(tw_ctrl_client_last_accept(c), TW_ACCEPT_FAILURE);
	tw_ctrl_client_destroy(c);
	assert_int_equal(closes(a, TW_CTRL_SRV_CLOSE_TOKEN), 1);
	/* the right key read the other way (direct vs PBKDF2): Accept 1 */
	c = ike_client(TW_CTRL_OWAMP, TW_MODE_AUTH, &sa, TW_CRYPTO_TOKEN_KEY_DIRECT);
	assert_int_equal(connect_to(c, a->e.port_owamp), -EACCES);
	tw_ctrl_client_destroy(c);
	/* OWAMP unknown SPIs: Accept 6 too */
	sa_make(&other, 3, TW_CRYPTO_PRF_HMAC_SHA1);
	c = ike_client(TW_CTRL_OWAMP, TW_MODE_ENCRYPTED, &other, TW_CRYPTO_TOKEN_KEY_PBKDF2);
	assert_int_equal(connect_to(c, a->e.port_owamp), -ENOKEY);
	tw_ctrl_client_destroy(c);
	/* open mode with the IKEv2Derived bit (raw): Accept 3, close */
	{
		struct sockaddr_in s4 = { .sin_family = AF_INET,
					  .sin_port = htons((uint16_t)a->e.port_twamp) };
		struct tw_ctrl_setup_response sr;
		uint8_t b[TW_CTRL_SETUP_RESPONSE_LEN];
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		size_t got = 0;

		s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_true(fd >= 0);
		assert_int_equal(connect(fd, (struct sockaddr *)&s4, sizeof(s4)), 0);
		while (got < TW_CTRL_GREETING_LEN) {
			ssize_t n = recv(fd, b + got, TW_CTRL_GREETING_LEN - got, 0);

			assert_true(n > 0);
			got += (size_t)n;
		}
		memset(&sr, 0, sizeof(sr));
		sr.mode = TW_MODE_UNAUTH | TW_MODE_IKEV2;
		tw_proto_ctrl_keyid_from_spis(sr.keyid, sa.spi_i, sa.spi_r);
		assert_int_equal(tw_proto_ctrl_setup_response_encode(&sr, b, sizeof(b)),
				 (int)sizeof(b));
		assert_int_equal(send(fd, b, sizeof(b), 0), (ssize_t)sizeof(b));
		for (got = 0; got < TW_CTRL_SERVER_START_LEN;) {
			ssize_t n = recv(fd, b + got, TW_CTRL_SERVER_START_LEN - got, 0);

			assert_true(n > 0);
			got += (size_t)n;
		}
		assert_int_equal(b[15], TW_ACCEPT_NOT_SUPPORTED);
		assert_int_equal(recv(fd, b, 1, 0), 0); /* closed */
		close(fd);
	}
	/* a client that wants IKEv2Derived never settles for open */
	{
		uint8_t keyid[TW_CTRL_KEYID_LEN] = { 0 };
		struct tw_ctrl_client_conf cf = {
			.proto = TW_CTRL_TWAMP, .modes = TW_MODE_UNAUTH, .ikev2 = true,
			.keyid_raw = keyid, .secret = "0123456789abcdef", .secret_len = 16,
		};

		assert_null(tw_ctrl_client_create(&cf));
		assert_int_equal(errno, EINVAL);
	}
	srv_free(a);
}

/*
 * IKE rekey between two connections and an IKE delete during a test: the
 * running connection keeps its keys (new commands still verify), the new
 * connection uses the new IKE SA, the old SPIs get Accept 6.
 */
static void test_rekey_delete(void **state)
{
	struct srv *a = srv_start(TW_CRYPTO_TOKEN_KEY_PBKDF2);
	struct tw_ctrl_client *c1, *c2, *c3;
	struct tw_ctrl_session s1, s2, s3;
	struct ike_sa old, new_sa;
	unsigned i1, i2, i3;

	(void)state;
	sa_make(&old, 1, TW_CRYPTO_PRF_HMAC_SHA2_512);
	sa_make(&new_sa, 4, TW_CRYPTO_PRF_HMAC_SHA2_512);
	sa_put(a, 0, &old);
	c1 = ike_client(TW_CTRL_TWAMP, TW_MODE_ENCRYPTED, &old, TW_CRYPTO_TOKEN_KEY_PBKDF2);
	assert_int_equal(connect_to(c1, a->e.port_twamp), 0);
	i1 = twamp_request(a, c1, 5001, &s1);
	assert_int_equal(tw_ctrl_client_start(c1), 0);

	/* rekey: the new IKE SA replaces the old one (RFC 7296 §2.18) */
	sa_put(a, 1, &new_sa);
	sa_put(a, 0, NULL);
	c2 = ike_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &new_sa, TW_CRYPTO_TOKEN_KEY_PBKDF2);
	assert_int_equal(connect_to(c2, a->e.port_twamp), 0);
	i2 = twamp_request(a, c2, 5002, &s2);
	e2e_same_keys(&a->e, i2, &s2, TW_MODE_AUTH | TW_MODE_IKEV2);
	c3 = ike_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &old, TW_CRYPTO_TOKEN_KEY_PBKDF2);
	assert_int_equal(connect_to(c3, a->e.port_twamp), -ENOKEY);
	tw_ctrl_client_destroy(c3);

	/* delete every IKE SA while both connections run */
	assert_int_equal(tw_ctrl_client_start(c2), 0);
	sa_put(a, 1, NULL);
	c3 = ike_client(TW_CTRL_TWAMP, TW_MODE_AUTH, &new_sa, TW_CRYPTO_TOKEN_KEY_PBKDF2);
	assert_int_equal(connect_to(c3, a->e.port_twamp), -ENOPROTOOPT);
	tw_ctrl_client_destroy(c3);

	/* the old connections still speak with their own keys */
	assert_int_equal(tw_ctrl_client_stop(c1, 0), 0);
	assert_int_equal(tw_ctrl_client_stop(c2, 0), 0);
	i3 = twamp_request(a, c1, 5003, &s3);
	e2e_same_keys(&a->e, i1, &s1, TW_MODE_ENCRYPTED | TW_MODE_IKEV2);
	e2e_same_keys(&a->e, i3, &s3, TW_MODE_ENCRYPTED | TW_MODE_IKEV2);
	assert_true(tw_ctrl_client_connected(c1));
	assert_true(tw_ctrl_client_connected(c2));
	pthread_mutex_lock(&a->e.mu);
	assert_true(a->e.started[i1] && a->e.stopped[i1]);
	assert_true(a->e.started[i2] && a->e.stopped[i2]);
	pthread_mutex_unlock(&a->e.mu);
	tw_ctrl_client_destroy(c1);
	tw_ctrl_client_destroy(c2);
	srv_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_rekey_delete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
