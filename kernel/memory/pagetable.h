/*
 * 4-level x86-64 page tables: map, unmap, protect and query ranges of one address space's tables.
 *
 * Model: a struct pagetable names a top-level table (PML4). Levels are numbered by what one entry
 * covers: 3 = PML4 (512 GiB), 2 = PDPT (1 GiB), 1 = PD (2 MiB), 0 = PT (4 KiB). Leaves are 4 KiB
 * PTEs, or 2 MiB / 1 GiB large leaves where the caller allows them (the linear map). Intermediate
 * entries are permissive (present, writable, user in the lower half); the leaf alone carries the
 * rights and the cache policy.
 *
 * Table pages are ordinary pmm frames of kind PAGE_PAGE_TABLE; the struct page refcount of each
 * holds the number of present entries in it, so unmap frees a table as soon as it becomes empty,
 * without any side table. Never freed that way: the top-level table (pagetable_destroy() frees
 * it) and the 256 kernel-half PDPTs, which every address space shares from the kernel's tables.
 * Nothing here calls the heap; only map allocates, through the pmm, and it may fail.
 *
 * TLB: a change is invalidated on this CPU when the tables are live here (the root is in CR3) or
 * the range is in the shared kernel half: invlpg per changed leaf, or one CR3 reload when the call
 * covers more than PAGETABLE_FLUSH_THRESHOLD pages. Kernel mappings are not global (no G bit), so
 * a CR3 reload really is a full flush. Other CPUs (SMP) will need shootdowns: not done yet.
 *
 * Locking: the caller holds the lock of the address space that owns the tables (the vm_space's;
 * for the kernel's tables, the kernel space's) for every call below, which makes the walks and the
 * refcounts race-free. pagetable_map() allocates, so that lock must not be a spinlock while it
 * runs (DESIGN.md: allocate first, then lock) — or the caller pre-populates the tables.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/kerr.h"
#include "kernel/memory/pat.h"
#include "kernel/memory/phys.h"

/* Bit positions in a page-table entry (Intel SDM vol. 3, 4.5, tables 4-15 to 4-20). */
enum pte_bit {
	PTE_BIT_PRESENT = 0,
	PTE_BIT_WRITABLE = 1,
	PTE_BIT_USER = 2,
	PTE_BIT_PWT = 3, /* page-level write-through (PAT index bit 0) */
	PTE_BIT_PCD = 4, /* page-level cache disable (PAT index bit 1) */
	PTE_BIT_ACCESSED = 5,
	PTE_BIT_DIRTY = 6,      /* leaves only */
	PTE_BIT_LARGE = 7,      /* PS in a PDPT or PD entry: the entry is a 1 GiB / 2 MiB leaf */
	PTE_BIT_PAT_4K = 7,     /* PAT index bit 2 in a 4 KiB PTE */
	PTE_BIT_GLOBAL = 8,     /* leaves only; kept in the TLB across CR3 loads when CR4.PGE */
	PTE_BIT_PAT_LARGE = 12, /* PAT index bit 2 in a 2 MiB / 1 GiB leaf */
	PTE_BIT_NX = 63,
};

#define PTE_PRESENT   (1ull << PTE_BIT_PRESENT)
#define PTE_WRITABLE  (1ull << PTE_BIT_WRITABLE)
#define PTE_USER      (1ull << PTE_BIT_USER)
#define PTE_PWT       (1ull << PTE_BIT_PWT)
#define PTE_PCD       (1ull << PTE_BIT_PCD)
#define PTE_ACCESSED  (1ull << PTE_BIT_ACCESSED)
#define PTE_DIRTY     (1ull << PTE_BIT_DIRTY)
#define PTE_LARGE     (1ull << PTE_BIT_LARGE)
#define PTE_PAT_4K    (1ull << PTE_BIT_PAT_4K)
#define PTE_GLOBAL    (1ull << PTE_BIT_GLOBAL)
#define PTE_PAT_LARGE (1ull << PTE_BIT_PAT_LARGE)
#define PTE_NX        (1ull << PTE_BIT_NX)
/* The frame address of a 4 KiB PTE or a table pointer: bits 12..51 (52-bit physical addresses). */
#define PTE_ADDRESS   0x000ffffffffff000ull

