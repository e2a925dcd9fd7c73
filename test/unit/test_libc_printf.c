/*
 * Host tests of libc's printf family (libc/stdio/): quire_snprintf against the host C library's
 * snprintf. First a table of hand-picked cases, then thousands of randomly built conversion
 * specifications (flags, width and precision, `*` included, length modifiers, every conversion)
 * applied to edge and random values, integers and doubles alike; outputs and return values must be
 * identical. A share of the cases is also formatted into every buffer size from 0 to len + 1. Last,
 * the stream layer (printf, fprintf, puts, putchar) through a capturing sink, and assert.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "libc/include/errno.h"
#include "libc/include/stdio.h"
#include "libc/include/stdlib.h"
#include "test/unit/test_kernel_rng.h"

#define BUF_SIZE 8192
#define PI       3.14159265358979323846
#define E        2.71828182845904523536

static unsigned long comparisons;

/* Checks quire_vsnprintf into every buffer size 0..len+1: the prefix, the NUL, nothing past it. */
static void check_truncation(const char *fmt, const char *want, int want_n, va_list ap)
{
	static char buf[BUF_SIZE + 16];

	for (size_t size = 0; size <= (size_t)want_n + 1; size++) {
		va_list args;
		memset(buf, 0x5a, sizeof(buf));
		va_copy(args, ap);
		int n = quire_vsnprintf(size == 0 ? NULL : buf, size, fmt, args);
		va_end(args);
		if (n != want_n)
			fail_msg("format \"%s\" size %zu: returned %d, want %d", fmt, size, n,
				 want_n);
		if (size == 0)
			continue;
		size_t kept = size - 1 < (size_t)want_n ? size - 1 : (size_t)want_n;
		if (memcmp(buf, want, kept) != 0 || buf[kept] != '\0' ||
		    (kept + 1 < sizeof(buf) && buf[kept + 1] != 0x5a))
			fail_msg("format \"%s\" size %zu: bad truncation \"%.*s\"", fmt, size,
				 (int)kept, buf);
		comparisons++;
	}
}

/* Formats with both implementations; fails with a readable message when they differ. */
static void check_same(bool truncation, const char *fmt, ...)
{
	static char want[BUF_SIZE], got[BUF_SIZE];
	va_list a, b;

	va_start(a, fmt);
	va_copy(b, a);
	int want_n = vsnprintf(want, sizeof(want), fmt, a);
	va_end(a);
	va_start(a, fmt);
	int got_n = quire_vsnprintf(got, sizeof(got), fmt, b);
	va_end(b);
	if (want_n < 0 || want_n >= BUF_SIZE)
		fail_msg("format \"%s\": test output too long (%d)", fmt, want_n);
	if (strcmp(want, got) != 0 || want_n != got_n)
		fail_msg("format \"%s\": libc \"%s\" (%d), quire \"%s\" (%d)", fmt, want, want_n,
			 got, got_n);
	comparisons++;
	if (truncation)
		check_truncation(fmt, want, want_n, a);
	va_end(a);
}

#define SAME(...) check_same(true, __VA_ARGS__)

