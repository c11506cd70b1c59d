/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the method table and the JSON-RPC 2.0 dispatcher
 * (control/ctl_rpc.c).
 *
 * JSON texts are written with a backtick where JSON has a double quote, to
 * keep them readable next to messages that quote with single quotes;
 * bt() turns them into real JSON. Responses are compared as text, since
 * the dispatcher's compact output is deterministic.
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

#include "ctl_rpc.h"
#include "ctl_test.h"

/** What the test handlers record. */
struct trpc {
	struct ctl_rpc *rpc; /**< The table under test. */
	unsigned int calls;  /**< Handler calls. */
	void *seen_ctx;	     /**< The ctx the last handler got. */
	json_t *seen_params; /**< Copy of the params the last handler got; owned. */
};

/** The context given to ctl_rpc_create(); the handlers check they get it. */
static struct trpc *trpc_ctx;

static const char *const modes[] = {"rtc", "pinned", "microflow", NULL};

/** A schema with every parameter type. */
static const struct ctl_param all_params[] = {
	{.name = "vni",
	 .type = CTL_P_INT,
	 .required = true,
	 .min = 0,
	 .max = 16777215,
	 .help = "The VNI"},
	{.name = "enable", .type = CTL_P_BOOL, .help = "Turn it on"},
	{.name = "name", .type = CTL_P_STRING, .max = 8, .help = "A short name"},
	{.name = "mac", .type = CTL_P_MAC, .help = "A MAC address"},
	{.name = "ip", .type = CTL_P_IP, .help = "An address"},
	{.name = "mode", .type = CTL_P_ENUM, .choices = modes, .help = "The mode"},
	{.name = "opts", .type = CTL_P_OBJECT, .help = "Options"},
	{.name = NULL},
};

/** A schema too long to be listed in "unknown parameter". */
static const struct ctl_param many_params[] = {
	{.name = "a_long_parameter_name_01", .type = CTL_P_BOOL},
	{.name = "a_long_parameter_name_02", .type = CTL_P_BOOL},
	{.name = "a_long_parameter_name_03", .type = CTL_P_BOOL},
	{.name = "a_long_parameter_name_04", .type = CTL_P_BOOL},
	{.name = "a_long_parameter_name_05", .type = CTL_P_BOOL},
	{.name = "a_long_parameter_name_06", .type = CTL_P_BOOL},
	{.name = "a_long_parameter_name_07", .type = CTL_P_BOOL},
	{.name = "a_long_parameter_name_08", .type = CTL_P_BOOL},
	{.name = NULL},
};

static const struct ctl_param fail_params[] = {
	{.name = "rc", .type = CTL_P_INT, .required = true, .min = INT32_MIN, .max = INT32_MAX},
	{.name = "msg", .type = CTL_P_STRING},
	{.name = "leak", .type = CTL_P_BOOL, .help = "Set a result before failing"},
	{.name = NULL},
};

/** Record a call. */
static void
record(void *ctx, const json_t *params)
{
	struct trpc *t = ctx;

	assert_ptr_equal(ctx, trpc_ctx);
	t->calls++;
	t->seen_ctx = ctx;
	json_decref(t->seen_params);
	/* The dispatcher promises an object, even when the request had none. */
	assert_true(json_is_object(params));
	t->seen_params = json_deep_copy(params);
}

/** Return a copy of the params. */
static int
h_echo(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	record(ctx, params);
	*result = json_deep_copy(params);
	return 0;
}

/** Return params.rc with params.msg; with leak, set a result first. */
static int
h_fail(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	record(ctx, params);
	if (ctl_param_bool(params, "leak", false))
		*result = json_string("dropped");
	if (ctl_param_has(params, "msg"))
		snprintf(err, errlen, "%s", ctl_param_str(params, "msg", ""));
	return (int)ctl_param_int(params, "rc", 0);
}

/** Succeed without a result. */
static int
h_null(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)result;
	(void)err;
	(void)errlen;
	record(ctx, params);
	return 0;
}

/** Fail with a message that is not UTF-8 and has a newline. */
static int
h_bytes(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)result;
	record(ctx, params);
	snprintf(err, errlen, "bad \xff byte\nsecond line");
	return -EIO;
}

static const struct ctl_method test_methods[] = {
	{.name = "t.echo",
	 .help = "Echo the parameters",
	 .params = all_params,
	 .handler = h_echo,
	 .flags = CTL_RPC_READ},
	{.name = "t.fail", .help = "Fail on demand", .params = fail_params, .handler = h_fail},
	{.name = "t.null", .help = "Return nothing", .handler = h_null},
	{.name = "t.many", .help = "Many parameters", .params = many_params, .handler = h_echo},
	{.name = "t.bytes", .help = "Bad message", .handler = h_bytes},
	{.name = NULL},
};

/** Replace backticks by double quotes; the caller frees the copy. */
static char *
bt(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	for (char *p = d; *p != '\0'; p++)
		if (*p == '`')
			*p = '"';
	return d;
}

/** Parse a backtick JSON text; it must be valid. @return a new reference. */
static json_t *
js(const char *s)
{
	json_error_t jerr;
	char *text = bt(s);
	json_t *v;

	v = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		fail_msg("test JSON is invalid (%s): %s", jerr.text, text);
	free(text);
	return v;
}

/** Handle @p req (backtick JSON) and compare the response with @p want (NULL: none). */
static void
expect_handle(struct ctl_rpc *rpc, const char *req, const char *want)
{
	char *r = bt(req), *w = want != NULL ? bt(want) : NULL;
	char *got;

	got = ctl_rpc_handle(rpc, r, strlen(r));
	if (w == NULL && got != NULL)
		fail_msg("request %s: expected no response, got %s", r, got);
	if (w != NULL && got == NULL)
		fail_msg("request %s: expected %s, got no response", r, w);
	if (w != NULL && strcmp(got, w) != 0)
		fail_msg("request %s:\n  expected %s\n  got      %s", r, w, got);
	free(got);
	free(r);
	free(w);
}

