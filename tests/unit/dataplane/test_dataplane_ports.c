/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/dataplane with EAL (no hugepages, no PCI): configuration errors, port
 * life cycle on net_null, and the worker path on net_pcap, whose per-packet
 * timestamps exercise the hardware RX timestamp code.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "tw_dataplane.h"
#include "tw_test_eal.h"

static char pcap_in[64], pcap_out[64];

static struct tw_dp_port_conf good_port(const char *name, const char *dev)
{
	struct tw_dp_port_conf p = { .rx_desc = 256, .tx_desc = 256 };

	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.device, sizeof(p.device), "%s", dev);
	p.addrs[0] = (struct tw_dp_prefix){ .family = AF_INET, .len = 24,
					    .addr = { 198, 18, 0, 1 } };
	p.addrs[1] = (struct tw_dp_prefix){ .family = AF_INET6, .len = 64,
					    .addr = { 0x20, 0x01, 0, 2, [15] = 1 } };
	p.n_addrs = 2;
	return p;
}

/* create must fail with EINVAL and a message containing @p what */
static void expect_einval(const struct tw_dp_conf *c, const char *what)
{
	char err[256] = "";
	struct tw_dp *dp = tw_dp_ports_create(c, err, sizeof(err));

	assert_null(dp);
	assert_int_equal(rte_errno, EINVAL);
	if (strstr(err, what) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err, what);
}

static void test_conf_null_and_counts(void **state)
{
	struct tw_dp_port_conf p = good_port("up", "net_null0");
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 0 };

	(void)state;
	expect_einval(NULL, "ports");
	expect_einval(&c, "workers");
	c.n_workers = TW_DP_WORKERS_MAX + 1;
	expect_einval(&c, "workers");
	c.n_workers = 1;
	c.n_ports = 0;
	expect_einval(&c, "ports");
	c.n_ports = TW_DP_PORTS_MAX + 1;
	expect_einval(&c, "ports");
	c.n_ports = 1;
	c.exc_ring_size = 1000;
	expect_einval(&c, "power of 2");
}

static void test_conf_bad_names(void **state)
{
	struct tw_dp_port_conf p[2] = { good_port("up", "net_null0"),
					good_port("up", "net_null1") };
	struct tw_dp_conf c = { .ports = p, .n_ports = 1, .n_workers = 1 };

	(void)state;
	p[0].name[0] = '\0';
	expect_einval(&c, "name");
	memset(p[0].name, 'x', sizeof(p[0].name)); /* unterminated */
	expect_einval(&c, "name");
	/* 13 chars: "tw-" + name no longer fits an interface name ... */
	snprintf(p[0].name, sizeof(p[0].name), "abcdefghijklm");
	p[0].exception = true;
	expect_einval(&c, "give the TAP a name");
	/* ... unless the TAP gets one, which must be a valid interface name */
	snprintf(p[0].tap_ifname, sizeof(p[0].tap_ifname), "bad name");
	expect_einval(&c, "TAP name");
	p[0].exception = false;
	p[0].tap_ifname[0] = '\0';
	snprintf(p[0].name, sizeof(p[0].name), "a b");
	expect_einval(&c, "name");
	snprintf(p[0].name, sizeof(p[0].name), "a/b");
	expect_einval(&c, "name");
	snprintf(p[0].name, sizeof(p[0].name), "up");
	c.n_ports = 2;
	expect_einval(&c, "duplicate");
}

static void test_conf_bad_port_fields(void **state)
{
	struct tw_dp_port_conf p = good_port("up", "net_null0");
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 1 };

	(void)state;
	p.device[0] = '\0';
	expect_einval(&c, "port up: no device");
	p = good_port("up", "net_null0");
	p.vlan = 4095;
	expect_einval(&c, "VLAN");
	p = good_port("up", "net_null0");
	p.addrs[0].len = 33;
	expect_einval(&c, "address 0");
	p = good_port("up", "net_null0");
	p.addrs[1].len = 129;
	expect_einval(&c, "address 1");
	p = good_port("up", "net_null0");
	p.addrs[0].family = AF_UNIX;
	expect_einval(&c, "address 0");
	p = good_port("up", "net_null0");
	p.n_addrs = 2 * TW_DP_ADDRS_MAX + 1;
	expect_einval(&c, "too many");
	p = good_port("up", "net_null0");
	for (unsigned i = 0; i < TW_DP_ADDRS_MAX + 1; i++)
		p.addrs[i] = p.addrs[0];
	p.n_addrs = TW_DP_ADDRS_MAX + 1;
	expect_einval(&c, "per family");
	p = good_port("up", "net_null0");
	p.has_mac = true;
	memcpy(p.mac, "\x01\x00\x5e\x00\x00\x01", 6);
	expect_einval(&c, "unicast");
	memset(p.mac, 0, 6);
	expect_einval(&c, "unicast");
}

