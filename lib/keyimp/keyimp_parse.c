/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key-import line syntax and value grammars (docs/key-import.md §2, §5):
 * a line becomes a verb and decoded fields, or a refusal. Nothing here
 * touches a table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "keyimp_priv.h"
#include "tw_proto.h"

int ki_refuse(struct ki_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
	return -1;
}

int ki_bad(struct ki_err *e, const char *field, const char *why)
{
	return ki_refuse(e, 412, "bad-value %s: %s", field, why);
}

static bool is_lname(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool name_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lname(s[i]))
			return false;
	return true;
}

const char *ki_token(const char *name, char out[KI_TOKEN_MAX])
{
	size_t n = strlen(name);

	/* a client-chosen name is echoed in a reply (and the log) only when it
	 * cannot be key material: short, and not all hex digits */
	if (n <= 32 && strspn(name, "0123456789abcdef") != n)
		return name;
	snprintf(out, KI_TOKEN_MAX, "(%u octets)", (unsigned)(n & 0xffff));
	return out;
}

static bool is_text_field(const char *name)
{
	static const char *const text[] = {
		"local-id", "remote-id", "name", "reason", "agent", NULL
	};

	for (unsigned i = 0; text[i] != NULL; i++)
		if (strcmp(name, text[i]) == 0)
			return true;
	return false;
}

/* Decode %XX in place; the decoded value must not contain NUL. */
static int unescape(char *v, struct ki_err *e, const char *name)
{
	char *w = v;

	for (const char *r = v; *r != '\0'; r++) {
		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		int hi = tw_proto_hex_digit(r[1]);
		int lo = hi < 0 ? -1 : tw_proto_hex_digit(r[2]);

		if (hi < 0 || lo < 0 || (hi | lo) == 0) {
			char tok[KI_TOKEN_MAX];

			return ki_refuse(e, 400, "bad-escape %s", ki_token(name, tok));
		}
		*w++ = (char)(hi << 4 | lo);
		r += 2;
	}
	*w = '\0';
	return 0;
}

int ki_parse_line(const char *line, size_t len, struct ki_line *out,
		  struct ki_err *e)
{
	unsigned ext = 0;
	char *p, *end;

	memset(out, 0, sizeof(*out));
	if (len >= TW_KEYIMP_LINE_MAX) /* the LF makes it one more */
		return ki_refuse(e, 400, "line-too-long");
	if (memchr(line, '\r', len) != NULL || memchr(line, '\0', len) != NULL)
		return ki_refuse(e, 400, "syntax: CR or NUL");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c > 0x7e)
			return ki_refuse(e, 400, "syntax: octet outside printable ASCII");
	}
	if (len == 0 || line[0] == ' ' || line[len - 1] == ' ' ||
	    memmem(line, len, "  ", 2) != NULL)
		return ki_refuse(e, 400, "syntax: empty line or bad spacing");
	memcpy(out->buf, line, len);
	out->buf[len] = '\0';
	p = out->buf;
	end = strchr(p, ' ');
	if (end != NULL)
		*end = '\0';
	if (!name_ok(p, strlen(p)))
		return ki_refuse(e, 400, "syntax: verb");
	out->verb = p;
	while (end != NULL) {
		char *f = end + 1, *eq, tok[KI_TOKEN_MAX];

		end = strchr(f, ' ');
		if (end != NULL)
			*end = '\0';
		if (out->n + ext >= TW_KEYIMP_FIELDS_MAX)
			return ki_refuse(e, 400, "syntax: too many fields");
		eq = strchr(f, '=');
		if (eq == NULL)
			return ki_refuse(e, 400, "syntax: field %u without '='",
					 out->n + ext + 1);
		*eq = '\0';
		if (!name_ok(f, (size_t)(eq - f)))
			return ki_refuse(e, 400, "syntax: field name");
		for (unsigned i = 0; i < out->n; i++)
			if (strcmp(out->f[i].name, f) == 0)
				return ki_refuse(e, 402, "duplicate-field %s", ki_token(f, tok));
		for (unsigned i = 0; i < ext; i++)
			if (strcmp(out->ext[i], f) == 0)
				return ki_refuse(e, 402, "duplicate-field %s", ki_token(f, tok));
		if (strncmp(f, "x-", 2) == 0) {
			if (ext >= TW_KEYIMP_EXT_MAX)
				return ki_refuse(e, 400, "syntax: more than %u x- fields",
						 TW_KEYIMP_EXT_MAX);
			out->ext[ext++] = f;
			continue;
		}
		if (strchr(eq + 1, '%') != NULL) {
			if (!is_text_field(f))
				return ki_refuse(e, 400, "bad-escape %s", ki_token(f, tok));
			if (unescape(eq + 1, e, f) != 0)
				return -1;
		}
		if (is_text_field(f) && strlen(eq + 1) > TW_KEYIMP_TEXT_MAX)
			return ki_bad(e, f, "longer than 255 octets");
		out->f[out->n].name = f;
		out->f[out->n].value = eq + 1;
		out->n++;
	}
	return 0;
}

