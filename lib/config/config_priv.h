/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/config private: the YAML node tree and the diagnostic helpers. */
#ifndef TW_CONFIG_PRIV_H
#define TW_CONFIG_PRIV_H

#include "tw_config.h"

enum ynode_type { YN_SCALAR, YN_SEQ, YN_MAP };

struct ynode {
	enum ynode_type type;
	unsigned line, col;   /* 1-based */
	bool plain;           /* scalar written without quotes */
	char *str;            /* scalar value, NUL-terminated */
	size_t len;           /* octets in str */
	struct ynode **kids;  /* seq items, or map key,value,key,value... */
	unsigned n;           /* number of kids (2 per map pair) */
	unsigned cap;
};

/* Parsing context shared by the main file and the key file. */
struct cctx {
	const char *file;
	struct tw_config_diag *diag;
	unsigned errors;      /* errors added by this context */
	bool nomem;
};

void cfg_msg(struct cctx *c, const struct ynode *at, bool warning,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define cfg_err(c, at, ...) cfg_msg((c), (at), false, __VA_ARGS__)
#define cfg_warn(c, at, ...) cfg_msg((c), (at), true, __VA_ARGS__)

/*
 * Parse YAML text into a node tree (one document). Syntax errors,
 * aliases, multiple documents and excessive nesting are reported in @c.
 * Returns the root (an empty mapping for an empty document) or NULL.
 */
struct ynode *cfg_yaml_parse(struct cctx *c, const char *buf, size_t len);
void cfg_yaml_free(struct ynode *n);

/* Is the scalar a YAML null (empty plain, "~", "null")? */
bool cfg_is_null(const struct ynode *n);

/* Key file: parse into @keys. Errors go to @c (c->file is the key file). */
void cfg_keys_parse(struct cctx *c, const char *buf, size_t len,
		    struct tw_config_keys *keys);

/* Read a regular file of at most 1 MiB. Returns 0 or -errno. */
int cfg_read_file(const char *path, char **buf, size_t *len);

#endif
