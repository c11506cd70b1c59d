/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Container lifecycle (ct.h): the network (netns, veth, addresses), the
 * dataplane port, the OCI process, and the record that lets a restarted
 * mflowd find all three again.
 *
 * Every change is written to the record first when it can leave something
 * behind: a create is recorded CREATING before the namespace exists, and a
 * delete DELETING before anything goes, so that ct_mgr_adopt() knows what
 * to undo after a crash. The teardown steps all accept what is already
 * gone, which makes one function serve rollback, delete and reconcile.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ct.h"
#include "ct_nl.h"
#include "ct_oci.h"

/* How a container's process is managed by default. */
#define CT_STOP_GRACE_MS  3000
#define CT_START_CHECK_MS 200
#define CT_EXEC_TIMEOUT	  10000
/* The cgroup every container's cgroup is made under, in each hierarchy. */
#define CT_CGROUP_PARENT "/mflowd"

struct ct_mgr {
	struct ct_mgr_conf conf;
	struct ct_dp_ops ops;
	struct ct_rec **recs; /* Sorted by nothing; few containers per host. */
	size_t n, cap;
};

static int
fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen != 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int64_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

static int
find(const struct ct_mgr *m, const char *name)
{
	for (size_t i = 0; name != NULL && i < m->n; i++)
		if (strcmp(m->recs[i]->args.name, name) == 0)
			return (int)i;
	return -ENOENT;
}

/* find(), with the message of a missing container. */
static int
lookup(const struct ct_mgr *m, const char *name, char *err, size_t errlen)
{
	int i = find(m, name);

	return i >= 0 ? i : fail(i, err, errlen, "no container '%s'", name != NULL ? name : "");
}

