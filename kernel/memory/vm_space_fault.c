/*
 * The page-fault path: vm_space_allocate(). See vm_space.h and DESIGN.md (Memory, fault path).
 *
 * Under the space's lock (a blocking lock, so allocating page tables under it is allowed): find
 * the mapping, check the access against its rights, ask the area for the page (the area
 * allocates before it takes its spinlock, then re-checks), and write the one PTE of the faulting
 * space (pagetable_map_one(): one walk that finds or makes the leaf). A PTE that is already right
 * (another CPU served the same fault) is left alone; one that maps the zero page read-only is
 * rewritten in place on a write.
 */
#include "kernel/lib/alloc_check.h"
#include "kernel/lib/compiler.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_space_internal.h"

/*
 * Writes the PTE for the page at VA to REF with the rights of M, in one page-table walk. Space
 * lock held. A large leaf at VA is not the VM's: PROTECTION, as before.
 */
static enum vm_fault_result install(struct vm_space *space, struct vm_mapping *m, vaddr_t va,
				    const struct vm_page_ref *ref, unsigned access)
{
	unsigned prot = m->prot & ~(ref->read_only ? VM_PROT_WRITE : 0u);
	kerr_t err = pagetable_map_one(&space->pt, va, ref->pa, vm_space_pte_rights(space, prot),
				       m->area->cache, access);

	if (err == KERR_OK)
		return VM_FAULT_OK;
	return err == KERR_NO_MEMORY ? VM_FAULT_NO_MEMORY : VM_FAULT_PROTECTION;
}

static enum vm_fault_result serve_locked(struct vm_space *space, vaddr_t addr, unsigned access)
{
	struct region_node *node = region_tree_find(&space->regions, addr);
	struct vm_page_ref ref;

	if (node == NULL)
		return VM_FAULT_NO_MAPPING;
	struct vm_mapping *m = container_of(node, struct vm_mapping, node);
	if (m->prot == 0 && m->area->kind == VM_AREA_RESERVATION)
		return VM_FAULT_NO_MAPPING; /* reserved address space: nothing is there */
	if ((access & ~m->prot) != 0 || m->prot == 0)
		return VM_FAULT_PROTECTION;
	vaddr_t va = addr & ~(vaddr_t)(PAGE_SIZE - 1);
	uint64_t index = m->offset + (va - node->base) / PAGE_SIZE;
	enum vm_fault_result r = m->area->ops->get_page(m->area, index, access, &ref);
	if (r != VM_FAULT_OK)
		return r;
	return install(space, m, va, &ref, access);
}

enum vm_fault_result vm_space_allocate(struct vm_space *space, vaddr_t addr, unsigned access)
{
	if (access != VM_PROT_READ && access != VM_PROT_WRITE && access != VM_PROT_EXEC)
		return VM_FAULT_PROTECTION;
	fault_alloc_begin();
	vm_space_lock(space);
	enum vm_fault_result r = serve_locked(space, addr, access);
	vm_space_unlock(space);
	fault_alloc_end();
	return r;
}
