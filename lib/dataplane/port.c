/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "dp_private.h"

RTE_LOG_REGISTER_DEFAULT(tw_dp_logtype, INFO);

/* Process-wide by nature: dynamic mbuf fields are registered once per process. */
int tw_dp_rx_ntp_offset = -1;

#define DEFAULT_DESC 1024
#define DEFAULT_EXC_RING 1024
#define POOL_CACHE 256
#define TAP_DESC 512

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Log and report an error; returns the negative code for chaining. */
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	TW_DP_LOG(ERR, "%s", msg);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return rc;
}

static bool name_ok(const char *n, size_t max)
{
	size_t len = strnlen(n, max);

	if (len == 0 || len >= max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
		      (n[i] >= '0' && n[i] <= '9') || n[i] == '_' || n[i] == '-' ||
		      n[i] == '.'))
			return false;
	return true;
}

static int check_conf(const struct tw_dp_conf *c, char *err, size_t errlen)
{
	if (c == NULL || c->ports == NULL || c->n_ports == 0 ||
	    c->n_ports > TW_DP_PORTS_MAX)
		return fail(err, errlen, -EINVAL, "1 to %d ports needed", TW_DP_PORTS_MAX);
	if (c->n_workers == 0 || c->n_workers > TW_DP_WORKERS_MAX)
		return fail(err, errlen, -EINVAL, "1 to %d workers needed", TW_DP_WORKERS_MAX);
	if (c->qsbr != NULL && c->qsbr->max_threads < c->n_workers)
		return fail(err, errlen, -EINVAL, "QSBR variable has %u threads for %u workers",
			    c->qsbr->max_threads, c->n_workers);
	if (c->exc_ring_size != 0 && !rte_is_power_of_2(c->exc_ring_size))
		return fail(err, errlen, -EINVAL, "exception ring size %u not a power of 2",
			    c->exc_ring_size);
	for (unsigned i = 0; i < c->n_ports; i++) {
		const struct tw_dp_port_conf *p = &c->ports[i];
		unsigned n4 = 0, n6 = 0;

		if (!name_ok(p->name, TW_DP_NAME_MAX))
			return fail(err, errlen, -EINVAL,
				    "port %u: name must be 1-%d of [A-Za-z0-9_.-]", i,
				    TW_DP_NAME_MAX - 1);
		if (p->exception && p->tap_ifname[0] == '\0' &&
		    strlen(p->name) + 3 >= TW_DP_IFNAME_MAX)
			return fail(err, errlen, -EINVAL,
				    "port %s: tw-%s is too long for an interface name; "
				    "give the TAP a name", p->name, p->name);
		if (p->exception && p->tap_ifname[0] != '\0' &&
		    !name_ok(p->tap_ifname, TW_DP_IFNAME_MAX))
			return fail(err, errlen, -EINVAL,
				    "port %s: TAP name must be 1-%d of [A-Za-z0-9_.-]",
				    p->name, TW_DP_IFNAME_MAX - 1);
		if (strnlen(p->device, TW_DP_DEVICE_MAX) == 0 ||
		    strnlen(p->device, TW_DP_DEVICE_MAX) == TW_DP_DEVICE_MAX)
			return fail(err, errlen, -EINVAL, "port %s: no device", p->name);
		if (p->has_mac && (p->mac[0] & 1 || (p->mac[0] | p->mac[1] | p->mac[2] |
						      p->mac[3] | p->mac[4] | p->mac[5]) == 0))
			return fail(err, errlen, -EINVAL, "port %s: MAC must be unicast and non-zero",
				    p->name);
		if (p->vlan > 4094)
			return fail(err, errlen, -EINVAL, "port %s: VLAN %u out of 0..4094",
				    p->name, p->vlan);
		if (p->n_addrs > RTE_DIM(p->addrs))
			return fail(err, errlen, -EINVAL, "port %s: too many addresses", p->name);
		for (unsigned a = 0; a < p->n_addrs; a++) {
			const struct tw_dp_prefix *x = &p->addrs[a];

			if (x->family == AF_INET && x->len <= 32)
				n4++;
			else if (x->family == AF_INET6 && x->len <= 128)
				n6++;
			else
				return fail(err, errlen, -EINVAL,
					    "port %s: address %u: bad family or prefix",
					    p->name, a);
		}
		if (n4 > TW_DP_ADDRS_MAX || n6 > TW_DP_ADDRS_MAX)
			return fail(err, errlen, -EINVAL,
				    "port %s: at most %d addresses per family", p->name,
				    TW_DP_ADDRS_MAX);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(c->ports[j].name, p->name) == 0)
				return fail(err, errlen, -EINVAL, "port %s: duplicate name",
					    p->name);
	}
	return 0;
}

