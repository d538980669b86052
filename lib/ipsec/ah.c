/* SPDX-License-Identifier: BSD-3-Clause */
/* AH (RFC 4302) for lib/ipsec: HMAC with precomputed ipad/opad states. */

/* the SHA1/SHA256 context structs let the keyed states be copied per
 * packet without allocation (EVP contexts allocate on copy) */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "tw_ipsec_ah.h"
#include "tw_ipsec_ds.h"

#define AH_FIXED 12u     /* next header, length, reserved, SPI, sequence */
#define V4_HLEN 20u
#define V6_HLEN 40u
#define WIN_WORDS (TW_IPSEC_REPLAY_MAX / 64u + 1u) /* + 1: RFC 6479 */

union hctx {
	SHA_CTX s1;
	SHA256_CTX s256;
};

struct tw_ipsec_ah {
	enum tw_ipsec_auth auth;
	bool tunnel, in, no_replay;
	bool dscp_fixed;            /* OUT tunnel: outer DSCP = dscp */
	uint8_t dscp;
	uint8_t ipv, inner_ipv;
	uint8_t icv_len, hdr_len;   /* AH length incl. ICV and padding */
	uint32_t spi;
	uint8_t src[16], dst[16];
	union hctx ist, ost;        /* state after the ipad / opad block */
	uint64_t seq;               /* OUT: last sent; IN: highest seen */
	uint32_t win;               /* IN: window size (packets) */
	uint64_t bits[WIN_WORDS];   /* IN: bit (seq % win_bits) set = seen */
	struct tw_ipsec_sa_stats st;
};

static void h_init(enum tw_ipsec_auth a, union hctx *h)
{
	if (a == TW_IPSEC_AUTH_HMAC_SHA1_96)
		SHA1_Init(&h->s1);
	else
		SHA256_Init(&h->s256);
}

static void h_upd(enum tw_ipsec_auth a, union hctx *h, const void *p, size_t n)
{
	if (a == TW_IPSEC_AUTH_HMAC_SHA1_96)
		SHA1_Update(&h->s1, p, n);
	else
		SHA256_Update(&h->s256, p, n);
}

static void h_fin(enum tw_ipsec_auth a, union hctx *h, uint8_t *md)
{
	if (a == TW_IPSEC_AUTH_HMAC_SHA1_96)
		SHA1_Final(md, &h->s1);
	else
		SHA256_Final(md, &h->s256);
}

/* RFC 2104 with a key no longer than the block (IKE keys are 20/32). */
static void hmac_key(struct tw_ipsec_ah *ah, const uint8_t *key, unsigned klen)
{
	uint8_t pad[64];

	memset(pad, 0x36, sizeof(pad));
	for (unsigned i = 0; i < klen; i++)
		pad[i] ^= key[i];
	h_init(ah->auth, &ah->ist);
	h_upd(ah->auth, &ah->ist, pad, sizeof(pad));
	memset(pad, 0x5c, sizeof(pad));
	for (unsigned i = 0; i < klen; i++)
		pad[i] ^= key[i];
	h_init(ah->auth, &ah->ost);
	h_upd(ah->auth, &ah->ost, pad, sizeof(pad));
	OPENSSL_cleanse(pad, sizeof(pad));
}

struct tw_ipsec_ah *tw_ipsec_ah_create(const struct tw_ipsec_sa_conf *c)
{
	struct tw_ipsec_ah *ah;
	unsigned inner, icv, hl;

