/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-packet test records and the IPPM metrics computed from them.
 *
 * A record is what one test packet left behind: its four timestamps (or
 * two, one way), Error Estimates, TTLs and DSCP/ECN. Session-Senders (the
 * DPDK sender, twamp-ping) and the OWAMP receiver produce them; lib/stats
 * turns them into RFC 2681 / 7679 / 5481 / 6673 / 5560 / 4737 metrics.
 * No DPDK dependency. A handle is used by one thread at a time; the
 * definitions, precision and bounds are in docs/results.md.
 */
#ifndef TW_STATS_H
#define TW_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tw_proto.h"
#include "tw_proto_ctrl.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The record is one way (OWAMP): t3, t4, e4, ttl_back, tos_back unused. */
#define TW_STATS_REC_ONEWAY 0x01u
/** tos_fwd holds what the reflector saw (RFC 7750 S-DSCP-ECN). */
#define TW_STATS_REC_TOS_FWD 0x02u
/** t4 came from the NIC or the kernel (SO_TIMESTAMPING), not user space. */
#define TW_STATS_REC_T4_HW 0x04u

/**
 * One test packet as the Session-Sender saw its reply (round trip), or as
 * the receiver saw it (one way). Times are NTP 64-bit; Error Estimates raw
 * (RFC 4656 §4.1.2: S bit, Scale, Multiplier).
 */
struct tw_stats_rec {
	uint32_t seq;       /**< Session-Sender Sequence Number */
	uint32_t refl_seq;  /**< reflector's Sequence Number (round trip) */
	tw_ntp_t t1;        /**< Sender Timestamp, as in the packet */
	tw_ntp_t t2;        /**< reflector Receive Timestamp; one way: receiver RX */
	tw_ntp_t t3;        /**< reflector Timestamp (its TX); one way: 0 */
	tw_ntp_t t4;        /**< sender's RX time of the reply; one way: 0 */
	uint16_t e1;        /**< Sender Error Estimate */
	uint16_t e2;        /**< reflector's (or receiver's) Error Estimate */
	uint16_t e4;        /**< sender's Error Estimate at t4; one way: 0 */
	uint8_t ttl_fwd;    /**< Sender TTL the reflector saw (one way: TTL at
			         the receiver); 0 = unknown */
	uint8_t ttl_back;   /**< TTL / Hop Limit of the reply at the sender; 0 = unknown */
	uint8_t tos_fwd;    /**< DSCP << 2 | ECN at the reflector (flag TOS_FWD) */
	uint8_t tos_back;   /**< DSCP << 2 | ECN of the reply as received */
	uint8_t flags;      /**< TW_STATS_REC_* */
};


/**
 * The one-way record of an OWAMP Fetch-Session Data Record (RFC 4656
 * §4.1.2 / §3.8 record): seq, t1/e1 (sender), t2/e2 (receiver), ttl_fwd,
 * flag TW_STATS_REC_ONEWAY; every other field 0. A lost packet (recv_ts 0)
 * gives t2 0: skip it, tw_stats_finish() counts it.
 * @param o   the record; not NULL
 * @param out filled; not NULL
 */
void tw_stats_rec_from_owamp(const struct tw_owamp_record *o,
			     struct tw_stats_rec *out);

/**
 * The OWAMP Fetch-Session Data Record (RFC 4656 §3.8) of a one-way record:
 * the inverse of tw_stats_rec_from_owamp() (seq, timestamps, Error
 * Estimates, TTL; the rest of @p r is not carried).
 * @param r   the record; not NULL
 * @param out filled; not NULL
 */
void tw_stats_rec_to_owamp(const struct tw_stats_rec *r,
			   struct tw_owamp_record *out);

/* ------------------------------------------------------------------------ */
/* Metrics                                                                   */
/* ------------------------------------------------------------------------ */

/** Most percentiles a session computes (besides the median, always there). */
#define TW_STATS_MAX_PCT 8
/** n-reordering (RFC 4737 §5) is reported for n = 1 .. TW_STATS_NREORD_MAX. */
#define TW_STATS_NREORD_MAX 16
/** Initial TTL assumed at both ends (RFC 5357 §4.1.2, §4.2.1: 255). */
#define TW_STATS_TTL_INIT_DEFAULT 255
/** Default loss threshold Tmax (RFC 7680 §2.8.2, RFC 6673 §3.2). */
#define TW_STATS_TIMEOUT_DEFAULT_NS 2000000000ull
/** Default upper bound of the sequence window (see tw_stats_conf.max_window). */
#define TW_STATS_MAX_WINDOW_DEFAULT (1u << 26)
/** Default IPDV neighbour memory (see tw_stats_conf.ipdv_window). */
#define TW_STATS_IPDV_WINDOW_DEFAULT (1u << 14)
/**
 * Histogram precision: log-linear buckets with 2^TW_STATS_HIST_SUB_BITS
 * sub-buckets per power of two. A percentile is the middle of its bucket,
 * so its relative error is at most 2^-(bits+1) = 0.049 % (exact below
 * 1024 ns); values are tracked up to TW_STATS_HIST_MAX_NS (larger ones are
 * clamped to it for percentiles, min/max/mean stay exact).
 */
