/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Key import (docs/key-import.md, DESIGN.md §5): the line protocol an IKE
 * daemon (contrib/strongswan) and `twamp-ctl key` use to hand twamp-dp IKE
 * SA keys (RFC 7717) and Child SA keys, the IKE SA table, and the Unix
 * socket server. No DPDK: twamp-ping links it too.
 *
 * Threading: one thread (the control thread) owns a table, its sessions
 * and its server. Nothing here locks. Readers that keep a key beyond the
 * current call (a TWAMP-Control connection) take a copy with
 * tw_keyimp_ike_get() / tw_keyimp_ike_by_peer(), so a later rekey or
 * delete never changes a running test; they wipe the copy with
 * tw_keyimp_ike_wipe() when done.
 *
 * Child SAs are validated here and handed to the ops callbacks (lib/ipsec
 * in twamp-dp); the table keeps a copy of each (with its keys, wiped on
 * delete) for idempotency, `list` and resync.
 */
#ifndef TW_KEYIMP_H
#define TW_KEYIMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tw_ctrl_client.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TW_KEYIMP_VERSION 1u      /**< protocol version spoken */
#define TW_KEYIMP_LINE_MAX 4096u  /**< octets per line, LF included */
#define TW_KEYIMP_FIELDS_MAX 48u  /**< fields per line */
#define TW_KEYIMP_EXT_MAX 4u      /**< x-* fields per line */
#define TW_KEYIMP_TEXT_MAX 255u   /**< decoded free-text value */
#define TW_KEYIMP_TS_MAX 16u      /**< traffic selectors per list */
#define TW_KEYIMP_CLIENTS_MAX 8u  /**< concurrent connections */
#define TW_KEYIMP_SECRET_MAX 64u  /**< largest PRF output */
#define TW_KEYIMP_SOURCE_MAX 32u  /**< owner tag length */
#define TW_KEYIMP_ENCR_KEY_MAX 36u  /**< AES-256 + 4-octet salt */
#define TW_KEYIMP_INTEG_KEY_MAX 64u /**< HMAC-SHA2-512 */

/** An address: family AF_INET (4 octets used) or AF_INET6. */
struct tw_keyimp_addr {
	uint8_t family;     /**< AF_INET / AF_INET6 */
	uint8_t addr[16];   /**< network order, rest zero */
};

/** An IKE SA (docs/key-import.md §6.1), as stored and as copied out. */
struct tw_keyimp_ike {
	uint8_t spi_i[8];   /**< network order = RFC 7717 KeyID octets 0-7 */
	uint8_t spi_r[8];   /**< KeyID octets 8-15 */
	uint16_t prf;       /**< IKEv2 PRF transform ID (enum tw_crypto_prf) */
	uint8_t secret_len; /**< = PRF output length */
	uint8_t secret[TW_KEYIMP_SECRET_MAX]; /**< RFC 7717 §5.1 prf(SK_d, "IPPM") */
	/** 0 = not given; else the PRF's output length (for an SA from
	 *  ike-rekey: the old SA's PRF, RFC 7296 §2.18) */
	uint8_t skeyseed_len;
	/** SKEYSEED of this IKE SA (RFC 7296 §2.14, §2.18 when rekeyed), for
	 *  the seed draft's profile (docs/protocol.md); never listed. */
	uint8_t skeyseed[TW_KEYIMP_SECRET_MAX];
	struct tw_keyimp_addr local, remote;
	uint16_t local_port, remote_port;     /**< 0 = not given */
	bool initiator;     /**< this host's role */
	bool has_unique;
	uint32_t unique;
	char local_id[TW_KEYIMP_TEXT_MAX + 1];
	char remote_id[TW_KEYIMP_TEXT_MAX + 1];
	char name[TW_KEYIMP_TEXT_MAX + 1];
	char source[TW_KEYIMP_SOURCE_MAX + 1]; /**< owner (hello source=) */
	/** Increases with every IKE SA added to the table (newest = highest);
	 *  a reader can tell whether the SA it snapshotted is still current. */
	uint64_t generation;
};

