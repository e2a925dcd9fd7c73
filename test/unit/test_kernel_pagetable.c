/*
 * Host tests of kernel/memory/pagetable.c over the real frame allocator in simulated physical
 * memory (phys_host_base): table pages are real pmm frames; the addresses the tables map are
 * only numbers, never dereferenced.
 *
 * - map/query/protect/unmap of small and large pages in both halves, and the unmap callback;
 * - a randomised run against a model (virtual page -> frame and rights) over windows that
 *   straddle PT, PD and PDPT boundaries, checking after every step that every page matches the
 *   model and every table page's refcount equals its present entries;
 * - table pages are freed when they become empty: frame counts return to the baseline;
 * - every allocation of a map failing in turn (failure injection) leaves the tables as before;
 * - pagetable_create() shares the kernel half; pagetable_destroy() frees every table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/memory/fail_inject.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/pmm.h"
#include "test/unit/sim_machine.h"
#include "test/unit/test_kernel_rng.h"

#define SIM_BYTES (64ull << 20)
#define PAGE      4096ull
#define MiB2      (2ull << 20)
#define GiB       (1ull << 30)
#define RW        (PAGETABLE_READ | PAGETABLE_WRITE)

static struct pagetable pt;
static uint64_t baseline_tables, baseline_pages;

static uint64_t table_frames(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.by_kind[PAGE_PAGE_TABLE];
}

static int boot(void **state)
{
	(void)state;
	sim_boot(SIM_BYTES);
	assert_int_equal(pagetable_create(&pt, NULL), KERR_OK);
	baseline_tables = table_frames();
	baseline_pages = 0;
	assert_int_equal(baseline_tables, 1);
	return 0;
}

/* Walks every table from the root: each refcount equals its present entries; returns tables. */
static uint64_t check_table(const uint64_t *table, int level)
{
	struct page *page = pmm_page_from_phys((uintptr_t)table - phys_host_base);
	unsigned present = 0;
	uint64_t tables = 1;

	assert_non_null(page);
	assert_int_equal(page->kind, PAGE_PAGE_TABLE);
	for (unsigned i = 0; i < PAGETABLE_ENTRIES; i++) {
		uint64_t e = table[i];
		if (!(e & PTE_PRESENT))
			continue;
		present++;
		if (level > 0 && !(level <= 2 && (e & PTE_LARGE)))
			tables +=
			    check_table((void *)(phys_host_base + (e & PTE_ADDRESS)), level - 1);
	}
	assert_int_equal(page->refcount, present);
	return tables;
}

static void check_consistent(void)
{
	uint64_t tables = check_table((void *)(phys_host_base + pt.root), 3);

	assert_int_equal(tables, pt.table_pages + 1);
	assert_int_equal(table_frames(), tables);
}

static void expect_baseline(void)
{
	check_consistent();
	assert_int_equal(pt.table_pages, baseline_pages);
	assert_int_equal(table_frames(), baseline_tables);
}

static void test_map_query_protect_unmap(void **state)
{
	struct pagetable_mapping m;
	vaddr_t va = 0x400000001000ull;

	(void)state;
	assert_int_equal(pagetable_map(&pt, va, 0x5000, 3, RW | PAGETABLE_USER, CACHE_UNCACHED),
			 KERR_OK);
	assert_int_equal(pt.table_pages, 3); /* PDPT, PD, PT */
	assert_int_equal(pagetable_query(&pt, va + PAGE + 0x123, &m), KERR_OK);
	assert_int_equal(m.pa, 0x6123);
	assert_int_equal(m.page_size, PAGE);
	assert_int_equal(m.page_va, va + PAGE);
	assert_int_equal(m.prot, RW | PAGETABLE_USER);
	assert_int_equal(m.cache, CACHE_UNCACHED);
	assert_true(m.pte & PTE_NX);
	assert_int_equal(pagetable_query(&pt, va - PAGE, &m), KERR_NOT_FOUND);
	assert_int_equal(pagetable_query(&pt, va + 3 * PAGE, &m), KERR_NOT_FOUND);

	assert_int_equal(pagetable_protect(&pt, va, 3, PAGETABLE_READ | PAGETABLE_EXEC), KERR_OK);
	assert_int_equal(pagetable_query(&pt, va + 2 * PAGE, &m), KERR_OK);
	assert_int_equal(m.prot, PAGETABLE_READ | PAGETABLE_EXEC);
	assert_int_equal(m.cache, CACHE_UNCACHED); /* protect keeps the cache policy */
	assert_int_equal(m.pa, 0x7000);

	/* Overlap, bad alignment, bad rights, a range crossing into the kernel half. */
	assert_int_equal(pagetable_map(&pt, va + 2 * PAGE, 0, 2, RW, CACHE_WRITE_BACK),
			 KERR_INVALID);
	assert_int_equal(pagetable_map(&pt, va + 1, 0, 1, RW, CACHE_WRITE_BACK), KERR_INVALID);
	assert_int_equal(pagetable_map(&pt, va + 8 * PAGE, 0, 1, PAGETABLE_WRITE, CACHE_WRITE_BACK),
			 KERR_INVALID);
	assert_int_equal(pagetable_map(&pt, 0x7ffffffff000ull, 0, 2, RW, CACHE_WRITE_BACK),
			 KERR_INVALID);
	assert_int_equal(
	    pagetable_map(&pt, 0xffff900000000000ull, 0, 1, RW | PAGETABLE_USER, CACHE_WRITE_BACK),
	    KERR_INVALID);
	assert_int_equal(pagetable_query(&pt, va, &m), KERR_OK);
	check_consistent();

	assert_int_equal(pagetable_unmap(&pt, va, 3, NULL, NULL), KERR_OK);
	assert_int_equal(pagetable_query(&pt, va, &m), KERR_NOT_FOUND);
	expect_baseline();
}