#define TW_STATS_HIST_SUB_BITS 10
#define TW_STATS_HIST_MAX_NS (1ull << 37) /* 137 s */

/** What the session measures. */
enum tw_stats_kind {
	TW_STATS_ROUNDTRIP = 0, /**< TWAMP / TWAMP Light / STAMP: t1..t4 */
	TW_STATS_ONEWAY = 1,    /**< OWAMP: t1 (sender), t2 (receiver) */
};

/** Whether the clocks of both ends are synchronised (one-way delays). */
enum tw_stats_clock {
	/** Synchronised when every record says so: S bit set in the Error
	 *  Estimates of both timestamps of a direction (e1+e2 forward,
	 *  e2+e4 backward; RFC 4656 §4.1.2). */
	TW_STATS_CLOCK_AUTO = 0,
	TW_STATS_CLOCK_SYNCED,   /**< the caller knows (e.g. both on PTP) */
	TW_STATS_CLOCK_UNSYNCED, /**< one-way delays always unreliable */
};

/** How the reflector fills its own Sequence Number (round trip). */
enum tw_stats_rseq {
	/** Counter if any record has refl_seq != seq; when all are equal and
	 *  there is loss, per-direction loss is unknown (it may be a copier). */
	TW_STATS_RSEQ_AUTO = 0,
	/** Its own counter of packets reflected in this session: full TWAMP
	 *  (RFC 5357 §4.2.1), stateful STAMP (RFC 8762 §4.3.1). */
	TW_STATS_RSEQ_COUNTER,
	/** Copies the sender's number (stateless STAMP, RFC 8762 §4.3.1; many
	 *  TWAMP Light reflectors): per-direction loss is unknown. */
	TW_STATS_RSEQ_COPY,
};

struct tw_stats;
struct tw_stats_pp;

/** Session parameters. Start from tw_stats_conf_init(). */
struct tw_stats_conf {
	enum tw_stats_kind kind;
	enum tw_stats_clock clock;
	enum tw_stats_rseq rseq;
	/** Loss threshold Tmax in ns: a packet not back within it is lost;
	 *  one that comes later is counted as lost and as late. 0: default. */
	uint64_t timeout_ns;
	/** Percentiles to compute, each in (0, 100]; n_pct 0: {90, 99}. */
	unsigned n_pct;
	double pct[TW_STATS_MAX_PCT];
	/** Upper bound, in sequence numbers, of the window of packets whose
	 *  fate is tracked (1.125 octets each; it grows on demand from 4096).
	 *  When more packets than this are in flight the oldest is declared
	 *  lost early (counted in lost_window). Rounded up to a power of 2.
	 *  0: TW_STATS_MAX_WINDOW_DEFAULT (64 Mi: 6.7 s at 10 Mpps, 72 MiB). */
	uint32_t max_window;
	/** History kept for IPDV pairs and the reordering extent (56 octets
	 *  each): an IPDV pair whose second packet arrives after this many
	 *  later numbers did is not formed (ipdv_skipped); an extent whose
	 *  reference arrival is older than this many in-order arrivals is
	 *  not computed (extent_unknown). Rounded up to a power of 2.
	 *  0: TW_STATS_IPDV_WINDOW_DEFAULT (16 Ki). */
	uint32_t ipdv_window;
	/** Initial TTL / Hop Limit assumed at the sender and the reflector.
	 *  0: TW_STATS_TTL_INIT_DEFAULT (255, RFC 5357). */
	uint8_t ttl_init;
	/** DSCP << 2 | ECN the sender sets on test packets, and the reflector
	 *  on replies (RFC 7750 §4: normally the same); -1 = unknown (no
	 *  DSCP/ECN change counting). */
	int tos_sent;
	int tos_reply;
	/** If set, every packet's fate is written there as it is decided
	 *  (received, duplicate, late, lost). Borrowed, not owned. */
	struct tw_stats_pp *pp;
};

