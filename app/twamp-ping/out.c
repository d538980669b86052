/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON results file: lib/stats' document (docs/results.md) with one
 * more object, "twamp_ping", for what only a kernel-socket sender knows:
 * how late packets left (departure error), what was rejected and why, and
 * where the timestamps came from. Written atomically like lib/stats does:
 * a temporary file in the same directory, fsync, rename, fsync the
 * directory; on failure the old file stays and no temporary is left.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "out.h"

static json_t *dep_obj(int64_t p50, int64_t p99, int64_t max)
{
	return json_pack("{s:I, s:I, s:I}", "p50_ns", (json_int_t)p50,
			 "p99_ns", (json_int_t)p99, "max_ns", (json_int_t)max);
}

static json_t *extra(const struct run *r, const struct run_dep *d,
		     const char *timestamps)
{
	static const char *const names[] = {
#define PING_BAD_NAME(n, s) s,
		PING_BAD_REASONS(PING_BAD_NAME)
#undef PING_BAD_NAME
	};
	json_t *o = json_object(), *bad = json_object();
	json_int_t total = 0;

	for (int i = 0; i < PING_BAD__MAX; i++) {
		json_object_set_new(bad, names[i], json_integer((json_int_t)r->bad[i]));
		total += (json_int_t)r->bad[i];
	}
	json_object_set_new(bad, "total", json_integer(total));
	json_object_set_new(o, "rejected", bad);
	json_object_set_new(o, "send_errors", json_integer((json_int_t)r->send_errors));
	json_object_set_new(o, "timestamps", json_string(timestamps));
	json_object_set_new(o, "rx_kernel_timestamps", json_integer((json_int_t)r->n_kernel_rx));
	json_object_set_new(o, "rx_hw_timestamps", json_integer((json_int_t)r->n_hw_rx));
	json_object_set_new(o, "departure_user",
			    dep_obj(d->user_p50, d->user_p99, d->user_max));
	json_object_set_new(o, "departure_kernel", d->n_kernel ?
			    dep_obj(d->kern_p50, d->kern_p99, d->kern_max) :
			    json_null());
	json_object_set_new(o, "stamp_to_kernel_tx", d->n_kernel ?
			    dep_obj(d->stamp_p50, d->stamp_p99, d->stamp_max) :
			    json_null());
	return o;
}

/* tw_stats_write_atomic() content: the finished document */
static int text_fill(FILE *f, void *arg)
{
	return fputs(arg, f) == EOF ? -EIO : 0;
}

int out_write_json(const char *path, const struct tw_stats_result *res,
		   const struct tw_stats_meta *meta, const struct run *r,
		   const struct run_dep *d)
{
	char *text = NULL, *out;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_t *doc;
	json_error_t jerr;
	int rc;

	if (f == NULL)
		return -errno;
	rc = tw_stats_json_fprint(f, res, meta);
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc < 0) {
		free(text);
		return rc;
	}
	doc = json_loadb(text, len, 0, &jerr);
	free(text);
	if (doc == NULL || !json_is_object(doc)) {
		json_decref(doc);
		return -EPROTO;
	}
	json_object_set_new(doc, "twamp_ping", extra(r, d, meta->timestamps));
	out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (out == NULL)
		return -ENOMEM;
	rc = tw_stats_write_atomic(path, text_fill, out);
	free(out);
	return rc;
}
