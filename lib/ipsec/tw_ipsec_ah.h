/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * AH (RFC 4302) in application code: librte_ipsec has no AH.
 *
 * One tw_ipsec_ah per SA, keyed once (HMAC ipad/opad states precomputed),
 * no allocation per packet. The packet functions work on a contiguous
 * buffer that starts at the IP header (the worker passes the mbuf's data
 * behind the L2 header). Supported: tunnel and transport mode, IPv4 and
 * IPv6, HMAC-SHA1-96 (RFC 2404) and HMAC-SHA2-256-128 (RFC 4868), 32-bit
 * sequence numbers with the anti-replay window of RFC 4302 §3.4.3.
 * Not supported (refused or dropped as malformed): IPv4 options, IPv6
 * extension headers other than AH itself, ESN, IPv4 fragments.
 *
 * An inbound SA's functions are called by one worker at a time (packets of
 * one flow stay on one worker). An outbound SA may be used by several at
 * once (the sender in worker 0, reflector replies in another): its
 * sequence number is taken atomically. Counters are read with relaxed
 * atomics.
 */
#ifndef TW_IPSEC_AH_H
#define TW_IPSEC_AH_H

#include <stdint.h>

#include "tw_ipsec.h"

#ifdef __cplusplus
extern "C" {
#endif

/** IP protocol number of AH (RFC 4302 §2). */
#define TW_IPSEC_AH_PROTO 51u
/** Largest AH header: 12 fixed octets + 16-octet ICV + 4 padding (IPv6). */
#define TW_IPSEC_AH_HDR_MAX 32u

struct tw_ipsec_ah;

/**
 * Validate @p c (proto AH, cipher NULL, auth HMAC-SHA1-96 or
 * HMAC-SHA2-256-128 with a key of the algorithm's length, no ESN, no UDP
 * encapsulation) and build the SA state (keys folded into HMAC states;
 * the caller's copy is not kept).
 * @return the SA, or NULL with errno EINVAL, ENOTSUP or ENOMEM.
 */
struct tw_ipsec_ah *tw_ipsec_ah_create(const struct tw_ipsec_sa_conf *c);

/** Wipe and free an SA; NULL is a no-op. */
void tw_ipsec_ah_destroy(struct tw_ipsec_ah *ah);

/** AH header length of @p ah's packets (ICV and padding included). */
unsigned tw_ipsec_ah_hdr_len(const struct tw_ipsec_ah *ah);

/**
 * Inbound (RFC 4302 §3.4): @p pkt[0, len) holds an IP packet carrying AH
 * right behind the IP header, for this SA (SPI and destination as the
 * SA's), its IP length at most @p len (link padding behind it ignored). Checks the length, the replay window, the ICV over the immutable
 * fields (mutable ones as zero), then updates the window and removes AH in
 * place: tunnel mode leaves the inner packet at @p *off; transport mode
 * moves the IP header up to @p *off and fixes its protocol, length and
 * checksum. Counted in the SA's stats (packets/octets, auth_fail,
 * replay_drop, bad). On error the packet bytes are unchanged.
 * @return 0 with @p *off and @p *out_len set, -EINVAL (bad arguments),
 *         -EBADMSG (malformed: counted as bad), -EACCES (ICV did not
 *         verify), -EALREADY (replayed or left of the window).
 */
int tw_ipsec_ah_inbound(struct tw_ipsec_ah *ah, uint8_t *pkt, uint32_t len,
			uint32_t *off, uint32_t *out_len);

/**
 * Outbound (RFC 4302 §3.3): protect the IP packet @p in[0, len) (inner
 * packet in tunnel mode, the packet itself in transport mode) into
 * @p out (capacity @p cap; must not overlap @p in): the next sequence
 * number, the outer header from the SA's addresses in tunnel mode
 * (IPv4: DF, TTL 64, ID 0; IPv6: hop limit 64, flow label 0; the DS field
 * the inner packet's, or the SA's outer_dscp with the inner ECN: RFC 4301
 * §5.1.2.1, RFC 6040 §4.1), AH and its ICV.
 * @return the output length, -EINVAL (bad arguments or packet),
 *         -ENOSPC (@p cap too small), -EOVERFLOW (sequence numbers
 *         exhausted, §3.3.3: counted as seq_overflow).
 */
int tw_ipsec_ah_outbound(struct tw_ipsec_ah *ah, const uint8_t *in, uint32_t len,
			 uint8_t *out, uint32_t cap);

/** The SA's counters (the tw_ipsec_sa_stats fields AH uses). */
void tw_ipsec_ah_stats(const struct tw_ipsec_ah *ah, struct tw_ipsec_sa_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* TW_IPSEC_AH_H */
