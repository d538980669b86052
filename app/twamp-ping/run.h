/* SPDX-License-Identifier: BSD-3-Clause */
/* The measurement loop of one session (run.c). */
#ifndef TWAMP_PING_RUN_H
#define TWAMP_PING_RUN_H

#include <signal.h>

#include "ping.h"

struct tw_sched;

/* One scheduled packet. */
struct ping_sent {
	uint64_t sched_ns;   /* deadline, CLOCK_MONOTONIC */
	int64_t dep_ns;      /* Sender Timestamp minus deadline */
	int64_t t1_real;     /* Sender Timestamp, CLOCK_REALTIME ns */
	int64_t tx_ns;       /* kernel TX timestamp (0: none) */
	tw_ntp_t t1;
	uint32_t n_replies;
	bool sent_ok;
};

struct run;
typedef void (*run_tick_fn)(struct run *r, void *arg);

struct run {
	/* set by the caller */
	struct tpkt *tp;
	struct psock *sock;
	struct tw_stats *stats;        /* every packet and reply goes here */
	struct tw_sched *sched;        /* send times (RFC 4656 §5) */
	uint64_t start_mono;           /* Start Time; 0: now + 1 ms */
	uint64_t count;                /* 0: until duration */
	uint64_t duration_ns;          /* 0: until count */
	uint64_t timeout_ns;           /* wait for late replies */
	const volatile sig_atomic_t *stop;
	int *halt;                     /* shared by sessions; NULL: none */
	volatile sig_atomic_t no_stop; /* 0: point stop here to ignore it */
	int ctrl_fd;                   /* control connection to watch, -1 */
	run_tick_fn tick;              /* once a second (progress) */
	void *tick_arg;

	/* results */
	struct ping_sent *sent;
	size_t cap_sent;
	uint64_t n_sent;
	uint64_t n_answered;           /* packets with at least one reply */
	uint64_t bad[PING_BAD__MAX];
	uint64_t n_kernel_rx, n_hw_rx;
	uint64_t send_errors, rx_errors;
	int last_send_errno;
	bool nomem;
	bool ctrl_event;               /* the control connection spoke or closed */
	uint64_t t0_mono, last_send_mono, next_tick;
	uint16_t errest;

	/* internal */
	struct psock_msg *msgs;
	uint32_t *keyseq;
	size_t cap_keys;
	uint32_t n_keys, key0;
};

/* Departure error statistics, ns. */
struct run_dep {
	uint64_t n_user, n_kernel;
	int64_t user_p50, user_p99, user_max;    /* Sender Timestamp - schedule */
	int64_t kern_p50, kern_p99, kern_max;    /* kernel TX - schedule */
	int64_t stamp_p50, stamp_p99, stamp_max; /* kernel TX - Sender Timestamp */
};

int run_init(struct run *r);
int run_send(struct run *r);
void run_wait_replies(struct run *r);
void run_departure(struct run *r, struct run_dep *d);
void run_fini(struct run *r);
/* The Error Estimate of this host's clock now (S from adjtimex). */
uint16_t run_errest(void);

#endif /* TWAMP_PING_RUN_H */
