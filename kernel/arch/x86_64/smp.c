/*
 * Application-processor start-up; see smp.h for the model and ap_trampoline.S for the path from
 * real mode to smp_ap_main().
 *
 * The boot CPU's part reads as the sequence it is: find the processors (find_cpus), check that
 * everything start-up relies on is there (start_blocker), build the trampoline and its temporary
 * tables (trampoline_build), start the processors one by one (start_ap), take the trampoline
 * down again (trampoline_tear_down), report. The processor's part is smp_ap_main().
 */
#include "kernel/arch/x86_64/smp.h"

#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/mmu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/stack.h"
#include "kernel/arch/x86_64/syscall.h"
#include "kernel/arch/x86_64/tsc.h"
#include "kernel/lib/acpi_madt.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/log.h"
#include "kernel/lib/string.h"
#include "kernel/memory/kernel_space.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/pat.h"
#include "kernel/panic.h"

#define TRAMPOLINE_PA  0x0ull /* physical page 0: see smp.h */
#define PAGE_BYTES     4096u
#define BELOW_4G       (1ull << 32)
#define MADT_CPUS_MAX  256u /* MADT processor entries kept; more are counted, not started */
#define XAPIC_MAX_ID   0xfeu
#define MSR_GS_BASE    0xc0000101u
/* fpu_init()'s control bits (fpu.c), for the application processors: see fpu_enable(). */
#define CR0_MP         (1ull << 1)
#define CR0_EM         (1ull << 2)
#define CR0_TS         (1ull << 3)
#define CR0_NE         (1ull << 5)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define MXCSR_DEFAULT  0x1f80u

/* ap_trampoline.S */
extern const char ap_trampoline_start[], ap_trampoline_end[];
void smp_ap_enter(void);

/* One CPU. apic_id is written by the boot CPU before the CPU starts; report by the CPU itself,
 * before it sets online (release); the boot CPU reads online (acquire) before the report. */
struct smp_cpu {
	uint32_t apic_id;
	bool online;
	struct smp_cpu_report report;
};

/* The trampoline while processors start. */
struct trampoline {
	uint8_t *page;           /* the low page, through the linear map */
	struct pagetable tables; /* the temporary tables: the kernel half + the identity page */
	bool low_copy;           /* the processors load low_root, a copy of tables.root */
};

static struct smp_cpu cpus[CPU_MAX];
static struct smp_info info = {.online = 1};
static struct cpu_table_register boot_idtr;
static struct acpi_madt_cpu madt_cpus[MADT_CPUS_MAX];
/* A copy of the temporary root below 4 GiB, for when the pmm gave one above (zero otherwise). */
static uint64_t low_root[PAGETABLE_ENTRIES] ALIGNED(PAGE_BYTES);

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void delay_us(uint64_t us)
{
	uint64_t t0 = cpu_rdtsc(), ticks = tsc_hz() / 1000000 * us;

	while (cpu_rdtsc() - t0 < ticks)
		__asm__ volatile("pause");
}

/* What this CPU's registers say; APIC is the outcome of setting up its local APIC and timer. */
static void record_report(unsigned cpu, kerr_t apic)
{
	struct smp_cpu_report *r = &cpus[cpu].report;
	struct cpu_table_register gdtr = cpu_sgdt(), idtr = cpu_sidt();
	uint64_t rsp;

	__asm__ volatile("movq %%rsp, %0" : "=r"(rsp));
	*r = (struct smp_cpu_report){
	    .pat = pat_read_cpu(),
	    .efer = cpu_rdmsr(CPU_EFER),
	    .cr0 = cpu_read_cr0(),
	    .cr3 = cpu_read_cr3(),
	    .cr4 = cpu_read_cr4(),
	    .gs_base = cpu_rdmsr(MSR_GS_BASE),
	    .gs_id = cpu_current_id(),
	    .apic_id = apic == KERR_OK ? apic_id() : UINT32_MAX,
	    .gdt_base = gdtr.base,
	    .idt_base = idtr.base,
	    .gdt_limit = gdtr.limit,
	    .idt_limit = idtr.limit,
	    .tr = cpu_str(),
	    .rsp = rsp,
	    .apic = apic,
	};
	/* The TSS descriptor TR names, read from the GDT the CPU really loaded. */
	if (r->tr != 0 && r->tr / 8u + 1 < (r->gdt_limit + 1u) / 8u)
		r->tss_base = gdt_tss_base((const uint64_t *)(uintptr_t)r->gdt_base + r->tr / 8u);
}

