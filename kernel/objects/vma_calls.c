/*
 * The VMA system calls in kernel terms; vma_calls.h has the model and the order of the checks.
 *
 * Each call is split as seL4 splits an invocation: a decode step that only checks (the handles in
 * argument order, then the flags, the size and the address) and holds a reference on every object
 * it found, then an invoke step that changes state through vm_area, vm_space and handle
 * operations, each of which either succeeds or leaves everything as it was; vma_create_map's
 * three steps are unwound in reverse when a later one fails. The references are dropped on the
 * way out, by goto labels named after what they drop.
 *
 * The mapping of an area in a process is found by the pair (area, space) through the
 * vm_space_*_area() calls, which look on the area's list of mappings under the space's lock and
 * act in the same critical section: "mapped at most once" cannot be raced past.
 */
#include "kernel/objects/vma_calls.h"

#include <quire/vma.h>

#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area.h"
#include "kernel/panic.h"

_Static_assert(QUIRE_VMA_READ == VM_PROT_READ && QUIRE_VMA_WRITE == VM_PROT_WRITE &&
		   QUIRE_VMA_EXECUTE == VM_PROT_EXEC,
	       "the ABI's protection bits are the kernel's VM_PROT_*");
_Static_assert(VMA_SIZE_MAX % PAGE_SIZE == 0, "rounding a size <= VMA_SIZE_MAX cannot overflow");

/* What a new area's handle carries besides the protection bits of its flags. */
#define VMA_HANDLE_EXTRA_RIGHTS (QUIRE_RIGHT_MAP | QUIRE_RIGHT_DUPLICATE | QUIRE_RIGHT_TRANSFER)

/* SIZE in bytes as whole pages: INVALID for 0, OUT_OF_RANGE past VMA_SIZE_MAX. */
static kerr_t size_to_pages(uint64_t size, uint64_t *pages)
{
	if (size == 0)
		return KERR_INVALID;
	if (size > VMA_SIZE_MAX)
		return KERR_OUT_OF_RANGE;
	*pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	return KERR_OK;
}

/* A mapping's protection: no bits (a mapping with no access) or READ with any others. */
static bool prot_valid(uint32_t prot)
{
	return prot == 0 || (prot & QUIRE_VMA_READ) != 0;
}

/* The flags of vma_map(): the MAP mask, a valid protection, an aligned exact address. */
static kerr_t check_map_flags(uint32_t flags, uint64_t addr)
{
	if ((flags & ~QUIRE_VMA_MAP_MASK) != 0 || !prot_valid(flags & QUIRE_VMA_PROT_MASK))
		return KERR_INVALID;
	if ((flags & QUIRE_VMA_EXACT) && addr % PAGE_SIZE != 0)
		return KERR_INVALID;
	return KERR_OK;
}

/*
 * Where a mapping of PAGES pages goes in SPACE: VM_MAP_ANYWHERE, or with QUIRE_VMA_EXACT the
 * address ADDR (aligned, checked before), whose range must lie inside the space (OUT_OF_RANGE).
 */
static kerr_t placement(const struct vm_space *space, uint32_t flags, uint64_t addr, uint64_t pages,
			vaddr_t *where)
{
	uint64_t lo = space->regions.lo, hi = space->regions.hi; /* constant after creation */

	if (!(flags & QUIRE_VMA_EXACT)) {
		*where = VM_MAP_ANYWHERE;
		return KERR_OK;
	}
	if (addr < lo || addr >= hi || pages > (hi - addr) / PAGE_SIZE)
		return KERR_OUT_OF_RANGE;
	*where = addr;
	return KERR_OK;
}

static uint64_t area_pages(struct vm_area *area)
{
	spin_lock(&area->lock);
	uint64_t pages = area->pages;
	spin_unlock(&area->lock);
	return pages;
}

/* The area handle H names, with RIGHTS, as a reference the caller puts. */
static kerr_t lookup_area(struct handle_table *handles, handle_t h, quire_rights_t rights,
			  struct vm_area **out)
{
	struct kobject *obj;

	TRY(handle_lookup(handles, h, KOBJECT_VM_AREA, rights, &obj));
	*out = vm_area_from_kobject(obj);
	return KERR_OK;
}

