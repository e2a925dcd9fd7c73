/*
 * bad_pointers: system calls given pointers they cannot use, and a number outside the table.
 * It exits with status 0 when every result is the expected one, else with the number of the
 * first check that failed (kernel/tests/process_tests.c).
 */
#include <stdint.h>

#include "quire/syscalls.h"

_Noreturn void _start(void);

static long raw_syscall(long n)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n) : "rcx", "r11", "memory");
	return ret;
}

_Noreturn void _start(void)
{
	static const char ok[] = "bad_pointers: ok so far";

	if (quire_log((const char *)0xffffffff80000000ull, 8) != -QUIRE_ERR_FAULT)
		quire_process_exit(1); /* a kernel address */
	if (quire_log((const char *)0x0000100000000000ull, 8) != -QUIRE_ERR_FAULT)
		quire_process_exit(2); /* unmapped user memory */
	if (quire_log((const char *)0, 1) != -QUIRE_ERR_FAULT)
		quire_process_exit(3); /* NULL */
	if (quire_log((const char *)0x00007ffffffffff0ull, 64) != -QUIRE_ERR_FAULT)
		quire_process_exit(4); /* runs past the end of the user half */
	if (quire_log(ok, 8192) != -QUIRE_ERR_OUT_OF_RANGE)
		quire_process_exit(5);
	if (raw_syscall(1000) != -QUIRE_ERR_UNSUPPORTED)
		quire_process_exit(6);
	if (raw_syscall(0) != -QUIRE_ERR_UNSUPPORTED)
		quire_process_exit(7);
	if (quire_yield() != -QUIRE_ERR_UNSUPPORTED)
		quire_process_exit(8);
	if (quire_log(ok, sizeof(ok) - 1) != 0)
		quire_process_exit(9);
	quire_process_exit(0);
}
