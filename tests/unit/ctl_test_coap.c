/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the CoAP endpoint (control/ctl_coap.c), driven by the real
 * libcoap clients (coap-client-notls, coap-client-openssl from
 * libcoap3-bin) run as subprocesses, and by hand-made datagrams for what a
 * well-behaved client cannot send.
 *
 * The endpoint runs on 127.0.0.1 in a thread of the test, over a small
 * method table of its own whose handlers record their effects. Every wait
 * is bounded: clients get -B and are killed after a deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <coap3/coap.h>
#include <jansson.h>

#include "ctl_coap.h"
#include "ctl_rpc.h"
#include "ctl_test.h"

/** The clients. */
#define CLIENT	    "coap-client-notls"
#define CLIENT_DTLS "coap-client-openssl"

/** DTLS credentials of the test endpoint. */
#define PSK_ID	"mflowd-test"
#define PSK_KEY "test-secret-key"

/** Largest request payload of the test endpoint. */
#define MAX_PAYLOAD 1024

/** Longest a client may run before it is killed, ms. */
#define CLIENT_DEADLINE_MS 15000

/** Elements of the big.show result: well over one 1024-byte block. */
#define BIG_N 400

/* ------------------------------------------------------------------------- */
/* The method table under test.                                              */

/** What the handlers share with the tests; the server thread runs the handlers. */
struct tstate {
	pthread_mutex_t lock; /**< Guards everything below. */
	int stats_value;      /**< What stats.show reports. */
	json_t *things;	      /**< id (text) -> params of thing.add; owned. */
	unsigned int adds;    /**< Successful thing.add calls. */
	unsigned int dels;    /**< Successful thing.del calls. */
	json_t *last;	      /**< Copy of the params of the last thing.* call; owned. */
};

static struct tstate ts = {.lock = PTHREAD_MUTEX_INITIALIZER};

/** Remember a copy of the params of the last call. Call with the lock held. */
static void
record(const json_t *params)
{
	json_decref(ts.last);
	ts.last = json_deep_copy(params);
}

static int
h_thing_show(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)ctx;
	(void)err;
	(void)errlen;
	pthread_mutex_lock(&ts.lock);
	*result = json_pack("{s:I,s:i,s:b}", "n", (json_int_t)ctl_param_int(params, "n", -1),
			    "count", (int)json_object_size(ts.things), "verbose",
			    ctl_param_bool(params, "verbose", false));
	pthread_mutex_unlock(&ts.lock);
	return *result != NULL ? 0 : -ENOMEM;
}

static int
h_thing_add(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	char id[24];
	int ret = 0;

	(void)ctx;
	snprintf(id, sizeof(id), "%" PRId64, ctl_param_int(params, "id", 0));
	pthread_mutex_lock(&ts.lock);
	record(params);
	if (json_object_get(ts.things, id) != NULL) {
		snprintf(err, errlen, "thing %s exists", id);
		ret = -EEXIST;
	} else {
		json_object_set_new(ts.things, id, json_deep_copy(params));
		ts.adds++;
		*result = json_pack("{s:s}", "added", id);
	}
	pthread_mutex_unlock(&ts.lock);
	return ret;
}

static int
h_thing_set(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	json_t *thing;
	char id[24];
	int ret = 0;

	(void)ctx;
	snprintf(id, sizeof(id), "%" PRId64, ctl_param_int(params, "id", 0));
	pthread_mutex_lock(&ts.lock);
	record(params);
	thing = json_object_get(ts.things, id);
	if (thing == NULL) {
		snprintf(err, errlen, "thing %s not found", id);
		ret = -ENOENT;
	} else {
		json_object_set_new(thing, "name",
				    json_string(ctl_param_str(params, "name", "renamed")));
		*result = json_deep_copy(thing);
	}
	pthread_mutex_unlock(&ts.lock);
	return ret;
}

static int
h_thing_del(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	char id[24];
	int ret = 0;

	(void)ctx;
	(void)result;
	snprintf(id, sizeof(id), "%" PRId64, ctl_param_int(params, "id", 0));
	pthread_mutex_lock(&ts.lock);
	record(params);
	if (json_object_del(ts.things, id) != 0) {
		snprintf(err, errlen, "thing %s not found", id);
		ret = -ENOENT;
	} else {
		ts.dels++;
	}
	pthread_mutex_unlock(&ts.lock);
	return ret;
}

static int
h_stats_show(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)ctx;
	(void)params;
	(void)err;
	(void)errlen;
	pthread_mutex_lock(&ts.lock);
	*result = json_pack("{s:i}", "value", ts.stats_value);
	pthread_mutex_unlock(&ts.lock);
	return 0;
}

static int
h_counters_show(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)ctx;
	(void)params;
	(void)err;
	(void)errlen;
	*result = json_pack("{s:i}", "rx", 1);
	return 0;
}

/** @return the result of big.show, a new reference. */
static json_t *
big_result(void)
{
	json_t *a = json_array();

	for (int i = 0; i < BIG_N; i++)
		json_array_append_new(a, json_pack("{s:i,s:s}", "port", i, "name",
						   "an interface with a long name"));
	return json_pack("{s:o}", "ports", a);
}

static int
h_big_show(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)ctx;
	(void)params;
	(void)err;
	(void)errlen;
	*result = big_result();
	return 0;
}

/** Fails with the errno it is given, and no message. */
static int
h_fail_run(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	(void)ctx;
	(void)result;
	(void)err;
	(void)errlen;
	return -(int)ctl_param_int(params, "err", 0);
}

static const struct ctl_param show_params[] = {
	{.name = "n", .type = CTL_P_INT, .min = 0, .max = 100, .help = "A number"},
	{.name = "verbose", .type = CTL_P_BOOL, .help = "More"},
	{.name = NULL},
};

static const struct ctl_param add_params[] = {
	{.name = "id", .type = CTL_P_INT, .required = true, .min = 1, .max = 1000, .help = "Id"},
	{.name = "name", .type = CTL_P_STRING, .required = true, .max = 16, .help = "Name"},
	{.name = "mac", .type = CTL_P_MAC, .required = true, .help = "MAC"},
	{.name = "enabled", .type = CTL_P_BOOL, .help = "On"},
	{.name = NULL},
};

static const struct ctl_param set_params[] = {
	{.name = "id", .type = CTL_P_INT, .required = true, .min = 1, .max = 1000, .help = "Id"},
	{.name = "name", .type = CTL_P_STRING, .max = 16, .help = "Name"},
	{.name = NULL},
};

static const struct ctl_param del_params[] = {
	{.name = "id", .type = CTL_P_INT, .required = true, .min = 1, .max = 1000, .help = "Id"},
	{.name = NULL},
};

static const struct ctl_param fail_params[] = {
	{.name = "err", .type = CTL_P_INT, .required = true, .min = 0, .max = 200},
	{.name = NULL},
};