static int
setup_rpc(void **state)
{
	struct trpc *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	trpc_ctx = t;
	t->rpc = ctl_rpc_create(t);
	if (t->rpc == NULL || ctl_rpc_register_all(t->rpc, test_methods) != 0) {
		ctl_rpc_destroy(t->rpc);
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int
teardown_rpc(void **state)
{
	struct trpc *t = *state;

	ctl_rpc_destroy(t->rpc);
	json_decref(t->seen_params);
	free(t);
	trpc_ctx = NULL;
	return 0;
}

/* ------------------------------------------------------------------------- */
/* The table.                                                                */

static void
test_builtins_first(void **state)
{
	struct ctl_rpc *rpc;

	(void)state;
	rpc = ctl_rpc_create(NULL);
	assert_non_null(rpc);
	assert_int_equal(ctl_rpc_count(rpc), 2);
	assert_string_equal(ctl_rpc_at(rpc, 0)->name, "list");
	assert_string_equal(ctl_rpc_at(rpc, 1)->name, "help");
	assert_null(ctl_rpc_at(rpc, 2));
	assert_ptr_equal(ctl_rpc_find(rpc, "help"), ctl_rpc_at(rpc, 1));
	assert_true((ctl_rpc_find(rpc, "list")->flags & CTL_RPC_READ) != 0);
	assert_null(ctl_rpc_find(rpc, "nope"));
	assert_null(ctl_rpc_find(rpc, NULL));
	ctl_rpc_destroy(rpc);

	ctl_rpc_destroy(NULL);
	assert_int_equal(ctl_rpc_count(NULL), 0);
	assert_null(ctl_rpc_at(NULL, 0));
	assert_null(ctl_rpc_find(NULL, "list"));
}

static void
test_register_order_growth(void **state)
{
	static char names[300][16];
	static struct ctl_method many[301];
	struct trpc *t = *state;
	unsigned int base = ctl_rpc_count(t->rpc);

	assert_int_equal(base, 2 + 5);
	for (unsigned int i = 0; i < 300; i++) {
		snprintf(names[i], sizeof(names[i]), "g%u.verb", i);
		many[i] = (struct ctl_method){.name = names[i], .handler = h_null};
	}
	many[300] = (struct ctl_method){.name = NULL};
	assert_int_equal(ctl_rpc_register_all(t->rpc, many), 0);
	assert_int_equal(ctl_rpc_count(t->rpc), base + 300);
	assert_string_equal(ctl_rpc_at(t->rpc, 2)->name, "t.echo");
	for (unsigned int i = 0; i < 300; i++) {
		assert_ptr_equal(ctl_rpc_at(t->rpc, base + i), &many[i]);
		assert_ptr_equal(ctl_rpc_find(t->rpc, names[i]), &many[i]);
	}
	/* The new methods are callable. */
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`g299.verb`,`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`result`:null}");
}

static void
test_register_errors(void **state)
{
	static const char *const no_choices[] = {NULL};
	static const char *const empty_choice[] = {"a", "", NULL};
	static const struct ctl_param dup[] = {{.name = "a", .type = CTL_P_BOOL},
					       {.name = "a", .type = CTL_P_INT},
					       {.name = NULL}};
	static const struct ctl_param enum_null[] = {{.name = "a", .type = CTL_P_ENUM},
						     {.name = NULL}};
	static const struct ctl_param enum_empty[] = {
		{.name = "a", .type = CTL_P_ENUM, .choices = no_choices}, {.name = NULL}};
	static const struct ctl_param enum_blank[] = {
		{.name = "a", .type = CTL_P_ENUM, .choices = empty_choice}, {.name = NULL}};
	static const struct ctl_param int_range[] = {
		{.name = "a", .type = CTL_P_INT, .min = 5, .max = 4}, {.name = NULL}};
	static const struct ctl_param str_neg[] = {{.name = "a", .type = CTL_P_STRING, .max = -1},
						   {.name = NULL}};
	static const struct ctl_param bad_type0[] = {{.name = "a", .type = 0}, {.name = NULL}};
	static const struct ctl_param bad_type99[] = {{.name = "a", .type = 99}, {.name = NULL}};
	static const struct ctl_param empty_name[] = {{.name = "", .type = CTL_P_BOOL},
						      {.name = NULL}};
	static const struct ctl_param int_point[] = {
		{.name = "a", .type = CTL_P_INT, .min = 4, .max = 4}, {.name = NULL}};
	static const struct ctl_method bad[] = {
		{.name = NULL, .handler = h_null},
		{.name = "", .handler = h_null},
		{.name = "x.nohandler"},
		{.name = "x.dup", .handler = h_null, .params = dup},
		{.name = "x.enum_null", .handler = h_null, .params = enum_null},
		{.name = "x.enum_empty", .handler = h_null, .params = enum_empty},
		{.name = "x.enum_blank", .handler = h_null, .params = enum_blank},
		{.name = "x.int_range", .handler = h_null, .params = int_range},
		{.name = "x.str_neg", .handler = h_null, .params = str_neg},
		{.name = "x.type0", .handler = h_null, .params = bad_type0},
		{.name = "x.type99", .handler = h_null, .params = bad_type99},
		{.name = "x.empty_name", .handler = h_null, .params = empty_name},
		{.name = "x.flags", .handler = h_null, .flags = 0x80},
	};
	static const struct ctl_method batch[] = {
		{.name = "y.first", .handler = h_null},
		{.name = "t.echo", .handler = h_null},
		{.name = "y.never", .handler = h_null},
		{.name = NULL},
	};
	static const struct ctl_method ok_point = {
		.name = "x.point", .handler = h_null, .params = int_point};
	static const struct ctl_method dup_list = {.name = "list", .handler = h_null};
	struct trpc *t = *state;
	unsigned int n = ctl_rpc_count(t->rpc);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ctl_rpc_register(t->rpc, &bad[i]) != -EINVAL)
			fail_msg("bad[%zu] (%s) was not refused with -EINVAL", i,
				 bad[i].name != NULL ? bad[i].name : "(null)");
	assert_int_equal(ctl_rpc_count(t->rpc), n);
	assert_int_equal(ctl_rpc_register(t->rpc, NULL), -EINVAL);
	assert_int_equal(ctl_rpc_register(NULL, &ok_point), -EINVAL);
	assert_int_equal(ctl_rpc_register_all(t->rpc, NULL), -EINVAL);

	assert_int_equal(ctl_rpc_register(t->rpc, &dup_list), -EEXIST);
	assert_int_equal(ctl_rpc_register(t->rpc, &test_methods[0]), -EEXIST);
	assert_int_equal(ctl_rpc_register(t->rpc, &ok_point), 0);
	assert_int_equal(ctl_rpc_count(t->rpc), n + 1);

	/* register_all stops at the first error; earlier entries stay. */
	assert_int_equal(ctl_rpc_register_all(t->rpc, batch), -EEXIST);
	assert_non_null(ctl_rpc_find(t->rpc, "y.first"));
	assert_null(ctl_rpc_find(t->rpc, "y.never"));
	assert_int_equal(ctl_rpc_count(t->rpc), n + 2);
}

/* ------------------------------------------------------------------------- */
/* Parameter checks.                                                         */

/** One ctl_rpc_check() case: params (backtick JSON, NULL for none) and the message. */
struct check_case {
	const char *params;
	const char *err; /**< NULL: accepted. */
};

static const struct check_case check_cases[] = {
	/* Required and absent. */
	{NULL, "missing parameter 'vni'"},
	{"{}", "missing parameter 'vni'"},
	{"{`vni`:null}", "missing parameter 'vni'"},
	{"{`vni`:0}", NULL},
	{"{`vni`:16777215}", NULL},
	{"{`vni`:1,`enable`:null,`name`:null,`mac`:null,`ip`:null,`mode`:null,`opts`:null}", NULL},
	/* Integers. */
	{"{`vni`:16777216}", "vni: expected an integer in 0..16777215, got 16777216"},
	{"{`vni`:-1}", "vni: expected an integer in 0..16777215, got -1"},
	{"{`vni`:1.0}", "vni: expected an integer in 0..16777215, got real 1"},
	{"{`vni`:1.5}", "vni: expected an integer in 0..16777215, got real 1.5"},
	{"{`vni`:true}", "vni: expected an integer in 0..16777215, got boolean true"},
	{"{`vni`:`5`}", "vni: expected an integer in 0..16777215, got string '5'"},
	{"{`vni`:[1]}", "vni: expected an integer in 0..16777215, got array"},
	{"{`vni`:{}}", "vni: expected an integer in 0..16777215, got object"},
	/* Unknown keys, reported before anything else, even with a null value. */
	{"{`foo`:1}", "unknown parameter 'foo' (valid: vni, enable, name, mac, ip, mode, opts)"},
	{"{`vni`:1,`foo`:null}",
	 "unknown parameter 'foo' (valid: vni, enable, name, mac, ip, mode, opts)"},
	{"{`vni`:99999999,`a\\tb'`:1}",
	 "unknown parameter 'a\\x09b\\x27' (valid: vni, enable, name, mac, ip, mode, opts)"},
	{"{`VNI`:1}", "unknown parameter 'VNI' (valid: vni, enable, name, mac, ip, mode, opts)"},
	/* Booleans. */
	{"{`vni`:1,`enable`:false}", NULL},
	{"{`vni`:1,`enable`:1}", "enable: expected a boolean, got integer 1"},
	{"{`vni`:1,`enable`:`true`}", "enable: expected a boolean, got string 'true'"},
	/* Strings. */
	{"{`vni`:1,`name`:`12345678`}", NULL},
	{"{`vni`:1,`name`:`123456789`}", "name: expected at most 8 bytes, got 9"},
	{"{`vni`:1,`name`:``}", "name: expected a non-empty string"},
	{"{`vni`:1,`name`:5}", "name: expected a string, got integer 5"},
	{"{`vni`:1,`name`:null}", NULL},
	/* MAC addresses. */
	{"{`vni`:1,`mac`:`02:00:00:00:00:01`}", NULL},
	{"{`vni`:1,`mac`:`ff:ff:ff:ff:ff:ff`}", NULL},
	{"{`vni`:1,`mac`:`02:00`}", "mac: invalid MAC address '02:00'"},
	{"{`vni`:1,`mac`:`02:00:00:00:00:0g`}", "mac: invalid MAC address '02:00:00:00:00:0g'"},
	{"{`vni`:1,`mac`:``}", "mac: invalid MAC address ''"},
	{"{`vni`:1,`mac`:2}", "mac: expected a MAC address string, got integer 2"},
	{"{`vni`:1,`mac`:`a'b\\n\\\\\\u00e9`}",
	 "mac: invalid MAC address 'a\\x27b\\x0a\\x5c\\xc3\\xa9'"},
	/* IP addresses. */
	{"{`vni`:1,`ip`:`198.18.0.1`}", NULL},
	{"{`vni`:1,`ip`:`2001:db8::1`}", NULL},
	{"{`vni`:1,`ip`:`1.2.3`}", "ip: invalid IP address '1.2.3'"},
	{"{`vni`:1,`ip`:`198.18.0.1/24`}", "ip: invalid IP address '198.18.0.1/24'"},
	{"{`vni`:1,`ip`:false}", "ip: expected an IP address string, got boolean false"},
	/* Enums. */
	{"{`vni`:1,`mode`:`pinned`}", NULL},
	{"{`vni`:1,`mode`:`x`}", "mode: expected one of rtc, pinned, microflow, got 'x'"},
	{"{`vni`:1,`mode`:`RTC`}", "mode: expected one of rtc, pinned, microflow, got 'RTC'"},
	{"{`vni`:1,`mode`:1}", "mode: expected one of rtc, pinned, microflow, got integer 1"},
	/* Objects. */
	{"{`vni`:1,`opts`:{}}", NULL},
	{"{`vni`:1,`opts`:{`a`:[1,{`b`:null}]}}", NULL},
	{"{`vni`:1,`opts`:[]}", "opts: expected an object, got array"},
	{"{`vni`:1,`opts`:`{}`}", "opts: expected an object, got string '{}'"},
	/* The params themselves. */
	{"[1]", "params: expected an object, got array"},
	{"`x`", "params: expected an object, got string 'x'"},
	/* Schema order: the first bad parameter of the schema is named. */
	{"{`opts`:1,`enable`:2,`vni`:3}", "enable: expected a boolean, got integer 2"},
};

static void
test_check_messages(void **state)
{
	const struct ctl_method *m;
	struct trpc *t = *state;
	char err[256], *want;
	json_t *params;
	int ret;

	m = ctl_rpc_find(t->rpc, "t.echo");
	assert_non_null(m);
	for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		const struct check_case *c = &check_cases[i];

		params = c->params != NULL ? js(c->params) : NULL;
		memset(err, 'x', sizeof(err));
		ret = ctl_rpc_check(m, params, err, sizeof(err));
		if (c->err == NULL) {
			if (ret != 0)
				fail_msg("case %zu %s: refused: %s", i, c->params, err);
			assert_string_equal(err, "");
		} else {
			want = bt(c->err);
			if (ret != -EINVAL || strcmp(err, want) != 0)
				fail_msg("case %zu %s:\n  expected -EINVAL \"%s\"\n  got %d \"%s\"",
					 i, c->params, want, ret, err);
			free(want);
		}
		json_decref(params);
	}
}

