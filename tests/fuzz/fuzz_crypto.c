/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer targets for lib/crypto's "decoders": everything that takes
 * bytes from the wire and decides whether they are authentic.
 *   token      Token decrypt; success re-encrypts to the same Token
 *   ctrl       control stream open/decrypt on a server context
 *   ctrl_rt    client seal -> server open round trip of fuzzed messages
 *   test_pkt   test-packet verify: intel-ipsec-mb, OpenSSL and the
 *              native engine agree, a
 *              failure leaves the packet untouched, success re-protects
 *              to the received octets
 *   stamp      STAMP base HMAC and HMAC TLV checks; the STAMP MAC equals
 *              OpenSSL's HMAC-SHA-256 on any split of the input
 *   ike        IKEv2 prf / prf+ / SKEYSEED / DKM on fuzzed inputs
 */
#include <string.h>

#include "fuzz.h"
#include "tw_crypto.h"

static const struct tw_crypto_session_keys fixed_keys = {
	.aes = { 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
		 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f },
	.hmac = { 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
		  0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
		  0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57,
		  0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f },
};
static const uint8_t civ[16] = { 0x60 }, siv[16] = { 0x70 };

/* ---- token: key(16) | challenge(16) | token(64) ---- */

static void run_token(const uint8_t *d, size_t len)
{
	struct tw_crypto_session_keys sk;
	uint8_t again[64];
	int rc;

	if (len < 96)
		return;
	rc = tw_crypto_token_decrypt(d, d + 16, d + 32, &sk);
	TW_FUZZ_ASSERT(rc == 0 || rc == -TW_PROTO_E_TOKEN);
	if (rc == 0) {
		TW_FUZZ_ASSERT(tw_crypto_token_encrypt(d, d + 16, &sk,
						       again) == 0);
		TW_FUZZ_ASSERT(memcmp(again, d + 32, 64) == 0);
	}
}

static void seed_token(tw_fuzz_emit_fn emit, void *ctx)
{
	uint8_t in[96];

	for (int i = 0; i < 32; i++)
		in[i] = (uint8_t)i;
	tw_crypto_token_encrypt(in, in + 16, &fixed_keys, in + 32);
	emit(ctx, in, sizeof(in));
}

/* ---- ctrl: a stream of [len-selector(1) | message] on a server ---- */

static void run_ctrl(const uint8_t *d, size_t len)
{
	struct tw_crypto_ctrl *s;
	uint8_t ss[48] = { 0 }, buf[256];
	bool dead = false;

	s = tw_crypto_ctrl_create(TW_CRYPTO_SERVER, &fixed_keys, civ, siv);
	TW_FUZZ_ASSERT(s != NULL);
	TW_FUZZ_ASSERT(tw_crypto_ctrl_server_start(s, ss, 48) == 0);
	while (len > 0) {
		size_t n = (size_t)(d[0] & 0x0f) * 16 + (d[0] >> 7);
		bool head = d[0] & 0x40;
		int rc;

		d++;
		len--;
		if (n > len)
			n = len;
		memcpy(buf, d, n);
		rc = head ? tw_crypto_ctrl_decrypt(s, buf, n)
			  : tw_crypto_ctrl_open(s, buf, n);
		if (n == 0 || n % 16 != 0)
			TW_FUZZ_ASSERT(rc == -TW_PROTO_E_LENGTH ||
				       (dead && rc == -TW_PROTO_E_HMAC));
		else if (dead)
			TW_FUZZ_ASSERT(rc == -TW_PROTO_E_HMAC);
		else
			TW_FUZZ_ASSERT(rc == 0 || (!head &&
						   rc == -TW_PROTO_E_HMAC));
		if (rc == -TW_PROTO_E_HMAC)
			dead = true;
		d += n;
		len -= n;
	}
	tw_crypto_ctrl_destroy(s);
}

static void seed_ctrl(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_crypto_ctrl *c =
		tw_crypto_ctrl_create(TW_CRYPTO_CLIENT, &fixed_keys, civ, siv);
	uint8_t out[1 + 112 + 1 + 16 + 1 + 16] = { 0 }, st[32] = { 2 };

	/* Request-TW-Session opened whole (selector 7 = 112 octets), then
	 * Start-Sessions: first block decrypted (0x41), HMAC block opened */
	out[0] = 7;
	out[1] = 5;
	out[2] = 4;
	tw_crypto_ctrl_seal(c, out + 1, 112);
	tw_crypto_ctrl_seal(c, st, 32);
	out[113] = 0x41;
	memcpy(out + 114, st, 16);
	out[130] = 1;
	memcpy(out + 131, st + 16, 16);
	emit(ctx, out, sizeof(out));
	tw_crypto_ctrl_destroy(c);
}

