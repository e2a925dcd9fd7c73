/*
 * <stdlib.h>: number conversions, integer helpers, sorting and searching, abort.
 * malloc/free/calloc/realloc (on VMAs), exit/atexit and getenv come with the process layer of
 * issue 5; see docs/libc.md for what is missing.
 */
#pragma once

#include <stddef.h>

#include "__libc.h"

#ifndef EXIT_SUCCESS
#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#endif

long __LIBC_NAME(strtol)(const char *restrict s, char **restrict end, int base);
unsigned long __LIBC_NAME(strtoul)(const char *restrict s, char **restrict end, int base);
long long __LIBC_NAME(strtoll)(const char *restrict s, char **restrict end, int base);
unsigned long long __LIBC_NAME(strtoull)(const char *restrict s, char **restrict end, int base);
int __LIBC_NAME(atoi)(const char *s);
long __LIBC_NAME(atol)(const char *s);
long long __LIBC_NAME(atoll)(const char *s);

int __LIBC_NAME(abs)(int v);
long __LIBC_NAME(labs)(long v);
long long __LIBC_NAME(llabs)(long long v);

void __LIBC_NAME(qsort)(void *base, size_t count, size_t size,
			int (*compare)(const void *, const void *));
void *__LIBC_NAME(bsearch)(const void *key, const void *base, size_t count, size_t size,
			   int (*compare)(const void *, const void *));

/*
 * The process layer's way out, set by crt0 when process_exit exists (issue 5). abort() calls it if
 * set; if it is unset or returns, abort() executes ud2 so the kernel kills the process.
 */
extern void (*__libc_abort_hook)(void);
_Noreturn void __LIBC_NAME(abort)(void);
