/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP/OWAMP-Test packet protection (RFC 4656 §4.1.2, RFC 5357 §4.1.2,
 * §4.2.1 with erratum 5045), three implementations of the same octets:
 * inline AES-NI + SHA-NI (crypto_native.c, the fastest here),
 * intel-ipsec-mb's job API and OpenSSL EVP (the reference).
 *
 * In authenticated mode the first block is AES-ECB; in encrypted mode the
 * first 32 (sender) or 96 (reflector) octets are AES-CBC with IV 0. One
 * block of CBC with IV 0 is ECB, so both modes run as "CBC, IV 0, over the
 * covered length" and share one code path. The HMAC-SHA1/128 covers the
 * plaintext of the same octets and is never encrypted.
 */

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <openssl/evp.h>

#include "crypto_native.h"
#include "crypto_priv.h"
#include "tw_crypto.h"

#define COVER_MAX 96u
#define SHA1_BLOCK 64u
/* intel-ipsec-mb 1.3 emits HMAC-SHA1 tags of 12 or 20 octets only. */
#define IMB_TAG_LEN 20u

static const alignas(16) uint8_t zero_iv[16];

struct tw_crypto_engine {
	enum tw_crypto_impl impl;
	IMB_MGR *mgr;     /* bursts: the widest multi-buffer code (AVX-512) */
	IMB_MGR *single;  /* one packet: SHA-NI code when the CPU has it */
	EVP_MD_CTX *work;
	/* Per-burst scratch: ciphertext copies being verified and tags. */
	alignas(64) uint8_t scratch[TW_CRYPTO_BURST_MAX][COVER_MAX];
	alignas(16) uint8_t tag[TW_CRYPTO_BURST_MAX][IMB_TAG_LEN];
};

struct tw_crypto_test {
	/* intel-ipsec-mb: expanded AES-128 keys and SHA1 ipad/opad states */
	alignas(64) uint8_t enc_keys[16 * 15];
	alignas(16) uint8_t dec_keys[16 * 15];
	alignas(16) uint8_t ipad[SHA1_BLOCK];
	alignas(16) uint8_t opad[SHA1_BLOCK];
	enum tw_crypto_impl impl;
	enum tw_crypto_test_mode mode;
	/* native: AES-NI round keys and SHA1 ipad/opad states */
	struct tw_native_key native;
	/* OpenSSL: keyed contexts, the IV reset per packet */
	EVP_CIPHER_CTX *enc, *dec;
	struct tw_hmac_pre hmac;
};

struct tw_crypto_engine *tw_crypto_engine_create(enum tw_crypto_impl impl)
{
	struct tw_crypto_engine *e;

	if (impl == TW_CRYPTO_IMPL_BEST)
		impl = tw_native_supported() ? TW_CRYPTO_IMPL_NATIVE
					     : TW_CRYPTO_IMPL_IMB;
	if (impl != TW_CRYPTO_IMPL_IMB && impl != TW_CRYPTO_IMPL_OPENSSL &&
	    impl != TW_CRYPTO_IMPL_NATIVE)
		return NULL;
	if (impl == TW_CRYPTO_IMPL_NATIVE && !tw_native_supported())
		return NULL;
	e = aligned_alloc(64, (sizeof(*e) + 63) & ~(size_t)63);
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->impl = impl;
	if (impl == TW_CRYPTO_IMPL_IMB) {
		IMB_ARCH arch = IMB_ARCH_NONE;

		e->mgr = alloc_mb_mgr(0);
		e->single = alloc_mb_mgr(0);
		if (e->mgr == NULL || e->single == NULL)
			goto fail;
		init_mb_mgr_auto(e->mgr, &arch);
		if (arch == IMB_ARCH_NONE || imb_get_errno(e->mgr) != 0)
			goto fail;
		/*
		 * Flushing one job through 16-lane AVX-512 SHA1 costs a whole
		 * 16-lane pass; the SSE manager's SHA-NI code does one packet
		 * at about half the cost (docs/performance.md).
		 */
		if (imb_get_feature_flags() & IMB_FEATURE_SHANI)
			init_mb_mgr_sse(e->single);
		else
			init_mb_mgr_auto(e->single, &arch);
		if (imb_get_errno(e->single) != 0)
			goto fail;
	} else if (impl == TW_CRYPTO_IMPL_OPENSSL) {
		e->work = EVP_MD_CTX_new();
		if (e->work == NULL)
			goto fail;
	}
	return e;
fail:
	tw_crypto_engine_destroy(e);
	return NULL;
}

