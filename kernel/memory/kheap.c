/*
 * The kernel heap; see kheap.h for the model and the rules.
 *
 * Frame metadata. The heap owns every field of its slab frames' struct page except kind:
 *   order = SLAB_MARK | class index
 *   refcount = (index of the first free object << 16) | objects in use, FREE_NONE as the index
 *              when the slab is full
 *   next/prev = pfns of the neighbours in its class's partial list
 * The fields are reset (refcount 0, links PAGE_INDEX_NONE, order 0) before a frame goes back to
 * the pmm, so no stale tag can make a later kfree() of a freed frame pass.
 *
 * Large blocks carry no metadata of their own: the kernel space's mapping is the record (its
 * base, size and the area's owner tag VM_OWNER_KHEAP), found by address in the region tree.
 *
 * A slab's free objects form a chain through their first word (a pointer to the next free one).
 * In debug builds a free object is otherwise all KHEAP_POISON except its second word, which holds
 * FREE_MAGIC ^ its address: the marker that catches a double free, and together with the poison
 * the pattern that kmalloc verifies before it hands the object out again.
 *
 * Lists: each class keeps the slabs that have a free object (partial or empty) on one list;
 * full slabs are on none. The links are 32-bit pfns (frames below 16 TiB, asserted).
 */
#include "kernel/memory/kheap.h"

#include <stdbool.h>

#include "kernel/lib/alloc_check.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/debug_check.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/string.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_space.h"
#include "kernel/panic.h"

#define SLAB_MARK  0x80u
#define FREE_NONE  0xffffu
#define FREE_MAGIC 0x6b1f5eed0bad0bedull
#define MIN_SHIFT  4u
/* The largest large block: 1 GiB, far more than any kernel object needs (a sanity bound). */
#define LARGE_MAX  (1ull << 30)

/* One size class. Legend: [c] constant after kheap_init(); [L] guarded by lock. */
struct size_class {
	struct spinlock lock;
	uint32_t size;     /* [c] object size, a power of two */
	uint32_t shift;    /* [c] log2(size) */
	uint32_t capacity; /* [c] objects per slab */
	uint32_t partial;  /* [L] pfn of the first slab with a free object, or PAGE_INDEX_NONE */
	uint64_t objects;  /* [L] objects in use */
	uint64_t slabs;    /* [L] slab frames held */
	uint64_t empty;    /* [L] slabs with no object in use (at most one, but during trim) */
};

static struct size_class classes[KHEAP_CLASS_COUNT];
static uint64_t large_objects, large_frames; /* atomics */

/* Frame helpers. */
static uint32_t pfn_of(const struct page *pg)
{
	paddr_t pfn = pmm_page_to_phys(pg) >> PAGE_SHIFT;

	kassert(pfn < PAGE_INDEX_NONE);
	return (uint32_t)pfn;
}

static struct page *page_of_pfn(uint32_t pfn)
{
	return pmm_page_from_phys((paddr_t)pfn << PAGE_SHIFT);
}

static uint8_t *slab_base(const struct page *pg)
{
	return pmm_page_to_virt(pg);
}

/* The class of SIZE (1 .. KHEAP_SMALL_MAX): log2 of SIZE rounded up to a power of two, minus 4. */
static unsigned class_index(size_t size)
{
	if (size <= KHEAP_SMALL_MIN)
		return 0;
	return (unsigned)(64 - __builtin_clzll((unsigned long long)size - 1)) - MIN_SHIFT;
}

/*
 * Fills BYTES (a multiple of 8) at P with the 64-bit PATTERN. Not memset(): `rep stosb` costs
 * one instruction a byte under QEMU's icount (docs/benchmarks.md), `rep stosq` one per 8 bytes,
 * and a plain loop would be turned back into a memset() call by the compiler.
 */
static void fill_qwords(void *p, uint64_t pattern, size_t bytes)
{
#ifdef QUIRE_HOST_TEST
	for (size_t i = 0; i < bytes / 8; i++)
		memcpy((uint8_t *)p + i * 8, &pattern, 8);
#else
	size_t n = bytes / 8;

	__asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(pattern) : "memory");
