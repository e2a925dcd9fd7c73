/*
 * Deliberate crashes; see crash.h. Each fault is raised with inline assembly, not with C that is
 * undefined behaviour (a null store, a division by zero), because the compiler may turn such C
 * into anything, including nothing. The address operands go through registers so that no
 * optimisation can see what they are.
 */
#include "kernel/crash.h"

#include <stdint.h>

#include "kernel/lib/compiler.h"
#include "kernel/lib/spinlock.h"
#include "kernel/panic.h"

/* Lower-half addresses are unmapped once the identity map is gone. */
#define UNMAPPED_ADDRESS      0x18ull
#define NON_CANONICAL_ADDRESS 0x8000000000000000ull

NOINLINE void crash_pagefault(void)
{
	uint64_t addr = UNMAPPED_ADDRESS;

	__asm__ volatile("movq $0x2a, (%0)" : : "r"(addr) : "memory");
	panic("the write to unmapped address 0x%llx did not fault", (unsigned long long)addr);
}

NOINLINE void crash_ud(void)
{
	__asm__ volatile("ud2");
	panic("ud2 did not fault");
}

NOINLINE void crash_gpf(void)
{
	uint64_t addr = NON_CANONICAL_ADDRESS, value;

	__asm__ volatile("movq (%1), %0" : "=r"(value) : "r"(addr) : "memory");
	panic("the load from non-canonical 0x%llx did not fault (read 0x%llx)",
	      (unsigned long long)addr, (unsigned long long)value);
}

NOINLINE void crash_panic(void)
{
	panic("deliberate panic requested on the command line (crash=panic)");
}

NOINLINE void crash_divide(void)
{
	uint64_t quotient = 1, remainder = 0, divisor = 0;

	__asm__ volatile("divq %2" : "+a"(quotient), "+d"(remainder) : "r"(divisor));
	panic("the division by zero did not fault (quotient 0x%llx)", (unsigned long long)quotient);
}

/*
 * Each level keeps a volatile buffer alive across the recursive call, so the call can be neither
 * turned into a loop nor given a smaller frame. The overflow runs into the guard page below the
 * boot stack; the CPU cannot push the page fault's frame on the exhausted stack either, which makes
 * it a double fault, delivered on its own IST stack (stack.h).
 */
static volatile uint64_t recursion_limit = UINT64_MAX; /* far beyond any stack */

static NOINLINE uint64_t recurse(uint64_t depth)
{
	volatile uint8_t frame[256];

	if (depth == recursion_limit)
		return 0;
	frame[depth % sizeof(frame)] = (uint8_t)depth;
	return recurse(depth + 1) + frame[0];
}

NOINLINE void crash_overflow(void)
{
	uint64_t result = recurse(0);

	panic("the recursion returned (0x%llx) instead of overflowing the stack",
	      (unsigned long long)result);
}

/*
 * Takes the inner test lock, then the outer one: a rank inversion, which the debug build's rank
 * check reports with a panic naming both locks. Without the check (KERNEL_DEBUG=0) both locks are
 * simply taken, and the explicit panic below says that the check is missing.
 */
NOINLINE void crash_lockrank(void)
{
	static struct spinlock outer = SPINLOCK_INIT("crash-outer", LOCK_RANK_TEST_OUTER);
	static struct spinlock inner = SPINLOCK_INIT("crash-inner", LOCK_RANK_TEST_INNER);

	spin_lock(&inner);
	spin_lock(&outer);
	panic("taking lock rank %u after rank %u went unnoticed (a build without QUIRE_DEBUG?)",
	      outer.rank, inner.rank);
}

void crash_trigger(enum crash_kind kind)
{
	switch (kind) {
	case CRASH_PAGEFAULT:
		crash_pagefault();
	case CRASH_UD:
		crash_ud();
	case CRASH_GPF:
		crash_gpf();
	case CRASH_PANIC:
		crash_panic();
	case CRASH_DIVIDE:
		crash_divide();
	case CRASH_OVERFLOW:
		crash_overflow();
	case CRASH_LOCKRANK:
		crash_lockrank();
	case CRASH_NONE:
	case CRASH_KIND_COUNT:
		break;
	}
}
