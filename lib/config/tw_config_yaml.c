/* SPDX-License-Identifier: BSD-3-Clause */
/* YAML events -> a small node tree with 1-based positions; diagnostics. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "config_priv.h"

#define MAX_DEPTH 32
#define MAX_NODES 200000
#define MAX_FILE (1u << 20)

static void diag_push(struct tw_config_diag *d, char *text, unsigned line,
		      unsigned col, bool warning)
{
	if (d->n == d->cap) {
		unsigned cap = d->cap ? d->cap * 2 : 16;
		struct tw_config_msg *m = realloc(d->msgs, cap * sizeof(*m));

		if (m == NULL) {
			free(text);
			return;
		}
		d->msgs = m;
		d->cap = cap;
	}
	d->msgs[d->n++] = (struct tw_config_msg){ text, line, col, warning };
}

void cfg_msg(struct cctx *c, const struct ynode *at, bool warning,
	     const char *fmt, ...)
{
	struct tw_config_diag *d = c->diag;
	char body[512], *text;
	unsigned line = at ? at->line : 0, col = at ? at->col : 0;
	va_list ap;
	int n;

	if (!warning)
		c->errors++;
	if (d == NULL)
		return;
	if (warning)
		d->n_warnings++;
	else
		d->n_errors++;
	if (d->n >= TW_CONFIG_DIAG_MAX) {
		d->truncated = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (line)
		n = asprintf(&text, "%s:%u:%u: %s%s", c->file, line, col,
			     warning ? "warning: " : "", body);
	else
		n = asprintf(&text, "%s: %s%s", c->file,
			     warning ? "warning: " : "", body);
	if (n < 0) {
		c->nomem = true;
		return;
	}
	diag_push(d, text, line, col, warning);
}

void tw_config_diag_free(struct tw_config_diag *diag)
{
	if (diag == NULL)
		return;
	for (unsigned i = 0; i < diag->n; i++)
		free(diag->msgs[i].text);
	free(diag->msgs);
	memset(diag, 0, sizeof(*diag));
}

void cfg_yaml_free(struct ynode *n)
{
	if (n == NULL)
		return;
	for (unsigned i = 0; i < n->n; i++)
		cfg_yaml_free(n->kids[i]);
	free(n->kids);
	if (n->str != NULL) {
		/* scalars of the key file hold passphrases */
		explicit_bzero(n->str, n->len);
		free(n->str);
	}
	free(n);
}

bool cfg_is_null(const struct ynode *n)
{
	return n->type == YN_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->str, "~") == 0 ||
		strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
		strcmp(n->str, "NULL") == 0);
}

static struct ynode *node_new(enum ynode_type t, const yaml_mark_t *m)
{
	struct ynode *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->type = t;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	return n;
}

static int node_add(struct ynode *parent, struct ynode *kid)
{
	if (parent->n == parent->cap) {
		unsigned cap = parent->cap ? parent->cap * 2 : 8;
		struct ynode **k = realloc(parent->kids, cap * sizeof(*k));

		if (k == NULL)
			return -ENOMEM;
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

static void syntax_error(struct cctx *c, const yaml_parser_t *p)
{
	struct ynode at = {
		.line = (unsigned)p->problem_mark.line + 1,
		.col = (unsigned)p->problem_mark.column + 1,
	};

	if (p->error == YAML_MEMORY_ERROR) {
		c->nomem = true;
		cfg_err(c, NULL, "out of memory");
		return;
	}
	if (p->context != NULL)
		cfg_err(c, &at, "YAML syntax error: %s %s", p->problem ? p->problem : "error",
			p->context);
	else
		cfg_err(c, &at, "YAML syntax error: %s",
			p->problem ? p->problem : "malformed input");
}

struct ynode *cfg_yaml_parse(struct cctx *c, const char *buf, size_t len)
{
	struct ynode *stack[MAX_DEPTH + 1];
	struct ynode *root = NULL;
	unsigned depth = 0, nodes = 0, docs = 0;
	yaml_parser_t p;
	yaml_event_t ev;
	bool done = false, failed = false;

	if (!yaml_parser_initialize(&p)) {
		c->nomem = true;
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done) {
		struct ynode *n = NULL, at;

		if (!yaml_parser_parse(&p, &ev)) {
			syntax_error(c, &p);
			failed = true;
			break;
		}
		at.line = (unsigned)ev.start_mark.line + 1;
		at.col = (unsigned)ev.start_mark.column + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				cfg_err(c, &at, "only one YAML document is allowed");
				failed = true;
				done = true;
			}
			break;
		case YAML_ALIAS_EVENT:
			cfg_err(c, &at, "YAML aliases are not supported; write the value out");
			failed = true;
			done = true;
			break;
		case YAML_SCALAR_EVENT:
			n = node_new(YN_SCALAR, &ev.start_mark);
			if (n == NULL)
				break;
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			n->len = ev.data.scalar.length;
			n->str = malloc(n->len + 1);
			if (n->str == NULL) {
				free(n);
				n = NULL;
				break;
			}
			memcpy(n->str, ev.data.scalar.value, n->len);
			n->str[n->len] = '\0';
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n = node_new(ev.type == YAML_SEQUENCE_START_EVENT ? YN_SEQ : YN_MAP,
				     &ev.start_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		if (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT) {
			if (n == NULL) {
				c->nomem = true;
				cfg_err(c, NULL, "out of memory");
				failed = true;
				done = true;
			} else if (++nodes > MAX_NODES) {
				cfg_err(c, &at, "too many YAML nodes (more than %u)", MAX_NODES);
				cfg_yaml_free(n);
				failed = true;
				done = true;
			} else if (depth == 0) {
				if (root == NULL)
					root = n;
				else
					cfg_yaml_free(n);
			} else if (node_add(stack[depth - 1], n) < 0) {
				cfg_yaml_free(n);
				c->nomem = true;
				failed = true;
				done = true;
			}
			if (!failed && n != NULL && n->type != YN_SCALAR) {
				if (depth >= MAX_DEPTH) {
					cfg_err(c, &at, "YAML nested deeper than %u levels",
						MAX_DEPTH);
					failed = true;
					done = true;
				} else {
					stack[depth++] = n;
				}
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (failed) {
		cfg_yaml_free(root);
		return NULL;
	}
	if (root == NULL) {
		yaml_mark_t m = { 0, 0, 0 };

		root = node_new(YN_MAP, &m);
		if (root == NULL)
			c->nomem = true;
	}
	return root;
}

int cfg_read_file(const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	char *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_FILE) {
		close(fd);
		return S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
	}
	b = malloc((size_t)st.st_size + 1);
	if (b == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}
