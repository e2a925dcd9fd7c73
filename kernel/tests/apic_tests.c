/*
 * Built-in tests of the local APIC and device-interrupt dispatch (apic.h): the 8259s are masked,
 * the device gates point at their stubs, the timer ticks at about the rate it was started with,
 * and a registered handler runs, both for the timer and for a software `int`. kmain started the
 * timer (at 1000 Hz) with interrupts off; each test that takes interrupts opens them only while it
 * waits, and leaves them off.
 */
#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/port.h"
#include "kernel/arch/x86_64/tsc.h"
#include "kernel/ksyms.h"
#include "kernel/ktest.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"

#define MSR_APIC_BASE    0x1bu
#define SOFTWARE_VECTOR  0x40u /* no device uses it: reached only by `int $0x40` below */
#define INTERRUPT_GATE   0x8eu /* present, DPL 0, 64-bit interrupt gate */
#define FIRST_TICK_LIMIT 2     /* seconds of TSC to wait for a first tick before giving up */

/*
 * Takes interrupts until N more timer ticks have passed; returns the ticks seen, which can be more
 * than N: a starved QEMU delivers late ticks back to back, and one can land between the end of a
 * hlt and the cli after it. Until the timer
 * has been seen to tick, it polls with a deadline instead of halting, so a timer that never fires
 * fails the test instead of hanging the run.
 */
static uint64_t take_ticks(uint64_t n)
{
	static bool seen_tick;
	uint64_t start = apic_timer_ticks();

	if (!seen_tick) {
		uint64_t t0 = cpu_rdtsc(), limit = tsc_hz() * FIRST_TICK_LIMIT;
		__asm__ volatile("sti" : : : "memory");
		while (apic_timer_ticks() == start && cpu_rdtsc() - t0 < limit)
			__asm__ volatile("pause" : : : "memory");
		__asm__ volatile("cli" : : : "memory");
		if (apic_timer_ticks() == start)
			return 0;
		seen_tick = true;
	}
	/* sti's one-instruction shadow makes sti; hlt atomic: no tick slips in between. */
	while (apic_timer_ticks() - start < n)
		__asm__ volatile("sti\n\thlt\n\tcli" : : : "memory");
	return apic_timer_ticks() - start;
}

KTEST(apic_is_enabled_at_its_base)
{
	uint64_t msr = cpu_rdmsr(MSR_APIC_BASE);

	kexpect(msr & (1ull << 11));    /* globally enabled */
	kexpect(!(msr & (1ull << 10))); /* xAPIC, not x2APIC */
	kexpect_eq(apic_base(), msr & 0x000ffffffffff000ull);
	if (!kexpect(apic_timer_hz() != 0 && apic_timer_frequency() != 0))
		return;
	kexpect_eq(apic_timer_count(),
		   (apic_timer_frequency() + apic_timer_hz() / 2) / apic_timer_hz());
}

KTEST(pic_is_masked)
{
	kexpect_eq(port_inb(0x21), 0xff);
	kexpect_eq(port_inb(0xa1), 0xff);
}

/* The gate of VECTOR is an interrupt gate to the stub named for it. */
static void expect_device_gate(struct ktest_ctx *ktest_ctx, unsigned vector)
{
	const struct idt_gate *g = idt_gate(vector);
	struct symbols_match m;
	char name[24];

	kexpectf(g->type_attr == INTERRUPT_GATE, "vector 0x%x: type 0x%x", vector, g->type_attr);
	kexpect_eq(g->selector, GDT_KERNEL_CODE);
	kexpect_eq(g->ist, 0);
	if (!kexpectf(ksyms_lookup(idt_gate_target(g), &m), "vector 0x%x: no symbol", vector))
		return;
	format_snprintf(name, sizeof(name), "trap_stub_%u", vector);
	kexpectf(strcmp(m.name, name) == 0 && m.offset == 0, "vector 0x%x goes to %s+0x%llx",
		 vector, m.name, (unsigned long long)m.offset);
}

