/*
 * Host tests of bootloader/fmt.c, the loader's printf: each conversion the loader's messages use,
 * padding, the extremes of each integer width, and truncation into small buffers (which must
 * never write past them: ASan watches).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bootloader/fmt.h"

static char buf[128];

#define CHECK(expected, ...)                                                                       \
	do {                                                                                       \
		size_t n_ = fmt_format(buf, sizeof(buf), __VA_ARGS__);                             \
		assert_string_equal(buf, expected);                                                \
		assert_int_equal(n_, strlen(expected));                                            \
	} while (0)

static void test_conversions(void **state)
{
	CHECK("plain", "plain");
	CHECK("a 42 b", "a %d b", 42);
	CHECK("-7", "%d", -7);
	CHECK("4294967295", "%u", 0xffffffffu);
	CHECK("ff", "%x", 255u);
	CHECK("x=0xdeadbeefcafe", "x=0x%llx", 0xdeadbeefcafeull);
	CHECK("18446744073709551615", "%llu", ~0ull);
	CHECK("-9223372036854775808", "%lld", (long long)INT64_MIN);
	CHECK("123", "%zu", (size_t)123);
	CHECK("77", "%lu", 77ul);
	CHECK("c=Q", "c=%c", 'Q');
	CHECK("\\quire\\kernel.elf: bad", "%s: %s", "\\quire\\kernel.elf", "bad");
	CHECK("(null)", "%s", (const char *)NULL);
	CHECK("100%", "100%%");
	CHECK("0x1000", "%p", (void *)0x1000);
}

static void test_padding(void **state)
{
	CHECK("00ff", "%04x", 255u);
	CHECK("  42", "%4d", 42);
	CHECK("-042", "%04d", -42);
	CHECK(" -42", "%4d", -42);
	CHECK("12345", "%3u", 12345u);
	CHECK("   ab", "%5s", "ab");
}

/* Without the format attribute, so the compiler lets malformed formats through. */
static size_t unchecked(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	size_t n = fmt_vformat(buf, sizeof(buf), format, args);
	va_end(args);
	return n;
}

static void test_unknown_and_trailing(void **state)
{
	assert_int_equal(unchecked("%q"), 1);
	assert_string_equal(buf, "q");
	assert_int_equal(unchecked("end%"), 3);
	assert_string_equal(buf, "end");
	assert_int_equal(unchecked("%5"), 0);
}

static void test_truncation(void **state)
{
	char small[6];

	memset(small, '#', sizeof(small));
	assert_int_equal(fmt_format(small, sizeof(small), "%s=%u", "abcdef", 12345u), 5);
	assert_string_equal(small, "abcde");
	assert_int_equal(fmt_format(small, 1, "xyz"), 0);
	assert_string_equal(small, "");
	assert_int_equal(fmt_format(small, 0, "xyz"), 0); /* nothing written at all */
}

/* Heap buffers of every small size: a one-byte overrun is an ASan report. */
static void test_exact_sizes(void **state)
{
	for (size_t size = 1; size < 24; size++) {
		char *b = malloc(size);

		size_t n = fmt_format(b, size, "%s %llx", "quire-loader:", 0xabcdefull);
		assert_int_equal(n, strlen(b));
		assert_true(n < size);
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conversions),          cmocka_unit_test(test_padding),
	    cmocka_unit_test(test_unknown_and_trailing), cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_exact_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
