/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-packet records -> IPPM metrics.
 *
 * Bookkeeping, all bounded and allocated at create time or when the
 * sequence window doubles (never per record):
 *  - a window of one state octet per sequence number (the fate of each
 *    packet: in flight, received, lost, late) plus the largest send time
 *    of each block of 64 numbers (expiry without 8 octets per packet);
 *  - a ring of the last delays by sequence number for IPDV pairs;
 *  - a ring of the arrivals that raised NextExp, for the reordering
 *    extent, and the last TW_STATS_NREORD_MAX arrivals for n-reordering;
 *  - a bitmap of reflector sequence numbers seen (per-direction loss and
 *    duplicates);
 *  - per distribution: exact min/max/sum and a log-linear histogram.
 * See docs/results.md for the bounds and what happens beyond them.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats_priv.h"
#include "tw_stats.h"

/* Slot states (low 2 bits) and flags. */
enum { ST_NONE = 0, ST_FLIGHT = 1, ST_RECV = 2, ST_LOST = 3 };
#define ST_MASK 0x03u
#define ST_LATE 0x04u /* lost, then came back after all */

#define WIN_MIN 4096u
#define BLK_SHIFT 6u /* 64 sequence numbers per send-time block */
#define RSEEN_BITS (1u << 20)
#define PDV_BUF 16u

struct ipdv_slot {
	uint64_t tag;  /* ext seq + 1; 0 empty */
	int64_t d[3];  /* rtt, fwd, back */
};

struct reord_rec {
	uint64_t ext;  /* sequence number that raised NextExp */
	uint64_t idx;  /* its arrival position (1-based) */
	tw_ntp_t t;    /* its arrival time */
};

/* PDV (RFC 5481 §4.2) of one delay: histogram of (D - ref), ref the
 * minimum of the first PDV_BUF delays, which keeps the histogram's error
 * relative to the variation rather than to the whole delay. */
struct pdv_acc {
	unsigned nbuf;
	int64_t buf[PDV_BUF];
	int64_t ref;
	struct stats_hist h;
};

struct tw_stats {
	struct tw_stats_conf c;
	bool finished;
	bool started;
	bool oneway;

	/* sequence window [base, head) */
	uint8_t *st;
	tw_ntp_t *blk;      /* max t1 per block */
	tw_ntp_t *t1;       /* per packet, only with per-packet output */
	uint64_t wsize;     /* power of 2 */
	uint64_t max_window;
	uint64_t base;
	uint64_t head;      /* highest sent + 1 */
	uint64_t oldest;    /* no packet below is in flight */
	tw_ntp_t first_t1, last_t1;

	uint64_t sent, received, lost, late, lost_window, dup, dup_fwd,
		dup_back, unexpected;

	/* delays */
	struct stats_acc acc[TW_STATS_D_N];
	struct pdv_acc pdv[3];
	uint64_t ipdv_skipped;
	uint64_t hist_clamped;
	struct ipdv_slot *ipdv;
	uint64_t ipdv_mask;

	/* reordering (RFC 4737) */
	uint64_t arr_idx;   /* received first copies so far */
	uint64_t next_exp;  /* NextExp as extended seq; 0 = none yet */
	struct reord_rec *rr;
	uint64_t rr_size;   /* power of 2, = the IPDV ring's */
	uint64_t rr_n;      /* records pushed in total */
	uint64_t last_arr[TW_STATS_NREORD_MAX];
	uint64_t reordered, extent_sum, extent_max, extent_n, extent_unknown;
	int64_t late_time_max;
	uint64_t nreord[TW_STATS_NREORD_MAX];

	/* reflector sequence numbers */
	bool any_rseq;      /* some reply seen */
	bool rseq_diff;     /* some refl_seq != seq */
	uint64_t rmax;      /* highest reflector seq seen, extended */
	uint64_t rmin;      /* lowest */
	uint64_t rdistinct;
	uint64_t *rseen;    /* RSEEN_BITS bits, indexed by ext r */
	uint64_t smax;      /* highest sender seq with a reply, +1; 0 none */
	uint64_t lost_after;/* lost, not late, above smax (window part) */
	uint64_t lost_after_ret; /* same, already retired from the window */

	/* clocks, hops, DSCP/ECN */
	uint64_t sync_fwd, sync_back;
	double err_rtt, err_fwd, err_back;
	uint16_t ecache_raw[3];
	double ecache_ns[3];
	struct tw_stats_hops hops_fwd, hops_back;
	struct tw_stats_tos tos_fwd, tos_back;
};

/* ---------------------------------------------------------------------- */

static const char *const dist_names[TW_STATS_D_N] = {
	[TW_STATS_D_RTT] = "rtt",
	[TW_STATS_D_RTT_RAW] = "rtt_raw",
	[TW_STATS_D_PROC] = "reflector_processing",
	[TW_STATS_D_FWD] = "forward",
	[TW_STATS_D_BACK] = "backward",
	[TW_STATS_D_IPDV_RTT] = "ipdv_rtt",
	[TW_STATS_D_IPDV_FWD] = "ipdv_forward",
	[TW_STATS_D_IPDV_BACK] = "ipdv_backward",
	[TW_STATS_D_PDV_RTT] = "pdv_rtt",
	[TW_STATS_D_PDV_FWD] = "pdv_forward",
	[TW_STATS_D_PDV_BACK] = "pdv_backward",
};

