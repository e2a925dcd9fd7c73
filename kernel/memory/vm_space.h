/*
 * vm_space: an address space. One per process, plus the kernel's.
 *
 * Model: a space holds a top-level page table and a region tree (region_tree.h) of mappings.
 * A mapping (struct vm_mapping) shows pages [offset, offset + size) of one vm_area at a base
 * address with some rights; it holds a reference on the area and sits on the area's list of
 * mappings, so an area knows every space it is mapped into. PTEs are filled lazily by the fault
 * path, vm_space_allocate(), in the faulting space only: other spaces sharing an area fault their
 * own PTE in when they touch the page. Mappings with no rights (reservations) write no PTEs.
 * The kernel space wraps the kernel's page tables (kernel_space.h); its linear map and image are
 * reservations, so dynamic kernel mappings are placed anywhere else in the kernel half. User
 * spaces share the kernel half (pagetable_create() copies its 256 entries).
 *
 * Locking: each space has a lock that guards its region tree, its page table and its mappings'
 * rights. It is the address-space lock of the design (Linux's mmap_lock): a blocking lock, not a
 * spinlock, because the fault path must be able to allocate page tables while holding it. Until
 * there is a scheduler it waits by spinning, but it counts as no spinlock for alloc_check(): it
 * is never taken with a spinlock held (asserted) and a CPU taking it twice panics (asserted).
 * Order: space locks (several only in vm_space_resize(), by ascending address) before any area
 * lock (LOCK_RANK_VM_AREA). A space must stay alive while another CPU maps or resizes an area
 * that is also mapped in it: lifetimes of spaces come with processes (issue 5).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/kerr.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/region_tree.h"
#include "kernel/memory/vm_area.h"

#define VM_MAP_ANYWHERE (~(vaddr_t)0) /* vm_space_map(): let the space choose the address */

/* User spaces manage [VM_USER_LO, VM_USER_HI); the kernel space the kernel half. */
/*
 * The lowest 64 KiB stay unmapped in every user space (Linux's mmap_min_addr): "anywhere"
 * mappings start above them, so a NULL pointer plus a field offset or a small index faults
 * instead of landing in some mapping.
 */
#define VM_USER_LO   0x10000ull
#define VM_USER_HI   0x0000800000000000ull
#define VM_KERNEL_HI (0ull - 0x1000ull)

struct vm_space_lock {
	volatile uint32_t locked; /* 0 free, 1 held */
	int32_t owner_cpu;        /* -1 when free */
};

/* Legend: [c] constant after creation; [S] guarded by the space's lock. */
struct vm_space {
	struct vm_space_lock lock;
	struct region_tree regions; /* [S] the mappings, by base address */
	struct pagetable pt;        /* [S] the tables (the kernel space: the kernel's own) */
	bool user;                  /* [c] PTEs carry the user bit */
};

/* Legend: [c] constant while mapped; [S] the space's lock; [A] the area's lock. */
struct vm_mapping {
	struct region_node node;      /* [S] base and size in bytes */
	struct vm_space *space;       /* [c] */
	struct vm_area *area;         /* [c] a reference held */
	uint64_t offset;              /* [c] the area page shown at node.base */
	unsigned prot;                /* [S] VM_PROT_*, within area->max_prot */
	struct vm_mapping *area_next; /* [A] the area's list */
	struct vm_mapping *area_prev; /* [A] */
};

/*
 * vm_init - the shared zero page and the kernel space around KERNEL_TABLES (the kernel's page
 * tables), with reservations for the linear map and the kernel image. Boot CPU, once (host tests:
 * after each pmm_init()). No lock held; allocates. Errors: KERR_NO_MEMORY.
 */
kerr_t vm_init(struct pagetable *kernel_tables);

/* vm_space_kernel - the kernel space (NULL before vm_init()). Any context. */
struct vm_space *vm_space_kernel(void);

