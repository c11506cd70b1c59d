/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the control socket server (control/ctl_server.c), with real
 * unix sockets in a private directory.
 *
 * The server and the test's clients run in one thread: whenever a client
 * waits for something, the helpers turn the server's loop with short
 * timeouts, and every wait has a deadline, so a bug fails a test instead of
 * hanging it.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctl_rpc.h"
#include "ctl_server.h"
#include "ctl_test.h"

/** Deadline of every wait, in ms. */
#define WAIT_MS 5000
/** The unprivileged user and group of the peer credential tests. */
#define NOBODY 65534

/** One test's server and files. */
struct tsrv {
	char dir[32];		/**< mkdtemp() directory, removed with its content. */
	char path[96];		/**< Socket path. */
	struct ctl_rpc *rpc;	/**< Methods. */
	struct ctl_server *srv; /**< The server, when started. */
	unsigned int bumps;	/**< Calls of t.bump. */
};

/** A test client: a non-blocking socket and what it received. */
struct tcli {
	int fd;
	char *buf;  /**< Received bytes not yet taken as lines. */
	size_t len; /**< Bytes in @p buf. */
	size_t cap; /**< Size of @p buf. */
};

static const struct ctl_param big_params[] = {
	{.name = "size", .type = CTL_P_INT, .required = true, .min = 0, .max = 64 << 20},
	{.name = NULL},
};

/** Return a string of params.size bytes. */
static int
h_big(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	size_t size = (size_t)ctl_param_int(params, "size", 0);
	char *s;

	(void)ctx;
	(void)err;
	(void)errlen;
	s = malloc(size + 1);
	if (s == NULL)
		return -ENOMEM;
	memset(s, 'b', size);
	s[size] = '\0';
	*result = json_stringn(s, size);
	free(s);
	return *result != NULL ? 0 : -ENOMEM;
}

/** Count calls; for notifications. */
static int
h_bump(void *ctx, const json_t *params, json_t **result, char *err, size_t errlen)
{
	struct tsrv *t = ctx;

	(void)params;
	(void)err;
	(void)errlen;
	t->bumps++;
	*result = json_integer(t->bumps);
	return 0;
}

static const struct ctl_method srv_methods[] = {
	{.name = "t.big", .help = "A large result", .params = big_params, .handler = h_big},
	{.name = "t.bump", .help = "Count calls", .handler = h_bump},
	{.name = NULL},
};

/** @return the monotonic clock in ms. */
static uint64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/** Default settings for the test's path. */
static struct ctl_server_params
params_for(const struct tsrv *t)
{
	return (struct ctl_server_params){
		.path = t->path,
		.max_clients = 8,
		.max_request = 4096,
		.max_output = 8u << 20,
	};
}

