/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mflowctl: the command-line client of mflowd, in the spirit of ovs-appctl
 * and vppctl.
 *
 * It speaks JSON-RPC 2.0 over mflowd's unix control socket, one compact
 * JSON message per line each way (see control/ctl_server.h). It knows no
 * method by heart: it asks the server for the method names ("list") and
 * for the parameter schema of the method it calls ("help" {"method": ...}),
 * maps the command line onto them, and renders the result generically from
 * its JSON shape. A method added to mflowd can therefore be used from the
 * command line without changing this file.
 *
 * It needs nothing but libc and jansson. One run uses one connection, and a
 * single deadline covers connecting and every answer. Reads are bounded (an
 * answer line may not exceed CTL_CLIENT_MAX_ANSWER bytes), writes never raise
 * SIGPIPE, and answers are matched to requests by id.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl_client.h"

/* The socket mflowd listens on unless told otherwise. */
#define MC_DEFAULT_SOCKET CTL_CLIENT_DEFAULT_SOCKET
/* The environment variable that overrides the default socket. */
#define MC_SOCKET_ENV "MFLOWCTL_SOCKET"
/* Seconds allowed for connecting and getting every answer. */
#define MC_DEFAULT_TIMEOUT 10.0
/* The longest --timeout accepted, in seconds. */
#define MC_MAX_TIMEOUT 1000000.0

/* Exit codes, documented in the usage text. */
enum mc_exit {
	MC_EXIT_OK = 0,	    /* Success. */
	MC_EXIT_SERVER = 1, /* The server returned an error. */
	MC_EXIT_USAGE = 2,  /* Bad command line, unknown command, bad value. */
	MC_EXIT_CONN = 3,   /* Cannot connect, connection lost, timeout, malformed answer. */
};

/* Command-line options. */
struct mc_opts {
	const char *socket; /* Socket path. */
	double timeout;	    /* Seconds for the whole exchange. */
	bool json;	    /* Print JSON instead of text. */
	bool quiet;	    /* Do not print "ok". */
};

/* One connection to the server, made at the first call. */
struct mc_client {
	const char *path;      /* Socket path. */
	double timeout;	       /* Seconds, for the whole exchange. */
	struct ctl_client *cl; /* The connection, or NULL before the first call. */
};

/* A growing, always NUL-terminated string. */
struct mc_buf {
	char *p;
	size_t len;
	size_t cap;
};

static const char mc_usage_text[] =
	"Usage: mflowctl [OPTIONS] COMMAND...\n"
	"\n"
	"Client of mflowd's control socket (JSON-RPC 2.0). The commands and their\n"
	"parameters are discovered from the running mflowd.\n"
	"\n"
	"Commands:\n"
	"  GROUP VERB [ARGS...]   Call the method GROUP.VERB, e.g. 'mflowctl vni add 5001'.\n"
	"  GROUP [NAME=VALUE...]  Call GROUP.show, e.g. 'mflowctl fdb' or 'mflowctl fdb "
	"vni=5001'.\n"
	"  METHOD [ARGS...]       Call a method by its name, e.g. 'mflowctl vni.add 5001'.\n"
	"  help [GROUP [VERB]]    List the commands, or show the parameters of the commands\n"
	"                         of GROUP or of one command.\n"
	"  raw METHOD [JSON]      Send METHOD with the JSON text as its params, unchecked.\n"
	"\n"
	"Arguments:\n"
	"  NAME=VALUE sets the parameter NAME. A bare VALUE fills the next parameter\n"
	"  not given by name, in the order 'mflowctl help GROUP VERB' shows. Values\n"
	"  are converted by the parameter's type: integer (decimal, or hex with 0x),\n"
	"  boolean (true/false, yes/no, on/off, 1/0), object (JSON text), array (JSON\n"
	"  text, or words separated by blanks); the other types are sent as strings.\n"
	"  A bare value that looks like NAME=VALUE (a name made of letters, digits\n"
	"  and '_' before its first '=') must be given with its parameter name, e.g.\n"
	"  devargs=iface=tap0. mflowd checks every value.\n"
	"\n"
	"Options (before the command):\n"
	"  -s, --socket PATH   The control socket (default: $" MC_SOCKET_ENV ", else\n"
	"                      " MC_DEFAULT_SOCKET ").\n"
	"  -j, --json          Print the result as JSON; on an error from mflowd, print\n"
	"                      the error object as JSON too.\n"
	"  -t, --timeout SEC   Give up after SEC seconds, connecting and waiting for\n"
	"                      every answer included (default 10).\n"
	"  -q, --quiet         Print nothing, instead of 'ok', when a command that\n"
	"                      changes something returns no data.\n"
	"  -h, --help          Print this help and exit.\n"
	"\n"
	"Output: a list of objects is printed as a table, an object as 'key: value'\n"
	"lines, a command that returns no data prints 'ok'. Errors go to stderr.\n"
	"\n"
	"Exit status:\n"
	"  0  success\n"
	"  1  mflowd returned an error\n"
	"  2  usage error: bad command line, unknown command or parameter, bad value\n"
	"  3  cannot connect, connection lost, timeout or malformed answer\n";

