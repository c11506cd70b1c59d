/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * VxLAN termination: the L2 domains (VNIs), remote VTEPs, local endpoints,
 * the FDB, underlay neighbour resolution, and the burst functions the
 * dataplane calls.
 *
 * Threading. A struct vx_inst is built on the control path before the
 * datapath starts. Afterwards one lcore, the owner, is its only writer: it
 * calls vx_underlay_input(), vx_endpoint_input(), vx_timer() and
 * vx_worker_drain(), and it applies run-time changes of the configuration
 * (VNIs, VTEPs, endpoints, static entries) that the control thread hands
 * it; changes of VNIs, VTEPs and endpoints happen only while no worker
 * holds a packet (the dataplane drains its pipeline first, see dp.h).
 *
 * Free slots. After deletions, vteps[], eps[] and neigh[] may have holes
 * below n_vteps, n_eps and n_neigh: a VTEP or neighbour whose ip.family is
 * 0 and an endpoint whose name is empty are free. Walks must skip them. Any number of worker lcores
 * may call vx_underlay_input_w() and vx_endpoint_input_w() at the same time, each with its own
 * struct vx_worker, struct vx_out and struct vx_stats. Workers take no lock: they read the FDB
 * through a sequence counter and the neighbour entries through one atomic word per entry
 * (vx_neigh.pub), and they never write either table except for the time stamp of an FDB entry they
 * see again. Whatever needs a write (learning a new or moved MAC) or the owner's state (ARP, ND and
 * echo from the underlay, next hops that are not resolved) goes to the owner as a request on the
 * worker's ring, which the owner applies in vx_worker_drain(). Other threads only read counters.
 *
 * Mbuf ownership. Every burst function takes ownership of the mbufs it is
 * given. Each mbuf either ends up in the caller's struct vx_out (the caller
 * now owns it and must transmit or free it), is held in a neighbour hold
 * queue, or is freed with a drop reason counted.
 */
#ifndef VX_H
#define VX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vx_drop.h"
#include "vx_packet.h"

/** Capacity limits of one instance. */
#define VX_MAX_VNIS	 4096
#define VX_MAX_VTEPS	 1024
#define VX_MAX_ENDPOINTS 256
#define VX_VNI_MAX_VTEPS 64
#define VX_VNI_MAX_EPS	 64
#define VX_NEIGH_HOLD	 4
#define VX_OUT_MAX	 512
#define VX_NAME_LEN	 32
/** Next-hop entries: every on-link VTEP plus the two gateways. */
#define VX_MAX_NEIGH (VX_MAX_VTEPS + 2)
/** Marks "no index". */
#define VX_NONE 0xffff

/** An IPv4 or IPv6 address. */
struct vx_ip {
	uint8_t family; /**< AF_INET, AF_INET6, or 0 when unset. */
	union {
		uint32_t v4;	/**< IPv4 address in network order. */
		uint8_t v6[16]; /**< IPv6 address. */
	};
};

/**
 * Parse an address.
 *
 * @param s
 *   Dotted quad or IPv6 text.
 * @param ip
 *   Output.
 * @return
 *   0, or -EINVAL.
 */
int vx_ip_parse(const char *s, struct vx_ip *ip);

/**
 * Parse an address with a prefix length, "198.18.0.1/24" or "2001:2::1/64".
 *
 * @param s
 *   The text; the prefix length is required.
 * @param ip
 *   Output address.
 * @param plen
 *   Output prefix length.
 * @return
 *   0, or -EINVAL.
 */
int vx_prefix_parse(const char *s, struct vx_ip *ip, uint8_t *plen);

/**
 * Format an address.
 *
 * @param ip
 *   The address; an unset address prints as "-".
 * @param buf
 *   Output, at least INET6_ADDRSTRLEN bytes.
 * @param len
 *   Size of @p buf.
 * @return
 *   @p buf.
 */
const char *vx_ip_fmt(const struct vx_ip *ip, char *buf, size_t len);

/** @return true if both addresses are set, of one family and equal. */
bool vx_ip_eq(const struct vx_ip *a, const struct vx_ip *b);

/** @return true if @p a and @p b share their first @p plen bits (same family). */
bool vx_ip_same_prefix(const struct vx_ip *a, const struct vx_ip *b, uint8_t plen);

/**
 * Parse a MAC address "02:00:00:00:00:01".
 *
 * @return
 *   0, or -EINVAL.
 */
int vx_mac_parse(const char *s, struct rte_ether_addr *mac);

/* ------------------------------------------------------------------------- */
/* Underlay parsing (pure functions over bytes, fuzzed).                     */

