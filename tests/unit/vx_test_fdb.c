/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Unit tests of the FDB (vx_fdb.c): learning, VNI isolation, static
 * precedence, deletion, capacity, incremental aging under backward-shift
 * deletion, flushing, walking, and a randomized comparison with a naive
 * model.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vx.h"
#include "vx_test.h"

/** A small deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t
rnd_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint32_t
rnd_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)((rnd_next(s) >> 32) % n);
}

/** @return a unicast, locally administered MAC derived from @p n. */
static struct rte_ether_addr
mac_of(uint32_t n)
{
	struct rte_ether_addr m = {{0x02, 0x00, (uint8_t)(n >> 24), (uint8_t)(n >> 16),
				    (uint8_t)(n >> 8), (uint8_t)n}};
	return m;
}

/** Every entry the walk reports must be found by lookup at the same place. */
static int
check_reachable_cb(const struct vx_fdb_entry *e, void *arg)
{
	const struct vx_fdb *fdb = arg;

	if (vx_fdb_lookup(fdb, e->vni, &e->mac) != e)
		return -1;
	return 0;
}

static int
count_cb(const struct vx_fdb_entry *e, void *arg)
{
	(void)e;
	(*(unsigned int *)arg)++;
	return 0;
}

static unsigned int
walk_count(const struct vx_fdb *fdb)
{
	unsigned int n = 0;

	assert_int_equal(vx_fdb_walk(fdb, count_cb, &n), 0);
	return n;
}

/** Check the table is consistent: every entry reachable, counts agree. */
static void
check_consistent(const struct vx_fdb *fdb)
{
	assert_int_equal(vx_fdb_walk(fdb, check_reachable_cb, (void *)(uintptr_t)fdb), 0);
	assert_int_equal(walk_count(fdb), vx_fdb_count(fdb));
}

/* Every entry of @p arg (an FDB) is in the walked table, field for field. */
static int
same_entry_cb(const struct vx_fdb_entry *e, void *arg)
{
	const struct vx_fdb_entry *o = vx_fdb_lookup(arg, e->vni, &e->mac);

	if (o == NULL || o->kind != e->kind || o->target != e->target ||
	    o->is_static != e->is_static || o->last_seen != e->last_seen)
		return -1;
	return 0;
}

/*
 * vx_fdb_copy(), for a run-time resize: every entry keeps its kind, target,
 * static flag and age, in a larger and in a smaller table; a table too
 * small or not empty is refused and left untouched.
 */
static void
test_copy(void **state)
{
	struct vx_fdb *src = vx_fdb_create(4000, -1);
	struct vx_fdb *big = vx_fdb_create(100000, -1);
	struct vx_fdb *fit = vx_fdb_create(3000, -1);
	struct vx_fdb *small = vx_fdb_create(2999, -1);
	uint64_t seed = 7;
	struct rte_ether_addr m;

	(void)state;
	assert_non_null(src);
	assert_non_null(big);
	assert_non_null(fit);
	assert_non_null(small);
	for (uint32_t i = 0; i < 3000; i++) {
		uint32_t vni = rnd_below(&seed, 4);
		uint16_t target = (uint16_t)rnd_below(&seed, 200);

		m = mac_of(i);
		if (i % 5 == 0)
			assert_int_equal(vx_fdb_add_static(src, vni, &m, VX_FDB_REMOTE, target), 0);
		else
			assert_int_equal(vx_fdb_learn(src, vni, &m,
						      i % 2 ? VX_FDB_LOCAL : VX_FDB_REMOTE, target,
						      1000 + i),
					 1);
	}
	assert_int_equal(vx_fdb_copy(small, src), -ENOSPC);
	assert_int_equal(vx_fdb_count(small), 0);
	assert_int_equal(vx_fdb_copy(big, src), 0);
	assert_int_equal(vx_fdb_copy(fit, src), 0);
	assert_int_equal(vx_fdb_copy(fit, src), -EINVAL);
	assert_int_equal(vx_fdb_count(big), 3000);
	assert_int_equal(vx_fdb_count(fit), 3000);
	check_consistent(big);
	check_consistent(fit);
	/* Both ways: nothing lost, nothing added, nothing altered. */
	assert_int_equal(vx_fdb_walk(src, same_entry_cb, big), 0);
	assert_int_equal(vx_fdb_walk(big, same_entry_cb, src), 0);
	assert_int_equal(vx_fdb_walk(src, same_entry_cb, fit), 0);
	/* The copy is a table of its own: a full one refuses more. */
	m = mac_of(99999);
	assert_int_equal(vx_fdb_learn(fit, 1, &m, VX_FDB_REMOTE, 1, 5), -ENOSPC);
	assert_int_equal(vx_fdb_learn(big, 1, &m, VX_FDB_REMOTE, 1, 5), 1);
	assert_null(vx_fdb_lookup(src, 1, &m));
	vx_fdb_destroy(src);
	vx_fdb_destroy(big);
	vx_fdb_destroy(fit);
	vx_fdb_destroy(small);
}

