/*
 * Host tests of the VMA system calls in kernel terms (kernel/objects/vma_calls.c) over the real
 * handle table, areas, spaces, page tables, heap and pmm in simulated physical memory. Processes
 * are fakes: a KOBJECT_PROCESS kobject with a space (NULL once "ended"), whose process_space_of()
 * this file defines and whose release goes through kobject_process_release.
 *
 * - create and create_map: rights of the new handle, sizes rounded to pages, every INVALID and
 *   OUT_OF_RANGE rule (size 0, unknown flags, WRITE_COMBINE, no READ, unaligned or outside exact
 *   addresses, sizes past VMA_SIZE_MAX or overflowing when rounded), EXISTS, NO_MEMORY;
 * - map: the rights asked (MAP plus one per protection bit, WRITE on the process), the order of
 *   the checks (handles in argument order, each BAD_HANDLE, WRONG_TYPE, ACCESS_DENIED; then flags,
 *   then the process, then the range), one mapping per area and process (EXISTS), sharing
 *   between two processes, a process that has ended (NOT_FOUND);
 * - unmap, resize (grow, shrink, blocked growth, the end of the space, fixed and guarded areas
 *   UNSUPPORTED, WRITE needed), protect (lower, raise back, never beyond the handle's rights nor
 *   the area's max_prot), clone with fewer rights then a refused map, close then BAD_HANDLE, a
 *   stale handle after its slot is reused, wrong types everywhere, the undo calls;
 * - a failure-injection sweep over a scenario: each failure is NO_MEMORY and changes nothing;
 * - thousands of random calls against a model of the handles, areas and mappings, every return
 *   code and every mapping checked (seed: QUIRE_TEST_SEED).
 * After every test the free frame count (caches trimmed) is back at its baseline.
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
#include <quire/vma.h>

#include "kernel/lib/compiler.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area.h"
#include "kernel/memory/vm_space.h"
#include "kernel/objects/handle.h"
#include "kernel/objects/vma_calls.h"
#include "test/unit/sim_machine.h"
#include "test/unit/test_kernel_rng.h"

#define SIM_BYTES (64ull << 20)
#define PAGE      4096ull
#define R         QUIRE_VMA_READ
#define W         QUIRE_VMA_WRITE
#define X         QUIRE_VMA_EXECUTE
#define RW        (R | W)
#define EXACT     QUIRE_VMA_EXACT
#define WC        QUIRE_VMA_WRITE_COMBINE
#define MAP       QUIRE_RIGHT_MAP
#define DUP       QUIRE_RIGHT_DUPLICATE
#define XFER      QUIRE_RIGHT_TRANSFER
#define EXTRA     (MAP | DUP | XFER) /* what a new area's handle has besides its protection */
#define PROC_ALL  (QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | DUP | XFER)
#define SPOT      0x40000000ull /* an exact address far from where "anywhere" places things */

/* A fake process: what process_space_of() needs, and a counting release. */
struct fake_process {
	struct kobject obj; /* KOBJECT_PROCESS */
	struct vm_space *space;
	unsigned released;
};

kerr_t process_space_of(struct kobject *obj, struct vm_space **out)
{
	struct fake_process *p = container_of(obj, struct fake_process, obj);

	assert_int_equal(obj->type, KOBJECT_PROCESS);
	if (p->space == NULL)
		return KERR_NOT_FOUND;
	*out = p->space;
	return KERR_OK;
}

static void fake_process_release(struct kobject *obj)
{
	container_of(obj, struct fake_process, obj)->released++;
}

static kerr_t proc_start(struct fake_process *p)
{
	kobject_init(&p->obj, KOBJECT_PROCESS);
	p->released = 0;
	p->space = NULL;
	return vm_space_create(&p->space);
}

/* The process ends: its space goes, with every mapping in it; the object lives on. */
static void proc_end(struct fake_process *p)
{
	if (p->space != NULL)
		vm_space_destroy(p->space);
	p->space = NULL;
}

static void proc_put(struct fake_process *p)
{
	proc_end(p);
	assert_int_equal(kobject_refcount(&p->obj), 1);
	kobject_put(&p->obj);
	assert_int_equal(p->released, 1);
}

/* What every test starts with: a handle table with handles to two live processes. */
static struct {
	struct handle_table t;
	struct fake_process self, other;
	handle_t hself, hother;
} e;

static struct pagetable kernel_pt;
static uint64_t baseline_free;

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	pmm_get_stats(&st);
	return st.free;
}

static uint64_t user_frames(void)
{
	return sim_frames_of(PAGE_USER) - 1; /* less the zero page */
}

static int setup(void **state)
{
	(void)state;
	sim_boot_vm(SIM_BYTES, &kernel_pt);
	kobject_process_release = fake_process_release;
	baseline_free = free_frames();
	handle_table_init(&e.t);
	assert_int_equal(proc_start(&e.self), KERR_OK);
	assert_int_equal(proc_start(&e.other), KERR_OK);
	assert_int_equal(handle_install(&e.t, &e.self.obj, PROC_ALL, &e.hself), KERR_OK);
	assert_int_equal(handle_install(&e.t, &e.other.obj, PROC_ALL, &e.hother), KERR_OK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	handle_table_destroy(&e.t);
	proc_put(&e.self);
	proc_put(&e.other);
	assert_int_equal(user_frames(), 0);
	assert_int_equal(free_frames(), baseline_free);
	return 0;
}

/* The area H names (no reference kept: valid while a handle or mapping holds it). */
static struct vm_area *area_of(handle_t h)
{
	struct kobject *o;

	assert_int_equal(handle_lookup(&e.t, h, KOBJECT_VM_AREA, 0, &o), KERR_OK);
	kobject_put(o);
	return vm_area_from_kobject(o);
}

static quire_rights_t rights_of(handle_t h)
{
	struct kobject *o;
	quire_rights_t rights;

	assert_int_equal(handle_lookup_rights(&e.t, h, KOBJECT_NONE, 0, &o, &rights), KERR_OK);
	kobject_put(o);
	return rights;
}

/* A clone of H with RIGHTS. */
static handle_t clone(handle_t h, quire_rights_t rights)
{
	handle_t c;

	assert_int_equal(handle_clone(&e.t, h, rights, &c), KERR_OK);
	return c;
}

/* Whether H's area is mapped in P, its base in *BASE. */
static bool mapped(struct fake_process *p, handle_t h, vaddr_t *base)
{
	return vm_space_find_area(p->space, area_of(h), base) == KERR_OK;
}

/* The mapping of H's area in P: base, pages and protection asserted. */
static void expect_mapping(struct fake_process *p, handle_t h, vaddr_t base, uint64_t pages,
			   unsigned prot)
{
	struct vm_mapping_info info;
	vaddr_t got;

	assert_true(mapped(p, h, &got));
	assert_int_equal(got, base);
	assert_int_equal(vm_space_lookup(p->space, base, &info), KERR_OK);
	assert_int_equal(info.base, base);
	assert_int_equal(info.pages, pages);
	assert_ptr_equal(info.area, area_of(h));
	assert_int_equal(info.prot, prot);
}

static kerr_t create(uint64_t size, uint32_t flags, handle_t *h)
{
	return vma_call_create(&e.t, size, flags, h);
}

static kerr_t create_map(uint64_t size, uint64_t *addr, uint32_t flags, handle_t *h)
{
	return vma_call_create_map(&e.t, e.self.space, size, addr, flags, h);
}

static kerr_t map(handle_t vma, handle_t process, uint64_t *addr, uint32_t flags)
{
	return vma_call_map(&e.t, vma, process, addr, flags);
}

static kerr_t map_anywhere(handle_t vma, handle_t process, uint32_t flags)
{
	uint64_t addr = 0;

	return vma_call_map(&e.t, vma, process, &addr, flags);
}

static kerr_t resize(handle_t vma, uint64_t bytes, uint64_t *out)
{
	uint64_t size = bytes;
	kerr_t err = vma_call_resize(&e.t, vma, &size);

	if (err != KERR_OK)
		assert_int_equal(size, bytes); /* written only on success */
	if (out != NULL)
		*out = size;
	return err;
}

static void test_create(void **state)
{
	static const uint32_t bad_flags[] = {0,      W,       X,         W | X,     R | EXACT,
					     R | WC, RW | WC, R | 0x08u, R | 0x80u, R | (1u << 31)};
	struct vm_area *a;
	handle_t h = 0x5555;
	uint64_t n = handle_table_count(&e.t);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_flags); i++)
		assert_int_equal(create(PAGE, bad_flags[i], &h), KERR_INVALID);
	assert_int_equal(create(0, R, &h), KERR_INVALID);
	assert_int_equal(create(VMA_SIZE_MAX + 1, R, &h), KERR_OUT_OF_RANGE);
	assert_int_equal(create(UINT64_MAX, R, &h), KERR_OUT_OF_RANGE);
	assert_int_equal(create(UINT64_MAX - PAGE + 2, R, &h), KERR_OUT_OF_RANGE); /* wraps */
	/* The flags are checked before the size. */
	assert_int_equal(create(UINT64_MAX, R | 0x80u, &h), KERR_INVALID);
	assert_int_equal(h, 0x5555);
	assert_int_equal(handle_table_count(&e.t), n);

	/* GUARD: a guarded area whose lowest page is the guard; at least one usable page. */
	assert_int_equal(create(PAGE, RW | QUIRE_VMA_GUARD, &h), KERR_INVALID);
	assert_int_equal(handle_table_count(&e.t), n);
	assert_int_equal(create(3 * PAGE, RW | QUIRE_VMA_GUARD, &h), KERR_OK);
	a = area_of(h);
	assert_int_equal(a->kind, VM_AREA_GUARDED);
	assert_int_equal(a->pages, 3);
	assert_int_equal(a->guard_low, 1);
	assert_int_equal(a->guard_high, 0);
	assert_int_equal(handle_close(&e.t, h), KERR_OK);
	h = 0x5555;

	assert_int_equal(create(1, R, &h), KERR_OK);
	a = area_of(h);
	assert_int_equal(a->kind, VM_AREA_OPEN);
	assert_int_equal(a->pages, 1);
	assert_int_equal(a->max_prot, VM_PROT_READ);
	assert_int_equal(a->cache, CACHE_WRITE_BACK);
	assert_int_equal(rights_of(h), R | EXTRA);
	assert_int_equal(kobject_refcount(&a->obj), 1); /* the handle's alone */

	assert_int_equal(create(5 * PAGE + 1, RW | X, &h), KERR_OK);
	assert_int_equal(area_of(h)->pages, 6);
	assert_int_equal(area_of(h)->max_prot, VM_PROT_ALL);
	assert_int_equal(rights_of(h), RW | X | EXTRA);

	/* The largest size is fine: an area is a record until its pages are touched. */
	assert_int_equal(create(VMA_SIZE_MAX, RW, &h), KERR_OK);
	assert_int_equal(area_of(h)->pages, VMA_SIZE_MAX / PAGE);
	assert_int_equal(handle_table_count(&e.t), n + 3);
	assert_int_equal(user_frames(), 0);
}

