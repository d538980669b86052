/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * TWAMP (RFC 5357 §3) and OWAMP (RFC 4656 §3) Control-Client.
 *
 * One object per control connection over a kernel TCP socket. Every call
 * blocks until the exchange is complete, but never longer than the step
 * deadline (conf.timeout_ms per read or write of one message; poll()
 * underneath), so a client may run in its own thread; objects share
 * nothing. Supported: unauthenticated, authenticated, encrypted and mixed
 * (RFC 5618) modes, individual session control (RFC 5938), reflect octets
 * and symmetrical size (RFC 6038), DSCP-ECN monitoring (RFC 7750) and the
 * RFC 7717 key plumbing (raw KeyID and a shared secret with either token
 * key reading).
 *
 * Errors: every function returns 0 or a negative errno; the message of the
 * last failure is in tw_ctrl_client_error(). A protocol violation by the
 * server (bad length, wrong command, bad HMAC, out of order), a timeout or
 * a connection closed by the peer closes the connection: later calls give
 * -ENOTCONN. A refusal (Accept != 0) is not a violation: the Accept value
 * is in tw_ctrl_client_last_accept() and mapped to an errno:
 *
 *   Accept 1 failure        -EACCES   Accept 4 permanent limit  -ENOSPC
 *   Accept 2 internal error -EREMOTEIO Accept 5 temporary limit -EAGAIN
 *   Accept 3 not supported  -EOPNOTSUPP Accept 6 no IKEv2 SA    -ENOKEY
 *
 * Other codes: -EPROTO (malformed or unexpected message), -EBADMSG (HMAC
 * mismatch), -ETIMEDOUT, -ECONNRESET (peer closed mid-exchange),
 * -ECONNREFUSED (greeting with Modes 0, or TCP refused), -ENOPROTOOPT (no
 * mode the caller allows is offered, or a required option is not),
 * -ERANGE (greeting Count above the cap), -EKEYREJECTED (seed draft: the
 * greeting binds another SA; nothing was sent), -EINVAL (bad argument:
 * nothing was sent), -ENOTCONN, -ENOMEM, -EIO (crypto library failure).
 *
 * Secrets (passphrase, token key, session keys) are wiped when the
 * connection closes and on destroy.
 */
#ifndef TW_CTRL_CLIENT_H
#define TW_CTRL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tw_crypto.h"
#include "tw_proto.h"
#include "tw_proto_ctrl.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Default deadline of one step (one message read or written), ms. */
#define TW_CTRL_CLIENT_TIMEOUT_MS 10000
/** Default TCP ports. */
#define TW_CTRL_TWAMP_PORT 862
#define TW_CTRL_OWAMP_PORT 861

/** Option bits (TWAMP) a client may ask for in addition to the security mode. */
#define TW_CTRL_CLIENT_OPTIONS                                                 \
	(TW_MODE_INDIVIDUAL | TW_MODE_REFLECT_OCTETS | TW_MODE_SYMMETRICAL |   \
	 TW_MODE_DSCP_ECN)

/**
 * The seed draft's profile (docs/protocol.md, "The seed draft's
 * mechanisms"): the SA binding the client expects in the greeting and the
 * keys of the configured variant. The greeting's Protocol and SPIs must be
 * exactly these; on any difference the client sends nothing more and
 * closes (-EKEYREJECTED).
 */
struct tw_ctrl_client_draft {
	enum tw_ctrl_draft_variant variant;
	uint8_t protocol;          /**< 50 ESP or 51 AH */
	uint32_t spi_in;           /**< the server's inbound SPI = our outbound SA's */
	uint32_t spi_out;          /**< the server's outbound SPI = our inbound SA's */
	enum tw_crypto_prf prf;    /**< the IKE SA's PRF (base, Alt. 1) */
	/** base: the passphrase; Alt. 1: the root key (>= 16 octets).
	 *  SKEYSEED or the Child SA's KEYMAT, as the server is configured. */
	const uint8_t *secret;
	size_t secret_len;
	/** base only: test keys = prf+(secret, SID). */
	bool sid_key;
	/** Alt. 2: tw_crypto_draft_alt2_keys() of our outbound SA. */
	struct tw_crypto_session_keys alt2;
};

