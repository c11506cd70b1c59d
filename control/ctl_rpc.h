/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The control plane's method table and JSON-RPC 2.0 dispatcher.
 *
 * Every run-time operation of mflowd is a method: a name such as
 * "vni.add", a one-line help, a parameter schema and a handler. The
 * front-ends (the unix control socket, CoAP, DPDK telemetry) never act on
 * their own: they turn what they receive into a method name and a JSON
 * object of parameters, and call ctl_rpc_call(). The dispatcher checks the
 * parameters against the schema (an object, no unknown keys, every
 * required key present, types, ranges, MAC and IP syntax, enum choices)
 * before the handler runs, so a handler only sees valid parameters. The
 * handler turns them into the args struct of the module's core function,
 * calls it, and serialises its result.
 *
 * Two methods are built in: "list" (the method names) and "help" (every
 * method with its help, or one method with its parameter schema).
 *
 * Threading: a struct ctl_rpc is used by one thread at a time (mflowd's
 * control thread); it takes no lock.
 *
 * JSON ownership: the dispatcher borrows the request and the params it
 * passes to handlers; a handler's *result is a new reference that passes to
 * the dispatcher.
 */
#ifndef CTL_RPC_H
#define CTL_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/** JSON-RPC 2.0 error codes (the spec's, then ours in the server range). */
enum ctl_rpc_code {
	CTL_RPC_PARSE_ERROR = -32700,	   /**< The text is not JSON. */
	CTL_RPC_INVALID_REQUEST = -32600,  /**< Not a JSON-RPC 2.0 request object. */
	CTL_RPC_METHOD_NOT_FOUND = -32601, /**< No such method. */
	CTL_RPC_INVALID_PARAMS = -32602,   /**< Parameters fail the schema (EINVAL). */
	CTL_RPC_INTERNAL = -32603,	   /**< ENOMEM and other internal failures. */
	CTL_RPC_FAILED = -32000,	   /**< Any other errno. */
	CTL_RPC_NOT_FOUND = -32001,	   /**< ENOENT: the object named does not exist. */
	CTL_RPC_EXISTS = -32002,	   /**< EEXIST. */
	CTL_RPC_BUSY = -32003,		   /**< EBUSY: in use, or another change is pending. */
	CTL_RPC_NO_SPACE = -32004,	   /**< ENOSPC: a table is full. */
	CTL_RPC_NOT_SUPPORTED = -32005,	   /**< ENOTSUP: not in this configuration. */
	CTL_RPC_TIMEOUT = -32006,	   /**< ETIMEDOUT, EINPROGRESS. */
	CTL_RPC_DENIED = -32007,	   /**< EPERM, EACCES. */
	CTL_RPC_NO_DEVICE = -32008,	   /**< ENODEV: a device cannot be probed. */
	CTL_RPC_TOO_BIG = -32009,	   /**< E2BIG, EMSGSIZE: the request is too large. */
};

/** Types of method parameters. */
enum ctl_ptype {
	CTL_P_INT = 1, /**< JSON integer within [min, max]. */
	CTL_P_BOOL,    /**< JSON true or false. */
	CTL_P_STRING,  /**< JSON string of 1 to max bytes (max 0: no limit but the request's). */
	CTL_P_MAC,     /**< String, a unicast or multicast MAC "02:00:00:00:00:01". */
	CTL_P_IP,      /**< String, an IPv4 or IPv6 address. */
	CTL_P_ENUM,    /**< String, one of choices. */
	CTL_P_OBJECT,  /**< Any JSON object; the handler checks its content. */
	CTL_P_ARRAY,   /**< JSON array of 1 to max strings (max 0: no limit but the request's). */
};

/** One parameter of a method. A method's list ends with an entry whose name is NULL. */
struct ctl_param {
	const char *name;	    /**< Key in the params object. */
	enum ctl_ptype type;	    /**< Its type. */
	bool required;		    /**< Must be present. */
	int64_t min;		    /**< CTL_P_INT: smallest value. */
	int64_t max;		    /**< CTL_P_INT: largest value; CTL_P_STRING: longest length;
					 CTL_P_ARRAY: most entries. */
	const char *const *choices; /**< CTL_P_ENUM: NULL-terminated list. */
	const char *help;	    /**< One line. */
};

/** Method flags. */
#define CTL_RPC_READ 0x1u /**< Reads only: nothing changes (CoAP GET, telemetry). */

/**
 * A method handler.
 *
 * @param ctx
 *   The context given to ctl_rpc_create().
 * @param params
 *   The parameters, already checked against the method's schema: always an
 *   object (empty when the request had none). Borrowed.
 * @param result
 *   On success, receives a new reference to the result (json_null() or
 *   json_true() when there is nothing to say); the caller takes it.
 * @param err
 *   On failure, may receive a one-line message; when left empty the
 *   dispatcher uses strerror() of the return value.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0, or -errno (the dispatcher maps it to an enum ctl_rpc_code).
 */
