/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker side: ESP / ESP-in-UDP / AH in, the inner packet out; replies protected. */

#include <errno.h>
#include <string.h>

#include <rte_cryptodev.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_ipsec.h>
#include <rte_mbuf.h>

#include "ipsec_priv.h"

#define BURST 32u
#define L2_MAX 18u
#define ETH_P_IPV4 0x0800u
#define ETH_P_IPV6 0x86ddu
#define ETH_P_VLAN 0x8100u

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The saved L2 header (Ethernet, or with one VLAN tag) back in front:
 * constant-size copies the compiler inlines */
static inline void l2_put(uint8_t *h, const uint8_t *l2, unsigned l2len)
{
	if (l2len == 14)
		memcpy(h, l2, 14);
	else
		memcpy(h, l2, L2_MAX);
}

/* RFC 6040 §4.2 (normal mode): the outer ECN field @p ods (the outer DS
 * octet as it arrived) onto the inner IP header @p ih of a decapsulated
 * packet (@p len octets); the inner DSCP stays (RFC 4301 §5.1.2.1). false:
 * the packet must be dropped (CE over Not-ECT). */
static inline bool ecn_decap(uint8_t ods, uint8_t *ih, uint32_t len)
{
	uint8_t ids;
	int ecn;

	if (len < 20)
		return true;   /* not an IP packet: the worker drops it */
	ids = tw_ipsec_ds_get(ih);
	ecn = tw_ipsec_ecn_decap(ods, ids);
	if (ecn == TW_ECN_DROP)
		return false;
	if ((unsigned)ecn != (ids & 3u))
		tw_ipsec_ds_set(ih, (uint8_t)((ids & 0xfcu) | (unsigned)ecn));
	return true;
}

/* librte_ipsec on one SA's packets: @p mb reordered, the first (return
 * value) done; failed crypto is marked RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED. */
static uint16_t run(struct tw_ipsec *ctx, unsigned worker, struct ipsec_sa *sa,
		    struct rte_mbuf **mb, uint16_t n, uint16_t *n_prep)
{
	struct rte_crypto_op *cop[BURST], *dop[BURST];
	struct rte_mbuf *done[BURST];
	uint16_t k, enq, got = 0, j;

	if (ctx->action == TW_IPSEC_ACT_CPU_CRYPTO) {
		k = rte_ipsec_pkt_cpu_prepare(&sa->ss, mb, n);
		*n_prep = k;
		return rte_ipsec_pkt_process(&sa->ss, mb, k);
	}
	/* lookaside NONE: the worker's own queue pair; software PMDs complete
	 * within the dequeue loop */
	if (rte_crypto_op_bulk_alloc(ctx->op_pool, RTE_CRYPTO_OP_TYPE_SYMMETRIC, cop, n) == 0) {
		*n_prep = 0;
		return 0;
	}
	k = rte_ipsec_pkt_crypto_prepare(&sa->ss, mb, cop, n);
	*n_prep = k;
	for (j = k; j < n; j++)
		rte_crypto_op_free(cop[j]);
	/* the queue pair is this worker's and holds 2048: it takes a burst */
	for (enq = 0; enq < k;)
		enq = (uint16_t)(enq + rte_cryptodev_enqueue_burst(sa->dev_id, (uint16_t)worker,
								     cop + enq,
								     (uint16_t)(k - enq)));
	while (got < enq)
		got = (uint16_t)(got + rte_cryptodev_dequeue_burst(sa->dev_id, (uint16_t)worker,
								   dop + got,
								   (uint16_t)(enq - got)));
	for (j = 0; j < enq; j++) {
		done[j] = dop[j]->sym->m_src;
		if (dop[j]->status != RTE_CRYPTO_OP_STATUS_SUCCESS)
			done[j]->ol_flags |= RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED;
		rte_crypto_op_free(dop[j]);
	}
	memcpy(mb, done, (size_t)enq * sizeof(mb[0]));
	return rte_ipsec_pkt_process(&sa->ss, mb, enq);
}

