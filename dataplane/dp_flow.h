/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Elephant detection: per-flow packet and byte rates over a fixed window,
 * with promotion and demotion thresholds and hysteresis.
 *
 * Flows are tracked in a 4-way set-associative table indexed by their
 * 32-bit hash. A new flow replaces the least recently seen mouse of its set;
 * elephants are never evicted while active, and a flow whose set holds four
 * active elephants is not tracked (counted in untracked).
 *
 * A flow is promoted after promote_windows consecutive full windows at or
 * above either promote threshold, and demoted after demote_windows
 * consecutive windows below both demote thresholds (set them below the
 * promote thresholds for hysteresis). A window in which the flow sent
 * nothing counts as below; dp_fl_sweep() demotes elephants that went quiet.
 *
 * The table belongs to the dispatch lcore: no locking.
 */
#ifndef DP_FLOW_H
#define DP_FLOW_H

#include <stdbool.h>
#include <stdint.h>

/** Detection parameters. */
struct dp_fl_params {
	uint32_t entries;	 /**< Table size, a power of two >= 4 (4 ways a set). */
	uint64_t window;	 /**< Window length in the caller's clock (TSC). */
	uint64_t promote_pkts;	 /**< Packets per window that make an elephant. */
	uint64_t promote_bytes;	 /**< Bytes per window that make an elephant (0: off). */
	uint64_t demote_pkts;	 /**< Below this many packets per window... */
	uint64_t demote_bytes;	 /**< ...and this many bytes (0: off), a window counts low. */
	uint8_t promote_windows; /**< Consecutive high windows before promotion, >= 1. */
	uint8_t demote_windows;	 /**< Consecutive low windows before demotion, >= 1. */
};

/** What happened to a flow on this packet. */
enum dp_fl_event {
	DP_FL_NONE = 0, /**< Nothing changed. */
	DP_FL_PROMOTE,	/**< The flow just became an elephant. */
	DP_FL_DEMOTE,	/**< The flow just became a mouse again. */
};

/** One tracked flow. */
struct dp_fl_entry {
	uint32_t hash;	     /**< The flow's hash (0 marks a free entry; hash 0 maps to 1). */
	bool elephant;	     /**< Current state. */
	uint8_t high;	     /**< Consecutive high windows so far. */
	uint8_t low;	     /**< Consecutive low windows so far. */
	int32_t slot;	     /**< The caller's split slot while an elephant, else -1. */
	uint64_t win_start;  /**< Start of the current window. */
	uint64_t win_pkts;   /**< Packets in the current window. */
	uint64_t win_bytes;  /**< Bytes in the current window. */
	uint64_t last_pkts;  /**< Packets in the last full window (the rate). */
	uint64_t last_bytes; /**< Bytes in the last full window. */
	uint64_t last_seen;  /**< Time of the last packet. */
};

/** Detector counters. */
struct dp_fl_stats {
	uint64_t promoted;  /**< Promotions. */
	uint64_t demoted;   /**< Demotions, sweep included. */
	uint64_t evicted;   /**< Mice replaced by new flows. */
	uint64_t untracked; /**< Packets of flows with no room in their set. */
};

struct dp_fl_table;

/**
 * Create a detector, in memory of any NUMA node.
 *
 * @return
 *   The table, or NULL with errno set (EINVAL for bad parameters, ENOMEM).
 */
struct dp_fl_table *dp_fl_create(const struct dp_fl_params *p);

/**
 * Create a detector on a given NUMA node: that of the lcore that will use it.
 *
 * @param socket
 *   The NUMA node, or SOCKET_ID_ANY.
 * @return
 *   The table, or NULL with errno set (EINVAL for bad parameters, ENOMEM).
 */
struct dp_fl_table *dp_fl_create_socket(const struct dp_fl_params *p, int socket);

/** Free a detector; NULL is accepted. */
void dp_fl_destroy(struct dp_fl_table *t);

/**
 * Count one packet of a flow and say whether its state changed.
 *
 * @param hash
 *   The flow's hash.
 * @param bytes
 *   The packet's length.
 * @param now
 *   Current time.
 * @param e
 *   Receives the flow's entry (NULL when it is not tracked); valid until the
 *   next call.
 * @return
 *   The event; on DP_FL_PROMOTE the caller sets e->slot, on DP_FL_DEMOTE
 *   it releases it.
 */
enum dp_fl_event dp_fl_account(struct dp_fl_table *t, uint32_t hash, uint32_t bytes, uint64_t now,
			       struct dp_fl_entry **e);

/** Called for each elephant dp_fl_sweep() demotes, before its state changes. */
typedef void (*dp_fl_demote_cb)(struct dp_fl_entry *e, void *arg);

/**
 * Demote elephants that sent nothing for demote_windows windows, looking at
 * up to @p budget entries from where the previous sweep stopped.
 *
 * @return
 *   The number of flows demoted.
 */
unsigned int dp_fl_sweep(struct dp_fl_table *t, uint64_t now, unsigned int budget,
			 dp_fl_demote_cb cb, void *arg);

/** @return the detector's counters. */
const struct dp_fl_stats *dp_fl_stats(const struct dp_fl_table *t);

/** Called by dp_fl_walk() once per tracked flow. */
typedef void (*dp_fl_walk_cb)(const struct dp_fl_entry *e, void *arg);

/**
 * Call @p cb for every tracked flow. Only the thread that owns the table
 * (the dispatch lcore) may call it while the datapath runs.
 */
void dp_fl_walk(const struct dp_fl_table *t, dp_fl_walk_cb cb, void *arg);

/** @return the detection window, in the caller's clock (TSC). */
uint64_t dp_fl_window(const struct dp_fl_table *t);

/** @return the table size (entries) the detector was created with. */
uint32_t dp_fl_entries(const struct dp_fl_table *t);

#endif /* DP_FLOW_H */
