/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the JSON-RPC 2.0 dispatcher (control/ctl_rpc.c).
 *
 * A sample method table covers every parameter type. Each input goes
 * through two paths:
 *
 *   1. ctl_rpc_handle(), as the control socket and CoAP would feed it. The
 *      answer, when there is one, must be compact JSON on one line: an
 *      object or a non-empty array that jansson parses back.
 *   2. When the input is a JSON object, ctl_rpc_check() of it as params
 *      against every method's schema. A refusal must come with a message
 *      of printable ASCII only (user text is quoted with \xNN escapes).
 *
 * A broken property aborts with a message naming it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fz_modes[] = {"rtc", "pinned", "microflow", NULL};

/** Every parameter type, with bounds that the corpus and dictionary know. */
static const struct ctl_param fz_params[] = {
	{.name = "vni",
	 .type = CTL_P_INT,
	 .required = true,
	 .min = 0,
	 .max = 16777215,
	 .help = "VNI"},
	{.name = "enable", .type = CTL_P_BOOL, .help = "On or off"},
	{.name = "name", .type = CTL_P_STRING, .max = 15, .help = "Name"},
	{.name = "mac", .type = CTL_P_MAC, .help = "MAC"},
	{.name = "vtep", .type = CTL_P_IP, .help = "Remote VTEP"},
	{.name = "mode", .type = CTL_P_ENUM, .choices = fz_modes, .help = "Mode"},
	{.name = "opts", .type = CTL_P_OBJECT, .help = "Options"},
	{.name = NULL},
};

static const struct ctl_param fz_fail_params[] = {
	{.name = "rc", .type = CTL_P_INT, .min = -5000, .max = 5000, .help = "Return value"},
	{.name = "msg", .type = CTL_P_STRING, .help = "Message"},
	{.name = NULL},
};

/** Return a copy of the params (exercises the result path with any content). */
static int
fz_echo(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)ctx;
	(void)err;
	(void)errlen;
	*result = json_deep_copy(params);
	return *result != NULL ? 0 : -ENOMEM;
}

/** Return params.rc with params.msg, leaving a result behind on failure. */
static int
fz_fail(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	int rc = (int)ctl_param_int(params, "rc", -EINVAL);

	(void)ctx;
	if (ctl_param_has(params, "msg"))
		snprintf(err, errlen, "%s", ctl_param_str(params, "msg", ""));
	if (rc < 0)
		*result = json_string("dropped");
	return rc;
}

/** Succeed with no result. */
static int
fz_nothing(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)ctx;
	(void)params;
	(void)result;
	(void)err;
	(void)errlen;
	return 0;
}

static const struct ctl_method fz_methods[] = {
	{.name = "vni.add", .help = "Add", .params = fz_params, .handler = fz_echo},
	{.name = "vni.show",
	 .help = "Show",
	 .params = fz_params,
	 .handler = fz_echo,
	 .flags = CTL_RPC_READ},
	{.name = "t.fail", .help = "Fail", .params = fz_fail_params, .handler = fz_fail},
	{.name = "t.nothing", .help = "Nothing", .handler = fz_nothing},
	{.name = NULL},
};

static struct ctl_rpc *fz_rpc;

static void
fz_abort(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_rpc: %s: %s\n", what, text != NULL ? text : "(null)");
	abort();
}

/** Check the properties of an answer. */
static void
check_answer(const char *out)
{
	json_error_t jerr;
	json_t *v;

	if (strchr(out, '\n') != NULL)
		fz_abort("answer has a newline", out);
	v = json_loads(out, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL)
		fz_abort("answer is not JSON", out);
	if (!json_is_object(v) && !(json_is_array(v) && json_array_size(v) > 0))
		fz_abort("answer is neither an object nor a non-empty array", out);
	json_decref(v);
}

/**
 * @return true if the input needs an answer for sure: it is not JSON, not
 * an object or array, an empty array, or an object with an "id".
 */
static bool
answer_due(const uint8_t *data, size_t size)
{
	json_t *doc;
	bool due;

	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	if (doc == NULL)
		return true;
	if (json_is_object(doc))
		due = json_object_get(doc, "id") != NULL;
	else if (json_is_array(doc))
		due = json_array_size(doc) == 0;
	else
		due = true;
	json_decref(doc);
	return due;
}

/** Check ctl_rpc_check() messages for params taken from the input. */
static void
check_params(const uint8_t *data, size_t size)
{
	char err[256];
	json_t *params;

	params = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(params))
		goto out;
	for (unsigned int i = 0; i < ctl_rpc_count(fz_rpc); i++) {
		memset(err, 0x5a, sizeof(err));
		if (ctl_rpc_check(ctl_rpc_at(fz_rpc, i), params, err, sizeof(err)) == 0)
			continue;
		if (memchr(err, '\0', sizeof(err)) == NULL)
			fz_abort("message not terminated", ctl_rpc_at(fz_rpc, i)->name);
		if (err[0] == '\0')
			fz_abort("refused without a message", ctl_rpc_at(fz_rpc, i)->name);
		for (const char *p = err; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				fz_abort("message is not printable ASCII", err);
	}
out:
	json_decref(params);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out;

	if (fz_rpc == NULL) {
		fz_rpc = ctl_rpc_create(NULL);
		if (fz_rpc == NULL || ctl_rpc_register_all(fz_rpc, fz_methods) != 0)
			fz_abort("setup", "cannot build the method table");
	}
	out = ctl_rpc_handle(fz_rpc, (const char *)data, size);
	if (out != NULL)
		check_answer(out);
	else if (answer_due(data, size))
		fz_abort("no answer", "a request with an id, or an invalid message");
	free(out);
	check_params(data, size);
	return 0;
}
