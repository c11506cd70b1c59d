/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mflow-cni's operations (ct_cni.h).
 *
 * Every ADD step that leaves something behind is undone, in reverse order,
 * when a later one fails, and DEL runs the same teardown steps, each of
 * which accepts what is gone already. The attachment is recorded in the
 * data directory before anything is made and forgotten only after all of
 * it is gone, so an interrupted ADD or DEL is finished by the next DEL or
 * GC.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ct_cni.h"
#include "ctl_client.h"

extern char **environ;

/* Defaults of the network configuration. */
#define DEF_MTU	      1450
#define DEF_TIMEOUT_S 30
#define MAX_TIMEOUT_S 600
/* The largest output accepted from an IPAM plugin. */
#define IPAM_OUT_MAX ((size_t)1 << 20)
/* Milliseconds an IPAM plugin gets to exit after closing its output. */
#define IPAM_REAP_MS 2000

static const char *const versions[] = {CT_CNI_VERSIONS};

static int __attribute__((format(printf, 4, 5)))
fail(struct ct_cni_error *e, int code, int rc, const char *fmt, ...)
{
	va_list ap;

	if (e != NULL) {
		e->code = code;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		e->details[0] = '\0';
	}
	return rc;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CNI's rule for container IDs and network names: [A-Za-z0-9][A-Za-z0-9_.-]*. */
static bool
safe_name(const char *s, size_t max)
{
	size_t n = s != NULL ? strnlen(s, max + 1) : 0;

	if (n == 0 || n > max || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* ------------------------------------------------------------------------- */
/* Environment.                                                              */

static int
env_copy(const char *(*get)(const char *), const char *name, char *dst, size_t len, bool required,
	 struct ct_cni_error *e)
{
	const char *v = get(name);

	if (v == NULL || v[0] == '\0') {
		if (required)
			return fail(e, CT_CNI_E_ENV, -EINVAL, "%s is not set", name);
		dst[0] = '\0';
		return 0;
	}
	if (strlen(v) >= len)
		return fail(e, CT_CNI_E_ENV, -EINVAL, "%s is longer than %zu bytes", name, len - 1);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* CNI_ARGS: "K=V;K=V". MAC is used; IgnoreUnknown and others are ignored. */
static int
env_args(struct ct_cni_env *env, struct ct_cni_error *e)
{
	char buf[sizeof(env->args)], *save = NULL;

	memcpy(buf, env->args, sizeof(buf));
	for (char *kv = strtok_r(buf, ";", &save); kv != NULL; kv = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(kv, '=');

		if (eq == NULL)
			return fail(e, CT_CNI_E_ENV, -EINVAL, "CNI_ARGS: '%s' is not KEY=VALUE",
				    kv);
		*eq = '\0';
		if (strcmp(kv, "MAC") != 0)
			continue;
		if (ct_mac_parse(eq + 1, env->args_mac) < 0 || !ct_mac_is_unicast(env->args_mac))
			return fail(e, CT_CNI_E_ENV, -EINVAL,
				    "CNI_ARGS: MAC '%s' is not a unicast MAC", eq + 1);
		env->has_args_mac = true;
	}
	return 0;
}

int
ct_cni_env_parse(const char *(*get)(const char *), struct ct_cni_env *env, struct ct_cni_error *e)
{
	static const char *const cmds[] = {
		[CT_CNI_ADD] = "ADD",	      [CT_CNI_DEL] = "DEL",	  [CT_CNI_CHECK] = "CHECK",
		[CT_CNI_VERSION] = "VERSION", [CT_CNI_STATUS] = "STATUS", [CT_CNI_GC] = "GC",
	};
	const char *cmd = get("CNI_COMMAND");
	bool per_container;
	size_t i;
	int rc;

	memset(env, 0, sizeof(*env));
	if (cmd == NULL || cmd[0] == '\0')
		return fail(e, CT_CNI_E_ENV, -EINVAL, "CNI_COMMAND is not set");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i]) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]))
		return fail(e, CT_CNI_E_ENV, -EINVAL,
			    "CNI_COMMAND '%.32s' is not one of ADD, DEL, "
			    "CHECK, VERSION, STATUS, GC",
			    cmd);
	env->cmd = (enum ct_cni_cmd)i;
	per_container =
		env->cmd == CT_CNI_ADD || env->cmd == CT_CNI_DEL || env->cmd == CT_CNI_CHECK;
	rc = env_copy(get, "CNI_CONTAINERID", env->container_id, sizeof(env->container_id),
		      per_container, e);
	if (rc == 0)
		rc = env_copy(get, "CNI_NETNS", env->netns, sizeof(env->netns),
			      env->cmd == CT_CNI_ADD || env->cmd == CT_CNI_CHECK, e);
	if (rc == 0)
		rc = env_copy(get, "CNI_IFNAME", env->ifname, sizeof(env->ifname), per_container,
			      e);
	if (rc == 0)
		rc = env_copy(get, "CNI_ARGS", env->args, sizeof(env->args), false, e);
	if (rc == 0)
		rc = env_copy(get, "CNI_PATH", env->path, sizeof(env->path), false, e);
	if (rc < 0)
		return rc;
	if (env->container_id[0] != '\0' && !safe_name(env->container_id, CT_CNI_ID_MAX))
		return fail(e, CT_CNI_E_ENV, -EINVAL,
			    "CNI_CONTAINERID must be letters, digits, '_', '.' and '-', starting "
			    "with a letter or digit");
	if (env->netns[0] != '\0' && env->netns[0] != '/')
		return fail(e, CT_CNI_E_ENV, -EINVAL, "CNI_NETNS '%.64s' is not an absolute path",
			    env->netns);
	if (env->ifname[0] != '\0' && !ct_ifname_valid(env->ifname))
		return fail(e, CT_CNI_E_ENV, -EINVAL, "CNI_IFNAME '%s' is not an interface name",
			    env->ifname);
	return env_args(env, e);
}

/* ------------------------------------------------------------------------- */
/* Configuration.                                                            */

int
ct_cni_version_cmp(const char *a, const char *b)
{
	unsigned int va[3], vb[3];
	char ea, eb;
	int na = a != NULL ? sscanf(a, "%u.%u.%u%c", &va[0], &va[1], &va[2], &ea) : 0;
	int nb = b != NULL ? sscanf(b, "%u.%u.%u%c", &vb[0], &vb[1], &vb[2], &eb) : 0;

	if (na != 3 || nb != 3)
		return (na == 3) - (nb == 3);
	for (int i = 0; i < 3; i++)
		if (va[i] != vb[i])
			return va[i] < vb[i] ? -1 : 1;
	return 0;
}

static bool
version_supported(const char *v)
{
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (strcmp(v, versions[i]) == 0)
			return true;
	return false;
}

/* An optional integer key in [min, max]. */
static int
conf_int(const json_t *o, const char *key, json_int_t min, json_int_t max, json_int_t *out,
	 struct ct_cni_error *e)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return fail(e, CT_CNI_E_CONFIG, -EINVAL, "%s must be an integer from %lld to %lld",
			    key, (long long)min, (long long)max);
	*out = json_integer_value(v);
	return 0;
}

