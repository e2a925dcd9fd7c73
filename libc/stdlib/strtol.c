/*
 * strtol and its family. One parser reads the magnitude as an unsigned long long, noting whether it
 * overflowed; each function then clamps to its own type. The C locale's rules: leading white space,
 * an optional sign, for base 0 or 16 an optional 0x/0X (taken only when a hex digit follows), base 0
 * picking 16, 8 or 10 from the prefix. Out of range sets ERANGE and saturates; no digits at all
 * stores s in *end and returns 0; a base other than 0 or 2..36 sets EINVAL.
 */
#include <limits.h>
#include <stdbool.h>

#include "../include/ctype.h"
#include "../include/errno.h"
#include "../include/stdlib.h"

struct parsed {
	unsigned long long magnitude;
	bool negative;
	bool overflow;
};

/* The value of c as a digit in any base up to 36, or 36 if it is not a digit. */
static unsigned digit_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 36;
}

static struct parsed parse(const char *s, char **end, int base)
{
	struct parsed p = {0, false, false};
	const char *c = s;

	if (base < 0 || base == 1 || base > 36) {
		__LIBC_NAME(errno) = EINVAL;
		if (end != NULL)
			*end = (char *)s;
		return p;
	}
	while (__LIBC_NAME(isspace)((unsigned char)*c))
		c++;
	if (*c == '+' || *c == '-')
		p.negative = *c++ == '-';
	if ((base == 0 || base == 16) && c[0] == '0' && (c[1] == 'x' || c[1] == 'X') &&
	    digit_value((unsigned char)c[2]) < 16) {
		c += 2;
		base = 16;
	} else if (base == 0) {
		base = c[0] == '0' ? 8 : 10;
	}

	const char *digits = c;
	unsigned d;
	while ((d = digit_value((unsigned char)*c)) < (unsigned)base) {
		if (p.magnitude > (ULLONG_MAX - d) / (unsigned)base)
			p.overflow = true;
		else
			p.magnitude = p.magnitude * (unsigned)base + d;
		c++;
	}
	if (end != NULL)
		*end = (char *)(c == digits ? s : c);
	return p;
}

/* Clamps a signed result to [-max - 1, max]. */
static long long to_signed(struct parsed p, unsigned long long max)
{
	unsigned long long limit = p.negative ? max + 1 : max;

	if (p.overflow || p.magnitude > limit) {
		__LIBC_NAME(errno) = ERANGE;
		return p.negative ? -(long long)(max - 1) - 2 : (long long)max;
	}
	return p.negative ? (long long)(0 - p.magnitude) : (long long)p.magnitude;
}

/* An unsigned result: a negative sign negates in the unsigned type, as C requires. */
static unsigned long long to_unsigned(struct parsed p, unsigned long long max)
{
	if (p.overflow || p.magnitude > max) {
		__LIBC_NAME(errno) = ERANGE;
		return max;
	}
	return p.negative ? (0 - p.magnitude) & max : p.magnitude;
}

long __LIBC_NAME(strtol)(const char *restrict s, char **restrict end, int base)
{
	return (long)to_signed(parse(s, end, base), LONG_MAX);
}

unsigned long __LIBC_NAME(strtoul)(const char *restrict s, char **restrict end, int base)
{
	return (unsigned long)to_unsigned(parse(s, end, base), ULONG_MAX);
}

long long __LIBC_NAME(strtoll)(const char *restrict s, char **restrict end, int base)
{
	return to_signed(parse(s, end, base), LLONG_MAX);
}

unsigned long long __LIBC_NAME(strtoull)(const char *restrict s, char **restrict end, int base)
{
	return to_unsigned(parse(s, end, base), ULLONG_MAX);
}

int __LIBC_NAME(atoi)(const char *s)
{
	return (int)__LIBC_NAME(strtol)(s, NULL, 10);
}

long __LIBC_NAME(atol)(const char *s)
{
	return __LIBC_NAME(strtol)(s, NULL, 10);
}

long long __LIBC_NAME(atoll)(const char *s)
{
	return __LIBC_NAME(strtoll)(s, NULL, 10);
}

int __LIBC_NAME(abs)(int v)
{
	return v < 0 ? -v : v;
}

long __LIBC_NAME(labs)(long v)
{
	return v < 0 ? -v : v;
}

long long __LIBC_NAME(llabs)(long long v)
{
	return v < 0 ? -v : v;
}