/* Probe a device string unless already present; find its port id. */
static int probe(struct dp_port *p, char *err, size_t errlen)
{
	const char *dev = p->conf.device;
	struct rte_dev_iterator it;
	uint16_t pid;
	int rc;

	rc = rte_dev_probe(dev);
	if (rc == 0)
		p->probed = true;
	else if (rc != -EEXIST)
		return fail(err, errlen, rc, "port %s (%s): probe failed: %s",
			    p->conf.name, dev, rte_strerror(-rc));
	p->port_id = DP_NO_PORT;
	RTE_ETH_FOREACH_MATCHING_DEV(pid, dev, &it) {
		if (p->port_id == DP_NO_PORT)
			p->port_id = pid;
	}
	if (p->port_id == DP_NO_PORT)
		return fail(err, errlen, -ENODEV, "port %s (%s): no ethdev after probe",
			    p->conf.name, dev);
	rte_eth_dev_get_name_by_port(p->port_id, p->devname);
	return 0;
}

static uint16_t desc(uint16_t want, const struct rte_eth_desc_lim *lim)
{
	uint16_t n = want != 0 ? want : DEFAULT_DESC;

	if (lim->nb_max != 0 && n > lim->nb_max)
		n = lim->nb_max;
	if (n < lim->nb_min)
		n = lim->nb_min;
	if (lim->nb_align > 1)
		n = (uint16_t)RTE_ALIGN_CEIL(n, lim->nb_align);
	return n;
}

static void fill_match(struct tw_dp *dp, struct dp_port *p)
{
	struct tw_dp_match *m = &p->match;

	m->vlan = p->conf.vlan;
	m->udp_owned = dp->udp_owned;
	for (unsigned a = 0; a < p->conf.n_addrs; a++) {
		const struct tw_dp_prefix *x = &p->conf.addrs[a];

		if (x->family == AF_INET) {
			/* RFC 1122 §3.2.1.3 (d): the prefix's broadcast is
			 * never a source; RFC 3021: a /31 or /32 has none */
			uint32_t bc = tw_get_be32(x->addr);

			if (x->len < 31)
				bc |= UINT32_MAX >> x->len;
			tw_put_be32(m->v4_bcast[m->n_v4], bc);
			memcpy(m->v4[m->n_v4++], x->addr, 4);
		} else {
			memcpy(m->v6[m->n_v6++], x->addr, 16);
		}
	}
}

/* One (NIC clock, TSC) pair: the TSC midpoint around the clock read. */
static int hwts_sample(const struct dp_port *p, uint64_t *nic, uint64_t *tsc)
{
	uint64_t t0 = rte_rdtsc(), t1;

	if (rte_eth_read_clock(p->port_id, nic) != 0)
		return -1;
	t1 = rte_rdtsc();
	*tsc = t0 + (t1 - t0) / 2;
	return 0;
}

static uint64_t ntp_to_unix_ns(tw_ntp_t t)
{
	int64_t s;
	uint32_t ns;

	tw_ntp_to_unix(t, &s, &ns);
	return (uint64_t)s * 1000000000ull + ns;
}

/*
 * NIC clock -> UTC: its rate against the TSC over ~10 ms, then an anchor
 * through the TSC clock; tw_dp_service() re-anchors it with the rate seen
 * between anchors. Untested here: no virtual PMD offers rte_eth_read_clock.
 */
static void hwts_calibrate(struct tw_dp *dp, struct dp_port *p)
{
	struct tw_dp_clock_anchor a;
	uint64_t c0, c1, t0, t1, hz;

	if (hwts_sample(p, &c0, &t0) != 0) {
		TW_DP_LOG(WARNING, "port %s: RX timestamps but no readable clock; using TSC",
			  p->conf.name);
		p->hwts = DP_HWTS_NONE;
		return;
	}
	rte_delay_us_sleep(10000);
	if (hwts_sample(p, &c1, &t1) != 0 || c1 <= c0 || t1 <= t0) {
		p->hwts = DP_HWTS_NONE;
		return;
	}
	hz = (uint64_t)(((unsigned __int128)(c1 - c0) * tw_dp_clock_hz(&dp->clock)) /
		       (t1 - t0));
	if (tw_dp_clock_anchor_set(&a, c1, ntp_to_unix_ns(tw_dp_clock_ntp(&dp->clock, t1)),
				   hz) != 0) {
		p->hwts = DP_HWTS_NONE;
		return;
	}
	p->hw_clock.nominal_hz = hz;
	tw_dp_clock_publish(&p->hw_clock, &a, tw_dp_clock_errest(&dp->clock));
	p->hw_clock.refreshes = 1;
	TW_DP_LOG(INFO, "port %s: hardware RX timestamps, NIC clock %" PRIu64 " Hz",
		  p->conf.name, hz);
}