/* ---- ctrl_rt: the input is cut into 16-octet-multiple messages ---- */

static void run_ctrl_rt(const uint8_t *d, size_t len)
{
	struct tw_crypto_ctrl *c, *s;
	uint8_t ss[48] = { 0 }, buf[256];

	c = tw_crypto_ctrl_create(TW_CRYPTO_CLIENT, &fixed_keys, civ, siv);
	s = tw_crypto_ctrl_create(TW_CRYPTO_SERVER, &fixed_keys, civ, siv);
	TW_FUZZ_ASSERT(c != NULL && s != NULL);
	TW_FUZZ_ASSERT(tw_crypto_ctrl_server_start(s, ss, 48) == 0);
	TW_FUZZ_ASSERT(tw_crypto_ctrl_server_start(c, ss, 48) == 0);
	while (len > 0) {
		size_t n = ((size_t)(d[0] & 0x0f) + 1) * 16;
		bool s2c = d[0] & 0x80;

		d++;
		len--;
		if (n > len)
			break;
		memcpy(buf, d, n);
		TW_FUZZ_ASSERT(tw_crypto_ctrl_seal(s2c ? s : c, buf, n) == 0);
		TW_FUZZ_ASSERT(tw_crypto_ctrl_open(s2c ? c : s, buf, n) == 0);
		TW_FUZZ_ASSERT(memcmp(buf, d, n - 16) == 0);
		d += n;
		len -= n;
	}
	tw_crypto_ctrl_destroy(c);
	tw_crypto_ctrl_destroy(s);
}

static void seed_ctrl_rt(tw_fuzz_emit_fn emit, void *ctx)
{
	uint8_t in[1 + 48 + 1 + 32] = { 2 };

	in[49] = 0x81;
	emit(ctx, in, sizeof(in));
}

/* ---- test_pkt: mode(1) | kind(1) | packet ---- */

static struct tw_crypto_engine *eng[3];
static struct tw_crypto_test *tctx[3][2];

static void test_init(void)
{
	if (eng[0] != NULL)
		return;
	eng[0] = tw_crypto_engine_create(TW_CRYPTO_IMPL_IMB);
	eng[1] = tw_crypto_engine_create(TW_CRYPTO_IMPL_OPENSSL);
	eng[2] = tw_crypto_engine_create(TW_CRYPTO_IMPL_NATIVE);
	TW_FUZZ_ASSERT(eng[0] != NULL && eng[1] != NULL && eng[2] != NULL);
	for (int i = 0; i < 3; i++)
		for (int m = 0; m < 2; m++) {
			tctx[i][m] = tw_crypto_test_create(
				eng[i], (enum tw_crypto_test_mode)m,
				&fixed_keys);
			TW_FUZZ_ASSERT(tctx[i][m] != NULL);
		}
}

