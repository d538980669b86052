/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * TWAMP-Control (RFC 5357 §3, RFC 5938, RFC 6038 §4, RFC 7717 §5) and
 * OWAMP-Control (RFC 4656 §3) message codecs.
 *
 * Every message has an encode/decode pair following the conventions of
 * tw_proto.h: decode(buf, len, ..., out) returns the octets consumed or a
 * negative TW_PROTO_E_* code and writes @p out only on success;
 * encode(msg, ..., buf, cap) returns the octets written (MBZ zeroed) or
 * -TW_PROTO_E_NOSPACE when @p cap is short, writing nothing then.
 *
 * These codecs see plaintext. In authenticated and encrypted modes the
 * caller decrypts the CBC stream before decode and encrypts after encode;
 * HMAC fields are opaque 16-octet arrays that lib/crypto computes. MBZ
 * fields are zeroed on encode and ignored on decode (RFC 4656 §3.1: the
 * receiver MUST ignore them; some routers put garbage there).
 *
 * Variable-length messages (SIDs, schedule slots, skip ranges, records) are
 * decoded without copying: the decoded struct points into the input buffer,
 * which must outlive it; accessors read one element at a time.
 */
#ifndef TW_PROTO_CTRL_H
#define TW_PROTO_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Which control protocol a message belongs to. */
enum tw_ctrl_proto {
	TW_CTRL_TWAMP = 0, /**< RFC 5357, TCP 862 */
	TW_CTRL_OWAMP = 1, /**< RFC 4656, TCP 861 */
};

/* ---- Modes (RFC 4656 §3.1, RFC 5618, RFC 5938, RFC 6038, RFC 7717,
 *      RFC 7718, RFC 7750, RFC 8186; IANA TWAMP-Modes / OWAMP-Modes) ---- */
#define TW_MODE_UNAUTH          0x00000001u /**< bit 0 */
#define TW_MODE_AUTH            0x00000002u /**< bit 1 */
#define TW_MODE_ENCRYPTED       0x00000004u /**< bit 2 */
#define TW_MODE_MIXED           0x00000008u /**< bit 3, TWAMP only (RFC 5618) */
#define TW_MODE_INDIVIDUAL      0x00000010u /**< bit 4, TWAMP (RFC 5938) */
#define TW_MODE_OWAMP_IKEV2     0x00000010u /**< bit 4, OWAMP (RFC 7718) */
#define TW_MODE_REFLECT_OCTETS  0x00000020u /**< bit 5, TWAMP (RFC 6038) */
#define TW_MODE_SYMMETRICAL     0x00000040u /**< bit 6, TWAMP (RFC 6038) */
#define TW_MODE_IKEV2           0x00000080u /**< bit 7, TWAMP (RFC 7717) */
#define TW_MODE_DSCP_ECN        0x00000100u /**< bit 8, TWAMP (RFC 7750) */
#define TW_MODE_PTP             0x00000200u /**< bit 9, TWAMP (RFC 8186) */
/** Security-mode bits of TWAMP (0-3); OWAMP uses bits 0-2. */
#define TW_MODE_SECURITY_TWAMP  0x0000000fu
#define TW_MODE_SECURITY_OWAMP  0x00000007u

/** TWAMP-Control command numbers (RFC 5357 §8, RFC 5938 §5, RFC 9533). */
enum tw_twamp_cmd {
	TW_TWAMP_CMD_RESERVED = 0,
	TW_TWAMP_CMD_FORBIDDEN = 1,
	TW_TWAMP_CMD_START_SESSIONS = 2,
	TW_TWAMP_CMD_STOP_SESSIONS = 3,
	TW_TWAMP_CMD_RESERVED4 = 4,
	TW_TWAMP_CMD_REQUEST_TW_SESSION = 5,
	TW_TWAMP_CMD_EXPERIMENTATION = 6,
	TW_TWAMP_CMD_START_N_SESSIONS = 7,
	TW_TWAMP_CMD_START_N_ACK = 8,
	TW_TWAMP_CMD_STOP_N_SESSIONS = 9,
	TW_TWAMP_CMD_STOP_N_ACK = 10,
	TW_TWAMP_CMD_REQUEST_TW_MICRO_SESSIONS = 11,
};

/** OWAMP-Control command numbers (RFC 4656 §3.4, RFC 7718 §3.1.4). */
enum tw_owamp_cmd {
	TW_OWAMP_CMD_RESERVED = 0,
	TW_OWAMP_CMD_REQUEST_SESSION = 1,
	TW_OWAMP_CMD_START_SESSIONS = 2,
	TW_OWAMP_CMD_STOP_SESSIONS = 3,
	TW_OWAMP_CMD_FETCH_SESSION = 4,
	TW_OWAMP_CMD_EXPERIMENTATION = 254,
	TW_OWAMP_CMD_RESERVED255 = 255,
};

/** Accept values (RFC 4656 §3.3; 6 from RFC 7717 §5.3, Server-Start only). */
enum tw_ctrl_accept {
	TW_ACCEPT_OK = 0,
	TW_ACCEPT_FAILURE = 1,
	TW_ACCEPT_INTERNAL = 2,
	TW_ACCEPT_NOT_SUPPORTED = 3,
	TW_ACCEPT_PERMANENT = 4,
	TW_ACCEPT_TEMPORARY = 5,
	TW_ACCEPT_NO_IKEV2_SA = 6,
};

