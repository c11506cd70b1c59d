/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Forwarding database: (VNI, MAC) -> endpoint or VTEP.
 *
 * The table is an open-addressed hash with linear probing over a power of
 * two number of slots, at least twice the capacity, so that the load factor
 * never exceeds one half and probe sequences stay short. A slot whose kind
 * is 0 is free. Deletion uses backward shifting instead of tombstones: after
 * a slot is emptied, the following entries of its cluster that may legally
 * live earlier are moved back, so that every entry stays reachable from its
 * home slot by a probe sequence without holes.
 *
 * Only one thread writes the table (the owner lcore, or the control path
 * before the datapath starts), so writers need no lock. Other lcores read
 * it through the sequence counter described in vx_fdb_priv.h: every change
 * of a slot's key, kind, target or static flag below is bracketed by
 * vx_fdb_write_begin() and vx_fdb_write_end(), and last_seen is only ever
 * accessed with relaxed atomics. The code uses no EAL service and works in
 * any process.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <numa.h>
#include <rte_hash_crc.h>

#include "vx.h"
#include "vx_fdb_priv.h"

/*
 * Copy slot @p src to @p dst field by field, so that last_seen, which other
 * lcores may store to at any time, is accessed atomically.
 */
static inline void
fdb_slot_copy(struct vx_fdb_entry *dst, const struct vx_fdb_entry *src)
{
	dst->mac = src->mac;
	dst->kind = src->kind;
	dst->is_static = src->is_static;
	dst->vni = src->vni;
	dst->target = src->target;
	__atomic_store_n(&dst->last_seen, __atomic_load_n(&src->last_seen, __ATOMIC_RELAXED),
			 __ATOMIC_RELAXED);
}

/**
 * Empty slot @p i and shift back the entries after it so that no probe
 * sequence crosses a hole.
 *
 * An entry at slot j with home slot h may move back to the hole at i only
 * if i lies cyclically in [h, j), i.e. if the distance from h to j is at
 * least the distance from i to j. Otherwise it must stay, and the scan goes
 * on to the next entry of the cluster. Entries only ever move towards their
 * home slot, never past it, and only within the cluster that contained i.
 * The whole shift is one write section for readers on other lcores.
 */
static void
fdb_remove_slot(struct vx_fdb *fdb, uint32_t i)
{
	uint32_t j = i;

	vx_fdb_write_begin(fdb);
	for (;;) {
		struct vx_fdb_entry *e;
		uint32_t h;

		j = (j + 1) & fdb->mask;
		e = &fdb->slots[j];
		if (e->kind == 0)
			break;
		h = vx_fdb_home(fdb, e->vni, &e->mac);
		if (((j - h) & fdb->mask) >= ((j - i) & fdb->mask)) {
			fdb_slot_copy(&fdb->slots[i], e);
			i = j;
		}
	}
	fdb_slot_copy(&fdb->slots[i], &(const struct vx_fdb_entry){0});
	fdb->count--;
	vx_fdb_write_end(fdb);
}

static bool
fdb_args_ok(uint32_t vni, const struct rte_ether_addr *mac, uint8_t kind)
{
	return vni <= VX_VNI_MAX && !rte_is_multicast_ether_addr(mac) &&
	       (kind == VX_FDB_LOCAL || kind == VX_FDB_REMOTE);
}

