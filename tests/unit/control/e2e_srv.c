/* SPDX-License-Identifier: BSD-3-Clause */
/* The loopback server harness of the control end-to-end tests (e2e_srv.h). */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e_srv.h"

uint8_t e2e_session_add(void *arg, struct tw_ctrl_srv_session *s, uint64_t *h)
{
	struct e2e_srv *a = arg;
	uint8_t acc = 0;

	pthread_mutex_lock(&a->mu);
	if (a->n == E2E_SESS_MAX) {
		acc = TW_ACCEPT_TEMPORARY;
	} else {
		if (s->local_port == 0)
			s->local_port = (uint16_t)(20000 + a->n);
		a->s[a->n] = *s;
		a->s[a->n].req = NULL;
		a->s[a->n].req_wire = NULL;
		*h = a->n++;
	}
	pthread_mutex_unlock(&a->mu);
	return acc;
}

int e2e_session_start(void *arg, uint64_t h)
{
	struct e2e_srv *a = arg;

	pthread_mutex_lock(&a->mu);
	a->started[h] = true;
	pthread_mutex_unlock(&a->mu);
	return 0;
}

int e2e_session_stop(void *arg, uint64_t h, uint64_t timeout_ns, uint32_t next_seqno,
		     const struct tw_owamp_skip *skips, uint32_t n_skips)
{
	struct e2e_srv *a = arg;

	(void)timeout_ns, (void)next_seqno, (void)skips, (void)n_skips;
	pthread_mutex_lock(&a->mu);
	a->stopped[h] = true;
	pthread_mutex_unlock(&a->mu);
	return 0;
}

static void *server_main(void *arg)
{
	struct e2e_srv *a = arg;

	while (!atomic_load(&a->stop))
		tw_ctrl_server_poll(a->srv, 10);
	return NULL;
}

struct tw_ctrl_server_conf e2e_srv_conf(void)
{
	struct tw_ctrl_server_conf conf = {
		.modes = TW_MODE_SECURITY_TWAMP | TW_MODE_IKEV2,
		.owamp_modes = TW_MODE_AUTH | TW_MODE_ENCRYPTED | TW_MODE_OWAMP_IKEV2,
		.count = 1024,
		.max_connections = 8,
		.max_sessions = E2E_SESS_MAX,
		.max_sessions_per_connection = 8,
		.servwait_s = 30,
		.refwait_s = 30,
	};

	return conf;
}

void e2e_srv_start(struct e2e_srv *e, const struct tw_ctrl_server_conf *conf,
		   const struct tw_ctrl_server_ops *ops, const uint8_t addr[16])
{
	int i;

	pthread_mutex_init(&e->mu, NULL);
	e->srv = tw_ctrl_server_create(conf, ops, e);
	assert_non_null(e->srv);
	i = tw_ctrl_server_listen(e->srv, AF_INET, addr, 0, TW_CTRL_TWAMP);
	assert_true(i >= 0);
	e->port_twamp = tw_ctrl_server_listen_port(e->srv, i);
	i = tw_ctrl_server_listen(e->srv, AF_INET, addr, 0, TW_CTRL_OWAMP);
	assert_true(i >= 0);
	e->port_owamp = tw_ctrl_server_listen_port(e->srv, i);
	assert_int_equal(pthread_create(&e->th, NULL, server_main, e), 0);
}

void e2e_srv_stop(struct e2e_srv *e)
{
	atomic_store(&e->stop, true);
	pthread_join(e->th, NULL);
	tw_ctrl_server_destroy(e->srv);
	pthread_mutex_destroy(&e->mu);
}

uint64_t e2e_srv_closes(struct e2e_srv *e, unsigned reason, int tries)
{
	struct tw_ctrl_server_stats st = { 0 };

	for (int i = 0; i < tries; i++) {
		assert_int_equal(tw_ctrl_server_stats(e->srv, &st), 0);
		if (st.closes[reason] > 0)
			break;
		usleep(5000);
	}
	return st.closes[reason];
}

unsigned e2e_find_sess(struct e2e_srv *e, const uint8_t sid[16])
{
	pthread_mutex_lock(&e->mu);
	for (unsigned i = 0; i < e->n; i++) {
		if (memcmp(e->s[i].sid, sid, 16) == 0) {
			pthread_mutex_unlock(&e->mu);
			return i;
		}
	}
	pthread_mutex_unlock(&e->mu);
	fail_msg("session not installed");
	return 0;
}

void e2e_same_keys(struct e2e_srv *e, unsigned i, const struct tw_ctrl_session *s,
		   uint32_t mode)
{
	pthread_mutex_lock(&e->mu);
	assert_int_equal(e->s[i].mode, mode);
	if (mode & (TW_MODE_AUTH | TW_MODE_ENCRYPTED)) {
		assert_true(s->has_keys);
		assert_memory_equal(&e->s[i].test_keys, &s->test_keys, sizeof(s->test_keys));
	} else {
		assert_int_equal(e->s[i].test_mode, TW_CTRL_SRV_TEST_OPEN);
	}
	pthread_mutex_unlock(&e->mu);
}
