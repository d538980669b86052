/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * STAMP test packets (RFC 8762 §4.2, §4.3), the Session Sender Identifier
 * (RFC 8972 §3) and the STAMP TLVs (RFC 8972 §4).
 *
 * A STAMP packet is a base packet (44 octets unauthenticated, 112
 * authenticated with HMAC-SHA-256/128 at octet 96 over octets 0-95)
 * followed by zero or more TLVs:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |U|M|I|R|R|R|R|R|     Type      |           Length              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   ~                            Value                              ~
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * SSID decision: on the wire 0 means "no SSID" (a base STAMP or TWAMP
 * Light sender, or a reflector without RFC 8972 that zeroes it), so
 * decoders accept it. A Session-Sender that sends TLVs must use a non-zero
 * SSID (tw_proto_stamp_ssid_check()): only then can it tell from a zeroed SSID
 * in the reply that the reflector ignored its extensions (RFC 8972 §3).
 *
 * HMAC TLV placement (RFC 8972 §4.8): it must follow every TLV except
 * Extra Padding TLVs, which may come after it; any other placement, a
 * second HMAC TLV, or (when integrity is required, e.g. authenticated
 * mode) a missing one counts as an integrity failure. The one exception:
 * a packet whose only TLV is an Extra Padding TLV needs no HMAC TLV.
 *
 * Nothing here computes an HMAC: lib/crypto does, over the octets this
 * library locates (tw_proto_stamp_hmac_tlv_find()).
 */
#ifndef TW_PROTO_STAMP_H
#define TW_PROTO_STAMP_H

#include "tw_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TW_STAMP_BASE_UNAUTH 44u
#define TW_STAMP_BASE_AUTH 112u
#define TW_STAMP_HMAC_OFF 96u   /**< base packet HMAC, covers octets 0-95 */
#define TW_STAMP_HMAC_LEN 16u
#define TW_STAMP_SSID_OFF_UNAUTH 14u
#define TW_STAMP_SSID_OFF_AUTH 26u
/** Smallest sender packet an unauthenticated reflector answers (RFC 8762
 *  §4.6: a TWAMP Light sender's 14-octet packet gets a base reply). */
#define TW_STAMP_MIN_UNAUTH 14u
/** Smallest reflector packet an unauthenticated sender accepts: a TWAMP
 *  Light reflector's 41-octet header. */
#define TW_STAMP_MIN_REFL_UNAUTH 41u

enum tw_stamp_mode {
	TW_STAMP_UNAUTH = 0,
	TW_STAMP_AUTH = 1,
};

/** Base packet size of a mode. */
static inline size_t tw_proto_stamp_base_len(enum tw_stamp_mode mode)
{
	return mode == TW_STAMP_AUTH ? TW_STAMP_BASE_AUTH
				      : TW_STAMP_BASE_UNAUTH;
}

/**
 * A Session-Sender's SSID when it sends TLVs.
 * @return 0, or -TW_PROTO_E_SSID for 0.
 */
int tw_proto_stamp_ssid_check(uint16_t ssid);

/* ---- base packets ---- */

struct tw_stamp_sender {
	uint32_t seq;
	tw_ntp_t ts;                      /**< NTP or PTP per Z */
	uint16_t errest;                  /**< raw Error Estimate */
	uint16_t ssid;                    /**< 0: none */
	uint8_t hmac[TW_STAMP_HMAC_LEN];  /**< authenticated only */
};

struct tw_stamp_reflector {
	uint32_t seq;
	tw_ntp_t ts;
	uint16_t errest;
	uint16_t ssid;
	tw_ntp_t rx_ts;
	uint32_t sender_seq;
	tw_ntp_t sender_ts;
	uint16_t sender_errest;
	uint8_t sender_ttl;
	uint8_t hmac[TW_STAMP_HMAC_LEN];
};

