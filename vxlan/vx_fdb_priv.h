/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * FDB internals shared by vx_fdb.c and the forwarding paths, so that the
 * per-packet lookup and its prefetch inline into the burst loops. Only
 * vxlan/ may include this header.
 *
 * Concurrency. One lcore, the owner, writes the table. Worker lcores read
 * it without locks through a sequence counter: the owner makes vx_fdb.seq
 * odd before it changes any slot's key, kind, target or static flag, and
 * even again afterwards. A reader samples an even sequence, probes and
 * copies out what it needs, and retries if the sequence changed meanwhile.
 * The last_seen field is outside that protocol: it is read and written with
 * relaxed atomics by everybody, because a refresh that lands on the wrong
 * entry (the slot was reused meanwhile) only makes that entry look younger.
 */
#ifndef VX_FDB_PRIV_H
#define VX_FDB_PRIV_H

#include <stdbool.h>
#include <string.h>

#include <rte_atomic.h>
#include <rte_hash_crc.h>
#include <rte_pause.h>
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
	uint32_t seq;		    /**< Write sequence: odd while the owner changes slots. */
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
	/* Worker lcores may refresh the same field concurrently. */
	__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
	return true;
}

/** Start a change of the slots (owner only): readers will wait or retry. */
static inline void
vx_fdb_write_begin(struct vx_fdb *fdb)
{
	__atomic_store_n(&fdb->seq, fdb->seq + 1, __ATOMIC_RELAXED);
	/* The odd sequence must be visible before any slot changes. */
	rte_smp_wmb();
}

/** End a change of the slots (owner only). */
static inline void
vx_fdb_write_end(struct vx_fdb *fdb)
{
	/* Release: every slot change is visible before the even sequence. */
	__atomic_store_n(&fdb->seq, fdb->seq + 1, __ATOMIC_RELEASE);
}

/** What a reader on another lcore copies out of an entry. */
struct vx_fdb_hit {
	uint8_t kind;	   /**< enum vx_fdb_kind, or 0 when the MAC is unknown. */
	uint8_t is_static; /**< The entry is static. */
	uint16_t target;   /**< Endpoint or VTEP index. */
	uint32_t slot;	   /**< Where the entry was, for vx_fdb_touch(). */
};

/**
 * Look (vni, mac) up from any lcore while the owner may be writing, and
 * copy the result to @p h. Each attempt probes at most every slot once, so
 * even a probe over slots that change under it ends; an attempt that
 * overlapped a change is repeated.
 */
static inline void
vx_fdb_read(const struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac,
	    struct vx_fdb_hit *h)
{
	const uint32_t home = vx_fdb_home(fdb, vni, mac);

	for (;;) {
		uint32_t seq = __atomic_load_n(&fdb->seq, __ATOMIC_ACQUIRE);
		uint32_t i = home, left = fdb->mask + 1;

		if (unlikely(seq & 1)) {
			rte_pause();
			continue;
		}
		h->kind = 0;
		h->is_static = 0;
		h->target = 0;
		h->slot = 0;
		do {
			const struct vx_fdb_entry *e = &fdb->slots[i];
			uint8_t kind = e->kind;

			if (kind == 0)
				break;
			if (e->vni == vni && rte_is_same_ether_addr(&e->mac, mac)) {
				h->kind = kind;
				h->is_static = e->is_static;
				h->target = e->target;
				h->slot = i;
				break;
			}
			i = (i + 1) & fdb->mask;
		} while (--left != 0);
		/* The copies above must complete before the sequence is checked. */
		rte_smp_rmb();
		if (likely(__atomic_load_n(&fdb->seq, __ATOMIC_RELAXED) == seq))
			return;
	}
}

/**
 * Refresh the entry a reader found at slot @p slot, from any lcore, if its
 * time is more than @p gran ticks older than @p now. Skipping fresh entries
 * keeps lcores that see the same MAC from writing one cache line per packet.
 * If the owner moved or reused the slot meanwhile, another entry is made to
 * look younger, which only delays its aging.
 */
static inline void
vx_fdb_touch(struct vx_fdb *fdb, uint32_t slot, uint64_t now, uint64_t gran)
{
	uint64_t *ls = &fdb->slots[slot].last_seen;

	if (now > __atomic_load_n(ls, __ATOMIC_RELAXED) + gran)
		__atomic_store_n(ls, now, __ATOMIC_RELAXED);
}

#endif /* VX_FDB_PRIV_H */
