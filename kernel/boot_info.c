/*
 * boot_info checks; see boot_info.h. Each group of fields has its own small check that returns the
 * problem it found, and boot_info_validate() runs them in dependency order.
 */
#include "kernel/boot_info.h"

#include "kernel/lib/format.h"

#define PAGE_MASK 0xfffull

static struct boot_info_problem problem(enum boot_info_fault fault, uint64_t found,
					uint64_t expected)
{
	return (struct boot_info_problem){.fault = fault, .found = found, .expected = expected};
}

static struct boot_info_problem check_header(const struct quire_boot_info *bi)
{
	if (bi->magic != QUIRE_BOOT_MAGIC)
		return problem(BOOT_INFO_BAD_MAGIC, bi->magic, QUIRE_BOOT_MAGIC);
	if (bi->version != QUIRE_BOOT_VERSION)
		return problem(BOOT_INFO_BAD_VERSION, bi->version, QUIRE_BOOT_VERSION);
	if (bi->size < sizeof(*bi))
		return problem(BOOT_INFO_SHORT_SIZE, bi->size, sizeof(*bi));
	return problem(BOOT_INFO_OK, 0, 0);
}

static struct boot_info_problem check_memory_map(const struct quire_boot_info *bi)
{
	if (bi->memory_map_entry_size != sizeof(struct quire_mem_range))
		return problem(BOOT_INFO_BAD_MEMMAP_ENTRY, bi->memory_map_entry_size,
			       sizeof(struct quire_mem_range));
	if (bi->memory_map_count == 0 || bi->memory_map_count > BOOT_INFO_MAX_MEMMAP_ENTRIES)
		return problem(BOOT_INFO_BAD_MEMMAP_COUNT, bi->memory_map_count,
			       BOOT_INFO_MAX_MEMMAP_ENTRIES);
	if (bi->memory_map == 0 || bi->memory_map % 8 != 0)
		return problem(BOOT_INFO_BAD_MEMMAP_ADDRESS, bi->memory_map, 0);
	return problem(BOOT_INFO_OK, 0, 0);
}

static struct boot_info_problem check_alloc_register(const struct quire_boot_info *bi)
{
	if (bi->alloc_register_entry_size != sizeof(struct quire_alloc_record))
		return problem(BOOT_INFO_BAD_ALLOC_ENTRY, bi->alloc_register_entry_size,
			       sizeof(struct quire_alloc_record));
	if (bi->alloc_register_count > BOOT_INFO_MAX_ALLOC_RECORDS)
		return problem(BOOT_INFO_BAD_ALLOC_COUNT, bi->alloc_register_count,
			       BOOT_INFO_MAX_ALLOC_RECORDS);
	if (bi->alloc_register_count > 0 &&
	    (bi->alloc_register == 0 || bi->alloc_register % 8 != 0))
		return problem(BOOT_INFO_BAD_ALLOC_ADDRESS, bi->alloc_register, 0);
	return problem(BOOT_INFO_OK, 0, 0);
}

static struct boot_info_problem check_pointers(const struct quire_boot_info *bi)
{
	if (bi->cmdline == 0)
		return problem(BOOT_INFO_NO_CMDLINE, 0, 0);
	if (bi->cmdline_len > BOOT_INFO_MAX_CMDLINE)
		return problem(BOOT_INFO_BAD_CMDLINE_LENGTH, bi->cmdline_len,
			       BOOT_INFO_MAX_CMDLINE);
	if (bi->pml4 == 0 || (bi->pml4 & PAGE_MASK) != 0)
		return problem(BOOT_INFO_BAD_PML4, bi->pml4, 0);
	if (bi->kernel_virt_base != QUIRE_KERNEL_LINK_BASE || bi->kernel_size == 0)
		return problem(BOOT_INFO_BAD_KERNEL_IMAGE, bi->kernel_virt_base,
			       QUIRE_KERNEL_LINK_BASE);
	return problem(BOOT_INFO_OK, 0, 0);
}

static struct boot_info_problem check_framebuffer(const struct quire_framebuffer *fb)
{
	if (fb->format > QUIRE_FB_BITMASK)
		return problem(BOOT_INFO_BAD_FRAMEBUFFER, fb->format, QUIRE_FB_BITMASK);
	if (fb->format == QUIRE_FB_NONE)
		return problem(BOOT_INFO_OK, 0, 0);
	/* height * stride * 4 can exceed 2^64 (both are 32-bit): a wrapped product would let a tiny
	 * size pass, so an overflow counts as "needs more than any size" (the fuzzer found it). */
	uint64_t need;
	if (__builtin_mul_overflow((uint64_t)fb->height * fb->pixels_per_scan_line, 4, &need))
		need = UINT64_MAX;
	if (fb->width == 0 || fb->height == 0 || fb->pixels_per_scan_line < fb->width ||
	    fb->size < need || need == UINT64_MAX || fb->base == 0 ||
	    fb->size > UINT64_MAX - fb->base)
		return problem(BOOT_INFO_BAD_FRAMEBUFFER, fb->size, need);
	return problem(BOOT_INFO_OK, 0, 0);
}

