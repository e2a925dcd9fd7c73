/*
 * Built-in tests of application-processor start-up (smp.h), run at 1, 4 and 8 CPUs by the suite:
 * every processor the MADT lists is online, as many as QEMU was started with (its fw_cfg says how
 * many, independently of ACPI); each reported, from its own registers, the boot CPU's PAT (WC in
 * entry 4), NX, WP, SMEP and SMAP, the kernel's CR3, its own GS block with the right number, its
 * own GDT and TSS with IST stacks of its own, and the shared IDT; each one's timer ticks, counted
 * as its own ticks and not the boot CPU's; and after start-up neither the kernel's tables nor
 * anything else maps the trampoline page, whose temporary tables are gone.
 */
#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/mmu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/port.h"
#include "kernel/arch/x86_64/smp.h"
#include "kernel/arch/x86_64/stack.h"
#include "kernel/arch/x86_64/syscall.h"
#include "kernel/arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/ktest.h"
#include "kernel/memory/kernel_space.h"
#include "kernel/memory/pat.h"

#define FW_CFG_SELECTOR  0x510
#define FW_CFG_DATA      0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_NB_CPUS   0x0005
#define TICKS_WANTED     3u
#define TICK_WAIT_S      2u

static void fw_cfg_select(uint16_t key)
{
	__asm__ volatile("outw %0, %1" : : "a"(key), "Nd"((uint16_t)FW_CFG_SELECTOR));
}

/* The number of CPUs QEMU was started with (-smp), from its fw_cfg device; 0 without one. */
static unsigned qemu_cpus(void)
{
	char sig[4];

	fw_cfg_select(FW_CFG_SIGNATURE);
	for (int i = 0; i < 4; i++)
		sig[i] = (char)port_inb(FW_CFG_DATA);
	if (sig[0] != 'Q' || sig[1] != 'E' || sig[2] != 'M' || sig[3] != 'U')
		return 0;
	fw_cfg_select(FW_CFG_NB_CPUS);
	unsigned lo = port_inb(FW_CFG_DATA);
	return lo | (unsigned)port_inb(FW_CFG_DATA) << 8;
}

KTEST(smp_every_listed_cpu_is_online)
{
	const struct smp_info *info = smp_info();
	unsigned n = smp_cpu_count(), qemu = qemu_cpus();

	console_printf("# smp: %u CPUs online, %u enabled in the MADT, QEMU -smp %u; start-up took "
		       "%llu us\n",
		       n, info->listed, qemu,
		       (unsigned long long)tsc_ticks_to_us(
			   info->online_tsc ? info->online_tsc - info->start_tsc : 0));
	kexpect(n >= 1);
	kexpect_eq(n, info->listed);
	kexpect_eq(info->failed, 0);
	kexpect_eq(info->skipped, 0);
	if (qemu != 0)
		kexpect_eq(n, qemu);
	for (unsigned cpu = 0; cpu < n; cpu++)
		kexpectf(smp_cpu_report(cpu) != NULL, "CPU %u has no report", cpu);
	kexpect(smp_cpu_report(n) == NULL);
	kexpect_eq(cpu_current_id(), 0);
}

