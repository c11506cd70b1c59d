/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split/merge under adversarial schedules. A simulated dispatcher sends mice
 * and elephants (promoted and demoted on the way) through the real
 * dp_mflow rings to simulated workers that move entries at random speeds,
 * drop packets and stall; the merger's output must keep every flow in
 * order, account for every packet, and never block for good.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp_mflow.h"
#include "dp_test.h"

#define W_MAX 4
#define FLOWS 24
#define RING  8192

struct sim {
	/* Knobs. */
	uint16_t workers;
	uint32_t batch;
	enum dp_mf_pick pick;
	unsigned int ticks;	    /* Ticks with traffic. */
	unsigned int per_tick;	    /* Packets generated per tick. */
	unsigned int speed;	    /* Entries a worker moves per tick, at most. */
	unsigned int drop_permille; /* Packet drops by workers. */
	unsigned int stall_worker;  /* Worker that stalls, or W_MAX for none. */
	unsigned int stall_from, stall_to;
	unsigned int transitions; /* Promote/demote every that many ticks (0: never). */
	uint32_t start_id;	  /* First batch ID of every slot (wrap-around). */
	uint64_t timeout;	  /* Merge timeout in ticks. */
	/* State. */
	struct rte_ring *in[W_MAX], *out[W_MAX];
	struct dp_mf_split *sp;
	struct dp_mf_merge *mg;
	uint64_t rng;
	uint32_t seq[FLOWS]; /* Next sequence number per flow. */
	int64_t last[FLOWS]; /* Last sequence delivered per flow. */
	int slot[FLOWS];     /* Elephant slot, or -1. */
	uint64_t generated, worker_drops, delivered, ooo, dup;
};

static uint32_t
rnd(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return (uint32_t)(s->rng >> 11);
}

static void
sim_setup(struct sim *s)
{
	char name[32];

	s->rng = 0x9e3779b97f4a7c15ull;
	for (uint16_t w = 0; w < s->workers; w++) {
		snprintf(name, sizeof(name), "mf_in%u", w);
		s->in[w] =
			rte_ring_create(name, RING, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "mf_out%u", w);
		s->out[w] =
			rte_ring_create(name, RING, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		assert_non_null(s->in[w]);
		assert_non_null(s->out[w]);
	}
	s->sp = dp_mf_split_create(s->in, s->workers, s->batch, s->pick);
	s->mg = dp_mf_merge_create(s->out, s->workers, s->timeout);
	assert_non_null(s->sp);
	assert_non_null(s->mg);
	for (uint16_t i = 0; i < DP_MF_MAX_SLOTS; i++) {
		dp_mf_split_set_next(s->sp, i, s->start_id);
		dp_mf_merge_set_next(s->mg, i, s->start_id);
	}
	for (unsigned int f = 0; f < FLOWS; f++) {
		s->last[f] = -1;
		s->slot[f] = -1;
	}
}

static void
sim_teardown(struct sim *s)
{
	dp_mf_split_destroy(s->sp);
	dp_mf_merge_destroy(s->mg);
	for (uint16_t w = 0; w < s->workers; w++) {
		void *e;

		while (rte_ring_dequeue(s->in[w], &e) == 0)
			if (!dp_mf_is_marker(e))
				rte_pktmbuf_free(e);
		while (rte_ring_dequeue(s->out[w], &e) == 0)
			if (!dp_mf_is_marker(e))
				rte_pktmbuf_free(e);
		rte_ring_free(s->in[w]);
		rte_ring_free(s->out[w]);
	}
}

static struct rte_mbuf *
packet(struct sim *s, unsigned int flow)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp_test_pool());
	uint32_t *p;

	assert_non_null(m);
	p = (uint32_t *)rte_pktmbuf_append(m, 8);
	p[0] = flow;
	p[1] = s->seq[flow]++;
	s->generated++;
	return m;
}