void tw_dp_hwts_refresh(struct tw_dp *dp, struct dp_port *p)
{
	struct tw_dp_clock_anchor a;
	uint64_t c, t, ns, prev_ns, hz = p->hw_clock.a.hz;

	if (p->hwts != DP_HWTS_CLOCK || !p->started || hwts_sample(p, &c, &t) != 0)
		return;
	ns = ntp_to_unix_ns(tw_dp_clock_ntp(&dp->clock, t));
	prev_ns = ntp_to_unix_ns(p->hw_clock.a.ntp);
	if (c > p->hw_clock.a.tsc && ns > prev_ns)
		hz = tw_dp_clock_rate(p->hw_clock.nominal_hz, c - p->hw_clock.a.tsc,
				      ns - prev_ns);
	if (tw_dp_clock_anchor_set(&a, c, ns, hz) == 0) {
		tw_dp_clock_publish(&p->hw_clock, &a, tw_dp_clock_errest(&dp->clock));
		p->hw_clock.refreshes++;
	}
}

static int port_setup(struct tw_dp *dp, struct dp_port *p, char *err, size_t errlen)
{
	struct rte_eth_conf ec = { 0 };
	struct rte_eth_dev_info di;
	uint16_t nrx, ntx, ntxq;
	int rc, sock;

	rc = rte_eth_dev_info_get(p->port_id, &di);
	if (rc != 0)
		return fail(err, errlen, rc, "port %s (%s): dev_info: %s", p->conf.name,
			    p->conf.device, rte_strerror(-rc));
	p->nq = (uint16_t)RTE_MIN(RTE_MIN(dp->conf.n_workers, di.max_rx_queues),
				  di.max_tx_queues);
	if (p->nq == 0)
		return fail(err, errlen, -ENOTSUP, "port %s (%s): device has no queues",
			    p->conf.name, p->conf.device);
	if (p->nq > 1 && di.flow_type_rss_offloads != 0) {
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		ec.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & di.flow_type_rss_offloads;
	} else {
		p->nq = 1;
	}
	/* offloads only where the device says it has them */
	if (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)
		ec.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	if (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_UDP_CKSUM)
		ec.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	if (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) {
		ec.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
		p->hwts = DP_HWTS_CLOCK;
	}
	if (strcmp(di.driver_name, "net_pcap") == 0)
		p->hwts = DP_HWTS_UNIX_US; /* fills the field in µs, no capability flag */

	ntxq = p->nq;
	p->sender_q = DP_NO_PORT;
	if (dp->conf.sender_txq && di.max_tx_queues > p->nq) {
		p->sender_q = p->nq; /* the sender's own TX queue, after the workers' */
		ntxq++;
	}
	rc = rte_eth_dev_configure(p->port_id, p->nq, ntxq, &ec);
	if (rc != 0)
		return fail(err, errlen, rc, "port %s (%s): configure: %s", p->conf.name,
			    p->conf.device, rte_strerror(-rc));
	nrx = desc(p->conf.rx_desc, &di.rx_desc_lim);
	ntx = desc(p->conf.tx_desc, &di.tx_desc_lim);
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nrx, &ntx);
	if (rc != 0)
		return fail(err, errlen, rc, "port %s (%s): descriptors: %s", p->conf.name,
			    p->conf.device, rte_strerror(-rc));
	p->conf.rx_desc = nrx;
	p->conf.tx_desc = ntx;
	sock = rte_eth_dev_socket_id(p->port_id);
	if (sock < 0)
		sock = (int)rte_socket_id();
	for (uint16_t q = 0; q < p->nq; q++) {
		struct rte_eth_rxconf rxc = di.default_rxconf;
		struct rte_eth_txconf txc = di.default_txconf;

		rxc.offloads = ec.rxmode.offloads;
		txc.offloads = ec.txmode.offloads;
		rc = rte_eth_rx_queue_setup(p->port_id, q, nrx, (unsigned)sock, &rxc, dp->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(p->port_id, q, ntx, (unsigned)sock, &txc);
		if (rc != 0)
			return fail(err, errlen, rc, "port %s (%s): queue %u setup: %s",
				    p->conf.name, p->conf.device, q, rte_strerror(-rc));
	}
	if (p->sender_q != DP_NO_PORT) {
		struct rte_eth_txconf txc = di.default_txconf;

		txc.offloads = ec.txmode.offloads;
		rc = rte_eth_tx_queue_setup(p->port_id, p->sender_q, ntx, (unsigned)sock, &txc);
		if (rc != 0)
			return fail(err, errlen, rc, "port %s (%s): sender TX queue %u setup: %s",
				    p->conf.name, p->conf.device, p->sender_q, rte_strerror(-rc));
	}
	if (p->conf.has_mac) {
		/* some PMDs (af_packet) change a kernel interface: restore on destroy */
		rc = rte_eth_macaddr_get(p->port_id, &p->orig_mac);
		memcpy(p->mac.addr_bytes, p->conf.mac, RTE_ETHER_ADDR_LEN);
		if (rc == 0)
			rc = rte_eth_dev_default_mac_addr_set(p->port_id, &p->mac);
		if (rc != 0)
			return fail(err, errlen, rc, "port %s (%s): cannot set MAC: %s",
				    p->conf.name, p->conf.device, rte_strerror(-rc));
		p->mac_changed = true;
	}
	rc = rte_eth_macaddr_get(p->port_id, &p->mac);
	if (rc != 0)
		return fail(err, errlen, rc, "port %s (%s): MAC: %s", p->conf.name,
			    p->conf.device, rte_strerror(-rc));
	return 0;
}

