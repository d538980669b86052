/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL teardown for the unit tests: rte_eal_cleanup() leaves the process's
 * runtime directory (/var/run/dpdk/PREFIX, empty with --no-shconf) behind;
 * a test leaves nothing behind, so it goes too.
 */
#ifndef TW_TEST_EAL_H
#define TW_TEST_EAL_H

#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>

static inline void tw_test_eal_cleanup(void)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(dir);   /* only if empty: another process's files stay */
}

#endif
