/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * twamp-dp configuration: one YAML file -> one validated struct tw_config.
 *
 * tw_config_load() parses with libyaml into a fresh struct, fills in every
 * default, validates every value and every cross reference, and collects
 * ALL problems of the file (and of the key file it names) as
 * "file:line:col: message" strings in a struct tw_config_diag. Nothing is
 * printed; the caller decides. tw_config_dump() prints the effective
 * configuration as canonical YAML that loads back to an equal struct.
 *
 * Secrets (passphrases, hex keys) live only in the key file
 * (reflector.control.keys); the main file refers to them by name, so the
 * main file and its dump never hold key material. See docs/config.md.
 * No DPDK dependency.
 */
#ifndef TW_CONFIG_H
#define TW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TW_CONFIG_NAME_MAX 32     /**< port / session name, with NUL */
#define TW_CONFIG_STR_MAX 256     /**< device strings, paths, with NUL */
#define TW_CONFIG_KEYID_MAX 80    /**< KeyID octets (RFC 4656 §3.1) */
#define TW_CONFIG_PASS_MAX 256    /**< passphrase octets */
#define TW_CONFIG_SECRET_MAX 64   /**< hex secret octets */
#define TW_CONFIG_ADDRS_MAX 16    /**< addresses per port / listen / allow */
#define TW_CONFIG_LCORES_MAX 128
#define TW_CONFIG_EAL_MAX 64
#define TW_CONFIG_PORTS_MAX 16
#define TW_CONFIG_LIGHT_MAX 64
#define TW_CONFIG_STATIC_MAX 1024
#define TW_CONFIG_SESSIONS_MAX 4096
#define TW_CONFIG_SAS_MAX 1024
#define TW_CONFIG_KEYS_MAX 1024
#define TW_CONFIG_DIAG_MAX 200    /**< messages kept per load */

/** Default TWAMP/OWAMP-Control and test port (RFC 5357 §8, RFC 8545 §7). */
#define TW_CONFIG_DEFAULT_PORT 862

/** An IPv4 or IPv6 address with a prefix length (host address: 32/128). */
struct tw_config_addr {
	uint8_t family;   /**< 4 or 6 */
	uint8_t prefix;   /**< prefix length */
	uint8_t addr[16]; /**< network order; IPv4 in the first 4 octets */
};

/**
 * Text form of @p a (without prefix) into @p buf.
 * @return @p buf; "?" in it when the address cannot be formatted.
 */
const char *tw_config_addr_str(const struct tw_config_addr *a, char *buf, size_t cap);

/** True when host address @p a lies in prefix @p net (same family, first net->prefix bits). */
bool tw_config_addr_in_prefix(const struct tw_config_addr *net,
			      const struct tw_config_addr *a);

/** An address and a UDP/TCP port ("198.18.0.1:862", "[2001:2::1]:862"). */
struct tw_config_endpoint {
	struct tw_config_addr ip;
	uint16_t port;
};

/** Exception path for non-test traffic of a port. */
enum tw_config_exception {
	TW_CONFIG_EXC_TAP = 0, /**< a net_tap interface per port (default) */
	TW_CONFIG_EXC_NONE,    /**< drop (benchmarks) */
};

/** One DPDK port. */
struct tw_config_port {
	char name[TW_CONFIG_NAME_MAX];  /**< operator name, unique */
	char device[TW_CONFIG_STR_MAX]; /**< PCI address or vdev string */
	struct tw_config_addr ipv4[TW_CONFIG_ADDRS_MAX];
	unsigned n_ipv4;
	struct tw_config_addr ipv6[TW_CONFIG_ADDRS_MAX];
	unsigned n_ipv6;
	uint16_t vlan;         /**< 802.1Q VLAN ID 1..4094; 0 = untagged */
	bool has_mac;          /**< mac overrides the NIC's address */
	uint8_t mac[6];
	enum tw_config_exception exception;
	uint16_t rx_desc;      /**< power of 2, 64..16384 (1024) */
	uint16_t tx_desc;      /**< power of 2, 64..16384 (1024) */
};

