/*
 * The stream half of the printf family: printf, fprintf, puts, putchar and friends write to a FILE,
 * which forwards bytes to its sink.
 *
 * Each call formats through a 256-byte staging buffer and hands the sink whole chunks, so a sink
 * that makes a system call (the log sink of issue 5) makes one per call, not one per conversion.
 * There is no buffering across calls yet: output is visible when the call returns.
 *
 * stdout and stderr start unconnected; a write to an unconnected stream fails with ENOSYS, and the
 * stream's error flag is set. crt0 connects them with __libc_stdio_connect.
 */
#include "../include/errno.h"
#include "../include/stdio.h"
#include "../include/string.h"

static struct __libc_file stdout_file, stderr_file;
__LIBC_NAME(FILE) *const __LIBC_NAME(stdout) = &stdout_file;
__LIBC_NAME(FILE) *const __LIBC_NAME(stderr) = &stderr_file;

void __libc_stdio_connect(struct __libc_file *stream, struct __libc_sink *sink)
{
	stream->sink = sink;
	stream->error = 0;
}

struct staging_sink {
	struct __libc_sink sink; /* first: the callback casts back */
	struct __libc_file *stream;
	size_t used;
	char buf[256];
};

static int stream_write(struct __libc_file *stream, const char *s, size_t len)
{
	if (stream->error)
		return -1;
	if (stream->sink == NULL) {
		__LIBC_NAME(errno) = ENOSYS;
		stream->error = 1;
		return -1;
	}
	if (stream->sink->write(stream->sink, s, len) < 0) {
		stream->error = 1;
		return -1;
	}
	return 0;
}

static int staging_flush(struct staging_sink *st)
{
	size_t used = st->used;

	st->used = 0;
	return used > 0 ? stream_write(st->stream, st->buf, used) : 0;
}

static int staging_write(struct __libc_sink *sink, const char *s, size_t len)
{
	struct staging_sink *st = (struct staging_sink *)sink;

	if (len > sizeof(st->buf) - st->used && staging_flush(st) < 0)
		return -1;
	if (len >= sizeof(st->buf))
		return stream_write(st->stream, s, len);
	__LIBC_NAME(memcpy)(st->buf + st->used, s, len);
	st->used += len;
	return 0;
}

int __LIBC_NAME(vfprintf)(__LIBC_NAME(FILE) *restrict stream, const char *restrict fmt, va_list ap)
{
	struct staging_sink st = {.sink = {staging_write}, .stream = stream, .used = 0};
	int n = __libc_vformat(&st.sink, fmt, ap);

	if (staging_flush(&st) < 0)
		return -1;
	return n;
}

int __LIBC_NAME(fprintf)(__LIBC_NAME(FILE) *restrict stream, const char *restrict fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = __LIBC_NAME(vfprintf)(stream, fmt, ap);
	va_end(ap);
	return n;
}

int __LIBC_NAME(vprintf)(const char *restrict fmt, va_list ap)
{
	return __LIBC_NAME(vfprintf)(__LIBC_NAME(stdout), fmt, ap);
}

int __LIBC_NAME(printf)(const char *restrict fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = __LIBC_NAME(vfprintf)(__LIBC_NAME(stdout), fmt, ap);
	va_end(ap);
	return n;
}

int __LIBC_NAME(fputs)(const char *restrict s, __LIBC_NAME(FILE) *restrict stream)
{
	size_t len = __LIBC_NAME(strlen)(s);

	return len == 0 || stream_write(stream, s, len) == 0 ? 0 : EOF;
}

/* Writes s and a newline in one sink write. */
int __LIBC_NAME(puts)(const char *s)
{
	return __LIBC_NAME(printf)("%s\n", s) < 0 ? EOF : 0;
}

int __LIBC_NAME(fputc)(int c, __LIBC_NAME(FILE) * stream)
{
	char byte = (char)c;

	return stream_write(stream, &byte, 1) == 0 ? (unsigned char)byte : EOF;
}

int __LIBC_NAME(putchar)(int c)
{
	return __LIBC_NAME(fputc)(c, __LIBC_NAME(stdout));
}

int __LIBC_NAME(ferror)(__LIBC_NAME(FILE) * stream)
{
	return stream->error;
}

void __LIBC_NAME(clearerr)(__LIBC_NAME(FILE) * stream)
{
	stream->error = 0;
}
