/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The poll-mode dataplane: ports, NUMA-local mempools, the dispatch loop
 * (burst RX, classify, decap/encap or dispatch, buffered TX with a drain
 * timer, idle back-off) and the micro-flow pipeline (docs/mflow.md).
 *
 * Lcore roles. The dispatch lcore polls every port and owns the VxLAN
 * instance: it is the only writer of the FDB and the neighbour table and
 * runs the timers. In mode rtc it also decapsulates and encapsulates. In
 * modes pinned and microflow it hands VxLAN data to worker lcores through
 * SPSC rings (dp_mflow.h), and the merge lcore (the dispatch lcore itself,
 * or one of its own) restores order and transmits. Only the merge lcore
 * transmits, so every TX queue has one writer.
 *
 * Threading. The control thread (the main lcore, or a control pthread when
 * the main lcore has a role) only reads counters, asks the dispatch lcore
 * for table snapshots, and posts configuration changes, each through a
 * request/acknowledge pair; it never takes a lock an lcore waits on.
 */
#ifndef DP_H
#define DP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "dp_flow.h"
#include "dp_kobj.h"
#include "dp_mflow.h"
#include "vx.h"

#define DP_MAX_PORTS   (VX_MAX_ENDPOINTS + 1)
#define DP_BURST_MAX   512
#define DP_SNAP_FDB    4096
#define DP_DEVARGS_LEN 512
/**
 * Ports (their RX rings and a burst) the first packet pool of a NUMA node
 * has room for beyond those opened at start (struct dp_params n_ports).
 * Later ports go to further pools once it is full.
 */
#define DP_SPARE_PORTS 2
/** Packet pools per NUMA node at most. */
#define DP_MAX_POOLS 32
/**
 * Further ports of its own size a pool created at run time has room for,
 * beyond the port it is created for.
 */
#define DP_POOL_GROW_PORTS 8

/** How the dispatch lcore spreads the work (docs/mflow.md). */
enum dp_mode {
	DP_MODE_RTC = 0,   /**< Run to completion on the dispatch lcore. */
	DP_MODE_PINNED,	   /**< Each flow hashed to one worker, like RSS. */
	DP_MODE_MICROFLOW, /**< Elephants split into batches over the workers, mice pinned. */
	DP_MODE__MAX,
};

/** What an lcore does. */
enum dp_role {
	DP_ROLE_DISPATCH = 0, /**< RX, dispatch, table owner; also merge and TX unless separate. */
	DP_ROLE_MERGE,	      /**< Merge and TX on an lcore of its own. */
	DP_ROLE_WORKER,	      /**< Decap and encap of what it is given. */
};

/** The part of the pipeline configuration that may change under traffic. */
struct dp_mf_conf {
	uint8_t mode;		   /**< enum dp_mode. */
	uint8_t pick;		   /**< enum dp_mf_pick. */
	uint16_t workers;	   /**< Active workers, 1 .. the worker lcores (0 when none). */
	uint32_t batch_size;	   /**< Packets per batch, 1 .. 65536. */
	uint32_t merge_timeout_us; /**< Stall timeout of the merger; 0 never skips. */
	uint32_t window_us;	   /**< Elephant detection window. */
	uint64_t promote_pkts;	   /**< See struct dp_fl_params. */
	uint64_t promote_bytes;
	uint64_t demote_pkts;
	uint64_t demote_bytes;
	uint8_t promote_windows;
	uint8_t demote_windows;
};

/**
 * Which lcore does what; fixed for the life of the dataplane, except
 * ring_size and flow_entries, which dp_pipe_resize() changes.
 */
struct dp_lcore_map {
	bool has_dispatch;			 /**< dispatch is set; else the default lcore. */
	bool has_merge;				 /**< merge is set; else the dispatch lcore. */
	unsigned int dispatch;			 /**< RX and dispatch lcore. */
	unsigned int merge;			 /**< Merge and TX lcore. */
	uint16_t n_workers;			 /**< Worker lcores, 0 .. DP_MF_MAX_WORKERS. */
	unsigned int workers[DP_MF_MAX_WORKERS]; /**< Their lcore IDs. */
	uint32_t ring_size;			 /**< Entries per worker ring, a power of two. */
	uint32_t flow_entries;			 /**< Elephant detection table size. */
};

