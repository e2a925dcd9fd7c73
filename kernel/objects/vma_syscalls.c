/*
 * The VMA and handle system calls and system_info; see vma_syscalls.h for the model. The rules
 * themselves live in vma_calls.c, which the host tests drive directly: this file only moves
 * arguments and results across the user boundary and undoes a call whose result cannot be
 * delivered.
 */
#include "kernel/objects/vma_syscalls.h"

#include "kernel/arch/x86_64/tsc.h"
#include "kernel/fbcon.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area.h"
#include "kernel/objects/handle.h"
#include "kernel/objects/vma_calls.h"
#include "kernel/panic.h"
#include "kernel/process.h"
#include "kernel/user_copy.h"

_Static_assert(sizeof(quire_handle_t) == sizeof(handle_t), "a user handle is a kernel handle");

/* The process making the call: system calls come from user threads only. */
static struct process *caller(void)
{
	struct process *p = process_current();

	kassert(p != NULL);
	return p;
}

/* A system call's result: 0 or the negated error. */
static long result(kerr_t err)
{
	return -(long)err;
}

/*
 * Writes the new handle H to user OUT, last; if that faults, closes H again (unless another
 * thread of the process closed it first) so nothing exists that the caller cannot name.
 */
static kerr_t put_new_handle(struct handle_table *handles, uint64_t out, handle_t h)
{
	if (copy_to_user(out, &h, sizeof(h)) == KERR_OK)
		return KERR_OK;
	kerr_t err = handle_close(handles, h);
	kassert(err == KERR_OK || err == KERR_BAD_HANDLE);
	return KERR_FAULT;
}

/* *ADDR of vma_create_map() and vma_map(): read only when FLAGS asks for an exact address. */
static kerr_t get_addr(uint64_t addr, uint32_t flags, uint64_t *out)
{
	*out = 0;
	if (!(flags & QUIRE_VMA_EXACT))
		return KERR_OK;
	return copy_from_user(out, addr, sizeof(*out));
}

long sys_vma_create(uint64_t size, uint32_t flags, uint64_t out)
{
	struct process *p = caller();
	handle_t h;

	kerr_t err = vma_call_create(&p->handles, size, flags, &h);
	if (err == KERR_OK)
		err = put_new_handle(&p->handles, out, h);
	return result(err);
}

long sys_vma_create_map(uint64_t size, uint64_t addr, uint32_t flags, uint64_t out)
{
	struct process *p = caller();
	uint64_t where;
	handle_t h;

	kerr_t err = get_addr(addr, flags, &where);
	if (err != KERR_OK)
		return result(err);
	err = vma_call_create_map(&p->handles, p->space, size, &where, flags, &h);
	if (err != KERR_OK)
		return result(err);
	if (copy_to_user(addr, &where, sizeof(where)) != KERR_OK ||
	    copy_to_user(out, &h, sizeof(h)) != KERR_OK) {
		vma_call_undo_create_map(&p->handles, p->space, h);
		return result(KERR_FAULT);
	}
	return 0;
}

/*
 * A user space now maps the area VMA names: if it is the framebuffer console's, the console stops
 * drawing (fbcon.h). The handle is looked up again, since vma_call_map() keeps no reference. Until
 * SMP no other thread can close it in between (the kernel is not preemptible); after that, a
 * handle closed meanwhile leaves the console drawing until the area is mapped again.
 */
static void console_hand_over(struct handle_table *handles, quire_handle_t vma)
{
	struct kobject *obj;

	if (handle_lookup(handles, vma, KOBJECT_VM_AREA, 0, &obj) != KERR_OK)
		return;
	fbcon_user_mapped(vm_area_from_kobject(obj));
	kobject_put(obj);
}

long sys_vma_map(quire_handle_t vma, quire_handle_t process, uint64_t addr, uint32_t flags)
{
	struct process *p = caller();
	uint64_t where;

	kerr_t err = get_addr(addr, flags, &where);
	if (err != KERR_OK)
		return result(err);
	err = vma_call_map(&p->handles, vma, process, &where, flags);
	if (err != KERR_OK)
		return result(err);
	if (copy_to_user(addr, &where, sizeof(where)) != KERR_OK) {
		vma_call_undo_map(&p->handles, vma, process);
		return result(KERR_FAULT);
	}
	console_hand_over(&p->handles, vma);
	return 0;
}

long sys_vma_unmap(quire_handle_t vma, quire_handle_t process)
{
	return result(vma_call_unmap(&caller()->handles, vma, process));
}

long sys_vma_resize(quire_handle_t vma, uint64_t size)
{
	struct process *p = caller();
	uint64_t bytes;

	/*
	 * A resize cannot be undone (shrinking frees pages), so *SIZE is proven writable first, by
	 * writing back the value just read: a read-only *SIZE is FAULT with the area unchanged.
	 */
	kerr_t err = copy_from_user(&bytes, size, sizeof(bytes));
	if (err == KERR_OK)
		err = copy_to_user(size, &bytes, sizeof(bytes));
	if (err != KERR_OK)
		return result(err);
	err = vma_call_resize(&p->handles, vma, &bytes);
	if (err != KERR_OK)
		return result(err);
	/* Writable a moment ago; only another thread unmapping it meanwhile makes this fail. */
	return result(copy_to_user(size, &bytes, sizeof(bytes)));
}

long sys_vma_protect(quire_handle_t vma, quire_handle_t process, uint32_t flags)
{
	return result(vma_call_protect(&caller()->handles, vma, process, flags));
}

long sys_handle_close(quire_handle_t handle)
{
	return result(handle_close(&caller()->handles, handle));
}

long sys_handle_clone(quire_handle_t handle, quire_rights_t rights, uint64_t out)
{
	struct process *p = caller();
	handle_t h;

	kerr_t err = handle_clone(&p->handles, handle, rights, &h);
	if (err == KERR_OK)
		err = put_new_handle(&p->handles, out, h);
	return result(err);
}

/*
 * The spare frames the kernel keeps ready (page-tree nodes per CPU, the node cache, empty heap
 * slabs) are given back first, as the in-kernel tests do before comparing counts: a program that
 * compares frames_free before and after some work then sees what the work kept, not which
 * caches happened to be warm.
 */
static void trim_caches(void)
{
	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
}

long sys_system_info(uint64_t info, size_t info_size)
{
	struct quire_system_info si;
	struct pmm_stats st;

	if (info_size > sizeof(si))
		return result(KERR_INVALID);
	trim_caches();
	pmm_get_stats(&st);
	si = (struct quire_system_info){
	    .page_size = PAGE_SIZE,
	    /* The frames of RAM the allocator accounts for: every one is free or used by a kind. */
	    .frames_total = st.total - st.by_kind[PAGE_RESERVED],
	    .frames_free = st.free,
	    .processes = process_count(),
	    .tsc_hz = tsc_hz(),
	    .handles = handle_table_count(&process_current()->handles),
	};
	return result(copy_to_user(info, &si, info_size));
}