/** TWAMP-Control modes, bit values of the RFC 7717 §7 Modes registry. */
#define TW_CONFIG_MODE_OPEN 0x01u  /**< unauthenticated */
#define TW_CONFIG_MODE_AUTH 0x02u  /**< authenticated */
#define TW_CONFIG_MODE_ENC 0x04u   /**< encrypted */
#define TW_CONFIG_MODE_MIXED 0x08u /**< unauth test, enc control (RFC 5618) */
#define TW_CONFIG_MODE_IKEV2 0x80u /**< IKEv2-derived key (RFC 7717) */

/** TWAMP-Control options offered, bit values of the Modes registry. */
#define TW_CONFIG_OPT_INDIVIDUAL 0x010u  /**< RFC 5938 */
#define TW_CONFIG_OPT_REFLECT 0x020u     /**< RFC 6038 reflect octets */
#define TW_CONFIG_OPT_SYMMETRIC 0x040u   /**< RFC 6038 symmetrical size */
#define TW_CONFIG_OPT_DSCP_ECN 0x100u    /**< RFC 7750 */
#define TW_CONFIG_OPT_PTP 0x200u         /**< RFC 8186 */

/** reflector.control: the TWAMP server. */
struct tw_config_control {
	bool enabled;  /**< true when the section is present (or enabled: true) */
	struct tw_config_endpoint listen[TW_CONFIG_ADDRS_MAX];
	unsigned n_listen;
	uint32_t modes;   /**< TW_CONFIG_MODE_* offered */
	uint32_t options; /**< TW_CONFIG_OPT_* offered */
	char keys[TW_CONFIG_STR_MAX]; /**< key file path as written ("" none) */
	uint32_t count;   /**< PBKDF2 iterations offered (power of 2 >= 1024) */
	uint32_t max_connections;
	uint32_t max_sessions;
	uint32_t max_sessions_per_connection;
	uint32_t servwait_s; /**< SERVWAIT (RFC 5357 §3.1), 900 */
	uint32_t refwait_s;  /**< REFWAIT (RFC 5357 §4.2), 900 */
	/** OWAMP-Control (RFC 4656 §2) TCP port on the listen addresses,
	 *  861; 0 = no OWAMP server */
	uint16_t owamp_port;
};

/** Test protocol of a light port, static session or sender session. */
enum tw_config_proto {
	TW_CONFIG_PROTO_TWAMP = 0,  /**< full TWAMP (control + test) */
	TW_CONFIG_PROTO_LIGHT,      /**< TWAMP Light (RFC 5357 App. I) */
	TW_CONFIG_PROTO_STAMP,      /**< STAMP (RFC 8762) */
	TW_CONFIG_PROTO_OWAMP,      /**< OWAMP (RFC 4656): sender.sessions only */
};

/** Most packets of an OWAMP sender session (its records are fetched). */
#define TW_CONFIG_OWAMP_MAX_PACKETS (1u << 24)

/** Test-packet security mode. */
enum tw_config_mode {
	TW_CONFIG_TMODE_OPEN = 0,
	TW_CONFIG_TMODE_AUTH,
	TW_CONFIG_TMODE_ENC,
	/** RFC 5618 mixed: control encrypted, test packets open (sender
	 *  sessions of protocol twamp only) */
	TW_CONFIG_TMODE_MIXED,
};

/** reflector.light[]: a stateless UDP reflector port. */
struct tw_config_light {
	uint16_t port;                 /**< UDP port, unique (862) */
	enum tw_config_proto protocol; /**< LIGHT or STAMP (STAMP) */
	enum tw_config_mode mode;      /**< STAMP: open or auth */
	char key_id[TW_CONFIG_KEYID_MAX + 1]; /**< key-file secret, auth/enc */
	bool stateful;                 /**< STAMP §4.2 stateful reflector */
	struct tw_config_addr allow[TW_CONFIG_ADDRS_MAX]; /**< none = any */
	unsigned n_allow;
};

/** reflector.static_sessions[]: a reflected peer without control protocol. */
struct tw_config_static {
	struct tw_config_addr peer;   /**< host address */
	uint16_t peer_port;           /**< 0 = any */
	uint16_t port;                /**< local UDP port (862) */
	enum tw_config_proto protocol;
	enum tw_config_mode mode;
	char key_id[TW_CONFIG_KEYID_MAX + 1];
	bool stateful;
};