/** Dataplane tunables (see docs/config.md, "dataplane" and "mflow"). */
struct dp_params {
	uint16_t burst;		    /**< RX burst size. */
	uint32_t drain_us;	    /**< TX buffer drain and timer period. */
	uint32_t idle_polls;	    /**< Empty polls before sleeping; 0 never sleeps. */
	uint32_t idle_sleep_us;	    /**< First sleep once idle; doubles per idle poll. */
	uint32_t idle_sleep_max_us; /**< Cap of the doubling sleep. */
	uint16_t rxd;		    /**< RX descriptors per queue of ports opened from now on. */
	uint16_t txd;		    /**< TX descriptors per queue of ports opened from now on. */
	uint32_t mbufs;		    /**< Least size of a packet pool created from now on. */
	uint16_t n_ports;	    /**< Ports opened at start, to size the first pool. */
	struct dp_lcore_map map;    /**< Lcore roles; all zero means one rtc lcore. */
	struct dp_mf_conf mf;	    /**< Initial pipeline settings. */
};

/** What a port is for. */
enum dp_port_role {
	DP_PORT_UNDERLAY = 0, /**< Carries VxLAN to and from remote VTEPs. */
	DP_PORT_ENDPOINT,     /**< A container endpoint bound to one VNI. */
};

/** One DPDK port. */
struct dp_port {
	char name[VX_NAME_LEN];	      /**< "underlay" or the endpoint name. */
	char devargs[DP_DEVARGS_LEN]; /**< How it was created. */
	uint16_t port_id;	      /**< Ethdev port. */
	uint8_t role;		      /**< enum dp_port_role. */
	bool hotplugged;	      /**< We probed it, so we remove it on close. */
	bool started;		      /**< rte_eth_dev_start() succeeded. */
	bool active;		      /**< Polled and sent on; false for a free slot. */
	uint16_t ep;		      /**< Endpoint index, or VX_NONE while not attached. */
	int socket;		      /**< NUMA node its queues and pool use. */
	uint16_t mtu;		      /**< MTU configured on the port. */
	struct rte_ether_addr mac;    /**< Its MAC. */
	uint16_t rxd;		      /**< RX descriptors, as the driver adjusted them. */
	uint16_t txd;		      /**< TX descriptors, as the driver adjusted them. */
	uint16_t pool;		      /**< Its pool: dp->node_pools[socket][pool]. */
	uint32_t reserved;	      /**< Mbufs it has reserved in that pool; 0 for none. */
	/** AF_XDP sockets and BPF objects its driver opened with it (dp_kobj.h). */
	struct dp_kobj_set kobjs;
	/** Its AF_XDP rings, mapped to give their mbufs back on close (dp_kobj.h). */
	struct dp_xsk_view xsk;
};

/**
 * A packet pool of one NUMA node and what the ports using it have reserved
 * in it. Each port reserves room for its RX and TX rings and a burst when it
 * is opened, and gives it back when it is closed. Control thread only.
 *
 * A pool is freed by dp_fini() only: mbufs travel between ports (received
 * on one, held in the TX ring of another), so a pool no port uses may still
 * have mbufs out, and it is kept for ports opened later.
 */
struct dp_pool {
	struct rte_mempool *mp; /**< The pool; NULL for a free slot. */
	uint32_t size;		/**< Mbufs in it. */
	uint32_t room;		/**< Mbufs ports may reserve: size less the in-flight share. */
	uint32_t reserved;	/**< Mbufs reserved by the ports that use it. */
	uint16_t n_ports;	/**< Ports that use it. */
};

struct dp;
struct dp_pipe;
struct vx_worker;

/** State of one datapath lcore. Written only by that lcore, except the snapshot request. */
struct dp_lcore {
	struct dp *dp;	     /**< The dataplane. */
	uint8_t role;	     /**< enum dp_role. */
	uint16_t index;	     /**< Worker index, for workers. */
	uint64_t pkts;	     /**< Packets (or ring entries, for workers) handled. */
	struct rte_ring *in; /**< Worker: entries from the dispatcher (replaced by dp_pipe_resize();
				the worker loop reads its rings through dp->pipe->wr). */
	struct rte_ring *out;  /**< Worker: entries for the merger. */
	struct vx_worker *vw;  /**< Worker: requests to the table owner. */
	uint64_t in_done;      /**< Worker: entries taken and fully passed on (release). */
	uint64_t out_prod;     /**< Worker: entries put on out (release). */
	uint64_t stop_tsc;     /**< When the loop stopped, 0 while it runs. */
	int64_t cpu_ns_final;  /**< The thread's CPU time when the loop stopped. */
	struct vx_stats st;    /**< Counters. */
	unsigned int lcore_id; /**< The lcore. */
	uint16_t qsbr_id;      /**< Its thread ID in dp->qsbr. */
	pthread_t thread;      /**< Its thread, for CPU time accounting. */
	bool running;	       /**< Set while the loop runs. */
	bool launched;	       /**< dp_launched() was called: the lcore owns the tables. */
	bool stopped;	       /**< The loop has ended and no longer touches the tables. */
	uint64_t start_tsc;    /**< When the loop started. */
	uint64_t busy_tsc;     /**< Cycles spent in polls that found packets. */
	uint64_t idle_sleeps;  /**< Sleeps taken by the idle back-off. */
	uint32_t snap_req;     /**< Bumped by the control thread to ask for a snapshot. */
	uint32_t snap_done;    /**< Set to snap_req by the lcore once the snapshot is taken. */
	struct rte_eth_dev_tx_buffer *txb[DP_MAX_PORTS]; /**< TX buffers by port index. */
};

