/*
 * Host tests of bootloader/memmap_convert.c: UEFI type translation, then maps laid out the way
 * firmware lays them out (DescriptorSize 48, padding filled with junk, unsorted) converted into
 * the Quire map: sorted, merged, page-aligned, free of overlaps, the most restrictive type
 * winning where descriptors overlap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bootloader/memmap_convert.h"

#define OVMF_DESC_SIZE 48
#define MAX_DESC       32
#define P              4096ull

struct desc {
	uint32_t type;
	uint64_t start;
	uint64_t pages;
};

static unsigned char map[MAX_DESC * 64];
static struct quire_mem_range out[2 * MAX_DESC];
static size_t count;

/* Lays `n` descriptors out `desc_size` apart, the bytes between them set to 0xa5. */
static size_t lay_out(const struct desc *d, size_t n, size_t desc_size)
{
	memset(map, 0xa5, sizeof(map));
	for (size_t i = 0; i < n; i++) {
		struct uefi_memory_descriptor u = {.type = d[i].type,
						   .pad = 0xdeadbeef,
						   .physical_start = d[i].start,
						   .virtual_start = 0x1234,
						   .number_of_pages = d[i].pages,
						   .attribute = 0xf};

		memcpy(map + i * desc_size, &u, sizeof(u));
	}
	return n * desc_size;
}

static enum memmap_convert_result convert(const struct desc *d, size_t n)
{
	size_t size = lay_out(d, n, OVMF_DESC_SIZE);

	return memmap_convert(map, size, OVMF_DESC_SIZE, out, memmap_convert_capacity(n), &count);
}

static void expect(size_t i, uint64_t base, uint64_t pages, uint32_t type)
{
	assert_true(i < count);
	assert_int_equal(out[i].base, base);
	assert_int_equal(out[i].pages, pages);
	assert_int_equal(out[i].type, type);
	assert_int_equal(out[i].reserved, 0);
}

static void test_type_translation(void **state)
{
	static const uint32_t expected[] = {
	    QUIRE_MEM_RESERVED,
	    QUIRE_MEM_LOADER,
	    QUIRE_MEM_LOADER,
	    QUIRE_MEM_BOOT_SERVICES,
	    QUIRE_MEM_BOOT_SERVICES,
	    QUIRE_MEM_RUNTIME_SERVICES,
	    QUIRE_MEM_RUNTIME_SERVICES,
	    QUIRE_MEM_USABLE,
	    QUIRE_MEM_UNUSABLE,
	    QUIRE_MEM_ACPI_RECLAIM,
	    QUIRE_MEM_ACPI_NVS,
	    QUIRE_MEM_MMIO,
	    QUIRE_MEM_MMIO,
	    QUIRE_MEM_RESERVED,
	    QUIRE_MEM_PERSISTENT,
	    QUIRE_MEM_RESERVED,
	};

	for (uint32_t t = 0; t < sizeof(expected) / sizeof(expected[0]); t++)
		assert_int_equal(memmap_convert_type(t), expected[t]);
	assert_int_equal(memmap_convert_type(16), QUIRE_MEM_RESERVED);
	assert_int_equal(memmap_convert_type(0x70000000), QUIRE_MEM_RESERVED); /* OEM */
	assert_int_equal(memmap_convert_type(0x80000000), QUIRE_MEM_RESERVED); /* OS loader */
}

/* An OVMF-like map, shuffled: sorted on output, neighbours of one Quire type merged (loader code
 * and data become one LOADER range; boot-services code and data one range). */
static void test_realistic_unsorted(void **state)
{
	static const struct desc d[] = {
	    {UEFI_CONVENTIONAL_MEMORY, 0x100000, 0x700},
	    {UEFI_BOOT_SERVICES_DATA, 0x0, 1},
	    {UEFI_LOADER_DATA, 0x801000, 4},
	    {UEFI_CONVENTIONAL_MEMORY, 0x1000, 0x9f},
	    {UEFI_ACPI_MEMORY_NVS, 0x800000, 1},
	    {UEFI_LOADER_CODE, 0x805000, 0x10},
	    {UEFI_BOOT_SERVICES_CODE, 0x815000, 0x20},
	    {UEFI_BOOT_SERVICES_DATA, 0x835000, 0x30},
	    {UEFI_MEMORY_MAPPED_IO, 0xffc00000, 0x400},
	    {UEFI_CONVENTIONAL_MEMORY, 0x100000000, 0x40000},
	    {UEFI_RUNTIME_SERVICES_DATA, 0x865000, 2},
	};

	assert_int_equal(convert(d, 11), MEMMAP_CONVERT_OK);
	assert_int_equal(count, 9);
	expect(0, 0x0, 1, QUIRE_MEM_BOOT_SERVICES);
	expect(1, 0x1000, 0x9f, QUIRE_MEM_USABLE);
	expect(2, 0x100000, 0x700, QUIRE_MEM_USABLE);
	expect(3, 0x800000, 1, QUIRE_MEM_ACPI_NVS);
	expect(4, 0x801000, 0x14, QUIRE_MEM_LOADER);
	expect(5, 0x815000, 0x50, QUIRE_MEM_BOOT_SERVICES);
	expect(6, 0x865000, 2, QUIRE_MEM_RUNTIME_SERVICES);
	expect(7, 0xffc00000, 0x400, QUIRE_MEM_MMIO);
	expect(8, 0x100000000, 0x40000, QUIRE_MEM_USABLE);
}

