/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/crypto unit tests: RFC known answers, self-check vectors for the
 * TWAMP chain (no official ones exist), round trips, tamper tests and
 * intel-ipsec-mb against OpenSSL.
 *
 * Self-check vectors ("python reference") were computed independently with
 * /usr/bin/python3 and the `cryptography` module (hashlib/hmac for PBKDF2
 * and HMAC); the script is tests/unit/crypto/selfcheck_ref.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/hmac.h>

#include "crypto_priv.h"
#include "tw_crypto.h"

#include "rfc_vectors.h"
#include "draft_vectors.h"

/* ---- helpers ---- */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (hex[0] != '\0') {
		unsigned v;

		if (hex[0] == ' ') {
			hex++;
			continue;
		}
		assert_true(n < cap);
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

static void assert_hex(const uint8_t *got, const char *hex)
{
	uint8_t want[512];
	size_t n = unhex(hex, want, sizeof(want));

	assert_memory_equal(got, want, n);
}

static void fill(uint8_t *p, size_t n, unsigned mul, unsigned add)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * mul + add);
}

/* ---- secrets and randomness ---- */

static void test_wipe(void **state)
{
	uint8_t buf[32];

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	tw_crypto_wipe(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	tw_crypto_wipe(NULL, 4); /* harmless */
}

static void test_memeq(void **state)
{
	uint8_t a[16] = { 1, 2, 3 }, b[16] = { 1, 2, 3 };

	(void)state;
	assert_true(tw_crypto_memeq(a, b, sizeof(a)));
	b[15] ^= 0x80;
	assert_false(tw_crypto_memeq(a, b, sizeof(a)));
	assert_true(tw_crypto_memeq(a, b, 15));
}

static void test_random(void **state)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 }, zero[32] = { 0 };

	(void)state;
	assert_int_equal(tw_crypto_random(a, sizeof(a)), 0);
	assert_int_equal(tw_crypto_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(tw_crypto_random(NULL, 0), 0);
	assert_int_equal(tw_crypto_random(NULL, 4), -TW_PROTO_E_INVAL);
}

/* ---- PBKDF2: RFC 6070 §2 ---- */

struct kat_pbkdf2 {
	const char *p;
	size_t p_len;
	const char *s;
	size_t s_len;
	uint32_t c;
	const char *dk;
};

static const struct kat_pbkdf2 kat_rfc6070[] = {
	{ "password", 8, "salt", 4, 1,
	  "0c60c80f961f0e71f3a9b524af6012062fe037a6" },
	{ "password", 8, "salt", 4, 2,
	  "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957" },
	{ "password", 8, "salt", 4, 4096,
	  "4b007901b765489abead49d926f721d065a429c1" },
	{ "passwordPASSWORDpassword", 24,
	  "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36, 4096,
	  "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038" },
	{ "pass\0word", 9, "sa\0lt", 5, 4096,
	  "56fa6aa75548099dcc37d7f03425e0c3" },
	/* 16777216 iterations: run only with TW_TEST_SLOW=1 */
	{ "password", 8, "salt", 4, 16777216,
	  "eefe3d61cd4da4e4e9945b3d6ba2158c2634e984" },
};

static void test_pbkdf2_rfc6070(void **state)
{
	const struct kat_pbkdf2 *v = *state;
	uint8_t want[64], got[64];
	size_t n = unhex(v->dk, want, sizeof(want));

	if (v->c > 100000 && getenv("TW_TEST_SLOW") == NULL)
		skip();
	assert_int_equal(tw_crypto_pbkdf2_sha1(v->p, v->p_len,
					       (const uint8_t *)v->s, v->s_len,
					       v->c, got, n), 0);
	assert_memory_equal(got, want, n);
}

static void test_pbkdf2_inval(void **state)
{
	uint8_t out[16];

	(void)state;
	assert_int_equal(tw_crypto_pbkdf2_sha1("p", 1, (const uint8_t *)"s", 1,
					       0, out, 16), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_pbkdf2_sha1("p", 1, (const uint8_t *)"s", 1,
					       1, out, 0), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_pbkdf2_sha1(NULL, 3, (const uint8_t *)"s",
					       1, 1, out, 16), -TW_PROTO_E_INVAL);
	/* empty password and salt are legal inputs */
	assert_int_equal(tw_crypto_pbkdf2_sha1(NULL, 0, NULL, 0, 1, out, 16),
			 0);
}

/* ---- HMAC-SHA1: RFC 2202 §3 (through PRF_HMAC_SHA1) ---- */

struct kat_hmac1 {
	const char *key; /* hex */
	const char *data;
	size_t data_len;
	const char *mac;
};