/** Messages that need values JSON text cannot give, and odd arguments. */
static void
test_check_special(void **state)
{
	struct trpc *t = *state;
	const struct ctl_method *echo = ctl_rpc_find(t->rpc, "t.echo");
	char err[256], small[12], longmac[201];
	json_t *params;

	/* A string with a NUL byte. */
	params = js("{`vni`:1}");
	assert_int_equal(json_object_set_new(params, "name", json_stringn("ab\0c", 4)), 0);
	assert_int_equal(ctl_rpc_check(echo, params, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "name: contains a NUL byte");
	json_object_del(params, "name");
	assert_int_equal(json_object_set_new(params, "mac", json_stringn("02\0", 3)), 0);
	assert_int_equal(ctl_rpc_check(echo, params, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "mac: contains a NUL byte");
	json_object_del(params, "mac");
	assert_int_equal(json_object_set_new(params, "mode", json_stringn("rtc\0", 4)), 0);
	assert_int_equal(ctl_rpc_check(echo, params, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "mode: expected one of rtc, pinned, microflow, got 'rtc\\x00'");
	json_object_del(params, "mode");

	/* A key with a NUL byte is not the key before the NUL. */
	assert_int_equal(json_object_setn_new(params, "ip\0x", 4, json_string("1.1.1.1")), 0);
	assert_int_equal(ctl_rpc_check(echo, params, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown parameter 'ip\\x00x' (valid: vni, enable, name, mac, "
				 "ip, mode, opts)");
	json_decref(params);

	/* A long value is cut. */
	memset(longmac, 'a', sizeof(longmac) - 1);
	longmac[sizeof(longmac) - 1] = '\0';
	params = json_pack("{s:i, s:s}", "vni", 1, "mac", longmac);
	assert_int_equal(ctl_rpc_check(echo, params, err, sizeof(err)), -EINVAL);
	assert_int_equal(strncmp(err, "mac: invalid MAC address 'aaaa", 30), 0);
	assert_non_null(strstr(err, "a...'"));
	assert_true(strlen(err) < 100);

	/* A short buffer gets a cut, terminated message; no buffer is fine. */
	memset(small, 'x', sizeof(small));
	assert_int_equal(ctl_rpc_check(echo, params, small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "mac: invali");
	assert_int_equal(ctl_rpc_check(echo, params, NULL, 0), -EINVAL);
	json_decref(params);

	/* A schema too long to list. */
	params = js("{`zzz`:true}");
	assert_int_equal(ctl_rpc_check(ctl_rpc_find(t->rpc, "t.many"), params, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "unknown parameter 'zzz'");
	/* A method without parameters. */
	assert_int_equal(ctl_rpc_check(ctl_rpc_find(t->rpc, "t.null"), params, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "unknown parameter 'zzz' (t.null takes no parameters)");
	json_decref(params);
	params = js("{}");
	assert_int_equal(ctl_rpc_check(ctl_rpc_find(t->rpc, "t.null"), params, err, sizeof(err)),
			 0);
	assert_int_equal(ctl_rpc_check(ctl_rpc_find(t->rpc, "t.null"), NULL, err, sizeof(err)), 0);
	json_decref(params);

	/* Integer bounds at the extremes of int64. */
	params = js("{`rc`:-2147483649}");
	assert_int_equal(ctl_rpc_check(ctl_rpc_find(t->rpc, "t.fail"), params, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "rc: expected an integer in -2147483648..2147483647, "
				 "got -2147483649");
	json_decref(params);

	assert_int_equal(ctl_rpc_check(NULL, NULL, err, sizeof(err)), -EINVAL);
}

/* ------------------------------------------------------------------------- */
/* Calls.                                                                    */

static void
test_call(void **state)
{
	struct trpc *t = *state;
	json_t *params, *result;
	char err[256];

	/* Success: the handler gets the checked params and the table's context. */
	params = js("{`vni`:7,`mode`:`rtc`}");
	t->calls = 0;
	assert_int_equal(ctl_rpc_call(t->rpc, "t.echo", params, &result, err, sizeof(err)), 0);
	assert_int_equal(t->calls, 1);
	assert_ptr_equal(t->seen_ctx, t);
	assert_true(json_equal(result, params));
	json_decref(result);
	json_decref(params);

	/* No params: the handler sees an empty object. */
	assert_int_equal(ctl_rpc_call(t->rpc, "t.null", NULL, &result, err, sizeof(err)), 0);
	assert_int_equal(json_object_size(t->seen_params), 0);
	/* A handler that leaves the result NULL gives null. */
	assert_true(json_is_null(result));
	json_decref(result);

	/* Unknown method: the handler does not run. */
	t->calls = 0;
	result = json_true();
	assert_int_equal(ctl_rpc_call(t->rpc, "t.nope", NULL, &result, err, sizeof(err)), -ENOENT);
	assert_null(result);
	assert_string_equal(err, "unknown method 't.nope'");
	assert_int_equal(ctl_rpc_call(t->rpc, "t\n'", NULL, &result, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "unknown method 't\\x0a\\x27'");

	/* Bad params: the handler does not run. */
	params = js("{`vni`:-5}");
	assert_int_equal(ctl_rpc_call(t->rpc, "t.echo", params, &result, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "vni: expected an integer in 0..16777215, got -5");
	assert_null(result);
	assert_int_equal(t->calls, 0);
	json_decref(params);

	/* Handler errors: its message, or strerror() when it gives none. */
	params = js("{`rc`:-16,`msg`:`vni 7 is in use`}");
	assert_int_equal(ctl_rpc_call(t->rpc, "t.fail", params, &result, err, sizeof(err)), -EBUSY);
	assert_string_equal(err, "vni 7 is in use");
	assert_null(result);
	json_decref(params);
	params = js("{`rc`:-2}");
	assert_int_equal(ctl_rpc_call(t->rpc, "t.fail", params, &result, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "No such file or directory");
	json_decref(params);
	/* A result set by a failing handler is dropped (ASan checks the leak). */
	params = js("{`rc`:-12,`leak`:true}");
	assert_int_equal(ctl_rpc_call(t->rpc, "t.fail", params, &result, err, sizeof(err)),
			 -ENOMEM);
	assert_null(result);
	json_decref(params);
	/* A positive return is success. */
	params = js("{`rc`:3}");
	assert_int_equal(ctl_rpc_call(t->rpc, "t.fail", params, &result, err, sizeof(err)), 0);
	assert_true(json_is_null(result));
	json_decref(params);
	/* A return that is no errno becomes -EIO. */
	params = js("{`rc`:-2147483648}");
	assert_int_equal(ctl_rpc_call(t->rpc, "t.fail", params, &result, err, sizeof(err)), -EIO);
	assert_string_equal(err, "Input/output error");
	json_decref(params);
	/* A message with a newline is made one line. */
	params = js("{`rc`:-1,`msg`:`two\\nlines`}");
	assert_int_equal(ctl_rpc_call(t->rpc, "t.fail", params, &result, err, sizeof(err)), -EPERM);
	assert_string_equal(err, "two lines");
	json_decref(params);

	/* Odd arguments. */
	assert_int_equal(ctl_rpc_call(t->rpc, "list", NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(ctl_rpc_call(NULL, "list", NULL, &result, err, sizeof(err)), -EINVAL);
	assert_int_equal(ctl_rpc_call(t->rpc, NULL, NULL, &result, NULL, 0), -EINVAL);
	assert_int_equal(ctl_rpc_call(t->rpc, "t.nope", NULL, &result, NULL, 0), -ENOENT);
}

static void
test_errno_code(void **state)
{
	static const struct {
		int rc, code;
	} map[] = {
		{-EINVAL, CTL_RPC_INVALID_PARAMS},
		{-ENOMEM, CTL_RPC_INTERNAL},
		{-ENOENT, CTL_RPC_NOT_FOUND},
		{-EEXIST, CTL_RPC_EXISTS},
		{-EBUSY, CTL_RPC_BUSY},
		{-ENOSPC, CTL_RPC_NO_SPACE},
		{-ENOTSUP, CTL_RPC_NOT_SUPPORTED},
		{-EOPNOTSUPP, CTL_RPC_NOT_SUPPORTED},
		{-ETIMEDOUT, CTL_RPC_TIMEOUT},
		{-EINPROGRESS, CTL_RPC_TIMEOUT},
		{-EPERM, CTL_RPC_DENIED},
		{-EACCES, CTL_RPC_DENIED},
		{-ENODEV, CTL_RPC_NO_DEVICE},
		{-E2BIG, CTL_RPC_TOO_BIG},
		{-EMSGSIZE, CTL_RPC_TOO_BIG},
		{-EIO, CTL_RPC_FAILED},
		{-EAGAIN, CTL_RPC_FAILED},
		{-4000, CTL_RPC_FAILED},
		{ENOENT, CTL_RPC_NOT_FOUND},
		{INT32_MIN, CTL_RPC_FAILED},
		{0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (ctl_rpc_errno_code(map[i].rc) != map[i].code)
			fail_msg("rc %d: expected code %d, got %d", map[i].rc, map[i].code,
				 ctl_rpc_errno_code(map[i].rc));
}

/* ------------------------------------------------------------------------- */
/* JSON-RPC.                                                                 */

static void
test_handle_request(void **state)
{
	struct trpc *t = *state;

	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.echo`,`params`:{`vni`:5},`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`result`:{`vni`:5}}");
	/* Ids: strings, numbers and null are echoed. */
	expect_handle(t->rpc, "{`id`:`a-1`,`method`:`t.null`,`jsonrpc`:`2.0`}",
		      "{`jsonrpc`:`2.0`,`id`:`a-1`,`result`:null}");
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.null`,`id`:-2.5}",
		      "{`jsonrpc`:`2.0`,`id`:-2.5,`result`:null}");
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.null`,`id`:null}",
		      "{`jsonrpc`:`2.0`,`id`:null,`result`:null}");
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.null`,`id`:9007199254740993}",
		      "{`jsonrpc`:`2.0`,`id`:9007199254740993,`result`:null}");
	/* Null params are no params. */
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.null`,`params`:null,`id`:2}",
		      "{`jsonrpc`:`2.0`,`id`:2,`result`:null}");
	/* Whitespace around the request is fine; so is a result string with a newline. */
	expect_handle(t->rpc,
		      " \r\n\t{`jsonrpc`:`2.0`,`method`:`t.echo`,`params`:{`vni`:1,"
		      "`opts`:{`s`:`a\\nb`}},`id`:3} \n",
		      "{`jsonrpc`:`2.0`,`id`:3,`result`:{`vni`:1,`opts`:{`s`:`a\\nb`}}}");
	/* Text that is not NUL-terminated. */
	{
		static const char req[] = "{\"jsonrpc\":\"2.0\",\"method\":\"list\",\"id\":4}XYZ";
		char *got = ctl_rpc_handle(t->rpc, req, sizeof(req) - 4);

		assert_non_null(got);
		assert_int_equal(strncmp(got, "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":[", 34), 0);
		assert_null(strchr(got, '\n'));
		free(got);
	}
	assert_null(ctl_rpc_handle(NULL, "{}", 2));
	assert_null(ctl_rpc_handle(t->rpc, NULL, 2));
}

static void
test_handle_errors(void **state)
{
	struct trpc *t = *state;

	/* Parse errors. */
	expect_handle(t->rpc, "{`jsonrpc`:",
		      "{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32700,`message`:"
		      "`parse error: unexpected token near end of file at line 1 column 11`}}");
	expect_handle(t->rpc, "",
		      "{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32700,`message`:"
		      "`parse error: unexpected token near end of file at line 1 column 0`}}");
	expect_handle(t->rpc, "{`a`:1,\n`a`:2}",
		      "{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32700,`message`:"
		      "`parse error: duplicate object key near '\\\"a\\\"' at line 2 column 3`}}");
	expect_handle(t->rpc, "{} x",
		      "{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32700,`message`:"
		      "`parse error: end of file expected near 'x' at line 1 column 4`}}");
	/* Raw bytes near the error are escaped; so is a bad UTF-8 byte. */
	expect_handle(t->rpc, "`\xff`",
		      "{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32700,`message`:"
		      "`parse error: unable to decode byte 0xff near '\\\"' at line 1 column 1`}}");
	expect_handle(t->rpc, "{\x01}",
		      "{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32700,`message`:"
		      "`parse error: string or '}' expected near '\\\\x01' at line 1 column 2`}}");

	/* NUL bytes are refused by the parser. */
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`a\\u0000b`,`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32700,`message`:"
		      "`parse error: \\\\u0000 is not allowed without JSON_ALLOW_NUL near "
		      "'\\\"a\\\\u0000b\\\"' at line 1 column 36`}}");

	/* Not a request. */
	expect_handle(t->rpc, "5",
		      "{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32600,`message`:"
		      "`invalid request: expected an object`}}");
	expect_handle(t->rpc, "{`jsonrpc`:`1.0`,`method`:`list`,`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32600,`message`:"
		      "`invalid request: 'jsonrpc' must be '2.0'`}}");
	expect_handle(t->rpc, "{`method`:`list`,`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32600,`message`:"
		      "`invalid request: 'jsonrpc' must be '2.0'`}}");
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32600,`message`:"
		      "`invalid request: 'method' must be a string`}}");
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:1,`id`:`x`}",
		      "{`jsonrpc`:`2.0`,`id`:`x`,`error`:{`code`:-32600,`message`:"
		      "`invalid request: 'method' must be a string`}}");
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`list`,`id`:{}}",
		      "{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32600,`message`:"
		      "`invalid request: 'id' must be a string, a number or null`}}");
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`list`,`id`:true}",
		      "{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32600,`message`:"
		      "`invalid request: 'id' must be a string, a number or null`}}");
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`list`,`id`:1,`extra`:0}",
		      "{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32600,`message`:"
		      "`invalid request: unknown member 'extra'`}}");
	/* An invalid request without an id is still answered. */
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:1,`params`:`bar`}",
		      "{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32600,`message`:"
		      "`invalid request: 'method' must be a string`}}");

	/* Params. */
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.echo`,`params`:[1],`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32602,`message`:"
		      "`invalid params: parameters by position are not supported, "
		      "pass an object`}}");
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.echo`,`params`:5,`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32602,`message`:"
		      "`invalid params: 'params' must be an object`}}");
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.echo`,`params`:{`vni`:-1},`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32602,`message`:"
		      "`vni: expected an integer in 0..16777215, got -1`}}");

	/* Unknown method. */
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.nope`,`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32601,`message`:"
		      "`unknown method 't.nope'`}}");

	/* Handler errors carry the errno. */
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.fail`,`params`:{`rc`:-2},`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32001,`message`:"
		      "`No such file or directory`,`data`:{`errno`:`ENOENT`}}}");
	expect_handle(t->rpc,
		      "{`jsonrpc`:`2.0`,`method`:`t.fail`,`params`:{`rc`:-17,`msg`:`vni 5 exists`},"
		      "`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32002,`message`:"
		      "`vni 5 exists`,`data`:{`errno`:`EEXIST`}}}");
	expect_handle(t->rpc,
		      "{`jsonrpc`:`2.0`,`method`:`t.fail`,`params`:{`rc`:-22,`msg`:`bad`},`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32602,`message`:"
		      "`bad`,`data`:{`errno`:`EINVAL`}}}");
	expect_handle(t->rpc,
		      "{`jsonrpc`:`2.0`,`method`:`t.fail`,`params`:{`rc`:-12,`leak`:true},`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32603,`message`:"
		      "`Cannot allocate memory`,`data`:{`errno`:`ENOMEM`}}}");
	expect_handle(
		t->rpc,
		"{`jsonrpc`:`2.0`,`method`:`t.fail`,`params`:{`rc`:-4000,`msg`:`odd`},`id`:1}",
		"{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32000,`message`:"
		"`odd`,`data`:{`errno`:4000}}}");
	/* A message that is not UTF-8 is escaped rather than lost. */
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.bytes`,`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32000,`message`:"
		      "`bad \\\\xff byte second line`,`data`:{`errno`:`EIO`}}}");
}

