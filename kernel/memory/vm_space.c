/*
 * vm_space: creation, map, unmap, protect, destroy and the kernel space; map, unmap and protect
 * also by area (the system calls' one mapping per area and space). Resizing an area across its
 * spaces is in vm_space_resize.c, the fault path in vm_space_fault.c. See vm_space.h for the
 * model.
 */
#include "kernel/memory/vm_space.h"

#include <stddef.h>

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/spinlock.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area_internal.h"
#include "kernel/memory/vm_space_internal.h"
#include "kernel/panic.h"

static struct vm_space kernel_space;
static bool kernel_space_ready;

void vm_space_lock(struct vm_space *space)
{
	int32_t cpu = (int32_t)cpu_current_id();

	kassert(spin_held_count() == 0); /* a blocking lock: never under a spinlock */
	/* A CPU that takes it twice would spin forever: most likely a fault in VM code. */
	kassert(space->lock.owner_cpu != cpu && "recursive vm_space_lock (a fault under it?)");
	while (__atomic_exchange_n(&space->lock.locked, 1, __ATOMIC_ACQUIRE) != 0)
		while (__atomic_load_n(&space->lock.locked, __ATOMIC_RELAXED) != 0)
			__builtin_ia32_pause();
	space->lock.owner_cpu = cpu;
}

void vm_space_unlock(struct vm_space *space)
{
	kassert(space->lock.owner_cpu == (int32_t)cpu_current_id());
	space->lock.owner_cpu = -1;
	__atomic_store_n(&space->lock.locked, 0, __ATOMIC_RELEASE);
}

static void space_init(struct vm_space *space, bool user)
{
	space->lock = (struct vm_space_lock){.locked = 0, .owner_cpu = -1};
	space->user = user;
	if (user)
		region_tree_init(&space->regions, VM_USER_LO, VM_USER_HI);
	else
		region_tree_init(&space->regions, QUIRE_KERNEL_HALF_BASE, VM_KERNEL_HI);
}

/* Reserves [BASE, BASE + SIZE) of the kernel space with an unbacked area. */
static kerr_t reserve(vaddr_t base, uint64_t size)
{
	struct vm_area *area;
	vaddr_t got;

	TRY(vm_area_create_reservation(size / PAGE_SIZE, &area));
	kerr_t err = vm_space_map(&kernel_space, area, 0, base, size / PAGE_SIZE, 0, &got);
	vm_area_put(area); /* the mapping keeps it */
	return err;
}

kerr_t vm_init(struct pagetable *kernel_tables)
{
	kassert(kernel_tables != NULL);
	TRY(vm_zero_page_init());
	space_init(&kernel_space, false);
	kernel_space.pt = *kernel_tables;
	kernel_space_ready = true;
	TRY(reserve(QUIRE_LINEAR_MAP_BASE, QUIRE_LINEAR_MAP_MAX_SIZE));
	TRY(reserve(QUIRE_KERNEL_LINK_BASE, VM_KERNEL_HI - QUIRE_KERNEL_LINK_BASE));
	return KERR_OK;
}

struct vm_space *vm_space_kernel(void)
{
	return kernel_space_ready ? &kernel_space : NULL;
}

static struct vm_space *current_user[CPU_MAX];

struct vm_space *vm_space_current_user(void)
{
	return current_user[cpu_current_id()];
}

void vm_space_set_current_user(struct vm_space *space)
{
	current_user[cpu_current_id()] = space;
}

kerr_t vm_space_create(struct vm_space **out)
{
	kassert(kernel_space_ready);
	struct vm_space *space = kzalloc(sizeof(*space));
	if (space == NULL)
		return KERR_NO_MEMORY;
	space_init(space, true);
	kerr_t err = pagetable_create(&space->pt, &kernel_space.pt);
	if (err != KERR_OK)
		goto free_space;
	*out = space;
	return KERR_OK;

free_space:
	kfree(space);
	return err;
}

unsigned vm_space_pte_rights(const struct vm_space *space, unsigned prot)
{
	return prot | (space->user ? PAGETABLE_USER : 0);
}

void vm_space_clear_ptes(struct vm_space *space, struct vm_mapping *m, uint64_t first_page,
			 uint64_t pages)
{
	if (m->prot == 0 || pages == 0)
		return; /* no rights, no PTEs: never touch what a reservation covers */
	kerr_t err =
	    pagetable_unmap(&space->pt, m->node.base + first_page * PAGE_SIZE, pages, NULL, NULL);
	kassert(err == KERR_OK);
}

