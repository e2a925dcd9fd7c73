/*
 * Host tests of the copies between address spaces (kernel/memory/vm_copy.c) over the real VM core
 * (areas, spaces, fault path, page tables, pmm) in simulated physical memory. The tests set up
 * and check user memory without the code under test: poke() and peek() fault each page in with
 * vm_space_allocate() and touch the frame the space's PTE names, as the MMU would.
 *
 * - sizes 0, 1, 4095, 4096, 4097 and multi-page copies starting mid-page on both sides, with the
 *   bytes around the destination unchanged; LEN 0 touches nothing, even at bad addresses;
 * - a range crossing from one area into the adjacent one, on either side;
 * - pages never touched on both sides: faulted in (the destination gets private frames, an
 *   untouched source reads as zeros and stays the zero page, also in a read-only mapping);
 * - errors with the exact *copied: a read-only destination page, a destination straddling into
 *   unmapped memory, an unmapped source, a guard page, a write-combining fixed area, and ranges
 *   outside the user half or wrapping (nothing copied even where the first pages are mapped);
 * - failure injection during a copy into untouched pages: NO_MEMORY, a consistent prefix, and
 *   every frame back after the spaces are destroyed;
 * - overlapping copies within one space, as memmove, also when one stops at a fault;
 * - thousands of random copies between random offsets of two spaces (and within each), checked
 *   against a byte model.
 * Every test ends with every frame back (teardown).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/memory/fail_inject.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area.h"
#include "kernel/memory/vm_copy.h"
#include "kernel/memory/vm_space.h"
#include "test/unit/sim_machine.h"
#include "test/unit/test_kernel_rng.h"

#define SIM_BYTES (64ull << 20)
#define PAGE      4096ull
#define RW        (VM_PROT_READ | VM_PROT_WRITE)
#define R         VM_PROT_READ
#define BASE_A    0x400000ull   /* where the tests map areas in space A */
#define BASE_B    0x7000000ull  /* and in space B */
#define NOT_SET   ((size_t)-77) /* *copied before a call */

static struct pagetable kernel_pt;
static uint64_t baseline_free, baseline_tables;
static struct vm_space *sa, *sb;

static uint64_t frames_of(enum page_kind kind)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return kind == PAGE_FREE ? st.free : st.by_kind[kind];
}

static uint64_t user_frames(void)
{
	return frames_of(PAGE_USER) - 1; /* less the zero page */
}

/* Every frame back: heap spares and node-cache spares are trimmed first. */
static void expect_baseline(void)
{
	struct page_tree_cache_stats s;

	vm_area_trim();
	page_tree_cache_get_stats(page_tree_cache_kernel(), &s);
	assert_int_equal(s.nodes_in_use, 0);
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	assert_int_equal(user_frames(), 0);
	assert_int_equal(frames_of(PAGE_PAGE_TABLE), baseline_tables);
	assert_int_equal(frames_of(PAGE_FREE), baseline_free);
}

/* A fresh machine with two empty user spaces, A and B. */
static int boot(void **state)
{
	(void)state;
	sim_boot_vm(SIM_BYTES, &kernel_pt);
	baseline_free = frames_of(PAGE_FREE);
	baseline_tables = frames_of(PAGE_PAGE_TABLE);
	assert_int_equal(vm_space_create(&sa), KERR_OK);
	assert_int_equal(vm_space_create(&sb), KERR_OK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vm_space_destroy(sa);
	vm_space_destroy(sb);
	expect_baseline();
	return 0;
}

/* Maps a new open area of PAGES pages at AT in S with PROT; the mapping holds the one reference. */
static struct vm_area *map_open(struct vm_space *s, vaddr_t at, uint64_t pages, unsigned prot)
{
	struct vm_area *a;
	vaddr_t b;

	assert_int_equal(vm_area_create_open(pages, RW, &a), KERR_OK);
	assert_int_equal(vm_space_map(s, a, 0, at, pages, prot, &b), KERR_OK);
	assert_int_equal(b, at);
	vm_area_put(a);
	return a;
}

static bool pte(struct vm_space *s, vaddr_t va, struct pagetable_mapping *m)
{
	return pagetable_query(&s->pt, va, m) == KERR_OK;
}

/* The host address of the byte at VA of S, its page faulted in for ACCESS first. */
static uint8_t *at(struct vm_space *s, vaddr_t va, unsigned access)
{
	struct pagetable_mapping m;

	assert_int_equal(vm_space_allocate(s, va, access), VM_FAULT_OK);
	assert_true(pte(s, va, &m));
	return (uint8_t *)(phys_host_base + m.pa);
}

/* Writes LEN bytes of BUF at VA of S, page by page, as the process would. */
static void poke(struct vm_space *s, vaddr_t va, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		size_t n = PAGE - va % PAGE;
		n = n < len ? n : len;
		memcpy(at(s, va, VM_PROT_WRITE), p, n);
		va += n, p += n, len -= n;
	}
}