/** Client configuration; copied by tw_ctrl_client_create(). */
struct tw_ctrl_client_conf {
	enum tw_ctrl_proto proto;   /**< TWAMP or OWAMP */
	/**
	 * Security modes the caller allows (TW_MODE_UNAUTH, _AUTH,
	 * _ENCRYPTED, _MIXED (TWAMP); any non-empty subset). The strongest one
	 * the server also offers is chosen: encrypted, authenticated, mixed,
	 * unauthenticated.
	 */
	uint32_t modes;
	/**
	 * Option bits wanted (TWAMP: TW_CTRL_CLIENT_OPTIONS); those the server
	 * offers are added to the chosen mode.
	 */
	uint32_t options;
	/** Subset of @p options that must be offered (else -ENOPROTOOPT). */
	uint32_t options_required;
	/**
	 * Non-zero: send exactly this Mode (one security bit plus options);
	 * every bit must be offered. @p modes and @p options are then ignored.
	 */
	uint32_t exact_mode;

	/**
	 * RFC 7717 IKEv2Derived: ask for the IKEv2 mode bit (TWAMP bit 7,
	 * OWAMP bit 4) with the chosen keyed security mode; a server that
	 * does not offer it gives -ENOPROTOOPT, an unauthenticated mode is
	 * never chosen. Give keyid_raw = SPIi | SPIr | zeros
	 * (tw_proto_ctrl_keyid_from_spis()) and secret = prf(SK_d, "IPPM").
	 * With exact_mode, put the bit in exact_mode instead.
	 */
	bool ikev2;

	/**
	 * Non-NULL: the seed draft's profile instead of RFC 7717 (copied; the
	 * IKEv2 bit is asked for as with @p ikev2, which may stay false;
	 * keyid, keyid_raw, secret and token_key are not used).
	 */
	const struct tw_ctrl_client_draft *draft;

	/* ---- keys (authenticated, encrypted, mixed) ---- */
	/** KeyID as a UTF-8 name (1..80 octets), or NULL. */
	const char *keyid;
	/** Raw 80-octet KeyID (e.g. RFC 7717 SPIs); used when keyid is NULL. */
	const uint8_t *keyid_raw;
	/** Passphrase or shared secret (copied, wiped on destroy). */
	const void *secret;
	size_t secret_len;
	/**
	 * How @p secret becomes the token key: PBKDF2 (RFC 4656 §3.1, the
	 * passphrase reading and RFC 7717 default) or DIRECT (first 16 octets
	 * of an RFC 7717 shared secret; docs/protocol.md).
	 */
	enum tw_crypto_token_key_mode token_key;

	/** Largest PBKDF2 Count accepted (0: 32768, RFC 5357 §6). */
	uint32_t count_cap;
	/** Deadline of each step in ms (0: TW_CTRL_CLIENT_TIMEOUT_MS). */
	int timeout_ms;
};

/** A control connection (opaque). */
struct tw_ctrl_client;

/**
 * Create a client (not connected). Checks the configuration.
 * @return the client, or NULL with errno EINVAL (bad proto, no mode, a key
 *         mode allowed without KeyID or secret, KeyID not UTF-8 or too
 *         long, options on OWAMP) or ENOMEM.
 */
struct tw_ctrl_client *tw_ctrl_client_create(const struct tw_ctrl_client_conf *conf);

/** Close (if open), wipe every secret, free. NULL is allowed. */
void tw_ctrl_client_destroy(struct tw_ctrl_client *c);

/**
 * Connect over TCP (IPv4 or IPv6) and run connection setup: Server
 * Greeting, mode choice, Set-Up-Response, Server-Start (RFC 4656 §3.1,
 * RFC 5357 §3.1).
 *
 * @param server      the server's address and port.
 * @param local       address/port to bind first, or NULL.
 * @return 0 (connected; see tw_ctrl_client_mode()), or a negative errno
 *         (the connection is closed; -EBUSY when already connected).
 */