static void
test_handle_notifications(void **state)
{
	struct trpc *t = *state;

	t->calls = 0;
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.echo`,`params`:{`vni`:1}}", NULL);
	assert_int_equal(t->calls, 1);
	/* Errors of a well-formed notification are not reported either. */
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.echo`,`params`:{`vni`:-1}}", NULL);
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.nope`}", NULL);
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.echo`,`params`:[]}", NULL);
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`t.fail`,`params`:{`rc`:-5}}", NULL);
	assert_int_equal(t->calls, 2);
}

static void
test_handle_batch(void **state)
{
	struct trpc *t = *state;
	size_t cap = 70 * 64 + 16, o;
	char *big;

	expect_handle(t->rpc,
		      "[{`jsonrpc`:`2.0`,`method`:`t.echo`,`params`:{`vni`:1},`id`:1},"
		      "{`jsonrpc`:`2.0`,`method`:`t.null`},"
		      "{`jsonrpc`:`2.0`,`method`:`t.nope`,`id`:`b`},"
		      "5,"
		      "{`jsonrpc`:`2.0`,`method`:`t.null`,`id`:3}]",
		      "[{`jsonrpc`:`2.0`,`id`:1,`result`:{`vni`:1}},"
		      "{`jsonrpc`:`2.0`,`id`:`b`,`error`:{`code`:-32601,`message`:"
		      "`unknown method 't.nope'`}},"
		      "{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32600,`message`:"
		      "`invalid request: expected an object`}},"
		      "{`jsonrpc`:`2.0`,`id`:3,`result`:null}]");
	/* Only notifications: nothing to answer. */
	t->calls = 0;
	expect_handle(t->rpc,
		      "[{`jsonrpc`:`2.0`,`method`:`t.null`},{`jsonrpc`:`2.0`,`method`:`t.null`}]",
		      NULL);
	assert_int_equal(t->calls, 2);
	expect_handle(t->rpc, "[]",
		      "{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32600,`message`:"
		      "`invalid request: empty batch`}}");
	expect_handle(t->rpc, "[1,2]",
		      "[{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32600,`message`:"
		      "`invalid request: expected an object`}},"
		      "{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32600,`message`:"
		      "`invalid request: expected an object`}}]");
	/* Batches do not nest. */
	expect_handle(t->rpc, "[[{`jsonrpc`:`2.0`,`method`:`t.null`,`id`:1}]]",
		      "[{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32600,`message`:"
		      "`invalid request: expected an object`}}]");

	/* CTL_RPC_MAX_BATCH requests are served, one more is refused whole. */
	big = malloc(cap);
	assert_non_null(big);
	for (int n = CTL_RPC_MAX_BATCH; n <= CTL_RPC_MAX_BATCH + 1; n++) {
		char *got;

		o = (size_t)snprintf(big, cap, "[");
		for (int i = 0; i < n; i++)
			o += (size_t)snprintf(
				big + o, cap - o,
				"%s{\"jsonrpc\":\"2.0\",\"method\":\"t.null\",\"id\":%d}",
				i > 0 ? "," : "", i);
		snprintf(big + o, cap - o, "]");
		t->calls = 0;
		got = ctl_rpc_handle(t->rpc, big, strlen(big));
		assert_non_null(got);
		if (n == CTL_RPC_MAX_BATCH) {
			json_t *v = json_loads(got, 0, NULL);

			assert_int_equal(json_array_size(v), CTL_RPC_MAX_BATCH);
			assert_int_equal(t->calls, CTL_RPC_MAX_BATCH);
			json_decref(v);
		} else {
			assert_string_equal(got,
					    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
					    "-32600,\"message\":\"batch too large: 65 requests, "
					    "at most 64\"}}");
			assert_int_equal(t->calls, 0);
		}
		free(got);
	}
	free(big);
}

