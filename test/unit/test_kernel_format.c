/*
 * Host tests of kernel/lib/format.c: every supported conversion, flag, width, precision and length
 * modifier is compared with the C library's snprintf, first on a table of hand-picked cases, then
 * on thousands of randomly built format specifications and values.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/format.h"
#include "test/unit/test_kernel_rng.h"

/* Formats with both implementations and fails with a readable message when they differ. */
static void PRINTF_LIKE(3, 4) check_same(const char *file, int line, const char *fmt, ...)
{
	char want[512], got[512];
	va_list a, b;

	va_start(a, fmt);
	va_copy(b, a);
	int want_n = vsnprintf(want, sizeof(want), fmt, a);
	size_t got_n = format_vsnprintf(got, sizeof(got), fmt, b);
	va_end(b);
	va_end(a);
	if (strcmp(want, got) != 0 || (size_t)want_n != got_n)
		fail_msg("%s:%d: format \"%s\": libc \"%s\" (%d), kernel \"%s\" (%zu)", file, line,
			 fmt, want, want_n, got, got_n);
}

#define SAME(...) check_same(__FILE__, __LINE__, __VA_ARGS__)

static void test_plain_text(void **state)
{
	SAME("");
	SAME("hello, world");
	SAME("100%% sure");
	SAME("%%%%%%");
	SAME("tab\there\n");
}

static void test_signed(void **state)
{
	SAME("%d %i", 0, -1);
	SAME("%d|%d|%d", INT_MIN, INT_MAX, 42);
	SAME("[%5d] [%-5d] [%05d] [%+d] [% d] [%+05d]", 42, 42, 42, 42, 42, -42);
	SAME("[%.3d] [%8.3d] [%-8.3d] [%08.3d] [%.0d] [%5.0d]", 7, -7, 7, 7, 0, 0);
	SAME("%ld %ld %lld %lld", LONG_MIN, LONG_MAX, LLONG_MIN, LLONG_MAX);
	SAME("%hd %hhd %hd %hhd", (short)7000, (signed char)100, (short)-32768, (signed char)-128);
	SAME("%zd %td %jd", (ptrdiff_t)-5, (ptrdiff_t)123456789012, (intmax_t)INT64_MIN);
}

static void test_unsigned(void **state)
{
	SAME("%u %u %u", 0u, 1u, UINT_MAX);
	SAME("%x %X %o", 0xdeadbeefu, 0xdeadbeefu, 0755u);
	SAME("%#x %#X %#o %#x %#o %#.0o", 0x1fu, 0x1fu, 8u, 0u, 0u, 0u);
	SAME("%lx %llx %lu %llu", ULONG_MAX, ULLONG_MAX, ULONG_MAX, ULLONG_MAX);
	SAME("%016lx %-16lx| %#018lx %#-18lx|", 0xffffffff80001234ul, 0x1234ul, 0xabcul, 0xabcul);
	SAME("%hx %hhx %hu %hhu", (unsigned short)0x2345, (unsigned char)0xff,
	     (unsigned short)65535, (unsigned char)0);
	SAME("%zu %zx %jx %tx", (size_t)SIZE_MAX, (size_t)4096, (uintmax_t)UINT64_MAX,
	     (ptrdiff_t)255);
	SAME("[%.5x] [%#.5x] [%#10.5x] [%-#10.5x] [%#010x]", 0xabu, 0xabu, 0xabu, 0xabu, 0xabu);
}

static void test_chars_and_strings(void **state)
{
	SAME("%c%c%c", 'a', 'b', 'c');
	SAME("[%3c] [%-3c]", 'x', 'y');
	SAME("%s|%10s|%-10s|%.2s|%10.2s|%-10.2s|", "quire", "quire", "quire", "quire", "quire",
	     "quire");
	SAME("%s%s", "", "");
	SAME("[%.0s] [%5.0s]", "gone", "gone");
}

static void test_star_width_and_precision(void **state)
{
	SAME("[%*d] [%-*d] [%*d]", 6, 42, 6, 42, -6, 42);
	SAME("[%.*d] [%.*d] [%*.*x]", 4, 7, -1, 7, 8, 3, 0xfu);
	SAME("[%.*s] [%*s]", 3, "abcdef", -8, "ab");
}

static void test_pointer(void **state)
{
	int x;

	SAME("%p", (void *)&x);
	SAME("[%20p] [%-20p]", (void *)0x1234, (void *)0xffffffff80000000ul);
	SAME("%p", (void *)NULL);
}

static void test_null_string(void **state)
{
	char buf[32];

	format_snprintf(buf, sizeof(buf), "%s", (const char *)NULL);
	assert_string_equal(buf, "(null)");
}