int tw_ctrl_client_connect(struct tw_ctrl_client *c,
			   const struct sockaddr *server, socklen_t server_len,
			   const struct sockaddr *local, socklen_t local_len);

/**
 * Connection setup over an already connected stream socket. The client
 * owns @p fd from now on (closes it on failure and on close/destroy); it
 * is switched to non-blocking mode.
 * @return as tw_ctrl_client_connect().
 */
int tw_ctrl_client_connect_fd(struct tw_ctrl_client *c, int fd);

/** Close the connection (no message sent), wipe the session keys. */
void tw_ctrl_client_close(struct tw_ctrl_client *c);

/** True between a successful connect and a close. */
bool tw_ctrl_client_connected(const struct tw_ctrl_client *c);

/** The socket, or -1. For poll() by the caller; do not read or write it. */
int tw_ctrl_client_fd(const struct tw_ctrl_client *c);

/** The Mode in use (0 when not connected). */
uint32_t tw_ctrl_client_mode(const struct tw_ctrl_client *c);

/** The Modes the server offered in its greeting (0 before). */
uint32_t tw_ctrl_client_server_modes(const struct tw_ctrl_client *c);

/** Server-Start's Start-Time (the server's clock at its send). */
tw_ntp_t tw_ctrl_client_server_start_time(const struct tw_ctrl_client *c);

/** The last Accept value received (0xFF: none yet). */
uint8_t tw_ctrl_client_last_accept(const struct tw_ctrl_client *c);

/** Text of the last failure ("" when none); valid until the next call. */
const char *tw_ctrl_client_error(const struct tw_ctrl_client *c);

/**
 * The control connection's AES and HMAC session keys (what the Token
 * carried), to derive test keys by hand.
 * @return 0, -ENOTCONN, or -EINVAL in unauthenticated mode.
 */
int tw_ctrl_client_session_keys(const struct tw_ctrl_client *c,
				struct tw_crypto_session_keys *out);

/** errno for an Accept value (table above; 0 for Accept 0). */
int tw_ctrl_client_accept_errno(uint8_t accept);

/* ======================= sessions ======================= */

/** One session request (TWAMP Request-TW-Session or OWAMP Request-Session). */
struct tw_ctrl_session_req {
	/** 4 or 6; 0: the control connection's family. */
	uint8_t ipvn;
	/** Sender and receiver addresses (IPv4 in the first 4 octets); all
	 * zero: that end of the control connection (RFC 4656 §3.5). */
	uint8_t sender_addr[16];
	uint8_t receiver_addr[16];
	uint16_t sender_port;
	/** TWAMP: 0 lets the server choose. OWAMP: used when the client is
	 * the receiver (conf_receiver false). */
	uint16_t receiver_port;
	uint32_t padding_length;
	tw_ntp_t start_time;        /**< absolute NTP time (0: at Start-Sessions) */
	tw_ntp_t timeout;           /**< NTP interval (REFWAIT / loss threshold) */
	/** Raw Type-P Descriptor: tw_proto_ctrl_typep_dscp(dscp) or _phb(). */
	uint32_t type_p;
	/** RFC 6038 (TWAMP, TW_MODE_REFLECT_OCTETS): octets to be reflected
	 * and length of padding to reflect. */
	uint16_t reflect_octets;
	uint16_t reflect_padding;

	/* ---- OWAMP only ---- */
	bool conf_sender;           /**< the server sends (the client receives) */
	bool conf_receiver;         /**< the server receives (the client sends) */
	uint32_t num_packets;
	const struct tw_owamp_slot *slots; /**< the schedule (RFC 4656 §3.6) */
	uint32_t num_slots;         /**< >= 1 */
	/** Client-generated SID when the client is the receiver
	 * (conf_receiver false); all zero: the client generates one. */
	uint8_t sid[TW_CTRL_SID_LEN];
};

