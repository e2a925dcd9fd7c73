/*
 * The built-in test runner of ktest.h. Diagnostics are kept in a small fixed buffer per test and
 * printed after its result line, as TAP wants them; a test that fails more often than the buffer
 * holds says how many messages were dropped.
 */
#include "kernel/ktest.h"

#include <stdarg.h>

#include "kernel/arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/lib/format.h"
#include "kernel/panic.h"

#define DIAG_MAX 8
#define DIAG_LEN 160

struct ktest_ctx {
	unsigned failures;
	char diag[DIAG_MAX][DIAG_LEN];
};

/* Bounds of the .ktests section, from kernel.ld. */
extern const struct ktest image_ktests_start[], image_ktests_end[];

static const struct quire_boot_info *boot_info;

static void record(struct ktest_ctx *ctx, const char *file, int line, const char *fmt, va_list ap)
{
	unsigned slot = ctx->failures++;

	if (slot >= DIAG_MAX)
		return;
	size_t n = format_snprintf(ctx->diag[slot], DIAG_LEN, "%s:%d: ", file, line);
	if (n < DIAG_LEN)
		format_vsnprintf(ctx->diag[slot] + n, DIAG_LEN - n, fmt, ap);
}

bool ktest_check(struct ktest_ctx *ctx, bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	va_start(ap, fmt);
	record(ctx, file, line, fmt, ap);
	va_end(ap);
	return false;
}

bool ktest_check_eq(struct ktest_ctx *ctx, uint64_t a, uint64_t b, const char *a_text,
		    const char *b_text, const char *file, int line)
{
	return ktest_check(ctx, a == b, file, line, "expected %s == %s: 0x%llx != 0x%llx", a_text,
			   b_text, (unsigned long long)a, (unsigned long long)b);
}

unsigned ktest_count(void)
{
	return (unsigned)(image_ktests_end - image_ktests_start);
}

const struct quire_boot_info *ktest_boot_info(void)
{
	return boot_info;
}

/* Runs one test and prints its TAP lines; returns whether it passed. */
static bool run_one(unsigned number, const struct ktest *t)
{
	struct ktest_ctx ctx = {.failures = 0};
	uint64_t start = tsc_uptime_us();

	t->run(&ctx);
	uint64_t us = tsc_uptime_us() - start;
	console_printf("%s %u - %s\n", ctx.failures == 0 ? "ok" : "not ok", number, t->name);
	for (unsigned i = 0; i < ctx.failures && i < DIAG_MAX; i++)
		console_printf("# %s\n", ctx.diag[i]);
	if (ctx.failures > DIAG_MAX)
		console_printf("# ... and %u more failed checks\n", ctx.failures - DIAG_MAX);
	if (ctx.failures != 0)
		console_printf("# in %s, after %llu us\n", t->file, (unsigned long long)us);
	return ctx.failures == 0;
}

bool ktest_run_all(const struct quire_boot_info *bi)
{
	unsigned count = ktest_count(), passed = 0;

	kassert(bi != NULL);
	boot_info = bi;
	console_printf("TAP version 13\n1..%u\n", count);
	for (unsigned i = 0; i < count; i++) {
		if (run_one(i + 1, &image_ktests_start[i]))
			passed++;
	}
	console_printf("# ktest: %u passed, %u failed\n", passed, count - passed);
	return passed == count && count > 0;
}
