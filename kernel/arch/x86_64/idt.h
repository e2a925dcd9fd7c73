/*
 * The interrupt descriptor table.
 *
 * Model: one IDT shared by every CPU (its contents do not depend on the CPU). Vectors 0..31, the
 * CPU's exceptions, are installed by idt_init() as interrupt gates (interrupts stay off inside a
 * handler) to the stubs of trap_stubs.S; double fault, NMI and machine check switch to their own
 * IST stacks (stack.h). Vectors 32..255, the device interrupts, stay not-present (a stray
 * interrupt there raises #NP, reported like any other exception) until apic_init() has the APIC
 * to answer them and calls idt_install_device_gates(): interrupt gates, DPL 0, no IST, to stubs
 * that go through the same trap_common path into trap_dispatch() and on to irq_dispatch().
 */
#pragma once

#include <stdint.h>

#define IDT_VECTORS             256
#define IDT_FIRST_DEVICE_VECTOR 32 /* == TRAP_EXCEPTION_COUNT: vectors from here are interrupts */

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;       /* bits 0..2: IST slot, 0 for none */
	uint8_t type_attr; /* present, DPL, gate type */
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

/* idt_init - fills the exception gates and loads the IDT on this CPU. Interrupts off. */
void idt_init(void);

/*
 * idt_install_device_gates - fills the gates of vectors 32..255 (the IDT is shared, so every CPU
 * that loaded it sees them). Boot CPU, after idt_init(), interrupts off; once the interrupt
 * controller is ready to be acknowledged (apic_init()).
 */
void idt_install_device_gates(void);

/* idt_gate - the gate of VECTOR (< 256), for tests. */
const struct idt_gate *idt_gate(unsigned vector);

/* idt_gate_target - the handler address a gate points to. Pure. */
uint64_t idt_gate_target(const struct idt_gate *gate);
