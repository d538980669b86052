/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * YAML tree -> struct tw_config. Each section is read by a key table: the
 * value node of every known key lands in a slot, unknown and duplicate keys
 * are reported there, and the slots are kept so cross-reference checks
 * (run once every section and the key file are read) can point at the
 * offending node. Every problem is reported; nothing stops at the first.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "config_priv.h"
#include "tw_proto.h"

#define MAXK 24 /* keys per mapping */

struct slots {
	const struct ynode *node;   /* the mapping (or NULL) */
	const struct ynode *v[MAXK];
	unsigned errs;              /* errors while reading this item */
};

struct pctx {
	struct cctx c;
	struct tw_config *cfg;
	const char *name;          /* main file name */
	struct slots top, refl, ctrl, sender, ipsec, kimp, ikev2, tel, res, work;
	struct slots *ports, *light, *statics, *sessions, *sas;
	bool keys_loaded;
	bool ipv4, ipv6;           /* some port has that family */
};

/* ---------- key tables ---------- */

enum { T_EAL, T_PORTS, T_WORKERS, T_REFLECTOR, T_SENDER, T_IPSEC, T_TELEMETRY,
       T_RESULTS };
static const char *const top_keys[] = { "eal", "ports", "workers", "reflector",
	"sender", "ipsec", "telemetry", "results", NULL };

enum { P_NAME, P_DEVICE, P_IPV4, P_IPV6, P_VLAN, P_MAC, P_EXC, P_RXD, P_TXD };
static const char *const port_keys[] = { "name", "device", "ipv4", "ipv6",
	"vlan", "mac", "exception", "rx_desc", "tx_desc", NULL };

static const char *const workers_keys[] = { "lcores", "idle_sleep_us", NULL };

enum { R_CONTROL, R_LIGHT, R_STATIC };
static const char *const refl_keys[] = { "control", "light", "static_sessions",
	NULL };

enum { C_ENABLED, C_LISTEN, C_MODES, C_OPTIONS, C_KEYS, C_COUNT, C_MAXCONN,
       C_MAXSESS, C_MAXPER, C_SERVWAIT, C_REFWAIT, C_OWPORT };
static const char *const ctrl_keys[] = { "enabled", "listen", "modes", "options",
	"keys", "count", "max_connections", "max_sessions",
	"max_sessions_per_connection", "servwait_s", "refwait_s", "owamp_port", NULL };

enum { L_PORT, L_PROTO, L_MODE, L_KEYID, L_STATEFUL, L_ALLOW };
static const char *const light_keys[] = { "port", "protocol", "mode", "key_id",
	"stateful", "allow", NULL };

enum { ST_PEER, ST_PEERPORT, ST_PORT, ST_PROTO, ST_MODE, ST_KEYID, ST_STATEFUL };
static const char *const static_keys[] = { "peer", "peer_port", "port",
	"protocol", "mode", "key_id", "stateful", NULL };

enum { SN_SESSIONS, SN_LCORE };
static const char *const sender_keys[] = { "sessions", "lcore", NULL };

enum { S_NAME, S_PEER, S_PEERPORT, S_PORT, S_SRCPORT, S_PROTO, S_MODE, S_KEYID,
       S_COUNT, S_DURATION, S_RATE, S_INTERVAL, S_SCHED, S_PADDING, S_DSCP,
       S_ECN, S_TIMEOUT, S_OPTIONS, S_REFLPAD, S_IKEV2, S_SASPI };
static const char *const session_keys[] = { "name", "peer", "peer_port", "port",
	"src_port", "protocol", "mode", "key_id", "count", "duration_s",
	"rate_pps", "interval_us", "schedule", "padding", "dscp", "ecn",
	"timeout_s", "options", "reflect_padding", "ikev2", "sa_spi", NULL };

enum { I_KEYIMPORT, I_IKEV2, I_SAS };
static const char *const ipsec_keys[] = { "key_import", "ikev2", "sas", NULL };
static const char *const kimp_keys[] = { "socket", NULL };
enum { K_PROFILE, K_TOKEN, K_VARIANT, K_SECRET, K_SIDKEY };
static const char *const ikev2_keys[] = { "profile", "token_key", "variant", "secret",
	"sid_key", NULL };

enum { A_SPI, A_DIR, A_SRC, A_DST, A_PROTO, A_MODE, A_ENCAP, A_ESPORT,
       A_EDPORT, A_CIPHER, A_AUTH, A_CKEY, A_AKEY, A_REPLAY, A_ESN, A_ODSCP };
static const char *const sa_keys[] = { "spi", "direction", "src", "dst", "proto",
	"mode", "encap", "encap_sport", "encap_dport", "cipher", "auth",
	"cipher_key", "auth_key", "replay_window", "esn", "outer_dscp", NULL };

enum { TE_COUNTERS, TE_TURN, TE_INTERVAL };
static const char *const tel_keys[] = { "counters", "turnaround", "interval_s",
	NULL };
enum { RE_DIR, RE_PP };
static const char *const res_keys[] = { "dir", "per_packet", NULL };

/* ---------- enum names (shared with the dump) ---------- */

static const char *const exc_names[] = { "tap", "none", NULL };
static const char *const proto_names[] = { "twamp", "twamp-light", "stamp", "owamp",
	NULL };
static const char *const tmode_names[] = { "open", "auth", "enc", "mixed", NULL };
static const char *const sched_names[] = { "periodic", "poisson", NULL };
static const char *const profile_names[] = { "rfc7717", "draft", NULL };
static const char *const token_names[] = { "pbkdf2", "direct", NULL };
static const char *const variant_names[] = { "base", "alt1", "alt2", NULL };
static const char *const dsecret_names[] = { "skeyseed", "keymat", NULL };
static const char *const dir_names[] = { "in", "out", NULL };
static const char *const saproto_names[] = { "esp", "ah", NULL };
static const char *const samode_names[] = { "tunnel", "transport", NULL };
static const char *const encap_names[] = { "none", "udp", NULL };
static const char *const cipher_names[] = { "null", "aes-gcm-128", "aes-gcm-256",
	"aes-cbc-128", "aes-cbc-256", "aes-ctr-128", NULL };
static const char *const auth_names[] = { "none", "hmac-sha1-96",
	"hmac-sha256-128", NULL };
static const char *const pp_names[] = { "none", "csv", "jsonl", NULL };
static const char *const ecn_names[] = { "not-ect", "ect1", "ect0", "ce", NULL };

static const struct { const char *name; uint32_t bit; } mode_bits[] = {
	{ "open", TW_CONFIG_MODE_OPEN }, { "auth", TW_CONFIG_MODE_AUTH },
	{ "enc", TW_CONFIG_MODE_ENC }, { "mixed", TW_CONFIG_MODE_MIXED },
	{ "individual_session_control", TW_CONFIG_OPT_INDIVIDUAL },
	{ "reflect_octets", TW_CONFIG_OPT_REFLECT },
	{ "symmetrical_size", TW_CONFIG_OPT_SYMMETRIC },
	{ "ikev2", TW_CONFIG_MODE_IKEV2 },
	{ "dscp_ecn", TW_CONFIG_OPT_DSCP_ECN },
	{ "ptp_timestamps", TW_CONFIG_OPT_PTP },
};

const char *tw_config_mode_name(uint32_t bit)
{
	for (size_t i = 0; i < sizeof(mode_bits) / sizeof(mode_bits[0]); i++)
		if (mode_bits[i].bit == bit)
			return mode_bits[i].name;
	return NULL;
}

const char *tw_config_proto_name(enum tw_config_proto p)
{
	return (unsigned)p <= TW_CONFIG_PROTO_OWAMP ? proto_names[p] : "?";
}

/* Names for the dump (tw_config_dump.c). */
const char *cfg_enum_name(int which, unsigned v);
const char *cfg_enum_name(int which, unsigned v)
{
	static const char *const *const tabs[] = { exc_names, proto_names,
		tmode_names, sched_names, profile_names, token_names, dir_names,
		saproto_names, samode_names, encap_names, cipher_names,
		auth_names, pp_names, ecn_names, variant_names, dsecret_names };

	if (which < 0 || (size_t)which >= sizeof(tabs) / sizeof(tabs[0]))
		return "?";
	for (unsigned i = 0; tabs[which][i] != NULL; i++)
		if (i == v)
			return tabs[which][i];
	return "?";
}

/* ---------- generic helpers ---------- */

static void join_names(char *buf, size_t cap, const char *const names[])
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; names[i] != NULL && off < cap; i++) {
		int n = snprintf(buf + off, cap - off, "%s%s", i ? ", " : "", names[i]);

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* Printable excerpt of a scalar for messages. */
static const char *show(const struct ynode *n, char *buf, size_t cap)
{
	size_t o = 0;

	if (n->type != YN_SCALAR)
		return n->type == YN_MAP ? "a mapping" : "a list";
	for (size_t i = 0; i < n->len && o + 5 < cap; i++) {
		unsigned char ch = (unsigned char)n->str[i];

		if (o + 8 >= cap && i + 1 < n->len) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '\'')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
	}
	buf[o] = '\0';
	return buf;
}

#define SHOW(n) show((n), (char[48]){ 0 }, 48)

static const char *type_name(const struct ynode *n)
{
	if (n->type == YN_MAP)
		return "a mapping";
	if (n->type == YN_SEQ)
		return "a list";
	return "a scalar";
}

/*
 * Read a mapping through a key table. A null node is an empty mapping.
 * Returns false when @n is not a mapping (reported).
 */
static bool map_fields(struct pctx *p, const struct ynode *n, const char *path,
		       const char *const keys[], struct slots *s)
{
	memset(s, 0, sizeof(*s));
	if (n == NULL || cfg_is_null(n))
		return true;
	s->node = n;
	if (n->type != YN_MAP) {
		cfg_err(&p->c, n, "%s: expected a mapping, got %s", path, type_name(n));
		s->node = NULL;
		return false;
	}
	for (unsigned i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *k = n->kids[i], *v = n->kids[i + 1];
		unsigned j;

		if (k->type != YN_SCALAR) {
			cfg_err(&p->c, k, "%s: keys must be plain names, got %s", path,
				type_name(k));
			continue;
		}
		for (j = 0; keys[j] != NULL; j++)
			if (strcmp(keys[j], k->str) == 0 && strlen(k->str) == k->len)
				break;
		if (keys[j] == NULL) {
			char exp[512];

			join_names(exp, sizeof(exp), keys);
			cfg_err(&p->c, k, "unknown key '%s' in %s; expected one of: %s",
				SHOW(k), path, exp);
			continue;
		}
		if (s->v[j] != NULL) {
			cfg_err(&p->c, k, "%s: duplicate key '%s' (first at line %u)",
				path, keys[j], s->v[j]->line);
			continue;
		}
		s->v[j] = v;
	}
	return true;
}

/* A sequence, or null (empty). Returns the item count, -1 if not a list. */
static int seq_items(struct pctx *p, const struct ynode *n, const char *path,
		     unsigned max)
{
	if (n == NULL || cfg_is_null(n))
		return 0;
	if (n->type != YN_SEQ) {
		cfg_err(&p->c, n, "%s: expected a list, got %s", path, type_name(n));
		return -1;
	}
	if (n->n > max) {
		cfg_err(&p->c, n, "%s: too many entries (%u, at most %u)", path, n->n,
			max);
		return -1;
	}
	return (int)n->n;
}

static bool scalar(struct pctx *p, const struct ynode *n, const char *path)
{
	if (n->type != YN_SCALAR) {
		cfg_err(&p->c, n, "%s: expected a value, got %s", path, type_name(n));
		return false;
	}
	if (cfg_is_null(n)) {
		cfg_err(&p->c, n, "%s: missing value", path);
		return false;
	}
	if (strlen(n->str) != n->len) {
		cfg_err(&p->c, n, "%s: value contains a NUL character", path);
		return false;
	}
	return true;
}