struct unmapped {
	unsigned count;
	vaddr_t va[8];
	paddr_t pa[8];
	uint64_t size[8];
};

static void record_unmap(vaddr_t va, paddr_t pa, uint64_t size, void *ctx)
{
	struct unmapped *u = ctx;

	assert_true(u->count < 8);
	u->va[u->count] = va;
	u->pa[u->count] = pa;
	u->size[u->count++] = size;
}

static void test_large_pages(void **state)
{
	struct pagetable_mapping m;
	struct unmapped u = {0};
	vaddr_t va = 0x8000000000ull - MiB2; /* 2 MiB below a PML4 boundary */

	(void)state;
	/* 1 GiB + 2 MiB + 4 KiB starting 2 MiB below the 512 GiB line: a 2 MiB leaf, a 1 GiB
	 * leaf, then one 4 KiB page. */
	uint64_t pages = (GiB + MiB2 + PAGE) / PAGE;
	assert_int_equal(pagetable_map(&pt, va, 3 * GiB - MiB2, pages,
				       RW | PAGETABLE_LARGE_2M | PAGETABLE_LARGE_1G,
				       CACHE_WRITE_COMBINING),
			 KERR_OK);
	assert_int_equal(pagetable_query(&pt, va + 5, &m), KERR_OK);
	assert_int_equal(m.page_size, MiB2);
	assert_int_equal(m.pte & (PTE_PAT_LARGE | PTE_PAT_4K | PTE_PWT | PTE_PCD),
			 PTE_PAT_LARGE | PTE_LARGE);
	assert_int_equal(m.cache, CACHE_WRITE_COMBINING);
	assert_int_equal(pagetable_query(&pt, va + MiB2 + 12345, &m), KERR_OK);
	assert_int_equal(m.page_size, GiB);
	assert_int_equal(m.pa, 3 * GiB + 12345);
	assert_int_equal(pagetable_query(&pt, va + MiB2 + GiB, &m), KERR_OK);
	assert_int_equal(m.page_size, PAGE);
	assert_int_equal(m.pte & (PTE_PAT_4K | PTE_PAT_LARGE), PTE_PAT_4K);
	assert_int_equal(m.cache, CACHE_WRITE_COMBINING);
	check_consistent();

	/* Part of a large leaf cannot be unmapped or protected: nothing changes. */
	assert_int_equal(pagetable_unmap(&pt, va + MiB2, 1, NULL, NULL), KERR_INVALID);
	assert_int_equal(pagetable_protect(&pt, va + PAGE, 1, PAGETABLE_READ), KERR_INVALID);
	assert_int_equal(pagetable_query(&pt, va + MiB2, &m), KERR_OK);

	assert_int_equal(pagetable_unmap(&pt, va, pages, record_unmap, &u), KERR_OK);
	assert_int_equal(u.count, 3);
	assert_int_equal(u.va[0], va);
	assert_int_equal(u.pa[0], 3 * GiB - MiB2);
	assert_int_equal(u.size[0], MiB2);
	assert_int_equal(u.size[1], GiB);
	assert_int_equal(u.pa[2], 4 * GiB);
	assert_int_equal(u.size[2], PAGE);
	expect_baseline();
}

