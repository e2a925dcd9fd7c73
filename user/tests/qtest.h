/*
 * qtest: the little framework the user test programs share (user/tests/NAME.c; not a test itself).
 *
 * A test program is a main() that exits 0 when every check held; init runs it in a process of
 * its own and reports it as one TAP line (user/init.c). A failed check logs "FAIL file:line: what"
 * (with both values for the _EQ forms) and exits with status 1, so the first failure ends the
 * program and its message is in the serial log next to the TAP line.
 *
 * Helpers: qtest_frames_free() (system_info's free frames, caches trimmed by the kernel, so a test
 * can prove it leaked nothing), qtest_spawn_self() (the same program again with other arguments:
 * a test's child modes live in the same file, so adding a test stays one file), qtest_wait().
 */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quire/startup.h"
#include "quire/syscalls.h"
#include "quire_runtime.h"

static inline _Noreturn void qtest_fail(const char *file, int line, const char *what)
{
	char msg[300];
	int n = snprintf(msg, sizeof(msg), "FAIL %s:%d: %s", file, line, what);
	quire_log(msg, n > 0 && (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	quire_process_exit(1);
}

static inline _Noreturn void qtest_fail_eq(const char *file, int line, const char *a_text,
					   const char *b_text, long long a, long long b)
{
	char msg[300];
	snprintf(msg, sizeof(msg), "%s == %s: %lld (0x%llx) != %lld (0x%llx)", a_text, b_text, a,
		 (unsigned long long)a, b, (unsigned long long)b);
	qtest_fail(file, line, msg);
}

/* CHECK(cond): ends the test with a failure unless COND holds. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			qtest_fail(__FILE__, __LINE__, #cond);                                     \
	} while (0)

/* CHECK_EQ(a, b): as CHECK(a == b), with both values (as signed 64-bit) in the message. */
#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long qtest_a_ = (long long)(a), qtest_b_ = (long long)(b);                    \
		if (qtest_a_ != qtest_b_)                                                          \
			qtest_fail_eq(__FILE__, __LINE__, #a, #b, qtest_a_, qtest_b_);             \
	} while (0)

/* The free frame count now (after the kernel trimmed its caches). */
static inline uint64_t qtest_frames_free(void)
{
	struct quire_system_info si;

	CHECK_EQ(quire_system_info(&si, sizeof(si)), 0);
	return si.frames_free;
}

/* Processes alive now. */
static inline uint64_t qtest_processes(void)
{
	struct quire_system_info si;

	CHECK_EQ(quire_system_info(&si, sizeof(si)), 0);
	return si.processes;
}

/*
 * Spawns this program again (argv[0] is its path) with ARGV[1..ARGC) as given and HANDLES moved
 * into it; returns its process handle. ARGV[0] is replaced by the program's own path.
 */
static inline quire_handle_t qtest_spawn_self(const char *self_path, const char **argv, size_t argc,
					      const quire_handle_t *handles, size_t handle_count)
{
	quire_handle_t child = 0;

	argv[0] = self_path;
	CHECK_EQ(quire_process_spawn(self_path, argv, argc, handles, handle_count, &child), 0);
	return child;
}

/* Waits for CHILD, closes its handle, and returns how it ended. */
static inline struct quire_exit_info qtest_wait(quire_handle_t child)
{
	struct quire_exit_info info;

	memset(&info, 0xa5, sizeof(info));
	CHECK_EQ(quire_process_wait(child, &info), 0);
	CHECK_EQ(quire_handle_close(child), 0);
	return info;
}
