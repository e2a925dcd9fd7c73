/*
 * Host tests of the VM core (kernel/memory/vm_area*.c, vm_space*.c, kernel/objects/kobject.c)
 * over the real pmm, kheap, page tree, region tree and page tables in simulated physical memory.
 * The host cannot take real faults, so the tests call vm_space_allocate() as the #PF handler
 * would and read the PTEs back with pagetable_query(); "memory" written through a PTE is written
 * at the frame's simulated address.
 *
 * - open areas: read fault -> zero page read-only, write -> a private frame, write after read
 *   replaces the zero page; the area outlives its handle while mapped and frees on the last put;
 * - sharing: one area in two spaces sees one frame; the zero page stops once shared, and the
 *   first space's zero-page PTEs are cleared when the second mapping arrives;
 * - resize: grow in every space, refused without change when a space has no room; shrink
 *   clears PTEs in every space, frees the pages, and the old range no longer maps;
 * - protect within max rights; unmap; destroy; errors;
 * - fixed (write-combining PTE bits), guarded (guard faults), reservation (no PTEs), the kernel
 *   space's reservations;
 * - a failure-injection sweep over a whole scenario: every run ends in an error or success,
 *   never a crash, and the frame count is back at its baseline.
 * Frame counts (PAGE_USER, PAGE_PAGE_TABLE, free) are checked after each step.
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
#include "kernel/memory/vm_space.h"
#include "test/unit/sim_machine.h"

#define SIM_BYTES (64ull << 20)
#define PAGE      4096ull
#define RW        (VM_PROT_READ | VM_PROT_WRITE)
#define R         VM_PROT_READ

static struct pagetable kernel_pt;
static uint64_t baseline_free, baseline_tables;

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

static int boot(void **state)
{
	(void)state;
	sim_boot_vm(SIM_BYTES, &kernel_pt);
	baseline_free = frames_of(PAGE_FREE);
	baseline_tables = frames_of(PAGE_PAGE_TABLE);
	assert_int_equal(frames_of(PAGE_USER), 1); /* the zero page */
	return 0;
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

static int teardown(void **state)
{
	(void)state;
	expect_baseline();
	return 0;
}

/* The PTE at VA in SPACE: true when present, with *M filled. */
static bool pte(struct vm_space *space, vaddr_t va, struct pagetable_mapping *m)
{
	return pagetable_query(&space->pt, va, m) == KERR_OK;
}

static paddr_t pte_pa(struct vm_space *space, vaddr_t va)
{
	struct pagetable_mapping m;

	assert_true(pte(space, va, &m));
	return m.pa;
}

static uint64_t *frame_word(paddr_t pa)
{
	return (uint64_t *)(phys_host_base + pa);
}

