/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mflowd's control methods. Every handler has the same shape: read the
 * parameters the dispatcher has already checked, fill the args struct of a
 * core function, call it, serialise its result. Handlers hold the
 * context's lock (see ctl_methods.h).
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_version.h>

#include "ctl_coap.h"
#include "ctl_methods.h"
#include "ctl_methods_priv.h"
#include "ctl_text_priv.h"
#include "dp_capture.h"
#include "dp_ops.h"

#define VNI_MAX ((int64_t)VX_VNI_MAX)

/* ------------------------------------------------------------------------- */
/* Helpers.                                                                  */

static void
mac_param(const json_t *params, const char *name, struct rte_ether_addr *mac)
{
	/* Checked by the dispatcher: it parses. */
	if (vx_mac_parse(ctl_param_str(params, name, ""), mac) != 0)
		memset(mac, 0, sizeof(*mac));
}

static void
ip_param(const json_t *params, const char *name, struct vx_ip *ip)
{
	if (vx_ip_parse(ctl_param_str(params, name, ""), ip) != 0)
		memset(ip, 0, sizeof(*ip));
}

int
ctl_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static int
ok(json_t **result)
{
	*result = json_true();
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Ports.                                                                    */

static const struct ctl_param p_port_name_opt[] = {
	{.name = "name", .type = CTL_P_STRING, .max = VX_NAME_LEN - 1, .help = "only this port"},
	{0},
};

/* The ports, or one, each with only the keys listed (NULL: all). */
static int
ports_select(struct ctl_ctx *c, const json_t *params, json_t **result, const char *const *keys,
	     char *err, size_t errlen)
{
	const char *only = ctl_param_str(params, "name", NULL);
	json_t *all = dp_ports_json(c->dp), *out, *p;
	size_t i;

	if (all == NULL)
		return -ENOMEM;
	out = json_array();
	json_array_foreach (all, i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		json_t *o;

		if (only != NULL && (name == NULL || strcmp(name, only) != 0))
			continue;
		if (keys == NULL) {
			json_array_append(out, p);
			continue;
		}
		o = json_object();
		for (unsigned int k = 0; keys[k] != NULL; k++) {
			json_t *v = json_object_get(p, keys[k]);

			if (v != NULL)
				json_object_set(o, keys[k], v);
		}
		json_array_append_new(out, o);
	}
	json_decref(all);
	if (only != NULL && json_array_size(out) == 0) {
		json_decref(out);
		return ctl_fail(-ENOENT, err, errlen, "no port '%s'", only);
	}
	*result = out;
	return 0;
}

static int
port_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	static const char *const keys[] = {"name",    "role",  "devargs", "vni",    "mac",
					   "mtu",     "state", "port_id", "socket", "rx_desc",
					   "tx_desc", "pool",  NULL};

	return ports_select(c, params, result, keys, err, errlen);
}
LOCKED(port_show)

static int
port_stats(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	static const char *const keys[] = {"name",	"rx_pkts",   "tx_pkts",
					   "rx_bytes",	"tx_bytes",  "rx_missed",
					   "rx_errors", "tx_errors", NULL};

	return ports_select(c, params, result, keys, err, errlen);
}
LOCKED(port_stats)

static const struct ctl_param p_port_add[] = {
	{.name = "name",
	 .type = CTL_P_STRING,
	 .required = true,
	 .max = VX_NAME_LEN - 1,
	 .help = "port name, unique"},
	{.name = "devargs",
	 .type = CTL_P_STRING,
	 .required = true,
	 .max = DP_DEVARGS_LEN - 1,
	 .help = "DPDK device arguments, e.g. net_af_xdp9,iface=veth9"},
	{.name = "mtu", .type = CTL_P_INT, .min = 576, .max = 9000, .help = "MTU (default 1500)"},
	{0},
};

static int
port_add(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_port_add_args a = {
		.name = ctl_param_str(params, "name", NULL),
		.devargs = ctl_param_str(params, "devargs", NULL),
		.mtu = (uint16_t)ctl_param_int(params, "mtu", 1500),
	};
	int rc = dp_port_add(c->dp, &a);

	if (rc == -EEXIST)
		return ctl_fail(rc, err, errlen, "port '%s' exists", a.name);
	if (rc == -ENODEV)
		return ctl_fail(rc, err, errlen, "cannot probe or start device '%s'", a.devargs);
	if (rc < 0)
		return rc;
	return ok(result);
}
LOCKED(port_add)

static const struct ctl_param p_port_name[] = {
	{.name = "name",
	 .type = CTL_P_STRING,
	 .required = true,
	 .max = VX_NAME_LEN - 1,
	 .help = "port name"},
	{0},
};

static int
port_del(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_port_del_args a = {.name = ctl_param_str(params, "name", NULL)};
	int rc = dp_port_del(c->dp, &a);

	if (rc == -ENOENT)
		return ctl_fail(rc, err, errlen, "no port '%s'", a.name);
	if (rc == -EBUSY)
		return ctl_fail(rc, err, errlen, "port '%s' is attached to a VNI; detach it first",
				a.name);
	if (rc == -EPERM)
		return ctl_fail(rc, err, errlen, "the underlay port cannot be removed");
	if (rc < 0)
		return rc;
	return ok(result);
}
LOCKED(port_del)

/* ------------------------------------------------------------------------- */
/* VNIs and VTEPs.                                                           */

static int
vni_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	const struct vx_inst *vx = c->dp->vx;
	json_t *a = json_array();

	(void)params;
	(void)err;
	(void)errlen;
	for (uint16_t i = 0; a != NULL && i < vx->n_vnis; i++) {
		const struct vx_vni *v = &vx->vnis[i];
		json_t *o = json_object(), *vt = json_array(), *eps = json_array();

		for (uint16_t k = 0; k < v->n_vteps; k++)
			json_array_append_new(vt, ctl_ip_json(&vx->vteps[v->vteps[k]].ip));
		for (uint16_t k = 0; k < v->n_eps; k++)
			json_array_append_new(eps, json_string(vx->eps[v->eps[k]].name));
		json_object_set_new(o, "vni", json_integer(v->vni));
		json_object_set_new(o, "vteps", vt);
		json_object_set_new(o, "endpoints", eps);
		json_array_append_new(a, o);
	}
	if (a == NULL)
		return -ENOMEM;
	*result = a;
	return 0;
}
LOCKED(vni_show)

static const struct ctl_param p_vni[] = {
	{.name = "vni",
	 .type = CTL_P_INT,
	 .required = true,
	 .min = 0,
	 .max = VNI_MAX,
	 .help = "VxLAN network identifier"},
	{0},
};

static int
vni_add(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_vni_args a = {.vni = (uint32_t)ctl_param_int(params, "vni", 0)};
	int rc = dp_vni_add(c->dp, &a);

	if (rc == -EEXIST)
		return ctl_fail(rc, err, errlen, "VNI %u exists", a.vni);
	if (rc == -ENOSPC)
		return ctl_fail(rc, err, errlen, "no room for another VNI (%u at most)",
				VX_MAX_VNIS);
	if (rc < 0)
		return rc;
	return ok(result);
}
LOCKED(vni_add)

static const struct ctl_param p_vni_del[] = {
	{.name = "vni",
	 .type = CTL_P_INT,
	 .required = true,
	 .min = 0,
	 .max = VNI_MAX,
	 .help = "VxLAN network identifier"},
	{.name = "force",
	 .type = CTL_P_BOOL,
	 .help = "detach its endpoints first (default false: refuse while attached)"},
	{0},
};

static int
vni_del(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_vni_args a = {
		.vni = (uint32_t)ctl_param_int(params, "vni", 0),
		.force = ctl_param_bool(params, "force", false),
	};
	int rc = dp_vni_del(c->dp, &a);

	if (rc == -ENOENT)
		return ctl_fail(rc, err, errlen, "no VNI %u", a.vni);
	if (rc == -EBUSY)
		return ctl_fail(rc, err, errlen,
				"VNI %u has endpoints attached; detach them first (or force)",
				a.vni);
	if (rc < 0)
		return rc;
	return ok(result);
}
LOCKED(vni_del)

static const struct ctl_param p_vni_opt[] = {
	{.name = "vni", .type = CTL_P_INT, .min = 0, .max = VNI_MAX, .help = "only this VNI"},
	{0},
};

