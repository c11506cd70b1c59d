/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * FDB internals shared by vx_fdb.c and the forwarding paths, so that the
 * per-packet lookup and its prefetch inline into the burst loops. Only
 * vxlan/ may include this header.
 */
#ifndef VX_FDB_PRIV_H
#define VX_FDB_PRIV_H

#include <stdbool.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_prefetch.h>

#include "vx.h"

/** Largest capacity accepted by vx_fdb_create(). */
#define VX_FDB_MAX_ENTRIES (1u << 22)

/** The table. */
struct vx_fdb {
	struct vx_fdb_entry *slots; /**< The slot array, mask + 1 slots. */
	uint32_t mask;		    /**< Number of slots minus one. */
	uint32_t count;		    /**< Entries in use. */
	uint32_t max_entries;	    /**< Capacity. */
	uint32_t age_cursor;	    /**< Next slot vx_fdb_age() examines. */
	size_t slots_size;	    /**< Size of the slot array in bytes. */
	bool numa;		    /**< The slots come from numa_alloc_onnode(), else calloc(). */
};

/** @return the MAC as a 48-bit integer (one 32-bit and one 16-bit load). */
static inline uint64_t
vx_fdb_mac48(const struct rte_ether_addr *mac)
{
	uint32_t hi;
	uint16_t lo;

	memcpy(&hi, mac->addr_bytes, sizeof(hi));
	memcpy(&lo, mac->addr_bytes + 4, sizeof(lo));
	return ((uint64_t)lo << 32) | hi;
}

/**
 * @return the home slot of (vni, mac): a CRC32 of the MAC seeded with the
 *   VNI. One crc32 instruction mixes every input bit into the low bits
 *   used as the index.
 */
static inline uint32_t
vx_fdb_home(const struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac)
{
	return rte_hash_crc_8byte(vx_fdb_mac48(mac), vni) & fdb->mask;
}

static inline bool
vx_fdb_match(const struct vx_fdb_entry *e, uint32_t vni, const struct rte_ether_addr *mac)
{
	return e->kind != 0 && e->vni == vni && rte_is_same_ether_addr(&e->mac, mac);
}

/**
 * Find the slot of (vni, mac), or the free slot that ends its probe
 * sequence.
 *
 * @param found
 *   Set to whether the entry exists.
 * @return
 *   The slot index.
 */
static inline uint32_t
vx_fdb_find_slot(const struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac,
		 bool *found)
{
	uint32_t i = vx_fdb_home(fdb, vni, mac);

	/* The load factor is at most 1/2, so a free slot always exists. */
	for (;;) {
		const struct vx_fdb_entry *e = &fdb->slots[i];

		if (e->kind == 0) {
			*found = false;
			return i;
		}
		if (vx_fdb_match(e, vni, mac)) {
			*found = true;
			return i;
		}
		i = (i + 1) & fdb->mask;
	}
}

/**
 * Prefetch the home slot of (vni, mac) ahead of a lookup in the same burst.
 */
static inline void
vx_fdb_prefetch(const struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac)
{
	rte_prefetch0(&fdb->slots[vx_fdb_home(fdb, vni, mac)]);
}

/** vx_fdb_lookup(), inlined for the datapath. */
static inline const struct vx_fdb_entry *
vx_fdb_lookup_inline(const struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac)
{
	bool found;
	uint32_t i = vx_fdb_find_slot(fdb, vni, mac, &found);

	return found ? &fdb->slots[i] : NULL;
}

/**
 * The common case of learning, inlined: (vni, mac) is already known behind
 * the same target, so only its time is refreshed. Anything else (a new MAC,
 * a move, a static entry) is left to vx_fdb_learn().
 *
 * @return
 *   true if the entry was refreshed.
 */
static inline bool
vx_fdb_refresh_inline(struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac,
		      uint8_t kind, uint16_t target, uint64_t now)
{
	bool found;
	struct vx_fdb_entry *e = &fdb->slots[vx_fdb_find_slot(fdb, vni, mac, &found)];

	if (!found || e->kind != kind || e->target != target || e->is_static)
		return false;
	e->last_seen = now;
	return true;
}

#endif /* VX_FDB_PRIV_H */