/** One distribution, in nanoseconds. Empty when n == 0 (all fields 0). */
struct tw_stats_dist {
	uint64_t n;
	int64_t min_ns;
	int64_t max_ns;
	double mean_ns;     /**< exact (integer sum) */
	double stddev_ns;   /**< population standard deviation */
	int64_t median_ns;  /**< nearest-rank 50th percentile */
	int64_t pct_ns[TW_STATS_MAX_PCT]; /**< for tw_stats_result.pct[] */
};

/** The distributions a session has; JSON names from tw_stats_dist_name(). */
enum tw_stats_dist_id {
	TW_STATS_D_RTT = 0,  /**< RFC 2681 minus processing: (t4-t1)-(t3-t2) */
	TW_STATS_D_RTT_RAW,  /**< t4 - t1 */
	TW_STATS_D_PROC,     /**< reflector processing time t3 - t2 */
	TW_STATS_D_FWD,      /**< one-way forward t2 - t1 (RFC 7679) */
	TW_STATS_D_BACK,     /**< one-way backward t4 - t3 (RFC 7679) */
	TW_STATS_D_IPDV_RTT, /**< RFC 5481 §4.1 on RTT, consecutive seqs */
	TW_STATS_D_IPDV_FWD,
	TW_STATS_D_IPDV_BACK,
	TW_STATS_D_PDV_RTT,  /**< RFC 5481 §4.2: delay - min delay */
	TW_STATS_D_PDV_FWD,
	TW_STATS_D_PDV_BACK,
	TW_STATS_D_N
};

/** Hop counts in one direction (initial TTL minus TTL seen). */
struct tw_stats_hops {
	uint64_t n;     /**< records with a known TTL */
	uint8_t min;
	uint8_t max;
};

/** DSCP/ECN changes in one direction (RFC 7750). */
struct tw_stats_tos {
	uint64_t n;             /**< records with a known DSCP/ECN */
	uint64_t dscp_changed;  /**< DSCP differs from what was sent */
	uint64_t ecn_changed;   /**< ECN differs, CE included */
	uint64_t ecn_ce;        /**< arrived with ECN = CE (11) */
	uint8_t last;           /**< last DSCP << 2 | ECN seen */
};

/**
 * Everything a session measured. Invariant, at every moment:
 * sent == received + lost + in_flight; in_flight == 0 once finished.
 */
struct tw_stats_result {
	enum tw_stats_kind kind;
	bool finished;
	uint64_t timeout_ns;

	uint64_t sent;       /**< packets passed to tw_stats_sent() */
	uint64_t received;   /**< first copies back within the timeout */
	uint64_t lost;       /**< not back within the timeout (RFC 7680/6673) */
	uint64_t in_flight;  /**< sent, timeout not yet passed */
	uint64_t late;       /**< of lost: came back after the timeout */
	uint64_t lost_window;/**< of lost: declared early, window full */
	double loss_ratio;   /**< lost / (received + lost); 0 when none */

	/** Per direction (round trip, from the reflector's numbers). When
	 *  dir_known is false all three are 0 and the split is unknown.
	 *  lost == lost_fwd + lost_back + lost_unknown + late otherwise. */
	bool dir_known;
	uint64_t lost_fwd;     /**< never reached the reflector */
	uint64_t lost_back;    /**< reflected, reply never came back */
	uint64_t lost_unknown; /**< after the last reply seen: either way */

	/** Duplicates (RFC 5560): copies after the first, never counted as
	 *  received. Split known only with a counting reflector. */
	uint64_t dup;
	bool dup_dir_known;
	uint64_t dup_fwd;   /**< the reflector reflected it twice */
	uint64_t dup_back;  /**< the same reply arrived twice */
	uint64_t unexpected;/**< records for numbers never sent / too old */

	/** Reordering (RFC 4737) of the received first copies. */
	uint64_t reordered;            /**< §3: seq < NextExp */
	double reordered_ratio;        /**< reordered / received */
	uint64_t extent_max;           /**< §4.2 reordering extent e */
	double extent_mean;
	uint64_t extent_unknown;       /**< e beyond the memory (see docs) */
	int64_t late_time_max_ns;      /**< §4.3 late-time offset, max */
	/** nreord[n-1]: packets whose degree of n-reordering (§5, the largest
	 *  n for which they are n-reordered) is n; the last cell counts n >=
	 *  TW_STATS_NREORD_MAX. Packets n-reordered for a given n = sum of
	 *  the cells from n-1 on. */
	uint64_t nreord[TW_STATS_NREORD_MAX];

