/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * End to end: the Control-Client against lib/control's own server over
 * loopback TCP, in every mode and option. The server runs its socket loop
 * in a thread; the application side (ops) records what it was asked to
 * install, and the test compares both ends once the server thread is
 * joined.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tw_ctrl_client.h"
#include "tw_ctrl_server.h"

#define PASS "EXAMPLE passphrase - change me"
#define KEYID "lab"
#define MAXS 1024
#define NREC 300

/* ------------------------------------------- the application side (ops) */

struct msess {
	struct tw_ctrl_srv_session s;
	bool started, stopped, deleted;
	uint32_t next_seqno, n_skips;
	struct tw_owamp_skip skip0;
	uint8_t req[512];
	size_t req_len;
};

struct app {
	struct msess s[MAXS];
	unsigned n;
	struct tw_owamp_record recs[NREC];
	struct tw_owamp_skip skips[2];
	struct tw_ctrl_server *srv;
	pthread_t th;
	atomic_bool stop;
	atomic_uint n_del;    /* sessions deleted (the connection closed) */
	int port_twamp, port_owamp;
};

static int key_lookup(void *arg, const uint8_t keyid[TW_CTRL_KEYID_LEN],
		      uint8_t *secret, size_t cap)
{
	(void)arg;
	if (memcmp(keyid, KEYID, sizeof(KEYID)) != 0 || cap < strlen(PASS))
		return -ENOENT;
	memcpy(secret, PASS, strlen(PASS));
	return (int)strlen(PASS);
}

static uint8_t session_add(void *arg, struct tw_ctrl_srv_session *s, uint64_t *h)
{
	struct app *a = arg;
	struct msess *m;

	if (a->n == MAXS || s->req_wire_len > sizeof(a->s[0].req))
		return TW_ACCEPT_TEMPORARY;
	m = &a->s[a->n];
	if (s->local_port == 0)
		s->local_port = (uint16_t)(20000 + a->n);
	m->s = *s;
	m->s.req = NULL;
	m->s.req_wire = NULL;
	memcpy(m->req, s->req_wire, s->req_wire_len);
	m->req_len = s->req_wire_len;
	*h = a->n++;
	return 0;
}

static int session_start(void *arg, uint64_t h)
{
	struct app *a = arg;

	a->s[h].started = true;
	return 0;
}

static int session_stop(void *arg, uint64_t h, uint64_t timeout_ns,
			uint32_t next_seqno, const struct tw_owamp_skip *skips,
			uint32_t n_skips)
{
	struct app *a = arg;

	(void)timeout_ns;
	a->s[h].stopped = true;
	a->s[h].next_seqno = next_seqno;
	a->s[h].n_skips = n_skips;
	if (n_skips > 0)
		a->s[h].skip0 = skips[0];
	return 0;
}

static void session_del(void *arg, uint64_t h)
{
	struct app *a = arg;

	a->s[h].deleted = true;
	atomic_fetch_add(&a->n_del, 1);
}

static uint8_t owamp_fetch(void *arg, const uint8_t sid[TW_CTRL_SID_LEN],
			   uint32_t begin, uint32_t end, struct tw_ctrl_srv_fetch *out)
{
	struct app *a = arg;

	for (unsigned i = 0; i < a->n; i++) {
		struct msess *m = &a->s[i];
		uint32_t first = begin, last = end < NREC - 1 ? end : NREC - 1;

		if (memcmp(m->s.sid, sid, TW_CTRL_SID_LEN) != 0)
			continue;
		memset(out, 0, sizeof(*out));
		out->finished = m->stopped;
		out->next_seqno = m->stopped ? m->next_seqno : 0;
		out->skips = a->skips;
		out->n_skips = m->stopped ? m->n_skips : 0;
		out->recs = first <= last ? &a->recs[first] : NULL;
		out->n_recs = first <= last ? last - first + 1 : 0;
		out->request = m->req;
		out->request_len = m->req_len;
		return 0;
	}
	return TW_ACCEPT_FAILURE;
}