/** Traffic selector (docs/key-import.md §5). */
struct tw_keyimp_ts {
	struct tw_keyimp_addr from, to; /**< inclusive range */
	uint8_t proto;                  /**< 0 = any */
	uint16_t port_lo, port_hi;      /**< 0-65535 = any */
};

enum tw_keyimp_dir { TW_KEYIMP_DIR_IN, TW_KEYIMP_DIR_OUT };
enum tw_keyimp_proto { TW_KEYIMP_ESP = 50, TW_KEYIMP_AH = 51 };
enum tw_keyimp_mode { TW_KEYIMP_TUNNEL, TW_KEYIMP_TRANSPORT };

/** IKEv2 transform IDs accepted for Child SAs (docs/key-import.md §8). */
enum tw_keyimp_encr {
	TW_KEYIMP_ENCR_NULL = 11, TW_KEYIMP_ENCR_AES_CBC = 12,
	TW_KEYIMP_ENCR_AES_CTR = 13, TW_KEYIMP_ENCR_AES_GCM_8 = 18,
	TW_KEYIMP_ENCR_AES_GCM_12 = 19, TW_KEYIMP_ENCR_AES_GCM_16 = 20,
};
enum tw_keyimp_integ {
	TW_KEYIMP_INTEG_NONE = 0, TW_KEYIMP_INTEG_HMAC_SHA1_96 = 2,
	TW_KEYIMP_INTEG_AES_XCBC_96 = 5, TW_KEYIMP_INTEG_HMAC_SHA2_256_128 = 12,
	TW_KEYIMP_INTEG_HMAC_SHA2_384_192 = 13,
	TW_KEYIMP_INTEG_HMAC_SHA2_512_256 = 14,
};

/** One direction of a Child SA (docs/key-import.md §6.4), validated. */
struct tw_keyimp_child {
	uint32_t spi;           /**< host order, >= 256 */
	uint32_t peer_spi;      /**< 0 = not given */
	uint8_t dir;            /**< enum tw_keyimp_dir */
	uint8_t proto;          /**< enum tw_keyimp_proto */
	uint8_t mode;           /**< enum tw_keyimp_mode */
	bool encap_udp;         /**< RFC 3948 */
	struct tw_keyimp_addr src, dst;
	uint16_t encap_sport, encap_dport; /**< with encap_udp */
	uint16_t encr;          /**< enum tw_keyimp_encr; 0 for AH */
	uint16_t encr_keylen;   /**< bits without salt; 0 for NULL / AH */
	uint8_t encr_key_len;   /**< octets, salt included */
	uint8_t encr_key[TW_KEYIMP_ENCR_KEY_MAX];
	uint16_t integ;         /**< enum tw_keyimp_integ; 0 with AEAD */
	uint8_t integ_key_len;
	uint8_t integ_key[TW_KEYIMP_INTEG_KEY_MAX];
	bool aead;
	bool esn;
	uint16_t replay_window; /**< packets; 0 = off (out only) */
	uint8_t n_ts_local, n_ts_remote;
	struct tw_keyimp_ts ts_local[TW_KEYIMP_TS_MAX];
	struct tw_keyimp_ts ts_remote[TW_KEYIMP_TS_MAX];
	bool has_ike;           /**< ike_spi_* name the owning IKE SA */
	uint8_t ike_spi_i[8], ike_spi_r[8];
	bool has_reqid, has_unique;
	uint32_t reqid, unique;
	char name[TW_KEYIMP_TEXT_MAX + 1];
	char source[TW_KEYIMP_SOURCE_MAX + 1];
	/** KEYMAT of the Child SA (RFC 7296 §2.17), the first keymat_len
	 *  octets (= the owning IKE SA's PRF output length when added); the
	 *  same on both directions; 0 = not given; never listed. */
	uint8_t keymat_len;
	uint8_t keymat[TW_KEYIMP_SECRET_MAX];
	/** Increases with every Child SA direction added (newest = highest). */
	uint64_t generation;
};

/** Child SA counters for `list` (from the data plane). */
struct tw_keyimp_child_counters {
	uint64_t packets, bytes, errors;
};

/**
 * What the application does with Child SAs. Every callback is optional;
 * without child_add the table only keeps the SAs (e.g. before lib/ipsec).
 */