/*
 * RFC 8762 §4.2.1 and RFC 8972 §3 Figure 1: Session-Sender, unauthenticated
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        Sequence Number                        |  0
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                           Timestamp                           |  4
 *    |                                                               |  8
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |         Error Estimate        |              SSID             |  12
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        MBZ (28 octets)                        |  16
 *    |                                                               |  20
 *    |                                                               |  24
 *    |                                                               |  28
 *    |                                                               |  32
 *    |                                                               |  36
 *    |                                                               |  40
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                              TLVs                             |  44
 *    ~                                                               ~
 *
 * RFC 8762 §4.2.2 and RFC 8972 §3 Figure 3: authenticated (HMAC over 0-95)
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
 *    |         Error Estimate        |              SSID             |  24
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        MBZ (68 octets)                        |  28
 *    |                                                               |  32
 *    |                                                               |  36
 *    |                                                               |  40
 *    |                                                               |  44
 *    |                                                               |  48
 *    |                                                               |  52
 *    |                                                               |  56
 *    |                                                               |  60
 *    |                                                               |  64
 *    |                                                               |  68
 *    |                                                               |  72
 *    |                                                               |  76
 *    |                                                               |  80
 *    |                                                               |  84
 *    |                                                               |  88
 *    |                                                               |  92
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        HMAC (16 octets)                       |  96
 *    |                                                               |  100
 *    |                                                               |  104
 *    |                                                               |  108
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                              TLVs                             |  112
 *    ~                                                               ~
 */

/**
 * Encode the base sender packet (MBZ zeroed; the HMAC field is copied from
 * @p m, normally zeros, to be signed by lib/crypto afterwards).
 *
 * @return the base length, -TW_PROTO_E_NOSPACE or -TW_PROTO_E_INVAL.
 */
int tw_proto_stamp_sender_encode(enum tw_stamp_mode mode,
				 const struct tw_stamp_sender *m, uint8_t *buf,
				 size_t cap);

/**
 * Decode a base sender packet. Unauthenticated packets from 14 octets up
 * are accepted (fields beyond @p len read as zero, RFC 8762 §4.6).
 *
 * @return where TLVs start: min(@p len, base length) — TLVs exist when it
 *         is below @p len; -TW_PROTO_E_TRUNCATED (below 14, or below 112
 *         in authenticated mode) or -TW_PROTO_E_INVAL.
 */
int tw_proto_stamp_sender_decode(enum tw_stamp_mode mode, const uint8_t *buf,
				 size_t len, struct tw_stamp_sender *out);

/*
 * RFC 8762 §4.3.1 and RFC 8972 §3 Figure 2: Session-Reflector, unauthenticated
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        Sequence Number                        |  0
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                           Timestamp                           |  4
 *    |                                                               |  8
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |         Error Estimate        |              SSID             |  12
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                       Receive Timestamp                       |  16
 *    |                                                               |  20
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                 Session-Sender Sequence Number                |  24
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                    Session-Sender Timestamp                   |  28
 *    |                                                               |  32
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |     Sender Error Estimate     |              MBZ              |  36
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |   Sender TTL  |                      MBZ                      |  40
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                              TLVs                             |  44
 *    ~                                                               ~
 *
 * RFC 8762 §4.3.2 and RFC 8972 §3 Figure 4: authenticated (HMAC over 0-95)
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
 *    |         Error Estimate        |              SSID             |  24
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                         MBZ (4 octets)                        |  28
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                       Receive Timestamp                       |  32
 *    |                                                               |  36
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                         MBZ (8 octets)                        |  40
 *    |                                                               |  44
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                 Session-Sender Sequence Number                |  48
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        MBZ (12 octets)                        |  52
 *    |                                                               |  56
 *    |                                                               |  60
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                    Session-Sender Timestamp                   |  64
 *    |                                                               |  68
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |     Sender Error Estimate     |         MBZ (6 octets)        |  72
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *    |                                                               |  76
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |   Sender TTL  |                MBZ (15 octets)                |  80
 *    +-+-+-+-+-+-+-+-+                                               +
 *    |                                                               |  84
 *    |                                                               |  88
 *    |                                                               |  92
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        HMAC (16 octets)                       |  96
 *    |                                                               |  100
 *    |                                                               |  104
 *    |                                                               |  108
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                              TLVs                             |  112
 *    ~                                                               ~
 */

/** Encode the base reflector packet; returns as the sender's encode. */
int tw_proto_stamp_reflector_encode(enum tw_stamp_mode mode,
				    const struct tw_stamp_reflector *m,
				    uint8_t *buf, size_t cap);

/**
 * Decode a base reflector packet. Unauthenticated packets from 41 octets
 * (a TWAMP Light reflector) up are accepted.
 *
 * @return where TLVs start (min(@p len, base)), -TW_PROTO_E_TRUNCATED or
 *         -TW_PROTO_E_INVAL.
 */