/** What the underlay parser found. */
enum vx_class {
	VX_CLASS_DROP = 0, /**< Drop; the reason is in vx_parsed.drop. */
	VX_CLASS_VXLAN,	   /**< A VxLAN packet for a local address. */
	VX_CLASS_ARP,	   /**< ARP; vx_parsed.l3_off points at it. */
	VX_CLASS_ND,	   /**< ICMPv6 neighbour discovery; l3_off/l4_off are set. */
	VX_CLASS_ECHO,	   /**< ICMP or ICMPv6 echo request to a local address. */
};

/** What the parser must know about the local VTEP. */
struct vx_parse_cfg {
	uint32_t ip4;		/**< Local IPv4 address, network order, 0 if none. */
	uint8_t ip6[16];	/**< Local IPv6 address. */
	bool has_ip6;		/**< ip6 is set. */
	uint16_t udp_port;	/**< VxLAN UDP port, host order. */
	bool strict_reserved;	/**< Drop packets with reserved VxLAN bits set (as Linux does). */
	bool udp6_zero_csum_rx; /**< Accept zero UDP checksums on IPv6. */
};

/** The result of parsing one underlay frame. */
struct vx_parsed {
	enum vx_drop_reason drop; /**< Why, when the class is VX_CLASS_DROP. */
	uint8_t family;		  /**< Outer family (AF_INET/AF_INET6); 0 for ARP. */
	uint8_t udp_csum;	  /**< A UDP checksum is present and must be verified. */
	uint16_t l3_off;	  /**< Offset of the outer IP or ARP header. */
	uint16_t l4_off;	  /**< Offset of the UDP or ICMPv6 header. */
	uint16_t outer_len;	  /**< Offset of the inner Ethernet frame. */
	uint32_t l4_len;	  /**< UDP or ICMPv6 length from the IP header. */
	uint32_t inner_len;	  /**< Inner frame length. */
	uint32_t vni;		  /**< VNI in host order. */
	struct vx_ip src;	  /**< Outer source address. */
};

/**
 * Classify and validate one underlay frame.
 *
 * Checks, in order: Ethernet length and type; IPv4 version, header length,
 * total length, header checksum, fragments and destination; IPv6 version,
 * payload length, next header and destination; UDP length and port; the
 * VxLAN I flag and (when strict) reserved bits; the inner frame length. It
 * does not verify the UDP checksum, which may cover several segments: when
 * vx_parsed.udp_csum is set the caller must (see vx_udp_csum_ok_raw()).
 *
 * @param p
 *   The first bytes of the frame.
 * @param contig
 *   How many bytes at @p p are contiguous (the first segment).
 * @param pkt_len
 *   Length of the whole frame.
 * @param cfg
 *   Local addresses and policy.
 * @param out
 *   Filled in.
 * @return
 *   The class. For VX_CLASS_DROP, out->drop says why.
 */
enum vx_class vx_parse_underlay(const uint8_t *p, uint32_t contig, uint32_t pkt_len,
				const struct vx_parse_cfg *cfg, struct vx_parsed *out);

/**
 * Verify the outer UDP checksum of a contiguous frame.
 *
 * @param p
 *   The frame.
 * @param len
 *   Its length.
 * @param r
 *   The parser's result for it.
 * @return
 *   true if the checksum is right.
 */
bool vx_udp_csum_ok_raw(const uint8_t *p, uint32_t len, const struct vx_parsed *r);

/* ------------------------------------------------------------------------- */
/* Forwarding database.                                                      */

/** Where a MAC lives. */
enum vx_fdb_kind {
	VX_FDB_LOCAL = 1,  /**< Behind a local endpoint; target is an endpoint index. */
	VX_FDB_REMOTE = 2, /**< Behind a remote VTEP; target is a VTEP index. */
};

/** One FDB entry. */
struct vx_fdb_entry {
	struct rte_ether_addr mac; /**< The MAC. */
	uint8_t kind;		   /**< enum vx_fdb_kind; 0 marks a free slot. */
	uint8_t is_static;	   /**< Configured, never aged or moved by learning. */
	uint32_t vni;		   /**< The L2 domain. */
	uint16_t target;	   /**< Endpoint or VTEP index. */
	uint64_t last_seen;	   /**< When learning last saw it (caller's clock). */
};

struct vx_fdb;

/** Called once per entry by vx_fdb_walk(); a non-zero return stops the walk. */
typedef int (*vx_fdb_walk_cb)(const struct vx_fdb_entry *e, void *arg);

/** Matches every VNI in vx_fdb_flush(). */
#define VX_VNI_ANY 0xffffffffu

/**
 * Create an FDB.
 *
 * @param max_entries
 *   Capacity, 1 to 2^22.
 * @param socket
 *   NUMA node to allocate on, or -1.
 * @return
 *   The FDB, or NULL with errno set (EINVAL, ENOMEM).
 */
