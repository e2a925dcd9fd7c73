/*
 * The kernel's first page tables, built by the loader before ExitBootServices (the layout is in
 * sysroot/include/quire/boot.h and docs/boot-protocol.md). Pure C with no EFI headers: the loader
 * hands it a pool of zeroable pages and their physical address, the host test
 * (test/unit/test_loader_paging.c) hands it heap memory and a made-up physical address, and both
 * walk the result the same way.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "bootloader/elf_validate.h"

/* Page-table entry bits (Intel SDM vol. 3, 4.5). */
#define PTE_PRESENT   (1ull << 0)
#define PTE_WRITABLE  (1ull << 1)
#define PTE_USER      (1ull << 2)
#define PTE_LARGE     (1ull << 7) /* a 2 MiB page in a PD entry */
#define PTE_NX        (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

#define PAGING_PAGE_SIZE  4096ull
#define PAGING_LARGE_SIZE (1ull << 21)
#define PAGING_GIB        (1ull << 30)
#define PAGING_PML4_SPAN  (1ull << 39) /* bytes one PML4 slot maps */

/* Pages the tables are built in: the loader's one page-table allocation. */
struct paging_pool {
	uint64_t *base; /* where the builder writes page 0 of the pool */
	uint64_t phys;  /* the physical address of page 0 (what the entries point at) */
	size_t pages;   /* capacity */
	size_t used;    /* pages handed out so far */
};

enum paging_result {
	PAGING_OK = 0,
	PAGING_POOL_EXHAUSTED, /* paging_pool_pages() undercounted: a loader bug */
	PAGING_BAD_LAYOUT,     /* linear map too large or misaligned, or kernel outside its slot */
};

/*
 * The size of the linear map for physical memory ending at `ram_end` (the end of the highest
 * memory-map entry that is not MMIO): at least 4 GiB, so the MMIO below 4 GiB (local APIC,
 * framebuffer) is reachable too, rounded up to 1 GiB, and at most QUIRE_LINEAR_MAP_MAX_SIZE.
 */
uint64_t paging_linear_size(uint64_t ram_end);

/* How many pages paging_build() needs for that linear map and that kernel image. */
size_t paging_pool_pages(uint64_t linear_size, const struct kernel_image *kernel);

/*
 * Builds the tables in `pool`, whose pages the caller has zeroed (the loader with the firmware's
 * SetMem, far faster than a freestanding memset): the kernel-half PML4 slots with all
 * 256 PDPTs, the linear map of [0, linear_size) with 2 MiB pages, its identity alias in the lower
 * half, and the kernel's segments at their link addresses with 4 KiB pages, the kernel's lowest
 * page at physical `kernel_phys`. Sets *pml4 to the physical address for CR3.
 */
enum paging_result paging_build(struct paging_pool *pool, uint64_t linear_size,
				const struct kernel_image *kernel, uint64_t kernel_phys,
				uint64_t *pml4);
