/*
 * What the vm_area files (core and one per kind) and vm_space share: the ops tables, the common
 * constructor and the open kind's page handling, which the guarded kind reuses.
 */
#pragma once

#include "kernel/memory/vm_area.h"

struct vm_mapping;

extern const struct vm_area_ops vm_area_open_ops;
extern const struct vm_area_ops vm_area_fixed_ops;
extern const struct vm_area_ops vm_area_guarded_ops;
extern const struct vm_area_ops vm_area_reservation_ops;

/* The largest area: the page tree's index range. */
#define VM_AREA_MAX_PAGES PAGE_TREE_INDEX_LIMIT

/*
 * area_new - a zeroed area record of KIND with one reference. No spinlock held; kmalloc.
 * Errors: KERR_INVALID (PAGES 0 or too large, MAX_PROT not within VM_PROT_ALL), KERR_NO_MEMORY.
 */
kerr_t vm_area_new(enum vm_area_kind kind, const struct vm_area_ops *ops, uint64_t pages,
		   unsigned max_prot, struct vm_area **out);

/* The open kind's get_page and drop_pages (vm_area_open.c), shared with the guarded kind. */
enum vm_fault_result vm_area_open_get_page(struct vm_area *area, uint64_t index, unsigned access,
					   struct vm_page_ref *out);
void vm_area_open_drop_pages(struct vm_area *area, uint64_t first);

/*
 * vm_area_link_mapping / vm_area_unlink_mapping - add MAPPING to / take it off the area's list.
 * Area lock held (asserted); never allocate. Linking marks the area shared at its second mapping.
 */
void vm_area_link_mapping(struct vm_area *area, struct vm_mapping *mapping);
void vm_area_unlink_mapping(struct vm_area *area, struct vm_mapping *mapping);