	/** Delay distributions; see enum tw_stats_dist_id. */
	unsigned n_pct;
	double pct[TW_STATS_MAX_PCT];
	struct tw_stats_dist d[TW_STATS_D_N];
	uint64_t ipdv_skipped;    /**< pairs too far apart (ipdv_window) */
	uint64_t hist_clamped;    /**< values beyond TW_STATS_HIST_MAX_NS */

	/** One-way delays are meaningful (clocks synchronised). IPDV and
	 *  PDV are offset-free and valid either way (RFC 5481 §6.3). */
	bool fwd_synced;
	bool back_synced;
	/** Largest sum of Error Estimates seen (RFC 4656 §4.1.2), ns; 0 when
	 *  none was valid. rtt: e1+e4; fwd: e1+e2; back: e2+e4. */
	double err_rtt_ns;
	double err_fwd_ns;
	double err_back_ns;

	uint8_t ttl_init;
	struct tw_stats_hops hops_fwd;
	struct tw_stats_hops hops_back;
	int tos_sent;  /**< as configured, -1 unknown */
	int tos_reply;
	struct tw_stats_tos tos_fwd;
	struct tw_stats_tos tos_back;

	tw_ntp_t first_t1; /**< first packet sent; 0 before */
	tw_ntp_t last_t1;  /**< last packet sent */
};

/** Fill @p c with the defaults (round trip, AUTO clock and rseq, 2 s,
 *  percentiles 90 and 99, ToS unknown). */
void tw_stats_conf_init(struct tw_stats_conf *c);

/**
 * Create a session's statistics.
 * @return the handle, or NULL with errno EINVAL (a bad percentile or kind)
 *         or ENOMEM.
 */
struct tw_stats *tw_stats_create(const struct tw_stats_conf *c);

/** Free everything (NULL is fine). Does not close conf.pp. */
void tw_stats_destroy(struct tw_stats *s);

/**
 * A test packet left: call for every packet, in sending order, before its
 * reply can be passed to tw_stats_recv(). Sequence numbers increase by one
 * (mod 2^32, so a run may wrap); a gap means those numbers were never sent
 * and are not counted.
 * @return 0; -EINVAL when @p seq is not after the previous one, jumps
 *         max_window or more ahead, or the session is finished (nothing
 *         changes).
 */
int tw_stats_sent(struct tw_stats *s, uint32_t seq, tw_ntp_t t1);

/**
 * A reply (round trip) or test packet (one way) arrived; call in arrival
 * order. O(1) amortised, no allocation.
 * @return 0 when counted (received, duplicate or late); -ENOENT when its
 *         sequence number was never sent or is older than the window
 *         (counted in unexpected); -EINVAL on NULL or a record of the
 *         other kind (flag TW_STATS_REC_ONEWAY), nothing counted.
 */
int tw_stats_recv(struct tw_stats *s, const struct tw_stats_rec *r);

/**
 * Time passes: every packet sent at or before @p now - timeout that has
 * not come back is lost. @p now is on the sender's clock (that of t1).
 * Call about once per second for progress; optional otherwise.
 * @return 0, or -EINVAL on NULL.
 */
int tw_stats_advance(struct tw_stats *s, tw_ntp_t now);

/**
 * The run is over and the timeout has passed: every packet not back is
 * lost. Records passed after this count as late. @return 0, or -EINVAL.
 */
int tw_stats_finish(struct tw_stats *s);

/**
 * Compute the metrics so far (progress) or final (after finish). Costs
 * about a millisecond (percentiles walk the histograms): call it once per
 * second, not per packet.
 * @return 0, or -EINVAL on NULL.
 */
int tw_stats_result(const struct tw_stats *s, struct tw_stats_result *out);

/** JSON name of a distribution ("rtt", "ipdv_fwd", ...); NULL if unknown. */
const char *tw_stats_dist_name(enum tw_stats_dist_id id);

/* ------------------------------------------------------------------------ */
/* Output                                                                    */
/* ------------------------------------------------------------------------ */

/** JSON results schema version (docs/results.md). */
#define TW_STATS_JSON_VERSION 1

/**
 * What a results file must say to be understood a month later. Every
 * pointer may be NULL (omitted / null in JSON); numbers < 0 are unknown.
 */
