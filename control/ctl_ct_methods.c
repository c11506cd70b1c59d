/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The container methods: container.create, start, stop, delete, list, show
 * and exec. Each parses and checks its parameters, calls the containers
 * module's core function (containers/ct.h) and serialises the result; the
 * JSON socket, mflowctl and CoAP all reach them through the method table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "ctl_methods_priv.h"
#include "dp_ops.h"

#define EXEC_OUT_MAX 65536

static int
ct_off(struct ct_mgr *m, char *err, size_t errlen)
{
	if (m != NULL)
		return 0;
	return ctl_fail(-ENOTSUP, err, errlen, "containers are off (containers.enabled)");
}

/*
 * The containers named (or all), each with its dataplane port's counters.
 * A new reference for the caller.
 */
static int
describe(struct ctl_ctx *c, const char *name, json_t **result, char *err, size_t errlen)
{
	json_t *arr, *ports, *o;
	size_t i;
	int rc;

	rc = ct_list(c->ct, name, &arr);
	if (rc == -ENOENT)
		return ctl_fail(rc, err, errlen, "no container '%s'", name);
	if (rc < 0)
		return rc;
	ports = dp_ports_json(c->dp);
	json_array_foreach (arr, i, o) {
		const char *port = json_string_value(json_object_get(o, "port"));
		size_t k;
		json_t *p, *found = json_null();

		json_array_foreach (ports, k, p)
			if (port != NULL &&
			    strcmp(port, json_string_value(json_object_get(p, "name")) ?: "") == 0)
				found = p;
		json_object_set(o, "port_stats", found);
	}
	json_decref(ports);
	*result = arr;
	return 0;
}

static const struct ctl_param p_create[] = {
	{.name = "name", .type = CTL_P_STRING, .max = 31, .required = true, .help = "its name"},
	{.name = "vni",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = 0xffffff,
	 .required = true,
	 .help = "the VNI its interface joins"},
	{.name = "ip",
	 .type = CTL_P_STRING,
	 .max = 63,
	 .required = true,
	 .help = "overlay address with prefix length, e.g. 198.19.1.10/24"},
	{.name = "gateway", .type = CTL_P_STRING, .max = 63, .help = "default gateway"},
	{.name = "mac", .type = CTL_P_MAC, .help = "its MAC (default: derived from the name)"},
	{.name = "mtu", .type = CTL_P_INT, .min = 576, .max = 9000, .help = "MTU, default 1500"},
	{.name = "bundle", .type = CTL_P_STRING, .max = 1023, .help = "an OCI bundle directory"},
	{.name = "rootfs",
	 .type = CTL_P_STRING,
	 .max = 1023,
	 .help = "a root file system directory, or host (the host's tools, read-only)"},
	{.name = "argv", .type = CTL_P_ARRAY, .max = 64, .help = "the command, with rootfs"},
	{.name = "env", .type = CTL_P_ARRAY, .max = 64, .help = "KEY=VALUE entries"},
	{.name = "memory",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = INT64_MAX,
	 .help = "memory limit in bytes (0: none)"},
	{.name = "cpus",
	 .type = CTL_P_INT,
	 .min = 0,
	 .max = 64000,
	 .help = "CPU limit in millicores (0: none)"},
	{.name = "pids", .type = CTL_P_INT, .min = 0, .max = 4194304, .help = "most processes"},
	{.name = "runtime",
	 .type = CTL_P_STRING,
	 .max = 1023,
	 .help = "OCI runtime: runc, crun or an absolute path"},
	{0},
};

static int
container_create(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct ct_create_args a;
	int rc;

	rc = ct_off(c->ct, err, errlen);
	if (rc < 0)
		return rc;
	ct_create_args_init(&a);
	rc = ct_create_args_from_json(params, &a, err, errlen);
	if (rc == 0)
		rc = ct_create(c->ct, &a, err, errlen);
	if (rc == 0)
		rc = describe(c, a.name, result, err, errlen);
	ct_create_args_fini(&a);
	return rc;
}
LOCKED(container_create)

static const struct ctl_param p_name[] = {
	{.name = "name", .type = CTL_P_STRING, .max = 31, .required = true, .help = "container"},
	{0},
};