/* vm_space_current_user - the running process's space on this CPU; NULL when none runs. */
struct vm_space *vm_space_current_user(void);

/* vm_space_set_current_user - records SPACE (or NULL) as this CPU's (kernel/process.c). */
void vm_space_set_current_user(struct vm_space *space);

/*
 * vm_space_create - a new user space with an empty lower half that shares the kernel half. No
 * lock held; allocates. Errors: KERR_NO_MEMORY.
 */
kerr_t vm_space_create(struct vm_space **out);

/*
 * vm_space_destroy - unregisters every mapping (each drops its area reference, which may free
 * the area and its frames), then frees every table and the space. No TLB work: SPACE must not be
 * live on any CPU (asserted on this one) and nobody else may use it. Not the kernel space. No
 * lock held; never allocates.
 */
void vm_space_destroy(struct vm_space *space);

/*
 * vm_space_map - maps PAGES pages of AREA from page OFFSET at ADDR (page aligned) or, with
 * VM_MAP_ANYWHERE, at the lowest free address, with PROT (VM_PROT_*; 0 = no access, no PTEs), in
 * one step. *BASE_OUT gets the address. The mapping record is allocated before the space's lock
 * is taken; no PTE is written (faults fill them). Takes a reference on AREA. No lock held;
 * allocates. Errors: KERR_INVALID (alignment, range outside the area or the space, bad PROT),
 * KERR_ACCESS_DENIED (PROT beyond area->max_prot), KERR_EXISTS (ADDR overlaps a mapping),
 * KERR_NO_MEMORY (no record, or no room anywhere). Nothing changes on error.
 */
kerr_t vm_space_map(struct vm_space *space, struct vm_area *area, uint64_t offset, vaddr_t addr,
		    uint64_t pages, unsigned prot, vaddr_t *base_out);

/*
 * vm_space_unmap - removes the mapping based at ADDR: clears its PTEs and flushes the TLB, then
 * unregisters it from the region tree and the area, then drops its area reference (which may
 * free the area). No lock held; never allocates. Errors: KERR_NOT_FOUND (no mapping starts at
 * ADDR).
 */
kerr_t vm_space_unmap(struct vm_space *space, vaddr_t addr);

/*
 * vm_space_protect - gives the mapping based at ADDR the rights PROT (VM_PROT_*), which must lie
 * within its area's max_prot. Rights taken away are taken from the PTEs at once; rights added are
 * picked up by the next fault (the PTEs are cleared), so the zero page never becomes writable.
 * No lock held; never allocates. Errors: KERR_NOT_FOUND, KERR_INVALID, KERR_ACCESS_DENIED.
 */
kerr_t vm_space_protect(struct vm_space *space, vaddr_t addr, unsigned prot);

/*
 * By area: the system calls (kernel/objects/vma_calls.c) map an area at most once into a space,
 * so there (area, space) names a mapping. These find it on the area's list of mappings while
 * holding the space's lock and act on it in the same critical section, so no other CPU can unmap
 * it, or map the area there a second time, in between. Same lock and allocation contracts as the
 * calls by address above.
 */

/*
 * vm_space_find_area - the base of AREA's mapping in SPACE into *BASE_OUT (the newest, should the
 * kernel have mapped it several times). Takes the space's lock, then the area's. Errors:
 * KERR_NOT_FOUND (AREA is not mapped in SPACE).
 */
kerr_t vm_space_find_area(struct vm_space *space, struct vm_area *area, vaddr_t *base_out);

/*
 * vm_space_map_once - vm_space_map() of the whole of AREA (offset 0, its size as read under the
 * space's lock, so a concurrent resize cannot leave the mapping short of the area's end), unless
 * AREA is mapped in SPACE already. Errors: KERR_EXISTS for that, otherwise as vm_space_map().
 */
kerr_t vm_space_map_once(struct vm_space *space, struct vm_area *area, vaddr_t addr, unsigned prot,
			 vaddr_t *base_out);

