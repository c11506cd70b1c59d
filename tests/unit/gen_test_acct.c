/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive accounting: sequence numbers with injected losses, reorderings,
 * duplicates, stale frames, jumps and 32-bit wraps, counted exactly, also
 * against a reference model over 200000 frames; the latency histogram's
 * exact counters, percentiles and merge.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen_test.h"

#define W GEN_SEQ_WINDOW

/* ------------------------------------------------------------------------- */
/* Sequence numbers.                                                         */

static struct gen_seq *
seq_new(void)
{
	struct gen_seq *s = malloc(sizeof(*s));

	assert_non_null(s);
	/* Garbage first: gen_seq_init() must reset everything. */
	memset(s, 0xa5, sizeof(*s));
	gen_seq_init(s);
	return s;
}

/* The counters after a test, in one call. */
struct counts {
	uint64_t received, unique, dup, ooo, stale, missing, max_reorder, next;
};

static void
assert_counts(const struct gen_seq *s, const struct counts *c)
{
	assert_int_equal(s->received, c->received);
	assert_int_equal(s->unique, c->unique);
	assert_int_equal(s->dup, c->dup);
	assert_int_equal(s->ooo, c->ooo);
	assert_int_equal(s->stale, c->stale);
	assert_int_equal(s->missing, c->missing);
	assert_int_equal(s->max_reorder, c->max_reorder);
	assert_int_equal(s->next, c->next);
}

/* Receive @p n sequence numbers, each expected to be of the given kind. */
static void
rx_expect(struct gen_seq *s, const uint64_t *seqs, const enum gen_seq_kind *kinds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		enum gen_seq_kind k = gen_seq_rx(s, seqs[i]);

		if (k != kinds[i]) {
			print_error("frame %zu (seq %llu): kind %d, expected %d\n", i,
				    (unsigned long long)seqs[i], k, kinds[i]);
			fail();
		}
	}
}

static void
test_seq_in_order(void **state)
{
	struct gen_seq *s = seq_new();

	(void)state;
	assert_int_equal(gen_seq_lost(s, 0), 0);
	assert_int_equal(gen_seq_lost(s, 10), 10);
	for (uint64_t i = 0; i < 200000; i++)
		assert_int_equal(gen_seq_rx(s, i), GEN_SEQ_NEXT);
	assert_counts(s, &(struct counts){.received = 200000, .unique = 200000, .next = 200000});
	assert_int_equal(gen_seq_lost(s, 200000), 0);
	/* Frames sent but never seen at the tail are lost too. */
	assert_int_equal(gen_seq_lost(s, 200007), 7);
	/* More received than sent: no negative loss. */
	assert_int_equal(gen_seq_lost(s, 100), 0);
	gen_seq_init(s);
	assert_counts(s, &(struct counts){0});
	free(s);
}

static void
test_seq_loss(void **state)
{
	struct gen_seq *s = seq_new();
	uint64_t missing = 0, got = 0;

	(void)state;
	/* 0..99 without 5, 17, 18 and 50..59. */
	for (uint64_t i = 0; i < 100; i++) {
		bool lost = i == 5 || i == 17 || i == 18 || (i >= 50 && i <= 59);
		bool after_gap = i == 6 || i == 19 || i == 60;

		if (lost)
			continue;
		assert_int_equal(gen_seq_rx(s, i), after_gap ? GEN_SEQ_JUMP : GEN_SEQ_NEXT);
		got++;
	}
	missing = 13;
	assert_counts(s, &(struct counts){
				 .received = got, .unique = got, .missing = missing, .next = 100});
	assert_int_equal(gen_seq_lost(s, 100), 13);
	assert_int_equal(gen_seq_lost(s, 120), 33);
	/* The first frame itself may be late or lost. */
	gen_seq_init(s);
	assert_int_equal(gen_seq_rx(s, 3), GEN_SEQ_JUMP);
	assert_int_equal(s->missing, 3);
	assert_int_equal(gen_seq_lost(s, 4), 3);
	free(s);
}

