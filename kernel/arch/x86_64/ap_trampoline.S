/*
 * The application-processor trampoline (smp.h has the model).
 *
 * ap_trampoline_start..ap_trampoline_end is not executed where it is linked: smp_init() copies it
 * to the start of the low trampoline page, and a processor woken by a STARTUP IPI runs it from
 * there in real mode, with CS = page / 16 and IP = 0. It is position independent: EBX is set to
 * the page's physical address (CS * 16) first, and every absolute address (the GDT's base, the
 * far-jump targets) is computed from it and written into the page by the processor itself; the
 * parameters the boot CPU wrote (smp.h: SMP_PARAM_*) are read at EBX + offset. Processors run it
 * one at a time, so the page is theirs alone while they do.
 *
 * The path: real mode -> a 32-bit protected-mode segment of the page's own GDT -> PAE, the
 * temporary root in CR3 (32 bits: it must lie below 4 GiB), EFER.LME and EFER.NXE (the kernel's
 * tables set NX, a reserved bit without NXE), paging on -> compatibility mode -> a far jump into
 * the 64-bit code segment, still in the identity-mapped page -> a jump to smp_ap_enter, in the
 * kernel's text, which the temporary root maps like the kernel's own.
 *
 * smp_ap_enter reads the rest of the parameters through the identity mapping (RBX), loads the
 * kernel's CR3 at once (the low page and the trampoline's GDT are unmapped from then on: nothing
 * may touch a segment register or take an exception until smp_ap_main() has loaded the CPU's
 * own GDT and the IDT, which it does first), moves to the processor's own stack and calls
 * smp_ap_main(cpu) with RBP 0, so backtraces end there.
 */
#include "kernel/arch/x86_64/smp.h"

#define CR0_PE   0x00000001
#define CR0_PG   0x80000000
#define CR4_PAE  0x00000020
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100
#define EFER_NXE 0x00000800

/* The trampoline GDT's selectors. */
#define TRAMP_CODE32 0x08
#define TRAMP_DATA32 0x10
#define TRAMP_CODE64 0x18

	.section .rodata.ap_trampoline, "a"
	.balign 16
	.globl ap_trampoline_start
ap_trampoline_start:
	.code16
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $(SMP_TRAMPOLINE_PARAMS), %sp
	/* EBX = the page's physical address; then patch the absolute addresses. */
	movzwl %ax, %ebx
	shll $4, %ebx
	leal tramp_gdt - ap_trampoline_start(%ebx), %eax
	movl %eax, tramp_gdtr - ap_trampoline_start + 2
	leal tramp_32 - ap_trampoline_start(%ebx), %eax
	movl %eax, tramp_far32 - ap_trampoline_start
	leal tramp_64 - ap_trampoline_start(%ebx), %eax
	movl %eax, tramp_far64 - ap_trampoline_start
	lgdtl tramp_gdtr - ap_trampoline_start
	movl %cr0, %eax
	orl $(CR0_PE), %eax
	movl %eax, %cr0
	ljmpl *tramp_far32 - ap_trampoline_start

	.code32
tramp_32:
	movw $(TRAMP_DATA32), %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
	leal SMP_TRAMPOLINE_PARAMS(%ebx), %esp
	movl %cr4, %eax
	orl $(CR4_PAE), %eax
	movl %eax, %cr4
	movl SMP_PARAM_ROOT32(%ebx), %eax
	movl %eax, %cr3
	movl $(MSR_EFER), %ecx
	rdmsr
	orl $(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG), %eax
	movl %eax, %cr0
	/* Compatibility mode, paging on: this page is identity-mapped by the temporary root. */
	ljmpl *tramp_far64 - ap_trampoline_start(%ebx)

	.code64
tramp_64:
	movl %ebx, %ebx /* the upper halves are undefined after compatibility mode */
	movq SMP_PARAM_ENTRY(%rbx), %rax
	jmpq *%rax

	/* Accessed bits preset, so the processor never writes to this GDT. */
	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9b000000ffff /* 0x08: 32-bit code, base 0, 4 GiB */
	.quad 0x00cf93000000ffff /* 0x10: data, base 0, 4 GiB */
	.quad 0x00af9b000000ffff /* 0x18: 64-bit code */
tramp_gdt_end:
tramp_gdtr:
	.word tramp_gdt_end - tramp_gdt - 1
	.long 0 /* patched: the physical address of tramp_gdt */
	.balign 4
tramp_far32: /* m16:32 far pointers, patched with physical addresses */
	.long 0
	.word TRAMP_CODE32
	.balign 4
tramp_far64:
	.long 0
	.word TRAMP_CODE64
	.globl ap_trampoline_end
ap_trampoline_end: /* smp.c asserts that the code stays below its stack and parameters */

	.section .text, "ax"
	.code64
	.globl smp_ap_enter
	.type smp_ap_enter, @function
smp_ap_enter:
	/* Still under the temporary root: RBX is the page's identity-mapped address. */
	movq SMP_PARAM_STACK(%rbx), %rsp
	movl SMP_PARAM_CPU(%rbx), %edi
	movq SMP_PARAM_CR3(%rbx), %rax
	movq %rax, %cr3
	xorl %ebp, %ebp
	call smp_ap_main
1:	cli
	hlt
	jmp 1b
	.size smp_ap_enter, . - smp_ap_enter
