/*
 * The page tree; see page_tree.h for the model and the rules.
 *
 * A node covers [base, base + (64 << shift)); slot d holds what covers the sub-range of digit d at
 * shift, and bit d of present says whether it is occupied. Because of path compression a
 * descent uses each node's own shift to pick the next slot and checks only at the leaf that the
 * index really is in its range: an inner node on the way that does not cover the index leads to
 * a leaf that does not either, so one comparison at the end answers for the whole path.
 */
#include "kernel/memory/page_tree.h"

#include <stddef.h>

#include "kernel/lib/compiler.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"

struct page_tree_node {
	uint64_t base;    /* first index covered; its low shift + 6 bits are zero */
	uint64_t present; /* bit d: slots[d] is not NULL */
	uint8_t shift;    /* 0 in a leaf (slots hold values); 6, 12, ..., 30 in an inner node */
	union {
		struct page_tree_node *child; /* inner nodes */
		void *value;                  /* leaves */
	} slots[PAGE_TREE_SLOTS];
} ALIGNED(64);
_Static_assert(sizeof(struct page_tree_node) == PAGE_TREE_NODE_SIZE, "node size changed");

/* The last index of the range of a node at SHIFT, relative to its base. */
static uint64_t span_mask(unsigned shift)
{
	return ((uint64_t)PAGE_TREE_SLOTS << shift) - 1;
}

static unsigned digit(uint64_t index, unsigned shift)
{
	return (unsigned)(index >> shift) & (PAGE_TREE_SLOTS - 1);
}

static bool covers(const struct page_tree_node *node, uint64_t index)
{
	return (index & ~span_mask(node->shift)) == node->base;
}

/* Bits LO..HI (LO <= HI <= 63) set. */
static uint64_t bit_range(unsigned lo, unsigned hi)
{
	return (~0ull << lo) & (~0ull >> (63 - hi));
}

static void set_child(struct page_tree_node *node, unsigned d, struct page_tree_node *child)
{
	node->slots[d].child = child;
	node->present |= 1ull << d;
}

static void set_value(struct page_tree_node *leaf, unsigned d, void *value)
{
	leaf->slots[d].value = value;
	leaf->present |= 1ull << d;
}

static void slot_clear(struct page_tree_node *node, unsigned d)
{
	node->slots[d].value = NULL;
	node->present &= ~(1ull << d);
}

void page_tree_init(struct page_tree *tree, struct page_tree_cache *cache)
{
	kassert(cache != NULL);
	*tree = (struct page_tree){.root = NULL, .cache = cache};
}

void *page_tree_lookup(const struct page_tree *tree, uint64_t index)
{
	const struct page_tree_node *node = tree->root;

	kassert(index < PAGE_TREE_INDEX_LIMIT);
	while (node != NULL && node->shift != 0)
		node = node->slots[digit(index, node->shift)].child;
	if (node == NULL || !covers(node, index))
		return NULL;
	return node->slots[digit(index, 0)].value;
}

/* ---- preparation ---- */

kerr_t page_tree_prepare(const struct page_tree *tree, struct page_tree_prep *prep)
{
	unsigned had = prep->count;

	kassert(prep->count <= PAGE_TREE_PREP_NODES);
	kassert(prep->cache == NULL || prep->count == 0 || prep->cache == tree->cache);
	if (prep->count == 0)
		prep->cache = tree->cache;
	while (prep->count < PAGE_TREE_PREP_NODES) {
		struct page_tree_node *node = page_tree_cache_alloc(tree->cache);
		if (node == NULL)
			goto undo;
		memset(node, 0, sizeof(*node)); /* here, so that insertion under a lock needn't */
		prep->nodes[prep->count++] = node;
	}
	return KERR_OK;

undo:
	while (prep->count > had)
		page_tree_cache_free(prep->cache, prep->nodes[--prep->count]);
	return KERR_NO_MEMORY;
}

void page_tree_prep_release(struct page_tree_prep *prep)
{
	kassert(prep->count <= PAGE_TREE_PREP_NODES);
	while (prep->count > 0)
		page_tree_cache_free(prep->cache, prep->nodes[--prep->count]);
}