/* Reads LEN bytes at VA of S into BUF, page by page. */
static void peek(struct vm_space *s, vaddr_t va, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		size_t n = PAGE - va % PAGE;
		n = n < len ? n : len;
		memcpy(p, at(s, va, R), n);
		va += n, p += n, len -= n;
	}
}

/* A pattern that differs at every offset of a few pages and between SEEDs. */
static void pattern(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + i / 251 + seed * 13 + 1);
}

/* Checks LEN bytes at VA of S against WANT. */
static void expect_bytes(struct vm_space *s, vaddr_t va, const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(len ? len : 1);

	assert_non_null(got);
	peek(s, va, got, len);
	assert_memory_equal(got, want, len);
	free(got);
}

/* Checks LEN bytes at VA of S all equal C. */
static void expect_fill(struct vm_space *s, vaddr_t va, uint8_t c, size_t len)
{
	uint8_t *want = malloc(len ? len : 1);

	assert_non_null(want);
	memset(want, c, len);
	expect_bytes(s, va, want, len);
	free(want);
}

static void fill(struct vm_space *s, vaddr_t va, uint8_t c, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	memset(buf, c, len);
	poke(s, va, buf, len);
	free(buf);
}

static void test_sizes(void **state)
{
	static const size_t lens[] = {1, 4095, 4096, 4097, 3 * 4096 + 123, 5 * 4096};
	static const uint64_t src_offs[] = {0, 100, 4000, 4095};
	static const uint64_t dst_offs[] = {0, 3000, 1, 4095};
	uint8_t src[6 * 4096];

	(void)state;
	map_open(sa, BASE_A, 8, RW);
	map_open(sb, BASE_B, 8, RW);
	for (unsigned i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		for (unsigned j = 0; j < 4; j++) {
			size_t len = lens[i], copied = NOT_SET;
			vaddr_t s = BASE_A + src_offs[j], d = BASE_B + dst_offs[(i + j) % 4];
			pattern(src, len, i * 4 + j);
			poke(sa, s, src, len);
			fill(sb, BASE_B, 0xee, 8 * PAGE);
			assert_int_equal(vm_space_copy(sb, d, sa, s, len, &copied), KERR_OK);
			assert_int_equal(copied, len);
			expect_bytes(sb, d, src, len);
			expect_fill(sb, BASE_B, 0xee, d - BASE_B);
			expect_fill(sb, d + len, 0xee, BASE_B + 8 * PAGE - (d + len));
			expect_bytes(sa, s, src, len); /* the source is only read */
		}
	}
	/* NULL for *copied is allowed. */
	assert_int_equal(vm_space_copy(sa, BASE_A, sb, BASE_B, 10, NULL), KERR_OK);
}

