/*
 * Built-in tests of the boot CPU's state: the kernel's GDT and TSS are the ones loaded, with the
 * selector order sysret needs, and the TSC is calibrated to a plausible, monotonic clock.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/stack.h"
#include "kernel/arch/x86_64/tsc.h"
#include "kernel/ktest.h"

KTEST(gdt_is_loaded)
{
	unsigned slots;
	const uint64_t *gdt = gdt_table(&slots);
	struct cpu_table_register r = cpu_sgdt();

	kexpect_eq(r.base, (uintptr_t)gdt);
	kexpect_eq(r.limit, slots * 8 - 1);
	kexpect_eq(cpu_read_cs(), GDT_KERNEL_CODE);
	kexpect_eq(cpu_read_ss(), GDT_KERNEL_DATA);
	kexpect_eq(cpu_str(), GDT_TSS);
}

KTEST(gdt_descriptors_suit_sysret)
{
	unsigned slots;
	const uint64_t *gdt = gdt_table(&slots);
	/* Access byte (bits 40..47, accessed bit preset) and the L flag (bit 53). */
	uint64_t access_mask = 0xffull << 40, long_mode = 1ull << 53;

	kexpect_eq(gdt[0], 0);
	kexpect_eq(gdt[GDT_KERNEL_CODE / 8] & access_mask, 0x9bull << 40);
	kexpect(gdt[GDT_KERNEL_CODE / 8] & long_mode);
	kexpect_eq(gdt[GDT_KERNEL_DATA / 8] & access_mask, 0x93ull << 40);
	kexpect_eq(gdt[GDT_USER_DATA / 8] & access_mask, 0xf3ull << 40);
	kexpect_eq(gdt[GDT_USER_CODE / 8] & access_mask, 0xfbull << 40);
	kexpect(gdt[GDT_USER_CODE / 8] & long_mode);
	/* sysret: user SS = STAR base + 8, user CS = STAR base + 16, with base = 0x10. */
	kexpect_eq(GDT_USER_DATA, GDT_KERNEL_DATA + 8);
	kexpect_eq(GDT_USER_CODE, GDT_KERNEL_DATA + 16);
}

KTEST(tss_is_busy_with_ist_stacks)
{
	unsigned slots;
	const uint64_t *gdt = gdt_table(&slots);
	const struct gdt_tss *tss = gdt_tss();
	uint64_t low = gdt[GDT_TSS / 8], high = gdt[GDT_TSS / 8 + 1];
	uint64_t base = (low >> 16 & 0xffffff) | (low >> 56 & 0xff) << 24 | high << 32;

	/* ltr marks the descriptor busy: type 0xb. */
	kexpect_eq(low >> 40 & 0xf, 0xb);
	kexpect_eq(base, (uintptr_t)tss);
	kexpect_eq(tss->iopb_offset, sizeof(*tss));
	kexpect_eq(tss->ist[0], stack_ist_top(STACK_IST_DOUBLE_FAULT));
	kexpect_eq(tss->ist[1], stack_ist_top(STACK_IST_NMI));
	kexpect_eq(tss->ist[2], stack_ist_top(STACK_IST_MACHINE_CHECK));
	for (int i = 0; i < 3; i++)
		kexpect_eq(tss->ist[i] % 16, 0);
}

KTEST(tsc_is_calibrated)
{
	uint64_t hz = tsc_hz();

	kexpect(tsc_source() != TSC_SOURCE_NONE);
	kexpectf(hz >= 100000000ull && hz <= 20000000000ull, "TSC frequency %llu Hz",
		 (unsigned long long)hz);
	kexpect_eq(tsc_ticks_to_us(hz), 1000000);
	kexpect_eq(tsc_ticks_to_us(3 * hz), 3000000);
	kexpect_eq(tsc_ticks_to_us(hz - 1), 999999); /* rounds down */
	/* 2^63 ticks: far beyond the naive ticks * 10^6, which would overflow. */
	kexpect_eq(tsc_ticks_to_us(1ull << 63),
		   (1ull << 63) / hz * 1000000 + (1ull << 63) % hz * 1000000 / hz);
	uint64_t a = cpu_rdtsc(), b = cpu_rdtsc();
	kexpect(b > a);
	kexpect(tsc_entry() < a);
	kexpect(tsc_uptime_us() > 0);
}
