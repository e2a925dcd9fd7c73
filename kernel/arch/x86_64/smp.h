/*
 * Application processors: found in ACPI's MADT, started one at a time with INIT-SIPI-SIPI, given
 * their own per-CPU state, then left idling. This is step 1 of SMP (issue 7): no thread runs on
 * an application processor, so everything the scheduler, processes and handles assume of one
 * CPU stays true.
 *
 * Model. The boot CPU is CPU 0; the others are numbered 1.. in the order they come up (MADT
 * order), so the online CPUs are always 0..smp_cpu_count()-1. A processor that does not report
 * within SMP_ONLINE_TIMEOUT_MS is logged, sent INIT again (so it can never run later on freed
 * stacks), and its number goes to the next one.
 *
 * Start-up of one processor: the boot CPU makes its stacks (stack_cpu_create()), writes the
 * processor's number and stack into the trampoline's parameters and sends INIT, waits 10 ms, sends
 * STARTUP twice 200 us apart (Intel SDM vol. 3, "Typical BSP Initialization Sequence"; the MP spec,
 * appendix B), then waits for the processor's report. The processor runs the trampoline
 * (ap_trampoline.S) from the low page: real mode -> protected mode -> long mode under a temporary
 * page-table root -> smp_ap_enter in the kernel's text, which loads the kernel's CR3 and its own
 * stack at once and calls smp_ap_main(): its own GDT and TSS (gdt_init_cpu(), IST stacks of its
 * own), the shared IDT, GS base on its struct percpu (syscall_init_cpu(): cpu_current_id() works
 * from here), the PAT, NX/WP/SMEP/SMAP (cpu_protect_enable()), FPU/SSE control bits, its local APIC
 * and timer. It records what its registers say (struct smp_cpu_report), marks itself online and
 * idles with `sti; hlt` for good, taking its timer ticks (counted by apic.c; no handler runs on
 * it).
 *
 * The trampoline page and its identity mapping exist only inside smp_init(). The page is physical
 * page 0: the page allocator never hands frame 0 out (kernel/memory/pmm_init.c reserves it as
 * "no frame"), it lies below 1 MiB as a STARTUP IPI needs, and smp_init() uses it only when the
 * memory map says it is RAM. The temporary tables are a root with the kernel half of the kernel's
 * root plus one 4 KiB identity mapping of that page (pagetable_create() + pagetable_map()): the
 * kernel's own tables never map the low page. Protected mode loads CR3 with 32 bits, so when that
 * root is above 4 GiB the processors load a copy of it in a page of the kernel image's .bss (below
 * 4 GiB on the machines Quire runs on; smp_init() checks). After the last processor has come up,
 * the page is cleared, the copy zeroed and the temporary tables freed (pagetable_destroy()); each
 * processor dropped them from its TLB when it loaded the kernel's CR3.
 *
 * Locking: smp_init() runs once on the boot CPU with interrupts off; each processor writes only
 * its own record, then sets its online flag with release ordering, which the boot CPU reads with
 * acquire ordering before it trusts the record.
 */
#pragma once

/*
 * The trampoline page: code from offset 0; the real-mode stack below SMP_TRAMPOLINE_PARAMS; the
 * parameters the boot CPU writes before it starts each processor. Shared with ap_trampoline.S.
 */
#define SMP_TRAMPOLINE_PARAMS 0xf00
#define SMP_PARAM_ROOT32      (SMP_TRAMPOLINE_PARAMS + 0x00) /* u32: temporary root, < 4 GiB */
#define SMP_PARAM_ENTRY       (SMP_TRAMPOLINE_PARAMS + 0x08) /* u64: smp_ap_enter */
#define SMP_PARAM_CR3         (SMP_TRAMPOLINE_PARAMS + 0x10) /* u64: the kernel's root */
#define SMP_PARAM_STACK       (SMP_TRAMPOLINE_PARAMS + 0x18) /* u64: its start stack's top */
#define SMP_PARAM_CPU         (SMP_TRAMPOLINE_PARAMS + 0x20) /* u32: its CPU number */
#define SMP_TRAMPOLINE_STACK  0x100 /* bytes of real-mode stack the code leaves below the params */

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stdint.h>

