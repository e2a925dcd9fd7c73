/*
 * Host tests of kernel/lib/cmdline.c and kernel/options.c: tokens and their edges (blank runs,
 * CR/LF, '=' with and without a value, input that is not NUL-terminated), the defaults, each
 * option, the loader's video= passing silently, and every ignored token reported with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/options.h"

static void test_tokens(void **state)
{
	const char *line = "  test\tloglevel=debug  crash= x=y=z\r\n";
	struct cmdline_iter it;
	struct cmdline_token t;

	cmdline_init(&it, line, strlen(line));
	assert_true(cmdline_next(&it, &t));
	assert_true(cmdline_key_is(&t, "test"));
	assert_false(t.has_value);
	assert_false(cmdline_key_is(&t, "tes"));
	assert_false(cmdline_key_is(&t, "tests"));
	assert_true(cmdline_next(&it, &t));
	assert_true(cmdline_key_is(&t, "loglevel"));
	assert_true(cmdline_value_is(&t, "debug"));
	assert_int_equal(t.text_len, strlen("loglevel=debug"));
	assert_true(cmdline_next(&it, &t));
	assert_true(cmdline_key_is(&t, "crash"));
	assert_true(t.has_value);
	assert_int_equal(t.value_len, 0);
	assert_true(cmdline_value_is(&t, ""));
	assert_true(cmdline_next(&it, &t));
	assert_true(cmdline_key_is(&t, "x"));
	assert_true(cmdline_value_is(&t, "y=z"));
	assert_false(cmdline_next(&it, &t));
	assert_false(cmdline_next(&it, &t));
}

static void test_bounded_input(void **state)
{
	const char line[] = {'t', 'e', 's', 't', ' ', 'a', 'b'}; /* no NUL anywhere */
	struct cmdline_iter it;
	struct cmdline_token t;

	cmdline_init(&it, line, 6);
	assert_true(cmdline_next(&it, &t));
	assert_true(cmdline_key_is(&t, "test"));
	assert_true(cmdline_next(&it, &t));
	assert_true(cmdline_key_is(&t, "a"));
	assert_false(cmdline_next(&it, &t));
	cmdline_init(&it, "", 0);
	assert_false(cmdline_next(&it, &t));
	cmdline_init(&it, "x\0y", 3); /* a NUL ends the line */
	assert_true(cmdline_next(&it, &t));
	assert_false(cmdline_next(&it, &t));
}

struct ignored_log {
	char text[512];
	int count;
};

static void record_ignored(void *ctx, const struct cmdline_token *t, const char *reason)
{
	struct ignored_log *log = ctx;
	size_t used = strlen(log->text);

	snprintf(log->text + used, sizeof(log->text) - used, "[%.*s: %s]", (int)t->text_len,
		 t->text, reason);
	log->count++;
}

static struct options parse(const char *line, struct ignored_log *log)
{
	struct options o;

	memset(log, 0, sizeof(*log));
	options_parse(line, strlen(line), &o, record_ignored, log);
	return o;
}

static void test_defaults(void **state)
{
	struct ignored_log log;
	struct options o = parse("", &log);

	assert_false(o.test);
	assert_false(o.bench);
	assert_int_equal(o.loglevel, LOG_INFO);
	assert_int_equal(o.crash, CRASH_NONE);
	assert_string_equal(o.run, "");
	assert_int_equal(log.count, 0);
}

/* run=...: copied whole (commas and colons are init's business); empty or too long is refused. */
static void test_run(void **state)
{
	struct ignored_log log;
	char line[OPTIONS_RUN_MAX + 16];

	(void)state;
	struct options o = parse("run=draw:--scene-only,probe test", &log);
	assert_string_equal(o.run, "draw:--scene-only,probe");
	assert_true(o.test);
	assert_int_equal(log.count, 0);
	o = parse("run=a run=b", &log);
	assert_string_equal(o.run, "b");
	o = parse("run= run", &log);
	assert_string_equal(o.run, "");
	assert_int_equal(log.count, 2);
	/* The longest value that fits, and one byte more. */
	memcpy(line, "run=", 4);
	memset(line + 4, 'x', OPTIONS_RUN_MAX - 1);
	line[4 + OPTIONS_RUN_MAX - 1] = '\0';
	o = parse(line, &log);
	assert_int_equal(strlen(o.run), OPTIONS_RUN_MAX - 1);
	line[4 + OPTIONS_RUN_MAX - 1] = 'x';
	line[4 + OPTIONS_RUN_MAX] = '\0';
	o = parse(line, &log);
	assert_string_equal(o.run, "");
	assert_int_equal(log.count, 1);
}

static void test_each_option(void **state)
{
	struct ignored_log log;
	struct options o = parse("test loglevel=warn crash=gpf video=1024x768\n", &log);

	assert_true(o.test);
	assert_int_equal(o.loglevel, LOG_WARN);
	assert_int_equal(o.crash, CRASH_GPF);
	assert_int_equal(log.count, 0);
	o = parse("loglevel=error loglevel=debug crash=pagefault crash=divide", &log);
	assert_int_equal(o.loglevel, LOG_DEBUG);
	assert_int_equal(o.crash, CRASH_DIVIDE);
	o = parse("crash=ud", &log);
	assert_int_equal(o.crash, CRASH_UD);
	o = parse("crash=panic", &log);
	assert_int_equal(o.crash, CRASH_PANIC);
	o = parse("crash=overflow", &log);
	assert_int_equal(o.crash, CRASH_OVERFLOW);
	o = parse("crash=lockrank bench", &log);
	assert_int_equal(o.crash, CRASH_LOCKRANK);
	assert_true(o.bench);
	assert_false(o.test);
}

static void test_ignored_tokens(void **state)
{
	struct ignored_log log;
	struct options o = parse("quiet test=1 loglevel=loud crash=none crash LOGLEVEL=info", &log);

	assert_false(o.test);
	assert_int_equal(o.loglevel, LOG_INFO);
	assert_int_equal(o.crash, CRASH_NONE);
	assert_int_equal(log.count, 6);
	assert_string_equal(
	    log.text,
	    "[quiet: unknown key][test=1: takes no value]"
	    "[loglevel=loud: expects error, warn, info or debug]"
	    "[crash=none: expects pagefault, ud, gpf, panic, divide, overflow or lockrank]"
	    "[crash: expects pagefault, ud, gpf, panic, divide, overflow or lockrank]"
	    "[LOGLEVEL=info: unknown key]");
}

static void test_null_callback(void **state)
{
	struct options o;

	options_parse("bogus test", 10, &o, NULL, NULL);
	assert_true(o.test);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_bounded_input),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_each_option),
	    cmocka_unit_test(test_ignored_tokens),
	    cmocka_unit_test(test_null_callback),
	    cmocka_unit_test(test_run),
	};
	return cmocka_run_group_tests_name("kernel_options", tests, NULL, NULL);
}
