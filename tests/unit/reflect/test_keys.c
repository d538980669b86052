/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/keys under EAL (no hugepages): add, lookup (single and bulk), delete,
 * full table, and RCU QSBR deferred free: a deleted entry's data reaches
 * the free callback only after every reader reported a quiescent state.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "tw_keys.h"
#include "tw_test_eal.h"

static struct rte_rcu_qsbr *qsbr;
static unsigned n_freed;
static int freed_tag[256];

struct item {
	int tag;
};

static void on_free(void *arg, void *data)
{
	struct item *it = data;

	assert_ptr_equal(arg, &n_freed);
	if (n_freed < 256)
		freed_tag[n_freed] = it->tag;
	n_freed++;
	free(it);
}

static struct item *item(int tag)
{
	struct item *it = malloc(sizeof(*it));

	assert_non_null(it);
	it->tag = tag;
	return it;
}

static struct tw_keys *table(uint32_t entries)
{
	struct tw_keys_conf c = { .entries = entries, .socket = SOCKET_ID_ANY,
				  .qsbr = qsbr, .free_fn = on_free,
				  .free_arg = &n_freed };
	struct tw_keys *t = tw_keys_create(&c);

	assert_non_null(t);
	n_freed = 0;
	return t;
}

static void key4(struct tw_keys_5t *k, uint8_t host, uint16_t pport)
{
	const uint8_t us[4] = { 198, 18, 0, 1 };
	uint8_t peer[4] = { 198, 18, 1, host };

	tw_keys_5t_set(k, 4, us, 862, peer, pport);
}

static void test_create_invalid(void **state)
{
	struct tw_keys_conf c = { .entries = 64, .qsbr = qsbr, .free_fn = on_free };

	(void)state;
	assert_null(tw_keys_create(NULL));
	assert_int_equal(rte_errno, EINVAL);
	c.entries = 4;
	assert_null(tw_keys_create(&c));
	assert_int_equal(rte_errno, EINVAL);
	c.entries = 64;
	c.qsbr = NULL;
	assert_null(tw_keys_create(&c));
	c.qsbr = qsbr;
	c.free_fn = NULL;
	assert_null(tw_keys_create(&c));
	assert_int_equal(rte_errno, EINVAL);
	tw_keys_destroy(NULL);
}

static void test_key_padding_zero(void **state)
{
	struct tw_keys_5t a, b;
	const uint8_t v6a[16] = { 0x20, 0x01, 0, 2, [15] = 1 };
	const uint8_t v6b[16] = { 0x20, 0x01, 0, 2, [15] = 2 };

	(void)state;
	memset(&a, 0xa5, sizeof(a));
	key4(&a, 7, 5000);
	memset(&b, 0x5a, sizeof(b));
	key4(&b, 7, 5000);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(a.ipv, 4);
	assert_int_equal(a.local[4], 0);
	tw_keys_5t_set(&a, 6, v6a, 862, v6b, 1);
	assert_int_equal(a.ipv, 6);
	assert_memory_equal(a.peer, v6b, 16);
	assert_int_equal(a.peer_port, 1);
}

static void test_add_lookup_del(void **state)
{
	struct tw_keys *t = table(64);
	struct tw_keys_5t k, k2;
	void *d = NULL;
	struct item *a = item(1);

	(void)state;
	key4(&k, 2, 5000);
	key4(&k2, 2, 5001);
	assert_int_equal(tw_keys_lookup(t, &k, &d), -ENOENT);
	assert_int_equal(tw_keys_add(t, &k, a), 0);
	assert_int_equal(tw_keys_count(t), 1);
	assert_int_equal(tw_keys_lookup(t, &k, &d), 0);
	assert_ptr_equal(d, a);
	assert_int_equal(tw_keys_lookup(t, &k2, &d), -ENOENT);
	assert_int_equal(tw_keys_add(t, &k, a), -EEXIST);
	assert_int_equal(tw_keys_add(t, &k, NULL), -EINVAL);
	assert_int_equal(tw_keys_add(NULL, &k, a), -EINVAL);
	assert_int_equal(tw_keys_del(t, &k2), -ENOENT);
	assert_int_equal(tw_keys_del(t, &k), 0);
	assert_int_equal(tw_keys_lookup(t, &k, &d), -ENOENT);
	assert_int_equal(tw_keys_count(t), 0);
	/* no reader registered: freed by the next delete (or destroy) */
	assert_int_equal(n_freed, 0);
	assert_int_equal(tw_keys_del(t, &k), -ENOENT);
	assert_int_equal(tw_keys_add(t, &k2, item(2)), 0);
	assert_int_equal(tw_keys_del(t, &k2), 0);
	assert_int_equal(n_freed, 1);
	assert_int_equal(freed_tag[0], 1);
	tw_keys_destroy(t);
	assert_int_equal(n_freed, 2);
	assert_int_equal(freed_tag[1], 2);
}

