/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Container lifecycle: the core functions behind `container.*`.
 *
 * A container is a named network namespace (ct_nl.h) joined to the host by
 * a veth pair, whose host end becomes a dataplane port attached to the
 * container's VNI, and a process run by an OCI runtime (ct_oci.h) inside
 * that namespace. Each container has a record on disk (ct_state.h), written
 * before anything is made (state CREATING) and after every change, so that
 * a restarted mflowd re-adopts running containers and undoes half-made or
 * half-deleted ones (ct_mgr_adopt()).
 *
 * The manager reaches the dataplane only through struct ct_dp_ops, so this
 * code needs no DPDK and its tests can run without a dataplane. All
 * functions run on the control thread; none is thread-safe.
 */
#ifndef CT_H
#define CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ct_state.h"

/** Add a dataplane port over a device; 0 or -errno. */
typedef int(ct_port_add_fn)(void *arg, const char *name, const char *devargs, uint16_t mtu);
/** Remove a dataplane port (detached first); 0, -ENOENT or -errno. */
typedef int(ct_port_del_fn)(void *arg, const char *name);
/** Attach a port to a VNI with the endpoint's MAC and MTU; 0 or -errno. */
typedef int(ct_ep_attach_fn)(void *arg, const char *port, uint32_t vni, const uint8_t mac[6],
			     uint16_t mtu);
/** Detach a port from its VNI; 0, -ENOENT or -errno. */
typedef int(ct_ep_detach_fn)(void *arg, const char *port);

/** How the manager changes the dataplane. */
struct ct_dp_ops {
	ct_port_add_fn *port_add;
	ct_port_del_fn *port_del;
	ct_ep_attach_fn *ep_attach;
	ct_ep_detach_fn *ep_detach;
	void *arg; /**< Passed to each. */
};

/** Which PMD the host end of a container's veth is opened with. */
enum ct_pmd {
	CT_PMD_AUTO = 0,  /**< AF_XDP, falling back to AF_PACKET. */
	CT_PMD_AF_XDP,	  /**< AF_XDP only. */
	CT_PMD_AF_PACKET, /**< AF_PACKET only. */
};

/** Manager settings (the config's "containers" section). */
struct ct_mgr_conf {
	char state_dir[CT_PATH_LEN]; /**< Records; default CT_STATE_DIR_DEFAULT. */
	char run_dir[256];	     /**< Bundles and runtime state; default /run/mflowd. */
	char runtime[CT_PATH_LEN];   /**< Default runtime: "runc", "crun" or a path. */
	uint8_t pmd;		     /**< enum ct_pmd. */
	unsigned int stop_grace_ms;  /**< SIGTERM to SIGKILL; default 3000. */
	unsigned int start_check_ms; /**< Watch a new process for this long; default 200. */
};

struct ct_mgr;

/**
 * Create a manager and load the records in conf->state_dir (nothing is
 * adopted yet: see ct_mgr_adopt()).
 *
 * @param ops
 *   Dataplane operations; copied.
 * @return
 *   The manager, or NULL with errno set and a message in @p err (EPERM or
 *   ENOTDIR for an unusable state directory, ENOMEM).
 */
struct ct_mgr *ct_mgr_create(const struct ct_mgr_conf *conf, const struct ct_dp_ops *ops, char *err,
			     size_t errlen);

/**
 * Reconcile the records with the system after a start: containers caught
 * in CREATING or DELETING are undone; the others get their port back
 * (re-attached to their VNI) and their state from the runtime (RUNNING with
 * its pid, or STOPPED). A container whose namespace or veth vanished is
 * removed. Every action is logged through @p log.
 *
 * @return
 *   The number of containers adopted.
 */
unsigned int ct_mgr_adopt(struct ct_mgr *m, void (*log)(const char *msg, void *arg), void *log_arg);

/** Free the manager; containers keep running (a restart re-adopts them). NULL is accepted. */
void ct_mgr_destroy(struct ct_mgr *m);

/**
 * Create and start a container (see @file). Everything made is undone on
 * failure.
 *
 * @return
 *   0; -EINVAL bad arguments; -EEXIST a name, IP or MAC already in use in
 *   the VNI; -ENOENT a missing bundle, rootfs or runtime; -ECHILD the
 *   process exited at once; -ENODEV the port could not be added; or the
 *   -errno of the step that failed. The message names the cause.
 */
int ct_create(struct ct_mgr *m, const struct ct_create_args *a, char *err, size_t errlen);

/** Arguments of the operations on one container. */
struct ct_name_args {
	const char *name; /**< The container. */
};

/**
 * Start a stopped container's process again (its network stays as it was).
 *
 * @return
 *   0; -ENOENT no such container; -EALREADY it runs; -ECHILD it exited at
 *   once; or the runtime's -errno.
 */
int ct_start(struct ct_mgr *m, const struct ct_name_args *a, char *err, size_t errlen);

/**
 * Stop a container's process (SIGTERM, then SIGKILL after the grace
 * period); the network and the port stay.
 *
 * @return
 *   0 (also when it was not running); -ENOENT; or the runtime's -errno.
 */
int ct_stop(struct ct_mgr *m, const struct ct_name_args *a, char *err, size_t errlen);

/**
 * Delete a container: stop it, remove the runtime's container and cgroup,
 * detach and remove the port, delete the veth and the namespace, the
 * bundle and the record. Each step tolerates what is already gone, so a
 * delete interrupted by a crash completes on the next start.
 *
 * @return
 *   0; -ENOENT no such container; or the -errno of a step that failed (the
 *   record stays, in state DELETING, for a later retry).
 */
int ct_delete(struct ct_mgr *m, const struct ct_name_args *a, char *err, size_t errlen);

/** Arguments of ct_exec(). */
struct ct_exec_args {
	const char *name;	 /**< The container, which must run. */
	const char *const *argv; /**< The command, NULL-terminated. */
	unsigned int timeout_ms; /**< 0: 10 s. */
	char *out;		 /**< Receives stdout and stderr, NUL-terminated. */
	size_t outlen;		 /**< Its size. */
	int status;		 /**< Out: the exit status (128 + signal when killed). */
};

/**
 * Run a command inside a running container.
 *
 * @return
 *   0 whatever the command's status; -ENOENT; -EINVAL not running or bad
 *   arguments; -ETIMEDOUT.
 */
int ct_exec(struct ct_mgr *m, struct ct_exec_args *a, char *err, size_t errlen);

/**
 * Describe containers, with the runtime's view of each (status, pid).
 *
 * @param name
 *   One container, or NULL for all.
 * @param out
 *   Receives a new reference: an array of objects (ct_rec_json() plus
 *   "status"), owned by the caller.
 * @return
 *   0, -ENOENT (no such container), -ENOMEM.
 */
int ct_list(struct ct_mgr *m, const char *name, json_t **out);

/** @return the number of containers the manager knows. */
unsigned int ct_count(const struct ct_mgr *m);

#endif /* CT_H */