static void test_probe_failure_names_port_and_device(void **state)
{
	struct tw_dp_port_conf p = good_port("wan", "net_nosuchdrv0");
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 1 };
	char err[256] = "";

	(void)state;
	assert_null(tw_dp_ports_create(&c, err, sizeof(err)));
	assert_int_not_equal(rte_errno, 0);
	assert_non_null(strstr(err, "port wan (net_nosuchdrv0)"));
	assert_int_equal(rte_eth_dev_count_avail(), 0);
}

static void test_null_port_life_cycle(void **state)
{
	struct tw_dp_port_conf p = good_port("n0", "net_null0");
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 1 };
	struct tw_dp_stats st;
	uint16_t pid = 999, tid = 0;
	char err[256] = "";
	struct tw_dp *dp;
	int n = 0;

	(void)state;
	dp = tw_dp_ports_create(&c, err, sizeof(err));
	assert_non_null(dp);
	assert_int_equal(tw_dp_port_count(dp), 1);
	assert_int_equal(tw_dp_port_ids(dp, 0, &pid, &tid), 0);
	assert_true(rte_eth_dev_is_valid_port(pid));
	assert_int_equal(tid, UINT16_MAX); /* no exception path asked */
	assert_int_equal(tw_dp_port_ids(dp, 1, &pid, &tid), -EINVAL);
	{
		struct tw_dp_port_info pi;
		struct rte_ether_addr mac;

		assert_int_equal(tw_dp_port_info(dp, 0, &pi), 0);
		assert_string_equal(pi.name, "n0");
		assert_string_equal(pi.devname, "net_null0");
		assert_string_equal(pi.tap_ifname, "");
		assert_int_equal(pi.port_id, pid);
		assert_int_equal(pi.tap_id, UINT16_MAX);
		assert_int_equal(pi.queues, 1);
		assert_int_equal(pi.rx_desc, 256);
		assert_false(pi.hw_rx_timestamp);
		assert_int_equal(rte_eth_macaddr_get(pid, &mac), 0);
		assert_memory_equal(pi.mac, mac.addr_bytes, 6);
		assert_int_equal(tw_dp_port_info(dp, 1, &pi), -EINVAL);
		assert_int_equal(tw_dp_port_info(NULL, 0, &pi), -EINVAL);
	}
	assert_int_equal(tw_dp_ports_start(dp, err, sizeof(err)), 0);
	assert_false(tw_dp_quitting(dp));
	for (int i = 0; i < 4; i++)
		n += tw_dp_worker_poll(dp, 0);
	assert_true(n > 0);
	tw_dp_service(dp);
	assert_int_equal(tw_dp_stats_get(dp, &st), 0);
	assert_int_equal(st.cnt[TW_DP_CNT_RX], (uint64_t)n);
	/* zero-filled frames: EtherType 0 is the kernel's, and there is no TAP */
	assert_int_equal(st.drop[TW_DP_DROP_NO_EXCEPTION], (uint64_t)n);
	assert_int_equal(st.cnt[TW_DP_CNT_EXC_QUEUED], 0);
	tw_dp_quit(dp);
	assert_true(tw_dp_quitting(dp));
	assert_int_equal(tw_dp_worker_main(tw_dp_worker_arg(dp, 0)), 0); /* returns at once */
	assert_int_equal(tw_dp_ports_stop(dp), 0);
	tw_dp_ports_destroy(dp);
	assert_int_equal(rte_eth_dev_count_avail(), 0); /* the vdev we probed is gone */
}

