/*
 * Page-table access through whatever CR3 holds: drop the loader's identity map, inspect what the
 * live tables say about an address (W^X and NX checks), unmap single guard pages while the kernel
 * still runs on the loader's tables.
 *
 * Model: the live tables are reached through the linear map (phys.h), the root taken from CR3.
 * mmu_translate() is a thin user of pagetable_query() (kernel/memory/pagetable.h), which combines
 * every level: writable only when every level allows writes, executable only when no level sets
 * NX. The loader's tables have no frame reference counts, so the two early helpers that change
 * them (dropping the identity map, unmapping a guard page) write entries directly and never free
 * a table; once kernel_space_init() has switched to the kernel's own tables, every change goes
 * through the pagetable module instead.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/kerr.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/phys.h"

/* Page-table entry bits: the names of pagetable.h, where their positions are asserted. */
#define MMU_PRESENT  PTE_PRESENT
#define MMU_WRITABLE PTE_WRITABLE
#define MMU_USER     PTE_USER
#define MMU_LARGE    PTE_LARGE /* PS: a 1 GiB (PDPT) or 2 MiB (PD) page */
#define MMU_NX       PTE_NX
#define MMU_ADDRESS  PTE_ADDRESS

#define MMU_ENTRIES PAGETABLE_ENTRIES

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

/* mmu_live_pagetable - the tables in CR3, as a struct pagetable for queries. */
struct pagetable mmu_live_pagetable(void);

/*
 * mmu_unmap_page - (loader's tables only) makes the 4 KiB page at VA not present and invalidates its TLB entry. The frame
 * stays where it is (a guard page keeps its frame). Errors: KERR_NOT_FOUND when VA is not mapped,
 * KERR_UNSUPPORTED when it is mapped by a large page (splitting one would need an allocation).
 */
kerr_t mmu_unmap_page(vaddr_t va);