static int
vtep_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	const struct vx_inst *vx = c->dp->vx;
	bool filter = ctl_param_has(params, "vni");
	uint32_t only = (uint32_t)ctl_param_int(params, "vni", 0);
	json_t *a = json_array();

	if (filter && vx_vni_find(vx, only) < 0) {
		json_decref(a);
		return ctl_fail(-ENOENT, err, errlen, "no VNI %u", only);
	}
	for (uint16_t t = 0; a != NULL && t < vx->n_vteps; t++) {
		const struct vx_vtep *vt = &vx->vteps[t];
		json_t *o, *vnis = json_array();
		bool in = false;

		if (vt->ip.family == 0) {
			json_decref(vnis);
			continue;
		}
		for (uint16_t i = 0; i < vx->n_vnis; i++)
			for (uint16_t k = 0; k < vx->vnis[i].n_vteps; k++)
				if (vx->vnis[i].vteps[k] == t) {
					json_array_append_new(vnis, json_integer(vx->vnis[i].vni));
					in = in || vx->vnis[i].vni == only;
				}
		if (filter && !in) {
			json_decref(vnis);
			continue;
		}
		o = json_object();
		json_object_set_new(o, "ip", ctl_ip_json(&vt->ip));
		json_object_set_new(o, "vnis", vnis);
		if (vt->nh != VX_NONE && vt->nh < vx->n_neigh) {
			const struct vx_neigh *nb = &vx->neigh[vt->nh];
			uint64_t pub = __atomic_load_n(&nb->pub, __ATOMIC_ACQUIRE);

			json_object_set_new(o, "next_hop", ctl_ip_json(&nb->ip));
			json_object_set_new(o, "neigh_state",
					    json_string(vx_neigh_state_name((uint8_t)(pub >> 48))));
		} else {
			json_object_set_new(o, "next_hop", json_null());
			json_object_set_new(o, "neigh_state", json_string("no route"));
		}
		json_array_append_new(a, o);
	}
	if (a == NULL)
		return -ENOMEM;
	*result = a;
	return 0;
}
LOCKED(vtep_show)

static const struct ctl_param p_vtep[] = {
	{.name = "vni",
	 .type = CTL_P_INT,
	 .required = true,
	 .min = 0,
	 .max = VNI_MAX,
	 .help = "the VNI"},
	{.name = "ip", .type = CTL_P_IP, .required = true, .help = "the remote VTEP's address"},
	{0},
};

static int
vtep_add(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_vtep_args a = {.vni = (uint32_t)ctl_param_int(params, "vni", 0)};
	const char *ip = ctl_param_str(params, "ip", "");
	int rc;

	ip_param(params, "ip", &a.ip);
	rc = dp_vtep_add(c->dp, &a);
	if (rc == -ENOENT)
		return ctl_fail(rc, err, errlen, "no VNI %u", a.vni);
	if (rc == -EEXIST)
		return ctl_fail(rc, err, errlen, "VTEP %s is already in VNI %u", ip, a.vni);
	if (rc == -EAFNOSUPPORT)
		return ctl_fail(rc, err, errlen, "no local underlay address of the family of %s",
				ip);
	if (rc == -EINVAL)
		return ctl_fail(rc, err, errlen, "%s is not a usable remote VTEP address", ip);
	if (rc < 0)
		return rc;
	return ok(result);
}
LOCKED(vtep_add)

static int
vtep_del(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_vtep_args a = {.vni = (uint32_t)ctl_param_int(params, "vni", 0)};
	int rc;

	ip_param(params, "ip", &a.ip);
	rc = dp_vtep_del(c->dp, &a);
	if (rc == -ENOENT)
		return ctl_fail(rc, err, errlen, "no VTEP %s in VNI %u",
				ctl_param_str(params, "ip", ""), a.vni);
	if (rc < 0)
		return rc;
	return ok(result);
}
LOCKED(vtep_del)

/* ------------------------------------------------------------------------- */
/* FDB and neighbours.                                                       */

static int
fdb_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp *dp = c->dp;
	const struct vx_inst *vx = dp->vx;
	bool filter = ctl_param_has(params, "vni");
	uint32_t only = (uint32_t)ctl_param_int(params, "vni", 0);
	json_t *a;
	int rc;

	if (filter && vx_vni_find(vx, only) < 0)
		return ctl_fail(-ENOENT, err, errlen, "no VNI %u", only);
	rc = dp_snapshot(dp, dp_cmd_timeout_ms(dp));
	if (rc < 0)
		return ctl_fail(rc, err, errlen, "the dispatch lcore did not answer");
	a = json_array();
	for (unsigned int i = 0; a != NULL && i < dp->snap->n_fdb; i++) {
		const struct vx_fdb_entry *e = &dp->snap->fdb[i];
		json_t *o;

		if (filter && e->vni != only)
			continue;
		o = json_object();
		json_object_set_new(o, "vni", json_integer(e->vni));
		json_object_set_new(o, "mac", ctl_mac_json(&e->mac));
		json_object_set_new(o, "kind",
				    json_string(e->kind == VX_FDB_LOCAL ? "local" : "remote"));
		if (e->kind == VX_FDB_LOCAL && e->target < vx->n_eps)
			json_object_set_new(o, "target", json_string(vx->eps[e->target].name));
		else if (e->kind == VX_FDB_REMOTE && e->target < vx->n_vteps)
			json_object_set_new(o, "target", ctl_ip_json(&vx->vteps[e->target].ip));
		json_object_set_new(o, "static", json_boolean(e->is_static));
		json_array_append_new(a, o);
	}
	if (a == NULL)
		return -ENOMEM;
	*result = a;
	return 0;
}
LOCKED(fdb_show)

static const struct ctl_param p_fdb_add[] = {
	{.name = "vni",
	 .type = CTL_P_INT,
	 .required = true,
	 .min = 0,
	 .max = VNI_MAX,
	 .help = "the VNI"},
	{.name = "mac", .type = CTL_P_MAC, .required = true, .help = "the MAC"},
	{.name = "vtep",
	 .type = CTL_P_IP,
	 .required = true,
	 .help = "remote VTEP of the VNI behind which the MAC lives"},
	{0},
};

static int
fdb_add(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_fdb_args a = {.vni = (uint32_t)ctl_param_int(params, "vni", 0)};
	int rc;

	mac_param(params, "mac", &a.mac);
	ip_param(params, "vtep", &a.vtep);
	rc = dp_fdb_add(c->dp, &a);
	if (rc == -ENOENT)
		return ctl_fail(rc, err, errlen, "no VNI %u with VTEP %s", a.vni,
				ctl_param_str(params, "vtep", ""));
	if (rc == -EPERM)
		return ctl_fail(rc, err, errlen, "%s is the MAC of a local endpoint",
				ctl_param_str(params, "mac", ""));
	if (rc == -EINVAL)
		return ctl_fail(rc, err, errlen, "mac: %s is not a unicast MAC",
				ctl_param_str(params, "mac", ""));
	if (rc < 0)
		return rc;
	return ok(result);
}
LOCKED(fdb_add)

static const struct ctl_param p_fdb_del[] = {
	{.name = "vni",
	 .type = CTL_P_INT,
	 .required = true,
	 .min = 0,
	 .max = VNI_MAX,
	 .help = "the VNI"},
	{.name = "mac", .type = CTL_P_MAC, .required = true, .help = "the MAC"},
	{0},
};

static int
fdb_del(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_fdb_args a = {.vni = (uint32_t)ctl_param_int(params, "vni", 0)};
	int rc;

	mac_param(params, "mac", &a.mac);
	rc = dp_fdb_del(c->dp, &a);
	if (rc == -ENOENT)
		return ctl_fail(rc, err, errlen, "no FDB entry for %s in VNI %u",
				ctl_param_str(params, "mac", ""), a.vni);
	if (rc == -EPERM)
		return ctl_fail(rc, err, errlen,
				"%s belongs to a local endpoint; detach the endpoint instead",
				ctl_param_str(params, "mac", ""));
	if (rc < 0)
		return rc;
	return ok(result);
}
LOCKED(fdb_del)

static const struct ctl_param p_fdb_flush[] = {
	{.name = "vni",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = VNI_MAX,
	 .help = "only this VNI (default: all)"},
	{.name = "static",
	 .type = CTL_P_BOOL,
	 .help = "also static entries towards VTEPs (default false)"},
	{0},
};

static int
fdb_flush(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_fdb_flush_args a = {
		.vni = ctl_param_has(params, "vni") ? (uint32_t)ctl_param_int(params, "vni", 0)
						    : VX_VNI_ANY,
		.with_static = ctl_param_bool(params, "static", false),
	};
	int rc = dp_fdb_flush(c->dp, &a);

	if (rc == -ENOENT)
		return ctl_fail(rc, err, errlen, "no VNI %u", a.vni);
	if (rc < 0)
		return rc;
	*result = json_pack("{s:I}", "removed", (json_int_t)a.removed);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(fdb_flush)

static int
neigh_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp *dp = c->dp;
	json_t *a;
	int rc;

	(void)params;
	rc = dp_snapshot(dp, dp_cmd_timeout_ms(dp));
	if (rc < 0)
		return ctl_fail(rc, err, errlen, "the dispatch lcore did not answer");
	a = json_array();
	for (unsigned int i = 0; a != NULL && i < dp->snap->n_neigh; i++) {
		const struct vx_neigh *nb = &dp->snap->neigh[i];
		bool has_mac = nb->state == VX_NEIGH_REACHABLE || nb->state == VX_NEIGH_STALE ||
			       nb->state == VX_NEIGH_STATIC;
		json_t *o;

		if (nb->ip.family == 0)
			continue;
		o = json_object();
		json_object_set_new(o, "ip", ctl_ip_json(&nb->ip));
		json_object_set_new(o, "mac", has_mac ? ctl_mac_json(&nb->mac) : json_null());
		json_object_set_new(o, "state", json_string(vx_neigh_state_name(nb->state)));
		json_array_append_new(a, o);
	}
	if (a == NULL)
		return -ENOMEM;
	*result = a;
	return 0;
}
LOCKED(neigh_show)