static void test_api_argument_errors(void **state)
{
	struct tw_dp_port_conf p = good_port("n1", "net_null1");
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 1 };
	struct tw_dp_stats st;
	char err[256];
	struct tw_dp *dp;

	(void)state;
	assert_int_equal(tw_dp_worker_poll(NULL, 0), -EINVAL);
	assert_int_equal(tw_dp_stats_get(NULL, &st), -EINVAL);
	assert_int_equal(tw_dp_udp_port_own(NULL, 862, true), -EINVAL);
	assert_int_equal(tw_dp_set_udp_handler(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(tw_dp_ports_start(NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(tw_dp_ports_stop(NULL), -EINVAL);
	assert_int_equal(tw_dp_port_count(NULL), 0);
	assert_null(tw_dp_clock(NULL));
	tw_dp_ports_destroy(NULL);
	dp = tw_dp_ports_create(&c, err, sizeof(err));
	assert_non_null(dp);
	assert_int_equal(tw_dp_worker_poll(dp, 1), -EINVAL);
	assert_null(tw_dp_worker_arg(dp, 1));
	assert_int_equal(tw_dp_stats_get(dp, NULL), -EINVAL);
	assert_int_equal(tw_dp_set_udp_handler(dp, NULL, NULL), 0);
	assert_int_equal(tw_dp_ports_start(dp, err, sizeof(err)), 0);
	assert_int_equal(tw_dp_set_udp_handler(dp, NULL, NULL), -EBUSY);
	assert_non_null(tw_dp_clock(dp));
	assert_int_not_equal(tw_dp_clock_errest(tw_dp_clock(dp)), 0);
	tw_dp_ports_destroy(dp); /* stops first */
	assert_int_equal(rte_eth_dev_count_avail(), 0);
}

static void test_counter_names(void **state)
{
	(void)state;
	for (unsigned i = 0; i < TW_DP_CNT__MAX; i++) {
		assert_string_not_equal(tw_dp_counter_name(i), "unknown");
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(tw_dp_counter_name(i), tw_dp_counter_name(j));
	}
	assert_string_equal(tw_dp_counter_name(TW_DP_CNT_RX), "rx");
	assert_string_equal(tw_dp_counter_name(TW_DP_CNT__MAX), "unknown");
}

/* ---- net_pcap: real frames with per-packet (hardware-like) timestamps ---- */

#define PCAP_SEC 1700000000u

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* UDP from 198.18.0.@src4 (IPv4) or 2001:2::2 (IPv6) to the port's address. */
static size_t frame_from(uint8_t *f, bool v6, uint16_t dport, uint8_t src4)
{
	size_t o;

	memset(f, 0, 128);
	memset(f, 0x02, 12);
	if (v6) {
		put16(f + 12, 0x86dd);
		f[14] = 0x60;
		put16(f + 18, 8 + 16);
		f[20] = 17;
		f[21] = 255;
		f[22] = 0x20, f[23] = 0x01, f[25] = 2, f[37] = 2;
		f[38] = 0x20, f[39] = 0x01, f[41] = 2, f[53] = 1;
		o = 54;
	} else {
		uint16_t s;

		put16(f + 12, 0x0800);
		f[14] = 0x45;
		put16(f + 16, 20 + 8 + 16);
		f[22] = 64;
		f[23] = 17;
		f[26] = 198, f[27] = 18, f[28] = 0, f[29] = src4;
		f[30] = 198, f[31] = 18, f[32] = 0, f[33] = 1;
		s = tw_dp_ipv4_hdr_sum(f + 14, 20);
		put16(f + 24, s);
		o = 34;
	}
	put16(f + o, 40000);
	put16(f + o + 2, dport);
	put16(f + o + 4, 8 + 16);
	put16(f + o + 6, tw_dp_udp_sum(f + 14, v6 ? 6 : 4, f + o, 8 + 16));
	return o + 8 + 16;
}

static size_t frame(uint8_t *f, bool v6, uint16_t dport)
{
	return frame_from(f, v6, dport, 2);
}

static int write_pcap(const char *path)
{
	/* the last from 198.18.0.255, the broadcast of the port's 198.18.0.1/24 */
	static const struct { bool v6; uint16_t dport; uint32_t usec; uint8_t src4; } pk[] = {
		{ false, 862, 123456, 2 }, { true, 862, 123457, 2 }, { false, 7, 999999, 2 },
		{ false, 862, 999999, 255 },
	};
	uint8_t gh[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	le32(gh + 16, 65535);
	le32(gh + 20, 1); /* Ethernet */
	fwrite(gh, 1, sizeof(gh), f);
	for (size_t i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
		uint8_t rec[16], fr[128];
		size_t n = frame_from(fr, pk[i].v6, pk[i].dport, pk[i].src4);

		le32(rec, PCAP_SEC);
		le32(rec + 4, pk[i].usec);
		le32(rec + 8, (uint32_t)n);
		le32(rec + 12, (uint32_t)n);
		fwrite(rec, 1, sizeof(rec), f);
		fwrite(fr, 1, n, f);
	}
	return fclose(f);
}

struct seen {
	unsigned calls, pkts;
	tw_ntp_t ts[8];
	uint16_t l2[8], l3[8];
	uint32_t ptype[8];
	unsigned port[8], worker[8];
};

static void handler(void *arg, unsigned worker, unsigned port, struct rte_mbuf **pkts,
		    uint16_t n, uint8_t *verdict)
{
	struct seen *s = arg;

	s->calls++;
	for (uint16_t i = 0; i < n; i++) {
		unsigned k = s->pkts++;

		assert_int_equal(verdict[i], TW_DP_V_EXCEPTION); /* the preset */
		if (k < 8) {
			s->ts[k] = tw_dp_rx_ntp(pkts[i]);
			s->l2[k] = pkts[i]->l2_len;
			s->l3[k] = pkts[i]->l3_len;
			s->ptype[k] = pkts[i]->packet_type;
			s->port[k] = port;
			s->worker[k] = worker;
		}
		verdict[i] = k == 0 ? TW_DP_V_TX : TW_DP_V_DROP;
	}
}

static void test_pcap_hw_timestamps_and_verdicts(void **state)
{
	struct tw_dp_port_conf p;
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 1 };
	struct seen s = { 0 };
	struct tw_dp_stats st;
	char dev[200], err[256] = "";
	struct tw_dp *dp;
	int64_t sec;
	uint32_t nsec;

	(void)state;
	assert_int_equal(write_pcap(pcap_in), 0);
	snprintf(dev, sizeof(dev), "net_pcap0,rx_pcap=%s,tx_pcap=%s", pcap_in, pcap_out);
	p = good_port("pc", dev);
	dp = tw_dp_ports_create(&c, err, sizeof(err));
	if (dp == NULL)
		fail_msg("create: %s", err);
	assert_int_equal(tw_dp_set_udp_handler(dp, handler, &s), 0);
	assert_int_equal(tw_dp_udp_port_own(dp, 862, true), 0);
	assert_int_equal(tw_dp_udp_port_own(dp, 7, true), 0);
	assert_int_equal(tw_dp_udp_port_own(dp, 7, false), 0); /* released again */
	{
		struct tw_dp_port_info pi;

		assert_int_equal(tw_dp_port_info(dp, 0, &pi), 0);
		assert_true(pi.hw_rx_timestamp); /* net_pcap's per-packet times */
	}
	assert_int_equal(tw_dp_ports_start(dp, err, sizeof(err)), 0);
	for (int i = 0; i < 8; i++)
		tw_dp_worker_poll(dp, 0);
	tw_dp_quit(dp);
	assert_int_equal(tw_dp_ports_stop(dp), 0);
	assert_int_equal(tw_dp_stats_get(dp, &st), 0);
	tw_dp_ports_destroy(dp);

	assert_int_equal(st.cnt[TW_DP_CNT_RX], 4);
	assert_int_equal(st.cnt[TW_DP_CNT_RX_HW_TS], 4);
	assert_int_equal(st.cnt[TW_DP_CNT_OWNED], 2);
	assert_int_equal(st.cnt[TW_DP_CNT_TX], 1);
	assert_int_equal(st.drop[TW_DP_DROP_HANDLER], 1);
	assert_int_equal(st.drop[TW_DP_DROP_NO_EXCEPTION], 1); /* UDP 7, no TAP */
	/* RFC 1122 §3.2.1.3 (d): the /24's broadcast is never a source */
	assert_int_equal(st.drop[TW_DP_DROP_SRC_ADDR], 1);
	assert_int_equal(s.pkts, 2);
	assert_int_equal(s.ts[0], tw_ntp_from_unix(PCAP_SEC, 123456000));
	assert_int_equal(s.ts[1], tw_ntp_from_unix(PCAP_SEC, 123457000));
	tw_ntp_to_unix(s.ts[1], &sec, &nsec);
	assert_int_equal(sec, PCAP_SEC);
	assert_int_equal((nsec + 500) / 1000, 123457); /* NTP rounds, to_unix floors */
	assert_int_equal(s.l2[0], 14);
	assert_int_equal(s.l3[0], 20);
	assert_int_equal(s.l3[1], 40);
	assert_int_equal(s.ptype[0], RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP);
	assert_int_equal(s.ptype[1], RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV6 | RTE_PTYPE_L4_UDP);
	assert_int_equal(s.port[0], 0);
	assert_int_equal(s.worker[0], 0);
}

static void test_pcap_tx_frame_written(void **state)
{
	FILE *f = fopen(pcap_out, "rb");
	uint8_t buf[512];
	size_t n;

	(void)state;
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* global header + one record of the 58-octet IPv4 frame the handler sent */
	assert_int_equal(n, 24 + 16 + 58);
	assert_int_equal(buf[24 + 16 + 12], 0x08);
	assert_int_equal(buf[24 + 16 + 36], 862 >> 8);
	assert_int_equal(buf[24 + 16 + 37], 862 & 0xff);
}

static void test_no_hw_timestamp_uses_tsc(void **state)
{
	struct tw_dp_port_conf p = good_port("n2", "net_null2");
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 1 };
	struct tw_dp_stats st;
	char err[256];
	struct tw_dp *dp = tw_dp_ports_create(&c, err, sizeof(err));

	(void)state;
	assert_non_null(dp);
	assert_int_equal(tw_dp_ports_start(dp, err, sizeof(err)), 0);
	assert_true(tw_dp_worker_poll(dp, 0) > 0);
	tw_dp_stats_get(dp, &st);
	assert_int_equal(st.cnt[TW_DP_CNT_RX_HW_TS], 0);
	tw_dp_ports_destroy(dp);
}

static void test_stats_per_port_and_lcore(void **state)
{
	struct tw_dp_port_conf p[2] = { good_port("a", "net_null5"),
					good_port("b", "net_null6,size=128") };
	struct tw_dp_conf c = { .ports = p, .n_ports = 2, .n_workers = 1 };
	struct tw_dp_stats all, pa, pb, w0, svc;
	char err[256];
	struct tw_dp *dp = tw_dp_ports_create(&c, err, sizeof(err));

	(void)state;
	assert_non_null(dp);
	assert_int_equal(tw_dp_port_index(dp, "a"), 0);
	assert_int_equal(tw_dp_port_index(dp, "b"), 1);
	assert_int_equal(tw_dp_port_index(dp, "c"), -ENOENT);
	assert_int_equal(tw_dp_port_index(NULL, "a"), -EINVAL);
	assert_int_equal(tw_dp_ports_start(dp, err, sizeof(err)), 0);
	assert_true(tw_dp_worker_poll(dp, 0) > 0);
	assert_int_equal(tw_dp_stats_get(dp, &all), 0);
	assert_int_equal(tw_dp_stats_sum(dp, -1, 0, &pa), 0);
	assert_int_equal(tw_dp_stats_sum(dp, -1, 1, &pb), 0);
	assert_int_equal(tw_dp_stats_sum(dp, 0, -1, &w0), 0);
	assert_int_equal(tw_dp_stats_sum(dp, 1, -1, &svc), 0);
	/* one burst from each port, all on worker 0, nothing on the service */
	assert_int_equal(pa.cnt[TW_DP_CNT_RX], TW_DP_BURST);
	assert_int_equal(pb.cnt[TW_DP_CNT_RX], TW_DP_BURST);
	assert_int_equal(all.cnt[TW_DP_CNT_RX], 2 * TW_DP_BURST);
	assert_int_equal(w0.cnt[TW_DP_CNT_RX], 2 * TW_DP_BURST);
	assert_int_equal(svc.cnt[TW_DP_CNT_RX], 0);
	assert_int_equal(tw_dp_stats_sum(dp, 2, -1, &svc), -EINVAL);
	assert_int_equal(tw_dp_stats_sum(dp, -1, 2, &svc), -EINVAL);
	assert_int_equal(tw_dp_stats_sum(dp, -1, -1, NULL), -EINVAL);
	tw_dp_ports_destroy(dp);
}

/* ---- net_ring loops TX back to RX: reply path, TX stamp, turnaround ---- */

struct stamp_seen {
	unsigned calls, pkts;
	tw_ntp_t now;
	unsigned port;
};

static void reflect_all(void *arg, unsigned worker, unsigned port, struct rte_mbuf **pkts,
			uint16_t n, uint8_t *verdict)
{
	(void)arg;
	(void)worker;
	(void)port;
	(void)pkts;
	memset(verdict, TW_DP_V_TX, n);
}

static void stamp(void *arg, unsigned port, struct rte_mbuf **pkts, uint16_t n, tw_ntp_t now)
{
	struct stamp_seen *s = arg;

	s->calls++;
	s->pkts += n;
	s->now = now;
	s->port = port;
	for (uint16_t i = 0; i < n; i++)
		assert_true(tw_ntp_diff_ns(now, tw_dp_rx_ntp(pkts[i])) >= 0);
}

static void test_ring_reply_stamp_and_turnaround(void **state)
{
	struct tw_dp_port_conf p = good_port("r0", "net_ring0");
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 1 };
	static struct tw_dp_hist h;
	struct stamp_seen s = { 0 };
	struct rte_mbuf *m[4];
	struct tw_dp_stats st;
	struct rte_mempool *mp;
	char err[256];
	struct tw_dp *dp;
	uint16_t pid;

	(void)state;
	dp = tw_dp_ports_create(&c, err, sizeof(err));
	if (dp == NULL)
		fail_msg("create: %s", err);
	assert_int_equal(tw_dp_set_udp_handler(dp, reflect_all, NULL), 0);
	assert_int_equal(tw_dp_set_tx_stamp(dp, stamp, &s), 0);
	tw_dp_udp_port_own(dp, 862, true);
	assert_int_equal(tw_dp_ports_start(dp, err, sizeof(err)), 0);
	assert_int_equal(tw_dp_set_tx_stamp(dp, NULL, NULL), -EBUSY);
	assert_int_equal(tw_dp_port_ids(dp, 0, &pid, NULL), 0);
	mp = rte_pktmbuf_pool_create("ring_test", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	assert_non_null(mp);
	for (int i = 0; i < 4; i++) {
		uint8_t f[128];
		size_t n = frame(f, i & 1, 862);

		m[i] = rte_pktmbuf_alloc(mp);
		assert_non_null(m[i]);
		memcpy(rte_pktmbuf_append(m[i], (uint16_t)n), f, n);
	}
	/* what the test sends on the ring comes back in on the same port */
	assert_int_equal(rte_eth_tx_burst(pid, 0, m, 4), 4);
	assert_int_equal(tw_dp_worker_poll(dp, 0), 4);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.pkts, 4);
	assert_int_equal(s.port, 0);
	assert_int_equal(tw_dp_turnaround_get(dp, 0, &h), 0);
	assert_int_equal(h.count, 4);
	assert_true(h.max_ns < 10000000); /* same TSC clock: well under 10 ms */
	assert_true(tw_dp_hist_quantile(&h, 0.5) <= h.max_ns);
	assert_int_equal(tw_dp_turnaround_get(dp, -1, &h), 0);
	assert_int_equal(h.count, 4);
	assert_int_equal(tw_dp_turnaround_get(dp, 1, &h), -EINVAL);
	assert_int_equal(tw_dp_turnaround_get(NULL, -1, &h), -EINVAL);
	tw_dp_stats_get(dp, &st);
	assert_int_equal(st.cnt[TW_DP_CNT_RX], 4);
	assert_int_equal(st.cnt[TW_DP_CNT_OWNED], 4);
	assert_int_equal(st.cnt[TW_DP_CNT_TX], 4);
	/* the replies loop round again: a second pass reflects them once more */
	assert_int_equal(tw_dp_worker_poll(dp, 0), 4);
	assert_int_equal(s.pkts, 8);
	tw_dp_ports_destroy(dp);
	rte_mempool_free(mp);
}

static void test_mac_override(void **state)
{
	static const uint8_t want[6] = { 0x02, 0x54, 0x57, 0x00, 0x00, 0x01 };
	struct tw_dp_port_conf p = good_port("m0", "net_null9");
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 1 };
	struct tw_dp_port_info pi;
	struct rte_ether_addr mac;
	char err[256] = "";
	struct tw_dp *dp;

	(void)state;
	p.has_mac = true;
	memcpy(p.mac, want, 6);
	dp = tw_dp_ports_create(&c, err, sizeof(err));
	if (dp == NULL)
		fail_msg("create: %s", err);
	assert_int_equal(tw_dp_port_info(dp, 0, &pi), 0);
	assert_memory_equal(pi.mac, want, 6);
	assert_int_equal(rte_eth_macaddr_get(pi.port_id, &mac), 0);
	assert_memory_equal(mac.addr_bytes, want, 6);
	tw_dp_ports_destroy(dp);
}