/* The packets of SA sa_of[i] from @p i on, in arrival order, into @p grp
 * (their sa_of[] cleared): one librte_ipsec call per SA in a burst. */
static uint16_t take_sa(struct ipsec_sa **sa_of, struct rte_mbuf **pkts, uint16_t i,
			uint16_t n, struct rte_mbuf **grp)
{
	struct ipsec_sa *sa = sa_of[i];
	uint16_t g = 0;

	for (uint16_t j = i; j < n; j++)
		if (sa_of[j] == sa) {
			grp[g++] = pkts[j];
			sa_of[j] = NULL;
		}
	return g;
}

/* RFC 3948 §2.2: a UDP payload starting with 4 zero octets is IKE; §2.3:
 * one 0xff octet is a NAT-keepalive. Both belong to the host. */
static inline bool udp_is_esp(const uint8_t *udp, uint32_t avail)
{
	uint16_t ulen = be16(udp + 4);

	if (avail < 8 + 8 || ulen < 8 + 8)
		return false;
	return be32(udp + 8) != 0;
}

/* RFC 4302 §3.4: AH in application code, one packet at a time (no crypto
 * device: HMAC in the worker). The mbuf must be one segment. */
static void ah_in(struct tw_ipsec *ctx, unsigned worker, struct rte_mbuf *m,
		  uint8_t *ip, unsigned ipv, const uint8_t *dst, uint8_t *verdict,
		  void **reply)
{
	unsigned l2len = m->l2_len, hl = m->l3_len;   /* the classifier's */
	uint32_t avail = rte_pktmbuf_data_len(m) - l2len, o, ol;
	struct tw_keys_5t k;
	struct ipsec_sa *sa;
	uint8_t l2[L2_MAX], *h, ods = tw_ipsec_ds_get(ip);
	void *d;

	if (hl < (ipv == 4 ? 20u : 40u) || avail < hl + 12u)
		return;
	sa_key(&k, TW_IPSEC_IN, TW_IPSEC_AH, be32(ip + hl + 4), ipv, dst);
	if (tw_keys_lookup(ctx->sas, &k, &d) != 0) {
		*verdict = TW_IPSEC_V_HOST;   /* the host's own AH */
		return;
	}
	sa = d;
	*verdict = TW_IPSEC_V_DROP;
	*reply = sa;
	if (!rte_pktmbuf_is_contiguous(m)) {
		sa->cnt[worker].errors++;
		return;
	}
	/* the engine counts its verdicts (tw_ipsec_ah_stats) */
	if (tw_ipsec_ah_inbound(sa->ah, ip, avail, &o, &ol) != 0)
		return;
	/* the L2 header right before what remains (inner packet or the
	 * moved-up IP header), the rest trimmed */
	memcpy(l2, ip - l2len, l2len);
	h = (uint8_t *)rte_pktmbuf_adj(m, (uint16_t)o);
	memcpy(h, l2, l2len);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - l2len - ol));
	put16(h + l2len - 2, (h[l2len] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IPV4);
	m->l3_len = (uint16_t)((h[l2len] >> 4) == 6 ? 40u : (h[l2len] & 0xfu) * 4u);
	m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
	if (sa->tunnel && !ecn_decap(ods, h + l2len, ol)) {
		sa->cnt[worker].ecn_drop++;
		return;
	}
	*verdict = TW_IPSEC_V_INNER;
}

