/*
 * vm_space_resize(): an area's new size, seen from every space it is mapped into at once.
 *
 * The lock of every such space is needed (each region tree and page table changes), plus the
 * area's. The set of spaces is read under the area lock, the space locks are taken in ascending
 * address order (the one order for holding several), then the area lock again; if the list of
 * mappings changed meanwhile, everything is dropped and the dance starts over. Then all checks
 * run before anything changes, so a failed resize leaves every space and the area as they were.
 * Nothing allocates: region nodes are moved in place, PTEs only cleared.
 */
#include "kernel/lib/compiler.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area_internal.h"
#include "kernel/memory/vm_space_internal.h"
#include "kernel/panic.h"

struct space_set {
	struct vm_space *spaces[VM_RESIZE_MAX_SPACES];
	unsigned count;
	uint64_t generation;
};

/* Collects the distinct spaces AREA is mapped into, sorted by address. */
static kerr_t collect(struct vm_area *area, struct space_set *set)
{
	set->count = 0;
	spin_lock(&area->lock);
	set->generation = area->mapping_generation;
	for (struct vm_mapping *m = area->mappings; m != NULL; m = m->area_next) {
		unsigned i = 0;
		while (i < set->count && set->spaces[i] < m->space)
			i++;
		if (i < set->count && set->spaces[i] == m->space)
			continue;
		if (set->count == VM_RESIZE_MAX_SPACES) {
			spin_unlock(&area->lock);
			return KERR_UNSUPPORTED;
		}
		for (unsigned j = set->count; j > i; j--)
			set->spaces[j] = set->spaces[j - 1];
		set->spaces[i] = m->space;
		set->count++;
	}
	spin_unlock(&area->lock);
	return KERR_OK;
}

static void unlock_all(const struct space_set *set)
{
	for (unsigned i = set->count; i > 0; i--)
		vm_space_unlock(set->spaces[i - 1]);
}

static uint64_t mapping_end(const struct vm_mapping *m) /* in area pages */
{
	return m->offset + m->node.size / PAGE_SIZE;
}

/* Whether every mapping reaching the end has room to grow to NEW_PAGES. Locks held. */
static kerr_t check_grow(struct vm_area *area, uint64_t new_pages)
{
	for (struct vm_mapping *m = area->mappings; m != NULL; m = m->area_next) {
		if (mapping_end(m) != area->pages)
			continue;
		const struct region_node *next = region_tree_next(&m->node);
		uint64_t limit = next != NULL ? next->base : m->space->regions.hi;
		uint64_t room = (limit - m->node.base) / PAGE_SIZE;
		if (new_pages - m->offset > room)
			return next != NULL ? KERR_EXISTS : KERR_NO_MEMORY;
	}
	return KERR_OK;
}

/* Gives M's region PAGES pages (room checked). Locks held. */
static void set_mapping_pages(struct vm_mapping *m, uint64_t pages)
{
	uint64_t base = m->node.base;

	region_tree_remove(&m->space->regions, &m->node);
	kerr_t err = region_tree_place_at(&m->space->regions, &m->node, base, pages * PAGE_SIZE);
	kassert(err == KERR_OK);
}

static kerr_t resize_locked(struct vm_area *area, uint64_t new_pages)
{
	uint64_t old_pages = area->pages;
	struct vm_mapping *m;

	if (new_pages > old_pages) {
		TRY(check_grow(area, new_pages));
		for (m = area->mappings; m != NULL; m = m->area_next)
			if (mapping_end(m) == old_pages)
				set_mapping_pages(m, new_pages - m->offset);
	} else {
		for (m = area->mappings; m != NULL; m = m->area_next)
			if (m->offset >= new_pages)
				return KERR_INVALID; /* the mapping would be empty */
		for (m = area->mappings; m != NULL; m = m->area_next) {
			if (mapping_end(m) <= new_pages)
				continue;
			/* PTEs (and TLB) first, then the region, then the pages below. */
			vm_space_clear_ptes(m->space, m, new_pages - m->offset,
					    mapping_end(m) - new_pages);
			set_mapping_pages(m, new_pages - m->offset);
		}
		if (area->ops->drop_pages != NULL)
			area->ops->drop_pages(area, new_pages);
	}
	area->pages = new_pages;
	return KERR_OK;
}

kerr_t vm_space_resize(struct vm_area *area, uint64_t new_pages)
{
	struct space_set set;
	kerr_t err;

	if (!area->ops->resizable)
		return KERR_UNSUPPORTED;
	if (new_pages == 0 || new_pages > VM_AREA_MAX_PAGES)
		return KERR_INVALID;
	for (;;) {
		TRY(collect(area, &set));
		for (unsigned i = 0; i < set.count; i++)
			vm_space_lock(set.spaces[i]);
		spin_lock(&area->lock);
		if (area->mapping_generation == set.generation)
			break;
		spin_unlock(&area->lock);
		unlock_all(&set);
	}
	err = resize_locked(area, new_pages);
	spin_unlock(&area->lock);
	unlock_all(&set);
	return err;
}