void tw_crypto_engine_destroy(struct tw_crypto_engine *e)
{
	if (e == NULL)
		return;
	if (e->mgr != NULL)
		free_mb_mgr(e->mgr);
	if (e->single != NULL)
		free_mb_mgr(e->single);
	EVP_MD_CTX_free(e->work);
	tw_crypto_wipe(e, sizeof(*e));
	free(e);
}

enum tw_crypto_impl tw_crypto_engine_impl(const struct tw_crypto_engine *e)
{
	return e->impl;
}

/*
 * RFC 5357 §4.1.2 (RFC 4656 §4.1.2):
 *   TestAESKey  = AES-128-ECB(key SID, AES Session-key)
 *   TestHMACKey = AES-128-CBC(key SID, IV 0, HMAC Session-key), 2 blocks
 */
int tw_crypto_test_keys(const struct tw_crypto_session_keys *ctrl,
			const uint8_t sid[16],
			struct tw_crypto_session_keys *test)
{
	int rc;

	if (ctrl == NULL || sid == NULL || test == NULL)
		return -TW_PROTO_E_INVAL;
	rc = tw_aes128(EVP_aes_128_ecb(), 1, sid, NULL, ctrl->aes, test->aes,
		       sizeof(test->aes));
	if (rc == 0)
		rc = tw_aes128(EVP_aes_128_cbc(), 1, sid, NULL, ctrl->hmac,
			       test->hmac, sizeof(test->hmac));
	if (rc != 0)
		tw_crypto_wipe(test, sizeof(*test));
	return rc;
}

static int test_init_imb(struct tw_crypto_engine *e, struct tw_crypto_test *t,
			 const struct tw_crypto_session_keys *k)
{
	alignas(16) uint8_t pad[SHA1_BLOCK];

	IMB_AES_KEYEXP_128(e->mgr, k->aes, t->enc_keys, t->dec_keys);
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < sizeof(k->hmac); i++)
		pad[i] ^= k->hmac[i];
	IMB_SHA1_ONE_BLOCK(e->mgr, pad, t->ipad);
	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < sizeof(k->hmac); i++)
		pad[i] ^= k->hmac[i];
	IMB_SHA1_ONE_BLOCK(e->mgr, pad, t->opad);
	tw_crypto_wipe(pad, sizeof(pad));
	return imb_get_errno(e->mgr) == 0 ? 0 : -TW_PROTO_E_CRYPTO;
}

static int test_init_ossl(struct tw_crypto_test *t,
			  const struct tw_crypto_session_keys *k)
{
	t->enc = EVP_CIPHER_CTX_new();
	t->dec = EVP_CIPHER_CTX_new();
	if (t->enc == NULL || t->dec == NULL)
		return -TW_PROTO_E_NOMEM;
	if (EVP_CipherInit_ex(t->enc, EVP_aes_128_cbc(), NULL, k->aes,
			      zero_iv, 1) != 1 ||
	    EVP_CIPHER_CTX_set_padding(t->enc, 0) != 1 ||
	    EVP_CipherInit_ex(t->dec, EVP_aes_128_cbc(), NULL, k->aes,
			      zero_iv, 0) != 1 ||
	    EVP_CIPHER_CTX_set_padding(t->dec, 0) != 1)
		return -TW_PROTO_E_CRYPTO;
	return tw_hmac_pre_init(&t->hmac, EVP_sha1(), k->hmac,
				sizeof(k->hmac));
}

