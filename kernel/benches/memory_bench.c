/*
 * Memory benchmarks. Each function keeps the measured loop free of anything but the operation:
 * frames and pages it needs are taken before the first bench_now() and given back after the last.
 * Every allocation is checked, because a benchmark of a failing path measures nothing: a NULL
 * panics (memory is plentiful at this point of the boot, so it means a broken allocator).
 */
#include "kernel/benches/memory_bench.h"

#include "kernel/lib/compiler.h"
#include "kernel/lib/string.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/pmm.h"
#include "kernel/panic.h"

/* 100 instructions, to check that a tick is an instruction (icount) and that nothing else runs. */
static uint64_t bench_nop100(unsigned batch)
{
	uint64_t t0 = bench_now();

	for (unsigned i = 0; i < batch; i++)
		__asm__ volatile(".rept 100\n\tnop\n\t.endr");
	return bench_now() - t0;
}

static uint64_t bench_page_alloc_free(unsigned batch)
{
	uint64_t t0 = bench_now();

	for (unsigned i = 0; i < batch; i++) {
		struct page *p = pmm_alloc_page(PAGE_TEST, 0);
		if (UNLIKELY(p == NULL))
			panic("pmm_alloc_page failed");
		pmm_free_page(p);
	}
	return bench_now() - t0;
}

static uint64_t bench_page_alloc_zero_free(unsigned batch)
{
	uint64_t t0 = bench_now();

	for (unsigned i = 0; i < batch; i++) {
		struct page *p = pmm_alloc_page(PAGE_TEST, PMM_ZERO);
		if (UNLIKELY(p == NULL))
			panic("pmm_alloc_page(PMM_ZERO) failed");
		pmm_free_page(p);
	}
	return bench_now() - t0;
}

static uint64_t bench_2mib_alloc_free(unsigned batch)
{
	uint64_t t0 = bench_now();

	for (unsigned i = 0; i < batch; i++) {
		struct page *p = pmm_alloc_pages(9, PAGE_TEST, 0);
		if (UNLIKELY(p == NULL))
			panic("pmm_alloc_pages(9) failed");
		pmm_free_pages(p, 9);
	}
	return bench_now() - t0;
}

/* Zeroing references on one page taken outside the timed loop. */
static void *test_page(struct page **out)
{
	*out = pmm_alloc_page(PAGE_TEST, 0);
	if (*out == NULL)
		panic("no page to zero");
	return pmm_page_to_virt(*out);
}

static uint64_t bench_zero_stosq(unsigned batch)
{
	struct page *pg;
	void *va = test_page(&pg);
	uint64_t t0 = bench_now();

	for (unsigned i = 0; i < batch; i++) {
		void *d = va;
		uint64_t n = PAGE_SIZE / 8;
		__asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0ull) : "memory");
	}
	uint64_t t = bench_now() - t0;
	pmm_free_page(pg);
	return t;
}

static uint64_t bench_zero_stosb(unsigned batch)
{
	struct page *pg;
	void *va = test_page(&pg);
	uint64_t t0 = bench_now();

	for (unsigned i = 0; i < batch; i++) {
		void *d = va;
		uint64_t n = PAGE_SIZE;
		__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(0) : "memory");
	}
	uint64_t t = bench_now() - t0;
	pmm_free_page(pg);
	return t;
}

static uint64_t bench_zero_memset(unsigned batch)
{
	struct page *pg;
	void *va = test_page(&pg);
	uint64_t t0 = bench_now();

	for (unsigned i = 0; i < batch; i++) {
		memset(va, 0, PAGE_SIZE);
		__asm__ volatile("" : : "r"(va) : "memory");
	}
	uint64_t t = bench_now() - t0;
	pmm_free_page(pg);
	return t;
}

static uint64_t bench_kmalloc_free_64(unsigned batch)
{
	uint64_t t0 = bench_now();

	for (unsigned i = 0; i < batch; i++) {
		void *p = kmalloc(64);
		if (UNLIKELY(p == NULL))
			panic("kmalloc(64) failed");
		kfree(p);
	}
	return bench_now() - t0;
}

static uint64_t bench_kmalloc_free_64k(unsigned batch)
{
	uint64_t t0 = bench_now();

	for (unsigned i = 0; i < batch; i++) {
		void *p = kmalloc(64 * 1024);
		if (UNLIKELY(p == NULL))
			panic("kmalloc(64 KiB) failed");
		kfree(p);
	}
	return bench_now() - t0;
}

static const struct bench table[] = {
    {"nop100", bench_nop100, 16, NULL, NULL},
    {"pmm_page_alloc_free", bench_page_alloc_free, 64, NULL, NULL},
    {"pmm_2mib_alloc_free", bench_2mib_alloc_free, 16, NULL, NULL},
    {"pmm_page_alloc_zero_free", bench_page_alloc_zero_free, 16, "pmm_page_alloc_free",
     "pmm_page_zero"},
    {"zero_page_rep_stosq", bench_zero_stosq, 16, NULL, NULL},
    {"zero_page_rep_stosb", bench_zero_stosb, 8, NULL, NULL},
    {"zero_page_memset", bench_zero_memset, 16, NULL, NULL},
    {"kmalloc_kfree_64", bench_kmalloc_free_64, 64, NULL, NULL},
    {"kmalloc_kfree_64k", bench_kmalloc_free_64k, 16, NULL, NULL},
};

const struct bench *memory_bench_table(unsigned *count)
{
	*count = ARRAY_SIZE(table);
	return table;
}