KTEST(smp_cpus_are_set_up_like_the_boot_cpu)
{
	const struct smp_cpu_report *boot = smp_cpu_report(0);
	const uint64_t cr4_protect = CPU_CR4_SMEP | CPU_CR4_SMAP;

	if (!kexpect(boot != NULL))
		return;
	kexpect_eq(boot->pat, PAT_QUIRE_VALUE);
	for (unsigned cpu = 0; cpu < smp_cpu_count(); cpu++) {
		const struct smp_cpu_report *r = smp_cpu_report(cpu);
		kexpectf(r->pat == PAT_QUIRE_VALUE && ((r->pat >> 32) & 0xff) == PAT_TYPE_WC,
			 "CPU %u: PAT 0x%016llx", cpu, (unsigned long long)r->pat);
		kexpectf(r->efer & CPU_EFER_NXE, "CPU %u: EFER 0x%llx", cpu,
			 (unsigned long long)r->efer);
		kexpectf((r->efer & 1) == (boot->efer & 1), "CPU %u: EFER.SCE differs", cpu);
		kexpectf(r->cr0 & CPU_CR0_WP, "CPU %u: CR0 0x%llx", cpu,
			 (unsigned long long)r->cr0);
		kexpectf((r->cr4 & cr4_protect) == (boot->cr4 & cr4_protect),
			 "CPU %u: CR4 0x%llx, boot CPU 0x%llx", cpu, (unsigned long long)r->cr4,
			 (unsigned long long)boot->cr4);
		kexpectf((r->cr0 & 0x2e) == (boot->cr0 & 0x2e), "CPU %u: CR0 FPU bits differ", cpu);
		kexpectf(r->cr3 == kernel_space_pagetable()->root, "CPU %u: CR3 0x%llx", cpu,
			 (unsigned long long)r->cr3);
		kexpectf(r->idt_base == boot->idt_base && r->idt_limit == boot->idt_limit,
			 "CPU %u: IDT 0x%llx", cpu, (unsigned long long)r->idt_base);
		kexpectf(r->apic == KERR_OK, "CPU %u: APIC %s", cpu, kerr_name(r->apic));
	}
	/* What the boot CPU has, every CPU has: SMEP and SMAP under QEMU's -cpu max. */
	kexpect(!cpu_features()->smep || (boot->cr4 & CPU_CR4_SMEP));
	kexpect(!cpu_features()->smap || (boot->cr4 & CPU_CR4_SMAP));
}

/* CPU's GS block, GDT, TSS and stacks are its own and say who it is. */
static void expect_own_state(struct ktest_ctx *ktest_ctx, unsigned cpu)
{
	const struct smp_cpu_report *r = smp_cpu_report(cpu);
	unsigned slots;
	const uint64_t *gdt = gdt_table_of(cpu, &slots);
	const struct gdt_tss *tss = gdt_tss_of(cpu);

	kexpectf(r->gs_base == (uintptr_t)syscall_percpu(cpu), "CPU %u: GS base 0x%llx", cpu,
		 (unsigned long long)r->gs_base);
	kexpectf(r->gs_id == cpu && syscall_percpu(cpu)->id == cpu, "CPU %u: GS block says %u", cpu,
		 r->gs_id);
	kexpectf(syscall_percpu(cpu)->self == syscall_percpu(cpu), "CPU %u: self", cpu);
	kexpectf(r->gdt_base == (uintptr_t)gdt && r->gdt_limit == slots * 8 - 1,
		 "CPU %u: GDT 0x%llx", cpu, (unsigned long long)r->gdt_base);
	kexpectf(r->tr == GDT_TSS && r->tss_base == (uintptr_t)tss, "CPU %u: TR 0x%x TSS 0x%llx",
		 cpu, r->tr, (unsigned long long)r->tss_base);
	kexpectf((gdt[GDT_TSS / 8] >> 40 & 0xf) == 0xb, "CPU %u: TSS not busy", cpu);
	for (unsigned i = 1; i <= 3; i++) {
		uint64_t top = stack_cpu_ist_top(cpu, (enum stack_ist)i);
		kexpectf(tss->ist[i - 1] == top && top % 16 == 0, "CPU %u: IST%u 0x%llx", cpu, i,
			 (unsigned long long)tss->ist[i - 1]);
	}
	uintptr_t low, high;
	kexpectf(stack_find(r->rsp, 8, &low, &high) && high == stack_cpu_top(cpu),
		 "CPU %u: reported from RSP 0x%llx, not its own stack", cpu,
		 (unsigned long long)r->rsp);
	if (cpu != 0)
		kexpectf(tss->rsp[0] == stack_cpu_top(cpu), "CPU %u: RSP0", cpu);
	kexpectf(r->apic_id == smp_cpu_apic_id(cpu), "CPU %u: APIC ID %u, MADT %u", cpu, r->apic_id,
		 smp_cpu_apic_id(cpu));
}