/* The process handle H names, with RIGHTS, as a reference the caller kobject_put()s. */
static kerr_t lookup_process(struct handle_table *handles, handle_t h, quire_rights_t rights,
			     struct kobject **out)
{
	return handle_lookup(handles, h, KOBJECT_PROCESS, rights, out);
}

/* A handle in HANDLES for the new AREA made with protection PROT (its flags). */
static kerr_t install(struct handle_table *handles, struct vm_area *area, uint32_t prot,
		      handle_t *out)
{
	return handle_install(handles, &area->obj, prot | VMA_HANDLE_EXTRA_RIGHTS, out);
}

/*
 * An undo step may find its work done already by another thread of the process (it unmapped the
 * area or closed the handle in between): that is fine, anything else is a broken invariant.
 */
static void undo_result(kerr_t err)
{
	kassert(err == KERR_OK || err == KERR_NOT_FOUND || err == KERR_BAD_HANDLE);
}

/* A new area of PAGES with protection PROT: open, or guarded (a stack) with QUIRE_VMA_GUARD. */
static kerr_t create_area(uint64_t pages, uint32_t prot, uint32_t flags, struct vm_area **out)
{
	if (!(flags & QUIRE_VMA_GUARD))
		return vm_area_create_open(pages, prot, out);
	if (pages < 2)
		return KERR_INVALID; /* a guard page and at least one usable page */
	return vm_area_create_guarded(pages - 1, 1, 0, prot, out);
}

kerr_t vma_call_create(struct handle_table *handles, uint64_t size, uint32_t flags, handle_t *out)
{
	uint32_t prot = flags & QUIRE_VMA_PROT_MASK;
	struct vm_area *area;
	uint64_t pages;

	if ((flags & ~QUIRE_VMA_CREATE_MASK) != 0 || !(flags & QUIRE_VMA_READ))
		return KERR_INVALID;
	TRY(size_to_pages(size, &pages));
	TRY(create_area(pages, prot, flags, &area));
	kerr_t err = install(handles, area, prot, out);
	vm_area_put(area); /* the handle holds it now, or nothing does */
	return err;
}

kerr_t vma_call_create_map(struct handle_table *handles, struct vm_space *self, uint64_t size,
			   uint64_t *addr, uint32_t flags, handle_t *out)
{
	uint32_t prot = flags & QUIRE_VMA_PROT_MASK;
	struct vm_area *area;
	uint64_t pages;
	vaddr_t where, base;
	kerr_t err, undo;

	if (!(flags & QUIRE_VMA_READ))
		return KERR_INVALID; /* the area's max_prot, as vma_call_create() */
	TRY(check_map_flags(flags & ~QUIRE_VMA_GUARD, *addr));
	TRY(size_to_pages(size, &pages));
	TRY(placement(self, flags, *addr, pages, &where));
	TRY(create_area(pages, prot, flags, &area));
	/* Mapped before the handle exists: a failure never shows a handle to another thread. */
	err = vm_space_map_once(self, area, where, prot, &base);
	if (err != KERR_OK)
		goto put_area;
	err = install(handles, area, prot, out);
	if (err != KERR_OK)
		goto unmap;
	*addr = base;
	vm_area_put(area);
	return KERR_OK;

unmap:
	/* Nobody else can name the area yet, so its mapping is still there. */
	undo = vm_space_unmap_area(self, area);
	kassert(undo == KERR_OK);
put_area:
	vm_area_put(area);
	return err;
}

kerr_t vma_call_map(struct handle_table *handles, handle_t vma, handle_t process, uint64_t *addr,
		    uint32_t flags)
{
	uint32_t prot = flags & QUIRE_VMA_PROT_MASK;
	struct vm_area *area;
	struct kobject *proc;
	struct vm_space *space;
	vaddr_t where, base;
	kerr_t err;

	TRY(lookup_area(handles, vma, QUIRE_RIGHT_MAP | prot, &area));
	err = lookup_process(handles, process, QUIRE_RIGHT_WRITE, &proc);
	if (err != KERR_OK)
		goto put_area;
	err = check_map_flags(flags, *addr);
	if (err != KERR_OK)
		goto put_process;
	err = process_space_of(proc, &space);
	if (err != KERR_OK)
		goto put_process;
	err = placement(space, flags, *addr, area_pages(area), &where);
	if (err != KERR_OK)
		goto put_process;
	err = vm_space_map_once(space, area, where, prot, &base);
	if (err == KERR_OK)
		*addr = base;

put_process:
	kobject_put(proc);
put_area:
	vm_area_put(area);
	return err;
}