static void test_zero_length(void **state)
{
	size_t copied = NOT_SET;

	(void)state;
	map_open(sa, BASE_A, 2, RW);
	map_open(sb, BASE_B, 2, RW);
	assert_int_equal(vm_space_copy(sb, BASE_B, sa, BASE_A, 0, &copied), KERR_OK);
	assert_int_equal(copied, 0);
	/* Nothing was touched: no PTE, no frame, no table. */
	struct pagetable_mapping m;
	assert_false(pte(sa, BASE_A, &m));
	assert_false(pte(sb, BASE_B, &m));
	assert_int_equal(user_frames(), 0);
	/* Not even the addresses are looked at. */
	copied = NOT_SET;
	assert_int_equal(vm_space_copy(sb, 0, sa, ~0ull, 0, &copied), KERR_OK);
	assert_int_equal(copied, 0);
	assert_int_equal(vm_space_read(sa, 0, NULL, 0), KERR_OK);
	assert_int_equal(vm_space_write(sb, VM_USER_HI, NULL, 0), KERR_OK);
}

/* One side is two adjacent areas; the range crosses from one into the other. */
static void test_crosses_areas(void **state)
{
	uint8_t buf[3 * 4096];
	size_t copied;

	(void)state;
	map_open(sa, BASE_A, 2, RW);
	map_open(sa, BASE_A + 2 * PAGE, 3, RW);
	map_open(sb, BASE_B, 4, RW);
	pattern(buf, sizeof buf, 1);
	poke(sa, BASE_A + PAGE + 10, buf, sizeof buf);
	assert_int_equal(
	    vm_space_copy(sb, BASE_B + 500, sa, BASE_A + PAGE + 10, sizeof buf, &copied), KERR_OK);
	assert_int_equal(copied, sizeof buf);
	expect_bytes(sb, BASE_B + 500, buf, sizeof buf);

	/* Back the other way: the destination crosses the boundary. */
	pattern(buf, sizeof buf, 2);
	poke(sb, BASE_B + 7, buf, sizeof buf);
	assert_int_equal(
	    vm_space_copy(sa, BASE_A + 2 * PAGE - 1234, sb, BASE_B + 7, sizeof buf, &copied),
	    KERR_OK);
	assert_int_equal(copied, sizeof buf);
	expect_bytes(sa, BASE_A + 2 * PAGE - 1234, buf, sizeof buf);
}

/* Neither side has been touched: both are faulted in by the copy. */
static void test_untouched_pages(void **state)
{
	struct pagetable_mapping m;
	size_t copied;

	(void)state;
	struct vm_area *src = map_open(sa, BASE_A, 5, RW);
	struct vm_area *ro = map_open(sa, BASE_A + 8 * PAGE, 2, R);
	struct vm_area *dst = map_open(sb, BASE_B, 5, RW);
	fill(sb, BASE_B + 4 * PAGE, 0x55, PAGE); /* a page the copy will not reach */
	assert_int_equal(vm_area_resident(dst), 1);

	/* [A+100, +3 pages) touches source pages 0..3, [B+200, ...) destination pages 0..3. */
	assert_int_equal(vm_space_copy(sb, BASE_B + 200, sa, BASE_A + 100, 3 * PAGE, &copied),
			 KERR_OK);
	assert_int_equal(copied, 3 * PAGE);
	assert_int_equal(vm_area_resident(dst), 5);
	assert_int_equal(vm_area_resident(src), 0);
	for (unsigned i = 0; i < 4; i++) {
		assert_true(pte(sa, BASE_A + i * PAGE, &m));
		assert_int_equal(m.pa, vm_zero_page()); /* read: the zero page, read-only */
		assert_int_equal(m.prot, PAGETABLE_READ | PAGETABLE_USER);
		assert_true(pte(sb, BASE_B + i * PAGE, &m));
		assert_true(m.pa != vm_zero_page());
		assert_true(m.prot & PAGETABLE_WRITE);
	}
	assert_false(pte(sa, BASE_A + 4 * PAGE, &m));
	expect_fill(sb, BASE_B, 0, 200);
	expect_fill(sb, BASE_B + 200, 0, 3 * PAGE); /* the copied zeros */
	expect_fill(sb, BASE_B + 200 + 3 * PAGE, 0, PAGE - 200);
	expect_fill(sb, BASE_B + 4 * PAGE, 0x55, PAGE);

	/* An untouched page of a read-only mapping reads as zeros and stays the zero page. */
	fill(sb, BASE_B, 0x77, PAGE);
	assert_int_equal(vm_space_copy(sb, BASE_B + 1, sa, BASE_A + 9 * PAGE - 50, 60, &copied),
			 KERR_OK);
	assert_int_equal(copied, 60);
	expect_fill(sb, BASE_B + 1, 0, 60);
	expect_fill(sb, BASE_B + 61, 0x77, PAGE - 61);
	assert_true(pte(sa, BASE_A + 8 * PAGE, &m));
	assert_int_equal(m.pa, vm_zero_page());
	assert_true(pte(sa, BASE_A + 9 * PAGE, &m));
	assert_int_equal(m.pa, vm_zero_page());
	assert_int_equal(vm_area_resident(ro), 0);

	/* vm_space_write() into untouched pages, vm_space_read() of them. */
	uint8_t buf[5000], back[5000];
	struct vm_area *w = map_open(sb, BASE_B + 16 * PAGE, 3, RW);
	pattern(buf, sizeof buf, 3);
	assert_int_equal(vm_space_write(sb, BASE_B + 16 * PAGE + 3000, buf, sizeof buf), KERR_OK);
	assert_int_equal(vm_area_resident(w), 2);
	assert_int_equal(vm_space_read(sb, BASE_B + 16 * PAGE + 3000, back, sizeof back), KERR_OK);
	assert_memory_equal(back, buf, sizeof buf);
	assert_int_equal(vm_space_read(sb, BASE_B + 18 * PAGE + 5, back, 10), KERR_OK);
	assert_int_equal(vm_area_resident(w), 2); /* read: the zero page */
}

