/*
 * The printf functions that format into memory. A buffer sink keeps the first size - 1 bytes and
 * drops the rest, so the result is always terminated when size > 0 and the return value is the
 * length the whole output would have had.
 */
#include <stdint.h>

#include "../include/stdio.h"
#include "../include/string.h"

struct buffer_sink {
	struct __libc_sink sink; /* first: the callback casts back */
	char *buf;
	size_t room; /* bytes that may still be stored, the terminator's place excluded */
};

static int buffer_write(struct __libc_sink *sink, const char *s, size_t len)
{
	struct buffer_sink *b = (struct buffer_sink *)sink;
	size_t n = len < b->room ? len : b->room;

	if (n == 0)
		return 0; /* the buffer may be NULL when size is 0 */
	__LIBC_NAME(memcpy)(b->buf, s, n);
	b->buf += n;
	b->room -= n;
	return 0;
}

int __LIBC_NAME(vsnprintf)(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
	struct buffer_sink b = {{buffer_write}, buf, size > 0 ? size - 1 : 0};
	int n = __libc_vformat(&b.sink, fmt, ap);

	if (size > 0)
		*b.buf = '\0';
	return n;
}

int __LIBC_NAME(snprintf)(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = __LIBC_NAME(vsnprintf)(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* No bound: the caller promises the buffer is large enough, as C's sprintf does. */
int __LIBC_NAME(vsprintf)(char *restrict buf, const char *restrict fmt, va_list ap)
{
	return __LIBC_NAME(vsnprintf)(buf, SIZE_MAX, fmt, ap);
}

int __LIBC_NAME(sprintf)(char *restrict buf, const char *restrict fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = __LIBC_NAME(vsprintf)(buf, fmt, ap);
	va_end(ap);
	return n;
}
