/*
 * Thread switching and the first entry into ring 3 (kernel/sched/sched.h, arch/x86_64/switch.h).
 */
#include "kernel/arch/x86_64/syscall.h"

	.section .text, "ax"

/*
 * void context_switch(uint64_t *save_rsp, uint64_t new_rsp)
 * Pushes the callee-saved registers on the current stack, stores RSP in *SAVE_RSP, loads NEW_RSP
 * and pops the registers saved there; the `ret` returns into whoever switched away on that stack
 * (or, for a new thread, into its first function: thread.c builds such a frame). Interrupts are
 * off throughout, and RFLAGS needs no saving: it is the same (IF clear) on both sides.
 */
	.p2align 4
	.globl context_switch
	.type context_switch, @function
context_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size context_switch, . - context_switch

/*
 * _Noreturn void user_start(uint64_t rip, uint64_t rsp, uint64_t arg)
 * Enters ring 3 at RIP with RSP, ARG in RDI, interrupts on, every other register zero. Uses the
 * current (kernel) stack for the iretq frame; the thread's next entry to the kernel starts again
 * at the top of that stack.
 */
	.p2align 4
	.globl user_start
	.type user_start, @function
user_start:
	cli
	pushq $SYSCALL_USER_SS
	pushq %rsi
	pushq $0x202 /* IF on; everything else clear */
	pushq $SYSCALL_USER_CS
	pushq %rdi
	movq %rdx, %rdi
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ecx, %ecx
	xorl %edx, %edx
	xorl %esi, %esi
	xorl %ebp, %ebp
	xorl %r8d, %r8d
	xorl %r9d, %r9d
	xorl %r10d, %r10d
	xorl %r11d, %r11d
	xorl %r12d, %r12d
	xorl %r13d, %r13d
	xorl %r14d, %r14d
	xorl %r15d, %r15d
	swapgs
	iretq
	.size user_start, . - user_start
