/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The method table and the JSON-RPC 2.0 dispatcher.
 *
 * The table is an array of method pointers in registration order, grown
 * with realloc(); lookups are linear, which is cheap for the few hundred
 * methods mflowd has and keeps "list" and "help" in registration order for
 * free. Every request goes through three steps: find the method, check the
 * parameters against its schema (ctl_rpc_check()), run the handler. The
 * JSON-RPC layer (ctl_rpc_handle()) only adds the envelope: parsing,
 * request validation, ids, batches and the error objects.
 *
 * Messages are one line and safe to print: text taken from a request is
 * quoted with control characters, quotes, backslashes and bytes outside
 * ASCII written as \xNN, and cut when long.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_errno.h"
#include "ctl_rpc.h"
#include "ctl_text_priv.h"
#include "vx.h"

/** Initial number of slots of the method table. */
#define RPC_INIT_SLOTS 32
/** Longest quoted user string in a message; longer ones end with "...". */
#define QUOTE_LEN 64
/** Room for a message built by the dispatcher. */
#define MSG_LEN 512
/** A list of valid parameter names is added to "unknown parameter" up to this length. */
#define VALID_LIST_LEN 160
/** Largest errno value; a handler's return below -RPC_ERRNO_MAX is taken as -EIO. */
#define RPC_ERRNO_MAX 4095

/** The method table. */
struct ctl_rpc {
	void *ctx;			   /**< Passed to handlers of registered methods. */
	const struct ctl_method **methods; /**< Registration order; borrowed entries. */
	unsigned int n;			   /**< Used slots. */
	unsigned int cap;		   /**< Allocated slots. */
};

static int builtin_list(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen);
static int builtin_help(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen);

static const struct ctl_param help_params[] = {
	{.name = "method",
	 .type = CTL_P_STRING,
	 .help = "Describe this method and its parameters instead of listing all methods"},
	{.name = NULL},
};

/*
 * The built-in methods. Their handlers receive the table itself as ctx
 * (see rpc_run()), not the context given to ctl_rpc_create().
 */
static const struct ctl_method builtins[] = {
	{
		.name = "list",
		.help = "List the names of all methods",
		.params = NULL,
		.handler = builtin_list,
		.flags = CTL_RPC_READ,
	},
	{
		.name = "help",
		.help = "Describe all methods, or one method with its parameters",
		.params = help_params,
		.handler = builtin_help,
		.flags = CTL_RPC_READ,
	},
	{.name = NULL},
};

/* ------------------------------------------------------------------------- */
/* Messages.                                                                 */

static void msgf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Write a message into @p err (which may be NULL). */
static void
msgf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/** Quote a string taken from a request (without the quotes themselves). */
static const char *
quote(const char *s, size_t len, char *buf, size_t buflen)
{
	return ctl_text_clean(s, len, true, QUOTE_LEN, buf, buflen);
}

/** Replace control characters in a handler's message so that it stays one line. */
static void
one_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/**
 * Describe a JSON value for a type error: "string 'x'", "integer 5",
 * "real 1.5", "boolean true", "null", "array", "object".
 *
 * @return
 *   @p buf.
 */
static const char *
describe(const json_t *v, char *buf, size_t len)
{
	return ctl_text_describe(v, QUOTE_LEN, QUOTE_LEN * 4 + 8, false, buf, len);
}

/** Append ", name" (or "name" first) to @p buf at @p *o; false if it does not fit. */
static bool
join_one(char *buf, size_t len, size_t *o, const char *name)
{
	int n = snprintf(buf + *o, len - *o, "%s%s", *o > 0 ? ", " : "", name);

	if (n < 0 || (size_t)n >= len - *o)
		return false;
	*o += (size_t)n;
	return true;
}

/** Write the names of a schema as "a, b, c"; false if they do not fit. */
static bool
join_params(const struct ctl_param *params, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (const struct ctl_param *p = params; p->name != NULL; p++)
		if (!join_one(buf, len, &o, p->name))
			return false;
	return true;
}

/** Write the choices of an enum as "a, b, c"; false if they do not fit. */
static bool
join_choices(const char *const *choices, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (const char *const *c = choices; *c != NULL; c++)
		if (!join_one(buf, len, &o, *c))
			return false;
	return true;
}

