/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key import: the IKE SA and Child SA tables and the records that change
 * them (docs/key-import.md §4, §6, §7). Every record is validated
 * completely before anything changes; a refusal changes nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tw_crypto.h"
#include "keyimp_priv.h"

struct ike_ent {
	struct tw_keyimp_ike sa;
	const struct tw_keyimp_sess *mark; /* sync in progress by this session */
};

struct child_ent {
	struct tw_keyimp_child sa;
	const struct tw_keyimp_sess *mark;
};

/* a record's effect, for the reply and the log */
struct ki_res {
	struct ki_buf reply;   /* "ok ..." */
	int emit_rc;           /* emit failed while listing */
	bool close;
	bool log;
};

struct tw_keyimp {
	struct tw_keyimp_conf conf;
	struct ike_ent *ike;
	struct child_ent *child;
	uint32_t n_ike, n_child;
	uint64_t gen;
	uint64_t child_gen;
	unsigned n_sess;
	struct tw_keyimp_stats st;
	/* scratch space (the table has one thread; keeps the stack small) */
	struct ki_line line;
	struct ki_res res;
	struct ki_buf fa, fb;
};

struct tw_keyimp_sess {
	struct tw_keyimp *t;
	bool hello;
	bool sync;
	char source[TW_KEYIMP_SOURCE_MAX + 1];
};

/* ---- table helpers ---- */

void tw_keyimp_ike_wipe(struct tw_keyimp_ike *ike)
{
	if (ike != NULL)
		tw_crypto_wipe(ike, sizeof(*ike));
}

void tw_keyimp_child_wipe(struct tw_keyimp_child *c)
{
	if (c != NULL)
		tw_crypto_wipe(c, sizeof(*c));
}

