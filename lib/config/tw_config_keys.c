/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The key file: KeyID -> passphrase (keys:) and name -> hex secret
 * (secrets:). KeyIDs and passphrases follow RFC 4656 §3.1 / RFC 5357 §3.1:
 * KeyID UTF-8 of at most 80 octets, passphrase printable ASCII without
 * CR/LF. Every value is wiped when released.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"
#include "tw_proto_ctrl.h"

/* A KeyID is printable (no control characters) and what Set-Up-Response
 * can carry: lib/proto's encoder checks strict UTF-8 and the length. */
static bool keyid_valid(const char *s, size_t n)
{
	uint8_t keyid[TW_CTRL_KEYID_LEN];

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return tw_proto_ctrl_keyid_from_name(keyid, s, n) == 0;
}

static const char *const sections[] = { "keys", "secrets" };

static void parse_entries(struct cctx *c, const struct ynode *m, bool secret,
			  struct tw_config_keys *keys)
{
	const char *sec = sections[secret];

	if (cfg_is_null(m))
		return;
	if (m->type != YN_MAP) {
		cfg_err(c, m, "%s: expected a mapping of %s", sec,
			secret ? "name: hex secret" : "KeyID: passphrase");
		return;
	}
	for (unsigned i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		struct tw_config_key *e;

		if (k->type != YN_SCALAR || k->len == 0 || strlen(k->str) != k->len) {
			cfg_err(c, k, "%s: a KeyID must be a non-empty string", sec);
			continue;
		}
		if (k->len > TW_CONFIG_KEYID_MAX) {
			cfg_err(c, k, "%s: KeyID is %zu octets long, at most %u (RFC 4656 §3.1)",
				sec, k->len, TW_CONFIG_KEYID_MAX);
			continue;
		}
		if (!keyid_valid(k->str, k->len)) {
			cfg_err(c, k, "%s: KeyID is not printable UTF-8", sec);
			continue;
		}
		if (tw_config_key_find(keys, k->str) != NULL) {
			cfg_err(c, k, "%s: duplicate KeyID '%s'", sec, k->str);
			continue;
		}
		if (v->type != YN_SCALAR || cfg_is_null(v) || v->len == 0) {
			cfg_err(c, v, "%s.%s: expected a %s", sec, k->str,
				secret ? "hex string" : "passphrase");
			continue;
		}
		if (keys->n >= TW_CONFIG_KEYS_MAX) {
			cfg_err(c, k, "%s: more than %u keys", sec, TW_CONFIG_KEYS_MAX);
			return;
		}
		e = &keys->v[keys->n];
		memset(e, 0, sizeof(*e));
		if (!secret) {
			bool ok = v->len <= TW_CONFIG_PASS_MAX;

			for (size_t j = 0; ok && j < v->len; j++)
				ok = v->str[j] >= 0x20 && v->str[j] < 0x7f;
			if (!ok) {
				/* never echo the passphrase */
				cfg_err(c, v, "%s.%s: a passphrase is 1..%u printable ASCII "
					"characters, no CR/LF (RFC 5357 §3.1)", sec, k->str,
					TW_CONFIG_PASS_MAX);
				continue;
			}
			memcpy(e->value, v->str, v->len);
			e->len = v->len;
		} else {
			const char *h = v->str;
			size_t n = v->len;
			bool ok;

			if (n >= 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X')) {
				h += 2;
				n -= 2;
			}
			ok = n % 2 == 0 && n / 2 >= 16 && n / 2 <= TW_CONFIG_SECRET_MAX;
			for (size_t j = 0; ok && j < n; j += 2) {
				int hi = tw_proto_hex_digit(h[j]);
				int lo = tw_proto_hex_digit(h[j + 1]);

				ok = hi >= 0 && lo >= 0;
				if (ok)
					e->value[j / 2] = (uint8_t)(hi << 4 | lo);
			}
			if (!ok) {
				explicit_bzero(e, sizeof(*e));
				cfg_err(c, v, "%s.%s: a secret is 16..%u octets written as an "
					"even number of hex digits", sec, k->str,
					TW_CONFIG_SECRET_MAX);
				continue;
			}
			e->len = n / 2;
		}
		memcpy(e->id, k->str, k->len);
		e->is_secret = secret;
		keys->n++;
	}
}

void cfg_keys_parse(struct cctx *c, const char *buf, size_t len,
		    struct tw_config_keys *keys)
{
	struct ynode *root = cfg_yaml_parse(c, buf, len);
	const struct ynode *sec[2] = { NULL, NULL };

	if (root == NULL)
		return;
	keys->v = calloc(TW_CONFIG_KEYS_MAX, sizeof(*keys->v));
	if (keys->v == NULL) {
		c->nomem = true;
		goto out;
	}
	if (root->type != YN_MAP) {
		cfg_err(c, root, "a key file is a mapping with keys: and secrets:");
		goto out;
	}
	for (unsigned i = 0; i + 1 < root->n; i += 2) {
		const struct ynode *k = root->kids[i];
		int j = -1;

		if (k->type == YN_SCALAR && strcmp(k->str, "keys") == 0)
			j = 0;
		else if (k->type == YN_SCALAR && strcmp(k->str, "secrets") == 0)
			j = 1;
		if (j < 0) {
			cfg_err(c, k, "unknown key in the key file; expected one of: keys, "
				"secrets");
			continue;
		}
		if (sec[j] != NULL) {
			cfg_err(c, k, "duplicate key '%s' (first at line %u)", sections[j],
				sec[j]->line);
			continue;
		}
		sec[j] = root->kids[i + 1];
	}
	for (int j = 0; j < 2; j++)
		if (sec[j] != NULL)
			parse_entries(c, sec[j], j == 1, keys);
out:
	cfg_yaml_free(root);
}

int tw_config_keys_load(const char *path, struct tw_config_keys *keys,
			struct tw_config_diag *diag)
{
	struct cctx c = { .file = path, .diag = diag };
	char *buf;
	size_t len;
	int rc;

	memset(keys, 0, sizeof(*keys));
	snprintf(keys->path, sizeof(keys->path), "%s", path);
	rc = cfg_read_file(path, &buf, &len);
	if (rc < 0) {
		cfg_err(&c, NULL, "cannot read: %s", rc == -EINVAL ? "not a regular file" :
			rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
		return rc;
	}
	cfg_keys_parse(&c, buf, len, keys);
	explicit_bzero(buf, len);
	free(buf);
	if (c.nomem || c.errors) {
		tw_config_keys_free(keys);
		return c.nomem ? -ENOMEM : -EINVAL;
	}
	return 0;
}

void tw_config_keys_free(struct tw_config_keys *keys)
{
	if (keys == NULL)
		return;
	if (keys->v != NULL) {
		explicit_bzero(keys->v, TW_CONFIG_KEYS_MAX * sizeof(*keys->v));
		free(keys->v);
	}
	keys->v = NULL;
	keys->n = 0;
}

const struct tw_config_key *tw_config_key_find(const struct tw_config_keys *keys,
					       const char *id)
{
	for (unsigned i = 0; keys != NULL && keys->v != NULL && i < keys->n; i++)
		if (strcmp(keys->v[i].id, id) == 0)
			return &keys->v[i];
	return NULL;
}
