/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "dp_private.h"

#define TW_DP_CNT_ID(name, id, text) id,
static const char *const counter_ids[] = { TW_DP_COUNTERS(TW_DP_CNT_ID) };

const char *tw_dp_counter_name(unsigned counter)
{
	return counter < TW_DP_CNT__MAX ? counter_ids[counter] : "unknown";
}

static inline tw_ntp_t hw_ntp(const struct tw_dp *dp, const struct dp_port *p,
			      const struct rte_mbuf *m)
{
	uint64_t v = *RTE_MBUF_DYNFIELD(m, dp->hw_ts_offset, const rte_mbuf_timestamp_t *);

	if (p->hwts == DP_HWTS_UNIX_US)
		return tw_ntp_from_unix(v / 1000000u, (uint32_t)(v % 1000000u) * 1000u);
	return tw_dp_clock_ntp(&p->hw_clock, v);
}

/* What the NIC already checked (only where the port enabled the offload). */
static inline unsigned parse_flags(const struct rte_mbuf *m)
{
	uint64_t ip = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	unsigned f = 0;

	if (ip == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		f |= TW_DP_PARSE_L3_CKSUM_GOOD;
	else if (ip == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		f |= TW_DP_PARSE_L3_CKSUM_BAD;
	if (l4 == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		f |= TW_DP_PARSE_L4_CKSUM_GOOD;
	else if (l4 == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		f |= TW_DP_PARSE_L4_CKSUM_BAD;
	return f;
}

static void free_counted(struct tw_dp_stats *st, struct rte_mbuf **pkts, uint16_t n,
			 enum tw_dp_drop why)
{
	if (n == 0)
		return;
	st->drop[why] += n;
	rte_pktmbuf_free_bulk(pkts, n);
}

/* Hand packets to the exception ring (or drop them when the port has none). */
static void to_exception(struct dp_port *p, struct tw_dp_stats *st,
			 struct rte_mbuf **pkts, uint16_t n)
{
	unsigned q;

	if (n == 0)
		return;
	if (p->exc_ring == NULL) {
		free_counted(st, pkts, n, TW_DP_DROP_NO_EXCEPTION);
		return;
	}
	q = rte_ring_enqueue_burst(p->exc_ring, (void **)pkts, n, NULL);
	st->cnt[TW_DP_CNT_EXC_QUEUED] += q;
	free_counted(st, pkts + q, (uint16_t)(n - q), TW_DP_DROP_EXC_RING_FULL);
}

static void tx(struct dp_port *p, uint16_t q, struct tw_dp_stats *st,
	       struct rte_mbuf **pkts, uint16_t n, enum tw_dp_counter what)
{
	uint16_t sent;

	if (n == 0)
		return;
	sent = rte_eth_tx_burst(p->port_id, q, pkts, n);
	st->cnt[what] += sent;
	free_counted(st, pkts + sent, (uint16_t)(n - sent), TW_DP_DROP_PORT_TX);
}

/* The handler's replies: TX stamp as late as possible, turnaround, TX burst.
 * The TX stamp callback is the reflector's: only its replies go through it. */
static void reply(struct tw_dp *dp, struct dp_worker *w, unsigned pidx, uint16_t q,
		  unsigned cls, struct rte_mbuf **txp, uint16_t nt, void **hctx)
{
	struct dp_port *p = &dp->ports[pidx];
	uint64_t turn[TW_DP_BURST];
	tw_ntp_t now;
	uint16_t sent;

	now = tw_dp_clock_ntp(&dp->clock, rte_rdtsc());
	if (dp->tx_stamp_fn != NULL && cls == TW_DP_UDP_REFLECTOR)
		dp->tx_stamp_fn(dp->tx_stamp_arg, pidx, txp, nt, now);
	/* replies to ESP: protected after the TX stamp went into the payload */
	if (hctx != NULL) {
		uint16_t ok = dp->esp.out(dp->esp_arg, w->idx, txp, hctx, nt);

		free_counted(&w->st[pidx], txp + ok, (uint16_t)(nt - ok), TW_DP_DROP_HANDLER);
		nt = ok;
	}
	for (uint16_t i = 0; i < nt; i++) {
		int64_t d = tw_ntp_diff_ns(now, tw_dp_rx_ntp(txp[i]));

		turn[i] = d > 0 ? (uint64_t)d : 0;
	}
	sent = rte_eth_tx_burst(p->port_id, q, txp, nt);
	w->st[pidx].cnt[TW_DP_CNT_TX] += sent;
	free_counted(&w->st[pidx], txp + sent, (uint16_t)(nt - sent), TW_DP_DROP_PORT_TX);
	for (uint16_t i = 0; i < sent; i++)
		tw_dp_hist_add(&w->turn, turn[i]);
}

/* Decrypted inner packets are never handed to the kernel: dropped, counted
 * on their SA. */
static __attribute__((noinline)) void
inner_drop(struct tw_dp *dp, struct dp_worker *w, unsigned pidx, struct rte_mbuf *m,
	   void *h)
{
	dp->esp.inner_drop(dp->esp_arg, w->idx, h);
	w->st[pidx].drop[TW_DP_DROP_HANDLER]++;
	rte_pktmbuf_free(m);
}

/* One owner class's handler and its verdicts: TX, exception, drop, consumed.
 * Inlined: the single-class burst is the hot path. @p hctx: the ESP reply
 * handles of decrypted packets (NULL for clear traffic). */
static inline __attribute__((always_inline)) void
owned(struct tw_dp *dp, struct dp_worker *w, unsigned pidx, uint16_t q, unsigned cls,
      struct rte_mbuf **pkts, uint16_t n, struct rte_mbuf **exc, uint16_t *ne,
      void **hctx)
{
	struct rte_mbuf *txp[TW_DP_BURST], *dropp[TW_DP_BURST];
	void *txh[TW_DP_BURST];
	uint8_t verdict[TW_DP_BURST] = { 0 };
	uint16_t nt = 0, nd = 0, nc = 0;

	/* a port released while the burst was parsed (class NONE), or a
	 * class without a handler: the kernel decides */
	if (unlikely(cls >= TW_DP_UDP_CLASS_MAX || dp->udp_fn[cls] == NULL)) {
		for (uint16_t i = 0; i < n; i++) {
			if (hctx != NULL)
				inner_drop(dp, w, pidx, pkts[i], hctx[i]);
			else
				exc[(*ne)++] = pkts[i];
		}
		return;
	}
	dp->udp_fn[cls](dp->udp_arg[cls], w->idx, pidx, pkts, n, verdict);
	for (uint16_t i = 0; i < n; i++) {
		uint8_t v = verdict[i];

		if (likely(v == TW_DP_V_TX)) {
			if (hctx != NULL)
				txh[nt] = hctx[i];
			txp[nt++] = pkts[i];
		} else if (v == TW_DP_V_DROP || v == TW_DP_V_CONSUMED) {
			/* both freed; the consumed ones counted apart */
			dropp[nd++] = pkts[i];
			nc = (uint16_t)(nc + (v == TW_DP_V_CONSUMED));
		} else if (hctx != NULL) {
			inner_drop(dp, w, pidx, pkts[i], hctx[i]);
		} else {
			exc[(*ne)++] = pkts[i];
		}
	}
	if (nd != 0) {
		w->st[pidx].cnt[TW_DP_CNT_CONSUMED] += nc;
		w->st[pidx].drop[TW_DP_DROP_HANDLER] += (uint16_t)(nd - nc);
		rte_pktmbuf_free_bulk(dropp, nd);
	}
	if (nt != 0)
		reply(dp, w, pidx, q, cls, txp, nt, hctx != NULL ? txh : NULL);
}

/* Owned packets of several classes, each packet's class in @p cls (out of
 * range: a port released meanwhile, NONE, which owned() hands on): a burst
 * of one class (the usual case) is one handler call; otherwise one call per
 * class present, each with its packets in arrival order. @p hctx: the ESP
 * reply handles (NULL for clear traffic). */
static __attribute__((noinline)) void
owned_split(struct tw_dp *dp, struct dp_worker *w, unsigned pidx, uint16_t q,
	    struct rte_mbuf **pkts, uint16_t n, const uint8_t *cls, void **hctx,
	    struct rte_mbuf **exc, uint16_t *ne)
{
	struct rte_mbuf *sub[TW_DP_UDP_CLASS_MAX][TW_DP_BURST];
	void *subh[TW_DP_UDP_CLASS_MAX][TW_DP_BURST];
	uint16_t ns[TW_DP_UDP_CLASS_MAX] = { 0 };
	uint8_t c_or = 0, c_and = 0xff;

	for (uint16_t i = 0; i < n; i++) {
		c_or |= cls[i];
		c_and &= cls[i];
	}
	if (c_or == c_and) {
		owned(dp, w, pidx, q, c_or, pkts, n, exc, ne, hctx);
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		uint8_t c = cls[i] < TW_DP_UDP_CLASS_MAX ? cls[i] : TW_DP_UDP_NONE;

		if (hctx != NULL)
			subh[c][ns[c]] = hctx[i];
		sub[c][ns[c]++] = pkts[i];
	}
	for (unsigned c = 0; c < TW_DP_UDP_CLASS_MAX; c++)
		if (ns[c] != 0)
			owned(dp, w, pidx, q, c, sub[c], ns[c], exc, ne,
			      hctx != NULL ? subh[c] : NULL);
}

/* Owned clear packets while several classes own ports: each packet's class
 * from its destination port (read once: every packet goes to exactly one
 * handler). */
static void owned_mixed(struct tw_dp *dp, struct dp_worker *w, unsigned pidx, uint16_t q,
			struct rte_mbuf **pkts, uint16_t n, struct rte_mbuf **exc, uint16_t *ne)
{
	uint8_t cls[TW_DP_BURST];

	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *udp = rte_pktmbuf_mtod_offset(pkts[i], const uint8_t *,
							     pkts[i]->l2_len + pkts[i]->l3_len);

		cls[i] = __atomic_load_n(&dp->udp_class[tw_get_be16(udp + 2)], __ATOMIC_RELAXED);
	}
	owned_split(dp, w, pidx, q, pkts, n, cls, NULL, exc, ne);
}

/* ESP or ESP-in-UDP that the classifier left for the kernel: ours when
 * lib/ipsec has its SA. Not IPv4 fragments (reassembly is the kernel's). */
static inline bool esp_candidate(const struct tw_dp *dp, const struct tw_dp_l34 *l,
				 const struct rte_mbuf *m)
{
	const uint8_t *ip;

	if (dp->esp.in == NULL || l->ipv == 0)
		return false;
	if (l->proto == 17)
		return (__atomic_load_n(&dp->esp_udp[l->dport / 64], __ATOMIC_RELAXED) >>
			(l->dport % 64)) & 1;
	if (l->proto != 50 && l->proto != 51)   /* ESP, AH (RFC 4302) */
		return false;
	ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, l->l2_len);
	return l->ipv == 6 || (tw_get_be16(ip + 6) & 0x3fff) == 0;
}

/* RFC 1122 §3.2.1.2: the IPv4 header checksum of ESP and AH. The
 * classifier checks it only on the UDP path (ESP in UDP among it); the
 * SA's ICV does not cover the outer header (ESP) or leaves the checksum
 * out as mutable (AH, RFC 4302 §3.3.3.1.1.1). */
static inline bool esp_l3_ok(const struct tw_dp_l34 *l, const struct rte_mbuf *m,
			     unsigned flags)
{
	if (l->ipv != 4 || l->proto == 17 || (flags & TW_DP_PARSE_L3_CKSUM_GOOD))
		return true;
	if (flags & TW_DP_PARSE_L3_CKSUM_BAD)
		return false;
	return tw_dp_ipv4_hdr_sum(rte_pktmbuf_mtod_offset(m, const uint8_t *, l->l2_len),
				  l->l3_len) == 0;
}

/* Decrypt, classify the inner packets, run their handlers; the replies
 * leave through the paired outbound SA (reply()). */
static __attribute__((noinline)) void
esp_in(struct tw_dp *dp, struct dp_worker *w, unsigned pidx, uint16_t q,
       struct rte_mbuf **pkts, uint16_t n, struct rte_mbuf **exc, uint16_t *ne)
{
	struct dp_port *p = &dp->ports[pidx];
	struct rte_mbuf *in[TW_DP_BURST];
	void *h[TW_DP_BURST], *ih[TW_DP_BURST];
	uint8_t v[TW_DP_BURST], cls[TW_DP_BURST], single;
	uint16_t ni = 0, nd = 0;

	dp->esp.in(dp->esp_arg, w->idx, pkts, n, v, h);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct tw_dp_l34 l;

		if (v[i] == TW_DP_ESP_NOT_OURS) {
			exc[(*ne)++] = m;
		} else if (v[i] == TW_DP_ESP_HOST) {
			w->st[pidx].cnt[TW_DP_CNT_ESP_HOST]++;
			exc[(*ne)++] = m;
		} else if (v[i] == TW_DP_ESP_INNER) {
			/* the inner packet: the same classifier, checksums checked */
			if (tw_dp_parse(&p->match, rte_pktmbuf_mtod(m, const uint8_t *),
					rte_pktmbuf_data_len(m), 0, &l) != TW_DP_CLS_OWNED) {
				inner_drop(dp, w, pidx, m, h[i]);
				continue;
			}
			if (dp->esp.inner_ok != NULL) {
				const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *,
									    l.l2_len);
				unsigned ao = l.ipv == 4 ? 12 : 8, al = l.ipv == 4 ? 4 : 16;

				if (!dp->esp.inner_ok(dp->esp_arg, w->idx, h[i], l.ipv, ip + ao,
						      ip + ao + al, l.proto, l.sport, l.dport)) {
					/* counted on the SA (ts_mismatch) */
					w->st[pidx].drop[TW_DP_DROP_HANDLER]++;
					rte_pktmbuf_free(m);
					continue;
				}
			}
			m->l2_len = l.l2_len;
			m->l3_len = l.l3_len;
			m->packet_type = (l.vlan ? RTE_PTYPE_L2_ETHER_VLAN : RTE_PTYPE_L2_ETHER) |
					 (l.ipv == 4 ? RTE_PTYPE_L3_IPV4 : RTE_PTYPE_L3_IPV6) |
					 RTE_PTYPE_L4_UDP;
			cls[ni] = __atomic_load_n(&dp->udp_class[l.dport], __ATOMIC_RELAXED);
			ih[ni] = h[i];
			in[ni++] = m;
		} else {
			nd++;
			rte_pktmbuf_free(m);
		}
	}
	w->st[pidx].drop[TW_DP_DROP_HANDLER] += nd;
	if (ni == 0)
		return;
	w->st[pidx].cnt[TW_DP_CNT_OWNED] += ni;
	single = __atomic_load_n(&dp->udp_single, __ATOMIC_ACQUIRE);
	if (single != TW_DP_UDP_NONE)
		owned(dp, w, pidx, q, single, in, ni, exc, ne, ih);
	else
		owned_split(dp, w, pidx, q, in, ni, cls, ih, exc, ne);
}

