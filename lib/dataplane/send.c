/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Session-Sender: paced test streams on the data plane (tw_dp_send.h).
 *
 * Each stream owns a frame template (L2, IP, UDP, sender header with seq 0
 * and timestamp 0, padding): a packet is a copy of it with the Sequence
 * Number and Error Estimate written, then at the TX moment the timestamp,
 * the protection and the UDP checksum. The checksum is the template's sum
 * over everything but the test header (computed once) plus the test header
 * of this packet: the per-packet cost does not grow with the padding.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_spinlock.h>
#include <rte_telemetry.h>
#include <rte_udp.h>

#include "dp_private.h"
#include "tw_dp_send.h"
#include "tw_proto_stamp.h"
#include "tw_sched.h"

#define FRAME_MAX 1600u
#define CMD_RING 1024u
#define DEFAULT_RING 65536u
#define DEFAULT_LATE_NS 10000u
#define MAX_STREAMS 65536u

enum cmd_op { CMD_ADD = 1, CMD_STOP = 2 };

/* One stream slot. The control thread writes the configuration part while
 * the slot is FREE, the sender thread the run part while it is ADDED or
 * RUNNING; state (atomic) hands the slot over. */
struct slot {
	/* control -> sender, read-only once ADDED */
	struct tw_send_stream cfg;
	struct tw_crypto_test *ct;       /* TWAMP/LIGHT/OWAMP auth/enc */
	struct tw_crypto_stamp *stamp;   /* STAMP auth */
	struct tw_sched *tsched;         /* RFC 4656 §5 Poisson gaps, or NULL */
	uint16_t port_id, queue;
	uint16_t frame_len;              /* whole frame */
	uint16_t pay_off;                /* test payload offset in the frame */
	uint16_t pay_len;                /* test payload (header + padding) */
	uint16_t sum_len;                /* leading payload octets summed per packet (even) */
	uint16_t ts_off, errest_off;     /* in the payload */
	uint16_t udp_off;                /* UDP header offset in the frame */
	uint32_t sum_base;               /* unfolded sum of the rest */
	bool stamp_first;                /* timestamp inside the protected part */
	/* IPsec: the SA named by the control thread (a seqlock: odd while
	 * written), and the sender's handle of it with the versions it is for */
	struct tw_send_sa sa_sel;
	uint32_t sa_ver;                 /* __atomic */
	uint32_t sa_seen;
	uint64_t sa_gen;
	void *sa_h;
	uint8_t frame[FRAME_MAX];
	/* sender thread */
	uint64_t start_tsc, end_tsc;     /* end 0 = none */
	uint64_t sched_ns;               /* next departure, ns after start */
	uint64_t next_tsc;
	uint64_t left;                   /* packets left; UINT64_MAX = by duration */
	uint32_t seq;
	uint32_t heap_pos;               /* UINT32_MAX: not in the heap */
	uint64_t rng[4];
	/* counters: the sender writes, anyone reads (relaxed) */
	uint64_t sent, tx_drop, late, stalls, crypto_err, ipsec, no_sa;
	struct tw_dp_hist depart;
	uint32_t state;                  /* enum tw_send_state, __atomic */
	bool stop_req;                   /* __atomic */
} __rte_cache_aligned;

struct tw_send {
	struct tw_send_conf conf;
	struct tw_dp *dp;
	bool dedicated;
	struct tw_dp_clock *clock;
	struct tw_crypto_engine *eng_ctl;  /* contexts are made with this */
	struct tw_crypto_engine *eng_tx;   /* the sender thread's */
	struct rte_ring *cmd;              /* control -> sender: uint32 op << 24 | slot */
	struct rte_ring *recs;             /* sender -> control: struct tw_send_rec */
	struct slot *slots;
	uint32_t *heap;                    /* slot indices, min next_tsc on top */
	uint32_t n_heap;
	uint64_t tsc_hz;
	uint64_t ns_q32;                   /* ns per TSC tick, 32.32 fixed point */
	uint64_t busy_tsc;                 /* HOOK_BUSY_NS in TSC ticks (attach) */
	/* outbound IPsec (tw_send_set_ipsec()); ipsec_gen: read at each pass */
	struct tw_send_ipsec_ops ipsec;
	void *ipsec_arg;
	uint64_t ipsec_gen;
	/* totals of deleted streams (control thread) */
	struct tw_send_stats gone;
	uint64_t added;
};

static uint64_t ns_to_tsc(uint64_t ns, uint64_t hz)
{
	return (uint64_t)(((unsigned __int128)ns * hz) / 1000000000u);
}

/* ns per tick in 32.32 fixed point: the departure error of every packet
 * becomes a multiply (no 128-bit division); relative error below 2^-31 */
static uint64_t ns_q32_of(uint64_t hz)
{
	return (uint64_t)(((unsigned __int128)1000000000u << 32) / hz);
}

static uint64_t tsc_to_ns(uint64_t t, uint64_t ns_q32)
{
	return (uint64_t)(((unsigned __int128)t * ns_q32) >> 32);
}

