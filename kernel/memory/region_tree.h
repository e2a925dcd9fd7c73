/*
 * The region tree: the mappings of one address space, ordered by base address.
 *
 * Model: an intrusive red-black tree. The caller embeds a struct region_node in its mapping record
 * and gets the record back with container_of(); the tree never allocates, so a mapping is
 * allocated before the space's lock is taken and inserted under it. Regions are page-aligned,
 * non-empty, never overlap and lie inside the range [lo, hi) the tree was set up with (a user half,
 * the kernel half less its last page).
 *
 * Augmentation: every node keeps `gap`, the free space just below it (its base minus the end of
 * the previous region, or minus lo for the first), and `max_gap`, the largest `gap` in its
 * subtree. The space above the last region (up to hi) belongs to no node; the tree finds it from
 * the rightmost node. max_gap tells a search which subtrees can hold a hole of a given size, so
 * lookup, placing at an address, placing anywhere and removal are all O(log n) (see
 * region_tree_place_anywhere() for the one case alignment makes dearer).
 *
 * Locking: the tree has no lock of its own. Every function here expects the caller to hold the
 * owning vm_space's lock for its whole use of the tree (shared would do for the read-only ones,
 * exclusive for the others) and leaves it held. Nothing here allocates, sleeps or takes a lock,
 * so any context the lock allows is fine.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/kerr.h"

#define REGION_TREE_PAGE 4096ull /* bases, sizes, lo and hi are multiples of this */

/*
 * One region, embedded in the caller's record. The tree owns every field while the node is in a
 * tree; base and size may be read then (they do not change until removal). parent_color holds
 * the parent pointer with the colour in bit 0 (nodes are at least 8-aligned).
 */
struct region_node {
	uintptr_t parent_color;
	struct region_node *left, *right;
	uint64_t base, size;
	uint64_t gap;     /* free bytes between the previous region (or lo) and base */
	uint64_t max_gap; /* the largest gap in this node's subtree */
};

struct region_tree {
	uint64_t lo, hi; /* the managed range [lo, hi) */
	struct region_node *root;
	uint64_t count; /* regions in the tree */
};

/* region_node_end - the first address past NODE's region. */
static inline uint64_t region_node_end(const struct region_node *node)
{
	return node->base + node->size;
}

/*
 * region_tree_init - an empty tree managing [LO, HI). LO < HI, both page-aligned (asserted).
 */
void region_tree_init(struct region_tree *tree, uint64_t lo, uint64_t hi);

/*
 * region_tree_place_anywhere - finds the lowest address B in the tree's range such that
 * [B, B + SIZE) is free and B is a multiple of ALIGN, gives NODE that region and inserts it, in
 * one step. *BASE_OUT gets B. NODE is not in any tree. Errors: KERR_INVALID when SIZE is zero or
 * not page-aligned, or ALIGN is not a power of two >= 4096; KERR_NO_MEMORY when no hole fits (the
 * address space is full, as mmap's ENOMEM); NODE and the tree are untouched on error.
 *
 * Cost: O(log n) when ALIGN is 4096, and whenever every hole below the answer is either smaller
 * than SIZE or large enough at any alignment. max_gap only says a hole of SIZE bytes exists, not
 * that it still fits once its start is rounded up to ALIGN, so each hole below the answer of at
 * least SIZE but less than SIZE + ALIGN - 4096 bytes that alignment defeats costs another
 * O(log n) visits: the worst case (thousands of such holes) is O(n).
 */
kerr_t region_tree_place_anywhere(struct region_tree *tree, struct region_node *node, uint64_t size,
				  uint64_t align, uint64_t *base_out);

/*
 * region_tree_place_at - gives NODE the region [BASE, BASE + SIZE) and inserts it. NODE is not in
 * any tree. O(log n). Errors: KERR_INVALID when SIZE is zero, BASE or SIZE is not page-aligned, or
 * the region wraps or leaves [lo, hi); KERR_EXISTS when it overlaps a region in the tree (touching
 * one is fine). NODE and the tree are untouched on error.
 */
kerr_t region_tree_place_at(struct region_tree *tree, struct region_node *node, uint64_t base,
			    uint64_t size);

/* region_tree_remove - takes NODE, which is in TREE, out of it. O(log n); never fails. */
void region_tree_remove(struct region_tree *tree, struct region_node *node);

/* region_tree_find - the region containing ADDR, or NULL. O(log n). */
struct region_node *region_tree_find(const struct region_tree *tree, uint64_t addr);

/*
 * region_tree_find_first_at_or_after - the lowest region that contains ADDR or lies wholly above
 * it (the lowest whose end is above ADDR), or NULL: where a walk over [ADDR, ...) starts.
 * O(log n).
 */
struct region_node *region_tree_find_first_at_or_after(const struct region_tree *tree,
						       uint64_t addr);

/* region_tree_first / region_tree_last - the lowest / highest region, or NULL. O(log n). */
struct region_node *region_tree_first(const struct region_tree *tree);
struct region_node *region_tree_last(const struct region_tree *tree);

/*
 * region_tree_next / region_tree_prev - the region just above / below NODE (in a tree), or NULL.
 * O(1) amortised over a whole walk, O(log n) at worst.
 */
struct region_node *region_tree_next(const struct region_node *node);
struct region_node *region_tree_prev(const struct region_node *node);

/*
 * region_tree_check - checks every invariant: parent links, the count, order, alignment and
 * range of regions, no overlap, gap and max_gap of every node, a black root, no red node with a
 * red child, the same number of black nodes on every path. Returns NULL when all hold, else a
 * constant string naming the first broken one. O(n), for tests and debugging.
 */
const char *region_tree_check(const struct region_tree *tree);

#ifdef QUIRE_HOST_TEST
/* Host tests only: nodes visited by searches, for checking that costs stay logarithmic. */
extern uint64_t region_tree_visits;
#endif