/*
 * fpu_init()'s control-register part for an application processor: x87 and SSE on (CR0.MP, NE;
 * not EM, TS; CR4.OSFXSR, OSXMMEXCPT), a clean x87 state and the default MXCSR. fpu.c is the boot
 * CPU's and keeps the initial image new threads copy; nothing runs FPU code here yet, but step 2
 * will switch threads onto this CPU and expects FXSAVE to work.
 */
static void fpu_enable(void)
{
	uint32_t mxcsr = MXCSR_DEFAULT;

	cpu_write_cr0((cpu_read_cr0() | CR0_MP | CR0_NE) & ~(CR0_EM | CR0_TS));
	cpu_write_cr4(cpu_read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	__asm__ volatile("fninit\n\tldmxcsr %0" : : "m"(mxcsr));
}

_Noreturn void smp_ap_main(unsigned cpu)
{
	/* Before anything can fault or read GS: the trampoline's GDT is unmapped now. */
	gdt_init_cpu(cpu);
	__asm__ volatile("lidt %0" : : "m"(boot_idtr) : "memory");
	syscall_init_cpu(cpu);
	syscall_set_kernel_stack(stack_cpu_top(cpu));
	(void)pat_init_cpu();
	(void)cpu_protect_enable();
	fpu_enable();
	kerr_t apic = apic_init_ap();
	if (apic == KERR_OK)
		apic = apic_timer_start_ap();
	record_report(cpu, apic);
	__atomic_store_n(&cpus[cpu].online, true, __ATOMIC_RELEASE);
	/* Step 1 ends here: the idle loop, taking timer ticks (apic.c counts them; nothing else). */
	for (;;)
		__asm__ volatile("sti\n\thlt\n\tcli" : : : "memory");
}

/* The MADT's tables through the linear map, which covers ACPI memory (docs/boot-protocol.md). */
static const void *map_linear(uint64_t pa, uint64_t len, void *ctx)
{
	uint64_t limit = kernel_space_info()->linear_map_size;

	(void)ctx;
	if (pa >= limit || len > limit - pa)
		return NULL;
	return phys_to_virt(pa);
}

/* The processors the MADT lists into madt_cpus[]; *COUNT of them. False (logged) without any. */
static bool find_cpus(const struct quire_boot_info *bi, unsigned *count)
{
	struct acpi_madt madt;
	kerr_t err =
	    acpi_madt_parse(bi->acpi_rsdp, map_linear, NULL, madt_cpus, MADT_CPUS_MAX, &madt);

	if (err != KERR_OK) {
		log_warn("smp: no processors from ACPI (%s: %s): the boot CPU runs alone",
			 kerr_name(err), madt.error);
		return false;
	}
	for (unsigned i = 0; i < madt.cpu_count; i++) {
		if (madt_cpus[i].flags & ACPI_MADT_ENABLED)
			info.listed++;
		else
			info.online_capable++;
	}
	if (madt.cpus_listed > madt.cpu_count)
		log_warn("smp: the MADT lists %u processors; only the first %u are considered",
			 madt.cpus_listed, madt.cpu_count);
	log_info("smp: MADT at 0x%llx (%s): %u processors enabled, %u online capable, %u disabled; "
		 "local APICs at 0x%llx",
		 (unsigned long long)madt.madt_pa, madt.xsdt ? "XSDT" : "RSDT", info.listed,
		 info.online_capable, madt.cpus_disabled, (unsigned long long)madt.lapic_address);
	*count = madt.cpu_count;
	return true;
}

/* Whether page PA is RAM the firmware let go of (usable, boot or loader) and no loader record. */
static bool page_is_free_ram(const struct quire_boot_info *bi, paddr_t pa)
{
	const struct quire_mem_range *map = phys_to_virt(bi->memory_map);
	const struct quire_alloc_record *reg = phys_to_virt(bi->alloc_register);
	bool ram = false;

	for (uint32_t i = 0; i < bi->memory_map_count; i++) {
		if (pa < map[i].base || (pa - map[i].base) / PAGE_BYTES >= map[i].pages)
			continue;
		if (map[i].type != QUIRE_MEM_USABLE && map[i].type != QUIRE_MEM_BOOT_SERVICES &&
		    map[i].type != QUIRE_MEM_LOADER)
			return false;
		ram = true;
	}
	for (uint32_t i = 0; i < bi->alloc_register_count; i++)
		if (pa >= reg[i].base && (pa - reg[i].base) / PAGE_BYTES < reg[i].pages)
			return false;
	return ram;
}

/* Why processors cannot be started on this machine, or NULL when they can. */
static const char *start_blocker(const struct quire_boot_info *bi)
{
	if (tsc_hz() == 0)
		return "the TSC is not calibrated (start-up is timed by it)";
	if (apic_base() == 0 || apic_timer_count() == 0)
		return "the boot CPU's local APIC or its timer is not set up";
	if (kernel_space_pagetable() == NULL)
		return "the kernel has no page tables of its own";
	if (!page_is_free_ram(bi, TRAMPOLINE_PA))
		return "physical page 0, the trampoline's, is not RAM in the memory map";
	return NULL;
}

/* The temporary tables, the trampoline code and its fixed parameters. Logs what fails. */
static kerr_t trampoline_build(struct trampoline *t)
{
	size_t code = (size_t)(ap_trampoline_end - ap_trampoline_start);
	struct mmu_translation copy;

	kassert(code <= SMP_TRAMPOLINE_PARAMS - SMP_TRAMPOLINE_STACK);
	*t = (struct trampoline){.page = phys_to_virt(TRAMPOLINE_PA)};
	kerr_t err = pagetable_create(&t->tables, kernel_space_pagetable());
	if (err != KERR_OK)
		return err;
	err = pagetable_map(&t->tables, TRAMPOLINE_PA, TRAMPOLINE_PA, 1,
			    PAGETABLE_READ | PAGETABLE_EXEC, CACHE_WRITE_BACK);
	if (err != KERR_OK)
		goto destroy;
	info.temp_table_pages = t->tables.table_pages + 1;
	info.root32 = t->tables.root;
	if (info.root32 >= BELOW_4G) {
		memcpy(low_root, phys_to_virt(t->tables.root), sizeof(low_root));
		t->low_copy = true;
		err = mmu_translate((vaddr_t)(uintptr_t)low_root, &copy);
		kassert(err == KERR_OK);
		info.root32 = copy.phys;
		if (copy.phys >= BELOW_4G) {
			log_error(
			    "smp: the temporary root (0x%llx) and the kernel image (0x%llx) both "
			    "lie above 4 GiB, where protected mode cannot load CR3",
			    (unsigned long long)t->tables.root, (unsigned long long)copy.phys);
			err = KERR_UNSUPPORTED;
			goto destroy;
		}
	}
	memset(t->page, 0, PAGE_BYTES);
	memcpy(t->page, ap_trampoline_start, code);
	put32(t->page + SMP_PARAM_ROOT32, (uint32_t)info.root32);
	put64(t->page + SMP_PARAM_ENTRY, (uint64_t)(uintptr_t)smp_ap_enter);
	put64(t->page + SMP_PARAM_CR3, kernel_space_pagetable()->root);
	info.trampoline = TRAMPOLINE_PA;
	return KERR_OK;

destroy:
	memset(low_root, 0, sizeof(low_root));
	pagetable_destroy(&t->tables);
	return err;
}

/* The page cleared, the copy zeroed, the tables freed: no identity mapping is left anywhere. */
static void trampoline_tear_down(struct trampoline *t)
{
	memset(t->page, 0, PAGE_BYTES);
	if (t->low_copy)
		memset(low_root, 0, sizeof(low_root));
	pagetable_destroy(&t->tables);
	info.torn_down = true;
}

/* INIT, 10 ms, STARTUP, 200 us, STARTUP, 200 us: the SDM's typical BSP initialization sequence. */
static kerr_t wake(uint32_t apic)
{
	TRY(apic_send_init(apic));
	delay_us(SMP_INIT_DELAY_US);
	for (int i = 0; i < 2; i++) {
		TRY(apic_send_startup(apic, (uint32_t)(TRAMPOLINE_PA / PAGE_BYTES)));
		delay_us(SMP_STARTUP_DELAY_US);
	}
	return KERR_OK;
}

static kerr_t wait_online(unsigned cpu)
{
	uint64_t t0 = cpu_rdtsc(), limit = tsc_hz() / 1000 * SMP_ONLINE_TIMEOUT_MS;

	while (!__atomic_load_n(&cpus[cpu].online, __ATOMIC_ACQUIRE)) {
		if (cpu_rdtsc() - t0 > limit)
			return KERR_TIMEOUT;
		__asm__ volatile("pause");
	}
	return KERR_OK;
}

/* Starts the processor with local APIC ID APIC as CPU number CPU and waits for its report. */
static kerr_t start_ap(struct trampoline *t, unsigned cpu, uint32_t apic)
{
	TRY(stack_cpu_create(cpu));
	cpus[cpu] = (struct smp_cpu){.apic_id = apic};
	put32(t->page + SMP_PARAM_CPU, cpu);
	put64(t->page + SMP_PARAM_STACK, stack_cpu_top(cpu));
	/* The parameters before the IPI (a UC write, ordered after them by the CPU; not by C). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	kerr_t err = wake(apic);
	if (err == KERR_OK)
		err = wait_online(cpu);
	if (err != KERR_OK) {
		/* Back to wait-for-SIPI, so it can never run late on the stacks freed here. */
		(void)apic_send_init(apic);
		delay_us(SMP_INIT_DELAY_US);
		stack_cpu_destroy(cpu);
	}
	return err;
}