_Static_assert(PTE_PRESENT == 0x1 && PTE_WRITABLE == 0x2 && PTE_USER == 0x4, "PTE bits 0..2");
_Static_assert(PTE_PWT == 0x8 && PTE_PCD == 0x10, "PTE cache bits");
_Static_assert(PTE_ACCESSED == 0x20 && PTE_DIRTY == 0x40, "PTE A and D");
_Static_assert(PTE_LARGE == 0x80 && PTE_PAT_4K == 0x80 && PTE_GLOBAL == 0x100, "PS/PAT and G");
_Static_assert(PTE_PAT_LARGE == 0x1000, "a large leaf's PAT bit is bit 12");
_Static_assert(PTE_NX == 0x8000000000000000ull, "NX is bit 63");
_Static_assert((PTE_ADDRESS & 0xfff) == 0 && (PTE_ADDRESS >> 12) == (1ull << 40) - 1,
	       "the address field is bits 12..51");

#define PAGETABLE_ENTRIES         512u
#define PAGETABLE_LEVELS          4
#define PAGETABLE_PAGE_4K         0x1000ull
#define PAGETABLE_PAGE_2M         0x200000ull
#define PAGETABLE_PAGE_1G         0x40000000ull
#define PAGETABLE_FLUSH_THRESHOLD 32u /* pages; above it one full flush replaces the invlpgs */

/* Rights of a mapping, and how it may be built. */
enum pagetable_prot {
	PAGETABLE_READ = 1u << 0,   /* required: x86 has no write-only or execute-only pages */
	PAGETABLE_WRITE = 1u << 1,  /* writable */
	PAGETABLE_EXEC = 1u << 2,   /* executable (otherwise NX) */
	PAGETABLE_USER = 1u << 3,   /* reachable from ring 3 (lower half only) */
	PAGETABLE_GLOBAL = 1u << 4, /* the G bit; not used by Quire yet */
	/* Map options (pagetable_map() only): leaves of 2 MiB / 1 GiB where the virtual and physical
	 * addresses are aligned and the range covers a whole large page. 1 GiB only when the CPU has
	 * pdpe1gb; the caller checks (this module is also host code). */
	PAGETABLE_LARGE_2M = 1u << 5,
	PAGETABLE_LARGE_1G = 1u << 6,
};
#define PAGETABLE_RIGHTS                                                                           \
	(PAGETABLE_READ | PAGETABLE_WRITE | PAGETABLE_EXEC | PAGETABLE_USER | PAGETABLE_GLOBAL)

struct pagetable {
	paddr_t root;         /* the PML4 (guard: the owning space's lock; fixed after create) */
	uint64_t table_pages; /* table pages below the root this module allocated and holds */
};

/* What pagetable_query() finds at an address. */
struct pagetable_mapping {
	paddr_t pa;              /* the physical address the queried address maps to */
	uint64_t page_size;      /* of the leaf: 4 KiB, 2 MiB or 1 GiB */
	vaddr_t page_va;         /* the first address of the leaf */
	unsigned prot;           /* effective PAGETABLE_* rights, combining every level */
	enum cache_policy cache; /* from the leaf's PAT bits */
	uint64_t pte;            /* the raw leaf entry */
};

/*
 * pagetable_create - allocates a zeroed top-level table into *PT; when KERNEL is not NULL its
 * kernel-half entries (256..511) are copied, so the new tables share the kernel's mappings.
 * Allocates one frame. Errors: KERR_NO_MEMORY.
 */
kerr_t pagetable_create(struct pagetable *pt, const struct pagetable *kernel);

/*
 * pagetable_destroy - frees every lower-half table page and the top-level table. The frames the
 * leaves point to are not touched (their owner frees them); no TLB work is done, so PT must not be
 * live on any CPU. The kernel half is shared and left alone.
 */
void pagetable_destroy(struct pagetable *pt);