/* An optional string key shorter than @p len. */
static int
conf_str(const json_t *o, const char *key, char *dst, size_t len, struct ct_cni_error *e)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= len ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return fail(e, CT_CNI_E_CONFIG, -EINVAL, "%s must be a string of 1 to %zu bytes",
			    key, len - 1);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int
conf_pmd(const json_t *o, enum ct_cni_pmd *pmd, struct ct_cni_error *e)
{
	static const char *const names[] = {
		[CT_CNI_PMD_AUTO] = "auto",
		[CT_CNI_PMD_AF_XDP] = "af_xdp",
		[CT_CNI_PMD_AF_PACKET] = "af_packet",
	};
	char s[16];
	int rc;

	s[0] = '\0';
	rc = conf_str(o, "pmd", s, sizeof(s), e);
	if (rc < 0 || s[0] == '\0')
		return rc;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*pmd = (enum ct_cni_pmd)i;
			return 0;
		}
	return fail(e, CT_CNI_E_CONFIG, -EINVAL,
		    "pmd must be \"auto\", \"af_xdp\" or \"af_packet\"");
}

/* What the checks of one command need besides the common part. */
static int
conf_check_cmd(struct ct_cni_conf *c, enum ct_cni_cmd cmd, struct ct_cni_error *e)
{
	const json_t *t;

	if (cmd == CT_CNI_CHECK && ct_cni_version_cmp(c->version, "0.4.0") < 0)
		return fail(e, CT_CNI_E_VERSION, -EINVAL, "CHECK needs cniVersion 0.4.0 or later");
	if ((cmd == CT_CNI_STATUS || cmd == CT_CNI_GC) &&
	    ct_cni_version_cmp(c->version, "1.1.0") < 0)
		return fail(e, CT_CNI_E_VERSION, -EINVAL, "%s needs cniVersion 1.1.0 or later",
			    cmd == CT_CNI_GC ? "GC" : "STATUS");
	if (cmd == CT_CNI_CHECK && c->prev == NULL)
		return fail(e, CT_CNI_E_CONFIG, -EINVAL, "CHECK needs prevResult");
	if (c->prev != NULL &&
	    (!json_is_object(c->prev) || !json_is_array(json_object_get(c->prev, "interfaces")) ||
	     (json_object_get(c->prev, "ips") != NULL &&
	      !json_is_array(json_object_get(c->prev, "ips")))))
		return fail(e, CT_CNI_E_CONFIG, -EINVAL,
			    "prevResult must be an object with an interfaces array");
	if (cmd == CT_CNI_GC) {
		c->valid = json_object_get(c->raw, "cni.dev/valid-attachments");
		if (!json_is_array(c->valid))
			return fail(e, CT_CNI_E_CONFIG, -EINVAL,
				    "GC needs cni.dev/valid-attachments (an array)");
	}
	t = json_object_get(c->raw, "ipam");
	if (t != NULL && !json_is_object(t))
		return fail(e, CT_CNI_E_CONFIG, -EINVAL, "ipam must be an object");
	if (t != NULL && json_object_size(t) != 0) {
		const char *type = json_string_value(json_object_get(t, "type"));

		if (type == NULL || !safe_name(type, 64))
			return fail(
				e, CT_CNI_E_CONFIG, -EINVAL,
				"ipam.type must name a plugin (letters, digits, '_', '.', '-')");
		c->ipam = t;
	}
	return 0;
}

static int
conf_runtime(struct ct_cni_conf *c, struct ct_cni_error *e)
{
	const json_t *rc = json_object_get(c->raw, "runtimeConfig");
	const json_t *mac;

	if (rc == NULL)
		return 0;
	if (!json_is_object(rc))
		return fail(e, CT_CNI_E_CONFIG, -EINVAL, "runtimeConfig must be an object");
	mac = json_object_get(rc, "mac");
	if (mac == NULL)
		return 0;
	if (!json_is_string(mac) || ct_mac_parse(json_string_value(mac), c->mac) < 0 ||
	    !ct_mac_is_unicast(c->mac))
		return fail(e, CT_CNI_E_CONFIG, -EINVAL, "runtimeConfig.mac must be a unicast MAC");
	c->has_mac = true;
	return 0;
}

int
ct_cni_conf_parse(const char *text, size_t len, enum ct_cni_cmd cmd, struct ct_cni_conf *conf,
		  struct ct_cni_error *e)
{
	struct ct_cni_conf c;
	json_int_t vni = -1, mtu = DEF_MTU, timeout = DEF_TIMEOUT_S;
	const json_t *v;
	json_error_t je;
	int rc;

	memset(&c, 0, sizeof(c));
	c.raw = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (c.raw == NULL)
		return fail(e, CT_CNI_E_DECODE, -EINVAL,
			    "the configuration is not JSON: %s (line %d)", je.text, je.line);
	if (!json_is_object(c.raw)) {
		rc = fail(e, CT_CNI_E_DECODE, -EINVAL, "the configuration is not a JSON object");
		goto out_free;
	}
	v = json_object_get(c.raw, "cniVersion");
	if (!json_is_string(v) || json_string_length(v) >= sizeof(c.version)) {
		rc = fail(e, CT_CNI_E_CONFIG, -EINVAL, "cniVersion must be a version string");
		goto out_free;
	}
	snprintf(c.version, sizeof(c.version), "%s", json_string_value(v));
	if (!version_supported(c.version)) {
		rc = fail(e, CT_CNI_E_VERSION, -EINVAL,
			  "cniVersion %s is not supported (0.3.0 to " CT_CNI_VERSION_LATEST ")",
			  c.version);
		goto out_free;
	}
	/* VERSION reads nothing else. */
	if (cmd == CT_CNI_VERSION) {
		*conf = c;
		return 0;
	}
	v = json_object_get(c.raw, "name");
	if (!json_is_string(v) || !safe_name(json_string_value(v), CT_CNI_NAME_MAX)) {
		rc = fail(e, CT_CNI_E_CONFIG, -EINVAL,
			  "name must be 1 to %d letters, digits, '_', '.' and '-', starting with "
			  "a letter or digit",
			  CT_CNI_NAME_MAX);
		goto out_free;
	}
	snprintf(c.name, sizeof(c.name), "%s", json_string_value(v));
	snprintf(c.socket, sizeof(c.socket), "%s", CTL_CLIENT_DEFAULT_SOCKET);
	snprintf(c.data_dir, sizeof(c.data_dir), "%s", CT_CNI_DATA_DIR);
	if (json_object_get(c.raw, "vni") == NULL && cmd != CT_CNI_STATUS) {
		rc = fail(e, CT_CNI_E_CONFIG, -EINVAL, "vni is required");
		goto out_free;
	}
	rc = conf_int(c.raw, "vni", 0, (1 << 24) - 1, &vni, e);
	if (rc == 0)
		rc = conf_int(c.raw, "mtu", 576, 9000, &mtu, e);
	if (rc == 0)
		rc = conf_int(c.raw, "timeout", 1, MAX_TIMEOUT_S, &timeout, e);
	if (rc == 0)
		rc = conf_str(c.raw, "socket", c.socket, sizeof(c.socket), e);
	if (rc == 0)
		rc = conf_str(c.raw, "dataDir", c.data_dir, sizeof(c.data_dir), e);
	if (rc == 0)
		rc = conf_pmd(c.raw, &c.pmd, e);
	if (rc < 0)
		goto out_free;
	v = json_object_get(c.raw, "anySrcMac");
	if (v != NULL && !json_is_boolean(v)) {
		rc = fail(e, CT_CNI_E_CONFIG, -EINVAL, "anySrcMac must be true or false");
		goto out_free;
	}
	c.any_src_mac = json_is_true(v);
	if (c.socket[0] != '/' || c.data_dir[0] != '/') {
		rc = fail(e, CT_CNI_E_CONFIG, -EINVAL, "%s must be an absolute path",
			  c.socket[0] != '/' ? "socket" : "dataDir");
		goto out_free;
	}
	c.vni = (uint32_t)(vni < 0 ? 0 : vni);
	c.mtu = (uint16_t)mtu;
	c.timeout_ms = (int)timeout * 1000;
	c.prev = json_object_get(c.raw, "prevResult");
	rc = conf_runtime(&c, e);
	if (rc == 0)
		rc = conf_check_cmd(&c, cmd, e);
	if (rc < 0)
		goto out_free;
	*conf = c;
	return 0;

out_free:
	json_decref(c.raw);
	/* The version, once known, is what the error is printed in. */
	memset(conf, 0, sizeof(*conf));
	if (version_supported(c.version))
		memcpy(conf->version, c.version, sizeof(c.version));
	return rc;
}

