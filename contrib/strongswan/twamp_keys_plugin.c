/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-keys charon plugin: exports IKEv2 SAs (with the RFC 7717 key
 * prf(SK_d, "IPPM"), or SK_d) and Child SAs (with their ESP/AH keys) to
 * twamp-dp's key-import socket, in the line protocol of docs/key-import.md.
 *
 * Bus hooks used (strongSwan 5.9.x listener_t):
 *  - ike_updown(up)        IKE SA established after IKE_AUTH -> ike-up
 *  - ike_rekey(old, new)   RFC 7296 §2.18 rekey             -> ike-rekey
 *  - ike_updown(down)      IKE SA gone   -> child-del (its children), ike-down
 *  - child_derived_keys    Child SA installed (also a Child SA rekey) ->
 *                          child-add out, child-add in
 *  - child_updown(down), child_state_change(CHILD_DESTROYING)
 *                          Child SA gone -> child-del in, child-del out
 * With draft_keys (the seed draft's profile, docs/strongswan.md), also:
 *  - ike_keys              SKEYSEED of a new or rekeyed IKE SA -> skeyseed=
 *                          on its ike-up / ike-rekey
 *  - child_keys            the Child SA's KEYMAT -> keymat= on both
 *                          child-add (child_derived_keys comes first and
 *                          leaves the announcement to this hook)
 *  - ike_state_change(IKE_DESTROYING)  drops a SKEYSEED never used
 * The plugin keeps every exported SA as its protocol lines, so that a
 * resync can replay the whole state; those lines hold key material and
 * are wiped when dropped. Keys are never logged.
 */
#include "twamp_keys.h"

#include <fnmatch.h>
#include <arpa/inet.h>

#include <daemon.h>
#include <plugins/plugin.h>
#include <bus/listeners/listener.h>
#include <collections/linked_list.h>
#include <sa/ikev2/keymat_v2.h>
#include <processing/jobs/rekey_child_sa_job.h>

typedef struct private_twamp_keys_plugin_t private_twamp_keys_plugin_t;

/** An exported IKE SA. */
typedef struct {
	uint64_t spi_i, spi_r;  /**< network order */
	char *line;             /**< its ike-up line (holds the key) */
} ike_entry_t;

/** A SKEYSEED computed in ike_keys, until its IKE SA is exported. */
typedef struct {
	uint32_t unique;        /**< ike_sa unique ID */
	chunk_t skeyseed;
} seed_entry_t;

/** An exported (or pending) Child SA, both directions. */
typedef struct {
	uint32_t unique;        /**< child_sa unique ID */
	uint64_t ike_spi_i, ike_spi_r;
	protocol_id_t proto;    /**< for a rekey: the inbound SA's protocol, */
	uint32_t spi_in;        /**< SPI (network order) */
	host_t *me;             /**< and destination (our address) */
	char *out, *in;         /**< child-add bodies without IKE SPIs (keys) */
	char *del_in, *del_out; /**< child-del lines */
	char what[64];          /**< key-free summary */
	bool announced;         /**< child-add sent (its IKE SA was known) */
	bool await_keymat;      /**< draft_keys: child_keys still to come */
	chunk_t keymat;         /**< draft_keys: first PRF-output octets of KEYMAT */
} child_entry_t;

/* listener first: strongSwan's METHOD() casts the interface pointer to
 * this struct, so the listener hooks need it at offset 0; the plugin_t
 * functions convert with plugin_this() */
struct private_twamp_keys_plugin_t {
	listener_t listener;
	plugin_t plugin;
	twamp_keys_writer_t *writer;
	linked_list_t *ikes;      /**< ike_entry_t */
	linked_list_t *children;  /**< child_entry_t */
	bool send_skd;            /**< send sk-d instead of the RFC 7717 key */
	bool draft_keys;          /**< send skeyseed / keymat (seed draft) */
	bool rekey_fresh;         /**< rekey a Child SA new to the server after a resync */
	bool warned_prf;          /**< logged once: no draft keys for a PRF */
	linked_list_t *seeds;     /**< seed_entry_t */
	char *ike_patterns;       /**< peer config names to export */
	char *child_patterns;     /**< child config names to export */
};

/* ---- algorithm names of docs/key-import.md §8 ---------------------- */

typedef struct {
	int id;
	const char *name;
} alg_name_t;

static const alg_name_t prf_names[] = {
	{ PRF_HMAC_SHA1, "prf-hmac-sha1" },
	{ PRF_AES128_XCBC, "prf-aes128-xcbc" },
	{ PRF_HMAC_SHA2_256, "prf-hmac-sha2-256" },
	{ PRF_HMAC_SHA2_384, "prf-hmac-sha2-384" },
	{ PRF_HMAC_SHA2_512, "prf-hmac-sha2-512" },
	{ PRF_AES128_CMAC, "prf-aes128-cmac" },
	{ 0, NULL },
};

static const alg_name_t encr_names[] = {
	{ ENCR_NULL, "null" },
	{ ENCR_AES_CBC, "aes-cbc" },
	{ ENCR_AES_CTR, "aes-ctr" },
	{ ENCR_AES_GCM_ICV8, "aes-gcm-8" },
	{ ENCR_AES_GCM_ICV12, "aes-gcm-12" },
	{ ENCR_AES_GCM_ICV16, "aes-gcm-16" },
	{ 0, NULL },
};

static const alg_name_t integ_names[] = {
	{ AUTH_HMAC_SHA1_96, "hmac-sha1-96" },
	{ AUTH_AES_XCBC_96, "aes-xcbc-96" },
	{ AUTH_HMAC_SHA2_256_128, "hmac-sha2-256-128" },
	{ AUTH_HMAC_SHA2_384_192, "hmac-sha2-384-192" },
	{ AUTH_HMAC_SHA2_512_256, "hmac-sha2-512-256" },
	{ 0, NULL },
};

static const char *alg_name(const alg_name_t *t, int id)
{
	for (; t->name; t++)
	{
		if (t->id == id)
		{
			return t->name;
		}
	}
	return NULL;
}

/* ---- the seed draft's secrets (draft_keys) ----------------------------- */

/** Output length of the HMAC PRFs the draft keys are made with, else 0. */
static size_t hmac_prf_len(pseudo_random_function_t alg)
{
	switch (alg)
	{
		case PRF_HMAC_SHA1:
			return 20;
		case PRF_HMAC_SHA2_256:
			return 32;
		case PRF_HMAC_SHA2_384:
			return 48;
		case PRF_HMAC_SHA2_512:
			return 64;
		default:
			return 0;
	}
}

/** prf(key, data) into *out (allocated). */
static bool prf_once(pseudo_random_function_t alg, chunk_t key, chunk_t data,
					 chunk_t *out)
{
	prf_t *prf = lib->crypto->create_prf(lib->crypto, alg);
	bool ok;

	ok = prf && prf->set_key(prf, key) && prf->allocate_bytes(prf, data, out);
	DESTROY_IF(prf);
	return ok;
}

/**
 * The first @p len octets of prf+(key, seed) (RFC 7296 §2.13):
 * T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n).
 */
static bool prf_plus(pseudo_random_function_t alg, chunk_t key, chunk_t seed,
					 size_t len, chunk_t *out)
{
	prf_t *prf = lib->crypto->create_prf(lib->crypto, alg);
	chunk_t t = chunk_empty, in;
	size_t bs, done = 0;
	uint8_t n = 1;
	bool ok;

	*out = chunk_empty;
	if (!prf || !prf->set_key(prf, key))
	{
		DESTROY_IF(prf);
		return FALSE;
	}
	bs = prf->get_block_size(prf);
	*out = chunk_alloc(len);
	for (ok = TRUE; ok && done < len; n++)
	{
		uint8_t block[HASH_SIZE_SHA512];

		in = chunk_cat("ccc", t, seed, chunk_from_thing(n));
		ok = bs <= sizeof(block) && prf->get_bytes(prf, in, block);
		chunk_clear(&in);
		if (ok)
		{
			memcpy(out->ptr + done, block, min(bs, len - done));
			done += min(bs, len - done);
			chunk_clear(&t);
			t = chunk_clone(chunk_create(block, bs));
		}
		memwipe(block, sizeof(block));
	}
	chunk_clear(&t);
	prf->destroy(prf);
	if (!ok)
	{
		chunk_clear(out);
	}
	return ok;
}

/** Log once that a PRF gives no draft keys. */
static void no_draft_prf(private_twamp_keys_plugin_t *this,
						 pseudo_random_function_t alg)
{
	if (!this->warned_prf)
	{
		this->warned_prf = TRUE;
		DBG1(DBG_CFG, "twamp-keys: draft_keys: PRF %N is not an HMAC PRF: "
			 "SAs using it are exported without skeyseed/keymat",
			 pseudo_random_function_names, alg);
	}
}

/* ---- line builder ---------------------------------------------------- */

/** A protocol line under construction (may hold keys: wipe it). */
typedef struct {
	char b[TWAMP_KEYS_LINE_MAX];
	size_t n;
	bool overflow;
} sb_t;

static void sb_add(sb_t *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_add(sb_t *sb, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (sb->overflow)
	{
		return;
	}
	va_start(ap, fmt);
	r = vsnprintf(sb->b + sb->n, sizeof(sb->b) - sb->n, fmt, ap);
	va_end(ap);
	/* keep room for the LF the writer adds */
	if (r < 0 || (size_t)r >= sizeof(sb->b) - sb->n - 1)
	{
		sb->overflow = TRUE;
		return;
	}
	sb->n += (size_t)r;
}

/** " name=<hex>" */
static void sb_hex(sb_t *sb, const char *name, chunk_t c)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	sb_add(sb, " %s=", name);
	if (sb->overflow || sb->n + 2 * c.len + 2 > sizeof(sb->b))
	{
		sb->overflow = TRUE;
		return;
	}
	for (i = 0; i < c.len; i++)
	{
		sb->b[sb->n++] = hex[c.ptr[i] >> 4];
		sb->b[sb->n++] = hex[c.ptr[i] & 0x0f];
	}
	sb->b[sb->n] = '\0';
}

/** " name=<value>" with docs/key-import.md §2 escaping, at most 255 octets */
static void sb_esc(sb_t *sb, const char *name, const char *v)
{
	size_t i;

	sb_add(sb, " %s=", name);
	for (i = 0; v[i] && i < 255 && !sb->overflow; i++)
	{
		unsigned char c = (unsigned char)v[i];

		if (c < 0x21 || c > 0x7e || c == '%')
		{
			sb_add(sb, "%%%02X", c);
		}
		else
		{
			sb_add(sb, "%c", c);
		}
	}
}

static void sb_addr(sb_t *sb, const char *name, host_t *host)
{
	char buf[INET6_ADDRSTRLEN];
	chunk_t a = host->get_address(host);
	int af = host->get_family(host);

	if (!inet_ntop(af, a.ptr, buf, sizeof(buf)))
	{
		sb->overflow = TRUE;
		return;
	}
	sb_add(sb, " %s=%s", name, buf);
}

static char *sb_take(sb_t *sb)
{
	char *s = sb->overflow ? NULL : strdup(sb->b);

	memwipe(sb, sizeof(*sb));
	return s;
}

/* ---- filters ----------------------------------------------------------- */

/** Whether @p name matches one of the comma-separated glob @p patterns. */
static bool name_matches(const char *patterns, const char *name)
{
	enumerator_t *e;
	char *p;
	bool match = FALSE;

	if (!patterns || !name)
	{
		return FALSE;
	}
	e = enumerator_create_token(patterns, ",", " ");
	while (!match && e->enumerate(e, &p))
	{
		match = fnmatch(p, name, 0) == 0;
	}
	e->destroy(e);
	return match;
}

static bool ike_wanted(private_twamp_keys_plugin_t *this, ike_sa_t *ike_sa)
{
	return ike_sa->get_version(ike_sa) == IKEV2 &&
		   name_matches(this->ike_patterns, ike_sa->get_name(ike_sa));
}

/* ---- IKE SA records -------------------------------------------------- */

/** An identity as text (strongSwan's %Y printf hook, unknown to gcc). */
static void id_str(char *buf, size_t len, identification_t *id)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
	snprintf(buf, len, "%Y", id);
#pragma GCC diagnostic pop
}

