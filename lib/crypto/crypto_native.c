/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test-packet protection inline with AES-NI and SHA-NI, one packet at a
 * time with no job queue: a reflected packet in authenticated mode is four
 * SHA1 compressions and two AES blocks, so the per-job bookkeeping of a
 * multi-buffer library costs as much as the crypto itself
 * (docs/performance.md). Same octets as the OpenSSL reference.
 */

#include <cpuid.h>
#include <string.h>

#include <immintrin.h>

#include "crypto_native.h"
#include "tw_crypto.h"

#define TARGET __attribute__((target("aes,sha,sse4.1,ssse3")))

bool tw_native_supported(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_AES) ||
	    !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return false;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return (b & (1u << 29)) != 0; /* SHA extensions */
}

/* ---- SHA1 compression (FIPS 180-4 §6.1.2) with SHA-NI ---- */

#define RNDS4(abcd, e, g)                                                      \
	((g) < 5    ? _mm_sha1rnds4_epu32(abcd, e, 0)                          \
	 : (g) < 10 ? _mm_sha1rnds4_epu32(abcd, e, 1)                          \
	 : (g) < 15 ? _mm_sha1rnds4_epu32(abcd, e, 2)                          \
		    : _mm_sha1rnds4_epu32(abcd, e, 3))

/*
 * One block per lane of L independent hashes (L = 1, 2 or 4): SHA-NI
 * rounds are bound by latency, so more streams fill the gaps of the
 * first. State: abcd with A in lane 3, e0 with E in lane 3 and zeros
 * elsewhere; message m[l][0..3] with W0 in lane 3 of m[l][0].
 */
TARGET static inline __attribute__((always_inline)) void
sha1_rounds_xl(__m128i abcd[], __m128i e0[], __m128i m[][4], const int L)
{
	__m128i abcd_save[4], e0_save[4], e[4][2];

#pragma GCC unroll 4
	for (int l = 0; l < L; l++) {
		abcd_save[l] = abcd[l];
		e0_save[l] = e0[l];
		e[l][0] = _mm_add_epi32(e0[l], m[l][0]);
		e[l][1] = abcd[l];
		abcd[l] = _mm_sha1rnds4_epu32(abcd[l], e[l][0], 0);
	}
	/*
	 * Group g does rounds 4g..4g+3 with W[g] = m[g % 4]; the message
	 * schedule for later groups is built as it goes.
	 */
#pragma GCC unroll 19
	for (int g = 1; g < 20; g++) {
#pragma GCC unroll 4
		for (int l = 0; l < L; l++) {
			int cur = g & 1;
			__m128i w = m[l][g % 4];

			e[l][cur] = _mm_sha1nexte_epu32(e[l][cur], w);
			e[l][!cur] = abcd[l];
			if (g >= 3 && g <= 18)
				m[l][(g + 1) % 4] = _mm_sha1msg2_epu32(
					m[l][(g + 1) % 4], w);
			abcd[l] = RNDS4(abcd[l], e[l][cur], g);
			if (g <= 16)
				m[l][(g + 3) % 4] = _mm_sha1msg1_epu32(
					m[l][(g + 3) % 4], w);
			if (g >= 2 && g <= 17)
				m[l][(g + 2) % 4] = _mm_xor_si128(
					m[l][(g + 2) % 4], w);
		}
	}
	for (int l = 0; l < L; l++) {
		e0[l] = _mm_sha1nexte_epu32(e[l][0], e0_save[l]);
		abcd[l] = _mm_add_epi32(abcd[l], abcd_save[l]);
	}
}

/* Message words of a 64-octet block (W0 in lane 3). */
TARGET static inline __attribute__((always_inline)) __m128i
sha1_load(const uint8_t *p)
{
	const __m128i bswap = _mm_set_epi64x(0x0001020304050607LL,
					     0x08090a0b0c0d0e0fLL);

	return _mm_shuffle_epi8(_mm_loadu_si128((const void *)p), bswap);
}

