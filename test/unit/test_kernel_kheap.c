/*
 * Host tests of kernel/memory/kheap.c and kstack.c over the real frame allocator (pmm.c,
 * pmm_init.c) and VM core (kernel space, areas, page tables) in a simulated physical memory: a
 * host buffer that stands for physical addresses 0 .. SIM_BYTES, with one usable range in its
 * memory map. Large blocks live at kernel-space addresses the host cannot dereference, so the
 * tests reach their bytes through the kernel space's page table (host_byte()).
 *
 * - size classes, alignment, usable sizes, kzalloc;
 * - large blocks are areas: one mapping each, PTEs present and writable, PAGE_HEAP frames,
 *   everything (frames, tables, mappings) back at kfree; they need no contiguous frames (a 1 MiB
 *   block on a memory with no free run of two frames); a failure-injection sweep over a large
 *   kmalloc leaks nothing at any k;
 * - kernel stacks: a guarded area with both guard pages unmapped, populated, destroyed back;
 * - random sizes (small and large) freed in random order, checked against a model: no two live
 *   blocks overlap, every block keeps the pattern written into it until it is freed;
 * - after everything is freed and the spares trimmed, the heap holds no frame and the pmm's free
 *   count is back at its baseline;
 * - exhaustion: an injected failure at kmalloc and at the pmm below it gives NULL and leaks
 *   nothing; real exhaustion ends in NULL, and freeing everything recovers every frame;
 * - debug checks: double free, a pointer kmalloc never returned, a write after free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/debug_check.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/kstack.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area.h"
#include "kernel/memory/vm_space.h"
#include "test/unit/sim_machine.h"
#include "test/unit/test_kernel_rng.h"

#define SIM_BYTES (48ull << 20) /* simulated physical memory */

static struct pagetable kernel_pt;
static uint64_t baseline_free, baseline_tables, baseline_mappings;
static struct kheap_stats baseline_heap; /* vm_init()'s own records */

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.free;
}

static uint64_t frames_of(enum page_kind kind)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.by_kind[kind];
}

/* PAGE_HEAP frames of the heap itself: less the page-tree node cache's (also PAGE_HEAP). */
static uint64_t heap_frames(void)
{
	struct page_tree_cache_stats pt;

	page_tree_cache_get_stats(page_tree_cache_kernel(), &pt);
	return frames_of(PAGE_HEAP) - pt.frames;
}

/* Where byte I of block P lives in host memory: P itself, or through the kernel's PTE. */
static uint8_t *host_byte(void *p, size_t i)
{
	struct pagetable_mapping m;
	uintptr_t va = (uintptr_t)p + i;

	if (sim_in_linear(p))
		return (uint8_t *)va;
	assert_int_equal(pagetable_query(&kernel_pt, va, &m), KERR_OK);
	return (uint8_t *)phys_to_virt(m.pa) + (va & 4095);
}

static void fill_block(void *p, uint8_t value, size_t size)
{
	for (size_t i = 0; i < size;) {
		size_t n = 4096 - (((uintptr_t)p + i) & 4095);
		n = n < size - i ? n : size - i;
		memset(host_byte(p, i), value, n);
		i += n;
	}
}

/* The offset of the first byte of P that is not VALUE, or SIZE. */
static size_t check_block(void *p, uint8_t value, size_t size)
{
	for (size_t i = 0; i < size;) {
		size_t n = 4096 - (((uintptr_t)p + i) & 4095);
		n = n < size - i ? n : size - i;
		const uint8_t *h = host_byte(p, i);
		for (size_t j = 0; j < n; j++)
			if (h[j] != value)
				return i + j;
		i += n;
	}
	return size;
}

/* A fresh machine for every test: the pmm from a one-range memory map, then the heap. */
static int boot(void **state)
{
	sim_boot_vm(SIM_BYTES, &kernel_pt);
	kheap_get_stats(&baseline_heap);
	baseline_free = free_frames();
	baseline_tables = frames_of(PAGE_PAGE_TABLE);
	baseline_mappings = vm_space_mapping_count(vm_space_kernel());
	return 0;
}