/* Flows 0 and 1 are the elephants candidates; the rest stay mice. */
static void
dispatch(struct sim *s, unsigned int tick)
{
	for (unsigned int i = 0; i < s->per_tick; i++) {
		unsigned int f = rnd(s) % 4 != 0 ? rnd(s) % 2 : 2 + rnd(s) % (FLOWS - 2);
		uint16_t pinned = (uint16_t)(f % s->workers);

		if (s->transitions != 0 && f < 2 && (tick / s->transitions + f) % 2 == 1) {
			if (s->slot[f] < 0) {
				s->slot[f] = dp_mf_split_promote(s->sp, pinned);
				assert_true(s->slot[f] >= 0);
			}
		} else if (s->transitions != 0 && s->slot[f] >= 0) {
			dp_mf_split_demote(s->sp, (uint16_t)s->slot[f], pinned);
			s->slot[f] = -1;
		} else if (s->transitions == 0 && f < 2 && s->slot[f] < 0) {
			s->slot[f] = dp_mf_split_promote(s->sp, pinned);
		}
		if (s->slot[f] >= 0)
			dp_mf_split_elephant(s->sp, (uint16_t)s->slot[f], packet(s, f));
		else
			dp_mf_split_mouse(s->sp, pinned, packet(s, f));
	}
	/* Sometimes an elephant pauses and its batch is closed early. */
	for (unsigned int f = 0; f < 2; f++)
		if (s->slot[f] >= 0 && rnd(s) % 8 == 0)
			dp_mf_split_close(s->sp, (uint16_t)s->slot[f]);
	dp_mf_split_flush(s->sp);
}

/* Each worker moves up to speed entries, in order, dropping some packets. */
static void
work(struct sim *s, unsigned int tick)
{
	for (uint16_t w = 0; w < s->workers; w++) {
		unsigned int n = rnd(s) % (s->speed + 1);
		void *e = NULL;

		if (w == s->stall_worker && tick >= s->stall_from && tick < s->stall_to)
			continue;
		while (n-- > 0 && rte_ring_count(s->in[w]) > 0) {
			/* Never take an entry the output ring could not hold. */
			if (rte_ring_free_count(s->out[w]) == 0)
				break;
			assert_int_equal(rte_ring_dequeue(s->in[w], &e), 0);
			if (!dp_mf_is_marker(e) && rnd(s) % 1000 < s->drop_permille) {
				rte_pktmbuf_free(e);
				s->worker_drops++;
				continue;
			}
			assert_int_equal(rte_ring_enqueue(s->out[w], e), 0);
		}
	}
}

static void
merge(struct sim *s, uint64_t now)
{
	struct rte_mbuf *pkts[64];
	uint16_t n;

	do {
		n = dp_mf_merge_poll(s->mg, pkts, RTE_DIM(pkts), now);
		for (uint16_t i = 0; i < n; i++) {
			const uint32_t *p = rte_pktmbuf_mtod(pkts[i], const uint32_t *);

			if ((int64_t)p[1] < s->last[p[0]])
				s->ooo++;
			else if ((int64_t)p[1] == s->last[p[0]])
				s->dup++;
			s->last[p[0]] = p[1];
			rte_pktmbuf_free(pkts[i]);
		}
		s->delivered += n;
	} while (n == RTE_DIM(pkts));
}

static bool
drained(const struct sim *s)
{
	for (uint16_t w = 0; w < s->workers; w++)
		if (rte_ring_count(s->in[w]) || rte_ring_count(s->out[w]))
			return false;
	return true;
}

static void
check_accounting(struct sim *s)
{
	const struct dp_mf_merge_stats *ms = dp_mf_merge_stats(s->mg);
	const struct dp_mf_split_stats *ss = dp_mf_split_stats(s->sp);

	if (s->ooo != 0 || s->dup != 0)
		print_error("out of order %" PRIu64 ", duplicated %" PRIu64 "\n", s->ooo, s->dup);
	assert_int_equal(s->ooo, 0);
	assert_int_equal(s->dup, 0);
	assert_int_equal(s->generated, s->delivered + s->worker_drops + ms->late + ss->ring_full);
	assert_int_equal(ms->delivered, s->delivered);
	assert_int_equal(ss->mice + ss->split, s->generated);
}

/*
 * Run the schedule, drain with no new traffic, and check order and
 * accounting; returns the ticks used.
 */
static unsigned int
sim_run(struct sim *s)
{
	unsigned int tick;

	sim_setup(s);
	for (tick = 0; tick < s->ticks; tick++) {
		dispatch(s, tick);
		work(s, tick);
		merge(s, tick);
	}
	/* Close what is open so that nothing waits on a batch that never ends. */
	for (unsigned int f = 0; f < 2; f++)
		if (s->slot[f] >= 0)
			dp_mf_split_close(s->sp, (uint16_t)s->slot[f]);
	dp_mf_split_flush(s->sp);
	/* Bounded drain: the merger must never block for good. */
	for (unsigned int i = 0; i < 100000 && !(drained(s) && i > 0); i++, tick++) {
		work(s, tick);
		merge(s, tick);
	}
	assert_true(drained(s));
	check_accounting(s);
	return tick;
}