struct tw_crypto_test *
tw_crypto_test_create(struct tw_crypto_engine *e,
		      enum tw_crypto_test_mode mode,
		      const struct tw_crypto_session_keys *test)
{
	struct tw_crypto_test *t;
	int rc;

	if (e == NULL || test == NULL ||
	    (mode != TW_CRYPTO_TEST_AUTH && mode != TW_CRYPTO_TEST_ENC))
		return NULL;
	t = aligned_alloc(64, (sizeof(*t) + 63) & ~(size_t)63);
	if (t == NULL)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->impl = e->impl;
	t->mode = mode;
	if (e->impl == TW_CRYPTO_IMPL_IMB) {
		rc = test_init_imb(e, t, test);
	} else if (e->impl == TW_CRYPTO_IMPL_NATIVE) {
		tw_native_key_init(&t->native, test->aes, test->hmac);
		rc = 0;
	} else {
		rc = test_init_ossl(t, test);
	}
	if (rc != 0) {
		tw_crypto_test_destroy(t);
		return NULL;
	}
	return t;
}

void tw_crypto_test_destroy(struct tw_crypto_test *t)
{
	if (t == NULL)
		return;
	EVP_CIPHER_CTX_free(t->enc);
	EVP_CIPHER_CTX_free(t->dec);
	tw_hmac_pre_free(&t->hmac);
	tw_crypto_wipe(t, sizeof(*t));
	free(t);
}

/*
 * RFC 4656 §4.1.2: Session-Sender packet, authenticated/encrypted modes
 *   0 Sequence Number(4) | 4 MBZ(12) | 16 Timestamp(8) | 24 Error Estimate(2)
 *  26 MBZ(6) | 32 HMAC(16) | 48 Packet Padding
 * RFC 5357 §4.2.1 + erratum 5045: Session-Reflector packet
 *   0 Sequence Number(4) | 4 MBZ(12) | 16 Timestamp(8) | 24 Error Estimate(2)
 *  26 MBZ(6) | 32 Receive Timestamp(8) | 40 MBZ(8) | 48 Sender Seq(4)
 *  52 MBZ(12) | 64 Sender Timestamp(8) | 72 Sender Error Estimate(2)
 *  74 MBZ(6) | 80 Sender TTL(1) | 81 MBZ(15) | 96 HMAC(16) | 112 Padding
 * Covered (encrypted and HMAC'd): 16 octets in auth mode; 32 (sender) or
 * 96 (reflector) in enc mode. Covered length and HMAC offset; 0 when the
 * packet is too short.
 */
static size_t layout(const struct tw_crypto_test *t, enum tw_crypto_pkt kind,
		     size_t len, size_t *hoff)
{
	bool refl = kind == TW_CRYPTO_PKT_REFLECTOR;

	*hoff = refl ? TW_CRYPTO_REFLECTOR_HMAC_OFF : TW_CRYPTO_SENDER_HMAC_OFF;
	if (len < *hoff + TW_CRYPTO_HMAC_LEN)
		return 0;
	if (t->mode == TW_CRYPTO_TEST_AUTH)
		return 16;
	return refl ? 96 : 32;
}

static int check_args(const struct tw_crypto_engine *e,
		      const struct tw_crypto_test *t, enum tw_crypto_pkt kind,
		      const uint8_t *pkt)
{
	if (e == NULL || t == NULL || pkt == NULL || t->impl != e->impl ||
	    (kind != TW_CRYPTO_PKT_SENDER && kind != TW_CRYPTO_PKT_REFLECTOR))
		return -TW_PROTO_E_INVAL;
	return 0;
}

/* ---- OpenSSL reference ---- */