/* Take @p rec (moved from) into the table. */
static int
adopt_rec(struct ct_mgr *m, struct ct_rec *rec)
{
	struct ct_rec *r;

	if (m->n == m->cap) {
		size_t cap = m->cap != 0 ? m->cap * 2 : 16;
		struct ct_rec **recs = realloc(m->recs, cap * sizeof(*recs));

		if (recs == NULL)
			return -ENOMEM;
		m->recs = recs;
		m->cap = cap;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	ct_rec_move(r, rec);
	m->recs[m->n++] = r;
	return 0;
}

static void
drop_rec(struct ct_mgr *m, size_t i)
{
	ct_rec_fini(m->recs[i]);
	free(m->recs[i]);
	m->recs[i] = m->recs[--m->n];
}

static void
save(struct ct_mgr *m, struct ct_rec *r)
{
	/* A record that cannot be written only weakens crash recovery. */
	(void)ct_rec_save(m->conf.state_dir, r);
}

/* The runtime of @p r: its own, or the manager's default. */
static int
runtime_of(const struct ct_mgr *m, const struct ct_rec *r, struct ct_runtime *rt, char *err,
	   size_t errlen)
{
	const char *name = r->args.runtime[0] != '\0' ? r->args.runtime : m->conf.runtime;
	const char *base = strrchr(name, '/');
	char root[256 + 72];

	snprintf(root, sizeof(root), "%s/%.64s", m->conf.run_dir, base != NULL ? base + 1 : name);
	return ct_runtime_init(rt, name, root, err, errlen);
}

static void
to_ct_ip(const struct ct_rec_ip *in, struct ct_ip *out)
{
	memset(out, 0, sizeof(*out));
	out->family = in->family;
	memcpy(out->addr, in->addr, sizeof(out->addr));
}

/* ------------------------------------------------------------------------- */
/* The network: namespace, veth pair, addresses, the host end for a PMD.    */

static void
net_down(const struct ct_rec *r)
{
	/* Deleting one end of a veth deletes both; the namespace takes the rest. */
	(void)ct_link_del(NULL, r->host_ifname);
	(void)ct_netns_del(r->netns);
}

static int
net_up(const struct ct_rec *r, char *err, size_t errlen)
{
	struct ct_veth_args v = {
		.host_if = r->host_ifname,
		.peer_if = r->peer_ifname,
		.netns = r->netns,
		.peer_mac = r->mac,
		.mtu = r->args.mtu,
	};
	struct ct_link_args in = {
		.netns = r->netns,
		.ifname = r->peer_ifname,
		.new_name = r->ifname,
		.up = CT_SET_ON,
	};
	struct ct_ip ip, gw, any;
	int rc;

	rc = ct_netns_add(r->netns, err, errlen);
	if (rc < 0)
		return rc;
	rc = ct_veth_add(&v, err, errlen);
	if (rc < 0)
		goto out_down;
	rc = ct_link_set(&in, err, errlen);
	if (rc < 0)
		goto out_down;
	rc = ct_netns_lo_up(r->netns, err, errlen);
	if (rc < 0)
		goto out_down;
	/* The container's end too: its frames must leave with final checksums. */
	rc = ct_link_offloads_off(r->netns, r->ifname, err, errlen);
	if (rc < 0)
		goto out_down;
	to_ct_ip(&r->ip, &ip);
	rc = ct_addr_add(r->netns, r->ifname, &ip, r->ip.prefix);
	if (rc < 0) {
		fail(rc, err, errlen, "cannot add %s to %s: %s", r->args.ip, r->ifname,
		     strerror(-rc));
		goto out_down;
	}
	if (r->gateway.family != 0) {
		to_ct_ip(&r->gateway, &gw);
		memset(&any, 0, sizeof(any));
		any.family = gw.family;
		rc = ct_route_add(r->netns, r->ifname, &any, 0, &gw);
		if (rc < 0) {
			fail(rc, err, errlen, "cannot add the default route via %s: %s",
			     r->args.gateway, strerror(-rc));
			goto out_down;
		}
	}
	rc = ct_nl_prepare_pmd_end(r->host_ifname, err, errlen);
	if (rc < 0)
		goto out_down;
	return 0;

out_down:
	net_down(r);
	return rc;
}

/* ------------------------------------------------------------------------- */
/* The dataplane port.                                                       */

static void
port_down(struct ct_mgr *m, const struct ct_rec *r)
{
	(void)m->ops.ep_detach(m->ops.arg, r->port);
	(void)m->ops.port_del(m->ops.arg, r->port);
}

static int
port_up(struct ct_mgr *m, struct ct_rec *r, char *err, size_t errlen)
{
	static const char *const fmt[] = {
		[CT_PMD_AF_XDP] = "net_af_xdp_%s,iface=%s,start_queue=0,queue_count=1",
		[CT_PMD_AF_PACKET] = "net_af_packet_%s,iface=%s",
	};
	uint8_t pmds[2];
	unsigned int n = 0;
	int rc = -ENODEV;

	if (m->conf.pmd != CT_PMD_AF_PACKET)
		pmds[n++] = CT_PMD_AF_XDP;
	if (m->conf.pmd != CT_PMD_AF_XDP)
		pmds[n++] = CT_PMD_AF_PACKET;
	for (unsigned int i = 0; i < n; i++) {
		snprintf(r->devargs, sizeof(r->devargs), fmt[pmds[i]], r->args.name,
			 r->host_ifname);
		rc = m->ops.port_add(m->ops.arg, r->port, r->devargs, r->args.mtu);
		if (rc == 0)
			break;
		if (rc == -EEXIST) {
			r->devargs[0] = '\0';
			return fail(rc, err, errlen, "a dataplane port named '%s' exists", r->port);
		}
	}
	if (rc < 0) {
		r->devargs[0] = '\0';
		return fail(rc, err, errlen, "cannot add a dataplane port on %s: %s",
			    r->host_ifname, strerror(-rc));
	}
	rc = m->ops.ep_attach(m->ops.arg, r->port, r->args.vni, r->mac, r->args.mtu);
	if (rc < 0) {
		(void)m->ops.port_del(m->ops.arg, r->port);
		return fail(rc, err, errlen, "cannot attach port %s to VNI %u: %s", r->port,
			    r->args.vni, strerror(-rc));
	}
	return 0;
}

/* ------------------------------------------------------------------------- */
/* The process.                                                              */

static int
bundle_make(struct ct_mgr *m, struct ct_rec *r, char *err, size_t errlen)
{
	char netns_path[CT_PATH_LEN], cgroup[CT_PATH_LEN];
	struct ct_oci_bundle_args b = {
		.name = r->args.name,
		.argv = (const char *const *)r->args.argv,
		.env = (const char *const *)r->args.env,
		.netns_path = netns_path,
		.cgroup_path = cgroup,
		.lim = {.memory_bytes = r->args.memory,
			.cpu_millis = r->args.cpus,
			.pids_max = r->args.pids},
	};

	snprintf(r->bundle_dir, sizeof(r->bundle_dir), "%s/containers/%.31s", m->conf.run_dir,
		 r->args.name);
	snprintf(netns_path, sizeof(netns_path), "/run/netns/%s", r->netns);
	snprintf(cgroup, sizeof(cgroup), "%s/%s", CT_CGROUP_PARENT, r->args.name);
	b.bundle_dir = r->bundle_dir;
	if (r->args.bundle[0] != '\0')
		b.user_bundle = r->args.bundle;
	else
		b.rootfs = r->args.rootfs;
	return ct_oci_bundle_write(&b, err, errlen);
}

/* Stop the process and forget it in the runtime; what is gone already is fine. */
static int
proc_down(struct ct_mgr *m, const struct ct_rec *r, char *err, size_t errlen)
{
	struct ct_runtime rt;
	int rc;

	rc = runtime_of(m, r, &rt, err, errlen);
	if (rc < 0)
		return rc;
	rc = ct_runtime_stop(&rt, r->args.name, m->conf.stop_grace_ms, err, errlen);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = ct_runtime_delete(&rt, r->args.name, true, err, errlen);
	return rc == -ENOENT ? 0 : rc;
}

static int
proc_up(struct ct_mgr *m, struct ct_rec *r, char *err, size_t errlen)
{
	struct ct_runtime rt;
	struct ct_runtime_state st;
	struct stat sb;
	int rc;

	rc = runtime_of(m, r, &rt, err, errlen);
	if (rc < 0)
		return rc;
	/* The bundle lives under the run directory, which a reboot empties. */
	if (r->bundle_dir[0] == '\0' || stat(r->bundle_dir, &sb) != 0) {
		rc = bundle_make(m, r, err, errlen);
		if (rc < 0)
			return rc;
	}
	rc = ct_runtime_create(&rt, r->args.name, r->bundle_dir, err, errlen);
	if (rc < 0)
		return rc;
	rc = ct_runtime_start(&rt, r->args.name, err, errlen);
	if (rc < 0)
		goto out_delete;
	rc = ct_runtime_check_running(&rt, r->args.name, r->bundle_dir, m->conf.start_check_ms, err,
				      errlen);
	if (rc < 0)
		goto out_delete;
	rc = ct_runtime_state(&rt, r->args.name, &st, err, errlen);
	if (rc < 0)
		goto out_delete;
	r->pid = st.pid;
	r->state = CT_STATE_RUNNING;
	r->started = now_s();
	return 0;

out_delete:
	(void)ct_runtime_stop(&rt, r->args.name, 0, NULL, 0);
	(void)ct_runtime_delete(&rt, r->args.name, true, NULL, 0);
	return rc;
}

/* Everything of a container but its record, each step tolerant of what is gone. */
static int
teardown(struct ct_mgr *m, struct ct_rec *r, char *err, size_t errlen)
{
	int rc = proc_down(m, r, err, errlen);

	if (rc < 0 && rc != -ENOENT)
		return rc;
	port_down(m, r);
	net_down(r);
	/* The parent of the containers' cgroups goes with the last of them. */
	(void)ct_cgroup_prune(CT_CGROUP_PARENT);
	if (r->bundle_dir[0] != '\0') {
		rc = ct_oci_bundle_remove(r->bundle_dir);
		if (rc < 0)
			return fail(rc, err, errlen, "cannot remove the bundle %s: %s",
				    r->bundle_dir, strerror(-rc));
	}
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Core functions.                                                           */

int
ct_create(struct ct_mgr *m, const struct ct_create_args *a, char *err, size_t errlen)
{
	struct ct_rec rec, *r;
	struct ct_runtime rt;
	struct stat sb;
	int rc, i;

	rc = ct_create_args_check(a, err, errlen);
	if (rc < 0)
		return rc;
	if (find(m, a->name) >= 0)
		return fail(-EEXIST, err, errlen, "container '%s' exists", a->name);
	rc = ct_rec_init(&rec, a, m->conf.runtime, err, errlen);
	if (rc < 0)
		return rc;
	rc = ct_rec_unique(&rec, (const struct ct_rec *const *)m->recs, m->n, err, errlen);
	if (rc < 0)
		goto out_fini;
	/* What must exist beforehand: the runtime, the bundle or rootfs. */
	rc = runtime_of(m, &rec, &rt, err, errlen);
	if (rc < 0)
		goto out_fini;
	if (a->bundle[0] != '\0' && (stat(a->bundle, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
		rc = fail(-ENOENT, err, errlen, "bundle: no directory '%s'", a->bundle);
		goto out_fini;
	}
	if (a->rootfs[0] != '\0' && strcmp(a->rootfs, CT_OCI_ROOTFS_HOST) != 0 &&
	    (stat(a->rootfs, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
		rc = fail(-ENOENT, err, errlen, "rootfs: no directory '%s'", a->rootfs);
		goto out_fini;
	}
	if (ct_netns_exists(rec.netns) || ct_link_exists(NULL, rec.host_ifname)) {
		rc = fail(-EEXIST, err, errlen, "namespace %s or link %s exists already", rec.netns,
			  rec.host_ifname);
		goto out_fini;
	}

	/* From here a crash leaves a CREATING record for ct_mgr_adopt() to undo. */
	rec.state = CT_STATE_CREATING;
	rc = adopt_rec(m, &rec);
	if (rc < 0)
		goto out_fini;
	i = find(m, a->name);
	r = m->recs[i];
	rc = ct_rec_save(m->conf.state_dir, r);
	if (rc < 0) {
		fail(rc, err, errlen, "cannot write the record in %s: %s", m->conf.state_dir,
		     strerror(-rc));
		goto out_drop;
	}
	rc = net_up(r, err, errlen);
	if (rc < 0)
		goto out_remove;
	rc = port_up(m, r, err, errlen);
	if (rc < 0)
		goto out_net;
	rc = bundle_make(m, r, err, errlen);
	if (rc < 0)
		goto out_port;
	save(m, r);
	rc = proc_up(m, r, err, errlen);
	if (rc < 0)
		goto out_bundle;
	save(m, r);
	return 0;

out_bundle:
	(void)ct_oci_bundle_remove(r->bundle_dir);
out_port:
	port_down(m, r);
out_net:
	net_down(r);
out_remove:
	(void)ct_rec_remove(m->conf.state_dir, r->args.name);
out_drop:
	drop_rec(m, (size_t)i);
	return rc;
out_fini:
	ct_rec_fini(&rec);
	return rc;
}

int
ct_start(struct ct_mgr *m, const struct ct_name_args *a, char *err, size_t errlen)
{
	int i = lookup(m, a->name, err, errlen);
	struct ct_rec *r;
	int rc;

	if (i < 0)
		return i;
	r = m->recs[i];
	if (r->state == CT_STATE_RUNNING)
		return fail(-EALREADY, err, errlen, "container '%s' runs", r->args.name);
	/* A runtime container left from an earlier run would block the create. */
	rc = proc_down(m, r, err, errlen);
	if (rc < 0)
		return rc;
	rc = proc_up(m, r, err, errlen);
	if (rc < 0) {
		r->state = CT_STATE_STOPPED;
		r->pid = 0;
		save(m, r);
		return rc;
	}
	save(m, r);
	return 0;
}

int
ct_stop(struct ct_mgr *m, const struct ct_name_args *a, char *err, size_t errlen)
{
	int i = lookup(m, a->name, err, errlen);
	struct ct_rec *r;
	int rc;

	if (i < 0)
		return i;
	r = m->recs[i];
	rc = proc_down(m, r, err, errlen);
	if (rc < 0)
		return rc;
	r->state = CT_STATE_STOPPED;
	r->pid = 0;
	save(m, r);
	return 0;
}

int
ct_delete(struct ct_mgr *m, const struct ct_name_args *a, char *err, size_t errlen)
{
	int i = lookup(m, a->name, err, errlen);
	struct ct_rec *r;
	int rc;

	if (i < 0)
		return i;
	r = m->recs[i];
	r->state = CT_STATE_DELETING;
	save(m, r);
	rc = teardown(m, r, err, errlen);
	if (rc < 0)
		return rc;
	rc = ct_rec_remove(m->conf.state_dir, r->args.name);
	if (rc < 0 && rc != -ENOENT)
		return fail(rc, err, errlen, "cannot remove the record: %s", strerror(-rc));
	drop_rec(m, (size_t)i);
	return 0;
}

int
ct_exec(struct ct_mgr *m, struct ct_exec_args *a, char *err, size_t errlen)
{
	int i = lookup(m, a->name, err, errlen);
	struct ct_runtime_exec_args x = {0};
	struct ct_runtime rt;
	int rc;

	if (i < 0)
		return i;
	if (m->recs[i]->state != CT_STATE_RUNNING)
		return fail(-EINVAL, err, errlen, "container '%s' does not run", a->name);
	rc = runtime_of(m, m->recs[i], &rt, err, errlen);
	if (rc < 0)
		return rc;
	x.name = a->name;
	x.argv = a->argv;
	x.out = a->out;
	x.outlen = a->outlen;
	x.timeout_ms = a->timeout_ms != 0 ? a->timeout_ms : CT_EXEC_TIMEOUT;
	rc = ct_runtime_exec(&rt, &x, err, errlen);
	a->status = x.status;
	return rc;
}

int
ct_list(struct ct_mgr *m, const char *name, json_t **out)
{
	json_t *arr = json_array();

	if (arr == NULL)
		return -ENOMEM;
	if (name != NULL && find(m, name) < 0) {
		json_decref(arr);
		return -ENOENT;
	}
	for (size_t i = 0; i < m->n; i++) {
		struct ct_rec *r = m->recs[i];
		struct ct_runtime_state st = {0};
		struct ct_runtime rt;
		json_t *o;

		if (name != NULL && strcmp(name, r->args.name) != 0)
			continue;
		o = ct_rec_json(r);
		if (o == NULL) {
			json_decref(arr);
			return -ENOMEM;
		}
		/* The runtime's own view, next to what we recorded. */
		if (runtime_of(m, r, &rt, NULL, 0) == 0 &&
		    ct_runtime_state(&rt, r->args.name, &st, NULL, 0) == 0)
			json_object_set_new(o, "status", json_string(st.status));
		else
			json_object_set_new(o, "status", json_string("absent"));
		json_array_append_new(arr, o);
	}
	*out = arr;
	return 0;
}

unsigned int
ct_count(const struct ct_mgr *m)
{
	return (unsigned int)m->n;
}

/* ------------------------------------------------------------------------- */
/* The manager.                                                              */

static int
load_cb(struct ct_rec *rec, void *arg)
{
	return adopt_rec(arg, rec);
}

struct ct_mgr *
ct_mgr_create(const struct ct_mgr_conf *conf, const struct ct_dp_ops *ops, char *err, size_t errlen)
{
	struct ct_mgr *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	m->conf = *conf;
	m->ops = *ops;
	if (m->conf.state_dir[0] == '\0')
		snprintf(m->conf.state_dir, sizeof(m->conf.state_dir), "%s", CT_STATE_DIR_DEFAULT);
	if (m->conf.run_dir[0] == '\0')
		snprintf(m->conf.run_dir, sizeof(m->conf.run_dir), "%s", "/run/mflowd");
	if (m->conf.runtime[0] == '\0')
		snprintf(m->conf.runtime, sizeof(m->conf.runtime), "%s", CT_RUNTIME_DEFAULT);
	if (m->conf.stop_grace_ms == 0)
		m->conf.stop_grace_ms = CT_STOP_GRACE_MS;
	if (m->conf.start_check_ms == 0)
		m->conf.start_check_ms = CT_START_CHECK_MS;
	/* The directories our bundles and the runtimes' state go in. */
	{
		char d[256 + 16];

		(void)mkdir(m->conf.run_dir, 0755);
		snprintf(d, sizeof(d), "%s/containers", m->conf.run_dir);
		(void)mkdir(d, 0700);
	}
	rc = ct_rec_load_all(m->conf.state_dir, load_cb, NULL, m, err, errlen);
	if (rc < 0) {
		ct_mgr_destroy(m);
		errno = -rc;
		return NULL;
	}
	return m;
}

void
ct_mgr_destroy(struct ct_mgr *m)
{
	if (m == NULL)
		return;
	while (m->n > 0)
		drop_rec(m, m->n - 1);
	free(m->recs);
	free(m);
}

static void
say(void (*log)(const char *msg, void *arg), void *arg, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log(msg, arg);
}

unsigned int
ct_mgr_adopt(struct ct_mgr *m, void (*log)(const char *msg, void *arg), void *log_arg)
{
	unsigned int adopted = 0;
	char err[256];

	for (size_t i = 0; i < m->n;) {
		struct ct_rec *r = m->recs[i];
		struct ct_runtime_state st = {0};
		struct ct_runtime rt;
		int rc;

		err[0] = '\0';
		if (r->state == CT_STATE_CREATING || r->state == CT_STATE_DELETING) {
			/* Half-made or half-deleted: finish it off. */
			rc = teardown(m, r, err, sizeof(err));
			if (rc == 0)
				rc = ct_rec_remove(m->conf.state_dir, r->args.name);
			say(log, log_arg, "container %s: %s %s%s%s", r->args.name,
			    r->state == CT_STATE_CREATING ? "interrupted create undone"
							  : "interrupted delete completed",
			    rc < 0 && rc != -ENOENT ? "with an error: " : "",
			    rc < 0 && rc != -ENOENT ? err : "", "");
			drop_rec(m, i);
			continue;
		}
		/* After a reboot the namespace and the veth are gone: make them again. */
		if (!ct_netns_exists(r->netns) || !ct_link_exists(NULL, r->host_ifname)) {
			net_down(r);
			rc = net_up(r, err, sizeof(err));
			if (rc < 0) {
				say(log, log_arg, "container %s: cannot rebuild its network: %s",
				    r->args.name, err);
				i++;
				continue;
			}
			say(log, log_arg, "container %s: network rebuilt", r->args.name);
		} else {
			(void)ct_nl_prepare_pmd_end(r->host_ifname, NULL, 0);
		}
		rc = port_up(m, r, err, sizeof(err));
		if (rc < 0)
			say(log, log_arg, "container %s: %s", r->args.name, err);
		if (runtime_of(m, r, &rt, err, sizeof(err)) == 0 &&
		    ct_runtime_state(&rt, r->args.name, &st, NULL, 0) == 0 &&
		    strcmp(st.status, "running") == 0) {
			r->state = CT_STATE_RUNNING;
			r->pid = st.pid;
		} else {
			/* Stopped, or unknown to the runtime: ct_start() makes it anew. */
			r->state = CT_STATE_STOPPED;
			r->pid = 0;
		}
		save(m, r);
		say(log, log_arg, "container %s: adopted (%s, port %s)", r->args.name,
		    ct_state_name(r->state), r->devargs[0] != '\0' ? r->devargs : "none");
		adopted++;
		i++;
	}
	return adopted;
}
