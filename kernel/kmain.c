/*
 * kmain: the boot CPU's path from the loader's hand-off to a running kernel.
 *
 * The order is forced by what each step needs. The serial port needs nothing, so it comes first.
 * The kernel's own GDT, TSS and IDT come next, before anything can fault: the firmware's tables
 * live in memory reached through the loader's identity map, which is about to go, so any exception
 * taken through them would triple-fault silently. Then boot_info is checked before a single field
 * of it is used; then the identity map is dropped, as the boot protocol asks, so that a stray
 * lower-half access faults from now on. Calibrating the TSC gives the log its timestamps, the
 * command line its options; the rest reports and, in test mode, runs the built-in tests.
 */
#include "kernel/kmain.h"

#include <quire/debug_exit.h>

#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/mmu.h"
#include "kernel/arch/x86_64/qemu_exit.h"
#include "kernel/arch/x86_64/serial.h"
#include "kernel/arch/x86_64/smp.h"
#include "kernel/arch/x86_64/stack.h"
#include "kernel/arch/x86_64/syscall.h"
#include "kernel/arch/x86_64/tsc.h"
#include "kernel/bench.h"
#include "kernel/boot_info.h"
#include "kernel/console.h"
#include "kernel/crash.h"
#include "kernel/fbcon.h"
#include "kernel/init.h"
#include "kernel/initrd.h"
#include "kernel/ksyms.h"
#include "kernel/ktest.h"
#include "kernel/lib/format.h"
#include "kernel/lib/log.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/kernel_space.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/pat.h"
#include "kernel/memory/phys.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_boot.h"
#include "kernel/options.h"
#include "kernel/panic.h"
#include "kernel/sched/sched.h"
#include "kernel/summary.h"
#include "kernel/version.h"

/* Stops with the reason on the console. The test mode is unknown (the command line has not been
 * read, and cannot be trusted), so there is no verdict for QEMU: the host runner times out. */
static _Noreturn void refuse(const char *reason)
{
	console_printf("quire: boot_info: %s\n", reason);
	console_printf("quire: halting: this kernel cannot run with the loader that started it\n");
	cpu_halt_forever();
}

static void check_boot_info(const struct quire_boot_info *bi)
{
	uintptr_t addr = (uintptr_t)bi;
	struct boot_info_problem problem;
	char reason[160];

	if (addr < QUIRE_LINEAR_MAP_BASE ||
	    addr - QUIRE_LINEAR_MAP_BASE >= QUIRE_LINEAR_MAP_MAX_SIZE || addr % 8 != 0) {
		format_snprintf(reason, sizeof(reason), "pointer 0x%lx is not in the linear map",
				(unsigned long)addr);
		refuse(reason);
	}
	if (boot_info_validate(bi, &problem) != KERR_OK) {
		boot_info_describe(&problem, reason, sizeof(reason));
		refuse(reason);
	}
}

static void report_ignored(void *ctx, const struct cmdline_token *t, const char *reason)
{
	log_warn("command line: ignoring \"%.*s\": %s", (int)t->text_len, t->text, reason);
}

static struct options read_options(const struct quire_boot_info *bi)
{
	struct options opts;

	options_parse(phys_to_virt(bi->cmdline), bi->cmdline_len, &opts, report_ignored, NULL);
	log_set_level(opts.loglevel);
	panic_set_test_mode(opts.test || opts.bench);
	return opts;
}

/*
 * The frame allocator, from the memory map. Without it the kernel cannot run, so a failure is a
 * panic with the reason. Boot-services and loader memory stays used: whoever stops reading it
 * (the switch to the kernel's own page tables) calls pmm_reclaim_boot_memory().
 */
static void init_frames(const struct quire_boot_info *bi, const struct options *opts)
{
	kerr_t err = pmm_init(bi);

	if (err != KERR_OK)
		panic("pmm: no frame allocator from this memory map: %s", kerr_name(err));
	if (opts->failalloc != 0) {
		fail_inject_arm(opts->failalloc);
		log_warn("failalloc: allocation attempt %llu from now on will fail",
			 (unsigned long long)opts->failalloc);
	}
}

/* The frame accounting table: frames and MiB by kind. */
static void report_frames(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	log_info("frames: %llu in the page array, %llu free (%llu MiB)",
		 (unsigned long long)st.total, (unsigned long long)st.free,
		 (unsigned long long)(st.free >> 8));
	for (unsigned kind = 0; kind < PAGE_KIND_COUNT; kind++)
		if (st.by_kind[kind] != 0)
			log_info("  %-17s %10llu frames %8llu.%02llu MiB",
				 pmm_kind_name((enum page_kind)kind),
				 (unsigned long long)st.by_kind[kind],
				 (unsigned long long)(st.by_kind[kind] >> 8),
				 (unsigned long long)((st.by_kind[kind] & 0xff) * 100 >> 8));
}

