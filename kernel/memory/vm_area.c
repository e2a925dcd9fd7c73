/*
 * vm_area core: creation, references and release, the mapping list, the shared zero page and the
 * fault-result names. The kinds live in vm_area_open.c, vm_area_fixed.c, vm_area_guarded.c and
 * vm_area_reservation.c; see vm_area.h for the model.
 */
#include "kernel/memory/vm_area.h"

#include <stddef.h>

#include "kernel/lib/compiler.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area_internal.h"
#include "kernel/memory/vm_space.h"
#include "kernel/panic.h"

_Static_assert(VM_PROT_READ == PAGETABLE_READ && VM_PROT_WRITE == PAGETABLE_WRITE &&
		   VM_PROT_EXEC == PAGETABLE_EXEC,
	       "VM_PROT_* are the pagetable's rights");

static struct page *zero_page;

kerr_t vm_area_new(enum vm_area_kind kind, const struct vm_area_ops *ops, uint64_t pages,
		   unsigned max_prot, struct vm_area **out)
{
	if (pages == 0 || pages > VM_AREA_MAX_PAGES || (max_prot & ~VM_PROT_ALL) != 0)
		return KERR_INVALID;
	if (max_prot != 0 && !(max_prot & VM_PROT_READ))
		return KERR_INVALID; /* x86 has no write- or execute-only pages */
	struct vm_area *area = kzalloc(sizeof(*area));
	if (area == NULL)
		return KERR_NO_MEMORY;
	kobject_init(&area->obj, KOBJECT_VM_AREA);
	area->ops = ops;
	area->kind = kind;
	area->max_prot = max_prot;
	area->cache = CACHE_WRITE_BACK;
	area->pages = pages;
	area->frame_kind = PAGE_USER;
	spin_init(&area->lock, "vm_area", LOCK_RANK_VM_AREA);
	page_tree_init(&area->tree, page_tree_cache_kernel());
	*out = area;
	return KERR_OK;
}

void vm_area_set_owner(struct vm_area *area, enum vm_owner owner, enum page_kind frame_kind)
{
	spin_lock(&area->lock);
	kassert(area->mapping_count == 0 && page_tree_count(&area->tree) == 0);
	area->owner = owner;
	area->frame_kind = (uint8_t)frame_kind;
	spin_unlock(&area->lock);
}

struct vm_area *vm_area_from_kobject(struct kobject *obj)
{
	kassert(obj->type == KOBJECT_VM_AREA);
	return container_of(obj, struct vm_area, obj);
}

void vm_area_get(struct vm_area *area)
{
	kobject_get(&area->obj);
}

void vm_area_put(struct vm_area *area)
{
	kobject_put(&area->obj);
}

void vm_area_release(struct kobject *obj)
{
	struct vm_area *area = vm_area_from_kobject(obj);

	kassert(area->mappings == NULL && area->mapping_count == 0);
	/* Unreachable now, but the lock orders the node frees after every earlier change. */
	spin_lock(&area->lock);
	if (area->ops->drop_pages != NULL)
		area->ops->drop_pages(area, 0);
	kassert(page_tree_count(&area->tree) == 0);
	spin_unlock(&area->lock);
	kfree(area);
}

uint64_t vm_area_resident(struct vm_area *area)
{
	spin_lock(&area->lock);
	uint64_t n = page_tree_count(&area->tree);
	spin_unlock(&area->lock);
	return n;
}

void vm_area_link_mapping(struct vm_area *area, struct vm_mapping *m)
{
	kassert(spin_held(&area->lock));
	m->area_prev = NULL;
	m->area_next = area->mappings;
	if (area->mappings != NULL)
		area->mappings->area_prev = m;
	area->mappings = m;
	area->mapping_count++;
	area->mapping_generation++;
	if (area->mapping_count > 1)
		area->shared = true;
}

void vm_area_unlink_mapping(struct vm_area *area, struct vm_mapping *m)
{
	kassert(spin_held(&area->lock) && area->mapping_count > 0);
	if (m->area_prev != NULL)
		m->area_prev->area_next = m->area_next;
	else
		area->mappings = m->area_next;
	if (m->area_next != NULL)
		m->area_next->area_prev = m->area_prev;
	m->area_next = m->area_prev = NULL;
	area->mapping_count--;
	area->mapping_generation++;
}

kerr_t vm_zero_page_init(void)
{
	zero_page = pmm_alloc_page(PAGE_USER, PMM_ZERO);
	return zero_page != NULL ? KERR_OK : KERR_NO_MEMORY;
}

paddr_t vm_zero_page(void)
{
	return zero_page != NULL ? pmm_page_to_phys(zero_page) : 0;
}

const char *vm_fault_result_name(enum vm_fault_result result)
{
	static const char *const names[VM_FAULT_RESULT_COUNT] = {
	    [VM_FAULT_OK] = "ok",
	    [VM_FAULT_NO_MAPPING] = "no mapping at the address",
	    [VM_FAULT_PROTECTION] = "access not allowed by the mapping",
	    [VM_FAULT_NO_MEMORY] = "out of memory",
	    [VM_FAULT_GUARD] = "guard page (stack overflow)",
	};

	if ((unsigned)result >= ARRAY_SIZE(names))
		return "?";
	return names[result];
}
