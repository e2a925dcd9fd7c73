/*
 * Host tests of kernel/memmap.c: totals by type on a realistic OVMF-like map, then a table of edge
 * cases (empty, unsorted, overlapping, adjacent, tiny and huge entries, entries above 4 GiB,
 * unknown types, misaligned and wrapping entries), each with the problems memmap_check() must
 * report and the totals memmap_totals() must give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "kernel/memmap.h"

#define GiB   (1ull << 30)
#define PAGES (1ull << 52) /* pages in a 2^64-byte space */

static void test_realistic_map(void **state)
{
	static const struct quire_mem_range map[] = {
	    {0x0, 160, QUIRE_MEM_USABLE, 0},
	    {0xa0000, 96, QUIRE_MEM_RESERVED, 0},
	    {0x100000, 1792, QUIRE_MEM_USABLE, 0},
	    {0x800000, 8, QUIRE_MEM_ACPI_NVS, 0},
	    {0x808000, 3, QUIRE_MEM_USABLE, 0},
	    {0x80b000, 1, QUIRE_MEM_ACPI_NVS, 0},
	    {0x80c000, 500, QUIRE_MEM_LOADER, 0},
	    {0xa00000, 3000, QUIRE_MEM_BOOT_SERVICES, 0},
	    {0x15b8000, 20, QUIRE_MEM_RUNTIME_SERVICES, 0},
	    {0x15cc000, 10, QUIRE_MEM_ACPI_RECLAIM, 0},
	    {0xb0000000, 65536, QUIRE_MEM_MMIO, 0},
	    {0x100000000, 262144, QUIRE_MEM_USABLE, 0},
	};
	struct memmap_totals t;

	assert_int_equal(memmap_check(map, 12), 0);
	memmap_totals(map, 12, &t);
	assert_int_equal(t.entries, 12);
	assert_int_equal(t.pages[QUIRE_MEM_USABLE], 160 + 1792 + 3 + 262144);
	assert_int_equal(t.pages[QUIRE_MEM_ACPI_NVS], 9);
	assert_int_equal(t.pages[QUIRE_MEM_BOOT_SERVICES], 3000);
	assert_int_equal(t.pages[QUIRE_MEM_MMIO], 65536);
	assert_int_equal(t.pages[0], 0);
	uint64_t sum = 0;
	for (int i = 0; i < QUIRE_MEM_TYPE_COUNT; i++)
		sum += t.pages[i];
	assert_int_equal(sum, t.total_pages);
	assert_int_equal(t.highest_end, 0x100000000ull + 262144ull * 4096);
	assert_int_equal(t.highest_usable_end, t.highest_end);
}

struct edge_case {
	const char *name;
	struct quire_mem_range map[4];
	size_t count;
	unsigned problems;
	uint64_t usable_pages;
	uint64_t total_pages;
	uint64_t unknown_pages;
	uint64_t highest_end;
};

