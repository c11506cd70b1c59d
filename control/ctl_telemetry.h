/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * DPDK telemetry commands for mflowd's read-only methods, so that
 * dpdk-telemetry.py (and anything that speaks the telemetry socket) can
 * read mflowd's counters next to DPDK's own.
 *
 * Every read-only method "group.verb" is registered as the telemetry
 * command "/mflowd/group/verb". Its parameters, if any, follow the comma as
 * a JSON object: "/mflowd/counters/show,{\"all\":true}". Telemetry values
 * are flat, so the result is flattened into one dictionary whose keys are
 * JSON paths ("totals/drops/vni_unknown", "lcores/0/role"); at most
 * RTE_TEL_MAX_DICT_ENTRIES keys are returned, and "truncated" says when
 * some were left out.
 *
 * Telemetry calls come from DPDK's telemetry thread; they go through
 * ctl_methods_call_locked(), which serialises them with the control
 * thread.
 */
#ifndef CTL_TELEMETRY_H
#define CTL_TELEMETRY_H

#include "ctl_methods.h"
#include "ctl_rpc.h"

/**
 * Register the telemetry commands. Call once, after rte_eal_init().
 *
 * @param rpc
 *   The method table; must stay valid until ctl_telemetry_stop().
 * @param c
 *   The handlers' context.
 * @return
 *   The number of commands registered, or -errno of the first failure.
 */
int ctl_telemetry_start(struct ctl_rpc *rpc, struct ctl_ctx *c);

/**
 * Make the commands answer "not running" from now on (DPDK 22.11 cannot
 * unregister them), before @p rpc and the context go away.
 */
void ctl_telemetry_stop(void);

#endif /* CTL_TELEMETRY_H */
