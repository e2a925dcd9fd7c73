/*
 * The allocation register: every allocation the kernel must keep, as {base, pages, kind}
 * (struct quire_alloc_record). It lives in the boot-info block itself, right after the struct
 * quire_boot_info, so the kernel finds it at boot_info->alloc_register and the loader never needs
 * a second copy. Temporary buffers (the kernel file, the firmware memory map) are not recorded:
 * they are loader memory the kernel may reuse.
 *
 * All allocations are EfiLoaderData pages anywhere in memory (AllocateAnyPages); every function
 * here may call boot services, so none may run after the final GetMemoryMap. Failures are
 * reported on the console here, naming what the memory was for.
 */
#pragma once

#include <efi.h>

#include <quire/boot.h>

#define ALLOC_PAGE_SIZE     4096ull
#define ALLOC_PAGES(bytes)  (((bytes) + ALLOC_PAGE_SIZE - 1) / ALLOC_PAGE_SIZE)
#define ALLOC_REGISTER_SIZE 32 /* records; the loader makes about seven */

/* Allocates the zeroed boot-info block (kind QUIRE_ALLOC_BOOT_INFO) with the register in it,
 * records it first, and returns the struct quire_boot_info at its start. */
EFI_STATUS alloc_init(struct quire_boot_info **info);

/* Allocates `pages` pages for the kernel to keep and records them as `kind` (QUIRE_ALLOC_*). */
EFI_STATUS alloc_keep(UINT64 pages, uint32_t kind, EFI_PHYSICAL_ADDRESS *base);

/* Frees a kept allocation and removes its record. */
void alloc_drop(EFI_PHYSICAL_ADDRESS base);

/* Allocates `pages` pages the loader uses and frees itself (not recorded). `what` names the
 * buffer in an out-of-memory message. */
EFI_STATUS alloc_temp(UINT64 pages, const char *what, EFI_PHYSICAL_ADDRESS *base);
void alloc_free_temp(EFI_PHYSICAL_ADDRESS base, UINT64 pages);

/* The boot is abandoned: frees everything recorded, the boot-info block last. */
void alloc_release_all(void);