/* ---- PRNG and the exponential schedule ---- */

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman, Vigna): 256-bit state, period 2^256 - 1. */
static uint64_t xoshiro_next(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t tw_send_exp_gap(uint64_t state[4], uint64_t mean_ns)
{
	/* U uniform on (0, 1]: 53 random bits, plus one so log() is finite */
	double u = (double)((xoshiro_next(state) >> 11) + 1) * 0x1.0p-53;
	double g = -log(u) * (double)mean_ns;

	if (g < 1.0)
		return 1;
	if (g > 1.8e19)
		return UINT64_MAX / 2;
	return (uint64_t)g;
}

/* ---- validation and templates ---- */

static int stamp_mode(const struct tw_send_stream *st)
{
	return st->mode == TW_TEST_AUTH ? TW_STAMP_AUTH : TW_STAMP_UNAUTH;
}

int tw_send_header_len(const struct tw_send_stream *st)
{
	if (st == NULL)
		return -EINVAL;
	if (st->proto == TW_SEND_STAMP) {
		if (st->mode != TW_TEST_UNAUTH && st->mode != TW_TEST_AUTH)
			return -EINVAL;
		return (int)tw_proto_stamp_base_len(stamp_mode(st));
	}
	if (st->proto > TW_SEND_OWAMP || st->layout.mode != st->mode ||
	    st->layout.sender_hdr == 0)
		return -EINVAL;
	return st->layout.sender_hdr;
}

static int check_stream(const struct tw_send *s, const struct tw_send_stream *st)
{
	struct tw_dp_port_info pi;
	int hl = tw_send_header_len(st);
	unsigned l3 = st->family == AF_INET ? 20 : 40;

	if (hl < 0)
		return -EINVAL;
	if (tw_dp_port_info(s->dp, st->port, &pi) != 0)
		return -EINVAL;
	if (st->family != AF_INET && st->family != AF_INET6)
		return -EINVAL;
	if (st->dport == 0 || st->dscp > 63 || st->ecn > 3 || st->vlan > 4094)
		return -EINVAL;
	if (st->padding > TW_SEND_PAD_MAX || st->interval_ns == 0)
		return -EINVAL;
	if (st->count == 0 && st->duration_ns == 0)
		return -EINVAL;
	if (st->sched != TW_SEND_PERIODIC && st->sched != TW_SEND_POISSON)
		return -EINVAL;
	if ((st->dst_mac[0] & 1) != 0)
		return -EINVAL;
	if (18u + l3 + 8u + (unsigned)hl + st->padding > FRAME_MAX)
		return -EINVAL;
	if (st->server_octets != 0 && (st->proto == TW_SEND_STAMP || st->padding < 2))
		return -EINVAL;
	if (st->ipsec && (st->sa.spi < 256 || (st->sa.ipv != 4 && st->sa.ipv != 6)))
		return -EINVAL;
	if (st->proto == TW_SEND_STAMP) {
		/* padding is an Extra Padding TLV (RFC 8972 §4.1): a TLV needs
		 * an SSID (tw_proto_stamp.h) and a 4-octet header */
		if (st->padding != 0 && (st->padding < TW_STAMP_TLV_HDR || st->ssid == 0))
			return -EINVAL;
		if (st->mode == TW_TEST_AUTH &&
		    (st->stamp_key_len < TW_SEND_STAMP_KEY_MIN ||
		     st->stamp_key_len > TW_SEND_STAMP_KEY_MAX))
			return -EINVAL;
	}
	return 0;
}

/* 16-bit one's complement sum in memory order, unfolded (even lengths). */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t acc)
{
	return acc + rte_raw_cksum(p, len);
}

static uint16_t fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* A checksum computed with rte_raw_cksum() is in memory order already. */
static void put_cksum(uint8_t *p, uint16_t c)
{
	memcpy(p, &c, 2);
}

/* Frame template: Ethernet (+ 802.1Q), IPv4/IPv6, UDP, test payload. */
static int build_template(struct slot *sl, const struct tw_dp_port_info *pi)
{
	const struct tw_send_stream *st = &sl->cfg;
	uint8_t *f = sl->frame;
	uint16_t vlan = st->vlan != 0 ? st->vlan : pi->vlan;
	uint8_t tos = (uint8_t)(st->dscp << 2 | st->ecn);
	uint8_t ttl = st->ttl != 0 ? st->ttl : 255;
	unsigned off = 0, hl = (unsigned)tw_send_header_len(st);
	uint16_t udp_len;
	uint8_t *pay;
	uint32_t ps;

	memset(sl->frame, 0, sizeof(sl->frame));
	memcpy(f, st->dst_mac, 6);
	memcpy(f + 6, pi->mac, 6);
	off = 12;
	if (vlan != 0) {
		tw_put_be16(f + off, RTE_ETHER_TYPE_VLAN);
		tw_put_be16(f + off + 2, vlan);
		off += 4;
	}
	tw_put_be16(f + off, st->family == AF_INET ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	off += 2;
	sl->pay_len = (uint16_t)(hl + st->padding);
	udp_len = (uint16_t)(8 + sl->pay_len);
	if (st->family == AF_INET) {
		uint8_t *ip = f + off;

		ip[0] = 0x45;
		ip[1] = tos;
		tw_put_be16(ip + 2, (uint16_t)(20 + udp_len));
		/* ID 0 with DF: an atomic datagram (RFC 6864 §4) */
		tw_put_be16(ip + 6, 0x4000);
		ip[8] = ttl;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, st->src, 4);
		memcpy(ip + 16, st->dst, 4);
		put_cksum(ip + 10, (uint16_t)~fold(sum16(ip, 20, 0)));
		ps = sum16(st->src, 4, 0);
		ps = sum16(st->dst, 4, ps);
		off += 20;
	} else {
		uint8_t *ip = f + off;

		tw_put_be32(ip, 6u << 28 | (uint32_t)tos << 20);
		tw_put_be16(ip + 4, udp_len);
		ip[6] = IPPROTO_UDP;
		ip[7] = ttl;
		memcpy(ip + 8, st->src, 16);
		memcpy(ip + 24, st->dst, 16);
		ps = sum16(st->src, 16, 0);
		ps = sum16(st->dst, 16, ps);
		off += 40;
	}
	/* pseudo-header protocol and length (sums are in memory order) */
	ps += rte_cpu_to_be_16(IPPROTO_UDP) + rte_cpu_to_be_16(udp_len);
	sl->udp_off = (uint16_t)off;
	tw_put_be16(f + off, st->sport);
	tw_put_be16(f + off + 2, st->dport);
	tw_put_be16(f + off + 4, udp_len);
	off += 8;
	sl->pay_off = (uint16_t)off;
	pay = f + off;
	sl->frame_len = (uint16_t)(off + sl->pay_len);

	/* test header with seq 0, timestamp 0, HMAC 0 */
	if (st->proto == TW_SEND_STAMP) {
		struct tw_stamp_sender m = { .ssid = st->ssid };

		if (tw_proto_stamp_sender_encode(stamp_mode(st), &m, pay, hl) < 0)
			return -EINVAL;
		sl->ts_off = st->mode == TW_TEST_AUTH ? 16 : 4;
		if (st->padding != 0) {
			uint8_t *pad = rte_malloc(NULL, st->padding, 0);
			int rc;

			if (pad == NULL)
				return -ENOMEM;
			tw_crypto_random(pad, st->padding);
			rc = tw_proto_stamp_tlv_encode_padding(TW_STAMP_TLV_SENDER_FLAGS,
							       (uint16_t)(st->padding - TW_STAMP_TLV_HDR),
							       pad, pay + hl, st->padding);
			rte_free(pad);
			if (rc < 0)
				return -EINVAL;
		}
		sl->stamp_first = st->mode == TW_TEST_AUTH;
	} else {
		if (tw_proto_test_sender_write(&st->layout, pay, hl, 0, 0) < 0)
			return -EINVAL;
		/* RFC 4656 §4.1.2: padding SHOULD be pseudo-random */
		if (st->padding != 0)
			tw_crypto_random(pay + hl, st->padding);
		/* RFC 6038 §5.1.2: the Server octets open the padding to reflect */
		if (st->server_octets != 0) {
			pay[hl] = (uint8_t)(st->server_octets >> 8);
			pay[hl + 1] = (uint8_t)st->server_octets;
		}
		sl->ts_off = st->layout.ts_off;
		sl->stamp_first = st->mode == TW_TEST_ENC;
	}
	sl->errest_off = (uint16_t)(sl->ts_off + 8);
	sl->sum_len = (uint16_t)RTE_MIN((unsigned)RTE_ALIGN_CEIL(hl, 2), sl->pay_len);
	/* the rest of the payload is constant: UDP header + pseudo + tail */
	ps = sum16(f + sl->udp_off, 8, ps);
	if (sl->pay_len > sl->sum_len) {
		unsigned rest = sl->pay_len - sl->sum_len;

		if (rest & 1) { /* odd tail: pad with a zero octet */
			uint8_t last[2] = { pay[sl->pay_len - 1], 0 };

			ps = sum16(pay + sl->sum_len, rest - 1, ps);
			ps = sum16(last, 2, ps);
		} else {
			ps = sum16(pay + sl->sum_len, rest, ps);
		}
	}
	sl->sum_base = ps;
	return 0;
}