/* ---- sizes ---- */
#define TW_CTRL_BLOCK            16u
#define TW_CTRL_SID_LEN          16u
#define TW_CTRL_HMAC_LEN         16u
#define TW_CTRL_KEYID_LEN        80u
#define TW_CTRL_TOKEN_LEN        64u
#define TW_CTRL_IV_LEN           16u
#define TW_CTRL_SPI_LEN          8u
#define TW_CTRL_GREETING_LEN     64u
#define TW_CTRL_SETUP_RESPONSE_LEN 164u
#define TW_CTRL_SERVER_START_LEN 48u
#define TW_CTRL_REQUEST_TW_SESSION_LEN 112u
#define TW_CTRL_ACCEPT_SESSION_LEN 48u
#define TW_CTRL_START_SESSIONS_LEN 32u
#define TW_CTRL_START_ACK_LEN    32u
#define TW_CTRL_STOP_SESSIONS_LEN 32u
#define TW_CTRL_FETCH_SESSION_LEN 48u
#define TW_CTRL_FETCH_ACK_LEN    32u
#define TW_OWAMP_SLOT_LEN        16u
#define TW_OWAMP_SKIP_LEN        8u
#define TW_OWAMP_RECORD_LEN      25u
/** Smallest valid PBKDF2 Count (RFC 4656 §3.1). */
#define TW_CTRL_COUNT_MIN        1024u
/** Default client cap on Count (RFC 5357 §6). */
#define TW_CTRL_COUNT_CAP_DEFAULT 32768u
/**
 * Largest control message the codecs and the framing helper accept; counts
 * that would make a message longer give -TW_PROTO_E_LENGTH. 1 MiB holds
 * 65534 SIDs or about 130000 skip ranges.
 */
#define TW_CTRL_MSG_MAX          (1u << 20)

/** Round @p n up to a multiple of the 16-octet block (no overflow check). */
static inline size_t tw_proto_ctrl_pad16(size_t n)
{
	return (n + 15u) & ~(size_t)15u;
}

/* ---- names ---- */

/** Name of a command number of @p proto ("Request-TW-Session", ...); "unknown" otherwise. */
const char *tw_proto_ctrl_cmd_name(enum tw_ctrl_proto proto, uint8_t cmd);

/** Name of an Accept value ("OK", ...); "reserved" for values RFC 4656 leaves open. */
const char *tw_proto_ctrl_accept_name(uint8_t accept);

/**
 * Name of Modes bit @p bit (0..31) of @p proto ("unauthenticated", ...);
 * "unassigned" for a free bit.
 */
const char *tw_proto_ctrl_mode_name(enum tw_ctrl_proto proto, unsigned bit);

/**
 * An Accept value as a receiver must read it: RFC 4656 §3.3 says values
 * other than the defined ones mean 1. 6 is kept (RFC 7717 §5.3).
 */
uint8_t tw_proto_ctrl_accept_normalize(uint8_t accept);

/* ======================= connection setup ======================= */

/** Server Greeting (RFC 4656 §3.1). */
struct tw_ctrl_greeting {
	uint8_t unused[12];   /**< "Unused": sent as given, decoded as seen */
	uint32_t modes;       /**< OR of the TW_MODE_* the server offers */
	uint8_t challenge[16];
	uint8_t salt[16];
	uint32_t count;       /**< PBKDF2 iterations: power of 2, >= 1024 */
};

/**
 * Encode a Server Greeting (64 octets).
 * @return 64, -TW_PROTO_E_NOSPACE, or -TW_PROTO_E_COUNT when count is not
 *         a power of 2 or below 1024.
 */
int tw_proto_ctrl_greeting_encode(const struct tw_ctrl_greeting *m,
				  uint8_t *buf, size_t cap);

/**
 * Decode a Server Greeting. Modes 0 decodes (it means "go away").
 * @return 64, -TW_PROTO_E_TRUNCATED, or -TW_PROTO_E_COUNT.
 */
int tw_proto_ctrl_greeting_decode(const uint8_t *buf, size_t len,
				  struct tw_ctrl_greeting *out);

/**
 * Client-side check of a greeting's Count against a cap (RFC 5357 §6: a
 * client SHOULD close when Count exceeds it).
 * @param cap the largest Count accepted; 0 means TW_CTRL_COUNT_CAP_DEFAULT.
 * @return 0, or -TW_PROTO_E_COUNT when @p count is invalid or above @p cap.
 */
int tw_proto_ctrl_count_check(uint32_t count, uint32_t cap);

/** Set-Up-Response (RFC 4656 §3.1; KeyID per RFC 7717 §5.3 in IKEv2 mode). */
struct tw_ctrl_setup_response {
	uint32_t mode;                         /**< the chosen TW_MODE_* bits */
	uint8_t keyid[TW_CTRL_KEYID_LEN];
	uint8_t token[TW_CTRL_TOKEN_LEN];      /**< AES-CBC encrypted, opaque here */
	uint8_t client_iv[TW_CTRL_IV_LEN];
};

/** Encode a Set-Up-Response. @return 164 or -TW_PROTO_E_NOSPACE. */
int tw_proto_ctrl_setup_response_encode(const struct tw_ctrl_setup_response *m,
					uint8_t *buf, size_t cap);

/**
 * Decode a Set-Up-Response. The Mode is not judged here (see
 * tw_proto_ctrl_mode_check()).
 * @return 164 or -TW_PROTO_E_TRUNCATED.
 */
int tw_proto_ctrl_setup_response_decode(const uint8_t *buf, size_t len,
					struct tw_ctrl_setup_response *out);

