/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A client of mflowd's control socket (ctl_client.h).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"
#include "ctl_errno.h"

/* The first size of the receive buffer; it doubles up to CTL_CLIENT_MAX_ANSWER. */
#define FIRST_BUF ((size_t)64 << 10)

struct ctl_client {
	char *path;	     /* Socket path, for messages. */
	int timeout_ms;	     /* The timeout, for messages. */
	int64_t deadline_ms; /* CLOCK_MONOTONIC time at which we give up. */
	int fd;		     /* The socket. */
	char *buf;	     /* Received bytes not yet consumed. */
	size_t len;	     /* Bytes in buf. */
	size_t cap;	     /* Size of buf. */
	json_int_t next_id;  /* Id of the last request sent. */
};

static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen != 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
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

static int
timed_out(const struct ctl_client *c, char *err, size_t errlen)
{
	return fail(err, errlen, -ETIMEDOUT, "timed out after %g s waiting for mflowd",
		    c->timeout_ms / 1000.0);
}

/* Wait until the socket is ready for @p events, or the deadline passes. */
static int
wait_for(struct ctl_client *c, short events, char *err, size_t errlen)
{
	for (;;) {
		int64_t left = c->deadline_ms - now_ms();
		struct pollfd pfd = {.fd = c->fd, .events = events};
		int n;

		if (left <= 0)
			return timed_out(c, err, errlen);
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return fail(err, errlen, -errno, "poll: %s", strerror(errno));
	}
}

void
ctl_client_close(struct ctl_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c->path);
	free(c);
}

int
ctl_client_connect(const char *path, int timeout_ms, struct ctl_client **out, char *err,
		   size_t errlen)
{
	struct sockaddr_un sa;
	struct ctl_client *c;
	size_t n;
	int rc;

	if (path == NULL || path[0] == '\0' || timeout_ms < 1 || out == NULL)
		return fail(err, errlen, -EINVAL, "bad control socket arguments");
	n = strlen(path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (n >= sizeof(sa.sun_path))
		return fail(err, errlen, -ENAMETOOLONG, "cannot connect to %s: %s", path,
			    strerror(ENAMETOOLONG));
	memcpy(sa.sun_path, path, n + 1);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return fail(err, errlen, -ENOMEM, "out of memory");
	c->fd = -1;
	c->timeout_ms = timeout_ms;
	c->deadline_ms = now_ms() + timeout_ms;
	c->path = strdup(path);
	if (c->path == NULL) {
		rc = fail(err, errlen, -ENOMEM, "out of memory");
		goto out_free;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = fail(err, errlen, -errno, "cannot create a socket: %s", strerror(errno));
		goto out_free;
	}
	while (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		if (e == EAGAIN) {
			/* The server's backlog is full: try again shortly. */
			struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};

			if (now_ms() >= c->deadline_ms) {
				rc = timed_out(c, err, errlen);
				goto out_free;
			}
			nanosleep(&ts, NULL);
			continue;
		}
		rc = fail(err, errlen, -e, "cannot connect to %s: %s%s", path, strerror(e),
			  e == ENOENT || e == ECONNREFUSED ? " (is mflowd running?)"
			  : e == EACCES || e == EPERM	   ? " (are you root or in mflowd's group?)"
							   : "");
		goto out_free;
	}
	*out = c;
	return 0;

out_free:
	ctl_client_close(c);
	return rc;
}

/* Send all of @p n bytes at @p p. */
static int
send_all(struct ctl_client *c, const char *p, size_t n, char *err, size_t errlen)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		int rc;

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			rc = wait_for(c, POLLOUT, err, errlen);
			if (rc < 0)
				return rc;
			continue;
		}
		rc = w < 0 ? errno : EPIPE;
		return fail(err, errlen, -rc, "lost the connection to mflowd: %s", strerror(rc));
	}
	return 0;
}

