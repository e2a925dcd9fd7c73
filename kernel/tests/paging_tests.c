/*
 * Built-in tests of the address space the kernel runs in, read from the live page tables: the
 * loader's identity map is gone, the whole kernel half is pre-populated, and every page of the
 * kernel image has exactly the rights of its segment (text R+X, read-only data R, data RW and
 * never executable), with the stack guard pages unmapped. These are the kernel's own tables
 * (kernel_space.c); the last tests map and unmap in them and check the table pages come back.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/mmu.h"
#include "kernel/arch/x86_64/stack.h"
#include "kernel/image.h"
#include "kernel/ktest.h"
#include "kernel/memory/kernel_space.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/phys.h"
#include "kernel/memory/pmm.h"

/* A kernel-half address no one else maps (PML4 slot 501): this file's scratch window. */
#define SCRATCH_VA 0xfffffa8000000000ull

KTEST(identity_map_is_gone)
{
	struct mmu_translation t;
	unsigned present = 0;

	for (unsigned slot = 0; slot < QUIRE_KERNEL_HALF_PML4_FIRST; slot++) {
		if (mmu_pml4_entry(slot) & MMU_PRESENT)
			present++;
	}
	kexpectf(present == 0, "%u lower-half PML4 slots are still present", present);
	kexpect(mmu_translate(0x1000, &t) == KERR_NOT_FOUND);
	kexpect(mmu_translate(ktest_boot_info()->pml4, &t) == KERR_NOT_FOUND);
}

KTEST(kernel_half_is_fully_populated)
{
	unsigned missing = 0;

	for (unsigned i = 0; i < QUIRE_KERNEL_HALF_PML4_COUNT; i++) {
		if (!(mmu_pml4_entry(QUIRE_KERNEL_HALF_PML4_FIRST + i) & MMU_PRESENT))
			missing++;
	}
	kexpectf(missing == 0, "%u of 256 kernel-half PML4 slots have no PDPT", missing);
}

KTEST(protection_is_enforced_in_ring0)
{
	kexpectf(cpu_read_cr0() & CPU_CR0_WP, "CR0.WP is clear: ring 0 ignores read-only pages");
	kexpectf(cpu_rdmsr(CPU_EFER) & CPU_EFER_NXE, "EFER.NXE is clear: NX bits are ignored");
}

struct rights {
	bool writable, executable;
};

static bool is_guard_page(uintptr_t page)
{
	for (unsigned i = 0; i <= STACK_IST_COUNT; i++) {
		if (stack_guard_page(i) == page)
			return true;
	}
	return false;
}

/* Checks every page of [start, end) against WANT; reports the first bad page and the count. */
static void check_range(struct ktest_ctx *ktest_ctx, const char *what, const char *start,
			const char *end, struct rights want)
{
	uintptr_t first_bad = 0;
	unsigned bad = 0, pages = 0;

	for (uintptr_t p = (uintptr_t)start & ~0xfffull; p < (uintptr_t)end; p += 4096, pages++) {
		struct mmu_translation t;
		kerr_t err = mmu_translate(p, &t);
		bool ok = is_guard_page(p) ? err == KERR_NOT_FOUND
					   : err == KERR_OK && t.writable == want.writable &&
						 t.executable == want.executable && !t.user;
		if (!ok && bad++ == 0)
			first_bad = p;
	}
	kexpectf(bad == 0, "%s: %u of %u pages have the wrong rights, first at 0x%lx", what, bad,
		 pages, (unsigned long)first_bad);
	kexpectf(pages > 0, "%s is empty", what);
}

KTEST(kernel_image_is_w_xor_x)
{
	check_range(ktest_ctx, "text", image_text_start, image_text_end,
		    (struct rights){.writable = false, .executable = true});
	check_range(ktest_ctx, "rodata", image_rodata_start, image_rodata_end,
		    (struct rights){.writable = false, .executable = false});
	check_range(ktest_ctx, "data", image_data_start, image_data_end,
		    (struct rights){.writable = true, .executable = false});
	check_range(ktest_ctx, "ksyms", image_ksyms_start, image_ksyms_end,
		    (struct rights){.writable = false, .executable = false});
}

KTEST(stack_guard_pages_are_unmapped)
{
	struct mmu_translation t;

	for (unsigned i = 0; i <= STACK_IST_COUNT; i++)
		kexpectf(mmu_translate(stack_guard_page(i), &t) == KERR_NOT_FOUND,
			 "guard page %u at 0x%lx is mapped", i, (unsigned long)stack_guard_page(i));
	kexpect(mmu_translate(stack_boot_top() - 8, &t) == KERR_OK && t.writable);
}

KTEST(linear_map_is_write_back_data)
{
	const struct quire_boot_info *bi = ktest_boot_info();
	struct mmu_translation t;
	paddr_t pa = bi->memory_map;

	if (!kexpect(mmu_translate((vaddr_t)phys_to_virt(pa), &t) == KERR_OK))
		return;
	kexpect_eq(t.phys, pa);
	kexpect(t.writable);
	kexpectf(!t.executable, "the linear map is executable: RW+X at 0x%lx",
		 (unsigned long)phys_to_virt(pa));
	kexpect_eq(phys_from_linear(phys_to_virt(pa)), pa);
}

