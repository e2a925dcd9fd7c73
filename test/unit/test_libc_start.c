/*
 * Host tests of crt0's C half (libc/misc/start.c) with exit and abort: __libc_start given bad
 * start-up blocks (each ends the process with 127 before main), a good block (main's arguments,
 * its return value as the exit status, the handle lookups), and stdout/stderr on the kernel log:
 * one log call per line, lines split at 256 bytes, the other stream's half line sent first,
 * unfinished lines sent at exit and at abort, assert's report, a log call that fails.
 *
 * The fakes: quire_log records each call's bytes; quire_process_exit longjmps back to the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "libc/include/quire_runtime.h"
#include "libc/include/stdio.h"
#include "libc/include/stdlib.h"
#include "libc/misc/runtime_internal.h"
#include "quire/startup.h"
#include "quire/syscalls.h"

#define MAX_LINES 32
#define LINE_MAX_ 256

/* The fakes. */

static struct {
	char line[MAX_LINES][4097];
	size_t len[MAX_LINES];
	int count;
	bool fail;
} logged;

long quire_log(const char *msg, size_t len)
{
	if (logged.fail)
		return -QUIRE_ERR_FAULT;
	if (len > 4096)
		return -QUIRE_ERR_OUT_OF_RANGE;
	if (logged.count == MAX_LINES)
		fail_msg("more than %d log lines", MAX_LINES);
	memcpy(logged.line[logged.count], msg, len);
	logged.line[logged.count][len] = '\0';
	logged.len[logged.count++] = len;
	return 0;
}

static jmp_buf exit_jump;
static int64_t exit_status;

_Noreturn void quire_process_exit(int64_t status)
{
	exit_status = status;
	longjmp(exit_jump, 1);
}

/* Running a program. */

static int (*scenario)(int argc, char **argv);
static bool main_called;
static int seen_argc;
static char **seen_argv;

static int test_main(int argc, char **argv)
{
	main_called = true;
	seen_argc = argc;
	seen_argv = argv;
	return scenario != NULL ? scenario(argc, argv) : 0;
}

/* Starts a "process" on INFO whose main runs FN; returns its exit status. */
static int64_t run(const struct quire_startup *info, int (*fn)(int, char **))
{
	scenario = fn;
	main_called = false;
	exit_status = -1;
	memset(&logged, 0, sizeof(logged));
	if (setjmp(exit_jump) == 0)
		__libc_start(info, test_main);
	return exit_status;
}

static void expect_lines(int count, ...)
{
	va_list ap;

	va_start(ap, count);
	assert_int_equal(logged.count, count);
	for (int i = 0; i < count; i++)
		assert_string_equal(logged.line[i], va_arg(ap, const char *));
	va_end(ap);
}

static const char *const args[] = {"prog", "-v", "x", NULL};
static const struct quire_startup_handle handles[] = {
    {.handle = 0x101, .tag = QUIRE_STARTUP_SELF, .rights = QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE},
    {.handle = 0x202, .tag = QUIRE_STARTUP_FRAMEBUFFER, .rights = QUIRE_RIGHT_MAP},
    {.handle = 0x303, .tag = QUIRE_STARTUP_PASSED, .index = 0, .rights = QUIRE_RIGHT_READ},
    {.handle = 0x404, .tag = QUIRE_STARTUP_PASSED, .index = 1, .rights = QUIRE_RIGHT_WRITE},
};

static struct quire_startup good_block(void)
{
	return (struct quire_startup){
	    .magic = QUIRE_STARTUP_MAGIC,
	    .version = QUIRE_STARTUP_VERSION,
	    .argc = 3,
	    .argv = args,
	    .handle_count = 4,
	    .handles = handles,
	};
}

/* Tests. */

static void test_bad_blocks(void **state)
{
	static const char *const unterminated[] = {"a", "b", NULL};
	struct quire_startup bad[7];

	for (int i = 0; i < 7; i++)
		bad[i] = good_block();
	bad[0].magic ^= 1;
	bad[1].version = QUIRE_STARTUP_VERSION + 1;
	bad[2].argv = NULL;
	bad[3].argc = 1;
	bad[3].argv = unterminated;
	bad[4].handles = NULL;
	bad[5].argc = QUIRE_SPAWN_ARGC_MAX + 1;
	bad[6].magic = 0;

	assert_int_equal(run(NULL, NULL), QUIRE_STATUS_BAD_STARTUP);
	assert_false(main_called);
	for (int i = 0; i < 7; i++) {
		assert_int_equal(run(&bad[i], NULL), QUIRE_STATUS_BAD_STARTUP);
		assert_false(main_called);
		assert_int_equal(logged.count, 0);
	}
	/* Nothing was kept, nothing connected. */
	assert_null(quire_startup_info());
	assert_int_equal(quire_self(), QUIRE_HANDLE_INVALID);
	assert_int_equal(quire_startup_handle(QUIRE_STARTUP_SELF, 0), QUIRE_HANDLE_INVALID);
	assert_int_equal(quire_printf("x\n"), -1);
	quire_clearerr(quire_stdout);
}

static int return_five(int argc, char **argv)
{
	return 5;
}