static const struct kat_hmac1 kat_rfc2202[] = {
	{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", 8,
	  "b617318655057264e28bc0b6fb378c8ef146be00" },
	{ "4a656665", "what do ya want for nothing?", 28,
	  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, 50,
	  "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
	{ "0102030405060708090a0b0c0d0e0f10111213141516171819", NULL, 50,
	  "4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
	{ "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "Test With Truncation",
	  20, "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
	{ NULL, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
	  "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
	{ NULL,
	  "Test Using Larger Than Block-Size Key and Larger Than One "
	  "Block-Size Data", 73,
	  "e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },
};

static void test_hmac_sha1_rfc2202(void **state)
{
	const struct kat_hmac1 *v = *state;
	uint8_t key[80], data[80], out[TW_CRYPTO_PRF_MAX];
	size_t kl;
	int idx = (int)(v - kat_rfc2202);

	if (v->key != NULL) {
		kl = unhex(v->key, key, sizeof(key));
	} else {
		kl = 80;
		memset(key, 0xaa, kl);
	}
	if (v->data != NULL)
		memcpy(data, v->data, v->data_len);
	else
		memset(data, idx == 2 ? 0xdd : 0xcd, v->data_len);
	assert_int_equal(tw_crypto_prf(TW_CRYPTO_PRF_HMAC_SHA1, key, kl, data,
				       v->data_len, out), 20);
	assert_hex(out, v->mac);
}

/* ---- HMAC-SHA-2: RFC 4231 §4 and RFC 4868 §2.7 ---- */

static void test_hmac_sha2_kat(void **state)
{
	const struct kat_mac *v = *state;
	uint8_t out[TW_CRYPTO_PRF_MAX];
	int n = tw_crypto_prf((enum tw_crypto_prf)v->prf,
			      (const uint8_t *)v->key, v->key_len,
			      (const uint8_t *)v->data, v->data_len, out);

	assert_int_equal(n, tw_crypto_prf_len((enum tw_crypto_prf)v->prf));
	/* truncated vectors (RFC 4231 case 5, RFC 4868 AUTH) are prefixes */
	assert_memory_equal(out, v->mac, v->mac_len);
}

/* RFC 4231 case 5 through the STAMP HMAC-SHA-256/128 path. */
static void test_stamp_mac_rfc4231_case5(void **state)
{
	uint8_t key[20], mac[16];
	struct tw_crypto_stamp *s;

	(void)state;
	memset(key, 0x0c, sizeof(key));
	s = tw_crypto_stamp_create(key, sizeof(key));
	assert_non_null(s);
	assert_int_equal(tw_crypto_stamp_mac(s, (const uint8_t *)"Test With ",
					     10, (const uint8_t *)"Truncation",
					     10, mac), 0);
	assert_hex(mac, "a3b6167473100ee06e0c796c2955552b");
	tw_crypto_stamp_destroy(s);
}

/* RFC 4868 AUTH256 vectors through the STAMP path (HMAC-SHA-256-128). */
static void test_stamp_mac_rfc4868(void **state)
{
	for (size_t i = 0; i < sizeof(kat_rfc4868_auth) /
				sizeof(kat_rfc4868_auth[0]); i++) {
		const struct kat_mac *v = &kat_rfc4868_auth[i];
		struct tw_crypto_stamp *s;
		uint8_t mac[16];

		if (v->prf != TW_CRYPTO_PRF_HMAC_SHA2_256)
			continue;
		s = tw_crypto_stamp_create(v->key, v->key_len);
		assert_non_null(s);
		assert_int_equal(tw_crypto_stamp_mac(s, (const uint8_t *)v->data,
						     v->data_len, NULL, 0, mac),
				 0);
		assert_memory_equal(mac, v->mac, 16);
		tw_crypto_stamp_destroy(s);
	}
	(void)state;
}

/* ---- raw AES-128-CBC: RFC 3602 §4 cases 1-4 ---- */

static void test_aes_cbc_rfc3602(void **state)
{
	const struct kat_cbc *v = *state;
	uint8_t out[64], back[64];

	assert_int_equal(tw_aes128(EVP_aes_128_cbc(), 1,
				   (const uint8_t *)v->key,
				   (const uint8_t *)v->iv,
				   (const uint8_t *)v->pt, out, v->pt_len), 0);
	assert_memory_equal(out, v->ct, v->ct_len);
	assert_int_equal(tw_aes128(EVP_aes_128_cbc(), 0,
				   (const uint8_t *)v->key,
				   (const uint8_t *)v->iv, out, back,
				   v->ct_len), 0);
	assert_memory_equal(back, v->pt, v->pt_len);
}

static void test_aes_cbc_bad_length(void **state)
{
	uint8_t k[16] = { 0 }, b[17] = { 0 };

	(void)state;
	assert_int_equal(tw_aes128(EVP_aes_128_cbc(), 1, k, NULL, b, b, 17),
			 -TW_PROTO_E_LENGTH);
}

/* ---- Count and token key: RFC 4656 §3.1, RFC 5357 §6 ---- */

static void test_count_check(void **state)
{
	(void)state;
	assert_int_equal(tw_crypto_count_check(1024, TW_CRYPTO_COUNT_CAP), 0);
	assert_int_equal(tw_crypto_count_check(32768, TW_CRYPTO_COUNT_CAP), 0);
	assert_int_equal(tw_crypto_count_check(2048, 0), 0);
	assert_int_equal(tw_crypto_count_check(1u << 31, 0), 0);
	assert_int_equal(tw_crypto_count_check(512, 0), -TW_PROTO_E_COUNT);
	assert_int_equal(tw_crypto_count_check(0, 0), -TW_PROTO_E_COUNT);
	assert_int_equal(tw_crypto_count_check(1023, 0), -TW_PROTO_E_COUNT);
	assert_int_equal(tw_crypto_count_check(3072, 0), -TW_PROTO_E_COUNT);
	assert_int_equal(tw_crypto_count_check(65536, TW_CRYPTO_COUNT_CAP),
			 -TW_PROTO_E_RANGE);
}

/* python reference: pbkdf2_hmac('sha1', secret, 00..0f, 1024, 16) */
static const char secret[] = "twamp-dp test secret";
#define TOKEN_KEY_HEX "ec77c38b4df23cd89f3b0fe490832606"

static void test_token_key_vector(void **state)
{
	uint8_t salt[16], key[16];

	(void)state;
	fill(salt, 16, 1, 0);
	assert_int_equal(tw_crypto_token_key(secret, strlen(secret), salt, 1024,
					     TW_CRYPTO_COUNT_CAP, key), 0);
	assert_hex(key, TOKEN_KEY_HEX);
}

static void test_token_key_bad_count(void **state)
{
	uint8_t salt[16] = { 0 }, key[16];

	(void)state;
	assert_int_equal(tw_crypto_token_key(secret, 5, salt, 1000, 0, key),
			 -TW_PROTO_E_COUNT);
	assert_int_equal(tw_crypto_token_key(secret, 5, salt, 65536,
					     TW_CRYPTO_COUNT_CAP, key),
			 -TW_PROTO_E_RANGE);
}

/* Fixed control keys shared by the self-check vectors below. */
static void ctrl_keys(struct tw_crypto_session_keys *sk, uint8_t chal[16])
{
	fill(chal, 16, 1, 0x10);
	fill(sk->aes, 16, 1, 0x20);
	fill(sk->hmac, 32, 1, 0x40);
}

/* python reference: AES-128-CBC(K, IV 0, chal | aes | hmac) */
#define TOKEN_HEX                                                              \
	"3a830aa12ccd0cc6ce97d6ea81affb16c1feb44f683ceb28be54a245fb51c98f"     \
	"dee803c19b74e8c1d362c2155f0635ae06f3212098fdc977e6d77b895a37bc41"

static void test_token_encrypt_vector(void **state)
{
	struct tw_crypto_session_keys sk;
	uint8_t chal[16], key[16], tok[64];

	(void)state;
	ctrl_keys(&sk, chal);
	unhex(TOKEN_KEY_HEX, key, 16);
	assert_int_equal(tw_crypto_token_encrypt(key, chal, &sk, tok), 0);
	assert_hex(tok, TOKEN_HEX);
}

static void test_token_round_trip(void **state)
{
	struct tw_crypto_session_keys sk, got;
	uint8_t chal[16], key[16], tok[64];

	(void)state;
	ctrl_keys(&sk, chal);
	assert_int_equal(tw_crypto_random(key, 16), 0);
	assert_int_equal(tw_crypto_token_encrypt(key, chal, &sk, tok), 0);
	assert_int_equal(tw_crypto_token_decrypt(key, chal, tok, &got), 0);
	assert_memory_equal(&got, &sk, sizeof(sk));
}

static void test_token_wrong_key(void **state)
{
	struct tw_crypto_session_keys sk, got;
	uint8_t chal[16], key[16], tok[64];

	(void)state;
	ctrl_keys(&sk, chal);
	unhex(TOKEN_HEX, tok, 64);
	unhex(TOKEN_KEY_HEX, key, 16);
	key[0] ^= 1;
	memset(&got, 0x77, sizeof(got));
	assert_int_equal(tw_crypto_token_decrypt(key, chal, tok, &got),
			 -TW_PROTO_E_TOKEN);
	/* nothing leaks into the output on failure */
	for (size_t i = 0; i < sizeof(got.aes); i++)
		assert_int_equal(got.aes[i], 0x77);
}

static void test_token_wrong_challenge(void **state)
{
	struct tw_crypto_session_keys sk, got;
	uint8_t chal[16], key[16], tok[64];

	(void)state;
	ctrl_keys(&sk, chal);
	unhex(TOKEN_HEX, tok, 64);
	unhex(TOKEN_KEY_HEX, key, 16);
	chal[15] ^= 0x01;
	assert_int_equal(tw_crypto_token_decrypt(key, chal, tok, &got),
			 -TW_PROTO_E_TOKEN);
}

/* ---- control streams: RFC 4656 §3.2, RFC 5357 §3.2 ---- */

struct ctrl_pair {
	struct tw_crypto_ctrl *client, *server;
	struct tw_crypto_session_keys sk;
};

static int ctrl_setup(void **state)
{
	struct ctrl_pair *p = calloc(1, sizeof(*p));
	uint8_t chal[16], civ[16], siv[16];

	ctrl_keys(&p->sk, chal);
	fill(civ, 16, 1, 0x60);
	fill(siv, 16, 1, 0x70);
	p->client = tw_crypto_ctrl_create(TW_CRYPTO_CLIENT, &p->sk, civ, siv);
	p->server = tw_crypto_ctrl_create(TW_CRYPTO_SERVER, &p->sk, civ, siv);
	if (p->client == NULL || p->server == NULL)
		return -1;
	*state = p;
	return 0;
}

static int ctrl_teardown(void **state)
{
	struct ctrl_pair *p = *state;

	tw_crypto_ctrl_destroy(p->client);
	tw_crypto_ctrl_destroy(p->server);
	free(p);
	return 0;
}

static void server_start_msg(uint8_t ss[48])
{
	uint8_t siv[16];

	fill(siv, 16, 1, 0x70);
	memset(ss, 0, 48);
	memcpy(ss + 16, siv, 16);
	unhex("e5b1c2d300010000", ss + 32, 8);
}

static void accept_msg(uint8_t acc[48])
{
	memset(acc, 0, 48);
	acc[2] = 0x13;
	acc[3] = 0x88;
	fill(acc + 4, 16, 1, 0xa0);
}

/*
 * python reference: S2C = AES-CBC(aes, IV Server-IV) over Server-Start
 * octets 32-47 then Accept-Session whose HMAC covers those 16 octets and
 * Accept octets 0-31.
 */
#define SS_CT_HEX "04858914e83f54cf4bb09ed20642d6b3"
#define ACCEPT_CT_HEX                                                          \
	"cfe49175b9ede3a320624dbee7261cc4ff62d0d278c95880e2e919760e3472ec"     \
	"101aacd8eb7acfe59f6601640bc70031"

static void test_ctrl_server_start_accept_vector(void **state)
{
	struct ctrl_pair *p = *state;
	uint8_t ss[48], acc[48], head[32];

	server_start_msg(ss);
	memcpy(head, ss, 32);
	accept_msg(acc);
	assert_int_equal(tw_crypto_ctrl_server_start(p->server, ss, 48), 0);
	assert_memory_equal(ss, head, 32); /* octets 0-31 stay in clear */
	assert_hex(ss + 32, SS_CT_HEX);
	assert_int_equal(tw_crypto_ctrl_seal(p->server, acc, 48), 0);
	assert_hex(acc, ACCEPT_CT_HEX);

	/* the client decrypts both and the HMAC checks */
	assert_int_equal(tw_crypto_ctrl_server_start(p->client, ss, 48), 0);
	assert_hex(ss + 32, "e5b1c2d30001000000000000 00000000");
	assert_int_equal(tw_crypto_ctrl_open(p->client, acc, 48), 0);
	assert_int_equal(acc[3], 0x88);
	assert_int_equal(acc[4], 0xa0);
}

/* python reference: C2S = AES-CBC(aes, IV Client-IV), Request-TW-Session
 * (Command 5, IPVN 4, ports 5001/5000) then Start-Sessions. */
#define REQUEST_CT_HEX                                                         \
	"470419be4ac7cd90fa31ca03f017ab6d97c39bee4f9ad84f5729698f2d489858"     \
	"0d3e92203e46961f56d2ca9dfd731a3c94f4b8f7b33f55792cd4c38823b60210"     \
	"b6cbc7b7ac1e1974d2ac022fe6889c8b4c1bc0f4651b4c9dbe7f53090bb398a1"     \
	"6080dcbf904101cd9faa4f93563a2be6"
#define START_CT_HEX                                                           \
	"7af3c35066c4a7d111a4dc5d666d48412ef994d37867f7b68012476c2988085c"

static void request_msg(uint8_t req[112])
{
	memset(req, 0, 112);
	req[0] = 5;
	req[1] = 4;
	req[12] = 0x13;
	req[13] = 0x89;
	req[14] = 0x13;
	req[15] = 0x88;
}

static void test_ctrl_client_request_vector(void **state)
{
	struct ctrl_pair *p = *state;
	uint8_t req[112], st[32];

	request_msg(req);
	memset(st, 0, sizeof(st));
	st[0] = 2;
	assert_int_equal(tw_crypto_ctrl_seal(p->client, req, 112), 0);
	assert_hex(req, REQUEST_CT_HEX);
	assert_int_equal(tw_crypto_ctrl_seal(p->client, st, 32), 0);
	assert_hex(st, START_CT_HEX);
}

/* The server reads one block, learns the command, then opens the rest. */
static void test_ctrl_open_split_command(void **state)
{
	struct ctrl_pair *p = *state;
	uint8_t req[112], want[112];

	request_msg(want);
	unhex(REQUEST_CT_HEX, req, sizeof(req));
	assert_int_equal(tw_crypto_ctrl_decrypt(p->server, req, 16), 0);
	assert_int_equal(req[0], 5);
	assert_int_equal(tw_crypto_ctrl_open(p->server, req + 16, 96), 0);
	assert_memory_equal(req, want, 96);
}

static void test_ctrl_many_messages(void **state)
{
	struct ctrl_pair *p = *state;
	uint8_t ss[48], msg[112], orig[112];

	server_start_msg(ss);
	assert_int_equal(tw_crypto_ctrl_server_start(p->server, ss, 48), 0);
	assert_int_equal(tw_crypto_ctrl_server_start(p->client, ss, 48), 0);
	for (unsigned i = 0; i < 20; i++) {
		size_t len = (i % 3 == 0) ? 112 : (i % 3 == 1 ? 48 : 32);
		bool c2s = i % 2 == 0;
		struct tw_crypto_ctrl *tx = c2s ? p->client : p->server;
		struct tw_crypto_ctrl *rx = c2s ? p->server : p->client;

		fill(orig, sizeof(orig), 13, i);
		memcpy(msg, orig, len);
		assert_int_equal(tw_crypto_ctrl_seal(tx, msg, len), 0);
		assert_memory_not_equal(msg, orig, len - 16);
		assert_int_equal(tw_crypto_ctrl_open(rx, msg, len), 0);
		assert_memory_equal(msg, orig, len - 16);
	}
}

/* Octets without an HMAC of their own are covered by the next HMAC. */
static void test_ctrl_encrypt_then_seal(void **state)
{
	struct ctrl_pair *p = *state;
	uint8_t part[32], msg[32], a[32], b[32];

	fill(part, 32, 3, 1);
	fill(msg, 32, 5, 2);
	memcpy(a, part, 32);
	memcpy(b, msg, 32);
	assert_int_equal(tw_crypto_ctrl_encrypt(p->client, a, 32), 0);
	assert_int_equal(tw_crypto_ctrl_seal(p->client, b, 32), 0);
	assert_int_equal(tw_crypto_ctrl_decrypt(p->server, a, 32), 0);
	assert_memory_equal(a, part, 32);
	assert_int_equal(tw_crypto_ctrl_open(p->server, b, 32), 0);
	assert_memory_equal(b, msg, 16);
}

static void test_ctrl_tamper_ciphertext(void **state)
{
	struct ctrl_pair *p = *state;
	uint8_t msg[48] = { 7 };

	assert_int_equal(tw_crypto_ctrl_seal(p->client, msg, 48), 0);
	msg[3] ^= 0x01;
	assert_int_equal(tw_crypto_ctrl_open(p->server, msg, 48),
			 -TW_PROTO_E_HMAC);
	/* the connection is dead: every later call fails */
	memset(msg, 0, sizeof(msg));
	assert_int_equal(tw_crypto_ctrl_open(p->server, msg, 48),
			 -TW_PROTO_E_HMAC);
	assert_int_equal(tw_crypto_ctrl_decrypt(p->server, msg, 16),
			 -TW_PROTO_E_HMAC);
}

static void test_ctrl_tamper_hmac(void **state)
{
	struct ctrl_pair *p = *state;
	uint8_t msg[32] = { 2 };

	assert_int_equal(tw_crypto_ctrl_seal(p->client, msg, 32), 0);
	msg[31] ^= 0x80;
	assert_int_equal(tw_crypto_ctrl_open(p->server, msg, 32),
			 -TW_PROTO_E_HMAC);
}

/* A changed Server-Start block fails the first Accept-Session's HMAC. */
static void test_ctrl_tamper_server_start(void **state)
{
	struct ctrl_pair *p = *state;
	uint8_t ss[48], acc[48];

	server_start_msg(ss);
	accept_msg(acc);
	assert_int_equal(tw_crypto_ctrl_server_start(p->server, ss, 48), 0);
	assert_int_equal(tw_crypto_ctrl_seal(p->server, acc, 48), 0);
	ss[40] ^= 0x04;
	assert_int_equal(tw_crypto_ctrl_server_start(p->client, ss, 48), 0);
	assert_int_equal(tw_crypto_ctrl_open(p->client, acc, 48),
			 -TW_PROTO_E_HMAC);
}

/* A client that skips the Server-Start block cannot open Accept-Session. */
static void test_ctrl_server_start_order(void **state)
{
	struct ctrl_pair *p = *state;
	uint8_t ss[48], acc[48] = { 0 };

	server_start_msg(ss);
	assert_int_equal(tw_crypto_ctrl_seal(p->server, acc, 48),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_ctrl_encrypt(p->server, acc, 16),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_ctrl_open(p->client, acc, 48),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_ctrl_decrypt(p->client, acc, 16),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_ctrl_server_start(p->server, ss, 47),
			 -TW_PROTO_E_LENGTH);
	assert_int_equal(tw_crypto_ctrl_server_start(p->server, ss, 48), 0);
	assert_int_equal(tw_crypto_ctrl_server_start(p->server, ss, 48),
			 -TW_PROTO_E_INVAL);
}

static void test_ctrl_bad_lengths(void **state)
{
	struct ctrl_pair *p = *state;
	uint8_t msg[64] = { 0 };

	assert_int_equal(tw_crypto_ctrl_seal(p->client, msg, 0),
			 -TW_PROTO_E_LENGTH);
	assert_int_equal(tw_crypto_ctrl_seal(p->client, msg, 33),
			 -TW_PROTO_E_LENGTH);
	assert_int_equal(tw_crypto_ctrl_open(p->server, msg, 8),
			 -TW_PROTO_E_LENGTH);
	assert_int_equal(tw_crypto_ctrl_seal(NULL, msg, 32), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_ctrl_seal(p->client, NULL, 32),
			 -TW_PROTO_E_INVAL);
	/* a length error does not disturb the stream */
	assert_int_equal(tw_crypto_ctrl_seal(p->client, msg, 32), 0);
	assert_int_equal(tw_crypto_ctrl_open(p->server, msg, 32), 0);
}

static void test_ctrl_create_inval(void **state)
{
	struct tw_crypto_session_keys sk = { { 0 }, { 0 } };
	uint8_t iv[16] = { 0 };

	(void)state;
	assert_null(tw_crypto_ctrl_create((enum tw_crypto_role)7, &sk, iv, iv));
	assert_null(tw_crypto_ctrl_create(TW_CRYPTO_CLIENT, NULL, iv, iv));
	tw_crypto_ctrl_destroy(NULL);
}

/* ---- test-session keys and packets ---- */

/* python reference: AES-ECB(SID, aes) and AES-CBC(SID, IV 0, hmac) with
 * SID = a0..af */
#define TEST_AES_HEX "f4ca09f8483d616df12d6e29a69087d8"
#define TEST_HMAC_HEX                                                          \
	"d5c5abd27f58e6a9b0319068311344d8e9d44fd174ae738e3cbaa517ab379383"

static void test_keys(struct tw_crypto_session_keys *tk)
{
	struct tw_crypto_session_keys sk;
	uint8_t chal[16], sid[16];

	ctrl_keys(&sk, chal);
	fill(sid, 16, 1, 0xa0);
	assert_int_equal(tw_crypto_test_keys(&sk, sid, tk), 0);
}

static void test_test_keys_vector(void **state)
{
	struct tw_crypto_session_keys tk;

	(void)state;
	test_keys(&tk);
	assert_hex(tk.aes, TEST_AES_HEX);
	assert_hex(tk.hmac, TEST_HMAC_HEX);
}

/*
 * python reference: plaintext octet i = 7i + 3, HMAC field zero;
 * HMAC-SHA1/128(TestHMACKey, covered) then AES-CBC IV 0 over covered.
 */
struct pkt_case {
	const char *name;
	enum tw_crypto_impl impl;
	enum tw_crypto_test_mode mode;
	enum tw_crypto_pkt kind;
	size_t len, cover, hoff;
	const char *hex;
};

#define SND_AUTH                                                               \
	"fd79cae4df398327e6fb716040f91d6a737a81888f969da4abb2b9c0c7ced5dc"     \
	"fc0a2d85122c0a2f32a22915b9fa0b6f"
#define SND_ENC                                                                \
	"fd79cae4df398327e6fb716040f91d6abfe535c7cd8537fde33bf7f6b1e8bcfb"     \
	"a5c2db8105374bceccb415478a663147"
#define REF_AUTH                                                               \
	"fd79cae4df398327e6fb716040f91d6a737a81888f969da4abb2b9c0c7ced5dc"     \
	"e3eaf1f8ff060d141b222930373e454c535a61686f767d848b9299a0a7aeb5bc"     \
	"c3cad1d8dfe6edf4fb020910171e252c333a41484f565d646b727980878e959c"     \
	"fc0a2d85122c0a2f32a22915b9fa0b6f"
#define REF_ENC                                                                \
	"fd79cae4df398327e6fb716040f91d6abfe535c7cd8537fde33bf7f6b1e8bcfb"     \
	"9dbc8d6d1442aabc5c076441dfa003656eb0235bd2af09bb86e28dcb59e255be"     \
	"41f12df84cbee2cc317b373e8e917ca4ce0287acb4d54dda3f091c7b7473d534"     \
	"916799961aa0ba8649fe0cdc75a02f72"

#define PKT_CASES(impl, tag)                                                   \
	{ "sender auth " tag, impl, TW_CRYPTO_TEST_AUTH, TW_CRYPTO_PKT_SENDER, \
	  48, 16, 32, SND_AUTH },                                              \
	{ "sender enc " tag, impl, TW_CRYPTO_TEST_ENC, TW_CRYPTO_PKT_SENDER,   \
	  48, 32, 32, SND_ENC },                                               \
	{ "reflector auth " tag, impl, TW_CRYPTO_TEST_AUTH,                    \
	  TW_CRYPTO_PKT_REFLECTOR, 112, 16, 96, REF_AUTH },                    \
	{ "reflector enc " tag, impl, TW_CRYPTO_TEST_ENC,                      \
	  TW_CRYPTO_PKT_REFLECTOR, 112, 96, 96, REF_ENC }

static const struct pkt_case pkt_cases[] = {
	PKT_CASES(TW_CRYPTO_IMPL_IMB, "imb"),
	PKT_CASES(TW_CRYPTO_IMPL_OPENSSL, "openssl"),
	PKT_CASES(TW_CRYPTO_IMPL_NATIVE, "native"),
};

struct pkt_env {
	const struct pkt_case *c;
	struct tw_crypto_engine *e;
	struct tw_crypto_test *t;
};

static int pkt_setup(void **state)
{
	const struct pkt_case *c = *state;
	struct pkt_env *env = calloc(1, sizeof(*env));
	struct tw_crypto_session_keys tk;

	test_keys(&tk);
	env->c = c;
	env->e = tw_crypto_engine_create(c->impl);
	if (env->e == NULL)
		return -1;
	env->t = tw_crypto_test_create(env->e, c->mode, &tk);
	if (env->t == NULL)
		return -1;
	*state = env;
	return 0;
}

static int pkt_teardown(void **state)
{
	struct pkt_env *env = *state;

	tw_crypto_test_destroy(env->t);
	tw_crypto_engine_destroy(env->e);
	free(env);
	return 0;
}

static void plain_pkt(const struct pkt_case *c, uint8_t *p)
{
	fill(p, c->len, 7, 3);
	memset(p + c->hoff, 0, 16);
}

static void test_pkt_vector(void **state)
{
	struct pkt_env *env = *state;
	uint8_t p[128];

	plain_pkt(env->c, p);
	assert_int_equal(tw_crypto_test_protect(env->e, env->t, env->c->kind,
						p, env->c->len), 0);
	assert_hex(p, env->c->hex);
}

static void test_pkt_round_trip(void **state)
{
	struct pkt_env *env = *state;
	uint8_t p[160], orig[160];
	size_t len = env->c->len + 27; /* with padding */

	fill(orig, len, 11, 5);
	memcpy(p, orig, len);
	assert_int_equal(tw_crypto_test_protect(env->e, env->t, env->c->kind,
						p, len), 0);
	/* padding is neither encrypted nor covered */
	assert_memory_equal(p + env->c->hoff + 16, orig + env->c->hoff + 16,
			    len - env->c->hoff - 16);
	assert_memory_not_equal(p, orig, env->c->cover);
	assert_int_equal(tw_crypto_test_verify(env->e, env->t, env->c->kind, p,
					       len), 0);
	assert_memory_equal(p, orig, env->c->hoff);
	assert_memory_equal(p + env->c->hoff + 16, orig + env->c->hoff + 16,
			    len - env->c->hoff - 16);
}

static void tamper_at(struct pkt_env *env, size_t off, int want)
{
	uint8_t p[128], before[128];

	plain_pkt(env->c, p);
	assert_int_equal(tw_crypto_test_protect(env->e, env->t, env->c->kind,
						p, env->c->len), 0);
	p[off] ^= 0x10;
	memcpy(before, p, env->c->len);
	assert_int_equal(tw_crypto_test_verify(env->e, env->t, env->c->kind, p,
					       env->c->len), want);
	if (want != 0) /* failure leaves the packet as it was */
		assert_memory_equal(p, before, env->c->len);
}

static void test_pkt_tamper_ciphertext(void **state)
{
	tamper_at(*state, 1, -TW_PROTO_E_HMAC);
}

static void test_pkt_tamper_last_covered(void **state)
{
	struct pkt_env *env = *state;

	tamper_at(env, env->c->cover - 1, -TW_PROTO_E_HMAC);
}

static void test_pkt_tamper_hmac(void **state)
{
	struct pkt_env *env = *state;

	tamper_at(env, env->c->hoff + 15, -TW_PROTO_E_HMAC);
}

/* Octets after the covered region are not protected (auth mode: 16-31). */
static void test_pkt_uncovered_not_checked(void **state)
{
	struct pkt_env *env = *state;

	tamper_at(env, env->c->cover, 0);
}

static void test_pkt_wrong_key(void **state)
{
	struct pkt_env *env = *state;
	struct tw_crypto_session_keys tk;
	struct tw_crypto_test *other;
	uint8_t p[128];

	test_keys(&tk);
	tk.hmac[0] ^= 1;
	other = tw_crypto_test_create(env->e, env->c->mode, &tk);
	assert_non_null(other);
	plain_pkt(env->c, p);
	assert_int_equal(tw_crypto_test_protect(env->e, env->t, env->c->kind,
						p, env->c->len), 0);
	assert_int_equal(tw_crypto_test_verify(env->e, other, env->c->kind, p,
					       env->c->len), -TW_PROTO_E_HMAC);
	tw_crypto_test_destroy(other);
}

static void test_pkt_truncated(void **state)
{
	struct pkt_env *env = *state;
	uint8_t p[128] = { 0 };

	assert_int_equal(tw_crypto_test_protect(env->e, env->t, env->c->kind,
						p, env->c->len - 1),
			 -TW_PROTO_E_TRUNCATED);
	assert_int_equal(tw_crypto_test_verify(env->e, env->t, env->c->kind, p,
					       env->c->len - 1),
			 -TW_PROTO_E_TRUNCATED);
	assert_int_equal(tw_crypto_test_verify(env->e, env->t, env->c->kind, p,
					       0), -TW_PROTO_E_TRUNCATED);
}

/* A context made for one implementation is refused by the other. */
static void test_pkt_impl_mismatch(void **state)
{
	struct pkt_env *env = *state;
	enum tw_crypto_impl other = env->c->impl == TW_CRYPTO_IMPL_IMB
					    ? TW_CRYPTO_IMPL_NATIVE
					    : TW_CRYPTO_IMPL_IMB;
	struct tw_crypto_engine *e2 = tw_crypto_engine_create(other);
	uint8_t p[128] = { 0 };

	assert_non_null(e2);
	assert_int_equal(tw_crypto_test_protect(e2, env->t, env->c->kind, p,
						env->c->len), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_test_protect(env->e, env->t,
						(enum tw_crypto_pkt)9, p,
						env->c->len), -TW_PROTO_E_INVAL);
	tw_crypto_engine_destroy(e2);
}

/* ---- bursts and IMB == OpenSSL ---- */

#define NB 32

struct burst_env {
	struct tw_crypto_engine *imb, *ossl, *nat;
	struct tw_crypto_test *ti[4], *to[4], *tn[4]; /* 4 sessions */
};

static int burst_setup(void **state)
{
	struct burst_env *b = calloc(1, sizeof(*b));
	struct tw_crypto_session_keys tk;

	b->imb = tw_crypto_engine_create(TW_CRYPTO_IMPL_IMB);
	b->ossl = tw_crypto_engine_create(TW_CRYPTO_IMPL_OPENSSL);
	b->nat = tw_crypto_engine_create(TW_CRYPTO_IMPL_NATIVE);
	if (b->imb == NULL || b->ossl == NULL || b->nat == NULL)
		return -1;
	for (int s = 0; s < 4; s++) {
		enum tw_crypto_test_mode m = s % 2 ? TW_CRYPTO_TEST_ENC
						   : TW_CRYPTO_TEST_AUTH;

		if (tw_crypto_random(&tk, sizeof(tk)) != 0)
			return -1;
		b->ti[s] = tw_crypto_test_create(b->imb, m, &tk);
		b->to[s] = tw_crypto_test_create(b->ossl, m, &tk);
		b->tn[s] = tw_crypto_test_create(b->nat, m, &tk);
		if (b->ti[s] == NULL || b->to[s] == NULL || b->tn[s] == NULL)
			return -1;
	}
	*state = b;
	return 0;
}

static int burst_teardown(void **state)
{
	struct burst_env *b = *state;

	for (int s = 0; s < 4; s++) {
		tw_crypto_test_destroy(b->ti[s]);
		tw_crypto_test_destroy(b->to[s]);
		tw_crypto_test_destroy(b->tn[s]);
	}
	tw_crypto_engine_destroy(b->nat);
	tw_crypto_engine_destroy(b->imb);
	tw_crypto_engine_destroy(b->ossl);
	free(b);
	return 0;
}

static void burst_same_octets(struct burst_env *b, enum tw_crypto_pkt kind)
{
	static uint8_t bi[NB][256], bo[NB][256], orig[NB][256];
	const struct tw_crypto_test *ti[NB], *to[NB];
	uint8_t *pi[NB], *po[NB];
	uint16_t lens[NB];
	int ri[NB], ro[NB];
	size_t min = kind == TW_CRYPTO_PKT_SENDER ? 48 : 112;

	for (int i = 0; i < NB; i++) {
		lens[i] = (uint16_t)(min + (size_t)(i * 7) % 100);
		assert_int_equal(tw_crypto_random(orig[i], lens[i]), 0);
		memcpy(bi[i], orig[i], lens[i]);
		memcpy(bo[i], orig[i], lens[i]);
		pi[i] = bi[i];
		po[i] = bo[i];
		ti[i] = b->ti[i % 4];
		to[i] = b->to[i % 4];
	}
	assert_int_equal(tw_crypto_test_protect_burst(b->imb, ti, kind, pi,
						      lens, NB, ri), NB);
	assert_int_equal(tw_crypto_test_protect_burst(b->ossl, to, kind, po,
						      lens, NB, ro), NB);
	for (int i = 0; i < NB; i++) {
		assert_int_equal(ri[i], 0);
		assert_memory_equal(bi[i], bo[i], lens[i]);
	}
	/* the native engine gives the same octets and accepts them */
	{
		static uint8_t bn[NB][256];
		const struct tw_crypto_test *tn[NB];
		uint8_t *pn[NB];
		int rn[NB];

		for (int i = 0; i < NB; i++) {
			memcpy(bn[i], orig[i], lens[i]);
			pn[i] = bn[i];
			tn[i] = b->tn[i % 4];
		}
		assert_int_equal(tw_crypto_test_protect_burst(b->nat, tn, kind,
							      pn, lens, NB, rn),
				 NB);
		for (int i = 0; i < NB; i++)
			assert_memory_equal(bn[i], bo[i], lens[i]);
		assert_int_equal(tw_crypto_test_verify_burst(b->nat, tn, kind,
							     pn, lens, NB, rn),
				 NB);
		for (int i = 0; i < NB; i++) {
			size_t h = kind == TW_CRYPTO_PKT_SENDER ? 32 : 96;

			assert_memory_equal(bn[i], orig[i], h);
			assert_memory_equal(bn[i] + h + 16, orig[i] + h + 16,
					    lens[i] - h - 16);
		}
	}
	/* each verifies the other's output; corrupt packet 5 */
	bi[5][0] ^= 1;
	assert_int_equal(tw_crypto_test_verify_burst(b->imb, ti, kind, po,
						     lens, NB, ri), NB);
	assert_int_equal(tw_crypto_test_verify_burst(b->ossl, to, kind, pi,
						     lens, NB, ro), NB - 1);
	for (int i = 0; i < NB; i++) {
		size_t hoff = kind == TW_CRYPTO_PKT_SENDER ? 32 : 96;

		assert_int_equal(ri[i], 0);
		assert_int_equal(ro[i], i == 5 ? -TW_PROTO_E_HMAC : 0);
		assert_memory_equal(bo[i], orig[i], hoff);
		if (i != 5)
			assert_memory_equal(bi[i], orig[i], hoff);
	}
}

static void test_burst_sender_engines_agree(void **state)
{
	burst_same_octets(*state, TW_CRYPTO_PKT_SENDER);
}

static void test_burst_reflector_engines_agree(void **state)
{
	burst_same_octets(*state, TW_CRYPTO_PKT_REFLECTOR);
}

/*
 * Native bursts run packets of one layout through the interleaved code
 * (four lanes, then two, then one): same octets as OpenSSL, and a bad
 * packet in a group fails alone.
 */
static void native_pairs(enum tw_crypto_test_mode m, enum tw_crypto_pkt kind)
{
	enum { NP = 7 }; /* a quad, a pair and a single */
	struct tw_crypto_engine *en = tw_crypto_engine_create(
		TW_CRYPTO_IMPL_NATIVE);
	struct tw_crypto_engine *eo = tw_crypto_engine_create(
		TW_CRYPTO_IMPL_OPENSSL);
	struct tw_crypto_test *sn[3], *so[3];
	const struct tw_crypto_test *tn[NP], *to[NP];
	uint8_t a[NP][160], b[NP][160], orig[NP][160], bad[160], bad2[160];
	uint8_t *pa[NP], *pb[NP];
	uint16_t lens[NP];
	int ra[NP], rb[NP];
	size_t h = kind == TW_CRYPTO_PKT_SENDER ? 32 : 96;

	assert_non_null(en);
	assert_non_null(eo);
	for (int s = 0; s < 3; s++) {
		struct tw_crypto_session_keys tk;

		assert_int_equal(tw_crypto_random(&tk, sizeof(tk)), 0);
		sn[s] = tw_crypto_test_create(en, m, &tk);
		so[s] = tw_crypto_test_create(eo, m, &tk);
		assert_non_null(sn[s]);
		assert_non_null(so[s]);
	}
	for (int i = 0; i < NP; i++) {
		lens[i] = (uint16_t)(h + 16 + (size_t)i * 5);
		assert_int_equal(tw_crypto_random(orig[i], lens[i]), 0);
		memcpy(a[i], orig[i], lens[i]);
		memcpy(b[i], orig[i], lens[i]);
		pa[i] = a[i];
		pb[i] = b[i];
		tn[i] = sn[i % 3];
		to[i] = so[i % 3];
	}
	assert_int_equal(tw_crypto_test_protect_burst(en, tn, kind, pa, lens,
						      NP, ra), NP);
	assert_int_equal(tw_crypto_test_protect_burst(eo, to, kind, pb, lens,
						      NP, rb), NP);
	for (int i = 0; i < NP; i++)
		assert_memory_equal(a[i], b[i], lens[i]);
	a[3][h + 2] ^= 0x40; /* last packet of the quad */
	memcpy(bad, a[3], lens[3]);
	a[5][h + 15] ^= 0x01; /* second packet of the pair */
	memcpy(bad2, a[5], lens[5]);
	assert_int_equal(tw_crypto_test_verify_burst(en, tn, kind, pa, lens,
						     NP, ra), NP - 2);
	for (int i = 0; i < NP; i++) {
		assert_int_equal(ra[i], i == 3 || i == 5 ? -TW_PROTO_E_HMAC : 0);
		if (i == 3)
			assert_memory_equal(a[i], bad, lens[i]);
		else if (i == 5)
			assert_memory_equal(a[i], bad2, lens[i]);
		else
			assert_memory_equal(a[i], orig[i], h);
	}
	for (int s = 0; s < 3; s++) {
		tw_crypto_test_destroy(sn[s]);
		tw_crypto_test_destroy(so[s]);
	}
	tw_crypto_engine_destroy(en);
	tw_crypto_engine_destroy(eo);
}

static void test_native_pairs_sender_auth(void **state)
{
	(void)state;
	native_pairs(TW_CRYPTO_TEST_AUTH, TW_CRYPTO_PKT_SENDER);
}

static void test_native_pairs_sender_enc(void **state)
{
	(void)state;
	native_pairs(TW_CRYPTO_TEST_ENC, TW_CRYPTO_PKT_SENDER);
}

static void test_native_pairs_reflector_auth(void **state)
{
	(void)state;
	native_pairs(TW_CRYPTO_TEST_AUTH, TW_CRYPTO_PKT_REFLECTOR);
}

static void test_native_pairs_reflector_enc(void **state)
{
	(void)state;
	native_pairs(TW_CRYPTO_TEST_ENC, TW_CRYPTO_PKT_REFLECTOR);
}

static void test_burst_mixed_results(void **state)
{
	struct burst_env *b = *state;
	static uint8_t buf[4][128];
	const struct tw_crypto_test *t[4] = { b->ti[0], NULL, b->ti[1],
					      b->ti[2] };
	uint8_t *p[4] = { buf[0], buf[1], buf[2], buf[3] };
	uint16_t lens[4] = { 112, 112, 50, 112 };
	int r[4];

	assert_int_equal(tw_crypto_test_protect_burst(b->imb, t,
						      TW_CRYPTO_PKT_REFLECTOR,
						      p, lens, 4, r), 2);
	assert_int_equal(r[0], 0);
	assert_int_equal(r[1], -TW_PROTO_E_INVAL);
	assert_int_equal(r[2], -TW_PROTO_E_TRUNCATED);
	assert_int_equal(r[3], 0);
	assert_int_equal(tw_crypto_test_protect_burst(b->imb, t,
						      TW_CRYPTO_PKT_REFLECTOR,
						      p, lens,
						      TW_CRYPTO_BURST_MAX + 1,
						      r), -TW_PROTO_E_INVAL);
}

static void test_engine_create_inval(void **state)
{
	struct tw_crypto_engine *e;
	struct tw_crypto_session_keys tk = { { 0 }, { 0 } };

	(void)state;
	assert_null(tw_crypto_engine_create((enum tw_crypto_impl)9));
	e = tw_crypto_engine_create(TW_CRYPTO_IMPL_BEST);
	assert_non_null(e);
	assert_true(tw_crypto_engine_impl(e) == TW_CRYPTO_IMPL_NATIVE ||
		    tw_crypto_engine_impl(e) == TW_CRYPTO_IMPL_IMB);
	tw_crypto_engine_destroy(e);
	e = tw_crypto_engine_create(TW_CRYPTO_IMPL_IMB);
	assert_non_null(e);
	assert_int_equal(tw_crypto_engine_impl(e), TW_CRYPTO_IMPL_IMB);
	assert_null(tw_crypto_test_create(e, (enum tw_crypto_test_mode)3, &tk));
	assert_null(tw_crypto_test_create(NULL, TW_CRYPTO_TEST_AUTH, &tk));
	tw_crypto_engine_destroy(e);
	tw_crypto_engine_destroy(NULL);
	tw_crypto_test_destroy(NULL);
}

/* ---- STAMP ---- */

/* python reference: HMAC-SHA-256(key c0..df, octets 5i+1 for i < 96)[:16] */
static void stamp_pkt(uint8_t p[112])
{
	fill(p, 96, 5, 1);
	memset(p + 96, 0, 16);
}

static struct tw_crypto_stamp *stamp_ctx(void)
{
	uint8_t key[32];

	fill(key, 32, 1, 0xc0);
	return tw_crypto_stamp_create(key, sizeof(key));
}

static void test_stamp_sign_vector(void **state)
{
	struct tw_crypto_stamp *s = stamp_ctx();
	uint8_t p[112];

	(void)state;
	stamp_pkt(p);
	assert_int_equal(tw_crypto_stamp_sign(s, p, 112), 0);
	assert_hex(p + 96, "142dc72cb58b602ae4a54cead804965c");
	assert_int_equal(tw_crypto_stamp_check(s, p, 112), 0);
	tw_crypto_stamp_destroy(s);
}

static void test_stamp_tamper(void **state)
{
	struct tw_crypto_stamp *s = stamp_ctx();
	uint8_t p[120];

	(void)state;
	stamp_pkt(p);
	assert_int_equal(tw_crypto_stamp_sign(s, p, 120), 0);
	p[95] ^= 1;
	assert_int_equal(tw_crypto_stamp_check(s, p, 120), -TW_PROTO_E_HMAC);
	p[95] ^= 1;
	p[100] ^= 1;
	assert_int_equal(tw_crypto_stamp_check(s, p, 120), -TW_PROTO_E_HMAC);
	p[100] ^= 1;
	p[115] ^= 1; /* beyond the HMAC: not covered */
	assert_int_equal(tw_crypto_stamp_check(s, p, 120), 0);
	assert_int_equal(tw_crypto_stamp_check(s, p, 111),
			 -TW_PROTO_E_TRUNCATED);
	assert_int_equal(tw_crypto_stamp_sign(s, p, 100),
			 -TW_PROTO_E_TRUNCATED);
	tw_crypto_stamp_destroy(s);
}

/* RFC 8972 §4.8: HMAC over Sequence Number | TLVs before the HMAC TLV. */
static void test_stamp_tlv(void **state)
{
	struct tw_crypto_stamp *s = stamp_ctx();
	uint8_t p[44 + 8 + 20], mac[16];
	const size_t tlv = 44, htlv = 52;

	(void)state;
	fill(p, sizeof(p), 3, 9);
	p[htlv] = 0;
	p[htlv + 1] = 8;
	p[htlv + 2] = 0;
	p[htlv + 3] = 16;
	assert_int_equal(tw_crypto_stamp_tlv_sign(s, p, sizeof(p), tlv, htlv),
			 0);
	assert_int_equal(tw_crypto_stamp_mac(s, p, 4, p + tlv, 8, mac), 0);
	assert_memory_equal(mac, p + htlv + 4, 16);
	assert_int_equal(tw_crypto_stamp_tlv_check(s, p, sizeof(p), tlv, htlv),
			 0);
	/* octets 4..43 of the base packet are not in this HMAC */
	p[10] ^= 1;
	assert_int_equal(tw_crypto_stamp_tlv_check(s, p, sizeof(p), tlv, htlv),
			 0);
	p[2] ^= 1; /* Sequence Number */
	assert_int_equal(tw_crypto_stamp_tlv_check(s, p, sizeof(p), tlv, htlv),
			 -TW_PROTO_E_HMAC);
	p[2] ^= 1;
	p[47] ^= 1; /* a preceding TLV */
	assert_int_equal(tw_crypto_stamp_tlv_check(s, p, sizeof(p), tlv, htlv),
			 -TW_PROTO_E_HMAC);
	assert_int_equal(tw_crypto_stamp_tlv_check(s, p, sizeof(p) - 1, tlv,
						   htlv), -TW_PROTO_E_TRUNCATED);
	assert_int_equal(tw_crypto_stamp_tlv_check(s, p, sizeof(p), htlv + 1,
						   htlv), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_stamp_tlv_sign(s, p, sizeof(p), 2, htlv),
			 -TW_PROTO_E_INVAL);
	tw_crypto_stamp_destroy(s);
}

/* The STAMP MAC (SHA-NI where available) equals OpenSSL's HMAC-SHA-256
 * for every split of the input and key lengths around the block size. */
static void test_stamp_mac_equals_openssl(void **state)
{
	static const size_t klens[] = { 1, 20, 32, 63, 64, 65, 131 };
	uint8_t key[131], msg[300], joined[300], a[32], b[64];

	(void)state;
	assert_int_equal(tw_crypto_random(key, sizeof(key)), 0);
	assert_int_equal(tw_crypto_random(msg, sizeof(msg)), 0);
	for (size_t k = 0; k < sizeof(klens) / sizeof(klens[0]); k++) {
		struct tw_crypto_stamp *s =
			tw_crypto_stamp_create(key, klens[k]);

		assert_non_null(s);
		for (size_t len = 0; len <= 200; len++) {
			for (size_t cut = 0; cut <= len; cut += 5) {
				memcpy(joined, msg, len);
				assert_int_equal(tw_crypto_stamp_mac(s, msg, cut,
								     msg + cut,
								     len - cut,
								     a), 0);
				assert_int_equal(
					tw_crypto_prf(TW_CRYPTO_PRF_HMAC_SHA2_256,
						      key, klens[k], joined,
						      len, b), 32);
				assert_memory_equal(a, b, 16);
			}
		}
		tw_crypto_stamp_destroy(s);
	}
}

/*
 * The STAMP burst API against OpenSSL's HMAC-SHA-256 for every burst size
 * up to TW_CRYPTO_BURST_MAX, key lengths 16..64 mixed within each burst:
 * sign writes exactly the reference tag and nothing else, check accepts
 * it and rejects exactly the packets that were changed.
 */
#define SB_KEYS 49 /* key lengths 16..64 */
#define SB_LEN 120

static void test_stamp_burst_equals_openssl(void **state)
{
	static uint8_t pkt[TW_CRYPTO_BURST_MAX][SB_LEN];
	static uint8_t want[TW_CRYPTO_BURST_MAX][SB_LEN];
	struct tw_crypto_stamp *ctx[SB_KEYS];
	const struct tw_crypto_stamp *s[TW_CRYPTO_BURST_MAX];
	uint8_t *p[TW_CRYPTO_BURST_MAX];
	const uint8_t *cp[TW_CRYPTO_BURST_MAX];
	uint8_t key[SB_KEYS][64];
	uint16_t lens[TW_CRYPTO_BURST_MAX];
	int res[TW_CRYPTO_BURST_MAX];

	(void)state;
	for (unsigned k = 0; k < SB_KEYS; k++) {
		assert_int_equal(tw_crypto_random(key[k], 64), 0);
		ctx[k] = tw_crypto_stamp_create(key[k], 16 + k);
		assert_non_null(ctx[k]);
	}
	for (unsigned n = 0; n <= TW_CRYPTO_BURST_MAX; n++) {
		for (unsigned i = 0; i < n; i++) {
			unsigned k = (i * 7 + n) % SB_KEYS;
			unsigned md_len = 0;
			uint8_t md[32];

			s[i] = ctx[k];
			p[i] = pkt[i];
			cp[i] = pkt[i];
			lens[i] = (uint16_t)(TW_CRYPTO_STAMP_AUTH_MIN + i % 9);
			assert_int_equal(tw_crypto_random(pkt[i], SB_LEN), 0);
			memcpy(want[i], pkt[i], SB_LEN);
			assert_non_null(HMAC(EVP_sha256(), key[k], (int)(16 + k),
					     pkt[i], 96, md, &md_len));
			assert_int_equal(md_len, 32);
			memcpy(want[i] + 96, md, 16);
			res[i] = 99;
		}
		assert_int_equal(tw_crypto_stamp_sign_burst(s, p, lens, n, res),
				 (int)n);
		for (unsigned i = 0; i < n; i++) {
			assert_int_equal(res[i], 0);
			assert_memory_equal(pkt[i], want[i], SB_LEN);
		}
		assert_int_equal(tw_crypto_stamp_check_burst(s, cp, lens, n, res),
				 (int)n);
		for (unsigned i = 0; i < n; i++)
			assert_int_equal(res[i], 0);
		/* change every third packet in a covered or the HMAC octet */
		for (unsigned i = 0; i < n; i += 3)
			pkt[i][(i * 13) % 112] ^= 0x20;
		assert_int_equal(tw_crypto_stamp_check_burst(s, cp, lens, n, res),
				 (int)n);
		for (unsigned i = 0; i < n; i++)
			assert_int_equal(res[i], i % 3 == 0 ? -TW_PROTO_E_HMAC : 0);
	}
	for (unsigned k = 0; k < SB_KEYS; k++)
		tw_crypto_stamp_destroy(ctx[k]);
}

/* Bad entries get their own result; the others are still done. */
static void test_stamp_burst_bad_entries(void **state)
{
	struct tw_crypto_stamp *c = stamp_ctx();
	const struct tw_crypto_stamp *s[5] = { c, NULL, c, c, c };
	uint8_t pkt[5][112], want[112], copy[112];
	uint8_t *p[5] = { pkt[0], pkt[1], pkt[2], NULL, pkt[4] };
	const uint8_t *cp[5] = { pkt[0], pkt[1], pkt[2], NULL, pkt[4] };
	uint16_t lens[5] = { 112, 112, 111, 112, 112 };
	int res[5];

	(void)state;
	for (unsigned i = 0; i < 5; i++)
		stamp_pkt(pkt[i]);
	memcpy(want, pkt[0], 112);
	assert_int_equal(tw_crypto_stamp_sign(c, want, 112), 0);
	memcpy(copy, pkt[2], 112);
	assert_int_equal(tw_crypto_stamp_sign_burst(s, p, lens, 5, res), 5);
	assert_int_equal(res[0], 0);
	assert_int_equal(res[1], -TW_PROTO_E_INVAL);
	assert_int_equal(res[2], -TW_PROTO_E_TRUNCATED);
	assert_int_equal(res[3], -TW_PROTO_E_INVAL);
	assert_int_equal(res[4], 0);
	assert_memory_equal(pkt[0], want, 112);
	assert_memory_equal(pkt[4], want, 112);
	assert_memory_equal(pkt[2], copy, 112);
	assert_int_equal(tw_crypto_stamp_check_burst(s, cp, lens, 5, res), 5);
	assert_int_equal(res[0], 0);
	assert_int_equal(res[1], -TW_PROTO_E_INVAL);
	assert_int_equal(res[2], -TW_PROTO_E_TRUNCATED);
	assert_int_equal(res[3], -TW_PROTO_E_INVAL);
	assert_int_equal(res[4], 0);
	assert_int_equal(tw_crypto_stamp_sign_burst(s, p, lens,
						    TW_CRYPTO_BURST_MAX + 1, res),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_stamp_check_burst(s, cp, lens,
						     TW_CRYPTO_BURST_MAX + 1, res),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_stamp_sign_burst(NULL, p, lens, 1, res),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_stamp_check_burst(s, NULL, lens, 1, res),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_stamp_check_burst(s, cp, NULL, 1, res),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_stamp_check_burst(s, cp, lens, 1, NULL),
			 -TW_PROTO_E_INVAL);
	tw_crypto_stamp_destroy(c);
}

static void test_stamp_create_inval(void **state)
{
	(void)state;
	assert_null(tw_crypto_stamp_create(NULL, 0));
	assert_null(tw_crypto_stamp_create("k", 0));
	tw_crypto_stamp_destroy(NULL);
}

/* ---- IKEv2 ---- */

static void test_prf_len(void **state)
{
	(void)state;
	assert_int_equal(tw_crypto_prf_len(TW_CRYPTO_PRF_HMAC_SHA1), 20);
	assert_int_equal(tw_crypto_prf_len(TW_CRYPTO_PRF_AES128_XCBC), 16);
	assert_int_equal(tw_crypto_prf_len(TW_CRYPTO_PRF_HMAC_SHA2_256), 32);
	assert_int_equal(tw_crypto_prf_len(TW_CRYPTO_PRF_HMAC_SHA2_384), 48);
	assert_int_equal(tw_crypto_prf_len(TW_CRYPTO_PRF_HMAC_SHA2_512), 64);
	assert_int_equal(tw_crypto_prf_len(TW_CRYPTO_PRF_AES128_CMAC), 16);
	assert_int_equal(tw_crypto_prf_len((enum tw_crypto_prf)3),
			 -TW_PROTO_E_INVAL);
}

/* strongSwan test_prf_plus.c "counter" vector (HMAC-SHA-256). */
static void test_prf_plus_strongswan(void **state)
{
	uint8_t key[20], out[122];

	(void)state;
	memset(key, 0x0b, sizeof(key));
	assert_int_equal(tw_crypto_prf_plus(TW_CRYPTO_PRF_HMAC_SHA2_256, key,
					    20, (const uint8_t *)"Hi There", 8,
					    out, sizeof(out)), 0);
	assert_hex(out,
		   "b9bdc08988b4c2b75aa93e596ac84205fa2ddde1bf7a2572067b00e1"
		   "4b237732830509981ad2f94a8c32a47daa2255b660c436347ae756a6"
		   "edc023477d809590e682f61d9c04b06b4ad971a34c8147fa66792ff1"
		   "434b93c722b32e12f48832ebc15ce2369ce71fe9b7b81e5704c14d0f"
		   "5280a6ec626e992d7a9f");
}

static void test_prf_plus_range(void **state)
{
	uint8_t key[20] = { 0 }, out[16] = { 0 };
	static uint8_t big[255 * 20 + 1];

	(void)state;
	assert_int_equal(tw_crypto_prf_plus(TW_CRYPTO_PRF_HMAC_SHA1, key, 20,
					    out, 4, big, sizeof(big)),
			 -TW_PROTO_E_RANGE);
	assert_int_equal(tw_crypto_prf_plus(TW_CRYPTO_PRF_HMAC_SHA1, key, 20,
					    out, 4, big, sizeof(big) - 1), 0);
	assert_int_equal(tw_crypto_prf_plus((enum tw_crypto_prf)1, key, 20,
					    out, 4, out, 16),
			 -TW_PROTO_E_INVAL);
}

/* libreswan's embedded NIST CAVP IKEv2 KDF example (HMAC-SHA1). */
#define LS_GIR "4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52"
#define LS_GIRN "863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330"
#define LS_NI "32b50d5f4a3763f3"
#define LS_NR "9206a04b26564cb1"
#define LS_SPII "34c9e7c188868785"
#define LS_SPIR "3ff77d760d2b2199"
#define LS_SKEYSEED "a9a7b222b59f8f48645f28a1db5b5f5d7479cba7"
#define LS_SKD "a14293677cc80ff8f9cc0eee30d895da9d8f4056"

struct ls {
	uint8_t gir[32], girn[32], ni[8], nr[8], spii[8], spir[8], skd[20];
};

static void ls_load(struct ls *v)
{
	unhex(LS_GIR, v->gir, 32);
	unhex(LS_GIRN, v->girn, 32);
	unhex(LS_NI, v->ni, 8);
	unhex(LS_NR, v->nr, 8);
	unhex(LS_SPII, v->spii, 8);
	unhex(LS_SPIR, v->spir, 8);
	unhex(LS_SKD, v->skd, 20);
}

static void test_ike_skeyseed_libreswan(void **state)
{
	struct ls v;
	uint8_t out[64];

	(void)state;
	ls_load(&v);
	assert_int_equal(tw_crypto_ike_skeyseed(TW_CRYPTO_PRF_HMAC_SHA1, v.ni,
						8, v.nr, 8, v.gir, 32, out),
			 20);
	assert_hex(out, LS_SKEYSEED);
}

static void test_ike_dkm_libreswan(void **state)
{
	struct ls v;
	uint8_t sks[20], dkm[132], seed[32];
	struct tw_crypto_ike_keys k;

	(void)state;
	ls_load(&v);
	unhex(LS_SKEYSEED, sks, 20);
	memcpy(seed, v.ni, 8);
	memcpy(seed + 8, v.nr, 8);
	memcpy(seed + 16, v.spii, 8);
	memcpy(seed + 24, v.spir, 8);
	assert_int_equal(tw_crypto_prf_plus(TW_CRYPTO_PRF_HMAC_SHA1, sks, 20,
					    seed, 32, dkm, sizeof(dkm)), 0);
	assert_hex(dkm, LS_SKD);
	/* 132 = 3 x 20 (SK_d, SK_pi, SK_pr) + 2 x 20 (SHA1-96 keys) + 2 x 16 */
	assert_int_equal(tw_crypto_ike_keys_derive(TW_CRYPTO_PRF_HMAC_SHA1, sks,
						   20, v.ni, 8, v.nr, 8,
						   v.spii, v.spir, 20, 16, &k),
			 0);
	assert_int_equal(k.prf_len, 20);
	assert_memory_equal(k.sk_d, dkm, 20);
	assert_memory_equal(k.sk_ai, dkm + 20, 20);
	assert_memory_equal(k.sk_ar, dkm + 40, 20);
	assert_memory_equal(k.sk_ei, dkm + 60, 16);
	assert_memory_equal(k.sk_er, dkm + 76, 16);
	assert_memory_equal(k.sk_pi, dkm + 92, 20);
	assert_memory_equal(k.sk_pr, dkm + 112, 20);
	tw_crypto_ike_keys_wipe(&k);
	assert_int_equal(k.sk_d[0], 0);
}

static void test_ike_child_keymat_libreswan(void **state)
{
	struct ls v;
	uint8_t out[40];

	(void)state;
	ls_load(&v);
	assert_int_equal(tw_crypto_ike_child_keymat(TW_CRYPTO_PRF_HMAC_SHA1,
						    v.skd, 20, NULL, 0, v.ni, 8,
						    v.nr, 8, out, 40), 0);
	assert_hex(out, "8059e3ee8810e6c3a91b");
	assert_int_equal(tw_crypto_ike_child_keymat(TW_CRYPTO_PRF_HMAC_SHA1,
						    v.skd, 20, v.girn, 32, v.ni,
						    8, v.nr, 8, out, 40), 0);
	assert_hex(out, "bb43244c1860ad65ee1e");
}

static void test_ike_rekey_libreswan(void **state)
{
	struct ls v;
	uint8_t out[64];

	(void)state;
	ls_load(&v);
	assert_int_equal(tw_crypto_ike_rekey_skeyseed(TW_CRYPTO_PRF_HMAC_SHA1,
						      v.skd, 20, v.girn, 32,
						      v.ni, 8, v.nr, 8, out),
			 20);
	assert_hex(out, "63e81194946ebd05df7df5ebf5d8750056bf1f1d");
}

/* RFC 3566 §4 AES-XCBC-MAC-96 test cases (full 128-bit output). */
static void test_xcbc_rfc3566(void **state)
{
	static const struct {
		size_t len;
		const char *mac;
	} v[] = {
		{ 0, "75f0251d528ac01c4573dfd584d79f29" },
		{ 3, "5b376580ae2f19afe7219ceef172756f" },
		{ 16, "d2a246fa349b68a79998a4394ff7a263" },
		{ 20, "47f51b4564966215b8985c63055ed308" },
		{ 32, "f54f0ec8d2b9f3d36807734bd5283fd4" },
		{ 34, "becbb3bccdb518a30677d5481fb6b4d8" },
	};
	uint8_t key[16], msg[34], out[16];

	(void)state;
	fill(key, 16, 1, 0);
	fill(msg, 34, 1, 0);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(tw_crypto_prf(TW_CRYPTO_PRF_AES128_XCBC, key,
					       16, msg, v[i].len, out), 16);
		assert_hex(out, v[i].mac);
	}
}

/* RFC 4434 §6 AES-XCBC-PRF-128 key-length cases (message 00..13). */
static void test_xcbc_prf_rfc4434(void **state)
{
	uint8_t key[18], msg[20], out[16];

	(void)state;
	fill(key, 16, 1, 0);
	key[16] = 0xed;
	key[17] = 0xcb;
	fill(msg, 20, 1, 0);
	assert_int_equal(tw_crypto_prf(TW_CRYPTO_PRF_AES128_XCBC, key, 16, msg,
				       20, out), 16);
	assert_hex(out, "47f51b4564966215b8985c63055ed308");
	assert_int_equal(tw_crypto_prf(TW_CRYPTO_PRF_AES128_XCBC, key, 10, msg,
				       20, out), 16);
	assert_hex(out, "0fa087af7d866e7653434e602fdde835");
	assert_int_equal(tw_crypto_prf(TW_CRYPTO_PRF_AES128_XCBC, key, 18, msg,
				       20, out), 16);
	assert_hex(out, "8cd3c93ae598a9803006ffb67c40e9e4");
}

/* RFC 4615 §4 AES-CMAC-PRF-128 and RFC 4493 §4 example 1. */
static void test_cmac_prf_rfc4615(void **state)
{
	uint8_t key[18], msg[20], out[16], k4493[16];

	(void)state;
	fill(key, 16, 1, 0);
	key[16] = 0xed;
	key[17] = 0xcb;
	fill(msg, 20, 1, 0);
	assert_int_equal(tw_crypto_prf(TW_CRYPTO_PRF_AES128_CMAC, key, 18, msg,
				       20, out), 16);
	assert_hex(out, "84a348a4a45d235babfffc0d2b4da09a");
	assert_int_equal(tw_crypto_prf(TW_CRYPTO_PRF_AES128_CMAC, key, 16, msg,
				       20, out), 16);
	assert_hex(out, "980ae87b5f4c9c5214f5b6a8455e4c2d");
	assert_int_equal(tw_crypto_prf(TW_CRYPTO_PRF_AES128_CMAC, key, 10, msg,
				       20, out), 16);
	assert_hex(out, "290d9e112edb09ee141fcf64c0b72f3d");
	unhex("2b7e151628aed2a6abf7158809cf4f3c", k4493, 16);
	assert_int_equal(tw_crypto_prf(TW_CRYPTO_PRF_AES128_CMAC, k4493, 16,
				       msg, 0, out), 16);
	assert_hex(out, "bb1d6929e95937287fa37d129b756746");
}

/* RFC 7296 §2.14: only 64 bits of each nonce key the AES PRFs. */
static void test_skeyseed_aes_nonce_rule(void **state)
{
	uint8_t ni[32], nr[32], gir[64], a[16], b[16], key[16];

	(void)state;
	fill(ni, 32, 3, 1);
	fill(nr, 32, 5, 2);
	fill(gir, 64, 7, 3);
	for (int p = 0; p < 2; p++) {
		enum tw_crypto_prf prf = p ? TW_CRYPTO_PRF_AES128_CMAC
					   : TW_CRYPTO_PRF_AES128_XCBC;

		assert_int_equal(tw_crypto_ike_skeyseed(prf, ni, 32, nr, 32,
							gir, 64, a), 16);
		memcpy(key, ni, 8);
		memcpy(key + 8, nr, 8);
		assert_int_equal(tw_crypto_prf(prf, key, 16, gir, 64, b), 16);
		assert_memory_equal(a, b, 16);
		ni[20] ^= 0xff; /* beyond 64 bits: no effect */
		assert_int_equal(tw_crypto_ike_skeyseed(prf, ni, 32, nr, 32,
							gir, 64, b), 16);
		assert_memory_equal(a, b, 16);
		assert_int_equal(tw_crypto_ike_skeyseed(prf, ni, 4, nr, 32,
							gir, 64, b),
				 -TW_PROTO_E_INVAL);
	}
}

/* HMAC PRFs key with the whole Ni | Nr. */
static void test_skeyseed_hmac_full_nonces(void **state)
{
	uint8_t ni[32], nr[32], gir[64], a[64], b[64], key[64];

	(void)state;
	fill(ni, 32, 3, 1);
	fill(nr, 32, 5, 2);
	fill(gir, 64, 7, 3);
	assert_int_equal(tw_crypto_ike_skeyseed(TW_CRYPTO_PRF_HMAC_SHA2_512, ni,
						32, nr, 32, gir, 64, a), 64);
	memcpy(key, ni, 32);
	memcpy(key + 32, nr, 32);
	assert_int_equal(tw_crypto_prf(TW_CRYPTO_PRF_HMAC_SHA2_512, key, 64,
				       gir, 64, b), 64);
	assert_memory_equal(a, b, 64);
}

/* python reference: HMAC(SK_d, "IPPM") */
static void test_rfc7717_secret(void **state)
{
	uint8_t skd[32], out[64];

	(void)state;
	unhex(LS_SKD, skd, 20);
	assert_int_equal(tw_crypto_rfc7717_secret(TW_CRYPTO_PRF_HMAC_SHA1, skd,
						  20, out), 20);
	assert_hex(out, "82ee687184200c1f68a7f8e2aa94fb067f0c7655");
	fill(skd, 32, 1, 0);
	assert_int_equal(tw_crypto_rfc7717_secret(TW_CRYPTO_PRF_HMAC_SHA2_256,
						  skd, 32, out), 32);
	assert_hex(out, "3de721e3b578c7268638ca7d70c7b078"
			"1d588cca6f7a6f99ec9a5cb1f59bd51f");
}

/* python reference: pbkdf2_hmac('sha1', HMAC(SK_d,"IPPM"), 00..0f, 1024, 16) */
static void test_rfc7717_token_key_both_readings(void **state)
{
	uint8_t skd[20], sec[20], salt[16], key[16];

	(void)state;
	unhex(LS_SKD, skd, 20);
	fill(salt, 16, 1, 0);
	assert_int_equal(tw_crypto_rfc7717_secret(TW_CRYPTO_PRF_HMAC_SHA1, skd,
						  20, sec), 20);
	assert_int_equal(tw_crypto_rfc7717_token_key(TW_CRYPTO_TOKEN_KEY_PBKDF2,
						     sec, 20, salt, 1024,
						     TW_CRYPTO_COUNT_CAP, key),
			 0);
	assert_hex(key, "36d0b3a6b792016cc62d71b02aba4943");
	assert_int_equal(tw_crypto_rfc7717_token_key(TW_CRYPTO_TOKEN_KEY_DIRECT,
						     sec, 20, salt, 0, 0, key),
			 0);
	assert_memory_equal(key, sec, 16);
	assert_int_equal(tw_crypto_rfc7717_token_key(TW_CRYPTO_TOKEN_KEY_DIRECT,
						     sec, 15, salt, 0, 0, key),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_rfc7717_token_key(TW_CRYPTO_TOKEN_KEY_PBKDF2,
						     sec, 20, salt, 100, 0, key),
			 -TW_PROTO_E_COUNT);
}

/* RFC 7717 end to end: IKE SK_d -> token key -> Token -> session keys. */
static void test_rfc7717_chain(void **state)
{
	struct tw_crypto_session_keys sk, got;
	uint8_t skd[20], sec[20], salt[16], k1[16], k2[16], chal[16], tok[64];

	(void)state;
	unhex(LS_SKD, skd, 20);
	ctrl_keys(&sk, chal);
	fill(salt, 16, 1, 0);
	/* both ends derive the same key from the same IKE SA */
	assert_int_equal(tw_crypto_rfc7717_secret(TW_CRYPTO_PRF_HMAC_SHA1, skd,
						  20, sec), 20);
	assert_int_equal(tw_crypto_rfc7717_token_key(TW_CRYPTO_TOKEN_KEY_PBKDF2,
						     sec, 20, salt, 2048, 0,
						     k1), 0);
	assert_int_equal(tw_crypto_rfc7717_token_key(TW_CRYPTO_TOKEN_KEY_PBKDF2,
						     sec, 20, salt, 2048,
						     TW_CRYPTO_COUNT_CAP, k2),
			 0);
	assert_int_equal(tw_crypto_token_encrypt(k1, chal, &sk, tok), 0);
	assert_int_equal(tw_crypto_token_decrypt(k2, chal, tok, &got), 0);
	assert_memory_equal(&got, &sk, sizeof(sk));
	/* the other reading gives another key: the server sees a bad token */
	assert_int_equal(tw_crypto_rfc7717_token_key(TW_CRYPTO_TOKEN_KEY_DIRECT,
						     sec, 20, salt, 2048, 0,
						     k2), 0);
	assert_int_equal(tw_crypto_token_decrypt(k2, chal, tok, &got),
			 -TW_PROTO_E_TOKEN);
}

static void test_ike_inval(void **state)
{
	uint8_t b[64] = { 0 };
	struct tw_crypto_ike_keys k;

	(void)state;
	assert_int_equal(tw_crypto_prf((enum tw_crypto_prf)0, b, 4, b, 4, b),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_prf(TW_CRYPTO_PRF_HMAC_SHA1, NULL, 4, b, 4,
				       b), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_ike_keys_derive(TW_CRYPTO_PRF_HMAC_SHA1, b,
						   20, b, 8, b, 8, b, b, 65, 16,
						   &k), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_rfc7717_secret(TW_CRYPTO_PRF_HMAC_SHA1, NULL,
						  0, b), -TW_PROTO_E_INVAL);
}

/* ---- registration ---- */

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAXT 256

static struct CMUnitTest tests[MAXT];
static size_t ntests;

static void add(const char *name, CMUnitTestFunction fn,
		CMFixtureFunction setup, CMFixtureFunction teardown,
		const void *state)
{
	char *n = malloc(160);

	assert_true(ntests < MAXT);
	snprintf(n, 160, "%s", name);
	tests[ntests++] = (struct CMUnitTest){
		.name = n,
		.test_func = fn,
		.setup_func = setup,
		.teardown_func = teardown,
		.initial_state = (void *)(uintptr_t)state,
	};
}

#define ADD(fn) add(#fn, fn, NULL, NULL, NULL)
#define ADD_F(fn, s, t) add(#fn, fn, s, t, NULL)

/* ---- the seed draft's derivations (vectors: draft_vectors.py) ---- */

static void test_draft_alt1_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(kat_draft); i++) {
		const struct kat_draft *v = &kat_draft[i];
		const uint8_t *root = (const uint8_t *)v->root;
		struct tw_crypto_session_keys k, t;
		uint8_t tok[16], bad[16];

		assert_int_equal(tw_crypto_draft_alt1_keys((enum tw_crypto_prf)v->prf, root,
							   v->root_len, &k), 0);
		assert_memory_equal(k.aes, v->aes, 16);
		assert_memory_equal(k.hmac, v->hmac, 32);
		assert_int_equal(tw_crypto_draft_alt1_token(root, v->root_len,
							    (const uint8_t *)v->challenge, tok), 0);
		assert_memory_equal(tok, v->token, 16);
		assert_int_equal(tw_crypto_draft_alt1_token_check(root, v->root_len,
								  (const uint8_t *)v->challenge,
								  tok), 0);
		memcpy(bad, tok, 16);
		bad[15] ^= 1;
		assert_int_equal(tw_crypto_draft_alt1_token_check(root, v->root_len,
								  (const uint8_t *)v->challenge,
								  bad), -TW_PROTO_E_TOKEN);
		assert_int_equal(tw_crypto_draft_sid_keys((enum tw_crypto_prf)v->prf, root,
							  v->root_len, (const uint8_t *)v->sid,
							  &t), 0);
		assert_memory_equal(t.aes, v->sid_aes, 16);
		assert_memory_equal(t.hmac, v->sid_hmac, 32);
	}
}

static void test_draft_inval(void **state)
{
	struct tw_crypto_session_keys k, keep;
	uint8_t root[20] = { 1 }, ch[16] = { 2 }, tok[16], sid[16] = { 3 };
	uint8_t e[36], a[64];

	(void)state;
	memset(&k, 0x5a, sizeof(k));
	keep = k;
	/* unknown PRF, empty root: nothing written */
	assert_int_equal(tw_crypto_draft_alt1_keys((enum tw_crypto_prf)1, root, 20, &k),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_draft_alt1_keys(TW_CRYPTO_PRF_HMAC_SHA1, root, 0, &k),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_crypto_draft_sid_keys(TW_CRYPTO_PRF_HMAC_SHA1, NULL, 20, sid, &k),
			 -TW_PROTO_E_INVAL);
	assert_memory_equal(&k, &keep, sizeof(k));
	/* the Token key is the first 16 octets: a shorter root is refused */
	assert_int_equal(tw_crypto_draft_alt1_token(root, 15, ch, tok), -TW_PROTO_E_INVAL);
	/* Alternative 2: AES-CBC-128 + HMAC-SHA1 keys, zero-extended */
	for (int i = 0; i < 36; i++)
		e[i] = (uint8_t)(0x10 + i);
	for (int i = 0; i < 64; i++)
		a[i] = (uint8_t)(0x80 + i);
	assert_int_equal(tw_crypto_draft_alt2_keys(12, e, 16, 2, a, 20, &k), 0);
	assert_memory_equal(k.aes, e, 16);
	assert_memory_equal(k.hmac, a, 20);
	for (int i = 20; i < 32; i++)
		assert_int_equal(k.hmac[i], 0);
	/* AES-CTR-128: the 4-octet nonce is dropped; SHA2-256 key as it is */
	assert_int_equal(tw_crypto_draft_alt2_keys(13, e, 20, 12, a, 32, &k), 0);
	assert_memory_equal(k.aes, e, 16);
	assert_memory_equal(k.hmac, a, 32);
	keep = k;
	/* AES-256, AES-GCM (no integrity key), SHA2-512, bad lengths: refused */
	assert_int_equal(tw_crypto_draft_alt2_keys(12, e, 32, 2, a, 20, &k), -TW_PROTO_E_RANGE);
	assert_int_equal(tw_crypto_draft_alt2_keys(20, e, 20, 0, a, 0, &k), -TW_PROTO_E_RANGE);
	assert_int_equal(tw_crypto_draft_alt2_keys(12, e, 16, 14, a, 64, &k), -TW_PROTO_E_RANGE);
	assert_int_equal(tw_crypto_draft_alt2_keys(12, e, 16, 2, a, 19, &k), -TW_PROTO_E_RANGE);
	assert_int_equal(tw_crypto_draft_alt2_keys(13, e, 16, 2, a, 20, &k), -TW_PROTO_E_RANGE);
	assert_int_equal(tw_crypto_draft_alt2_keys(12, NULL, 16, 2, a, 20, &k), -TW_PROTO_E_INVAL);
	assert_memory_equal(&k, &keep, sizeof(k));
}

int main(void)
{
	char name[160];

	ADD(test_wipe);
	ADD(test_memeq);
	ADD(test_random);
	for (size_t i = 0; i < N(kat_rfc6070); i++) {
		snprintf(name, sizeof(name), "pbkdf2 RFC 6070 #%zu (c=%u)",
			 i + 1, kat_rfc6070[i].c);
		add(name, test_pbkdf2_rfc6070, NULL, NULL, &kat_rfc6070[i]);
	}
	ADD(test_pbkdf2_inval);
	for (size_t i = 0; i < N(kat_rfc2202); i++) {
		snprintf(name, sizeof(name), "HMAC-SHA1 RFC 2202 case %zu",
			 i + 1);
		add(name, test_hmac_sha1_rfc2202, NULL, NULL, &kat_rfc2202[i]);
	}
	for (size_t i = 0; i < N(kat_rfc4231); i++)
		add(kat_rfc4231[i].name, test_hmac_sha2_kat, NULL, NULL,
		    &kat_rfc4231[i]);
	for (size_t i = 0; i < N(kat_rfc4868_prf); i++)
		add(kat_rfc4868_prf[i].name, test_hmac_sha2_kat, NULL, NULL,
		    &kat_rfc4868_prf[i]);
	for (size_t i = 0; i < N(kat_rfc4868_auth); i++)
		add(kat_rfc4868_auth[i].name, test_hmac_sha2_kat, NULL, NULL,
		    &kat_rfc4868_auth[i]);
	ADD(test_stamp_mac_rfc4231_case5);
	ADD(test_stamp_mac_rfc4868);
	for (size_t i = 0; i < N(kat_rfc3602); i++)
		add(kat_rfc3602[i].name, test_aes_cbc_rfc3602, NULL, NULL,
		    &kat_rfc3602[i]);
	ADD(test_aes_cbc_bad_length);
	ADD(test_count_check);
	ADD(test_token_key_vector);
	ADD(test_token_key_bad_count);
	ADD(test_token_encrypt_vector);
	ADD(test_token_round_trip);
	ADD(test_token_wrong_key);
	ADD(test_token_wrong_challenge);
	ADD_F(test_ctrl_server_start_accept_vector, ctrl_setup, ctrl_teardown);
	ADD_F(test_ctrl_client_request_vector, ctrl_setup, ctrl_teardown);
	ADD_F(test_ctrl_open_split_command, ctrl_setup, ctrl_teardown);
	ADD_F(test_ctrl_many_messages, ctrl_setup, ctrl_teardown);
	ADD_F(test_ctrl_encrypt_then_seal, ctrl_setup, ctrl_teardown);
	ADD_F(test_ctrl_tamper_ciphertext, ctrl_setup, ctrl_teardown);
	ADD_F(test_ctrl_tamper_hmac, ctrl_setup, ctrl_teardown);
	ADD_F(test_ctrl_tamper_server_start, ctrl_setup, ctrl_teardown);
	ADD_F(test_ctrl_server_start_order, ctrl_setup, ctrl_teardown);
	ADD_F(test_ctrl_bad_lengths, ctrl_setup, ctrl_teardown);
	ADD(test_ctrl_create_inval);
	ADD(test_test_keys_vector);
	for (size_t i = 0; i < N(pkt_cases); i++) {
		static const struct {
			const char *what;
			CMUnitTestFunction fn;
		} f[] = {
			{ "vector", test_pkt_vector },
			{ "round trip", test_pkt_round_trip },
			{ "tamper ciphertext", test_pkt_tamper_ciphertext },
			{ "tamper last covered", test_pkt_tamper_last_covered },
			{ "tamper hmac", test_pkt_tamper_hmac },
			{ "uncovered octets", test_pkt_uncovered_not_checked },
			{ "wrong key", test_pkt_wrong_key },
			{ "truncated", test_pkt_truncated },
			{ "impl mismatch", test_pkt_impl_mismatch },
		};

		for (size_t j = 0; j < N(f); j++) {
			/* enc mode covers everything before the HMAC */
			if (f[j].fn == test_pkt_uncovered_not_checked &&
			    pkt_cases[i].cover == pkt_cases[i].hoff)
				continue;
			snprintf(name, sizeof(name), "test pkt %s: %s",
				 pkt_cases[i].name, f[j].what);
			add(name, f[j].fn, pkt_setup, pkt_teardown,
			    &pkt_cases[i]);
		}
	}
	ADD_F(test_burst_sender_engines_agree, burst_setup, burst_teardown);
	ADD_F(test_burst_reflector_engines_agree, burst_setup,
	      burst_teardown);
	ADD_F(test_burst_mixed_results, burst_setup, burst_teardown);
	ADD(test_native_pairs_sender_auth);
	ADD(test_native_pairs_sender_enc);
	ADD(test_native_pairs_reflector_auth);
	ADD(test_native_pairs_reflector_enc);
	ADD(test_engine_create_inval);
	ADD(test_stamp_sign_vector);
	ADD(test_stamp_tamper);
	ADD(test_stamp_tlv);
	ADD(test_stamp_mac_equals_openssl);
	ADD(test_stamp_create_inval);
	ADD(test_stamp_burst_equals_openssl);
	ADD(test_stamp_burst_bad_entries);
	ADD(test_prf_len);
	ADD(test_prf_plus_strongswan);
	ADD(test_prf_plus_range);
	ADD(test_ike_skeyseed_libreswan);
	ADD(test_ike_dkm_libreswan);
	ADD(test_ike_child_keymat_libreswan);
	ADD(test_ike_rekey_libreswan);
	ADD(test_xcbc_rfc3566);
	ADD(test_xcbc_prf_rfc4434);
	ADD(test_cmac_prf_rfc4615);
	ADD(test_skeyseed_aes_nonce_rule);
	ADD(test_skeyseed_hmac_full_nonces);
	ADD(test_rfc7717_secret);
	ADD(test_rfc7717_token_key_both_readings);
	ADD(test_rfc7717_chain);
	ADD(test_ike_inval);
	ADD(test_draft_alt1_vectors);
	ADD(test_draft_inval);
	return _cmocka_run_group_tests("crypto", tests, ntests, NULL, NULL);
}