static int tap_setup(struct tw_dp *dp, struct dp_port *p, char *err, size_t errlen)
{
	char args[128], mac[RTE_ETHER_ADDR_FMT_SIZE];
	struct rte_eth_conf ec = { 0 };
	struct tw_dp_port_conf *c = &p->conf;
	unsigned idx = (unsigned)(p - dp->ports);
	char rname[RTE_RING_NAMESIZE];
	uint32_t rs = dp->conf.exc_ring_size ? dp->conf.exc_ring_size : DEFAULT_EXC_RING;
	unsigned ifindex;
	int rc;

	snprintf(rname, sizeof(rname), "tw_exc%u_%u", dp->id, idx);
	p->exc_ring = rte_ring_create(rname, rs, SOCKET_ID_ANY, RING_F_SC_DEQ);
	snprintf(rname, sizeof(rname), "tw_tap%u_%u", dp->id, idx);
	p->tap_ring = rte_ring_create(rname, rs, SOCKET_ID_ANY,
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (p->exc_ring == NULL || p->tap_ring == NULL)
		return fail(err, errlen, -rte_errno, "port %s: exception rings: %s",
			    c->name, rte_strerror(rte_errno));

	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	if (c->tap_ifname[0] != '\0')
		snprintf(p->tap_ifname, sizeof(p->tap_ifname), "%s", c->tap_ifname);
	else /* check_conf() made sure "tw-<name>" fits */
		snprintf(p->tap_ifname, sizeof(p->tap_ifname), "tw-%.*s",
			 (int)(sizeof(p->tap_ifname) - 4), c->name);
	snprintf(p->tap_devname, sizeof(p->tap_devname), "net_tap_tw%u_%u", dp->id, idx);
	snprintf(args, sizeof(args), "%s,iface=%s,mac=%s", p->tap_devname,
		 p->tap_ifname, mac);
	rc = rte_dev_probe(args);
	if (rc != 0)
		return fail(err, errlen, rc, "port %s: TAP %s: %s", c->name, p->tap_ifname,
			    rte_strerror(-rc));
	p->tap_probed = true;
	rc = rte_eth_dev_get_port_by_name(p->tap_devname, &p->tap_id);
	if (rc != 0)
		return fail(err, errlen, rc, "port %s: TAP %s: no ethdev", c->name,
			    p->tap_ifname);
	rc = rte_eth_dev_configure(p->tap_id, 1, 1, &ec);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(p->tap_id, 0, TAP_DESC, SOCKET_ID_ANY, NULL,
					    dp->pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(p->tap_id, 0, TAP_DESC, SOCKET_ID_ANY, NULL);
	if (rc != 0)
		return fail(err, errlen, rc, "port %s: TAP %s setup: %s", c->name,
			    p->tap_ifname, rte_strerror(-rc));

	ifindex = if_nametoindex(p->tap_ifname);
	if (ifindex == 0)
		return fail(err, errlen, -ENODEV, "port %s: TAP %s: no interface", c->name,
			    p->tap_ifname);
	for (unsigned a = 0; a < c->n_addrs; a++) {
		rc = tw_dp_nl_addr_add(ifindex, &c->addrs[a]);
		if (rc != 0)
			return fail(err, errlen, rc, "port %s: TAP %s: address %u: %s",
				    c->name, p->tap_ifname, a, strerror(-rc));
	}
	return 0;
}

/* Descriptor counts the device will accept, before the pool is sized on them. */
static int port_descs(struct dp_port *p, char *err, size_t errlen)
{
	struct rte_eth_dev_info di;
	int rc = rte_eth_dev_info_get(p->port_id, &di);

	if (rc != 0)
		return fail(err, errlen, rc, "port %s (%s): dev_info: %s", p->conf.name,
			    p->conf.device, rte_strerror(-rc));
	p->conf.rx_desc = desc(p->conf.rx_desc, &di.rx_desc_lim);
	p->conf.tx_desc = desc(p->conf.tx_desc, &di.tx_desc_lim);
	return 0;
}

/* Mbufs: every RX/TX descriptor, both rings, the TAP queues, lcore caches, bursts. */
static uint32_t pool_size(const struct tw_dp *dp)
{
	uint64_t n = 0;
	uint32_t rs = dp->conf.exc_ring_size ? dp->conf.exc_ring_size : DEFAULT_EXC_RING;

	for (unsigned i = 0; i < dp->n_ports; i++) {
		const struct tw_dp_port_conf *pc = &dp->ports[i].conf;

		n += (uint64_t)dp->conf.n_workers * (pc->rx_desc + pc->tx_desc);
		if (dp->conf.sender_txq)
			n += pc->tx_desc;
		if (pc->exception)
			n += 2ull * rs + 2 * TAP_DESC;
	}
	n += (dp->conf.n_workers + 2) * (POOL_CACHE + 2 * TW_DP_BURST); /* + the sender */
	n = rte_align64pow2(n) - 1; /* a ring-backed pool is most efficient at 2^k - 1 */
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

struct tw_dp *tw_dp_ports_create(const struct tw_dp_conf *conf, char *err,
				 size_t errlen)
{
	static const struct rte_mbuf_dynfield ntp_field = {
		.name = "tw_dp_rx_ntp",
		.size = sizeof(tw_ntp_t),
		.align = __alignof__(tw_ntp_t),
	};
	static uint32_t next_id;
	char pool_name[RTE_MEMPOOL_NAMESIZE];
	struct tw_dp *dp;
	uint32_t nmb;
	int rc;

	rc = check_conf(conf, err, errlen);
	if (rc < 0) {
		rte_errno = -rc;
		return NULL;
	}
	dp = rte_zmalloc("tw_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (dp == NULL) {
		fail(err, errlen, -ENOMEM, "out of memory");
		rte_errno = ENOMEM;
		return NULL;
	}
	/* names of rings, pool and TAP vdevs stay unique across data planes */
	dp->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	dp->conf = *conf;
	dp->conf.ports = NULL;
	dp->n_ports = conf->n_ports;
	dp->workers = rte_zmalloc("tw_dp_workers",
				  (conf->n_workers + 1) * sizeof(*dp->workers),
				  RTE_CACHE_LINE_SIZE);
	if (dp->workers == NULL) {
		rc = fail(err, errlen, -ENOMEM, "out of memory");
		goto error;
	}
	for (unsigned w = 0; w <= conf->n_workers; w++) {
		dp->workers[w].dp = dp;
		dp->workers[w].idx = w;
	}
	for (unsigned i = 0; i < dp->n_ports; i++) {
		dp->ports[i].conf = conf->ports[i];
		dp->ports[i].port_id = DP_NO_PORT;
		dp->ports[i].tap_id = DP_NO_PORT;
		dp->ports[i].sender_q = DP_NO_PORT;
		fill_match(dp, &dp->ports[i]);
	}

	rc = tw_dp_clock_init(&dp->clock, rte_get_tsc_hz());
	if (rc < 0) {
		rc = fail(err, errlen, -EIO, "cannot calibrate the TSC clock");
		goto error;
	}
	dp->clock_next = rte_rdtsc() + rte_get_tsc_hz();
	tw_dp_rx_ntp_offset = rte_mbuf_dynfield_register(&ntp_field);
	if (tw_dp_rx_ntp_offset < 0) {
		rc = fail(err, errlen, -rte_errno, "mbuf dynamic field: %s",
			  rte_strerror(rte_errno));
		goto error;
	}
	/* net_pcap and timestamping NICs fill this once it is registered */
	if (rte_mbuf_dyn_rx_timestamp_register(&dp->hw_ts_offset, &dp->hw_ts_flag) != 0)
		dp->hw_ts_flag = 0;

	for (unsigned i = 0; i < dp->n_ports; i++) {
		rc = probe(&dp->ports[i], err, errlen);
		if (rc == 0)
			rc = port_descs(&dp->ports[i], err, errlen);
		if (rc < 0)
			goto error;
	}
	nmb = conf->n_mbufs ? conf->n_mbufs : pool_size(dp);
	snprintf(pool_name, sizeof(pool_name), "tw_dp%u_mbufs", dp->id);
	dp->pool = rte_pktmbuf_pool_create(pool_name, nmb, POOL_CACHE, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE,
					   rte_eth_dev_socket_id(dp->ports[0].port_id));
	if (dp->pool == NULL) {
		rc = fail(err, errlen, -rte_errno, "mbuf pool of %u: %s", nmb,
			  rte_strerror(rte_errno));
		goto error;
	}
	for (unsigned i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];

		rc = port_setup(dp, p, err, errlen);
		if (rc == 0 && p->conf.exception)
			rc = tap_setup(dp, p, err, errlen);
		if (rc < 0)
			goto error;
		TW_DP_LOG(INFO, "port %s (%s): ethdev %u, %u queue(s)%s%s", p->conf.name,
			  p->devname, p->port_id, p->nq,
			  p->conf.exception ? ", exception TAP " : "",
			  p->conf.exception ? p->tap_ifname : "");
	}
	return dp;
error:
	tw_dp_ports_destroy(dp);
	rte_errno = -rc;
	return NULL;
}

int tw_dp_ports_start(struct tw_dp *dp, char *err, size_t errlen)
{
	int rc = 0;

	if (dp == NULL)
		return -EINVAL;
	for (unsigned i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];

		rc = rte_eth_dev_start(p->port_id);
		if (rc != 0) {
			fail(err, errlen, rc, "port %s (%s): start failed: %s", p->conf.name,
			     p->conf.device, rte_strerror(-rc));
			goto error;
		}
		p->started = true;
		if (p->hwts == DP_HWTS_CLOCK)
			hwts_calibrate(dp, p);
		if (p->tap_id != DP_NO_PORT) {
			rc = rte_eth_dev_start(p->tap_id);
			if (rc != 0) {
				fail(err, errlen, rc, "port %s: TAP %s start failed: %s",
				     p->conf.name, p->tap_ifname, rte_strerror(-rc));
				goto error;
			}
			p->tap_started = true;
			rc = tw_dp_nl_link_up(if_nametoindex(p->tap_ifname));
			if (rc != 0) {
				fail(err, errlen, rc, "port %s: TAP %s link up: %s",
				     p->conf.name, p->tap_ifname, strerror(-rc));
				goto error;
			}
		}
	}
	dp->started = true;
	__atomic_store_n(&dp->quit, false, __ATOMIC_RELEASE);
	return 0;
error:
	tw_dp_ports_stop(dp);
	return rc;
}

int tw_dp_ports_stop(struct tw_dp *dp)
{
	int first = 0;

	if (dp == NULL)
		return -EINVAL;
	tw_dp_service_stop(dp); /* it touches the TAP queues */
	for (unsigned i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];
		int rc;

		if (p->started) {
			rc = rte_eth_dev_stop(p->port_id);
			if (rc != 0 && first == 0)
				first = rc;
			p->started = false;
		}
		if (p->tap_started) {
			rc = rte_eth_dev_stop(p->tap_id);
			if (rc != 0 && first == 0)
				first = rc;
			p->tap_started = false;
		}
		tw_dp_exc_drain(p);
	}
	dp->started = false;
	return first;
}

