/*
 * Floating-point conversions (%f %F %e %E %g %G %a %A), correctly rounded.
 *
 * Decimal conversions never do arithmetic on doubles. A finite double is exactly m × 2^e with an
 * integer m < 2^53. For e >= 0 that is the integer m × 2^e; for e < 0 it is m × 5^-e / 10^-e. Either
 * way one big integer, kept in base 10^9 limbs so its decimal digits fall out directly, holds every
 * significant digit of the value exactly (at most 767 of them). Rounding to the digits a conversion
 * prints is then a decimal operation on that string, with ties to even: the answer glibc gives in
 * the default rounding mode, the only mode Quire has. %a needs no big numbers: the 52 fraction bits
 * are already hexadecimal digits.
 *
 * Cost: up to ~85 limb multiplications of ~90 limbs for the smallest subnormals, about 8,000 64-bit
 * multiply-divides per conversion, and ~1.2 KiB of stack.
 */
#include <stdint.h>

#include "../include/string.h"
#include "format_internal.h"

#define LIMB_BASE  1000000000u
#define LIMB_CHARS 9
#define MAX_LIMBS  90  /* 2^53 × 5^1074 < 10^768 */
#define MAX_DIGITS 810 /* MAX_LIMBS × LIMB_CHARS */

/* Exactly 0.digits[0..count) × 10^point; no trailing zeros, so count == 0 means zero. */
struct decimal {
	char digits[MAX_DIGITS];
	int count;
	int point;
};

static void limbs_multiply(uint32_t *limbs, int *n, uint32_t factor)
{
	uint64_t carry = 0;

	for (int i = 0; i < *n; i++) {
		uint64_t t = (uint64_t)limbs[i] * factor + carry;
		limbs[i] = (uint32_t)(t % LIMB_BASE);
		carry = t / LIMB_BASE;
	}
	while (carry != 0) {
		limbs[(*n)++] = (uint32_t)(carry % LIMB_BASE);
		carry /= LIMB_BASE;
	}
}

/* Appends limb's decimal digits, all nine of them unless it is the leading limb. */
static void append_limb(struct decimal *d, uint32_t limb, bool leading)
{
	char buf[LIMB_CHARS];
	int len = 0;

	for (; leading ? limb != 0 : len < LIMB_CHARS; limb /= 10)
		buf[LIMB_CHARS - ++len] = (char)('0' + limb % 10);
	__LIBC_NAME(memcpy)(d->digits + d->count, buf + LIMB_CHARS - len, (size_t)len);
	d->count += len;
}

static void strip_zeros(struct decimal *d)
{
	while (d->count > 0 && d->digits[d->count - 1] == '0')
		d->count--;
}

/* The exact decimal expansion of mantissa × 2^exp2 (mantissa != 0). */
static void decimal_exact(struct decimal *d, uint64_t mantissa, int exp2)
{
	static const uint32_t pow5[14] = {1,       5,        25,        125,       625,
					  3125,    15625,    78125,     390625,    1953125,
					  9765625, 48828125, 244140625, 1220703125};
	uint32_t limbs[MAX_LIMBS];
	int n = 0;

	for (; mantissa != 0; mantissa /= LIMB_BASE)
		limbs[n++] = (uint32_t)(mantissa % LIMB_BASE);
	for (int e = exp2; e > 0; e -= 29)
		limbs_multiply(limbs, &n, 1u << (e < 29 ? e : 29));
	for (int e = -exp2; e > 0; e -= 13)
		limbs_multiply(limbs, &n, pow5[e < 13 ? e : 13]);
	d->count = 0;
	for (int i = n - 1; i >= 0; i--)
		append_limb(d, limbs[i], i == n - 1);
	d->point = d->count + (exp2 < 0 ? exp2 : 0);
	strip_zeros(d);
}

/* Rounds d to its first keep significant digits, ties to even. */
static void decimal_round(struct decimal *d, int keep)
{
	if (keep >= d->count)
		return;
	if (keep < 0) {
		d->count = 0;
		return;
	}
	char first = d->digits[keep];
	bool odd = keep > 0 && (d->digits[keep - 1] - '0') % 2 != 0;
	bool up = first > '5' || (first == '5' && (d->count > keep + 1 || odd));
	d->count = keep;
	if (up) {
		int i = keep - 1;
		while (i >= 0 && d->digits[i] == '9')
			i--;
		if (i < 0) {
			d->digits[0] = '1';
			d->count = 1;
			d->point++;
		} else {
			d->digits[i]++;
			d->count = i + 1;
		}
	}
	strip_zeros(d);
}