static void test_sixteen_addresses_per_family(void **state)
{
	struct tw_dp_port_conf p = good_port("a16", "net_null10");
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 1 };
	char err[256] = "";
	struct tw_dp *dp;

	(void)state;
	for (unsigned i = 0; i < 2 * TW_DP_ADDRS_MAX; i++) {
		p.addrs[i] = p.addrs[i & 1];
		p.addrs[i].addr[i & 1 ? 15 : 3] = (uint8_t)(i + 1);
	}
	p.n_addrs = 2 * TW_DP_ADDRS_MAX;
	dp = tw_dp_ports_create(&c, err, sizeof(err));
	if (dp == NULL)
		fail_msg("create: %s", err);
	tw_dp_ports_destroy(dp);
}

static void test_long_name_without_tap(void **state)
{
	struct tw_dp_port_conf p = good_port("a-port-name-of-31-characters-xy", "net_null11");
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 1 };
	struct tw_dp_port_info pi;
	char err[256] = "";
	struct tw_dp *dp;

	(void)state;
	assert_int_equal(strlen(p.name), 31);
	dp = tw_dp_ports_create(&c, err, sizeof(err));
	if (dp == NULL)
		fail_msg("create: %s", err);
	assert_int_equal(tw_dp_port_info(dp, 0, &pi), 0);
	assert_string_equal(pi.name, "a-port-name-of-31-characters-xy");
	assert_int_equal(tw_dp_port_index(dp, "a-port-name-of-31-characters-xy"), 0);
	tw_dp_ports_destroy(dp);
}