static void test_open_zero_page_then_private(void **state)
{
	struct vm_space *s;
	struct vm_area *a;
	struct pagetable_mapping m;
	vaddr_t base;

	(void)state;
	assert_int_equal(vm_space_create(&s), KERR_OK);
	assert_int_equal(vm_area_create_open(4, RW, &a), KERR_OK);
	assert_int_equal(vm_space_map(s, a, 0, VM_MAP_ANYWHERE, 4, RW, &base), KERR_OK);
	assert_int_equal(base, VM_USER_LO);
	assert_false(pte(s, base, &m)); /* mapping writes no PTE */

	/* A read of an untouched page: the zero page, read-only, user. */
	assert_int_equal(vm_space_allocate(s, base + 10, R), VM_FAULT_OK);
	assert_true(pte(s, base, &m));
	assert_int_equal(m.pa, vm_zero_page());
	assert_int_equal(m.prot, PAGETABLE_READ | PAGETABLE_USER);
	assert_int_equal(user_frames(), 0);

	/* The first write replaces it with a private zeroed frame. */
	assert_int_equal(vm_space_allocate(s, base + 8, VM_PROT_WRITE), VM_FAULT_OK);
	assert_true(pte(s, base, &m));
	assert_true(m.pa != vm_zero_page());
	assert_int_equal(m.prot, PAGETABLE_READ | PAGETABLE_WRITE | PAGETABLE_USER);
	assert_int_equal(*frame_word(m.pa), 0);
	assert_int_equal(user_frames(), 1);
	assert_int_equal(*frame_word(vm_zero_page()), 0);

	/* A write to an untouched page allocates directly; a second fault changes nothing. */
	assert_int_equal(vm_space_allocate(s, base + 3 * PAGE, VM_PROT_WRITE), VM_FAULT_OK);
	assert_int_equal(vm_space_allocate(s, base + 3 * PAGE, VM_PROT_WRITE), VM_FAULT_OK);
	assert_int_equal(user_frames(), 2);
	assert_int_equal(vm_area_resident(a), 2);
	assert_int_equal(vm_space_allocate(s, base + 4 * PAGE, R), VM_FAULT_NO_MAPPING);
	assert_int_equal(vm_space_allocate(s, base + 2 * PAGE, VM_PROT_EXEC), VM_FAULT_PROTECTION);

	/* The handle goes first: the mapping keeps the area and its frames. */
	assert_int_equal(kobject_refcount(&a->obj), 2);
	vm_area_put(a);
	assert_int_equal(user_frames(), 2);
	assert_int_equal(vm_space_unmap(s, base), KERR_OK); /* the last reference: frames go */
	assert_false(pte(s, base, &m));
	assert_int_equal(user_frames(), 0);
	assert_int_equal(vm_space_unmap(s, base), KERR_NOT_FOUND);
	assert_int_equal(vm_space_allocate(s, base, R), VM_FAULT_NO_MAPPING);
	vm_space_destroy(s);
}

static void test_share_between_spaces(void **state)
{
	struct vm_space *sa, *sb;
	struct vm_area *a;
	vaddr_t ba, bb;

	(void)state;
	assert_int_equal(vm_space_create(&sa), KERR_OK);
	assert_int_equal(vm_space_create(&sb), KERR_OK);
	assert_int_equal(vm_area_create_open(8, RW, &a), KERR_OK);
	assert_int_equal(vm_space_map(sa, a, 0, 0x400000, 8, RW, &ba), KERR_OK);
	assert_int_equal(vm_space_map(sb, a, 0, 0x7000000, 8, RW, &bb), KERR_OK);
	assert_int_equal(ba, 0x400000);

	assert_int_equal(vm_space_allocate(sa, ba + 3 * PAGE, VM_PROT_WRITE), VM_FAULT_OK);
	*frame_word(pte_pa(sa, ba + 3 * PAGE)) = 0xfeedface;
	/* B faults its own PTE in lazily, to the same frame. */
	struct pagetable_mapping m;
	assert_false(pte(sb, bb + 3 * PAGE, &m));
	assert_int_equal(vm_space_allocate(sb, bb + 3 * PAGE, R), VM_FAULT_OK);
	assert_int_equal(pte_pa(sb, bb + 3 * PAGE), pte_pa(sa, ba + 3 * PAGE));
	assert_int_equal(*frame_word(pte_pa(sb, bb + 3 * PAGE)), 0xfeedface);
	/* Shared: a read of an untouched page allocates (the zero page would go stale in A). */
	assert_int_equal(vm_space_allocate(sb, bb + 5 * PAGE, R), VM_FAULT_OK);
	assert_true(pte_pa(sb, bb + 5 * PAGE) != vm_zero_page());
	assert_int_equal(user_frames(), 2);

	/* Unmap from A: B still works; the area lives on. */
	assert_int_equal(vm_space_unmap(sa, ba), KERR_OK);
	assert_int_equal(user_frames(), 2);
	assert_int_equal(*frame_word(pte_pa(sb, bb + 3 * PAGE)), 0xfeedface);
	vm_area_put(a);
	assert_int_equal(user_frames(), 2);
	/* Destroying B drops the last reference: no per-page work, every frame back. */
	vm_space_destroy(sb);
	assert_int_equal(user_frames(), 0);
	vm_space_destroy(sa);
}

