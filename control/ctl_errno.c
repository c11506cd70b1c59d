/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Symbolic errno names (ctl_errno.h).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "ctl_errno.h"

/** An errno value with its symbolic name. */
#define ERRNO_NAME(e)   \
	{               \
		(e), #e \
	}

/** Symbolic names of the errno values handlers commonly return. */
static const struct {
	int no;
	const char *name;
} errno_names[] = {
	ERRNO_NAME(EPERM),	  ERRNO_NAME(ENOENT),	     ERRNO_NAME(ESRCH),
	ERRNO_NAME(EINTR),	  ERRNO_NAME(EIO),	     ERRNO_NAME(ENXIO),
	ERRNO_NAME(E2BIG),	  ERRNO_NAME(EBADF),	     ERRNO_NAME(EAGAIN),
	ERRNO_NAME(ENOMEM),	  ERRNO_NAME(EACCES),	     ERRNO_NAME(EFAULT),
	ERRNO_NAME(EBUSY),	  ERRNO_NAME(EEXIST),	     ERRNO_NAME(ENODEV),
	ERRNO_NAME(ENOTDIR),	  ERRNO_NAME(EISDIR),	     ERRNO_NAME(EINVAL),
	ERRNO_NAME(ENFILE),	  ERRNO_NAME(EMFILE),	     ERRNO_NAME(EFBIG),
	ERRNO_NAME(ENOSPC),	  ERRNO_NAME(EROFS),	     ERRNO_NAME(EPIPE),
	ERRNO_NAME(EDOM),	  ERRNO_NAME(ERANGE),	     ERRNO_NAME(EDEADLK),
	ERRNO_NAME(ENAMETOOLONG), ERRNO_NAME(ENOSYS),	     ERRNO_NAME(ENOTEMPTY),
	ERRNO_NAME(ELOOP),	  ERRNO_NAME(ENODATA),	     ERRNO_NAME(EPROTO),
	ERRNO_NAME(EOVERFLOW),	  ERRNO_NAME(EMSGSIZE),	     ERRNO_NAME(ENOTSUP),
	ERRNO_NAME(EADDRINUSE),	  ERRNO_NAME(EADDRNOTAVAIL), ERRNO_NAME(ENETDOWN),
	ERRNO_NAME(ENETUNREACH),  ERRNO_NAME(ECONNRESET),    ERRNO_NAME(ENOBUFS),
	ERRNO_NAME(ENOTCONN),	  ERRNO_NAME(ETIMEDOUT),     ERRNO_NAME(ECONNREFUSED),
	ERRNO_NAME(EHOSTUNREACH), ERRNO_NAME(EALREADY),	     ERRNO_NAME(EINPROGRESS),
	ERRNO_NAME(ECANCELED),	  ERRNO_NAME(ECHILD),
};

const char *
ctl_errno_name(int e)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].no == e)
			return errno_names[i].name;
	return NULL;
}

int
ctl_errno_from_name(const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (strcmp(errno_names[i].name, name) == 0)
			return errno_names[i].no;
	return 0;
}
