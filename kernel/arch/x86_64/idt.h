/*
 * The interrupt descriptor table.
 *
 * Model: one IDT shared by every CPU (its contents do not depend on the CPU). Vectors 0..31, the
 * CPU's exceptions, are installed by idt_init() as interrupt gates (interrupts stay off inside a
 * handler) to the stubs of trap_stubs.S; double fault, NMI and machine check switch to their own
 * IST stacks (stack.h). Vectors 32..255 stay not-present until interrupt controllers arrive: a
 * stray interrupt there raises #NP (vector 11), which is reported like any other exception.
 */
#pragma once

#include <stdint.h>

#define IDT_VECTORS 256

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

/* idt_gate - the gate of VECTOR (< 256), for tests. */
const struct idt_gate *idt_gate(unsigned vector);

/* idt_gate_target - the handler address a gate points to. Pure. */
uint64_t idt_gate_target(const struct idt_gate *gate);
