/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Symbolic errno names, as the control socket reports them.
 *
 * A JSON-RPC error from mflowd carries the handler's errno in
 * `error.data.errno`, as its symbolic name ("ENOENT") when it is one of the
 * values handlers commonly return, else as a number. Servers and clients
 * share this table, so both ends agree on the names. Needs only libc.
 */
#ifndef CTL_ERRNO_H
#define CTL_ERRNO_H

/**
 * The symbolic name of an errno value.
 *
 * @param e
 *   A positive errno value.
 * @return
 *   The name ("ENOENT"), or NULL if the table does not know @p e.
 */
const char *ctl_errno_name(int e);

/**
 * The errno value of a symbolic name.
 *
 * @param name
 *   A name such as "ENOENT"; NULL is accepted.
 * @return
 *   The positive errno value, or 0 if the table does not know @p name.
 */
int ctl_errno_from_name(const char *name);

#endif /* CTL_ERRNO_H */
