/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 key derivation (RFC 7296 §2.13, §2.14, §2.17, §2.18) and the
 * RFC 7717 §5.1 shared secret. Control plane only: may allocate.
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "crypto_priv.h"
#include "tw_crypto.h"

#define PARTS_MAX 4

struct part {
	const uint8_t *p;
	size_t n;
};

int tw_crypto_prf_len(enum tw_crypto_prf prf)
{
	switch (prf) {
	case TW_CRYPTO_PRF_HMAC_SHA1:
		return 20;
	case TW_CRYPTO_PRF_AES128_XCBC:
	case TW_CRYPTO_PRF_AES128_CMAC:
		return 16;
	case TW_CRYPTO_PRF_HMAC_SHA2_256:
		return 32;
	case TW_CRYPTO_PRF_HMAC_SHA2_384:
		return 48;
	case TW_CRYPTO_PRF_HMAC_SHA2_512:
		return 64;
	}
	return -TW_PROTO_E_INVAL;
}

static const EVP_MD *prf_md(enum tw_crypto_prf prf)
{
	switch (prf) {
	case TW_CRYPTO_PRF_HMAC_SHA1:
		return EVP_sha1();
	case TW_CRYPTO_PRF_HMAC_SHA2_256:
		return EVP_sha256();
	case TW_CRYPTO_PRF_HMAC_SHA2_384:
		return EVP_sha384();
	case TW_CRYPTO_PRF_HMAC_SHA2_512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static int prf_hmac(const EVP_MD *md, const uint8_t *key, size_t key_len,
		    const struct part *v, size_t nv, uint8_t *out)
{
	struct tw_hmac_pre h;
	EVP_MD_CTX *w = EVP_MD_CTX_new();
	int rc = -TW_PROTO_E_CRYPTO;

	if (w == NULL)
		return -TW_PROTO_E_NOMEM;
	rc = tw_hmac_pre_init(&h, md, key, key_len);
	if (rc != 0)
		goto out;
	rc = tw_hmac_pre_start(&h, w);
	for (size_t i = 0; rc == 0 && i < nv; i++)
		if (v[i].n > 0 && EVP_DigestUpdate(w, v[i].p, v[i].n) != 1)
			rc = -TW_PROTO_E_CRYPTO;
	if (rc == 0)
		rc = tw_hmac_pre_finish(&h, w, out);
	tw_hmac_pre_free(&h);
out:
	EVP_MD_CTX_free(w);
	return rc;
}

/* AES-CMAC (RFC 4493) over the parts, key exactly 16 octets. */
static int cmac(const uint8_t key[16], const struct part *v, size_t nv,
		uint8_t out[16])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
						 (char *)(uintptr_t)"AES-128-CBC",
						 0),
		OSSL_PARAM_construct_end(),
	};
	size_t n = 0;
	int rc = -TW_PROTO_E_CRYPTO;

	if (ctx == NULL || EVP_MAC_init(ctx, key, 16, params) != 1)
		goto out;
	for (size_t i = 0; i < nv; i++)
		if (v[i].n > 0 && EVP_MAC_update(ctx, v[i].p, v[i].n) != 1)
			goto out;
	if (EVP_MAC_final(ctx, out, &n, 16) != 1 || n != 16)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