static void *server_main(void *arg)
{
	struct app *a = arg;

	while (!atomic_load(&a->stop))
		tw_ctrl_server_poll(a->srv, 20);
	return NULL;
}

static struct app *app_start(int family, uint32_t per_conn)
{
	static const struct tw_ctrl_server_ops ops = {
		.key_lookup = key_lookup,
		.session_add = session_add,
		.session_start = session_start,
		.session_stop = session_stop,
		.session_del = session_del,
		.owamp_fetch = owamp_fetch,
	};
	struct tw_ctrl_server_conf conf = {
		.modes = TW_MODE_SECURITY_TWAMP | TW_MODE_INDIVIDUAL |
			 TW_MODE_REFLECT_OCTETS | TW_MODE_SYMMETRICAL |
			 TW_MODE_DSCP_ECN,
		.owamp_modes = TW_MODE_SECURITY_OWAMP,
		.count = 1024,
		.max_connections = 8,
		.max_sessions = MAXS,
		.max_sessions_per_connection = per_conn,
		.servwait_s = 30,
		.refwait_s = 30,
	};
	struct app *a = calloc(1, sizeof(*a));
	uint8_t lo[16] = { 0 };
	int i4;

	assert_non_null(a);
	for (uint32_t i = 0; i < NREC; i++) {
		a->recs[i].seq = i;
		a->recs[i].send_errest = 0x8001;
		a->recs[i].recv_errest = 0x8001;
		a->recs[i].send_ts = ((uint64_t)3900000000u << 32) + ((uint64_t)i << 24);
		a->recs[i].recv_ts = a->recs[i].send_ts + (1u << 22);
		a->recs[i].ttl = 64;
	}
	a->srv = tw_ctrl_server_create(&conf, &ops, a);
	assert_non_null(a->srv);
	if (family == AF_INET) {
		lo[0] = 127;
		lo[3] = 1;
	} else {
		lo[15] = 1;
	}
	i4 = tw_ctrl_server_listen(a->srv, family, lo, 0, TW_CTRL_TWAMP);
	assert_true(i4 >= 0);
	a->port_twamp = tw_ctrl_server_listen_port(a->srv, i4);
	i4 = tw_ctrl_server_listen(a->srv, family, lo, 0, TW_CTRL_OWAMP);
	assert_true(i4 >= 0);
	a->port_owamp = tw_ctrl_server_listen_port(a->srv, i4);
	assert_int_equal(pthread_create(&a->th, NULL, server_main, a), 0);
	return a;
}

/* Stop the server thread once it closed @p n_sessions sessions (it has
 * then read everything the client sent); the records may then be read. */
static void app_join(struct app *a, unsigned n_sessions)
{
	for (int i = 0; i < 1000 && atomic_load(&a->n_del) < n_sessions; i++)
		usleep(5000);
	atomic_store(&a->stop, true);
	pthread_join(a->th, NULL);
}

static void app_free(struct app *a)
{
	tw_ctrl_server_destroy(a->srv);
	free(a);
}

static int connect_to(struct tw_ctrl_client *c, int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t l;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s4->sin_port = htons((uint16_t)port);
		l = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons((uint16_t)port);
		l = sizeof(*s6);
	}
	return tw_ctrl_client_connect(c, (struct sockaddr *)&ss, l, NULL, 0);
}

static struct tw_ctrl_client *mk_client(enum tw_ctrl_proto proto, uint32_t exact,
					const char *keyid, const char *pass)
{
	struct tw_ctrl_client_conf cf = {
		.proto = proto,
		.exact_mode = exact,
		.keyid = keyid,
		.secret = pass,
		.secret_len = strlen(pass),
	};
	struct tw_ctrl_client *c = tw_ctrl_client_create(&cf);

	assert_non_null(c);
	return c;
}

