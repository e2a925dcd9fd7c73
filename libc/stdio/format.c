/*
 * The printf engine: parses each conversion specification and formats its argument into a sink.
 *
 * Supported, as C11 describes them: conversions d i u o x X c s p % and (in format_float.c)
 * f F e E g G a A; flags - + space # 0; field width and precision, either one given as `*`; length
 * modifiers hh h l ll j z t. Output matches glibc's, including its choices where C leaves them to
 * the implementation: %p prints like %#lx and a null pointer as "(nil)", a null %s as "(null)".
 *
 * Not supported, each consuming its argument and printing nothing so later conversions still get
 * theirs: %n (deliberately: a format string that reaches an attacker becomes a memory write, and no
 * program in Quire needs it), %lc and %ls (no wide characters or multibyte locale), and the L
 * modifier on floating conversions (long double). A specification that is not a conversion at all
 * is copied to the output as written, as glibc does.
 */
#include <limits.h>
#include <stdint.h>

#include "../include/errno.h"
#include "../include/string.h"
#include "format_internal.h"

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_J, LEN_Z, LEN_T, LEN_BIG_L };

void __libc_format_put(struct format_out *out, const char *s, size_t len)
{
	if (len == 0)
		return;
	out->count += len;
	if (!out->failed && out->sink->write(out->sink, s, len) < 0)
		out->failed = true;
}

void __libc_format_repeat(struct format_out *out, char c, size_t count)
{
	char chunk[64];
	size_t n = count < sizeof(chunk) ? count : sizeof(chunk);

	__LIBC_NAME(memset)(chunk, c, n);
	while (count > 0) {
		n = count < sizeof(chunk) ? count : sizeof(chunk);
		__libc_format_put(out, chunk, n);
		count -= n;
	}
}

void __libc_format_field(struct format_out *out, const struct format_spec *spec, const char *prefix,
			 size_t zeros, const char *body, size_t len)
{
	size_t prefix_len = __LIBC_NAME(strlen)(prefix);
	size_t total = prefix_len + zeros + len;
	size_t pad = spec->width > total ? spec->width - total : 0;

	if (!(spec->flags & FLAG_LEFT))
		__libc_format_repeat(out, ' ', pad);
	__libc_format_put(out, prefix, prefix_len);
	__libc_format_repeat(out, '0', zeros);
	__libc_format_put(out, body, len);
	if (spec->flags & FLAG_LEFT)
		__libc_format_repeat(out, ' ', pad);
}

/* Integers: value's digits in base, after the sign or "0x" prefix the flags ask for. */
static void format_integer(struct format_out *out, const struct format_spec *spec, uintmax_t value,
			   bool negative, unsigned base)
{
	const char *digit = spec->conversion == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[sizeof(uintmax_t) * CHAR_BIT / 3 + 1];
	size_t len = 0;
	char prefix[4] = "", *p = prefix;

	for (uintmax_t v = value; v != 0; v /= base)
		buf[sizeof(buf) - ++len] = digit[v % base];
	size_t precision = spec->precision < 0 ? 1 : (size_t)spec->precision;
	size_t zeros = precision > len ? precision - len : 0;
	if ((spec->flags & FLAG_ALT) && base == 8 && zeros == 0)
		zeros = 1; /* the leading digit of %#o is 0 */
	if (negative)
		*p++ = '-';
	else if (spec->flags & FLAG_PLUS)
		*p++ = '+';
	else if (spec->flags & FLAG_SPACE)
		*p++ = ' ';
	if ((spec->flags & FLAG_ALT) && base == 16 && value != 0) {
		*p++ = '0';
		*p++ = spec->conversion == 'X' ? 'X' : 'x';
	}
	*p = '\0';
	size_t used = __LIBC_NAME(strlen)(prefix) + zeros + len;
	if ((spec->flags & (FLAG_ZERO | FLAG_LEFT)) == FLAG_ZERO && spec->precision < 0 &&
	    spec->width > used)
		zeros += spec->width - used;
	__libc_format_field(out, spec, prefix, zeros, buf + sizeof(buf) - len, len);
}

static intmax_t signed_argument(enum length length, va_list *ap)
{
	switch (length) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_J:
		return va_arg(*ap, intmax_t);
	case LEN_Z:
		return va_arg(*ap, ptrdiff_t); /* the signed type of size_t's width */
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, int);
	}
}

static uintmax_t unsigned_argument(enum length length, va_list *ap)
{
	switch (length) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	case LEN_Z:
		return va_arg(*ap, size_t);
	case LEN_T:
		return (uintmax_t)va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, unsigned);
	}
}

static void format_string(struct format_out *out, const struct format_spec *spec, const char *s)
{
	if (s == NULL)
		s = spec->precision < 0 || spec->precision >= 6 ? "(null)" : "";
	size_t len = spec->precision < 0 ? __LIBC_NAME(strlen)(s)
					 : __LIBC_NAME(strnlen)(s, (size_t)spec->precision);
	__libc_format_field(out, spec, "", 0, s, len);
}

static void format_pointer(struct format_out *out, struct format_spec *spec, const void *p)
{
	if (p == NULL) {
		spec->precision = -1;
		__libc_format_field(out, spec, "", 0, "(nil)", 5);
		return;
	}
	spec->flags |= FLAG_ALT;
	spec->conversion = 'x';
	format_integer(out, spec, (uintptr_t)p, false, 16);
}