static void
test_seq_swap(void **state)
{
	static const uint64_t seqs[] = {0, 1, 3, 2, 4, 6, 5, 7, 8, 12, 9, 10, 11, 13};
	static const enum gen_seq_kind kinds[] = {
		GEN_SEQ_NEXT, GEN_SEQ_NEXT, GEN_SEQ_JUMP, GEN_SEQ_OOO,	GEN_SEQ_NEXT,
		GEN_SEQ_JUMP, GEN_SEQ_OOO,  GEN_SEQ_NEXT, GEN_SEQ_NEXT, GEN_SEQ_JUMP,
		GEN_SEQ_OOO,  GEN_SEQ_OOO,  GEN_SEQ_OOO,  GEN_SEQ_NEXT,
	};
	struct gen_seq *s = seq_new();

	(void)state;
	rx_expect(s, seqs, kinds, 14);
	/*
	 * An adjacent swap (3 before 2) is 2 behind next (4): next - 1 is
	 * always received, so 2 is the smallest reordering distance. 9 after
	 * 12 is 4 behind 13.
	 */
	assert_counts(
		s, &(struct counts){
			   .received = 14, .unique = 14, .ooo = 5, .max_reorder = 4, .next = 14});
	assert_int_equal(gen_seq_lost(s, 14), 0);

	/* A late frame while another is still missing. */
	gen_seq_init(s);
	rx_expect(s, (const uint64_t[]){0, 5, 2},
		  (const enum gen_seq_kind[]){GEN_SEQ_NEXT, GEN_SEQ_JUMP, GEN_SEQ_OOO}, 3);
	assert_counts(s, &(struct counts){.received = 3,
					  .unique = 3,
					  .ooo = 1,
					  .missing = 3,
					  .max_reorder = 4,
					  .next = 6});
	assert_int_equal(gen_seq_lost(s, 6), 3);
	free(s);
}

static void
test_seq_dup(void **state)
{
	static const uint64_t seqs[] = {0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 3, 0, 12, 11, 11, 12};
	static const enum gen_seq_kind kinds[] = {
		GEN_SEQ_NEXT, GEN_SEQ_NEXT, GEN_SEQ_DUP,  GEN_SEQ_NEXT, GEN_SEQ_NEXT, GEN_SEQ_NEXT,
		GEN_SEQ_NEXT, GEN_SEQ_NEXT, GEN_SEQ_NEXT, GEN_SEQ_NEXT, GEN_SEQ_NEXT, GEN_SEQ_NEXT,
		GEN_SEQ_DUP,  GEN_SEQ_DUP,  GEN_SEQ_JUMP, GEN_SEQ_OOO,	GEN_SEQ_DUP,  GEN_SEQ_DUP,
	};
	struct gen_seq *s = seq_new();

	(void)state;
	rx_expect(s, seqs, kinds, 18);
	/* Immediate (1), delayed (3, 0), of a late frame (11) and of a jump (12). */
	assert_counts(s, &(struct counts){.received = 18,
					  .unique = 13,
					  .dup = 5,
					  .ooo = 1,
					  .max_reorder = 2,
					  .next = 13});
	assert_int_equal(gen_seq_lost(s, 13), 0);
	free(s);
}

static void
test_seq_stale(void **state)
{
	struct gen_seq *s = seq_new();

	(void)state;
	/* 0 .. W + 99 without 100: 100 is missing. */
	for (uint64_t i = 0; i < W + 100; i++)
		if (i != 100)
			gen_seq_rx(s, i);
	assert_int_equal(s->missing, 1);
	/* Exactly W behind next (W + 100) is still in the window. */
	assert_int_equal(gen_seq_rx(s, 100), GEN_SEQ_OOO);
	assert_int_equal(s->max_reorder, W);
	assert_int_equal(gen_seq_rx(s, 100), GEN_SEQ_DUP);
	assert_int_equal(gen_seq_rx(s, 101), GEN_SEQ_DUP);
	/* One further is stale, whether received before or not. */
	assert_int_equal(gen_seq_rx(s, 99), GEN_SEQ_STALE);
	assert_int_equal(gen_seq_rx(s, 0), GEN_SEQ_STALE);
	assert_counts(s, &(struct counts){.received = W + 100 + 4,
					  .unique = W + 100,
					  .dup = 2,
					  .ooo = 1,
					  .stale = 2,
					  .max_reorder = W,
					  .next = W + 100});
	assert_int_equal(gen_seq_lost(s, W + 100), 0);

	/* A missing frame that leaves the window stays missing, even if it comes later. */
	gen_seq_init(s);
	for (uint64_t i = 0; i < W + 21; i++)
		if (i != 10)
			gen_seq_rx(s, i);
	assert_int_equal(gen_seq_rx(s, 10), GEN_SEQ_STALE);
	assert_counts(s, &(struct counts){.received = W + 21,
					  .unique = W + 20,
					  .stale = 1,
					  .missing = 1,
					  .next = W + 21});
	assert_int_equal(gen_seq_lost(s, W + 21), 1);
	free(s);
}

