/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * TWAMP-Control (RFC 5357 §3, RFC 5618, RFC 5938, RFC 6038, RFC 7750) and
 * OWAMP-Control (RFC 4656 §3, the appliance as receiver) server. No DPDK.
 *
 * Two layers in one handle:
 *  - a per-connection state machine (Server Greeting -> Set-Up-Response ->
 *    Server-Start -> command loop) fed with received octets and producing
 *    octets to send, in every security mode (open, authenticated,
 *    encrypted, mixed);
 *  - a non-blocking socket loop (epoll) over the listen sockets and the
 *    accepted connections, with per-connection buffers and deadlines, run
 *    from the caller's thread by tw_ctrl_server_poll().
 *
 * What a session means for the appliance is the caller's: the ops table
 * installs, starts, stops and deletes test sessions (the reflector for
 * TWAMP, the receiver for OWAMP) and serves OWAMP records. Callbacks run
 * inside tw_ctrl_server_poll() on the caller's thread and must not call
 * back into the server.
 *
 * Accept codes the server chooses (docs/protocol.md):
 *  - 1 (failure): wrong passphrase (Token does not carry the Challenge) or
 *    unknown KeyID, in Server-Start; then close;
 *  - 1 also for the seed draft's profile: a wrong Alternative 1 Token or
 *    base-variant Token, or an Alternative 1/2 Set-Up-Response whose MBZ
 *    octets are not zero (a client of another variant);
 *  - 6 (RFC 7717 §5.3): IKEv2Derived mode chosen and no IKE SA for the
 *    KeyID's SPIi/SPIr, in Server-Start; logged, then close;
 *  - 3 (not supported): Request-TW-Session with Conf flags, an unknown
 *    Type-P format, an unsupported OWAMP role (the appliance only
 *    receives); an unknown command gets Accept 3 in an Accept-Session
 *    and the connection closes (its length is unknown);
 *  - 4 (permanent resource limit): max_sessions_per_connection reached on
 *    this connection (it cannot free sessions without closing);
 *  - 5 (temporary resource limit): max_sessions reached in total (other
 *    connections will free theirs);
 *  - over max_connections a connection gets a Server Greeting with Modes 0
 *    (RFC 4656 §3.1 "does not wish to talk") and is closed.
 *
 * Errors: constructors return NULL with errno; everything else 0 or
 * -errno. Nothing here prints or exits; the log callback gets one line
 * per closed connection (level 4 for a failure, 6 for a normal end) and
 * one per refused session (level 7).
 */
#ifndef TW_CTRL_SERVER_H
#define TW_CTRL_SERVER_H

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

struct tw_ctrl_server;

/**
 * Why a connection was closed. The X-macro generates the enum and the
 * names (telemetry, twamp-ctl); append at the end.
 */
#define TW_CTRL_SRV_CLOSES(X)                                                   \
	X(PEER, "peer_closed", "client closed the connection")                 \
	X(QUIT, "client_quit", "Set-Up-Response with Mode 0")                  \
	X(MODE, "bad_mode", "Mode not offered or not exactly one security mode")\
	X(KEYID, "unknown_keyid", "KeyID not in the key file")                 \
	X(TOKEN, "bad_token", "Token without the Challenge (wrong passphrase)")\
	X(HMAC, "bad_hmac", "HMAC of a command did not verify")                \
	X(MALFORMED, "malformed", "message that does not decode")              \
	X(ORDER, "out_of_order", "command not allowed in this state")          \
	X(COMMAND, "unknown_command", "unknown command (Accept 3 sent)")       \
	X(DEADLINE, "deadline", "message not completed in time")               \
	X(SERVWAIT, "servwait", "idle for SERVWAIT with no session running")   \
	X(CONN_LIMIT, "conn_limit", "max_connections reached (Modes 0 sent)")  \
	X(IO, "io_error", "socket error or output buffer overflow")            \
	X(INTERNAL, "internal", "crypto or allocation failure")                \
	X(SHUTDOWN, "shutdown", "server destroyed")                            \
	X(NO_IKE_SA, "no_ike_sa", "IKEv2Derived KeyID names no IKE SA (Accept 6)") \
	X(DRAFT_MBZ, "draft_mbz", "draft Set-Up-Response with a non-zero MBZ field (Accept 1)")

