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

/*
 * The worker a flow is pinned to stalls while the flow goes from mouse to
 * elephant and back: the promotion barrier sits behind the flow's mouse
 * packets on the stalled worker, and batches on the other workers must wait
 * for it however long the stall, since those mouse packets cannot be told
 * apart from others and dropped as late.
 */
static void
test_stall_on_pinned_worker(void **state)
{
	struct sim s = {.workers = 3,
			.batch = 4,
			.ticks = 400,
			.per_tick = 16,
			.speed = 30,
			.stall_worker = 0,
			.stall_from = 40,
			.stall_to = 200,
			.transitions = 11,
			.timeout = 10};

	(void)state;
	sim_run(&s);
	assert_true(dp_mf_split_stats(s.sp)->barriers > 20);
	assert_true(dp_mf_merge_stats(s.mg)->blocked_polls > 0);
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

/* Two workers with their rings, a dispatcher and a merger: for step-by-step tests. */
struct duo {
	struct rte_ring *in[2], *out[2];
	struct dp_mf_split *sp;
	struct dp_mf_merge *mg;
};

static void
duo_setup(struct duo *d, const char *name, uint32_t batch, uint64_t timeout)
{
	for (unsigned int w = 0; w < 2; w++) {
		char n[32];

		snprintf(n, sizeof(n), "%s_in%u", name, w);
		d->in[w] = rte_ring_create(n, 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(n, sizeof(n), "%s_out%u", name, w);
		d->out[w] = rte_ring_create(n, 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		assert_non_null(d->in[w]);
		assert_non_null(d->out[w]);
	}
	d->sp = dp_mf_split_create(d->in, 2, batch, DP_MF_PICK_RR);
	d->mg = dp_mf_merge_create(d->out, 2, timeout);
	assert_non_null(d->sp);
	assert_non_null(d->mg);
}

static void
duo_teardown(struct duo *d)
{
	dp_mf_split_destroy(d->sp);
	dp_mf_merge_destroy(d->mg);
	for (unsigned int w = 0; w < 2; w++) {
		rte_ring_free(d->in[w]);
		rte_ring_free(d->out[w]);
	}
}

/* Send @p n empty packets of the elephant in @p slot, and flush. */
static void
duo_elephant(struct duo *d, int slot, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(dp_test_pool());

		assert_non_null(m);
		dp_mf_split_elephant(d->sp, (uint16_t)slot, m);
	}
	dp_mf_split_flush(d->sp);
}

/* Worker @p w moves everything it has. */
static void
duo_work(struct duo *d, unsigned int w)
{
	while (slow_move(d->in[w], d->out[w], 16) != 0)
		;
}

/* Poll @p steps times, @p dt apart from *@p now; frees and counts what comes out. */
static unsigned int
duo_poll(struct duo *d, uint64_t *now, unsigned int steps, uint64_t dt)
{
	struct rte_mbuf *pkts[64];
	unsigned int got = 0;

	for (unsigned int step = 0; step < steps; step++) {
		uint16_t n = dp_mf_merge_poll(d->mg, pkts, RTE_DIM(pkts), *now);

		rte_pktmbuf_free_bulk(pkts, n);
		got += n;
		*now += dt;
	}
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
	struct rte_mbuf *pkts[64];
	uint64_t now = 1000;
	unsigned int got = 0;
	struct duo d;
	int slot;

	(void)state;
	duo_setup(&d, "slow", 8, timeout);
	/* The barrier on worker 0; batch 1 (8 packets) on worker 0, batch 2 on worker 1. */
	slot = dp_mf_split_promote(d.sp, 0);
	assert_true(slot >= 0);
	duo_elephant(&d, slot, 16);
	/* Worker 1 is done at once; worker 0 gives one entry per half timeout. */
	duo_work(&d, 1);
	for (unsigned int step = 0; step < 40 && got < 16; step++) {
		slow_move(d.in[0], d.out[0], 1);
		got += duo_poll(&d, &now, 1, timeout / 2);
	}
	assert_int_equal(got, 16);
	assert_int_equal(dp_mf_merge_stats(d.mg)->skipped, 0);
	assert_int_equal(dp_mf_merge_stats(d.mg)->late, 0);

	/* Now worker 0 stops in the middle of a batch: after a timeout the merger skips it. */
	duo_elephant(&d, slot, 16);
	slow_move(d.in[0], d.out[0], 3); /* START and two packets of batch 3. */
	duo_work(&d, 1);
	assert_int_equal(duo_poll(&d, &now, 10, timeout / 2), 2 + 8);
	assert_int_equal(dp_mf_merge_stats(d.mg)->skipped, 1);
	/* The rest of batch 3 turns up late and is dropped, not delivered. */
	duo_work(&d, 0);
	assert_int_equal(dp_mf_merge_poll(d.mg, pkts, RTE_DIM(pkts), now), 0);
	assert_int_equal(dp_mf_merge_stats(d.mg)->late, 6);
	duo_teardown(&d);
}

/* A packet whose payload is @p v, for tests that check the delivery order. */
static struct rte_mbuf *
numbered(uint32_t v)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp_test_pool());
	uint32_t *p;

	assert_non_null(m);
	p = (uint32_t *)rte_pktmbuf_append(m, sizeof(*p));
	assert_non_null(p);
	*p = v;
	return m;
}