static void logf_(struct tw_keyimp *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logf_(struct tw_keyimp *t, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (t->conf.ops.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->conf.ops.log(t->conf.ops.arg, msg);
}

static struct ike_ent *ike_find(const struct tw_keyimp *t, const uint8_t spi_i[8],
				const uint8_t spi_r[8])
{
	for (uint32_t i = 0; i < t->n_ike; i++)
		if (memcmp(t->ike[i].sa.spi_i, spi_i, 8) == 0 &&
		    memcmp(t->ike[i].sa.spi_r, spi_r, 8) == 0)
			return &t->ike[i];
	return NULL;
}

static void ike_remove(struct tw_keyimp *t, struct ike_ent *e)
{
	struct ike_ent *last = &t->ike[t->n_ike - 1];

	if (e != last)
		*e = *last;
	tw_crypto_wipe(last, sizeof(*last));
	t->n_ike--;
}

static struct child_ent *child_find(const struct tw_keyimp *t, uint8_t proto,
				    uint32_t spi, const struct tw_keyimp_addr *dst,
				    uint8_t dir)
{
	for (uint32_t i = 0; i < t->n_child; i++) {
		const struct tw_keyimp_child *c = &t->child[i].sa;

		if (c->proto == proto && c->spi == spi && c->dir == dir &&
		    c->dst.family == dst->family && ki_addr_cmp(&c->dst, dst) == 0)
			return &t->child[i];
	}
	return NULL;
}

/* Remove a Child SA direction: the application first, then the copy. */
static void child_remove(struct tw_keyimp *t, struct child_ent *e)
{
	struct child_ent *last = &t->child[t->n_child - 1];

	if (t->conf.ops.child_del != NULL)
		t->conf.ops.child_del(t->conf.ops.arg, &e->sa);
	if (e != last)
		*e = *last;
	tw_crypto_wipe(last, sizeof(*last));
	t->n_child--;
	t->st.child_deleted++;
}

static bool child_of(const struct tw_keyimp_child *c, const uint8_t spi_i[8],
		     const uint8_t spi_r[8])
{
	return c->has_ike && memcmp(c->ike_spi_i, spi_i, 8) == 0 &&
	       memcmp(c->ike_spi_r, spi_r, 8) == 0;
}

/* Remove an IKE SA with its Child SAs; returns the number of children. */
static unsigned ike_remove_all(struct tw_keyimp *t, struct ike_ent *e)
{
	uint8_t spi_i[8], spi_r[8];
	unsigned n = 0;

	memcpy(spi_i, e->sa.spi_i, 8);
	memcpy(spi_r, e->sa.spi_r, 8);
	for (uint32_t i = 0; i < t->n_child;) {
		if (child_of(&t->child[i].sa, spi_i, spi_r)) {
			child_remove(t, &t->child[i]);
			n++;
		} else {
			i++;
		}
	}
	ike_remove(t, ike_find(t, spi_i, spi_r));
	t->st.ike_deleted++;
	return n;
}

static bool addr_eq(const struct tw_keyimp_addr *a, const struct tw_keyimp_addr *b)
{
	return a->family == b->family && ki_addr_cmp(a, b) == 0;
}

/* Same content (owner and generation aside): @p a stored, @p b the record.
 * A record without skeyseed matches a stored one (kept): a client cannot
 * always send it again (docs/key-import.md §7). */
static bool ike_same(const struct tw_keyimp_ike *a, const struct tw_keyimp_ike *b)
{
	return memcmp(a->spi_i, b->spi_i, 8) == 0 &&
	       memcmp(a->spi_r, b->spi_r, 8) == 0 && a->prf == b->prf &&
	       a->secret_len == b->secret_len &&
	       tw_crypto_memeq(a->secret, b->secret, a->secret_len) &&
	       (b->skeyseed_len == 0 ||
		(a->skeyseed_len == b->skeyseed_len &&
		 tw_crypto_memeq(a->skeyseed, b->skeyseed, a->skeyseed_len))) &&
	       addr_eq(&a->local, &b->local) && addr_eq(&a->remote, &b->remote) &&
	       a->local_port == b->local_port && a->remote_port == b->remote_port &&
	       a->initiator == b->initiator && a->has_unique == b->has_unique &&
	       (!a->has_unique || a->unique == b->unique) &&
	       strcmp(a->local_id, b->local_id) == 0 &&
	       strcmp(a->remote_id, b->remote_id) == 0 &&
	       strcmp(a->name, b->name) == 0;
}

/* The record fields of an IKE SA, never the key (list, comparisons). */
static void ike_format(struct ki_buf *b, const struct tw_keyimp_ike *s)
{
	const struct ki_alg *prf = ki_alg_find(KI_PRF, s->prf);

	ki_out_hex(b, "spi-i", s->spi_i, 8);
	ki_out_hex(b, "spi-r", s->spi_r, 8);
	ki_out(b, " prf=%u prf-name=%s", s->prf, prf != NULL ? prf->name : "?");
	ki_out_addr(b, "local", &s->local);
	ki_out_addr(b, "remote", &s->remote);
	if (s->local_port != 0)
		ki_out(b, " local-port=%u", s->local_port);
	if (s->remote_port != 0)
		ki_out(b, " remote-port=%u", s->remote_port);
	ki_out_text(b, "local-id", s->local_id);
	ki_out_text(b, "remote-id", s->remote_id);
	ki_out(b, " role=%s", s->initiator ? "initiator" : "responder");
	if (s->name[0] != '\0')
		ki_out_text(b, "name", s->name);
	if (s->has_unique)
		ki_out(b, " unique=%u", s->unique);
}

static void child_format(struct ki_buf *b, const struct tw_keyimp_child *c)
{
	ki_out(b, " spi=%08x dir=%s proto=%s mode=%s", c->spi,
	       c->dir == TW_KEYIMP_DIR_IN ? "in" : "out",
	       c->proto == TW_KEYIMP_ESP ? "esp" : "ah",
	       c->mode == TW_KEYIMP_TUNNEL ? "tunnel" : "transport");
	if (c->peer_spi != 0)
		ki_out(b, " peer-spi=%08x", c->peer_spi);
	ki_out_addr(b, "src", &c->src);
	ki_out_addr(b, "dst", &c->dst);
	ki_out(b, " encap=%s", c->encap_udp ? "udp" : "none");
	if (c->encap_udp)
		ki_out(b, " encap-sport=%u encap-dport=%u", c->encap_sport,
		       c->encap_dport);
	if (c->encr != 0) {
		ki_out(b, " encr=%u encr-name=%s", c->encr,
		       ki_alg_find(KI_ENCR, c->encr)->name);
		if (c->encr_keylen != 0)
			ki_out(b, " encr-keylen=%u", c->encr_keylen);
	}
	if (c->integ != 0)
		ki_out(b, " integ=%u integ-name=%s", c->integ,
		       ki_alg_find(KI_INTEG, c->integ)->name);
	ki_out(b, " esn=%s replay-window=%u", c->esn ? "yes" : "no",
	       c->replay_window);
	ki_out_ts(b, "ts-local", c->ts_local, c->n_ts_local);
	ki_out_ts(b, "ts-remote", c->ts_remote, c->n_ts_remote);
	if (c->has_ike) {
		ki_out_hex(b, "ike-spi-i", c->ike_spi_i, 8);
		ki_out_hex(b, "ike-spi-r", c->ike_spi_r, 8);
	}
	if (c->has_reqid)
		ki_out(b, " reqid=%u", c->reqid);
	if (c->has_unique)
		ki_out(b, " unique=%u", c->unique);
	if (c->name[0] != '\0')
		ki_out_text(b, "name", c->name);
}

static bool child_same(struct tw_keyimp *t, const struct tw_keyimp_child *a,
		       const struct tw_keyimp_child *b)
{
	struct ki_buf *fa = &t->fa, *fb = &t->fb;

	/* a record without keymat matches a stored one, as for skeyseed */
	if (a->encr_key_len != b->encr_key_len || a->integ_key_len != b->integ_key_len ||
	    (b->keymat_len != 0 && a->keymat_len != b->keymat_len) ||
	    !tw_crypto_memeq(a->encr_key, b->encr_key, a->encr_key_len) ||
	    !tw_crypto_memeq(a->integ_key, b->integ_key, a->integ_key_len) ||
	    (b->keymat_len != 0 && !tw_crypto_memeq(a->keymat, b->keymat, a->keymat_len)))
		return false;
	fa->len = fb->len = 0;
	child_format(fa, a);
	child_format(fb, b);
	return fa->len == fb->len && memcmp(fa->s, fb->s, fa->len) == 0;
}

/* ---- record parsing into SAs ---- */

static const char *const role_names[] = { "initiator", "responder", NULL };
static const char *const dir_names[] = { "in", "out", NULL };
static const char *const proto_names[] = { "esp", "ah", NULL };
static const char *const mode_names[] = { "tunnel", "transport", NULL };
static const char *const encap_names[] = { "none", "udp", NULL };
static const char *const bool_names[] = { "no", "yes", NULL };

static int opt_dec(const struct ki_line *l, const char *name, uint64_t lo,
		   uint64_t hi, uint64_t *out, bool *has, struct ki_err *e)
{
	const char *v = ki_get(l, name);

	if (has != NULL)
		*has = v != NULL;
	if (v == NULL)
		return 0;
	return ki_dec(v, name, lo, hi, out, e);
}

static void copy_text(char *dst, const char *v)
{
	if (v != NULL)
		snprintf(dst, TW_KEYIMP_TEXT_MAX + 1, "%s", v);
}

static int parse_ike(const struct ki_line *l, struct tw_keyimp_ike *s,
		     struct ki_err *e)
{
	const char *key = ki_get(l, "key"), *skd = ki_get(l, "sk-d");
	const char *seed = ki_get(l, "skeyseed");
	uint8_t raw[TW_KEYIMP_SECRET_MAX];
	const struct ki_alg *prf;
	uint64_t x;
	unsigned idx;
	size_t got;
	int rc;

	memset(s, 0, sizeof(*s));
	if (ki_ike_spi(ki_get(l, "spi-i"), "spi-i", s->spi_i, e) != 0 ||
	    ki_ike_spi(ki_get(l, "spi-r"), "spi-r", s->spi_r, e) != 0 ||
	    ki_transform(l, "prf", KI_PRF, &prf, e) != 0)
		return -1;
	s->prf = (uint16_t)prf->id;
	if ((key == NULL) == (skd == NULL))
		return ki_refuse(e, 402, "field-not-allowed key/sk-d: exactly one");
	if (ki_hex(key != NULL ? key : skd, key != NULL ? "key" : "sk-d", raw,
		   (size_t)prf->len, sizeof(raw), &got, e) != 0) {
		tw_crypto_wipe(raw, sizeof(raw));
		return -1;
	}
	if (skd != NULL) {
		/* RFC 7717 §5.1: the shared secret is prf(SK_d, "IPPM") */
		rc = tw_crypto_rfc7717_secret((enum tw_crypto_prf)prf->id, raw, got,
					      s->secret);
		tw_crypto_wipe(raw, sizeof(raw));
		if (rc != prf->len)
			return ki_refuse(e, 500, "internal: RFC 7717 key derivation failed");
	} else {
		memcpy(s->secret, raw, got);
		tw_crypto_wipe(raw, sizeof(raw));
	}
	s->secret_len = (uint8_t)prf->len;
	/* SKEYSEED: one PRF output (its length is checked by the caller) */
	if (seed != NULL) {
		if (ki_hex(seed, "skeyseed", s->skeyseed, 0, sizeof(s->skeyseed), &got,
			   e) != 0)
			return -1;
		s->skeyseed_len = (uint8_t)got;
	}
	if (ki_addr(ki_get(l, "local"), "local", &s->local, e) != 0 ||
	    ki_addr(ki_get(l, "remote"), "remote", &s->remote, e) != 0)
		return -1;
	if (s->local.family != s->remote.family)
		return ki_bad(e, "remote", "address family differs");
	if (opt_dec(l, "local-port", 1, 65535, &x, NULL, e) != 0)
		return -1;
	s->local_port = ki_get(l, "local-port") != NULL ? (uint16_t)x : 0;
	if (opt_dec(l, "remote-port", 1, 65535, &x, NULL, e) != 0)
		return -1;
	s->remote_port = ki_get(l, "remote-port") != NULL ? (uint16_t)x : 0;
	if (ki_one_of(ki_get(l, "role"), "role", role_names, &idx, e) != 0)
		return -1;
	s->initiator = idx == 0;
	if (opt_dec(l, "unique", 0, UINT32_MAX, &x, &s->has_unique, e) != 0)
		return -1;
	s->unique = s->has_unique ? (uint32_t)x : 0;
	copy_text(s->local_id, ki_get(l, "local-id"));
	copy_text(s->remote_id, ki_get(l, "remote-id"));
	copy_text(s->name, ki_get(l, "name"));
	return 0;
}

static int need(const struct ki_line *l, const char *f, struct ki_err *e)
{
	return ki_get(l, f) == NULL ? ki_refuse(e, 402, "missing-field %s", f) : 0;
}

static int forbid(const struct ki_line *l, const char *const *fs, struct ki_err *e)
{
	for (unsigned i = 0; fs[i] != NULL; i++)
		if (ki_get(l, fs[i]) != NULL)
			return ki_refuse(e, 402, "field-not-allowed %s", fs[i]);
	return 0;
}

static int parse_ike_ref(const struct ki_line *l, const char *fi, const char *fr,
			 bool *has, uint8_t spi_i[8], uint8_t spi_r[8],
			 struct ki_err *e)
{
	const char *vi = ki_get(l, fi), *vr = ki_get(l, fr);

	*has = vi != NULL;
	if ((vi == NULL) != (vr == NULL))
		return ki_refuse(e, 402, "missing-field %s/%s: both or neither", fi, fr);
	if (vi == NULL)
		return 0;
	if (ki_ike_spi(vi, fi, spi_i, e) != 0 || ki_ike_spi(vr, fr, spi_r, e) != 0)
		return -1;
	return 0;
}

static int parse_child_keys(const struct ki_line *l, struct tw_keyimp_child *c,
			    struct ki_err *e)
{
	static const char *const encap_ports[] = { "encap-sport", "encap-dport", NULL };
	static const char *const encr_all[] = { "encr", "encr-name", "encr-keylen",
						"encr-key", NULL };
	static const char *const encr_key[] = { "encr-keylen", "encr-key", NULL };
	static const char *const integ_all[] = { "integ", "integ-name", "integ-key",
						 NULL };
	const struct ki_alg *alg;
	uint64_t x;
	size_t got;

	if (c->encap_udp) {
		if (c->proto != TW_KEYIMP_ESP)
			return ki_bad(e, "encap", "udp only with esp");
		if (need(l, "encap-sport", e) != 0 || need(l, "encap-dport", e) != 0 ||
		    ki_dec(ki_get(l, "encap-sport"), "encap-sport", 1, 65535, &x, e) != 0)
			return -1;
		c->encap_sport = (uint16_t)x;
		if (ki_dec(ki_get(l, "encap-dport"), "encap-dport", 1, 65535, &x, e) != 0)
			return -1;
		c->encap_dport = (uint16_t)x;
	} else if (forbid(l, encap_ports, e) != 0) {
		return -1;
	}
	if (c->proto == TW_KEYIMP_ESP) {
		if (need(l, "encr", e) != 0 ||
		    ki_transform(l, "encr", KI_ENCR, &alg, e) != 0)
			return -1;
		c->encr = (uint16_t)alg->id;
		c->aead = alg->aead;
		if (alg->len < 0) {
			if (forbid(l, encr_key, e) != 0)
				return -1;
		} else {
			if (need(l, "encr-keylen", e) != 0 || need(l, "encr-key", e) != 0 ||
			    ki_dec(ki_get(l, "encr-keylen"), "encr-keylen", 0, 65535, &x,
				   e) != 0)
				return -1;
			if (x != 128 && x != 192 && x != 256)
				return ki_bad(e, "encr-keylen", "128, 192 or 256");
			c->encr_keylen = (uint16_t)x;
			if (ki_hex(ki_get(l, "encr-key"), "encr-key", c->encr_key,
				   x / 8 + (size_t)alg->len, sizeof(c->encr_key), &got,
				   e) != 0)
				return -1;
			c->encr_key_len = (uint8_t)got;
		}
	} else if (forbid(l, encr_all, e) != 0) {
		return -1;
	}
	if (c->aead)
		return forbid(l, integ_all, e);
	if (ki_get(l, "integ") == NULL) {
		if (c->proto == TW_KEYIMP_ESP)
			return ki_refuse(e, 422, "unsupported integ: ESP without "
					 "integrity is refused");
		return ki_refuse(e, 402, "missing-field integ");
	}
	if (ki_transform(l, "integ", KI_INTEG, &alg, e) != 0 ||
	    need(l, "integ-key", e) != 0 ||
	    ki_hex(ki_get(l, "integ-key"), "integ-key", c->integ_key,
		   (size_t)alg->len, sizeof(c->integ_key), &got, e) != 0)
		return -1;
	c->integ = (uint16_t)alg->id;
	c->integ_key_len = (uint8_t)got;
	return 0;
}

static int parse_child(const struct ki_line *l, struct tw_keyimp_child *c,
		       struct ki_err *e)
{
	const char *v;
	unsigned idx;
	uint64_t x;
	bool has;

	memset(c, 0, sizeof(*c));
	if (ki_child_spi(ki_get(l, "spi"), "spi", &c->spi, e) != 0)
		return -1;
	if ((v = ki_get(l, "peer-spi")) != NULL &&
	    ki_child_spi(v, "peer-spi", &c->peer_spi, e) != 0)
		return -1;
	if (ki_one_of(ki_get(l, "dir"), "dir", dir_names, &idx, e) != 0)
		return -1;
	c->dir = idx == 0 ? TW_KEYIMP_DIR_IN : TW_KEYIMP_DIR_OUT;
	if (ki_one_of(ki_get(l, "proto"), "proto", proto_names, &idx, e) != 0)
		return -1;
	c->proto = idx == 0 ? TW_KEYIMP_ESP : TW_KEYIMP_AH;
	if (ki_one_of(ki_get(l, "mode"), "mode", mode_names, &idx, e) != 0)
		return -1;
	c->mode = idx == 0 ? TW_KEYIMP_TUNNEL : TW_KEYIMP_TRANSPORT;
	if (ki_addr(ki_get(l, "src"), "src", &c->src, e) != 0 ||
	    ki_addr(ki_get(l, "dst"), "dst", &c->dst, e) != 0)
		return -1;
	if (c->src.family != c->dst.family)
		return ki_bad(e, "dst", "address family differs");
	if (ki_one_of(ki_get(l, "encap"), "encap", encap_names, &idx, e) != 0)
		return -1;
	c->encap_udp = idx == 1;
	if (parse_child_keys(l, c, e) != 0)
		return -1;
	if ((v = ki_get(l, "esn")) != NULL) {
		if (ki_one_of(v, "esn", bool_names, &idx, e) != 0)
			return -1;
		c->esn = idx == 1;
	}
	c->replay_window = 64;
	if (opt_dec(l, "replay-window", 0, 4096, &x, &has, e) != 0)
		return -1;
	if (has) {
		if (x == 0 && c->dir == TW_KEYIMP_DIR_IN)
			return ki_bad(e, "replay-window", "0 only for out");
		c->replay_window = (uint16_t)x;
	}
	if (ki_ts_list(ki_get(l, "ts-local"), "ts-local", c->src.family, c->ts_local,
		       &c->n_ts_local, e) != 0 ||
	    ki_ts_list(ki_get(l, "ts-remote"), "ts-remote", c->src.family,
		       c->ts_remote, &c->n_ts_remote, e) != 0)
		return -1;
	if (parse_ike_ref(l, "ike-spi-i", "ike-spi-r", &c->has_ike, c->ike_spi_i,
			  c->ike_spi_r, e) != 0)
		return -1;
	/* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), RFC 7296 §2.17: only
	 * with the IKE SA whose PRF fixes its length (checked by the caller) */
	if ((v = ki_get(l, "keymat")) != NULL) {
		size_t got;

		if (!c->has_ike)
			return ki_refuse(e, 402, "field-not-allowed keymat: needs "
					 "ike-spi-i/ike-spi-r");
		if (ki_hex(v, "keymat", c->keymat, 0, sizeof(c->keymat), &got, e) != 0)
			return -1;
		c->keymat_len = (uint8_t)got;
	}
	if (opt_dec(l, "reqid", 0, UINT32_MAX, &x, &c->has_reqid, e) != 0)
		return -1;
	c->reqid = c->has_reqid ? (uint32_t)x : 0;
	if (opt_dec(l, "unique", 0, UINT32_MAX, &x, &c->has_unique, e) != 0)
		return -1;
	c->unique = c->has_unique ? (uint32_t)x : 0;
	copy_text(c->name, ki_get(l, "name"));
	return 0;
}

/* ---- records ---- */

#define IKE_REQ "local", "local-id", "prf", "remote", "remote-id", "role", \
	"spi-i", "spi-r"
#define IKE_OPT "key", "local-port", "name", "prf-name", "remote-port", "sk-d", \
	"skeyseed", "unique"

static const char *const ike_up_req[] = { IKE_REQ, NULL };
static const char *const ike_opt[] = { IKE_OPT, NULL };
static const char *const ike_rekey_req[] = { IKE_REQ, "old-spi-i", "old-spi-r",
					     NULL };
static const char *const ike_down_req[] = { "spi-i", "spi-r", NULL };
static const char *const ike_down_opt[] = { "name", "reason", "unique", NULL };
static const char *const child_add_req[] = { "dir", "dst", "encap", "mode",
	"proto", "spi", "src", "ts-local", "ts-remote", NULL };
static const char *const child_add_opt[] = { "encap-dport", "encap-sport",
	"encr", "encr-key", "encr-keylen", "encr-name", "esn", "ike-spi-i",
	"ike-spi-r", "integ", "integ-key", "integ-name", "keymat", "name", "peer-spi",
	"replay-window", "reqid", "unique", NULL };
static const char *const child_del_req[] = { "dir", "dst", "proto", "spi", NULL };
static const char *const child_del_opt[] = { "ike-spi-i", "ike-spi-r", "name",
	"reason", "src", "unique", NULL };
static const char *const none[] = { NULL };
static const char *const list_opt[] = { "source", NULL };
static const char *const hello_req[] = { "versions", NULL };
static const char *const hello_opt[] = { "agent", "source", NULL };

static bool source_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > TW_KEYIMP_SOURCE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') ||
		      v[i] == '-'))
			return false;
	return true;
}

