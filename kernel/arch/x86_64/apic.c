/*
 * The local APIC, its timer, the 8259s put out of the way, and device-interrupt dispatch; see
 * apic.h for the model.
 *
 * The registers are 32-bit words at 16-byte strides of one 4 KiB page (Intel SDM vol. 3, 11.4.1),
 * reached through a fixed, uncached area of the kernel space that is populated up front, so an
 * access from an interrupt handler never faults. xAPIC only: when the firmware left the APIC in
 * x2APIC mode (registers as MSRs, no MMIO page), apic_init() says KERR_UNSUPPORTED rather than
 * switch modes, which some CPUs forbid once x2APIC is locked on.
 *
 * Timer calibration: the timer counts down in one-shot mode, masked, from 0xffffffff, and is read
 * twice about 10 ms of TSC apart. Each read is bracketed by two TSC reads and the tightest of
 * eight brackets is kept, so a read that was stretched (an MMIO exit, a descheduled vCPU) cannot
 * skew the result: the count belongs to the middle of a bracket of known width. The rate is the
 * count distance over the TSC distance times the TSC frequency.
 *
 * State: written by apic_init() and apic_timer_start() on the boot CPU with interrupts off, before
 * any application processor starts (which only reads it); the counters are atomics, read in any
 * context; ticks[cpu] is written by its own CPU.
 */
#include "kernel/arch/x86_64/apic.h"

#include <stddef.h>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/port.h"
#include "kernel/arch/x86_64/tsc.h"
#include "kernel/lib/log.h"
#include "kernel/memory/pat.h"
#include "kernel/memory/phys.h"
#include "kernel/memory/vm_area.h"
#include "kernel/memory/vm_space.h"
#include "kernel/panic.h"

#define MSR_APIC_BASE     0x1bu
#define APIC_BASE_X2APIC  (1ull << 10)
#define APIC_BASE_ENABLE  (1ull << 11)
#define APIC_BASE_ADDRESS 0x000ffffffffff000ull /* bits 12..51 */
#define CPUID_1_EDX_APIC  (1u << 9)

/* Register offsets in the MMIO page. */
#define APIC_REG_ID            0x020u
#define APIC_REG_TPR           0x080u
#define APIC_REG_EOI           0x0b0u
#define APIC_REG_SVR           0x0f0u
#define APIC_REG_ICR_LOW       0x300u
#define APIC_REG_ICR_HIGH      0x310u
#define APIC_REG_LVT_TIMER     0x320u
#define APIC_REG_TIMER_INITIAL 0x380u
#define APIC_REG_TIMER_CURRENT 0x390u
#define APIC_REG_TIMER_DIVIDE  0x3e0u

#define APIC_SVR_ENABLE   (1u << 8)
#define APIC_LVT_MASKED   (1u << 16)
#define APIC_LVT_PERIODIC (1u << 17) /* timer mode bits 17..18: 00 one-shot, 01 periodic */
#define APIC_DIVIDE_BY_16 0x3u       /* divide configuration: bits 0, 1 and 3 encode it */
/* Interrupt command register, low word (SDM vol. 3, 11.6.1); the destination is ICR_HIGH[31:24]. */
#define ICR_INIT          (5u << 8)
#define ICR_STARTUP       (6u << 8)
#define ICR_PENDING       (1u << 12) /* delivery status: not yet accepted */
#define ICR_ASSERT        (1u << 14)
#define ICR_TIMEOUT_MS    100u
_Static_assert(APIC_TIMER_DIVIDER == 16, "APIC_DIVIDE_BY_16 encodes APIC_TIMER_DIVIDER");

/* The 8259 pair: command and data ports, and the spurious vectors of their IRQ 7 and 15. */
#define PIC1_COMMAND       0x20u
#define PIC1_DATA          0x21u
#define PIC2_COMMAND       0xa0u
#define PIC2_DATA          0xa1u
#define PIC_SPURIOUS_IRQ7  (PIC_VECTOR_BASE + 7)
#define PIC_SPURIOUS_IRQ15 (PIC_VECTOR_BASE + 15)

#define CALIBRATION_MS      10u
#define CALIBRATION_SAMPLES 8

static volatile uint32_t *mmio; /* the register page, NULL before apic_init() */
static uint64_t base_pa;
static uint64_t timer_frequency; /* calibrated counts per second, after the divider */
static uint32_t timer_hz, timer_count;
static uint64_t ticks[CPU_MAX];              /* atomic; each written by its own CPU */
static uint64_t counts[IDT_VECTORS];         /* atomic, per vector */
static irq_handler_fn handlers[IDT_VECTORS]; /* atomic loads and stores */
static uint64_t warned[IDT_VECTORS / 64];    /* vectors logged as unhandled */