static void test_create_map(void **state)
{
	uint64_t n = handle_table_count(&e.t), addr, first;
	handle_t h, h2, keep = 0x5555;

	(void)state;
	/* Anywhere: *addr is ignored on the way in and gets the address. */
	addr = 0xdead;
	assert_int_equal(create_map(3 * PAGE - 7, &addr, RW, &h), KERR_OK);
	first = addr;
	assert_int_equal(first, VM_USER_LO); /* the lowest free address */
	expect_mapping(&e.self, h, first, 3, RW);
	assert_int_equal(area_of(h)->max_prot, RW);
	assert_int_equal(rights_of(h), RW | EXTRA);
	assert_false(mapped(&e.other, h, &addr));
	/* One reference for the handle, one for the mapping. */
	assert_int_equal(kobject_refcount(&area_of(h)->obj), 2);

	/* Exact. */
	addr = SPOT;
	assert_int_equal(create_map(PAGE, &addr, R | X | EXACT, &h2), KERR_OK);
	assert_int_equal(addr, SPOT);
	expect_mapping(&e.self, h2, SPOT, 1, R | X);
	/* Touching ranges are fine, on both sides; overlapping ones are EXISTS. */
	addr = SPOT - 2 * PAGE;
	assert_int_equal(create_map(2 * PAGE, &addr, R | EXACT, &h), KERR_OK);
	addr = SPOT + PAGE;
	assert_int_equal(create_map(PAGE, &addr, R | EXACT, &h), KERR_OK);
	n += 4;
	addr = SPOT - PAGE;
	assert_int_equal(create_map(2 * PAGE, &addr, R | EXACT, &keep), KERR_EXISTS);
	addr = SPOT;
	assert_int_equal(create_map(PAGE, &addr, RW | EXACT, &keep), KERR_EXISTS);
	assert_int_equal(addr, SPOT);

	/* Exact addresses: unaligned INVALID, outside the user half OUT_OF_RANGE. */
	addr = SPOT + 0x800;
	assert_int_equal(create_map(PAGE, &addr, R | EXACT, &keep), KERR_INVALID);
	addr = 0;
	assert_int_equal(create_map(PAGE, &addr, R | EXACT, &keep), KERR_OUT_OF_RANGE);
	addr = VM_USER_HI;
	assert_int_equal(create_map(PAGE, &addr, R | EXACT, &keep), KERR_OUT_OF_RANGE);
	addr = VM_USER_HI - PAGE;
	assert_int_equal(create_map(2 * PAGE, &addr, R | EXACT, &keep), KERR_OUT_OF_RANGE);
	addr = 0xfffffffffffff000ull;
	assert_int_equal(create_map(2 * PAGE, &addr, R | EXACT, &keep), KERR_OUT_OF_RANGE);
	/* Flags, then size, then the address. */
	addr = SPOT + 0x800;
	assert_int_equal(create_map(0, &addr, R | EXACT | WC, &keep), KERR_INVALID);
	addr = 0;
	assert_int_equal(create_map(VMA_SIZE_MAX + 1, &addr, R | EXACT, &keep), KERR_OUT_OF_RANGE);
	assert_int_equal(create_map(0, &addr, R | EXACT, &keep), KERR_INVALID);
	/* Flags: write-combining, no READ, unknown bits. */
	assert_int_equal(create_map(PAGE, &addr, RW | WC, &keep), KERR_INVALID);
	assert_int_equal(create_map(PAGE, &addr, W, &keep), KERR_INVALID);
	assert_int_equal(create_map(PAGE, &addr, 0, &keep), KERR_INVALID);
	assert_int_equal(create_map(PAGE, &addr, R | 0x08u, &keep), KERR_INVALID);
	assert_int_equal(create_map(PAGE, &addr, R | 0x100u, &keep), KERR_INVALID);
	/* Sizes. */
	assert_int_equal(create_map(0, &addr, R, &keep), KERR_INVALID);
	assert_int_equal(create_map(UINT64_MAX, &addr, R, &keep), KERR_OUT_OF_RANGE);
	/* The whole user half no longer fits anywhere: NO_MEMORY, and nothing is left behind. */
	assert_int_equal(create_map(VMA_SIZE_MAX, &addr, R, &keep), KERR_NO_MEMORY);
	assert_int_equal(addr, 0);
	assert_int_equal(keep, 0x5555);
	assert_int_equal(handle_table_count(&e.t), n);
	assert_int_equal(vm_space_mapping_count(e.self.space), 4);

	/* The last page of the user half is a valid exact address. */
	addr = VM_USER_HI - PAGE;
	assert_int_equal(create_map(PAGE, &addr, RW | EXACT, &h), KERR_OK);
	expect_mapping(&e.self, h, VM_USER_HI - PAGE, 1, RW);

	/* Touched pages are the areas'; teardown's process end frees them with the mappings. */
	assert_int_equal(vm_space_allocate(e.self.space, first, VM_PROT_WRITE), VM_FAULT_OK);
	assert_int_equal(vm_space_allocate(e.self.space, first + 2 * PAGE, VM_PROT_WRITE),
			 VM_FAULT_OK);
	assert_int_equal(user_frames(), 2);
}