static void seen(struct tw_keyimp_sess *s, const struct tw_keyimp_sess **mark)
{
	if (*mark == s)
		*mark = NULL;
}

/* Every Child SA of the IKE SA old now belongs to new. */
static void move_children(struct tw_keyimp *t, const uint8_t oi[8],
			  const uint8_t or_[8], const struct tw_keyimp_ike *n)
{
	for (uint32_t i = 0; i < t->n_child; i++) {
		struct tw_keyimp_child *c = &t->child[i].sa;

		if (child_of(c, oi, or_)) {
			memcpy(c->ike_spi_i, n->spi_i, 8);
			memcpy(c->ike_spi_r, n->spi_r, 8);
		}
	}
}

/* RFC 7296 §2.18 as a record: ike-up, or ike-rekey replacing old-spi-*. */
static int rec_ike_up(struct tw_keyimp_sess *s, const struct ki_line *l,
		      bool rekey, struct ki_res *r, struct ki_err *e)
{
	struct tw_keyimp *t = s->t;
	struct tw_keyimp_ike n;
	uint8_t oi[8], or_[8];
	struct ike_ent *cur, *old = NULL;
	int rc = -1;

	if (parse_ike(l, &n, e) != 0)
		goto out;
	if (rekey) {
		if (ki_ike_spi(ki_get(l, "old-spi-i"), "old-spi-i", oi, e) != 0 ||
		    ki_ike_spi(ki_get(l, "old-spi-r"), "old-spi-r", or_, e) != 0)
			goto out;
		if (memcmp(oi, n.spi_i, 8) == 0 && memcmp(or_, n.spi_r, 8) == 0) {
			ki_bad(e, "spi-i", "new SPIs equal the old ones");
			goto out;
		}
		old = ike_find(t, oi, or_);
	}
	/* SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 §2.14): one output of this
	 * SA's PRF; rekeyed, prf(SK_d (old), g^ir (new) | Ni | Nr) with "the
	 * old IKE SA's PRF" (§2.18). Without the old SA a rekey can only be
	 * a repeat, which the content comparison below decides. */
	if (n.skeyseed_len != 0 && !rekey && n.skeyseed_len != n.secret_len) {
		ki_refuse(e, 412, "bad-value skeyseed: length %u, need %u", n.skeyseed_len,
			  n.secret_len);
		goto out;
	}
	if (n.skeyseed_len != 0 && old != NULL && n.skeyseed_len != old->sa.secret_len) {
		ki_refuse(e, 412, "bad-value skeyseed: length %u, need %u (the old IKE "
			  "SA's PRF output)", n.skeyseed_len, old->sa.secret_len);
		goto out;
	}
	cur = ike_find(t, n.spi_i, n.spi_r);
	if (cur != NULL) {
		if (!ike_same(&cur->sa, &n)) {
			ki_refuse(e, 409, "conflict spi-i/spi-r exist with other content");
			goto out;
		}
		seen(s, &cur->mark);
		if (old != NULL) {
			move_children(t, oi, or_, &n);
			ike_remove(t, old);
			t->st.ike_rekeyed++;
			t->st.ike_deleted++;
		}
		ki_out(&r->reply, "ok unchanged");
		rc = 0;
		goto out;
	}
	if (rekey && old == NULL) {
		ki_refuse(e, 404, "unknown-ike-sa old-spi-i/old-spi-r");
		goto out;
	}
	snprintf(n.source, sizeof(n.source), "%s", s->source);
	n.generation = ++t->gen;
	if (old != NULL) {
		/* one step: the new SA takes the old one's slot and children */
		move_children(t, oi, or_, &n);
		tw_crypto_wipe(&old->sa, sizeof(old->sa));
		old->sa = n;
		old->mark = NULL;
		t->st.ike_rekeyed++;
		t->st.ike_deleted++;
	} else {
		if (t->n_ike >= t->conf.max_ike) {
			t->gen--;
			ki_refuse(e, 507, "no-space IKE SA table full (%u)", t->conf.max_ike);
			goto out;
		}
		t->ike[t->n_ike].sa = n;
		t->ike[t->n_ike].mark = NULL;
		t->n_ike++;
	}
	t->st.ike_added++;
	ki_out(&r->reply, "ok added");
	r->log = true;
	rc = 0;
out:
	tw_crypto_wipe(&n, sizeof(n));
	return rc;
}

