/*
 * The formatter behind format.h. One conversion at a time: parse_spec() reads the flags, width,
 * precision, length and conversion character into a struct spec; the emit_* functions lay out
 * sign, prefix, zero padding, digits and space padding in the order ISO C prescribes. Integers are
 * fetched at their promoted type and then narrowed as the length modifier says, so "%hhx" of 0x1ff
 * prints "ff" as it must.
 */
#include "kernel/lib/format.h"

#include <stdbool.h>
#include <stdint.h>

#include "kernel/panic.h"

enum {
	FLAG_LEFT = 1 << 0,  /* '-': pad on the right */
	FLAG_ZERO = 1 << 1,  /* '0': pad numbers with zeros after the sign and prefix */
	FLAG_PLUS = 1 << 2,  /* '+': always print a sign for signed conversions */
	FLAG_SPACE = 1 << 3, /* ' ': a space where a '+' would go */
	FLAG_ALT = 1 << 4,   /* '#': 0x for hex, a leading 0 for octal */
};

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_J, LEN_Z, LEN_T };

struct spec {
	unsigned flags;
	int width;     /* 0 when absent */
	int precision; /* -1 when absent */
	enum length length;
	char conv;
};

struct out {
	format_sink_fn sink;
	void *ctx;
	size_t count;
};

/* va_list wrapped in a struct so helpers can consume arguments through a pointer portably. */
struct args {
	va_list ap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n == 0)
		return;
	o->sink(o->ctx, s, n);
	o->count += n;
}

static void put_repeated(struct out *o, char c, int n)
{
	char chunk[16];

	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = c;
	while (n > 0) {
		int now = n < (int)sizeof(chunk) ? n : (int)sizeof(chunk);
		put(o, chunk, (size_t)now);
		n -= now;
	}
}

static int clamp_width(long v)
{
	return v > FORMAT_MAX_WIDTH ? FORMAT_MAX_WIDTH : (int)v;
}

/* Reads a decimal number or '*' (taken from the arguments). Returns the position after it. */
static const char *parse_count(const char *p, struct args *a, long *value)
{
	if (*p == '*') {
		*value = va_arg(a->ap, int);
		return p + 1;
	}
	long v = 0;
	while (*p >= '0' && *p <= '9') {
		if (v <= FORMAT_MAX_WIDTH)
			v = v * 10 + (*p - '0');
		p++;
	}
	*value = v;
	return p;
}

static const char *parse_flags(const char *p, unsigned *flags)
{
	for (;; p++) {
		switch (*p) {
		case '-':
			*flags |= FLAG_LEFT;
			break;
		case '0':
			*flags |= FLAG_ZERO;
			break;
		case '+':
			*flags |= FLAG_PLUS;
			break;
		case ' ':
			*flags |= FLAG_SPACE;
			break;
		case '#':
			*flags |= FLAG_ALT;
			break;
		default:
			return p;
		}
	}
}

static const char *parse_length(const char *p, enum length *length)
{
	switch (*p) {
	case 'h':
		*length = p[1] == 'h' ? LEN_HH : LEN_H;
		return p + (p[1] == 'h' ? 2 : 1);
	case 'l':
		*length = p[1] == 'l' ? LEN_LL : LEN_L;
		return p + (p[1] == 'l' ? 2 : 1);
	case 'j':
		*length = LEN_J;
		return p + 1;
	case 'z':
		*length = LEN_Z;
		return p + 1;
	case 't':
		*length = LEN_T;
		return p + 1;
	default:
		*length = LEN_NONE;
		return p;
	}
}

/* P points just after '%'. Fills S and returns the position after the conversion character. */
static const char *parse_spec(const char *p, struct args *a, struct spec *s)
{
	long v;

	s->flags = 0;
	p = parse_flags(p, &s->flags);
	p = parse_count(p, a, &v);
	if (v < 0) {
		s->flags |= FLAG_LEFT;
		v = -v;
	}
	s->width = clamp_width(v);
	s->precision = -1;
	if (*p == '.') {
		p = parse_count(p + 1, a, &v);
		s->precision = v < 0 ? -1 : clamp_width(v);
	}
	p = parse_length(p, &s->length);
	s->conv = *p;
	return *p != '\0' ? p + 1 : p;
}

static int64_t fetch_signed(struct args *a, enum length length)
{
	switch (length) {
	case LEN_HH:
		return (signed char)va_arg(a->ap, int);
	case LEN_H:
		return (short)va_arg(a->ap, int);
	case LEN_L:
		return va_arg(a->ap, long);
	case LEN_LL:
		return va_arg(a->ap, long long);
	case LEN_J:
		return va_arg(a->ap, intmax_t);
	case LEN_Z:
	case LEN_T:
		return va_arg(a->ap, ptrdiff_t);
	case LEN_NONE:
		break;
	}
	return va_arg(a->ap, int);
}

static uint64_t fetch_unsigned(struct args *a, enum length length)
{
	switch (length) {
	case LEN_HH:
		return (unsigned char)va_arg(a->ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(a->ap, unsigned int);
	case LEN_L:
		return va_arg(a->ap, unsigned long);
	case LEN_LL:
		return va_arg(a->ap, unsigned long long);
	case LEN_J:
		return va_arg(a->ap, uintmax_t);
	case LEN_Z:
		return va_arg(a->ap, size_t);
	case LEN_T:
		return (uint64_t)va_arg(a->ap, ptrdiff_t);
	case LEN_NONE:
		break;
	}
	return va_arg(a->ap, unsigned int);
}

/* Writes the digits of V in BASE to the end of BUF (24 bytes); returns how many. */
static int to_digits(uint64_t v, unsigned base, bool upper, char buf[24])
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;

	while (v != 0) {
		buf[23 - n++] = set[v % base];
		v /= base;
	}
	return n;
}

