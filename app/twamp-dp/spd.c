/* SPDX-License-Identifier: BSD-3-Clause */
/* twamp-dp: the outbound SA of a sender test stream (spd.h). */

#include <string.h>
#include <sys/socket.h>

#include "spd.h"

void app_spd_ts_to_ipsec(struct tw_ipsec_ts *o, const struct tw_keyimp_ts *ts)
{
	/* one family for both ends of the range, else it holds nothing */
	o->ipv = ts->from.family != ts->to.family ? 0 :
		 ts->from.family == AF_INET ? 4 : ts->from.family == AF_INET6 ? 6 : 0;
	o->proto = ts->proto;
	o->port_lo = ts->port_lo;
	o->port_hi = ts->port_hi;
	memcpy(o->from, ts->from.addr, 16);
	memcpy(o->to, ts->to.addr, 16);
}

bool app_spd_ts_holds(const struct tw_keyimp_ts *ts, uint8_t family, const uint8_t *addr,
		      uint8_t proto, uint16_t port)
{
	struct tw_ipsec_ts t;

	app_spd_ts_to_ipsec(&t, ts);
	return tw_ipsec_ts_holds(&t, family == AF_INET ? 4 : family == AF_INET6 ? 6 : 0, addr,
				 proto, port);
}

bool app_spd_covers(const struct tw_keyimp_child *c, const struct app_spd_flow *f)
{
	bool local = false, remote = false;

	if (c->dir != TW_KEYIMP_DIR_OUT)
		return false;
	for (unsigned i = 0; i < c->n_ts_local && !local; i++)
		local = app_spd_ts_holds(&c->ts_local[i], f->family, f->src, f->proto, f->sport);
	for (unsigned i = 0; i < c->n_ts_remote && !remote; i++)
		remote = app_spd_ts_holds(&c->ts_remote[i], f->family, f->dst, f->proto,
					  f->dport);
	return local && remote;
}

int app_spd_select(const struct tw_keyimp_child *c, const uint64_t *serial, unsigned n,
		   const struct app_spd_flow *f)
{
	int best = -1;

	for (unsigned i = 0; i < n; i++) {
		if (serial[i] == 0 || !app_spd_covers(&c[i], f))
			continue;
		if (best < 0 || serial[i] > serial[best])
			best = (int)i;
	}
	return best;
}
