/*
 * Built-in tests, run in the real machine when the command line says `test`.
 *
 * Model: KTEST(name) { ... } defines a test and registers it in the .ktests section (kernel.ld
 * collects them; no list to maintain). The runner prints TAP version 13 over the console, one
 * "ok N - name" or "not ok N - name" per test followed by "# " diagnostic lines, and kmain ends QEMU
 * with QUIRE_EXIT_PASSED or QUIRE_EXIT_FAILED (quire/debug_exit.h) once init's user tests ran. Checks (kexpect and friends)
 * record a failure with file, line and message and let the test go on; they return whether they
 * held, so a test can stop where going on makes no sense: `if (!kexpect(p != NULL)) return;`.
 * A test that faults or panics ends the run with the panic code, which the host runner reports.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <quire/boot.h>

#include "kernel/lib/compiler.h"

struct ktest_ctx;

struct ktest {
	const char *name;
	void (*run)(struct ktest_ctx *ktest_ctx);
	const char *file;
} ALIGNED(8);

#define KTEST(test_name)                                                                           \
	static void ktest_##test_name(struct ktest_ctx *ktest_ctx);                                \
	static const struct ktest ktest_entry_##test_name USED SECTION(".ktests") = {              \
	    .name = #test_name, .run = ktest_##test_name, .file = __FILE__};                       \
	static void ktest_##test_name(struct ktest_ctx *ktest_ctx)

/* kexpect - checks COND; on failure records "expected COND". Returns COND. */
#define kexpect(cond) ktest_check(ktest_ctx, (cond), __FILE__, __LINE__, "expected %s", #cond)

/* kexpectf - checks COND; on failure records the formatted message. Returns COND. */
#define kexpectf(cond, ...) ktest_check(ktest_ctx, (cond), __FILE__, __LINE__, __VA_ARGS__)

/* kexpect_eq - checks A == B as 64-bit unsigned values, recording both on failure. */
#define kexpect_eq(a, b)                                                                           \
	ktest_check_eq(ktest_ctx, (uint64_t)(a), (uint64_t)(b), #a, #b, __FILE__, __LINE__)

/*
 * ktest_check - the engine behind the macros: when OK is false, counts a failure for the running
 * test and keeps "FILE:LINE: message" for its diagnostics. Returns OK.
 */
bool ktest_check(struct ktest_ctx *ctx, bool ok, const char *file, int line, const char *fmt, ...)
    PRINTF_LIKE(5, 6);

/* ktest_check_eq - ktest_check() for A == B, with both values in the message. */
bool ktest_check_eq(struct ktest_ctx *ctx, uint64_t a, uint64_t b, const char *a_text,
		    const char *b_text, const char *file, int line);

/* ktest_count - the number of registered tests. */
unsigned ktest_count(void);

/* ktest_boot_info - the validated boot_info the kernel was started with, for tests. */
const struct quire_boot_info *ktest_boot_info(void);

/*
 * ktest_run_all - runs every registered test in link order and reports TAP; returns whether all
 * passed (kmain then runs the user test programs through init and ends QEMU with the verdict).
 * BI is the validated boot_info. The boot thread, after sched_init().
 */
bool ktest_run_all(const struct quire_boot_info *bi);