/* Lays out a converted integer: [spaces] [sign/prefix] [zeros] digits [spaces]. */
static void emit_integer(struct out *o, const struct spec *s, uint64_t mag, char sign)
{
	unsigned base = s->conv == 'o' ? 8 : (s->conv == 'x' || s->conv == 'X') ? 16 : 10;
	char buf[24], prefix[2];
	int ndigits = to_digits(mag, base, s->conv == 'X', buf);
	int nprefix = 0, zeros = 0;

	if (mag == 0 && s->precision != 0)
		buf[23 - ndigits++] = '0';
	if (s->precision > ndigits)
		zeros = s->precision - ndigits;
	if (sign != '\0')
		prefix[nprefix++] = sign;
	if ((s->flags & FLAG_ALT) && base == 16 && mag != 0) {
		prefix[nprefix++] = '0';
		prefix[nprefix++] = s->conv;
	}
	if ((s->flags & FLAG_ALT) && base == 8 && zeros == 0 && (ndigits == 0 || mag != 0))
		zeros = 1;
	int body = nprefix + zeros + ndigits;
	if ((s->flags & (FLAG_LEFT | FLAG_ZERO)) == FLAG_ZERO && s->precision < 0 &&
	    s->width > body) {
		zeros += s->width - body;
		body = s->width;
	}
	if (!(s->flags & FLAG_LEFT))
		put_repeated(o, ' ', s->width - body);
	put(o, prefix, (size_t)nprefix);
	put_repeated(o, '0', zeros);
	put(o, buf + 24 - ndigits, (size_t)ndigits);
	if (s->flags & FLAG_LEFT)
		put_repeated(o, ' ', s->width - body);
}

/* A string (or a single character) padded with spaces to the width. */
static void emit_text(struct out *o, const struct spec *s, const char *text, size_t len)
{
	int pad = s->width > (int)len ? s->width - (int)len : 0;

	if (!(s->flags & FLAG_LEFT))
		put_repeated(o, ' ', pad);
	put(o, text, len);
	if (s->flags & FLAG_LEFT)
		put_repeated(o, ' ', pad);
}

static void emit_string(struct out *o, const struct spec *s, const char *str)
{
	size_t len = 0;

	if (str == NULL)
		str = "(null)";
	/* Never read past the precision: the string need not be terminated within it. */
	while ((s->precision < 0 || len < (size_t)s->precision) && str[len] != '\0')
		len++;
	emit_text(o, s, str, len);
}

static void emit_pointer(struct out *o, struct spec *s, const void *p)
{
	if (p == NULL) {
		s->precision = -1;
		emit_text(o, s, "(nil)", 5);
		return;
	}
	s->flags |= FLAG_ALT;
	s->conv = 'x';
	emit_integer(o, s, (uint64_t)(uintptr_t)p, '\0');
}

static char sign_of(const struct spec *s, bool negative)
{
	if (negative)
		return '-';
	if (s->flags & FLAG_PLUS)
		return '+';
	if (s->flags & FLAG_SPACE)
		return ' ';
	return '\0';
}

/* Carries out one parsed conversion. Returns false for an unsupported one. */
static bool convert(struct out *o, struct spec *s, struct args *a)
{
	switch (s->conv) {
	case 'd':
	case 'i': {
		int64_t v = fetch_signed(a, s->length);
		uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
		emit_integer(o, s, mag, sign_of(s, v < 0));
		return true;
	}
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		emit_integer(o, s, fetch_unsigned(a, s->length), '\0');
		return true;
	case 'c': {
		char c = (char)va_arg(a->ap, int);
		emit_text(o, s, &c, 1);
		return true;
	}
	case 's':
		emit_string(o, s, va_arg(a->ap, const char *));
		return true;
	case 'p':
		emit_pointer(o, s, va_arg(a->ap, const void *));
		return true;
	case '%':
		put(o, "%", 1);
		return true;
	default:
		return false;
	}
}

size_t format_vprint(format_sink_fn sink, void *ctx, const char *fmt, va_list ap)
{
	struct out o = {.sink = sink, .ctx = ctx, .count = 0};
	struct args a;
	struct spec s;

	va_copy(a.ap, ap);
	while (*fmt != '\0') {
		const char *pct = fmt;
		while (*pct != '\0' && *pct != '%')
			pct++;
		put(&o, fmt, (size_t)(pct - fmt));
		if (*pct == '\0')
			break;
		fmt = parse_spec(pct + 1, &a, &s);
		if (!convert(&o, &s, &a))
			put(&o, pct, (size_t)(fmt - pct));
	}
	va_end(a.ap);
	return o.count;
}

size_t format_print(format_sink_fn sink, void *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	size_t n = format_vprint(sink, ctx, fmt, ap);
	va_end(ap);
	return n;
}

struct buffer {
	char *buf;
	size_t size; /* capacity for text, not counting the NUL */
	size_t used;
};

static void buffer_sink(void *ctx, const char *s, size_t len)
{
	struct buffer *b = ctx;
	size_t room = b->size - b->used;
	size_t now = len < room ? len : room;

	for (size_t i = 0; i < now; i++)
		b->buf[b->used + i] = s[i];
	b->used += now;
}

size_t format_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	kassert(buf != NULL || size == 0);
	struct buffer b = {.buf = buf, .size = size == 0 ? 0 : size - 1, .used = 0};
	size_t n = format_vprint(buffer_sink, &b, fmt, ap);

	if (size != 0)
		buf[b.used] = '\0';
	return n;
}

size_t format_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	size_t n = format_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