static int ossl_cbc(EVP_CIPHER_CTX *c, uint8_t *buf, size_t len)
{
	int n = 0;

	/* Same key, new IV 0: no key schedule per packet. */
	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, zero_iv, -1) != 1 ||
	    EVP_CipherUpdate(c, buf, &n, buf, (int)len) != 1 ||
	    (size_t)n != len)
		return -TW_PROTO_E_CRYPTO;
	return 0;
}

static int ossl_protect(struct tw_crypto_engine *e,
			const struct tw_crypto_test *t, uint8_t *pkt,
			size_t cover, size_t hoff)
{
	uint8_t mac[EVP_MAX_MD_SIZE];

	if (tw_hmac_pre_mac2(&t->hmac, e->work, pkt, cover, NULL, 0, mac) != 0)
		return -TW_PROTO_E_CRYPTO;
	memcpy(pkt + hoff, mac, TW_CRYPTO_HMAC_LEN);
	return ossl_cbc(t->enc, pkt, cover);
}

static int ossl_verify(struct tw_crypto_engine *e,
		       const struct tw_crypto_test *t, uint8_t *pkt,
		       size_t cover, size_t hoff)
{
	uint8_t *plain = e->scratch[0];
	uint8_t mac[EVP_MAX_MD_SIZE];
	int rc;

	memcpy(plain, pkt, cover);
	rc = ossl_cbc(t->dec, plain, cover);
	if (rc == 0)
		rc = tw_hmac_pre_mac2(&t->hmac, e->work, plain, cover, NULL, 0,
				      mac);
	if (rc == 0 && !tw_crypto_memeq(mac, pkt + hoff, TW_CRYPTO_HMAC_LEN))
		rc = -TW_PROTO_E_HMAC;
	if (rc == 0)
		memcpy(pkt, plain, cover);
	tw_crypto_wipe(plain, cover);
	return rc;
}

/* ---- intel-ipsec-mb job API ---- */

/*
 * Fill a job: protect = HMAC over the plaintext then CBC-encrypt in place
 * (HASH_CIPHER); verify = CBC-decrypt the scratch copy then HMAC it
 * (CIPHER_HASH), tag into the engine's tag slot.
 */
static void imb_fill(IMB_JOB *job, const struct tw_crypto_test *t, bool enc,
		     uint8_t *buf, size_t cover, uint8_t *tag, void *user)
{
	job->enc_keys = t->enc_keys;
	job->dec_keys = t->dec_keys;
	job->key_len_in_bytes = IMB_KEY_128_BYTES;
	job->src = buf;
	job->dst = buf;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = cover;
	job->iv = zero_iv;
	job->iv_len_in_bytes = 16;
	job->cipher_mode = IMB_CIPHER_CBC;
	job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = enc ? IMB_ORDER_HASH_CIPHER : IMB_ORDER_CIPHER_HASH;
	job->hash_alg = IMB_AUTH_HMAC_SHA_1;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = cover;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = IMB_TAG_LEN;
	job->u.HMAC._hashed_auth_key_xor_ipad = t->ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = t->opad;
	job->user_data = user;
}

/* What a completed job means for its packet. */
static int imb_done(struct tw_crypto_engine *e, const IMB_JOB *job,
		    uint8_t *const pkts[], const uint16_t lens[],
		    const struct tw_crypto_test *const t[],
		    enum tw_crypto_pkt kind, bool enc, int results[])
{
	size_t i = (size_t)(uintptr_t)job->user_data, hoff, cover;
	int rc = 0;

	if (job->status != IMB_STATUS_COMPLETED)
		rc = -TW_PROTO_E_CRYPTO;
	cover = layout(t[i], kind, lens[i], &hoff);
	if (enc) {
		memcpy(pkts[i] + hoff, e->tag[i], TW_CRYPTO_HMAC_LEN);
	} else {
		if (rc == 0 && !tw_crypto_memeq(e->tag[i], pkts[i] + hoff,
						TW_CRYPTO_HMAC_LEN))
			rc = -TW_PROTO_E_HMAC;
		if (rc == 0)
			memcpy(pkts[i], e->scratch[i], cover);
		tw_crypto_wipe(e->scratch[i], cover);
	}
	results[i] = rc;
	return rc == 0;
}