static void test_table_integers(void **state)
{
	SAME("");
	SAME("plain text, 100%% sure %%%%");
	SAME("%d %i %d %d %d", 0, 1, -1, INT_MIN, INT_MAX);
	SAME("[%5d] [%-5d] [%05d] [%+d] [% d] [%+05d] [% 05d] [%-+6d]", 42, 42, 42, 42, 42, -42, 42,
	     42);
	SAME("[%.3d] [%8.3d] [%-8.3d] [%08.3d] [%.0d] [%5.0d] [%+.0d] [% .0d]", 7, -7, 7, 7, 0, 0,
	     0, 0);
	SAME("%ld %lld %lld %llu %lu", LONG_MIN, LLONG_MIN, LLONG_MAX, ULLONG_MAX, ULONG_MAX);
	SAME("%hd %hhd %hu %hhu %hhd %hd", 70000, 300, 70000, 300, -129, -32769);
	SAME("%jd %ju %zd %zu %td %tu", INTMAX_MIN, UINTMAX_MAX, (ptrdiff_t)-5, SIZE_MAX,
	     PTRDIFF_MIN, (ptrdiff_t)-1);
	SAME("%u %o %x %X %#o %#x %#X", 0u, 0u, 0u, 0u, 0u, 0u, 0u);
	SAME("%#.0o %#.0x %.0o %.0x %#5o %#-8x| %#08x %#.5o %#.5x", 0u, 0u, 0u, 0u, 8u, 255u, 255u,
	     8u, 255u);
	SAME("%o %x %X %#llo %#llx", UINT_MAX, UINT_MAX, UINT_MAX, ULLONG_MAX, ULLONG_MAX);
	SAME("%*d|%-*d|%*d|%.*d|%.*d|%*.*d", 6, 1, 6, 2, -6, 3, 4, 5, -1, 0, 8, 3, 9);
	SAME("[%300d] [%-300d] [%.300d] [%0300d]", 1, -1, 2, -3);
	SAME("%c%c%c %5c|%-5c|", 'a', 0, 'z' + 256, 'b', 'c');
	SAME("%s|%10s|%-10s|%.2s|%.0s|%10.3s|%-10.3s|%s|", "hello", "hi", "hi", "hello", "hello",
	     "hello", "hello", "");
	SAME("%.5s", "ab\0cdef");
	SAME("%p %p %20p %-20p| %.10p %+p % p", (void *)0x1234, (void *)UINTPTR_MAX, (void *)1,
	     (void *)1, (void *)0xabc, (void *)0x10, (void *)0x10);
	SAME("%p %10p %-10p| %.2p", NULL, NULL, NULL, NULL);
	SAME("%5%|%-5%|%d%%%d", 1, 2);
	SAME("%y %5k trailing");
}

static void test_table_floats(void **state)
{
	SAME("%f %e %g %a %F %E %G %A", 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0);
	SAME("%f %e %g %a", 0.1, 0.1, 0.1, 0.1);
	SAME("%f %e %g %a %f", 0.0, 0.0, 0.0, 0.0, -0.0);
	SAME("%.0f %.0f %.0f %.0f %.0f %.1f %.1f %.2f %.2f", 0.5, 1.5, 2.5, 3.5, -0.5, 0.25, 0.35,
	     0.125, 0.375);
	SAME("%.0e %.0e %.1e %.0g %.1g %.2g", 2.5, 3.5, 1.25, 2.5, 0.25, 1.25);
	SAME("%f", DBL_MAX);
	SAME("%e %g %a %.17g %.0e", DBL_MAX, DBL_MAX, DBL_MAX, DBL_MAX, DBL_MAX);
	SAME("%.1100f", DBL_TRUE_MIN);
	SAME("%.1100f", -DBL_MIN);
	SAME("%e %g %a %.800e", DBL_TRUE_MIN, DBL_TRUE_MIN, DBL_TRUE_MIN, DBL_TRUE_MIN);
	SAME("%e %g %a %.3a %.0a", DBL_MIN, DBL_MIN, DBL_MIN, DBL_MIN, DBL_MIN);
	SAME("%.0a %.0a %.1a %.1a %.2a %.13a %.20a %#a %#.0a", 1.5, 2.5, 1.96875, 1.03125, 1.0, PI,
	     PI, 1.0, 1.0);
	SAME("%f %F %e %E %g %G %a %A", INFINITY, INFINITY, -INFINITY, -INFINITY, NAN, NAN, -NAN,
	     NAN);
	SAME("[%010f] [%-10f] [%+f] [% f] [%+010e] [%010a]", INFINITY, -INFINITY, NAN, INFINITY,
	     -NAN, NAN);
	SAME("%g %g %g %g %g %g", 100000.0, 1000000.0, 0.0001, 0.00001, 123456789.0, 1e-300);
	SAME("%#g %#g %#.0f %#.0e %#.0g %#.3g %#g", 1.0, 0.0, 3.0, 3.0, 3.0, 100.0, 1e-10);
	SAME("%.10g %.17g %.20e %.30f %.0f", PI, PI, PI, PI, 1e22);
	SAME("[%08.3f] [%-8.3e] [%+08.2g] [% 09a] [%020.10e] [%-+15.4f]", -3.14159, 2.5, 1234.5,
	     1.0, -E, 2.0);
	SAME("%.0f %.0f %.1f %.1f %.3f %f", 9.5, 99.5, 9.95, 0.05, 0.0005, 999999.9999995);
	SAME("%.15g %.16g %.17g %.3g %g %g", 0.3, 0.3, 0.3, 9.995, 9.9999995, 0.00009999995);
	SAME("%e %e %e %g", 1e100, 1e-100, 9.999999e99, 1e100);
	SAME("%f %f %.0f %.20f", 4503599627370496.5, 9007199254740993.0, 0.49999999999999994,
	     5e-324);
}