#endif
}

#define POISON_QWORD (0x0101010101010101ull * KHEAP_POISON)

void kheap_init(void)
{
	static const char *const names[KHEAP_CLASS_COUNT] = {
	    "kheap-16",  "kheap-32",  "kheap-64",   "kheap-128",
	    "kheap-256", "kheap-512", "kheap-1024", "kheap-2048",
	};

	_Static_assert((KHEAP_SMALL_MIN << (KHEAP_CLASS_COUNT - 1)) == KHEAP_SMALL_MAX,
		       "classes must run from KHEAP_SMALL_MIN to KHEAP_SMALL_MAX");
	_Static_assert(PAGE_SIZE / KHEAP_SMALL_MIN < FREE_NONE, "object index fits 16 bits");
	for (unsigned i = 0; i < KHEAP_CLASS_COUNT; i++) {
		struct size_class *c = &classes[i];
		spin_init(&c->lock, names[i], LOCK_RANK_KHEAP);
		c->size = KHEAP_SMALL_MIN << i;
		c->shift = MIN_SHIFT + i;
		c->capacity = PAGE_SIZE / c->size;
		c->partial = PAGE_INDEX_NONE;
		c->objects = c->slabs = c->empty = 0;
	}
	large_objects = large_frames = 0;
}

/* ---- partial lists (class lock held) ---- */

static void list_push_locked(struct size_class *c, struct page *pg)
{
	uint32_t pfn = pfn_of(pg);

	pg->prev = PAGE_INDEX_NONE;
	pg->next = c->partial;
	if (c->partial != PAGE_INDEX_NONE)
		page_of_pfn(c->partial)->prev = pfn;
	c->partial = pfn;
}

static void list_remove_locked(struct size_class *c, struct page *pg)
{
	if (pg->prev != PAGE_INDEX_NONE)
		page_of_pfn(pg->prev)->next = pg->next;
	else
		c->partial = pg->next;
	if (pg->next != PAGE_INDEX_NONE)
		page_of_pfn(pg->next)->prev = pg->prev;
	pg->next = pg->prev = PAGE_INDEX_NONE;
}

/* ---- debug poisoning ---- */

static void poison_free(void *obj, size_t size)
{
	fill_qwords(obj, POISON_QWORD, size);
	((uint64_t *)obj)[1] = FREE_MAGIC ^ (uint64_t)(uintptr_t)obj;
}

/* Whether OBJ carries the free pattern, apart from its first word (the chain link). */
static bool looks_free(const void *obj, size_t size, size_t *bad_offset)
{
	const uint64_t *w = obj;
	const uint64_t poison = POISON_QWORD;

	if (w[1] != (FREE_MAGIC ^ (uint64_t)(uintptr_t)obj)) {
		*bad_offset = 8;
		return false;
	}
	for (size_t i = 2; i < size / 8; i++) {
		if (w[i] != poison) {
			*bad_offset = i * 8;
			return false;
		}
	}
	return true;
}

/* Checks the pattern of an object about to be handed out, then wipes the free marker. */
static void check_reuse(void *obj, const struct size_class *c)
{
	size_t bad;

	if (!looks_free(obj, c->size, &bad))
		debug_check_fail("use after free: %u-byte object %p was written after kfree "
				 "(near offset %zu)",
				 c->size, obj, bad);
	((uint64_t *)obj)[0] = ((uint64_t *)obj)[1] = POISON_QWORD;
}

/* ---- slabs ---- */

/* Cuts a fresh frame into a chain of free objects. The frame is still private: no lock. */
static void slab_format(struct size_class *c, unsigned idx, struct page *pg)
{
	uint8_t *base = slab_base(pg);

	for (uint32_t i = 0; i < c->capacity; i++) {
		void *obj = base + ((size_t)i << c->shift);
		if (QUIRE_DEBUG)
			poison_free(obj, c->size);
		*(void **)obj = i + 1 < c->capacity ? base + ((size_t)(i + 1) << c->shift) : NULL;
	}
	pg->order = (uint8_t)(SLAB_MARK | idx);
	pg->refcount = 0; /* first free object 0, none in use */
	pg->next = pg->prev = PAGE_INDEX_NONE;
}

