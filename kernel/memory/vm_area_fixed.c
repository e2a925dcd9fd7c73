/*
 * Fixed areas: a physical range the area does not own (a framebuffer, device registers), with
 * the cache policy it needs (write-combining for a framebuffer, uncached for MMIO). get_page is
 * arithmetic: it never allocates, never locks, and nothing is freed on release.
 */
#include "kernel/memory/pmm.h"
#include <stddef.h>

#include "kernel/memory/vm_area_internal.h"

static enum vm_fault_result fixed_get_page(struct vm_area *area, uint64_t index, unsigned access,
					   struct vm_page_ref *out)
{
	(void)access;
	*out = (struct vm_page_ref){.pa = area->phys + index * PAGE_SIZE, .read_only = false};
	return VM_FAULT_OK;
}

const struct vm_area_ops vm_area_fixed_ops = {
    .name = "fixed",
    .get_page = fixed_get_page,
    .drop_pages = NULL,
    .resizable = false,
};

kerr_t vm_area_create_fixed(paddr_t pa, uint64_t pages, unsigned max_prot, enum cache_policy cache,
			    struct vm_area **out)
{
	if (pa % PAGE_SIZE != 0 || (unsigned)cache >= CACHE_POLICY_COUNT || pages > (1ull << 40) ||
	    pa + pages * PAGE_SIZE < pa)
		return KERR_INVALID;
	TRY(vm_area_new(VM_AREA_FIXED, &vm_area_fixed_ops, pages, max_prot, out));
	(*out)->phys = pa;
	(*out)->cache = cache;
	return KERR_OK;
}