const char *ki_get(const struct ki_line *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->f[i].name, name) == 0)
			return l->f[i].value;
	return NULL;
}

int ki_check_fields(const struct ki_line *l, const char *const *req,
		    const char *const *opt, struct ki_err *e)
{
	for (unsigned i = 0; req[i] != NULL; i++)
		if (ki_get(l, req[i]) == NULL)
			return ki_refuse(e, 402, "missing-field %s", req[i]);
	for (unsigned i = 0; i < l->n; i++) {
		bool known = false;

		for (unsigned j = 0; req[j] != NULL && !known; j++)
			known = strcmp(l->f[i].name, req[j]) == 0;
		for (unsigned j = 0; opt[j] != NULL && !known; j++)
			known = strcmp(l->f[i].name, opt[j]) == 0;
		if (!known) {
			char tok[KI_TOKEN_MAX];

			return ki_refuse(e, 402, "unknown-field %s",
					 ki_token(l->f[i].name, tok));
		}
	}
	return 0;
}

/* ---- value grammars (§5) ---- */

int ki_hex(const char *v, const char *name, uint8_t *out, size_t need,
	   size_t max, size_t *got, struct ki_err *e)
{
	size_t n = strlen(v);

	if (n == 0 || n % 2 != 0)
		return ki_bad(e, name, "not an even number of hex digits");
	for (size_t i = 0; i < n; i++)
		if (tw_proto_hex_digit(v[i]) < 0)
			return ki_bad(e, name, "not an even number of hex digits");
	n /= 2;
	if (need != 0 && n != need) {
		char why[64];

		snprintf(why, sizeof(why), "length %u, need %u", (unsigned)(n & 0xffff),
			 (unsigned)(need & 0xffff));
		return ki_bad(e, name, why);
	}
	if (n > max)
		return ki_bad(e, name, "too long");
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(tw_proto_hex_digit(v[2 * i]) << 4 |
				   tw_proto_hex_digit(v[2 * i + 1]));
	*got = n;
	return 0;
}

int ki_ike_spi(const char *v, const char *name, uint8_t spi[8],
	       struct ki_err *e)
{
	uint8_t acc = 0;
	size_t got;

	if (strlen(v) != 16 || ki_hex(v, name, spi, 8, 8, &got, e) != 0)
		return ki_bad(e, name, "need 16 hex digits, not all zero");
	for (unsigned i = 0; i < 8; i++)
		acc |= spi[i];
	if (acc == 0)
		return ki_bad(e, name, "need 16 hex digits, not all zero");
	return 0;
}

int ki_child_spi(const char *v, const char *name, uint32_t *spi,
		 struct ki_err *e)
{
	uint8_t b[4];
	size_t got;

