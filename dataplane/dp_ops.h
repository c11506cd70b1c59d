/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Run-time operations on the dataplane: the core functions behind every
 * control-plane method. There is one function per operation; it takes an
 * args struct and returns 0 or -errno, and the control socket, CoAP, the
 * CLI (through the socket) and the tests all call it.
 *
 * Threading. These functions run on the control thread, one at a time
 * (the caller serialises them). The dispatch lcore owns the VxLAN tables,
 * so a change is handed to it as a command (dp_cmd_exec()) and applied
 * between two polls. Changes that worker lcores could observe half-done
 * (VNIs, VTEPs, endpoints, ports) are applied with the pipeline drained:
 * the dispatch lcore stops taking packets, waits until nothing is in
 * flight, applies, and goes on, as for dp_mf_reconfigure(). The frames
 * that arrive meanwhile wait in the RX rings, so nothing is lost. FDB and
 * neighbour changes need no drain: workers read those tables lock-free.
 * Before the lcores are launched and after they stop, commands run on the
 * calling thread.
 *
 * Reading. Between commands the VNI, VTEP, endpoint and port tables do not
 * change, so the control thread reads them directly; the FDB and
 * neighbour tables change all the time and are read through snapshots
 * (dp_snapshot()).
 */
#ifndef DP_OPS_H
#define DP_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "dp.h"

/**
 * A command: runs on the dispatch lcore (or the caller when no lcore runs).
 *
 * @param dp
 *   The dataplane.
 * @param arg
 *   The caller's argument; it stays valid until the command is done.
 * @return
 *   0 or -errno, returned by dp_cmd_exec().
 */
typedef int (*dp_cmd_fn_t)(struct dp *dp, void *arg);

/**
 * Run @p fn on the dispatch lcore between two polls and wait for it.
 *
 * @param drain
 *   Drain the pipeline first (no packet in a worker or ring) when there
 *   are worker lcores.
 * @param timeout_ms
 *   How long to wait for the lcore to take the command.
 * @return
 *   The command's return value; -ETIMEDOUT if the lcore did not take it in
 *   time (it then never runs) or could not drain the pipeline.
 */
int dp_cmd_exec(struct dp *dp, dp_cmd_fn_t fn, void *arg, bool drain, unsigned int timeout_ms);

/** @return a timeout for dp_cmd_exec() long enough for a drain. */
unsigned int dp_cmd_timeout_ms(const struct dp *dp);

/** Arguments of dp_port_add(). */
struct dp_port_add_args {
	const char *name;    /**< Unique port name, 1..VX_NAME_LEN-1 bytes. */
	const char *devargs; /**< DPDK devargs, e.g. "net_af_xdp9,iface=veth9". */
	uint16_t mtu;	     /**< 576..9000; 0 = 1500. */
};

/**
 * Probe, configure and start a port and have the dispatch lcore poll it.
 * The port is attached to no VNI: its frames are dropped (port_unattached)
 * until dp_ep_attach().
 *
 * @return
 *   0; -EINVAL for a bad name, devargs or MTU; -EEXIST for a name in use;
 *   -ENOSPC when every port slot is taken; -ENODEV when the device cannot
 *   be probed or started; -ENOMEM.
 */
int dp_port_add(struct dp *dp, const struct dp_port_add_args *a);

/** Arguments of dp_port_del(). */
struct dp_port_del_args {
	const char *name; /**< The port. */
};

/**
 * Stop polling a port, send what its TX buffer holds, stop, close and
 * unplug it. Captures of the port end first.
 *
 * @return
 *   0; -ENOENT for an unknown port; -EBUSY while it is attached to a VNI;
 *   -EPERM for the underlay port; -ETIMEDOUT.
 */
int dp_port_del(struct dp *dp, const struct dp_port_del_args *a);

/** Arguments of dp_vni_add() and dp_vni_del(). */
struct dp_vni_args {
	uint32_t vni; /**< 0 .. 2^24-1. */
	bool force;   /**< dp_vni_del(): detach its endpoints first (the ports stay). */
};

/**
 * Add a VNI.
 *
 * @return
 *   0, -EINVAL for a VNI above 2^24-1, -EEXIST, -ENOSPC, -ETIMEDOUT.
 */
int dp_vni_add(struct dp *dp, const struct dp_vni_args *a);

/**
 * Remove a VNI with its VTEPs and FDB entries; with force, its endpoints
 * are detached in the same change.
 *
 * @return
 *   0, -ENOENT, -EBUSY while endpoints are attached (without force),
 *   -ETIMEDOUT.
 */