/* Receive and parse the next non-empty line; *msg is a new reference. */
static int
recv_msg(struct ctl_client *c, json_t **msg, char *err, size_t errlen)
{
	size_t scan = 0;

	for (;;) {
		char *nl = c->len > scan ? memchr(c->buf + scan, '\n', c->len - scan) : NULL;
		ssize_t r;
		int rc;

		if (nl != NULL) {
			size_t n = (size_t)(nl - c->buf);
			json_error_t je;
			json_t *m = n > 0 ? json_loadb(c->buf, n, JSON_DECODE_ANY, &je) : NULL;

			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			scan = 0;
			if (n == 0)
				continue;
			if (m == NULL)
				return fail(err, errlen, -EBADMSG,
					    "malformed answer from mflowd: %s", je.text);
			*msg = m;
			return 0;
		}
		scan = c->len;
		if (c->len == c->cap) {
			size_t cap = c->cap == 0 ? FIRST_BUF : c->cap * 2;
			char *p;

			if (c->cap >= CTL_CLIENT_MAX_ANSWER)
				return fail(err, errlen, -EMSGSIZE,
					    "answer from mflowd exceeds %zu MiB",
					    CTL_CLIENT_MAX_ANSWER >> 20);
			if (cap > CTL_CLIENT_MAX_ANSWER)
				cap = CTL_CLIENT_MAX_ANSWER;
			p = realloc(c->buf, cap);
			if (p == NULL)
				return fail(err, errlen, -ENOMEM, "out of memory");
			c->buf = p;
			c->cap = cap;
		}
		r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (r > 0) {
			c->len += (size_t)r;
			continue;
		}
		if (r == 0)
			return fail(err, errlen, -ECONNRESET,
				    "lost the connection to mflowd (closed %s)",
				    c->len > 0 ? "in the middle of an answer" : "before answering");
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			rc = wait_for(c, POLLIN, err, errlen);
			if (rc < 0)
				return rc;
			continue;
		}
		return fail(err, errlen, -errno, "lost the connection to mflowd: %s",
			    strerror(errno));
	}
}

static int
malformed(char *err, size_t errlen, const char *what)
{
	return fail(err, errlen, -EBADMSG, "malformed answer from mflowd: %s", what);
}

int
ctl_client_call(struct ctl_client *c, const char *method, json_t *params, json_t **result,
		json_t **error, char *err, size_t errlen)
{
	json_int_t id;
	json_t *req;
	char *text;
	int rc;

	*result = NULL;
	if (error != NULL)
		*error = NULL;
	if (c == NULL || method == NULL)
		return fail(err, errlen, -EINVAL, "bad call arguments");
	id = ++c->next_id;
	req = json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0", "id", id, "method", method);
	if (req == NULL || (params != NULL && json_object_set(req, "params", params) != 0)) {
		json_decref(req);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	/* Compact output has no newline: a newline only ends a message. */
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL)
		return fail(err, errlen, -ENOMEM, "out of memory");
	rc = send_all(c, text, strlen(text), err, errlen);
	free(text);
	if (rc == 0)
		rc = send_all(c, "\n", 1, err, errlen);
	if (rc < 0)
		return rc;
	for (;;) {
		json_t *msg, *mid, *e, *res;

		rc = recv_msg(c, &msg, err, errlen);
		if (rc < 0)
			return rc;
		if (!json_is_object(msg)) {
			json_decref(msg);
			return malformed(err, errlen, "not a JSON object");
		}
		mid = json_object_get(msg, "id");
		e = json_object_get(msg, "error");
		res = json_object_get(msg, "result");
		/*
		 * An answer to another id is skipped; an error without an id is
		 * the server refusing us (access denied, unparsable request).
		 */
		if (!(json_is_integer(mid) && json_integer_value(mid) == id) &&
		    !(e != NULL && (mid == NULL || json_is_null(mid)))) {
			json_decref(msg);
			continue;
		}
		if (e != NULL) {
			if (!json_is_object(e)) {
				json_decref(msg);
				return malformed(err, errlen, "the error is not an object");
			}
			fail(err, errlen, -EREMOTEIO, "%s", ctl_client_error_message(e));
			if (error != NULL)
				*error = json_incref(e);
			json_decref(msg);
			return -EREMOTEIO;
		}
		if (res == NULL) {
			json_decref(msg);
			return malformed(err, errlen,
					 "the answer has neither a result nor an error");
		}
		*result = json_incref(res);
		json_decref(msg);
		return 0;
	}
}

int
ctl_client_error_errno(const json_t *error)
{
	const json_t *e = json_object_get(json_object_get(error, "data"), "errno");

	if (json_is_string(e))
		return ctl_errno_from_name(json_string_value(e));
	if (json_is_integer(e) && json_integer_value(e) > 0 && json_integer_value(e) < 4096)
		return (int)json_integer_value(e);
	return 0;
}

const char *
ctl_client_error_message(const json_t *error)
{
	const char *m = json_string_value(json_object_get(error, "message"));

	return m != NULL ? m : "unknown error";
}
