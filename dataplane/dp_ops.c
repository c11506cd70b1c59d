/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Run-time operations (dp_ops.h): validation on the control thread, then
 * the change as a command on the dispatch lcore.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include "dp_capture.h"
#include "dp_ops.h"
#include "dp_pipe_priv.h"

#define DP_LOG(level, fmt, ...) RTE_LOG(level, USER1, "dp: " fmt "\n", ##__VA_ARGS__)

/* ------------------------------------------------------------------------- */
/* Commands.                                                                 */

static bool
lcore_runs(const struct dp *dp)
{
	return dp->lc != NULL && __atomic_load_n(&dp->lc->launched, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&dp->lc->stopped, __ATOMIC_ACQUIRE);
}

int
dp_cmd_exec(struct dp *dp, dp_cmd_fn_t fn, void *arg, bool drain, unsigned int timeout_ms)
{
	uint64_t deadline;
	uint32_t s;
	int rc;

	if (!lcore_runs(dp))
		return fn(dp, arg);
	dp->cmd.fn = fn;
	dp->cmd.arg = arg;
	dp->cmd.drain = drain;
	dp->cmd.rc = 0;
	__atomic_store_n(&dp->cmd.state, DP_CMD_POSTED, __ATOMIC_RELEASE);
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() * timeout_ms / 1000;
	for (;;) {
		s = __atomic_load_n(&dp->cmd.state, __ATOMIC_ACQUIRE);
		if (s == DP_CMD_DONE)
			break;
		if (s == DP_CMD_POSTED) {
			bool stopped = __atomic_load_n(&dp->lc->stopped, __ATOMIC_ACQUIRE);

			if (stopped || rte_get_timer_cycles() > deadline) {
				uint32_t posted = DP_CMD_POSTED;

				/* Withdraw it; if the lcore took it meanwhile, wait for it. */
				if (__atomic_compare_exchange_n(&dp->cmd.state, &posted,
								DP_CMD_IDLE, false,
								__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
					return stopped ? fn(dp, arg) : -ETIMEDOUT;
				continue;
			}
		}
		rte_delay_us_sleep(50);
	}
	rc = dp->cmd.rc;
	__atomic_store_n(&dp->cmd.state, DP_CMD_IDLE, __ATOMIC_RELEASE);
	return rc;
}

unsigned int
dp_cmd_timeout_ms(const struct dp *dp)
{
	return dp_mf_reconfigure_wait_ms(dp);
}

/* A change workers may see: drain the pipeline first. */
static int
exec_drained(struct dp *dp, dp_cmd_fn_t fn, void *arg)
{
	return dp_cmd_exec(dp, fn, arg, true, dp_cmd_timeout_ms(dp));
}

/* A change of the tables only the dispatch lcore writes. */
static int
exec_owner(struct dp *dp, dp_cmd_fn_t fn, void *arg)
{
	return dp_cmd_exec(dp, fn, arg, false, dp_cmd_timeout_ms(dp));
}

/* ------------------------------------------------------------------------- */
/* Ports.                                                                    */

static bool
name_ok(const char *name)
{
	size_t len = name != NULL ? strnlen(name, VX_NAME_LEN) : 0;

	return len != 0 && len < VX_NAME_LEN;
}

int
dp_port_add(struct dp *dp, const struct dp_port_add_args *a)
{
	uint16_t mtu = a->mtu != 0 ? a->mtu : 1500;
	int idx, rc;

	if (!name_ok(a->name) || a->devargs == NULL || a->devargs[0] == '\0' ||
	    strlen(a->devargs) >= DP_DEVARGS_LEN || mtu < 576 || mtu > 9000)
		return -EINVAL;
	if (dp_port_find(dp, a->name) >= 0)
		return -EEXIST;
	idx = dp_port_open(dp, a->name, a->devargs, DP_PORT_ENDPOINT, VX_NONE, mtu);
	if (idx < 0)
		return idx;
	rc = dp_port_start_one(dp, (uint16_t)idx);
	if (rc < 0) {
		dp_port_close_one(dp, (uint16_t)idx);
		return -ENODEV;
	}
	DP_LOG(NOTICE, "%s: port added (%s)", a->name, a->devargs);
	return 0;
}

/* On the dispatch lcore, drained: stop polling and sending on the port. */
static int
port_off(struct dp *dp, void *arg)
{
	struct dp_port *port = arg;
	struct rte_eth_dev_tx_buffer *txb = dp->mlc->txb[port - dp->ports];

	__atomic_store_n(&port->active, false, __ATOMIC_RELEASE);
	/* When this lcore transmits, nothing can be left for it. */
	if (dp->mlc == dp->lc)
		rte_eth_tx_buffer_flush(port->port_id, 0, txb);
	return 0;
}

int
dp_port_del(struct dp *dp, const struct dp_port_del_args *a)
{
	int idx = a->name != NULL ? dp_port_find(dp, a->name) : -ENOENT;
	struct dp_port *port;
	int rc;

	if (idx < 0)
		return -ENOENT;
	port = &dp->ports[idx];
	if (port->role == DP_PORT_UNDERLAY)
		return -EPERM;
	if (port->ep != VX_NONE)
		return -EBUSY;
	dp_capture_port_closing(dp, (uint16_t)idx);
	rc = exec_drained(dp, port_off, port);
	if (rc < 0)
		return rc;
	/* Once every lcore has passed a grace point, none touches the slot. */
	rc = dp_qsbr_sync(dp, dp_cmd_timeout_ms(dp));
	if (rc < 0) {
		/* Keep the slot rather than close a port an lcore may still use. */
		DP_LOG(ERR, "%s: an lcore did not report; the port stays down", a->name);
		return rc;
	}
	DP_LOG(NOTICE, "%s: port removed", port->name);
	dp_port_close_one(dp, (uint16_t)idx);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* VNIs and VTEPs.                                                           */

static int
vni_add_cmd(struct dp *dp, void *arg)
{
	const struct dp_vni_args *a = arg;
	int rc = vx_vni_add(dp->vx, a->vni);

	return rc < 0 ? rc : 0;
}

int
dp_vni_add(struct dp *dp, const struct dp_vni_args *a)
{
	if (a->vni > VX_VNI_MAX)
		return -EINVAL;
	if (vx_vni_find(dp->vx, a->vni) >= 0)
		return -EEXIST;
	return exec_drained(dp, vni_add_cmd, (void *)(uintptr_t)a);
}

static int
vni_del_cmd(struct dp *dp, void *arg)
{
	const struct dp_vni_args *a = arg;

	if (a->force)
		for (uint16_t i = 0; i < dp->n_ports; i++) {
			struct dp_port *port = &dp->ports[i];
			uint16_t ep = port->ep;

			if (port->name[0] == '\0' || port->role != DP_PORT_ENDPOINT ||
			    ep == VX_NONE || dp->vx->eps[ep].vni != a->vni)
				continue;
			port->ep = VX_NONE;
			vx_endpoint_del(dp->vx, ep);
		}
	return vx_vni_del(dp->vx, a->vni);
}

int
dp_vni_del(struct dp *dp, const struct dp_vni_args *a)
{
	int vi = a->vni <= VX_VNI_MAX ? vx_vni_find(dp->vx, a->vni) : -ENOENT;

	if (vi < 0)
		return -ENOENT;
	if (dp->vx->vnis[vi].n_eps != 0 && !a->force)
		return -EBUSY;
	for (uint16_t i = 0; a->force && i < dp->n_ports; i++)
		if (dp->ports[i].name[0] != '\0' && dp->ports[i].ep != VX_NONE &&
		    dp->vx->eps[dp->ports[i].ep].vni == a->vni)
			dp_capture_port_closing(dp, i);
	return exec_drained(dp, vni_del_cmd, (void *)(uintptr_t)a);
}

static int
vtep_add_cmd(struct dp *dp, void *arg)
{
	const struct dp_vtep_args *a = arg;
	int rc = vx_vtep_add(dp->vx, a->vni, &a->ip);

	return rc < 0 ? rc : 0;
}

int
dp_vtep_add(struct dp *dp, const struct dp_vtep_args *a)
{
	if (a->ip.family != AF_INET && a->ip.family != AF_INET6)
		return -EINVAL;
	if (a->vni > VX_VNI_MAX || vx_vni_find(dp->vx, a->vni) < 0)
		return -ENOENT;
	return exec_drained(dp, vtep_add_cmd, (void *)(uintptr_t)a);
}

static int
vtep_del_cmd(struct dp *dp, void *arg)
{
	const struct dp_vtep_args *a = arg;

	return vx_vtep_del(dp->vx, a->vni, &a->ip);
}

int
dp_vtep_del(struct dp *dp, const struct dp_vtep_args *a)
{
	if (a->vni > VX_VNI_MAX || vx_vni_find(dp->vx, a->vni) < 0 ||
	    vx_vtep_find(dp->vx, &a->ip) < 0)
		return -ENOENT;
	return exec_drained(dp, vtep_del_cmd, (void *)(uintptr_t)a);
}

/* ------------------------------------------------------------------------- */
/* FDB and neighbours: the dispatch lcore writes them; workers read lock-free. */

static int
fdb_add_cmd(struct dp *dp, void *arg)
{
	const struct dp_fdb_args *a = arg;
	const struct vx_fdb_entry *e = vx_fdb_lookup(dp->vx->fdb, a->vni, &a->mac);

	if (e != NULL && e->kind == VX_FDB_LOCAL)
		return -EPERM;
	return vx_fdb_static_remote(dp->vx, a->vni, &a->mac, &a->vtep);
}

int
dp_fdb_add(struct dp *dp, const struct dp_fdb_args *a)
{
	if (a->vni > VX_VNI_MAX || vx_vni_find(dp->vx, a->vni) < 0)
		return -ENOENT;
	if (!rte_is_unicast_ether_addr(&a->mac) || rte_is_zero_ether_addr(&a->mac))
		return -EINVAL;
	return exec_owner(dp, fdb_add_cmd, (void *)(uintptr_t)a);
}

static int
fdb_del_cmd(struct dp *dp, void *arg)
{
	const struct dp_fdb_args *a = arg;
	const struct vx_fdb_entry *e = vx_fdb_lookup(dp->vx->fdb, a->vni, &a->mac);

	if (e == NULL)
		return -ENOENT;
	if (e->kind == VX_FDB_LOCAL && e->is_static)
		return -EPERM;
	return vx_fdb_del(dp->vx->fdb, a->vni, &a->mac);
}

int
dp_fdb_del(struct dp *dp, const struct dp_fdb_args *a)
{
	if (a->vni > VX_VNI_MAX)
		return -ENOENT;
	return exec_owner(dp, fdb_del_cmd, (void *)(uintptr_t)a);
}

/* Collects the static entries towards remote VTEPs of a flush. */
struct flush_keys {
	uint32_t vni;
	unsigned int n, cap;
	struct vx_fdb_entry *keys;
};

static int
flush_collect(const struct vx_fdb_entry *e, void *arg)
{
	struct flush_keys *k = arg;

	if (e->kind == VX_FDB_REMOTE && e->is_static &&
	    (k->vni == VX_VNI_ANY || e->vni == k->vni) && k->n < k->cap)
		k->keys[k->n++] = *e;
	return 0;
}

static int
fdb_flush_cmd(struct dp *dp, void *arg)
{
	struct dp_fdb_flush_args *a = arg;
	struct vx_fdb *fdb = dp->vx->fdb;
	struct flush_keys k = {.vni = a->vni};

	a->removed = vx_fdb_flush(fdb, a->vni, false);
	if (!a->with_static)
		return 0;
	/* Static entries towards VTEPs; those of local endpoints stay. */
	k.cap = vx_fdb_count(fdb);
	if (k.cap == 0)
		return 0;
	k.keys = malloc(sizeof(*k.keys) * k.cap);
	if (k.keys == NULL)
		return -ENOMEM;
	vx_fdb_walk(fdb, flush_collect, &k);
	for (unsigned int i = 0; i < k.n; i++)
		if (vx_fdb_del(fdb, k.keys[i].vni, &k.keys[i].mac) == 0)
			a->removed++;
	free(k.keys);
	return 0;
}

int
dp_fdb_flush(struct dp *dp, struct dp_fdb_flush_args *a)
{
	a->removed = 0;
	if (a->vni != VX_VNI_ANY && (a->vni > VX_VNI_MAX || vx_vni_find(dp->vx, a->vni) < 0))
		return -ENOENT;
	return exec_owner(dp, fdb_flush_cmd, a);
}

static int
neigh_add_cmd(struct dp *dp, void *arg)
{
	const struct dp_neigh_args *a = arg;

	return vx_neigh_add_static(dp->vx, &a->ip, &a->mac);
}

int
dp_neigh_add(struct dp *dp, const struct dp_neigh_args *a)
{
	if ((a->ip.family != AF_INET && a->ip.family != AF_INET6) ||
	    !rte_is_unicast_ether_addr(&a->mac) || rte_is_zero_ether_addr(&a->mac))
		return -EINVAL;
	return exec_owner(dp, neigh_add_cmd, (void *)(uintptr_t)a);
}

static int
neigh_del_cmd(struct dp *dp, void *arg)
{
	const struct dp_neigh_args *a = arg;

	return vx_neigh_del_static(dp->vx, &a->ip);
}

int
dp_neigh_del(struct dp *dp, const struct dp_neigh_args *a)
{
	if (a->ip.family != AF_INET && a->ip.family != AF_INET6)
		return -ENOENT;
	return exec_owner(dp, neigh_del_cmd, (void *)(uintptr_t)a);
}

/* ------------------------------------------------------------------------- */
/* Endpoints.                                                                */

struct attach_cmd {
	struct vx_endpoint ep;
	struct dp_port *port;
};

static int
attach_cmd(struct dp *dp, void *arg)
{
	struct attach_cmd *c = arg;
	int rc = vx_endpoint_add(dp->vx, &c->ep);

	if (rc < 0)
		return rc;
	c->port->ep = (uint16_t)rc;
	return 0;
}

int
dp_ep_attach(struct dp *dp, const struct dp_ep_attach_args *a)
{
	int idx = a->port != NULL ? dp_port_find(dp, a->port) : -ENOENT;
	struct attach_cmd c;

	if (idx < 0 || a->vni > VX_VNI_MAX || vx_vni_find(dp->vx, a->vni) < 0)
		return -ENOENT;
	c.port = &dp->ports[idx];
	if (c.port->role == DP_PORT_UNDERLAY)
		return -EPERM;
	if (c.port->ep != VX_NONE)
		return -EBUSY;
	if (!rte_is_unicast_ether_addr(&a->mac) || rte_is_zero_ether_addr(&a->mac) ||
	    (a->mtu != 0 && (a->mtu < 576 || a->mtu > 9000)))
		return -EINVAL;
	memset(&c.ep, 0, sizeof(c.ep));
	snprintf(c.ep.name, sizeof(c.ep.name), "%s", c.port->name);
	c.ep.mac = a->mac;
	c.ep.vni = a->vni;
	c.ep.port = (uint16_t)idx;
	c.ep.mtu = a->mtu != 0 ? a->mtu : c.port->mtu;
	c.ep.any_src_mac = a->any_src_mac;
	return exec_drained(dp, attach_cmd, &c);
}

static int
detach_cmd(struct dp *dp, void *arg)
{
	struct dp_port *port = arg;
	uint16_t ep = port->ep;

	port->ep = VX_NONE;
	return vx_endpoint_del(dp->vx, ep);
}

int
dp_ep_detach(struct dp *dp, const struct dp_ep_detach_args *a)
{
	int idx = a->port != NULL ? dp_port_find(dp, a->port) : -ENOENT;

	if (idx < 0)
		return -ENOENT;
	if (dp->ports[idx].role != DP_PORT_ENDPOINT || dp->ports[idx].ep == VX_NONE)
		return -EINVAL;
	/* A VNI capture follows the VNI's endpoints: this one leaves it. */
	dp_capture_port_closing(dp, (uint16_t)idx);
	return exec_drained(dp, detach_cmd, &dp->ports[idx]);
}

/* ------------------------------------------------------------------------- */
/* Flows.                                                                    */

static int
flow_rate_cmp(const void *x, const void *y)
{
	const struct dp_flow_info *a = x, *b = y;

	if (a->pkts != b->pkts)
		return a->pkts < b->pkts ? 1 : -1;
	return a->bytes < b->bytes ? 1 : a->bytes > b->bytes ? -1 : 0;
}

struct flows_walk {
	struct dp_flows_args *a;
	uint64_t now;
	uint64_t window;
};

/* Keep the busiest flows in a->out: a small array, sorted once full. */
static void
flow_offer(const struct dp_fl_entry *e, void *arg)
{
	struct flows_walk *w = arg;
	struct dp_flows_args *a = w->a;
	/* A flow silent for a whole window has no rate any more. */
	bool fresh = w->now - e->win_start < 2 * w->window;
	struct dp_flow_info f = {
		.hash = e->hash,
		.elephant = e->elephant,
		.slot = e->slot,
		.pkts = fresh ? e->last_pkts : 0,
		.bytes = fresh ? e->last_bytes : 0,
		.idle_us = (w->now - e->last_seen) * 1000000 / rte_get_tsc_hz(),
	};

	if (a->n < a->max) {
		a->out[a->n++] = f;
		if (a->n == a->max)
			qsort(a->out, a->n, sizeof(*a->out), flow_rate_cmp);
		return;
	}
	if (flow_rate_cmp(&f, &a->out[a->n - 1]) >= 0)
		return;
	a->out[a->n - 1] = f;
	qsort(a->out, a->n, sizeof(*a->out), flow_rate_cmp);
}

static int
flows_cmd(struct dp *dp, void *arg)
{
	struct dp_flows_args *a = arg;
	struct dp_pipe *pp = dp->pipe;
	struct flows_walk w = {.a = a, .now = rte_rdtsc()};

	a->n = 0;
	a->tracked = pp != NULL && pp->fl != NULL && pp->conf.mode == DP_MODE_MICROFLOW;
	a->window_us = pp != NULL ? pp->conf.window_us : dp->p.mf.window_us;
	if (!a->tracked)
		return 0;
	w.window = dp_fl_window(pp->fl);
	dp_fl_walk(pp->fl, flow_offer, &w);
	qsort(a->out, a->n, sizeof(*a->out), flow_rate_cmp);
	return 0;
}

int
dp_flows_top(struct dp *dp, struct dp_flows_args *a)
{
	if (a->max == 0 || a->max > 256 || a->out == NULL)
		return -EINVAL;
	return exec_owner(dp, flows_cmd, a);
}

/* ------------------------------------------------------------------------- */
/* Underlay.                                                                 */

static int
underlay_cmd(struct dp *dp, void *arg)
{
	return vx_underlay_set(dp->vx, arg);
}

int
dp_underlay_set(struct dp *dp, const struct vx_underlay *u)
{
	return exec_drained(dp, underlay_cmd, (void *)(uintptr_t)u);
}

/* ------------------------------------------------------------------------- */
/* Tunables.                                                                 */

#define TUNE_ALL ((1u << 10) - 1)

static bool
tune_ok(const struct dp_tune_args *a)
{
	const unsigned int m = a->set;

	return !((m & DP_TUNE_BURST && (a->burst == 0 || a->burst > DP_BURST_MAX)) ||
		 (m & DP_TUNE_DRAIN_US && (a->drain_us == 0 || a->drain_us > 100000)) ||
		 (m & DP_TUNE_IDLE_SLEEP_US &&
		  (a->idle_sleep_us == 0 || a->idle_sleep_us > 100000)) ||
		 (m & DP_TUNE_IDLE_SLEEP_MAX_US &&
		  (a->idle_sleep_max_us == 0 || a->idle_sleep_max_us > 1000000)) ||
		 (m & DP_TUNE_NEIGH_REACHABLE_S &&
		  (a->neigh_reachable_s == 0 || a->neigh_reachable_s > 86400)) ||
		 (m & DP_TUNE_NEIGH_RETRANS_MS &&
		  (a->neigh_retrans_ms < 10 || a->neigh_retrans_ms > 60000)) ||
		 (m & DP_TUNE_NEIGH_FAILED_S &&
		  (a->neigh_failed_s == 0 || a->neigh_failed_s > 3600)) ||
		 (m & DP_TUNE_NEIGH_PROBES && (a->neigh_probes == 0 || a->neigh_probes > 10)) ||
		 (m & ~TUNE_ALL));
}

static int
tune_cmd(struct dp *dp, void *arg)
{
	const struct dp_tune_args *a = arg;
	struct vx_params *vp = &dp->vx->p;
	const uint64_t hz = rte_get_tsc_hz();

	if (a->set & DP_TUNE_BURST)
		__atomic_store_n(&dp->p.burst, a->burst, __ATOMIC_RELAXED);
	if (a->set & DP_TUNE_DRAIN_US) {
		dp->p.drain_us = a->drain_us;
		__atomic_store_n(&dp->drain_tsc, hz * a->drain_us / 1000000, __ATOMIC_RELAXED);
	}
	if (a->set & DP_TUNE_IDLE_POLLS)
		__atomic_store_n(&dp->p.idle_polls, a->idle_polls, __ATOMIC_RELAXED);
	if (a->set & DP_TUNE_IDLE_SLEEP_US)
		__atomic_store_n(&dp->p.idle_sleep_us, a->idle_sleep_us, __ATOMIC_RELAXED);
	if (a->set & DP_TUNE_IDLE_SLEEP_MAX_US)
		__atomic_store_n(&dp->p.idle_sleep_max_us, a->idle_sleep_max_us, __ATOMIC_RELAXED);
	/* The VxLAN timers run on this lcore only. */
	if (a->set & DP_TUNE_FDB_AGE_S)
		vx_fdb_age_set(dp->vx, hz * a->fdb_age_s);
	if (a->set & DP_TUNE_NEIGH_REACHABLE_S)
		vp->neigh.reachable = hz * a->neigh_reachable_s;
	if (a->set & DP_TUNE_NEIGH_RETRANS_MS)
		vp->neigh.retrans = hz * a->neigh_retrans_ms / 1000;
	if (a->set & DP_TUNE_NEIGH_FAILED_S)
		vp->neigh.failed = hz * a->neigh_failed_s;
	if (a->set & DP_TUNE_NEIGH_PROBES)
		vp->neigh.max_probes = a->neigh_probes;
	return 0;
}

int
dp_tune(struct dp *dp, const struct dp_tune_args *a)
{
	if (!tune_ok(a))
		return -EINVAL;
	if (a->set == 0)
		return 0;
	return exec_owner(dp, tune_cmd, (void *)(uintptr_t)a);
}

void
dp_tune_get(const struct dp *dp, struct dp_tune_args *a)
{
	const struct vx_params *vp = &dp->vx->p;
	const uint64_t hz = rte_get_tsc_hz();

	a->set = TUNE_ALL;
	a->burst = dp->p.burst;
	a->drain_us = dp->p.drain_us;
	a->idle_polls = dp->p.idle_polls;
	a->idle_sleep_us = dp->p.idle_sleep_us;
	a->idle_sleep_max_us = dp->p.idle_sleep_max_us;
	a->fdb_age_s = (uint32_t)((vp->fdb_age + hz / 2) / hz);
	a->neigh_reachable_s = (uint32_t)((vp->neigh.reachable + hz / 2) / hz);
	a->neigh_retrans_ms = (uint32_t)((vp->neigh.retrans * 1000 + hz / 2) / hz);
	a->neigh_failed_s = (uint32_t)((vp->neigh.failed + hz / 2) / hz);
	a->neigh_probes = vp->neigh.max_probes;
}

/* ------------------------------------------------------------------------- */
/* Resizing the FDB.                                                         */

/* On the dispatch lcore, drained: in, the new table; out, the old one. */
static int
fdb_resize_cmd(struct dp *dp, void *arg)
{
	struct vx_fdb **io = arg;
	struct vx_fdb *old = vx_fdb_replace(dp->vx, *io);

	if (old == NULL)
		return -errno;
	*io = old;
	return 0;
}

int
dp_fdb_resize(struct dp *dp, uint32_t size)
{
	struct vx_fdb *fdb, *io;
	int rc;

	if (size < DP_FDB_SIZE_MIN || size > DP_FDB_SIZE_MAX)
		return -EINVAL;
	if (size == dp->vx->p.fdb_size)
		return 0;
	/* Checked again on the lcore, where the count cannot move. */
	if (vx_fdb_count(dp->vx->fdb) > size)
		return -ENOSPC;
	fdb = vx_fdb_create(size, dp->vx->p.socket);
	if (fdb == NULL)
		return -ENOMEM;
	io = fdb;
	rc = exec_drained(dp, fdb_resize_cmd, &io);
	if (rc < 0) {
		/* Not published: the command failed or never ran. */
		vx_fdb_destroy(fdb);
		return rc;
	}
	/* Workers may still hold the old table until they pass a grace point. */
	rc = dp_qsbr_sync(dp, dp_cmd_timeout_ms(dp));
	if (rc < 0) {
		DP_LOG(ERR, "fdb: an lcore did not report; the old table is leaked");
		return 0;
	}
	vx_fdb_destroy(io);
	DP_LOG(NOTICE, "fdb: %u entries of room now", size);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Replacing the underlay port.                                              */

/* What the drained swap needs. */
struct ul_swap {
	uint16_t old_idx; /* The underlay port now. */
	uint16_t new_idx; /* The port that takes over. */
	bool follow_mac;  /* The underlay MAC is the old port's: take the new one's. */
};

/* On the dispatch lcore, drained: send on the new port from now on. */
static int
ul_swap_cmd(struct dp *dp, void *arg)
{
	const struct ul_swap *s = arg;
	struct dp_port *oldp = &dp->ports[s->old_idx];
	struct dp_port *newp = &dp->ports[s->new_idx];

	if (s->follow_mac) {
		struct vx_underlay u;
		int rc;

		vx_underlay_get(dp->vx, &u);
		u.mac = newp->mac;
		rc = vx_underlay_set(dp->vx, &u);
		if (rc < 0)
			return rc;
	}
	dp->vx->p.underlay_port = s->new_idx;
	port_off(dp, oldp);
	/* The names are read by the control thread only, which waits for this. */
	snprintf(oldp->name, sizeof(oldp->name), "%s", "underlay-old");
	snprintf(newp->name, sizeof(newp->name), "%s", "underlay");
	/* Next hops learn our MAC on the new link from fresh probes. */
	vx_neigh_reprobe(dp->vx);
	return 0;
}

int
dp_underlay_port_set(struct dp *dp, const char *devargs)
{
	struct ul_swap s;
	struct dp_port *oldp;
	int idx, rc;

	if (devargs == NULL || devargs[0] == '\0' || strlen(devargs) >= DP_DEVARGS_LEN)
		return -EINVAL;
	s.old_idx = dp->vx->p.underlay_port;
	oldp = &dp->ports[s.old_idx];
	if (strcmp(oldp->devargs, devargs) == 0)
		return 0;
	/* A name no config or method can give, while both ports exist. */
	idx = dp_port_open(dp, "underlay+", devargs, DP_PORT_UNDERLAY, VX_NONE, oldp->mtu);
	if (idx < 0)
		return idx;
	s.new_idx = (uint16_t)idx;
	s.follow_mac = rte_is_same_ether_addr(&dp->vx->p.mac, &oldp->mac);
	/* Polled from here on, so what the peer sends to either port arrives. */
	rc = dp_port_start_one(dp, s.new_idx);
	if (rc < 0) {
		rc = -ENODEV;
		goto out_close;
	}
	rc = exec_drained(dp, ul_swap_cmd, &s);
	if (rc < 0)
		goto out_off;
	dp_capture_port_closing(dp, s.old_idx);
	rc = dp_qsbr_sync(dp, dp_cmd_timeout_ms(dp));
	if (rc < 0) {
		DP_LOG(ERR, "underlay: an lcore did not report; %s stays open", oldp->devargs);
		return 0;
	}
	DP_LOG(NOTICE, "underlay: now %s (was %s)", dp->ports[s.new_idx].devargs, oldp->devargs);
	dp_port_close_one(dp, s.old_idx);
	return 0;

out_off:
	/* The lcores may poll the new port: take it out of use first. */
	if (exec_drained(dp, port_off, &dp->ports[s.new_idx]) < 0 ||
	    dp_qsbr_sync(dp, dp_cmd_timeout_ms(dp)) < 0) {
		DP_LOG(ERR, "underlay: cannot retire %s; it stays open", devargs);
		return rc;
	}
out_close:
	dp_port_close_one(dp, s.new_idx);
	return rc;
}