static const struct ctl_param p_neigh_add[] = {
	{.name = "ip", .type = CTL_P_IP, .required = true, .help = "the next hop"},
	{.name = "mac", .type = CTL_P_MAC, .required = true, .help = "its MAC"},
	{0},
};

static int
neigh_add(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_neigh_args a;
	int rc;

	ip_param(params, "ip", &a.ip);
	mac_param(params, "mac", &a.mac);
	rc = dp_neigh_add(c->dp, &a);
	if (rc == -EINVAL)
		return ctl_fail(rc, err, errlen, "%s with %s is not a usable static neighbour",
				ctl_param_str(params, "ip", ""), ctl_param_str(params, "mac", ""));
	if (rc < 0)
		return rc;
	return ok(result);
}
LOCKED(neigh_add)

static const struct ctl_param p_neigh_del[] = {
	{.name = "ip", .type = CTL_P_IP, .required = true, .help = "the next hop"},
	{0},
};

static int
neigh_del(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_neigh_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	ip_param(params, "ip", &a.ip);
	rc = dp_neigh_del(c->dp, &a);
	if (rc == -ENOENT)
		return ctl_fail(rc, err, errlen, "no static neighbour %s",
				ctl_param_str(params, "ip", ""));
	if (rc < 0)
		return rc;
	return ok(result);
}
LOCKED(neigh_del)

/* ------------------------------------------------------------------------- */
/* Endpoints.                                                                */

static int
endpoint_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	const struct dp *dp = c->dp;
	json_t *a = json_array();

	(void)params;
	(void)err;
	(void)errlen;
	for (uint16_t i = 0; a != NULL && i < dp->n_ports; i++) {
		const struct dp_port *port = &dp->ports[i];
		const struct vx_endpoint *ep;
		json_t *o;

		if (port->name[0] == '\0' || port->role != DP_PORT_ENDPOINT || port->ep == VX_NONE)
			continue;
		ep = &dp->vx->eps[port->ep];
		o = json_object();
		json_object_set_new(o, "port", json_string(port->name));
		json_object_set_new(o, "vni", json_integer(ep->vni));
		json_object_set_new(o, "mac", ctl_mac_json(&ep->mac));
		json_object_set_new(o, "mtu", json_integer(ep->mtu));
		json_object_set_new(o, "any_src_mac", json_boolean(ep->any_src_mac));
		json_array_append_new(a, o);
	}
	if (a == NULL)
		return -ENOMEM;
	*result = a;
	return 0;
}
LOCKED(endpoint_show)

static const struct ctl_param p_ep_attach[] = {
	{.name = "port",
	 .type = CTL_P_STRING,
	 .required = true,
	 .max = VX_NAME_LEN - 1,
	 .help = "the port to attach"},
	{.name = "vni",
	 .type = CTL_P_INT,
	 .required = true,
	 .min = 0,
	 .max = VNI_MAX,
	 .help = "the VNI"},
	{.name = "mac",
	 .type = CTL_P_MAC,
	 .required = true,
	 .help = "the container's MAC behind the port"},
	{.name = "mtu",
	 .type = CTL_P_INT,
	 .min = 576,
	 .max = 9000,
	 .help = "largest inner IP packet (default: the port's MTU)"},
	{.name = "any_src_mac",
	 .type = CTL_P_BOOL,
	 .help = "accept any source MAC (default false: anti-spoofing)"},
	{0},
};

static int
endpoint_attach(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_ep_attach_args a = {
		.port = ctl_param_str(params, "port", NULL),
		.vni = (uint32_t)ctl_param_int(params, "vni", 0),
		.mtu = (uint16_t)ctl_param_int(params, "mtu", 0),
		.any_src_mac = ctl_param_bool(params, "any_src_mac", false),
	};
	int rc;

	mac_param(params, "mac", &a.mac);
	rc = dp_ep_attach(c->dp, &a);
	if (rc == -ENOENT && dp_port_find(c->dp, a.port) < 0)
		return ctl_fail(rc, err, errlen, "no port '%s'", a.port);
	if (rc == -ENOENT)
		return ctl_fail(rc, err, errlen, "no VNI %u", a.vni);
	if (rc == -EBUSY)
		return ctl_fail(rc, err, errlen, "port '%s' is already attached", a.port);
	if (rc == -EPERM)
		return ctl_fail(rc, err, errlen, "the underlay port cannot be attached to a VNI");
	if (rc == -EEXIST)
		return ctl_fail(rc, err, errlen, "MAC %s is already in use in VNI %u",
				ctl_param_str(params, "mac", ""), a.vni);
	if (rc == -EINVAL)
		return ctl_fail(rc, err, errlen, "mac: %s is not a unicast MAC",
				ctl_param_str(params, "mac", ""));
	if (rc < 0)
		return rc;
	return ok(result);
}
LOCKED(endpoint_attach)

static const struct ctl_param p_ep_detach[] = {
	{.name = "port",
	 .type = CTL_P_STRING,
	 .required = true,
	 .max = VX_NAME_LEN - 1,
	 .help = "the port to detach"},
	{0},
};

static int
endpoint_detach(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_ep_detach_args a = {.port = ctl_param_str(params, "port", NULL)};
	int rc = dp_ep_detach(c->dp, &a);

	if (rc == -ENOENT)
		return ctl_fail(rc, err, errlen, "no port '%s'", a.port);
	if (rc == -EINVAL)
		return ctl_fail(rc, err, errlen, "port '%s' is not attached", a.port);
	if (rc < 0)
		return rc;
	return ok(result);
}
LOCKED(endpoint_detach)

/* ------------------------------------------------------------------------- */
/* Pipeline settings, flows, counters.                                       */

static int
mflow_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)params;
	(void)err;
	(void)errlen;
	*result = dp_mflow_json(c->dp);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(mflow_show)

static const char *const mode_choices[] = {"rtc", "pinned", "microflow", NULL};
static const char *const pick_choices[] = {"rr", "least", NULL};

static const struct ctl_param p_mflow_set[] = {
	{.name = "mode", .type = CTL_P_ENUM, .choices = mode_choices, .help = "how to spread work"},
	{.name = "workers",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = DP_MF_MAX_WORKERS,
	 .help = "active workers, up to the worker lcores"},
	{.name = "batch_size",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = 65536,
	 .help = "packets per elephant batch"},
	{.name = "pick",
	 .type = CTL_P_ENUM,
	 .choices = pick_choices,
	 .help = "worker of the next batch"},
	{.name = "merge_timeout_us",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = 10000000,
	 .help = "wait for a stalled batch before skipping it (0: never)"},
	{.name = "window_us",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = 10000000,
	 .help = "elephant detection window"},
	{.name = "promote_pkts",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = UINT32_MAX,
	 .help = "packets per window that make an elephant"},
	{.name = "promote_bytes",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = INT64_MAX,
	 .help = "bytes per window that make an elephant (0: off)"},
	{.name = "demote_pkts",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = UINT32_MAX,
	 .help = "a window below this many packets counts low"},
	{.name = "demote_bytes",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = INT64_MAX,
	 .help = "...and below this many bytes (0: off)"},
	{.name = "promote_windows",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = 255,
	 .help = "high windows in a row before promotion"},
	{.name = "demote_windows",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = 255,
	 .help = "low windows in a row before demotion"},
	{.name = "ring_size",
	 .type = CTL_P_INT,
	 .min = 64,
	 .max = 65536,
	 .help = "entries per worker ring, a power of two"},
	{.name = "table_size",
	 .type = CTL_P_INT,
	 .min = 4,
	 .max = 1048576,
	 .help = "flows the elephant detector tracks, a power of two"},
	{0},
};

/* mflow.set's ring_size and table_size, before the other settings. */
static int
mflow_resize(struct ctl_ctx *c, const json_t *params, char *err, size_t errlen)
{
	struct dp_pipe_resize_args a = {
		.ring_size = (uint32_t)ctl_param_int(params, "ring_size", 0),
		.flow_entries = (uint32_t)ctl_param_int(params, "table_size", 0),
	};
	int rc;

	if (a.ring_size == 0 && a.flow_entries == 0)
		return 0;
	if ((a.ring_size & (a.ring_size - 1)) != 0)
		return ctl_fail(-EINVAL, err, errlen, "ring_size: expected a power of two, got %u",
				a.ring_size);
	if ((a.flow_entries & (a.flow_entries - 1)) != 0)
		return ctl_fail(-EINVAL, err, errlen, "table_size: expected a power of two, got %u",
				a.flow_entries);
	rc = dp_pipe_resize(c->dp, &a);
	if (rc == -ENOTSUP)
		return ctl_fail(rc, err, errlen, "no pipeline: mflowd runs without worker lcores");
	if (rc == -ENOSPC)
		return ctl_fail(
			rc, err, errlen,
			"ring_size: the packet pool has too few free mbufs for longer rings");
	if (rc == -ETIMEDOUT || rc == -EBUSY)
		return ctl_fail(rc, err, errlen,
				"the workers did not drain in time; nothing changed");
	if (rc < 0)
		return ctl_fail(rc, err, errlen, "cannot resize the pipeline: %s", strerror(-rc));
	return 0;
}

