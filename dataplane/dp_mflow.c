/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-flow splitting and batch reassembly; see dp_mflow.h for the
 * protocol and its invariants.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "dp_mflow.h"

/*
 * Marker words: bit 0 set; bit 1 END (else START); bits 2..15, on a START,
 * how many batches back the slot's promotion barrier is (0: none known, or
 * this is the barrier); bits 16..31 the slot; bits 32..63 the batch ID.
 */
#define MARK_END	(1ull << 1)
#define MARK_BACK_SHIFT 2
#define MARK_BACK_MAX	0x3fffu

/*
 * Entries staged per worker by the dispatcher before an enqueue: at most
 * DP_MF_STAGE_PKTS packets, and markers up to SPLIT_STAGE in all. The
 * markers-only room is enough for three markers of every slot, so a marker
 * finds room unless thousands of promotions and demotions pile up against a
 * worker that does not move.
 */
#define SPLIT_STAGE (DP_MF_STAGE_PKTS + 3 * DP_MF_MAX_SLOTS)

static int tag_offset = -1;

int
dp_mf_dynfield_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "mflow_batch_tag",
		.size = sizeof(struct dp_mf_tag),
		.align = __alignof__(struct dp_mf_tag),
	};
	int off;

	if (tag_offset >= 0)
		return 0;
	off = rte_mbuf_dynfield_register(&desc);
	if (off < 0)
		return -rte_errno;
	tag_offset = off;
	return 0;
}

struct dp_mf_tag *
dp_mf_tag(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, tag_offset, struct dp_mf_tag *);
}

static inline void *
marker(uint16_t slot, uint32_t id, bool end)
{
	return (void *)(uintptr_t)(((uint64_t)id << 32) | ((uint64_t)slot << 16) |
				   (end ? MARK_END : 0) | 1);
}

/*
 * A START that tells the merger where the slot's promotion barrier is:
 * @back batches before @id. A barrier further back than the field holds is
 * given as MARK_BACK_MAX, which is closer than it is: the merger then
 * refuses a few skips it could have made, never makes one it must not.
 */
static inline void *
marker_start(uint16_t slot, uint32_t id, uint32_t back)
{
	return (void *)((uintptr_t)marker(slot, id, false) |
			((uintptr_t)RTE_MIN(back, MARK_BACK_MAX) << MARK_BACK_SHIFT));
}

static inline uint32_t
marker_back(const void *e)
{
	return (uint32_t)((uint64_t)(uintptr_t)e >> MARK_BACK_SHIFT) & MARK_BACK_MAX;
}

static inline uint32_t
marker_id(const void *e)
{
	return (uint32_t)((uint64_t)(uintptr_t)e >> 32);
}

static inline uint16_t
marker_slot(const void *e)
{
	return (uint16_t)((uint64_t)(uintptr_t)e >> 16);
}

static inline bool
marker_end(const void *e)
{
	return ((uint64_t)(uintptr_t)e & MARK_END) != 0;
}

/* ------------------------------------------------------------------------- */

/* The dispatcher's view of one slot. */
struct split_slot {
	uint32_t next_id; /* ID of the next batch to open. */
	uint32_t barrier; /* ID of the promotion barrier of the current life. */
	uint32_t count;	  /* Packets in the open batch. */
	uint16_t worker;  /* Worker of the open batch. */
	bool open;	  /* A batch is open. */
	bool used;	  /* An elephant owns the slot. */
	bool promoted;	  /* barrier is set. */
};

struct dp_mf_split {
	struct rte_ring *in[DP_MF_MAX_WORKERS];
	uint16_t n_rings;   /* Rings given at creation. */
	uint16_t n_workers; /* Active workers, <= n_rings. */
	uint16_t rr;
	uint32_t batch_size;
	enum dp_mf_pick pick;
	struct dp_mf_split_stats st;
	uint16_t n_stage[DP_MF_MAX_WORKERS];
	uint16_t n_pkts[DP_MF_MAX_WORKERS]; /* Packets among the staged entries. */
	const bool *quit;		    /* Set when the dataplane stops (may be NULL). */
	uint64_t sent[DP_MF_MAX_WORKERS];
	void *stage[DP_MF_MAX_WORKERS][SPLIT_STAGE];
	struct split_slot slots[DP_MF_MAX_SLOTS];
};

