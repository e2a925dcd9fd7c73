/*
 * <stdio.h>, the formatted-output part: the printf family and puts/putchar.
 *
 * Output goes through a sink (struct __libc_sink), one write callback. snprintf/sprintf format into
 * a buffer sink; printf/fprintf/puts/putchar write to a stream (FILE), which is nothing but a sink
 * pointer and an error flag for now. stdout and stderr start unconnected: writing to them fails with
 * ENOSYS. The seam for issue 5 is __libc_stdio_connect: crt0 will connect both to a sink that sends
 * bytes to the kernel log (or console) through the log system call. Buffered streams, fopen, input
 * and the rest of <stdio.h> come later (docs/libc.md).
 *
 * Conversions: see docs/libc.md. %n is deliberately unsupported (it consumes its pointer and
 * writes nothing): it turns any format string an attacker can influence into a memory write.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "__libc.h"

#ifndef EOF
#define EOF (-1)
#endif

/*
 * Receives formatted bytes. write takes len (> 0) bytes and returns 0, or a negative value if they
 * could not be written, which makes the printf call fail (it returns a negative value).
 */
struct __libc_sink {
	int (*write)(struct __libc_sink *sink, const char *s, size_t len);
};

/* A stream: where its bytes go, and whether a write has failed (ferror). */
struct __libc_file {
	struct __libc_sink *sink;
	int error;
};
typedef struct __libc_file __LIBC_NAME(FILE);

extern __LIBC_NAME(FILE) *const __LIBC_NAME(stdout);
extern __LIBC_NAME(FILE) *const __LIBC_NAME(stderr);
#ifndef QUIRE_HOST_TEST
#define stdout stdout
#define stderr stderr
#endif

/* Points stream at sink (NULL disconnects it) and clears its error flag. crt0's job later. */
void __libc_stdio_connect(struct __libc_file *stream, struct __libc_sink *sink);

/*
 * The formatter under every printf: formats into sink, returns the number of bytes produced, or -1
 * with errno set (EOVERFLOW past INT_MAX bytes, or the sink's failure). Stops writing on the first
 * sink failure.
 */
int __libc_vformat(struct __libc_sink *sink, const char *restrict fmt, va_list ap);

#define __LIBC_PRINTF(f, a) __attribute__((format(printf, f, a)))

int __LIBC_NAME(snprintf)(char *restrict buf, size_t size, const char *restrict fmt, ...)
    __LIBC_PRINTF(3, 4);
int __LIBC_NAME(vsnprintf)(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
    __LIBC_PRINTF(3, 0);
int __LIBC_NAME(sprintf)(char *restrict buf, const char *restrict fmt, ...) __LIBC_PRINTF(2, 3);
int __LIBC_NAME(vsprintf)(char *restrict buf, const char *restrict fmt, va_list ap)
    __LIBC_PRINTF(2, 0);

int __LIBC_NAME(printf)(const char *restrict fmt, ...) __LIBC_PRINTF(1, 2);
int __LIBC_NAME(vprintf)(const char *restrict fmt, va_list ap) __LIBC_PRINTF(1, 0);
int __LIBC_NAME(fprintf)(__LIBC_NAME(FILE) *restrict stream, const char *restrict fmt, ...)
    __LIBC_PRINTF(2, 3);
int __LIBC_NAME(vfprintf)(__LIBC_NAME(FILE) *restrict stream, const char *restrict fmt, va_list ap)
    __LIBC_PRINTF(2, 0);
int __LIBC_NAME(fputs)(const char *restrict s, __LIBC_NAME(FILE) *restrict stream);
int __LIBC_NAME(puts)(const char *s);
int __LIBC_NAME(fputc)(int c, __LIBC_NAME(FILE) * stream);
int __LIBC_NAME(putchar)(int c);
int __LIBC_NAME(ferror)(__LIBC_NAME(FILE) * stream);
void __LIBC_NAME(clearerr)(__LIBC_NAME(FILE) * stream);