/* ---- heap (sender thread) ---- */

static void heap_swap(struct tw_send *s, uint32_t a, uint32_t b)
{
	uint32_t t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->slots[s->heap[a]].heap_pos = a;
	s->slots[s->heap[b]].heap_pos = b;
}

static bool heap_less(const struct tw_send *s, uint32_t a, uint32_t b)
{
	return s->slots[s->heap[a]].next_tsc < s->slots[s->heap[b]].next_tsc;
}

static void heap_up(struct tw_send *s, uint32_t i)
{
	while (i > 0 && heap_less(s, i, (i - 1) / 2)) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct tw_send *s, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->n_heap && heap_less(s, l, m))
			m = l;
		if (r < s->n_heap && heap_less(s, r, m))
			m = r;
		if (m == i)
			return;
		heap_swap(s, i, m);
		i = m;
	}
}

static void heap_push(struct tw_send *s, uint32_t idx)
{
	s->heap[s->n_heap] = idx;
	s->slots[idx].heap_pos = s->n_heap;
	s->n_heap++;
	heap_up(s, s->n_heap - 1);
}

static void heap_remove(struct tw_send *s, uint32_t idx)
{
	uint32_t i = s->slots[idx].heap_pos;

	if (i == UINT32_MAX)
		return;
	s->slots[idx].heap_pos = UINT32_MAX;
	s->n_heap--;
	if (i == s->n_heap)
		return;
	s->heap[i] = s->heap[s->n_heap];
	s->slots[s->heap[i]].heap_pos = i;
	heap_down(s, i);
	heap_up(s, i);
}

/* ---- sender thread ---- */

static void finish(struct tw_send *s, uint32_t idx)
{
	heap_remove(s, idx);
	__atomic_store_n(&s->slots[idx].state, TW_SEND_S_DONE, __ATOMIC_RELEASE);
}

static void start_stream(struct tw_send *s, uint32_t idx, uint64_t now)
{
	struct slot *sl = &s->slots[idx];
	const struct tw_send_stream *st = &sl->cfg;
	uint64_t seed = st->seed;

	sl->start_tsc = now;
	if (st->start != 0) {
		int64_t d = tw_ntp_diff_ns(st->start, tw_dp_clock_ntp(s->clock, now));

		if (d > 0)
			sl->start_tsc = now + ns_to_tsc((uint64_t)d, s->tsc_hz);
	}
	sl->end_tsc = st->duration_ns != 0 ?
		sl->start_tsc + ns_to_tsc(st->duration_ns, s->tsc_hz) : 0;
	sl->left = st->count != 0 ? st->count : UINT64_MAX;
	sl->seq = st->first_seq;
	sl->sched_ns = 0;
	sl->next_tsc = sl->start_tsc;
	if (seed == 0)
		seed = now ^ ((uint64_t)idx << 32);
	for (unsigned i = 0; i < 4; i++)
		sl->rng[i] = splitmix(&seed);
	/* RFC 4656 §5 style: the first departure is start + the first gap
	 * for Poisson streams, start itself for periodic ones */
	if (sl->tsched != NULL) {
		/* RFC 4656 §3.6: packet 0 leaves one interval after the start */
		sl->sched_ns = tw_sched_next(sl->tsched);
		sl->next_tsc = sl->start_tsc + ns_to_tsc(sl->sched_ns, s->tsc_hz);
	} else if (st->sched == TW_SEND_POISSON) {
		sl->sched_ns = tw_send_exp_gap(sl->rng, st->interval_ns);
		sl->next_tsc = sl->start_tsc + ns_to_tsc(sl->sched_ns, s->tsc_hz);
	}
	sl->heap_pos = UINT32_MAX;
	__atomic_store_n(&sl->state, TW_SEND_S_RUNNING, __ATOMIC_RELEASE);
	if (sl->end_tsc != 0 && sl->next_tsc >= sl->end_tsc) {
		finish(s, idx);
		return;
	}
	heap_push(s, idx);
}

static void commands(struct tw_send *s, uint64_t now)
{
	uint32_t c[32];
	unsigned n = rte_ring_sc_dequeue_burst_elem(s->cmd, c, sizeof(c[0]), RTE_DIM(c), NULL);

	for (unsigned i = 0; i < n; i++) {
		uint32_t idx = c[i] & 0xffffff, op = c[i] >> 24;
		uint32_t state;

		if (idx >= s->conf.max_streams)
			continue;
		state = __atomic_load_n(&s->slots[idx].state, __ATOMIC_ACQUIRE);
		if (op == CMD_ADD && state == TW_SEND_S_ADDED)
			start_stream(s, idx, now);
		else if (op == CMD_STOP && state == TW_SEND_S_RUNNING)
			finish(s, idx);
	}
}

/* Advance a stream past the packet just built; false when it is over. */
static bool advance(struct tw_send *s, struct slot *sl)
{
	const struct tw_send_stream *st = &sl->cfg;

	sl->seq++;
	if (sl->left != UINT64_MAX && --sl->left == 0)
		return false;
	if (sl->tsched != NULL)
		sl->sched_ns = tw_sched_next(sl->tsched); /* exact running sum */
	else if (st->sched == TW_SEND_POISSON)
		sl->sched_ns += tw_send_exp_gap(sl->rng, st->interval_ns);
	else
		sl->sched_ns += st->interval_ns;
	sl->next_tsc = sl->start_tsc + ns_to_tsc(sl->sched_ns, s->tsc_hz);
	if (sl->end_tsc != 0 && sl->next_tsc >= sl->end_tsc)
		return false;
	return true;
}