/* n blocks each of L independent hashes. */
TARGET static inline __attribute__((always_inline)) void
sha1_lanes(uint32_t *const st[], const uint8_t *const p[], size_t n,
	   const int L)
{
	__m128i abcd[4], e0[4], m[4][4];

	for (int l = 0; l < L; l++) {
		abcd[l] = _mm_shuffle_epi32(
			_mm_loadu_si128((const void *)st[l]), 0x1b);
		e0[l] = _mm_set_epi32((int)st[l][4], 0, 0, 0);
	}
	for (size_t b = 0; b < n; b++) {
		for (int l = 0; l < L; l++)
			for (int i = 0; i < 4; i++)
				m[l][i] = sha1_load(p[l] + 64 * b + 16 * i);
		sha1_rounds_xl(abcd, e0, m, L);
	}
	for (int l = 0; l < L; l++) {
		_mm_storeu_si128((void *)st[l],
				 _mm_shuffle_epi32(abcd[l], 0x1b));
		st[l][4] = (uint32_t)_mm_extract_epi32(e0[l], 3);
	}
}

TARGET static void sha1_blocks(uint32_t st[5], const uint8_t *p, size_t n)
{
	uint32_t *const s[1] = { st };
	const uint8_t *const q[1] = { p };

	sha1_lanes(s, q, n, 1);
}

TARGET static void sha1_x2(uint32_t *const st[], const uint8_t *const p[],
			   size_t n)
{
	sha1_lanes(st, p, n, 2);
}

TARGET static void sha1_x4(uint32_t *const st[], const uint8_t *const p[],
			   size_t n)
{
	sha1_lanes(st, p, n, 4);
}

