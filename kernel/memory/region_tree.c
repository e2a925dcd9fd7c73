/*
 * The region tree (region_tree.h): a red-black tree after CLRS, with parent pointers and NULL
 * leaves, augmented with gap and max_gap.
 *
 * Keeping the augmentation right: a node's max_gap depends only on its own gap and its children's
 * max_gap, so it is recomputed bottom-up wherever the shape changes (a link, a splice, each
 * rotation). A node's gap depends on its predecessor, which only changes for the successor of a
 * region that comes or goes; that successor's gap is set before the link or splice, and it lies
 * on the path from the link or splice point to the root (an ancestor, or the node that takes the
 * removed one's place; the one exception is fixed first), so one walk up that path, propagate(),
 * fixes every max_gap, stopping early only once the successor is behind it. Rotations keep a
 * subtree's max_gap at its top; recolouring never touches the augmentation.
 */
#include "kernel/memory/region_tree.h"

#include <stddef.h>

#include "kernel/panic.h"

#define RED   0u
#define BLACK 1u

#ifdef QUIRE_HOST_TEST
uint64_t region_tree_visits;
#define VISIT() (region_tree_visits++)
#else
#define VISIT() ((void)0)
#endif

_Static_assert(_Alignof(struct region_node) >= 2, "region_node: bit 0 of the parent holds colour");

static struct region_node *parent_of(const struct region_node *n)
{
	return (struct region_node *)(n->parent_color & ~(uintptr_t)1);
}

static unsigned color_of(const struct region_node *n)
{
	return (unsigned)(n->parent_color & 1);
}

/* NULL leaves are black. */
static bool is_red(const struct region_node *n)
{
	return n != NULL && color_of(n) == RED;
}

static void set_parent(struct region_node *n, struct region_node *p)
{
	n->parent_color = (uintptr_t)p | color_of(n);
}