/* Every test ends with nothing allocated: the heap gives back its spares and counts return. */
static void expect_baseline(void)
{
	struct kheap_stats ks;

	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	kheap_get_stats(&ks);
	for (unsigned i = 0; i < KHEAP_CLASS_COUNT; i++) {
		assert_int_equal(ks.classes[i].objects, baseline_heap.classes[i].objects);
		assert_int_equal(ks.classes[i].slabs, baseline_heap.classes[i].slabs);
	}
	assert_int_equal(ks.large_objects, 0);
	assert_int_equal(ks.large_frames, 0);
	assert_int_equal(ks.frames, baseline_heap.frames);
	assert_int_equal(heap_frames(), baseline_heap.frames);
	assert_int_equal(frames_of(PAGE_KERNEL_STACK), 0);
	assert_int_equal(frames_of(PAGE_PAGE_TABLE), baseline_tables);
	assert_int_equal(vm_space_mapping_count(vm_space_kernel()), baseline_mappings);
	assert_int_equal(free_frames(), baseline_free);
}

static void test_classes_and_alignment(void **state)
{
	static const size_t sizes[] = {0,   1,   15,  16,  17,   33,   64,
				       100, 255, 256, 257, 1000, 2047, 2048};
	static const size_t want[] = {16,  16,  16,  16,  32,   64,   64,
				      128, 256, 256, 512, 1024, 2048, 2048};
	void *p[(sizeof(sizes) / sizeof(sizes[0]))];

	for (size_t i = 0; i < (sizeof(sizes) / sizeof(sizes[0])); i++) {
		p[i] = kmalloc(sizes[i]);
		assert_non_null(p[i]);
		assert_int_equal(kheap_usable_size(p[i]), want[i]);
		assert_int_equal((uintptr_t)p[i] % want[i], 0);
		memset(p[i], 0xa5, want[i]);
	}
	struct kheap_stats ks;
	kheap_get_stats(&ks);
	assert_int_equal(ks.classes[0].objects - baseline_heap.classes[0].objects, 4);
	assert_int_equal(ks.classes[0].bytes - baseline_heap.classes[0].bytes, 64);
	assert_int_equal(ks.classes[7].objects - baseline_heap.classes[7].objects, 2);
	assert_int_equal(ks.frames, heap_frames());
	for (size_t i = 0; i < (sizeof(sizes) / sizeof(sizes[0])); i++)
		kfree(p[i]);
	kfree(NULL);
	expect_baseline();
}

static void test_large_and_zeroed(void **state)
{
	uint8_t *a = kmalloc(2049);
	uint8_t *b = kzalloc(3 * 4096 + 1);
	uint8_t *c = kzalloc(40);

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_int_equal((uintptr_t)a % 4096, 0);
	assert_int_equal(kheap_usable_size(a), 4096);
	assert_int_equal(kheap_usable_size(b), 4 * 4096);
	assert_int_equal(check_block(b, 0, 3 * 4096 + 1), 3 * 4096 + 1);
	for (size_t i = 0; i < 40; i++)
		assert_int_equal(c[i], 0);
	struct kheap_stats ks;
	kheap_get_stats(&ks);
	assert_int_equal(ks.large_objects, 2);
	assert_int_equal(ks.large_frames, 5);
	assert_null(kmalloc((1ull << 30) + 1)); /* past the sanity bound */
	assert_null(kmalloc(SIZE_MAX));
	/* Past the largest frame run (4 MiB): fine, an area needs no contiguous frames. */
	void *d = kmalloc((4096u << PMM_MAX_ORDER) + 1);
	assert_non_null(d);
	assert_int_equal(kheap_usable_size(d), (4096u << PMM_MAX_ORDER) + 4096);
	kfree(d);
	kfree(a);
	kfree(b);
	kfree(c);
	expect_baseline();
}

struct block {
	uint8_t *p;
	size_t size;
	uint8_t pattern;
};

static size_t random_size(struct test_rng *r)
{
	switch (test_rng_below(r, 16)) {
	case 0:
		if (test_rng_below(r, 8) == 0)
			return 2049 + test_rng_below(r, 64 * 4096); /* large: up to 65 frames */
		return 2049 + test_rng_below(r, 5 * 4096);          /* large: up to 8 frames */
	case 1:
	case 2:
		return 1 + test_rng_below(r, 2048);
	default:
		return 1 + test_rng_below(r, 160);
	}
}