	if (strlen(v) != 8 || ki_hex(v, name, b, 4, 4, &got, e) != 0)
		return ki_bad(e, name, "need 8 hex digits");
	*spi = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
	if (*spi == 0)
		return ki_bad(e, name, "0 is not a valid SPI");
	if (*spi < 256)
		return ki_bad(e, name, "1..255 are reserved");
	return 0;
}

int ki_dec(const char *v, const char *name, uint64_t lo, uint64_t hi,
	   uint64_t *out, struct ki_err *e)
{
	size_t n = strlen(v);
	uint64_t x = 0;
	char why[64];

	snprintf(why, sizeof(why), "need %llu..%llu", (unsigned long long)lo,
		 (unsigned long long)hi);
	if (n == 0 || n > 10 || (n > 1 && v[0] == '0'))
		return ki_bad(e, name, why);
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return ki_bad(e, name, why);
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x < lo || x > hi)
		return ki_bad(e, name, why);
	*out = x;
	return 0;
}

int tw_keyimp_addr_parse(const char *s, struct tw_keyimp_addr *a)
{
	if (s == NULL || a == NULL)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (strchr(s, '%') == NULL && inet_pton(AF_INET6, s, a->addr) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	memset(a, 0, sizeof(*a));
	return -EINVAL;
}

int ki_addr(const char *v, const char *name, struct tw_keyimp_addr *a,
	    struct ki_err *e)
{
	if (tw_keyimp_addr_parse(v, a) != 0)
		return ki_bad(e, name, "address");
	return 0;
}

int ki_one_of(const char *v, const char *name, const char *const *choices,
	      unsigned *idx, struct ki_err *e)
{
	char why[96] = "one of ";

	for (unsigned i = 0; choices[i] != NULL; i++) {
		if (strcmp(v, choices[i]) == 0) {
			*idx = i;
			return 0;
		}
		if (i > 0)
			strncat(why, "/", sizeof(why) - strlen(why) - 1);
		strncat(why, choices[i], sizeof(why) - strlen(why) - 1);
	}
	return ki_bad(e, name, why);
}

static unsigned alen(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

int ki_addr_cmp(const struct tw_keyimp_addr *a, const struct tw_keyimp_addr *b)
{
	return memcmp(a->addr, b->addr, alen(a->family));
}

/* net = addr/len (host bits zero) or addr-addr (from <= to) */
static int ts_net(char *net, const char *name, uint8_t family,
		  struct tw_keyimp_ts *ts, struct ki_err *e)
{
	char *sep = strchr(net, '/');

	if (sep != NULL) {
		uint64_t len;
		unsigned bits;

		*sep = '\0';
		if (tw_keyimp_addr_parse(net, &ts->from) != 0)
			return ki_bad(e, name, "selector address");
		bits = alen(ts->from.family) * 8;
		if (ki_dec(sep + 1, name, 0, bits, &len, e) != 0)
			return ki_bad(e, name, "prefix length");
		ts->to = ts->from;
		for (unsigned b = (unsigned)len; b < bits; b++) {
			uint8_t m = (uint8_t)(0x80u >> (b % 8));

			if (ts->from.addr[b / 8] & m)
				return ki_bad(e, name, "host bits set");
			ts->to.addr[b / 8] |= m;
		}
	} else if ((sep = strchr(net, '-')) != NULL) {
		*sep = '\0';
		if (tw_keyimp_addr_parse(net, &ts->from) != 0 ||
		    tw_keyimp_addr_parse(sep + 1, &ts->to) != 0)
			return ki_bad(e, name, "selector address");
		if (ts->from.family != ts->to.family ||
		    ki_addr_cmp(&ts->from, &ts->to) > 0)
			return ki_bad(e, name, "range");
	} else {
		return ki_bad(e, name, "selector needs /len or a range");
	}
	if (ts->from.family != family)
		return ki_bad(e, name, "address family differs from the SA's");
	return 0;
}

int ki_ts_list(const char *v, const char *name, uint8_t family,
	       struct tw_keyimp_ts *ts, uint8_t *n_ts, struct ki_err *e)
{
	char buf[TW_KEYIMP_LINE_MAX];
	char *save = NULL, *it;
	unsigned n = 0;

	if (strlen(v) >= sizeof(buf) || v[0] == '\0' || v[strlen(v) - 1] == ',' ||
	    strstr(v, ",,") != NULL)
		return ki_bad(e, name, "selector syntax");
	strcpy(buf, v);
	for (it = strtok_r(buf, ",", &save); it != NULL;
	     it = strtok_r(NULL, ",", &save)) {
		struct tw_keyimp_ts *t = &ts[n];
		char *br = strchr(it, '[');

		if (n >= TW_KEYIMP_TS_MAX)
			return ki_bad(e, name, "1..16 selectors");
		memset(t, 0, sizeof(*t));
		t->port_hi = 65535;
		if (br != NULL) {
			char *close = strchr(br, ']'), *sl, *dash;
			uint64_t x;

			if (close == NULL || close[1] != '\0')
				return ki_bad(e, name, "selector syntax");
			*br = '\0';
			*close = '\0';
			sl = strchr(br + 1, '/');
			if (sl != NULL)
				*sl = '\0';
			if (ki_dec(br + 1, name, 0, 255, &x, e) != 0)
				return ki_bad(e, name, "protocol");
			t->proto = (uint8_t)x;
			if (sl != NULL) {
				dash = strchr(sl + 1, '-');
				if (dash != NULL)
					*dash = '\0';
				if (ki_dec(sl + 1, name, 0, 65535, &x, e) != 0)
					return ki_bad(e, name, "port");
				t->port_lo = t->port_hi = (uint16_t)x;
				if (dash != NULL) {
					if (ki_dec(dash + 1, name, 0, 65535, &x, e) != 0)
						return ki_bad(e, name, "port");
					t->port_hi = (uint16_t)x;
				}
				if (t->port_lo > t->port_hi)
					return ki_bad(e, name, "port range");
			}
		} else if (strchr(it, ']') != NULL) {
			return ki_bad(e, name, "selector syntax");
		}
		if (ts_net(it, name, family, t, e) != 0)
			return -1;
		n++;
	}
	*n_ts = (uint8_t)n;
	return 0;
}

/* ---- output ---- */

void ki_out(struct ki_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= sizeof(b->s))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, sizeof(b->s) - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->len += (size_t)n;
	if (b->len >= sizeof(b->s))
		b->len = sizeof(b->s) - 1;
}

void ki_out_text(struct ki_buf *b, const char *name, const char *v)
{
	ki_out(b, " %s=", name);
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '%')
			ki_out(b, "%%%02X", *p);
		else
			ki_out(b, "%c", *p);
	}
}