/** Start the test's server with @p p. */
static void
start(struct tsrv *t, const struct ctl_server_params *p)
{
	t->srv = ctl_server_create(p, t->rpc);
	if (t->srv == NULL)
		fail_msg("ctl_server_create(%s): %s", p->path, strerror(errno));
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup_srv(void **state)
{
	struct tsrv *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/mflowd-srv-XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		goto out_free;
	snprintf(t->path, sizeof(t->path), "%s/ctl.sock", t->dir);
	t->rpc = ctl_rpc_create(t);
	if (t->rpc == NULL || ctl_rpc_register_all(t->rpc, srv_methods) != 0)
		goto out_rm;
	*state = t;
	return 0;

out_rm:
	ctl_rpc_destroy(t->rpc);
	rmdir(t->dir);
out_free:
	free(t);
	return -1;
}

static int
teardown_srv(void **state)
{
	struct tsrv *t = *state;

	ctl_server_destroy(t->srv);
	ctl_rpc_destroy(t->rpc);
	nftw(t->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Client helpers.                                                           */

/** Connect to @p path; the socket is non-blocking. @return 0 or -errno. */
static int
cli_open(struct tcli *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memset(c, 0, sizeof(*c));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int ret = -errno;

		close(c->fd);
		c->fd = -1;
		return ret;
	}
	assert_int_equal(fcntl(c->fd, F_SETFL, O_NONBLOCK), 0);
	return 0;
}

/** Connect, which must work. */
static void
cli_connect(struct tcli *c, const char *path)
{
	int ret = cli_open(c, path);

	if (ret != 0)
		fail_msg("connect(%s): %s", path, strerror(-ret));
}

static void
cli_close(struct tcli *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

/** Send all of @p len bytes, serving the server while the socket is full. */
static void
cli_sendn(struct tsrv *t, struct tcli *c, const char *s, size_t len)
{
	uint64_t end = ms_now() + WAIT_MS;
	ssize_t n;

	while (len > 0) {
		n = send(c->fd, s, len, MSG_NOSIGNAL);
		if (n > 0) {
			s += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			fail_msg("send: %s", strerror(errno));
		if (ms_now() > end)
			fail_msg("send: timed out");
		ctl_server_poll(t->srv, 10);
	}
}

static void
cli_send(struct tsrv *t, struct tcli *c, const char *s)
{
	cli_sendn(t, c, s, strlen(s));
}

/**
 * Receive what is there without waiting.
 *
 * @return
 *   Bytes received, 0 if none yet, -1 at the end of the stream (EOF or
 *   ECONNRESET).
 */
static ssize_t
cli_pull(struct tcli *c)
{
	ssize_t n;

	if (c->cap - c->len < 65536) {
		c->cap = c->cap * 2 + 65536;
		c->buf = realloc(c->buf, c->cap);
		assert_non_null(c->buf);
	}
	n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, MSG_DONTWAIT);
	if (n > 0) {
		c->len += (size_t)n;
		return n;
	}
	if (n == 0 || errno == ECONNRESET)
		return -1;
	if (errno != EAGAIN)
		fail_msg("recv: %s", strerror(errno));
	return 0;
}

/**
 * Take one line (without its newline) from what was received, serving the
 * server until it comes.
 *
 * @return
 *   The line, malloc'd, or NULL at the end of the stream.
 */
static char *
cli_line(struct tsrv *t, struct tcli *c)
{
	uint64_t end = ms_now() + WAIT_MS;
	bool eof = false;
	char *nl, *line;
	size_t n;

	for (;;) {
		nl = c->len > 0 ? memchr(c->buf, '\n', c->len) : NULL;
		if (nl != NULL)
			break;
		if (eof)
			return NULL;
		if (cli_pull(c) < 0) {
			eof = true;
			continue;
		}
		if (ms_now() > end)
			fail_msg("no answer within %d ms (%zu bytes pending)", WAIT_MS, c->len);
		if (t->srv != NULL)
			ctl_server_poll(t->srv, 5);
	}
	n = (size_t)(nl - c->buf);
	line = malloc(n + 1);
	assert_non_null(line);
	memcpy(line, c->buf, n);
	line[n] = '\0';
	memmove(c->buf, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	return line;
}

/** Receive one line and compare it with @p want. */
static void
expect_line(struct tsrv *t, struct tcli *c, const char *want)
{
	char *got = cli_line(t, c);

	if (got == NULL)
		fail_msg("expected %s, got the end of the stream", want);
	if (strcmp(got, want) != 0)
		fail_msg("expected %s\n  got %s", want, got);
	free(got);
}

/** Receive one line that must contain @p part. */
static void
expect_line_has(struct tsrv *t, struct tcli *c, const char *part)
{
	char *got = cli_line(t, c);

	if (got == NULL)
		fail_msg("expected a line with %s, got the end of the stream", part);
	if (strstr(got, part) == NULL)
		fail_msg("expected a line with %s\n  got %s", part, got);
	free(got);
}

/** Wait until the server closes the client's connection; nothing else may come. */
static void
expect_closed(struct tsrv *t, struct tcli *c)
{
	char *got = cli_line(t, c);

	if (got != NULL)
		fail_msg("expected the end of the stream, got %s", got);
}

/** Serve until the server has @p n clients. */
static void
wait_clients(struct tsrv *t, unsigned int n)
{
	uint64_t end = ms_now() + WAIT_MS;

	while (ctl_server_clients(t->srv) != n) {
		if (ms_now() > end)
			fail_msg("expected %u clients, have %u", n, ctl_server_clients(t->srv));
		ctl_server_poll(t->srv, 5);
	}
}

/** A request for method @p m with id @p id, newline-terminated (static buffer). */
static const char *
req(const char *m, int id)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"id\":%d}\n", m, id);
	return buf;
}

/* ------------------------------------------------------------------------- */
/* Creation.                                                                 */

static void
test_create_errors(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t), bad;
	char longpath[200];

	ctl_server_destroy(NULL);
	assert_int_equal(ctl_server_clients(NULL), 0);
	assert_int_equal(ctl_server_poll(NULL, 0), -EINVAL);
	assert_int_equal(ctl_server_watch_fd(NULL, 0, NULL, NULL), -EINVAL);

	errno = 0;
	assert_null(ctl_server_create(NULL, t->rpc));
	assert_int_equal(errno, EINVAL);
	assert_null(ctl_server_create(&p, NULL));
	assert_int_equal(errno, EINVAL);
	for (int i = 0; i < 8; i++) {
		bad = p;
		switch (i) {
		case 0:
			bad.path = NULL;
			break;
		case 1:
			bad.path = "";
			break;
		case 2:
			bad.max_clients = 0;
			break;
		case 3:
			bad.max_clients = 1025;
			break;
		case 4:
			bad.max_request = 63;
			break;
		case 5:
			bad.max_request = (16u << 20) + 1;
			break;
		case 6:
			bad.max_output = 0;
			break;
		default:
			memset(longpath, 'a', sizeof(longpath) - 1);
			longpath[0] = '/';
			longpath[sizeof(longpath) - 1] = '\0';
			bad.path = longpath;
			break;
		}
		errno = 0;
		assert_null(ctl_server_create(&bad, t->rpc));
		assert_int_equal(errno, i < 7 ? EINVAL : ENAMETOOLONG);
	}

	/* Only the last directory is created. */
	snprintf(longpath, sizeof(longpath), "%s/no/such/ctl.sock", t->dir);
	bad = p;
	bad.path = longpath;
	assert_null(ctl_server_create(&bad, t->rpc));
	assert_int_equal(errno, ENOENT);

	/* The limits themselves are accepted. */
	bad = p;
	bad.max_clients = 1024;
	bad.max_request = 16u << 20;
	start(t, &bad);
	ctl_server_destroy(t->srv);
	t->srv = NULL;
	bad.max_clients = 1;
	bad.max_request = 64;
	bad.max_output = 1;
	start(t, &bad);
}

static void
test_socket_file(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);
	char dir[48];
	struct stat st;
	gid_t gid = geteuid() == 0 ? NOBODY : getegid();
	mode_t old;

	snprintf(dir, sizeof(dir), "%s/run", t->dir);
	snprintf(t->path, sizeof(t->path), "%s/ctl.sock", dir);
	p.has_group = true;
	p.group = gid;
	/* The modes do not depend on the umask. */
	old = umask(0);
	start(t, &p);
	umask(old);

	assert_int_equal(lstat(t->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, gid);
	assert_int_equal(lstat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(st.st_gid, gid);

	/* Destroy removes the socket file but not the directory. */
	ctl_server_destroy(t->srv);
	t->srv = NULL;
	assert_int_equal(lstat(t->path, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(lstat(dir, &st), 0);

	/* An existing directory is left as it is; without a group the socket keeps ours. */
	assert_int_equal(chmod(dir, 0700), 0);
	p.has_group = false;
	old = umask(077);
	start(t, &p);
	umask(old);
	assert_int_equal(lstat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(lstat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
}

static void
test_stale_replaced(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct tcli c;
	int fd;

	/* A socket file nobody listens on, as a crashed daemon leaves it. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", t->path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(cli_open(&c, t->path), -ECONNREFUSED);

	start(t, &p);
	cli_connect(&c, t->path);
	cli_send(t, &c, req("t.bump", 1));
	expect_line(t, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}");
	cli_close(&c);
}

static void
test_live_in_use(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t), q;
	char file[160];
	struct tcli c;
	struct stat st;
	FILE *f;

	start(t, &p);
	errno = 0;
	assert_null(ctl_server_create(&p, t->rpc));
	assert_int_equal(errno, EADDRINUSE);
	/* The first server's file survived the attempt and still answers. */
	cli_connect(&c, t->path);
	cli_send(t, &c, req("t.bump", 1));
	expect_line(t, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}");
	cli_close(&c);

	/* A file that is not a socket is never removed. */
	snprintf(file, sizeof(file), "%s/plain", t->dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("keep me\n", f);
	fclose(f);
	q = p;
	q.path = file;
	errno = 0;
	assert_null(ctl_server_create(&q, t->rpc));
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(lstat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 8);
}

/* ------------------------------------------------------------------------- */
/* Requests.                                                                 */

static void
test_request_response(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);
	uint64_t end = ms_now() + WAIT_MS;
	struct tcli c;
	int answered = 0;
	char *line;

	start(t, &p);
	cli_connect(&c, t->path);
	wait_clients(t, 1);
	cli_send(t, &c, req("list", 7));
	/* The poll's return counts the answers. */
	while (answered == 0 && ms_now() < end)
		answered = ctl_server_poll(t->srv, 10);
	assert_int_equal(answered, 1);
	expect_line(t, &c,
		    "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[\"list\",\"help\",\"t.big\",\"t."
		    "bump\"]}");

	/* A line that is not JSON gets a parse error and the connection stays. */
	cli_send(t, &c, "{oops\n");
	line = cli_line(t, &c);
	assert_non_null(line);
	assert_non_null(strstr(line, "\"code\":-32700"));
	free(line);
	cli_send(t, &c, req("t.bump", 8));
	expect_line(t, &c, "{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":1}");
	assert_int_equal(ctl_server_clients(t->srv), 1);
	cli_close(&c);
	wait_clients(t, 0);
}

static void
test_many_in_one_write(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);
	char buf[1024];
	struct tcli c;

	start(t, &p);
	cli_connect(&c, t->path);
	/* Requests, a notification, blank lines and CRLF, in one write. */
	snprintf(buf, sizeof(buf),
		 "{\"jsonrpc\":\"2.0\",\"method\":\"t.bump\",\"id\":1}\n"
		 "\n"
		 "{\"jsonrpc\":\"2.0\",\"method\":\"t.bump\"}\r\n"
		 "  \t\r\n"
		 "\r\n"
		 "{\"jsonrpc\":\"2.0\",\"method\":\"t.bump\",\"id\":3}\r\n"
		 "[{\"jsonrpc\":\"2.0\",\"method\":\"t.bump\",\"id\":4},"
		 "{\"jsonrpc\":\"2.0\",\"method\":\"t.bump\",\"id\":5}]\n");
	cli_send(t, &c, buf);
	expect_line(t, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}");
	expect_line(t, &c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":3}");
	expect_line(t, &c,
		    "[{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":4},"
		    "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":5}]");
	assert_int_equal(t->bumps, 5);
	/* Nothing else came: blank lines and the notification got no answer. */
	assert_int_equal(cli_pull(&c), 0);
	assert_int_equal(c.len, 0);
	cli_close(&c);
}

static void
test_split_bytes(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);
	const char *r = req("t.bump", 42);
	struct tcli c;

	start(t, &p);
	cli_connect(&c, t->path);
	for (size_t i = 0; r[i] != '\0'; i++) {
		cli_sendn(t, &c, r + i, 1);
		assert_true(ctl_server_poll(t->srv, 1) >= 0);
		if (r[i + 1] != '\0')
			assert_int_equal(t->bumps, 0);
	}
	expect_line(t, &c, "{\"jsonrpc\":\"2.0\",\"id\":42,\"result\":1}");
	cli_close(&c);
}

/** A client that shuts down its writing side still gets its answers, the last line too. */
static void
test_half_close(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);
	struct tcli c;
	uint64_t end;

	start(t, &p);
	cli_connect(&c, t->path);
	cli_send(t, &c,
		 "{\"jsonrpc\":\"2.0\",\"method\":\"t.bump\",\"id\":1}\n"
		 "{\"jsonrpc\":\"2.0\",\"method\":\"t.bump\",\"id\":2}");
	assert_int_equal(shutdown(c.fd, SHUT_WR), 0);
	expect_line(t, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}");
	expect_line(t, &c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":2}");
	expect_closed(t, &c);
	wait_clients(t, 0);
	cli_close(&c);

	/* A notification sent just before closing still runs. */
	cli_connect(&c, t->path);
	cli_send(t, &c, "{\"jsonrpc\":\"2.0\",\"method\":\"t.bump\"}\n");
	cli_close(&c);
	end = ms_now() + WAIT_MS;
	while (t->bumps != 3) {
		assert_true(ms_now() < end);
		ctl_server_poll(t->srv, 5);
	}
	wait_clients(t, 0);
}

static void
test_oversize_line(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);
	char line[256];
	struct tcli c;
	int n;

	p.max_request = 64;
	start(t, &p);

	/* A line of exactly max_request bytes is served. */
	cli_connect(&c, t->path);
	n = snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":\"t.bump\",\"id\":1}");
	memset(line + n, ' ', 64 - (size_t)n);
	line[64] = '\n';
	line[65] = '\0';
	cli_send(t, &c, line);
	expect_line(t, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}");

	/* One byte more is refused, after the answers to the lines before it. */
	cli_send(t, &c, req("t.bump", 2));
	line[64] = ' ';
	line[65] = '\n';
	line[66] = '\0';
	cli_send(t, &c, line);
	expect_line(t, &c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":2}");
	expect_line(t, &c,
		    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32009,\"message\":"
		    "\"request too large: more than 64 bytes\"}}");
	expect_closed(t, &c);
	wait_clients(t, 0);
	assert_int_equal(t->bumps, 2);
	cli_close(&c);

	/* So is a long line without a newline yet. */
	cli_connect(&c, t->path);
	memset(line, 'x', 200);
	cli_sendn(t, &c, line, 200);
	expect_line_has(t, &c, "\"code\":-32009");
	expect_closed(t, &c);
	cli_close(&c);
}