/* Poll until @p want packets came out (a few polls at most); checks their payloads are 0.. */
static void
expect_numbered(struct duo *d, uint64_t now, const uint32_t *want, unsigned int n_want)
{
	struct rte_mbuf *pkts[64];
	unsigned int got = 0;

	for (unsigned int step = 0; step < 4 && got < n_want; step++)
		got += dp_mf_merge_poll(d->mg, pkts + got, (uint16_t)(RTE_DIM(pkts) - got), now);
	assert_int_equal(got, n_want);
	for (unsigned int i = 0; i < got; i++)
		assert_int_equal(*rte_pktmbuf_mtod(pkts[i], uint32_t *), want[i]);
	rte_pktmbuf_free_bulk(pkts, got);
}

/*
 * Mouse packets of a flow, then its promotion barrier, sit on a worker that
 * stops; its first batch is on the other worker. The merger must not skip
 * the barrier after a timeout: that would deliver the batch ahead of the
 * mouse packets. Once the worker moves, everything comes out in order.
 */
static void
test_promotion_barrier_is_not_skipped(void **state)
{
	const uint32_t want[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	const uint64_t timeout = 100;
	uint64_t now = 1000;
	struct duo d;
	int slot;

	(void)state;
	duo_setup(&d, "hold", 8, timeout);
	/*
	 * A first elephant life of slot 0, merged: its batch goes to worker 0,
	 * so that round robin puts the next batch on worker 1.
	 */
	slot = dp_mf_split_promote(d.sp, 0);
	assert_int_equal(slot, 0);
	duo_elephant(&d, slot, 8);
	dp_mf_split_demote(d.sp, (uint16_t)slot, 0);
	dp_mf_split_flush(d.sp);
	assert_int_equal(rte_ring_count(d.in[1]), 0);
	duo_work(&d, 0);
	assert_int_equal(duo_poll(&d, &now, 1, 0), 8);

	/* Five mouse packets (0..4) on worker 0, then the promotion. */
	for (uint32_t i = 0; i < 5; i++)
		dp_mf_split_mouse(d.sp, 0, numbered(i));
	assert_int_equal(dp_mf_split_promote(d.sp, 0), slot);
	for (uint32_t i = 5; i < 13; i++)
		dp_mf_split_elephant(d.sp, (uint16_t)slot, numbered(i));
	dp_mf_split_flush(d.sp);
	/* Round robin put the batch (packets 5..12) on worker 1, which is done at once. */
	assert_int_equal(rte_ring_count(d.in[1]), 10);
	duo_work(&d, 1);
	assert_int_equal(duo_poll(&d, &now, 20, timeout), 0);
	assert_int_equal(dp_mf_merge_stats(d.mg)->skipped, 0);
	assert_true(dp_mf_merge_stats(d.mg)->blocked_polls >= 20);
	assert_true(dp_mf_merge_stats(d.mg)->held > 0);

	/* Worker 0 wakes up: the mice, the barrier, then the batch. */
	duo_work(&d, 0);
	expect_numbered(&d, now, want, RTE_DIM(want));
	assert_int_equal(dp_mf_merge_stats(d.mg)->late, 0);

	/* The hold ends with the barrier: a later stall is skipped as before. */
	duo_elephant(&d, slot, 16);
	duo_work(&d, 1);
	assert_int_equal(duo_poll(&d, &now, 10, timeout / 2), 8);
	assert_int_equal(dp_mf_merge_stats(d.mg)->skipped, 1);
	duo_work(&d, 0);
	assert_int_equal(duo_poll(&d, &now, 1, 0), 0);
	assert_int_equal(dp_mf_merge_stats(d.mg)->late, 8);
	duo_teardown(&d);
}

/*
 * Batches of two slots interleave on one ring, and the batch of one of them
 * was skipped: each packet is judged by its own batch. Packets of the
 * skipped batch are late wherever they sit, also inside the other slot's
 * batch and after its END; those of the other batch are delivered.
 */
static void
test_interleaved_batches(void **state)
{
	const uint32_t first[] = {0, 1, 2, 3, 100, 7, 8}, then[] = {101};
	const uint64_t timeout = 100;
	uint64_t now = 1000;
	struct duo d;
	int a, b;

	(void)state;
	duo_setup(&d, "ilv", 4, timeout);
	/*
	 * Round robin alternates the workers of new batches. Packets 0.. are
	 * elephant A's, 100.. elephant B's. The rings end up as:
	 *   w0: A0 | A1: 0 1 2 3 | B1: 100 | A3: 7 8
	 *   w1: B0 | A2: 4 [B2: 101] 5 ... 6 (B2 closes between 5 and 6)
	 * where A0 and B0 are the promotion barriers.
	 */
	a = dp_mf_split_promote(d.sp, 0);
	b = dp_mf_split_promote(d.sp, 1);
	assert_true(a >= 0 && b >= 0 && a != b);
	for (uint32_t i = 0; i < 4; i++)
		dp_mf_split_elephant(d.sp, (uint16_t)a, numbered(i)); /* A1 on w0, full. */
	dp_mf_split_elephant(d.sp, (uint16_t)a, numbered(4));	      /* A2 on w1. */
	dp_mf_split_elephant(d.sp, (uint16_t)b, numbered(100));	      /* B1 on w0. */
	dp_mf_split_close(d.sp, (uint16_t)b);
	dp_mf_split_elephant(d.sp, (uint16_t)b, numbered(101)); /* B2 on w1, inside A2. */
	dp_mf_split_elephant(d.sp, (uint16_t)a, numbered(5));
	dp_mf_split_close(d.sp, (uint16_t)b);
	dp_mf_split_elephant(d.sp, (uint16_t)a, numbered(6));
	dp_mf_split_close(d.sp, (uint16_t)a);
	dp_mf_split_elephant(d.sp, (uint16_t)a, numbered(7)); /* A3 on w0. */
	dp_mf_split_elephant(d.sp, (uint16_t)a, numbered(8));
	dp_mf_split_close(d.sp, (uint16_t)a);
	dp_mf_split_flush(d.sp);

	/* w1 gives only B's barrier; w0 gives everything. */
	assert_int_equal(slow_move(d.in[1], d.out[1], 2), 2);
	duo_work(&d, 0);
	/* A3 waits for A2 until the timeout, then A2 is skipped. */
	expect_numbered(&d, now, first, 5);
	now += timeout / 2;
	assert_int_equal(duo_poll(&d, &now, 1, timeout), 0);
	assert_int_equal(dp_mf_merge_stats(d.mg)->skipped, 0);
	expect_numbered(&d, now, first + 5, 2);
	assert_int_equal(dp_mf_merge_stats(d.mg)->skipped, 1);
	/* A2 turns up, with B2 inside it. */
	duo_work(&d, 1);
	expect_numbered(&d, now, then, RTE_DIM(then));
	assert_int_equal(dp_mf_merge_stats(d.mg)->late, 3);
	assert_int_equal(dp_mf_merge_stats(d.mg)->held, 0);
	duo_teardown(&d);
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
		cmocka_unit_test(test_stall_on_pinned_worker),
		cmocka_unit_test(test_promotion_barrier_is_not_skipped),
		cmocka_unit_test(test_interleaved_batches),
	};

	assert_int_equal(dp_mf_dynfield_register(), 0);
	return cmocka_run_group_tests_name("dataplane/mflow", tests, NULL, NULL);
}
