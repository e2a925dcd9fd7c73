/*
 * The boot CPU's stacks: the boot stack kmain runs on and the three interrupt stacks (IST) that
 * the double-fault, NMI and machine-check handlers switch to, so that those run on a good stack
 * even when the current one overflowed or is corrupt.
 *
 * Model: one page-aligned block in .bss, each stack below a guard page:
 *   [guard][boot stack][guard][#DF stack][guard][NMI stack][guard][#MC stack]
 * Stacks grow down, so an overflow runs into the guard below, which stack_protect_guards() unmaps
 * from the kernel image's mapping: the overflow faults instead of silently corrupting the
 * neighbour. Also included by entry.S, hence the assembler guard.
 *
 * Application processors (smp.h) get theirs later, when the kernel space exists: the stack each
 * starts and idles on and its three interrupt stacks are guarded kernel stacks
 * (kernel/memory/kstack.h), made by stack_cpu_create() on the boot CPU before the processor is
 * started. stack_find() knows them too, so a backtrace taken on an application processor
 * follows its frames. The boot CPU is CPU 0 in the stack_cpu_* calls, with the stacks above.
 */
#pragma once

#define STACK_GUARD_SIZE 4096
#define STACK_BOOT_SIZE  16384
#define STACK_IST_SIZE   8192
#define STACK_IST_COUNT  3

/* Offset of the boot stack's top within stack_area (entry.S loads RSP with it). */
#define STACK_BOOT_TOP_OFFSET (STACK_GUARD_SIZE + STACK_BOOT_SIZE)

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/kerr.h"

/* The interrupt stacks, in TSS IST slot order (IST1, IST2, IST3). */
enum stack_ist {
	STACK_IST_DOUBLE_FAULT = 1,
	STACK_IST_NMI = 2,
	STACK_IST_MACHINE_CHECK = 3,
};

/* stack_ist_top - the initial RSP (16-byte aligned) for interrupt stack IST (1..3). */
uintptr_t stack_ist_top(enum stack_ist ist);

/* stack_boot_top - the initial RSP of the boot stack. */
uintptr_t stack_boot_top(void);

/*
 * stack_find - whether [ADDR, ADDR + SIZE) lies inside one of the stacks (the boot CPU's, or an
 * application processor's); if so, *LOW and *HIGH (optional) receive that stack's bounds. Reads
 * no memory but the stack records; used to keep backtraces from wandering off. Any context.
 */
bool stack_find(uintptr_t addr, uintptr_t size, uintptr_t *low, uintptr_t *high);

/* stack_guard_page - the address of guard page I (0..STACK_IST_COUNT). */
uintptr_t stack_guard_page(unsigned i);

/*
 * stack_cpu_create - the stacks of application processor CPU (1..CPU_MAX-1): a start stack of
 * STACK_BOOT_SIZE and the three IST stacks of STACK_IST_SIZE, each a guarded kstack. Boot CPU,
 * interrupts off, no spinlock held; allocates. Errors: those of kstack_create() (nothing is left
 * behind then). Panics if CPU already has stacks.
 */
kerr_t stack_cpu_create(unsigned cpu);

/*
 * stack_cpu_destroy - frees what stack_cpu_create() made for CPU, which must not run on any of
 * them any more (a processor that never came up and was sent INIT again). Boot CPU.
 */
void stack_cpu_destroy(unsigned cpu);

/* stack_cpu_top - the initial RSP of the stack CPU starts on (CPU 0: the boot stack). */
uintptr_t stack_cpu_top(unsigned cpu);

/* stack_cpu_ist_top - the initial RSP of CPU's interrupt stack IST (CPU 0: stack_ist_top()). */
uintptr_t stack_cpu_ist_top(unsigned cpu, enum stack_ist ist);

/*
 * stack_protect_guards - unmaps every guard page. Errors: those of mmu_unmap_page() for the first
 * guard that could not be unmapped (KERR_UNSUPPORTED when the image uses large pages); the stacks
 * still work then, only unguarded. Boot CPU, once.
 */
kerr_t stack_protect_guards(void);

#endif