struct dp_mf_split *
dp_mf_split_create(struct rte_ring *const *in, uint16_t n_workers, uint32_t batch_size,
		   enum dp_mf_pick pick)
{
	struct dp_mf_split *sp;

	if (in == NULL || n_workers == 0 || n_workers > DP_MF_MAX_WORKERS || batch_size == 0 ||
	    batch_size > 65536 || (pick != DP_MF_PICK_RR && pick != DP_MF_PICK_LEAST)) {
		errno = EINVAL;
		return NULL;
	}
	sp = rte_zmalloc("dp_mf_split", sizeof(*sp), RTE_CACHE_LINE_SIZE);
	if (sp == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(sp->in, in, sizeof(in[0]) * n_workers);
	sp->n_rings = n_workers;
	sp->n_workers = n_workers;
	sp->batch_size = batch_size;
	sp->pick = pick;
	return sp;
}

void
dp_mf_split_destroy(struct dp_mf_split *sp)
{
	if (sp == NULL)
		return;
	for (unsigned int w = 0; w < sp->n_rings; w++)
		for (unsigned int i = 0; i < sp->n_stage[w]; i++)
			if (!dp_mf_is_marker(sp->stage[w][i]))
				rte_pktmbuf_free(sp->stage[w][i]);
	rte_free(sp);
}

/* Move a worker's staged entries to its ring; what does not fit stays staged. */
static unsigned int
stage_flush(struct dp_mf_split *sp, uint16_t w)
{
	unsigned int n = sp->n_stage[w], done;

	if (n == 0)
		return 0;
	done = rte_ring_sp_enqueue_burst(sp->in[w], sp->stage[w], n, NULL);
	sp->sent[w] += done;
	if (done < n) {
		unsigned int pkts = 0;

		memmove(sp->stage[w], sp->stage[w] + done, (n - done) * sizeof(void *));
		for (unsigned int i = 0; i < n - done; i++)
			pkts += !dp_mf_is_marker(sp->stage[w][i]);
		sp->n_pkts[w] = (uint16_t)pkts;
	} else {
		sp->n_pkts[w] = 0;
	}
	sp->n_stage[w] = (uint16_t)(n - done);
	return done;
}

/*
 * Make room for a marker in a full stage whose ring is full too: drop the
 * newest staged packet (dropping never reorders), or, when only markers are
 * staged, wait for the worker to take some. Markers are never dropped.
 */
static void
stage_make_room(struct dp_mf_split *sp, uint16_t w)
{
	void **st = sp->stage[w];

	for (int i = (int)sp->n_stage[w] - 1; i >= 0; i--) {
		if (dp_mf_is_marker(st[i]))
			continue;
		rte_pktmbuf_free(st[i]);
		memmove(&st[i], &st[i + 1],
			(sp->n_stage[w] - (unsigned int)i - 1) * sizeof(void *));
		sp->n_stage[w]--;
		sp->n_pkts[w]--;
		sp->st.ring_full++;
		return;
	}
	while (sp->n_stage[w] == SPLIT_STAGE) {
		if (sp->quit != NULL && __atomic_load_n(sp->quit, __ATOMIC_RELAXED))
			return;
		rte_pause();
		stage_flush(sp, w);
	}
}

/* Markers always find room, in the markers-only part of the stage if need be. */
static inline void
stage_marker(struct dp_mf_split *sp, uint16_t w, void *mk)
{
	if (sp->n_stage[w] == SPLIT_STAGE)
		stage_flush(sp, w);
	if (unlikely(sp->n_stage[w] == SPLIT_STAGE)) {
		stage_make_room(sp, w);
		/* Only when the dataplane stops: nobody will read the ring again. */
		if (sp->n_stage[w] == SPLIT_STAGE)
			return;
	}
	sp->stage[w][sp->n_stage[w]++] = mk;
}

/* Stage a packet, or drop it when the worker's ring and stage are full. */
static inline void
stage_packet(struct dp_mf_split *sp, uint16_t w, struct rte_mbuf *m)
{
	if (sp->n_pkts[w] == DP_MF_STAGE_PKTS || sp->n_stage[w] == SPLIT_STAGE)
		stage_flush(sp, w);
	if (unlikely(sp->n_pkts[w] == DP_MF_STAGE_PKTS || sp->n_stage[w] == SPLIT_STAGE)) {
		rte_pktmbuf_free(m);
		sp->st.ring_full++;
		return;
	}
	sp->stage[w][sp->n_stage[w]++] = m;
	sp->n_pkts[w]++;
}

void
dp_mf_split_mouse(struct dp_mf_split *sp, uint16_t w, struct rte_mbuf *m)
{
	dp_mf_tag(m)->slot = DP_MF_NO_SLOT;
	sp->st.mice++;
	stage_packet(sp, w, m);
}

/* The START of the slot's next batch. */
static inline void *
split_start(const struct split_slot *s, uint16_t slot)
{
	return marker_start(slot, s->next_id, s->promoted ? s->next_id - s->barrier : 0);
}

/* An empty batch on @w: ordered after what @w has and before the slot's next batches. */
static void
send_barrier(struct dp_mf_split *sp, struct split_slot *s, uint16_t slot, uint16_t w)
{
	stage_marker(sp, w, split_start(s, slot));
	stage_marker(sp, w, marker(slot, s->next_id, true));
	s->next_id++;
	sp->st.batches++;
	sp->st.barriers++;
}

int
dp_mf_split_promote(struct dp_mf_split *sp, uint16_t w)
{
	for (uint16_t i = 0; i < DP_MF_MAX_SLOTS; i++) {
		struct split_slot *s = &sp->slots[i];

		if (s->used)
			continue;
		s->used = true;
		s->open = false;
		/*
		 * The flow's earlier mouse packets are on @w ahead of the
		 * barrier and cannot be told apart from other mice: every
		 * later START of the slot carries where the barrier is, so
		 * that the merger never skips it.
		 */
		s->barrier = s->next_id;
		s->promoted = true;
		send_barrier(sp, s, i, w);
		return i;
	}
	return -ENOSPC;
}

static uint16_t
pick_worker(struct dp_mf_split *sp)
{
	uint16_t best = sp->rr;

	if (sp->pick == DP_MF_PICK_LEAST) {
		unsigned int least = UINT32_MAX;

		for (uint16_t i = 0; i < sp->n_workers; i++) {
			uint16_t w = (uint16_t)((sp->rr + i) % sp->n_workers);
			unsigned int depth = rte_ring_count(sp->in[w]) + sp->n_stage[w];

			if (depth < least) {
				least = depth;
				best = w;
			}
		}
	}
	sp->rr = (uint16_t)((best + 1) % sp->n_workers);
	return best;
}

void
dp_mf_split_close(struct dp_mf_split *sp, uint16_t slot)
{
	struct split_slot *s = &sp->slots[slot];

	if (!s->open)
		return;
	stage_marker(sp, s->worker, marker(slot, s->next_id, true));
	s->next_id++;
	s->open = false;
}

void
dp_mf_split_elephant(struct dp_mf_split *sp, uint16_t slot, struct rte_mbuf *m)
{
	struct split_slot *s = &sp->slots[slot];
	struct dp_mf_tag *tag;

	if (!s->open) {
		s->worker = pick_worker(sp);
		s->count = 0;
		s->open = true;
		stage_marker(sp, s->worker, split_start(s, slot));
		sp->st.batches++;
	}
	tag = dp_mf_tag(m);
	tag->id = s->next_id;
	tag->slot = slot;
	sp->st.split++;
	stage_packet(sp, s->worker, m);
	if (++s->count == sp->batch_size)
		dp_mf_split_close(sp, slot);
}

void
dp_mf_split_demote(struct dp_mf_split *sp, uint16_t slot, uint16_t w)
{
	struct split_slot *s = &sp->slots[slot];

	dp_mf_split_close(sp, slot);
	send_barrier(sp, s, slot, w);
	s->used = false;
}

unsigned int
dp_mf_split_flush(struct dp_mf_split *sp)
{
	unsigned int n = 0;

	/* Inactive workers may still hold entries staged before a change. */
	for (uint16_t w = 0; w < sp->n_rings; w++)
		n += stage_flush(sp, w);
	return n;
}

int
dp_mf_split_set(struct dp_mf_split *sp, uint16_t n_active, uint32_t batch_size,
		enum dp_mf_pick pick)
{
	if (n_active == 0 || n_active > sp->n_rings || batch_size == 0 || batch_size > 65536 ||
	    (pick != DP_MF_PICK_RR && pick != DP_MF_PICK_LEAST))
		return -EINVAL;
	for (unsigned int i = 0; i < DP_MF_MAX_SLOTS; i++)
		if (sp->slots[i].open)
			return -EBUSY;
	sp->n_workers = n_active;
	sp->batch_size = batch_size;
	sp->pick = pick;
	sp->rr = 0;
	return 0;
}

unsigned int
dp_mf_split_release_all(struct dp_mf_split *sp)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < DP_MF_MAX_SLOTS; i++) {
		struct split_slot *s = &sp->slots[i];

		if (s->used)
			n++;
		s->used = false;
		s->open = false;
	}
	return n;
}