struct tw_keyimp_ops {
	/**
	 * Install a Child SA direction; called after every check of the
	 * record passed. @return 0, -ENOTSUP (not available: `err 422
	 * unsupported encr`, or `unsupported proto` for AH), -ENOPROTOOPT
	 * (`err 422 unsupported integ`), -ENOSPC (`err 507 no-space`) or any
	 * other -errno (`err 500 internal`); on error nothing must have
	 * changed in the application.
	 */
	int (*child_add)(void *arg, const struct tw_keyimp_child *c);
	/** Remove a Child SA direction (never fails from the table's view). */
	void (*child_del)(void *arg, const struct tw_keyimp_child *c);
	/** Fill counters for `list`; may be NULL. */
	void (*child_counters)(void *arg, const struct tw_keyimp_child *c,
			       struct tw_keyimp_child_counters *out);
	/** A message for the log (never contains key material); may be NULL. */
	void (*log)(void *arg, const char *msg);
	void *arg;
};

/** Table parameters. */
struct tw_keyimp_conf {
	uint32_t max_ike;    /**< IKE SAs (0 = 256) */
	uint32_t max_child;  /**< Child SA directions (0 = 1024) */
	bool ipsec_enabled;  /**< false: child-* refused with `503 not-ready` */
	struct tw_keyimp_ops ops;
};

/** Counters (telemetry /twamp/keys/...). */
struct tw_keyimp_stats {
	uint32_t ike;              /**< IKE SAs present */
	uint32_t child;            /**< Child SA directions present */
	uint32_t clients;          /**< connections open */
	uint64_t accepted;         /**< connections accepted */
	uint64_t refused_peer;     /**< 403 forbidden */
	uint64_t refused_busy;     /**< 503 busy */
	uint64_t records;          /**< request lines processed */
	uint64_t records_ok;
	uint64_t records_err;      /**< lines answered with err */
	uint64_t ike_added, ike_rekeyed, ike_deleted;
	uint64_t child_added, child_deleted;
};

struct tw_keyimp;
struct tw_keyimp_sess;
struct tw_keyimp_server;

/**
 * Create an empty table.
 * @return the table, or NULL with errno (EINVAL, ENOMEM).
 */
struct tw_keyimp *tw_keyimp_create(const struct tw_keyimp_conf *conf);

/**
 * Free a table: every Child SA goes to ops.child_del, every key is wiped.
 * Open sessions must be closed first. NULL is a no-op.
 */
void tw_keyimp_destroy(struct tw_keyimp *t);

/**
 * Copy the IKE SA (@p spi_i, @p spi_r) (server side of RFC 7717: the
 * KeyID's first 16 octets) into @p out.
 * @return 0, -ENOENT, -EINVAL.
 */
int tw_keyimp_ike_get(const struct tw_keyimp *t, const uint8_t spi_i[8],
		      const uint8_t spi_r[8], struct tw_keyimp_ike *out);

/**
 * Copy the newest IKE SA whose remote address is @p remote (client side
 * of RFC 7717: the TWAMP server's address) into @p out.
 * @return 0, -ENOENT, -EINVAL.
 */
int tw_keyimp_ike_by_peer(const struct tw_keyimp *t,
			  const struct tw_keyimp_addr *remote,
			  struct tw_keyimp_ike *out);

/**
 * Iterate over the IKE SAs (copies): start with @p *next = 0.
 * @return 1 with @p out filled, 0 at the end, -EINVAL.
 */
int tw_keyimp_ike_iter(const struct tw_keyimp *t, uint32_t *next,
		       struct tw_keyimp_ike *out);

/** Number of IKE SAs present (RFC 7717: offer IKEv2Derived when > 0). */
unsigned tw_keyimp_ike_count(const struct tw_keyimp *t);

/** Wipe a copied IKE SA (its secret). NULL is a no-op. */
void tw_keyimp_ike_wipe(struct tw_keyimp_ike *ike);

/**
 * Iterate over the Child SA directions (copies, keys included: wipe them
 * with tw_keyimp_child_wipe()). Start with @p *next = 0.
 * @return 1 with @p out filled, 0 at the end, -EINVAL.
 */
int tw_keyimp_child_iter(const struct tw_keyimp *t, uint32_t *next,
			 struct tw_keyimp_child *out);

