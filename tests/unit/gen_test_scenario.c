/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenarios: the defaults, a scenario with every key, the forms of "size"
 * and "loss_pct", a table of invalid scenarios with their messages; and
 * the sending schedule built from the groups' shares.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "gen_test.h"

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void
assert_end(const struct gen_end *e, const char *mac, const char *addr, uint16_t port)
{
	char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", e->mac[0], e->mac[1], e->mac[2],
		 e->mac[3], e->mac[4], e->mac[5]);
	assert_string_equal(buf, mac);
	assert_int_equal(e->ip, ip(addr));
	assert_int_equal(e->port, port);
}

/* ------------------------------------------------------------------------- */
/* Scenarios.                                                                */

static void
test_defaults(void **state)
{
	struct gen_scenario sc, parsed;
	char err[128];

	(void)state;
	memset(&sc, 0xff, sizeof(sc));
	gen_scenario_defaults(&sc);
	assert_string_equal(sc.name, "scenario");
	assert_int_equal(sc.encap, GEN_ENCAP_VXLAN);
	assert_int_equal(sc.sizes.n, 1);
	assert_int_equal(sc.sizes.seq[0], 64);
	assert_false(sc.sizes.imix);
	assert_int_equal(sc.n_vnis, 1);
	assert_int_equal(sc.vnis[0], 100);
	assert_int_equal(sc.n_groups, 1);
	assert_string_equal(sc.groups[0].name, "group0");
	assert_int_equal(sc.groups[0].count, 1);
	assert_true(sc.groups[0].share == 1);
	assert_int_equal(sc.groups[0].first, 0);
	assert_int_equal(sc.n_flows, 1);
	assert_true(sc.rate_pps == 0);
	assert_true(sc.duration_s == 5);
	assert_true(sc.warmup_s == 0.5);
	assert_end(&sc.outer_src, "02:00:00:00:01:02", "198.18.0.2", 0);
	assert_end(&sc.outer_dst, "02:00:00:00:00:01", "198.18.0.1", 4789);
	assert_end(&sc.inner_src, "02:00:00:00:02:01", "198.19.0.1", 10000);
	assert_end(&sc.inner_dst, "02:00:00:00:02:02", "198.19.0.2", 20000);
	assert_false(sc.search);
	assert_int_equal(sc.search_n_loss, 2);
	assert_true(sc.search_loss_pct[0] == 0);
	assert_true(sc.search_loss_pct[1] == 0.5);
	assert_true(sc.search_trial_s == 2);
	assert_true(sc.search_precision == 1);
	assert_int_equal(sc.search_max_trials, 20);
	assert_true(sc.search_max_pps == 0);

	/* An empty object is the defaults, byte for byte. */
	memset(&parsed, 0x55, sizeof(parsed));
	assert_int_equal(gen_test_parse("{}", &parsed, err, sizeof(err)), 0);
	assert_memory_equal(&parsed, &sc, sizeof(sc));
	/* An empty "search" object turns the search on with its defaults. */
	assert_int_equal(gen_test_parse("{\"search\": {}}", &parsed, err, sizeof(err)), 0);
	assert_true(parsed.search);
	parsed.search = false;
	assert_memory_equal(&parsed, &sc, sizeof(sc));
}

static const char full[] =
	"{"
	"\"name\": \"elephant and mice\","
	"\"encap\": \"vxlan\","
	"\"size\": [64, 1518, 9000, 128.0],"
	"\"vnis\": [100, 200, 16777215, 0],"
	"\"flows\": ["
	"  {\"name\": \"elephant\", \"count\": 1, \"share\": 0.8},"
	"  {\"count\": 100, \"share\": 0.15},"
	"  {\"name\": \"x\", \"count\": 3995, \"share\": 0.05}"
	"],"
	"\"rate_pps\": 1000000,"
	"\"duration_s\": 10.5,"
	"\"warmup_s\": 0,"
	"\"outer\": {\"src_mac\": \"02:aa:bb:cc:dd:ee\","
	"  \"dst_mac\": \"02:00:00:00:00:09\", \"src_ip\": \"10.0.0.2\","
	"  \"dst_ip\": \"10.0.0.1\", \"udp_port\": 4790},"
	"\"inner\": {\"src_mac\": \"02:11:22:33:44:55\","
	"  \"dst_mac\": \"02:66:77:88:99:AA\", \"src_ip\": \"192.168.1.1\","
	"  \"dst_ip\": \"192.168.2.1\", \"src_port\": 30000, \"dst_port\": 7},"
	"\"search\": {\"loss_pct\": [0, 0.1], \"trial_s\": 3, "
	"  \"precision_pct\": 0.5, \"max_trials\": 30.0, \"max_pps\": 14880952.5}"
	"}";

