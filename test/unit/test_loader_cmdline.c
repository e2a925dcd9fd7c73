/*
 * Host tests of bootloader/cmdline.c: turning \quire\cmdline's bytes into one line (as editors and
 * `echo` leave them: trailing newline, CRLF, tabs), finding settings, and parsing video=WxH and
 * numeric settings, including every way they can be malformed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bootloader/cmdline.h"

static char buf[256];

static const char *normalize(const char *text)
{
	size_t len = strlen(text);

	memcpy(buf, text, len);
	buf[len] = '#'; /* must be replaced by the NUL */
	size_t out = cmdline_normalize(buf, len);
	assert_int_equal(out, strlen(buf));
	return buf;
}

static void test_normalize(void **state)
{
	assert_string_equal(normalize("test\n"), "test");
	assert_string_equal(normalize("test video=800x600\r\n"), "test video=800x600");
	assert_string_equal(normalize("  a\tb\n\nc  \n"), "a b  c");
	assert_string_equal(normalize(""), "");
	assert_string_equal(normalize(" \n\t\r "), "");
	assert_string_equal(normalize("x"), "x");
	assert_string_equal(normalize("caf\xc3\xa9"), "caf\xc3\xa9"); /* UTF-8 kept */
}

static void test_normalize_nul_inside(void **state)
{
	memcpy(buf, "a\0b\x7f", 4);
	assert_int_equal(cmdline_normalize(buf, 4), 3);
	assert_string_equal(buf, "a b");
}

static void test_find(void **state)
{
	const char *v;
	size_t len;

	assert_true(cmdline_find("test video=800x600 quiet", "video", &v, &len));
	assert_int_equal(len, 7);
	assert_memory_equal(v, "800x600", 7);
	assert_true(cmdline_find("test video=800x600 quiet", "quiet", &v, &len));
	assert_int_equal(len, 0);
	assert_true(cmdline_find("test", "test", &v, &len));
	assert_false(cmdline_find("test", "tes", &v, &len));
	assert_false(cmdline_find("videox=1 xvideo=2", "video", &v, &len));
	assert_false(cmdline_find("", "video", &v, &len));
	/* The last occurrence wins. */
	assert_true(cmdline_find("video=1x1  video=2x2", "video", &v, &len));
	assert_memory_equal(v, "2x2", 3);
	assert_true(cmdline_find("video=", "video", &v, &len));
	assert_int_equal(len, 0);
}

static void test_video(void **state)
{
	uint32_t w = 0, h = 0;

	assert_int_equal(cmdline_video("test video=800x600", &w, &h), CMDLINE_FOUND);
	assert_int_equal(w, 800);
	assert_int_equal(h, 600);
	assert_int_equal(cmdline_video("video=1920x1080 test", &w, &h), CMDLINE_FOUND);
	assert_int_equal(w, 1920);
	assert_int_equal(h, 1080);
	assert_int_equal(cmdline_video("test", &w, &h), CMDLINE_ABSENT);
}

static void test_video_malformed(void **state)
{
	static const char *const bad[] = {
	    "video",          "video=",          "video=800",      "video=800x",   "video=x600",
	    "video=0x600",    "video=800x0",     "video=65536x1",  "video=80a0x6", "video=800X600",
	    "video=-800x600", "video=800x600x1", "video=800 x600",
	};
	uint32_t w, h;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cmdline_video(bad[i], &w, &h), CMDLINE_MALFORMED);
}

static void test_uint(void **state)
{
	uint32_t n = 99;

	assert_int_equal(cmdline_uint("loader.stale_map_key=2", "loader.stale_map_key", 7, &n),
			 CMDLINE_FOUND);
	assert_int_equal(n, 2);
	assert_int_equal(cmdline_uint("a=0", "a", 7, &n), CMDLINE_FOUND);
	assert_int_equal(n, 0);
	assert_int_equal(cmdline_uint("a=8", "a", 7, &n), CMDLINE_MALFORMED);
	assert_int_equal(cmdline_uint("a=99999999999999999999", "a", 0xffffffffu, &n),
			 CMDLINE_MALFORMED);
	assert_int_equal(cmdline_uint("a=4294967295", "a", 0xffffffffu, &n), CMDLINE_FOUND);
	assert_int_equal(n, 0xffffffffu);
	assert_int_equal(cmdline_uint("a", "a", 7, &n), CMDLINE_MALFORMED);
	assert_int_equal(cmdline_uint("a=1x", "a", 7, &n), CMDLINE_MALFORMED);
	assert_int_equal(cmdline_uint("b=1", "a", 7, &n), CMDLINE_ABSENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalize),
	    cmocka_unit_test(test_normalize_nul_inside),
	    cmocka_unit_test(test_find),
	    cmocka_unit_test(test_video),
	    cmocka_unit_test(test_video_malformed),
	    cmocka_unit_test(test_uint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
