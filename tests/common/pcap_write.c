/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "pcap_write.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

FILE *tw_pcap_open(const char *path)
{
	uint8_t h[24] = { 0 };
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return NULL;
	/* little-endian magic, v2.4, snaplen 65535, LINKTYPE_ETHERNET */
	memcpy(h, "\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8);
	memcpy(h + 16, "\xff\xff\x00\x00\x01\x00\x00\x00", 8);
	if (fwrite(h, 1, sizeof(h), f) != sizeof(h)) {
		fclose(f);
		return NULL;
	}
	return f;
}

int tw_pcap_write_frame(FILE *f, struct tw_pcap_flow *fl, const uint8_t *payload, size_t len)
{
	static uint8_t frame[65600];
	size_t l3 = fl->ipv6 ? 40 : 20, l4 = fl->tcp ? 20 : 8;
	size_t tot = 14 + l3 + l4 + len;
	uint8_t *ip = frame + 14, *th = ip + l3;
	uint32_t s = 0;
	uint8_t rec[16];
	struct timespec ts;

	if (len > 65000)
		return -1;
	memset(frame, 0, 14 + l3 + l4);
	memcpy(frame, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	put16(frame + 12, fl->ipv6 ? 0x86dd : 0x0800);
	if (fl->ipv6) {
		put32(ip, 0x60000000u | (uint32_t)fl->tos << 20);
		put16(ip + 4, (uint16_t)(l4 + len));
		ip[6] = fl->tcp ? 6 : 17;
		ip[7] = fl->ttl ? fl->ttl : 64;
		memcpy(ip + 8, fl->src, 16);
		memcpy(ip + 24, fl->dst, 16);
		s = sum16(ip + 8, 32, 0);
	} else {
		ip[0] = 0x45;
		ip[1] = fl->tos;
		put16(ip + 2, (uint16_t)(l3 + l4 + len));
		ip[6] = 0x40; /* DF */
		ip[8] = fl->ttl ? fl->ttl : 64;
		ip[9] = fl->tcp ? 6 : 17;
		memcpy(ip + 12, fl->src, 4);
		memcpy(ip + 16, fl->dst, 4);
		put16(ip + 10, fold(sum16(ip, 20, 0)));
		s = sum16(ip + 12, 8, 0);
	}
	s += (uint32_t)(fl->tcp ? 6 : 17) + (uint32_t)(l4 + len);
	put16(th, fl->sport);
	put16(th + 2, fl->dport);
	if (fl->tcp) {
		put32(th + 4, fl->tcp_seq);
		put32(th + 8, 1);
		th[12] = 5 << 4;
		th[13] = 0x18; /* PSH|ACK */
		put16(th + 14, 65535);
		fl->tcp_seq += (uint32_t)len;
	} else {
		put16(th + 4, (uint16_t)(l4 + len));
	}
	memcpy(th + l4, payload, len);
	s = sum16(th, l4 + len, s);
	put16(th + (fl->tcp ? 16 : 6), fold(s) ? fold(s) : 0xffff);

	clock_gettime(CLOCK_REALTIME, &ts);
	/* record header, little-endian like the global header */
	for (int i = 0; i < 4; i++) {
		rec[i] = (uint8_t)((uint32_t)ts.tv_sec >> (8 * i));
		rec[4 + i] = (uint8_t)((uint32_t)(ts.tv_nsec / 1000) >> (8 * i));
		rec[8 + i] = (uint8_t)((uint32_t)tot >> (8 * i));
		rec[12 + i] = (uint8_t)((uint32_t)tot >> (8 * i));
	}
	if (fwrite(rec, 1, 16, f) != 16 || fwrite(frame, 1, tot, f) != tot)
		return -1;
	return 0;
}

static struct tw_pcap_flow flow(int af, const char *src, uint16_t sport,
				const char *dst, uint16_t dport, bool tcp)
{
	struct tw_pcap_flow fl = { .ipv6 = af == AF_INET6, .sport = sport,
				   .dport = dport, .tcp = tcp, .tcp_seq = 1 };

	inet_pton(af, src, fl.src);
	inet_pton(af, dst, fl.dst);
	return fl;
}

struct tw_pcap_flow tw_pcap_flow4(const char *src, uint16_t sport,
				  const char *dst, uint16_t dport, bool tcp)
{
	return flow(AF_INET, src, sport, dst, dport, tcp);
}

struct tw_pcap_flow tw_pcap_flow6(const char *src, uint16_t sport,
				  const char *dst, uint16_t dport, bool tcp)
{
	return flow(AF_INET6, src, sport, dst, dport, tcp);
}