static void check_and_free(struct block *b)
{
	size_t bad = check_block(b->p, b->pattern, b->size);

	if (bad != b->size)
		fail_msg("block %p (%zu bytes): byte %zu is 0x%02x, want 0x%02x", (void *)b->p,
			 b->size, bad, *host_byte(b->p, bad), b->pattern);
	kfree(b->p);
	b->p = NULL;
}

static void test_random_against_model(void **state)
{
	enum { SLOTS = 600, STEPS = 30000 };
	static struct block blocks[SLOTS];
	struct test_rng r = test_rng_seeded("kheap random");

	memset(blocks, 0, sizeof(blocks));
	for (unsigned step = 0; step < STEPS; step++) {
		struct block *b = &blocks[test_rng_below(&r, SLOTS)];
		if (b->p != NULL) {
			check_and_free(b);
			continue;
		}
		b->size = random_size(&r);
		b->p = kmalloc(b->size);
		assert_non_null(b->p);
		assert_true(kheap_usable_size(b->p) >= b->size);
		for (unsigned j = 0; j < SLOTS; j++) {
			const struct block *o = &blocks[j];
			if (o == b || o->p == NULL)
				continue;
			if (b->p < o->p + o->size && o->p < b->p + b->size)
				fail_msg("%p+%zu overlaps %p+%zu", (void *)b->p, b->size,
					 (void *)o->p, o->size);
		}
		b->pattern = (uint8_t)(step * 7 + 1);
		fill_block(b->p, b->pattern, b->size);
	}
	/* The heap holds exactly what the model says is live, and frees back to the baseline. */
	struct kheap_stats ks;
	kheap_get_stats(&ks);
	uint64_t live = 0, live_large = 0;
	for (unsigned j = 0; j < SLOTS; j++) {
		if (blocks[j].p != NULL) {
			live++;
			live_large += blocks[j].size > KHEAP_SMALL_MAX;
		}
	}
	uint64_t counted = ks.large_objects;
	for (unsigned i = 0; i < KHEAP_CLASS_COUNT; i++)
		counted += ks.classes[i].objects - baseline_heap.classes[i].objects;
	/* Each large block also holds two small objects: its area and its mapping records. */
	assert_int_equal(counted, live + 2 * live_large);
	assert_int_equal(ks.large_objects, live_large);
	assert_int_equal(ks.frames, heap_frames());
	for (unsigned j = 0; j < SLOTS; j++) {
		if (blocks[j].p != NULL)
			check_and_free(&blocks[j]);
	}
	expect_baseline();
}

static void test_injected_failures(void **state)
{
	/* At kmalloc's own entry. */
	fail_inject_arm(1);
	assert_null(kmalloc(64));
	void *p = kmalloc(64); /* disarmed again */
	assert_non_null(p);
	kfree(p);
	expect_baseline();
	/* Below: the pmm refusing the slab frame (attempt 2: kmalloc's, then the pmm's). */
	fail_inject_arm(2);
	assert_null(kmalloc(512));
	fail_inject_arm(2);
	assert_null(kmalloc(10000));
	struct kheap_stats ks;
	kheap_get_stats(&ks);
	assert_int_equal(ks.classes[5].slabs, baseline_heap.classes[5].slabs);
	assert_int_equal(ks.large_objects, 0);
	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	assert_int_equal(heap_frames(), baseline_heap.frames);
	p = kmalloc(512);
	assert_non_null(p);
	kfree(p);
	expect_baseline();
}

/* Links every block through its first word, so exhausting memory needs no side table. */
static void test_exhaustion_and_recovery(void **state)
{
	void *chain = NULL;
	uint64_t count = 0;

	for (size_t size = 4096u << PMM_MAX_ORDER; size >= 16; size /= 2) {
		void *p;
		while ((p = kmalloc(size)) != NULL) {
			memcpy(host_byte(p, 0), &chain, sizeof(chain));
			chain = p;
			count++;
		}
	}
	assert_true(count > 0);
	assert_null(kmalloc(16));
	assert_null(kmalloc(5000));
	assert_true(free_frames() == 0);
	while (chain != NULL) {
		void *next;
		memcpy(&next, host_byte(chain, 0), sizeof(next));
		kfree(chain);
		chain = next;
	}
	expect_baseline();
	void *p = kmalloc(100);
	assert_non_null(p);
	kfree(p);
	expect_baseline();
}

