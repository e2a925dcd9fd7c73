/*
 * crash_null: dereferences NULL. The kernel kills it with QUIRE_EXIT_FAULT_UNMAPPED at address
 * 0 and keeps running (kernel/tests/process_tests.c).
 */
#include <stdint.h>

#include "quire/syscalls.h"

_Noreturn void _start(void);

_Noreturn void _start(void)
{
	volatile uint64_t *null = (volatile uint64_t *)0;
	quire_process_exit((int64_t)*null);
}