/* ------------------------------------------------------------- TWAMP */

static void twamp_run(uint32_t mode, int family)
{
	struct app *a = app_start(family, 8);
	struct tw_ctrl_client *c = mk_client(TW_CTRL_TWAMP, mode, KEYID, PASS);
	struct tw_ctrl_session_req q;
	struct tw_ctrl_session s[2];
	uint8_t sids[2][16], acc[2];
	bool indiv = (mode & TW_MODE_INDIVIDUAL) != 0;
	bool refl = (mode & TW_MODE_REFLECT_OCTETS) != 0;
	int r;

	r = connect_to(c, family, a->port_twamp);
	if (r != 0)
		fail_msg("mode 0x%x: %s", mode, tw_ctrl_client_error(c));
	assert_int_equal(tw_ctrl_client_mode(c), mode);
	for (int i = 0; i < 2; i++) {
		memset(&q, 0, sizeof(q));
		q.sender_port = (uint16_t)(5001 + i);
		q.receiver_port = i ? 6000 : 0;
		q.padding_length = 64;
		q.timeout = 2ull << 32;
		q.type_p = tw_proto_ctrl_typep_dscp((uint8_t)(10 + i));
		if (refl) {
			q.reflect_octets = 4;
			q.reflect_padding = 8;
		}
		r = tw_ctrl_client_request_tw_session(c, &q, &s[i]);
		if (r != 0)
			fail_msg("mode 0x%x request: %s", mode, tw_ctrl_client_error(c));
		memcpy(sids[i], s[i].sid, 16);
	}
	if (indiv) {
		assert_int_equal(tw_ctrl_client_start_n(c, (const uint8_t (*)[16])sids, 2, acc), 0);
		assert_int_equal(tw_ctrl_client_stop_n(c, (const uint8_t (*)[16])sids, 1, acc), 0);
		assert_int_equal(tw_ctrl_client_stop_n(c, (const uint8_t (*)[16])&sids[1], 1, acc), 0);
	} else {
		assert_int_equal(tw_ctrl_client_start(c), 0);
		assert_int_equal(tw_ctrl_client_stop(c, 0), 0);
	}
	/* nothing unexpected came back: the connection is still in step */
	assert_true(tw_ctrl_client_connected(c));
	tw_ctrl_client_destroy(c);
	app_join(a, 2);

	assert_int_equal(a->n, 2);
	for (int i = 0; i < 2; i++) {
		struct tw_ctrl_srv_session *ss = &a->s[i].s;

		assert_memory_equal(ss->sid, s[i].sid, 16);
		assert_int_equal(ss->local_port, s[i].receiver_port);
		assert_int_equal(ss->peer_port, 5001 + i);
		assert_int_equal(ss->family, family);
		assert_memory_equal(ss->local_addr, s[i].receiver_addr, 16);
		assert_memory_equal(ss->peer_addr, s[i].sender_addr, 16);
		assert_int_equal(ss->padding_length, 64);
		assert_int_equal(ss->dscp, 10 + i);
		assert_int_equal(ss->timeout_ns, 2000000000ull);
		assert_int_equal(ss->mode, mode);
		assert_int_equal(ss->dscp_ecn, (mode & TW_MODE_DSCP_ECN) != 0);
		assert_int_equal(ss->sym_size, (mode & TW_MODE_SYMMETRICAL) != 0);
		assert_int_equal(ss->reflect_octets, refl ? 4 : 0);
		assert_int_equal(ss->reflect_padding, refl ? 8 : 0);
		assert_true(a->s[i].started);
		assert_true(a->s[i].stopped);
		if (mode & (TW_MODE_AUTH | TW_MODE_ENCRYPTED)) {
			assert_true(s[i].has_keys);
			assert_memory_equal(&ss->test_keys, &s[i].test_keys,
					    sizeof(s[i].test_keys));
			assert_int_equal(ss->test_mode, mode & TW_MODE_AUTH ?
					 TW_CTRL_SRV_TEST_AUTH : TW_CTRL_SRV_TEST_ENC);
		} else {
			assert_false(s[i].has_keys);
			assert_int_equal(ss->test_mode, TW_CTRL_SRV_TEST_OPEN);
		}
	}
	assert_int_equal(s[1].receiver_port, 6000);
	app_free(a);
}

