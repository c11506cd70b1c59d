/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket server: newline-delimited JSON-RPC 2.0 over a unix
 * stream socket, served from the caller's thread by ctl_server_poll().
 *
 * Each client has an input buffer that holds at most one partial line
 * beyond the complete ones (bounded by max_request) and an output queue of
 * answers not yet taken by the socket. The loop never blocks on a client:
 *
 *   - Reads and writes are non-blocking; MSG_NOSIGNAL turns a vanished
 *     peer into EPIPE instead of SIGPIPE.
 *   - Back-pressure: while a client's answers wait in its queue (the socket
 *     is full), its further requests wait in the kernel, unread. A single
 *     answer that leaves more than max_output bytes queued closes it.
 *   - Fairness: a client gets at most SRV_BURST requests answered and one
 *     read per round; when complete lines remain in its buffer the next
 *     poll() does not sleep, so it resumes after the others had their turn.
 *
 * A client that shuts down its writing side (as "socat" and "nc -N" do)
 * still gets the answers to what it sent, its last line included even
 * without a newline; then it is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_server.h"

/** Most requests answered per client per round. */
#define SRV_BURST 16
/** Most connections accepted per round. */
#define SRV_ACCEPT_BURST 16
/** Most bytes read per client per round. */
#define SRV_READ_CHUNK (64 * 1024)
/** Buffers larger than this are freed when they become empty. */
#define SRV_KEEP_BUF (64 * 1024)
/** Smallest buffer allocation. */
#define SRV_MIN_BUF 4096
/** Most extra descriptors. */
#define SRV_MAX_WATCH 8
/** Bounds of the settings. */
#define SRV_MAX_CLIENTS 1024
#define SRV_MIN_REQUEST 64
#define SRV_MAX_REQUEST (16u * 1024 * 1024)
/** Pause of accept() after it ran out of descriptors (EMFILE, ENFILE, ENOMEM), in ms. */
#define SRV_ACCEPT_PAUSE_MS 100
/** Bytes drained from a refused or failed client before it is closed. */
#define SRV_DRAIN_MAX (64 * 1024)

/** One connection. A slot is free when fd is -1. */
struct ctl_client {
	int fd;		/**< The connection, or -1. */
	char *in;	/**< Received bytes not yet handled. */
	size_t in_len;	/**< Bytes in @p in. */
	size_t in_cap;	/**< Size of @p in. */
	size_t scan;	/**< @p in holds no newline before this offset. */
	char *out;	/**< Queued answer bytes. */
	size_t out_off; /**< First unsent byte in @p out. */
	size_t out_len; /**< End of the queued bytes in @p out. */
	size_t out_cap; /**< Size of @p out. */
	bool eof;	/**< The peer will send nothing more. */
	bool backlog;	/**< Complete lines wait in @p in. */
};

/** An extra descriptor and its callback. */
struct ctl_watch {
	int fd;
	ctl_fd_cb_t cb;
	void *arg;
};

/** What a pollfd entry stands for. */
enum srv_slot_kind {
	SRV_SLOT_LISTEN,
	SRV_SLOT_CLIENT,
	SRV_SLOT_WATCH,
};

/** Size of a unix socket path buffer, with its NUL. */
#define SRV_PATH_LEN sizeof(((struct sockaddr_un *)NULL)->sun_path)

/** The server. */
struct ctl_server {
	struct ctl_server_params p; /**< Settings; p.path points at @p path. */
	char path[SRV_PATH_LEN];    /**< Socket path. */
	struct ctl_rpc *rpc;	    /**< Borrowed. */
	int lfd;		    /**< Listening socket. */
	dev_t dev;		    /**< Device and inode of the socket file we created, */
	ino_t ino;		    /**< to unlink only our own. */
	uid_t euid;		    /**< Our effective user. */
	struct ctl_client *clients; /**< max_clients slots. */
	unsigned int n_clients;	    /**< Used slots. */
	struct ctl_watch watch[SRV_MAX_WATCH];
	unsigned int n_watch;
	struct pollfd *pfd;	/**< 1 + max_clients + SRV_MAX_WATCH entries. */
	unsigned int *pmap;	/**< For each pfd entry: client slot or watch index. */
	uint8_t *pkind;		/**< For each pfd entry: enum srv_slot_kind. */
	uint64_t accept_resume; /**< Monotonic ms before which accept() is paused, or 0. */
};

