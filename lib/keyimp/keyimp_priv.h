/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/keyimp internals: line parsing, value grammars, output helpers. */
#ifndef KEYIMP_PRIV_H
#define KEYIMP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_keyimp.h"

/** A refusal: `err <code> <reason>`. */
struct ki_err {
	int code;
	char reason[200];
};

/** A parsed line: verb and decoded fields pointing into buf. */
struct ki_line {
	char buf[TW_KEYIMP_LINE_MAX + 1];
	const char *verb;
	struct {
		const char *name;
		const char *value;
	} f[TW_KEYIMP_FIELDS_MAX];
	const char *ext[TW_KEYIMP_EXT_MAX];
	unsigned n;
};

/** A reply line being built. */
struct ki_buf {
	char s[TW_KEYIMP_LINE_MAX + 256];
	size_t len;
};

enum ki_alg_type { KI_PRF, KI_ENCR, KI_INTEG };

/** One row of docs/key-import.md §8. */
struct ki_alg {
	unsigned id;
	const char *name;
	int len;        /**< PRF/integ key octets; encr: salt octets, -1 = no key */
	unsigned icv;   /**< ICV octets (integ, AEAD) */
	bool aead;
};

int ki_refuse(struct ki_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ki_bad(struct ki_err *e, const char *field, const char *why);
int ki_parse_line(const char *line, size_t len, struct ki_line *out,
		  struct ki_err *e);
const char *ki_get(const struct ki_line *l, const char *name);
int ki_check_fields(const struct ki_line *l, const char *const *req,
		    const char *const *opt, struct ki_err *e);
int ki_hex(const char *v, const char *name, uint8_t *out, size_t need,
	   size_t max, size_t *got, struct ki_err *e);
int ki_ike_spi(const char *v, const char *name, uint8_t spi[8],
	       struct ki_err *e);
int ki_child_spi(const char *v, const char *name, uint32_t *spi,
		 struct ki_err *e);
int ki_dec(const char *v, const char *name, uint64_t lo, uint64_t hi,
	   uint64_t *out, struct ki_err *e);
int ki_addr(const char *v, const char *name, struct tw_keyimp_addr *a,
	    struct ki_err *e);
int ki_addr_cmp(const struct tw_keyimp_addr *a, const struct tw_keyimp_addr *b);
int ki_one_of(const char *v, const char *name, const char *const *choices,
	      unsigned *idx, struct ki_err *e);
int ki_ts_list(const char *v, const char *name, uint8_t family,
	       struct tw_keyimp_ts *ts, uint8_t *n_ts, struct ki_err *e);
const struct ki_alg *ki_alg_find(enum ki_alg_type type, unsigned id);
int ki_transform(const struct ki_line *l, const char *field,
		 enum ki_alg_type type, const struct ki_alg **out,
		 struct ki_err *e);

void ki_out(struct ki_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ki_out_text(struct ki_buf *b, const char *name, const char *v);
void ki_out_addr(struct ki_buf *b, const char *name,
		 const struct tw_keyimp_addr *a);
void ki_out_hex(struct ki_buf *b, const char *name, const uint8_t *p, size_t n);
void ki_out_ts(struct ki_buf *b, const char *name,
	       const struct tw_keyimp_ts *ts, unsigned n);

/** Whether the session has done its hello (server: hello timeout). */
bool ki_sess_hello(const struct tw_keyimp_sess *s);
/** Connection counters: 0 accepted, 1 closed, 2 refused (403), 3 busy. */
void ki_stats_conn(struct tw_keyimp *t, int what);

#endif /* KEYIMP_PRIV_H */
