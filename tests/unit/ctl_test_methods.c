/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Validation of every mflowd method (control/ctl_methods.c): for each
 * parameter of each method, values of the wrong type or out of range, and
 * each required parameter missing, are refused by the dispatcher with a
 * message naming the parameter, before the handler runs. The handlers are
 * called with a NULL dataplane here, so a bad value that reached one would
 * crash the test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctl_methods.h"
#include "ctl_rpc.h"
#include "ctl_test.h"

static struct ctl_ctx mctx;
static struct ctl_rpc *mrpc;

/* A valid value of a parameter, for filling the others. */
static json_t *
valid_value(const struct ctl_param *p)
{
	switch (p->type) {
	case CTL_P_INT:
		return json_integer(p->min);
	case CTL_P_BOOL:
		return json_false();
	case CTL_P_STRING:
		return json_string("x");
	case CTL_P_MAC:
		return json_string("02:00:00:00:00:01");
	case CTL_P_IP:
		return json_string("198.18.0.2");
	case CTL_P_ENUM:
		return json_string(p->choices[0]);
	case CTL_P_ARRAY:
		return json_pack("[s]", "true");
	default:
		return json_object();
	}
}

/* The method's required parameters, all valid. */
static json_t *
valid_params(const struct ctl_method *m)
{
	json_t *o = json_object();

	for (const struct ctl_param *p = m->params; p != NULL && p->name != NULL; p++)
		if (p->required)
			json_object_set_new(o, p->name, valid_value(p));
	return o;
}

/* Bad values for a parameter type; NULL-terminated, new references. */
static unsigned int
bad_values(const struct ctl_param *p, json_t **out)
{
	unsigned int n = 0;
	char big[8192];

	switch (p->type) {
	case CTL_P_INT:
		out[n++] = json_string("1");
		out[n++] = json_real(1.5);
		out[n++] = json_true();
		if (p->min > INT64_MIN)
			out[n++] = json_integer(p->min - 1);
		if (p->max < INT64_MAX)
			out[n++] = json_integer(p->max + 1);
		break;
	case CTL_P_BOOL:
		out[n++] = json_string("yes");
		out[n++] = json_integer(1);
		break;
	case CTL_P_STRING:
		out[n++] = json_integer(7);
		out[n++] = json_string("");
		if (p->max > 0 && p->max < (int64_t)sizeof(big)) {
			memset(big, 'a', (size_t)p->max + 1);
			big[p->max + 1] = '\0';
			out[n++] = json_string(big);
		}
		break;
	case CTL_P_MAC:
		out[n++] = json_string("02:00:00:00:00");
		out[n++] = json_string("02:00:00:00:00:zz");
		out[n++] = json_integer(2);
		break;
	case CTL_P_IP:
		out[n++] = json_string("198.18.0.x");
		out[n++] = json_string("198.18.0.2/24");
		out[n++] = json_integer(4);
		break;
	case CTL_P_ENUM:
		out[n++] = json_string("no-such-choice");
		out[n++] = json_integer(0);
		break;
	case CTL_P_ARRAY:
		out[n++] = json_string("true");
		out[n++] = json_array();
		out[n++] = json_pack("[s,i]", "true", 1);
		if (p->max > 0 && p->max < 100) {
			json_t *a = json_array();

			for (int64_t k = 0; k <= p->max; k++)
				json_array_append_new(a, json_string("x"));
			out[n++] = a;
		}
		break;
	default:
		out[n++] = json_string("{}");
		break;
	}
	out[n] = NULL;
	return n;
}

static void
test_every_method_has_help(void **state)
{
	unsigned int n = ctl_rpc_count(mrpc);

	(void)state;
	assert_true(n > 30);
	for (unsigned int i = 0; i < n; i++) {
		const struct ctl_method *m = ctl_rpc_at(mrpc, i);

		assert_non_null(m->help);
		assert_true(strlen(m->help) > 5);
		for (const struct ctl_param *p = m->params; p != NULL && p->name != NULL; p++) {
			assert_non_null(p->help);
			/* VNIs are 24 bits everywhere. */
			if (strcmp(p->name, "vni") == 0) {
				assert_int_equal(p->type, CTL_P_INT);
				assert_int_equal(p->min, 0);
				assert_int_equal(p->max, 16777215);
			}
		}
	}
}

static void
test_bad_values_refused(void **state)
{
	unsigned int n = ctl_rpc_count(mrpc), cases = 0;

	(void)state;
	for (unsigned int i = 0; i < n; i++) {
		const struct ctl_method *m = ctl_rpc_at(mrpc, i);

		for (const struct ctl_param *p = m->params; p != NULL && p->name != NULL; p++) {
			json_t *bad[8];
			unsigned int nb = bad_values(p, bad);

			for (unsigned int b = 0; b < nb; b++) {
				json_t *params = valid_params(m), *res = NULL;
				char err[256] = "";
				int rc;

				json_object_set_new(params, p->name, bad[b]);
				rc = ctl_rpc_call(mrpc, m->name, params, &res, err, sizeof(err));
				if (rc != -EINVAL || strstr(err, p->name) == NULL)
					fail_msg("%s %s=%s: rc %d, '%s'", m->name, p->name,
						 json_dumps(json_object_get(params, p->name),
							    JSON_ENCODE_ANY),
						 rc, err);
				assert_null(res);
				json_decref(params);
				cases++;
			}
		}
	}
	assert_true(cases > 100);
}

static void
test_missing_and_unknown_refused(void **state)
{
	unsigned int n = ctl_rpc_count(mrpc);

	(void)state;
	for (unsigned int i = 0; i < n; i++) {
		const struct ctl_method *m = ctl_rpc_at(mrpc, i);
		json_t *params = valid_params(m), *res = NULL;
		char err[256] = "";

		/* Each required parameter left out in turn. */
		for (const struct ctl_param *p = m->params; p != NULL && p->name != NULL; p++) {
			json_t *less;

			if (!p->required)
				continue;
			less = json_deep_copy(params);
			json_object_del(less, p->name);
			assert_int_equal(ctl_rpc_call(mrpc, m->name, less, &res, err, sizeof(err)),
					 -EINVAL);
			assert_non_null(strstr(err, p->name));
			json_decref(less);
		}
		/* A key no method knows. */
		json_object_set_new(params, "no_such_key", json_integer(1));
		assert_int_equal(ctl_rpc_call(mrpc, m->name, params, &res, err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "no_such_key"));
		assert_null(res);
		json_decref(params);
	}
}

static int
setup(void **state)
{
	(void)state;
	memset(&mctx, 0, sizeof(mctx));
	pthread_mutex_init(&mctx.lock, NULL);
	mrpc = ctl_rpc_create(&mctx);
	if (mrpc == NULL || ctl_methods_register(mrpc) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ctl_rpc_destroy(mrpc);
	pthread_mutex_destroy(&mctx.lock);
	return 0;
}

int
ctl_test_methods(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_method_has_help),
		cmocka_unit_test(test_bad_values_refused),
		cmocka_unit_test(test_missing_and_unknown_refused),
	};

	return cmocka_run_group_tests_name("control methods", tests, setup, teardown);
}
