/*
 * probe: the first user program in the initrd (/bin/probe). It logs a greeting and exits with
 * status 42 (kernel/tests/process_tests.c runs it and expects exactly one log line: crt0 logs
 * nothing, and nothing here goes through stdout). It also has what a real program has, for the
 * ELF loader's test (kernel/tests/elf_load_tests.c): text, read-only data, initialised data and
 * bss, so the loader maps an RX, an R and an RW segment.
 */
#include <stdint.h>

#include "quire/syscalls.h"

static const char banner[] = "hello from user space";
volatile uint64_t probe_counter = 0x5155495245; /* "QUIRE": initialised data */
static volatile uint64_t scratch[2048];         /* 16 KiB of bss */

int main(int argc, char **argv)
{
	for (unsigned i = 0; i < 4; i++)
		scratch[(probe_counter + i) % 2048] += (uint64_t)banner[i];
	(void)quire_log(banner, sizeof(banner) - 1);
	return 42;
}