static uint16_t poll_port(struct tw_dp *dp, struct dp_worker *w, unsigned pidx,
			  uint16_t q)
{
	struct dp_port *p = &dp->ports[pidx];
	struct tw_dp_stats *st = &w->st[pidx];
	struct rte_mbuf *pkts[TW_DP_BURST], *own[TW_DP_BURST], *exc[TW_DP_BURST];
	struct rte_mbuf *bad[TW_DP_BURST], *esp[TW_DP_BURST];
	uint16_t n, no = 0, ne = 0, nb = 0, nesp = 0;
	tw_ntp_t now;
	uint64_t hwflag = dp->hw_ts_flag;

	n = rte_eth_rx_burst(p->port_id, q, pkts, TW_DP_BURST);
	if (n == 0)
		return 0;
	/* RX timestamp before any other work on the burst */
	now = tw_dp_clock_ntp(&dp->clock, rte_rdtsc());
	st->cnt[TW_DP_CNT_RX] += n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		tw_ntp_t *ts = RTE_MBUF_DYNFIELD(m, tw_dp_rx_ntp_offset, tw_ntp_t *);

		if ((m->ol_flags & hwflag) && p->hwts != DP_HWTS_NONE) {
			*ts = hw_ntp(dp, p, m);
			st->cnt[TW_DP_CNT_RX_HW_TS]++;
		} else {
			*ts = now;
		}
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct tw_dp_l34 l;
		enum tw_dp_class c;
		unsigned flags;

		/* a PMD that stripped the tag anyway: put it back, the parser
		 * and the TAP side expect what was on the wire */
		if (unlikely(m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED)) {
			m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
			if (rte_vlan_insert(&pkts[i]) != 0) {
				st->drop[TW_DP_DROP_VLAN_INSERT]++;
				bad[nb++] = pkts[i];
				continue;
			}
			m = pkts[i];
		}

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		flags = parse_flags(m);
		c = tw_dp_parse(&p->match, rte_pktmbuf_mtod(m, const uint8_t *),
				rte_pktmbuf_data_len(m), flags, &l);
		/* headers split over segments: let the kernel judge */
		if (c == TW_DP_CLS_DROP && m->nb_segs > 1 &&
		    (l.drop == TW_DP_DROP_L3_TRUNC || l.drop == TW_DP_DROP_L4_TRUNC))
			c = TW_DP_CLS_EXCEPTION;
		switch (c) {
		case TW_DP_CLS_OWNED:
			m->l2_len = l.l2_len;
			m->l3_len = l.l3_len;
			m->packet_type = (l.vlan ? RTE_PTYPE_L2_ETHER_VLAN : RTE_PTYPE_L2_ETHER) |
					 (l.ipv == 4 ? RTE_PTYPE_L3_IPV4 : RTE_PTYPE_L3_IPV6) |
					 RTE_PTYPE_L4_UDP;
			own[no++] = m;
			break;
		case TW_DP_CLS_EXCEPTION:
			if (unlikely(esp_candidate(dp, &l, m))) {
				if (!esp_l3_ok(&l, m, flags)) {
					st->drop[TW_DP_DROP_L3_CKSUM]++;
					bad[nb++] = m;
					break;
				}
				m->l2_len = l.l2_len;
				m->l3_len = l.l3_len;
				esp[nesp++] = m;
				break;
			}
			exc[ne++] = m;
			break;
		default:
			st->drop[l.drop]++;
			bad[nb++] = m;
			break;
		}
	}
	if (nb != 0)
		rte_pktmbuf_free_bulk(bad, nb);
	if (no != 0) {
		/* while one class owns every owned port (a reflector alone, a
		 * sender alone) no packet needs its class looked up */
		uint8_t single = __atomic_load_n(&dp->udp_single, __ATOMIC_ACQUIRE);

		st->cnt[TW_DP_CNT_OWNED] += no;
		if (likely(single != TW_DP_UDP_NONE))
			owned(dp, w, pidx, q, single, own, no, exc, &ne, NULL);
		else
			owned_mixed(dp, w, pidx, q, own, no, exc, &ne);
	}
	if (nesp != 0)
		esp_in(dp, w, pidx, q, esp, nesp, exc, &ne);
	to_exception(p, st, exc, ne);
	return n;
}