/** What a session request gave back. */
struct tw_ctrl_session {
	uint8_t accept;               /**< the Accept value */
	uint8_t sid[TW_CTRL_SID_LEN]; /**< the server's SID (OWAMP receiver: ours) */
	uint8_t ipvn;
	uint8_t sender_addr[16];      /**< as requested (zero filled in from the connection) */
	uint8_t receiver_addr[16];
	uint16_t sender_port;
	/** TWAMP: the reflector's port (Accept-Session Port). OWAMP: the
	 * receiver's port (conf_receiver) or the server sender's port
	 * (conf_sender). */
	uint16_t receiver_port;
	uint16_t server_port;         /**< Accept-Session Port as received */
	uint16_t reflected_octets;    /**< RFC 6038 Accept-Session fields */
	uint16_t server_octets;
	/** Test mode: the connection's Mode (mixed: test is unauthenticated). */
	uint32_t mode;
	/** Test keys (tw_crypto_test_keys()) when has_keys. */
	bool has_keys;
	struct tw_crypto_session_keys test_keys;
};

/**
 * TWAMP Request-TW-Session and its Accept-Session (RFC 5357 §3.5, RFC 6038
 * §4.2-4.3). On Accept 0 the session is remembered (for Stop-Sessions'
 * Number of Sessions and Start-N/Stop-N) and @p out filled; on a refusal
 * out->accept tells why and the connection stays open.
 * @return 0, an Accept errno, or a failure code (see the file comment).
 */
int tw_ctrl_client_request_tw_session(struct tw_ctrl_client *c,
				      const struct tw_ctrl_session_req *req,
				      struct tw_ctrl_session *out);

/**
 * OWAMP Request-Session with its schedule and Accept-Session (RFC 4656
 * §3.5). Exactly one of conf_sender/conf_receiver (or both) must be set.
 * @return as tw_ctrl_client_request_tw_session().
 */
int tw_ctrl_client_request_ow_session(struct tw_ctrl_client *c,
				      const struct tw_ctrl_session_req *req,
				      struct tw_ctrl_session *out);

/**
 * Start-Sessions and Start-Ack (RFC 4656 §3.7, RFC 5357 §3.7). Not with
 * TW_MODE_INDIVIDUAL (use tw_ctrl_client_start_n()).
 * @return 0, an Accept errno (the client then closes, as RFC 4656 §3.7
 *         says it SHOULD), or a failure code.
 */
int tw_ctrl_client_start(struct tw_ctrl_client *c);

/**
 * TWAMP Stop-Sessions (RFC 5357 §3.8) with the given Accept (0: normal);
 * Number of Sessions is the sessions in progress. No reply is expected.
 * Not with TW_MODE_INDIVIDUAL.
 * @return 0 or a failure code.
 */
int tw_ctrl_client_stop(struct tw_ctrl_client *c, uint8_t accept);

/**
 * RFC 5938 Start-N-Sessions for @p n SIDs (each accepted on this
 * connection, none repeated), then the Start-N-Acks until every SID is
 * answered (a server may split them by Accept value, RFC 5938 §3.3); an
 * ack naming a SID not asked for, or twice, is a violation.
 * @param accepts  @p n Accept values, in the order of @p sids (may be NULL).
 * @return 0 when every SID was accepted, else the errno of the first
 *         refused SID's Accept (the connection stays open), or a failure
 *         code.
 */
int tw_ctrl_client_start_n(struct tw_ctrl_client *c,
			   const uint8_t (*sids)[TW_CTRL_SID_LEN], uint32_t n,
			   uint8_t *accepts);

/** RFC 5938 Stop-N-Sessions and Stop-N-Acks; as tw_ctrl_client_start_n(). */
int tw_ctrl_client_stop_n(struct tw_ctrl_client *c,
			  const uint8_t (*sids)[TW_CTRL_SID_LEN], uint32_t n,
			  uint8_t *accepts);

/* ======================= OWAMP stop and fetch ======================= */

