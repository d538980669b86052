/* SPDX-License-Identifier: BSD-3-Clause */
/* Minimal rtnetlink client: the TAP's addresses and link state, no `ip` exec. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "dp_private.h"

struct nl_req {
	struct nlmsghdr nh;
	union {
		struct ifaddrmsg ifa;
		struct ifinfomsg ifi;
	} u;
	char attrs[64];
};

static void add_attr(struct nl_req *r, uint16_t type, const void *data, uint16_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (uint16_t)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Send one request and wait for its ACK (NLMSG_ERROR with error 0). */
static int nl_talk(struct nl_req *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr nh;
		char buf[4096];
	} ans;
	int fd, rc = -EIO;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	r->nh.nlmsg_seq = 1;
	if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		struct nlmsghdr *nh;

		n = recv(fd, &ans, sizeof(ans), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		for (nh = &ans.nh; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != r->nh.nlmsg_seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr e;

				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(e)))
					goto out;
				memcpy(&e, NLMSG_DATA(nh), sizeof(e));
				rc = e.error;
				goto out;
			}
		}
	}
out:
	close(fd);
	return rc;
}

int tw_dp_nl_query(const void *req, size_t req_len, void *reply, size_t cap)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1 };
	union {
		struct nlmsghdr nh;
		char buf[8192];
	} ans;
	struct nlmsghdr h;
	int fd, rc = -EIO;
	ssize_t n;

	if (req == NULL || req_len < sizeof(h) || reply == NULL)
		return -EINVAL;
	memcpy(&h, req, sizeof(h));
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, req, req_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		struct nlmsghdr *nh;

		n = recv(fd, &ans, sizeof(ans), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto out;
		}
		for (nh = &ans.nh; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != h.nlmsg_seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr e;

				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(e)))
					goto out;
				memcpy(&e, NLMSG_DATA(nh), sizeof(e));
				rc = e.error != 0 ? e.error : -ENOENT;
				goto out;
			}
			if (nh->nlmsg_len > cap) {
				rc = -EMSGSIZE;
				goto out;
			}
			memcpy(reply, nh, nh->nlmsg_len);
			rc = (int)nh->nlmsg_len;
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}

int tw_dp_nl_addr_add(unsigned ifindex, const struct tw_dp_prefix *p)
{
	struct nl_req r;
	uint16_t alen = p->family == AF_INET ? 4 : 16;

	if ((p->family != AF_INET && p->family != AF_INET6) ||
	    p->len > alen * 8)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	r.nh.nlmsg_type = RTM_NEWADDR;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	r.u.ifa.ifa_family = (uint8_t)p->family;
	r.u.ifa.ifa_prefixlen = p->len;
	r.u.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	r.u.ifa.ifa_index = ifindex;
	/* the appliance owns the address: no duplicate detection delay */
	if (p->family == AF_INET6)
		r.u.ifa.ifa_flags = IFA_F_NODAD;
	add_attr(&r, IFA_LOCAL, p->addr, alen);
	add_attr(&r, IFA_ADDRESS, p->addr, alen);
	return nl_talk(&r);
}

int tw_dp_nl_link_up(unsigned ifindex)
{
	struct nl_req r;

	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r.nh.nlmsg_type = RTM_NEWLINK;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	r.u.ifi.ifi_family = AF_UNSPEC;
	r.u.ifi.ifi_index = (int)ifindex;
	r.u.ifi.ifi_flags = IFF_UP;
	r.u.ifi.ifi_change = IFF_UP;
	return nl_talk(&r);
}