static void
test_max_clients(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);
	struct tcli c[4];

	p.max_clients = 2;
	start(t, &p);
	cli_connect(&c[0], t->path);
	cli_connect(&c[1], t->path);
	wait_clients(t, 2);
	cli_connect(&c[2], t->path);
	expect_line(t, &c[2],
		    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32003,\"message\":"
		    "\"too many clients (at most 2)\"}}");
	expect_closed(t, &c[2]);
	cli_close(&c[2]);
	assert_int_equal(ctl_server_clients(t->srv), 2);

	/* The others are still served; a freed slot takes a new client. */
	cli_send(t, &c[1], req("t.bump", 1));
	expect_line(t, &c[1], "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}");
	cli_close(&c[0]);
	wait_clients(t, 1);
	cli_connect(&c[3], t->path);
	wait_clients(t, 2);
	cli_send(t, &c[3], req("t.bump", 2));
	expect_line(t, &c[3], "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":2}");
	cli_close(&c[1]);
	cli_close(&c[3]);
}

/** A client that never reads its large answer does not hold up another one. */
static void
test_slow_reader(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);
	size_t big = 4u << 20, got = 0;
	struct tcli slow, fast;
	uint64_t end;
	char *line;

	start(t, &p);
	cli_connect(&slow, t->path);
	cli_connect(&fast, t->path);
	wait_clients(t, 2);
	cli_send(t, &slow,
		 "{\"jsonrpc\":\"2.0\",\"method\":\"t.big\",\"params\":{\"size\":4194304},"
		 "\"id\":1}\n");
	cli_send(t, &slow, req("t.bump", 2));
	for (int i = 0; i < 20; i++) {
		cli_send(t, &fast, req("t.bump", 100 + i));
		line = cli_line(t, &fast);
		assert_non_null(line);
		assert_non_null(strstr(line, "\"result\":"));
		free(line);
	}
	/* The slow client is still there and its second request waits behind the answer. */
	assert_int_equal(ctl_server_clients(t->srv), 2);
	assert_int_equal(t->bumps, 20);

	/* Once it reads, it gets everything in order. */
	end = ms_now() + WAIT_MS;
	while (slow.len == 0 || memchr(slow.buf, '\n', slow.len) == NULL) {
		ssize_t n = cli_pull(&slow);

		assert_true(n >= 0);
		got += (size_t)n;
		/* Keep the tail of the big answer only. */
		if (slow.len > 65536 && memchr(slow.buf, '\n', slow.len) == NULL) {
			memmove(slow.buf, slow.buf + slow.len - 64, 64);
			slow.len = 64;
		}
		if (ms_now() > end)
			fail_msg("big answer: %zu of %zu bytes", got, big);
		ctl_server_poll(t->srv, 1);
	}
	assert_true(got > big);
	line = cli_line(t, &slow);
	assert_non_null(line);
	assert_non_null(strstr(line, "bbbbbbbb\"}"));
	free(line);
	expect_line(t, &slow, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":21}");
	cli_close(&slow);
	cli_close(&fast);
}