#define TW_CTRL_SRV_CLOSE_ENUM(name, id, text) TW_CTRL_SRV_CLOSE_##name,
/** Close reasons. */
enum tw_ctrl_srv_close {
	TW_CTRL_SRV_CLOSES(TW_CTRL_SRV_CLOSE_ENUM)
	TW_CTRL_SRV_CLOSE__MAX
};
#undef TW_CTRL_SRV_CLOSE_ENUM

/** Short identifier ("bad_hmac", ...) of a close reason, or "unknown". */
const char *tw_ctrl_server_close_name(unsigned reason);

/** Test-packet security of a session (mixed mode gives OPEN). */
enum tw_ctrl_srv_test_mode {
	TW_CTRL_SRV_TEST_OPEN = 0,
	TW_CTRL_SRV_TEST_AUTH = 1,
	TW_CTRL_SRV_TEST_ENC = 2,
};

/** A session the server asks the caller to install. */
struct tw_ctrl_srv_session {
	enum tw_ctrl_proto proto;   /**< TWAMP: reflect; OWAMP: receive */
	uint64_t conn_id;           /**< connection that requested it */
	uint8_t sid[TW_CTRL_SID_LEN];
	int family;                 /**< AF_INET or AF_INET6 */
	/** Receiver (the appliance) address: the request's Receiver Address,
	 *  or the control connection's local address when it was 0. */
	uint8_t local_addr[16];
	/** Sender (the peer) address: the request's Sender Address, or the
	 *  control connection's peer address when it was 0. */
	uint8_t peer_addr[16];
	/** Receiver Port asked for; 0 = the caller chooses. The caller writes
	 *  the port it used here (RFC 5357 §3.5: it may pick another). */
	uint16_t local_port;
	uint16_t peer_port;         /**< Sender Port */
	uint32_t mode;              /**< the connection's Mode bits */
	enum tw_ctrl_srv_test_mode test_mode;
	/** TestAESKey / TestHMACKey (RFC 4656 §4.1.2; zero in OPEN) */
	struct tw_crypto_session_keys test_keys;
	uint32_t padding_length;
	tw_ntp_t start_time;
	/** Timeout (RFC 5357 §3.5): how long to keep reflecting after Stop */
	uint64_t timeout_ns;
	uint8_t dscp;               /**< Type-P DSCP (format 00; 0 otherwise) */
	bool dscp_ecn;              /**< RFC 7750 negotiated */
	bool sym_size;              /**< RFC 6038 Symmetrical Size */
	uint16_t reflect_octets;    /**< RFC 6038 octets to reflect (0 = none) */
	uint16_t reflect_padding;   /**< RFC 6038 Length of padding to reflect */
	uint32_t refwait_s;         /**< REFWAIT from the configuration */
	/** OWAMP: number of packets and the request as received (slots). */
	uint32_t num_packets;
	const struct tw_ctrl_request *req;
	/** The request's plaintext octets (OWAMP: keep them to reproduce in
	 *  a Fetch-Session answer, RFC 4656 §3.9); valid during the call. */
	const uint8_t *req_wire;
	size_t req_wire_len;
};

/** What the caller gives for an OWAMP Fetch-Session (RFC 4656 §3.9). */
struct tw_ctrl_srv_fetch {
	bool finished;              /**< the session terminated (Stop received) */
	uint32_t next_seqno;        /**< from the sender's Stop-Sessions */
	/** Records in [begin, end] in sequence order; valid until the next
	 *  call into the server. */
	const struct tw_owamp_record *recs;
	uint32_t n_recs;
	const struct tw_owamp_skip *skips; /**< from the Stop-Sessions */
	uint32_t n_skips;
	/** The Request-Session as received (RFC 4656 §3.9 reproduces it):
	 *  its 112-octet block + slots + HMAC in plaintext; HMAC fields are
	 *  recomputed by the server. */
	const uint8_t *request;
	size_t request_len;
};

/**
 * An IKE SA's RFC 7717 key, as the caller's IKE SA table gives it: the
 * shared secret prf(SK_d, "IPPM") (RFC 7717 §5.1), computed with the IKE
 * SA's negotiated PRF (tw_crypto_rfc7717_secret()). The server copies it
 * into the connection for the Set-Up-Response only, so a later rekey or
 * delete of the IKE SA never touches a running connection.
 */
