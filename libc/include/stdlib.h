/*
 * <stdlib.h>: number conversions, integer helpers, sorting and searching, memory allocation,
 * exit/atexit/_Exit and abort.
 *
 * malloc and friends (libc/stdlib/malloc.c) live on VMAs: small blocks in size classes carved
 * from 64 KiB chunks, large ones in their own area. One spinlock serialises them, so they may be
 * called from several threads; errno is still one global (libc/include/errno.h). exit
 * (libc/misc/exit.c) runs the atexit handlers, flushes stdout and stderr and ends the process
 * through process_exit. getenv, rand and the floating-point conversions are missing
 * (docs/libc.md).
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
 * Every block is 16-byte aligned. malloc(0) returns a unique pointer (a 16-byte block). On
 * failure the result is NULL with errno ENOMEM (calloc also when COUNT * SIZE overflows).
 * realloc(P, 0) behaves as realloc(P, 1); a failed realloc leaves P as it was. aligned_alloc
 * takes a power-of-two alignment up to 4096 (NULL with EINVAL otherwise). free and realloc abort
 * the process for a pointer malloc did not return, or one already freed.
 */
void *__LIBC_NAME(malloc)(size_t size);
void __LIBC_NAME(free)(void *p);
void *__LIBC_NAME(calloc)(size_t count, size_t size);
void *__LIBC_NAME(realloc)(void *p, size_t size);
void *__LIBC_NAME(aligned_alloc)(size_t alignment, size_t size);

/*
 * exit runs the atexit handlers (up to 32, last registered first; a handler may register more),
 * flushes stdout and stderr, and ends the process with STATUS. _Exit ends it at once. atexit
 * returns 0, or -1 when 32 handlers are registered already.
 */
int __LIBC_NAME(atexit)(void (*handler)(void));
_Noreturn void __LIBC_NAME(exit)(int status);
_Noreturn void __LIBC_NAME(_Exit)(int status);

/*
 * The process layer's way out, set by crt0: it flushes stdout and stderr and ends the process with
 * status QUIRE_STATUS_ABORTED (134), running no atexit handler. abort() calls it if set; if it is
 * unset or returns, abort() executes ud2 so the kernel kills the process.
 */
extern void (*__libc_abort_hook)(void);
_Noreturn void __LIBC_NAME(abort)(void);