static void test_service_thread(void **state)
{
	struct tw_dp_port_conf p = good_port("s0", "net_null12");
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 1 };
	char err[256] = "";
	struct tw_dp *dp = tw_dp_ports_create(&c, err, sizeof(err));

	(void)state;
	assert_non_null(dp);
	assert_int_equal(tw_dp_service_start(NULL, 100), -EINVAL);
	assert_int_equal(tw_dp_service_stop(NULL), -EINVAL);
	assert_int_equal(tw_dp_service_stop(dp), 0); /* none running */
	assert_int_equal(tw_dp_ports_start(dp, err, sizeof(err)), 0);
	assert_int_equal(tw_dp_service_start(dp, 100), 0);
	assert_int_equal(tw_dp_service_start(dp, 100), -EBUSY);
	assert_int_equal(tw_dp_service_stop(dp), 0);
	assert_int_equal(tw_dp_service_start(dp, 0), 0); /* again, busy polling */
	tw_dp_ports_destroy(dp); /* stops and joins it */
}

static void test_two_data_planes_at_once(void **state)
{
	struct tw_dp_port_conf a = good_port("up", "net_null7"), b = good_port("up", "net_null8");
	struct tw_dp_conf ca = { .ports = &a, .n_ports = 1, .n_workers = 1 };
	struct tw_dp_conf cb = { .ports = &b, .n_ports = 1, .n_workers = 2 };
	char err[256] = "";
	struct tw_dp *x, *y;

	(void)state;
	x = tw_dp_ports_create(&ca, err, sizeof(err));
	assert_non_null(x);
	/* same port name, its own pool and rings: nothing clashes */
	y = tw_dp_ports_create(&cb, err, sizeof(err));
	if (y == NULL)
		fail_msg("second data plane: %s", err);
	assert_int_equal(rte_eth_dev_count_avail(), 2);
	tw_dp_ports_destroy(y);
	tw_dp_ports_destroy(x);
	assert_int_equal(rte_eth_dev_count_avail(), 0);
}

