/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * twamp-dp crypto: the RFC 4656 / RFC 5357 key chain and packet protection,
 * STAMP HMAC (RFC 8762, RFC 8972), and the IKEv2 key derivations that
 * RFC 7717 builds on (RFC 7296).
 *
 * Three layers:
 *  - control connection (OpenSSL): PBKDF2 token key, Token encrypt/decrypt,
 *    the per-direction AES-CBC stream with HMAC-SHA1/128 (struct
 *    tw_crypto_ctrl);
 *  - test packets (fast path): a per-thread engine (struct tw_crypto_engine:
 *    inline AES-NI/SHA-NI, intel-ipsec-mb or OpenSSL, all giving the same
 *    octets; docs/performance.md compares them) and a per-session context
 *    (struct tw_crypto_test) whose AES schedules and HMAC inner/outer states
 *    are computed once; per-packet protect/verify, also in bursts;
 *  - key derivation: IKEv2 prf/prf+/SKEYSEED/DKM/KEYMAT and the RFC 7717
 *    shared secret.
 *
 * Errors are the negated TW_PROTO_E_* codes of tw_proto.h. Nothing here
 * prints or logs; every context has a destroy function that wipes its keys.
 * Per-packet functions never allocate.
 */
#ifndef TW_CRYPTO_H
#define TW_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Secrets and randomness                                              */
/* ------------------------------------------------------------------ */

/** Overwrite @p n octets at @p p with zeros; never optimised away. */
void tw_crypto_wipe(void *p, size_t n);

/**
 * Compare two buffers in time independent of their contents.
 * @return true when the @p n octets are equal.
 */
bool tw_crypto_memeq(const void *a, const void *b, size_t n);

/**
 * Fill @p buf with @p n cryptographically strong random octets
 * (Challenge, Salt, IVs, session keys).
 * @return 0, or -TW_PROTO_E_CRYPTO when the generator fails.
 */
int tw_crypto_random(void *buf, size_t n);

/* ------------------------------------------------------------------ */
/* Control connection: RFC 4656 §3.1-3.2, RFC 5357 §3.1-3.2, §6        */
/* ------------------------------------------------------------------ */

#define TW_CRYPTO_BLOCK 16          /**< AES block, IV, Challenge, Salt */
#define TW_CRYPTO_AES_KEY 16        /**< AES-128 key */
#define TW_CRYPTO_HMAC_KEY 32       /**< HMAC Session-key */
#define TW_CRYPTO_HMAC_LEN 16       /**< truncated HMAC on the wire */
#define TW_CRYPTO_TOKEN_LEN 64      /**< Set-Up-Response Token */
#define TW_CRYPTO_COUNT_MIN 1024u   /**< RFC 4656 §3.1 */
#define TW_CRYPTO_COUNT_CAP 32768u  /**< RFC 5357 §6 default client maximum */

/**
 * PBKDF2 with HMAC-SHA1 (RFC 8018 §5.2), for any lengths; no Count rules.
 *
 * @return 0, -TW_PROTO_E_INVAL (iter 0, NULL with non-zero length, out_len
 *         0) or -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_pbkdf2_sha1(const void *pass, size_t pass_len,
			  const uint8_t *salt, size_t salt_len, uint32_t iter,
			  uint8_t *out, size_t out_len);

/**
 * Validate a Server Greeting Count (RFC 4656 §3.1: power of 2, >= 1024).
 *
 * @param cap  client-side maximum (RFC 5357 §6; TW_CRYPTO_COUNT_CAP by
 *             default), 0 for no maximum (server side).
 * @return 0, -TW_PROTO_E_COUNT (not a power of 2 or below 1024) or
 *         -TW_PROTO_E_RANGE (above @p cap: the client should close).
 */
int tw_crypto_count_check(uint32_t count, uint32_t cap);

