/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Pipeline internals shared by the dispatch loop (dp_loop.c), the worker
 * and merge loops and the control functions (dp_pipe.c), and the stats
 * (dp_stats.c). Only dataplane/ may include this header.
 *
 * Ownership of the fields, by thread:
 * - dispatch lcore: conf (once launched), sp, fl, in_sent, stamp, the open
 *   slot list, quiescing, own_sent and the counters it bumps;
 * - merge lcore (the dispatch lcore unless separate): mg, ord, ooo;
 * - workers: their struct dp_lcore;
 * - control thread: req, req_fl and req_seq (written before the release
 *   store of req_seq), fl_free (only once the request is acknowledged).
 */
#ifndef DP_PIPE_PRIV_H
#define DP_PIPE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "dp.h"

/** Buckets of the merger's per-flow order check. */
#define DP_ORD_SIZE 4096

/** The micro-flow pipeline. */
struct dp_pipe {
	struct dp_mf_conf conf;			     /**< Settings in force. */
	struct dp_mf_split *sp;			     /**< The splitter (dispatch lcore). */
	struct dp_mf_merge *mg;			     /**< The merger (merge lcore). */
	struct dp_fl_table *fl;			     /**< Elephant detector (dispatch lcore). */
	struct rte_ring *in[DP_MF_MAX_WORKERS];	     /**< Dispatch -> worker rings. */
	struct rte_ring *out[DP_MF_MAX_WORKERS + 1]; /**< Worker -> merge rings, then own. */
	struct rte_ring *own;			     /**< Dispatch -> merge lcore, or NULL. */
	uint64_t own_sent;			     /**< Entries put on own. */
	uint32_t stamp;				     /**< Dispatch order of the last packet. */
	uint64_t timeout_tsc;			     /**< Merge timeout in TSC ticks. */
	uint16_t n_open;			     /**< Elephant slots in use. */
	uint16_t open_slots[DP_MF_MAX_SLOTS];	     /**< Which. */
	uint64_t slot_last[DP_MF_MAX_SLOTS];	     /**< When each got its last packet. */
	/* Run-time changes. */
	struct dp_mf_conf req;	     /**< Requested settings. */
	struct dp_fl_table *req_fl;  /**< Detector built for them by the control thread. */
	struct dp_fl_table *fl_free; /**< Detector to free once the request is acknowledged. */
	uint32_t req_seq;	     /**< Bumped by the control thread for a request. */
	uint32_t ack_seq;	     /**< Set to req_seq once handled. */
	int ack_rc;		     /**< Its outcome. */
	bool quiescing;		     /**< Waiting for the pipeline to drain. */
	uint64_t quiesce_start;	     /**< Since when. */
	/* Counters (dispatch lcore). */
	uint64_t reconfigs;	  /**< Changes applied. */
	uint64_t reconfig_errors; /**< Changes given up because the workers did not drain. */
	uint64_t quiesce_tsc_max; /**< Longest drain. */
	uint64_t backpressure;	  /**< Polls skipped because a worker's queue was full. */
	uint64_t owner_pkts;	  /**< Underlay packets handled by the dispatch lcore itself. */
	/* Order check (merge lcore). */
	uint64_t ooo; /**< Packets delivered behind a later packet of their flow. */
	struct {
		uint32_t flow;
		uint32_t seq;
	} ord[DP_ORD_SIZE];
};

/** @return true when nothing is in flight between the dispatcher and TX. */
bool dp_pipe_idle(struct dp *dp);

/**
 * Dispatch a burst from port @p pi to the workers (modes pinned and
 * microflow). Underlay frames that are not UDP are handled by the dispatch
 * lcore itself, their output appended to @p out.
 *
 * @param pkts
 *   The frames; ownership passes.
 */
void dp_pipe_dispatch(struct dp *dp, uint16_t pi, struct rte_mbuf **pkts, uint16_t n, uint64_t now,
		      struct vx_out *out);

/**
 * Dispatch lcore housekeeping: drain the workers' requests into @p out,
 * flush staged entries, and handle a pending change.
 *
 * @return
 *   true while RX must pause (a change is draining the pipeline).
 */
bool dp_pipe_service(struct dp *dp, uint64_t now, struct vx_out *out);

/** Drain-period work of the dispatch lcore: close idle batches, sweep elephants. */
void dp_pipe_tick(struct dp *dp, uint64_t now, uint64_t period);

/**
 * Merge what is ready and put it on the TX buffers of @p tx.
 *
 * @return
 *   The packets transmitted.
 */
unsigned int dp_pipe_merge_tx(struct dp *dp, struct dp_lcore *tx, uint64_t now);

/**
 * Send the dispatch lcore's own output to the merge lcore (when it has its
 * own lcore); the packets in @p out are handed over and out->n reset.
 */
void dp_pipe_own_push(struct dp *dp, struct vx_out *out);

/** Queue a vx_out list on the TX buffers of @p tx. */
void dp_out_to_tx(struct dp *dp, struct dp_lcore *tx, struct vx_out *out);

/** Flush every TX buffer of @p tx. */
void dp_tx_flush_all(struct dp *dp, struct dp_lcore *tx);

/** Thread bookkeeping at the start and end of an lcore loop. */
void dp_lcore_begin(struct dp_lcore *lc);
void dp_lcore_end(struct dp_lcore *lc);

/** Sleep @p us microseconds. */
void dp_idle_sleep(uint32_t us);

#endif /* DP_PIPE_PRIV_H */