static bool get_str(struct pctx *p, const struct ynode *n, const char *path,
		    char *dst, size_t cap, bool allow_empty)
{
	if (n->type == YN_SCALAR && !n->plain && n->len == 0 && allow_empty) {
		memset(dst, 0, cap);
		return true;
	}
	if (!scalar(p, n, path))
		return false;
	if (n->len >= cap) {
		cfg_err(&p->c, n, "%s: too long (%zu characters, at most %zu)", path,
			n->len, cap - 1);
		return false;
	}
	memset(dst, 0, cap);
	memcpy(dst, n->str, n->len);
	return true;
}

static bool get_uint(struct pctx *p, const struct ynode *n, const char *path,
		     uint64_t min, uint64_t max, uint64_t *out)
{
	const char *s;
	char *end;
	unsigned long long v;

	if (!scalar(p, n, path))
		return false;
	s = n->str;
	errno = 0;
	if (s[0] < '0' || s[0] > '9' ||
	    ((v = strtoull(s, &end, 0)), errno != 0) || *end != '\0' ||
	    (s[0] == '0' && s[1] >= '0' && s[1] <= '9')) {
		cfg_err(&p->c, n, "%s: expected an integer in %llu..%llu, got '%s'",
			path, (unsigned long long)min, (unsigned long long)max, SHOW(n));
		return false;
	}
	if (v < min || v > max) {
		cfg_err(&p->c, n, "%s: %llu is out of range %llu..%llu", path, v,
			(unsigned long long)min, (unsigned long long)max);
		return false;
	}
	*out = v;
	return true;
}

#define GET_UINT(p, n, path, min, max, dst)                                    \
	do {                                                                   \
		uint64_t v_;                                                   \
		if (get_uint((p), (n), (path), (min), (max), &v_))             \
			(dst) = (__typeof__(dst))v_;                           \
	} while (0)

static bool get_bool(struct pctx *p, const struct ynode *n, const char *path,
		     bool *out)
{
	if (!scalar(p, n, path))
		return false;
	if (strcmp(n->str, "true") == 0 || strcmp(n->str, "True") == 0 ||
	    strcmp(n->str, "TRUE") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(n->str, "false") == 0 || strcmp(n->str, "False") == 0 ||
	    strcmp(n->str, "FALSE") == 0) {
		*out = false;
		return true;
	}
	cfg_err(&p->c, n, "%s: expected true or false, got '%s'", path, SHOW(n));
	return false;
}

static bool get_enum(struct pctx *p, const struct ynode *n, const char *path,
		     const char *const names[], unsigned *out)
{
	char exp[256];

	/* checked before scalar(): the cipher "null" is also a YAML null */
	for (unsigned i = 0; n->type == YN_SCALAR && names[i] != NULL; i++)
		if (strcmp(names[i], n->str) == 0 && strlen(n->str) == n->len) {
			*out = i;
			return true;
		}
	if (!scalar(p, n, path))
		return false;
	join_names(exp, sizeof(exp), names);
	cfg_err(&p->c, n, "%s: '%s' is not one of: %s", path, SHOW(n), exp);
	return false;
}

#define GET_ENUM(p, n, path, names, dst)                                       \
	do {                                                                   \
		unsigned e_;                                                   \
		if (get_enum((p), (n), (path), (names), &e_))                  \
			(dst) = (__typeof__(dst))e_;                           \
	} while (0)

static int parse_ip(const char *s, struct tw_config_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = 4;
		a->prefix = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->family = 6;
		a->prefix = 128;
		return 0;
	}
	return -1;
}

/* "addr" or "addr/len"; family 0 = either. */
static bool get_addr(struct pctx *p, const struct ynode *n, const char *path,
		     int family, bool prefix, bool need_prefix,
		     struct tw_config_addr *out)
{
	char buf[64], *slash;
	struct tw_config_addr a;
	const char *fam = family == 4 ? "IPv4 " : family == 6 ? "IPv6 " : "";

	if (!scalar(p, n, path))
		return false;
	if (n->len >= sizeof(buf)) {
		cfg_err(&p->c, n, "%s: '%s' is not an %saddress", path, SHOW(n), fam);
		return false;
	}
	memcpy(buf, n->str, n->len + 1);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (parse_ip(buf, &a) < 0 || (family && a.family != family)) {
		cfg_err(&p->c, n, "%s: '%s' is not an %saddress%s", path, SHOW(n), fam,
			need_prefix ? " with a prefix length (a.b.c.d/len)" : "");
		return false;
	}
	if (slash != NULL && !prefix) {
		cfg_err(&p->c, n, "%s: '%s': a host address has no prefix length",
			path, SHOW(n));
		return false;
	}
	if (slash == NULL && need_prefix) {
		cfg_err(&p->c, n, "%s: '%s' needs a prefix length (/len)", path, SHOW(n));
		return false;
	}
	if (slash != NULL) {
		char *end;
		unsigned long len = strtoul(slash, &end, 10);

		if (*slash < '0' || *slash > '9' || *end != '\0' || len > a.prefix ||
		    (slash[0] == '0' && slash[1] != '\0')) {
			cfg_err(&p->c, n, "%s: '%s': prefix length must be 0..%u", path,
				SHOW(n), a.prefix);
			return false;
		}
		a.prefix = (uint8_t)len;
	}
	*out = a;
	return true;
}

static bool get_endpoint(struct pctx *p, const struct ynode *n, const char *path,
			 struct tw_config_endpoint *out)
{
	char buf[80], *host = buf, *port = NULL;
	struct tw_config_endpoint e;

	if (!scalar(p, n, path))
		return false;
	memset(&e, 0, sizeof(e));
	if (n->len >= sizeof(buf))
		goto bad;
	memcpy(buf, n->str, n->len + 1);
	if (buf[0] == '[') {
		char *rb = strchr(buf, ']');

		if (rb == NULL)
			goto bad;
		*rb = '\0';
		host = buf + 1;
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1] != '\0')
			goto bad;
		if (parse_ip(host, &e.ip) < 0 || e.ip.family != 6)
			goto bad;
	} else if (parse_ip(buf, &e.ip) < 0) {
		char *colon = strrchr(buf, ':');

		if (colon == NULL)
			goto bad;
		*colon = '\0';
		port = colon + 1;
		if (parse_ip(buf, &e.ip) < 0 || e.ip.family != 4)
			goto bad;
	}
	e.port = TW_CONFIG_DEFAULT_PORT;
	if (port != NULL) {
		char *end;
		unsigned long v = strtoul(port, &end, 10);

		if (*port < '0' || *port > '9' || *end != '\0' || v == 0 || v > 65535)
			goto bad;
		e.port = (uint16_t)v;
	}
	*out = e;
	return true;
bad:
	cfg_err(&p->c, n,
		"%s: '%s' is not an address with an optional port "
		"(a.b.c.d:port or [v6]:port, port 1..65535)", path, SHOW(n));
	return false;
}

static bool get_mac(struct pctx *p, const struct ynode *n, const char *path,
		    bool *has, uint8_t mac[6])
{
	unsigned m[6];
	char end;

	if (!scalar(p, n, path))
		return false;
	if (strcmp(n->str, "auto") == 0) {
		*has = false;
		memset(mac, 0, 6);
		return true;
	}
	if (n->len != 17 || sscanf(n->str, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1],
				   &m[2], &m[3], &m[4], &m[5], &end) != 6) {
		cfg_err(&p->c, n, "%s: '%s' is not a MAC address (aa:bb:cc:dd:ee:ff) or auto",
			path, SHOW(n));
		return false;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	if (mac[0] & 1) {
		cfg_err(&p->c, n, "%s: '%s' is a multicast address", path, SHOW(n));
		return false;
	}
	if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0) {
		cfg_err(&p->c, n, "%s: the all-zero MAC address is not usable", path);
		return false;
	}
	*has = true;
	return true;
}

static void set_str(char *dst, size_t cap, const char *s)
{
	memset(dst, 0, cap);
	snprintf(dst, cap, "%s", s);
}

static bool addr_eq(const struct tw_config_addr *a, const struct tw_config_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

static bool addr_is_any(const struct tw_config_addr *a)
{
	return tw_proto_is_zero(a->addr, sizeof(a->addr));
}

const char *tw_config_addr_str(const struct tw_config_addr *a, char *buf, size_t cap)
{
	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, buf,
		      (socklen_t)cap) == NULL)
		snprintf(buf, cap, "?");
	return buf;
}

#define ADDR(a) tw_config_addr_str((a), (char[64]){ 0 }, 64)

/* The port that owns host address @a, or NULL. */
static const struct tw_config_port *port_of_addr(const struct tw_config *cfg,
						 const struct tw_config_addr *a)
{
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct tw_config_port *pt = &cfg->ports[i];
		const struct tw_config_addr *l = a->family == 4 ? pt->ipv4 : pt->ipv6;
		unsigned nl = a->family == 4 ? pt->n_ipv4 : pt->n_ipv6;

		for (unsigned j = 0; j < nl; j++)
			if (addr_eq(&l[j], a))
				return pt;
	}
	return NULL;
}

static const struct tw_config_port *port_by_name(const struct tw_config *cfg,
						 const char *name)
{
	for (unsigned i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return &cfg->ports[i];
	return NULL;
}

static const char *fpath(char *buf, size_t cap, const char *base, const char *key)
{
	snprintf(buf, cap, "%s.%s", base, key);
	return buf;
}

#define FP(base, key) fpath((char[160]){ 0 }, 160, (base), (key))

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 12)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

/* DSCP names (RFC 2474, 2597, 3246): BE, EF, CS0..CS7, AF11..AF43. */
static int dscp_parse(const char *s)
{
	if (strcmp(s, "BE") == 0 || strcmp(s, "be") == 0)
		return 0;
	if (strcmp(s, "EF") == 0 || strcmp(s, "ef") == 0)
		return 46;
	if ((s[0] == 'C' || s[0] == 'c') && (s[1] == 'S' || s[1] == 's') &&
	    s[2] >= '0' && s[2] <= '7' && s[3] == '\0')
		return (s[2] - '0') << 3;
	if ((s[0] == 'A' || s[0] == 'a') && (s[1] == 'F' || s[1] == 'f') &&
	    s[2] >= '1' && s[2] <= '4' && s[3] >= '1' && s[3] <= '3' && s[4] == '\0')
		return (s[2] - '0') << 3 | (s[3] - '0') << 1;
	return -1;
}

static bool is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* ---------- sections ---------- */

static void parse_eal(struct pctx *p, const struct ynode *n)
{
	struct tw_config *cfg = p->cfg;
	int cnt = seq_items(p, n, "eal", TW_CONFIG_EAL_MAX);

	if (cnt <= 0)
		return;
	cfg->eal = calloc((size_t)cnt, sizeof(char *));
	if (cfg->eal == NULL) {
		p->c.nomem = true;
		return;
	}
	for (int i = 0; i < cnt; i++) {
		const struct ynode *it = n->kids[i];
		char path[32];

		snprintf(path, sizeof(path), "eal[%d]", i);
		if (!scalar(p, it, path))
			continue;
		cfg->eal[cfg->n_eal] = strdup(it->str);
		if (cfg->eal[cfg->n_eal] == NULL) {
			p->c.nomem = true;
			return;
		}
		cfg->n_eal++;
	}
}

static void parse_addr_list(struct pctx *p, const struct ynode *n, const char *path,
			    int family, struct tw_config_addr *out, unsigned *nout,
			    bool host_bits_ok)
{
	int cnt = seq_items(p, n, path, TW_CONFIG_ADDRS_MAX);

	for (int i = 0; i < cnt; i++) {
		char ip[64];
		struct tw_config_addr a;

		snprintf(ip, sizeof(ip), "%s[%d]", path, i);
		if (!get_addr(p, n->kids[i], ip, family, true, host_bits_ok, &a))
			continue;
		if (!host_bits_ok) {
			unsigned bytes = a.family == 4 ? 4 : 16;
			bool bad = false;

			for (unsigned b = a.prefix; b < bytes * 8; b++)
				if (a.addr[b / 8] & (0x80 >> (b % 8)))
					bad = true;
			if (bad) {
				cfg_err(&p->c, n->kids[i],
					"%s: '%s' has host bits set beyond the prefix",
					ip, SHOW(n->kids[i]));
				continue;
			}
		}
		for (unsigned j = 0; j < *nout; j++)
			if (addr_eq(&out[j], &a) && out[j].prefix == a.prefix) {
				cfg_err(&p->c, n->kids[i], "%s: duplicate address '%s'",
					ip, SHOW(n->kids[i]));
				goto next;
			}
		out[(*nout)++] = a;
next:;
	}
}