uint16_t tw_ipsec_dp_inbound(struct tw_ipsec *ctx, unsigned worker,
			     struct rte_mbuf **pkts, uint16_t n,
			     uint8_t verdict[], void *reply[])
{
	struct ipsec_sa *sa_of[BURST];
	uint8_t l2[BURST][L2_MAX];
	uint8_t ods[BURST];   /* outer DS octets: librte_ipsec drops the header */
	uint32_t olen[BURST];
	uint16_t n_inner = 0;
	/* the last SA found: a burst is mostly one flow, one lookup serves it */
	uint32_t last_spi = 0;
	uint8_t last_dst[16];
	unsigned last_ipv = 0;
	struct ipsec_sa *last = NULL;

	if (n > BURST)
		n = BURST;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t len = rte_pktmbuf_data_len(m), off, tot, esp;
		uint8_t *ip;
		const uint8_t *dst;
		unsigned ipv, proto;
		struct tw_keys_5t k;
		struct ipsec_sa *sa;
		uint32_t spi;
		void *d;

		verdict[i] = TW_IPSEC_V_NOT_OURS;
		reply[i] = NULL;
		sa_of[i] = NULL;
		off = (uint32_t)m->l2_len + m->l3_len;
		if (m->l2_len > L2_MAX || off + 8 > len)
			continue;
		ip = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
		ipv = ip[0] >> 4;
		if (ipv == 4) {
			proto = ip[9];
			dst = ip + 16;
			tot = be16(ip + 2);
		} else if (ipv == 6) {
			proto = ip[6];
			dst = ip + 24;
			tot = 40u + be16(ip + 4);
		} else {
			continue;
		}
		if (proto == TW_IPSEC_AH_PROTO) {
			ah_in(ctx, worker, m, ip, ipv, dst, &verdict[i], &reply[i]);
			n_inner += verdict[i] == TW_IPSEC_V_INNER;
			continue;
		}
		if (proto == 17) {
			if (!udp_is_esp(f + off, len - off))
				continue;
			esp = off + 8;
		} else if (proto == 50) {
			esp = off;
		} else {
			continue;
		}
		if (esp + 8 > len)
			continue;
		/* RFC 4303 §2.1: the SPI with the destination names the SA */
		spi = be32(f + esp);
		if (last != NULL && spi == last_spi && ipv == last_ipv &&
		    (ipv == 4 ? memcmp(dst, last_dst, 4) : memcmp(dst, last_dst, 16)) == 0) {
			sa = last;
		} else {
			sa_key(&k, TW_IPSEC_IN, TW_IPSEC_ESP, spi, ipv, dst);
			if (tw_keys_lookup(ctx->sas, &k, &d) != 0) {
				/* the host's own Child SA (DESIGN.md §5) */
				verdict[i] = TW_IPSEC_V_HOST;
				continue;
			}
			sa = last = d;
			last_spi = spi;
			last_ipv = ipv;
			memcpy(last_dst, dst, ipv == 4 ? 4 : 16);
		}
		verdict[i] = TW_IPSEC_V_DROP;
		reply[i] = sa;
		/* Ethernet padding after the IP packet: the ICV is at its end */
		if (m->l2_len + tot < m->pkt_len)
			rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - m->l2_len - tot));
		olen[i] = m->pkt_len - esp;
		if (sa->encap_udp != (proto == 17) || m->l2_len + tot > m->pkt_len ||
		    olen[i] < sa->min_len ||
		    (sa->block > 4 && (olen[i] - sa->min_len + 2) % sa->block != 0)) {
			sa->cnt[worker].bad++;
			continue;
		}
		m->l3_len = (uint16_t)(esp - m->l2_len);
		m->hash.usr = i;   /* the RSS hash is not needed any more */
		/* a constant size (no libc call): the frame holds more than
		 * L2_MAX octets (off + 8 <= len, l3_len >= 20) */
		memcpy(l2[i], f, L2_MAX);
		ods[i] = tw_ipsec_ds_get(ip);
		sa_of[i] = sa;
	}
	/* one librte_ipsec call per SA present, packets in arrival order */
	for (uint16_t i = 0; i < n; i++) {
		struct ipsec_sa *sa = sa_of[i];
		struct rte_mbuf *grp[BURST];
		uint16_t g, ok, prep, np = 0;
		uint64_t octets = 0;

		if (sa == NULL)
			continue;
		g = take_sa(sa_of, pkts, i, n, grp);
		ok = run(ctx, worker, sa, grp, g, &prep);
		for (uint16_t j = ok; j < g; j++) {
			/* lengths were checked above: a failure is either the
			 * ICV or the sequence number */
			if (grp[j]->ol_flags & RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED)
				sa->cnt[worker].auth_fail++;   /* RFC 4303 §3.4.4 */
			else
				sa->cnt[worker].replay_drop++; /* RFC 4303 §3.4.3 */
		}
		for (uint16_t j = 0; j < ok; j++) {
			struct rte_mbuf *m = grp[j];
			unsigned x = m->hash.usr, l2len;
			uint8_t *h;

			l2len = (unsigned)(be16(l2[x] + 12) == ETH_P_VLAN ? 18 : 14);
			if (sa->tunnel) {
				/* RFC 4301 §5.2: the inner packet, behind the
				 * original L2 header */
				uint8_t *ih = rte_pktmbuf_mtod(m, uint8_t *);
				unsigned inner = ih[0] >> 4;

				if (!ecn_decap(ods[x], ih, rte_pktmbuf_data_len(m))) {
					sa->cnt[worker].ecn_drop++;
					continue;
				}
				h = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)l2len);
				if (h == NULL) {
					sa->cnt[worker].errors++;
					continue;
				}
				l2_put(h, l2[x], l2len);
				put16(h + l2len - 2, inner == 6 ? ETH_P_IPV6 : ETH_P_IPV4);
			} else {
				h = rte_pktmbuf_mtod(m, uint8_t *);
				if ((h[l2len] >> 4) == 4) {
					struct rte_ipv4_hdr *v4 = (void *)(h + l2len);

					v4->hdr_checksum = 0;
					v4->hdr_checksum = rte_ipv4_cksum(v4);
				}
			}
			m->l2_len = (uint16_t)l2len;
			m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK |
					 RTE_MBUF_F_RX_SEC_OFFLOAD);
			np++;
			octets += olen[x];
			verdict[x] = TW_IPSEC_V_INNER;
			n_inner++;
		}
		/* one counter update per SA and burst */
		sa->cnt[worker].packets += np;
		sa->cnt[worker].octets += octets;
	}
	return n_inner;
}