/**
 * Check a Set-Up-Response Mode against the greeting's Modes: exactly one
 * security bit (TWAMP bits 0-3, OWAMP bits 0-2) and every chosen bit
 * offered (RFC 4656 §3.1, RFC 5618 §3.1, RFC 7717 §5.3). Mode 0 (the
 * client quits) is also -TW_PROTO_E_MODE; test for it first if it matters.
 * @return 0 or -TW_PROTO_E_MODE.
 */
int tw_proto_ctrl_mode_check(enum tw_ctrl_proto proto, uint32_t offered,
			     uint32_t chosen);

/**
 * RFC 7717 §5.3 KeyID: SPIi (8) | SPIr (8) | 64 zero octets. SPIs are the
 * 8 octets as they appear in the IKE header.
 */
void tw_proto_ctrl_keyid_from_spis(uint8_t keyid[TW_CTRL_KEYID_LEN],
				   const uint8_t spii[TW_CTRL_SPI_LEN],
				   const uint8_t spir[TW_CTRL_SPI_LEN]);

/** Read SPIi and SPIr from an RFC 7717 KeyID, ignoring octets 16-79. */
void tw_proto_ctrl_keyid_to_spis(const uint8_t keyid[TW_CTRL_KEYID_LEN],
				 uint8_t spii[TW_CTRL_SPI_LEN],
				 uint8_t spir[TW_CTRL_SPI_LEN]);

/**
 * KeyID from a UTF-8 name, zero-padded to 80 octets (RFC 4656 §3.1).
 * @return 0, -TW_PROTO_E_RANGE when @p len is 0 or above 80,
 *         -TW_PROTO_E_INVAL when @p name is not UTF-8 or contains NUL.
 */
int tw_proto_ctrl_keyid_from_name(uint8_t keyid[TW_CTRL_KEYID_LEN],
				  const char *name, size_t len);

/**
 * Length of the UTF-8 name in a KeyID (octets before the zero padding).
 * @return 1..80, or -TW_PROTO_E_INVAL when the KeyID is all zero, not
 *         UTF-8, or has non-zero octets after the first zero.
 */
int tw_proto_ctrl_keyid_name_len(const uint8_t keyid[TW_CTRL_KEYID_LEN]);

/* ---- the seed draft's profile (docs/protocol.md, "The seed draft's
 *      mechanisms"; draft-ietf-ippm-ipsec, the early form of RFC 7717) ---- */

/** Which of the seed draft's key mechanisms a connection uses. */
enum tw_ctrl_draft_variant {
	TW_CTRL_DRAFT_BASE = 0, /**< §4.1: RFC 4656 keyed by SKEYSEED or KEYMAT */
	TW_CTRL_DRAFT_ALT1 = 1, /**< §4.2.1: root key, Token = Enc_root(Challenge) */
	TW_CTRL_DRAFT_ALT2 = 2, /**< §4.2.2: session keys = the Child SA's keys */
};

#define TW_CTRL_DRAFT_PROTO_ESP 50u /**< IP protocol number of ESP */
#define TW_CTRL_DRAFT_PROTO_AH  51u /**< IP protocol number of AH */
/** SPIs 0-255 never name an SA (RFC 4303 §2.1, RFC 4302 §2.4). */
#define TW_CTRL_DRAFT_SPI_MIN   256u

/** Server Greeting with the Child SA binding (every draft variant). */
struct tw_ctrl_draft_greeting {
	uint8_t protocol;     /**< 50 ESP or 51 AH */
	uint32_t spi_in;      /**< server's inbound SA (client -> server) */
	uint32_t spi_out;     /**< server's outbound SA (server -> client) */
	uint32_t modes;
	uint8_t challenge[16]; /**< base, Alt. 1; MBZ in Alt. 2 */
	uint8_t salt[16];      /**< base only; MBZ in Alt. 1 and 2 */
	uint32_t count;        /**< base only (power of 2 >= 1024); MBZ otherwise */
};

/**
 * Encode a draft Server Greeting of variant @p v (64 octets); the fields
 * the variant drops are written as zeros whatever @p m holds.
 * @return 64, -TW_PROTO_E_NOSPACE, -TW_PROTO_E_INVAL (unknown variant),
 *         -TW_PROTO_E_PROTOCOL (not 50/51), -TW_PROTO_E_RANGE (an SPI
 *         below 256) or -TW_PROTO_E_COUNT (base: Count invalid).
 */
int tw_proto_ctrl_draft_greeting_encode(enum tw_ctrl_draft_variant v,
					const struct tw_ctrl_draft_greeting *m,
					uint8_t *buf, size_t cap);

/**
 * Decode a draft Server Greeting of variant @p v. Unlike the RFC 4656
 * decoder, every MBZ field of the variant is checked: a greeting of
 * another variant (or an RFC 4656 one) must not pass as this one.
 * @return 64, -TW_PROTO_E_TRUNCATED, -TW_PROTO_E_INVAL (unknown variant),
 *         -TW_PROTO_E_PROTOCOL, -TW_PROTO_E_RANGE (SPI below 256),
 *         -TW_PROTO_E_MBZ or -TW_PROTO_E_COUNT (base: Count invalid).
 */
int tw_proto_ctrl_draft_greeting_decode(enum tw_ctrl_draft_variant v,
					const uint8_t *buf, size_t len,
					struct tw_ctrl_draft_greeting *out);