void tw_dp_ports_destroy(struct tw_dp *dp)
{
	if (dp == NULL)
		return;
	tw_dp_telemetry_forget(dp);
	tw_dp_ports_stop(dp);
	for (unsigned i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];

		if (p->tap_id != DP_NO_PORT) {
			rte_eth_dev_close(p->tap_id);
			p->tap_id = DP_NO_PORT;
		}
		if (p->tap_probed) /* removes the kernel interface too */
			rte_eal_hotplug_remove("vdev", p->tap_devname);
		if (p->port_id != DP_NO_PORT) {
			struct rte_eth_dev_info di;
			struct rte_device *dev = NULL;

			if (p->mac_changed)
				rte_eth_dev_default_mac_addr_set(p->port_id, &p->orig_mac);
			if (rte_eth_dev_info_get(p->port_id, &di) == 0)
				dev = di.device;
			rte_eth_dev_close(p->port_id);
			if (p->probed && dev != NULL)
				rte_dev_remove(dev);
		}
		rte_ring_free(p->exc_ring);
		rte_ring_free(p->tap_ring);
	}
	rte_mempool_free(dp->pool);
	rte_free(dp->workers);
	rte_free(dp);
}

/* The only class that owns ports, or NONE (none or several do). */
static void udp_single_update(struct tw_dp *dp)
{
	uint8_t single = TW_DP_UDP_NONE;
	unsigned n = 0;

	for (unsigned c = TW_DP_UDP_NONE + 1; c < TW_DP_UDP_CLASS_MAX; c++)
		if (dp->udp_class_ports[c] != 0) {
			single = (uint8_t)c;
			n++;
		}
	__atomic_store_n(&dp->udp_single, n == 1 ? single : TW_DP_UDP_NONE,
			 __ATOMIC_RELEASE);
}