/*
 * Before AREA gets its second mapping: a zero-page PTE in the first mapping's space would go
 * stale once another space writes the page, so the area stops using the zero page and the first
 * mapping's PTEs are cleared (they fault back in from the page tree). Retries if the list
 * changes while the lock of that space is taken.
 */
static void stop_zero_page(struct vm_area *area)
{
	for (;;) {
		spin_lock(&area->lock);
		if (area->shared || !area->zero_mapped || area->mapping_count != 1) {
			area->shared = area->shared || area->mapping_count != 0;
			spin_unlock(&area->lock);
			return;
		}
		struct vm_mapping *first = area->mappings;
		struct vm_space *other = first->space;
		uint64_t generation = area->mapping_generation;
		spin_unlock(&area->lock);

		vm_space_lock(other);
		spin_lock(&area->lock);
		bool same = area->mapping_generation == generation;
		if (same)
			area->shared = true; /* from now on no fault maps the zero page */
		spin_unlock(&area->lock);
		if (same)
			vm_space_clear_ptes(other, first, 0, first->node.size / PAGE_SIZE);
		vm_space_unlock(other);
		if (same)
			return;
	}
}

/* The checks of vm_space_map() that need no lock but the area's. */
static kerr_t check_map(struct vm_space *space, struct vm_area *area, uint64_t offset, vaddr_t addr,
			uint64_t pages, unsigned prot)
{
	if (pages == 0 || (prot & ~VM_PROT_ALL) != 0 || (prot != 0 && !(prot & VM_PROT_READ)))
		return KERR_INVALID;
	if (addr != VM_MAP_ANYWHERE && addr % PAGE_SIZE != 0)
		return KERR_INVALID;
	if ((prot & ~area->max_prot) != 0)
		return KERR_ACCESS_DENIED;
	if (pages > (space->regions.hi - space->regions.lo) / PAGE_SIZE)
		return KERR_INVALID;
	spin_lock(&area->lock);
	bool fits = offset < area->pages && pages <= area->pages - offset;
	spin_unlock(&area->lock);
	return fits ? KERR_OK : KERR_INVALID;
}

/* The mapping of AREA in SPACE (the first on the area's list), or NULL. Space lock held. */
static struct vm_mapping *find_area_locked(struct vm_space *space, struct vm_area *area)
{
	struct vm_mapping *m;

	spin_lock(&area->lock);
	for (m = area->mappings; m != NULL && m->space != space; m = m->area_next)
		;
	spin_unlock(&area->lock);
	return m;
}

/*
 * vm_space_map(), and vm_space_map_once() when ONCE: then PAGES is only a snapshot for the checks,
 * and under the space's lock the area must not be mapped in SPACE yet and its size is read again
 * (a resize changes it only with this lock held too), so the mapping covers the whole area.
 */
static kerr_t map_area(struct vm_space *space, struct vm_area *area, uint64_t offset, vaddr_t addr,
		       uint64_t pages, unsigned prot, bool once, vaddr_t *base_out)
{
	kerr_t err;
	uint64_t base = addr;

	TRY(check_map(space, area, offset, addr, pages, prot));
	struct vm_mapping *m = kzalloc(sizeof(*m));
	if (m == NULL)
		return KERR_NO_MEMORY;
	m->space = space;
	m->area = area;
	m->offset = offset;
	m->prot = prot;
	stop_zero_page(area);

	vm_space_lock(space);
	if (once) {
		err = KERR_EXISTS;
		if (find_area_locked(space, area) != NULL)
			goto unlock;
		spin_lock(&area->lock);
		pages = area->pages;
		spin_unlock(&area->lock);
	}
	if (addr == VM_MAP_ANYWHERE)
		err = region_tree_place_anywhere(&space->regions, &m->node, pages * PAGE_SIZE,
						 PAGE_SIZE, &base);
	else
		err = region_tree_place_at(&space->regions, &m->node, addr, pages * PAGE_SIZE);
	if (err != KERR_OK)
		goto unlock;
	vm_area_get(area);
	spin_lock(&area->lock);
	vm_area_link_mapping(area, m);
	spin_unlock(&area->lock);
	vm_space_unlock(space);
	*base_out = base;
	return KERR_OK;

unlock:
	vm_space_unlock(space);
	kfree(m);
	return err;
}

kerr_t vm_space_map(struct vm_space *space, struct vm_area *area, uint64_t offset, vaddr_t addr,
		    uint64_t pages, unsigned prot, vaddr_t *base_out)
{
	return map_area(space, area, offset, addr, pages, prot, false, base_out);
}