/** Wipe a copied Child SA's keys. NULL is a no-op. */
void tw_keyimp_child_wipe(struct tw_keyimp_child *c);

/**
 * The draft profile's view of one Child SA (docs/protocol.md, seed draft):
 * found by the control connection's two addresses = the Child SA's outer
 * addresses (docs/key-import.md §6.7).
 */
struct tw_keyimp_draft {
	uint8_t proto;                  /**< 50 ESP, 51 AH */
	uint32_t spi_in, spi_out;       /**< this host's inbound / outbound SPI, host order */
	uint16_t prf;                   /**< the owning IKE SA's PRF transform ID (table 8.1) */
	uint8_t skeyseed[TW_KEYIMP_SECRET_MAX]; uint8_t skeyseed_len; /**< 0 = not known */
	uint8_t keymat[TW_KEYIMP_SECRET_MAX];   uint8_t keymat_len;   /**< 0 = not known */
	uint16_t encr, encr_keylen;     /**< of both directions (same transform) */
	uint8_t encr_key_in[TW_KEYIMP_ENCR_KEY_MAX], encr_key_out[TW_KEYIMP_ENCR_KEY_MAX];
	uint8_t encr_key_len;           /**< incl. the salt for GCM/CTR, as in child-add */
	uint16_t integ;
	uint8_t integ_key_in[TW_KEYIMP_INTEG_KEY_MAX], integ_key_out[TW_KEYIMP_INTEG_KEY_MAX];
	uint8_t integ_key_len;
	struct tw_keyimp_addr local, remote; /**< the outer addresses searched */
	uint8_t ike_spi_i[8], ike_spi_r[8];  /**< the owning IKE SA (when found) */
	bool has_reqid;                 /**< the inbound direction's reqid */
	uint32_t reqid;
	/** The pair's add sequence: the generation of its later-added
	 *  direction (struct tw_keyimp_child); a higher one was added later. */
	uint64_t generation;
};

/**
 * The newest Child SA pair (both directions present, same proto) whose
 * outer addresses are @p local / @p remote (inbound: src = remote, dst =
 * local; outbound mirrored), owned by an IKE SA. In and out pair by
 * `peer-spi` when either names the other, else the newest outbound with
 * mirrored addresses, the same IKE SA and no other `peer-spi`; both must
 * use the same transforms. keymat_len is 0 unless both directions carry
 * the same KEYMAT. "Newest": the pair whose later-added direction was
 * added last.
 * @return 0, -ENOENT (none), -EINVAL (bad args). Caller wipes @p *out
 *         (tw_keyimp_draft_wipe()); on error @p *out is zeroed.
 */
int tw_keyimp_draft_find(const struct tw_keyimp *t, const struct tw_keyimp_addr *local,
			 const struct tw_keyimp_addr *remote, struct tw_keyimp_draft *out);

/**
 * The rekey successor of the pair @p bound (a view tw_keyimp_draft_find()
 * or this call gave, kept by the caller; its keys are not used): the
 * newest pair between the same outer addresses, of the same protocol and
 * owning IKE SA, with the same transforms (and reqid, when both carry
 * one), added after it (higher generation). A pair that existed before
 * @p bound is never its successor. While @p bound's inbound SA is still in
 * the table its owner is re-read into @p bound->ike_spi_* (an ike-rekey
 * re-parents the children); once it is gone the owner last seen is
 * compared, so call this at every table change while bound.
 * @return 0 with @p *out (wipe it), -ENOENT (no successor), -EINVAL (NULL,
 *         @p out = @p bound, bad addresses or protocol); on error @p *out
 *         is zeroed (unless it is @p bound, left as it was).
 */
int tw_keyimp_draft_successor(const struct tw_keyimp *t, struct tw_keyimp_draft *bound,
			      struct tw_keyimp_draft *out);

/** Wipe a draft view (its keys). NULL is a no-op. */
void tw_keyimp_draft_wipe(struct tw_keyimp_draft *d);