/* Kernel-half PDPTs are never freed; the root and other tables are, by destroy. */
static void test_kernel_half_and_destroy(void **state)
{
	struct pagetable user;
	struct pagetable_mapping m;
	vaddr_t kva = 0xffffc00000000000ull;

	(void)state;
	assert_int_equal(pagetable_fill_kernel_half(&pt), KERR_OK);
	assert_int_equal(pt.table_pages, 256);
	assert_int_equal(pagetable_map(&pt, kva, 0x100000, 4, RW, CACHE_WRITE_BACK), KERR_OK);
	assert_int_equal(pagetable_unmap(&pt, kva, 4, NULL, NULL), KERR_OK);
	assert_int_equal(pt.table_pages, 256); /* the PD and PT went, the PDPT stays */
	assert_int_equal(pagetable_map(&pt, kva, 0x100000, 4, RW, CACHE_WRITE_BACK), KERR_OK);

	uint64_t before = table_frames();
	assert_int_equal(pagetable_create(&user, &pt), KERR_OK);
	assert_int_equal(pagetable_query(&user, kva + PAGE, &m), KERR_OK);
	assert_int_equal(m.pa, 0x101000);
	assert_int_equal(
	    pagetable_map(&user, 0x1000, 0x2000, 600, RW | PAGETABLE_USER, CACHE_WRITE_BACK),
	    KERR_OK);
	assert_int_equal(table_frames(), before + 1 + 4); /* root, PDPT, PD, 2 PTs */
	pagetable_destroy(&user);
	assert_int_equal(table_frames(), before);
	assert_int_equal(pagetable_query(&pt, kva, &m), KERR_OK);
	check_consistent();
}

/* Every allocation of a map fails in turn: each failure leaves the tables exactly as before. */
static void test_no_memory_leaves_tables_consistent(void **state)
{
	struct pagetable_mapping m;
	vaddr_t va = 0x10000000000ull - 300 * PAGE; /* crosses a PML4 boundary: 8 tables */
	unsigned failures = 0;

	(void)state;
	assert_int_equal(pagetable_map(&pt, va - PAGE, 0x1000, 1, RW, CACHE_WRITE_BACK), KERR_OK);
	uint64_t before = table_frames();
	for (uint64_t nth = 1;; nth++) {
		fail_inject_arm(nth);
		kerr_t err = pagetable_map(&pt, va, 0x200000, 600, RW, CACHE_WRITE_BACK);
		fail_inject_arm(0);
		if (err == KERR_OK)
			break;
		assert_int_equal(err, KERR_NO_MEMORY);
		failures++;
		check_consistent();
		assert_int_equal(table_frames(), before);
		assert_int_equal(pagetable_query(&pt, va, &m), KERR_NOT_FOUND);
		assert_int_equal(pagetable_query(&pt, va + 599 * PAGE, &m), KERR_NOT_FOUND);
		assert_int_equal(pagetable_query(&pt, va - PAGE, &m), KERR_OK);
	}
	/* The prefix up to the boundary reuses the existing PT; the rest needs a PDPT, PD and PT
	 * under the next PML4 slot: three allocations, each made to fail once. */
	assert_int_equal(failures, 3);
	assert_int_equal(pagetable_unmap(&pt, va - PAGE, 601, NULL, NULL), KERR_OK);
	expect_baseline();
}

/* The model: the rights and frame of every page of a few windows. */
#define WINDOW_PAGES 1536u
static const vaddr_t window_base[] = {
    0x0000000000200000ull - 512 * PAGE,  /* across a PT boundary */
    0x0000004000000000ull - 700 * PAGE,  /* across a PD (1 GiB) boundary */
    0x0000008000000000ull - 1000 * PAGE, /* across a PML4 (512 GiB) boundary */
    0xffff900000000000ull - 800 * PAGE,  /* in the kernel half, across a PML4 boundary */
};
#define WINDOWS (sizeof(window_base) / sizeof(window_base[0]))

struct model_page {
	paddr_t pa; /* 0: not mapped */
	unsigned prot;
};
static struct model_page model[WINDOWS][WINDOW_PAGES];

static void check_against_model(void)
{
	struct pagetable_mapping m;

	for (unsigned w = 0; w < WINDOWS; w++) {
		for (unsigned i = 0; i < WINDOW_PAGES; i++) {
			kerr_t err = pagetable_query(&pt, window_base[w] + i * PAGE, &m);
			if (model[w][i].pa == 0) {
				assert_int_equal(err, KERR_NOT_FOUND);
				continue;
			}
			assert_int_equal(err, KERR_OK);
			assert_int_equal(m.pa, model[w][i].pa);
			assert_int_equal(m.prot, model[w][i].prot);
		}
	}
	check_consistent();
}