struct vx_fdb *
vx_fdb_create(uint32_t max_entries, int socket)
{
	struct vx_fdb *fdb;
	uint64_t n_slots;

	if (max_entries == 0 || max_entries > VX_FDB_MAX_ENTRIES) {
		errno = EINVAL;
		return NULL;
	}
	fdb = calloc(1, sizeof(*fdb));
	if (fdb == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	n_slots = rte_align64pow2((uint64_t)max_entries * 2);
	fdb->mask = (uint32_t)(n_slots - 1);
	fdb->max_entries = max_entries;
	fdb->slots_size = n_slots * sizeof(struct vx_fdb_entry);

	/*
	 * numa_alloc_onnode() maps anonymous memory, which the kernel hands
	 * out zeroed, so both branches start with every slot free.
	 */
	if (socket >= 0 && numa_available() >= 0 && socket <= numa_max_node()) {
		fdb->slots = numa_alloc_onnode(fdb->slots_size, socket);
		fdb->numa = fdb->slots != NULL;
	}
	if (fdb->slots == NULL)
		fdb->slots = calloc(n_slots, sizeof(struct vx_fdb_entry));
	if (fdb->slots == NULL)
		goto out_free;
	return fdb;

out_free:
	free(fdb);
	errno = ENOMEM;
	return NULL;
}

void
vx_fdb_destroy(struct vx_fdb *fdb)
{
	if (fdb == NULL)
		return;
	if (fdb->numa)
		numa_free(fdb->slots, fdb->slots_size);
	else
		free(fdb->slots);
	free(fdb);
}

const struct vx_fdb_entry *
vx_fdb_lookup(const struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac)
{
	bool found;
	uint32_t i = vx_fdb_find_slot(fdb, vni, mac, &found);

	return found ? &fdb->slots[i] : NULL;
}

/*
 * Fill the free slot @e that ends the probe sequence of (vni, mac). The
 * caller has checked the capacity and opened a write section.
 */
static void
fdb_insert(struct vx_fdb *fdb, struct vx_fdb_entry *e, uint32_t vni,
	   const struct rte_ether_addr *mac, uint8_t kind, uint16_t target, bool is_static,
	   uint64_t now)
{
	e->mac = *mac;
	e->vni = vni;
	e->target = target;
	e->is_static = is_static;
	__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
	e->kind = kind;
	fdb->count++;
}

int
vx_fdb_learn(struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac, uint8_t kind,
	     uint16_t target, uint64_t now)
{
	struct vx_fdb_entry *e;
	bool found;
	uint32_t i;

	if (!fdb_args_ok(vni, mac, kind))
		return -EINVAL;
	i = vx_fdb_find_slot(fdb, vni, mac, &found);
	e = &fdb->slots[i];
	if (found) {
		if (e->is_static)
			return (e->kind == kind && e->target == target) ? 0 : -EPERM;
		__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
		if (e->kind == kind && e->target == target)
			return 0;
		vx_fdb_write_begin(fdb);
		e->kind = kind;
		e->target = target;
		vx_fdb_write_end(fdb);
		return 1;
	}
	if (fdb->count >= fdb->max_entries)
		return -ENOSPC;
	vx_fdb_write_begin(fdb);
	fdb_insert(fdb, e, vni, mac, kind, target, false, now);
	vx_fdb_write_end(fdb);
	return 1;
}

int
vx_fdb_add_static(struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac, uint8_t kind,
		  uint16_t target)
{
	struct vx_fdb_entry *e;
	bool found;
	uint32_t i;

	if (!fdb_args_ok(vni, mac, kind))
		return -EINVAL;
	i = vx_fdb_find_slot(fdb, vni, mac, &found);
	e = &fdb->slots[i];
	if (!found && fdb->count >= fdb->max_entries)
		return -ENOSPC;
	vx_fdb_write_begin(fdb);
	if (!found) {
		fdb_insert(fdb, e, vni, mac, kind, target, true, 0);
	} else {
		e->kind = kind;
		e->target = target;
		e->is_static = 1;
	}
	vx_fdb_write_end(fdb);
	return 0;
}

int
vx_fdb_del(struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac)
{
	bool found;
	uint32_t i = vx_fdb_find_slot(fdb, vni, mac, &found);

	if (!found)
		return -ENOENT;
	fdb_remove_slot(fdb, i);
	return 0;
}

static bool
fdb_expired(const struct vx_fdb_entry *e, uint64_t now, uint64_t max_age)
{
	/* An entry stamped in the future (clock skew) is not old. */
	uint64_t seen = __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED);

	return !e->is_static && now > seen && now - seen > max_age;
}

/*
 * Aging with a cursor, and why backward shifting cannot fool it.
 *
 * The cursor walks the slots cyclically. When it removes the entry at slot
 * c, fdb_remove_slot() may move entries of the same cluster from a slot j
 * after c into a slot in [c, j): the cursor reaches that slot before it
 * would have reached j, so the entry is still examined in this pass. The
 * cursor therefore stays on c and examines it again; the entry now there is
 * judged on its own age, so nothing is removed by mistake. Each examination
 * costs one unit of budget, which bounds the work per call, and one call
 * never advances more than once around the table. A cluster never covers
 * the whole table (at least half the slots are free), so a shift never
 * wraps around into slots the cursor has just passed.
 *
 * Deletions by vx_fdb_del() or vx_fdb_flush() between calls can move an
 * entry from ahead of the cursor to behind it, so that the current pass
 * misses it. It is seen on the next pass unless it crosses the cursor again.
 * But every move brings an entry strictly closer to its home slot and
 * insertions never move entries, so an entry can be moved only finitely many
 * times (at most its distance from home when inserted) and is examined
 * after a bounded number of passes: nothing is skipped forever.
 */
