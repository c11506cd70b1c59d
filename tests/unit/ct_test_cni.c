/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CNI group: what mflow-cni reads from a runtime and what it prints
 * (containers/ct_cni.c): the CNI_* environment, the network configuration
 * with every refusal and its CNI error code, the names of an attachment,
 * version ordering, results in each format and error objects. Needs no root
 * and no mflowd; the plugin against the real thing is
 * tests/integration/test_cni.py.
 *
 * JSON in the tables is written with backticks for double quotes; bt()
 * turns it into real JSON.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ct_cni.h"
#include "ct_test.h"

/* ------------------------------------------------------------------------- */
/* Helpers.                                                                  */

/* The environment a test hands ct_cni_env_parse(): NAME=VALUE strings. */
static const char *const *test_env;

static const char *
env_get(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; test_env[i] != NULL; i++)
		if (strncmp(test_env[i], name, n) == 0 && test_env[i][n] == '=')
			return test_env[i] + n + 1;
	return NULL;
}

/* @p s with backticks turned into double quotes; static storage. */
static const char *
bt(const char *s)
{
	static char buf[4096];
	size_t i;

	for (i = 0; s[i] != '\0' && i < sizeof(buf) - 1; i++)
		buf[i] = s[i] == '`' ? '"' : s[i];
	buf[i] = '\0';
	return buf;
}

static int
parse(const char *conf, enum ct_cni_cmd cmd, struct ct_cni_conf *c, struct ct_cni_error *e)
{
	const char *text = bt(conf);

	memset(e, 0, sizeof(*e));
	return ct_cni_conf_parse(text, strlen(text), cmd, c, e);
}

/* ------------------------------------------------------------------------- */
/* Environment.                                                              */

static void
test_env_good(void **state)
{
	static const char *const env[] = {
		"CNI_COMMAND=ADD",
		"CNI_CONTAINERID=abc-1.x_y",
		"CNI_NETNS=/run/netns/p1",
		"CNI_IFNAME=eth0",
		"CNI_PATH=/opt/cni/bin",
		"CNI_ARGS=K8S_POD_NAME=a;MAC=02:00:00:00:00:07",
		NULL,
	};
	struct ct_cni_error e = {0};
	struct ct_cni_env v;
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 7};

	(void)state;
	test_env = env;
	assert_int_equal(ct_cni_env_parse(env_get, &v, &e), 0);
	assert_int_equal(v.cmd, CT_CNI_ADD);
	assert_string_equal(v.container_id, "abc-1.x_y");
	assert_string_equal(v.netns, "/run/netns/p1");
	assert_string_equal(v.ifname, "eth0");
	assert_string_equal(v.path, "/opt/cni/bin");
	assert_true(v.has_args_mac);
	assert_memory_equal(v.args_mac, mac, 6);
}

static void
test_env_optional(void **state)
{
	static const char *const del[] = {"CNI_COMMAND=DEL", "CNI_CONTAINERID=a", "CNI_IFNAME=eth0",
					  NULL};
	static const char *const ver[] = {"CNI_COMMAND=VERSION", NULL};
	static const char *const gc[] = {"CNI_COMMAND=GC", "CNI_PATH=/x", NULL};
	struct ct_cni_error e = {0};
	struct ct_cni_env v;

	(void)state;
	/* DEL may come without CNI_NETNS; VERSION and GC need no container. */
	test_env = del;
	assert_int_equal(ct_cni_env_parse(env_get, &v, &e), 0);
	assert_string_equal(v.netns, "");
	test_env = ver;
	assert_int_equal(ct_cni_env_parse(env_get, &v, &e), 0);
	assert_int_equal(v.cmd, CT_CNI_VERSION);
	test_env = gc;
	assert_int_equal(ct_cni_env_parse(env_get, &v, &e), 0);
	assert_int_equal(v.cmd, CT_CNI_GC);
}