/** A client whose unread answers exceed max_output is closed; others go on. */
static void
test_output_limit(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);
	struct tcli slow, fast;

	p.max_output = 256 * 1024;
	start(t, &p);
	cli_connect(&slow, t->path);
	cli_connect(&fast, t->path);
	wait_clients(t, 2);
	cli_send(t, &slow,
		 "{\"jsonrpc\":\"2.0\",\"method\":\"t.big\",\"params\":{\"size\":2097152},"
		 "\"id\":1}\n");
	wait_clients(t, 1);
	cli_send(t, &fast, req("t.bump", 1));
	expect_line(t, &fast, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}");
	cli_close(&slow);
	cli_close(&fast);
}

/** A client flooding requests does not starve another one. */
static void
test_fairness(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);
	size_t len = 0, cap = 200 * 64;
	struct tcli flood, other;
	char *many, *line;
	int answered;

	start(t, &p);
	cli_connect(&flood, t->path);
	cli_connect(&other, t->path);
	wait_clients(t, 2);
	many = malloc(cap);
	assert_non_null(many);
	for (int i = 0; i < 200; i++)
		len += (size_t)snprintf(many + len, cap - len,
					"{\"jsonrpc\":\"2.0\",\"method\":\"list\",\"id\":%d}\n", i);
	cli_sendn(t, &flood, many, len);
	free(many);
	cli_send(t, &other, req("t.bump", 1));

	/* One round answers the other client and only a part of the flood. */
	answered = ctl_server_poll(t->srv, 1000);
	assert_true(answered >= 2);
	assert_true(answered <= 100);
	assert_true(cli_pull(&other) > 0);
	expect_line(t, &other, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}");

	/* The flood is answered in full and in order. */
	for (int i = 0; i < 200; i++) {
		char want[32];

		line = cli_line(t, &flood);
		assert_non_null(line);
		snprintf(want, sizeof(want), "\"id\":%d,", i);
		if (strstr(line, want) == NULL)
			fail_msg("answer %d: %s", i, line);
		free(line);
	}
	cli_close(&flood);
	cli_close(&other);
}