enum tw_config_schedule {
	TW_CONFIG_SCHED_PERIODIC = 0,
	TW_CONFIG_SCHED_POISSON,
};

/** sender.sessions[]: one paced test stream. */
struct tw_config_session {
	char name[TW_CONFIG_NAME_MAX];  /**< unique; default "s<index>" */
	struct tw_config_addr peer;     /**< host address */
	uint16_t peer_port;             /**< control port (twamp) or test port (862) */
	char port[TW_CONFIG_NAME_MAX];  /**< local port name; default: first
					     port with the peer's family */
	uint16_t src_port;              /**< local UDP port, 0 = any */
	enum tw_config_proto protocol;  /**< default TWAMP */
	enum tw_config_mode mode;
	char key_id[TW_CONFIG_KEYID_MAX + 1];
	bool by_duration;       /**< stop after duration_s, else after count */
	uint64_t count;
	uint32_t duration_s;
	bool by_interval;       /**< pace by interval_us, else by rate_pps */
	uint32_t rate_pps;
	uint32_t interval_us;
	enum tw_config_schedule schedule;
	uint32_t padding;       /**< octets; default equalises (27 / 64 / 0) */
	uint8_t dscp;           /**< 0..63 */
	uint8_t ecn;            /**< 0..3 */
	uint32_t timeout_s;     /**< wait for late replies (RFC 5357 Timeout) */
	/** TWAMP-Control options asked for (TW_CONFIG_OPT_INDIVIDUAL,
	 *  _REFLECT, _SYMMETRIC, _DSCP_ECN); each one must be offered */
	uint32_t options;
	/** RFC 6038 Length of padding to reflect (option reflect_octets) */
	uint16_t reflect_padding;
	/** RFC 7717: keys from the newest IKE SA with the peer in the
	 *  key-import table (KeyID = SPIi | SPIr), not from key_id */
	bool ikev2;
	/** The test stream rides this static outbound SA (ipsec.sas[],
	 *  direction out); 0 = the key-import Child SA whose selectors
	 *  cover the stream, if any */
	uint32_t sa_spi;
};

enum tw_config_profile { TW_CONFIG_IKEV2_RFC7717 = 0, TW_CONFIG_IKEV2_DRAFT };
enum tw_config_token_key { TW_CONFIG_TOKEN_PBKDF2 = 0, TW_CONFIG_TOKEN_DIRECT };
/** The seed draft's variants (docs/protocol.md): base, Alternative 1, 2. */
enum tw_config_variant { TW_CONFIG_VARIANT_BASE = 0, TW_CONFIG_VARIANT_ALT1,
			 TW_CONFIG_VARIANT_ALT2 };
/** The seed draft's secret / root key: SKEYSEED or the Child SA's KEYMAT. */
enum tw_config_draft_secret { TW_CONFIG_SECRET_SKEYSEED = 0, TW_CONFIG_SECRET_KEYMAT };
enum tw_config_dir { TW_CONFIG_DIR_IN = 0, TW_CONFIG_DIR_OUT };
enum tw_config_sa_proto { TW_CONFIG_SA_ESP = 0, TW_CONFIG_SA_AH };
enum tw_config_sa_mode { TW_CONFIG_SA_TUNNEL = 0, TW_CONFIG_SA_TRANSPORT };

enum tw_config_cipher {
	TW_CONFIG_CIPHER_NULL = 0,
	TW_CONFIG_CIPHER_AES_GCM_128,  /**< key 16 + salt 4 (RFC 4106 §8.1) */
	TW_CONFIG_CIPHER_AES_GCM_256,  /**< key 32 + salt 4 */
	TW_CONFIG_CIPHER_AES_CBC_128,  /**< key 16 (RFC 3602) */
	TW_CONFIG_CIPHER_AES_CBC_256,  /**< key 32 */
	TW_CONFIG_CIPHER_AES_CTR_128,  /**< key 16 + nonce 4 (RFC 3686 §5.1) */
};