static void
test_full(void **state)
{
	struct gen_scenario sc;
	char err[128] = "untouched";

	(void)state;
	assert_int_equal(gen_test_parse(full, &sc, err, sizeof(err)), 0);
	assert_string_equal(sc.name, "elephant and mice");
	assert_int_equal(sc.encap, GEN_ENCAP_VXLAN);
	assert_int_equal(sc.sizes.n, 4);
	assert_int_equal(sc.sizes.seq[0], 64);
	assert_int_equal(sc.sizes.seq[1], 1518);
	assert_int_equal(sc.sizes.seq[2], 9000);
	assert_int_equal(sc.sizes.seq[3], 128);
	assert_false(sc.sizes.imix);
	assert_int_equal(sc.n_vnis, 4);
	assert_int_equal(sc.vnis[0], 100);
	assert_int_equal(sc.vnis[1], 200);
	assert_int_equal(sc.vnis[2], 16777215);
	assert_int_equal(sc.vnis[3], 0);
	assert_int_equal(sc.n_groups, 3);
	assert_string_equal(sc.groups[0].name, "elephant");
	assert_string_equal(sc.groups[1].name, "group1");
	assert_string_equal(sc.groups[2].name, "x");
	assert_int_equal(sc.groups[0].count, 1);
	assert_int_equal(sc.groups[1].count, 100);
	assert_int_equal(sc.groups[2].count, 3995);
	assert_int_equal(sc.groups[0].first, 0);
	assert_int_equal(sc.groups[1].first, 1);
	assert_int_equal(sc.groups[2].first, 101);
	assert_true(sc.groups[0].share == 0.8);
	assert_true(sc.groups[1].share == 0.15);
	assert_true(sc.groups[2].share == 0.05);
	assert_int_equal(sc.n_flows, 4096);
	assert_true(sc.rate_pps == 1e6);
	assert_true(sc.duration_s == 10.5);
	assert_true(sc.warmup_s == 0);
	assert_end(&sc.outer_src, "02:aa:bb:cc:dd:ee", "10.0.0.2", 0);
	assert_end(&sc.outer_dst, "02:00:00:00:00:09", "10.0.0.1", 4790);
	assert_end(&sc.inner_src, "02:11:22:33:44:55", "192.168.1.1", 30000);
	assert_end(&sc.inner_dst, "02:66:77:88:99:aa", "192.168.2.1", 7);
	assert_true(sc.search);
	assert_int_equal(sc.search_n_loss, 2);
	assert_true(sc.search_loss_pct[0] == 0);
	assert_true(sc.search_loss_pct[1] == 0.1);
	assert_true(sc.search_trial_s == 3);
	assert_true(sc.search_precision == 0.5);
	assert_int_equal(sc.search_max_trials, 30);
	assert_true(sc.search_max_pps == 14880952.5);
	/* Success leaves an empty message. */
	assert_string_equal(err, "");
}

