/*
 * crt0: a program's first instructions. Built as $(BUILD)/libc/crt0.o, linked first into every
 * user program (before the program's objects and libc.a), not archived in libc.a.
 *
 * The kernel enters _start with RDI pointing at the start-up block (quire/startup.h) and RSP
 * 16-byte aligned minus 8. _start does not rely on the second: it clears RBP (the outermost frame,
 * where a backtrace stops), aligns RSP down to 16 bytes so that the call below leaves it as the
 * System V ABI promises every C function (16-byte aligned minus 8 at entry), and hands the block
 * and main to __libc_start (libc/misc/start.c), which checks the block, sets up stdout, stderr and
 * abort, calls main and exits. __libc_start never returns; the ud2 after the call is a tripwire.
 */
#include "../misc/runtime_internal.h"

void _start(void);

__attribute__((naked)) void _start(void)
{
	__asm__("xor %ebp, %ebp\n\t"
		"and $-16, %rsp\n\t"
		"lea main(%rip), %rsi\n\t"
		"call __libc_start\n\t"
		"ud2");
}