struct pending {
	struct rte_mbuf *m[TW_DP_BURST];
	uint32_t slot[TW_DP_BURST];
	uint32_t seq[TW_DP_BURST];
	uint64_t sched[TW_DP_BURST];
	unsigned n;
};

static inline uint8_t *payload(const struct slot *sl, struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, uint8_t *, sl->pay_off);
}

/* The stream's outbound SA handle for this pass: looked up again when the
 * control thread named another SA (sa_ver) or the SA table changed (the
 * generation read at the start of the pass); NULL: none yet. A handle
 * kept from an earlier pass is valid while the generation is the same
 * (tw_ipsec_generation()); no lock, no lookup per packet. */
static void *stream_sa(struct tw_send *s, struct slot *sl)
{
	uint32_t v = __atomic_load_n(&sl->sa_ver, __ATOMIC_ACQUIRE);
	struct tw_send_sa sa;

	if (v == sl->sa_seen && s->ipsec_gen == sl->sa_gen)
		return sl->sa_h;
	if (v & 1)
		return NULL; /* being written: the next pass takes it */
	sa = sl->sa_sel;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&sl->sa_ver, __ATOMIC_RELAXED) != v)
		return NULL;
	sl->sa_h = s->ipsec.lookup(s->ipsec_arg, &sa);
	sl->sa_seen = v;
	sl->sa_gen = s->ipsec_gen;
	return sl->sa_h;
}

/* IPsec streams' packets through their outbound SA, once the test packet
 * is complete (its timestamp is inside the encryption). The failed ones
 * are counted and freed; the rest keep their order. @return how many
 * remain in @p txp / @p txi. */
static unsigned ipsec_out(struct tw_send *s, const struct pending *p, struct rte_mbuf **txp,
			  unsigned *txi, unsigned nt)
{
	struct rte_mbuf *ep[TW_DP_BURST];
	void *eh[TW_DP_BURST];
	bool failed[TW_DP_BURST] = { false };
	unsigned ne = 0, keep = 0;
	uint16_t ok;

	for (unsigned k = 0; k < nt; k++) {
		const struct slot *sl = &s->slots[p->slot[txi[k]]];

		if (sl->cfg.ipsec) {
			ep[ne] = txp[k];
			eh[ne++] = sl->sa_h;
		}
	}
	if (ne == 0)
		return nt;
	/* the sender runs in worker 0's loop: its counters and crypto queue */
	ok = s->ipsec.protect(s->ipsec_arg, 0, ep, eh, (uint16_t)ne);
	/* protect() returns the failed ones after the good: only those (none,
	 * as a rule) are looked up */
	for (unsigned j = ok; j < ne; j++)
		for (unsigned k = 0; k < nt; k++)
			if (txp[k] == ep[j]) {
				failed[k] = true;
				break;
			}
	for (unsigned k = 0; k < nt; k++) {
		struct slot *sl = &s->slots[p->slot[txi[k]]];

		if (failed[k]) {
			sl->crypto_err++;
			rte_pktmbuf_free(txp[k]);
			continue;
		}
		if (sl->cfg.ipsec)
			sl->ipsec++;
		txp[keep] = txp[k];
		txi[keep++] = txi[k];
	}
	return keep;
}

/* Stamp, protect, checksum, transmit the packets of one port/queue. */
static void send_group(struct tw_send *s, struct pending *p, unsigned *idx, unsigned n,
		       uint16_t port_id, uint16_t q)
{
	const struct tw_crypto_test *ct[TW_DP_BURST];
	uint8_t *pk[TW_DP_BURST];
	uint16_t ln[TW_DP_BURST];
	int res[TW_DP_BURST];
	unsigned nc = 0, map[TW_DP_BURST];
	const struct tw_crypto_stamp *sk[TW_DP_BURST];
	uint8_t *spk[TW_DP_BURST];
	uint16_t sln[TW_DP_BURST];
	unsigned ns = 0, smap[TW_DP_BURST];
	struct rte_mbuf *txp[TW_DP_BURST];
	unsigned txi[TW_DP_BURST], nt = 0;
	struct tw_send_rec rec[TW_DP_BURST];
	uint64_t now;
	tw_ntp_t t1;
	uint16_t sent;

	now = rte_rdtsc();
	t1 = tw_dp_clock_ntp(s->clock, now);
	for (unsigned k = 0; k < n; k++) {
		unsigned i = idx[k];
		struct slot *sl = &s->slots[p->slot[i]];
		uint8_t *pay = payload(sl, p->m[i]);

		res[k] = 0;
		if (sl->stamp_first)
			tw_ts_put(pay + sl->ts_off, t1);
		if (sl->ct != NULL) {
			ct[nc] = sl->ct;
			pk[nc] = pay;
			ln[nc] = sl->pay_len;
			map[nc++] = k;
		} else if (sl->stamp != NULL) {
			sk[ns] = sl->stamp;
			spk[ns] = pay;
			sln[ns] = sl->pay_len;
			smap[ns++] = k;
		}
	}
	if (ns != 0) { /* STAMP auth: SHA-256 of up to four packets interleaved */
		int r[TW_DP_BURST];

		if (tw_crypto_stamp_sign_burst(sk, spk, sln, ns, r) < 0)
			for (unsigned j = 0; j < ns; j++)
				r[j] = -1;
		for (unsigned j = 0; j < ns; j++)
			res[smap[j]] = r[j];
	}
	if (nc != 0) {
		int r[TW_DP_BURST];

		if (tw_crypto_test_protect_burst(s->eng_tx, ct, TW_CRYPTO_PKT_SENDER, pk, ln,
						 nc, r) < 0) {
			for (unsigned j = 0; j < nc; j++)
				r[j] = -1;
		}
		for (unsigned j = 0; j < nc; j++)
			res[map[j]] = r[j];
	}
	for (unsigned k = 0; k < n; k++) {
		unsigned i = idx[k];
		struct slot *sl = &s->slots[p->slot[i]];
		uint8_t *pay = payload(sl, p->m[i]);
		uint16_t c;

		if (res[k] != 0) {
			sl->crypto_err++;
			rte_pktmbuf_free(p->m[i]);
			continue;
		}
		if (!sl->stamp_first)
			tw_ts_put(pay + sl->ts_off, t1);
		c = (uint16_t)~fold(sum16(pay, sl->sum_len, sl->sum_base));
		if (c == 0)
			c = 0xffff; /* RFC 768: 0 means no checksum */
		put_cksum(rte_pktmbuf_mtod_offset(p->m[i], uint8_t *, sl->udp_off + 6), c);
		txp[nt] = p->m[i];
		txi[nt++] = i;
	}
	if (s->ipsec.protect != NULL)
		nt = ipsec_out(s, p, txp, txi, nt);
	sent = nt != 0 ? rte_eth_tx_burst(port_id, q, txp, (uint16_t)nt) : 0;
	for (unsigned k = 0; k < nt; k++) {
		unsigned i = txi[k];
		struct slot *sl = &s->slots[p->slot[i]];
		uint64_t err = now > p->sched[i] ? tsc_to_ns(now - p->sched[i], s->ns_q32) : 0;

		if (k >= sent) {
			sl->tx_drop++;
			rte_pktmbuf_free(txp[k]);
			continue;
		}
		sl->sent++;
		tw_dp_hist_add(&sl->depart, err);
		if (err > s->conf.late_ns)
			sl->late++;
		rec[k].stream = p->slot[i];
		rec[k].seq = p->seq[i];
		rec[k].t1 = t1;
	}
	if (sent != 0) /* room was checked before building */
		rte_ring_sp_enqueue_burst_elem(s->recs, rec, sizeof(rec[0]), sent, NULL);
}