/** A copy of the tables, taken by the datapath lcore on request. */
struct dp_snapshot {
	unsigned int n_fdb;		      /**< Entries copied. */
	unsigned int fdb_total;		      /**< Entries in the FDB. */
	struct vx_fdb_entry fdb[DP_SNAP_FDB]; /**< Up to DP_SNAP_FDB entries. */
	unsigned int n_neigh;		      /**< Neighbours copied. */
	struct vx_neigh neigh[VX_MAX_NEIGH];  /**< Hold queues are not meaningful here. */
};

/** The dataplane. */
struct dp {
	struct dp_params p;		    /**< Tunables. */
	uint16_t n_ports;		    /**< Ports in use. */
	struct dp_port ports[DP_MAX_PORTS]; /**< Index 0 is the underlay. */
	/** The first packet pool of each NUMA node (node_pools[node][0].mp), for copies. */
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES];
	/** Every packet pool of each NUMA node, oldest first (control thread only). */
	struct dp_pool node_pools[RTE_MAX_NUMA_NODES][DP_MAX_POOLS];
	uint16_t n_node_pools[RTE_MAX_NUMA_NODES]; /**< Pools in node_pools[node]. */
	struct vx_inst *vx;			   /**< The VxLAN instance the lcore runs. */
	struct dp_lcore *lc;			   /**< The dispatch lcore (table owner). */
	struct dp_lcore *mlc;			   /**< The lcore that transmits (may be lc). */
	uint16_t n_workers;			   /**< Worker lcores. */
	struct dp_lcore *wlc[DP_MF_MAX_WORKERS];   /**< Worker lcores. */
	struct dp_pipe *pipe;	   /**< Micro-flow pipeline, NULL without worker lcores. */
	struct dp_snapshot *snap;  /**< Filled on request. */
	struct dp_cap *cap;	   /**< Packet captures (dp_capture.h), NULL until the first. */
	struct rte_rcu_qsbr *qsbr; /**< Quiescent-state reports of every datapath lcore. */
	volatile bool quit;	   /**< Set to stop the loop. */
	uint64_t drain_tsc;	   /**< drain_us in TSC ticks (written by the dispatch lcore). */
	/** The command the control thread hands the dispatch lcore (dp_ops.h). */
	struct {
		int (*fn)(struct dp *dp, void *arg); /**< What to run. */
		void *arg;			     /**< Its argument. */
		bool drain;			     /**< Drain the pipeline first. */
		int rc;				     /**< Its result, once done. */
		uint32_t state;			     /**< enum dp_cmd_state. */
	} cmd;
	uint64_t stats_seq;  /**< Counts dp_stats_json() calls (control thread only). */
	uint64_t mf_refused; /**< Pipeline changes refused (control thread only). */
	/** Descriptors closed ports' drivers left open and mflowd closed (dp_kobj.h). */
	uint64_t kobj_reaped;
	/** Mbufs recovered from the rings of closed AF_XDP ports (dp_kobj.h). */
	uint64_t xsk_mbufs_recovered;
};

/**
 * Prepare a dataplane: choose the datapath lcore and create the first
 * packet pool of its NUMA node, sized for the p->n_ports ports opened at
 * start plus DP_SPARE_PORTS, the pipeline and packets in flight, and at
 * least p->mbufs. EAL must be initialised.
 *
 * @param dp
 *   Zeroed storage for the dataplane.
 * @param p
 *   Tunables; copied.
 * @return
 *   0, -EINVAL for bad tunables, -ENOMEM.
 */
int dp_init(struct dp *dp, const struct dp_params *p);

