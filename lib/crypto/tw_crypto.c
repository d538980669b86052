/* SPDX-License-Identifier: BSD-3-Clause */
/* Secrets, randomness, HMAC precomputation, PBKDF2 and the Token. */

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto_priv.h"
#include "tw_crypto.h"

void tw_crypto_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

bool tw_crypto_memeq(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int tw_crypto_random(void *buf, size_t n)
{
	if (n == 0)
		return 0;
	if (buf == NULL || n > INT32_MAX)
		return -TW_PROTO_E_INVAL;
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -TW_PROTO_E_CRYPTO;
}

int tw_hmac_pre_init(struct tw_hmac_pre *h, const EVP_MD *md,
		     const uint8_t *key, size_t key_len)
{
	uint8_t k0[128], pad[128];
	unsigned int dlen = 0;
	size_t block = (size_t)EVP_MD_get_block_size(md);
	int rc = -TW_PROTO_E_CRYPTO;

	memset(h, 0, sizeof(*h));
	if (block > sizeof(k0) || (key == NULL && key_len > 0))
		return -TW_PROTO_E_INVAL;
	h->md = md;
	h->out_len = (size_t)EVP_MD_get_size(md);
	h->inner = EVP_MD_CTX_new();
	h->outer = EVP_MD_CTX_new();
	if (h->inner == NULL || h->outer == NULL)
		goto out;
	memset(k0, 0, sizeof(k0));
	/* RFC 2104 §2: keys longer than the block are hashed first. */
	if (key_len > block) {
		if (EVP_Digest(key, key_len, k0, &dlen, md, NULL) != 1)
			goto out;
	} else if (key_len > 0) {
		memcpy(k0, key, key_len);
	}
	for (size_t i = 0; i < block; i++)
		pad[i] = k0[i] ^ 0x36;
	if (EVP_DigestInit_ex(h->inner, md, NULL) != 1 ||
	    EVP_DigestUpdate(h->inner, pad, block) != 1)
		goto out;
	for (size_t i = 0; i < block; i++)
		pad[i] = k0[i] ^ 0x5c;
	if (EVP_DigestInit_ex(h->outer, md, NULL) != 1 ||
	    EVP_DigestUpdate(h->outer, pad, block) != 1)
		goto out;
	rc = 0;
out:
	tw_crypto_wipe(k0, sizeof(k0));
	tw_crypto_wipe(pad, sizeof(pad));
	if (rc != 0)
		tw_hmac_pre_free(h);
	return rc;
}

void tw_hmac_pre_free(struct tw_hmac_pre *h)
{
	/* EVP_MD_CTX_free cleanses the digest state it held. */
	EVP_MD_CTX_free(h->inner);
	EVP_MD_CTX_free(h->outer);
	h->inner = NULL;
	h->outer = NULL;
}

int tw_hmac_pre_start(const struct tw_hmac_pre *h, EVP_MD_CTX *work)
{
	return EVP_MD_CTX_copy_ex(work, h->inner) == 1 ? 0 : -TW_PROTO_E_CRYPTO;
}

int tw_hmac_pre_finish(const struct tw_hmac_pre *h, EVP_MD_CTX *work,
		       uint8_t *out)
{
	uint8_t ih[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc = -TW_PROTO_E_CRYPTO;

	if (EVP_DigestFinal_ex(work, ih, &n) != 1 ||
	    EVP_MD_CTX_copy_ex(work, h->outer) != 1 ||
	    EVP_DigestUpdate(work, ih, n) != 1 ||
	    EVP_DigestFinal_ex(work, out, &n) != 1)
		goto out;
	rc = 0;
out:
	tw_crypto_wipe(ih, sizeof(ih));
	return rc;
}

int tw_hmac_pre_mac2(const struct tw_hmac_pre *h, EVP_MD_CTX *work,
		     const uint8_t *a, size_t a_len, const uint8_t *b,
		     size_t b_len, uint8_t *out)
{
	if (tw_hmac_pre_start(h, work) != 0 ||
	    (a_len > 0 && EVP_DigestUpdate(work, a, a_len) != 1) ||
	    (b_len > 0 && EVP_DigestUpdate(work, b, b_len) != 1))
		return -TW_PROTO_E_CRYPTO;
	return tw_hmac_pre_finish(h, work, out);
}

int tw_aes128(const EVP_CIPHER *cipher, int enc, const uint8_t key[16],
	      const uint8_t *iv, const uint8_t *in, uint8_t *out, size_t len)
{
	static const uint8_t zero_iv[16];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, rc = -TW_PROTO_E_CRYPTO;

	if (c == NULL)
		return -TW_PROTO_E_NOMEM;
	if (len % 16 != 0 || len > INT32_MAX) {
		rc = -TW_PROTO_E_LENGTH;
		goto out;
	}
	if (EVP_CipherInit_ex(c, cipher, NULL, key, iv ? iv : zero_iv,
			      enc) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, (int)len) != 1 ||
	    (size_t)n != len)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int tw_crypto_pbkdf2_sha1(const void *pass, size_t pass_len,
			  const uint8_t *salt, size_t salt_len, uint32_t iter,
			  uint8_t *out, size_t out_len)
{
	if (iter == 0 || iter > INT32_MAX || out == NULL || out_len == 0 ||
	    out_len > INT32_MAX || pass_len > INT32_MAX ||
	    salt_len > INT32_MAX || (pass == NULL && pass_len > 0) ||
	    (salt == NULL && salt_len > 0))
		return -TW_PROTO_E_INVAL;
	/* OpenSSL wants non-NULL pointers even for empty inputs. */
	if (PKCS5_PBKDF2_HMAC(pass ? pass : "", (int)pass_len,
			      salt ? salt : (const uint8_t *)"", (int)salt_len,
			      (int)iter, EVP_sha1(), (int)out_len, out) != 1)
		return -TW_PROTO_E_CRYPTO;
	return 0;
}

int tw_crypto_count_check(uint32_t count, uint32_t cap)
{
	if (count < TW_CRYPTO_COUNT_MIN || (count & (count - 1)) != 0)
		return -TW_PROTO_E_COUNT;
	if (cap != 0 && count > cap)
		return -TW_PROTO_E_RANGE;
	return 0;
}

/* RFC 4656 §3.1: K = PBKDF2-HMAC-SHA1(shared secret, Salt, Count, 16). */
int tw_crypto_token_key(const void *secret, size_t secret_len,
			const uint8_t salt[TW_CRYPTO_BLOCK], uint32_t count,
			uint32_t cap, uint8_t key[TW_CRYPTO_AES_KEY])
{
	int rc = tw_crypto_count_check(count, cap);

	if (rc != 0)
		return rc;
	if (salt == NULL || key == NULL)
		return -TW_PROTO_E_INVAL;
	return tw_crypto_pbkdf2_sha1(secret, secret_len, salt, TW_CRYPTO_BLOCK,
				     count, key, TW_CRYPTO_AES_KEY);
}

/*
 * RFC 4656 §3.1 Set-Up-Response Token (64 octets):
 *   Token = AES-128-CBC(K, IV 0,
 *           Challenge(16) | AES Session-key(16) | HMAC Session-key(32))
 */
int tw_crypto_token_encrypt(const uint8_t key[TW_CRYPTO_AES_KEY],
			    const uint8_t challenge[TW_CRYPTO_BLOCK],
			    const struct tw_crypto_session_keys *sk,
			    uint8_t token[TW_CRYPTO_TOKEN_LEN])
{
	uint8_t plain[TW_CRYPTO_TOKEN_LEN];
	int rc;

	if (key == NULL || challenge == NULL || sk == NULL || token == NULL)
		return -TW_PROTO_E_INVAL;
	memcpy(plain, challenge, 16);
	memcpy(plain + 16, sk->aes, 16);
	memcpy(plain + 32, sk->hmac, 32);
	rc = tw_aes128(EVP_aes_128_cbc(), 1, key, NULL, plain, token,
		       sizeof(plain));
	tw_crypto_wipe(plain, sizeof(plain));
	return rc;
}

int tw_crypto_token_decrypt(const uint8_t key[TW_CRYPTO_AES_KEY],
			    const uint8_t challenge[TW_CRYPTO_BLOCK],
			    const uint8_t token[TW_CRYPTO_TOKEN_LEN],
			    struct tw_crypto_session_keys *sk)
{
	uint8_t plain[TW_CRYPTO_TOKEN_LEN];
	int rc;

	if (key == NULL || challenge == NULL || sk == NULL || token == NULL)
		return -TW_PROTO_E_INVAL;
	rc = tw_aes128(EVP_aes_128_cbc(), 0, key, NULL, token, plain,
		       sizeof(plain));
	if (rc == 0 && !tw_crypto_memeq(plain, challenge, 16))
		rc = -TW_PROTO_E_TOKEN;
	if (rc == 0) {
		memcpy(sk->aes, plain + 16, 16);
		memcpy(sk->hmac, plain + 32, 32);
	}
	tw_crypto_wipe(plain, sizeof(plain));
	return rc;
}
