/*
 * libFuzzer target: boot_info_validate() and boot_info_describe() (kernel/boot_info.c).
 *
 * boot_info_validate() follows no pointer: it reads the struct quire_boot_info alone (the memory
 * map, allocation register, command line and the rest are physical addresses it only checks for
 * being zero or aligned). So the harness builds that struct from the input and hands the validator
 * a heap copy of exactly sizeof(struct quire_boot_info) bytes, all it may read (ASan sees any byte
 * past it). The input is a flags byte, then the struct's bytes (zeros when the input is shorter).
 * The flags fix chosen fields to what the loader writes, so the fuzzer spends its time on the
 * later checks as well as on the header: bit 0 the header (magic, version, a size of at least the
 * struct's), bit 1 the entry sizes, bit 2 the kernel's link address, bit 3 a NUL at the end of
 * the firmware vendor string, bit 4 the counts and pointers (within bounds, non-zero, aligned),
 * bit 5 the framebuffer's format, width, height, stride and base, leaving its size alone: with
 * all six set only the framebuffer's size is left to judge.
 *
 * Checked: the result is KERR_OK exactly when the fault is BOOT_INFO_OK, and the fault is a known
 * one; the header is judged first and in the documented order (magic, version, size), with the
 * value found reported; a boot_info that is accepted keeps every promise of boot_info.h, checked
 * here in 128-bit arithmetic: the counts within their bounds, the pointers the kernel follows
 * non-zero and aligned, the kernel at its link address, the vendor string terminated, and a
 * framebuffer whose size holds height * stride * 4 bytes. boot_info_describe() must write a
 * NUL-terminated prefix of its message into a buffer of any size, the heap copy of exactly that
 * size, and return the full length.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quire/boot.h>

#include "kernel/boot_info.h"

typedef unsigned __int128 u128;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((format(printf, 1, 2))) static _Noreturn void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fuzz_boot_info: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

/* The struct from the input, with the fields the flags name set as the loader sets them. */
static void build(const uint8_t *data, size_t size, struct quire_boot_info *bi)
{
	uint8_t flags = size > 0 ? data[0] : 0;
	size_t n = size > 0 ? size - 1 : 0;

	memset(bi, 0, sizeof(*bi));
	memcpy(bi, data + (size > 0), n < sizeof(*bi) ? n : sizeof(*bi));
	if (flags & 1) {
		bi->magic = QUIRE_BOOT_MAGIC;
		bi->version = QUIRE_BOOT_VERSION;
		if (bi->size < sizeof(*bi))
			bi->size = sizeof(*bi);
	}
	if (flags & 2) {
		bi->memory_map_entry_size = sizeof(struct quire_mem_range);
		bi->alloc_register_entry_size = sizeof(struct quire_alloc_record);
	}
	if (flags & 4)
		bi->kernel_virt_base = QUIRE_KERNEL_LINK_BASE;
	if (flags & 8)
		bi->firmware_vendor[sizeof(bi->firmware_vendor) - 1] = '\0';
	if (flags & 16) {
		bi->memory_map_count = 1 + bi->memory_map_count % BOOT_INFO_MAX_MEMMAP_ENTRIES;
		bi->memory_map = (bi->memory_map | 8) & ~7ull;
		bi->alloc_register_count %= BOOT_INFO_MAX_ALLOC_RECORDS + 1;
		bi->alloc_register = (bi->alloc_register | 8) & ~7ull;
		bi->cmdline |= 1;
		bi->cmdline_len %= BOOT_INFO_MAX_CMDLINE + 1;
		bi->pml4 = (bi->pml4 | 4096) & ~4095ull;
		bi->kernel_size |= 4096;
	}
	if (flags & 32) {
		struct quire_framebuffer *fb = &bi->framebuffer;
		fb->format = 1 + fb->format % QUIRE_FB_BITMASK;
		fb->width |= 1;
		fb->height |= 1;
		if (fb->pixels_per_scan_line < fb->width)
			fb->pixels_per_scan_line = fb->width;
		fb->base |= 4096;
	}
}