/* Print "mflowctl: " and a formatted line on stderr. */
static void mc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
mc_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("mflowctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Give up when memory runs out; a command-line tool has nothing to save. */
static void
mc_oom(void)
{
	mc_err("out of memory");
	exit(MC_EXIT_CONN);
}

/* Return @p v, or give up if it is NULL (a failed jansson allocation). */
static json_t *
mc_must(json_t *v)
{
	if (v == NULL)
		mc_oom();
	return v;
}

static char *
mc_strdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		mc_oom();
	return d;
}

static void *
mc_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		mc_oom();
	return p;
}

static void
mc_buf_init(struct mc_buf *b)
{
	b->cap = 128;
	b->len = 0;
	b->p = mc_calloc(1, b->cap);
}

static void
mc_buf_add(struct mc_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap;
		char *p;

		while (b->len + n + 1 > cap)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			mc_oom();
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
mc_buf_puts(struct mc_buf *b, const char *s)
{
	mc_buf_add(b, s, strlen(s));
}

static void
mc_buf_spaces(struct mc_buf *b, size_t n)
{
	while (n-- > 0)
		mc_buf_add(b, " ", 1);
}

static void mc_buf_printf(struct mc_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
mc_buf_printf(struct mc_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		mc_oom();
	mc_buf_add(b, s, (size_t)n);
	free(s);
}

/* Print the line in @p b without its trailing spaces, and empty it. */
static void
mc_buf_flush_line(struct mc_buf *b)
{
	while (b->len > 0 && b->p[b->len - 1] == ' ')
		b->len--;
	b->p[b->len] = '\0';
	puts(b->p);
	b->len = 0;
	b->p[0] = '\0';
}

/* Replace control characters by spaces so that the text stays on one line. */
static char *
mc_clean(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return s;
}

/* The display width we assume for @p s: its number of UTF-8 characters. */
static size_t
mc_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* The string member @p key of @p obj, or NULL. */
static const char *
mc_get_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Whether @p s is a parameter name: a letter or '_', then letters, digits or '_'. */
static bool
mc_is_name(const char *s, size_t n)
{
	if (n == 0 ||
	    !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < n; i++) {
		char ch = s[i];

		if (!(ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9')))
			return false;
	}
	return true;
}

/* The command words of a method: "vni.add" gives "vni add". Malloc'd. */
static char *
mc_command_words(const char *method)
{
	char *s = mc_strdup(method);
	char *dot = strchr(s, '.');

	if (dot != NULL)
		*dot = ' ';
	return s;
}

/*
 * Connection.
 */

/*
 * Call @p method with @p params (borrowed; NULL sends none). Returns
 * MC_EXIT_OK with *result set, MC_EXIT_SERVER with *error set (both new
 * references), or MC_EXIT_CONN after printing why. The first call connects
 * and starts the deadline that covers every answer.
 */
static int
mc_malformed(const char *what)
{
	mc_err("malformed answer from mflowd: %s", what);
	return MC_EXIT_CONN;
}

static int
mc_call(struct mc_client *c, const char *method, json_t *params, json_t **result, json_t **error)
{
	char err[512];
	int rc;

	if (c->cl == NULL) {
		*result = NULL;
		*error = NULL;
		rc = ctl_client_connect(c->path, (int)(c->timeout * 1000.0 + 0.999), &c->cl, err,
					sizeof(err));
		if (rc == -ENOMEM)
			mc_oom();
		if (rc < 0) {
			mc_err("%s", err);
			return MC_EXIT_CONN;
		}
	}
	rc = ctl_client_call(c->cl, method, params, result, error, err, sizeof(err));
	if (rc == -EREMOTEIO)
		return MC_EXIT_SERVER;
	if (rc == -ENOMEM)
		mc_oom();
	if (rc < 0) {
		mc_err("%s", err);
		return MC_EXIT_CONN;
	}
	return MC_EXIT_OK;
}

/* Print JSON the --json way: pretty, in the server's order. */
static void
mc_print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	if (s == NULL)
		mc_oom();
	puts(s);
	free(s);
}

/* Report an error object returned for @p method. */
static void
mc_server_error(const struct mc_opts *o, const char *method, const json_t *error)
{
	const char *msg = mc_get_str(error, "message");

	if (o->json)
		mc_print_json(error);
	if (msg != NULL) {
		char *m = mc_clean(mc_strdup(msg));

		mc_err("%s: %s", method, m);
		free(m);
	} else {
		mc_err("%s: error %" JSON_INTEGER_FORMAT, method,
		       json_integer_value(json_object_get(error, "code")));
	}
}

/* Call a method the CLI needs for itself ("list", "help"), reporting errors. */
static int
mc_call_checked(const struct mc_opts *o, struct mc_client *c, const char *method, json_t *params,
		json_t **result)
{
	json_t *error;
	int rc = mc_call(c, method, params, result, &error);

	if (rc == MC_EXIT_SERVER) {
		mc_server_error(o, method, error);
		json_decref(error);
	}
	return rc;
}

/* Fetch the method names. */
static int
mc_list(const struct mc_opts *o, struct mc_client *c, json_t **names)
{
	size_t i;
	json_t *v;
	int rc = mc_call_checked(o, c, "list", NULL, names);

	if (rc != 0)
		return rc;
	if (!json_is_array(*names))
		goto bad;
	json_array_foreach (*names, i, v) {
		if (!json_is_string(v))
			goto bad;
	}
	return 0;
bad:
	json_decref(*names);
	*names = NULL;
	return mc_malformed("'list' did not return an array of names");
}

/* Fetch the help of one method: {"method", "help", "read_only", "params"}. */
static int
mc_method_help(const struct mc_opts *o, struct mc_client *c, const char *method, json_t **help)
{
	json_t *params = mc_must(json_pack("{s:s}", "method", method));
	json_t *p;
	int rc = mc_call_checked(o, c, "help", params, help);

	json_decref(params);
	if (rc != 0)
		return rc;
	p = json_object_get(*help, "params");
	if (!json_is_object(*help) || (p != NULL && !json_is_array(p) && !json_is_null(p))) {
		json_decref(*help);
		*help = NULL;
		return mc_malformed("'help' did not return a method description");
	}
	return 0;
}

static bool
mc_has_method(const json_t *names, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach (names, i, v) {
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	}
	return false;
}

/* Whether some method is named "GROUP.something". */
static bool
mc_has_group(const json_t *names, const char *group)
{
	size_t n = strlen(group), i;
	json_t *v;

	json_array_foreach (names, i, v) {
		const char *s = json_string_value(v);

		if (strncmp(s, group, n) == 0 && s[n] == '.')
			return true;
	}
	return false;
}

static char *
mc_join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s.%s", a, b) < 0)
		mc_oom();
	return s;
}

/*
 * Map the command words onto a method name (malloc'd), setting *used to the
 * number of words consumed, or return NULL.
 */
static char *
mc_resolve(const json_t *names, int argc, char **argv, int *used)
{
	bool verb = argc >= 2 && strchr(argv[1], '=') == NULL;
	char *m;

	*used = 1;
	if (strchr(argv[0], '.') != NULL)
		return mc_has_method(names, argv[0]) ? mc_strdup(argv[0]) : NULL;
	if (verb) {
		m = mc_join(argv[0], argv[1]);
		if (mc_has_method(names, m)) {
			*used = 2;
			return m;
		}
		free(m);
	} else {
		m = mc_join(argv[0], "show");
		if (mc_has_method(names, m))
			return m;
		free(m);
	}
	if (mc_has_method(names, argv[0]))
		return mc_strdup(argv[0]);
	return NULL;
}

/* Report an unknown command, suggesting the help of its group when there is one. */
static int
mc_unknown_command(const json_t *names, int argc, char **argv)
{
	bool two = argc >= 2 && strchr(argv[0], '.') == NULL && strchr(argv[1], '=') == NULL;

	if (strchr(argv[0], '.') == NULL && mc_has_group(names, argv[0]))
		mc_err("unknown command '%s%s%s' (try 'mflowctl help %s')", argv[0], two ? " " : "",
		       two ? argv[1] : "", argv[0]);
	else
		mc_err("unknown command '%s%s%s' (try 'mflowctl help')", argv[0], two ? " " : "",
		       two ? argv[1] : "");
	return MC_EXIT_USAGE;
}

/*
 * Parameters.
 */

/* A description of a parameter's type, e.g. "integer 0..16777215". Malloc'd. */
static char *
mc_describe_type(const json_t *p)
{
	const char *type = mc_get_str(p, "type");
	const json_t *min = json_object_get(p, "min");
	const json_t *max = json_object_get(p, "max");
	const json_t *maxlen = json_object_get(p, "max_length");
	const json_t *choices = json_object_get(p, "choices");
	struct mc_buf b;

	mc_buf_init(&b);
	if (type == NULL) {
		mc_buf_puts(&b, "string");
	} else if (strcmp(type, "integer") == 0) {
		mc_buf_puts(&b, "integer");
		if (json_is_integer(min) && json_is_integer(max))
			mc_buf_printf(&b, " %" JSON_INTEGER_FORMAT "..%" JSON_INTEGER_FORMAT,
				      json_integer_value(min), json_integer_value(max));
		else if (json_is_integer(min))
			mc_buf_printf(&b, " >= %" JSON_INTEGER_FORMAT, json_integer_value(min));
		else if (json_is_integer(max))
			mc_buf_printf(&b, " <= %" JSON_INTEGER_FORMAT, json_integer_value(max));
	} else if (strcmp(type, "string") == 0) {
		mc_buf_puts(&b, "string");
		if (json_is_integer(maxlen) && json_integer_value(maxlen) > 0)
			mc_buf_printf(&b, " (max %" JSON_INTEGER_FORMAT " bytes)",
				      json_integer_value(maxlen));
	} else if (strcmp(type, "mac") == 0) {
		mc_buf_puts(&b, "MAC address");
	} else if (strcmp(type, "ip") == 0) {
		mc_buf_puts(&b, "IP address");
	} else if (strcmp(type, "object") == 0) {
		mc_buf_puts(&b, "JSON object");
	} else if (strcmp(type, "array") == 0) {
		mc_buf_puts(&b, "list of strings (JSON array, or words)");
	} else if (strcmp(type, "enum") == 0 && json_is_array(choices)) {
		size_t i;
		json_t *v;

		mc_buf_puts(&b, "one of ");
		json_array_foreach (choices, i, v) {
			if (i > 0)
				mc_buf_puts(&b, "|");
			mc_buf_puts(&b, json_is_string(v) ? json_string_value(v) : "?");
		}
	} else {
		mc_buf_puts(&b, type);
	}
	return mc_clean(b.p);
}

/* Parse a decimal or 0x hex integer with an optional sign, within int64. */
static bool
mc_parse_int(const char *s, int64_t *out)
{
	bool neg = false;
	unsigned int base = 10;
	uint64_t v = 0, limit;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return false;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *s != '\0'; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return false;
		if (v > (limit - d) / base)
			return false;
		v = v * base + d;
	}
	if (!neg)
		*out = (int64_t)v;
	else if (v == (uint64_t)INT64_MAX + 1)
		*out = INT64_MIN;
	else
		*out = -(int64_t)v;
	return true;
}

/* Parse a boolean word. */
static bool
mc_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Convert @p val by the type of parameter @p p, or report why not and return NULL. */
static json_t *
mc_convert(const char *method, const json_t *p, const char *val)
{
	const char *name = mc_get_str(p, "name");
	const char *type = mc_get_str(p, "type");
	const json_t *min = json_object_get(p, "min");
	const json_t *max = json_object_get(p, "max");
	json_t *v;

	if (type == NULL)
		type = "string";
	if (strcmp(type, "integer") == 0) {
		int64_t i;

		if (mc_parse_int(val, &i))
			return mc_must(json_integer((json_int_t)i));
		if (json_is_integer(min) && json_is_integer(max))
			mc_err("%s: %s: expected an integer in %" JSON_INTEGER_FORMAT
			       "..%" JSON_INTEGER_FORMAT ", got '%s'",
			       method, name, json_integer_value(min), json_integer_value(max), val);
		else
			mc_err("%s: %s: expected an integer, got '%s'", method, name, val);
		return NULL;
	}
	if (strcmp(type, "boolean") == 0) {
		bool b;

		if (mc_parse_bool(val, &b))
			return mc_must(json_boolean(b));
		mc_err("%s: %s: expected a boolean (true/false, yes/no, on/off, 1/0), got '%s'",
		       method, name, val);
		return NULL;
	}
	if (strcmp(type, "object") == 0) {
		json_error_t je;

		v = json_loads(val, 0, &je);
		if (json_is_object(v))
			return v;
		json_decref(v);
		mc_err("%s: %s: expected a JSON object, got '%s'", method, name, val);
		return NULL;
	}
	if (strcmp(type, "array") == 0) {
		/* JSON text, or words separated by blanks ("sleep 30"). */
		v = json_loads(val, JSON_DECODE_ANY, NULL);
		if (json_is_array(v))
			return v;
		json_decref(v);
		v = mc_must(json_array());
		for (const char *w = val; *w != '\0';) {
			size_t n = strcspn(w, " \t");

			if (n != 0 && json_array_append_new(v, json_stringn(w, n)) != 0) {
				json_decref(v);
				mc_err("%s: %s: expected UTF-8 text, got '%s'", method, name, val);
				return NULL;
			}
			w += n;
			w += strspn(w, " \t");
		}
		return v;
	}
	if (strcmp(type, "string") != 0 && strcmp(type, "mac") != 0 && strcmp(type, "ip") != 0 &&
	    strcmp(type, "enum") != 0) {
		/* A type this CLI does not know yet: JSON text if it is, else a string. */
		v = json_loads(val, JSON_DECODE_ANY, NULL);
		if (v != NULL)
			return v;
	}
	v = json_string(val);
	if (v == NULL)
		mc_err("%s: %s: expected UTF-8 text, got '%s'", method, name, val);
	return v;
}

/* The comma-separated names of the parameters, for messages. Malloc'd. */
static char *
mc_param_names(const json_t *schema)
{
	struct mc_buf b;
	size_t i;
	json_t *p;

	mc_buf_init(&b);
	json_array_foreach (schema, i, p) {
		const char *name = mc_get_str(p, "name");

		if (i > 0)
			mc_buf_puts(&b, ", ");
		mc_buf_puts(&b, name != NULL ? name : "?");
	}
	return b.p;
}

/* Report a usage error about the parameters, ending with the list of the parameters. */
static int
mc_param_error(const char *method, const json_t *schema, const char *what)
{
	char *names = mc_param_names(schema);

	if (json_array_size(schema) == 0)
		mc_err("%s: %s (it takes no parameters)", method, what);
	else
		mc_err("%s: %s (parameters: %s)", method, what, names);
	free(names);
	return MC_EXIT_USAGE;
}

/* The schema entry of the parameter named @p name (of @p n bytes), or NULL. */
static json_t *
mc_find_param(const json_t *schema, const char *name, size_t n)
{
	size_t i;
	json_t *p;

	json_array_foreach (schema, i, p) {
		const char *pn = mc_get_str(p, "name");

		if (pn != NULL && strlen(pn) == n && strncmp(pn, name, n) == 0)
			return p;
	}
	return NULL;
}

/*
 * Build the params object of @p method from NAME=VALUE and positional
 * arguments, converting each by the schema. *out is NULL when there are no
 * arguments. Usage errors are reported and return MC_EXIT_USAGE.
 */
static int
mc_build_params(const char *method, const json_t *schema, int argc, char **argv, json_t **out)
{
	json_t *params = mc_must(json_object());
	char **pos = mc_calloc((size_t)argc, sizeof(*pos));
	int npos = 0, next = 0, rc = MC_EXIT_USAGE;
	size_t i;
	json_t *p;
	char *what = NULL;

	*out = NULL;
	for (int a = 0; a < argc; a++) {
		const char *eq = strchr(argv[a], '=');
		size_t klen = eq != NULL ? (size_t)(eq - argv[a]) : 0;
		json_t *v;

		if (eq == NULL || !mc_is_name(argv[a], klen)) {
			pos[npos++] = argv[a];
			continue;
		}
		p = mc_find_param(schema, argv[a], klen);
		if (p == NULL) {
			if (asprintf(&what, "unknown parameter '%.*s'", (int)klen, argv[a]) < 0)
				mc_oom();
			mc_param_error(method, schema, what);
			goto out;
		}
		if (json_object_get(params, mc_get_str(p, "name")) != NULL) {
			mc_err("%s: parameter '%s' given twice", method, mc_get_str(p, "name"));
			goto out;
		}
		v = mc_convert(method, p, eq + 1);
		if (v == NULL)
			goto out;
		json_object_set_new(params, mc_get_str(p, "name"), v);
	}
	/* Positional values fill the parameters not given by name, in order. */
	json_array_foreach (schema, i, p) {
		const char *name = mc_get_str(p, "name");
		json_t *v;

		if (next == npos)
			break;
		if (name == NULL || json_object_get(params, name) != NULL)
			continue;
		v = mc_convert(method, p, pos[next++]);
		if (v == NULL)
			goto out;
		json_object_set_new(params, name, v);
	}
	if (next < npos) {
		if (asprintf(&what, "too many arguments: '%s'", pos[next]) < 0)
			mc_oom();
		mc_param_error(method, schema, what);
		goto out;
	}
	json_array_foreach (schema, i, p) {
		const char *name = mc_get_str(p, "name");

		if (name != NULL && json_is_true(json_object_get(p, "required")) &&
		    json_object_get(params, name) == NULL) {
			char *desc = mc_describe_type(p);

			mc_err("%s: missing required parameter '%s' (%s)", method, name, desc);
			free(desc);
			goto out;
		}
	}
	if (json_object_size(params) > 0) {
		*out = params;
		params = NULL;
	}
	rc = MC_EXIT_OK;
out:
	free(what);
	free(pos);
	json_decref(params);
	return rc;
}

/*
 * Rendering.
 */

/* Whether @p v is a non-empty array of objects, shown as a table. */
static bool
mc_is_table(const json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return false;
	json_array_foreach (v, i, e) {
		if (!json_is_object(e))
			return false;
	}
	return true;
}

/* The text of a value in a table cell: scalars plainly, containers as compact JSON. */
static char *
mc_cell_text(const json_t *v)
{
	char *s;

	if (v == NULL || json_is_null(v))
		return mc_strdup("-");
	if (json_is_string(v))
		return mc_clean(mc_strdup(json_string_value(v)));
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	if (s == NULL)
		mc_oom();
	return mc_clean(s);
}

/* The text of a "key: value" value that is neither a table nor a non-empty object. */
static char *
mc_value_text(const json_t *v)
{
	struct mc_buf b;
	size_t i;
	json_t *e;

	if (json_is_array(v) && json_array_size(v) == 0)
		return mc_strdup("(none)");
	if (!json_is_array(v))
		return mc_cell_text(v);
	/* An array of scalars reads best as a list. */
	mc_buf_init(&b);
	json_array_foreach (v, i, e) {
		char *t = mc_cell_text(e);

		if (i > 0)
			mc_buf_puts(&b, ", ");
		mc_buf_puts(&b, t);
		free(t);
	}
	return b.p;
}

/* Print an array of objects as a table, indented by @p indent spaces. */
static void
mc_print_table(const json_t *rows, int indent)
{
	json_t *cols = mc_must(json_array());
	json_t *seen = mc_must(json_object());
	size_t nrows = json_array_size(rows), ncols, r, c;
	char **cells;
	bool *right, *numeric;
	size_t *width;
	const char *key;
	json_t *row, *v;
	struct mc_buf b;

	/* The columns are the union of the keys, in first-seen order. */
	json_array_foreach (rows, r, row) {
		json_object_foreach (row, key, v) {
			if (json_object_get(seen, key) == NULL) {
				json_object_set_new(seen, key, json_true());
				json_array_append_new(cols, mc_must(json_string(key)));
			}
		}
	}
	ncols = json_array_size(cols);
	cells = mc_calloc((nrows + 1) * ncols, sizeof(*cells));
	right = mc_calloc((nrows + 1) * ncols, sizeof(*right));
	numeric = mc_calloc(ncols, sizeof(*numeric));
	width = mc_calloc(ncols, sizeof(*width));
	for (c = 0; c < ncols; c++) {
		char *h = mc_clean(mc_strdup(json_string_value(json_array_get(cols, c))));

		for (char *q = h; *q != '\0'; q++)
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 'a' + 'A');
		cells[c] = h;
		width[c] = mc_width(h);
	}
	for (c = 0; c < ncols; c++) {
		bool any = false, all = true;

		key = json_string_value(json_array_get(cols, c));
		for (r = 0; r < nrows; r++) {
			size_t k = (r + 1) * ncols + c, w;

			v = json_object_get(json_array_get(rows, r), key);
			cells[k] = mc_cell_text(v);
			right[k] = v != NULL && json_is_number(v);
			if (v != NULL && !json_is_null(v)) {
				any = true;
				all = all && json_is_number(v);
			}
			w = mc_width(cells[k]);
			if (w > width[c])
				width[c] = w;
		}
		/* In a column of numbers, the header and the "-" cells align right too. */
		numeric[c] = any && all;
		for (r = 0; r <= nrows && numeric[c]; r++)
			right[r * ncols + c] = true;
	}
	mc_buf_init(&b);
	for (r = 0; r <= nrows; r++) {
		mc_buf_spaces(&b, (size_t)indent);
		for (c = 0; c < ncols; c++) {
			size_t k = r * ncols + c;
			size_t pad = width[c] - mc_width(cells[k]);

			if (c > 0)
				mc_buf_puts(&b, "  ");
			if (right[k])
				mc_buf_spaces(&b, pad);
			mc_buf_puts(&b, cells[k]);
			if (!right[k])
				mc_buf_spaces(&b, pad);
		}
		mc_buf_flush_line(&b);
	}
	free(b.p);
	for (r = 0; r < (nrows + 1) * ncols; r++)
		free(cells[r]);
	free(cells);
	free(right);
	free(numeric);
	free(width);
	json_decref(cols);
	json_decref(seen);
}