/* A read maps the zero page in A; mapping the area into B clears it, so B's write shows in A. */
static void test_share_after_zero_page(void **state)
{
	struct vm_space *sa, *sb;
	struct vm_area *a;
	vaddr_t ba, bb;

	(void)state;
	assert_int_equal(vm_space_create(&sa), KERR_OK);
	assert_int_equal(vm_space_create(&sb), KERR_OK);
	assert_int_equal(vm_area_create_open(2, RW, &a), KERR_OK);
	assert_int_equal(vm_space_map(sa, a, 0, VM_MAP_ANYWHERE, 2, RW, &ba), KERR_OK);
	assert_int_equal(vm_space_allocate(sa, ba, R), VM_FAULT_OK);
	assert_int_equal(pte_pa(sa, ba), vm_zero_page());
	assert_int_equal(vm_space_map(sb, a, 0, VM_MAP_ANYWHERE, 2, RW, &bb), KERR_OK);
	struct pagetable_mapping m;
	assert_false(pte(sa, ba, &m));
	assert_int_equal(vm_space_allocate(sb, bb, VM_PROT_WRITE), VM_FAULT_OK);
	*frame_word(pte_pa(sb, bb)) = 42;
	assert_int_equal(vm_space_allocate(sa, ba, R), VM_FAULT_OK);
	assert_int_equal(*frame_word(pte_pa(sa, ba)), 42);
	vm_area_put(a);
	vm_space_destroy(sa);
	vm_space_destroy(sb);
}

static void test_resize_grow_and_shrink(void **state)
{
	struct vm_space *sa, *sb;
	struct vm_area *a, *obstacle;
	vaddr_t ba, bb, bo;
	struct pagetable_mapping m;

	(void)state;
	assert_int_equal(vm_space_create(&sa), KERR_OK);
	assert_int_equal(vm_space_create(&sb), KERR_OK);
	assert_int_equal(vm_area_create_open(4, RW, &a), KERR_OK);
	assert_int_equal(vm_space_map(sa, a, 0, 0x100000, 4, RW, &ba), KERR_OK);
	assert_int_equal(vm_space_map(sb, a, 0, 0x200000, 4, RW, &bb), KERR_OK);

	assert_int_equal(vm_space_resize(a, 8), KERR_OK);
	assert_int_equal(a->pages, 8);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(vm_space_allocate(sa, ba + i * PAGE, VM_PROT_WRITE), VM_FAULT_OK);
	assert_int_equal(vm_space_allocate(sb, bb + 7 * PAGE, R), VM_FAULT_OK);
	assert_int_equal(pte_pa(sb, bb + 7 * PAGE), pte_pa(sa, ba + 7 * PAGE));
	assert_int_equal(user_frames(), 8);

	/* No room in B: nothing changes anywhere. */
	assert_int_equal(vm_area_create_open(1, RW, &obstacle), KERR_OK);
	assert_int_equal(vm_space_map(sb, obstacle, 0, bb + 12 * PAGE, 1, RW, &bo), KERR_OK);
	assert_int_equal(vm_space_resize(a, 16), KERR_EXISTS);
	assert_int_equal(a->pages, 8);
	assert_int_equal(vm_space_allocate(sa, ba + 8 * PAGE, R), VM_FAULT_NO_MAPPING);
	assert_int_equal(vm_space_resize(a, 12), KERR_OK); /* touching is fine */
	assert_int_equal(vm_space_resize(a, (VM_USER_HI - 0x100000) / PAGE + 1), KERR_EXISTS);

	/* Shrink to 2: PTEs gone in both spaces, pages 2..7 freed, the old range unmapped. */
	assert_int_equal(vm_space_resize(a, 2), KERR_OK);
	assert_int_equal(user_frames(), 2);
	assert_int_equal(vm_area_resident(a), 2);
	for (unsigned i = 2; i < 8; i++) {
		assert_false(pte(sa, ba + i * PAGE, &m));
		assert_int_equal(vm_space_allocate(sa, ba + i * PAGE, R), VM_FAULT_NO_MAPPING);
	}
	assert_false(pte(sb, bb + 7 * PAGE, &m));
	assert_int_equal(vm_space_allocate(sb, bb + 7 * PAGE, R), VM_FAULT_NO_MAPPING);
	assert_true(pte(sa, ba + PAGE, &m));
	/* The freed room can be mapped again. */
	vaddr_t again;
	assert_int_equal(vm_space_map(sa, obstacle, 0, ba + 2 * PAGE, 1, RW, &again), KERR_OK);
	assert_int_equal(vm_space_resize(a, 3), KERR_EXISTS);
	assert_int_equal(vm_space_resize(a, 0), KERR_INVALID);

	vm_area_put(a);
	vm_area_put(obstacle);
	vm_space_destroy(sa);
	vm_space_destroy(sb);
}