static int rec_ike_down(struct tw_keyimp_sess *s, const struct ki_line *l,
			struct ki_res *r, struct ki_err *e)
{
	uint8_t si[8], sr[8];
	struct ike_ent *cur;
	uint64_t x;

	if (ki_ike_spi(ki_get(l, "spi-i"), "spi-i", si, e) != 0 ||
	    ki_ike_spi(ki_get(l, "spi-r"), "spi-r", sr, e) != 0 ||
	    opt_dec(l, "unique", 0, UINT32_MAX, &x, NULL, e) != 0)
		return -1;
	cur = ike_find(s->t, si, sr);
	if (cur == NULL) {
		ki_out(&r->reply, "ok absent");
		return 0;
	}
	ki_out(&r->reply, "ok deleted children=%u", ike_remove_all(s->t, cur));
	r->log = true;
	return 0;
}

static int child_add_err(const struct tw_keyimp_child *c, int rc, struct ki_err *e)
{
	if (rc == -ENOTSUP && c->proto == TW_KEYIMP_AH)
		return ki_refuse(e, 422, "unsupported proto: AH not available on this system");
	if (rc == -ENOTSUP)
		return ki_refuse(e, 422, "unsupported encr: not available on this system");
	if (rc == -ENOPROTOOPT)
		return ki_refuse(e, 422, "unsupported integ: not available on this system");
	if (rc == -ENOSPC)
		return ki_refuse(e, 507, "no-space data-plane SA table full");
	return ki_refuse(e, 500, "internal: %s", strerror(-rc));
}