/* Print an object as aligned "key: value" lines, indented by @p indent spaces. */
static void
mc_print_object(const json_t *obj, int indent)
{
	size_t kw = 0;
	const char *key;
	json_t *v;

	json_object_foreach ((json_t *)obj, key, v) {
		size_t w = mc_width(key);

		if (w > kw)
			kw = w;
	}
	json_object_foreach ((json_t *)obj, key, v) {
		char *k = mc_clean(mc_strdup(key));

		if (json_is_object(v) && json_object_size(v) > 0) {
			printf("%*s%s:\n", indent, "", k);
			mc_print_object(v, indent + 2);
		} else if (mc_is_table(v)) {
			printf("%*s%s:\n", indent, "", k);
			mc_print_table(v, indent + 2);
		} else {
			char *t = mc_value_text(v);

			printf("%*s%s:%*s %s\n", indent, "", k, (int)(kw - mc_width(key)), "", t);
			free(t);
		}
		free(k);
	}
}

/*
 * Print a result. A write method's null or true result says only that it
 * worked: "ok", or nothing when quiet.
 */
static void
mc_render(const struct mc_opts *o, const json_t *v, bool write_method)
{
	size_t i;
	json_t *e;

	if (o->json) {
		mc_print_json(v);
	} else if (json_is_null(v) || json_is_true(v)) {
		if (write_method && !o->quiet)
			puts("ok");
	} else if (json_is_object(v)) {
		if (json_object_size(v) == 0)
			puts("(none)");
		else
			mc_print_object(v, 0);
	} else if (json_is_array(v)) {
		if (json_array_size(v) == 0) {
			puts("(none)");
		} else if (mc_is_table(v)) {
			mc_print_table(v, 0);
		} else {
			json_array_foreach (v, i, e) {
				char *t = mc_cell_text(e);

				puts(t);
				free(t);
			}
		}
	} else if (json_is_string(v)) {
		puts(json_string_value(v));
	} else {
		char *t = mc_cell_text(v);

		puts(t);
		free(t);
	}
}

