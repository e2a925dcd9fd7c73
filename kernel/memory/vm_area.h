/*
 * vm_area: a range of pages that can be mapped into address spaces (vm_space.h).
 *
 * Model: an area is a kobject with a size in pages, the rights a mapping of it may have at most
 * (max_prot), a cache policy, and an ops table per kind:
 *   open        anonymous memory, zero-filled on first touch, pages kept in the 64-ary page tree
 *               (page_tree.h); shareable. While an area has never had a second mapping, a read
 *               of an untouched page maps the shared zero page read-only, and the first write
 *               replaces it with a private frame. Once shared (two mappings at once, ever), it
 *               allocates on every first touch, since another space would keep the zero page.
 *   fixed       a physical range (framebuffer, MMIO); never allocates; any cache policy.
 *   guarded     a stack: open pages between unmapped guard pages (guard_low pages at the low end,
 *               guard_high at the top); a touch of a guard page is VM_FAULT_GUARD.
 *   reservation address space with no backing at all: mappings of it write no PTEs, and every
 *   fault in it is VM_FAULT_NO_MAPPING.
 * Each area keeps the list of its mappings (struct vm_mapping, intrusive), so it knows every
 * space it is mapped into. Every mapping holds a reference, like every handle: the area lives
 * until it has neither, and its frames are freed by the last kobject_put(), not before.
 *
 * Locking: lock (LOCK_RANK_VM_AREA, a spinlock) guards the page tree, the mapping list and the
 * flags. It is taken under a space's lock (vm_space.h), never the other way round, and nothing
 * allocates while holding it: get_page allocates the frame and the page-tree nodes first, then
 * locks, re-checks and backs out if another CPU inserted the page meanwhile. `pages` changes only
 * in vm_space_resize(), which holds the lock of every space the area is mapped into and the
 * area's lock; holding either is enough to read it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/kerr.h"
#include "kernel/lib/spinlock.h"
#include "kernel/memory/page.h"
#include "kernel/memory/page_tree.h"
#include "kernel/memory/pat.h"
#include "kernel/memory/phys.h"
#include "kernel/objects/kobject.h"

struct vm_mapping;

/* Rights, in the pagetable's terms (PAGETABLE_USER is the space's business, not the area's). */
#define VM_PROT_READ  1u /* PAGETABLE_READ */
#define VM_PROT_WRITE 2u /* PAGETABLE_WRITE */
#define VM_PROT_EXEC  4u /* PAGETABLE_EXEC */
#define VM_PROT_ALL   (VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC)

/* What a fault comes to: the trap handler retries, kills the process, or panics (kernel). */
enum vm_fault_result {
	VM_FAULT_OK = 0,     /* the page is mapped now: retry the access */
	VM_FAULT_NO_MAPPING, /* no mapping, or a mapping with no backing (reservation) */
	VM_FAULT_PROTECTION, /* the mapping does not allow this access */
	VM_FAULT_NO_MEMORY,  /* no frame (or page-tree node, or page table) to serve it */
	VM_FAULT_GUARD,      /* a guard page of a guarded area (a stack overflow) */
	VM_FAULT_RESULT_COUNT
};

enum vm_area_kind { VM_AREA_OPEN, VM_AREA_FIXED, VM_AREA_GUARDED, VM_AREA_RESERVATION };

/* What get_page found: the frame to map, and whether it must be mapped read-only (zero page). */
struct vm_page_ref {
	paddr_t pa;
	bool read_only;
};

struct vm_area;

struct vm_area_ops {
	const char *name;
	/*
	 * get_page - the frame behind page INDEX (< pages) for ACCESS (VM_PROT_*), found or
	 * allocated. No spinlock held; may allocate (in the fault window). Area lock free on entry
	 * and exit.
	 */
	enum vm_fault_result (*get_page)(struct vm_area *area, uint64_t index, unsigned access,
					 struct vm_page_ref *out);
	/* drop_pages - frees every page at index >= FIRST. Area lock held; never allocates. NULL
	 * for kinds that own no frames. */
	void (*drop_pages)(struct vm_area *area, uint64_t first);
	bool resizable; /* whether vm_space_resize() may change the size */
};

/*
 * Legend: [c] constant after creation; [L] guarded by lock; [R] changed only by vm_space_resize()
 * holding every mapping space's lock and lock (either is enough to read).
 */