static void
test_forms(void **state)
{
	static const uint16_t imix[] = {64, 64, 64, 64, 64, 64, 64, 594, 594, 594, 594, 1518};
	struct gen_scenario sc;
	char err[128];

	(void)state;
	assert_int_equal(gen_test_parse("{\"size\": \"imix\"}", &sc, err, sizeof(err)), 0);
	assert_true(sc.sizes.imix);
	assert_int_equal(sc.sizes.n, 12);
	assert_memory_equal(sc.sizes.seq, imix, sizeof(imix));

	assert_int_equal(gen_test_parse("{\"size\": 9000}", &sc, err, sizeof(err)), 0);
	assert_int_equal(sc.sizes.n, 1);
	assert_int_equal(sc.sizes.seq[0], 9000);
	assert_int_equal(gen_test_parse("{\"size\": 1518.0}", &sc, err, sizeof(err)), 0);
	assert_int_equal(sc.sizes.seq[0], 1518);
	assert_int_equal(
		gen_test_parse("{\"size\": [64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79]}", &sc,
			       err, sizeof(err)),
		0);
	assert_int_equal(sc.sizes.n, 16);
	assert_int_equal(sc.sizes.seq[15], 79);

	assert_int_equal(gen_test_parse("{\"encap\": \"plain\", \"search\": {\"loss_pct\": 2}}",
					&sc, err, sizeof(err)),
			 0);
	assert_int_equal(sc.encap, GEN_ENCAP_PLAIN);
	assert_int_equal(sc.search_n_loss, 1);
	assert_true(sc.search_loss_pct[0] == 2);
	assert_int_equal(
		gen_test_parse("{\"search\": {\"loss_pct\": [99.5]}}", &sc, err, sizeof(err)), 0);
	assert_int_equal(sc.search_n_loss, 1);
	assert_true(sc.search_loss_pct[0] == 99.5);

	/* Integers where reals are expected; bounds included. */
	assert_int_equal(gen_test_parse("{\"flows\": [{\"count\": 4096, \"share\": 1}], "
					"\"duration_s\": 3600, \"warmup_s\": 60, \"rate_pps\": 0}",
					&sc, err, sizeof(err)),
			 0);
	assert_int_equal(sc.n_flows, 4096);
	assert_true(sc.duration_s == 3600);
	/* Shares within 1e-6 of 1 in all. */
	assert_int_equal(gen_test_parse("{\"flows\": [{\"count\": 1, \"share\": 0.3333333},"
					"{\"count\": 1, \"share\": 0.3333333},"
					"{\"count\": 1, \"share\": 0.3333333}]}",
					&sc, err, sizeof(err)),
			 0);
	/* The last flow's source port is 65535. */
	assert_int_equal(gen_test_parse("{\"inner\": {\"src_port\": 65534},"
					"\"flows\": [{\"count\": 2, \"share\": 1}]}",
					&sc, err, sizeof(err)),
			 0);
}

/* An invalid scenario and the start of its message (the key path). */
struct bad {
	const char *json;
	const char *msg;
};

