/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer targets for the TWAMP/OWAMP-Control server (see fuzz.h): the
 * input is what a client sends on one connection (a socketpair adopted by
 * the server), after the Set-Up-Response for the command targets; the
 * server runs until it has read it all and closed.
 * Invariants: no crash or hang; the connection ends; every session the
 * server installed is deleted exactly once; nothing is left counted.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "tw_ctrl_server.h"

#define IN_MAX 65536

static unsigned added, deleted;

static uint8_t session_add(void *arg, struct tw_ctrl_srv_session *s, uint64_t *h)
{
	(void)arg;
	if (s->local_port == 0)
		s->local_port = 20000;
	*h = added++;
	return 0;
}

static void session_del(void *arg, uint64_t h)
{
	(void)arg;
	TW_FUZZ_ASSERT(h < added);
	deleted++;
}

static int key_lookup(void *arg, const uint8_t keyid[TW_CTRL_KEYID_LEN], uint8_t *secret,
		      size_t cap)
{
	(void)arg;
	(void)keyid;
	(void)cap;
	memcpy(secret, "fuzz", 4);
	return 4;
}

/* Feed @p prefix then @p data to a fresh server connection of @p proto. */
static void feed(enum tw_ctrl_proto proto, const uint8_t *prefix, size_t plen,
		 const uint8_t *data, size_t len)
{
	struct tw_ctrl_server_conf sc = {
		.modes = TW_MODE_UNAUTH | TW_MODE_AUTH | TW_MODE_ENCRYPTED | TW_MODE_MIXED |
			 TW_MODE_INDIVIDUAL | TW_MODE_REFLECT_OCTETS | TW_MODE_SYMMETRICAL |
			 TW_MODE_DSCP_ECN,
		.owamp_modes = TW_MODE_UNAUTH | TW_MODE_AUTH | TW_MODE_ENCRYPTED,
		.count = 1024,
		.max_connections = 2,
		.max_sessions = 64,
		.max_sessions_per_connection = 16,
		.servwait_s = 900,
	};
	struct tw_ctrl_server_ops ops = {
		.key_lookup = key_lookup, .session_add = session_add, .session_del = session_del,
	};
	struct tw_ctrl_server_stats st;
	struct tw_ctrl_server *srv;
	uint8_t sink[4096];
	size_t off = 0, total;
	int sv[2];

	if (len > IN_MAX)
		len = IN_MAX;
	total = plen + len;
	added = deleted = 0;
	srv = tw_ctrl_server_create(&sc, &ops, NULL);
	TW_FUZZ_ASSERT(srv != NULL);
	TW_FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	TW_FUZZ_ASSERT(tw_ctrl_server_adopt(srv, sv[0], proto) == 0);
	if (total == 0)
		(void)shutdown(sv[1], SHUT_WR);
	for (int spins = 0; spins < 100000; spins++) {
		ssize_t n;

		if (off < total) {
			const uint8_t *p = off < plen ? prefix + off : data + (off - plen);
			size_t chunk = off < plen ? plen - off : total - off;

			n = send(sv[1], p, chunk, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				off = total;
			if (off == total)
				(void)shutdown(sv[1], SHUT_WR);
		}
		TW_FUZZ_ASSERT(tw_ctrl_server_poll(srv, 0) >= 0);
		n = recv(sv[1], sink, sizeof(sink), 0);
		if (off == total && (n == 0 || (n < 0 && errno != EAGAIN)))
			break; /* the server closed */
		TW_FUZZ_ASSERT(tw_ctrl_server_stats(srv, &st) == 0);
		TW_FUZZ_ASSERT(st.sessions == added - deleted);
	}
	TW_FUZZ_ASSERT(tw_ctrl_server_stats(srv, &st) == 0);
	TW_FUZZ_ASSERT(st.connections == 0 && st.sessions == 0);
	TW_FUZZ_ASSERT(added == deleted);
	tw_ctrl_server_destroy(srv);
	close(sv[1]);
}

/* Open-mode Set-Up-Response (RFC 4656 §3.1), so commands are plaintext. */
static const uint8_t open_setup[TW_CTRL_SETUP_RESPONSE_LEN] = { 0, 0, 0, 1 };

static void run_setup(const uint8_t *data, size_t len)
{
	feed(TW_CTRL_TWAMP, NULL, 0, data, len);
}

static void run_twamp(const uint8_t *data, size_t len)
{
	feed(TW_CTRL_TWAMP, open_setup, sizeof(open_setup), data, len);
}

static void run_owamp(const uint8_t *data, size_t len)
{
	feed(TW_CTRL_OWAMP, open_setup, sizeof(open_setup), data, len);
}

/* Seeds: a request, Start-Sessions, Stop-Sessions (TWAMP). */
static void seeds_twamp(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_ctrl_request q = { .ipvn = 4, .sender_port = 4000, .padding_length = 27 };
	struct tw_ctrl_start_sessions s = { { 0 } };
	struct tw_ctrl_stop_sessions p = { .num_sessions = 1 };
	uint8_t buf[112 + 32 + 32];

	q.sender_addr[0] = 10;
	q.receiver_addr[0] = 10;
	TW_FUZZ_ASSERT(tw_proto_twamp_request_encode(&q, TW_MODE_UNAUTH, buf, 112) == 112);
	TW_FUZZ_ASSERT(tw_proto_ctrl_start_sessions_encode(&s, buf + 112, 32) == 32);
	TW_FUZZ_ASSERT(tw_proto_twamp_stop_sessions_encode(&p, buf + 144, 32) == 32);
	emit(ctx, buf, sizeof(buf));
}

/* Seeds: a Request-Session (appliance receives), Start, Fetch (OWAMP). */
static void seeds_owamp(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_owamp_slot slot = { .type = TW_OWAMP_SLOT_FIXED, .parameter = 1ull << 28 };
	struct tw_ctrl_request q = { .ipvn = 4, .conf_receiver = 1, .num_slots = 1,
				     .num_packets = 4, .sender_port = 4000, .slots = &slot };
	struct tw_ctrl_start_sessions s = { { 0 } };
	struct tw_owamp_fetch_session f = { .end_seq = 0xffffffffu };
	uint8_t buf[144 + 32 + 48];

	q.sender_addr[0] = 10;
	q.receiver_addr[0] = 10;
	TW_FUZZ_ASSERT(tw_proto_owamp_request_encode(&q, buf, 144) == 144);
	TW_FUZZ_ASSERT(tw_proto_ctrl_start_sessions_encode(&s, buf + 144, 32) == 32);
	TW_FUZZ_ASSERT(tw_proto_owamp_fetch_session_encode(&f, buf + 176, 48) == 48);
	emit(ctx, buf, sizeof(buf));
}

static void seeds_setup(tw_fuzz_emit_fn emit, void *ctx)
{
	emit(ctx, open_setup, sizeof(open_setup));
}

TW_FUZZ_TARGETS(
	{ "server_setup", run_setup, seeds_setup },
	{ "server_twamp", run_twamp, seeds_twamp },
	{ "server_owamp", run_owamp, seeds_owamp },
);
