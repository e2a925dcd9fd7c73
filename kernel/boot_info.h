/*
 * Validation of the struct quire_boot_info that the loader hands the kernel.
 *
 * Model: the kernel trusts nothing in boot_info until boot_info_validate() accepted it. The header
 * is checked first and in this order (magic, then version, then size), because each later field
 * means something only once the earlier ones match; then every count, entry size and pointer the
 * kernel is about to follow. A rejection names the first problem found with the value seen and
 * the value expected, and boot_info_describe() turns that into the message printed on serial
 * before the kernel halts. Pure and host-tested: nothing here dereferences a physical address.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <quire/boot.h>

#include "kernel/lib/kerr.h"

/* Upper bounds far above anything firmware produces, so that a corrupt count is caught. */
#define BOOT_INFO_MAX_MEMMAP_ENTRIES 8192u
#define BOOT_INFO_MAX_ALLOC_RECORDS  4096u
#define BOOT_INFO_MAX_CMDLINE        65536u

enum boot_info_fault {
	BOOT_INFO_OK = 0,
	BOOT_INFO_BAD_MAGIC,           /* found: magic, expected: QUIRE_BOOT_MAGIC */
	BOOT_INFO_BAD_VERSION,         /* found: version, expected: QUIRE_BOOT_VERSION */
	BOOT_INFO_SHORT_SIZE,          /* found: size, expected: the minimum */
	BOOT_INFO_BAD_MEMMAP_ENTRY,    /* found: entry size, expected: sizeof(quire_mem_range) */
	BOOT_INFO_BAD_MEMMAP_COUNT,    /* found: count, expected: the maximum */
	BOOT_INFO_BAD_MEMMAP_ADDRESS,  /* found: address (0 or unaligned) */
	BOOT_INFO_BAD_ALLOC_ENTRY,     /* found: entry size, expected: sizeof(quire_alloc_record) */
	BOOT_INFO_BAD_ALLOC_COUNT,     /* found: count, expected: the maximum */
	BOOT_INFO_BAD_ALLOC_ADDRESS,   /* found: address (0 or unaligned with a nonzero count) */
	BOOT_INFO_NO_CMDLINE,          /* the command line pointer is 0 */
	BOOT_INFO_BAD_CMDLINE_LENGTH,  /* found: length, expected: the maximum */
	BOOT_INFO_BAD_PML4,            /* found: address (0 or unaligned) */
	BOOT_INFO_BAD_KERNEL_IMAGE,    /* found: virtual base, expected: QUIRE_KERNEL_LINK_BASE */
	BOOT_INFO_BAD_FRAMEBUFFER,     /* found: format, or a geometry that does not fit its size */
	BOOT_INFO_BAD_FIRMWARE_VENDOR, /* the vendor string is not NUL-terminated */
	BOOT_INFO_FAULT_COUNT
};

struct boot_info_problem {
	enum boot_info_fault fault;
	uint64_t found;
	uint64_t expected;
};

/*
 * boot_info_validate - checks BI and, on failure, fills *PROBLEM with the first problem found.
 * Returns KERR_OK for an acceptable boot_info (PROBLEM->fault is then BOOT_INFO_OK), KERR_INVALID
 * otherwise. BI must point to at least sizeof(struct quire_boot_info) readable bytes. Pure.
 */
kerr_t boot_info_validate(const struct quire_boot_info *bi, struct boot_info_problem *problem);

/*
 * boot_info_describe - writes a one-line description of PROBLEM ("bad magic 0x... (expected
 * 0x...)") into BUF of SIZE bytes, NUL-terminated and truncated to fit. Returns the full length
 * as format_snprintf() does. Pure.
 */
size_t boot_info_describe(const struct boot_info_problem *problem, char *buf, size_t size);
