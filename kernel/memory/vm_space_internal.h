/*
 * What vm_space.c, vm_space_resize.c and vm_space_fault.c share.
 */
#pragma once

#include "kernel/memory/vm_space.h"

/* vm_space_pte_rights - the PAGETABLE_* rights of a PTE for PROT (VM_PROT_*) in SPACE. Pure. */
unsigned vm_space_pte_rights(const struct vm_space *space, unsigned prot);

/*
 * vm_space_clear_ptes - clears PAGES PTEs of M from its page FIRST_PAGE, with the TLB flush; a
 * mapping with no rights has none and is left alone (a reservation may cover someone else's
 * PTEs, such as the linear map). Space lock held; never allocates.
 */
void vm_space_clear_ptes(struct vm_space *space, struct vm_mapping *m, uint64_t first_page,
			 uint64_t pages);