static void set_color(struct region_node *n, unsigned color)
{
	n->parent_color = (n->parent_color & ~(uintptr_t)1) | color;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* A subtree's max_gap; an empty subtree has none (0). */
static uint64_t subtree_max(const struct region_node *n)
{
	return n != NULL ? n->max_gap : 0;
}

static void recompute(struct region_node *n)
{
	n->max_gap = max_u64(n->gap, max_u64(subtree_max(n->left), subtree_max(n->right)));
}

/* P's max_gap from its own gap, the max_gap of its child C and that of its other child. */
static uint64_t from_child(const struct region_node *p, const struct region_node *c)
{
	const struct region_node *sibling = p->left == c ? p->right : p->left;

	return max_u64(p->gap, max_u64(c->max_gap, subtree_max(sibling)));
}

/*
 * Recomputes max_gap from N up to the root, after a change confined to the path from N up:
 * nodes linked or unlinked below N, and at most one node on the path, CHANGED (or NULL), whose
 * own gap or position changed. Its max_gap must hold the value of its position before the change.
 * Up to CHANGED every node is recomputed. From there on every change lies at or below the walk,
 * so a node whose max_gap comes out unchanged leaves every ancestor unchanged too, and the walk
 * stops there. (Below CHANGED it must not stop: a node there may come out unchanged while CHANGED
 * did change.) Each step up recomputes the parent from the child just done and its sibling.
 */
static void propagate(struct region_node *n, const struct region_node *changed)
{
	struct region_node *p;
	uint64_t old;

	if (n == NULL)
		return;
	old = n->max_gap;
	recompute(n);
	while (changed != NULL && n != changed) { /* CHANGED is an ancestor: P exists */
		p = parent_of(n);
		old = p->max_gap;
		p->max_gap = from_child(p, n);
		n = p;
	}
	while (n->max_gap != old && (p = parent_of(n)) != NULL) {
		old = p->max_gap;
		p->max_gap = from_child(p, n);
		n = p;
	}
}

static void replace_child(struct region_tree *tree, struct region_node *parent,
			  struct region_node *old, struct region_node *new)
{
	if (parent == NULL)
		tree->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

/* X's right child takes X's place; X becomes its left child. */
static void rotate_left(struct region_tree *tree, struct region_node *x)
{
	struct region_node *y = x->right;

	x->right = y->left;
	if (y->left != NULL)
		set_parent(y->left, x);
	set_parent(y, parent_of(x));
	replace_child(tree, parent_of(x), x, y);
	y->left = x;
	set_parent(x, y);
	recompute(x);
	recompute(y);
}

static void rotate_right(struct region_tree *tree, struct region_node *x)
{
	struct region_node *y = x->left;

	x->left = y->right;
	if (y->right != NULL)
		set_parent(y->right, x);
	set_parent(y, parent_of(x));
	replace_child(tree, parent_of(x), x, y);
	y->right = x;
	set_parent(x, y);
	recompute(x);
	recompute(y);
}

static void insert_fixup(struct region_tree *tree, struct region_node *z)
{
	struct region_node *p;

	while ((p = parent_of(z)) != NULL && is_red(p)) {
		struct region_node *g = parent_of(p); /* exists: a red node is never the root */
		bool left = p == g->left;
		struct region_node *uncle = left ? g->right : g->left;

		if (is_red(uncle)) {
			set_color(p, BLACK);
			set_color(uncle, BLACK);
			set_color(g, RED);
			z = g;
			continue;
		}
		if (z == (left ? p->right : p->left)) {
			if (left)
				rotate_left(tree, p);
			else
				rotate_right(tree, p);
			z = p;
			p = parent_of(z);
		}
		set_color(p, BLACK);
		set_color(g, RED);
		if (left)
			rotate_right(tree, g);
		else
			rotate_left(tree, g);
	}
	set_color(tree->root, BLACK);
}

/*
 * Gives SUCC (NODE's successor, if any) its new gap, links NODE (base, size and gap set) below
 * PARENT, as its left child if LEFT, updates max_gap in one walk up and rebalances. SUCC is PARENT
 * or one of its ancestors (NODE's in-order neighbours are its parent and an ancestor), so that
 * walk passes it.
 */
static void insert(struct region_tree *tree, struct region_node *node, struct region_node *parent,
		   bool left, struct region_node *succ, uint64_t succ_gap)
{
	node->left = node->right = NULL;
	node->max_gap = node->gap;
	node->parent_color = (uintptr_t)parent | RED;
	if (succ != NULL)
		succ->gap = succ_gap;
	if (parent == NULL)
		tree->root = node;
	else if (left)
		parent->left = node;
	else
		parent->right = node;
	propagate(parent, succ);
	insert_fixup(tree, node);
	tree->count++;
}

void region_tree_init(struct region_tree *tree, uint64_t lo, uint64_t hi)
{
	kassert(lo < hi);
	kassert(lo % REGION_TREE_PAGE == 0 && hi % REGION_TREE_PAGE == 0);
	tree->lo = lo;
	tree->hi = hi;
	tree->root = NULL;
	tree->count = 0;
}

kerr_t region_tree_place_at(struct region_tree *tree, struct region_node *node, uint64_t base,
			    uint64_t size)
{
	struct region_node *n = tree->root, *parent = NULL, *pred = NULL, *succ = NULL;
	bool left = false;

	if (size == 0 || base % REGION_TREE_PAGE != 0 || size % REGION_TREE_PAGE != 0)
		return KERR_INVALID;
	if (base < tree->lo || base >= tree->hi || size > tree->hi - base)
		return KERR_INVALID;
	/* The last node we go right from is the predecessor, the last we go left from the successor. */
	while (n != NULL) {
		VISIT();
		parent = n;
		left = base < n->base;
		if (left) {
			succ = n;
			n = n->left;
		} else {
			pred = n;
			n = n->right;
		}
	}
	if (pred != NULL && region_node_end(pred) > base)
		return KERR_EXISTS;
	if (succ != NULL && succ->base < base + size)
		return KERR_EXISTS;
	node->base = base;
	node->size = size;
	node->gap = base - (pred != NULL ? region_node_end(pred) : tree->lo);
	insert(tree, node, parent, left, succ, succ != NULL ? succ->base - (base + size) : 0);
	return KERR_OK;
}

/* Whether [B, B + SIZE) fits in [START, END) for B the first multiple of ALIGN from START. */
static bool fits(uint64_t start, uint64_t end, uint64_t size, uint64_t align, uint64_t *b)
{
	uint64_t base = start & ~(align - 1);

	if (base < start) {
		base += align;
		if (base == 0) /* wrapped past 2^64 */
			return false;
	}
	*b = base;
	return base <= end && end - base >= size;
}

/*
 * The lowest node whose gap (the hole just below it) holds SIZE bytes at ALIGN, with the base in
 * *B; NULL if none does. An in-order walk that skips every subtree whose max_gap is below SIZE.
 * When a subtree passes that filter only alignment can make it fail, so with ALIGN at a page the
 * walk goes straight down and never climbs.
 */
static struct region_node *lowest_fit(const struct region_tree *tree, uint64_t size, uint64_t align,
				      uint64_t *b)
{
	struct region_node *n = tree->root;

	if (n == NULL || n->max_gap < size)
		return NULL;
	VISIT();
	for (;;) {
		while (n->left != NULL && n->left->max_gap >= size) {
			n = n->left;
			VISIT();
		}
		/* Everything below N in address order has been ruled out: try N, then above it. */
		for (;;) {
			struct region_node *child;

			if (n->gap >= size && fits(n->base - n->gap, n->base, size, align, b))
				return n;
			if (n->right != NULL && n->right->max_gap >= size) {
				n = n->right;
				VISIT();
				break;
			}
			do {
				child = n;
				n = parent_of(n);
				if (n == NULL)
					return NULL;
				VISIT();
			} while (n->right == child);
		}
	}
}

kerr_t region_tree_place_anywhere(struct region_tree *tree, struct region_node *node, uint64_t size,
				  uint64_t align, uint64_t *base_out)
{
	struct region_node *succ, *last;
	uint64_t b;

	if (size == 0 || size % REGION_TREE_PAGE != 0)
		return KERR_INVALID;
	if (align < REGION_TREE_PAGE || (align & (align - 1)) != 0)
		return KERR_INVALID;
	succ = lowest_fit(tree, size, align, &b);
	if (succ != NULL) {
		struct region_node *parent = succ->left;
		uint64_t start = succ->base - succ->gap;

		/* The new node goes just before SUCC: its left child, or the rightmost below that. */
		if (parent != NULL) {
			while (parent->right != NULL) {
				parent = parent->right;
				VISIT();
			}
		}
		node->base = b;
		node->size = size;
		node->gap = b - start;
		insert(tree, node, parent != NULL ? parent : succ, parent == NULL, succ,
		       succ->base - (b + size));
		*base_out = b;
		return KERR_OK;
	}
	/* No hole between regions fits: try the space above the last one. */
	last = region_tree_last(tree);
	if (!fits(last != NULL ? region_node_end(last) : tree->lo, tree->hi, size, align, &b))
		return KERR_NO_MEMORY;
	node->base = b;
	node->size = size;
	node->gap = b - (last != NULL ? region_node_end(last) : tree->lo);
	insert(tree, node, last, false, NULL, 0);
	*base_out = b;
	return KERR_OK;
}

/* Restores the black height after a black node left the path to N (maybe NULL) below PARENT. */
static void remove_fixup(struct region_tree *tree, struct region_node *n,
			 struct region_node *parent)
{
	while (n != tree->root && !is_red(n)) {
		bool left = n == parent->left;
		/* Exists and is real: the sibling's side has a black height of at least one. */
		struct region_node *w = left ? parent->right : parent->left;

		if (is_red(w)) {
			set_color(w, BLACK);
			set_color(parent, RED);
			if (left)
				rotate_left(tree, parent);
			else
				rotate_right(tree, parent);
			w = left ? parent->right : parent->left;
		}
		if (!is_red(w->left) && !is_red(w->right)) {
			set_color(w, RED);
			n = parent;
			parent = parent_of(n);
			continue;
		}
		if (!is_red(left ? w->right : w->left)) {
			set_color(left ? w->left : w->right, BLACK);
			set_color(w, RED);
			if (left)
				rotate_right(tree, w);
			else
				rotate_left(tree, w);
			w = left ? parent->right : parent->left;
		}
		set_color(w, color_of(parent));
		set_color(parent, BLACK);
		set_color(left ? w->right : w->left, BLACK);
		if (left)
			rotate_left(tree, parent);
		else
			rotate_right(tree, parent);
		n = tree->root;
		break;
	}
	if (n != NULL)
		set_color(n, BLACK);
}

void region_tree_remove(struct region_tree *tree, struct region_node *x)
{
	struct region_node *succ = region_tree_next(x), *child, *parent;
	unsigned removed_color;

	kassert(tree->count > 0);
	kassert(parent_of(x) != NULL ? parent_of(x)->left == x || parent_of(x)->right == x
				     : tree->root == x);
	/* The hole below X's successor swallows X and the hole below X. Its max_gap is fixed by the
	 * one walk up below, which passes it (or by the loop for a successor below X's place). */
	if (succ != NULL)
		succ->gap += x->gap + x->size;
	if (x->left == NULL || x->right == NULL) {
		child = x->left != NULL ? x->left : x->right;
		parent = parent_of(x);
		removed_color = color_of(x);
		replace_child(tree, parent, x, child);
		if (child != NULL)
			set_parent(child, parent);
		if (x->right != NULL) {
			/* SUCC is in CHILD's subtree, now in X's place: below the walk from PARENT. Fix it
			 * and its ancestors up to CHILD (in a red-black tree CHILD is a red leaf: SUCC). */
			for (struct region_node *n = succ; n != child; n = parent_of(n))
				recompute(n);
			recompute(child);
			succ = NULL; /* done: the walk from PARENT may stop early at once */
		}
	} else {
		/* Two children: the successor, leftmost on the right, takes X's place and colour. */
		struct region_node *y = succ;

		removed_color = color_of(y);
		child = y->right;
		if (parent_of(y) == x) {
			parent = y;
		} else {
			parent = parent_of(y);
			parent->left = child;
			if (child != NULL)
				set_parent(child, parent);
			y->right = x->right;
			set_parent(x->right, y);
		}
		y->left = x->left;
		set_parent(x->left, y);
		y->parent_color = x->parent_color;
		y->max_gap = x->max_gap; /* the old value of the place Y takes, for propagate() */
		replace_child(tree, parent_of(x), x, y);
	}
	/* Every node whose subtree changed is on the path up from PARENT, and so is SUCC when not
	 * done above (an ancestor of X, or Y in X's place). */
	propagate(parent, succ);
	if (removed_color == BLACK)
		remove_fixup(tree, child, parent);
	tree->count--;
	x->parent_color = 0;
	x->left = x->right = NULL;
}

struct region_node *region_tree_find(const struct region_tree *tree, uint64_t addr)
{
	struct region_node *n = tree->root;

	while (n != NULL) {
		VISIT();
		if (addr < n->base)
			n = n->left;
		else if (addr - n->base < n->size)
			return n;
		else
			n = n->right;
	}
	return NULL;
}

struct region_node *region_tree_find_first_at_or_after(const struct region_tree *tree,
						       uint64_t addr)
{
	struct region_node *n = tree->root, *best = NULL;

	/* Regions do not overlap, so their ends are in the same order as their bases. */
	while (n != NULL) {
		VISIT();
		if (region_node_end(n) > addr) {
			best = n;
			if (n->base <= addr)
				return n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

struct region_node *region_tree_first(const struct region_tree *tree)
{
	struct region_node *n = tree->root;

	while (n != NULL && n->left != NULL)
		n = n->left;
	return n;
}

struct region_node *region_tree_last(const struct region_tree *tree)
{
	struct region_node *n = tree->root;

	while (n != NULL && n->right != NULL) {
		VISIT();
		n = n->right;
	}
	return n;
}

struct region_node *region_tree_next(const struct region_node *node)
{
	const struct region_node *n = node;
	struct region_node *p;

	if (n->right != NULL) {
		p = n->right;
		while (p->left != NULL)
			p = p->left;
		return p;
	}
	while ((p = parent_of(n)) != NULL && n == p->right)
		n = p;
	return p;
}

struct region_node *region_tree_prev(const struct region_node *node)
{
	const struct region_node *n = node;
	struct region_node *p;

	if (n->left != NULL) {
		p = n->left;
		while (p->right != NULL)
			p = p->right;
		return p;
	}
	while ((p = parent_of(n)) != NULL && n == p->left)
		n = p;
	return p;
}

struct check_state {
	const struct region_tree *tree;
	uint64_t prev_end; /* end of the last region seen in order, lo at first */
	uint64_t count;
};

/* Checks N's subtree in order; *BLACK_HEIGHT gets its black height (NULL leaves count one). */
static const char *check_node(struct check_state *st, const struct region_node *n,
			      const struct region_node *parent, unsigned depth,
			      unsigned *black_height)
{
	const char *err;
	unsigned lbh, rbh;
	uint64_t max;

	if (n == NULL) {
		*black_height = 1;
		return NULL;
	}
	if (depth > 128)
		return "tree deeper than 128 (a cycle?)";
	if (parent_of(n) != parent)
		return "parent link wrong";
	if (is_red(n) && (is_red(n->left) || is_red(n->right)))
		return "red node with a red child";
	err = check_node(st, n->left, n, depth + 1, &lbh);
	if (err != NULL)
		return err;
	if (n->size == 0 || n->base % REGION_TREE_PAGE != 0 || n->size % REGION_TREE_PAGE != 0)
		return "region empty or not page-aligned";
	if (n->base < st->prev_end)
		return "regions out of order, overlapping or below lo";
	if (n->base >= st->tree->hi || n->size > st->tree->hi - n->base)
		return "region past hi";
	if (n->gap != n->base - st->prev_end)
		return "gap is not the space since the previous region";
	st->prev_end = region_node_end(n);
	st->count++;
	err = check_node(st, n->right, n, depth + 1, &rbh);
	if (err != NULL)
		return err;
	if (lbh != rbh)
		return "black heights of two paths differ";
	max = n->gap;
	if (n->left != NULL && n->left->max_gap > max)
		max = n->left->max_gap;
	if (n->right != NULL && n->right->max_gap > max)
		max = n->right->max_gap;
	if (n->max_gap != max)
		return "max_gap is not the largest gap in the subtree";
	*black_height = lbh + (color_of(n) == BLACK ? 1 : 0);
	return NULL;
}

const char *region_tree_check(const struct region_tree *tree)
{
	struct check_state st = {.tree = tree, .prev_end = tree->lo, .count = 0};
	unsigned bh;
	const char *err;

	if (tree->lo >= tree->hi || tree->lo % REGION_TREE_PAGE != 0 ||
	    tree->hi % REGION_TREE_PAGE != 0)
		return "range [lo, hi) empty or not page-aligned";
	if (is_red(tree->root))
		return "red root";
	err = check_node(&st, tree->root, NULL, 0, &bh);
	if (err != NULL)
		return err;
	if (st.count != tree->count)
		return "count differs from the regions in the tree";
	return NULL;
}