/* Hides a format string from the compiler's format checking, for deliberately bad formats. */
static const char *opaque(const char *fmt)
{
	return fmt;
}

/* format_snprintf without the compiler's format checking, for deliberately bad formats. */
static size_t unchecked(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	size_t n = format_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* Unsupported conversions are copied as written and consume no argument. */
static void test_unsupported_is_literal(void **state)
{
	char buf[64];

	assert_int_equal(unchecked(buf, sizeof(buf), "a%yb%d", 5), 5);
	assert_string_equal(buf, "a%yb5");
	assert_int_equal(unchecked(buf, sizeof(buf), "%5.2fz"), 6);
	assert_string_equal(buf, "%5.2fz");
	assert_int_equal(unchecked(buf, sizeof(buf), "end%"), 4);
	assert_string_equal(buf, "end%");
}

/* Narrowing by hh and h of values passed as int, which the compiler would flag in a literal. */
static void test_narrowing(void **state)
{
	SAME(opaque("%hd %hhd %hx %hhx %hu %hhu"), 70000, 300, 0x12345, 0x1ff, 65536, 256);
}

static void test_truncation(void **state)
{
	char buf[8];

	memset(buf, 'z', sizeof(buf));
	assert_int_equal(format_snprintf(buf, 5, "%s", "abcdefgh"), 8);
	assert_string_equal(buf, "abcd");
	assert_int_equal(buf[5], 'z');
	assert_int_equal(format_snprintf(buf, 1, "%d", 12345), 5);
	assert_string_equal(buf, "");
	assert_int_equal(format_snprintf(NULL, 0, "%08x", 1u), 8);
}

static void test_width_clamped(void **state)
{
	static char buf[2 * FORMAT_MAX_WIDTH];

	assert_int_equal(format_snprintf(buf, sizeof(buf), "%99999d", 1), FORMAT_MAX_WIDTH);
}

/* A random "%[flags][width][.precision][length]conv" with the arguments it needs. */
struct random_spec {
	char fmt[32];
	int star_width, star_precision;
	int width_arg, precision_arg;
	int length; /* 0 none, 1 hh, 2 h, 3 l, 4 ll, 5 j, 6 z, 7 t */
	char conv;
};

static void append(char *s, const char *add)
{
	strcat(s, add);
}

static void random_flags(struct test_rng *r, char *fmt, const char *allowed)
{
	for (const char *f = allowed; *f != '\0'; f++) {
		if (test_rng_below(r, 4) == 0) {
			char one[2] = {*f, '\0'};
			append(fmt, one);
		}
	}
}

static void random_count(struct test_rng *r, char *fmt, int *star, int *arg, int allow_negative)
{
	char num[16];

	switch (test_rng_below(r, 4)) {
	case 0:
		return;
	case 1:
		*star = 1;
		*arg = (int)test_rng_below(r, 25) - (allow_negative ? 12 : 0);
		append(fmt, "*");
		return;
	default:
		snprintf(num, sizeof(num), "%d", (int)test_rng_below(r, 25));
		append(fmt, num);
		return;
	}
}

static struct random_spec random_spec(struct test_rng *r)
{
	static const char convs[] = "diuxXocsp";
	static const char *const lengths[] = {"", "hh", "h", "l", "ll", "j", "z", "t"};
	struct random_spec s = {.fmt = "%"};

	s.conv = convs[test_rng_below(r, sizeof(convs) - 1)];
	int numeric = strchr("diuxXo", s.conv) != NULL;
	/* Only flags ISO C defines for the conversion (glibc and Quire agree on the rest too, but
	 * that is not a promise worth testing). */
	if (s.conv == 'd' || s.conv == 'i')
		random_flags(r, s.fmt, "-0+ ");
	else if (numeric)
		random_flags(r, s.fmt, s.conv == 'u' ? "-0" : "-0#");
	else
		random_flags(r, s.fmt, "-");
	random_count(r, s.fmt, &s.star_width, &s.width_arg, 1);
	if (s.conv != 'c' && s.conv != 'p' && test_rng_below(r, 2) == 0) {
		append(s.fmt, ".");
		random_count(r, s.fmt, &s.star_precision, &s.precision_arg, 1);
	}
	s.length = numeric ? (int)test_rng_below(r, 8) : 0;
	append(s.fmt, lengths[s.length]);
	char conv[2] = {s.conv, '\0'};
	append(s.fmt, conv);
	return s;
}

static uint64_t random_value(struct test_rng *r)
{
	static const uint64_t edges[] = {0,
					 1,
					 0x7f,
					 0x80,
					 0xff,
					 0x7fff,
					 0x8000,
					 0xffff,
					 0x7fffffff,
					 0x80000000,
					 0xffffffff,
					 INT64_MAX,
					 0x8000000000000000ull,
					 UINT64_MAX};

	if (test_rng_below(r, 3) == 0)
		return edges[test_rng_below(r, sizeof(edges) / sizeof(edges[0]))];
	return test_rng_next(r) >> test_rng_below(r, 64);
}

/* Calls SAME with the star arguments the spec needs, then VALUE (of whatever type). */
#define SAME_WITH_STARS(s, value)                                                                  \
	do {                                                                                       \
		if ((s)->star_width && (s)->star_precision)                                        \
			SAME((s)->fmt, (s)->width_arg, (s)->precision_arg, value);                 \
		else if ((s)->star_width)                                                          \
			SAME((s)->fmt, (s)->width_arg, value);                                     \
		else if ((s)->star_precision)                                                      \
			SAME((s)->fmt, (s)->precision_arg, value);                                 \
		else                                                                               \
			SAME((s)->fmt, value);                                                     \
	} while (0)

static void run_signed(const struct random_spec *s, uint64_t v)
{
	switch (s->length) {
	case 3:
		SAME_WITH_STARS(s, (long)v);
		break;
	case 4:
		SAME_WITH_STARS(s, (long long)v);
		break;
	case 5:
		SAME_WITH_STARS(s, (intmax_t)v);
		break;
	case 6:
	case 7:
		SAME_WITH_STARS(s, (ptrdiff_t)v);
		break;
	default: /* none, hh and h all take an int */
		SAME_WITH_STARS(s, (int)v);
		break;
	}
}

static void run_unsigned(const struct random_spec *s, uint64_t v)
{
	switch (s->length) {
	case 3:
		SAME_WITH_STARS(s, (unsigned long)v);
		break;
	case 4:
		SAME_WITH_STARS(s, (unsigned long long)v);
		break;
	case 5:
		SAME_WITH_STARS(s, (uintmax_t)v);
		break;
	case 6:
		SAME_WITH_STARS(s, (size_t)v);
		break;
	case 7:
		SAME_WITH_STARS(s, (ptrdiff_t)v);
		break;
	default:
		SAME_WITH_STARS(s, (unsigned int)v);
		break;
	}
}

static void run_other(struct test_rng *r, const struct random_spec *s, uint64_t v)
{
	static const char *const strings[] = {"", "a", "quire", "exception handler", "0123456789"};

	switch (s->conv) {
	case 'c':
		SAME_WITH_STARS(s, (int)(' ' + v % 95));
		break;
	case 's':
		SAME_WITH_STARS(s, strings[test_rng_below(r, 5)]);
		break;
	default: /* 'p': glibc prints NULL differently, so never NULL here */
		SAME_WITH_STARS(s, (void *)(uintptr_t)(v | 1));
		break;
	}
}

static void test_random_against_libc(void **state)
{
	struct test_rng r = test_rng_seeded("format");

	for (int i = 0; i < 50000; i++) {
		struct random_spec s = random_spec(&r);
		uint64_t v = random_value(&r);
		if (s.conv == 'd' || s.conv == 'i')
			run_signed(&s, v);
		else if (strchr("uxXo", s.conv) != NULL)
			run_unsigned(&s, v);
		else
			run_other(&r, &s, v);
	}
}

/* Several conversions in one format, to catch argument-list mistakes between them. */
static void test_random_sequences(void **state)
{
	struct test_rng r = test_rng_seeded("format sequences");

	for (int i = 0; i < 5000; i++) {
		unsigned a = (unsigned)test_rng_next(&r);
		long b = (long)test_rng_next(&r);
		unsigned long long c = test_rng_next(&r);
		int w = (int)test_rng_below(&r, 20);
		SAME("a=%08x b=%-*ld c=%#llx s=%.*s %c%%", a, w, b, c, w % 6, "truncated", 'q');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_text),
	    cmocka_unit_test(test_signed),
	    cmocka_unit_test(test_unsigned),
	    cmocka_unit_test(test_chars_and_strings),
	    cmocka_unit_test(test_star_width_and_precision),
	    cmocka_unit_test(test_pointer),
	    cmocka_unit_test(test_null_string),
	    cmocka_unit_test(test_unsupported_is_literal),
	    cmocka_unit_test(test_narrowing),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_width_clamped),
	    cmocka_unit_test(test_random_against_libc),
	    cmocka_unit_test(test_random_sequences),
	};
	return cmocka_run_group_tests_name("kernel_format", tests, NULL, NULL);
}
