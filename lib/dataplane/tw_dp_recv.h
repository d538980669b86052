/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The receive side of the data plane: test packets that end here become
 * per-packet records (struct tw_stats_rec) for the control thread.
 *
 * Kinds of receive session, each keyed by its UDP 5-tuple as seen from
 * this end (local address/port = where the packets arrive):
 *  - TW_RECV_TWAMP: replies of a full TWAMP-Test session we send
 *    (RFC 5357 §4.2.1 with erratum 5045; RFC 6038 Symmetrical Size and
 *    Reflect Octets; RFC 7750 S-DSCP-ECN), open / auth / enc;
 *  - TW_RECV_LIGHT: TWAMP Light replies (RFC 5357 App. I), same formats,
 *    the 48-octet light key (AES | HMAC) for auth / enc;
 *  - TW_RECV_STAMP: STAMP replies (RFC 8762 §4.3; a TWAMP Light reflector's
 *    41-octet reply is accepted too, §4.6), open / auth (HMAC-SHA-256);
 *    RFC 8972 TLVs are skipped (length only);
 *  - TW_RECV_OWAMP: OWAMP-Test packets (RFC 4656 §4.1.2), the appliance as
 *    the receiver, open / auth / enc.
 *
 * Per burst on a worker (tw_recv_udp_handler(), the handler of the data
 * plane's TW_DP_UDP_RECEIVER class): one bulk lookup, length checks, one
 * verify burst for auth/enc, decode into a record, enqueue on the worker's
 * single-producer ring (never blocking: a full ring is the drop
 * "ring_full"). Every packet is consumed (TW_DP_V_CONSUMED) or dropped
 * (TW_DP_V_DROP) with a reason; none goes to the kernel.
 *
 * Record fields, round trip (TWAMP, LIGHT, STAMP):
 *   seq = Sender Sequence Number, refl_seq = the reflector's Sequence
 *   Number, t1 = Sender Timestamp, t2 = Receive Timestamp, t3 = the
 *   reflector's Timestamp, t4 = tw_dp_rx_ntp() of the reply, e1 = Sender
 *   Error Estimate, e2 = the reflector's Error Estimate, e4 = our clock's
 *   Error Estimate, ttl_fwd = Sender TTL, ttl_back = IP TTL / Hop Limit as
 *   received, tos_fwd = S-DSCP-ECN (flag TW_STATS_REC_TOS_FWD, TWAMP with
 *   RFC 7750 negotiated), tos_back = received DSCP << 2 | ECN.
 * One way (OWAMP, flag TW_STATS_REC_ONEWAY):
 *   seq, t1 = Timestamp, e1 = Error Estimate, t2 = tw_dp_rx_ntp(), e2 = our
 *   Error Estimate, ttl_fwd = IP TTL / Hop Limit, tos_back = received
 *   DSCP/ECN octet; refl_seq, t3, t4, e4, ttl_back are 0.
 * TW_STATS_REC_T4_HW is set when the packet's RX time came from the NIC
 * (the port delivers hardware timestamps and this packet carried one); it
 * then applies to t4 (round trip) or t2 (one way).
 *
 * Threads: the control thread is the only writer (create, attach, session
 * add/del, drain, destroy); workers call only tw_recv_udp_handler(). The
 * session table shares the reflector's QSBR variable (tw_refl_qsbr()) so
 * the data plane reports one quiescent state for both; a deleted session
 * is freed and its keys wiped after the grace period.
 *
 * Life cycle: tw_recv_create(qsbr = tw_refl_qsbr(refl)) ->
 * tw_dp_ports_create() -> tw_recv_attach() -> tw_recv_session_add() /
 * _del() at any time -> tw_recv_drain() from the control loop -> workers
 * stopped -> tw_dp_ports_destroy() -> tw_recv_destroy().
 */
#ifndef TW_DP_RECV_H
#define TW_DP_RECV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "tw_crypto.h"
#include "tw_dataplane.h"
#include "tw_stats.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tw_recv;

/**
 * Why the receiver dropped a packet (never logged). The X-macro generates
 * the enum and the names; append at the end.
 */
#define TW_RECV_DROPS(X)                                                       \
	X(NO_SESSION, "no_session", "no receive session matches the 5-tuple") \
	X(TOO_SHORT, "too_short", "shorter than the session's packet header") \
	X(BAD_HMAC, "bad_hmac", "HMAC verification failed")                   \
	X(RING_FULL, "ring_full", "record ring full (drained too slowly)")    \
	X(CRYPTO, "crypto", "crypto engine error")

#define TW_RECV_DROP_ENUM(name, id, text) TW_RECV_DROP_##name,
/** Receiver drop reasons. */
enum tw_recv_drop {
	TW_RECV_DROPS(TW_RECV_DROP_ENUM)
	TW_RECV_DROP__MAX
};
#undef TW_RECV_DROP_ENUM

/** What a receive session receives. */
enum tw_recv_kind {
	TW_RECV_TWAMP = 0, /**< TWAMP-Test replies (RFC 5357 §4.2.1) */
	TW_RECV_LIGHT = 1, /**< TWAMP Light replies (RFC 5357 App. I) */
	TW_RECV_STAMP = 2, /**< STAMP replies (RFC 8762 §4.3) */
	TW_RECV_OWAMP = 3, /**< OWAMP-Test packets (RFC 4656 §4.1.2), one way */
};

/** Test-packet security mode. */
enum tw_recv_mode {
	TW_RECV_OPEN = 0, /**< unauthenticated (also TWAMP/OWAMP mixed mode) */
	TW_RECV_AUTH = 1, /**< authenticated */
	TW_RECV_ENC = 2,  /**< encrypted (not STAMP) */
};

/** TWAMP Light auth/enc key: TWAMP-Test AES key | HMAC key. */
#define TW_RECV_LIGHT_KEY_LEN 48u
/** STAMP auth key length bounds (HMAC-SHA-256 key). */
#define TW_RECV_STAMP_KEY_MIN 16u
#define TW_RECV_STAMP_KEY_MAX 64u
/** Default records per worker ring (64 octets each: 4 MiB; 4 ms of a
 *  worker at 14.88 Mpps between two drains). */
#define TW_RECV_RING_DEFAULT 65536u

/** The receiver. */
struct tw_recv_conf {
	unsigned n_workers;         /**< 1..TW_DP_WORKERS_MAX, as in tw_dp_conf */
	uint32_t max_sessions;      /**< 8..2^24 */
	/** The workers' QSBR variable: the reflector's (tw_refl_qsbr()) so
	 *  that tw_dp_conf.qsbr serves both; NULL: one of its own
	 *  (tw_recv_qsbr()), n_workers threads. At least n_workers threads;
	 *  must outlive the receiver. */
	struct rte_rcu_qsbr *qsbr;
	/** Clock for our Error Estimates; NULL: one of its own (TSC) until
	 *  tw_recv_attach() adopts the data plane's. Must outlive it. */
	struct tw_dp_clock *clock;
	/** crypto engine implementation (TW_CRYPTO_IMPL_BEST normally;
	 *  OPENSSL only with one worker) */
	enum tw_crypto_impl crypto;
	/** records per worker ring: a power of 2, 0 = TW_RECV_RING_DEFAULT */
	uint32_t ring_size;
};

/** One receive session. */
struct tw_recv_session {
	int family;                /**< AF_INET or AF_INET6 */
	uint8_t local_addr[16];    /**< network order; IPv4 in the first 4 */
	uint8_t peer_addr[16];
	uint16_t local_port;       /**< host order: where the packets arrive */
	uint16_t peer_port;        /**< host order: where they come from (not 0) */
	enum tw_recv_kind kind;
	enum tw_recv_mode mode;
	bool sym_size;             /**< TWAMP: RFC 6038 Symmetrical Size */
	bool dscp_ecn;             /**< TWAMP: RFC 7750 DSCP-ECN monitoring */
	uint16_t reflect_len;      /**< TWAMP: RFC 6038 octets to reflect */
	/** TWAMP / OWAMP auth/enc: TestAESKey / TestHMACKey
	 *  (tw_crypto_test_keys()); LIGHT auth/enc: the 48-octet key split
	 *  the same way (AES 16 | HMAC 32) */
	struct tw_crypto_session_keys test_keys;
	const uint8_t *stamp_key;  /**< STAMP auth key, 16..64 octets */
	size_t stamp_key_len;
};

/** Slot of a session id: below max_sessions, unique among the sessions
 *  present (a dense index for per-session arrays of the caller). */
#define TW_RECV_ID_SLOT(id) ((uint32_t)(id) & 0xffffffu)

/** One record as drained: the session id and the packet's record. */
struct tw_recv_rec {
	uint32_t session;          /**< id from tw_recv_session_add() */
	uint32_t _pad;
	struct tw_stats_rec rec;
};

/**
 * Create the receiver: session table, one record ring and crypto engine
 * per worker. Needs EAL.
 *
 * @return the receiver, or NULL with rte_errno set (EINVAL, ENOMEM,
 *         ENOTSUP when the control thread got a crypto engine and a worker
 *         did not). Without any engine (no AES-NI) it is created, and
 *         authenticated/encrypted TWAMP/OWAMP sessions get -ENOTSUP.
 */
struct tw_recv *tw_recv_create(const struct tw_recv_conf *conf);

/**
 * Free everything, wiping keys. The workers must have stopped and the data
 * plane it was attached to must be destroyed (its handler points here).
 * NULL is a no-op.
 */
void tw_recv_destroy(struct tw_recv *r);

/** The QSBR variable the receiver uses (the configuration's or its own). */
struct rte_rcu_qsbr *tw_recv_qsbr(struct tw_recv *r);

/**
 * Plug the receiver into a data plane (before tw_dp_ports_start()):
 * installs tw_recv_udp_handler() as the TW_DP_UDP_RECEIVER class handler,
 * claims the local UDP ports of the sessions added so far and later, and
 * uses the data plane's clock when the configuration gave none.
 *
 * @return 0, -EINVAL on NULL, -EBUSY (started, or a session's port is
 *         owned by another class).
 */
int tw_recv_attach(struct tw_recv *r, struct tw_dp *dp);

/**
 * Add a session; its packets are recorded from the next burst on. Ids
 * carry a generation: an id comes back only after its slot was reused 256
 * times, so records still on a ring never name a newer session.
 *
 * @param id receives the session id
 * @return 0, -EINVAL (bad family, kind/mode combination, key, peer port 0,
 *         layout), -EEXIST (same 5-tuple), -ENOSPC (table full), -EBUSY
 *         (the local UDP port is owned by another class, e.g. the
 *         reflector), -ENOMEM or -ENOTSUP (crypto).
 */
int tw_recv_session_add(struct tw_recv *r, const struct tw_recv_session *s,
			uint32_t *id);

/**
 * Remove a session: new packets find no session at once (drop
 * "no_session"); its memory and keys go after a grace period; records
 * already queued are still drained with its id.
 *
 * @return 0, -ENOENT or -EINVAL.
 */
int tw_recv_session_del(struct tw_recv *r, uint32_t id);

/**
 * Take up to @p max records off the workers' rings (single consumer: the
 * control thread), each worker's in the order it made them.
 *
 * @return the number of records written to @p out (0 on NULL arguments).
 */
unsigned tw_recv_drain(struct tw_recv *r, struct tw_recv_rec *out, unsigned max);

/** Counters of a worker, all workers, or one session. */
struct tw_recv_stats {
	uint64_t rx;                        /**< packets given to the receiver */
	uint64_t consumed;                  /**< records made and queued */
	uint64_t drop[TW_RECV_DROP__MAX];   /**< by reason */
	tw_ntp_t last_rx;                   /**< sessions: last RX time */
};

/**
 * Sum of the workers' counters (@p worker -1) or one worker's.
 * @return 0, or -EINVAL on NULL or a bad index.
 */
int tw_recv_stats(const struct tw_recv *r, int worker, struct tw_recv_stats *out);

/**
 * One session's counters ("no_session" is never counted on a session).
 * @return 0, -ENOENT or -EINVAL.
 */
int tw_recv_session_stats(const struct tw_recv *r, uint32_t id,
			  struct tw_recv_stats *out);

/** Sessions present. */
unsigned tw_recv_session_count(const struct tw_recv *r);

/** Short identifier ("no_session", ...) of a drop reason, or "unknown". */
const char *tw_recv_drop_name(unsigned reason);

/**
 * Serve the counters through DPDK telemetry: /twamp/recv/stats (summed,
 * with sessions), /twamp/recv/session,<id>. Registered once per process;
 * the latest receiver is reported until it is destroyed.
 * @return 0, -EINVAL, or the error of rte_telemetry_register_cmd().
 */
int tw_recv_telemetry_register(struct tw_recv *r);

/**
 * The tw_dp_udp_fn (arg = struct tw_recv *): verdict TW_DP_V_CONSUMED or
 * TW_DP_V_DROP per packet. tw_recv_attach() installs it.
 */
void tw_recv_udp_handler(void *arg, unsigned worker, unsigned port,
			 struct rte_mbuf **pkts, uint16_t n, uint8_t *verdict);

#ifdef __cplusplus
}
#endif

#endif /* TW_DP_RECV_H */