struct vx_fdb *vx_fdb_create(uint32_t max_entries, int socket);

/** Free an FDB; NULL is accepted. */
void vx_fdb_destroy(struct vx_fdb *fdb);

/**
 * Find the entry of a MAC in a VNI. Only the thread that writes the FDB (the
 * owner lcore) may call this while the datapath runs; other lcores use
 * vx_fdb_lookup_copy().
 *
 * @return
 *   The entry, valid until the FDB is next modified, or NULL.
 */
const struct vx_fdb_entry *vx_fdb_lookup(const struct vx_fdb *fdb, uint32_t vni,
					 const struct rte_ether_addr *mac);

/**
 * Find the entry of a MAC in a VNI from any lcore, while the owner may be
 * changing the FDB, and copy it out. This is the lookup the worker burst
 * functions use. It takes no lock and never waits longer than a write of
 * the owner takes.
 *
 * @param copy
 *   Receives the entry when found. Its last_seen is approximate: it may be
 *   read after the entry was changed.
 * @return
 *   true if found.
 */
bool vx_fdb_lookup_copy(const struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac,
			struct vx_fdb_entry *copy);

/**
 * Learn that a MAC was seen behind a target.
 *
 * @return
 *   1 if an entry was created or moved to a new target, 0 if an existing
 *   one was refreshed, -EPERM if a static entry with another target owns the
 *   MAC, -ENOSPC if the FDB is full, -EINVAL for a multicast MAC, a bad kind
 *   or a VNI above 2^24-1.
 */
int vx_fdb_learn(struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac, uint8_t kind,
		 uint16_t target, uint64_t now);

/**
 * Add or replace a static entry.
 *
 * @return
 *   0, -EINVAL for a multicast MAC, a bad kind or a VNI above 2^24-1, or
 *   -ENOSPC if the FDB is full.
 */
int vx_fdb_add_static(struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac,
		      uint8_t kind, uint16_t target);

/**
 * Remove an entry, static or learned.
 *
 * @return
 *   0, or -ENOENT.
 */
int vx_fdb_del(struct vx_fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac);

/**
 * Remove learned entries older than @p max_age, examining at most @p budget
 * slots from where the previous call stopped, so that aging a large table
 * costs little per call. Re-examining a slot after a removal counts against
 * the budget; one call covers at most one full pass.
 *
 * @return
 *   The number of entries removed.
 */
unsigned int vx_fdb_age(struct vx_fdb *fdb, uint64_t now, uint64_t max_age, unsigned int budget);

/**
 * Remove entries of one VNI (or VX_VNI_ANY).
 *
 * @param with_static
 *   Remove static entries too.
 * @return
 *   The number of entries removed.
 */
unsigned int vx_fdb_flush(struct vx_fdb *fdb, uint32_t vni, bool with_static);

/** @return the number of entries. */
unsigned int vx_fdb_count(const struct vx_fdb *fdb);

/**
 * Call @p cb for every entry. The FDB must not change during the walk.
 *
 * @return
 *   0, or the first non-zero value @p cb returned.
 */
int vx_fdb_walk(const struct vx_fdb *fdb, vx_fdb_walk_cb cb, void *arg);

/**
 * Copy every entry of @p src, with its kind, target, static flag and age,
 * into the empty table @p dst (of another capacity, for a resize). Neither
 * table may change meanwhile, and @p dst must not be published yet.
 *
 * @return
 *   0, -EINVAL if @p dst is not empty, -ENOSPC if @p src holds more entries
 *   than @p dst can (nothing is copied).
 */
int vx_fdb_copy(struct vx_fdb *dst, const struct vx_fdb *src);

/* ------------------------------------------------------------------------- */
/* Instance.                                                                 */

/** A remote VTEP and its encapsulation template. */
struct vx_vtep {
	struct vx_ip ip; /**< Its underlay address. */
	uint16_t nh;	 /**< Neighbour entry of the next hop (itself or the gateway). */
	uint8_t hdr_len; /**< VX_ENCAP4_LEN or VX_ENCAP6_LEN. */
	uint8_t pad;
	uint16_t ip4_csum0; /**< IPv4 header checksum of the template with total length 0. */
	uint32_t ph6_sum;   /**< IPv6 pseudo-header sum of both addresses and UDP, unfolded. */
	/** Outer Ethernet/IP/UDP/VxLAN header; destination MAC and lengths are set per packet. */
	uint8_t tmpl[VX_ENCAP6_LEN] __rte_aligned(16);
};

