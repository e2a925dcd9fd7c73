/*
 * The C string and memory functions the kernel uses, and that the compiler emits calls to on its
 * own (memcpy, memset, memmove, memcmp) even in freestanding code.
 *
 * Host unit tests use the C library's versions: linking kernel/lib/string.c into a host program
 * would replace the libc symbols that the sanitizers intercept.
 */
#pragma once

#include <stddef.h>

#ifdef QUIRE_HOST_TEST
#include <string.h>
#else
/* As in ISO C. The regions of memcpy must not overlap; memmove allows it. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
/* The length of S, but looking at no more than MAX bytes. */
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
#endif
