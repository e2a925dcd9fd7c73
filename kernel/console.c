/*
 * The console fan-out of console.h: COM1, and the framebuffer console (fbcon.h) while it draws.
 * Serial comes first, so a line is on the wire even if drawing it goes wrong.
 */
#include "kernel/console.h"

#include <stdarg.h>

#include "kernel/arch/x86_64/serial.h"
#include "kernel/fbcon.h"
#include "kernel/lib/format.h"

void console_write(const char *s, size_t len)
{
	serial_write(s, len);
	fbcon_write(s, len);
}

void console_sink(void *ctx, const char *s, size_t len)
{
	console_write(s, len);
}

size_t console_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	size_t n = format_vprint(console_sink, NULL, fmt, ap);
	va_end(ap);
	return n;
}