/** A local endpoint: a port bound to one VNI. */
struct vx_endpoint {
	char name[VX_NAME_LEN];	   /**< Name from the config. */
	struct rte_ether_addr mac; /**< The MAC behind the port. */
	uint32_t vni;		   /**< Its VNI. */
	uint16_t vni_idx;	   /**< Index of its VNI. */
	uint16_t port;		   /**< Dataplane port index. */
	uint16_t mtu;		   /**< Largest inner IP packet the endpoint accepts. */
	bool any_src_mac;	   /**< Accept any source MAC (no anti-spoofing). */
};

/** One L2 domain. */
struct vx_vni {
	uint32_t vni;			  /**< The identifier. */
	uint16_t n_vteps;		  /**< Remote VTEPs for head-end replication. */
	uint16_t n_eps;			  /**< Local endpoints. */
	uint16_t vteps[VX_VNI_MAX_VTEPS]; /**< VTEP indexes. */
	uint16_t eps[VX_VNI_MAX_EPS];	  /**< Endpoint indexes. */
};

/** Neighbour entry states. */
enum vx_neigh_state {
	VX_NEIGH_NONE = 0,   /**< Never resolved; nothing sent yet. */
	VX_NEIGH_INCOMPLETE, /**< Probing; packets wait in the hold queue. */
	VX_NEIGH_REACHABLE,  /**< Resolved and fresh. */
	VX_NEIGH_STALE,	     /**< Resolved, past its lifetime, being re-probed but still used. */
	VX_NEIGH_FAILED,     /**< No answer; packets drop until the hold-down ends. */
	VX_NEIGH_STATIC,     /**< Configured, never probed. */
};

/** A next hop on the underlay. */
struct vx_neigh {
	struct vx_ip ip;	   /**< Its address. */
	struct rte_ether_addr mac; /**< Its MAC, valid in REACHABLE, STALE and STATIC. */
	uint8_t state;		   /**< enum vx_neigh_state. */
	uint8_t probes;		   /**< Probes sent in the current round. */
	uint8_t n_hold;		   /**< Packets in the hold queue. */
	uint64_t deadline;	   /**< TSC of the next timer action. */
	uint64_t updated;	   /**< TSC of the last confirmation. */
	/**
	 * mac and state packed into one word (MAC in the low 48 bits as
	 * stored in memory, state above) for worker lcores, which load it
	 * atomically. The owner stores it after every change of either.
	 */
	uint64_t pub;
	struct rte_mbuf *hold[VX_NEIGH_HOLD]; /**< Encapsulated packets waiting for the MAC. */
};

/** Neighbour timers, in TSC ticks. */
struct vx_neigh_params {
	uint64_t reachable; /**< How long a confirmed entry stays REACHABLE. */
	uint64_t retrans;   /**< Time between probes. */
	uint64_t failed;    /**< Hold-down after the last unanswered probe. */
	uint8_t max_probes; /**< Probes per round before FAILED. */
};

/** Parameters of an instance. */
struct vx_params {
	struct rte_ether_addr mac;    /**< Underlay MAC. */
	struct vx_ip ip4;	      /**< Local IPv4 VTEP address (family 0 if none). */
	uint8_t plen4;		      /**< Its prefix length. */
	struct vx_ip ip6;	      /**< Local IPv6 VTEP address (family 0 if none). */
	uint8_t plen6;		      /**< Its prefix length. */
	struct vx_ip gw4;	      /**< IPv4 gateway for off-link VTEPs (family 0 if none). */
	struct vx_ip gw6;	      /**< IPv6 gateway for off-link VTEPs (family 0 if none). */
	uint16_t mtu;		      /**< Underlay IP MTU. */
	uint16_t udp_port;	      /**< VxLAN UDP port (VX_UDP_PORT). */
	uint16_t underlay_port;	      /**< Dataplane port index of the underlay. */
	bool strict_reserved;	      /**< See vx_parse_cfg. */
	bool udp6_zero_csum_rx;	      /**< See vx_parse_cfg. */
	bool udp6_zero_csum_tx;	      /**< Send zero UDP checksums on IPv6. */
	uint32_t fdb_size;	      /**< FDB capacity. */
	uint64_t fdb_age;	      /**< Learned-entry lifetime in TSC ticks; 0 disables aging. */
	struct vx_neigh_params neigh; /**< Neighbour timers. */
	struct rte_mempool *pool;     /**< Pool for copies and generated packets. */
	int socket;		      /**< NUMA node for tables. */
};

