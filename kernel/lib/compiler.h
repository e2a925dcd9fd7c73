/*
 * Compiler attributes and small helpers used all over the kernel.
 *
 * Spelled in capitals rather than as Linux's __packed and friends: identifiers with two leading
 * underscores belong to the implementation, and the host unit tests include the C library's own
 * headers next to ours.
 */
#pragma once

#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#define NOINLINE               __attribute__((noinline))
#define USED                   __attribute__((used))
#define SECTION(name)          __attribute__((section(name)))
#define ALIGNED(n)             __attribute__((aligned(n)))
#define PACKED                 __attribute__((packed))
#define LIKELY(x)              __builtin_expect(!!(x), 1)
#define UNLIKELY(x)            __builtin_expect(!!(x), 0)

/* The struct that embeds MEMBER at PTR (intrusive containers). */
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
