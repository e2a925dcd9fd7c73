/*
 * panic() and kassert(): the end of the road for a broken invariant.
 *
 * Model: a panic prints "PANIC: <function>: <message>" and a backtrace on the console and stops
 * the machine. How it stops depends on the mode: in test mode it ends QEMU with
 * QUIRE_EXIT_PANIC so the host runner gets a verdict at once; otherwise the CPU halts with
 * interrupts off so that a person can read the message. A panic inside a panic (say, a fault
 * while printing the backtrace) prints one line and stops without trying again.
 *
 * Host unit tests compile kernel code with QUIRE_HOST_TEST: there kassert() is the C library's
 * assert(), so a broken precondition fails the test instead of needing the kernel's console.
 */
#pragma once

#ifdef QUIRE_HOST_TEST

#include <assert.h>
#define kassert(cond) assert(cond)

#else

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

/*
 * panic_at - prints the panic message for function FUNC with FMT (lib/format.h) and a backtrace
 * starting at the caller, then stops as the mode says. Any context; never returns.
 */
_Noreturn void panic_at(const char *func, const char *fmt, ...) PRINTF_LIKE(2, 3);

/*
 * panic_at_frame - panic_at() with the backtrace starting at instruction PC and frame pointer
 * FP instead of the caller: for exceptions, whose interesting frame is the interrupted one.
 */
_Noreturn void panic_at_frame(const char *func, uintptr_t pc, uintptr_t fp, const char *fmt, ...)
    PRINTF_LIKE(4, 5);

/* panic_set_test_mode - whether a panic ends QEMU (true) or halts the CPU (false, the default). */
void panic_set_test_mode(bool test_mode);

/* panic_test_mode - the current mode. */
bool panic_test_mode(void);

/* panic - panic_at() in the calling function. */
#define panic(...) panic_at(__func__, __VA_ARGS__)

/* kassert - panics, naming the function, file, line and condition, when COND is false. */
#define kassert(cond)                                                                              \
	do {                                                                                       \
		if (UNLIKELY(!(cond)))                                                             \
			panic_at(__func__, "assertion failed at %s:%d: %s", __FILE__, __LINE__,    \
				 #cond);                                                           \
	} while (0)

#endif
