/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder: the Control-Client lands in the next commits. */
#include <errno.h>
#include <stdlib.h>

#include "tw_ctrl_client.h"

struct tw_ctrl_client *tw_ctrl_client_create(const struct tw_ctrl_client_conf *conf)
{
	(void)conf;
	errno = ENOSYS;
	return NULL;
}

void tw_ctrl_client_destroy(struct tw_ctrl_client *c)
{
	(void)c;
}
