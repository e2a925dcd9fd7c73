/*
 * The `syscall` entry stub and the way into and out of ring 3 (see syscall.h).
 *
 * syscall_entry builds a struct syscall_frame on the thread's kernel stack: an iretq frame
 * (user SS, RSP, RFLAGS from r11, CS, RIP from rcx), the number, the six argument registers and
 * the callee-saved ones, then calls syscall_dispatch(frame). Returning, it restores every
 * register but rcx and r11 (the ABI clobbers them) and leaves with sysretq, or with iretq when
 * the return RIP is not canonical. Interrupts are off from `syscall` (SFMASK) to sysret.
 */
#include "kernel/arch/x86_64/syscall.h"

#define USER_CS   SYSCALL_USER_CS
#define USER_SS   SYSCALL_USER_SS
#define FRAME_RIP SYSCALL_FRAME_RIP

	.section .text, "ax"

	.p2align 4
/* The registers the entry saved, in reverse; rcx, r11 and rsp are the return path's business. */
.macro RESTORE_USER_REGISTERS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r9
	popq %r8
	popq %r10
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rax
.endm

	.globl syscall_entry
	.type syscall_entry, @function
syscall_entry:
	swapgs
	movq %rsp, %gs:PERCPU_USER_RSP
	movq %gs:PERCPU_KERNEL_RSP, %rsp
	pushq $USER_SS
	pushq %gs:PERCPU_USER_RSP
	pushq %r11
	pushq $USER_CS
	pushq %rcx
	pushq %rax
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %r10
	pushq %r8
	pushq %r9
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	xorl %ebp, %ebp /* backtraces stop here */
	call syscall_dispatch
	movq FRAME_RIP(%rsp), %rcx
	shrq $47, %rcx
	jnz 1f
	RESTORE_USER_REGISTERS
	movq 0(%rsp), %rcx  /* rip */
	movq 16(%rsp), %r11 /* rflags */
	movq 24(%rsp), %rsp /* user rsp: nothing on this stack is needed any more */
	swapgs
	sysretq
1:	/* A non-canonical return RIP: iretq raises #GP in ring 3, where the process is killed. */
	RESTORE_USER_REGISTERS
	xorl %ecx, %ecx
	xorl %r11d, %r11d
	swapgs
	iretq
	.size syscall_entry, . - syscall_entry
