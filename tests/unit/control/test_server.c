/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/control server: the state machine and the socket loop against raw
 * scripted clients built from lib/proto + lib/crypto over loopback TCP.
 * The server runs in this thread: every client step polls it until the
 * answer arrives (or the connection closes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tw_crypto.h"
#include "tw_ctrl_client.h"
#include "tw_ctrl_server.h"
#include "tw_proto_ctrl.h"

#define PASS "EXAMPLE passphrase - change me"
#define KEYNAME "lab"
#define MAXS 64

/* ---------------- the application side (ops) ---------------- */

struct msess {
	bool used, started, stopped, deleted;
	struct tw_ctrl_srv_session s;
	uint64_t stop_timeout;
	uint32_t next_seqno, n_skips;
	uint8_t req[512];
	size_t req_len;
};

struct app {
	struct msess s[MAXS];
	unsigned n;
	uint8_t accept;       /* forced answer of session_add (0: accept) */
	unsigned dels;
	unsigned logs;
	struct tw_owamp_record recs[4];
};

static struct app A;

static int key_lookup(void *arg, const uint8_t keyid[TW_CTRL_KEYID_LEN],
		      uint8_t *secret, size_t cap)
{
	(void)arg;
	if (memcmp(keyid, KEYNAME, sizeof(KEYNAME)) != 0)
		return -ENOENT;
	assert_true(cap >= strlen(PASS));
	memcpy(secret, PASS, strlen(PASS));
	return (int)strlen(PASS);
}

static uint8_t session_add(void *arg, struct tw_ctrl_srv_session *s, uint64_t *h)
{
	struct app *a = arg;

	if (a->accept != 0)
		return a->accept;
	assert_true(a->n < MAXS);
	if (s->local_port == 0)
		s->local_port = (uint16_t)(20000 + a->n);
	a->s[a->n].used = true;
	a->s[a->n].s = *s;
	a->s[a->n].s.req = NULL;
	assert_true(s->req_wire_len <= sizeof(a->s[a->n].req));
	memcpy(a->s[a->n].req, s->req_wire, s->req_wire_len);
	a->s[a->n].req_len = s->req_wire_len;
	*h = a->n++;
	return 0;
}

static int session_start(void *arg, uint64_t h)
{
	struct app *a = arg;

	assert_true(h < a->n && !a->s[h].deleted);
	a->s[h].started = true;
	return 0;
}

static int session_stop(void *arg, uint64_t h, uint64_t timeout_ns, uint32_t next,
			const struct tw_owamp_skip *skips, uint32_t n_skips)
{
	struct app *a = arg;

	(void)skips;
	assert_true(h < a->n && !a->s[h].deleted);
	a->s[h].stopped = true;
	a->s[h].stop_timeout = timeout_ns;
	a->s[h].next_seqno = next;
	a->s[h].n_skips = n_skips;
	return 0;
}

static void session_del(void *arg, uint64_t h)
{
	struct app *a = arg;

	assert_true(h < a->n && !a->s[h].deleted);
	a->s[h].deleted = true;
	a->dels++;
}

static uint8_t owamp_fetch(void *arg, const uint8_t sid[16], uint32_t begin, uint32_t end,
			   struct tw_ctrl_srv_fetch *out)
{
	struct app *a = arg;

	(void)begin;
	(void)end;
	for (unsigned i = 0; i < a->n; i++) {
		if (memcmp(a->s[i].s.sid, sid, 16) != 0)
			continue;
		for (unsigned k = 0; k < 4; k++) {
			a->recs[k].seq = k * 2; /* every other packet arrived */
			a->recs[k].send_errest = 0x0001;
			a->recs[k].recv_errest = 0x0001;
			a->recs[k].send_ts = (tw_ntp_t)(1000 + k) << 32;
			a->recs[k].recv_ts = ((tw_ntp_t)(1000 + k) << 32) + 5;
			a->recs[k].ttl = 64;
		}
		out->finished = a->s[i].stopped;
		out->next_seqno = a->s[i].next_seqno;
		out->recs = a->recs;
		out->n_recs = 4;
		out->request = a->s[i].req;
		out->request_len = a->s[i].req_len;
		return 0;
	}
	return TW_ACCEPT_FAILURE;
}

static void logcb(void *arg, int level, const char *msg)
{
	(void)arg;
	(void)level;
	if (getenv("TW_TEST_VERBOSE"))
		fprintf(stderr, "# log: %s\n", msg);
	A.logs++;
}

static const struct tw_ctrl_server_ops OPS = {
	.key_lookup = key_lookup,
	.session_add = session_add,
	.session_start = session_start,
	.session_stop = session_stop,
	.session_del = session_del,
	.owamp_fetch = owamp_fetch,
	.log = logcb,
};

static struct tw_ctrl_server_conf base_conf(void)
{
	struct tw_ctrl_server_conf c = {
		.modes = TW_MODE_UNAUTH | TW_MODE_AUTH | TW_MODE_ENCRYPTED | TW_MODE_MIXED |
			 TW_MODE_INDIVIDUAL | TW_MODE_REFLECT_OCTETS | TW_MODE_SYMMETRICAL |
			 TW_MODE_DSCP_ECN,
		.owamp_modes = TW_MODE_UNAUTH | TW_MODE_AUTH | TW_MODE_ENCRYPTED,
		.count = 1024,
		.max_connections = 8,
		.max_sessions = 16,
		.max_sessions_per_connection = 8,
		.servwait_s = 900,
		.refwait_s = 900,
		.msg_deadline_ms = 300,
	};
	return c;
}

struct fix {
	struct tw_ctrl_server *srv;
	uint16_t port4, port6, oport4;
};

static struct fix F;

static void fix_up(const struct tw_ctrl_server_conf *conf)
{
	static const uint8_t lo4[16] = { 127, 0, 0, 1 };
	static const uint8_t lo6[16] = { [15] = 1 };
	int i;

	memset(&A, 0, sizeof(A));
	F.srv = tw_ctrl_server_create(conf, &OPS, &A);
	assert_non_null(F.srv);
	i = tw_ctrl_server_listen(F.srv, AF_INET, lo4, 0, TW_CTRL_TWAMP);
	assert_true(i >= 0);
	F.port4 = (uint16_t)tw_ctrl_server_listen_port(F.srv, i);
	i = tw_ctrl_server_listen(F.srv, AF_INET6, lo6, 0, TW_CTRL_TWAMP);
	F.port6 = i >= 0 ? (uint16_t)tw_ctrl_server_listen_port(F.srv, i) : 0;
	i = tw_ctrl_server_listen(F.srv, AF_INET, lo4, 0, TW_CTRL_OWAMP);
	assert_true(i >= 0);
	F.oport4 = (uint16_t)tw_ctrl_server_listen_port(F.srv, i);
}

static int setup_default(void **st)
{
	struct tw_ctrl_server_conf c = base_conf();

	(void)st;
	fix_up(&c);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	tw_ctrl_server_destroy(F.srv);
	F.srv = NULL;
	return 0;
}

static uint64_t close_count(unsigned reason)
{
	struct tw_ctrl_server_stats s;

	assert_int_equal(tw_ctrl_server_stats(F.srv, &s), 0);
	return s.closes[reason];
}

static struct tw_ctrl_server_stats stats(void)
{
	struct tw_ctrl_server_stats s;

	assert_int_equal(tw_ctrl_server_stats(F.srv, &s), 0);
	return s;
}

/* ---------------- the raw client ---------------- */

struct cli {
	int fd;
	int family;
	enum tw_ctrl_proto proto;
	uint32_t mode;
	struct tw_ctrl_greeting g;
	struct tw_crypto_session_keys sk;
	struct tw_crypto_ctrl *cc;
};

/* The loopback address of @p family with @p port. */
static socklen_t loopback(int family, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_loopback;
		return sizeof(*s6);
	}
}