static void parse_ports(struct pctx *p, const struct ynode *n)
{
	struct tw_config *cfg = p->cfg;
	int cnt = seq_items(p, n, "ports", TW_CONFIG_PORTS_MAX);

	if (cnt == 0 && n != NULL && !cfg_is_null(n))
		cfg_err(&p->c, n, "ports: at least one port is needed");
	if (cnt <= 0)
		return;
	cfg->ports = calloc((size_t)cnt, sizeof(*cfg->ports));
	p->ports = calloc((size_t)cnt, sizeof(*p->ports));
	if (cfg->ports == NULL || p->ports == NULL) {
		p->c.nomem = true;
		return;
	}
	for (int i = 0; i < cnt; i++) {
		struct tw_config_port *pt = &cfg->ports[cfg->n_ports];
		struct slots *s = &p->ports[cfg->n_ports];
		char path[32];

		snprintf(path, sizeof(path), "ports[%d]", i);
		if (!map_fields(p, n->kids[i], path, port_keys, s))
			continue;
		if (s->node == NULL) {
			cfg_err(&p->c, n->kids[i], "%s: empty port", path);
			continue;
		}
		cfg->n_ports++;
		pt->rx_desc = pt->tx_desc = 1024;
		pt->exception = TW_CONFIG_EXC_TAP;
		if (s->v[P_NAME] == NULL)
			cfg_err(&p->c, s->node, "%s: missing required key 'name'", path);
		else if (get_str(p, s->v[P_NAME], FP(path, "name"), pt->name,
				 sizeof(pt->name), false) && !valid_name(pt->name))
			cfg_err(&p->c, s->v[P_NAME],
				"%s: '%s' must be 1..12 characters of A-Z a-z 0-9 - _",
				FP(path, "name"), pt->name);
		if (s->v[P_DEVICE] == NULL)
			cfg_err(&p->c, s->node, "%s: missing required key 'device'", path);
		else
			get_str(p, s->v[P_DEVICE], FP(path, "device"), pt->device,
				sizeof(pt->device), false);
		if (s->v[P_IPV4] != NULL)
			parse_addr_list(p, s->v[P_IPV4], FP(path, "ipv4"), 4, pt->ipv4,
					&pt->n_ipv4, true);
		if (s->v[P_IPV6] != NULL)
			parse_addr_list(p, s->v[P_IPV6], FP(path, "ipv6"), 6, pt->ipv6,
					&pt->n_ipv6, true);
		if (s->v[P_VLAN] != NULL)
			GET_UINT(p, s->v[P_VLAN], FP(path, "vlan"), 0, 4094, pt->vlan);
		if (s->v[P_MAC] != NULL)
			get_mac(p, s->v[P_MAC], FP(path, "mac"), &pt->has_mac, pt->mac);
		if (s->v[P_EXC] != NULL)
			GET_ENUM(p, s->v[P_EXC], FP(path, "exception"), exc_names,
				 pt->exception);
		for (int d = 0; d < 2; d++) {
			const struct ynode *v = s->v[d ? P_TXD : P_RXD];
			const char *fp = FP(path, d ? "tx_desc" : "rx_desc");
			uint64_t x;

			if (v == NULL || !get_uint(p, v, fp, 64, 16384, &x))
				continue;
			if (!is_pow2(x))
				cfg_err(&p->c, v, "%s: %llu is not a power of 2", fp,
					(unsigned long long)x);
			else if (d)
				pt->tx_desc = (uint16_t)x;
			else
				pt->rx_desc = (uint16_t)x;
		}
		if (pt->n_ipv4 + pt->n_ipv6 == 0 && s->v[P_IPV4] == NULL &&
		    s->v[P_IPV6] == NULL)
			cfg_err(&p->c, s->node, "%s: a port needs an ipv4 or ipv6 address",
				path);
		p->ipv4 |= pt->n_ipv4 > 0;
		p->ipv6 |= pt->n_ipv6 > 0;
		/* duplicates against earlier ports */
		for (unsigned j = 0; j + 1 < cfg->n_ports; j++) {
			const struct tw_config_port *o = &cfg->ports[j];

			if (pt->name[0] && strcmp(o->name, pt->name) == 0)
				cfg_err(&p->c, s->v[P_NAME], "%s: duplicate port name '%s' "
					"(also ports[%u])", FP(path, "name"), pt->name, j);
			if (pt->device[0] && strcmp(o->device, pt->device) == 0)
				cfg_err(&p->c, s->v[P_DEVICE], "%s: device '%s' is already "
					"used by port '%s'", FP(path, "device"), pt->device,
					o->name);
			for (unsigned f = 0; f < 2; f++) {
				const struct tw_config_addr *l = f ? pt->ipv6 : pt->ipv4;
				unsigned nl = f ? pt->n_ipv6 : pt->n_ipv4;

				for (unsigned k = 0; k < nl; k++) {
					const struct tw_config_port *own = port_of_addr(cfg, &l[k]);

					if (own != NULL && own != pt)
						cfg_err(&p->c, s->v[f ? P_IPV6 : P_IPV4],
							"%s: address %s is already on port '%s'",
							FP(path, f ? "ipv6" : "ipv4"),
							ADDR(&l[k]), own->name);
				}
			}
		}
	}
}

static void parse_workers(struct pctx *p, const struct ynode *n)
{
	struct tw_config *cfg = p->cfg;
	const struct ynode *l;
	int cnt;

	cfg->n_lcores = 1;
	cfg->lcores[0] = 1;
	if (!map_fields(p, n, "workers", workers_keys, &p->work))
		return;
	if (p->work.v[1] != NULL) {
		uint64_t us;

		if (get_uint(p, p->work.v[1], "workers.idle_sleep_us", 0, 1000000, &us))
			cfg->idle_sleep_us = (uint32_t)us;
	}
	l = p->work.v[0];
	if (l == NULL)
		return;
	cnt = seq_items(p, l, "workers.lcores", TW_CONFIG_LCORES_MAX);
	if (cnt < 0)
		return;
	if (cnt == 0) {
		cfg_err(&p->c, l, "workers.lcores: at least one worker lcore is needed");
		return;
	}
	cfg->n_lcores = 0;
	for (int i = 0; i < cnt; i++) {
		char path[40];
		uint64_t v;

		snprintf(path, sizeof(path), "workers.lcores[%d]", i);
		if (!get_uint(p, l->kids[i], path, 0, 1023, &v))
			continue;
		for (unsigned j = 0; j < cfg->n_lcores; j++)
			if (cfg->lcores[j] == v) {
				cfg_err(&p->c, l->kids[i], "%s: duplicate lcore %llu", path,
					(unsigned long long)v);
				goto next;
			}
		cfg->lcores[cfg->n_lcores++] = (uint16_t)v;
next:;
	}
}

static uint32_t parse_bits(struct pctx *p, const struct ynode *n, const char *path,
			   uint32_t allowed)
{
	uint32_t bits = 0;
	int cnt = seq_items(p, n, path, 16);
	char exp[256] = "";
	size_t off = 0;

	for (size_t i = 0; i < sizeof(mode_bits) / sizeof(mode_bits[0]); i++)
		if (mode_bits[i].bit & allowed)
			off += (size_t)snprintf(exp + off, sizeof(exp) - off, "%s%s",
						off ? ", " : "", mode_bits[i].name);
	for (int i = 0; i < cnt; i++) {
		const struct ynode *it = n->kids[i];
		char ip[48];
		size_t j;

		snprintf(ip, sizeof(ip), "%s[%d]", path, i);
		if (!scalar(p, it, ip))
			continue;
		for (j = 0; j < sizeof(mode_bits) / sizeof(mode_bits[0]); j++)
			if ((mode_bits[j].bit & allowed) &&
			    strcmp(mode_bits[j].name, it->str) == 0)
				break;
		if (j == sizeof(mode_bits) / sizeof(mode_bits[0])) {
			cfg_err(&p->c, it, "%s: '%s' is not one of: %s", ip, SHOW(it), exp);
			continue;
		}
		if (bits & mode_bits[j].bit)
			cfg_err(&p->c, it, "%s: '%s' is listed twice", ip, it->str);
		bits |= mode_bits[j].bit;
	}
	return bits;
}

#define ALL_MODES (TW_CONFIG_MODE_OPEN | TW_CONFIG_MODE_AUTH | TW_CONFIG_MODE_ENC | \
		   TW_CONFIG_MODE_MIXED | TW_CONFIG_MODE_IKEV2)
#define ALL_OPTS (TW_CONFIG_OPT_INDIVIDUAL | TW_CONFIG_OPT_REFLECT |          \
		  TW_CONFIG_OPT_SYMMETRIC | TW_CONFIG_OPT_DSCP_ECN | TW_CONFIG_OPT_PTP)
/* what the Control-Client of sender.sessions can ask for */
#define SESSION_OPTS (TW_CONFIG_OPT_INDIVIDUAL | TW_CONFIG_OPT_REFLECT |      \
		      TW_CONFIG_OPT_SYMMETRIC | TW_CONFIG_OPT_DSCP_ECN)