static const struct ctl_param p_name_opt[] = {
	{.name = "name", .type = CTL_P_STRING, .max = 31, .help = "one container"},
	{0},
};

/* The core function of start, stop and delete. */
typedef int(ct_name_fn)(struct ct_mgr *m, const struct ct_name_args *a, char *err, size_t errlen);

static int
by_name(struct ctl_ctx *c, const json_t *params, ct_name_fn *fn, bool show, json_t **result,
	char *err, size_t errlen)
{
	struct ct_name_args a = {.name = ctl_param_str(params, "name", NULL)};
	int rc;

	rc = ct_off(c->ct, err, errlen);
	if (rc < 0)
		return rc;
	rc = fn(c->ct, &a, err, errlen);
	if (rc < 0)
		return rc;
	if (show)
		return describe(c, a.name, result, err, errlen);
	*result = json_pack("{s:s}", "deleted", a.name);
	return *result != NULL ? 0 : -ENOMEM;
}

static int
container_start(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	return by_name(c, params, ct_start, true, result, err, errlen);
}
LOCKED(container_start)

static int
container_stop(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	return by_name(c, params, ct_stop, true, result, err, errlen);
}
LOCKED(container_stop)

static int
container_delete(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	return by_name(c, params, ct_delete, false, result, err, errlen);
}
LOCKED(container_delete)

static int
container_show(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	int rc = ct_off(c->ct, err, errlen);

	if (rc < 0)
		return rc;
	return describe(c, ctl_param_str(params, "name", NULL), result, err, errlen);
}
LOCKED(container_show)

static const struct ctl_param p_exec[] = {
	{.name = "name", .type = CTL_P_STRING, .max = 31, .required = true, .help = "container"},
	{.name = "argv", .type = CTL_P_ARRAY, .max = 64, .required = true, .help = "the command"},
	{.name = "timeout_ms",
	 .type = CTL_P_INT,
	 .min = 1,
	 .max = 600000,
	 .help = "time limit, default 10000"},
	{0},
};

static int
container_exec(struct ctl_ctx *c, const json_t *params, json_t **result, char *err, size_t errlen)
{
	const json_t *av = json_object_get(params, "argv");
	const char *argv[65];
	struct ct_exec_args a = {0};
	size_t i;
	json_t *v;
	int rc;

	rc = ct_off(c->ct, err, errlen);
	if (rc < 0)
		return rc;
	/* The dispatcher checked: 1..64 strings. */
	json_array_foreach (av, i, v)
		argv[i] = json_string_value(v);
	argv[json_array_size(av)] = NULL;
	a.name = ctl_param_str(params, "name", NULL);
	a.argv = argv;
	a.timeout_ms = (unsigned int)ctl_param_int(params, "timeout_ms", 0);
	a.outlen = EXEC_OUT_MAX;
	a.out = malloc(a.outlen);
	if (a.out == NULL)
		return -ENOMEM;
	a.out[0] = '\0';
	rc = ct_exec(c->ct, &a, err, errlen);
	if (rc == 0) {
		*result = json_pack("{s:i,s:s}", "status", a.status, "output", a.out);
		rc = *result != NULL ? 0 : -ENOMEM;
	}
	free(a.out);
	return rc;
}
LOCKED(container_exec)

static const struct ctl_method methods[] = {
	{"container.create",
	 "create and start a container on a VNI (netns, veth, dataplane port, OCI process)",
	 p_create, container_create_locked, 0},
	{"container.start", "start a stopped container's process", p_name, container_start_locked,
	 0},
	{"container.stop", "stop a container's process (its network stays)", p_name,
	 container_stop_locked, 0},
	{"container.delete", "stop and remove a container and everything it had", p_name,
	 container_delete_locked, 0},
	{"container.show", "containers: state, pid, address, MAC, VNI, port counters", p_name_opt,
	 container_show_locked, CTL_RPC_READ},
	{"container.exec", "run a command inside a running container", p_exec,
	 container_exec_locked, 0},
	{NULL, NULL, NULL, NULL, 0},
};

int
ctl_ct_methods_register(struct ctl_rpc *rpc)
{
	return ctl_rpc_register_all(rpc, methods);
}