void
ct_cni_conf_fini(struct ct_cni_conf *conf)
{
	if (conf == NULL)
		return;
	json_decref(conf->raw);
	memset(conf, 0, sizeof(*conf));
}

/* ------------------------------------------------------------------------- */
/* Names and results.                                                        */

void
ct_cni_names(const char *container_id, const char *ifname, char host_if[CT_IFNAME_MAX + 1],
	     char port[32])
{
	/* FNV-1a, 64 bits, over "ID\0IFNAME". */
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[2] = {container_id, ifname};

	for (int p = 0; p < 2; p++) {
		for (const char *s = parts[p]; *s != '\0'; s++)
			h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
		h = (h ^ 0) * 0x100000001b3ULL;
	}
	snprintf(host_if, CT_IFNAME_MAX + 1, CT_CNI_HOST_PREFIX "%010llx",
		 (unsigned long long)(h >> 24));
	snprintf(port, 32, CT_CNI_PORT_PREFIX "%016llx", (unsigned long long)h);
}

json_t *
ct_cni_version_result(const char *version)
{
	json_t *list = json_array(), *r;

	for (size_t i = 0; list != NULL && i < sizeof(versions) / sizeof(versions[0]); i++)
		json_array_append_new(list, json_string(versions[i]));
	r = json_pack("{s:s, s:o*}", "cniVersion",
		      version != NULL ? version : CT_CNI_VERSION_LATEST, "supportedVersions", list);
	return r;
}

json_t *
ct_cni_error_json(const struct ct_cni_error *e, const char *version)
{
	json_t *r = json_pack("{s:s, s:i, s:s}", "cniVersion",
			      version != NULL && version_supported(version) ? version
									    : CT_CNI_VERSION_LATEST,
			      "code", e->code, "msg", e->msg);

	if (r != NULL && e->details[0] != '\0')
		json_object_set_new(r, "details", json_string(e->details));
	return r;
}

static json_t *
iface_json(const char *name, const uint8_t mac[6], const char *sandbox, uint16_t mtu)
{
	char m[CT_MAC_STRLEN];
	json_t *o;

	ct_mac_format(mac, m, sizeof(m));
	o = json_pack("{s:s, s:s}", "name", name, "mac", m);
	if (o != NULL && sandbox != NULL)
		json_object_set_new(o, "sandbox", json_string(sandbox));
	if (o != NULL && mtu != 0)
		json_object_set_new(o, "mtu", json_integer(mtu));
	return o;
}

/* Copy the IPs of an IPAM result, pointing them at interface @p idx. */
static int
result_ips(json_t *out, const json_t *ipam_ips, size_t idx, bool with_version)
{
	const json_t *ip;
	size_t i;

	json_array_foreach (ipam_ips, i, ip) {
		const char *addr = json_string_value(json_object_get(ip, "address"));
		const char *gw = json_string_value(json_object_get(ip, "gateway"));
		struct ct_ip a;
		uint8_t plen;
		json_t *o;

		if (addr == NULL || ct_ip_parse_prefix(addr, &a, &plen) < 0)
			return -EINVAL;
		o = json_pack("{s:s, s:I}", "address", addr, "interface", (json_int_t)idx);
		if (o == NULL)
			return -ENOMEM;
		if (gw != NULL)
			json_object_set_new(o, "gateway", json_string(gw));
		if (with_version)
			json_object_set_new(o, "version",
					    json_string(a.family == AF_INET ? "4" : "6"));
		if (json_array_append_new(out, o) != 0)
			return -ENOMEM;
	}
	return 0;
}

json_t *
ct_cni_result(const struct ct_cni_conf *conf, const json_t *ipam, const char *host_if,
	      const uint8_t host_mac[6], const char *ifname, const uint8_t mac[6],
	      const char *netns)
{
	bool old = ct_cni_version_cmp(conf->version, "1.0.0") < 0;
	bool mtu = ct_cni_version_cmp(conf->version, "1.1.0") >= 0;
	json_t *r, *ifs, *ips, *routes, *dns;
	const json_t *v;
	size_t base;

	/* A chained plugin carries the previous result forward. */
	r = conf->prev != NULL ? json_deep_copy(conf->prev) : json_object();
	if (r == NULL)
		return NULL;
	json_object_set_new(r, "cniVersion", json_string(conf->version));
	ifs = json_object_get(r, "interfaces");
	if (!json_is_array(ifs)) {
		ifs = json_array();
		json_object_set_new(r, "interfaces", ifs);
	}
	base = json_array_size(ifs);
	json_array_append_new(ifs, iface_json(host_if, host_mac, NULL, mtu ? conf->mtu : 0));
	json_array_append_new(ifs, iface_json(ifname, mac, netns, mtu ? conf->mtu : 0));
	if (ipam != NULL) {
		ips = json_object_get(r, "ips");
		if (!json_is_array(ips)) {
			ips = json_array();
			json_object_set_new(r, "ips", ips);
		}
		if (result_ips(ips, json_object_get(ipam, "ips"), base + 1, old) < 0)
			goto out_free;
		v = json_object_get(ipam, "routes");
		if (json_is_array(v) && json_array_size(v) != 0) {
			routes = json_object_get(r, "routes");
			if (!json_is_array(routes)) {
				routes = json_array();
				json_object_set_new(r, "routes", routes);
			}
			json_array_extend(routes, (json_t *)v);
		}
		v = json_object_get(ipam, "dns");
		if (json_is_object(v) && json_object_size(v) != 0)
			json_object_set(r, "dns", (json_t *)v);
	}
	/* DNS of the configuration when IPAM had none, as the reference plugins do. */
	dns = json_object_get(conf->raw, "dns");
	if (json_object_get(r, "dns") == NULL && json_is_object(dns) && json_object_size(dns) != 0)
		json_object_set(r, "dns", dns);
	if (json_object_get(r, "ips") != NULL && json_array_size(json_object_get(r, "ips")) == 0)
		json_object_del(r, "ips");
	return r;

out_free:
	json_decref(r);
	return NULL;
}