/*
 * Help.
 */

/* Print the usage of one method from its help object. */
static void
mc_print_method_help(const json_t *h)
{
	const char *name = mc_get_str(h, "method");
	const char *help = mc_get_str(h, "help");
	const json_t *schema = json_object_get(h, "params");
	size_t n = json_array_size(schema), i, wname = 0, wtype = 0;
	char **types = mc_calloc(n, sizeof(*types));
	char *words, *text;
	struct mc_buf b;
	json_t *p;

	if (name == NULL)
		name = "?";
	words = mc_clean(mc_command_words(name));
	text = mc_clean(mc_strdup(help != NULL ? help : ""));
	printf("%s%s: %s\n", name,
	       json_is_true(json_object_get(h, "read_only")) ? " (read-only)" : "", text);
	mc_buf_init(&b);
	mc_buf_printf(&b, "usage: mflowctl %s", words);
	json_array_foreach (schema, i, p) {
		const char *pn = mc_get_str(p, "name");
		bool req = json_is_true(json_object_get(p, "required"));
		char *meta = mc_clean(mc_strdup(pn != NULL ? pn : "?"));

		for (char *q = meta; *q != '\0'; q++)
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 'a' + 'A');
		mc_buf_printf(&b, req ? " %s" : " [%s]", meta);
		free(meta);
		types[i] = mc_describe_type(p);
		if (pn != NULL && mc_width(pn) > wname)
			wname = mc_width(pn);
		if (mc_width(types[i]) > wtype)
			wtype = mc_width(types[i]);
	}
	mc_buf_flush_line(&b);
	if (n > 0)
		puts("parameters, by position in this order or as NAME=VALUE:");
	json_array_foreach (schema, i, p) {
		const char *pn = mc_get_str(p, "name");
		const char *ph = mc_get_str(p, "help");
		char *phc = mc_clean(mc_strdup(ph != NULL ? ph : ""));

		if (pn == NULL)
			pn = "?";
		mc_buf_printf(&b, "  %s", pn);
		mc_buf_spaces(&b, wname - mc_width(pn) + 2);
		mc_buf_puts(&b, types[i]);
		mc_buf_spaces(&b, wtype - mc_width(types[i]) + 2);
		mc_buf_printf(&b, "%s  %s",
			      json_is_true(json_object_get(p, "required")) ? "required"
									   : "optional",
			      phc);
		mc_buf_flush_line(&b);
		free(phc);
		free(types[i]);
	}
	free(b.p);
	free(types);
	free(words);
	free(text);
}