static void
test_env_bad(void **state)
{
	static const struct {
		const char *env[6];
		const char *needle;
	} cases[] = {
		{{NULL}, "CNI_COMMAND is not set"},
		{{"CNI_COMMAND=add", NULL}, "not one of"},
		{{"CNI_COMMAND=ADD", "CNI_NETNS=/n", "CNI_IFNAME=eth0", NULL}, "CNI_CONTAINERID"},
		{{"CNI_COMMAND=ADD", "CNI_CONTAINERID=a", "CNI_IFNAME=eth0", NULL}, "CNI_NETNS"},
		{{"CNI_COMMAND=CHECK", "CNI_CONTAINERID=a", "CNI_NETNS=/n", NULL}, "CNI_IFNAME"},
		{{"CNI_COMMAND=ADD", "CNI_CONTAINERID=-a", "CNI_NETNS=/n", "CNI_IFNAME=eth0", NULL},
		 "CNI_CONTAINERID"},
		{{"CNI_COMMAND=ADD", "CNI_CONTAINERID=a/b", "CNI_NETNS=/n", "CNI_IFNAME=eth0",
		  NULL},
		 "CNI_CONTAINERID"},
		{{"CNI_COMMAND=ADD", "CNI_CONTAINERID=a", "CNI_NETNS=n", "CNI_IFNAME=eth0", NULL},
		 "absolute"},
		{{"CNI_COMMAND=ADD", "CNI_CONTAINERID=a", "CNI_NETNS=/n", "CNI_IFNAME=a/b", NULL},
		 "CNI_IFNAME"},
		{{"CNI_COMMAND=ADD", "CNI_CONTAINERID=a", "CNI_NETNS=/n", "CNI_IFNAME=eth0",
		  "CNI_ARGS=MAC=ff:ff:ff:ff:ff:ff", NULL},
		 "MAC"},
		{{"CNI_COMMAND=ADD", "CNI_CONTAINERID=a", "CNI_NETNS=/n", "CNI_IFNAME=eth0",
		  "CNI_ARGS=novalue", NULL},
		 "KEY=VALUE"},
	};
	struct ct_cni_error e;
	struct ct_cni_env v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&e, 0, sizeof(e));
		test_env = cases[i].env;
		assert_int_equal(ct_cni_env_parse(env_get, &v, &e), -EINVAL);
		assert_int_equal(e.code, CT_CNI_E_ENV);
		if (strstr(e.msg, cases[i].needle) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, cases[i].needle);
	}
}

/* ------------------------------------------------------------------------- */
/* Configuration.                                                            */

static void
test_conf_defaults(void **state)
{
	struct ct_cni_conf c;
	struct ct_cni_error e;

	(void)state;
	assert_int_equal(parse("{`cniVersion`: `1.0.0`, `name`: `n`, `type`: `mflow-cni`, "
			       "`vni`: 7}",
			       CT_CNI_ADD, &c, &e),
			 0);
	assert_string_equal(c.version, "1.0.0");
	assert_string_equal(c.name, "n");
	assert_int_equal(c.vni, 7);
	assert_int_equal(c.mtu, 1450);
	assert_int_equal(c.timeout_ms, 30000);
	assert_int_equal(c.pmd, CT_CNI_PMD_AUTO);
	assert_false(c.any_src_mac);
	assert_false(c.has_mac);
	assert_null(c.ipam);
	assert_null(c.prev);
	assert_string_equal(c.socket, "/run/mflowd/mflowd.sock");
	assert_string_equal(c.data_dir, CT_CNI_DATA_DIR);
	ct_cni_conf_fini(&c);
	ct_cni_conf_fini(NULL);
}

