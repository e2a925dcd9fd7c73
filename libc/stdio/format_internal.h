/*
 * Shared by the formatter's files (format.c, format_float.c): the output state and a parsed
 * conversion specification.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../include/stdio.h"

/* Where formatted bytes go. count goes on after a sink failure, so the caller sees both. */
struct format_out {
	struct __libc_sink *sink;
	size_t count;
	bool failed;
};

enum {
	FLAG_LEFT = 1 << 0,  /* '-' */
	FLAG_PLUS = 1 << 1,  /* '+' */
	FLAG_SPACE = 1 << 2, /* ' ' */
	FLAG_ALT = 1 << 3,   /* '#' */
	FLAG_ZERO = 1 << 4,  /* '0' */
};

struct format_spec {
	unsigned flags;
	size_t width;
	int precision; /* -1: none given */
	char conversion;
};

void __libc_format_put(struct format_out *out, const char *s, size_t len);
void __libc_format_repeat(struct format_out *out, char c, size_t count);

/* Emits prefix (a sign or "0x"), zeros, then body len bytes, padded to the field width. */
void __libc_format_field(struct format_out *out, const struct format_spec *spec, const char *prefix,
			 size_t zeros, const char *body, size_t len);

/* %f %F %e %E %g %G %a %A of value. */
void __libc_format_double(struct format_out *out, const struct format_spec *spec, double value);