int tw_proto_stamp_reflector_decode(enum tw_stamp_mode mode, const uint8_t *buf,
				    size_t len, struct tw_stamp_reflector *out);

/** What the reflector adds to its reply (host order). */
struct tw_stamp_reflect_info {
	uint32_t seq;      /**< own (stateful) or the sender's (stateless) */
	tw_ntp_t rx_ts;
	uint16_t errest;
	uint8_t ttl;       /**< received TTL / Hop Limit */
};

/**
 * Turn the received sender packet in @p buf into the reflector's base
 * reply in place (RFC 8762 §4.3): Sender fields and SSID copied, own
 * fields written, Timestamp 0 (set it with tw_proto_stamp_set_ts() at TX), HMAC
 * zeroed (sign afterwards). Octets after the base packet (the TLVs) stay
 * where they are; process them with tw_proto_stamp_reflect_tlvs(). A sender
 * packet shorter than the base gets a base-sized reply (RFC 8762 §4.6)
 * with nothing stale in it.
 *
 * @return the reply length max(@p rx_len, base), -TW_PROTO_E_TRUNCATED,
 *         -TW_PROTO_E_NOSPACE (@p cap too small) or -TW_PROTO_E_INVAL.
 */
int tw_proto_stamp_reflect_inplace(enum tw_stamp_mode mode, uint8_t *buf,
				   size_t rx_len, size_t cap,
				   const struct tw_stamp_reflect_info *ri);

/** Write the transmit Timestamp (offset 4 unauthenticated, 16 auth). */
static inline void tw_proto_stamp_set_ts(enum tw_stamp_mode mode, uint8_t *buf,
					 tw_ntp_t ts)
{
	tw_ts_put(buf + (mode == TW_STAMP_AUTH ? 16 : 4), ts);
}

/* ---- TLVs (RFC 8972 §4) ---- */

#define TW_STAMP_TLV_HDR 4u
#define TW_STAMP_TLV_U 0x80u  /**< Unrecognized */
#define TW_STAMP_TLV_M 0x40u  /**< Malformed */
#define TW_STAMP_TLV_I 0x20u  /**< Integrity check failed */
/** Flags a Session-Sender transmits: U = 1, M = I = 0 (RFC 8972 §4). */
#define TW_STAMP_TLV_SENDER_FLAGS TW_STAMP_TLV_U

/** STAMP TLV Types (RFC 8972 §5.1). */
enum tw_stamp_tlv_type {
	TW_STAMP_TLV_PADDING = 1,
	TW_STAMP_TLV_LOCATION = 2,
	TW_STAMP_TLV_TSINFO = 3,
	TW_STAMP_TLV_COS = 4,
	TW_STAMP_TLV_DIRECT = 5,
	TW_STAMP_TLV_ACCESS = 6,
	TW_STAMP_TLV_FOLLOWUP = 7,
	TW_STAMP_TLV_HMAC = 8,
};

/** Location sub-TLV types (RFC 8972 §5.3). */
enum tw_stamp_loc_type {
	TW_STAMP_LOC_SRC_MAC = 1,      /**< request, 8 MBZ */
	TW_STAMP_LOC_SRC_EUI48 = 2,
	TW_STAMP_LOC_SRC_EUI64 = 3,
	TW_STAMP_LOC_DST_IP = 4,       /**< request, 16 MBZ */
	TW_STAMP_LOC_DST_IPV4 = 5,
	TW_STAMP_LOC_DST_IPV6 = 6,
	TW_STAMP_LOC_SRC_IP = 7,       /**< request, 16 MBZ */
	TW_STAMP_LOC_SRC_IPV4 = 8,
	TW_STAMP_LOC_SRC_IPV6 = 9,
};

/** One TLV (or sub-TLV) as found in a packet; value points into it. */
struct tw_stamp_tlv {
	uint8_t flags;
	uint8_t type;
	uint16_t len;          /**< Length: octets of value */
	const uint8_t *value;
	size_t off;            /**< offset of the TLV header in the buffer */
};

/** Iterator over a TLV chain; never reads outside [start, len). */
struct tw_stamp_tlv_iter {
	const uint8_t *buf;
	size_t len;
	size_t off;
	int err;
};