static const struct bad bad[] = {
	{"[]", "scenario: must be an object"},
	{"3", "scenario: "},
	{"{\"foo\": 1}", "foo: unknown key"},
	{"{\"Name\": \"x\"}", "Name: unknown key"},
	{"{\"a\\u0001b\\u00e9\": 1}", "a?b??: unknown key"},
	{"{\"outer\": {\"foo\": 1}}", "outer.foo: unknown key"},
	{"{\"outer\": {\"src_port\": 1}}", "outer.src_port: unknown key"},
	{"{\"inner\": {\"udp_port\": 1}}", "inner.udp_port: unknown key"},
	{"{\"search\": {\"loss\": 1}}", "search.loss: unknown key"},
	{"{\"flows\": [{\"count\": 1, \"share\": 1, \"weight\": 2}]}",
	 "flows[0].weight: unknown key"},
	/* name */
	{"{\"name\": \"\"}", "name: must be 1 to 63 bytes long"},
	{"{\"name\": "
	 "\"0123456789012345678901234567890123456789012345678901234567890123\"}",
	 "name: must be 1 to 63 bytes long"},
	{"{\"name\": 5}", "name: must be a string"},
	{"{\"name\": null}", "name: must be a string"},
	/* encap */
	{"{\"encap\": \"gre\"}", "encap: must be \"vxlan\" or \"plain\""},
	{"{\"encap\": \"VXLAN\"}", "encap: "},
	{"{\"encap\": 1}", "encap: "},
	/* size */
	{"{\"size\": 63}", "size: must be an integer >= 64 and <= 9000"},
	{"{\"size\": 9001}", "size: must be an integer >= 64 and <= 9000"},
	{"{\"size\": -64}", "size: must be an integer >= 64 and <= 9000"},
	{"{\"size\": 64.5}", "size: must be an integer, not 64.5"},
	{"{\"size\": \"IMIX\"}", "size: must be an integer, an array of integers or \"imix\""},
	{"{\"size\": true}", "size: "},
	{"{\"size\": []}", "size: must have 1 to 16 elements, not 0"},
	{"{\"size\": [64,64,64,64,64,64,64,64,64,64,64,64,64,64,64,64,64]}",
	 "size: must have 1 to 16 elements, not 17"},
	{"{\"size\": [64, 10]}", "size[1]: must be an integer >= 64"},
	{"{\"size\": [64, \"imix\"]}", "size[1]: must be an integer"},
	/* vnis */
	{"{\"vnis\": []}", "vnis: must have 1 to 64 elements"},
	{"{\"vnis\": 100}", "vnis: must be an array"},
	{"{\"vnis\": [16777216]}", "vnis[0]: must be an integer >= 0 and <= 16777215"},
	{"{\"vnis\": [-1]}", "vnis[0]: "},
	{"{\"vnis\": [1, 2, 1]}", "vnis[2]: 1 is already vnis[0]"},
	{"{\"vnis\": [1.5]}", "vnis[0]: must be an integer, not 1.5"},
	/* flows */
	{"{\"flows\": []}", "flows: must have 1 to 16 elements, not 0"},
	{"{\"flows\": {}}", "flows: must be an array"},
	{"{\"flows\": [1]}", "flows[0]: must be an object"},
	{"{\"flows\": [{\"share\": 1}]}", "flows[0].count: required"},
	{"{\"flows\": [{\"count\": 1}]}", "flows[0].share: required"},
	{"{\"flows\": [{\"count\": 0, \"share\": 1}]}", "flows[0].count: must be an integer >= 1"},
	{"{\"flows\": [{\"count\": 4097, \"share\": 1}]}", "flows[0].count: "},
	{"{\"flows\": [{\"count\": 1.5, \"share\": 1}]}", "flows[0].count: "},
	{"{\"flows\": [{\"count\": 1, \"share\": 0.5}, {\"count\": 1, \"share\": 0}]}",
	 "flows[1].share: must be > 0 and <= 1"},
	{"{\"flows\": [{\"count\": 1, \"share\": 1.5}]}", "flows[0].share: must be > 0 and <= 1"},
	{"{\"flows\": [{\"count\": 1, \"share\": \"1\"}]}", "flows[0].share: must be a number"},
	{"{\"flows\": [{\"count\": 1, \"share\": 0.5}, {\"count\": 1, \"share\": 0.4}]}",
	 "flows: the shares add up to 0.9, not 1"},
	{"{\"flows\": [{\"count\": 1, \"share\": 0.5}, {\"count\": 1, \"share\": 0.500002}]}",
	 "flows: the shares add up to"},
	{"{\"flows\": [{\"count\": 4096, \"share\": 0.5}, {\"count\": 1, \"share\": 0.5}]}",
	 "flows: 4097 flows in all, more than 4096"},
	{"{\"flows\": [{\"name\": \"\", \"count\": 1, \"share\": 1}]}",
	 "flows[0].name: must be 1 to 31 bytes long"},
	{"{\"flows\": [{\"name\": \"01234567890123456789012345678901\", \"count\": 1, "
	 "\"share\": 1}]}",
	 "flows[0].name: must be 1 to 31 bytes long"},
	{"{\"flows\": [{\"count\":1,\"share\":0.0625},{\"count\":1,\"share\":0.0625},"
	 "{\"count\":1,\"share\":0.0625},{\"count\":1,\"share\":0.0625},"
	 "{\"count\":1,\"share\":0.0625},{\"count\":1,\"share\":0.0625},"
	 "{\"count\":1,\"share\":0.0625},{\"count\":1,\"share\":0.0625},"
	 "{\"count\":1,\"share\":0.0625},{\"count\":1,\"share\":0.0625},"
	 "{\"count\":1,\"share\":0.0625},{\"count\":1,\"share\":0.0625},"
	 "{\"count\":1,\"share\":0.0625},{\"count\":1,\"share\":0.0625},"
	 "{\"count\":1,\"share\":0.0625},{\"count\":1,\"share\":0.0625},"
	 "{\"count\":1,\"share\":0.0625}]}",
	 "flows: must have 1 to 16 elements, not 17"},
	/* rate, duration, warmup */
	{"{\"rate_pps\": -1}", "rate_pps: must be >= 0"},
	{"{\"rate_pps\": \"fast\"}", "rate_pps: must be a number"},
	{"{\"duration_s\": 0}", "duration_s: must be > 0 and <= 3600"},
	{"{\"duration_s\": 3600.5}", "duration_s: must be > 0 and <= 3600"},
	{"{\"warmup_s\": -0.1}", "warmup_s: must be >= 0 and <= 60"},
	{"{\"warmup_s\": 61}", "warmup_s: must be >= 0 and <= 60"},
	/* outer, inner */
	{"{\"outer\": []}", "outer: must be an object"},
	{"{\"inner\": 1}", "inner: must be an object"},
	{"{\"outer\": {\"src_mac\": \"02:00:00:00:00\"}}", "outer.src_mac: must be a MAC address"},
	{"{\"outer\": {\"dst_mac\": \"02:00:00:00:00:0g\"}}", "outer.dst_mac: must be a MAC"},
	{"{\"inner\": {\"src_mac\": \"02-00-00-00-00-01\"}}", "inner.src_mac: must be a MAC"},
	{"{\"inner\": {\"dst_mac\": \"02:00:00:00:00:001\"}}", "inner.dst_mac: must be a MAC"},
	{"{\"inner\": {\"dst_mac\": 2}}", "inner.dst_mac: must be a MAC"},
	{"{\"outer\": {\"src_ip\": \"1.2.3\"}}", "outer.src_ip: must be an IPv4 address"},
	{"{\"outer\": {\"dst_ip\": \"256.1.1.1\"}}", "outer.dst_ip: must be an IPv4 address"},
	{"{\"inner\": {\"src_ip\": \"::1\"}}", "inner.src_ip: must be an IPv4 address"},
	{"{\"inner\": {\"dst_ip\": \"1.2.3.4 \"}}", "inner.dst_ip: must be an IPv4 address"},
	{"{\"outer\": {\"udp_port\": 0}}", "outer.udp_port: must be an integer >= 1 and <= 65535"},
	{"{\"outer\": {\"udp_port\": 65536}}", "outer.udp_port: must be an integer >= 1"},
	{"{\"outer\": {\"udp_port\": 4789.5}}", "outer.udp_port: must be an integer, not 4789.5"},
	{"{\"inner\": {\"src_port\": 0}}", "inner.src_port: must be an integer >= 1"},
	{"{\"inner\": {\"dst_port\": \"80\"}}", "inner.dst_port: must be an integer"},
	{"{\"inner\": {\"src_port\": 65535}, \"flows\": [{\"count\": 2, \"share\": 1}]}",
	 "inner.src_port: the 2 flows' source ports would reach 65536, beyond 65535"},
	/* search */
	{"{\"search\": 1}", "search: must be an object"},
	{"{\"search\": {\"loss_pct\": 100}}", "search.loss_pct: must be >= 0 and < 100"},
	{"{\"search\": {\"loss_pct\": -0.5}}", "search.loss_pct: must be >= 0 and < 100"},
	{"{\"search\": {\"loss_pct\": [0, 100]}}", "search.loss_pct[1]: must be >= 0 and < 100"},
	{"{\"search\": {\"loss_pct\": []}}", "search.loss_pct: must have 1 to 2 elements, not 0"},
	{"{\"search\": {\"loss_pct\": [1, 2, 3]}}", "search.loss_pct: must have 1 to 2 elements"},
	{"{\"search\": {\"loss_pct\": \"0\"}}", "search.loss_pct: must be a number or an array"},
	{"{\"search\": {\"trial_s\": 0}}", "search.trial_s: must be > 0 and <= 600"},
	{"{\"search\": {\"trial_s\": 601}}", "search.trial_s: must be > 0 and <= 600"},
	{"{\"search\": {\"precision_pct\": 0}}", "search.precision_pct: must be > 0 and <= 50"},
	{"{\"search\": {\"precision_pct\": 50.01}}", "search.precision_pct: "},
	{"{\"search\": {\"max_trials\": 0}}",
	 "search.max_trials: must be an integer >= 1 and <= 100"},
	{"{\"search\": {\"max_trials\": 101}}", "search.max_trials: "},
	{"{\"search\": {\"max_trials\": 2.5}}", "search.max_trials: must be an integer, not 2.5"},
	{"{\"search\": {\"max_pps\": -1}}", "search.max_pps: must be >= 0"},
	/* The first error in document order wins. */
	{"{\"size\": 64, \"zzz\": 1, \"vnis\": []}", "zzz: unknown key"},
};