struct vm_area {
	struct kobject obj;
	const struct vm_area_ops *ops; /* [c] */
	enum vm_area_kind kind;        /* [c] */
	unsigned max_prot;             /* [c] VM_PROT_* a mapping may have at most */
	enum cache_policy cache;       /* [c] */
	paddr_t phys;                  /* [c] fixed: the first frame of the range */
	uint32_t guard_low;            /* [c] guarded: guard pages at the low end */
	uint32_t guard_high;           /* [c] guarded: guard pages at the top */
	uint32_t owner;                /* [c] VM_OWNER_*: which kernel user made it (checks) */
	uint8_t frame_kind;            /* [c] enum page_kind of its frames (PAGE_USER) */
	struct spinlock lock;
	uint64_t pages;              /* [R] size in pages, guard pages included */
	struct page_tree tree;       /* [L] open, guarded: index -> struct page * */
	struct vm_mapping *mappings; /* [L] head of the list of mappings (vm_mapping.area_next) */
	uint64_t mapping_count;      /* [L] */
	uint64_t mapping_generation; /* [L] bumped on every change of the list */
	bool shared;                 /* [L] has had two mappings at once: no zero page any more */
	bool zero_mapped;            /* [L] a zero-page PTE may exist in the one mapping's space */
};

/* Who made an area, for the owner's own checks (kfree() of a foreign pointer, for one). */
enum vm_owner {
	VM_OWNER_NONE = 0, /* user memory, tests, reservations */
	VM_OWNER_KHEAP,    /* a large kmalloc() block (kheap.c) */
	VM_OWNER_KSTACK,   /* a kernel stack (kstack.c) */
};

/*
 * vm_area_set_owner - marks a new AREA as OWNER's, its frames counted as FRAME_KIND (PAGE_HEAP,
 * PAGE_KERNEL_STACK) instead of PAGE_USER. Only between creation and the first mapping (asserted:
 * no mapping, no page yet). No lock held; never allocates.
 */
void vm_area_set_owner(struct vm_area *area, enum vm_owner owner, enum page_kind frame_kind);

/* vm_area_from_kobject - the area OBJ (of type KOBJECT_VM_AREA) is embedded in. */
struct vm_area *vm_area_from_kobject(struct kobject *obj);

/*
 * vm_area_create_open - an open area of PAGES pages with MAX_PROT, write-back, holding one
 * reference (the caller's). No spinlock held; allocates (kmalloc). Errors: KERR_INVALID (no
 * pages, too many, no READ in MAX_PROT), KERR_NO_MEMORY.
 */
kerr_t vm_area_create_open(uint64_t pages, unsigned max_prot, struct vm_area **out);

/*
 * vm_area_create_fixed - an area over the physical range [PA, PA + PAGES * 4 KiB) with CACHE.
 * Its frames are not the area's: nothing is allocated or freed for them. As above; PA aligned.
 */
kerr_t vm_area_create_fixed(paddr_t pa, uint64_t pages, unsigned max_prot, enum cache_policy cache,
			    struct vm_area **out);

/*
 * vm_area_create_guarded - a stack of PAGES usable pages with GUARD_LOW guard pages below and
 * GUARD_HIGH above them (the area is PAGES + both long; the usable pages start at GUARD_LOW).
 * Not resizable. As vm_area_create_open().
 */
kerr_t vm_area_create_guarded(uint64_t pages, uint32_t guard_low, uint32_t guard_high,
			      unsigned max_prot, struct vm_area **out);

/* vm_area_create_reservation - PAGES of address space with no backing; max_prot is 0. */
kerr_t vm_area_create_reservation(uint64_t pages, struct vm_area **out);

/* vm_area_get / vm_area_put - kobject_get()/kobject_put() of the area. As kobject.h. */
void vm_area_get(struct vm_area *area);
void vm_area_put(struct vm_area *area);

/*
 * vm_area_release - the kobject release operation: frees every frame and the record. Called by
 * the last kobject_put() only (no mapping is left then). No spinlock held; never allocates.
 */
void vm_area_release(struct kobject *obj);

/*
 * vm_area_trim - gives back the page-tree nodes every CPU keeps ready for its next insertion
 * (tests before comparing counts, low memory). No spinlock held; no CPU may be in get_page (the
 * boot CPU only, until SMP). Never allocates.
 */
void vm_area_trim(void);

/* vm_area_resident - pages with a frame in the tree (open, guarded). Takes the area lock. */
uint64_t vm_area_resident(struct vm_area *area);

/*
 * vm_zero_page_init - allocates the shared zero page (once; boot, or each host test run after
 * pmm_init()). No spinlock held. Errors: KERR_NO_MEMORY.
 */
kerr_t vm_zero_page_init(void);

/* vm_zero_page - the physical address of the shared zero page (0 before init). Any context. */
paddr_t vm_zero_page(void);

/* vm_fault_result_name - "no mapping" etc.: the reason logged when a fault kills. Pure. */
const char *vm_fault_result_name(enum vm_fault_result result);