static void test_protect(void **state)
{
	struct vm_space *s;
	struct vm_area *a;
	vaddr_t b;
	struct pagetable_mapping m;

	(void)state;
	assert_int_equal(vm_space_create(&s), KERR_OK);
	assert_int_equal(vm_area_create_open(2, RW, &a), KERR_OK);
	assert_int_equal(vm_space_map(s, a, 0, VM_MAP_ANYWHERE, 2, RW | VM_PROT_EXEC, &b),
			 KERR_ACCESS_DENIED);
	assert_int_equal(vm_space_map(s, a, 0, VM_MAP_ANYWHERE, 2, VM_PROT_WRITE, &b),
			 KERR_INVALID);
	assert_int_equal(vm_space_map(s, a, 1, VM_MAP_ANYWHERE, 2, R, &b), KERR_INVALID);
	assert_int_equal(vm_space_map(s, a, 0, VM_MAP_ANYWHERE, 2, R, &b), KERR_OK);
	assert_int_equal(vm_space_allocate(s, b, VM_PROT_WRITE), VM_FAULT_PROTECTION);
	assert_int_equal(vm_space_allocate(s, b, R), VM_FAULT_OK);
	assert_int_equal(vm_space_protect(s, b, RW | VM_PROT_EXEC), KERR_ACCESS_DENIED);
	assert_int_equal(vm_space_protect(s, b + PAGE, RW), KERR_NOT_FOUND);
	assert_int_equal(vm_space_protect(s, b, RW), KERR_OK);
	assert_false(pte(s, b, &m)); /* the zero-page PTE is cleared, not made writable */
	assert_int_equal(vm_space_allocate(s, b, VM_PROT_WRITE), VM_FAULT_OK);
	assert_int_equal(vm_space_protect(s, b, R), KERR_OK);
	assert_true(pte(s, b, &m));
	assert_int_equal(m.prot, PAGETABLE_READ | PAGETABLE_USER);
	assert_int_equal(vm_space_protect(s, b, 0), KERR_OK);
	assert_false(pte(s, b, &m));
	assert_int_equal(vm_space_allocate(s, b, R), VM_FAULT_PROTECTION);
	assert_int_equal(user_frames(), 1);
	vm_area_put(a);
	vm_space_destroy(s);
}