/* The destination meets a read-only page: FAULT, with the bytes before that page copied. */
static void test_destination_read_only(void **state)
{
	uint8_t buf[3 * 4096];
	size_t copied = NOT_SET;

	(void)state;
	map_open(sa, BASE_A, 3, RW);
	map_open(sb, BASE_B, 2, RW);
	map_open(sb, BASE_B + 2 * PAGE, 2, R);
	pattern(buf, sizeof buf, 4);
	poke(sa, BASE_A, buf, sizeof buf);
	assert_int_equal(vm_space_copy(sb, BASE_B + 100, sa, BASE_A, sizeof buf, &copied),
			 KERR_FAULT);
	assert_int_equal(copied, 2 * PAGE - 100);
	expect_bytes(sb, BASE_B + 100, buf, copied);
	expect_fill(sb, BASE_B + 2 * PAGE, 0, 2 * PAGE);
	/* Entirely read-only: nothing. */
	assert_int_equal(vm_space_copy(sb, BASE_B + 2 * PAGE, sa, BASE_A, 1, &copied), KERR_FAULT);
	assert_int_equal(copied, 0);
	assert_int_equal(vm_space_write(sb, BASE_B + 3 * PAGE, buf, 1), KERR_FAULT);
	/* A read-only area is a fine source. */
	assert_int_equal(vm_space_copy(sa, BASE_A, sb, BASE_B + 2 * PAGE, 10, &copied), KERR_OK);
}

static void test_destination_straddles_unmapped(void **state)
{
	uint8_t buf[5000];
	size_t copied = NOT_SET;

	(void)state;
	map_open(sa, BASE_A, 2, RW);
	map_open(sb, BASE_B, 2, RW);
	pattern(buf, sizeof buf, 5);
	poke(sa, BASE_A + 50, buf, sizeof buf);
	/* [B + 2 pages - 1000, + 5000): 1000 bytes fit. */
	assert_int_equal(
	    vm_space_copy(sb, BASE_B + 2 * PAGE - 1000, sa, BASE_A + 50, sizeof buf, &copied),
	    KERR_FAULT);
	assert_int_equal(copied, 1000);
	expect_bytes(sb, BASE_B + 2 * PAGE - 1000, buf, 1000);
	/* The same with chunks cut by the source's page boundaries first. */
	assert_int_equal(
	    vm_space_copy(sb, BASE_B + 2 * PAGE - 3000, sa, BASE_A + 4000, sizeof buf, &copied),
	    KERR_FAULT);
	assert_int_equal(copied, 3000);
	/* vm_space_write() stops at the same place. */
	assert_int_equal(vm_space_write(sb, BASE_B + PAGE, buf, 2 * PAGE), KERR_FAULT);
	expect_bytes(sb, BASE_B + PAGE, buf, PAGE);
}

