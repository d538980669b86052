/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>

#include "dp_private.h"

void tw_dp_exc_drain(struct dp_port *p)
{
	struct rte_mbuf *pkts[TW_DP_BURST];
	unsigned n;

	if (p->exc_ring != NULL)
		while ((n = rte_ring_dequeue_burst(p->exc_ring, (void **)pkts,
						   TW_DP_BURST, NULL)) != 0)
			rte_pktmbuf_free_bulk(pkts, n);
	if (p->tap_ring != NULL)
		while ((n = rte_ring_dequeue_burst(p->tap_ring, (void **)pkts,
						   TW_DP_BURST, NULL)) != 0)
			rte_pktmbuf_free_bulk(pkts, n);
}

/* Port -> kernel: the kernel's interface is untagged, so strip the port's VLAN. */
static unsigned port_to_tap(struct dp_port *p, struct tw_dp_stats *st)
{
	struct rte_mbuf *pkts[TW_DP_BURST];
	unsigned n;
	uint16_t sent;

	n = rte_ring_dequeue_burst(p->exc_ring, (void **)pkts, TW_DP_BURST, NULL);
	if (n == 0)
		return 0;
	if (p->conf.vlan != 0)
		for (unsigned i = 0; i < n; i++)
			rte_vlan_strip(pkts[i]);
	sent = rte_eth_tx_burst(p->tap_id, 0, pkts, (uint16_t)n);
	st->cnt[TW_DP_CNT_EXC_IN] += sent;
	if (sent < n) {
		st->drop[TW_DP_DROP_TAP_TX] += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
	return n;
}

/* Kernel -> port: tag for a VLAN port, then to worker 0 through the ring. */
static unsigned tap_to_ring(struct dp_port *p, struct tw_dp_stats *st)
{
	struct rte_mbuf *pkts[TW_DP_BURST];
	uint16_t n, ok = 0;
	unsigned q;

	n = rte_eth_rx_burst(p->tap_id, 0, pkts, TW_DP_BURST);
	if (n == 0)
		return 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (p->conf.vlan != 0) {
			m->vlan_tci = p->conf.vlan;
			if (rte_vlan_insert(&m) != 0) {
				st->drop[TW_DP_DROP_VLAN_INSERT]++;
				rte_pktmbuf_free(m);
				continue;
			}
		}
		pkts[ok++] = m;
	}
	q = rte_ring_enqueue_burst(p->tap_ring, (void **)pkts, ok, NULL);
	if (q < ok) {
		st->drop[TW_DP_DROP_TAP_RING_FULL] += ok - q;
		rte_pktmbuf_free_bulk(pkts + q, ok - q);
	}
	return n;
}

unsigned tw_dp_service(struct tw_dp *dp)
{
	struct dp_worker *svc;
	unsigned moved = 0;
	uint64_t now;

	if (dp == NULL)
		return 0;
	svc = &dp->workers[dp->conf.n_workers];
	for (unsigned i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];

		if (p->tap_id == DP_NO_PORT || !p->tap_started)
			continue;
		moved += port_to_tap(p, &svc->st[i]);
		moved += tap_to_ring(p, &svc->st[i]);
	}
	now = rte_rdtsc();
	if (now >= dp->clock_next) {
		tw_dp_clock_refresh(&dp->clock);
		for (unsigned i = 0; i < dp->n_ports; i++)
			tw_dp_hwts_refresh(dp, &dp->ports[i]);
		dp->clock_next = now + rte_get_tsc_hz();
	}
	return moved;
}

static void *service_main(void *arg)
{
	struct tw_dp *dp = arg;

	while (!__atomic_load_n(&dp->svc_quit, __ATOMIC_ACQUIRE))
		if (tw_dp_service(dp) == 0 && dp->svc_idle_us != 0)
			rte_delay_us_sleep(dp->svc_idle_us);
	return NULL;
}

int tw_dp_service_start(struct tw_dp *dp, uint32_t idle_us)
{
	char name[16];
	int rc;

	if (dp == NULL)
		return -EINVAL;
	if (dp->svc_running)
		return -EBUSY;
	dp->svc_idle_us = idle_us;
	__atomic_store_n(&dp->svc_quit, false, __ATOMIC_RELEASE);
	snprintf(name, sizeof(name), "tw-dp%u-svc", dp->id);
	rc = rte_ctrl_thread_create(&dp->svc_thread, name, NULL, service_main, dp);
	if (rc != 0)
		return -rc;
	dp->svc_running = true;
	return 0;
}

int tw_dp_service_stop(struct tw_dp *dp)
{
	if (dp == NULL)
		return -EINVAL;
	if (!dp->svc_running)
		return 0;
	__atomic_store_n(&dp->svc_quit, true, __ATOMIC_RELEASE);
	pthread_join(dp->svc_thread, NULL);
	dp->svc_running = false;
	return 0;
}
