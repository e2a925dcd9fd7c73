/*
 * The page tree: a 64-ary radix tree from a page index within an area to a value (the area's
 * struct page *), for indexes in [0, 2^36).
 *
 * Model: an index is six 6-bit digits. A node covers an aligned range of 64 << shift indexes and
 * has 64 slots, one per digit at its shift: a leaf (shift 0) holds values, an inner node (shift 6,
 * 12, ..., 30) holds child nodes. The tree is path-compressed: a child may sit any number of
 * levels below its parent, and each node records the first index it covers, so a tree needs only
 * the nodes where its indexes branch. A tree holding indexes in one 64-aligned block is one leaf
 * (wherever the block is); one holding 0 and 2^36 - 1 is three nodes. Invariants (checked by
 * page_tree_check()): every inner node has at least two children; every leaf at least one value.
 * Lookups descend at most six nodes and compare the leaf's range once at the end.
 *
 * Insertion never allocates. An insertion creates at most PAGE_TREE_PREP_NODES (2) nodes: a leaf
 * and, where its path leaves an existing compressed path, one inner node at the branching digit.
 * So the caller fills a struct page_tree_prep with page_tree_prepare() before it takes its lock,
 * inserts under the lock, and releases what was not used after unlocking (DESIGN.md: allocate
 * first, lock, re-check, back out). Removal frees at most two nodes (an emptied leaf and a parent
 * left with one child, which its child replaces).
 *
 * Locking: the tree has no lock of its own; the owner's lock (the vm_area's) guards every field
 * and must be held across every call below except page_tree_prepare() and
 * page_tree_prep_release(), which only touch the prep and the node cache and must be called with
 * no spinlock held (they may allocate). Removal and destruction give nodes back to the node cache
 * under the owner's lock, so the cache lock ranks above it (page_tree_cache.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/kerr.h"
#include "kernel/memory/page_tree_cache.h"

#define PAGE_TREE_BITS        6u
#define PAGE_TREE_SLOTS       64u
#define PAGE_TREE_LEVELS      6u
#define PAGE_TREE_INDEX_LIMIT (1ull << (PAGE_TREE_BITS * PAGE_TREE_LEVELS)) /* 2^36 pages */
#define PAGE_TREE_PREP_NODES  2u

/* Legend: [O] guarded by the owner's lock; [c] constant after page_tree_init(). */
struct page_tree {
	struct page_tree_node *root;   /* [O] NULL when empty */
	uint64_t count;                /* [O] values held */
	uint64_t nodes;                /* [O] nodes held */
	struct page_tree_cache *cache; /* [c] where the nodes come from */
};

/*
 * Nodes reserved for one insertion. Zero-initialise it ({0}) before its first
 * page_tree_prepare(); it is the caller's (a local), guarded by nothing.
 */
struct page_tree_prep {
	struct page_tree_cache *cache;
	unsigned count;
	struct page_tree_node *nodes[PAGE_TREE_PREP_NODES];
};

/* Called once per value, in ascending index order; returns false to stop. */
typedef bool (*page_tree_visit_fn)(uint64_t index, void *value, void *arg);

/* Called once per value by page_tree_destroy(), in ascending index order. */
typedef void (*page_tree_free_fn)(uint64_t index, void *value, void *arg);

/* page_tree_init - TREE becomes empty, taking its nodes from CACHE. Never fails or allocates. */
void page_tree_init(struct page_tree *tree, struct page_tree_cache *cache);

/*
 * page_tree_lookup - the value at INDEX (< PAGE_TREE_INDEX_LIMIT), or NULL. Owner's lock held;
 * never allocates.
 */
void *page_tree_lookup(const struct page_tree *tree, uint64_t index);

/*
 * page_tree_prepare - tops PREP up to the PAGE_TREE_PREP_NODES nodes that any one insertion into
 * TREE may need, whatever the tree looks like by then. No spinlock held; may allocate (from
 * TREE's node cache); never sleeps. Errors: KERR_NO_MEMORY, with PREP as it was on entry.
 */
kerr_t page_tree_prepare(const struct page_tree *tree, struct page_tree_prep *prep);

/*
 * page_tree_insert - stores VALUE (not NULL) at INDEX (< PAGE_TREE_INDEX_LIMIT), taking new nodes
 * from PREP, which page_tree_prepare(TREE) must have filled since the last insertion that used
 * it. Owner's lock held; never allocates and never fails for lack of memory. Errors:
 * KERR_EXISTS when INDEX holds a value already (the tree and PREP are unchanged).
 */
kerr_t page_tree_insert(struct page_tree *tree, uint64_t index, void *value,
			struct page_tree_prep *prep);

/*
 * page_tree_prep_release - gives the nodes PREP still holds back to the node cache and empties
 * it (it may be prepared again). No spinlock held (it may return a frame to the pmm). Never fails.
 */
void page_tree_prep_release(struct page_tree_prep *prep);

/*
 * page_tree_remove - takes the value at INDEX out of TREE and returns it, or NULL when there was
 * none. Frees the nodes that become unnecessary. Owner's lock held; never allocates.
 */
void *page_tree_remove(struct page_tree *tree, uint64_t index);

/*
 * page_tree_next - the value at the smallest index in [*INDEX, LAST] that holds one, storing that
 * index in *INDEX; NULL (and *INDEX unchanged) when the range holds none. Skips empty subtrees by
 * their bitmaps: O(height) per call. Keeps no state, so the tree may change between calls.
 * Owner's lock held; never allocates.
 */
void *page_tree_next(const struct page_tree *tree, uint64_t *index, uint64_t last);

/*
 * page_tree_for_each - calls FN(index, value, ARG) for every value with an index in [FIRST, LAST],
 * in ascending order, until FN returns false. FN may remove or insert entries (each step finds
 * the next index afresh). Owner's lock held; never allocates itself.
 */
void page_tree_for_each(struct page_tree *tree, uint64_t first, uint64_t last,
			page_tree_visit_fn fn, void *arg);

/*
 * page_tree_destroy - calls FN(index, value, ARG) for every value (when FN is not NULL), in
 * ascending order, frees every node, and leaves TREE empty (usable again). FN must not touch
 * TREE. Owner's lock held or the tree unreachable; never allocates.
 */
void page_tree_destroy(struct page_tree *tree, page_tree_free_fn fn, void *arg);

/* page_tree_count - the number of values in TREE. Owner's lock held. */
uint64_t page_tree_count(const struct page_tree *tree);

/* page_tree_node_count - the number of nodes TREE holds (tests, statistics). Owner's lock held. */
uint64_t page_tree_node_count(const struct page_tree *tree);

/*
 * page_tree_check - walks TREE and panics (names the broken rule) unless every invariant holds:
 * ranges nest, bitmaps match slots, inner nodes have two children or more, leaves a value, the
 * counts are right. Owner's lock held. For tests: O(nodes).
 */
void page_tree_check(const struct page_tree *tree);
