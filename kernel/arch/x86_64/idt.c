/*
 * The IDT of idt.h.
 */
#include "kernel/arch/x86_64/idt.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/stack.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/lib/compiler.h"
#include "kernel/panic.h"

#define GATE_PRESENT   0x80
#define GATE_INTERRUPT 0x0e /* 64-bit interrupt gate: clears IF on entry */

/* From trap_stubs.S: the stub of every vector. */
extern const uint64_t trap_stub_table[IDT_VECTORS];

_Static_assert(IDT_FIRST_DEVICE_VECTOR == TRAP_EXCEPTION_COUNT, "device vectors follow exceptions");

static struct idt_gate idt[IDT_VECTORS] ALIGNED(16);

static uint8_t ist_for(unsigned vector)
{
	switch (vector) {
	case TRAP_DOUBLE_FAULT:
		return STACK_IST_DOUBLE_FAULT;
	case TRAP_NMI:
		return STACK_IST_NMI;
	case TRAP_MACHINE_CHECK:
		return STACK_IST_MACHINE_CHECK;
	default:
		return 0;
	}
}

static void set_gate(unsigned vector, uint64_t target, uint8_t ist)
{
	idt[vector] = (struct idt_gate){
	    .offset_low = (uint16_t)target,
	    .selector = GDT_KERNEL_CODE,
	    .ist = ist,
	    .type_attr = GATE_PRESENT | GATE_INTERRUPT,
	    .offset_mid = (uint16_t)(target >> 16),
	    .offset_high = (uint32_t)(target >> 32),
	};
}

void idt_init(void)
{
	kassert(!cpu_interrupts_enabled());
	for (unsigned v = 0; v < TRAP_EXCEPTION_COUNT; v++)
		set_gate(v, trap_stub_table[v], ist_for(v));
	struct cpu_table_register r = {.limit = sizeof(idt) - 1, .base = (uint64_t)(uintptr_t)idt};
	__asm__ volatile("lidt %0" : : "m"(r) : "memory");
}

void idt_install_device_gates(void)
{
	kassert(!cpu_interrupts_enabled());
	for (unsigned v = IDT_FIRST_DEVICE_VECTOR; v < IDT_VECTORS; v++)
		set_gate(v, trap_stub_table[v], 0);
}

const struct idt_gate *idt_gate(unsigned vector)
{
	kassert(vector < IDT_VECTORS);
	return &idt[vector];
}

uint64_t idt_gate_target(const struct idt_gate *g)
{
	return (uint64_t)g->offset_low | (uint64_t)g->offset_mid << 16 |
	       (uint64_t)g->offset_high << 32;
}
