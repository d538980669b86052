/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The measurement loop of one session: pace the Session-Sender packets
 * (ppoll() to a little before each deadline, then spin), stamp each packet
 * right before sendto(), take the replies in the same loop (recvmmsg() with
 * kernel receive timestamps), verify and match them, read the kernel's
 * transmit timestamps from the error queue, and turn every good reply into
 * a struct tw_stats_rec. Nothing received is used before it is verified.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/timex.h>
#include <time.h>

#include "run.h"
#include "tw_dp_clock.h"
#include "tw_sched.h"

/* Wake this long before a deadline and spin the rest (docs/twamp-ping.md) */
#define SPIN_NS 150000ull
#define NS_PER_SEC 1000000000ull

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 1024;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*v, n * size);
	if (p == NULL)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}

uint16_t run_errest(void)
{
	struct timex tx = { 0 };
	int state = adjtimex(&tx);

	/* S only when the kernel says the clock is synchronised, as the
	 * appliance does (lib/dataplane clock.c) */
	return tw_dp_clock_errest_from_kernel(state, tx.status, tx.esterror,
					      tx.maxerror, 0);
}

static void on_txts(uint32_t key, int64_t ts, void *arg)
{
	struct run *r = arg;
	uint32_t i = key - r->key0;

	/* OPT_ID keys count successful sends; keyseq maps them back */
	if (i < r->n_keys && r->sent[r->keyseq[i]].tx_ns == 0)
		r->sent[r->keyseq[i]].tx_ns = ts;
}

static void take(struct run *r, struct psock_msg *m)
{
	struct tpkt_reply rep;
	struct tw_errest e;
	struct ping_sent *s;
	struct tw_stats_rec rec;
	int rc;

	if (!m->rx.from_peer) {
		r->bad[PING_BAD_FOREIGN]++;
		return;
	}
	rc = tpkt_reply(r->tp, m->buf, m->len, &rep);
	if (rc < 0) {
		r->bad[-rc - 1]++;
		return;
	}
	if (rep.sender_seq >= r->n_sent) {
		r->bad[PING_BAD_UNKNOWN_SEQ]++;
		return;
	}
	s = &r->sent[rep.sender_seq];
	if (rep.sender_ts != s->t1) {
		r->bad[PING_BAD_MISMATCH]++;
		return;
	}
	if (tw_errest_decode(rep.errest, &e) < 0) {
		r->bad[PING_BAD_ERREST]++;
		return;
	}
	memset(&rec, 0, sizeof(rec));
	rec.seq = rep.sender_seq;
	rec.refl_seq = rep.refl_seq;
	rec.t1 = rep.sender_ts;
	rec.t2 = rep.rx_ts;
	rec.t3 = rep.ts;
	rec.t4 = tw_ntp_from_unix((uint64_t)(m->rx.ts_ns / (int64_t)NS_PER_SEC),
				   (uint32_t)(m->rx.ts_ns % (int64_t)NS_PER_SEC));
	rec.e1 = rep.sender_errest;
	rec.e2 = rep.errest;
	rec.e4 = r->errest;
	rec.ttl_fwd = rep.sender_ttl;
	rec.ttl_back = m->rx.ttl > 0 ? (uint8_t)m->rx.ttl : 0;
	rec.tos_back = m->rx.tos >= 0 ? (uint8_t)m->rx.tos : 0;
	if (rep.have_tos) {
		rec.tos_fwd = rep.sender_tos;
		rec.flags |= TW_STATS_REC_TOS_FWD;
	}
	if (m->rx.ts_kernel) {
		rec.flags |= TW_STATS_REC_T4_HW;
		r->n_kernel_rx++;
	}
	if (m->rx.ts_hw)
		r->n_hw_rx++;
	if (s->n_replies++ == 0)
		r->n_answered++;
	(void)tw_stats_recv(r->stats, &rec);
}

/* Take everything waiting: replies, then transmit timestamps. */
static void drain(struct run *r)
{
	int n;

	if (r->tp->proto != PING_OWAMP) {
		do {
			n = psock_recv(r->sock, r->msgs, PSOCK_BATCH);
			for (int i = 0; i < n; i++)
				take(r, &r->msgs[i]);
		} while (n == PSOCK_BATCH);
		if (n < 0)
			r->rx_errors++;
	} else {
		/* one way: nothing should come back; read and drop it */
		while ((n = psock_recv(r->sock, r->msgs, PSOCK_BATCH)) > 0)
			r->bad[PING_BAD_FOREIGN] += (uint64_t)n;
	}
	psock_txts(r->sock, on_txts, r);
}

