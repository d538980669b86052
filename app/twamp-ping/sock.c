/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The test socket: an unconnected kernel UDP socket (ICMP errors never fail
 * a send, so every scheduled packet leaves), SO_TIMESTAMPING for receive
 * timestamps (software from the kernel, hardware when the NIC offers them
 * and --hw-timestamps names it) and for transmit timestamps from the error
 * queue, which measure how late each packet really left; TTL / Hop Limit
 * and TOS / Traffic Class of every reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "ping.h"

static bool same_addr(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

/* Ask the NIC for hardware timestamps (SIOCSHWTSTAMP). */
static int hw_enable(int fd, const char *ifname)
{
	struct hwtstamp_config hc = {
		.tx_type = HWTSTAMP_TX_ON,
		.rx_filter = HWTSTAMP_FILTER_ALL,
	};
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	ifr.ifr_data = (char *)&hc;
	if (ioctl(fd, SIOCSHWTSTAMP, &ifr) < 0)
		return -errno;
	return 0;
}

int psock_open(struct psock *s, const struct sockaddr_storage *peer,
	       socklen_t peer_len, const struct sockaddr_storage *src,
	       socklen_t src_len, int tos, const char *hw_if, char *err,
	       size_t errlen)
{
	int one = 1, ttl = 255, rcvbuf = 8 << 20, v6 = peer->ss_family == AF_INET6;
	unsigned flags = SOF_TIMESTAMPING_RX_SOFTWARE |
			 SOF_TIMESTAMPING_TX_SOFTWARE |
			 SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID |
			 SOF_TIMESTAMPING_OPT_TSONLY;

	memset(s, 0, sizeof(*s));
	s->family = peer->ss_family;
	memcpy(&s->peer, peer, peer_len);
	s->peer_len = peer_len;
	s->fd = socket(s->family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	if (src != NULL && src_len > 0 &&
	    bind(s->fd, (const struct sockaddr *)src, src_len) < 0) {
		int e = errno;

		snprintf(err, errlen, "bind to the source address: %s",
			 strerror(e));
		close(s->fd);
		s->fd = -1;
		return -e;
	}
	if (hw_if != NULL && hw_if[0] != '\0') {
		int rc = hw_enable(s->fd, hw_if);

		if (rc < 0) {
			snprintf(err, errlen,
				 "hardware timestamps on %s: %s", hw_if,
				 strerror(-rc));
			close(s->fd);
			s->fd = -1;
			return rc;
		}
		flags |= SOF_TIMESTAMPING_RX_HARDWARE |
			 SOF_TIMESTAMPING_TX_HARDWARE |
			 SOF_TIMESTAMPING_RAW_HARDWARE;
		s->hw = true;
	}
	/* replies and TX timestamps share the receive buffer: make room for
	 * bursts (FORCE works as root, beyond net.core.rmem_max) */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf));
	if (setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPING, &flags,
		       sizeof(flags)) < 0) {
		/* without kernel timestamps the run still works: user-space
		 * receive times, no departure measurement */
		flags = 0;
	}
	/* RFC 5357 §4.2.1: Sender TTL is 255 when sent, so hops can be told.
	 * Never fragment: a test packet above the path MTU is an error the
	 * user must see (EMSGSIZE), not a silent change of the packet type. */
	if (v6) {
		int pmtu = IPV6_PMTUDISC_DO;

		(void)setsockopt(s->fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu,
				 sizeof(pmtu));
		(void)setsockopt(s->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl,
				 sizeof(ttl));
		(void)setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one,
				 sizeof(one));
		(void)setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one,
				 sizeof(one));
		if (tos >= 0 && setsockopt(s->fd, IPPROTO_IPV6, IPV6_TCLASS,
					   &tos, sizeof(tos)) < 0)
			goto tos_fail;
	} else {
		int pmtu = IP_PMTUDISC_DO;

		(void)setsockopt(s->fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
				 sizeof(pmtu));
		(void)setsockopt(s->fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
		(void)setsockopt(s->fd, IPPROTO_IP, IP_RECVTTL, &one,
				 sizeof(one));
		(void)setsockopt(s->fd, IPPROTO_IP, IP_RECVTOS, &one,
				 sizeof(one));
		if (tos >= 0 && setsockopt(s->fd, IPPROTO_IP, IP_TOS, &tos,
					   sizeof(tos)) < 0)
			goto tos_fail;
	}
	return 0;
tos_fail:
	snprintf(err, errlen, "setting DSCP: %s", strerror(errno));
	close(s->fd);
	s->fd = -1;
	return -EINVAL;
}