static void
test_create_args(void **state)
{
	struct vx_fdb *fdb;

	(void)state;
	errno = 0;
	assert_null(vx_fdb_create(0, -1));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(vx_fdb_create((1u << 22) + 1, -1));
	assert_int_equal(errno, EINVAL);
	vx_fdb_destroy(NULL);

	/* Both allocation paths give an empty, usable table. */
	fdb = vx_fdb_create(1, -1);
	assert_non_null(fdb);
	assert_int_equal(vx_fdb_count(fdb), 0);
	vx_fdb_destroy(fdb);
	fdb = vx_fdb_create(1000, 0);
	assert_non_null(fdb);
	assert_int_equal(vx_fdb_count(fdb), 0);
	assert_int_equal(walk_count(fdb), 0);
	vx_fdb_destroy(fdb);
}

static void
test_learn_lookup(void **state)
{
	struct vx_fdb *fdb = vx_fdb_create(64, -1);
	struct rte_ether_addr a = mac_of(1), b = mac_of(2);
	struct rte_ether_addr mc = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
	struct rte_ether_addr bc = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	const struct vx_fdb_entry *e;

	(void)state;
	assert_non_null(fdb);
	assert_null(vx_fdb_lookup(fdb, 100, &a));

	assert_int_equal(vx_fdb_learn(fdb, 100, &a, VX_FDB_REMOTE, 7, 1000), 1);
	assert_int_equal(vx_fdb_count(fdb), 1);
	e = vx_fdb_lookup(fdb, 100, &a);
	assert_non_null(e);
	assert_true(rte_is_same_ether_addr(&e->mac, &a));
	assert_int_equal(e->vni, 100);
	assert_int_equal(e->kind, VX_FDB_REMOTE);
	assert_int_equal(e->target, 7);
	assert_int_equal(e->is_static, 0);
	assert_int_equal(e->last_seen, 1000);
	assert_null(vx_fdb_lookup(fdb, 100, &b));

	/* Seeing it again at the same place refreshes it. */
	assert_int_equal(vx_fdb_learn(fdb, 100, &a, VX_FDB_REMOTE, 7, 2000), 0);
	e = vx_fdb_lookup(fdb, 100, &a);
	assert_non_null(e);
	assert_int_equal(e->last_seen, 2000);
	assert_int_equal(vx_fdb_count(fdb), 1);

	/* Invalid arguments change nothing. */
	assert_int_equal(vx_fdb_learn(fdb, 100, &mc, VX_FDB_REMOTE, 1, 0), -EINVAL);
	assert_int_equal(vx_fdb_learn(fdb, 100, &bc, VX_FDB_LOCAL, 1, 0), -EINVAL);
	assert_int_equal(vx_fdb_learn(fdb, VX_VNI_MAX + 1, &b, VX_FDB_REMOTE, 1, 0), -EINVAL);
	assert_int_equal(vx_fdb_learn(fdb, 100, &b, 0, 1, 0), -EINVAL);
	assert_int_equal(vx_fdb_learn(fdb, 100, &b, 3, 1, 0), -EINVAL);
	assert_int_equal(vx_fdb_add_static(fdb, 100, &mc, VX_FDB_LOCAL, 1), -EINVAL);
	assert_int_equal(vx_fdb_add_static(fdb, VX_VNI_MAX + 1, &b, VX_FDB_LOCAL, 1), -EINVAL);
	assert_int_equal(vx_fdb_add_static(fdb, 100, &b, 9, 1), -EINVAL);
	assert_int_equal(vx_fdb_count(fdb), 1);
	assert_null(vx_fdb_lookup(fdb, 100, &b));

	/* The largest VNI is valid. */
	assert_int_equal(vx_fdb_learn(fdb, VX_VNI_MAX, &b, VX_FDB_LOCAL, 3, 5), 1);
	assert_non_null(vx_fdb_lookup(fdb, VX_VNI_MAX, &b));
	assert_int_equal(vx_fdb_count(fdb), 2);
	vx_fdb_destroy(fdb);
}

