/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The loopback server harness that test_ike_e2e and test_draft_e2e share:
 * lib/control's server polled by a thread, listening for TWAMP and OWAMP
 * on ephemeral ports, with session ops that record what the server
 * installs. A test embeds struct e2e_srv first in its own struct (its SA
 * table beside it), so the ops' argument is either.
 */
#ifndef TW_TEST_E2E_SRV_H
#define TW_TEST_E2E_SRV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tw_ctrl_client.h"
#include "tw_ctrl_server.h"

#define E2E_SESS_MAX 64

struct e2e_srv {
	struct tw_ctrl_server *srv;
	pthread_t th;
	atomic_bool stop;
	pthread_mutex_t mu;          /* the test's SA table and the session records */
	struct tw_ctrl_srv_session s[E2E_SESS_MAX];
	bool started[E2E_SESS_MAX], stopped[E2E_SESS_MAX];
	unsigned n;
	int port_twamp, port_owamp;
};

/* tw_ctrl_server_ops: record the session (Accept 5 when full), start, stop. */
uint8_t e2e_session_add(void *arg, struct tw_ctrl_srv_session *s, uint64_t *h);
int e2e_session_start(void *arg, uint64_t h);
int e2e_session_stop(void *arg, uint64_t h, uint64_t timeout_ns, uint32_t next_seqno,
		     const struct tw_owamp_skip *skips, uint32_t n_skips);

/*
 * The server's configuration both tests start from: TWAMP and OWAMP with the
 * IKEv2 bit, authenticated and encrypted, room for E2E_SESS_MAX sessions.
 */
struct tw_ctrl_server_conf e2e_srv_conf(void);
/*
 * Create the server from @p conf and @p ops (their argument is @p e), listen
 * for TWAMP and OWAMP on @p addr (IPv4, port 0) and start the poll thread.
 */
void e2e_srv_start(struct e2e_srv *e, const struct tw_ctrl_server_conf *conf,
		   const struct tw_ctrl_server_ops *ops, const uint8_t addr[16]);
/* Stop the thread and destroy the server; @p e itself is the caller's. */
void e2e_srv_stop(struct e2e_srv *e);
/* The server's count of closes for @p reason, waiting up to @p tries * 5 ms for one. */
uint64_t e2e_srv_closes(struct e2e_srv *e, unsigned reason, int tries);
/* The index of the installed session with @p sid; fails the test if none. */
unsigned e2e_find_sess(struct e2e_srv *e, const uint8_t sid[16]);
/* The keys both ends hold for session @p i agree, and the mode is right. */
void e2e_same_keys(struct e2e_srv *e, unsigned i, const struct tw_ctrl_session *s,
		   uint32_t mode);

#endif
