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
 * stack_find - whether [ADDR, ADDR + SIZE) lies inside one of the stacks; if so, *LOW and *HIGH
 * (optional) receive that stack's bounds. Pure; used to keep backtraces from wandering off.
 */
bool stack_find(uintptr_t addr, uintptr_t size, uintptr_t *low, uintptr_t *high);

/* stack_guard_page - the address of guard page I (0..STACK_IST_COUNT). */
uintptr_t stack_guard_page(unsigned i);

/*
 * stack_protect_guards - unmaps every guard page. Errors: those of mmu_unmap_page() for the first
 * guard that could not be unmapped (KERR_UNSUPPORTED when the image uses large pages); the stacks
 * still work then, only unguarded. Boot CPU, once.
 */
kerr_t stack_protect_guards(void);

#endif