/* The command column of a help entry. Malloc'd. */
static char *
mc_help_command(const char *method)
{
	return mc_clean(mc_command_words(method));
}

/* Print the list of commands from the "help" result, grouped by group. */
static int
mc_print_help_list(const json_t *list)
{
	static const char *const local[][2] = {
		{"help [GROUP [VERB]]", "List the commands, or show the parameters of commands."},
		{"raw METHOD [JSON]", "Send METHOD with JSON params as given, unchecked."},
	};
	json_t *groups = mc_must(json_object());
	size_t i, width = 0;
	const char *group;
	json_t *e, *members;

	if (!json_is_array(list)) {
		json_decref(groups);
		return mc_malformed("'help' did not return an array");
	}
	/* The methods without a group (the built-ins) come first, as "general". */
	json_object_set_new(groups, "", mc_must(json_array()));
	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (strlen(local[i][0]) > width)
			width = strlen(local[i][0]);
	json_array_foreach (list, i, e) {
		const char *m = mc_get_str(e, "method");
		const char *dot;
		char *g, *words;

		/* The "help" method is what 'mflowctl help' itself shows. */
		if (m == NULL || strcmp(m, "help") == 0)
			continue;
		dot = strchr(m, '.');
		g = dot != NULL ? strndup(m, (size_t)(dot - m)) : mc_strdup("");
		if (g == NULL)
			mc_oom();
		members = json_object_get(groups, g);
		if (members == NULL) {
			members = mc_must(json_array());
			json_object_set_new(groups, g, members);
		}
		json_array_append(members, e);
		free(g);
		words = mc_help_command(m);
		if (mc_width(words) > width)
			width = mc_width(words);
		free(words);
	}
	puts("Commands ('mflowctl help GROUP [VERB]' shows their parameters, 'mflowctl --help'\n"
	     "the options):");
	json_object_foreach (groups, group, members) {
		printf("\n%s:\n", group[0] == '\0' ? "general" : group);
		if (group[0] == '\0')
			for (i = 0; i < sizeof(local) / sizeof(local[0]); i++)
				printf("  %-*s  %s\n", (int)width, local[i][0], local[i][1]);
		json_array_foreach (members, i, e) {
			char *words = mc_help_command(mc_get_str(e, "method"));
			const char *h = mc_get_str(e, "help");
			char *hc = mc_clean(mc_strdup(h != NULL ? h : ""));
			struct mc_buf b;

			mc_buf_init(&b);
			mc_buf_printf(&b, "  %s", words);
			mc_buf_spaces(&b, width - mc_width(words) + 2);
			mc_buf_puts(&b, hc);
			mc_buf_flush_line(&b);
			free(b.p);
			free(hc);
			free(words);
		}
	}
	json_decref(groups);
	return MC_EXIT_OK;
}

