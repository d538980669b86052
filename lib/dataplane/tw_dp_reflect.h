/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The Session-Reflector on the worker fast path (RFC 5357 §4.2, RFC 5357
 * App. I TWAMP Light, RFC 8762 STAMP with the RFC 8972 TLVs).
 *
 * Two kinds of reflected traffic:
 *  - sessions: full-TWAMP test sessions (added when Accept-Session is sent,
 *    started by Start-Sessions) and static sessions from the YAML; keyed by
 *    the 5-tuple (family, local addr/port, peer addr/port) in a lock-free
 *    table (lib/keys); a static session with peer port 0 matches any peer
 *    port. Sequence numbers and counters are per session.
 *  - light ports: stateless TWAMP Light or STAMP on a UDP port (862 by
 *    default) for any allowed peer; consulted when no session matches.
 *
 * Threads: the control thread is the only one that calls the functions
 * below except tw_refl_udp_handler() and tw_refl_tx_stamp(), which the
 * workers call through tw_dp_set_udp_handler() / tw_dp_set_tx_stamp().
 * Removed sessions are freed (keys wiped) once every worker reported a
 * quiescent state on tw_refl_qsbr() (put it into struct tw_dp_conf.qsbr):
 * the table frees them on a later delete (or at destroy).
 *
 * Life cycle: tw_refl_create() -> tw_dp_conf.qsbr = tw_refl_qsbr() ->
 * tw_dp_ports_create() -> tw_refl_attach() (handler, TX stamp, owned
 * UDP ports) -> tw_refl_light_add() / tw_refl_session_add() at any time ->
 * ... -> workers stopped -> tw_dp_ports_destroy() -> tw_refl_destroy().
 *
 * Key material without a control protocol (docs/protocol.md): a TWAMP
 * Light auth/enc key is 48 octets, TWAMP-Test AES key (16) | HMAC key
 * (32); a STAMP auth key is the HMAC-SHA-256 key, 16..64 octets.
 */
#ifndef TW_DP_REFLECT_H
#define TW_DP_REFLECT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "tw_crypto.h"
#include "tw_dataplane.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tw_refl;

/**
 * Why the reflector dropped a packet (never reflected, never logged). The
 * X-macro generates the enum and the names; append at the end.
 */
#define TW_REFL_DROPS(X)                                                       \
	X(NO_SESSION, "no_session", "no session and no light port matches")   \
	X(NOT_ALLOWED, "not_allowed", "peer not in the light port's allow list")\
	X(NOT_STARTED, "not_started", "session accepted but not started")     \
	X(STOPPED, "stopped", "session stopped and its timeout passed")       \
	X(TOO_SHORT, "too_short", "shorter than the sender header")           \
	X(BAD_LENGTH, "bad_length", "padding shorter than the octets to reflect")\
	X(BAD_HMAC, "bad_hmac", "HMAC verification failed")                   \
	X(NO_ROOM, "no_room", "reply does not fit the mbuf (or chained mbuf)")\
	X(CRYPTO, "crypto", "crypto engine error")

#define TW_REFL_DROP_ENUM(name, id, text) TW_REFL_DROP_##name,
/** Reflector drop reasons. */
enum tw_refl_drop {
	TW_REFL_DROPS(TW_REFL_DROP_ENUM)
	TW_REFL_DROP__MAX
};
#undef TW_REFL_DROP_ENUM

/** Test protocol of a light port or session. */
enum tw_refl_proto {
	TW_REFL_TWAMP = 0, /**< full TWAMP test session (control negotiated) */
	TW_REFL_LIGHT = 1, /**< TWAMP Light (RFC 5357 App. I) */
	TW_REFL_STAMP = 2, /**< STAMP (RFC 8762, RFC 8972) */
};

/** Test-packet security mode. */
enum tw_refl_mode {
	TW_REFL_OPEN = 0, /**< unauthenticated (also TWAMP mixed mode) */
	TW_REFL_AUTH = 1, /**< authenticated */
	TW_REFL_ENC = 2,  /**< encrypted (TWAMP and TWAMP Light only) */
};

/** DSCP value meaning "the received packet's DSCP". */
#define TW_REFL_DSCP_COPY 0xffu

/** TWAMP Light auth/enc key: TWAMP-Test AES key | HMAC key. */
#define TW_REFL_LIGHT_KEY_LEN 48u
/** STAMP auth key length bounds (HMAC-SHA-256 key). */
#define TW_REFL_STAMP_KEY_MIN 16u
#define TW_REFL_STAMP_KEY_MAX 64u
/** Peer prefixes per light port (none = any peer). */
#define TW_REFL_ALLOW_MAX 16u
/** Light ports per reflector. */
#define TW_REFL_LIGHT_MAX 64u

