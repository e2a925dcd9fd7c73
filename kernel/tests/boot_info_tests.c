/*
 * Built-in tests of the boot hand-off: the real boot_info passes validation and copies of it with
 * one field broken do not; the memory map the loader built keeps the protocol's promises; the
 * loader's allocations lie in loader memory; boot_info's page-table root and kernel image
 * placement agree with what the CPU actually uses.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/mmu.h"
#include "kernel/boot_info.h"
#include "kernel/image.h"
#include "kernel/ktest.h"
#include "kernel/memmap.h"
#include "kernel/memory/kernel_space.h"
#include "kernel/memory/phys.h"

static enum boot_info_fault fault_of(const struct quire_boot_info *bi)
{
	struct boot_info_problem p;

	(void)boot_info_validate(bi, &p);
	return p.fault;
}

KTEST(boot_info_real_is_valid)
{
	const struct quire_boot_info *bi = ktest_boot_info();

	if (!kexpect(bi != NULL))
		return;
	kexpect_eq(fault_of(bi), BOOT_INFO_OK);
	kexpect_eq(bi->magic, QUIRE_BOOT_MAGIC);
	kexpect_eq(bi->version, QUIRE_BOOT_VERSION);
	kexpect(bi->size >= sizeof(*bi));
}

KTEST(boot_info_copies_with_bad_header_are_refused)
{
	struct quire_boot_info copy = *ktest_boot_info();

	copy.magic ^= 1ull << 40;
	kexpect_eq(fault_of(&copy), BOOT_INFO_BAD_MAGIC);
	copy = *ktest_boot_info();
	copy.version = QUIRE_BOOT_VERSION + 1;
	kexpect_eq(fault_of(&copy), BOOT_INFO_BAD_VERSION);
	copy = *ktest_boot_info();
	copy.size = sizeof(copy) - 8;
	kexpect_eq(fault_of(&copy), BOOT_INFO_SHORT_SIZE);
	copy = *ktest_boot_info();
	copy.memory_map_entry_size = 48;
	kexpect_eq(fault_of(&copy), BOOT_INFO_BAD_MEMMAP_ENTRY);
}

KTEST(boot_info_matches_the_cpu)
{
	const struct quire_boot_info *bi = ktest_boot_info();
	struct mmu_translation t;

	/* The CR3 the loader handed over; the kernel has since switched to its own tables. */
	kexpect_eq(kernel_space_info()->loader_root, bi->pml4);
	kexpect_eq(bi->kernel_virt_base, (uintptr_t)image_start);
	kexpect(bi->kernel_size >= (uint64_t)(image_end - image_start));
	if (kexpect(mmu_translate((vaddr_t)image_start, &t) == KERR_OK))
		kexpect_eq(t.phys, bi->kernel_phys_base);
}

KTEST(memory_map_is_sorted_without_overlaps)
{
	const struct quire_boot_info *bi = ktest_boot_info();
	const struct quire_mem_range *map = phys_to_virt(bi->memory_map);

	kexpectf(memmap_check(map, bi->memory_map_count) == 0, "memmap_check problems 0x%x",
		 memmap_check(map, bi->memory_map_count));
}

KTEST(memory_map_totals_add_up)
{
	const struct quire_boot_info *bi = ktest_boot_info();
	const struct quire_mem_range *map = phys_to_virt(bi->memory_map);
	struct memmap_totals t;
	uint64_t by_type = 0, by_entry = 0;

	memmap_totals(map, bi->memory_map_count, &t);
	for (unsigned type = 0; type < QUIRE_MEM_TYPE_COUNT; type++)
		by_type += t.pages[type];
	for (uint32_t i = 0; i < bi->memory_map_count; i++)
		by_entry += map[i].pages;
	kexpect_eq(by_type, t.total_pages);
	kexpect_eq(by_entry, t.total_pages);
	kexpect_eq(t.pages[0], 0);
	/* Every run we boot with has at least 64 MiB of usable memory. */
	kexpectf(t.pages[QUIRE_MEM_USABLE] >= 64 * 256, "only %llu usable pages",
		 (unsigned long long)t.pages[QUIRE_MEM_USABLE]);
}

/* Whether [base, base + pages) lies inside one memory-map range of type TYPE. */
static bool inside_type(const struct quire_boot_info *bi, uint64_t base, uint64_t pages,
			uint32_t type)
{
	const struct quire_mem_range *map = phys_to_virt(bi->memory_map);

	for (uint32_t i = 0; i < bi->memory_map_count; i++) {
		uint64_t end = memmap_range_end(&map[i]);
		if (map[i].type == type && base >= map[i].base && base + pages * 4096 <= end)
			return true;
	}
	return false;
}

KTEST(loader_allocations_lie_in_loader_memory)
{
	const struct quire_boot_info *bi = ktest_boot_info();
	const struct quire_alloc_record *reg = phys_to_virt(bi->alloc_register);

	kexpect(bi->alloc_register_count > 0);
	for (uint32_t i = 0; i < bi->alloc_register_count; i++) {
		kexpectf(reg[i].kind >= 1 && reg[i].kind < QUIRE_ALLOC_KIND_COUNT,
			 "record %u: kind %u", i, reg[i].kind);
		kexpectf(inside_type(bi, reg[i].base, reg[i].pages, QUIRE_MEM_LOADER),
			 "record %u (kind %u) at 0x%llx, %llu pages, is not in loader memory", i,
			 reg[i].kind, (unsigned long long)reg[i].base,
			 (unsigned long long)reg[i].pages);
	}
}