static void spis(ike_sa_t *ike_sa, uint64_t *spi_i, uint64_t *spi_r)
{
	ike_sa_id_t *id = ike_sa->get_id(ike_sa);

	*spi_i = id->get_initiator_spi(id);
	*spi_r = id->get_responder_spi(id);
}

/**
 * Fill the ike-up fields of @p ike_sa into @p sb (after the verb and any
 * old SPIs). RFC 7717 §5.1: shared secret = prf(SK_d, "IPPM") with the IKE
 * SA's negotiated PRF.
 */
static bool ike_fields(private_twamp_keys_plugin_t *this, sb_t *sb,
					   ike_sa_t *ike_sa)
{
	keymat_v2_t *keymat = (keymat_v2_t*)ike_sa->get_keymat(ike_sa);
	pseudo_random_function_t alg;
	host_t *me = ike_sa->get_my_host(ike_sa);
	host_t *other = ike_sa->get_other_host(ike_sa);
	char id[512];
	chunk_t skd = chunk_empty, key = chunk_empty;
	uint64_t spi_i, spi_r;
	const char *name;
	prf_t *prf;
	bool ok;

	alg = keymat->get_skd(keymat, &skd);
	if (alg == PRF_UNDEFINED || !skd.len)
	{
		DBG1(DBG_CFG, "twamp-keys: IKE_SA %s[%u] has no SK_d",
			 ike_sa->get_name(ike_sa), ike_sa->get_unique_id(ike_sa));
		return FALSE;
	}
	spis(ike_sa, &spi_i, &spi_r);
	sb_add(sb, " spi-i=%016llx spi-r=%016llx prf=%d",
		   (unsigned long long)be64toh(spi_i),
		   (unsigned long long)be64toh(spi_r), (int)alg);
	name = alg_name(prf_names, alg);
	if (name)
	{
		sb_add(sb, " prf-name=%s", name);
	}
	if (this->send_skd)
	{
		sb_hex(sb, "sk-d", skd);
	}
	else
	{
		prf = lib->crypto->create_prf(lib->crypto, alg);
		ok = prf && prf->set_key(prf, skd) &&
			 prf->allocate_bytes(prf, chunk_from_str("IPPM"), &key);
		DESTROY_IF(prf);
		if (!ok)
		{
			DBG1(DBG_CFG, "twamp-keys: PRF %N unavailable for IKE_SA %s[%u]",
				 pseudo_random_function_names, alg,
				 ike_sa->get_name(ike_sa), ike_sa->get_unique_id(ike_sa));
			chunk_clear(&key);
			return FALSE;
		}
		sb_hex(sb, "key", key);
		chunk_clear(&key);
	}
	sb_addr(sb, "local", me);
	sb_addr(sb, "remote", other);
	sb_add(sb, " local-port=%u remote-port=%u", me->get_port(me),
		   other->get_port(other));
	id_str(id, sizeof(id), ike_sa->get_my_id(ike_sa));
	sb_esc(sb, "local-id", id);
	id_str(id, sizeof(id), ike_sa->get_other_id(ike_sa));
	sb_esc(sb, "remote-id", id);
	sb_add(sb, " role=%s", ike_sa->get_id(ike_sa)->is_initiator(
				ike_sa->get_id(ike_sa)) ? "initiator" : "responder");
	sb_esc(sb, "name", ike_sa->get_name(ike_sa));
	sb_add(sb, " unique=%u", ike_sa->get_unique_id(ike_sa));
	return !sb->overflow;
}