/**
 * Make a JSON string of a message, escaping it first if it is not valid
 * UTF-8 (a handler may quote raw bytes).
 *
 * @return
 *   A new reference, or NULL.
 */
static json_t *
msg_string(const char *msg)
{
	char buf[MSG_LEN * 4];
	json_t *s;

	s = json_string(msg);
	if (s != NULL)
		return s;
	return json_string(ctl_text_clean(msg, strlen(msg), false, MSG_LEN, buf, sizeof(buf)));
}

/* ------------------------------------------------------------------------- */
/* The table.                                                                */

struct ctl_rpc *
ctl_rpc_create(void *ctx)
{
	struct ctl_rpc *rpc;

	rpc = calloc(1, sizeof(*rpc));
	if (rpc == NULL)
		goto out_nomem;
	rpc->ctx = ctx;
	rpc->methods = calloc(RPC_INIT_SLOTS, sizeof(rpc->methods[0]));
	if (rpc->methods == NULL)
		goto out_free_rpc;
	rpc->cap = RPC_INIT_SLOTS;
	if (ctl_rpc_register_all(rpc, builtins) != 0)
		goto out_free_methods;
	return rpc;

out_free_methods:
	free(rpc->methods);
out_free_rpc:
	free(rpc);
out_nomem:
	errno = ENOMEM;
	return NULL;
}

void
ctl_rpc_destroy(struct ctl_rpc *rpc)
{
	if (rpc == NULL)
		return;
	free(rpc->methods);
	free(rpc);
}

/** @return true if a method's parameter schema is well formed. */
static bool
params_valid(const struct ctl_param *params)
{
	if (params == NULL)
		return true;
	for (const struct ctl_param *p = params; p->name != NULL; p++) {
		if (p->name[0] == '\0')
			return false;
		for (const struct ctl_param *q = params; q < p; q++)
			if (strcmp(q->name, p->name) == 0)
				return false;
		switch (p->type) {
		case CTL_P_INT:
			if (p->min > p->max)
				return false;
			break;
		case CTL_P_STRING:
			if (p->max < 0)
				return false;
			break;
		case CTL_P_ENUM:
			if (p->choices == NULL || p->choices[0] == NULL)
				return false;
			for (const char *const *c = p->choices; *c != NULL; c++)
				if ((*c)[0] == '\0')
					return false;
			break;
		case CTL_P_ARRAY:
			if (p->max < 0)
				return false;
			break;
		case CTL_P_BOOL:
		case CTL_P_MAC:
		case CTL_P_IP:
		case CTL_P_OBJECT:
			break;
		default:
			return false;
		}
	}
	return true;
}

int
ctl_rpc_register(struct ctl_rpc *rpc, const struct ctl_method *m)
{
	const struct ctl_method **grown;
	unsigned int cap;

	if (rpc == NULL || m == NULL || m->name == NULL || m->name[0] == '\0' ||
	    m->handler == NULL || (m->flags & ~CTL_RPC_READ) != 0 || !params_valid(m->params))
		return -EINVAL;
	if (ctl_rpc_find(rpc, m->name) != NULL)
		return -EEXIST;
	if (rpc->n == rpc->cap) {
		cap = rpc->cap * 2;
		grown = realloc(rpc->methods, cap * sizeof(rpc->methods[0]));
		if (grown == NULL)
			return -ENOMEM;
		rpc->methods = grown;
		rpc->cap = cap;
	}
	rpc->methods[rpc->n++] = m;
	return 0;
}

int
ctl_rpc_register_all(struct ctl_rpc *rpc, const struct ctl_method *m)
{
	int ret;

	if (m == NULL)
		return -EINVAL;
	for (; m->name != NULL; m++) {
		ret = ctl_rpc_register(rpc, m);
		if (ret != 0)
			return ret;
	}
	return 0;
}

const struct ctl_method *
ctl_rpc_find(const struct ctl_rpc *rpc, const char *name)
{
	if (rpc == NULL || name == NULL)
		return NULL;
	for (unsigned int i = 0; i < rpc->n; i++)
		if (strcmp(rpc->methods[i]->name, name) == 0)
			return rpc->methods[i];
	return NULL;
}