KTEST(idt_device_gates_point_at_stubs)
{
	expect_device_gate(ktest_ctx, APIC_TIMER_VECTOR);
	expect_device_gate(ktest_ctx, APIC_SPURIOUS_VECTOR);
	expect_device_gate(ktest_ctx, PIC_VECTOR_BASE);
	expect_device_gate(ktest_ctx, PIC_VECTOR_BASE + 15);
	expect_device_gate(ktest_ctx, SOFTWARE_VECTOR);
}

/*
 * The timer's period measured in TSC ticks over 20 ticks. The bounds are loose on purpose: under
 * TCG the APIC timer is a QEMU timer on the host's clock, delivered when the vCPU thread next
 * checks for interrupts, and on a shared host (two cores, several guests) a descheduled QEMU
 * folds missed periods into one late tick, so a period can read several times too long; the
 * calibration itself is good to well under 1%. At 8 vCPUs on two host cores a period read 4.1x
 * too long (CI, once), hence the upper bound of 12x; ticks never come early, hence the lower
 * bound of half. Both still catch a wrong divider (16x either way) or a count computed for the
 * wrong unit (1000x).
 */
KTEST(apic_timer_ticks_at_its_rate)
{
	const uint64_t n = 20;
	uint64_t expected = tsc_hz() / apic_timer_hz();

	if (!kexpectf(take_ticks(2) >= 2, "the timer did not tick"))
		return;
	uint64_t t0 = cpu_rdtsc();
	uint64_t got = take_ticks(n);
	uint64_t per_tick = (cpu_rdtsc() - t0) / (got != 0 ? got : 1);
	kexpectf(got >= n, "%llu ticks", (unsigned long long)got);
	kexpect(!cpu_interrupts_enabled());
	kexpectf(per_tick >= expected / 2 && per_tick <= expected * 12,
		 "%llu TSC ticks per timer tick, expected about %llu", (unsigned long long)per_tick,
		 (unsigned long long)expected);
}

static uint64_t handler_runs;
static uint64_t handler_vector;

static void count_runs(struct trap_frame *frame)
{
	handler_runs++;
	handler_vector = frame->vector;
}

KTEST(irq_handler_runs_on_timer_ticks)
{
	irq_handler_fn saved = irq_handler(APIC_TIMER_VECTOR);
	uint64_t count0 = irq_count(APIC_TIMER_VECTOR);

	handler_runs = 0;
	irq_set_handler(APIC_TIMER_VECTOR, count_runs);
	uint64_t got = take_ticks(5);
	irq_set_handler(APIC_TIMER_VECTOR, saved);
	kexpectf(got >= 5, "%llu ticks", (unsigned long long)got);
	kexpect_eq(handler_runs, got);
	kexpect_eq(handler_vector, APIC_TIMER_VECTOR);
	kexpect(irq_count(APIC_TIMER_VECTOR) - count0 >= got);
	kexpect(!cpu_interrupts_enabled());
}

KTEST(irq_software_vector_reaches_its_handler)
{
	uint64_t count0 = irq_count(SOFTWARE_VECTOR), ticks0 = apic_timer_ticks();

	handler_runs = 0;
	irq_set_handler(SOFTWARE_VECTOR, count_runs);
	__asm__ volatile("int %0" : : "i"(SOFTWARE_VECTOR) : "memory");
	irq_set_handler(SOFTWARE_VECTOR, NULL);
	kexpect_eq(handler_runs, 1);
	kexpect_eq(handler_vector, SOFTWARE_VECTOR);
	kexpect_eq(irq_count(SOFTWARE_VECTOR), count0 + 1);
	kexpect_eq(apic_timer_ticks(), ticks0); /* interrupts stayed off: no tick came in */
	kexpect(irq_handler(SOFTWARE_VECTOR) == NULL);
}