static void
test_random_delays(void **state)
{
	struct sim s = {.workers = 3,
			.batch = 16,
			.ticks = 400,
			.per_tick = 24,
			.speed = 40,
			.stall_worker = W_MAX,
			.timeout = 0};

	(void)state;
	sim_run(&s);
	assert_int_equal(s.delivered, s.generated);
	assert_int_equal(dp_mf_merge_stats(s.mg)->skipped, 0);
	assert_true(dp_mf_split_stats(s.sp)->split > s.generated / 2);
	assert_true(dp_mf_merge_stats(s.mg)->merged > 100);
	sim_teardown(&s);
}

static void
test_drops(void **state)
{
	struct sim s = {.workers = 4,
			.batch = 8,
			.ticks = 400,
			.per_tick = 24,
			.speed = 40,
			.drop_permille = 50,
			.stall_worker = W_MAX,
			.timeout = 0};

	(void)state;
	sim_run(&s);
	assert_true(s.worker_drops > 100);
	assert_int_equal(dp_mf_merge_stats(s.mg)->late, 0);
	sim_teardown(&s);
}

/* A worker stops for far longer than the timeout: skip, drop late, never block. */
static void
test_stall(void **state)
{
	struct sim s = {.workers = 3,
			.batch = 8,
			.ticks = 400,
			.per_tick = 16,
			.speed = 40,
			.stall_worker = 1,
			.stall_from = 100,
			.stall_to = 300,
			.timeout = 20};
	const struct dp_mf_merge_stats *ms;

	(void)state;
	sim_run(&s);
	ms = dp_mf_merge_stats(s.mg);
	assert_true(ms->skipped > 0);
	assert_true(ms->late > 0);
	assert_true(ms->blocked_polls > 0);
	sim_teardown(&s);
}

/* Promotions and demotions on the way keep every flow in order. */
static void
test_transitions(void **state)
{
	struct sim s = {.workers = 4,
			.batch = 16,
			.ticks = 600,
			.per_tick = 20,
			.speed = 30,
			.drop_permille = 10,
			.stall_worker = W_MAX,
			.transitions = 7,
			.timeout = 0};

	(void)state;
	sim_run(&s);
	assert_true(dp_mf_split_stats(s.sp)->barriers > 100);
	sim_teardown(&s);
}

/* Batch IDs wrap from 2^32-1 to 0 in the middle of the run. */
static void
test_wraparound(void **state)
{
	struct sim s = {.workers = 2,
			.batch = 4,
			.ticks = 300,
			.per_tick = 16,
			.speed = 30,
			.stall_worker = W_MAX,
			.transitions = 50,
			.start_id = 0xffffff80u,
			.timeout = 0};

	(void)state;
	sim_run(&s);
	assert_int_equal(s.delivered, s.generated);
	assert_int_equal(dp_mf_merge_stats(s.mg)->skipped, 0);
	assert_true(dp_mf_merge_stats(s.mg)->merged > 256);
	sim_teardown(&s);
}

/* The least-loaded pick and a stall together; batch size 1 is per-packet batching. */
static void
test_least_loaded_and_tiny_batches(void **state)
{
	struct sim s = {.workers = 4,
			.batch = 1,
			.pick = DP_MF_PICK_LEAST,
			.ticks = 300,
			.per_tick = 16,
			.speed = 24,
			.drop_permille = 20,
			.stall_worker = 2,
			.stall_from = 50,
			.stall_to = 120,
			.transitions = 13,
			.timeout = 10};

	(void)state;
	sim_run(&s);
	sim_teardown(&s);
}

/* Creation rejects bad arguments. */
static void
test_create_errors(void **state)
{
	struct rte_ring *r[1] = {NULL};

	(void)state;
	assert_null(dp_mf_split_create(r, 0, 256, DP_MF_PICK_RR));
	assert_null(dp_mf_split_create(r, 1, 0, DP_MF_PICK_RR));
	assert_null(dp_mf_split_create(r, DP_MF_MAX_WORKERS + 1, 256, DP_MF_PICK_RR));
	assert_null(dp_mf_merge_create(r, 0, 0));
	dp_mf_split_destroy(NULL);
	dp_mf_merge_destroy(NULL);
}