/** Set-Up-Response of Alternatives 1 and 2 (164 octets, KeyID MBZ). */
struct tw_ctrl_draft_setup_response {
	uint32_t mode;
	uint8_t token[16];   /**< Alt. 1: AES-128-ECB(root, Challenge); Alt. 2 MBZ */
	uint8_t client_iv[TW_CTRL_IV_LEN];
};

/**
 * Encode an Alternative 1 or 2 Set-Up-Response (the base variant uses
 * tw_proto_ctrl_setup_response_encode() with KeyID zero).
 * @return 164, -TW_PROTO_E_NOSPACE or -TW_PROTO_E_INVAL (base or unknown).
 */
int tw_proto_ctrl_draft_setup_response_encode(enum tw_ctrl_draft_variant v,
					      const struct tw_ctrl_draft_setup_response *m,
					      uint8_t *buf, size_t cap);

/**
 * Decode an Alternative 1 or 2 Set-Up-Response, MBZ checked (KeyID, the
 * 48 octets after Alt. 1's Token, Alt. 2's whole Token); Mode 0 (the
 * client quits) decodes whatever follows it.
 * @return 164, -TW_PROTO_E_TRUNCATED, -TW_PROTO_E_INVAL or -TW_PROTO_E_MBZ.
 */
int tw_proto_ctrl_draft_setup_response_decode(enum tw_ctrl_draft_variant v,
					      const uint8_t *buf, size_t len,
					      struct tw_ctrl_draft_setup_response *out);

/** Server-Start (RFC 4656 §3.1). */
struct tw_ctrl_server_start {
	uint8_t accept;                   /**< enum tw_ctrl_accept */
	uint8_t server_iv[TW_CTRL_IV_LEN];
	tw_ntp_t start_time;              /**< SHOULD be 0 when accept != 0 */
};

/** Encode a Server-Start. @return 48 or -TW_PROTO_E_NOSPACE. */
int tw_proto_ctrl_server_start_encode(const struct tw_ctrl_server_start *m,
				      uint8_t *buf, size_t cap);

/** Decode a Server-Start. @return 48 or -TW_PROTO_E_TRUNCATED. */
int tw_proto_ctrl_server_start_decode(const uint8_t *buf, size_t len,
				      struct tw_ctrl_server_start *out);

/* ======================= session requests ======================= */

/** Type-P Descriptor formats (RFC 4656 §3.5: first two bits). */
enum tw_typep_format {
	TW_TYPEP_DSCP = 0,   /**< 00: six bits of DSCP */
	TW_TYPEP_PHB_ID = 1, /**< 01: 16-bit PHB ID (RFC 2836) */
	TW_TYPEP_RESERVED2 = 2,
	TW_TYPEP_RESERVED3 = 3,
};

/** A decoded Type-P Descriptor. */
struct tw_typep {
	uint8_t format;   /**< enum tw_typep_format */
	uint8_t dscp;     /**< format 00: 0..63 */
	uint16_t phb_id;  /**< format 01 */
};

/** Type-P Descriptor asking for @p dscp (0..63; EF = 46 gives 0x2E000000). */
uint32_t tw_proto_ctrl_typep_dscp(uint8_t dscp);

/** Type-P Descriptor asking for PHB ID @p phb_id (format 01). */
uint32_t tw_proto_ctrl_typep_phb(uint16_t phb_id);

/**
 * Decode a raw Type-P Descriptor (RFC 4656 §3.5; RFC 5357 §3.5: TWAMP uses
 * it for the DSCP). @p out is always filled (format from the top two bits).
 * @return 0; -TW_PROTO_E_RANGE for formats 10/11, which no RFC defines
 *         (a server SHOULD then reject the session with Accept 3).
 */
int tw_proto_ctrl_typep_decode(uint32_t raw, struct tw_typep *out);

/** OWAMP schedule slot types (RFC 4656 §3.5). */
enum tw_owamp_slot_type {
	TW_OWAMP_SLOT_EXP = 0,   /**< exponentially distributed, mean = parameter */
	TW_OWAMP_SLOT_FIXED = 1, /**< fixed interval = parameter */
};

/** One OWAMP schedule slot. */
struct tw_owamp_slot {
	uint8_t type;        /**< enum tw_owamp_slot_type */
	tw_ntp_t parameter;  /**< an interval in timestamp format */
};

/**
 * Request-TW-Session (RFC 5357 §3.5, RFC 6038 §4.2) and OWAMP
 * Request-Session (RFC 4656 §3.5): the same 112-octet block; OWAMP adds the
 * schedule slots and a second HMAC.
 */
struct tw_ctrl_request {
	uint8_t ipvn;               /**< 4 or 6 */
	uint8_t conf_sender;        /**< TWAMP: 0; OWAMP: 0/1 (decode maps non-zero to 1) */
	uint8_t conf_receiver;
	uint32_t num_slots;         /**< TWAMP: 0; OWAMP: number of slots >= 1 */
	uint32_t num_packets;       /**< TWAMP: 0 */
	uint16_t sender_port;
	uint16_t receiver_port;     /**< TWAMP: 0 lets the server choose */
	uint8_t sender_addr[16];    /**< IPv4 in the first 4 octets; 0 = control peer */
	uint8_t receiver_addr[16];
	uint8_t sid[TW_CTRL_SID_LEN]; /**< 0 in TWAMP requests */
	uint32_t padding_length;
	tw_ntp_t start_time;
	tw_ntp_t timeout;
	uint32_t type_p;            /**< raw Type-P Descriptor (encode uses this) */
	struct tw_typep typep;      /**< decode: type_p decoded (format may be 2/3) */
	uint16_t reflect_octets;    /**< RFC 6038, only with TW_MODE_REFLECT_OCTETS */
	uint16_t reflect_padding;   /**< "Length of padding to reflect" (idem) */
	uint8_t hmac[TW_CTRL_HMAC_LEN];
	/** OWAMP encode: num_slots slots (NULL: taken from slot_wire). */
	const struct tw_owamp_slot *slots;
	/**
	 * OWAMP decode: the slots on the wire (16 * num_slots octets); encode
	 * uses it when slots is NULL, so a decoded request re-encodes (the
	 * Fetch-Session data reproduces it, RFC 4656 §3.9).
	 */
	const uint8_t *slot_wire;
	uint8_t hmac2[TW_CTRL_HMAC_LEN]; /**< OWAMP: the HMAC after the slots */
};