static void *worker_thread(void *arg)
{
	return (void *)(intptr_t)tw_dp_worker_main(arg);
}

static void test_qsbr_worker_reports_quiescence(void **state)
{
	struct tw_dp_port_conf p = good_port("q0", "net_null3");
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 1 };
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *q = aligned_alloc(RTE_CACHE_LINE_SIZE,
					       RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE));
	char err[256];
	struct tw_dp *dp;
	pthread_t th;
	void *ret;
	uint64_t tok;

	(void)state;
	assert_non_null(q);
	assert_int_equal(rte_rcu_qsbr_init(q, 1), 0);
	c.qsbr = q;
	dp = tw_dp_ports_create(&c, err, sizeof(err));
	assert_non_null(dp);
	assert_int_equal(tw_dp_ports_start(dp, err, sizeof(err)), 0);
	assert_int_equal(pthread_create(&th, NULL, worker_thread, tw_dp_worker_arg(dp, 0)), 0);
	/* a writer's grace period ends because the worker reports each loop */
	tok = rte_rcu_qsbr_start(q);
	assert_int_equal(rte_rcu_qsbr_check(q, tok, true), 1);
	tok = rte_rcu_qsbr_start(q);
	assert_int_equal(rte_rcu_qsbr_check(q, tok, true), 1);
	tw_dp_quit(dp);
	assert_int_equal(pthread_join(th, &ret), 0);
	assert_int_equal((intptr_t)ret, 0);
	/* the worker unregistered on its way out: nothing to wait for */
	tok = rte_rcu_qsbr_start(q);
	assert_int_equal(rte_rcu_qsbr_check(q, tok, false), 1);
	tw_dp_ports_destroy(dp);
	free(q);
}

