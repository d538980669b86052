/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp: test runs of the Session-Sender (send.h).
 *
 * A run goes RESOLVE (next-hop MAC from the TAP's neighbour table, the
 * kernel made to resolve it) -> RUN (receive session + stream + lib/stats)
 * -> WAIT (the stream is done: replies have timeout_s to come back) ->
 * DONE (metrics, results file, summary line). Sent records are drained
 * before reply records each pass, and a reply whose number has not been
 * reported sent yet (a sender lcore that was preempted between its TX and
 * its record) waits for the next pass: every packet is accounted for.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_telemetry.h>

#include "ipsec.h"
#include "keyimp.h"
#include "recv.h"
#include "send.h"
#include "spd.h"
#include "tw_ctrl_client.h"
#include "tw_ipsec.h"
#include "tw_keyimp.h"
#include "tw_sched.h"
#include "tw_dp_send.h"
#include "tw_stats.h"
#include "twamp_dp.h"

/* how often a bound run looks whether its rekey successor may carry it */
#define SUCC_POLL_NS 10000000ull
#define MAX_RUNS 256u           /* configured + ad-hoc at once */
#define RESOLVE_TIMEOUT_NS 3000000000ull
#define PROBE_EVERY_NS 500000000ull
#define DRAIN 1024u
#define HOLD_MAX 4096u
#define SRC_PORT_BASE 50000u
/* a run's failure text: the longest built (a Control client error of up to
 * 255 octets behind "OWAMP-Control Request-TW-Session: ") fits whole */
#define ERR_MAX 512u

enum run_state { R_FREE = 0, R_RESOLVE, R_CONTROL, R_RUN, R_WAIT, R_FETCH, R_DONE, R_FAILED };
static const char *const state_names[] = { "free", "resolving", "control", "running",
					    "waiting", "fetching", "done", "failed" };
/* OWAMP: records fetched per session at most (RFC 4656 §3.9 data is kept
 * in memory until it is counted: 32 octets a packet) */
#define OWAMP_MAX_PACKETS TW_CONFIG_OWAMP_MAX_PACKETS

/*
 * A full-TWAMP or OWAMP run's Control-Client, on a thread of its own
 * (lib/control blocks): connect, Request-TW-Session (OWAMP: Request-Session
 * with the server as receiver and our schedule), Start-Sessions (or
 * Start-N-Sessions, RFC 5938); it then hands the session over (ready) and
 * waits for stop, sends Stop-Sessions (OWAMP: with our Next Seqno, then
 * Fetch-Session of the receiver's records) and ends (done). Everything
 * shared is under app_send.lock; the thread writes no table: the control
 * thread adds the receive session and the stream, and counts the records.
 */
struct ctl {
	pthread_t thr;
	bool started;
	struct tw_ctrl_client_conf conf;
	char keyid[TW_CONFIG_KEYID_MAX + 1];
	uint8_t keyid_raw[TW_CTRL_KEYID_LEN]; /* RFC 7717: SPIi | SPIr | zeros */
	uint8_t secret[TW_CONFIG_PASS_MAX];
	struct tw_ctrl_client_draft draft;    /* seed draft: .secret -> secret */
	struct sockaddr_storage server, local;
	socklen_t server_len, local_len;
	struct tw_ctrl_session_req req;
	/* thread -> control thread, under the lock */
	bool ready, done;
	int rc;
	struct tw_ctrl_session sess;
	char err[ERR_MAX];
	/* control thread -> thread */
	bool stop;
	uint32_t next_seqno;             /* OWAMP: set before stop: the first */
	const struct tw_owamp_skip *skips; /* number not used, the numbers */
	uint32_t n_skips;                /* never sent (run.skips) */
	/* OWAMP: the schedule slot and the fetched records (thread -> control
	 * thread once done; fetch_rc != 0: none) */
	struct tw_owamp_slot slot;
	struct tw_owamp_record *recs;
	uint32_t n_recs, cap_recs;
	int fetch_rc;
};

struct run {
	enum run_state state;
	unsigned id;                     /* for twamp-ctl */
	bool adhoc;
	struct tw_config_session cs;
	int family;
	unsigned port;
	uint8_t src[16], dst[16];
	uint16_t sport;
	uint8_t mac[6];
	uint64_t deadline, next_probe, wait_until, next_advance; /* monotonic ns */
	uint32_t stream;
	bool has_stream;
	uint32_t rsess;
	bool has_rsess;
	struct ctl *ctl;                 /* full TWAMP only */
	/* the test stream rides outbound IPsec SA sa (spd.h; re-chosen when
	 * the SA table changes) */
	bool ipsec;
	struct tw_send_sa sa;
	uint64_t sa_serial;
	uint8_t sa_proto;                /* enum tw_ipsec_proto of sa */
	/* seed draft: the stream is pinned to the outbound SA the Server
	 * Greeting bound (the server's inbound SPI), never another one */
	bool bound;
	uint8_t bound_proto;             /* 50 ESP, 51 AH */
	uint32_t bound_spi;
	/* the bound pair as the key-import table showed it (keys wiped): its
	 * rekey successor takes the stream over (tw_keyimp_draft_successor) */
	bool has_bview;
	struct tw_keyimp_draft bview;
	/* a newer SA (for a bound run, the rekey successor) is there but the
	 * peer may not receive in it yet (RFC 7296 §2.8, reselect()): looked
	 * at again at next_look (monotonic ns) */
	bool peer_wait;
	uint64_t next_look;
	uint64_t sa_rekeys;              /* moves to a rekeyed SA (telemetry) */
	struct app_send *ctl_app;
	char sid[2 * TW_CTRL_SID_LEN + 1]; /* full TWAMP, hex */
	uint16_t dport;                  /* test port: peer_port, or the server's */
	struct tw_stats *st;
	struct tw_stats_pp *pp;
	uint32_t last_seq;               /* last seq reported sent */
	bool any_sent;
	/* OWAMP: numbers the sender skipped (TX refused them), for
	 * Stop-Sessions (RFC 4656 §3.8) */
	struct tw_owamp_skip *skips;
	uint32_t n_skips, cap_skips;
	tw_ntp_t start, end;
	char file[PATH_MAX];
	char err[ERR_MAX];
	/* for telemetry, under the lock: refreshed once a second and at the end */
	struct tw_stats_result snap;
	bool has_snap;
	char *summary;                   /* final text summary (malloc) */
};

/* A reply ahead of its packet's sent record, with the slot of its run so
 * that finding the run again costs no search. */
struct held {
	struct tw_stats_rec rec;
	uint32_t session;                /* the run's receive session */
	uint32_t run;                    /* index in app_send.runs[] */
};

struct app_send {
	const struct tw_config *cfg;
	struct tw_dp *dp;
	struct tw_send *s;
	bool dedicated;
	struct tw_ipsec *ipsec;          /* NULL: no IPsec configured */
	uint64_t ipsec_gen;              /* SA table generation last looked at */
	struct run runs[MAX_RUNS];
	unsigned next_id;
	struct tw_send_rec srec[DRAIN];
	struct held hold[HOLD_MAX];      /* replies ahead of their sent record */
	unsigned n_hold;
	pthread_mutex_t lock;            /* runs[].snap/summary/state for telemetry, req */
	/* one ad-hoc request at a time from the telemetry thread */
	bool req_pending, req_done;
	struct tw_config_session req;
	int req_rc;
	unsigned req_id;
	char req_err[ERR_MAX];
	pthread_cond_t req_cond;
};

static struct app_send *tel_app; /* telemetry callbacks take no argument (22.11) */
static pthread_mutex_t tel_mutex = PTHREAD_MUTEX_INITIALIZER;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int family_of(const struct tw_config_addr *a)
{
	return a->family == 6 ? AF_INET6 : AF_INET;
}

static const char *proto_name(enum tw_config_proto p)
{
	return p == TW_CONFIG_PROTO_OWAMP ? "owamp" :
	       p == TW_CONFIG_PROTO_STAMP ? "stamp" :
	       p == TW_CONFIG_PROTO_LIGHT ? "twamp-light" : "twamp";
}

static const char *mode_name(enum tw_config_mode m)
{
	return m == TW_CONFIG_TMODE_AUTH ? "authenticated" :
	       m == TW_CONFIG_TMODE_ENC ? "encrypted" :
	       m == TW_CONFIG_TMODE_MIXED ? "mixed" : "open";
}

/* Format a message into buf; one too long for it ends with "..." rather
 * than stopping silently mid-word. */
static void msg_vset(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void msg_vset(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);

	if (n >= 0 && (size_t)n >= size && size > 3)
		memcpy(buf + size - 4, "...", 4);
}