int tw_dp_set_udp_class_handler(struct tw_dp *dp, enum tw_dp_udp_class cls,
				tw_dp_udp_fn fn, void *arg)
{
	if (dp == NULL || cls <= TW_DP_UDP_NONE || cls >= TW_DP_UDP_CLASS_MAX)
		return -EINVAL;
	if (dp->started)
		return -EBUSY;
	dp->udp_fn[cls] = fn;
	dp->udp_arg[cls] = arg;
	return 0;
}

int tw_dp_set_udp_handler(struct tw_dp *dp, tw_dp_udp_fn fn, void *arg)
{
	return tw_dp_set_udp_class_handler(dp, TW_DP_UDP_REFLECTOR, fn, arg);
}

int tw_dp_set_esp_handler(struct tw_dp *dp, const struct tw_dp_esp_ops *ops, void *arg)
{
	if (dp == NULL || (ops != NULL && (ops->in == NULL || ops->out == NULL ||
					   ops->inner_drop == NULL)))
		return -EINVAL;
	if (dp->started)
		return -EBUSY;
	/* one ESP owner: a second one would silently take the first's SPIs */
	if (ops != NULL && dp->esp.in != NULL)
		return -EEXIST;
	if (ops != NULL)
		dp->esp = *ops;
	else
		memset(&dp->esp, 0, sizeof(dp->esp));
	dp->esp_arg = arg;
	return 0;
}