static void
test_invalid(void **state)
{
	struct gen_scenario sc;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		memset(err, 'X', sizeof(err));
		rc = gen_test_parse(bad[i].json, &sc, err, sizeof(err));
		if (rc != -EINVAL || strncmp(err, bad[i].msg, strlen(bad[i].msg)) != 0) {
			print_error("%s: rc %d, message \"%.*s\", expected \"%s...\"\n",
				    bad[i].json, rc, (int)sizeof(err) - 1, err, bad[i].msg);
			fail();
		}
		assert_non_null(memchr(err, '\0', sizeof(err)));
		for (const char *c = err; *c != '\0'; c++)
			assert_true(*c >= 0x20 && *c < 0x7f);
	}
}

static void
test_messages(void **state)
{
	char key[200], json[300], err[256];
	struct gen_scenario sc;

	(void)state;
	/* A long unknown key is cut in the message. */
	memset(key, 'k', 100);
	key[100] = '\0';
	snprintf(json, sizeof(json), "{\"outer\": {\"%s\": 1}}", key);
	assert_int_equal(gen_test_parse(json, &sc, err, sizeof(err)), -EINVAL);
	assert_int_equal(strncmp(err, "outer.kkkk", 10), 0);
	assert_non_null(strstr(err, "...: unknown key"));
	assert_true(strlen(err) < 80);

	/* A key with NUL is not the key it starts like. */
	{
		json_t *root = json_object();

		assert_int_equal(json_object_setn_new(root, "size\0x", 6, json_integer(64)), 0);
		assert_int_equal(gen_scenario_parse(root, &sc, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, "size?x: unknown key");
		json_decref(root);
	}

	/* The message is cut to the buffer, always terminated. */
	memset(err, 'X', sizeof(err));
	assert_int_equal(gen_test_parse("{\"outer\": {\"foo\": 1}}", &sc, err, 8), -EINVAL);
	assert_string_equal(err, "outer.f");
	assert_int_equal(err[8], 'X');
	assert_int_equal(gen_test_parse("{\"outer\": {\"foo\": 1}}", &sc, err, 1), -EINVAL);
	assert_string_equal(err, "");
	assert_int_equal(gen_test_parse("{\"foo\": 1}", &sc, err, 4), -EINVAL);
	assert_string_equal(err, "foo");
	assert_int_equal(gen_test_parse("{\"foo\": 1}", &sc, err, 6), -EINVAL);
	assert_string_equal(err, "foo: ");
	assert_int_equal(gen_test_parse("{\"foo\": 1}", &sc, NULL, 0), -EINVAL);
	assert_int_equal(gen_test_parse("{\"foo\": 1}", &sc, err, 0), -EINVAL);
	assert_int_equal(gen_test_parse("{}", &sc, NULL, 0), 0);
}

int
gen_test_scenario(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults), cmocka_unit_test(test_full),
		cmocka_unit_test(test_forms),	 cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_messages),
	};

	return cmocka_run_group_tests_name("gen/scenario", tests, NULL, NULL);
}

