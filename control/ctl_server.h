/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The control socket: a unix stream socket that carries JSON-RPC 2.0,
 * one message per line (newline-delimited JSON, the encoding jansson's
 * compact output gives: a newline only ever ends a message).
 *
 * The server runs in the caller's thread (mflowd's control thread, never a
 * datapath lcore): ctl_server_poll() waits up to a timeout for the
 * listening socket, the clients and any extra file descriptors (the CoAP
 * endpoint's), and serves what is ready. Every socket is non-blocking, so a
 * client that sends slowly or never reads cannot stall the loop: partial
 * lines wait in a per-client buffer, a line longer than max_request gets an
 * error and the client is closed, and a client whose unread answers exceed
 * max_output is closed.
 *
 * Access. The socket file is created with mode 0660 and, when a group is
 * given, that group, in a directory created with mode 0750 if missing.
 * Each connection's peer is checked with SO_PEERCRED: root, the daemon's
 * own user and members of the configured group (primary group) are
 * served; anyone else gets one error line and is closed.
 */
#ifndef CTL_SERVER_H
#define CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ctl_rpc.h"

/** Server settings. */
struct ctl_server_params {
	const char *path;	  /**< Socket path; its directory is created if missing. */
	bool has_group;		  /**< Give the socket to @p group. */
	gid_t group;		  /**< Group allowed besides root and our user. */
	unsigned int max_clients; /**< Connections served at once, 1..1024; more are refused. */
	size_t max_request;	  /**< Longest request line in bytes, 64..16 MiB. */
	size_t max_output;	  /**< Unsent answer bytes per client before it is closed. */
};

struct ctl_server;

/** Called when an extra descriptor is readable (see ctl_server_watch_fd()). */
typedef void (*ctl_fd_cb_t)(int fd, void *arg);

/**
 * Create the socket and listen. An existing socket file at @p p->path is
 * replaced only when no server answers on it.
 *
 * @param p
 *   Settings; copied.
 * @param rpc
 *   The method table requests are dispatched to; borrowed, must outlive
 *   the server.
 * @return
 *   The server, or NULL with errno set: EINVAL for bad settings,
 *   EADDRINUSE when another server answers on the path, ENAMETOOLONG, or
 *   the errno of socket(), bind(), chmod() or chown() (EACCES, EPERM, ...).
 */
struct ctl_server *ctl_server_create(const struct ctl_server_params *p, struct ctl_rpc *rpc);

/** Close every client and the listening socket and remove the socket file; NULL is accepted. */
void ctl_server_destroy(struct ctl_server *srv);

/**
 * Wait up to @p timeout_ms for activity and serve it: accept and check new
 * clients, read and answer complete requests, write pending answers, call
 * the callbacks of readable extra descriptors.
 *
 * @return
 *   The number of requests answered, or -errno if poll() failed (EINTR is
 *   not an error: it returns 0).
 */
int ctl_server_poll(struct ctl_server *srv, int timeout_ms);

/**
 * Also poll @p fd for reading, and call @p cb when it is readable.
 *
 * @return
 *   0, -EINVAL, -ENOSPC (at most 8 extra descriptors).
 */
int ctl_server_watch_fd(struct ctl_server *srv, int fd, ctl_fd_cb_t cb, void *arg);

/**
 * Stop polling @p fd (given to ctl_server_watch_fd()). Not from inside a
 * callback.
 *
 * @return
 *   0, -EINVAL, or -ENOENT when @p fd is not watched.
 */
int ctl_server_unwatch_fd(struct ctl_server *srv, int fd);

/** @return the number of connected clients. */
unsigned int ctl_server_clients(const struct ctl_server *srv);

#endif /* CTL_SERVER_H */
