/*
 * The kernel's GDT and TSS.
 *
 * Model: long mode ignores segment bases and limits, so the GDT holds only what the CPU still
 * insists on: code and data descriptors for ring 0 and ring 3, and the TSS, whose interrupt stack
 * table (IST) gives the double-fault, NMI and machine-check handlers stacks of their own. The
 * order is fixed by syscall/sysret, which derive every selector from two bases in the STAR MSR:
 * kernel code, kernel data (= code + 8), then user data (= base + 8) before user code (= base + 16).
 * One GDT and TSS per CPU, in a static array indexed by CPU (percpu.h): the descriptors are the
 * same everywhere, but each GDT's TSS descriptor names its own CPU's TSS, whose IST slots hold
 * that CPU's own interrupt stacks (stack.h) and whose RSP0 follows the thread it runs. Each is
 * written only by its own CPU (the application processors build theirs as they start).
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
 * every segment register and loads the task register. Boot CPU, interrupts off, once; before
 * GS base is set (syscall_init()), so it names CPU 0 itself rather than asking.
 */
void gdt_init(void);

/*
 * gdt_init_cpu - the same for application processor CPU (1..CPU_MAX-1), on that CPU: its own GDT
 * and TSS, the IST slots from stack_cpu_ist_top(CPU, ...), which must exist. Interrupts off,
 * once per CPU, first thing in its start-up (the trampoline's GDT is unmapped by then).
 */
void gdt_init_cpu(unsigned cpu);

/* gdt_tss - the calling CPU's TSS. */
const struct gdt_tss *gdt_tss(void);

/* gdt_tss_of - CPU's TSS (< CPU_MAX; all zero until that CPU built it), for tests. */
const struct gdt_tss *gdt_tss_of(unsigned cpu);

/*
 * gdt_set_kernel_stack - the stack the calling CPU switches to when an exception or interrupt
 * arrives from ring 3 (TSS.RSP0): the running thread's kernel stack top. Interrupts off.
 */
void gdt_set_kernel_stack(uint64_t top);

/* gdt_table - the calling CPU's GDT (for tests): *COUNT receives its number of 8-byte slots. */
const uint64_t *gdt_table(unsigned *count);

/* gdt_table_of - CPU's GDT (< CPU_MAX), as gdt_table(). */
const uint64_t *gdt_table_of(unsigned cpu, unsigned *count);

/* gdt_tss_base - the base address a 64-bit TSS descriptor at SLOT (two slots) holds. Pure. */
uint64_t gdt_tss_base(const uint64_t *slot);