static const struct ctl_method methods[] = {
	{"thing.show", "Show the things", show_params, h_thing_show, CTL_RPC_READ},
	{"thing.add", "Add a thing", add_params, h_thing_add, 0},
	{"thing.set", "Rename a thing", set_params, h_thing_set, 0},
	{"thing.del", "Delete a thing", del_params, h_thing_del, 0},
	{"stats.show", "Show the statistics", NULL, h_stats_show, CTL_RPC_READ},
	{"counters.show", "Show the counters", NULL, h_counters_show, CTL_RPC_READ},
	{"big.show", "Show a big table", NULL, h_big_show, CTL_RPC_READ},
	{"fail.run", "Fail with an errno", fail_params, h_fail_run, 0},
	{.name = NULL},
};

/* ------------------------------------------------------------------------- */
/* The endpoint, served from a thread.                                       */

/** A running endpoint. */
struct server {
	struct ctl_coap *coap; /**< The endpoint. */
	pthread_t thread;      /**< Its thread. */
	int stop;	       /**< Set to stop the thread. */
	bool running;	       /**< The thread was started. */
};

static struct ctl_rpc *rpc;
static struct server srv;
static uint16_t port, dtls_port;
static bool have_dtls;

static void *
serve(void *arg)
{
	struct server *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd pfd = {.fd = ctl_coap_fd(s->coap), .events = POLLIN};

		poll(&pfd, 1, 20);
		ctl_coap_process(s->coap);
	}
	return NULL;
}

static int
server_start(struct server *s, struct ctl_coap *c)
{
	s->coap = c;
	s->stop = 0;
	if (pthread_create(&s->thread, NULL, serve, s) != 0)
		return -1;
	s->running = true;
	return 0;
}

static void
server_stop(struct server *s)
{
	if (s->running) {
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
		pthread_join(s->thread, NULL);
		s->running = false;
	}
	ctl_coap_destroy(s->coap);
	s->coap = NULL;
}

/** @return a UDP port that was free a moment ago, or 0. */
static uint16_t
free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	uint16_t p = 0;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 0;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		p = ntohs(a.sin_port);
	close(fd);
	return p;
}

/** Settings of the test endpoint. */
static struct ctl_coap_params
test_params(void)
{
	return (struct ctl_coap_params){
		.address = "127.0.0.1",
		.port = port,
		.dtls_port = have_dtls ? dtls_port : 0,
		.psk_identity = PSK_ID,
		.psk_key = (const uint8_t *)PSK_KEY,
		.psk_len = strlen(PSK_KEY),
		.observe_interval_ms = 100,
		.max_payload = MAX_PAYLOAD,
	};
}

static int
setup_coap(void **state)
{
	struct ctl_coap_params p;
	struct ctl_coap *c = NULL;

	(void)state;
	/* Clients must not die of a write to a closed pipe; neither must we. */
	signal(SIGPIPE, SIG_IGN);
	/* libcoap warns of every malformed datagram test_malformed() sends. */
	coap_set_log_level(LOG_ERR);
	ts.things = json_object();
	ts.stats_value = 0;
	rpc = ctl_rpc_create(&ts);
	if (rpc == NULL || ts.things == NULL || ctl_rpc_register_all(rpc, methods) != 0)
		return -1;
	have_dtls = ctl_coap_dtls_available();
	/* A port picked free may be taken before we bind it: retry. */
	for (int i = 0; i < 10 && c == NULL; i++) {
		port = free_port();
		dtls_port = free_port();
		if (port == 0 || dtls_port == 0 || port == dtls_port)
			continue;
		p = test_params();
		c = ctl_coap_create(&p, rpc);
		if (c == NULL && errno != EADDRINUSE) {
			fprintf(stderr, "ctl_coap_create: %s\n", strerror(errno));
			return -1;
		}
	}
	if (c == NULL)
		return -1;
	return server_start(&srv, c);
}

static int
teardown_coap(void **state)
{
	(void)state;
	server_stop(&srv);
	ctl_rpc_destroy(rpc);
	rpc = NULL;
	json_decref(ts.things);
	json_decref(ts.last);
	ts.things = NULL;
	ts.last = NULL;
	/* libcoap's global state (DTLS library, PRNG, logging). */
	coap_cleanup();
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Running the clients.                                                      */

/** @return monotonic milliseconds. */
static int64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/** Fail the test with a clear message if a client program is not installed. */
static void
require_client(const char *name)
{
	const char *path = getenv("PATH");
	char buf[512];

	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path != '\0') {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name);
		if (access(buf, X_OK) == 0)
			return;
		path += n;
		if (*path == ':')
			path++;
	}
	fail_msg("%s not found in PATH: install libcoap3-bin (scripts/deps.sh)", name);
}

/** A client subprocess whose stdout and stderr are collected. */
struct proc {
	pid_t pid;  /**< The child, or 0 once reaped. */
	int fd;	    /**< Read end of its output pipe, or -1 at EOF. */
	char *out;  /**< Everything it wrote so far, NUL-terminated. */
	size_t len; /**< Bytes in out. */
	size_t cap; /**< Size of out. */
	int status; /**< Exit status once reaped, -1 if killed. */
};

static void
proc_start(struct proc *p, const char *const argv[])
{
	int pipefd[2], devnull;

	require_client(argv[0]);
	memset(p, 0, sizeof(*p));
	p->cap = 4096;
	p->out = calloc(1, p->cap);
	assert_non_null(p->out);
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	p->fd = pipefd[0];
}

/**
 * Read the client's output until @p needle appears (NULL: until EOF) or
 * @p timeout_ms passes.
 *
 * @return true if the needle was seen (or EOF reached for NULL).
 */
static bool
proc_read(struct proc *p, const char *needle, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		int64_t left;
		ssize_t n;

		if (needle != NULL && strstr(p->out, needle) != NULL)
			return true;
		if (p->fd < 0)
			return needle == NULL;
		left = end - now_ms();
		if (left <= 0)
			return false;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (p->len + 1024 >= p->cap) {
			p->cap *= 2;
			p->out = realloc(p->out, p->cap);
			assert_non_null(p->out);
		}
		n = read(p->fd, p->out + p->len, p->cap - p->len - 1);
		if (n <= 0) {
			close(p->fd);
			p->fd = -1;
			continue;
		}
		p->len += (size_t)n;
		p->out[p->len] = '\0';
	}
}

/** Wait for the client to end (killing it after @p timeout_ms); @return its exit status. */
static int
proc_finish(struct proc *p, int timeout_ms)
{
	int st;

	if (!proc_read(p, NULL, timeout_ms))
		kill(p->pid, SIGKILL);
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	assert_int_equal(waitpid(p->pid, &st, 0), p->pid);
	p->pid = 0;
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return p->status;
}

/** A client's answer. */
struct reply {
	int code;     /**< Last response code seen, e.g. 205; 0 for none. */
	char *out;    /**< The client's whole output; owned. */
	json_t *body; /**< The last response's payload as JSON, or NULL; owned. */
};

static void
reply_free(struct reply *r)
{
	free(r->out);
	json_decref(r->body);
	memset(r, 0, sizeof(*r));
}

/**
 * Find the last response in "-v 6" output, lines like
 * "v:1 t:ACK c:2.05 i:1234 {01} [ ... ] :: '<payload>'".
 */