/**
 * Token key K = PBKDF2-HMAC-SHA1(shared secret, Salt, Count, 16)
 * (RFC 4656 §3.1), after tw_crypto_count_check(count, cap).
 *
 * @return 0, -TW_PROTO_E_COUNT, -TW_PROTO_E_RANGE, -TW_PROTO_E_INVAL or
 *         -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_token_key(const void *secret, size_t secret_len,
			const uint8_t salt[TW_CRYPTO_BLOCK], uint32_t count,
			uint32_t cap, uint8_t key[TW_CRYPTO_AES_KEY]);

/** The two control-connection session keys carried in the Token. */
struct tw_crypto_session_keys {
	uint8_t aes[TW_CRYPTO_AES_KEY];   /**< AES Session-key */
	uint8_t hmac[TW_CRYPTO_HMAC_KEY]; /**< HMAC Session-key */
};

/**
 * Token = AES-128-CBC(K, IV 0, Challenge | AES Session-key | HMAC
 * Session-key) (RFC 4656 §3.1).
 *
 * @return 0 or -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_token_encrypt(const uint8_t key[TW_CRYPTO_AES_KEY],
			    const uint8_t challenge[TW_CRYPTO_BLOCK],
			    const struct tw_crypto_session_keys *sk,
			    uint8_t token[TW_CRYPTO_TOKEN_LEN]);

/**
 * Decrypt a Token and check, in constant time, that it carries the
 * Challenge the server sent. @p sk is written only on success.
 *
 * @return 0, -TW_PROTO_E_TOKEN (challenge mismatch: the client used another
 *         shared secret; the server answers Accept 1) or -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_token_decrypt(const uint8_t key[TW_CRYPTO_AES_KEY],
			    const uint8_t challenge[TW_CRYPTO_BLOCK],
			    const uint8_t token[TW_CRYPTO_TOKEN_LEN],
			    struct tw_crypto_session_keys *sk);

/** Which end of the control connection a tw_crypto_ctrl belongs to. */
enum tw_crypto_role {
	TW_CRYPTO_CLIENT, /**< sends client->server (IV Client-IV) */
	TW_CRYPTO_SERVER, /**< sends server->client (IV Server-IV) */
};

/**
 * One end of an authenticated/encrypted/mixed control connection: two
 * continuous AES-128-CBC streams (client->server from Client-IV,
 * server->client from Server-IV) keyed with the AES Session-key, each with
 * its running HMAC-SHA1 over the plaintext sent since the previous HMAC.
 * The role fixes which stream seal() and open() use. Authenticated,
 * encrypted and mixed (RFC 5618: encrypted control, unauthenticated test)
 * modes all use it the same way; unauthenticated mode does not use it.
 */
struct tw_crypto_ctrl;

/**
 * Create the context once the Server-Start is built (server) or received
 * (client).
 *
 * @return the context, or NULL (bad role, allocation or library failure).
 */
struct tw_crypto_ctrl *
tw_crypto_ctrl_create(enum tw_crypto_role role,
		      const struct tw_crypto_session_keys *sk,
		      const uint8_t client_iv[TW_CRYPTO_BLOCK],
		      const uint8_t server_iv[TW_CRYPTO_BLOCK]);

/** Wipe and free (NULL is allowed). */
void tw_crypto_ctrl_destroy(struct tw_crypto_ctrl *c);