static int imb_burst(struct tw_crypto_engine *e,
		     const struct tw_crypto_test *const t[],
		     enum tw_crypto_pkt kind, uint8_t *const pkts[],
		     const uint16_t lens[], unsigned n, int results[],
		     bool enc)
{
	IMB_MGR *m = n == 1 ? e->single : e->mgr;
	IMB_JOB *job;
	int good = 0;

	for (unsigned i = 0; i < n; i++) {
		size_t hoff, cover;
		int rc = check_args(e, t[i], kind, pkts[i]);

		results[i] = rc;
		if (rc != 0)
			continue;
		cover = layout(t[i], kind, lens[i], &hoff);
		if (cover == 0) {
			results[i] = -TW_PROTO_E_TRUNCATED;
			continue;
		}
		job = IMB_GET_NEXT_JOB(m);
		if (enc) {
			imb_fill(job, t[i], true, pkts[i], cover, e->tag[i],
				 (void *)(uintptr_t)i);
		} else {
			memcpy(e->scratch[i], pkts[i], cover);
			imb_fill(job, t[i], false, e->scratch[i], cover,
				 e->tag[i], (void *)(uintptr_t)i);
		}
		job = IMB_SUBMIT_JOB(m);
		while (job != NULL) {
			good += imb_done(e, job, pkts, lens, t, kind, enc,
					 results);
			job = IMB_GET_COMPLETED_JOB(m);
		}
	}
	while ((job = IMB_FLUSH_JOB(m)) != NULL)
		good += imb_done(e, job, pkts, lens, t, kind, enc, results);
	return good;
}

/* ---- public entry points ---- */

static int one(struct tw_crypto_engine *e, const struct tw_crypto_test *t,
	       enum tw_crypto_pkt kind, uint8_t *pkt, size_t len, bool enc)
{
	size_t hoff, cover;
	int rc = check_args(e, t, kind, pkt);

	if (rc != 0)
		return rc;
	cover = layout(t, kind, len, &hoff);
	if (cover == 0)
		return -TW_PROTO_E_TRUNCATED;
	if (e->impl == TW_CRYPTO_IMPL_IMB) {
		uint16_t l = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len);

		imb_burst(e, &t, kind, &pkt, &l, 1, &rc, enc);
		return rc;
	}
	if (e->impl == TW_CRYPTO_IMPL_NATIVE) {
		if (!enc)
			return tw_native_verify(&t->native, pkt, cover, hoff);
		tw_native_protect(&t->native, pkt, cover, hoff);
		return 0;
	}
	return enc ? ossl_protect(e, t, pkt, cover, hoff)
		   : ossl_verify(e, t, pkt, cover, hoff);
}

int tw_crypto_test_protect(struct tw_crypto_engine *e,
			   const struct tw_crypto_test *t,
			   enum tw_crypto_pkt kind, uint8_t *pkt, size_t len)
{
	return one(e, t, kind, pkt, len, true);
}

int tw_crypto_test_verify(struct tw_crypto_engine *e,
			  const struct tw_crypto_test *t,
			  enum tw_crypto_pkt kind, uint8_t *pkt, size_t len)
{
	return one(e, t, kind, pkt, len, false);
}