/* ------------------------------------------------------------------------- */
/* Delegating to the IPAM plugin.                                            */

/* What to run an IPAM plugin for. */
struct ipam_call {
	const struct ct_cni_env *env;
	const struct ct_cni_conf *conf;
	const char *cmd;	  /* "ADD", "DEL" or "CHECK". */
	const char *container_id; /* The attachment's, which GC passes for others. */
	const char *ifname;
	const char *netns;
	const char *in; /* The configuration to send. */
	size_t in_len;
};

/* Find the plugin in CNI_PATH; -ENOENT if it is in none of its directories. */
static int
ipam_find(const char *cni_path, const char *type, char *out, size_t len)
{
	char dirs[sizeof(((struct ct_cni_env *)0)->path)], *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s", cni_path);
	for (char *d = strtok_r(dirs, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
		if (d[0] == '\0')
			continue;
		if ((size_t)snprintf(out, len, "%s/%s", d, type) >= len)
			continue;
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/* The environment of the plugin: ours with the CNI_* of the call. */
static char **
ipam_envp(const struct ipam_call *c, char (*own)[4200], size_t *n_own)
{
	static const char *const keys[] = {
		"CNI_COMMAND=", "CNI_CONTAINERID=", "CNI_IFNAME=", "CNI_NETNS="};
	const char *vals[] = {c->cmd, c->container_id, c->ifname, c->netns};
	size_t n = 0, k = 0;
	char **envp;

	while (environ[n] != NULL)
		n++;
	envp = calloc(n + 5, sizeof(*envp));
	if (envp == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool ours = false;

		for (size_t j = 0; j < 4; j++)
			ours |= strncmp(environ[i], keys[j], strlen(keys[j])) == 0;
		if (!ours)
			envp[k++] = environ[i];
	}
	for (size_t j = 0; j < 4; j++) {
		snprintf(own[j], sizeof(own[j]), "%s%s", keys[j], vals[j] != NULL ? vals[j] : "");
		envp[k++] = own[j];
	}
	*n_own = 4;
	envp[k] = NULL;
	return envp;
}

/*
 * Run the IPAM plugin: the configuration on its stdin, its stdout
 * collected, killed (with its process group) at the deadline. Returns 0
 * with *status set, or -errno with @p e set.
 */
static int
ipam_spawn(const struct ipam_call *c, const char *bin, char **out, size_t *out_len, int *status,
	   struct ct_cni_error *e)
{
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, rc, ws = 0;
	char own[4][4200], **envp = NULL, *buf = NULL;
	char *const argv[] = {(char *)bin, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	size_t n_own, sent = 0, used = 0;
	int64_t deadline = now_ms() + c->conf->timeout_ms;
	bool exited = false;
	sigset_t none, all;
	pid_t pid;

	buf = malloc(IPAM_OUT_MAX + 1);
	envp = ipam_envp(c, own, &n_own);
	if (buf == NULL || envp == NULL) {
		rc = fail(e, CT_CNI_E_IO, -ENOMEM, "out of memory");
		goto out_free;
	}
	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0) {
		rc = fail(e, CT_CNI_E_IO, -errno, "pipe: %s", strerror(errno));
		goto out_close;
	}
	fcntl(pin[1], F_SETFL, O_NONBLOCK);
	fcntl(pout[0], F_SETFL, O_NONBLOCK);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
						POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(&pid, bin, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		rc = fail(e, CT_CNI_E_IPAM, -rc, "cannot run the IPAM plugin %s: %s", bin,
			  strerror(rc));
		goto out_close;
	}
	close(pin[0]);
	close(pout[1]);
	pin[0] = pout[1] = -1;
	/* Feed stdin and read stdout until it closes, then reap. */
	while (!exited) {
		struct pollfd pfd[2] = {{.fd = pout[0], .events = POLLIN},
					{.fd = pin[1], .events = POLLOUT}};
		int64_t left = deadline - now_ms();

		if (left <= 0)
			break;
		if (pout[0] < 0) {
			rc = waitpid(pid, &ws, WNOHANG);
			if (rc == pid) {
				exited = true;
				break;
			}
			if (deadline - now_ms() > IPAM_REAP_MS)
				deadline = now_ms() + IPAM_REAP_MS;
			poll(NULL, 0, 5);
			continue;
		}
		if (poll(pfd, pin[1] >= 0 ? 2 : 1, left > 100 ? 100 : (int)left) < 0 &&
		    errno != EINTR)
			break;
		if (pin[1] >= 0 && (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
			ssize_t w = write(pin[1], c->in + sent, c->in_len - sent);

			if (w > 0)
				sent += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == c->in_len) {
				close(pin[1]);
				pin[1] = -1;
			}
		}
		if ((pfd[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
			ssize_t r = read(pout[0], buf + used, IPAM_OUT_MAX - used);

			if (r > 0)
				used += (size_t)r;
			else if (r == 0 || (errno != EAGAIN && errno != EINTR) ||
				 used == IPAM_OUT_MAX) {
				close(pout[0]);
				pout[0] = -1;
			}
			if (used == IPAM_OUT_MAX && pout[0] >= 0) {
				close(pout[0]);
				pout[0] = -1;
			}
		}
	}
	if (!exited) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		rc = fail(e, CT_CNI_E_IPAM, -ETIMEDOUT,
			  "the IPAM plugin %s did not finish within %d s", bin,
			  c->conf->timeout_ms / 1000);
		goto out_close;
	}
	buf[used] = '\0';
	*out = buf;
	*out_len = used;
	*status = ws;
	buf = NULL;
	rc = 0;

out_close:
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
	}
out_free:
	free(envp);
	free(buf);
	return rc;
}

/*
 * Run the IPAM plugin for c->cmd. On 0, *result (ADD only) is its result,
 * a new reference. A plugin's error is passed on with its own code.
 */
static int
ipam_run(const struct ipam_call *c, json_t **result, struct ct_cni_error *e)
{
	const char *type = json_string_value(json_object_get(c->conf->ipam, "type"));
	char bin[4200], *out = NULL;
	json_t *j = NULL;
	json_error_t je;
	size_t len = 0;
	int rc, ws = 0;

	if (result != NULL)
		*result = NULL;
	if (ipam_find(c->env->path, type, bin, sizeof(bin)) < 0)
		return fail(e, CT_CNI_E_IPAM, -ENOENT,
			    "IPAM plugin '%s' not found in CNI_PATH '%s'", type, c->env->path);
	rc = ipam_spawn(c, bin, &out, &len, &ws, e);
	if (rc < 0)
		return rc;
	if (len != 0)
		j = json_loadb(out, len, 0, &je);
	free(out);
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		const char *msg = json_string_value(json_object_get(j, "msg"));
		const json_t *code = json_object_get(j, "code");

		if (msg != NULL && json_is_integer(code)) {
			rc = fail(e, (int)json_integer_value(code), -EIO, "IPAM %s: %s", type, msg);
			snprintf(e->details, sizeof(e->details), "%s",
				 json_string_value(json_object_get(j, "details")) != NULL
					 ? json_string_value(json_object_get(j, "details"))
					 : "");
		} else {
			rc = fail(e, CT_CNI_E_IPAM, -EIO, "the IPAM plugin %s failed (%s %d)", type,
				  WIFEXITED(ws) ? "exit status" : "signal",
				  WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws));
		}
		json_decref(j);
		return rc;
	}
	if (result == NULL) {
		json_decref(j);
		return 0;
	}
	if (!json_is_object(j) ||
	    (json_object_get(j, "ips") != NULL && !json_is_array(json_object_get(j, "ips")))) {
		json_decref(j);
		return fail(e, CT_CNI_E_IPAM, -EBADMSG, "the IPAM plugin %s returned no result",
			    type);
	}
	*result = j;
	return 0;
}

/*
 * The configuration to give the IPAM plugin: as read, except that 1.1.0 is
 * given as 1.0.0 (whose result format is the same), since IPAM plugins that
 * predate 1.1.0 refuse it. *owned is what to free.
 */
static int
ipam_input(const struct ct_cni_conf *conf, const char *text, size_t len, const char **in,
	   size_t *in_len, char **owned)
{
	json_t *copy;

	*owned = NULL;
	if (ct_cni_version_cmp(conf->version, "1.0.0") <= 0) {
		*in = text;
		*in_len = len;
		return 0;
	}
	copy = json_deep_copy(conf->raw);
	if (copy == NULL || json_object_set_new(copy, "cniVersion", json_string("1.0.0")) != 0) {
		json_decref(copy);
		return -ENOMEM;
	}
	*owned = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);
	if (*owned == NULL)
		return -ENOMEM;
	*in = *owned;
	*in_len = strlen(*owned);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* mflowd.                                                                   */

/* Connect to mflowd; a failure is "try again later". */
static int
mflowd_connect(const struct ct_cni_conf *conf, struct ctl_client **c, struct ct_cni_error *e)
{
	char err[256];
	int rc = ctl_client_connect(conf->socket, conf->timeout_ms, c, err, sizeof(err));

	if (rc < 0)
		return fail(e, CT_CNI_E_TRY_AGAIN, rc, "mflowd: %s", err);
	return 0;
}

/*
 * Call a method; @p params is stolen. Returns 0 (with *result when wanted),
 * mflowd's errno when it refused (e set, code 100), or -errno of the
 * connection (e set, code 11).
 */
static int
mflowd_call(struct ctl_client *c, const char *method, json_t *params, json_t **result,
	    struct ct_cni_error *e)
{
	json_t *res = NULL, *error = NULL;
	char err[256];
	int rc;

	if (params == NULL)
		return fail(e, CT_CNI_E_IO, -ENOMEM, "out of memory");
	rc = ctl_client_call(c, method, params, &res, &error, err, sizeof(err));
	json_decref(params);
	if (rc == -EREMOTEIO) {
		int en = ctl_client_error_errno(error);

		fail(e, CT_CNI_E_DATAPLANE, en > 0 ? -en : -EIO, "mflowd %s: %s", method, err);
		json_decref(error);
		return en > 0 ? -en : -EIO;
	}
	if (rc < 0)
		return fail(e, CT_CNI_E_TRY_AGAIN, rc, "mflowd %s: %s", method, err);
	if (result != NULL)
		*result = res;
	else
		json_decref(res);
	return 0;
}

/* Detach and remove the port; what is gone already is fine. */
static int
port_down(struct ctl_client *c, const char *port, struct ct_cni_error *e)
{
	int rc;

	rc = mflowd_call(c, "endpoint.detach", json_pack("{s:s}", "port", port), NULL, e);
	/* ENOENT: no such port; EINVAL: a port that is not attached. */
	if (rc < 0 && rc != -ENOENT && rc != -EINVAL)
		return rc;
	rc = mflowd_call(c, "port.del", json_pack("{s:s}", "name", port), NULL, e);
	return rc == -ENOENT ? 0 : rc;
}

static int
port_up(const struct ct_cni_conf *conf, struct ctl_client *c, const char *port, const char *host_if,
	const uint8_t mac[6], struct ct_cni_error *e)
{
	static const char *const fmt[] = {
		[CT_CNI_PMD_AF_XDP] = "net_af_xdp_%s,iface=%s,start_queue=0,queue_count=1",
		[CT_CNI_PMD_AF_PACKET] = "net_af_packet_%s,iface=%s",
	};
	enum ct_cni_pmd pmds[2];
	char devargs[160], m[CT_MAC_STRLEN];
	unsigned int n = 0;
	int rc = -ENODEV;

	if (conf->pmd != CT_CNI_PMD_AF_PACKET)
		pmds[n++] = CT_CNI_PMD_AF_XDP;
	if (conf->pmd != CT_CNI_PMD_AF_XDP)
		pmds[n++] = CT_CNI_PMD_AF_PACKET;
	for (unsigned int i = 0; i < n; i++) {
		snprintf(devargs, sizeof(devargs), fmt[pmds[i]], port, host_if);
		rc = mflowd_call(c, "port.add",
				 json_pack("{s:s, s:s, s:i}", "name", port, "devargs", devargs,
					   "mtu", conf->mtu),
				 NULL, e);
		/* Only a device that would not start is worth a second PMD. */
		if (rc == 0 || e->code != CT_CNI_E_DATAPLANE || rc == -EEXIST)
			break;
	}
	if (rc < 0)
		return rc;
	ct_mac_format(mac, m, sizeof(m));
	rc = mflowd_call(c, "endpoint.attach",
			 json_pack("{s:s, s:I, s:s, s:b}", "port", port, "vni",
				   (json_int_t)conf->vni, "mac", m, "any_src_mac",
				   conf->any_src_mac),
			 NULL, e);
	if (rc < 0) {
		struct ct_cni_error e2;

		(void)port_down(c, port, &e2);
	}
	return rc;
}

/* ------------------------------------------------------------------------- */
/* Attachment records: DATADIR/NETWORK/PORT.json.                            */

/* What a record holds. */
struct att {
	char container_id[CT_CNI_ID_MAX + 1];
	char ifname[CT_IFNAME_MAX + 1];
	char netns[CT_NETNS_PATH_MAX + 1];
	char host_if[CT_IFNAME_MAX + 1];
	char port[32];
};

static int
mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void
record_path(const struct ct_cni_conf *conf, const char *port, char *out, size_t len)
{
	snprintf(out, len, "%s/%s/%s.json", conf->data_dir, conf->name, port);
}

static int
record_write(const struct ct_cni_conf *conf, const struct att *a, struct ct_cni_error *e)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 8];
	json_t *j;
	int fd, rc;

	snprintf(dir, sizeof(dir), "%s/%s", conf->data_dir, conf->name);
	rc = mkdir_p(dir);
	if (rc < 0)
		return fail(e, CT_CNI_E_IO, rc, "cannot make %s: %s", dir, strerror(-rc));
	record_path(conf, a->port, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "containerID", a->container_id, "ifname",
		      a->ifname, "netns", a->netns, "host_if", a->host_if, "port", a->port, "vni",
		      (json_int_t)conf->vni);
	if (j == NULL)
		return fail(e, CT_CNI_E_IO, -ENOMEM, "out of memory");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out_fail;
	}
	rc = json_dumpfd(j, fd, JSON_COMPACT) == 0 && fsync(fd) == 0 ? 0 : -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		goto out_fail;
	}
	json_decref(j);
	return 0;

