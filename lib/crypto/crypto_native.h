/* SPDX-License-Identifier: BSD-3-Clause */
/* AES-NI + SHA-NI test-packet path (crypto_native.c); not installed. */
#ifndef TW_CRYPTO_NATIVE_H
#define TW_CRYPTO_NATIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tw_native_key {
	uint8_t enc[176];  /* AES-128 round keys */
	uint8_t dec[176];  /* equivalent inverse cipher round keys */
	uint32_t ist[5];   /* SHA1 state after the HMAC ipad block */
	uint32_t ost[5];   /* SHA1 state after the HMAC opad block */
};

/* True when the CPU has AES-NI, SHA-NI, SSSE3 and SSE4.1. */
bool tw_native_supported(void);
void tw_native_key_init(struct tw_native_key *k, const uint8_t aes[16],
			const uint8_t hmac[32]);
/* HMAC-SHA1/128 over pkt[0, cover) into pkt[hoff], then CBC IV 0. */
void tw_native_protect(const struct tw_native_key *k, uint8_t *pkt,
		       size_t cover, size_t hoff);
/* 0 (pkt[0, cover) decrypted) or -TW_PROTO_E_HMAC (pkt untouched). */
int tw_native_verify(const struct tw_native_key *k, uint8_t *pkt,
		     size_t cover, size_t hoff);

/* The same for two packets of one layout (covered length), interleaved. */
void tw_native_protect_x2(const struct tw_native_key *const k[2],
			  uint8_t *const pkt[2], size_t cover, size_t hoff);
void tw_native_verify_x2(const struct tw_native_key *const k[2],
			 uint8_t *const pkt[2], size_t cover, size_t hoff,
			 int rc[2]);
void tw_native_protect_x4(const struct tw_native_key *const k[4],
			  uint8_t *const pkt[4], size_t cover, size_t hoff);
void tw_native_verify_x4(const struct tw_native_key *const k[4],
			 uint8_t *const pkt[4], size_t cover, size_t hoff,
			 int rc[4]);

/* HMAC-SHA-256 with precomputed ipad/opad states (key <= 64 octets). */
struct tw_native_hmac256 {
	uint32_t ist[8];
	uint32_t ost[8];
};

void tw_native_hmac256_init(struct tw_native_hmac256 *h, const uint8_t *key,
			    size_t key_len);
/* HMAC over a | b; out gets the full 32 octets. */
void tw_native_hmac256(const struct tw_native_hmac256 *h, const uint8_t *a,
		       size_t a_len, const uint8_t *b, size_t b_len,
		       uint8_t out[32]);

/* Lanes of the STAMP burst (2 or 4; docs/performance.md has both). */
#ifndef TW_NATIVE_SHA256_LANES
#define TW_NATIVE_SHA256_LANES 4
#endif

/*
 * HMAC-SHA-256 over the first 96 octets of each of n messages (the STAMP
 * base packet), key h[i] for message i; out[i] gets the 16-octet
 * HMAC-SHA-256/128 tag.
 */
void tw_native_hmac256_96_burst(const struct tw_native_hmac256 *const h[],
				const uint8_t *const msg[], unsigned n,
				uint8_t (*out)[16]);

#endif