static void parse_control(struct pctx *p, const struct ynode *n)
{
	struct tw_config_control *c = &p->cfg->control;
	struct slots *s = &p->ctrl;
	const char *path = "reflector.control";

	c->count = 2048;
	c->max_connections = 64;
	c->max_sessions = 65536;
	c->max_sessions_per_connection = 1024;
	c->servwait_s = 900;
	c->refwait_s = 900;
	c->owamp_port = 861;
	c->options = TW_CONFIG_OPT_INDIVIDUAL | TW_CONFIG_OPT_REFLECT |
		     TW_CONFIG_OPT_SYMMETRIC | TW_CONFIG_OPT_DSCP_ECN;
	if (!map_fields(p, n, path, ctrl_keys, s))
		return;
	c->enabled = s->node != NULL;
	if (s->v[C_ENABLED] != NULL)
		get_bool(p, s->v[C_ENABLED], FP(path, "enabled"), &c->enabled);
	if (s->v[C_KEYS] != NULL)
		get_str(p, s->v[C_KEYS], FP(path, "keys"), c->keys, sizeof(c->keys), true);
	if (s->v[C_LISTEN] != NULL) {
		const struct ynode *l = s->v[C_LISTEN];
		int cnt = seq_items(p, l, FP(path, "listen"), TW_CONFIG_ADDRS_MAX);

		if (cnt == 0)
			cfg_err(&p->c, l, "%s.listen: at least one address is needed", path);
		for (int i = 0; i < cnt; i++) {
			char ip[48];
			struct tw_config_endpoint e;

			snprintf(ip, sizeof(ip), "%s.listen[%d]", path, i);
			if (!get_endpoint(p, l->kids[i], ip, &e))
				continue;
			for (unsigned j = 0; j < c->n_listen; j++)
				if (addr_eq(&c->listen[j].ip, &e.ip) &&
				    c->listen[j].port == e.port) {
					cfg_err(&p->c, l->kids[i], "%s: duplicate listen address",
						ip);
					goto next;
				}
			c->listen[c->n_listen++] = e;
next:;
		}
	}
	if (s->v[C_MODES] != NULL) {
		c->modes = parse_bits(p, s->v[C_MODES], FP(path, "modes"), ALL_MODES);
		if (c->modes == 0 && (cfg_is_null(s->v[C_MODES]) ||
				      (s->v[C_MODES]->type == YN_SEQ && s->v[C_MODES]->n == 0)))
			cfg_err(&p->c, s->v[C_MODES], "%s.modes: at least one mode is needed",
				path);
	} else {
		c->modes = TW_CONFIG_MODE_OPEN;
		if (c->keys[0])
			c->modes |= TW_CONFIG_MODE_AUTH | TW_CONFIG_MODE_ENC |
				    TW_CONFIG_MODE_MIXED;
	}
	if (s->v[C_OPTIONS] != NULL)
		c->options = parse_bits(p, s->v[C_OPTIONS], FP(path, "options"), ALL_OPTS);
	if (s->v[C_COUNT] != NULL) {
		uint64_t v;

		if (get_uint(p, s->v[C_COUNT], FP(path, "count"), 1024, 1u << 24, &v)) {
			if (!is_pow2(v))
				cfg_err(&p->c, s->v[C_COUNT],
					"%s.count: %llu is not a power of 2 (RFC 4656 §3.1)",
					path, (unsigned long long)v);
			else
				c->count = (uint32_t)v;
		}
	}
	if (s->v[C_MAXCONN] != NULL)
		GET_UINT(p, s->v[C_MAXCONN], FP(path, "max_connections"), 1, 65535,
			 c->max_connections);
	if (s->v[C_MAXSESS] != NULL)
		GET_UINT(p, s->v[C_MAXSESS], FP(path, "max_sessions"), 1, 1u << 20,
			 c->max_sessions);
	if (s->v[C_MAXPER] != NULL)
		GET_UINT(p, s->v[C_MAXPER], FP(path, "max_sessions_per_connection"), 1,
			 1u << 20, c->max_sessions_per_connection);
	if (s->v[C_SERVWAIT] != NULL)
		GET_UINT(p, s->v[C_SERVWAIT], FP(path, "servwait_s"), 1, 604800,
			 c->servwait_s);
	if (s->v[C_REFWAIT] != NULL)
		GET_UINT(p, s->v[C_REFWAIT], FP(path, "refwait_s"), 1, 604800,
			 c->refwait_s);
	if (s->v[C_OWPORT] != NULL)
		GET_UINT(p, s->v[C_OWPORT], FP(path, "owamp_port"), 0, 65535,
			 c->owamp_port);
	if (c->max_sessions_per_connection > c->max_sessions && s->v[C_MAXPER] != NULL)
		cfg_err(&p->c, s->v[C_MAXPER],
			"%s.max_sessions_per_connection: %u is more than max_sessions (%u)",
			path, c->max_sessions_per_connection, c->max_sessions);
	if (!c->enabled)
		return;
	if ((c->modes & TW_CONFIG_MODE_IKEV2) &&
	    !(c->modes & (TW_CONFIG_MODE_AUTH | TW_CONFIG_MODE_ENC | TW_CONFIG_MODE_MIXED)))
		cfg_err(&p->c, s->v[C_MODES], "%s.modes: ikev2 needs auth, enc or mixed "
			"(it only changes where their key comes from, RFC 7717)", path);
	if ((c->modes & (TW_CONFIG_MODE_AUTH | TW_CONFIG_MODE_ENC | TW_CONFIG_MODE_MIXED)) &&
	    !(c->modes & TW_CONFIG_MODE_IKEV2) && c->keys[0] == '\0')
		cfg_err(&p->c, s->v[C_MODES] ? s->v[C_MODES] : s->node,
			"%s.modes: auth, enc and mixed need a key file (keys)", path);
}

static void parse_light(struct pctx *p, const struct ynode *n)
{
	struct tw_config *cfg = p->cfg;
	int cnt = seq_items(p, n, "reflector.light", TW_CONFIG_LIGHT_MAX);

	if (cnt <= 0)
		return;
	cfg->light = calloc((size_t)cnt, sizeof(*cfg->light));
	p->light = calloc((size_t)cnt, sizeof(*p->light));
	if (cfg->light == NULL || p->light == NULL) {
		p->c.nomem = true;
		return;
	}
	for (int i = 0; i < cnt; i++) {
		struct tw_config_light *l = &cfg->light[cfg->n_light];
		struct slots *s = &p->light[cfg->n_light];
		char path[40];
		bool port_ok = true;

		snprintf(path, sizeof(path), "reflector.light[%d]", i);
		if (!map_fields(p, n->kids[i], path, light_keys, s))
			continue;
		cfg->n_light++;
		s->node = n->kids[i];
		l->port = TW_CONFIG_DEFAULT_PORT;
		l->protocol = TW_CONFIG_PROTO_STAMP;
		if (s->v[L_PORT] != NULL) {
			uint64_t v;

			if (get_uint(p, s->v[L_PORT], FP(path, "port"), 1, 65535, &v))
				l->port = (uint16_t)v;
			else
				port_ok = false;
		}
		if (s->v[L_PROTO] != NULL) {
			unsigned e;

			if (get_enum(p, s->v[L_PROTO], FP(path, "protocol"), proto_names, &e)) {
				if (e == TW_CONFIG_PROTO_TWAMP || e == TW_CONFIG_PROTO_OWAMP)
					cfg_err(&p->c, s->v[L_PROTO], "%s.protocol: a light port "
						"speaks twamp-light or stamp; full TWAMP and "
						"OWAMP are reflector.control", path);
				else
					l->protocol = (enum tw_config_proto)e;
			}
		}
		if (s->v[L_MODE] != NULL)
			GET_ENUM(p, s->v[L_MODE], FP(path, "mode"), tmode_names, l->mode);
		if (s->v[L_KEYID] != NULL)
			get_str(p, s->v[L_KEYID], FP(path, "key_id"), l->key_id,
				sizeof(l->key_id), true);
		if (s->v[L_STATEFUL] != NULL)
			get_bool(p, s->v[L_STATEFUL], FP(path, "stateful"), &l->stateful);
		if (s->v[L_ALLOW] != NULL)
			parse_addr_list(p, s->v[L_ALLOW], FP(path, "allow"), 0, l->allow,
					&l->n_allow, false);
		for (unsigned j = 0; port_ok && j + 1 < cfg->n_light; j++)
			if (cfg->light[j].port == l->port) {
				cfg_err(&p->c, s->v[L_PORT] ? s->v[L_PORT] : s->node,
					"%s.port: UDP port %u is already a light port "
					"(reflector.light[%u])", path, l->port, j);
				break;
			}
	}
}

static void parse_statics(struct pctx *p, const struct ynode *n)
{
	struct tw_config *cfg = p->cfg;
	int cnt = seq_items(p, n, "reflector.static_sessions", TW_CONFIG_STATIC_MAX);

	if (cnt <= 0)
		return;
	cfg->statics = calloc((size_t)cnt, sizeof(*cfg->statics));
	p->statics = calloc((size_t)cnt, sizeof(*p->statics));
	if (cfg->statics == NULL || p->statics == NULL) {
		p->c.nomem = true;
		return;
	}
	for (int i = 0; i < cnt; i++) {
		struct tw_config_static *st = &cfg->statics[cfg->n_statics];
		struct slots *s = &p->statics[cfg->n_statics];
		char path[48];

		snprintf(path, sizeof(path), "reflector.static_sessions[%d]", i);
		if (!map_fields(p, n->kids[i], path, static_keys, s))
			continue;
		cfg->n_statics++;
		s->node = n->kids[i];
		st->port = TW_CONFIG_DEFAULT_PORT;
		st->protocol = TW_CONFIG_PROTO_LIGHT;
		if (s->v[ST_PEER] == NULL)
			cfg_err(&p->c, s->node, "%s: missing required key 'peer'", path);
		else
			get_addr(p, s->v[ST_PEER], FP(path, "peer"), 0, false, false,
				 &st->peer);
		if (s->v[ST_PEERPORT] != NULL)
			GET_UINT(p, s->v[ST_PEERPORT], FP(path, "peer_port"), 0, 65535,
				 st->peer_port);
		if (s->v[ST_PORT] != NULL)
			GET_UINT(p, s->v[ST_PORT], FP(path, "port"), 1, 65535, st->port);
		if (s->v[ST_PROTO] != NULL) {
			unsigned e;

			if (get_enum(p, s->v[ST_PROTO], FP(path, "protocol"), proto_names,
				     &e)) {
				if (e == TW_CONFIG_PROTO_TWAMP || e == TW_CONFIG_PROTO_OWAMP)
					cfg_err(&p->c, s->v[ST_PROTO], "%s.protocol: a static "
						"session is twamp-light or stamp", path);
				else
					st->protocol = (enum tw_config_proto)e;
			}
		}
		if (s->v[ST_MODE] != NULL)
			GET_ENUM(p, s->v[ST_MODE], FP(path, "mode"), tmode_names, st->mode);
		if (s->v[ST_KEYID] != NULL)
			get_str(p, s->v[ST_KEYID], FP(path, "key_id"), st->key_id,
				sizeof(st->key_id), true);
		if (s->v[ST_STATEFUL] != NULL)
			get_bool(p, s->v[ST_STATEFUL], FP(path, "stateful"), &st->stateful);
		for (unsigned j = 0; j + 1 < cfg->n_statics; j++) {
			const struct tw_config_static *o = &cfg->statics[j];

			if (st->peer.family && addr_eq(&o->peer, &st->peer) &&
			    o->peer_port == st->peer_port && o->port == st->port)
				cfg_err(&p->c, s->node, "%s: same peer, peer_port and port "
					"as reflector.static_sessions[%u]", path, j);
		}
	}
}

/* sender.lcore: an lcore of its own for the Session-Sender, not a worker's. */
static void parse_sender_lcore(struct pctx *p, const struct ynode *n)
{
	struct tw_config *cfg = p->cfg;
	uint64_t v;

	if (n == NULL || cfg_is_null(n))
		return;
	if (!get_uint(p, n, "sender.lcore", 0, 1023, &v))
		return;
	for (unsigned i = 0; i < cfg->n_lcores; i++)
		if (cfg->lcores[i] == v) {
			cfg_err(&p->c, n, "sender.lcore: lcore %llu is a worker (workers.lcores[%u])",
				(unsigned long long)v, i);
			return;
		}
	cfg->has_sender_lcore = true;
	cfg->sender_lcore = (uint16_t)v;
}