KTEST(linear_map_uses_large_write_back_pages)
{
	const struct kernel_space_info *info = kernel_space_info();
	struct pagetable *kpt = kernel_space_pagetable();
	uint64_t want = cpu_features()->pdpe1gb ? PAGETABLE_PAGE_1G : PAGETABLE_PAGE_2M;
	struct pagetable_mapping m;

	if (!kexpect(kpt != NULL))
		return;
	kexpect_eq(info->linear_page_size, want);
	kexpect(info->linear_map_size >= (4ull << 30));
	for (paddr_t pa = 0; pa < info->linear_map_size; pa += info->linear_map_size / 8) {
		if (!kexpect(pagetable_query(kpt, (vaddr_t)phys_to_virt(pa), &m) == KERR_OK))
			return;
		kexpect_eq(m.pa, pa);
		kexpect_eq(m.page_size, want);
		kexpect_eq(m.cache, CACHE_WRITE_BACK);
		kexpect_eq(m.prot, PAGETABLE_READ | PAGETABLE_WRITE);
	}
	kexpect(pagetable_query(kpt, (vaddr_t)phys_to_virt(info->linear_map_size), &m) ==
		KERR_NOT_FOUND);
}

KTEST(loader_page_tables_were_released)
{
	const struct quire_boot_info *bi = ktest_boot_info();
	const struct kernel_space_info *info = kernel_space_info();
	struct page *root = pmm_page_from_phys(bi->pml4);

	kexpect((cpu_read_cr3() & MMU_ADDRESS) != bi->pml4);
	kexpect_eq(cpu_read_cr3() & MMU_ADDRESS, kernel_space_pagetable()->root);
	kexpect(info->loader_table_pages >= 1 + QUIRE_KERNEL_HALF_PML4_COUNT);
	kexpect(info->reclaimed_boot_pages > 0);
	/* The loader's PML4 is an ordinary frame again: free, or already reused by someone. */
	if (kexpect(root != NULL))
		kexpectf(root->kind != PAGE_BOOT,
			 "the loader's PML4 is still counted as boot memory");
}

static uint64_t table_frames(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.by_kind[PAGE_PAGE_TABLE];
}

static void write_read_back(struct ktest_ctx *ktest_ctx, vaddr_t va, uint64_t pages)
{
	unsigned bad = 0;

	for (uint64_t i = 0; i < pages; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(va + i * 4096);
		*p = va + i;
		if (*p != va + i)
			bad++;
	}
	kexpectf(bad == 0, "%u pages did not read back what was written", bad);
}

/* 600 pages over two page tables in the live kernel tables: map, use, protect, unmap. */
KTEST(scratch_map_unmap_returns_table_pages)
{
	struct pagetable *kpt = kernel_space_pagetable();
	const unsigned order = 10; /* 1024 frames: enough for 600 pages */
	uint64_t pages = 600, base_tables = table_frames(), base_count = kpt->table_pages;
	struct page *run = pmm_alloc_pages(order, PAGE_TEST, 0);
	struct pagetable_mapping m;
	struct mmu_translation t;

	if (!kexpect(run != NULL))
		return;
	paddr_t pa = pmm_page_to_phys(run);
	vaddr_t va = SCRATCH_VA + 0x1ff000; /* straddles a 2 MiB boundary */
	if (kexpect(pagetable_map(kpt, va, pa, pages, PAGETABLE_READ | PAGETABLE_WRITE,
				  CACHE_WRITE_BACK) == KERR_OK)) {
		kexpect_eq(table_frames(), base_tables + 4); /* PD, and three PTs */
		write_read_back(ktest_ctx, va, pages);
		kexpect(pagetable_query(kpt, va + 4096 * 7, &m) == KERR_OK &&
			m.pa == pa + 4096 * 7 && m.page_size == 4096);
		kexpect(pagetable_map(kpt, va, pa, 1, PAGETABLE_READ, CACHE_WRITE_BACK) ==
			KERR_INVALID);
		kexpect(pagetable_protect(kpt, va, pages, PAGETABLE_READ) == KERR_OK);
		kexpect(mmu_translate(va + 4096 * 9, &t) == KERR_OK && !t.writable &&
			!t.executable);
		kexpect(pagetable_unmap(kpt, va, pages, NULL, NULL) == KERR_OK);
		kexpect(mmu_translate(va, &t) == KERR_NOT_FOUND);
	}
	kexpect_eq(table_frames(), base_tables);
	kexpect_eq(kpt->table_pages, base_count);
	pmm_free_pages(run, order);
}

/* Write-combining 2 MiB leaves, as a framebuffer mapping would use: the PAT bit is bit 12. */
KTEST(scratch_large_write_combining_map)
{
	struct pagetable *kpt = kernel_space_pagetable();
	uint64_t base_tables = table_frames();
	struct page *run = pmm_alloc_pages(9, PAGE_TEST, 0);
	struct pagetable_mapping m;

	if (!kexpect(run != NULL))
		return;
	paddr_t pa = pmm_page_to_phys(run);
	if (kexpect(pagetable_map(kpt, SCRATCH_VA, pa, 512,
				  PAGETABLE_READ | PAGETABLE_WRITE | PAGETABLE_LARGE_2M,
				  CACHE_WRITE_COMBINING) == KERR_OK)) {
		kexpect(pagetable_query(kpt, SCRATCH_VA + 12345, &m) == KERR_OK);
		kexpect_eq(m.page_size, PAGETABLE_PAGE_2M);
		kexpect_eq(m.cache, CACHE_WRITE_COMBINING);
		kexpect_eq(m.pte & (PTE_PAT_LARGE | PTE_PCD | PTE_PWT), PTE_PAT_LARGE);
		write_read_back(ktest_ctx, SCRATCH_VA, 512);
		kexpect(pagetable_unmap(kpt, SCRATCH_VA + 4096, 1, NULL, NULL) == KERR_INVALID);
		kexpect(pagetable_unmap(kpt, SCRATCH_VA, 512, NULL, NULL) == KERR_OK);
	}
	kexpect_eq(table_frames(), base_tables);
	pmm_free_pages(run, 9);
}