unsigned int
dp_mf_split_staged(const struct dp_mf_split *sp)
{
	unsigned int n = 0;

	for (uint16_t w = 0; w < sp->n_rings; w++)
		n += sp->n_stage[w];
	return n;
}

bool
dp_mf_split_has_room(struct dp_mf_split *sp, unsigned int n)
{
	/*
	 * A packet may bring up to four markers (with batch size 1, a
	 * promotion: START and END of the barrier, START, then END after it).
	 */
	for (uint16_t w = 0; w < sp->n_workers; w++) {
		if (sp->n_pkts[w] + n <= DP_MF_STAGE_PKTS && sp->n_stage[w] + 5 * n <= SPLIT_STAGE)
			continue;
		stage_flush(sp, w);
		if (sp->n_pkts[w] + n > DP_MF_STAGE_PKTS || sp->n_stage[w] + 5 * n > SPLIT_STAGE)
			return false;
	}
	return true;
}

void
dp_mf_split_set_quit(struct dp_mf_split *sp, const bool *quit)
{
	sp->quit = quit;
}

uint64_t
dp_mf_split_sent(const struct dp_mf_split *sp, uint16_t w)
{
	return sp->sent[w];
}

uint16_t
dp_mf_split_active(const struct dp_mf_split *sp)
{
	return sp->n_workers;
}