/* Move up to @p n entries from ring @p from to ring @p to (a worker at work). */
static unsigned int
slow_move(struct rte_ring *from, struct rte_ring *to, unsigned int n)
{
	void *e[16];
	unsigned int got = rte_ring_dequeue_burst(from, e, RTE_MIN(n, 16u), NULL);

	assert_int_equal(rte_ring_enqueue_burst(to, e, got, NULL), got);
	return got;
}

/*
 * A worker that is slow but keeps delivering is not a stalled one: the
 * merger waits for its batch as long as it makes progress, and skips only
 * when it stops for a whole timeout.
 */
static void
test_slow_is_not_stalled(void **state)
{
	const uint64_t timeout = 100;
	struct rte_ring *in[2], *out[2];
	struct dp_mf_split *sp;
	struct dp_mf_merge *mg;
	struct rte_mbuf *pkts[64];
	uint64_t now = 1000;
	unsigned int got = 0;
	int slot;

	(void)state;
	for (unsigned int w = 0; w < 2; w++) {
		char n[32];

		snprintf(n, sizeof(n), "slow_in%u", w);
		in[w] = rte_ring_create(n, 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(n, sizeof(n), "slow_out%u", w);
		out[w] = rte_ring_create(n, 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		assert_non_null(in[w]);
		assert_non_null(out[w]);
	}
	sp = dp_mf_split_create(in, 2, 8, DP_MF_PICK_RR);
	mg = dp_mf_merge_create(out, 2, timeout);
	assert_non_null(sp);
	assert_non_null(mg);
	/* The barrier on worker 0; batch 1 (8 packets) on worker 0, batch 2 on worker 1. */
	slot = dp_mf_split_promote(sp, 0);
	assert_true(slot >= 0);
	for (unsigned int i = 0; i < 16; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(dp_test_pool());

		assert_non_null(m);
		dp_mf_split_elephant(sp, (uint16_t)slot, m);
	}
	dp_mf_split_flush(sp);
	/* Worker 1 is done at once; worker 0 gives one entry per half timeout. */
	while (slow_move(in[1], out[1], 16) != 0)
		;
	for (unsigned int step = 0; step < 40 && got < 16; step++) {
		uint16_t n;

		slow_move(in[0], out[0], 1);
		n = dp_mf_merge_poll(mg, pkts, RTE_DIM(pkts), now);
		rte_pktmbuf_free_bulk(pkts, n);
		got += n;
		now += timeout / 2;
	}
	assert_int_equal(got, 16);
	assert_int_equal(dp_mf_merge_stats(mg)->skipped, 0);
	assert_int_equal(dp_mf_merge_stats(mg)->late, 0);

	/* Now worker 0 stops in the middle of a batch: after a timeout the merger skips it. */
	for (unsigned int i = 0; i < 16; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(dp_test_pool());

		assert_non_null(m);
		dp_mf_split_elephant(sp, (uint16_t)slot, m);
	}
	dp_mf_split_flush(sp);
	slow_move(in[0], out[0], 3); /* START and two packets of batch 3. */
	while (slow_move(in[1], out[1], 16) != 0)
		;
	got = 0;
	for (unsigned int step = 0; step < 10; step++) {
		uint16_t n = dp_mf_merge_poll(mg, pkts, RTE_DIM(pkts), now);

		rte_pktmbuf_free_bulk(pkts, n);
		got += n;
		now += timeout / 2;
	}
	assert_int_equal(got, 2 + 8);
	assert_int_equal(dp_mf_merge_stats(mg)->skipped, 1);
	/* The rest of batch 3 turns up late and is dropped, not delivered. */
	while (slow_move(in[0], out[0], 16) != 0)
		;
	assert_int_equal(dp_mf_merge_poll(mg, pkts, RTE_DIM(pkts), now), 0);
	assert_int_equal(dp_mf_merge_stats(mg)->late, 6);

	dp_mf_split_destroy(sp);
	dp_mf_merge_destroy(mg);
	for (unsigned int w = 0; w < 2; w++) {
		rte_ring_free(in[w]);
		rte_ring_free(out[w]);
	}
}

int
dp_test_mflow(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_delays),
		cmocka_unit_test(test_drops),
		cmocka_unit_test(test_stall),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_least_loaded_and_tiny_batches),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_slow_is_not_stalled),
	};

	assert_int_equal(dp_mf_dynfield_register(), 0);
	return cmocka_run_group_tests_name("dataplane/mflow", tests, NULL, NULL);
}