/**
 * Encode a Request-TW-Session (command 5). Conf-Sender/Receiver, Number of
 * Schedule Slots and Number of Packets are written as 0 whatever @p m
 * holds; the reflect fields only when @p mode has TW_MODE_REFLECT_OCTETS;
 * the 12 octets after an IPv4 address are zeroed.
 * @return 112, -TW_PROTO_E_NOSPACE, or -TW_PROTO_E_IPVN.
 */
int tw_proto_twamp_request_encode(const struct tw_ctrl_request *m, uint32_t mode,
				  uint8_t *buf, size_t cap);

/**
 * Decode a Request-TW-Session. Number of Schedule Slots and Number of
 * Packets (MUST be 0) are reported, not judged; the Type-P Descriptor is
 * decoded into m->typep but never rejected here.
 * @return 112, -TW_PROTO_E_TRUNCATED, -TW_PROTO_E_COMMAND (not 5),
 *         -TW_PROTO_E_IPVN (not 4/6), -TW_PROTO_E_CONF (Conf-Sender or
 *         Conf-Receiver non-zero: RFC 5357 §3.5, answer Accept 3).
 */
int tw_proto_twamp_request_decode(const uint8_t *buf, size_t len, uint32_t mode,
				  struct tw_ctrl_request *out);

/**
 * Encode an OWAMP Request-Session (command 1): the 112-octet block with
 * its HMAC, m->num_slots slots from m->slots, then m->hmac2.
 * @return 128 + 16 * num_slots, -TW_PROTO_E_NOSPACE, -TW_PROTO_E_IPVN,
 *         -TW_PROTO_E_CONF (both Conf flags 0), -TW_PROTO_E_SLOT (a slot
 *         type not 0/1), -TW_PROTO_E_RANGE (no slot), -TW_PROTO_E_LENGTH
 *         (above TW_CTRL_MSG_MAX), -TW_PROTO_E_INVAL (slots NULL).
 */
int tw_proto_owamp_request_encode(const struct tw_ctrl_request *m,
				  uint8_t *buf, size_t cap);

/**
 * Decode an OWAMP Request-Session. out->slot_wire points into @p buf.
 * @return 128 + 16 * slots, -TW_PROTO_E_TRUNCATED, -TW_PROTO_E_COMMAND,
 *         -TW_PROTO_E_IPVN, -TW_PROTO_E_CONF (both 0), -TW_PROTO_E_RANGE
 *         (zero slots), -TW_PROTO_E_LENGTH (above TW_CTRL_MSG_MAX),
 *         -TW_PROTO_E_SLOT (unknown slot type).
 */
int tw_proto_owamp_request_decode(const uint8_t *buf, size_t len,
				  struct tw_ctrl_request *out);

/** Slot @p i (< num_slots) of a decoded OWAMP Request-Session. */
void tw_proto_owamp_slot_get(const struct tw_ctrl_request *m, uint32_t i,
			     struct tw_owamp_slot *out);

/** Accept-Session (RFC 4656 §3.5, RFC 5357 §3.5, RFC 6038 §4.3). */
struct tw_ctrl_accept_session {
	uint8_t accept;
	uint16_t port;
	uint8_t sid[TW_CTRL_SID_LEN];
	uint16_t reflected_octets;  /**< RFC 6038, only with TW_MODE_REFLECT_OCTETS */
	uint16_t server_octets;     /**< idem */
	uint8_t hmac[TW_CTRL_HMAC_LEN];
};

/**
 * Encode an Accept-Session (both protocols; OWAMP passes @p mode 0).
 * @return 48 or -TW_PROTO_E_NOSPACE.
 */
int tw_proto_ctrl_accept_session_encode(const struct tw_ctrl_accept_session *m,
					uint32_t mode, uint8_t *buf, size_t cap);

/** Decode an Accept-Session. @return 48 or -TW_PROTO_E_TRUNCATED. */
int tw_proto_ctrl_accept_session_decode(const uint8_t *buf, size_t len,
					uint32_t mode,
					struct tw_ctrl_accept_session *out);

/* ======================= start / stop ======================= */

/** Start-Sessions (RFC 4656 §3.7; command 2 in both protocols). */
struct tw_ctrl_start_sessions {
	uint8_t hmac[TW_CTRL_HMAC_LEN];
};

/** Encode a Start-Sessions (command 2). @return 32 or -TW_PROTO_E_NOSPACE. */
int tw_proto_ctrl_start_sessions_encode(const struct tw_ctrl_start_sessions *m,
					uint8_t *buf, size_t cap);