void tw_ipsec_dp_inner_drop(struct tw_ipsec *ctx, unsigned worker, void *reply)
{
	struct ipsec_sa *sa = reply;

	(void)ctx;
	if (sa != NULL)
		sa->cnt[worker].inner_drop++;
}

static bool ts_any(const struct tw_ipsec_ts *ts, unsigned n, unsigned ipv, const uint8_t *a,
		   uint8_t proto, uint16_t port)
{
	if (n == 0)
		return true;   /* no selectors (static SA): not checked */
	for (unsigned i = 0; i < n; i++)
		if (tw_ipsec_ts_holds(&ts[i], ipv, a, proto, port))
			return true;
	return false;
}

/* RFC 4301 §5.2 (step 4 of inbound processing): the decrypted packet must
 * match the SA's selectors, else it is discarded and counted */
bool tw_ipsec_dp_inner_ok(struct tw_ipsec *ctx, unsigned worker, void *reply, unsigned ipv,
			  const uint8_t *src, const uint8_t *dst, uint8_t proto,
			  uint16_t sport, uint16_t dport)
{
	struct ipsec_sa *sa = reply;

	(void)ctx;
	if (sa == NULL)
		return true;
	if (ts_any(sa->conf.ts_local, sa->conf.n_ts_local, ipv, dst, proto, dport) &&
	    ts_any(sa->conf.ts_remote, sa->conf.n_ts_remote, ipv, src, proto, sport))
		return true;
	sa->cnt[worker].ts_mismatch++;
	return false;
}

/* Outer headers after librte_ipsec: the IPv4 checksum, the UDP length and
 * (IPv6) checksum of RFC 3948 encapsulation. */