const char *tw_stats_dist_name(enum tw_stats_dist_id id)
{
	if ((unsigned)id >= TW_STATS_D_N)
		return NULL;
	return dist_names[id];
}

void tw_stats_conf_init(struct tw_stats_conf *c)
{
	if (c == NULL)
		return;
	memset(c, 0, sizeof(*c));
	c->kind = TW_STATS_ROUNDTRIP;
	c->clock = TW_STATS_CLOCK_AUTO;
	c->rseq = TW_STATS_RSEQ_AUTO;
	c->timeout_ns = TW_STATS_TIMEOUT_DEFAULT_NS;
	c->n_pct = 2;
	c->pct[0] = 90.0;
	c->pct[1] = 99.0;
	c->max_window = TW_STATS_MAX_WINDOW_DEFAULT;
	c->ipdv_window = TW_STATS_IPDV_WINDOW_DEFAULT;
	c->ttl_init = TW_STATS_TTL_INIT_DEFAULT;
	c->tos_sent = -1;
	c->tos_reply = -1;
}

static uint64_t pow2_ceil(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* ---- histograms and moments ------------------------------------------ */

static int hist_alloc(struct stats_hist *h)
{
	/* calloc of this size is mmap-backed: untouched buckets cost no RSS */
	h->pos = calloc(HIST_NB, sizeof(uint64_t));
	h->neg = calloc(HIST_NB, sizeof(uint64_t));
	return (h->pos && h->neg) ? 0 : -ENOMEM;
}

static void hist_free(struct stats_hist *h)
{
	free(h->pos);
	free(h->neg);
}

static inline void hist_add(struct tw_stats *s, struct stats_hist *h, int64_t v)
{
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	if (m >= TW_STATS_HIST_MAX_NS) {
		m = TW_STATS_HIST_MAX_NS - 1;
		s->hist_clamped++;
	}
	if (v < 0)
		h->neg[stats_hist_index(m)]++;
	else
		h->pos[stats_hist_index(m)]++;
}

static inline void acc_add(struct tw_stats *s, struct stats_acc *a, int64_t v)
{
	if (a->n == 0) {
		a->min = a->max = a->shift = v;
	} else {
		if (v < a->min)
			a->min = v;
		if (v > a->max)
			a->max = v;
	}
	a->n++;
	a->sum += v;
	double d = (double)(v - a->shift);
	a->sd += d;
	a->sd2 += d * d;
	hist_add(s, &a->h, v);
}

/* One bucket of the rank walk: add its count and hand its middle to every
 * rank it covers. */
static inline void rank_bucket(uint64_t c, uint32_t idx, int sign, uint64_t *cum,
			       const uint64_t *ranks, unsigned nr, unsigned *k,
			       int64_t *out)
{
	uint64_t lo, w;

	if (c == 0)
		return;
	*cum += c;
	stats_hist_bucket(idx, &lo, &w);
	int64_t mid = sign * (int64_t)(lo + (w - 1) / 2);
	while (*k < nr && ranks[*k] <= *cum)
		out[(*k)++] = mid;
}

/*
 * Nearest-rank percentiles (rank = ceil(p/100 * n), 1-based) from a
 * histogram: each is the middle of the bucket holding that rank, clamped to
 * the exact [min, max]. @p ranks ascending, @p out in the same order.
 */
static void hist_ranks(const struct stats_hist *h, int64_t off, int64_t min,
		       int64_t max, const uint64_t *ranks, unsigned nr,
		       int64_t *out)
{
	uint64_t cum = 0;
	unsigned k = 0;

	for (uint32_t i = HIST_NB; i-- > 1 && k < nr;) /* most negative first */
		rank_bucket(h->neg[i], i, -1, &cum, ranks, nr, &k, out);
	for (uint32_t i = 0; i < HIST_NB && k < nr; i++)
		rank_bucket(h->pos[i], i, 1, &cum, ranks, nr, &k, out);
	while (k < nr) /* cannot happen with consistent counts */
		out[k++] = max - off;
	for (k = 0; k < nr; k++) {
		out[k] += off;
		if (out[k] < min)
			out[k] = min;
		if (out[k] > max)
			out[k] = max;
	}
}

static uint64_t pct_rank(double p, uint64_t n)
{
	double r = ceil((p * (double)n) / 100.0);
	if (r < 1.0)
		return 1;
	if (r > (double)n)
		return n;
	return (uint64_t)r;
}

/* Fill @p d from an accumulator; @p pct sorted or not, any order. */
static void dist_fill(struct tw_stats_dist *d, const struct stats_acc *a,
		      const struct stats_hist *h, int64_t off, const double *pct,
		      unsigned n_pct)
{
	uint64_t ranks[TW_STATS_MAX_PCT + 1];
	unsigned order[TW_STATS_MAX_PCT + 1];
	int64_t vals[TW_STATS_MAX_PCT + 1];
	unsigned nr = n_pct + 1;

	memset(d, 0, sizeof(*d));
	if (a->n == 0)
		return;
	d->n = a->n;
	d->min_ns = a->min;
	d->max_ns = a->max;
	d->mean_ns = (double)a->sum / (double)a->n;
	double m = a->sd / (double)a->n;
	double var = a->sd2 / (double)a->n - m * m;
	d->stddev_ns = var > 0 ? sqrt(var) : 0.0;

	ranks[0] = (a->n + 1) / 2; /* median, nearest rank */
	order[0] = 0;
	for (unsigned i = 0; i < n_pct; i++) {
		ranks[i + 1] = pct_rank(pct[i], a->n);
		order[i + 1] = i + 1;
	}
	/* insertion sort of at most 9 ranks, keeping where each came from */
	for (unsigned i = 1; i < nr; i++) {
		for (unsigned j = i; j > 0 && ranks[j - 1] > ranks[j]; j--) {
			uint64_t t = ranks[j];
			ranks[j] = ranks[j - 1];
			ranks[j - 1] = t;
			unsigned o = order[j];
			order[j] = order[j - 1];
			order[j - 1] = o;
		}
	}
	hist_ranks(h, off, a->min, a->max, ranks, nr, vals);
	for (unsigned i = 0; i < nr; i++) {
		int64_t v = vals[i];
		/* the extremes are exact */
		if (ranks[i] == 1)
			v = a->min;
		if (ranks[i] == a->n)
			v = a->max;
		if (order[i] == 0)
			d->median_ns = v;
		else
			d->pct_ns[order[i] - 1] = v;
	}
}

/* ---- create / destroy ------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void tw_stats_destroy(struct tw_stats *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < TW_STATS_D_N; i++)
		hist_free(&s->acc[i].h);
	for (unsigned i = 0; i < 3; i++)
		hist_free(&s->pdv[i].h);
	free(s->st);
	free(s->blk);
	free(s->t1);
	free(s->ipdv);
	free(s->rr);
	free(s->rseen);
	free(s);
}

static bool dist_used(const struct tw_stats *s, unsigned id)
{
	if (!s->oneway)
		return id < TW_STATS_D_PDV_RTT;
	return id == TW_STATS_D_FWD || id == TW_STATS_D_IPDV_FWD;
}

struct tw_stats *tw_stats_create(const struct tw_stats_conf *c)
{
	struct tw_stats *s;

	if (c == NULL || (c->kind != TW_STATS_ROUNDTRIP && c->kind != TW_STATS_ONEWAY) ||
	    (unsigned)c->clock > TW_STATS_CLOCK_UNSYNCED ||
	    (unsigned)c->rseq > TW_STATS_RSEQ_COPY || c->n_pct > TW_STATS_MAX_PCT ||
	    (c->tos_sent < -1 || c->tos_sent > 255) ||
	    (c->tos_reply < -1 || c->tos_reply > 255) ||
	    c->max_window > (1u << 31) || c->ipdv_window > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	for (unsigned i = 0; i < c->n_pct; i++) {
		if (!(c->pct[i] > 0.0 && c->pct[i] <= 100.0)) { /* NaN too */
			errno = EINVAL;
			return NULL;
		}
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->c = *c;
	if (s->c.timeout_ns == 0)
		s->c.timeout_ns = TW_STATS_TIMEOUT_DEFAULT_NS;
	if (s->c.n_pct == 0) {
		s->c.n_pct = 2;
		s->c.pct[0] = 90.0;
		s->c.pct[1] = 99.0;
	}
	qsort(s->c.pct, s->c.n_pct, sizeof(double), cmp_double);
	if (s->c.ttl_init == 0)
		s->c.ttl_init = TW_STATS_TTL_INIT_DEFAULT;
	s->oneway = c->kind == TW_STATS_ONEWAY;
	s->max_window = pow2_ceil(c->max_window ? c->max_window : TW_STATS_MAX_WINDOW_DEFAULT);
	if (s->max_window < WIN_MIN)
		s->max_window = WIN_MIN;
	s->wsize = WIN_MIN;
	s->ipdv_mask = pow2_ceil(c->ipdv_window ? c->ipdv_window : TW_STATS_IPDV_WINDOW_DEFAULT) - 1;
	if (s->ipdv_mask < 1)
		s->ipdv_mask = 1;
	s->hops_fwd.min = s->hops_back.min = 255;

	s->st = calloc(s->wsize, 1);
	s->blk = calloc(s->wsize >> BLK_SHIFT, sizeof(tw_ntp_t));
	if (c->pp)
		s->t1 = calloc(s->wsize, sizeof(tw_ntp_t));
	s->ipdv = calloc(s->ipdv_mask + 1, sizeof(*s->ipdv));
	s->rr_size = s->ipdv_mask + 1;
	s->rr = calloc(s->rr_size, sizeof(*s->rr));
	s->rseen = calloc(RSEEN_BITS / 64, sizeof(uint64_t));
	if (!s->st || !s->blk || (c->pp && !s->t1) || !s->ipdv || !s->rr || !s->rseen)
		goto nomem;
	for (unsigned i = 0; i < TW_STATS_D_PDV_RTT; i++)
		if (dist_used(s, i) && hist_alloc(&s->acc[i].h) < 0)
			goto nomem;
	for (unsigned i = 0; i < 3; i++)
		if ((!s->oneway || i == 1) && hist_alloc(&s->pdv[i].h) < 0)
			goto nomem;
	return s;