static void
parse_reply(struct reply *r)
{
	const char *line = r->out;

	r->code = 0;
	while (line != NULL && *line != '\0') {
		const char *eol = strchr(line, '\n');
		const char *c = strstr(line, " c:");
		int cls, det;

		if (eol == NULL)
			eol = line + strlen(line);
		if (strncmp(line, "v:1 ", 4) == 0 && c != NULL && c < eol &&
		    sscanf(c, " c:%d.%d", &cls, &det) == 2 && cls >= 2) {
			const char *pl = strstr(line, ":: '");
			const char *q = eol;

			r->code = cls * 100 + det;
			json_decref(r->body);
			r->body = NULL;
			while (q > line && *q != '\'')
				q--;
			if (pl != NULL && pl < eol && q > pl + 3)
				r->body = json_loadb(pl + 4, (size_t)(q - pl - 4), 0, NULL);
		}
		line = *eol != '\0' ? eol + 1 : eol;
	}
}

/**
 * Run coap-client on a path of the test endpoint.
 *
 * @param opts
 *   Extra options, NULL-terminated (may be NULL).
 */
static void
coap(struct reply *r, const char *const *opts, const char *path)
{
	const char *argv[32];
	char url[512];
	struct proc p;
	int n = 0;

	snprintf(url, sizeof(url), "coap://127.0.0.1:%u%s", port, path);
	argv[n++] = CLIENT;
	argv[n++] = "-B";
	argv[n++] = "5";
	argv[n++] = "-v";
	argv[n++] = "6";
	for (; opts != NULL && *opts != NULL && n < 30; opts++)
		argv[n++] = *opts;
	argv[n++] = url;
	argv[n] = NULL;
	proc_start(&p, argv);
	proc_finish(&p, CLIENT_DEADLINE_MS);
	memset(r, 0, sizeof(*r));
	r->out = p.out;
	parse_reply(r);
}

#define OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})

/** Assert the response code, printing the client's output when it differs. */
static void
assert_code(const struct reply *r, int code)
{
	if (r->code != code)
		fail_msg("expected %d.%02d, got %d.%02d; client said:\n%s", code / 100, code % 100,
			 r->code / 100, r->code % 100, r->out);
}

/** Assert an error answer: its code and a JSON body whose message contains @p what. */
static void
assert_error(const struct reply *r, int code, int rpc_code, const char *what)
{
	const char *msg;

	assert_code(r, code);
	if (r->body == NULL)
		fail_msg("no JSON body in:\n%s", r->out);
	assert_int_equal(json_integer_value(json_object_get(r->body, "code")), rpc_code);
	msg = json_string_value(json_object_get(r->body, "message"));
	assert_non_null(msg);
	if (strstr(msg, what) == NULL)
		fail_msg("message \"%s\" does not contain \"%s\"", msg, what);
}

/** A request that must fail: send it and check the error. */
static void
expect_error(const char *const *opts, const char *path, int code, int rpc_code, const char *what)
{
	struct reply r;

	coap(&r, opts, path);
	assert_error(&r, code, rpc_code, what);
	reply_free(&r);
}

/** @return the integer @p key of the reply's body object. */
static json_int_t
body_int(const struct reply *r, const char *key)
{
	json_t *v = r->body != NULL ? json_object_get(r->body, key) : NULL;

	if (!json_is_integer(v))
		fail_msg("no integer \"%s\" in the answer:\n%s", key, r->out);
	return json_integer_value(v);
}

/* ------------------------------------------------------------------------- */
/* Discovery.                                                                */

/** @return the attributes of link </path> in a link-format text (static), or NULL. */
static const char *
link_attrs(const char *links, const char *path)
{
	static char attrs[512];
	char want[128];
	const char *s, *e;
	bool quoted = false;

	snprintf(want, sizeof(want), "<%s>", path);
	s = links;
	while ((s = strstr(s, want)) != NULL) {
		/* A whole link starts the text or follows a comma. */
		if (s == links || s[-1] == ',')
			break;
		s++;
	}
	if (s == NULL)
		return NULL;
	s += strlen(want);
	for (e = s; *e != '\0' && (quoted || *e != ','); e++)
		if (*e == '"')
			quoted = !quoted;
	snprintf(attrs, sizeof(attrs), "%.*s;", (int)(e - s), s);
	return attrs;
}