/* How many packets from i on (up to max) share one layout; 0 if i is bad. */
static unsigned same_layout(struct tw_crypto_engine *e,
			    const struct tw_crypto_test *const t[],
			    enum tw_crypto_pkt kind, uint8_t *const pkts[],
			    const uint16_t lens[], unsigned i, unsigned n,
			    unsigned max, size_t *cover, size_t *hoff)
{
	unsigned k;

	if (check_args(e, t[i], kind, pkts[i]) != 0)
		return 0;
	*cover = layout(t[i], kind, lens[i], hoff);
	if (*cover == 0)
		return 0;
	for (k = 1; k < max && i + k < n; k++) {
		size_t h, c;

		if (check_args(e, t[i + k], kind, pkts[i + k]) != 0)
			break;
		c = layout(t[i + k], kind, lens[i + k], &h);
		if (c != *cover)
			break;
	}
	return k;
}

/*
 * Packets of the same layout go through the interleaved code four (or two)
 * at a time: SHA-NI and AES-NI are latency-bound, one packet leaves most
 * of the execution units idle. The 96-octet enc-mode replies take four
 * lanes too, now that the HMAC keeps its blocks in registers.
 */
static int native_burst(struct tw_crypto_engine *e,
			const struct tw_crypto_test *const t[],
			enum tw_crypto_pkt kind, uint8_t *const pkts[],
			const uint16_t lens[], unsigned n, int results[],
			bool enc)
{
	unsigned i = 0;
	int good = 0;

	while (i < n) {
		size_t cover = 0, hoff = 0;
		unsigned k = same_layout(e, t, kind, pkts, lens, i, n, 4,
					 &cover, &hoff);
		const struct tw_native_key *key[4];

		if (k == 3)
			k = 2;
		if (k < 2) {
			results[i] = one(e, t[i], kind, pkts[i], lens[i], enc);
			good += results[i] == 0;
			i++;
			continue;
		}
		for (unsigned j = 0; j < k; j++)
			key[j] = &t[i + j]->native;
		if (enc) {
			if (k == 4)
				tw_native_protect_x4(key, pkts + i, cover,
						     hoff);
			else
				tw_native_protect_x2(key, pkts + i, cover,
						     hoff);
			for (unsigned j = 0; j < k; j++)
				results[i + j] = 0;
		} else if (k == 4) {
			tw_native_verify_x4(key, pkts + i, cover, hoff,
					    results + i);
		} else {
			tw_native_verify_x2(key, pkts + i, cover, hoff,
					    results + i);
		}
		for (unsigned j = 0; j < k; j++)
			good += results[i + j] == 0;
		i += k;
	}
	return good;
}

static int burst(struct tw_crypto_engine *e,
		 const struct tw_crypto_test *const t[], enum tw_crypto_pkt kind,
		 uint8_t *const pkts[], const uint16_t lens[], unsigned n,
		 int results[], bool enc)
{
	int good = 0;

	if (e == NULL || t == NULL || pkts == NULL || lens == NULL ||
	    results == NULL || n > TW_CRYPTO_BURST_MAX)
		return -TW_PROTO_E_INVAL;
	if (e->impl == TW_CRYPTO_IMPL_IMB)
		return imb_burst(e, t, kind, pkts, lens, n, results, enc);
	if (e->impl == TW_CRYPTO_IMPL_NATIVE)
		return native_burst(e, t, kind, pkts, lens, n, results, enc);
	for (unsigned i = 0; i < n; i++) {
		results[i] = one(e, t[i], kind, pkts[i], lens[i], enc);
		good += results[i] == 0;
	}
	return good;
}

int tw_crypto_test_protect_burst(struct tw_crypto_engine *e,
				 const struct tw_crypto_test *const t[],
				 enum tw_crypto_pkt kind, uint8_t *const pkts[],
				 const uint16_t lens[], unsigned n,
				 int results[])
{
	return burst(e, t, kind, pkts, lens, n, results, true);
}

int tw_crypto_test_verify_burst(struct tw_crypto_engine *e,
				const struct tw_crypto_test *const t[],
				enum tw_crypto_pkt kind, uint8_t *const pkts[],
				const uint16_t lens[], unsigned n,
				int results[])
{
	return burst(e, t, kind, pkts, lens, n, results, false);
}