/* Everything boot_info.h promises of a boot_info that boot_info_validate() accepted. */
static void check_accepted(const struct quire_boot_info *bi)
{
	const struct quire_framebuffer *fb = &bi->framebuffer;

	if (bi->magic != QUIRE_BOOT_MAGIC || bi->version != QUIRE_BOOT_VERSION ||
	    bi->size < sizeof(*bi))
		fuzz_fail("accepted a bad header");
	if (bi->memory_map_entry_size != sizeof(struct quire_mem_range) ||
	    bi->memory_map_count == 0 || bi->memory_map_count > BOOT_INFO_MAX_MEMMAP_ENTRIES ||
	    bi->memory_map == 0 || bi->memory_map % 8 != 0)
		fuzz_fail("accepted a bad memory map: %u entries of %u bytes at %#llx",
			  bi->memory_map_count, bi->memory_map_entry_size,
			  (unsigned long long)bi->memory_map);
	if (bi->alloc_register_entry_size != sizeof(struct quire_alloc_record) ||
	    bi->alloc_register_count > BOOT_INFO_MAX_ALLOC_RECORDS ||
	    (bi->alloc_register_count > 0 &&
	     (bi->alloc_register == 0 || bi->alloc_register % 8 != 0)))
		fuzz_fail("accepted a bad allocation register: %u entries of %u bytes at %#llx",
			  bi->alloc_register_count, bi->alloc_register_entry_size,
			  (unsigned long long)bi->alloc_register);
	if (bi->cmdline == 0 || bi->cmdline_len > BOOT_INFO_MAX_CMDLINE)
		fuzz_fail("accepted a bad command line: %u bytes at %#llx", bi->cmdline_len,
			  (unsigned long long)bi->cmdline);
	if (bi->pml4 == 0 || bi->pml4 % 4096 != 0)
		fuzz_fail("accepted a bad PML4 %#llx", (unsigned long long)bi->pml4);
	if (bi->kernel_virt_base != QUIRE_KERNEL_LINK_BASE || bi->kernel_size == 0)
		fuzz_fail("accepted a kernel image at %#llx of %llu bytes",
			  (unsigned long long)bi->kernel_virt_base,
			  (unsigned long long)bi->kernel_size);
	if (memchr(bi->firmware_vendor, '\0', sizeof(bi->firmware_vendor)) == NULL)
		fuzz_fail("accepted an unterminated firmware vendor");
	if (fb->format > QUIRE_FB_BITMASK)
		fuzz_fail("accepted framebuffer format %u", fb->format);
	if (fb->format == QUIRE_FB_NONE)
		return;
	u128 need = (u128)fb->height * fb->pixels_per_scan_line * 4;
	if (fb->width == 0 || fb->height == 0 || fb->pixels_per_scan_line < fb->width ||
	    fb->base == 0 || fb->size < need)
		fuzz_fail("accepted a framebuffer of %ux%u, stride %u, %llu bytes at %#llx (needs "
			  "%#llx%016llx bytes)",
			  fb->width, fb->height, fb->pixels_per_scan_line,
			  (unsigned long long)fb->size, (unsigned long long)fb->base,
			  (unsigned long long)(need >> 64), (unsigned long long)need);
}

/* The header is judged first, in this order, and the value found is reported. */
static void check_header_order(const struct quire_boot_info *bi, const struct boot_info_problem *p)
{
	enum boot_info_fault want = BOOT_INFO_OK;
	uint64_t found = 0;

	if (bi->magic != QUIRE_BOOT_MAGIC) {
		want = BOOT_INFO_BAD_MAGIC;
		found = bi->magic;
	} else if (bi->version != QUIRE_BOOT_VERSION) {
		want = BOOT_INFO_BAD_VERSION;
		found = bi->version;
	} else if (bi->size < sizeof(*bi)) {
		want = BOOT_INFO_SHORT_SIZE;
		found = bi->size;
	}
	if (want == BOOT_INFO_OK) {
		if (p->fault == BOOT_INFO_BAD_MAGIC || p->fault == BOOT_INFO_BAD_VERSION ||
		    p->fault == BOOT_INFO_SHORT_SIZE)
			fuzz_fail("a good header judged bad (fault %d)", p->fault);
		return;
	}
	if (p->fault != want || p->found != found)
		fuzz_fail("header: fault %d found %#llx, want fault %d found %#llx", p->fault,
			  (unsigned long long)p->found, want, (unsigned long long)found);
}

/* boot_info_describe() into a buffer of exactly SIZE bytes (none when 0). */
static void check_describe(const struct boot_info_problem *p, size_t size)
{
	char full[256];
	size_t len = boot_info_describe(p, full, sizeof(full));

	if (len >= sizeof(full) || strlen(full) != len)
		fuzz_fail("description of fault %d: length %zu, strlen %zu", p->fault, len,
			  strlen(full));
	char *buf = size > 0 ? malloc(size) : NULL;
	if (size > 0 && buf == NULL)
		fuzz_fail("out of host memory");
	size_t got = boot_info_describe(p, buf, size);
	if (got != len)
		fuzz_fail("description into %zu bytes: length %zu, want %zu", size, got, len);
	if (size > 0) {
		size_t kept = len < size - 1 ? len : size - 1;
		if (strlen(buf) != kept || memcmp(buf, full, kept) != 0)
			fuzz_fail("description into %zu bytes is not a prefix", size);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quire_boot_info built;
	struct boot_info_problem problem;

	build(data, size, &built);
	struct quire_boot_info *bi = malloc(sizeof(*bi));
	if (bi == NULL)
		fuzz_fail("out of host memory");
	memcpy(bi, &built, sizeof(*bi));
	memset(&problem, 0xa5, sizeof(problem));
	kerr_t err = boot_info_validate(bi, &problem);
	if (memcmp(bi, &built, sizeof(*bi)) != 0)
		fuzz_fail("boot_info_validate changed the boot_info");
	if ((unsigned)problem.fault >= BOOT_INFO_FAULT_COUNT)
		fuzz_fail("fault %d out of range", problem.fault);
	if ((err == KERR_OK) != (problem.fault == BOOT_INFO_OK) ||
	    (err != KERR_OK && err != KERR_INVALID))
		fuzz_fail("result %d with fault %d", err, problem.fault);
	check_header_order(bi, &problem);
	if (err == KERR_OK)
		check_accepted(bi);
	check_describe(&problem, size > 0 ? data[size - 1] % 96 : 0);
	free(bi);
	return 0;
}
