/*
 * The kernel heap: kmalloc/kfree for kernel objects of any size.
 *
 * Model: requests up to KHEAP_SMALL_MAX bytes are rounded up to a power-of-two size class
 * (16 ... 2048 bytes) and served from slabs: single PAGE_HEAP frames from the pmm, reached through
 * the linear map and cut into equal objects, so an object of class S is S-aligned; their
 * bookkeeping lives in the frames' struct page (kheap.c says how), so there are no headers in
 * front of objects. A slab that empties goes back to the pmm, except one spare per class kept
 * against alloc/free ping-pong at a slab boundary; kheap_trim() gives the spares back too.
 * Larger requests are areas of the kernel space (vm_space.h): each block is an open area of its
 * own, mapped anywhere in the kernel's dynamic range read/write and populated at once (it never
 * faults), so it is virtually contiguous without needing physically contiguous frames; kfree
 * unmaps it, which frees the area and its frames. A pointer in the linear map is a slab object,
 * any other a large block, whose mapping (owner VM_OWNER_KHEAP) is its record.
 *
 * Locking: one spinlock per size class (LOCK_RANK_KHEAP). The heap never calls the pmm while it
 * holds one: it allocates a frame first, then locks and re-checks, and frees a frame only after
 * unlocking. Large blocks take the kernel space's lock (a blocking lock) and the area's. Like
 * every allocator, kmalloc may not be called with a spinlock held or in the fault path
 * (alloc_check.h). kfree of a small object may be called anywhere except with a kheap lock held;
 * kfree of a large block needs what vm_space_unmap() needs: no spinlock held, not in an interrupt
 * or fault handler (the interrupted code may hold the kernel space's lock).
 *
 * Debug builds (QUIRE_DEBUG) fill freed objects with KHEAP_POISON and a per-object free marker,
 * check both when the object is handed out again (a write after free panics, naming the object),
 * and panic on a double free or on freeing a pointer kmalloc never returned.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define KHEAP_SMALL_MIN   16u   /* the smallest class: also the minimum alignment */
#define KHEAP_SMALL_MAX   2048u /* the largest class; bigger requests get whole frames */
#define KHEAP_CLASS_COUNT 8u    /* 16, 32, 64, 128, 256, 512, 1024, 2048 */
#define KHEAP_POISON      0x6bu /* debug: the byte freed objects are filled with */

/* kheap_init - sets up the size classes. Boot CPU, once, after pmm_init(). Takes no memory. */
void kheap_init(void);

/*
 * kmalloc - SIZE bytes (0 counts as 1), aligned to the size class (16 for small sizes up to
 * their class size, 4096 for large ones). Returns NULL when memory is out (frames, or kernel
 * address space), for a size past 1 GiB, for a large size before vm_init(), or on an injected
 * failure. The contents are undefined (debug: KHEAP_POISON; large blocks are zeroed). No spinlock
 * may be held; not in the fault path. Never sleeps.
 */
void *kmalloc(size_t size);

/* kzalloc - kmalloc() with the SIZE bytes zeroed. As kmalloc(). */
void *kzalloc(size_t size);

/*
 * kfree - gives back PTR from kmalloc()/kzalloc(); NULL is ignored. Panics on a pointer the heap
 * did not return (debug builds also on a double free). No kheap lock may be held; for a large
 * block no spinlock at all (see above). Never sleeps.
 */
void kfree(void *ptr);

/* kheap_usable_size - the bytes usable at PTR (its class size, or its pages). As kfree(). */
size_t kheap_usable_size(const void *ptr);

/*
 * kheap_trim - gives every empty slab (the per-class spares) back to the pmm. Returns the number
 * of frames freed. No spinlock held.
 */
uint64_t kheap_trim(void);

struct kheap_class_stats {
	uint32_t size;    /* object size of the class */
	uint64_t objects; /* objects in use */
	uint64_t bytes;   /* == objects * size */
	uint64_t slabs;   /* frames held, including empty spares */
};

struct kheap_stats {
	struct kheap_class_stats classes[KHEAP_CLASS_COUNT];
	uint64_t large_objects; /* large allocations in use */
	uint64_t large_frames;  /* frames they hold (PAGE_HEAP frames of their areas) */
	uint64_t frames;        /* every frame the heap holds: slabs + large_frames */
};

/* kheap_get_stats - the counters, each class read under its lock. No spinlock held. */
void kheap_get_stats(struct kheap_stats *out);
