/*
 * Translation of the UEFI memory map into the Quire one (struct quire_mem_range[], boot.h). Pure
 * C with no EFI headers, so test/unit/test_loader_memmap.c runs it on the host. The loader calls
 * it between its final GetMemoryMap and ExitBootServices, so it must not allocate: the caller
 * provides the output array, sized with memmap_convert_capacity().
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <quire/boot.h>

/* EFI_MEMORY_DESCRIPTOR as the UEFI specification lays it out (UEFI 2.10, 7.2). In a map the
 * descriptors are DescriptorSize bytes apart, which may exceed this size (48 on OVMF). */
struct uefi_memory_descriptor {
	uint32_t type;
	uint32_t pad;
	uint64_t physical_start;
	uint64_t virtual_start;
	uint64_t number_of_pages;
	uint64_t attribute;
};
_Static_assert(sizeof(struct uefi_memory_descriptor) == 40, "EFI_MEMORY_DESCRIPTOR layout");

/* UEFI memory types (EFI_MEMORY_TYPE) the translation knows. */
enum {
	UEFI_RESERVED_MEMORY = 0,
	UEFI_LOADER_CODE = 1,
	UEFI_LOADER_DATA = 2,
	UEFI_BOOT_SERVICES_CODE = 3,
	UEFI_BOOT_SERVICES_DATA = 4,
	UEFI_RUNTIME_SERVICES_CODE = 5,
	UEFI_RUNTIME_SERVICES_DATA = 6,
	UEFI_CONVENTIONAL_MEMORY = 7,
	UEFI_UNUSABLE_MEMORY = 8,
	UEFI_ACPI_RECLAIM_MEMORY = 9,
	UEFI_ACPI_MEMORY_NVS = 10,
	UEFI_MEMORY_MAPPED_IO = 11,
	UEFI_MEMORY_MAPPED_IO_PORT_SPACE = 12,
	UEFI_PAL_CODE = 13,
	UEFI_PERSISTENT_MEMORY = 14,
	UEFI_UNACCEPTED_MEMORY = 15,
};

enum memmap_convert_result {
	MEMMAP_CONVERT_OK = 0,
	MEMMAP_CONVERT_BAD_DESCRIPTOR_SIZE, /* smaller than a descriptor, or not 8-byte multiple */
	MEMMAP_CONVERT_NO_ROOM,             /* more ranges than the caller's capacity */
};

/* The QUIRE_MEM_* type for a UEFI memory type; unknown and OEM/OS-defined types are RESERVED. */
uint32_t memmap_convert_type(uint32_t uefi_type);

/* How many Quire ranges a map of `descriptors` entries may need in the worst case (overlapping
 * descriptors are split into pieces): the capacity to give memmap_convert(). */
size_t memmap_convert_capacity(size_t descriptors);

/*
 * Builds the Quire map from the UEFI map at `map` (`map_size` bytes, `desc_size` bytes per
 * descriptor) into out[0..capacity): sorted by base, 4 KiB aligned, no overlaps, neighbours of the
 * same type merged. Where firmware descriptors overlap, the most restrictive type wins (see the
 * .c file). Empty descriptors are skipped. Sets *count; reads only the given buffer.
 */
enum memmap_convert_result memmap_convert(const void *map, size_t map_size, size_t desc_size,
					  struct quire_mem_range *out, size_t capacity,
					  size_t *count);

/* The end of the highest range that is not MMIO (the loader's linear map must reach it), 0 for
 * an empty map. Same inputs as memmap_convert(); a bad desc_size gives 0. */
uint64_t memmap_convert_ram_end(const void *map, size_t map_size, size_t desc_size);