/** Nesting deeper than jansson's limit is a parse error; within it, it works. */
static void
test_handle_deep(void **state)
{
	struct trpc *t = *state;
	json_t *req, *inner, *params;
	size_t depth = 5000;
	char *text, *got;

	text = malloc(depth * 2);
	assert_non_null(text);
	memset(text, '[', depth);
	memset(text + depth, ']', depth);
	got = ctl_rpc_handle(t->rpc, text, depth * 2);
	assert_non_null(got);
	assert_non_null(strstr(got, "\"code\":-32700"));
	assert_non_null(strstr(got, "maximum parsing depth"));
	free(got);
	free(text);

	/* 1000 nested objects inside an object parameter. */
	inner = json_object();
	for (int i = 0; i < 1000; i++)
		inner = json_pack("{s:o}", "a", inner);
	params = json_pack("{s:i, s:o}", "vni", 1, "opts", inner);
	req = json_pack("{s:s, s:s, s:i, s:o}", "jsonrpc", "2.0", "method", "t.echo", "id", 1,
			"params", params);
	assert_non_null(req);
	text = json_dumps(req, JSON_COMPACT);
	assert_non_null(text);
	got = ctl_rpc_handle(t->rpc, text, strlen(text));
	assert_non_null(got);
	assert_int_equal(strncmp(got, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"vni\":1,", 41),
			 0);
	free(got);
	free(text);
	json_decref(req);
}