out_fail:
	json_decref(j);
	return fail(e, CT_CNI_E_IO, rc < 0 ? rc : -EIO, "cannot write %s: %s", path,
		    strerror(rc < 0 ? -rc : EIO));
}

static void
record_remove(const struct ct_cni_conf *conf, const char *port)
{
	char path[PATH_MAX];

	record_path(conf, port, path, sizeof(path));
	(void)unlink(path);
}

/* Read a record; -EINVAL for one that is not ours or is damaged. */
static int
record_read(const char *path, struct att *a)
{
	char want_if[CT_IFNAME_MAX + 1], want_port[32];
	const char *id, *ifn, *ns, *hi, *pt;
	json_t *j = json_load_file(path, 0, NULL);
	int rc = -EINVAL;

	if (j == NULL)
		return -EINVAL;
	id = json_string_value(json_object_get(j, "containerID"));
	ifn = json_string_value(json_object_get(j, "ifname"));
	ns = json_string_value(json_object_get(j, "netns"));
	hi = json_string_value(json_object_get(j, "host_if"));
	pt = json_string_value(json_object_get(j, "port"));
	if (id == NULL || ifn == NULL || ns == NULL || hi == NULL || pt == NULL ||
	    !safe_name(id, CT_CNI_ID_MAX) || !ct_ifname_valid(ifn) ||
	    strlen(ns) > CT_NETNS_PATH_MAX)
		goto out_free;
	/* The names follow from the ID and interface, or the record is not ours. */
	ct_cni_names(id, ifn, want_if, want_port);
	if (strcmp(hi, want_if) != 0 || strcmp(pt, want_port) != 0)
		goto out_free;
	memset(a, 0, sizeof(*a));
	snprintf(a->container_id, sizeof(a->container_id), "%s", id);
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifn);
	snprintf(a->netns, sizeof(a->netns), "%s", ns);
	snprintf(a->host_if, sizeof(a->host_if), "%s", hi);
	snprintf(a->port, sizeof(a->port), "%s", pt);
	rc = 0;

