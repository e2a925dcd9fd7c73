/*
 * Entry stubs for exception vectors 0..31 (see trap.h for the frame they build).
 *
 * Each vector gets a stub that makes the stack look the same whether or not the CPU pushed an
 * error code, pushes the vector number and jumps to trap_common. trap_common saves the general
 * registers, links a frame-pointer record {interrupted RBP, interrupted RIP} so that backtraces
 * pass through the exception into the interrupted code, and calls trap_dispatch(frame). If that
 * returns, the registers (possibly changed by a test hook) are restored and iretq resumes.
 *
 * The CPU aligns RSP to 16 bytes before pushing its 5-word frame; with error code, vector and 15
 * registers (22 words) plus the 2-word record, RSP is 16-byte aligned again at the call, as the
 * ABI requires. An exception from ring 3 (the saved CS's RPL is 3) swaps GS base to the kernel's
 * per-CPU block on entry and back on the way out (syscall.h).
 */
#include "kernel/arch/x86_64/trap.h"

	.section .text, "ax"

.macro trap_stub vector, has_error
	.p2align 4
trap_stub_\vector:
	.if \has_error == 0
	pushq $0
	.endif
	pushq $\vector
	jmp trap_common
.endm

.irp v, 0, 1, 2, 3, 4, 5, 6, 7, 9, 15, 16, 18, 19, 20, 22, 23, 24, 25, 26, 27, 28, 31
	trap_stub \v, 0
.endr
.irp v, 8, 10, 11, 12, 13, 14, 17, 21, 29, 30
	trap_stub \v, 1
.endr

	.p2align 4
	.type trap_common, @function
trap_common:
	/* From ring 3 (the saved CS's RPL), GS base is the user's: swap in the kernel's. */
	testb $3, 24(%rsp)
	jz 1f
	swapgs
1:	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	pushq TRAP_FRAME_RIP(%rdi)
	pushq %rbp
	movq %rsp, %rbp
	cld
	call trap_dispatch
	addq $16, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	testb $3, 8(%rsp)
	jz 2f
	swapgs
2:	iretq
	.size trap_common, . - trap_common

/* The stubs' addresses by vector, for idt.c. */
	.section .rodata, "a"
	.p2align 3
	.globl trap_stub_table
trap_stub_table:
.irp v, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	.quad trap_stub_\v
.endr
	.size trap_stub_table, . - trap_stub_table
