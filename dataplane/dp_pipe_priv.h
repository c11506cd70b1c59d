/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Pipeline internals shared by the dispatch loop (dp_loop.c), the worker
 * and merge loops and the control functions (dp_pipe.c), the run-time
 * operations (dp_ops.c) and the stats (dp_stats.c). Only dataplane/, bench/
 * (which times the same stages) and the dataplane unit tests may include
 * this header.
 *
 * Ownership of the fields, by thread:
 * - dispatch lcore: conf (once launched), sp, fl, in_sent, stamp, the open
 *   slot list, quiescing, own_sent and the counters it bumps; wr, in, out
 *   and own, which only a resize replaces, on this lcore with the pipeline
 *   drained (dp_pipe_resize());
 * - merge lcore (the dispatch lcore unless separate): mg, ord, ooo;
 * - workers: their struct dp_lcore, except in, out and vw, which a resize
 *   sets (a worker reads its rings through wr, never through those);
 * - control thread: req, req_fl and req_seq (written before the release
 *   store of req_seq), fl_free (only once the request is acknowledged),
 *   retired.
 * The control thread may read in, out, own, fl and the struct dp_lcore
 * ring fields while no change is under way: it makes every change itself
 * and waits for it.
 */
#ifndef DP_PIPE_PRIV_H
#define DP_PIPE_PRIV_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dp.h"

/** Buckets of the merger's per-flow order check. */
#define DP_ORD_SIZE 4096

/** Bounds of dp_pipe_resize(): entries per worker ring and elephant table size. */
#define DP_PIPE_RING_MIN  64u
#define DP_PIPE_RING_MAX  65536u
#define DP_PIPE_FLOWS_MIN 4u
#define DP_PIPE_FLOWS_MAX 1048576u

/**
 * The rings of one worker, published as one pointer (struct dp_pipe, wr).
 * The worker loads that pointer once per loop iteration, right after its
 * quiescent-state report, and uses the copy for the whole iteration: it
 * never pairs an input ring of one resize with an output ring of another,
 * and a resize frees the set it replaced only after a grace period.
 */
struct dp_pipe_wrings {
	struct rte_ring *in;  /**< Dispatch -> worker. */
	struct rte_ring *out; /**< Worker -> merge lcore. */
	struct vx_worker *vw; /**< Worker -> table owner requests. */
};

/** What a resize installs and, once done, what it replaced (dp_pipe.c). */
struct dp_pipe_resize_job;

/** The micro-flow pipeline. */
struct dp_pipe {
	struct dp_mf_conf conf;	    /**< Settings in force (dispatch lcore). */
	struct dp_mf_conf conf_ctl; /**< The same, as the control thread last saw them applied. */
	struct dp_mf_split *sp;	    /**< The splitter (dispatch lcore). */
	struct dp_mf_merge *mg;	    /**< The merger (merge lcore). */
	struct dp_fl_table *fl;	    /**< Elephant detector (dispatch lcore). */
	/** Each worker's rings; the worker loads its pointer atomically (see above). */
	struct dp_pipe_wrings *wr[DP_MF_MAX_WORKERS];
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
	/** Resizes whose grace period timed out: freed after a later one, or with the pipeline. */
	struct dp_pipe_resize_job *retired;
	uint64_t resizes; /**< Resizes applied (control thread). */
	/* Counters (dispatch lcore). */
	uint64_t reconfigs;	  /**< Changes applied. */
	uint64_t reconfig_errors; /**< Changes given up because the workers did not drain. */
	uint64_t quiesce_tsc_max; /**< Longest drain. */
	uint64_t backpressure;	  /**< Polls skipped because a worker's queue was full. */
	uint64_t owner_pkts;	  /**< Underlay packets handled by the dispatch lcore itself. */
	uint64_t ring_full_seen;  /**< Splitter ring_full already counted as drops. */
	uint64_t late_seen;	  /**< Merger late already counted as drops (merge lcore). */
	/* Order check (merge lcore). */
	uint64_t ooo;	  /**< Packets delivered behind a later packet of their flow. */
	uint64_t ord_age; /**< Order entries older than this (TSC) are forgotten. */
	struct {
		uint32_t flow;
		uint32_t seq;
		uint64_t when;
	} ord[DP_ORD_SIZE];
};

/* dp_pipe_resize() and its arguments are declared in dp_ops.h. */

/** @return how long a change may wait for the pipeline to drain, in microseconds. */
uint64_t dp_pipe_drain_limit_us(const struct dp *dp);

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

/** Idle back-off state of one lcore loop. */
struct dp_idle {
	uint32_t polls;	   /**< Empty polls in a row. */
	uint32_t sleep_us; /**< The next sleep. */
};

