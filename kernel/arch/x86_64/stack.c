/*
 * The boot CPU's stacks; see stack.h for the layout.
 */
#include "kernel/arch/x86_64/stack.h"

#include "kernel/arch/x86_64/mmu.h"
#include "kernel/lib/compiler.h"
#include "kernel/panic.h"

struct stack_area {
	uint8_t guard0[STACK_GUARD_SIZE];
	uint8_t boot[STACK_BOOT_SIZE];
	struct {
		uint8_t guard[STACK_GUARD_SIZE];
		uint8_t stack[STACK_IST_SIZE];
	} ist[STACK_IST_COUNT];
};
_Static_assert(offsetof(struct stack_area, boot) + STACK_BOOT_SIZE == STACK_BOOT_TOP_OFFSET,
	       "entry.S finds the boot stack top at STACK_BOOT_TOP_OFFSET");
_Static_assert(STACK_BOOT_SIZE % 4096 == 0 && STACK_IST_SIZE % 4096 == 0,
	       "guard pages stay page aligned");

/* Referenced by name from entry.S. */
struct stack_area stack_area ALIGNED(4096);

uintptr_t stack_ist_top(enum stack_ist ist)
{
	kassert(ist >= 1 && ist <= STACK_IST_COUNT);
	return (uintptr_t)stack_area.ist[ist - 1].stack + STACK_IST_SIZE;
}

uintptr_t stack_boot_top(void)
{
	return (uintptr_t)stack_area.boot + STACK_BOOT_SIZE;
}

static bool within(uintptr_t addr, uintptr_t size, uintptr_t low, uintptr_t high, uintptr_t *lo,
		   uintptr_t *hi)
{
	if (addr < low || addr > high || size > high - addr)
		return false;
	if (lo != NULL)
		*lo = low;
	if (hi != NULL)
		*hi = high;
	return true;
}

bool stack_find(uintptr_t addr, uintptr_t size, uintptr_t *low, uintptr_t *high)
{
	uintptr_t boot = (uintptr_t)stack_area.boot;

	if (within(addr, size, boot, boot + STACK_BOOT_SIZE, low, high))
		return true;
	for (unsigned i = 0; i < STACK_IST_COUNT; i++) {
		uintptr_t base = (uintptr_t)stack_area.ist[i].stack;
		if (within(addr, size, base, base + STACK_IST_SIZE, low, high))
			return true;
	}
	return false;
}

uintptr_t stack_guard_page(unsigned i)
{
	kassert(i <= STACK_IST_COUNT);
	return i == 0 ? (uintptr_t)stack_area.guard0 : (uintptr_t)stack_area.ist[i - 1].guard;
}

kerr_t stack_protect_guards(void)
{
	for (unsigned i = 0; i <= STACK_IST_COUNT; i++)
		TRY(mmu_unmap_page(stack_guard_page(i)));
	return KERR_OK;
}