static void test_good_block(void **state)
{
	struct quire_startup info = good_block();

	assert_int_equal(run(&info, return_five), 5);
	assert_true(main_called);
	assert_int_equal(seen_argc, 3);
	assert_ptr_equal(seen_argv, args);
	assert_string_equal(seen_argv[1], "-v");
	assert_null(seen_argv[3]);
	assert_int_equal(logged.count, 0); /* start-up and exit log nothing themselves */

	assert_ptr_equal(quire_startup_info(), &info);
	assert_int_equal(quire_self(), 0x101);
	assert_int_equal(quire_startup_handle(QUIRE_STARTUP_SELF, 0), 0x101);
	assert_int_equal(quire_startup_handle(QUIRE_STARTUP_SELF, 1), QUIRE_HANDLE_INVALID);
	assert_int_equal(quire_startup_handle(QUIRE_STARTUP_FRAMEBUFFER, 0), 0x202);
	assert_int_equal(quire_startup_handle(QUIRE_STARTUP_PASSED, 0), 0x303);
	assert_int_equal(quire_startup_handle(QUIRE_STARTUP_PASSED, 1), 0x404);
	assert_int_equal(quire_startup_handle(QUIRE_STARTUP_PASSED, 2), QUIRE_HANDLE_INVALID);
	assert_int_equal(quire_startup_handle(99, 0), QUIRE_HANDLE_INVALID);

	/* No arguments and no argv: main still gets argv[0] == NULL. No handles: no SELF. */
	info.argc = 0;
	info.argv = NULL;
	info.handle_count = 0;
	info.handles = NULL;
	assert_int_equal(run(&info, NULL), 0);
	assert_int_equal(seen_argc, 0);
	assert_non_null(seen_argv);
	assert_null(seen_argv[0]);
	assert_int_equal(quire_self(), QUIRE_HANDLE_INVALID);
}

static int print_lines(int argc, char **argv)
{
	quire_printf("hello\n");
	quire_printf("a");
	quire_printf("b%d\n", 1);
	quire_puts("line");
	quire_printf("\n");
	quire_printf("two\nlines\n");
	quire_putchar('c');
	quire_fputs("partial", quire_stdout);
	return 0;
}

static void test_log_lines(void **state)
{
	struct quire_startup info = good_block();

	assert_int_equal(run(&info, print_lines), 0);
	expect_lines(7, "hello", "ab1", "line", "", "two", "lines", "cpartial");
}

static int print_long(int argc, char **argv)
{
	char text[600];

	memset(text, 'x', sizeof(text));
	quire_printf("%.*s\n", 600, text);
	quire_printf("%.*s\n", LINE_MAX_, text); /* exactly a buffer: one line */
	quire_printf("%.*s", 2 * LINE_MAX_, text);
	return 0;
}

static void test_long_lines(void **state)
{
	struct quire_startup info = good_block();

	assert_int_equal(run(&info, print_long), 0);
	int want[] = {256, 256, 88, 256, 256, 256};
	assert_int_equal(logged.count, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(logged.len[i], want[i]);
		assert_int_equal(strspn(logged.line[i], "x"), want[i]);
	}
}

static int print_both(int argc, char **argv)
{
	quire_printf("out");
	quire_fprintf(quire_stderr, "err\n");
	quire_printf("more\n");
	quire_fprintf(quire_stderr, "half");
	quire_printf("other half\n");
	return 0;
}

static void test_streams_keep_order(void **state)
{
	struct quire_startup info = good_block();

	assert_int_equal(run(&info, print_both), 0);
	expect_lines(5, "out", "err", "more", "half", "other half");
}

static bool handler_ran;

static void say_bye(void)
{
	handler_ran = true;
	quire_printf("bye");
}

static int register_and_abort(int argc, char **argv)
{
	assert_int_equal(quire_atexit(say_bye), 0);
	quire_printf("dying");
	quire_abort();
}

static int register_and_return(int argc, char **argv)
{
	quire_printf("main done\n");
	return 9;
}

static int failing_assert(int argc, char **argv)
{
#include "libc/include/assert.h"
	quire_assert(argc == 99);
	return 0;
}

static void test_abort_and_exit_flush(void **state)
{
	struct quire_startup info = good_block();

	handler_ran = false;
	assert_int_equal(run(&info, register_and_abort), QUIRE_STATUS_ABORTED);
	assert_false(handler_ran); /* abort runs no atexit handler */
	expect_lines(1, "dying");

	/* The handler is still registered: the next exit runs it, and its output is flushed. */
	assert_int_equal(run(&info, register_and_return), 9);
	assert_true(handler_ran);
	expect_lines(2, "main done", "bye");

	assert_int_equal(run(&info, failing_assert), QUIRE_STATUS_ABORTED);
	assert_int_equal(logged.count, 1);
	assert_non_null(strstr(logged.line[0], "Assertion failed: argc == 99"));
	assert_non_null(strstr(logged.line[0], "failing_assert"));
}

static int print_into_failure(int argc, char **argv)
{
	logged.fail = true;
	assert_true(quire_printf("x\n") < 0);
	assert_true(quire_ferror(quire_stdout));
	logged.fail = false;
	quire_clearerr(quire_stdout);
	assert_int_equal(quire_printf("y\n"), 2);
	return 3;
}

static void test_log_failure(void **state)
{
	struct quire_startup info = good_block();

	assert_int_equal(run(&info, print_into_failure), 3);
	expect_lines(1, "y");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_blocks),         cmocka_unit_test(test_good_block),
	    cmocka_unit_test(test_log_lines),          cmocka_unit_test(test_long_lines),
	    cmocka_unit_test(test_streams_keep_order), cmocka_unit_test(test_abort_and_exit_flush),
	    cmocka_unit_test(test_log_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