static void
test_conf_all_keys(void **state)
{
	struct ct_cni_conf c;
	struct ct_cni_error e;
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 9};

	(void)state;
	assert_int_equal(
		parse("{`cniVersion`: `1.1.0`, `name`: `net-1`, `type`: `mflow-cni`, `vni`: "
		      "16777215, "
		      "`mtu`: 9000, `socket`: `/tmp/s.sock`, `pmd`: `af_packet`, `anySrcMac`: "
		      "true, "
		      "`dataDir`: `/tmp/d`, `timeout`: 600, `ipam`: {`type`: `host-local`}, "
		      "`runtimeConfig`: {`mac`: `02:00:00:00:00:09`}, "
		      "`prevResult`: {`interfaces`: [], `ips`: []}}",
		      CT_CNI_CHECK, &c, &e),
		0);
	assert_int_equal(c.vni, 16777215);
	assert_int_equal(c.mtu, 9000);
	assert_string_equal(c.socket, "/tmp/s.sock");
	assert_int_equal(c.pmd, CT_CNI_PMD_AF_PACKET);
	assert_true(c.any_src_mac);
	assert_string_equal(c.data_dir, "/tmp/d");
	assert_int_equal(c.timeout_ms, 600000);
	assert_non_null(c.ipam);
	assert_non_null(c.prev);
	assert_true(c.has_mac);
	assert_memory_equal(c.mac, mac, 6);
	ct_cni_conf_fini(&c);
	/* An empty ipam object means no IPAM, as in the reference plugins. */
	assert_int_equal(parse("{`cniVersion`: `0.3.1`, `name`: `n`, `vni`: 0, `ipam`: {}}",
			       CT_CNI_ADD, &c, &e),
			 0);
	assert_null(c.ipam);
	ct_cni_conf_fini(&c);
}