/** A client that goes away before its answers are sent costs nothing (no SIGPIPE). */
static void
test_peer_gone(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);
	struct tcli c;

	start(t, &p);
	for (int i = 0; i < 3; i++) {
		cli_connect(&c, t->path);
		cli_send(t, &c,
			 "{\"jsonrpc\":\"2.0\",\"method\":\"t.big\",\"params\":{\"size\":1048576},"
			 "\"id\":1}\n");
		/* Gone before the accept, before the request, or after the answer is queued. */
		if (i >= 1)
			wait_clients(t, 1);
		if (i == 2) {
			uint64_t end = ms_now() + WAIT_MS;

			while (ctl_server_poll(t->srv, 10) == 0)
				assert_true(ms_now() < end);
		}
		cli_close(&c);
		wait_clients(t, 0);
	}
	/* The server still works. */
	cli_connect(&c, t->path);
	cli_send(t, &c, req("t.bump", 1));
	expect_line(t, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}");
	cli_close(&c);
}

static void
test_destroy_closes(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);
	struct tcli c;
	struct stat st;

	start(t, &p);
	cli_connect(&c, t->path);
	wait_clients(t, 1);
	ctl_server_destroy(t->srv);
	t->srv = NULL;
	expect_closed(t, &c);
	cli_close(&c);
	assert_int_equal(lstat(t->path, &st), -1);
	assert_int_equal(cli_open(&c, t->path), -ENOENT);
}