/** The reflector. */
struct tw_refl_conf {
	unsigned n_workers;       /**< 1..TW_DP_WORKERS_MAX, as in tw_dp_conf */
	uint32_t max_sessions;    /**< session table size, 8..2^24 */
	/** Data plane clock (Error Estimate); NULL: a clock of its own,
	 *  initialised from the TSC, until tw_refl_attach() adopts the data
	 *  plane's. Must outlive the reflector. */
	struct tw_dp_clock *clock;
	/** crypto engine implementation (TW_CRYPTO_IMPL_BEST normally;
	 *  OPENSSL only with one worker: its contexts are not shareable) */
	enum tw_crypto_impl crypto;
};

/** A stateless light port. */
struct tw_refl_light {
	uint16_t port;               /**< local UDP port */
	enum tw_refl_proto proto;    /**< TW_REFL_LIGHT or TW_REFL_STAMP */
	enum tw_refl_mode mode;      /**< LIGHT: open/auth/enc; STAMP: open/auth */
	const uint8_t *key;          /**< auth/enc key (see the file comment) */
	size_t key_len;
	/** STAMP: own sequence numbers (RFC 8762 §4.2.1; per worker on a
	 *  light port), else the sender's are copied */
	bool stateful;
	uint8_t dscp;                /**< DSCP of replies, or TW_REFL_DSCP_COPY */
	struct tw_dp_prefix allow[TW_REFL_ALLOW_MAX]; /**< allowed peers */
	unsigned n_allow;            /**< 0 = any peer */
};

/** A session keyed by its 5-tuple. */
struct tw_refl_session {
	int family;                  /**< AF_INET or AF_INET6 */
	uint8_t local_addr[16];      /**< network order; IPv4 in first 4 */
	uint8_t peer_addr[16];
	uint16_t local_port;         /**< host order */
	uint16_t peer_port;          /**< host order; 0 = any (static sessions) */
	enum tw_refl_proto proto;    /**< TWAMP, LIGHT or STAMP */
	enum tw_refl_mode mode;
	bool sym_size;               /**< TWAMP: RFC 6038 Symmetrical Size */
	bool dscp_ecn;               /**< TWAMP: RFC 7750 DSCP-ECN monitoring */
	uint16_t reflect_len;        /**< TWAMP: RFC 6038 octets to reflect */
	/** TWAMP auth/enc: TestAESKey / TestHMACKey (tw_crypto_test_keys());
	 *  LIGHT auth/enc: the 48-octet key split the same way */
	struct tw_crypto_session_keys test_keys;
	const uint8_t *stamp_key;    /**< STAMP auth key, 16..64 octets */
	size_t stamp_key_len;
	bool stateful;               /**< STAMP/LIGHT: own sequence numbers */
	uint8_t dscp;                /**< DSCP of replies (Type-P) or _COPY */
	uint32_t refwait_s;          /**< REFWAIT (0 = none), see tw_refl_expire() */
	bool started;                /**< reflect at once (static sessions) */
};

/**
 * Create the reflector: session table, QSBR variable (n_workers threads),
 * one crypto engine per worker. Needs EAL.
 *
 * @return the reflector, or NULL with rte_errno set (EINVAL, ENOMEM,
 *         ENOTSUP when the control thread got a crypto engine and a worker
 *         did not). Without any engine (no AES-NI) it is created, and
 *         authenticated/encrypted TWAMP ports and sessions get -ENOTSUP.
 */
struct tw_refl *tw_refl_create(const struct tw_refl_conf *conf);

/** Free everything (workers must have stopped); NULL is a no-op. */
void tw_refl_destroy(struct tw_refl *r);

/** The QSBR variable to put into struct tw_dp_conf.qsbr. */
struct rte_rcu_qsbr *tw_refl_qsbr(struct tw_refl *r);

/**
 * Plug the reflector into a data plane (before tw_dp_ports_start()):
 * installs the UDP handler and the TX stamp callback, owns the UDP ports
 * of the light ports and sessions added so far and later, and uses the
 * data plane's clock when the configuration gave none.
 *
 * @return 0, -EINVAL on NULL, or the data plane's -EBUSY.
 */
int tw_refl_attach(struct tw_refl *r, struct tw_dp *dp);

/**
 * Add a light port (replaces one on the same UDP port).
 *
 * @return 0, -EINVAL (bad protocol/mode combination, key length, allow
 *         list), -ENOSPC (TW_REFL_LIGHT_MAX), -ENOMEM or -ENOTSUP (crypto).
 */