/** A VxLAN termination instance. */
struct vx_inst {
	struct vx_params p;	  /**< As given to vx_create(). */
	struct vx_parse_cfg pcfg; /**< Derived parser settings. */
	struct vx_vni *vnis;	  /**< VNIs, n_vnis used. */
	uint16_t n_vnis;
	uint16_t n_vteps;
	uint16_t n_eps;
	uint16_t n_neigh;
	uint16_t *vni_hash; /**< Open-addressed VNI → index table. */
	uint32_t vni_hash_mask;
	struct vx_vtep *vteps;	 /**< Remote VTEPs, n_vteps used. */
	struct vx_endpoint *eps; /**< Endpoints, n_eps used. */
	struct vx_neigh *neigh;	 /**< Neighbour entries, n_neigh used. */
	uint16_t max_neigh;
	struct vx_fdb *fdb;	 /**< MAC table. */
	uint64_t next_timer;	 /**< TSC of the next timer run. */
	uint32_t fdb_age_budget; /**< FDB slots aged per timer run. */
};

struct vx_out;

/**
 * Called by vx_out_push() when the list is full: the callee must take every
 * packet in the list (transmit or free them) and set n to 0.
 *
 * @param o
 *   The full list.
 */
typedef void (*vx_out_flush_t)(struct vx_out *o);

/** Output of a burst: packets and the dataplane port each must leave by. */
struct vx_out {
	uint16_t n;			   /**< Packets in the list. */
	vx_out_flush_t flush;		   /**< Empties a full list; NULL drops instead. */
	void *ctx;			   /**< For the flush callback. */
	uint16_t port[VX_OUT_MAX];	   /**< Dataplane port index per packet. */
	struct rte_mbuf *pkts[VX_OUT_MAX]; /**< The packets, now owned by the caller. */
};

/**
 * Append a packet to an output list. A full list is handed to its flush
 * callback; without one the packet is freed and counted as flood_overflow.
 *
 * @param o
 *   The list; takes ownership of @p m.
 */
static inline void
vx_out_push(struct vx_out *o, uint16_t port, struct rte_mbuf *m, struct vx_stats *st)
{
	if (unlikely(o->n == VX_OUT_MAX)) {
		if (o->flush != NULL)
			o->flush(o);
		if (o->n == VX_OUT_MAX) {
			rte_pktmbuf_free(m);
			st->drop[VX_DROP_flood_overflow]++;
			return;
		}
	}
	o->port[o->n] = port;
	o->pkts[o->n++] = m;
}

/** Free a packet and count why. */
static inline void
vx_drop(struct rte_mbuf *m, enum vx_drop_reason r, struct vx_stats *st)
{
	rte_pktmbuf_free(m);
	st->drop[r]++;
}

/**
 * Create an instance with no VNIs.
 *
 * @param p
 *   Parameters; copied.
 * @return
 *   The instance, or NULL with errno set (EINVAL for inconsistent
 *   parameters, ENOMEM).
 */
struct vx_inst *vx_create(const struct vx_params *p);

/** Free an instance and any packets it holds; NULL is accepted. */
void vx_destroy(struct vx_inst *vx);

/**
 * Add a VNI.
 *
 * @return
 *   Its index, -EINVAL if @p vni is above 2^24-1, -EEXIST, or -ENOSPC.
 */
int vx_vni_add(struct vx_inst *vx, uint32_t vni);

/** @return the index of a VNI, or -ENOENT. */
int vx_vni_find(const struct vx_inst *vx, uint32_t vni);

/**
 * Add a remote VTEP to a VNI. A VTEP shared by several VNIs is stored once.
 * Its next hop is itself when on-link, else the gateway of its family.
 *
 * @return
 *   The VTEP index, -ENOENT for an unknown VNI, -EAFNOSUPPORT when there is
 *   no local address of the VTEP's family, -EEXIST if already in the VNI,
 *   -ENOSPC.
 */
int vx_vtep_add(struct vx_inst *vx, uint32_t vni, const struct vx_ip *ip);

/** @return the index of a VTEP, or -ENOENT. */
int vx_vtep_find(const struct vx_inst *vx, const struct vx_ip *ip);

/**
 * Add a local endpoint and a static FDB entry for its MAC.
 *
 * @param ep
 *   The endpoint; name, mac, vni, port and mtu are read.
 * @return
 *   The endpoint index, -ENOENT for an unknown VNI, -EEXIST for a name or
 *   MAC already in use in the VNI, -EINVAL for a multicast MAC, -ENOSPC.
 */
int vx_endpoint_add(struct vx_inst *vx, const struct vx_endpoint *ep);

/**
 * Remove a VNI: its remote VTEP memberships (a VTEP no other VNI uses is
 * freed, and its next hop when nothing else uses it) and every FDB entry
 * of the VNI, static or learned. The index of the last VNI may change.
 *
 * @return
 *   0, -ENOENT for an unknown VNI, -EBUSY while endpoints are attached to
 *   it (detach them first).
 */
