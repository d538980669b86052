/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control-connection streams (RFC 4656 §3.1-3.2, RFC 5357 §3.2): one
 * AES-128-CBC chain per direction that continues across messages, and a
 * running HMAC-SHA1 over the plaintext sent since the previous HMAC.
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto_priv.h"
#include "tw_crypto.h"

struct ctrl_dir {
	EVP_CIPHER_CTX *cipher;
	EVP_MD_CTX *mac;  /* HMAC inner hash over the pending plaintext */
	bool enc;
};

struct tw_crypto_ctrl {
	enum tw_crypto_role role;
	struct ctrl_dir tx, rx;
	struct tw_hmac_pre hmac;
	bool server_start_done;
	bool failed;
};

static int dir_init(struct ctrl_dir *d, const struct tw_hmac_pre *h,
		    const uint8_t key[16], const uint8_t iv[16], bool enc)
{
	d->enc = enc;
	d->cipher = EVP_CIPHER_CTX_new();
	d->mac = EVP_MD_CTX_new();
	if (d->cipher == NULL || d->mac == NULL)
		return -TW_PROTO_E_NOMEM;
	if (EVP_CipherInit_ex(d->cipher, EVP_aes_128_cbc(), NULL, key, iv,
			      enc ? 1 : 0) != 1 ||
	    EVP_CIPHER_CTX_set_padding(d->cipher, 0) != 1)
		return -TW_PROTO_E_CRYPTO;
	return tw_hmac_pre_start(h, d->mac);
}

static void dir_free(struct ctrl_dir *d)
{
	EVP_CIPHER_CTX_free(d->cipher);
	EVP_MD_CTX_free(d->mac);
	d->cipher = NULL;
	d->mac = NULL;
}

struct tw_crypto_ctrl *
tw_crypto_ctrl_create(enum tw_crypto_role role,
		      const struct tw_crypto_session_keys *sk,
		      const uint8_t client_iv[TW_CRYPTO_BLOCK],
		      const uint8_t server_iv[TW_CRYPTO_BLOCK])
{
	struct tw_crypto_ctrl *c;
	bool server = role == TW_CRYPTO_SERVER;

	if ((role != TW_CRYPTO_CLIENT && role != TW_CRYPTO_SERVER) ||
	    sk == NULL || client_iv == NULL || server_iv == NULL)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->role = role;
	if (tw_hmac_pre_init(&c->hmac, EVP_sha1(), sk->hmac,
			     sizeof(sk->hmac)) != 0 ||
	    dir_init(&c->tx, &c->hmac, sk->aes, server ? server_iv : client_iv,
		     true) != 0 ||
	    dir_init(&c->rx, &c->hmac, sk->aes, server ? client_iv : server_iv,
		     false) != 0) {
		tw_crypto_ctrl_destroy(c);
		return NULL;
	}
	return c;
}

void tw_crypto_ctrl_destroy(struct tw_crypto_ctrl *c)
{
	if (c == NULL)
		return;
	dir_free(&c->tx);
	dir_free(&c->rx);
	tw_hmac_pre_free(&c->hmac);
	tw_crypto_wipe(c, sizeof(*c));
	free(c);
}

/* The server->client stream starts with the Server-Start block. */
static int check_use(const struct tw_crypto_ctrl *c, const struct ctrl_dir *d,
		     size_t len)
{
	bool s2c;

	if (c == NULL)
		return -TW_PROTO_E_INVAL;
	if (c->failed)
		return -TW_PROTO_E_HMAC;
	s2c = (c->role == TW_CRYPTO_SERVER) == (d == &c->tx);
	if (s2c && !c->server_start_done)
		return -TW_PROTO_E_INVAL;
	if (len == 0 || len % TW_CRYPTO_BLOCK != 0 || len > INT32_MAX)
		return -TW_PROTO_E_LENGTH;
	return 0;
}

/* Run the stream over buf in place, feeding the plaintext to the HMAC. */
static int stream(struct tw_crypto_ctrl *c, struct ctrl_dir *d, uint8_t *buf,
		  size_t len, size_t mac_len)
{
	int n = 0;

	if (d->enc && mac_len > 0 && EVP_DigestUpdate(d->mac, buf, mac_len) != 1)
		goto fail;
	if (EVP_CipherUpdate(d->cipher, buf, &n, buf, (int)len) != 1 ||
	    (size_t)n != len)
		goto fail;
	if (!d->enc && mac_len > 0 && EVP_DigestUpdate(d->mac, buf, mac_len) != 1)
		goto fail;
	return 0;
fail:
	c->failed = true;
	return -TW_PROTO_E_CRYPTO;
}