int tw_refl_light_add(struct tw_refl *r, const struct tw_refl_light *l);

/** Remove the light port on @p port. @return 0, -ENOENT or -EINVAL. */
int tw_refl_light_del(struct tw_refl *r, uint16_t port);

/**
 * Add a session; it reflects once started (or at once with @p s->started).
 * Ids are small integers, reused after tw_refl_session_del().
 *
 * @param id receives the session id
 * @return 0, -EINVAL (bad family, mode, key), -EEXIST (same 5-tuple),
 *         -ENOSPC (table full), -ENOMEM or -ENOTSUP (crypto).
 */
int tw_refl_session_add(struct tw_refl *r, const struct tw_refl_session *s,
			uint32_t *id);

/**
 * Remove a session: new packets find no session at once; its memory and
 * keys go after a grace period. @return 0, -ENOENT or -EINVAL.
 */
int tw_refl_session_del(struct tw_refl *r, uint32_t id);

/** Start reflecting (Start-Sessions). @return 0, -ENOENT or -EINVAL. */
int tw_refl_session_start(struct tw_refl *r, uint32_t id);

/**
 * Stop-Sessions: keep reflecting for @p timeout_ns (RFC 5357 §3.8
 * Timeout), then drop as "stopped". @return 0, -ENOENT or -EINVAL.
 */
int tw_refl_session_stop(struct tw_refl *r, uint32_t id, uint64_t timeout_ns);

/**
 * REFWAIT (RFC 5357 §4.2): remove every started session with a non-zero
 * refwait_s that has received nothing for that long (counted from its
 * start when it never received). Control thread, e.g. once a second.
 *
 * @param now current NTP time (tw_dp_clock_now())
 * @return the number of sessions removed, or -EINVAL.
 */
int tw_refl_expire(struct tw_refl *r, tw_ntp_t now);

/** Counters of a worker, a session or a light port. */
struct tw_refl_stats {
	uint64_t rx;                        /**< packets given to the reflector */
	uint64_t tx;                        /**< replies handed to the port */
	uint64_t drop[TW_REFL_DROP__MAX];   /**< by reason */
	tw_ntp_t last_rx;                   /**< sessions/light: last RX time */
	uint32_t next_seq;                  /**< sessions: next own sequence */
};

/**
 * Sum of the workers' counters (@p worker -1) or one worker's.
 * @return 0, or -EINVAL on NULL or a bad index.
 */
int tw_refl_stats(const struct tw_refl *r, int worker, struct tw_refl_stats *out);

/** One session's counters. @return 0, -ENOENT or -EINVAL. */
int tw_refl_session_stats(const struct tw_refl *r, uint32_t id,
			  struct tw_refl_stats *out);

/** One light port's counters (all workers). @return 0, -ENOENT or -EINVAL. */
int tw_refl_light_stats(const struct tw_refl *r, uint16_t port,
			struct tw_refl_stats *out);

/** Sessions present. */
unsigned tw_refl_session_count(const struct tw_refl *r);

/** Short identifier ("no_session", ...) of a drop reason, or "unknown". */
const char *tw_refl_drop_name(unsigned reason);

/**
 * Serve the counters through DPDK telemetry: /twamp/refl/stats (summed),
 * /twamp/refl/worker,<i>, /twamp/refl/session,<id>, /twamp/refl/light,<port>.
 * Registered once per process; the latest reflector is reported until it is
 * destroyed.
 * @return 0, -EINVAL, or the error of rte_telemetry_register_cmd().
 */
int tw_refl_telemetry_register(struct tw_refl *r);

/**
 * The tw_dp_udp_fn (arg = struct tw_refl *): session lookup (bulk), light
 * port fallback, verify, reflect in place, headers swapped; verdict TX or
 * DROP per packet. tw_refl_attach() installs it.
 */
void tw_refl_udp_handler(void *arg, unsigned worker, unsigned port,
			 struct rte_mbuf **pkts, uint16_t n, uint8_t *verdict);

/**
 * The tw_dp_tx_stamp_fn (arg = struct tw_refl *): writes the Timestamp,
 * protects what must be protected after it, finishes the UDP checksum.
 * Must run on the thread that ran the handler for these packets, before
 * its next quiescent state (the data plane worker loop does).
 */
void tw_refl_tx_stamp(void *arg, unsigned port, struct rte_mbuf **pkts,
		      uint16_t n, tw_ntp_t now);

#ifdef __cplusplus
}
#endif

#endif /* TW_DP_REFLECT_H */
