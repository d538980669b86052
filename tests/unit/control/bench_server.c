/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-server benchmark (not a test): lib/control clients set up
 * N sessions over loopback against the server in another thread, whose
 * session_add only counts (no data plane), in open and encrypted mode.
 * Prints sessions set up per second (Request-TW-Session round trips, one
 * connection after another, max_sessions_per_connection each) and the
 * server's resident memory per installed session.
 *
 *   bench_server [SESSIONS]   (default 100000)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tw_ctrl_client.h"
#include "tw_ctrl_server.h"

#define PER_CONN 1024u
#define PASS "bench passphrase"

static atomic_bool run;
static uint64_t added;

static int key_lookup(void *arg, const uint8_t keyid[TW_CTRL_KEYID_LEN], uint8_t *secret,
		      size_t cap)
{
	(void)arg;
	(void)keyid;
	(void)cap;
	memcpy(secret, PASS, strlen(PASS));
	return (int)strlen(PASS);
}

static uint8_t session_add(void *arg, struct tw_ctrl_srv_session *s, uint64_t *h)
{
	(void)arg;
	if (s->local_port == 0)
		s->local_port = 20000;
	*h = added++;
	return 0;
}

static void *poller(void *arg)
{
	struct tw_ctrl_server *srv = arg;

	while (atomic_load(&run))
		tw_ctrl_server_poll(srv, 5);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

static int bench(uint32_t mode, unsigned n)
{
	static const uint8_t lo[16] = { 127, 0, 0, 1 };
	struct tw_ctrl_server_conf sc = {
		.modes = TW_MODE_UNAUTH | TW_MODE_ENCRYPTED,
		.count = 1024,
		.max_connections = n / PER_CONN + 2,
		.max_sessions = n,
		.max_sessions_per_connection = PER_CONN,
		.servwait_s = 900,
	};
	struct tw_ctrl_server_ops ops = { .key_lookup = key_lookup, .session_add = session_add };
	struct tw_ctrl_client_conf cc = {
		.proto = TW_CTRL_TWAMP, .modes = mode, .keyid = "bench",
		.secret = PASS, .secret_len = strlen(PASS),
	};
	struct tw_ctrl_client **cl = calloc(n / PER_CONN + 1, sizeof(*cl));
	struct tw_ctrl_server *srv = tw_ctrl_server_create(&sc, &ops, NULL);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct tw_ctrl_session_req rq = { .padding_length = 64, .timeout = 1ull << 32 };
	struct tw_ctrl_session out;
	pthread_t t;
	unsigned done = 0, nc = 0;
	long rss0;
	double t0, dt;
	int idx;

	if (srv == NULL || cl == NULL)
		return 1;
	if (mode & TW_MODE_UNAUTH) {
		cc.keyid = NULL;
		cc.secret = NULL;
		cc.secret_len = 0;
	}
	idx = tw_ctrl_server_listen(srv, AF_INET, lo, 0, TW_CTRL_TWAMP);
	sa.sin_port = htons((uint16_t)tw_ctrl_server_listen_port(srv, idx));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	added = 0;
	atomic_store(&run, true);
	pthread_create(&t, NULL, poller, srv);
	rss0 = rss_kb();
	t0 = now_s();
	while (done < n) {
		struct tw_ctrl_client *c = tw_ctrl_client_create(&cc);

		if (c == NULL || tw_ctrl_client_connect(c, (struct sockaddr *)&sa, sizeof(sa),
							NULL, 0) != 0) {
			fprintf(stderr, "connect failed\n");
			return 1;
		}
		cl[nc++] = c;
		for (unsigned i = 0; i < PER_CONN && done < n; i++, done++) {
			rq.sender_port = (uint16_t)(10000 + i);
			if (tw_ctrl_client_request_tw_session(c, &rq, &out) != 0) {
				fprintf(stderr, "request %u failed: %s\n", done,
					tw_ctrl_client_error(c));
				return 1;
			}
		}
	}
	dt = now_s() - t0;
	printf("%-6s %u sessions on %u connections in %.2f s: %.0f sessions/s; "
	       "process RSS +%ld kB (%.0f octets per session incl. the clients)\n",
	       mode & TW_MODE_UNAUTH ? "open" : "enc", n, nc, dt, n / dt, rss_kb() - rss0,
	       (double)(rss_kb() - rss0) * 1024.0 / n);
	for (unsigned i = 0; i < nc; i++)
		tw_ctrl_client_destroy(cl[i]);
	atomic_store(&run, false);
	pthread_join(t, NULL);
	tw_ctrl_server_destroy(srv);
	free(cl);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 100000u;

	if (n == 0)
		n = 100000u;
	return bench(TW_MODE_UNAUTH, n) || bench(TW_MODE_ENCRYPTED, n);
}
