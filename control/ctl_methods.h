/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * mflowd's control methods: the table every front-end (control socket,
 * CoAP, telemetry) serves. Each handler turns its checked parameters into
 * the args struct of a core function (dp_ops.h, dp_capture.h,
 * dp_mf_reconfigure()), calls it, and serialises the result; it decides
 * nothing on its own. docs/control-api.md documents every method.
 *
 * Threading: handlers run on the control thread; the context's lock is
 * held while one runs, so that the telemetry thread can call read-only
 * methods safely (ctl_methods_call_locked()).
 */
#ifndef CTL_METHODS_H
#define CTL_METHODS_H

#include <pthread.h>

#include <jansson.h>

#include "ct.h"
#include "ctl_config.h"
#include "ctl_rpc.h"
#include "dp.h"

/** What the handlers work on. */
struct ctl_ctx {
	struct dp *dp;		       /**< The running dataplane. */
	const struct ctl_config *boot; /**< The config mflowd started with. */
	pthread_mutex_t lock;	       /**< Held while a handler runs. */
	char stats_file[CTL_PATH_LEN]; /**< Where the stats file goes; "" = nowhere. */
	uint32_t stats_interval_s;     /**< Its period; 0 = on SIGUSR1 and exit only. */
	/*
	 * The front-ends' settings in force, and a change the control thread
	 * applies after the request that asked for it is answered (the handler
	 * runs inside the front-end it replaces).
	 */
	struct ctl_control_cfg control;	     /**< The control socket in force. */
	struct ctl_coap_cfg coap;	     /**< The CoAP endpoint in force. */
	bool control_pending;		     /**< control_next waits to be applied. */
	bool coap_pending;		     /**< coap_next waits to be applied. */
	struct ctl_control_cfg control_next; /**< Requested by control.set. */
	struct ctl_coap_cfg coap_next;	     /**< Requested by coap.set. */
	char control_error[CTL_ERR_LEN];     /**< Why the last control.set failed, or "". */
	char coap_error[CTL_ERR_LEN];	     /**< Why the last coap.set failed, or "". */
	struct ct_mgr *ct; /**< Containers (containers/ct.h), NULL when they are off. */
};

/**
 * Register every method of mflowd on @p rpc, whose context must be a
 * struct ctl_ctx with its lock initialised.
 *
 * @return
 *   0, or the -errno of ctl_rpc_register().
 */
int ctl_methods_register(struct ctl_rpc *rpc);

/**
 * Build the running configuration: the start-up config with the tables,
 * ports and pipeline settings as they are now.
 *
 * @param c
 *   The context.
 * @param out
 *   Receives the config; free it with ctl_config_free().
 * @return
 *   0, -ENOMEM, or -ETIMEDOUT when the table snapshot timed out.
 */
int ctl_running_config(struct ctl_ctx *c, struct ctl_config *out);

/**
 * Call a read-only method from another thread (DPDK telemetry): takes the
 * context's lock around ctl_rpc_call().
 *
 * @return
 *   As ctl_rpc_call(); -EPERM for a method that is not read-only.
 */
int ctl_methods_call_locked(struct ctl_rpc *rpc, struct ctl_ctx *c, const char *method,
			    const json_t *params, json_t **result, char *err, size_t errlen);

#endif /* CTL_METHODS_H */
