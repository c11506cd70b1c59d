/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A client of mflowd's control socket: JSON-RPC 2.0, one compact JSON
 * message per line each way (control/ctl_server.h).
 *
 * mflowctl and the CNI plugin mflow-cni use it; it needs nothing but libc
 * and jansson. One client is one connection. A single deadline, started
 * when the client connects, bounds connecting and every answer, so no call
 * can block for longer than the timeout given to ctl_client_connect().
 * Answers are bounded in size (CTL_CLIENT_MAX_ANSWER), writes never raise
 * SIGPIPE, and answers are matched to requests by id.
 *
 * Errors. Functions return 0 or -errno and, where they take @p err and
 * @p errlen, write a one-line message there on failure (nothing when @p err
 * is NULL or @p errlen is 0).
 */
#ifndef CTL_CLIENT_H
#define CTL_CLIENT_H

#include <stddef.h>

#include <jansson.h>

/** The socket mflowd listens on unless told otherwise. */
#define CTL_CLIENT_DEFAULT_SOCKET "/run/mflowd/mflowd.sock"
/** The largest answer line accepted, newline included. */
#define CTL_CLIENT_MAX_ANSWER ((size_t)64 << 20)

struct ctl_client;

/**
 * Connect to mflowd's control socket and start the deadline.
 *
 * @param path
 *   The socket's path.
 * @param timeout_ms
 *   Milliseconds allowed for connecting and for every answer of the
 *   client's life, at least 1.
 * @param out
 *   Receives the client, which the caller frees with ctl_client_close().
 * @return
 *   0; -EINVAL for bad arguments; -ENAMETOOLONG for a path too long for a
 *   unix socket; -ENOENT or -ECONNREFUSED when no mflowd listens there;
 *   -EACCES or -EPERM when the caller may not use the socket; -ETIMEDOUT
 *   when the server's backlog stays full until the deadline; -ENOMEM; or
 *   another errno of socket() or connect().
 */
int ctl_client_connect(const char *path, int timeout_ms, struct ctl_client **out, char *err,
		       size_t errlen);

/** Close the connection and free the client; NULL is accepted. */
void ctl_client_close(struct ctl_client *c);

/**
 * Call a method and wait for its answer.
 *
 * @param method
 *   The method's name.
 * @param params
 *   The parameters (borrowed; the caller keeps its reference); NULL sends
 *   none.
 * @param result
 *   On 0, receives the result (a new reference the caller releases).
 *   Otherwise set to NULL.
 * @param error
 *   On -EREMOTEIO, receives mflowd's error object (a new reference the
 *   caller releases; see ctl_client_error_errno()). Otherwise set to NULL.
 *   May be NULL when the caller does not need it.
 * @return
 *   0; -EREMOTEIO when mflowd answered with an error (@p err gets its
 *   message); -ETIMEDOUT when the deadline passed; -ECONNRESET or -EPIPE
 *   when the connection was lost; -EBADMSG for a malformed answer;
 *   -EMSGSIZE for an answer over CTL_CLIENT_MAX_ANSWER; -ENOMEM.
 */
int ctl_client_call(struct ctl_client *c, const char *method, json_t *params, json_t **result,
		    json_t **error, char *err, size_t errlen);

/**
 * The errno an error object of mflowd reports (`data.errno`, a name or a
 * number).
 *
 * @param error
 *   An error object, borrowed.
 * @return
 *   The positive errno value, or 0 if the error carries none.
 */
int ctl_client_error_errno(const json_t *error);

/**
 * The message of an error object of mflowd.
 *
 * @param error
 *   An error object, borrowed.
 * @return
 *   Its message, valid as long as @p error; "unknown error" if it has none.
 */
const char *ctl_client_error_message(const json_t *error);

#endif /* CTL_CLIENT_H */