/* ------------------------------------------------------------------------- */
/* Peer credentials.                                                         */

/**
 * In a child: become @p uid/@p gid, connect, send a request and check the
 * first line received. Exits 0 on success, with a code naming the step
 * that failed otherwise.
 */
static void __attribute__((noreturn))
child_client(const char *path, uid_t uid, gid_t gid, const char *want)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = WAIT_MS / 1000};
	char buf[512];
	size_t len = 0;
	ssize_t n;
	int fd;

	if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
		_exit(10);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
		_exit(11);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		_exit(12);
	(void)send(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"t.bump\",\"id\":1}\n", 43, MSG_NOSIGNAL);
	while (len < sizeof(buf) - 1 && memchr(buf, '\n', len) == NULL) {
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0)
			_exit(13);
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (strstr(buf, want) == NULL)
		_exit(14);
	_exit(0);
}

/** Run child_client() while serving; @return its exit status. */
static int
run_child(struct tsrv *t, uid_t uid, gid_t gid, const char *want)
{
	uint64_t end = ms_now() + WAIT_MS * 2;
	int status = 0;
	pid_t pid, w;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_client(t->path, uid, gid, want);
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (ms_now() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("the child did not finish");
		}
		ctl_server_poll(t->srv, 5);
	}
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_peer_credentials(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);

	if (geteuid() != 0) {
		print_message("peer credential test needs root: skipped\n");
		skip();
	}
	/* Let anyone reach the socket, so that only the credential check refuses. */
	assert_int_equal(chmod(t->dir, 0711), 0);
	p.has_group = true;
	p.group = NOBODY - 1;
	start(t, &p);
	assert_int_equal(chmod(t->path, 0666), 0);

	/* Another user, outside the group. */
	assert_int_equal(run_child(t, NOBODY, NOBODY,
				   "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32007,"
				   "\"message\":\"permission denied: uid 65534 is not allowed\"}}"),
			 0);
	assert_int_equal(t->bumps, 0);
	/* Another user whose primary group is the socket's group. */
	assert_int_equal(
		run_child(t, NOBODY, NOBODY - 1, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}"), 0);
	assert_int_equal(t->bumps, 1);
	wait_clients(t, 0);
}