/** Output length of @p ike_sa's PRF (= its SK_d), 0 if unknown. */
static size_t ike_prf_len(ike_sa_t *ike_sa)
{
	keymat_v2_t *keymat = (keymat_v2_t*)ike_sa->get_keymat(ike_sa);
	chunk_t skd = chunk_empty;

	if (keymat->get_skd(keymat, &skd) == PRF_UNDEFINED)
	{
		return 0;
	}
	return skd.len;
}

/**
 * The ike-up line of @p ike_sa (holds the key), NULL if it cannot be built.
 * With its @p skeyseed when that has the SA's PRF output length (it has
 * not after a rekey that changed the PRF, RFC 7296 §2.18: the server then
 * keeps the one it got with ike-rekey, docs/key-import.md §7).
 */
static char *ike_up_line(private_twamp_keys_plugin_t *this, ike_sa_t *ike_sa,
						 chunk_t skeyseed)
{
	sb_t sb = { .n = 0 };
	char *line = NULL;

	sb_add(&sb, "ike-up");
	if (ike_fields(this, &sb, ike_sa))
	{
		if (skeyseed.len && skeyseed.len == ike_prf_len(ike_sa))
		{
			sb_hex(&sb, "skeyseed", skeyseed);
		}
		line = sb_take(&sb);
	}
	memwipe(&sb, sizeof(sb));
	if (!line)
	{
		DBG1(DBG_CFG, "twamp-keys: cannot export IKE_SA %s[%u]",
			 ike_sa->get_name(ike_sa), ike_sa->get_unique_id(ike_sa));
	}
	return line;
}

static void ike_what(char *buf, size_t len, const char *verb, uint64_t spi_i,
					 uint64_t spi_r)
{
	snprintf(buf, len, "%s %016llx_i %016llx_r", verb,
			 (unsigned long long)be64toh(spi_i),
			 (unsigned long long)be64toh(spi_r));
}

static ike_entry_t *find_ike(private_twamp_keys_plugin_t *this,
							 uint64_t spi_i, uint64_t spi_r)
{
	enumerator_t *e;
	ike_entry_t *entry, *found = NULL;

	e = this->ikes->create_enumerator(this->ikes);
	while (e->enumerate(e, &entry))
	{
		if (entry->spi_i == spi_i && entry->spi_r == spi_r)
		{
			found = entry;
			break;
		}
	}
	e->destroy(e);
	return found;
}

static void ike_entry_destroy(ike_entry_t *entry)
{
	twamp_keys_free_line(entry->line);
	free(entry);
}

static void seed_entry_destroy(seed_entry_t *entry)
{
	chunk_clear(&entry->skeyseed);
	free(entry);
}

/** Take the SKEYSEED ike_keys left for @p ike_sa (empty if none; the
 * caller clears it). */