/**
 * Open a port: find an existing ethdev by name or hot-plug the device
 * described by @p devargs, then configure one RX and one TX queue of the
 * current sizes (dp_port_defaults_set()) on the NUMA node of the port (or
 * of the datapath lcore for virtual devices), with a pool on that node.
 * The port is not started. Control thread only.
 *
 * The port reserves its RX and TX descriptors and a burst of mbufs in the
 * newest pool of its node that still has room for them; when none has, a
 * new pool is created with room for it and DP_POOL_GROW_PORTS more ports
 * of its size (at least dp_port_defaults_get() mbufs, or, when memory is
 * short, room for this port alone). dp_port_close_one() releases the
 * reservation.
 *
 * @param name
 *   "underlay" or the endpoint name.
 * @param devargs
 *   DPDK device arguments ("net_af_xdp0,iface=veth1", a PCI address, ...).
 * @param role
 *   enum dp_port_role.
 * @param ep
 *   Endpoint index when @p role is DP_PORT_ENDPOINT.
 * @param mtu
 *   MTU to configure.
 * @return
 *   The port index, -ENODEV if the device cannot be probed, -EINVAL if the
 *   device rejects the configuration, -ENOSPC, -ENOMEM.
 */
int dp_port_open(struct dp *dp, const char *name, const char *devargs, enum dp_port_role role,
		 uint16_t ep, uint16_t mtu);

/**
 * Start every opened port.
 *
 * @return
 *   0, or the -errno of the first port that failed (others are stopped).
 */
int dp_ports_start(struct dp *dp);

/** Stop, close and (when hot-plugged) remove every port; NULL is accepted. */
void dp_ports_close(struct dp *dp);

/**
 * Free pools, TX buffers and the snapshot; does not touch ports; NULL is
 * accepted. Every pool is freed, so call it once the ports are closed and
 * every mbuf is back (after vx_destroy() and dp_pipe_destroy()).
 */
void dp_fini(struct dp *dp);

/** Arguments of dp_port_defaults_set(); 0 keeps a value. */
struct dp_port_defaults {
	uint16_t rxd;	/**< RX descriptors per queue, 64..4096. */
	uint16_t txd;	/**< TX descriptors per queue, 64..4096. */
	uint32_t mbufs; /**< Least mbufs of a new packet pool, 1023..1048575. */
};

/**
 * Change the queue sizes of the ports opened from now on, and the least
 * size of the packet pools created from now on. Ports already open keep
 * their queues (their sizes are in struct dp_port rxd and txd) and pools
 * keep their size: a running port cannot have its queues set up again with
 * every driver (net_af_xdp cannot), and other drivers take their ring sizes
 * from their device arguments. Control thread only; no lcore reads these
 * values.
 *
 * @param d
 *   The new values; a 0 member keeps its value.
 * @return
 *   0, or -EINVAL if a value is out of range, in which case nothing changes.
 */
int dp_port_defaults_set(struct dp *dp, const struct dp_port_defaults *d);

/** Copy the values ports and pools opened from now on get (none is 0). */
void dp_port_defaults_get(const struct dp *dp, struct dp_port_defaults *d);

/**
 * @return the packet pool a port's RX queue takes mbufs from, or NULL when
 *   the slot is free or its queues are not set up.
 */
struct rte_mempool *dp_port_pool(const struct dp *dp, uint16_t idx);

/**
 * The datapath loop; runs until dp->quit is set.
 *
 * @param arg
 *   The struct dp.
 * @return
 *   0.
 */
int dp_loop(void *arg);

/**
 * Hand the tables to the datapath lcore. Call it right before launching
 * dp_loop(), on a worker lcore or on the current thread; from then on
 * dp_snapshot() asks the lcore for copies until the loop has ended.
 */
void dp_launched(struct dp *dp);

/**
 * Create the pipeline: worker and merge lcore state, rings, the splitter,
 * the merger and the elephant detector, in the initial mode. Call it after
 * the VxLAN instance and the ports exist, before the launch. Without worker
 * lcores in the map this does nothing and the dataplane stays rtc.
 *
 * @return
 *   0, -EINVAL for a bad map or settings, -ENOMEM.
 */
int dp_pipe_create(struct dp *dp);

/** Free the pipeline and every packet still in it; NULL dp->pipe is accepted. */
void dp_pipe_destroy(struct dp *dp);

/**
 * Launch every role on its lcore, except the role of the main lcore, if
 * any: the caller runs that one with dp_run_main() (and serves control from
 * another thread).
 *
 * @return
 *   0, or -EBUSY if an lcore is not free.
 */
int dp_launch(struct dp *dp);

/** @return true if the main lcore has a role, to be run with dp_run_main(). */
bool dp_main_has_role(const struct dp *dp);

/** Run the main lcore's role until dp->quit is set. */
void dp_run_main(struct dp *dp);