static void
test_conf_bad(void **state)
{
	static const struct {
		enum ct_cni_cmd cmd;
		const char *conf;
		int code;
		const char *needle;
	} cases[] = {
		{CT_CNI_ADD, "", CT_CNI_E_DECODE, "not JSON"},
		{CT_CNI_ADD, "[1]", CT_CNI_E_DECODE, "not a JSON object"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `cniVersion`: `1.0.0`}", CT_CNI_E_DECODE,
		 "not JSON"},
		{CT_CNI_ADD, "{`name`: `n`, `vni`: 1}", CT_CNI_E_CONFIG, "cniVersion"},
		{CT_CNI_ADD, "{`cniVersion`: 1, `name`: `n`, `vni`: 1}", CT_CNI_E_CONFIG,
		 "cniVersion"},
		{CT_CNI_ADD, "{`cniVersion`: `0.2.0`, `name`: `n`, `vni`: 1}", CT_CNI_E_VERSION,
		 "0.2.0"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `vni`: 1}", CT_CNI_E_CONFIG, "name"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `.n`, `vni`: 1}", CT_CNI_E_CONFIG,
		 "name"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`}", CT_CNI_E_CONFIG,
		 "vni is required"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: -1}", CT_CNI_E_CONFIG,
		 "vni"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 16777216}",
		 CT_CNI_E_CONFIG, "vni"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: `5`}", CT_CNI_E_CONFIG,
		 "vni"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1, `mtu`: 575}",
		 CT_CNI_E_CONFIG, "mtu"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1, `mtu`: 9001}",
		 CT_CNI_E_CONFIG, "mtu"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1, `timeout`: 0}",
		 CT_CNI_E_CONFIG, "timeout"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1, `socket`: ``}",
		 CT_CNI_E_CONFIG, "socket"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1, `socket`: `rel`}",
		 CT_CNI_E_CONFIG, "socket"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1, `dataDir`: `rel`}",
		 CT_CNI_E_CONFIG, "dataDir"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1, `pmd`: `xdp`}",
		 CT_CNI_E_CONFIG, "pmd"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1, `anySrcMac`: 1}",
		 CT_CNI_E_CONFIG, "anySrcMac"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1, `ipam`: []}",
		 CT_CNI_E_CONFIG, "ipam"},
		{CT_CNI_ADD,
		 "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1, `ipam`: {`type`: `../x`}}",
		 CT_CNI_E_CONFIG, "ipam.type"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1, `runtimeConfig`: 1}",
		 CT_CNI_E_CONFIG, "runtimeConfig"},
		{CT_CNI_ADD,
		 "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1, `runtimeConfig`: {`mac`: `x`}}",
		 CT_CNI_E_CONFIG, "runtimeConfig.mac"},
		{CT_CNI_ADD, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1, `prevResult`: {}}",
		 CT_CNI_E_CONFIG, "prevResult"},
		{CT_CNI_CHECK, "{`cniVersion`: `0.3.1`, `name`: `n`, `vni`: 1}", CT_CNI_E_VERSION,
		 "CHECK"},
		{CT_CNI_CHECK, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1}", CT_CNI_E_CONFIG,
		 "prevResult"},
		{CT_CNI_GC, "{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1}", CT_CNI_E_VERSION,
		 "GC"},
		{CT_CNI_STATUS, "{`cniVersion`: `1.0.0`, `name`: `n`}", CT_CNI_E_VERSION, "STATUS"},
		{CT_CNI_GC, "{`cniVersion`: `1.1.0`, `name`: `n`, `vni`: 1}", CT_CNI_E_CONFIG,
		 "valid-attachments"},
	};
	struct ct_cni_conf c;
	struct ct_cni_error e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].conf, cases[i].cmd, &c, &e);

		if (rc != -EINVAL || e.code != cases[i].code ||
		    strstr(e.msg, cases[i].needle) == NULL)
			fail_msg("case %zu: rc %d code %d '%s' (want code %d, '%s')", i, rc, e.code,
				 e.msg, cases[i].code, cases[i].needle);
		/* The version, once read, is kept for the error object. */
		if (strstr(bt(cases[i].conf), "\"cniVersion\": \"1.0.0\", \"name\"") != NULL)
			assert_string_equal(c.version, "1.0.0");
	}
}

static void
test_conf_commands(void **state)
{
	struct ct_cni_conf c;
	struct ct_cni_error e;

	(void)state;
	/* VERSION reads the version alone; STATUS needs no VNI; GC its list. */
	assert_int_equal(parse("{`cniVersion`: `0.4.0`}", CT_CNI_VERSION, &c, &e), 0);
	ct_cni_conf_fini(&c);
	assert_int_equal(parse("{`cniVersion`: `1.1.0`, `name`: `n`}", CT_CNI_STATUS, &c, &e), 0);
	ct_cni_conf_fini(&c);
	assert_int_equal(
		parse("{`cniVersion`: `1.1.0`, `name`: `n`, `vni`: 3, "
		      "`cni.dev/valid-attachments`: [{`containerID`: `a`, `ifname`: `e`}]}",
		      CT_CNI_GC, &c, &e),
		0);
	assert_int_equal(json_array_size(c.valid), 1);
	ct_cni_conf_fini(&c);
}

/* ------------------------------------------------------------------------- */
/* Names, versions, results, errors.                                         */

static void
test_names(void **state)
{
	char h1[CT_IFNAME_MAX + 1], p1[32], h2[CT_IFNAME_MAX + 1], p2[32], id[32];
	json_t *seen = json_object();

	(void)state;
	ct_cni_names("abc", "eth0", h1, p1);
	ct_cni_names("abc", "eth0", h2, p2);
	assert_string_equal(h1, h2);
	assert_string_equal(p1, p2);
	assert_int_equal(strlen(h1), 15);
	assert_true(ct_ifname_valid(h1));
	assert_int_equal(strncmp(h1, CT_CNI_HOST_PREFIX, 5), 0);
	assert_int_equal(strlen(p1), 20);
	assert_int_equal(strncmp(p1, CT_CNI_PORT_PREFIX, 4), 0);
	/* The interface counts, and "ab"+"ceth0" is not "abc"+"eth0". */
	ct_cni_names("abc", "eth1", h2, p2);
	assert_string_not_equal(h1, h2);
	assert_string_not_equal(p1, p2);
	ct_cni_names("ab", "ceth0", h2, p2);
	assert_string_not_equal(p1, p2);
	/* No two of 20000 IDs share a host interface name. */
	for (int i = 0; i < 20000; i++) {
		snprintf(id, sizeof(id), "pod-%d", i);
		ct_cni_names(id, "eth0", h1, p1);
		assert_null(json_object_get(seen, h1));
		json_object_set_new(seen, h1, json_true());
	}
	json_decref(seen);
}

static void
test_version_cmp(void **state)
{
	(void)state;
	assert_true(ct_cni_version_cmp("1.0.0", "1.1.0") < 0);
	assert_true(ct_cni_version_cmp("1.1.0", "1.0.0") > 0);
	assert_int_equal(ct_cni_version_cmp("0.4.0", "0.4.0"), 0);
	assert_true(ct_cni_version_cmp("0.10.0", "0.4.0") > 0);
	assert_true(ct_cni_version_cmp("x", "0.1.0") < 0);
	assert_true(ct_cni_version_cmp("1.0.0", NULL) > 0);
	assert_true(ct_cni_version_cmp("1.0.0x", "1.0.0") < 0);
}

static json_t *
result_for(const char *conf, const char *ipam)
{
	static const uint8_t hm[6] = {2, 0, 0, 0, 0, 1}, cm[6] = {2, 0, 0, 0, 0, 2};
	struct ct_cni_conf c;
	struct ct_cni_error e;
	json_t *ip = NULL, *r;

	assert_int_equal(parse(conf, CT_CNI_ADD, &c, &e), 0);
	if (ipam != NULL) {
		ip = json_loads(bt(ipam), 0, NULL);
		assert_non_null(ip);
	}
	r = ct_cni_result(&c, ip, "mfcni0000000001", hm, "eth0", cm, "/run/netns/x");
	assert_non_null(r);
	json_decref(ip);
	ct_cni_conf_fini(&c);
	return r;
}

static void
test_result(void **state)
{
	static const char ipam[] =
		"{`ips`: [{`address`: `198.18.1.5/24`, `gateway`: `198.18.1.1`}, "
		"{`address`: `2001:db8::5/64`}], `routes`: [{`dst`: `0.0.0.0/0`}], "
		"`dns`: {`nameservers`: [`198.18.0.53`]}}";
	json_t *r, *ifs, *ips;

	(void)state;
	r = result_for("{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1}", ipam);
	assert_string_equal(json_string_value(json_object_get(r, "cniVersion")), "1.0.0");
	ifs = json_object_get(r, "interfaces");
	assert_int_equal(json_array_size(ifs), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ifs, 0), "mac")),
			    "02:00:00:00:00:01");
	assert_null(json_object_get(json_array_get(ifs, 0), "sandbox"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(ifs, 1), "sandbox")),
			    "/run/netns/x");
	assert_null(json_object_get(json_array_get(ifs, 1), "mtu"));
	ips = json_object_get(r, "ips");
	assert_int_equal(json_array_size(ips), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ips, 0), "interface")),
			 1);
	assert_null(json_object_get(json_array_get(ips, 0), "version"));
	assert_int_equal(json_array_size(json_object_get(r, "routes")), 1);
	assert_non_null(json_object_get(json_object_get(r, "dns"), "nameservers"));
	json_decref(r);

	/* 0.4.0: each IP says its version. */
	r = result_for("{`cniVersion`: `0.4.0`, `name`: `n`, `vni`: 1}", ipam);
	ips = json_object_get(r, "ips");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ips, 0), "version")),
			    "4");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ips, 1), "version")),
			    "6");
	json_decref(r);

	/* 1.1.0: interfaces say their MTU. No IPAM: no ips; the config's DNS. */
	r = result_for("{`cniVersion`: `1.1.0`, `name`: `n`, `vni`: 1, `mtu`: 1400, "
		       "`dns`: {`search`: [`example`]}}",
		       NULL);
	ifs = json_object_get(r, "interfaces");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ifs, 1), "mtu")), 1400);
	assert_null(json_object_get(r, "ips"));
	assert_non_null(json_object_get(json_object_get(r, "dns"), "search"));
	json_decref(r);

	/* Chained after another plugin: its interfaces first, ours after. */
	r = result_for("{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1, `prevResult`: "
		       "{`interfaces`: [{`name`: `lo`}], `ips`: [{`address`: `127.0.0.1/8`, "
		       "`interface`: 0}]}}",
		       ipam);
	assert_int_equal(json_array_size(json_object_get(r, "interfaces")), 3);
	ips = json_object_get(r, "ips");
	assert_int_equal(json_array_size(ips), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ips, 0), "interface")),
			 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ips, 1), "interface")),
			 2);
	json_decref(r);
}

static void
test_result_bad_ipam(void **state)
{
	static const uint8_t m[6] = {2, 0, 0, 0, 0, 1};
	struct ct_cni_conf c;
	struct ct_cni_error e;
	json_t *ip;

	(void)state;
	assert_int_equal(
		parse("{`cniVersion`: `1.0.0`, `name`: `n`, `vni`: 1}", CT_CNI_ADD, &c, &e), 0);
	ip = json_loads(bt("{`ips`: [{`address`: `not-an-address`}]}"), 0, NULL);
	assert_null(ct_cni_result(&c, ip, "h", m, "eth0", m, "/x"));
	json_decref(ip);
	ct_cni_conf_fini(&c);
}

static void
test_error_json(void **state)
{
	struct ct_cni_error e = {.code = CT_CNI_E_TRY_AGAIN};
	json_t *j;

	(void)state;
	snprintf(e.msg, sizeof(e.msg), "mflowd is busy");
	j = ct_cni_error_json(&e, "0.4.0");
	assert_string_equal(json_string_value(json_object_get(j, "cniVersion")), "0.4.0");
	assert_int_equal(json_integer_value(json_object_get(j, "code")), 11);
	assert_string_equal(json_string_value(json_object_get(j, "msg")), "mflowd is busy");
	assert_null(json_object_get(j, "details"));
	json_decref(j);
	/* An unknown version is answered in the latest; details when there are some. */
	snprintf(e.details, sizeof(e.details), "more");
	j = ct_cni_error_json(&e, "7.0.0");
	assert_string_equal(json_string_value(json_object_get(j, "cniVersion")),
			    CT_CNI_VERSION_LATEST);
	assert_string_equal(json_string_value(json_object_get(j, "details")), "more");
	json_decref(j);
}

static void
test_run_version(void **state)
{
	static const char *const env[] = {"CNI_COMMAND=VERSION", NULL};
	struct ct_cni_error e = {0};
	struct ct_cni_env v;
	json_t *r, *list;

	(void)state;
	test_env = env;
	assert_int_equal(ct_cni_env_parse(env_get, &v, &e), 0);
	assert_int_equal(ct_cni_run(&v, NULL, "", 0, &r, &e), 0);
	assert_string_equal(json_string_value(json_object_get(r, "cniVersion")),
			    CT_CNI_VERSION_LATEST);
	list = json_object_get(r, "supportedVersions");
	assert_int_equal(json_array_size(list), 5);
	assert_string_equal(json_string_value(json_array_get(list, 0)), "0.3.0");
	json_decref(r);
}

int
ct_test_cni(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_good),	cmocka_unit_test(test_env_optional),
		cmocka_unit_test(test_env_bad),		cmocka_unit_test(test_conf_defaults),
		cmocka_unit_test(test_conf_all_keys),	cmocka_unit_test(test_conf_bad),
		cmocka_unit_test(test_conf_commands),	cmocka_unit_test(test_names),
		cmocka_unit_test(test_version_cmp),	cmocka_unit_test(test_result),
		cmocka_unit_test(test_result_bad_ipam), cmocka_unit_test(test_error_json),
		cmocka_unit_test(test_run_version),
	};

	return cmocka_run_group_tests_name("cni", tests, NULL, NULL);
}