static void test_twamp_e2e(void **state)
{
	static const uint32_t sec[] = { TW_MODE_UNAUTH, TW_MODE_AUTH,
					TW_MODE_ENCRYPTED, TW_MODE_MIXED };
	static const uint32_t opt[] = {
		0,
		TW_MODE_INDIVIDUAL,
		TW_MODE_REFLECT_OCTETS | TW_MODE_SYMMETRICAL,
		TW_MODE_DSCP_ECN | TW_MODE_INDIVIDUAL | TW_MODE_REFLECT_OCTETS,
	};

	(void)state;
	for (unsigned i = 0; i < 4; i++)
		for (unsigned j = 0; j < 4; j++)
			twamp_run(sec[i] | opt[j], (i + j) % 2 ? AF_INET6 : AF_INET);
}

/* ------------------------------------------------------------- OWAMP */

struct fetched {
	unsigned n;
	bool bad;
	unsigned skips;
	const struct tw_owamp_record *want;
};

static int rec_cb(void *arg, const struct tw_owamp_record *r)
{
	struct fetched *f = arg;
	const struct tw_owamp_record *w = &f->want[r->seq];

	if (r->seq >= NREC || r->send_ts != w->send_ts || r->recv_ts != w->recv_ts ||
	    r->ttl != w->ttl || r->send_errest != w->send_errest)
		f->bad = true;
	f->n++;
	return 0;
}

static int skip_cb(void *arg, const struct tw_owamp_skip *s)
{
	struct fetched *f = arg;

	(void)s;
	f->skips++;
	return 0;
}