/** What the local sender did in one send session (OWAMP Stop-Sessions). */
struct tw_ctrl_ow_send_state {
	uint8_t sid[TW_CTRL_SID_LEN];
	uint32_t next_seqno;
	const struct tw_owamp_skip *skips;  /**< in order */
	uint32_t num_skips;
};

/**
 * Called once per session description of the server's Stop-Sessions.
 * @p skips is valid during the call only. Return 0 to go on, a negative
 * errno to abort (the connection is then closed and that code returned).
 */
typedef int (*tw_ctrl_desc_cb)(void *arg, const uint8_t sid[TW_CTRL_SID_LEN],
			       uint32_t next_seqno,
			       const struct tw_owamp_skip *skips,
			       uint32_t num_skips);

/**
 * OWAMP Stop-Sessions (RFC 4656 §3.8): send ours, with one record per
 * accepted session where the client sends (conf_receiver) — @p states must
 * cover exactly those — then read the server's Stop-Sessions, which must
 * describe exactly the sessions the server sends (conf_sender); each of its
 * records goes to @p cb (may be NULL). A Stop-Sessions the server sent
 * first is read the same way.
 * @param server_accept  the server's Accept (may be NULL).
 * @return 0, -EINVAL (states not matching), or a failure code.
 */
int tw_ctrl_client_ow_stop(struct tw_ctrl_client *c, uint8_t accept,
			   const struct tw_ctrl_ow_send_state *states,
			   uint32_t n, tw_ctrl_desc_cb cb, void *arg,
			   uint8_t *server_accept);

/** Fetch-Ack and session data summary (RFC 4656 §3.9). */
struct tw_ctrl_fetch_info {
	uint8_t accept;
	bool finished;
	uint32_t next_seqno;
	uint32_t num_skips;
	uint32_t num_records;
	/** The reproduced Request-Session (pointers inside are NULL). */
	struct tw_ctrl_request request;
	/** The reproduced schedule, up to the first 16 slots. */
	struct tw_owamp_slot slots[16];
};

/**
 * Called per packet record, in arrival order (RFC 4656 §3.9). Return 0 to
 * go on, a negative errno to abort (the connection is then closed).
 */
typedef int (*tw_ctrl_record_cb)(void *arg, const struct tw_owamp_record *rec);

/** Called per skip range of the fetched session; as tw_ctrl_record_cb. */
typedef int (*tw_ctrl_skip_cb)(void *arg, const struct tw_owamp_skip *skip);

/**
 * OWAMP Fetch-Session (RFC 4656 §3.9): Fetch-Ack, then the reproduced
 * Request-Session, skip ranges and packet records, each block's HMAC
 * checked. Records are streamed to @p rec_cb (not held in memory) as they
 * are decrypted; the records block's HMAC is checked after the last one,
 * so on a failure the caller discards what it was given. Records outside
 * [begin, end] are a violation. begin 0 and end 0xFFFFFFFF ask for the
 * whole session.
 * @return 0, an Accept errno (info->accept), or a failure code.
 */
int tw_ctrl_client_fetch(struct tw_ctrl_client *c,
			 const uint8_t sid[TW_CTRL_SID_LEN], uint32_t begin_seq,
			 uint32_t end_seq, tw_ctrl_record_cb rec_cb,
			 tw_ctrl_skip_cb skip_cb, void *arg,
			 struct tw_ctrl_fetch_info *info);

/**
 * Fetch-Session into arrays: as tw_ctrl_client_fetch(), records into
 * @p recs (up to @p cap; more give -ENOSPC and close the connection).
 * @param n_recs  set to the number of records stored.
 */
int tw_ctrl_client_fetch_array(struct tw_ctrl_client *c,
			       const uint8_t sid[TW_CTRL_SID_LEN],
			       uint32_t begin_seq, uint32_t end_seq,
			       struct tw_owamp_record *recs, uint32_t cap,
			       uint32_t *n_recs, struct tw_ctrl_fetch_info *info);

#ifdef __cplusplus
}
#endif

#endif /* TW_CTRL_CLIENT_H */
