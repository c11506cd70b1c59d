/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry front-end: maps "/mflowd/group/verb" to the read-only
 * method "group.verb" and flattens its JSON result into a telemetry dict.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "ctl_telemetry.h"

#define TEL_PREFIX "/mflowd/"

static struct ctl_rpc *tel_rpc;
static struct ctl_ctx *tel_ctx;
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;

/* Add one scalar under @p key; false once the dict is full. */
static bool
tel_add_scalar(struct rte_tel_data *d, const char *key, const json_t *v)
{
	char buf[RTE_TEL_MAX_STRING_LEN];
	int rc;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		if (json_integer_value(v) >= 0)
			rc = rte_tel_data_add_dict_u64(d, key, (uint64_t)json_integer_value(v));
		else
			rc = rte_tel_data_add_dict_int(d, key, (int)json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.3f", json_real_value(v));
		rc = rte_tel_data_add_dict_string(d, key, buf);
		break;
	case JSON_STRING:
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
		rc = rte_tel_data_add_dict_string(d, key, buf);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		rc = rte_tel_data_add_dict_u64(d, key, json_is_true(v) ? 1 : 0);
		break;
	default:
		rc = rte_tel_data_add_dict_string(d, key, "null");
		break;
	}
	return rc == 0;
}

/* Flatten @p v into @p d under @p prefix; false once the dict is full. */
static bool
tel_flatten(struct rte_tel_data *d, const char *prefix, const json_t *v, unsigned int *n)
{
	char key[RTE_TEL_MAX_STRING_LEN];
	const char *k;
	json_t *item;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach ((json_t *)v, k, item) {
			snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] != '\0' ? "/" : "",
				 k);
			if (!tel_flatten(d, key, item, n))
				return false;
		}
		return true;
	}
	if (json_is_array(v)) {
		json_array_foreach (v, i, item) {
			snprintf(key, sizeof(key), "%s%s%zu", prefix, prefix[0] != '\0' ? "/" : "",
				 i);
			if (!tel_flatten(d, key, item, n))
				return false;
		}
		return true;
	}
	/* Keep one entry free for "truncated". */
	if (*n + 1 >= RTE_TEL_MAX_DICT_ENTRIES)
		return false;
	(*n)++;
	return tel_add_scalar(d, prefix[0] != '\0' ? prefix : "value", v);
}

static int
tel_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char method[64], err[256];
	json_t *p = NULL, *result = NULL;
	unsigned int n = 0;
	size_t len;
	int rc;

	if (strncmp(cmd, TEL_PREFIX, strlen(TEL_PREFIX)) != 0)
		return -EINVAL;
	len = strlen(cmd + strlen(TEL_PREFIX));
	if (len == 0 || len >= sizeof(method))
		return -EINVAL;
	memcpy(method, cmd + strlen(TEL_PREFIX), len + 1);
	for (char *s = method; *s != '\0'; s++)
		if (*s == '/')
			*s = '.';
	rte_tel_data_start_dict(d);
	if (params != NULL && params[0] != '\0') {
		p = json_loads(params, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(p)) {
			json_decref(p);
			rte_tel_data_add_dict_string(d, "error",
						     "parameters must be a JSON object");
			return 0;
		}
	}
	pthread_mutex_lock(&tel_lock);
	if (tel_rpc == NULL) {
		rc = -ENODEV;
		snprintf(err, sizeof(err), "mflowd is stopping");
	} else {
		err[0] = '\0';
		rc = ctl_methods_call_locked(tel_rpc, tel_ctx, method, p, &result, err,
					     sizeof(err));
	}
	pthread_mutex_unlock(&tel_lock);
	json_decref(p);
	if (rc < 0) {
		rte_tel_data_add_dict_string(d, "error", err[0] != '\0' ? err : strerror(-rc));
		return 0;
	}
	if (!tel_flatten(d, "", result, &n))
		rte_tel_data_add_dict_u64(d, "truncated", 1);
	json_decref(result);
	return 0;
}

int
ctl_telemetry_start(struct ctl_rpc *rpc, struct ctl_ctx *c)
{
	unsigned int n = ctl_rpc_count(rpc);
	int done = 0;

	pthread_mutex_lock(&tel_lock);
	tel_rpc = rpc;
	tel_ctx = c;
	pthread_mutex_unlock(&tel_lock);
	for (unsigned int i = 0; i < n; i++) {
		const struct ctl_method *m = ctl_rpc_at(rpc, i);
		char cmd[64];
		int rc;

		/* The built-ins list and help have no dot: nothing to read there. */
		if (!(m->flags & CTL_RPC_READ) || strchr(m->name, '.') == NULL)
			continue;
		snprintf(cmd, sizeof(cmd), TEL_PREFIX "%s", m->name);
		for (char *s = cmd; *s != '\0'; s++)
			if (*s == '.')
				*s = '/';
		rc = rte_telemetry_register_cmd(cmd, tel_cb, m->help);
		if (rc < 0 && rc != -EEXIST)
			return rc;
		done++;
	}
	return done;
}

void
ctl_telemetry_stop(void)
{
	pthread_mutex_lock(&tel_lock);
	tel_rpc = NULL;
	tel_ctx = NULL;
	pthread_mutex_unlock(&tel_lock);
}
