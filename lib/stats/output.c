/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Results for people (summary, progress line) and machines (JSON, written
 * atomically; per-packet CSV / JSON Lines). Formats: docs/results.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tw_stats.h"

/* ---- small helpers ---------------------------------------------------- */

/* Milliseconds, 3 significant digits like twping: "0.0286", "12.5", "1.02e+03". */
static void fmt_ms(char *b, size_t n, double ns)
{
	snprintf(b, n, "%.3g", ns / 1e6);
}

/* RFC 3339 UTC with nanoseconds, from an NTP timestamp. */
static void fmt_time(char *b, size_t n, tw_ntp_t t)
{
	int64_t sec;
	uint32_t nsec;
	struct tm tm;

	tw_ntp_to_unix(t, &sec, &nsec);
	time_t tt = (time_t)sec;
	if (gmtime_r(&tt, &tm) == NULL) {
		snprintf(b, n, "?");
		return;
	}
	snprintf(b, n, "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRIu32 "Z", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nsec);
}

/* Nanoseconds since the Unix epoch (to 2262). */
static int64_t unix_ns(tw_ntp_t t)
{
	int64_t sec;
	uint32_t nsec;

	tw_ntp_to_unix(t, &sec, &nsec);
	return sec * 1000000000 + nsec;
}

/* "p99.9" style key for a percentile. */
static void pct_key(char *b, size_t n, double p)
{
	snprintf(b, n, "p%g", p);
}

static int stream_status(FILE *f)
{
	if (fflush(f) != 0 || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}

/* ---- summary ----------------------------------------------------------- */

static void sum_dist(FILE *f, const char *label, const struct tw_stats_result *r,
		     const struct tw_stats_dist *d, double err, const char *note)
{
	char mn[32], md[32], mx[32], e[32];

	if (d->n == 0)
		return;
	fmt_ms(mn, sizeof(mn), (double)d->min_ns);
	fmt_ms(md, sizeof(md), (double)d->median_ns);
	fmt_ms(mx, sizeof(mx), (double)d->max_ns);
	fprintf(f, "%s min/median/max = %s/%s/%s ms", label, mn, md, mx);
	for (unsigned i = 0; i < r->n_pct; i++)
		fprintf(f, "%sp%g", i ? "/" : ", ", r->pct[i]);
	for (unsigned i = 0; i < r->n_pct; i++) {
		fmt_ms(mn, sizeof(mn), (double)d->pct_ns[i]);
		fprintf(f, "%s%s", i ? "/" : " = ", mn);
	}
	if (r->n_pct)
		fputs(" ms", f);
	if (err > 0) {
		snprintf(e, sizeof(e), "%.3g", err / 1e6);
		fprintf(f, " (err=%s ms)", e);
	}
	if (note)
		fprintf(f, " %s", note);
	fputc('\n', f);
}

static void sum_hops(FILE *f, const char *label, const struct tw_stats_hops *h)
{
	if (h->n == 0)
		return;
	if (h->min == h->max)
		fprintf(f, "%s%shops = %u (consistently)\n", label, *label ? " " : "", h->min);
	else
		fprintf(f, "%s%shops vary: min %u, max %u\n", label, *label ? " " : "", h->min,
			h->max);
}

static void sum_tos(FILE *f, const char *label, const struct tw_stats_tos *t, int sent)
{
	if (t->n == 0)
		return;
	fprintf(f, "%s%sDSCP/ECN: last %u/%u", label, *label ? " " : "", t->last >> 2,
		t->last & 3u);
	if (sent >= 0)
		fprintf(f, " (sent %d/%d): DSCP changed %" PRIu64 ", ECN changed %" PRIu64, sent >> 2,
			sent & 3, t->dscp_changed, t->ecn_changed);
	fprintf(f, ", CE %" PRIu64 " of %" PRIu64 "\n", t->ecn_ce, t->n);
}

int tw_stats_print_summary(FILE *f, const struct tw_stats_result *r,
			   const struct tw_stats_meta *m)
{
	char a[64], b[64];
	bool rt = r && r->kind == TW_STATS_ROUNDTRIP;

	if (f == NULL || r == NULL)
		return -EINVAL;
	fprintf(f, "--- %s %s",
		m && m->protocol ? m->protocol : (rt ? "twamp" : "owamp"),
		rt ? "round-trip session" : "one-way session");
	if (m && m->dst_addr)
		fprintf(f, " to %s%s%s:%d", strchr(m->dst_addr, ':') ? "[" : "", m->dst_addr,
			strchr(m->dst_addr, ':') ? "]" : "", m->dst_port);
	if (m && m->mode)
		fprintf(f, " (%s)", m->mode);
	fprintf(f, " ---\n");
	if (m && m->sid)
		fprintf(f, "SID:\t%s\n", m->sid);
	if (m && m->start) {
		fmt_time(a, sizeof(a), m->start);
		fprintf(f, "first:\t%s\n", a);
	}
	if (m && m->end) {
		fmt_time(a, sizeof(a), m->end);
		fprintf(f, "last:\t%s\n", a);
	}
	fprintf(f, "%" PRIu64 " sent, %" PRIu64 " lost (%.3f%%)", r->sent, r->lost,
		100.0 * r->loss_ratio);
	if (r->in_flight)
		fprintf(f, ", %" PRIu64 " in flight", r->in_flight);
	if (r->late)
		fprintf(f, ", of which %" PRIu64 " late", r->late);
	if (rt && r->dup_dir_known)
		fprintf(f, ", %" PRIu64 " send duplicates, %" PRIu64 " reflect duplicates",
			r->dup_fwd, r->dup_back);
	else
		fprintf(f, ", %" PRIu64 " duplicates", r->dup);
	fputc('\n', f);
	if (rt && r->lost > r->late) {
		if (r->dir_known)
			fprintf(f, "lost forward %" PRIu64 ", backward %" PRIu64
				", either (after the last reply) %" PRIu64 "\n",
				r->lost_fwd, r->lost_back, r->lost_unknown);
		else
			fprintf(f, "loss direction unknown (the reflector copies the sender's sequence numbers)\n");
	}
	if (r->unexpected)
		fprintf(f, "%" PRIu64 " unexpected packets ignored (never sent or too old)\n",
			r->unexpected);
	if (rt) {
		sum_dist(f, "round-trip time", r, &r->d[TW_STATS_D_RTT], r->err_rtt_ns, NULL);
		sum_dist(f, "send time", r, &r->d[TW_STATS_D_FWD], r->err_fwd_ns,
			 r->fwd_synced ? NULL : "(clocks not synchronised: unreliable)");
		sum_dist(f, "reflect time", r, &r->d[TW_STATS_D_BACK], r->err_back_ns,
			 r->back_synced ? NULL : "(clocks not synchronised: unreliable)");
		sum_dist(f, "reflector processing time", r, &r->d[TW_STATS_D_PROC], 0, NULL);
		const struct tw_stats_dist *ip = &r->d[TW_STATS_D_IPDV_RTT];
		const struct tw_stats_dist *pd = &r->d[TW_STATS_D_PDV_RTT];
		if (ip->n) {
			fmt_ms(a, sizeof(a), (double)ip->median_ns);
			fmt_ms(b, sizeof(b), ip->stddev_ns);
			fprintf(f, "two-way IPDV median = %s ms, stddev = %s ms", a, b);
			if (r->n_pct) {
				fmt_ms(a, sizeof(a), (double)pd->pct_ns[r->n_pct - 1]);
				fprintf(f, "; PDV p%g = %s ms", r->pct[r->n_pct - 1], a);
			}
			fputc('\n', f);
		}
		sum_hops(f, "send", &r->hops_fwd);
		sum_hops(f, "reflect", &r->hops_back);
		sum_tos(f, "send", &r->tos_fwd, r->tos_sent);
		sum_tos(f, "reflect", &r->tos_back, r->tos_reply);
	} else {
		sum_dist(f, "one-way delay", r, &r->d[TW_STATS_D_FWD], r->err_fwd_ns,
			 r->fwd_synced ? NULL : "(clocks not synchronised: unreliable)");
		const struct tw_stats_dist *ip = &r->d[TW_STATS_D_IPDV_FWD];
		if (ip->n) {
			fmt_ms(a, sizeof(a), (double)ip->median_ns);
			fmt_ms(b, sizeof(b), ip->stddev_ns);
			fprintf(f, "one-way IPDV median = %s ms, stddev = %s ms\n", a, b);
		}
		sum_hops(f, "", &r->hops_fwd);
		sum_tos(f, "", &r->tos_fwd, r->tos_sent);
	}
	if (r->reordered) {
		fprintf(f, "reordered %" PRIu64 " (%.3f%%), extent max %" PRIu64 " mean %.2f",
			r->reordered, 100.0 * r->reordered_ratio, r->extent_max, r->extent_mean);
		uint64_t n3 = 0;
		for (unsigned i = 2; i < TW_STATS_NREORD_MAX; i++)
			n3 += r->nreord[i];
		fprintf(f, ", 3-reordered %" PRIu64 "\n", n3);
	} else if (r->received) {
		fprintf(f, "no reordering\n");
	}
	return stream_status(f);
}

int tw_stats_progress_line(char *buf, size_t len, const struct tw_stats_result *r,
			   const struct tw_stats_meta *m, tw_ntp_t now)
{
	char mn[32], md[32], mx[32];
	tw_ntp_t start;
	double el = 0;

	if ((buf == NULL && len) || r == NULL)
		return -EINVAL;
	start = m && m->start ? m->start : r->first_t1;
	if (start && now > start)
		el = (double)tw_ntp_diff_ns(now, start) / 1e9;
	const struct tw_stats_dist *d =
		&r->d[r->kind == TW_STATS_ROUNDTRIP ? TW_STATS_D_RTT : TW_STATS_D_FWD];
	fmt_ms(mn, sizeof(mn), (double)d->min_ns);
	fmt_ms(md, sizeof(md), (double)d->median_ns);
	fmt_ms(mx, sizeof(mx), (double)d->max_ns);
	return snprintf(buf, len,
			"%7.1fs sent %" PRIu64 " recv %" PRIu64 " lost %" PRIu64 " (%.3f%%)"
			" in flight %" PRIu64 " dup %" PRIu64 " | %s min/med/max %s/%s/%s ms",
			el, r->sent, r->received, r->lost, 100.0 * r->loss_ratio, r->in_flight,
			r->dup, r->kind == TW_STATS_ROUNDTRIP ? "rtt" : "delay",
			d->n ? mn : "-", d->n ? md : "-", d->n ? mx : "-");
}

/* ---- JSON ------------------------------------------------------------- */

struct jw {
	FILE *f;
	int depth;
	bool first;
};

static void jw_indent(struct jw *w)
{
	fputc('\n', w->f);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

static void jw_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void jw_key(struct jw *w, const char *k)
{
	if (!w->first)
		fputc(',', w->f);
	w->first = false;
	jw_indent(w);
	if (k) {
		jw_str(w->f, k);
		fputs(": ", w->f);
	}
}

static void jw_open(struct jw *w, const char *k, char c)
{
	jw_key(w, k);
	fputc(c, w->f);
	w->depth++;
	w->first = true;
}

static void jw_close(struct jw *w, char c)
{
	w->depth--;
	if (!w->first)
		jw_indent(w);
	fputc(c, w->f);
	w->first = false;
}

static void jw_u64(struct jw *w, const char *k, uint64_t v)
{
	jw_key(w, k);
	fprintf(w->f, "%" PRIu64, v);
}

static void jw_i64(struct jw *w, const char *k, int64_t v)
{
	jw_key(w, k);
	fprintf(w->f, "%" PRId64, v);
}

static void jw_dbl(struct jw *w, const char *k, double v)
{
	jw_key(w, k);
	char b[32];

	if (v != v || v - v != 0) { /* NaN, inf: not JSON */
		fputs("null", w->f);
		return;
	}
	/* the shortest of 15 or 17 digits that reads back as the same double */
	snprintf(b, sizeof(b), "%.15g", v);
	if (strtod(b, NULL) != v)
		snprintf(b, sizeof(b), "%.17g", v);
	fputs(b, w->f);
}

/* A short array of numbers on one line. */
static void jw_inline_u64(struct jw *w, const char *k, const uint64_t *v, unsigned n)
{
	jw_key(w, k);
	fputc('[', w->f);
	for (unsigned i = 0; i < n; i++)
		fprintf(w->f, "%s%" PRIu64, i ? ", " : "", v[i]);
	fputc(']', w->f);
}

static void jw_bool(struct jw *w, const char *k, bool v)
{
	jw_key(w, k);
	fputs(v ? "true" : "false", w->f);
}

static void jw_null(struct jw *w, const char *k)
{
	jw_key(w, k);
	fputs("null", w->f);
}

static void jw_s(struct jw *w, const char *k, const char *v)
{
	jw_key(w, k);
	if (v)
		jw_str(w->f, v);
	else
		fputs("null", w->f);
}

/* @p v, or null when it is not known */
static void jw_u64_if(struct jw *w, const char *k, bool known, uint64_t v)
{
	if (known)
		jw_u64(w, k, v);
	else
		jw_null(w, k);
}

static void jw_int_opt(struct jw *w, const char *k, int64_t v)
{
	if (v < 0)
		jw_null(w, k);
	else
		jw_i64(w, k, v);
}

static void jw_time(struct jw *w, const char *k, const char *kns, tw_ntp_t t)
{
	char b[64];

	if (t == 0) {
		jw_null(w, k);
		jw_null(w, kns);
		return;
	}
	fmt_time(b, sizeof(b), t);
	jw_s(w, k, b);
	jw_i64(w, kns, unix_ns(t));
}

static void jw_dist(struct jw *w, const struct tw_stats_result *r, unsigned id,
		    int reliable)
{
	const struct tw_stats_dist *d = &r->d[id];
	char k[32];

	jw_open(w, tw_stats_dist_name((enum tw_stats_dist_id)id), '{');
	jw_u64(w, "n", d->n);
	if (reliable >= 0)
		jw_bool(w, "reliable", reliable);
	if (d->n == 0) {
		jw_null(w, "min_ns");
		jw_null(w, "mean_ns");
		jw_null(w, "median_ns");
		for (unsigned i = 0; i < r->n_pct; i++) {
			pct_key(k, sizeof(k) - 3, r->pct[i]);
			strcat(k, "_ns");
			jw_null(w, k);
		}
		jw_null(w, "max_ns");
		jw_null(w, "stddev_ns");
	} else {
		jw_i64(w, "min_ns", d->min_ns);
		jw_dbl(w, "mean_ns", d->mean_ns);
		jw_i64(w, "median_ns", d->median_ns);
		for (unsigned i = 0; i < r->n_pct; i++) {
			pct_key(k, sizeof(k) - 3, r->pct[i]);
			strcat(k, "_ns");
			jw_i64(w, k, d->pct_ns[i]);
		}
		jw_i64(w, "max_ns", d->max_ns);
		jw_dbl(w, "stddev_ns", d->stddev_ns);
	}
	jw_close(w, '}');
}

static void jw_hops(struct jw *w, const char *k, const struct tw_stats_hops *h)
{
	jw_open(w, k, '{');
	jw_u64(w, "n", h->n);
	jw_u64_if(w, "min", h->n, h->min);
	jw_u64_if(w, "max", h->n, h->max);
	jw_close(w, '}');
}

static void jw_tos(struct jw *w, const char *k, const struct tw_stats_tos *t)
{
	jw_open(w, k, '{');
	jw_u64(w, "n", t->n);
	jw_u64(w, "dscp_changed", t->dscp_changed);
	jw_u64(w, "ecn_changed", t->ecn_changed);
	jw_u64(w, "ecn_ce", t->ecn_ce);
	jw_u64_if(w, "last_dscp", t->n, t->last >> 2);
	jw_u64_if(w, "last_ecn", t->n, t->last & 3u);
	jw_close(w, '}');
}

int tw_stats_json_fprint(FILE *f, const struct tw_stats_result *r,
			 const struct tw_stats_meta *m)
{
	static const struct tw_stats_meta none = {
		.src_port = -1, .dst_port = -1, .count = -1, .dscp = -1,
		.ecn = -1, .padding = -1, .packet_size = -1,
	};
	struct jw w = { .f = f, .depth = 0, .first = true };
	bool rt;

	if (f == NULL || r == NULL)
		return -EINVAL;
	if (m == NULL)
		m = &none;
	rt = r->kind == TW_STATS_ROUNDTRIP;
	fputc('{', f);
	w.depth = 1;
	jw_u64(&w, "version", TW_STATS_JSON_VERSION);
	jw_s(&w, "tool", m->tool);
	jw_s(&w, "tool_version", m->tool_version);

	jw_open(&w, "session", '{');
	jw_s(&w, "name", m->name);
	jw_s(&w, "kind", rt ? "round-trip" : "one-way");
	jw_s(&w, "protocol", m->protocol);
	jw_s(&w, "mode", m->mode);
	jw_s(&w, "sid", m->sid);
	jw_s(&w, "src_addr", m->src_addr);
	jw_int_opt(&w, "src_port", m->src_port);
	jw_s(&w, "dst_addr", m->dst_addr);
	jw_int_opt(&w, "dst_port", m->dst_port);
	jw_s(&w, "schedule", m->schedule);
	if (m->interval_s > 0)
		jw_dbl(&w, "interval_s", m->interval_s);
	else
		jw_null(&w, "interval_s");
	jw_int_opt(&w, "count", m->count);
	jw_int_opt(&w, "dscp", m->dscp);
	jw_int_opt(&w, "ecn", m->ecn);
	jw_int_opt(&w, "padding", m->padding);
	jw_int_opt(&w, "packet_size", m->packet_size);
	jw_s(&w, "timestamps", m->timestamps);
	jw_time(&w, "start", "start_unix_ns", m->start ? m->start : r->first_t1);
	jw_time(&w, "end", "end_unix_ns", m->end);
	jw_bool(&w, "finished", r->finished);
	jw_u64(&w, "timeout_ns", r->timeout_ns);
	jw_close(&w, '}');

	jw_open(&w, "packets", '{');
	jw_u64(&w, "sent", r->sent);
	jw_u64(&w, "received", r->received);
	jw_u64(&w, "lost", r->lost);
	jw_u64(&w, "in_flight", r->in_flight);
	jw_u64(&w, "late", r->late);
	jw_u64(&w, "lost_window", r->lost_window);
	jw_dbl(&w, "loss_ratio", r->loss_ratio);
	jw_u64(&w, "duplicates", r->dup);
	jw_u64(&w, "unexpected", r->unexpected);
	jw_close(&w, '}');

	jw_open(&w, "loss_direction", '{');
	jw_bool(&w, "known", r->dir_known);
	jw_u64_if(&w, "forward", r->dir_known, r->lost_fwd);
	jw_u64_if(&w, "backward", r->dir_known, r->lost_back);
	jw_u64_if(&w, "unknown", r->dir_known, r->lost_unknown);
	jw_close(&w, '}');

	jw_open(&w, "duplicates", '{');
	jw_u64(&w, "total", r->dup);
	jw_bool(&w, "direction_known", r->dup_dir_known);
	jw_u64_if(&w, "forward", r->dup_dir_known, r->dup_fwd);
	jw_u64_if(&w, "backward", r->dup_dir_known, r->dup_back);
	jw_close(&w, '}');

	jw_open(&w, "reordering", '{');
	jw_u64(&w, "reordered", r->reordered);
	jw_dbl(&w, "ratio", r->reordered_ratio);
	jw_u64(&w, "extent_max", r->extent_max);
	jw_dbl(&w, "extent_mean", r->extent_mean);
	jw_u64(&w, "extent_unknown", r->extent_unknown);
	jw_i64(&w, "late_time_max_ns", r->late_time_max_ns);
	jw_inline_u64(&w, "n_reordering", r->nreord, TW_STATS_NREORD_MAX);
	jw_close(&w, '}');

	jw_open(&w, "clock", '{');
	jw_bool(&w, "forward_synchronized", r->fwd_synced);
	jw_bool(&w, "backward_synchronized", rt && r->back_synced);
	jw_dbl(&w, "error_rtt_ns", r->err_rtt_ns);
	jw_dbl(&w, "error_forward_ns", r->err_fwd_ns);
	jw_dbl(&w, "error_backward_ns", r->err_back_ns);
	jw_close(&w, '}');

	jw_open(&w, "delay", '{');
	jw_key(&w, "percentiles");
	fputc('[', f);
	for (unsigned i = 0; i < r->n_pct; i++)
		fprintf(f, "%s%g", i ? ", " : "", r->pct[i]);
	fputc(']', f);
	jw_u64(&w, "ipdv_skipped", r->ipdv_skipped);
	jw_u64(&w, "histogram_clamped", r->hist_clamped);
	for (unsigned id = 0; id < TW_STATS_D_N; id++) {
		int rel = -1;
		if (id == TW_STATS_D_FWD)
			rel = r->fwd_synced;
		else if (id == TW_STATS_D_BACK)
			rel = r->back_synced;
		if (!rt && id != TW_STATS_D_FWD && id != TW_STATS_D_IPDV_FWD &&
		    id != TW_STATS_D_PDV_FWD)
			continue;
		jw_dist(&w, r, id, rel);
	}
	jw_close(&w, '}');

	jw_open(&w, "hops", '{');
	jw_u64(&w, "initial_ttl", r->ttl_init);
	jw_hops(&w, "forward", &r->hops_fwd);
	if (rt)
		jw_hops(&w, "backward", &r->hops_back);
	jw_close(&w, '}');

	jw_open(&w, "dscp_ecn", '{');
	jw_int_opt(&w, "sent", r->tos_sent);
	jw_int_opt(&w, "reply", r->tos_reply);
	jw_tos(&w, "forward", &r->tos_fwd);
	if (rt)
		jw_tos(&w, "backward", &r->tos_back);
	jw_close(&w, '}');

	w.depth = 0;
	fputs("\n}\n", f);
	return stream_status(f);
}

static int fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (copy == NULL)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		rc = -errno;
	else if (fsync(fd) != 0 && errno != EINVAL)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

int tw_stats_write_atomic(const char *path, int (*fill)(FILE *f, void *arg),
			  void *arg)
{
	char *tmp;
	FILE *f;
	int fd, rc;

	if (path == NULL || *path == '\0' || fill == NULL)
		return -EINVAL;
	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	(void)fchmod(fd, 0644); /* mkstemp makes 0600; results are for reading */
	f = fdopen(fd, "w");
	if (f == NULL) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	rc = fill(f, arg);
	if (rc == 0 && fflush(f) != 0)
		rc = -errno;
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		goto fail;
	free(tmp);
	return fsync_dir(path);
fail:
	unlink(tmp);
	free(tmp);
	return rc;
}

struct json_arg {
	const struct tw_stats_result *r;
	const struct tw_stats_meta *m;
};

static int json_fill(FILE *f, void *arg)
{
	const struct json_arg *a = arg;

	return tw_stats_json_fprint(f, a->r, a->m);
}

int tw_stats_write_json(const char *path, const struct tw_stats_result *r,
			const struct tw_stats_meta *m)
{
	struct json_arg a = { r, m };

	if (r == NULL)
		return -EINVAL;
	return tw_stats_write_atomic(path, json_fill, &a);
}

/* ---- per-packet rows --------------------------------------------------- */

struct tw_stats_pp {
	FILE *f;
	bool own;
	unsigned format;
	int err;
};

static const char *const pp_names[] = {
	[TW_STATS_PP_OK] = "ok",
	[TW_STATS_PP_DUP] = "dup",
	[TW_STATS_PP_LATE] = "late",
	[TW_STATS_PP_LOST] = "lost",
	[TW_STATS_PP_UNEXPECTED] = "unexpected",
};

const char *tw_stats_pp_status_name(enum tw_stats_pp_status st)
{
	if ((unsigned)st > TW_STATS_PP_UNEXPECTED)
		return NULL;
	return pp_names[st];
}

#define PP_CSV_HEADER                                                           \
	"seq,refl_seq,status,t1_ns,t2_ns,t3_ns,t4_ns,rtt_ns,rtt_raw_ns,proc_ns,"  \
	"fwd_ns,back_ns,ttl_fwd,ttl_back,tos_fwd,tos_back,e1,e2,e4\n"

struct tw_stats_pp *tw_stats_pp_fopen(FILE *f, unsigned format)
{
	struct tw_stats_pp *pp;

	if (f == NULL || (format != TW_STATS_PP_CSV && format != TW_STATS_PP_JSONL)) {
		errno = EINVAL;
		return NULL;
	}
	pp = calloc(1, sizeof(*pp));
	if (pp == NULL)
		return NULL;
	pp->f = f;
	pp->format = format;
	if (format == TW_STATS_PP_CSV && fputs(PP_CSV_HEADER, f) < 0)
		pp->err = -EIO;
	return pp;
}

struct tw_stats_pp *tw_stats_pp_open(const char *path, unsigned format)
{
	struct tw_stats_pp *pp;
	FILE *f;

	if (path == NULL || (format != TW_STATS_PP_CSV && format != TW_STATS_PP_JSONL)) {
		errno = EINVAL;
		return NULL;
	}
	f = fopen(path, "we");
	if (f == NULL)
		return NULL;
	pp = tw_stats_pp_fopen(f, format);
	if (pp == NULL) {
		int e = errno;
		fclose(f);
		errno = e;
		return NULL;
	}
	pp->own = true;
	return pp;
}

/* One field: a number, or empty (CSV) / null (JSON) when @p have is false. */
static void pp_num(struct tw_stats_pp *pp, const char *key, bool have, int64_t v, bool last)
{
	if (pp->format == TW_STATS_PP_JSONL) {
		if (have)
			fprintf(pp->f, "\"%s\":%" PRId64 "%s", key, v, last ? "}\n" : ",");
		else
			fprintf(pp->f, "\"%s\":null%s", key, last ? "}\n" : ",");
	} else {
		if (have)
			fprintf(pp->f, "%" PRId64, v);
		fputs(last ? "\n" : ",", pp->f);
	}
}

int tw_stats_pp_write(struct tw_stats_pp *pp, const struct tw_stats_rec *r,
		      enum tw_stats_pp_status st)
{
	if (pp == NULL || r == NULL || tw_stats_pp_status_name(st) == NULL)
		return -EINVAL;
	bool ow = r->flags & TW_STATS_REC_ONEWAY;
	bool got = st != TW_STATS_PP_LOST;
	bool rt = got && !ow;
	bool t1k = r->t1 != 0;
	int64_t raw = 0, proc = 0;

	if (rt) {
		raw = tw_ntp_diff_ns(r->t4, r->t1);
		proc = tw_ntp_diff_ns(r->t3, r->t2);
	}
	if (pp->format == TW_STATS_PP_JSONL)
		fprintf(pp->f, "{\"seq\":%" PRIu32 ",", r->seq);
	else
		fprintf(pp->f, "%" PRIu32 ",", r->seq);
	pp_num(pp, "refl_seq", rt, r->refl_seq, false);
	if (pp->format == TW_STATS_PP_JSONL)
		fprintf(pp->f, "\"status\":\"%s\",", pp_names[st]);
	else
		fprintf(pp->f, "%s,", pp_names[st]);
	pp_num(pp, "t1_ns", t1k, t1k ? unix_ns(r->t1) : 0, false);
	pp_num(pp, "t2_ns", got, got ? unix_ns(r->t2) : 0, false);
	pp_num(pp, "t3_ns", rt, rt ? unix_ns(r->t3) : 0, false);
	pp_num(pp, "t4_ns", rt, rt ? unix_ns(r->t4) : 0, false);
	pp_num(pp, "rtt_ns", rt, raw - proc, false);
	pp_num(pp, "rtt_raw_ns", rt, raw, false);
	pp_num(pp, "proc_ns", rt, proc, false);
	pp_num(pp, "fwd_ns", got, got ? tw_ntp_diff_ns(r->t2, r->t1) : 0, false);
	pp_num(pp, "back_ns", rt, rt ? tw_ntp_diff_ns(r->t4, r->t3) : 0, false);
	pp_num(pp, "ttl_fwd", got && r->ttl_fwd, r->ttl_fwd, false);
	pp_num(pp, "ttl_back", rt && r->ttl_back, r->ttl_back, false);
	pp_num(pp, "tos_fwd", got && (r->flags & TW_STATS_REC_TOS_FWD), r->tos_fwd, false);
	pp_num(pp, "tos_back", rt, r->tos_back, false);
	pp_num(pp, "e1", got, r->e1, false);
	pp_num(pp, "e2", got, r->e2, false);
	pp_num(pp, "e4", rt, r->e4, true);
	if (ferror(pp->f) && pp->err == 0)
		pp->err = -EIO;
	return pp->err;
}

int tw_stats_pp_close(struct tw_stats_pp *pp)
{
	int rc;

	if (pp == NULL)
		return -EINVAL;
	rc = pp->err;
	if (fflush(pp->f) != 0 && rc == 0)
		rc = -errno;
	if (pp->own) {
		if (fsync(fileno(pp->f)) != 0 && rc == 0 && errno != EINVAL)
			rc = -errno;
		if (fclose(pp->f) != 0 && rc == 0)
			rc = -errno;
	}
	free(pp);
	return rc;
}