int tw_dp_esp_udp_port(struct tw_dp *dp, uint16_t port, bool on)
{
	uint64_t bit = 1ull << (port % 64);

	if (dp == NULL || port == 0)
		return -EINVAL;
	if (on)
		__atomic_fetch_or(&dp->esp_udp[port / 64], bit, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&dp->esp_udp[port / 64], ~bit, __ATOMIC_RELEASE);
	return 0;
}

int tw_dp_set_tx_stamp(struct tw_dp *dp, tw_dp_tx_stamp_fn fn, void *arg)
{
	if (dp == NULL)
		return -EINVAL;
	if (dp->started)
		return -EBUSY;
	dp->tx_stamp_fn = fn;
	dp->tx_stamp_arg = arg;
	return 0;
}

int tw_dp_set_worker_hook(struct tw_dp *dp, tw_dp_hook_fn fn, void *arg)
{
	if (dp == NULL)
		return -EINVAL;
	if (dp->started)
		return -EBUSY;
	dp->hook_fn = fn;
	dp->hook_arg = arg;
	return 0;
}

int tw_dp_sender_txq(const struct tw_dp *dp, unsigned idx)
{
	if (dp == NULL || idx >= dp->n_ports)
		return -EINVAL;
	return dp->ports[idx].sender_q == DP_NO_PORT ? -ENOTSUP : dp->ports[idx].sender_q;
}