static void
test_seq_jump(void **state)
{
	struct gen_seq *s = seq_new();
	uint64_t j, j2, missing;

	(void)state;
	for (uint64_t i = 0; i < 100; i++)
		gen_seq_rx(s, i);
	/* A jump within the window keeps what was received in it. */
	j = W + 50;
	assert_int_equal(gen_seq_rx(s, j), GEN_SEQ_JUMP);
	missing = j - 100;
	assert_int_equal(s->missing, missing);
	assert_int_equal(gen_seq_rx(s, 99), GEN_SEQ_DUP);
	assert_int_equal(gen_seq_rx(s, 60), GEN_SEQ_DUP);
	assert_int_equal(gen_seq_rx(s, 51), GEN_SEQ_DUP);   /* W behind. */
	assert_int_equal(gen_seq_rx(s, 50), GEN_SEQ_STALE); /* W + 1 behind. */
	assert_int_equal(gen_seq_rx(s, 100), GEN_SEQ_OOO);
	assert_int_equal(gen_seq_rx(s, j - 1), GEN_SEQ_OOO);
	missing -= 2;
	assert_int_equal(s->missing, missing);

	/* A jump of several windows forgets everything before it. */
	j2 = j + 5 * W + 3;
	assert_int_equal(gen_seq_rx(s, j2), GEN_SEQ_JUMP);
	missing += j2 - j - 1;
	assert_int_equal(s->missing, missing);
	assert_int_equal(gen_seq_rx(s, j), GEN_SEQ_STALE);
	for (uint64_t back = 1; back <= W; back += 97) {
		assert_int_equal(gen_seq_rx(s, j2 - back), GEN_SEQ_OOO);
		assert_int_equal(gen_seq_rx(s, j2 - back), GEN_SEQ_DUP);
		missing--;
	}
	assert_int_equal(gen_seq_rx(s, j2 + 1 - W), GEN_SEQ_OOO);
	missing--;
	assert_int_equal(s->missing, missing);
	assert_int_equal(s->max_reorder, W);

	/* Jumps of 2^30: the window is cleared at once, not number by number. */
	gen_seq_init(s);
	for (uint64_t i = 0; i < 20000; i++) {
		uint64_t seq = i << 30;

		assert_int_equal(gen_seq_rx(s, seq), i == 0 ? GEN_SEQ_NEXT : GEN_SEQ_JUMP);
		assert_int_equal(gen_seq_rx(s, seq + 2), GEN_SEQ_JUMP);
		assert_int_equal(gen_seq_rx(s, seq + 1), GEN_SEQ_OOO);
	}
	assert_int_equal(s->unique, 60000);
	assert_int_equal(s->next, (19999ull << 30) + 3);
	assert_int_equal(s->missing, s->next - 60000);
	free(s);
}