kerr_t vma_call_unmap(struct handle_table *handles, handle_t vma, handle_t process)
{
	struct vm_area *area;
	struct kobject *proc;
	struct vm_space *space;
	kerr_t err;

	TRY(lookup_area(handles, vma, QUIRE_RIGHT_MAP, &area));
	err = lookup_process(handles, process, QUIRE_RIGHT_WRITE, &proc);
	if (err != KERR_OK)
		goto put_area;
	err = process_space_of(proc, &space);
	if (err == KERR_OK)
		err = vm_space_unmap_area(space, area);
	kobject_put(proc);
put_area:
	vm_area_put(area);
	return err;
}

kerr_t vma_call_resize(struct handle_table *handles, handle_t vma, uint64_t *size)
{
	struct vm_area *area;
	uint64_t pages;
	kerr_t err;

	TRY(lookup_area(handles, vma, QUIRE_RIGHT_WRITE, &area));
	err = KERR_UNSUPPORTED;
	if (!area->ops->resizable)
		goto put_area;
	err = size_to_pages(*size, &pages);
	if (err != KERR_OK)
		goto put_area;
	err = vm_space_resize(area, pages);
	if (err == KERR_OK)
		*size = pages * PAGE_SIZE;
put_area:
	vm_area_put(area);
	return err;
}

kerr_t vma_call_protect(struct handle_table *handles, handle_t vma, handle_t process,
			uint32_t flags)
{
	uint32_t prot = flags & QUIRE_VMA_PROT_MASK;
	struct vm_area *area;
	struct kobject *proc;
	struct vm_space *space;
	kerr_t err;

	/* The handle's rights bound the protection: asking for more is ACCESS_DENIED here. */
	TRY(lookup_area(handles, vma, prot, &area));
	err = lookup_process(handles, process, QUIRE_RIGHT_WRITE, &proc);
	if (err != KERR_OK)
		goto put_area;
	err = KERR_INVALID;
	if ((flags & ~QUIRE_VMA_PROTECT_MASK) != 0 || !prot_valid(prot))
		goto put_process;
	err = process_space_of(proc, &space);
	if (err == KERR_OK)
		err = vm_space_protect_area(space, area, prot); /* max_prot: ACCESS_DENIED */
put_process:
	kobject_put(proc);
put_area:
	vm_area_put(area);
	return err;
}

void vma_call_undo_map(struct handle_table *handles, handle_t vma, handle_t process)
{
	struct vm_area *area;
	struct kobject *proc;
	struct vm_space *space;
	kerr_t err;

	/* The call that mapped found both handles a moment ago; no rights are asked again. */
	err = lookup_area(handles, vma, 0, &area);
	undo_result(err);
	if (err != KERR_OK)
		return;
	err = lookup_process(handles, process, 0, &proc);
	undo_result(err);
	if (err == KERR_OK) {
		err = process_space_of(proc, &space);
		undo_result(err); /* NOT_FOUND: the process ended, its mappings went with it */
		if (err == KERR_OK)
			undo_result(vm_space_unmap_area(space, area));
		kobject_put(proc);
	}
	vm_area_put(area);
}

void vma_call_undo_create_map(struct handle_table *handles, struct vm_space *self, handle_t vma)
{
	struct vm_area *area;
	kerr_t err = lookup_area(handles, vma, 0, &area);

	undo_result(err);
	if (err != KERR_OK)
		return; /* closed by another thread: the mapping is that thread's to remove */
	undo_result(vm_space_unmap_area(self, area));
	undo_result(handle_close(handles, vma));
	vm_area_put(area);
}