struct tw_stats_meta {
	const char *tool;          /**< "twamp-ping", "twamp-dp" */
	const char *tool_version;  /**< "0.1.0" */
	const char *name;          /**< session name from the config */
	const char *protocol;      /**< "twamp", "twamp-light", "stamp", "owamp" */
	const char *mode;          /**< "open", "authenticated", "encrypted", "mixed" */
	const char *sid;           /**< SID in hex, full TWAMP/OWAMP */
	const char *src_addr;      /**< sender address, text */
	int src_port;
	const char *dst_addr;      /**< reflector / receiver address, text */
	int dst_port;
	const char *schedule;      /**< "periodic", "poisson" */
	double interval_s;         /**< mean interval between packets */
	int64_t count;             /**< packets planned; -1 unknown */
	int dscp;                  /**< DSCP set on test packets */
	int ecn;
	int padding;               /**< padding octets */
	int packet_size;           /**< UDP payload octets */
	const char *timestamps;    /**< "hw", "kernel", "user", "user-before-esp" */
	tw_ntp_t start;            /**< 0 unknown */
	tw_ntp_t end;              /**< 0 still running */
};

/**
 * A twping/owping-like block for people (sent/lost/dup, delays with units,
 * jitter, hops, reordering). @return 0, or -errno when writing failed.
 */
int tw_stats_print_summary(FILE *f, const struct tw_stats_result *r,
			   const struct tw_stats_meta *m);

/**
 * One line (no newline) for a once-per-second terminal update: elapsed
 * time, sent/received/lost/in flight, last RTT percentiles. Truncated to
 * fit. @return the length it needed, like snprintf, or -EINVAL.
 */
int tw_stats_progress_line(char *buf, size_t len,
			   const struct tw_stats_result *r,
			   const struct tw_stats_meta *m, tw_ntp_t now);

/** Write the JSON document (docs/results.md) to @p f. @return 0 or -errno. */
int tw_stats_json_fprint(FILE *f, const struct tw_stats_result *r,
			 const struct tw_stats_meta *m);

/**
 * Write a file atomically: @p fill writes the content to a temporary file
 * in the directory of @p path (mode 0644), then fsync, rename over @p path,
 * fsync of the directory. On error nothing is left behind and an existing
 * @p path is unchanged.
 * @param path destination; not NULL or empty
 * @param fill writes the content; returns 0 or -errno (which is returned)
 * @param arg  passed to @p fill
 * @return 0 or -errno (-EINVAL on a NULL or empty @p path or NULL @p fill).
 */
int tw_stats_write_atomic(const char *path, int (*fill)(FILE *f, void *arg),
			  void *arg);

/**
 * Write the JSON document to @p path atomically (tw_stats_write_atomic()): a temporary file in the
 * same directory, fsync, rename, fsync of the directory. On error nothing
 * is left behind and an existing @p path is unchanged.
 * @return 0 or -errno.
 */
int tw_stats_write_json(const char *path, const struct tw_stats_result *r,
			const struct tw_stats_meta *m);

/** Per-packet output formats (docs/results.md). */
#define TW_STATS_PP_CSV 0x1u
#define TW_STATS_PP_JSONL 0x2u

/** A packet's fate in the per-packet output. */
enum tw_stats_pp_status {
	TW_STATS_PP_OK = 0,   /**< received within the timeout */
	TW_STATS_PP_DUP,      /**< a further copy (RFC 5560) */
	TW_STATS_PP_LATE,     /**< came back after the timeout: lost */
	TW_STATS_PP_LOST,     /**< never came back (only seq and t1 valid) */
	TW_STATS_PP_UNEXPECTED,
};

/** Name of a status as written: "ok", "dup", "late", "lost", "unexpected". */
const char *tw_stats_pp_status_name(enum tw_stats_pp_status st);

/**
 * Open a per-packet file (created or truncated, written through stdio).
 * @p format is exactly one of TW_STATS_PP_CSV, TW_STATS_PP_JSONL. A CSV
 * file starts with its header line.
 * @return the writer, or NULL with errno (EINVAL, or from fopen).
 */
struct tw_stats_pp *tw_stats_pp_open(const char *path, unsigned format);

/** Like tw_stats_pp_open() on a stream the caller owns (not closed). */
struct tw_stats_pp *tw_stats_pp_fopen(FILE *f, unsigned format);

/**
 * Write one row. For TW_STATS_PP_LOST only seq and t1 are used.
 * @return 0, or -errno (the first write error is kept and returned again
 *         by tw_stats_pp_close()).
 */
int tw_stats_pp_write(struct tw_stats_pp *pp, const struct tw_stats_rec *rec,
		      enum tw_stats_pp_status status);

/** Flush, fsync (files it opened) and close. @return 0 or the first -errno. */
int tw_stats_pp_close(struct tw_stats_pp *pp);

#ifdef __cplusplus
}
#endif

#endif /* TW_STATS_H */