/* Worker 0 transmits what the kernel sent on the TAP: only workers touch port queues. */
static uint16_t tap_to_port(struct dp_port *p, struct tw_dp_stats *st)
{
	struct rte_mbuf *pkts[TW_DP_BURST];
	unsigned n;

	n = rte_ring_dequeue_burst(p->tap_ring, (void **)pkts, TW_DP_BURST, NULL);
	tx(p, 0, st, pkts, (uint16_t)n, TW_DP_CNT_EXC_OUT);
	return (uint16_t)n;
}

int tw_dp_worker_poll(struct tw_dp *dp, unsigned worker)
{
	struct dp_worker *w;
	int total = 0;

	if (dp == NULL || worker >= dp->conf.n_workers)
		return -EINVAL;
	w = &dp->workers[worker];
	for (unsigned i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];

		if (worker < p->nq)
			total += poll_port(dp, w, i, (uint16_t)worker);
		if (worker == 0 && p->tap_ring != NULL)
			total += tap_to_port(p, &w->st[i]);
	}
	if (worker == 0 && dp->hook_fn != NULL)
		total += (int)dp->hook_fn(dp->hook_arg);
	return total;
}

void *tw_dp_worker_arg(struct tw_dp *dp, unsigned worker)
{
	if (dp == NULL || worker >= dp->conf.n_workers)
		return NULL;
	return &dp->workers[worker];
}