static void run_test_pkt(const uint8_t *d, size_t len)
{
	uint8_t a[512], b[512], c[512];
	enum tw_crypto_pkt kind;
	int m, ra, rb, rc;

	if (len < 2 || len - 2 > sizeof(a))
		return;
	test_init();
	m = d[0] & 1;
	kind = (d[1] & 1) ? TW_CRYPTO_PKT_REFLECTOR : TW_CRYPTO_PKT_SENDER;
	d += 2;
	len -= 2;
	memcpy(a, d, len);
	memcpy(b, d, len);
	memcpy(c, d, len);
	ra = tw_crypto_test_verify(eng[0], tctx[0][m], kind, a, len);
	rb = tw_crypto_test_verify(eng[1], tctx[1][m], kind, b, len);
	rc = tw_crypto_test_verify(eng[2], tctx[2][m], kind, c, len);
	TW_FUZZ_ASSERT(ra == rb && ra == rc);
	TW_FUZZ_ASSERT(memcmp(a, b, len) == 0 && memcmp(a, c, len) == 0);
	{
		/* the native pair path must agree with the single path */
		const struct tw_crypto_test *const tp[2] = { tctx[2][m],
							     tctx[2][m] };
		uint8_t *const pp[2] = { b, c };
		const uint16_t lp[2] = { (uint16_t)len, (uint16_t)len };
		int rp[2];

		memcpy(b, d, len);
		memcpy(c, d, len);
		tw_crypto_test_verify_burst(eng[2], tp, kind, pp, lp, 2, rp);
		TW_FUZZ_ASSERT(rp[0] == ra && rp[1] == ra);
		TW_FUZZ_ASSERT(memcmp(a, b, len) == 0 && memcmp(a, c, len) == 0);
	}
	TW_FUZZ_ASSERT(ra == 0 || ra == -TW_PROTO_E_HMAC ||
		       ra == -TW_PROTO_E_TRUNCATED);
	if (ra != 0) {
		TW_FUZZ_ASSERT(memcmp(a, d, len) == 0);
		return;
	}
	TW_FUZZ_ASSERT(tw_crypto_test_protect(eng[0], tctx[0][m], kind, a,
					      len) == 0);
	TW_FUZZ_ASSERT(memcmp(a, d, len) == 0);
}

static void seed_test_pkt(tw_fuzz_emit_fn emit, void *ctx)
{
	uint8_t p[2 + 160];

	test_init();
	for (int m = 0; m < 2; m++)
		for (int k = 0; k < 2; k++) {
			size_t n = k ? 112 + 20 : 48 + 64;

			memset(p, 0, sizeof(p));
			p[0] = (uint8_t)m;
			p[1] = (uint8_t)k;
			for (size_t i = 2; i < 2 + n; i++)
				p[i] = (uint8_t)(i * 7);
			tw_crypto_test_protect(eng[1], tctx[1][m],
					       k ? TW_CRYPTO_PKT_REFLECTOR
						 : TW_CRYPTO_PKT_SENDER,
					       p + 2, n);
			emit(ctx, p, 2 + n);
		}
}

/* ---- stamp: tlv_off(1) | hmac_tlv_off(1) | packet ---- */

static struct tw_crypto_stamp *stamp_ctx(void)
{
	static struct tw_crypto_stamp *s;

	if (s == NULL)
		s = tw_crypto_stamp_create(fixed_keys.hmac, 32);
	TW_FUZZ_ASSERT(s != NULL);
	return s;
}

static void run_stamp(const uint8_t *d, size_t len)
{
	struct tw_crypto_stamp *s = stamp_ctx();
	uint8_t p[512];
	size_t to, ho;
	int rc;

	if (len < 2 || len - 2 > sizeof(p))
		return;
	to = d[0];
	ho = (size_t)d[1] * 2;
	d += 2;
	len -= 2;
	memcpy(p, d, len);
	{
		/* SHA-NI (where used) and OpenSSL agree on any split */
		uint8_t m1[16], m2[TW_CRYPTO_PRF_MAX];
		size_t cut = to < len ? to : len;

		TW_FUZZ_ASSERT(tw_crypto_stamp_mac(s, p, cut, p + cut,
						   len - cut, m1) == 0);
		TW_FUZZ_ASSERT(tw_crypto_prf(TW_CRYPTO_PRF_HMAC_SHA2_256,
					     fixed_keys.hmac, 32, p, len,
					     m2) == 32);
		TW_FUZZ_ASSERT(memcmp(m1, m2, 16) == 0);
	}
	rc = tw_crypto_stamp_check(s, p, len);
	TW_FUZZ_ASSERT(rc == 0 || rc == -TW_PROTO_E_HMAC ||
		       rc == -TW_PROTO_E_TRUNCATED);
	if (rc == 0) {
		TW_FUZZ_ASSERT(tw_crypto_stamp_sign(s, p, len) == 0);
		TW_FUZZ_ASSERT(memcmp(p, d, len) == 0);
	}
	rc = tw_crypto_stamp_tlv_check(s, p, len, to, ho);
	TW_FUZZ_ASSERT(rc == 0 || rc == -TW_PROTO_E_HMAC ||
		       rc == -TW_PROTO_E_TRUNCATED || rc == -TW_PROTO_E_INVAL);
	if (rc == 0) {
		TW_FUZZ_ASSERT(tw_crypto_stamp_tlv_sign(s, p, len, to, ho) ==
			       0);
		TW_FUZZ_ASSERT(memcmp(p, d, len) == 0);
	}
}

