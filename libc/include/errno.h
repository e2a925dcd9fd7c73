/*
 * <errno.h>: error numbers of the C library (not the kernel's error codes, which the system-call
 * stubs will translate). The values are Linux's, so ported code and the host tests agree on them.
 *
 * errno is a plain global for now: Quire has no threads in user space yet. When thread_create
 * arrives (issue 5) it becomes `(*__errno_location())` on a thread-local slot; code that only uses
 * the name `errno` does not change.
 */
#pragma once

#include "__libc.h"

extern int __LIBC_NAME(errno);
#ifndef QUIRE_HOST_TEST
#define errno errno
#endif

#define ENOMEM    12
#define EINVAL    22
#define EDOM      33
#define ERANGE    34
#define ENOSYS    38
#define EOVERFLOW 75
#define EILSEQ    84
