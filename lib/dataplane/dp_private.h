/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/dataplane internals shared by port.c, worker.c and exception.c. */
#ifndef TW_DP_PRIVATE_H
#define TW_DP_PRIVATE_H

#include <pthread.h>

#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_ring.h>

#include "tw_dataplane.h"

extern int tw_dp_logtype;
#define TW_DP_LOG(level, fmt, ...)                                             \
	rte_log(RTE_LOG_##level, tw_dp_logtype, "tw_dp: " fmt "\n", ##__VA_ARGS__)

#define DP_NO_PORT UINT16_MAX

/* How a port's hardware RX timestamps map to NTP. */
enum dp_hwts {
	DP_HWTS_NONE,
	DP_HWTS_UNIX_US, /* net_pcap: microseconds since 1970 */
	DP_HWTS_CLOCK,   /* NIC clock ticks, calibrated with rte_eth_read_clock */
};

struct dp_port {
	struct tw_dp_port_conf conf;
	uint16_t port_id;
	uint16_t tap_id;
	uint16_t nq;             /* RX/TX queue pairs (<= workers) */
	uint16_t sender_q;       /* sender's TX queue (== nq), DP_NO_PORT: none */
	bool probed;             /* we probed the device: we remove it */
	bool tap_probed;
	bool started, tap_started;
	char devname[RTE_DEV_NAME_MAX_LEN];
	char tap_devname[32];
	char tap_ifname[TW_DP_IFNAME_MAX];
	struct rte_ether_addr mac;
	struct rte_ether_addr orig_mac; /* restored on destroy when mac_changed */
	bool mac_changed;
	struct tw_dp_match match;
	struct rte_ring *exc_ring;  /* workers -> service: port to kernel */
	struct rte_ring *tap_ring;  /* service -> worker 0: kernel to port */
	enum dp_hwts hwts;
	struct tw_dp_clock hw_clock; /* DP_HWTS_CLOCK: NIC ticks -> NTP, seqlock */
};

struct dp_worker {
	struct tw_dp *dp;
	unsigned idx;
	struct tw_dp_stats st[TW_DP_PORTS_MAX]; /* per port */
	struct tw_dp_hist turn;                 /* RX stamp -> TX, handler's TX */
} __rte_cache_aligned;

struct tw_dp {
	uint32_t id;             /* unique per process: names of rings, pool, TAP */
	struct tw_dp_conf conf;
	struct dp_port ports[TW_DP_PORTS_MAX];
	unsigned n_ports;
	struct rte_mempool *pool;
	struct tw_dp_clock clock;
	uint64_t clock_next;     /* TSC of the next anchor refresh */
	uint64_t hw_ts_flag;     /* RTE_MBUF_DYNFLAG_RX_TIMESTAMP, 0 if unregistered */
	int hw_ts_offset;
	tw_dp_udp_fn udp_fn[TW_DP_UDP_CLASS_MAX];   /* by owner class */
	void *udp_arg[TW_DP_UDP_CLASS_MAX];
	tw_dp_tx_stamp_fn tx_stamp_fn;
	void *tx_stamp_arg;
	tw_dp_hook_fn hook_fn;   /* worker 0, once per pass (the sender) */
	struct tw_dp_esp_ops esp; /* ESP in the workers (in == NULL: none) */
	void *esp_arg;
	uint64_t esp_udp[65536 / 64]; /* UDP ports carrying ESP, __atomic */
	void *hook_arg;
	bool started;
	bool quit;               /* __atomic */
	uint64_t udp_owned[65536 / 64];   /* any class: the parser's test */
	uint8_t udp_class[65536];         /* enum tw_dp_udp_class per port */
	uint32_t udp_class_ports[TW_DP_UDP_CLASS_MAX]; /* ports each class owns */
	uint8_t udp_single;               /* the only class owning ports, or NONE */
	struct dp_worker *workers;        /* n_workers + 1: the last is the service */
	pthread_t svc_thread;
	bool svc_running;                 /* a service thread exists */
	bool svc_quit;                    /* __atomic: ask it to return */
	uint32_t svc_idle_us;
};

/* rtnetlink (netlink.c): 0 or -errno. */
int tw_dp_nl_addr_add(unsigned ifindex, const struct tw_dp_prefix *p);
int tw_dp_nl_link_up(unsigned ifindex);
/* The next hop to @dst via @ifindex (its gateway, or @dst when on-link)
 * into @nh: 0, or -ENETUNREACH (no route out of that interface). */
int tw_dp_nl_route_nexthop(unsigned ifindex, int family, const uint8_t *dst, uint8_t *nh);
/* The neighbour entry of @ip on @ifindex: 0 with @mac, -EAGAIN (absent or
 * resolving), -EHOSTUNREACH (FAILED), or -errno. */
int tw_dp_nl_neigh_get(unsigned ifindex, int family, const uint8_t *ip, uint8_t *mac);

/* exception.c */
void tw_dp_exc_drain(struct dp_port *p);

/* telemetry.c: stop reporting @dp (destroy) */
void tw_dp_telemetry_forget(struct tw_dp *dp);

/* port.c: re-anchor the NIC clock of a DP_HWTS_CLOCK port (control thread) */
void tw_dp_hwts_refresh(struct tw_dp *dp, struct dp_port *p);

#endif
