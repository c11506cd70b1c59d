/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Worker lcores: the request ring from a worker to the owner lcore, and the
 * owner's side that applies the requests.
 *
 * A worker never writes the FDB or the neighbour table. What needs a write
 * or the owner's state travels as a 16-byte struct vx_req on a single
 * producer, single consumer ring: learn requests, encapsulated packets
 * whose next hop is not resolved, and underlay frames for ARP, ND and echo.
 * The owner applies them in ring order in vx_worker_drain(), so the packets
 * of one worker reach neighbour output in the order the worker sent them.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "vx.h"
#include "vx_fdb_priv.h"
#include "vx_worker_priv.h"

/** Largest ring accepted by vx_worker_create(). */
#define VX_WORKER_RING_MAX (1u << 28)

/** Requests the owner dequeues at a time. */
#define VX_DRAIN_BURST 32

/** Numbers the rings of the process, whose names must be unique. */
static uint32_t vx_worker_seq;

struct vx_worker *
vx_worker_create(struct vx_inst *vx, unsigned int ring_size, int socket)
{
	char name[RTE_RING_NAMESIZE];
	struct vx_worker *w;
	uint32_t id;

	if (vx == NULL || ring_size < 2 || ring_size > VX_WORKER_RING_MAX ||
	    !rte_is_power_of_2(ring_size)) {
		errno = EINVAL;
		return NULL;
	}
	w = rte_zmalloc_socket("vx_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
	if (w == NULL)
		goto out_nomem;
	id = __atomic_fetch_add(&vx_worker_seq, 1, __ATOMIC_RELAXED);
	snprintf(name, sizeof(name), "vx_worker_%u", id);
	w->ring = rte_ring_create_elem(name, sizeof(struct vx_req), ring_size, socket,
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->ring == NULL)
		goto out_free;
	w->vx = vx;
	/*
	 * Refresh a time stamp at most 64 times per lifetime: aging stays
	 * accurate to within 2%, and workers that see the same MAC do not
	 * write its cache line for every packet. Without aging the stamp only
	 * informs, and once a second is plenty.
	 */
	w->touch_gran = vx->p.fdb_age != 0 ? vx->p.fdb_age / 64 : rte_get_tsc_hz();
	return w;

out_free:
	rte_free(w);
out_nomem:
	errno = ENOMEM;
	return NULL;
}

void
vx_worker_destroy(struct vx_worker *w)
{
	struct vx_req r[VX_DRAIN_BURST];
	unsigned int k;

	if (w == NULL)
		return;
	while ((k = rte_ring_dequeue_burst_elem(w->ring, r, sizeof(r[0]), RTE_DIM(r), NULL)) > 0)
		for (unsigned int i = 0; i < k; i++)
			if (r[i].type != VX_REQ_LEARN)
				rte_pktmbuf_free(r[i].m);
	rte_ring_free(w->ring);
	rte_free(w);
}

void
vx_reqbuf_flush(struct vx_reqbuf *b, struct vx_stats *st)
{
	unsigned int sent = 0;

	if (b->n == 0)
		return;
	sent = rte_ring_enqueue_burst_elem(b->w->ring, b->r, sizeof(b->r[0]), b->n, NULL);
	for (unsigned int i = 0; i < b->n; i++) {
		const struct vx_req *r = &b->r[i];
		bool ok = i < sent;

		if (r->type == VX_REQ_LEARN) {
			st->stat[ok ? VX_STAT_learn_req : VX_STAT_learn_req_lost]++;
			continue;
		}
		if (ok)
			st->stat[VX_STAT_owner_handoff]++;
		else
			vx_drop(r->m, VX_DROP_owner_ring_full, st);
	}
	b->n = 0;
}

/* Apply one request on the owner. */
static void
drain_one(struct vx_inst *vx, const struct vx_req *r, uint64_t now, struct vx_out *out,
	  struct vx_stats *st)
{
	int rc;

	switch (r->type) {
	case VX_REQ_LEARN:
		/*
		 * The worker saw the MAC behind this target; the FDB may have
		 * changed since, and vx_fdb_learn() decides as it would on the
		 * owner (a static entry still wins).
		 */
		rc = vx_fdb_learn(vx->fdb, r->vni, &r->mac, r->kind, r->target, now);
		if (rc == 1)
			st->stat[VX_STAT_fdb_learned]++;
		else if (rc == -ENOSPC)
			st->stat[VX_STAT_fdb_learn_failed]++;
		break;
	case VX_REQ_PKT_NEIGH:
		vx_neigh_output(vx, r->target, r->m, now, out, st);
		break;
	case VX_REQ_PKT_UNDERLAY:
		vx_underlay_owner_one(vx, r->m, now, out, st);
		break;
	default:
		/* Only this file and vx_fwd.c make requests; nothing else exists. */
		break;
	}
}

unsigned int
vx_worker_drain(struct vx_inst *vx, struct vx_worker *w, unsigned int max, uint64_t now,
		struct vx_out *out, struct vx_stats *st)
{
	struct vx_req r[VX_DRAIN_BURST];
	unsigned int done = 0;

	while (done < max) {
		unsigned int k = rte_ring_dequeue_burst_elem(
			w->ring, r, sizeof(r[0]), RTE_MIN(max - done, (unsigned int)RTE_DIM(r)),
			NULL);

		if (k == 0)
			break;
		for (unsigned int i = 0; i < k; i++)
			drain_one(vx, &r[i], now, out, st);
		done += k;
	}
	return done;
}

unsigned int
vx_worker_pending(const struct vx_worker *w)
{
	return rte_ring_count(w->ring);
}
