/* SPDX-License-Identifier: BSD-3-Clause */
/* STAMP integrity: HMAC-SHA-256 truncated to 128 bits (RFC 8762 §4.4). */

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto_native.h"
#include "crypto_priv.h"
#include "tw_crypto.h"

/* SHA-NI inline where the CPU has it (5x faster here), else OpenSSL. */
struct tw_crypto_stamp {
	bool native;
	struct tw_native_hmac256 nh;
	struct tw_hmac_pre hmac;
	EVP_MD_CTX *work; /* scratch; the session's worker is the only user */
};

struct tw_crypto_stamp *tw_crypto_stamp_create(const void *key,
					       size_t key_len)
{
	struct tw_crypto_stamp *s;

	if (key == NULL || key_len == 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->work = EVP_MD_CTX_new();
	if (s->work == NULL ||
	    tw_hmac_pre_init(&s->hmac, EVP_sha256(), key, key_len) != 0) {
		tw_crypto_stamp_destroy(s);
		return NULL;
	}
	if (tw_native_supported()) {
		uint8_t k0[32];
		unsigned int n = 0;

		/* RFC 2104 §2: a key longer than the block is hashed first */
		if (key_len > 64) {
			if (EVP_Digest(key, key_len, k0, &n, EVP_sha256(),
				       NULL) != 1) {
				tw_crypto_stamp_destroy(s);
				return NULL;
			}
			tw_native_hmac256_init(&s->nh, k0, n);
			tw_crypto_wipe(k0, sizeof(k0));
		} else {
			tw_native_hmac256_init(&s->nh, key, key_len);
		}
		s->native = true;
	}
	return s;
}

void tw_crypto_stamp_destroy(struct tw_crypto_stamp *s)
{
	if (s == NULL)
		return;
	tw_hmac_pre_free(&s->hmac);
	EVP_MD_CTX_free(s->work);
	tw_crypto_wipe(s, sizeof(*s));
	free(s);
}

int tw_crypto_stamp_mac(const struct tw_crypto_stamp *s, const uint8_t *a,
			size_t a_len, const uint8_t *b, size_t b_len,
			uint8_t mac[TW_CRYPTO_HMAC_LEN])
{
	uint8_t full[EVP_MAX_MD_SIZE];
	int rc;

	if (s == NULL || mac == NULL || (a == NULL && a_len > 0) ||
	    (b == NULL && b_len > 0))
		return -TW_PROTO_E_INVAL;
	if (s->native) {
		tw_native_hmac256(&s->nh, a, a_len, b, b_len, full);
		rc = 0;
	} else {
		rc = tw_hmac_pre_mac2(&s->hmac, s->work, a, a_len, b, b_len,
				      full);
	}
	if (rc == 0)
		memcpy(mac, full, TW_CRYPTO_HMAC_LEN);
	tw_crypto_wipe(full, sizeof(full));
	return rc;
}

/*
 * RFC 8762 §4.2.2 / §4.3.2: authenticated base packets are 112 octets,
 * HMAC (16) at offset 96 covering the first six blocks (octets 0-95).
 */
int tw_crypto_stamp_sign(const struct tw_crypto_stamp *s, uint8_t *pkt,
			 size_t len)
{
	if (pkt == NULL)
		return -TW_PROTO_E_INVAL;
	if (len < TW_CRYPTO_STAMP_AUTH_MIN)
		return -TW_PROTO_E_TRUNCATED;
	if (s != NULL && s->native) {
		const struct tw_native_hmac256 *h = &s->nh;
		const uint8_t *msg = pkt;

		tw_native_hmac256_96_burst(&h, &msg, 1,
					   (uint8_t (*)[16])(pkt + TW_CRYPTO_STAMP_HMAC_OFF));
		return 0;
	}
	return tw_crypto_stamp_mac(s, pkt, TW_CRYPTO_STAMP_HMAC_OFF, NULL, 0,
				   pkt + TW_CRYPTO_STAMP_HMAC_OFF);
}

int tw_crypto_stamp_check(const struct tw_crypto_stamp *s, const uint8_t *pkt,
			  size_t len)
{
	uint8_t mac[TW_CRYPTO_HMAC_LEN];
	int rc;

	if (pkt == NULL)
		return -TW_PROTO_E_INVAL;
	if (len < TW_CRYPTO_STAMP_AUTH_MIN)
		return -TW_PROTO_E_TRUNCATED;
	if (s != NULL && s->native) {
		const struct tw_native_hmac256 *h = &s->nh;

		tw_native_hmac256_96_burst(&h, &pkt, 1, &mac);
		rc = 0;
	} else {
		rc = tw_crypto_stamp_mac(s, pkt, TW_CRYPTO_STAMP_HMAC_OFF,
					 NULL, 0, mac);
	}
	if (rc == 0 && !tw_crypto_memeq(mac, pkt + TW_CRYPTO_STAMP_HMAC_OFF,
					TW_CRYPTO_HMAC_LEN))
		rc = -TW_PROTO_E_HMAC;
	return rc;
}

/*
 * RFC 8762 §4.4 for a burst: the native engine interleaves the SHA-256
 * compressions of up to four packets (crypto_native.c); contexts without
 * SHA-NI take the one-packet path. sign writes into out[i] (= pkts[i]).
 */
static int stamp_burst(const struct tw_crypto_stamp *const s[],
		       const uint8_t *const pkts[], uint8_t *const out[],
		       const uint16_t lens[], unsigned n, int results[])
{
	const struct tw_native_hmac256 *h[TW_CRYPTO_BURST_MAX];
	const uint8_t *msg[TW_CRYPTO_BURST_MAX];
	uint8_t mac[TW_CRYPTO_BURST_MAX][TW_CRYPTO_HMAC_LEN];
	uint16_t idx[TW_CRYPTO_BURST_MAX];
	unsigned nn = 0;

	if (s == NULL || pkts == NULL || lens == NULL || results == NULL ||
	    n > TW_CRYPTO_BURST_MAX)
		return -TW_PROTO_E_INVAL;
	for (unsigned i = 0; i < n; i++) {
		if (s[i] == NULL || pkts[i] == NULL) {
			results[i] = -TW_PROTO_E_INVAL;
		} else if (lens[i] < TW_CRYPTO_STAMP_AUTH_MIN) {
			results[i] = -TW_PROTO_E_TRUNCATED;
		} else if (s[i]->native) {
			h[nn] = &s[i]->nh;
			msg[nn] = pkts[i];
			idx[nn++] = (uint16_t)i;
		} else {
			results[i] = out != NULL
				? tw_crypto_stamp_sign(s[i], out[i], lens[i])
				: tw_crypto_stamp_check(s[i], pkts[i], lens[i]);
		}
	}
	if (nn == 0)
		return (int)n;
	tw_native_hmac256_96_burst(h, msg, nn, mac);
	for (unsigned k = 0; k < nn; k++) {
		unsigned i = idx[k];

		if (out != NULL) {
			memcpy(out[i] + TW_CRYPTO_STAMP_HMAC_OFF, mac[k],
			       TW_CRYPTO_HMAC_LEN);
			results[i] = 0;
		} else {
			results[i] = tw_crypto_memeq(mac[k],
						     pkts[i] + TW_CRYPTO_STAMP_HMAC_OFF,
						     TW_CRYPTO_HMAC_LEN)
				? 0 : -TW_PROTO_E_HMAC;
		}
	}
	tw_crypto_wipe(mac, nn * sizeof(mac[0]));
	return (int)n;
}

int tw_crypto_stamp_sign_burst(const struct tw_crypto_stamp *const s[],
			       uint8_t *const pkts[], const uint16_t lens[],
			       unsigned n, int results[])
{
	const uint8_t *in[TW_CRYPTO_BURST_MAX];

	if (pkts == NULL || n > TW_CRYPTO_BURST_MAX)
		return -TW_PROTO_E_INVAL;
	for (unsigned i = 0; i < n; i++)
		in[i] = pkts[i];
	return stamp_burst(s, in, pkts, lens, n, results);
}

int tw_crypto_stamp_check_burst(const struct tw_crypto_stamp *const s[],
				const uint8_t *const pkts[],
				const uint16_t lens[], unsigned n,
				int results[])
{
	return stamp_burst(s, pkts, NULL, lens, n, results);
}

/*
 * RFC 8972 §4.8 HMAC TLV, value = HMAC over Sequence Number | preceding TLVs:
 *   0 Flags(1) | 1 Type = 8 | 2 Length = 16 | 4 HMAC(16)
 */
static int tlv_args(const uint8_t *pkt, size_t len, size_t tlv_off,
		    size_t hmac_tlv_off)
{
	if (pkt == NULL || tlv_off < 4 || tlv_off > hmac_tlv_off)
		return -TW_PROTO_E_INVAL;
	if (hmac_tlv_off > len || len - hmac_tlv_off < 4 + TW_CRYPTO_HMAC_LEN)
		return -TW_PROTO_E_TRUNCATED;
	return 0;
}

int tw_crypto_stamp_tlv_sign(const struct tw_crypto_stamp *s, uint8_t *pkt,
			     size_t len, size_t tlv_off, size_t hmac_tlv_off)
{
	int rc = tlv_args(pkt, len, tlv_off, hmac_tlv_off);

	if (rc != 0)
		return rc;
	return tw_crypto_stamp_mac(s, pkt, 4, pkt + tlv_off,
				   hmac_tlv_off - tlv_off,
				   pkt + hmac_tlv_off + 4);
}

int tw_crypto_stamp_tlv_check(const struct tw_crypto_stamp *s,
			      const uint8_t *pkt, size_t len, size_t tlv_off,
			      size_t hmac_tlv_off)
{
	uint8_t mac[TW_CRYPTO_HMAC_LEN];
	int rc = tlv_args(pkt, len, tlv_off, hmac_tlv_off);

	if (rc == 0)
		rc = tw_crypto_stamp_mac(s, pkt, 4, pkt + tlv_off,
					 hmac_tlv_off - tlv_off, mac);
	if (rc == 0 && !tw_crypto_memeq(mac, pkt + hmac_tlv_off + 4,
					TW_CRYPTO_HMAC_LEN))
		rc = -TW_PROTO_E_HMAC;
	return rc;
}