static chunk_t take_seed(private_twamp_keys_plugin_t *this, ike_sa_t *ike_sa)
{
	uint32_t unique = ike_sa->get_unique_id(ike_sa);
	enumerator_t *e;
	seed_entry_t *entry;
	chunk_t seed = chunk_empty;

	this->writer->lock(this->writer);
	e = this->seeds->create_enumerator(this->seeds);
	while (e->enumerate(e, &entry))
	{
		if (entry->unique == unique)
		{
			this->seeds->remove_at(this->seeds, e);
			seed = entry->skeyseed;
			entry->skeyseed = chunk_empty;
			seed_entry_destroy(entry);
			break;
		}
	}
	e->destroy(e);
	this->writer->unlock(this->writer);
	return seed;
}

/* ---- Child SA records -------------------------------------------------- */

/** Child SA records: the body plus the IKE SA it belongs to. */
static char *child_line(child_entry_t *c, const char *body)
{
	sb_t sb = { .n = 0 };

	sb_add(&sb, "%s ike-spi-i=%016llx ike-spi-r=%016llx", body,
		   (unsigned long long)be64toh(c->ike_spi_i),
		   (unsigned long long)be64toh(c->ike_spi_r));
	if (c->keymat.len)
	{
		sb_hex(&sb, "keymat", c->keymat);
	}
	return sb_take(&sb);
}

/** Queue child-add out, then in (docs/key-import.md §6.4 order). */
static void child_announce(private_twamp_keys_plugin_t *this,
						   child_entry_t *c)
{
	char what[96], *line;

	line = child_line(c, c->out);
	if (line)
	{
		snprintf(what, sizeof(what), "child-add %s out", c->what);
		this->writer->enqueue(this->writer, line, what);
		twamp_keys_free_line(line);
	}
	line = child_line(c, c->in);
	if (line)
	{
		snprintf(what, sizeof(what), "child-add %s in", c->what);
		this->writer->enqueue(this->writer, line, what);
		twamp_keys_free_line(line);
	}
	c->announced = TRUE;
}

/** Queue child-del in, then out. */
static void child_withdraw(private_twamp_keys_plugin_t *this,
						   child_entry_t *c)
{
	char what[96];

	if (!c->announced)
	{
		return;
	}
	snprintf(what, sizeof(what), "child-del %s in", c->what);
	this->writer->enqueue(this->writer, c->del_in, what);
	snprintf(what, sizeof(what), "child-del %s out", c->what);
	this->writer->enqueue(this->writer, c->del_out, what);
	c->announced = FALSE;
}

static void child_entry_destroy(child_entry_t *c)
{
	twamp_keys_free_line(c->out);
	twamp_keys_free_line(c->in);
	chunk_clear(&c->keymat);
	DESTROY_IF(c->me);
	free(c->del_in);
	free(c->del_out);
	free(c);
}

static void ts_list(sb_t *sb, const char *name, child_sa_t *child_sa,
					bool local)
{
	enumerator_t *e;
	traffic_selector_t *ts;
	host_t *net;
	uint8_t mask;
	char from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];
	int af, n = 0;

	sb_add(sb, " %s=", name);
	e = child_sa->create_ts_enumerator(child_sa, local);
	while (e->enumerate(e, &ts))
	{
		af = ts->get_type(ts) == TS_IPV4_ADDR_RANGE ? AF_INET : AF_INET6;
		if (n++)
		{
			sb_add(sb, ",");
		}
		if (ts->to_subnet(ts, &net, &mask))
		{
			chunk_t a = net->get_address(net);

			inet_ntop(af, a.ptr, from, sizeof(from));
			sb_add(sb, "%s/%u", from, mask);
			net->destroy(net);
		}
		else
		{
			net->destroy(net);
			inet_ntop(af, ts->get_from_address(ts).ptr, from, sizeof(from));
			inet_ntop(af, ts->get_to_address(ts).ptr, to, sizeof(to));
			sb_add(sb, "%s-%s", from, to);
		}
		if (ts->get_protocol(ts) || ts->get_from_port(ts) ||
			ts->get_to_port(ts) != 0xffff)
		{
			sb_add(sb, "[%u", ts->get_protocol(ts));
			if (ts->get_from_port(ts) == ts->get_to_port(ts))
			{
				sb_add(sb, "/%u]", ts->get_from_port(ts));
			}
			else if (ts->get_from_port(ts) != 0 ||
					 ts->get_to_port(ts) != 0xffff)
			{
				sb_add(sb, "/%u-%u]", ts->get_from_port(ts),
					   ts->get_to_port(ts));
			}
			else
			{
				sb_add(sb, "]");
			}
		}
	}
	e->destroy(e);
	if (!n)
	{
		sb->overflow = TRUE;
	}
}

/**
 * The child-add body of one direction (without the IKE SPIs).
 * RFC 4303 / RFC 3948 / RFC 4302 SA parameters, keys per RFC 7296 §2.17.
 */