static void test_source_unmapped(void **state)
{
	uint8_t buf[3 * 4096];
	size_t copied = NOT_SET;

	(void)state;
	map_open(sa, BASE_A, 2, RW);
	map_open(sb, BASE_B, 4, RW);
	fill(sb, BASE_B, 0x33, 4 * PAGE);
	assert_int_equal(vm_space_copy(sb, BASE_B, sa, BASE_A + 2 * PAGE, 10, &copied), KERR_FAULT);
	assert_int_equal(copied, 0);
	expect_fill(sb, BASE_B, 0x33, 10);
	/* A source straddling into the hole after its area. */
	pattern(buf, sizeof buf, 6);
	poke(sa, BASE_A, buf, 2 * PAGE);
	assert_int_equal(vm_space_copy(sb, BASE_B + 10, sa, BASE_A + 700, 3 * PAGE, &copied),
			 KERR_FAULT);
	assert_int_equal(copied, 2 * PAGE - 700);
	expect_bytes(sb, BASE_B + 10, buf + 700, copied);
	expect_fill(sb, BASE_B + 10 + copied, 0x33, 4 * PAGE - 10 - copied);
	assert_int_equal(vm_space_read(sa, BASE_A + PAGE, buf, 2 * PAGE), KERR_FAULT);
	assert_int_equal(vm_space_read(sa, 0x200000, buf, 1), KERR_FAULT);
}

/* Ranges outside [VM_USER_LO, VM_USER_HI) or wrapping fail before anything is copied. */
static void test_bad_ranges(void **state)
{
	size_t copied;
	uint8_t buf[16];

	(void)state;
	/* Areas at the very top of user space: the first pages of an overlong range are mapped. */
	vaddr_t top_a = VM_USER_HI - 2 * PAGE, top_b = VM_USER_HI - 3 * PAGE;
	map_open(sa, top_a, 2, RW);
	map_open(sb, top_b, 3, RW);
	map_open(sa, VM_USER_LO, 1, RW);
	fill(sa, top_a, 0x11, 2 * PAGE);
	fill(sb, top_b, 0x22, 3 * PAGE);
	uint64_t frames = user_frames();
	struct {
		vaddr_t dst, src;
		size_t len;
	} bad[] = {
	    {top_b, top_a, 2 * PAGE + 1},             /* the source ends past VM_USER_HI */
	    {top_a, top_b, 3 * PAGE},                 /* the destination does */
	    {top_b, VM_USER_LO - 1, 2},               /* the source starts below VM_USER_LO */
	    {VM_USER_LO - 4096, top_a, 1},            /* the destination does */
	    {top_b, 0, 1},                            /* NULL */
	    {top_b, top_a, SIZE_MAX},                 /* wraps */
	    {top_b, ~0ull - 10, 20},                  /* wraps from the kernel half */
	    {top_b, QUIRE_LINEAR_MAP_BASE, 8},        /* kernel memory */
	    {QUIRE_KERNEL_LINK_BASE, top_a, 8},       /* kernel memory */
	    {top_b, VM_USER_HI, 1},                   /* just past the end */
	    {VM_USER_LO, top_a, (size_t)-VM_USER_LO}, /* ends at 2^64 */
	};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		copied = NOT_SET;
		assert_int_equal(vm_space_copy(sb, bad[i].dst, sa, bad[i].src, bad[i].len, &copied),
				 KERR_FAULT);
		assert_int_equal(copied, 0);
	}
	assert_int_equal(vm_space_read(sa, top_a + PAGE, buf, PAGE + 1), KERR_FAULT);
	assert_int_equal(vm_space_write(sb, VM_USER_LO - 1, buf, 2), KERR_FAULT);
	assert_int_equal(vm_space_write(sb, VM_USER_HI - 8, buf, 9), KERR_FAULT);
	expect_fill(sa, top_a, 0x11, 2 * PAGE);
	expect_fill(sb, top_b, 0x22, 3 * PAGE);
	assert_int_equal(user_frames(), frames);
	/* The last byte of user space is fine. */
	assert_int_equal(vm_space_copy(sb, VM_USER_HI - 1, sa, VM_USER_HI - 1, 1, &copied),
			 KERR_OK);
	assert_int_equal(copied, 1);
	assert_int_equal(vm_space_write(sb, VM_USER_HI - 16, buf, 16), KERR_OK);
}