/* One MADT entry: started when it is an enabled processor other than the boot CPU. */
static void start_listed(struct trampoline *t, const struct acpi_madt_cpu *m)
{
	if (!(m->flags & ACPI_MADT_ENABLED) || m->apic_id == cpus[0].apic_id)
		return;
	if (m->apic_id > XAPIC_MAX_ID || info.online == CPU_MAX) {
		log_warn("smp: processor with APIC ID %u not started (%s)", m->apic_id,
			 info.online == CPU_MAX ? "CPU_MAX reached" : "beyond xAPIC's IDs");
		info.skipped++;
		return;
	}
	unsigned cpu = info.online;
	uint64_t t0 = cpu_rdtsc();
	kerr_t err = start_ap(t, cpu, m->apic_id);
	if (err != KERR_OK) {
		log_error("smp: processor with APIC ID %u did not come up (%s): skipped",
			  m->apic_id, kerr_name(err));
		info.failed++;
		return;
	}
	info.online++;
	info.online_tsc = cpu_rdtsc();
	const struct smp_cpu_report *r = &cpus[cpu].report;
	log_info("smp: CPU %u (APIC ID %u) online in %llu us; timer %s", cpu, m->apic_id,
		 (unsigned long long)tsc_ticks_to_us(info.online_tsc - t0),
		 r->apic == KERR_OK ? "ticking" : kerr_name(r->apic));
}