/* ------------------------------------------------------------------------- */
/* Extra descriptors.                                                        */

struct watch_seen {
	int fd;
	void *arg;
	unsigned int calls;
};

static void
watch_cb(int fd, void *arg)
{
	struct watch_seen *w = arg;
	char b;

	w->fd = fd;
	w->arg = arg;
	w->calls++;
	assert_int_equal(read(fd, &b, 1), 1);
}

static void
test_watch_fd(void **state)
{
	struct tsrv *t = *state;
	struct ctl_server_params p = params_for(t);
	struct watch_seen seen = {.fd = -1};
	int pfd[2], more[2], dups[7];

	start(t, &p);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(ctl_server_watch_fd(t->srv, -1, watch_cb, &seen), -EINVAL);
	assert_int_equal(ctl_server_watch_fd(t->srv, pfd[0], NULL, &seen), -EINVAL);
	assert_int_equal(ctl_server_watch_fd(t->srv, pfd[0], watch_cb, &seen), 0);
	assert_int_equal(ctl_server_watch_fd(t->srv, pfd[0], watch_cb, &seen), -EINVAL);

	/* Not readable: no call; readable: one call with the fd and arg. */
	assert_int_equal(ctl_server_poll(t->srv, 0), 0);
	assert_int_equal(seen.calls, 0);
	assert_int_equal(write(pfd[1], "x", 1), 1);
	assert_int_equal(ctl_server_poll(t->srv, 1000), 0);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.fd, pfd[0]);
	assert_ptr_equal(seen.arg, &seen);

	/* At most 8. */
	assert_int_equal(pipe(more), 0);
	for (int i = 0; i < 7; i++) {
		dups[i] = dup(more[0]);
		assert_int_equal(ctl_server_watch_fd(t->srv, dups[i], watch_cb, &seen), 0);
	}
	assert_int_equal(ctl_server_watch_fd(t->srv, more[0], watch_cb, &seen), -ENOSPC);
	ctl_server_destroy(t->srv);
	t->srv = NULL;
	for (int i = 0; i < 7; i++)
		close(dups[i]);
	close(more[0]);
	close(more[1]);
	close(pfd[0]);
	close(pfd[1]);
}

int
ctl_test_server(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_srv, teardown_srv)
	const struct CMUnitTest tests[] = {
		T(test_create_errors),	  T(test_socket_file),	    T(test_stale_replaced),
		T(test_live_in_use),	  T(test_request_response), T(test_many_in_one_write),
		T(test_split_bytes),	  T(test_half_close),	    T(test_oversize_line),
		T(test_max_clients),	  T(test_slow_reader),	    T(test_output_limit),
		T(test_fairness),	  T(test_peer_gone),	    T(test_destroy_closes),
		T(test_peer_credentials), T(test_watch_fd),
	};
#undef T

	return cmocka_run_group_tests_name("control server", tests, NULL, NULL);
}