static int
mflow_set(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_mf_conf m;
	const char *s;
	int rc;

	dp_mf_conf_get(c->dp, &m);
	s = ctl_param_str(params, "mode", NULL);
	if (s != NULL)
		m.mode = strcmp(s, "microflow") == 0 ? DP_MODE_MICROFLOW
			 : strcmp(s, "pinned") == 0  ? DP_MODE_PINNED
						     : DP_MODE_RTC;
	s = ctl_param_str(params, "pick", NULL);
	if (s != NULL)
		m.pick = strcmp(s, "least") == 0 ? DP_MF_PICK_LEAST : DP_MF_PICK_RR;
	m.workers = (uint16_t)ctl_param_int(params, "workers", m.workers);
	m.batch_size = (uint32_t)ctl_param_int(params, "batch_size", m.batch_size);
	m.merge_timeout_us =
		(uint32_t)ctl_param_int(params, "merge_timeout_us", m.merge_timeout_us);
	m.window_us = (uint32_t)ctl_param_int(params, "window_us", m.window_us);
	m.promote_pkts = (uint64_t)ctl_param_int(params, "promote_pkts", (int64_t)m.promote_pkts);
	m.promote_bytes =
		(uint64_t)ctl_param_int(params, "promote_bytes", (int64_t)m.promote_bytes);
	m.demote_pkts = (uint64_t)ctl_param_int(params, "demote_pkts", (int64_t)m.demote_pkts);
	m.demote_bytes = (uint64_t)ctl_param_int(params, "demote_bytes", (int64_t)m.demote_bytes);
	m.promote_windows = (uint8_t)ctl_param_int(params, "promote_windows", m.promote_windows);
	m.demote_windows = (uint8_t)ctl_param_int(params, "demote_windows", m.demote_windows);
	if (c->dp->n_workers != 0 && m.workers > c->dp->n_workers)
		return ctl_fail(-EINVAL, err, errlen, "workers: at most %u (the worker lcores)",
				c->dp->n_workers);
	rc = mflow_resize(c, params, err, errlen);
	if (rc < 0)
		return rc;
	rc = dp_mf_reconfigure(c->dp, &m, dp_mf_reconfigure_wait_ms(c->dp));
	if (rc < 0)
		c->dp->mf_refused++;
	if (rc == -ENOTSUP)
		return ctl_fail(rc, err, errlen,
				"mode %s needs worker lcores (mflow.worker_lcores in the config)",
				dp_mode_name(m.mode));
	if (rc == -EINVAL)
		return ctl_fail(rc, err, errlen,
				"inconsistent settings (demote thresholds above promote ones?)");
	if (rc == -ETIMEDOUT)
		return ctl_fail(rc, err, errlen,
				"the workers did not drain in time; nothing changed");
	if (rc == -EINPROGRESS)
		return ctl_fail(-ETIMEDOUT, err, errlen,
				"the dispatch lcore has not answered; the change may still apply");
	if (rc < 0)
		return rc;
	*result = dp_mflow_json(c->dp);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(mflow_set)

static const struct ctl_param p_flows[] = {
	{.name = "top",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = 256,
	 .help = "how many flows (default 10)"},
	{0},
};

static int
flows_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_flow_info fl[256];
	struct dp_flows_args a = {.max = (unsigned int)ctl_param_int(params, "top", 10), .out = fl};
	json_t *o, *arr;
	double per_s;
	int rc;

	rc = dp_flows_top(c->dp, &a);
	if (rc < 0)
		return ctl_fail(rc, err, errlen, "%s", strerror(-rc));
	per_s = a.window_us != 0 ? 1e6 / a.window_us : 0;
	o = json_object();
	arr = json_array();
	if (o == NULL || arr == NULL) {
		json_decref(o);
		json_decref(arr);
		return -ENOMEM;
	}
	json_object_set_new(o, "tracked", json_boolean(a.tracked));
	json_object_set_new(o, "window_us", json_integer(a.window_us));
	for (unsigned int i = 0; i < a.n; i++) {
		char h[16];

		snprintf(h, sizeof(h), "0x%08x", fl[i].hash);
		json_array_append_new(arr,
				      json_pack("{s:s,s:b,s:i,s:I,s:I,s:I}", "flow", h, "elephant",
						fl[i].elephant, "slot", (int)fl[i].slot, "pps",
						(json_int_t)((double)fl[i].pkts * per_s), "bps",
						(json_int_t)((double)fl[i].bytes * 8 * per_s),
						"idle_us", (json_int_t)fl[i].idle_us));
	}
	json_object_set_new(o, "flows", arr);
	*result = o;
	return 0;
}
LOCKED(flows_show)

static const struct ctl_param p_counters[] = {
	{.name = "all", .type = CTL_P_BOOL, .help = "include counters that are zero"},
	{.name = "lcore",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = RTE_MAX_LCORE - 1,
	 .help = "only this lcore"},
	{0},
};

static int
counters_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	json_t *o = dp_counters_json(c->dp, ctl_param_bool(params, "all", false)), *lcs, *l;
	size_t i;

	if (o == NULL)
		return -ENOMEM;
	if (ctl_param_has(params, "lcore")) {
		json_int_t want = ctl_param_int(params, "lcore", 0);

		lcs = json_object_get(o, "lcores");
		json_array_foreach (lcs, i, l)
			if (json_integer_value(json_object_get(l, "lcore")) == want) {
				*result = json_incref(l);
				json_decref(o);
				return 0;
			}
		json_decref(o);
		return ctl_fail(-ENOENT, err, errlen, "lcore %" JSON_INTEGER_FORMAT " has no role",
				want);
	}
	*result = o;
	return 0;
}
LOCKED(counters_show)

static const struct ctl_param p_stats_set[] = {
	{.name = "file",
	 .type = CTL_P_STRING,
	 .max = CTL_PATH_LEN - 1,
	 .help = "where the stats file goes (written at once to check it)"},
	{.name = "off", .type = CTL_P_BOOL, .help = "stop writing the stats file"},
	{.name = "interval_s",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = 3600,
	 .help = "period of the writes (0: on SIGUSR1 and exit only)"},
	{0},
};

static int
stats_set(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	const char *file = ctl_param_str(params, "file", NULL);
	bool off = ctl_param_bool(params, "off", false);
	int rc;

	if (file != NULL && off)
		return ctl_fail(-EINVAL, err, errlen, "give file or off, not both");
	if (file != NULL) {
		/* Write it once now: a path that cannot be written changes nothing. */
		rc = dp_stats_write(c->dp, file);
		if (rc < 0)
			return ctl_fail(rc, err, errlen, "cannot write '%s': %s", file,
					strerror(-rc));
		snprintf(c->stats_file, sizeof(c->stats_file), "%s", file);
	}
	if (off)
		c->stats_file[0] = '\0';
	if (ctl_param_has(params, "interval_s"))
		c->stats_interval_s = (uint32_t)ctl_param_int(params, "interval_s", 0);
	*result = json_pack("{s:s,s:I}", "file", c->stats_file, "interval_s",
			    (json_int_t)c->stats_interval_s);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(stats_set)

static int
stats_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)params;
	(void)err;
	(void)errlen;
	*result = dp_stats_json(c->dp);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(stats_show)

/* ------------------------------------------------------------------------- */
/* Underlay.                                                                 */

static json_t *
underlay_json(const struct vx_underlay *u, const struct dp *dp)
{
	json_t *o = json_object();

	json_object_set_new(o, "port", json_string(dp->ports[dp->vx->p.underlay_port].name));
	json_object_set_new(o, "devargs", json_string(dp->ports[dp->vx->p.underlay_port].devargs));
	json_object_set_new(o, "mac", ctl_mac_json(&u->mac));
	json_object_set_new(o, "ip4", ctl_prefix_json(&u->ip4, u->plen4));
	json_object_set_new(o, "ip6", ctl_prefix_json(&u->ip6, u->plen6));
	json_object_set_new(o, "gateway4", u->gw4.family != 0 ? ctl_ip_json(&u->gw4) : json_null());
	json_object_set_new(o, "gateway6", u->gw6.family != 0 ? ctl_ip_json(&u->gw6) : json_null());
	json_object_set_new(o, "mtu", json_integer(u->mtu));
	json_object_set_new(o, "udp_port", json_integer(u->udp_port));
	json_object_set_new(o, "strict_reserved", json_boolean(u->strict_reserved));
	json_object_set_new(o, "udp6_zero_csum_rx", json_boolean(u->udp6_zero_csum_rx));
	json_object_set_new(o, "udp6_zero_csum_tx", json_boolean(u->udp6_zero_csum_tx));
	return o;
}

static int
underlay_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct vx_underlay u;

	(void)params;
	(void)err;
	(void)errlen;
	vx_underlay_get(c->dp->vx, &u);
	*result = underlay_json(&u, c->dp);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(underlay_show)

