/*
 * Kernel options from the boot command line (boot_info.cmdline).
 *
 *   test                               run the built-in tests, report TAP, end QEMU with a verdict
 *   bench                              run the in-kernel benchmarks instead of the tests (bench.h),
 *                                      then init's run= programs (user/bench), then end QEMU
 *   loglevel=error|warn|info|debug     the log threshold (default info)
 *   crash=pagefault|ud|gpf|panic|divide|overflow|lockrank  crash deliberately after the boot summary
 *   failalloc=N                        the N-th frame or heap allocation fails (fail_inject.h)
 *   run=NAME[:ARG...][,NAME...]        the programs init starts (bin/NAME with the ARGs)
 *   video=WxH                          the loader's: accepted and left alone
 * Anything else is reported through the callback and otherwise ignored: a typo must not stop a
 * boot. A later token overrides an earlier one. Pure and host-tested.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/crash.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/log.h"

#define OPTIONS_RUN_MAX 256 /* bytes of run=..., NUL included */

struct options {
	bool test;
	bool bench;
	enum log_level loglevel;
	enum crash_kind crash;
	uint64_t failalloc;        /* 0: no injected failure */
	char run[OPTIONS_RUN_MAX]; /* run=...: NUL-terminated, "" when absent */
};

/* Told about each token options_parse() ignores, with the reason ("unknown key", ...). */
typedef void (*options_ignored_fn)(void *ctx, const struct cmdline_token *token,
				   const char *reason);

/*
 * options_parse - fills *OPTS from the LEN bytes at TEXT (NUL-terminated or not), starting from
 * the defaults. Calls IGNORED(CTX, ...) for every token it does not use; IGNORED may be NULL.
 */
void options_parse(const char *text, size_t len, struct options *opts, options_ignored_fn ignored,
		   void *ctx);