int
dp_mf_split_set_rings(struct dp_mf_split *sp, struct rte_ring *const *in, uint16_t n_workers)
{
	if (in == NULL || n_workers != sp->n_rings)
		return -EINVAL;
	for (uint16_t w = 0; w < n_workers; w++)
		if (in[w] == NULL)
			return -EINVAL;
	/* Staged entries stay where they are: the next flush puts them on the new rings. */
	memcpy(sp->in, in, sizeof(in[0]) * n_workers);
	return 0;
}

const struct dp_mf_split_stats *
dp_mf_split_stats(const struct dp_mf_split *sp)
{
	return &sp->st;
}

void
dp_mf_split_set_next(struct dp_mf_split *sp, uint16_t slot, uint32_t id)
{
	sp->slots[slot].next_id = id;
}

/* ------------------------------------------------------------------------- */

/* The merger's view of one worker's output ring. */
struct merge_q {
	/* Loaded atomically: dp_mf_merge_set_ring() may replace it. */
	struct rte_ring *ring;
	uint16_t head, tail; /* Staged entries are buf[head..tail). */
	bool waiting;	     /* Blocked on a START since wait_since. */
	/*
	 * Batches whose START was taken and whose END was not. While at most
	 * one is open and no two were open since the count was last 0 (not
	 * mixed), every packet here is a mouse or of batch (slot, id).
	 */
	uint16_t n_open;
	bool mixed;
	uint16_t slot;
	uint32_t id;
	uint64_t consumed; /* Entries dealt with; read by other threads. */
	uint64_t wait_since;
	void *buf[DP_MF_STAGE];
};

struct dp_mf_merge {
	uint16_t n_workers;
	uint16_t rr;
	uint64_t timeout;
	struct dp_mf_merge_stats st;
	uint32_t next[DP_MF_MAX_SLOTS];	    /* Merge counter of each slot. */
	uint64_t progress[DP_MF_MAX_SLOTS]; /* When each slot last delivered in order. */
	struct merge_q q[DP_MF_MAX_WORKERS + 1];
};

