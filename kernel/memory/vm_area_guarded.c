/*
 * Guarded areas: stacks. Open pages (vm_area_open.c) between guard pages that are never backed:
 * guard_low pages at the low end catch a downward overflow, guard_high at the top an underflow.
 * A touch of a guard page is VM_FAULT_GUARD, so the kill or panic message says "guard page"
 * rather than a bare "no mapping". Not resizable: a stack's guard has to stay where it is.
 */
#include "kernel/memory/vm_area_internal.h"

static enum vm_fault_result guarded_get_page(struct vm_area *area, uint64_t index, unsigned access,
					     struct vm_page_ref *out)
{
	if (index < area->guard_low || index >= area->pages - area->guard_high)
		return VM_FAULT_GUARD;
	return vm_area_open_get_page(area, index, access, out);
}

const struct vm_area_ops vm_area_guarded_ops = {
    .name = "guarded",
    .get_page = guarded_get_page,
    .drop_pages = vm_area_open_drop_pages,
    .resizable = false,
};

kerr_t vm_area_create_guarded(uint64_t pages, uint32_t guard_low, uint32_t guard_high,
			      unsigned max_prot, struct vm_area **out)
{
	if (pages == 0 || pages > VM_AREA_MAX_PAGES)
		return KERR_INVALID;
	TRY(vm_area_new(VM_AREA_GUARDED, &vm_area_guarded_ops,
			pages + (uint64_t)guard_low + guard_high, max_prot, out));
	(*out)->guard_low = guard_low;
	(*out)->guard_high = guard_high;
	return KERR_OK;
}