static void
test_vni_isolation(void **state)
{
	struct vx_fdb *fdb = vx_fdb_create(64, -1);
	struct rte_ether_addr a = mac_of(0xabcdef);
	const struct vx_fdb_entry *e;

	(void)state;
	assert_non_null(fdb);
	assert_int_equal(vx_fdb_learn(fdb, 100, &a, VX_FDB_LOCAL, 1, 10), 1);
	assert_null(vx_fdb_lookup(fdb, 200, &a));
	assert_int_equal(vx_fdb_learn(fdb, 200, &a, VX_FDB_REMOTE, 5, 20), 1);
	assert_int_equal(vx_fdb_count(fdb), 2);

	e = vx_fdb_lookup(fdb, 100, &a);
	assert_non_null(e);
	assert_int_equal(e->kind, VX_FDB_LOCAL);
	assert_int_equal(e->target, 1);
	e = vx_fdb_lookup(fdb, 200, &a);
	assert_non_null(e);
	assert_int_equal(e->kind, VX_FDB_REMOTE);
	assert_int_equal(e->target, 5);

	/* A static entry in one VNI does not pin the MAC in another. */
	assert_int_equal(vx_fdb_add_static(fdb, 300, &a, VX_FDB_LOCAL, 9), 0);
	assert_int_equal(vx_fdb_learn(fdb, 100, &a, VX_FDB_REMOTE, 2, 30), 1);

	assert_int_equal(vx_fdb_del(fdb, 100, &a), 0);
	assert_null(vx_fdb_lookup(fdb, 100, &a));
	e = vx_fdb_lookup(fdb, 200, &a);
	assert_non_null(e);
	assert_int_equal(e->target, 5);
	assert_non_null(vx_fdb_lookup(fdb, 300, &a));
	assert_int_equal(vx_fdb_count(fdb), 2);
	vx_fdb_destroy(fdb);
}

static void
test_move(void **state)
{
	struct vx_fdb *fdb = vx_fdb_create(16, -1);
	struct rte_ether_addr a = mac_of(42);
	const struct vx_fdb_entry *e;

	(void)state;
	assert_non_null(fdb);
	assert_int_equal(vx_fdb_learn(fdb, 1, &a, VX_FDB_REMOTE, 1, 100), 1);
	/* Another VTEP. */
	assert_int_equal(vx_fdb_learn(fdb, 1, &a, VX_FDB_REMOTE, 2, 200), 1);
	e = vx_fdb_lookup(fdb, 1, &a);
	assert_non_null(e);
	assert_int_equal(e->target, 2);
	assert_int_equal(e->last_seen, 200);
	/* Same index, other kind: a VTEP index 2 is not endpoint index 2. */
	assert_int_equal(vx_fdb_learn(fdb, 1, &a, VX_FDB_LOCAL, 2, 300), 1);
	e = vx_fdb_lookup(fdb, 1, &a);
	assert_non_null(e);
	assert_int_equal(e->kind, VX_FDB_LOCAL);
	assert_int_equal(e->target, 2);
	assert_int_equal(e->last_seen, 300);
	assert_int_equal(vx_fdb_learn(fdb, 1, &a, VX_FDB_LOCAL, 2, 400), 0);
	assert_int_equal(vx_fdb_count(fdb), 1);
	vx_fdb_destroy(fdb);
}