static int rec_child_add(struct tw_keyimp_sess *s, const struct ki_line *l,
			 struct ki_res *r, struct ki_err *e)
{
	struct tw_keyimp *t = s->t;
	struct tw_keyimp_child *c = &t->child[t->conf.max_child].sa; /* scratch */
	const struct ike_ent *ike = NULL;
	struct child_ent *cur;
	int rc = -1;

	if (parse_child(l, c, e) != 0)
		goto out;
	if (c->has_ike &&
	    (ike = ike_find(t, c->ike_spi_i, c->ike_spi_r)) == NULL) {
		ki_refuse(e, 404, "unknown-ike-sa ike-spi-i/ike-spi-r");
		goto out;
	}
	/* (parse_child() takes keymat only with ike-spi-*, so ike is set) */
	if (c->keymat_len != 0 && c->keymat_len != ike->sa.secret_len) {
		ki_refuse(e, 412, "bad-value keymat: length %u, need %u (the IKE SA's "
			  "PRF output)", c->keymat_len, ike->sa.secret_len);
		goto out;
	}
	cur = child_find(t, c->proto, c->spi, &c->dst, c->dir);
	if (cur != NULL) {
		if (!child_same(t, &cur->sa, c)) {
			ki_refuse(e, 409, "conflict spi/dst exist with other content");
			goto out;
		}
		seen(s, &cur->mark);
		ki_out(&r->reply, "ok unchanged");
		rc = 0;
		goto out;
	}
	if (t->n_child >= t->conf.max_child) {
		ki_refuse(e, 507, "no-space Child SA table full (%u)", t->conf.max_child);
		goto out;
	}
	snprintf(c->source, sizeof(c->source), "%s", s->source);
	if (t->conf.ops.child_add != NULL) {
		rc = t->conf.ops.child_add(t->conf.ops.arg, c);
		if (rc != 0) {
			rc = child_add_err(c, rc, e);
			goto out;
		}
	}
	c->generation = ++t->child_gen;
	t->child[t->n_child].sa = *c;
	t->child[t->n_child].mark = NULL;
	t->n_child++;
	t->st.child_added++;
	ki_out(&r->reply, "ok added");
	r->log = true;
	rc = 0;
out:
	tw_crypto_wipe(c, sizeof(*c));
	return rc;
}

static int rec_child_del(struct tw_keyimp_sess *s, const struct ki_line *l,
			 struct ki_res *r, struct ki_err *e)
{
	struct tw_keyimp_addr dst, src;
	uint8_t si[8], sr[8];
	struct child_ent *cur;
	unsigned dir, proto;
	bool has_ike;
	uint32_t spi;
	uint64_t x;
	const char *v;

	if (ki_child_spi(ki_get(l, "spi"), "spi", &spi, e) != 0 ||
	    ki_one_of(ki_get(l, "dir"), "dir", dir_names, &dir, e) != 0 ||
	    ki_one_of(ki_get(l, "proto"), "proto", proto_names, &proto, e) != 0 ||
	    ki_addr(ki_get(l, "dst"), "dst", &dst, e) != 0)
		return -1;
	if ((v = ki_get(l, "src")) != NULL && ki_addr(v, "src", &src, e) != 0)
		return -1;
	if (parse_ike_ref(l, "ike-spi-i", "ike-spi-r", &has_ike, si, sr, e) != 0 ||
	    opt_dec(l, "unique", 0, UINT32_MAX, &x, NULL, e) != 0)
		return -1;
	cur = child_find(s->t, proto == 0 ? TW_KEYIMP_ESP : TW_KEYIMP_AH, spi, &dst,
			 dir == 0 ? TW_KEYIMP_DIR_IN : TW_KEYIMP_DIR_OUT);
	if (cur == NULL) {
		ki_out(&r->reply, "ok absent");
		return 0;
	}
	if (v != NULL && !addr_eq(&src, &cur->sa.src))
		return ki_refuse(e, 409, "conflict src");
	if (has_ike && !child_of(&cur->sa, si, sr))
		return ki_refuse(e, 409, "conflict ike-spi-i/ike-spi-r");
	child_remove(s->t, cur);
	ki_out(&r->reply, "ok deleted");
	r->log = true;
	return 0;
}

static int rec_sync(struct tw_keyimp_sess *s, bool begin, struct ki_res *r,
		    struct ki_err *e)
{
	struct tw_keyimp *t = s->t;
	unsigned gone = 0;

	if (begin == s->sync)
		return ki_bad(e, "sync", begin ? "already in a sync" : "not in a sync");
	s->sync = begin;
	if (begin) {
		for (uint32_t i = 0; i < t->n_ike; i++)
			if (strcmp(t->ike[i].sa.source, s->source) == 0)
				t->ike[i].mark = s;
		for (uint32_t i = 0; i < t->n_child; i++)
			if (strcmp(t->child[i].sa.source, s->source) == 0)
				t->child[i].mark = s;
		ki_out(&r->reply, "ok");
		return 0;
	}
	for (uint32_t i = 0; i < t->n_child;) {
		if (t->child[i].mark == s) {
			child_remove(t, &t->child[i]);
			gone++;
		} else {
			i++;
		}
	}
	for (uint32_t i = 0; i < t->n_ike;) {
		if (t->ike[i].mark == s)
			gone += 1 + ike_remove_all(t, &t->ike[i]);
		else
			i++;
	}
	ki_out(&r->reply, "ok deleted=%u", gone);
	r->log = gone > 0;
	return 0;
}

static int emit_buf(struct ki_buf *b, tw_keyimp_emit_fn emit, void *arg)
{
	ki_out(b, "\n");
	if (b->s[b->len - 1] != '\n')
		b->s[b->len - 1] = '\n';
	return emit(arg, b->s, b->len);
}

