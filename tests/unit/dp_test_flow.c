/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Elephant detection: thresholds, hysteresis, demotion of quiet elephants,
 * and what happens when a set is full.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "dp_flow.h"
#include "dp_test.h"

/* Window 1000 ticks; 100 packets or 100000 bytes a window make an elephant. */
static const struct dp_fl_params params = {
	.entries = 64,
	.window = 1000,
	.promote_pkts = 100,
	.promote_bytes = 100000,
	.demote_pkts = 50,
	.demote_bytes = 50000,
	.promote_windows = 2,
	.demote_windows = 3,
};

/* Send @n packets of @len bytes spread evenly over one window from @t0. */
static unsigned int
send_window(struct dp_fl_table *t, uint32_t hash, unsigned int n, uint32_t len, uint64_t t0,
	    unsigned int *promotes, unsigned int *demotes)
{
	struct dp_fl_entry *e = NULL;
	enum dp_fl_event ev = DP_FL_NONE;

	for (unsigned int i = 0; i < n; i++) {
		ev = dp_fl_account(t, hash, len, t0 + (uint64_t)i * params.window / n, &e);
		*promotes += ev == DP_FL_PROMOTE;
		*demotes += ev == DP_FL_DEMOTE;
	}
	return e != NULL && e->elephant;
}

static void
test_promote_after_two_high_windows(void **state)
{
	struct dp_fl_table *t = dp_fl_create(&params);
	unsigned int pro = 0, dem = 0;

	(void)state;
	assert_non_null(t);
	/* Window 0 high, window 1 high: the roll into window 2 promotes. */
	assert_false(send_window(t, 7, 150, 64, 0, &pro, &dem));
	assert_false(send_window(t, 7, 150, 64, 1000, &pro, &dem));
	assert_int_equal(pro, 0);
	assert_true(send_window(t, 7, 150, 64, 2000, &pro, &dem));
	assert_int_equal(pro, 1);
	assert_int_equal(dp_fl_stats(t)->promoted, 1);
	dp_fl_destroy(t);
}

/* A one-window burst does not promote; bytes alone can. */
static void
test_burst_and_bytes(void **state)
{
	struct dp_fl_table *t = dp_fl_create(&params);
	unsigned int pro = 0, dem = 0;

	(void)state;
	send_window(t, 8, 500, 64, 0, &pro, &dem);
	send_window(t, 8, 10, 64, 1000, &pro, &dem);
	send_window(t, 8, 10, 64, 2000, &pro, &dem);
	assert_int_equal(pro, 0);
	/* 20 jumbo packets a window: few packets, many bytes. */
	send_window(t, 9, 20, 9000, 0, &pro, &dem);
	send_window(t, 9, 20, 9000, 1000, &pro, &dem);
	send_window(t, 9, 20, 9000, 2000, &pro, &dem);
	assert_int_equal(pro, 1);
	dp_fl_destroy(t);
}

/* Hysteresis: between the thresholds an elephant stays one; below them it goes after 3. */
static void
test_demote_with_hysteresis(void **state)
{
	struct dp_fl_table *t = dp_fl_create(&params);
	unsigned int pro = 0, dem = 0;
	uint64_t w = 0;

	(void)state;
	for (int i = 0; i < 3; i++, w += 1000)
		send_window(t, 5, 150, 64, w, &pro, &dem);
	assert_int_equal(pro, 1);
	/* 70 a window: below promote, above demote: still an elephant. */
	for (int i = 0; i < 6; i++, w += 1000)
		assert_true(send_window(t, 5, 70, 64, w, &pro, &dem));
	assert_int_equal(dem, 0);
	/* 10 a window: the third low window is closed by the next packet. */
	for (int i = 0; i < 3; i++, w += 1000)
		send_window(t, 5, 10, 64, w, &pro, &dem);
	assert_int_equal(dem, 0);
	assert_false(send_window(t, 5, 10, 64, w, &pro, &dem));
	assert_int_equal(dem, 1);
	assert_int_equal(dp_fl_stats(t)->demoted, 1);
	dp_fl_destroy(t);
}

struct swept {
	unsigned int n;
	int32_t slot;
};

static void
on_sweep(struct dp_fl_entry *e, void *arg)
{
	struct swept *s = arg;

	s->n++;
	s->slot = e->slot;
}

/* An elephant that goes quiet is demoted by the sweep, which hands back its slot. */
static void
test_sweep_quiet_elephant(void **state)
{
	struct dp_fl_table *t = dp_fl_create(&params);
	struct dp_fl_entry *e;
	struct swept s = {0, -1};
	unsigned int pro = 0, dem = 0;

	(void)state;
	for (uint64_t w = 0; w < 3000; w += 1000)
		send_window(t, 11, 150, 64, w, &pro, &dem);
	assert_int_equal(pro, 1);
	dp_fl_account(t, 11, 64, 3000, &e);
	assert_true(e->elephant);
	e->slot = 42;
	/* Two quiet windows are not enough, four are. */
	assert_int_equal(dp_fl_sweep(t, 5500, 64, on_sweep, &s), 0);
	assert_int_equal(dp_fl_sweep(t, 8000, 64, on_sweep, &s), 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.slot, 42);
	assert_int_equal(e->slot, -1);
	assert_false(e->elephant);
	dp_fl_destroy(t);
}

/* A full set evicts its stalest mouse, never an elephant; four elephants leave no room. */
static void
test_set_full(void **state)
{
	struct dp_fl_params p = params;
	struct dp_fl_table *t;
	struct dp_fl_entry *e;
	unsigned int pro = 0, dem = 0;

	(void)state;
	p.entries = 4; /* One set. */
	t = dp_fl_create(&p);
	for (uint32_t h = 1; h <= 4; h++)
		dp_fl_account(t, h, 64, h, &e);
	/* A fifth flow replaces flow 1, seen longest ago. */
	dp_fl_account(t, 5, 64, 10, &e);
	assert_int_equal(dp_fl_stats(t)->evicted, 1);
	assert_int_equal(e->hash, 5);
	dp_fl_account(t, 1, 64, 11, &e);
	assert_int_equal(dp_fl_stats(t)->evicted, 2);
	/* Make all four resident flows elephants. */
	for (uint64_t w = 100; w < 3100; w += 1000)
		for (uint32_t h = 1; h <= 5; h++)
			if (h != 2)
				send_window(t, h, 150, 64, w, &pro, &dem);
	assert_int_equal(pro, 4);
	/* Nothing can be evicted now. */
	assert_int_equal(dp_fl_account(t, 77, 64, 3200, &e), DP_FL_NONE);
	assert_null(e);
	assert_int_equal(dp_fl_stats(t)->untracked, 1);
	dp_fl_destroy(t);
}

static void
test_bad_params(void **state)
{
	struct dp_fl_params p = params;

	(void)state;
	p.entries = 6;
	assert_null(dp_fl_create(&p));
	p = params;
	p.window = 0;
	assert_null(dp_fl_create(&p));
	p = params;
	p.demote_pkts = p.promote_pkts + 1;
	assert_null(dp_fl_create(&p));
	p = params;
	p.promote_windows = 0;
	assert_null(dp_fl_create(&p));
	dp_fl_destroy(NULL);
}

int
dp_test_flow(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_promote_after_two_high_windows),
		cmocka_unit_test(test_burst_and_bytes),
		cmocka_unit_test(test_demote_with_hysteresis),
		cmocka_unit_test(test_sweep_quiet_elephant),
		cmocka_unit_test(test_set_full),
		cmocka_unit_test(test_bad_params),
	};

	return cmocka_run_group_tests_name("dataplane/flow", tests, NULL, NULL);
}
