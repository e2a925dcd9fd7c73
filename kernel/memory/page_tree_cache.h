/*
 * The page tree's node cache: fixed-size node objects carved from whole frames of the pmm.
 *
 * Model: a cache owns PAGE_HEAP frames. Each frame starts with a 64-byte header (its free chain,
 * its count of nodes in use, its links) followed by PAGE_TREE_CACHE_NODES_PER_FRAME nodes of
 * PAGE_TREE_NODE_SIZE bytes, so a node's frame is its address rounded down to the page and no
 * struct page field is touched. Frames with a free node and a node in use sit on a "partial" list
 * that allocation serves first; frames with no node in use sit on an "empty" list, of which the
 * cache keeps at most PAGE_TREE_CACHE_SPARE_FRAMES (so a tree that grows and shrinks by one node
 * does not bounce a frame through the pmm); any further empty frame goes back to the pmm at once.
 * Nodes come back uninitialised: the page tree zeroes them (page_tree_prepare(), lock-free).
 *
 * Locking: one spinlock per cache guards its lists and counts. It is never held while calling the
 * pmm: allocation takes a frame with the lock dropped and then links it in. Its rank has to be
 * above every lock a page tree's owner holds while it removes from or destroys its tree (a node
 * goes back to the cache then): LOCK_RANK_PAGE_TREE_CACHE, above LOCK_RANK_VM_AREA (a leaf lock,
 * like the heap's).
 */
#pragma once

#include <stdint.h>

#include "kernel/lib/spinlock.h"

#define PAGE_TREE_NODE_SIZE             576u /* sizeof(struct page_tree_node), asserted there */
#define PAGE_TREE_CACHE_NODES_PER_FRAME 7u   /* (4096 - 64) / 576 */
#define PAGE_TREE_CACHE_SPARE_FRAMES    1u

struct page_tree_node;
struct page_tree_cache_frame; /* the frame header, private to page_tree_cache.c */

/* Legend: [c] constant after page_tree_cache_init(); [L] guarded by lock. */
struct page_tree_cache {
	struct spinlock lock;
	struct page_tree_cache_frame *partial; /* [L] frames with free and used nodes, 2-linked */
	struct page_tree_cache_frame *empty;   /* [L] frames with no node in use, 1-linked */
	uint64_t nodes_in_use;                 /* [L] nodes handed out and not freed */
	uint64_t nodes_free;                   /* [L] free nodes in the frames held */
	uint64_t frames;                       /* [L] frames held (partial + full + empty) */
	uint64_t empty_frames;                 /* [L] frames on the empty list */
	uint64_t allocs;                       /* [L] nodes handed out since init (tests) */
	uint64_t frees;                        /* [L] nodes given back since init (tests) */
};

struct page_tree_cache_stats {
	uint64_t nodes_in_use, nodes_free, frames, empty_frames, allocs, frees;
};

/* A cache with nothing in it, for static initialisation (a leaf lock: see above). */
#define PAGE_TREE_CACHE_INIT(cache_name)                                                           \
	{                                                                                          \
		.lock = SPINLOCK_INIT(cache_name, LOCK_RANK_PAGE_TREE_CACHE)                       \
	}

/* page_tree_cache_init - CACHE becomes an empty cache named NAME. Never fails; no lock held. */
void page_tree_cache_init(struct page_tree_cache *cache, const char *name);

/*
 * page_tree_cache_kernel - the cache every page tree of the kernel uses (vm_area). Any context.
 */
struct page_tree_cache *page_tree_cache_kernel(void);

/*
 * page_tree_cache_alloc - one node of PAGE_TREE_NODE_SIZE bytes, 64-byte aligned, contents
 * undefined. Takes a free node if the cache has one, else a PAGE_HEAP frame from the pmm.
 * Called with no spinlock held and outside the fault path (debug builds assert it); never sleeps.
 * Returns NULL when the pmm has no frame, or on an injected failure (fail_inject.h: every call
 * counts as one allocation attempt, and a call that needs a frame counts one more in the pmm).
 */
struct page_tree_node *page_tree_cache_alloc(struct page_tree_cache *cache);

/*
 * page_tree_cache_free - gives back NODE, which page_tree_cache_alloc(CACHE) returned. When its
 * frame has no node in use any more and the cache already keeps its spare, the frame goes back to
 * the pmm (after the cache lock is dropped). Any context in which the cache lock's rank may be
 * taken; never allocates. Debug builds catch a double free and a node of another cache.
 */
void page_tree_cache_free(struct page_tree_cache *cache, struct page_tree_node *node);

/*
 * page_tree_cache_trim - gives every empty frame, the spare included, back to the pmm. Returns
 * the number of frames given back. No spinlock held on entry (tests, low memory).
 */
uint64_t page_tree_cache_trim(struct page_tree_cache *cache);

/*
 * page_tree_cache_get_stats - a consistent snapshot of CACHE's counts. Any context where the
 * cache lock's rank may be taken; never allocates.
 */
void page_tree_cache_get_stats(struct page_tree_cache *cache, struct page_tree_cache_stats *out);
