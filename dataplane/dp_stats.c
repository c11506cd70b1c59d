/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters as JSON and as readable tables.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "dp_ops.h"
#include "dp_pipe_priv.h"

static json_t *
counters_json(const struct vx_stats *st, bool drops)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (drops)
		for (unsigned int i = 0; i < VX_DROP__MAX; i++)
			json_object_set_new(o, vx_drop_names[i],
					    json_integer((json_int_t)st->drop[i]));
	else
		for (unsigned int i = 0; i < VX_STAT__MAX; i++)
			json_object_set_new(o, vx_stat_names[i],
					    json_integer((json_int_t)st->stat[i]));
	return o;
}

/* CPU time the datapath thread used, in nanoseconds, or -1. */
static int64_t
lcore_cpu_ns(const struct dp_lcore *lc)
{
	clockid_t cid;
	struct timespec ts;

	if (!__atomic_load_n(&lc->running, __ATOMIC_ACQUIRE))
		return lc->stop_tsc != 0 ? lc->cpu_ns_final : -1;
	if (pthread_getcpuclockid(lc->thread, &cid) != 0 || clock_gettime(cid, &ts) != 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Every lcore with a role, dispatch first. */
static unsigned int
lcores_list(const struct dp *dp, const struct dp_lcore **all)
{
	unsigned int n = 0;

	all[n++] = dp->lc;
	if (dp->mlc != NULL && dp->mlc != dp->lc)
		all[n++] = dp->mlc;
	for (uint16_t w = 0; w < dp->n_workers; w++)
		all[n++] = dp->wlc[w];
	return n;
}

static const char *
role_name(const struct dp *dp, const struct dp_lcore *lc)
{
	switch (lc->role) {
	case DP_ROLE_WORKER:
		return "worker";
	case DP_ROLE_MERGE:
		return "merge";
	default:
		if (dp->pipe == NULL)
			return "rtc";
		return dp->mlc == dp->lc ? "dispatch+merge" : "dispatch";
	}
}

/* Counters as an object; with @p all false only those that are not zero. */
static json_t *
counters_json_sel(const struct vx_stats *st, bool drops, bool all)
{
	json_t *o = json_object();
	unsigned int n = drops ? VX_DROP__MAX : VX_STAT__MAX;

	for (unsigned int i = 0; o != NULL && i < n; i++) {
		uint64_t v = drops ? st->drop[i] : st->stat[i];

		if (v != 0 || all)
			json_object_set_new(o, drops ? vx_drop_names[i] : vx_stat_names[i],
					    json_integer((json_int_t)v));
	}
	return o;
}

static void totals(const struct dp *dp, struct vx_stats *sum);

json_t *
dp_counters_json(struct dp *dp, bool all)
{
	const struct dp_lcore *lcs[DP_MF_MAX_WORKERS + 2];
	unsigned int n = lcores_list(dp, lcs);
	json_t *root = json_object(), *tot = json_object(), *arr = json_array();
	struct vx_stats sum;

	if (root == NULL || tot == NULL || arr == NULL)
		goto out_free;
	totals(dp, &sum);
	json_object_set_new(tot, "drops", counters_json_sel(&sum, true, all));
	json_object_set_new(tot, "stats", counters_json_sel(&sum, false, all));
	for (unsigned int i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "lcore", json_integer(lcs[i]->lcore_id));
		json_object_set_new(o, "role", json_string(role_name(dp, lcs[i])));
		json_object_set_new(o, "drops", counters_json_sel(&lcs[i]->st, true, all));
		json_object_set_new(o, "stats", counters_json_sel(&lcs[i]->st, false, all));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "totals", tot);
	json_object_set_new(root, "lcores", arr);
	return root;

out_free:
	json_decref(root);
	json_decref(tot);
	json_decref(arr);
	return NULL;
}

/* The sum of every lcore's counters. */
static void
totals(const struct dp *dp, struct vx_stats *sum)
{
	const struct dp_lcore *all[DP_MF_MAX_WORKERS + 2];
	unsigned int n = lcores_list(dp, all);

	memset(sum, 0, sizeof(*sum));
	for (unsigned int i = 0; i < n; i++) {
		for (unsigned int d = 0; d < VX_DROP__MAX; d++)
			sum->drop[d] += all[i]->st.drop[d];
		for (unsigned int k = 0; k < VX_STAT__MAX; k++)
			sum->stat[k] += all[i]->st.stat[k];
	}
}

static json_t *
lcore_json(const struct dp *dp, const struct dp_lcore *lc)
{
	uint64_t now = lc->stop_tsc != 0 ? lc->stop_tsc : rte_rdtsc(), hz = rte_get_tsc_hz();
	double wall = lc->start_tsc != 0 ? (double)(now - lc->start_tsc) / (double)hz : 0;
	int64_t cpu = lcore_cpu_ns(lc);
	json_t *o = json_object();

	json_object_set_new(o, "lcore", json_integer(lc->lcore_id));
	json_object_set_new(o, "role", json_string(role_name(dp, lc)));
	json_object_set_new(o, "pkts", json_integer((json_int_t)lc->pkts));
	json_object_set_new(o, "busy_cycles", json_integer((json_int_t)lc->busy_tsc));
	json_object_set_new(
		o, "busy_pct",
		json_real(wall > 0 ? 100.0 * (double)lc->busy_tsc / (double)hz / wall : 0));
	json_object_set_new(o, "cpu_pct",
			    json_real(wall > 0 && cpu >= 0 ? 100.0 * (double)cpu / 1e9 / wall : 0));
	json_object_set_new(o, "idle_sleeps", json_integer((json_int_t)lc->idle_sleeps));
	json_object_set_new(o, "drops", counters_json(&lc->st, true));
	json_object_set_new(o, "stats", counters_json(&lc->st, false));
	return o;
}

json_t *
dp_ports_json(struct dp *dp)
{
	json_t *a = json_array();

	for (unsigned int i = 0; a != NULL && i < dp->n_ports; i++) {
		const struct dp_port *port = &dp->ports[i];
		struct rte_eth_stats es = {0};
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		json_t *o;

		if (port->name[0] == '\0')
			continue;
		o = json_object();
		rte_eth_stats_get(port->port_id, &es);
		json_object_set_new(o, "name", json_string(port->name));
		json_object_set_new(o, "port_id", json_integer(port->port_id));
		json_object_set_new(o, "devargs", json_string(port->devargs));
		json_object_set_new(
			o, "role",
			json_string(port->role == DP_PORT_UNDERLAY ? "underlay" : "endpoint"));
		if (port->role == DP_PORT_ENDPOINT && port->ep != VX_NONE) {
			const struct vx_endpoint *ep = &dp->vx->eps[port->ep];

			rte_ether_format_addr(mac, sizeof(mac), &ep->mac);
			json_object_set_new(o, "vni", json_integer(ep->vni));
			json_object_set_new(o, "mac", json_string(mac));
		} else if (port->role == DP_PORT_ENDPOINT) {
			json_object_set_new(o, "vni", json_null());
		}
		json_object_set_new(o, "mtu", json_integer(port->mtu));
		json_object_set_new(o, "rx_desc", json_integer(port->rxd));
		json_object_set_new(o, "tx_desc", json_integer(port->txd));
		{
			const struct rte_mempool *mp = dp_port_pool(dp, (uint16_t)i);

			json_object_set_new(o, "pool",
					    mp != NULL ? json_string(mp->name) : json_null());
		}
		json_object_set_new(o, "state", json_string(port->active ? "up" : "down"));
		json_object_set_new(o, "socket", json_integer(port->socket));
		json_object_set_new(o, "rx_pkts", json_integer((json_int_t)es.ipackets));
		json_object_set_new(o, "tx_pkts", json_integer((json_int_t)es.opackets));
		json_object_set_new(o, "rx_bytes", json_integer((json_int_t)es.ibytes));
		json_object_set_new(o, "tx_bytes", json_integer((json_int_t)es.obytes));
		json_object_set_new(o, "rx_missed", json_integer((json_int_t)es.imissed));
		json_object_set_new(o, "rx_errors", json_integer((json_int_t)es.ierrors));
		json_object_set_new(o, "tx_errors", json_integer((json_int_t)es.oerrors));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
fdb_json(const struct dp *dp)
{
	const struct dp_snapshot *s = dp->snap;
	json_t *a = json_array();
	char buf[INET6_ADDRSTRLEN];

	for (unsigned int i = 0; i < s->n_fdb; i++) {
		const struct vx_fdb_entry *e = &s->fdb[i];
		json_t *o = json_object();

		rte_ether_format_addr(buf, sizeof(buf), &e->mac);
		json_object_set_new(o, "vni", json_integer(e->vni));
		json_object_set_new(o, "mac", json_string(buf));
		json_object_set_new(o, "kind",
				    json_string(e->kind == VX_FDB_LOCAL ? "local" : "remote"));
		if (e->kind == VX_FDB_LOCAL && e->target < dp->vx->n_eps)
			json_object_set_new(o, "target", json_string(dp->vx->eps[e->target].name));
		else if (e->kind == VX_FDB_REMOTE && e->target < dp->vx->n_vteps)
			json_object_set_new(o, "target",
					    json_string(vx_ip_fmt(&dp->vx->vteps[e->target].ip, buf,
								  sizeof(buf))));
		json_object_set_new(o, "static", json_boolean(e->is_static));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
neigh_json(const struct dp *dp)
{
	const struct dp_snapshot *s = dp->snap;
	json_t *a = json_array();
	char buf[INET6_ADDRSTRLEN];

	for (unsigned int i = 0; i < s->n_neigh; i++) {
		const struct vx_neigh *nb = &s->neigh[i];
		json_t *o;

		if (nb->ip.family == 0)
			continue;
		o = json_object();
		json_object_set_new(o, "ip", json_string(vx_ip_fmt(&nb->ip, buf, sizeof(buf))));
		rte_ether_format_addr(buf, sizeof(buf), &nb->mac);
		json_object_set_new(o, "mac", json_string(buf));
		json_object_set_new(o, "state", json_string(vx_neigh_state_name(nb->state)));
		json_array_append_new(a, o);
	}
	return a;
}

/* The pipeline's settings and counters. Read from the control thread: plain loads of counters. */
json_t *
dp_mflow_json(const struct dp *dp)
{
	const struct dp_pipe *pp = dp->pipe;
	json_t *o = json_object(), *sp, *mg, *fl, *qs;
	struct dp_mf_conf c;

	dp_mf_conf_get(dp, &c);
	json_object_set_new(o, "mode", json_string(dp_mode_name(c.mode)));
	json_object_set_new(o, "workers", json_integer(dp->n_workers != 0 ? c.workers : 0));
	json_object_set_new(o, "worker_lcores", json_integer(dp->n_workers));
	json_object_set_new(o, "batch_size", json_integer(c.batch_size));
	json_object_set_new(o, "pick", json_string(c.pick == DP_MF_PICK_LEAST ? "least" : "rr"));
	json_object_set_new(o, "merge_timeout_us", json_integer(c.merge_timeout_us));
	json_object_set_new(o, "ring_size", json_integer(dp->p.map.ring_size));
	json_object_set_new(o, "table_size", json_integer(dp->p.map.flow_entries));
	json_object_set_new(o, "reconfig_errors", json_integer((json_int_t)dp->mf_refused));
	if (pp == NULL)
		return o;
	json_object_set_new(o, "reconfigs", json_integer((json_int_t)pp->reconfigs));
	json_object_set_new(o, "drain_timeouts", json_integer((json_int_t)pp->reconfig_errors));
	json_object_set_new(
		o, "quiesce_us_max",
		json_real((double)pp->quiesce_tsc_max * 1e6 / (double)rte_get_tsc_hz()));
	json_object_set_new(o, "backpressure", json_integer((json_int_t)pp->backpressure));
	json_object_set_new(o, "owner_pkts", json_integer((json_int_t)pp->owner_pkts));
	json_object_set_new(o, "elephants", json_integer(pp->n_open));
	{
		const struct dp_mf_split_stats *ss = dp_mf_split_stats(pp->sp);

		sp = json_object();
		json_object_set_new(sp, "batches", json_integer((json_int_t)ss->batches));
		json_object_set_new(sp, "barriers", json_integer((json_int_t)ss->barriers));
		json_object_set_new(sp, "mice", json_integer((json_int_t)ss->mice));
		json_object_set_new(sp, "split", json_integer((json_int_t)ss->split));
		json_object_set_new(sp, "ring_full", json_integer((json_int_t)ss->ring_full));
		json_object_set_new(o, "split", sp);
	}
	{
		const struct dp_mf_merge_stats *ms = dp_mf_merge_stats(pp->mg);

		mg = json_object();
		json_object_set_new(mg, "merged", json_integer((json_int_t)ms->merged));
		json_object_set_new(mg, "skipped", json_integer((json_int_t)ms->skipped));
		json_object_set_new(mg, "late", json_integer((json_int_t)ms->late));
		json_object_set_new(mg, "delivered", json_integer((json_int_t)ms->delivered));
		json_object_set_new(mg, "blocked_polls",
				    json_integer((json_int_t)ms->blocked_polls));
		json_object_set_new(mg, "held", json_integer((json_int_t)ms->held));
		json_object_set_new(mg, "ooo", json_integer((json_int_t)pp->ooo));
		json_object_set_new(o, "merge", mg);
	}
	{
		const struct dp_fl_stats *fs = dp_fl_stats(pp->fl);

		/* Counts of the detector in force; a change starts a new one. */
		fl = json_object();
		json_object_set_new(fl, "promoted", json_integer((json_int_t)fs->promoted));
		json_object_set_new(fl, "demoted", json_integer((json_int_t)fs->demoted));
		json_object_set_new(fl, "evicted", json_integer((json_int_t)fs->evicted));
		json_object_set_new(fl, "untracked", json_integer((json_int_t)fs->untracked));
		json_object_set_new(o, "flows", fl);
	}
	qs = json_array();
	for (uint16_t w = 0; w < dp->n_workers; w++) {
		json_t *q = json_object();

		json_object_set_new(q, "worker", json_integer(w));
		json_object_set_new(q, "lcore", json_integer(dp->wlc[w]->lcore_id));
		json_object_set_new(q, "active",
				    json_boolean(c.mode != DP_MODE_RTC && w < c.workers));
		json_object_set_new(q, "in_depth", json_integer(rte_ring_count(pp->in[w])));
		json_object_set_new(q, "out_depth", json_integer(rte_ring_count(pp->out[w])));
		json_object_set_new(q, "owner_requests",
				    json_integer(vx_worker_pending(dp->wlc[w]->vw)));
		json_array_append_new(qs, q);
	}
	json_object_set_new(o, "queues", qs);
	return o;
}

/* The packet pools: their size, how many mbufs are free, and what ports reserved. */
static json_t *
pools_json(const struct dp *dp)
{
	json_t *a = json_array();

	for (int node = 0; a != NULL && node < RTE_MAX_NUMA_NODES; node++)
		for (uint16_t k = 0; k < dp->n_node_pools[node]; k++) {
			const struct dp_pool *p = &dp->node_pools[node][k];

			if (p->mp == NULL)
				continue;
			json_array_append_new(
				a, json_pack("{s:s, s:i, s:I, s:I, s:I, s:i}", "name", p->mp->name,
					     "socket", node, "size", (json_int_t)p->size, "avail",
					     (json_int_t)rte_mempool_avail_count(p->mp), "reserved",
					     (json_int_t)p->reserved, "ports", (int)p->n_ports));
		}
	return a;
}

json_t *
dp_stats_json(struct dp *dp)
{
	const struct dp_lcore *lc = dp->lc;
	json_t *root = json_object(), *lcores = json_array();

	if (root == NULL || lcores == NULL) {
		json_decref(root);
		json_decref(lcores);
		return NULL;
	}
	if (dp_snapshot(dp, 200) < 0) {
		/* The lcore did not answer: leave the tables out rather than read a torn copy. */
		json_object_set_new(root, "snapshot", json_string("timeout"));
		json_object_set_new(root, "fdb_count", json_null());
	}
	json_object_set_new(root, "seq", json_integer((json_int_t)++dp->stats_seq));
	json_object_set_new(root, "running",
			    json_boolean(__atomic_load_n(&lc->running, __ATOMIC_ACQUIRE)));
	json_object_set_new(
		root, "uptime_s",
		json_real(lc->start_tsc != 0
				  ? (double)((lc->stop_tsc != 0 ? lc->stop_tsc : rte_rdtsc()) -
					     lc->start_tsc) /
					    (double)rte_get_tsc_hz()
				  : 0));
	{
		const struct dp_lcore *all[DP_MF_MAX_WORKERS + 2];
		unsigned int n = lcores_list(dp, all);
		struct vx_stats sum;

		totals(dp, &sum);
		json_object_set_new(root, "drops", counters_json(&sum, true));
		json_object_set_new(root, "stats", counters_json(&sum, false));
		for (unsigned int i = 0; i < n; i++)
			json_array_append_new(lcores, lcore_json(dp, all[i]));
	}
	json_object_set_new(root, "lcores", lcores);
	json_object_set_new(root, "mflow", dp_mflow_json(dp));
	json_object_set_new(root, "ports", dp_ports_json(dp));
	json_object_set_new(root, "pools", pools_json(dp));
	json_object_set_new(root, "kobj_reaped", json_integer((json_int_t)dp->kobj_reaped));
	json_object_set_new(root, "xsk_mbufs_recovered",
			    json_integer((json_int_t)dp->xsk_mbufs_recovered));
	if (json_object_get(root, "snapshot") == NULL) {
		json_object_set_new(root, "fdb_count", json_integer(dp->snap->fdb_total));
		json_object_set_new(root, "fdb", fdb_json(dp));
		json_object_set_new(root, "neighbours", neigh_json(dp));
	}
	return root;
}

int
dp_stats_write(struct dp *dp, const char *path)
{
	char tmp[PATH_MAX];
	json_t *root;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	root = dp_stats_json(dp);
	if (root == NULL)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out_json;
	}
	if (json_dumpfd(root, fd, JSON_INDENT(1) | JSON_SORT_KEYS) < 0 || fsync(fd) < 0)
		rc = -EIO;
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
out_json:
	json_decref(root);
	return rc;
}

void
dp_stats_print(struct dp *dp, FILE *f)
{
	json_t *root = dp_stats_json(dp);
	json_t *lcs = root != NULL ? json_object_get(root, "lcores") : NULL, *l, *mf;
	struct vx_stats sum, *lcst = &sum;
	size_t li;

	totals(dp, &sum);

	fprintf(f, "\n%-22s %14s %14s %10s %10s %10s\n", "port", "rx_pkts", "tx_pkts", "missed",
		"rx_err", "tx_err");
	for (unsigned int i = 0; i < dp->n_ports; i++) {
		struct rte_eth_stats es = {0};

		if (dp->ports[i].name[0] == '\0')
			continue;
		rte_eth_stats_get(dp->ports[i].port_id, &es);
		fprintf(f,
			"%-22s %14" PRIu64 " %14" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64
			"\n",
			dp->ports[i].name, es.ipackets, es.opackets, es.imissed, es.ierrors,
			es.oerrors);
	}
	fprintf(f, "\n%-22s %14s\n", "counter", "value");
	for (unsigned int i = 0; i < VX_STAT__MAX; i++)
		if (lcst->stat[i] != 0)
			fprintf(f, "%-22s %14" PRIu64 "\n", vx_stat_names[i], lcst->stat[i]);
	fprintf(f, "\n%-22s %14s  %s\n", "drop", "count", "reason");
	for (unsigned int i = 0; i < VX_DROP__MAX; i++)
		if (lcst->drop[i] != 0)
			fprintf(f, "%-22s %14" PRIu64 "  %s\n", vx_drop_names[i], lcst->drop[i],
				vx_drop_descs[i]);
	fprintf(f, "\n");
	json_array_foreach (lcs, li, l) {
		fprintf(f,
			"lcore %" JSON_INTEGER_FORMAT
			" (%s): busy %.1f%%, cpu %.1f%%, packets %" JSON_INTEGER_FORMAT
			", idle sleeps %" JSON_INTEGER_FORMAT "\n",
			json_integer_value(json_object_get(l, "lcore")),
			json_string_value(json_object_get(l, "role")),
			json_real_value(json_object_get(l, "busy_pct")),
			json_real_value(json_object_get(l, "cpu_pct")),
			json_integer_value(json_object_get(l, "pkts")),
			json_integer_value(json_object_get(l, "idle_sleeps")));
	}
	mf = root != NULL ? json_object_get(root, "mflow") : NULL;
	if (dp->pipe != NULL && mf != NULL) {
		json_t *sp = json_object_get(mf, "split"), *mg = json_object_get(mf, "merge");

		fprintf(f,
			"mflow: mode %s, workers %" JSON_INTEGER_FORMAT
			", batch %" JSON_INTEGER_FORMAT ", split %" JSON_INTEGER_FORMAT
			" pkts in %" JSON_INTEGER_FORMAT " batches, merged %" JSON_INTEGER_FORMAT
			", skipped %" JSON_INTEGER_FORMAT ", late %" JSON_INTEGER_FORMAT
			", out of order %" JSON_INTEGER_FORMAT ", reconfigs %" JSON_INTEGER_FORMAT
			"\n",
			json_string_value(json_object_get(mf, "mode")),
			json_integer_value(json_object_get(mf, "workers")),
			json_integer_value(json_object_get(mf, "batch_size")),
			json_integer_value(json_object_get(sp, "split")),
			json_integer_value(json_object_get(sp, "batches")),
			json_integer_value(json_object_get(mg, "merged")),
			json_integer_value(json_object_get(mg, "skipped")),
			json_integer_value(json_object_get(mg, "late")),
			json_integer_value(json_object_get(mg, "ooo")),
			json_integer_value(json_object_get(mf, "reconfigs")));
	}
	json_decref(root);
}
