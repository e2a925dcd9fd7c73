/*
 * bad_pointers: system calls given pointers they cannot use, and a number outside the table.
 * It exits with status 0 when every result is the expected one, else with the number of the
 * first check that failed (kernel/tests/process_tests.c). Its one log line is the last check.
 */
#include <stdint.h>

#include "quire/syscalls.h"

static long raw_syscall(long n)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n) : "rcx", "r11", "memory");
	return ret;
}

int main(int argc, char **argv)
{
	static const char ok[] = "bad_pointers: ok so far";

	if (quire_log((const char *)0xffffffff80000000ull, 8) != -QUIRE_ERR_FAULT)
		return 1; /* a kernel address */
	if (quire_log((const char *)0x0000100000000000ull, 8) != -QUIRE_ERR_FAULT)
		return 2; /* unmapped user memory */
	if (quire_log((const char *)0, 1) != -QUIRE_ERR_FAULT)
		return 3; /* NULL */
	if (quire_log((const char *)0x00007ffffffffff0ull, 64) != -QUIRE_ERR_FAULT)
		return 4; /* runs past the end of the user half */
	if (quire_log(ok, 8192) != -QUIRE_ERR_OUT_OF_RANGE)
		return 5;
	if (raw_syscall(1000) != -QUIRE_ERR_UNSUPPORTED)
		return 6;
	if (raw_syscall(0) != -QUIRE_ERR_UNSUPPORTED)
		return 7;
	if (quire_log(ok, sizeof(ok) - 1) != 0)
		return 8;
	return 0;
}
