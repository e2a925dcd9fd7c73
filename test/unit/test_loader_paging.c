/*
 * Host tests of bootloader/paging.c. The tables are built in heap memory standing for physical
 * memory at a made-up address; a software walker then translates addresses through them the way
 * the MMU would, collecting the effective permissions (writable only if every level allows it,
 * executable only if no level has NX), and the tests check the layout of boot.h: the linear map,
 * its executable identity alias sharing the PDPTs, all 256 kernel-half PDPTs, and the kernel's
 * segments with W^X.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bootloader/paging.h"

#include <quire/boot.h>

#define GiB       (1ull << 30)
#define POOL_PHYS 0x40000000ull /* where the pool "is" in physical memory */
#define KPHYS     0x01000000ull /* where the kernel image "is" */
#define BASE      QUIRE_KERNEL_LINK_BASE

static struct paging_pool pool;
static struct kernel_image kernel;

struct translation {
	int present;
	uint64_t phys;
	int writable;
	int executable;
	int large;
};

static uint64_t *table_at(uint64_t phys)
{
	assert_true(phys >= pool.phys && phys < pool.phys + pool.used * PAGING_PAGE_SIZE);
	return pool.base + (phys - pool.phys) / 8;
}

static struct translation walk_from(uint64_t pml4, uint64_t va)
{
	struct translation t = {.writable = 1, .executable = 1};
	uint64_t *table = table_at(pml4);

	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t e = table[(va >> shift) & 511];

		if (!(e & PTE_PRESENT))
			return (struct translation){0};
		assert_false(e & PTE_USER);
		t.writable &= !!(e & PTE_WRITABLE);
		t.executable &= !(e & PTE_NX);
		if (shift == 12 || (shift == 21 && (e & PTE_LARGE))) {
			uint64_t page = shift == 12 ? PAGING_PAGE_SIZE : PAGING_LARGE_SIZE;

			t.present = 1;
			t.large = shift == 21;
			t.phys = (e & PTE_ADDR_MASK & ~(page - 1)) + (va & (page - 1));
			return t;
		}
		assert_false(e & PTE_LARGE); /* no 1 GiB pages */
		table = table_at(e & PTE_ADDR_MASK);
	}
	return t;
}

static uint64_t pml4_phys;

static struct translation walk(uint64_t va)
{
	return walk_from(pml4_phys, va);
}

/* A kernel like the test kernel: text, rodata, data with bss, across a 2 MiB boundary. */
static void make_kernel(void)
{
	memset(&kernel, 0, sizeof(kernel));
	kernel.segments[0] =
	    (struct kernel_segment){BASE, 0x3000, 0x1000, 0x3000, ELF_PF_R | ELF_PF_X};
	kernel.segments[1] = (struct kernel_segment){BASE + 0x4000, 0x800, 0x5000, 0x800, ELF_PF_R};
	kernel.segments[2] =
	    (struct kernel_segment){BASE + 0x1ff000, 0x3000, 0x6000, 0x10, ELF_PF_R | ELF_PF_W};
	kernel.segment_count = 3;
	kernel.entry = BASE;
	kernel.virt_base = BASE;
	kernel.virt_end = BASE + 0x202000;
}

static int build(uint64_t linear_size)
{
	make_kernel();
	pool.pages = paging_pool_pages(linear_size, &kernel);
	pool.base = aligned_alloc(4096, pool.pages * PAGING_PAGE_SIZE);
	pool.phys = POOL_PHYS;
	pool.used = 0;
	memset(pool.base, 0, pool.pages * PAGING_PAGE_SIZE); /* the caller's duty */
	return paging_build(&pool, linear_size, &kernel, KPHYS, &pml4_phys);
}

static int teardown(void **state)
{
	free(pool.base);
	pool.base = NULL;
	return 0;
}

static void test_linear_size(void **state)
{
	assert_int_equal(paging_linear_size(0), 4 * GiB);
	assert_int_equal(paging_linear_size(128ull << 20), 4 * GiB);
	assert_int_equal(paging_linear_size(4 * GiB), 4 * GiB);
	assert_int_equal(paging_linear_size(4 * GiB + 1), 5 * GiB);
	assert_int_equal(paging_linear_size(8 * GiB + (512ull << 20)), 9 * GiB);
	assert_int_equal(paging_linear_size(QUIRE_LINEAR_MAP_MAX_SIZE * 2),
			 QUIRE_LINEAR_MAP_MAX_SIZE);
}

static void test_pool_pages(void **state)
{
	make_kernel();
	/* PML4 + 256 PDPTs + 4 PDs (4 GiB) + 1 kernel PD + 2 kernel PTs (two 2 MiB blocks). */
	assert_int_equal(paging_pool_pages(4 * GiB, &kernel), 1 + 256 + 4 + 1 + 2);
	assert_int_equal(paging_pool_pages(1024 * GiB, &kernel), 1 + 256 + 1024 + 1 + 2);
}

static void test_uses_exactly_the_pool(void **state)
{
	assert_int_equal(build(4 * GiB), PAGING_OK);
	assert_int_equal(pool.used, pool.pages);
	assert_int_equal(pml4_phys, POOL_PHYS);
}

