/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/ipsec internals shared by tw_ipsec.c, dp.c and telemetry.c. */
#ifndef TW_IPSEC_PRIV_H
#define TW_IPSEC_PRIV_H

#include <rte_ipsec.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>

#include "tw_ipsec.h"
#include "tw_ipsec_ah.h"
#include "tw_keys.h"

/* One worker's counters of one SA (the last slot: the control thread). */
struct ipsec_cnt {
	uint64_t packets, octets, auth_fail, replay_drop, bad, inner_drop,
		 no_reply_sa, seq_overflow, errors, ts_mismatch, ecn_drop;
} __rte_cache_aligned;

struct ipsec_sa {
	struct rte_ipsec_session ss;    /* first: workers read it per burst */
	struct ipsec_sa *reply;         /* IN: paired outbound SA, __atomic */
	struct rte_ipsec_sa *rsa;
	struct tw_ipsec_ah *ah;         /* AH SAs: application code, no rsa */
	void *cses;
	uint8_t dev_id;
	uint8_t ipv, inner_ipv;
	bool tunnel, encap_udp;
	enum tw_ipsec_dir dir;
	uint8_t block;                  /* ciphertext alignment */
	uint16_t min_len;               /* ESP header + IV + trailer + ICV */
	uint8_t hdr_len;
	uint8_t hdr[64];                /* outbound tunnel header template */
	uint32_t refs;                  /* OUT: inbound SAs pairing with it */
	uint64_t serial;                /* order of addition (tw_ipsec_sa_info) */
	struct tw_ipsec_sa_conf conf;   /* keys zeroed */
	struct ipsec_cnt cnt[];         /* n_workers + 1 */
};

struct tw_ipsec {
	struct tw_keys *sas;
	unsigned n_workers;
	int socket;
	enum tw_ipsec_action action;
	uint32_t max_sas;
	int mb_id, gcm_id;
	struct rte_mempool *sess_pool;
	struct rte_mempool *op_pool;
	uint64_t n_freed;
	uint64_t serial;                /* last SA serial given */
	uint64_t gen;                   /* tw_ipsec_generation(), __atomic */
	char name[24];
};

static inline int cc_socket(const struct tw_ipsec *ctx)
{
	return ctx->socket == SOCKET_ID_ANY ? 0 : ctx->socket;
}

/* The table key: lib/keys' 5-tuple holds (family, destination, SPI) with
 * the protocol and direction in the pad octet. */
static inline void sa_key(struct tw_keys_5t *k, enum tw_ipsec_dir dir,
			  enum tw_ipsec_proto proto, uint32_t spi, unsigned ipv,
			  const uint8_t *dst)
{
	static const uint8_t zero[16];

	tw_keys_5t_set(k, ipv, dst, (uint16_t)(spi >> 16), zero, (uint16_t)spi);
	k->pad0 = (uint8_t)(proto | (unsigned)dir << 4);
}

/* telemetry.c; SA add/delete hold the lock too (telemetry iterates) */
extern rte_spinlock_t tw_ipsec_tel_lock;
void ipsec_telemetry_forget(struct tw_ipsec *ctx);

#endif
