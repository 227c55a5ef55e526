// SPDX-License-Identifier: MIT
/* The names of the error numbers weft's system calls return, for messages, the trace and rules. */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include <linux/errno.h>

#include "lib/internal.h"

/*
 * Apart from lib/trace.c, which a program links only if it asks: start-up's
 * and the clock's fatal messages name their errno in every program. Laid
 * out as the trace's tables are: one string of NUL-separated names and a
 * parallel array of their values, a byte each (all are below 256), where an
 * array of pointers would cost 8 bytes a name.
 */
#define ERRNOS(X)                                                                     \
	X(EPERM) X(ENOENT) X(ESRCH) X(EINTR) X(EIO) X(ENXIO) X(E2BIG) X(ENOEXEC)      \
	X(EBADF) X(ECHILD) X(EAGAIN) X(ENOMEM) X(EACCES) X(EFAULT) X(EBUSY) X(EEXIST) \
	X(ENODEV) X(ENOTDIR) X(EISDIR) X(EINVAL) X(ENFILE) X(EMFILE) X(ENOSPC)        \
	X(ESPIPE) X(EROFS) X(EPIPE) X(ERANGE) X(EDEADLK) X(ENAMETOOLONG) X(ENOSYS)    \
	X(ETIMEDOUT) X(EOVERFLOW) X(EOWNERDEAD)

#define ERRNO_NAME(name) #name "\0"
#define ERRNO_VALUE(name) name,
static const char errno_names[] = ERRNOS(ERRNO_NAME);
static const unsigned char errno_values[] = { ERRNOS(ERRNO_VALUE) };

const char *weft_errno_name(int err)
{
	/* Widened first: the negation of INT_MIN would overflow an int. */
	long v = err < 0 ? -(long)err : err;
	const char *name = errno_names;

	for (size_t i = 0; v && i < sizeof(errno_values); i++, name += weft_strlen(name) + 1)
		if (errno_values[i] == v)
			return name;
	return NULL;
}

int weft_errno_by_name(const char *s, size_t n)
{
	const char *name = errno_names;

	for (size_t i = 0; i < sizeof(errno_values); i++, name += weft_strlen(name) + 1)
		if (weft_strncmp(name, s, n) == 0 && !name[n])
			return errno_values[i];
	return -1;
}