/* AES-XCBC-MAC (RFC 3566 §4) with a 128-bit output, key 16 octets. */
static int xcbc(const uint8_t key[16], const struct part *v, size_t nv,
		uint8_t out[16])
{
	static const uint8_t c1[16] = { 1, 1, 1, 1, 1, 1, 1, 1,
					1, 1, 1, 1, 1, 1, 1, 1 };
	uint8_t k[3][16], e[16] = { 0 }, blk[16], *msg = NULL;
	size_t len = 0, off = 0;
	int rc;

	for (size_t i = 0; i < nv; i++)
		len += v[i].n;
	msg = malloc(len + 1);
	if (msg == NULL)
		return -TW_PROTO_E_NOMEM;
	for (size_t i = 0; i < nv; i++) {
		if (v[i].n > 0)
			memcpy(msg + off, v[i].p, v[i].n);
		off += v[i].n;
	}
	/* K1, K2, K3 = E(K, 0x01..), E(K, 0x02..), E(K, 0x03..) */
	for (int j = 0; j < 3; j++) {
		for (int b = 0; b < 16; b++)
			blk[b] = (uint8_t)(c1[b] * (j + 1));
		rc = tw_aes128(EVP_aes_128_ecb(), 1, key, NULL, blk, k[j], 16);
		if (rc != 0)
			goto out;
	}
	for (off = 0; len - off > 16; off += 16) {
		for (int b = 0; b < 16; b++)
			blk[b] = msg[off + (size_t)b] ^ e[b];
		rc = tw_aes128(EVP_aes_128_ecb(), 1, k[0], NULL, blk, e, 16);
		if (rc != 0)
			goto out;
	}
	/* Last block: complete -> XOR K2; partial or empty -> 10* pad, K3. */
	memset(blk, 0, sizeof(blk));
	memcpy(blk, msg + off, len - off);
	if (len - off == 16) {
		for (int b = 0; b < 16; b++)
			blk[b] ^= e[b] ^ k[1][b];
	} else {
		blk[len - off] = 0x80;
		for (int b = 0; b < 16; b++)
			blk[b] ^= e[b] ^ k[2][b];
	}
	rc = tw_aes128(EVP_aes_128_ecb(), 1, k[0], NULL, blk, out, 16);
out:
	tw_crypto_wipe(k, sizeof(k));
	tw_crypto_wipe(e, sizeof(e));
	tw_crypto_wipe(blk, sizeof(blk));
	if (msg != NULL)
		tw_crypto_wipe(msg, len);
	free(msg);
	return rc;
}

typedef int (*aes_mac_fn)(const uint8_t key[16], const struct part *v,
			  size_t nv, uint8_t out[16]);

/*
 * RFC 4434 §2 (XCBC-PRF) / RFC 4615 §3 (CMAC-PRF): a 16-octet key is used
 * as is; CMAC derives any other length with MAC(0^128, key); XCBC pads a
 * shorter key with zeros and derives a longer one the same way.
 */
static int prf_aes(bool is_xcbc, const uint8_t *key, size_t key_len,
		   const struct part *v, size_t nv, uint8_t out[16])
{
	static const uint8_t zero[16];
	aes_mac_fn fn = is_xcbc ? xcbc : cmac;
	uint8_t k[16];
	int rc = 0;

	if (key_len == 16) {
		memcpy(k, key, 16);
	} else if (is_xcbc && key_len < 16) {
		memset(k, 0, sizeof(k));
		if (key_len > 0)
			memcpy(k, key, key_len);
	} else {
		struct part kp = { key, key_len };

		rc = fn(zero, &kp, 1, k);
	}
	if (rc == 0)
		rc = fn(k, v, nv, out);
	tw_crypto_wipe(k, sizeof(k));
	return rc;
}

static int prf_v(enum tw_crypto_prf prf, const uint8_t *key, size_t key_len,
		 const struct part *v, size_t nv, uint8_t *out)
{
	const EVP_MD *md = prf_md(prf);
	int olen = tw_crypto_prf_len(prf);
	int rc;

	if (olen < 0 || out == NULL || (key == NULL && key_len > 0))
		return -TW_PROTO_E_INVAL;
	for (size_t i = 0; i < nv; i++)
		if (v[i].p == NULL && v[i].n > 0)
			return -TW_PROTO_E_INVAL;
	if (md != NULL)
		rc = prf_hmac(md, key, key_len, v, nv, out);
	else
		rc = prf_aes(prf == TW_CRYPTO_PRF_AES128_XCBC, key, key_len, v,
			     nv, out);
	return rc == 0 ? olen : rc;
}

int tw_crypto_prf(enum tw_crypto_prf prf, const uint8_t *key, size_t key_len,
		  const uint8_t *data, size_t data_len, uint8_t *out)
{
	struct part v = { data, data_len };

	return prf_v(prf, key, key_len, &v, 1, out);
}

/* RFC 7296 §2.13: prf+ over the concatenation of the seed parts. */
static int prf_plus_v(enum tw_crypto_prf prf, const uint8_t *key,
		      size_t key_len, const struct part *seed, size_t ns,
		      uint8_t *out, size_t out_len)
{
	uint8_t t[TW_CRYPTO_PRF_MAX], cnt;
	struct part v[PARTS_MAX + 2];
	int plen = tw_crypto_prf_len(prf);
	size_t off = 0;
	int rc = 0;

	if (plen < 0 || out == NULL || ns > PARTS_MAX)
		return -TW_PROTO_E_INVAL;
	if (out_len > 255u * (size_t)plen)
		return -TW_PROTO_E_RANGE;
	for (unsigned n = 1; off < out_len; n++) {
		size_t k = 0, take;

		if (n > 1)
			v[k++] = (struct part){ t, (size_t)plen };
		for (size_t i = 0; i < ns; i++)
			v[k++] = seed[i];
		cnt = (uint8_t)n;
		v[k++] = (struct part){ &cnt, 1 };
		rc = prf_v(prf, key, key_len, v, k, t);
		if (rc < 0)
			break;
		rc = 0;
		take = out_len - off < (size_t)plen ? out_len - off
						     : (size_t)plen;
		memcpy(out + off, t, take);
		off += take;
	}
	tw_crypto_wipe(t, sizeof(t));
	if (rc != 0)
		tw_crypto_wipe(out, out_len);
	return rc;
}

