/*
 * Open areas: anonymous memory, zero-filled on first touch, one frame per touched page (PAGE_USER
 * unless vm_area_set_owner() said otherwise) in the area's page tree. See vm_area.h for the model
 * and the zero-page rule.
 *
 * get_page follows DESIGN.md's "allocate first, lock, re-check, back out": it looks under the
 * area lock; on a miss it drops the lock, allocates a zeroed frame and the page-tree nodes an
 * insertion may need, takes the lock again and inserts; when another CPU inserted the page
 * meanwhile it uses that one and frees its own after unlocking.
 *
 * The page-tree nodes an insertion may need are kept in a per-CPU prep that survives the fault:
 * most insertions land in an existing leaf and use no node, so the next fault finds the prep
 * still full and neither allocates nor zeroes (1,152 bytes) again. A CPU's prep is touched only
 * by that CPU, between the top-up and the insertion, with no preemption (the fault path runs
 * with interrupts off; with a scheduler, the thread paths will disable preemption around it).
 * vm_area_trim() gives the nodes back (tests, low memory).
 */
#include <stddef.h>

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area_internal.h"
#include "kernel/panic.h"

static struct page_tree_prep cpu_prep[CPU_MAX];

/* Looks INDEX up under the lock; fills OUT and returns true when no allocation is needed. */
static bool lookup_locked(struct vm_area *area, uint64_t index, unsigned access,
			  struct vm_page_ref *out)
{
	struct page *page = page_tree_lookup(&area->tree, index);

	if (page != NULL) {
		*out = (struct vm_page_ref){.pa = pmm_page_to_phys(page), .read_only = false};
		return true;
	}
	/* A read of an untouched page of an unshared area: the zero page, read-only. */
	if (!(access & VM_PROT_WRITE) && !area->shared) {
		paddr_t zero = vm_zero_page();
		if (zero != 0) {
			area->zero_mapped = true;
			*out = (struct vm_page_ref){.pa = zero, .read_only = true};
			return true;
		}
	}
	return false;
}

enum vm_fault_result vm_area_open_get_page(struct vm_area *area, uint64_t index, unsigned access,
					   struct vm_page_ref *out)
{
	struct page_tree_prep *prep = &cpu_prep[cpu_current_id()];
	struct page *page, *winner;

	spin_lock(&area->lock);
	bool found = lookup_locked(area, index, access, out);
	spin_unlock(&area->lock);
	if (found)
		return VM_FAULT_OK;

	page = pmm_alloc_page((enum page_kind)area->frame_kind, PMM_ZERO);
	if (page == NULL)
		return VM_FAULT_NO_MEMORY;
	if (page_tree_prepare(&area->tree, prep) != KERR_OK)
		goto free_page;
	page->refcount = 1; /* the tree's */

	spin_lock(&area->lock);
	winner = page;
	if (page_tree_insert(&area->tree, index, page, prep) == KERR_EXISTS)
		winner = page_tree_lookup(&area->tree, index); /* lost a race: use the other page */
	spin_unlock(&area->lock);
	if (winner != page)
		pmm_free_page(page);
	*out = (struct vm_page_ref){.pa = pmm_page_to_phys(winner), .read_only = false};
	return VM_FAULT_OK;

free_page:
	pmm_free_page(page);
	return VM_FAULT_NO_MEMORY;
}

static bool drop_one(uint64_t index, void *value, void *arg)
{
	struct vm_area *area = arg;
	struct page *page = page_tree_remove(&area->tree, index);

	kassert(page == value);
	pmm_free_page(page);
	return true;
}

void vm_area_open_drop_pages(struct vm_area *area, uint64_t first)
{
	kassert(spin_held(&area->lock));
	page_tree_for_each(&area->tree, first, VM_AREA_MAX_PAGES - 1, drop_one, area);
}

void vm_area_trim(void)
{
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++)
		page_tree_prep_release(&cpu_prep[cpu]);
}

const struct vm_area_ops vm_area_open_ops = {
    .name = "open",
    .get_page = vm_area_open_get_page,
    .drop_pages = vm_area_open_drop_pages,
    .resizable = true,
};

kerr_t vm_area_create_open(uint64_t pages, unsigned max_prot, struct vm_area **out)
{
	return vm_area_new(VM_AREA_OPEN, &vm_area_open_ops, pages, max_prot, out);
}