static void
test_seq_extend(void **state)
{
	struct gen_seq *s = seq_new();
	const uint64_t b = 1ull << 32;

	(void)state;
	/* From 0: nothing is below 0, so high numbers stay high. */
	assert_int_equal(gen_seq_extend(s, 0), 0);
	assert_int_equal(gen_seq_extend(s, 7), 7);
	assert_int_equal(gen_seq_extend(s, 0x7fffffff), 0x7fffffff);
	assert_int_equal(gen_seq_extend(s, 0x80000000), 0x80000000);
	assert_int_equal(gen_seq_extend(s, 0xffffffff), 0xffffffff);

	/* Next at 2^32 - 10: the closest, back or forward across 2^32. */
	gen_seq_rx(s, b - 11);
	assert_int_equal(s->next, b - 10);
	assert_int_equal(gen_seq_extend(s, 0xfffffff6), b - 10);
	assert_int_equal(gen_seq_extend(s, 0xfffffff0), b - 16);
	assert_int_equal(gen_seq_extend(s, 0), b);
	assert_int_equal(gen_seq_extend(s, 5), b + 5);
	assert_int_equal(gen_seq_extend(s, 0x7ffffff5), b + 0x7ffffff5);
	/* 2^31 away either way: back. */
	assert_int_equal(gen_seq_extend(s, 0x7ffffff6), b - 10 - 0x80000000ull);
	assert_int_equal(gen_seq_extend(s, 0x7ffffff7), 0x7ffffff7);

	/* Far up: 5 * 2^32 + 3. */
	gen_seq_init(s);
	gen_seq_rx(s, 5 * b + 2);
	assert_int_equal(gen_seq_extend(s, 3), 5 * b + 3);
	assert_int_equal(gen_seq_extend(s, 0xffffffff), 5 * b - 1);
	assert_int_equal(gen_seq_extend(s, 0x80000002), 5 * b + 0x80000002ull);
	assert_int_equal(gen_seq_extend(s, 0x80000003), 4 * b + 0x80000003ull);
	free(s);
}

/* Across 3 * 2^32 with the 32-bit numbers a stamp carries: swap, loss and duplicate. */
static void
test_seq_wrap(void **state)
{
	struct gen_seq *s = seq_new();
	const uint64_t b = 3ull << 32;
	uint64_t seqs[1100];
	size_t n = 0;

	(void)state;
	gen_seq_rx(s, b - 501);
	for (uint64_t q = b - 500; q < b + 500; q++) {
		if (q == b + 1)
			continue; /* Lost. */
		seqs[n++] = q;
		if (q == b - 1)
			seqs[n++] = q; /* Duplicated. */
	}
	/* b - 1 and b swapped: b arrives first. */
	for (size_t i = 0; i + 1 < n; i++)
		if (seqs[i] == b - 1) {
			seqs[i] = b;
			seqs[i + 2] = b - 1;
			seqs[i + 1] = b - 1;
			break;
		}
	for (size_t i = 0; i < n; i++) {
		uint64_t full = gen_seq_extend(s, (uint32_t)seqs[i]);

		assert_int_equal(full, seqs[i]);
		gen_seq_rx(s, full);
	}
	assert_counts(s, &(struct counts){.received = n + 1,
					  .unique = 1000,
					  .dup = 1,
					  .ooo = 1,
					  .max_reorder = 2,
					  .missing = b - 501 + 1,
					  .next = b + 500});
	free(s);
}

/* ------------------------------------------------------------------------- */
/* Randomised: known drops, duplicates and displacements against a model.   */

struct arrival {
	double key;   /* Arrival order. */
	uint64_t seq; /* 0-based. */
};