unsigned int
ctl_rpc_count(const struct ctl_rpc *rpc)
{
	return rpc == NULL ? 0 : rpc->n;
}

const struct ctl_method *
ctl_rpc_at(const struct ctl_rpc *rpc, unsigned int i)
{
	if (rpc == NULL || i >= rpc->n)
		return NULL;
	return rpc->methods[i];
}

/* ------------------------------------------------------------------------- */
/* Parameter checks.                                                         */

/** @return the schema entry called @p key (of @p keylen bytes), or NULL. */
static const struct ctl_param *
param_find(const struct ctl_param *params, const char *key, size_t keylen)
{
	if (params == NULL)
		return NULL;
	for (const struct ctl_param *p = params; p->name != NULL; p++)
		if (strlen(p->name) == keylen && memcmp(p->name, key, keylen) == 0)
			return p;
	return NULL;
}

/** Report a key that is not in the schema, listing the valid ones when the list is short. */
static int
unknown_param(const struct ctl_method *m, const char *key, size_t keylen, char *err, size_t errlen)
{
	char q[QUOTE_LEN * 4 + 8], valid[VALID_LIST_LEN];

	quote(key, keylen, q, sizeof(q));
	if (m->params == NULL || m->params[0].name == NULL)
		msgf(err, errlen, "unknown parameter '%s' (%s takes no parameters)", q, m->name);
	else if (join_params(m->params, valid, sizeof(valid)))
		msgf(err, errlen, "unknown parameter '%s' (valid: %s)", q, valid);
	else
		msgf(err, errlen, "unknown parameter '%s'", q);
	return -EINVAL;
}

/** Check a string parameter's common rules: a JSON string without NUL bytes. */
static int
check_string(const struct ctl_param *p, const json_t *v, const char *what, char *err, size_t errlen)
{
	char d[QUOTE_LEN * 4 + 32];

	if (!json_is_string(v)) {
		msgf(err, errlen, "%s: expected %s, got %s", p->name, what,
		     describe(v, d, sizeof(d)));
		return -EINVAL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		msgf(err, errlen, "%s: contains a NUL byte", p->name);
		return -EINVAL;
	}
	return 0;
}