int tw_crypto_prf_plus(enum tw_crypto_prf prf, const uint8_t *key,
		       size_t key_len, const uint8_t *seed, size_t seed_len,
		       uint8_t *out, size_t out_len)
{
	struct part v = { seed, seed_len };

	if (seed == NULL && seed_len > 0)
		return -TW_PROTO_E_INVAL;
	return prf_plus_v(prf, key, key_len, &v, 1, out, out_len);
}

static bool prf_is_aes(enum tw_crypto_prf prf)
{
	return prf == TW_CRYPTO_PRF_AES128_XCBC ||
	       prf == TW_CRYPTO_PRF_AES128_CMAC;
}

/* RFC 7296 §2.14: SKEYSEED = prf(Ni | Nr, g^ir). */
int tw_crypto_ike_skeyseed(enum tw_crypto_prf prf, const uint8_t *ni,
			   size_t ni_len, const uint8_t *nr, size_t nr_len,
			   const uint8_t *gir, size_t gir_len, uint8_t *out)
{
	uint8_t key[512];
	struct part v = { gir, gir_len };
	size_t kl;
	int rc;

	if (ni == NULL || nr == NULL || gir == NULL || ni_len > 256 ||
	    nr_len > 256)
		return -TW_PROTO_E_INVAL;
	if (prf_is_aes(prf)) {
		/* Only the first 64 bits of each nonce key the AES PRFs. */
		if (ni_len < 8 || nr_len < 8)
			return -TW_PROTO_E_INVAL;
		ni_len = 8;
		nr_len = 8;
	}
	memcpy(key, ni, ni_len);
	memcpy(key + ni_len, nr, nr_len);
	kl = ni_len + nr_len;
	rc = prf_v(prf, key, kl, &v, 1, out);
	tw_crypto_wipe(key, kl);
	return rc;
}

/* RFC 7296 §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr). */
int tw_crypto_ike_rekey_skeyseed(enum tw_crypto_prf prf, const uint8_t *sk_d,
				 size_t sk_d_len, const uint8_t *gir,
				 size_t gir_len, const uint8_t *ni,
				 size_t ni_len, const uint8_t *nr,
				 size_t nr_len, uint8_t *out)
{
	struct part v[3] = { { gir, gir_len }, { ni, ni_len }, { nr, nr_len } };

	if (sk_d == NULL || gir == NULL || ni == NULL || nr == NULL)
		return -TW_PROTO_E_INVAL;
	return prf_v(prf, sk_d, sk_d_len, v, 3, out);
}

/*
 * RFC 7296 §2.14:
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *                                = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
 */
int tw_crypto_ike_keys_derive(enum tw_crypto_prf prf, const uint8_t *skeyseed,
			      size_t skeyseed_len, const uint8_t *ni,
			      size_t ni_len, const uint8_t *nr, size_t nr_len,
			      const uint8_t spi_i[8], const uint8_t spi_r[8],
			      size_t integ_len, size_t encr_len,
			      struct tw_crypto_ike_keys *out)
{
	struct part v[4] = {
		{ ni, ni_len }, { nr, nr_len }, { spi_i, 8 }, { spi_r, 8 }
	};
	uint8_t dkm[7 * TW_CRYPTO_IKE_KEY_MAX], *p = dkm;
	int plen = tw_crypto_prf_len(prf);
	size_t pl, total;
	int rc;