out_free:
	json_decref(j);
	return rc;
}

/* ------------------------------------------------------------------------- */
/* The operations.                                                           */

static void
att_init(struct att *a, const char *container_id, const char *ifname, const char *netns)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->container_id, sizeof(a->container_id), "%s", container_id);
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	snprintf(a->netns, sizeof(a->netns), "%s", netns != NULL ? netns : "");
	ct_cni_names(container_id, ifname, a->host_if, a->port);
}

/*
 * Ask the IPAM plugin, if the configuration names one, to carry out @p cmd
 * for the attachment @p a. *result (ADD) receives its result, a new
 * reference; without IPAM it stays NULL and the call succeeds.
 */
static int
ipam_do(const struct ct_cni_env *env, const struct ct_cni_conf *conf, const char *cmd,
	const struct att *a, const char *text, size_t len, json_t **result, struct ct_cni_error *e)
{
	struct ipam_call call = {.env = env, .conf = conf, .cmd = cmd};
	char *owned;
	int rc;

	if (conf->ipam == NULL)
		return 0;
	call.container_id = a->container_id;
	call.ifname = a->ifname;
	call.netns = a->netns;
	rc = ipam_input(conf, text, len, &call.in, &call.in_len, &owned);
	if (rc < 0)
		return fail(e, CT_CNI_E_IO, rc, "out of memory");
	rc = ipam_run(&call, result, e);
	free(owned);
	return rc;
}

/* Addresses and routes of an IPAM result on the container's interface. */
static int
addresses_up(const struct ct_cni_env *env, const json_t *ipam, struct ct_cni_error *e)
{
	const json_t *ip, *rt, *ips = json_object_get(ipam, "ips");
	size_t i;
	int rc;

	json_array_foreach (ips, i, ip) {
		const char *s = json_string_value(json_object_get(ip, "address"));
		struct ct_ip a;
		uint8_t plen;

		if (s == NULL || ct_ip_parse_prefix(s, &a, &plen) < 0)
			return fail(e, CT_CNI_E_IPAM, -EINVAL, "IPAM gave a bad address '%s'",
				    s != NULL ? s : "(none)");
		rc = ct_addr_add(env->netns, env->ifname, &a, plen);
		if (rc < 0)
			return fail(e, CT_CNI_E_NETWORK, rc, "cannot add %s to %s: %s", s,
				    env->ifname, strerror(-rc));
	}
	json_array_foreach (json_object_get(ipam, "routes"), i, rt) {
		const char *dst = json_string_value(json_object_get(rt, "dst"));
		const char *gw = json_string_value(json_object_get(rt, "gw"));
		struct ct_ip d, g;
		uint8_t plen;
		size_t k;

		if (dst == NULL || ct_ip_parse_prefix(dst, &d, &plen) < 0 ||
		    (gw != NULL && (ct_ip_parse(gw, &g) < 0 || g.family != d.family)))
			return fail(e, CT_CNI_E_IPAM, -EINVAL, "IPAM gave a bad route to '%s'",
				    dst != NULL ? dst : "(none)");
		/* A route without a gateway goes via the gateway of its family's address. */
		json_array_foreach (gw == NULL ? ips : NULL, k, ip) {
			const char *ipgw = json_string_value(json_object_get(ip, "gateway"));

			if (ipgw != NULL && ct_ip_parse(ipgw, &g) == 0 && g.family == d.family) {
				gw = ipgw;
				break;
			}
		}
		rc = ct_route_add(env->netns, env->ifname, &d, plen, gw != NULL ? &g : NULL);
		if (rc < 0 && rc != -EEXIST)
			return fail(e, CT_CNI_E_NETWORK, rc, "cannot add the route to %s: %s", dst,
				    strerror(-rc));
	}
	return 0;
}