/* ------------------------------------------------------------------------- */
/* Built-in methods.                                                         */

static void
test_builtin_list(void **state)
{
	struct trpc *t = *state;

	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`list`,`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`result`:[`list`,`help`,`t.echo`,`t.fail`,"
		      "`t.null`,`t.many`,`t.bytes`]}");
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`list`,`params`:{`x`:1},`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`error`:{`code`:-32602,`message`:"
		      "`unknown parameter 'x' (list takes no parameters)`}}");
}

static void
test_builtin_help(void **state)
{
	struct trpc *t = *state;

	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`help`,`id`:1}",
		      "{`jsonrpc`:`2.0`,`id`:1,`result`:["
		      "{`method`:`list`,`help`:`List the names of all methods`,`read_only`:true},"
		      "{`method`:`help`,`help`:`Describe all methods, or one method with its "
		      "parameters`,`read_only`:true},"
		      "{`method`:`t.echo`,`help`:`Echo the parameters`,`read_only`:true},"
		      "{`method`:`t.fail`,`help`:`Fail on demand`,`read_only`:false},"
		      "{`method`:`t.null`,`help`:`Return nothing`,`read_only`:false},"
		      "{`method`:`t.many`,`help`:`Many parameters`,`read_only`:false},"
		      "{`method`:`t.bytes`,`help`:`Bad message`,`read_only`:false}]}");
	expect_handle(t->rpc,
		      "{`jsonrpc`:`2.0`,`method`:`help`,`params`:{`method`:`t.echo`},`id`:2}",
		      "{`jsonrpc`:`2.0`,`id`:2,`result`:{`method`:`t.echo`,`help`:`Echo the "
		      "parameters`,`read_only`:true,`params`:["
		      "{`name`:`vni`,`type`:`integer`,`required`:true,`help`:`The VNI`,`min`:0,"
		      "`max`:16777215},"
		      "{`name`:`enable`,`type`:`boolean`,`required`:false,`help`:`Turn it on`},"
		      "{`name`:`name`,`type`:`string`,`required`:false,`help`:`A short name`,"
		      "`max_length`:8},"
		      "{`name`:`mac`,`type`:`mac`,`required`:false,`help`:`A MAC address`},"
		      "{`name`:`ip`,`type`:`ip`,`required`:false,`help`:`An address`},"
		      "{`name`:`mode`,`type`:`enum`,`required`:false,`help`:`The mode`,"
		      "`choices`:[`rtc`,`pinned`,`microflow`]},"
		      "{`name`:`opts`,`type`:`object`,`required`:false,`help`:`Options`}]}}");
	/* A method without parameters, and one whose help and string max are unset. */
	expect_handle(t->rpc,
		      "{`jsonrpc`:`2.0`,`method`:`help`,`params`:{`method`:`t.null`},`id`:3}",
		      "{`jsonrpc`:`2.0`,`id`:3,`result`:{`method`:`t.null`,`help`:`Return "
		      "nothing`,`read_only`:false,`params`:[]}}");
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`help`,`params`:{`method`:`help`},`id`:4}",
		      "{`jsonrpc`:`2.0`,`id`:4,`result`:{`method`:`help`,`help`:`Describe all "
		      "methods, or one method with its parameters`,`read_only`:true,`params`:["
		      "{`name`:`method`,`type`:`string`,`required`:false,`help`:`Describe this "
		      "method and its parameters instead of listing all methods`}]}}");
	expect_handle(t->rpc,
		      "{`jsonrpc`:`2.0`,`method`:`help`,`params`:{`method`:`t.fail`},`id`:5}",
		      "{`jsonrpc`:`2.0`,`id`:5,`result`:{`method`:`t.fail`,`help`:`Fail on "
		      "demand`,`read_only`:false,`params`:["
		      "{`name`:`rc`,`type`:`integer`,`required`:true,`help`:``,"
		      "`min`:-2147483648,`max`:2147483647},"
		      "{`name`:`msg`,`type`:`string`,`required`:false,`help`:``},"
		      "{`name`:`leak`,`type`:`boolean`,`required`:false,`help`:`Set a result "
		      "before failing`}]}}");
	expect_handle(t->rpc,
		      "{`jsonrpc`:`2.0`,`method`:`help`,`params`:{`method`:`t.nope`},`id`:6}",
		      "{`jsonrpc`:`2.0`,`id`:6,`error`:{`code`:-32001,`message`:"
		      "`unknown method 't.nope'`,`data`:{`errno`:`ENOENT`}}}");
	expect_handle(t->rpc, "{`jsonrpc`:`2.0`,`method`:`help`,`params`:{`method`:``},`id`:7}",
		      "{`jsonrpc`:`2.0`,`id`:7,`error`:{`code`:-32602,`message`:"
		      "`method: expected a non-empty string`}}");
}