static void parse_sessions(struct pctx *p, const struct ynode *n)
{
	struct tw_config *cfg = p->cfg;
	int cnt = seq_items(p, n, "sender.sessions", TW_CONFIG_SESSIONS_MAX);

	if (cnt <= 0)
		return;
	cfg->sessions = calloc((size_t)cnt, sizeof(*cfg->sessions));
	p->sessions = calloc((size_t)cnt, sizeof(*p->sessions));
	if (cfg->sessions == NULL || p->sessions == NULL) {
		p->c.nomem = true;
		return;
	}
	for (int i = 0; i < cnt; i++) {
		struct tw_config_session *ss = &cfg->sessions[cfg->n_sessions];
		struct slots *s = &p->sessions[cfg->n_sessions];
		char path[40];
		bool padding_set = false;

		snprintf(path, sizeof(path), "sender.sessions[%d]", i);
		if (!map_fields(p, n->kids[i], path, session_keys, s))
			continue;
		cfg->n_sessions++;
		s->node = n->kids[i];
		snprintf(ss->name, sizeof(ss->name), "s%d", i);
		ss->peer_port = TW_CONFIG_DEFAULT_PORT;
		ss->protocol = TW_CONFIG_PROTO_TWAMP;
		ss->count = 100;
		ss->rate_pps = 10;
		ss->timeout_s = 2;
		if (s->v[S_NAME] != NULL &&
		    get_str(p, s->v[S_NAME], FP(path, "name"), ss->name, sizeof(ss->name),
			    false) && !valid_name(ss->name))
			cfg_err(&p->c, s->v[S_NAME],
				"%s: '%s' must be 1..12 characters of A-Z a-z 0-9 - _",
				FP(path, "name"), ss->name);
		if (s->v[S_PEER] == NULL)
			cfg_err(&p->c, s->node, "%s: missing required key 'peer'", path);
		else
			get_addr(p, s->v[S_PEER], FP(path, "peer"), 0, false, false,
				 &ss->peer);
		if (s->v[S_PEERPORT] != NULL)
			GET_UINT(p, s->v[S_PEERPORT], FP(path, "peer_port"), 1, 65535,
				 ss->peer_port);
		if (s->v[S_PORT] != NULL)
			get_str(p, s->v[S_PORT], FP(path, "port"), ss->port,
				sizeof(ss->port), false);
		if (s->v[S_SRCPORT] != NULL)
			GET_UINT(p, s->v[S_SRCPORT], FP(path, "src_port"), 0, 65535,
				 ss->src_port);
		if (s->v[S_PROTO] != NULL)
			GET_ENUM(p, s->v[S_PROTO], FP(path, "protocol"), proto_names,
				 ss->protocol);
		if (s->v[S_MODE] != NULL)
			GET_ENUM(p, s->v[S_MODE], FP(path, "mode"), tmode_names, ss->mode);
		if (s->v[S_KEYID] != NULL)
			get_str(p, s->v[S_KEYID], FP(path, "key_id"), ss->key_id,
				sizeof(ss->key_id), true);
		if (s->v[S_IKEV2] != NULL)
			get_bool(p, s->v[S_IKEV2], FP(path, "ikev2"), &ss->ikev2);
		if (s->v[S_SASPI] != NULL)
			GET_UINT(p, s->v[S_SASPI], FP(path, "sa_spi"), 256, 0xffffffffu,
				 ss->sa_spi);
		if (s->v[S_COUNT] != NULL && s->v[S_DURATION] != NULL)
			cfg_err(&p->c, s->v[S_DURATION], "%s: give count or duration_s, "
				"not both", path);
		else if (s->v[S_DURATION] != NULL) {
			ss->by_duration = true;
			ss->count = 0;
			GET_UINT(p, s->v[S_DURATION], FP(path, "duration_s"), 1, 31536000,
				 ss->duration_s);
		} else if (s->v[S_COUNT] != NULL)
			GET_UINT(p, s->v[S_COUNT], FP(path, "count"), 1,
				 UINT64_C(1) << 48, ss->count);
		if (s->v[S_RATE] != NULL && s->v[S_INTERVAL] != NULL)
			cfg_err(&p->c, s->v[S_INTERVAL], "%s: give rate_pps or interval_us, "
				"not both", path);
		else if (s->v[S_INTERVAL] != NULL) {
			ss->by_interval = true;
			ss->rate_pps = 0;
			GET_UINT(p, s->v[S_INTERVAL], FP(path, "interval_us"), 1, 3600000000u,
				 ss->interval_us);
		} else if (s->v[S_RATE] != NULL)
			GET_UINT(p, s->v[S_RATE], FP(path, "rate_pps"), 1, 100000000,
				 ss->rate_pps);
		if (s->v[S_SCHED] != NULL)
			GET_ENUM(p, s->v[S_SCHED], FP(path, "schedule"), sched_names,
				 ss->schedule);
		if (s->v[S_PADDING] != NULL) {
			uint64_t v;

			if (get_uint(p, s->v[S_PADDING], FP(path, "padding"), 0, 9000, &v)) {
				ss->padding = (uint32_t)v;
				padding_set = true;
			}
		}
		if (s->v[S_DSCP] != NULL) {
			const struct ynode *v = s->v[S_DSCP];

			if (scalar(p, v, FP(path, "dscp"))) {
				int d = -1;

				if (v->str[0] >= '0' && v->str[0] <= '9') {
					uint64_t x;

					if (get_uint(p, v, FP(path, "dscp"), 0, 63, &x))
						ss->dscp = (uint8_t)x;
				} else if ((d = dscp_parse(v->str)) < 0) {
					cfg_err(&p->c, v, "%s.dscp: '%s' is not a DSCP name "
						"(BE, EF, CS0..CS7, AF11..AF43) or 0..63",
						path, SHOW(v));
				} else {
					ss->dscp = (uint8_t)d;
				}
			}
		}
		if (s->v[S_ECN] != NULL) {
			const struct ynode *v = s->v[S_ECN];

			if (v->type == YN_SCALAR && v->str[0] >= '0' && v->str[0] <= '9')
				GET_UINT(p, v, FP(path, "ecn"), 0, 3, ss->ecn);
			else
				GET_ENUM(p, v, FP(path, "ecn"), ecn_names, ss->ecn);
		}
		if (s->v[S_TIMEOUT] != NULL)
			GET_UINT(p, s->v[S_TIMEOUT], FP(path, "timeout_s"), 1, 3600,
				 ss->timeout_s);
		if (s->v[S_PEERPORT] == NULL && ss->protocol == TW_CONFIG_PROTO_OWAMP)
			ss->peer_port = 861; /* RFC 4656 §2 owamp-control */
		/* OWAMP: a fixed Number of Packets whose records are fetched and
		 * kept in memory at the end (app/twamp-dp/send.c) */
		if (ss->protocol == TW_CONFIG_PROTO_OWAMP && !ss->by_duration &&
		    ss->count > TW_CONFIG_OWAMP_MAX_PACKETS)
			cfg_err(&p->c, s->v[S_COUNT], "%s.count: an OWAMP session sends at "
				"most %u packets", path, TW_CONFIG_OWAMP_MAX_PACKETS);
		if (s->v[S_OPTIONS] != NULL) {
			ss->options = parse_bits(p, s->v[S_OPTIONS], FP(path, "options"),
						 SESSION_OPTS);
			if (ss->options != 0 && ss->protocol != TW_CONFIG_PROTO_TWAMP)
				cfg_err(&p->c, s->v[S_OPTIONS], "%s.options: TWAMP-Control "
					"options (RFC 5938, 6038, 7750) need protocol twamp, "
					"not %s", path, proto_names[ss->protocol]);
		}
		if (s->v[S_REFLPAD] != NULL) {
			GET_UINT(p, s->v[S_REFLPAD], FP(path, "reflect_padding"), 0, 9000,
				 ss->reflect_padding);
			if (ss->reflect_padding != 0 && !(ss->options & TW_CONFIG_OPT_REFLECT))
				cfg_err(&p->c, s->v[S_REFLPAD], "%s.reflect_padding: needs "
					"reflect_octets in %s.options (RFC 6038)", path, path);
		}
		/* equal sizes both ways (RFC 5357 §4.2.1; Symmetrical Size, RFC
		 * 6038 §5.2, needs no padding; OWAMP is one way), plus the octets
		 * to reflect */
		if (!padding_set)
			ss->padding = (ss->protocol == TW_CONFIG_PROTO_STAMP ||
				       ss->protocol == TW_CONFIG_PROTO_OWAMP ||
				       (ss->options & TW_CONFIG_OPT_SYMMETRIC) ? 0 :
				       ss->mode == TW_CONFIG_TMODE_OPEN ||
				       ss->mode == TW_CONFIG_TMODE_MIXED ? 27 : 64) +
				      ss->reflect_padding;
		else if (ss->reflect_padding > ss->padding)
			cfg_err(&p->c, s->v[S_REFLPAD], "%s.reflect_padding: %u is more "
				"than padding %u (RFC 6038 §4.2)", path, ss->reflect_padding,
				ss->padding);
		for (unsigned j = 0; j + 1 < cfg->n_sessions; j++)
			if (strcmp(cfg->sessions[j].name, ss->name) == 0)
				cfg_err(&p->c, s->v[S_NAME] ? s->v[S_NAME] : s->node,
					"%s: duplicate session name '%s' (also "
					"sender.sessions[%u])", path, ss->name, j);
	}
}

/* RFC 4301 §5.1.2.1: the outer DSCP of an outbound tunnel SA is copied
 * from the inner header unless configured: "copy", 0..63 or a DSCP name */
static void parse_outer_dscp(struct pctx *p, const struct ynode *v, const char *path,
			     struct tw_config_sa *sa)
{
	int d;

	if (!scalar(p, v, FP(path, "outer_dscp")))
		return;
	if (sa->dir != TW_CONFIG_DIR_OUT || sa->mode != TW_CONFIG_SA_TUNNEL) {
		cfg_err(&p->c, v, "%s.outer_dscp: only for direction: out, mode: tunnel "
			"(the outer header this appliance builds)", path);
		return;
	}
	if (strcmp(v->str, "copy") == 0) {
		sa->outer_dscp_fixed = false;
	} else if (v->str[0] >= '0' && v->str[0] <= '9') {
		uint64_t x;

		if (get_uint(p, v, FP(path, "outer_dscp"), 0, 63, &x)) {
			sa->outer_dscp_fixed = true;
			sa->outer_dscp = (uint8_t)x;
		}
	} else if ((d = dscp_parse(v->str)) < 0) {
		cfg_err(&p->c, v, "%s.outer_dscp: '%s' is not copy, a DSCP name "
			"(BE, EF, CS0..CS7, AF11..AF43) or 0..63", path, SHOW(v));
	} else {
		sa->outer_dscp_fixed = true;
		sa->outer_dscp = (uint8_t)d;
	}
}