/** Check one present, non-null value against its schema entry. */
static int
check_value(const struct ctl_param *p, const json_t *v, char *err, size_t errlen)
{
	char d[QUOTE_LEN * 4 + 32], q[QUOTE_LEN * 4 + 8], choices[VALID_LIST_LEN];
	struct rte_ether_addr mac;
	struct vx_ip ip;
	json_int_t iv;
	size_t len;
	int ret;

	switch (p->type) {
	case CTL_P_INT:
		if (!json_is_integer(v)) {
			msgf(err, errlen,
			     "%s: expected an integer in %" PRId64 "..%" PRId64 ", got %s", p->name,
			     p->min, p->max, describe(v, d, sizeof(d)));
			return -EINVAL;
		}
		iv = json_integer_value(v);
		if (iv < p->min || iv > p->max) {
			msgf(err, errlen,
			     "%s: expected an integer in %" PRId64 "..%" PRId64
			     ", got %" JSON_INTEGER_FORMAT,
			     p->name, p->min, p->max, iv);
			return -EINVAL;
		}
		return 0;
	case CTL_P_BOOL:
		if (!json_is_boolean(v)) {
			msgf(err, errlen, "%s: expected a boolean, got %s", p->name,
			     describe(v, d, sizeof(d)));
			return -EINVAL;
		}
		return 0;
	case CTL_P_STRING:
		ret = check_string(p, v, "a string", err, errlen);
		if (ret != 0)
			return ret;
		len = json_string_length(v);
		if (len == 0) {
			msgf(err, errlen, "%s: expected a non-empty string", p->name);
			return -EINVAL;
		}
		if (p->max > 0 && (uint64_t)len > (uint64_t)p->max) {
			msgf(err, errlen, "%s: expected at most %" PRId64 " bytes, got %zu",
			     p->name, p->max, len);
			return -EINVAL;
		}
		return 0;
	case CTL_P_MAC:
		ret = check_string(p, v, "a MAC address string", err, errlen);
		if (ret != 0)
			return ret;
		if (vx_mac_parse(json_string_value(v), &mac) != 0) {
			msgf(err, errlen, "%s: invalid MAC address '%s'", p->name,
			     quote(json_string_value(v), json_string_length(v), q, sizeof(q)));
			return -EINVAL;
		}
		return 0;
	case CTL_P_IP:
		ret = check_string(p, v, "an IP address string", err, errlen);
		if (ret != 0)
			return ret;
		if (vx_ip_parse(json_string_value(v), &ip) != 0) {
			msgf(err, errlen, "%s: invalid IP address '%s'", p->name,
			     quote(json_string_value(v), json_string_length(v), q, sizeof(q)));
			return -EINVAL;
		}
		return 0;
	case CTL_P_ENUM:
		if (!join_choices(p->choices, choices, sizeof(choices)))
			snprintf(choices, sizeof(choices), "the documented choices");
		if (json_is_string(v)) {
			for (const char *const *c = p->choices; *c != NULL; c++)
				if (strlen(*c) == json_string_length(v) &&
				    memcmp(*c, json_string_value(v), json_string_length(v)) == 0)
					return 0;
			msgf(err, errlen, "%s: expected one of %s, got '%s'", p->name, choices,
			     quote(json_string_value(v), json_string_length(v), q, sizeof(q)));
		} else {
			msgf(err, errlen, "%s: expected one of %s, got %s", p->name, choices,
			     describe(v, d, sizeof(d)));
		}
		return -EINVAL;
	case CTL_P_OBJECT:
		if (!json_is_object(v)) {
			msgf(err, errlen, "%s: expected an object, got %s", p->name,
			     describe(v, d, sizeof(d)));
			return -EINVAL;
		}
		return 0;
	case CTL_P_ARRAY: {
		size_t i;
		json_t *e;

		if (!json_is_array(v) || json_array_size(v) == 0 ||
		    (p->max > 0 && json_array_size(v) > (size_t)p->max)) {
			if (p->max > 0)
				msgf(err, errlen,
				     "%s: expected an array of 1..%" PRId64 " strings, got %s",
				     p->name, p->max, describe(v, d, sizeof(d)));
			else
				msgf(err, errlen,
				     "%s: expected a non-empty array of strings, got %s", p->name,
				     describe(v, d, sizeof(d)));
			return -EINVAL;
		}
		json_array_foreach (v, i, e)
			if (!json_is_string(e)) {
				msgf(err, errlen, "%s[%zu]: expected a string, got %s", p->name, i,
				     describe(e, d, sizeof(d)));
				return -EINVAL;
			}
		return 0;
	}
	default:
		msgf(err, errlen, "%s: bad parameter type %d", p->name, (int)p->type);
		return -EINVAL;
	}
}