/** Run a client without -v on a path; @return the payload it received (free() it). */
static char *
fetch_body(const char *path)
{
	char file[] = "/tmp/mflowd-coap-XXXXXX", url[128];
	struct proc p;
	char *text;
	FILE *f;
	long len;
	int fd;

	fd = mkstemp(file);
	assert_true(fd >= 0);
	close(fd);
	snprintf(url, sizeof(url), "coap://127.0.0.1:%u%s", port, path);
	proc_start(&p, OPTS(CLIENT, "-B", "5", "-o", file, url));
	proc_finish(&p, CLIENT_DEADLINE_MS);
	f = fopen(file, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	unlink(file);
	if (len == 0)
		fail_msg("nothing received from %s; client said:\n%s", path, p.out);
	free(p.out);
	return text;
}

/** Every method has its resource with title, ct=50 and rt; obs only on /stats and /counters. */
static void
test_discovery(void **state)
{
	const char *paths[] = {"/thing", "/stats", "/counters", "/big"};
	char path[128], want[160];
	const char *a;
	char *links;

	(void)state;
	/* The link-format text may take several blocks. */
	links = fetch_body("/.well-known/core");
	for (unsigned int i = 0; i < ctl_rpc_count(rpc); i++) {
		const struct ctl_method *m = ctl_rpc_at(rpc, i);

		path[0] = '/';
		snprintf(path + 1, sizeof(path) - 1, "%s", m->name);
		for (char *p = path; *p != '\0'; p++)
			if (*p == '.')
				*p = '/';
		a = link_attrs(links, path);
		if (a == NULL)
			fail_msg("no link for %s in:\n%s", path, links);
		snprintf(want, sizeof(want), ";title=\"%s\";", m->help);
		if (strstr(a, want) == NULL || strstr(a, ";ct=50;") == NULL)
			fail_msg("link %s lacks %s or ct=50: %s", path, want, a);
		assert_non_null(strstr(a, ";rt=\"mflowd."));
		assert_null(strstr(a, ";obs;"));
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		bool obs = strcmp(paths[i], "/stats") == 0 || strcmp(paths[i], "/counters") == 0;

		a = link_attrs(links, paths[i]);
		if (a == NULL)
			fail_msg("no link for %s in:\n%s", paths[i], links);
		assert_non_null(strstr(a, ";ct=50;"));
		if ((strstr(a, ";obs;") != NULL) != obs)
			fail_msg("link %s: obs %s expected: %s", paths[i], obs ? "is" : "not", a);
	}
	a = link_attrs(links, "/thing");
	assert_non_null(strstr(a, ";rt=\"mflowd.thing\";"));
	assert_non_null(strstr(a, ";title=\"Show the things\";"));
	assert_non_null(strstr(link_attrs(links, "/list"), ";rt=\"mflowd.list\";"));
	/* Groups without a usual verb get no resource of their own. */
	assert_null(link_attrs(links, "/fail"));
	assert_null(link_attrs(links, "/help/show"));
	free(links);
}

/* ------------------------------------------------------------------------- */
/* Requests.                                                                 */

static void
test_get(void **state)
{
	struct reply r;
	json_t *v;

	(void)state;
	coap(&r, NULL, "/thing/show?n=5&verbose=true");
	assert_code(&r, 205);
	assert_int_equal(body_int(&r, "n"), 5);
	assert_true(json_is_true(json_object_get(r.body, "verbose")));
	reply_free(&r);

	/* The group maps GET to group.show; a bare boolean key means true. */
	coap(&r, NULL, "/thing?verbose&n=0");
	assert_code(&r, 205);
	assert_int_equal(body_int(&r, "n"), 0);
	assert_true(json_is_true(json_object_get(r.body, "verbose")));
	reply_free(&r);

	coap(&r, NULL, "/thing/show?verbose=0");
	assert_code(&r, 205);
	assert_int_equal(body_int(&r, "n"), -1);
	assert_true(json_is_false(json_object_get(r.body, "verbose")));
	reply_free(&r);

	/* The built-ins are resources too. */
	coap(&r, NULL, "/list");
	assert_code(&r, 205);
	assert_true(json_is_array(r.body));
	assert_non_null(strstr(r.out, "\"thing.add\""));
	reply_free(&r);

	coap(&r, NULL, "/help?method=thing.add");
	assert_code(&r, 205);
	v = json_object_get(r.body, "params");
	assert_non_null(v);
	reply_free(&r);

	/* An explicit Accept of JSON is fine. */
	coap(&r, OPTS("-A", "50"), "/stats");
	assert_code(&r, 205);
	reply_free(&r);
}

static void
test_post_put_delete(void **state)
{
	struct reply r;
	json_t *last;

	(void)state;
	/* POST a JSON object to the group: thing.add. */
	coap(&r,
	     OPTS("-m", "post", "-t", "50", "-e",
		  "{\"id\":1,\"name\":\"one\",\"mac\":\"02:00:00:00:00:01\",\"enabled\":true}"),
	     "/thing");
	assert_code(&r, 204);
	assert_string_equal(json_string_value(json_object_get(r.body, "added")), "1");
	reply_free(&r);

	/* PUT to the method's own resource, with query options typed by the schema. */
	coap(&r, OPTS("-m", "put"), "/thing/add?id=2&name=two&mac=02:00:00:00:00:02&enabled=false");
	assert_code(&r, 204);
	reply_free(&r);
	pthread_mutex_lock(&ts.lock);
	last = json_incref(ts.last);
	assert_int_equal(ts.adds, 2);
	pthread_mutex_unlock(&ts.lock);
	assert_true(json_is_integer(json_object_get(last, "id")));
	assert_int_equal(json_integer_value(json_object_get(last, "id")), 2);
	assert_true(json_is_false(json_object_get(last, "enabled")));
	assert_string_equal(json_string_value(json_object_get(last, "name")), "two");
	json_decref(last);

	/* application/json by name, as coap-client spells it. */
	coap(&r, OPTS("-m", "post", "-t", "application/json", "-e", "{\"id\":2,\"name\":\"deux\"}"),
	     "/thing/set");
	assert_code(&r, 204);
	assert_string_equal(json_string_value(json_object_get(r.body, "name")), "deux");
	reply_free(&r);

	/* PUT on the group: thing.set. */
	coap(&r, OPTS("-m", "put", "-t", "50", "-e", "{\"id\":1}"), "/thing");
	assert_code(&r, 204);
	assert_string_equal(json_string_value(json_object_get(r.body, "name")), "renamed");
	reply_free(&r);

	coap(&r, NULL, "/thing/show");
	assert_int_equal(body_int(&r, "count"), 2);
	reply_free(&r);

	/* DELETE on the group: thing.del, 2.02. */
	coap(&r, OPTS("-m", "delete"), "/thing?id=1");
	assert_code(&r, 202);
	reply_free(&r);
	pthread_mutex_lock(&ts.lock);
	assert_int_equal(ts.dels, 1);
	assert_null(json_object_get(ts.things, "1"));
	assert_non_null(json_object_get(ts.things, "2"));
	pthread_mutex_unlock(&ts.lock);

	/* POST also runs read-only methods, answering 2.04. */
	coap(&r, OPTS("-m", "post", "-t", "50", "-e", "{\"n\":3}"), "/thing/show");
	assert_code(&r, 204);
	assert_int_equal(body_int(&r, "n"), 3);
	assert_int_equal(body_int(&r, "count"), 1);
	reply_free(&r);

	/* An empty payload is no parameters. */
	coap(&r, OPTS("-m", "post"), "/stats/show");
	assert_code(&r, 204);
	reply_free(&r);
}

static void
test_errors(void **state)
{
	char big[MAX_PAYLOAD + 64];
	struct reply r;
	unsigned int adds;

	(void)state;
	/* 4.00: a value that is not of the parameter's type, named in the body. */
	expect_error(NULL, "/thing/show?n=five", 400, CTL_RPC_INVALID_PARAMS,
		     "n: expected an integer, got 'five'");
	expect_error(NULL, "/thing/show?n=5x", 400, CTL_RPC_INVALID_PARAMS,
		     "n: expected an integer");
	expect_error(NULL, "/thing/show?n=", 400, CTL_RPC_INVALID_PARAMS, "n: expected an integer");
	expect_error(NULL, "/thing/show?verbose=maybe", 400, CTL_RPC_INVALID_PARAMS,
		     "verbose: expected true or false");
	expect_error(NULL, "/thing/show?n", 400, CTL_RPC_INVALID_PARAMS, "n: missing value");
	expect_error(NULL, "/thing/show?=1", 400, CTL_RPC_INVALID_PARAMS, "is not key=value");
	expect_error(NULL, "/thing/show?n=1&n=2", 400, CTL_RPC_INVALID_PARAMS, "n: given twice");
	/* The schema's own checks come from the dispatcher. */
	expect_error(NULL, "/thing/show?n=101", 400, CTL_RPC_INVALID_PARAMS,
		     "n: expected an integer in 0..100, got 101");
	expect_error(NULL, "/thing/show?colour=red", 400, CTL_RPC_INVALID_PARAMS,
		     "unknown parameter 'colour'");
	expect_error(OPTS("-m", "post"), "/thing/add?id=3&name=x&mac=02:00", 400,
		     CTL_RPC_INVALID_PARAMS, "mac: invalid MAC address");
	expect_error(OPTS("-m", "post", "-t", "50", "-e", "{\"id\":3}"), "/thing/add", 400,
		     CTL_RPC_INVALID_PARAMS, "missing parameter 'name'");
	/* Payloads that are not a JSON object. */
	expect_error(OPTS("-m", "post", "-t", "50", "-e", "[1,2]"), "/thing/add", 400,
		     CTL_RPC_INVALID_PARAMS, "payload must be a JSON object");
	expect_error(OPTS("-m", "post", "-t", "50", "-e", "{\"id\":"), "/thing/add", 400,
		     CTL_RPC_PARSE_ERROR, "payload is not JSON");
	expect_error(OPTS("-m", "post", "-t", "50", "-e", "{\"id\":1,\"id\":2}"), "/thing/add", 400,
		     CTL_RPC_PARSE_ERROR, "duplicate");
	/* The same key in the payload and the query. */
	expect_error(OPTS("-m", "post", "-t", "50", "-e", "{\"n\":1}"), "/thing/show?n=2", 400,
		     CTL_RPC_INVALID_PARAMS, "n: given twice");

	/* 4.04: no such resource, and a handler's ENOENT. */
	expect_error(NULL, "/nothing", 404, CTL_RPC_METHOD_NOT_FOUND, "no resource /nothing");
	expect_error(OPTS("-m", "post"), "/thing/show/more", 404, CTL_RPC_METHOD_NOT_FOUND,
		     "no resource");
	expect_error(OPTS("-m", "delete"), "/thing?id=999", 404, CTL_RPC_NOT_FOUND,
		     "thing 999 not found");

	/* 4.05: GET on a method that writes; verbs a resource does not map. */
	expect_error(NULL, "/thing/add", 405, CTL_RPC_METHOD_NOT_FOUND,
		     "GET is not allowed on /thing/add (allowed: POST PUT)");
	expect_error(OPTS("-m", "delete"), "/thing/show", 405, CTL_RPC_METHOD_NOT_FOUND,
		     "DELETE is not allowed");
	expect_error(OPTS("-m", "delete"), "/stats", 405, CTL_RPC_METHOD_NOT_FOUND,
		     "(allowed: GET)");
	expect_error(OPTS("-m", "fetch"), "/thing", 405, CTL_RPC_METHOD_NOT_FOUND,
		     "FETCH is not allowed");

	/* 4.06: answers are JSON only. */
	expect_error(OPTS("-A", "0"), "/stats", 406, CTL_RPC_INVALID_REQUEST, "application/json");

	/* 4.09: EEXIST from the handler, and nothing added. */
	pthread_mutex_lock(&ts.lock);
	adds = ts.adds;
	pthread_mutex_unlock(&ts.lock);
	expect_error(OPTS("-m", "post"), "/thing?id=2&name=again&mac=02:00:00:00:00:09", 409,
		     CTL_RPC_EXISTS, "thing 2 exists");
	pthread_mutex_lock(&ts.lock);
	assert_int_equal(ts.adds, adds);
	pthread_mutex_unlock(&ts.lock);

	/* 4.13: a payload over max_payload, with Size1 telling the limit. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "{\"name\":\"", 9);
	memcpy(big + sizeof(big) - 3, "\"}", 3);
	coap(&r, OPTS("-m", "post", "-t", "50", "-e", big), "/thing/add");
	assert_error(&r, 413, CTL_RPC_TOO_BIG, "larger than 1024");
	assert_non_null(strstr(r.out, "Size1:1024"));
	reply_free(&r);

	/* 4.15: a payload that is not application/json, or says nothing. */
	expect_error(OPTS("-m", "post", "-t", "0", "-e", "{\"n\":1}"), "/thing/show", 415,
		     CTL_RPC_INVALID_REQUEST, "content-format 50");
	expect_error(OPTS("-m", "post", "-t", "60", "-e", "{\"n\":1}"), "/thing/show", 415,
		     CTL_RPC_INVALID_REQUEST, "content-format 50");
	expect_error(OPTS("-m", "post", "-e", "{\"n\":1}"), "/thing/show", 415,
		     CTL_RPC_INVALID_REQUEST, "content-format 50");

	/* The errno mapping of handler failures, with strerror() as the message. */
	expect_error(OPTS("-m", "post"), "/fail/run?err=16", 409, CTL_RPC_BUSY,
		     "Device or resource busy");
	expect_error(OPTS("-m", "post"), "/fail/run?err=110", 503, CTL_RPC_TIMEOUT, "timed out");
	expect_error(OPTS("-m", "post"), "/fail/run?err=7", 413, CTL_RPC_TOO_BIG, "too long");
	expect_error(OPTS("-m", "post"), "/fail/run?err=28", 500, CTL_RPC_NO_SPACE,
		     "No space left");
	expect_error(OPTS("-m", "post"), "/fail/run?err=22", 400, CTL_RPC_INVALID_PARAMS,
		     "Invalid argument");

	/* The endpoint still works. */
	coap(&r, NULL, "/stats");
	assert_code(&r, 205);
	reply_free(&r);
}

/** Large answers go block-wise (RFC 7959), large requests too. */
static void
test_blockwise(void **state)
{
	json_t *got, *want;
	struct reply r;
	char body[900];
	char *text;

	(void)state;
	text = fetch_body("/big");
	got = json_loads(text, 0, NULL);
	if (got == NULL)
		fail_msg("the answer is not JSON: %.200s", text);
	free(text);
	want = big_result();
	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);

	/* The client asked for the following blocks. */
	coap(&r, NULL, "/big");
	assert_code(&r, 205);
	assert_non_null(strstr(r.out, "Block2:1/"));
	reply_free(&r);

	/* A 900-byte request in 64-byte blocks is put together for the handler. */
	memset(body, ' ', sizeof(body));
	memcpy(body, "{\"n\":7", 6);
	memcpy(body + sizeof(body) - 2, "}", 2);
	coap(&r, OPTS("-m", "post", "-b", "64", "-t", "50", "-e", body), "/thing/show");
	assert_code(&r, 204);
	assert_non_null(strstr(r.out, "Block1:0/M/64"));
	assert_int_equal(body_int(&r, "n"), 7);
	reply_free(&r);

	/* Too large: refused at the first block, from its Size1, before any is kept. */
	{
		char huge[3000];

		memset(huge, ' ', sizeof(huge));
		memcpy(huge, "{\"n\":7", 6);
		memcpy(huge + sizeof(huge) - 2, "}", 2);
		coap(&r, OPTS("-m", "post", "-b", "256", "-t", "50", "-e", huge), "/thing/show");
		assert_error(&r, 413, CTL_RPC_TOO_BIG, "payload of 2999 bytes is larger than 1024");
		assert_null(strstr(r.out, "Block1:1/"));
		reply_free(&r);
	}
}