static void parse_sas(struct pctx *p, const struct ynode *n)
{
	struct tw_config_ipsec *ip = &p->cfg->ipsec;
	int cnt = seq_items(p, n, "ipsec.sas", TW_CONFIG_SAS_MAX);

	if (cnt <= 0)
		return;
	ip->sas = calloc((size_t)cnt, sizeof(*ip->sas));
	p->sas = calloc((size_t)cnt, sizeof(*p->sas));
	if (ip->sas == NULL || p->sas == NULL) {
		p->c.nomem = true;
		return;
	}
	for (int i = 0; i < cnt; i++) {
		struct tw_config_sa *sa = &ip->sas[ip->n_sas];
		struct slots *s = &p->sas[ip->n_sas];
		char path[32];
		unsigned encap = 0;
		bool ok_src = false, ok_dst = false;

		unsigned errs0 = p->c.errors;

		snprintf(path, sizeof(path), "ipsec.sas[%d]", i);
		if (!map_fields(p, n->kids[i], path, sa_keys, s))
			continue;
		ip->n_sas++;
		s->node = n->kids[i];
		sa->encap_sport = sa->encap_dport = 4500;
		if (s->v[A_SPI] == NULL)
			cfg_err(&p->c, s->node, "%s: missing required key 'spi'", path);
		else
			GET_UINT(p, s->v[A_SPI], FP(path, "spi"), 256, 0xffffffffu, sa->spi);
		if (s->v[A_DIR] == NULL)
			cfg_err(&p->c, s->node, "%s: missing required key 'direction'", path);
		else
			GET_ENUM(p, s->v[A_DIR], FP(path, "direction"), dir_names, sa->dir);
		if (s->v[A_SRC] == NULL)
			cfg_err(&p->c, s->node, "%s: missing required key 'src'", path);
		else
			ok_src = get_addr(p, s->v[A_SRC], FP(path, "src"), 0, false, false,
					  &sa->src);
		if (s->v[A_DST] == NULL)
			cfg_err(&p->c, s->node, "%s: missing required key 'dst'", path);
		else
			ok_dst = get_addr(p, s->v[A_DST], FP(path, "dst"), 0, false, false,
					  &sa->dst);
		if (ok_src && ok_dst && sa->src.family != sa->dst.family)
			cfg_err(&p->c, s->v[A_DST], "%s.dst: address family differs from src",
				path);
		if (s->v[A_PROTO] != NULL)
			GET_ENUM(p, s->v[A_PROTO], FP(path, "proto"), saproto_names, sa->proto);
		if (s->v[A_MODE] != NULL)
			GET_ENUM(p, s->v[A_MODE], FP(path, "mode"), samode_names, sa->mode);
		if (s->v[A_ENCAP] != NULL && get_enum(p, s->v[A_ENCAP], FP(path, "encap"),
						      encap_names, &encap))
			sa->encap_udp = encap == 1;
		if (s->v[A_ESPORT] != NULL)
			GET_UINT(p, s->v[A_ESPORT], FP(path, "encap_sport"), 1, 65535,
				 sa->encap_sport);
		if (s->v[A_EDPORT] != NULL)
			GET_UINT(p, s->v[A_EDPORT], FP(path, "encap_dport"), 1, 65535,
				 sa->encap_dport);
		if (!sa->encap_udp && (s->v[A_ESPORT] || s->v[A_EDPORT]))
			cfg_err(&p->c, s->v[A_ESPORT] ? s->v[A_ESPORT] : s->v[A_EDPORT],
				"%s: encap ports need encap: udp", path);
		if (sa->encap_udp && sa->proto == TW_CONFIG_SA_AH)
			cfg_err(&p->c, s->v[A_ENCAP], "%s.encap: UDP encapsulation is for "
				"ESP only (RFC 3948)", path);
		if (s->v[A_CIPHER] != NULL)
			GET_ENUM(p, s->v[A_CIPHER], FP(path, "cipher"), cipher_names,
				 sa->cipher);
		if (s->v[A_AUTH] != NULL)
			GET_ENUM(p, s->v[A_AUTH], FP(path, "auth"), auth_names, sa->auth);
		if (s->v[A_CKEY] != NULL)
			get_str(p, s->v[A_CKEY], FP(path, "cipher_key"), sa->cipher_key,
				sizeof(sa->cipher_key), true);
		if (s->v[A_AKEY] != NULL)
			get_str(p, s->v[A_AKEY], FP(path, "auth_key"), sa->auth_key,
				sizeof(sa->auth_key), true);
		/* RFC 4303 §3.4.3 / RFC 4302 §3.4.3: the receiver may turn the
		 * anti-replay check off (0); it is the receiver's, never the sender's */
		sa->replay_window = 64;
		if (s->v[A_REPLAY] != NULL) {
			GET_UINT(p, s->v[A_REPLAY], FP(path, "replay_window"), 0, 4096,
				 sa->replay_window);
			if (sa->dir == TW_CONFIG_DIR_OUT)
				cfg_err(&p->c, s->v[A_REPLAY], "%s.replay_window: the anti-replay "
					"window is the receiver's (direction: in only)", path);
		}
		if (s->v[A_ESN] != NULL) {
			get_bool(p, s->v[A_ESN], FP(path, "esn"), &sa->esn);
			if (sa->esn && sa->proto == TW_CONFIG_SA_AH)
				cfg_err(&p->c, s->v[A_ESN], "%s.esn: not implemented for AH "
					"(32-bit sequence numbers only)", path);
			/* RFC 4303 Appendix A: the receiver infers the high-order bits
			 * from its window; without one a replay reads as a wrap */
			else if (sa->esn && sa->dir == TW_CONFIG_DIR_IN && sa->replay_window == 0)
				cfg_err(&p->c, s->v[A_ESN], "%s.esn: needs an anti-replay window "
					"(replay_window 0): the receiver infers the high-order "
					"sequence bits from it (RFC 4303 Appendix A)", path);
		}
		if (s->v[A_ODSCP] != NULL)
			parse_outer_dscp(p, s->v[A_ODSCP], path, sa);
		for (unsigned j = 0; j + 1 < ip->n_sas; j++)
			if (sa->spi && ip->sas[j].spi == sa->spi && ip->sas[j].dir == sa->dir)
				cfg_err(&p->c, s->v[A_SPI], "%s.spi: SPI 0x%x (%s) is already "
					"used by ipsec.sas[%u]", path, sa->spi,
					dir_names[sa->dir], j);
		s->errs = p->c.errors - errs0;
	}
}

static void parse_ipsec(struct pctx *p, const struct ynode *n)
{
	struct tw_config_ipsec *ip = &p->cfg->ipsec;

	if (!map_fields(p, n, "ipsec", ipsec_keys, &p->ipsec))
		return;
	if (map_fields(p, p->ipsec.v[I_KEYIMPORT], "ipsec.key_import", kimp_keys,
		       &p->kimp) && p->kimp.v[0] != NULL)
		get_str(p, p->kimp.v[0], "ipsec.key_import.socket", ip->key_import_socket,
			sizeof(ip->key_import_socket), true);
	if (map_fields(p, p->ipsec.v[I_IKEV2], "ipsec.ikev2", ikev2_keys, &p->ikev2)) {
		if (p->ikev2.v[K_PROFILE] != NULL)
			GET_ENUM(p, p->ikev2.v[K_PROFILE], "ipsec.ikev2.profile",
				 profile_names, ip->profile);
		if (p->ikev2.v[K_TOKEN] != NULL)
			GET_ENUM(p, p->ikev2.v[K_TOKEN], "ipsec.ikev2.token_key",
				 token_names, ip->token_key);
		if (p->ikev2.v[K_VARIANT] != NULL)
			GET_ENUM(p, p->ikev2.v[K_VARIANT], "ipsec.ikev2.variant",
				 variant_names, ip->variant);
		if (p->ikev2.v[K_SECRET] != NULL)
			GET_ENUM(p, p->ikev2.v[K_SECRET], "ipsec.ikev2.secret",
				 dsecret_names, ip->secret);
		if (p->ikev2.v[K_SIDKEY] != NULL)
			get_bool(p, p->ikev2.v[K_SIDKEY], "ipsec.ikev2.sid_key", &ip->sid_key);
		/* the seed draft's keys (docs/protocol.md): only with its profile,
		 * and only where its variant has what they choose */
		for (unsigned k = K_VARIANT; k <= K_SIDKEY; k++)
			if (p->ikev2.v[k] != NULL && ip->profile != TW_CONFIG_IKEV2_DRAFT)
				cfg_err(&p->c, p->ikev2.v[k], "ipsec.ikev2.%s: only with "
					"profile: draft (the seed draft's mechanisms)",
					ikev2_keys[k]);
		if (ip->profile == TW_CONFIG_IKEV2_DRAFT) {
			if (p->ikev2.v[K_SECRET] != NULL && ip->variant == TW_CONFIG_VARIANT_ALT2)
				cfg_err(&p->c, p->ikev2.v[K_SECRET], "ipsec.ikev2.secret: "
					"variant alt2 keys the connection with the Child SA's "
					"own keys, it has no secret");
			if (ip->sid_key && ip->variant != TW_CONFIG_VARIANT_BASE)
				cfg_err(&p->c, p->ikev2.v[K_SIDKEY], "ipsec.ikev2.sid_key: "
					"only the base variant has a per-SID key (variant: %s)",
					variant_names[ip->variant]);
		}
	}
	parse_sas(p, p->ipsec.v[I_SAS]);
}

static void parse_telemetry(struct pctx *p, const struct ynode *n)
{
	struct tw_config_telemetry *t = &p->cfg->telemetry;

	t->counters = true;
	t->turnaround = true;
	t->interval_s = 10;
	if (!map_fields(p, n, "telemetry", tel_keys, &p->tel))
		return;
	if (p->tel.v[TE_COUNTERS] != NULL)
		get_bool(p, p->tel.v[TE_COUNTERS], "telemetry.counters", &t->counters);
	if (p->tel.v[TE_TURN] != NULL)
		get_bool(p, p->tel.v[TE_TURN], "telemetry.turnaround", &t->turnaround);
	if (p->tel.v[TE_INTERVAL] != NULL)
		GET_UINT(p, p->tel.v[TE_INTERVAL], "telemetry.interval_s", 1, 3600,
			 t->interval_s);
}

static void parse_results(struct pctx *p, const struct ynode *n)
{
	struct tw_config_results *r = &p->cfg->results;

	set_str(r->dir, sizeof(r->dir), "/var/lib/twamp-dp/results");
	if (!map_fields(p, n, "results", res_keys, &p->res))
		return;
	if (p->res.v[RE_DIR] != NULL)
		get_str(p, p->res.v[RE_DIR], "results.dir", r->dir, sizeof(r->dir), false);
	if (p->res.v[RE_PP] != NULL)
		GET_ENUM(p, p->res.v[RE_PP], "results.per_packet", pp_names, r->per_packet);
}

/* ---------- cross references (after every section and the key file) ---------- */

static void check_key(struct pctx *p, const struct ynode *at, const char *path,
		      const char *id, bool secret, size_t min, size_t max,
		      const char *what)
{
	const struct tw_config_key *k;

	if (!p->keys_loaded) {
		if (p->cfg->control.keys[0] == '\0')
			cfg_err(&p->c, at, "%s: key '%s' needs a key file "
				"(reflector.control.keys)", path, id);
		return;
	}
	k = tw_config_key_find(&p->cfg->keys, id);
	if (k == NULL) {
		cfg_err(&p->c, at, "%s: key '%s' is not in the key file %s", path, id,
			p->cfg->keys.path);
		return;
	}
	if (k->is_secret != secret) {
		cfg_err(&p->c, at, "%s: key '%s' is a %s, %s needs a %s", path, id,
			k->is_secret ? "hex secret (secrets:)" : "passphrase (keys:)",
			what, secret ? "hex secret (secrets:)" : "passphrase (keys:)");
		return;
	}
	if (secret && (k->len < min || k->len > max)) {
		if (min == max)
			cfg_err(&p->c, at, "%s: secret '%s' has %zu octets, %s needs %zu",
				path, id, k->len, what, min);
		else
			cfg_err(&p->c, at, "%s: secret '%s' has %zu octets, %s needs "
				"%zu..%zu", path, id, k->len, what, min, max);
	}
}

/* Mode / key_id rules shared by light ports, static and sender sessions. */
static void check_test_mode(struct pctx *p, const struct slots *s, const char *path,
			    enum tw_config_proto proto, enum tw_config_mode mode,
			    const char *key_id, int k_mode, int k_keyid)
{
	const struct ynode *at = s->v[k_mode] ? s->v[k_mode] : s->node;
	const struct ynode *kat = s->v[k_keyid] ? s->v[k_keyid] : s->node;

	if (mode == TW_CONFIG_TMODE_MIXED && (proto != TW_CONFIG_PROTO_TWAMP || k_mode != S_MODE)) {
		cfg_err(&p->c, at, "%s.mode: mixed (RFC 5618) is a TWAMP-Control mode: "
			"sender sessions of protocol twamp only", path);
		return;
	}
	if (proto == TW_CONFIG_PROTO_STAMP && mode == TW_CONFIG_TMODE_ENC) {
		cfg_err(&p->c, at, "%s.mode: STAMP has no encrypted mode (RFC 8762 §4); "
			"use auth, or protect it with ipsec", path);
		return;
	}
	if (mode == TW_CONFIG_TMODE_OPEN) {
		if (key_id[0])
			cfg_err(&p->c, kat, "%s.key_id: mode open uses no key", path);
		return;
	}
	if (key_id[0] == '\0') {
		cfg_err(&p->c, at, "%s: mode %s needs a key_id", path, tmode_names[mode]);
		return;
	}
	if (proto == TW_CONFIG_PROTO_TWAMP)
		check_key(p, kat, FP(path, "key_id"), key_id, false, 0, 0, "TWAMP");
	else if (proto == TW_CONFIG_PROTO_OWAMP)
		check_key(p, kat, FP(path, "key_id"), key_id, false, 0, 0, "OWAMP");
	else if (proto == TW_CONFIG_PROTO_STAMP)
		check_key(p, kat, FP(path, "key_id"), key_id, true, 16, 64,
			  "STAMP HMAC-SHA-256");
	else
		check_key(p, kat, FP(path, "key_id"), key_id, true, 48, 48,
			  "TWAMP Light (AES 16 + HMAC 32)");
}

/* A session's static outbound SA: an ipsec.sas[] entry leaving towards
 * the peer's family (RFC 4301 tunnel: the inner family is the outer one). */