#include <quire/boot.h>

#include "kernel/lib/kerr.h"
#include "kernel/memory/phys.h"

#define SMP_INIT_DELAY_US     10000u /* after INIT, before the first STARTUP */
#define SMP_STARTUP_DELAY_US  200u   /* after each STARTUP */
#define SMP_ONLINE_TIMEOUT_MS 5000u  /* from the second STARTUP to the processor's report */

/* What a CPU read from its own registers once it was set up (the boot CPU: in smp_init()). */
struct smp_cpu_report {
	uint64_t pat;                /* IA32_PAT */
	uint64_t efer;               /* IA32_EFER */
	uint64_t cr0, cr3, cr4;      /* control registers */
	uint64_t gs_base;            /* IA32_GS_BASE: its struct percpu */
	uint32_t gs_id;              /* cpu_current_id(), read through that block */
	uint32_t apic_id;            /* its local APIC's ID register (UINT32_MAX: no APIC) */
	uint64_t gdt_base, idt_base; /* sgdt, sidt */
	uint16_t gdt_limit, idt_limit;
	uint16_t tr;       /* str */
	uint64_t tss_base; /* the base in the GDT descriptor TR selects */
	uint64_t rsp;      /* its stack pointer when it wrote this */
	kerr_t apic;       /* KERR_OK when its local APIC and timer run */
};

struct smp_info {
	unsigned listed;         /* enabled processors in the MADT, the boot CPU included */
	unsigned online_capable; /* listed as hot-pluggable, not enabled: not started */
	unsigned skipped;   /* enabled, not started: past CPU_MAX, or an ID xAPIC cannot reach */
	unsigned failed;    /* started, never reported: logged, sent INIT, stacks freed */
	unsigned online;    /* CPUs running, the boot CPU included */
	paddr_t trampoline; /* the trampoline page (valid when `started`) */
	paddr_t root32;     /* the root the processors' 32-bit CR3 load used */
	uint64_t temp_table_pages; /* the temporary tables' pages, root included */
	uint64_t start_tsc;        /* smp_init()'s first TSC read */
	uint64_t online_tsc;       /* when the boot CPU saw the last processor come up (0: none) */
	bool started;              /* the trampoline was set up and processors were started */
	bool torn_down;            /* ... and the page, its mapping and the tables are gone again */
};

/*
 * smp_init - finds the processors in the MADT (BI's RSDP) and starts every enabled one but the
 * boot CPU, one at a time, as the model says; logs each, and the time from the start of the call
 * to the last one online. A machine or set-up it cannot use (no MADT, no APIC or timer on the
 * boot CPU, no kernel tables, page 0 not RAM, a root above 4 GiB) is logged and leaves the boot
 * CPU alone. Boot CPU, once, interrupts off, after apic_init(), apic_timer_start(), sched_init()
 * and kernel_space_init(); allocates (stacks, tables). Never fails: the kernel runs on what
 * came up.
 */
void smp_init(const struct quire_boot_info *bi);

/* smp_cpu_count - CPUs online, the boot CPU included (1 before smp_init()). Any context. */
unsigned smp_cpu_count(void);

/*
 * smp_cpu_report - what CPU (< smp_cpu_count()) recorded at the end of its start-up; NULL for a
 * CPU that is not online. Any context.
 */
const struct smp_cpu_report *smp_cpu_report(unsigned cpu);

/* smp_cpu_apic_id - CPU's local APIC ID as the MADT listed it (CPU < smp_cpu_count()). */
uint32_t smp_cpu_apic_id(unsigned cpu);

/* smp_info - what smp_init() found and did. */
const struct smp_info *smp_info(void);

/*
 * smp_ap_main - an application processor's C entry, called by smp_ap_enter (ap_trampoline.S) on
 * its own stack under the kernel's CR3 with interrupts off; never returns. Nothing else calls it.
 */
_Noreturn void smp_ap_main(unsigned cpu);

#endif