static const struct ctl_param p_underlay_set[] = {
	{.name = "devargs",
	 .type = CTL_P_STRING,
	 .max = DP_DEVARGS_LEN - 1,
	 .help = "move the underlay to this DPDK device"},
	{.name = "ip4",
	 .type = CTL_P_STRING,
	 .max = 64,
	 .help = "local IPv4 address with prefix length, or none"},
	{.name = "ip6",
	 .type = CTL_P_STRING,
	 .max = 64,
	 .help = "local IPv6 address with prefix length, or none"},
	{.name = "gateway4",
	 .type = CTL_P_STRING,
	 .max = 64,
	 .help = "IPv4 gateway for off-link VTEPs, or none"},
	{.name = "gateway6",
	 .type = CTL_P_STRING,
	 .max = 64,
	 .help = "IPv6 gateway for off-link VTEPs, or none"},
	{.name = "mac", .type = CTL_P_MAC, .help = "underlay MAC"},
	{.name = "mtu", .type = CTL_P_INT, .min = 576, .max = 9000, .help = "underlay IP MTU"},
	{.name = "udp_port", .type = CTL_P_INT, .min = 1, .max = 65535, .help = "VxLAN UDP port"},
	{.name = "strict_reserved",
	 .type = CTL_P_BOOL,
	 .help = "drop VxLAN packets with reserved bits set"},
	{.name = "udp6_zero_csum_rx",
	 .type = CTL_P_BOOL,
	 .help = "accept zero UDP checksums on IPv6"},
	{.name = "udp6_zero_csum_tx",
	 .type = CTL_P_BOOL,
	 .help = "send zero UDP checksums on IPv6"},
	{0},
};

/* An address parameter: "none" clears it; @p plen NULL means no prefix. */
static int
addr_param(const json_t *params, const char *name, int family, struct vx_ip *ip, uint8_t *plen,
	   char *err, size_t errlen)
{
	const char *s = ctl_param_str(params, name, NULL);
	struct vx_ip v;
	uint8_t l = 0;
	int rc;

	if (s == NULL)
		return 0;
	if (strcmp(s, "none") == 0) {
		memset(ip, 0, sizeof(*ip));
		if (plen != NULL)
			*plen = 0;
		return 0;
	}
	rc = plen != NULL ? vx_prefix_parse(s, &v, &l) : vx_ip_parse(s, &v);
	if (rc != 0 || v.family != family)
		return ctl_fail(-EINVAL, err, errlen, "%s: invalid %s '%.64s'", name,
				plen != NULL
					? (family == AF_INET ? "IPv4 prefix" : "IPv6 prefix")
					: (family == AF_INET ? "IPv4 address" : "IPv6 address"),
				s);
	*ip = v;
	if (plen != NULL)
		*plen = l;
	return 0;
}

static int
underlay_set(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	const char *devargs = ctl_param_str(params, "devargs", NULL);
	struct vx_underlay u, old;
	int rc;

	vx_underlay_get(c->dp->vx, &u);
	if (addr_param(params, "ip4", AF_INET, &u.ip4, &u.plen4, err, errlen) < 0 ||
	    addr_param(params, "ip6", AF_INET6, &u.ip6, &u.plen6, err, errlen) < 0 ||
	    addr_param(params, "gateway4", AF_INET, &u.gw4, NULL, err, errlen) < 0 ||
	    addr_param(params, "gateway6", AF_INET6, &u.gw6, NULL, err, errlen) < 0)
		return -EINVAL;
	if (ctl_param_has(params, "mac"))
		mac_param(params, "mac", &u.mac);
	u.mtu = (uint16_t)ctl_param_int(params, "mtu", u.mtu);
	u.udp_port = (uint16_t)ctl_param_int(params, "udp_port", u.udp_port);
	u.strict_reserved = ctl_param_bool(params, "strict_reserved", u.strict_reserved);
	u.udp6_zero_csum_rx = ctl_param_bool(params, "udp6_zero_csum_rx", u.udp6_zero_csum_rx);
	u.udp6_zero_csum_tx = ctl_param_bool(params, "udp6_zero_csum_tx", u.udp6_zero_csum_tx);
	vx_underlay_get(c->dp->vx, &old);
	rc = dp_underlay_set(c->dp, &u);
	if (rc == 0 && devargs != NULL) {
		rc = dp_underlay_port_set(c->dp, devargs);
		/* The settings were valid before: put them back. */
		if (rc < 0 && dp_underlay_set(c->dp, &old) < 0)
			RTE_LOG(ERR, USER1, "ctl: cannot restore the underlay settings\n");
		if (rc == -ENODEV)
			return ctl_fail(rc, err, errlen, "cannot probe or start device '%s'",
					devargs);
		if (rc < 0)
			return ctl_fail(rc, err, errlen, "cannot move the underlay to '%s': %s",
					devargs, strerror(-rc));
		vx_underlay_get(c->dp->vx, &u);
	}
	if (rc == -EAFNOSUPPORT)
		return ctl_fail(rc, err, errlen,
				"a VTEP needs the local address of its family; remove it first");
	if (rc == -EINVAL)
		return ctl_fail(
			rc, err, errlen,
			"inconsistent underlay (no address, a gateway without a local address "
			"of its family, a multicast MAC, or a VTEP with our address)");
	if (rc == -ENOSPC)
		return ctl_fail(rc, err, errlen, "no room for the next hops the change needs");
	if (rc < 0)
		return rc;
	*result = underlay_json(&u, c->dp);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(underlay_set)

/* ------------------------------------------------------------------------- */
/* Front-ends: the control socket and CoAP.                                  */

static json_t *
control_json(const struct ctl_ctx *c, const struct ctl_control_cfg *cc)
{
	return json_pack("{s:s,s:s,s:i,s:I,s:b,s:s}", "socket", cc->socket, "group", cc->group,
			 "max_clients", (int)cc->max_clients, "max_request",
			 (json_int_t)cc->max_request, "pending", c->control_pending, "last_error",
			 c->control_error);
}

static int
control_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)params;
	(void)err;
	(void)errlen;
	*result = control_json(c, &c->control);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(control_show)

static const struct ctl_param p_control_set[] = {
	{.name = "socket",
	 .type = CTL_P_STRING,
	 .max = 107,
	 .help = "socket path, or none to stop serving the socket"},
	{.name = "group",
	 .type = CTL_P_STRING,
	 .max = 32,
	 .help = "group allowed on the socket, or none"},
	{.name = "max_clients",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = 1024,
	 .help = "connections served at once"},
	{.name = "max_request",
	 .type = CTL_P_INT,
	 .min = 64,
	 .max = 16777216,
	 .help = "longest request in bytes"},
	{0},
};

static int
control_set(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct ctl_control_cfg n = c->control;
	const char *sock = ctl_param_str(params, "socket", NULL);
	const char *grp = ctl_param_str(params, "group", NULL);

	if (sock != NULL)
		snprintf(n.socket, sizeof(n.socket), "%s", strcmp(sock, "none") == 0 ? "" : sock);
	if (grp != NULL) {
		if (strcmp(grp, "none") != 0 && getgrnam(grp) == NULL)
			return ctl_fail(-ENOENT, err, errlen, "group: no group '%.32s'", grp);
		snprintf(n.group, sizeof(n.group), "%s", strcmp(grp, "none") == 0 ? "" : grp);
	}
	n.max_clients = (uint16_t)ctl_param_int(params, "max_clients", n.max_clients);
	n.max_request = (uint32_t)ctl_param_int(params, "max_request", n.max_request);
	c->control_next = n;
	c->control_pending = true;
	*result = control_json(c, &n);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(control_set)

static json_t *
coap_json(const struct ctl_ctx *c, const struct ctl_coap_cfg *cc)
{
	/* The key itself is never shown. */
	return json_pack("{s:b,s:s,s:i,s:i,s:s,s:b,s:I,s:I,s:b,s:b,s:s}", "enabled", cc->enabled,
			 "address", cc->address, "port", (int)cc->port, "dtls_port",
			 (int)cc->dtls_port, "psk_identity", cc->psk_identity, "has_psk_key",
			 cc->psk_len != 0, "observe_interval_ms",
			 (json_int_t)cc->observe_interval_ms, "max_payload",
			 (json_int_t)cc->max_payload, "dtls_available", ctl_coap_dtls_available(),
			 "pending", c->coap_pending, "last_error", c->coap_error);
}

static int
coap_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)params;
	(void)err;
	(void)errlen;
	*result = coap_json(c, &c->coap);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(coap_show)

static const struct ctl_param p_coap_set[] = {
	{.name = "enabled", .type = CTL_P_BOOL, .help = "serve CoAP"},
	{.name = "address", .type = CTL_P_IP, .help = "address to bind"},
	{.name = "port",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = 65535,
	 .help = "plain CoAP port (0: none)"},
	{.name = "dtls_port",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = 65535,
	 .help = "CoAP over DTLS port (0: none)"},
	{.name = "psk_identity", .type = CTL_P_STRING, .max = 127, .help = "DTLS PSK identity"},
	{.name = "psk_key", .type = CTL_P_STRING, .max = 64, .help = "DTLS pre-shared key"},
	{.name = "observe_interval_ms",
	 .type = CTL_P_INT,
	 .min = 100,
	 .max = 3600000,
	 .help = "period of observe notifications"},
	{.name = "max_payload",
	 .type = CTL_P_INT,
	 .min = 64,
	 .max = 65536,
	 .help = "largest request payload"},
	{0},
};