/* The boot CPU: CPU 0, online from the start; its report is what the others are held to. */
static void boot_cpu_online(void)
{
	kerr_t apic = apic_base() != 0 && apic_timer_count() != 0 ? KERR_OK : KERR_UNSUPPORTED;

	boot_idtr = cpu_sidt();
	cpus[0].apic_id = apic_base() != 0 ? apic_id() : UINT32_MAX;
	record_report(0, apic);
	__atomic_store_n(&cpus[0].online, true, __ATOMIC_RELEASE);
}

void smp_init(const struct quire_boot_info *bi)
{
	struct trampoline t;
	unsigned count;

	kassert(!cpu_interrupts_enabled() && cpu_current_id() == 0);
	info.start_tsc = cpu_rdtsc();
	boot_cpu_online();
	if (!find_cpus(bi, &count))
		return;
	if (info.listed <= 1) {
		log_info("smp: 1 CPU");
		return;
	}
	const char *blocker = start_blocker(bi);
	if (blocker != NULL) {
		log_warn("smp: %u CPUs listed, only the boot CPU runs: %s", info.listed, blocker);
		return;
	}
	kerr_t err = trampoline_build(&t);
	if (err != KERR_OK) {
		log_error("smp: no trampoline (%s): only the boot CPU runs", kerr_name(err));
		return;
	}
	info.started = true;
	for (unsigned i = 0; i < count; i++)
		start_listed(&t, &madt_cpus[i]);
	trampoline_tear_down(&t);
	uint64_t took = info.online_tsc != 0 ? info.online_tsc - info.start_tsc : 0;
	log_info(
	    "smp: %u of %u CPUs online (%u failed, %u skipped); from smp_init to the last "
	    "online: %llu TSC ticks (%llu us); trampoline at 0x%llx, root 0x%llx, %llu temporary "
	    "table pages freed",
	    info.online, info.listed, info.failed, info.skipped, (unsigned long long)took,
	    (unsigned long long)tsc_ticks_to_us(took), (unsigned long long)info.trampoline,
	    (unsigned long long)info.root32, (unsigned long long)info.temp_table_pages);
}

unsigned smp_cpu_count(void)
{
	return __atomic_load_n(&info.online, __ATOMIC_RELAXED);
}

const struct smp_cpu_report *smp_cpu_report(unsigned cpu)
{
	if (cpu >= CPU_MAX || !__atomic_load_n(&cpus[cpu].online, __ATOMIC_ACQUIRE))
		return NULL;
	return &cpus[cpu].report;
}

uint32_t smp_cpu_apic_id(unsigned cpu)
{
	kassert(cpu < smp_cpu_count());
	return cpus[cpu].apic_id;
}

const struct smp_info *smp_info(void)
{
	return &info;
}