static uint32_t apic_read(unsigned reg)
{
	return mmio[reg / 4];
}

static void apic_write(unsigned reg, uint32_t value)
{
	mmio[reg / 4] = value;
}

/* Maps the register page at PA uncached into the kernel space and makes it present now. */
static kerr_t map_registers(paddr_t pa, vaddr_t *va_out)
{
	struct vm_space *k = vm_space_kernel();
	struct vm_area *area;
	unsigned rw = VM_PROT_READ | VM_PROT_WRITE;

	if (k == NULL)
		return KERR_UNSUPPORTED;
	TRY(vm_area_create_fixed(pa, 1, rw, CACHE_UNCACHED, &area));
	kerr_t err = vm_space_map(k, area, 0, VM_MAP_ANYWHERE, 1, rw, va_out);
	vm_area_put(area); /* the mapping holds the area from now on */
	if (err != KERR_OK)
		return err;
	err = vm_space_populate(k, *va_out, 1);
	if (err != KERR_OK) {
		kerr_t undo = vm_space_unmap(k, *va_out);
		kassert(undo == KERR_OK);
	}
	return err;
}

/* A write to an unused port: the old 8259s want a moment between initialization words. */
static void pic_wait(void)
{
	port_outb(0x80, 0);
}

/*
 * Reinitializes both 8259s with IRQ 0..15 on PIC_VECTOR_BASE.. (the firmware's mapping may
 * overlap the exceptions), then masks every line: the APIC delivers every device interrupt. A
 * masked 8259 can still raise a spurious IRQ 7 through LINT0, which is why those vectors exist.
 */
static void pic_remap_and_mask(void)
{
	port_outb(PIC1_COMMAND, 0x11); /* ICW1: edge-triggered, cascaded, ICW4 follows */
	pic_wait();
	port_outb(PIC2_COMMAND, 0x11);
	pic_wait();
	port_outb(PIC1_DATA, PIC_VECTOR_BASE); /* ICW2: vector base */
	pic_wait();
	port_outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
	pic_wait();
	port_outb(PIC1_DATA, 1u << 2); /* ICW3: the slave sits on the master's IRQ 2 */
	pic_wait();
	port_outb(PIC2_DATA, 2); /* ... and knows its cascade identity */
	pic_wait();
	port_outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode */
	pic_wait();
	port_outb(PIC2_DATA, 0x01);
	pic_wait();
	port_outb(PIC1_DATA, 0xff); /* OCW1: every line masked */
	port_outb(PIC2_DATA, 0xff);
}

/* The SVR, TPR and timer LVT as both kinds of CPU start them. */
static void enable_local(void)
{
	apic_write(APIC_REG_TPR, 0); /* accept every priority class */
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED | APIC_TIMER_VECTOR);
	apic_write(APIC_REG_SVR,
		   (apic_read(APIC_REG_SVR) & ~0xffu) | APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
}

kerr_t apic_init(void)
{
	uint32_t regs[4];
	vaddr_t va;

	kassert(!cpu_interrupts_enabled());
	kassert(mmio == NULL);
	cpu_cpuid(1, 0, regs);
	if ((regs[3] & CPUID_1_EDX_APIC) == 0)
		return KERR_UNSUPPORTED;
	uint64_t msr = cpu_rdmsr(MSR_APIC_BASE);
	if (msr & APIC_BASE_X2APIC)
		return KERR_UNSUPPORTED;
	if ((msr & APIC_BASE_ENABLE) == 0)
		cpu_wrmsr(MSR_APIC_BASE, msr | APIC_BASE_ENABLE);
	TRY(map_registers(msr & APIC_BASE_ADDRESS, &va));
	mmio = (volatile uint32_t *)va;
	base_pa = msr & APIC_BASE_ADDRESS;

	pic_remap_and_mask();
	enable_local();
	idt_install_device_gates();
	return KERR_OK;
}