/** Start iterating the TLVs of @p buf from offset @p start. */
void tw_proto_stamp_tlv_iter_init(struct tw_stamp_tlv_iter *it,
				  const uint8_t *buf, size_t len, size_t start);

/**
 * Next TLV.
 *
 * @return 1 with @p t filled; 0 at the end of the chain; -TW_PROTO_E_TLV
 *         when fewer than 4 octets remain or the Length runs past the end
 *         (it->off then stays at the bad TLV and every later call returns
 *         the same error).
 */
int tw_proto_stamp_tlv_next(struct tw_stamp_tlv_iter *it,
			    struct tw_stamp_tlv *t);

/**
 * Write a TLV header and @p vlen octets of value (zeros when @p value is
 * NULL).
 *
 * @return 4 + @p vlen, or -TW_PROTO_E_NOSPACE.
 */
int tw_proto_stamp_tlv_put(uint8_t *buf, size_t cap, uint8_t flags,
			   uint8_t type, const uint8_t *value, uint16_t vlen);

/*
 * Typed TLVs. Every decode returns 0, -TW_PROTO_E_INVAL when the TLV is not
 * of that type, or -TW_PROTO_E_TLV when its Length is invalid for the type
 * (what RFC 8972 calls malformed). Every encode returns the octets written
 * (header included) or -TW_PROTO_E_NOSPACE / -TW_PROTO_E_RANGE.
 */

/* RFC 8972 §4.1: Extra Padding TLV — Value = padding (any length). */
int tw_proto_stamp_tlv_encode_padding(uint8_t flags, uint16_t len,
				      const uint8_t *pad, uint8_t *buf,
				      size_t cap);

/*
 * RFC 8972 §4.2: Location TLV.
 *   | Flags | Type=2 | Length |
 *   | Destination Port (2) | Source Port (2) |
 *   ~ Sub-TLVs (TLV format; RFC 8972 §4.2.1) ~
 * Sub-TLV values: types 1-3 are 8 octets (1: MBZ, 2: EUI-48 + 2 MBZ,
 * 3: EUI-64); types 4-9 are 16 octets (4, 7: MBZ; 5, 8: IPv4 + 12 MBZ;
 * 6, 9: IPv6).
 */
struct tw_stamp_location {
	uint16_t dst_port;
	uint16_t src_port;
	const uint8_t *sub;   /**< decode: sub-TLV octets (iterate them) */
	uint16_t sub_len;
};

/** A Location sub-TLV with a known type; addr holds the value. */
struct tw_stamp_loc_addr {
	uint8_t flags;
	uint8_t type;         /**< enum tw_stamp_loc_type */
	uint8_t addr[16];     /**< MAC, IPv4 or IPv6 at the start, rest 0 */
};

/** Value length of a known sub-TLV type: 8 or 16, or -TW_PROTO_E_INVAL. */
int tw_proto_stamp_loc_sub_len(uint8_t type);

/** Decode; also checks the sub-TLV chain and each known sub-TLV's Length. */
int tw_proto_stamp_tlv_decode_location(const struct tw_stamp_tlv *t,
				       struct tw_stamp_location *out);
/** Decode one sub-TLV found by iterating @p loc->sub. */
int tw_proto_stamp_loc_sub_decode(const struct tw_stamp_tlv *sub,
				  struct tw_stamp_loc_addr *out);
/** Encode a Location TLV with @p n sub-TLVs of known types. */
int tw_proto_stamp_tlv_encode_location(uint8_t flags, uint16_t dst_port,
				       uint16_t src_port,
				       const struct tw_stamp_loc_addr *subs,
				       size_t n, uint8_t *buf, size_t cap);

/*
 * RFC 8972 §4.3: Timestamp Information TLV.
 *   | Flags | Type=3 | Length |
 *   | Sync Src In | Timestamp In | Sync Src Out | Timestamp Out |
 *   ~ Optional sub-TLVs ~
 */
struct tw_stamp_tsinfo {
	uint8_t sync_in, ts_in, sync_out, ts_out;
	const uint8_t *sub;   /**< sub-TLV octets, copied verbatim on encode */
	uint16_t sub_len;
};