static char *child_body(ike_sa_t *ike_sa, child_sa_t *child_sa, bool out,
						chunk_t encr, chunk_t integ)
{
	proposal_t *proposal = child_sa->get_proposal(child_sa);
	child_cfg_t *cfg = child_sa->get_config(child_sa);
	host_t *me = ike_sa->get_my_host(ike_sa);
	host_t *other = ike_sa->get_other_host(ike_sa);
	host_t *src = out ? me : other, *dst = out ? other : me;
	bool esp = child_sa->get_protocol(child_sa) == PROTO_ESP;
	uint16_t ealg = 0, elen = 0, ialg = 0, esn = NO_EXT_SEQ_NUMBERS;
	const char *name;
	sb_t sb = { .n = 0 };

	sb_add(&sb, "child-add spi=%08x dir=%s peer-spi=%08x proto=%s mode=%s",
		   ntohl(child_sa->get_spi(child_sa, !out)), out ? "out" : "in",
		   ntohl(child_sa->get_spi(child_sa, out)), esp ? "esp" : "ah",
		   child_sa->get_mode(child_sa) == MODE_TRANSPORT ? "transport"
														   : "tunnel");
	sb_addr(&sb, "src", src);
	sb_addr(&sb, "dst", dst);
	if (esp && child_sa->has_encap(child_sa))
	{
		sb_add(&sb, " encap=udp encap-sport=%u encap-dport=%u",
			   src->get_port(src), dst->get_port(dst));
	}
	else
	{
		sb_add(&sb, " encap=none");
	}
	if (esp && proposal->get_algorithm(proposal, ENCRYPTION_ALGORITHM,
									   &ealg, &elen))
	{
		sb_add(&sb, " encr=%u", ealg);
		name = alg_name(encr_names, ealg);
		if (name)
		{
			sb_add(&sb, " encr-name=%s", name);
		}
		if (ealg != ENCR_NULL)
		{
			sb_add(&sb, " encr-keylen=%u", elen);
			sb_hex(&sb, "encr-key", encr);
		}
	}
	if (proposal->get_algorithm(proposal, INTEGRITY_ALGORITHM, &ialg, NULL) &&
		ialg != AUTH_UNDEFINED)
	{
		sb_add(&sb, " integ=%u", ialg);
		name = alg_name(integ_names, ialg);
		if (name)
		{
			sb_add(&sb, " integ-name=%s", name);
		}
		sb_hex(&sb, "integ-key", integ);
	}
	proposal->get_algorithm(proposal, EXTENDED_SEQUENCE_NUMBERS, &esn, NULL);
	sb_add(&sb, " esn=%s", esn == EXT_SEQ_NUMBERS ? "yes" : "no");
	if (!out)
	{
		sb_add(&sb, " replay-window=%u",
			   min(cfg->get_replay_window(cfg), 4096u));
	}
	ts_list(&sb, "ts-local", child_sa, TRUE);
	ts_list(&sb, "ts-remote", child_sa, FALSE);
	sb_add(&sb, " reqid=%u unique=%u", child_sa->get_reqid(child_sa),
		   child_sa->get_unique_id(child_sa));
	sb_esc(&sb, "name", child_sa->get_name(child_sa));
	return sb_take(&sb);
}

static char *child_del_line(child_sa_t *child_sa, host_t *dst, bool out)
{
	char addr[INET6_ADDRSTRLEN], line[160];
	chunk_t a = dst->get_address(dst);

	inet_ntop(dst->get_family(dst), a.ptr, addr, sizeof(addr));
	snprintf(line, sizeof(line), "child-del spi=%08x dir=%s proto=%s dst=%s",
			 ntohl(child_sa->get_spi(child_sa, !out)), out ? "out" : "in",
			 child_sa->get_protocol(child_sa) == PROTO_ESP ? "esp" : "ah",
			 addr);
	return strdup(line);
}

static child_entry_t *find_child(private_twamp_keys_plugin_t *this,
								 uint32_t unique)
{
	enumerator_t *e;
	child_entry_t *c, *found = NULL;

	e = this->children->create_enumerator(this->children);
	while (e->enumerate(e, &c))
	{
		if (c->unique == unique)
		{
			found = c;
			break;
		}
	}
	e->destroy(e);
	return found;
}

/** Withdraw and forget a Child SA (lock held). */
static void child_gone(private_twamp_keys_plugin_t *this, child_sa_t *child_sa)
{
	child_entry_t *c = find_child(this, child_sa->get_unique_id(child_sa));

	if (c)
	{
		child_withdraw(this, c);
		this->children->remove(this->children, c, NULL);
		child_entry_destroy(c);
	}
}

/* ---- listener hooks ----------------------------------------------------- */

METHOD(listener_t, ike_updown, bool,
	private_twamp_keys_plugin_t *this, ike_sa_t *ike_sa, bool up)
{
	enumerator_t *e;
	child_entry_t *c;
	ike_entry_t *entry;
	uint64_t spi_i, spi_r;
	char what[64], *line;
	sb_t sb = { .n = 0 };

	spis(ike_sa, &spi_i, &spi_r);
	if (up)
	{
		/* taken (and wiped) also when the SA is not exported */
		chunk_t seed = take_seed(this, ike_sa);

		if (!ike_wanted(this, ike_sa))
		{
			chunk_clear(&seed);
			return TRUE;
		}
		line = ike_up_line(this, ike_sa, seed);
		chunk_clear(&seed);
		if (!line)
		{
			return TRUE;
		}
		ike_what(what, sizeof(what), "ike-up", spi_i, spi_r);
		this->writer->lock(this->writer);
		entry = find_ike(this, spi_i, spi_r);
		if (entry)
		{
			twamp_keys_free_line(entry->line);
		}
		else
		{
			INIT(entry, .spi_i = spi_i, .spi_r = spi_r);
			this->ikes->insert_last(this->ikes, entry);
		}
		entry->line = line;
		this->writer->enqueue(this->writer, line, what);
		/* Child SAs of IKE_AUTH may have been installed before this */
		e = this->children->create_enumerator(this->children);
		while (e->enumerate(e, &c))
		{
			if (!c->announced && !c->await_keymat && c->ike_spi_i == spi_i &&
				c->ike_spi_r == spi_r)
			{
				child_announce(this, c);
			}
		}
		e->destroy(e);
		this->writer->unlock(this->writer);
		return TRUE;
	}

	this->writer->lock(this->writer);
	e = this->children->create_enumerator(this->children);
	while (e->enumerate(e, &c))
	{
		if (c->ike_spi_i == spi_i && c->ike_spi_r == spi_r)
		{
			child_withdraw(this, c);
			this->children->remove_at(this->children, e);
			child_entry_destroy(c);
		}
	}
	e->destroy(e);
	entry = find_ike(this, spi_i, spi_r);
	if (entry)
	{
		ike_what(what, sizeof(what), "ike-down", spi_i, spi_r);
		snprintf(sb.b, sizeof(sb.b), "ike-down spi-i=%016llx "
				 "spi-r=%016llx reason=down",
				 (unsigned long long)be64toh(spi_i),
				 (unsigned long long)be64toh(spi_r));
		this->writer->enqueue(this->writer, sb.b, what);
		this->ikes->remove(this->ikes, entry, NULL);
		ike_entry_destroy(entry);
	}
	this->writer->unlock(this->writer);
	return TRUE;
}