static int rec_list(struct tw_keyimp_sess *s, const struct ki_line *l,
		    struct ki_res *r, struct ki_err *e, tw_keyimp_emit_fn emit,
		    void *arg)
{
	struct tw_keyimp *t = s->t;
	struct ki_buf *b = &t->fa;
	const char *src = ki_get(l, "source");
	unsigned n = 0;
	int rc;

	if (src != NULL && !source_ok(src))
		return ki_bad(e, "source", "[a-z0-9-]{1,32}");
	for (uint32_t i = 0; i < t->n_ike; i++) {
		const struct tw_keyimp_ike *k = &t->ike[i].sa;

		if (src != NULL && strcmp(src, k->source) != 0)
			continue;
		b->len = 0;
		ki_out(b, "sa type=ike source=%s", k->source);
		ike_format(b, k);
		ki_out(b, " generation=%llu", (unsigned long long)k->generation);
		if ((rc = emit_buf(b, emit, arg)) != 0) {
			r->emit_rc = rc;
			return 0;
		}
		n++;
	}
	for (uint32_t i = 0; i < t->n_child; i++) {
		const struct tw_keyimp_child *c = &t->child[i].sa;
		struct tw_keyimp_child_counters cnt = { 0 };

		if (src != NULL && strcmp(src, c->source) != 0)
			continue;
		if (t->conf.ops.child_counters != NULL)
			t->conf.ops.child_counters(t->conf.ops.arg, c, &cnt);
		b->len = 0;
		ki_out(b, "sa type=child source=%s", c->source);
		child_format(b, c);
		ki_out(b, " packets=%llu bytes=%llu errors=%llu",
		       (unsigned long long)cnt.packets, (unsigned long long)cnt.bytes,
		       (unsigned long long)cnt.errors);
		if ((rc = emit_buf(b, emit, arg)) != 0) {
			r->emit_rc = rc;
			return 0;
		}
		n++;
	}
	ki_out(&r->reply, "ok count=%u", n);
	return 0;
}

static int rec_hello(struct tw_keyimp_sess *s, const struct ki_line *l,
		     struct ki_res *r, struct ki_err *e)
{
	const char *v, *agent = ki_get(l, "agent"), *src = ki_get(l, "source");
	bool ok = false;

	if (s->hello)
		return ki_refuse(e, 426, "hello-repeated");
	if (ki_check_fields(l, hello_req, hello_opt, e) != 0)
		return -1;
	v = ki_get(l, "versions");
	for (const char *p = v; ; p++) {
		const char *q = p;
		uint64_t x;
		char num[12];

		while (*q >= '0' && *q <= '9')
			q++;
		if (q == p || q - p >= (long)sizeof(num) || (*q != ',' && *q != '\0'))
			return ki_bad(e, "versions", "comma-separated numbers");
		memcpy(num, p, (size_t)(q - p));
		num[q - p] = '\0';
		if (ki_dec(num, "versions", 1, 65535, &x, e) != 0)
			return -1;
		ok |= x == TW_KEYIMP_VERSION;
		if (*q == '\0')
			break;
		p = q;
	}
	if (src != NULL && !source_ok(src))
		return ki_bad(e, "source", "[a-z0-9-]{1,32}");
	if (!ok) {
		r->close = true;
		return ki_refuse(e, 505, "version supported=%u", TW_KEYIMP_VERSION);
	}
	s->hello = true;
	snprintf(s->source, sizeof(s->source), "%s", src != NULL ? src : "ctl");
	logf_(s->t, "key import: client %s (source %s) connected",
	      agent != NULL ? agent : "-", s->source);
	ki_out(&r->reply, "ok version=%u", TW_KEYIMP_VERSION);
	return 0;
}

static int dispatch(struct tw_keyimp_sess *s, const struct ki_line *l,
		    struct ki_res *r, struct ki_err *e, tw_keyimp_emit_fn emit,
		    void *arg)
{
	static const struct {
		const char *verb;
		const char *const *req, *const *opt;
	} recs[] = {
		{ "ike-up", ike_up_req, ike_opt },
		{ "ike-rekey", ike_rekey_req, ike_opt },
		{ "ike-down", ike_down_req, ike_down_opt },
		{ "child-add", child_add_req, child_add_opt },
		{ "child-del", child_del_req, child_del_opt },
		{ "sync-begin", none, none },
		{ "sync-end", none, none },
		{ "ping", none, none },
		{ "bye", none, none },
		{ "list", none, list_opt },
	};
	const char *v = l->verb;
	unsigned i;

	if (strcmp(v, "hello") == 0)
		return rec_hello(s, l, r, e);
	if (!s->hello)
		return ki_refuse(e, 426, "hello-required");
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		if (strcmp(v, recs[i].verb) == 0)
			break;
	if (i == sizeof(recs) / sizeof(recs[0])) {
		char tok[KI_TOKEN_MAX];

		return ki_refuse(e, 401, "unknown-record %s", ki_token(v, tok));
	}
	if (ki_check_fields(l, recs[i].req, recs[i].opt, e) != 0)
		return -1;
	if (strncmp(v, "child-", 6) == 0 && !s->t->conf.ipsec_enabled)
		return ki_refuse(e, 503, "not-ready ipsec is not enabled");
	switch (i) {
	case 0:
	case 1:
		return rec_ike_up(s, l, i == 1, r, e);
	case 2:
		return rec_ike_down(s, l, r, e);
	case 3:
		return rec_child_add(s, l, r, e);
	case 4:
		return rec_child_del(s, l, r, e);
	case 5:
	case 6:
		return rec_sync(s, i == 5, r, e);
	case 7:
	case 8:
		r->close = i == 8;
		ki_out(&r->reply, "ok");
		return 0;
	default:
		return rec_list(s, l, r, e, emit, arg);
	}
}

int tw_keyimp_sess_line(struct tw_keyimp_sess *s, const char *line, size_t len,
			tw_keyimp_emit_fn emit, void *arg)
{
	struct tw_keyimp *t;
	struct ki_line *l;
	struct ki_res *r;
	struct ki_err e = { 0, "" };
	int rc;

	if (s == NULL || (line == NULL && len > 0) || emit == NULL)
		return -EINVAL;
	t = s->t;
	l = &t->line;
	r = &t->res;
	memset(r, 0, sizeof(*r));
	t->st.records++;
	rc = ki_parse_line(line != NULL ? line : "", len, l, &e);
	if (rc == 0)
		rc = dispatch(s, l, r, &e, emit, arg);
	if (r->emit_rc != 0) {
		tw_crypto_wipe(l, sizeof(*l));
		return r->emit_rc;
	}
	if (rc != 0) {
		char tok[KI_TOKEN_MAX];

		r->reply.len = 0;
		ki_out(&r->reply, "err %d %s", e.code, e.reason);
		t->st.records_err++;
		logf_(t, "key import (%s): %s refused: %s", s->hello ? s->source : "-",
		      l->verb != NULL ? ki_token(l->verb, tok) : "line", r->reply.s);
	} else {
		t->st.records_ok++;
		if (r->log)
			logf_(t, "key import (%s): %s: %s", s->source, l->verb,
			      r->reply.s);
	}
	tw_crypto_wipe(l, sizeof(*l));
	rc = emit_buf(&r->reply, emit, arg);
	if (rc != 0)
		return rc;
	return r->close ? 1 : 0;
}

