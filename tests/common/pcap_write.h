/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Minimal pcap writer for tests: wraps a payload in Ethernet + IPv4/IPv6 +
 * UDP or TCP (valid checksums) so tshark decodes what lib/proto encoded.
 */
#ifndef TW_TEST_PCAP_WRITE_H
#define TW_TEST_PCAP_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tw_pcap_flow {
	bool ipv6;
	uint8_t src[16], dst[16];   /* IPv4 uses the first 4 octets */
	uint16_t sport, dport;
	bool tcp;                   /* else UDP */
	uint32_t tcp_seq;           /* advanced by tw_pcap_write_frame */
	uint8_t ttl;                /* 0 means 64 */
	uint8_t tos;                /* DSCP << 2 | ECN */
};

/** Open FILE and write the pcap global header (Ethernet link type). */
FILE *tw_pcap_open(const char *path);

/** Append one frame carrying @p payload on @p flow. Returns 0 or -1. */
int tw_pcap_write_frame(FILE *f, struct tw_pcap_flow *flow,
			const uint8_t *payload, size_t len);

/** Convenience: a flow between two IPv4 addresses given as "a.b.c.d". */
struct tw_pcap_flow tw_pcap_flow4(const char *src, uint16_t sport,
				  const char *dst, uint16_t dport, bool tcp);
struct tw_pcap_flow tw_pcap_flow6(const char *src, uint16_t sport,
				  const char *dst, uint16_t dport, bool tcp);

#endif