KTEST(smp_each_cpu_has_its_own_gs_gdt_tss_and_stacks)
{
	unsigned n = smp_cpu_count();

	for (unsigned cpu = 0; cpu < n; cpu++) {
		expect_own_state(ktest_ctx, cpu);
		for (unsigned other = 0; other < cpu; other++) {
			const struct smp_cpu_report *a = smp_cpu_report(cpu),
						    *b = smp_cpu_report(other);
			kexpectf(a->gs_base != b->gs_base && a->tss_base != b->tss_base &&
				     a->gdt_base != b->gdt_base && a->apic_id != b->apic_id,
				 "CPUs %u and %u share state", cpu, other);
			kexpectf(stack_cpu_ist_top(cpu, STACK_IST_DOUBLE_FAULT) !=
				     stack_cpu_ist_top(other, STACK_IST_DOUBLE_FAULT),
				 "CPUs %u and %u share a #DF stack", cpu, other);
		}
	}
}

/*
 * Every application processor's tick count advances while the boot CPU waits with interrupts
 * off, and the boot CPU's own count does not: ticks are per CPU, and an application processor's
 * tick reaches no handler that would count it for the boot CPU (the scheduler's).
 */
KTEST(smp_ap_timers_tick)
{
	unsigned n = smp_cpu_count();
	uint64_t start[CPU_MAX], boot_ticks = apic_timer_ticks();
	uint64_t t0 = cpu_rdtsc(), limit = tsc_hz() * TICK_WAIT_S;
	unsigned behind = n - 1;

	for (unsigned cpu = 1; cpu < n; cpu++)
		start[cpu] = apic_timer_ticks_of(cpu);
	while (behind > 0 && cpu_rdtsc() - t0 < limit) {
		behind = 0;
		for (unsigned cpu = 1; cpu < n; cpu++)
			if (apic_timer_ticks_of(cpu) - start[cpu] < TICKS_WANTED)
				behind++;
		__asm__ volatile("pause");
	}
	for (unsigned cpu = 1; cpu < n; cpu++)
		kexpectf(apic_timer_ticks_of(cpu) - start[cpu] >= TICKS_WANTED,
			 "CPU %u: %llu ticks in %u s", cpu,
			 (unsigned long long)(apic_timer_ticks_of(cpu) - start[cpu]), TICK_WAIT_S);
	kexpect_eq(apic_timer_ticks(), boot_ticks);
	kexpect_eq(apic_timer_ticks(), apic_timer_ticks_of(0));
	kexpect(!cpu_interrupts_enabled());
}

KTEST(smp_trampoline_mapping_is_gone)
{
	const struct smp_info *info = smp_info();
	struct pagetable_mapping m;
	struct mmu_translation t;

	if (!info->started) {
		kexpect_eq(smp_cpu_count(), 1);
		return;
	}
	kexpect(info->torn_down);
	kexpect(info->root32 < (1ull << 32));
	kexpect(info->temp_table_pages >= 4); /* root, PDPT, PD, PT */
	/* Not in the kernel's tables, nor in the live ones, at any level. */
	kexpect_eq(pagetable_query(kernel_space_pagetable(), info->trampoline, &m), KERR_NOT_FOUND);
	kexpect_eq(mmu_translate(info->trampoline, &t), KERR_NOT_FOUND);
	kexpect_eq(mmu_pml4_entry(0), 0);
	/* The page holds nothing of the trampoline any more. */
	const uint8_t *page = phys_to_virt(info->trampoline);
	unsigned nonzero = 0;
	for (unsigned i = 0; i < 4096; i++)
		nonzero += page[i] != 0;
	kexpect_eq(nonzero, 0);
}
