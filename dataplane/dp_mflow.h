/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Micro-flow splitting and batch reassembly (seed 002, MFLOW), for a
 * dispatch lcore, N worker lcores and a merge lcore.
 *
 * The dispatcher sends every packet to one worker through that worker's
 * SPSC input ring. Mice go to the worker their flow hashes to (pinned).
 * Consecutive packets of an elephant form a batch of up to batch_size
 * packets; each batch goes to one worker, chosen round-robin or by the
 * shortest input ring. An elephant owns a slot, and the batches of a slot
 * carry consecutive 32-bit IDs (wrapping). In the rings a batch is bracketed
 * by a START and an END marker: tagged words, not mbufs. Each packet also
 * carries its slot and batch ID (or DP_MF_NO_SLOT, for a mouse) in an mbuf
 * dynfield.
 *
 * Workers keep the order of their ring: they pass markers through and may
 * drop packets. The merger reads each worker's SPSC output ring. A START for
 * (s, b) with b ahead of the slot's merge counter next[s] blocks that ring
 * until the earlier batches have been merged from the other rings; the END
 * of (s, b) advances next[s] to b + 1. Packets are judged by their tag, not
 * by the markers around them, since batches of several slots may interleave
 * on one ring and mice may sit inside a batch: a mouse is delivered when its
 * ring gets to it, a packet of a batch that next[s] has passed is late. The
 * merger reads tags only when it must (several batches open on a ring, or
 * one that was skipped); otherwise a run of packets between markers is
 * delivered without touching them.
 *
 * Order. A flow's mouse packets share one FIFO path. Its batches come out in
 * ID order. Promotion and demotion send an empty "barrier" batch (START and
 * END) to the flow's pinned worker: the barrier can only be merged after the
 * mouse packets before it (same FIFO) and before the batches after it (ID
 * order), so neither transition reorders the flow. Deadlock is impossible
 * while workers make progress: the earliest-dispatched undelivered entry is
 * always at the head of its ring and deliverable.
 *
 * Stalls. When a ring waits on a START for longer than the timeout, the
 * merger skips the missing batches (counted in skipped), and their packets
 * are dropped as late when they turn up (counted in late), so that the
 * order is never broken and the merger never blocks for good. The one batch
 * it never skips is a promotion barrier: the flow's mouse packets ahead of
 * it cannot be told apart from other mice, so it waits for that worker
 * (counted in held). Each START carries how far back its slot's promotion
 * barrier is, so the rings stay the only shared state.
 *
 * Threading. dp_mf_split_* run on the dispatch lcore only, dp_mf_merge_*
 * on the merge lcore only; the rings are their only shared state. The
 * exceptions are marked: dp_mf_merge_consumed(), dp_mf_merge_set_timeout()
 * and dp_mf_merge_set_ring() may be called from another thread.
 *
 * Ring replacement. A resize of the pipeline gives the dispatcher and the
 * merger new rings while their lcores run (dp_mf_split_set_rings(),
 * dp_mf_merge_set_ring()). It is only valid once nothing is in flight: the
 * old rings are empty and nothing is put on them any more, so the order in
 * which each side moves to the new rings does not matter.
 */
#ifndef DP_MFLOW_H
#define DP_MFLOW_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#define DP_MF_MAX_WORKERS 64
#define DP_MF_MAX_SLOTS	  1024
/** The slot of a packet that belongs to no batch. */
#define DP_MF_NO_SLOT 0xffffu
/** Entries the merger stages per ring. */
#define DP_MF_STAGE 64
/** Packets the dispatcher stages per worker beyond its ring (markers have more room). */
#define DP_MF_STAGE_PKTS 1024

/** How the dispatcher picks a worker for a new batch. */
enum dp_mf_pick {
	DP_MF_PICK_RR = 0, /**< Round-robin. */
	DP_MF_PICK_LEAST,  /**< The worker whose input ring holds the fewest entries. */
};

/**
 * Where a packet of a batch belongs, and its place in its flow; stored in an
 * mbuf dynfield. The dispatcher writes flow and seq for every packet it
 * dispatches, so that the merge side can check per-flow order. The
 * dispatcher also writes slot (and id, for a packet of a batch), and the
 * merger reads them: every packet on a worker's output ring must carry a
 * tag, DP_MF_NO_SLOT for one that belongs to no batch.
 */
struct dp_mf_tag {
	uint32_t id;   /**< Batch ID within the slot, for a packet of an elephant. */
	uint16_t slot; /**< Elephant slot, or DP_MF_NO_SLOT for a mouse. */
	uint16_t pad;
	uint32_t flow; /**< The flow's hash, 0 when the packet is not checked. */
	uint32_t seq;  /**< Dispatch order, increasing across all flows (wrapping). */
};

/**
 * Register the mbuf dynfield that carries struct dp_mf_tag. Idempotent.
 *
 * @return
 *   0, or -errno from rte_mbuf_dynfield_register().
 */
int dp_mf_dynfield_register(void);

/** @return the tag of a packet (dp_mf_dynfield_register() must have succeeded). */
struct dp_mf_tag *dp_mf_tag(struct rte_mbuf *m);