static struct boot_info_problem check_vendor(const struct quire_boot_info *bi)
{
	for (size_t i = 0; i < sizeof(bi->firmware_vendor); i++) {
		if (bi->firmware_vendor[i] == '\0')
			return problem(BOOT_INFO_OK, 0, 0);
	}
	return problem(BOOT_INFO_BAD_FIRMWARE_VENDOR, 0, 0);
}

kerr_t boot_info_validate(const struct quire_boot_info *bi, struct boot_info_problem *out)
{
	*out = check_header(bi);
	if (out->fault == BOOT_INFO_OK)
		*out = check_memory_map(bi);
	if (out->fault == BOOT_INFO_OK)
		*out = check_alloc_register(bi);
	if (out->fault == BOOT_INFO_OK)
		*out = check_pointers(bi);
	if (out->fault == BOOT_INFO_OK)
		*out = check_framebuffer(&bi->framebuffer);
	if (out->fault == BOOT_INFO_OK)
		*out = check_vendor(bi);
	return out->fault == BOOT_INFO_OK ? KERR_OK : KERR_INVALID;
}

size_t boot_info_describe(const struct boot_info_problem *p, char *buf, size_t size)
{
	unsigned long long found = p->found, expected = p->expected;

	switch (p->fault) {
	case BOOT_INFO_OK:
		return format_snprintf(buf, size, "valid");
	case BOOT_INFO_BAD_MAGIC:
		return format_snprintf(buf, size, "bad magic 0x%016llx (expected 0x%016llx)", found,
				       expected);
	case BOOT_INFO_BAD_VERSION:
		return format_snprintf(buf, size, "version %llu, this kernel speaks %llu", found,
				       expected);
	case BOOT_INFO_SHORT_SIZE:
		return format_snprintf(
		    buf, size, "size %llu bytes, this kernel needs at least %llu", found, expected);
	case BOOT_INFO_BAD_MEMMAP_ENTRY:
		return format_snprintf(buf, size, "memory map entry size %llu, expected %llu",
				       found, expected);
	case BOOT_INFO_BAD_MEMMAP_COUNT:
		return format_snprintf(buf, size, "memory map has %llu entries, expected 1 to %llu",
				       found, expected);
	case BOOT_INFO_BAD_MEMMAP_ADDRESS:
		return format_snprintf(buf, size, "memory map at bad address 0x%llx", found);
	case BOOT_INFO_BAD_ALLOC_ENTRY:
		return format_snprintf(buf, size,
				       "allocation register entry size %llu, expected %llu", found,
				       expected);
	case BOOT_INFO_BAD_ALLOC_COUNT:
		return format_snprintf(buf, size,
				       "allocation register has %llu entries, at most %llu", found,
				       expected);
	case BOOT_INFO_BAD_ALLOC_ADDRESS:
		return format_snprintf(buf, size, "allocation register at bad address 0x%llx",
				       found);
	case BOOT_INFO_NO_CMDLINE:
		return format_snprintf(buf, size, "command line pointer is 0");
	case BOOT_INFO_BAD_CMDLINE_LENGTH:
		return format_snprintf(buf, size, "command line length %llu, at most %llu", found,
				       expected);
	case BOOT_INFO_BAD_PML4:
		return format_snprintf(buf, size, "page table root at bad address 0x%llx", found);
	case BOOT_INFO_BAD_KERNEL_IMAGE:
		return format_snprintf(buf, size,
				       "kernel image at 0x%llx, but it is linked at 0x%llx", found,
				       expected);
	case BOOT_INFO_BAD_FRAMEBUFFER:
		return format_snprintf(buf, size,
				       "framebuffer inconsistent: %llu where %llu expected", found,
				       expected);
	case BOOT_INFO_BAD_FIRMWARE_VENDOR:
		return format_snprintf(buf, size, "firmware vendor string is not terminated");
	case BOOT_INFO_FAULT_COUNT:
		break;
	}
	return format_snprintf(buf, size, "unknown problem %u", (unsigned)p->fault);
}