/* vm_space_unmap_area - vm_space_unmap() of AREA's mapping in SPACE. Errors: KERR_NOT_FOUND. */
kerr_t vm_space_unmap_area(struct vm_space *space, struct vm_area *area);

/*
 * vm_space_protect_area - vm_space_protect() of AREA's mapping in SPACE. Errors: as
 * vm_space_protect() (KERR_INVALID is checked first, then KERR_NOT_FOUND).
 */
kerr_t vm_space_protect_area(struct vm_space *space, struct vm_area *area, unsigned prot);

/*
 * vm_space_resize - changes AREA's size to NEW_PAGES, in every space it is mapped into. A mapping
 * that reaches the area's end follows it. Growing checks every such mapping has room after it
 * and changes nothing if one has not (KERR_EXISTS: another mapping is in the way;
 * KERR_NO_MEMORY: the end of the space). Shrinking clears the PTEs past the new end in every
 * space, clips the mappings, takes the pages out of the page tree and frees them; a mapping that
 * would become empty makes it fail with KERR_INVALID. Errors also: KERR_UNSUPPORTED (a kind that
 * cannot resize, or an area mapped into more than VM_RESIZE_MAX_SPACES spaces). No lock held;
 * never allocates.
 */
#define VM_RESIZE_MAX_SPACES 16u
kerr_t vm_space_resize(struct vm_area *area, uint64_t new_pages);

/*
 * vm_space_allocate - the page-fault path: makes ADDR accessible for ACCESS (one VM_PROT_* bit)
 * in SPACE. Finds the mapping, checks ACCESS against its rights, asks the area for the page (which
 * may allocate: the fault-allocation window of alloc_check.h is open here) and writes the PTE in
 * SPACE's table only. No spinlock held; SPACE's lock must not be held by this CPU. Returns the
 * result the trap handler acts on; on VM_FAULT_NO_MEMORY nothing is mapped.
 */
enum vm_fault_result vm_space_allocate(struct vm_space *space, vaddr_t addr, unsigned access);

/*
 * vm_space_populate - makes the PAGES pages from ADDR (page aligned, inside one mapping with
 * rights) present now, as if each had been faulted in with write access (read access for a
 * read-only mapping): every frame, page-tree node and page table is allocated up front, so the
 * range never faults afterwards. For kernel memory that must not fault: the heap's large blocks
 * and kernel stacks. No lock held; allocates; not in the fault path. Errors: KERR_NOT_FOUND (ADDR
 * not in a mapping), KERR_INVALID (range not inside it, no rights, or it covers a guard page),
 * KERR_NO_MEMORY. On error the PTEs it wrote are cleared again; frames it put into the area stay
 * in the area (as after faults) and go with it, so nothing leaks.
 */
kerr_t vm_space_populate(struct vm_space *space, vaddr_t addr, uint64_t pages);

/* What vm_space_lookup() reports of a mapping. */
struct vm_mapping_info {
	vaddr_t base;         /* its first address */
	uint64_t pages;       /* its size */
	struct vm_area *area; /* no reference taken: valid while the caller owns the mapping */
	enum vm_owner owner;  /* area->owner */
	unsigned prot;        /* its rights */
};

/*
 * vm_space_lookup - the mapping that contains ADDR, into *OUT. No lock held; never allocates.
 * Errors: KERR_NOT_FOUND.
 */
kerr_t vm_space_lookup(struct vm_space *space, vaddr_t addr, struct vm_mapping_info *out);

/*
 * vm_space_lock / vm_space_unlock - the space's lock (see above). For vm_fault.c and tests; other
 * callers use the operations above, which take it themselves.
 */
void vm_space_lock(struct vm_space *space);
void vm_space_unlock(struct vm_space *space);

/* vm_space_mapping_count - the number of mappings in SPACE. Takes the lock. */
uint64_t vm_space_mapping_count(struct vm_space *space);