/* Takes the first free object of the first slab on the partial list, or NULL. */
static void *take_locked(struct size_class *c)
{
	if (c->partial == PAGE_INDEX_NONE)
		return NULL;
	struct page *pg = page_of_pfn(c->partial);
	uint8_t *base = phys_to_virt((paddr_t)c->partial << PAGE_SHIFT);
	uint32_t head = pg->refcount >> 16, used = pg->refcount & 0xffffu;
	uint8_t *obj = base + ((size_t)head << c->shift);
	uint8_t *next = *(uint8_t **)obj;
	uint32_t next_head = FREE_NONE;

	if (next != NULL) {
		if (UNLIKELY(next < base || next >= base + PAGE_SIZE ||
			     ((uintptr_t)next & (c->size - 1)) != 0))
			debug_check_fail("free chain of %u-byte slab %p broken at %p (link %p): "
					 "use after free?",
					 c->size, (void *)base, (void *)obj, (void *)next);
		next_head = (uint32_t)((size_t)(next - base) >> c->shift);
	}
	if (used == 0)
		c->empty--;
	pg->refcount = (next_head << 16) | (used + 1);
	if (next_head == FREE_NONE)
		list_remove_locked(c, pg);
	c->objects++;
	return obj;
}

/* Returns OBJ to its slab PG. True when the slab is now surplus: off the list, to be freed. */
static bool put_locked(struct size_class *c, struct page *pg, void *obj)
{
	uint8_t *base = (uint8_t *)((uintptr_t)obj & ~(uintptr_t)(PAGE_SIZE - 1));
	uint32_t head = pg->refcount >> 16, used = pg->refcount & 0xffffu;
	uint32_t idx = (uint32_t)((size_t)((uint8_t *)obj - base) >> c->shift);

	if (UNLIKELY(used == 0 || head == idx))
		debug_check_fail("double free of %u-byte object %p", c->size, obj);
	*(void **)obj = head == FREE_NONE ? NULL : base + ((size_t)head << c->shift);
	if (head == FREE_NONE)
		list_push_locked(c, pg);
	pg->refcount = (idx << 16) | (used - 1);
	c->objects--;
	if (used - 1 != 0)
		return false;
	if (c->empty == 0) {
		c->empty++;
		return false;
	}
	list_remove_locked(c, pg);
	c->slabs--;
	return true;
}

/* Gives a slab frame, off every list, back to the pmm. No lock held. */
static void slab_release(struct page *pg)
{
	pg->order = 0;
	pg->refcount = 0;
	pg->next = pg->prev = PAGE_INDEX_NONE;
	pmm_free_page(pg);
}

/* The slow path: a new slab, taken from the pmm before the lock (DESIGN.md). */
static void *refill(struct size_class *c, unsigned idx)
{
	struct page *pg = pmm_alloc_page(PAGE_HEAP, 0);
	void *obj;

	if (pg == NULL)
		return NULL;
	slab_format(c, idx, pg);
	spin_lock(&c->lock);
	obj = take_locked(c);
	if (obj == NULL) {
		/* Nobody refilled while the lock was free: the new slab is needed. */
		c->slabs++;
		c->empty++;
		list_push_locked(c, pg);
		obj = take_locked(c);
		pg = NULL;
	}
	spin_unlock(&c->lock);
	if (pg != NULL) /* another CPU refilled first: back out */
		slab_release(pg);
	return obj;
}

static void *small_alloc(size_t size)
{
	unsigned idx = class_index(size);
	struct size_class *c = &classes[idx];
	void *obj;

	spin_lock(&c->lock);
	obj = take_locked(c);
	spin_unlock(&c->lock);
	if (obj == NULL)
		obj = refill(c, idx);
	if (obj != NULL && QUIRE_DEBUG)
		check_reuse(obj, c);
	return obj;
}