static void seed_stamp(tw_fuzz_emit_fn emit, void *ctx)
{
	uint8_t p[2 + 112 + 8 + 20] = { 0 };

	p[0] = 112;
	p[1] = 60; /* HMAC TLV at 120 */
	for (size_t i = 2; i < sizeof(p); i++)
		p[i] = (uint8_t)(i * 3);
	tw_crypto_stamp_sign(stamp_ctx(), p + 2, 112);
	tw_crypto_stamp_tlv_sign(stamp_ctx(), p + 2, sizeof(p) - 2, 112, 120);
	emit(ctx, p, sizeof(p));
}

/* ---- ike: prf(1) | nlen(1) | klen(1) | out_len(1) | bytes ---- */

static void run_ike(const uint8_t *d, size_t len)
{
	static const enum tw_crypto_prf prfs[] = {
		TW_CRYPTO_PRF_HMAC_SHA1,     TW_CRYPTO_PRF_AES128_XCBC,
		TW_CRYPTO_PRF_HMAC_SHA2_256, TW_CRYPTO_PRF_HMAC_SHA2_384,
		TW_CRYPTO_PRF_HMAC_SHA2_512, TW_CRYPTO_PRF_AES128_CMAC,
	};
	uint8_t out[1024], seed[TW_CRYPTO_PRF_MAX];
	struct tw_crypto_ike_keys k;
	enum tw_crypto_prf prf;
	size_t nl, kl, ol;
	int plen, rc;

	if (len < 4)
		return;
	prf = prfs[d[0] % 6];
	nl = d[1] % 64;
	kl = d[2];
	ol = (size_t)d[3] * 4;
	d += 4;
	len -= 4;
	plen = tw_crypto_prf_len(prf);
	if (kl > len)
		kl = len;
	rc = tw_crypto_prf_plus(prf, d, kl, d + kl, len - kl, out, ol);
	TW_FUZZ_ASSERT(rc == 0);
	if (ol >= (size_t)plen) {
		uint8_t one[TW_CRYPTO_PRF_MAX + 256 + 1];
		size_t sl = len - kl < 256 ? len - kl : 256;

		/* T1 = prf(K, S | 0x01) */
		memcpy(one, d + kl, sl);
		one[sl] = 1;
		if (sl == len - kl) {
			TW_FUZZ_ASSERT(tw_crypto_prf(prf, d, kl, one, sl + 1,
						     seed) == plen);
			TW_FUZZ_ASSERT(memcmp(seed, out, (size_t)plen) == 0);
		}
	}
	if (len >= 2 * nl && nl >= 8) {
		rc = tw_crypto_ike_skeyseed(prf, d, nl, d + nl, nl, d + 2 * nl,
					    len - 2 * nl, seed);
		TW_FUZZ_ASSERT(rc == plen);
		rc = tw_crypto_ike_keys_derive(prf, seed, (size_t)plen, d, nl,
					       d + nl, nl, d, d + 8,
					       (size_t)(d[0] % 65),
					       (size_t)(d[1] % 65), &k);
		TW_FUZZ_ASSERT(rc == 0);
		rc = tw_crypto_rfc7717_secret(prf, k.sk_d, k.prf_len, seed);
		TW_FUZZ_ASSERT(rc == plen);
	}
}

static void seed_ike(tw_fuzz_emit_fn emit, void *ctx)
{
	uint8_t p[4 + 96];

	for (int i = 0; i < 6; i++) {
		p[0] = (uint8_t)i;
		p[1] = 16;
		p[2] = 20;
		p[3] = 40;
		for (size_t j = 4; j < sizeof(p); j++)
			p[j] = (uint8_t)(j * 11);
		emit(ctx, p, sizeof(p));
	}
}

TW_FUZZ_TARGETS(
	{ "token", run_token, seed_token },
	{ "ctrl", run_ctrl, seed_ctrl },
	{ "ctrl_rt", run_ctrl_rt, seed_ctrl_rt },
	{ "test_pkt", run_test_pkt, seed_test_pkt },
	{ "stamp", run_stamp, seed_stamp },
	{ "ike", run_ike, seed_ike },
);
