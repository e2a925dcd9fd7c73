/*
 * void handoff_enter(uint64_t pml4, uint64_t entry, uint64_t info_virt)  (SysV: RDI, RSI, RDX)
 *
 * Loads the kernel's tables and jumps. After `mov %rdi, %cr3` this code runs through the
 * lower-half identity alias of the linear map, which is executable for exactly this reason; the
 * stack is not touched again, so nothing depends on what else is mapped. Interrupts are already
 * off (handoff_jump).
 */
	.text
	.globl	handoff_enter
	.type	handoff_enter, @function
handoff_enter:
	mov	%rdi, %cr3
	mov	%rdx, %rdi
	jmp	*%rsi
	.size	handoff_enter, . - handoff_enter

	.section .note.GNU-stack, "", @progbits