/**
 * Server-Start (48 octets, RFC 4656 §3.1; RFC 5357 §3.2): octets 32-47
 * (Start-Time | MBZ) are the first block of the server->client stream and
 * carry no HMAC of their own; the first Accept-Session's HMAC covers them.
 * On a server context this encrypts them in place; on a client context it
 * decrypts them in place. Must be the first server->client operation and
 * happen once; seal()/open() of that direction refuse to run before it.
 * Only call it when Accept is 0 (otherwise Start-Time is sent in clear).
 *
 * @return 0, -TW_PROTO_E_LENGTH (len != 48), -TW_PROTO_E_INVAL (out of
 *         order), -TW_PROTO_E_HMAC (context failed before) or
 *         -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_ctrl_server_start(struct tw_crypto_ctrl *c, uint8_t *msg,
				size_t len);

/**
 * Seal an outgoing message in place: @p msg is plaintext whose last 16
 * octets are the HMAC slot. Computes HMAC-SHA1/128 over the pending
 * plaintext (see tw_crypto_ctrl_encrypt()) and msg[0, len-16), writes it
 * into the slot, encrypts all @p len octets with the sending stream and
 * starts a new HMAC.
 *
 * @return 0, -TW_PROTO_E_LENGTH (len not a multiple of 16 or < 16),
 *         -TW_PROTO_E_INVAL (server before tw_crypto_ctrl_server_start()),
 *         -TW_PROTO_E_HMAC (context failed before) or -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_ctrl_seal(struct tw_crypto_ctrl *c, uint8_t *msg, size_t len);

/**
 * Encrypt in place octets sent without an HMAC of their own (a message
 * part whose HMAC comes later, e.g. OWAMP slots or Fetch records); they are
 * added to the pending HMAC of the sending direction.
 *
 * @return as tw_crypto_ctrl_seal().
 */
int tw_crypto_ctrl_encrypt(struct tw_crypto_ctrl *c, uint8_t *buf,
			   size_t len);

/**
 * Decrypt in place received octets that do not end with an HMAC (typically
 * the first block of a command, to learn its length) and add the plaintext
 * to the pending HMAC of the receiving direction.
 *
 * @return as tw_crypto_ctrl_seal().
 */
int tw_crypto_ctrl_decrypt(struct tw_crypto_ctrl *c, uint8_t *buf,
			   size_t len);

/**
 * Open a received message (or the rest of one whose head went through
 * tw_crypto_ctrl_decrypt()) in place: decrypts @p len octets, checks in
 * constant time that the last 16 are the HMAC of the pending plaintext and
 * msg[0, len-16), and starts a new HMAC. On -TW_PROTO_E_HMAC the
 * connection must be dropped (RFC 4656 §6.10): the context refuses every
 * later call.
 *
 * @return 0, -TW_PROTO_E_HMAC, -TW_PROTO_E_LENGTH, -TW_PROTO_E_INVAL or
 *         -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_ctrl_open(struct tw_crypto_ctrl *c, uint8_t *msg, size_t len);

/* ------------------------------------------------------------------ */
/* Test packets: RFC 4656 §4.1.2, RFC 5357 §4.1.2, §4.2.1 (+ erratum 5045) */
/* ------------------------------------------------------------------ */

/** Implementation behind an engine. */
enum tw_crypto_impl {
	TW_CRYPTO_IMPL_IMB,     /**< intel-ipsec-mb job API */
	TW_CRYPTO_IMPL_OPENSSL, /**< OpenSSL EVP (reference) */
	TW_CRYPTO_IMPL_NATIVE,  /**< inline AES-NI + SHA-NI, no job queue */
	/** The fastest this CPU runs (docs/performance.md): NATIVE when it
	 * has AES-NI and SHA-NI, else IMB. tw_crypto_engine_impl() tells
	 * which one was taken. */
	TW_CRYPTO_IMPL_BEST,
};

/** Test-session security mode (mixed mode has unauthenticated tests). */
enum tw_crypto_test_mode {
	TW_CRYPTO_TEST_AUTH, /**< first 16 octets AES-ECB, HMAC over them */
	TW_CRYPTO_TEST_ENC,  /**< AES-CBC IV 0 over 32 (sender) / 96 octets */
};

/** Packet format being protected or verified (not who does it). */
enum tw_crypto_pkt {
	TW_CRYPTO_PKT_SENDER,    /**< Session-Sender packet, HMAC at 32 */
	TW_CRYPTO_PKT_REFLECTOR, /**< Session-Reflector packet, HMAC at 96 */
};

