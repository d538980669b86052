/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Fast-path frame classification: Ethernet (+802.1Q) / IPv4 / IPv6 / UDP.
 *
 * Works on plain octets (no DPDK), so it is unit-tested and fuzzed without
 * EAL. The worker hands it the first segment of each received frame.
 * Every length is checked before it is read; nothing is written to the frame.
 */
#ifndef TW_DP_PARSE_H
#define TW_DP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Why the fast path dropped a packet. The X-macro generates the enum and
 * the names; append at the end.
 */
#define TW_DP_DROPS(X)                                                         \
	X(RUNT, "runt", "frame shorter than its Ethernet header")             \
	X(VLAN, "vlan", "VLAN tag missing or not the port's")                 \
	X(L3_TRUNC, "l3_trunc", "IP header truncated or inconsistent")        \
	X(L3_CKSUM, "l3_cksum", "bad IPv4 header checksum")                   \
	X(L4_TRUNC, "l4_trunc", "UDP header truncated or length inconsistent")\
	X(HANDLER, "handler", "dropped by the fast-path UDP handler")         \
	X(EXC_RING_FULL, "exc_ring_full", "exception ring full")              \
	X(TAP_TX, "tap_tx", "TAP interface did not take the packet")          \
	X(TAP_RING_FULL, "tap_ring_full", "TAP -> port ring full")            \
	X(PORT_TX, "port_tx", "port TX queue full")                           \
	X(VLAN_INSERT, "vlan_insert", "could not add the VLAN tag")           \
	X(NO_EXCEPTION, "no_exception", "not for the fast path, no exception path")\
	X(L4_CKSUM, "l4_cksum", "bad UDP checksum (or zero over IPv6)")       \
	X(SRC_ADDR, "src_addr",                                               \
	  "source address not a unicast address of another node "            \
	  "(RFC 1122 3.2.1.3, RFC 4291 2.7)")

#define TW_DP_DROP_ENUM(name, id, text) TW_DP_DROP_##name,
/** Drop reasons (indices into the per-lcore drop counters). */
enum tw_dp_drop {
	TW_DP_DROPS(TW_DP_DROP_ENUM)
	TW_DP_DROP__MAX
};
#undef TW_DP_DROP_ENUM

/** What the classifier decided for one frame. */
enum tw_dp_class {
	TW_DP_CLS_OWNED = 0,     /**< UDP to our address on a fast-path port */
	TW_DP_CLS_EXCEPTION = 1, /**< for the kernel: ARP/ND, ICMP, TCP, other UDP... */
	TW_DP_CLS_DROP = 2,      /**< malformed; see tw_dp_l34.drop */
};

/** Max addresses per family a port carries (as many as the config allows). */
#define TW_DP_ADDRS_MAX 16

/** What a port accepts on its fast path. Written by the control thread. */
struct tw_dp_match {
	uint16_t vlan;                          /**< 802.1Q VID, 0 = untagged */
	uint8_t n_v4, n_v6;
	uint8_t v4[TW_DP_ADDRS_MAX][4];         /**< network order */
	/** per v4[i]: the directed broadcast of its prefix, refused as a source
	 * (RFC 1122 §3.2.1.3 (d)); v4[i] itself for a /31 or /32 (RFC 3021) */
	uint8_t v4_bcast[TW_DP_ADDRS_MAX][4];
	uint8_t v6[TW_DP_ADDRS_MAX][16];
	const uint64_t *udp_owned;              /**< 65536-bit map of UDP ports, may be NULL */
};

/** Parse result: offsets and the fields a reflector needs first. */
struct tw_dp_l34 {
	uint16_t l2_len;     /**< 14, or 18 with a VLAN tag */
	uint16_t l3_len;     /**< IPv4 IHL*4 or 40 */
	uint16_t udp_len;    /**< UDP length field (header included) */
	uint16_t ether_type; /**< inner EtherType */
	uint16_t vlan;       /**< VID if tagged, else 0 */
	uint16_t sport, dport;
	uint8_t ipv;         /**< 4, 6 or 0 (not IP) */
	uint8_t ttl;         /**< TTL / Hop Limit */
	uint8_t proto;       /**< IPv4 protocol / IPv6 next header */
	uint8_t drop;        /**< enum tw_dp_drop when the class is DROP */
};

/** Flags for tw_dp_parse(): what the NIC already checked. */
#define TW_DP_PARSE_L3_CKSUM_GOOD 0x1u /**< skip the IPv4 header checksum */
#define TW_DP_PARSE_L3_CKSUM_BAD 0x2u  /**< the NIC found it bad */
#define TW_DP_PARSE_L4_CKSUM_GOOD 0x4u /**< skip the UDP checksum */
#define TW_DP_PARSE_L4_CKSUM_BAD 0x8u  /**< the NIC found it bad */

/*
 * RFC 1071 one's complement sums for the fast path. §2(B): the sum does not
 * depend on byte order, so native words are added and the result is a
 * native-order value (store it with memcpy, never tw_put_be16); §2(C): 64-bit
 * words with the carry added back at once, folded at the end.
 */

/** @p sum plus @p w, end-around carry (add + adc). */
static inline uint64_t tw_dp_csum_add64(uint64_t sum, uint64_t w)
{
	sum += w;
	return sum + (sum < w);
}

