/*
 * The firmware memory map and ExitBootServices. Buffers are allocated with slack before the final
 * GetMemoryMap, so that call and the conversion into the Quire map allocate nothing, and the
 * map key stays valid for ExitBootServices.
 */
#pragma once

#include <efi.h>

#include <quire/boot.h>

/* Tries (GetMemoryMap + ExitBootServices) before the loader gives up. */
#define MEMMAP_EXIT_ATTEMPTS 8

struct memmap {
	EFI_PHYSICAL_ADDRESS buffer; /* the firmware map (temporary loader memory) */
	UINT64 buffer_pages;
	UINTN size;      /* bytes of map in the buffer */
	UINTN key;       /* of that map */
	UINTN desc_size; /* bytes between descriptors */
	UINT32 desc_version;
	EFI_PHYSICAL_ADDRESS ranges; /* struct quire_mem_range[], kept (QUIRE_ALLOC_BOOT_INFO) */
	UINT64 range_pages;
};

/* Fetches the current map into m->buffer, allocating or growing the buffer (with slack) as
 * needed. `m` starts zeroed. */
EFI_STATUS memmap_snapshot(struct memmap *m);

/* The end of the highest non-MMIO range of the last snapshot (see paging_linear_size()). */
uint64_t memmap_ram_end(const struct memmap *m);

/* Frees the firmware-map buffer after a failed boot (the Quire map is in the register). */
void memmap_release(struct memmap *m);

/* Allocates the Quire map for as many descriptors as the buffer can hold. */
EFI_STATUS memmap_reserve(struct memmap *m);

/*
 * Takes the final map, converts it into the reserved Quire map and calls ExitBootServices,
 * retrying with a fresh map while the firmware says the key went stale, at most
 * MEMMAP_EXIT_ATTEMPTS times. The first `stale_keys` attempts pass a wrong key on purpose
 * (loader.stale_map_key=N, to test the retry). Stamps info->tsc.before_exit_boot_services before
 * the first attempt; on success fills info->memory_map* and exit_boot_services_attempts, and
 * boot services are gone.
 */
EFI_STATUS memmap_exit_boot_services(struct memmap *m, EFI_HANDLE image, uint32_t stale_keys,
				     struct quire_boot_info *info);