/* The fast path (an ordered map) and the sweep (any other) agree: the same descriptors sorted and
 * shuffled give the same Quire map. */
static void test_ordered_matches_shuffled(void **state)
{
	static const struct desc sorted[] = {
	    {UEFI_BOOT_SERVICES_DATA, 0x0, 1},
	    {UEFI_CONVENTIONAL_MEMORY, 0x1000, 0x9f},
	    {UEFI_CONVENTIONAL_MEMORY, 0x100000, 0x700},
	    {UEFI_ACPI_MEMORY_NVS, 0x800000, 1},
	    {UEFI_LOADER_DATA, 0x801000, 4},
	    {UEFI_LOADER_CODE, 0x805000, 0x10},
	    {UEFI_MEMORY_MAPPED_IO, 0xffc00000, 0x400},
	};
	const struct desc shuffled[] = {
	    sorted[3], sorted[6], sorted[0], sorted[5], sorted[2], sorted[1], sorted[4],
	};
	struct quire_mem_range first[16];
	size_t first_count;

	assert_int_equal(convert(sorted, 7), MEMMAP_CONVERT_OK);
	memcpy(first, out, sizeof(first));
	first_count = count;
	assert_int_equal(convert(shuffled, 7), MEMMAP_CONVERT_OK);
	assert_int_equal(count, first_count);
	assert_memory_equal(out, first, count * sizeof(out[0]));
	assert_int_equal(count, 6);
	expect(4, 0x801000, 0x14, QUIRE_MEM_LOADER);
}

/* Sorted descriptors that overlap only once rounded (two misaligned reserved ranges sharing a
 * page) leave the fast path; the result still has no overlap. */
static void test_overlap_from_rounding(void **state)
{
	static const struct desc d[] = {
	    {UEFI_RESERVED_MEMORY, 0x0, 1},    /* [0, 0x1000) */
	    {UEFI_ACPI_MEMORY_NVS, 0x1800, 1}, /* [0x1800, 0x2800) -> [0x1000, 0x3000) */
	    {UEFI_RESERVED_MEMORY, 0x2800, 1}, /* [0x2800, 0x3800) -> [0x2000, 0x4000) */
	};

	assert_int_equal(convert(d, 3), MEMMAP_CONVERT_OK);
	assert_int_equal(count, 3);
	expect(0, 0x0, 1, QUIRE_MEM_RESERVED);
	expect(1, 0x1000, 1, QUIRE_MEM_ACPI_NVS);
	expect(2, 0x2000, 2, QUIRE_MEM_RESERVED);
}

static void test_merge_rules(void **state)
{
	static const struct desc d[] = {
	    {UEFI_CONVENTIONAL_MEMORY, 0x0, 4},
	    {UEFI_CONVENTIONAL_MEMORY, 0x4000, 4}, /* touches: merged */
	    {UEFI_CONVENTIONAL_MEMORY, 0x9000, 1}, /* a hole before it: separate */
	    {UEFI_ACPI_RECLAIM_MEMORY, 0xa000, 1}, /* touches, other type: separate */
	    {UEFI_ACPI_RECLAIM_MEMORY, 0xb000, 1}, /* merged with the one before */
	};

	assert_int_equal(convert(d, 5), MEMMAP_CONVERT_OK);
	assert_int_equal(count, 3);
	expect(0, 0x0, 8, QUIRE_MEM_USABLE);
	expect(1, 0x9000, 1, QUIRE_MEM_USABLE);
	expect(2, 0xa000, 2, QUIRE_MEM_ACPI_RECLAIM);
}

/* The stride is DescriptorSize, not sizeof: with 48-byte descriptors read as 40-byte ones the
 * second descriptor would be junk. The same map laid out at 40 and at 64 bytes gives the same. */