struct dp_mf_merge *
dp_mf_merge_create(struct rte_ring *const *out, uint16_t n_workers, uint64_t timeout)
{
	struct dp_mf_merge *mg;

	if (out == NULL || n_workers == 0 || n_workers > DP_MF_MAX_WORKERS + 1) {
		errno = EINVAL;
		return NULL;
	}
	mg = rte_zmalloc("dp_mf_merge", sizeof(*mg), RTE_CACHE_LINE_SIZE);
	if (mg == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	mg->n_workers = n_workers;
	mg->timeout = timeout;
	for (uint16_t w = 0; w < n_workers; w++)
		mg->q[w].ring = out[w];
	return mg;
}

void
dp_mf_merge_destroy(struct dp_mf_merge *mg)
{
	if (mg == NULL)
		return;
	for (unsigned int w = 0; w < mg->n_workers; w++)
		for (unsigned int i = mg->q[w].head; i < mg->q[w].tail; i++)
			if (!dp_mf_is_marker(mg->q[w].buf[i]))
				rte_pktmbuf_free(mg->q[w].buf[i]);
	rte_free(mg);
}

/*
 * A START @e at the head of @q. Returns true when the ring may go on: the
 * batch is the one to merge, an old one whose packets are now late, or the
 * wait for the earlier batches has timed out and none of them is the
 * slot's promotion barrier.
 */
static bool
merge_start(struct dp_mf_merge *mg, struct merge_q *q, const void *e, uint64_t now)
{
	const uint16_t slot = marker_slot(e);
	const uint32_t id = marker_id(e);
	int32_t ahead = (int32_t)(id - mg->next[slot]);

	if (ahead > 0) {
		if (!q->waiting) {
			q->waiting = true;
			q->wait_since = now;
		}
		uint64_t timeout = __atomic_load_n(&mg->timeout, __ATOMIC_RELAXED);
		uint32_t back = marker_back(e);

		/*
		 * Time out on a lack of progress, not on the wait: while the
		 * batch being merged keeps delivering, its worker is slow, not
		 * stalled.
		 */
		if (timeout == 0 || now - RTE_MAX(q->wait_since, mg->progress[slot]) < timeout) {
			mg->st.blocked_polls++;
			return false;
		}
		/*
		 * The slot's promotion barrier is among the missing batches: the
		 * flow's mouse packets ahead of it would come out after this
		 * batch, and nothing tells them apart to drop them. Wait for it.
		 */
		if (back != 0 && (int32_t)(id - back - mg->next[slot]) >= 0) {
			mg->st.blocked_polls++;
			mg->st.held++;
			return false;
		}
		/* The earlier batches are stuck on a stalled worker: give up on them. */
		mg->st.skipped += (uint32_t)ahead;
		mg->next[slot] = id;
	}
	q->waiting = false;
	q->mixed |= ++q->n_open > 1;
	q->slot = slot;
	q->id = id;
	/* The slot's next batch has begun: that is progress. */
	if (ahead >= 0)
		mg->progress[slot] = now;
	return true;
}

/*
 * Judge a run of packets one by one from their tags: a mouse is delivered,
 * a packet of a batch that next[slot] has passed (skipped) is late.
 */
static uint16_t
merge_judge(struct dp_mf_merge *mg, void *const *e, unsigned int run, struct rte_mbuf **pkts,
	    uint64_t now)
{
	uint16_t got = 0;

	for (unsigned int i = 0; i < run; i++) {
		struct rte_mbuf *m = e[i];
		const struct dp_mf_tag *tag = dp_mf_tag(m);

		if (tag->slot < DP_MF_MAX_SLOTS) {
			if ((int32_t)(tag->id - mg->next[tag->slot]) < 0) {
				rte_pktmbuf_free(m);
				mg->st.late++;
				continue;
			}
			/* The slot's current batch moved. */
			mg->progress[tag->slot] = now;
		}
		pkts[got++] = m;
	}
	return got;
}

/*
 * Deliver from one ring while its head can go; returns the packets written.
 *
 * Markers drive the merge counters. Packets go in runs up to the next
 * marker. The common case needs no look at them: nothing or one batch
 * open on the ring, in order, so that every packet of the run is a mouse
 * or of that batch. Otherwise each packet is judged by its own tag, since
 * batches of several slots may interleave on one ring (both open on the
 * same worker) and mice sit between the markers of whatever batch is open,
 * so "the batch opened last" is not what a packet belongs to.
 */
static uint16_t
merge_ring(struct dp_mf_merge *mg, struct merge_q *q, struct rte_mbuf **pkts, uint16_t n,
	   uint64_t now)
{
	uint16_t got = 0, head = q->head, tail = q->tail, head0 = head;
	uint64_t done = 0;

	while (got < n) {
		unsigned int run, room;
		void *e;

		if (head == tail) {
			done += (uint64_t)(head - head0);
			head0 = head = 0;
			tail = (uint16_t)rte_ring_sc_dequeue_burst(
				__atomic_load_n(&q->ring, __ATOMIC_ACQUIRE), q->buf, DP_MF_STAGE,
				NULL);
			if (tail == 0)
				break;
		}
		e = q->buf[head];
		if (dp_mf_is_marker(e)) {
			uint16_t slot = marker_slot(e);
			uint32_t id = marker_id(e);

			if (!marker_end(e)) {
				if (!merge_start(mg, q, e, now))
					break;
			} else {
				if (mg->next[slot] == id) {
					mg->next[slot] = id + 1;
					mg->st.merged++;
					mg->progress[slot] = now;
				}
				/* Its START came first on this ring, so n_open > 0. */
				if (--q->n_open == 0)
					q->mixed = false;
			}
			head++;
			continue;
		}
		room = RTE_MIN((unsigned int)(tail - head), (unsigned int)(n - got));
		for (run = 1; run < room && !dp_mf_is_marker(q->buf[head + run]); run++)
			;
		if (likely(!q->mixed &&
			   (q->n_open == 0 || (int32_t)(q->id - mg->next[q->slot]) >= 0))) {
			memcpy(&pkts[got], &q->buf[head], run * sizeof(pkts[0]));
			got = (uint16_t)(got + run);
			if (q->n_open != 0)
				mg->progress[q->slot] = now;
		} else {
			got = (uint16_t)(got +
					 merge_judge(mg, &q->buf[head], run, &pkts[got], now));
		}
		head = (uint16_t)(head + run);
	}
	q->head = head;
	q->tail = tail;
	done += (uint64_t)(head - head0);
	if (done != 0)
		__atomic_store_n(&q->consumed, q->consumed + done, __ATOMIC_RELEASE);
	return got;
}

uint16_t
dp_mf_merge_poll(struct dp_mf_merge *mg, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	uint16_t got = 0, last = 0;

	/* Go round the rings while any of them moves: a merged END may unblock another. */
	do {
		last = got;
		for (uint16_t i = 0; i < mg->n_workers && got < n; i++) {
			uint16_t w = (uint16_t)((mg->rr + i) % mg->n_workers);

			got += merge_ring(mg, &mg->q[w], pkts + got, (uint16_t)(n - got), now);
		}
	} while (got != last && got < n);
	mg->rr = (uint16_t)((mg->rr + 1) % mg->n_workers);
	mg->st.delivered += got;
	return got;
}

const struct dp_mf_merge_stats *
dp_mf_merge_stats(const struct dp_mf_merge *mg)
{
	return &mg->st;
}

void
dp_mf_merge_set_timeout(struct dp_mf_merge *mg, uint64_t timeout)
{
	__atomic_store_n(&mg->timeout, timeout, __ATOMIC_RELAXED);
}

uint64_t
dp_mf_merge_consumed(const struct dp_mf_merge *mg, uint16_t w)
{
	return __atomic_load_n(&mg->q[w].consumed, __ATOMIC_ACQUIRE);
}

void
dp_mf_merge_set_next(struct dp_mf_merge *mg, uint16_t slot, uint32_t id)
{
	mg->next[slot] = id;
}

int
dp_mf_merge_set_ring(struct dp_mf_merge *mg, uint16_t w, struct rte_ring *r)
{
	if (w >= mg->n_workers || r == NULL)
		return -EINVAL;
	/*
	 * The release pairs with the merger's acquire load: it sees the ring
	 * initialised. The old ring is empty and stays so, so whichever of
	 * the two the merger reads in the poll in progress, it misses nothing.
	 */
	__atomic_store_n(&mg->q[w].ring, r, __ATOMIC_RELEASE);
	return 0;
}