static void test_bulk(void **state)
{
	struct tw_keys *t = table(256);
	struct tw_keys_5t keys[TW_KEYS_BULK_MAX];
	const struct tw_keys_5t *kp[TW_KEYS_BULK_MAX];
	void *data[TW_KEYS_BULK_MAX];
	uint64_t hits = 0;

	(void)state;
	for (unsigned i = 0; i < TW_KEYS_BULK_MAX; i++) {
		key4(&keys[i], (uint8_t)i, 5000);
		kp[i] = &keys[i];
		if (i % 3 == 0)
			assert_int_equal(tw_keys_add(t, &keys[i], item((int)i)), 0);
	}
	assert_int_equal(tw_keys_lookup_bulk(t, kp, TW_KEYS_BULK_MAX, &hits, data), 22);
	for (unsigned i = 0; i < TW_KEYS_BULK_MAX; i++) {
		assert_int_equal((hits >> i) & 1, i % 3 == 0);
		if (i % 3 == 0)
			assert_int_equal(((struct item *)data[i])->tag, (int)i);
	}
	assert_int_equal(tw_keys_lookup_bulk(t, kp, 0, &hits, data), -EINVAL);
	assert_int_equal(tw_keys_lookup_bulk(t, kp, TW_KEYS_BULK_MAX + 1, &hits, data),
			 -EINVAL);
	tw_keys_destroy(t);
	assert_int_equal(n_freed, 22);
}

static void test_iterate(void **state)
{
	struct tw_keys *t = table(64);
	struct tw_keys_5t k;
	const struct tw_keys_5t *kk;
	void *d;
	uint32_t next = 0;
	unsigned seen = 0, mask = 0;

	(void)state;
	for (unsigned i = 0; i < 5; i++) {
		key4(&k, (uint8_t)i, 7000);
		assert_int_equal(tw_keys_add(t, &k, item((int)i)), 0);
	}
	while (tw_keys_iterate(t, &next, &kk, &d) == 1) {
		assert_int_equal(kk->peer[3], ((struct item *)d)->tag);
		mask |= 1u << ((struct item *)d)->tag;
		seen++;
	}
	assert_int_equal(seen, 5);
	assert_int_equal(mask, 0x1f);
	assert_int_equal(tw_keys_iterate(NULL, &next, &kk, &d), -EINVAL);
	tw_keys_destroy(t);
	assert_int_equal(n_freed, 5);
}

static void test_full(void **state)
{
	struct tw_keys *t = table(16);
	struct tw_keys_5t k;
	unsigned ok = 0;
	int rc = 0;

	(void)state;
	for (unsigned i = 0; i < 64 && rc == 0; i++) {
		struct item *it = item((int)i);

		key4(&k, (uint8_t)i, 9000);
		rc = tw_keys_add(t, &k, it);
		if (rc == 0)
			ok++;
		else
			free(it);
	}
	assert_int_equal(rc, -ENOSPC);
	assert_true(ok >= 16);
	tw_keys_destroy(t);
	assert_int_equal(n_freed, ok);
}

/* A registered reader that has not passed a quiescent state keeps a
 * deleted entry alive; once it has, the next delete frees it. */
static void test_deferred_free(void **state)
{
	struct tw_keys *t = table(64);
	struct tw_keys_5t k1, k2, k3;
	void *d;

	(void)state;
	key4(&k1, 1, 1);
	key4(&k2, 2, 2);
	key4(&k3, 3, 3);
	assert_int_equal(tw_keys_add(t, &k1, item(1)), 0);
	assert_int_equal(tw_keys_add(t, &k2, item(2)), 0);
	assert_int_equal(tw_keys_add(t, &k3, item(3)), 0);
	assert_int_equal(rte_rcu_qsbr_thread_register(qsbr, 0), 0);
	rte_rcu_qsbr_thread_online(qsbr, 0);
	/* the "reader" holds k1's data */
	assert_int_equal(tw_keys_lookup(t, &k1, &d), 0);
	assert_int_equal(tw_keys_del(t, &k1), 0);
	assert_int_equal(n_freed, 0);
	assert_int_equal(((struct item *)d)->tag, 1); /* still valid */
	assert_int_equal(tw_keys_del(t, &k2), 0);
	assert_int_equal(n_freed, 0); /* reader still not quiescent */
	rte_rcu_qsbr_quiescent(qsbr, 0);
	assert_int_equal(tw_keys_del(t, &k3), 0);
	/* k1 and k2 were deleted before the quiescent state: both go */
	assert_int_equal(n_freed, 2);
	assert_int_equal(freed_tag[0], 1);
	assert_int_equal(freed_tag[1], 2);
	rte_rcu_qsbr_thread_offline(qsbr, 0);
	rte_rcu_qsbr_thread_unregister(qsbr, 0);
	tw_keys_destroy(t);
	assert_int_equal(n_freed, 3);
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0", "--log-level=lib.eal:error", NULL };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_invalid),
		cmocka_unit_test(test_key_padding_zero),
		cmocka_unit_test(test_add_lookup_del),
		cmocka_unit_test(test_bulk),
		cmocka_unit_test(test_iterate),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_deferred_free),
	};
	size_t sz;
	int rc;

	(void)argc;
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	sz = rte_rcu_qsbr_get_memsize(4);
	qsbr = rte_zmalloc("q", sz, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, 4) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_free(qsbr);
	tw_test_eal_cleanup();
	return rc;
}
