/*
 * Early page-table access on the boot CPU: enough to drop the loader's identity map, to inspect
 * what the live tables say about an address (W^X and NX checks), and to unmap single guard pages
 * of the kernel image.
 *
 * Model: the tables are the loader's 4-level tables, reached through the linear map (phys.h), the
 * root taken from CR3. The effective rights of a mapping combine every level: writable only when
 * every level allows writes, executable only when no level sets NX. The full page-table module
 * (map, unmap, protect, frame reference counts) is kernel/memory/'s business; this one never
 * allocates and never creates a mapping.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/kerr.h"
#include "kernel/memory/phys.h"

/* Page-table entry bits (Intel SDM vol. 3, 4.5). */
#define MMU_PRESENT  (1ull << 0)
#define MMU_WRITABLE (1ull << 1)
#define MMU_USER     (1ull << 2)
#define MMU_LARGE    (1ull << 7) /* PS: a 1 GiB (PDPT) or 2 MiB (PD) page */
#define MMU_NX       (1ull << 63)
#define MMU_ADDRESS  0x000ffffffffff000ull
_Static_assert(MMU_NX == 0x8000000000000000ull, "NX is bit 63");

#define MMU_ENTRIES 512u

struct mmu_translation {
	paddr_t phys;       /* the physical address VA maps to */
	uint64_t page_size; /* 4 KiB, 2 MiB or 1 GiB */
	bool writable;      /* effective, over all levels */
	bool executable;    /* effective, over all levels */
	bool user;          /* effective, over all levels */
};

/*
 * mmu_drop_identity_map - clears PML4 slots 0..255 (the lower half, where the loader identity-mapped
 * memory for its CR3 switch) and reloads CR3 to flush the TLB. The page-table pages below those
 * slots are not freed: the loader shares them with the linear map. Boot CPU, interrupts off,
 * before anything uses a lower-half address.
 */
void mmu_drop_identity_map(void);

/* mmu_translate - walks the live tables for VA. Errors: KERR_NOT_FOUND when VA is not mapped. */
kerr_t mmu_translate(vaddr_t va, struct mmu_translation *out);

/* mmu_pml4_entry - the raw entry in slot SLOT (< 512) of the live top-level table. */
uint64_t mmu_pml4_entry(unsigned slot);

/*
 * mmu_unmap_page - makes the 4 KiB page at VA not present and invalidates its TLB entry. The frame
 * stays where it is (a guard page keeps its frame). Errors: KERR_NOT_FOUND when VA is not mapped,
 * KERR_UNSUPPORTED when it is mapped by a large page (splitting one would need an allocation).
 */
kerr_t mmu_unmap_page(vaddr_t va);
