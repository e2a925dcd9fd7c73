/*
 * A small printf for the loader's messages. Firmware Print() wants UCS-2 format strings and has
 * its own conversions; the loader's lines go to COM1 as ASCII as well, so it formats ASCII once
 * here and widens it only for ConOut. Pure C (host-tested by test/unit/test_loader_fmt.c).
 *
 * Conversions: %c %s %d %u %x %p %%, with an optional '0' flag, a field width and the length
 * modifiers l, ll and z. %s of NULL prints "(null)". Anything else is copied through verbatim.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

/* Formats into buf[0..size), always NUL-terminated when size > 0, truncating as needed. Returns
 * the length written (without the NUL). */
size_t fmt_vformat(char *buf, size_t size, const char *format, va_list args);

size_t fmt_format(char *buf, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