int dp_vni_del(struct dp *dp, const struct dp_vni_args *a);

/** Arguments of dp_vtep_add() and dp_vtep_del(). */
struct dp_vtep_args {
	uint32_t vni;	 /**< The VNI. */
	struct vx_ip ip; /**< The remote VTEP's underlay address. */
};

/**
 * Add a remote VTEP to a VNI (head-end replication and learning).
 *
 * @return
 *   0; -ENOENT for an unknown VNI; -EEXIST; -EAFNOSUPPORT when there is no
 *   local address of its family; -EINVAL for our own address; -ENOSPC;
 *   -ETIMEDOUT.
 */
int dp_vtep_add(struct dp *dp, const struct dp_vtep_args *a);

/**
 * Remove a remote VTEP from a VNI, with the VNI's FDB entries behind it.
 *
 * @return
 *   0, -ENOENT, -ETIMEDOUT.
 */
int dp_vtep_del(struct dp *dp, const struct dp_vtep_args *a);

/** Arguments of dp_fdb_add() and dp_fdb_del(). */
struct dp_fdb_args {
	uint32_t vni;		   /**< The VNI. */
	struct rte_ether_addr mac; /**< The MAC. */
	struct vx_ip vtep;	   /**< dp_fdb_add(): the VTEP behind which the MAC lives. */
};

/**
 * Add or replace a static FDB entry pointing at a remote VTEP of the VNI.
 *
 * @return
 *   0; -ENOENT when the VNI is unknown or the VTEP is not in it; -EINVAL
 *   for a multicast MAC; -EPERM for the MAC of a local endpoint; -ENOSPC;
 *   -ETIMEDOUT.
 */
int dp_fdb_add(struct dp *dp, const struct dp_fdb_args *a);

/**
 * Remove an FDB entry, static or learned.
 *
 * @return
 *   0; -ENOENT; -EPERM for the entry of a local endpoint (detach it
 *   instead); -ETIMEDOUT.
 */
int dp_fdb_del(struct dp *dp, const struct dp_fdb_args *a);

/** Arguments of dp_fdb_flush(). */
struct dp_fdb_flush_args {
	uint32_t vni;	      /**< A VNI, or VX_VNI_ANY. */
	bool with_static;     /**< Remove static entries towards VTEPs too. */
	unsigned int removed; /**< Out: entries removed. */
};

/**
 * Remove learned entries (and, with_static, static ones towards remote
 * VTEPs); the entries of local endpoints stay.
 *
 * @return
 *   0, -ENOENT for an unknown VNI, -ENOMEM, -ETIMEDOUT.
 */
int dp_fdb_flush(struct dp *dp, struct dp_fdb_flush_args *a);

/** Arguments of dp_neigh_add() and dp_neigh_del(). */
struct dp_neigh_args {
	struct vx_ip ip;	   /**< The next hop. */
	struct rte_ether_addr mac; /**< dp_neigh_add(): its MAC. */
};

/**
 * Pin a next hop's MAC.
 *
 * @return
 *   0, -EINVAL, -ENOSPC, -ETIMEDOUT.
 */
int dp_neigh_add(struct dp *dp, const struct dp_neigh_args *a);

/**
 * Unpin a next hop; it is resolved again when still in use.
 *
 * @return
 *   0, -ENOENT when it is not static, -ETIMEDOUT.
 */
int dp_neigh_del(struct dp *dp, const struct dp_neigh_args *a);

/** Arguments of dp_ep_attach(). */
struct dp_ep_attach_args {
	const char *port;	   /**< The port to attach. */
	uint32_t vni;		   /**< The VNI. */
	struct rte_ether_addr mac; /**< The container's MAC behind the port. */
	uint16_t mtu;		   /**< Largest inner IP packet; 0 = the port's MTU. */
	bool any_src_mac;	   /**< Accept any source MAC. */
};

/**
 * Attach a port to a VNI as a local endpoint.
 *
 * @return
 *   0; -ENOENT for an unknown port or VNI; -EBUSY when the port is already
 *   attached; -EPERM for the underlay; -EEXIST for a MAC in use in the
 *   VNI; -EINVAL for a bad MAC or MTU; -ENOSPC; -ETIMEDOUT.
 */
int dp_ep_attach(struct dp *dp, const struct dp_ep_attach_args *a);

/** Arguments of dp_ep_detach(). */
struct dp_ep_detach_args {
	const char *port; /**< The port to detach. */
};

/**
 * Detach a port from its VNI; its FDB entries go, the port stays.
 *
 * @return
 *   0, -ENOENT for an unknown port, -EINVAL when it is not attached,
 *   -ETIMEDOUT.
 */
