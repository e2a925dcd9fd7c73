/*
 * probe: the first user program in the initrd (/bin/probe), a fixture for the kernel's ELF
 * loader test (kernel/tests/elf_load_tests.c). It has what a real program has: text, read-only
 * data, initialised data and bss, so the loader maps an RX, an R and an RW segment. Nothing runs
 * it yet: user mode arrives with processes. Once it runs, it counts in its data and bss forever.
 */
#include <stdint.h>

_Noreturn void _start(void);

static const char banner[] = "quire probe";
volatile uint64_t probe_counter = 0x5155495245; /* "QUIRE": initialised data */
static volatile uint64_t scratch[2048];         /* 16 KiB of bss */

_Noreturn void _start(void)
{
	for (;;) {
		scratch[probe_counter % 2048] += (uint64_t)banner[probe_counter % sizeof(banner)];
		probe_counter++;
	}
}