/** A poll found work: back to spinning. */
static inline void
dp_idle_busy(const struct dp *dp, struct dp_idle *s)
{
	s->polls = 0;
	s->sleep_us = __atomic_load_n(&dp->p.idle_sleep_us, __ATOMIC_RELAXED);
}

/** An empty poll: @return true once the loop should sleep (see dp_idle_sleep()). */
static inline bool
dp_idle_due(const struct dp *dp, struct dp_idle *s)
{
	const uint32_t polls = __atomic_load_n(&dp->p.idle_polls, __ATOMIC_RELAXED);

	return polls != 0 && ++s->polls >= polls;
}

/**
 * Sleep for the current back-off, idle_sleep_us at first and twice as long
 * each time up to idle_sleep_max_us, and count it on @p lc.
 */
void dp_idle_sleep(const struct dp *dp, struct dp_lcore *lc, struct dp_idle *s);

/* ------------------------------------------------------------------------- */
/* Flow hashes.                                                              */

/*
 * The outer flow of an underlay frame: source address and UDP ports (the
 * remote VTEP puts the inner flow's entropy in the source port). Returns
 * false for anything but unfragmented IPv4 or IPv6 UDP in the first
 * segment; those frames stay on the dispatch lcore.
 */
static inline bool
dp_pipe_underlay_hash(const struct rte_mbuf *m, uint32_t *hash)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), ports, h;
	uint16_t type;

	if (len < RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + 4)
		return false;
	memcpy(&type, p + 12, sizeof(type));
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + RTE_ETHER_HDR_LEN);
		uint32_t ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;

		if (ip->next_proto_id != IPPROTO_UDP || ihl < sizeof(*ip) ||
		    (ip->fragment_offset & rte_cpu_to_be_16(0x3fff)) != 0 ||
		    len < RTE_ETHER_HDR_LEN + ihl + 4)
			return false;
		memcpy(&ports, p + RTE_ETHER_HDR_LEN + ihl, sizeof(ports));
		h = rte_hash_crc_4byte(ip->src_addr, ports);
	} else if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		const struct rte_ipv6_hdr *ip6 = (const void *)(p + RTE_ETHER_HDR_LEN);

		if (len < RTE_ETHER_HDR_LEN + sizeof(*ip6) + 4 || ip6->proto != IPPROTO_UDP)
			return false;
		memcpy(&ports, p + RTE_ETHER_HDR_LEN + sizeof(*ip6), sizeof(ports));
		h = rte_hash_crc(ip6->src_addr, sizeof(ip6->src_addr), ports);
	} else {
		return false;
	}
	*hash = h != 0 ? h : 1;
	return true;
}

/* The flow of an endpoint frame: its MACs, and its IP addresses and ports when present. */
static inline uint32_t
dp_pipe_frame_hash(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), h;
	uint16_t type;

	if (len < RTE_ETHER_HDR_LEN)
		return 1;
	h = rte_hash_crc(p, 12, 0);
	memcpy(&type, p + 12, sizeof(type));
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) &&
	    len >= RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr)) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + RTE_ETHER_HDR_LEN);
		uint32_t ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;

		h = rte_hash_crc_8byte(((uint64_t)ip->src_addr << 32) | ip->dst_addr, h);
		if ((ip->next_proto_id == IPPROTO_UDP || ip->next_proto_id == IPPROTO_TCP) &&
		    (ip->fragment_offset & rte_cpu_to_be_16(0x3fff)) == 0 &&
		    len >= RTE_ETHER_HDR_LEN + ihl + 4) {
			uint32_t ports;

			memcpy(&ports, p + RTE_ETHER_HDR_LEN + ihl, sizeof(ports));
			h = rte_hash_crc_4byte(ports, h);
		}
	} else if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6) &&
		   len >= RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv6_hdr) + 4) {
		const struct rte_ipv6_hdr *ip6 = (const void *)(p + RTE_ETHER_HDR_LEN);

		h = rte_hash_crc(ip6->src_addr, 32, h);
		if (ip6->proto == IPPROTO_UDP || ip6->proto == IPPROTO_TCP) {
			uint32_t ports;

			memcpy(&ports, p + RTE_ETHER_HDR_LEN + sizeof(*ip6), sizeof(ports));
			h = rte_hash_crc_4byte(ports, h);
		}
	}
	return h != 0 ? h : 1;
}

/* The worker a flow is pinned to: a multiply-shift of its hash. */
static inline uint16_t
dp_pipe_pin(uint32_t hash, uint16_t n)
{
	return (uint16_t)(((uint64_t)hash * n) >> 32);
}

#endif /* DP_PIPE_PRIV_H */