static void
test_static_precedence(void **state)
{
	struct vx_fdb *fdb = vx_fdb_create(16, -1);
	struct rte_ether_addr a = mac_of(1), b = mac_of(2);
	const struct vx_fdb_entry *e;

	(void)state;
	assert_non_null(fdb);
	assert_int_equal(vx_fdb_add_static(fdb, 10, &a, VX_FDB_LOCAL, 3), 0);
	e = vx_fdb_lookup(fdb, 10, &a);
	assert_non_null(e);
	assert_int_equal(e->is_static, 1);

	/* Learning never moves a static entry. */
	assert_int_equal(vx_fdb_learn(fdb, 10, &a, VX_FDB_REMOTE, 3, 50), -EPERM);
	assert_int_equal(vx_fdb_learn(fdb, 10, &a, VX_FDB_LOCAL, 4, 50), -EPERM);
	assert_int_equal(vx_fdb_learn(fdb, 10, &a, VX_FDB_LOCAL, 3, 50), 0);
	e = vx_fdb_lookup(fdb, 10, &a);
	assert_non_null(e);
	assert_int_equal(e->kind, VX_FDB_LOCAL);
	assert_int_equal(e->target, 3);
	assert_int_equal(e->is_static, 1);

	/* A static entry replaces a learned one. */
	assert_int_equal(vx_fdb_learn(fdb, 10, &b, VX_FDB_REMOTE, 8, 60), 1);
	assert_int_equal(vx_fdb_add_static(fdb, 10, &b, VX_FDB_REMOTE, 9), 0);
	e = vx_fdb_lookup(fdb, 10, &b);
	assert_non_null(e);
	assert_int_equal(e->is_static, 1);
	assert_int_equal(e->target, 9);
	assert_int_equal(vx_fdb_count(fdb), 2);

	/* And another static entry replaces a static one. */
	assert_int_equal(vx_fdb_add_static(fdb, 10, &b, VX_FDB_LOCAL, 1), 0);
	e = vx_fdb_lookup(fdb, 10, &b);
	assert_non_null(e);
	assert_int_equal(e->kind, VX_FDB_LOCAL);
	assert_int_equal(e->target, 1);
	assert_int_equal(vx_fdb_count(fdb), 2);

	/* Aging never removes static entries, however old. */
	assert_int_equal(vx_fdb_age(fdb, UINT64_MAX, 0, UINT_MAX), 0);
	assert_int_equal(vx_fdb_count(fdb), 2);
	vx_fdb_destroy(fdb);
}

static void
test_delete(void **state)
{
	struct vx_fdb *fdb = vx_fdb_create(16, -1);
	struct rte_ether_addr a = mac_of(1), b = mac_of(2);

	(void)state;
	assert_non_null(fdb);
	assert_int_equal(vx_fdb_del(fdb, 1, &a), -ENOENT);
	assert_int_equal(vx_fdb_learn(fdb, 1, &a, VX_FDB_REMOTE, 1, 0), 1);
	assert_int_equal(vx_fdb_add_static(fdb, 1, &b, VX_FDB_LOCAL, 2), 0);
	assert_int_equal(vx_fdb_del(fdb, 2, &a), -ENOENT);
	assert_int_equal(vx_fdb_del(fdb, 1, &a), 0);
	assert_null(vx_fdb_lookup(fdb, 1, &a));
	assert_int_equal(vx_fdb_del(fdb, 1, &a), -ENOENT);
	assert_int_equal(vx_fdb_count(fdb), 1);
	assert_int_equal(vx_fdb_del(fdb, 1, &b), 0);
	assert_null(vx_fdb_lookup(fdb, 1, &b));
	assert_int_equal(vx_fdb_count(fdb), 0);
	/* The slot is reusable. */
	assert_int_equal(vx_fdb_learn(fdb, 1, &a, VX_FDB_REMOTE, 1, 0), 1);
	assert_non_null(vx_fdb_lookup(fdb, 1, &a));
	vx_fdb_destroy(fdb);
}

static void
test_full(void **state)
{
	struct vx_fdb *fdb = vx_fdb_create(8, -1);
	struct rte_ether_addr extra = mac_of(100), m;
	uint32_t i;

	(void)state;
	assert_non_null(fdb);
	for (i = 0; i < 8; i++) {
		m = mac_of(i);
		if (i % 2)
			assert_int_equal(vx_fdb_learn(fdb, 5, &m, VX_FDB_REMOTE, 1, i), 1);
		else
			assert_int_equal(vx_fdb_add_static(fdb, 5, &m, VX_FDB_LOCAL, 1), 0);
	}
	assert_int_equal(vx_fdb_count(fdb), 8);
	assert_int_equal(vx_fdb_learn(fdb, 5, &extra, VX_FDB_REMOTE, 1, 9), -ENOSPC);
	assert_int_equal(vx_fdb_add_static(fdb, 5, &extra, VX_FDB_REMOTE, 1), -ENOSPC);
	assert_null(vx_fdb_lookup(fdb, 5, &extra));
	assert_int_equal(vx_fdb_count(fdb), 8);

	/* Existing entries can still be refreshed, moved and replaced. */
	m = mac_of(1);
	assert_int_equal(vx_fdb_learn(fdb, 5, &m, VX_FDB_REMOTE, 1, 10), 0);
	assert_int_equal(vx_fdb_learn(fdb, 5, &m, VX_FDB_REMOTE, 2, 11), 1);
	assert_int_equal(vx_fdb_add_static(fdb, 5, &m, VX_FDB_REMOTE, 3), 0);
	check_consistent(fdb);

	assert_int_equal(vx_fdb_del(fdb, 5, &m), 0);
	assert_int_equal(vx_fdb_learn(fdb, 5, &extra, VX_FDB_REMOTE, 1, 12), 1);
	assert_int_equal(vx_fdb_count(fdb), 8);
	check_consistent(fdb);
	vx_fdb_destroy(fdb);
}