static void test_map_rights_and_check_order(void **state)
{
	handle_t hv, hr, hnomap, hnowrite, hp0, hdead;
	uint64_t addr;

	(void)state;
	assert_int_equal(create(4 * PAGE, RW, &hv), KERR_OK);
	hr = clone(hv, R | MAP);
	hnomap = clone(hv, RW | DUP);
	hnowrite = clone(e.hother, QUIRE_RIGHT_READ);
	hp0 = clone(e.hself, 0); /* a process handle with no rights at all */
	assert_int_equal(create(PAGE, R, &hdead), KERR_OK);
	assert_int_equal(handle_close(&e.t, hdead), KERR_OK);

	/* Each protection bit needs its right, and MAP is needed at all. */
	assert_int_equal(map_anywhere(hr, e.hother, RW), KERR_ACCESS_DENIED);
	assert_int_equal(map_anywhere(hr, e.hother, R | X), KERR_ACCESS_DENIED);
	assert_int_equal(map_anywhere(hnomap, e.hother, R), KERR_ACCESS_DENIED);
	assert_int_equal(map_anywhere(hnomap, e.hother, 0), KERR_ACCESS_DENIED);
	/* The process handle needs WRITE. */
	assert_int_equal(map_anywhere(hv, hnowrite, R), KERR_ACCESS_DENIED);
	assert_int_equal(map_anywhere(hv, hp0, R), KERR_ACCESS_DENIED);

	/* The order: the vma handle fully first, then the process handle. */
	assert_int_equal(map_anywhere(hdead, hv, R), KERR_BAD_HANDLE);
	assert_int_equal(map_anywhere(0, 0, R), KERR_BAD_HANDLE);
	assert_int_equal(map_anywhere(hp0, hdead, RW), KERR_WRONG_TYPE); /* no rights either */
	assert_int_equal(map_anywhere(e.hself, e.hself, R), KERR_WRONG_TYPE);
	assert_int_equal(map_anywhere(hr, hdead, RW), KERR_ACCESS_DENIED);
	assert_int_equal(map_anywhere(hv, hdead, R), KERR_BAD_HANDLE);
	assert_int_equal(map_anywhere(hv, hv, R), KERR_WRONG_TYPE);
	assert_int_equal(map_anywhere(hv, hr, R), KERR_WRONG_TYPE);
	/* Handles before flags: the rights come from the protection bits alone. */
	assert_int_equal(map_anywhere(hdead, e.hself, R | 0x40u), KERR_BAD_HANDLE);
	assert_int_equal(map_anywhere(hr, e.hself, RW | 0x40u), KERR_ACCESS_DENIED);
	assert_int_equal(map_anywhere(hv, hnowrite, R | WC), KERR_ACCESS_DENIED);

	/* Flags: unknown bits, write-combining, a protection without READ, unaligned exact. */
	assert_int_equal(map_anywhere(hv, e.hother, R | 0x40u), KERR_INVALID);
	assert_int_equal(map_anywhere(hv, e.hother, R | WC), KERR_INVALID);
	assert_int_equal(map_anywhere(hv, e.hother, W), KERR_INVALID);
	addr = SPOT + 8;
	assert_int_equal(map(hv, e.hother, &addr, R | EXACT), KERR_INVALID);
	assert_int_equal(addr, SPOT + 8);
	assert_int_equal(vm_space_mapping_count(e.other.space), 0);

	/* What the rights allow works. */
	assert_int_equal(map_anywhere(hr, e.hother, R), KERR_OK);
	expect_mapping(&e.other, hv, VM_USER_LO, 4, R);
	assert_int_equal(map_anywhere(hv, e.hself, RW), KERR_OK);
	expect_mapping(&e.self, hv, VM_USER_LO, 4, RW);
	/* No protection at all: a mapping nothing may touch (MAP is still needed). */
	assert_int_equal(create(PAGE, R, &hv), KERR_OK);
	assert_int_equal(map_anywhere(hv, e.hother, 0), KERR_OK);
	expect_mapping(&e.other, hv, VM_USER_LO + 4 * PAGE, 1, 0);
	assert_int_equal(vm_space_allocate(e.other.space, VM_USER_LO + 4 * PAGE, VM_PROT_READ),
			 VM_FAULT_PROTECTION);
}

static void test_map_once_per_process(void **state)
{
	handle_t hv, hw;
	uint64_t addr, base;
	struct pagetable_mapping pa, pb;

	(void)state;
	assert_int_equal(create(2 * PAGE, RW, &hv), KERR_OK);
	addr = SPOT;
	assert_int_equal(map(hv, e.hself, &addr, RW | EXACT), KERR_OK);
	assert_int_equal(addr, SPOT);
	/* A second mapping into the same process is EXISTS, wherever it would go. */
	addr = SPOT + 16 * PAGE;
	assert_int_equal(map(hv, e.hself, &addr, RW | EXACT), KERR_EXISTS);
	assert_int_equal(addr, SPOT + 16 * PAGE);
	assert_int_equal(map_anywhere(hv, e.hself, R), KERR_EXISTS);
	assert_int_equal(area_of(hv)->mapping_count, 1);
	/* Into another process it is fine: both see the same frame. */
	assert_int_equal(map_anywhere(hv, e.hother, RW), KERR_OK);
	assert_true(mapped(&e.other, hv, &base));
	assert_int_equal(area_of(hv)->mapping_count, 2);
	assert_int_equal(vm_space_allocate(e.self.space, SPOT + PAGE, VM_PROT_WRITE), VM_FAULT_OK);
	assert_int_equal(vm_space_allocate(e.other.space, base + PAGE, VM_PROT_READ), VM_FAULT_OK);
	assert_int_equal(pagetable_query(&e.self.space->pt, SPOT + PAGE, &pa), KERR_OK);
	assert_int_equal(pagetable_query(&e.other.space->pt, base + PAGE, &pb), KERR_OK);
	assert_int_equal(pa.pa, pb.pa);
	assert_int_equal(user_frames(), 1);

	/* An exact range over another area's mapping is EXISTS too; touching it is fine. */
	assert_int_equal(create(PAGE, R, &hw), KERR_OK);
	addr = SPOT + PAGE;
	assert_int_equal(map(hw, e.hself, &addr, R | EXACT), KERR_EXISTS);
	addr = SPOT + 2 * PAGE;
	assert_int_equal(map(hw, e.hself, &addr, R | EXACT), KERR_OK);
	/* Exact ranges outside the space: OUT_OF_RANGE, checked before the second mapping's EXISTS. */
	addr = VM_USER_HI - PAGE;
	assert_int_equal(map(hv, e.hother, &addr, R | EXACT), KERR_OUT_OF_RANGE);
	addr = 0;
	assert_int_equal(map(hv, e.hother, &addr, R | EXACT), KERR_OUT_OF_RANGE);

	/* Once unmapped, it can be mapped again. */
	assert_int_equal(vma_call_unmap(&e.t, hv, e.hself), KERR_OK);
	assert_int_equal(map_anywhere(hv, e.hself, R), KERR_OK);
	expect_mapping(&e.self, hv, VM_USER_LO, 2, R);
}

static void test_unmap(void **state)
{
	handle_t hv, hnomap, hnowrite;
	uint64_t addr = 0;

	(void)state;
	assert_int_equal(create_map(4 * PAGE, &addr, RW, &hv), KERR_OK);
	hnomap = clone(hv, RW);
	hnowrite = clone(e.hself, QUIRE_RIGHT_READ);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(vm_space_allocate(e.self.space, addr + i * PAGE, VM_PROT_WRITE),
				 VM_FAULT_OK);
	assert_int_equal(vma_call_unmap(&e.t, hnomap, e.hself), KERR_ACCESS_DENIED);
	assert_int_equal(vma_call_unmap(&e.t, hv, hnowrite), KERR_ACCESS_DENIED);
	assert_int_equal(vma_call_unmap(&e.t, e.hself, hv), KERR_WRONG_TYPE);
	assert_int_equal(vma_call_unmap(&e.t, hv, hv), KERR_WRONG_TYPE);
	assert_int_equal(vma_call_unmap(&e.t, hv, e.hother), KERR_NOT_FOUND);
	assert_int_equal(vm_space_mapping_count(e.self.space), 1);

	/* Unmapped: the handle keeps the area and its pages. */
	assert_int_equal(vma_call_unmap(&e.t, hv, e.hself), KERR_OK);
	assert_int_equal(vm_space_mapping_count(e.self.space), 0);
	assert_int_equal(vma_call_unmap(&e.t, hv, e.hself), KERR_NOT_FOUND);
	assert_int_equal(vm_space_allocate(e.self.space, addr, VM_PROT_READ), VM_FAULT_NO_MAPPING);
	assert_int_equal(user_frames(), 4);
	assert_int_equal(vm_area_resident(area_of(hv)), 4);
	/* Mapped again, the pages are still there; closing both handles leaves the mapping. */
	assert_int_equal(map_anywhere(hv, e.hother, R), KERR_OK);
	assert_int_equal(handle_close(&e.t, hv), KERR_OK);
	assert_int_equal(handle_close(&e.t, hnomap), KERR_OK);
	assert_int_equal(user_frames(), 4);
	assert_int_equal(vm_space_allocate(e.other.space, VM_USER_LO + 3 * PAGE, VM_PROT_READ),
			 VM_FAULT_OK);
	/* The process ending takes the last reference: the frames go (checked by teardown). */
	proc_end(&e.other);
	assert_int_equal(user_frames(), 0);
}