static int
coap_set(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct ctl_coap_cfg n = c->coap;
	const char *s;

	n.enabled = ctl_param_bool(params, "enabled", n.enabled);
	s = ctl_param_str(params, "address", NULL);
	if (s != NULL) {
		struct vx_ip ip;

		ip_param(params, "address", &ip);
		vx_ip_fmt(&ip, n.address, sizeof(n.address));
	}
	n.port = (uint16_t)ctl_param_int(params, "port", n.port);
	n.dtls_port = (uint16_t)ctl_param_int(params, "dtls_port", n.dtls_port);
	s = ctl_param_str(params, "psk_identity", NULL);
	if (s != NULL)
		snprintf(n.psk_identity, sizeof(n.psk_identity), "%s", s);
	s = ctl_param_str(params, "psk_key", NULL);
	if (s != NULL) {
		n.psk_len = (uint8_t)strlen(s);
		memcpy(n.psk_key, s, n.psk_len);
	}
	n.observe_interval_ms =
		(uint32_t)ctl_param_int(params, "observe_interval_ms", n.observe_interval_ms);
	n.max_payload = (uint32_t)ctl_param_int(params, "max_payload", n.max_payload);
	/* The rules of the config file's coap section. */
	if (n.port != 0 && n.port == n.dtls_port)
		return ctl_fail(-EINVAL, err, errlen, "dtls_port: same port as port: %u", n.port);
	if (n.dtls_port != 0 && (n.psk_identity[0] == '\0' || n.psk_len == 0))
		return ctl_fail(-EINVAL, err, errlen, "dtls_port needs psk_identity and psk_key");
	if (n.enabled && n.port == 0 && n.dtls_port == 0)
		return ctl_fail(-EINVAL, err, errlen, "enabled needs a non-zero port or dtls_port");
	if (n.dtls_port != 0 && !ctl_coap_dtls_available())
		return ctl_fail(-ENOTSUP, err, errlen, "libcoap has no DTLS");
	c->coap_next = n;
	c->coap_pending = true;
	*result = coap_json(c, &n);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(coap_set)

/* ------------------------------------------------------------------------- */
/* Dataplane tunables.                                                       */

/* Parameter name, field bit, and where the value lives in the args. */
static const struct {
	const char *name;
	unsigned int bit;
} tune_fields[] = {
	{"burst", DP_TUNE_BURST},
	{"drain_us", DP_TUNE_DRAIN_US},
	{"idle_polls", DP_TUNE_IDLE_POLLS},
	{"idle_sleep_us", DP_TUNE_IDLE_SLEEP_US},
	{"idle_sleep_max_us", DP_TUNE_IDLE_SLEEP_MAX_US},
	{"fdb_age_s", DP_TUNE_FDB_AGE_S},
	{"neigh_reachable_s", DP_TUNE_NEIGH_REACHABLE_S},
	{"neigh_retrans_ms", DP_TUNE_NEIGH_RETRANS_MS},
	{"neigh_failed_s", DP_TUNE_NEIGH_FAILED_S},
	{"neigh_probes", DP_TUNE_NEIGH_PROBES},
};

static json_t *
tune_json(const struct dp_tune_args *a)
{
	return json_pack("{s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i}", "burst", a->burst, "drain_us",
			 (json_int_t)a->drain_us, "idle_polls", (json_int_t)a->idle_polls,
			 "idle_sleep_us", (json_int_t)a->idle_sleep_us, "idle_sleep_max_us",
			 (json_int_t)a->idle_sleep_max_us, "fdb_age_s", (json_int_t)a->fdb_age_s,
			 "neigh_reachable_s", (json_int_t)a->neigh_reachable_s, "neigh_retrans_ms",
			 (json_int_t)a->neigh_retrans_ms, "neigh_failed_s",
			 (json_int_t)a->neigh_failed_s, "neigh_probes", a->neigh_probes);
}

/* The tunables and the sizes, as dataplane.show answers. */
static json_t *
dataplane_json(const struct dp *dp)
{
	struct dp_port_defaults d;
	struct dp_tune_args a;
	json_t *o;

	dp_tune_get(dp, &a);
	dp_port_defaults_get(dp, &d);
	o = tune_json(&a);
	if (o == NULL || json_object_set_new(o, "fdb_size", json_integer(dp->vx->p.fdb_size)) < 0 ||
	    json_object_set_new(o, "rx_desc", json_integer(d.rxd)) < 0 ||
	    json_object_set_new(o, "tx_desc", json_integer(d.txd)) < 0 ||
	    json_object_set_new(o, "mbufs", json_integer(d.mbufs)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
dataplane_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)params;
	(void)err;
	(void)errlen;
	*result = dataplane_json(c->dp);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(dataplane_show)

static const struct ctl_param p_dataplane_set[] = {
	{.name = "burst", .type = CTL_P_INT, .min = 1, .max = DP_BURST_MAX, .help = "RX burst"},
	{.name = "drain_us",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = 100000,
	 .help = "TX drain and timer period"},
	{.name = "idle_polls",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = UINT32_MAX,
	 .help = "empty polls before sleeping (0: never sleep)"},
	{.name = "idle_sleep_us",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = 100000,
	 .help = "first idle sleep"},
	{.name = "idle_sleep_max_us",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = 1000000,
	 .help = "cap of the doubling idle sleep"},
	{.name = "fdb_age_s",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = 31536000,
	 .help = "learned FDB entry lifetime (0: never)"},
	{.name = "neigh_reachable_s",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = 86400,
	 .help = "how long a resolved next hop stays reachable"},
	{.name = "neigh_retrans_ms",
	 .type = CTL_P_INT,
	 .min = 10,
	 .max = 60000,
	 .help = "time between resolution probes"},
	{.name = "neigh_failed_s",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = 3600,
	 .help = "hold-down after failed resolution"},
	{.name = "neigh_probes",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = 10,
	 .help = "probes per resolution round"},
	{.name = "fdb_size",
	 .type = CTL_P_INT,
	 .min = DP_FDB_SIZE_MIN,
	 .max = DP_FDB_SIZE_MAX,
	 .help = "FDB capacity (the table is rebuilt)"},
	{.name = "rx_desc",
	 .type = CTL_P_INT,
	 .min = 64,
	 .max = 4096,
	 .help = "RX descriptors of ports opened from now on"},
	{.name = "tx_desc",
	 .type = CTL_P_INT,
	 .min = 64,
	 .max = 4096,
	 .help = "TX descriptors of ports opened from now on"},
	{.name = "mbufs",
	 .type = CTL_P_INT,
	 .min = 1023,
	 .max = 1048575,
	 .help = "least mbufs of packet pools created from now on"},
	{0},
};

static int
dataplane_set(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct dp_tune_args a;
	uint32_t v[RTE_DIM(tune_fields)];
	int rc;

	memset(&a, 0, sizeof(a));
	for (unsigned int i = 0; i < RTE_DIM(tune_fields); i++)
		if (ctl_param_has(params, tune_fields[i].name)) {
			a.set |= tune_fields[i].bit;
			v[i] = (uint32_t)ctl_param_int(params, tune_fields[i].name, 0);
		} else {
			v[i] = 0;
		}
	a.burst = (uint16_t)v[0];
	a.drain_us = v[1];
	a.idle_polls = v[2];
	a.idle_sleep_us = v[3];
	a.idle_sleep_max_us = v[4];
	a.fdb_age_s = v[5];
	a.neigh_reachable_s = v[6];
	a.neigh_retrans_ms = v[7];
	a.neigh_failed_s = v[8];
	a.neigh_probes = (uint8_t)v[9];
	/* The FDB resize is the part that may be refused: first. */
	if (ctl_param_has(params, "fdb_size")) {
		uint32_t size = (uint32_t)ctl_param_int(params, "fdb_size", 0);

		rc = dp_fdb_resize(c->dp, size);
		if (rc == -ENOSPC)
			return ctl_fail(rc, err, errlen,
					"fdb_size: the FDB holds more than %u entries", size);
		if (rc < 0)
			return ctl_fail(rc, err, errlen, "cannot resize the FDB: %s",
					strerror(-rc));
	}
	{
		struct dp_port_defaults d = {
			.rxd = (uint16_t)ctl_param_int(params, "rx_desc", 0),
			.txd = (uint16_t)ctl_param_int(params, "tx_desc", 0),
			.mbufs = (uint32_t)ctl_param_int(params, "mbufs", 0),
		};

		rc = dp_port_defaults_set(c->dp, &d);
		if (rc < 0)
			return ctl_fail(rc, err, errlen, "%s", strerror(-rc));
	}
	rc = dp_tune(c->dp, &a);
	if (rc < 0)
		return ctl_fail(rc, err, errlen, "%s", strerror(-rc));
	*result = dataplane_json(c->dp);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(dataplane_set)

/* ------------------------------------------------------------------------- */
/* Capture.                                                                  */

static const char *const dir_choices[] = {"both", "rx", "tx", NULL};

static const struct ctl_param p_capture_start[] = {
	{.name = "port",
	 .type = CTL_P_STRING,
	 .max = VX_NAME_LEN - 1,
	 .help = "capture this port (or give vni)"},
	{.name = "vni",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = VNI_MAX,
	 .help = "capture the frames entering this VNI (or give port)"},
	{.name = "file",
	 .type = CTL_P_STRING,
	 .required = true,
	 .max = 4095,
	 .help = "pcap file to write"},
	{.name = "count",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = INT64_MAX,
	 .help = "stop after this many packets"},
	{.name = "seconds",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = 86400,
	 .help = "stop after this long (default 60 when count is not given)"},
	{.name = "snaplen",
	 .type = CTL_P_INT,
	 .min = 64,
	 .max = 65535,
	 .help = "bytes kept per frame (default 65535)"},
	{.name = "dir",
	 .type = CTL_P_ENUM,
	 .choices = dir_choices,
	 .help = "directions of a port capture (default both)"},
	{0},
};

static int
capture_start(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	const char *dir = ctl_param_str(params, "dir", "both");
	struct dp_capture_args a = {
		.port = ctl_param_str(params, "port", NULL),
		.has_vni = ctl_param_has(params, "vni"),
		.vni = (uint32_t)ctl_param_int(params, "vni", 0),
		.file = ctl_param_str(params, "file", NULL),
		.count = (uint64_t)ctl_param_int(params, "count", 0),
		.seconds = (uint32_t)ctl_param_int(params, "seconds", 0),
		.snaplen = (uint32_t)ctl_param_int(params, "snaplen", 0),
		.dir = strcmp(dir, "rx") == 0	? DP_CAP_RX
		       : strcmp(dir, "tx") == 0 ? DP_CAP_TX
						: DP_CAP_RX | DP_CAP_TX,
	};
	unsigned int id;
	int rc;

	if ((a.port == NULL) == !a.has_vni)
		return ctl_fail(-EINVAL, err, errlen, "give either port or vni");
	if (a.has_vni && ctl_param_has(params, "dir"))
		return ctl_fail(-EINVAL, err, errlen, "dir: only for port captures");
	if (a.has_vni)
		a.dir = 0;
	if (a.count == 0 && a.seconds == 0)
		a.seconds = 60;
	rc = dp_capture_start(c->dp, &a, &id);
	if (rc == -ENOENT && a.port != NULL && dp_port_find(c->dp, a.port) < 0)
		return ctl_fail(rc, err, errlen, "no port '%s'", a.port);
	if (rc == -ENOENT && a.has_vni && vx_vni_find(c->dp->vx, a.vni) < 0)
		return ctl_fail(rc, err, errlen, "no VNI %u", a.vni);
	if (rc == -EBUSY)
		return ctl_fail(rc, err, errlen,
				"too many captures, or that port is being captured");
	if (rc < 0)
		return ctl_fail(rc, err, errlen, "cannot capture to '%s': %s", a.file,
				strerror(-rc));
	*result = json_pack("{s:i,s:s}", "id", (int)id, "file", a.file);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(capture_start)

static const struct ctl_param p_capture_stop[] = {
	{.name = "id",
	 .type = CTL_P_INT,
	 .required = true,
	 .min = 1,
	 .max = INT32_MAX,
	 .help = "the capture's ID"},
	{0},
};

static int
capture_stop(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	unsigned int id = (unsigned int)ctl_param_int(params, "id", 0);
	int rc = dp_capture_stop(c->dp, id);

	if (rc == -ENOENT)
		return ctl_fail(rc, err, errlen, "no running capture %u", id);
	if (rc < 0)
		return rc;
	return ok(result);
}
LOCKED(capture_stop)

static int
capture_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)params;
	(void)err;
	(void)errlen;
	*result = dp_capture_json(c->dp);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(capture_show)

/* ------------------------------------------------------------------------- */
/* Configuration.                                                            */

/* Collect the static entries of the snapshot into the config. */
static int
running_fdb_neigh(struct ctl_ctx *c, struct ctl_config *out)
{
	const struct dp_snapshot *s = c->dp->snap;
	const struct vx_inst *vx = c->dp->vx;
	unsigned int nf = 0, nn = 0;

	out->fdb = calloc(s->n_fdb + 1, sizeof(*out->fdb));
	out->neigh = calloc(s->n_neigh + 1, sizeof(*out->neigh));
	if (out->fdb == NULL || out->neigh == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < s->n_fdb; i++) {
		const struct vx_fdb_entry *e = &s->fdb[i];

		if (e->kind != VX_FDB_REMOTE || !e->is_static || e->target >= vx->n_vteps)
			continue;
		out->fdb[nf].vni = e->vni;
		out->fdb[nf].mac = e->mac;
		out->fdb[nf].vtep = vx->vteps[e->target].ip;
		nf++;
	}
	for (unsigned int i = 0; i < s->n_neigh; i++)
		if (s->neigh[i].ip.family != 0 && s->neigh[i].state == VX_NEIGH_STATIC) {
			out->neigh[nn].ip = s->neigh[i].ip;
			out->neigh[nn].mac = s->neigh[i].mac;
			nn++;
		}
	out->n_fdb = nf;
	out->n_neigh = nn;
	return 0;
}

int
ctl_running_config(struct ctl_ctx *c, struct ctl_config *out)
{
	const struct vx_inst *vx = c->dp->vx;
	const struct dp *dp = c->dp;
	struct dp_mf_conf m;
	unsigned int ne = 0, np = 0;
	int rc;

	/* The scalars and fixed sections as started; the tables as they are now. */
	*out = *c->boot;
	out->vnis = NULL;
	out->eps = NULL;
	out->fdb = NULL;
	out->neigh = NULL;
	out->ports = NULL;
	out->n_vnis = out->n_eps = out->n_fdb = out->n_neigh = out->n_ports = 0;

	rc = dp_snapshot(c->dp, dp_cmd_timeout_ms(c->dp));
	if (rc < 0)
		return rc;
	out->vnis = calloc(vx->n_vnis + 1u, sizeof(*out->vnis));
	out->eps = calloc(dp->n_ports + 1u, sizeof(*out->eps));
	out->ports = calloc(dp->n_ports + 1u, sizeof(*out->ports));
	if (out->vnis == NULL || out->eps == NULL || out->ports == NULL)
		goto out_nomem;
	for (uint16_t i = 0; i < vx->n_vnis; i++) {
		const struct vx_vni *v = &vx->vnis[i];

		out->vnis[i].vni = v->vni;
		out->vnis[i].n_vteps = v->n_vteps;
		for (uint16_t k = 0; k < v->n_vteps; k++)
			out->vnis[i].vteps[k] = vx->vteps[v->vteps[k]].ip;
	}
	out->n_vnis = vx->n_vnis;
	for (uint16_t i = 0; i < dp->n_ports; i++) {
		const struct dp_port *port = &dp->ports[i];

		if (port->name[0] == '\0' || port->role != DP_PORT_ENDPOINT)
			continue;
		if (port->ep != VX_NONE) {
			const struct vx_endpoint *ep = &vx->eps[port->ep];
			struct ctl_ep_cfg *e = &out->eps[ne++];

			snprintf(e->name, sizeof(e->name), "%s", port->name);
			snprintf(e->port, sizeof(e->port), "%s", port->devargs);
			e->vni = ep->vni;
			e->mac = ep->mac;
			e->mtu = ep->mtu;
			e->any_src_mac = ep->any_src_mac;
		} else {
			struct ctl_port_cfg *p = &out->ports[np++];

			snprintf(p->name, sizeof(p->name), "%s", port->name);
			snprintf(p->port, sizeof(p->port), "%s", port->devargs);
			p->mtu = port->mtu;
		}
	}
	out->n_eps = ne;
	out->n_ports = np;
	if (running_fdb_neigh(c, out) < 0)
		goto out_nomem;

	{
		struct dp_tune_args t;

		dp_tune_get(c->dp, &t);
		out->dp.burst = t.burst;
		out->dp.drain_us = t.drain_us;
		out->dp.idle_polls = t.idle_polls;
		out->dp.idle_sleep_us = t.idle_sleep_us;
		out->dp.idle_sleep_max_us = t.idle_sleep_max_us;
		out->dp.fdb_age_s = t.fdb_age_s;
		out->dp.neigh_reachable_s = t.neigh_reachable_s;
		out->dp.neigh_retrans_ms = t.neigh_retrans_ms;
		out->dp.neigh_failed_s = t.neigh_failed_s;
		out->dp.neigh_probes = t.neigh_probes;
	}
	{
		struct dp_port_defaults d;

		dp_port_defaults_get(c->dp, &d);
		out->dp.rxd = d.rxd;
		out->dp.txd = d.txd;
		out->dp.mbufs = d.mbufs;
		out->dp.fdb_size = vx->p.fdb_size;
		if (dp->p.map.ring_size != 0)
			out->mflow.ring_size = dp->p.map.ring_size;
		if (dp->p.map.flow_entries != 0)
			out->mflow.elephant.table_size = dp->p.map.flow_entries;
		snprintf(out->underlay.port, sizeof(out->underlay.port), "%s",
			 dp->ports[vx->p.underlay_port].devargs);
	}
	{
		struct vx_underlay u;

		vx_underlay_get(vx, &u);
		out->underlay.has_mac = true;
		out->underlay.mac = u.mac;
		out->underlay.ip4 = u.ip4;
		out->underlay.plen4 = u.plen4;
		out->underlay.ip6 = u.ip6;
		out->underlay.plen6 = u.plen6;
		out->underlay.gw4 = u.gw4;
		out->underlay.gw6 = u.gw6;
		out->underlay.mtu = u.mtu;
		out->underlay.udp_port = u.udp_port;
		out->underlay.strict_reserved = u.strict_reserved;
		out->underlay.udp6_zero_csum_rx = u.udp6_zero_csum_rx;
		out->underlay.udp6_zero_csum_tx = u.udp6_zero_csum_tx;
	}
	out->control = c->control;
	out->coap = c->coap;
	snprintf(out->stats_file, sizeof(out->stats_file), "%s", c->stats_file);
	out->stats_interval_s = c->stats_interval_s;
	dp_mf_conf_get(c->dp, &m);
	out->mflow.mode = m.mode == DP_MODE_MICROFLOW ? CTL_MF_MICROFLOW
			  : m.mode == DP_MODE_PINNED  ? CTL_MF_PINNED
						      : CTL_MF_RTC;
	out->mflow.pick = m.pick == DP_MF_PICK_LEAST ? CTL_MF_PICK_LEAST : CTL_MF_PICK_RR;
	out->mflow.workers = c->dp->n_workers != 0 ? m.workers : 0;
	out->mflow.batch_size = m.batch_size;
	out->mflow.merge_timeout_us = m.merge_timeout_us;
	out->mflow.elephant.window_us = m.window_us;
	out->mflow.elephant.promote_pkts = m.promote_pkts;
	out->mflow.elephant.promote_bytes = m.promote_bytes;
	out->mflow.elephant.demote_pkts = m.demote_pkts;
	out->mflow.elephant.demote_bytes = m.demote_bytes;
	out->mflow.elephant.promote_windows = m.promote_windows;
	out->mflow.elephant.demote_windows = m.demote_windows;
	return 0;

out_nomem:
	ctl_config_free(out);
	return -ENOMEM;
}

static int
config_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct ctl_config cfg;
	int rc;

	(void)params;
	rc = ctl_running_config(c, &cfg);
	if (rc < 0)
		return ctl_fail(rc, err, errlen, "cannot build the running config: %s",
				strerror(-rc));
	*result = ctl_config_dump(&cfg);
	ctl_config_free(&cfg);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(config_show)

static const struct ctl_param p_config_save[] = {
	{.name = "file",
	 .type = CTL_P_STRING,
	 .required = true,
	 .max = 4095,
	 .help = "where to write the running config (replaced atomically)"},
	{0},
};

static int
config_save(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	const char *file = ctl_param_str(params, "file", NULL);
	struct ctl_config cfg;
	int rc;

	rc = ctl_running_config(c, &cfg);
	if (rc < 0)
		return ctl_fail(rc, err, errlen, "cannot build the running config: %s",
				strerror(-rc));
	rc = ctl_config_save(&cfg, file);
	ctl_config_free(&cfg);
	if (rc < 0)
		return ctl_fail(rc, err, errlen, "cannot write '%s': %s", file, strerror(-rc));
	*result = json_pack("{s:s}", "file", file);
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(config_save)

static int
version_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)c;
	(void)params;
	(void)err;
	(void)errlen;
	*result = json_pack("{s:s,s:s}", "mflowd", MFLOWD_VERSION, "dpdk", rte_version());
	return *result != NULL ? 0 : -ENOMEM;
}
LOCKED(version_show)

/* ------------------------------------------------------------------------- */
/* The table.                                                                */

static const struct ctl_method methods[] = {
	{"version.show", "mflowd and DPDK versions", NULL, version_show_locked, CTL_RPC_READ},
	{"port.show", "ports: role, device, attachment, state", p_port_name_opt, port_show_locked,
	 CTL_RPC_READ},
	{"port.stats", "ports: packet, byte, miss and error counters", p_port_name_opt,
	 port_stats_locked, CTL_RPC_READ},
	{"port.add", "hot-plug a port (attached to no VNI)", p_port_add, port_add_locked, 0},
	{"port.del", "remove a port that is not attached", p_port_name, port_del_locked, 0},
	{"vni.show", "VNIs with their VTEPs and endpoints", NULL, vni_show_locked, CTL_RPC_READ},
	{"vni.add", "add a VNI", p_vni, vni_add_locked, 0},
	{"vni.del", "remove a VNI with its VTEPs and FDB entries", p_vni_del, vni_del_locked, 0},
	{"vtep.show", "remote VTEPs with their VNIs and next hop", p_vni_opt, vtep_show_locked,
	 CTL_RPC_READ},
	{"vtep.add", "add a remote VTEP to a VNI", p_vtep, vtep_add_locked, 0},
	{"vtep.del", "remove a remote VTEP from a VNI", p_vtep, vtep_del_locked, 0},
	{"fdb.show", "MAC table (up to 4096 entries)", p_vni_opt, fdb_show_locked, CTL_RPC_READ},
	{"fdb.add", "add a static MAC behind a remote VTEP", p_fdb_add, fdb_add_locked, 0},
	{"fdb.del", "remove a MAC entry", p_fdb_del, fdb_del_locked, 0},
	{"fdb.flush", "remove learned (and static remote) entries", p_fdb_flush, fdb_flush_locked,
	 0},
	{"neigh.show", "underlay next hops and their resolution state", NULL, neigh_show_locked,
	 CTL_RPC_READ},
	{"neigh.add", "pin a next hop's MAC", p_neigh_add, neigh_add_locked, 0},
	{"neigh.del", "unpin a next hop", p_neigh_del, neigh_del_locked, 0},
	{"endpoint.show", "ports attached to VNIs", NULL, endpoint_show_locked, CTL_RPC_READ},
	{"endpoint.attach", "attach a port to a VNI as a local endpoint", p_ep_attach,
	 endpoint_attach_locked, 0},
	{"endpoint.detach", "detach a port from its VNI", p_ep_detach, endpoint_detach_locked, 0},
	{"mflow.show", "lcore pipeline: mode, settings and counters", NULL, mflow_show_locked,
	 CTL_RPC_READ},
	{"mflow.set", "change mode, workers, batch size or elephant thresholds under traffic",
	 p_mflow_set, mflow_set_locked, 0},
	{"flows.show", "the busiest flows, with rate and elephant state", p_flows,
	 flows_show_locked, CTL_RPC_READ},
	{"counters.show", "drop reasons and counters, totals and per lcore", p_counters,
	 counters_show_locked, CTL_RPC_READ},
	{"stats.show", "everything: counters, lcores, ports, pipeline, tables", NULL,
	 stats_show_locked, CTL_RPC_READ},
	{"underlay.show", "underlay addresses, gateways, MAC, MTU and UDP port", NULL,
	 underlay_show_locked, CTL_RPC_READ},
	{"underlay.set", "change underlay addresses, gateways, MAC, MTU or UDP port under traffic",
	 p_underlay_set, underlay_set_locked, 0},
	{"control.show", "the control socket's settings", NULL, control_show_locked, CTL_RPC_READ},
	{"control.set",
	 "move or limit the control socket (applies once this request is answered; clients "
	 "reconnect)",
	 p_control_set, control_set_locked, 0},
	{"coap.show", "the CoAP endpoint's settings", NULL, coap_show_locked, CTL_RPC_READ},
	{"coap.set",
	 "start, stop or move the CoAP endpoint (applies once this request is answered)",
	 p_coap_set, coap_set_locked, 0},
	{"dataplane.show", "dataplane tunables in force", NULL, dataplane_show_locked,
	 CTL_RPC_READ},
	{"dataplane.set", "change burst, drain, idle back-off, FDB aging or neighbour timers",
	 p_dataplane_set, dataplane_set_locked, 0},
	{"stats.set", "where and how often the stats file is written", p_stats_set,
	 stats_set_locked, 0},
	{"capture.start", "write a port's or a VNI's frames to a pcap file", p_capture_start,
	 capture_start_locked, 0},
	{"capture.stop", "stop a capture", p_capture_stop, capture_stop_locked, 0},
	{"capture.show", "captures, running and finished", NULL, capture_show_locked, CTL_RPC_READ},
	{"config.show", "the running configuration", NULL, config_show_locked, CTL_RPC_READ},
	{"config.save", "write the running configuration as a --config file", p_config_save,
	 config_save_locked, 0},
	{NULL, NULL, NULL, NULL, 0},
};

int
ctl_methods_register(struct ctl_rpc *rpc)
{
	int rc = ctl_rpc_register_all(rpc, methods);

	return rc < 0 ? rc : ctl_ct_methods_register(rpc);
}

int
ctl_methods_call_locked(struct ctl_rpc *rpc, struct ctl_ctx *c, const char *method,
			const json_t *params, json_t **result, char *err, size_t errlen)
{
	const struct ctl_method *m = ctl_rpc_find(rpc, method);
	int rc;

	if (m != NULL && !(m->flags & CTL_RPC_READ))
		return -EPERM;
	pthread_mutex_lock(&c->lock);
	rc = ctl_rpc_call(rpc, method, params, result, err, errlen);
	pthread_mutex_unlock(&c->lock);
	return rc;
}