struct rte_mempool *tw_dp_pool(struct tw_dp *dp)
{
	return dp != NULL ? dp->pool : NULL;
}

/*
 * Order of the stores (x86 keeps them, and the worker's loads, in order):
 * on a claim the class shortcut (udp_single) is updated first, then the
 * port's class, then the parser's bit; a release goes the other way. A
 * worker that sees a port owned thus finds its class, and a shortcut that
 * does not hide a second class. In the window of a release a packet may
 * still reach the class that just let the port go (which drops it as
 * unknown) or the kernel.
 */
int tw_dp_udp_port_claim(struct tw_dp *dp, uint16_t udp_port,
			 enum tw_dp_udp_class cls, bool own)
{
	uint64_t bit;
	uint8_t cur;

	if (dp == NULL || cls <= TW_DP_UDP_NONE || cls >= TW_DP_UDP_CLASS_MAX)
		return -EINVAL;
	bit = 1ull << (udp_port & 63);
	cur = __atomic_load_n(&dp->udp_class[udp_port], __ATOMIC_RELAXED);
	if (own) {
		if (cur == cls)
			return 0;
		if (cur != TW_DP_UDP_NONE)
			return -EBUSY;
		dp->udp_class_ports[cls]++;
		udp_single_update(dp);
		__atomic_store_n(&dp->udp_class[udp_port], (uint8_t)cls, __ATOMIC_RELEASE);
		__atomic_fetch_or(&dp->udp_owned[udp_port >> 6], bit, __ATOMIC_RELEASE);
	} else if (cur == cls) {
		__atomic_fetch_and(&dp->udp_owned[udp_port >> 6], ~bit, __ATOMIC_RELEASE);
		__atomic_store_n(&dp->udp_class[udp_port], TW_DP_UDP_NONE, __ATOMIC_RELEASE);
		dp->udp_class_ports[cls]--;
		udp_single_update(dp);
	}
	return 0;
}

int tw_dp_udp_port_own(struct tw_dp *dp, uint16_t udp_port, bool own)
{
	return tw_dp_udp_port_claim(dp, udp_port, TW_DP_UDP_REFLECTOR, own);
}

enum tw_dp_udp_class tw_dp_udp_port_class(const struct tw_dp *dp, uint16_t udp_port)
{
	if (dp == NULL)
		return TW_DP_UDP_NONE;
	return (enum tw_dp_udp_class)__atomic_load_n(&dp->udp_class[udp_port],
						     __ATOMIC_ACQUIRE);
}

unsigned tw_dp_port_count(const struct tw_dp *dp)
{
	return dp != NULL ? dp->n_ports : 0;
}

int tw_dp_port_ids(const struct tw_dp *dp, unsigned idx, uint16_t *port_id,
		   uint16_t *tap_id)
{
	if (dp == NULL || idx >= dp->n_ports)
		return -EINVAL;
	if (port_id != NULL)
		*port_id = dp->ports[idx].port_id;
	if (tap_id != NULL)
		*tap_id = dp->ports[idx].tap_id;
	return 0;
}

int tw_dp_port_info(const struct tw_dp *dp, unsigned idx, struct tw_dp_port_info *out)
{
	const struct dp_port *p;

	if (dp == NULL || out == NULL || idx >= dp->n_ports)
		return -EINVAL;
	p = &dp->ports[idx];
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", p->conf.name);
	snprintf(out->devname, sizeof(out->devname), "%s", p->devname);
	if (p->tap_id != DP_NO_PORT)
		snprintf(out->tap_ifname, sizeof(out->tap_ifname), "%s", p->tap_ifname);
	out->port_id = p->port_id;
	out->tap_id = p->tap_id;
	out->queues = p->nq;
	out->rx_desc = p->conf.rx_desc;
	out->tx_desc = p->conf.tx_desc;
	memcpy(out->mac, p->mac.addr_bytes, 6);
	out->hw_rx_timestamp = p->hwts != DP_HWTS_NONE;
	out->vlan = p->conf.vlan;
	return 0;
}

struct tw_dp_clock *tw_dp_clock(struct tw_dp *dp)
{
	return dp != NULL ? &dp->clock : NULL;
}