static void test_resize(void **state)
{
	struct vm_area *fixed, *guarded;
	handle_t hv, hr, hb, hf, hg, htop;
	uint64_t addr = SPOT, size, base;

	(void)state;
	assert_int_equal(create_map(4 * PAGE, &addr, RW | EXACT, &hv), KERR_OK);
	assert_int_equal(map_anywhere(hv, e.hother, R), KERR_OK);
	assert_true(mapped(&e.other, hv, &base));
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(vm_space_allocate(e.self.space, SPOT + i * PAGE, VM_PROT_WRITE),
				 VM_FAULT_OK);

	/* Grow: the size is rounded up and written back, and both mappings follow. */
	assert_int_equal(resize(hv, 8 * PAGE - 100, &size), KERR_OK);
	assert_int_equal(size, 8 * PAGE);
	expect_mapping(&e.self, hv, SPOT, 8, RW);
	expect_mapping(&e.other, hv, base, 8, R);
	assert_int_equal(vm_space_allocate(e.self.space, SPOT + 7 * PAGE, VM_PROT_WRITE),
			 VM_FAULT_OK);
	assert_int_equal(user_frames(), 5);

	/* Errors: WRITE needed, sizes, types. */
	hr = clone(hv, R | MAP | DUP);
	assert_int_equal(resize(hr, PAGE, NULL), KERR_ACCESS_DENIED);
	assert_int_equal(resize(hv, 0, NULL), KERR_INVALID);
	assert_int_equal(resize(hv, VMA_SIZE_MAX + 1, NULL), KERR_OUT_OF_RANGE);
	assert_int_equal(resize(hv, UINT64_MAX, NULL), KERR_OUT_OF_RANGE);
	assert_int_equal(resize(e.hself, PAGE, NULL), KERR_WRONG_TYPE);
	assert_int_equal(resize(0, PAGE, NULL), KERR_BAD_HANDLE);
	assert_int_equal(area_of(hv)->pages, 8);

	/* Shrink: the pages past the end are freed and the old range no longer maps. */
	assert_int_equal(resize(hv, 2 * PAGE, &size), KERR_OK);
	assert_int_equal(size, 2 * PAGE);
	expect_mapping(&e.self, hv, SPOT, 2, RW);
	expect_mapping(&e.other, hv, base, 2, R);
	assert_int_equal(user_frames(), 2);
	assert_int_equal(vm_space_allocate(e.self.space, SPOT + 2 * PAGE, VM_PROT_READ),
			 VM_FAULT_NO_MAPPING);
	assert_int_equal(vm_space_allocate(e.other.space, base + 3 * PAGE, VM_PROT_READ),
			 VM_FAULT_NO_MAPPING);

	/* Growth into another mapping is EXISTS and changes nothing; up to it is fine. */
	addr = SPOT + 4 * PAGE;
	assert_int_equal(create_map(PAGE, &addr, R | EXACT, &hb), KERR_OK);
	assert_int_equal(resize(hv, 5 * PAGE, NULL), KERR_EXISTS);
	assert_int_equal(area_of(hv)->pages, 2);
	expect_mapping(&e.self, hv, SPOT, 2, RW);
	assert_int_equal(resize(hv, 4 * PAGE, NULL), KERR_OK);
	expect_mapping(&e.self, hv, SPOT, 4, RW);
	/* Growth past the end of the space is NO_MEMORY. */
	addr = VM_USER_HI - PAGE;
	assert_int_equal(create_map(PAGE, &addr, RW | EXACT, &htop), KERR_OK);
	assert_int_equal(resize(htop, 2 * PAGE, NULL), KERR_NO_MEMORY);
	assert_int_equal(area_of(htop)->pages, 1);

	/* Kinds that cannot resize: UNSUPPORTED, before the size is looked at. */
	assert_int_equal(vm_area_create_fixed(SIM_KERNEL_LO, 2, VM_PROT_READ | VM_PROT_WRITE,
					      CACHE_WRITE_COMBINING, &fixed),
			 KERR_OK);
	assert_int_equal(handle_install(&e.t, &fixed->obj, QUIRE_RIGHTS_ALL, &hf), KERR_OK);
	vm_area_put(fixed);
	assert_int_equal(resize(hf, 4 * PAGE, NULL), KERR_UNSUPPORTED);
	assert_int_equal(resize(hf, 0, NULL), KERR_UNSUPPORTED);
	assert_int_equal(vm_area_create_guarded(2, 1, 1, VM_PROT_READ | VM_PROT_WRITE, &guarded),
			 KERR_OK);
	assert_int_equal(handle_install(&e.t, &guarded->obj, QUIRE_RIGHTS_ALL, &hg), KERR_OK);
	vm_area_put(guarded);
	assert_int_equal(resize(hg, PAGE, NULL), KERR_UNSUPPORTED);
	/* A fixed area maps with its own cache policy: the flags never ask for write-combining. */
	assert_int_equal(map_anywhere(hf, e.hother, RW), KERR_OK);
	assert_int_equal(map_anywhere(hf, e.hother, RW | WC), KERR_INVALID);
}

static void test_protect(void **state)
{
	struct vm_area *narrow;
	struct pagetable_mapping m;
	handle_t hv, hr, hn, hnowrite;
	uint64_t addr = SPOT;

	(void)state;
	assert_int_equal(create_map(2 * PAGE, &addr, RW | EXACT, &hv), KERR_OK);
	assert_int_equal(vm_space_allocate(e.self.space, addr, VM_PROT_WRITE), VM_FAULT_OK);

	/* Lower: the PTE loses WRITE at once. */
	assert_int_equal(vma_call_protect(&e.t, hv, e.hself, R), KERR_OK);
	expect_mapping(&e.self, hv, addr, 2, R);
	assert_int_equal(pagetable_query(&e.self.space->pt, addr, &m), KERR_OK);
	assert_false(m.prot & PAGETABLE_WRITE);
	assert_int_equal(vm_space_allocate(e.self.space, addr, VM_PROT_WRITE), VM_FAULT_PROTECTION);
	/* Raise back, within the handle's rights. */
	assert_int_equal(vma_call_protect(&e.t, hv, e.hself, RW), KERR_OK);
	assert_int_equal(vm_space_allocate(e.self.space, addr, VM_PROT_WRITE), VM_FAULT_OK);
	/* Never beyond the handle's rights: EXECUTE was never granted. */
	assert_int_equal(vma_call_protect(&e.t, hv, e.hself, RW | X), KERR_ACCESS_DENIED);

	/* A clone with fewer rights can lower, never raise. */
	hr = clone(hv, R | MAP);
	assert_int_equal(vma_call_protect(&e.t, hr, e.hself, RW), KERR_ACCESS_DENIED);
	assert_int_equal(vma_call_protect(&e.t, hr, e.hself, R), KERR_OK);
	assert_int_equal(vma_call_protect(&e.t, hr, e.hself, 0), KERR_OK);
	expect_mapping(&e.self, hv, addr, 2, 0);
	assert_int_equal(vm_space_allocate(e.self.space, addr, VM_PROT_READ), VM_FAULT_PROTECTION);
	assert_int_equal(vma_call_protect(&e.t, hr, e.hself, W), KERR_ACCESS_DENIED);

	/* Never beyond the area's max_prot, even with a handle the kernel made wider. */
	assert_int_equal(vm_area_create_open(1, VM_PROT_READ, &narrow), KERR_OK);
	assert_int_equal(handle_install(&e.t, &narrow->obj, RW | EXTRA, &hn), KERR_OK);
	vm_area_put(narrow);
	assert_int_equal(map_anywhere(hn, e.hself, RW), KERR_ACCESS_DENIED);
	assert_int_equal(map_anywhere(hn, e.hself, R), KERR_OK);
	assert_int_equal(vma_call_protect(&e.t, hn, e.hself, RW), KERR_ACCESS_DENIED);

	/* Flags: no READ with other bits, unknown bits, EXACT (not a protection). */
	assert_int_equal(vma_call_protect(&e.t, hv, e.hself, W), KERR_INVALID);
	assert_int_equal(vma_call_protect(&e.t, hv, e.hself, R | 0x08u), KERR_INVALID);
	assert_int_equal(vma_call_protect(&e.t, hv, e.hself, R | EXACT), KERR_INVALID);
	assert_int_equal(vma_call_protect(&e.t, hv, e.hself, R | WC), KERR_INVALID);
	/* Handles: the process needs WRITE; types; order. */
	hnowrite = clone(e.hself, QUIRE_RIGHT_READ | DUP);
	assert_int_equal(vma_call_protect(&e.t, hv, hnowrite, R), KERR_ACCESS_DENIED);
	assert_int_equal(vma_call_protect(&e.t, hnowrite, hv, R), KERR_WRONG_TYPE);
	assert_int_equal(vma_call_protect(&e.t, hv, hv, R), KERR_WRONG_TYPE);
	assert_int_equal(vma_call_protect(&e.t, hr, 0, RW), KERR_ACCESS_DENIED);
	assert_int_equal(vma_call_protect(&e.t, hv, 0, R | 0x08u), KERR_BAD_HANDLE);
	/* Not mapped there. */
	assert_int_equal(vma_call_protect(&e.t, hv, e.hother, R), KERR_NOT_FOUND);
	expect_mapping(&e.self, hv, addr, 2, 0);
}

