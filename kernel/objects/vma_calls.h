/*
 * The VMA and handle system calls, in kernel terms: what sys_vma_*() and sys_handle_*() do once
 * their user pointers have been copied in (kernel/objects/vma_syscalls.c does the copying).
 *
 * Model: each function acts for a process given as its handle table and its space (`self`), with
 * arguments already in kernel memory, and returns a kerr_t; the error rules are quire/syscalls.h's
 * (Zircon's VMO/VMAR manner). Handles are checked in argument order, each in the order
 * BAD_HANDLE, WRONG_TYPE, ACCESS_DENIED. A process handle names its space through
 * process_space_of() (kernel/process.c; host tests link a fake), NOT_FOUND once the process has
 * ended. An area is mapped at most once into a space, so (area, space) names a mapping: vma_unmap
 * and vma_protect find it through the area's list of mappings.
 *
 * Split this way so the host tests (test/unit/test_vma_calls.c) can drive every rule against the
 * real handle table, areas and spaces of the simulated machine, with no user memory involved.
 *
 * Locking: none of its own; the handle table's, the spaces' and the areas'. No spinlock held on
 * entry; may allocate.
 */
#pragma once

#include <stdint.h>

#include <quire/vma.h>

#include "kernel/lib/kerr.h"
#include "kernel/memory/vm_space.h"
#include "kernel/objects/handle.h"

/* Sizes beyond this many bytes are OUT_OF_RANGE (the user half's size). */
#define VMA_SIZE_MAX (VM_USER_HI - VM_USER_LO)

/*
 * process_space_of - the live space of the KOBJECT_PROCESS object OBJ into *OUT. Errors:
 * KERR_NOT_FOUND when the process has ended (its space is gone). Defined by kernel/process.c.
 * The caller holds a reference on OBJ while it uses the space, which must stay usable that long:
 * today one CPU runs a kernel that is never preempted, so nothing ends the process in between;
 * with SMP (issue 7) process.c will have to pin the space against a concurrent end.
 */
kerr_t process_space_of(struct kobject *obj, struct vm_space **out);

/*
 * The order of the checks, which decides the error when several apply (quire/errors.h): each
 * handle argument in turn, as handle_lookup() checks it (BAD_HANDLE, WRONG_TYPE, ACCESS_DENIED);
 * then whether the object can do it at all (resize of a fixed area: UNSUPPORTED); then the flags
 * (unknown bits, a protection with bits but no READ, an unaligned exact address: INVALID); then
 * the size (0: INVALID; past VMA_SIZE_MAX: OUT_OF_RANGE); then whether the process lives
 * (NOT_FOUND); then an exact range must lie in the space (OUT_OF_RANGE); then what the VM layer
 * finds (EXISTS, NOT_FOUND, NO_MEMORY...). The rights a vma handle needs are derived from
 * the protection bits of FLAGS, unknown bits aside, so a handle is judged before the flags are.
 *
 * Rights: a new area's handle gets the protection bits of its flags plus MAP, DUPLICATE and
 * TRANSFER. Mapping needs MAP and READ/WRITE/EXECUTE for each protection bit asked; protecting
 * needs those protection rights (not MAP); unmapping needs MAP; resizing WRITE; each of map,
 * unmap and protect needs WRITE on the process handle. A protection may never exceed the
 * handle's rights (ACCESS_DENIED from the lookup) nor the area's max_prot (ACCESS_DENIED from the
 * VM layer, for areas the kernel made with handles wider than the area).
 */

/*
 * vma_call_create - sys_vma_create(): a new open area of SIZE bytes (rounded up to pages) whose
 * max_prot is FLAGS (QUIRE_VMA_CREATE_MASK), its handle in *OUT. FLAGS must hold READ: x86 has no
 * write- or execute-only pages, so an area without READ could never be mapped with any access;
 * it is INVALID rather than silently widened. Errors: INVALID, OUT_OF_RANGE, NO_MEMORY; nothing
 * is left behind on error.
 */
