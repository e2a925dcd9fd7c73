/*
 * Built-in tests of handle tables (kernel/objects/handle.h) in the real kernel, over a real
 * vm_area with real frames: install, clone with fewer rights, lookups with the right and the
 * wrong type and rights, and destroying the table (the process ending) frees the area and brings
 * the pmm's free count back to where it started. The host tests (test_kernel_handle_table.c)
 * cover the rest: generations, growth, failure injection, a model.
 */
#include "kernel/ktest.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_space.h"
#include "kernel/objects/handle.h"

#define AREA_PAGES 4u

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	pmm_get_stats(&st);
	return st.free;
}

/* An open area with every page resident and no mapping left: only its handles will keep it. */
static struct vm_area *area_with_frames(struct ktest_ctx *ktest_ctx)
{
	struct vm_space *s;
	struct vm_area *a;
	vaddr_t base;

	if (!kexpect(vm_space_create(&s) == KERR_OK))
		return NULL;
	if (!kexpect(vm_area_create_open(AREA_PAGES, VM_PROT_READ | VM_PROT_WRITE, &a) ==
		     KERR_OK)) {
		vm_space_destroy(s);
		return NULL;
	}
	kexpect(vm_space_map(s, a, 0, VM_MAP_ANYWHERE, AREA_PAGES, VM_PROT_READ | VM_PROT_WRITE,
			     &base) == KERR_OK);
	for (unsigned i = 0; i < AREA_PAGES; i++)
		kexpect_eq(vm_space_allocate(s, base + i * PAGE_SIZE, VM_PROT_WRITE), VM_FAULT_OK);
	kexpect(vm_space_unmap(s, base) == KERR_OK);
	vm_space_destroy(s);
	kexpect_eq(vm_area_resident(a), AREA_PAGES);
	return a;
}

KTEST(handle_vm_area_rights_and_release)
{
	const quire_rights_t all = QUIRE_RIGHTS_ALL;
	const quire_rights_t read_map = QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP;
	struct handle_table t;
	struct kobject *o = NULL;
	struct vm_area *a;
	quire_rights_t rights = 0;
	handle_t h, ro, bad = 0;
	uint64_t before = free_frames(), with_area;

	handle_table_init(&t);
	a = area_with_frames(ktest_ctx);
	if (a == NULL)
		return;
	if (!kexpect(handle_install(&t, &a->obj, all, &h) == KERR_OK))
		return;
	vm_area_put(a); /* the table's reference alone keeps the area now */
	kexpect(h != HANDLE_INVALID);
	kexpect_eq(kobject_refcount(&a->obj), 1);

	/* Clone with fewer rights; more than the source has is denied, unknown bits invalid. */
	kexpect_eq(handle_clone(&t, h, read_map, &ro), KERR_OK);
	kexpect_eq(handle_clone(&t, ro, read_map | QUIRE_RIGHT_WRITE, &bad), KERR_ACCESS_DENIED);
	kexpect_eq(handle_clone(&t, h, 1u << 30, &bad), KERR_INVALID);
	kexpect_eq(bad, 0);
	kexpect_eq(kobject_refcount(&a->obj), 2);

	/* The right type and rights; the wrong type (before the missing rights); a missing right. */
	kexpect_eq(handle_lookup_rights(&t, ro, KOBJECT_VM_AREA, QUIRE_RIGHT_MAP, &o, &rights),
		   KERR_OK);
	kexpect(o == &a->obj);
	kexpect_eq(rights, read_map);
	if (o != NULL)
		kobject_put(o);
	kexpect_eq(handle_lookup(&t, ro, KOBJECT_TEST, QUIRE_RIGHT_WRITE, &o), KERR_WRONG_TYPE);
	kexpect_eq(handle_lookup(&t, ro, KOBJECT_VM_AREA, QUIRE_RIGHT_WRITE, &o),
		   KERR_ACCESS_DENIED);
	kexpect_eq(handle_lookup(&t, h, KOBJECT_VM_AREA, all, &o), KERR_OK);
	kobject_put(o);

	/* Closing one handle keeps the area; a closed handle is bad. */
	kexpect_eq(handle_close(&t, h), KERR_OK);
	kexpect_eq(handle_lookup(&t, h, KOBJECT_VM_AREA, 0, &o), KERR_BAD_HANDLE);
	kexpect_eq(handle_close(&t, h), KERR_BAD_HANDLE);
	with_area = free_frames();
	kexpect(with_area < before);

	/* The process ends: the last handle goes, and the area's frames with it. */
	handle_table_destroy(&t);
	kexpect_eq(handle_table_count(&t), 0);
	kexpect(free_frames() >= with_area + AREA_PAGES);
	kexpect_eq(free_frames(), before);
}
