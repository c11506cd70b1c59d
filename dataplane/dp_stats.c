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

#include "dp.h"

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

static json_t *
lcore_json(const struct dp_lcore *lc)
{
	uint64_t now = lc->stop_tsc != 0 ? lc->stop_tsc : rte_rdtsc(), hz = rte_get_tsc_hz();
	double wall = lc->start_tsc != 0 ? (double)(now - lc->start_tsc) / (double)hz : 0;
	int64_t cpu = lcore_cpu_ns(lc);
	json_t *o = json_object();

	json_object_set_new(o, "lcore", json_integer(lc->lcore_id));
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

static json_t *
ports_json(const struct dp *dp)
{
	json_t *a = json_array();

	for (unsigned int i = 0; i < dp->n_ports; i++) {
		const struct dp_port *port = &dp->ports[i];
		struct rte_eth_stats es = {0};
		json_t *o = json_object();

		rte_eth_stats_get(port->port_id, &es);
		json_object_set_new(o, "name", json_string(port->name));
		json_object_set_new(o, "port_id", json_integer(port->port_id));
		json_object_set_new(o, "devargs", json_string(port->devargs));
		json_object_set_new(
			o, "role",
			json_string(port->role == DP_PORT_UNDERLAY ? "underlay" : "endpoint"));
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
		json_t *o = json_object();

		json_object_set_new(o, "ip", json_string(vx_ip_fmt(&nb->ip, buf, sizeof(buf))));
		rte_ether_format_addr(buf, sizeof(buf), &nb->mac);
		json_object_set_new(o, "mac", json_string(buf));
		json_object_set_new(o, "state", json_string(vx_neigh_state_name(nb->state)));
		json_array_append_new(a, o);
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
	/* A single datapath lcore today: the totals are its counters. */
	json_object_set_new(root, "drops", counters_json(&lc->st, true));
	json_object_set_new(root, "stats", counters_json(&lc->st, false));
	json_array_append_new(lcores, lcore_json(lc));
	json_object_set_new(root, "lcores", lcores);
	json_object_set_new(root, "ports", ports_json(dp));
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
	const struct dp_lcore *lc = dp->lc;
	json_t *root = dp_stats_json(dp);
	json_t *l0 = root != NULL ? json_array_get(json_object_get(root, "lcores"), 0) : NULL;

	fprintf(f, "\n%-22s %14s %14s %10s %10s %10s\n", "port", "rx_pkts", "tx_pkts", "missed",
		"rx_err", "tx_err");
	for (unsigned int i = 0; i < dp->n_ports; i++) {
		struct rte_eth_stats es = {0};

		rte_eth_stats_get(dp->ports[i].port_id, &es);
		fprintf(f,
			"%-22s %14" PRIu64 " %14" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64
			"\n",
			dp->ports[i].name, es.ipackets, es.opackets, es.imissed, es.ierrors,
			es.oerrors);
	}
	fprintf(f, "\n%-22s %14s\n", "counter", "value");
	for (unsigned int i = 0; i < VX_STAT__MAX; i++)
		if (lc->st.stat[i] != 0)
			fprintf(f, "%-22s %14" PRIu64 "\n", vx_stat_names[i], lc->st.stat[i]);
	fprintf(f, "\n%-22s %14s  %s\n", "drop", "count", "reason");
	for (unsigned int i = 0; i < VX_DROP__MAX; i++)
		if (lc->st.drop[i] != 0)
			fprintf(f, "%-22s %14" PRIu64 "  %s\n", vx_drop_names[i], lc->st.drop[i],
				vx_drop_descs[i]);
	if (l0 != NULL)
		fprintf(f,
			"\nlcore %u: busy %.1f%%, cpu %.1f%%, idle sleeps %" JSON_INTEGER_FORMAT
			"\n",
			lc->lcore_id, json_real_value(json_object_get(l0, "busy_pct")),
			json_real_value(json_object_get(l0, "cpu_pct")),
			json_integer_value(json_object_get(l0, "idle_sleeps")));
	json_decref(root);
}