static void
test_age_basic(void **state)
{
	struct vx_fdb *fdb = vx_fdb_create(16, -1);
	struct rte_ether_addr old = mac_of(1), fresh = mac_of(2), edge = mac_of(3), st = mac_of(4);
	struct rte_ether_addr future = mac_of(5);

	(void)state;
	assert_non_null(fdb);
	assert_int_equal(vx_fdb_learn(fdb, 1, &old, VX_FDB_REMOTE, 1, 0), 1);
	assert_int_equal(vx_fdb_learn(fdb, 1, &fresh, VX_FDB_REMOTE, 1, 100), 1);
	assert_int_equal(vx_fdb_learn(fdb, 1, &edge, VX_FDB_REMOTE, 1, 50), 1);
	assert_int_equal(vx_fdb_learn(fdb, 1, &future, VX_FDB_REMOTE, 1, 1000), 1);
	assert_int_equal(vx_fdb_add_static(fdb, 1, &st, VX_FDB_LOCAL, 1), 0);

	/* Nothing is older than 100 at t=150 except the one seen at 0. */
	assert_int_equal(vx_fdb_age(fdb, 150, 100, UINT_MAX), 1);
	assert_null(vx_fdb_lookup(fdb, 1, &old));
	assert_non_null(vx_fdb_lookup(fdb, 1, &fresh));
	assert_non_null(vx_fdb_lookup(fdb, 1, &edge)); /* Exactly max_age old: kept. */
	assert_non_null(vx_fdb_lookup(fdb, 1, &st));
	assert_non_null(vx_fdb_lookup(fdb, 1, &future));
	assert_int_equal(vx_fdb_count(fdb), 4);

	/* Refreshing keeps an entry alive. */
	assert_int_equal(vx_fdb_learn(fdb, 1, &edge, VX_FDB_REMOTE, 1, 200), 0);
	assert_int_equal(vx_fdb_age(fdb, 251, 100, UINT_MAX), 1); /* fresh goes */
	assert_null(vx_fdb_lookup(fdb, 1, &fresh));
	assert_non_null(vx_fdb_lookup(fdb, 1, &edge));

	/* A zero budget does nothing. */
	assert_int_equal(vx_fdb_age(fdb, 100000, 1, 0), 0);
	assert_int_equal(vx_fdb_count(fdb), 3);
	/* Everything learned goes eventually; the static entry stays. */
	assert_int_equal(vx_fdb_age(fdb, 100000, 1, UINT_MAX), 2);
	assert_int_equal(vx_fdb_count(fdb), 1);
	assert_non_null(vx_fdb_lookup(fdb, 1, &st));
	vx_fdb_destroy(fdb);
}

/*
 * Fill a small table to 90 % of its capacity (45 % of its slots, so long
 * clusters and many backward shifts), stamp a random half as old, and age
 * with a tiny budget, calling repeatedly. Every old entry must go, every
 * fresh and static entry must stay and remain reachable.
 */