#define TW_CRYPTO_SENDER_HMAC_OFF 32u    /**< RFC 4656 §4.1.2 */
#define TW_CRYPTO_REFLECTOR_HMAC_OFF 96u /**< RFC 5357 §4.2.1, erratum 5045 */
#define TW_CRYPTO_SENDER_MIN 48u
#define TW_CRYPTO_REFLECTOR_MIN 112u
#define TW_CRYPTO_BURST_MAX 64u          /**< largest burst per call */

/**
 * Per-thread crypto engine (an IMB_MGR, or OpenSSL scratch state). Not
 * thread-safe: one per worker lcore, one for the control thread.
 */
struct tw_crypto_engine;

/**
 * @return an engine, or NULL (allocation failure, or the CPU lacks what
 *         intel-ipsec-mb needs, or AES-NI/SHA-NI for the native engine).
 */
struct tw_crypto_engine *tw_crypto_engine_create(enum tw_crypto_impl impl);

/** Free an engine (NULL is allowed). */
void tw_crypto_engine_destroy(struct tw_crypto_engine *e);

/** The implementation an engine uses. */
enum tw_crypto_impl tw_crypto_engine_impl(const struct tw_crypto_engine *e);

/**
 * TWAMP-Test keys from the control keys and the SID (RFC 5357 §4.1.2,
 * RFC 4656 §4.1.2): TestAESKey = AES-128-ECB(key SID, AES Session-key);
 * TestHMACKey = AES-128-CBC(key SID, IV 0, HMAC Session-key).
 *
 * @return 0 or -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_test_keys(const struct tw_crypto_session_keys *ctrl,
			const uint8_t sid[16],
			struct tw_crypto_session_keys *test);

/**
 * Per-session test-packet context. The AES schedules and the HMAC-SHA1
 * inner/outer states are computed once here. Usable with any engine of the
 * implementation it was created for; one worker at a time (the session's
 * owner) when that implementation is OpenSSL.
 */
struct tw_crypto_test;

/**
 * Create from the test keys (see tw_crypto_test_keys()).
 *
 * @return the context, or NULL (bad mode, allocation or library failure).
 */
struct tw_crypto_test *
tw_crypto_test_create(struct tw_crypto_engine *e,
		      enum tw_crypto_test_mode mode,
		      const struct tw_crypto_session_keys *test);

/** Wipe and free (NULL is allowed). */
void tw_crypto_test_destroy(struct tw_crypto_test *t);

/**
 * Protect a test packet in place: HMAC-SHA1/128 over the plaintext of the
 * covered region (16 octets in auth mode; 32 sender / 96 reflector in enc
 * mode) written at offset 32 (sender) or 96 (reflector), then the covered
 * region is encrypted. The HMAC field and the padding stay in clear.
 *
 * @return 0, -TW_PROTO_E_TRUNCATED (len below 48 / 112),
 *         -TW_PROTO_E_INVAL (engine and context of different
 *         implementations) or -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_test_protect(struct tw_crypto_engine *e,
			   const struct tw_crypto_test *t,
			   enum tw_crypto_pkt kind, uint8_t *pkt, size_t len);

/**
 * Verify a received test packet: decrypt the covered region, check the
 * HMAC in constant time. On success the covered region is left decrypted
 * in place; on any failure @p pkt is left exactly as it was.
 *
 * @return 0, -TW_PROTO_E_HMAC, -TW_PROTO_E_TRUNCATED, -TW_PROTO_E_INVAL or
 *         -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_test_verify(struct tw_crypto_engine *e,
			  const struct tw_crypto_test *t,
			  enum tw_crypto_pkt kind, uint8_t *pkt, size_t len);

/**
 * Protect @p n packets (of possibly different sessions) at once; the native
 * engine interleaves consecutive packets of the same layout, the
 * intel-ipsec-mb engine submits them to its job queue together.
 * results[i] gets what tw_crypto_test_protect() would return for packet i.
 *
 * @return the number of packets protected, or -TW_PROTO_E_INVAL
 *         (n > TW_CRYPTO_BURST_MAX).
 */