/** Decode a Start-Sessions. @return 32, -TW_PROTO_E_TRUNCATED or -TW_PROTO_E_COMMAND (not 2). */
int tw_proto_ctrl_start_sessions_decode(const uint8_t *buf, size_t len,
					struct tw_ctrl_start_sessions *out);

/** Start-Ack (RFC 4656 §3.7). */
struct tw_ctrl_start_ack {
	uint8_t accept;
	uint8_t hmac[TW_CTRL_HMAC_LEN];
};

/** Encode a Start-Ack. @return 32 or -TW_PROTO_E_NOSPACE. */
int tw_proto_ctrl_start_ack_encode(const struct tw_ctrl_start_ack *m,
				   uint8_t *buf, size_t cap);
/** Decode a Start-Ack. @return 32 or -TW_PROTO_E_TRUNCATED. */
int tw_proto_ctrl_start_ack_decode(const uint8_t *buf, size_t len,
				   struct tw_ctrl_start_ack *out);

/** TWAMP Stop-Sessions (RFC 5357 §3.8: no session records). */
struct tw_ctrl_stop_sessions {
	uint8_t accept;
	uint32_t num_sessions;
	uint8_t hmac[TW_CTRL_HMAC_LEN];
};

/** Encode a TWAMP Stop-Sessions (command 3). @return 32 or -TW_PROTO_E_NOSPACE. */
int tw_proto_twamp_stop_sessions_encode(const struct tw_ctrl_stop_sessions *m,
					uint8_t *buf, size_t cap);
/**
 * Decode a TWAMP Stop-Sessions. Number of Sessions is reported; checking it
 * against the sessions in progress is the caller's (RFC 5357 §3.8).
 * @return 32, -TW_PROTO_E_TRUNCATED or -TW_PROTO_E_COMMAND (not 3).
 */
int tw_proto_twamp_stop_sessions_decode(const uint8_t *buf, size_t len,
					struct tw_ctrl_stop_sessions *out);

/**
 * RFC 5938 Start-N-Sessions (7), Start-N-Ack (8), Stop-N-Sessions (9),
 * Stop-N-Ack (10): a 16-octet header, N SIDs, HMAC. SIDs are 16 octets so
 * the list ends on a block boundary without padding.
 */
struct tw_ctrl_n_sessions {
	uint8_t accept;          /**< the acks only; 0 in 7 and 9 */
	uint32_t num_sessions;   /**< >= 1 */
	const uint8_t *sids;     /**< 16 * num_sessions octets (decode: into buf) */
	uint8_t hmac[TW_CTRL_HMAC_LEN];
};

/**
 * Encode a Start-N-Sessions (7); the three below work the same way.
 * @return 32 + 16 * N, -TW_PROTO_E_NOSPACE, -TW_PROTO_E_RANGE (N = 0),
 *         -TW_PROTO_E_LENGTH (above TW_CTRL_MSG_MAX), -TW_PROTO_E_INVAL
 *         (sids NULL).
 */
int tw_proto_twamp_start_n_encode(const struct tw_ctrl_n_sessions *m,
				  uint8_t *buf, size_t cap);
/** Encode a Start-N-Ack (8); as tw_proto_twamp_start_n_encode(). */
int tw_proto_twamp_start_n_ack_encode(const struct tw_ctrl_n_sessions *m,
				      uint8_t *buf, size_t cap);
/** Encode a Stop-N-Sessions (9); as tw_proto_twamp_start_n_encode(). */
int tw_proto_twamp_stop_n_encode(const struct tw_ctrl_n_sessions *m,
				 uint8_t *buf, size_t cap);
/** Encode a Stop-N-Ack (10); as tw_proto_twamp_start_n_encode(). */
int tw_proto_twamp_stop_n_ack_encode(const struct tw_ctrl_n_sessions *m,
				     uint8_t *buf, size_t cap);

/**
 * Decode a Start-N-Sessions (7); out->sids points into @p buf. The three
 * below work the same way, each checking its own command number.
 * @return 32 + 16 * N, -TW_PROTO_E_TRUNCATED (fewer SIDs than N),
 *         -TW_PROTO_E_COMMAND, -TW_PROTO_E_RANGE (N = 0),
 *         -TW_PROTO_E_LENGTH (above TW_CTRL_MSG_MAX).
 */
int tw_proto_twamp_start_n_decode(const uint8_t *buf, size_t len,
				  struct tw_ctrl_n_sessions *out);
/** Decode a Start-N-Ack (8); as tw_proto_twamp_start_n_decode(). */
int tw_proto_twamp_start_n_ack_decode(const uint8_t *buf, size_t len,
				      struct tw_ctrl_n_sessions *out);
/** Decode a Stop-N-Sessions (9); as tw_proto_twamp_start_n_decode(). */
int tw_proto_twamp_stop_n_decode(const uint8_t *buf, size_t len,
				 struct tw_ctrl_n_sessions *out);
/** Decode a Stop-N-Ack (10); as tw_proto_twamp_start_n_decode(). */
int tw_proto_twamp_stop_n_ack_decode(const uint8_t *buf, size_t len,
				     struct tw_ctrl_n_sessions *out);

/* ======================= OWAMP stop and fetch ======================= */

/** A skip range: packets first..last were never sent (RFC 4656 §3.8). */
struct tw_owamp_skip {
	uint32_t first;
	uint32_t last;
};

