/*
 * Allocation-context checks: nothing allocates while holding a spinlock or on the fault path.
 *
 * Model (STYLE.md rule 8, DESIGN.md "allocate first, then lock"): an allocator may have to wait
 * for, or fail for lack of, memory, and the code that holds a spinlock or is serving a page fault
 * can do neither safely (a fault handler that allocates can recurse into the fault it serves; an
 * allocation under a lock stretches the lock's hold time and, once reclaim exists, can deadlock
 * on it). So every allocation function (pmm_alloc_*, kmalloc and friends) calls alloc_check()
 * first; debug builds (QUIRE_DEBUG) panic there, naming the innermost lock held or the fault
 * path, which finds the offending caller at its first run instead of under memory pressure.
 * Release builds compile the check away.
 *
 * The fault path brackets itself with fault_context_enter()/fault_context_exit(): the page-fault
 * handler calls enter first thing and exit last, and may nest (a fault inside the handler). It
 * may not allocate, with one exception: the page-fault path itself must get the page it maps.
 * vm_space_allocate() opens a fault-allocation window (fault_alloc_begin()/fault_alloc_end())
 * around its own work, and inside it alloc_check() allows allocation at fault depth 1 with no
 * spinlock held: frames (pmm), page-tree nodes and page-table pages, allocated before the area's
 * spinlock is taken (allocate first, lock, re-check, back out). The window never covers kmalloc:
 * the fault path calls no heap function (it reads records, it does not create them). A fault
 * taken while serving a fault (depth 2) still panics on any allocation: that is the recursion
 * this check exists for.
 *
 * Freeing is allowed anywhere: it never waits for memory.
 */
#pragma once

#include <stdbool.h>

#include "kernel/lib/debug_check.h"

/* alloc_check_context - the debug check behind alloc_check(); call alloc_check() instead. */
void alloc_check_context(void);

/*
 * alloc_check - call first thing in every allocation function. Debug builds: panics when this
 * CPU holds a spinlock or is in the fault path. Any context (it is the check).
 */
static inline void alloc_check(void)
{
#if QUIRE_DEBUG
	alloc_check_context();
#endif
}

/* fault_context_enter - this CPU enters the fault path (nests). Interrupts off. */
void fault_context_enter(void);

/* fault_context_exit - leaves the innermost fault_context_enter() (asserted to match). */
void fault_context_exit(void);

/* fault_context_active - whether this CPU is in the fault path. Any context. */
bool fault_context_active(void);

/*
 * fault_alloc_begin / fault_alloc_end - open and close this CPU's fault-allocation window (see
 * above; for vm_space_allocate() only). They nest with each other; outside the fault path they
 * change nothing that alloc_check() looks at. Interrupts off or the CPU's own context.
 */
void fault_alloc_begin(void);
void fault_alloc_end(void);