/** Wait for every launched lcore to return (after dp->quit was set). */
void dp_wait(struct dp *dp);

/** The worker lcore loop (launched by dp_launch()); @p arg is its struct dp_lcore. */
int dp_worker_loop(void *arg);

/** The merge lcore loop, when merging has an lcore of its own; @p arg is the struct dp. */
int dp_merge_loop(void *arg);

/**
 * Change the pipeline settings under traffic. The dispatch lcore stops
 * taking packets, waits until everything in flight has been merged (or the
 * settings' merge timeout, at least 100 ms, has passed), applies the change,
 * and goes on: no packet is lost or reordered by the change.
 *
 * @param c
 *   The new settings; copied.
 * @param timeout_ms
 *   How long to wait for the dispatch lcore.
 * @return
 *   0; -EINVAL for bad settings (nothing changes); -ENOTSUP for a mode
 *   other than rtc without worker lcores; -EBUSY when another change is
 *   still pending; -EINPROGRESS when the lcore did not answer within
 *   @p timeout_ms (the change may still happen; see
 *   dp_mf_reconfigure_wait_ms()); -ETIMEDOUT when the lcore could not drain
 *   its workers in time and kept the old settings; -ENOMEM.
 */
int dp_mf_reconfigure(struct dp *dp, const struct dp_mf_conf *c, unsigned int timeout_ms);

/**
 * @return a timeout for dp_mf_reconfigure() long enough for any drain the
 *   current settings allow, in milliseconds.
 */
unsigned int dp_mf_reconfigure_wait_ms(const struct dp *dp);

/** Copy the settings in force. */
void dp_mf_conf_get(const struct dp *dp, struct dp_mf_conf *c);

/** @return "rtc", "pinned", "microflow" or "?". */
const char *dp_mode_name(uint8_t mode);

/**
 * Find a port by name.
 *
 * @return
 *   Its index in dp->ports, or -ENOENT.
 */
int dp_port_find(const struct dp *dp, const char *name);

/**
 * Start one opened port and publish it to the lcores (they poll it and
 * send on it from then on).
 *
 * @return
 *   0, or the -errno of rte_eth_dev_start().
 */
int dp_port_start_one(struct dp *dp, uint16_t idx);

/**
 * Flush, stop, close and (when hot-plugged) remove one port, release what
 * it reserved in its pool, and free its slot. No lcore may use the slot any
 * more: it must have been inactive for a grace period (dp_qsbr_sync()), or
 * the lcores must not run.
 */
void dp_port_close_one(struct dp *dp, uint16_t idx);

/** States of dp->cmd. */
enum dp_cmd_state {
	DP_CMD_IDLE = 0, /**< No command. */
	DP_CMD_POSTED, /**< Waiting for the dispatch lcore (the control thread may withdraw it). */
	DP_CMD_TAKEN,  /**< Running on the dispatch lcore. */
	DP_CMD_DONE,   /**< Done; rc is set. */
};

/**
 * Dispatch lcore: run the posted command now, or fail it with @p fail when
 * that is not 0, unless the control thread has withdrawn it.
 */
void dp_cmd_run(struct dp *dp, int fail);

/**
 * Wait for a grace period: return once every datapath lcore that runs has
 * reported a quiescent state (the top of its loop, or a sleep) after the
 * call began, so that nothing an lcore could reach before the call is still
 * in use. Lcores not launched or already stopped do not count.
 * Control thread only.
 *
 * @return
 *   0, or -ETIMEDOUT if an lcore did not report within @p timeout_ms.
 */
int dp_qsbr_sync(struct dp *dp, unsigned int timeout_ms);

/**
 * Take a snapshot of the FDB and neighbour tables into dp->snap. Once the
 * loop is launched the request goes to the datapath lcore and this waits up
 * to @p timeout_ms; before the launch and after the loop ended the tables
 * are read directly.
 *
 * @return
 *   0, or -ETIMEDOUT, in which case dp->snap must not be read (the lcore
 *   may still be writing it).
 */
int dp_snapshot(struct dp *dp, unsigned int timeout_ms);

/**
 * Build the counters, ports and tables as JSON (format in docs/architecture.md).
 *
 * @return
 *   A new reference the caller owns, or NULL on allocation failure.
 */
json_t *dp_stats_json(struct dp *dp);

/**
 * Write dp_stats_json() to @p path atomically (temporary file and rename).
 *
 * @return
 *   0, or -errno.
 */
int dp_stats_write(struct dp *dp, const char *path);

/** Print counters as readable tables. */
void dp_stats_print(struct dp *dp, FILE *f);

#endif /* DP_H */
