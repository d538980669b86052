/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/crypto internals shared by its .c files; not installed. */
#ifndef TW_CRYPTO_PRIV_H
#define TW_CRYPTO_PRIV_H

#include <openssl/evp.h>

#include "tw_crypto.h"

/*
 * HMAC with the key folded in once: the digest states after the ipad and
 * the opad block (RFC 2104 §4, "precomputations"). Each MAC then copies
 * them instead of hashing the key blocks again.
 */
struct tw_hmac_pre {
	const EVP_MD *md;
	EVP_MD_CTX *inner;
	EVP_MD_CTX *outer;
	size_t out_len;
};

int tw_hmac_pre_init(struct tw_hmac_pre *h, const EVP_MD *md,
		     const uint8_t *key, size_t key_len);
void tw_hmac_pre_free(struct tw_hmac_pre *h);
/* work := inner state; then EVP_DigestUpdate(work, ...) as needed. */
int tw_hmac_pre_start(const struct tw_hmac_pre *h, EVP_MD_CTX *work);
/* Finish the MAC running in work; out gets h->out_len octets. */
int tw_hmac_pre_finish(const struct tw_hmac_pre *h, EVP_MD_CTX *work,
		       uint8_t *out);
/* One-shot over a | b. */
int tw_hmac_pre_mac2(const struct tw_hmac_pre *h, EVP_MD_CTX *work,
		     const uint8_t *a, size_t a_len, const uint8_t *b,
		     size_t b_len, uint8_t *out);

/* One-shot AES-128 ECB or CBC (IV NULL means zero) without padding. */
int tw_aes128(const EVP_CIPHER *cipher, int enc, const uint8_t key[16],
	      const uint8_t *iv, const uint8_t *in, uint8_t *out, size_t len);

#endif