/** Count the occurrences of @p needle in @p s. */
static unsigned int
count_of(const char *s, const char *needle)
{
	unsigned int n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/** Observers of /stats get a notification when, and only when, the result changes. */
static void
test_observe(void **state)
{
	char url[128];
	struct proc p;

	(void)state;
	pthread_mutex_lock(&ts.lock);
	ts.stats_value = 41;
	pthread_mutex_unlock(&ts.lock);
	snprintf(url, sizeof(url), "coap://127.0.0.1:%u/stats", port);
	proc_start(&p, OPTS(CLIENT, "-B", "8", "-s", "3", url));
	if (!proc_read(&p, "{\"value\":41}", 5000)) {
		kill(p.pid, SIGKILL);
		proc_finish(&p, 1000);
		fail_msg("no first answer; client said:\n%s", p.out);
	}
	/* Several observe intervals without a change. */
	usleep(500 * 1000);
	pthread_mutex_lock(&ts.lock);
	ts.stats_value = 42;
	pthread_mutex_unlock(&ts.lock);
	if (!proc_read(&p, "{\"value\":42}", 3000)) {
		kill(p.pid, SIGKILL);
		proc_finish(&p, 1000);
		fail_msg("no notification; client said:\n%s", p.out);
	}
	proc_finish(&p, CLIENT_DEADLINE_MS);
	/* One answer, one notification: nothing is sent while nothing changes. */
	assert_int_equal(count_of(p.out, "\"value\":"), 2);
	free(p.out);
}

/** Run coap-client-openssl against the DTLS port. */
static void
coaps(struct proc *p, const char *identity, const char *key, const char *path)
{
	char url[128];

	snprintf(url, sizeof(url), "coaps://127.0.0.1:%u%s", dtls_port, path);
	proc_start(p, OPTS(CLIENT_DTLS, "-B", "3", "-u", identity, "-k", key, url));
	proc_finish(p, CLIENT_DEADLINE_MS);
}

static void
test_dtls(void **state)
{
	struct proc p;

	(void)state;
	if (!have_dtls)
		skip();
	coaps(&p, PSK_ID, PSK_KEY, "/thing/show?n=9");
	if (strstr(p.out, "\"n\":9") == NULL)
		fail_msg("no answer over DTLS; client said:\n%s", p.out);
	free(p.out);

	coaps(&p, PSK_ID, "wrong-key", "/thing/show?n=9");
	if (strstr(p.out, "\"n\":9") != NULL)
		fail_msg("answer with a wrong key:\n%s", p.out);
	free(p.out);

	coaps(&p, "somebody-else", PSK_KEY, "/thing/show?n=9");
	if (strstr(p.out, "\"n\":9") != NULL)
		fail_msg("answer with a wrong identity:\n%s", p.out);
	free(p.out);

	/* Plain CoAP is still served beside DTLS. */
	{
		struct reply r;

		coap(&r, NULL, "/stats");
		assert_code(&r, 205);
		reply_free(&r);
	}
}

/** Expect ctl_coap_create() to fail with @p err. */
static void
expect_create_error(const struct ctl_coap_params *p, struct ctl_rpc *table, int err)
{
	struct ctl_coap *c;

	errno = 0;
	c = ctl_coap_create(p, table);
	if (c != NULL) {
		ctl_coap_destroy(c);
		fail_msg("ctl_coap_create() succeeded, expected %s", strerror(err));
	}
	if (errno != err)
		fail_msg("ctl_coap_create(): %s, expected %s", strerror(errno), strerror(err));
}

static void
test_create_errors(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	uint8_t long_key[CTL_COAP_PSK_KEY_LEN + 1];
	char long_id[CTL_COAP_PSK_ID_LEN + 2];
	struct ctl_coap_params p;
	struct ctl_coap *c;
	socklen_t len = sizeof(a);
	int fd;

	(void)state;
	p = test_params();
	expect_create_error(NULL, rpc, EINVAL);
	expect_create_error(&p, NULL, EINVAL);

	p = test_params();
	p.port = 0;
	p.dtls_port = 0;
	expect_create_error(&p, rpc, EINVAL);

	p = test_params();
	p.dtls_port = p.port;
	expect_create_error(&p, rpc, EINVAL);

	p = test_params();
	p.port = free_port();
	p.dtls_port = free_port();
	p.psk_key = NULL;
	expect_create_error(&p, rpc, EINVAL);
	p.psk_key = (const uint8_t *)PSK_KEY;
	p.psk_len = 0;
	expect_create_error(&p, rpc, EINVAL);
	memset(long_key, 'k', sizeof(long_key));
	p.psk_key = long_key;
	p.psk_len = sizeof(long_key);
	expect_create_error(&p, rpc, EINVAL);
	p = test_params();
	p.port = free_port();
	p.dtls_port = free_port();
	p.psk_identity = NULL;
	expect_create_error(&p, rpc, EINVAL);
	p.psk_identity = "";
	expect_create_error(&p, rpc, EINVAL);
	memset(long_id, 'i', sizeof(long_id));
	long_id[sizeof(long_id) - 1] = '\0';
	p.psk_identity = long_id;
	expect_create_error(&p, rpc, EINVAL);

	p = test_params();
	p.port = free_port();
	p.dtls_port = 0;
	for (int i = 0; i < 6; i++) {
		static const char *const bad[] = {
			NULL, "", "300.1.1.1", "localhost", "127.0.0.1:5683", "::1::2"};

		p.address = bad[i];
		expect_create_error(&p, rpc, EINVAL);
	}
	p.address = "127.0.0.1";
	p.observe_interval_ms = CTL_COAP_OBSERVE_MIN_MS - 1;
	expect_create_error(&p, rpc, EINVAL);
	p.observe_interval_ms = CTL_COAP_OBSERVE_MAX_MS + 1;
	expect_create_error(&p, rpc, EINVAL);
	p.observe_interval_ms = 1000;
	p.max_payload = 0;
	expect_create_error(&p, rpc, EINVAL);
	p.max_payload = CTL_COAP_PAYLOAD_MAX + 1;
	expect_create_error(&p, rpc, EINVAL);

	/* The running endpoint's port, and a port held by an ordinary socket. */
	p = test_params();
	p.dtls_port = 0;
	expect_create_error(&p, rpc, EADDRINUSE);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	p.port = ntohs(a.sin_port);
	expect_create_error(&p, rpc, EADDRINUSE);
	if (have_dtls) {
		/* The DTLS port in use, after the plain one was opened and undone. */
		p.dtls_port = p.port;
		p.port = free_port();
		expect_create_error(&p, rpc, EADDRINUSE);
	}
	close(fd);

	/* DTLS refused where libcoap has none. */
	if (!have_dtls) {
		p = test_params();
		p.dtls_port = free_port();
		expect_create_error(&p, rpc, ENOTSUP);
	}

	/* A good second endpoint, on IPv6 where the host has it. */
	p = test_params();
	p.address = "::1";
	p.port = free_port();
	p.dtls_port = 0;
	c = ctl_coap_create(&p, rpc);
	if (c == NULL && errno != EADDRNOTAVAIL && errno != EAFNOSUPPORT)
		fail_msg("ctl_coap_create(::1): %s", strerror(errno));
	if (c != NULL) {
		assert_true(ctl_coap_fd(c) >= 0);
		ctl_coap_process(c);
	}
	ctl_coap_destroy(c);

	ctl_coap_destroy(NULL);
	ctl_coap_process(NULL);
	assert_int_equal(ctl_coap_fd(NULL), -1);
}

/* ------------------------------------------------------------------------- */
/* Hand-made datagrams.                                                      */

/** Append one CoAP option (delta from *last) to buf at *o. */
static void
put_option(uint8_t *buf, size_t *o, unsigned int *last, unsigned int num, const void *val,
	   size_t len)
{
	unsigned int delta = num - *last;
	uint8_t *h = &buf[(*o)++];

	assert_true(delta < 269 && len < 269);
	*h = 0;
	if (delta < 13) {
		*h |= (uint8_t)(delta << 4);
	} else {
		*h |= 13 << 4;
		buf[(*o)++] = (uint8_t)(delta - 13);
	}
	if (len < 13) {
		*h |= (uint8_t)len;
	} else {
		*h |= 13;
		buf[(*o)++] = (uint8_t)(len - 13);
	}
	memcpy(&buf[*o], val, len);
	*o += len;
	*last = num;
}

/** One query option: its bytes and length (it may hold NUL). */
struct qopt {
	const char *s;
	size_t len;
};

#define Q(lit) ((struct qopt){lit, sizeof(lit) - 1})

/** @return a UDP socket connected to the test endpoint. */
static int
raw_open(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/** Start a CON request with a one-byte token in @p buf; @return its length. */
static size_t
raw_header(uint8_t *buf, uint8_t code)
{
	buf[0] = 0x41; /* Version 1, CON, token length 1. */
	buf[1] = code;
	buf[2] = 0; /* The message id is set by raw_exchange(). */
	buf[3] = 0;
	buf[4] = 0x5a;
	return 5;
}

/**
 * Send a request of @p len bytes on @p fd and wait for the answer.
 *
 * @return the response code (e.g. 400), or 0 for no answer; @p body gets the
 *   payload NUL-terminated.
 */
static int
raw_exchange(int fd, uint8_t *buf, size_t len, char *body, size_t bodylen)
{
	static uint16_t mid = 0x4000;
	uint8_t in[2048];
	int ret = 0;
	ssize_t n;

	mid++;
	buf[2] = (uint8_t)(mid >> 8);
	buf[3] = (uint8_t)mid;
	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
	body[0] = '\0';
	for (int64_t end = now_ms() + 3000; now_ms() < end;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		size_t i, tkl;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(fd, in, sizeof(in), 0);
		if (n < 4 || in[2] != (uint8_t)(mid >> 8) || in[3] != (uint8_t)mid)
			continue;
		ret = (in[1] >> 5) * 100 + (in[1] & 0x1f);
		/* Skip the token and the options to the payload marker. */
		tkl = in[0] & 0x0f;
		for (i = 4 + tkl; i < (size_t)n && in[i] != 0xff;) {
			unsigned int d = in[i] >> 4, l = in[i] & 0x0f;

			i++;
			i += d == 13 ? 1 : d == 14 ? 2 : 0;
			if (l == 13)
				l = 13 + in[i++];
			else if (l == 14)
				l = 269 + (in[i] << 8) + in[i + 1], i += 2;
			i += l;
		}
		if (i < (size_t)n) {
			size_t bl = (size_t)n - i - 1;

			if (bl >= bodylen)
				bl = bodylen - 1;
			memcpy(body, &in[i + 1], bl);
			body[bl] = '\0';
		}
		break;
	}
	return ret;
}

/** Append the Uri-Path options of @p path (split at '/'). */
static void
put_path(uint8_t *buf, size_t *o, unsigned int *last, const char *path)
{
	for (const char *s = path; *s != '\0';) {
		size_t l = strcspn(s, "/");

		put_option(buf, o, last, COAP_OPTION_URI_PATH, s, l);
		s += l;
		if (*s == '/')
			s++;
	}
}

/**
 * Send one CON request with Uri-Path segments of @p path, the query
 * options, an optional content-format and payload, from a new socket (a new
 * session); wait for the answer as raw_exchange().
 */
static int
raw_request(uint8_t code, const char *path, const struct qopt *q, size_t nq, int cf,
	    const void *payload, size_t plen, char *body, size_t bodylen)
{
	uint8_t buf[2048];
	unsigned int last = 0;
	size_t o;
	int fd, ret;

	o = raw_header(buf, code);
	put_path(buf, &o, &last, path);
	if (cf >= 0) {
		uint8_t v = (uint8_t)cf;

		put_option(buf, &o, &last, COAP_OPTION_CONTENT_FORMAT, &v, cf > 0 ? 1 : 0);
	}
	for (size_t i = 0; i < nq; i++)
		put_option(buf, &o, &last, COAP_OPTION_URI_QUERY, q[i].s, q[i].len);
	if (plen > 0) {
		buf[o++] = 0xff;
		memcpy(&buf[o], payload, plen);
		o += plen;
	}
	fd = raw_open();
	ret = raw_exchange(fd, buf, o, body, bodylen);
	close(fd);
	return ret;
}

/**
 * POST one Block1 block of 64 bytes of a JSON body to /thing/show on @p fd.
 *
 * @param size1
 *   The Size1 option, or -1 for none.
 * @param tag
 *   The Request-Tag, 0 for none.
 */
static int
raw_block(int fd, unsigned int num, bool more, int64_t size1, uint8_t tag, char *body,
	  size_t bodylen)
{
	uint8_t buf[256], v[4], cf = COAP_MEDIATYPE_APPLICATION_JSON;
	unsigned int last = 0, b1 = num << 4 | (more ? 8u : 0u) | 2u; /* szx 2: 64 bytes. */
	size_t o;

	o = raw_header(buf, COAP_REQUEST_CODE_POST);
	put_path(buf, &o, &last, "thing/show");
	put_option(buf, &o, &last, COAP_OPTION_CONTENT_FORMAT, &cf, 1);
	put_option(buf, &o, &last, COAP_OPTION_BLOCK1, v, coap_encode_var_safe(v, sizeof(v), b1));
	if (size1 >= 0)
		put_option(buf, &o, &last, COAP_OPTION_SIZE1, v,
			   coap_encode_var_safe(v, sizeof(v), (unsigned int)size1));
	if (tag != 0)
		put_option(buf, &o, &last, COAP_OPTION_RTAG, &tag, 1);
	buf[o++] = 0xff;
	/* Block 0 opens the object, the last one closes it, spaces between. */
	memset(&buf[o], ' ', 64);
	if (num == 0)
		memcpy(&buf[o], "{\"n\":7", 6);
	if (!more)
		buf[o + 63] = '}';
	o += 64;
	return raw_exchange(fd, buf, o, body, bodylen);
}

/** Expect a raw request to fail with @p code and a body containing @p what. */
static void
expect_raw(uint8_t method, const char *path, const struct qopt *q, size_t nq, int cf,
	   const char *payload, size_t plen, int code, const char *what)
{
	char body[1024];
	int got;

	got = raw_request(method, path, q, nq, cf, payload, plen, body, sizeof(body));
	if (got != code || strstr(body, what) == NULL)
		fail_msg("%s: expected %d with \"%s\", got %d \"%s\"", path, code, what, got, body);
	/* The body is always valid JSON. */
	if (code >= 400) {
		json_t *j = json_loads(body, 0, NULL);

		if (j == NULL)
			fail_msg("error body is not JSON: %s", body);
		json_decref(j);
	}
}

/** Options and payloads no client would send, then garbage: answered or dropped, never fatal. */
static void
test_malformed(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	char longkey[200], body[1024];
	uint8_t junk[128];
	unsigned int seed = 12345;
	int fd;

	(void)state;
	expect_raw(COAP_REQUEST_CODE_GET, "thing/show", &Q("n=5"), 1, -1, NULL, 0, 205, "\"n\":5");
	/* A NUL inside a value, a key, a string; bytes that are not UTF-8. */
	expect_raw(COAP_REQUEST_CODE_GET, "thing/show", &Q("n=5\0"), 1, -1, NULL, 0, 400,
		   "n: expected an integer");
	expect_raw(COAP_REQUEST_CODE_GET, "thing/show", &Q("n\0x=5"), 1, -1, NULL, 0, 400,
		   "unknown parameter");
	expect_raw(COAP_REQUEST_CODE_POST, "thing/set", (struct qopt[]){Q("id=2"), Q("name=a\0b")},
		   2, -1, NULL, 0, 400, "name: not a valid UTF-8 string");
	expect_raw(COAP_REQUEST_CODE_POST, "thing/set",
		   (struct qopt[]){Q("id=2"), Q("name=\xff\xfe")}, 2, -1, NULL, 0, 400,
		   "name: not a valid UTF-8 string");
	expect_raw(COAP_REQUEST_CODE_GET, "thing/show", &Q("\xff\xfe=1"), 1, -1, NULL, 0, 400,
		   "unknown parameter '\?\?'");
	expect_raw(COAP_REQUEST_CODE_GET, "thing/show", &Q("verbose=\xff"), 1, -1, NULL, 0, 400,
		   "verbose: expected true or false, got '?'");
	expect_raw(COAP_REQUEST_CODE_GET, "thing/show", &Q("=5"), 1, -1, NULL, 0, 400,
		   "is not key=value");
	/* An empty query option: libcoap itself refuses the message. */
	raw_request(COAP_REQUEST_CODE_GET, "thing/show", &Q(""), 1, -1, NULL, 0, body,
		    sizeof(body));
	expect_raw(COAP_REQUEST_CODE_GET, "thing/show", &Q("n=99999999999999999999"), 1, -1, NULL,
		   0, 400, "n: expected an integer");
	memset(longkey, 'k', sizeof(longkey));
	expect_raw(COAP_REQUEST_CODE_GET, "thing/show", &(struct qopt){longkey, sizeof(longkey)}, 1,
		   -1, NULL, 0, 400, "unknown parameter");
	/* JSON payloads: not UTF-8, a NUL, a bare value, content-format 0 (text). */
	expect_raw(COAP_REQUEST_CODE_POST, "thing/show", NULL, 0, 50, "{\"n\":\"\xff\"}", 9, 400,
		   "payload is not JSON");
	expect_raw(COAP_REQUEST_CODE_POST, "thing/show", NULL, 0, 50, "{\"n\":1}\0", 8, 400,
		   "payload is not JSON");
	expect_raw(COAP_REQUEST_CODE_POST, "thing/show", NULL, 0, 50, "1", 1, 400,
		   "payload must be a JSON object");
	expect_raw(COAP_REQUEST_CODE_POST, "thing/show", NULL, 0, 0, "{}", 2, 415,
		   "content-format 50");
	/* Paths that are not resources, with odd bytes. */
	expect_raw(COAP_REQUEST_CODE_GET, "thing/\xff\x01", NULL, 0, -1, NULL, 0, 404,
		   "no resource /thing/%FF%01");
	expect_raw(COAP_REQUEST_CODE_GET, "", NULL, 0, -1, NULL, 0, 404, "no resource");

	/* Block-wise bodies are checked block by block. */
	fd = raw_open();
	assert_int_equal(raw_block(fd, 0, true, 1 << 30, 1, body, sizeof(body)), 413);
	assert_non_null(strstr(body, "larger than 1024"));
	assert_int_equal(raw_block(fd, 0, true, -1, 2, body, sizeof(body)), 231);
	for (unsigned int i = 1; i < 1024 / 64; i++)
		assert_int_equal(raw_block(fd, i, true, -1, 2, body, sizeof(body)), 231);
	assert_int_equal(raw_block(fd, 1024 / 64, true, -1, 2, body, sizeof(body)), 413);
	/* The body was dropped with the 4.13: its next block is out of sequence. */
	assert_int_equal(raw_block(fd, 3, false, -1, 2, body, sizeof(body)), 408);
	assert_int_equal(raw_block(fd, 5, false, -1, 3, body, sizeof(body)), 408);
	/* Ten bodies at once: the two oldest give way to the newest eight. */
	for (uint8_t tag = 10; tag < 20; tag++)
		assert_int_equal(raw_block(fd, 0, true, -1, tag, body, sizeof(body)), 231);
	assert_int_equal(raw_block(fd, 1, false, -1, 19, body, sizeof(body)), 204);
	assert_non_null(strstr(body, "\"n\":7"));
	assert_int_equal(raw_block(fd, 1, false, -1, 10, body, sizeof(body)), 408);
	assert_int_equal(raw_block(fd, 1, true, -1, 12, body, sizeof(body)), 231);
	assert_int_equal(raw_block(fd, 2, false, -1, 12, body, sizeof(body)), 204);
	/* Without a Request-Tag, blocks are matched by client and resource. */
	assert_int_equal(raw_block(fd, 0, true, -1, 0, body, sizeof(body)), 231);
	assert_int_equal(raw_block(fd, 1, false, -1, 0, body, sizeof(body)), 204);
	/* Bodies left unfinished (tags 13 to 18) are freed with the endpoint. */
	close(fd);

	/* Garbage: random bytes, some with a valid-looking header. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	for (int i = 0; i < 2000; i++) {
		size_t len = (size_t)rand_r(&seed) % sizeof(junk);

		for (size_t j = 0; j < len; j++)
			junk[j] = (uint8_t)rand_r(&seed);
		if (len > 1 && i % 2 == 0) {
			junk[0] = (uint8_t)(0x40 | (junk[0] & 0x37));
			junk[1] = (uint8_t)(1 + i % 4);
		}
		sendto(fd, junk, len, 0, (struct sockaddr *)&a, sizeof(a));
		if (i % 200 == 0)
			usleep(10 * 1000);
	}
	close(fd);

	/*
	 * Still serving. The flood may have filled the server's socket buffer,
	 * so the kernel may drop a request sent right after it: retransmit, as
	 * a CoAP client does (bounded).
	 */
	{
		int got = 0;

		for (int try = 0; try < 5 && got != 205; try++)
			got = raw_request(COAP_REQUEST_CODE_GET, "stats", NULL, 0, -1, NULL, 0,
					  body, sizeof(body));
		assert_int_equal(got, 205);
	}
}

int
ctl_test_coap(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_post_put_delete),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_blockwise),
		cmocka_unit_test(test_observe),
		cmocka_unit_test(test_dtls),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests_name("control coap", tests, setup_coap, teardown_coap);
}
