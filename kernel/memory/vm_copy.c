/*
 * Copies between address spaces: vm_space_copy(), vm_space_read(), vm_space_write(). See vm_copy.h
 * for the model.
 *
 * A copy moves its range in chunks that end at the next page boundary of either side (a kernel
 * buffer has none). For each chunk it reaches the source page for reading and the destination page
 * for writing, then memmoves through the linear map. Reaching a page is what the MMU and the #PF
 * handler do together: a PTE that is present with the right the access needs is used as it is (no
 * fault would be taken); otherwise vm_space_allocate() is asked, between fault_context_enter() and
 * _exit() as the #PF handler calls it (it opens its own fault-allocation window), and the PTE is
 * read again. The frame comes from the space's own table (pagetable_query() under the space's
 * lock), never from CR3, so neither space needs to be loaded. Pages that are not ordinary RAM
 * mapped write-back (a fixed area over the framebuffer or MMIO) end the copy with KERR_FAULT: the
 * linear map would reach them with another memory type, or not at all.
 *
 * Errors stop the copy at the chunk that failed, so *copied counts the bytes before the first page
 * that could not be reached. Ranges are checked before anything is touched.
 *
 * Overlap: one space with the destination above an overlapping source is copied from the end
 * backwards, as memmove does. So that an error still leaves exactly a prefix copied, a first pass
 * reaches every page of both ranges in order (faulting them in, copying nothing) and finds how far
 * the copy can go; the second pass copies that prefix backwards, and cannot fail while nothing else
 * changes the mappings. Two spaces sharing an area may alias the same frames at unrelated
 * addresses: the copy does not look for that (nor does memmove for two virtual aliases of one
 * page).
 *
 * TLB: the copy writes through the linear map, never through the user addresses, so it needs no TLB
 * entry of either space. The PTEs it makes appear come from vm_space_allocate(): a PTE for a page
 * that was not present needs no flush (x86 caches no non-present translation); a zero-page PTE
 * rewritten to a private frame on a write is invalidated by pagetable_map_one() when the space is
 * live on this CPU (invlpg), and needs nothing when it is not (no PCIDs, no global user pages:
 * loading its CR3 later flushes it). Other CPUs will need shootdowns (SMP, issue 7).
 */
#include "kernel/memory/vm_copy.h"

#include <stdbool.h>

#include "kernel/lib/alloc_check.h"
#include "kernel/lib/string.h"
#include "kernel/memory/pmm.h"
#include "kernel/panic.h"

/* One side of a copy: the range from ADDR in a user SPACE, or kernel memory at BUF (SPACE NULL). */
struct end {
	struct vm_space *space;
	vaddr_t addr;
	uint8_t *buf;
	unsigned access; /* VM_PROT_READ at the source, VM_PROT_WRITE at the destination */
};

static bool range_ok(vaddr_t addr, size_t len)
{
	return addr >= VM_USER_LO && addr <= VM_USER_HI && len <= VM_USER_HI - addr;
}

static kerr_t fault_error(enum vm_fault_result r)
{
	switch (r) {
	case VM_FAULT_OK:
		return KERR_OK;
	case VM_FAULT_NO_MEMORY:
		return KERR_NO_MEMORY;
	default:
		return KERR_FAULT; /* no mapping, protection, guard page */
	}
}

/*
 * The linear-map address of the byte at VA in SPACE when its PTE is present and allows ACCESS
 * (KERR_NOT_FOUND when it is not), KERR_FAULT when the frame is not write-back RAM.
 */
static kerr_t lookup(struct vm_space *space, vaddr_t va, unsigned access, uint8_t **out)
{
	struct pagetable_mapping m;

	vm_space_lock(space);
	kerr_t err = pagetable_query(&space->pt, va, &m);
	vm_space_unlock(space);
	if (err != KERR_OK || ((access & VM_PROT_WRITE) && !(m.prot & PAGETABLE_WRITE)))
		return KERR_NOT_FOUND;
	if (m.cache != CACHE_WRITE_BACK || pmm_page_from_phys(m.pa) == NULL)
		return KERR_FAULT;
	*out = phys_to_virt(m.pa);
	return KERR_OK;
}

/*
 * The kernel address of the byte at offset OFF of E, its page made accessible for E's access
 * first (faulted in when needed). *FAULTED says whether the fault path ran.
 */
static kerr_t reach(const struct end *e, size_t off, uint8_t **out, bool *faulted)
{
	vaddr_t va = e->addr + off;

	*faulted = false;
	if (e->space == NULL) {
		*out = e->buf + off;
		return KERR_OK;
	}
	kerr_t err = lookup(e->space, va, e->access, out);
	if (err != KERR_NOT_FOUND)
		return err;
	fault_context_enter();
	enum vm_fault_result r = vm_space_allocate(e->space, va, e->access);
	fault_context_exit();
	*faulted = true;
	TRY(fault_error(r));
	err = lookup(e->space, va, e->access, out);
	/* Served just now, and nothing else runs meanwhile (vm_copy.h): the PTE is there. */
	kassert(err != KERR_NOT_FOUND);
	return err;
}

