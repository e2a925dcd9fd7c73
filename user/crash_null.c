/*
 * crash_null: dereferences NULL. The kernel kills it with QUIRE_EXIT_FAULT_UNMAPPED at address
 * 0 and keeps running (kernel/tests/process_tests.c).
 */
#include <stdint.h>

int main(int argc, char **argv)
{
	volatile uint64_t *null = (volatile uint64_t *)0;

	return (int)*null;
}
