/*
 * Kernel stacks: guarded areas of the kernel space.
 *
 * Model: a stack of N pages is a guarded area (vm_area.h) of N + 2 pages, one guard page below
 * the stack and one above it, mapped anywhere in the kernel's dynamic range read/write and
 * populated at once: a kernel stack must never fault in, since a fault taken on the stack could
 * not be served (the #PF frame itself goes on that stack). The guard pages have no PTE and no
 * frame, only address space: running off the bottom faults with VM_FAULT_GUARD ("guard page
 * (stack overflow)") instead of corrupting a neighbour; the one above catches an underflow (a
 * pop or a frame-pointer walk past the top). Frames are PAGE_KERNEL_STACK; the area's owner tag
 * (VM_OWNER_KSTACK) lets kstack_destroy() refuse anything else.
 *
 * The boot stack and the boot CPU's interrupt stacks (IST) are the exception: they live in the
 * image's .bss with unmapped guard pages (arch/x86_64/stack.h), because they are needed from the
 * first instruction, long before the frame allocator and the kernel space exist.
 *
 * Locking: none of its own; the kernel space's lock and the area's. Threads (issue 5) own their
 * struct kstack.
 */
#pragma once

#include <stdint.h>

#include "kernel/lib/kerr.h"
#include "kernel/memory/phys.h"

#define KSTACK_GUARD_PAGES   1u   /* below the stack, and as many above */
#define KSTACK_MAX_PAGES     256u /* 1 MiB: a sanity bound */
#define KSTACK_DEFAULT_PAGES 4u   /* 16 KiB, as the boot stack */

struct kstack {
	vaddr_t base;   /* the mapping: the low guard page */
	vaddr_t bottom; /* the lowest usable address */
	vaddr_t top;    /* one past the highest: the initial RSP (16-byte aligned) */
	uint64_t pages; /* usable pages */
};

/*
 * kstack_create - a new stack of PAGES usable pages (1 .. KSTACK_MAX_PAGES) between two guard
 * pages, mapped and populated in the kernel space, into *OUT. No spinlock held; allocates; not in
 * the fault path. Errors: KERR_INVALID (PAGES), KERR_UNSUPPORTED (no kernel space yet),
 * KERR_NO_MEMORY (frames, tables or address space); nothing is left behind on error.
 */
kerr_t kstack_create(uint64_t pages, struct kstack *out);

/*
 * kstack_destroy - unmaps STACK (PTEs cleared, TLB flushed) and frees its frames. Nothing may run
 * on it any more. Panics on a stack kstack_create() did not make. No spinlock held; never
 * allocates.
 */
void kstack_destroy(struct kstack *stack);
