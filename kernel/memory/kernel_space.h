/*
 * The kernel's own page tables, built once on the boot CPU to replace the loader's.
 *
 * Model: a fresh PML4 whose 256 kernel-half slots all point to PDPTs allocated up front, so every
 * address space created later copies those 256 entries once and shares every kernel mapping
 * (pagetable_create() with the kernel's tables). In it: the linear map of all physical memory,
 * write-back, writable, NX, with 1 GiB leaves where the CPU has them (else 2 MiB); and the kernel
 * image at its link address with 4 KiB pages and each segment's rights (text R+X, rodata and the
 * symbol table R+NX, data and bss RW+NX), the stack guard pages left unmapped. After the switch
 * the loader's tables go back to the pmm, and so does the boot-services and loader scratch memory:
 * the kernel's GDT, IDT and stacks already live in its image, and nothing reads that memory again.
 *
 * Locking: the kernel's tables are changed only by the kernel space (the VM core's lock). Until it
 * exists, only the boot CPU maps anything, with interrupts off.
 */
#pragma once

#include <stdint.h>

#include <quire/boot.h>

#include "kernel/lib/kerr.h"
#include "kernel/memory/pagetable.h"

struct kernel_space_info {
	paddr_t loader_root;             /* the loader's PML4 (released) */
	uint64_t linear_map_size;        /* bytes of physical memory in the linear map */
	uint64_t linear_page_size;       /* its leaf size: 1 GiB or 2 MiB */
	uint64_t loader_table_pages;     /* frames of the loader's tables given back */
	uint64_t reclaimed_boot_pages;   /* frames pmm_reclaim_boot_memory() gave back */
	uint64_t table_pages_after_init; /* the kernel's table pages once built */
};

/*
 * kernel_space_init - builds the kernel's tables from BI (after pmm_init()), switches CR3 to
 * them, releases the loader's page tables and reclaims boot memory. Boot CPU, once, interrupts
 * off. Errors: KERR_NO_MEMORY or KERR_INVALID (a memory map it cannot map): the CPU then stays on
 * the loader's tables, nothing is released, and the frames taken so far stay taken.
 */
kerr_t kernel_space_init(const struct quire_boot_info *bi);

/* kernel_space_pagetable - the kernel's tables (NULL before kernel_space_init() succeeded). */
struct pagetable *kernel_space_pagetable(void);

/* kernel_space_info - what kernel_space_init() built and released. */
const struct kernel_space_info *kernel_space_info(void);