static void sha1_xl(uint32_t *const st[], const uint8_t *const p[], size_t n,
		    int L)
{
	if (L == 4)
		sha1_x4(st, p, n);
	else
		sha1_x2(st, p, n);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Pad msg[len] after `done` octets into buf; returns the block count. */
static size_t sha1_pad(uint8_t buf[192], uint64_t done, const uint8_t *msg,
		       size_t len)
{
	size_t n = (len + 9 + 63) / 64 * 64;
	uint64_t bits = (done + len) * 8;

	memcpy(buf, msg, len);
	memset(buf + len, 0, n - len);
	buf[len] = 0x80;
	for (int i = 0; i < 8; i++)
		buf[n - 1 - (size_t)i] = (uint8_t)(bits >> (8 * i));
	return n / 64;
}

/* HMAC-SHA1 of L messages of the same length under L keys. */
TARGET static inline __attribute__((always_inline)) void
hmac_pre_xl(const struct tw_native_key *const k[], const uint8_t *const msg[],
	    size_t len, uint8_t out[][20], const int L)
{
	uint32_t st[4][5];
	uint32_t *const sp[4] = { st[0], st[1], st[2], st[3] };
	uint8_t buf[4][192];
	const uint8_t *const bp[4] = { buf[0], buf[1], buf[2], buf[3] };
	size_t n = 0;

	for (int l = 0; l < L; l++) {
		memcpy(st[l], k[l]->ist, sizeof(st[l]));
		n = sha1_pad(buf[l], 64, msg[l], len);
	}
	sha1_xl(sp, bp, n, L);
	for (int l = 0; l < L; l++) {
		uint8_t inner[20];

		for (int i = 0; i < 5; i++)
			put_be32(inner + 4 * i, st[l][i]);
		memcpy(st[l], k[l]->ost, sizeof(st[l]));
		n = sha1_pad(buf[l], 64, inner, sizeof(inner));
	}
	sha1_xl(sp, bp, n, L);
	for (int l = 0; l < L; l++)
		for (int i = 0; i < 5; i++)
			put_be32(out[l] + 4 * i, st[l][i]);
}

/*
 * Message lengths the in-register HMAC takes: a multiple of 16 whose last
 * block keeps room for the padding (the test packets' 16, 32 and 96).
 */
static inline bool hmac_regs_ok(size_t len)
{
	return len % 16 == 0 && len % 64 != 48 && len <= 96;
}

/*
 * HMAC-SHA1/128 of L messages of one such length, all in registers: the
 * padding words are constants and the inner digest is the outer block's
 * first five words as it stands (RFC 2104, FIPS 180-4 §5.1.1). out gets
 * the 16-octet tags.
 */
TARGET static inline __attribute__((always_inline)) void
hmac_regs_xl(const struct tw_native_key *const k[], const uint8_t *const msg[],
	     size_t len, uint8_t (*out)[16], const int L)
{
	const __m128i bswap = _mm_set_epi64x(0x0001020304050607LL,
					     0x08090a0b0c0d0e0fLL);
	const __m128i pad80 = _mm_set_epi32((int)0x80000000u, 0, 0, 0);
	const size_t full = len / 64, rest = len % 64 / 16;
	__m128i abcd[4], e0[4], m[4][4];

	for (int l = 0; l < L; l++) {
		abcd[l] = _mm_shuffle_epi32(
			_mm_loadu_si128((const void *)k[l]->ist), 0x1b);
		e0[l] = _mm_set_epi32((int)k[l]->ist[4], 0, 0, 0);
	}
	for (size_t b = 0; b < full; b++) {
		for (int l = 0; l < L; l++)
			for (int i = 0; i < 4; i++)
				m[l][i] = sha1_load(msg[l] + 64 * b + 16 * i);
		sha1_rounds_xl(abcd, e0, m, L);
	}
	for (int l = 0; l < L; l++) {
		for (size_t i = 0; i < 4; i++)
			m[l][i] = i < rest ? sha1_load(msg[l] + 64 * full + 16 * i)
			       : i == rest ? pad80 : _mm_setzero_si128();
		m[l][3] = _mm_or_si128(m[l][3],
				       _mm_set_epi32(0, 0, 0, (int)((64 + len) * 8)));
	}
	sha1_rounds_xl(abcd, e0, m, L);
	for (int l = 0; l < L; l++) {
		m[l][0] = abcd[l];
		m[l][1] = _mm_blend_epi16(_mm_set_epi32(0, (int)0x80000000u, 0, 0),
					  e0[l], 0xc0);
		m[l][2] = _mm_setzero_si128();
		m[l][3] = _mm_set_epi32(0, 0, 0, (64 + 20) * 8);
		abcd[l] = _mm_shuffle_epi32(
			_mm_loadu_si128((const void *)k[l]->ost), 0x1b);
		e0[l] = _mm_set_epi32((int)k[l]->ost[4], 0, 0, 0);
	}
	sha1_rounds_xl(abcd, e0, m, L);
	for (int l = 0; l < L; l++)
		_mm_storeu_si128((void *)out[l], _mm_shuffle_epi8(abcd[l], bswap));
}

/* The 16-octet HMAC-SHA1/128 tags of L messages of one length. */
TARGET static inline __attribute__((always_inline)) void
hmac_tag_xl(const struct tw_native_key *const k[], const uint8_t *const msg[],
	    size_t len, uint8_t (*tag)[16], const int L)
{
	uint8_t mac[4][20];

	if (hmac_regs_ok(len)) {
		hmac_regs_xl(k, msg, len, tag, L);
		return;
	}
	hmac_pre_xl(k, msg, len, mac, L);
	for (int l = 0; l < L; l++)
		memcpy(tag[l], mac[l], 16);
}

/* ---- AES-128 (FIPS 197) with AES-NI ---- */

TARGET static __m128i expand_step(__m128i key, __m128i assist)
{
	assist = _mm_shuffle_epi32(assist, 0xff);
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	return _mm_xor_si128(key, assist);
}

#define EXPAND(i, rcon)                                                        \
	rk[i] = expand_step(rk[(i) - 1],                                       \
			    _mm_aeskeygenassist_si128(rk[(i) - 1], rcon))

TARGET static void aes_expand(const uint8_t key[16], uint8_t enc[176],
			      uint8_t dec[176])
{
	__m128i rk[11];

	rk[0] = _mm_loadu_si128((const void *)key);
	EXPAND(1, 0x01);
	EXPAND(2, 0x02);
	EXPAND(3, 0x04);
	EXPAND(4, 0x08);
	EXPAND(5, 0x10);
	EXPAND(6, 0x20);
	EXPAND(7, 0x40);
	EXPAND(8, 0x80);
	EXPAND(9, 0x1b);
	EXPAND(10, 0x36);
	for (int i = 0; i < 11; i++) {
		_mm_storeu_si128((void *)(enc + 16 * i), rk[i]);
		/* Equivalent inverse cipher (FIPS 197 §5.3.5) */
		_mm_storeu_si128((void *)(dec + 16 * i),
				 i == 0 || i == 10 ? rk[10 - i]
						   : _mm_aesimc_si128(rk[10 - i]));
	}
	explicit_bzero(rk, sizeof(rk));
}

TARGET static inline __attribute__((always_inline)) void
cbc_encrypt_xl(const struct tw_native_key *const k[], uint8_t *const p[],
	       size_t len, const int L)
{
	__m128i x[4];

#pragma GCC unroll 4
	for (int l = 0; l < L; l++)
		x[l] = _mm_setzero_si128();
	for (size_t off = 0; off < len; off += 16) {
#pragma GCC unroll 4
		for (int l = 0; l < L; l++)
			x[l] = _mm_xor_si128(
				_mm_xor_si128(x[l], _mm_loadu_si128(
							    (const void *)(p[l] + off))),
				_mm_loadu_si128((const void *)k[l]->enc));
#pragma GCC unroll 9
		for (int r = 1; r < 10; r++)
#pragma GCC unroll 4
			for (int l = 0; l < L; l++)
				x[l] = _mm_aesenc_si128(
					x[l], _mm_loadu_si128(
						      (const void *)(k[l]->enc + 16 * r)));
#pragma GCC unroll 4
		for (int l = 0; l < L; l++) {
			x[l] = _mm_aesenclast_si128(
				x[l], _mm_loadu_si128((const void *)(k[l]->enc + 160)));
			_mm_storeu_si128((void *)(p[l] + off), x[l]);
		}
	}
}

/* CBC decryption of L packets, IV 0; every block is independent. */
TARGET static inline __attribute__((always_inline)) void
cbc_decrypt_xl(const struct tw_native_key *const k[], uint8_t *const p[],
	       uint8_t (*out)[96], size_t len, const int L)
{
	__m128i prev[4];

#pragma GCC unroll 4
	for (int l = 0; l < L; l++)
		prev[l] = _mm_setzero_si128();
	for (size_t off = 0; off < len; off += 16) {
		__m128i c[4], x[4];

#pragma GCC unroll 4
		for (int l = 0; l < L; l++) {
			c[l] = _mm_loadu_si128((const void *)(p[l] + off));
			x[l] = _mm_xor_si128(c[l], _mm_loadu_si128(
							   (const void *)k[l]->dec));
		}
#pragma GCC unroll 9
		for (int r = 1; r < 10; r++)
#pragma GCC unroll 4
			for (int l = 0; l < L; l++)
				x[l] = _mm_aesdec_si128(
					x[l], _mm_loadu_si128(
						      (const void *)(k[l]->dec + 16 * r)));
#pragma GCC unroll 4
		for (int l = 0; l < L; l++) {
			x[l] = _mm_aesdeclast_si128(
				x[l], _mm_loadu_si128((const void *)(k[l]->dec + 160)));
			_mm_storeu_si128((void *)(out[l] + off),
					 _mm_xor_si128(x[l], prev[l]));
			prev[l] = c[l];
		}
	}
}

/* ---- per-session keys and per-packet operations ---- */

void tw_native_key_init(struct tw_native_key *k, const uint8_t aes[16],
			const uint8_t hmac[32])
{
	static const uint32_t iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe,
					0x10325476, 0xc3d2e1f0 };
	uint8_t pad[64];

	aes_expand(aes, k->enc, k->dec);
	memset(pad, 0x36, sizeof(pad));
	for (int i = 0; i < 32; i++)
		pad[i] ^= hmac[i];
	memcpy(k->ist, iv, sizeof(iv));
	sha1_blocks(k->ist, pad, 1);
	memset(pad, 0x5c, sizeof(pad));
	for (int i = 0; i < 32; i++)
		pad[i] ^= hmac[i];
	memcpy(k->ost, iv, sizeof(iv));
	sha1_blocks(k->ost, pad, 1);
	explicit_bzero(pad, sizeof(pad));
}

