/*
 * Page-table construction. The layout, and why:
 *   - PML4 slots 256..511 each point to a PDPT of their own, allocated here even when empty, so a
 *     process's top-level table can copy the kernel half once and never needs syncing.
 *   - The linear map of physical memory starts at QUIRE_LINEAR_MAP_BASE (slot 256 on) and uses
 *     2 MiB pages, write-back (PAT entry 0), writable. It is non-executable through the NX bit of
 *     its PML4 entries (every slot of the linear-map window, 256..383), not of its leaves.
 *   - That is what lets the lower-half identity map share its PDPTs: PML4[i] points to the same
 *     PDPT as PML4[256 + i], without NX, so the loader's own code keeps running for the few
 *     instructions between loading CR3 and jumping to the kernel. The kernel clears slots 0..255
 *     at entry; nothing below them was allocated for the identity map, so nothing is to be freed.
 *   - The kernel image is mapped at its link address with 4 KiB pages and the permissions of its
 *     segment: text read+execute, rodata read-only NX, data and bss read-write NX (W^X).
 * Intermediate entries allow everything (present, writable, supervisor): the leaves and the
 * linear map's PML4 entries decide. Nothing here is user-accessible.
 */
#include "bootloader/paging.h"

#include <quire/boot.h>

#define ENTRIES           512
#define INDEX(va, s)      ((size_t)(((va) >> (s)) & (ENTRIES - 1)))
#define PML4_SHIFT        39
#define PDPT_SHIFT        30
#define PD_SHIFT          21
#define PT_SHIFT          12
#define TABLE_FLAGS       (PTE_PRESENT | PTE_WRITABLE)
#define LINEAR_SLOTS      (QUIRE_LINEAR_MAP_MAX_SIZE / PAGING_PML4_SPAN)
#define KERNEL_HALF_FIRST QUIRE_KERNEL_HALF_PML4_FIRST

_Static_assert(PTE_NX == 0x8000000000000000ull, "NX is bit 63");
_Static_assert(PTE_LARGE == 0x80, "PS is bit 7");
_Static_assert(QUIRE_LINEAR_MAP_BASE == QUIRE_KERNEL_HALF_BASE, "linear map starts at slot 256");
_Static_assert(LINEAR_SLOTS == 128, "the linear-map window is PML4 slots 256..383");

uint64_t paging_linear_size(uint64_t ram_end)
{
	uint64_t size = ram_end < 4 * PAGING_GIB ? 4 * PAGING_GIB : ram_end;

	if (size > QUIRE_LINEAR_MAP_MAX_SIZE)
		return QUIRE_LINEAR_MAP_MAX_SIZE;
	return (size + PAGING_GIB - 1) & ~(PAGING_GIB - 1);
}

/* How many aligned blocks of 1 << shift bytes [start, end) touches (end > start). */
static size_t blocks_touched(uint64_t start, uint64_t end, unsigned shift)
{
	return (size_t)(((end - 1) >> shift) - (start >> shift) + 1);
}

size_t paging_pool_pages(uint64_t linear_size, const struct kernel_image *kernel)
{
	size_t pages = 1 + QUIRE_KERNEL_HALF_PML4_COUNT; /* PML4 and the kernel-half PDPTs */

	pages += (size_t)(linear_size / PAGING_GIB); /* one PD per GiB of linear map */
	pages += blocks_touched(kernel->virt_base, kernel->virt_end, PDPT_SHIFT); /* kernel PDs */
	pages += blocks_touched(kernel->virt_base, kernel->virt_end, PD_SHIFT);   /* kernel PTs */
	return pages;
}

static uint64_t *table(const struct paging_pool *pool, uint64_t phys)
{
	return pool->base + (phys - pool->phys) / sizeof(uint64_t);
}

static int take_page(struct paging_pool *pool, uint64_t *phys)
{
	if (pool->used == pool->pages)
		return 0;
	*phys = pool->phys + pool->used * PAGING_PAGE_SIZE;
	pool->used++;
	return 1;
}

/* The PDPT of kernel-half PML4 slot `slot`: page 1 + (slot - 256) of the pool. */
static uint64_t kernel_pdpt(const struct paging_pool *pool, size_t slot)
{
	return pool->phys + (1 + slot - KERNEL_HALF_FIRST) * PAGING_PAGE_SIZE;
}

static void build_top(struct paging_pool *pool, uint64_t *pml4)
{
	for (size_t slot = KERNEL_HALF_FIRST; slot < ENTRIES; slot++) {
		uint64_t nx = slot < KERNEL_HALF_FIRST + LINEAR_SLOTS ? PTE_NX : 0;

		pml4[slot] = kernel_pdpt(pool, slot) | TABLE_FLAGS | nx;
	}
	pool->used = 1 + QUIRE_KERNEL_HALF_PML4_COUNT;
}