METHOD(listener_t, ike_rekey, bool,
	private_twamp_keys_plugin_t *this, ike_sa_t *old, ike_sa_t *new)
{
	enumerator_t *e;
	child_entry_t *c;
	ike_entry_t *entry;
	uint64_t ospi_i, ospi_r, spi_i, spi_r;
	char what[96], *up, *rekey;
	sb_t sb = { .n = 0 };
	chunk_t seed = take_seed(this, new);
	size_t prf_len;

	if (!ike_wanted(this, new))
	{
		chunk_clear(&seed);
		return TRUE;
	}
	spis(old, &ospi_i, &ospi_r);
	spis(new, &spi_i, &spi_r);

	up = ike_up_line(this, new, seed);
	if (!up)
	{
		chunk_clear(&seed);
		return TRUE;
	}
	sb_add(&sb, "ike-rekey old-spi-i=%016llx old-spi-r=%016llx",
		   (unsigned long long)be64toh(ospi_i),
		   (unsigned long long)be64toh(ospi_r));
	ike_fields(this, &sb, new);
	if (seed.len)
	{	/* made with the old SA's PRF (RFC 7296 §2.18) */
		sb_hex(&sb, "skeyseed", seed);
	}
	chunk_clear(&seed);
	rekey = sb_take(&sb);
	prf_len = ike_prf_len(new);

	this->writer->lock(this->writer);
	entry = find_ike(this, ospi_i, ospi_r);
	if (entry && rekey)
	{
		snprintf(what, sizeof(what), "ike-rekey %016llx_i %016llx_r",
				 (unsigned long long)be64toh(spi_i),
				 (unsigned long long)be64toh(spi_r));
		this->writer->enqueue(this->writer, rekey, what);
	}
	else
	{	/* the old one was never exported (or the line did not fit): the
		 * old one goes, the new one comes as a plain ike-up */
		if (entry)
		{
			snprintf(what, sizeof(what), "ike-down spi-i=%016llx "
					 "spi-r=%016llx reason=rekeyed",
					 (unsigned long long)be64toh(ospi_i),
					 (unsigned long long)be64toh(ospi_r));
			this->writer->enqueue(this->writer, what, "ike-down (rekeyed)");
		}
		else
		{
			INIT(entry);
			this->ikes->insert_last(this->ikes, entry);
		}
		ike_what(what, sizeof(what), "ike-up", spi_i, spi_r);
		this->writer->enqueue(this->writer, up, what);
	}
	twamp_keys_free_line(entry->line);
	entry->line = up;
	entry->spi_i = spi_i;
	entry->spi_r = spi_r;
	/* RFC 7296 §2.18: the Child SAs move to the new IKE SA */
	e = this->children->create_enumerator(this->children);
	while (e->enumerate(e, &c))
	{
		if (c->ike_spi_i == ospi_i && c->ike_spi_r == ospi_r)
		{
			c->ike_spi_i = spi_i;
			c->ike_spi_r = spi_r;
			/* a KEYMAT of the old PRF's length no longer fits the new
			 * SA in a resync: left out there (docs/key-import.md §7) */
			if (c->keymat.len && c->keymat.len != prf_len)
			{
				chunk_clear(&c->keymat);
			}
		}
	}
	e->destroy(e);
	this->writer->unlock(this->writer);
	twamp_keys_free_line(rekey);
	return TRUE;
}

METHOD(listener_t, child_derived_keys, bool,
	private_twamp_keys_plugin_t *this, ike_sa_t *ike_sa, child_sa_t *child_sa,
	bool initiator, chunk_t encr_i, chunk_t encr_r, chunk_t integ_i,
	chunk_t integ_r)
{
	protocol_id_t proto = child_sa->get_protocol(child_sa);
	child_entry_t *c;

	if (!ike_wanted(this, ike_sa) ||
		!name_matches(this->child_patterns, child_sa->get_name(child_sa)) ||
		(proto != PROTO_ESP && proto != PROTO_AH))
	{
		return TRUE;
	}
	if (child_sa->get_ipcomp(child_sa) != IPCOMP_NONE)
	{	/* the workers do not decompress (RFC 3173) */
		DBG1(DBG_CFG, "twamp-keys: CHILD_SA %s{%u} uses IPComp, not exported",
			 child_sa->get_name(child_sa), child_sa->get_unique_id(child_sa));
		return TRUE;
	}
	INIT(c,
		.unique = child_sa->get_unique_id(child_sa),
		.proto = proto,
		.spi_in = child_sa->get_spi(child_sa, TRUE),
		.me = ike_sa->get_my_host(ike_sa)->clone(ike_sa->get_my_host(ike_sa)),
		/* the initiator of the exchange sends with the _i keys */
		.out = child_body(ike_sa, child_sa, TRUE,
						  initiator ? encr_i : encr_r,
						  initiator ? integ_i : integ_r),
		.in = child_body(ike_sa, child_sa, FALSE,
						 initiator ? encr_r : encr_i,
						 initiator ? integ_r : integ_i),
		.del_in = child_del_line(child_sa, ike_sa->get_my_host(ike_sa),
								 FALSE),
		.del_out = child_del_line(child_sa, ike_sa->get_other_host(ike_sa),
								  TRUE),
	);
	spis(ike_sa, &c->ike_spi_i, &c->ike_spi_r);
	snprintf(c->what, sizeof(c->what), "%s{%u} %08x_i %08x_o",
			 child_sa->get_name(child_sa), c->unique,
			 ntohl(child_sa->get_spi(child_sa, TRUE)),
			 ntohl(child_sa->get_spi(child_sa, FALSE)));
	if (!c->out || !c->in || !c->del_in || !c->del_out)
	{
		DBG1(DBG_CFG, "twamp-keys: cannot export CHILD_SA %s", c->what);
		child_entry_destroy(c);
		return TRUE;
	}
	/* draft_keys: child_keys (called next, in the same exchange) adds the
	 * KEYMAT and announces */
	c->await_keymat = this->draft_keys;
	this->writer->lock(this->writer);
	child_gone(this, child_sa);
	this->children->insert_last(this->children, c);
	if (!c->await_keymat && find_ike(this, c->ike_spi_i, c->ike_spi_r))
	{
		child_announce(this, c);
	}
	this->writer->unlock(this->writer);
	return TRUE;
}

/*
 * RFC 7296 §2.17: KEYMAT = prf+(SK_d, Ni | Nr), with PFS
 * prf+(SK_d, g^ir (new) | Ni | Nr); the first PRF-output octets go out as
 * keymat= (docs/key-import.md §6.4).
 */