static void check_sa_spi(struct pctx *p, const struct tw_config *cfg, const struct slots *s,
			 const char *path, const struct tw_config_session *ss)
{
	for (unsigned j = 0; j < cfg->ipsec.n_sas; j++) {
		const struct tw_config_sa *sa = &cfg->ipsec.sas[j];

		if (sa->spi != ss->sa_spi || sa->dir != TW_CONFIG_DIR_OUT)
			continue;
		if (ss->peer.family != 0 && sa->src.family != ss->peer.family)
			cfg_err(&p->c, s->v[S_SASPI], "%s.sa_spi: SA 0x%x (ipsec.sas[%u]) is "
				"IPv%u, the peer IPv%u", path, ss->sa_spi, j, sa->src.family,
				ss->peer.family);
		return;
	}
	cfg_err(&p->c, s->v[S_SASPI], "%s.sa_spi: no outbound SA 0x%x in ipsec.sas",
		path, ss->sa_spi);
}

/*
 * Sender sessions keyed by IKEv2 (key import): RFC 7717 (an IKE SA) or the
 * seed draft's profile (the Child SA pair between the two ends, whose SPIs
 * the greeting binds; docs/protocol.md).
 */
static void check_ikev2(struct pctx *p, const struct tw_config *cfg, const struct slots *s,
			const char *path, const struct tw_config_session *ss)
{
	const struct ynode *at = s->v[S_IKEV2];
	bool draft = cfg->ipsec.profile == TW_CONFIG_IKEV2_DRAFT;
	const char *who = draft ? "the seed draft's profile" : "RFC 7717";

	if (ss->protocol != TW_CONFIG_PROTO_TWAMP && ss->protocol != TW_CONFIG_PROTO_OWAMP)
		cfg_err(&p->c, at, "%s.ikev2: %s keys TWAMP-Control and "
			"OWAMP-Control; protocol %s has none", path, who,
			proto_names[ss->protocol]);
	else if (ss->mode == TW_CONFIG_TMODE_OPEN)
		cfg_err(&p->c, s->v[S_MODE] ? s->v[S_MODE] : at, "%s.ikev2: needs mode auth, "
			"enc%s (%s keys a secured mode)", path,
			ss->protocol == TW_CONFIG_PROTO_TWAMP ? " or mixed" : "", who);
	else if (ss->mode == TW_CONFIG_TMODE_MIXED && ss->protocol != TW_CONFIG_PROTO_TWAMP)
		cfg_err(&p->c, s->v[S_MODE], "%s.mode: mixed (RFC 5618) is a TWAMP-Control "
			"mode: sender sessions of protocol twamp only", path);
	if (ss->key_id[0] != '\0')
		cfg_err(&p->c, s->v[S_KEYID], draft ?
			"%s.key_id: with ikev2 under the seed draft the keys come from the "
			"Child SA pair with the peer; no key_id" :
			"%s.key_id: with ikev2 the KeyID is the IKE SA's SPIs (RFC 7717 §5.3); "
			"no key_id", path);
	if (cfg->ipsec.key_import_socket[0] == '\0')
		cfg_err(&p->c, at, "%s.ikev2: needs ipsec.key_import (the %s table "
			"the keys come from)", path, draft ? "Child SA" : "IKE SA");
	/* the greeting binds the Child SA pair between the two ends: the test
	 * stream must ride it, not a static SA */
	if (draft && ss->sa_spi != 0)
		cfg_err(&p->c, s->v[S_SASPI], "%s.sa_spi: with ikev2 under the seed draft "
			"the test stream rides the Child SA the greeting binds, not a static "
			"SA", path);
}

bool tw_config_addr_in_prefix(const struct tw_config_addr *net,
			      const struct tw_config_addr *a)
{
	unsigned bits = net->prefix;

	if (net->family != a->family)
		return false;
	for (unsigned b = 0; b < bits; b++)
		if ((net->addr[b / 8] ^ a->addr[b / 8]) & (0x80 >> (b % 8)))
			return false;
	return true;
}

static bool family_on_ports(const struct pctx *p, unsigned family)
{
	return family == 4 ? p->ipv4 : p->ipv6;
}

static void validate(struct pctx *p)
{
	struct tw_config *cfg = p->cfg;
	struct tw_config_control *c = &cfg->control;

	if (cfg->n_ports == 0 && (p->top.v[T_PORTS] == NULL || cfg_is_null(p->top.v[T_PORTS])))
		cfg_err(&p->c, p->top.v[T_PORTS] ? p->top.v[T_PORTS] : p->top.node,
			"ports: at least one port is needed");

	/* OWAMP-Control shares the listen addresses: another TCP port */
	for (unsigned i = 0; i < c->n_listen && c->owamp_port != 0; i++)
		if (c->listen[i].port == c->owamp_port) {
			cfg_err(&p->c, p->ctrl.v[C_OWPORT] ? p->ctrl.v[C_OWPORT] :
				p->ctrl.v[C_LISTEN], "reflector.control.owamp_port: %u is "
				"also a TWAMP-Control listen port (set another, or 0 for "
				"no OWAMP)", c->owamp_port);
			break;
		}
	/* control listen addresses */
	if (c->n_listen == 0 && p->ctrl.v[C_LISTEN] == NULL) {
		if (p->ipv4 || !p->ipv6) {
			c->listen[c->n_listen].ip.family = 4;
			c->listen[c->n_listen].ip.prefix = 32;
			c->listen[c->n_listen++].port = TW_CONFIG_DEFAULT_PORT;
		}
		if (p->ipv6) {
			c->listen[c->n_listen].ip.family = 6;
			c->listen[c->n_listen].ip.prefix = 128;
			c->listen[c->n_listen++].port = TW_CONFIG_DEFAULT_PORT;
		}
	} else if (c->enabled) {
		const struct ynode *l = p->ctrl.v[C_LISTEN];

		for (unsigned i = 0, k = 0; i < c->n_listen && l && l->type == YN_SEQ; i++) {
			const struct tw_config_endpoint *e = &c->listen[i];

			/* find the node of listen entry i (bad entries were skipped) */
			while (k < l->n) {
				struct tw_config_endpoint tmp;
				struct cctx quiet = { .file = p->c.file };
				struct pctx q = { .c = quiet };

				if (get_endpoint(&q, l->kids[k], "", &tmp) &&
				    addr_eq(&tmp.ip, &e->ip) && tmp.port == e->port)
					break;
				k++;
			}
			if (addr_is_any(&e->ip)) {
				if (!family_on_ports(p, e->ip.family) && cfg->n_ports)
					cfg_err(&p->c, k < l->n ? l->kids[k] : l,
						"reflector.control.listen[%u]: no port has an "
						"IPv%u address", k, e->ip.family);
			} else if (port_of_addr(cfg, &e->ip) == NULL && cfg->n_ports) {
				cfg_err(&p->c, k < l->n ? l->kids[k] : l,
					"reflector.control.listen[%u]: %s is not an address "
					"of any port", k, ADDR(&e->ip));
			}
		}
	}
	if (c->enabled && (c->modes & TW_CONFIG_MODE_IKEV2) &&
	    cfg->ipsec.key_import_socket[0] == '\0')
		cfg_err(&p->c, p->ctrl.v[C_MODES] ? p->ctrl.v[C_MODES] : p->ctrl.node,
			"reflector.control.modes: ikev2 needs "
			"ipsec.key_import.socket (where the IKE keys arrive)");

	for (unsigned i = 0; i < cfg->n_light; i++) {
		const struct tw_config_light *l = &cfg->light[i];
		char path[40];

		snprintf(path, sizeof(path), "reflector.light[%u]", i);
		check_test_mode(p, &p->light[i], path, l->protocol, l->mode, l->key_id,
				L_MODE, L_KEYID);
		if (l->stateful && l->protocol != TW_CONFIG_PROTO_STAMP)
			cfg_err(&p->c, p->light[i].v[L_STATEFUL], "%s.stateful: only a "
				"STAMP reflector can be stateful (RFC 8762 §4.2)", path);
	}
	for (unsigned i = 0; i < cfg->n_statics; i++) {
		const struct tw_config_static *st = &cfg->statics[i];
		char path[48];

		snprintf(path, sizeof(path), "reflector.static_sessions[%u]", i);
		check_test_mode(p, &p->statics[i], path, st->protocol, st->mode,
				st->key_id, ST_MODE, ST_KEYID);
		if (st->stateful && st->protocol != TW_CONFIG_PROTO_STAMP)
			cfg_err(&p->c, p->statics[i].v[ST_STATEFUL], "%s.stateful: only "
				"a STAMP reflector can be stateful (RFC 8762 §4.2)", path);
		if (st->peer.family && cfg->n_ports &&
		    !family_on_ports(p, st->peer.family))
			cfg_err(&p->c, p->statics[i].v[ST_PEER], "%s.peer: no port has an "
				"IPv%u address to reach %s", path, st->peer.family,
				ADDR(&st->peer));
	}
	for (unsigned i = 0; i < cfg->n_sessions; i++) {
		struct tw_config_session *ss = &cfg->sessions[i];
		const struct slots *s = &p->sessions[i];
		char path[40];

		snprintf(path, sizeof(path), "sender.sessions[%u]", i);
		if (ss->sa_spi != 0)
			check_sa_spi(p, cfg, s, path, ss);
		if (ss->ikev2)
			check_ikev2(p, cfg, s, path, ss);
		else
			check_test_mode(p, s, path, ss->protocol, ss->mode, ss->key_id, S_MODE,
					S_KEYID);
		if (ss->peer.family == 0 || cfg->n_ports == 0)
			continue;
		if (ss->port[0]) {
			const struct tw_config_port *pt = port_by_name(cfg, ss->port);

			if (pt == NULL)
				cfg_err(&p->c, s->v[S_PORT], "%s.port: no port named '%s'",
					path, ss->port);
			else if ((ss->peer.family == 4 ? pt->n_ipv4 : pt->n_ipv6) == 0)
				cfg_err(&p->c, s->v[S_PORT], "%s.port: port '%s' has no "
					"IPv%u address to reach %s", path, ss->port,
					ss->peer.family, ADDR(&ss->peer));
			continue;
		}
		/* the port whose subnet holds the peer, else the first of its family */
		for (unsigned j = 0; j < cfg->n_ports && !ss->port[0]; j++) {
			const struct tw_config_port *pt = &cfg->ports[j];
			const struct tw_config_addr *l = ss->peer.family == 4 ? pt->ipv4 :
							 pt->ipv6;
			unsigned nl = ss->peer.family == 4 ? pt->n_ipv4 : pt->n_ipv6;

			for (unsigned k = 0; k < nl; k++)
				if (tw_config_addr_in_prefix(&l[k], &ss->peer))
					set_str(ss->port, sizeof(ss->port), pt->name);
		}
		for (unsigned j = 0; j < cfg->n_ports && !ss->port[0]; j++)
			if ((ss->peer.family == 4 ? cfg->ports[j].n_ipv4 :
						    cfg->ports[j].n_ipv6) > 0)
				set_str(ss->port, sizeof(ss->port), cfg->ports[j].name);
		if (!ss->port[0])
			cfg_err(&p->c, s->v[S_PEER], "%s.peer: no port has an IPv%u "
				"address to reach %s", path, ss->peer.family,
				ADDR(&ss->peer));
	}
	for (unsigned i = 0; i < cfg->ipsec.n_sas; i++) {
		const struct tw_config_sa *sa = &cfg->ipsec.sas[i];
		const struct slots *s = &p->sas[i];
		const struct tw_config_addr *local = sa->dir == TW_CONFIG_DIR_OUT ?
						     &sa->src : &sa->dst;
		static const uint8_t ckey[] = { 0, 20, 36, 16, 32, 20 };
		static const uint8_t akey[] = { 0, 20, 32 };
		bool aead = sa->cipher == TW_CONFIG_CIPHER_AES_GCM_128 ||
			    sa->cipher == TW_CONFIG_CIPHER_AES_GCM_256;
		char path[32];

		snprintf(path, sizeof(path), "ipsec.sas[%u]", i);
		if (s->errs > 0)
			; /* the algorithms may be defaults standing in for typos */
		else if (sa->proto == TW_CONFIG_SA_AH && sa->cipher != TW_CONFIG_CIPHER_NULL)
			cfg_err(&p->c, s->v[A_CIPHER], "%s.cipher: AH does not encrypt; "
				"use cipher null or proto esp", path);
		else if (sa->auth == TW_CONFIG_AUTH_NONE && !aead)
			cfg_err(&p->c, s->v[A_AUTH] ? s->v[A_AUTH] : s->node,
				"%s.auth: %s without integrity is refused for measurement "
				"SAs; choose hmac-sha256-128 or hmac-sha1-96%s", path,
				sa->proto == TW_CONFIG_SA_AH ? "AH" :
				sa->cipher == TW_CONFIG_CIPHER_NULL ? "ESP-NULL" :
				"encryption-only ESP",
				sa->proto == TW_CONFIG_SA_ESP ? " (or an aes-gcm cipher)" : "");
		else if (aead && sa->auth != TW_CONFIG_AUTH_NONE)
			cfg_err(&p->c, s->v[A_AUTH], "%s.auth: %s already provides "
				"integrity; use auth none", path, cipher_names[sa->cipher]);
		if (sa->cipher != TW_CONFIG_CIPHER_NULL && sa->proto == TW_CONFIG_SA_ESP) {
			if (sa->cipher_key[0] == '\0')
				cfg_err(&p->c, s->v[A_CIPHER], "%s: cipher %s needs a "
					"cipher_key", path, cipher_names[sa->cipher]);
			else
				check_key(p, s->v[A_CKEY], FP(path, "cipher_key"),
					  sa->cipher_key, true, ckey[sa->cipher],
					  ckey[sa->cipher], cipher_names[sa->cipher]);
		} else if (sa->cipher_key[0]) {
			cfg_err(&p->c, s->v[A_CKEY], "%s.cipher_key: cipher null uses no key",
				path);
		}
		if (sa->auth != TW_CONFIG_AUTH_NONE) {
			if (sa->auth_key[0] == '\0')
				cfg_err(&p->c, s->v[A_AUTH], "%s: auth %s needs an auth_key",
					path, auth_names[sa->auth]);
			else
				check_key(p, s->v[A_AKEY], FP(path, "auth_key"), sa->auth_key,
					  true, akey[sa->auth], akey[sa->auth],
					  auth_names[sa->auth]);
		} else if (sa->auth_key[0]) {
			cfg_err(&p->c, s->v[A_AKEY], "%s.auth_key: auth none uses no key",
				path);
		}
		if (local->family && cfg->n_ports && port_of_addr(cfg, local) == NULL)
			cfg_err(&p->c, s->v[sa->dir == TW_CONFIG_DIR_OUT ? A_SRC : A_DST],
				"%s.%s: %s is not an address of any port (the local end "
				"of an %sbound SA)", path,
				sa->dir == TW_CONFIG_DIR_OUT ? "src" : "dst", ADDR(local),
				dir_names[sa->dir]);
	}
	if (!c->enabled && cfg->n_light == 0 && cfg->n_statics == 0 &&
	    cfg->n_sessions == 0)
		cfg_warn(&p->c, NULL, "nothing to do: no reflector.control, "
			 "reflector.light, static_sessions or sender.sessions");
}