/* The veth pair, configured; the caller deletes the host end on failure. */
static int
veth_up(const struct ct_cni_env *env, const struct ct_cni_conf *conf, const struct att *a,
	const json_t *ipam, struct ct_cni_error *e)
{
	const uint8_t *mac = conf->has_mac ? conf->mac : env->has_args_mac ? env->args_mac : NULL;
	struct ct_veth_args v = {
		.host_if = a->host_if,
		.peer_if = env->ifname,
		.netns = env->netns,
		.peer_mac = mac,
		.mtu = conf->mtu,
	};
	struct ct_link_args up = {.netns = env->netns, .ifname = env->ifname, .up = CT_SET_ON};
	char err[256];
	int rc;

	err[0] = '\0';
	rc = ct_veth_add(&v, err, sizeof(err));
	if (rc == -EEXIST)
		return fail(e, CT_CNI_E_NETWORK, rc, "%s (is the container attached already?)",
			    err);
	if (rc < 0)
		return fail(e, CT_CNI_E_NETWORK, rc, "cannot create the veth pair: %s", err);
	rc = ct_link_offloads_off(env->netns, env->ifname, err, sizeof(err));
	if (rc == 0)
		rc = ct_link_set(&up, err, sizeof(err));
	if (rc < 0)
		return fail(e, CT_CNI_E_NETWORK, rc, "%s", err);
	if (ipam != NULL) {
		rc = addresses_up(env, ipam, e);
		if (rc < 0)
			return rc;
	}
	rc = ct_nl_prepare_pmd_end(a->host_if, err, sizeof(err));
	if (rc < 0)
		return fail(e, CT_CNI_E_NETWORK, rc, "%s", err);
	return 0;
}

static int
cni_add(const struct ct_cni_env *env, const struct ct_cni_conf *conf, const char *text, size_t len,
	json_t **result, struct ct_cni_error *e)
{
	struct ct_link_info host, peer;
	struct ctl_client *c = NULL;
	struct ct_cni_error e2;
	json_t *ipam = NULL;
	struct att a;
	int fd, rc;

	att_init(&a, env->container_id, env->ifname, env->netns);
	fd = ct_netns_open(env->netns);
	if (fd < 0)
		return fail(e, CT_CNI_E_CONTAINER, fd, "CNI_NETNS %s: %s", env->netns,
			    fd == -EINVAL ? "not a network namespace" : strerror(-fd));
	close(fd);
	rc = mflowd_connect(conf, &c, e);
	if (rc < 0)
		return rc;
	rc = record_write(conf, &a, e);
	if (rc < 0)
		goto out_close;
	rc = ipam_do(env, conf, "ADD", &a, text, len, &ipam, e);
	if (rc < 0)
		goto out_record;
	rc = veth_up(env, conf, &a, ipam, e);
	if (rc < 0)
		goto out_link;
	rc = ct_link_get(NULL, a.host_if, &host);
	if (rc == 0)
		rc = ct_link_get(env->netns, env->ifname, &peer);
	if (rc < 0) {
		fail(e, CT_CNI_E_NETWORK, rc, "cannot read back the veth pair: %s", strerror(-rc));
		goto out_link;
	}
	rc = port_up(conf, c, a.port, a.host_if, peer.mac, e);
	if (rc < 0)
		goto out_link;
	*result = ct_cni_result(conf, ipam, a.host_if, host.mac, env->ifname, peer.mac, env->netns);
	if (*result == NULL) {
		rc = fail(e, CT_CNI_E_IO, -ENOMEM, "out of memory");
		(void)port_down(c, a.port, &e2);
		goto out_link;
	}
	json_decref(ipam);
	ctl_client_close(c);
	return 0;

out_link:
	(void)ct_link_del(NULL, a.host_if);
	/* The IPAM plugin is asked even when it failed: it may have half-allocated. */
	(void)ipam_do(env, conf, "DEL", &a, text, len, NULL, &e2);
out_record:
	record_remove(conf, a.port);
out_close:
	json_decref(ipam);
	ctl_client_close(c);
	return rc;
}

/* Take an attachment down; a port left in mflowd is the only hard failure. */
static int
att_down(const struct ct_cni_env *env, const struct ct_cni_conf *conf, const struct att *a,
	 const char *text, size_t len, struct ct_cni_error *e)
{
	struct ctl_client *c = NULL;
	char err[256];
	int rc;

	rc = ctl_client_connect(conf->socket, conf->timeout_ms, &c, err, sizeof(err));
	/* No mflowd: a restarted one has no port of ours, so there is none to remove. */
	if (rc == -ENOENT || rc == -ECONNREFUSED)
		c = NULL;
	else if (rc < 0)
		return fail(e, CT_CNI_E_TRY_AGAIN, rc, "mflowd: %s", err);
	if (c != NULL) {
		rc = port_down(c, a->port, e);
		ctl_client_close(c);
		if (rc < 0)
			return rc;
	}
	rc = ct_link_del(NULL, a->host_if);
	if (rc < 0 && rc != -ENOENT && rc != -ENODEV)
		return fail(e, CT_CNI_E_NETWORK, rc, "cannot delete %s: %s", a->host_if,
			    strerror(-rc));
	rc = ipam_do(env, conf, "DEL", a, text, len, NULL, e);
	if (rc < 0)
		return rc;
	record_remove(conf, a->port);
	return 0;
}

static int
cni_del(const struct ct_cni_env *env, const struct ct_cni_conf *conf, const char *text, size_t len,
	struct ct_cni_error *e)
{
	struct att a;

	att_init(&a, env->container_id, env->ifname, env->netns);
	return att_down(env, conf, &a, text, len, e);
}

/* The container interface's entry in prevResult, or NULL. */
static const json_t *
prev_iface(const struct ct_cni_env *env, const json_t *prev, size_t *idx)
{
	const json_t *i;
	size_t k;

	json_array_foreach (json_object_get(prev, "interfaces"), k, i) {
		const char *name = json_string_value(json_object_get(i, "name"));
		const char *sb = json_string_value(json_object_get(i, "sandbox"));

		if (name != NULL && sb != NULL && strcmp(name, env->ifname) == 0) {
			*idx = k;
			return i;
		}
	}
	return NULL;
}

/* The container end as prevResult describes it. */
static int
check_container(const struct ct_cni_env *env, const struct ct_cni_conf *conf,
		struct ct_link_info *peer, struct ct_cni_error *e)
{
	const json_t *ifc, *ip;
	uint8_t mac[6];
	size_t idx = 0, k;
	int rc;