/** Synchronization sources (RFC 8972 §5.4) and methods (§5.5). */
#define TW_STAMP_SYNC_NTP 1
#define TW_STAMP_SYNC_PTP 2
#define TW_STAMP_SYNC_SSU 3
#define TW_STAMP_SYNC_GNSS 4
#define TW_STAMP_SYNC_FREE 5
#define TW_STAMP_TSM_HW 1
#define TW_STAMP_TSM_SW 2
#define TW_STAMP_TSM_CP 3

int tw_proto_stamp_tlv_decode_tsinfo(const struct tw_stamp_tlv *t,
				     struct tw_stamp_tsinfo *out);
int tw_proto_stamp_tlv_encode_tsinfo(uint8_t flags,
				     const struct tw_stamp_tsinfo *ti,
				     uint8_t *buf, size_t cap);

/*
 * RFC 8972 §4.4: Class of Service TLV (Length 4).
 *   | DSCP1 (6) | DSCP2 (6) | ECN (2) | RP (2) | Reserved (16) |
 */
struct tw_stamp_cos {
	uint8_t dscp1, dscp2, ecn, rp;
};
int tw_proto_stamp_tlv_decode_cos(const struct tw_stamp_tlv *t,
				  struct tw_stamp_cos *out);
/** @return 8, -TW_PROTO_E_NOSPACE, -TW_PROTO_E_RANGE (DSCP > 63, ECN/RP > 3) */
int tw_proto_stamp_tlv_encode_cos(uint8_t flags, const struct tw_stamp_cos *c,
				  uint8_t *buf, size_t cap);

/*
 * RFC 8972 §4.5: Direct Measurement TLV (Length 12).
 *   | S_TxC (4) | R_RxC (4) | R_TxC (4) |
 */
struct tw_stamp_direct {
	uint32_t s_txc, r_rxc, r_txc;
};
int tw_proto_stamp_tlv_decode_direct(const struct tw_stamp_tlv *t,
				     struct tw_stamp_direct *out);
int tw_proto_stamp_tlv_encode_direct(uint8_t flags,
				     const struct tw_stamp_direct *d,
				     uint8_t *buf, size_t cap);

/*
 * RFC 8972 §4.6: Access Report TLV (Length 4).
 *   | ID (4) | Resv (4) | Return Code (8) | Reserved (16) |
 * ID 1 = 3GPP, 2 = non-3GPP; any other ID: decode returns
 * -TW_PROTO_E_RANGE (the TLV MUST be discarded).
 */
struct tw_stamp_access {
	uint8_t id;
	uint8_t return_code;
};
int tw_proto_stamp_tlv_decode_access(const struct tw_stamp_tlv *t,
				     struct tw_stamp_access *out);
int tw_proto_stamp_tlv_encode_access(uint8_t flags,
				     const struct tw_stamp_access *a,
				     uint8_t *buf, size_t cap);

/*
 * RFC 8972 §4.7: Follow-Up Telemetry TLV (Length 16).
 *   | Sequence Number (4) | Follow-Up Timestamp (8) |
 *   | Timestamp M (1) | Reserved (3) |
 */
struct tw_stamp_followup {
	uint32_t seq;
	tw_ntp_t ts;
	uint8_t ts_mode;
};
int tw_proto_stamp_tlv_decode_followup(const struct tw_stamp_tlv *t,
				       struct tw_stamp_followup *out);
int tw_proto_stamp_tlv_encode_followup(uint8_t flags,
				       const struct tw_stamp_followup *f,
				       uint8_t *buf, size_t cap);

/* RFC 8972 §4.8: HMAC TLV (Length 16) — Value = HMAC-SHA-256/128. */
int tw_proto_stamp_tlv_decode_hmac(const struct tw_stamp_tlv *t,
				   uint8_t hmac[TW_STAMP_HMAC_LEN]);
int tw_proto_stamp_tlv_encode_hmac(uint8_t flags,
				   const uint8_t hmac[TW_STAMP_HMAC_LEN],
				   uint8_t *buf, size_t cap);

/* ---- HMAC TLV placement (RFC 8972 §4.8) ---- */

enum tw_stamp_hmac_state {
	TW_STAMP_HMAC_NONE = 0,    /**< none, and none needed */
	TW_STAMP_HMAC_PRESENT = 1, /**< one, well placed: verify it */
	TW_STAMP_HMAC_BAD = 2,     /**< misplaced, repeated, wrong Length,
				        or missing when required: an
				        integrity failure */
};