kerr_t vm_space_map_once(struct vm_space *space, struct vm_area *area, vaddr_t addr, unsigned prot,
			 vaddr_t *base_out)
{
	vaddr_t base;

	if (vm_space_find_area(space, area, &base) == KERR_OK)
		return KERR_EXISTS; /* early, before stop_zero_page() would mark the area shared */
	spin_lock(&area->lock);
	uint64_t pages = area->pages;
	spin_unlock(&area->lock);
	return map_area(space, area, 0, addr, pages, prot, true, base_out);
}

kerr_t vm_space_find_area(struct vm_space *space, struct vm_area *area, vaddr_t *base_out)
{
	vm_space_lock(space);
	struct vm_mapping *m = find_area_locked(space, area);
	if (m != NULL)
		*base_out = m->node.base;
	vm_space_unlock(space);
	return m != NULL ? KERR_OK : KERR_NOT_FOUND;
}

/* The mapping based exactly at ADDR, or NULL. Space lock held. */
static struct vm_mapping *find_based_at(struct vm_space *space, vaddr_t addr)
{
	struct region_node *node = region_tree_find(&space->regions, addr);

	if (node == NULL || node->base != addr)
		return NULL;
	return container_of(node, struct vm_mapping, node);
}

/* Takes M out of the region tree and its area's list. Space lock held. */
static void unregister(struct vm_space *space, struct vm_mapping *m)
{
	region_tree_remove(&space->regions, &m->node);
	spin_lock(&m->area->lock);
	vm_area_unlink_mapping(m->area, m);
	spin_unlock(&m->area->lock);
}

/*
 * Removes M, found under SPACE's lock (NULL: KERR_NOT_FOUND); the lock is held on entry and
 * released here, before the area reference goes (the last put may free the area).
 */
static kerr_t unmap_unlock(struct vm_space *space, struct vm_mapping *m)
{
	if (m == NULL) {
		vm_space_unlock(space);
		return KERR_NOT_FOUND;
	}
	vm_space_clear_ptes(space, m, 0, m->node.size / PAGE_SIZE); /* PTEs and TLB first, ... */
	unregister(space, m);                                       /* ... then the records */
	vm_space_unlock(space);
	vm_area_put(m->area);
	kfree(m);
	return KERR_OK;
}

kerr_t vm_space_unmap(struct vm_space *space, vaddr_t addr)
{
	vm_space_lock(space);
	return unmap_unlock(space, find_based_at(space, addr));
}

kerr_t vm_space_unmap_area(struct vm_space *space, struct vm_area *area)
{
	vm_space_lock(space);
	return unmap_unlock(space, find_area_locked(space, area));
}

/* Gives M (NULL: KERR_NOT_FOUND) the rights PROT, checked to be well-formed. Space lock held. */
static kerr_t protect_locked(struct vm_space *space, struct vm_mapping *m, unsigned prot)
{
	kerr_t err = KERR_OK;

	if (m == NULL) {
		err = KERR_NOT_FOUND;
	} else if ((prot & ~m->area->max_prot) != 0) {
		err = KERR_ACCESS_DENIED;
	} else if (prot == 0 || (prot & VM_PROT_WRITE)) {
		/* Cleared, not rewritten: a writable PTE must never point at the zero page. */
		vm_space_clear_ptes(space, m, 0, m->node.size / PAGE_SIZE);
		m->prot = prot;
	} else if (m->prot != 0) {
		err = pagetable_protect(&space->pt, m->node.base, m->node.size / PAGE_SIZE,
					vm_space_pte_rights(space, prot));
		kassert(err == KERR_OK);
		m->prot = prot;
	} else {
		m->prot = prot;
	}
	return err;
}

static bool prot_valid(unsigned prot)
{
	return (prot & ~VM_PROT_ALL) == 0 && (prot == 0 || (prot & VM_PROT_READ));
}

kerr_t vm_space_protect(struct vm_space *space, vaddr_t addr, unsigned prot)
{
	if (!prot_valid(prot))
		return KERR_INVALID;
	vm_space_lock(space);
	kerr_t err = protect_locked(space, find_based_at(space, addr), prot);
	vm_space_unlock(space);
	return err;
}

kerr_t vm_space_protect_area(struct vm_space *space, struct vm_area *area, unsigned prot)
{
	if (!prot_valid(prot))
		return KERR_INVALID;
	vm_space_lock(space);
	kerr_t err = protect_locked(space, find_area_locked(space, area), prot);
	vm_space_unlock(space);
	return err;
}