int tw_crypto_test_protect_burst(struct tw_crypto_engine *e,
				 const struct tw_crypto_test *const t[],
				 enum tw_crypto_pkt kind, uint8_t *const pkts[],
				 const uint16_t lens[], unsigned n,
				 int results[]);

/**
 * Verify @p n packets; results[i] as tw_crypto_test_verify(). Packets that
 * fail are left as they were.
 *
 * @return the number of packets verified, or -TW_PROTO_E_INVAL.
 */
int tw_crypto_test_verify_burst(struct tw_crypto_engine *e,
				const struct tw_crypto_test *const t[],
				enum tw_crypto_pkt kind, uint8_t *const pkts[],
				const uint16_t lens[], unsigned n,
				int results[]);

/* ------------------------------------------------------------------ */
/* STAMP: RFC 8762 §4.4, RFC 8972 §4.8 (HMAC-SHA-256/128)              */
/* ------------------------------------------------------------------ */

#define TW_CRYPTO_STAMP_HMAC_OFF 96u /**< base packet HMAC field */
#define TW_CRYPTO_STAMP_AUTH_MIN 112u

/**
 * Per-session STAMP HMAC key with precomputed inner/outer state (SHA-NI
 * where the CPU has it, else OpenSSL).
 * It carries its own scratch state: one thread at a time (the session's
 * worker).
 */
struct tw_crypto_stamp;

/**
 * @return the context, or NULL (empty key, allocation or library failure).
 */
struct tw_crypto_stamp *tw_crypto_stamp_create(const void *key,
					       size_t key_len);

/** Wipe and free (NULL is allowed). */
void tw_crypto_stamp_destroy(struct tw_crypto_stamp *s);

/**
 * HMAC-SHA-256 truncated to 128 bits over the concatenation of @p a and
 * @p b (either may be empty), e.g. Sequence Number and the TLVs before the
 * HMAC TLV (RFC 8972 §4.8).
 *
 * @return 0 or -TW_PROTO_E_INVAL / -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_stamp_mac(const struct tw_crypto_stamp *s, const uint8_t *a,
			size_t a_len, const uint8_t *b, size_t b_len,
			uint8_t mac[TW_CRYPTO_HMAC_LEN]);

/**
 * Authenticated STAMP base packet (sender or reflector, RFC 8762 §4.2.2,
 * §4.3.2): write the HMAC of octets 0-95 at offset 96.
 *
 * @return 0, -TW_PROTO_E_TRUNCATED (len < 112) or -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_stamp_sign(const struct tw_crypto_stamp *s, uint8_t *pkt,
			 size_t len);

/**
 * Check the base packet HMAC (constant time).
 *
 * @return 0, -TW_PROTO_E_HMAC, -TW_PROTO_E_TRUNCATED or -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_stamp_check(const struct tw_crypto_stamp *s, const uint8_t *pkt,
			  size_t len);

/**
 * Sign @p n authenticated STAMP base packets (of possibly different
 * sessions) at once: tw_crypto_stamp_sign() for each, with the SHA-256
 * work of up to four packets interleaved where the CPU has SHA-NI.
 * results[i] gets what tw_crypto_stamp_sign() would return for packet i
 * (-TW_PROTO_E_INVAL for a NULL context or packet); a packet that fails is
 * left as it was.
 *
 * @return @p n, or -TW_PROTO_E_INVAL (NULL array, n > TW_CRYPTO_BURST_MAX)
 *         and nothing is touched.
 */
int tw_crypto_stamp_sign_burst(const struct tw_crypto_stamp *const s[],
			       uint8_t *const pkts[], const uint16_t lens[],
			       unsigned n, int results[]);

/**
 * Check the base packet HMAC of @p n packets (constant time each);
 * results[i] as tw_crypto_stamp_check() (-TW_PROTO_E_INVAL for a NULL
 * context or packet).
 *
 * @return @p n, or -TW_PROTO_E_INVAL (NULL array, n > TW_CRYPTO_BURST_MAX).
 */
