/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Lock-free session tables (DESIGN.md §5): an rte_hash keyed by the UDP
 * 5-tuple with lock-free reader/writer concurrency, extendable buckets and
 * RCU QSBR reclamation.
 *
 * One writer (the control thread) adds and deletes; any number of readers
 * (the workers) look up without locks, in bulk. The table stores a pointer
 * per key; after a delete the pointer stays valid for readers until every
 * QSBR thread has reported a quiescent state, then the table hands it to
 * the free callback (which wipes the keys it holds). Reclamation runs on
 * the writer's thread without blocking it: each delete frees what earlier
 * deletes left once their grace period is over, an add that finds the
 * table full does the same, and destroy frees the rest.
 */
#ifndef TW_KEYS_H
#define TW_KEYS_H

#include <stdint.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest bulk lookup (RTE_HASH_LOOKUP_BULK_MAX). */
#define TW_KEYS_BULK_MAX 64u

/**
 * A UDP 5-tuple as seen from this end. Fill it with tw_keys_5t_set() so
 * that the padding is zero (the key is compared as octets).
 */
struct tw_keys_5t {
	uint8_t ipv;            /**< 4 or 6 */
	uint8_t pad0;
	uint16_t local_port;    /**< host order */
	uint16_t peer_port;     /**< host order; 0 = any (static sessions) */
	uint16_t pad1;
	uint8_t local[16];      /**< network order; IPv4 in the first 4 */
	uint8_t peer[16];
};

/** Fill @p k (IPv4 addresses: 4 octets, the rest zeroed). */
static inline void tw_keys_5t_set(struct tw_keys_5t *k, unsigned ipv,
				  const uint8_t *local, uint16_t local_port,
				  const uint8_t *peer, uint16_t peer_port)
{
	size_t alen = ipv == 4 ? 4 : 16;

	memset(k, 0, sizeof(*k));
	k->ipv = (uint8_t)ipv;
	k->local_port = local_port;
	k->peer_port = peer_port;
	memcpy(k->local, local, alen);
	memcpy(k->peer, peer, alen);
}

/** Called with an entry's data once no reader can see it any more. */
typedef void (*tw_keys_free_fn)(void *arg, void *data);

/** Table parameters. */
struct tw_keys_conf {
	uint32_t entries;        /**< capacity, >= 8 (deleted entries count
				      until reclaimed: leave headroom) */
	int socket;              /**< NUMA socket (SOCKET_ID_ANY) */
	struct rte_rcu_qsbr *qsbr; /**< the readers' QSBR variable (required) */
	tw_keys_free_fn free_fn; /**< required */
	void *free_arg;
};

struct tw_keys;

/**
 * Create a table.
 * @return the table, or NULL with rte_errno set (EINVAL, ENOMEM, or
 *         rte_hash's error).
 */
struct tw_keys *tw_keys_create(const struct tw_keys_conf *conf);

/**
 * Free the table: the free callback runs for every entry still present
 * and every deleted one (readers must have stopped). NULL is a no-op.
 */
void tw_keys_destroy(struct tw_keys *t);

/**
 * Add a key (writer only). @p data must not be NULL. When the slots are
 * all taken by deleted keys still in their grace period, waits for the
 * readers' next quiescent state (rte_rcu_qsbr_synchronize) and retries.
 * @return 0, -EINVAL, -EEXIST (key present) or -ENOSPC (full).
 */
int tw_keys_add(struct tw_keys *t, const struct tw_keys_5t *k, void *data);

/**
 * Delete a key (writer only); its data goes to the free callback after a
 * grace period.
 * @return 0, -EINVAL or -ENOENT.
 */
int tw_keys_del(struct tw_keys *t, const struct tw_keys_5t *k);

/**
 * Look one key up (any thread).
 * @return 0 with @p *data set, -ENOENT or -EINVAL.
 */
int tw_keys_lookup(const struct tw_keys *t, const struct tw_keys_5t *k,
		   void **data);

/**
 * Look @p n keys up at once (any thread): bit i of @p *hits is set and
 * data[i] filled when keys[i] is present.
 * @return the number of hits, or -EINVAL (n 0 or above TW_KEYS_BULK_MAX).
 */
int tw_keys_lookup_bulk(const struct tw_keys *t,
			const struct tw_keys_5t *const keys[], unsigned n,
			uint64_t *hits, void *data[]);

/** Number of keys present (deleted ones awaiting reclamation not counted). */
unsigned tw_keys_count(const struct tw_keys *t);

/**
 * Iterate the entries (writer only): start with @p *next = 0.
 * @return 1 with @p *k and @p *data set, 0 at the end, -EINVAL.
 */
int tw_keys_iterate(const struct tw_keys *t, uint32_t *next,
		    const struct tw_keys_5t **k, void **data);

#ifdef __cplusplus
}
#endif

#endif /* TW_KEYS_H */
