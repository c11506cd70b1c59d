/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Internals of the owner/worker split shared by vx_worker.c, vx_fwd.c and
 * vx_neigh.c: the request a worker sends to the owner, the per-burst
 * request buffer, and the packed neighbour word workers read. Only vxlan/
 * may include this header.
 */
#ifndef VX_WORKER_PRIV_H
#define VX_WORKER_PRIV_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ring.h>

#include "vx.h"
#include "vx_fdb_priv.h"

/** What a request asks of the owner. */
enum vx_req_type {
	VX_REQ_LEARN = 1,    /**< Learn (vni, mac) behind (kind, target). */
	VX_REQ_PKT_NEIGH,    /**< Send encapsulated packet m to next hop target. */
	VX_REQ_PKT_UNDERLAY, /**< Handle underlay frame m (ARP, ND or echo). */
};

/** One request on a worker's ring: 16 bytes, the ring's element size. */
struct vx_req {
	uint8_t type;	 /**< enum vx_req_type. */
	uint8_t kind;	 /**< LEARN: enum vx_fdb_kind. */
	uint16_t target; /**< LEARN: endpoint or VTEP index; PKT_NEIGH: neighbour index. */
	uint32_t vni;	 /**< LEARN: the VNI. */
	union {
		struct rte_ether_addr mac; /**< LEARN: the MAC. */
		struct rte_mbuf *m;	   /**< PKT_*: the packet, owned by the ring. */
	};
};

static_assert(sizeof(struct vx_req) == 16, "the request ring has 16-byte elements");

/** A worker lcore's context. */
struct vx_worker {
	struct vx_inst *vx;    /**< The instance it serves. */
	struct rte_ring *ring; /**< Requests to the owner: one producer, one consumer. */
	uint64_t touch_gran;   /**< Refresh an FDB time stamp only when older than this. */
};

/** Requests a burst collects before it enqueues them in one go. */
#define VX_REQ_BUF 32

/**
 * The requests of one burst on a worker, enqueued when the buffer fills up
 * and when the burst ends, so that the ring is touched once per burst.
 */
struct vx_reqbuf {
	struct vx_worker *w;	     /**< Whose ring. */
	uint16_t n;		     /**< Requests buffered. */
	bool has_learn;		     /**< last_learn is set. */
	struct vx_req last_learn;    /**< The burst's last learn request, to skip repeats. */
	struct vx_req r[VX_REQ_BUF]; /**< The requests. */
};

/**
 * Enqueue the buffered requests. Those that do not fit are counted as
 * lost (learn) or dropped (owner_ring_full).
 */
void vx_reqbuf_flush(struct vx_reqbuf *b, struct vx_stats *st);

/** Buffer a request, flushing first when the buffer is full. */
static inline void
vx_reqbuf_push(struct vx_reqbuf *b, const struct vx_req *r, struct vx_stats *st)
{
	if (unlikely(b->n == VX_REQ_BUF))
		vx_reqbuf_flush(b, st);
	b->r[b->n++] = *r;
}

/**
 * Buffer a learn request unless the burst already asked for the same one
 * last (the packets of one flow come back to back).
 */
static inline void
vx_reqbuf_learn(struct vx_reqbuf *b, uint32_t vni, const struct rte_ether_addr *mac, uint8_t kind,
		uint16_t target, struct vx_stats *st)
{
	struct vx_req r = {.type = VX_REQ_LEARN, .kind = kind, .target = target, .vni = vni};

	r.mac = *mac;
	if (b->has_learn && b->last_learn.vni == vni && b->last_learn.kind == kind &&
	    b->last_learn.target == target && rte_is_same_ether_addr(&b->last_learn.mac, mac))
		return;
	b->last_learn = r;
	b->has_learn = true;
	vx_reqbuf_push(b, &r, st);
}

/** Hand packet @p m to the owner. */
static inline void
vx_reqbuf_pkt(struct vx_reqbuf *b, uint8_t type, struct rte_mbuf *m, uint16_t nh,
	      struct vx_stats *st)
{
	const struct vx_req r = {.type = type, .target = nh, .m = m};

	vx_reqbuf_push(b, &r, st);
}

/**
 * Handle one underlay frame a worker handed over: parse it again and run it
 * through ARP, ND, echo (or, should it be one, VxLAN) handling as
 * vx_underlay_input() does, without counting it as received again. Owner
 * only (vx_fwd.c).
 */
void vx_underlay_owner_one(struct vx_inst *vx, struct rte_mbuf *m, uint64_t now, struct vx_out *out,
			   struct vx_stats *st);

/*
 * The neighbour word. Workers need a next hop's MAC and state together: a
 * MAC from one confirmation with the state of another, or half of an old
 * MAC, would send packets to a wrong station. Both fit in 64 bits, so the
 * owner publishes them as one word with a single atomic store and a worker
 * reads them with a single atomic load. That is cheaper for the reader than
 * a sequence counter (one load, no retry loop, wait-free) and keeps struct
 * vx_neigh's existing fields as they are for the owner's own use.
 */

/** Bit position of the state in the neighbour word. */
#define VX_NEIGH_PUB_STATE_SHIFT 48

/** @return the neighbour word for @p mac and @p state. */
static inline uint64_t
vx_neigh_pack(const struct rte_ether_addr *mac, uint8_t state)
{
	return vx_fdb_mac48(mac) | ((uint64_t)state << VX_NEIGH_PUB_STATE_SHIFT);
}

/** @return the state in a neighbour word. */
static inline uint8_t
vx_neigh_pub_state(uint64_t pub)
{
	return (uint8_t)(pub >> VX_NEIGH_PUB_STATE_SHIFT);
}

/** Write the MAC of a neighbour word to @p dst (6 bytes, any alignment). */
static inline void
vx_neigh_pub_mac(uint64_t pub, void *dst)
{
	uint32_t hi = (uint32_t)pub;
	uint16_t lo = (uint16_t)(pub >> 32);

	memcpy(dst, &hi, sizeof(hi));
	memcpy((uint8_t *)dst + sizeof(hi), &lo, sizeof(lo));
}

/** Publish the current mac and state of @p e to worker lcores (owner only). */
static inline void
vx_neigh_publish(struct vx_neigh *e)
{
	__atomic_store_n(&e->pub, vx_neigh_pack(&e->mac, e->state), __ATOMIC_RELEASE);
}

#endif /* VX_WORKER_PRIV_H */