static void cli_connect(struct cli *c, int family, uint16_t port, enum tw_ctrl_proto proto)
{
	struct sockaddr_storage ss;
	socklen_t sl = loopback(family, port, &ss);

	memset(c, 0, sizeof(*c));
	c->family = family;
	c->proto = proto;
	c->fd = socket(family, SOCK_STREAM, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&ss, sl), 0);
}

static void cli_close(struct cli *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	tw_crypto_ctrl_destroy(c->cc);
	c->cc = NULL;
	for (int i = 0; i < 5; i++)
		tw_ctrl_server_poll(F.srv, 5);
}

/* Read exactly @p n octets, running the server meanwhile. @return n, or
 * the count read before the server closed (EOF). */
static size_t cli_read(struct cli *c, uint8_t *buf, size_t n)
{
	size_t got = 0;

	for (int spins = 0; got < n && spins < 2000; spins++) {
		ssize_t r;

		tw_ctrl_server_poll(F.srv, 2);
		r = recv(c->fd, buf + got, n - got, MSG_DONTWAIT);
		if (r == 0)
			return got;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (r < 0)
			return got; /* reset */
		got += (size_t)r;
	}
	return got;
}

/* True when the server closed the connection (EOF or reset). */
static bool cli_eof(struct cli *c)
{
	uint8_t b[256];

	for (int spins = 0; spins < 3000; spins++) {
		ssize_t r;

		tw_ctrl_server_poll(F.srv, 2);
		r = recv(c->fd, b, sizeof(b), MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			return true;
	}
	return false;
}

static void cli_send_raw(struct cli *c, const uint8_t *p, size_t n)
{
	assert_int_equal(send(c->fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
	tw_ctrl_server_poll(F.srv, 0);
}

/* Seal (secure modes) and send a message whose last 16 octets are its HMAC. */
static void cli_send(struct cli *c, const uint8_t *plain, size_t n)
{
	uint8_t buf[2048];

	assert_true(n <= sizeof(buf));
	memcpy(buf, plain, n);
	if (c->cc != NULL)
		assert_int_equal(tw_crypto_ctrl_seal(c->cc, buf, n), 0);
	cli_send_raw(c, buf, n);
}

/* Receive @p n octets and open them (HMAC checked). */
static void cli_recv(struct cli *c, uint8_t *buf, size_t n)
{
	assert_int_equal(cli_read(c, buf, n), n);
	if (c->cc != NULL)
		assert_int_equal(tw_crypto_ctrl_open(c->cc, buf, n), 0);
}

static void cli_greeting(struct cli *c)
{
	uint8_t buf[TW_CTRL_GREETING_LEN];

	assert_int_equal(cli_read(c, buf, sizeof(buf)), sizeof(buf));
	assert_int_equal(tw_proto_ctrl_greeting_decode(buf, sizeof(buf), &c->g), 64);
}

/* Set-Up-Response; @return the Server-Start Accept. */
static uint8_t cli_setup(struct cli *c, uint32_t mode, const char *keyid, const char *pass)
{
	struct tw_ctrl_setup_response r;
	struct tw_ctrl_server_start ss;
	uint8_t buf[TW_CTRL_SETUP_RESPONSE_LEN], st[TW_CTRL_SERVER_START_LEN];
	uint8_t key[16];

	memset(&r, 0, sizeof(r));
	r.mode = mode;
	c->mode = mode;
	if (!(mode & TW_MODE_UNAUTH)) {
		assert_int_equal(tw_crypto_random(&c->sk, sizeof(c->sk)), 0);
		assert_int_equal(tw_crypto_random(r.client_iv, 16), 0);
		memcpy(r.keyid, keyid, strlen(keyid));
		assert_int_equal(tw_crypto_token_key(pass, strlen(pass), c->g.salt, c->g.count, 0, key), 0);
		assert_int_equal(tw_crypto_token_encrypt(key, c->g.challenge, &c->sk, r.token), 0);
	}
	assert_int_equal(tw_proto_ctrl_setup_response_encode(&r, buf, sizeof(buf)), 164);
	cli_send_raw(c, buf, sizeof(buf));
	assert_int_equal(cli_read(c, st, sizeof(st)), sizeof(st));
	assert_int_equal(tw_proto_ctrl_server_start_decode(st, sizeof(st), &ss), 48);
	if (ss.accept == 0 && !(mode & TW_MODE_UNAUTH)) {
		c->cc = tw_crypto_ctrl_create(TW_CRYPTO_CLIENT, &c->sk, r.client_iv, ss.server_iv);
		assert_non_null(c->cc);
		assert_int_equal(tw_crypto_ctrl_server_start(c->cc, st, sizeof(st)), 0);
		assert_int_not_equal(tw_get_be64(st + 32), 0); /* Start-Time */
	}
	return ss.accept;
}

static void cli_open(struct cli *c, int family, uint32_t mode)
{
	cli_connect(c, family, family == AF_INET ? F.port4 : F.port6, TW_CTRL_TWAMP);
	cli_greeting(c);
	assert_int_equal(cli_setup(c, mode, KEYNAME, PASS), 0);
}

static void make_req(struct cli *c, struct tw_ctrl_request *q, uint16_t sport)
{
	memset(q, 0, sizeof(*q));
	q->ipvn = c->family == AF_INET6 ? 6 : 4;
	q->sender_port = sport;
	q->padding_length = 100;
	q->timeout = (tw_ntp_t)2 << 32; /* 2 s */
	q->type_p = tw_proto_ctrl_typep_dscp(46);
}

/* Request-TW-Session; @return the Accept-Session. */
static struct tw_ctrl_accept_session cli_request(struct cli *c, const struct tw_ctrl_request *q)
{
	struct tw_ctrl_accept_session a;
	uint8_t buf[TW_CTRL_REQUEST_TW_SESSION_LEN], ab[TW_CTRL_ACCEPT_SESSION_LEN];

	assert_int_equal(tw_proto_twamp_request_encode(q, c->mode, buf, sizeof(buf)), 112);
	cli_send(c, buf, sizeof(buf));
	cli_recv(c, ab, sizeof(ab));
	assert_int_equal(tw_proto_ctrl_accept_session_decode(ab, sizeof(ab), c->mode, &a), 48);
	return a;
}

static uint8_t cli_start(struct cli *c)
{
	struct tw_ctrl_start_sessions m = { { 0 } };
	struct tw_ctrl_start_ack a;
	uint8_t buf[32];

	assert_int_equal(tw_proto_ctrl_start_sessions_encode(&m, buf, sizeof(buf)), 32);
	cli_send(c, buf, sizeof(buf));
	cli_recv(c, buf, sizeof(buf));
	assert_int_equal(tw_proto_ctrl_start_ack_decode(buf, sizeof(buf), &a), 32);
	return a.accept;
}

static void cli_stop(struct cli *c, uint32_t n)
{
	struct tw_ctrl_stop_sessions m = { .num_sessions = n };
	uint8_t buf[32];

	assert_int_equal(tw_proto_twamp_stop_sessions_encode(&m, buf, sizeof(buf)), 32);
	cli_send(c, buf, sizeof(buf));
	for (int i = 0; i < 10; i++)
		tw_ctrl_server_poll(F.srv, 1);
}

/* ---------------- tests ---------------- */

static void one_mode(int family, uint32_t mode)
{
	struct cli c;
	struct tw_ctrl_request q;
	struct tw_ctrl_accept_session a;
	struct tw_crypto_session_keys tk;
	struct msess *m;
	unsigned base = A.n;

	cli_open(&c, family, mode);
	assert_int_equal(c.g.modes, base_conf().modes);
	assert_int_equal(c.g.count, 1024);
	make_req(&c, &q, 40000);
	a = cli_request(&c, &q);
	assert_int_equal(a.accept, 0);
	assert_int_equal(a.port, 20000 + base);
	{
		static const uint8_t z[16];

		assert_memory_not_equal(a.sid, z, 16);
	}
	m = &A.s[base];
	assert_true(m->used);
	assert_memory_equal(m->s.sid, a.sid, 16);
	assert_int_equal(m->s.family, family);
	assert_int_equal(m->s.peer_port, 40000);
	assert_int_equal(m->s.dscp, 46);
	assert_int_equal(m->s.padding_length, 100);
	assert_int_equal(m->s.timeout_ns, 2000000000ull);
	assert_int_equal(m->s.refwait_s, 900);
	/* all-zero addresses: the control connection's ends (loopback) */
	if (family == AF_INET)
		assert_int_equal(m->s.peer_addr[0], 127);
	else
		assert_int_equal(m->s.peer_addr[15], 1);
	if (mode & (TW_MODE_AUTH | TW_MODE_ENCRYPTED)) {
		assert_int_equal(tw_crypto_test_keys(&c.sk, a.sid, &tk), 0);
		assert_memory_equal(&m->s.test_keys, &tk, sizeof(tk));
		assert_int_equal(m->s.test_mode, mode & TW_MODE_AUTH ? TW_CTRL_SRV_TEST_AUTH :
								    TW_CTRL_SRV_TEST_ENC);
	} else {
		assert_int_equal(m->s.test_mode, TW_CTRL_SRV_TEST_OPEN);
	}
	assert_int_equal(cli_start(&c), 0);
	assert_true(m->started);
	assert_int_equal(stats().sessions, base + 1 - A.dels);
	cli_stop(&c, 1);
	assert_true(m->stopped);
	assert_int_equal(m->stop_timeout, 2000000000ull);
	assert_false(m->deleted);
	cli_close(&c);
	assert_true(m->deleted);
}

static void test_every_mode(void **st)
{
	static const uint32_t modes[] = { TW_MODE_UNAUTH, TW_MODE_AUTH, TW_MODE_ENCRYPTED,
					  TW_MODE_MIXED };

	(void)st;
	for (unsigned i = 0; i < 4; i++) {
		one_mode(AF_INET, modes[i]);
		if (F.port6 != 0)
			one_mode(AF_INET6, modes[i]);
		/* with every option bit as well */
		one_mode(AF_INET, modes[i] | TW_MODE_REFLECT_OCTETS | TW_MODE_SYMMETRICAL |
				  TW_MODE_DSCP_ECN);
	}
	assert_int_equal(stats().sessions, 0);
	assert_int_equal(close_count(TW_CTRL_SRV_CLOSE_PEER), F.port6 ? 12 : 8);
}

static void test_options(void **st)
{
	struct cli c;
	struct tw_ctrl_request q;
	struct tw_ctrl_accept_session a;

	(void)st;
	cli_open(&c, AF_INET, TW_MODE_ENCRYPTED | TW_MODE_REFLECT_OCTETS | TW_MODE_SYMMETRICAL |
				      TW_MODE_DSCP_ECN);
	make_req(&c, &q, 40001);
	q.reflect_octets = 0xbeef;
	q.reflect_padding = 20;
	q.receiver_port = 5555;
	a = cli_request(&c, &q);
	assert_int_equal(a.accept, 0);
	assert_int_equal(a.reflected_octets, 0xbeef);
	assert_int_equal(a.server_octets, 0);
	assert_int_equal(a.port, 5555);
	assert_true(A.s[0].s.sym_size);
	assert_true(A.s[0].s.dscp_ecn);
	assert_int_equal(A.s[0].s.reflect_padding, 20);
	/* RFC 6038: Padding Length must exceed the padding to reflect */
	q.reflect_padding = 200;
	a = cli_request(&c, &q);
	assert_int_equal(a.accept, TW_ACCEPT_NOT_SUPPORTED);
	assert_int_equal(a.port, 0);
	/* Type-P formats 10/11: Accept 3, connection stays */
	make_req(&c, &q, 40002);
	q.type_p = 0x80000000u;
	a = cli_request(&c, &q);
	assert_int_equal(a.accept, TW_ACCEPT_NOT_SUPPORTED);
	/* IPv6 request with zero addresses on an IPv4 connection */
	make_req(&c, &q, 40003);
	q.ipvn = 6;
	a = cli_request(&c, &q);
	assert_int_equal(a.accept, TW_ACCEPT_NOT_SUPPORTED);
	/* the app refusing */
	A.accept = TW_ACCEPT_INTERNAL;
	make_req(&c, &q, 40004);
	a = cli_request(&c, &q);
	assert_int_equal(a.accept, TW_ACCEPT_INTERNAL);
	A.accept = 0;
	assert_int_equal(stats().sessions, 1);
	assert_int_equal(stats().sessions_refused, 4);
	cli_close(&c);
}

static void test_conf_flags(void **st)
{
	struct cli c;
	uint8_t buf[112], ab[48];
	struct tw_ctrl_request q;

	(void)st;
	cli_open(&c, AF_INET, TW_MODE_AUTH);
	make_req(&c, &q, 40000);
	assert_int_equal(tw_proto_twamp_request_encode(&q, c.mode, buf, sizeof(buf)), 112);
	buf[2] = 1; /* Conf-Sender: RFC 5357 §3.5 says Accept 3 */
	cli_send(&c, buf, sizeof(buf));
	cli_recv(&c, ab, sizeof(ab));
	assert_int_equal(ab[0], TW_ACCEPT_NOT_SUPPORTED);
	cli_close(&c);
}

/* Set-Up-Response refused with Accept 1, connection closed for @p reason. */
static void refused_setup(uint32_t mode, const char *keyid, const char *pass, unsigned reason)
{
	struct cli c;

	cli_connect(&c, AF_INET, F.port4, TW_CTRL_TWAMP);
	cli_greeting(&c);
	assert_int_equal(cli_setup(&c, mode, keyid, pass), TW_ACCEPT_FAILURE);
	assert_true(cli_eof(&c));
	assert_int_equal(close_count(reason), 1);
	cli_close(&c);
	assert_int_equal(A.n, 0);
	assert_true(A.logs >= 1);
}

static void test_wrong_passphrase(void **st)
{
	(void)st;
	refused_setup(TW_MODE_AUTH, KEYNAME, "not the passphrase", TW_CTRL_SRV_CLOSE_TOKEN);
}

static void test_unknown_keyid(void **st)
{
	(void)st;
	refused_setup(TW_MODE_ENCRYPTED, "nobody", PASS, TW_CTRL_SRV_CLOSE_KEYID);
}

static void test_bad_mode(void **st)
{
	struct cli c;

	(void)st;
	/* two security bits */
	cli_connect(&c, AF_INET, F.port4, TW_CTRL_TWAMP);
	cli_greeting(&c);
	assert_int_equal(cli_setup(&c, TW_MODE_UNAUTH | TW_MODE_AUTH, KEYNAME, PASS),
			 TW_ACCEPT_NOT_SUPPORTED);
	assert_true(cli_eof(&c));
	cli_close(&c);
	/* Mode 0: the client quits, nothing is sent */
	cli_connect(&c, AF_INET, F.port4, TW_CTRL_TWAMP);
	cli_greeting(&c);
	{
		uint8_t buf[164] = { 0 };

		cli_send_raw(&c, buf, sizeof(buf));
	}
	assert_true(cli_eof(&c));
	cli_close(&c);
	assert_int_equal(close_count(TW_CTRL_SRV_CLOSE_MODE), 1);
	assert_int_equal(close_count(TW_CTRL_SRV_CLOSE_QUIT), 1);
}

static void unknown_cmd(uint32_t mode, uint8_t cmd)
{
	struct cli c;
	uint8_t buf[32] = { 0 }, ab[48];
	struct tw_ctrl_request q;

	cli_open(&c, AF_INET, mode);
	make_req(&c, &q, 40000);
	assert_int_equal(cli_request(&c, &q).accept, 0);
	buf[0] = cmd;
	cli_send(&c, buf, sizeof(buf));
	cli_recv(&c, ab, sizeof(ab));
	assert_int_equal(ab[0], TW_ACCEPT_NOT_SUPPORTED);
	assert_true(cli_eof(&c));
	cli_close(&c);
}

static void test_unknown_command(void **st)
{
	(void)st;
	unknown_cmd(TW_MODE_UNAUTH, 12);
	unknown_cmd(TW_MODE_ENCRYPTED, 200);
	unknown_cmd(TW_MODE_AUTH, TW_TWAMP_CMD_START_N_ACK);
	/* Start-N without individual session control selected */
	unknown_cmd(TW_MODE_MIXED, TW_TWAMP_CMD_START_N_SESSIONS);
	assert_int_equal(close_count(TW_CTRL_SRV_CLOSE_COMMAND), 4);
	/* the installed sessions were removed on close */
	assert_int_equal(A.dels, 4);
	assert_int_equal(stats().sessions, 0);
}

static void test_bad_hmac(void **st)
{
	static const uint32_t modes[] = { TW_MODE_AUTH, TW_MODE_ENCRYPTED, TW_MODE_MIXED };

	(void)st;
	for (unsigned i = 0; i < 3; i++) {
		struct cli c;
		struct tw_ctrl_request q;
		uint8_t buf[112];

		cli_open(&c, AF_INET, modes[i]);
		make_req(&c, &q, 40000);
		assert_int_equal(cli_request(&c, &q).accept, 0);
		assert_int_equal(tw_proto_twamp_request_encode(&q, c.mode, buf, sizeof(buf)), 112);
		assert_int_equal(tw_crypto_ctrl_seal(c.cc, buf, sizeof(buf)), 0);
		buf[100] ^= 0x40; /* flip a bit of the encrypted HMAC */
		cli_send_raw(&c, buf, sizeof(buf));
		assert_true(cli_eof(&c));
		cli_close(&c);
	}
	assert_int_equal(close_count(TW_CTRL_SRV_CLOSE_HMAC), 3);
	assert_int_equal(A.n, 3);         /* only the good requests installed */
	assert_int_equal(A.dels, 3);      /* and removed */
}

static void test_out_of_order(void **st)
{
	struct cli c;
	struct tw_ctrl_request q;
	uint8_t buf[112];

	(void)st;
	/* Stop-Sessions before Start-Sessions */
	cli_open(&c, AF_INET, TW_MODE_UNAUTH);
	cli_stop(&c, 0);
	assert_true(cli_eof(&c));
	cli_close(&c);
	/* Request-TW-Session while sessions run */
	cli_open(&c, AF_INET, TW_MODE_ENCRYPTED);
	make_req(&c, &q, 40000);
	assert_int_equal(cli_request(&c, &q).accept, 0);
	assert_int_equal(cli_start(&c), 0);
	assert_int_equal(tw_proto_twamp_request_encode(&q, c.mode, buf, sizeof(buf)), 112);
	cli_send(&c, buf, sizeof(buf));
	assert_true(cli_eof(&c));
	cli_close(&c);
	assert_int_equal(close_count(TW_CTRL_SRV_CLOSE_ORDER), 2);
	assert_true(A.s[0].deleted);
	/* Stop-Sessions with the wrong count */
	cli_open(&c, AF_INET, TW_MODE_AUTH);
	assert_int_equal(cli_request(&c, &q).accept, 0);
	assert_int_equal(cli_start(&c), 0);
	cli_stop(&c, 5);
	assert_true(cli_eof(&c));
	cli_close(&c);
	assert_int_equal(close_count(TW_CTRL_SRV_CLOSE_MALFORMED), 1);
	assert_int_equal(stats().sessions, 0);
}

static int setup_limits(void **st)
{
	struct tw_ctrl_server_conf c = base_conf();

	(void)st;
	c.max_sessions = 3;
	c.max_sessions_per_connection = 2;
	c.max_connections = 2;
	fix_up(&c);
	return 0;
}

static void test_limits(void **st)
{
	struct cli a, b, x;
	struct tw_ctrl_request q;

	(void)st;
	cli_open(&a, AF_INET, TW_MODE_UNAUTH);
	make_req(&a, &q, 40000);
	assert_int_equal(cli_request(&a, &q).accept, 0);
	q.sender_port++;
	assert_int_equal(cli_request(&a, &q).accept, 0);
	q.sender_port++;
	/* this connection's cap: permanent (4) */
	assert_int_equal(cli_request(&a, &q).accept, TW_ACCEPT_PERMANENT);
	cli_open(&b, AF_INET, TW_MODE_AUTH);
	make_req(&b, &q, 41000);
	assert_int_equal(cli_request(&b, &q).accept, 0);
	q.sender_port++;
	/* the total: temporary (5) */
	assert_int_equal(cli_request(&b, &q).accept, TW_ACCEPT_TEMPORARY);
	/* max_connections: Modes 0, closed */
	cli_connect(&x, AF_INET, F.port4, TW_CTRL_TWAMP);
	cli_greeting(&x);
	assert_int_equal(x.g.modes, 0);
	assert_true(cli_eof(&x));
	cli_close(&x);
	assert_int_equal(close_count(TW_CTRL_SRV_CLOSE_CONN_LIMIT), 1);
	/* a closes: its sessions go, b gets room */
	cli_close(&a);
	assert_int_equal(stats().sessions, 1);
	assert_int_equal(cli_request(&b, &q).accept, 0);
	cli_close(&b);
	assert_int_equal(stats().sessions, 0);
	assert_int_equal(stats().connections, 0);
}

/* Garbage and truncated input in every state: closed, nothing installed. */
static void test_garbage(void **st)
{
	uint8_t junk[400];
	uint64_t closes_before;
	struct tw_ctrl_server_stats s0 = stats();

	(void)st;
	for (unsigned i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	for (unsigned state = 0; state < 3; state++) {
		static const uint32_t modes[] = { TW_MODE_UNAUTH, TW_MODE_AUTH,
						  TW_MODE_ENCRYPTED, TW_MODE_MIXED };

		for (unsigned m = 0; m < 4; m++) {
			struct cli c;
			struct tw_ctrl_request q;

			if (state == 0) {
				cli_connect(&c, AF_INET, F.port4, TW_CTRL_TWAMP);
				cli_greeting(&c);
				junk[0] = (uint8_t)m; /* a Mode with zero or two security bits */
				junk[1] = junk[2] = junk[3] = 0;
				if (m == 1)
					junk[3] = 3;
			} else {
				cli_open(&c, AF_INET, modes[m]);
				make_req(&c, &q, 40000);
				assert_int_equal(cli_request(&c, &q).accept, 0);
				if (state == 2)
					assert_int_equal(cli_start(&c), 0);
				junk[0] = modes[m] == TW_MODE_UNAUTH ? 0x63 : 0x11;
			}
			cli_send_raw(&c, junk, sizeof(junk));
			assert_true(cli_eof(&c));
			cli_close(&c);
		}
	}
	/* OWAMP-Control after setup, every mode */
	for (unsigned m = 0; m < 3; m++) {
		static const uint32_t om[] = { TW_MODE_UNAUTH, TW_MODE_AUTH, TW_MODE_ENCRYPTED };
		struct cli c;

		cli_connect(&c, AF_INET, F.oport4, TW_CTRL_OWAMP);
		cli_greeting(&c);
		assert_int_equal(cli_setup(&c, om[m], KEYNAME, PASS), 0);
		junk[0] = 0x63;
		cli_send_raw(&c, junk, sizeof(junk));
		assert_true(cli_eof(&c));
		cli_close(&c);
	}
	closes_before = 0;
	for (unsigned r = 0; r < TW_CTRL_SRV_CLOSE__MAX; r++)
		closes_before += stats().closes[r] - s0.closes[r];
	assert_int_equal(closes_before, 15);
	assert_int_equal(close_count(TW_CTRL_SRV_CLOSE_PEER), 0);
	assert_int_equal(stats().sessions, 0);
	assert_int_equal(A.dels, A.n);
}

/* A client that stops mid-message is closed at its deadline; another one
 * is served meanwhile. */
static void test_stall(void **st)
{
	struct cli slow[4], ok;
	struct tw_ctrl_request q;
	uint8_t half[80] = { 0 };

	(void)st;
	/* stalled in the Set-Up-Response */
	cli_connect(&slow[0], AF_INET, F.port4, TW_CTRL_TWAMP);
	cli_greeting(&slow[0]);
	half[3] = 1;
	cli_send_raw(&slow[0], half, sizeof(half));
	/* stalled mid-command, encrypted */
	cli_open(&slow[1], AF_INET, TW_MODE_ENCRYPTED);
	{
		uint8_t buf[112];

		make_req(&slow[1], &q, 40000);
		assert_int_equal(tw_proto_twamp_request_encode(&q, TW_MODE_ENCRYPTED, buf, 112), 112);
		assert_int_equal(tw_crypto_ctrl_seal(slow[1].cc, buf, 112), 0);
		cli_send_raw(&slow[1], buf, 50);
	}
	/* silent after connecting */
	cli_connect(&slow[2], AF_INET6, F.port6 ? F.port6 : F.port4, TW_CTRL_TWAMP);
	if (!F.port6) {
		cli_close(&slow[2]);
		cli_connect(&slow[2], AF_INET, F.port4, TW_CTRL_TWAMP);
	}
	/* stalled mid-Stop-Sessions while its session runs (SERVWAIT is
	 * suspended, the message deadline is not) */
	cli_open(&slow[3], AF_INET, TW_MODE_AUTH);
	make_req(&slow[3], &q, 40005);
	assert_int_equal(cli_request(&slow[3], &q).accept, 0);
	assert_int_equal(cli_start(&slow[3]), 0);
	{
		struct tw_ctrl_stop_sessions m = { .num_sessions = 1 };
		uint8_t buf[32];

		assert_int_equal(tw_proto_twamp_stop_sessions_encode(&m, buf, 32), 32);
		assert_int_equal(tw_crypto_ctrl_seal(slow[3].cc, buf, 32), 0);
		cli_send_raw(&slow[3], buf, 20);
	}
	/* meanwhile a full exchange */
	cli_open(&ok, AF_INET, TW_MODE_AUTH);
	make_req(&ok, &q, 40001);
	assert_int_equal(cli_request(&ok, &q).accept, 0);
	assert_int_equal(cli_start(&ok), 0);
	for (int i = 0; i < 4; i++)
		assert_true(cli_eof(&slow[i]));
	assert_int_equal(close_count(TW_CTRL_SRV_CLOSE_DEADLINE), 4);
	assert_true(A.s[0].deleted);  /* slow[3]'s session went with it */
	/* the good one is still served */
	cli_stop(&ok, 1);
	assert_true(A.s[1].stopped);
	assert_false(A.s[1].deleted);
	for (int i = 0; i < 4; i++)
		cli_close(&slow[i]);
	cli_close(&ok);
}

static void n_msg(struct cli *c, bool start, const uint8_t *sids, uint32_t n, uint8_t *accept)
{
	struct tw_ctrl_n_sessions m = { .num_sessions = n, .sids = sids };
	uint8_t buf[32 + 16 * 4];
	int len;

	len = start ? tw_proto_twamp_start_n_encode(&m, buf, sizeof(buf)) :
		      tw_proto_twamp_stop_n_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	cli_send(c, buf, (size_t)len);
	cli_recv(c, buf, (size_t)len);
	assert_int_equal(buf[0], start ? TW_TWAMP_CMD_START_N_ACK : TW_TWAMP_CMD_STOP_N_ACK);
	assert_memory_equal(buf + 16, sids, 16u * n);
	*accept = buf[1];
}

static void test_individual(void **st)
{
	static const uint32_t modes[] = { TW_MODE_UNAUTH, TW_MODE_ENCRYPTED };

	(void)st;
	for (unsigned k = 0; k < 2; k++) {
		struct cli c;
		struct tw_ctrl_request q;
		uint8_t sids[32], bogus[16] = { 9 }, acc;
		unsigned b = A.n;

		cli_open(&c, AF_INET, modes[k] | TW_MODE_INDIVIDUAL);
		make_req(&c, &q, 40000);
		memcpy(sids, cli_request(&c, &q).sid, 16);
		q.sender_port++;
		memcpy(sids + 16, cli_request(&c, &q).sid, 16);
		n_msg(&c, true, sids, 1, &acc);
		assert_int_equal(acc, 0);
		assert_true(A.s[b].started);
		assert_false(A.s[b + 1].started);
		/* an unknown SID: nothing happens */
		n_msg(&c, true, bogus, 1, &acc);
		assert_int_equal(acc, TW_ACCEPT_FAILURE);
		/* a request while one runs is fine in this mode */
		q.sender_port++;
		assert_int_equal(cli_request(&c, &q).accept, 0);
		n_msg(&c, true, sids + 16, 1, &acc);
		assert_int_equal(acc, 0);
		n_msg(&c, false, sids, 2, &acc);
		assert_int_equal(acc, 0);
		assert_true(A.s[b].stopped && A.s[b + 1].stopped);
		assert_false(A.s[b + 2].stopped);
		cli_close(&c);
		assert_true(A.s[b + 2].deleted);
	}
	/* Start-Sessions when individual control was chosen: Accept 3 + close */
	{
		struct cli c;
		uint8_t buf[32] = { TW_TWAMP_CMD_START_SESSIONS }, ab[48];

		cli_open(&c, AF_INET, TW_MODE_AUTH | TW_MODE_INDIVIDUAL);
		cli_send(&c, buf, sizeof(buf));
		cli_recv(&c, ab, sizeof(ab));
		assert_int_equal(ab[0], TW_ACCEPT_NOT_SUPPORTED);
		assert_true(cli_eof(&c));
		cli_close(&c);
	}
}

static int setup_servwait(void **st)
{
	struct tw_ctrl_server_conf c = base_conf();

	(void)st;
	c.servwait_s = 1;
	fix_up(&c);
	return 0;
}

static void test_servwait(void **st)
{
	struct cli idle, run;
	struct tw_ctrl_request q;

	(void)st;
	cli_open(&idle, AF_INET, TW_MODE_UNAUTH);
	cli_open(&run, AF_INET, TW_MODE_UNAUTH);
	make_req(&run, &q, 40000);
	assert_int_equal(cli_request(&run, &q).accept, 0);
	assert_int_equal(cli_start(&run), 0);
	assert_true(cli_eof(&idle));
	assert_int_equal(close_count(TW_CTRL_SRV_CLOSE_SERVWAIT), 1);
	/* the running one is not idle-closed (RFC 5357 §3.1) */
	assert_int_equal(stats().connections, 1);
	cli_stop(&run, 1);
	assert_true(cli_eof(&run));
	assert_int_equal(close_count(TW_CTRL_SRV_CLOSE_SERVWAIT), 2);
	cli_close(&idle);
	cli_close(&run);
	/* Start-Sessions with nothing to start does not suspend SERVWAIT */
	cli_open(&run, AF_INET, TW_MODE_UNAUTH);
	assert_int_equal(cli_start(&run), 0);
	assert_true(cli_eof(&run));
	assert_int_equal(close_count(TW_CTRL_SRV_CLOSE_SERVWAIT), 3);
	cli_close(&run);
	/* REFWAIT expired on every running session: SERVWAIT resumes */
	cli_open(&run, AF_INET, TW_MODE_UNAUTH);
	make_req(&run, &q, 40001);
	assert_int_equal(cli_request(&run, &q).accept, 0);
	assert_int_equal(cli_start(&run), 0);
	assert_int_equal(tw_ctrl_server_session_expired(F.srv, A.s[1].s.conn_id, 1), 0);
	assert_int_equal(tw_ctrl_server_session_expired(F.srv, 999, 1), -ENOENT);
	assert_true(cli_eof(&run));
	assert_int_equal(close_count(TW_CTRL_SRV_CLOSE_SERVWAIT), 4);
	assert_true(A.s[1].deleted);
	cli_close(&run);
}

/* OWAMP with the appliance as receiver: request, start, stop, fetch. */
static void owamp_one(uint32_t mode)
{
	struct cli c;
	struct tw_ctrl_request q;
	struct tw_owamp_slot slot = { .type = TW_OWAMP_SLOT_FIXED, .parameter = 1ull << 28 };
	struct tw_ctrl_accept_session a;
	struct tw_owamp_fetch_ack fa;
	struct tw_owamp_record rec;
	uint8_t buf[512], sid[16];
	const uint8_t *wire;
	uint8_t hm[16];
	int len;
	unsigned b = A.n;

	cli_connect(&c, AF_INET, F.oport4, TW_CTRL_OWAMP);
	cli_greeting(&c);
	assert_int_equal(c.g.modes, TW_MODE_UNAUTH | TW_MODE_AUTH | TW_MODE_ENCRYPTED);
	assert_int_equal(cli_setup(&c, mode, KEYNAME, PASS), 0);
	memset(&q, 0, sizeof(q));
	q.ipvn = 4;
	q.conf_receiver = 1;
	q.num_slots = 1;
	q.num_packets = 8;
	q.sender_port = 50000;
	q.padding_length = 0;
	q.timeout = 1ull << 32;
	q.slots = &slot;
	len = tw_proto_owamp_request_encode(&q, buf, sizeof(buf));
	assert_int_equal(len, 144);
	if (c.cc != NULL) {
		/* HMAC after the block and after the slots (RFC 4656 §3.5) */
		assert_int_equal(tw_crypto_ctrl_seal(c.cc, buf, 112), 0);
		assert_int_equal(tw_crypto_ctrl_encrypt(c.cc, buf + 112, 16), 0);
		assert_int_equal(tw_crypto_ctrl_seal(c.cc, buf + 128, 16), 0);
	}
	cli_send_raw(&c, buf, (size_t)len);
	cli_recv(&c, buf, 48);
	assert_int_equal(tw_proto_ctrl_accept_session_decode(buf, 48, 0, &a), 48);
	assert_int_equal(a.accept, 0);
	memcpy(sid, a.sid, 16);
	assert_int_equal(A.s[b].s.proto, TW_CTRL_OWAMP);
	assert_int_equal(A.s[b].s.num_packets, 8);
	assert_int_equal(cli_start(&c), 0);
	assert_true(A.s[b].started);
	/* Stop-Sessions with one record and one skip range */
	{
		struct tw_owamp_skip sk = { 3, 4 };
		struct tw_owamp_sess_desc d = { .next_seqno = 8, .num_skips = 1, .skips = &sk };
		struct tw_owamp_stop_sessions s = { .num_sessions = 1, .sessions = &d };

		memcpy(d.sid, sid, 16);
		len = tw_proto_owamp_stop_sessions_encode(&s, buf, sizeof(buf));
		assert_true(len > 0);
		cli_send(&c, buf, (size_t)len);
		cli_recv(&c, buf, 32); /* the server's Stop-Sessions, no records */
		assert_int_equal(buf[0], TW_OWAMP_CMD_STOP_SESSIONS);
		assert_int_equal(tw_get_be32(buf + 4), 0);
		assert_true(A.s[b].stopped);
		assert_int_equal(A.s[b].next_seqno, 8);
		assert_int_equal(A.s[b].n_skips, 1);
	}
	/* Fetch-Session */
	{
		struct tw_owamp_fetch_session f = { .begin_seq = 0, .end_seq = 0xffffffffu };
		struct tw_ctrl_request rq;

		memcpy(f.sid, sid, 16);
		assert_int_equal(tw_proto_owamp_fetch_session_encode(&f, buf, sizeof(buf)), 48);
		cli_send(&c, buf, 48);
		cli_recv(&c, buf, 32);
		assert_int_equal(tw_proto_owamp_fetch_ack_decode(buf, 32, &fa), 32);
		assert_int_equal(fa.accept, 0);
		assert_int_equal(fa.finished, 1);
		assert_int_equal(fa.next_seqno, 8);
		assert_int_equal(fa.num_records, 4);
		/* the request reproduced (block+HMAC, slots, HMAC) */
		cli_recv(&c, buf, 112);
		assert_int_equal(cli_read(&c, buf + 112, 32), 32);
		if (c.cc != NULL) {
			assert_int_equal(tw_crypto_ctrl_decrypt(c.cc, buf + 112, 16), 0);
			assert_int_equal(tw_crypto_ctrl_open(c.cc, buf + 128, 16), 0);
		}
		assert_int_equal(tw_proto_owamp_request_decode(buf, 144, &rq), 144);
		assert_int_equal(rq.num_packets, 8);
		assert_int_equal(rq.sender_port, 50000);
		/* skip ranges (the app gave none) and 4 records */
		cli_recv(&c, buf, tw_proto_owamp_skips_block_len(0));
		len = (int)tw_proto_owamp_records_block_len(4);
		cli_recv(&c, buf, (size_t)len);
		assert_int_equal(tw_proto_owamp_records_decode(buf, (size_t)len, 4, &wire, hm), len);
		assert_int_equal(tw_proto_owamp_record_decode(wire + 25, 25, &rec), 25);
		assert_int_equal(rec.seq, 2);
		assert_int_equal(rec.ttl, 64);
		/* an unknown SID: Accept 1, nothing else */
		f.sid[0] ^= 0xff;
		assert_int_equal(tw_proto_owamp_fetch_session_encode(&f, buf, sizeof(buf)), 48);
		cli_send(&c, buf, 48);
		cli_recv(&c, buf, 32);
		assert_int_equal(tw_proto_owamp_fetch_ack_decode(buf, 32, &fa), 32);
		assert_int_equal(fa.accept, TW_ACCEPT_FAILURE);
	}
	/* the appliance as sender is refused with Accept 3 */
	q.conf_receiver = 0;
	q.conf_sender = 1;
	len = tw_proto_owamp_request_encode(&q, buf, sizeof(buf));
	if (c.cc != NULL) {
		assert_int_equal(tw_crypto_ctrl_seal(c.cc, buf, 112), 0);
		assert_int_equal(tw_crypto_ctrl_encrypt(c.cc, buf + 112, 16), 0);
		assert_int_equal(tw_crypto_ctrl_seal(c.cc, buf + 128, 16), 0);
	}
	cli_send_raw(&c, buf, (size_t)len);
	cli_recv(&c, buf, 48);
	assert_int_equal(buf[0], TW_ACCEPT_NOT_SUPPORTED);
	cli_close(&c);
	assert_true(A.s[b].deleted);
}

static void test_owamp(void **st)
{
	(void)st;
	owamp_one(TW_MODE_UNAUTH);
	owamp_one(TW_MODE_AUTH);
	owamp_one(TW_MODE_ENCRYPTED);
}

/* A message that arrives one octet at a time is still read right. */
static void test_trickle(void **st)
{
	struct cli c;
	struct tw_ctrl_request q;
	uint8_t buf[112], ab[48];
	struct tw_ctrl_accept_session a;

	(void)st;
	cli_open(&c, AF_INET, TW_MODE_ENCRYPTED);
	make_req(&c, &q, 40000);
	assert_int_equal(tw_proto_twamp_request_encode(&q, c.mode, buf, sizeof(buf)), 112);
	assert_int_equal(tw_crypto_ctrl_seal(c.cc, buf, sizeof(buf)), 0);
	for (unsigned i = 0; i < sizeof(buf); i++)
		cli_send_raw(&c, buf + i, 1);
	cli_recv(&c, ab, sizeof(ab));
	assert_int_equal(tw_proto_ctrl_accept_session_decode(ab, 48, c.mode, &a), 48);
	assert_int_equal(a.accept, 0);
	cli_close(&c);
}

/* ---------------- lib/control client <-> server over loopback ---------------- */

static atomic_bool srv_run;

static void *srv_thread(void *arg)
{
	(void)arg;
	while (atomic_load(&srv_run))
		tw_ctrl_server_poll(F.srv, 5);
	return NULL;
}

static pthread_t srv_start(void)
{
	pthread_t t;

	atomic_store(&srv_run, true);
	assert_int_equal(pthread_create(&t, NULL, srv_thread, NULL), 0);
	return t;
}

static void srv_join(pthread_t t)
{
	atomic_store(&srv_run, false);
	assert_int_equal(pthread_join(t, NULL), 0);
	for (int i = 0; i < 5; i++)
		tw_ctrl_server_poll(F.srv, 2);
}

static struct tw_ctrl_client *client_up(enum tw_ctrl_proto proto, int family, uint32_t mode,
					uint32_t options)
{
	struct tw_ctrl_client_conf cc = {
		.proto = proto,
		.modes = mode,
		.options = options,
		.options_required = options,
		.keyid = KEYNAME,
		.secret = PASS,
		.secret_len = strlen(PASS),
		.timeout_ms = 5000,
	};
	struct sockaddr_storage ss;
	socklen_t sl;
	struct tw_ctrl_client *c;
	uint16_t port = proto == TW_CTRL_OWAMP ? F.oport4 : family == AF_INET ? F.port4 : F.port6;

	if (mode & TW_MODE_UNAUTH) {
		cc.keyid = NULL;
		cc.secret = NULL;
		cc.secret_len = 0;
	}
	sl = loopback(family, port, &ss);
	c = tw_ctrl_client_create(&cc);
	assert_non_null(c);
	assert_int_equal(tw_ctrl_client_connect(c, (struct sockaddr *)&ss, sl, NULL, 0), 0);
	assert_int_equal(tw_ctrl_client_mode(c), mode | options);
	return c;
}

static void e2e_twamp(int family, uint32_t mode, uint32_t options)
{
	struct tw_ctrl_session_req rq;
	struct tw_ctrl_session out[2];
	struct tw_ctrl_client *c;
	unsigned b = A.n;
	pthread_t t = srv_start();

	c = client_up(TW_CTRL_TWAMP, family, mode, options);
	memset(&rq, 0, sizeof(rq));
	rq.sender_port = 40000;
	rq.padding_length = 64;
	rq.timeout = 1ull << 32;
	rq.type_p = tw_proto_ctrl_typep_dscp(10);
	if (options & TW_MODE_REFLECT_OCTETS) {
		rq.reflect_octets = 0x1234;
		rq.reflect_padding = 16;
	}
	for (int i = 0; i < 2; i++) {
		rq.sender_port = (uint16_t)(40000 + i);
		assert_int_equal(tw_ctrl_client_request_tw_session(c, &rq, &out[i]), 0);
	}
	if (options & TW_MODE_INDIVIDUAL) {
		uint8_t sids[2][TW_CTRL_SID_LEN];

		memcpy(sids[0], out[0].sid, 16);
		memcpy(sids[1], out[1].sid, 16);
		assert_int_equal(tw_ctrl_client_start_n(c, (const uint8_t (*)[16])sids, 2, NULL), 0);
		assert_int_equal(tw_ctrl_client_stop_n(c, (const uint8_t (*)[16])sids, 1, NULL), 0);
	} else {
		assert_int_equal(tw_ctrl_client_start(c), 0);
		assert_int_equal(tw_ctrl_client_stop(c, 0), 0);
	}
	/* one more round trip so the server has seen everything */
	rq.sender_port = 40009;
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &rq, &out[0]), 0);
	tw_ctrl_client_destroy(c);
	srv_join(t);
	assert_int_equal(A.n, b + 3);
	for (unsigned i = b; i < b + 2; i++) {
		assert_true(A.s[i].started);
		assert_true(A.s[i].deleted);
		assert_int_equal(A.s[i].s.dscp, 10);
		assert_int_equal(A.s[i].s.family, family);
	}
	assert_true(A.s[b].stopped);
	assert_int_equal(A.s[b + 1].stopped, !(options & TW_MODE_INDIVIDUAL));
	if (options & TW_MODE_REFLECT_OCTETS) {
		assert_int_equal(out[1].reflected_octets, 0x1234);
		assert_int_equal(A.s[b].s.reflect_padding, 16);
	}
	if (mode & (TW_MODE_AUTH | TW_MODE_ENCRYPTED)) {
		assert_true(out[1].has_keys);
		assert_memory_equal(&A.s[b + 1].s.test_keys, &out[1].test_keys,
				    sizeof(out[1].test_keys));
	}
}

static void test_client_e2e(void **st)
{
	static const uint32_t modes[] = { TW_MODE_UNAUTH, TW_MODE_AUTH, TW_MODE_ENCRYPTED,
					  TW_MODE_MIXED };

	(void)st;
	for (unsigned i = 0; i < 4; i++) {
		e2e_twamp(AF_INET, modes[i], 0);
		if (F.port6 != 0)
			e2e_twamp(AF_INET6, modes[i], 0);
		e2e_twamp(AF_INET, modes[i], TW_MODE_INDIVIDUAL | TW_MODE_REFLECT_OCTETS |
					     TW_MODE_SYMMETRICAL | TW_MODE_DSCP_ECN);
	}
	assert_int_equal(stats().sessions, 0);
}

static void test_client_e2e_owamp(void **st)
{
	static const uint32_t modes[] = { TW_MODE_UNAUTH, TW_MODE_AUTH, TW_MODE_ENCRYPTED };

	(void)st;
	for (unsigned k = 0; k < 3; k++) {
		struct tw_owamp_slot slot = { .type = TW_OWAMP_SLOT_EXP, .parameter = 1ull << 26 };
		struct tw_owamp_skip skip = { 1, 1 };
		struct tw_ctrl_session_req rq;
		struct tw_ctrl_session out;
		struct tw_ctrl_ow_send_state ss;
		struct tw_ctrl_fetch_info info;
		struct tw_owamp_record recs[8];
		struct tw_ctrl_client *c;
		uint32_t n = 0;
		unsigned b = A.n;
		pthread_t t = srv_start();

		c = client_up(TW_CTRL_OWAMP, AF_INET, modes[k], 0);
		memset(&rq, 0, sizeof(rq));
		rq.sender_port = 50000;
		rq.conf_receiver = true;
		rq.num_packets = 8;
		rq.slots = &slot;
		rq.num_slots = 1;
		rq.timeout = 1ull << 32;
		rq.start_time = (tw_ntp_t)3900000000ull << 32;
		assert_int_equal(tw_ctrl_client_request_ow_session(c, &rq, &out), 0);
		assert_int_equal(tw_ctrl_client_start(c), 0);
		memcpy(ss.sid, out.sid, 16);
		ss.next_seqno = 8;
		ss.skips = &skip;
		ss.num_skips = 1;
		assert_int_equal(tw_ctrl_client_ow_stop(c, 0, &ss, 1, NULL, NULL, NULL), 0);
		/* the mock app answers 4 received records (0, 2, 4, 6) */
		assert_int_equal(tw_ctrl_client_fetch_array(c, out.sid, 0, 0xffffffffu, recs, 8,
							    &n, &info), 0);
		assert_int_equal(info.accept, 0);
		assert_true(info.finished);
		assert_int_equal(info.next_seqno, 8);
		assert_int_equal(n, 4);
		assert_int_equal(recs[3].seq, 6);
		assert_int_equal(info.request.num_packets, 8);
		assert_int_equal(info.slots[0].type, TW_OWAMP_SLOT_EXP);
		tw_ctrl_client_destroy(c);
		srv_join(t);
		assert_true(A.s[b].stopped);
		assert_int_equal(A.s[b].n_skips, 1);
		assert_true(A.s[b].deleted);
	}
}

static void test_api(void **st)
{
	struct tw_ctrl_server_conf c = base_conf();
	struct tw_ctrl_server_ops o = OPS;
	uint8_t any[16] = { 0 };

	(void)st;
	c.count = 1000;
	assert_null(tw_ctrl_server_create(&c, &OPS, NULL));
	assert_int_equal(errno, EINVAL);
	c = base_conf();
	o.session_add = NULL;
	assert_null(tw_ctrl_server_create(&c, &o, NULL));
	assert_int_equal(tw_ctrl_server_listen(F.srv, 99, any, 0, TW_CTRL_TWAMP), -EINVAL);
	assert_int_equal(tw_ctrl_server_poll(NULL, 0), -EINVAL);
	assert_string_equal(tw_ctrl_server_close_name(TW_CTRL_SRV_CLOSE_HMAC), "bad_hmac");
	assert_string_equal(tw_ctrl_server_close_name(999), "unknown");
	assert_true(tw_ctrl_server_fd(F.srv) >= 0);
	tw_ctrl_server_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_mode, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_options, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_conf_flags, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_passphrase, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_keyid, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_bad_mode, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_command, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_bad_hmac, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup_limits, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_stall, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_individual, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_servwait, setup_servwait, teardown),
		cmocka_unit_test_setup_teardown(test_owamp, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_trickle, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_client_e2e, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_client_e2e_owamp, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_api, setup_default, teardown),
	};

	return cmocka_run_group_tests_name("control_server", tests, NULL, NULL);
}
