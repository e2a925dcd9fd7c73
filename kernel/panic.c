/*
 * panic() and friends; see panic.h.
 */
#include "kernel/panic.h"

#include <stdarg.h>

#include <quire/debug_exit.h>

#include "kernel/arch/x86_64/backtrace.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/qemu_exit.h"
#include "kernel/console.h"
#include "kernel/lib/format.h"

static bool test_mode;
static bool panicking;

void panic_set_test_mode(bool on)
{
	test_mode = on;
}

bool panic_test_mode(void)
{
	return test_mode;
}

static _Noreturn void stop(void)
{
	if (test_mode)
		qemu_exit(QUIRE_EXIT_PANIC);
	cpu_halt_forever();
}

static _Noreturn void vpanic(const char *func, uintptr_t pc, uintptr_t fp, const char *fmt,
			     va_list ap)
{
	__asm__ volatile("cli");
	if (panicking) {
		console_printf("\nPANIC (nested, giving up): %s\n", func);
		stop();
	}
	panicking = true;
	console_printf("\nPANIC: %s: ", func);
	format_vprint(console_sink, NULL, fmt, ap);
	console_printf("\n");
	backtrace_print(pc, fp);
	console_printf("%s\n", test_mode ? "ending QEMU (test mode)" : "system halted");
	stop();
}

void panic_at(const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpanic(func, 0, (uintptr_t)__builtin_frame_address(0), fmt, ap);
}

void panic_at_frame(const char *func, uintptr_t pc, uintptr_t fp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpanic(func, pc, fp, fmt, ap);
}