static void owamp_run(uint32_t mode, int family)
{
	struct app *a = app_start(family, 8);
	struct tw_ctrl_client *c = mk_client(TW_CTRL_OWAMP, mode, KEYID, PASS);
	struct tw_owamp_slot slots[2] = {
		{ .type = TW_OWAMP_SLOT_EXP, .parameter = 1ull << 26 },
		{ .type = TW_OWAMP_SLOT_FIXED, .parameter = 0 },
	};
	struct tw_owamp_skip skip = { .first = 7, .last = 9 };
	struct tw_ctrl_ow_send_state st;
	struct tw_ctrl_session_req q;
	struct tw_ctrl_session s;
	struct tw_ctrl_fetch_info info;
	struct fetched f = { .want = a->recs };
	uint8_t sacc = 0xFF;
	int r;

	r = connect_to(c, family, a->port_owamp);
	if (r != 0)
		fail_msg("OWAMP mode 0x%x: %s", mode, tw_ctrl_client_error(c));
	memset(&q, 0, sizeof(q));
	q.conf_receiver = true;
	q.sender_port = 8001;
	q.num_packets = NREC;
	q.slots = slots;
	q.num_slots = 2;
	q.padding_length = 0;
	q.timeout = 2ull << 32;
	r = tw_ctrl_client_request_ow_session(c, &q, &s);
	if (r != 0)
		fail_msg("OWAMP mode 0x%x request: %s", mode, tw_ctrl_client_error(c));
	assert_int_equal(tw_ctrl_client_start(c), 0);
	memset(&st, 0, sizeof(st));
	memcpy(st.sid, s.sid, 16);
	st.next_seqno = NREC;
	st.skips = &skip;
	st.num_skips = 1;
	r = tw_ctrl_client_ow_stop(c, 0, &st, 1, NULL, NULL, &sacc);
	if (r != 0)
		fail_msg("OWAMP mode 0x%x stop: %s", mode, tw_ctrl_client_error(c));
	assert_int_equal(sacc, 0);
	/* the whole session, then a range */
	r = tw_ctrl_client_fetch(c, s.sid, 0, 0xFFFFFFFFu, rec_cb, skip_cb, &f, &info);
	if (r != 0)
		fail_msg("OWAMP mode 0x%x fetch: %s", mode, tw_ctrl_client_error(c));
	assert_int_equal(f.n, NREC);
	assert_false(f.bad);
	assert_true(info.finished);
	assert_int_equal(info.next_seqno, NREC);
	assert_int_equal(info.num_skips, 1);
	assert_int_equal(f.skips, 1);
	assert_int_equal(info.request.num_slots, 2);
	assert_int_equal(info.slots[0].type, TW_OWAMP_SLOT_EXP);
	assert_int_equal(info.slots[0].parameter, 1ull << 26);
	assert_int_equal(info.request.num_packets, NREC);
	f.n = 0;
	assert_int_equal(tw_ctrl_client_fetch(c, s.sid, 10, 19, rec_cb, NULL, &f, &info), 0);
	assert_int_equal(f.n, 10);
	/* an unknown SID: Accept 1, the connection stays */
	{
		uint8_t other[16] = { 0x42 };

		assert_int_equal(tw_ctrl_client_fetch(c, other, 0, 0xFFFFFFFFu, NULL, NULL,
						      NULL, &info), -EACCES);
		assert_true(tw_ctrl_client_connected(c));
	}
	tw_ctrl_client_destroy(c);
	app_join(a, 1);
	assert_int_equal(a->n, 1);
	assert_memory_equal(a->s[0].s.sid, s.sid, 16);
	assert_int_equal(a->s[0].s.local_port, s.receiver_port);
	assert_int_equal(a->s[0].s.peer_port, 8001);
	assert_int_equal(a->s[0].s.num_packets, NREC);
	assert_true(a->s[0].started);
	assert_true(a->s[0].stopped);
	assert_int_equal(a->s[0].next_seqno, NREC);
	assert_int_equal(a->s[0].n_skips, 1);
	assert_int_equal(a->s[0].skip0.first, 7);
	assert_int_equal(a->s[0].skip0.last, 9);
	if (mode != TW_MODE_UNAUTH)
		assert_memory_equal(&a->s[0].s.test_keys, &s.test_keys, sizeof(s.test_keys));
	app_free(a);
}

static void test_owamp_e2e(void **state)
{
	(void)state;
	owamp_run(TW_MODE_UNAUTH, AF_INET);
	owamp_run(TW_MODE_AUTH, AF_INET6);
	owamp_run(TW_MODE_ENCRYPTED, AF_INET);
	owamp_run(TW_MODE_ENCRYPTED, AF_INET6);
}

/* ---------------------------------------------------------- refusals */