/* ------------------------------------------------------------------------- */
/* Schedules.                                                                */

/* Frames per flow in one period of @p s; @p cnt has room for n_flows. */
static void
count_flows(const struct gen_sched *s, const struct gen_scenario *sc, uint32_t *cnt)
{
	memset(cnt, 0, sc->n_flows * sizeof(*cnt));
	for (uint32_t i = 0; i < s->n; i++) {
		assert_true(s->flow[i] < sc->n_flows);
		cnt[s->flow[i]]++;
	}
}

static void
two_groups(struct gen_scenario *sc, uint32_t mice)
{
	char json[256], err[128];

	snprintf(json, sizeof(json),
		 "{\"flows\": [{\"name\": \"elephant\", \"count\": 1, \"share\": 0.8},"
		 "{\"name\": \"mice\", \"count\": %u, \"share\": 0.2}]}",
		 mice);
	assert_int_equal(gen_test_parse(json, sc, err, sizeof(err)), 0);
}

static void
test_sched_shares(void **state)
{
	struct gen_scenario sc;
	struct gen_sched s = {0};
	uint32_t cnt[101], last = 0, gap = 0;

	(void)state;
	/* 1 elephant with 80 %, 100 mice with 20 %: 800 + 100 x 2 frames in 1000. */
	two_groups(&sc, 100);
	assert_int_equal(gen_sched_build(&s, &sc, 1000), 0);
	assert_int_equal(s.n, 1000);
	count_flows(&s, &sc, cnt);
	assert_int_equal(cnt[0], 800);
	for (int f = 1; f <= 100; f++)
		assert_int_equal(cnt[f], 2);
	/* Smooth: a mouse every 5 frames, never two in a row; the mice take turns. */
	for (uint32_t i = 0, m = 0; i < s.n; i++) {
		if (s.flow[i] == 0)
			continue;
		assert_int_equal(s.flow[i], 1 + m % 100);
		if (m > 0 && i - last > gap)
			gap = i - last;
		assert_true(m == 0 || i - last >= 2);
		last = i;
		m++;
	}
	assert_int_equal(gap, 5);
	gen_sched_free(&s);

	/*
	 * A period of 101: the elephant gets round(80.8) = 81 frames, the
	 * mice's round(20.2) = 20 are raised to 100, one per mouse, so the
	 * period is 181.
	 */
	assert_int_equal(gen_sched_build(&s, &sc, 101), 0);
	assert_int_equal(s.n, 81 + 100);
	count_flows(&s, &sc, cnt);
	assert_int_equal(cnt[0], 81);
	for (int f = 1; f <= 100; f++)
		assert_int_equal(cnt[f], 1);
	gen_sched_free(&s);

	/* Fewer frames than flows cannot give each flow one. */
	assert_int_equal(gen_sched_build(&s, &sc, 100), -EINVAL);
	assert_null(s.flow);
	assert_int_equal(s.n, 0);
	gen_sched_free(&s);

	/* 1 elephant and 1 mouse, period 5: 4 + 1. */
	two_groups(&sc, 1);
	assert_int_equal(gen_sched_build(&s, &sc, 5), 0);
	assert_int_equal(s.n, 5);
	count_flows(&s, &sc, cnt);
	assert_int_equal(cnt[0], 4);
	assert_int_equal(cnt[1], 1);
	gen_sched_free(&s);
	/* Period 2: round(1.6) = 2 and round(0.4) = 0, raised to 1. */
	assert_int_equal(gen_sched_build(&s, &sc, 2), 0);
	assert_int_equal(s.n, 3);
	count_flows(&s, &sc, cnt);
	assert_int_equal(cnt[0], 2);
	assert_int_equal(cnt[1], 1);
	gen_sched_free(&s);
	assert_int_equal(gen_sched_build(&s, &sc, 1), -EINVAL);
	assert_int_equal(gen_sched_build(&s, &sc, 0), -EINVAL);
}