/** OWAMP Stop-Sessions session description record (RFC 4656 §3.8). */
struct tw_owamp_sess_desc {
	uint8_t sid[TW_CTRL_SID_LEN];
	uint32_t next_seqno;
	uint32_t num_skips;
	const struct tw_owamp_skip *skips; /**< encode input (or NULL) */
	/** decode output, 8 * num_skips octets; encode input when skips is NULL */
	const uint8_t *skip_wire;
};

/** OWAMP Stop-Sessions (RFC 4656 §3.8). */
struct tw_owamp_stop_sessions {
	uint8_t accept;
	uint32_t num_sessions;
	const struct tw_owamp_sess_desc *sessions; /**< encode input (or NULL) */
	/** decode: the session records, in buf; encode input when sessions is NULL */
	const uint8_t *records;
	size_t records_len;       /**< octets of all records */
	uint8_t hmac[TW_CTRL_HMAC_LEN];
};

/**
 * Encode an OWAMP Stop-Sessions with its session records, each padded with
 * zeros to a block boundary. The records come from m->sessions or, when it
 * is NULL, from a decoded m->records/records_len (which must hold exactly
 * num_sessions records).
 * @return the length, -TW_PROTO_E_NOSPACE, -TW_PROTO_E_INVAL (NULL arrays,
 *         records_len not matching num_sessions records),
 *         -TW_PROTO_E_RANGE (skip ranges not in order or first > last),
 *         -TW_PROTO_E_LENGTH (above TW_CTRL_MSG_MAX).
 */
int tw_proto_owamp_stop_sessions_encode(const struct tw_owamp_stop_sessions *m,
					uint8_t *buf, size_t cap);

/**
 * Decode an OWAMP Stop-Sessions, checking every record; iterate them with
 * tw_proto_owamp_sess_desc_decode() over out->records.
 * @return the length, -TW_PROTO_E_TRUNCATED, -TW_PROTO_E_COMMAND,
 *         -TW_PROTO_E_RANGE (skip ranges out of order),
 *         -TW_PROTO_E_LENGTH (above TW_CTRL_MSG_MAX).
 */
int tw_proto_owamp_stop_sessions_decode(const uint8_t *buf, size_t len,
					struct tw_owamp_stop_sessions *out);

/**
 * Decode one session description record (header, skip ranges, padding).
 * @return its padded length, -TW_PROTO_E_TRUNCATED, -TW_PROTO_E_RANGE,
 *         -TW_PROTO_E_LENGTH.
 */
int tw_proto_owamp_sess_desc_decode(const uint8_t *buf, size_t len,
				    struct tw_owamp_sess_desc *out);

/** Read skip range @p i from wire octets (8 * i must be inside). */
void tw_proto_owamp_skip_get(const uint8_t *skip_wire, uint32_t i,
			     struct tw_owamp_skip *out);

/** OWAMP Fetch-Session (RFC 4656 §3.9, command 4). */
struct tw_owamp_fetch_session {
	uint32_t begin_seq;
	uint32_t end_seq;   /**< begin 0 and end 0xFFFFFFFF: whole session */
	uint8_t sid[TW_CTRL_SID_LEN];
	uint8_t hmac[TW_CTRL_HMAC_LEN];
};

/** Encode a Fetch-Session (command 4). @return 48 or -TW_PROTO_E_NOSPACE. */
int tw_proto_owamp_fetch_session_encode(const struct tw_owamp_fetch_session *m,
					uint8_t *buf, size_t cap);
/** Decode a Fetch-Session. @return 48, -TW_PROTO_E_TRUNCATED or -TW_PROTO_E_COMMAND (not 4). */
int tw_proto_owamp_fetch_session_decode(const uint8_t *buf, size_t len,
					struct tw_owamp_fetch_session *out);

/** OWAMP Fetch-Ack (RFC 4656 §3.9). */
struct tw_owamp_fetch_ack {
	uint8_t accept;
	uint8_t finished;      /**< non-zero: the session has terminated */
	uint32_t next_seqno;
	uint32_t num_skips;
	uint32_t num_records;
	uint8_t hmac[TW_CTRL_HMAC_LEN];
};

/**
 * Encode a Fetch-Ack. With accept != 0 the other fields are sent as zero
 * (RFC 4656 §3.9 "MUST specify zero").
 * @return 32 or -TW_PROTO_E_NOSPACE.
 */
int tw_proto_owamp_fetch_ack_encode(const struct tw_owamp_fetch_ack *m,
				    uint8_t *buf, size_t cap);

/**
 * Decode a Fetch-Ack. With accept != 0 the other fields (not the HMAC) are
 * reported as zero: the client MUST ignore them.
 * @return 32 or -TW_PROTO_E_TRUNCATED.
 */
int tw_proto_owamp_fetch_ack_decode(const uint8_t *buf, size_t len,
				    struct tw_owamp_fetch_ack *out);

/**
 * After an accepting Fetch-Ack the server sends (RFC 4656 §3.9): the
 * Request-Session reproduction (tw_proto_owamp_request_*), the skip ranges
 * block, and the packet records block. Each block is padded with zeros to
 * 16 octets and ends with an HMAC.
 */
/** Octets of the skip ranges block for @p num_skips ranges. */
static inline size_t tw_proto_owamp_skips_block_len(uint32_t num_skips)
{
	return tw_proto_ctrl_pad16((size_t)num_skips * TW_OWAMP_SKIP_LEN) + TW_CTRL_HMAC_LEN;
}

