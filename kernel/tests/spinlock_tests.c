/*
 * Built-in tests of the spinlocks and the allocation-context bookkeeping as built for the kernel
 * (the host tests cover the checks that panic): locks taken in rising rank order, the held count
 * and innermost lock, release out of order, and the irqsave variants' handling of RFLAGS.IF.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/ktest.h"
#include "kernel/lib/alloc_check.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/spinlock_internal.h"

KTEST(spinlock_rising_ranks)
{
	struct spinlock outer, inner, heap;
	unsigned base = spin_held_count();

	spin_init(&outer, "ktest-outer", LOCK_RANK_TEST_OUTER);
	spin_init(&inner, "ktest-inner", LOCK_RANK_TEST_INNER);
	spin_init(&heap, "ktest-heap", LOCK_RANK_KHEAP);
	spin_lock(&outer);
	spin_lock(&inner);
	spin_lock(&heap);
	kexpect_eq(spin_held_count(), base + 3);
	kexpect(spin_held(&outer) && spin_held(&inner) && spin_held(&heap));
	kexpect_eq(outer.locked, 1);
	kexpect_eq(inner.owner_cpu, 0);
	if (QUIRE_DEBUG)
		kexpect(spin_innermost_held() == &heap);
	spin_unlock(&inner); /* out of order */
	kexpect_eq(spin_held_count(), base + 2);
	if (QUIRE_DEBUG)
		kexpect(!spin_held(&inner));
	spin_unlock(&heap);
	spin_unlock(&outer);
	kexpect_eq(spin_held_count(), base);
	kexpect_eq(outer.locked, 0);
	kexpect_eq((uint64_t)(int64_t)outer.owner_cpu, (uint64_t)(int64_t)-1);
}

KTEST(spinlock_irqsave_restores_if)
{
	struct spinlock lock;
	bool was_on = cpu_interrupts_enabled();

	spin_init(&lock, "ktest-irq", LOCK_RANK_CONSOLE);
	uint64_t flags = spin_lock_irqsave(&lock);
	kexpect(!cpu_interrupts_enabled());
	kexpect_eq((flags & CPU_RFLAGS_IF) != 0, was_on);
	kexpect_eq(spin_held_count(), 1);
	spin_unlock_irqrestore(&lock, flags);
	kexpect_eq(cpu_interrupts_enabled(), was_on);
	kexpect_eq(spin_held_count(), 0);
	/* Nested: the inner restore must not turn interrupts on under the outer lock. */
	struct spinlock outer;
	spin_init(&outer, "ktest-irq-outer", LOCK_RANK_TEST_OUTER);
	uint64_t f1 = spin_lock_irqsave(&outer);
	uint64_t f2 = spin_lock_irqsave(&lock);
	kexpect((f2 & CPU_RFLAGS_IF) == 0);
	spin_unlock_irqrestore(&lock, f2);
	kexpect(!cpu_interrupts_enabled());
	spin_unlock_irqrestore(&outer, f1);
	kexpect_eq(cpu_interrupts_enabled(), was_on);
}

KTEST(fault_context_nesting)
{
	kexpect(!fault_context_active());
	fault_context_enter();
	fault_context_enter();
	kexpect(fault_context_active());
	fault_context_exit();
	kexpect(fault_context_active());
	fault_context_exit();
	kexpect(!fault_context_active());
	alloc_check(); /* nothing held, not faulting: must not panic */
}