static void
age_collision_round(uint64_t *seed, uint32_t cap, unsigned int budget, bool churn)
{
	struct vx_fdb *fdb = vx_fdb_create(cap, -1);
	uint32_t n = cap * 9 / 10, i, calls, removed = 0, n_old = 0;
	uint32_t base = (uint32_t)rnd_next(seed);
	uint8_t *kind = calloc(n, 1); /* 0 old, 1 fresh, 2 static, 3 deleted */
	struct rte_ether_addr m;

	assert_non_null(fdb);
	assert_non_null(kind);
	for (i = 0; i < n; i++) {
		m = mac_of(base + i);
		kind[i] = (uint8_t)rnd_below(seed, 10);
		kind[i] = kind[i] < 5 ? 0 : (kind[i] < 9 ? 1 : 2);
		if (kind[i] == 2) {
			assert_int_equal(vx_fdb_add_static(fdb, i % 3, &m, VX_FDB_LOCAL, 1), 0);
		} else {
			assert_int_equal(vx_fdb_learn(fdb, i % 3, &m, VX_FDB_REMOTE, 1,
						      kind[i] == 0 ? 10 : 1000),
					 1);
			n_old += kind[i] == 0;
		}
	}
	assert_int_equal(vx_fdb_count(fdb), n);

	/* Two full passes' worth of small calls. */
	calls = (4 * cap) / budget + 2;
	for (i = 0; i < calls; i++) {
		removed += vx_fdb_age(fdb, 1500, 1000, budget);
		if (churn && i % 3 == 0) {
			/* Deletions between calls move entries across the cursor. */
			uint32_t k = rnd_below(seed, n);

			if (kind[k] != 3) {
				m = mac_of(base + k);
				if (kind[k] == 0 && vx_fdb_lookup(fdb, k % 3, &m) == NULL)
					continue; /* Already aged. */
				assert_int_equal(vx_fdb_del(fdb, k % 3, &m), 0);
				n_old -= kind[k] == 0;
				kind[k] = 3;
			}
		}
	}
	/* Deleted-by-hand entries may still be pending; finish the passes. */
	for (i = 0; i < calls; i++)
		removed += vx_fdb_age(fdb, 1500, 1000, budget);

	assert_int_equal(removed, n_old);
	for (i = 0; i < n; i++) {
		const struct vx_fdb_entry *e;

		m = mac_of(base + i);
		e = vx_fdb_lookup(fdb, i % 3, &m);
		if (kind[i] == 0 || kind[i] == 3) {
			assert_null(e);
		} else {
			assert_non_null(e);
			assert_int_equal(e->is_static, kind[i] == 2);
		}
	}
	check_consistent(fdb);
	free(kind);
	vx_fdb_destroy(fdb);
}

static void
test_age_collisions(void **state)
{
	uint64_t seed = 0x5eed0001;
	int r;

	(void)state;
	for (r = 0; r < 200; r++)
		age_collision_round(&seed, 64, 1 + r % 5, false);
	for (r = 0; r < 200; r++)
		age_collision_round(&seed, 64, 1 + r % 7, true);
	age_collision_round(&seed, 10000, 37, false);
	age_collision_round(&seed, 10000, 101, true);
}

static void
test_flush(void **state)
{
	struct vx_fdb *fdb = vx_fdb_create(256, -1);
	struct rte_ether_addr m;
	uint32_t i;

	(void)state;
	assert_non_null(fdb);
	assert_int_equal(vx_fdb_flush(fdb, VX_VNI_ANY, true), 0);
	/* 3 VNIs x 40 MACs, one in four static. */
	for (i = 0; i < 120; i++) {
		m = mac_of(i / 3);
		if (i % 4 == 0)
			assert_int_equal(vx_fdb_add_static(fdb, 1 + i % 3, &m, VX_FDB_LOCAL, 1), 0);
		else
			assert_int_equal(vx_fdb_learn(fdb, 1 + i % 3, &m, VX_FDB_REMOTE, 1, 0), 1);
	}
	assert_int_equal(vx_fdb_count(fdb), 120);

	/* VNI 1 has 40 entries, 10 static (i = 0, 12, 24, ...). */
	assert_int_equal(vx_fdb_flush(fdb, 1, false), 30);
	assert_int_equal(vx_fdb_count(fdb), 90);
	for (i = 0; i < 120; i++) {
		m = mac_of(i / 3);
		if (i % 3 == 0 && i % 4 != 0)
			assert_null(vx_fdb_lookup(fdb, 1, &m));
		else
			assert_non_null(vx_fdb_lookup(fdb, 1 + i % 3, &m));
	}
	check_consistent(fdb);
	assert_int_equal(vx_fdb_flush(fdb, 1, false), 0);
	assert_int_equal(vx_fdb_flush(fdb, 1, true), 10);
	assert_int_equal(vx_fdb_flush(fdb, 1, true), 0);
	assert_int_equal(vx_fdb_flush(fdb, 7, true), 0);
	assert_int_equal(vx_fdb_count(fdb), 80);
	check_consistent(fdb);

	/* VNIs 2 and 3: 80 entries, 20 static. */
	assert_int_equal(vx_fdb_flush(fdb, VX_VNI_ANY, false), 60);
	assert_int_equal(vx_fdb_count(fdb), 20);
	check_consistent(fdb);
	assert_int_equal(vx_fdb_flush(fdb, VX_VNI_ANY, true), 20);
	assert_int_equal(vx_fdb_count(fdb), 0);
	assert_int_equal(walk_count(fdb), 0);
	vx_fdb_destroy(fdb);
}

