/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * twamp-dp data plane: ports, worker loop, exception path (DESIGN.md §1, §4).
 *
 * Life cycle, all from the main (control) thread:
 *   tw_dp_ports_create() -> [tw_dp_set_udp_class_handler(),
 *   tw_dp_udp_port_claim()] (tw_dp_set_udp_handler() and tw_dp_udp_port_own()
 *   are the reflector's shorthands)
 *   -> tw_dp_ports_start() -> launch tw_dp_worker_main() per worker lcore
 *   (or call tw_dp_worker_poll() yourself) while calling tw_dp_service()
 *   -> tw_dp_quit(), wait for the workers -> tw_dp_ports_stop()
 *   -> tw_dp_ports_destroy().
 *
 * Each port gets one RX/TX queue pair per worker (RSS when the device offers
 * it and there is more than one worker, else a single queue that worker 0
 * polls). With exception enabled a TAP interface ("tw-<name>" unless named)
 * with the port's MAC and addresses stands in for the port in the kernel:
 * workers put what the fast path does not own on a per-port ring,
 * tw_dp_service() writes it to the TAP and hands what the kernel sends back
 * to worker 0 for transmission (only workers touch port queues).
 *
 * Every received mbuf carries its RX time as NTP in a dynamic field, read with
 * tw_dp_rx_ntp(): the hardware timestamp when the device delivered one (and
 * its clock is known), otherwise the TSC read once per burst before any other
 * work.
 */
#ifndef TW_DATAPLANE_H
#define TW_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>

#include "tw_dp_clock.h"
#include "tw_dp_hist.h"
#include "tw_dp_parse.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Port name length with NUL (as in the YAML config). */
#define TW_DP_NAME_MAX 32
/** Kernel interface name length with NUL (IFNAMSIZ). */
#define TW_DP_IFNAME_MAX 16
/** Device string length with NUL. */
#define TW_DP_DEVICE_MAX 256
/** Limits of one data plane (those of the YAML config). */
#define TW_DP_PORTS_MAX 16
#define TW_DP_WORKERS_MAX 128
/** Packets per burst on every path. */
#define TW_DP_BURST 32

/** One address with its prefix length. */
struct tw_dp_prefix {
	int family;        /**< AF_INET or AF_INET6 */
	uint8_t len;       /**< prefix length: <= 32 or <= 128 */
	uint8_t addr[16];  /**< network order; IPv4 in the first 4 octets */
};

/**
 * One port, independent of the YAML config struct (the app maps its config
 * onto this).
 */
struct tw_dp_port_conf {
	char name[TW_DP_NAME_MAX];     /**< [A-Za-z0-9_.-], 1..31 chars */
	/** TAP interface name; "" = "tw-<name>", which then must fit 15 chars */
	char tap_ifname[TW_DP_IFNAME_MAX];
	/** DPDK device: "net_af_packet0,iface=veth0", "0000:01:00.0", ... */
	char device[TW_DP_DEVICE_MAX];
	struct tw_dp_prefix addrs[2 * TW_DP_ADDRS_MAX]; /**< up to 16 per family */
	unsigned n_addrs;
	uint16_t vlan;                 /**< 802.1Q VID 1..4094, 0 = untagged */
	bool has_mac;                  /**< set @p mac on the device (and TAP) */
	uint8_t mac[6];                /**< unicast; used when has_mac */
	uint16_t rx_desc, tx_desc;     /**< 0 = 1024; clamped to the device limits */
	bool exception;                /**< create the TAP exception path */
};

/** The data plane. */
struct tw_dp_conf {
	const struct tw_dp_port_conf *ports;
	unsigned n_ports;              /**< 1..TW_DP_PORTS_MAX */
	unsigned n_workers;            /**< 1..TW_DP_WORKERS_MAX */
	uint32_t n_mbufs;              /**< 0 = computed from queues and rings */
	uint32_t exc_ring_size;        /**< power of 2; 0 = 1024 */
	/** Idle back-off of tw_dp_worker_main() after an empty poll, in
	 *  microseconds; 0 = pure polling (production). */
	uint32_t idle_sleep_us;
	/** RCU QSBR variable of the lock-free tables (NULL: none). Worker i
	 *  is QSBR thread i: tw_dp_worker_main() registers it, goes online,
	 *  reports a quiescent state once per loop and goes offline on quit.
	 *  Its max_threads must be at least n_workers. */
	struct rte_rcu_qsbr *qsbr;
	/** Reserve one extra TX queue per port for a Session-Sender on an
	 *  lcore of its own (tw_dp_sender_txq()); ports whose device has no
	 *  spare TX queue go without (the sender then runs in worker 0). */
	bool sender_txq;
};

struct tw_dp;

/**
 * Counters of one lcore (a worker, or the service). The X-macro generates
 * the indices and names; append at the end.
 */
#define TW_DP_COUNTERS(X)                                                      \
	X(RX, "rx", "packets received from the ports")                        \
	X(RX_HW_TS, "rx_hw_ts", "packets with a hardware RX timestamp")       \
	X(OWNED, "udp_owned", "UDP packets for the fast-path handler")        \
	X(TX, "tx", "fast-path packets transmitted")                           \
	X(EXC_QUEUED, "exc_queued", "packets queued for the exception path")  \
	X(EXC_IN, "exc_in", "packets written to the TAP (port -> kernel)")    \
	X(EXC_OUT, "exc_out", "packets sent from the TAP (kernel -> port)")  \
	X(CONSUMED, "udp_consumed", "UDP packets a handler consumed (receiver)") \
	X(ESP_HOST, "esp_host", "ESP/AH with no SA in the workers, to the exception path")

#define TW_DP_CNT_ENUM(name, id, text) TW_DP_CNT_##name,
/** Counter indices. */
enum tw_dp_counter {
	TW_DP_COUNTERS(TW_DP_CNT_ENUM)
	TW_DP_CNT__MAX
};
#undef TW_DP_CNT_ENUM

/** Counters of one lcore and port; each lcore writes only its own. */
struct tw_dp_stats {
	uint64_t cnt[TW_DP_CNT__MAX];
	uint64_t drop[TW_DP_DROP__MAX];
} __rte_cache_aligned;

/** What the fast-path UDP handler decides per packet. */
enum tw_dp_verdict {
	TW_DP_V_EXCEPTION = 0, /**< hand to the kernel (the default) */
	TW_DP_V_TX = 1,        /**< transmit on the port it came from */
	TW_DP_V_DROP = 2,      /**< free; counted as drop "handler" */
	TW_DP_V_CONSUMED = 3,  /**< taken (a record was made): free; counted
				    as "udp_consumed", not as a drop */
};

/**
 * Owner classes of UDP destination ports: each owned port belongs to one
 * class, each class has one handler. The worker splits a burst's owned
 * packets by class and calls each class's handler once with its share
 * (packet order kept within a class).
 */
enum tw_dp_udp_class {
	TW_DP_UDP_NONE = 0,      /**< not owned: exception path */
	TW_DP_UDP_REFLECTOR = 1, /**< Session-Reflector (lib/dataplane reflect.c) */
	TW_DP_UDP_RECEIVER = 2,  /**< replies to our senders, OWAMP-Test (recv.c) */
	TW_DP_UDP_CLASS_MAX = 4, /**< classes 3.. are free for new handlers */
};

/**
 * Handler for UDP packets the fast path owns (one per owner class).
 * Called by a worker with a burst from one port; mbufs carry l2_len, l3_len
 * and packet_type; rewrites happen in place; a verdict per packet.
 *
 * @param arg     the pointer given to tw_dp_set_udp_class_handler()
 * @param worker  worker index
 * @param port    port index in the configuration
 * @param pkts    @p n packets
 * @param verdict @p n verdicts to fill (preset to TW_DP_V_EXCEPTION)
 */
typedef void (*tw_dp_udp_fn)(void *arg, unsigned worker, unsigned port,
			     struct rte_mbuf **pkts, uint16_t n, uint8_t *verdict);

/**
 * Called by a worker with the packets its UDP handler wants sent, right
 * before rte_eth_tx_burst(), with the current time: the place to write the
 * TX timestamp (and fix the checksums) as late as possible.
 *
 * @param arg  the pointer given to tw_dp_set_tx_stamp()
 * @param port port index
 * @param pkts @p n packets about to be sent
 * @param now  NTP time from the TSC clock
 */
typedef void (*tw_dp_tx_stamp_fn)(void *arg, unsigned port, struct rte_mbuf **pkts,
				  uint16_t n, tw_ntp_t now);

/**
 * Probe and configure every port (not started): device probe (an already
 * probed device is used as is), queues, mbuf pool, exception rings, the TAP
 * with the port's MAC and addresses (rtnetlink). Needs EAL.
 *
 * @param conf   the configuration (copied)
 * @param err    buffer for a message naming the port and device on failure
 * @param errlen its size
 * @return the data plane, or NULL with rte_errno set (EINVAL bad
 *         configuration, ENODEV probe failure, ENOMEM, or the driver's error).
 */
struct tw_dp *tw_dp_ports_create(const struct tw_dp_conf *conf, char *err,
				 size_t errlen);

/**
 * Start every port and its TAP, bring the TAP link up.
 * @return 0, or -errno of the first port that failed (named in @p err);
 *         ports started before it are stopped again.
 */
int tw_dp_ports_start(struct tw_dp *dp, char *err, size_t errlen);

/**
 * Stop every port (workers must have returned, see tw_dp_quit()) and free
 * what is still queued on the exception rings.
 * @return 0, or the first -errno from rte_eth_dev_stop() (all are stopped).
 */
int tw_dp_ports_stop(struct tw_dp *dp);

/** Close and remove the ports and TAPs this data plane probed; free all. NULL is a no-op. */
void tw_dp_ports_destroy(struct tw_dp *dp);

/**
 * Install the handler of owner class @p cls (before tw_dp_ports_start()).
 * NULL restores the stub: count and hand to the exception path.
 * @return 0, -EINVAL on NULL @p dp or a class out of 1..TW_DP_UDP_CLASS_MAX-1,
 *         or -EBUSY when started.
 */
int tw_dp_set_udp_class_handler(struct tw_dp *dp, enum tw_dp_udp_class cls,
				tw_dp_udp_fn fn, void *arg);

/** tw_dp_set_udp_class_handler() for TW_DP_UDP_REFLECTOR. */
int tw_dp_set_udp_handler(struct tw_dp *dp, tw_dp_udp_fn fn, void *arg);

/**
 * Install the TX stamp callback (before tw_dp_ports_start()); NULL removes it.
 * @return 0, -EINVAL on NULL @p dp, or -EBUSY when started.
 */
int tw_dp_set_tx_stamp(struct tw_dp *dp, tw_dp_tx_stamp_fn fn, void *arg);

/**
 * Turnaround histogram (RX timestamp to the TX moment of packets the
 * handler sent) of worker @p lcore, or of all workers with -1, into @p out.
 * @return 0, or -EINVAL on NULL or a bad index.
 */
int tw_dp_turnaround_get(const struct tw_dp *dp, int lcore, struct tw_dp_hist *out);

/**
 * Give UDP destination port @p udp_port to owner class @p cls (@p own), or
 * take it back from that class. A port has one owner at a time: claiming a
 * port another class holds fails, and releasing only releases what @p cls
 * holds. Any thread, but one writer at a time (the control thread); takes
 * effect for the next bursts.
 * @return 0 (also when @p cls already holds it, or releases a port it does
 *         not hold), -EINVAL on NULL or a bad class, -EBUSY when another
 *         class owns the port.
 */
int tw_dp_udp_port_claim(struct tw_dp *dp, uint16_t udp_port,
			 enum tw_dp_udp_class cls, bool own);

/** tw_dp_udp_port_claim() for TW_DP_UDP_REFLECTOR. */
int tw_dp_udp_port_own(struct tw_dp *dp, uint16_t udp_port, bool own);

/**
 * Owner class of @p udp_port (TW_DP_UDP_NONE when unowned or @p dp NULL).
 */
enum tw_dp_udp_class tw_dp_udp_port_class(const struct tw_dp *dp, uint16_t udp_port);

/**
 * One worker iteration: for every port queue of worker @p worker: RX burst,
 * timestamp, classify, handler, TX, exception enqueue; worker 0 also sends
 * what the TAPs produced.
 * @return packets handled (>= 0), or -EINVAL for a bad worker index.
 */
int tw_dp_worker_poll(struct tw_dp *dp, unsigned worker);

/** The argument for tw_dp_worker_main() of worker @p worker, or NULL. */
void *tw_dp_worker_arg(struct tw_dp *dp, unsigned worker);

/**
 * lcore entry (rte_eal_remote_launch): polls until tw_dp_quit(), reporting
 * a QSBR quiescent state once per loop when the configuration has one
 * (callers of tw_dp_worker_poll() do that themselves).
 * @return 0, or -EINVAL when the QSBR variable has too few threads.
 */
int tw_dp_worker_main(void *arg);

/** Ask every worker loop to return (any thread, signal-safe). */
void tw_dp_quit(struct tw_dp *dp);

/** True once tw_dp_quit() was called. */
bool tw_dp_quitting(const struct tw_dp *dp);

/**
 * Control-thread service: move packets exception ring -> TAP and TAP ->
 * port (through worker 0), refresh the clock anchors (TSC and NIC) once a
 * second; it is their only writer, so call it from one thread only (or use
 * tw_dp_service_start()).
 * @return packets moved.
 */
unsigned tw_dp_service(struct tw_dp *dp);

/**
 * Run tw_dp_service() on a control thread of its own (rte_ctrl_thread_create)
 * until tw_dp_service_stop(), sleeping @p idle_us after a pass that moved
 * nothing. Then nobody else may call tw_dp_service().
 * @return 0, -EINVAL on NULL, -EBUSY when already running, or -errno of the
 *         thread creation.
 */
int tw_dp_service_start(struct tw_dp *dp, uint32_t idle_us);

/**
 * Stop and join the service thread (no-op when none runs; destroy does it).
 * @return 0, or -EINVAL on NULL.
 */
int tw_dp_service_stop(struct tw_dp *dp);

/** The data plane's clock (for the handler and the control thread). */
struct tw_dp_clock *tw_dp_clock(struct tw_dp *dp);

/**
 * Sum the counters of every lcore and port into @p out.
 * @return 0, or -EINVAL on NULL.
 */
int tw_dp_stats_get(const struct tw_dp *dp, struct tw_dp_stats *out);

/**
 * Sum counters of one lcore and/or one port (-1: all). Lcore indices are
 * worker indices; n_workers is the service (exception path, TAP side).
 * @return 0, or -EINVAL on NULL or an index out of range.
 */
int tw_dp_stats_sum(const struct tw_dp *dp, int lcore, int port,
		    struct tw_dp_stats *out);

/** Index of the port named @p name, -ENOENT, or -EINVAL on NULL. */
int tw_dp_port_index(const struct tw_dp *dp, const char *name);

/**
 * Serve this data plane's counters through DPDK telemetry:
 * /twamp/dp/stats (summed), /twamp/dp/lcore,<i> (one worker; i = n_workers is
 * the service), /twamp/dp/port,<name> (one port), /twamp/dp/ports,
 * /twamp/dp/turnaround (count, mean, p50/p90/p99/p999/max in ns). The commands are registered once per
 * process; the most recently registered data plane is reported, until it is
 * destroyed.
 * @return 0, -EINVAL on NULL, or the error of rte_telemetry_register_cmd().
 */
int tw_dp_telemetry_register(struct tw_dp *dp);

/** Short identifier ("rx", ...) of a counter, or "unknown". */
const char *tw_dp_counter_name(unsigned counter);

/** Number of ports and the DPDK port id / TAP port id of port @p idx. */
unsigned tw_dp_port_count(const struct tw_dp *dp);
int tw_dp_port_ids(const struct tw_dp *dp, unsigned idx, uint16_t *port_id,
		   uint16_t *tap_id);

/** What the control plane needs to know about a port. */
struct tw_dp_port_info {
	char name[TW_DP_NAME_MAX];
	char devname[64];         /**< ethdev name ("net_af_packet0", PCI address) */
	char tap_ifname[TW_DP_IFNAME_MAX]; /**< kernel interface, "" without exception path */
	uint16_t port_id;         /**< ethdev id */
	uint16_t tap_id;          /**< TAP ethdev id, UINT16_MAX without */
	uint16_t queues;          /**< RX/TX queue pairs (workers that poll it) */
	uint16_t rx_desc, tx_desc;/**< descriptors per queue, as configured */
	uint8_t mac[6];
	bool hw_rx_timestamp;     /**< RX timestamps come from the device */
	uint16_t vlan;            /**< 802.1Q VID, 0 = untagged */
};

/**
 * Describe port @p idx.
 * @return 0, or -EINVAL on NULL or an index out of range.
 */
int tw_dp_port_info(const struct tw_dp *dp, unsigned idx, struct tw_dp_port_info *out);

/**
 * Called by worker 0 once per tw_dp_worker_poll() pass, after its ports
 * (the Session-Sender when it has no lcore of its own).
 * @return packets it handled (counts as work for the idle back-off).
 */
typedef unsigned (*tw_dp_hook_fn)(void *arg);

/**
 * Install worker 0's per-pass hook (before tw_dp_ports_start()); NULL removes it.
 * @return 0, -EINVAL on NULL @p dp, or -EBUSY when started.
 */
int tw_dp_set_worker_hook(struct tw_dp *dp, tw_dp_hook_fn fn, void *arg);

/** Verdicts of the ESP inbound hook (tw_dp_esp_ops.in). */
enum tw_dp_esp_verdict {
	TW_DP_ESP_NOT_OURS = 0, /**< untouched: exception path */
	TW_DP_ESP_INNER = 1,    /**< decapsulated: classify the inner packet */
	TW_DP_ESP_DROP = 2,     /**< failed (the hook counted why): free */
	TW_DP_ESP_HOST = 3,     /**< no SA for its SPI: exception path,
				     counted as "esp_host" */
};

/**
 * ESP terminated in the workers (lib/ipsec, wired by the application).
 * in: packets with IP protocol 50, or UDP to an ESP port
 * (tw_dp_esp_udp_port()), that the classifier left for the exception path,
 * l2_len/l3_len set; fills a verdict and a reply handle per packet.
 * Inner packets go through the normal UDP classification; the replies
 * their handlers TX are TX-stamped, then protected by out (the first
 * returned packets are sent, the rest freed); inner packets no handler
 * takes go to inner_drop (counted) and are freed, never to the kernel.
 */
struct tw_dp_esp_ops {
	uint16_t (*in)(void *arg, unsigned worker, struct rte_mbuf **pkts, uint16_t n,
		       uint8_t verdict[], void *reply[]);
	uint16_t (*out)(void *arg, unsigned worker, struct rte_mbuf **pkts,
			void *reply[], uint16_t n);
	void (*inner_drop)(void *arg, unsigned worker, void *reply);
	/** Optional (NULL: not checked): RFC 4301 §5.2, does the decrypted
	 *  packet match the selectors of the SA @p reply? false: the worker
	 *  drops it (the hook counts it on the SA). Ports in host order. */
	bool (*inner_ok)(void *arg, unsigned worker, void *reply, unsigned ipv,
			 const uint8_t *src, const uint8_t *dst, uint8_t proto,
			 uint16_t sport, uint16_t dport);
};

/**
 * Install the ESP hooks (before tw_dp_ports_start()); NULL @p ops removes them.
 * One owner per data plane (app/twamp-dp/ipsec.c: static SAs and key import
 * share its lib/ipsec context, app_ipsec_get()).
 * @return 0, -EINVAL (NULL @p dp, or an ops member missing), -EEXIST (hooks
 *         already installed: remove them first), -EBUSY when started.
 */
int tw_dp_set_esp_handler(struct tw_dp *dp, const struct tw_dp_esp_ops *ops, void *arg);

/**
 * Mark UDP destination port @p port as carrying ESP in UDP (RFC 3948; 4500
 * for IKE-negotiated SAs). Safe while the workers run.
 * @return 0 or -EINVAL.
 */
int tw_dp_esp_udp_port(struct tw_dp *dp, uint16_t port, bool on);

/**
 * The TX queue reserved for the sender on port @p idx (tw_dp_conf.sender_txq).
 * @return the queue id, -ENOTSUP when the port has none, -EINVAL.
 */
int tw_dp_sender_txq(const struct tw_dp *dp, unsigned idx);

/** The data plane's mbuf pool (the sender allocates from it). */
struct rte_mempool *tw_dp_pool(struct tw_dp *dp);

/** Offset of the RX NTP timestamp dynamic field (valid after create). */
extern int tw_dp_rx_ntp_offset;

/** The RX time of a packet received by a worker, NTP format. */
static inline tw_ntp_t tw_dp_rx_ntp(const struct rte_mbuf *m)
{
	return *RTE_MBUF_DYNFIELD(m, tw_dp_rx_ntp_offset, const tw_ntp_t *);
}

#ifdef __cplusplus
}
#endif

#endif /* TW_DATAPLANE_H */
