/*
 * Built-in tests of the exception path, each a round trip: an exception is provoked on purpose,
 * the test hook (trap.h) records what the handler saw and resumes, and the test checks the vector,
 * error code, faulting address and registers. The instruction that faults loads its own resume
 * address into RDX first, so the hook knows where to continue without decoding instructions.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/stack.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/image.h"
#include "kernel/ktest.h"

struct seen {
	unsigned count;
	uint64_t vector, error_code, cr2, rip, cs;
	uintptr_t frame; /* where the frame was: which stack the handler ran on */
	bool poke_rax;   /* write 0x5a5a into the frame's RAX, to prove it is restored */
};

static bool record_and_resume(struct trap_frame *f, void *ctx)
{
	struct seen *s = ctx;

	s->count++;
	s->vector = f->vector;
	s->error_code = f->error_code;
	s->cr2 = cpu_read_cr2();
	s->rip = f->rip;
	s->cs = f->cs;
	s->frame = (uintptr_t)f;
	if (s->poke_rax)
		f->rax = 0x5a5a;
	/* Faults leave RIP at the faulting instruction: continue at the address the test gave. */
	if (f->vector != TRAP_BREAKPOINT && f->vector != TRAP_NMI)
		f->rip = f->rdx;
	return true;
}

KTEST(trap_breakpoint_round_trip)
{
	struct seen s = {.poke_rax = true};
	uint64_t rax = 0, rbx = 0x1111, r12 = 0x1212, r15 = 0x1515;

	trap_set_hook(record_and_resume, &s);
	__asm__ volatile("xorl %%eax, %%eax\n\t"
			 "int3\n\t"
			 : "+a"(rax), "+b"(rbx), "+r"(r12), "+r"(r15)
			 :
			 : "memory");
	trap_set_hook(NULL, NULL);
	kexpect_eq(s.count, 1);
	kexpect_eq(s.vector, TRAP_BREAKPOINT);
	kexpect_eq(s.cs, GDT_KERNEL_CODE);
	kexpect(image_in_text(s.rip));
	kexpect_eq(rax, 0x5a5a);
	kexpect_eq(rbx, 0x1111);
	kexpect_eq(r12, 0x1212);
	kexpect_eq(r15, 0x1515);
}

KTEST(trap_invalid_opcode_round_trip)
{
	struct seen s = {0};

	trap_set_hook(record_and_resume, &s);
	__asm__ volatile("leaq 1f(%%rip), %%rdx\n\t"
			 "ud2\n"
			 "1:"
			 :
			 :
			 : "rdx", "memory");
	trap_set_hook(NULL, NULL);
	kexpect_eq(s.count, 1);
	kexpect_eq(s.vector, TRAP_INVALID_OPCODE);
	kexpect_eq(s.error_code, 0);
}

KTEST(trap_page_fault_round_trip)
{
	struct seen s = {0};
	uint64_t addr = 0x2468, value = 7;

	trap_set_hook(record_and_resume, &s);
	__asm__ volatile("leaq 1f(%%rip), %%rdx\n\t"
			 "movq %1, (%2)\n"
			 "1:"
			 : "+m"(value)
			 : "r"(value), "r"(addr)
			 : "rdx", "memory");
	trap_set_hook(NULL, NULL);
	kexpect_eq(s.count, 1);
	kexpect_eq(s.vector, TRAP_PAGE_FAULT);
	kexpect_eq(s.cr2, addr);
	/* Not present, a write, from the kernel, not a fetch. */
	kexpect_eq(s.error_code, TRAP_PF_WRITE);
}

KTEST(trap_general_protection_round_trip)
{
	struct seen s = {0};
	uint64_t addr = 0x8000000000000000ull, value = 0;

	trap_set_hook(record_and_resume, &s);
	__asm__ volatile("leaq 1f(%%rip), %%rdx\n\t"
			 "movq (%1), %0\n"
			 "1:"
			 : "+r"(value)
			 : "r"(addr)
			 : "rdx", "memory");
	trap_set_hook(NULL, NULL);
	kexpect_eq(s.count, 1);
	kexpect_eq(s.vector, TRAP_GENERAL_PROTECTION);
	kexpect_eq(s.error_code, 0);
	kexpect_eq(value, 0);
}

/* `int $2` enters the NMI gate like an NMI would: its handler must run on the NMI IST stack. */
KTEST(trap_nmi_gate_uses_its_own_stack)
{
	struct seen s = {0};
	uintptr_t low, high;

	trap_set_hook(record_and_resume, &s);
	__asm__ volatile("int $2" : : : "memory");
	trap_set_hook(NULL, NULL);
	kexpect_eq(s.count, 1);
	kexpect_eq(s.vector, TRAP_NMI);
	if (kexpect(stack_find(s.frame, sizeof(struct trap_frame), &low, &high)))
		kexpect_eq(high, stack_ist_top(STACK_IST_NMI));
}

KTEST(idt_has_every_exception)
{
	struct cpu_table_register r = cpu_sidt();
	unsigned bad = 0;

	kexpect_eq(r.base, (uintptr_t)idt_gate(0));
	kexpect_eq(r.limit, IDT_VECTORS * sizeof(struct idt_gate) - 1);
	for (unsigned v = 0; v < TRAP_EXCEPTION_COUNT; v++) {
		const struct idt_gate *g = idt_gate(v);
		if (!(g->type_attr & 0x80) || g->selector != GDT_KERNEL_CODE ||
		    !image_in_text(idt_gate_target(g)))
			bad++;
	}
	kexpectf(bad == 0, "%u exception gates are not present or point outside the text", bad);
	kexpect_eq(idt_gate(TRAP_DOUBLE_FAULT)->ist, STACK_IST_DOUBLE_FAULT);
	kexpect_eq(idt_gate(TRAP_NMI)->ist, STACK_IST_NMI);
	kexpect_eq(idt_gate(TRAP_MACHINE_CHECK)->ist, STACK_IST_MACHINE_CHECK);
	kexpect_eq(idt_gate(TRAP_PAGE_FAULT)->ist, 0);
	kexpect(idt_gate(32)->type_attr & 0x80);
}