int tw_crypto_stamp_check_burst(const struct tw_crypto_stamp *const s[],
				const uint8_t *const pkts[],
				const uint16_t lens[], unsigned n,
				int results[]);

/**
 * RFC 8972 §4.8 HMAC TLV value: HMAC over the 4-octet Sequence Number at
 * pkt[0] and the TLV octets [tlv_off, hmac_tlv_off) that precede the HMAC
 * TLV, written into the 16-octet value at pkt[hmac_tlv_off + 4].
 *
 * @return 0, -TW_PROTO_E_TRUNCATED (TLV outside @p len),
 *         -TW_PROTO_E_INVAL (tlv_off > hmac_tlv_off or tlv_off < 4) or
 *         -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_stamp_tlv_sign(const struct tw_crypto_stamp *s, uint8_t *pkt,
			     size_t len, size_t tlv_off, size_t hmac_tlv_off);

/**
 * Check an HMAC TLV (constant time); same arguments.
 *
 * @return 0, -TW_PROTO_E_HMAC, -TW_PROTO_E_TRUNCATED, -TW_PROTO_E_INVAL or
 *         -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_stamp_tlv_check(const struct tw_crypto_stamp *s,
			      const uint8_t *pkt, size_t len, size_t tlv_off,
			      size_t hmac_tlv_off);

/* ------------------------------------------------------------------ */
/* IKEv2 key derivation: RFC 7296 §2.13, §2.14, §2.17, §2.18; RFC 7717  */
/* ------------------------------------------------------------------ */

/** IKEv2 PRF transform IDs (IANA Transform Type 2). */
enum tw_crypto_prf {
	TW_CRYPTO_PRF_HMAC_SHA1 = 2,
	TW_CRYPTO_PRF_AES128_XCBC = 4,
	TW_CRYPTO_PRF_HMAC_SHA2_256 = 5,
	TW_CRYPTO_PRF_HMAC_SHA2_384 = 6,
	TW_CRYPTO_PRF_HMAC_SHA2_512 = 7,
	TW_CRYPTO_PRF_AES128_CMAC = 8,
};

#define TW_CRYPTO_PRF_MAX 64u /**< largest PRF output (SHA2-512) */

/**
 * Output length of @p prf, which is also its preferred key length (the
 * length of SK_d, SK_pi, SK_pr; RFC 7296 §2.13-2.14).
 *
 * @return 16, 20, 32, 48 or 64; -TW_PROTO_E_INVAL for an unknown PRF.
 */
int tw_crypto_prf_len(enum tw_crypto_prf prf);

/**
 * prf(K, S). For AES128-XCBC (RFC 4434) and AES-CMAC (RFC 4615) keys of any
 * length are adapted as those RFCs say.
 *
 * @param out  at least tw_crypto_prf_len(prf) octets.
 * @return the number of octets written, -TW_PROTO_E_INVAL or
 *         -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_prf(enum tw_crypto_prf prf, const uint8_t *key, size_t key_len,
		  const uint8_t *data, size_t data_len, uint8_t *out);

/**
 * prf+(K, S) = T1 | T2 | ..., T1 = prf(K, S | 0x01),
 * Tn = prf(K, Tn-1 | S | n) (RFC 7296 §2.13).
 *
 * @return 0, -TW_PROTO_E_RANGE (@p out_len above 255 blocks),
 *         -TW_PROTO_E_INVAL or -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_prf_plus(enum tw_crypto_prf prf, const uint8_t *key,
		       size_t key_len, const uint8_t *seed, size_t seed_len,
		       uint8_t *out, size_t out_len);

/**
 * SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 §2.14); with AES128-XCBC and
 * AES-CMAC only the first 64 bits of Ni and of Nr are the key.
 *
 * @return the length written (tw_crypto_prf_len()), -TW_PROTO_E_INVAL or
 *         -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_ike_skeyseed(enum tw_crypto_prf prf, const uint8_t *ni,
			   size_t ni_len, const uint8_t *nr, size_t nr_len,
			   const uint8_t *gir, size_t gir_len, uint8_t *out);

/**
 * Rekeyed IKE SA: SKEYSEED = prf(SK_d(old), g^ir(new) | Ni | Nr)
 * (RFC 7296 §2.18).
 *
 * @return as tw_crypto_ike_skeyseed().
 */