int dp_ep_detach(struct dp *dp, const struct dp_ep_detach_args *a);

/**
 * Change the underlay settings (addresses, gateways, MAC, MTU, UDP port,
 * checksum policies) with the pipeline drained; see vx_underlay_set().
 *
 * @param u
 *   The complete new settings (start from vx_underlay_get()).
 * @return
 *   0, or the -errno of vx_underlay_set() (nothing changes), -ETIMEDOUT.
 */
int dp_underlay_set(struct dp *dp, const struct vx_underlay *u);

/**
 * Replace the underlay port by another device, under traffic: the new one
 * is probed, configured (same MTU, the descriptor counts in force) and
 * started, so both are polled for a moment; then, with the pipeline
 * drained, encapsulated traffic goes out of the new port, and after a
 * grace period the old port is stopped and removed. When the underlay MAC
 * was the old port's own, it becomes the new port's, and every next hop is
 * probed again so that the neighbours learn it. What the old device still
 * held when it was removed is lost there.
 *
 * @param devargs
 *   DPDK device arguments of the new port; the current ones change nothing.
 * @return
 *   0; -EINVAL for empty or too long devargs; -ENODEV if the device cannot
 *   be probed or started; -ENOSPC, -ENOMEM; -ETIMEDOUT (the old port stays).
 */
int dp_underlay_port_set(struct dp *dp, const char *devargs);

/** Smallest and largest FDB capacity of dp_fdb_resize(). */
#define DP_FDB_SIZE_MIN 16
#define DP_FDB_SIZE_MAX (1u << 22)

/**
 * Change the FDB capacity under traffic: a new table is allocated, filled
 * with every entry (static and learned, with their age) with the pipeline
 * drained, and the old one is freed after a grace period.
 *
 * @param size
 *   Entries, DP_FDB_SIZE_MIN..DP_FDB_SIZE_MAX.
 * @return
 *   0; -EINVAL for a size out of range; -ENOSPC if the FDB holds more
 *   entries than @p size; -ENOMEM; -ETIMEDOUT. Nothing changes on error.
 */
int dp_fdb_resize(struct dp *dp, uint32_t size);

/** Arguments of dp_pipe_resize(); 0 keeps a value. */
struct dp_pipe_resize_args {
	uint32_t ring_size;    /**< Entries per worker ring: a power of two 64..65536, or 0. */
	uint32_t flow_entries; /**< Elephant table size: a power of two 4..1048576, or 0. */
};

/**
 * Change the size of the pipeline's rings and of the elephant detector's
 * table under traffic, without losing, duplicating or reordering a packet.
 *
 * Everything new is allocated first, on this thread: for each worker an
 * input, an output and a request ring of @p a->ring_size entries on the
 * worker's NUMA node, the ring to a merge lcore of its own on that lcore's
 * node, and a detector of @p a->flow_entries entries on the dispatch
 * lcore's node; a failure there changes nothing. Then, as a command on the
 * dispatch lcore with the pipeline drained (dp_cmd_exec()), the old rings
 * are checked to be empty and the new ones are published: each worker's
 * three rings with one atomic pointer store, which the worker reloads at
 * the top of each loop iteration, its quiescent point. A new detector
 * forgets the flows' history: every elephant slot is released (nothing is
 * in flight, so no batch spans the change) and elephants are detected
 * again. Once a grace period has passed (dp_qsbr_sync()), the old rings
 * and detector are freed; if it times out they are kept, and freed after a
 * later grace period or with the pipeline. On success dp->p.map.ring_size
 * and dp->p.map.flow_entries hold the new values. Control thread only.
 *
 * Longer rings let more mbufs sit in flight than the packet pools were
 * sized for (the first pool of a node counts three rings of ring_size per
 * worker and one more): a growth whose extra mbufs, 3 * (new - old) per
 * worker plus (new - old), exceed what a pool has free now is refused.
 *
 * @param dp
 *   The dataplane.
 * @param a
 *   The new sizes; 0 keeps a size, and so does the size in force.
 * @return
 *   0 (also when nothing changes);
 *   -EINVAL for a NULL @p a or a size that is not a power of two in its
 *   range (nothing changes);
 *   -ENOTSUP without a pipeline (no worker lcores) when a size other than
 *   the one in force is asked (with worker lcores but before
 *   dp_pipe_create(), the sizes are only recorded for it);
 *   -EBUSY while a dp_mf_reconfigure() request is still pending, or when
 *   the dispatch lcore found entries left on the old rings (none are lost:
 *   the old rings stay in use);
 *   -ENOSPC for a ring growth the packet pools cannot feed;
 *   -ENOMEM when an allocation fails;
 *   -ETIMEDOUT when the dispatch lcore did not take the command in time or
 *   could not drain its workers (the old sizes stay).
 *   On every error nothing changes.
 */