static void test_guard_page(void **state)
{
	struct vm_area *g;
	vaddr_t b;
	size_t copied = NOT_SET;
	uint8_t buf[2 * 4096];

	(void)state;
	/* [guard][2 usable pages][guard] */
	assert_int_equal(vm_area_create_guarded(2, 1, 1, RW, &g), KERR_OK);
	assert_int_equal(vm_space_map(sb, g, 0, BASE_B, 4, RW, &b), KERR_OK);
	vm_area_put(g);
	map_open(sa, BASE_A, 3, RW);
	pattern(buf, sizeof buf, 7);
	poke(sa, BASE_A, buf, sizeof buf);
	assert_int_equal(vm_space_copy(sb, BASE_B + PAGE + 10, sa, BASE_A, sizeof buf, &copied),
			 KERR_FAULT);
	assert_int_equal(copied, 2 * PAGE - 10);
	expect_bytes(sb, BASE_B + PAGE + 10, buf, copied);
	assert_int_equal(vm_space_copy(sb, BASE_B + PAGE - 1, sa, BASE_A, 2, &copied), KERR_FAULT);
	assert_int_equal(copied, 0);
	assert_int_equal(vm_space_copy(sa, BASE_A, sb, BASE_B + 3 * PAGE, 1, &copied), KERR_FAULT);
	assert_int_equal(copied, 0);
	assert_int_equal(vm_area_resident(g), 2);
}

/* Device memory (a write-combining fixed area) is not reached through the linear map. */
static void test_fixed_area_refused(void **state)
{
	struct vm_area *f;
	vaddr_t b;
	size_t copied = NOT_SET;

	(void)state;
	assert_int_equal(vm_area_create_fixed(0x3000000, 2, RW, CACHE_WRITE_COMBINING, &f),
			 KERR_OK);
	assert_int_equal(vm_space_map(sb, f, 0, BASE_B, 2, RW, &b), KERR_OK);
	vm_area_put(f);
	map_open(sa, BASE_A, 1, RW);
	assert_int_equal(vm_space_copy(sb, BASE_B, sa, BASE_A, 16, &copied), KERR_FAULT);
	assert_int_equal(copied, 0);
	assert_int_equal(vm_space_copy(sa, BASE_A, sb, BASE_B, 16, &copied), KERR_FAULT);
}

/*
 * One copy into untouched destination pages (frames, page-tree nodes and page tables to
 * allocate) with the K-th allocation failing. Returns the error; checks the prefix.
 */