static void test_clone_then_map_refused(void **state)
{
	handle_t hv, hr, hx, c;

	(void)state;
	assert_int_equal(create(PAGE, RW, &hv), KERR_OK);
	hr = clone(hv, R | MAP | DUP);
	assert_int_equal(rights_of(hr), R | MAP | DUP);
	/* Rights only shrink: a clone of the clone cannot win WRITE back. */
	assert_int_equal(handle_clone(&e.t, hr, RW | MAP, &c), KERR_ACCESS_DENIED);
	assert_int_equal(handle_clone(&e.t, hv, RW | X | MAP, &c), KERR_ACCESS_DENIED);
	assert_int_equal(handle_clone(&e.t, hv, R | (1u << 6), &c), KERR_INVALID);
	hx = clone(hr, R | MAP);
	assert_int_equal(handle_clone(&e.t, hx, R, &c), KERR_ACCESS_DENIED); /* no DUPLICATE */
	/* The clone maps what its rights allow, nothing more. */
	assert_int_equal(map_anywhere(hx, e.hother, RW), KERR_ACCESS_DENIED);
	assert_int_equal(map_anywhere(hx, e.hother, R), KERR_OK);
	assert_int_equal(vma_call_protect(&e.t, hx, e.hother, RW), KERR_ACCESS_DENIED);
	assert_int_equal(resize(hx, 2 * PAGE, NULL), KERR_ACCESS_DENIED);
	/* The original still can. */
	assert_int_equal(vma_call_protect(&e.t, hv, e.hother, RW), KERR_OK);
	assert_int_equal(resize(hv, 2 * PAGE, NULL), KERR_OK);
	expect_mapping(&e.other, hx, VM_USER_LO, 2, RW);
}

static void test_close_and_stale(void **state)
{
	handle_t hv, h, reuse[HANDLE_TABLE_CHUNK];
	uint64_t addr = 0, size = PAGE;
	unsigned n = 0;

	(void)state;
	assert_int_equal(create(PAGE, RW, &hv), KERR_OK);
	assert_int_equal(map_anywhere(hv, e.hother, RW), KERR_OK);
	assert_int_equal(handle_close(&e.t, hv), KERR_OK);
	/* Every call now says BAD_HANDLE for it; the mapping lives on. */
	assert_int_equal(map(hv, e.hself, &addr, R), KERR_BAD_HANDLE);
	assert_int_equal(vma_call_unmap(&e.t, hv, e.hother), KERR_BAD_HANDLE);
	assert_int_equal(vma_call_resize(&e.t, hv, &size), KERR_BAD_HANDLE);
	assert_int_equal(vma_call_protect(&e.t, hv, e.hother, R), KERR_BAD_HANDLE);
	assert_int_equal(handle_close(&e.t, hv), KERR_BAD_HANDLE);
	assert_int_equal(handle_clone(&e.t, hv, R, &h), KERR_BAD_HANDLE);
	assert_int_equal(vm_space_mapping_count(e.other.space), 1);

	/* Its slot reused by another handle: the old value stays stale. */
	do {
		assert_true(n < ARRAY_SIZE(reuse));
		assert_int_equal(create(PAGE, R, &reuse[n]), KERR_OK);
	} while ((reuse[n++] & ((1u << HANDLE_INDEX_BITS) - 1)) !=
		 (hv & ((1u << HANDLE_INDEX_BITS) - 1)));
	h = reuse[n - 1];
	assert_int_not_equal(h, hv);
	assert_int_equal(map_anywhere(hv, e.hself, R), KERR_BAD_HANDLE);
	assert_int_equal(handle_close(&e.t, hv), KERR_BAD_HANDLE);
	assert_int_equal(map_anywhere(h, e.hself, R), KERR_OK);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(handle_close(&e.t, reuse[i]), KERR_OK);
	assert_int_equal(handle_table_count(&e.t), 2);
}

static void test_wrong_types(void **state)
{
	handle_t hv, hp;
	uint64_t addr = 0, size = PAGE;

	(void)state;
	assert_int_equal(create(PAGE, RW, &hv), KERR_OK);
	hp = clone(e.hself, PROC_ALL); /* all rights: the type alone is wrong */
	assert_int_equal(map(hp, e.hself, &addr, R), KERR_WRONG_TYPE);
	assert_int_equal(vma_call_unmap(&e.t, hp, e.hself), KERR_WRONG_TYPE);
	assert_int_equal(vma_call_resize(&e.t, hp, &size), KERR_WRONG_TYPE);
	assert_int_equal(vma_call_protect(&e.t, hp, e.hself, R), KERR_WRONG_TYPE);
	assert_int_equal(map(hv, hv, &addr, R), KERR_WRONG_TYPE);
	assert_int_equal(vma_call_unmap(&e.t, hv, hv), KERR_WRONG_TYPE);
	assert_int_equal(vma_call_protect(&e.t, hv, hv, R), KERR_WRONG_TYPE);
	assert_int_equal(size, PAGE);
	assert_int_equal(addr, 0);
	/* Closing and cloning take any type. */
	assert_int_equal(handle_close(&e.t, hp), KERR_OK);
}

static void test_ended_process(void **state)
{
	handle_t hv;
	uint64_t addr = SPOT;

	(void)state;
	assert_int_equal(create(2 * PAGE, RW, &hv), KERR_OK);
	assert_int_equal(map_anywhere(hv, e.hother, RW), KERR_OK);
	assert_int_equal(vm_space_allocate(e.other.space, VM_USER_LO, VM_PROT_WRITE), VM_FAULT_OK);
	assert_int_equal(area_of(hv)->mapping_count, 1);
	proc_end(&e.other);
	/* Its mappings went with its space; the handle keeps the area and its page. */
	assert_int_equal(area_of(hv)->mapping_count, 0);
	assert_int_equal(user_frames(), 1);
	assert_int_equal(map(hv, e.hother, &addr, RW | EXACT), KERR_NOT_FOUND);
	assert_int_equal(addr, SPOT);
	assert_int_equal(vma_call_unmap(&e.t, hv, e.hother), KERR_NOT_FOUND);
	assert_int_equal(vma_call_protect(&e.t, hv, e.hother, R), KERR_NOT_FOUND);
	/* Handle and flag errors come before it. */
	assert_int_equal(map_anywhere(hv, e.hother, R | 0x40u), KERR_INVALID);
	assert_int_equal(vma_call_protect(&e.t, hv, e.hother, W), KERR_INVALID);
	assert_int_equal(map_anywhere(hv, hv, R), KERR_WRONG_TYPE);
	/* The live process is unaffected. */
	assert_int_equal(map_anywhere(hv, e.hself, RW), KERR_OK);
	assert_int_equal(vm_space_allocate(e.self.space, VM_USER_LO, VM_PROT_READ), VM_FAULT_OK);
	assert_int_equal(user_frames(), 1); /* the same page */
}

static void test_undo(void **state)
{
	handle_t hv, hc;
	uint64_t addr = 0;
	uint64_t n = handle_table_count(&e.t);

	(void)state;
	/* vma_call_undo_map: the mapping goes, the handle stays. */
	assert_int_equal(create(PAGE, RW, &hv), KERR_OK);
	assert_int_equal(map(hv, e.hother, &addr, RW), KERR_OK);
	vma_call_undo_map(&e.t, hv, e.hother);
	assert_false(mapped(&e.other, hv, &addr));
	assert_int_equal(rights_of(hv), RW | EXTRA);
	/* Nothing left to undo (already unmapped, a closed handle, an ended process): no harm. */
	vma_call_undo_map(&e.t, hv, e.hother);
	vma_call_undo_map(&e.t, 0, e.hother);
	vma_call_undo_map(&e.t, hv, 0);
	assert_int_equal(map_anywhere(hv, e.hother, RW), KERR_OK);
	proc_end(&e.other);
	vma_call_undo_map(&e.t, hv, e.hother);

	/* vma_call_undo_create_map: the mapping and the handle go, and the area with them. */
	assert_int_equal(create_map(3 * PAGE, &addr, RW, &hc), KERR_OK);
	assert_int_equal(vm_space_allocate(e.self.space, addr, VM_PROT_WRITE), VM_FAULT_OK);
	assert_int_equal(user_frames(), 1);
	vma_call_undo_create_map(&e.t, e.self.space, hc);
	assert_int_equal(vm_space_mapping_count(e.self.space), 0);
	assert_int_equal(handle_close(&e.t, hc), KERR_BAD_HANDLE);
	assert_int_equal(user_frames(), 0);
	vma_call_undo_create_map(&e.t, e.self.space, hc);
	assert_int_equal(handle_table_count(&e.t), n + 1);
}

/*
 * A run of calls over a process of its own, cleaned up whatever happens: every failure must be
 * NO_MEMORY and leave the handle count and the mappings as they were.
 */