int tw_dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct tw_dp *dp = w->dp;

	struct rte_rcu_qsbr *q = dp->conf.qsbr;

	if (q != NULL) {
		if (rte_rcu_qsbr_thread_register(q, w->idx) != 0)
			return -EINVAL;
		rte_rcu_qsbr_thread_online(q, w->idx);
	}
	while (!__atomic_load_n(&dp->quit, __ATOMIC_ACQUIRE)) {
		int n = tw_dp_worker_poll(dp, w->idx);

		if (q != NULL)
			rte_rcu_qsbr_quiescent(q, w->idx);
		if (n == 0 && dp->conf.idle_sleep_us != 0) {
			/* asleep is quiescent: writers need not wait for us */
			if (q != NULL)
				rte_rcu_qsbr_thread_offline(q, w->idx);
			rte_delay_us_sleep(dp->conf.idle_sleep_us);
			if (q != NULL)
				rte_rcu_qsbr_thread_online(q, w->idx);
		}
	}
	if (q != NULL) {
		rte_rcu_qsbr_thread_offline(q, w->idx);
		rte_rcu_qsbr_thread_unregister(q, w->idx);
	}
	return 0;
}

void tw_dp_quit(struct tw_dp *dp)
{
	if (dp != NULL)
		__atomic_store_n(&dp->quit, true, __ATOMIC_RELEASE);
}