kerr_t apic_init_ap(void)
{
	kassert(!cpu_interrupts_enabled());
	if (mmio == NULL)
		return KERR_UNSUPPORTED;
	uint64_t msr = cpu_rdmsr(MSR_APIC_BASE);
	if ((msr & APIC_BASE_X2APIC) || (msr & APIC_BASE_ADDRESS) != base_pa)
		return KERR_UNSUPPORTED;
	if ((msr & APIC_BASE_ENABLE) == 0)
		cpu_wrmsr(MSR_APIC_BASE, msr | APIC_BASE_ENABLE);
	enable_local();
	return KERR_OK;
}

uint32_t apic_id(void)
{
	kassert(mmio != NULL);
	return apic_read(APIC_REG_ID) >> 24;
}

/* Sends the IPI LOW to DEST and waits until the APIC has accepted it. */
static kerr_t send_ipi(uint32_t dest, uint32_t low)
{
	kassert(mmio != NULL);
	kassert(!cpu_interrupts_enabled());
	if (dest >= 0xff)
		return KERR_INVALID; /* 0xff is the xAPIC broadcast */
	apic_write(APIC_REG_ICR_HIGH, dest << 24);
	apic_write(APIC_REG_ICR_LOW, low); /* this write sends it */
	uint64_t t0 = cpu_rdtsc(), limit = tsc_hz() / 1000 * ICR_TIMEOUT_MS;
	while (apic_read(APIC_REG_ICR_LOW) & ICR_PENDING) {
		if (cpu_rdtsc() - t0 > limit)
			return KERR_TIMEOUT;
		__asm__ volatile("pause");
	}
	return KERR_OK;
}

kerr_t apic_send_init(uint32_t dest)
{
	return send_ipi(dest, ICR_INIT | ICR_ASSERT);
}

kerr_t apic_send_startup(uint32_t dest, uint32_t page)
{
	if (page > 0xff) /* the vector field: pages below 1 MiB */
		return KERR_INVALID;
	return send_ipi(dest, ICR_STARTUP | ICR_ASSERT | page);
}

/* (A * B) / C with a 128-bit intermediate product; the quotient must fit in 64 bits. */
static uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c)
{
	unsigned __int128 p = (unsigned __int128)a * b;
	uint64_t hi = (uint64_t)(p >> 64), lo = (uint64_t)p, q, r;

	kassert(c != 0 && hi < c);
	__asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(c));
	return q;
}

struct timer_sample {
	uint64_t tsc;   /* the middle of the bracket */
	uint64_t width; /* the bracket's width in TSC ticks */
	uint32_t count; /* the timer's current count, read inside it */
};

static struct timer_sample sample_timer(void)
{
	struct timer_sample best = {.width = UINT64_MAX};

	for (int i = 0; i < CALIBRATION_SAMPLES; i++) {
		uint64_t before = cpu_rdtsc();
		uint32_t count = apic_read(APIC_REG_TIMER_CURRENT);
		uint64_t after = cpu_rdtsc();
		if (after - before < best.width)
			best = (struct timer_sample){.tsc = before + (after - before) / 2,
						     .width = after - before,
						     .count = count};
	}
	return best;
}

/* Measures the divided timer clock against the TSC; *HZ_OUT gets counts per second. */
static kerr_t calibrate(uint64_t *hz_out)
{
	uint64_t window = tsc_hz() / 1000 * CALIBRATION_MS;

	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED | APIC_TIMER_VECTOR); /* one-shot */
	apic_write(APIC_REG_TIMER_DIVIDE, APIC_DIVIDE_BY_16);
	apic_write(APIC_REG_TIMER_INITIAL, UINT32_MAX);
	struct timer_sample first = sample_timer();
	while (cpu_rdtsc() - first.tsc < window)
		__asm__ volatile("pause");
	struct timer_sample last = sample_timer();
	apic_write(APIC_REG_TIMER_INITIAL, 0); /* stops it */
	/* A count that ran out (or never moved) measured nothing. */
	if (last.count == 0 || last.count >= first.count || last.tsc <= first.tsc)
		return KERR_UNSUPPORTED;
	*hz_out = mul_div(first.count - last.count, tsc_hz(), last.tsc - first.tsc);
	return *hz_out != 0 ? KERR_OK : KERR_UNSUPPORTED;
}

/* Programs this CPU's timer periodic with timer_count and zeroes its tick count. */
static void start_periodic(void)
{
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED | APIC_TIMER_VECTOR);
	apic_write(APIC_REG_TIMER_DIVIDE, APIC_DIVIDE_BY_16);
	__atomic_store_n(&ticks[cpu_current_id()], 0, __ATOMIC_RELAXED);
	/* The LVT first, then the initial count, which starts the countdown. */
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_PERIODIC | APIC_TIMER_VECTOR);
	apic_write(APIC_REG_TIMER_INITIAL, timer_count);
}