/**
 * Find the HMAC TLV among the TLVs in [@p start, @p len) of @p buf and
 * check its placement. When PRESENT, @p *hmac_off is the offset of its
 * header: the HMAC covers buf[0, 4) then buf[start, *hmac_off) and its
 * value is at *hmac_off + 4 (see tw_crypto_stamp_tlv_check()).
 *
 * @param required  integrity protection is required (authenticated mode,
 *                  or configured for unauthenticated mode)
 * @return an enum tw_stamp_hmac_state.
 */
int tw_proto_stamp_hmac_tlv_find(const uint8_t *buf, size_t len, size_t start,
				 bool required, size_t *hmac_off);

/**
 * Session-Sender's first look at the TLVs of a reflected packet (RFC 8972
 * §4): a TLV with I set means every TLV is discarded; processing stops
 * before the first TLV with M set or one that overruns the packet; TLVs
 * with U set (not processed by the reflector) are to be skipped by the
 * caller while iterating.
 *
 * @return how many leading TLVs may be used, or -TW_PROTO_E_HMAC when
 *         any TLV carries the I flag.
 */
int tw_proto_stamp_reflected_check(const uint8_t *buf, size_t len,
				   size_t start);

/* ---- Session-Reflector TLV processing (RFC 8972 §4) ---- */

/** What the reflector knows about the packet it answers. */
struct tw_stamp_reflect_ctx {
	uint8_t tos;               /**< received DSCP << 2 | ECN */
	uint64_t dscp_allowed;     /**< bit d: DSCP1 = d may be used on the
				        reply (RFC 8972 §4.4 local policy) */
	uint16_t src_port, dst_port;  /**< of the received packet */
	bool ipv6;
	uint8_t src_ip[16], dst_ip[16]; /**< received; IPv4 in first 4 */
	bool have_mac;             /**< received frame's source MAC known */
	bool mac_eui64;            /**< it is an EUI-64 (else EUI-48) */
	uint8_t src_mac[8];
	uint32_t r_rxc, r_txc;     /**< in-profile counters (Direct Meas.) */
	uint8_t sync_in, ts_in, sync_out, ts_out; /**< Timestamp Information */
	bool have_prev;            /**< stateful, a previous reply was sent */
	uint32_t prev_seq;         /**< its Sequence Number */
	tw_ntp_t prev_ts;          /**< its (better) transmit timestamp */
	uint8_t prev_ts_mode;      /**< how that timestamp was taken */
	bool integrity_failed;     /**< HMAC TLV failed or BAD placement */
};

/** What the processing found. */
struct tw_stamp_reflect_out {
	unsigned ntlv;          /**< TLVs visited */
	bool malformed;         /**< stopped at a malformed TLV (M set) */
	bool cos;               /**< a Class of Service TLV was processed */
	uint8_t reply_dscp;     /**< DSCP for the reply's IP header when cos */
	bool has_hmac;          /**< reply carries an HMAC TLV to sign */
	size_t hmac_off;        /**< its header offset (value zeroed) */
};

/**
 * Process the TLVs of a reply in place: @p buf is the reply packet whose
 * octets [@p start, @p len) are a copy of the sender's TLVs. Per RFC 8972
 * §4: integrity failure sets I on every TLV and processes nothing; an
 * unknown type (or sub-TLV type) gets U and is copied; a malformed TLV
 * (bad Length for its type, or overrunning the packet) gets M and the
 * processing stops, leaving the remainder as received; every processed TLV
 * gets its flags cleared and the reflector's fields filled (Location
 * ports, addresses and MAC; Timestamp Information; Class of Service DSCP2,
 * ECN and RP; Direct Measurement R_RxC and R_TxC; Follow-Up Telemetry;
 * reserved fields zeroed; HMAC value zeroed for signing).
 *
 * @return 0, or -TW_PROTO_E_INVAL when @p start > @p len.
 */
int tw_proto_stamp_reflect_tlvs(const struct tw_stamp_reflect_ctx *ctx,
				uint8_t *buf, size_t len, size_t start,
				struct tw_stamp_reflect_out *out);

#ifdef __cplusplus
}
#endif

#endif /* TW_PROTO_STAMP_H */