	if (plen < 0 || skeyseed == NULL || ni == NULL || nr == NULL ||
	    spi_i == NULL || spi_r == NULL || out == NULL || ni_len > 256 ||
	    nr_len > 256 || integ_len > TW_CRYPTO_IKE_KEY_MAX ||
	    encr_len > TW_CRYPTO_IKE_KEY_MAX)
		return -TW_PROTO_E_INVAL;
	pl = (size_t)plen;
	total = 3 * pl + 2 * integ_len + 2 * encr_len;
	rc = prf_plus_v(prf, skeyseed, skeyseed_len, v, 4, dkm, total);
	if (rc != 0)
		return rc;
	memset(out, 0, sizeof(*out));
	out->prf_len = pl;
	out->integ_len = integ_len;
	out->encr_len = encr_len;
	memcpy(out->sk_d, p, pl), p += pl;
	memcpy(out->sk_ai, p, integ_len), p += integ_len;
	memcpy(out->sk_ar, p, integ_len), p += integ_len;
	memcpy(out->sk_ei, p, encr_len), p += encr_len;
	memcpy(out->sk_er, p, encr_len), p += encr_len;
	memcpy(out->sk_pi, p, pl), p += pl;
	memcpy(out->sk_pr, p, pl);
	tw_crypto_wipe(dkm, sizeof(dkm));
	return 0;
}

void tw_crypto_ike_keys_wipe(struct tw_crypto_ike_keys *k)
{
	tw_crypto_wipe(k, sizeof(*k));
}

/* RFC 7296 §2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr). */
int tw_crypto_ike_child_keymat(enum tw_crypto_prf prf, const uint8_t *sk_d,
			       size_t sk_d_len, const uint8_t *gir,
			       size_t gir_len, const uint8_t *ni,
			       size_t ni_len, const uint8_t *nr, size_t nr_len,
			       uint8_t *out, size_t out_len)
{
	struct part v[3] = {
		{ gir, gir != NULL ? gir_len : 0 }, { ni, ni_len }, { nr, nr_len }
	};

	if (sk_d == NULL || ni == NULL || nr == NULL)
		return -TW_PROTO_E_INVAL;
	return prf_plus_v(prf, sk_d, sk_d_len, v, 3, out, out_len);
}

/* RFC 7717 §5.1: Shared secret key = prf( SK_d, "IPPM" ). */
int tw_crypto_rfc7717_secret(enum tw_crypto_prf prf, const uint8_t *sk_d,
			     size_t sk_d_len, uint8_t *out)
{
	static const uint8_t ippm[4] = { 'I', 'P', 'P', 'M' };

	if (sk_d == NULL)
		return -TW_PROTO_E_INVAL;
	return tw_crypto_prf(prf, sk_d, sk_d_len, ippm, sizeof(ippm), out);
}

int tw_crypto_rfc7717_token_key(enum tw_crypto_token_key_mode mode,
				const uint8_t *secret, size_t secret_len,
				const uint8_t salt[TW_CRYPTO_BLOCK],
				uint32_t count, uint32_t cap,
				uint8_t key[TW_CRYPTO_AES_KEY])
{
	if (secret == NULL || key == NULL)
		return -TW_PROTO_E_INVAL;
	switch (mode) {
	case TW_CRYPTO_TOKEN_KEY_PBKDF2:
		return tw_crypto_token_key(secret, secret_len, salt, count, cap,
					   key);
	case TW_CRYPTO_TOKEN_KEY_DIRECT:
		if (secret_len < TW_CRYPTO_AES_KEY)
			return -TW_PROTO_E_INVAL;
		memcpy(key, secret, TW_CRYPTO_AES_KEY);
		return 0;
	}
	return -TW_PROTO_E_INVAL;
}

/* ------------------------------------------------------------------ */
/* The seed draft's derivations (docs/protocol.md, reconstruction)     */
/* ------------------------------------------------------------------ */

/* IKEv2 transform IDs (IANA, RFC 7296 §3.3.2) that Alternative 2 reads. */
enum {
	ENCR_AES_CBC = 12,
	ENCR_AES_CTR = 13,
	AUTH_HMAC_SHA1_96 = 2,
	AUTH_AES_XCBC_96 = 5,
	AUTH_HMAC_SHA2_256_128 = 12,
};

/* Seed draft §4.2.1: AES Session-key = PRF(root, "O/TWAMP enc") and HMAC
 * Session-key = PRF(root, "O/TWAMP auth"), through prf+ (RFC 7296 §2.13). */
int tw_crypto_draft_alt1_keys(enum tw_crypto_prf prf, const uint8_t *root,
			      size_t root_len, struct tw_crypto_session_keys *out)
{
	static const char enc[] = "O/TWAMP enc", auth[] = "O/TWAMP auth";
	struct tw_crypto_session_keys k;
	int rc;

	if (root == NULL || root_len == 0 || out == NULL)
		return -TW_PROTO_E_INVAL;
	rc = tw_crypto_prf_plus(prf, root, root_len, (const uint8_t *)enc,
				sizeof(enc) - 1, k.aes, sizeof(k.aes));
	if (rc == 0)
		rc = tw_crypto_prf_plus(prf, root, root_len, (const uint8_t *)auth,
					sizeof(auth) - 1, k.hmac, sizeof(k.hmac));
	if (rc == 0)
		*out = k;
	tw_crypto_wipe(&k, sizeof(k));
	return rc;
}