/* mflowctl help [GROUP [VERB]] */
static int
mc_cmd_help(const struct mc_opts *o, struct mc_client *c, int argc, char **argv)
{
	json_t *names = NULL, *all = NULL, *h = NULL, *v;
	char *single = NULL;
	size_t i;
	int rc;

	if (argc > 2) {
		mc_err("help: too many arguments (usage: mflowctl help [GROUP [VERB]])");
		return MC_EXIT_USAGE;
	}
	if (argc == 0) {
		rc = mc_call_checked(o, c, "help", NULL, &all);
		if (rc == 0) {
			if (o->json)
				mc_print_json(all);
			else
				rc = mc_print_help_list(all);
		}
		json_decref(all);
		return rc;
	}
	rc = mc_list(o, c, &names);
	if (rc != 0)
		return rc;
	if (argc == 2) {
		single = mc_join(argv[0], argv[1]);
	} else if (strchr(argv[0], '.') != NULL || !mc_has_group(names, argv[0])) {
		single = mc_strdup(argv[0]);
	} else {
		/* All the commands of a group. */
		size_t n = strlen(argv[0]);

		all = mc_must(json_array());
		json_array_foreach (names, i, v) {
			const char *m = json_string_value(v);

			if (strncmp(m, argv[0], n) != 0 || m[n] != '.')
				continue;
			rc = mc_method_help(o, c, m, &h);
			if (rc != 0)
				goto out;
			if (!o->json) {
				if (json_array_size(all) > 0)
					putchar('\n');
				mc_print_method_help(h);
			}
			json_array_append_new(all, h);
		}
		if (o->json)
			mc_print_json(all);
		goto out;
	}
	if (!mc_has_method(names, single)) {
		if (argc == 1 && strcmp(single, "raw") == 0) {
			puts("usage: mflowctl raw METHOD [JSON-PARAMS]\n"
			     "Send METHOD with the JSON text as its params, unchecked; the result "
			     "is\n"
			     "printed as for any command.");
		} else if (argc == 1 && strcmp(single, "help") == 0) {
			puts("usage: mflowctl help [GROUP [VERB]]\n"
			     "List the commands, or show the parameters of the commands of GROUP "
			     "or "
			     "of one command.");
		} else {
			rc = mc_unknown_command(names, argc, argv);
		}
		goto out;
	}
	rc = mc_method_help(o, c, single, &h);
	if (rc == 0) {
		if (o->json)
			mc_print_json(h);
		else
			mc_print_method_help(h);
		json_decref(h);
	}
out:
	free(single);
	json_decref(all);
	json_decref(names);
	return rc;
}

