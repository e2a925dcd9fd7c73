/*
 * The kernel's own page tables; see kernel_space.h.
 */
#include "kernel/memory/kernel_space.h"

#include <stdbool.h>
#include <stddef.h>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/stack.h"
#include "kernel/image.h"
#include "kernel/lib/log.h"
#include "kernel/memory/pmm.h"
#include "kernel/panic.h"

#define GiB (1ull << 30)

static struct pagetable kernel_tables;
static struct kernel_space_info info;
static bool ready;

/* The linear map's size, as the loader computes it: the end of the highest entry that is not
 * MMIO, at least 4 GiB (the MMIO below 4 GiB), rounded up to 1 GiB, at most 64 TiB. */
static uint64_t linear_map_size(const struct quire_boot_info *bi)
{
	const struct quire_mem_range *map = phys_to_virt(bi->memory_map);
	uint64_t end = 4 * GiB;

	for (uint32_t i = 0; i < bi->memory_map_count; i++) {
		uint64_t e = map[i].base + map[i].pages * PAGE_SIZE;
		if (map[i].type != QUIRE_MEM_MMIO && e > end)
			end = e;
	}
	end = (end + GiB - 1) & ~(GiB - 1);
	return end < QUIRE_LINEAR_MAP_MAX_SIZE ? end : QUIRE_LINEAR_MAP_MAX_SIZE;
}

static kerr_t map_linear(const struct quire_boot_info *bi)
{
	bool huge = cpu_features()->pdpe1gb;

	info.linear_map_size = linear_map_size(bi);
	info.linear_page_size = huge ? PAGETABLE_PAGE_1G : PAGETABLE_PAGE_2M;
	return pagetable_map(
	    &kernel_tables, QUIRE_LINEAR_MAP_BASE, 0, info.linear_map_size / PAGE_SIZE,
	    PAGETABLE_READ | PAGETABLE_WRITE | (huge ? PAGETABLE_LARGE_1G : 0) | PAGETABLE_LARGE_2M,
	    CACHE_WRITE_BACK);
}

/* Maps the image part [START, END) with PROT at its link address. */
static kerr_t map_segment(const struct quire_boot_info *bi, const char *start, const char *end,
			  unsigned prot)
{
	vaddr_t va = (vaddr_t)start & ~(vaddr_t)(PAGE_SIZE - 1);
	uint64_t pages = ((vaddr_t)end - va + PAGE_SIZE - 1) / PAGE_SIZE;

	if (pages == 0)
		return KERR_OK;
	return pagetable_map(&kernel_tables, va, bi->kernel_phys_base + (va - bi->kernel_virt_base),
			     pages, prot, CACHE_WRITE_BACK);
}

static kerr_t map_image(const struct quire_boot_info *bi)
{
	if ((vaddr_t)image_start != bi->kernel_virt_base)
		return KERR_INVALID;
	TRY(map_segment(bi, image_text_start, image_text_end, PAGETABLE_READ | PAGETABLE_EXEC));
	TRY(map_segment(bi, image_rodata_start, image_rodata_end, PAGETABLE_READ));
	TRY(map_segment(bi, image_data_start, image_data_end, PAGETABLE_READ | PAGETABLE_WRITE));
	TRY(map_segment(bi, image_ksyms_start, image_ksyms_end, PAGETABLE_READ));
	for (unsigned i = 0; i <= STACK_IST_COUNT; i++)
		TRY(pagetable_unmap(&kernel_tables, stack_guard_page(i), 1, NULL, NULL));
	return KERR_OK;
}

/* Gives the loader's page tables back, then the boot-services and loader scratch memory. */
static void release_boot_memory(const struct quire_boot_info *bi)
{
	const struct quire_alloc_record *rec = phys_to_virt(bi->alloc_register);

	for (uint32_t i = 0; i < bi->alloc_register_count; i++) {
		if (rec[i].kind != QUIRE_ALLOC_PAGE_TABLES)
			continue;
		kerr_t err = pmm_release_boot_range(rec[i].base, rec[i].pages);
		if (err == KERR_OK)
			info.loader_table_pages += rec[i].pages;
		else
			log_warn("kernel space: cannot release the loader's page tables at 0x%llx "
				 "(%s)",
				 (unsigned long long)rec[i].base, kerr_name(err));
	}
	info.reclaimed_boot_pages = pmm_reclaim_boot_memory();
}

kerr_t kernel_space_init(const struct quire_boot_info *bi)
{
	kassert(!ready && !cpu_interrupts_enabled());
	info.loader_root = cpu_read_cr3() & PTE_ADDRESS;
	TRY(pagetable_create(&kernel_tables, NULL));
	TRY(pagetable_fill_kernel_half(&kernel_tables));
	TRY(map_linear(bi));
	TRY(map_image(bi));
	info.table_pages_after_init = kernel_tables.table_pages;
	cpu_write_cr3(kernel_tables.root);
	ready = true;
	log_info(
	    "kernel space: linear map of %llu GiB, write-back NX, %s pages; image W^X in 4 KiB "
	    "pages; %llu table pages",
	    (unsigned long long)(info.linear_map_size / GiB),
	    info.linear_page_size == PAGETABLE_PAGE_1G ? "1 GiB" : "2 MiB",
	    (unsigned long long)info.table_pages_after_init + 1);
	release_boot_memory(bi);
	log_info("kernel space: released the loader's page tables (%llu KiB) and %llu KiB of boot "
		 "memory",
		 (unsigned long long)info.loader_table_pages * 4,
		 (unsigned long long)info.reclaimed_boot_pages * 4);
	return KERR_OK;
}

struct pagetable *kernel_space_pagetable(void)
{
	return ready ? &kernel_tables : NULL;
}

const struct kernel_space_info *kernel_space_info(void)
{
	return &info;
}