	if (c == NULL || c->proto != TW_IPSEC_AH || c->spi < 256 ||
	    (c->dir != TW_IPSEC_IN && c->dir != TW_IPSEC_OUT) ||
	    (c->ipv != 4 && c->ipv != 6) ||
	    (c->mode != TW_IPSEC_TUNNEL && c->mode != TW_IPSEC_TRANSPORT) ||
	    c->cipher != TW_IPSEC_CIPHER_NULL || c->cipher_key_len != 0 ||
	    c->replay_window > TW_IPSEC_REPLAY_MAX ||
	    (c->dir == TW_IPSEC_OUT && c->reply_spi != 0)) {
		errno = EINVAL;
		return NULL;
	}
	inner = c->inner_ipv != 0 ? c->inner_ipv : c->ipv;
	if (inner != 4 && inner != 6) {
		errno = EINVAL;
		return NULL;
	}
	if (c->auth == TW_IPSEC_AUTH_HMAC_SHA1_96)
		icv = 12;
	else if (c->auth == TW_IPSEC_AUTH_HMAC_SHA256_128)
		icv = 16;
	else {
		errno = EINVAL;   /* AH is integrity: an algorithm is required */
		return NULL;
	}
	if (c->auth_key_len != tw_ipsec_auth_key_len(c->auth)) {
		errno = EINVAL;
		return NULL;
	}
	if (c->esn || c->encap_udp) {
		errno = ENOTSUP;
		return NULL;
	}
	ah = calloc(1, sizeof(*ah));
	if (ah == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	/* RFC 4302 §2.2/§3.3.3.2.1: AH is a multiple of 4 (IPv4) or 8 (IPv6) */
	hl = AH_FIXED + icv;
	hl = (hl + (c->ipv == 6 ? 7u : 3u)) & ~(c->ipv == 6 ? 7u : 3u);
	ah->auth = c->auth;
	ah->tunnel = c->mode == TW_IPSEC_TUNNEL;
	ah->in = c->dir == TW_IPSEC_IN;
	ah->no_replay = c->no_replay;
	ah->dscp_fixed = c->outer_dscp_fixed;
	ah->dscp = c->outer_dscp;
	ah->ipv = c->ipv;
	ah->inner_ipv = (uint8_t)inner;
	ah->icv_len = (uint8_t)icv;
	ah->hdr_len = (uint8_t)hl;
	ah->spi = c->spi;
	memcpy(ah->src, c->src, sizeof(ah->src));
	memcpy(ah->dst, c->dst, sizeof(ah->dst));
	ah->seq = c->dir == TW_IPSEC_OUT ? c->seq_start : 0;
	ah->win = c->replay_window != 0 ? c->replay_window : TW_IPSEC_REPLAY_DEFAULT;
	ah->win = (ah->win + 63u) & ~63u;
	hmac_key(ah, c->auth_key, c->auth_key_len);
	return ah;
}

void tw_ipsec_ah_destroy(struct tw_ipsec_ah *ah)
{
	if (ah == NULL)
		return;
	OPENSSL_cleanse(ah, sizeof(*ah));
	free(ah);
}

unsigned tw_ipsec_ah_hdr_len(const struct tw_ipsec_ah *ah)
{
	return ah != NULL ? ah->hdr_len : 0;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void v4_csum(uint8_t *h)
{
	uint32_t s = 0;

	h[10] = h[11] = 0;
	for (unsigned i = 0; i < V4_HLEN; i += 2)
		s += (uint32_t)h[i] << 8 | h[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	put16(h + 10, ~s & 0xffff);
}

/*
 * RFC 4302 §3.3.3: the ICV over the IP header with the mutable fields
 * zeroed (§3.3.3.1.1.1 IPv4: TOS, flags, fragment offset, TTL, checksum;
 * §3.3.3.1.2.1 IPv6: class, flow label, hop limit), AH with the ICV
 * zeroed, and the payload.
 */
static void ah_icv(const struct tw_ipsec_ah *ah, const uint8_t *ip, unsigned hlen,
		   const uint8_t *ahh, const uint8_t *pay, size_t plen, uint8_t *icv)
{
	static const uint8_t zero[TW_IPSEC_AH_HDR_MAX];
	uint8_t h[V6_HLEN], md[32];
	union hctx c;

	memcpy(h, ip, hlen);
	if (ah->ipv == 4) {
		h[1] = 0;
		h[6] = h[7] = 0;
		h[8] = 0;
		h[10] = h[11] = 0;
	} else {
		h[0] &= 0xf0;
		h[1] = h[2] = h[3] = 0;
		h[7] = 0;
	}
	c = ah->ist;
	h_upd(ah->auth, &c, h, hlen);
	h_upd(ah->auth, &c, ahh, AH_FIXED);
	h_upd(ah->auth, &c, zero, ah->hdr_len - AH_FIXED);
	h_upd(ah->auth, &c, pay, plen);
	h_fin(ah->auth, &c, md);
	c = ah->ost;
	h_upd(ah->auth, &c, md, ah->auth == TW_IPSEC_AUTH_HMAC_SHA1_96 ? 20 : 32);
	h_fin(ah->auth, &c, md);
	memcpy(icv, md, ah->icv_len);
	OPENSSL_cleanse(&c, sizeof(c));
}

static void cnt(uint64_t *f, uint64_t v)
{
	__atomic_store_n(f, *f + v, __ATOMIC_RELAXED);
}

/* RFC 4302 §3.4.3: false if seq is 0, left of the window or seen. */
static bool replay_ok(const struct tw_ipsec_ah *ah, uint32_t seq)
{
	if (ah->no_replay)
		return true;
	if (seq == 0)
		return false;
	if (seq > ah->seq)
		return true;
	if (ah->seq - seq >= ah->win)
		return false;
	return !(ah->bits[(seq / 64) % (ah->win / 64 + 1)] >> (seq % 64) & 1);
}

/* After the ICV verified: slide the window and mark seq. */
static void replay_mark(struct tw_ipsec_ah *ah, uint32_t seq)
{
	unsigned words = ah->win / 64 + 1;

	if (ah->no_replay)
		return;
	if (seq > ah->seq) {
		uint64_t from = ah->seq / 64 + 1, to = seq / 64;

		if (to - ah->seq / 64 >= words)
			memset(ah->bits, 0, words * sizeof(ah->bits[0]));
		else
			for (uint64_t w = from; w <= to; w++)
				ah->bits[w % words] = 0;
		ah->seq = seq;
	}
	ah->bits[(seq / 64) % words] |= 1ull << (seq % 64);
}

int tw_ipsec_ah_inbound(struct tw_ipsec_ah *ah, uint8_t *pkt, uint32_t len,
			uint32_t *off, uint32_t *out_len)
{
	unsigned hlen = 0, nh;
	uint8_t icv[16];
	const uint8_t *a;
	uint32_t seq, o;

	if (ah == NULL || pkt == NULL || off == NULL || out_len == NULL || !ah->in)
		return -EINVAL;
	/* the IP length rules: link-layer padding behind it is ignored */
	if (ah->ipv == 4 && len >= V4_HLEN && pkt[0] == 0x45 && pkt[9] == TW_IPSEC_AH_PROTO &&
	    ((unsigned)pkt[2] << 8 | pkt[3]) <= len && (pkt[6] & 0x3f) == 0 && pkt[7] == 0) {
		hlen = V4_HLEN;   /* no options, not a fragment */
		len = (unsigned)pkt[2] << 8 | pkt[3];
	} else if (ah->ipv == 6 && len >= V6_HLEN && pkt[0] >> 4 == 6 &&
		   pkt[6] == TW_IPSEC_AH_PROTO &&
		   ((unsigned)pkt[4] << 8 | pkt[5]) + V6_HLEN <= len) {
		hlen = V6_HLEN;
		len = ((unsigned)pkt[4] << 8 | pkt[5]) + V6_HLEN;
	}
	if (hlen == 0 || len < hlen + ah->hdr_len)
		goto bad;
	a = pkt + hlen;
	if ((unsigned)a[1] + 2 != ah->hdr_len / 4u || get32(a + 4) != ah->spi)
		goto bad;
	nh = a[0];
	if (ah->tunnel ? nh != (ah->inner_ipv == 4 ? 4u : 41u) : (nh == 4 || nh == 41))
		goto bad;
	seq = get32(a + 8);
	if (!replay_ok(ah, seq)) {
		cnt(&ah->st.replay_drop, 1);
		return -EALREADY;
	}
	ah_icv(ah, pkt, hlen, a, a + ah->hdr_len, len - hlen - ah->hdr_len, icv);
	if (CRYPTO_memcmp(icv, a + AH_FIXED, ah->icv_len) != 0) {
		cnt(&ah->st.auth_fail, 1);
		return -EACCES;
	}
	o = hlen + ah->hdr_len;
	if (ah->tunnel) {
		if (len - o < (ah->inner_ipv == 4 ? V4_HLEN : V6_HLEN) ||
		    pkt[o] >> 4 != ah->inner_ipv)
			goto bad;
	} else {
		memmove(pkt + ah->hdr_len, pkt, hlen);
		if (ah->ipv == 4) {
			pkt[ah->hdr_len + 9] = (uint8_t)nh;
			put16(pkt + ah->hdr_len + 2, len - ah->hdr_len);
			v4_csum(pkt + ah->hdr_len);
		} else {
			pkt[ah->hdr_len + 6] = (uint8_t)nh;
			put16(pkt + ah->hdr_len + 4, len - ah->hdr_len - V6_HLEN);
		}
		o = ah->hdr_len;
	}
	replay_mark(ah, seq);
	cnt(&ah->st.packets, 1);
	cnt(&ah->st.octets, len);
	*off = o;
	*out_len = len - o;
	return 0;
bad:
	cnt(&ah->st.bad, 1);
	return -EBADMSG;
}

int tw_ipsec_ah_outbound(struct tw_ipsec_ah *ah, const uint8_t *in, uint32_t len,
			 uint8_t *out, uint32_t cap)
{
	unsigned hlen, nh;
	uint32_t total, plen;
	const uint8_t *pay;
	uint64_t seq;
	uint8_t *a;

	if (ah == NULL || in == NULL || out == NULL || ah->in || len < 1)
		return -EINVAL;
	if (ah->tunnel) {
		if (in[0] >> 4 != ah->inner_ipv ||
		    len < (ah->inner_ipv == 4 ? V4_HLEN : V6_HLEN))
			return -EINVAL;
		hlen = ah->ipv == 4 ? V4_HLEN : V6_HLEN;
		nh = ah->inner_ipv == 4 ? 4 : 41;
		pay = in;
		plen = len;
	} else {
		if (ah->ipv == 4 ? (len < V4_HLEN || in[0] != 0x45 ||
				    ((unsigned)in[2] << 8 | in[3]) != len)
				 : (len < V6_HLEN || in[0] >> 4 != 6 ||
				    ((unsigned)in[4] << 8 | in[5]) + V6_HLEN != len))
			return -EINVAL;
		hlen = ah->ipv == 4 ? V4_HLEN : V6_HLEN;
		nh = ah->ipv == 4 ? in[9] : in[6];
		pay = in + hlen;
		plen = len - hlen;
	}
	total = hlen + ah->hdr_len + plen;
	if (total > 0xffffu || total > cap)
		return -ENOSPC;
	/* RFC 4302 §3.3.3: no cycling without ESN. The number is taken
	 * atomically: the sender (worker 0) and another worker's reflector
	 * replies may share one outbound SA, and a number is never reused. */
	seq = __atomic_load_n(&ah->seq, __ATOMIC_RELAXED);
	do {
		if (seq >= UINT32_MAX) {
			__atomic_fetch_add(&ah->st.seq_overflow, 1, __ATOMIC_RELAXED);
			return -EOVERFLOW;
		}
	} while (!__atomic_compare_exchange_n(&ah->seq, &seq, seq + 1, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	if (ah->tunnel) {
		/* RFC 4301 §5.1.2.1, RFC 6040 §4.1: the inner DS field (or the
		 * SA's DSCP with the inner ECN); mutable, outside the ICV */
		uint8_t ds = tw_ipsec_outer_ds(tw_ipsec_ds_get(in), ah->dscp_fixed, ah->dscp);

		memset(out, 0, hlen);
		if (ah->ipv == 4) {
			out[0] = 0x45;
			out[1] = ds;
			put16(out + 2, total);
			out[6] = 0x40;
			out[8] = 64;
			out[9] = TW_IPSEC_AH_PROTO;
			memcpy(out + 12, ah->src, 4);
			memcpy(out + 16, ah->dst, 4);
		} else {
			out[0] = (uint8_t)(0x60 | ds >> 4);
			out[1] = (uint8_t)(ds << 4);
			put16(out + 4, total - V6_HLEN);
			out[6] = TW_IPSEC_AH_PROTO;
			out[7] = 64;
			memcpy(out + 8, ah->src, 16);
			memcpy(out + 24, ah->dst, 16);
		}
	} else {
		memcpy(out, in, hlen);
		if (ah->ipv == 4) {
			out[9] = TW_IPSEC_AH_PROTO;
			put16(out + 2, total);
		} else {
			out[6] = TW_IPSEC_AH_PROTO;
			put16(out + 4, total - V6_HLEN);
		}
	}
	if (ah->ipv == 4)
		v4_csum(out);
	a = out + hlen;
	memset(a, 0, ah->hdr_len);
	a[0] = (uint8_t)nh;
	a[1] = (uint8_t)(ah->hdr_len / 4 - 2);
	put32(a + 4, ah->spi);
	put32(a + 8, (uint32_t)(seq + 1));
	memcpy(a + ah->hdr_len, pay, plen);
	ah_icv(ah, out, hlen, a, a + ah->hdr_len, plen, a + AH_FIXED);
	__atomic_fetch_add(&ah->st.packets, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ah->st.octets, total, __ATOMIC_RELAXED);
	return (int)total;
}

void tw_ipsec_ah_stats(const struct tw_ipsec_ah *ah, struct tw_ipsec_sa_stats *out)
{
	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	if (ah == NULL)
		return;
#define LD(f) out->f = __atomic_load_n(&ah->st.f, __ATOMIC_RELAXED)
	LD(packets); LD(octets); LD(auth_fail); LD(replay_drop); LD(bad);
	LD(seq_overflow); LD(errors);
#undef LD
}