TARGET static inline __attribute__((always_inline)) void
protect_xl(const struct tw_native_key *const k[], uint8_t *const pkt[],
	   size_t cover, size_t hoff, const int L)
{
	uint8_t mac[4][16];
	const uint8_t *msg[4];

	for (int l = 0; l < L; l++)
		msg[l] = pkt[l];
	hmac_tag_xl(k, msg, cover, mac, L);
	for (int l = 0; l < L; l++)
		memcpy(pkt[l] + hoff, mac[l], TW_CRYPTO_HMAC_LEN);
	cbc_encrypt_xl(k, pkt, cover, L);
}

TARGET static inline __attribute__((always_inline)) void
verify_xl(const struct tw_native_key *const k[], uint8_t *const pkt[],
	  size_t cover, size_t hoff, int rc[], const int L)
{
	uint8_t plain[4][96], mac[4][16];
	const uint8_t *const msg[4] = { plain[0], plain[1], plain[2],
					plain[3] };

	cbc_decrypt_xl(k, pkt, plain, cover, L);
	hmac_tag_xl(k, msg, cover, mac, L);
	for (int l = 0; l < L; l++) {
		rc[l] = 0;
		if (!tw_crypto_memeq(mac[l], pkt[l] + hoff, TW_CRYPTO_HMAC_LEN))
			rc[l] = -TW_PROTO_E_HMAC;
		else
			memcpy(pkt[l], plain[l], cover);
	}
	explicit_bzero(plain, sizeof(plain));
}

