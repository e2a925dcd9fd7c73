/*
 * Allocation-context checks; see alloc_check.h. The fault-path depth is per CPU and touched only
 * by its own CPU with interrupts off, so it needs no lock.
 */
#include "kernel/lib/alloc_check.h"

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/spinlock_internal.h"
#include "kernel/panic.h"

static unsigned fault_depth[CPU_MAX];
static unsigned fault_alloc_depth[CPU_MAX]; /* open fault-allocation windows */

void alloc_check_context(void)
{
	unsigned held = spin_held_count();

	if (held != 0) {
		const struct spinlock *lock = spin_innermost_held();
		debug_check_fail("allocation while holding %u spinlock(s), the innermost %s "
				 "(rank %u): allocate first, then lock",
				 held, lock ? lock->name : "(unknown)", lock ? lock->rank : 0u);
	}
	unsigned cpu = cpu_current_id();

	/* The fault path may allocate in its window, at depth 1 only (alloc_check.h). */
	if (fault_depth[cpu] == 1 && fault_alloc_depth[cpu] != 0)
		return;
	if (fault_context_active())
		debug_check_fail("allocation in the fault path (depth %u)",
				 fault_depth[cpu_current_id()]);
}

void fault_context_enter(void)
{
	fault_depth[cpu_current_id()]++;
}

void fault_context_exit(void)
{
	unsigned cpu = cpu_current_id();

	kassert(fault_depth[cpu] > 0);
	fault_depth[cpu]--;
}

bool fault_context_active(void)
{
	return fault_depth[cpu_current_id()] != 0;
}

void fault_alloc_begin(void)
{
	fault_alloc_depth[cpu_current_id()]++;
}

void fault_alloc_end(void)
{
	unsigned cpu = cpu_current_id();

	kassert(fault_alloc_depth[cpu] > 0);
	fault_alloc_depth[cpu]--;
}
