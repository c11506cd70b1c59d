/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Kernel objects a port's driver holds through descriptors of this process:
 * AF_XDP sockets, BPF programs and BPF maps.
 *
 * Why. DPDK 22.11's net_af_xdp with libxdp 1.3 leaves three of them open for
 * every AF_XDP port it closes:
 * - the UMEM's socket: eth_dev_close() frees the UMEM only when its reference
 *   count goes from 2 to 1, so a port's only UMEM is never freed, and with it
 *   its socket and the pinned pages of the packet pool;
 * - the map through which libxdp counts the users of its XDP program: it is
 *   opened when the socket is created and not closed when it is deleted;
 * - the XDP program itself, opened again by libxdp to detach it.
 * mflowd opens and closes a port per container or CNI attachment, so these
 * would add up to exhausted descriptors and memory. The port code takes a
 * census of these objects around opening and closing a port and closes what
 * the driver still holds once the port is gone (dp_kobj_reap()), after
 * giving the pool back the mbufs still in the rings of the UMEM socket
 * (dp_kobj_xsk_recover()).
 *
 * Only the control thread opens and closes ports, and nothing else in mflowd
 * creates such objects, so the objects that appear while it opens a port
 * belong to that port. A descriptor is closed only if it still names the
 * same object (socket inode, BPF program or map ID) as when it was counted.
 */
#ifndef DP_KOBJ_H
#define DP_KOBJ_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mempool;

/** Objects a port may hold; more are dropped (and flagged) from its set. */
#define DP_KOBJ_SET_MAX 16

/** What a descriptor refers to. */
enum dp_kobj_kind {
	DP_KOBJ_XSK = 1,  /**< An AF_XDP socket; id is its inode. */
	DP_KOBJ_BPF_PROG, /**< A BPF program; id is its program ID. */
	DP_KOBJ_BPF_MAP,  /**< A BPF map; id is its map ID. */
};

/** One descriptor and the object it names. */
struct dp_kobj {
	int fd;	      /**< The descriptor. */
	uint8_t kind; /**< enum dp_kobj_kind. */
	uint64_t id;  /**< Inode or BPF ID. */
};

/** Every such descriptor of the process at one time. */
struct dp_kobj_census {
	struct dp_kobj *obj; /**< Sorted by descriptor; owned (dp_kobj_census_free()). */
	uint32_t n;	     /**< Entries in obj. */
};

/** A small set of objects, such as the ones a port's driver holds. */
struct dp_kobj_set {
	struct dp_kobj obj[DP_KOBJ_SET_MAX]; /**< The objects. */
	uint16_t n;			     /**< Entries in obj. */
	bool overflow;			     /**< Some did not fit and were not recorded. */
};

/**
 * Take a census of the AF_XDP sockets, BPF programs and BPF maps this
 * process holds.
 *
 * @param c
 *   Filled; free it with dp_kobj_census_free() on success.
 * @return
 *   0, -ENOMEM, or the -errno of reading /proc/self/fd.
 */
int dp_kobj_census(struct dp_kobj_census *c);

/** Free a census's storage (NULL and an empty census are accepted). */
void dp_kobj_census_free(struct dp_kobj_census *c);

/**
 * Add to @p set the objects of @p after that are not in @p before (a
 * descriptor counts as the same entry only if it names the same object).
 *
 * @return
 *   The number added; those that do not fit set set->overflow.
 */
unsigned int dp_kobj_added(const struct dp_kobj_census *before, const struct dp_kobj_census *after,
			   struct dp_kobj_set *set);

/**
 * Whether an object of @p held of kind @p kind (enum dp_kobj_kind) is still
 * open, as the same object, in the census @p now.
 */
bool dp_kobj_left_open(const struct dp_kobj_set *held, const struct dp_kobj_census *now,
		       uint8_t kind);

/**
 * Close the descriptors of @p set that still name the object they named
 * when counted; the others (closed, or reused for another object) are left.
 *
 * @return
 *   The number of descriptors closed.
 */
unsigned int dp_kobj_reap(const struct dp_kobj_set *set);

/** Rings of one port's AF_XDP sockets mapped read-only: at most two sockets' four. */
#define DP_XSK_VIEW_MAX 8

/** One ring mapped read-only. */
struct dp_xsk_ring {
	char *map;	   /**< The mapping. */
	size_t len;	   /**< Its length. */
	uint32_t entries;  /**< Ring size, a power of two. */
	bool descs;	   /**< Entries are xdp_desc (RX, TX), else UMEM addresses. */
	uint64_t producer; /**< Offsets of the producer, the consumer and the entries. */
	uint64_t consumer;
	uint64_t desc;
};

/** The rings of a port's AF_XDP sockets, kept mapped while the port lives. */
struct dp_xsk_view {
	struct dp_xsk_ring ring[DP_XSK_VIEW_MAX]; /**< The rings. */
	uint16_t n;				  /**< Rings mapped. */
};

/**
 * Map read-only the rings of the AF_XDP sockets in @p set (a port's
 * objects, just after it was set up), to read them when it is closed.
 *
 * The mappings keep the rings readable even if the interface disappears
 * before the port is closed: the kernel refuses to map the rings of an
 * unbound socket, but does not take away pages already mapped.
 *
 * @param v
 *   Filled; release it with dp_kobj_xsk_recover() or dp_kobj_xsk_view_free().
 * @return
 *   The number of rings mapped (0 for none, as for a port with no AF_XDP
 *   socket), or -EPROTO if no socket could be read.
 */
int dp_kobj_xsk_view(const struct dp_kobj_set *set, struct dp_xsk_view *v);

/** Unmap the rings of @p v (NULL and an empty view are accepted). */
void dp_kobj_xsk_view_free(struct dp_xsk_view *v);

/**
 * Give back to @p mp the mbufs the rings of @p v still hold, once their
 * port is closed, and unmap them.
 *
 * DPDK 22.11's net_af_xdp puts mbufs of the port's pool in the UMEM's fill
 * ring (2048 when the queue is set up, more as it refills) and in the TX
 * ring, and on close frees none of those the kernel has not handed back:
 * every closed port would take 2048 mbufs or more out of its pool for good.
 * The entries between each ring's consumer and producer are UMEM addresses
 * (the mbuf's offset from the page the pool's memory starts in, less the
 * pool's object header; an offset may sit in the top 16 bits), which are
 * turned back into mbufs and freed. An address that does not land on an
 * mbuf of @p mp is skipped, so nothing is freed that is not one.
 *
 * Call it only after the port is closed, when no one uses the rings, and
 * only for sockets the driver left open (a driver that closed them would
 * have had to free their mbufs itself).
 *
 * @return
 *   The number of mbufs freed, or -EINVAL for a pool with no memory.
 */
int dp_kobj_xsk_recover(struct dp_xsk_view *v, struct rte_mempool *mp);

#endif /* DP_KOBJ_H */
