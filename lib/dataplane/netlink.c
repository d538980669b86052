/* SPDX-License-Identifier: BSD-3-Clause */
/* Minimal rtnetlink client: the TAP's addresses and link state, no `ip` exec. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
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
		struct rtmsg rt;
		struct ndmsg nd;
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

/*
 * Send one request and take the first answer with its sequence number: an
 * NLMSG_ERROR gives its error (0 is the ACK), any other message is copied
 * into @reply (NULL: none wanted) and its length returned. 1 s at most.
 */
static int nl_query(const struct nl_req *r, void *reply, size_t cap)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1 };
	union {
		struct nlmsghdr nh;
		char buf[8192];
	} ans;
	int fd, rc = -EIO;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
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
			rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
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
			if (reply == NULL || nh->nlmsg_len > cap) {
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

/* A change (NLM_F_ACK set): 0 or -errno. */
static int nl_talk(struct nl_req *r)
{
	int rc;

	r->nh.nlmsg_seq = 1;
	rc = nl_query(r, NULL, 0);
	return rc > 0 ? -EIO : rc;
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

/* RTM_GETROUTE: the gateway to @dst (or dst itself when on-link) via @ifindex. */
int tw_dp_nl_route_nexthop(unsigned ifindex, int family, const uint8_t *dst, uint8_t *nh)
{
	union {
		struct nlmsghdr h;
		char buf[4096];
	} ans;
	struct nl_req r;
	uint16_t alen = family == AF_INET ? 4 : 16;
	uint32_t oif = ifindex, got_oif = 0;
	struct rtattr *rta;
	int len, rc;

	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	r.nh.nlmsg_type = RTM_GETROUTE;
	r.nh.nlmsg_flags = NLM_F_REQUEST;
	r.nh.nlmsg_seq = 2;
	r.u.rt.rtm_family = (uint8_t)family;
	r.u.rt.rtm_dst_len = (uint8_t)(alen * 8);
	add_attr(&r, RTA_DST, dst, alen);
	add_attr(&r, RTA_OIF, &oif, sizeof(oif));
	rc = nl_query(&r, &ans, sizeof(ans));
	if (rc < 0)
		return -ENETUNREACH;
	memcpy(nh, dst, alen);
	len = (int)RTM_PAYLOAD(&ans.h);
	for (rta = RTM_RTA(NLMSG_DATA(&ans.h)); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == RTA_GATEWAY && RTA_PAYLOAD(rta) == alen)
			memcpy(nh, RTA_DATA(rta), alen);
		else if (rta->rta_type == RTA_OIF && RTA_PAYLOAD(rta) == 4)
			memcpy(&got_oif, RTA_DATA(rta), 4);
	}
	return got_oif == ifindex ? 0 : -ENETUNREACH;
}

/* RTM_GETNEIGH: 0 with @mac, -EAGAIN (absent or resolving), -EHOSTUNREACH. */
int tw_dp_nl_neigh_get(unsigned ifindex, int family, const uint8_t *ip, uint8_t *mac)
{
	union {
		struct nlmsghdr h;
		char buf[4096];
	} ans;
	struct nl_req r;
	struct ndmsg nd;
	uint16_t alen = family == AF_INET ? 4 : 16;
	struct rtattr *rta;
	bool have = false;
	int len, rc;

	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg));
	r.nh.nlmsg_type = RTM_GETNEIGH;
	r.nh.nlmsg_flags = NLM_F_REQUEST;
	r.nh.nlmsg_seq = 3;
	r.u.nd.ndm_family = (uint8_t)family;
	r.u.nd.ndm_ifindex = (int)ifindex;
	add_attr(&r, NDA_DST, ip, alen);
	rc = nl_query(&r, &ans, sizeof(ans));
	if (rc == -ENOENT)
		return -EAGAIN;
	if (rc < 0)
		return rc;
	if (ans.h.nlmsg_type != RTM_NEWNEIGH || ans.h.nlmsg_len < NLMSG_LENGTH(sizeof(nd)))
		return -EIO;
	memcpy(&nd, NLMSG_DATA(&ans.h), sizeof(nd));
	len = (int)(ans.h.nlmsg_len - NLMSG_LENGTH(sizeof(nd)));
	for (rta = (struct rtattr *)((char *)NLMSG_DATA(&ans.h) + NLMSG_ALIGN(sizeof(nd)));
	     RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == NDA_LLADDR && RTA_PAYLOAD(rta) == 6) {
			memcpy(mac, RTA_DATA(rta), 6);
			have = true;
		}
	}
	if (nd.ndm_state & NUD_FAILED)
		return -EHOSTUNREACH;
	if (have && (nd.ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
				     NUD_PERMANENT | NUD_NOARP)))
		return 0;
	return -EAGAIN;
}