static void test_fixed_write_combining(void **state)
{
	struct vm_space *s;
	struct vm_area *a;
	vaddr_t b;
	struct pagetable_mapping m;
	uint64_t free_before = frames_of(PAGE_FREE);

	(void)state;
	assert_int_equal(vm_area_create_fixed(0x3000000, 4, RW, CACHE_WRITE_COMBINING, &a),
			 KERR_OK);
	assert_int_equal(vm_space_create(&s), KERR_OK);
	assert_int_equal(vm_space_map(s, a, 1, VM_MAP_ANYWHERE, 3, RW, &b), KERR_OK);
	assert_int_equal(vm_space_allocate(s, b + 2 * PAGE + 5, VM_PROT_WRITE), VM_FAULT_OK);
	assert_true(pte(s, b + 2 * PAGE, &m));
	assert_int_equal(m.pa, 0x3000000 + 3 * PAGE);
	assert_int_equal(m.cache, CACHE_WRITE_COMBINING);
	assert_int_equal(m.pte & (PTE_PAT_4K | PTE_PCD | PTE_PWT), PTE_PAT_4K);
	assert_int_equal(user_frames(), 0);
	vm_space_destroy(s);
	assert_int_equal(kobject_refcount(&a->obj), 1);
	vm_area_put(a);
	kheap_trim();
	assert_int_equal(frames_of(PAGE_FREE), free_before);
	assert_int_equal(vm_area_create_fixed(0x3000001, 4, RW, CACHE_WRITE_BACK, &a),
			 KERR_INVALID);
}

static void test_guarded(void **state)
{
	struct vm_space *s;
	struct vm_area *a;
	vaddr_t b;

	(void)state;
	assert_int_equal(vm_area_create_guarded(4, 1, 1, RW, &a), KERR_OK);
	assert_int_equal(a->pages, 6);
	assert_int_equal(vm_space_create(&s), KERR_OK);
	assert_int_equal(vm_space_map(s, a, 0, VM_MAP_ANYWHERE, 6, RW, &b), KERR_OK);
	assert_int_equal(vm_space_allocate(s, b, VM_PROT_WRITE), VM_FAULT_GUARD);
	assert_int_equal(vm_space_allocate(s, b + 5 * PAGE, R), VM_FAULT_GUARD);
	for (unsigned i = 1; i < 5; i++)
		assert_int_equal(vm_space_allocate(s, b + i * PAGE, VM_PROT_WRITE), VM_FAULT_OK);
	assert_int_equal(user_frames(), 4);
	assert_int_equal(vm_space_resize(a, 8), KERR_UNSUPPORTED);
	assert_string_equal(vm_fault_result_name(VM_FAULT_GUARD), "guard page (stack overflow)");
	vm_area_put(a);
	vm_space_destroy(s);
}

static void test_reservation_writes_no_ptes(void **state)
{
	struct vm_space *s;
	struct vm_area *a;
	vaddr_t b;
	uint64_t tables;

	(void)state;
	assert_int_equal(vm_space_create(&s), KERR_OK);
	tables = frames_of(PAGE_PAGE_TABLE);
	assert_int_equal(vm_area_create_reservation(1024, &a), KERR_OK);
	assert_int_equal(vm_space_map(s, a, 0, 0x40000000, 1024, R, &b), KERR_ACCESS_DENIED);
	assert_int_equal(vm_space_map(s, a, 0, 0x40000000, 1024, 0, &b), KERR_OK);
	assert_int_equal(vm_space_allocate(s, b + 77 * PAGE, R), VM_FAULT_NO_MAPPING);
	assert_int_equal(vm_space_allocate(s, b, VM_PROT_WRITE), VM_FAULT_NO_MAPPING);
	assert_int_equal(frames_of(PAGE_PAGE_TABLE), tables);
	vaddr_t inside;
	assert_int_equal(vm_space_map(s, a, 0, 0x40000000 + 4 * PAGE, 1, 0, &inside), KERR_EXISTS);
	assert_int_equal(vm_space_unmap(s, b), KERR_OK);
	vm_area_put(a);
	vm_space_destroy(s);
}