/** A ring word is a marker when its lowest bit is set (mbuf pointers are aligned). */
static inline bool
dp_mf_is_marker(const void *e)
{
	return ((uintptr_t)e & 1) != 0;
}

/* ------------------------------------------------------------------------- */
/* Dispatcher side.                                                          */

/** Dispatcher counters. */
struct dp_mf_split_stats {
	uint64_t batches;   /**< Batches opened (barriers included). */
	uint64_t barriers;  /**< Empty batches sent on promotion and demotion. */
	uint64_t mice;	    /**< Packets sent pinned. */
	uint64_t split;	    /**< Packets sent in batches. */
	uint64_t ring_full; /**< Entries that did not fit a worker's input ring (freed). */
};

struct dp_mf_split;

/**
 * Create the dispatcher side.
 *
 * @param in
 *   The input ring of each worker (single producer: this dispatcher).
 * @param n_workers
 *   1 .. DP_MF_MAX_WORKERS.
 * @param batch_size
 *   Packets per batch, 1 .. 65536.
 * @param pick
 *   enum dp_mf_pick.
 * @return
 *   The dispatcher, or NULL with errno set (EINVAL, ENOMEM).
 */
struct dp_mf_split *dp_mf_split_create(struct rte_ring *const *in, uint16_t n_workers,
				       uint32_t batch_size, enum dp_mf_pick pick);

/** Free the dispatcher; NULL is accepted. Entries not yet flushed are freed. */
void dp_mf_split_destroy(struct dp_mf_split *sp);

/**
 * Queue a mouse packet for its pinned worker; its tag's slot becomes
 * DP_MF_NO_SLOT.
 *
 * @param w
 *   The worker, < n_workers.
 * @param m
 *   The packet; ownership passes.
 */
void dp_mf_split_mouse(struct dp_mf_split *sp, uint16_t w, struct rte_mbuf *m);

/**
 * Start splitting a flow: take a free slot and send a barrier batch to the
 * flow's pinned worker, behind its earlier packets.
 *
 * @param w
 *   The flow's pinned worker.
 * @return
 *   The slot, or -ENOSPC when every slot is taken (the flow stays pinned).
 */
int dp_mf_split_promote(struct dp_mf_split *sp, uint16_t w);

/**
 * Queue a packet of an elephant: into the slot's open batch, opening one on
 * the next worker if needed; a full batch is closed.
 *
 * @param slot
 *   From dp_mf_split_promote().
 * @param m
 *   The packet; ownership passes. Its dynfield receives the slot and ID.
 */
void dp_mf_split_elephant(struct dp_mf_split *sp, uint16_t slot, struct rte_mbuf *m);

/**
 * Close the slot's open batch, if any, so that the merger can move past it
 * (call when the elephant pauses, e.g. at the end of a poll round).
 */
void dp_mf_split_close(struct dp_mf_split *sp, uint16_t slot);

/**
 * Stop splitting a flow: close its batch, send a barrier batch to its pinned
 * worker (later mouse packets queue behind it), and free the slot.
 *
 * @param w
 *   The flow's pinned worker.
 */
void dp_mf_split_demote(struct dp_mf_split *sp, uint16_t slot, uint16_t w);

/**
 * Enqueue what has been staged on the workers' input rings.
 *
 * @return
 *   The number of entries enqueued.
 */
unsigned int dp_mf_split_flush(struct dp_mf_split *sp);

/** @return the dispatcher's counters. */
const struct dp_mf_split_stats *dp_mf_split_stats(const struct dp_mf_split *sp);

/**
 * Change the workers batches and mice are spread over, the batch size and
 * the pick policy. Only valid with no batch open (after dp_mf_split_close()
 * of every slot); the pipeline calls it once everything in flight has been
 * merged.
 *
 * @param n_active
 *   Workers to use, 1 .. the number given to dp_mf_split_create().
 * @return
 *   0, -EINVAL for bad values, -EBUSY while a batch is open.
 */
int dp_mf_split_set(struct dp_mf_split *sp, uint16_t n_active, uint32_t batch_size,
		    enum dp_mf_pick pick);

/**
 * Free every slot without sending barriers, keeping each slot's next batch
 * ID so that the merger's counters stay in step. Only valid once nothing is
 * in flight (the barriers would have nothing to order against).
 *
 * @return
 *   The number of slots that were in use.
 */
unsigned int dp_mf_split_release_all(struct dp_mf_split *sp);

/** @return the entries staged and not yet on a ring. */
unsigned int dp_mf_split_staged(const struct dp_mf_split *sp);

/**
 * @return true if every active worker can stage @p n more packets, so that
 *   a burst of @p n can be dispatched without dropping any (the dispatcher
 *   leaves packets in the RX ring otherwise).
 */
bool dp_mf_split_has_room(struct dp_mf_split *sp, unsigned int n);

/**
 * Give the dispatcher the dataplane's stop flag: a marker that finds no room
 * at all waits for the worker, and gives up once the flag is set.
 */
void dp_mf_split_set_quit(struct dp_mf_split *sp, const bool *quit);