unsigned tw_send_poll(struct tw_send *s)
{
	struct pending p;
	uint64_t now;
	unsigned room, total = 0;
	uint16_t errest;
	uint32_t done[2 * TW_DP_BURST];
	unsigned nd = 0;

	if (s == NULL || s->dp == NULL)
		return 0;
	now = rte_rdtsc();
	commands(s, now);
	/* nothing due (most polls between departures): no ring, clock or
	 * SA-table reads */
	if (s->n_heap == 0 || s->slots[s->heap[0]].next_tsc > now)
		return 0;
	if (s->ipsec.generation != NULL)
		s->ipsec_gen = s->ipsec.generation(s->ipsec_arg);
	p.n = 0;
	room = rte_ring_free_count(s->recs);
	errest = tw_dp_clock_errest(s->clock);
	while (s->n_heap != 0 && p.n < TW_DP_BURST) {
		uint32_t idx = s->heap[0];
		struct slot *sl = &s->slots[idx];
		struct rte_mbuf *m;
		uint8_t *pay;

		if (sl->next_tsc > now)
			break;
		if (__atomic_load_n(&sl->stop_req, __ATOMIC_RELAXED)) {
			/* DONE only after this pass: it may have packets in p */
			heap_remove(s, idx);
			done[nd++] = idx;
			if (nd == RTE_DIM(done))
				break;
			continue;
		}
		if (sl->cfg.ipsec && stream_sa(s, sl) == NULL) {
			/* never in the clear: wait until its SA exists */
			sl->no_sa++;
			break;
		}
		if (p.n >= room) {
			sl->stalls++; /* the control thread is behind: wait for it */
			break;
		}
		m = rte_pktmbuf_alloc(tw_dp_pool(s->dp));
		if (m == NULL) {
			sl->stalls++;
			break;
		}
		if (rte_pktmbuf_append(m, sl->frame_len) == NULL) {
			/* mbufs of the data plane's pool hold FRAME_MAX; never here */
			rte_pktmbuf_free(m);
			heap_remove(s, idx);
			done[nd++] = idx;
			if (nd == RTE_DIM(done))
				break;
			continue;
		}
		rte_memcpy(rte_pktmbuf_mtod(m, uint8_t *), sl->frame, sl->frame_len);
		pay = payload(sl, m);
		tw_put_be32(pay, sl->seq);
		tw_put_be16(pay + sl->errest_off, errest);
		p.m[p.n] = m;
		p.slot[p.n] = idx;
		p.seq[p.n] = sl->seq;
		p.sched[p.n] = sl->next_tsc;
		p.n++;
		if (!advance(s, sl)) {
			heap_remove(s, idx);
			done[nd++] = idx;
			if (nd == RTE_DIM(done))
				break;
		} else {
			heap_down(s, 0);
		}
	}
	/* group by port (streams on one port share its queue) */
	for (unsigned i = 0; i < p.n; i++) {
		unsigned idx[TW_DP_BURST], k = 0;
		const struct slot *first = &s->slots[p.slot[i]];

		if (p.m[i] == NULL)
			continue;
		for (unsigned j = i; j < p.n; j++) {
			const struct slot *sl = &s->slots[p.slot[j]];

			if (p.m[j] != NULL && sl->port_id == first->port_id) {
				idx[k++] = j;
			}
		}
		send_group(s, &p, idx, k, first->port_id, first->queue);
		for (unsigned j = 0; j < k; j++)
			p.m[idx[j]] = NULL;
		total += k;
	}
	for (unsigned i = 0; i < nd; i++)
		__atomic_store_n(&s->slots[done[i]].state, TW_SEND_S_DONE, __ATOMIC_RELEASE);
	return total;
}

/* Worker 0's hook. A departure due within HOOK_BUSY_NS counts as work, so
 * a worker with an idle back-off (workers.idle_sleep_us) does not nap
 * through it; sparse streams still let it sleep. */
#define HOOK_BUSY_NS 5000000u

static unsigned hook(void *arg)
{
	struct tw_send *s = arg;
	unsigned n = tw_send_poll(s);

	if (n == 0 && s->n_heap != 0 &&
	    s->slots[s->heap[0]].next_tsc < rte_rdtsc() + s->busy_tsc)
		n = 1;
	return n;
}

int tw_send_main(void *arg)
{
	struct tw_send *s = arg;

	if (s == NULL || s->dp == NULL || !s->dedicated)
		return -EINVAL;
	while (!tw_dp_quitting(s->dp))
		tw_send_poll(s);
	return 0;
}

/* ---- control thread ---- */

struct tw_send *tw_send_create(const struct tw_send_conf *conf)
{
	static uint32_t next_id;
	char name[RTE_RING_NAMESIZE];
	struct tw_send *s;
	uint32_t id, rs;