/* Every flow of random scenarios sends, each group as often as its weight. */
static void
test_sched_every_flow(void **state)
{
	static uint32_t cnt[GEN_MAX_FLOWS];
	struct gen_scenario sc;
	struct gen_sched s;
	uint64_t r = 31;

	(void)state;
	for (int round = 0; round < 200; round++) {
		uint32_t ng = 1 + (uint32_t)(gen_test_rand(&r) % GEN_MAX_GROUPS), len, total = 0;
		double shares = 0;

		gen_scenario_defaults(&sc);
		sc.n_groups = ng;
		for (uint32_t g = 0; g < ng; g++) {
			sc.groups[g].count = 1 + (uint32_t)(gen_test_rand(&r) % 256);
			sc.groups[g].first = total;
			sc.groups[g].share = 1 + (double)(gen_test_rand(&r) % 1000);
			total += sc.groups[g].count;
			shares += sc.groups[g].share;
		}
		for (uint32_t g = 0; g < ng; g++)
			sc.groups[g].share /= shares;
		sc.n_flows = total;
		len = total + (uint32_t)(gen_test_rand(&r) % 5000);
		assert_int_equal(gen_sched_build(&s, &sc, len), 0);
		count_flows(&s, &sc, cnt);
		for (uint32_t g = 0; g < ng; g++) {
			const struct gen_group *gr = &sc.groups[g];
			uint32_t w = (uint32_t)(gr->share * len + 0.5), sum = 0;

			if (w < gr->count)
				w = gr->count;
			for (uint32_t f = gr->first; f < gr->first + gr->count; f++) {
				/* The flows of a group take turns: counts differ by at most 1. */
				assert_true(cnt[f] == w / gr->count || cnt[f] == w / gr->count + 1);
				assert_true(cnt[f] >= 1);
				sum += cnt[f];
			}
			assert_int_equal(sum, w);
		}
		gen_sched_free(&s);
	}
	/* Free is safe on a freed, a zeroed and a NULL schedule. */
	gen_sched_free(&s);
	memset(&s, 0, sizeof(s));
	gen_sched_free(&s);
	gen_sched_free(NULL);
}

int
gen_test_sched(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sched_shares),
		cmocka_unit_test(test_sched_every_flow),
	};

	return cmocka_run_group_tests_name("gen/sched", tests, NULL, NULL);
}
