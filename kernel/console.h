/*
 * The console: where every line the kernel prints goes.
 *
 * Model: a fan-out point. It feeds COM1 (serial.h) and, until user space takes the display over,
 * the framebuffer console (fbcon.h), without any caller knowing. Raw output: no timestamp and no level, which is what the TAP
 * lines of the test runner and the first "quire:" lines need. Everything else should go through
 * the log (lib/log.h). Not locked: see log.h.
 */
#pragma once

#include <stddef.h>

#include "kernel/lib/compiler.h"

/* console_write - sends LEN bytes from S to every console device. Never fails or allocates. */
void console_write(const char *s, size_t len);

/* console_printf - formats (lib/format.h) straight to the console; returns the bytes written. */
size_t console_printf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* console_sink - a format_sink_fn that writes to the console; CTX is unused. */
void console_sink(void *ctx, const char *s, size_t len);