bool tw_dp_quitting(const struct tw_dp *dp)
{
	return dp == NULL || __atomic_load_n(&dp->quit, __ATOMIC_ACQUIRE);
}

int tw_dp_stats_sum(const struct tw_dp *dp, int lcore, int port,
		    struct tw_dp_stats *out)
{
	if (dp == NULL || out == NULL || lcore > (int)dp->conf.n_workers ||
	    port >= (int)dp->n_ports)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	for (unsigned w = 0; w <= dp->conf.n_workers; w++) {
		if (lcore >= 0 && (unsigned)lcore != w)
			continue;
		for (unsigned p = 0; p < dp->n_ports; p++) {
			const struct tw_dp_stats *s = &dp->workers[w].st[p];

			if (port >= 0 && (unsigned)port != p)
				continue;
			for (unsigned i = 0; i < TW_DP_CNT__MAX; i++)
				out->cnt[i] += __atomic_load_n(&s->cnt[i], __ATOMIC_RELAXED);
			for (unsigned i = 0; i < TW_DP_DROP__MAX; i++)
				out->drop[i] += __atomic_load_n(&s->drop[i], __ATOMIC_RELAXED);
		}
	}
	return 0;
}

int tw_dp_stats_get(const struct tw_dp *dp, struct tw_dp_stats *out)
{
	return tw_dp_stats_sum(dp, -1, -1, out);
}

