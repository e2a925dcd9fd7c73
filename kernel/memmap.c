/*
 * Memory-map totals and checks; see memmap.h. Overflow is the trap in this file: a corrupt or
 * hostile entry may claim 2^64 - 1 pages, so every sum saturates and every end address is
 * computed with an overflow check.
 */
#include "kernel/memmap.h"

#include <stdbool.h>

#include "kernel/lib/compiler.h"

static const char *const type_names[QUIRE_MEM_TYPE_COUNT] = {
    [0] = "unknown",
    [QUIRE_MEM_USABLE] = "usable",
    [QUIRE_MEM_BOOT_SERVICES] = "boot services",
    [QUIRE_MEM_LOADER] = "loader",
    [QUIRE_MEM_RUNTIME_SERVICES] = "runtime services",
    [QUIRE_MEM_ACPI_RECLAIM] = "ACPI reclaimable",
    [QUIRE_MEM_ACPI_NVS] = "ACPI NVS",
    [QUIRE_MEM_MMIO] = "MMIO",
    [QUIRE_MEM_RESERVED] = "reserved",
    [QUIRE_MEM_UNUSABLE] = "unusable",
    [QUIRE_MEM_PERSISTENT] = "persistent",
};

const char *memmap_type_name(uint32_t type)
{
	return type < ARRAY_SIZE(type_names) ? type_names[type] : type_names[0];
}

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static bool type_known(uint32_t type)
{
	return type >= 1 && type < QUIRE_MEM_TYPE_COUNT;
}

uint64_t memmap_range_end(const struct quire_mem_range *r)
{
	/* Saturating: a run that ends at 2^64 or wraps reports UINT64_MAX. */
	if (r->pages > UINT64_MAX / MEMMAP_PAGE_SIZE)
		return UINT64_MAX;
	return add_saturating(r->base, r->pages * MEMMAP_PAGE_SIZE);
}

/* Whether the last byte of R lies beyond 2^64 - 1. (A run ending exactly at 2^64 is fine.) */
static bool range_wraps(const struct quire_mem_range *r)
{
	if (r->pages == 0)
		return false;
	if (r->pages - 1 > (UINT64_MAX - (MEMMAP_PAGE_SIZE - 1)) / MEMMAP_PAGE_SIZE)
		return true;
	uint64_t last_offset = (r->pages - 1) * MEMMAP_PAGE_SIZE + (MEMMAP_PAGE_SIZE - 1);
	return r->base > UINT64_MAX - last_offset;
}

void memmap_totals(const struct quire_mem_range *ranges, size_t count, struct memmap_totals *totals)
{
	*totals = (struct memmap_totals){.entries = count};
	for (size_t i = 0; i < count; i++) {
		const struct quire_mem_range *r = &ranges[i];
		uint32_t slot = type_known(r->type) ? r->type : 0;
		uint64_t end = memmap_range_end(r);

		totals->pages[slot] = add_saturating(totals->pages[slot], r->pages);
		totals->total_pages = add_saturating(totals->total_pages, r->pages);
		if (r->pages > 0 && end > totals->highest_end)
			totals->highest_end = end;
		if (r->type == QUIRE_MEM_USABLE && r->pages > 0 && end > totals->highest_usable_end)
			totals->highest_usable_end = end;
	}
}

static bool ranges_overlap(const struct quire_mem_range *a, const struct quire_mem_range *b)
{
	if (a->pages == 0 || b->pages == 0)
		return false;
	return a->base < memmap_range_end(b) && b->base < memmap_range_end(a);
}

static unsigned entry_problems(const struct quire_mem_range *r)
{
	unsigned p = 0;

	if (r->pages == 0)
		p |= MEMMAP_EMPTY_ENTRY;
	if (r->base % MEMMAP_PAGE_SIZE != 0)
		p |= MEMMAP_MISALIGNED;
	if (range_wraps(r))
		p |= MEMMAP_WRAPS;
	if (!type_known(r->type))
		p |= MEMMAP_UNKNOWN_TYPE;
	return p;
}

/* Pairwise overlap test for a map that is not sorted: quadratic, but only for a broken map. */
static bool any_overlap(const struct quire_mem_range *ranges, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		for (size_t j = i + 1; j < count; j++) {
			if (ranges_overlap(&ranges[i], &ranges[j]))
				return true;
		}
	}
	return false;
}

unsigned memmap_check(const struct quire_mem_range *ranges, size_t count)
{
	unsigned problems = 0;
	bool neighbour_overlap = false;

	for (size_t i = 0; i < count; i++) {
		problems |= entry_problems(&ranges[i]);
		if (i == 0)
			continue;
		if (ranges[i].base < ranges[i - 1].base)
			problems |= MEMMAP_UNSORTED;
		if (ranges_overlap(&ranges[i - 1], &ranges[i]))
			neighbour_overlap = true;
	}
	/* In a sorted map an entry that overlaps a later one also overlaps the next non-empty entry
	 * after it, so neighbours suffice; unsorted maps and empty entries need the pairwise test. */
	if (neighbour_overlap ||
	    ((problems & (MEMMAP_UNSORTED | MEMMAP_EMPTY_ENTRY)) && any_overlap(ranges, count)))
		problems |= MEMMAP_OVERLAP;
	return problems;
}