static kerr_t scenario(void)
{
	struct fake_process p;
	struct handle_table t;
	handle_t hp = 0, ha = 0, hb = 0, hc = 0;
	uint64_t addr = 0, size, count;
	kerr_t err;

	handle_table_init(&t);
	err = proc_start(&p);
	if (err != KERR_OK)
		goto out;
	if ((err = handle_install(&t, &p.obj, PROC_ALL, &hp)) != KERR_OK)
		goto out;
	count = handle_table_count(&t);
	if ((err = vma_call_create_map(&t, p.space, 3 * PAGE, &addr, RW, &ha)) != KERR_OK) {
		assert_int_equal(handle_table_count(&t), count);
		assert_int_equal(vm_space_mapping_count(p.space), 0);
		goto out;
	}
	if ((err = vma_call_create(&t, 2 * PAGE, RW, &hb)) != KERR_OK) {
		assert_int_equal(handle_table_count(&t), count + 1);
		goto out;
	}
	if ((err = vma_call_map(&t, hb, hp, &addr, R)) != KERR_OK) {
		assert_int_equal(vm_space_mapping_count(p.space), 1);
		goto out;
	}
	for (uint64_t i = 0; i < 2; i++)
		if (vm_space_allocate(p.space, addr + i * PAGE, VM_PROT_READ) != VM_FAULT_OK) {
			err = KERR_NO_MEMORY;
			goto out;
		}
	size = 40 * PAGE;
	if ((err = vma_call_resize(&t, hb, &size)) != KERR_OK)
		goto out;
	if ((err = handle_clone(&t, hb, R | MAP, &hc)) != KERR_OK)
		goto out;
	if ((err = vma_call_protect(&t, hc, hp, 0)) != KERR_OK)
		goto out;
	err = vma_call_unmap(&t, ha, hp);
out:
	handle_table_destroy(&t);
	proc_put(&p);
	return err;
}