int vx_vni_del(struct vx_inst *vx, uint32_t vni);

/**
 * Remove a remote VTEP from a VNI, together with the VNI's FDB entries,
 * static or learned, that point at it. A VTEP left in no VNI is freed (its
 * slot may be reused by vx_vtep_add()), and so is its next hop when no
 * other VTEP uses it and it is not static; packets held for it are freed.
 *
 * @return
 *   0, -ENOENT if the VNI is unknown or the VTEP is not in it.
 */
int vx_vtep_del(struct vx_inst *vx, uint32_t vni, const struct vx_ip *ip);

/**
 * Remove endpoint @p ep: from its VNI, with its static FDB entry and any
 * learned entries that point at it. Its slot may be reused by a later
 * vx_endpoint_add().
 *
 * @return
 *   0, -ENOENT for an index out of range or a free slot.
 */
int vx_endpoint_del(struct vx_inst *vx, uint16_t ep);

/** @return the index of the endpoint called @p name, or -ENOENT. */
int vx_endpoint_find(const struct vx_inst *vx, const char *name);

/**
 * Remove the entries of VNI @p vni (or VX_VNI_ANY), static or learned,
 * whose kind is @p kind and target is @p target.
 *
 * @return
 *   The number of entries removed.
 */
unsigned int vx_fdb_flush_target(struct vx_fdb *fdb, uint32_t vni, uint8_t kind, uint16_t target);

/**
 * Unpin a static neighbour. When a VTEP (or a gateway in use) still needs
 * the next hop it becomes dynamic and is resolved again; otherwise its
 * entry is freed.
 *
 * @return
 *   0, or -ENOENT if there is no static entry for @p ip.
 */
int vx_neigh_del_static(struct vx_inst *vx, const struct vx_ip *ip);

/**
 * Move the FDB into @p fdb, a new empty table of another capacity (for a
 * run-time resize), and make it the instance's table. Call it on the owner
 * lcore while no other lcore reads the FDB (the pipeline drained); the old
 * table must be freed only after a grace period, since readers may still
 * hold its pointer.
 *
 * @return
 *   The old table (the caller owns it), or NULL with errno set: ENOSPC if
 *   the entries do not fit, EINVAL if @p fdb is not empty. On error
 *   nothing changes and @p fdb stays the caller's.
 */
struct vx_fdb *vx_fdb_replace(struct vx_inst *vx, struct vx_fdb *fdb);

/** Set the lifetime of learned FDB entries, in TSC ticks (0 never ages them). */
void vx_fdb_age_set(struct vx_inst *vx, uint64_t ticks);

/**
 * Probe every dynamic next hop again at the next timer run (within 10 ms),
 * even the fresh ones. A probe carries our underlay MAC and address, so
 * the neighbours update what they know of us: used when the underlay MAC
 * changes. Owner lcore only.
 */
void vx_neigh_reprobe(struct vx_inst *vx);

/** The underlay settings vx_underlay_set() may change. */
struct vx_underlay {
	struct rte_ether_addr mac; /**< Underlay MAC. */
	struct vx_ip ip4;	   /**< Local IPv4 address (family 0: none). */
	uint8_t plen4;		   /**< Its prefix length. */
	struct vx_ip ip6;	   /**< Local IPv6 address (family 0: none). */
	uint8_t plen6;		   /**< Its prefix length. */
	struct vx_ip gw4;	   /**< IPv4 gateway (family 0: none). */
	struct vx_ip gw6;	   /**< IPv6 gateway (family 0: none). */
	uint16_t mtu;		   /**< Underlay IP MTU, at least 576. */
	uint16_t udp_port;	   /**< VxLAN UDP port, not 0. */
	bool strict_reserved;	   /**< See vx_parse_cfg. */
	bool udp6_zero_csum_rx;	   /**< See vx_parse_cfg. */
	bool udp6_zero_csum_tx;	   /**< Send zero UDP checksums on IPv6. */
};

/** Copy the underlay settings in force into @p u. */
void vx_underlay_get(const struct vx_inst *vx, struct vx_underlay *u);

/**
 * Change the underlay settings: the local addresses and prefixes, the
 * gateways, the MAC, the MTU, the UDP port and the checksum policies. Every
 * VTEP gets a new outer header template and the next hop its new addresses
 * call for (itself when on-link, else the gateway of its family); next hops
 * nothing uses any more are freed (held packets with them), new ones
 * resolve on first use. Nothing changes on error.
 *
 * @return
 *   0; -EINVAL for inconsistent settings (no address at all, a bad prefix
 *   length or family, a multicast or zero MAC, an MTU below 576, port 0,
 *   or a VTEP that would have our own address); -EAFNOSUPPORT when a VTEP
 *   would lose the local address of its family (remove it first);
 *   -ENOSPC when the new next hops do not fit.
 */