unsigned int
vx_fdb_age(struct vx_fdb *fdb, uint64_t now, uint64_t max_age, unsigned int budget)
{
	unsigned int removed = 0;
	uint32_t c = fdb->age_cursor & fdb->mask;
	uint64_t steps = 0;

	while (budget > 0 && fdb->count > 0 && steps <= fdb->mask) {
		struct vx_fdb_entry *e = &fdb->slots[c];

		budget--;
		if (e->kind != 0 && fdb_expired(e, now, max_age)) {
			fdb_remove_slot(fdb, c);
			removed++;
			continue; /* Examine slot c again. */
		}
		c = (c + 1) & fdb->mask;
		steps++;
	}
	fdb->age_cursor = c;
	return removed;
}

/** Which entries fdb_flush_sel() removes. */
struct fdb_sel {
	uint32_t vni;	  /**< The VNI, or VX_VNI_ANY. */
	bool with_static; /**< Static entries too. */
	bool by_target;	  /**< Only entries of kind and target below. */
	uint8_t kind;	  /**< enum vx_fdb_kind, when by_target. */
	uint16_t target;  /**< Endpoint or VTEP index, when by_target. */
};

static inline bool
fdb_sel_match(const struct vx_fdb_entry *e, const struct fdb_sel *s)
{
	return e->kind != 0 && (s->vni == VX_VNI_ANY || e->vni == s->vni) &&
	       (s->with_static || !e->is_static) &&
	       (!s->by_target || (e->kind == s->kind && e->target == s->target));
}

/*
 * Remove every entry @p s selects, each in its own write section, so that
 * readers on other lcores never wait for more than one removal.
 *
 * A removal at slot c only moves entries from slots after c into slots at
 * or after c, or (for a cluster that wraps around the end of the array)
 * entries from the start of the array, which were already examined and
 * kept, further towards the start or to slots at or after c. So
 * re-examining slot c after a removal and then moving on sees every entry
 * that has to go; a kept entry that moves back from the start is merely
 * examined, and kept, a second time.
 */
static unsigned int
fdb_flush_sel(struct vx_fdb *fdb, const struct fdb_sel *s)
{
	unsigned int removed = 0;
	uint32_t c = 0;

	while (c <= fdb->mask && fdb->count > 0) {
		if (fdb_sel_match(&fdb->slots[c], s)) {
			fdb_remove_slot(fdb, c);
			removed++;
			continue; /* Examine slot c again. */
		}
		c++;
	}
	return removed;
}

unsigned int
vx_fdb_flush(struct vx_fdb *fdb, uint32_t vni, bool with_static)
{
	const struct fdb_sel s = {.vni = vni, .with_static = with_static};

	return fdb_flush_sel(fdb, &s);
}

unsigned int
vx_fdb_flush_target(struct vx_fdb *fdb, uint32_t vni, uint8_t kind, uint16_t target)
{
	const struct fdb_sel s = {
		.vni = vni,
		.with_static = true,
		.by_target = true,
		.kind = kind,
		.target = target,
	};

	if (kind != VX_FDB_LOCAL && kind != VX_FDB_REMOTE)
		return 0;
	return fdb_flush_sel(fdb, &s);
}

bool
vx_fdb_lookup_copy(const struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac,
		   struct vx_fdb_entry *copy)
{
	struct vx_fdb_hit h;

	vx_fdb_read(fdb, vni, mac, &h);
	if (h.kind == 0)
		return false;
	copy->mac = *mac;
	copy->vni = vni;
	copy->kind = h.kind;
	copy->is_static = h.is_static;
	copy->target = h.target;
	copy->last_seen = __atomic_load_n(&fdb->slots[h.slot].last_seen, __ATOMIC_RELAXED);
	return true;
}

unsigned int
vx_fdb_count(const struct vx_fdb *fdb)
{
	return fdb->count;
}

int
vx_fdb_walk(const struct vx_fdb *fdb, vx_fdb_walk_cb cb, void *arg)
{
	uint32_t i;
	int ret;

	for (i = 0; i <= fdb->mask; i++) {
		if (fdb->slots[i].kind == 0)
			continue;
		ret = cb(&fdb->slots[i], arg);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int
vx_fdb_copy(struct vx_fdb *dst, const struct vx_fdb *src)
{
	if (dst->count != 0)
		return -EINVAL;
	if (src->count > dst->max_entries)
		return -ENOSPC;
	/* Nobody reads a table before it is published, so no write section. */
	for (uint32_t i = 0; i <= src->mask; i++) {
		const struct vx_fdb_entry *s = &src->slots[i];
		struct vx_fdb_entry *e;
		bool found;
		uint32_t j;

		if (s->kind == 0)
			continue;
		j = vx_fdb_find_slot(dst, s->vni, &s->mac, &found);
		e = &dst->slots[j];
		fdb_insert(dst, e, s->vni, &s->mac, s->kind, s->target, s->is_static,
			   __atomic_load_n(&s->last_seen, __ATOMIC_RELAXED));
	}
	return 0;
}
