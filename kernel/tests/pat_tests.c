/*
 * Built-in tests of the cache policy and the CPU protections, in the real MMU: the PAT MSR holds
 * Quire's layout, ring 0 obeys read-only pages (CR0.WP) and NX (EFER.NXE), SMEP and SMAP are on
 * where the CPU has them. Each fault is provoked on purpose and caught by the trap test hook,
 * which resumes at an address the faulting code loaded into RDX (or, for a call into a page that
 * cannot run, at the return address the call pushed, like a `ret`).
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/image.h"
#include "kernel/ktest.h"
#include "kernel/memory/kernel_space.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/pat.h"
#include "kernel/memory/pmm.h"

/* A kernel-half address no one else maps (PML4 slot 500): the tests' scratch window. */
#define SCRATCH_VA 0xfffffa0000000000ull

struct fault {
	unsigned count;
	uint64_t vector, error_code, cr2, rip;
};

static bool catch_fault(struct trap_frame *f, void *ctx)
{
	struct fault *s = ctx;

	s->count++;
	s->vector = f->vector;
	s->error_code = f->error_code;
	s->cr2 = cpu_read_cr2();
	s->rip = f->rip;
	if (f->error_code & TRAP_PF_FETCH) {
		/* A call into a page that cannot run: return to the caller, as `ret` would. */
		f->rip = *(uint64_t *)f->rsp;
		f->rsp += 8;
	} else {
		f->rip = f->rdx;
	}
	return true;
}

KTEST(pat_msr_has_write_combining_at_pa4)
{
	uint64_t pat = pat_read_cpu();

	kexpect_eq(pat, PAT_QUIRE_VALUE);
	kexpect_eq((pat >> 32) & 0xff, PAT_TYPE_WC);
	kexpect_eq(pat & 0xff, PAT_TYPE_WB);
	kexpect_eq((pat >> 8) & 0xff, PAT_TYPE_WT);
	kexpect_eq((pat >> 16) & 0xff, PAT_TYPE_UCM);
	kexpect_eq((pat >> 24) & 0xff, PAT_TYPE_UC);
	kexpect_eq(pat >> 40, PAT_POWER_ON_VALUE >> 40);
}

KTEST(cpu_protections_are_on)
{
	const struct cpu_features *f = cpu_features();

	kexpect(cpu_rdmsr(CPU_EFER) & CPU_EFER_NXE);
	kexpect(cpu_read_cr0() & CPU_CR0_WP);
	kexpect_eq((cpu_read_cr4() & CPU_CR4_SMEP) != 0, f->smep);
	kexpect_eq((cpu_read_cr4() & CPU_CR4_SMAP) != 0, f->smap);
	/* QEMU runs with -cpu max, which has both: a missing one means CPUID was misread. */
	kexpect(f->smep && f->smap);
}

KTEST(writing_kernel_text_faults)
{
	struct fault s = {0};
	uint64_t addr = (uint64_t)image_text_start + 0x10;
	uint8_t before = *(volatile const uint8_t *)addr;

	trap_set_hook(catch_fault, &s);
	__asm__ volatile("leaq 1f(%%rip), %%rdx\n\t"
			 "movb %0, (%1)\n"
			 "1:"
			 :
			 : "r"((uint8_t)(before ^ 0xff)), "r"(addr)
			 : "rdx", "memory");
	trap_set_hook(NULL, NULL);
	kexpect_eq(s.count, 1);
	kexpect_eq(s.vector, TRAP_PAGE_FAULT);
	kexpect_eq(s.cr2, addr);
	kexpect_eq(s.error_code, TRAP_PF_PRESENT | TRAP_PF_WRITE);
	kexpect_eq(*(volatile const uint8_t *)addr, before);
}

typedef int (*ret_fn)(void);

/* A frame holding `mov $42, %eax; ret`, reached through the NX linear map and through an
 * executable scratch mapping: the first call faults with the fetch bit, the second returns 42. */
KTEST(nx_page_cannot_run)
{
	static const uint8_t code[] = {0xb8, 42, 0, 0, 0, 0xc3};
	struct pagetable *kpt = kernel_space_pagetable();
	struct fault s = {0};
	struct page *page = pmm_alloc_page(PAGE_TEST, PMM_ZERO);

	if (!kexpect(page != NULL && kpt != NULL))
		return;
	uint8_t *linear = pmm_page_to_virt(page);
	for (unsigned i = 0; i < sizeof(code); i++)
		linear[i] = code[i];
	trap_set_hook(catch_fault, &s);
	int got = ((ret_fn)(uintptr_t)linear)();
	trap_set_hook(NULL, NULL);
	(void)got;
	kexpect_eq(s.count, 1);
	kexpect_eq(s.vector, TRAP_PAGE_FAULT);
	kexpect_eq(s.cr2, (uintptr_t)linear);
	kexpect_eq(s.error_code, TRAP_PF_PRESENT | TRAP_PF_FETCH);

	if (kexpect(pagetable_map(kpt, SCRATCH_VA, pmm_page_to_phys(page), 1,
				  PAGETABLE_READ | PAGETABLE_EXEC, CACHE_WRITE_BACK) == KERR_OK)) {
		kexpect_eq(((ret_fn)(uintptr_t)SCRATCH_VA)(), 42);
		kexpect(pagetable_unmap(kpt, SCRATCH_VA, 1, NULL, NULL) == KERR_OK);
	}
	pmm_free_page(page);
}
