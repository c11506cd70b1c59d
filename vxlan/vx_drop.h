/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Drop reasons and per-lcore datapath counters.
 *
 * Both lists live in X-macro files (vx_drop.def, vx_stats.def). This header
 * expands them into enums, name tables and the counter block each lcore owns.
 * An lcore only ever writes its own block; readers on other threads may see
 * slightly stale values but never torn ones (64-bit aligned stores).
 */
#ifndef VX_DROP_H
#define VX_DROP_H

#include <stdint.h>

#include <rte_common.h>

/** Why a packet was dropped. */
enum vx_drop_reason {
#define VX_DROP(name, desc) VX_DROP_##name,
#include "vx_drop.def"
#undef VX_DROP
	VX_DROP__MAX
};

/** Datapath event counters. */
enum vx_stat {
#define VX_STAT(name, desc) VX_STAT_##name,
#include "vx_stats.def"
#undef VX_STAT
	VX_STAT__MAX
};

/** Short names of the drop reasons, indexed by enum vx_drop_reason. */
extern const char *const vx_drop_names[VX_DROP__MAX];
/** One-line descriptions of the drop reasons. */
extern const char *const vx_drop_descs[VX_DROP__MAX];
/** Short names of the counters, indexed by enum vx_stat. */
extern const char *const vx_stat_names[VX_STAT__MAX];
/** One-line descriptions of the counters. */
extern const char *const vx_stat_descs[VX_STAT__MAX];

/** The counters of one lcore. */
struct vx_stats {
	uint64_t drop[VX_DROP__MAX]; /**< Drops by reason. */
	uint64_t stat[VX_STAT__MAX]; /**< Other events. */
} __rte_cache_aligned;

/**
 * Add the counters of @p src to @p dst.
 *
 * @param dst
 *   The sum.
 * @param src
 *   The counters to add.
 */
void vx_stats_add(struct vx_stats *dst, const struct vx_stats *src);

/**
 * Look a drop reason up by name.
 *
 * @param name
 *   A name from vx_drop.def.
 * @return
 *   The reason, or -ENOENT.
 */
int vx_drop_lookup(const char *name);

#endif /* VX_DROP_H */
