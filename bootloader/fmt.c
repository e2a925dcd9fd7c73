/*
 * The formatter writes through a bounded cursor: every character goes through put(), which drops
 * what does not fit and always leaves room for the final NUL, so truncation is the only effect of
 * a too-small buffer.
 */
#include "bootloader/fmt.h"

#include <stdint.h>

struct cursor {
	char *buf;
	size_t size; /* > 0 */
	size_t len;
};

static void put(struct cursor *c, char ch)
{
	if (c->len + 1 < c->size)
		c->buf[c->len++] = ch;
}

/* Writes `value` in `base` (10 or 16), padded to `width` with `pad`, with a leading '-' when
 * `negative`. */
static void put_number(struct cursor *c, uint64_t value, unsigned base, int negative,
		       unsigned width, char pad)
{
	char digits[24];
	unsigned n = 0;

	do {
		digits[n++] = "0123456789abcdef"[value % base];
		value /= base;
	} while (value != 0);
	unsigned len = n + (negative ? 1 : 0);
	if (negative && pad == '0')
		put(c, '-');
	for (; len < width; len++)
		put(c, pad);
	if (negative && pad != '0')
		put(c, '-');
	while (n > 0)
		put(c, digits[--n]);
}

static void put_string(struct cursor *c, const char *s, unsigned width)
{
	size_t len = 0;

	if (s == NULL)
		s = "(null)";
	while (s[len] != '\0')
		len++;
	for (; len < width; len++)
		put(c, ' ');
	while (*s != '\0')
		put(c, *s++);
}

enum length { LEN_INT, LEN_LONG, LEN_LONG_LONG, LEN_SIZE };

static enum length parse_length(const char **f)
{
	if (**f == 'z') {
		(*f)++;
		return LEN_SIZE;
	}
	if (**f != 'l')
		return LEN_INT;
	(*f)++;
	if (**f != 'l')
		return LEN_LONG;
	(*f)++;
	return LEN_LONG_LONG;
}

static uint64_t take_unsigned(va_list *args, enum length len)
{
	switch (len) {
	case LEN_LONG:
		return va_arg(*args, unsigned long);
	case LEN_LONG_LONG:
		return va_arg(*args, unsigned long long);
	case LEN_SIZE:
		return va_arg(*args, size_t);
	case LEN_INT:
		break;
	}
	return va_arg(*args, unsigned int);
}

static int64_t take_signed(va_list *args, enum length len)
{
	switch (len) {
	case LEN_LONG:
		return va_arg(*args, long);
	case LEN_LONG_LONG:
		return va_arg(*args, long long);
	case LEN_SIZE:
		return (int64_t)va_arg(*args, size_t);
	case LEN_INT:
		break;
	}
	return va_arg(*args, int);
}

static void put_signed(struct cursor *c, int64_t v, unsigned width, char pad)
{
	/* Negating INT64_MIN overflows; its magnitude is representable as unsigned. */
	uint64_t magnitude = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	put_number(c, magnitude, 10, v < 0, width, pad);
}

/* Formats one conversion; *f points just past the '%'. */
static void convert(struct cursor *c, const char **f, va_list *args)
{
	char pad = ' ';
	unsigned width = 0;

	if (**f == '0') {
		pad = '0';
		(*f)++;
	}
	while (**f >= '0' && **f <= '9')
		width = width * 10 + (unsigned)(*(*f)++ - '0');
	enum length len = parse_length(f);
	char conv = **f;
	if (conv == '\0')
		return;
	(*f)++;
	switch (conv) {
	case 'c':
		put(c, (char)va_arg(*args, int));
		break;
	case 's':
		put_string(c, va_arg(*args, const char *), width);
		break;
	case 'd':
		put_signed(c, take_signed(args, len), width, pad);
		break;
	case 'u':
		put_number(c, take_unsigned(args, len), 10, 0, width, pad);
		break;
	case 'x':
		put_number(c, take_unsigned(args, len), 16, 0, width, pad);
		break;
	case 'p':
		put(c, '0');
		put(c, 'x');
		put_number(c, (uintptr_t)va_arg(*args, void *), 16, 0, width, pad);
		break;
	default: /* "%%" and unknown conversions are copied */
		put(c, conv);
		break;
	}
}

size_t fmt_vformat(char *buf, size_t size, const char *format, va_list args)
{
	struct cursor c = {.buf = buf, .size = size, .len = 0};
	va_list ap;

	if (size == 0)
		return 0;
	va_copy(ap, args);
	while (*format != '\0') {
		if (*format != '%') {
			put(&c, *format++);
			continue;
		}
		format++;
		convert(&c, &format, &ap);
	}
	va_end(ap);
	buf[c.len] = '\0';
	return c.len;
}

size_t fmt_format(char *buf, size_t size, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	size_t len = fmt_vformat(buf, size, format, args);
	va_end(args);
	return len;
}
