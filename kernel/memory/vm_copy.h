/*
 * Copies between address spaces, page by page through their mappings (IPC, issue 9).
 *
 * Model: neither space needs to be the one loaded in CR3. For each page of a range the copy asks
 * the space's fault path, vm_space_allocate(), to make the page accessible for the access the
 * copy needs (READ at the source, WRITE at the destination), exactly as if the process had
 * touched it: an untouched page is faulted in (zero-filled; a write replaces the shared zero
 * page with a private frame), and a page the mapping does not allow (no mapping, a protection
 * that forbids the access, a guard page) ends the copy with KERR_FAULT. It then finds the frame
 * in the space's page table and moves the bytes through the kernel's linear map, in chunks that
 * end at the next page boundary of either side, so buffers may start mid-page, span any number
 * of pages and cross from one area into another.
 *
 * Locking: no spinlock held on entry (the fault path may allocate: the fault-allocation window
 * is opened around it). The frames found stay valid while the copy uses them because nothing
 * else runs meanwhile: the kernel is not preemptible and one CPU runs threads (sched.h). SMP
 * (issue 7) must hold the spaces' mappings stable across the copy (or pin the pages).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/kerr.h"
#include "kernel/memory/vm_space.h"

/*
 * vm_space_copy - copies LEN bytes from SRC_ADDR in the user space SRC to DST_ADDR in the user
 * space DST. *COPIED (may be NULL) gets the bytes copied before an error (all LEN on success).
 * Errors: KERR_FAULT (a range leaves [VM_USER_LO, VM_USER_HI) or wraps; a page the mapping does
 * not allow for the access, or no mapping; a page that is not write-back RAM, such as the
 * framebuffer or MMIO, which the write-back linear map must not alias), KERR_NO_MEMORY (a page
 * could not be allocated).
 * Overlapping ranges in one space are copied as memmove would.
 */
kerr_t vm_space_copy(struct vm_space *dst, vaddr_t dst_addr, struct vm_space *src, vaddr_t src_addr,
		     size_t len, size_t *copied);

/* vm_space_read - LEN bytes from ADDR in the user space SRC into kernel memory BUF. As above. */
kerr_t vm_space_read(struct vm_space *src, vaddr_t addr, void *buf, size_t len);

/* vm_space_write - LEN bytes of kernel memory BUF to ADDR in the user space DST. As above. */
kerr_t vm_space_write(struct vm_space *dst, vaddr_t addr, const void *buf, size_t len);