METHOD(listener_t, child_keys, bool,
	private_twamp_keys_plugin_t *this, ike_sa_t *ike_sa, child_sa_t *child_sa,
	bool initiator, key_exchange_t *dh, chunk_t nonce_i, chunk_t nonce_r)
{
	keymat_v2_t *keymat = (keymat_v2_t*)ike_sa->get_keymat(ike_sa);
	pseudo_random_function_t alg;
	chunk_t skd = chunk_empty, secret = chunk_empty, seed, km = chunk_empty;
	child_entry_t *c;
	size_t len;
	bool ok = TRUE;

	if (!this->draft_keys || ike_sa->get_version(ike_sa) != IKEV2)
	{
		return TRUE;
	}
	alg = keymat->get_skd(keymat, &skd);
	len = hmac_prf_len(alg);
	if (len && skd.len)
	{
		if (dh)
		{
			ok = dh->get_shared_secret(dh, &secret);
		}
		seed = chunk_cat("ccc", secret, nonce_i, nonce_r);
		ok = ok && prf_plus(alg, skd, seed, len, &km);
		chunk_clear(&seed);
		chunk_clear(&secret);
	}
	this->writer->lock(this->writer);
	c = find_child(this, child_sa->get_unique_id(child_sa));
	if (c && c->await_keymat)
	{
		if (!len)
		{
			no_draft_prf(this, alg);
		}
		else if (!ok)
		{
			DBG1(DBG_CFG, "twamp-keys: no KEYMAT for CHILD_SA %s: PRF %N "
				 "failed", c->what, pseudo_random_function_names, alg);
		}
		c->keymat = km;
		km = chunk_empty;
		c->await_keymat = FALSE;
		if (find_ike(this, c->ike_spi_i, c->ike_spi_r))
		{
			child_announce(this, c);
		}
	}
	this->writer->unlock(this->writer);
	chunk_clear(&km);
	return TRUE;
}

/*
 * SKEYSEED of a new IKE SA, RFC 7296 §2.14: prf(Ni | Nr, g^ir); of a
 * rekeyed one, §2.18: prf(SK_d (old), g^ir (new) | Ni | Nr) with the old
 * SA's PRF. Kept until ike_updown / ike_rekey exports the SA.
 */
METHOD(listener_t, ike_keys, bool,
	private_twamp_keys_plugin_t *this, ike_sa_t *ike_sa, key_exchange_t *dh,
	chunk_t dh_other, chunk_t nonce_i, chunk_t nonce_r, ike_sa_t *rekey,
	shared_key_t *shared, auth_method_t method)
{
	keymat_v2_t *keymat;
	pseudo_random_function_t alg;
	chunk_t skd = chunk_empty, secret = chunk_empty, data, seed = chunk_empty;
	seed_entry_t *entry;
	bool ok;

	/* the peer config (name filter) is not known yet on the responder:
	 * ike_updown filters, ike_state_change drops what is not used */
	if (!this->draft_keys || ike_sa->get_version(ike_sa) != IKEV2 || !dh)
	{
		return TRUE;
	}
	keymat = (keymat_v2_t*)(rekey ? rekey : ike_sa)->get_keymat(rekey ? rekey
																	  : ike_sa);
	alg = keymat->get_skd(keymat, &skd);
	if (!hmac_prf_len(alg))
	{
		this->writer->lock(this->writer);
		no_draft_prf(this, alg);
		this->writer->unlock(this->writer);
		return TRUE;
	}
	if (!dh->get_shared_secret(dh, &secret))
	{
		return TRUE;
	}
	if (rekey)
	{
		data = chunk_cat("ccc", secret, nonce_i, nonce_r);
		ok = skd.len && prf_once(alg, skd, data, &seed);
		chunk_clear(&data);
	}
	else
	{
		data = chunk_cat("cc", nonce_i, nonce_r);
		ok = prf_once(alg, data, secret, &seed);
		chunk_clear(&data);
	}
	chunk_clear(&secret);
	if (!ok)
	{
		chunk_clear(&seed);
		DBG1(DBG_CFG, "twamp-keys: no SKEYSEED for IKE_SA %s[%u]: PRF %N "
			 "failed", ike_sa->get_name(ike_sa), ike_sa->get_unique_id(ike_sa),
			 pseudo_random_function_names, alg);
		return TRUE;
	}
	INIT(entry,
		.unique = ike_sa->get_unique_id(ike_sa),
		.skeyseed = seed,
	);
	this->writer->lock(this->writer);
	this->seeds->insert_last(this->seeds, entry);
	this->writer->unlock(this->writer);
	return TRUE;
}

METHOD(listener_t, ike_state_change, bool,
	private_twamp_keys_plugin_t *this, ike_sa_t *ike_sa, ike_sa_state_t state)
{
	chunk_t seed;

	if (state == IKE_DESTROYING && this->draft_keys)
	{
		seed = take_seed(this, ike_sa);
		chunk_clear(&seed);
	}
	return TRUE;
}

/** child_gone() under the lock. */
static void forget_child(private_twamp_keys_plugin_t *this,
						 child_sa_t *child_sa)
{
	this->writer->lock(this->writer);
	child_gone(this, child_sa);
	this->writer->unlock(this->writer);
}

METHOD(listener_t, child_updown, bool,
	private_twamp_keys_plugin_t *this, ike_sa_t *ike_sa, child_sa_t *child_sa,
	bool up)
{
	if (!up)
	{
		forget_child(this, child_sa);
	}
	return TRUE;
}

METHOD(listener_t, child_state_change, bool,
	private_twamp_keys_plugin_t *this, ike_sa_t *ike_sa, child_sa_t *child_sa,
	child_sa_state_t state)
{
	/* a rekeyed Child SA ends here, once its inbound SA is uninstalled */
	if (state == CHILD_DESTROYING)
	{
		forget_child(this, child_sa);
	}
	return TRUE;
}

/*
 * After a resync, an outbound child-add the server answered "ok added": it
 * did not hold that SA (it restarted, or never had it), so its outbound
 * sequence numbers start again at 1, which the peer may have seen and would
 * drop as replays (RFC 4303 §3.3.3: never reuse one in an SA); its inbound
 * replay window is empty too. A rekey (RFC 7296 §2.8) gives fresh SAs.
 */