static void test_qsbr_too_few_threads(void **state)
{
	struct tw_dp_port_conf p = good_port("q1", "net_null4");
	struct tw_dp_conf c = { .ports = &p, .n_ports = 1, .n_workers = 2 };
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *q = aligned_alloc(RTE_CACHE_LINE_SIZE,
					       RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE));

	(void)state;
	assert_non_null(q);
	assert_int_equal(rte_rcu_qsbr_init(q, 1), 0);
	c.qsbr = q;
	expect_einval(&c, "QSBR");
	free(q);
}

int main(void)
{
	char *eal[] = { "test_dataplane_ports", "--no-huge", "-m", "256", "--no-pci",
			"--no-shconf", "--no-telemetry", "-l", "0",
			"--log-level=*:crit" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_null_and_counts),
		cmocka_unit_test(test_conf_bad_names),
		cmocka_unit_test(test_conf_bad_port_fields),
		cmocka_unit_test(test_probe_failure_names_port_and_device),
		cmocka_unit_test(test_null_port_life_cycle),
		cmocka_unit_test(test_api_argument_errors),
		cmocka_unit_test(test_counter_names),
		cmocka_unit_test(test_pcap_hw_timestamps_and_verdicts),
		cmocka_unit_test(test_pcap_tx_frame_written),
		cmocka_unit_test(test_no_hw_timestamp_uses_tsc),
		cmocka_unit_test(test_qsbr_worker_reports_quiescence),
		cmocka_unit_test(test_qsbr_too_few_threads),
		cmocka_unit_test(test_stats_per_port_and_lcore),
		cmocka_unit_test(test_ring_reply_stamp_and_turnaround),
		cmocka_unit_test(test_two_data_planes_at_once),
		cmocka_unit_test(test_mac_override),
		cmocka_unit_test(test_service_thread),
		cmocka_unit_test(test_long_name_without_tap),
		cmocka_unit_test(test_sixteen_addresses_per_family),
	};
	int rc;

	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	snprintf(pcap_in, sizeof(pcap_in), "/tmp/tw-dp-test-%d-in.pcap", (int)getpid());
	snprintf(pcap_out, sizeof(pcap_out), "/tmp/tw-dp-test-%d-out.pcap", (int)getpid());
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(pcap_in);
	unlink(pcap_out);
	tw_test_eal_cleanup();
	return rc;
}