/** Octets of the packet records block for @p num_records records. */
static inline size_t tw_proto_owamp_records_block_len(uint32_t num_records)
{
	return tw_proto_ctrl_pad16((size_t)num_records * TW_OWAMP_RECORD_LEN) + TW_CTRL_HMAC_LEN;
}

/**
 * Encode the skip ranges block: ranges, zero padding, HMAC.
 * @return its length, -TW_PROTO_E_NOSPACE, -TW_PROTO_E_INVAL,
 *         -TW_PROTO_E_RANGE (out of order), -TW_PROTO_E_LENGTH.
 */
int tw_proto_owamp_skips_encode(const struct tw_owamp_skip *skips, uint32_t n,
				const uint8_t hmac[TW_CTRL_HMAC_LEN],
				uint8_t *buf, size_t cap);

/**
 * Decode the skip ranges block announced by a Fetch-Ack (@p n ranges).
 * *wire points to the first range in @p buf.
 * @return its length, -TW_PROTO_E_TRUNCATED, -TW_PROTO_E_RANGE (ranges
 *         overlap or are out of order: RFC 4656 §3.9 says the data is
 *         invalid), -TW_PROTO_E_LENGTH.
 */
int tw_proto_owamp_skips_decode(const uint8_t *buf, size_t len, uint32_t n,
				const uint8_t **wire,
				uint8_t hmac[TW_CTRL_HMAC_LEN]);

/** An OWAMP packet record (RFC 4656 §3.9): 25 octets. */
struct tw_owamp_record {
	uint32_t seq;
	uint16_t send_errest;   /**< raw Error Estimate (lost: Multiplier 1, S 0) */
	uint16_t recv_errest;   /**< raw */
	tw_ntp_t send_ts;
	tw_ntp_t recv_ts;       /**< 0: the packet was lost */
	uint8_t ttl;
};

/** Encode one record. @return 25 or -TW_PROTO_E_NOSPACE. */
int tw_proto_owamp_record_encode(const struct tw_owamp_record *r,
				 uint8_t *buf, size_t cap);
/** Decode one record. @return 25 or -TW_PROTO_E_TRUNCATED. */
int tw_proto_owamp_record_decode(const uint8_t *buf, size_t len,
				 struct tw_owamp_record *out);

/**
 * Encode the packet records block: @p n records, zero padding, HMAC.
 * @return its length, -TW_PROTO_E_NOSPACE, -TW_PROTO_E_INVAL,
 *         -TW_PROTO_E_LENGTH.
 */
int tw_proto_owamp_records_encode(const struct tw_owamp_record *recs, uint32_t n,
				  const uint8_t hmac[TW_CTRL_HMAC_LEN],
				  uint8_t *buf, size_t cap);

/**
 * Check the packet records block of @p n records; *wire points to the
 * first record (decode record i at *wire + 25 * i).
 * @return its length, -TW_PROTO_E_TRUNCATED, -TW_PROTO_E_LENGTH.
 */
int tw_proto_owamp_records_decode(const uint8_t *buf, size_t len, uint32_t n,
				  const uint8_t **wire,
				  uint8_t hmac[TW_CTRL_HMAC_LEN]);

/* ======================= framing ======================= */

/** What the reader of a control stream expects next. */
enum tw_ctrl_expect {
	TW_CTRL_EXPECT_COMMAND = 0,   /**< server: any client command (octet 0) */
	TW_CTRL_EXPECT_GREETING,
	TW_CTRL_EXPECT_SETUP_RESPONSE,
	TW_CTRL_EXPECT_SERVER_START,
	TW_CTRL_EXPECT_ACCEPT_SESSION,
	TW_CTRL_EXPECT_START_ACK,
	TW_CTRL_EXPECT_N_ACK,         /**< TWAMP client: Start-N-Ack or Stop-N-Ack */
	TW_CTRL_EXPECT_FETCH_ACK,
	TW_CTRL_EXPECT_STOP_SESSIONS, /**< OWAMP client: the server's Stop-Sessions */
};

/**
 * Framing for the control state machines: how long is the message that
 * starts at @p buf? @p buf holds what has been received (and decrypted) so
 * far. The count fields of the variable messages sit in the first block;
 * only an OWAMP Stop-Sessions needs each record's header in turn.
 *
 * @param proto  TWAMP or OWAMP.
 * @param mode   the selected Mode; with TW_MODE_INDIVIDUAL (TWAMP), commands
 *               2 and 3 are unexpected, without it 7 and 9 are (RFC 5938 §3.1).
 * @param expect what the reader waits for; the command octet is read for
 *               TW_CTRL_EXPECT_COMMAND, _N_ACK and _STOP_SESSIONS.
 * @param need   set when 0 is returned (may be NULL otherwise).
 * @return > 0: the message has exactly that many octets;
 *         0: @p len is too short to tell, *need (> len) octets must be
 *            present before calling again;
 *         -TW_PROTO_E_COMMAND: unknown or unexpected command (a TWAMP
 *            server answers Accept 3 and closes: the length is unknown);
 *         -TW_PROTO_E_RANGE: a count that must be >= 1 is 0;
 *         -TW_PROTO_E_LENGTH: longer than TW_CTRL_MSG_MAX;
 *         -TW_PROTO_E_INVAL: bad @p proto or @p expect.
 */
int tw_proto_ctrl_msg_len(enum tw_ctrl_proto proto, uint32_t mode,
			  enum tw_ctrl_expect expect, const uint8_t *buf,
			  size_t len, size_t *need);

#ifdef __cplusplus
}
#endif

#endif /* TW_PROTO_CTRL_H */