struct tw_ctrl_ike_key {
	enum tw_crypto_prf prf;                 /**< the IKE SA's PRF */
	uint8_t secret[TW_CRYPTO_PRF_MAX];      /**< prf(SK_d, "IPPM") */
	size_t secret_len;                      /**< tw_crypto_prf_len(prf) */
};

/** Which IKEv2 secret keys the seed draft's base variant and Alternative 1. */
enum tw_ctrl_draft_secret {
	TW_CTRL_DRAFT_SKEYSEED = 0, /**< the IKE SA's SKEYSEED (RFC 7296 §2.14) */
	TW_CTRL_DRAFT_KEYMAT = 1,   /**< the Child SA's KEYMAT (RFC 7296 §2.17) */
};

#define TW_CTRL_DRAFT_SECRET_MAX 64u  /**< SKEYSEED / KEYMAT octets */
#define TW_CTRL_DRAFT_ENCR_MAX 36u    /**< AES-256 + 4-octet salt */
#define TW_CTRL_DRAFT_INTEG_MAX 64u   /**< HMAC-SHA2-512 */

/**
 * The seed draft's view of the Child SA between the control connection's
 * two ends (docs/protocol.md), as the caller's SA table gives it. The
 * server copies what the configured variant needs into the connection
 * when it sends the greeting, and wipes it after the Set-Up-Response (the
 * base variant with sid_key keeps its secret until the connection
 * closes): a rekey or delete never disturbs a running connection.
 */
struct tw_ctrl_draft_sa {
	uint8_t protocol;            /**< 50 ESP, 51 AH */
	uint32_t spi_in;             /**< the server's inbound SPI (client -> server) */
	uint32_t spi_out;            /**< the server's outbound SPI */
	enum tw_crypto_prf prf;      /**< the owning IKE SA's PRF */
	uint8_t skeyseed[TW_CTRL_DRAFT_SECRET_MAX];
	size_t skeyseed_len;         /**< 0: not known */
	uint8_t keymat[TW_CTRL_DRAFT_SECRET_MAX];
	size_t keymat_len;           /**< 0: not known */
	/** The server's inbound SA keys (Alternative 2), IKEv2 transform IDs. */
	uint16_t encr;
	uint8_t encr_key[TW_CTRL_DRAFT_ENCR_MAX];
	size_t encr_key_len;         /**< incl. the salt/nonce of GCM/CTR */
	uint16_t integ;
	uint8_t integ_key[TW_CTRL_DRAFT_INTEG_MAX];
	size_t integ_key_len;
};

/**
 * The caller's side. Every member may be NULL except session_add.
 * Handles are the caller's (e.g. its table index); the server never
 * interprets them.
 */
