/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * ESP (and AH) terminated in the worker cores (DESIGN.md §5).
 *
 * An SA table keyed by (protocol, direction, SPI, destination address):
 * the control thread is the only writer, the workers look SAs up without
 * locks (lib/keys: rte_hash LF + the reflector's RCU QSBR variable). An SA
 * is a librte_ipsec SA plus a crypto session on a software cryptodev
 * (`crypto_aesni_mb`, `crypto_aesni_gcm`, created by tw_ipsec_create()
 * with one queue pair per worker). The rte_security action type is a
 * parameter: CPU_CRYPTO (synchronous, the default) or NONE (lookaside
 * cryptodev enqueue/dequeue); inline and lookaside-protocol offload are
 * reserved for ports whose NIC offers them.
 *
 * Worker path: tw_ipsec_dp_inbound() takes ESP (IP protocol 50), AH (51)
 * and
 * ESP-in-UDP (RFC 3948) packets, leaves the ones it does not own
 * untouched for the exception path (IKE behind the non-ESP marker, SPIs
 * of the host's own IPsec stack), verifies, decrypts, checks the replay
 * window and strips the outer headers; the inner packet goes through the
 * normal UDP classification (the reflector), and tw_ipsec_dp_outbound()
 * protects the reply with the inbound SA's paired outbound SA.
 *
 * Library code: never prints, never exits; 0 / -errno.
 */
#ifndef TW_IPSEC_H
#define TW_IPSEC_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "tw_ipsec_ds.h"
#include "tw_ipsec_ts.h"
#include <rte_rcu_qsbr.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most workers a context serves (one cryptodev queue pair each). */
#define TW_IPSEC_WORKERS_MAX 64u
/** Largest key material: AES-256 key + 4-octet salt, HMAC-SHA256 key. */
#define TW_IPSEC_KEY_MAX 36u
/** Largest anti-replay window (packets). */
#define TW_IPSEC_REPLAY_MAX 4096u
/** Default anti-replay window (RFC 4303 §3.4.3: 64 at least). */
#define TW_IPSEC_REPLAY_DEFAULT 64u

/** Traffic direction, seen from this appliance. */
enum tw_ipsec_dir {
	TW_IPSEC_IN = 0,   /**< the peer protects, we verify and decrypt */
	TW_IPSEC_OUT = 1,  /**< we protect the replies */
};

/** IPsec protocol. */
enum tw_ipsec_proto {
	TW_IPSEC_ESP = 0,  /**< RFC 4303 */
	TW_IPSEC_AH = 1,   /**< RFC 4302 (application code: tw_ipsec_ah.h) */
};

/** IPsec mode. */
enum tw_ipsec_mode {
	TW_IPSEC_TUNNEL = 0,     /**< RFC 4301 §4.1: outer IP header added */
	TW_IPSEC_TRANSPORT = 1,  /**< ESP between the IP header and UDP */
};

/** Encryption (key material as IKEv2 derives it, RFC 7296 §2.17). */
enum tw_ipsec_cipher {
	TW_IPSEC_CIPHER_NULL = 0,     /**< RFC 2410 (AH, or refused for ESP) */
	TW_IPSEC_CIPHER_AES_GCM_128,  /**< key 16 + salt 4 (RFC 4106 §8.1), ICV 16 */
	TW_IPSEC_CIPHER_AES_GCM_256,  /**< key 32 + salt 4 */
	TW_IPSEC_CIPHER_AES_CBC_128,  /**< key 16 (RFC 3602) */
	TW_IPSEC_CIPHER_AES_CBC_256,  /**< key 32 */
	TW_IPSEC_CIPHER_AES_CTR_128,  /**< key 16 + nonce 4 (RFC 3686 §5.1) */
	TW_IPSEC_CIPHER_AES_CTR_256,  /**< key 32 + nonce 4 */
	TW_IPSEC_CIPHER__MAX
};

/** Integrity (none only with an AEAD cipher). */
enum tw_ipsec_auth {
	TW_IPSEC_AUTH_NONE = 0,
	TW_IPSEC_AUTH_HMAC_SHA1_96,     /**< key 20 (RFC 2404) */
	TW_IPSEC_AUTH_HMAC_SHA256_128,  /**< key 32 (RFC 4868) */
	TW_IPSEC_AUTH__MAX
};

/** How the crypto work is done (rte_security action types). */
enum tw_ipsec_action {
	TW_IPSEC_ACT_CPU_CRYPTO = 0,  /**< synchronous, in the worker (default) */
	TW_IPSEC_ACT_LOOKASIDE_NONE,  /**< cryptodev enqueue/dequeue */
	TW_IPSEC_ACT_INLINE_CRYPTO,   /**< NIC inline crypto: -ENOTSUP here */
	TW_IPSEC_ACT_LOOKASIDE_PROTOCOL, /**< NIC/crypto-device ESP: -ENOTSUP here */
	TW_IPSEC_ACT__MAX
};

/** One SA, as tw_ipsec_sa_add() takes it (the key file's or IKE's). */
struct tw_ipsec_sa_conf {
	uint32_t spi;                 /**< >= 256 (RFC 4303 §2.1) */
	enum tw_ipsec_dir dir;
	enum tw_ipsec_proto proto;
	enum tw_ipsec_mode mode;
	uint8_t ipv;                  /**< outer family: 4 or 6 */
	uint8_t inner_ipv;            /**< tunnel: inner family, 0 = as outer */
	uint8_t src[16];              /**< outer source, network order (IPv4: 4) */
	uint8_t dst[16];              /**< outer destination; IN: ours */
	bool encap_udp;               /**< ESP in UDP (RFC 3948), ESP only */
	uint16_t encap_sport;         /**< host order; 0 = 4500 */
	uint16_t encap_dport;         /**< host order; 0 = 4500 */
	enum tw_ipsec_cipher cipher;
	enum tw_ipsec_auth auth;
	uint8_t cipher_key[TW_IPSEC_KEY_MAX]; /**< key, then salt/nonce */
	uint8_t cipher_key_len;       /**< must equal tw_ipsec_cipher_key_len() */
	uint8_t auth_key[TW_IPSEC_KEY_MAX];
	uint8_t auth_key_len;         /**< must equal tw_ipsec_auth_key_len() */
	bool esn;                     /**< 64-bit sequence numbers (RFC 4303 §2.2.1) */
	uint32_t replay_window;       /**< IN: packets, 0 = TW_IPSEC_REPLAY_DEFAULT */
	bool no_replay;               /**< IN: disable the anti-replay check */
	uint64_t seq_start;           /**< OUT: last sequence number used (0) */
	/** OUT tunnel only: the outer DSCP is @c outer_dscp (0..63) rather
	 *  than the inner packet's (RFC 4301 §5.1.2.1: copied unless
	 *  configured); the outer ECN field is the inner's either way (RFC
	 *  6040 §4.1). false (the default): DSCP copied. */
	bool outer_dscp_fixed;
	uint8_t outer_dscp;
	/** IN only: SPI of the outbound SA that protects the replies to what
	 *  arrives on this one (0 = none: replies are dropped and counted).
	 *  The outbound SA must exist; its destination is this SA's source. */
	uint32_t reply_spi;
	/** IN only: the SA's traffic selectors (RFC 4301 §5.2): a decrypted
	 *  packet's destination (address, protocol, port) must lie in one of
	 *  @c ts_local, its source in one of @c ts_remote, else it is dropped
	 *  and counted (ts_mismatch). An empty list is not checked (static SAs
	 *  have none). */
	uint8_t n_ts_local, n_ts_remote;
	struct tw_ipsec_ts ts_local[TW_IPSEC_TS_MAX];
	struct tw_ipsec_ts ts_remote[TW_IPSEC_TS_MAX];
};

/** Per-SA counters (summed over the workers). */
struct tw_ipsec_sa_stats {
	uint64_t packets;      /**< IN: verified and decrypted; OUT: protected */
	uint64_t octets;       /**< IN: ESP octets received; OUT: sent */
	uint64_t auth_fail;    /**< IN: ICV did not verify (RFC 4303 §3.4.4) */
	uint64_t replay_drop;  /**< IN: outside or seen in the window (§3.4.3) */
	uint64_t bad;          /**< IN: malformed (length, padding, next header) */
	uint64_t inner_drop;   /**< IN: decrypted, but no test session took it */
	uint64_t ts_mismatch;  /**< IN: decrypted, outside the SA's selectors (RFC 4301 §5.2) */
	uint64_t no_reply_sa;  /**< IN: reply dropped: no paired outbound SA */
	uint64_t ecn_drop;     /**< IN tunnel: outer CE over a Not-ECT inner packet (RFC 6040 §4.2) */
	uint64_t seq_overflow; /**< OUT: sequence numbers exhausted (§3.3.3) */
	uint64_t errors;       /**< crypto device or buffer errors */
};

/** An SA as listed (no keys). */
struct tw_ipsec_sa_info {
	struct tw_ipsec_sa_conf conf; /**< cipher_key/auth_key zeroed */
	struct tw_ipsec_sa_stats stats;
	/** Order of addition in this context, from 1 (the newest is the
	 *  highest): a Child SA rekey installs a higher one */
	uint64_t serial;
};

/** Context parameters. */
struct tw_ipsec_conf {
	unsigned n_workers;           /**< 1..TW_IPSEC_WORKERS_MAX */
	struct rte_rcu_qsbr *qsbr;    /**< the workers' QSBR variable (required) */
	uint32_t max_sas;             /**< both directions; 0 = 1024 */
	int socket;                   /**< NUMA socket (SOCKET_ID_ANY) */
	enum tw_ipsec_action action;  /**< CPU_CRYPTO or LOOKASIDE_NONE */
	const char *name;             /**< unique per process (vdev/pool names);
				           NULL = "tw" */
};

struct tw_ipsec;

/** Cipher key material length (key + salt/nonce), or 0 if unknown/NULL. */
unsigned tw_ipsec_cipher_key_len(enum tw_ipsec_cipher c);
/** Integrity key length, or 0 for none/unknown. */
unsigned tw_ipsec_auth_key_len(enum tw_ipsec_auth a);
/** Short names ("aes-gcm-128", "hmac-sha256-128", ...), NULL if unknown. */
const char *tw_ipsec_cipher_name(enum tw_ipsec_cipher c);
/** @copydoc tw_ipsec_cipher_name */
const char *tw_ipsec_auth_name(enum tw_ipsec_auth a);

/**
 * Create a context: the SA table, the crypto vdevs (crypto_aesni_mb and,
 * when the build has it, crypto_aesni_gcm, named after conf->name) with
 * one queue pair per worker, the session and crypto-op pools.
 * Call after rte_eal_init(), on the control thread.
 * @return the context, or NULL with errno (EINVAL, ENOMEM, ENODEV, ENOTSUP).
 */
struct tw_ipsec *tw_ipsec_create(const struct tw_ipsec_conf *conf);

/** Free the context, its SAs (keys wiped) and vdevs; workers must have
 *  stopped. NULL is a no-op. */
void tw_ipsec_destroy(struct tw_ipsec *ctx);

/**
 * Validate @p c and add the SA (control thread). Encryption-only ESP and
 * ESP-NULL without integrity are refused; AEAD with an integrity
 * algorithm is refused; transport mode over UDP is -ENOTSUP. AH takes
 * cipher NULL and HMAC-SHA1-96 or HMAC-SHA2-256-128, no ESN, no UDP
 * (-EINVAL / -ENOTSUP otherwise).
 * Nothing changes on error.
 * @return 0, -EINVAL (bad field), -EEXIST (same dir/proto/SPI/dst),
 *         -ENOENT (reply_spi names no outbound SA), -ENOTSUP, -ENOSPC,
 *         -ENOMEM, or the crypto device's error.
 */
int tw_ipsec_sa_add(struct tw_ipsec *ctx, const struct tw_ipsec_sa_conf *c);

/**
 * Delete an SA (control thread); workers stop seeing it at once, its
 * keys are wiped after the grace period. An outbound SA that an inbound
 * SA still pairs with is -EBUSY (re-pair first: tw_ipsec_sa_pair()).
 * @p dst is the SA's outer destination (4 or 16 octets as @p ipv).
 * @return 0, -EINVAL, -ENOENT, -EBUSY.
 */
int tw_ipsec_sa_del(struct tw_ipsec *ctx, enum tw_ipsec_dir dir,
		    enum tw_ipsec_proto proto, uint32_t spi, unsigned ipv,
		    const uint8_t *dst);

/**
 * Pair inbound SA @p in_spi (destination @p dst) with outbound SA
 * @p out_spi (0 = unpair); takes effect atomically (Child SA rekey).
 * @return 0, -EINVAL, -ENOENT.
 */
int tw_ipsec_sa_pair(struct tw_ipsec *ctx, enum tw_ipsec_proto proto,
		     uint32_t in_spi, unsigned ipv, const uint8_t *dst,
		     uint32_t out_spi);

/**
 * One SA's configuration (keys zeroed) and counters.
 * @return 0, -EINVAL, -ENOENT.
 */
int tw_ipsec_sa_get(const struct tw_ipsec *ctx, enum tw_ipsec_dir dir,
		    enum tw_ipsec_proto proto, uint32_t spi, unsigned ipv,
		    const uint8_t *dst, struct tw_ipsec_sa_info *out);

/**
 * Iterate the SAs (control thread): start with @p *next = 0.
 * @return 1 with @p *out filled, 0 at the end, -EINVAL.
 */
int tw_ipsec_sa_iterate(const struct tw_ipsec *ctx, uint32_t *next,
			struct tw_ipsec_sa_info *out);

/** Number of SAs present. */
unsigned tw_ipsec_sa_count(const struct tw_ipsec *ctx);

/**
 * The SA table's generation: it changes with every SA added, deleted or
 * re-paired (control thread), before a deleted SA leaves the table. A
 * thread that keeps an SA handle (tw_ipsec_dp_sa()) across its quiescent
 * states reads this first in each pass and looks the SA up again when it
 * changed: the handle it kept is then still valid for the pass in which
 * it saw the old generation (the deletion waits for that pass's end).
 * @return the generation (0 for NULL).
 */
uint64_t tw_ipsec_generation(const struct tw_ipsec *ctx);

/**
 * Register the DPDK telemetry commands /twamp/ipsec/sas (the SA names,
 * "in:0x00002001"), /twamp/ipsec/sa,<name> (algorithms and counters; never
 * keys) and /twamp/ipsec/stats (totals per direction) for @p ctx (one
 * context per process is reported; the last registered).
 * @return 0 or -errno.
 */
int tw_ipsec_telemetry_register(struct tw_ipsec *ctx);

/** Worker verdicts of tw_ipsec_dp_inbound(). */
enum tw_ipsec_verdict {
	TW_IPSEC_V_NOT_OURS = 0,  /**< untouched: hand to the exception path */
	TW_IPSEC_V_INNER = 1,     /**< now the inner packet (L2 restored) */
	TW_IPSEC_V_DROP = 2,      /**< failed (counted per SA): free it */
	TW_IPSEC_V_HOST = 3,      /**< ESP/AH whose SPI and destination name no
				       SA here: the host's own IPsec, untouched,
				       to the exception path */
};

/**
 * Inbound, on a worker: @p pkts have l2_len and l3_len set to the outer
 * Ethernet(+VLAN) and IP headers; those carrying ESP (IP protocol 50) or
 * ESP-in-UDP (the UDP header follows l3_len) are looked up by SPI and
 * destination, verified, decrypted and decapsulated. An INNER packet
 * starts with the original L2 header (EtherType set to the inner family)
 * followed by the inner IP packet; its reply handle @p reply[i] goes to
 * tw_ipsec_dp_outbound() with the reply (NULL when the SA has no paired
 * outbound SA). Non-ESP marker (IKE) and keepalives are NOT_OURS, ESP and
 * AH of an SPI without an SA are HOST; both untouched. Packets of one flow
 * must stay on one worker.
 *
 * @param ctx      the context
 * @param worker   the calling worker (its cryptodev queue pair)
 * @param pkts     @p n packets (n <= 32); mbufs may be replaced in place
 * @param verdict  @p n verdicts out
 * @param reply    @p n reply handles out (valid for INNER)
 * @return the number of INNER packets.
 */
uint16_t tw_ipsec_dp_inbound(struct tw_ipsec *ctx, unsigned worker,
			     struct rte_mbuf **pkts, uint16_t n,
			     uint8_t verdict[], void *reply[]);

/**
 * Account an INNER packet that no fast-path handler took (dropped by the
 * caller): counted as inner_drop on the SA it came from.
 */
void tw_ipsec_dp_inner_drop(struct tw_ipsec *ctx, unsigned worker, void *reply);

/**
 * RFC 4301 §5.2: does a decrypted packet (family @p ipv, addresses @p src
 * and @p dst, transport protocol @p proto and ports, host order) match the
 * traffic selectors of the inbound SA @p reply it came in on? A mismatch
 * is counted as ts_mismatch on that SA; the caller drops the packet. An
 * SA without selectors matches everything.
 */
bool tw_ipsec_dp_inner_ok(struct tw_ipsec *ctx, unsigned worker, void *reply, unsigned ipv,
			  const uint8_t *src, const uint8_t *dst, uint8_t proto,
			  uint16_t sport, uint16_t dport);

/**
 * Outbound, on a worker: protect replies (Ethernet + IP + UDP, as the
 * reflector leaves them) with the outbound SA of each packet's reply
 * handle: tunnel header (and UDP encap) added, IPv4 checksum filled, the
 * L2 header kept (EtherType set to the outer family). Packets are
 * reordered: the first (return value) are ready to transmit, the rest
 * failed and must be freed by the caller (counted per SA).
 * @return the number of packets ready to transmit.
 */
uint16_t tw_ipsec_dp_outbound(struct tw_ipsec *ctx, unsigned worker,
			      struct rte_mbuf **pkts, void *reply[], uint16_t n);

/**
 * An outbound SA's handle for tw_ipsec_dp_protect(), looked up without a
 * lock (a QSBR reader of the context's variable: a worker, or a hook in a
 * worker's loop). Valid until the caller's next quiescent state, longer
 * under the rule of tw_ipsec_generation().
 * @return the handle, or NULL (no such SA, or a bad argument).
 */
void *tw_ipsec_dp_sa(struct tw_ipsec *ctx, enum tw_ipsec_proto proto, uint32_t spi,
		     unsigned ipv, const uint8_t *dst);

/**
 * Outbound on a worker, for locally originated packets (the
 * Session-Sender's test streams): protect each of @p pkts (Ethernet + IP
 * + UDP, complete with checksums) with its own outbound SA @p sa[i]
 * (tw_ipsec_dp_sa()), as tw_ipsec_dp_outbound() does with the replies.
 * Counted on the SA in @p worker's slot (packets, octets, errors,
 * seq_overflow). Packets are reordered: the first (return value) are
 * ready to transmit, the rest failed and must be freed by the caller.
 * @return the number of packets ready to transmit.
 */
uint16_t tw_ipsec_dp_protect(struct tw_ipsec *ctx, unsigned worker,
			     struct rte_mbuf **pkts, void *sa[], uint16_t n);

#ifdef __cplusplus
}
#endif

#endif /* TW_IPSEC_H */
