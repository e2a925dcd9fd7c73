/*
 * Kernel stacks; see kstack.h for the model.
 */
#include "kernel/memory/kstack.h"

#include "kernel/lib/debug_check.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_space.h"
#include "kernel/panic.h"

kerr_t kstack_create(uint64_t pages, struct kstack *out)
{
	struct vm_space *k = vm_space_kernel();
	struct vm_area *area;
	vaddr_t base;
	uint64_t total = pages + 2 * KSTACK_GUARD_PAGES;

	if (pages == 0 || pages > KSTACK_MAX_PAGES)
		return KERR_INVALID;
	if (k == NULL)
		return KERR_UNSUPPORTED;
	TRY(vm_area_create_guarded(pages, KSTACK_GUARD_PAGES, KSTACK_GUARD_PAGES,
				   VM_PROT_READ | VM_PROT_WRITE, &area));
	vm_area_set_owner(area, VM_OWNER_KSTACK, PAGE_KERNEL_STACK);
	kerr_t err =
	    vm_space_map(k, area, 0, VM_MAP_ANYWHERE, total, VM_PROT_READ | VM_PROT_WRITE, &base);
	vm_area_put(area); /* the mapping holds the area from now on */
	if (err != KERR_OK)
		return err;
	vaddr_t bottom = base + KSTACK_GUARD_PAGES * PAGE_SIZE;
	err = vm_space_populate(k, bottom, pages);
	if (err != KERR_OK)
		goto unmap;
	*out = (struct kstack){
	    .base = base, .bottom = bottom, .top = bottom + pages * PAGE_SIZE, .pages = pages};
	return KERR_OK;

unmap:;
	kerr_t undo = vm_space_unmap(k, base); /* frees the area and the frames it got */
	kassert(undo == KERR_OK);
	return err;
}

void kstack_destroy(struct kstack *stack)
{
	struct vm_space *k = vm_space_kernel();
	struct vm_mapping_info info;

	if (k == NULL || vm_space_lookup(k, stack->base, &info) != KERR_OK ||
	    info.owner != VM_OWNER_KSTACK || info.base != stack->base)
		debug_check_fail("0x%llx is not a kernel stack", (unsigned long long)stack->base);
	kerr_t err = vm_space_unmap(k, stack->base);
	kassert(err == KERR_OK);
	*stack = (struct kstack){0, 0, 0, 0};
}
