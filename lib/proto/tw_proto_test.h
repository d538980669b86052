/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * TWAMP-Test and OWAMP-Test packets (RFC 4656 §4.1.2, RFC 5357 §4.1.2 and
 * §4.2.1 with erratum 5045, RFC 6038 §4.2 and §5, RFC 7750 §2.2).
 *
 * A session's packet layout is fixed when the session is accepted, so the
 * data plane precomputes one struct tw_test_layout per session and passes it
 * to every call. Two kinds of call exist:
 *  - struct-based encode/decode, for tests, the control side and the
 *    Session-Sender's reply parsing (no allocation; padding is referenced,
 *    not copied, on decode);
 *  - in-place writers for the per-packet fast path: write a sender header,
 *    turn a received sender packet into the reflector's reply, stamp the
 *    transmit Timestamp at the last moment.
 *
 * Header sizes used here (octets before the Packet Padding):
 *
 * | layout                          | sender | reflector |
 * |---------------------------------|--------|-----------|
 * | unauthenticated                 | 14     | 41        |
 * | unauth + DSCP-ECN (RFC 7750)    | 14     | 42        |
 * | unauth + Symmetrical Size       | 41     | 41        |
 * | unauth + Sym. Size + DSCP-ECN   | 42     | 42        |
 * | authenticated / encrypted       | 48     | 112       |
 * | auth/enc + Symmetrical Size     | 112    | 112       |
 *
 * Decisions (see the .c file for the reasoning):
 *  - auth/enc reflector header is 112 (RFC 5357 erratum 5045; the RFC text
 *    says 104), so the Symmetrical Size sender MBZ in auth/enc modes is 64
 *    octets following the HMAC (RFC 6038 says 56, derived from 104);
 *  - RFC 7750 unauthenticated: S-DSCP-ECN at offset 41 and the padding
 *    starts at 42, matching RFC 7750 §2.2.2 (Padding Length >= 28, a
 *    28-octet Symmetrical Size MBZ) and deployed reflectors; Figure 2's two
 *    MBZ octets after S-DSCP-ECN are taken as the start of the padding;
 *  - Padding Length (Request-TW-Session) counts the Packet Padding only,
 *    never the Symmetrical Size MBZ octets.
 *
 * Error Estimates are carried raw (16 bits): a reflector copies the
 * sender's exactly. Decode them with tw_errest_decode() where needed.
 */
#ifndef TW_PROTO_TEST_H
#define TW_PROTO_TEST_H

#include "tw_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest test packet: UDP Length (65535) minus the UDP header. */
#define TW_TEST_MAX_LEN 65527u

/** Base header sizes (RFC 4656 §4.1.2, RFC 5357 §4.2.1 + erratum 5045). */
#define TW_TEST_SENDER_UNAUTH_LEN 14u
#define TW_TEST_SENDER_AUTH_LEN 48u
#define TW_TEST_REFL_UNAUTH_LEN 41u
#define TW_TEST_REFL_UNAUTH_DSCP_LEN 42u /* RFC 7750: + S-DSCP-ECN */
#define TW_TEST_REFL_AUTH_LEN 112u

/** RFC 6038 §5.1.4 Symmetrical Size MBZ after the sender header. */
#define TW_TEST_SYM_MBZ_UNAUTH 27u
#define TW_TEST_SYM_MBZ_UNAUTH_DSCP 28u /* RFC 7750 §2.2.2 Figure 4 */
#define TW_TEST_SYM_MBZ_AUTH 64u        /* 112 - 48; RFC 6038 text: 56 */

/** Offsets of the HMAC fields and their sizes. */
#define TW_TEST_HMAC_LEN 16u
#define TW_TEST_SENDER_HMAC_OFF 32u
#define TW_TEST_REFL_HMAC_OFF 96u

/** TWAMP-Test security mode (Mixed mode, RFC 5618, tests unauthenticated). */
enum tw_test_mode {
	TW_TEST_UNAUTH = 0,
	TW_TEST_AUTH = 1,
	TW_TEST_ENC = 2,
};

/**
 * The negotiated packet layout of one test session. Fill it with
 * tw_proto_test_layout_init() once per session; every field is then read-only.
 */
struct tw_test_layout {
	uint8_t mode;            /**< enum tw_test_mode */
	bool sym_size;           /**< RFC 6038 Symmetrical Size sender format */
	bool dscp_ecn;           /**< RFC 7750 DSCP and ECN Monitoring */
	uint16_t reflect_len;    /**< RFC 6038 Length of padding to reflect */
	uint16_t sender_hdr;     /**< octets before the sender's padding */
	uint16_t refl_hdr;       /**< octets before the reflector's padding */
	uint16_t ts_off;         /**< Timestamp offset (4 or 16) in both */
	uint16_t sender_crypt;   /**< encrypted + HMAC-covered: 0/16/32 */
	uint16_t refl_crypt;     /**< same for the reflector: 0/16/96 */
};