TARGET void tw_native_protect(const struct tw_native_key *k, uint8_t *pkt,
		       size_t cover, size_t hoff)
{
	protect_xl(&k, &pkt, cover, hoff, 1);
}

TARGET int tw_native_verify(const struct tw_native_key *k, uint8_t *pkt,
		     size_t cover, size_t hoff)
{
	int rc;

	verify_xl(&k, &pkt, cover, hoff, &rc, 1);
	return rc;
}

TARGET void tw_native_protect_x2(const struct tw_native_key *const k[2],
			  uint8_t *const pkt[2], size_t cover, size_t hoff)
{
	protect_xl(k, pkt, cover, hoff, 2);
}

TARGET void tw_native_verify_x2(const struct tw_native_key *const k[2],
			 uint8_t *const pkt[2], size_t cover, size_t hoff,
			 int rc[2])
{
	verify_xl(k, pkt, cover, hoff, rc, 2);
}

TARGET void tw_native_protect_x4(const struct tw_native_key *const k[4],
			  uint8_t *const pkt[4], size_t cover, size_t hoff)
{
	protect_xl(k, pkt, cover, hoff, 4);
}

TARGET void tw_native_verify_x4(const struct tw_native_key *const k[4],
			 uint8_t *const pkt[4], size_t cover, size_t hoff,
			 int rc[4])
{
	verify_xl(k, pkt, cover, hoff, rc, 4);
}

/* ---- SHA-256 (FIPS 180-4 §6.2.2) with SHA-NI, for STAMP's HMAC ---- */

/* FIPS 180-4 §4.2.2: cube roots of the first 64 primes */
static const uint32_t k256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* FIPS 180-4 state <-> the ABEF/CDGH form sha256rnds2 works on */
TARGET static inline __attribute__((always_inline)) void
sha256_state_in(const uint32_t st[8], __m128i *s0, __m128i *s1)
{
	__m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const void *)st),
					0xb1);                    /* CDAB */
	__m128i hgfe = _mm_shuffle_epi32(
		_mm_loadu_si128((const void *)(st + 4)), 0x1b);   /* HGFE */

	*s0 = _mm_alignr_epi8(tmp, hgfe, 8);                      /* ABEF */
	*s1 = _mm_blend_epi16(hgfe, tmp, 0xf0);                   /* CDGH */
}

/* ABCD and EFGH as 32-bit lanes, A in lane 0 */
TARGET static inline __attribute__((always_inline)) void
sha256_state_out(__m128i s0, __m128i s1, __m128i *abcd, __m128i *efgh)
{
	__m128i feba = _mm_shuffle_epi32(s0, 0x1b);
	__m128i dchg = _mm_shuffle_epi32(s1, 0xb1);

	*abcd = _mm_blend_epi16(feba, dchg, 0xf0);
	*efgh = _mm_alignr_epi8(dchg, feba, 8);
}

