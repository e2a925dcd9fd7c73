/*
 * probe: the first user program in the initrd (/bin/probe). It logs a greeting and exits with
 * status 42 (kernel/tests/process_tests.c runs it). It also has what a real program has, for the
 * ELF loader's test (kernel/tests/elf_load_tests.c): text, read-only data, initialised data and
 * bss, so the loader maps an RX, an R and an RW segment.
 */
#include <stdint.h>

#include "quire/syscalls.h"

_Noreturn void _start(void);

static const char banner[] = "hello from user space";
volatile uint64_t probe_counter = 0x5155495245; /* "QUIRE": initialised data */
static volatile uint64_t scratch[2048];         /* 16 KiB of bss */

_Noreturn void _start(void)
{
	for (unsigned i = 0; i < 4; i++)
		scratch[(probe_counter + i) % 2048] += (uint64_t)banner[i];
	quire_log(banner, sizeof(banner) - 1);
	quire_process_exit(42);
}