static void outer_fix(const struct ipsec_sa *sa, uint8_t *ip, uint32_t ip_len)
{
	unsigned hl = sa->ipv == 4 ? 20u : 40u;

	if (sa->encap_udp) {
		uint8_t *udp = ip + hl;

		put16(udp + 4, ip_len - hl);
		udp[6] = udp[7] = 0;   /* RFC 3948 §2.1: zero over IPv4 */
		if (sa->ipv == 6) {
			uint16_t ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, udp);

			memcpy(udp + 6, &ck, 2);
		}
	}
	if (sa->ipv == 4) {
		struct rte_ipv4_hdr *v4 = (void *)ip;

		v4->hdr_checksum = 0;
		v4->hdr_checksum = rte_ipv4_cksum(v4);
	}
}

/* RFC 4302 §3.3: the reply (L2 + IP packet of @p tot octets) protected
 * with AH in place; the IP packet goes through a stack copy because the
 * output grows in front of it. 0 or -1 (counted). */
static int ah_out(struct ipsec_sa *sa, unsigned worker, struct rte_mbuf *m,
		  const uint8_t *l2, unsigned l2len, unsigned tot)
{
	uint8_t tmp[RTE_MBUF_DEFAULT_DATAROOM];
	unsigned grow = tw_ipsec_ah_hdr_len(sa->ah) + (sa->tunnel ? (sa->ipv == 4 ? 20u : 40u) : 0);
	uint8_t *h;
	int rc;

	if (!rte_pktmbuf_is_contiguous(m) || tot > sizeof(tmp) ||
	    rte_pktmbuf_data_len(m) < l2len + tot) {
		sa->cnt[worker].errors++;
		return -1;
	}
	memcpy(tmp, rte_pktmbuf_mtod_offset(m, uint8_t *, l2len), tot);
	h = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)grow);
	if (h == NULL) {
		sa->cnt[worker].errors++;
		return -1;
	}
	memcpy(h, l2, l2len);
	put16(h + l2len - 2, sa->ipv == 6 ? ETH_P_IPV6 : ETH_P_IPV4);
	/* the engine counts packets, octets and sequence exhaustion */
	rc = tw_ipsec_ah_outbound(sa->ah, tmp, tot, h + l2len, tot + grow);
	if (rc < 0) {
		if (rc != -EOVERFLOW)
			sa->cnt[worker].errors++;
		return -1;
	}
	m->l2_len = (uint16_t)l2len;
	m->l3_len = (uint16_t)(sa->ipv == 4 ? 20u : 40u);
	return 0;
}

/* Protect @p pkts: each with the outbound SA its reply handle pairs with
 * (@p direct false: hd[i] is an inbound SA), or with hd[i] itself (true:
 * locally originated packets, hd[i] an outbound SA). */
