/* SPDX-License-Identifier: BSD-3-Clause */
/* Control-side helpers of the reflector and the receiver (dp_private.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "dp_private.h"

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