void psock_close(struct psock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int psock_send(struct psock *s, const uint8_t *buf, size_t len, uint32_t *key)
{
	for (;;) {
		ssize_t n = sendto(s->fd, buf, len, 0,
				   (const struct sockaddr *)&s->peer,
				   s->peer_len);

		if (n == (ssize_t)len) {
			*key = s->tx_key++;
			return 0;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : -EMSGSIZE;
	}
}

static void rx_cmsgs(struct msghdr *mh, struct psock_rx *rx)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL;
	     c = CMSG_NXTHDR(mh, c)) {
		int v;

		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SO_TIMESTAMPING) {
			struct scm_timestamping ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			if (ts.ts[2].tv_sec != 0 || ts.ts[2].tv_nsec != 0) {
				rx->ts_ns = ts.ts[2].tv_sec * 1000000000LL +
					    ts.ts[2].tv_nsec;
				rx->ts_kernel = rx->ts_hw = true;
			} else if (!rx->ts_hw && (ts.ts[0].tv_sec != 0 ||
						  ts.ts[0].tv_nsec != 0)) {
				rx->ts_ns = ts.ts[0].tv_sec * 1000000000LL +
					    ts.ts[0].tv_nsec;
				rx->ts_kernel = true;
			}
		} else if ((c->cmsg_level == IPPROTO_IP &&
			    (c->cmsg_type == IP_TTL)) ||
			   (c->cmsg_level == IPPROTO_IPV6 &&
			    c->cmsg_type == IPV6_HOPLIMIT)) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			rx->ttl = v;
		} else if (c->cmsg_level == IPPROTO_IP &&
			   c->cmsg_type == IP_TOS) {
			rx->tos = *(const uint8_t *)CMSG_DATA(c);
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
			   c->cmsg_type == IPV6_TCLASS) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			rx->tos = v & 0xff;
		}
	}
}

int psock_recv(struct psock *s, struct psock_msg *m, unsigned max)
{
	struct mmsghdr mm[PSOCK_BATCH];
	struct iovec iov[PSOCK_BATCH];
	struct sockaddr_storage from[PSOCK_BATCH];
	/* aligned for struct cmsghdr */
	union {
		char buf[256];
		struct cmsghdr align;
	} ctl[PSOCK_BATCH];
	struct timespec now;
	int n;

	if (max > PSOCK_BATCH)
		max = PSOCK_BATCH;
	for (unsigned i = 0; i < max; i++) {
		iov[i].iov_base = m[i].buf;
		iov[i].iov_len = sizeof(m[i].buf);
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_name = &from[i];
		mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_control = ctl[i].buf;
		mm[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
	}
	n = recvmmsg(s->fd, mm, max, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		       errno == EINTR ? 0 : -errno;
	clock_gettime(CLOCK_REALTIME, &now);
	for (int i = 0; i < n; i++) {
		struct psock_rx *rx = &m[i].rx;

		memset(rx, 0, sizeof(*rx));
		rx->ttl = rx->tos = -1;
		m[i].len = mm[i].msg_len;
		rx_cmsgs(&mm[i].msg_hdr, rx);
		if (!rx->ts_kernel)
			rx->ts_ns = now.tv_sec * 1000000000LL + now.tv_nsec;
		rx->from_peer = same_addr(&from[i], &s->peer);
	}
	return n;
}

int psock_txts(struct psock *s, void (*cb)(uint32_t, int64_t, void *),
	       void *arg)
{
	int got = 0;

	for (;;) {
		union {
			char buf[512];
			struct cmsghdr align;
		} ctl;
		struct msghdr mh = {
			.msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf),
		};
		int64_t ts = 0;
		bool have_key = false;
		uint32_t key = 0;

		if (recvmsg(s->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? got :
			       -errno;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL;
		     c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SO_TIMESTAMPING) {
				struct scm_timestamping t;

				memcpy(&t, CMSG_DATA(c), sizeof(t));
				if (s->hw && (t.ts[2].tv_sec || t.ts[2].tv_nsec))
					ts = t.ts[2].tv_sec * 1000000000LL +
					     t.ts[2].tv_nsec;
				else
					ts = t.ts[0].tv_sec * 1000000000LL +
					     t.ts[0].tv_nsec;
			} else if ((c->cmsg_level == IPPROTO_IP &&
				    c->cmsg_type == IP_RECVERR) ||
				   (c->cmsg_level == IPPROTO_IPV6 &&
				    c->cmsg_type == IPV6_RECVERR)) {
				struct sock_extended_err ee;

				memcpy(&ee, CMSG_DATA(c), sizeof(ee));
				if (ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING &&
				    ee.ee_info == SCM_TSTAMP_SND) {
					key = ee.ee_data;
					have_key = true;
				}
			}
		}
		if (have_key && ts != 0) {
			cb(key, ts, arg);
			got++;
		}
	}
}