/* A zeroed node from PREP, set up to cover INDEX at SHIFT. */
static struct page_tree_node *take(struct page_tree *tree, struct page_tree_prep *prep,
				   uint64_t index, unsigned shift)
{
	kassert(prep->count > 0);
	struct page_tree_node *node = prep->nodes[--prep->count];

	prep->nodes[prep->count] = NULL;
	node->base = index & ~span_mask(shift);
	node->shift = (uint8_t)shift;
	tree->nodes++;
	return node;
}

static void give_back(struct page_tree *tree, struct page_tree_node *node)
{
	tree->nodes--;
	page_tree_cache_free(tree->cache, node);
}

/*
 * INDEX is outside OLD's range: puts a new inner node at the highest digit where INDEX and OLD's
 * base differ in place of OLD (*LINK), with OLD and a new leaf for INDEX as its two children.
 * Returns the leaf.
 */
static struct page_tree_node *split(struct page_tree *tree, struct page_tree_prep *prep,
				    struct page_tree_node **link, uint64_t index)
{
	struct page_tree_node *old = *link;
	unsigned top = 63u - (unsigned)__builtin_clzll(index ^ old->base);
	unsigned shift = top / PAGE_TREE_BITS * PAGE_TREE_BITS;

	kassert(shift > old->shift && shift < PAGE_TREE_BITS * PAGE_TREE_LEVELS);
	struct page_tree_node *inner = take(tree, prep, index, shift);
	struct page_tree_node *leaf = take(tree, prep, index, 0);

	set_child(inner, digit(old->base, shift), old);
	set_child(inner, digit(index, shift), leaf);
	*link = inner; /* the parent's present bit, if any, stays set */
	return leaf;
}

kerr_t page_tree_insert(struct page_tree *tree, uint64_t index, void *value,
			struct page_tree_prep *prep)
{
	struct page_tree_node **link = &tree->root;
	struct page_tree_node *node, *parent = NULL;

	kassert(index < PAGE_TREE_INDEX_LIMIT && value != NULL);
	kassert(prep->cache == tree->cache && prep->count == PAGE_TREE_PREP_NODES);
	for (;;) {
		node = *link;
		if (node == NULL) {
			node = take(tree, prep, index, 0);
			if (parent != NULL)
				set_child(parent, digit(index, parent->shift), node);
			else
				tree->root = node;
		} else if (!covers(node, index)) {
			node = split(tree, prep, link, index);
		}
		if (node->shift == 0)
			break;
		parent = node;
		link = &node->slots[digit(index, node->shift)].child;
	}
	unsigned d = digit(index, 0);
	if (node->present & (1ull << d))
		return KERR_EXISTS; /* node is an existing leaf: nothing was taken from PREP */
	set_value(node, d, value);
	tree->count++;
	return KERR_OK;
}

/* ---- removal ---- */

void *page_tree_remove(struct page_tree *tree, uint64_t index)
{
	struct page_tree_node **link = &tree->root, **parent_link = NULL;
	struct page_tree_node *node, *parent = NULL;

	kassert(index < PAGE_TREE_INDEX_LIMIT);
	while ((node = *link) != NULL && node->shift != 0) {
		parent_link = link;
		parent = node;
		link = &node->slots[digit(index, node->shift)].child;
	}
	if (node == NULL || !covers(node, index))
		return NULL;
	unsigned d = digit(index, 0);
	void *old = node->slots[d].value;
	if (old == NULL)
		return NULL;
	slot_clear(node, d);
	tree->count--;
	if (node->present != 0)
		return old;

	/* The leaf is empty: unlink and free it. */
	if (parent == NULL) {
		tree->root = NULL;
		give_back(tree, node);
		return old;
	}
	slot_clear(parent, digit(index, parent->shift));
	give_back(tree, node);
	/* The parent had two children or more; with one left, that child takes its place. */
	if ((parent->present & (parent->present - 1)) != 0)
		return old;
	kassert(parent->present != 0);
	unsigned only = (unsigned)__builtin_ctzll(parent->present);
	*parent_link = parent->slots[only].child;
	slot_clear(parent, only);
	give_back(tree, parent);
	return old;
}

/* ---- iteration ---- */