/* One block per lane, message words already in m[l][0..3] (W0 in lane 0). */
TARGET static inline __attribute__((always_inline)) void
sha256_rounds_xl(__m128i s0[], __m128i s1[], __m128i m[][4], const int L)
{
	__m128i abef[4], cdgh[4];

	for (int l = 0; l < L; l++) {
		abef[l] = s0[l];
		cdgh[l] = s1[l];
	}
#pragma GCC unroll 16
	for (int g = 0; g < 16; g++) {
		const __m128i kg = _mm_loadu_si128((const void *)(k256 + 4 * g));

#pragma GCC unroll 4
		for (int l = 0; l < L; l++) {
			__m128i w = m[l][g % 4];
			__m128i x = _mm_add_epi32(w, kg);

			s1[l] = _mm_sha256rnds2_epu32(s1[l], s0[l], x);
			if (g >= 3 && g <= 14) {
				__m128i t = _mm_alignr_epi8(w, m[l][(g + 3) % 4], 4);

				m[l][(g + 1) % 4] = _mm_sha256msg2_epu32(
					_mm_add_epi32(m[l][(g + 1) % 4], t), w);
			}
			s0[l] = _mm_sha256rnds2_epu32(s0[l], s1[l],
						      _mm_shuffle_epi32(x, 0x0e));
			if (g >= 1 && g <= 12)
				m[l][(g + 3) % 4] =
					_mm_sha256msg1_epu32(m[l][(g + 3) % 4], w);
		}
	}
	for (int l = 0; l < L; l++) {
		s0[l] = _mm_add_epi32(s0[l], abef[l]);
		s1[l] = _mm_add_epi32(s1[l], cdgh[l]);
	}
}

/* n blocks of one hash (the key pads and the one-packet path). */
TARGET static void sha256_blocks(uint32_t st[8], const uint8_t *p, size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL,
					     0x0405060700010203LL);
	__m128i s0[1], s1[1], m[1][4], abcd, efgh;

	sha256_state_in(st, &s0[0], &s1[0]);
	for (; n > 0; n--, p += 64) {
		for (int i = 0; i < 4; i++)
			m[0][i] = _mm_shuffle_epi8(
				_mm_loadu_si128((const void *)(p + 16 * i)), bswap);
		sha256_rounds_xl(s0, s1, m, 1);
	}
	sha256_state_out(s0[0], s1[0], &abcd, &efgh);
	_mm_storeu_si128((void *)st, abcd);
	_mm_storeu_si128((void *)(st + 4), efgh);
}

void tw_native_hmac256_init(struct tw_native_hmac256 *h, const uint8_t *key,
			    size_t key_len)
{
	/* FIPS 180-4 §5.3.3 */
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
					0xa54ff53a, 0x510e527f, 0x9b05688c,
					0x1f83d9ab, 0x5be0cd19 };
	uint8_t pad[64];

	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < key_len && i < 64; i++)
		pad[i] ^= key[i];
	memcpy(h->ist, iv, sizeof(iv));
	sha256_blocks(h->ist, pad, 1);
	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < key_len && i < 64; i++)
		pad[i] ^= key[i];
	memcpy(h->ost, iv, sizeof(iv));
	sha256_blocks(h->ost, pad, 1);
	explicit_bzero(pad, sizeof(pad));
}

/* Absorb a | b after one 64-octet block, pad, finish into out[32]. */
static void sha256_finish2(uint32_t st[8], const uint8_t *a, size_t a_len,
			   const uint8_t *b, size_t b_len, uint8_t out[32])
{
	uint8_t blk[128];
	uint64_t bits = (64 + (uint64_t)a_len + b_len) * 8;
	size_t fill = 0;

	for (int part = 0; part < 2; part++) {
		const uint8_t *p = part ? b : a;
		size_t n = part ? b_len : a_len;

		if (n == 0)
			continue;
		if (fill > 0) {
			size_t take = n < 64 - fill ? n : 64 - fill;

			memcpy(blk + fill, p, take);
			fill += take;
			p += take;
			n -= take;
			if (fill < 64)
				continue;
			sha256_blocks(st, blk, 1);
			fill = 0;
		}
		if (n >= 64) {
			sha256_blocks(st, p, n / 64);
			p += n / 64 * 64;
			n %= 64;
		}
		memcpy(blk, p, n);
		fill = n;
	}
	blk[fill++] = 0x80;
	if (fill > 56) {
		memset(blk + fill, 0, 64 - fill);
		sha256_blocks(st, blk, 1);
		fill = 0;
	}
	memset(blk + fill, 0, 56 - fill);
	for (int i = 0; i < 8; i++)
		blk[63 - i] = (uint8_t)(bits >> (8 * i));
	sha256_blocks(st, blk, 1);
	for (int i = 0; i < 8; i++)
		put_be32(out + 4 * i, st[i]);
	explicit_bzero(blk, sizeof(blk));
}