int tw_crypto_ike_rekey_skeyseed(enum tw_crypto_prf prf, const uint8_t *sk_d,
				 size_t sk_d_len, const uint8_t *gir,
				 size_t gir_len, const uint8_t *ni,
				 size_t ni_len, const uint8_t *nr,
				 size_t nr_len, uint8_t *out);

#define TW_CRYPTO_IKE_KEY_MAX 64u

/** The seven IKE SA keys (RFC 7296 §2.14), each with its length. */
struct tw_crypto_ike_keys {
	uint8_t sk_d[TW_CRYPTO_IKE_KEY_MAX];
	uint8_t sk_ai[TW_CRYPTO_IKE_KEY_MAX], sk_ar[TW_CRYPTO_IKE_KEY_MAX];
	uint8_t sk_ei[TW_CRYPTO_IKE_KEY_MAX], sk_er[TW_CRYPTO_IKE_KEY_MAX];
	uint8_t sk_pi[TW_CRYPTO_IKE_KEY_MAX], sk_pr[TW_CRYPTO_IKE_KEY_MAX];
	size_t prf_len;   /**< length of SK_d, SK_pi, SK_pr */
	size_t integ_len; /**< length of SK_ai, SK_ar (0 with AEAD) */
	size_t encr_len;  /**< length of SK_ei, SK_er (incl. any salt) */
};

/**
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} =
 * prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) (RFC 7296 §2.14).
 *
 * @return 0, -TW_PROTO_E_INVAL (lengths above TW_CRYPTO_IKE_KEY_MAX,
 *         nonces above 256 octets) or -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_ike_keys_derive(enum tw_crypto_prf prf, const uint8_t *skeyseed,
			      size_t skeyseed_len, const uint8_t *ni,
			      size_t ni_len, const uint8_t *nr, size_t nr_len,
			      const uint8_t spi_i[8], const uint8_t spi_r[8],
			      size_t integ_len, size_t encr_len,
			      struct tw_crypto_ike_keys *out);

/** Wipe a tw_crypto_ike_keys. */
void tw_crypto_ike_keys_wipe(struct tw_crypto_ike_keys *k);

/**
 * Child SA KEYMAT = prf+(SK_d, [g^ir(new) |] Ni | Nr) (RFC 7296 §2.17);
 * @p gir NULL (or gir_len 0) when there is no PFS exchange.
 *
 * @return 0, -TW_PROTO_E_RANGE, -TW_PROTO_E_INVAL or -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_ike_child_keymat(enum tw_crypto_prf prf, const uint8_t *sk_d,
			       size_t sk_d_len, const uint8_t *gir,
			       size_t gir_len, const uint8_t *ni,
			       size_t ni_len, const uint8_t *nr, size_t nr_len,
			       uint8_t *out, size_t out_len);

/**
 * RFC 7717 §5.1: shared secret = prf(SK_d, "IPPM") with the IKE SA's PRF.
 *
 * @return its length (tw_crypto_prf_len()), -TW_PROTO_E_INVAL or
 *         -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_rfc7717_secret(enum tw_crypto_prf prf, const uint8_t *sk_d,
			     size_t sk_d_len, uint8_t *out);

/** How the RFC 7717 secret becomes the Token key (DESIGN.md §3). */
enum tw_crypto_token_key_mode {
	TW_CRYPTO_TOKEN_KEY_PBKDF2, /**< PBKDF2-HMAC-SHA1(secret, Salt, Count, 16) */
	TW_CRYPTO_TOKEN_KEY_DIRECT, /**< first 16 octets of the secret */
};

