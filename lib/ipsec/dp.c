/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker side: ESP / ESP-in-UDP in, the inner packet out; replies protected. */

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

static inline int idx_of(struct rte_mbuf *const *pkts, uint16_t n, const struct rte_mbuf *m)
{
	for (uint16_t i = 0; i < n; i++)
		if (pkts[i] == m)
			return i;
	return -1;
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

uint16_t tw_ipsec_dp_inbound(struct tw_ipsec *ctx, unsigned worker,
			     struct rte_mbuf **pkts, uint16_t n,
			     uint8_t verdict[], void *reply[])
{
	struct ipsec_sa *sa_of[BURST];
	uint8_t l2[BURST][L2_MAX];
	uint32_t olen[BURST];
	uint16_t n_inner = 0;

	if (n > BURST)
		n = BURST;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t len = rte_pktmbuf_data_len(m), off, tot, esp;
		const uint8_t *ip, *dst;
		unsigned ipv, proto;
		struct tw_keys_5t k;
		struct ipsec_sa *sa;
		void *d;

		verdict[i] = TW_IPSEC_V_NOT_OURS;
		reply[i] = NULL;
		sa_of[i] = NULL;
		off = (uint32_t)m->l2_len + m->l3_len;
		if (m->l2_len > L2_MAX || off + 8 > len)
			continue;
		ip = f + m->l2_len;
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
		sa_key(&k, TW_IPSEC_IN, TW_IPSEC_ESP, be32(f + esp), ipv, dst);
		if (tw_keys_lookup(ctx->sas, &k, &d) != 0)
			continue;
		sa = d;
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
		memcpy(l2[i], f, m->l2_len);
		sa_of[i] = sa;
	}
	/* one librte_ipsec call per SA present, packets in arrival order */
	for (uint16_t i = 0; i < n; i++) {
		struct ipsec_sa *sa = sa_of[i];
		struct rte_mbuf *grp[BURST];
		uint16_t g = 0, ok, prep;

		if (sa == NULL)
			continue;
		for (uint16_t j = i; j < n; j++)
			if (sa_of[j] == sa) {
				grp[g++] = pkts[j];
				sa_of[j] = NULL;
			}
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
			int x = idx_of(pkts, n, m);
			unsigned l2len;
			uint8_t *h;

			if (x < 0)
				continue;
			l2len = (unsigned)(be16(l2[x] + 12) == ETH_P_VLAN ? 18 : 14);
			if (sa->tunnel) {
				/* RFC 4301 §5.2: the inner packet, behind the
				 * original L2 header */
				unsigned inner = *rte_pktmbuf_mtod(m, const uint8_t *) >> 4;

				h = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)l2len);
				if (h == NULL) {
					sa->cnt[worker].errors++;
					continue;
				}
				memcpy(h, l2[x], l2len);
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
			sa->cnt[worker].packets++;
			sa->cnt[worker].octets += olen[x];
			verdict[x] = TW_IPSEC_V_INNER;
			n_inner++;
		}
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

uint16_t tw_ipsec_dp_outbound(struct tw_ipsec *ctx, unsigned worker,
			      struct rte_mbuf **pkts, void *reply[], uint16_t n)
{
	struct ipsec_sa *sa_of[BURST];
	struct rte_mbuf *good[BURST], *bad[BURST], *orig[BURST];
	uint8_t l2[BURST][L2_MAX];
	uint16_t ng = 0, nb = 0;

	if (n > BURST)
		n = BURST;
	memcpy(orig, pkts, (size_t)n * sizeof(pkts[0]));
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct ipsec_sa *in = reply[i], *out;
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
		unsigned l2len, ihl, tot;

		sa_of[i] = NULL;
		out = in != NULL ? __atomic_load_n(&in->reply, __ATOMIC_ACQUIRE) : NULL;
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
		memcpy(l2[i], f, l2len);
		if (out->tunnel) {
			rte_pktmbuf_adj(m, (uint16_t)l2len);
			m->l2_len = 0;
		} else {
			m->l2_len = (uint16_t)l2len;
		}
		m->l3_len = (uint16_t)ihl;
		sa_of[i] = out;
	}
	for (uint16_t i = 0; i < n; i++) {
		struct ipsec_sa *sa = sa_of[i];
		struct rte_mbuf *grp[BURST];
		uint16_t g = 0, ok, prep;

		if (sa == NULL)
			continue;
		for (uint16_t j = i; j < n; j++)
			if (sa_of[j] == sa) {
				grp[g++] = pkts[j];
				sa_of[j] = NULL;
			}
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
			int x = idx_of(orig, n, m);
			unsigned l2len;
			uint8_t *h;

			if (x < 0)
				continue;
			l2len = be16(l2[x] + 12) == ETH_P_VLAN ? 18u : 14u;
			if (sa->tunnel) {
				h = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)l2len);
				if (h == NULL) {
					sa->cnt[worker].errors++;
					continue;
				}
				memcpy(h, l2[x], l2len);
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
			sa->cnt[worker].packets++;
			sa->cnt[worker].octets += m->pkt_len - l2len;
			good[ng++] = m;
		}
	}
	/* everything not in good[] failed */
	for (uint16_t i = 0; i < n; i++)
		if (idx_of(good, ng, orig[i]) < 0)
			bad[nb++] = orig[i];
	memcpy(pkts, good, (size_t)ng * sizeof(pkts[0]));
	memcpy(pkts + ng, bad, (size_t)nb * sizeof(pkts[0]));
	return ng;
}
