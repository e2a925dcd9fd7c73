/*
 * The kernel's GDT and TSS.
 *
 * Model: long mode ignores segment bases and limits, so the GDT holds only what the CPU still
 * insists on: code and data descriptors for ring 0 and ring 3, and the TSS, whose interrupt stack
 * table (IST) gives the double-fault, NMI and machine-check handlers stacks of their own. The
 * order is fixed by syscall/sysret, which derive every selector from two bases in the STAR MSR:
 * kernel code, kernel data (= code + 8), then user data (= base + 8) before user code (= base + 16).
 * One GDT and TSS per CPU; today only the boot CPU's exists (SMP will add one per CPU).
 */
#pragma once

#include <stdint.h>

#include "kernel/lib/compiler.h"

enum gdt_selector {
	GDT_KERNEL_CODE = 0x08,
	GDT_KERNEL_DATA = 0x10,
	GDT_USER_DATA = 0x18, /* used with RPL 3: 0x1b */
	GDT_USER_CODE = 0x20, /* used with RPL 3: 0x23 */
	GDT_TSS = 0x28,       /* a 16-byte system descriptor: slots 5 and 6 */
};

/* The 64-bit task-state segment (Intel SDM vol. 3, 8.7). */
struct gdt_tss {
	uint32_t reserved0;
	uint64_t rsp[3]; /* stack for entering ring 0..2 from an outer ring */
	uint64_t reserved1;
	uint64_t ist[7]; /* IST1..IST7 */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iopb_offset; /* = sizeof: no I/O permission bitmap */
} PACKED;
_Static_assert(sizeof(struct gdt_tss) == 104, "TSS layout");

/*
 * gdt_init - builds the boot CPU's GDT and TSS (IST stacks from stack.h), loads them, reloads
 * every segment register and loads the task register. Boot CPU, interrupts off, once.
 */
void gdt_init(void);

/* gdt_tss - the boot CPU's TSS, for tests and for setting rsp[0] once there are user threads. */
const struct gdt_tss *gdt_tss(void);

/*
 * gdt_set_kernel_stack - the stack the CPU switches to when an exception or interrupt arrives
 * from ring 3 (TSS.RSP0): the running thread's kernel stack top. Interrupts off.
 */
void gdt_set_kernel_stack(uint64_t top);

/* gdt_table - the boot CPU's GDT (for tests): *COUNT receives its number of 8-byte slots. */
const uint64_t *gdt_table(unsigned *count);
