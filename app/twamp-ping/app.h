/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-ping's program state: the options (main.c), the run with its
 * control connection and the test sessions (sess.c).
 */
#ifndef TWAMP_PING_APP_H
#define TWAMP_PING_APP_H

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>

#include "run.h"
#include "tw_config.h"
#include "tw_ctrl_client.h"
#include "tw_proto_ctrl.h"
#include "tw_stats.h"

#ifndef TWAMP_PING_VERSION
#define TWAMP_PING_VERSION "0.0.0"
#endif

#define PING_SESSIONS_MAX 64

struct opts {
	enum ping_proto proto;
	enum ping_mode mode;
	int family;                 /* AF_UNSPEC, AF_INET, AF_INET6 */
	const char *host;
	long port;                  /* -1: protocol default */
	long test_port;             /* TWAMP: reflector port to ask for */
	uint64_t count;             /* 0: by duration */
	uint64_t duration_ns;
	uint64_t interval_ns;
	bool poisson;
	long padding;               /* -1: equal sizes both ways */
	int dscp;                   /* -1: not set */
	int ecn;
	const char *src;
	long src_port;
	uint64_t timeout_ns;
	const char *key_file;
	const char *key_id;
	const char *ike_keys;       /* RFC 7717: key-import records file */
	bool ike_direct;            /* --ike-token-key direct */
	const char *ike_socket;     /* RFC 7717: serve key import here */
	unsigned ike_wait_s;        /* how long to wait on it */
	bool ike_draft;             /* --ike-profile draft (the seed draft) */
	int ike_variant;            /* --ike-variant: enum tw_ctrl_draft_variant */
	bool ike_keymat;            /* --ike-secret keymat (else skeyseed) */
	bool ike_sid_key;           /* --ike-sid-key */
	bool ike_draft_opts;        /* a draft-only option was given */
	bool ike_secret_given;
	long reflect_octets;        /* RFC 6038; -1 not asked */
	bool sym_size, dscp_ecn, individual;
	bool zero_pad;
	long ssid;
	unsigned sessions;          /* concurrent test sessions, >= 1 */
	const char *json;
	const char *per_packet;
	unsigned pp_format;
	const char *hw_if;
	bool quiet;
	int progress;               /* -1 auto */
};

struct ping;

/* One test session: its socket, packets, schedule, statistics, results. */
struct psess {
	struct ping *p;
	unsigned idx;
	struct sockaddr_storage peer;   /* the reflector / receiver */
	socklen_t peer_len;
	struct tw_ctrl_session sess;    /* TWAMP / OWAMP: what the server gave */
	uint8_t test_key[48];
	bool have_test_key;
	enum ping_mode test_mode;
	struct tw_owamp_slot slot;      /* OWAMP schedule */
	struct psock sock;
	struct tpkt tp;
	struct tw_sched *sched;
	struct tw_stats *stats;
	struct tw_stats_pp *pp;
	struct run run;
	struct run_dep dep;
	struct tw_stats_result res;
	struct tw_stats_meta meta;
	char *json_path, *pp_path;
	char src_text[INET6_ADDRSTRLEN], dst_text[INET6_ADDRSTRLEN];
	char sid_text[2 * TW_CTRL_SID_LEN + 1];
	pthread_t th;
	bool thread;
	int rc;                         /* run_send() */
};

struct ping {
	struct opts o;
	struct sockaddr_storage peer, src;
	socklen_t peer_len, src_len;
	struct tw_config_keys keys;
	const struct tw_config_key *key;
	/* RFC 7717: the IKE SA picked by the server's address (ike.c) */
	bool have_ike;
	uint8_t ike_keyid[TW_CTRL_KEYID_LEN];
	uint8_t ike_secret[TW_CRYPTO_PRF_MAX];
	size_t ike_secret_len;
	/* the seed draft's profile: the Child SA pair to the server (ike.c) */
	bool have_draft;
	struct tw_ctrl_client_draft draft;
	struct tw_ctrl_client *cl;
	uint32_t padding;
	int64_t start_real;             /* OWAMP Start Time, realtime ns */
	const volatile sig_atomic_t *stop;
	int halt;                       /* a session saw the control connection */
	bool progress, progress_shown;
	unsigned n;
	struct psess *s;
	char err[512];
};

/* sess.c: every step returns a PING_EXIT_* code (0 to go on) and has
 * printed why it failed. */
int ping_resolve(struct ping *p);
int ping_load_key(struct ping *p);
/* ike.c: --ike-keys: load the records, pick the IKE SA of the server. */
int ping_load_ike(struct ping *p);
int ping_padding(struct ping *p);
int ping_ctrl_connect(struct ping *p);
int ping_sessions_open(struct ping *p);
int ping_start(struct ping *p);
int ping_run(struct ping *p);
int ping_stop(struct ping *p);
int ping_results(struct ping *p);
void ping_free(struct ping *p);
const char *ping_proto_name(enum ping_proto proto);
const char *ping_mode_name(enum ping_mode mode);

#endif /* TWAMP_PING_APP_H */
