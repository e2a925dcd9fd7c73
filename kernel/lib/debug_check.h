/*
 * Debug-build checks: the QUIRE_DEBUG switch and how a failed check stops the machine.
 *
 * Model: the kernel is built with QUIRE_DEBUG=1 unless KERNEL_DEBUG=0 (kernel/build.mk); the
 * checks that cost more than a compare (lock-rank stacks, heap poisoning, allocation-context
 * asserts) are compiled only then. Host unit tests always run with the checks on, so that the
 * tests exercise them.
 *
 * debug_check_fail() reports a broken invariant. In the kernel it is panic(), which names the
 * calling function. On the host it prints the message and aborts, unless the test defines
 * debug_check_host_hook(): that is called first and may longjmp() back into the test, which is
 * how host tests prove a check fires (a weak symbol, so tests that do not care need nothing).
 */
#pragma once

#ifndef QUIRE_DEBUG
#ifdef QUIRE_HOST_TEST
#define QUIRE_DEBUG 1
#else
#define QUIRE_DEBUG 0
#endif
#endif

#ifdef QUIRE_HOST_TEST

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Defined by a host test that wants to catch failed checks; it must not return. */
extern void debug_check_host_hook(const char *func, const char *message) __attribute__((weak));

__attribute__((format(printf, 2, 3))) static inline _Noreturn void
debug_check_host_fail(const char *func, const char *fmt, ...)
{
	char message[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (debug_check_host_hook)
		debug_check_host_hook(func, message);
	fprintf(stderr, "PANIC: %s: %s\n", func, message);
	abort();
}

#define debug_check_fail(...) debug_check_host_fail(__func__, __VA_ARGS__)

#else

#include "kernel/panic.h"

#define debug_check_fail(...) panic(__VA_ARGS__)

#endif
