/*
 * A small printf-style formatter: the one the whole kernel prints with.
 *
 * Model: the formatter walks the format string and hands every piece of output to a sink callback,
 * so the same code serves a bounded buffer (format_snprintf), the serial console and the log
 * without an intermediate buffer or a length limit. It is pure C with no kernel dependency, and the
 * host unit tests compare it with the C library's snprintf.
 *
 * Supported, with the meaning ISO C gives them:
 *   conversions  d i u x X o c s p %
 *   flags        - 0 + space #
 *   width        a number or *        precision  .number or .*
 *   length       hh h l ll j z t
 * %p prints like %#lx (glibc's choice) and "(nil)" for NULL; %s of NULL prints "(null)". %n and
 * floating point are not supported: such a conversion is copied to the output as written, so a
 * mistake shows instead of corrupting the argument list. Widths and precisions above
 * FORMAT_MAX_WIDTH are clamped to it.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "kernel/lib/compiler.h"

#define FORMAT_MAX_WIDTH 4096

/* Receives LEN bytes of output at S (not NUL-terminated). Never called with LEN == 0. */
typedef void (*format_sink_fn)(void *ctx, const char *s, size_t len);

/*
 * format_vprint - formats FMT with AP and passes the output, piece by piece, to SINK(CTX, ...).
 * Returns the number of bytes produced. Pure apart from what the sink does; never allocates.
 */
size_t format_vprint(format_sink_fn sink, void *ctx, const char *fmt, va_list ap);

/* format_print - format_vprint with variable arguments. */
size_t format_print(format_sink_fn sink, void *ctx, const char *fmt, ...) PRINTF_LIKE(3, 4);

/*
 * format_vsnprintf - like vsnprintf: writes at most SIZE bytes to BUF including a terminating NUL
 * (nothing at all when SIZE is 0; BUF may then be NULL) and returns the length the whole output
 * would have had, so a result >= SIZE means it was truncated.
 */
size_t format_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* format_snprintf - format_vsnprintf with variable arguments. */
size_t format_snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