void ki_out_addr(struct ki_buf *b, const char *name,
		 const struct tw_keyimp_addr *a)
{
	char s[INET6_ADDRSTRLEN];

	if (inet_ntop(a->family, a->addr, s, sizeof(s)) == NULL)
		strcpy(s, "?");
	ki_out(b, " %s=%s", name, s);
}

void ki_out_hex(struct ki_buf *b, const char *name, const uint8_t *p, size_t n)
{
	ki_out(b, " %s=", name);
	for (size_t i = 0; i < n; i++)
		ki_out(b, "%02x", p[i]);
}

/* The prefix length when [from, to] is one CIDR block, else -1. */
static int ts_prefix(const struct tw_keyimp_ts *t)
{
	unsigned bits = alen(t->from.family) * 8, len = 0;

	while (len < bits) {
		uint8_t m = (uint8_t)(0x80u >> (len % 8));

		if ((t->from.addr[len / 8] & m) != (t->to.addr[len / 8] & m))
			break;
		len++;
	}
	for (unsigned b = len; b < bits; b++) {
		uint8_t m = (uint8_t)(0x80u >> (b % 8));

		if ((t->from.addr[b / 8] & m) || !(t->to.addr[b / 8] & m))
			return -1;
	}
	return (int)len;
}

void ki_out_ts(struct ki_buf *b, const char *name,
	       const struct tw_keyimp_ts *ts, unsigned n)
{
	ki_out(b, " %s=", name);
	for (unsigned i = 0; i < n; i++) {
		const struct tw_keyimp_ts *t = &ts[i];
		char f[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];
		int plen = ts_prefix(t);

		inet_ntop(t->from.family, t->from.addr, f, sizeof(f));
		inet_ntop(t->to.family, t->to.addr, to, sizeof(to));
		if (plen >= 0)
			ki_out(b, "%s%s/%d", i > 0 ? "," : "", f, plen);
		else
			ki_out(b, "%s%s-%s", i > 0 ? "," : "", f, to);
		if (t->proto == 0 && t->port_lo == 0 && t->port_hi == 65535)
			continue;
		if (t->port_lo == 0 && t->port_hi == 65535)
			ki_out(b, "[%u]", t->proto);
		else if (t->port_lo == t->port_hi)
			ki_out(b, "[%u/%u]", t->proto, t->port_lo);
		else
			ki_out(b, "[%u/%u-%u]", t->proto, t->port_lo, t->port_hi);
	}
}