/* Flushing a nearly full table with long clusters. */
static void
test_flush_dense(void **state)
{
	uint64_t seed = 77;
	int r;

	(void)state;
	for (r = 0; r < 100; r++) {
		struct vx_fdb *fdb = vx_fdb_create(64, -1);
		uint32_t i, base = (uint32_t)rnd_next(&seed), n_vni1 = 0, vni[64];
		struct rte_ether_addr m;

		assert_non_null(fdb);
		for (i = 0; i < 64; i++) {
			vni[i] = 1 + rnd_below(&seed, 2);
			m = mac_of(base + i);
			assert_int_equal(vx_fdb_learn(fdb, vni[i], &m, VX_FDB_REMOTE, 1, 0), 1);
			n_vni1 += vni[i] == 1;
		}
		assert_int_equal(vx_fdb_flush(fdb, 1, false), n_vni1);
		assert_int_equal(vx_fdb_count(fdb), 64 - n_vni1);
		check_consistent(fdb);
		for (i = 0; i < 64; i++) {
			m = mac_of(base + i);
			assert_null(vx_fdb_lookup(fdb, 1, &m));
			if (vni[i] == 2)
				assert_non_null(vx_fdb_lookup(fdb, 2, &m));
		}
		assert_int_equal(vx_fdb_flush(fdb, VX_VNI_ANY, false), 64 - n_vni1);
		assert_int_equal(vx_fdb_count(fdb), 0);
		vx_fdb_destroy(fdb);
	}
}

struct walk_ctx {
	unsigned int calls;
	unsigned int stop_at;
	uint64_t target_sum;
};

static int
walk_cb(const struct vx_fdb_entry *e, void *arg)
{
	struct walk_ctx *w = arg;

	w->calls++;
	w->target_sum += e->target;
	return w->calls == w->stop_at ? 42 : 0;
}

static void
test_walk(void **state)
{
	struct vx_fdb *fdb = vx_fdb_create(64, -1);
	struct walk_ctx w = {0};
	struct rte_ether_addr m;
	uint32_t i;

	(void)state;
	assert_non_null(fdb);
	assert_int_equal(vx_fdb_walk(fdb, walk_cb, &w), 0);
	assert_int_equal(w.calls, 0);
	for (i = 1; i <= 20; i++) {
		m = mac_of(i);
		assert_int_equal(vx_fdb_learn(fdb, i, &m, VX_FDB_REMOTE, (uint16_t)i, 0), 1);
	}
	assert_int_equal(vx_fdb_walk(fdb, walk_cb, &w), 0);
	assert_int_equal(w.calls, 20);
	assert_int_equal(w.target_sum, 210);

	/* A non-zero return stops the walk and is passed back. */
	memset(&w, 0, sizeof(w));
	w.stop_at = 5;
	assert_int_equal(vx_fdb_walk(fdb, walk_cb, &w), 42);
	assert_int_equal(w.calls, 5);
	vx_fdb_destroy(fdb);
}

/* The naive model: an array of keys with their state. */
struct model_ent {
	bool used;
	uint8_t kind;
	bool is_static;
	uint16_t target;
	uint64_t last_seen;
};

static void
model_check(const struct vx_fdb *fdb, const struct model_ent *model, uint32_t n_keys,
	    uint32_t n_macs, uint32_t n_used)
{
	uint32_t k;

	assert_int_equal(vx_fdb_count(fdb), n_used);
	for (k = 0; k < n_keys; k++) {
		struct rte_ether_addr m = mac_of(k % n_macs);
		const struct vx_fdb_entry *e = vx_fdb_lookup(fdb, k / n_macs, &m);

		if (!model[k].used) {
			assert_null(e);
			continue;
		}
		assert_non_null(e);
		assert_int_equal(e->kind, model[k].kind);
		assert_int_equal(e->is_static, model[k].is_static);
		assert_int_equal(e->target, model[k].target);
		if (!model[k].is_static)
			assert_int_equal(e->last_seen, model[k].last_seen);
	}
	check_consistent(fdb);
}