static void msg_set(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void msg_set(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vset(buf, size, fmt, ap);
	va_end(ap);
}

static void run_fail(struct app_send *a, struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool bound_successor(struct app_send *a, struct run *r);

static void run_fail(struct app_send *a, struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pthread_mutex_lock(&a->lock);
	msg_vset(r->err, sizeof(r->err), fmt, ap);
	r->state = R_FAILED;
	pthread_mutex_unlock(&a->lock);
	va_end(ap);
	app_log("session %s: %s", r->cs.name, r->err);
}

/* Port and local address: the named port, else the first with an address
 * of the peer's family (the one whose subnet holds the peer first). */
static int pick_local(const struct tw_config *cfg, struct run *r)
{
	int best = -1;

	for (unsigned p = 0; p < cfg->n_ports; p++) {
		const struct tw_config_port *cp = &cfg->ports[p];
		const struct tw_config_addr *v = r->cs.peer.family == 6 ? cp->ipv6 : cp->ipv4;
		unsigned n = r->cs.peer.family == 6 ? cp->n_ipv6 : cp->n_ipv4;

		if (r->cs.port[0] != '\0' && strcmp(cp->name, r->cs.port) != 0)
			continue;
		for (unsigned i = 0; i < n; i++) {
			if (tw_config_addr_in_prefix(&v[i], &r->cs.peer) || best < 0) {
				r->port = p;
				memcpy(r->src, v[i].addr, 16);
				best = (int)p;
				if (tw_config_addr_in_prefix(&v[i], &r->cs.peer))
					return 0;
			}
		}
	}
	return best >= 0 ? 0 : -ENOENT;
}

static uint16_t pick_sport(struct app_send *a, const struct run *r)
{
	if (r->cs.src_port != 0)
		return r->cs.src_port;
	for (unsigned k = 0; k < 10000; k++) {
		uint16_t p = (uint16_t)(SRC_PORT_BASE + (r->id + k) % 10000);
		bool used = tw_dp_udp_port_class(a->dp, p) != TW_DP_UDP_NONE;

		for (unsigned i = 0; i < MAX_RUNS && !used; i++)
			used = a->runs[i].state != R_FREE && &a->runs[i] != r &&
			       a->runs[i].sport == p;
		if (!used)
			return p;
	}
	return 0;
}

static struct run *new_run(struct app_send *a, const struct tw_config_session *cs,
			   bool adhoc)
{
	struct run *oldest = NULL;

	/* a free slot, else the oldest finished run (its results were written) */
	for (unsigned i = 0; i < MAX_RUNS; i++) {
		struct run *r = &a->runs[i];

		if ((r->state == R_DONE || r->state == R_FAILED) && !r->has_stream &&
		    !r->has_rsess && r->ctl == NULL && (oldest == NULL || r->id < oldest->id))
			oldest = r;
	}
	for (unsigned i = 0; i <= MAX_RUNS; i++) {
		struct run *r = i < MAX_RUNS ? &a->runs[i] : oldest;

		if (r == NULL || (r->state != R_FREE && r != oldest))
			continue;
		pthread_mutex_lock(&a->lock);
		free(r->summary);
		free(r->skips);
		memset(r, 0, sizeof(*r));
		r->id = a->next_id++;
		r->adhoc = adhoc;
		r->cs = *cs;
		r->state = R_RESOLVE;
		pthread_mutex_unlock(&a->lock);
		return r;
	}
	return NULL;
}

/* Start a run: local end, then RESOLVE. 0 or -errno with r->err set. */
static int begin(struct app_send *a, struct run *r)
{
	char peer[INET6_ADDRSTRLEN];

	tw_config_addr_str(&r->cs.peer, peer, sizeof(peer));
	if (r->cs.padding > TW_SEND_PAD_MAX) {
		run_fail(a, r, "padding %u: the DPDK sender sends at most %u octets "
			 "(no jumbo frames)", r->cs.padding, TW_SEND_PAD_MAX);
		return -EINVAL;
	}
	r->dport = r->cs.peer_port;
	r->family = family_of(&r->cs.peer);
	memcpy(r->dst, r->cs.peer.addr, 16);
	if (pick_local(a->cfg, r) != 0) {
		run_fail(a, r, "no port%s%s with an IPv%d address for peer %s",
			 r->cs.port[0] ? " " : "", r->cs.port, r->cs.peer.family, peer);
		return -ENOENT;
	}
	r->sport = pick_sport(a, r);
	if (r->sport == 0) {
		run_fail(a, r, "no free local UDP port");
		return -EADDRINUSE;
	}
	r->deadline = mono_ns() + RESOLVE_TIMEOUT_NS;
	r->next_probe = 0;
	return 0;
}

static const struct tw_config_key *secret(const struct tw_config *cfg, const char *id)
{
	const struct tw_config_key *k = tw_config_key_find(&cfg->keys, id);

	return k != NULL && k->is_secret ? k : NULL;
}

static int results_path(struct app_send *a, struct run *r, const char *ext, char *out,
			size_t len)
{
	char when[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	n = snprintf(out, len, "%s/%s-%s-%u.%s", a->cfg->results.dir, r->cs.name, when, r->id,
		     ext);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* mkdir -p */
static int make_dir(const char *path)
{
	char p[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(p))
		return -EINVAL;
	memcpy(p, path, len + 1);
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void on_replies(void *arg, uint32_t session, const struct tw_stats_rec *recs,
		       unsigned n);
static void ctl_begin(struct app_send *a, struct run *r);
static bool ctl_end(struct app_send *a, struct run *r, bool wait);

/* The (mean) gap between packets of a run. */
static uint64_t run_interval_ns(const struct tw_config_session *cs)
{
	uint64_t ns = cs->by_interval ? (uint64_t)cs->interval_us * 1000u :
		      (cs->rate_pps ? 1000000000ull / cs->rate_pps : 1000000000ull);

	return ns != 0 ? ns : 1;
}

/* OWAMP: the Number of Packets of a run (a duration becomes a count). */
static uint64_t run_packets(const struct tw_config_session *cs)
{
	uint64_t iv = run_interval_ns(cs);

	if (!cs->by_duration)
		return cs->count;
	return ((uint64_t)cs->duration_s * 1000000000ull + iv - 1) / iv;
}

/* The test layout of a run: full TWAMP with the options its Accept
 * granted (RFC 6038 Symmetrical Size and Reflect Octets, RFC 7750). */
static void run_layout(const struct run *r, enum tw_test_mode tmode, struct tw_test_layout *l)
{
	uint32_t m = r->cs.protocol == TW_CONFIG_PROTO_TWAMP && r->ctl != NULL ?
		     r->ctl->sess.mode : 0;

	tw_proto_test_layout_init(l, tmode, (m & TW_MODE_SYMMETRICAL) != 0,
				  (m & TW_MODE_DSCP_ECN) != 0,
				  (m & TW_MODE_REFLECT_OCTETS) ? r->cs.reflect_padding : 0);
}

/* The inbound half paired with a chosen outbound SA (spi 0: none known). */
struct sel_in {
	uint8_t proto;                   /* enum tw_ipsec_proto */
	uint32_t spi;
	uint8_t ipv, dst[16];
};

/*
 * The outbound SA protecting run @p r's test stream: under the seed
 * draft's profile the one the Server Greeting bound (r->bound: by its SPI,
 * whatever the selectors say), else (spd.h) of the key-import Child SAs
 * whose selectors cover the stream, the newest one in the data plane.
 * 0 with @p sa, @p serial and (when not NULL) @p in, or -ENOENT.
 */
static int select_sa(struct app_send *a, const struct run *r, struct tw_send_sa *sa,
		     uint64_t *serial, struct sel_in *in)
{
	const struct tw_keyimp *t = app_keyimp_table();
	struct app_spd_flow f = { .family = (uint8_t)r->family, .proto = IPPROTO_UDP,
				  .sport = r->sport, .dport = r->dport };
	struct tw_keyimp_child c;
	struct tw_ipsec_sa_info info;
	uint64_t best = 0;
	uint32_t it = 0;

	if (in != NULL)
		memset(in, 0, sizeof(*in));
	if (a->ipsec == NULL)
		return -ENOENT;
	if (r->bound) {
		/* seed draft §4.1: the greeting bound this Child SA (its outer
		 * addresses are the control connection's ends); gone = none */
		unsigned ipv = r->family == AF_INET6 ? 6 : 4;

		if (tw_ipsec_sa_get(a->ipsec, TW_IPSEC_OUT, r->bound_proto == IPPROTO_AH ?
				    TW_IPSEC_AH : TW_IPSEC_ESP, r->bound_spi, ipv, r->dst,
				    &info) != 0)
			return -ENOENT;
		sa->spi = r->bound_spi;
		sa->ipv = (uint8_t)ipv;
		memcpy(sa->dst, r->dst, 16);
		*serial = info.serial;
		if (in != NULL)
			in->proto = info.conf.proto;
		return 0;
	}
	if (r->cs.sa_spi != 0) {
		/* a static SA named by the session (ipsec.sas[] has no selectors) */
		for (unsigned j = 0; j < a->cfg->ipsec.n_sas; j++) {
			const struct tw_config_sa *cs = &a->cfg->ipsec.sas[j];

			if (cs->spi != r->cs.sa_spi || cs->dir != TW_CONFIG_DIR_OUT ||
			    tw_ipsec_sa_get(a->ipsec, TW_IPSEC_OUT, cs->proto == TW_CONFIG_SA_AH ?
					    TW_IPSEC_AH : TW_IPSEC_ESP, cs->spi, cs->dst.family,
					    cs->dst.addr, &info) != 0)
				continue;
			sa->spi = cs->spi;
			sa->ipv = cs->dst.family;
			memcpy(sa->dst, cs->dst.addr, 16);
			*serial = info.serial;
			if (in != NULL)
				in->proto = info.conf.proto;
			return 0;
		}
		return -ENOENT;
	}
	if (t == NULL)
		return -ENOENT;
	memcpy(f.src, r->src, 16);
	memcpy(f.dst, r->dst, 16);
	while (tw_keyimp_child_iter(t, &it, &c) == 1) {
		unsigned ipv = c.dst.family == AF_INET6 ? 6 : 4;
		enum tw_ipsec_proto proto = c.proto == TW_KEYIMP_AH ? TW_IPSEC_AH : TW_IPSEC_ESP;
		uint64_t ser = 0;

		/* the copy's keys are not needed here */
		explicit_bzero(c.encr_key, sizeof(c.encr_key));
		explicit_bzero(c.integ_key, sizeof(c.integ_key));
		if (c.dir != TW_KEYIMP_DIR_OUT)
			continue;
		/* only what the data plane holds, both directions: the replies
		 * come back on the paired inbound SA, so a new Child SA is taken
		 * once its inbound half is in too (a rekey that pushes the
		 * outbound half first loses no reply); the serial tells the
		 * newest */
		if (tw_ipsec_sa_get(a->ipsec, TW_IPSEC_OUT, proto, c.spi, ipv, c.dst.addr,
				    &info) == 0)
			ser = info.serial;
		if (ser != 0 && c.peer_spi != 0 &&
		    tw_ipsec_sa_get(a->ipsec, TW_IPSEC_IN, proto, c.peer_spi, ipv, c.src.addr,
				    &info) != 0)
			ser = 0;
		if (app_spd_select(&c, &ser, 1, &f) == 0 && ser > best) {
			best = ser;
			sa->spi = c.spi;
			sa->ipv = (uint8_t)ipv;
			memcpy(sa->dst, c.dst.addr, 16);
			if (in != NULL) {
				in->proto = (uint8_t)proto;
				in->spi = c.peer_spi;
				in->ipv = (uint8_t)ipv;
				memcpy(in->dst, c.src.addr, 16);
			}
		}
	}
	*serial = best;
	return best != 0 ? 0 : -ENOENT;
}

/* Next hop known: receive session, statistics, stream. */
static int launch(struct app_send *a, struct run *r)
{
	const struct tw_config_session *cs = &r->cs;
	struct tw_recv_session rs = { 0 };
	struct tw_send_stream st = { 0 };
	struct tw_test_layout lay;
	struct tw_stats_conf sc;
	const struct tw_config_key *k = NULL;
	char pp_path[PATH_MAX];
	uint8_t tos = (uint8_t)(cs->dscp << 2 | cs->ecn);
	enum tw_test_mode tmode = cs->mode == TW_CONFIG_TMODE_AUTH ? TW_TEST_AUTH :
				  cs->mode == TW_CONFIG_TMODE_ENC ? TW_TEST_ENC : TW_TEST_UNAUTH;
	bool ow = cs->protocol == TW_CONFIG_PROTO_OWAMP;
	bool full = cs->protocol == TW_CONFIG_PROTO_TWAMP || ow; /* with a control session */
	struct sel_in sel;
	int rc;

	/* full TWAMP: the test mode is the connection's (mixed: open tests) */
	if (full)
		tmode = r->ctl->sess.mode & TW_MODE_ENCRYPTED ? TW_TEST_ENC :
			r->ctl->sess.mode & TW_MODE_AUTH ? TW_TEST_AUTH : TW_TEST_UNAUTH;
	/* the packet layouts both ways follow what was negotiated */
	run_layout(r, tmode, &lay);

	if (full) {
		/* the keys and the mode come from the control session */
	} else if (cs->mode != TW_CONFIG_TMODE_OPEN) {
		k = secret(a->cfg, cs->key_id);
		if (k == NULL) {
			run_fail(a, r, "key '%s': no such secret in the key file", cs->key_id);
			return -ENOENT;
		}
		if (cs->protocol == TW_CONFIG_PROTO_LIGHT && k->len != TW_SEND_LIGHT_KEY_LEN) {
			run_fail(a, r, "key '%s' has %zu octets, TWAMP Light needs %u", cs->key_id,
				 k->len, TW_SEND_LIGHT_KEY_LEN);
			return -EINVAL;
		}
		if (cs->protocol == TW_CONFIG_PROTO_STAMP &&
		    (k->len < TW_SEND_STAMP_KEY_MIN || k->len > TW_SEND_STAMP_KEY_MAX)) {
			run_fail(a, r, "key '%s' has %zu octets, STAMP needs %u..%u", cs->key_id,
				 k->len, TW_SEND_STAMP_KEY_MIN, TW_SEND_STAMP_KEY_MAX);
			return -EINVAL;
		}
	}
	/* the receive session: replies come from peer:peer_port to us:sport */
	rs.family = r->family;
	memcpy(rs.local_addr, r->src, 16);
	memcpy(rs.peer_addr, r->dst, 16);
	rs.local_port = r->sport;
	rs.peer_port = r->dport;
	rs.kind = cs->protocol == TW_CONFIG_PROTO_STAMP ? TW_RECV_STAMP :
		  cs->protocol == TW_CONFIG_PROTO_TWAMP ? TW_RECV_TWAMP : TW_RECV_LIGHT;
	rs.mode = tmode == TW_TEST_AUTH ? TW_RECV_AUTH :
		  tmode == TW_TEST_ENC ? TW_RECV_ENC : TW_RECV_OPEN;
	rs.sym_size = lay.sym_size;
	rs.dscp_ecn = lay.dscp_ecn;
	rs.reflect_len = lay.reflect_len;
	if (cs->protocol == TW_CONFIG_PROTO_TWAMP && r->ctl->sess.has_keys) {
		rs.test_keys = r->ctl->sess.test_keys;
	} else if (k != NULL && cs->protocol == TW_CONFIG_PROTO_LIGHT) {
		memcpy(rs.test_keys.aes, k->value, sizeof(rs.test_keys.aes));
		memcpy(rs.test_keys.hmac, k->value + sizeof(rs.test_keys.aes),
		       sizeof(rs.test_keys.hmac));
	} else if (k != NULL) {
		rs.stamp_key = k->value;
		rs.stamp_key_len = k->len;
	}
	/* OWAMP is one way: nothing comes back, Fetch-Session tells */
	rc = ow ? 0 : app_recv_session_add(&rs, on_replies, a, &r->rsess);
	explicit_bzero(&rs.test_keys, sizeof(rs.test_keys));
	if (rc != 0) {
		run_fail(a, r, "receive session on UDP %u: %s", r->sport, strerror(-rc));
		return rc;
	}
	r->has_rsess = !ow;

	tw_stats_conf_init(&sc);
	sc.kind = ow ? TW_STATS_ONEWAY : TW_STATS_ROUNDTRIP;
	sc.timeout_ns = (uint64_t)cs->timeout_s * 1000000000ull;
	sc.tos_sent = tos;
	if (a->cfg->results.per_packet != TW_CONFIG_PP_NONE) {
		bool csv = a->cfg->results.per_packet == TW_CONFIG_PP_CSV;

		if (make_dir(a->cfg->results.dir) == 0 &&
		    results_path(a, r, csv ? "csv" : "jsonl", pp_path, sizeof(pp_path)) == 0)
			r->pp = tw_stats_pp_open(pp_path, csv ? TW_STATS_PP_CSV : TW_STATS_PP_JSONL);
		if (r->pp == NULL)
			app_log("session %s: per-packet file in %s: %s", cs->name,
				a->cfg->results.dir, strerror(errno));
		sc.pp = r->pp;
	}
	r->st = tw_stats_create(&sc);
	if (r->st == NULL) {
		run_fail(a, r, "statistics: %s", strerror(errno));
		return -ENOMEM;
	}

	st.port = r->port;
	st.family = r->family;
	memcpy(st.src, r->src, 16);
	memcpy(st.dst, r->dst, 16);
	st.sport = r->sport;
	st.dport = r->dport;
	memcpy(st.dst_mac, r->mac, 6);
	st.dscp = cs->dscp;
	st.ecn = cs->ecn;
	st.proto = ow ? TW_SEND_OWAMP : cs->protocol == TW_CONFIG_PROTO_STAMP ? TW_SEND_STAMP :
		   cs->protocol == TW_CONFIG_PROTO_TWAMP ? TW_SEND_TWAMP : TW_SEND_LIGHT;
	st.mode = tmode;
	st.layout = lay;
	if (st.proto == TW_SEND_TWAMP && (r->ctl->sess.mode & TW_MODE_REFLECT_OCTETS))
		st.server_octets = r->ctl->sess.server_octets;
	if (full && r->ctl->sess.has_keys) {
		st.keys = r->ctl->sess.test_keys;
	} else if (k != NULL && st.proto == TW_SEND_LIGHT) {
		memcpy(st.keys.aes, k->value, sizeof(st.keys.aes));
		memcpy(st.keys.hmac, k->value + sizeof(st.keys.aes), sizeof(st.keys.hmac));
	} else if (k != NULL) {
		memcpy(st.stamp_key, k->value, k->len);
		st.stamp_key_len = (uint8_t)k->len;
	}
	st.padding = cs->padding;
	if (st.proto == TW_SEND_STAMP && st.padding != 0) {
		/* STAMP padding is an Extra Padding TLV, which needs an SSID */
		if (st.padding < 4)
			st.padding = 4;
		st.ssid = (uint16_t)(1 + r->id % 65535);
	}
	st.interval_ns = run_interval_ns(cs);
	st.count = cs->by_duration ? 0 : cs->count;
	st.duration_ns = cs->by_duration ? (uint64_t)cs->duration_s * 1000000000ull : 0;
	if (st.proto == TW_SEND_OWAMP) { /* exactly the packets requested */
		st.count = r->ctl->req.num_packets;
		st.duration_ns = 0;
	}
	st.sched = cs->schedule == TW_CONFIG_SCHED_POISSON ? TW_SEND_POISSON : TW_SEND_PERIODIC;
	if ((st.proto == TW_SEND_TWAMP || st.proto == TW_SEND_OWAMP) &&
	    st.sched == TW_SEND_POISSON) {
		/* a full session has a SID: the RFC 4656 §5 sequence keyed
		 * with it makes the send times reproducible at the far end
		 * (OWAMP: the schedule of the Request-Session) */
		st.rfc4656_sched = true;
		memcpy(st.sid, r->ctl->sess.sid, sizeof(st.sid));
	}
	if (full && r->ctl->conf.draft != NULL) {
		/* the seed draft's profile: the Server Greeting bound this
		 * connection to a Child SA pair; its test packets go in that
		 * pair's outbound SA and no other (the greeting's first SPI,
		 * the server's inbound SA, is our outbound one) */
		r->bound = true;
		r->bound_proto = r->ctl->draft.protocol;
		r->bound_spi = r->ctl->draft.spi_in;
		if (select_sa(a, r, &st.sa, &r->sa_serial, NULL) != 0) {
			run_fail(a, r, "ikev2 (seed draft): outbound %s SA 0x%08x, the one the "
				 "Server Greeting bound, is not in the data plane (deleted since?): "
				 "nothing sent", r->bound_proto == IPPROTO_AH ? "AH" : "ESP",
				 r->bound_spi);
			explicit_bzero(&st.keys, sizeof(st.keys));
			explicit_bzero(st.stamp_key, sizeof(st.stamp_key));
			return -ENOENT;
		}
	}
	if (cs->sa_spi != 0 && select_sa(a, r, &st.sa, &r->sa_serial, NULL) != 0) {
		run_fail(a, r, "sa_spi 0x%x: no such outbound SA in the data plane; nothing "
			 "sent", cs->sa_spi);
		explicit_bzero(&st.keys, sizeof(st.keys));
		explicit_bzero(st.stamp_key, sizeof(st.stamp_key));
		return -ENOENT;
	}
	if (select_sa(a, r, &st.sa, &r->sa_serial, &sel) == 0) {
		r->sa_proto = sel.proto;
		if (a->dedicated) {
			run_fail(a, r, "outbound SA 0x%08x covers the test stream, but the "
				 "sender runs on sender.lcore: IPsec streams need it in worker 0 "
				 "(remove sender.lcore); nothing sent", st.sa.spi);
			explicit_bzero(&st.keys, sizeof(st.keys));
			explicit_bzero(st.stamp_key, sizeof(st.stamp_key));
			return -ENOTSUP;
		}
		st.ipsec = true;
		r->ipsec = true;
		r->sa = st.sa;
		app_log("session %s: test stream from UDP %u to port %u protected by outbound "
			"SA 0x%08x%s (Sender Timestamp written before the encryption)", cs->name,
			r->sport, r->dport, st.sa.spi,
			r->bound ? ", the Child SA the Server Greeting bound" : "");
	}
	rc = tw_send_stream_add(a->s, &st, &r->stream);
	explicit_bzero(&st.keys, sizeof(st.keys));
	explicit_bzero(st.stamp_key, sizeof(st.stamp_key));
	if (rc != 0) {
		run_fail(a, r, "stream: %s", strerror(-rc));
		return rc;
	}
	r->has_stream = true;
	r->next_advance = mono_ns() + 1000000000ull;
	pthread_mutex_lock(&a->lock);
	r->state = R_RUN;
	pthread_mutex_unlock(&a->lock);
	if (r->bound) /* a rekey of the pair during the control exchange */
		(void)bound_successor(a, r);
	return 0;
}

static void resolve(struct app_send *a, struct run *r, uint64_t now)
{
	char peer[INET6_ADDRSTRLEN], nh[INET6_ADDRSTRLEN];
	struct tw_dp_port_info pi;
	uint8_t hop[16] = { 0 };
	bool probe = now >= r->next_probe;
	int rc;

	rc = tw_send_nexthop(a->dp, r->port, r->family, r->dst, probe, r->mac, hop);
	if (probe)
		r->next_probe = now + PROBE_EVERY_NS;
	if (rc == 0) {
		tw_config_addr_str(&r->cs.peer, peer, sizeof(peer));
		inet_ntop(r->family, hop, nh, sizeof(nh));
		app_log("session %s: %s %s to %s port %u from UDP %u, next hop %s "
			"(%02x:%02x:%02x:%02x:%02x:%02x)", r->cs.name, proto_name(r->cs.protocol),
			mode_name(r->cs.mode), peer, r->cs.peer_port, r->sport, nh, r->mac[0],
			r->mac[1], r->mac[2], r->mac[3], r->mac[4], r->mac[5]);
		if (r->cs.protocol == TW_CONFIG_PROTO_TWAMP ||
		    r->cs.protocol == TW_CONFIG_PROTO_OWAMP)
			ctl_begin(a, r);
		else
			launch(a, r);
		return;
	}
	/* FAILED entries are probed again until the deadline */
	if ((rc == -EAGAIN || rc == -EHOSTUNREACH) && now < r->deadline)
		return;
	tw_config_addr_str(&r->cs.peer, peer, sizeof(peer));
	tw_dp_port_info(a->dp, r->port, &pi);
	inet_ntop(r->family, hop, nh, sizeof(nh));
	if (rc == -EAGAIN || rc == -EHOSTUNREACH)
		run_fail(a, r, "peer %s: next hop%s%s did not resolve on %s within %llu s",
			 peer, memcmp(hop, r->dst, 16) != 0 ? " " : "",
			 memcmp(hop, r->dst, 16) != 0 ? nh : "", pi.tap_ifname,
			 RESOLVE_TIMEOUT_NS / 1000000000ull);
	else if (rc == -ENODEV)
		run_fail(a, r, "peer %s: port %s has no exception path (TAP) to resolve "
			 "the next hop", peer, pi.name);
	else
		run_fail(a, r, "peer %s: next hop via %s: %s", peer, pi.tap_ifname,
			 strerror(-rc));
}

/* ---- full TWAMP: the Control-Client thread ---- */

/* RFC 4656 §3.9: keep each fetched record (counted by the control thread
 * once the whole data block's HMAC was checked) */
static int ow_keep(void *arg, const struct tw_owamp_record *rec)
{
	struct ctl *c = arg;

	if (c->n_recs == c->cap_recs) {
		uint32_t cap = c->cap_recs ? c->cap_recs * 2 : 1024;
		struct tw_owamp_record *n;

		if (c->cap_recs >= OWAMP_MAX_PACKETS * 2u)
			return -ENOSPC;
		n = realloc(c->recs, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		c->recs = n;
		c->cap_recs = cap;
	}
	c->recs[c->n_recs++] = *rec;
	return 0;
}

/* OWAMP: Stop-Sessions with what we sent (RFC 4656 §3.8), then
 * Fetch-Session of the whole session (§3.9). 0 or -errno with c->err. */
static int ow_stop_fetch(struct app_send *a, struct ctl *c, struct tw_ctrl_client *cc)
{
	struct tw_ctrl_ow_send_state st = { 0 };
	struct tw_ctrl_fetch_info info;
	const char *what = "Stop-Sessions";
	uint8_t sacc = 0;
	int rc;

	memcpy(st.sid, c->sess.sid, TW_CTRL_SID_LEN);
	pthread_mutex_lock(&a->lock);
	st.next_seqno = c->next_seqno;
	st.skips = c->skips;
	st.num_skips = c->n_skips;
	pthread_mutex_unlock(&a->lock);
	rc = tw_ctrl_client_ow_stop(cc, 0, &st, 1, NULL, NULL, &sacc);
	if (rc == 0) {
		what = "Fetch-Session";
		rc = tw_ctrl_client_fetch(cc, c->sess.sid, 0, UINT32_MAX, ow_keep, NULL, c, &info);
	}
	if (rc != 0) {
		c->n_recs = 0;
		pthread_mutex_lock(&a->lock);
		msg_set(c->err, sizeof(c->err), "OWAMP-Control %s: %s", what,
			tw_ctrl_client_error(cc)[0] ? tw_ctrl_client_error(cc) : strerror(-rc));
		pthread_mutex_unlock(&a->lock);
	}
	return rc;
}

/* RFC 5938 individual session control: a TWAMP Mode bit (0x10). In
 * OWAMP-Control that bit is RFC 7717's IKEv2-derived mode. */
static bool individual(const struct ctl *c, uint32_t mode)
{
	return c->conf.proto == TW_CTRL_TWAMP && (mode & TW_MODE_INDIVIDUAL) != 0;
}

static void *ctl_main(void *arg)
{
	struct run *r = arg;
	struct app_send *a = r->ctl_app;
	struct ctl *c = r->ctl;
	struct tw_ctrl_client *cc = tw_ctrl_client_create(&c->conf);
	struct tw_ctrl_session sess;
	const char *step = "client";
	int rc = cc != NULL ? 0 : -errno;
	bool stop = false;

	memset(&sess, 0, sizeof(sess));
	if (rc == 0) {
		step = "connect";
		rc = tw_ctrl_client_connect(cc, (struct sockaddr *)&c->server, c->server_len,
					    (struct sockaddr *)&c->local, c->local_len);
	}
	if (rc == 0 && c->conf.proto == TW_CTRL_OWAMP) {
		step = "Request-Session";
		rc = tw_ctrl_client_request_ow_session(cc, &c->req, &sess);
	} else if (rc == 0) {
		step = "Request-TW-Session";
		rc = tw_ctrl_client_request_tw_session(cc, &c->req, &sess);
	}
	/* RFC 5938 §3: with individual session control this session is
	 * started and stopped by its SID */
	if (rc == 0 && individual(c, sess.mode)) {
		step = "Start-N-Sessions";
		rc = tw_ctrl_client_start_n(cc, (const uint8_t (*)[TW_CTRL_SID_LEN])sess.sid, 1,
					    NULL);
	} else if (rc == 0) {
		step = "Start-Sessions";
		rc = tw_ctrl_client_start(cc);
	}
	pthread_mutex_lock(&a->lock);
	c->rc = rc;
	c->sess = sess;
	if (rc != 0)
		msg_set(c->err, sizeof(c->err), "%s-Control %s: %s",
			c->conf.proto == TW_CTRL_OWAMP ? "OWAMP" : "TWAMP", step,
			cc != NULL && tw_ctrl_client_error(cc)[0] ? tw_ctrl_client_error(cc) :
			strerror(-rc));
	c->ready = true;
	pthread_mutex_unlock(&a->lock);
	explicit_bzero(&sess, sizeof(sess));
	while (rc == 0 && !stop) {
		usleep(20000);
		pthread_mutex_lock(&a->lock);
		stop = c->stop;
		pthread_mutex_unlock(&a->lock);
	}
	if (rc == 0 && c->conf.proto == TW_CTRL_OWAMP)
		rc = ow_stop_fetch(a, c, cc);
	else if (rc == 0 && individual(c, c->sess.mode))
		tw_ctrl_client_stop_n(cc, (const uint8_t (*)[TW_CTRL_SID_LEN])c->sess.sid, 1, NULL);
	else if (rc == 0)
		tw_ctrl_client_stop(cc, 0);
	tw_ctrl_client_destroy(cc);
	pthread_mutex_lock(&a->lock);
	c->fetch_rc = rc;
	c->done = true;
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* Keep the pair @p d (its SPIs, owner, transforms, add sequence; not its
 * keys) as run @p r's bound pair, for finding its rekey successor. */
static void bound_view(struct run *r, const struct tw_keyimp_draft *d)
{
	r->bview = *d;
	explicit_bzero(r->bview.skeyseed, sizeof(r->bview.skeyseed));
	explicit_bzero(r->bview.keymat, sizeof(r->bview.keymat));
	explicit_bzero(r->bview.encr_key_in, sizeof(r->bview.encr_key_in));
	explicit_bzero(r->bview.encr_key_out, sizeof(r->bview.encr_key_out));
	explicit_bzero(r->bview.integ_key_in, sizeof(r->bview.integ_key_in));
	explicit_bzero(r->bview.integ_key_out, sizeof(r->bview.integ_key_out));
	r->has_bview = true;
}

/*
 * The seed draft's profile (docs/protocol.md): the newest Child SA pair
 * whose outer addresses are this session's two ends gives the binding the
 * greeting must carry and, per ipsec.ikev2.variant / secret / sid_key, the
 * keys. 0, or the run failed (said why, nothing sent).
 */
static int draft_begin(struct app_send *a, struct run *r, struct ctl *c)
{
	const struct tw_config_ipsec *ip = &a->cfg->ipsec;
	const struct tw_keyimp *t = app_keyimp_table();
	struct tw_keyimp_addr local = { .family = (uint8_t)r->family };
	struct tw_keyimp_addr peer = { .family = (uint8_t)r->family };
	enum tw_ctrl_draft_variant v = ip->variant == TW_CONFIG_VARIANT_ALT2 ? TW_CTRL_DRAFT_ALT2 :
				       ip->variant == TW_CONFIG_VARIANT_ALT1 ? TW_CTRL_DRAFT_ALT1 :
				       TW_CTRL_DRAFT_BASE;
	bool keymat = ip->secret == TW_CONFIG_SECRET_KEYMAT;
	struct tw_keyimp_draft d;
	char ls[INET6_ADDRSTRLEN], ps[INET6_ADDRSTRLEN];
	int rc;

	memcpy(local.addr, r->src, 16);
	memcpy(peer.addr, r->dst, 16);
	if (inet_ntop(r->family, r->src, ls, sizeof(ls)) == NULL)
		snprintf(ls, sizeof(ls), "?");
	tw_config_addr_str(&r->cs.peer, ps, sizeof(ps));
	rc = t != NULL ? tw_keyimp_draft_find(t, &local, &peer, &d) : -ENOENT;
	if (rc != 0) {
		run_fail(a, r, "ikev2 (seed draft): no Child SA pair (both directions, of an "
			 "IKE SA) between %s and %s in the key-import table: nothing sent",
			 ls, ps);
		return -1;
	}
	rc = tw_keyimp_draft_client(&d, v, keymat, ip->sid_key, c->secret, sizeof(c->secret),
				    &c->draft);
	bound_view(r, &d);
	tw_keyimp_draft_wipe(&d);
	if (rc == -ENOTSUP)
		run_fail(a, r, "ikev2 (seed draft, alt2): the Child SA between %s and %s "
			 "cannot key Alternative 2 (AES-CBC/CTR-128 with HMAC-SHA1-96, "
			 "HMAC-SHA2-256-128 or AES-XCBC-96 needed): nothing sent", ls, ps);
	else if (rc == -ENOKEY)
		run_fail(a, r, "ikev2 (seed draft): %s between %s and %s: nothing sent",
			 keymat ? "the Child SA pair has no keymat= (both directions)" :
			 "the IKE SA of the Child SA pair has no skeyseed=", ls, ps);
	else if (rc != 0)
		run_fail(a, r, "ikev2 (seed draft): %s", strerror(-rc));
	if (rc != 0)
		return -1;
	c->conf.draft = &c->draft;
	return 0;
}

/* Next hop known: start the control connection (the thread). */
static void ctl_begin(struct app_send *a, struct run *r)
{
	const struct tw_config_session *cs = &r->cs;
	struct ctl *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL) {
		run_fail(a, r, "out of memory");
		return;
	}
	c->conf.proto = cs->protocol == TW_CONFIG_PROTO_OWAMP ? TW_CTRL_OWAMP : TW_CTRL_TWAMP;
	c->conf.modes = cs->mode == TW_CONFIG_TMODE_ENC ? TW_MODE_ENCRYPTED :
			cs->mode == TW_CONFIG_TMODE_AUTH ? TW_MODE_AUTH :
			cs->mode == TW_CONFIG_TMODE_MIXED ? TW_MODE_MIXED : TW_MODE_UNAUTH;
	/* the TW_CONFIG_OPT_* bits are the Modes bits; each one asked for
	 * must be offered (a test without it would measure something else) */
	c->conf.options = cs->options & TW_CTRL_CLIENT_OPTIONS;
	c->conf.options_required = c->conf.options;
	if (cs->ikev2 && a->cfg->ipsec.profile == TW_CONFIG_IKEV2_DRAFT) {
		if (draft_begin(a, r, c) != 0) {
			explicit_bzero(c, sizeof(*c));
			free(c);
			return;
		}
	} else if (cs->ikev2) {
		/* RFC 7717 §5.3 (client side): the newest IKE SA with the
		 * server; KeyID = SPIi | SPIr | zeros, secret prf(SK_d, "IPPM") */
		const struct tw_keyimp *t = app_keyimp_table();
		struct tw_keyimp_addr peer = { .family = (uint8_t)r->family };
		struct tw_keyimp_ike ike;
		char ps[INET6_ADDRSTRLEN];

		memcpy(peer.addr, r->dst, 16);
		if (t == NULL || tw_keyimp_ike_by_peer(t, &peer, &ike) != 0) {
			free(c);
			tw_config_addr_str(&cs->peer, ps, sizeof(ps));
			run_fail(a, r, "ikev2: no IKE SA with remote %s in the key-import "
				 "table (RFC 7717): nothing sent", ps);
			return;
		}
		tw_proto_ctrl_keyid_from_spis(c->keyid_raw, ike.spi_i, ike.spi_r);
		memcpy(c->secret, ike.secret, ike.secret_len);
		c->conf.secret_len = ike.secret_len;
		tw_keyimp_ike_wipe(&ike);
		c->conf.ikev2 = true;
		c->conf.keyid_raw = c->keyid_raw;
		c->conf.secret = c->secret;
		c->conf.token_key = a->cfg->ipsec.token_key == TW_CONFIG_TOKEN_DIRECT ?
				    TW_CRYPTO_TOKEN_KEY_DIRECT : TW_CRYPTO_TOKEN_KEY_PBKDF2;
	} else if (cs->mode != TW_CONFIG_TMODE_OPEN) {
		const struct tw_config_key *k = tw_config_key_find(&a->cfg->keys, cs->key_id);

		if (k == NULL || k->is_secret) {
			free(c);
			run_fail(a, r, "key '%s': no such passphrase (keys:) in the key file",
				 cs->key_id);
			return;
		}
		snprintf(c->keyid, sizeof(c->keyid), "%s", cs->key_id);
		memcpy(c->secret, k->value, k->len);
		c->conf.keyid = c->keyid;
		c->conf.secret = c->secret;
		c->conf.secret_len = k->len;
	}
	memset(&c->server, 0, sizeof(c->server));
	memset(&c->local, 0, sizeof(c->local));
	if (r->family == AF_INET) {
		struct sockaddr_in *sv = (struct sockaddr_in *)&c->server;
		struct sockaddr_in *lo = (struct sockaddr_in *)&c->local;

		sv->sin_family = lo->sin_family = AF_INET;
		sv->sin_port = htons(cs->peer_port);
		memcpy(&sv->sin_addr, r->dst, 4);
		memcpy(&lo->sin_addr, r->src, 4);
		c->server_len = c->local_len = sizeof(*sv);
	} else {
		struct sockaddr_in6 *sv = (struct sockaddr_in6 *)&c->server;
		struct sockaddr_in6 *lo = (struct sockaddr_in6 *)&c->local;

		sv->sin6_family = lo->sin6_family = AF_INET6;
		sv->sin6_port = htons(cs->peer_port);
		memcpy(&sv->sin6_addr, r->dst, 16);
		memcpy(&lo->sin6_addr, r->src, 16);
		c->server_len = c->local_len = sizeof(*sv);
	}
	c->req.ipvn = r->family == AF_INET ? 4 : 6;
	memcpy(c->req.sender_addr, r->src, 16);
	memcpy(c->req.receiver_addr, r->dst, 16);
	c->req.sender_port = r->sport;
	c->req.receiver_port = 0; /* the server chooses */
	c->req.padding_length = cs->padding;
	c->req.timeout = (tw_ntp_t)cs->timeout_s << 32;
	c->req.type_p = tw_proto_ctrl_typep_dscp(cs->dscp);
	/* RFC 6038 §4.2: the octets the server echoes (the run id, to tell
	 * sessions apart in a capture) and the padding it reflects */
	if (cs->options & TW_CONFIG_OPT_REFLECT) {
		c->req.reflect_octets = (uint16_t)(r->id & 0xffffu);
		c->req.reflect_padding = cs->reflect_padding;
	}
	if (c->conf.proto == TW_CTRL_OWAMP) {
		/* RFC 4656 §3.5: the server receives; one slot is our whole
		 * schedule (§3.6), the packets a fixed number */
		uint64_t n = run_packets(cs);

		if (n > OWAMP_MAX_PACKETS) {
			free(c);
			run_fail(a, r, "OWAMP: %" PRIu64 " packets; at most %u a session "
				 "(Fetch-Session keeps them in memory)", n, OWAMP_MAX_PACKETS);
			return;
		}
		c->req.conf_receiver = true;
		c->req.num_packets = (uint32_t)n;
		c->slot.type = cs->schedule == TW_CONFIG_SCHED_POISSON ? TW_OWAMP_SLOT_EXP :
			       TW_OWAMP_SLOT_FIXED;
		c->slot.parameter = tw_sched_ns_to_ntp(run_interval_ns(cs));
		c->req.slots = &c->slot;
		c->req.num_slots = 1;
	}
	r->ctl = c;
	r->ctl_app = a;
	rc = pthread_create(&c->thr, NULL, ctl_main, r);
	if (rc != 0) {
		explicit_bzero(c, sizeof(*c));
		free(c);
		r->ctl = NULL;
		run_fail(a, r, "control thread: %s", strerror(rc));
		return;
	}
	c->started = true;
	pthread_mutex_lock(&a->lock);
	r->state = R_CONTROL;
	pthread_mutex_unlock(&a->lock);
}

/*
 * Tell the client to send Stop-Sessions; free it once its thread is done.
 * Without @p wait the control loop never blocks on a slow server: false
 * means "not yet, call again" (the step deadline bounds the wait).
 */
static bool ctl_end(struct app_send *a, struct run *r, bool wait)
{
	struct ctl *c = r->ctl;
	bool done;

	if (c == NULL)
		return true;
	if (c->started) {
		pthread_mutex_lock(&a->lock);
		c->stop = true;
		done = c->done;
		pthread_mutex_unlock(&a->lock);
		if (!done && !wait)
			return false;
		pthread_join(c->thr, NULL);
	}
	free(c->recs);
	explicit_bzero(c, sizeof(*c));
	free(c);
	r->ctl = NULL;
	return true;
}

static void ctl_step(struct app_send *a, struct run *r)
{
	struct ctl *c = r->ctl;
	bool ready;
	char peer[INET6_ADDRSTRLEN];

	pthread_mutex_lock(&a->lock);
	ready = c->ready;
	pthread_mutex_unlock(&a->lock);
	if (!ready)
		return;
	if (c->rc != 0) {
		char err[sizeof(c->err)];

		snprintf(err, sizeof(err), "%s", c->err);
		ctl_end(a, r, false); /* its thread ends on its own after a failure */
		run_fail(a, r, "%s", err);
		return;
	}
	r->dport = c->sess.receiver_port;
	for (unsigned i = 0; i < TW_CTRL_SID_LEN; i++)
		snprintf(r->sid + 2 * i, 3, "%02x", c->sess.sid[i]);
	tw_config_addr_str(&r->cs.peer, peer, sizeof(peer));
	app_log("session %s: %s-Control with %s port %u: %s mode, test port %u%s%s%s%s",
		r->cs.name, c->conf.proto == TW_CTRL_OWAMP ? "OWAMP" : "TWAMP", peer,
		r->cs.peer_port,
		c->sess.mode & TW_MODE_ENCRYPTED ? "encrypted" :
		c->sess.mode & TW_MODE_AUTH ? "authenticated" :
		c->sess.mode & TW_MODE_MIXED ? "mixed" : "unauthenticated", r->dport,
		individual(c, c->sess.mode) ? ", individual session control" : "",
		c->sess.mode & TW_MODE_REFLECT_OCTETS ? ", reflect octets" : "",
		c->sess.mode & TW_MODE_SYMMETRICAL ? ", symmetrical size" : "",
		c->sess.mode & TW_MODE_DSCP_ECN ? ", DSCP-ECN" : "");
	launch(a, r);
}

static struct run *by_stream(struct app_send *a, uint32_t id)
{
	for (unsigned i = 0; i < MAX_RUNS; i++)
		if (a->runs[i].has_stream && a->runs[i].stream == id)
			return &a->runs[i];
	return NULL;
}

static struct run *by_rsess(struct app_send *a, uint32_t id)
{
	for (unsigned i = 0; i < MAX_RUNS; i++)
		if (a->runs[i].has_rsess && a->runs[i].rsess == id && a->runs[i].st != NULL)
			return &a->runs[i];
	return NULL;
}

/* seq already reported sent (serial-number order, RFC 1982 style) */
static bool seq_sent(const struct run *r, uint32_t seq)
{
	return r->any_sent && (int32_t)(r->last_seq - seq) >= 0;
}

/* OWAMP: numbers [from, to) were not sent (the port refused them): one
 * skip range more, or the last one grown (RFC 4656 §3.8). When the ranges
 * cannot grow the last one absorbs the rest: those numbers read as lost
 * at the receiver, which changes nothing here (only sent ones count). */
static void ow_skip(struct run *r, uint32_t from, uint32_t to)
{
	struct tw_owamp_skip *k;

	if (from == to)
		return;
	if (r->n_skips > 0 && r->skips[r->n_skips - 1].last + 1 == from) {
		r->skips[r->n_skips - 1].last = to - 1;
		return;
	}
	if (r->n_skips == r->cap_skips) {
		uint32_t cap = r->cap_skips ? r->cap_skips * 2 : 16;

		k = cap <= 65536 ? realloc(r->skips, cap * sizeof(*k)) : NULL;
		if (k == NULL) {
			if (r->n_skips > 0)
				r->skips[r->n_skips - 1].last = to - 1;
			return;
		}
		r->skips = k;
		r->cap_skips = cap;
	}
	r->skips[r->n_skips].first = from;
	r->skips[r->n_skips++].last = to - 1;
}

/* Packets sent since the last call go to their runs' statistics. */
static void drain_sent(struct app_send *a)
{
	struct run *r = NULL;
	uint32_t rid = 0;
	bool have = false;
	unsigned n;

	do {
		n = tw_send_drain(a->s, a->srec, DRAIN);
		for (unsigned i = 0; i < n; i++) {
			/* records come in runs of one stream: one search per run */
			if (!have || a->srec[i].stream != rid) {
				rid = a->srec[i].stream;
				r = by_stream(a, rid);
				have = true;
			}
			if (r == NULL || r->st == NULL)
				continue;
			if (r->cs.protocol == TW_CONFIG_PROTO_OWAMP)
				ow_skip(r, r->any_sent ? r->last_seq + 1 : 0, a->srec[i].seq);
			if (tw_stats_sent(r->st, a->srec[i].seq, a->srec[i].t1) == 0) {
				r->last_seq = a->srec[i].seq;
				r->any_sent = true;
				if (r->start == 0)
					r->start = a->srec[i].t1;
				r->end = a->srec[i].t1;
			}
		}
	} while (n == DRAIN);
}

/* A reply of run @p r (by_rsess()): counted now, or held until its packet
 * is reported sent. */
static bool feed_reply(struct run *r, const struct tw_stats_rec *rec, bool may_hold)
{
	if (r == NULL)
		return true; /* its run is over: nothing to account it to */
	/* once the stream is over every sent record is in: nothing to wait for */
	if (!seq_sent(r, rec->seq) && may_hold && r->state == R_RUN)
		return false;
	tw_stats_recv(r->st, rec);
	return true;
}

/* The run of a held reply (what by_rsess() finds), or NULL once over. */
static struct run *held_run(struct app_send *a, const struct held *h)
{
	struct run *r = &a->runs[h->run];

	return r->has_rsess && r->rsess == h->session && r->st != NULL ? r : NULL;
}

static void feed_held(struct app_send *a)
{
	unsigned keep = 0;

	for (unsigned i = 0; i < a->n_hold; i++)
		if (!feed_reply(held_run(a, &a->hold[i]), &a->hold[i].rec, true))
			a->hold[keep++] = a->hold[i];
	a->n_hold = keep;
}

/* The receiver's sink (app_recv_service(), control thread). The sent
 * records are drained first: a reply is made only after its packet left. */
static void on_replies(void *arg, uint32_t session, const struct tw_stats_rec *recs,
		       unsigned n)
{
	struct app_send *a = arg;
	struct run *r;

	drain_sent(a);
	feed_held(a);
	r = by_rsess(a, session); /* one session's replies: one search */
	for (unsigned i = 0; i < n; i++) {
		if (feed_reply(r, &recs[i], a->n_hold < HOLD_MAX))
			continue;
		/* held only when r != NULL: feed_reply() takes the others */
		a->hold[a->n_hold].session = session;
		a->hold[a->n_hold].run = (uint32_t)(r - a->runs);
		a->hold[a->n_hold++].rec = recs[i];
	}
}

static void fill_meta(const struct app_send *a, const struct run *r, struct tw_stats_meta *m,
		      char *src, char *dst)
{
	int hl;
	struct tw_send_stream tmp = { .mode = r->cs.mode == TW_CONFIG_TMODE_AUTH ? TW_TEST_AUTH :
				      r->cs.mode == TW_CONFIG_TMODE_ENC ? TW_TEST_ENC :
				      TW_TEST_UNAUTH };

	(void)a;
	tmp.proto = r->cs.protocol == TW_CONFIG_PROTO_OWAMP ? TW_SEND_OWAMP :
		    r->cs.protocol == TW_CONFIG_PROTO_STAMP ? TW_SEND_STAMP :
		    r->cs.protocol == TW_CONFIG_PROTO_TWAMP ? TW_SEND_TWAMP : TW_SEND_LIGHT;
	run_layout(r, tmp.mode, &tmp.layout);
	hl = tw_send_header_len(&tmp);
	inet_ntop(r->family, r->src, src, INET6_ADDRSTRLEN);
	inet_ntop(r->family, r->dst, dst, INET6_ADDRSTRLEN);
	memset(m, 0, sizeof(*m));
	m->tool = "twamp-dp";
	m->tool_version = TWAMP_DP_VERSION;
	m->name = r->cs.name;
	m->protocol = proto_name(r->cs.protocol);
	m->mode = mode_name(r->cs.mode);
	m->src_addr = src;
	m->src_port = r->sport;
	m->dst_addr = dst;
	m->dst_port = r->dport;
	if (r->sid[0] != '\0')
		m->sid = r->sid;
	m->schedule = r->cs.schedule == TW_CONFIG_SCHED_POISSON ? "poisson" : "periodic";
	m->interval_s = r->cs.by_interval ? r->cs.interval_us / 1e6 :
			(r->cs.rate_pps ? 1.0 / r->cs.rate_pps : 1.0);
	m->count = r->cs.by_duration ? -1 : (int64_t)r->cs.count;
	m->dscp = r->cs.dscp;
	m->ecn = r->cs.ecn;
	m->padding = (int)r->cs.padding;
	m->packet_size = hl > 0 ? hl + (int)r->cs.padding : -1;
	/* with ESP the Sender Timestamp precedes the encryption (and the
	 * receive time follows the decryption's RX stamp) */
	m->timestamps = r->ipsec ? "user-before-esp" : "user";
	m->start = r->start;
	m->end = r->end;
}

static void snapshot(struct app_send *a, struct run *r)
{
	struct tw_stats_result res;

	if (r->st == NULL || tw_stats_result(r->st, &res) != 0)
		return;
	pthread_mutex_lock(&a->lock);
	r->snap = res;
	r->has_snap = true;
	pthread_mutex_unlock(&a->lock);
}

static void teardown(struct app_send *a, struct run *r, bool wait)
{
	ctl_end(a, r, wait);
	if (r->has_rsess)
		app_recv_session_del(r->rsess);
	r->has_rsess = false;
	if (r->has_stream) {
		tw_send_stream_stop(a->s, r->stream);
		if (tw_send_stream_del(a->s, r->stream) == 0)
			r->has_stream = false;
	}
	if (r->pp != NULL) {
		int rc = tw_stats_pp_close(r->pp);

		if (rc != 0)
			app_log("session %s: per-packet file: %s", r->cs.name, strerror(-rc));
		r->pp = NULL;
	}
	tw_stats_destroy(r->st);
	r->st = NULL;
}

static void finish(struct app_send *a, struct run *r)
{
	struct tw_stats_result res;
	struct tw_stats_meta m;
	struct tw_send_stream_stats ss;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char *text = NULL;
	size_t tlen = 0;
	FILE *f;
	int rc, dk;

	drain_sent(a);
	feed_held(a); /* the run is WAITing: this also empties its held replies */
	tw_stats_finish(r->st);
	tw_stats_result(r->st, &res);
	fill_meta(a, r, &m, src, dst);
	rc = make_dir(a->cfg->results.dir);
	if (rc == 0)
		rc = results_path(a, r, "json", r->file, sizeof(r->file));
	if (rc == 0)
		rc = tw_stats_write_json(r->file, &res, &m);
	if (rc != 0) {
		app_log("session %s: results in %s: %s", r->cs.name, a->cfg->results.dir,
			strerror(-rc));
		r->file[0] = '\0';
	}
	f = open_memstream(&text, &tlen);
	if (f != NULL) {
		tw_stats_print_summary(f, &res, &m);
		fclose(f);
	}
	memset(&ss, 0, sizeof(ss));
	tw_send_stream_get(a->s, r->stream, &ss);
	dk = r->cs.protocol == TW_CONFIG_PROTO_OWAMP ? TW_STATS_D_FWD : TW_STATS_D_RTT;
	app_log("session %s: done: sent %" PRIu64 ", received %" PRIu64 ", lost %" PRIu64
		" (%.3f %%), duplicates %" PRIu64 ", reordered %" PRIu64 ", %s min/median/max "
		"%.3f/%.3f/%.3f ms, departure error p50/p99 %" PRIu64 "/%" PRIu64 " ns, late %"
		PRIu64 "%s%s", r->cs.name, res.sent, res.received, res.lost,
		res.loss_ratio * 100.0, res.dup, res.reordered,
		dk == TW_STATS_D_FWD ? "one-way delay" : "RTT",
		res.d[dk].min_ns / 1e6, res.d[dk].median_ns / 1e6,
		res.d[dk].max_ns / 1e6, tw_dp_hist_quantile(&ss.depart, 0.5),
		tw_dp_hist_quantile(&ss.depart, 0.99), ss.late,
		r->file[0] ? ", results " : "", r->file);
	teardown(a, r, false);
	pthread_mutex_lock(&a->lock);
	r->snap = res;
	r->has_snap = true;
	free(r->summary);
	r->summary = text;
	r->state = R_DONE;
	pthread_mutex_unlock(&a->lock);
}

/* OWAMP: once Fetch-Session is over, its records (the receiver's
 * timestamps, RFC 4656 §3.9) go to the statistics and the run ends. */
static void ow_fetched(struct app_send *a, struct run *r)
{
	struct ctl *c = r->ctl;
	struct tw_stats_rec rec;
	bool done;

	pthread_mutex_lock(&a->lock);
	done = c->done;
	pthread_mutex_unlock(&a->lock);
	if (!done)
		return;
	if (c->fetch_rc != 0) {
		char err[sizeof(c->err)];

		snprintf(err, sizeof(err), "%s", c->err);
		run_fail(a, r, "%s: no results", err);
		teardown(a, r, false);
		return;
	}
	for (uint32_t i = 0; i < c->n_recs; i++) {
		const struct tw_owamp_record *o = &c->recs[i];

		if (o->recv_ts == 0 || !seq_sent(r, o->seq))
			continue; /* lost (counted by tw_stats_finish), or not ours */
		tw_stats_rec_from_owamp(o, &rec);
		tw_stats_recv(r->st, &rec);
	}
	app_log("session %s: OWAMP Fetch-Session: %u record(s) of %u packet(s) sent",
		r->cs.name, c->n_recs, c->next_seqno);
	finish(a, r);
}

static void step(struct app_send *a, struct run *r, uint64_t now)
{
	struct tw_send_stream_stats ss;
	uint32_t next;

	switch (r->state) {
	case R_RESOLVE:
		resolve(a, r, now);
		break;
	case R_CONTROL:
		ctl_step(a, r);
		break;
	case R_RUN:
		if (now >= r->next_advance) {
			/* OWAMP: the receiver's records come at the end */
			if (r->cs.protocol != TW_CONFIG_PROTO_OWAMP)
				tw_stats_advance(r->st, tw_dp_clock_now(tw_dp_clock(a->dp)));
			snapshot(a, r);
			r->next_advance = now + 1000000000ull;
		}
		if (tw_send_stream_get(a->s, r->stream, &ss) == 0 &&
		    ss.state == TW_SEND_S_DONE) {
			r->wait_until = now + (uint64_t)r->cs.timeout_s * 1000000000ull;
			pthread_mutex_lock(&a->lock);
			r->state = R_WAIT;
			pthread_mutex_unlock(&a->lock);
		}
		break;
	case R_WAIT:
		if (now < r->wait_until)
			break;
		if (r->cs.protocol != TW_CONFIG_PROTO_OWAMP) {
			finish(a, r);
			break;
		}
		/* OWAMP: the receiver had timeout_s for the last packets;
		 * Stop-Sessions and Fetch-Session on the control thread */
		drain_sent(a);
		next = r->any_sent ? r->last_seq + 1 : 0;
		if (tw_send_stream_get(a->s, r->stream, &ss) == 0 && ss.next_seq != next) {
			ow_skip(r, next, ss.next_seq); /* the last ones were refused */
			next = ss.next_seq;
		}
		pthread_mutex_lock(&a->lock);
		r->ctl->next_seqno = next;
		r->ctl->skips = r->skips;
		r->ctl->n_skips = r->n_skips;
		r->ctl->stop = true;
		r->state = R_FETCH;
		pthread_mutex_unlock(&a->lock);
		break;
	case R_FETCH:
		ow_fetched(a, r);
		break;
	case R_DONE:
	case R_FAILED:
		/* what is left: a stream not stopped yet, a client still
		 * sending Stop-Sessions */
		if (r->st != NULL || r->has_rsess || r->has_stream || r->ctl != NULL)
			teardown(a, r, false);
		break;
	default:
		break;
	}
}

/* ---- ad-hoc runs through telemetry ---- */

static int parse_u64(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (*v == '\0' || *v == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

/*
 * "peer=ADDR,port=N,protocol=twamp-light|stamp,mode=open|auth|enc,key_id=ID,
 *  count=N,duration_s=N,interval_us=N,rate_pps=N,schedule=periodic|poisson,
 *  padding=N,dscp=N,ecn=N,timeout_s=N,src_port=N,local=PORTNAME,name=NAME,
 *  individual=0|1,symmetrical=0|1,dscp_ecn=0|1,reflect_padding=N"
 * (protocol=twamp|owamp too; the options are full TWAMP's)
 */
static int parse_run(const struct tw_config *cfg, const char *params,
		     struct tw_config_session *cs, char *err, size_t errlen)
{
	char buf[1024], *save = NULL, *tok;
	bool have_peer = false, have_pad = false, have_port = false;
	uint64_t v;

	memset(cs, 0, sizeof(*cs));
	cs->peer_port = 862;
	cs->protocol = TW_CONFIG_PROTO_LIGHT;
	cs->count = 100;
	cs->by_interval = true;
	cs->interval_us = 100000;
	cs->timeout_s = 2;
	snprintf(cs->name, sizeof(cs->name), "run");
	if (params == NULL || strlen(params) >= sizeof(buf)) {
		snprintf(err, errlen, "parameters missing or too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", params);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *val = strchr(tok, '=');
		int rc = 0;

		if (val == NULL) {
			snprintf(err, errlen, "'%s': expected key=value", tok);
			return -EINVAL;
		}
		*val++ = '\0';
		if (strcmp(tok, "peer") == 0) {
			uint8_t a[16] = { 0 };

			if (inet_pton(AF_INET, val, a) == 1) {
				cs->peer.family = 4;
				cs->peer.prefix = 32;
			} else if (inet_pton(AF_INET6, val, a) == 1) {
				cs->peer.family = 6;
				cs->peer.prefix = 128;
			} else {
				rc = -EINVAL;
			}
			memcpy(cs->peer.addr, a, 16);
			have_peer = rc == 0;
		} else if (strcmp(tok, "port") == 0) {
			rc = parse_u64(val, 65535, &v);
			cs->peer_port = (uint16_t)v;
			have_port = true;
			if (rc == 0 && v == 0)
				rc = -EINVAL;
		} else if (strcmp(tok, "src_port") == 0) {
			rc = parse_u64(val, 65535, &v);
			cs->src_port = (uint16_t)v;
		} else if (strcmp(tok, "protocol") == 0) {
			if (strcmp(val, "twamp-light") == 0 || strcmp(val, "light") == 0)
				cs->protocol = TW_CONFIG_PROTO_LIGHT;
			else if (strcmp(val, "stamp") == 0)
				cs->protocol = TW_CONFIG_PROTO_STAMP;
			else if (strcmp(val, "twamp") == 0)
				cs->protocol = TW_CONFIG_PROTO_TWAMP;
			else if (strcmp(val, "owamp") == 0)
				cs->protocol = TW_CONFIG_PROTO_OWAMP;
			else
				rc = -EINVAL;
		} else if (strcmp(tok, "ikev2") == 0) {
			rc = parse_u64(val, 1, &v);
			cs->ikev2 = v != 0;
		} else if (strcmp(tok, "individual") == 0 || strcmp(tok, "symmetrical") == 0 ||
			   strcmp(tok, "dscp_ecn") == 0) {
			uint32_t bit = tok[0] == 'i' ? TW_CONFIG_OPT_INDIVIDUAL :
				       tok[0] == 's' ? TW_CONFIG_OPT_SYMMETRIC :
				       TW_CONFIG_OPT_DSCP_ECN;

			rc = parse_u64(val, 1, &v);
			cs->options = v ? cs->options | bit : cs->options & ~bit;
		} else if (strcmp(tok, "reflect_padding") == 0) {
			rc = parse_u64(val, TW_SEND_PAD_MAX, &v);
			cs->reflect_padding = (uint16_t)v;
			cs->options |= TW_CONFIG_OPT_REFLECT;
		} else if (strcmp(tok, "mode") == 0) {
			if (strcmp(val, "open") == 0)
				cs->mode = TW_CONFIG_TMODE_OPEN;
			else if (strcmp(val, "auth") == 0)
				cs->mode = TW_CONFIG_TMODE_AUTH;
			else if (strcmp(val, "enc") == 0)
				cs->mode = TW_CONFIG_TMODE_ENC;
			else if (strcmp(val, "mixed") == 0)
				cs->mode = TW_CONFIG_TMODE_MIXED;
			else
				rc = -EINVAL;
		} else if (strcmp(tok, "key_id") == 0) {
			if (strlen(val) >= sizeof(cs->key_id))
				rc = -EINVAL;
			else
				snprintf(cs->key_id, sizeof(cs->key_id), "%s", val);
		} else if (strcmp(tok, "count") == 0) {
			rc = parse_u64(val, UINT64_MAX, &cs->count);
			cs->by_duration = false;
			if (rc == 0 && cs->count == 0)
				rc = -EINVAL;
		} else if (strcmp(tok, "duration_s") == 0) {
			rc = parse_u64(val, 86400 * 365, &v);
			cs->duration_s = (uint32_t)v;
			cs->by_duration = true;
			if (rc == 0 && v == 0)
				rc = -EINVAL;
		} else if (strcmp(tok, "interval_us") == 0) {
			rc = parse_u64(val, 3600000000ull, &v);
			cs->interval_us = (uint32_t)v;
			cs->by_interval = true;
			if (rc == 0 && v == 0)
				rc = -EINVAL;
		} else if (strcmp(tok, "rate_pps") == 0) {
			rc = parse_u64(val, 100000000, &v);
			cs->rate_pps = (uint32_t)v;
			cs->by_interval = false;
			if (rc == 0 && v == 0)
				rc = -EINVAL;
		} else if (strcmp(tok, "schedule") == 0) {
			if (strcmp(val, "periodic") == 0)
				cs->schedule = TW_CONFIG_SCHED_PERIODIC;
			else if (strcmp(val, "poisson") == 0)
				cs->schedule = TW_CONFIG_SCHED_POISSON;
			else
				rc = -EINVAL;
		} else if (strcmp(tok, "padding") == 0) {
			rc = parse_u64(val, TW_SEND_PAD_MAX, &v);
			cs->padding = (uint32_t)v;
			have_pad = true;
		} else if (strcmp(tok, "dscp") == 0) {
			rc = parse_u64(val, 63, &v);
			cs->dscp = (uint8_t)v;
		} else if (strcmp(tok, "ecn") == 0) {
			rc = parse_u64(val, 3, &v);
			cs->ecn = (uint8_t)v;
		} else if (strcmp(tok, "timeout_s") == 0) {
			rc = parse_u64(val, 3600, &v);
			cs->timeout_s = (uint32_t)v;
		} else if (strcmp(tok, "local") == 0) {
			if (strlen(val) >= sizeof(cs->port))
				rc = -EINVAL;
			else
				snprintf(cs->port, sizeof(cs->port), "%s", val);
		} else if (strcmp(tok, "name") == 0) {
			/* as sender.sessions[].name (lib/config) */
			bool ok = *val != '\0' && strlen(val) <= 12;

			for (const char *c = val; ok && *c; c++)
				ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
				     (*c >= '0' && *c <= '9') || *c == '-' || *c == '_';
			if (ok)
				snprintf(cs->name, sizeof(cs->name), "%s", val);
			else
				rc = -EINVAL;
		} else {
			snprintf(err, errlen, "unknown parameter '%s'", tok);
			return -EINVAL;
		}
		if (rc != 0) {
			snprintf(err, errlen, "bad value for %s: '%s'", tok, val);
			return -EINVAL;
		}
	}
	if (!have_peer) {
		snprintf(err, errlen, "peer=ADDRESS is required");
		return -EINVAL;
	}
	if (cs->mode == TW_CONFIG_TMODE_MIXED && cs->protocol != TW_CONFIG_PROTO_TWAMP) {
		snprintf(err, errlen, "mode mixed (RFC 5618) needs protocol twamp");
		return -EINVAL;
	}
	if (cs->ikev2) {
		/* as lib/config's sender.sessions[].ikev2 */
		bool draft = cfg->ipsec.profile == TW_CONFIG_IKEV2_DRAFT;

		if (cs->protocol != TW_CONFIG_PROTO_TWAMP && cs->protocol != TW_CONFIG_PROTO_OWAMP)
			snprintf(err, errlen, "ikev2 (%s) needs protocol twamp or owamp",
				 draft ? "seed draft" : "RFC 7717");
		else if (cs->key_id[0] != '\0')
			snprintf(err, errlen, draft ? "ikev2 (seed draft): the keys come from the "
				 "Child SA pair with the peer; no key_id" :
				 "ikev2: the KeyID is the IKE SA's SPIs; no key_id");
		else if (cfg->ipsec.key_import_socket[0] == '\0')
			snprintf(err, errlen, "ikev2 needs ipsec.key_import in the configuration");
		else
			err[0] = '\0';
		if (err[0] != '\0')
			return -EINVAL;
		if (cs->mode == TW_CONFIG_TMODE_OPEN)
			cs->mode = TW_CONFIG_TMODE_AUTH; /* RFC 7717 keys a secured mode */
	} else if (cs->mode != TW_CONFIG_TMODE_OPEN && cs->key_id[0] == '\0') {
		snprintf(err, errlen, "mode %s needs key_id", mode_name(cs->mode));
		return -EINVAL;
	}
	if (cs->protocol == TW_CONFIG_PROTO_STAMP && cs->mode == TW_CONFIG_TMODE_ENC) {
		snprintf(err, errlen, "STAMP has no encrypted mode (RFC 8762)");
		return -EINVAL;
	}
	if (cs->ikev2) {
		/* the IKE SA is looked up when the run starts */
	} else if (cs->mode != TW_CONFIG_TMODE_OPEN && (cs->protocol == TW_CONFIG_PROTO_TWAMP ||
						  cs->protocol == TW_CONFIG_PROTO_OWAMP)) {
		const struct tw_config_key *k = tw_config_key_find(&cfg->keys, cs->key_id);

		if (k == NULL || k->is_secret) {
			snprintf(err, errlen, "key '%s': no such passphrase (keys:) in the key file",
				 cs->key_id);
			return -EINVAL;
		}
	} else if (cs->mode != TW_CONFIG_TMODE_OPEN && secret(cfg, cs->key_id) == NULL) {
		snprintf(err, errlen, "key '%s': no such secret in the key file", cs->key_id);
		return -EINVAL;
	}
	if (cs->options != 0 && cs->protocol != TW_CONFIG_PROTO_TWAMP) {
		snprintf(err, errlen, "individual, reflect octets, symmetrical size and "
			 "DSCP-ECN are TWAMP-Control options: they need protocol twamp");
		return -EINVAL;
	}
	if (!have_port && cs->protocol == TW_CONFIG_PROTO_OWAMP)
		cs->peer_port = 861; /* RFC 4656 §2 owamp-control */
	/* equal sizes both ways, as the config's default (lib/config) */
	if (!have_pad)
		cs->padding = (cs->protocol == TW_CONFIG_PROTO_STAMP ||
			       cs->protocol == TW_CONFIG_PROTO_OWAMP ||
			       (cs->options & TW_CONFIG_OPT_SYMMETRIC) ? 0 :
			       cs->mode == TW_CONFIG_TMODE_OPEN ||
			       cs->mode == TW_CONFIG_TMODE_MIXED ? 27 : 64) + cs->reflect_padding;
	if (cs->reflect_padding > cs->padding) {
		snprintf(err, errlen, "reflect octets %u is more than padding %u (RFC 6038 §4.2)",
			 cs->reflect_padding, cs->padding);
		return -EINVAL;
	}
	return 0;
}

static void serve_request(struct app_send *a)
{
	struct run *r;

	pthread_mutex_lock(&tel_mutex);
	if (!a->req_pending) {
		pthread_mutex_unlock(&tel_mutex);
		return;
	}
	r = new_run(a, &a->req, true);
	if (r == NULL) {
		a->req_rc = -ENOSPC;
		snprintf(a->req_err, sizeof(a->req_err), "too many runs at once (%u)", MAX_RUNS);
	} else {
		a->req_rc = begin(a, r);
		a->req_id = r->id;
		snprintf(a->req_err, sizeof(a->req_err), "%s", r->err);
		if (a->req_rc == 0)
			app_log("session %s: ad-hoc run %u from twamp-ctl", r->cs.name, r->id);
	}
	a->req_pending = false;
	a->req_done = true;
	pthread_cond_broadcast(&a->req_cond);
	pthread_mutex_unlock(&tel_mutex);
}

static void add_error(struct rte_tel_data *d, const char *msg);

static int tel_run(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct app_send *a;
	struct tw_config_session cs;
	struct timespec until;
	char err[ERR_MAX] = "";
	int rc;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -EINVAL; /* a reader listing every command gets nothing */
	pthread_mutex_lock(&tel_mutex);
	a = tel_app;
	if (a == NULL) {
		pthread_mutex_unlock(&tel_mutex);
		return -ENODEV;
	}
	rte_tel_data_start_dict(d);
	rc = parse_run(a->cfg, params, &cs, err, sizeof(err));
	if (rc == 0 && a->req_pending) {
		rc = -EBUSY;
		snprintf(err, sizeof(err), "another request is being served; retry");
	}
	if (rc == 0) {
		a->req = cs;
		a->req_pending = true;
		a->req_done = false;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		while (!a->req_done && rc == 0)
			rc = -pthread_cond_timedwait(&a->req_cond, &tel_mutex, &until);
		if (rc != 0) {
			a->req_pending = false;
			snprintf(err, sizeof(err), "twamp-dp did not take the request");
		} else {
			rc = a->req_rc;
			snprintf(err, sizeof(err), "%s", a->req_err);
		}
	}
	if (rc == 0) {
		rte_tel_data_add_dict_u64(d, "id", a->req_id);
	} else {
		add_error(d, err[0] ? err : strerror(-rc));
	}
	pthread_mutex_unlock(&tel_mutex);
	return 0;
}

/* Add [p, p+n) to a string array in pieces a telemetry string holds
 * (RTE_TEL_MAX_STRING_LEN), never splitting a UTF-8 sequence. */
static void add_pieces(struct rte_tel_data *arr, const char *p, size_t n)
{
	do {
		char piece[RTE_TEL_MAX_STRING_LEN];
		size_t k = n < sizeof(piece) - 1 ? n : sizeof(piece) - 1;
		size_t b = k;

		while (b < n && b > 0 && ((unsigned char)p[b] & 0xc0) == 0x80)
			b--;
		if (b > 0)
			k = b;
		memcpy(piece, p, k);
		piece[k] = '\0';
		rte_tel_data_add_array_string(arr, piece);
		p += k;
		n -= k;
	} while (n > 0);
}

/* The summary text as an array of lines; a line longer than a telemetry
 * string goes as several. */
static void add_lines(struct rte_tel_data *d, const char *name, const char *text)
{
	struct rte_tel_data *arr = rte_tel_data_alloc();
	const char *p = text;

	if (arr == NULL)
		return;
	rte_tel_data_start_array(arr, RTE_TEL_STRING_VAL);
	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');

		add_pieces(arr, p, nl != NULL ? (size_t)(nl - p) : strlen(p));
		p = nl != NULL ? nl + 1 : NULL;
	}
	if (rte_tel_data_add_dict_container(d, name, arr, 0) != 0)
		rte_tel_data_free(arr);
}

/* "error": the message as an array of pieces to join (a telemetry string
 * holds 127 octets, the longest message more: docs/operations.md). */
static void add_error(struct rte_tel_data *d, const char *msg)
{
	struct rte_tel_data *arr = rte_tel_data_alloc();

	if (arr == NULL)
		return;
	rte_tel_data_start_array(arr, RTE_TEL_STRING_VAL);
	add_pieces(arr, msg, strlen(msg));
	if (rte_tel_data_add_dict_container(d, "error", arr, 0) != 0)
		rte_tel_data_free(arr);
}

static int tel_result(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct app_send *a;
	unsigned long id;
	char *end;
	int rc = -ENOENT;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -EINVAL;
	id = strtoul(params, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	pthread_mutex_lock(&tel_mutex);
	a = tel_app;
	if (a != NULL) {
		pthread_mutex_lock(&a->lock);
		for (unsigned i = 0; i < MAX_RUNS; i++) {
			const struct run *r = &a->runs[i];
			const struct tw_stats_result *s = &r->snap;

			if (r->state == R_FREE || r->id != id)
				continue;
			rte_tel_data_start_dict(d);
			rte_tel_data_add_dict_string(d, "name", r->cs.name);
			rte_tel_data_add_dict_string(d, "state", state_names[r->state]);
			if (r->err[0] != '\0')
				add_error(d, r->err);
			rte_tel_data_add_dict_u64(d, "sent", s->sent);
			rte_tel_data_add_dict_u64(d, "received", s->received);
			rte_tel_data_add_dict_u64(d, "lost", s->lost);
			rte_tel_data_add_dict_u64(d, "in_flight", s->in_flight);
			rte_tel_data_add_dict_u64(d, "dup", s->dup);
			if (r->ipsec)
				rte_tel_data_add_dict_u64(d, "sa_rekeys", r->sa_rekeys);
			/* RTT without the reflector's processing time: >= 0 unless
			 * the reflector's clock jumped; telemetry has no int64 */
			rte_tel_data_add_dict_u64(d, "rtt_min_ns",
						  (uint64_t)RTE_MAX(s->d[TW_STATS_D_RTT].min_ns, 0));
			rte_tel_data_add_dict_u64(d, "rtt_median_ns",
						  (uint64_t)RTE_MAX(s->d[TW_STATS_D_RTT].median_ns, 0));
			rte_tel_data_add_dict_u64(d, "rtt_max_ns",
						  (uint64_t)RTE_MAX(s->d[TW_STATS_D_RTT].max_ns, 0));
			if (r->file[0] != '\0')
				rte_tel_data_add_dict_string(d, "json", r->file);
			if (r->summary != NULL)
				add_lines(d, "summary", r->summary);
			rc = 0;
			break;
		}
		pthread_mutex_unlock(&a->lock);
	}
	pthread_mutex_unlock(&tel_mutex);
	return rc;
}

static int tel_runs(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct app_send *a;
	int rc = -ENODEV;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&tel_mutex);
	a = tel_app;
	if (a != NULL) {
		rte_tel_data_start_dict(d);
		pthread_mutex_lock(&a->lock);
		for (unsigned i = 0; i < MAX_RUNS; i++) {
			char key[16];

			if (a->runs[i].state == R_FREE)
				continue;
			snprintf(key, sizeof(key), "%u", a->runs[i].id);
			rte_tel_data_add_dict_string(d, key, state_names[a->runs[i].state]);
		}
		pthread_mutex_unlock(&a->lock);
		rc = 0;
	}
	pthread_mutex_unlock(&tel_mutex);
	return rc;
}

/* ---- life cycle ---- */

/* lib/ipsec for the sender (tw_send_ipsec_ops); on worker 0's loop */
static uint64_t ipsec_generation(void *arg)
{
	return tw_ipsec_generation(arg);
}

static void *ipsec_lookup(void *arg, const struct tw_send_sa *sa)
{
	void *h = tw_ipsec_dp_sa(arg, TW_IPSEC_ESP, sa->spi, sa->ipv, sa->dst);

	return h != NULL ? h : tw_ipsec_dp_sa(arg, TW_IPSEC_AH, sa->spi, sa->ipv, sa->dst);
}

static uint16_t ipsec_protect(void *arg, unsigned worker, struct rte_mbuf **pkts, void *sa[],
			      uint16_t n)
{
	return tw_ipsec_dp_protect(arg, worker, pkts, sa, n);
}

struct app_send *app_send_create(const struct tw_config *cfg, struct tw_dp *dp)
{
	static bool registered;
	struct tw_send_conf sc = { .max_streams = MAX_RUNS, .crypto = TW_CRYPTO_IMPL_BEST };
	struct app_send *a = calloc(1, sizeof(*a));
	int rc;

	if (a == NULL) {
		app_log("sender: out of memory");
		return NULL;
	}
	a->cfg = cfg;
	a->dp = dp;
	a->next_id = 1;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->req_cond, NULL);
	a->s = tw_send_create(&sc);
	if (a->s == NULL) {
		app_log("sender: %s", rte_strerror(rte_errno));
		free(a);
		return NULL;
	}
	a->dedicated = cfg->has_sender_lcore;
	rc = tw_send_attach(a->s, dp, a->dedicated);
	if (rc == -ENOTSUP) {
		app_log("sender.lcore %u: a port has no spare TX queue for the sender; "
			"running the sender in worker 0 instead", cfg->sender_lcore);
		a->dedicated = false;
		rc = tw_send_attach(a->s, dp, false);
	}
	if (rc != 0) {
		app_log("sender: attach: %s", strerror(-rc));
		tw_send_destroy(a->s);
		free(a);
		return NULL;
	}
	a->ipsec = app_ipsec_get();
	if (a->ipsec != NULL && !a->dedicated) {
		static const struct tw_send_ipsec_ops ops = {
			.generation = ipsec_generation, .lookup = ipsec_lookup,
			.protect = ipsec_protect,
		};

		rc = tw_send_set_ipsec(a->s, &ops, a->ipsec);
		if (rc != 0)
			app_log("sender: outbound IPsec not wired: %s", strerror(-rc));
	}
	if (tw_send_telemetry_register(a->s) != 0)
		app_log("sender: telemetry /twamp/send/stats not registered");
	pthread_mutex_lock(&tel_mutex);
	if (!registered) {
		rc = rte_telemetry_register_cmd("/twamp/send/run", tel_run,
			"Start a test run (twamp-ctl run). Parameters: peer=ADDR[,key=value...]");
		if (rc == 0)
			rc = rte_telemetry_register_cmd("/twamp/send/result", tel_result,
				"State and results of a run. Parameter: run id");
		if (rc == 0)
			rc = rte_telemetry_register_cmd("/twamp/send/runs", tel_runs,
				"Runs and their states. No parameters");
		registered = rc == 0;
		if (rc != 0)
			app_log("sender: telemetry /twamp/send/run not registered: %s",
				strerror(-rc));
	}
	tel_app = a;
	pthread_mutex_unlock(&tel_mutex);
	return a;
}

bool app_send_dedicated(const struct app_send *a)
{
	return a != NULL && a->dedicated;
}

int app_send_main(void *arg)
{
	struct app_send *a = arg;

	return tw_send_main(a->s);
}

void app_send_start(struct app_send *a)
{
	app_log("sender: %s, %u configured session(s)",
		a->dedicated ? "on its own lcore with a TX queue per port" :
		"in worker 0's loop (no sender.lcore)", a->cfg->n_sessions);
	for (unsigned i = 0; i < a->cfg->n_sessions; i++) {
		struct run *r = new_run(a, &a->cfg->sessions[i], false);

		if (r == NULL) {
			app_log("session %s: too many runs at once (%u)", a->cfg->sessions[i].name,
				MAX_RUNS);
			continue;
		}
		begin(a, r);
	}
}

/* RFC 7296 §2.8: the peer is known to receive in the SA whose paired
 * inbound half @p in is: a verified packet arrived in that half. */
static bool peer_receives(struct app_send *a, const struct sel_in *in)
{
	struct tw_ipsec_sa_info info;

	return tw_ipsec_sa_get(a->ipsec, TW_IPSEC_IN, (enum tw_ipsec_proto)in->proto, in->spi,
			       in->ipv, in->dst, &info) == 0 && info.stats.packets != 0;
}

/*
 * Seed draft §4.1 (lines ~331-334, ~439-442: a rekeyed SA's key replaces
 * the old one): run @p r, bound to a Child SA pair, moves its stream to
 * that pair's rekey successor (tw_keyimp_draft_successor(): same outer
 * addresses, protocol, owning IKE SA and transforms, added after it) once
 * the successor's outbound SA is in the data plane and the peer is known
 * to receive on it. RFC 7296 §2.8: the rekey responder keeps sending on
 * the old SA until (1) a valid packet arrived on the new pair's inbound
 * half or (2) the old SA is being deleted; we may be either end, so the
 * rule holds for both (as initiator it costs at most the time until the
 * old pair's deletion). Until then r->peer_wait asks to look again. Only
 * the ESP/AH protection moves: the TWAMP-Test keys (Alt. 2: those of the
 * bound SA) stay the control connection's. true if it moved.
 */
static bool bound_successor(struct app_send *a, struct run *r)
{
	const struct tw_keyimp *t = app_keyimp_table();
	struct tw_keyimp_draft n;
	struct tw_ipsec_sa_info info, seen;
	struct tw_send_sa sa;
	struct sel_in in;
	enum tw_ipsec_proto xp;
	unsigned ipv = r->family == AF_INET6 ? 6 : 4;
	uint32_t old = r->bound_spi;

	r->peer_wait = false;
	if (t == NULL || !r->has_bview || tw_keyimp_draft_successor(t, &r->bview, &n) != 0)
		return false;
	xp = n.proto == IPPROTO_AH ? TW_IPSEC_AH : TW_IPSEC_ESP;
	if (tw_ipsec_sa_get(a->ipsec, TW_IPSEC_OUT, xp, n.spi_out, ipv, r->dst, &info) != 0) {
		tw_keyimp_draft_wipe(&n);
		return false;
	}
	/* (2): either half of the bound pair gone; else (1) */
	in = (struct sel_in){ .proto = (uint8_t)xp, .spi = n.spi_in, .ipv = (uint8_t)ipv };
	memcpy(in.dst, n.local.addr, 16);
	if (tw_ipsec_sa_get(a->ipsec, TW_IPSEC_OUT, xp, old, ipv, r->dst, &seen) == 0 &&
	    tw_ipsec_sa_get(a->ipsec, TW_IPSEC_IN, xp, r->bview.spi_in, ipv,
			    r->bview.local.addr, &seen) == 0 &&
	    !peer_receives(a, &in)) {
		tw_keyimp_draft_wipe(&n);
		r->peer_wait = true;
		r->next_look = mono_ns() + SUCC_POLL_NS;
		return false;
	}
	memset(&sa, 0, sizeof(sa));
	sa.spi = n.spi_out;
	sa.ipv = (uint8_t)ipv;
	memcpy(sa.dst, r->dst, 16);
	if (tw_send_stream_set_sa(a->s, r->stream, &sa) != 0) {
		tw_keyimp_draft_wipe(&n);
		return false;
	}
	bound_view(r, &n);
	tw_keyimp_draft_wipe(&n);
	r->bound_proto = r->bview.proto;
	r->bound_spi = sa.spi;
	r->sa = sa;
	r->sa_serial = info.serial;
	r->sa_proto = (uint8_t)xp;
	pthread_mutex_lock(&a->lock);
	r->sa_rekeys++;
	pthread_mutex_unlock(&a->lock);
	app_log("session %s: bound SA 0x%08x rekeyed: stream continues in 0x%08x, its "
		"successor (same IKE SA, addresses and transforms; the TWAMP-Test keys stay "
		"the control connection's)", r->cs.name, old, sa.spi);
	return true;
}

/*
 * The SA table changed (a Child SA added, deleted or re-paired), or a run
 * waits and is due: each protected run takes the newest SA that covers it
 * now. A run that none covers any more stops: its packets are never sent
 * in the clear. RFC 7296 §2.8: while the SA a run uses is still there, a
 * newer one (a rekey) is taken only once the peer is known to receive in
 * it, a verified packet having arrived in its paired inbound half (the
 * rekey responder "continues to send traffic on the old SA until" then or
 * until the old one is deleted; we may be either end); until then the run
 * waits (r->peer_wait) and is looked at every SUCC_POLL_NS. A run the seed
 * draft bound to one SA (r->bound) keeps it until a rekey successor of its
 * pair may carry it (bound_successor()); deleted with none, the run stops.
 */
static void reselect(struct app_send *a)
{
	uint64_t gen = tw_ipsec_generation(a->ipsec), now = mono_ns();
	bool changed = gen != a->ipsec_gen;

	a->ipsec_gen = gen;
	for (unsigned i = 0; i < MAX_RUNS; i++) {
		struct run *r = &a->runs[i];
		struct tw_ipsec_sa_info cur;
		struct tw_send_sa sa;
		struct sel_in in;
		uint64_t ser;

		if (!r->ipsec || !r->has_stream || r->state != R_RUN)
			continue;
		if (!changed && !(r->peer_wait && now >= r->next_look))
			continue;
		if (r->bound && bound_successor(a, r))
			continue;
		if (select_sa(a, r, &sa, &ser, &in) != 0) {
			tw_send_stream_stop(a->s, r->stream);
			if (r->bound) /* seed draft: no other SA may carry this session */
				run_fail(a, r, "ikev2 (seed draft): outbound SA 0x%08x, the one "
					 "the Server Greeting bound, is gone with no rekey successor: "
					 "stopped (no other SA taken, nothing sent in the clear)",
					 r->sa.spi);
			else
				run_fail(a, r, "outbound SA 0x%08x is gone and no other Child "
					 "SA covers the test stream: stopped (nothing sent in the "
					 "clear)", r->sa.spi);
			continue;
		}
		if (!r->bound)
			r->peer_wait = false;
		if (ser == r->sa_serial)
			continue;
		if (!r->bound && in.spi != 0 &&
		    tw_ipsec_sa_get(a->ipsec, TW_IPSEC_OUT, (enum tw_ipsec_proto)r->sa_proto,
				    r->sa.spi, r->sa.ipv, r->sa.dst, &cur) == 0 &&
		    cur.serial == r->sa_serial && !peer_receives(a, &in)) {
			r->peer_wait = true;
			r->next_look = now + SUCC_POLL_NS;
			continue;
		}
		if (tw_send_stream_set_sa(a->s, r->stream, &sa) != 0)
			continue;
		app_log("session %s: outbound SA 0x%08x -> 0x%08x (%s)", r->cs.name, r->sa.spi,
			sa.spi, r->bound ? "the bound SA installed again" : "Child SA rekey");
		pthread_mutex_lock(&a->lock);
		if (!r->bound)
			r->sa_rekeys++;
		pthread_mutex_unlock(&a->lock);
		r->sa = sa;
		r->sa_serial = ser;
		r->sa_proto = in.proto;
	}
}

void app_send_service(struct app_send *a)
{
	uint64_t now;

	if (a == NULL)
		return;
	if (a->ipsec != NULL)
		reselect(a);
	serve_request(a);
	drain_sent(a);
	feed_held(a);
	now = mono_ns();
	for (unsigned i = 0; i < MAX_RUNS; i++)
		if (a->runs[i].state != R_FREE)
			step(a, &a->runs[i], now);
}

void app_send_destroy(struct app_send *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&tel_mutex);
	if (tel_app == a)
		tel_app = NULL;
	pthread_mutex_unlock(&tel_mutex);
	for (unsigned i = 0; i < MAX_RUNS; i++) {
		struct run *r = &a->runs[i];

		if (r->state == R_RUN || r->state == R_WAIT || r->state == R_FETCH)
			app_log("session %s: stopped before the end: no results written",
				r->cs.name);
		teardown(a, r, true);
		free(r->summary);
		free(r->skips);
	}
	tw_send_destroy(a->s);
	pthread_cond_destroy(&a->req_cond);
	pthread_mutex_destroy(&a->lock);
	free(a);
}