/**
 * Fill @p l for a session.
 *
 * @param mode        TW_TEST_UNAUTH, TW_TEST_AUTH or TW_TEST_ENC
 * @param sym_size    Symmetrical Size mode (TWAMP-Modes bit 6) selected
 * @param dscp_ecn    DSCP and ECN Monitoring (TWAMP-Modes bit 8) selected
 * @param reflect_len Length of padding to reflect (Reflect Octets, bit 5),
 *                    0 when not used
 * @return 0, or -TW_PROTO_E_INVAL for an unknown mode or a NULL @p l.
 */
int tw_proto_test_layout_init(struct tw_test_layout *l, enum tw_test_mode mode,
			      bool sym_size, bool dscp_ecn,
			      uint16_t reflect_len);

/* ---- struct-based codecs ---- */

/** A Session-Sender (or OWAMP-Test) packet. */
struct tw_test_sender {
	uint32_t seq;
	tw_ntp_t ts;
	uint16_t errest;                 /**< raw Error Estimate */
	uint8_t hmac[TW_TEST_HMAC_LEN];  /**< auth/enc only */
	const uint8_t *pad;              /**< padding; encode: NULL = zeros */
	uint32_t pad_len;                /**< octets after the header */
};

/** A Session-Reflector packet. */
struct tw_test_reflector {
	uint32_t seq;
	tw_ntp_t ts;
	uint16_t errest;
	tw_ntp_t rx_ts;                  /**< Receive Timestamp */
	uint32_t sender_seq;
	tw_ntp_t sender_ts;
	uint16_t sender_errest;
	uint8_t sender_ttl;
	uint8_t sender_dscp_ecn;         /**< RFC 7750; 0 unless dscp_ecn */
	uint8_t hmac[TW_TEST_HMAC_LEN];  /**< auth/enc only */
	const uint8_t *pad;
	uint32_t pad_len;
};

/*
 * RFC 4656 §4.1.2 / RFC 5357 §4.1.2: Session-Sender packet, unauthenticated
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        Sequence Number                        |  0
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                           Timestamp                           |  4
 *    |                                                               |  8
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |         Error Estimate        |         Packet Padding        |  12
 *    ~                                                               ~
 *
 * Authenticated and encrypted:
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        Sequence Number                        |  0
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        MBZ (12 octets)                        |  4
 *    |                                                               |  8
 *    |                                                               |  12
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                           Timestamp                           |  16
 *    |                                                               |  20
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |         Error Estimate        |         MBZ (6 octets)        |  24
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *    |                                                               |  28
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        HMAC (16 octets)                       |  32
 *    |                                                               |  36
 *    |                                                               |  40
 *    |                                                               |  44
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                         Packet Padding                        |  48
 *    ~                                                               ~
 *
 * RFC 6038 §5.1.4 Symmetrical Size: MBZ octets between the header and the
 * Packet Padding: 27 unauthenticated (28 with RFC 7750 DSCP-ECN, §2.2.2
 * Figure 4), 64 after the HMAC in auth/enc modes (see the file comment).
 */

/**
 * Encode a sender packet: header (MBZ zeroed) then @p m->pad_len octets of
 * padding copied from @p m->pad (zeros when NULL).
 *
 * @return octets written (sender_hdr + pad_len), -TW_PROTO_E_NOSPACE when
 *         @p cap is too small, -TW_PROTO_E_LENGTH when the packet would
 *         exceed TW_TEST_MAX_LEN.
 */
int tw_proto_test_sender_encode(const struct tw_test_layout *l,
				const struct tw_test_sender *m, uint8_t *buf,
				size_t cap);

/**
 * Decode a sender packet (the whole datagram payload). MBZ octets are
 * ignored; @p out->pad points into @p buf.
 *
 * @return @p len, -TW_PROTO_E_TRUNCATED when @p len < sender_hdr,
 *         -TW_PROTO_E_LENGTH when @p len > TW_TEST_MAX_LEN.
 */
int tw_proto_test_sender_decode(const struct tw_test_layout *l,
				const uint8_t *buf, size_t len,
				struct tw_test_sender *out);