/* ---- large blocks: areas of the kernel space ---- */

/*
 * A large block is an open area of its own, mapped anywhere in the kernel space read/write and
 * populated at once, so it never faults and needs no physically contiguous run. Its frames are
 * PAGE_HEAP frames of the area; the area and the mapping records are small heap objects.
 */
static void *large_alloc(size_t size)
{
	struct vm_space *k = vm_space_kernel();
	struct vm_area *area;
	vaddr_t base;

	if (k == NULL || size > LARGE_MAX)
		return NULL;
	uint64_t pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	if (vm_area_create_open(pages, VM_PROT_READ | VM_PROT_WRITE, &area) != KERR_OK)
		return NULL;
	vm_area_set_owner(area, VM_OWNER_KHEAP, PAGE_HEAP);
	kerr_t err =
	    vm_space_map(k, area, 0, VM_MAP_ANYWHERE, pages, VM_PROT_READ | VM_PROT_WRITE, &base);
	vm_area_put(area); /* the mapping holds the area from now on */
	if (err != KERR_OK)
		return NULL;
	if (vm_space_populate(k, base, pages) != KERR_OK)
		goto unmap;
	__atomic_fetch_add(&large_objects, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&large_frames, pages, __ATOMIC_RELAXED);
	return (void *)base;

unmap:
	err = vm_space_unmap(k, base); /* frees the area and every frame it got */
	kassert(err == KERR_OK);
	return NULL;
}

/* The heap's mapping of the large block PTR, validated; panics on a pointer it did not return. */
static void large_lookup(const void *ptr, struct vm_mapping_info *info)
{
	struct vm_space *k = vm_space_kernel();

	if (k == NULL || vm_space_lookup(k, (vaddr_t)ptr, info) != KERR_OK)
		debug_check_fail("%p is not a kheap pointer (nothing mapped there: double free?)",
				 ptr);
	if (info->owner != VM_OWNER_KHEAP)
		debug_check_fail("%p is not a kheap pointer (a kernel mapping of someone else's)",
				 ptr);
	if (info->base != (vaddr_t)ptr)
		debug_check_fail("%p is not a kheap pointer (not the start of a heap object)", ptr);
}

static void large_free(void *ptr)
{
	struct vm_mapping_info info;

	large_lookup(ptr, &info);
	/* Unmapping clears the PTEs (a later use faults) and drops the last area reference. */
	kerr_t err = vm_space_unmap(vm_space_kernel(), info.base);
	kassert(err == KERR_OK);
	__atomic_fetch_sub(&large_objects, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&large_frames, info.pages, __ATOMIC_RELAXED);
}

/* ---- the interface ---- */

void *kmalloc(size_t size)
{
	alloc_check();
	if (fail_inject_should_fail())
		return NULL;
	if (size == 0)
		size = 1;
	return size <= KHEAP_SMALL_MAX ? small_alloc(size) : large_alloc(size);
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	/* Whole qwords: within the object, which is at least 16-byte sized. A large block is
	 * zeroed already: its area's frames come zero-filled. */
	if (p != NULL && size <= KHEAP_SMALL_MAX)
		fill_qwords(p, 0, (size + 7) & ~(size_t)7);
	return p;
}

/* Slab objects live in the linear map; large blocks (and foreign pointers) elsewhere. */
static bool in_linear_map(const void *ptr)
{
	return (uintptr_t)ptr - PHYS_LINEAR_BASE < QUIRE_LINEAR_MAP_MAX_SIZE;
}

/*
 * The slab frame behind PTR, or NULL when PTR is not in one. A kernel-space address is past the
 * linear map, so its "physical address" is past RAM: no frame, and no extra compare on the
 * slab path.
 */
static struct page *slab_of(const void *ptr)
{
	struct page *pg = pmm_page_from_phys(phys_from_linear(ptr) & ~(paddr_t)(PAGE_SIZE - 1));