/* ---- algorithm tables (§8) ---- */

static const struct ki_alg prf_tab[] = {
	{ 2, "prf-hmac-sha1", 20, 0, false },
	{ 4, "prf-aes128-xcbc", 16, 0, false },
	{ 5, "prf-hmac-sha2-256", 32, 0, false },
	{ 6, "prf-hmac-sha2-384", 48, 0, false },
	{ 7, "prf-hmac-sha2-512", 64, 0, false },
	{ 8, "prf-aes128-cmac", 16, 0, false },
	{ 0, NULL, 0, 0, false },
};

/* len = salt octets (-1: no key, NULL) */
static const struct ki_alg encr_tab[] = {
	{ 11, "null", -1, 0, false },
	{ 12, "aes-cbc", 0, 0, false },
	{ 13, "aes-ctr", 4, 0, false },
	{ 18, "aes-gcm-8", 4, 8, true },
	{ 19, "aes-gcm-12", 4, 12, true },
	{ 20, "aes-gcm-16", 4, 16, true },
	{ 0, NULL, 0, 0, false },
};

static const struct ki_alg integ_tab[] = {
	{ 2, "hmac-sha1-96", 20, 12, false },
	{ 5, "aes-xcbc-96", 16, 12, false },
	{ 12, "hmac-sha2-256-128", 32, 16, false },
	{ 13, "hmac-sha2-384-192", 48, 24, false },
	{ 14, "hmac-sha2-512-256", 64, 32, false },
	{ 0, NULL, 0, 0, false },
};

const struct ki_alg *ki_alg_find(enum ki_alg_type type, unsigned id)
{
	const struct ki_alg *t = type == KI_PRF ? prf_tab :
				 type == KI_ENCR ? encr_tab : integ_tab;

	for (; t->name != NULL; t++)
		if (t->id == id)
			return t;
	return NULL;
}

int ki_transform(const struct ki_line *l, const char *field,
		 enum ki_alg_type type, const struct ki_alg **out,
		 struct ki_err *e)
{
	char nfield[32];
	const char *nv;
	uint64_t id;

	if (ki_dec(ki_get(l, field), field, 0, 65535, &id, e) != 0)
		return -1;
	*out = ki_alg_find(type, (unsigned)id);
	if (*out == NULL)
		return ki_refuse(e, 422, "unsupported %s %u", field, (unsigned)id);
	snprintf(nfield, sizeof(nfield), "%s-name", field);
	nv = ki_get(l, nfield);
	if (nv != NULL && strcasecmp(nv, (*out)->name) != 0) {
		char why[64];

		snprintf(why, sizeof(why), "%u is %s", (unsigned)id, (*out)->name);
		return ki_bad(e, nfield, why);
	}
	return 0;
}