kerr_t vma_call_create(struct handle_table *handles, uint64_t size, uint32_t flags, handle_t *out);

/*
 * vma_call_create_map - sys_vma_create_map(): vma_call_create() of FLAGS' protection bits, then a
 * mapping of it with that protection into SELF at *ADDR (QUIRE_VMA_EXACT) or anywhere; the
 * address into *ADDR, the handle into *OUT (both only on success). The mapping is made before the
 * handle, so a failure never shows a handle. Errors: INVALID (flags, READ missing, size 0, an
 * unaligned exact address), OUT_OF_RANGE (size, or an exact range outside SELF), EXISTS (an exact
 * range overlaps a mapping), NO_MEMORY.
 */
kerr_t vma_call_create_map(struct handle_table *handles, struct vm_space *self, uint64_t size,
			   uint64_t *addr, uint32_t flags, handle_t *out);

/*
 * vma_call_map - sys_vma_map(): maps the whole of area VMA into the space of process PROCESS with
 * the protection of FLAGS (QUIRE_VMA_MAP_MASK; no bits at all is a mapping nothing may touch) at
 * *ADDR (QUIRE_VMA_EXACT) or anywhere; the address into *ADDR on success. Errors: the handles'
 * (vma needs MAP plus the protection's rights, process WRITE), INVALID, NOT_FOUND (the process
 * ended), OUT_OF_RANGE, EXISTS (the area is mapped in that process already, or an exact range
 * overlaps), ACCESS_DENIED (beyond the area's max_prot), NO_MEMORY.
 */
kerr_t vma_call_map(struct handle_table *handles, handle_t vma, handle_t process, uint64_t *addr,
		    uint32_t flags);

/*
 * vma_call_unmap - sys_vma_unmap(): removes VMA's mapping from PROCESS; the area lives on while
 * handles or other mappings hold it. Errors: the handles' (vma MAP, process WRITE), NOT_FOUND (the
 * process ended, or the area is not mapped there).
 */
kerr_t vma_call_unmap(struct handle_table *handles, handle_t vma, handle_t process);

/*
 * vma_call_resize - sys_vma_resize(): *SIZE in bytes in, the size in whole pages (bytes) out; every
 * mapping of the area follows. Errors: the handle's (WRITE), UNSUPPORTED (a kind that cannot
 * resize: fixed, guarded; or an area in more than VM_RESIZE_MAX_SPACES spaces), INVALID (0),
 * OUT_OF_RANGE, EXISTS (a mapping in the way of growth), NO_MEMORY (the end of a space).
 */
kerr_t vma_call_resize(struct handle_table *handles, handle_t vma, uint64_t *size);

/*
 * vma_call_protect - sys_vma_protect(): sets the protection of VMA's mapping in PROCESS to FLAGS
 * (QUIRE_VMA_PROTECT_MASK). Errors: the handles' (vma the rights of every protection bit asked:
 * never beyond them; process WRITE), INVALID, NOT_FOUND (the process ended, or no mapping),
 * ACCESS_DENIED (beyond the area's max_prot).
 */
kerr_t vma_call_protect(struct handle_table *handles, handle_t vma, handle_t process,
			uint32_t flags);

/*
 * vma_call_undo_map - takes back a mapping vma_call_map() just made (the caller could not write
 * *addr back: FAULT). As vma_call_unmap() but asks for no rights, and never fails: what another
 * thread undid meanwhile (the handle closed, the area unmapped) is left as it is.
 */
void vma_call_undo_map(struct handle_table *handles, handle_t vma, handle_t process);

/*
 * vma_call_undo_create_map - takes back what vma_call_create_map() just made (the caller could
 * not write *addr or *out: FAULT): unmaps VMA's area from SELF and closes VMA, which frees the
 * area. Never fails, as vma_call_undo_map().
 */
void vma_call_undo_create_map(struct handle_table *handles, struct vm_space *self, handle_t vma);
