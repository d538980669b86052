/* SPDX-License-Identifier: BSD-3-Clause */
/* Control-side helpers of the reflector and the receiver (dp_common.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "dp_common.h"

void *dp_obj_alloc(size_t sz)
{
	void *p;

	sz = RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE);
	p = aligned_alloc(RTE_CACHE_LINE_SIZE, sz);
	if (p != NULL)
		memset(p, 0, sz);
	return p;
}

int dp_tel_uint_arg(const char *params, unsigned long max, unsigned long *v)
{
	char *end;

	if (params == NULL || *params == '\0')
		return -EINVAL;
	errno = 0;
	*v = strtoul(params, &end, 10);
	if (*end != '\0' || errno != 0 || *v > max)
		return -EINVAL;
	return 0;
}

struct tw_keys *dp_sess_table_create(uint32_t max_sessions,
				     struct rte_rcu_qsbr *qsbr,
				     tw_keys_free_fn free_fn, void *free_arg)
{
	struct tw_keys_conf kc = { 0 };

	kc.entries = max_sessions + max_sessions / 4 + 64;
	kc.socket = SOCKET_ID_ANY;
	kc.qsbr = qsbr;
	kc.free_fn = free_fn;
	kc.free_arg = free_arg;
	return tw_keys_create(&kc);
}

int dp_tel_register(const struct dp_tel_cmd *cmds, unsigned n, bool *registered)
{
	int rc = 0;

	if (*registered)
		return 0;
	for (unsigned i = 0; rc == 0 && i < n; i++)
		rc = rte_telemetry_register_cmd(cmds[i].path, cmds[i].fn, cmds[i].help);
	if (rc == 0)
		*registered = true;
	return rc;
}