enum tw_config_auth {
	TW_CONFIG_AUTH_NONE = 0,
	TW_CONFIG_AUTH_HMAC_SHA1_96,     /**< key 20 (RFC 2404) */
	TW_CONFIG_AUTH_HMAC_SHA256_128,  /**< key 32 (RFC 4868) */
};

/** ipsec.sas[]: a static (manually keyed) SA for measurement traffic. */
struct tw_config_sa {
	uint32_t spi;             /**< >= 256 (RFC 4303 §2.1) */
	enum tw_config_dir dir;
	struct tw_config_addr src, dst; /**< tunnel (or transport) endpoints */
	enum tw_config_sa_proto proto;
	enum tw_config_sa_mode mode;
	bool encap_udp;           /**< ESP in UDP (RFC 3948) */
	uint16_t encap_sport, encap_dport; /**< 4500 / 4500 */
	enum tw_config_cipher cipher;
	enum tw_config_auth auth;
	char cipher_key[TW_CONFIG_KEYID_MAX + 1]; /**< key-file secret name */
	char auth_key[TW_CONFIG_KEYID_MAX + 1];   /**< key-file secret name */
	uint32_t replay_window;   /**< in: packets 0..4096, 0 = no anti-replay check */
	bool esn;                 /**< 64-bit sequence numbers (RFC 4303 §2.2.1) */
	/** out, tunnel: outer DSCP @c outer_dscp (0..63) instead of the inner
	 *  packet's (RFC 4301 §5.1.2.1); false = copy (the default) */
	bool outer_dscp_fixed;
	uint8_t outer_dscp;
};

struct tw_config_ipsec {
	char key_import_socket[TW_CONFIG_STR_MAX]; /**< "" = no key import */
	enum tw_config_profile profile;
	enum tw_config_token_key token_key;  /**< rfc7717 only */
	enum tw_config_variant variant;      /**< draft only */
	enum tw_config_draft_secret secret;  /**< draft, base and alt1 */
	bool sid_key;                        /**< draft, base only */
	struct tw_config_sa *sas;
	unsigned n_sas;
};

struct tw_config_telemetry {
	bool counters;            /**< per-lcore drop/packet counters (true) */
	bool turnaround;          /**< reflector RX->TX histogram (true) */
	uint32_t interval_s;      /**< counter snapshot period (10) */
};

enum tw_config_per_packet {
	TW_CONFIG_PP_NONE = 0,
	TW_CONFIG_PP_CSV,
	TW_CONFIG_PP_JSONL,
};

struct tw_config_results {
	char dir[TW_CONFIG_STR_MAX];   /**< "/var/lib/twamp-dp/results" */
	enum tw_config_per_packet per_packet;
};

/** One key-file entry: a passphrase (keys:) or a hex secret (secrets:). */
struct tw_config_key {
	char id[TW_CONFIG_KEYID_MAX + 1]; /**< KeyID, UTF-8, NUL-terminated */
	bool is_secret;                   /**< hex secret, else passphrase */
	size_t len;                       /**< octets in value */
	uint8_t value[TW_CONFIG_PASS_MAX];
};

/** A loaded key file. Wiped by tw_config_keys_free(). */
struct tw_config_keys {
	char path[TW_CONFIG_STR_MAX * 2]; /**< as opened (resolved) */
	struct tw_config_key *v;
	unsigned n;
};

/** The whole validated configuration. */
struct tw_config {
	char **eal;              /**< EAL arguments, NUL-terminated strings */
	unsigned n_eal;
	struct tw_config_port *ports;
	unsigned n_ports;
	uint16_t lcores[TW_CONFIG_LCORES_MAX]; /**< workers.lcores */
	unsigned n_lcores;
	/** workers.idle_sleep_us: a worker's back-off after an empty poll;
	 *  0 = pure polling (a dedicated core) */
	uint32_t idle_sleep_us;
	struct tw_config_control control;
	struct tw_config_light *light;
	unsigned n_light;
	struct tw_config_static *statics;
	unsigned n_statics;
	struct tw_config_session *sessions;
	unsigned n_sessions;
	struct tw_config_ipsec ipsec;
	struct tw_config_telemetry telemetry;
	struct tw_config_results results;
	struct tw_config_keys keys; /**< contents of control.keys, if any */
	/** sender.lcore: the Session-Sender's own lcore (with its own TX
	 *  queue per port); without it the sender runs in worker 0's loop */
	bool has_sender_lcore;
	uint16_t sender_lcore;
};