int
ctl_rpc_check(const struct ctl_method *m, const json_t *params, char *err, size_t errlen)
{
	char d[QUOTE_LEN * 4 + 32];
	const char *key;
	size_t keylen;
	json_t *v;
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (m == NULL) {
		msgf(err, errlen, "no method");
		return -EINVAL;
	}
	if (params != NULL && !json_is_object(params)) {
		msgf(err, errlen, "params: expected an object, got %s",
		     describe(params, d, sizeof(d)));
		return -EINVAL;
	}
	/*
	 * Unknown keys first, in document order; a null value does not excuse
	 * a name the method does not have. The cast drops a const that
	 * jansson's iterator API lacks; nothing is modified.
	 */
	if (params != NULL) {
		json_object_keylen_foreach((json_t *)(uintptr_t)params, key, keylen, v)
		{
			if (param_find(m->params, key, keylen) == NULL)
				return unknown_param(m, key, keylen, err, errlen);
		}
	}
	if (m->params == NULL)
		return 0;
	/* Then each parameter in schema order. */
	for (const struct ctl_param *p = m->params; p->name != NULL; p++) {
		v = params != NULL ? json_object_get(params, p->name) : NULL;
		if (v == NULL || json_is_null(v)) {
			if (p->required) {
				msgf(err, errlen, "missing parameter '%s'", p->name);
				return -EINVAL;
			}
			continue;
		}
		ret = check_value(p, v, err, errlen);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Calls.                                                                    */

int
ctl_rpc_errno_code(int rc)
{
	/* Widened so that -INT_MIN does not overflow. */
	long e = rc < 0 ? -(long)rc : rc;

	if (rc == 0)
		return 0;
	switch (e) {
	case EINVAL:
		return CTL_RPC_INVALID_PARAMS;
	case ENOMEM:
		return CTL_RPC_INTERNAL;
	case ENOENT:
		return CTL_RPC_NOT_FOUND;
	case EEXIST:
		return CTL_RPC_EXISTS;
	case EBUSY:
		return CTL_RPC_BUSY;
	case ENOSPC:
		return CTL_RPC_NO_SPACE;
	case ENOTSUP: /* Also EOPNOTSUPP: the same value on Linux. */
		return CTL_RPC_NOT_SUPPORTED;
	case ETIMEDOUT:
	case EINPROGRESS:
		return CTL_RPC_TIMEOUT;
	case EPERM:
	case EACCES:
		return CTL_RPC_DENIED;
	case ENODEV:
		return CTL_RPC_NO_DEVICE;
	case E2BIG:
	case EMSGSIZE:
		return CTL_RPC_TOO_BIG;
	default:
		return CTL_RPC_FAILED;
	}
}

/**
 * Run a method whose parameters are already checked.
 *
 * @param params
 *   An object or NULL; borrowed.
 * @param result
 *   On success, receives a new reference.
 * @return
 *   0 or a negative errno value (never below -RPC_ERRNO_MAX).
 */
static int
rpc_run(struct ctl_rpc *rpc, const struct ctl_method *m, const json_t *params, json_t **result,
	char *err, size_t errlen)
{
	json_t *empty = NULL, *res = NULL;
	void *ctx = rpc->ctx;
	int ret;

	/* Built-ins read the table, so they get it as their context. */
	for (const struct ctl_method *b = builtins; b->name != NULL; b++)
		if (m == b)
			ctx = rpc;
	if (params == NULL) {
		empty = json_object();
		if (empty == NULL) {
			msgf(err, errlen, "%s", strerror(ENOMEM));
			return -ENOMEM;
		}
		params = empty;
	}
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	ret = m->handler(ctx, params, &res, err, errlen);
	json_decref(empty);
	if (ret >= 0) {
		*result = res != NULL ? res : json_null();
		return 0;
	}
	/* A failed handler's result, if any, is dropped. */
	json_decref(res);
	if (ret < -RPC_ERRNO_MAX)
		ret = -EIO;
	if (err != NULL && errlen > 0) {
		if (err[0] == '\0')
			msgf(err, errlen, "%s", strerror(-ret));
		else
			one_line(err);
	}
	return ret;
}

int
ctl_rpc_call(struct ctl_rpc *rpc, const char *method, const json_t *params, json_t **result,
	     char *err, size_t errlen)
{
	char q[QUOTE_LEN * 4 + 8];
	const struct ctl_method *m;
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (result == NULL)
		return -EINVAL;
	*result = NULL;
	if (rpc == NULL || method == NULL) {
		msgf(err, errlen, "%s", strerror(EINVAL));
		return -EINVAL;
	}
	m = ctl_rpc_find(rpc, method);
	if (m == NULL) {
		msgf(err, errlen, "unknown method '%s'",
		     quote(method, strlen(method), q, sizeof(q)));
		return -ENOENT;
	}
	ret = ctl_rpc_check(m, params, err, errlen);
	if (ret != 0)
		return ret;
	return rpc_run(rpc, m, params, result, err, errlen);
}

/* ------------------------------------------------------------------------- */
/* Built-in methods.                                                         */

static int
builtin_list(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	const struct ctl_rpc *rpc = ctx;
	json_t *names;

	(void)params;
	(void)err;
	(void)errlen;
	names = json_array();
	if (names == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < rpc->n; i++)
		if (json_array_append_new(names, json_string(rpc->methods[i]->name)) != 0)
			goto out_free;
	*result = names;
	return 0;

out_free:
	json_decref(names);
	return -ENOMEM;
}

/** @return the name of a parameter type in "help". */
static const char *
ptype_name(enum ctl_ptype t)
{
	switch (t) {
	case CTL_P_INT:
		return "integer";
	case CTL_P_BOOL:
		return "boolean";
	case CTL_P_STRING:
		return "string";
	case CTL_P_MAC:
		return "mac";
	case CTL_P_IP:
		return "ip";
	case CTL_P_ENUM:
		return "enum";
	case CTL_P_OBJECT:
		return "object";
	case CTL_P_ARRAY:
		return "array";
	}
	return "unknown";
}

/** @return a new {"method","help","read_only"} object for @p m, or NULL. */
static json_t *
method_summary(const struct ctl_method *m)
{
	return json_pack("{s:s, s:s, s:b}", "method", m->name, "help",
			 m->help != NULL ? m->help : "", "read_only",
			 (m->flags & CTL_RPC_READ) != 0);
}

/** @return a new object describing one parameter, or NULL. */
static json_t *
param_describe(const struct ctl_param *p)
{
	json_t *o, *choices;

	o = json_pack("{s:s, s:s, s:b, s:s}", "name", p->name, "type", ptype_name(p->type),
		      "required", p->required, "help", p->help != NULL ? p->help : "");
	if (o == NULL)
		return NULL;
	switch (p->type) {
	case CTL_P_INT:
		if (json_object_set_new(o, "min", json_integer(p->min)) != 0 ||
		    json_object_set_new(o, "max", json_integer(p->max)) != 0)
			goto out_free;
		break;
	case CTL_P_STRING:
		if (p->max > 0 && json_object_set_new(o, "max_length", json_integer(p->max)) != 0)
			goto out_free;
		break;
	case CTL_P_ENUM:
		choices = json_array();
		if (json_object_set_new(o, "choices", choices) != 0)
			goto out_free;
		for (const char *const *c = p->choices; *c != NULL; c++)
			if (json_array_append_new(choices, json_string(*c)) != 0)
				goto out_free;
		break;
	default:
		break;
	}
	return o;

out_free:
	json_decref(o);
	return NULL;
}

/** @return a new object describing @p m with its parameters, or NULL. */
static json_t *
method_describe(const struct ctl_method *m)
{
	json_t *o, *list;

	o = method_summary(m);
	if (o == NULL)
		return NULL;
	list = json_array();
	if (json_object_set_new(o, "params", list) != 0)
		goto out_free;
	for (const struct ctl_param *p = m->params; p != NULL && p->name != NULL; p++)
		if (json_array_append_new(list, param_describe(p)) != 0)
			goto out_free;
	return o;

out_free:
	json_decref(o);
	return NULL;
}

static int
builtin_help(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	const struct ctl_rpc *rpc = ctx;
	char q[QUOTE_LEN * 4 + 8];
	const struct ctl_method *m;
	const char *name;
	json_t *all;

	name = ctl_param_str(params, "method", NULL);
	if (name != NULL) {
		m = ctl_rpc_find(rpc, name);
		if (m == NULL) {
			msgf(err, errlen, "unknown method '%s'",
			     quote(name, strlen(name), q, sizeof(q)));
			return -ENOENT;
		}
		*result = method_describe(m);
		return *result != NULL ? 0 : -ENOMEM;
	}
	all = json_array();
	if (all == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < rpc->n; i++)
		if (json_array_append_new(all, method_summary(rpc->methods[i])) != 0)
			goto out_free;
	*result = all;
	return 0;

out_free:
	json_decref(all);
	return -ENOMEM;
}

/* ------------------------------------------------------------------------- */
/* JSON-RPC 2.0.                                                             */

/**
 * Build an error response.
 *
 * @param id
 *   The request's id, borrowed; NULL for null.
 * @param rc
 *   A handler's -errno to report as data, or 0 for no data.
 * @return
 *   A new reference, or NULL.
 */
static json_t *
error_response(json_t *id, int code, const char *msg, int rc)
{
	json_t *resp, *error, *data;
	const char *name;

	error = json_pack("{s:i, s:o}", "code", code, "message", msg_string(msg));
	if (error == NULL)
		return NULL;
	if (rc < 0) {
		name = ctl_errno_name(-rc);
		data = name != NULL ? json_pack("{s:s}", "errno", name)
				    : json_pack("{s:i}", "errno", -rc);
		if (json_object_set_new(error, "data", data) != 0)
			goto out_free_error;
	}
	/* "o" steals the error object, "O" takes a new reference to the id. */
	resp = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id != NULL ? id : json_null(),
			 "error", error);
	return resp;

out_free_error:
	json_decref(error);
	return NULL;
}

/**
 * Build a success response.
 *
 * @param id
 *   Borrowed.
 * @param result
 *   Stolen.
 * @return
 *   A new reference, or NULL.
 */
static json_t *
result_response(json_t *id, json_t *result)
{
	return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result", result);
}

/** @return true if @p id is a valid JSON-RPC id: a string, a number or null. */
static bool
id_valid(const json_t *id)
{
	return json_is_string(id) || json_is_number(id) || json_is_null(id);
}

/**
 * Handle one request object.
 *
 * @param req
 *   The request, borrowed; any JSON value.
 * @return
 *   A new reference to the response, or NULL for a notification (or no
 *   memory).
 */
static json_t *
handle_one(struct ctl_rpc *rpc, json_t *req)
{
	char err[MSG_LEN], q[QUOTE_LEN * 4 + 8];
	json_t *id, *jv, *method, *params, *result = NULL;
	const struct ctl_method *m;
	const char *key;
	size_t keylen;
	json_t *v;
	int ret;

	if (!json_is_object(req))
		return error_response(NULL, CTL_RPC_INVALID_REQUEST,
				      "invalid request: expected an object", 0);
	id = json_object_get(req, "id");
	if (id != NULL && !id_valid(id))
		return error_response(NULL, CTL_RPC_INVALID_REQUEST,
				      "invalid request: 'id' must be a string, a number or null",
				      0);
	/* From here on errors of the envelope carry the id, which is valid. */
	jv = json_object_get(req, "jsonrpc");
	if (!json_is_string(jv) || strcmp(json_string_value(jv), "2.0") != 0 ||
	    json_string_length(jv) != 3)
		return error_response(id, CTL_RPC_INVALID_REQUEST,
				      "invalid request: 'jsonrpc' must be '2.0'", 0);
	method = json_object_get(req, "method");
	if (!json_is_string(method))
		return error_response(id, CTL_RPC_INVALID_REQUEST,
				      "invalid request: 'method' must be a string", 0);
	json_object_keylen_foreach(req, key, keylen, v)
	{
		if ((keylen == 7 && memcmp(key, "jsonrpc", 7) == 0) ||
		    (keylen == 6 && memcmp(key, "method", 6) == 0) ||
		    (keylen == 6 && memcmp(key, "params", 6) == 0) ||
		    (keylen == 2 && memcmp(key, "id", 2) == 0))
			continue;
		snprintf(err, sizeof(err), "invalid request: unknown member '%s'",
			 quote(key, keylen, q, sizeof(q)));
		return error_response(id, CTL_RPC_INVALID_REQUEST, err, 0);
	}

	params = json_object_get(req, "params");
	if (json_is_null(params))
		params = NULL;
	if (json_is_array(params)) {
		ret = CTL_RPC_INVALID_PARAMS;
		snprintf(err, sizeof(err),
			 "invalid params: parameters by position are not supported, "
			 "pass an object");
		goto out_error;
	}
	if (params != NULL && !json_is_object(params)) {
		ret = CTL_RPC_INVALID_PARAMS;
		snprintf(err, sizeof(err), "invalid params: 'params' must be an object");
		goto out_error;
	}
	m = json_string_length(method) == strlen(json_string_value(method))
		    ? ctl_rpc_find(rpc, json_string_value(method))
		    : NULL;
	if (m == NULL) {
		ret = CTL_RPC_METHOD_NOT_FOUND;
		snprintf(
			err, sizeof(err), "unknown method '%s'",
			quote(json_string_value(method), json_string_length(method), q, sizeof(q)));
		goto out_error;
	}
	if (ctl_rpc_check(m, params, err, sizeof(err)) != 0) {
		ret = CTL_RPC_INVALID_PARAMS;
		goto out_error;
	}
	ret = rpc_run(rpc, m, params, &result, err, sizeof(err));
	if (ret != 0) {
		/* Handler errors: the code follows the errno, which goes in data. */
		if (id == NULL)
			return NULL;
		return error_response(id, ctl_rpc_errno_code(ret), err, ret);
	}
	if (id == NULL) {
		json_decref(result);
		return NULL;
	}
	return result_response(id, result);

out_error:
	/* A notification gets no answer, not even an error. */
	if (id == NULL)
		return NULL;
	return error_response(id, ret, err, 0);
}

/** Dump a response (stolen) as compact JSON text; NULL in, NULL out. */
static char *
dump(json_t *resp)
{
	char *text;

	if (resp == NULL)
		return NULL;
	text = json_dumps(resp, JSON_COMPACT);
	json_decref(resp);
	return text;
}

/** Handle a batch: an array of requests. @return a new reference or NULL. */
static json_t *
handle_batch(struct ctl_rpc *rpc, json_t *batch)
{
	char msg[MSG_LEN];
	json_t *out, *resp, *req;
	size_t i;

	if (json_array_size(batch) == 0)
		return error_response(NULL, CTL_RPC_INVALID_REQUEST, "invalid request: empty batch",
				      0);
	if (json_array_size(batch) > CTL_RPC_MAX_BATCH) {
		snprintf(msg, sizeof(msg), "batch too large: %zu requests, at most %d",
			 json_array_size(batch), CTL_RPC_MAX_BATCH);
		return error_response(NULL, CTL_RPC_INVALID_REQUEST, msg, 0);
	}
	out = json_array();
	if (out == NULL)
		return NULL;
	json_array_foreach (batch, i, req) {
		resp = handle_one(rpc, req);
		if (resp != NULL && json_array_append_new(out, resp) != 0)
			goto out_free;
	}
	if (json_array_size(out) == 0) {
		json_decref(out);
		return NULL;
	}
	return out;

out_free:
	json_decref(out);
	return NULL;
}

char *
ctl_rpc_handle(struct ctl_rpc *rpc, const char *buf, size_t len)
{
	char msg[MSG_LEN], text[MSG_LEN / 2];
	json_error_t jerr;
	json_t *doc, *resp;

	if (rpc == NULL || (buf == NULL && len > 0))
		return NULL;
	doc = json_loadb(buf != NULL ? buf : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
			 &jerr);
	if (doc == NULL) {
		/* jansson quotes the input near the error: keep it printable. */
		ctl_text_clean(jerr.text, strnlen(jerr.text, sizeof(jerr.text)), false,
			       sizeof(jerr.text), text, sizeof(text));
		snprintf(msg, sizeof(msg), "parse error: %s at line %d column %d", text, jerr.line,
			 jerr.column);
		return dump(error_response(NULL, CTL_RPC_PARSE_ERROR, msg, 0));
	}
	if (json_is_array(doc))
		resp = handle_batch(rpc, doc);
	else
		resp = handle_one(rpc, doc);
	json_decref(doc);
	return dump(resp);
}

/* ------------------------------------------------------------------------- */
/* Getters.                                                                  */

bool
ctl_param_has(const json_t *params, const char *name)
{
	const json_t *v = json_is_object(params) ? json_object_get(params, name) : NULL;

	return v != NULL && !json_is_null(v);
}

int64_t
ctl_param_int(const json_t *params, const char *name, int64_t def)
{
	const json_t *v = json_is_object(params) ? json_object_get(params, name) : NULL;

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

bool
ctl_param_bool(const json_t *params, const char *name, bool def)
{
	const json_t *v = json_is_object(params) ? json_object_get(params, name) : NULL;

	return json_is_boolean(v) ? json_is_true(v) : def;
}

const char *
ctl_param_str(const json_t *params, const char *name, const char *def)
{
	const json_t *v = json_is_object(params) ? json_object_get(params, name) : NULL;

	return json_is_string(v) ? json_string_value(v) : def;
}