static void test_descriptor_size(void **state)
{
	static const struct desc d[] = {
	    {UEFI_CONVENTIONAL_MEMORY, 0x200000, 16},
	    {UEFI_RUNTIME_SERVICES_CODE, 0x100000, 16},
	};
	size_t strides[] = {40, 48, 64};

	for (size_t s = 0; s < 3; s++) {
		size_t size = lay_out(d, 2, strides[s]);

		assert_int_equal(memmap_convert(map, size, strides[s], out, 4, &count),
				 MEMMAP_CONVERT_OK);
		assert_int_equal(count, 2);
		expect(0, 0x100000, 16, QUIRE_MEM_RUNTIME_SERVICES);
		expect(1, 0x200000, 16, QUIRE_MEM_USABLE);
	}
	assert_int_equal(memmap_convert(map, 96, 32, out, 4, &count),
			 MEMMAP_CONVERT_BAD_DESCRIPTOR_SIZE);
	assert_int_equal(count, 0);
	assert_int_equal(memmap_convert_ram_end(map, 96, 32), 0);
}

/* A trailing partial descriptor (map_size not a multiple of the stride) is ignored. */
static void test_partial_trailing_descriptor(void **state)
{
	static const struct desc d[] = {{UEFI_CONVENTIONAL_MEMORY, 0x0, 1}};
	size_t size = lay_out(d, 1, OVMF_DESC_SIZE);

	assert_int_equal(memmap_convert(map, size + 20, OVMF_DESC_SIZE, out, 2, &count),
			 MEMMAP_CONVERT_OK);
	assert_int_equal(count, 1);
}

static void test_overlap_restrictive_wins(void **state)
{
	static const struct desc d[] = {
	    {UEFI_CONVENTIONAL_MEMORY, 0x0, 16},    /* [0, 0x10000) */
	    {UEFI_RESERVED_MEMORY, 0x4000, 2},      /* a hole punched in the middle */
	    {UEFI_CONVENTIONAL_MEMORY, 0x20000, 4}, /* swallowed by the reserved range below */
	    {UEFI_RESERVED_MEMORY, 0x1f000, 8},
	};

	assert_int_equal(convert(d, 4), MEMMAP_CONVERT_OK);
	assert_int_equal(count, 4);
	expect(0, 0x0, 4, QUIRE_MEM_USABLE);
	expect(1, 0x4000, 2, QUIRE_MEM_RESERVED);
	expect(2, 0x6000, 10, QUIRE_MEM_USABLE);
	expect(3, 0x1f000, 8, QUIRE_MEM_RESERVED);
}

/* Usable memory never overrides firmware memory, whichever comes first in the map. */
static void test_overlap_order_independent(void **state)
{
	static const struct desc a[] = {
	    {UEFI_RUNTIME_SERVICES_DATA, 0x1000, 2},
	    {UEFI_CONVENTIONAL_MEMORY, 0x0, 4},
	};
	static const struct desc b[] = {
	    {UEFI_CONVENTIONAL_MEMORY, 0x0, 4},
	    {UEFI_RUNTIME_SERVICES_DATA, 0x1000, 2},
	};

	for (int pass = 0; pass < 2; pass++) {
		assert_int_equal(convert(pass ? b : a, 2), MEMMAP_CONVERT_OK);
		assert_int_equal(count, 3);
		expect(0, 0x0, 1, QUIRE_MEM_USABLE);
		expect(1, 0x1000, 2, QUIRE_MEM_RUNTIME_SERVICES);
		expect(2, 0x3000, 1, QUIRE_MEM_USABLE);
	}
}

/* Misaligned bounds: usable memory shrinks to whole pages, reserved memory grows to them. */
static void test_rounding(void **state)
{
	static const struct desc d[] = {
	    {UEFI_CONVENTIONAL_MEMORY, 0x10800, 4}, /* [0x10800, 0x14800) -> [0x11000, 0x14000) */
	    {UEFI_RESERVED_MEMORY, 0x20800, 1},     /* [0x20800, 0x21800) -> [0x20000, 0x22000) */
	    {UEFI_CONVENTIONAL_MEMORY, 0x30800, 1}, /* covers no whole page: dropped */
	};

	assert_int_equal(convert(d, 3), MEMMAP_CONVERT_OK);
	assert_int_equal(count, 2);
	expect(0, 0x11000, 3, QUIRE_MEM_USABLE);
	expect(1, 0x20000, 2, QUIRE_MEM_RESERVED);
}