kerr_t apic_timer_start(uint32_t hz)
{
	kassert(mmio != NULL);
	kassert(!cpu_interrupts_enabled());
	if (hz == 0)
		return KERR_INVALID;
	if (tsc_hz() == 0)
		return KERR_UNSUPPORTED;
	if (timer_frequency == 0)
		TRY(calibrate(&timer_frequency));
	uint64_t count = (timer_frequency + hz / 2) / hz;
	if (count == 0 || count > UINT32_MAX)
		return KERR_INVALID;
	timer_hz = hz;
	timer_count = (uint32_t)count;
	start_periodic();
	return KERR_OK;
}

kerr_t apic_timer_start_ap(void)
{
	kassert(mmio != NULL);
	kassert(!cpu_interrupts_enabled());
	if (timer_count == 0)
		return KERR_UNSUPPORTED;
	start_periodic();
	return KERR_OK;
}

uint32_t apic_timer_hz(void)
{
	return timer_hz;
}

uint64_t apic_base(void)
{
	return base_pa;
}

uint64_t apic_timer_frequency(void)
{
	return timer_frequency;
}

uint32_t apic_timer_count(void)
{
	return timer_count;
}

uint64_t apic_timer_ticks(void)
{
	return apic_timer_ticks_of(cpu_current_id());
}

uint64_t apic_timer_ticks_of(unsigned cpu)
{
	kassert(cpu < CPU_MAX);
	return __atomic_load_n(&ticks[cpu], __ATOMIC_RELAXED);
}

void apic_eoi(void)
{
	apic_write(APIC_REG_EOI, 0);
}

void irq_set_handler(unsigned vector, irq_handler_fn handler)
{
	kassert(vector >= IDT_FIRST_DEVICE_VECTOR && vector < APIC_SPURIOUS_VECTOR);
	kassert(!cpu_interrupts_enabled());
	__atomic_store_n(&handlers[vector], handler, __ATOMIC_RELAXED);
}

irq_handler_fn irq_handler(unsigned vector)
{
	kassert(vector >= IDT_FIRST_DEVICE_VECTOR && vector < APIC_SPURIOUS_VECTOR);
	return __atomic_load_n(&handlers[vector], __ATOMIC_RELAXED);
}

uint64_t irq_count(unsigned vector)
{
	kassert(vector >= IDT_FIRST_DEVICE_VECTOR && vector < IDT_VECTORS);
	return __atomic_load_n(&counts[vector], __ATOMIC_RELAXED);
}

/* Once per vector: an interrupt nobody asked for usually means a device left unmasked. */
static void warn_unhandled(unsigned vector)
{
	uint64_t bit = 1ull << (vector % 64);

	if (__atomic_fetch_or(&warned[vector / 64], bit, __ATOMIC_RELAXED) & bit)
		return;
	log_warn("irq: vector 0x%x has no handler (logged once)", vector);
}

void irq_dispatch(struct trap_frame *frame)
{
	unsigned vector = (unsigned)frame->vector;

	kassert(vector >= IDT_FIRST_DEVICE_VECTOR && vector < IDT_VECTORS);
	kassert(!cpu_interrupts_enabled());
	__atomic_fetch_add(&counts[vector], 1, __ATOMIC_RELAXED);
	/* Spurious: nothing is in service, so there is nothing to acknowledge. */
	if (vector == APIC_SPURIOUS_VECTOR || vector == PIC_SPURIOUS_IRQ7 ||
	    vector == PIC_SPURIOUS_IRQ15)
		return;
	/* Before the handler, which may switch threads and return much later. */
	apic_eoi();
	unsigned cpu = cpu_current_id();
	if (vector == APIC_TIMER_VECTOR)
		__atomic_fetch_add(&ticks[cpu], 1, __ATOMIC_RELAXED);
	/*
	 * The step-2 seam: every handler (the scheduler's tick above all) is written for the one
	 * CPU that runs threads. An application processor only idles, so its interrupts end here;
	 * step 2 lets the tick through once the run queue is locked and per CPU.
	 */
	if (cpu != 0)
		return;
	irq_handler_fn handler = __atomic_load_n(&handlers[vector], __ATOMIC_RELAXED);
	if (handler != NULL)
		handler(frame);
	else if (vector != APIC_TIMER_VECTOR)
		warn_unhandled(vector);
}