/*
 * RFC 5357 §4.2.1 / RFC 7750 §2.2.1: Session-Reflector packet, unauthenticated
 * (S-DSCP-ECN only when DSCP-ECN monitoring is negotiated; otherwise the
 * Packet Padding starts at octet 41)
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        Sequence Number                        |  0
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                           Timestamp                           |  4
 *    |                                                               |  8
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |         Error Estimate        |              MBZ              |  12
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                       Receive Timestamp                       |  16
 *    |                                                               |  20
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                     Sender Sequence Number                    |  24
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        Sender Timestamp                       |  28
 *    |                                                               |  32
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |     Sender Error Estimate     |              MBZ              |  36
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |   Sender TTL  |   S-DSCP-ECN  |         Packet Padding        |  40
 *    ~                                                               ~
 *
 * Authenticated and encrypted (112-octet header, erratum 5045; S-DSCP-ECN
 * at 81 when negotiated, MBZ otherwise):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        Sequence Number                        |  0
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        MBZ (12 octets)                        |  4
 *    |                                                               |  8
 *    |                                                               |  12
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                           Timestamp                           |  16
 *    |                                                               |  20
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |         Error Estimate        |         MBZ (6 octets)        |  24
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *    |                                                               |  28
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                       Receive Timestamp                       |  32
 *    |                                                               |  36
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                         MBZ (8 octets)                        |  40
 *    |                                                               |  44
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                     Sender Sequence Number                    |  48
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        MBZ (12 octets)                        |  52
 *    |                                                               |  56
 *    |                                                               |  60
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        Sender Timestamp                       |  64
 *    |                                                               |  68
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |     Sender Error Estimate     |         MBZ (6 octets)        |  72
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *    |                                                               |  76
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |   Sender TTL  |   S-DSCP-ECN  |        MBZ (14 octets)        |  80
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *    |                                                               |  84
 *    |                                                               |  88
 *    |                                                               |  92
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        HMAC (16 octets)                       |  96
 *    |                                                               |  100
 *    |                                                               |  104
 *    |                                                               |  108
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                         Packet Padding                        |  112
 *    ~                                                               ~
 */

/**
 * Encode a reflector packet: header then @p m->pad_len octets of padding
 * (zeros when @p m->pad is NULL). S-DSCP-ECN is written only when the
 * layout negotiated it (MBZ otherwise).
 *
 * @return octets written, -TW_PROTO_E_NOSPACE, -TW_PROTO_E_LENGTH.
 */
int tw_proto_test_reflector_encode(const struct tw_test_layout *l,
				   const struct tw_test_reflector *m,
				   uint8_t *buf, size_t cap);

/**
 * Decode a reflector packet; MBZ ignored, @p out->pad points into @p buf.
 *
 * @return @p len, -TW_PROTO_E_TRUNCATED when @p len < refl_hdr,
 *         -TW_PROTO_E_LENGTH when @p len > TW_TEST_MAX_LEN.
 */
int tw_proto_test_reflector_decode(const struct tw_test_layout *l,
				   const uint8_t *buf, size_t len,
				   struct tw_test_reflector *out);

/* ---- OWAMP-Test: the sender format, one way (RFC 4656 §4.1.2) ---- */

/* An OWAMP-Test packet is a TWAMP Session-Sender packet (tw_test_sender). */

/**
 * Layout for an OWAMP-Test session (no Symmetrical Size, no DSCP-ECN).
 * @return 0 or -TW_PROTO_E_INVAL.
 */
static inline int tw_proto_owamp_test_layout_init(struct tw_test_layout *l,
						  enum tw_test_mode mode)
{
	return tw_proto_test_layout_init(l, mode, false, false, 0);
}

/** Encode an OWAMP-Test packet; see tw_proto_test_sender_encode(). */
static inline int tw_proto_owamp_test_encode(const struct tw_test_layout *l,
					     const struct tw_test_sender *m,
					     uint8_t *buf, size_t cap)
{
	return tw_proto_test_sender_encode(l, m, buf, cap);
}

/** Decode an OWAMP-Test packet; see tw_proto_test_sender_decode(). */
static inline int tw_proto_owamp_test_decode(const struct tw_test_layout *l,
					     const uint8_t *buf, size_t len,
					     struct tw_test_sender *out)
{
	return tw_proto_test_sender_decode(l, buf, len, out);
}

/* ---- padding arithmetic (RFC 5357 §4.2.1, RFC 6038 §4.2, §5.2.1) ---- */