nomem:
	tw_stats_destroy(s);
	errno = ENOMEM;
	return NULL;
}

/* ---- the sequence window ---------------------------------------------- */

static inline uint8_t *slot(struct tw_stats *s, uint64_t ext)
{
	return &s->st[ext & (s->wsize - 1)];
}

static inline tw_ntp_t *blk(struct tw_stats *s, uint64_t ext)
{
	return &s->blk[(ext >> BLK_SHIFT) & ((s->wsize >> BLK_SHIFT) - 1)];
}

static void pp_lost(struct tw_stats *s, uint64_t ext)
{
	struct tw_stats_rec r;

	if (s->c.pp == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.seq = (uint32_t)ext;
	r.t1 = s->t1[ext & (s->wsize - 1)];
	if (s->oneway)
		r.flags = TW_STATS_REC_ONEWAY;
	(void)tw_stats_pp_write(s->c.pp, &r, TW_STATS_PP_LOST);
}

/* Packet @p ext (in flight) is lost: the timeout passed or the window is full. */
static void declare_lost(struct tw_stats *s, uint64_t ext)
{
	*slot(s, ext) = ST_LOST;
	s->lost++;
	if (s->smax == 0 || ext >= s->smax)
		s->lost_after++;
	pp_lost(s, ext);
}

static int grow(struct tw_stats *s)
{
	uint64_t nsize = s->wsize * 2;
	uint8_t *nst = calloc(nsize, 1);
	tw_ntp_t *nblk = calloc(nsize >> BLK_SHIFT, sizeof(tw_ntp_t));
	tw_ntp_t *nt1 = s->t1 ? calloc(nsize, sizeof(tw_ntp_t)) : NULL;

	if (!nst || !nblk || (s->t1 && !nt1)) {
		free(nst);
		free(nblk);
		free(nt1);
		return -ENOMEM;
	}
	for (uint64_t e = s->base; e < s->head; e++) {
		nst[e & (nsize - 1)] = s->st[e & (s->wsize - 1)];
		if (nt1)
			nt1[e & (nsize - 1)] = s->t1[e & (s->wsize - 1)];
	}
	for (uint64_t b = s->base >> BLK_SHIFT; b <= (s->head - 1) >> BLK_SHIFT; b++)
		nblk[b & ((nsize >> BLK_SHIFT) - 1)] =
			s->blk[b & ((s->wsize >> BLK_SHIFT) - 1)];
	free(s->st);
	free(s->blk);
	free(s->t1);
	s->st = nst;
	s->blk = nblk;
	s->t1 = nt1;
	s->wsize = nsize;
	return 0;
}

/* Drop the oldest slot from the window, deciding it first if need be. */
static void retire(struct tw_stats *s)
{
	uint64_t e = s->base;
	uint8_t *p = slot(s, e);

	if ((*p & ST_MASK) == ST_FLIGHT) {
		declare_lost(s, e);
		s->lost_window++;
	}
	if ((*p & ST_MASK) == ST_LOST && !(*p & ST_LATE) && (s->smax == 0 || e >= s->smax)) {
		s->lost_after--;
		s->lost_after_ret++;
	}
	*p = ST_NONE;
	if ((e & ((1u << BLK_SHIFT) - 1)) == (1u << BLK_SHIFT) - 1)
		*blk(s, e) = 0;
	s->base++;
	if (s->oldest < s->base)
		s->oldest = s->base;
}

/* RFC 7680 §2.4 / RFC 6673 §4.3: a packet sent and not received is lost.
 * Here it is registered as in flight until it comes back or times out. */
int tw_stats_sent(struct tw_stats *s, uint32_t seq, tw_ntp_t t1)
{
	uint64_t ext;

	if (s == NULL || s->finished)
		return -EINVAL;
	if (!s->started) {
		ext = seq;
		s->base = s->head = s->oldest = ext;
		s->first_t1 = t1;
	} else {
		uint32_t d = seq - (uint32_t)s->head;
		if (d >= s->max_window) /* behind (a repeat) or an absurd jump */
			return -EINVAL;
		ext = s->head + d;
	}
	s->started = true;
	/* a block's send-time cell is shared with the block wsize later: keep
	 * the window from the start of base's block */
	while (ext - (s->base & ~(uint64_t)((1u << BLK_SHIFT) - 1)) >= s->wsize) {
		if ((*slot(s, s->base) & ST_MASK) == ST_FLIGHT && s->wsize < s->max_window &&
		    grow(s) == 0)
			continue;
		retire(s);
	}
	/* numbers skipped in between stay ST_NONE (never sent) */
	*slot(s, ext) = ST_FLIGHT;
	if (s->t1)
		s->t1[ext & (s->wsize - 1)] = t1;
	tw_ntp_t *b = blk(s, ext);
	if (*b < t1)
		*b = t1;
	s->head = ext + 1;
	s->last_t1 = t1;
	s->sent++;
	return 0;
}

/* Expire packets in flight whose block's latest send time is more than the
 * timeout before @p now (a block's maximum is never before the packet's own
 * t1, so nothing is declared lost early). */
int tw_stats_advance(struct tw_stats *s, tw_ntp_t now)
{
	if (s == NULL)
		return -EINVAL;
	while (s->oldest < s->head) {
		uint8_t st = *slot(s, s->oldest) & ST_MASK;
		if (st == ST_FLIGHT) {
			int64_t age = tw_ntp_diff_ns(now, *blk(s, s->oldest));
			if (age <= 0 || (uint64_t)age <= s->c.timeout_ns)
				break;
			declare_lost(s, s->oldest);
		}
		s->oldest++;
	}
	return 0;
}

int tw_stats_finish(struct tw_stats *s)
{
	if (s == NULL)
		return -EINVAL;
	for (; s->oldest < s->head; s->oldest++)
		if ((*slot(s, s->oldest) & ST_MASK) == ST_FLIGHT)
			declare_lost(s, s->oldest);
	s->finished = true;
	return 0;
}

/* ---- per-record metrics ---------------------------------------------- */

/* Error Estimate in ns (RFC 4656 §4.1.2: Multiplier * 2^(Scale-32) s);
 * negative when invalid (Multiplier 0). One-entry cache per field. */
static double errest_ns(struct tw_stats *s, unsigned which, uint16_t raw)
{
	if (raw == s->ecache_raw[which] && raw != 0)
		return s->ecache_ns[which];
	uint8_t mult = (uint8_t)raw;
	unsigned scale = (raw >> 8) & 0x3fu;
	double v = mult == 0 ? -1.0 : ldexp((double)mult, (int)scale - 32) * 1e9;
	s->ecache_raw[which] = raw;
	s->ecache_ns[which] = v;
	return v;
}

static void err_max(double *acc, double a, double b)
{
	if (a >= 0 && b >= 0 && a + b > *acc)
		*acc = a + b;
}

/* Mark reflector sequence number @p r seen; true when it was new. */
static bool rseq_mark(struct tw_stats *s, uint32_t r)
{
	uint64_t ext;

	if (!s->any_rseq) {
		ext = r;
		s->rmax = s->rmin = ext;
		s->any_rseq = true;
	} else {
		int32_t d = (int32_t)(r - (uint32_t)s->rmax);
		if (d < 0 && (uint64_t)(-(int64_t)d) > s->rmax) {
			s->rdistinct++; /* below zero: cannot be remembered */
			return true;
		}
		ext = s->rmax + (uint64_t)(int64_t)d;
		if (ext < s->rmin)
			s->rmin = ext;
	}
	if (ext > s->rmax) {
		/* clear the bits that the ring reuses for the new numbers */
		uint64_t from = s->rmax + 1;
		if (ext - from >= RSEEN_BITS)
			memset(s->rseen, 0, RSEEN_BITS / 8);
		else
			for (uint64_t e = from; e <= ext; e++)
				s->rseen[(e % RSEEN_BITS) / 64] &= ~(1ull << (e % 64));
		s->rmax = ext;
	} else if (s->rmax - ext >= RSEEN_BITS) {
		s->rdistinct++; /* too old to remember: assume new */
		return true;
	}
	uint64_t *w = &s->rseen[(ext % RSEEN_BITS) / 64];
	uint64_t bit = 1ull << (ext % 64);
	if (*w & bit)
		return false;
	*w |= bit;
	s->rdistinct++;
	return true;
}

/* A reply (round trip) proved that the reflector handled @p ext. */
static void smax_raise(struct tw_stats *s, uint64_t ext)
{
	uint64_t from = s->smax; /* first number not yet below smax */

	if (s->smax != 0 && ext < s->smax)
		return;
	if (s->smax == 0 || from < s->base) {
		s->lost_after_ret = 0; /* everything retired is below ext */
		from = s->base;
	}
	for (uint64_t e = from; e <= ext; e++) {
		uint8_t st = *slot(s, e);
		if ((st & ST_MASK) == ST_LOST && !(st & ST_LATE))
			s->lost_after--;
	}
	s->smax = ext + 1;
}

static void reply_seen(struct tw_stats *s, const struct tw_stats_rec *r,
		       uint64_t ext, bool *rnew)
{
	if (s->oneway)
		return;
	if (r->refl_seq != r->seq)
		s->rseq_diff = true;
	bool n = rseq_mark(s, r->refl_seq);
	if (rnew)
		*rnew = n;
	smax_raise(s, ext);
}

static void tos_count(struct tw_stats_tos *t, uint8_t tos, int sent)
{
	t->n++;
	t->last = tos;
	if ((tos & 3u) == 3u)
		t->ecn_ce++;
	if (sent < 0)
		return;
	if ((tos >> 2) != ((unsigned)sent >> 2))
		t->dscp_changed++;
	if ((tos & 3u) != ((unsigned)sent & 3u))
		t->ecn_changed++;
}

static void hops_count(struct tw_stats_hops *h, uint8_t ttl, uint8_t init)
{
	if (ttl == 0)
		return;
	uint8_t hops = ttl > init ? 0 : (uint8_t)(init - ttl);
	h->n++;
	if (hops < h->min)
		h->min = hops;
	if (hops > h->max)
		h->max = hops;
}

static void pdv_add(struct tw_stats *s, struct pdv_acc *p, int64_t d)
{
	if (p->nbuf < PDV_BUF) {
		p->buf[p->nbuf++] = d;
		if (p->nbuf == PDV_BUF) {
			p->ref = p->buf[0];
			for (unsigned i = 1; i < PDV_BUF; i++)
				if (p->buf[i] < p->ref)
					p->ref = p->buf[i];
			for (unsigned i = 0; i < PDV_BUF; i++)
				hist_add(s, &p->h, p->buf[i] - p->ref);
		}
		return;
	}
	hist_add(s, &p->h, d - p->ref);
}

/* RFC 5481 §4.1: IPDV of consecutive sequence numbers both received. */
static void ipdv_pair(struct tw_stats *s, const int64_t *early, const int64_t *late)
{
	if (!s->oneway) {
		acc_add(s, &s->acc[TW_STATS_D_IPDV_RTT], late[0] - early[0]);
		acc_add(s, &s->acc[TW_STATS_D_IPDV_FWD], late[1] - early[1]);
		acc_add(s, &s->acc[TW_STATS_D_IPDV_BACK], late[2] - early[2]);
	} else {
		acc_add(s, &s->acc[TW_STATS_D_IPDV_FWD], late[1] - early[1]);
	}
}

static bool in_window_recv(struct tw_stats *s, uint64_t e)
{
	return e >= s->base && e < s->head && (*slot(s, e) & ST_MASK) == ST_RECV;
}

static void ipdv_update(struct tw_stats *s, uint64_t ext, const int64_t *d)
{
	struct ipdv_slot *me = &s->ipdv[ext & s->ipdv_mask];
	struct ipdv_slot *prev = &s->ipdv[(ext - 1) & s->ipdv_mask];
	struct ipdv_slot *next = &s->ipdv[(ext + 1) & s->ipdv_mask];

	if (ext > 0 && prev->tag == ext)
		ipdv_pair(s, prev->d, d);
	else if (ext > 0 && in_window_recv(s, ext - 1))
		s->ipdv_skipped++;
	if (next->tag == ext + 2)
		ipdv_pair(s, d, next->d);
	else if (in_window_recv(s, ext + 1))
		s->ipdv_skipped++;
	me->tag = ext + 1;
	memcpy(me->d, d, sizeof(me->d));
}

/* RFC 4737 §3 (Type-P-Reordered), §4.2 (extent), §4.3 (late-time offset)
 * and §5 (n-reordering), over received first copies in arrival order. */
static void reorder_update(struct tw_stats *s, uint64_t ext, tw_ntp_t t)
{
	uint64_t i = ++s->arr_idx;

	if (s->next_exp == 0 || ext >= s->next_exp) {
		s->next_exp = ext + 1;
		struct reord_rec *r = &s->rr[s->rr_n % s->rr_size];
		r->ext = ext;
		r->idx = i;
		r->t = t;
		s->rr_n++;
	} else {
		s->reordered++;
		/* extent: i - j, j the first arrival with a larger number; it
		 * raised NextExp, so it is in the ring of such arrivals unless
		 * it is too old (§4.2.2) */
		uint64_t lo = s->rr_n > s->rr_size ? s->rr_n - s->rr_size : 0, hi = s->rr_n;
		if (s->rr[lo % s->rr_size].ext > ext && lo > 0) {
			s->extent_unknown++;
		} else {
			while (lo < hi) { /* first record with ext > ours */
				uint64_t mid = lo + (hi - lo) / 2;
				if (s->rr[mid % s->rr_size].ext > ext)
					hi = mid;
				else
					lo = mid + 1;
			}
			const struct reord_rec *r = &s->rr[lo % s->rr_size];
			uint64_t e = i - r->idx;
			s->extent_sum += e;
			s->extent_n++;
			if (e > s->extent_max)
				s->extent_max = e;
			int64_t lt = tw_ntp_diff_ns(t, r->t);
			if (lt > s->late_time_max)
				s->late_time_max = lt;
		}
		/* n-reordering: the n arrivals just before all had larger numbers */
		unsigned n = 0;
		while (n < TW_STATS_NREORD_MAX && n + 1 < i &&
		       s->last_arr[(i - 2 - n) % TW_STATS_NREORD_MAX] > ext)
			n++;
		if (n > 0)
			s->nreord[n - 1]++;
	}
	s->last_arr[(i - 1) % TW_STATS_NREORD_MAX] = ext;
}

/* RFC 4656 §3.8: an OWAMP Data Record <-> a one-way tw_stats_rec */
void tw_stats_rec_from_owamp(const struct tw_owamp_record *o,
			     struct tw_stats_rec *out)
{
	memset(out, 0, sizeof(*out));
	out->seq = o->seq;
	out->t1 = o->send_ts;
	out->t2 = o->recv_ts;
	out->e1 = o->send_errest;
	out->e2 = o->recv_errest;
	out->ttl_fwd = o->ttl;
	out->flags = TW_STATS_REC_ONEWAY;
}

void tw_stats_rec_to_owamp(const struct tw_stats_rec *r,
			   struct tw_owamp_record *out)
{
	memset(out, 0, sizeof(*out));
	out->seq = r->seq;
	out->send_errest = r->e1;
	out->recv_errest = r->e2;
	out->send_ts = r->t1;
	out->recv_ts = r->t2;
	out->ttl = r->ttl_fwd;
}

int tw_stats_recv(struct tw_stats *s, const struct tw_stats_rec *r)
{
	if (s == NULL || r == NULL ||
	    !!(r->flags & TW_STATS_REC_ONEWAY) != s->oneway)
		return -EINVAL;
	if (!s->started)
		goto unexpected;
	uint32_t back = (uint32_t)s->head - r->seq; /* 1 = the last one sent */
	if (back == 0 || back > s->head - s->base)
		goto unexpected;
	uint64_t ext = s->head - back;
	uint8_t *p = slot(s, ext);

	switch (*p & ST_MASK) {
	case ST_NONE:
		goto unexpected;
	case ST_RECV:
		goto duplicate;
	case ST_LOST:
		if (*p & ST_LATE)
			goto duplicate;
		/* RFC 7680 §2.4: later than Tmax is lost; it stays lost */
		*p |= ST_LATE;
		s->late++;
		if (s->smax == 0 || ext >= s->smax)
			s->lost_after--;
		reply_seen(s, r, ext, NULL);
		if (s->c.pp)
			(void)tw_stats_pp_write(s->c.pp, r, TW_STATS_PP_LATE);
		return 0;
	default:
		break;
	}

	/* in flight: its first copy */
	int64_t d[3] = { 0, 0, 0 }; /* rtt, fwd, back */
	int64_t raw = 0, proc = 0;
	bool fsync_rec = (r->e1 & TW_ERREST_S) && (r->e2 & TW_ERREST_S);
	bool bsync_rec = (r->e2 & TW_ERREST_S) && (r->e4 & TW_ERREST_S);
	d[1] = tw_ntp_diff_ns(r->t2, r->t1);
	bool late;
	if (!s->oneway) {
		raw = tw_ntp_diff_ns(r->t4, r->t1);
		proc = tw_ntp_diff_ns(r->t3, r->t2);
		d[0] = raw - proc;                    /* RFC 2681 §2.4, less reflector time */
		d[2] = tw_ntp_diff_ns(r->t4, r->t3);  /* RFC 7679 backward */
		late = raw > 0 && (uint64_t)raw > s->c.timeout_ns;
	} else {
		bool synced = s->c.clock == TW_STATS_CLOCK_SYNCED ||
			      (s->c.clock == TW_STATS_CLOCK_AUTO && fsync_rec);
		late = synced && d[1] > 0 && (uint64_t)d[1] > s->c.timeout_ns;
	}
	if (late) {
		*p = ST_LOST | ST_LATE;
		s->lost++;
		s->late++;
		reply_seen(s, r, ext, NULL);
		if (s->c.pp)
			(void)tw_stats_pp_write(s->c.pp, r, TW_STATS_PP_LATE);
		return 0;
	}

	*p = ST_RECV;
	s->received++;
	reply_seen(s, r, ext, NULL);
	double e1 = errest_ns(s, 0, r->e1), e2 = errest_ns(s, 1, r->e2);
	acc_add(s, &s->acc[TW_STATS_D_FWD], d[1]); /* RFC 7679 §3.4 */
	pdv_add(s, &s->pdv[1], d[1]);
	err_max(&s->err_fwd, e1, e2);
	if (fsync_rec)
		s->sync_fwd++;
	hops_count(&s->hops_fwd, r->ttl_fwd, s->c.ttl_init);
	if (r->flags & TW_STATS_REC_TOS_FWD)
		tos_count(&s->tos_fwd, r->tos_fwd, s->c.tos_sent);
	if (!s->oneway) {
		double e4 = errest_ns(s, 2, r->e4);
		acc_add(s, &s->acc[TW_STATS_D_RTT], d[0]);
		acc_add(s, &s->acc[TW_STATS_D_RTT_RAW], raw);
		acc_add(s, &s->acc[TW_STATS_D_PROC], proc);
		acc_add(s, &s->acc[TW_STATS_D_BACK], d[2]);
		pdv_add(s, &s->pdv[0], d[0]);
		pdv_add(s, &s->pdv[2], d[2]);
		err_max(&s->err_rtt, e1, e4);
		err_max(&s->err_back, e2, e4);
		if (bsync_rec)
			s->sync_back++;
		hops_count(&s->hops_back, r->ttl_back, s->c.ttl_init);
		tos_count(&s->tos_back, r->tos_back, s->c.tos_reply);
	}
	ipdv_update(s, ext, d);
	reorder_update(s, ext, s->oneway ? r->t2 : r->t4);
	if (s->c.pp)
		(void)tw_stats_pp_write(s->c.pp, r, TW_STATS_PP_OK);
	return 0;

duplicate:
	/* RFC 5560 §3: a further copy is a duplicate, never received twice */
	s->dup++;
	if (!s->oneway) {
		bool rnew = true;
		reply_seen(s, r, ext, &rnew);
		/* a new reflector number: it was reflected twice (forward
		 * duplicate); the same number again: the reply was duplicated */
		if (rnew)
			s->dup_fwd++;
		else
			s->dup_back++;
	} else {
		s->dup_fwd++;
	}
	if (s->c.pp)
		(void)tw_stats_pp_write(s->c.pp, r, TW_STATS_PP_DUP);
	return 0;

unexpected:
	s->unexpected++;
	if (s->c.pp)
		(void)tw_stats_pp_write(s->c.pp, r, TW_STATS_PP_UNEXPECTED);
	return -ENOENT;
}

/* ---- results ---------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* RFC 5481 §4.2: PDV = D - min(D) over the interval. */
static void pdv_fill(const struct tw_stats *s, struct tw_stats_dist *out,
		     const struct tw_stats_dist *dd, const struct stats_acc *a,
		     const struct pdv_acc *p)
{
	memset(out, 0, sizeof(*out));
	if (dd->n == 0)
		return;
	int64_t min = dd->min_ns;
	if (p->nbuf < PDV_BUF) {
		/* few values: exact, from the buffer */
		int64_t v[PDV_BUF];
		unsigned n = p->nbuf;
		memcpy(v, p->buf, n * sizeof(v[0]));
		qsort(v, n, sizeof(v[0]), cmp_i64);
		*out = *dd;
		out->median_ns = v[(n + 1) / 2 - 1];
		for (unsigned i = 0; i < s->c.n_pct; i++)
			out->pct_ns[i] = v[pct_rank(s->c.pct[i], n) - 1];
	} else {
		/* absolute delays from the (D - ref) histogram */
		dist_fill(out, a, &p->h, p->ref, s->c.pct, s->c.n_pct);
	}
	out->min_ns -= min;
	out->max_ns -= min;
	out->mean_ns -= (double)min;
	out->median_ns -= min;
	for (unsigned i = 0; i < s->c.n_pct; i++)
		out->pct_ns[i] -= min;
}

int tw_stats_result(const struct tw_stats *s, struct tw_stats_result *o)
{
	if (s == NULL || o == NULL)
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	o->kind = s->c.kind;
	o->finished = s->finished;
	o->timeout_ns = s->c.timeout_ns;
	o->sent = s->sent;
	o->received = s->received;
	o->lost = s->lost;
	o->in_flight = s->sent - s->received - s->lost;
	o->late = s->late;
	o->lost_window = s->lost_window;
	o->loss_ratio = (s->received + s->lost) ?
		(double)s->lost / (double)(s->received + s->lost) : 0.0;

	uint64_t lost_nl = s->lost - s->late;
	if (s->oneway) {
		o->dir_known = true;
		o->lost_fwd = lost_nl;
	} else {
		bool counter = s->c.rseq == TW_STATS_RSEQ_COUNTER ||
			       (s->c.rseq == TW_STATS_RSEQ_AUTO && (s->rseq_diff || lost_nl == 0));
		if (counter) {
			uint64_t after = s->lost_after + s->lost_after_ret;
			uint64_t below = lost_nl - after;
			/* the reflector numbers from 0 (RFC 5357 §4.2.1, RFC
			 * 8762 §4.3.1); one whose lowest number seen is above
			 * what was sent started elsewhere: count from there */
			uint64_t origin = s->rmin <= s->sent ? 0 : s->rmin;
			uint64_t replies = s->any_rseq ? s->rmax + 1 - origin : 0;
			uint64_t bl = replies > s->rdistinct ? replies - s->rdistinct : 0;
			if (bl > below)
				bl = below;
			o->dir_known = true;
			o->lost_back = bl;
			o->lost_fwd = below - bl;
			o->lost_unknown = after;
		}
	}
	o->dup = s->dup;
	o->dup_dir_known = s->oneway || s->c.rseq == TW_STATS_RSEQ_COUNTER ||
			   (s->c.rseq == TW_STATS_RSEQ_AUTO && (s->rseq_diff || s->dup == 0));
	if (o->dup_dir_known) {
		o->dup_fwd = s->dup_fwd;
		o->dup_back = s->dup_back;
	}
	o->unexpected = s->unexpected;

	o->reordered = s->reordered;
	o->reordered_ratio = s->received ? (double)s->reordered / (double)s->received : 0.0;
	o->extent_max = s->extent_max;
	o->extent_mean = s->extent_n ? (double)s->extent_sum / (double)s->extent_n : 0.0;
	o->extent_unknown = s->extent_unknown;
	o->late_time_max_ns = s->late_time_max;
	memcpy(o->nreord, s->nreord, sizeof(o->nreord));

	o->n_pct = s->c.n_pct;
	memcpy(o->pct, s->c.pct, sizeof(o->pct));
	for (unsigned i = 0; i < TW_STATS_D_PDV_RTT; i++)
		if (dist_used(s, i))
			dist_fill(&o->d[i], &s->acc[i], &s->acc[i].h, 0, s->c.pct, s->c.n_pct);
	if (!s->oneway) {
		pdv_fill(s, &o->d[TW_STATS_D_PDV_RTT], &o->d[TW_STATS_D_RTT],
			 &s->acc[TW_STATS_D_RTT], &s->pdv[0]);
		pdv_fill(s, &o->d[TW_STATS_D_PDV_BACK], &o->d[TW_STATS_D_BACK],
			 &s->acc[TW_STATS_D_BACK], &s->pdv[2]);
	}
	pdv_fill(s, &o->d[TW_STATS_D_PDV_FWD], &o->d[TW_STATS_D_FWD],
		 &s->acc[TW_STATS_D_FWD], &s->pdv[1]);
	o->ipdv_skipped = s->ipdv_skipped;
	o->hist_clamped = s->hist_clamped;

	switch (s->c.clock) {
	case TW_STATS_CLOCK_SYNCED:
		o->fwd_synced = true;
		o->back_synced = !s->oneway;
		break;
	case TW_STATS_CLOCK_UNSYNCED:
		break;
	default:
		o->fwd_synced = s->received > 0 && s->sync_fwd == s->received;
		o->back_synced = !s->oneway && s->received > 0 && s->sync_back == s->received;
		break;
	}
	o->err_rtt_ns = s->err_rtt;
	o->err_fwd_ns = s->err_fwd;
	o->err_back_ns = s->err_back;

	o->ttl_init = s->c.ttl_init;
	o->hops_fwd = s->hops_fwd;
	o->hops_back = s->hops_back;
	if (o->hops_fwd.n == 0)
		o->hops_fwd.min = 0;
	if (o->hops_back.n == 0)
		o->hops_back.min = 0;
	o->tos_sent = s->c.tos_sent;
	o->tos_reply = s->c.tos_reply;
	o->tos_fwd = s->tos_fwd;
	o->tos_back = s->tos_back;
	o->first_t1 = s->first_t1;
	o->last_t1 = s->last_t1;
	return 0;
}
