/*
 * The boot CPU's stacks and the application processors'; see stack.h for the layout.
 */
#include "kernel/arch/x86_64/stack.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/mmu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/memory/kstack.h"
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

/*
 * An application processor's stacks. Written by the boot CPU before that processor starts (and
 * after it is given up); `present` is stored last and cleared first, so stack_find() never
 * trusts a half-written record.
 */
struct cpu_stacks {
	bool present;
	struct kstack start;
	struct kstack ist[STACK_IST_COUNT];
};

static struct cpu_stacks cpu_stacks[CPU_MAX];

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

static bool within_kstack(uintptr_t addr, uintptr_t size, const struct kstack *k, uintptr_t *lo,
			  uintptr_t *hi)
{
	return within(addr, size, k->bottom, k->top, lo, hi);
}

/* Whether the range lies in one of application processor CPU's stacks. */
static bool find_cpu_stack(const struct cpu_stacks *c, uintptr_t addr, uintptr_t size,
			   uintptr_t *low, uintptr_t *high)
{
	if (!__atomic_load_n(&c->present, __ATOMIC_ACQUIRE))
		return false;
	if (within_kstack(addr, size, &c->start, low, high))
		return true;
	for (unsigned i = 0; i < STACK_IST_COUNT; i++)
		if (within_kstack(addr, size, &c->ist[i], low, high))
			return true;
	return false;
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
	for (unsigned cpu = 1; cpu < CPU_MAX; cpu++)
		if (find_cpu_stack(&cpu_stacks[cpu], addr, size, low, high))
			return true;
	return false;
}

kerr_t stack_cpu_create(unsigned cpu)
{
	struct cpu_stacks *c = &cpu_stacks[cpu];
	struct cpu_stacks made = {0};
	unsigned ist = 0;

	kassert(cpu > 0 && cpu < CPU_MAX && !c->present);
	kassert(!cpu_interrupts_enabled());
	kerr_t err = kstack_create(STACK_BOOT_SIZE / 4096, &made.start);
	if (err != KERR_OK)
		return err;
	for (; ist < STACK_IST_COUNT; ist++) {
		err = kstack_create(STACK_IST_SIZE / 4096, &made.ist[ist]);
		if (err != KERR_OK)
			goto undo_ist;
	}
	*c = made;
	__atomic_store_n(&c->present, true, __ATOMIC_RELEASE);
	return KERR_OK;

undo_ist:
	while (ist > 0)
		kstack_destroy(&made.ist[--ist]);
	kstack_destroy(&made.start);
	return err;
}

void stack_cpu_destroy(unsigned cpu)
{
	struct cpu_stacks *c = &cpu_stacks[cpu];

	kassert(cpu > 0 && cpu < CPU_MAX && c->present);
	__atomic_store_n(&c->present, false, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < STACK_IST_COUNT; i++)
		kstack_destroy(&c->ist[i]);
	kstack_destroy(&c->start);
}

uintptr_t stack_cpu_top(unsigned cpu)
{
	kassert(cpu < CPU_MAX);
	if (cpu == 0)
		return stack_boot_top();
	kassert(cpu_stacks[cpu].present);
	return cpu_stacks[cpu].start.top;
}

uintptr_t stack_cpu_ist_top(unsigned cpu, enum stack_ist ist)
{
	kassert(cpu < CPU_MAX && ist >= 1 && ist <= STACK_IST_COUNT);
	if (cpu == 0)
		return stack_ist_top(ist);
	kassert(cpu_stacks[cpu].present);
	return cpu_stacks[cpu].ist[ist - 1].top;
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