static void test_failure_injection_sweep(void **state)
{
	unsigned failed = 0;
	uint64_t k, before = free_frames();

	(void)state;
	for (k = 1; k < 10000; k++) {
		fail_inject_arm(k);
		kerr_t err = scenario();
		bool hit = fail_inject_attempts() >= k;
		fail_inject_arm(0);
		assert_int_equal(user_frames(), 0);
		assert_int_equal(free_frames(), before);
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
	assert_true(failed > 5);
}

/*
 * The random test's model: every open handle (what it names, its rights), every area (size,
 * max_prot, handles, where it is mapped in each process with which protection and in which
 * order), and which processes have ended. Each call's expected result is computed from it in the
 * order vma_calls.h gives, then compared with the real one.
 */
#define RND_OPS     6000
#define RND_AREAS   64
#define RND_PROCS   3
#define RND_HANDLES 200
#define RND_STALE   64
#define RND_WINDOW  256 /* exact addresses: VM_USER_LO + k pages, k < RND_WINDOW */

enum { K_AREA, K_PROC };

struct m_area {
	bool live;
	struct vm_area *area; /* valid while live */
	uint64_t pages;
	uint32_t max_prot;
	unsigned handles;
	vaddr_t base[RND_PROCS]; /* 0: not mapped there */
	uint32_t prot[RND_PROCS];
	uint64_t seq[RND_PROCS]; /* when mapped: the area's list is newest first */
};

struct m_handle {
	handle_t h;
	unsigned kind, idx;
	quire_rights_t rights;
};

static struct {
	struct m_area areas[RND_AREAS];
	struct m_handle handles[RND_HANDLES];
	unsigned n_handles;
	handle_t stale[RND_STALE];
	unsigned n_stale;
	struct fake_process *procs[RND_PROCS];
	uint64_t seq;
	struct test_rng rng;
	unsigned counts[KERR_COUNT]; /* how often each result came up */
} M;

static uint64_t rnd(uint64_t n)
{
	return test_rng_below(&M.rng, n);
}

static struct m_handle *m_find(handle_t h)
{
	for (unsigned i = 0; i < M.n_handles; i++)
		if (M.handles[i].h == h)
			return &M.handles[i];
	return NULL;
}

/* handle_lookup()'s verdict on H, from the model. */
static kerr_t m_lookup(handle_t h, unsigned kind, quire_rights_t need, struct m_handle **out)
{
	struct m_handle *mh = m_find(h);

	if (mh == NULL)
		return KERR_BAD_HANDLE;
	if (mh->kind != kind)
		return KERR_WRONG_TYPE;
	if ((mh->rights & need) != need)
		return KERR_ACCESS_DENIED;
	*out = mh;
	return KERR_OK;
}

static void m_add_handle(handle_t h, unsigned kind, unsigned idx, quire_rights_t rights)
{
	assert_null(m_find(h));
	assert_true(M.n_handles < RND_HANDLES);
	M.handles[M.n_handles++] = (struct m_handle){h, kind, idx, rights};
	if (kind == K_AREA)
		M.areas[idx].handles++;
}

/* An area with no handle and no mapping is gone (its frames with it). */
static void m_maybe_dead(unsigned idx)
{
	struct m_area *a = &M.areas[idx];

	for (unsigned p = 0; p < RND_PROCS; p++)
		if (a->base[p] != 0)
			return;
	if (a->handles == 0)
		a->live = false;
}

static void m_remove_handle(struct m_handle *mh)
{
	unsigned kind = mh->kind, idx = mh->idx;

	M.stale[M.n_stale++ % RND_STALE] = mh->h;
	*mh = M.handles[--M.n_handles];
	if (kind == K_AREA) {
		M.areas[idx].handles--;
		m_maybe_dead(idx);
	}
}

static bool m_ended(unsigned p)
{
	return M.procs[p]->space == NULL;
}

/* The area whose mapping in process P overlaps [BASE, BASE + PAGES), or NULL. */
static const struct m_area *m_overlap(unsigned p, vaddr_t base, uint64_t pages)
{
	for (unsigned i = 0; i < RND_AREAS; i++) {
		const struct m_area *a = &M.areas[i];
		if (!a->live || a->base[p] == 0)
			continue;
		if (base < a->base[p] + a->pages * PAGE && a->base[p] < base + pages * PAGE)
			return a;
	}
	return NULL;
}

/* Where "anywhere" puts PAGES pages in P: the lowest free range. */
static vaddr_t m_lowest_fit(unsigned p, uint64_t pages)
{
	vaddr_t b = VM_USER_LO;
	const struct m_area *a;

	while ((a = m_overlap(p, b, pages)) != NULL)
		b = a->base[p] + a->pages * PAGE;
	assert_true(b + pages * PAGE <= VM_USER_HI);
	return b;
}

static kerr_t m_size_pages(uint64_t size, uint64_t *pages)
{
	if (size == 0)
		return KERR_INVALID;
	if (size > VMA_SIZE_MAX)
		return KERR_OUT_OF_RANGE;
	*pages = (size + PAGE - 1) / PAGE;
	return KERR_OK;
}

static bool m_exact_outside(uint64_t addr, uint64_t pages)
{
	return addr < VM_USER_LO || addr >= VM_USER_HI || pages > (VM_USER_HI - addr) / PAGE;
}

static uint64_t rnd_size(void)
{
	switch (rnd(20)) {
	case 0:
		return 0;
	case 1:
		return VMA_SIZE_MAX + 1 + rnd(PAGE);
	case 2:
		return UINT64_MAX - rnd(PAGE);
	default:
		return (1 + rnd(8)) * PAGE - rnd(PAGE);
	}
}

static uint64_t rnd_addr(void)
{
	switch (rnd(30)) {
	case 0:
		return VM_USER_LO + rnd(RND_WINDOW) * PAGE + 1 + rnd(PAGE - 1); /* unaligned */
	case 1:
		return 0;
	case 2:
	case 3:
		return VM_USER_HI - rnd(4) * PAGE; /* the top: some fit, most do not */
	default:
		return VM_USER_LO + rnd(RND_WINDOW) * PAGE;
	}
}

static uint32_t rnd_flags(void)
{
	static const uint32_t prots[] = {R, R, RW, RW, RW, R | X, RW | X, 0, W, X, W | X};
	uint32_t f = prots[rnd(ARRAY_SIZE(prots))];

	if (rnd(2))
		f |= EXACT;
	if (rnd(25) == 0)
		f |= rnd(2) ? WC : 1u << (6 + rnd(26));
	return f;
}

/*
 * Half the time, FLAGS' protection becomes one VMA's rights allow (if it names a live handle),
 * so that calls get past the rights checks to the later ones.
 */
static uint32_t within_rights(handle_t vma, uint32_t flags)
{
	static const uint32_t masks[] = {R, RW, R | X, RW | X};
	struct m_handle *mh = m_find(vma);

	if (mh == NULL || rnd(2) == 0)
		return flags;
	return (flags & ~QUIRE_VMA_PROT_MASK) |
	       (mh->rights & QUIRE_VMA_PROT_MASK & masks[rnd(ARRAY_SIZE(masks))]);
}

/* A handle to pass: mostly a live one of KIND, sometimes any live one, stale or made up. */
static handle_t rnd_handle(unsigned kind)
{
	unsigned r = (unsigned)rnd(100);

	if (r < 3)
		return r == 0 ? HANDLE_INVALID : (handle_t)test_rng_next(&M.rng);
	if (r < 10 && M.n_stale > 0)
		return M.stale[rnd(M.n_stale < RND_STALE ? M.n_stale : RND_STALE)];
	if (M.n_handles == 0)
		return HANDLE_INVALID;
	for (unsigned tries = 0; r < 85 && tries < 16; tries++) {
		struct m_handle *mh = &M.handles[rnd(M.n_handles)];
		if (mh->kind == kind)
			return mh->h;
	}
	return M.handles[rnd(M.n_handles)].h;
}

static unsigned m_free_area(void)
{
	for (unsigned i = 0; i < RND_AREAS; i++)
		if (!M.areas[i].live)
			return i;
	return RND_AREAS;
}

/* A new area in the model for handle H (just created with PAGES and MAX_PROT). */
static unsigned m_new_area(handle_t h, uint64_t pages, uint32_t max_prot)
{
	unsigned idx = m_free_area();

	assert_true(idx < RND_AREAS);
	M.areas[idx] = (struct m_area){.live = true, .pages = pages, .max_prot = max_prot};
	M.areas[idx].area = area_of(h);
	m_add_handle(h, K_AREA, idx, max_prot | EXTRA);
	return idx;
}

static void m_set_mapping(struct m_area *a, unsigned p, vaddr_t base, uint32_t prot)
{
	a->base[p] = base;
	a->prot[p] = prot;
	a->seq[p] = ++M.seq;
}

static bool room_for_new(void)
{
	return M.n_handles < RND_HANDLES && m_free_area() < RND_AREAS;
}

static kerr_t rnd_create(void)
{
	uint64_t size = rnd_size(), pages = 0;
	uint32_t flags = rnd_flags() & ~(rnd(4) ? EXACT : 0u);
	kerr_t want = KERR_OK;
	handle_t h = 0x5555;

	if (!room_for_new())
		return KERR_OK;
	if ((flags & ~QUIRE_VMA_CREATE_MASK) != 0 || !(flags & R))
		want = KERR_INVALID;
	else
		want = m_size_pages(size, &pages);
	assert_int_equal(vma_call_create(&e.t, size, flags, &h), want);
	if (want == KERR_OK)
		m_new_area(h, pages, flags);
	else
		assert_int_equal(h, 0x5555);
	return want;
}

static kerr_t rnd_create_map(void)
{
	uint64_t size = rnd_size(), pages = 0, addr = rnd_addr(), in = addr;
	uint32_t flags = rnd_flags();
	vaddr_t base = 0;
	kerr_t want;
	handle_t h = 0x5555;

	if (!room_for_new())
		return KERR_OK;
	if (!(flags & R) || (flags & ~QUIRE_VMA_MAP_MASK) != 0)
		want = KERR_INVALID;
	else if ((flags & EXACT) && addr % PAGE != 0)
		want = KERR_INVALID;
	else if ((want = m_size_pages(size, &pages)) != KERR_OK)
		;
	else if ((flags & EXACT) && m_exact_outside(addr, pages))
		want = KERR_OUT_OF_RANGE;
	else if ((flags & EXACT) && m_overlap(0, addr, pages) != NULL)
		want = KERR_EXISTS;
	else
		base = (flags & EXACT) ? addr : m_lowest_fit(0, pages);
	assert_int_equal(vma_call_create_map(&e.t, M.procs[0]->space, size, &addr, flags, &h),
			 want);
	if (want != KERR_OK) {
		assert_int_equal(addr, in);
		assert_int_equal(h, 0x5555);
		return want;
	}
	assert_int_equal(addr, base);
	unsigned idx = m_new_area(h, pages, flags & QUIRE_VMA_PROT_MASK);
	m_set_mapping(&M.areas[idx], 0, base, flags & QUIRE_VMA_PROT_MASK);
	return want;
}

/* The checks vma_map, vma_unmap and vma_protect share: both handles, into *A and *P. */
static kerr_t m_two_handles(handle_t hv, quire_rights_t need, handle_t hp, struct m_area **a,
			    unsigned *p)
{
	struct m_handle *mv, *mp;

	TRY(m_lookup(hv, K_AREA, need, &mv));
	TRY(m_lookup(hp, K_PROC, QUIRE_RIGHT_WRITE, &mp));
	*a = &M.areas[mv->idx];
	*p = mp->idx;
	return KERR_OK;
}

static kerr_t rnd_map(void)
{
	handle_t hv = rnd_handle(K_AREA), hp = rnd_handle(K_PROC);
	uint32_t flags = within_rights(hv, rnd_flags()), prot = flags & QUIRE_VMA_PROT_MASK;
	uint64_t addr = rnd_addr(), in = addr;
	struct m_area *a = NULL;
	unsigned p = 0;
	vaddr_t base = 0;
	kerr_t want = m_two_handles(hv, MAP | prot, hp, &a, &p);

	if (want != KERR_OK)
		;
	else if ((flags & ~QUIRE_VMA_MAP_MASK) != 0 || (prot != 0 && !(prot & R)))
		want = KERR_INVALID;
	else if ((flags & EXACT) && addr % PAGE != 0)
		want = KERR_INVALID;
	else if (m_ended(p))
		want = KERR_NOT_FOUND;
	else if ((flags & EXACT) && m_exact_outside(addr, a->pages))
		want = KERR_OUT_OF_RANGE;
	else if (a->base[p] != 0)
		want = KERR_EXISTS;
	else if ((prot & ~a->max_prot) != 0)
		want = KERR_ACCESS_DENIED;
	else if ((flags & EXACT) && m_overlap(p, addr, a->pages) != NULL)
		want = KERR_EXISTS;
	else
		base = (flags & EXACT) ? addr : m_lowest_fit(p, a->pages);
	assert_int_equal(vma_call_map(&e.t, hv, hp, &addr, flags), want);
	if (want != KERR_OK) {
		assert_int_equal(addr, in);
		return want;
	}
	assert_int_equal(addr, base);
	m_set_mapping(a, p, base, prot);
	return want;
}

static kerr_t rnd_unmap(void)
{
	handle_t hv = rnd_handle(K_AREA), hp = rnd_handle(K_PROC);
	struct m_area *a = NULL;
	unsigned p = 0;
	kerr_t want = m_two_handles(hv, MAP, hp, &a, &p);

	if (want == KERR_OK && (m_ended(p) || a->base[p] == 0))
		want = KERR_NOT_FOUND;
	assert_int_equal(vma_call_unmap(&e.t, hv, hp), want);
	if (want == KERR_OK) {
		a->base[p] = 0;
		m_maybe_dead((unsigned)(a - M.areas));
	}
	return want;
}

/* vm_space_resize()'s growth check: the area's mappings newest first, each needing room. */
static kerr_t m_grow(const struct m_area *a, uint64_t pages)
{
	bool done[RND_PROCS] = {false};

	for (;;) {
		unsigned p = RND_PROCS;
		for (unsigned q = 0; q < RND_PROCS; q++)
			if (a->base[q] != 0 && !done[q] &&
			    (p == RND_PROCS || a->seq[q] > a->seq[p]))
				p = q;
		if (p == RND_PROCS)
			return KERR_OK;
		done[p] = true;
		vaddr_t limit = VM_USER_HI;
		for (unsigned i = 0; i < RND_AREAS; i++) {
			const struct m_area *o = &M.areas[i];
			if (o->live && o != a && o->base[p] > a->base[p] && o->base[p] < limit)
				limit = o->base[p];
		}
		if (pages > (limit - a->base[p]) / PAGE)
			return limit != VM_USER_HI ? KERR_EXISTS : KERR_NO_MEMORY;
	}
}

static kerr_t rnd_resize(void)
{
	handle_t hv = rnd_handle(K_AREA);
	uint64_t size = rnd(3) == 0 ? rnd_size() : (1 + rnd(12)) * PAGE - rnd(PAGE), in = size;
	uint64_t pages = 0;
	struct m_handle *mv;
	kerr_t want = m_lookup(hv, K_AREA, QUIRE_RIGHT_WRITE, &mv);
	struct m_area *a = want == KERR_OK ? &M.areas[mv->idx] : NULL;

	if (want == KERR_OK)
		want = m_size_pages(size, &pages);
	if (want == KERR_OK && pages > a->pages)
		want = m_grow(a, pages);
	assert_int_equal(vma_call_resize(&e.t, hv, &size), want);
	if (want != KERR_OK) {
		assert_int_equal(size, in);
		return want;
	}
	assert_int_equal(size, pages * PAGE);
	a->pages = pages;
	return want;
}

static kerr_t rnd_protect(void)
{
	handle_t hv = rnd_handle(K_AREA), hp = rnd_handle(K_PROC);
	uint32_t flags = within_rights(hv, rnd_flags() & ~(rnd(8) ? EXACT : 0u));
	uint32_t prot = flags & QUIRE_VMA_PROT_MASK;
	struct m_area *a = NULL;
	unsigned p = 0;
	kerr_t want = m_two_handles(hv, prot, hp, &a, &p);

	if (want != KERR_OK)
		;
	else if ((flags & ~QUIRE_VMA_PROTECT_MASK) != 0 || (prot != 0 && !(prot & R)))
		want = KERR_INVALID;
	else if (m_ended(p) || a->base[p] == 0)
		want = KERR_NOT_FOUND;
	else if ((prot & ~a->max_prot) != 0)
		want = KERR_ACCESS_DENIED;
	assert_int_equal(vma_call_protect(&e.t, hv, hp, flags), want);
	if (want == KERR_OK)
		a->prot[p] = prot;
	return want;
}

static kerr_t rnd_close(void)
{
	handle_t h = rnd_handle(rnd(4) == 0 ? K_PROC : K_AREA);
	struct m_handle *mh = m_find(h);
	kerr_t want = mh != NULL ? KERR_OK : KERR_BAD_HANDLE;

	assert_int_equal(handle_close(&e.t, h), want);
	if (mh != NULL)
		m_remove_handle(mh);
	return want;
}

static kerr_t rnd_clone(void)
{
	handle_t h = rnd_handle(rnd(4) == 0 ? K_PROC : K_AREA), c = 0x5555;
	struct m_handle *mh = m_find(h);
	quire_rights_t rights = (quire_rights_t)rnd(QUIRE_RIGHTS_VALID + 1);
	kerr_t want;

	if (M.n_handles >= RND_HANDLES)
		return KERR_OK;
	if (mh != NULL && rnd(3) == 0)
		rights = mh->rights; /* the same rights, or mostly a subset */
	else if (mh != NULL && rnd(4) != 0)
		rights &= mh->rights;
	if (rnd(20) == 0)
		rights |= 1u << (6 + rnd(26));
	if ((rights & ~QUIRE_RIGHTS_VALID) != 0)
		want = KERR_INVALID;
	else if (mh == NULL)
		want = KERR_BAD_HANDLE;
	else if (!(mh->rights & DUP) || (rights & ~mh->rights) != 0)
		want = KERR_ACCESS_DENIED;
	else
		want = KERR_OK;
	assert_int_equal(handle_clone(&e.t, h, rights, &c), want);
	if (want == KERR_OK)
		m_add_handle(c, mh->kind, mh->idx, rights);
	else
		assert_int_equal(c, 0x5555);
	return want;
}

/* A new handle to a process, with random rights (as a spawn would hand out). */
static kerr_t rnd_install_process(void)
{
	unsigned p = (unsigned)rnd(RND_PROCS);
	quire_rights_t rights = (quire_rights_t)rnd(QUIRE_RIGHTS_VALID + 1) | DUP;
	handle_t h;

	if (M.n_handles >= RND_HANDLES)
		return KERR_OK;
	if (rnd(4) != 0)
		rights |= QUIRE_RIGHT_WRITE;
	assert_int_equal(handle_install(&e.t, &M.procs[p]->obj, rights, &h), KERR_OK);
	m_add_handle(h, K_PROC, p, rights);
	return KERR_OK;
}

/* A fault in a mapped page: served when the mapping allows the access. */
static void rnd_touch(void)
{
	static const unsigned access[] = {VM_PROT_READ, VM_PROT_WRITE, VM_PROT_EXEC};
	unsigned i = (unsigned)rnd(RND_AREAS), p = (unsigned)rnd(RND_PROCS);
	const struct m_area *a = &M.areas[i];

	if (!a->live || a->base[p] == 0)
		return;
	unsigned acc = access[rnd(3)];
	enum vm_fault_result want = (a->prot[p] & acc) != 0 ? VM_FAULT_OK : VM_FAULT_PROTECTION;
	assert_int_equal(
	    vm_space_allocate(M.procs[p]->space, a->base[p] + rnd(a->pages) * PAGE, acc), want);
}

/* The kernel's state against the model: handles, every mapping, every area's references. */
static void m_check(void)
{
	assert_int_equal(handle_table_count(&e.t), M.n_handles);
	for (unsigned i = 0; i < RND_AREAS; i++) {
		const struct m_area *a = &M.areas[i];
		uint32_t refs = a->handles;
		if (!a->live)
			continue;
		assert_int_equal(a->area->pages, a->pages);
		for (unsigned p = 0; p < RND_PROCS; p++) {
			struct vm_mapping_info info;
			vaddr_t base;
			if (m_ended(p)) {
				assert_int_equal(a->base[p], 0);
				continue;
			}
			kerr_t found = vm_space_find_area(M.procs[p]->space, a->area, &base);
			if (a->base[p] == 0) {
				assert_int_equal(found, KERR_NOT_FOUND);
				continue;
			}
			refs++;
			assert_int_equal(found, KERR_OK);
			assert_int_equal(base, a->base[p]);
			assert_int_equal(vm_space_lookup(M.procs[p]->space, base, &info), KERR_OK);
			assert_ptr_equal(info.area, a->area);
			assert_int_equal(info.base, base);
			assert_int_equal(info.pages, a->pages);
			assert_int_equal(info.prot, a->prot[p]);
		}
		assert_int_equal(kobject_refcount(&a->area->obj), refs);
	}
}

/* Process P ends: its mappings go with its space. */
static void m_end_process(unsigned p)
{
	proc_end(M.procs[p]);
	for (unsigned i = 0; i < RND_AREAS; i++) {
		if (!M.areas[i].live || M.areas[i].base[p] == 0)
			continue;
		M.areas[i].base[p] = 0;
		m_maybe_dead(i);
	}
}

static void test_random_against_model(void **state)
{
	static struct fake_process third;

	(void)state;
	memset(&M, 0, sizeof(M));
	M.rng = test_rng_seeded("vma_calls random");
	M.procs[0] = &e.self;
	M.procs[1] = &e.other;
	M.procs[2] = &third;
	assert_int_equal(proc_start(&third), KERR_OK);
	m_add_handle(e.hself, K_PROC, 0, PROC_ALL);
	m_add_handle(e.hother, K_PROC, 1, PROC_ALL);
	for (unsigned op = 0; op < RND_OPS; op++) {
		unsigned what = (unsigned)rnd(100);
		kerr_t got = KERR_OK;

		if (op == RND_OPS / 2)
			m_end_process(2);
		if (what < 9)
			got = rnd_create();
		else if (what < 18)
			got = rnd_create_map();
		else if (what < 38)
			got = rnd_map();
		else if (what < 47)
			got = rnd_unmap();
		else if (what < 56)
			got = rnd_resize();
		else if (what < 68)
			got = rnd_protect();
		else if (what < 77)
			got = rnd_close();
		else if (what < 86)
			got = rnd_clone();
		else if (what < 90)
			got = rnd_install_process();
		else
			rnd_touch();
		M.counts[got]++;
		if (op % 200 == 0)
			m_check();
	}
	m_check();
	printf("#");
	for (unsigned i = 0; i < KERR_COUNT; i++)
		if (M.counts[i] != 0)
			printf(" %s %u", kerr_name((kerr_t)i), M.counts[i]);
	printf("\n");
	/* Every outcome came up, often enough to mean something. */
	for (kerr_t err = KERR_OK; err < KERR_COUNT; err++)
		if (err != KERR_UNSUPPORTED && err != KERR_TIMEOUT && err != KERR_FAULT &&
		    err != KERR_NO_MEMORY && err != KERR_SHOULD_WAIT &&
		    err != KERR_BUFFER_TOO_SMALL && err != KERR_PEER_CLOSED) /* not VMA errors */
			assert_true(M.counts[err] >= 10);

	/* Closing every handle and ending every process gives every frame back (teardown). */
	while (M.n_handles > 0) {
		assert_int_equal(handle_close(&e.t, M.handles[0].h), KERR_OK);
		m_remove_handle(&M.handles[0]);
	}
	proc_put(&third);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_map, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_rights_and_check_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_once_per_process, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resize, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_protect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_then_map_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_and_stale, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_types, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ended_process, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_undo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failure_injection_sweep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_against_model, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