int vx_underlay_set(struct vx_inst *vx, const struct vx_underlay *u);

/**
 * Add a static FDB entry pointing at a remote VTEP.
 *
 * @return
 *   0, -ENOENT if the VNI is unknown or the VTEP is not in it, -EINVAL, -ENOSPC.
 */
int vx_fdb_static_remote(struct vx_inst *vx, uint32_t vni, const struct rte_ether_addr *mac,
			 const struct vx_ip *vtep);

/**
 * Add a neighbour entry (a next hop to resolve), or find the existing one.
 *
 * @return
 *   Its index, -EINVAL for an unset, unspecified, broadcast or multicast
 *   address, or -ENOSPC.
 */
int vx_neigh_add(struct vx_inst *vx, const struct vx_ip *ip);

/**
 * Pin a neighbour's MAC (like "ip neigh add ... permanent").
 *
 * @return
 *   0, -EINVAL for a multicast MAC or a bad address, -ENOSPC.
 */
int vx_neigh_add_static(struct vx_inst *vx, const struct vx_ip *ip,
			const struct rte_ether_addr *mac);

/* ------------------------------------------------------------------------- */
/* Datapath. Called only by the lcore that owns the instance, except the     */
/* worker functions (vx_*_w) further down.                                   */

/**
 * Process frames received on the underlay port: ARP and neighbour
 * discovery, then VxLAN decapsulation, learning and delivery to endpoints.
 *
 * @param pkts
 *   The frames; ownership passes to this function.
 * @param n
 *   How many.
 * @param now
 *   Current TSC.
 * @param out
 *   Receives decapsulated frames for endpoint ports and replies for the
 *   underlay.
 * @param st
 *   The calling lcore's counters.
 */
void vx_underlay_input(struct vx_inst *vx, struct rte_mbuf **pkts, uint16_t n, uint64_t now,
		       struct vx_out *out, struct vx_stats *st);

/**
 * Process frames received from endpoint @p ep: local switching, or
 * encapsulation towards remote VTEPs, with flooding of broadcast, multicast
 * and unknown unicast.
 *
 * @param ep
 *   Endpoint index.
 * @param pkts
 *   The frames; ownership passes to this function.
 */
void vx_endpoint_input(struct vx_inst *vx, uint16_t ep, struct rte_mbuf **pkts, uint16_t n,
		       uint64_t now, struct vx_out *out, struct vx_stats *st);

/**
 * Run timers: neighbour probes, retransmissions and expiry, and a slice of
 * FDB aging. Cheap when nothing is due; call it every few milliseconds.
 */
void vx_timer(struct vx_inst *vx, uint64_t now, struct vx_out *out, struct vx_stats *st);

/* Neighbour resolution, used by the functions above (vx_neigh.c). */

/**
 * Send an encapsulated packet to a next hop: fill in the destination MAC
 * and queue it on @p out, or hold it while the next hop resolves (sending a
 * probe if none is outstanding), or drop it.
 *
 * @param nh
 *   Neighbour index.
 * @param m
 *   A frame whose Ethernet destination is still unset; ownership passes.
 */
void vx_neigh_output(struct vx_inst *vx, uint16_t nh, struct rte_mbuf *m, uint64_t now,
		     struct vx_out *out, struct vx_stats *st);

/**
 * Handle an ARP packet from the underlay: answer requests for the local
 * address, and update neighbour entries from requests and replies.
 *
 * @param m
 *   The frame; ownership passes (it may be turned into the reply).
 * @param l3_off
 *   Offset of the ARP header.
 */
void vx_arp_input(struct vx_inst *vx, struct rte_mbuf *m, uint16_t l3_off, uint64_t now,
		  struct vx_out *out, struct vx_stats *st);

/**
 * Handle an ICMPv6 packet for a local or solicited-node address: answer
 * neighbour solicitations for the local address and update entries from
 * solicitations and advertisements. Checks hop limit 255, code 0, the
 * ICMPv6 checksum and option lengths (RFC 4861, section 7.1).
 *
 * @param m
 *   The frame; ownership passes.
 * @param r
 *   The parser's result (l3_off, l4_off, l4_len).
 */
void vx_nd_input(struct vx_inst *vx, struct rte_mbuf *m, const struct vx_parsed *r, uint64_t now,
		 struct vx_out *out, struct vx_stats *st);

/**
 * Neighbour timers: start resolution of unresolved entries, retransmit
 * probes, move entries to STALE and FAILED, release held packets of failed
 * entries.
 */
