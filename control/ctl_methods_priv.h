/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What the method files of the control module share: the handler lock
 * wrapper and the error helper. Only control/ may include this header.
 */
#ifndef CTL_METHODS_PRIV_H
#define CTL_METHODS_PRIV_H

#include <pthread.h>
#include <stddef.h>

#include <jansson.h>

#include "ctl_methods.h"
#include "ctl_rpc.h"

/**
 * Define fn_locked(), the table's handler: it runs @p fn with the context's
 * lock held, so that handlers of different front-ends never overlap.
 */
#define LOCKED(fn)                                                                          \
	static int fn##_locked(void *ctx, const json_t *params, json_t **result, char *err, \
			       size_t errlen)                                               \
	{                                                                                   \
		struct ctl_ctx *c = ctx;                                                    \
		int rc;                                                                     \
                                                                                            \
		pthread_mutex_lock(&c->lock);                                               \
		rc = fn(c, params, result, err, errlen);                                    \
		pthread_mutex_unlock(&c->lock);                                             \
		return rc;                                                                  \
	}

/**
 * Write a message for a failure where strerror() would not say which
 * object failed.
 *
 * @return
 *   @p rc.
 */
int ctl_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/**
 * Register the container methods (ctl_ct_methods.c).
 *
 * @return
 *   0 or -errno, as ctl_rpc_register_all().
 */
int ctl_ct_methods_register(struct ctl_rpc *rpc);

#endif /* CTL_METHODS_PRIV_H */