static const struct edge_case cases[] = {
    {
	.name = "empty",
	.map = {{0}},
	.count = 0,
	.problems = 0,
	.usable_pages = 0,
	.total_pages = 0,
	.unknown_pages = 0,
	.highest_end = 0,
    },
    {
	.name = "one tiny page",
	.map = {{0x1000, 1, QUIRE_MEM_USABLE, 0}},
	.count = 1,
	.problems = 0,
	.usable_pages = 1,
	.total_pages = 1,
	.unknown_pages = 0,
	.highest_end = 0x2000,
    },
    {
	.name = "adjacent entries do not overlap",
	.map = {{0x0, 1, QUIRE_MEM_USABLE, 0}, {0x1000, 1, QUIRE_MEM_LOADER, 0}},
	.count = 2,
	.problems = 0,
	.usable_pages = 1,
	.total_pages = 2,
	.unknown_pages = 0,
	.highest_end = 0x2000,
    },
    {
	.name = "unsorted",
	.map = {{0x10000, 1, QUIRE_MEM_USABLE, 0}, {0x0, 2, QUIRE_MEM_USABLE, 0}},
	.count = 2,
	.problems = MEMMAP_UNSORTED,
	.usable_pages = 3,
	.total_pages = 3,
	.unknown_pages = 0,
	.highest_end = 0x11000,
    },
    {
	.name = "overlapping neighbours",
	.map = {{0x0, 4, QUIRE_MEM_USABLE, 0}, {0x3000, 4, QUIRE_MEM_RESERVED, 0}},
	.count = 2,
	.problems = MEMMAP_OVERLAP,
	.usable_pages = 4,
	.total_pages = 8,
	.unknown_pages = 0,
	.highest_end = 0x7000,
    },
    {
	.name = "overlap across an empty entry",
	.map = {{0x0, 4, QUIRE_MEM_USABLE, 0},
		{0x1000, 0, QUIRE_MEM_USABLE, 0},
		{0x2000, 1, QUIRE_MEM_RESERVED, 0}},
	.count = 3,
	.problems = MEMMAP_OVERLAP | MEMMAP_EMPTY_ENTRY,
	.usable_pages = 4,
	.total_pages = 5,
	.unknown_pages = 0,
	.highest_end = 0x4000,
    },
    {
	.name = "unsorted and overlapping far apart",
	.map = {{0x100000, 16, QUIRE_MEM_USABLE, 0},
		{0x0, 1, QUIRE_MEM_USABLE, 0},
		{0x10f000, 1, QUIRE_MEM_MMIO, 0}},
	.count = 3,
	.problems = MEMMAP_UNSORTED | MEMMAP_OVERLAP,
	.usable_pages = 17,
	.total_pages = 18,
	.unknown_pages = 0,
	.highest_end = 0x110000,
    },
    {
	.name = "one entry containing another",
	.map = {{0x0, 100, QUIRE_MEM_USABLE, 0},
		{0x5000, 1, QUIRE_MEM_USABLE, 0},
		{0x64000, 1, QUIRE_MEM_USABLE, 0}},
	.count = 3,
	.problems = MEMMAP_OVERLAP,
	.usable_pages = 102,
	.total_pages = 102,
	.unknown_pages = 0,
	.highest_end = 0x65000,
    },
    {
	.name = "above 4 GiB",
	.map = {{0x0, 16, QUIRE_MEM_USABLE, 0},
		{4 * GiB, 1, QUIRE_MEM_RESERVED, 0},
		{64 * GiB, 262144, QUIRE_MEM_USABLE, 0}},
	.count = 3,
	.problems = 0,
	.usable_pages = 262160,
	.total_pages = 262161,
	.unknown_pages = 0,
	.highest_end = 65 * GiB,
    },
    {
	.name = "huge entry ending exactly at 2^64",
	.map = {{0x0, PAGES, QUIRE_MEM_USABLE, 0}},
	.count = 1,
	.problems = 0,
	.usable_pages = PAGES,
	.total_pages = PAGES,
	.unknown_pages = 0,
	.highest_end = UINT64_MAX,
    },
    {
	.name = "wrapping entry",
	.map = {{0x1000, PAGES, QUIRE_MEM_RESERVED, 0}, {0x0, UINT64_MAX, QUIRE_MEM_USABLE, 0}},
	.count = 2,
	.problems = MEMMAP_WRAPS | MEMMAP_UNSORTED | MEMMAP_OVERLAP,
	.usable_pages = UINT64_MAX,
	.total_pages = UINT64_MAX,
	.unknown_pages = 0,
	.highest_end = UINT64_MAX,
    },
    {
	.name = "unknown types",
	.map = {{0x0, 1, 0, 0}, {0x1000, 2, 99, 0}, {0x3000, 4, QUIRE_MEM_TYPE_COUNT, 0}},
	.count = 3,
	.problems = MEMMAP_UNKNOWN_TYPE,
	.usable_pages = 0,
	.total_pages = 7,
	.unknown_pages = 7,
	.highest_end = 0x7000,
    },
    {
	.name = "misaligned and empty",
	.map = {{0x10, 1, QUIRE_MEM_USABLE, 0}, {0x2000, 0, QUIRE_MEM_USABLE, 0}},
	.count = 2,
	.problems = MEMMAP_MISALIGNED | MEMMAP_EMPTY_ENTRY,
	.usable_pages = 1,
	.total_pages = 1,
	.unknown_pages = 0,
	.highest_end = 0x1010,
    },
};

static void test_edge_cases(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct edge_case *c = &cases[i];
		struct memmap_totals t;

		printf("# memmap case: %s\n", c->name);
		assert_int_equal(memmap_check(c->map, c->count), c->problems);
		memmap_totals(c->map, c->count, &t);
		assert_int_equal(t.entries, c->count);
		assert_int_equal(t.pages[QUIRE_MEM_USABLE], c->usable_pages);
		assert_int_equal(t.total_pages, c->total_pages);
		assert_int_equal(t.pages[0], c->unknown_pages);
		assert_int_equal(t.highest_end, c->highest_end);
	}
}

static void test_saturating_sum(void **state)
{
	static const struct quire_mem_range map[] = {
	    {0x0, UINT64_MAX / 2, QUIRE_MEM_USABLE, 0},
	    {0x0, UINT64_MAX / 2, QUIRE_MEM_USABLE, 0},
	    {0x0, 10, QUIRE_MEM_USABLE, 0},
	};
	struct memmap_totals t;

	memmap_totals(map, 3, &t);
	assert_int_equal(t.pages[QUIRE_MEM_USABLE], UINT64_MAX);
	assert_int_equal(t.total_pages, UINT64_MAX);
}

static void test_range_end(void **state)
{
	struct quire_mem_range r = {0x1000, 2, QUIRE_MEM_USABLE, 0};

	assert_int_equal(memmap_range_end(&r), 0x3000);
	r = (struct quire_mem_range){UINT64_MAX - 0xfff, 1, QUIRE_MEM_USABLE, 0};
	assert_int_equal(memmap_range_end(&r), UINT64_MAX);
	r.pages = 2;
	assert_int_equal(memmap_range_end(&r), UINT64_MAX);
}

static void test_type_names(void **state)
{
	assert_string_equal(memmap_type_name(QUIRE_MEM_USABLE), "usable");
	assert_string_equal(memmap_type_name(QUIRE_MEM_PERSISTENT), "persistent");
	assert_string_equal(memmap_type_name(0), "unknown");
	assert_string_equal(memmap_type_name(QUIRE_MEM_TYPE_COUNT), "unknown");
	assert_string_equal(memmap_type_name(UINT32_MAX), "unknown");
	for (uint32_t t = 1; t < QUIRE_MEM_TYPE_COUNT; t++)
		assert_string_not_equal(memmap_type_name(t), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_realistic_map),  cmocka_unit_test(test_edge_cases),
	    cmocka_unit_test(test_saturating_sum), cmocka_unit_test(test_range_end),
	    cmocka_unit_test(test_type_names),
	};
	return cmocka_run_group_tests_name("kernel_memmap", tests, NULL, NULL);
}