struct tw_ctrl_server_ops {
	/**
	 * KeyID -> shared secret (the passphrase, RFC 4656 §3.1).
	 * @return the secret's length (1..cap), or -ENOENT (Accept 1, close).
	 */
	int (*key_lookup)(void *arg, const uint8_t keyid[TW_CTRL_KEYID_LEN],
			  uint8_t *secret, size_t cap);
	/**
	 * RFC 7717 §5.3: the IKE SA named by SPIi | SPIr (the first 16 octets
	 * of the KeyID, in IKE header order) -> its key. NULL: IKEv2Derived is
	 * never offered.
	 * @return 0 with @p out filled, or -ENOENT (Accept 6, close).
	 */
	int (*ike_lookup)(void *arg, const uint8_t spi_i[TW_CTRL_SPI_LEN],
			  const uint8_t spi_r[TW_CTRL_SPI_LEN],
			  struct tw_ctrl_ike_key *out);
	/**
	 * Number of IKE SAs the caller holds now. The IKEv2Derived bit
	 * configured in tw_ctrl_server_conf is offered in a Server Greeting
	 * only while this is above 0 (RFC 7717 §5.2). NULL (with ike_lookup
	 * set): always offered.
	 */
	unsigned (*ike_count)(void *arg);
	/**
	 * The seed draft's profile (conf.draft): the Child SA whose outer
	 * addresses are @p local (the server's end of the control connection)
	 * and @p peer. Asked once per connection, for its greeting; -ENOENT:
	 * the IKEv2 bit is not offered on that greeting.
	 * @return 0 with @p out filled, or -ENOENT.
	 */
	int (*draft_lookup)(void *arg, const struct sockaddr *local,
			    const struct sockaddr *peer, struct tw_ctrl_draft_sa *out);
	/**
	 * Install a session (not yet started). May change s->local_port.
	 * @return an Accept value (0 = accepted, *handle set; 1..5 refused).
	 */
	uint8_t (*session_add)(void *arg, struct tw_ctrl_srv_session *s,
			       uint64_t *handle);
	/** Start-Sessions / Start-N-Sessions. @return 0 or -errno (Accept 2). */
	int (*session_start)(void *arg, uint64_t handle);
	/** Stop-Sessions / Stop-N-Sessions: keep it for @p timeout_ns. OWAMP
	 *  passes the sender's Next Seqno and skip ranges. @return 0 or -errno. */
	int (*session_stop)(void *arg, uint64_t handle, uint64_t timeout_ns,
			    uint32_t next_seqno, const struct tw_owamp_skip *skips,
			    uint32_t n_skips);
	/** The connection closed: remove the session (an OWAMP one keeps its
	 *  records for a later Fetch-Session, at the caller's discretion). */
	void (*session_del)(void *arg, uint64_t handle);
	/**
	 * OWAMP Fetch-Session by SID (any connection). Fill @p out with the
	 * records whose sequence is in [begin, end].
	 * @return 0, or an Accept value > 0 (e.g. 1 unknown SID).
	 */
	uint8_t (*owamp_fetch)(void *arg, const uint8_t sid[TW_CTRL_SID_LEN],
			       uint32_t begin, uint32_t end,
			       struct tw_ctrl_srv_fetch *out);
	/** One line per noteworthy event (a close with its reason); @p level
	 *  is a syslog level (3 error, 4 warning, 6 info, 7 debug). */
	void (*log)(void *arg, int level, const char *msg);
	/** Current NTP time (Start-Time, SIDs); NULL: CLOCK_REALTIME. */
	tw_ntp_t (*now)(void *arg);
};

/** Server configuration (reflector.control in the YAML). */
struct tw_ctrl_server_conf {
	/** TWAMP Modes offered (TW_MODE_*). TW_MODE_IKEV2 here (and
	 *  TW_MODE_OWAMP_IKEV2 in owamp_modes) is offered with at least one of
	 *  auth/enc/mixed, while ops.ike_count says there is an IKE SA. */
	uint32_t modes;
	/** OWAMP Modes offered (bits 0-2, and TW_MODE_OWAMP_IKEV2). */
	uint32_t owamp_modes;
	uint32_t count;              /**< PBKDF2 Count, power of 2 >= 1024 */
	uint32_t max_connections;    /**< >= 1 */
	uint32_t max_sessions;       /**< total, >= 1 */
	uint32_t max_sessions_per_connection; /**< >= 1 */
	uint32_t servwait_s;         /**< SERVWAIT (RFC 5357 §3.1), >= 1 */
	uint32_t refwait_s;          /**< REFWAIT, handed to session_add */
	/** Time a started message may take to complete (0: 10000 ms). */
	uint32_t msg_deadline_ms;
	/** Output octets queued per connection before it is closed
	 *  (0: 16 MiB; Fetch-Session answers count). */
	uint32_t out_max;
	/** RFC 7717 shared secret -> Token key: PBKDF2 (default) or DIRECT
	 *  (docs/protocol.md). */
	enum tw_crypto_token_key_mode ike_token_key;
	/**
	 * The seed draft's profile instead of RFC 7717 (docs/protocol.md):
	 * the IKEv2 bit is offered when ops.draft_lookup finds the Child SA
	 * between the two ends, whose Protocol and SPIs the greeting then
	 * carries; ike_lookup / ike_count are not used.
	 */
	bool draft;
	enum tw_ctrl_draft_variant draft_variant;
	/** base and Alternative 1: SKEYSEED or KEYMAT as the secret / root. */
	enum tw_ctrl_draft_secret draft_secret;
	/** base only: test keys = prf+(secret, SID) (tw_crypto_draft_sid_keys()). */
	bool draft_sid_key;
	/** SID IPv4 address (RFC 4656 §3.5; zero: the connection's local
	 *  IPv4 address, or the last 4 octets of its IPv6 one). */
	uint8_t sid_addr[4];
};