static unsigned random_prot(struct test_rng *rng, bool user)
{
	unsigned prot = PAGETABLE_READ;

	if (test_rng_below(rng, 2))
		prot |= PAGETABLE_WRITE;
	if (test_rng_below(rng, 2))
		prot |= PAGETABLE_EXEC;
	if (user && test_rng_below(rng, 2))
		prot |= PAGETABLE_USER;
	return prot;
}

static void random_step(struct test_rng *rng)
{
	unsigned w = (unsigned)test_rng_below(rng, WINDOWS);
	unsigned first = (unsigned)test_rng_below(rng, WINDOW_PAGES);
	unsigned n = 1 + (unsigned)test_rng_below(rng, test_rng_below(rng, 4) ? 8 : 400);
	vaddr_t va = window_base[w] + first * PAGE;
	bool user = va < 0x800000000000ull;
	unsigned op = (unsigned)test_rng_below(rng, 3);

	if (first + n > WINDOW_PAGES)
		n = WINDOW_PAGES - first;
	if (op == 0) {
		paddr_t pa = (1 + test_rng_below(rng, 1u << 20)) * PAGE;
		unsigned prot = random_prot(rng, user);
		bool overlap = false;
		for (unsigned i = 0; i < n; i++)
			overlap |= model[w][first + i].pa != 0;
		kerr_t err = pagetable_map(&pt, va, pa, n, prot, CACHE_WRITE_BACK);
		assert_int_equal(err, overlap ? KERR_INVALID : KERR_OK);
		for (unsigned i = 0; !overlap && i < n; i++)
			model[w][first + i] = (struct model_page){pa + i * PAGE, prot};
	} else if (op == 1) {
		assert_int_equal(pagetable_unmap(&pt, va, n, NULL, NULL), KERR_OK);
		for (unsigned i = 0; i < n; i++)
			model[w][first + i].pa = 0;
	} else {
		unsigned prot = random_prot(rng, user);
		assert_int_equal(pagetable_protect(&pt, va, n, prot), KERR_OK);
		for (unsigned i = 0; i < n; i++)
			model[w][first + i].prot = prot;
	}
}

static void test_random_against_model(void **state)
{
	struct test_rng rng = test_rng_seeded("pagetable model");

	(void)state;
	/* As in the kernel's tables: the kernel-half PDPTs exist up front and are never freed. */
	assert_int_equal(pagetable_fill_kernel_half(&pt), KERR_OK);
	baseline_pages = pt.table_pages;
	baseline_tables = table_frames();
	memset(model, 0, sizeof(model));
	for (unsigned step = 0; step < 3000; step++) {
		random_step(&rng);
		if (step % 10 == 0)
			check_against_model();
	}
	check_against_model();
	for (unsigned w = 0; w < WINDOWS; w++)
		assert_int_equal(pagetable_unmap(&pt, window_base[w], WINDOW_PAGES, NULL, NULL),
				 KERR_OK);
	memset(model, 0, sizeof(model));
	check_against_model();
	expect_baseline();
}

static bool count_leaf(const struct pagetable_mapping *leaf, void *ctx)
{
	unsigned *n = ctx;

	assert_int_equal(leaf->pa, 0x100000 + *n * PAGE);
	(*n)++;
	return true;
}

static void test_for_each_visits_leaves_in_order(void **state)
{
	unsigned n = 0;

	(void)state;
	assert_int_equal(pagetable_map(&pt, 0x1ff000, 0x100000, 3, RW, CACHE_WRITE_BACK), KERR_OK);
	assert_int_equal(pagetable_for_each(&pt, 0, 0x1000, count_leaf, &n), KERR_OK);
	assert_int_equal(n, 3);
	assert_int_equal(pagetable_unmap(&pt, 0x1ff000, 3, NULL, NULL), KERR_OK);
	expect_baseline();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_map_query_protect_unmap, boot),
	    cmocka_unit_test_setup(test_large_pages, boot),
	    cmocka_unit_test_setup(test_kernel_half_and_destroy, boot),
	    cmocka_unit_test_setup(test_no_memory_leaves_tables_consistent, boot),
	    cmocka_unit_test_setup(test_random_against_model, boot),
	    cmocka_unit_test_setup(test_for_each_visits_leaves_in_order, boot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