static kerr_t injected_copy(uint64_t k, bool *hit)
{
	static uint8_t buf[9 * 4096];
	size_t copied = NOT_SET;

	assert_int_equal(vm_space_create(&sa), KERR_OK);
	assert_int_equal(vm_space_create(&sb), KERR_OK);
	struct vm_area *src = map_open(sa, BASE_A, 9, RW);
	struct vm_area *dst = map_open(sb, 0x40000000ull - 4 * PAGE, 10, RW); /* across 1 GiB */
	pattern(buf, sizeof buf, 8);
	poke(sa, BASE_A + 123, buf, 8 * PAGE);
	vm_area_trim(); /* so the node allocations come back each time */
	fail_inject_arm(k);
	kerr_t err =
	    vm_space_copy(sb, 0x40000000ull - 4 * PAGE + 4000, sa, BASE_A + 123, 8 * PAGE, &copied);
	*hit = fail_inject_attempts() >= k;
	fail_inject_arm(0);
	if (err == KERR_OK) {
		assert_int_equal(copied, 8 * PAGE);
	} else {
		assert_int_equal(err, KERR_NO_MEMORY);
		assert_true(copied < 8 * PAGE);
		/* It stopped at a destination page boundary, the first of which is 96 bytes in. */
		assert_true(copied == 0 || copied % PAGE == PAGE - 4000 % PAGE);
	}
	/* Every user frame is a page of one of the two areas: nothing half-made is left. */
	assert_int_equal(user_frames(), vm_area_resident(src) + vm_area_resident(dst));
	expect_bytes(sb, 0x40000000ull - 4 * PAGE + 4000, buf, copied);
	vm_space_destroy(sa);
	vm_space_destroy(sb);
	expect_baseline();
	return err;
}

static void test_failure_injection(void **state)
{
	unsigned failed = 0;
	uint64_t k;
	bool hit = false;

	(void)state;
	vm_space_destroy(sa);
	vm_space_destroy(sb);
	expect_baseline();
	for (k = 1; k < 1000; k++) {
		kerr_t err = injected_copy(k, &hit);
		if (!hit) {
			assert_int_equal(err, KERR_OK);
			break;
		}
		assert_int_equal(err, KERR_NO_MEMORY);
		failed++;
	}
	assert_true(k < 1000);
	printf("# failure injection: %u copies each failed one allocation, then a clean one\n",
	       failed);
	assert_true(failed >= 9); /* at least one frame per destination page */
	assert_int_equal(vm_space_create(&sa), KERR_OK); /* for teardown */
	assert_int_equal(vm_space_create(&sb), KERR_OK);
}

/* memmove semantics within one space, in both directions and within one page. */
static void test_overlap_one_space(void **state)
{
	enum { PAGES = 6 };
	static uint8_t model[PAGES * 4096];
	static const struct {
		uint64_t dst, src, len;
	} cases[] = {
	    {100, 0, 3000},         {0, 100, 3000},         {5000, 100, 3 * 4096},
	    {100, 5000, 3 * 4096},  {4096, 0, 4 * 4096},    {0, 4096, 4 * 4096},
	    {4097, 4095, 4 * 4096}, {4095, 4097, 4 * 4096}, {1, 0, 6 * 4096 - 1},
	    {0, 1, 6 * 4096 - 1},   {300, 300, 2 * 4096},   {8191, 8190, 2},
	};
	size_t copied;

	(void)state;
	map_open(sa, BASE_A, PAGES, RW);
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pattern(model, sizeof model, i);
		poke(sa, BASE_A, model, sizeof model);
		assert_int_equal(vm_space_copy(sa, BASE_A + cases[i].dst, sa, BASE_A + cases[i].src,
					       cases[i].len, &copied),
				 KERR_OK);
		assert_int_equal(copied, cases[i].len);
		memmove(model + cases[i].dst, model + cases[i].src, cases[i].len);
		expect_bytes(sa, BASE_A, model, sizeof model);
	}

	/* Backwards into the end of the area: the prefix up to the fault, as memmove of it. */
	pattern(model, sizeof model, 99);
	poke(sa, BASE_A, model, sizeof model);
	assert_int_equal(
	    vm_space_copy(sa, BASE_A + PAGE + 50, sa, BASE_A + 100, PAGES * PAGE, &copied),
	    KERR_FAULT);
	assert_int_equal(copied, PAGES * PAGE - PAGE - 50);
	memmove(model + PAGE + 50, model + 100, copied);
	expect_bytes(sa, BASE_A, model, sizeof model);

	/* Overlapping pages never touched: zeros, and the source's zero page is replaced. */
	struct vm_area *u = map_open(sa, BASE_A + 16 * PAGE, 3, RW);
	assert_int_equal(
	    vm_space_copy(sa, BASE_A + 16 * PAGE + 10, sa, BASE_A + 16 * PAGE, 2 * PAGE, &copied),
	    KERR_OK);
	assert_int_equal(vm_area_resident(u), 3);
	expect_fill(sa, BASE_A + 16 * PAGE, 0, 3 * PAGE);
}