void tw_native_hmac256(const struct tw_native_hmac256 *h, const uint8_t *a,
		       size_t a_len, const uint8_t *b, size_t b_len,
		       uint8_t out[32])
{
	uint32_t st[8];
	uint8_t inner[32];

	memcpy(st, h->ist, sizeof(st));
	sha256_finish2(st, a, a_len, b, b_len, inner);
	memcpy(st, h->ost, sizeof(st));
	sha256_finish2(st, inner, sizeof(inner), NULL, 0, out);
	explicit_bzero(inner, sizeof(inner));
}

/*
 * HMAC-SHA-256/128 over the 96-octet STAMP base packet (RFC 8762 §4.4)
 * for L packets at once, all in registers: the inner hash is the packet's
 * first 64 octets, then octets 64-95 with the padding for 64 + 96 octets
 * (constant words); the outer block is the inner digest's words as they
 * are plus the padding for 64 + 32 octets. out gets the 16-octet tags.
 */
TARGET static inline __attribute__((always_inline)) void
hmac256_96_xl(const struct tw_native_hmac256 *const h[],
	      const uint8_t *const msg[], uint8_t (*out)[16], const int L)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL,
					     0x0405060700010203LL);
	const __m128i pad80 = _mm_set_epi32(0, 0, 0, (int)0x80000000u);
	__m128i s0[4], s1[4], m[4][4];

	for (int l = 0; l < L; l++) {
		sha256_state_in(h[l]->ist, &s0[l], &s1[l]);
		for (int i = 0; i < 4; i++)
			m[l][i] = _mm_shuffle_epi8(
				_mm_loadu_si128((const void *)(msg[l] + 16 * i)),
				bswap);
	}
	sha256_rounds_xl(s0, s1, m, L);
	for (int l = 0; l < L; l++) {
		m[l][0] = _mm_shuffle_epi8(
			_mm_loadu_si128((const void *)(msg[l] + 64)), bswap);
		m[l][1] = _mm_shuffle_epi8(
			_mm_loadu_si128((const void *)(msg[l] + 80)), bswap);
		m[l][2] = pad80;
		m[l][3] = _mm_set_epi32((64 + 96) * 8, 0, 0, 0);
	}
	sha256_rounds_xl(s0, s1, m, L);
	for (int l = 0; l < L; l++) {
		sha256_state_out(s0[l], s1[l], &m[l][0], &m[l][1]);
		m[l][2] = pad80;
		m[l][3] = _mm_set_epi32((64 + 32) * 8, 0, 0, 0);
		sha256_state_in(h[l]->ost, &s0[l], &s1[l]);
	}
	sha256_rounds_xl(s0, s1, m, L);
	for (int l = 0; l < L; l++) {
		__m128i abcd, efgh;

		sha256_state_out(s0[l], s1[l], &abcd, &efgh);
		_mm_storeu_si128((void *)out[l], _mm_shuffle_epi8(abcd, bswap));
	}
}

TARGET static void hmac256_96_x1(const struct tw_native_hmac256 *const h[],
				 const uint8_t *const msg[], uint8_t (*out)[16])
{
	hmac256_96_xl(h, msg, out, 1);
}

TARGET static void hmac256_96_x2(const struct tw_native_hmac256 *const h[],
				 const uint8_t *const msg[], uint8_t (*out)[16])
{
	hmac256_96_xl(h, msg, out, 2);
}

TARGET static void hmac256_96_x4(const struct tw_native_hmac256 *const h[],
				 const uint8_t *const msg[], uint8_t (*out)[16])
{
	hmac256_96_xl(h, msg, out, 4);
}

void tw_native_hmac256_96_burst(const struct tw_native_hmac256 *const h[],
				const uint8_t *const msg[], unsigned n,
				uint8_t (*out)[16])
{
	unsigned i = 0;

	for (; i + TW_NATIVE_SHA256_LANES <= n; i += TW_NATIVE_SHA256_LANES) {
		if (TW_NATIVE_SHA256_LANES == 4)
			hmac256_96_x4(h + i, msg + i, out + i);
		else
			hmac256_96_x2(h + i, msg + i, out + i);
	}
	for (; i + 2 <= n; i += 2)
		hmac256_96_x2(h + i, msg + i, out + i);
	if (i < n)
		hmac256_96_x1(h + i, msg + i, out + i);
}
