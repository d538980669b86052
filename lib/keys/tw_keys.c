/* SPDX-License-Identifier: BSD-3-Clause */
/* Session tables: rte_hash LF + EXT_TABLE with integrated RCU QSBR. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "tw_keys.h"

struct tw_keys {
	struct rte_hash *h;
	tw_keys_free_fn free_fn;
	void *free_arg;
	struct rte_rcu_qsbr *qsbr;
	uint32_t count;  /* rte_hash_count() includes slots awaiting reclaim */
};

_Static_assert(sizeof(struct tw_keys_5t) == 40, "5-tuple key has no holes");

/* rte_hash calls this once a deleted key's grace period is over */
static void rcu_free(void *p, void *data)
{
	struct tw_keys *t = p;

	if (data != NULL)
		t->free_fn(t->free_arg, data);
}

struct tw_keys *tw_keys_create(const struct tw_keys_conf *conf)
{
	static uint32_t seq;
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = { 0 };
	struct rte_hash_rcu_config rc = { 0 };
	struct tw_keys *t;
	int e;

	if (conf == NULL || conf->entries < 8 || conf->qsbr == NULL ||
	    conf->free_fn == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc("tw_keys", sizeof(*t), 0);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	snprintf(name, sizeof(name), "tw_keys_%u",
		 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	hp.name = name;
	hp.entries = conf->entries;
	hp.key_len = sizeof(struct tw_keys_5t);
	hp.hash_func = rte_hash_crc;
	hp.socket_id = conf->socket;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	t->h = rte_hash_create(&hp);
	if (t->h == NULL) {
		e = rte_errno;
		rte_free(t);
		rte_errno = e != 0 ? e : ENOMEM;
		return NULL;
	}
	t->free_fn = conf->free_fn;
	t->free_arg = conf->free_arg;
	t->qsbr = conf->qsbr;
	rc.v = conf->qsbr;
	rc.mode = RTE_HASH_QSBR_MODE_DQ;
	/* reclaim on every delete, so keys are wiped as soon as allowed */
	rc.trigger_reclaim_limit = 0;
	rc.key_data_ptr = t;
	rc.free_key_data_func = rcu_free;
	if (rte_hash_rcu_qsbr_add(t->h, &rc) != 0) {
		e = rte_errno;
		rte_hash_free(t->h);
		rte_free(t);
		rte_errno = e != 0 ? e : ENOMEM;
		return NULL;
	}
	return t;
}

void tw_keys_destroy(struct tw_keys *t)
{
	const void *k;
	void *data;
	uint32_t next = 0;

	if (t == NULL)
		return;
	while (rte_hash_iterate(t->h, &k, &data, &next) >= 0)
		if (data != NULL)
			t->free_fn(t->free_arg, data);
	/* frees the deleted ones through rcu_free() */
	rte_hash_free(t->h);
	rte_free(t);
}

int tw_keys_add(struct tw_keys *t, const struct tw_keys_5t *k, void *data)
{
	int rc;

	if (t == NULL || k == NULL || data == NULL)
		return -EINVAL;
	if (rte_hash_lookup(t->h, k) >= 0)
		return -EEXIST;
	rc = rte_hash_add_key_data(t->h, k, data);
	if (rc == -ENOSPC) {
		/* slots held by deletes whose grace period is still running
		 * (a reader was slow): wait for it, the retry reclaims them */
		rte_rcu_qsbr_synchronize(t->qsbr, RTE_QSBR_THRID_INVALID);
		rc = rte_hash_add_key_data(t->h, k, data);
	}
	if (rc != 0)
		return rc;
	t->count++;
	return 0;
}

int tw_keys_del(struct tw_keys *t, const struct tw_keys_5t *k)
{
	int32_t rc;

	if (t == NULL || k == NULL)
		return -EINVAL;
	rc = rte_hash_del_key(t->h, k);
	if (rc < 0)
		return (int)rc;
	t->count--;
	return 0;
}

int tw_keys_lookup(const struct tw_keys *t, const struct tw_keys_5t *k,
		   void **data)
{
	int rc;

	if (t == NULL || k == NULL || data == NULL)
		return -EINVAL;
	rc = rte_hash_lookup_data(t->h, k, data);
	return rc >= 0 ? 0 : rc;
}

int tw_keys_lookup_bulk(const struct tw_keys *t,
			const struct tw_keys_5t *const keys[], unsigned n,
			uint64_t *hits, void *data[])
{
	if (t == NULL || keys == NULL || hits == NULL || data == NULL ||
	    n == 0 || n > TW_KEYS_BULK_MAX)
		return -EINVAL;
	/* rte_hash takes the key array without const on the pointers */
	return rte_hash_lookup_bulk_data(t->h, (const void **)(uintptr_t)keys,
					 n, hits, data);
}

unsigned tw_keys_count(const struct tw_keys *t)
{
	return t != NULL ? t->count : 0;
}

int tw_keys_iterate(const struct tw_keys *t, uint32_t *next,
		    const struct tw_keys_5t **k, void **data)
{
	const void *key;
	int32_t rc;

	if (t == NULL || next == NULL || k == NULL || data == NULL)
		return -EINVAL;
	rc = rte_hash_iterate(t->h, &key, data, next);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return (int)rc;
	*k = key;
	return 1;
}
