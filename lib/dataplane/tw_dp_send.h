/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The Session-Sender on the data plane: paced test streams (RFC 5357 §4.1
 * TWAMP-Test, RFC 5357 App. I TWAMP Light, RFC 8762 §4.2 STAMP, RFC 4656
 * §4.1 OWAMP-Test, which has the TWAMP sender format) scheduled by TSC.
 *
 * One sender per data plane. It keeps every running stream in a min-heap
 * keyed by the TSC of its next departure; one pass (tw_send_poll()) takes
 * every stream that is due, builds one packet each (several per stream when
 * it fell behind, up to a burst), then right before rte_eth_tx_burst()
 * reads the TSC once, writes that as the Sender Timestamp (t1) of each
 * packet, protects them (HMAC / encryption, lib/crypto's burst API),
 * finishes the UDP checksum and transmits. Order per mode:
 *  - open, TWAMP auth (its HMAC covers only the first block, which holds no
 *    timestamp): protect first, stamp last, checksum adjusted for the 8
 *    timestamp octets;
 *  - TWAMP enc, STAMP auth (the timestamp is inside the protected part):
 *    stamp, then protect, then checksum.
 *  - a stream inside an IPsec tunnel (tw_send_stream.ipsec): all of the
 *    above, then ESP/AH by its outbound SA (tw_send_ipsec_ops.protect):
 *    the timestamp precedes the encryption.
 * The departure error (the TSC just before the TX burst minus the scheduled
 * TSC) goes into a histogram per stream; a packet later than
 * tw_send_conf.late_ns is counted as late (it is still sent, with its real
 * time: the schedule is the plan, t1 the truth).
 *
 * Where it runs: on a sender lcore of its own (tw_send_main()), with one TX
 * queue per port reserved for it (tw_dp_conf.sender_txq), or, without a
 * spare lcore or queue, inside worker 0's loop (tw_send_attach() installs
 * it as the worker hook and uses worker 0's queue). The sender thread is
 * the only writer of the heap and the stream send state.
 *
 * Threads: tw_send_create/attach/set_ipsec/stream_add/stream_set_sa/
 * stream_stop/stream_del/drain/stream_get/destroy from the control thread
 * only (one writer); commands
 * reach the sender thread through a ring. Every packet sent is reported
 * back as a struct tw_send_rec (stream, seq, t1) on a single-producer ring
 * that the control thread drains (tw_send_drain()), so each one can be
 * given to lib/stats (tw_stats_sent()) and sent = received + lost holds:
 * the sender does not transmit a packet unless its record fits the ring
 * (it counts a "ring_full" stall and retries on the next pass instead).
 *
 * Next hop: tw_send_nexthop() asks the kernel (rtnetlink on the port's TAP
 * interface) for the route and the neighbour entry of the next hop, and
 * makes the kernel resolve it when absent; the app polls it until it
 * answers or a deadline passes (the ARP/ND reply arrives through the
 * exception path, so the control thread must keep serving tw_dp_service()
 * meanwhile: hence non-blocking).
 */
#ifndef TW_DP_SEND_H
#define TW_DP_SEND_H

#include <stdbool.h>
#include <stdint.h>

#include "tw_crypto.h"
#include "tw_dataplane.h"
#include "tw_proto_test.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tw_send;
struct rte_mbuf;

/** Test protocol of a stream. */
enum tw_send_proto {
	TW_SEND_TWAMP = 0, /**< TWAMP-Test of a full TWAMP session (RFC 5357 §4.1.2) */
	TW_SEND_LIGHT = 1, /**< TWAMP Light (RFC 5357 App. I): the same format */
	TW_SEND_STAMP = 2, /**< STAMP Session-Sender (RFC 8762 §4.2) */
	TW_SEND_OWAMP = 3, /**< OWAMP-Test (RFC 4656 §4.1.2): the same format, one way */
};

/** Departure schedule. */
enum tw_send_sched {
	TW_SEND_PERIODIC = 0, /**< every interval_ns */
	TW_SEND_POISSON = 1,  /**< exponential gaps of mean interval_ns */
};

/** Largest padding after the sender header (jumbo frames not supported). */
#define TW_SEND_PAD_MAX 1400u
/** STAMP auth key length bounds (HMAC-SHA-256 key). */
#define TW_SEND_STAMP_KEY_MIN 16u
#define TW_SEND_STAMP_KEY_MAX 64u
/** TWAMP Light auth/enc key: TWAMP-Test AES key (16) | HMAC key (32). */
#define TW_SEND_LIGHT_KEY_LEN 48u

/**
 * An outbound IPsec SA as the sender names it (SPI and outer destination:
 * the key of lib/ipsec's table). The control thread chooses it (the SPD
 * rule is the application's: docs/architecture.md) and may change it
 * while the stream runs (a Child SA rekey: tw_send_stream_set_sa()).
 */
struct tw_send_sa {
	uint32_t spi;           /**< >= 256 */
	uint8_t ipv;            /**< outer family: 4 or 6 */
	uint8_t dst[16];        /**< outer destination, network order */
};

/**
 * Outbound IPsec for streams (tw_send_set_ipsec()); the application wires
 * lib/ipsec in (the sender does not link it). Called on the sender thread
 * (worker 0's loop: a reader of lib/ipsec's QSBR variable).
 */
struct tw_send_ipsec_ops {
	/** the SA table's generation (tw_ipsec_generation()) */
	uint64_t (*generation)(void *arg);
	/** outbound SA handle (tw_ipsec_dp_sa()), NULL when absent */
	void *(*lookup)(void *arg, const struct tw_send_sa *sa);
	/** protect @p n packets, each with its handle (tw_ipsec_dp_protect()):
	 *  the first (return value) are good, the failed ones behind */
	uint16_t (*protect)(void *arg, unsigned worker, struct rte_mbuf **pkts, void *sa[],
			    uint16_t n);
};

/** The sender. */
struct tw_send_conf {
	uint32_t max_streams;   /**< 1..65536 at once */
	uint32_t ring_size;     /**< sent-record ring, power of 2; 0 = 65536 */
	uint64_t late_ns;       /**< a departure later than this is "late"; 0 = 10 µs */
	enum tw_crypto_impl crypto; /**< TW_CRYPTO_IMPL_BEST normally */
};

/**
 * One paced stream. Everything is copied by tw_send_stream_add(); keys are
 * wiped when the stream is deleted.
 */
struct tw_send_stream {
	unsigned port;          /**< data-plane port index */
	int family;             /**< AF_INET or AF_INET6 */
	uint8_t src[16], dst[16]; /**< network order; IPv4 in the first 4 */
	uint16_t sport, dport;  /**< host order; dport != 0 */
	uint8_t dst_mac[6];     /**< next hop (tw_send_nexthop()) */
	uint16_t vlan;          /**< 0 = the port's VLAN */
	uint8_t dscp;           /**< 0..63 */
	uint8_t ecn;            /**< 0..3 */
	uint8_t ttl;            /**< 0 = 255 */
	enum tw_send_proto proto;
	enum tw_test_mode mode; /**< STAMP: UNAUTH or AUTH */
	/** TWAMP/LIGHT/OWAMP: the session layout (Symmetrical Size etc.);
	 *  its mode must equal @p mode */
	struct tw_test_layout layout;
	/** TWAMP/LIGHT/OWAMP auth/enc: the test keys (tw_crypto_test_keys()) */
	struct tw_crypto_session_keys keys;
	/** STAMP auth: HMAC-SHA-256 key */
	uint8_t stamp_key[TW_SEND_STAMP_KEY_MAX];
	uint8_t stamp_key_len;
	uint16_t ssid;          /**< STAMP Session-Sender Identifier, 0 = none */
	uint32_t padding;       /**< octets after the sender header, <= TW_SEND_PAD_MAX */
	/** TWAMP: RFC 6038 §4.3 Server octets of the Accept-Session; when
	 *  non-zero they open the padding (RFC 6038 §5.1.2, padding >= 2) */
	uint16_t server_octets;
	uint64_t count;         /**< packets; 0 = until duration_ns */
	uint64_t duration_ns;   /**< 0 = until count; both set: whichever ends first */
	uint64_t interval_ns;   /**< (mean) gap, >= 1 */
	enum tw_send_sched sched;
	uint64_t seed;          /**< Poisson PRNG seed; 0 = random */
	/** Poisson: take the gaps from RFC 4656 §5 (lib/control tw_sched,
	 *  AES-counter generator keyed with @p sid) instead of the PRNG, so
	 *  the far end can reproduce the send times (OWAMP needs this; full
	 *  TWAMP uses its SID for a reproducible stream) */
	bool rfc4656_sched;
	uint8_t sid[16];
	tw_ntp_t start;         /**< first departure; 0 = now */
	uint32_t first_seq;     /**< Sequence Number of the first packet (0) */
	/** Protect every packet with outbound SA @p sa (ESP/AH, lib/ipsec
	 *  through tw_send_set_ipsec()) after the test packet is complete:
	 *  the Sender Timestamp is written before the encryption. A packet
	 *  whose SA is missing waits (a "stall") until the control thread
	 *  names one that exists: none is sent in the clear. Needs the
	 *  sender in worker 0's loop (not a dedicated lcore). */
	bool ipsec;
	struct tw_send_sa sa;
};

/** What tw_send_drain() returns per packet sent. */
struct tw_send_rec {
	uint32_t stream;        /**< id from tw_send_stream_add() */
	uint32_t seq;
	tw_ntp_t t1;            /**< the Sender Timestamp in the packet */
};

/** Stream life: ADDED (queued) -> RUNNING -> DONE (count/duration reached or stopped). */
enum tw_send_state {
	TW_SEND_S_FREE = 0,
	TW_SEND_S_ADDED,
	TW_SEND_S_RUNNING,
	TW_SEND_S_DONE,
};

/** Counters and departure error of one stream (tw_send_stream_get()). */
struct tw_send_stream_stats {
	enum tw_send_state state;
	uint64_t sent;          /**< packets handed to the port */
	uint64_t tx_drop;       /**< built but refused by rte_eth_tx_burst (not sent, seq skipped) */
	uint64_t late;          /**< departures later than late_ns */
	uint64_t stalls;        /**< passes that waited for room in the record ring */
	uint64_t crypto_err;    /**< packets not sent because protection failed
				     (test-packet crypto or IPsec) */
	uint64_t ipsec;         /**< packets protected by an IPsec SA */
	uint64_t no_sa;         /**< passes that waited for an outbound SA */
	uint32_t next_seq;
	struct tw_dp_hist depart; /**< actual - scheduled, ns */
};

/**
 * Create the sender (control thread; needs EAL).
 * @return the sender, or NULL with rte_errno (EINVAL bad @p conf, ENOMEM,
 *         ENOTSUP no crypto engine).
 */
struct tw_send *tw_send_create(const struct tw_send_conf *conf);

/**
 * Bind to a data plane (created, not started): per port, the sender's TX
 * queue when tw_dp_conf.sender_txq reserved one, else worker 0's queue
 * with the sender run as worker 0's hook (tw_dp_set_worker_hook()).
 *
 * @param dedicated true: the caller runs tw_send_main() on an lcore of its
 *        own (every port must then have a sender queue); false: worker 0
 *        runs it.
 * @return 0, -EINVAL, -EBUSY (started, or already attached), -ENOTSUP
 *         (@p dedicated without a sender queue on some port).
 */
int tw_send_attach(struct tw_send *s, struct tw_dp *dp, bool dedicated);

/**
 * One sender pass (the sender thread only): commands, due packets, TX.
 * @return packets sent.
 */
unsigned tw_send_poll(struct tw_send *s);

/**
 * lcore entry: tw_send_poll() until tw_dp_quit() on the attached data plane.
 * @return 0, -EINVAL when not attached as dedicated.
 */
int tw_send_main(void *s);

/**
 * Validate and queue a stream for the sender thread (control thread).
 * @param id  out: the stream id (also in every tw_send_rec)
 * @return 0, -EINVAL (a bad field; nothing changed), -ENOSPC (max_streams
 *         in use), -ENOMEM, -ENOTSUP (a crypto context could not be made).
 */
int tw_send_stream_add(struct tw_send *s, const struct tw_send_stream *st, uint32_t *id);

/**
 * Wire outbound IPsec (control thread, before the first stream with
 * tw_send_stream.ipsec).
 * @return 0, -EINVAL (@p ops incomplete), -EBUSY (streams exist).
 */
int tw_send_set_ipsec(struct tw_send *s, const struct tw_send_ipsec_ops *ops, void *arg);

/**
 * Name another outbound SA for an IPsec stream (control thread; a Child SA
 * rekey). The sender thread takes it at its next pass, without a lock;
 * packets keep leaving on the old SA until then, as long as it exists.
 * @return 0, -ENOENT (no such stream), -EINVAL (not an IPsec stream, or
 *         a bad @p sa).
 */
int tw_send_stream_set_sa(struct tw_send *s, uint32_t id, const struct tw_send_sa *sa);

/**
 * Ask the sender to stop a stream now (it becomes DONE).
 * @return 0, -ENOENT (no such stream), -EAGAIN (command ring full, retry).
 */
int tw_send_stream_stop(struct tw_send *s, uint32_t id);

/**
 * Free a DONE stream (after its last records were drained); keys wiped.
 * @return 0, -ENOENT, -EBUSY (not DONE yet: stop it first).
 */
int tw_send_stream_del(struct tw_send *s, uint32_t id);

/**
 * Counters, state and departure-error histogram of a stream.
 * @return 0, -ENOENT, -EINVAL.
 */
int tw_send_stream_get(const struct tw_send *s, uint32_t id,
		       struct tw_send_stream_stats *out);

/**
 * Records of packets sent since the last call (control thread).
 * @return how many were written to @p out (<= @p max).
 */
unsigned tw_send_drain(struct tw_send *s, struct tw_send_rec *out, unsigned max);

/** Sender-wide counters (sum over streams, also of deleted ones). */
struct tw_send_stats {
	uint64_t sent, tx_drop, late, stalls, crypto_err, ipsec, no_sa;
	uint64_t streams_added, streams_done;
	uint32_t running;       /**< streams in the heap now */
	struct tw_dp_hist depart; /**< every departure */
};

/** @return 0, or -EINVAL. */
int tw_send_stats_get(const struct tw_send *s, struct tw_send_stats *out);

/**
 * Serve /twamp/send/stats and /twamp/send/stream,<id> through DPDK
 * telemetry (the most recently registered sender is reported).
 * @return 0, -EINVAL, or the error of rte_telemetry_register_cmd().
 */
int tw_send_telemetry_register(struct tw_send *s);

/** Detach (workers stopped) and free everything; keys wiped. NULL is a no-op. */
void tw_send_destroy(struct tw_send *s);

/**
 * Next-hop MAC of @p dst through port @p port's TAP (control thread): the
 * kernel's route to @p dst (gateway or on-link) and its neighbour entry.
 * When the entry is missing or incomplete and @p probe is set, the kernel
 * is made to resolve it (a UDP datagram to the discard port of the next
 * hop through the TAP) and -EAGAIN is returned: call again later (keep
 * tw_dp_service() running) until 0 or your deadline.
 *
 * @param nexthop out (may be NULL): the address resolved (gateway or @p dst)
 * @return 0 with @p mac, -EAGAIN (resolving), -ENETUNREACH (no route via
 *         this port's TAP), -EHOSTUNREACH (the kernel marked it FAILED),
 *         -ENODEV (port without exception path), -EINVAL, or -errno.
 */
int tw_send_nexthop(struct tw_dp *dp, unsigned port, int family, const uint8_t dst[16],
		    bool probe, uint8_t mac[6], uint8_t nexthop[16]);

/**
 * Sender header length of a stream (octets before the padding).
 * @return the length, or -EINVAL.
 */
int tw_send_header_len(const struct tw_send_stream *st);

/**
 * Exponential gap for Poisson streams without an RFC 4656 §5 schedule:
 * inverse transform -ln(U) * mean with U in (0,1] from a xoshiro256**
 * state (53 random bits). Exposed for the schedule unit test.
 *
 * @param state 4 words, not all zero
 * @param mean_ns mean gap
 * @return the next gap in ns (>= 1)
 */
uint64_t tw_send_exp_gap(uint64_t state[4], uint64_t mean_ns);

#ifdef __cplusplus
}
#endif

#endif /* TW_DP_SEND_H */