/*
 * Commands.
 */

/* mflowctl raw METHOD [JSON-PARAMS] */
static int
mc_cmd_raw(const struct mc_opts *o, struct mc_client *c, int argc, char **argv)
{
	json_t *params = NULL, *res, *err;
	int rc;

	if (argc < 1 || argc > 2) {
		mc_err("raw: expected METHOD [JSON-PARAMS] (usage: mflowctl raw METHOD "
		       "[JSON-PARAMS])");
		return MC_EXIT_USAGE;
	}
	if (argc == 2) {
		json_error_t je;

		params = json_loads(argv[1], JSON_DECODE_ANY, &je);
		if (params == NULL) {
			mc_err("raw: invalid JSON parameters: %s", je.text);
			return MC_EXIT_USAGE;
		}
	}
	rc = mc_call(c, argv[0], params, &res, &err);
	json_decref(params);
	if (rc == MC_EXIT_SERVER) {
		mc_server_error(o, argv[0], err);
		json_decref(err);
	} else if (rc == MC_EXIT_OK) {
		mc_render(o, res, true);
		json_decref(res);
	}
	return rc;
}

/* mflowctl GROUP [VERB] [ARGS], or METHOD [ARGS] */
static int
mc_cmd_method(const struct mc_opts *o, struct mc_client *c, int argc, char **argv)
{
	json_t *names = NULL, *help = NULL, *params = NULL, *res = NULL, *err = NULL;
	char *method = NULL;
	int used, rc;

	rc = mc_list(o, c, &names);
	if (rc != 0)
		return rc;
	method = mc_resolve(names, argc, argv, &used);
	if (method == NULL) {
		rc = mc_unknown_command(names, argc, argv);
		goto out;
	}
	rc = mc_method_help(o, c, method, &help);
	if (rc != 0)
		goto out;
	rc = mc_build_params(method, json_object_get(help, "params"), argc - used, argv + used,
			     &params);
	if (rc != 0)
		goto out;
	rc = mc_call(c, method, params, &res, &err);
	if (rc == MC_EXIT_SERVER)
		mc_server_error(o, method, err);
	else if (rc == MC_EXIT_OK)
		mc_render(o, res, !json_is_true(json_object_get(help, "read_only")));
out:
	json_decref(err);
	json_decref(res);
	json_decref(params);
	json_decref(help);
	json_decref(names);
	free(method);
	return rc;
}

