/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Elephant detection; see dp_flow.h.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "dp_flow.h"

#define WAYS 4

struct dp_fl_table {
	struct dp_fl_params p;
	uint32_t set_mask; /* Number of sets minus one. */
	uint32_t cursor;   /* Next entry dp_fl_sweep() looks at. */
	struct dp_fl_stats st;
	struct dp_fl_entry e[];
};

struct dp_fl_table *
dp_fl_create(const struct dp_fl_params *p)
{
	return dp_fl_create_socket(p, SOCKET_ID_ANY);
}

struct dp_fl_table *
dp_fl_create_socket(const struct dp_fl_params *p, int socket)
{
	struct dp_fl_table *t;

	if (p == NULL || p->entries < WAYS || !rte_is_power_of_2(p->entries) || p->window == 0 ||
	    p->promote_pkts == 0 || p->promote_windows == 0 || p->demote_windows == 0 ||
	    p->demote_pkts > p->promote_pkts) {
		errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("dp_fl", sizeof(*t) + sizeof(t->e[0]) * p->entries,
			       RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	t->p = *p;
	t->set_mask = p->entries / WAYS - 1;
	for (uint32_t i = 0; i < p->entries; i++)
		t->e[i].slot = -1;
	return t;
}

void
dp_fl_destroy(struct dp_fl_table *t)
{
	rte_free(t);
}

/* Whether a finished window was at or above the promotion thresholds. */
static inline bool
window_high(const struct dp_fl_table *t, uint64_t pkts, uint64_t bytes)
{
	return pkts >= t->p.promote_pkts ||
	       (t->p.promote_bytes != 0 && bytes >= t->p.promote_bytes);
}

/* Whether a finished window was below both demotion thresholds. */
static inline bool
window_low(const struct dp_fl_table *t, uint64_t pkts, uint64_t bytes)
{
	return pkts < t->p.demote_pkts && (t->p.demote_bytes == 0 || bytes < t->p.demote_bytes);
}

/*
 * Close the windows that ended before @now: the first one with the counts
 * it gathered, the following ones (the flow was silent) as empty.
 */
static enum dp_fl_event
roll(struct dp_fl_table *t, struct dp_fl_entry *f, uint64_t now)
{
	enum dp_fl_event ev = DP_FL_NONE;
	uint64_t elapsed = now - f->win_start, n;

	/* Most packets fall inside the current window: no division for them. */
	if (likely(elapsed < t->p.window))
		return DP_FL_NONE;
	n = elapsed < 2 * t->p.window ? 1 : elapsed / t->p.window;
	for (uint64_t i = 0; i < n && i < 256; i++) {
		uint64_t pk = i == 0 ? f->win_pkts : 0, by = i == 0 ? f->win_bytes : 0;

		f->last_pkts = pk;
		f->last_bytes = by;
		if (!f->elephant) {
			f->high = window_high(t, pk, by) ? (uint8_t)(f->high + 1) : 0;
			if (f->high >= t->p.promote_windows) {
				f->elephant = true;
				f->high = 0;
				f->low = 0;
				t->st.promoted++;
				ev = DP_FL_PROMOTE;
			}
		} else {
			f->low = window_low(t, pk, by) ? (uint8_t)(f->low + 1) : 0;
			if (f->low >= t->p.demote_windows) {
				f->elephant = false;
				f->low = 0;
				f->high = 0;
				t->st.demoted++;
				/* A promotion and a demotion in one roll cancel out. */
				ev = ev == DP_FL_PROMOTE ? DP_FL_NONE : DP_FL_DEMOTE;
			}
		}
	}
	f->win_start += n * t->p.window;
	f->win_pkts = 0;
	f->win_bytes = 0;
	return ev;
}

enum dp_fl_event
dp_fl_account(struct dp_fl_table *t, uint32_t hash, uint32_t bytes, uint64_t now,
	      struct dp_fl_entry **e)
{
	struct dp_fl_entry *set, *f = NULL, *victim = NULL;
	enum dp_fl_event ev;

	if (hash == 0)
		hash = 1;
	set = &t->e[(hash & t->set_mask) * WAYS];
	for (unsigned int i = 0; i < WAYS; i++) {
		if (set[i].hash == hash) {
			f = &set[i];
			break;
		}
		/* The victim: a free entry, else the mouse seen longest ago. */
		if (!set[i].elephant &&
		    (victim == NULL ||
		     (victim->hash != 0 &&
		      (set[i].hash == 0 || set[i].last_seen < victim->last_seen))))
			victim = &set[i];
	}
	if (f == NULL) {
		if (victim == NULL) {
			t->st.untracked++;
			*e = NULL;
			return DP_FL_NONE;
		}
		if (victim->hash != 0)
			t->st.evicted++;
		f = victim;
		memset(f, 0, sizeof(*f));
		f->hash = hash;
		f->slot = -1;
		f->win_start = now;
	}
	ev = roll(t, f, now);
	f->win_pkts++;
	f->win_bytes += bytes;
	f->last_seen = now;
	*e = f;
	return ev;
}

unsigned int
dp_fl_sweep(struct dp_fl_table *t, uint64_t now, unsigned int budget, dp_fl_demote_cb cb, void *arg)
{
	unsigned int demoted = 0;

	for (unsigned int i = 0; i < budget && i < t->p.entries; i++) {
		struct dp_fl_entry *f = &t->e[t->cursor];

		t->cursor = (t->cursor + 1) & (t->p.entries - 1);
		if (f->hash == 0 || !f->elephant)
			continue;
		/* Closing the windows up to now demotes an elephant that went quiet. */
		if (now - f->last_seen >= t->p.window * t->p.demote_windows) {
			struct dp_fl_entry before = *f;

			if (roll(t, f, now) == DP_FL_DEMOTE) {
				if (cb != NULL)
					cb(&before, arg);
				f->slot = -1;
				demoted++;
			}
		}
	}
	return demoted;
}

const struct dp_fl_stats *
dp_fl_stats(const struct dp_fl_table *t)
{
	return &t->st;
}

void
dp_fl_walk(const struct dp_fl_table *t, dp_fl_walk_cb cb, void *arg)
{
	for (uint32_t i = 0; i < t->p.entries; i++)
		if (t->e[i].hash != 0)
			cb(&t->e[i], arg);
}

uint64_t
dp_fl_window(const struct dp_fl_table *t)
{
	return t->p.window;
}

uint32_t
dp_fl_entries(const struct dp_fl_table *t)
{
	return t->p.entries;
}
