/*
 * Entry stubs for every vector: the exceptions 0..31 and the device interrupts 32..255 (see
 * trap.h for the frame they build, apic.h for what becomes of an interrupt).
 *
 * Each vector gets a stub that makes the stack look the same whether or not the CPU pushed an
 * error code (an interrupt never pushes one), pushes the vector number and jumps to trap_common.
 * trap_common saves the general registers, links a frame-pointer record {interrupted RBP,
 * interrupted RIP} so that backtraces pass through the exception into the interrupted code, and calls trap_dispatch(frame). If that
 * returns, the registers (possibly changed by a test hook) are restored and iretq resumes.
 *
 * The CPU aligns RSP to 16 bytes before pushing its 5-word frame; with error code, vector and 15
 * registers (22 words) plus the 2-word record, RSP is 16-byte aligned again at the call, as the
 * ABI requires. An exception or interrupt from ring 3 (the saved CS's RPL is 3) swaps GS base to
 * the kernel's per-CPU block on entry and back on the way out (syscall.h).
 *
 * The 224 device stubs and the table of all 256 are generated with .rept; altmacro's %expr turns
 * the counter into the decimal vector in each stub's name (trap_stub_48 is the APIC timer's), so
 * backtraces and the symbol table name them like the exception stubs.
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

/* Device vectors 32..255 (TRAP_EXCEPTION_COUNT..IDT_VECTORS - 1). */
	.altmacro
	.set .Lvector, 32
	.rept 256 - 32
	trap_stub %.Lvector, 0
	.set .Lvector, .Lvector + 1
	.endr
	.noaltmacro

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

/* The stubs' addresses by vector, all IDT_VECTORS of them, for idt.c. */
	.section .rodata, "a"
	.p2align 3
	.globl trap_stub_table
trap_stub_table:
.macro trap_stub_address vector
	.quad trap_stub_\vector
.endm
	.altmacro
	.set .Lvector, 0
	.rept 256
	trap_stub_address %.Lvector
	.set .Lvector, .Lvector + 1
	.endr
	.noaltmacro
	.size trap_stub_table, . - trap_stub_table