/* The first value in NODE's subtree with an index in [FIRST, LAST]; its index in *FOUND. */
static void *next_in(const struct page_tree_node *node, uint64_t first, uint64_t last,
		     uint64_t *found)
{
	uint64_t end = node->base + span_mask(node->shift);

	if (node->base > last || end < first)
		return NULL;
	unsigned lo = first <= node->base ? 0 : digit(first, node->shift);
	unsigned hi = last >= end ? PAGE_TREE_SLOTS - 1 : digit(last, node->shift);
	uint64_t bits = node->present & bit_range(lo, hi);

	while (bits != 0) {
		unsigned d = (unsigned)__builtin_ctzll(bits);
		bits &= bits - 1;
		if (node->shift == 0) {
			*found = node->base + d;
			return node->slots[d].value;
		}
		/* Only the children at lo and hi can miss; the depth is at most six. */
		void *value = next_in(node->slots[d].child, first, last, found);
		if (value != NULL)
			return value;
	}
	return NULL;
}

void *page_tree_next(const struct page_tree *tree, uint64_t *index, uint64_t last)
{
	uint64_t found;
	void *value;

	if (tree->root == NULL || *index > last)
		return NULL;
	value = next_in(tree->root, *index, last, &found);
	if (value != NULL)
		*index = found;
	return value;
}

void page_tree_for_each(struct page_tree *tree, uint64_t first, uint64_t last,
			page_tree_visit_fn fn, void *arg)
{
	uint64_t index = first;
	void *value;

	while ((value = page_tree_next(tree, &index, last)) != NULL) {
		if (!fn(index, value, arg) || index == last)
			return;
		index++;
	}
}

/* ---- destruction ---- */

static void destroy_node(struct page_tree *tree, struct page_tree_node *node, page_tree_free_fn fn,
			 void *arg)
{
	uint64_t bits = node->present;

	while (bits != 0) {
		unsigned d = (unsigned)__builtin_ctzll(bits);
		bits &= bits - 1;
		if (node->shift != 0)
			destroy_node(tree, node->slots[d].child, fn, arg); /* depth at most six */
		else if (fn != NULL)
			fn(node->base + d, node->slots[d].value, arg);
	}
	give_back(tree, node);
}

void page_tree_destroy(struct page_tree *tree, page_tree_free_fn fn, void *arg)
{
	struct page_tree_node *root = tree->root;

	tree->root = NULL;
	if (root != NULL)
		destroy_node(tree, root, fn, arg);
	kassert(tree->nodes == 0);
	tree->count = 0;
}

uint64_t page_tree_count(const struct page_tree *tree)
{
	return tree->count;
}

uint64_t page_tree_node_count(const struct page_tree *tree)
{
	return tree->nodes;
}

/* ---- invariants ---- */

struct check_totals {
	uint64_t values, nodes;
};

static void check_node(const struct page_tree_node *node, struct check_totals *t)
{
	kassert(node->shift % PAGE_TREE_BITS == 0 &&
		node->shift < PAGE_TREE_BITS * PAGE_TREE_LEVELS);
	kassert((node->base & span_mask(node->shift)) == 0);
	kassert(node->base + span_mask(node->shift) < PAGE_TREE_INDEX_LIMIT);
	t->nodes++;
	for (unsigned d = 0; d < PAGE_TREE_SLOTS; d++) {
		const struct page_tree_node *child = node->slots[d].child;
		kassert((child != NULL) == ((node->present >> d) & 1));
		if (child == NULL)
			continue;
		if (node->shift == 0) {
			t->values++;
			continue;
		}
		kassert(child->shift < node->shift); /* ranges nest, in the right slot: */
		kassert((child->base & ~span_mask(node->shift)) == node->base);
		kassert(digit(child->base, node->shift) == d);
		check_node(child, t);
	}
	/* A leaf holds a value; an inner node branches (else its child would take its place). */
	if (node->shift == 0)
		kassert(node->present != 0);
	else
		kassert((node->present & (node->present - 1)) != 0);
}

void page_tree_check(const struct page_tree *tree)
{
	struct check_totals t = {0, 0};

	if (tree->root != NULL)
		check_node(tree->root, &t);
	kassert(t.values == tree->count);
	kassert(t.nodes == tree->nodes);
}