/*
 * Random copies between random offsets of A and B and within each (A is two adjacent areas, some
 * pages of both never touched before), checked against a byte model of each space.
 */
static void test_random_against_model(void **state)
{
	enum { PAGES_A = 12, PAGES_B = 10, COPIES = 4000, MAX_LEN = 3 * 4096 + 500 };
	static uint8_t model_a[PAGES_A * 4096], model_b[PAGES_B * 4096], got[PAGES_A * 4096];
	struct test_rng rng = test_rng_seeded("vm_copy random");
	unsigned faults = 0;

	(void)state;
	map_open(sa, BASE_A, 5, RW);
	map_open(sa, BASE_A + 5 * PAGE, PAGES_A - 5, RW);
	map_open(sb, BASE_B, PAGES_B, RW);
	memset(model_a, 0, sizeof model_a);
	pattern(model_b, PAGES_B * PAGE / 2, 42); /* the upper half of B stays untouched */
	poke(sb, BASE_B, model_b, PAGES_B * PAGE / 2);
	for (unsigned i = 0; i < COPIES; i++) {
		unsigned dir = (unsigned)test_rng_below(&rng, 4);
		struct vm_space *ds = (dir & 1) ? sb : sa, *ss = (dir & 2) ? sb : sa;
		uint8_t *dm = (dir & 1) ? model_b : model_a, *sm = (dir & 2) ? model_b : model_a;
		size_t dsize = (dir & 1) ? sizeof model_b : sizeof model_a;
		size_t ssize = (dir & 2) ? sizeof model_b : sizeof model_a;
		vaddr_t dbase = (dir & 1) ? BASE_B : BASE_A, sbase = (dir & 2) ? BASE_B : BASE_A;
		size_t len = (size_t)test_rng_below(&rng, MAX_LEN + 1);
		if (test_rng_below(&rng, 8) == 0)
			len = (size_t)test_rng_below(&rng, 3) * PAGE + test_rng_below(&rng, 3) - 1;
		len = len > ssize ? ssize : len;
		len = len > dsize ? dsize : len;
		size_t doff = (size_t)test_rng_below(&rng, dsize - len + 1);
		size_t soff = (size_t)test_rng_below(&rng, ssize - len + 1);
		size_t copied = NOT_SET;
		/* One in sixteen runs past the end of the destination space's areas. */
		bool over = len > 0 && test_rng_below(&rng, 16) == 0;
		if (over)
			doff = dsize - len + 1 + (size_t)test_rng_below(&rng, len);
		kerr_t err = vm_space_copy(ds, dbase + doff, ss, sbase + soff, len, &copied);
		if (over) {
			assert_int_equal(err, KERR_FAULT);
			assert_int_equal(copied, dsize - doff);
			faults++;
		} else {
			assert_int_equal(err, KERR_OK);
			assert_int_equal(copied, len);
		}
		memmove(dm + doff, sm + soff, copied);
		if (i % 256 == 0 || i == COPIES - 1) {
			assert_int_equal(vm_space_read(sa, BASE_A, got, sizeof model_a), KERR_OK);
			assert_memory_equal(got, model_a, sizeof model_a);
			assert_int_equal(vm_space_read(sb, BASE_B, got, sizeof model_b), KERR_OK);
			assert_memory_equal(got, model_b, sizeof model_b);
		}
	}
	expect_bytes(sa, BASE_A, model_a, sizeof model_a);
	expect_bytes(sb, BASE_B, model_b, sizeof model_b);
	printf("# %u random copies, %u of them stopped by a fault\n", COPIES, faults);
	assert_true(faults > 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sizes, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_zero_length, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_crosses_areas, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_untouched_pages, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_destination_read_only, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_destination_straddles_unmapped, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_source_unmapped, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_ranges, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_guard_page, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_fixed_area_refused, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_failure_injection, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_overlap_one_space, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_random_against_model, boot, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
