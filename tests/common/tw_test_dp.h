/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL environment of the data-plane unit tests that run packets through
 * lib/dataplane handlers (test_reflect, test_recv): EAL, the RX-timestamp
 * mbuf field, an mbuf pool, a crypto engine and the TSC clock; and their
 * teardown. One place, so the suites set up the same thing.
 */
#ifndef TW_TEST_DP_H
#define TW_TEST_DP_H

#include <stdio.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "tw_crypto.h"
#include "tw_dataplane.h"
#include "tw_dp_clock.h"
#include "tw_test_eal.h"

/* EAL init with @p eal (NULL-terminated), then the rest; 0, or 1 after a
 * message on stderr (the test's exit status). */
static inline int tw_test_dp_init(char **eal, const char *pool_name, unsigned n_mbufs,
				  struct rte_mempool **pool, struct tw_crypto_engine **teng,
				  struct tw_dp_clock *clk)
{
	static const struct rte_mbuf_dynfield ntp_field = {
		.name = "tw_dp_rx_ntp",
		.size = sizeof(tw_ntp_t),
		.align = __alignof__(tw_ntp_t),
	};
	int argc = 0;

	while (eal[argc] != NULL)
		argc++;
	if (rte_eal_init(argc, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	tw_dp_rx_ntp_offset = rte_mbuf_dynfield_register(&ntp_field);
	*pool = rte_pktmbuf_pool_create(pool_name, n_mbufs, 0, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	*teng = tw_crypto_engine_create(TW_CRYPTO_IMPL_BEST);
	if (tw_dp_rx_ntp_offset < 0 || *pool == NULL || *teng == NULL ||
	    tw_dp_clock_init(clk, rte_get_tsc_hz()) != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	return 0;
}

static inline void tw_test_dp_fini(struct rte_mempool *pool, struct tw_crypto_engine *teng)
{
	tw_crypto_engine_destroy(teng);
	rte_mempool_free(pool);
	tw_test_eal_cleanup();
}

#endif