/* Bytes from offset OFF of E to the end of its page. */
static size_t room_after(const struct end *e, size_t off)
{
	if (e->space == NULL)
		return SIZE_MAX;
	return PAGE_SIZE - ((e->addr + off) & (PAGE_SIZE - 1));
}

/* Bytes from the start of the page holding E's byte END - 1 up to END (END > 0). */
static size_t room_before(const struct end *e, size_t end)
{
	if (e->space == NULL)
		return SIZE_MAX;
	return ((e->addr + end - 1) & (PAGE_SIZE - 1)) + 1;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/*
 * Reaches the source and destination pages of the chunk at OFF into *S_OUT and *D_OUT. A write
 * fault at the destination may replace the source's zero page (one space, one page): the source
 * is looked up again then.
 */
static kerr_t reach_both(const struct end *d, const struct end *s, size_t off, uint8_t **d_out,
			 uint8_t **s_out)
{
	bool s_faulted, d_faulted;

	TRY(reach(s, off, s_out, &s_faulted));
	TRY(reach(d, off, d_out, &d_faulted));
	if (d_faulted && d->space == s->space)
		TRY(reach(s, off, s_out, &s_faulted));
	return KERR_OK;
}

/*
 * Walks LEN bytes from offset 0 upwards in chunks, reaching both pages of each and, when MOVE,
 * copying it; *DONE gets the bytes walked before the error that ends it (LEN when none).
 */
static kerr_t walk_forward(const struct end *d, const struct end *s, size_t len, bool move,
			   size_t *done)
{
	uint8_t *dp, *sp;

	for (*done = 0; *done < len;) {
		size_t n =
		    min_size(len - *done, min_size(room_after(d, *done), room_after(s, *done)));
		TRY(reach_both(d, s, *done, &dp, &sp));
		if (move)
			memmove(dp, sp, n);
		*done += n;
	}
	return KERR_OK;
}

/*
 * memmove() of LEN bytes within one space with the destination above an overlapping source:
 * every page reached first, then the reachable prefix copied from its end down. *DONE gets the
 * bytes copied (a prefix, as forwards).
 */
static kerr_t copy_backward(const struct end *d, const struct end *s, size_t len, size_t *done)
{
	size_t reachable, end;
	uint8_t *dp, *sp;
	kerr_t first = walk_forward(d, s, len, false, &reachable);

	*done = 0;
	for (end = reachable; end > 0;) {
		size_t n = min_size(end, min_size(room_before(d, end), room_before(s, end)));
		/* Every page is present now: this can fail only if a mapping changed meanwhile. */
		TRY(reach_both(d, s, end - n, &dp, &sp));
		memmove(dp, sp, n);
		end -= n;
	}
	*done = reachable;
	return first;
}

static kerr_t copy(const struct end *d, const struct end *s, size_t len, size_t *copied)
{
	size_t done = 0;
	kerr_t err = KERR_OK;

	if (len == 0)
		goto out;
	if ((d->space != NULL && !range_ok(d->addr, len)) ||
	    (s->space != NULL && !range_ok(s->addr, len))) {
		err = KERR_FAULT;
		goto out;
	}
	if (d->space != NULL && d->space == s->space && d->addr > s->addr &&
	    d->addr - s->addr < len)
		err = copy_backward(d, s, len, &done);
	else
		err = walk_forward(d, s, len, true, &done);
out:
	if (copied != NULL)
		*copied = done;
	return err;
}

kerr_t vm_space_copy(struct vm_space *dst, vaddr_t dst_addr, struct vm_space *src, vaddr_t src_addr,
		     size_t len, size_t *copied)
{
	kassert(dst != NULL && dst->user && src != NULL && src->user);
	struct end d = {.space = dst, .addr = dst_addr, .access = VM_PROT_WRITE};
	struct end s = {.space = src, .addr = src_addr, .access = VM_PROT_READ};
	return copy(&d, &s, len, copied);
}

kerr_t vm_space_read(struct vm_space *src, vaddr_t addr, void *buf, size_t len)
{
	kassert(src != NULL && src->user && (buf != NULL || len == 0));
	struct end d = {.buf = buf, .access = VM_PROT_WRITE};
	struct end s = {.space = src, .addr = addr, .access = VM_PROT_READ};
	return copy(&d, &s, len, NULL);
}

kerr_t vm_space_write(struct vm_space *dst, vaddr_t addr, const void *buf, size_t len)
{
	kassert(dst != NULL && dst->user && (buf != NULL || len == 0));
	struct end d = {.space = dst, .addr = addr, .access = VM_PROT_WRITE};
	/* The source is only read: the cast does not let anything write through it. */
	struct end s = {.buf = (uint8_t *)(uintptr_t)buf, .access = VM_PROT_READ};
	return copy(&d, &s, len, NULL);
}