/*
 * pagetable_fill_kernel_half - for the kernel's own tables: allocates a PDPT for each of the 256
 * kernel-half slots of PT that has none, so every address space created later shares them.
 * Errors: KERR_NO_MEMORY (the PDPTs allocated so far stay; they are never freed anyway).
 */
kerr_t pagetable_fill_kernel_half(struct pagetable *pt);

/*
 * pagetable_map - maps PAGES 4 KiB pages from VA to PA..., with PROT (PAGETABLE_* rights, READ
 * required, plus the LARGE options) and CACHE. VA and PA page aligned; the range must lie in one
 * half of the address space and must not overlap anything already mapped. Allocates table pages
 * through the pmm (never the heap). On any error nothing of the range stays mapped and every
 * table page allocated by this call has been freed again: the tables are as before.
 * Errors: KERR_INVALID (bad alignment, range or PROT, or an existing mapping in the range),
 * KERR_NO_MEMORY.
 */
kerr_t pagetable_map(struct pagetable *pt, vaddr_t va, paddr_t pa, uint64_t pages, unsigned prot,
		     enum cache_policy cache);

/*
 * pagetable_map_one - the fault path's single walk: makes the 4 KiB PTE of VA map PA with PROT
 * (PAGETABLE_RIGHTS, READ required) and CACHE, allocating missing tables on the way. When a 4 KiB
 * leaf is already there it is left alone if it maps PA and its rights (effective over every
 * level, as pagetable_query() reports them) include every right in KEEP_IF; otherwise it is
 * rewritten in place (no table is freed and refilled) and its TLB entry invalidated as
 * pagetable_unmap() would. VA and PA page aligned. Errors: KERR_INVALID (bad VA, PA, PROT or
 * CACHE, or a large leaf covers VA: nothing changed), KERR_NO_MEMORY (the table pages this call
 * allocated are freed again: the tables are as before).
 */
kerr_t pagetable_map_one(struct pagetable *pt, vaddr_t va, paddr_t pa, unsigned prot,
			 enum cache_policy cache, unsigned keep_if);

/* Called by pagetable_unmap() for each leaf it removes: its first address, frame and size. */
typedef void (*pagetable_unmap_fn)(vaddr_t va, paddr_t pa, uint64_t size, void *ctx);

/*
 * pagetable_unmap - removes every leaf in [VA, VA + PAGES * 4 KiB) (holes are skipped), calls FN
 * (when not NULL) with each, invalidates the TLB, and frees table pages that became empty. Never
 * allocates. Errors: KERR_INVALID for a bad range, or when a large leaf sticks out of the range
 * (splitting it would need memory): nothing is changed then.
 */
kerr_t pagetable_unmap(struct pagetable *pt, vaddr_t va, uint64_t pages, pagetable_unmap_fn fn,
		       void *ctx);

/*
 * pagetable_protect - sets the rights of every leaf in the range to PROT (PAGETABLE_RIGHTS,
 * READ required), keeping frame and cache policy; holes are skipped. Never allocates. Errors as
 * pagetable_unmap().
 */
kerr_t pagetable_protect(struct pagetable *pt, vaddr_t va, uint64_t pages, unsigned prot);

/* pagetable_query - what VA maps to. Never allocates. Errors: KERR_NOT_FOUND when not mapped. */
kerr_t pagetable_query(const struct pagetable *pt, vaddr_t va, struct pagetable_mapping *out);

/* Called by pagetable_for_each() for each leaf; return false to stop. */
typedef bool (*pagetable_visit_fn)(const struct pagetable_mapping *leaf, void *ctx);

/*
 * pagetable_for_each - calls FN for each leaf that overlaps [VA, VA + PAGES * 4 KiB), in address
 * order, skipping empty subtrees (the walker behind unmap and protect). Never allocates.
 * Errors: KERR_INVALID for a bad range.
 */
kerr_t pagetable_for_each(const struct pagetable *pt, vaddr_t va, uint64_t pages,
			  pagetable_visit_fn fn, void *ctx);

/* pagetable_live - whether PT is the table this CPU runs on (its root is in CR3). */
bool pagetable_live(const struct pagetable *pt);