/* ppoll the test socket and, while it is watched, the control connection
 * (the server sends nothing during a TWAMP test: anything readable there
 * is its close; in OWAMP it is the server's early Stop-Sessions). */
static int poll_in(struct run *r, const struct timespec *ts)
{
	struct pollfd pfd[2] = {
		{ .fd = r->sock->fd, .events = POLLIN },
		{ .fd = r->ctrl_fd, .events = POLLIN },
	};
	int n = ppoll(pfd, r->ctrl_fd >= 0 ? 2 : 1, ts, NULL);

	if (n <= 0)
		return n;
	if (pfd[0].revents != 0)
		drain(r);
	if (r->ctrl_fd >= 0 && pfd[1].revents != 0) {
		r->ctrl_event = true;
		r->ctrl_fd = -1;
		if (r->halt != NULL)
			__atomic_store_n(r->halt, 1, __ATOMIC_RELAXED);
	}
	return n;
}

/* Once a second: progress, the loss clock, the Error Estimate, and a look
 * at the control connection even when the stream is too fast to sleep. */
static void maybe_tick(struct run *r, uint64_t now)
{
	static const struct timespec zero;

	if (now < r->next_tick)
		return;
	r->next_tick = now + NS_PER_SEC;
	r->errest = run_errest();
	if (r->ctrl_fd >= 0)
		(void)poll_in(r, &zero);
	if (r->tick != NULL)
		r->tick(r, r->tick_arg);
}

/* Wait for @deadline (monotonic): ppoll for input until SPIN_NS before,
 * then spin. Returns false when interrupted by a signal or the control
 * connection. */
static bool wait_until(struct run *r, uint64_t deadline)
{
	for (;;) {
		uint64_t now = pace_mono_ns();

		if (*r->stop || r->ctrl_event ||
		    (r->halt != NULL && __atomic_load_n(r->halt, __ATOMIC_RELAXED)))
			return false;
		if (now >= deadline)
			return true;
		if (deadline - now > SPIN_NS) {
			uint64_t d = deadline - now - SPIN_NS;
			struct timespec ts = {
				.tv_sec = (time_t)(d / NS_PER_SEC),
				.tv_nsec = (long)(d % NS_PER_SEC),
			};

			(void)poll_in(r, &ts);
			maybe_tick(r, now);
			continue;
		}
		__builtin_ia32_pause();
	}
}

int run_send(struct run *r)
{
	uint8_t *buf;
	int len;
	uint64_t t0, off, end_ns;
	bool until_end = r->duration_ns > 0;
	uint32_t key;

	buf = malloc(r->tp->send_len);
	if (buf == NULL)
		return -ENOMEM;
	/* timer slack 1 ns: ppoll wakes when asked, the spin does the rest */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	r->errest = run_errest();
	t0 = r->start_mono != 0 ? r->start_mono : pace_mono_ns() + 1000000;
	r->t0_mono = t0;
	end_ns = until_end ? r->duration_ns : UINT64_MAX;
	r->next_tick = t0 + NS_PER_SEC;
	for (uint64_t seq = 0; r->count == 0 || seq < r->count; seq++) {
		struct ping_sent *s;
		uint64_t deadline;
		int rc;

		/* RFC 4656 §3.6: packet i leaves at Start Time + the sum of
		 * the first i + 1 intervals (exact, tw_sched) */
		off = tw_sched_next(r->sched);
		/* each interval is rounded to NTP units (< 0.12 ns off), so
		 * allow 1/8 ns per packet: the packet due at the end is sent */
		if (until_end && off > end_ns + (seq >> 3) + 1)
			break;
		deadline = t0 + off;
		if (grow((void **)&r->sent, &r->cap_sent, seq + 1,
			 sizeof(*r->sent)) < 0) {
			free(buf);
			return -ENOMEM;
		}
		len = tpkt_build(r->tp, buf, r->tp->send_len, (uint32_t)seq,
				 r->errest);
		if (len < 0) {
			free(buf);
			return len;
		}
		if (!wait_until(r, deadline))
			break;
		s = &r->sent[seq];
		memset(s, 0, sizeof(*s));
		s->sched_ns = deadline;
		/* the Sender Timestamp: right before protect + sendto */
		s->t1_real = pace_real_ns();
		s->dep_ns = (int64_t)(pace_mono_ns() - deadline);
		s->t1 = tw_ntp_from_unix((uint64_t)(s->t1_real / (int64_t)NS_PER_SEC),
					 (uint32_t)(s->t1_real % (int64_t)NS_PER_SEC));
		rc = tpkt_stamp(r->tp, buf, (size_t)len, s->t1);
		if (rc == 0) {
			for (int tries = 0; tries < 100; tries++) {
				rc = psock_send(r->sock, buf, (size_t)len, &key);
				if (rc != -ENOBUFS && rc != -EAGAIN)
					break;
			}
		}
		r->n_sent = seq + 1;
		(void)tw_stats_sent(r->stats, (uint32_t)seq, s->t1);
		if (rc == 0) {
			if (r->n_keys == 0)
				r->key0 = key;
			if (grow((void **)&r->keyseq, &r->cap_keys,
				 r->n_keys + 1, sizeof(*r->keyseq)) == 0 &&
			    key - r->key0 == r->n_keys)
				r->keyseq[r->n_keys++] = (uint32_t)seq;
			s->sent_ok = true;
		} else {
			r->send_errors++;
			r->last_send_errno = -rc;
			/* too large for the path, or the very first packet
			 * cannot leave (no route, refused by a firewall):
			 * every packet would fail; a set-up error, not loss */
			if (rc == -EMSGSIZE || r->n_keys == 0) {
				free(buf);
				return rc;
			}
		}
		r->last_send_mono = pace_mono_ns();
		drain(r);
		maybe_tick(r, r->last_send_mono);
	}
	free(buf);
	return 0;
}