/**
 * Create a server (no sockets yet).
 * @return the server, or NULL with errno EINVAL (bad conf, no
 *         session_add) or ENOMEM.
 */
struct tw_ctrl_server *tw_ctrl_server_create(const struct tw_ctrl_server_conf *conf,
					     const struct tw_ctrl_server_ops *ops,
					     void *arg);

/**
 * Close every connection (deleting its sessions, reason "shutdown") and
 * listen socket, wipe the keys and free. NULL is a no-op.
 */
void tw_ctrl_server_destroy(struct tw_ctrl_server *srv);

/**
 * Listen on an address (non-blocking, SO_REUSEADDR, IPV6_V6ONLY on IPv6).
 * @param family AF_INET or AF_INET6
 * @param addr   network order, IPv4 in the first 4 octets; all zero = any
 * @param port   TCP port (host order; 0 = an ephemeral one, see
 *               tw_ctrl_server_listen_port())
 * @param proto  TW_CTRL_TWAMP or TW_CTRL_OWAMP
 * @return the listen index (>= 0), or -EINVAL, -ENOSPC (16 listeners) or
 *         the socket's -errno (-EADDRINUSE, -EADDRNOTAVAIL, ...).
 */
int tw_ctrl_server_listen(struct tw_ctrl_server *srv, int family,
			  const uint8_t addr[16], uint16_t port,
			  enum tw_ctrl_proto proto);

/** The bound port of listen index @p idx. @return it, or -EINVAL. */
int tw_ctrl_server_listen_port(const struct tw_ctrl_server *srv, int idx);

/**
 * Serve an already connected stream socket (tests, inetd-style use); the
 * server owns @p fd from now on (also on failure).
 * @return 0, -EINVAL, or -EMFILE when max_connections was reached (the
 *         connection is then told Modes 0 and closed).
 */
int tw_ctrl_server_adopt(struct tw_ctrl_server *srv, int fd,
			 enum tw_ctrl_proto proto);

/**
 * One pass: accept, read, run the state machines, write, enforce
 * deadlines and SERVWAIT. Never blocks longer than @p timeout_ms (0: not
 * at all); one slow client never holds the others.
 * @return the number of events handled (>= 0), or -errno of epoll_wait.
 */
int tw_ctrl_server_poll(struct tw_ctrl_server *srv, int timeout_ms);

/**
 * The caller removed a running session because REFWAIT expired (RFC 5357
 * §4.2). When that is true of every running session of its connection,
 * SERVWAIT monitoring resumes from now (RFC 5357 §3.1, "as though a
 * Stop-Sessions command had been received"); the client's Stop-Sessions
 * still counts the session.
 * @param conn_id  tw_ctrl_srv_session.conn_id of the session
 * @param handle   the handle session_add gave
 * @return 0, -ENOENT (no such connection or session) or -EINVAL.
 */
int tw_ctrl_server_session_expired(struct tw_ctrl_server *srv, uint64_t conn_id,
				   uint64_t handle);

/** The epoll descriptor (readable when tw_ctrl_server_poll() has work). */
int tw_ctrl_server_fd(const struct tw_ctrl_server *srv);

/** Server counters. */
struct tw_ctrl_server_stats {
	uint64_t accepted;           /**< connections accepted */
	uint32_t connections;        /**< open now */
	uint32_t sessions;           /**< installed now */
	uint64_t sessions_accepted;  /**< Accept-Session 0 sent */
	uint64_t sessions_refused;   /**< Accept-Session non-zero sent */
	uint64_t closes[TW_CTRL_SRV_CLOSE__MAX]; /**< by reason */
};

/** Read the counters. @return 0 or -EINVAL. */
int tw_ctrl_server_stats(const struct tw_ctrl_server *srv,
			 struct tw_ctrl_server_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* TW_CTRL_SERVER_H */