/** @return the monotonic clock in milliseconds. */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/**
 * Send bytes without blocking and without SIGPIPE.
 *
 * @return
 *   Bytes sent (possibly 0 when the socket is full), or -errno.
 */
static ssize_t
send_some(int fd, const char *buf, size_t len)
{
	ssize_t n;

	do {
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	return -errno;
}

/**
 * Read and drop what a peer has sent, up to SRV_DRAIN_MAX bytes, so that
 * closing does not turn its next read of our last line into ECONNRESET.
 */
static void
drain(int fd)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	while (total < SRV_DRAIN_MAX) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			break;
		if (n > 0)
			total += (size_t)n;
	}
}

/**
 * Send one JSON-RPC error line (id null) to a connection that is about to
 * be closed; best effort, it never blocks.
 */
static void
send_error_line(int fd, int code, const char *msg)
{
	char line[256];
	int n;

	n = snprintf(
		line, sizeof(line),
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":%d,\"message\":\"%s\"}}\n",
		code, msg);
	if (n > 0 && (size_t)n < sizeof(line))
		(void)send_some(fd, line, (size_t)n);
}

/* ------------------------------------------------------------------------- */
/* Clients.                                                                  */

/** Close a client and free its buffers; the slot becomes free. */
static void
client_close(struct ctl_server *srv, struct ctl_client *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	srv->n_clients--;
}

/** Close a client after a last error line (and whatever answers it can still take). */
static void
client_abort(struct ctl_server *srv, struct ctl_client *c, int code, const char *msg)
{
	if (c->out_len > c->out_off)
		(void)send_some(c->fd, c->out + c->out_off, c->out_len - c->out_off);
	send_error_line(c->fd, code, msg);
	drain(c->fd);
	client_close(srv, c);
}

/** @return the bytes queued for a client. */
static size_t
out_pending(const struct ctl_client *c)
{
	return c->out_len - c->out_off;
}

/**
 * Send what a client's queue holds until the socket is full.
 *
 * @return
 *   0, or -errno when the connection failed (the caller closes it).
 */
