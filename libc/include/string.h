/*
 * <string.h>: memory and string functions. strdup/strndup wait for malloc (issue 5); the
 * locale-dependent strcoll/strxfrm and strerror are not here yet (see docs/libc.md).
 */
#pragma once

#include <stddef.h>

#include "__libc.h"

void *__LIBC_NAME(memcpy)(void *restrict dst, const void *restrict src, size_t n);
void *__LIBC_NAME(memmove)(void *dst, const void *src, size_t n);
void *__LIBC_NAME(memset)(void *dst, int c, size_t n);
int __LIBC_NAME(memcmp)(const void *a, const void *b, size_t n);
void *__LIBC_NAME(memchr)(const void *s, int c, size_t n);

size_t __LIBC_NAME(strlen)(const char *s);
size_t __LIBC_NAME(strnlen)(const char *s, size_t max);
int __LIBC_NAME(strcmp)(const char *a, const char *b);
int __LIBC_NAME(strncmp)(const char *a, const char *b, size_t n);
char *__LIBC_NAME(strchr)(const char *s, int c);
char *__LIBC_NAME(strrchr)(const char *s, int c);
char *__LIBC_NAME(strstr)(const char *haystack, const char *needle);
char *__LIBC_NAME(strcpy)(char *restrict dst, const char *restrict src);
char *__LIBC_NAME(strncpy)(char *restrict dst, const char *restrict src, size_t n);
char *__LIBC_NAME(strcat)(char *restrict dst, const char *restrict src);
char *__LIBC_NAME(strncat)(char *restrict dst, const char *restrict src, size_t n);
size_t __LIBC_NAME(strspn)(const char *s, const char *accept);
size_t __LIBC_NAME(strcspn)(const char *s, const char *reject);
char *__LIBC_NAME(strpbrk)(const char *s, const char *accept);
char *__LIBC_NAME(strtok_r)(char *restrict s, const char *restrict delim, char **restrict save);