/* Reads a decimal number or `*`; false if it does not fit in an int. */
static bool read_count(const char **fmt, va_list *ap, int *value, bool *given)
{
	*given = false;
	*value = 0;
	if (**fmt == '*') {
		(*fmt)++;
		*value = va_arg(*ap, int);
		*given = true;
		return true;
	}
	while (**fmt >= '0' && **fmt <= '9') {
		int d = *(*fmt)++ - '0';
		if (*value > (INT_MAX - d) / 10)
			return false;
		*value = *value * 10 + d;
		*given = true;
	}
	return true;
}

static enum length read_length(const char **fmt)
{
	const char *f = *fmt;
	enum length length = LEN_NONE;

	switch (*f) {
	case 'h':
		length = f[1] == 'h' ? LEN_HH : LEN_H;
		break;
	case 'l':
		length = f[1] == 'l' ? LEN_LL : LEN_L;
		break;
	case 'j':
		length = LEN_J;
		break;
	case 'z':
		length = LEN_Z;
		break;
	case 't':
		length = LEN_T;
		break;
	case 'L':
		length = LEN_BIG_L;
		break;
	default:
		return LEN_NONE;
	}
	*fmt += (length == LEN_HH || length == LEN_LL) ? 2 : 1;
	return length;
}

/* Formats one argument of a parsed specification; false for an unknown conversion. */
static bool format_argument(struct format_out *out, struct format_spec *spec, enum length length,
			    va_list *ap)
{
	switch (spec->conversion) {
	case 'd':
	case 'i': {
		intmax_t v = signed_argument(length, ap);
		format_integer(out, spec, v < 0 ? 0 - (uintmax_t)v : (uintmax_t)v, v < 0, 10);
		return true;
	}
	case 'u':
	case 'o':
	case 'x':
	case 'X': {
		unsigned base = spec->conversion == 'u' ? 10 : spec->conversion == 'o' ? 8 : 16;
		spec->flags &= ~(unsigned)(FLAG_PLUS | FLAG_SPACE);
		format_integer(out, spec, unsigned_argument(length, ap), false, base);
		return true;
	}
	case 'c': {
		char c = (char)va_arg(*ap, int);
		if (length != LEN_L) {
			spec->precision = -1;
			__libc_format_field(out, spec, "", 0, &c, 1);
		}
		return true;
	}
	case 's': {
		const char *s = va_arg(*ap, const char *);
		if (length != LEN_L)
			format_string(out, spec, s);
		return true;
	}
	case 'p':
		format_pointer(out, spec, va_arg(*ap, const void *));
		return true;
	case 'n':
		(void)va_arg(*ap, void *);
		return true;
	case 'f':
	case 'F':
	case 'e':
	case 'E':
	case 'g':
	case 'G':
	case 'a':
	case 'A':
		if (length == LEN_BIG_L)
			(void)va_arg(*ap, long double);
		else
			__libc_format_double(out, spec, va_arg(*ap, double));
		return true;
	default:
		return false;
	}
}

/* Parses the specification after a '%' and formats it; false if the output would pass INT_MAX. */
static bool format_one(struct format_out *out, const char **fmt, va_list *ap)
{
	const char *start = *fmt - 1;
	struct format_spec spec = {0, 0, -1, 0};
	int width, precision;
	bool given;

	for (;; (*fmt)++) {
		const char *flag = __LIBC_NAME(strchr)("-+ #0", **fmt);
		if (**fmt == '\0' || flag == NULL)
			break;
		spec.flags |= 1u << (flag - "-+ #0");
	}
	if (!read_count(fmt, ap, &width, &given))
		return false;
	if (width < 0) {
		spec.flags |= FLAG_LEFT;
		width = width == INT_MIN ? INT_MAX : -width;
	}
	spec.width = (size_t)width;
	if (**fmt == '.') {
		(*fmt)++;
		if (!read_count(fmt, ap, &precision, &given))
			return false;
		spec.precision = precision < 0 ? -1 : precision;
	}
	enum length length = read_length(fmt);
	spec.conversion = **fmt;
	if (spec.conversion == '%') {
		(*fmt)++;
		__libc_format_put(out, "%", 1);
		return true;
	}
	if (spec.conversion != '\0')
		(*fmt)++;
	if (!format_argument(out, &spec, length, ap))
		__libc_format_put(out, start, (size_t)(*fmt - start));
	return true;
}

int __libc_vformat(struct __libc_sink *sink, const char *restrict format, va_list ap)
{
	struct format_out out = {sink, 0, false};
	const char *fmt = format;
	va_list args;

	va_copy(args, ap);
	while (*fmt != '\0') {
		const char *percent = __LIBC_NAME(strchr)(fmt, '%');
		size_t run = percent != NULL ? (size_t)(percent - fmt) : __LIBC_NAME(strlen)(fmt);
		__libc_format_put(&out, fmt, run);
		fmt += run;
		if (*fmt == '%') {
			fmt++;
			if (!format_one(&out, &fmt, &args) || out.count > INT_MAX) {
				va_end(args);
				__LIBC_NAME(errno) = EOVERFLOW;
				return -1;
			}
		}
	}
	va_end(args);
	if (out.count > INT_MAX) {
		__LIBC_NAME(errno) = EOVERFLOW;
		return -1;
	}
	return out.failed ? -1 : (int)out.count;
}