/* ------------------------------------------------------------------------- */
/* Getters.                                                                  */

static void
test_getters(void **state)
{
	json_t *p = js("{`i`:-5,`b`:true,`s`:`x`,`n`:null,`r`:1.5}");

	(void)state;
	assert_true(ctl_param_has(p, "i"));
	assert_false(ctl_param_has(p, "n"));
	assert_false(ctl_param_has(p, "zz"));
	assert_false(ctl_param_has(NULL, "i"));
	assert_int_equal(ctl_param_int(p, "i", 7), -5);
	assert_int_equal(ctl_param_int(p, "n", 7), 7);
	assert_int_equal(ctl_param_int(p, "r", 7), 7);
	assert_int_equal(ctl_param_int(p, "zz", 7), 7);
	assert_int_equal(ctl_param_int(NULL, "i", 7), 7);
	assert_true(ctl_param_bool(p, "b", false));
	assert_false(ctl_param_bool(p, "zz", false));
	assert_true(ctl_param_bool(p, "n", true));
	assert_string_equal(ctl_param_str(p, "s", "d"), "x");
	assert_string_equal(ctl_param_str(p, "n", "d"), "d");
	assert_string_equal(ctl_param_str(p, "i", "d"), "d");
	assert_null(ctl_param_str(p, "zz", NULL));
	json_decref(p);
}

