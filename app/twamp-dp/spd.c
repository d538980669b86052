/* SPDX-License-Identifier: BSD-3-Clause */
/* twamp-dp: the outbound SA of a sender test stream (spd.h). */

#include <string.h>
#include <sys/socket.h>

#include "spd.h"

bool app_spd_ts_holds(const struct tw_keyimp_ts *ts, uint8_t family, const uint8_t *addr,
		      uint8_t proto, uint16_t port)
{
	size_t len = family == AF_INET ? 4 : 16;

	/* RFC 7296 §3.13.1: an inclusive address range of one family,
	 * protocol 0 = any, an inclusive port range */
	if (ts->from.family != family || ts->to.family != family)
		return false;
	if (memcmp(addr, ts->from.addr, len) < 0 || memcmp(addr, ts->to.addr, len) > 0)
		return false;
	if (ts->proto != 0 && ts->proto != proto)
		return false;
	return port >= ts->port_lo && port <= ts->port_hi;
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