/* Seed draft §4.2.1: Token = Enc_root(Challenge), AES-128-ECB with the
 * first 16 octets of the root key. */
int tw_crypto_draft_alt1_token(const uint8_t *root, size_t root_len,
			       const uint8_t challenge[TW_CRYPTO_BLOCK],
			       uint8_t token[TW_CRYPTO_BLOCK])
{
	if (root == NULL || root_len < TW_CRYPTO_AES_KEY || challenge == NULL ||
	    token == NULL)
		return -TW_PROTO_E_INVAL;
	return tw_aes128(EVP_aes_128_ecb(), 1, root, NULL, challenge, token,
			 TW_CRYPTO_BLOCK) == 0 ? 0 : -TW_PROTO_E_CRYPTO;
}

int tw_crypto_draft_alt1_token_check(const uint8_t *root, size_t root_len,
				     const uint8_t challenge[TW_CRYPTO_BLOCK],
				     const uint8_t token[TW_CRYPTO_BLOCK])
{
	uint8_t want[TW_CRYPTO_BLOCK];
	int rc;

	if (token == NULL)
		return -TW_PROTO_E_INVAL;
	rc = tw_crypto_draft_alt1_token(root, root_len, challenge, want);
	if (rc == 0 && !tw_crypto_memeq(want, token, sizeof(want)))
		rc = -TW_PROTO_E_TOKEN;
	tw_crypto_wipe(want, sizeof(want));
	return rc;
}

/* Seed draft §4.1 "PRF{SKEYSEED, Session ID}", read as the test session's
 * keys: TestAESKey | TestHMACKey = prf+(secret, SID) (RFC 7296 §2.13). */
int tw_crypto_draft_sid_keys(enum tw_crypto_prf prf, const uint8_t *secret,
			     size_t secret_len, const uint8_t sid[16],
			     struct tw_crypto_session_keys *test)
{
	uint8_t k[TW_CRYPTO_AES_KEY + TW_CRYPTO_HMAC_KEY];
	int rc;

	if (secret == NULL || secret_len == 0 || sid == NULL || test == NULL)
		return -TW_PROTO_E_INVAL;
	rc = tw_crypto_prf_plus(prf, secret, secret_len, sid, 16, k, sizeof(k));
	if (rc == 0) {
		memcpy(test->aes, k, TW_CRYPTO_AES_KEY);
		memcpy(test->hmac, k + TW_CRYPTO_AES_KEY, TW_CRYPTO_HMAC_KEY);
	}
	tw_crypto_wipe(k, sizeof(k));
	return rc;
}

/* Seed draft §4.2.2: the control session keys are the Child SA's own
 * (docs/protocol.md: AES-128 key, HMAC key zero-extended to 32 octets). */
int tw_crypto_draft_alt2_keys(uint16_t encr, const uint8_t *encr_key,
			      size_t encr_key_len, uint16_t integ,
			      const uint8_t *integ_key, size_t integ_key_len,
			      struct tw_crypto_session_keys *out)
{
	if (encr_key == NULL || integ_key == NULL || out == NULL)
		return -TW_PROTO_E_INVAL;
	/* AES-CBC-128 (16 octets) or AES-CTR-128 (16 + 4 nonce, RFC 5930) */
	if (!((encr == ENCR_AES_CBC && encr_key_len == 16) ||
	      (encr == ENCR_AES_CTR && encr_key_len == 20)))
		return -TW_PROTO_E_RANGE;
	/* an integrity key of at most 32 octets: AEAD SAs have none */
	if (!((integ == AUTH_HMAC_SHA1_96 && integ_key_len == 20) ||
	      (integ == AUTH_AES_XCBC_96 && integ_key_len == 16) ||
	      (integ == AUTH_HMAC_SHA2_256_128 && integ_key_len == 32)))
		return -TW_PROTO_E_RANGE;
	memset(out, 0, sizeof(*out));
	memcpy(out->aes, encr_key, TW_CRYPTO_AES_KEY);
	memcpy(out->hmac, integ_key, integ_key_len);
	return 0;
}