static void test_kernel_space(void **state)
{
	struct vm_space *k = vm_space_kernel();
	struct vm_area *a;
	vaddr_t b, x;
	struct pagetable_mapping m;

	(void)state;
	assert_non_null(k);
	assert_int_equal(vm_space_mapping_count(k), 2);
	assert_int_equal(vm_area_create_open(3, RW, &a), KERR_OK);
	assert_int_equal(vm_space_map(k, a, 0, QUIRE_LINEAR_MAP_BASE + 0x10000, 3, RW, &x),
			 KERR_EXISTS);
	assert_int_equal(vm_space_map(k, a, 0, QUIRE_KERNEL_LINK_BASE, 3, RW, &x), KERR_EXISTS);
	assert_int_equal(vm_space_map(k, a, 0, VM_MAP_ANYWHERE, 3, RW, &b), KERR_OK);
	assert_int_equal(b, QUIRE_LINEAR_MAP_BASE + QUIRE_LINEAR_MAP_MAX_SIZE);
	assert_int_equal(vm_space_allocate(k, b + PAGE, VM_PROT_WRITE), VM_FAULT_OK);
	assert_int_equal(pagetable_query(&kernel_pt, b + PAGE, &m), KERR_OK);
	assert_int_equal(m.prot, PAGETABLE_READ | PAGETABLE_WRITE); /* no user bit */
	assert_int_equal(vm_space_allocate(k, QUIRE_LINEAR_MAP_BASE, R), VM_FAULT_NO_MAPPING);
	assert_int_equal(vm_space_allocate(k, 0x1000, R), VM_FAULT_NO_MAPPING);
	assert_int_equal(vm_space_unmap(k, b), KERR_OK);
	vm_area_put(a);
	assert_int_equal(vm_space_mapping_count(k), 2);
}

/* One scenario that touches every allocating step; returns the first error (KERR_OK if none). */
static kerr_t scenario(void)
{
	struct vm_space *sa = NULL, *sb = NULL;
	struct vm_area *a = NULL;
	vaddr_t ba, bb;
	kerr_t err;

	if ((err = vm_space_create(&sa)) != KERR_OK)
		goto out;
	if ((err = vm_space_create(&sb)) != KERR_OK)
		goto out;
	if ((err = vm_area_create_open(70, RW, &a)) != KERR_OK)
		goto out;
	if ((err = vm_space_map(sa, a, 0, VM_MAP_ANYWHERE, 70, RW, &ba)) != KERR_OK)
		goto out;
	if ((err = vm_space_map(sb, a, 0, 0x10000000, 70, RW, &bb)) != KERR_OK)
		goto out;
	for (unsigned i = 0; i < 70; i += 3) {
		if (vm_space_allocate(sa, ba + i * PAGE, VM_PROT_WRITE) != VM_FAULT_OK ||
		    vm_space_allocate(sb, bb + i * PAGE, R) != VM_FAULT_OK) {
			err = KERR_NO_MEMORY;
			goto out;
		}
	}
	if ((err = vm_space_resize(a, 100)) != KERR_OK)
		goto out;
	if (vm_space_allocate(sb, bb + 99 * PAGE, VM_PROT_WRITE) != VM_FAULT_OK) {
		err = KERR_NO_MEMORY;
		goto out;
	}
	err = vm_space_resize(a, 10);
out:
	if (a != NULL)
		vm_area_put(a);
	if (sa != NULL)
		vm_space_destroy(sa);
	if (sb != NULL)
		vm_space_destroy(sb);
	return err;
}

static void test_failure_injection_sweep(void **state)
{
	unsigned failed = 0;
	uint64_t k;

	(void)state;
	for (k = 1; k < 10000; k++) {
		fail_inject_arm(k);
		kerr_t err = scenario();
		bool hit = fail_inject_attempts() >= k;
		fail_inject_arm(0);
		expect_baseline();
		if (!hit) {
			assert_int_equal(err, KERR_OK);
			break;
		}
		assert_int_equal(err, KERR_NO_MEMORY);
		failed++;
	}
	assert_true(k < 10000);
	printf("# failure injection: %u runs each failed one allocation, then a clean run\n",
	       failed);
	assert_true(failed > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_zero_page_then_private, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_share_between_spaces, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_share_after_zero_page, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_resize_grow_and_shrink, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_protect, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_fixed_write_combining, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_guarded, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_reservation_writes_no_ptes, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_kernel_space, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_failure_injection_sweep, boot, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