void vm_space_destroy(struct vm_space *space)
{
	struct vm_mapping *dead = NULL;
	struct region_node *node;

	kassert(space != &kernel_space && !pagetable_live(&space->pt));
	vm_space_lock(space);
	while ((node = region_tree_first(&space->regions)) != NULL) {
		struct vm_mapping *m = container_of(node, struct vm_mapping, node);
		unregister(space, m); /* no PTE work: the whole table goes */
		m->area_next = dead;
		dead = m;
	}
	vm_space_unlock(space);
	while (dead != NULL) {
		struct vm_mapping *m = dead;
		dead = m->area_next;
		vm_area_put(m->area);
		kfree(m);
	}
	pagetable_destroy(&space->pt);
	kfree(space);
}

kerr_t vm_space_lookup(struct vm_space *space, vaddr_t addr, struct vm_mapping_info *out)
{
	vm_space_lock(space);
	struct region_node *node = region_tree_find(&space->regions, addr);
	if (node != NULL) {
		struct vm_mapping *m = container_of(node, struct vm_mapping, node);
		*out = (struct vm_mapping_info){.base = node->base,
						.pages = node->size / PAGE_SIZE,
						.area = m->area,
						.owner = (enum vm_owner)m->area->owner,
						.prot = m->prot};
	}
	vm_space_unlock(space);
	return node != NULL ? KERR_OK : KERR_NOT_FOUND;
}

/*
 * Writes the PTE of VA in M to REF. A PTE already there is kept when it is the same frame and
 * replaced otherwise (the zero page, before a write). Space lock held; may allocate tables.
 */
static kerr_t populate_one(struct vm_space *space, struct vm_mapping *m, vaddr_t va,
			   const struct vm_page_ref *ref)
{
	unsigned prot = m->prot & ~(ref->read_only ? VM_PROT_WRITE : 0u);
	unsigned rights = vm_space_pte_rights(space, prot);
	struct pagetable_mapping now;

	kerr_t err = pagetable_map(&space->pt, va, ref->pa, 1, rights, m->area->cache);
	if (err != KERR_INVALID)
		return err;
	/* Something is mapped there already: a fault got there first. */
	if (pagetable_query(&space->pt, va, &now) != KERR_OK)
		return KERR_INVALID;
	if (now.pa == ref->pa && now.prot == rights)
		return KERR_OK;
	TRY(pagetable_unmap(&space->pt, va, 1, NULL, NULL));
	return pagetable_map(&space->pt, va, ref->pa, 1, rights, m->area->cache);
}

static kerr_t populate_locked(struct vm_space *space, vaddr_t addr, uint64_t pages, uint64_t *done)
{
	struct region_node *node = region_tree_find(&space->regions, addr);
	struct vm_page_ref ref;

	if (node == NULL)
		return KERR_NOT_FOUND;
	struct vm_mapping *m = container_of(node, struct vm_mapping, node);
	if (m->prot == 0 || pages > (node->base + node->size - addr) / PAGE_SIZE)
		return KERR_INVALID;
	unsigned access = (m->prot & VM_PROT_WRITE) ? VM_PROT_WRITE : VM_PROT_READ;
	uint64_t first = m->offset + (addr - node->base) / PAGE_SIZE;
	for (*done = 0; *done < pages; (*done)++) {
		enum vm_fault_result r =
		    m->area->ops->get_page(m->area, first + *done, access, &ref);
		if (r != VM_FAULT_OK)
			return r == VM_FAULT_NO_MEMORY ? KERR_NO_MEMORY : KERR_INVALID;
		TRY(populate_one(space, m, addr + *done * PAGE_SIZE, &ref));
	}
	return KERR_OK;
}

kerr_t vm_space_populate(struct vm_space *space, vaddr_t addr, uint64_t pages)
{
	uint64_t done = 0;

	if (addr % PAGE_SIZE != 0 || pages == 0)
		return KERR_INVALID;
	vm_space_lock(space);
	kerr_t err = populate_locked(space, addr, pages, &done);
	if (err != KERR_OK && done != 0) {
		kerr_t undo = pagetable_unmap(&space->pt, addr, done, NULL, NULL);
		kassert(undo == KERR_OK);
	}
	vm_space_unlock(space);
	return err;
}

uint64_t vm_space_mapping_count(struct vm_space *space)
{
	vm_space_lock(space);
	uint64_t n = space->regions.count;
	vm_space_unlock(space);
	return n;
}