int
ctl_test_rpc(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtins_first),
		cmocka_unit_test_setup_teardown(test_register_order_growth, setup_rpc,
						teardown_rpc),
		cmocka_unit_test_setup_teardown(test_register_errors, setup_rpc, teardown_rpc),
		cmocka_unit_test_setup_teardown(test_check_messages, setup_rpc, teardown_rpc),
		cmocka_unit_test_setup_teardown(test_check_special, setup_rpc, teardown_rpc),
		cmocka_unit_test_setup_teardown(test_call, setup_rpc, teardown_rpc),
		cmocka_unit_test(test_errno_code),
		cmocka_unit_test_setup_teardown(test_handle_request, setup_rpc, teardown_rpc),
		cmocka_unit_test_setup_teardown(test_handle_errors, setup_rpc, teardown_rpc),
		cmocka_unit_test_setup_teardown(test_handle_notifications, setup_rpc, teardown_rpc),
		cmocka_unit_test_setup_teardown(test_handle_batch, setup_rpc, teardown_rpc),
		cmocka_unit_test_setup_teardown(test_handle_deep, setup_rpc, teardown_rpc),
		cmocka_unit_test_setup_teardown(test_builtin_list, setup_rpc, teardown_rpc),
		cmocka_unit_test_setup_teardown(test_builtin_help, setup_rpc, teardown_rpc),
		cmocka_unit_test(test_getters),
	};

	return cmocka_run_group_tests_name("control rpc", tests, NULL, NULL);
}