/* Logs the CPU protections and the PAT that the early steps set up. */
static void report_protections(unsigned prot, uint64_t old_pat)
{
	log_info("cpu: NX %s, WP %s, SMEP %s, SMAP %s", (prot & CPU_PROTECT_NX) ? "on" : "off",
		 (prot & CPU_PROTECT_WP) ? "on" : "off",
		 (prot & CPU_PROTECT_SMEP) ? "on" : "absent",
		 (prot & CPU_PROTECT_SMAP) ? "on" : "absent");
	log_info("PAT: 0x%016llx (PA4 write-combining; was 0x%016llx)",
		 (unsigned long long)pat_read_cpu(), (unsigned long long)old_pat);
}

/* The kernel's own page tables replace the loader's; on failure the boot goes on with those. */
static void init_kernel_space(const struct quire_boot_info *bi)
{
	kerr_t err = kernel_space_init(bi);

	if (err != KERR_OK)
		log_error("kernel space: no page tables of its own (%s): staying on the loader's",
			  kerr_name(err));
}

/*
 * The local APIC and its timer at 1000 Hz. Interrupts stay off: the scheduler enables them. On
 * failure the boot goes on without device interrupts.
 */
static void init_interrupts(void)
{
	kerr_t err = apic_init();

	if (err != KERR_OK) {
		log_error("APIC: not set up (%s): no device interrupts", kerr_name(err));
		return;
	}
	err = apic_timer_start(SCHED_HZ);
	if (err != KERR_OK) {
		log_error("APIC: base 0x%llx; timer not started (%s)",
			  (unsigned long long)apic_base(), kerr_name(err));
		return;
	}
	log_info("APIC: base 0x%llx; timer %u Hz, %u counts per tick (%llu Hz after divide by %u)",
		 (unsigned long long)apic_base(), apic_timer_hz(), apic_timer_count(),
		 (unsigned long long)apic_timer_frequency(), APIC_TIMER_DIVIDER);
}

/* Logs what the early steps could not say when they happened, for lack of a timestamp or a log. */
static void report_early(const struct quire_boot_info *bi, kerr_t tsc, kerr_t guards)
{
	if (tsc != KERR_OK)
		log_warn("TSC: calibration failed (%s): timestamps are unavailable",
			 kerr_name(tsc));
	if (guards != KERR_OK)
		log_warn("stacks: guard pages not set (%s): overflows go undetected",
			 kerr_name(guards));
	if ((cpu_read_cr3() & MMU_ADDRESS) != bi->pml4)
		log_warn("boot_info: pml4 0x%llx is not CR3 0x%llx", (unsigned long long)bi->pml4,
			 (unsigned long long)cpu_read_cr3());
	if (ksyms_table() == NULL)
		log_warn("symbols: the embedded symbol table is missing or malformed");
	log_debug("symbols: %u functions", ksyms_table() ? ksyms_table()->count : 0);
}

/*
 * The kernel's built-in tests (test mode), then init with its programs (in test mode: every test
 * program, reported as TAP by init; in bench mode: the run= programs, user/bench for make bench).
 * In test and bench mode QEMU ends with the verdict once init has ended; otherwise the boot
 * thread halts then, and the kernel idles.
 */
static _Noreturn void run_user_space(const struct quire_boot_info *bi, const struct options *opts)
{
	bool passed = true;
	int64_t status = -1;

	if (opts->test)
		passed = ktest_run_all(bi);
	kerr_t err = init_run(bi, opts, &status);
	if (opts->test || opts->bench) {
		if (err != KERR_OK || status != 0)
			console_printf("# init: %s, status %lld: the user %s failed\n",
				       kerr_name(err), (long long)status,
				       opts->test ? "tests" : "benchmarks");
		qemu_exit(passed && err == KERR_OK && status == 0 ? QUIRE_EXIT_PASSED
								  : QUIRE_EXIT_FAILED);
	}
	log_info("init has ended: the kernel idles");
	for (;;)
		__asm__ volatile("sti\n\thlt\n\tcli" : : : "memory");
}

void kmain(struct quire_boot_info *bi, uint64_t entry_tsc)
{
	tsc_init(entry_tsc);
	/* Without a UART there is nowhere to say so yet; later consoles will. */
	kerr_t serial = serial_init();
	gdt_init();
	idt_init();
	syscall_init();
	console_printf("quire: %s starting\n", version_string());
	check_boot_info(bi);
	mmu_drop_identity_map();
	uint64_t old_pat = pat_init_cpu();
	unsigned prot = cpu_protect_enable();
	kerr_t tsc = tsc_calibrate();
	kerr_t guards = stack_protect_guards();
	struct options opts = read_options(bi);
	init_frames(bi, &opts);
	kheap_init(); /* small objects now; large blocks once vm_boot_init() made the kernel space */
	if (serial != KERR_OK)
		log_warn("serial: no UART at COM1");
	report_early(bi, tsc, guards);
	report_protections(prot, old_pat);
	init_kernel_space(bi);
	vm_boot_init();
	init_interrupts();
	sched_init();
	fbcon_init(bi);
	smp_init(bi);
	summary_print(bi);
	report_frames();
	initrd_init(bi);
	crash_trigger(opts.crash);
	if (opts.bench)
		bench_run_all();
	run_user_space(bi, &opts);
}