int dp_pipe_resize(struct dp *dp, const struct dp_pipe_resize_args *a);

/** Fields of struct dp_tune_args, for its @c set mask. */
enum dp_tune_field {
	DP_TUNE_BURST = 1u << 0,
	DP_TUNE_DRAIN_US = 1u << 1,
	DP_TUNE_IDLE_POLLS = 1u << 2,
	DP_TUNE_IDLE_SLEEP_US = 1u << 3,
	DP_TUNE_IDLE_SLEEP_MAX_US = 1u << 4,
	DP_TUNE_FDB_AGE_S = 1u << 5,
	DP_TUNE_NEIGH_REACHABLE_S = 1u << 6,
	DP_TUNE_NEIGH_RETRANS_MS = 1u << 7,
	DP_TUNE_NEIGH_FAILED_S = 1u << 8,
	DP_TUNE_NEIGH_PROBES = 1u << 9,
};

/** Dataplane tunables that may change at run time (the config's "dataplane" section). */
struct dp_tune_args {
	unsigned int set;	    /**< enum dp_tune_field bits of the fields given. */
	uint16_t burst;		    /**< RX burst, 1..512. */
	uint32_t drain_us;	    /**< TX drain and timer period, 1..100000. */
	uint32_t idle_polls;	    /**< Empty polls before sleeping, 0 = never. */
	uint32_t idle_sleep_us;	    /**< First idle sleep, 1..100000. */
	uint32_t idle_sleep_max_us; /**< Cap of the idle sleep, 1..1000000. */
	uint32_t fdb_age_s;	    /**< Learned FDB entry lifetime, 0 = never. */
	uint32_t neigh_reachable_s; /**< Neighbour lifetime, 1..86400. */
	uint32_t neigh_retrans_ms;  /**< Probe interval, 10..60000. */
	uint32_t neigh_failed_s;    /**< Hold-down after failed resolution, 1..3600. */
	uint8_t neigh_probes;	    /**< Probes per round, 1..10. */
};

/**
 * Change dataplane tunables; the dispatch lcore applies them between two
 * polls (the other lcores read them with relaxed loads). The TX buffers
 * keep the burst they were made with.
 *
 * @return
 *   0, -EINVAL for a value out of range (nothing changes), -ETIMEDOUT.
 */
int dp_tune(struct dp *dp, const struct dp_tune_args *a);

/** Read the tunables in force into @p a (every field, set = all). */
void dp_tune_get(const struct dp *dp, struct dp_tune_args *a);

/** One flow of dp_flows_top(). */
struct dp_flow_info {
	uint32_t hash;	  /**< The flow's hash. */
	bool elephant;	  /**< Being split. */
	int32_t slot;	  /**< Split slot, or -1. */
	uint64_t pkts;	  /**< Packets in the last full window. */
	uint64_t bytes;	  /**< Bytes in the last full window. */
	uint64_t idle_us; /**< Time since its last packet. */
};

/** Arguments of dp_flows_top(). */
struct dp_flows_args {
	unsigned int max;	  /**< Most flows to return, 1..256. */
	struct dp_flow_info *out; /**< Room for @p max flows. */
	unsigned int n;		  /**< Out: flows returned, by rate, highest first. */
	uint32_t window_us;	  /**< Out: the detection window. */
	bool tracked;		  /**< Out: false when no flow table runs (not microflow). */
};

/**
 * The busiest tracked flows (mode microflow keeps the table).
 *
 * @return
 *   0, -EINVAL, -ETIMEDOUT.
 */
int dp_flows_top(struct dp *dp, struct dp_flows_args *a);

/**
 * Drop reasons and counters, totals and per lcore.
 *
 * @param all
 *   Include counters that are zero.
 * @return
 *   A new reference {"totals": {"drops": {...}, "stats": {...}},
 *   "lcores": [{"lcore", "role", "drops", "stats"}, ...]}, or NULL.
 */
json_t *dp_counters_json(struct dp *dp, bool all);

/** @return a new reference: the pipeline's settings and counters (as in the stats), or NULL. */
json_t *dp_mflow_json(const struct dp *dp);

/** @return a new reference: the ports with their role, attachment and ethdev counters, or NULL. */
json_t *dp_ports_json(struct dp *dp);

#endif /* DP_OPS_H */