const char *tw_keyimp_line_too_long(struct tw_keyimp *t)
{
	t->st.records++;
	t->st.records_err++;
	return "err 400 line-too-long\n";
}

struct tw_keyimp_sess *tw_keyimp_sess_open(struct tw_keyimp *t)
{
	struct tw_keyimp_sess *s;

	if (t == NULL) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->t = t;
	t->n_sess++;
	return s;
}

bool ki_sess_hello(const struct tw_keyimp_sess *s)
{
	return s->hello;
}

void tw_keyimp_sess_close(struct tw_keyimp_sess *s)
{
	struct tw_keyimp *t;

	if (s == NULL)
		return;
	t = s->t;
	/* an unfinished sync removes nothing */
	for (uint32_t i = 0; i < t->n_ike; i++)
		if (t->ike[i].mark == s)
			t->ike[i].mark = NULL;
	for (uint32_t i = 0; i < t->n_child; i++)
		if (t->child[i].mark == s)
			t->child[i].mark = NULL;
	t->n_sess--;
	free(s);
}

/* ---- table ---- */

struct tw_keyimp *tw_keyimp_create(const struct tw_keyimp_conf *conf)
{
	struct tw_keyimp *t;

	if (conf == NULL || conf->max_ike > (1u << 20) || conf->max_child > (1u << 20)) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->conf = *conf;
	if (t->conf.max_ike == 0)
		t->conf.max_ike = 256;
	if (t->conf.max_child == 0)
		t->conf.max_child = 1024;
	t->ike = calloc(t->conf.max_ike, sizeof(*t->ike));
	/* one more: the scratch entry a child-add is parsed into */
	t->child = calloc(t->conf.max_child + 1, sizeof(*t->child));
	if (t->ike == NULL || t->child == NULL) {
		free(t->ike);
		free(t->child);
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void tw_keyimp_destroy(struct tw_keyimp *t)
{
	if (t == NULL)
		return;
	while (t->n_child > 0)
		child_remove(t, &t->child[t->n_child - 1]);
	tw_crypto_wipe(t->ike, sizeof(*t->ike) * t->conf.max_ike);
	tw_crypto_wipe(t->child, sizeof(*t->child) * (t->conf.max_child + 1));
	free(t->ike);
	free(t->child);
	free(t);
}

int tw_keyimp_ike_get(const struct tw_keyimp *t, const uint8_t spi_i[8],
		      const uint8_t spi_r[8], struct tw_keyimp_ike *out)
{
	const struct ike_ent *e;

	if (t == NULL || spi_i == NULL || spi_r == NULL || out == NULL)
		return -EINVAL;
	e = ike_find(t, spi_i, spi_r);
	if (e == NULL)
		return -ENOENT;
	*out = e->sa;
	return 0;
}

int tw_keyimp_ike_by_peer(const struct tw_keyimp *t,
			  const struct tw_keyimp_addr *remote,
			  struct tw_keyimp_ike *out)
{
	const struct ike_ent *best = NULL;

	if (t == NULL || remote == NULL || out == NULL ||
	    (remote->family != AF_INET && remote->family != AF_INET6))
		return -EINVAL;
	for (uint32_t i = 0; i < t->n_ike; i++) {
		const struct ike_ent *e = &t->ike[i];

		if (addr_eq(&e->sa.remote, remote) &&
		    (best == NULL || e->sa.generation > best->sa.generation))
			best = e;
	}
	if (best == NULL)
		return -ENOENT;
	*out = best->sa;
	return 0;
}

int tw_keyimp_ike_iter(const struct tw_keyimp *t, uint32_t *next,
		       struct tw_keyimp_ike *out)
{
	if (t == NULL || next == NULL || out == NULL)
		return -EINVAL;
	if (*next >= t->n_ike)
		return 0;
	*out = t->ike[(*next)++].sa;
	return 1;
}

int tw_keyimp_child_iter(const struct tw_keyimp *t, uint32_t *next,
			 struct tw_keyimp_child *out)
{
	if (t == NULL || next == NULL || out == NULL)
		return -EINVAL;
	if (*next >= t->n_child)
		return 0;
	*out = t->child[(*next)++].sa;
	return 1;
}

unsigned tw_keyimp_ike_count(const struct tw_keyimp *t)
{
	return t != NULL ? t->n_ike : 0;
}

void tw_keyimp_stats_get(const struct tw_keyimp *t, struct tw_keyimp_stats *st)
{
	if (t == NULL || st == NULL)
		return;
	*st = t->st;
	st->ike = t->n_ike;
	st->child = t->n_child;
}

void ki_stats_conn(struct tw_keyimp *t, int what)
{
	switch (what) {
	case 0:
		t->st.accepted++;
		t->st.clients++;
		break;
	case 1:
		t->st.clients--;
		break;
	case 2:
		t->st.refused_peer++;
		break;
	default:
		t->st.refused_busy++;
		break;
	}
}

/* ---- the seed draft's view of a Child SA (docs/key-import.md §6.7) ---- */

void tw_keyimp_draft_wipe(struct tw_keyimp_draft *d)
{
	if (d != NULL)
		tw_crypto_wipe(d, sizeof(*d));
}

/* Seed draft §4.1 / §4.2 (docs/protocol.md): the client's side of the pair. */
int tw_keyimp_draft_client(const struct tw_keyimp_draft *d, enum tw_ctrl_draft_variant variant,
			   bool keymat, bool sid_key, uint8_t *secret_buf, size_t secret_cap,
			   struct tw_ctrl_client_draft *out)
{
	const uint8_t *sec;
	size_t len;
	int rc = 0;

	if (out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (d == NULL || secret_buf == NULL || secret_cap < TW_KEYIMP_SECRET_MAX ||
	    (variant != TW_CTRL_DRAFT_BASE && variant != TW_CTRL_DRAFT_ALT1 &&
	     variant != TW_CTRL_DRAFT_ALT2) || (sid_key && variant != TW_CTRL_DRAFT_BASE)) {
		if (secret_buf != NULL)
			tw_crypto_wipe(secret_buf, secret_cap);
		return -EINVAL;
	}
	tw_crypto_wipe(secret_buf, secret_cap);
	out->variant = variant;
	out->protocol = d->proto;
	out->spi_in = d->spi_out;  /* the server's inbound = our outbound */
	out->spi_out = d->spi_in;
	out->prf = (enum tw_crypto_prf)d->prf;
	out->sid_key = sid_key;
	if (variant == TW_CTRL_DRAFT_ALT2) {
		/* §4.2.2: the client -> server SA's keys */
		if (tw_crypto_draft_alt2_keys(d->encr, d->encr_key_out, d->encr_key_len,
					      d->integ, d->integ_key_out, d->integ_key_len,
					      &out->alt2) != 0)
			rc = -ENOTSUP;
	} else {
		sec = keymat ? d->keymat : d->skeyseed;
		len = keymat ? d->keymat_len : d->skeyseed_len;
		if (len == 0 || len > TW_KEYIMP_SECRET_MAX) {
			rc = -ENOKEY;
		} else {
			memcpy(secret_buf, sec, len);
			out->secret = secret_buf;
			out->secret_len = len;
		}
	}
	if (rc != 0)
		tw_crypto_wipe(out, sizeof(*out));
	return rc;
}

/* Whether out is the outbound direction of the Child SA whose inbound
 * direction is in: same protocol, mirrored outer addresses, same IKE SA,
 * same transforms, and no peer-spi naming another SA. */
static bool draft_pair(const struct tw_keyimp_child *in,
		       const struct tw_keyimp_child *out)
{
	return out->dir == TW_KEYIMP_DIR_OUT && out->proto == in->proto &&
	       addr_eq(&out->src, &in->dst) && addr_eq(&out->dst, &in->src) &&
	       out->has_ike && child_of(out, in->ike_spi_i, in->ike_spi_r) &&
	       (in->peer_spi == 0 || in->peer_spi == out->spi) &&
	       (out->peer_spi == 0 || out->peer_spi == in->spi) &&
	       out->encr == in->encr && out->encr_keylen == in->encr_keylen &&
	       out->encr_key_len == in->encr_key_len && out->integ == in->integ &&
	       out->integ_key_len == in->integ_key_len;
}

/* in and out name each other by peer-spi (either side suffices). */
static bool draft_named(const struct tw_keyimp_child *in,
			const struct tw_keyimp_child *out)
{
	return in->peer_spi == out->spi || out->peer_spi == in->spi;
}

/* Seed draft §4.1 (lines ~331-334): a rekey of the pair @p b gives a pair
 * of the same protocol, owning IKE SA (its current one) and transforms,
 * added after it, with new SPIs both ways; the reqid, when both carry one,
 * is kept. */
static bool draft_keep(const struct tw_keyimp_draft *b, const struct tw_keyimp_child *in,
		       const struct tw_keyimp_child *out, uint64_t gen)
{
	return in->proto == b->proto && gen > b->generation && in->spi != b->spi_in &&
	       out->spi != b->spi_out &&
	       child_of(in, b->ike_spi_i, b->ike_spi_r) && in->encr == b->encr &&
	       in->encr_keylen == b->encr_keylen && in->encr_key_len == b->encr_key_len &&
	       in->integ == b->integ && in->integ_key_len == b->integ_key_len &&
	       (!b->has_reqid || !in->has_reqid || in->reqid == b->reqid);
}

/* The newest pair between local and remote (with @p succ_of, only the
 * rekey successors of that pair) into out; 0 or -ENOENT. */
static int draft_search(const struct tw_keyimp *t, const struct tw_keyimp_addr *local,
			const struct tw_keyimp_addr *remote,
			const struct tw_keyimp_draft *succ_of, struct tw_keyimp_draft *out)
{
	const struct tw_keyimp_child *bin = NULL, *bout = NULL;
	const struct ike_ent *ike;
	uint64_t bgen = 0;

	for (uint32_t i = 0; i < t->n_child; i++) {
		const struct tw_keyimp_child *in = &t->child[i].sa, *po = NULL;
		uint64_t gen;

		if (in->dir != TW_KEYIMP_DIR_IN || !in->has_ike ||
		    !addr_eq(&in->dst, local) || !addr_eq(&in->src, remote))
			continue;
		/* its outbound: the one named by a peer-spi, else the newest
		 * unnamed mirror of the same IKE SA */
		for (uint32_t j = 0; j < t->n_child; j++) {
			const struct tw_keyimp_child *o = &t->child[j].sa;

			if (!draft_pair(in, o))
				continue;
			if (po == NULL ||
			    draft_named(in, o) > draft_named(in, po) ||
			    (draft_named(in, o) == draft_named(in, po) &&
			     o->generation > po->generation))
				po = o;
		}
		if (po == NULL)
			continue;
		gen = in->generation > po->generation ? in->generation : po->generation;
		if (succ_of != NULL && !draft_keep(succ_of, in, po, gen))
			continue;
		if (bin == NULL || gen > bgen) {
			bin = in;
			bout = po;
			bgen = gen;
		}
	}
	if (bin == NULL)
		return -ENOENT;
	ike = ike_find(t, bin->ike_spi_i, bin->ike_spi_r);
	if (ike == NULL) /* cannot happen: ike-down removes its children */
		return -ENOENT;
	out->proto = bin->proto;
	out->spi_in = bin->spi;
	out->spi_out = bout->spi;
	out->local = *local;
	out->remote = *remote;
	memcpy(out->ike_spi_i, bin->ike_spi_i, 8);
	memcpy(out->ike_spi_r, bin->ike_spi_r, 8);
	out->has_reqid = bin->has_reqid;
	out->reqid = bin->reqid;
	out->generation = bgen;
	out->prf = ike->sa.prf;
	out->skeyseed_len = ike->sa.skeyseed_len;
	memcpy(out->skeyseed, ike->sa.skeyseed, ike->sa.skeyseed_len);
	if (bin->keymat_len != 0 && bin->keymat_len == bout->keymat_len &&
	    tw_crypto_memeq(bin->keymat, bout->keymat, bin->keymat_len)) {
		out->keymat_len = bin->keymat_len;
		memcpy(out->keymat, bin->keymat, bin->keymat_len);
	}
	out->encr = bin->encr;
	out->encr_keylen = bin->encr_keylen;
	out->encr_key_len = bin->encr_key_len;
	memcpy(out->encr_key_in, bin->encr_key, bin->encr_key_len);
	memcpy(out->encr_key_out, bout->encr_key, bout->encr_key_len);
	out->integ = bin->integ;
	out->integ_key_len = bin->integ_key_len;
	memcpy(out->integ_key_in, bin->integ_key, bin->integ_key_len);
	memcpy(out->integ_key_out, bout->integ_key, bout->integ_key_len);
	return 0;
}

static bool draft_addr_ok(const struct tw_keyimp_addr *local, const struct tw_keyimp_addr *remote)
{
	return (local->family == AF_INET || local->family == AF_INET6) &&
	       local->family == remote->family;
}

int tw_keyimp_draft_find(const struct tw_keyimp *t, const struct tw_keyimp_addr *local,
			 const struct tw_keyimp_addr *remote, struct tw_keyimp_draft *out)
{
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (t == NULL || local == NULL || remote == NULL || out == NULL ||
	    !draft_addr_ok(local, remote))
		return -EINVAL;
	return draft_search(t, local, remote, NULL, out);
}

/* Seed draft §4.1 (lines ~331-334, ~439-442): a rekeyed Child SA's keys
 * replace the old ones; here, which pair replaced the bound one. */
int tw_keyimp_draft_successor(const struct tw_keyimp *t, struct tw_keyimp_draft *bound,
			      struct tw_keyimp_draft *out)
{
	const struct child_ent *cur;

	if (out != NULL && out != bound)
		memset(out, 0, sizeof(*out));
	if (t == NULL || bound == NULL || out == NULL || bound == out ||
	    !draft_addr_ok(&bound->local, &bound->remote) ||
	    (bound->proto != TW_KEYIMP_ESP && bound->proto != TW_KEYIMP_AH))
		return -EINVAL;
	/* still here: its owner now (an ike-rekey re-parents the children) */
	cur = child_find(t, bound->proto, bound->spi_in, &bound->local, TW_KEYIMP_DIR_IN);
	if (cur != NULL && cur->sa.has_ike) {
		memcpy(bound->ike_spi_i, cur->sa.ike_spi_i, 8);
		memcpy(bound->ike_spi_r, cur->sa.ike_spi_r, 8);
	}
	return draft_search(t, &bound->local, &bound->remote, bound, out);
}