/* A random value with a random magnitude: small numbers and the full range alike. */
static uint64_t random_bits(struct test_rng *rng)
{
	static const uint64_t edges[] = {0,
					 1,
					 (uint64_t)-1,
					 (uint64_t)INT_MIN,
					 INT_MAX,
					 UINT_MAX,
					 (uint64_t)LLONG_MIN,
					 LLONG_MAX,
					 ULLONG_MAX,
					 127,
					 128,
					 255,
					 256,
					 32767,
					 32768,
					 65535,
					 65536};

	switch (test_rng_below(rng, 4)) {
	case 0:
		return edges[test_rng_below(rng, sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return test_rng_next(rng);
	default:
		return test_rng_next(rng) >> test_rng_below(rng, 64);
	}
}

/* 2^k for a k in the normal range, built from its bits so the test needs no libm. */
static double power_of_two(int k)
{
	uint64_t bits = (uint64_t)(k + 1023) << 52;
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

static double random_double(struct test_rng *rng)
{
	static const double tens[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11};
	static const double edges[] = {0.0,     -0.0,    1.0,          -1.0,     0.5,  1.5,
				       2.5,     0.1,     0.2,          0.3,      1e22, 1e23,
				       DBL_MAX, DBL_MIN, DBL_TRUE_MIN, -DBL_MAX, 9.5,  0.05,
				       123.456, 1e-5,    1e-4,         99999.5,  1e15, 1e16};
	uint64_t bits = test_rng_next(rng);
	double d;

	switch (test_rng_below(rng, 6)) {
	case 0:
		return edges[test_rng_below(rng, sizeof(edges) / sizeof(edges[0]))];
	case 1:
		memcpy(&d, &bits, sizeof(d)); /* any double: subnormals, huge, inf, nan */
		return d;
	case 2: /* a short decimal: rounding ties and near-ties in %f, %e and %g */
		return (double)(int64_t)(bits % 2000001 - 1000000) / tens[test_rng_below(rng, 12)];
	case 3: /* a dyadic fraction: exact ties at small precisions */
		return (double)(int64_t)(bits % 20001 - 10000) /
		       (double)(1 << test_rng_below(rng, 12));
	case 4:
		return (double)(int64_t)(bits >> test_rng_below(rng, 64));
	default:
		return (double)(bits >> 11) * power_of_two((int)test_rng_below(rng, 200) - 150);
	}
}

struct random_spec {
	char fmt[64];
	bool star_width, star_precision;
	int width, precision;
	enum { ARG_INT, ARG_LONG, ARG_CHAR, ARG_STRING, ARG_POINTER, ARG_DOUBLE, ARG_NONE } arg;
};

/* Builds one random specification, with fixed text around it. */
static void random_spec(struct test_rng *rng, struct random_spec *s)
{
	static const char conversions[] = "diuoxXcsp%fFeEgGaA";
	static const char *const lengths[] = {"", "hh", "h", "l", "ll", "j", "z", "t"};
	char conv = conversions[test_rng_below(rng, sizeof(conversions) - 1)];
	bool is_float = strchr("fFeEgGaA", conv) != NULL;
	char *p = s->fmt;

	p += sprintf(p, "<");
	*p++ = '%';
	for (int n = (int)test_rng_below(rng, 4); n > 0; n--)
		*p++ = "-+ #0"[test_rng_below(rng, 5)];
	s->star_width = s->star_precision = false;
	switch (test_rng_below(rng, 4)) {
	case 0:
		break;
	case 1:
		s->star_width = true;
		s->width = (int)test_rng_below(rng, 61) - 30;
		*p++ = '*';
		break;
	default:
		p += sprintf(p, "%d", (int)test_rng_below(rng, 40) + 1);
	}
	switch (test_rng_below(rng, 4)) {
	case 0:
		break;
	case 1:
		s->star_precision = true;
		s->precision = (int)test_rng_below(rng, 50) - 8;
		p += sprintf(p, ".*");
		break;
	case 2:
		*p++ = '.';
		break;
	default:
		p += sprintf(p, ".%d", (int)test_rng_below(rng, is_float ? 40 : 25));
	}
	const char *length = "";
	if (strchr("diuoxX", conv) != NULL)
		length = lengths[test_rng_below(rng, 8)];
	p += sprintf(p, "%s%c>", length, conv);
	*p = '\0';

	if (conv == '%')
		s->arg = ARG_NONE;
	else if (is_float)
		s->arg = ARG_DOUBLE;
	else if (conv == 'c')
		s->arg = ARG_CHAR;
	else if (conv == 's')
		s->arg = ARG_STRING;
	else if (conv == 'p')
		s->arg = ARG_POINTER;
	else
		s->arg = length[0] == '\0' || length[0] == 'h' ? ARG_INT : ARG_LONG;
}

/* Calls check_same with the `*` arguments the specification asks for, then value. */
#define CHECK_WITH(s, truncate, value)                                                             \
	do {                                                                                       \
		if ((s)->star_width && (s)->star_precision)                                        \
			check_same(truncate, (s)->fmt, (s)->width, (s)->precision, value);         \
		else if ((s)->star_width)                                                          \
			check_same(truncate, (s)->fmt, (s)->width, value);                         \
		else if ((s)->star_precision)                                                      \
			check_same(truncate, (s)->fmt, (s)->precision, value);                     \
		else                                                                               \
			check_same(truncate, (s)->fmt, value);                                     \
	} while (0)

/*
 * glibc's %#g drops the zeros the '#' flag keeps when rounding carries into a new exponent:
 * "%#.5g" of 99999.5 gives "1.e+05" where C requires "1.0000e+05". Where the host differs on a %#g,
 * the expected output is built the way C defines %g, from the host's correct %e and %f: with P
 * significant digits and X the exponent %.(P-1)e shows, %#.(P-1-X)f if P > X >= -4, else
 * %#.(P-1)e.
 */
static unsigned long glibc_alt_g_cases;

static void check_alt_g(const struct random_spec *s, double value)
{
	char want[BUF_SIZE], got[BUF_SIZE], fmt[80], e[64];
	const char *conv = strpbrk(s->fmt + 2, "gG");
	int width = s->star_width ? s->width : 0;
	int precision = s->star_precision ? s->precision : -1;

	snprintf(fmt, sizeof(fmt), "%.*s*.*%c>", (int)(strcspn(s->fmt, "*.123456789gG")), s->fmt,
		 *conv);
	/* Recover width and precision as written when they were not `*`. */
	const char *p = s->fmt + strcspn(s->fmt, "*123456789.gG");
	if (!s->star_width)
		width = (int)strtol(p, NULL, 10);
	p = strchr(s->fmt, '.');
	if (!s->star_precision)
		precision = p == NULL ? -1 : (int)strtol(p + 1, NULL, 10);
	int n = quire_snprintf(got, sizeof(got), fmt, width, precision, value);
	int want_n = snprintf(want, sizeof(want), fmt, width, precision, value);
	comparisons++;
	if (n == want_n && strcmp(got, want) == 0)
		return;
	int digits = precision < 0 ? 6 : precision == 0 ? 1 : precision;
	snprintf(e, sizeof(e), "%.*e", digits - 1, value);
	int x = (int)strtol(strchr(e, 'e') + 1, NULL, 10);
	bool fixed = digits > x && x >= -4;
	fmt[strlen(fmt) - 2] = *conv == 'g' ? (fixed ? 'f' : 'e') : (fixed ? 'F' : 'E');
	want_n =
	    snprintf(want, sizeof(want), fmt, width, fixed ? digits - 1 - x : digits - 1, value);
	if (n != want_n || strcmp(got, want) != 0)
		fail_msg("format \"%s\" (width %d, precision %d, %a): want \"%s\", quire \"%s\"",
			 fmt, width, precision, value, want, got);
	glibc_alt_g_cases++;
}

static void run_random(struct test_rng *rng, int cases)
{
	static const char *const strings[] = {
	    "", "a", "hello", "with space", "0123456789abcdef", "tab\there"};
	struct random_spec s;

	for (int i = 0; i < cases; i++) {
		random_spec(rng, &s);
		bool truncate = i % 16 == 0;
		uint64_t bits = random_bits(rng);
		switch (s.arg) {
		case ARG_INT:
			CHECK_WITH(&s, truncate, (int)bits);
			break;
		case ARG_LONG:
			CHECK_WITH(&s, truncate, (long long)bits);
			break;
		case ARG_CHAR:
			CHECK_WITH(&s, truncate, (int)(bits % 255 + 1));
			break;
		case ARG_STRING:
			CHECK_WITH(&s, truncate, strings[bits % 6]);
			break;
		case ARG_POINTER:
			CHECK_WITH(&s, truncate, (void *)(uintptr_t)bits);
			break;
		case ARG_DOUBLE:
			if (strchr(s.fmt, '#') != NULL && strpbrk(s.fmt + 2, "gG") != NULL)
				check_alt_g(&s, random_double(rng));
			else
				CHECK_WITH(&s, truncate, random_double(rng));
			break;
		case ARG_NONE:
			CHECK_WITH(&s, truncate, 0);
			break;
		}
	}
}

static void test_random_specs(void **state)
{
	struct test_rng rng = test_rng_seeded("libc_printf random");
	unsigned long before = comparisons;

	run_random(&rng, 200000);
	printf(
	    "# libc_printf: %lu comparisons with the host's snprintf so far (%lu here); %lu %%#g "
	    "cases checked against C's definition where glibc drops zeros\n",
	    comparisons, comparisons - before, glibc_alt_g_cases);
}

/* Several conversions per format, so argument fetching across conversions is exercised too. */
static void test_random_mixed(void **state)
{
	struct test_rng rng = test_rng_seeded("libc_printf mixed");

	for (int i = 0; i < 5000; i++) {
		int a = (int)random_bits(&rng);
		long long b = (long long)random_bits(&rng);
		double c = random_double(&rng), d = random_double(&rng);
		int w = (int)test_rng_below(&rng, 30) - 10, p = (int)test_rng_below(&rng, 20) - 3;
		check_same(i % 8 == 0, "%d|%*.*lld|%g|%s|%-*.*e|%#llx|%.3a|%c", a, w, p, b, c,
			   "str", w, p, d, b, c, '!' + i % 90);
	}
	printf("# libc_printf: %lu comparisons with the host's snprintf in all\n", comparisons);
}

static void test_sprintf_and_returns(void **state)
{
	char buf[64];

	assert_int_equal(quire_sprintf(buf, "%s-%d", "ab", 12), 5);
	assert_string_equal(buf, "ab-12");
	assert_int_equal(quire_snprintf(NULL, 0, "%d", 12345), 5);
	/* C's answer, where glibc prints "1.e+05" (see check_alt_g). */
	assert_int_equal(quire_snprintf(buf, sizeof(buf), "%#.5g|%#.3g", 99999.5, 9.9995), 15);
	assert_string_equal(buf, "1.0000e+05|10.0");
	quire_errno = 0;
	assert_int_equal(quire_snprintf(NULL, 0, "%2147483647d%d", 1, 1), -1);
	assert_int_equal(quire_errno, EOVERFLOW);
	assert_int_equal(quire_snprintf(NULL, 0, "%99999999999d", 1), -1);
}

/* %n consumes its argument and writes nothing; the conversion after it still gets its value. */
static void test_percent_n_unsupported(void **state)
{
	char buf[32];
	int n = 1234;

	assert_int_equal(quire_snprintf(buf, sizeof(buf), "ab%ncd%d", &n, 7), 5);
	assert_string_equal(buf, "abcd7");
	assert_int_equal(n, 1234);
}

/* A sink that collects output, optionally failing. */
struct capture {
	struct __libc_sink sink;
	char text[1024];
	size_t len;
	int writes;
	bool fail;
};

static int capture_write(struct __libc_sink *sink, const char *s, size_t len)
{
	struct capture *c = (struct capture *)sink;

	c->writes++;
	if (c->fail)
		return -1;
	assert_true(c->len + len < sizeof(c->text));
	memcpy(c->text + c->len, s, len);
	c->len += len;
	c->text[c->len] = '\0';
	return 0;
}

static void test_streams(void **state)
{
	struct capture out = {.sink = {capture_write}}, err = {.sink = {capture_write}};
	char big[600];

	quire_errno = 0;
	__libc_stdio_connect(quire_stdout, NULL);
	assert_true(quire_printf("lost") < 0);
	assert_int_equal(quire_errno, ENOSYS);
	assert_true(quire_ferror(quire_stdout));

	__libc_stdio_connect(quire_stdout, &out.sink);
	__libc_stdio_connect(quire_stderr, &err.sink);
	assert_false(quire_ferror(quire_stdout));
	assert_int_equal(quire_printf("%d-%s|", 42, "x"), 5);
	assert_int_equal(out.writes, 1); /* staged: one sink write per call */
	assert_int_equal(quire_puts("line"), 0);
	assert_int_equal(quire_putchar('!'), '!');
	assert_int_equal(quire_fputs("fp", quire_stdout), 0);
	assert_string_equal(out.text, "42-x|line\n!fp");
	assert_int_equal(quire_fprintf(quire_stderr, "e%c", 'r'), 2);
	assert_string_equal(err.text, "er");

	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	out.len = 0;
	assert_int_equal(quire_printf("<%s>", big), (int)sizeof(big) + 1);
	assert_int_equal(out.len, sizeof(big) + 1);
	assert_int_equal(memcmp(out.text + 1, big, sizeof(big) - 1), 0);

	out.fail = true;
	assert_true(quire_printf("x") < 0);
	assert_true(quire_ferror(quire_stdout));
	assert_int_equal(quire_putchar('y'), EOF);
	quire_clearerr(quire_stdout);
	out.fail = false;
	assert_int_equal(quire_putchar('z'), 'z');
	__libc_stdio_connect(quire_stdout, NULL);
	__libc_stdio_connect(quire_stderr, NULL);
}

static jmp_buf abort_jump;

static void abort_hook(void)
{
	longjmp(abort_jump, 1);
}

static void test_assert_reports_and_aborts(void **state)
{
	struct capture err = {.sink = {capture_write}};
	volatile int reached = 0;

	__libc_stdio_connect(quire_stderr, &err.sink);
	__libc_abort_hook = abort_hook;
	if (setjmp(abort_jump) == 0) {
#include "libc/include/assert.h"
		quire_assert(1 + 1 == 2);
		reached = 1;
		quire_assert(reached == 2);
		fail_msg("assert did not abort");
	}
	assert_int_equal(reached, 1);
	assert_non_null(strstr(err.text, "Assertion failed: reached == 2"));
	assert_non_null(strstr(err.text, "test_assert_reports_and_aborts"));
	__libc_abort_hook = NULL;
	__libc_stdio_connect(quire_stderr, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_integers),
	    cmocka_unit_test(test_table_floats),
	    cmocka_unit_test(test_random_specs),
	    cmocka_unit_test(test_random_mixed),
	    cmocka_unit_test(test_sprintf_and_returns),
	    cmocka_unit_test(test_percent_n_unsupported),
	    cmocka_unit_test(test_streams),
	    cmocka_unit_test(test_assert_reports_and_aborts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