static void test_refusals_e2e(void **state)
{
	struct app *a = app_start(AF_INET, 1);
	struct tw_ctrl_client *c;
	struct tw_ctrl_session_req q;
	struct tw_ctrl_session s;

	(void)state;
	/* wrong passphrase, unknown KeyID: Server-Start Accept 1 */
	c = mk_client(TW_CTRL_TWAMP, TW_MODE_AUTH, KEYID, "wrong");
	assert_int_equal(connect_to(c, AF_INET, a->port_twamp), -EACCES);
	assert_int_equal(tw_ctrl_client_last_accept(c), TW_ACCEPT_FAILURE);
	tw_ctrl_client_destroy(c);
	c = mk_client(TW_CTRL_TWAMP, TW_MODE_ENCRYPTED, "nobody", PASS);
	assert_int_equal(connect_to(c, AF_INET, a->port_twamp), -EACCES);
	tw_ctrl_client_destroy(c);
	/* a mode the server does not offer (IKEv2-derived keys, RFC 7717) */
	c = mk_client(TW_CTRL_TWAMP, TW_MODE_MIXED | TW_MODE_IKEV2, KEYID, PASS);
	assert_int_equal(connect_to(c, AF_INET, a->port_twamp), -ENOPROTOOPT);
	tw_ctrl_client_destroy(c);
	/* one session per connection: the second gets Accept 4 */
	c = mk_client(TW_CTRL_TWAMP, TW_MODE_UNAUTH, KEYID, PASS);
	assert_int_equal(connect_to(c, AF_INET, a->port_twamp), 0);
	memset(&q, 0, sizeof(q));
	q.sender_port = 5001;
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), 0);
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), -ENOSPC);
	assert_int_equal(s.accept, TW_ACCEPT_PERMANENT);
	assert_true(tw_ctrl_client_connected(c));
	assert_int_equal(tw_ctrl_client_start(c), 0);
	assert_int_equal(tw_ctrl_client_stop(c, 0), 0);
	tw_ctrl_client_destroy(c);
	/* OWAMP: the appliance only receives; asking it to send is Accept 3 */
	{
		struct tw_owamp_slot slot = { .type = TW_OWAMP_SLOT_FIXED, .parameter = 1ull << 28 };

		c = mk_client(TW_CTRL_OWAMP, TW_MODE_AUTH, KEYID, PASS);
		assert_int_equal(connect_to(c, AF_INET, a->port_owamp), 0);
		memset(&q, 0, sizeof(q));
		q.conf_sender = true;
		q.receiver_port = 8002;
		q.slots = &slot;
		q.num_slots = 1;
		assert_int_equal(tw_ctrl_client_request_ow_session(c, &q, &s), -EOPNOTSUPP);
		assert_true(tw_ctrl_client_connected(c));
		tw_ctrl_client_destroy(c);
	}
	app_join(a, 1);
	app_free(a);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Not assertions: rates for docs/performance.md (client and server share
 * the machine's two cores). */
static void test_rates_e2e(void **state)
{
	static const uint32_t modes[] = { TW_MODE_UNAUTH, TW_MODE_AUTH, TW_MODE_ENCRYPTED };
	const int conns = 100, sess = 1000;

	(void)state;
	for (unsigned m = 0; m < 3; m++) {
		struct app *a = app_start(AF_INET, MAXS);
		struct tw_ctrl_session_req q;
		struct tw_ctrl_session s;
		struct tw_ctrl_client *c;
		double t0 = now_s(), t1, t2;

		for (int i = 0; i < conns; i++) {
			c = mk_client(TW_CTRL_TWAMP, modes[m], KEYID, PASS);
			assert_int_equal(connect_to(c, AF_INET, a->port_twamp), 0);
			tw_ctrl_client_destroy(c);
		}
		t1 = now_s();
		c = mk_client(TW_CTRL_TWAMP, modes[m], KEYID, PASS);
		assert_int_equal(connect_to(c, AF_INET, a->port_twamp), 0);
		memset(&q, 0, sizeof(q));
		for (int i = 0; i < sess; i++) {
			q.sender_port = (uint16_t)(10000 + i);
			assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), 0);
		}
		assert_int_equal(tw_ctrl_client_start(c), 0);
		assert_int_equal(tw_ctrl_client_stop(c, 0), 0);
		t2 = now_s();
		tw_ctrl_client_destroy(c);
		printf("# %s: %.0f connection setups/s (Count 1024), %.0f Request-TW-Session/s on one connection\n",
		       tw_proto_ctrl_mode_name(TW_CTRL_TWAMP, (unsigned)__builtin_ctz(modes[m])),
		       conns / (t1 - t0), sess / (t2 - t1));
		app_join(a, (unsigned)sess);
		app_free(a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twamp_e2e),
		cmocka_unit_test(test_owamp_e2e),
		cmocka_unit_test(test_refusals_e2e),
		cmocka_unit_test(test_rates_e2e),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("client_e2e", tests, NULL, NULL);
}