/**
 * Length of the reflector's reply to a received sender packet of @p rx_len
 * octets: equal to @p rx_len when the sender supplied enough padding (the
 * reflector drops the highest-numbered padding octets), otherwise the
 * reflector header plus the octets to reflect; never below the header.
 * All arithmetic is done on values bounded by TW_TEST_MAX_LEN.
 *
 * @return the reply length, -TW_PROTO_E_TRUNCATED when @p rx_len <
 *         sender_hdr, -TW_PROTO_E_LENGTH when @p rx_len > TW_TEST_MAX_LEN,
 *         -TW_PROTO_E_PADDING when the padding is shorter than the
 *         negotiated Length of padding to reflect.
 */
int tw_proto_test_reply_len(const struct tw_test_layout *l, size_t rx_len);

/** Sizes of a session, from Request-TW-Session's Padding Length. */
struct tw_test_sizes {
	uint32_t sender_len;    /**< every sender packet */
	uint32_t reply_len;     /**< every reflector packet */
	bool symmetric;         /**< sender_len == reply_len */
};

/**
 * Session sizes for a Padding Length (a 32-bit wire value: it may be near
 * 2^32, computed without wrapping).
 *
 * @return 0, or -TW_PROTO_E_PADDING when the sender packet would exceed
 *         TW_TEST_MAX_LEN or @p padding_len < the Length of padding to
 *         reflect (RFC 6038 §4.2; equal is accepted).
 */
int tw_proto_test_session_sizes(const struct tw_test_layout *l,
				uint32_t padding_len,
				struct tw_test_sizes *out);

/**
 * The smallest Padding Length that gives equal packet sizes in both
 * directions (27 / 28 unauth, 64 auth/enc, 0 with Symmetrical Size, plus
 * the Length of padding to reflect).
 */
uint32_t tw_proto_test_equal_padding(const struct tw_test_layout *l);

/* ---- fast path: in-place writers ---- */

/**
 * Write the sender header into @p buf (Sequence Number, Error Estimate,
 * Timestamp 0, MBZ and HMAC zeroed); the padding is left untouched. Stamp
 * the Timestamp with tw_proto_test_set_ts() right before transmission (in
 * encrypted mode, before encrypting).
 *
 * @return sender_hdr, or -TW_PROTO_E_NOSPACE when @p len < sender_hdr.
 */
int tw_proto_test_sender_write(const struct tw_test_layout *l, uint8_t *buf,
			       size_t len, uint32_t seq, uint16_t errest);

/** What the reflector adds to a reply (all host order). */
struct tw_test_reflect_info {
	uint32_t seq;         /**< reflector's own Sequence Number */
	tw_ntp_t rx_ts;       /**< Receive Timestamp */
	uint16_t errest;      /**< reflector's Error Estimate */
	uint8_t ttl;          /**< received TTL / Hop Limit; 255 if unknown */
	uint8_t dscp_ecn;     /**< received TOS / Traffic Class octet */
};

/**
 * Turn the received (decrypted) sender packet in @p buf into the
 * reflector's reply, in place: copy Sender Sequence Number, Timestamp and
 * Error Estimate, write the reflector fields with Timestamp 0 and HMAC
 * zeroed (MBZ too), and fill the reply's padding with the sender's,
 * highest-numbered octets dropped, so the octets to reflect (RFC 6038)
 * lead it. Every reply octet is either written here or sent by the
 * sender: no stale buffer contents leave. Without Symmetrical Size this
 * moves the padding by (refl_hdr - sender_hdr) octets; with it nothing
 * moves. In auth/enc modes the caller then computes
 * the HMAC over the first refl_crypt octets, writes it at
 * TW_TEST_REFL_HMAC_OFF and encrypts.
 *
 * @param buf    received packet, @p rx_len octets, room for @p cap
 * @return the reply length (see tw_proto_test_reply_len()), its errors, or
 *         -TW_PROTO_E_NOSPACE when @p cap is below the reply length.
 */
int tw_proto_test_reflect_inplace(const struct tw_test_layout *l, uint8_t *buf,
				  size_t rx_len, size_t cap,
				  const struct tw_test_reflect_info *ri);

/** Sequence Number of a sender packet (at least sender_hdr octets). */
static inline uint32_t tw_proto_test_get_seq(const uint8_t *buf)
{
	return tw_get_be32(buf);
}

/**
 * Write the transmit Timestamp of a sender or reflector packet (same
 * offset in both: 4 unauthenticated, 16 auth/enc).
 */
static inline void tw_proto_test_set_ts(const struct tw_test_layout *l,
					uint8_t *buf, tw_ntp_t ts)
{
	tw_ts_put(buf + l->ts_off, ts);
}

#ifdef __cplusplus
}
#endif

#endif /* TW_PROTO_TEST_H */