/**
 * The seed draft's client configuration (lib/control) from a pair
 * tw_keyimp_draft_find() gave (docs/protocol.md): the binding the greeting
 * must carry as the server sees it (its inbound SPI is our outbound one),
 * the IKE SA's PRF and, per @p variant, the secret (base, Alt. 1: the IKE
 * SA's SKEYSEED or, with @p keymat, the pair's KEYMAT; copied into
 * @p secret_buf, which @p out->secret then points to) or the keys of our
 * outbound SA (Alt. 2, @p keymat unused). @p sid_key: base only.
 * @return 0; -ENOKEY (base/Alt. 1: the pair has no such secret), -ENOTSUP
 *         (Alt. 2: the SA's transforms cannot key it), -EINVAL (NULL, an
 *         unknown variant, sid_key outside base, @p secret_cap below
 *         TW_KEYIMP_SECRET_MAX). On error @p out and @p secret_buf are
 *         zeroed. The caller wipes both when done.
 */
int tw_keyimp_draft_client(const struct tw_keyimp_draft *d, enum tw_ctrl_draft_variant variant,
			   bool keymat, bool sid_key, uint8_t *secret_buf, size_t secret_cap,
			   struct tw_ctrl_client_draft *out);

/** Read the counters. */
void tw_keyimp_stats_get(const struct tw_keyimp *t, struct tw_keyimp_stats *st);

/* ---- one protocol session, without a socket (the server uses these;
 *      tests and other transports may too) ---- */

/** Receives one reply line (with its LF); return 0 or -errno to stop. */
typedef int (*tw_keyimp_emit_fn)(void *arg, const char *line, size_t len);

/**
 * Open a session on @p t (state: before hello).
 * @return the session, or NULL with errno ENOMEM.
 */
struct tw_keyimp_sess *tw_keyimp_sess_open(struct tw_keyimp *t);

/** Close a session (an open sync is abandoned: nothing removed). */
void tw_keyimp_sess_close(struct tw_keyimp_sess *s);

/**
 * Process one request line, @p len octets without its LF (may contain any
 * octet; the caller enforces TW_KEYIMP_LINE_MAX and answers
 * `err 400 line-too-long` itself, see tw_keyimp_line_too_long()). The
 * reply lines go to @p emit in order; the last is `ok ...` or `err ...`.
 *
 * @return 0, 1 when the connection must now be closed (`bye`, `505`),
 *         or the -errno @p emit returned.
 */
int tw_keyimp_sess_line(struct tw_keyimp_sess *s, const char *line, size_t len,
			tw_keyimp_emit_fn emit, void *arg);

/** The reply to a line longer than TW_KEYIMP_LINE_MAX (counted as an err). */
const char *tw_keyimp_line_too_long(struct tw_keyimp *t);

/* ---- the Unix socket server (docs/key-import.md §1) ---- */

/** Server parameters. */
struct tw_keyimp_server_conf {
	const char *path;       /**< socket path (required) */
	uid_t allow_uid;        /**< besides root (normally getuid()) */
	unsigned max_clients;   /**< 0 = TW_KEYIMP_CLIENTS_MAX */
	int hello_timeout_ms;   /**< 0 = 10000 */
};

/**
 * Create the socket (mode 0600; a stale socket at @p path is replaced,
 * any other file type is an error) and start listening.
 * @return the server, or NULL with errno.
 */
struct tw_keyimp_server *tw_keyimp_server_create(struct tw_keyimp *t,
				const struct tw_keyimp_server_conf *conf);

/**
 * Accept connections, read and answer complete lines, close finished or
 * timed-out connections; waits up to @p timeout_ms (0: do not wait).
 * @return the number of lines processed, or -errno (epoll failure).
 */
int tw_keyimp_server_poll(struct tw_keyimp_server *srv, int timeout_ms);

/** The epoll descriptor (readable when tw_keyimp_server_poll() has work). */
int tw_keyimp_server_fd(const struct tw_keyimp_server *srv);

/** Close every connection, remove the socket file, free. NULL is a no-op. */
void tw_keyimp_server_destroy(struct tw_keyimp_server *srv);

/**
 * Parse a textual address (IPv4 dotted quad or IPv6, no zone).
 * @return 0 or -EINVAL.
 */
int tw_keyimp_addr_parse(const char *s, struct tw_keyimp_addr *a);

#ifdef __cplusplus
}
#endif

#endif /* TW_KEYIMP_H */