/* ---------- load ---------- */

static void load_keys(struct pctx *p)
{
	struct tw_config *cfg = p->cfg;
	const struct ynode *at = p->ctrl.v[C_KEYS];
	const char *kp = cfg->control.keys;
	struct tw_config_diag kd = { 0 };
	struct cctx kc;
	const char *slash = strrchr(p->name, '/');
	char *buf;
	size_t len;
	struct stat st;
	int rc;

	if (kp[0] == '/' || slash == NULL)
		snprintf(cfg->keys.path, sizeof(cfg->keys.path), "%s", kp);
	else
		snprintf(cfg->keys.path, sizeof(cfg->keys.path), "%.*s/%s",
			 (int)(slash - p->name), p->name, kp);
	rc = cfg_read_file(cfg->keys.path, &buf, &len);
	if (rc < 0) {
		cfg_err(&p->c, at, "reflector.control.keys: cannot read key file '%s': %s",
			cfg->keys.path, rc == -EINVAL ? "not a regular file" :
			rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
		return;
	}
	if (stat(cfg->keys.path, &st) == 0 && (st.st_mode & 077))
		cfg_warn(&p->c, at, "reflector.control.keys: key file '%s' can be read "
			 "by group or others (mode %04o); chmod 600 it",
			 cfg->keys.path, (unsigned)(st.st_mode & 07777));
	kc = (struct cctx){ .file = cfg->keys.path, .diag = p->c.diag ? &kd : NULL };
	cfg_keys_parse(&kc, buf, len, &cfg->keys);
	explicit_bzero(buf, len);
	free(buf);
	p->keys_loaded = kc.errors == 0;
	p->c.errors += kc.errors;
	p->c.nomem |= kc.nomem;
	if (p->c.diag != NULL) {
		/* the key file's messages come after the main file's */
		struct tw_config_diag *d = p->c.diag;

		d->n_errors += kd.n_errors;
		d->n_warnings += kd.n_warnings;
		d->truncated |= kd.truncated;
		for (unsigned i = 0; i < kd.n; i++) {
			if (d->n == d->cap) {
				unsigned cap = d->cap ? d->cap * 2 : 16;
				struct tw_config_msg *m = realloc(d->msgs, cap * sizeof(*m));

				if (m == NULL) {
					free(kd.msgs[i].text);
					continue;
				}
				d->msgs = m;
				d->cap = cap;
			}
			kd.msgs[i].line |= 0x80000000u; /* sort after the main file */
			d->msgs[d->n++] = kd.msgs[i];
		}
		free(kd.msgs);
	}
}

static void sort_msgs(struct tw_config_diag *d, unsigned from)
{
	/* insertion sort: stable, and n is small (<= TW_CONFIG_DIAG_MAX) */
	for (unsigned i = from + 1; i < d->n; i++) {
		struct tw_config_msg m = d->msgs[i];
		unsigned j = i;

		while (j > from) {
			struct tw_config_msg *prev = &d->msgs[j - 1];

			if (prev->line < m.line ||
			    (prev->line == m.line && prev->col <= m.col))
				break;
			d->msgs[j] = *prev;
			j--;
		}
		d->msgs[j] = m;
	}
	for (unsigned i = from; i < d->n; i++)
		d->msgs[i].line &= 0x7fffffffu;
}

int tw_config_load_buffer(const char *name, const char *buf, size_t len,
			  struct tw_config **out, struct tw_config_diag *diag)
{
	struct pctx p = { .c = { .file = name, .diag = diag }, .name = name };
	unsigned first = diag ? diag->n : 0;
	struct ynode *root;
	struct slots refl;

	*out = NULL;
	p.cfg = calloc(1, sizeof(*p.cfg));
	if (p.cfg == NULL)
		return -ENOMEM;
	root = cfg_yaml_parse(&p.c, buf, len);
	if (root != NULL && root->type != YN_MAP) {
		cfg_err(&p.c, root, "the configuration must be a mapping (key: value), "
			"got %s", type_name(root));
	} else if (root != NULL) {
		map_fields(&p, root, "the top level", top_keys, &p.top);
		p.top.node = root;
		parse_eal(&p, p.top.v[T_EAL]);
		parse_ports(&p, p.top.v[T_PORTS]);
		parse_workers(&p, p.top.v[T_WORKERS]);
		memset(&refl, 0, sizeof(refl));
		map_fields(&p, p.top.v[T_REFLECTOR], "reflector", refl_keys, &refl);
		p.refl = refl;
		parse_control(&p, refl.v[R_CONTROL]);
		parse_light(&p, refl.v[R_LIGHT]);
		parse_statics(&p, refl.v[R_STATIC]);
		if (map_fields(&p, p.top.v[T_SENDER], "sender", sender_keys, &p.sender)) {
			parse_sessions(&p, p.sender.v[SN_SESSIONS]);
			parse_sender_lcore(&p, p.sender.v[SN_LCORE]);
		}
		parse_ipsec(&p, p.top.v[T_IPSEC]);
		parse_telemetry(&p, p.top.v[T_TELEMETRY]);
		parse_results(&p, p.top.v[T_RESULTS]);
		if (p.cfg->control.keys[0] && !p.c.nomem)
			load_keys(&p);
		if (!p.c.nomem)
			validate(&p);
	}
	if (diag != NULL)
		sort_msgs(diag, first);
	cfg_yaml_free(root);
	free(p.ports);
	free(p.light);
	free(p.statics);
	free(p.sessions);
	free(p.sas);
	if (p.c.nomem) {
		tw_config_free(p.cfg);
		return -ENOMEM;
	}
	if (p.c.errors > 0 || root == NULL) {
		tw_config_free(p.cfg);
		return -EINVAL;
	}
	*out = p.cfg;
	return 0;
}

int tw_config_load(const char *path, struct tw_config **out,
		   struct tw_config_diag *diag)
{
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	rc = cfg_read_file(path, &buf, &len);
	if (rc < 0) {
		struct cctx c = { .file = path, .diag = diag };

		cfg_err(&c, NULL, "cannot read: %s", rc == -EINVAL ? "not a regular file" :
			rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
		return rc == -EINVAL ? -EISDIR : rc;
	}
	rc = tw_config_load_buffer(path, buf, len, out, diag);
	free(buf);
	return rc;
}

void tw_config_free(struct tw_config *cfg)
{
	if (cfg == NULL)
		return;
	for (unsigned i = 0; i < cfg->n_eal; i++)
		free(cfg->eal[i]);
	free(cfg->eal);
	free(cfg->ports);
	free(cfg->light);
	free(cfg->statics);
	free(cfg->sessions);
	free(cfg->ipsec.sas);
	tw_config_keys_free(&cfg->keys);
	explicit_bzero(cfg, sizeof(*cfg));
	free(cfg);
}

/* Arrays are calloc'ed and filled field by field, so padding is zero. */
bool tw_config_equal(const struct tw_config *a, const struct tw_config *b)
{
	if (a->n_eal != b->n_eal || a->n_ports != b->n_ports ||
	    a->n_lcores != b->n_lcores || a->idle_sleep_us != b->idle_sleep_us ||
	    a->n_light != b->n_light ||
	    a->n_statics != b->n_statics || a->n_sessions != b->n_sessions ||
	    a->ipsec.n_sas != b->ipsec.n_sas || a->keys.n != b->keys.n ||
	    a->has_sender_lcore != b->has_sender_lcore ||
	    (a->has_sender_lcore && a->sender_lcore != b->sender_lcore))
		return false;
	for (unsigned i = 0; i < a->n_eal; i++)
		if (strcmp(a->eal[i], b->eal[i]) != 0)
			return false;
#define SAME(x, n) ((n) == 0 || memcmp(a->x, b->x, (n) * sizeof(*a->x)) == 0)
	return SAME(ports, a->n_ports) && SAME(lcores, a->n_lcores) &&
	       memcmp(&a->control, &b->control, sizeof(a->control)) == 0 &&
	       SAME(light, a->n_light) && SAME(statics, a->n_statics) &&
	       SAME(sessions, a->n_sessions) && SAME(ipsec.sas, a->ipsec.n_sas) &&
	       strcmp(a->ipsec.key_import_socket, b->ipsec.key_import_socket) == 0 &&
	       a->ipsec.profile == b->ipsec.profile &&
	       a->ipsec.token_key == b->ipsec.token_key &&
	       a->ipsec.variant == b->ipsec.variant && a->ipsec.secret == b->ipsec.secret &&
	       a->ipsec.sid_key == b->ipsec.sid_key &&
	       memcmp(&a->telemetry, &b->telemetry, sizeof(a->telemetry)) == 0 &&
	       memcmp(&a->results, &b->results, sizeof(a->results)) == 0 &&
	       strcmp(a->keys.path, b->keys.path) == 0 && SAME(keys.v, a->keys.n);
#undef SAME
}