static void test_debug_checks(void **state)
{
	uint64_t *p = kmalloc(64), *q = kmalloc(64), *big = kmalloc(8192);
	static uint64_t not_heap[4];

	assert_non_null(p);
	assert_non_null(q);
	assert_non_null(big);
	kfree(p);
	SIM_EXPECT_CHECK_FAILS(kfree(p), "double free of 64-byte object");
	SIM_EXPECT_CHECK_FAILS(kfree((uint8_t *)q + 16 + 8), "is not an object kmalloc returned");
	SIM_EXPECT_CHECK_FAILS(kfree((uint8_t *)big + 4096), "not the start of a heap object");
	kfree(big);
	SIM_EXPECT_CHECK_FAILS(kfree(big), "nothing mapped there: double free?");
	SIM_EXPECT_CHECK_FAILS(kheap_usable_size(big), "is not a kheap pointer");
	/* A kernel-space mapping that is not the heap's: refused, not unmapped. */
	struct vm_area *other;
	vaddr_t at;
	assert_int_equal(vm_area_create_open(2, VM_PROT_READ | VM_PROT_WRITE, &other), KERR_OK);
	assert_int_equal(vm_space_map(vm_space_kernel(), other, 0, VM_MAP_ANYWHERE, 2,
				      VM_PROT_READ | VM_PROT_WRITE, &at),
			 KERR_OK);
	SIM_EXPECT_CHECK_FAILS(kfree((void *)at), "someone else's");
	assert_int_equal(vm_space_unmap(vm_space_kernel(), at), KERR_OK);
	vm_area_put(other);
	SIM_EXPECT_CHECK_FAILS(kfree(not_heap), "is not a kheap pointer");
	/* A write after free is caught when the object is handed out again. */
	p[3] = 42;
	SIM_EXPECT_CHECK_FAILS(kmalloc(64), "use after free: 64-byte object");
}

/* A large block is one kernel-space mapping of PAGE_HEAP frames, present and writable. */
static void test_large_block_is_an_area(void **state)
{
	enum { PAGES = 256 }; /* 1 MiB */
	uint64_t heap_before = frames_of(PAGE_HEAP);
	uint8_t *p = kmalloc(PAGES * 4096);

	assert_non_null(p);
	assert_false(sim_in_linear(p));
	assert_true((uintptr_t)p >= QUIRE_KERNEL_HALF_BASE && (uintptr_t)p % 4096 == 0);
	assert_int_equal(vm_space_mapping_count(vm_space_kernel()), baseline_mappings + 1);
	assert_int_equal(frames_of(PAGE_HEAP) - heap_before >= PAGES, true);
	for (unsigned i = 0; i < PAGES; i++) {
		struct pagetable_mapping m;
		assert_int_equal(pagetable_query(&kernel_pt, (vaddr_t)p + i * 4096ull, &m),
				 KERR_OK);
		assert_int_equal(m.prot & (PAGETABLE_WRITE | PAGETABLE_USER), PAGETABLE_WRITE);
		assert_int_equal(pmm_page_from_phys(m.pa)->kind, PAGE_HEAP);
	}
	assert_int_equal(check_block(p, 0, PAGES * 4096), PAGES * 4096); /* zero-filled */
	fill_block(p, 0x3c, PAGES * 4096);
	assert_int_equal(check_block(p, 0x3c, PAGES * 4096), PAGES * 4096);
	struct kheap_stats ks;
	kheap_get_stats(&ks);
	assert_int_equal(ks.large_objects, 1);
	assert_int_equal(ks.large_frames, PAGES);
	kfree(p);
	struct pagetable_mapping m;
	assert_int_equal(pagetable_query(&kernel_pt, (vaddr_t)p, &m), KERR_NOT_FOUND);
	expect_baseline();
}

/*
 * With no free run of even two frames, the old design (a buddy run per large block) could not
 * serve a single 8 KiB request; areas serve 1 MiB blocks until the single frames run out.
 */