/* One PD of 2 MiB pages per GiB; then the identity alias of the PDPTs that hold them. */
static enum paging_result build_linear(struct paging_pool *pool, uint64_t *pml4,
				       uint64_t linear_size)
{
	for (uint64_t gib = 0; gib < linear_size / PAGING_GIB; gib++) {
		uint64_t pd_phys;

		if (!take_page(pool, &pd_phys))
			return PAGING_POOL_EXHAUSTED;
		uint64_t *pd = table(pool, pd_phys);
		for (size_t i = 0; i < ENTRIES; i++)
			pd[i] =
			    (gib << PDPT_SHIFT | (uint64_t)i << PD_SHIFT) | TABLE_FLAGS | PTE_LARGE;
		uint64_t *pdpt = table(pool, kernel_pdpt(pool, KERNEL_HALF_FIRST + gib / ENTRIES));
		pdpt[gib % ENTRIES] = pd_phys | TABLE_FLAGS;
	}
	for (size_t i = 0; i < (linear_size + PAGING_PML4_SPAN - 1) / PAGING_PML4_SPAN; i++)
		pml4[i] =
		    kernel_pdpt(pool, KERNEL_HALF_FIRST + i) | TABLE_FLAGS; /* executable alias */
	return PAGING_OK;
}

/* The entry at `index` of `parent`, pointing to a new zeroed table when it was empty. */
static enum paging_result next_table(struct paging_pool *pool, uint64_t *parent, size_t index,
				     uint64_t **child)
{
	uint64_t phys;

	if (parent[index] & PTE_LARGE)
		return PAGING_BAD_LAYOUT; /* the kernel would land inside the linear map */
	if (!(parent[index] & PTE_PRESENT)) {
		if (!take_page(pool, &phys))
			return PAGING_POOL_EXHAUSTED;
		parent[index] = phys | TABLE_FLAGS;
	}
	*child = table(pool, parent[index] & PTE_ADDR_MASK);
	return PAGING_OK;
}

static enum paging_result map_kernel_page(struct paging_pool *pool, uint64_t *pml4, uint64_t va,
					  uint64_t leaf)
{
	uint64_t *pdpt = table(pool, pml4[INDEX(va, PML4_SHIFT)] & PTE_ADDR_MASK);
	uint64_t *pd, *pt;
	enum paging_result r = next_table(pool, pdpt, INDEX(va, PDPT_SHIFT), &pd);

	if (r == PAGING_OK)
		r = next_table(pool, pd, INDEX(va, PD_SHIFT), &pt);
	if (r == PAGING_OK)
		pt[INDEX(va, PT_SHIFT)] = leaf;
	return r;
}

static uint64_t segment_leaf_flags(uint32_t elf_flags)
{
	uint64_t flags = PTE_PRESENT;

	if (elf_flags & ELF_PF_W)
		flags |= PTE_WRITABLE;
	if (!(elf_flags & ELF_PF_X))
		flags |= PTE_NX;
	return flags;
}

static enum paging_result build_kernel(struct paging_pool *pool, uint64_t *pml4,
				       const struct kernel_image *k, uint64_t kernel_phys)
{
	for (uint32_t i = 0; i < k->segment_count; i++) {
		const struct kernel_segment *s = &k->segments[i];
		uint64_t first = s->vaddr & ~(PAGING_PAGE_SIZE - 1);
		uint64_t end =
		    (s->vaddr + s->memsz + PAGING_PAGE_SIZE - 1) & ~(PAGING_PAGE_SIZE - 1);
		uint64_t flags = segment_leaf_flags(s->flags);

		for (uint64_t va = first; va < end; va += PAGING_PAGE_SIZE) {
			uint64_t phys = kernel_phys + (va - k->virt_base);
			enum paging_result r = map_kernel_page(pool, pml4, va, phys | flags);

			if (r != PAGING_OK)
				return r;
		}
	}
	return PAGING_OK;
}

enum paging_result paging_build(struct paging_pool *pool, uint64_t linear_size,
				const struct kernel_image *kernel, uint64_t kernel_phys,
				uint64_t *pml4_phys)
{
	if (linear_size == 0 || linear_size % PAGING_GIB != 0 ||
	    linear_size > QUIRE_LINEAR_MAP_MAX_SIZE || kernel->virt_base < QUIRE_KERNEL_LINK_BASE)
		return PAGING_BAD_LAYOUT;
	if (pool->pages < 1 + QUIRE_KERNEL_HALF_PML4_COUNT)
		return PAGING_POOL_EXHAUSTED;
	uint64_t *pml4 = pool->base;
	build_top(pool, pml4);
	enum paging_result r = build_linear(pool, pml4, linear_size);
	if (r == PAGING_OK)
		r = build_kernel(pool, pml4, kernel, kernel_phys);
	*pml4_phys = pool->phys;
	return r;
}