static void fresh(void *ctx, const char *what)
{
	private_twamp_keys_plugin_t *this = ctx;
	enumerator_t *e;
	child_entry_t *c;
	char w[96];

	if (!this->rekey_fresh)
	{
		return;
	}
	this->writer->lock(this->writer);
	e = this->children->create_enumerator(this->children);
	while (e->enumerate(e, &c))
	{
		snprintf(w, sizeof(w), "child-add %s out", c->what);
		if (c->announced && streq(w, what))
		{
			DBG1(DBG_CFG, "twamp-keys: CHILD_SA %s is new to the server after "
				 "a resync (its outbound sequence numbers restart): rekeying",
				 c->what);
			lib->processor->queue_job(lib->processor,
					(job_t*)rekey_child_sa_job_create(c->proto, c->spi_in,
													  c->me));
			break;
		}
	}
	e->destroy(e);
	this->writer->unlock(this->writer);
}

/** Resync snapshot: every IKE SA, then every announced Child SA. */
static void snapshot(void *ctx,
		void (*add)(void *list, const char *line, const char *what),
		void *list)
{
	private_twamp_keys_plugin_t *this = ctx;
	enumerator_t *e;
	ike_entry_t *entry;
	child_entry_t *c;
	char what[96], *line;

	e = this->ikes->create_enumerator(this->ikes);
	while (e->enumerate(e, &entry))
	{
		ike_what(what, sizeof(what), "ike-up", entry->spi_i, entry->spi_r);
		add(list, entry->line, what);
	}
	e->destroy(e);
	e = this->children->create_enumerator(this->children);
	while (e->enumerate(e, &c))
	{
		if (!c->announced)
		{
			continue;
		}
		line = child_line(c, c->out);
		if (line)
		{
			snprintf(what, sizeof(what), "child-add %s out", c->what);
			add(list, line, what);
			twamp_keys_free_line(line);
		}
		line = child_line(c, c->in);
		if (line)
		{
			snprintf(what, sizeof(what), "child-add %s in", c->what);
			add(list, line, what);
			twamp_keys_free_line(line);
		}
	}
	e->destroy(e);
}

/* ---- plugin ------------------------------------------------------------- */

static private_twamp_keys_plugin_t *plugin_this(plugin_t *plugin)
{
	return (private_twamp_keys_plugin_t*)((char*)plugin -
			offsetof(private_twamp_keys_plugin_t, plugin));
}

static bool plugin_cb(plugin_t *plugin, plugin_feature_t *feature, bool reg,
					  void *cb_data)
{
	private_twamp_keys_plugin_t *this = plugin_this(plugin);

	if (reg)
	{
		charon->bus->add_listener(charon->bus, &this->listener);
	}
	else
	{
		charon->bus->remove_listener(charon->bus, &this->listener);
	}
	return TRUE;
}

static char *get_name(plugin_t *plugin)
{
	return "twamp-keys";
}

static int get_features(plugin_t *plugin, plugin_feature_t *features[])
{
	static plugin_feature_t f[] = {
		PLUGIN_CALLBACK((plugin_feature_callback_t)plugin_cb, NULL),
			PLUGIN_PROVIDE(CUSTOM, "twamp-keys"),
	};
	*features = f;
	return countof(f);
}

static void destroy(plugin_t *plugin)
{
	private_twamp_keys_plugin_t *this = plugin_this(plugin);

	this->writer->destroy(this->writer);
	this->ikes->destroy_function(this->ikes, (void*)ike_entry_destroy);
	this->seeds->destroy_function(this->seeds, (void*)seed_entry_destroy);
	this->children->destroy_function(this->children,
									 (void*)child_entry_destroy);
	free(this->ike_patterns);
	free(this->child_patterns);
	free(this);
}

plugin_t *twamp_keys_plugin_create(void);

/**
 * Plugin constructor (charon loads libstrongswan-twamp-keys.so and calls
 * this). Settings in strongswan.conf, charon.plugins.twamp-keys:
 * socket, send (key | sk-d), ikes, children, draft_keys, rekey_resynced,
 * reply_timeout, reconnect_max.
 */
plugin_t *twamp_keys_plugin_create(void)
{
	private_twamp_keys_plugin_t *this;
	char *socket, *send;

	socket = lib->settings->get_str(lib->settings,
			"%s.plugins.twamp-keys.socket", "/run/twamp-dp/keys.sock",
			lib->ns);
	send = lib->settings->get_str(lib->settings,
			"%s.plugins.twamp-keys.send", "key", lib->ns);
	if (!streq(send, "key") && !streq(send, "sk-d"))
	{
		DBG1(DBG_CFG, "twamp-keys: send = %s: must be key or sk-d", send);
		return NULL;
	}

	INIT(this,
		.plugin = {
			.get_name = get_name,
			.get_features = get_features,
			.destroy = destroy,
		},
		.listener = {
			.ike_updown = _ike_updown,
			.ike_rekey = _ike_rekey,
			.child_derived_keys = _child_derived_keys,
			.child_updown = _child_updown,
			.child_state_change = _child_state_change,
			.ike_keys = _ike_keys,
			.child_keys = _child_keys,
			.ike_state_change = _ike_state_change,
		},
		.ikes = linked_list_create(),
		.seeds = linked_list_create(),
		.children = linked_list_create(),
		.send_skd = streq(send, "sk-d"),
		.draft_keys = lib->settings->get_bool(lib->settings,
				"%s.plugins.twamp-keys.draft_keys", FALSE, lib->ns),
		.rekey_fresh = lib->settings->get_bool(lib->settings,
				"%s.plugins.twamp-keys.rekey_resynced", TRUE, lib->ns),
		.ike_patterns = strdup(lib->settings->get_str(lib->settings,
				"%s.plugins.twamp-keys.ikes", "*", lib->ns)),
		.child_patterns = strdup(lib->settings->get_str(lib->settings,
				"%s.plugins.twamp-keys.children", "", lib->ns)),
	);
	this->writer = twamp_keys_writer_create(socket, snapshot, fresh, this);
	if (!this->writer)
	{
		this->ikes->destroy(this->ikes);
		this->seeds->destroy(this->seeds);
		this->children->destroy(this->children);
		free(this->ike_patterns);
		free(this->child_patterns);
		free(this);
		return NULL;
	}
	DBG1(DBG_CFG, "twamp-keys: exporting %s%s to %s", send,
		 this->draft_keys ? ", skeyseed and keymat (draft_keys)" : "", socket);
	return &this->plugin;
}