/** One diagnostic. */
struct tw_config_msg {
	char *text;     /**< "file:line:col: [warning: ]message" */
	unsigned line;  /**< 1-based; 0 when the problem has no position */
	unsigned col;   /**< 1-based */
	bool warning;   /**< warnings do not fail the load */
};

/** Diagnostics collected by a load. Zero-initialise before use. */
struct tw_config_diag {
	struct tw_config_msg *msgs;
	unsigned n, cap;
	unsigned n_errors;
	unsigned n_warnings;
	bool truncated; /**< more than TW_CONFIG_DIAG_MAX messages */
};

/**
 * Load and validate a configuration file.
 *
 * A relative key-file path (reflector.control.keys) is resolved against the
 * directory of @p path. Errors and warnings are appended to @p diag (may be
 * NULL). The key file's permissions give a warning when group or others
 * can read it.
 *
 * @param path  file to read
 * @param out   receives a new config on success (free with tw_config_free())
 * @param diag  receives every message; free with tw_config_diag_free()
 * @return 0 on success (warnings possible); -EINVAL when the file has
 *         errors (all of them in @p diag); -ENOMEM; -errno when @p path
 *         cannot be read (also in @p diag).
 */
int tw_config_load(const char *path, struct tw_config **out,
		   struct tw_config_diag *diag);

/**
 * Load and validate a configuration held in memory.
 *
 * @param name  file name used in messages and to resolve the key file
 * @param buf   YAML text (need not be NUL-terminated)
 * @param len   octets in @p buf
 * @param out   receives a new config on success
 * @param diag  receives every message (may be NULL)
 * @return 0, -EINVAL (errors in @p diag), -ENOMEM.
 */
int tw_config_load_buffer(const char *name, const char *buf, size_t len,
			  struct tw_config **out, struct tw_config_diag *diag);

/**
 * Load and validate a key file on its own (twamp-dp --check-keys).
 *
 * @param path  key file
 * @param keys  filled on success; release with tw_config_keys_free()
 * @param diag  receives every message (may be NULL)
 * @return 0, -EINVAL (errors in @p diag), -ENOMEM, -errno if unreadable.
 */
int tw_config_keys_load(const char *path, struct tw_config_keys *keys,
			struct tw_config_diag *diag);

/** Wipe and release the entries of @p keys (NULL-safe). */
void tw_config_keys_free(struct tw_config_keys *keys);

/**
 * Find a key-file entry by KeyID.
 *
 * @return the entry or NULL.
 */
const struct tw_config_key *tw_config_key_find(const struct tw_config_keys *keys,
					       const char *id);

/** Wipe every secret of @p cfg and release it (NULL-safe). */
void tw_config_free(struct tw_config *cfg);

/** Release the messages of @p diag (NULL-safe); it can be reused. */
void tw_config_diag_free(struct tw_config_diag *diag);

/**
 * Print the effective configuration as canonical YAML: every key, every
 * default filled in, no secrets (the key file is named, not copied).
 * Loading the output gives a config equal to @p cfg (tw_config_equal()).
 *
 * @return 0, or -EIO when writing fails.
 */
int tw_config_dump(const struct tw_config *cfg, FILE *f);

/**
 * Compare two configurations, key-file contents included.
 *
 * @return true when every setting is the same.
 */
bool tw_config_equal(const struct tw_config *a, const struct tw_config *b);

/** Canonical name of a TW_CONFIG_MODE_* or TW_CONFIG_OPT_* bit, or NULL. */
const char *tw_config_mode_name(uint32_t bit);

/** Canonical name of a test protocol ("twamp", "twamp-light", "stamp"). */
const char *tw_config_proto_name(enum tw_config_proto p);

#ifdef __cplusplus
}
#endif

#endif