typedef int (*ctl_rpc_handler_t)(void *ctx, const json_t *params, json_t **result, char *err,
				 size_t errlen);

/** A method: the table entry front-ends discover and call. */
struct ctl_method {
	const char *name;		/**< "group.verb", e.g. "vni.add". */
	const char *help;		/**< One line. */
	const struct ctl_param *params; /**< NULL-name terminated; NULL for none. */
	ctl_rpc_handler_t handler;	/**< Called with checked parameters. */
	unsigned int flags;		/**< CTL_RPC_READ or 0. */
};

struct ctl_rpc;

/**
 * Create an empty method table with the built-in methods "list" and "help".
 *
 * @param ctx
 *   Passed to every handler.
 * @return
 *   The table, or NULL with errno ENOMEM.
 */
struct ctl_rpc *ctl_rpc_create(void *ctx);

/** Free a method table; NULL is accepted. */
void ctl_rpc_destroy(struct ctl_rpc *rpc);

/**
 * Register a method. The table keeps a pointer: @p m and what it points to
 * must outlive @p rpc (use static tables).
 *
 * @return
 *   0, -EEXIST for a name already registered, -EINVAL for a malformed
 *   entry (no name, no handler, a bad schema), -ENOMEM.
 */
int ctl_rpc_register(struct ctl_rpc *rpc, const struct ctl_method *m);

/**
 * Register every method of a table ending with an entry whose name is NULL.
 *
 * @return
 *   0, or the first error of ctl_rpc_register() (earlier entries stay).
 */
int ctl_rpc_register_all(struct ctl_rpc *rpc, const struct ctl_method *m);

/** @return the method called @p name, or NULL. */
const struct ctl_method *ctl_rpc_find(const struct ctl_rpc *rpc, const char *name);

/** @return the number of methods, built-ins included. */
unsigned int ctl_rpc_count(const struct ctl_rpc *rpc);

/** @return the @p i th method in registration order (built-ins first), or NULL. */
const struct ctl_method *ctl_rpc_at(const struct ctl_rpc *rpc, unsigned int i);

/**
 * Check parameters against a method's schema.
 *
 * @param m
 *   The method.
 * @param params
 *   An object, or NULL for none.
 * @param err
 *   Receives a message naming the key, e.g. "vni: expected an integer in
 *   0..16777215, got 16777216" or "mac: invalid MAC address '02:00'".
 * @return
 *   0, or -EINVAL.
 */
int ctl_rpc_check(const struct ctl_method *m, const json_t *params, char *err, size_t errlen);

/**
 * Call a method by name: check the parameters, then run the handler.
 * This is what every front-end uses.
 *
 * @param method
 *   The method name.
 * @param params
 *   An object or NULL; borrowed.
 * @param result
 *   On success, a new reference the caller owns.
 * @param err
 *   On failure, a one-line message.
 * @return
 *   0; -ENOENT with "unknown method 'x'" when there is no such method
 *   (use ctl_rpc_find() first to tell it from a handler's ENOENT);
 *   -EINVAL for bad parameters; or the handler's -errno.
 */
int ctl_rpc_call(struct ctl_rpc *rpc, const char *method, const json_t *params, json_t **result,
		 char *err, size_t errlen);

/** @return the JSON-RPC error code for a handler's -errno. */
int ctl_rpc_errno_code(int rc);

/**
 * Handle one JSON-RPC 2.0 message: a request object, a notification (no
 * "id": it runs but gets no answer) or a batch (an array of up to
 * CTL_RPC_MAX_BATCH of those).
 *
 * Errors carry {"code": <enum ctl_rpc_code>, "message": "<one line>",
 * "data": {"errno": "ENOENT"}} (data only for handler errors).
 *
 * @param buf
 *   The text, not necessarily NUL-terminated.
 * @param len
 *   Its length.
 * @return
 *   The response as compact JSON text with no newline, malloc'd (free()
 *   it), or NULL when there is nothing to answer (notifications only) or
 *   no memory.
 */
char *ctl_rpc_handle(struct ctl_rpc *rpc, const char *buf, size_t len);

/** Most requests in one batch. */
#define CTL_RPC_MAX_BATCH 64

/*
 * Getters for handlers. They read parameters that ctl_rpc_check() has
 * accepted, so they cannot fail; a missing optional key gives @p def.
 */

/** @return true if @p name is present (and not null). */
bool ctl_param_has(const json_t *params, const char *name);

/** @return the integer @p name, or @p def. */
int64_t ctl_param_int(const json_t *params, const char *name, int64_t def);

/** @return the boolean @p name, or @p def. */
bool ctl_param_bool(const json_t *params, const char *name, bool def);

/** @return the string (also MAC, IP or enum) @p name, borrowed from @p params, or @p def. */
const char *ctl_param_str(const json_t *params, const char *name, const char *def);

#endif /* CTL_RPC_H */
