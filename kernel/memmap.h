/*
 * The boot memory map as the loader handed it over: totals by type and a sanity check.
 *
 * Model: the map is an array of {base, pages, type} runs that the protocol promises sorted by base
 * and free of overlaps (sysroot/include/quire/boot.h). The kernel does not take that on trust:
 * memmap_check() reports every broken promise as a bit, and memmap_totals() gives meaningful
 * numbers for any input (it sums the entries as listed, saturating instead of wrapping), so the
 * boot summary can be printed even for a map that fails the check. Pure and host-tested; the
 * frame allocator builds on these in its own module.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <quire/boot.h>

#define MEMMAP_PAGE_SIZE 4096u

/* Problems memmap_check() can find, as bits. */
enum memmap_problem {
	MEMMAP_UNSORTED = 1u << 0,     /* an entry's base is below its predecessor's */
	MEMMAP_OVERLAP = 1u << 1,      /* two entries share at least one page */
	MEMMAP_EMPTY_ENTRY = 1u << 2,  /* an entry of zero pages */
	MEMMAP_MISALIGNED = 1u << 3,   /* a base that is not 4 KiB aligned */
	MEMMAP_WRAPS = 1u << 4,        /* the last byte lies beyond 2^64 - 1 */
	MEMMAP_UNKNOWN_TYPE = 1u << 5, /* a type outside 1..QUIRE_MEM_TYPE_COUNT-1 */
};

struct memmap_totals {
	/* Pages by type; index 0 collects every unknown type. Sums saturate at UINT64_MAX. */
	uint64_t pages[QUIRE_MEM_TYPE_COUNT];
	uint64_t total_pages; /* all entries */
	uint64_t entries;
	uint64_t highest_end; /* exclusive end of the highest entry; UINT64_MAX if one wraps */
	uint64_t highest_usable_end; /* the same over QUIRE_MEM_USABLE entries only */
};

/*
 * memmap_totals - sums the COUNT entries at RANGES by type into *TOTALS. Any input is accepted
 * (see memmap_check() for what the protocol forbids). Pure.
 */
void memmap_totals(const struct quire_mem_range *ranges, size_t count,
		   struct memmap_totals *totals);

/*
 * memmap_check - returns the memmap_problem bits that apply to the COUNT entries at RANGES, 0 for
 * a map that keeps every promise of the protocol. Linear for a sorted map; a map found unsorted is
 * checked for overlaps pairwise. Pure.
 */
unsigned memmap_check(const struct quire_mem_range *ranges, size_t count);

/* memmap_type_name - "usable", "boot services", ...; "unknown" for anything else. Pure. */
const char *memmap_type_name(uint32_t type);

/*
 * memmap_range_end - the exclusive end address of R, or UINT64_MAX when that is not representable
 * (the run ends at 2^64 or wraps). Pure.
 */
uint64_t memmap_range_end(const struct quire_mem_range *r);