/* Close the pending HMAC into mac[16] and start the next one. */
static int mac_close(struct tw_crypto_ctrl *c, struct ctrl_dir *d,
		     uint8_t mac[TW_CRYPTO_HMAC_LEN])
{
	uint8_t full[EVP_MAX_MD_SIZE];

	if (tw_hmac_pre_finish(&c->hmac, d->mac, full) != 0 ||
	    tw_hmac_pre_start(&c->hmac, d->mac) != 0) {
		c->failed = true;
		return -TW_PROTO_E_CRYPTO;
	}
	memcpy(mac, full, TW_CRYPTO_HMAC_LEN);
	tw_crypto_wipe(full, sizeof(full));
	return 0;
}

/*
 * RFC 4656 §3.1 Server-Start (48 octets); octets 32-47 are the first block
 * of the server->client stream:
 *   0 MBZ(15) | 15 Accept | 16 Server-IV(16) | 32 Start-Time(8) | 40 MBZ(8)
 */
int tw_crypto_ctrl_server_start(struct tw_crypto_ctrl *c, uint8_t *msg,
				size_t len)
{
	struct ctrl_dir *d;

	if (c == NULL || msg == NULL)
		return -TW_PROTO_E_INVAL;
	if (c->failed)
		return -TW_PROTO_E_HMAC;
	if (len != 48)
		return -TW_PROTO_E_LENGTH;
	if (c->server_start_done)
		return -TW_PROTO_E_INVAL;
	d = c->role == TW_CRYPTO_SERVER ? &c->tx : &c->rx;
	c->server_start_done = true;
	return stream(c, d, msg + 32, 16, 16);
}

int tw_crypto_ctrl_seal(struct tw_crypto_ctrl *c, uint8_t *msg, size_t len)
{
	int rc = check_use(c, c ? &c->tx : NULL, len);
	size_t body = len - TW_CRYPTO_HMAC_LEN;

	if (rc != 0)
		return rc;
	if (msg == NULL)
		return -TW_PROTO_E_INVAL;
	if (body > 0 && EVP_DigestUpdate(c->tx.mac, msg, body) != 1) {
		c->failed = true;
		return -TW_PROTO_E_CRYPTO;
	}
	rc = mac_close(c, &c->tx, msg + body);
	if (rc != 0)
		return rc;
	return stream(c, &c->tx, msg, len, 0);
}

int tw_crypto_ctrl_encrypt(struct tw_crypto_ctrl *c, uint8_t *buf, size_t len)
{
	int rc = check_use(c, c ? &c->tx : NULL, len);

	if (rc != 0)
		return rc;
	if (buf == NULL)
		return -TW_PROTO_E_INVAL;
	return stream(c, &c->tx, buf, len, len);
}

int tw_crypto_ctrl_decrypt(struct tw_crypto_ctrl *c, uint8_t *buf, size_t len)
{
	int rc = check_use(c, c ? &c->rx : NULL, len);

	if (rc != 0)
		return rc;
	if (buf == NULL)
		return -TW_PROTO_E_INVAL;
	return stream(c, &c->rx, buf, len, len);
}

int tw_crypto_ctrl_open(struct tw_crypto_ctrl *c, uint8_t *msg, size_t len)
{
	int rc = check_use(c, c ? &c->rx : NULL, len);
	size_t body = len - TW_CRYPTO_HMAC_LEN;
	uint8_t mac[TW_CRYPTO_HMAC_LEN];

	if (rc != 0)
		return rc;
	if (msg == NULL)
		return -TW_PROTO_E_INVAL;
	rc = stream(c, &c->rx, msg, len, body);
	if (rc == 0)
		rc = mac_close(c, &c->rx, mac);
	if (rc == 0 && !tw_crypto_memeq(mac, msg + body, TW_CRYPTO_HMAC_LEN)) {
		c->failed = true;
		rc = -TW_PROTO_E_HMAC;
	}
	tw_crypto_wipe(mac, sizeof(mac));
	return rc;
}