void vx_neigh_timer(struct vx_inst *vx, uint64_t now, struct vx_out *out, struct vx_stats *st);

/** @return the name of a neighbour state. */
const char *vx_neigh_state_name(uint8_t state);

/* ------------------------------------------------------------------------- */
/* Worker lcores (vx_worker.c).                                              */

/** A worker lcore's context: its request ring to the owner. */
struct vx_worker;

/**
 * Create the context of one worker lcore.
 *
 * @param vx
 *   The instance the worker serves.
 * @param ring_size
 *   Size of the request ring, a power of two from 2 to 2^28; it holds
 *   ring_size - 1 requests.
 * @param socket
 *   NUMA node for the ring, or -1 (SOCKET_ID_ANY).
 * @return
 *   The context, or NULL with errno set (EINVAL for a NULL @p vx or a bad
 *   @p ring_size, ENOMEM).
 */
struct vx_worker *vx_worker_create(struct vx_inst *vx, unsigned int ring_size, int socket);

/**
 * Destroy a worker context. Packets still queued in its request ring are
 * freed, other requests are forgotten. Neither the worker nor the owner may
 * be using the context. NULL is accepted.
 */
void vx_worker_destroy(struct vx_worker *w);

/**
 * vx_underlay_input() for a worker lcore. VxLAN packets are decapsulated
 * and delivered as on the owner, reading the FDB without writing it: a
 * source MAC that is new or has moved is forwarded and sent to the owner as
 * a learn request (once per MAC and burst); a known one only has its time
 * refreshed. ARP, neighbour discovery and echo requests are handed to the
 * owner, which answers them in vx_worker_drain(). When the request ring is
 * full, handed-over packets are dropped (owner_ring_full) and learn
 * requests are lost (counted in learn_req_lost).
 *
 * @param vx
 *   The instance.
 * @param w
 *   This lcore's worker context.
 * @param pkts
 *   The frames; ownership passes to this function. Each ends up in @p out,
 *   in the request ring (the owner then owns it) or freed with a drop
 *   reason counted.
 * @param n
 *   How many.
 * @param now
 *   Current TSC.
 * @param out
 *   Receives decapsulated frames for endpoint ports; this lcore's own list.
 * @param st
 *   This lcore's counters.
 */
void vx_underlay_input_w(struct vx_inst *vx, struct vx_worker *w, struct rte_mbuf **pkts,
			 uint16_t n, uint64_t now, struct vx_out *out, struct vx_stats *st);

/**
 * vx_endpoint_input() for a worker lcore. Frames to a next hop that is
 * REACHABLE, STALE or STATIC are encapsulated and queued on @p out; frames
 * whose next hop is in any other state are handed to the owner, which
 * holds, probes for or drops them exactly as vx_endpoint_input() would.
 * An endpoint with any_src_mac has new or moved source MACs sent to the
 * owner as learn requests; a MAC statically owned elsewhere is dropped as
 * src_mac_spoof.
 *
 * @param vx
 *   The instance.
 * @param w
 *   This lcore's worker context.
 * @param ep
 *   Endpoint index.
 * @param pkts
 *   The frames; ownership passes to this function (as for
 *   vx_underlay_input_w()).
 * @param n
 *   How many.
 * @param now
 *   Current TSC.
 * @param out
 *   Receives frames for the underlay and for other endpoints.
 * @param st
 *   This lcore's counters.
 */
void vx_endpoint_input_w(struct vx_inst *vx, struct vx_worker *w, uint16_t ep,
			 struct rte_mbuf **pkts, uint16_t n, uint64_t now, struct vx_out *out,
			 struct vx_stats *st);

/**
 * Apply requests of worker @p w; owner lcore only. Learn requests update
 * the FDB (counted in fdb_learned and fdb_learn_failed); handed-over
 * underlay frames go through ARP, ND or echo handling; handed-over
 * encapsulated packets go to vx_neigh_output().
 *
 * @param vx
 *   The instance.
 * @param w
 *   The worker whose ring to drain.
 * @param max
 *   Most requests to apply.
 * @param now
 *   Current TSC.
 * @param out
 *   Receives the owner's output: ARP and ND replies, echo replies, probes,
 *   held packets released and handed-over packets once resolved. The
 *   caller owns them.
 * @param st
 *   The owner's counters.
 * @return
 *   The number of requests applied.
 */
unsigned int vx_worker_drain(struct vx_inst *vx, struct vx_worker *w, unsigned int max,
			     uint64_t now, struct vx_out *out, struct vx_stats *st);

/** @return the number of requests waiting in the ring of @p w. */
unsigned int vx_worker_pending(const struct vx_worker *w);

#endif /* VX_H */
