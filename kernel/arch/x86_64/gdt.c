/*
 * Every CPU's GDT and TSS; see gdt.h. Descriptors are assembled from their fields by
 * descriptor() rather than written as magic 64-bit constants, so each one reads as what it is.
 */
#include "kernel/arch/x86_64/gdt.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/stack.h"
#include "kernel/panic.h"

/* Access byte bits. */
#define ACCESS_PRESENT  0x80
#define ACCESS_DPL3     0x60
#define ACCESS_SEGMENT  0x10 /* code or data (not a system descriptor) */
#define ACCESS_CODE     0x0a /* executable, readable */
#define ACCESS_DATA     0x02 /* writable */
/* Set up front: otherwise the CPU sets it itself, writing to the GDT on the first load of each
 * selector, which would fault once the GDT is mapped read-only. */
#define ACCESS_ACCESSED 0x01
#define ACCESS_TSS64    0x09 /* system type: available 64-bit TSS */
/* Flag nibble bits. */
#define FLAG_GRANULE_4K 0x8
#define FLAG_32BIT      0x4
#define FLAG_LONG_MODE  0x2

#define GDT_SLOTS 7

/* One CPU's tables; written by that CPU only. */
struct cpu_tables {
	uint64_t gdt[GDT_SLOTS] ALIGNED(16);
	struct gdt_tss tss ALIGNED(16);
};

static struct cpu_tables tables[CPU_MAX] ALIGNED(64);

static uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

static void build_tables(unsigned cpu)
{
	const uint8_t code = ACCESS_PRESENT | ACCESS_SEGMENT | ACCESS_CODE | ACCESS_ACCESSED;
	const uint8_t data = ACCESS_PRESENT | ACCESS_SEGMENT | ACCESS_DATA | ACCESS_ACCESSED;
	uint64_t *gdt = tables[cpu].gdt;
	struct gdt_tss *tss = &tables[cpu].tss;
	uint64_t tss_base = (uint64_t)(uintptr_t)tss;

	gdt[0] = 0;
	gdt[GDT_KERNEL_CODE / 8] = descriptor(0, 0xfffff, code, FLAG_GRANULE_4K | FLAG_LONG_MODE);
	gdt[GDT_KERNEL_DATA / 8] = descriptor(0, 0xfffff, data, FLAG_GRANULE_4K | FLAG_32BIT);
	gdt[GDT_USER_DATA / 8] =
	    descriptor(0, 0xfffff, data | ACCESS_DPL3, FLAG_GRANULE_4K | FLAG_32BIT);
	gdt[GDT_USER_CODE / 8] =
	    descriptor(0, 0xfffff, code | ACCESS_DPL3, FLAG_GRANULE_4K | FLAG_LONG_MODE);
	gdt[GDT_TSS / 8] =
	    descriptor((uint32_t)tss_base, sizeof(*tss) - 1, ACCESS_PRESENT | ACCESS_TSS64, 0);
	gdt[GDT_TSS / 8 + 1] = tss_base >> 32;

	tss->iopb_offset = sizeof(*tss);
	tss->ist[STACK_IST_DOUBLE_FAULT - 1] = stack_cpu_ist_top(cpu, STACK_IST_DOUBLE_FAULT);
	tss->ist[STACK_IST_NMI - 1] = stack_cpu_ist_top(cpu, STACK_IST_NMI);
	tss->ist[STACK_IST_MACHINE_CHECK - 1] = stack_cpu_ist_top(cpu, STACK_IST_MACHINE_CHECK);
}

/* lgdt, then a far return to reload CS, then the data segment registers and TR. */
static void load_tables(unsigned cpu)
{
	const uint64_t *gdt = tables[cpu].gdt;
	struct cpu_table_register r = {.limit = GDT_SLOTS * 8 - 1,
				       .base = (uint64_t)(uintptr_t)gdt};

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ds\n\t"
			 "movw %w2, %%es\n\t"
			 "movw %w2, %%ss\n\t"
			 "movw %w3, %%fs\n\t"
			 "movw %w3, %%gs\n\t"
			 "ltr %w4"
			 :
			 : "m"(r), "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA), "r"(0), "r"(GDT_TSS)
			 : "rax", "memory");
}

void gdt_init(void)
{
	kassert(!cpu_interrupts_enabled());
	build_tables(0);
	load_tables(0);
}

void gdt_init_cpu(unsigned cpu)
{
	kassert(!cpu_interrupts_enabled());
	kassert(cpu > 0 && cpu < CPU_MAX);
	build_tables(cpu);
	load_tables(cpu);
}

const struct gdt_tss *gdt_tss(void)
{
	return &tables[cpu_current_id()].tss;
}

const struct gdt_tss *gdt_tss_of(unsigned cpu)
{
	kassert(cpu < CPU_MAX);
	return &tables[cpu].tss;
}

const uint64_t *gdt_table(unsigned *count)
{
	return gdt_table_of(cpu_current_id(), count);
}

const uint64_t *gdt_table_of(unsigned cpu, unsigned *count)
{
	kassert(cpu < CPU_MAX);
	*count = GDT_SLOTS;
	return tables[cpu].gdt;
}

uint64_t gdt_tss_base(const uint64_t *slot)
{
	uint64_t low = slot[0], high = slot[1];

	return (low >> 16 & 0xffffff) | (low >> 56 & 0xff) << 24 | high << 32;
}

void gdt_set_kernel_stack(uint64_t top)
{
	tables[cpu_current_id()].tss.rsp[0] = top;
}