/**
 * Token key from an RFC 7717 shared secret, by either reading.
 *
 * @return 0, -TW_PROTO_E_INVAL (secret shorter than 16 octets, unknown
 *         mode), -TW_PROTO_E_COUNT, -TW_PROTO_E_RANGE or -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_rfc7717_token_key(enum tw_crypto_token_key_mode mode,
				const uint8_t *secret, size_t secret_len,
				const uint8_t salt[TW_CRYPTO_BLOCK],
				uint32_t count, uint32_t cap,
				uint8_t key[TW_CRYPTO_AES_KEY]);

/* ------------------------------------------------------------------ */
/* The seed draft's profile (ipsec.ikev2.profile: draft;               */
/* docs/protocol.md "The seed draft's mechanisms": reconstruction)     */
/* ------------------------------------------------------------------ */

/**
 * Alternative 1 session keys from the root key (SKEYSEED or KEYMAT):
 * AES Session-key = first 16 octets of prf+(root, "O/TWAMP enc"), HMAC
 * Session-key = first 32 octets of prf+(root, "O/TWAMP auth"), with the
 * IKE SA's PRF. @p out is written only on success.
 *
 * @return 0, -TW_PROTO_E_INVAL (unknown PRF, empty root) or
 *         -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_draft_alt1_keys(enum tw_crypto_prf prf, const uint8_t *root,
			      size_t root_len, struct tw_crypto_session_keys *out);

/**
 * Alternative 1 Token = AES-128-ECB(first 16 octets of root, Challenge).
 *
 * @return 0, -TW_PROTO_E_INVAL (root shorter than 16 octets) or
 *         -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_draft_alt1_token(const uint8_t *root, size_t root_len,
			       const uint8_t challenge[TW_CRYPTO_BLOCK],
			       uint8_t token[TW_CRYPTO_BLOCK]);

/**
 * Check an Alternative 1 Token in constant time (server side).
 *
 * @return 0, -TW_PROTO_E_TOKEN (another root key: Accept 1),
 *         -TW_PROTO_E_INVAL or -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_draft_alt1_token_check(const uint8_t *root, size_t root_len,
				     const uint8_t challenge[TW_CRYPTO_BLOCK],
				     const uint8_t token[TW_CRYPTO_BLOCK]);

/**
 * The optional per-SID key of the base variant: TestAESKey (16) |
 * TestHMACKey (32) = prf+(secret, SID) with the IKE SA's PRF, in place of
 * tw_crypto_test_keys().
 *
 * @return 0, -TW_PROTO_E_INVAL or -TW_PROTO_E_CRYPTO.
 */
int tw_crypto_draft_sid_keys(enum tw_crypto_prf prf, const uint8_t *secret,
			     size_t secret_len, const uint8_t sid[16],
			     struct tw_crypto_session_keys *test);

/**
 * Alternative 2 session keys from one Child SA direction (the client ->
 * server SA): AES Session-key = its AES-128 key (ENCR_AES_CBC 12 with 16
 * octets, or ENCR_AES_CTR 13 with 16 + 4 nonce octets, nonce dropped);
 * HMAC Session-key = its integrity key (AUTH_HMAC_SHA1_96 2, 20 octets;
 * AUTH_AES_XCBC_96 5, 16; AUTH_HMAC_SHA2_256_128 12, 32) zero-extended to
 * 32 octets. Transform IDs are IANA's (RFC 7296 §3.3.2).
 *
 * @return 0, -TW_PROTO_E_RANGE (another cipher or key size, an AEAD or
 *         a longer integrity key: the SA cannot key Alternative 2) or
 *         -TW_PROTO_E_INVAL (NULL).
 */
int tw_crypto_draft_alt2_keys(uint16_t encr, const uint8_t *encr_key,
			      size_t encr_key_len, uint16_t integ,
			      const uint8_t *integ_key, size_t integ_key_len,
			      struct tw_crypto_session_keys *out);

#ifdef __cplusplus
}
#endif

#endif /* TW_CRYPTO_H */