static int
arrival_cmp(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The reference: the RFC 4737 rules with a bitmap of every sequence number. */
struct model {
	uint8_t *seen;
	uint64_t base, next, received, unique, dup, ooo, stale, missing, max_reorder;
};

static enum gen_seq_kind
model_rx(struct model *m, uint64_t seq)
{
	uint64_t i = seq - m->base;

	m->received++;
	if (seq >= m->next) {
		enum gen_seq_kind k = seq == m->next ? GEN_SEQ_NEXT : GEN_SEQ_JUMP;

		assert_false(m->seen[i]);
		m->seen[i] = 1;
		m->unique++;
		m->missing += seq - m->next;
		m->next = seq + 1;
		return k;
	}
	if (m->next - seq > W) {
		m->stale++;
		return GEN_SEQ_STALE;
	}
	if (m->seen[i]) {
		m->dup++;
		return GEN_SEQ_DUP;
	}
	m->seen[i] = 1;
	m->unique++;
	m->ooo++;
	m->missing--;
	if (m->next - seq > m->max_reorder)
		m->max_reorder = m->next - seq;
	return GEN_SEQ_OOO;
}

/*
 * N frames from sequence number base on: 1 % dropped, 0.5 % duplicated up
 * to 30 frames later, 3 % displaced by up to 8 frames either way and, when
 * delays is set, 0.05 % delayed by up to 1.5 windows (some become stale).
 * The 32-bit wire numbers go through gen_seq_extend().
 */
static void
random_run(uint64_t base, bool delays, uint64_t seed)
{
	const uint64_t n = 200000;
	struct arrival *a = malloc(sizeof(*a) * n * 2);
	/*
	 * From next = 0, a first 32-bit number extends to below 2^32: beyond,
	 * the flow is primed with base - 1 first (in the model too).
	 */
	const uint64_t prime = base >= 1ull << 31;
	struct model m = {.base = base - prime, .next = 0};
	struct gen_seq *s = seq_new();
	uint64_t r = seed, drops = 0, dups = 0, na = 0;

	assert_non_null(a);
	m.seen = calloc(n + 1, 1);
	assert_non_null(m.seen);
	if (prime)
		assert_int_equal(gen_seq_rx(s, base - 1), model_rx(&m, base - 1));
	for (uint64_t i = 0; i < n; i++) {
		double key = (double)i;

		if (gen_test_rand(&r) % 100 == 0) {
			drops++;
			continue;
		}
		if (gen_test_rand(&r) % 100 < 3)
			key += (double)(gen_test_rand(&r) % 17) - 8 + 0.25;
		if (delays && gen_test_rand(&r) % 2000 == 0)
			key += (double)(gen_test_rand(&r) % (W * 3 / 2)) + 0.5;
		a[na++] = (struct arrival){key, i};
		if (gen_test_rand(&r) % 200 == 0) {
			a[na++] =
				(struct arrival){key + (double)(gen_test_rand(&r) % 31) + 0.125, i};
			dups++;
		}
	}
	qsort(a, na, sizeof(*a), arrival_cmp);
	for (uint64_t i = 0; i < na; i++) {
		uint64_t seq = base + a[i].seq, full;

		full = gen_seq_extend(s, (uint32_t)seq);
		assert_int_equal(full, seq);
		assert_int_equal(gen_seq_rx(s, full), model_rx(&m, seq));
	}
	assert_int_equal(s->received, na + prime);
	assert_int_equal(s->received, m.received);
	assert_int_equal(s->unique, m.unique);
	assert_int_equal(s->dup, m.dup);
	assert_int_equal(s->ooo, m.ooo);
	assert_int_equal(s->stale, m.stale);
	assert_int_equal(s->missing, m.missing);
	assert_int_equal(s->max_reorder, m.max_reorder);
	assert_int_equal(s->next, m.next);
	assert_true(m.ooo > 1000);
	if (!delays) {
		/* Nothing left the window: the injected numbers come back exactly. */
		assert_int_equal(s->stale, 0);
		assert_int_equal(s->dup, dups);
		assert_int_equal(s->unique, n - drops + prime);
		assert_int_equal(s->missing, s->next - s->unique);
	} else {
		assert_true(s->stale > 0);
	}
	if (base == 0)
		assert_int_equal(gen_seq_lost(s, n), n - m.unique);
	if (base == 0 && !delays)
		assert_int_equal(gen_seq_lost(s, n), drops);
	print_message("base %llu%s: %llu frames, %llu dropped, %llu duplicated, %llu late, "
		      "%llu stale, max reorder %llu\n",
		      (unsigned long long)base, delays ? " with long delays" : "",
		      (unsigned long long)na, (unsigned long long)drops, (unsigned long long)dups,
		      (unsigned long long)s->ooo, (unsigned long long)s->stale,
		      (unsigned long long)s->max_reorder);
	free(m.seen);
	free(a);
	free(s);
}

static void
test_seq_random(void **state)
{
	(void)state;
	random_run(0, false, 0x9e3779b97f4a7c15ull);
	random_run(0, true, 12345);
	random_run((1ull << 32) - 100000, false, 777);
	random_run((7ull << 32) - 150000, true, 4242);
}

int
gen_test_seq(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_in_order), cmocka_unit_test(test_seq_loss),
		cmocka_unit_test(test_seq_swap),     cmocka_unit_test(test_seq_dup),
		cmocka_unit_test(test_seq_stale),    cmocka_unit_test(test_seq_jump),
		cmocka_unit_test(test_seq_extend),   cmocka_unit_test(test_seq_wrap),
		cmocka_unit_test(test_seq_random),
	};

	return cmocka_run_group_tests_name("gen/seq", tests, NULL, NULL);
}