static void
differential(uint64_t seed, uint32_t cap, uint32_t n_macs, uint32_t n_vnis, uint32_t ops)
{
	const uint32_t n_keys = n_macs * n_vnis;
	struct model_ent *model = calloc(n_keys, sizeof(*model));
	struct vx_fdb *fdb = vx_fdb_create(cap, -1);
	uint32_t n_used = 0, op, k;
	uint64_t now = 1;
	const uint64_t max_age = 500;

	assert_non_null(model);
	assert_non_null(fdb);
	for (op = 0; op < ops; op++) {
		uint32_t what = rnd_below(&seed, 100);
		struct model_ent *me;
		struct rte_ether_addr m;
		uint32_t vni;
		uint8_t kind = 1 + rnd_below(&seed, 2);
		uint16_t target = (uint16_t)rnd_below(&seed, 4);
		int ret, want;

		k = rnd_below(&seed, n_keys);
		me = &model[k];
		m = mac_of(k % n_macs);
		vni = k / n_macs;
		now += rnd_below(&seed, 8);

		if (what < 50) {
			ret = vx_fdb_learn(fdb, vni, &m, kind, target, now);
			if (me->used && me->is_static) {
				want = (me->kind == kind && me->target == target) ? 0 : -EPERM;
			} else if (me->used) {
				want = (me->kind == kind && me->target == target) ? 0 : 1;
				me->kind = kind;
				me->target = target;
				me->last_seen = now;
			} else if (n_used >= cap) {
				want = -ENOSPC;
			} else {
				want = 1;
				*me = (struct model_ent){true, kind, false, target, now};
				n_used++;
			}
			assert_int_equal(ret, want);
		} else if (what < 58) {
			ret = vx_fdb_add_static(fdb, vni, &m, kind, target);
			if (!me->used && n_used >= cap) {
				want = -ENOSPC;
			} else {
				want = 0;
				n_used += !me->used;
				*me = (struct model_ent){true, kind, true, target, 0};
			}
			assert_int_equal(ret, want);
		} else if (what < 78) {
			ret = vx_fdb_del(fdb, vni, &m);
			assert_int_equal(ret, me->used ? 0 : -ENOENT);
			if (me->used) {
				me->used = false;
				n_used--;
			}
		} else if (what < 92) {
			const struct vx_fdb_entry *e = vx_fdb_lookup(fdb, vni, &m);

			assert_int_equal(e != NULL, me->used);
			if (e != NULL) {
				assert_int_equal(e->target, me->target);
				assert_int_equal(e->kind, me->kind);
			}
		} else if (what < 99) {
			/*
			 * Partial aging: which expired entries go depends on
			 * the cursor, but nothing live may go and the count
			 * must match what disappeared.
			 */
			unsigned int budget = 1 + rnd_below(&seed, 64), gone = 0;
			unsigned int removed = vx_fdb_age(fdb, now, max_age, budget);

			for (k = 0; k < n_keys; k++) {
				struct rte_ether_addr mk = mac_of(k % n_macs);
				bool present;

				if (!model[k].used)
					continue;
				present = vx_fdb_lookup(fdb, k / n_macs, &mk) != NULL;
				if (model[k].is_static || now - model[k].last_seen <= max_age) {
					assert_true(present);
				} else if (!present) {
					model[k].used = false;
					n_used--;
					gone++;
				}
			}
			assert_int_equal(removed, gone);
		} else {
			uint32_t fvni = rnd_below(&seed, 3) == 0 ? VX_VNI_ANY : vni;
			bool with_static = rnd_below(&seed, 2);
			unsigned int want_n = 0;

			for (k = 0; k < n_keys; k++) {
				if (model[k].used && (fvni == VX_VNI_ANY || k / n_macs == fvni) &&
				    (with_static || !model[k].is_static)) {
					model[k].used = false;
					n_used--;
					want_n++;
				}
			}
			assert_int_equal(vx_fdb_flush(fdb, fvni, with_static), want_n);
		}
		if (op % 97 == 0)
			model_check(fdb, model, n_keys, n_macs, n_used);
	}
	model_check(fdb, model, n_keys, n_macs, n_used);
	vx_fdb_destroy(fdb);
	free(model);
}

static void
test_differential(void **state)
{
	(void)state;
	/* More keys than capacity, so -ENOSPC paths are hit. */
	differential(0x1234567, 128, 96, 3, 30000);
	/* A larger, sparser table. */
	differential(0xfeedbeef, 1000, 400, 2, 30000);
	/* A tiny one. */
	differential(99, 4, 6, 2, 20000);
}

int
vx_test_fdb(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_learn_lookup),
		cmocka_unit_test(test_vni_isolation),
		cmocka_unit_test(test_move),
		cmocka_unit_test(test_static_precedence),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_age_basic),
		cmocka_unit_test(test_age_collisions),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_flush_dense),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests_name("fdb", tests, NULL, NULL);
}
