/*
 * Reservations: address space with no backing. A mapping of one has no rights and writes no
 * PTEs; it only keeps the range out of everyone else's way (the kernel space reserves its linear
 * map and its image this way). Every fault in one is VM_FAULT_NO_MAPPING.
 */
#include <stddef.h>

#include "kernel/memory/vm_area_internal.h"

static enum vm_fault_result reservation_get_page(struct vm_area *area, uint64_t index,
						 unsigned access, struct vm_page_ref *out)
{
	(void)area, (void)index, (void)access, (void)out;
	return VM_FAULT_NO_MAPPING;
}

const struct vm_area_ops vm_area_reservation_ops = {
    .name = "reservation",
    .get_page = reservation_get_page,
    .drop_pages = NULL,
    .resizable = true,
};

kerr_t vm_area_create_reservation(uint64_t pages, struct vm_area **out)
{
	return vm_area_new(VM_AREA_RESERVATION, &vm_area_reservation_ops, pages, 0, out);
}