/* Report a command-line error with a pointer to the usage text. */
static int mc_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
mc_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mflowctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try 'mflowctl --help')\n", stderr);
	return MC_EXIT_USAGE;
}

/* Parse the options; returns -1 to go on, or an exit code. */
static int
mc_parse_opts(int argc, char **argv, struct mc_opts *o)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},  {"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'}, {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0},
	};
	const char *env = getenv(MC_SOCKET_ENV);
	int opt;

	o->socket = env != NULL && env[0] != '\0' ? env : MC_DEFAULT_SOCKET;
	o->timeout = MC_DEFAULT_TIMEOUT;
	o->json = false;
	o->quiet = false;
	opterr = 0;
	/* "+": options stop at the command, so that values like -1 reach it. */
	while ((opt = getopt_long(argc, argv, "+:s:jt:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (optarg[0] == '\0')
				return mc_usage_error("--socket: expected a path");
			o->socket = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 't': {
			char *end;
			double t;

			errno = 0;
			t = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(t > 0.0) ||
			    t > MC_MAX_TIMEOUT)
				return mc_usage_error(
					"--timeout: expected a number of seconds above 0, got '%s'",
					optarg);
			o->timeout = t;
			break;
		}
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			fputs(mc_usage_text, stdout);
			return MC_EXIT_OK;
		case ':':
			return mc_usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt != 0)
				return mc_usage_error("unknown option '-%c'", optopt);
			return mc_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct mc_opts o;
	struct mc_client c;
	int rc;

	rc = mc_parse_opts(argc, argv, &o);
	if (rc >= 0)
		return rc;
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return mc_usage_error("no command given");
	/* Writes to a closed socket fail with EPIPE instead of killing us. */
	signal(SIGPIPE, SIG_IGN);
	memset(&c, 0, sizeof(c));
	c.path = o.socket;
	c.timeout = o.timeout;
	if (strcmp(argv[0], "raw") == 0)
		rc = mc_cmd_raw(&o, &c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "help") == 0)
		rc = mc_cmd_help(&o, &c, argc - 1, argv + 1);
	else
		rc = mc_cmd_method(&o, &c, argc, argv);
	ctl_client_close(c.cl);
	if (fflush(stdout) != 0 && errno != EPIPE) {
		mc_err("cannot write the output: %s", strerror(errno));
		if (rc == MC_EXIT_OK)
			rc = MC_EXIT_CONN;
	}
	return rc;
}