/* Emits digits [from, from + count) of d, zeros outside the significant ones. */
static void emit_digits(struct format_out *out, const struct decimal *d, int from, int count)
{
	char chunk[64];

	while (count > 0) {
		int n = count < (int)sizeof(chunk) ? count : (int)sizeof(chunk);
		for (int i = 0; i < n; i++) {
			int at = from + i;
			chunk[i] = at >= 0 && at < d->count ? d->digits[at] : '0';
		}
		__libc_format_put(out, chunk, (size_t)n);
		from += n;
		count -= n;
	}
}

/* Emits the padding before a field of len bytes and its prefix (sign, "0x"). */
static void field_start(struct format_out *out, const struct format_spec *spec, const char *prefix,
			size_t len, bool zero_pad_ok)
{
	size_t pad = spec->width > len ? spec->width - len : 0;
	size_t prefix_len = __LIBC_NAME(strlen)(prefix);

	if (spec->flags & FLAG_LEFT) {
		__libc_format_put(out, prefix, prefix_len);
	} else if ((spec->flags & FLAG_ZERO) && zero_pad_ok) {
		__libc_format_put(out, prefix, prefix_len);
		__libc_format_repeat(out, '0', pad);
	} else {
		__libc_format_repeat(out, ' ', pad);
		__libc_format_put(out, prefix, prefix_len);
	}
}

static void field_end(struct format_out *out, const struct format_spec *spec, size_t len)
{
	if ((spec->flags & FLAG_LEFT) && spec->width > len)
		__libc_format_repeat(out, ' ', spec->width - len);
}

/* %f: the integer digits (at least "0"), then frac fraction digits. */
static void emit_fixed(struct format_out *out, const struct format_spec *spec, const char *sign,
		       const struct decimal *d, int frac)
{
	int whole = d->point > 0 ? d->point : 1;
	bool dot = frac > 0 || (spec->flags & FLAG_ALT);
	size_t len = __LIBC_NAME(strlen)(sign) + (size_t)whole + dot + (size_t)frac;

	field_start(out, spec, sign, len, true);
	emit_digits(out, d, d->point > 0 ? 0 : -1, whole);
	if (dot)
		__libc_format_put(out, ".", 1);
	emit_digits(out, d, d->point, frac);
	field_end(out, spec, len);
}

/* %e: one digit, frac fraction digits, then the exponent of at least two digits. */
static void emit_exponent(struct format_out *out, const struct format_spec *spec, const char *sign,
			  const struct decimal *d, int frac, bool upper)
{
	int exp10 = d->count > 0 ? d->point - 1 : 0;
	unsigned magnitude = exp10 < 0 ? (unsigned)-exp10 : (unsigned)exp10;
	char exp[8] = {upper ? 'E' : 'e', exp10 < 0 ? '-' : '+'};
	int exp_len = magnitude >= 100 ? 3 : 2;
	bool dot = frac > 0 || (spec->flags & FLAG_ALT);

	for (int i = exp_len; i > 0; i--, magnitude /= 10)
		exp[1 + i] = (char)('0' + magnitude % 10);
	size_t len = __LIBC_NAME(strlen)(sign) + 1 + dot + (size_t)frac + 2 + (size_t)exp_len;
	field_start(out, spec, sign, len, true);
	emit_digits(out, d, 0, 1);
	if (dot)
		__libc_format_put(out, ".", 1);
	emit_digits(out, d, 1, frac);
	__libc_format_put(out, exp, 2 + (size_t)exp_len);
	field_end(out, spec, len);
}

static void format_decimal(struct format_out *out, const struct format_spec *spec, const char *sign,
			   struct decimal *d)
{
	char c = spec->conversion;
	int precision = spec->precision < 0 ? 6 : spec->precision;
	bool upper = c == 'E' || c == 'G';

	if (c == 'f' || c == 'F') {
		/* Past MAX_DIGITS every significant digit is kept anyway: no int overflow. */
		decimal_round(d, precision > 2 * MAX_DIGITS ? MAX_DIGITS : d->point + precision);
		emit_fixed(out, spec, sign, d, precision);
		return;
	}
	if (c == 'e' || c == 'E') {
		decimal_round(d, precision + 1);
		emit_exponent(out, spec, sign, d, precision, upper);
		return;
	}
	/* %g: the style follows the exponent after rounding to `precision` significant digits. */
	if (precision == 0)
		precision = 1;
	decimal_round(d, precision);
	int exp10 = d->count > 0 ? d->point - 1 : 0;
	bool fixed = exp10 >= -4 && exp10 < precision;
	int frac = fixed ? precision - 1 - exp10 : precision - 1;
	if (!(spec->flags & FLAG_ALT)) {
		int significant = fixed ? d->count - d->point : d->count - 1;
		if (frac > significant)
			frac = significant > 0 ? significant : 0;
	}
	if (fixed)
		emit_fixed(out, spec, sign, d, frac);
	else
		emit_exponent(out, spec, sign, d, frac, upper);
}