static uint16_t outbound(struct tw_ipsec *ctx, unsigned worker, struct rte_mbuf **pkts,
			 void *hd[], uint16_t n, bool direct)
{
	struct ipsec_sa *sa_of[BURST];
	struct rte_mbuf *good[BURST], *bad[BURST], *orig[BURST];
	uint8_t l2[BURST][L2_MAX], done[BURST] = { 0 };
	uint16_t ng = 0, nb = 0;

	if (n > BURST)
		n = BURST;
	memcpy(orig, pkts, (size_t)n * sizeof(pkts[0]));
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct ipsec_sa *in = direct ? NULL : hd[i], *out;
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
		unsigned l2len, ihl, tot;

		sa_of[i] = NULL;
		out = direct ? hd[i] : in != NULL ? __atomic_load_n(&in->reply, __ATOMIC_ACQUIRE) :
		      NULL;
		if (out == NULL) {
			if (in != NULL)
				in->cnt[worker].no_reply_sa++;
			continue;
		}
		l2len = be16(f + 12) == ETH_P_VLAN ? 18u : 14u;
		if (rte_pktmbuf_data_len(m) < l2len + 40u) {
			out->cnt[worker].errors++;
			continue;
		}
		if ((f[l2len] >> 4) == 4) {
			ihl = (f[l2len] & 0xfu) * 4u;
			tot = be16(f + l2len + 2);
		} else {
			ihl = 40;
			tot = 40u + be16(f + l2len + 4);
		}
		if (l2len + tot < m->pkt_len)
			rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - l2len - tot));
		/* constant size: data_len >= l2len + 40 > L2_MAX */
		memcpy(l2[i], f, L2_MAX);
		if (out->ah != NULL) {
			if (ah_out(out, worker, m, l2[i], l2len, tot) == 0) {
				done[i] = 1;
				good[ng++] = m;
			}
			continue;
		}
		if (out->tunnel) {
			rte_pktmbuf_adj(m, (uint16_t)l2len);
			m->l2_len = 0;
		} else {
			m->l2_len = (uint16_t)l2len;
		}
		m->l3_len = (uint16_t)ihl;
		m->hash.usr = i;
		sa_of[i] = out;
	}
	for (uint16_t i = 0; i < n; i++) {
		struct ipsec_sa *sa = sa_of[i];
		struct rte_mbuf *grp[BURST];
		uint16_t g, ok, prep, np = 0;
		uint64_t octets = 0;

		if (sa == NULL)
			continue;
		g = take_sa(sa_of, pkts, i, n, grp);
		ok = run(ctx, worker, sa, grp, g, &prep);
		for (uint16_t j = ok; j < g; j++) {
			/* RFC 4303 §3.3.3: no cycling of the sequence number */
			if (j >= prep && rte_errno == ERANGE)
				sa->cnt[worker].seq_overflow++;
			else
				sa->cnt[worker].errors++;
		}
		for (uint16_t j = 0; j < ok; j++) {
			struct rte_mbuf *m = grp[j];
			unsigned x = m->hash.usr, l2len;
			uint8_t *h;

			l2len = be16(l2[x] + 12) == ETH_P_VLAN ? 18u : 14u;
			if (sa->tunnel) {
				h = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)l2len);
				if (h == NULL) {
					sa->cnt[worker].errors++;
					continue;
				}
				l2_put(h, l2[x], l2len);
				put16(h + l2len - 2, sa->ipv == 6 ? ETH_P_IPV6 : ETH_P_IPV4);
				m->l2_len = (uint16_t)l2len;
				outer_fix(sa, h + l2len, m->pkt_len - l2len);
			} else {
				h = rte_pktmbuf_mtod(m, uint8_t *);
				if (sa->ipv == 4) {
					struct rte_ipv4_hdr *v4 = (void *)(h + l2len);

					v4->hdr_checksum = 0;
					v4->hdr_checksum = rte_ipv4_cksum(v4);
				}
			}
			np++;
			octets += m->pkt_len - l2len;
			done[x] = 1;
			good[ng++] = m;
		}
		sa->cnt[worker].packets += np;
		sa->cnt[worker].octets += octets;
	}
	/* everything not in good[] failed */
	for (uint16_t i = 0; i < n; i++)
		if (!done[i])
			bad[nb++] = orig[i];
	memcpy(pkts, good, (size_t)ng * sizeof(pkts[0]));
	memcpy(pkts + ng, bad, (size_t)nb * sizeof(pkts[0]));
	return ng;
}

uint16_t tw_ipsec_dp_outbound(struct tw_ipsec *ctx, unsigned worker,
			      struct rte_mbuf **pkts, void *reply[], uint16_t n)
{
	return outbound(ctx, worker, pkts, reply, n, false);
}

void *tw_ipsec_dp_sa(struct tw_ipsec *ctx, enum tw_ipsec_proto proto, uint32_t spi,
		     unsigned ipv, const uint8_t *dst)
{
	struct tw_keys_5t k;
	void *d;

	if (ctx == NULL || dst == NULL || (ipv != 4 && ipv != 6))
		return NULL;
	sa_key(&k, TW_IPSEC_OUT, proto, spi, ipv, dst);
	return tw_keys_lookup(ctx->sas, &k, &d) == 0 ? d : NULL;
}

uint16_t tw_ipsec_dp_protect(struct tw_ipsec *ctx, unsigned worker,
			     struct rte_mbuf **pkts, void *sa[], uint16_t n)
{
	return outbound(ctx, worker, pkts, sa, n, true);
}