	ifc = prev_iface(env, conf->prev, &idx);
	if (ifc == NULL)
		return fail(e, CT_CNI_E_CHECK, -ENOENT, "prevResult has no interface %s",
			    env->ifname);
	rc = ct_link_get(env->netns, env->ifname, peer);
	if (rc < 0)
		return fail(e, CT_CNI_E_CHECK, rc, "interface %s is missing from %s: %s",
			    env->ifname, env->netns, strerror(-rc));
	if (ct_mac_parse(json_string_value(json_object_get(ifc, "mac")) ?: "", mac) == 0 &&
	    memcmp(mac, peer->mac, 6) != 0)
		return fail(e, CT_CNI_E_CHECK, -EINVAL, "%s has another MAC than recorded",
			    env->ifname);
	if (peer->mtu != conf->mtu)
		return fail(e, CT_CNI_E_CHECK, -EINVAL, "%s has MTU %u, not %u", env->ifname,
			    peer->mtu, conf->mtu);
	if ((peer->flags & IFF_UP) == 0)
		return fail(e, CT_CNI_E_CHECK, -EINVAL, "%s is down", env->ifname);
	json_array_foreach (json_object_get(conf->prev, "ips"), k, ip) {
		const char *s = json_string_value(json_object_get(ip, "address"));
		const json_t *at = json_object_get(ip, "interface");
		struct ct_ip a;
		uint8_t plen;

		if (json_is_integer(at) && (size_t)json_integer_value(at) != idx)
			continue;
		if (s == NULL || ct_ip_parse_prefix(s, &a, &plen) < 0)
			return fail(e, CT_CNI_E_CONFIG, -EINVAL, "prevResult has a bad address");
		rc = ct_addr_has(env->netns, env->ifname, &a, plen);
		if (rc <= 0)
			return fail(e, CT_CNI_E_CHECK, rc < 0 ? rc : -ENOENT,
				    "%s does not have the address %s", env->ifname, s);
	}
	return 0;
}

/* The port in mflowd: present, on the VNI, with the container's MAC. */
static int
check_port(const struct ct_cni_conf *conf, const struct att *a, const uint8_t mac[6],
	   struct ct_cni_error *e)
{
	struct ctl_client *c = NULL;
	json_t *res = NULL, *row;
	uint8_t pmac[6];
	int rc;

	rc = mflowd_connect(conf, &c, e);
	if (rc < 0)
		return rc;
	rc = mflowd_call(c, "port.show", json_pack("{s:s}", "name", a->port), &res, e);
	ctl_client_close(c);
	if (rc == -ENOENT)
		return fail(e, CT_CNI_E_CHECK, rc, "mflowd has no port %s", a->port);
	if (rc < 0)
		return rc;
	row = json_is_array(res) ? json_array_get(res, 0) : res;
	if (!json_is_integer(json_object_get(row, "vni")) ||
	    json_integer_value(json_object_get(row, "vni")) != (json_int_t)conf->vni)
		rc = fail(e, CT_CNI_E_CHECK, -EINVAL, "port %s is not attached to VNI %u", a->port,
			  conf->vni);
	else if (ct_mac_parse(json_string_value(json_object_get(row, "mac")) ?: "", pmac) < 0 ||
		 memcmp(pmac, mac, 6) != 0)
		rc = fail(e, CT_CNI_E_CHECK, -EINVAL, "port %s carries another MAC than %s's",
			  a->port, a->ifname);
	json_decref(res);
	return rc;
}

static int
cni_check(const struct ct_cni_env *env, const struct ct_cni_conf *conf, const char *text,
	  size_t len, struct ct_cni_error *e)
{
	struct ct_link_info peer, host;
	struct att a;
	int rc;

	att_init(&a, env->container_id, env->ifname, env->netns);
	rc = check_container(env, conf, &peer, e);
	if (rc < 0)
		return rc;
	rc = ct_link_get(NULL, a.host_if, &host);
	if (rc < 0)
		return fail(e, CT_CNI_E_CHECK, rc, "host interface %s is missing: %s", a.host_if,
			    strerror(-rc));
	rc = check_port(conf, &a, peer.mac, e);
	if (rc < 0)
		return rc;
	return ipam_do(env, conf, "CHECK", &a, text, len, NULL, e);
}

static int
cni_status(const struct ct_cni_conf *conf, struct ct_cni_error *e)
{
	struct ctl_client *c = NULL;
	int rc;

	rc = mflowd_connect(conf, &c, e);
	if (rc == 0)
		rc = mflowd_call(c, "version.show", json_object(), NULL, e);
	ctl_client_close(c);
	if (rc < 0)
		e->code = CT_CNI_E_UNAVAILABLE;
	return rc;
}

static bool
att_valid(const struct ct_cni_conf *conf, const struct att *a)
{
	const json_t *v;
	size_t i;

	json_array_foreach (conf->valid, i, v) {
		const char *id = json_string_value(json_object_get(v, "containerID"));
		const char *ifn = json_string_value(json_object_get(v, "ifname"));

		if (id != NULL && ifn != NULL && strcmp(id, a->container_id) == 0 &&
		    strcmp(ifn, a->ifname) == 0)
			return true;
	}
	return false;
}

/* Remove every recorded attachment of the network that is not valid. */
static int
cni_gc(const struct ct_cni_env *env, const struct ct_cni_conf *conf, const char *text, size_t len,
       struct ct_cni_error *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *de;
	int rc = 0, n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", conf->data_dir, conf->name);
	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0
				       : fail(e, CT_CNI_E_IO, -errno, "cannot read %s: %s", dir,
					      strerror(errno));
	/* Bounded: a directory cannot make GC run for ever. */
	while ((de = readdir(d)) != NULL && n++ < 65536) {
		size_t l = strlen(de->d_name);
		struct att a;
		int r;

		if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (record_read(path, &a) < 0 || att_valid(conf, &a))
			continue;
		r = att_down(env, conf, &a, text, len, e);
		if (r < 0 && rc == 0)
			rc = r;
	}
	closedir(d);
	return rc;
}

int
ct_cni_run(const struct ct_cni_env *env, const struct ct_cni_conf *conf, const char *text,
	   size_t len, json_t **result, struct ct_cni_error *e)
{
	*result = NULL;
	switch (env->cmd) {
	case CT_CNI_VERSION:
		*result = ct_cni_version_result(conf != NULL ? conf->version : NULL);
		return *result != NULL ? 0 : fail(e, CT_CNI_E_IO, -ENOMEM, "out of memory");
	case CT_CNI_ADD:
		return cni_add(env, conf, text, len, result, e);
	case CT_CNI_DEL:
		return cni_del(env, conf, text, len, e);
	case CT_CNI_CHECK:
		return cni_check(env, conf, text, len, e);
	case CT_CNI_STATUS:
		return cni_status(conf, e);
	case CT_CNI_GC:
		return cni_gc(env, conf, text, len, e);
	}
	return fail(e, CT_CNI_E_ENV, -EINVAL, "unknown command");
}