	if (pg == NULL || pg->kind != PAGE_HEAP || !(pg->order & SLAB_MARK))
		return NULL;
	return pg;
}

/* The class of PTR in slab PG (NULL: not a slab), validated; panics on a foreign pointer. */
static struct size_class *slab_class(const void *ptr, const struct page *pg)
{
	size_t offset = (uintptr_t)ptr & (PAGE_SIZE - 1);

	if (pg == NULL) {
		pg = pmm_page_from_phys(phys_from_linear(ptr) - offset);
		debug_check_fail("%p is not a kheap pointer (frame %s)", ptr,
				 pg == NULL ? "outside RAM" : pmm_kind_name(pg->kind));
	}
	unsigned idx = pg->order & ~SLAB_MARK;
	if (idx >= KHEAP_CLASS_COUNT || (offset & (classes[idx].size - 1)) != 0)
		debug_check_fail("%p is not an object kmalloc returned (class %u slab)", ptr, idx);
	return &classes[idx];
}

void kfree(void *ptr)
{
	struct size_class *c;
	struct page *pg;
	size_t bad;

	if (ptr == NULL)
		return;
	pg = slab_of(ptr);
	if (UNLIKELY(pg == NULL) && !in_linear_map(ptr)) {
		large_free(ptr);
		return;
	}
	c = slab_class(ptr, pg);
	if (QUIRE_DEBUG) {
		if (looks_free(ptr, c->size, &bad))
			debug_check_fail("double free of %u-byte object %p", c->size, ptr);
		poison_free(ptr, c->size);
	}
	spin_lock(&c->lock);
	bool surplus = put_locked(c, pg, ptr);
	spin_unlock(&c->lock);
	if (surplus)
		slab_release(pg);
}

size_t kheap_usable_size(const void *ptr)
{
	struct vm_mapping_info info;
	struct page *pg = slab_of(ptr);

	if (pg == NULL && !in_linear_map(ptr)) {
		large_lookup(ptr, &info);
		return info.pages * PAGE_SIZE;
	}
	return slab_class(ptr, pg)->size;
}

/* Takes every empty slab of C off its list, chained through their next fields. */
static struct page *take_empty_locked(struct size_class *c, uint64_t *count)
{
	struct page *chain = NULL;
	uint32_t pfn = c->partial;

	while (pfn != PAGE_INDEX_NONE) {
		struct page *pg = page_of_pfn(pfn);
		pfn = pg->next;
		if ((pg->refcount & 0xffffu) != 0)
			continue;
		list_remove_locked(c, pg);
		pg->next = chain ? pfn_of(chain) : PAGE_INDEX_NONE;
		chain = pg;
		c->empty--;
		c->slabs--;
		(*count)++;
	}
	return chain;
}

uint64_t kheap_trim(void)
{
	uint64_t freed = 0;

	for (unsigned i = 0; i < KHEAP_CLASS_COUNT; i++) {
		struct size_class *c = &classes[i];
		spin_lock(&c->lock);
		struct page *pg = take_empty_locked(c, &freed);
		spin_unlock(&c->lock);
		while (pg != NULL) {
			struct page *next =
			    pg->next == PAGE_INDEX_NONE ? NULL : page_of_pfn(pg->next);
			slab_release(pg);
			pg = next;
		}
	}
	return freed;
}

void kheap_get_stats(struct kheap_stats *out)
{
	uint64_t slabs = 0;

	for (unsigned i = 0; i < KHEAP_CLASS_COUNT; i++) {
		struct size_class *c = &classes[i];
		struct kheap_class_stats *s = &out->classes[i];
		spin_lock(&c->lock);
		s->size = c->size;
		s->objects = c->objects;
		s->bytes = c->objects * c->size;
		s->slabs = c->slabs;
		spin_unlock(&c->lock);
		slabs += s->slabs;
	}
	out->large_objects = __atomic_load_n(&large_objects, __ATOMIC_RELAXED);
	out->large_frames = __atomic_load_n(&large_frames, __ATOMIC_RELAXED);
	out->frames = slabs + out->large_frames;
}
