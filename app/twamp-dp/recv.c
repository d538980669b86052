/* SPDX-License-Identifier: BSD-3-Clause */
/* twamp-dp: the receiver and the dispatch of its records (see recv.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>

#include "recv.h"
#include "twamp_dp.h"

#define BATCH 256u

struct sink {
	uint32_t id;
	bool used;
	app_recv_sink_fn fn;
	void *arg;
};

static struct {
	struct tw_recv *r;
	struct sink *sinks;        /* by TW_RECV_ID_SLOT() */
	uint64_t max_pass;         /* records per service call: what the rings hold */
	uint64_t orphans;          /* records of sessions already removed */
	struct tw_recv_rec buf[BATCH];
	struct tw_stats_rec run[BATCH];
} g;

int app_recv_create(const struct tw_config *cfg, unsigned n_workers,
		    struct rte_rcu_qsbr *qsbr)
{
	struct tw_recv_conf c = { .n_workers = n_workers, .qsbr = qsbr,
				  .crypto = TW_CRYPTO_IMPL_BEST,
				  .ring_size = TW_RECV_RING_DEFAULT };

	/* the OWAMP server's sessions and the sender's, with room for ad-hoc runs */
	c.max_sessions = (cfg->control.enabled ? cfg->control.max_sessions : 1024) +
			 cfg->n_sessions + 64;
	if (c.max_sessions > (1u << 24))
		c.max_sessions = 1u << 24;
	g.sinks = calloc(c.max_sessions, sizeof(*g.sinks));
	g.r = g.sinks != NULL ? tw_recv_create(&c) : NULL;
	if (g.r == NULL) {
		app_log("receiver: %s", g.sinks == NULL ? "out of memory"
							: rte_strerror(rte_errno));
		free(g.sinks);
		g.sinks = NULL;
		return -1;
	}
	g.max_pass = (uint64_t)n_workers * c.ring_size;
	return 0;
}

int app_recv_attach(struct tw_dp *dp)
{
	int rc = tw_recv_attach(g.r, dp);

	if (rc != 0) {
		app_log("receiver: attach: %s", strerror(-rc));
		return -1;
	}
	rc = tw_recv_telemetry_register(g.r);
	if (rc != 0)
		app_log("receiver: telemetry commands not registered (%s)", strerror(-rc));
	return 0;
}

struct tw_recv *app_recv_get(void)
{
	return g.r;
}

int app_recv_session_add(const struct tw_recv_session *s, app_recv_sink_fn fn,
			 void *arg, uint32_t *id)
{
	struct sink *k;
	int rc;

	if (g.r == NULL || fn == NULL || id == NULL)
		return -EINVAL;
	rc = tw_recv_session_add(g.r, s, id);
	if (rc != 0)
		return rc;
	k = &g.sinks[TW_RECV_ID_SLOT(*id)];
	*k = (struct sink){ .id = *id, .used = true, .fn = fn, .arg = arg };
	return 0;
}

int app_recv_session_del(uint32_t id)
{
	int rc;

	if (g.r == NULL)
		return -EINVAL;
	rc = tw_recv_session_del(g.r, id);
	if (rc == 0)
		memset(&g.sinks[TW_RECV_ID_SLOT(id)], 0, sizeof(g.sinks[0]));
	return rc;
}

/* runs of one session's records go to its sink in one call */
static void dispatch(unsigned n)
{
	for (unsigned i = 0; i < n;) {
		uint32_t id = g.buf[i].session;
		const struct sink *k = &g.sinks[TW_RECV_ID_SLOT(id)];
		unsigned j = 0;

		while (i < n && g.buf[i].session == id)
			g.run[j++] = g.buf[i++].rec;
		if (k->used && k->id == id)
			k->fn(k->arg, id, g.run, j);
		else
			g.orphans += j;
	}
}

/* Until the rings are empty, but no more than they hold at once: the
 * control loop may sleep a millisecond between calls. */
unsigned app_recv_service(void)
{
	uint64_t total = 0;
	unsigned n;

	if (g.r == NULL)
		return 0;
	do {
		n = tw_recv_drain(g.r, g.buf, BATCH);
		dispatch(n);
		total += n;
	} while (n == BATCH && total < g.max_pass);
	return (unsigned)total;
}

void app_recv_destroy(void)
{
	if (g.orphans != 0)
		app_log("receiver: %llu records of removed sessions discarded",
			(unsigned long long)g.orphans);
	tw_recv_destroy(g.r);
	free(g.sinks);
	memset(&g, 0, sizeof(g));
}