/* %a: 0x, the leading hex digit, the fraction's hex digits, then p and the binary exponent. */
static void format_hex(struct format_out *out, const struct format_spec *spec, const char *sign,
		       uint64_t fraction, int biased_exp)
{
	bool upper = spec->conversion == 'A';
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned lead = biased_exp != 0;
	int exp2 = fraction == 0 && biased_exp == 0 ? 0 : (biased_exp != 0 ? biased_exp : 1) - 1023;
	int digits = 13;

	if (spec->precision >= 0 && spec->precision < 13) {
		int shift = 4 * (13 - spec->precision);
		uint64_t rest = fraction & ((1ull << shift) - 1), half = 1ull << (shift - 1);
		fraction >>= shift;
		bool odd = spec->precision > 0 ? (fraction & 1) != 0 : (lead & 1) != 0;
		if (rest > half || (rest == half && odd))
			fraction++;
		digits = spec->precision;
		if (fraction >> (4 * digits) != 0) {
			lead++;
			fraction = 0;
		}
	} else if (spec->precision < 0) {
		for (; digits > 0 && (fraction & 0xf) == 0; digits--)
			fraction >>= 4;
	}
	int zeros = spec->precision > 13 ? spec->precision - 13 : 0;

	char prefix[4] = {0}, body[32];
	size_t n = 0;
	__LIBC_NAME(strcpy)(prefix, sign);
	__LIBC_NAME(strcat)(prefix, upper ? "0X" : "0x");
	body[n++] = hex[lead];
	if (digits > 0 || zeros > 0 || (spec->flags & FLAG_ALT))
		body[n++] = '.';
	for (int i = digits - 1; i >= 0; i--)
		body[n++] = hex[(fraction >> (4 * i)) & 0xf];
	size_t before_zeros = n;
	char exp[8];
	int exp_len = 0;
	unsigned magnitude = exp2 < 0 ? (unsigned)-exp2 : (unsigned)exp2;
	do {
		exp[sizeof(exp) - ++exp_len] = (char)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude != 0);
	exp[sizeof(exp) - ++exp_len] = exp2 < 0 ? '-' : '+';
	exp[sizeof(exp) - ++exp_len] = upper ? 'P' : 'p';

	size_t len = __LIBC_NAME(strlen)(prefix) + n + (size_t)zeros + (size_t)exp_len;
	field_start(out, spec, prefix, len, true);
	__libc_format_put(out, body, before_zeros);
	__libc_format_repeat(out, '0', (size_t)zeros);
	__libc_format_put(out, exp + sizeof(exp) - exp_len, (size_t)exp_len);
	field_end(out, spec, len);
}

void __libc_format_double(struct format_out *out, const struct format_spec *spec, double value)
{
	uint64_t bits;
	__LIBC_NAME(memcpy)(&bits, &value, sizeof(bits));
	bool negative = bits >> 63;
	int biased_exp = (int)(bits >> 52) & 0x7ff;
	uint64_t fraction = bits & ((1ull << 52) - 1);
	bool upper = spec->conversion >= 'A' && spec->conversion <= 'Z';
	const char *sign = negative                     ? "-"
			   : (spec->flags & FLAG_PLUS)  ? "+"
			   : (spec->flags & FLAG_SPACE) ? " "
							: "";

	if (biased_exp == 0x7ff) {
		const char *word =
		    fraction != 0 ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
		size_t len = __LIBC_NAME(strlen)(sign) + 3;
		field_start(out, spec, sign, len, false);
		__libc_format_put(out, word, 3);
		field_end(out, spec, len);
		return;
	}
	if (spec->conversion == 'a' || spec->conversion == 'A') {
		format_hex(out, spec, sign, fraction, biased_exp);
		return;
	}

	struct decimal d = {.count = 0, .point = 1};
	uint64_t mantissa = biased_exp != 0 ? fraction | 1ull << 52 : fraction;
	if (mantissa != 0)
		decimal_exact(&d, mantissa, (biased_exp != 0 ? biased_exp : 1) - 1075);
	format_decimal(out, spec, sign, &d);
}