int tw_dp_port_index(const struct tw_dp *dp, const char *name)
{
	if (dp == NULL || name == NULL)
		return -EINVAL;
	for (unsigned i = 0; i < dp->n_ports; i++)
		if (strcmp(dp->ports[i].conf.name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int tw_dp_turnaround_get(const struct tw_dp *dp, int lcore, struct tw_dp_hist *out)
{
	if (dp == NULL || out == NULL || lcore >= (int)dp->conf.n_workers)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	for (unsigned w = 0; w < dp->conf.n_workers; w++) {
		const struct tw_dp_hist *h = &dp->workers[w].turn;
		uint64_t mx;

		if (lcore >= 0 && (unsigned)lcore != w)
			continue;
		out->count += __atomic_load_n(&h->count, __ATOMIC_RELAXED);
		out->sum_ns += __atomic_load_n(&h->sum_ns, __ATOMIC_RELAXED);
		mx = __atomic_load_n(&h->max_ns, __ATOMIC_RELAXED);
		if (mx > out->max_ns)
			out->max_ns = mx;
		for (unsigned b = 0; b < TW_DP_HIST_BUCKETS; b++)
			out->bucket[b] += __atomic_load_n(&h->bucket[b], __ATOMIC_RELAXED);
	}
	return 0;
}