static void test_kernel_half_pdpts(void **state)
{
	assert_int_equal(build(4 * GiB), PAGING_OK);
	uint64_t *pml4 = table_at(pml4_phys);
	for (int slot = 256; slot < 512; slot++) {
		assert_true(pml4[slot] & PTE_PRESENT);
		assert_true(pml4[slot] & PTE_WRITABLE);
		/* NX exactly on the linear-map window, so the kernel can map code elsewhere. */
		assert_int_equal(!!(pml4[slot] & PTE_NX), slot < 384);
		for (int other = 256; other < slot; other++)
			assert_int_not_equal(pml4[slot] & PTE_ADDR_MASK,
					     pml4[other] & PTE_ADDR_MASK);
	}
}

static void test_linear_map(void **state)
{
	assert_int_equal(build(6 * GiB), PAGING_OK);
	uint64_t samples[] = {0, 0x1234, 0x200000, 0xfee00000, 4 * GiB, 6 * GiB - 1};
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		struct translation t = walk(QUIRE_LINEAR_MAP_BASE + samples[i]);

		assert_true(t.present);
		assert_true(t.large);
		assert_int_equal(t.phys, samples[i]);
		assert_true(t.writable);
		assert_false(t.executable);
	}
	assert_false(walk(QUIRE_LINEAR_MAP_BASE + 6 * GiB).present);
}

/* The identity alias shares the linear map's PDPTs, and is executable (the loader runs there
 * for its last instructions). */
static void test_identity_alias(void **state)
{
	assert_int_equal(build(600 * GiB), PAGING_OK); /* two PML4 slots' worth */
	uint64_t *pml4 = table_at(pml4_phys);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pml4[i] & PTE_ADDR_MASK, pml4[256 + i] & PTE_ADDR_MASK);
		assert_false(pml4[i] & PTE_NX);
	}
	for (int i = 2; i < 256; i++)
		assert_int_equal(pml4[i], 0);
	struct translation t = walk(0x7fe000);
	assert_true(t.present);
	assert_int_equal(t.phys, 0x7fe000);
	assert_true(t.executable);
	assert_true(t.writable);
	t = walk(513 * GiB + 0x5000);
	assert_int_equal(t.phys, 513 * GiB + 0x5000);
	assert_false(walk(600 * GiB).present);
}

static void test_kernel_segments(void **state)
{
	assert_int_equal(build(4 * GiB), PAGING_OK);
	struct translation t;

	for (uint64_t off = 0; off < 0x3000; off += 0x1000) { /* text: R+X */
		t = walk(BASE + off + 0x123);
		assert_true(t.present && t.executable && !t.writable && !t.large);
		assert_int_equal(t.phys, KPHYS + off + 0x123);
	}
	assert_false(walk(BASE + 0x3000).present); /* the gap before rodata */
	t = walk(BASE + 0x4000);                   /* rodata: read-only, NX */
	assert_true(t.present && !t.executable && !t.writable);
	assert_int_equal(t.phys, KPHYS + 0x4000);
	for (uint64_t off = 0x1ff000; off < 0x202000; off += 0x1000) { /* data+bss across 2 MiB */
		t = walk(BASE + off);
		assert_true(t.present && !t.executable && t.writable);
		assert_int_equal(t.phys, KPHYS + off);
	}
	assert_false(walk(BASE + 0x202000).present);
	assert_false(walk(BASE - 0x1000).present);
}

/* A pool of `pages` pages, whatever the layout needs. */
static int build_in(uint64_t linear_size, size_t pages)
{
	make_kernel();
	pool.pages = pages;
	pool.base = aligned_alloc(4096, pages * PAGING_PAGE_SIZE);
	memset(pool.base, 0, pages * PAGING_PAGE_SIZE);
	pool.phys = POOL_PHYS;
	pool.used = 0;
	return paging_build(&pool, linear_size, &kernel, KPHYS, &pml4_phys);
}

static void test_pool_too_small(void **state)
{
	make_kernel();
	assert_int_equal(build_in(4 * GiB, paging_pool_pages(4 * GiB, &kernel) - 1),
			 PAGING_POOL_EXHAUSTED);
	teardown(state);
	assert_int_equal(build_in(4 * GiB, 1), PAGING_POOL_EXHAUSTED);
}

/* Refused before the pool is touched, so a one-page pool is enough to ask. */
static void test_bad_layout(void **state)
{
	assert_int_equal(build_in(4 * GiB + 0x200000, 1), PAGING_BAD_LAYOUT);
	teardown(state);
	assert_int_equal(build_in(0, 1), PAGING_BAD_LAYOUT);
	teardown(state);
	assert_int_equal(build_in(QUIRE_LINEAR_MAP_MAX_SIZE + GiB, 1), PAGING_BAD_LAYOUT);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_linear_size),
	    cmocka_unit_test(test_pool_pages),
	    T(test_uses_exactly_the_pool),
	    T(test_kernel_half_pdpts),
	    T(test_linear_map),
	    T(test_identity_alias),
	    T(test_kernel_segments),
	    T(test_pool_too_small),
	    T(test_bad_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