static void test_large_blocks_need_no_contiguous_frames(void **state)
{
	static struct page *held[SIM_BYTES / 4096];
	size_t n = 0, blocks = 0;
	struct page *pg;
	void *big[16];

	while ((pg = pmm_alloc_page(PAGE_TEST, 0)) != NULL)
		held[n++] = pg;
	for (size_t i = 0; i < n; i += 2)
		pmm_free_page(held[i]); /* every other frame: free memory is all holes */
	assert_null(pmm_alloc_pages(1, PAGE_TEST, 0));
	for (blocks = 0; blocks < 16; blocks++) {
		big[blocks] = kmalloc(1u << 20);
		if (big[blocks] == NULL)
			break;
		fill_block(big[blocks], (uint8_t)blocks, 1u << 20);
	}
	print_message("# 1 MiB blocks on a checkerboard of %zu free frames: %zu\n", (n + 1) / 2,
		      blocks);
	assert_true(blocks >= 8);
	for (size_t i = 0; i < blocks; i++) {
		assert_int_equal(check_block(big[i], (uint8_t)i, 1u << 20), 1u << 20);
		kfree(big[i]);
	}
	for (size_t i = 1; i < n; i += 2)
		pmm_free_page(held[i]);
	expect_baseline();
}

/* The k-th allocation attempt inside a large kmalloc fails, for every k: NULL, nothing leaked. */
static void test_large_failure_sweep(void **state)
{
	unsigned k;

	for (k = 1; k < 1000; k++) {
		fail_inject_arm(k);
		void *p = kmalloc(200 * 1024);
		fail_inject_arm(0);
		if (p != NULL) {
			kfree(p);
			expect_baseline();
			break;
		}
		expect_baseline();
	}
	print_message("# large kmalloc: %u injected failures, each undone\n", k - 1);
	assert_true(k > 50 && k < 1000); /* 50 frames at least: every one was a chance to fail */
}

/* Kernel stacks: guard pages without PTEs on both sides, populated pages, destroyed back. */
static void test_kstack(void **state)
{
	struct kstack s, t;

	assert_int_equal(kstack_create(0, &s), KERR_INVALID);
	assert_int_equal(kstack_create(KSTACK_MAX_PAGES + 1, &s), KERR_INVALID);
	assert_int_equal(kstack_create(4, &s), KERR_OK);
	assert_int_equal(kstack_create(2, &t), KERR_OK);
	assert_int_equal(s.top - s.bottom, 4 * 4096);
	assert_int_equal(s.bottom - s.base, 4096);
	assert_int_equal(s.top % 16, 0);
	assert_int_equal(frames_of(PAGE_KERNEL_STACK), 6);
	struct pagetable_mapping m;
	assert_int_equal(pagetable_query(&kernel_pt, s.base, &m), KERR_NOT_FOUND);
	assert_int_equal(pagetable_query(&kernel_pt, s.top, &m), KERR_NOT_FOUND);
	for (vaddr_t va = s.bottom; va < s.top; va += 4096) {
		assert_int_equal(pagetable_query(&kernel_pt, va, &m), KERR_OK);
		assert_int_equal(pmm_page_from_phys(m.pa)->kind, PAGE_KERNEL_STACK);
	}
	assert_int_equal(vm_space_allocate(vm_space_kernel(), s.base + 8, VM_PROT_WRITE),
			 VM_FAULT_GUARD);
	assert_int_equal(vm_space_allocate(vm_space_kernel(), s.top, VM_PROT_READ), VM_FAULT_GUARD);
	SIM_EXPECT_CHECK_FAILS(kfree((void *)s.bottom), "someone else's");
	kstack_destroy(&s);
	kstack_destroy(&t);
	expect_baseline();
	/* Failure injection over creation: every k fails cleanly. */
	for (unsigned k = 1; k < 200; k++) {
		fail_inject_arm(k);
		kerr_t err = kstack_create(4, &s);
		fail_inject_arm(0);
		if (err == KERR_OK) {
			kstack_destroy(&s);
			expect_baseline();
			break;
		}
		assert_int_equal(err, KERR_NO_MEMORY);
		expect_baseline();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_classes_and_alignment, boot),
	    cmocka_unit_test_setup(test_large_and_zeroed, boot),
	    cmocka_unit_test_setup(test_random_against_model, boot),
	    cmocka_unit_test_setup(test_injected_failures, boot),
	    cmocka_unit_test_setup(test_exhaustion_and_recovery, boot),
	    cmocka_unit_test_setup(test_large_block_is_an_area, boot),
	    cmocka_unit_test_setup(test_large_blocks_need_no_contiguous_frames, boot),
	    cmocka_unit_test_setup(test_large_failure_sweep, boot),
	    cmocka_unit_test_setup(test_kstack, boot),
	    cmocka_unit_test_setup(test_debug_checks, boot),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	return failed;
}
