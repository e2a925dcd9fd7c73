/*
 * kernel_entry: the ELF entry point, where the loader jumps (see quire/boot.h for the state).
 *
 * It takes the TSC first, so that the loader's "jump -> kernel entry" phase ends as close to the
 * jump as possible; moves onto the kernel's own boot stack in .bss (the loader's stack lives in
 * identity-mapped memory that kmain unmaps); clears RBP so that backtraces end here; clears the
 * direction flag, which the ABI requires and the loader does not promise; and calls
 * kmain(boot_info, entry_tsc). kmain never returns; should it, the CPU halts.
 */
#include "kernel/arch/x86_64/stack.h"

	.section .text.entry, "ax"
	.globl kernel_entry
	.type kernel_entry, @function
kernel_entry:
	rdtsc
	shlq $32, %rdx
	orq %rax, %rdx
	movq %rdx, %rsi
	/* RDI still holds the boot_info pointer: the first argument. */
	movq $(stack_area + STACK_BOOT_TOP_OFFSET), %rsp
	xorl %ebp, %ebp
	cld
	call kmain
1:	cli
	hlt
	jmp 1b
	.size kernel_entry, . - kernel_entry