/**
 * @return the entries (packets and markers) put on worker @p w's ring so far;
 *   once the worker has taken and passed on as many, nothing of it is in
 *   flight.
 */
uint64_t dp_mf_split_sent(const struct dp_mf_split *sp, uint16_t w);

/** @return the number of active workers. */
uint16_t dp_mf_split_active(const struct dp_mf_split *sp);

/**
 * Point the dispatcher at new input rings, one per worker (a resize of the
 * pipeline). Only valid once nothing is in flight: every old ring must be
 * empty, and nothing is enqueued on it from then on. Entries still staged
 * stay staged and go to the new rings, in their order, at the next flush.
 * The entry counts of dp_mf_split_sent() go on across the change.
 *
 * @param in
 *   The new ring of each worker (single producer: this dispatcher).
 * @param n_workers
 *   The number given to dp_mf_split_create().
 * @return
 *   0, or -EINVAL for a NULL ring or another number of rings.
 */
int dp_mf_split_set_rings(struct dp_mf_split *sp, struct rte_ring *const *in, uint16_t n_workers);

/**
 * Set the next batch ID of a slot (tests use it to start near wrap-around).
 * Only valid before the slot is used; the merger must be told the same.
 */
void dp_mf_split_set_next(struct dp_mf_split *sp, uint16_t slot, uint32_t id);

/* ------------------------------------------------------------------------- */
/* Merge side.                                                               */

/** Merger counters. */
struct dp_mf_merge_stats {
	uint64_t merged;	/**< Batches delivered whole or in part (END seen in order). */
	uint64_t skipped;	/**< Batches given up on after the stall timeout. */
	uint64_t late;		/**< Packets of skipped batches, dropped when they turned up. */
	uint64_t delivered;	/**< Packets delivered. */
	uint64_t blocked_polls; /**< Polls in which a ring waited on a later batch. */
	uint64_t held;		/**< Of those, polls past the timeout that kept waiting
				     because the slot's promotion barrier was missing. */
};

struct dp_mf_merge;

/**
 * Create the merge side.
 *
 * @param out
 *   The output ring of each worker (single consumer: this merger).
 * @param n_workers
 *   As for the dispatcher, plus at most one ring that carries no batches
 *   (the pipeline's own output when merging happens on another lcore).
 * @param timeout
 *   How long a ring may wait for an earlier batch before the merger skips
 *   it, in the caller's clock (TSC); 0 never skips.
 * @return
 *   The merger, or NULL with errno set.
 */
struct dp_mf_merge *dp_mf_merge_create(struct rte_ring *const *out, uint16_t n_workers,
				       uint64_t timeout);

/** Free the merger; NULL is accepted. Staged packets are freed. */
void dp_mf_merge_destroy(struct dp_mf_merge *mg);

/**
 * Deliver what can be delivered in order. A packet whose tag names a batch
 * that was skipped is freed and counted as late; one with DP_MF_NO_SLOT is
 * delivered when its ring gets to it.
 *
 * @param pkts
 *   Receives the packets, in delivery order; the caller owns them.
 * @param n
 *   Room in @p pkts.
 * @param now
 *   Current time, in the unit of the timeout.
 * @return
 *   The number of packets written.
 */
uint16_t dp_mf_merge_poll(struct dp_mf_merge *mg, struct rte_mbuf **pkts, uint16_t n, uint64_t now);

/** @return the merger's counters. */
const struct dp_mf_merge_stats *dp_mf_merge_stats(const struct dp_mf_merge *mg);

/**
 * @return the entries (packets and markers) taken off ring @p w so far and
 *   dealt with: delivered, dropped as late, or consumed as markers. Once it
 *   equals what the producer put on the ring, nothing of the ring is in
 *   flight. Safe to read from another thread.
 */
uint64_t dp_mf_merge_consumed(const struct dp_mf_merge *mg, uint16_t w);

/**
 * Change the stall timeout; may be called from another thread (the new
 * value is picked up at the next wait).
 */
void dp_mf_merge_set_timeout(struct dp_mf_merge *mg, uint64_t timeout);

/** Set a slot's merge counter (pairs with dp_mf_split_set_next()). */
void dp_mf_merge_set_next(struct dp_mf_merge *mg, uint16_t slot, uint32_t id);

/**
 * Point the merger's ring @p w at a new ring (a resize of the pipeline); may
 * be called from another thread than the merger's. The old ring must be
 * empty and get no more entries: the merger may still read it until the end
 * of the poll in progress, so it may be freed only once the merge lcore has
 * passed a quiescent state after this call. Entries the merger already took
 * off the old ring keep their place ahead of the new ring's, and the count
 * of dp_mf_merge_consumed() goes on.
 *
 * @param w
 *   The ring, < the number given to dp_mf_merge_create().
 * @param r
 *   The new ring (single consumer: this merger).
 * @return
 *   0, or -EINVAL for a bad @p w or a NULL @p r.
 */
int dp_mf_merge_set_ring(struct dp_mf_merge *mg, uint16_t w, struct rte_ring *r);

#endif /* DP_MFLOW_H */