/** Add @p len octets at @p p (native words) to the running sum @p sum. */
static inline __attribute__((always_inline)) uint64_t
tw_dp_csum_add(uint64_t sum, const uint8_t *p, uint32_t len)
{
	uint64_t a, b, c, d;
	uint32_t w;
	uint16_t h;

	for (; len >= 32; p += 32, len -= 32) {
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		memcpy(&c, p + 16, 8);
		memcpy(&d, p + 24, 8);
		sum = tw_dp_csum_add64(tw_dp_csum_add64(tw_dp_csum_add64(
			tw_dp_csum_add64(sum, a), b), c), d);
	}
	if (len & 16) {
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		sum = tw_dp_csum_add64(tw_dp_csum_add64(sum, a), b);
		p += 16;
	}
	if (len & 8) {
		memcpy(&a, p, 8);
		sum = tw_dp_csum_add64(sum, a);
		p += 8;
	}
	if (len & 4) {
		memcpy(&w, p, 4);
		sum = tw_dp_csum_add64(sum, w);
		p += 4;
	}
	if (len & 2) {
		memcpy(&h, p, 2);
		sum = tw_dp_csum_add64(sum, h);
		p += 2;
	}
	if (len & 1) {
		uint8_t last[2] = { p[0], 0 };

		memcpy(&h, last, 2);
		sum = tw_dp_csum_add64(sum, h);
	}
	return sum;
}

/** The running sum folded to 16 bits (not complemented), native order. */
static inline uint16_t tw_dp_csum_fold(uint64_t sum)
{
	/* the upper half of x + rotate(x) is hi + lo + the carry out of lo */
	uint32_t s32 = (uint32_t)((sum + (sum >> 32 | sum << 32)) >> 32);

	return (uint16_t)((s32 + (s32 >> 16 | s32 << 16)) >> 16);
}

/** A big-endian 16-bit value as the native word holding its two octets. */
static inline uint16_t tw_dp_csum_be16(uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	uint16_t r;

	memcpy(&r, b, 2);
	return r;
}

/**
 * The running sum of a UDP pseudo header (RFC 768; RFC 8200 §8.1): the
 * addresses of the IP header @p ip (@p ipv 4 or 6), protocol 17 and the UDP
 * length @p ulen.
 */
static inline __attribute__((always_inline)) uint64_t
tw_dp_udp_pseudo_sum(const uint8_t *ip, unsigned ipv, uint16_t ulen)
{
	uint64_t sum = (uint64_t)tw_dp_csum_be16(17) + tw_dp_csum_be16(ulen);

	return ipv == 4 ? tw_dp_csum_add(sum, ip + 12, 8) : tw_dp_csum_add(sum, ip + 8, 32);
}

/** True when @p port is marked in the 65536-bit map @p map. */
static inline bool tw_dp_port_is_owned(const uint64_t *map, uint16_t port)
{
	return map != NULL &&
	       (__atomic_load_n(&map[port >> 6], __ATOMIC_RELAXED) >> (port & 63)) & 1;
}

/**
 * Classify one frame.
 *
 * OWNED: IPv4 (unfragmented, header checksum good) or IPv6 (UDP as the
 * first next header) UDP to one of @p m's addresses and to a port marked in
 * @p m->udp_owned, with consistent IP and UDP lengths and a good UDP
 * checksum (IPv4 may carry none, RFC 768; IPv6 must, RFC 8200 §8.1); on a
 * VLAN port only frames tagged with its VID get here.
 * EXCEPTION: everything else that is well formed enough for the kernel to
 * judge (non-IP EtherTypes, ICMP, TCP, fragments, extension headers, UDP to
 * other ports or addresses, multicast).
 * DROP: runts, a wrong or missing VLAN tag, truncated or inconsistent IP or
 * UDP headers, a bad IPv4 header or UDP checksum on an owned packet, an
 * owned packet whose source a reply must never go to (TW_DP_DROP_SRC_ADDR:
 * IPv4 0/8, 127/8, 224/4, 240/4, the directed broadcast of the destination's
 * prefix; IPv6 ::, ::1, ff00::/8, ::ffff:0:0/96; or the packet's own
 * destination); @p out->drop says which.
 *
 * @param m     the port's match (never NULL)
 * @param f     frame octets
 * @param len   octets available at @p f
 * @param flags TW_DP_PARSE_* hints from the NIC
 * @param out   filled for every class (offsets as far as parsed)
 * @return an enum tw_dp_class.
 */
enum tw_dp_class tw_dp_parse(const struct tw_dp_match *m, const uint8_t *f,
			     uint32_t len, unsigned flags, struct tw_dp_l34 *out);

/** Short identifier ("runt", ...) of a drop reason, or "unknown". */
const char *tw_dp_drop_name(unsigned reason);

/** One-line description of a drop reason, or "unknown". */
const char *tw_dp_drop_text(unsigned reason);

/** RFC 1071 checksum of an IPv4 header (the checksum field included). */
uint16_t tw_dp_ipv4_hdr_sum(const uint8_t *h, unsigned hlen);

/**
 * RFC 768 / RFC 8200 §8.1 UDP checksum over the pseudo-header and the
 * datagram at @p udp (its checksum field included): 0 when it verifies.
 *
 * @param ip    the IPv4 or IPv6 header (addresses are read from it)
 * @param ipv   4 or 6
 * @param udp   the UDP header
 * @param len   UDP length (header included)
 */
uint16_t tw_dp_udp_sum(const uint8_t *ip, unsigned ipv, const uint8_t *udp,
		       uint32_t len);

#ifdef __cplusplus
}
#endif

#endif /* TW_DP_PARSE_H */