/* ------------------------------------------------------------------------- */
/* Latency.                                                                  */

static struct gen_lat *
lat_new(void)
{
	struct gen_lat *h = malloc(sizeof(*h));

	assert_non_null(h);
	memset(h, 0x5a, sizeof(*h));
	gen_lat_init(h);
	return h;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_lat_empty(void **state)
{
	struct gen_lat *h = lat_new();

	(void)state;
	assert_int_equal(h->count, 0);
	assert_true(h->min == UINT64_MAX);
	assert_int_equal(h->max, 0);
	assert_int_equal(h->sum, 0);
	assert_int_equal(gen_lat_pct(h, 0), 0);
	assert_int_equal(gen_lat_pct(h, 50), 0);
	assert_int_equal(gen_lat_pct(h, 100), 0);
	free(h);
}

static void
test_lat_exact(void **state)
{
	struct gen_lat *h = lat_new();

	(void)state;
	for (uint64_t v = 100; v >= 1; v--)
		gen_lat_add(h, v);
	assert_int_equal(h->count, 100);
	assert_int_equal(h->min, 1);
	assert_int_equal(h->max, 100);
	assert_int_equal(h->sum, 5050);
	/* Below 128, every value is exact. */
	assert_int_equal(gen_lat_pct(h, 0), 1);
	assert_int_equal(gen_lat_pct(h, 0.5), 1);
	assert_int_equal(gen_lat_pct(h, 1), 1);
	assert_int_equal(gen_lat_pct(h, 1.01), 2);
	assert_int_equal(gen_lat_pct(h, 50), 50);
	assert_int_equal(gen_lat_pct(h, 63), 63);
	assert_int_equal(gen_lat_pct(h, 64), 64);
	assert_int_equal(gen_lat_pct(h, 99), 99);
	assert_int_equal(gen_lat_pct(h, 99.5), 100);
	assert_int_equal(gen_lat_pct(h, 100), 100);
	/* Out of range: below 0 is the min, above 100 the max. */
	assert_int_equal(gen_lat_pct(h, -5), 1);
	assert_int_equal(gen_lat_pct(h, 250), 100);
	assert_int_equal(gen_lat_pct(h, NAN), 1);

	/* 1000 values: 99.9 % is rank 999, although 99.9 has no exact binary form. */
	gen_lat_init(h);
	for (uint64_t v = 0; v < 1000; v++)
		gen_lat_add(h, v % 100);
	assert_int_equal(gen_lat_pct(h, 99.9), 99);
	assert_int_equal(gen_lat_pct(h, 10), 9);
	assert_int_equal(gen_lat_pct(h, 10.1), 10);
	assert_int_equal(gen_lat_pct(h, 0), 0);
	assert_int_equal(h->min, 0);
	free(h);
}

/* 1000 .. 10000 ns: buckets 64 and 128 wide; a percentile is capped at the max. */
static void
test_lat_buckets(void **state)
{
	struct gen_lat *h = lat_new();
	uint64_t v;

	(void)state;
	for (uint64_t k = 1; k <= 10; k++)
		gen_lat_add(h, k * 1000);
	v = gen_lat_pct(h, 50);
	assert_true(v >= 5000 && v * 64 <= 5000 * 65);
	assert_int_equal(gen_lat_pct(h, 95), 10000);
	assert_int_equal(gen_lat_pct(h, 100), 10000);
	assert_int_equal(gen_lat_pct(h, 0), 1000);
	assert_int_equal(h->sum, 55000);

	/* One value: every percentile is that value. */
	gen_lat_init(h);
	gen_lat_add(h, 123456789);
	assert_int_equal(gen_lat_pct(h, 1), 123456789);
	assert_int_equal(gen_lat_pct(h, 50), 123456789);

	/* 2^40 and beyond share the last bucket; the sum saturates. */
	gen_lat_init(h);
	gen_lat_add(h, 3);
	gen_lat_add(h, 1ull << 40);
	gen_lat_add(h, 1ull << 50);
	gen_lat_add(h, UINT64_MAX);
	assert_int_equal(h->count, 4);
	assert_int_equal(h->min, 3);
	assert_true(h->max == UINT64_MAX);
	assert_true(h->sum == UINT64_MAX);
	assert_int_equal(gen_lat_pct(h, 25), 3);
	assert_true(gen_lat_pct(h, 50) == UINT64_MAX);
	gen_lat_init(h);
	gen_lat_add(h, (1ull << 40) - 1);
	gen_lat_add(h, 1ull << 45);
	assert_true(gen_lat_pct(h, 50) == 1ull << 45);
	assert_true(gen_lat_pct(h, 100) == 1ull << 45);
	free(h);
}

/* Random values from 0 to 2^40: every percentile within 1/64 above the true one. */
static void
test_lat_random(void **state)
{
	static const unsigned int pcts[] = {1,	  10,	100,  500,  1000, 2500, 5000,
					    7500, 9000, 9500, 9900, 9990, 9999, 10000};
	const uint64_t n = 20000;
	uint64_t *vals = malloc(n * sizeof(*vals)), r = 99, sum = 0;
	struct gen_lat *h = lat_new();

	(void)state;
	assert_non_null(vals);
	for (uint64_t i = 0; i < n; i++) {
		unsigned int e = (unsigned int)(gen_test_rand(&r) % 40);

		vals[i] = (1ull << e) + gen_test_rand(&r) % (1ull << e) - (e == 0);
		sum += vals[i];
		gen_lat_add(h, vals[i]);
	}
	qsort(vals, n, sizeof(*vals), u64_cmp);
	assert_int_equal(h->count, n);
	assert_int_equal(h->min, vals[0]);
	assert_int_equal(h->max, vals[n - 1]);
	assert_int_equal(h->sum, sum);
	for (unsigned int i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		/* pcts are in 1/100 %: the rank is ceil(p * n / 10000). */
		uint64_t rank = (pcts[i] * n + 9999) / 10000, t = vals[rank - 1];
		uint64_t v = gen_lat_pct(h, pcts[i] / 100.0);

		if (v < t || v * 64 > t * 65) {
			print_error("p%.2f: %llu, true %llu\n", pcts[i] / 100.0,
				    (unsigned long long)v, (unsigned long long)t);
			fail();
		}
	}
	assert_int_equal(gen_lat_pct(h, 100), vals[n - 1]);
	free(vals);
	free(h);
}

static void
test_lat_merge(void **state)
{
	struct gen_lat *a = lat_new(), *b = lat_new(), *all = lat_new(), *e = lat_new();
	uint64_t r = 5;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		uint64_t v = gen_test_rand(&r) >> (gen_test_rand(&r) % 64);

		gen_lat_add(i % 3 ? a : b, v);
		gen_lat_add(all, v);
	}
	gen_lat_merge(a, b);
	assert_memory_equal(a, all, sizeof(*a));
	/* Merging an empty one changes nothing; into an empty one copies. */
	gen_lat_merge(a, e);
	assert_memory_equal(a, all, sizeof(*a));
	gen_lat_merge(e, all);
	assert_memory_equal(e, all, sizeof(*e));
	free(a);
	free(b);
	free(all);
	free(e);
}

int
gen_test_lat(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lat_empty),   cmocka_unit_test(test_lat_exact),
		cmocka_unit_test(test_lat_buckets), cmocka_unit_test(test_lat_random),
		cmocka_unit_test(test_lat_merge),
	};

	return cmocka_run_group_tests_name("gen/lat", tests, NULL, NULL);
}