	if (conf == NULL || conf->max_streams == 0 || conf->max_streams > MAX_STREAMS ||
	    (conf->ring_size != 0 && !rte_is_power_of_2(conf->ring_size))) {
		rte_errno = EINVAL;
		return NULL;
	}
	s = rte_zmalloc("tw_send", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (s == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	s->conf = *conf;
	if (s->conf.late_ns == 0)
		s->conf.late_ns = DEFAULT_LATE_NS;
	rs = conf->ring_size != 0 ? conf->ring_size : DEFAULT_RING;
	id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	s->slots = rte_zmalloc("tw_send_slots", sizeof(*s->slots) * conf->max_streams,
			       RTE_CACHE_LINE_SIZE);
	s->heap = rte_zmalloc("tw_send_heap", sizeof(*s->heap) * conf->max_streams, 0);
	snprintf(name, sizeof(name), "tw_sndc%u", id);
	s->cmd = rte_ring_create_elem(name, sizeof(uint32_t), CMD_RING, SOCKET_ID_ANY,
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "tw_sndr%u", id);
	s->recs = rte_ring_create_elem(name, sizeof(struct tw_send_rec), rs, SOCKET_ID_ANY,
				       RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (s->slots == NULL || s->heap == NULL || s->cmd == NULL || s->recs == NULL) {
		tw_send_destroy(s);
		rte_errno = ENOMEM;
		return NULL;
	}
	s->eng_ctl = tw_crypto_engine_create(conf->crypto);
	s->eng_tx = tw_crypto_engine_create(conf->crypto);
	if (s->eng_ctl == NULL || s->eng_tx == NULL) {
		tw_send_destroy(s);
		rte_errno = ENOTSUP;
		return NULL;
	}
	for (uint32_t i = 0; i < conf->max_streams; i++)
		s->slots[i].heap_pos = UINT32_MAX;
	s->tsc_hz = rte_get_tsc_hz();
	s->ns_q32 = ns_q32_of(s->tsc_hz);
	return s;
}

int tw_send_attach(struct tw_send *s, struct tw_dp *dp, bool dedicated)
{
	if (s == NULL || dp == NULL)
		return -EINVAL;
	if (s->dp != NULL || dp->started)
		return -EBUSY;
	/* pace with the measured TSC rate, not the nominal one (tw_dp_clock_init()) */
	if (tw_dp_clock_hz(tw_dp_clock(dp)) != 0)
		s->tsc_hz = tw_dp_clock_hz(tw_dp_clock(dp));
	s->ns_q32 = ns_q32_of(s->tsc_hz);
	s->busy_tsc = ns_to_tsc(HOOK_BUSY_NS, s->tsc_hz);
	if (dedicated) {
		for (unsigned i = 0; i < dp->n_ports; i++)
			if (tw_dp_sender_txq(dp, i) < 0)
				return -ENOTSUP;
	} else {
		int rc = tw_dp_set_worker_hook(dp, hook, s);

		if (rc != 0)
			return rc;
	}
	s->dp = dp;
	s->dedicated = dedicated;
	s->clock = tw_dp_clock(dp);
	return 0;
}

static void slot_release(struct slot *sl)
{
	tw_crypto_test_destroy(sl->ct);
	tw_crypto_stamp_destroy(sl->stamp);
	tw_sched_destroy(sl->tsched);
	tw_crypto_wipe(sl, sizeof(*sl));
	sl->heap_pos = UINT32_MAX;
}

int tw_send_stream_add(struct tw_send *s, const struct tw_send_stream *st, uint32_t *id)
{
	struct tw_dp_port_info pi;
	struct slot *sl = NULL;
	uint32_t idx, cmd;
	int rc;

	if (s == NULL || st == NULL || id == NULL || s->dp == NULL)
		return -EINVAL;
	rc = check_stream(s, st);
	if (rc != 0)
		return rc;
	for (idx = 0; idx < s->conf.max_streams; idx++) {
		if (__atomic_load_n(&s->slots[idx].state, __ATOMIC_ACQUIRE) == TW_SEND_S_FREE) {
			sl = &s->slots[idx];
			break;
		}
	}
	if (sl == NULL)
		return -ENOSPC;
	tw_dp_port_info(s->dp, st->port, &pi);
	memset(sl, 0, sizeof(*sl));
	sl->heap_pos = UINT32_MAX;
	sl->cfg = *st;
	sl->port_id = pi.port_id;
	sl->queue = s->dedicated ? (uint16_t)tw_dp_sender_txq(s->dp, st->port) : 0;
	rc = build_template(sl, &pi);
	if (rc == 0 && st->proto != TW_SEND_STAMP && st->mode != TW_TEST_UNAUTH) {
		sl->ct = tw_crypto_test_create(s->eng_ctl, st->mode == TW_TEST_ENC ?
					       TW_CRYPTO_TEST_ENC : TW_CRYPTO_TEST_AUTH,
					       &st->keys);
		if (sl->ct == NULL)
			rc = -ENOTSUP;
	}
	if (rc == 0 && st->proto == TW_SEND_STAMP && st->mode == TW_TEST_AUTH) {
		sl->stamp = tw_crypto_stamp_create(st->stamp_key, st->stamp_key_len);
		if (sl->stamp == NULL)
			rc = -ENOTSUP;
	}
	if (rc == 0 && st->ipsec) {
		/* worker 0's QSBR state covers the SA handles; a dedicated
		 * sender lcore is no reader of lib/ipsec's table */
		if (s->dedicated || s->ipsec.protect == NULL)
			rc = -ENOTSUP;
		sl->sa_sel = st->sa;
		sl->sa_seen = UINT32_MAX;
	}
	if (rc == 0 && st->sched == TW_SEND_POISSON && st->rfc4656_sched) {
		sl->tsched = tw_sched_create_poisson(st->sid, st->interval_ns);
		if (sl->tsched == NULL)
			rc = errno == ENOMEM ? -ENOMEM : -EINVAL;
	}
	if (rc != 0) {
		slot_release(sl);
		return rc;
	}
	__atomic_store_n(&sl->state, TW_SEND_S_ADDED, __ATOMIC_RELEASE);
	cmd = (uint32_t)CMD_ADD << 24 | idx;
	if (rte_ring_sp_enqueue_elem(s->cmd, &cmd, sizeof(cmd)) != 0) {
		__atomic_store_n(&sl->state, TW_SEND_S_FREE, __ATOMIC_RELEASE);
		slot_release(sl);
		return -EAGAIN;
	}
	s->added++;
	*id = idx;
	return 0;
}

int tw_send_set_ipsec(struct tw_send *s, const struct tw_send_ipsec_ops *ops, void *arg)
{
	if (s == NULL || ops == NULL || ops->generation == NULL || ops->lookup == NULL ||
	    ops->protect == NULL)
		return -EINVAL;
	for (uint32_t i = 0; i < s->conf.max_streams; i++)
		if (__atomic_load_n(&s->slots[i].state, __ATOMIC_ACQUIRE) != TW_SEND_S_FREE)
			return -EBUSY;
	s->ipsec = *ops;
	s->ipsec_arg = arg;
	return 0;
}

int tw_send_stream_set_sa(struct tw_send *s, uint32_t id, const struct tw_send_sa *sa)
{
	struct slot *sl;
	uint32_t v, state;

	if (s == NULL || id >= s->conf.max_streams)
		return -ENOENT;
	sl = &s->slots[id];
	state = __atomic_load_n(&sl->state, __ATOMIC_ACQUIRE);
	if (state == TW_SEND_S_FREE)
		return -ENOENT;
	if (sa == NULL || !sl->cfg.ipsec || sa->spi < 256 || (sa->ipv != 4 && sa->ipv != 6))
		return -EINVAL;
	/* seqlock: odd while written (stream_sa() skips a pass then) */
	v = __atomic_load_n(&sl->sa_ver, __ATOMIC_RELAXED);
	__atomic_store_n(&sl->sa_ver, v + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	sl->sa_sel = *sa;
	__atomic_store_n(&sl->sa_ver, v + 2, __ATOMIC_RELEASE);
	return 0;
}

int tw_send_stream_stop(struct tw_send *s, uint32_t id)
{
	uint32_t state, cmd;

	if (s == NULL || id >= s->conf.max_streams)
		return -ENOENT;
	state = __atomic_load_n(&s->slots[id].state, __ATOMIC_ACQUIRE);
	if (state == TW_SEND_S_FREE)
		return -ENOENT;
	if (state == TW_SEND_S_DONE)
		return 0;
	__atomic_store_n(&s->slots[id].stop_req, true, __ATOMIC_RELAXED);
	cmd = (uint32_t)CMD_STOP << 24 | id;
	if (rte_ring_sp_enqueue_elem(s->cmd, &cmd, sizeof(cmd)) != 0)
		return -EAGAIN;
	return 0;
}

static void slot_stats(const struct slot *sl, struct tw_send_stream_stats *o)
{
	o->state = __atomic_load_n(&sl->state, __ATOMIC_ACQUIRE);
	o->sent = __atomic_load_n(&sl->sent, __ATOMIC_RELAXED);
	o->tx_drop = __atomic_load_n(&sl->tx_drop, __ATOMIC_RELAXED);
	o->late = __atomic_load_n(&sl->late, __ATOMIC_RELAXED);
	o->stalls = __atomic_load_n(&sl->stalls, __ATOMIC_RELAXED);
	o->crypto_err = __atomic_load_n(&sl->crypto_err, __ATOMIC_RELAXED);
	o->ipsec = __atomic_load_n(&sl->ipsec, __ATOMIC_RELAXED);
	o->no_sa = __atomic_load_n(&sl->no_sa, __ATOMIC_RELAXED);
	o->next_seq = __atomic_load_n(&sl->seq, __ATOMIC_RELAXED);
	o->depart.count = __atomic_load_n(&sl->depart.count, __ATOMIC_RELAXED);
	o->depart.sum_ns = __atomic_load_n(&sl->depart.sum_ns, __ATOMIC_RELAXED);
	o->depart.max_ns = __atomic_load_n(&sl->depart.max_ns, __ATOMIC_RELAXED);
	for (unsigned b = 0; b < TW_DP_HIST_BUCKETS; b++)
		o->depart.bucket[b] = __atomic_load_n(&sl->depart.bucket[b], __ATOMIC_RELAXED);
}

static void hist_merge(struct tw_dp_hist *a, const struct tw_dp_hist *b)
{
	a->count += b->count;
	a->sum_ns += b->sum_ns;
	if (b->max_ns > a->max_ns)
		a->max_ns = b->max_ns;
	for (unsigned i = 0; i < TW_DP_HIST_BUCKETS; i++)
		a->bucket[i] += b->bucket[i];
}

static void stats_add(struct tw_send_stats *t, const struct tw_send_stream_stats *o)
{
	t->sent += o->sent;
	t->tx_drop += o->tx_drop;
	t->late += o->late;
	t->stalls += o->stalls;
	t->crypto_err += o->crypto_err;
	t->ipsec += o->ipsec;
	t->no_sa += o->no_sa;
	hist_merge(&t->depart, &o->depart);
}

int tw_send_stream_del(struct tw_send *s, uint32_t id)
{
	static struct tw_send_stream_stats o; /* 4 KB; control thread only */
	uint32_t state;

	if (s == NULL || id >= s->conf.max_streams)
		return -ENOENT;
	state = __atomic_load_n(&s->slots[id].state, __ATOMIC_ACQUIRE);
	if (state == TW_SEND_S_FREE)
		return -ENOENT;
	if (state != TW_SEND_S_DONE)
		return -EBUSY;
	slot_stats(&s->slots[id], &o);
	stats_add(&s->gone, &o);
	s->gone.streams_done++;
	slot_release(&s->slots[id]);
	__atomic_store_n(&s->slots[id].state, TW_SEND_S_FREE, __ATOMIC_RELEASE);
	return 0;
}

int tw_send_stream_get(const struct tw_send *s, uint32_t id,
		       struct tw_send_stream_stats *out)
{
	if (s == NULL || out == NULL)
		return -EINVAL;
	if (id >= s->conf.max_streams ||
	    __atomic_load_n(&s->slots[id].state, __ATOMIC_ACQUIRE) == TW_SEND_S_FREE)
		return -ENOENT;
	slot_stats(&s->slots[id], out);
	return 0;
}

unsigned tw_send_drain(struct tw_send *s, struct tw_send_rec *out, unsigned max)
{
	if (s == NULL || out == NULL || max == 0)
		return 0;
	return rte_ring_sc_dequeue_burst_elem(s->recs, out, sizeof(*out), max, NULL);
}

int tw_send_stats_get(const struct tw_send *s, struct tw_send_stats *out)
{
	static struct tw_send_stream_stats o;

	if (s == NULL || out == NULL)
		return -EINVAL;
	*out = s->gone;
	out->streams_added = s->added;
	out->running = 0;
	for (uint32_t i = 0; i < s->conf.max_streams; i++) {
		if (__atomic_load_n(&s->slots[i].state, __ATOMIC_ACQUIRE) == TW_SEND_S_FREE)
			continue;
		slot_stats(&s->slots[i], &o);
		stats_add(out, &o);
		if (o.state == TW_SEND_S_RUNNING)
			out->running++;
		else if (o.state == TW_SEND_S_DONE)
			out->streams_done++;
	}
	return 0;
}

/* ---- telemetry ---- */

static rte_spinlock_t tel_lock = RTE_SPINLOCK_INITIALIZER;
static struct tw_send *tel_s;
static bool tel_registered;

static void tel_counters(struct rte_tel_data *d, uint64_t sent, uint64_t tx_drop,
			 uint64_t late, uint64_t stalls, uint64_t crypto_err, uint64_t ipsec,
			 uint64_t no_sa)
{
	rte_tel_data_add_dict_u64(d, "ipsec", ipsec);
	rte_tel_data_add_dict_u64(d, "no_sa", no_sa);
	rte_tel_data_add_dict_u64(d, "sent", sent);
	rte_tel_data_add_dict_u64(d, "tx_drop", tx_drop);
	rte_tel_data_add_dict_u64(d, "late", late);
	rte_tel_data_add_dict_u64(d, "stalls", stalls);
	rte_tel_data_add_dict_u64(d, "crypto_err", crypto_err);
}

static void tel_hist(struct rte_tel_data *d, const struct tw_dp_hist *h)
{
	rte_tel_data_add_dict_u64(d, "depart_count", h->count);
	rte_tel_data_add_dict_u64(d, "depart_mean_ns", h->count ? h->sum_ns / h->count : 0);
	rte_tel_data_add_dict_u64(d, "depart_p50_ns", tw_dp_hist_quantile(h, 0.5));
	rte_tel_data_add_dict_u64(d, "depart_p99_ns", tw_dp_hist_quantile(h, 0.99));
	rte_tel_data_add_dict_u64(d, "depart_max_ns", h->max_ns);
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static struct tw_send_stats st;
	int rc = -ENODEV;

	(void)cmd;
	(void)params;
	rte_spinlock_lock(&tel_lock);
	if (tel_s != NULL && tw_send_stats_get(tel_s, &st) == 0) {
		rte_tel_data_start_dict(d);
		tel_counters(d, st.sent, st.tx_drop, st.late, st.stalls, st.crypto_err, st.ipsec,
			     st.no_sa);
		rte_tel_data_add_dict_u64(d, "streams_added", st.streams_added);
		rte_tel_data_add_dict_u64(d, "streams_done", st.streams_done);
		rte_tel_data_add_dict_u64(d, "running", st.running);
		rte_tel_data_add_dict_string(d, "where", tel_s->dedicated ? "sender lcore" :
					     "worker 0");
		tel_hist(d, &st.depart);
		rc = 0;
	}
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

static int tel_stream(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const states[] = { "free", "added", "running", "done" };
	static struct tw_send_stream_stats st;
	unsigned long id;
	char *end;
	int rc = -EINVAL;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -EINVAL;
	id = strtoul(params, &end, 10);
	if (*end != '\0' || id > UINT32_MAX)
		return -EINVAL;
	rte_spinlock_lock(&tel_lock);
	if (tel_s != NULL && tw_send_stream_get(tel_s, (uint32_t)id, &st) == 0) {
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_string(d, "state", states[st.state & 3]);
		tel_counters(d, st.sent, st.tx_drop, st.late, st.stalls, st.crypto_err, st.ipsec,
			     st.no_sa);
		rte_tel_data_add_dict_u64(d, "next_seq", st.next_seq);
		tel_hist(d, &st.depart);
		rc = 0;
	}
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

int tw_send_telemetry_register(struct tw_send *s)
{
	int rc = 0;

	if (s == NULL)
		return -EINVAL;
	rte_spinlock_lock(&tel_lock);
	if (!tel_registered) {
		rc = rte_telemetry_register_cmd("/twamp/send/stats", tel_stats,
			"Session-Sender totals: sent, tx drops, late departures, departure error. No parameters");
		if (rc == 0)
			rc = rte_telemetry_register_cmd("/twamp/send/stream", tel_stream,
				"One sender stream: state, counters, departure error. Parameter: stream id");
		tel_registered = rc == 0;
	}
	if (rc == 0)
		tel_s = s;
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

void tw_send_destroy(struct tw_send *s)
{
	if (s == NULL)
		return;
	rte_spinlock_lock(&tel_lock);
	if (tel_s == s)
		tel_s = NULL;
	rte_spinlock_unlock(&tel_lock);
	if (s->dp != NULL && !s->dedicated && !s->dp->started)
		tw_dp_set_worker_hook(s->dp, NULL, NULL);
	for (uint32_t i = 0; s->slots != NULL && i < s->conf.max_streams; i++)
		if (s->slots[i].state != TW_SEND_S_FREE)
			slot_release(&s->slots[i]);
	tw_crypto_engine_destroy(s->eng_ctl);
	tw_crypto_engine_destroy(s->eng_tx);
	rte_ring_free(s->cmd);
	rte_ring_free(s->recs);
	rte_free(s->heap);
	rte_free(s->slots);
	rte_free(s);
}

/* ---- next hop (rtnetlink on the TAP) ---- */

/* Make the kernel resolve @nh: one empty UDP datagram to its discard port. */
static void neigh_probe(const char *ifname, int family, const uint8_t *nh)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(9);
		memcpy(&a->sin_addr, nh, 4);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(9);
		memcpy(&a->sin6_addr, nh, 16);
		a->sin6_scope_id = if_nametoindex(ifname);
		sl = sizeof(*a);
	}
	setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname));
	(void)sendto(fd, "", 0, 0, (struct sockaddr *)&ss, sl);
	close(fd);
}

int tw_send_nexthop(struct tw_dp *dp, unsigned port, int family, const uint8_t dst[16],
		    bool probe, uint8_t mac[6], uint8_t nexthop[16])
{
	struct tw_dp_port_info pi;
	uint8_t nh[16] = { 0 };
	unsigned ifindex;
	int rc;

	if (dp == NULL || dst == NULL || mac == NULL ||
	    (family != AF_INET && family != AF_INET6) ||
	    tw_dp_port_info(dp, port, &pi) != 0)
		return -EINVAL;
	if (pi.tap_ifname[0] == '\0')
		return -ENODEV;
	ifindex = if_nametoindex(pi.tap_ifname);
	if (ifindex == 0)
		return -ENODEV;
	rc = tw_dp_nl_route_nexthop(ifindex, family, dst, nh);
	if (rc != 0)
		return rc;
	if (nexthop != NULL)
		memcpy(nexthop, nh, 16);
	rc = tw_dp_nl_neigh_get(ifindex, family, nh, mac);
	if ((rc == -EAGAIN || rc == -EHOSTUNREACH) && probe) {
		neigh_probe(pi.tap_ifname, family, nh);
		return -EAGAIN;
	}
	return rc;
}