void run_wait_replies(struct run *r)
{
	uint64_t deadline = r->last_send_mono + r->timeout_ns;

	while (!*r->stop && r->n_answered < r->n_sent) {
		uint64_t now = pace_mono_ns();
		uint64_t d;
		struct timespec ts;

		if (now >= deadline)
			break;
		d = deadline - now;
		if (d > NS_PER_SEC / 4)
			d = NS_PER_SEC / 4;
		ts.tv_sec = (time_t)(d / NS_PER_SEC);
		ts.tv_nsec = (long)(d % NS_PER_SEC);
		(void)poll_in(r, &ts);
		maybe_tick(r, now);
	}
	drain(r);
}

enum dep_kind { DEP_USER, DEP_KERNEL, DEP_STAMP };

/* Percentiles of one departure measure over the packets that have it. */
static uint64_t dep_pct(const struct run *r, int64_t *v, enum dep_kind k,
			int64_t *p50, int64_t *p99, int64_t *max)
{
	size_t n = 0;

	for (uint64_t i = 0; i < r->n_sent; i++) {
		const struct ping_sent *s = &r->sent[i];

		if (k == DEP_USER ? !s->sent_ok : s->tx_ns == 0)
			continue;
		v[n++] = k == DEP_USER ? s->dep_ns :
			 k == DEP_KERNEL ? s->tx_ns - s->t1_real + s->dep_ns :
					   s->tx_ns - s->t1_real;
	}
	if (n > 0) {
		*p50 = ping_pct(v, n, 50);
		*p99 = ping_pct(v, n, 99);
		*max = v[n - 1];
	}
	return n;
}

void run_departure(struct run *r, struct run_dep *d)
{
	int64_t *v = malloc((r->n_sent ? r->n_sent : 1) * sizeof(*v));

	memset(d, 0, sizeof(*d));
	if (v == NULL)
		return;
	/* user space: the Sender Timestamp against the schedule; kernel: the
	 * TX timestamp against the schedule, and against the Sender Timestamp */
	d->n_user = dep_pct(r, v, DEP_USER, &d->user_p50, &d->user_p99,
			    &d->user_max);
	d->n_kernel = dep_pct(r, v, DEP_KERNEL, &d->kern_p50, &d->kern_p99,
			      &d->kern_max);
	(void)dep_pct(r, v, DEP_STAMP, &d->stamp_p50, &d->stamp_p99,
		      &d->stamp_max);
	free(v);
}

void run_fini(struct run *r)
{
	free(r->sent);
	free(r->msgs);
	free(r->keyseq);
	r->keyseq = NULL;
	r->sent = NULL;
	r->msgs = NULL;
}

int run_init(struct run *r)
{
	r->msgs = calloc(PSOCK_BATCH, sizeof(*r->msgs));
	return r->msgs == NULL ? -ENOMEM : 0;
}