static int
client_flush(struct ctl_client *c)
{
	ssize_t n;

	while (out_pending(c) > 0) {
		n = send_some(c->fd, c->out + c->out_off, out_pending(c));
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		c->out_off += (size_t)n;
	}
	if (out_pending(c) == 0) {
		c->out_off = 0;
		c->out_len = 0;
		if (c->out_cap > SRV_KEEP_BUF) {
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
	}
	return 0;
}

/**
 * Queue an answer and a newline for a client.
 *
 * @return
 *   0 or -ENOMEM.
 */
static int
client_queue(struct ctl_client *c, const char *text, size_t len)
{
	size_t need, cap;
	char *grown;

	if (c->out_off > 0 && c->out_len + len + 1 > c->out_cap) {
		memmove(c->out, c->out + c->out_off, out_pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	need = c->out_len + len + 1;
	if (need > c->out_cap) {
		cap = c->out_cap > 0 ? c->out_cap : SRV_MIN_BUF;
		while (cap < need)
			cap *= 2;
		grown = realloc(c->out, cap);
		if (grown == NULL)
			return -ENOMEM;
		c->out = grown;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, text, len);
	c->out[c->out_len + len] = '\n';
	c->out_len = need;
	return 0;
}

/** @return true if a line holds nothing but blanks (spaces, tabs, CR). */
static bool
line_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/**
 * Handle one request line (without its newline) and queue the answer.
 *
 * @return
 *   1 if an answer was queued, 0 if none was due, -1 if the client was closed.
 */
static int
client_request(struct ctl_server *srv, struct ctl_client *c, const char *line, size_t len)
{
	char *resp;
	int ret;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (line_blank(line, len))
		return 0;
	resp = ctl_rpc_handle(srv->rpc, line, len);
	if (resp == NULL)
		return 0;
	ret = client_queue(c, resp, strlen(resp));
	free(resp);
	if (ret != 0) {
		client_abort(srv, c, CTL_RPC_INTERNAL, "out of memory");
		return -1;
	}
	if (client_flush(c) != 0) {
		client_close(srv, c);
		return -1;
	}
	if (out_pending(c) > srv->p.max_output) {
		/* The answer is lost anyway: do not try to send a part of it. */
		c->out_off = c->out_len;
		client_abort(srv, c, CTL_RPC_TOO_BIG, "answer too large, closing");
		return -1;
	}
	return 1;
}

/**
 * Answer up to SRV_BURST complete lines of a client's buffer, stopping
 * early when its socket is full.
 *
 * @return
 *   The number of answers, or -1 if the client was closed (answers given
 *   before it closed are lost with it).
 */
static int
client_lines(struct ctl_server *srv, struct ctl_client *c)
{
	size_t start = 0, n_lines = 0;
	int answered = 0, ret;
	char *nl;

	c->backlog = false;
	while (out_pending(c) == 0) {
		nl = c->scan < c->in_len ? memchr(c->in + c->scan, '\n', c->in_len - c->scan)
					 : NULL;
		if (nl == NULL) {
			c->scan = c->in_len;
			break;
		}
		if (n_lines == SRV_BURST) {
			c->backlog = true;
			break;
		}
		n_lines++;
		ret = client_request(srv, c, c->in + start, (size_t)(nl - (c->in + start)));
		if (ret < 0)
			return -1;
		answered += ret;
		start = (size_t)(nl - c->in) + 1;
		c->scan = start;
	}
	/*
	 * Lines left because the socket is full wait for POLLOUT, not for a
	 * backlog round. Drop the lines answered.
	 */
	if (start > 0) {
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
		c->scan -= start;
	}
	if (c->in_len == 0 && c->in_cap > SRV_KEEP_BUF) {
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
	/* No newline in what is left: a line that no longer fits is refused. */
	if (c->scan == c->in_len && c->in_len > srv->p.max_request) {
		char msg[96];

		snprintf(msg, sizeof(msg), "request too large: more than %zu bytes",
			 srv->p.max_request);
		client_abort(srv, c, CTL_RPC_TOO_BIG, msg);
		return -1;
	}
	/* At the end of the input, a last line without newline is a request too. */
	if (c->eof && !c->backlog && out_pending(c) == 0 && c->in_len > 0) {
		ret = client_request(srv, c, c->in, c->in_len);
		if (ret < 0)
			return -1;
		answered += ret;
		c->in_len = 0;
		c->scan = 0;
	}
	return answered;
}

/**
 * Read once from a client.
 *
 * @return
 *   0, or -1 if the connection failed and the client was closed.
 */
static int
client_read(struct ctl_server *srv, struct ctl_client *c)
{
	size_t limit = srv->p.max_request + 1, want, cap;
	char *grown;
	ssize_t n;

	/* A full buffer still holds complete lines: they go first. */
	if (c->in_len >= limit)
		return 0;
	if (c->in_cap - c->in_len < SRV_MIN_BUF && c->in_cap < limit) {
		cap = c->in_cap > 0 ? c->in_cap * 2 : SRV_MIN_BUF;
		if (cap > limit)
			cap = limit;
		grown = realloc(c->in, cap);
		if (grown == NULL) {
			client_abort(srv, c, CTL_RPC_INTERNAL, "out of memory");
			return -1;
		}
		c->in = grown;
		c->in_cap = cap;
	}
	want = c->in_cap - c->in_len;
	if (want > SRV_READ_CHUNK)
		want = SRV_READ_CHUNK;
	if (want == 0)
		return 0;
	do {
		n = recv(c->fd, c->in + c->in_len, want, MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->in_len += (size_t)n;
	} else if (n == 0) {
		c->eof = true;
	} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
		client_close(srv, c);
		return -1;
	}
	return 0;
}

/**
 * Serve one client for a round.
 *
 * @return
 *   The number of answers queued.
 */
static int
client_serve(struct ctl_server *srv, struct ctl_client *c, short revents)
{
	int answered;

	if (out_pending(c) > 0 && client_flush(c) != 0) {
		client_close(srv, c);
		return 0;
	}
	/*
	 * Read only when earlier answers are gone and earlier requests are
	 * answered: a client that does not read what it asked for, or asks
	 * faster than it is served, waits in the kernel's buffers, not in ours.
	 * POLLHUP and POLLERR read too, to see the end or the error.
	 */
	if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !c->eof && !c->backlog &&
	    out_pending(c) == 0 && client_read(srv, c) != 0)
		return 0;
	answered = client_lines(srv, c);
	if (answered < 0)
		return 0;
	/* A peer that hung up and has nothing more coming or going is done. */
	if (c->eof && !c->backlog && c->in_len == 0 && out_pending(c) == 0)
		client_close(srv, c);
	else if (c->eof && (revents & POLLHUP) != 0 && out_pending(c) > 0)
		client_close(srv, c);
	return answered;
}

/** @return true if a peer's credentials allow it in. */
static bool
peer_allowed(const struct ctl_server *srv, int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred))
		return false;
	*uid = cred.uid;
	return cred.uid == 0 || cred.uid == srv->euid ||
	       (srv->p.has_group && cred.gid == srv->p.group);
}

/** @return a free client slot, or NULL. */
static struct ctl_client *
free_slot(struct ctl_server *srv)
{
	for (unsigned int i = 0; i < srv->p.max_clients; i++)
		if (srv->clients[i].fd < 0)
			return &srv->clients[i];
	return NULL;
}

/** Accept the waiting connections, up to SRV_ACCEPT_BURST. */
static void
accept_clients(struct ctl_server *srv)
{
	struct ctl_client *c;
	char msg[96];
	uid_t uid = 0;
	int fd;

	for (unsigned int i = 0; i < SRV_ACCEPT_BURST; i++) {
		fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				srv->accept_resume = now_ms() + SRV_ACCEPT_PAUSE_MS;
			return;
		}
		if (!peer_allowed(srv, fd, &uid)) {
			snprintf(msg, sizeof(msg), "permission denied: uid %u is not allowed",
				 (unsigned int)uid);
			send_error_line(fd, CTL_RPC_DENIED, msg);
			drain(fd);
			close(fd);
			continue;
		}
		if (srv->n_clients == srv->p.max_clients) {
			snprintf(msg, sizeof(msg), "too many clients (at most %u)",
				 srv->p.max_clients);
			send_error_line(fd, CTL_RPC_BUSY, msg);
			drain(fd);
			close(fd);
			continue;
		}
		c = free_slot(srv);
		if (c == NULL) {
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		srv->n_clients++;
	}
}

/* ------------------------------------------------------------------------- */
/* The listening socket.                                                     */

/** Create the socket's directory with mode 0750 (and the group) if it is missing. */
static int
make_dir(const struct ctl_server *srv)
{
	char dir[sizeof(srv->path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", srv->path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) != 0)
		return errno == EEXIST ? 0 : -errno;
	/* mkdir() applied the umask: set the mode we mean. */
	if (chmod(dir, 0750) != 0)
		return -errno;
	if (srv->p.has_group && chown(dir, (uid_t)-1, srv->p.group) != 0)
		return -errno;
	return 0;
}

/**
 * Decide what to do with a file at the socket path.
 *
 * @return
 *   0 if it was a stale socket and is removed (or is gone), -EADDRINUSE if
 *   a server answers on it or it is not a socket, or -errno.
 */
static int
clear_stale(const struct ctl_server *srv, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret;

	if (lstat(srv->path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EADDRINUSE;
	/* A non-blocking connect() cannot hang on a server whose backlog is full. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ? 0 : -errno;
	close(fd);
	if (ret == -ECONNREFUSED) {
		if (unlink(srv->path) != 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	if (ret == -ENOENT)
		return 0;
	/* Connected, or EAGAIN (a busy server), or anything else: leave it be. */
	return -EADDRINUSE;
}

/** Bind and listen, replacing a stale socket file. */
static int
open_listener(struct ctl_server *srv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int ret;

	memcpy(sa.sun_path, srv->path, strlen(srv->path) + 1);
	srv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->lfd < 0)
		return -errno;
	for (int attempt = 0;; attempt++) {
		if (bind(srv->lfd, (const struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		ret = -errno;
		if (ret != -EADDRINUSE || attempt > 0)
			goto out_close;
		ret = clear_stale(srv, &sa);
		if (ret != 0)
			goto out_close;
	}
	/* From here on the file is ours. */
	if (stat(srv->path, &st) != 0) {
		ret = -errno;
		goto out_close;
	}
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	if (chmod(srv->path, 0660) != 0) {
		ret = -errno;
		goto out_unlink;
	}
	if (srv->p.has_group && chown(srv->path, (uid_t)-1, srv->p.group) != 0) {
		ret = -errno;
		goto out_unlink;
	}
	if (listen(srv->lfd, (int)(srv->p.max_clients < 128 ? 128 : srv->p.max_clients)) != 0) {
		ret = -errno;
		goto out_unlink;
	}
	return 0;

out_unlink:
	unlink(srv->path);
out_close:
	close(srv->lfd);
	srv->lfd = -1;
	return ret;
}

/* ------------------------------------------------------------------------- */
/* API.                                                                      */

struct ctl_server *
ctl_server_create(const struct ctl_server_params *p, struct ctl_rpc *rpc)
{
	struct ctl_server *srv;
	size_t n_pfd;
	int ret;

	if (p == NULL || rpc == NULL || p->path == NULL || p->path[0] == '\0' ||
	    p->max_clients < 1 || p->max_clients > SRV_MAX_CLIENTS ||
	    p->max_request < SRV_MIN_REQUEST || p->max_request > SRV_MAX_REQUEST ||
	    p->max_output == 0) {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(p->path) >= sizeof(srv->path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		goto out_nomem;
	srv->p = *p;
	snprintf(srv->path, sizeof(srv->path), "%s", p->path);
	srv->p.path = srv->path;
	srv->rpc = rpc;
	srv->lfd = -1;
	srv->euid = geteuid();
	srv->clients = calloc(p->max_clients, sizeof(srv->clients[0]));
	if (srv->clients == NULL)
		goto out_free;
	for (unsigned int i = 0; i < p->max_clients; i++)
		srv->clients[i].fd = -1;
	n_pfd = 1 + (size_t)p->max_clients + SRV_MAX_WATCH;
	srv->pfd = calloc(n_pfd, sizeof(srv->pfd[0]));
	srv->pmap = calloc(n_pfd, sizeof(srv->pmap[0]));
	srv->pkind = calloc(n_pfd, sizeof(srv->pkind[0]));
	if (srv->pfd == NULL || srv->pmap == NULL || srv->pkind == NULL)
		goto out_free;

	ret = make_dir(srv);
	if (ret == 0)
		ret = open_listener(srv);
	if (ret != 0) {
		ctl_server_destroy(srv);
		errno = -ret;
		return NULL;
	}
	return srv;

out_free:
	ctl_server_destroy(srv);
out_nomem:
	errno = ENOMEM;
	return NULL;
}

void
ctl_server_destroy(struct ctl_server *srv)
{
	struct stat st;

	if (srv == NULL)
		return;
	for (unsigned int i = 0; srv->clients != NULL && i < srv->p.max_clients; i++)
		client_close(srv, &srv->clients[i]);
	if (srv->lfd >= 0) {
		/* Remove the file only if it is still the one we bound. */
		if (lstat(srv->path, &st) == 0 && st.st_dev == srv->dev && st.st_ino == srv->ino)
			unlink(srv->path);
		close(srv->lfd);
	}
	free(srv->clients);
	free(srv->pfd);
	free(srv->pmap);
	free(srv->pkind);
	free(srv);
}

int
ctl_server_watch_fd(struct ctl_server *srv, int fd, ctl_fd_cb_t cb, void *arg)
{
	if (srv == NULL || fd < 0 || cb == NULL)
		return -EINVAL;
	for (unsigned int i = 0; i < srv->n_watch; i++)
		if (srv->watch[i].fd == fd)
			return -EINVAL;
	if (srv->n_watch == SRV_MAX_WATCH)
		return -ENOSPC;
	srv->watch[srv->n_watch++] = (struct ctl_watch){.fd = fd, .cb = cb, .arg = arg};
	return 0;
}

int
ctl_server_unwatch_fd(struct ctl_server *srv, int fd)
{
	if (srv == NULL)
		return -EINVAL;
	for (unsigned int i = 0; i < srv->n_watch; i++)
		if (srv->watch[i].fd == fd) {
			srv->watch[i] = srv->watch[--srv->n_watch];
			return 0;
		}
	return -ENOENT;
}

unsigned int
ctl_server_clients(const struct ctl_server *srv)
{
	return srv == NULL ? 0 : srv->n_clients;
}

/** Add an entry to the poll set. */
static void
pfd_add(struct ctl_server *srv, unsigned int *n, int fd, short events, enum srv_slot_kind kind,
	unsigned int idx)
{
	srv->pfd[*n] = (struct pollfd){.fd = fd, .events = events};
	srv->pkind[*n] = (uint8_t)kind;
	srv->pmap[*n] = idx;
	(*n)++;
}

int
ctl_server_poll(struct ctl_server *srv, int timeout_ms)
{
	unsigned int n = 0, n_watch;
	bool backlog = false;
	int ret, answered = 0;
	uint64_t now;

	if (srv == NULL)
		return -EINVAL;
	if (srv->accept_resume != 0) {
		now = now_ms();
		if (now >= srv->accept_resume) {
			srv->accept_resume = 0;
		} else if (timeout_ms < 0 || (uint64_t)timeout_ms > srv->accept_resume - now) {
			/* Wake up in time to accept again. */
			timeout_ms = (int)(srv->accept_resume - now);
		}
	}
	if (srv->accept_resume == 0)
		pfd_add(srv, &n, srv->lfd, POLLIN, SRV_SLOT_LISTEN, 0);
	for (unsigned int i = 0; i < srv->p.max_clients; i++) {
		struct ctl_client *c = &srv->clients[i];
		short ev = 0;

		if (c->fd < 0)
			continue;
		if (out_pending(c) > 0)
			ev |= POLLOUT;
		else if (!c->eof)
			ev |= POLLIN;
		backlog |= c->backlog;
		pfd_add(srv, &n, c->fd, ev, SRV_SLOT_CLIENT, i);
	}
	/* Callbacks may add watches: only those present now are polled. */
	n_watch = srv->n_watch;
	for (unsigned int i = 0; i < n_watch; i++)
		pfd_add(srv, &n, srv->watch[i].fd, POLLIN, SRV_SLOT_WATCH, i);

	ret = poll(srv->pfd, n, backlog ? 0 : timeout_ms);
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;

	for (unsigned int i = 0; i < n; i++) {
		struct pollfd *pfd = &srv->pfd[i];
		struct ctl_client *c;

		switch ((enum srv_slot_kind)srv->pkind[i]) {
		case SRV_SLOT_LISTEN:
			/* Accepted clients are served from the next round on. */
			if (pfd->revents & POLLIN)
				accept_clients(srv);
			break;
		case SRV_SLOT_CLIENT:
			c = &srv->clients[srv->pmap[i]];
			if (c->fd == pfd->fd && (pfd->revents != 0 || c->backlog))
				answered += client_serve(srv, c, pfd->revents);
			break;
		case SRV_SLOT_WATCH:
			if (pfd->revents & (POLLIN | POLLHUP | POLLERR))
				srv->watch[srv->pmap[i]].cb(pfd->fd, srv->watch[srv->pmap[i]].arg);
			break;
		}
	}
	return answered;
}