static void test_empty_and_huge(void **state)
{
	static const struct desc d[] = {
	    {UEFI_CONVENTIONAL_MEMORY, 0x5000, 0},                /* empty: skipped */
	    {UEFI_RESERVED_MEMORY, 0xfffffff000000000ull, ~0ull}, /* would wrap: clamped */
	    {UEFI_CONVENTIONAL_MEMORY, ~0ull & ~0xfffull, 1},     /* the last page: unusable */
	};

	assert_int_equal(convert(d, 3), MEMMAP_CONVERT_OK);
	assert_int_equal(count, 1);
	expect(0, 0xfffffff000000000ull, (0xfffffffffffff000ull - 0xfffffff000000000ull) / P,
	       QUIRE_MEM_RESERVED);
	assert_int_equal(convert(d, 1), MEMMAP_CONVERT_OK);
	assert_int_equal(count, 0);
}

static void test_no_room(void **state)
{
	static const struct desc d[] = {
	    {UEFI_CONVENTIONAL_MEMORY, 0x0, 1},
	    {UEFI_RESERVED_MEMORY, 0x1000, 1},
	    {UEFI_CONVENTIONAL_MEMORY, 0x2000, 1},
	};
	size_t size = lay_out(d, 3, OVMF_DESC_SIZE);

	assert_int_equal(memmap_convert(map, size, OVMF_DESC_SIZE, out, 2, &count),
			 MEMMAP_CONVERT_NO_ROOM);
	assert_int_equal(memmap_convert(map, size, OVMF_DESC_SIZE, out, 3, &count),
			 MEMMAP_CONVERT_OK);
	assert_int_equal(memmap_convert(map, 0, OVMF_DESC_SIZE, out, 0, &count), MEMMAP_CONVERT_OK);
	assert_int_equal(count, 0);
}

/* The worst case the capacity is sized for: n nested descriptors, each inside the last and of a
 * more restrictive type, give 2n - 1 pieces. The UEFI types below go up the rank order. */
static void test_capacity_worst_case(void **state)
{
	static const uint32_t ascending[] = {
	    UEFI_CONVENTIONAL_MEMORY, UEFI_BOOT_SERVICES_DATA, UEFI_LOADER_DATA,
	    UEFI_ACPI_RECLAIM_MEMORY, UEFI_PERSISTENT_MEMORY,  UEFI_RUNTIME_SERVICES_DATA,
	    UEFI_ACPI_MEMORY_NVS,     UEFI_UNUSABLE_MEMORY,    UEFI_MEMORY_MAPPED_IO,
	    UEFI_RESERVED_MEMORY,
	};
	enum { N = sizeof(ascending) / sizeof(ascending[0]) };
	struct desc d[N];

	for (size_t i = 0; i < N; i++)
		d[i] = (struct desc){ascending[i], i * P, 2 * (N - i) - 1};
	assert_int_equal(convert(d, N), MEMMAP_CONVERT_OK);
	assert_int_equal(count, 2 * N - 1);
	assert_true(count <= memmap_convert_capacity(N));
	for (size_t i = 0; i < N; i++) {
		expect(i, i * P, 1, memmap_convert_type(ascending[i]));
		expect(2 * N - 2 - i, (2 * N - 2 - i) * P, 1, memmap_convert_type(ascending[i]));
	}
}

static void test_ram_end(void **state)
{
	static const struct desc d[] = {
	    {UEFI_CONVENTIONAL_MEMORY, 0x100000, 0x1000},
	    {UEFI_MEMORY_MAPPED_IO, 0xfec00000, 1},    /* MMIO does not count */
	    {UEFI_RESERVED_MEMORY, 0xe0000000, 0x100}, /* reserved does */
	};
	size_t size = lay_out(d, 3, OVMF_DESC_SIZE);

	assert_int_equal(memmap_convert_ram_end(map, size, OVMF_DESC_SIZE), 0xe0100000);
	assert_int_equal(memmap_convert_ram_end(map, 0, OVMF_DESC_SIZE), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_type_translation),
	    cmocka_unit_test(test_realistic_unsorted),
	    cmocka_unit_test(test_ordered_matches_shuffled),
	    cmocka_unit_test(test_overlap_from_rounding),
	    cmocka_unit_test(test_merge_rules),
	    cmocka_unit_test(test_descriptor_size),
	    cmocka_unit_test(test_partial_trailing_descriptor),
	    cmocka_unit_test(test_overlap_restrictive_wins),
	    cmocka_unit_test(test_overlap_order_independent),
	    cmocka_unit_test(test_rounding),
	    cmocka_unit_test(test_empty_and_huge),
	    cmocka_unit_test(test_no_room),
	    cmocka_unit_test(test_capacity_worst_case),
	    cmocka_unit_test(test_ram_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
