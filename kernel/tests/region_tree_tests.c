/*
 * Built-in tests of the region tree (kernel/memory/region_tree.c), compiled for the kernel: the
 * host's differential test in small, against a sorted array of intervals, with statically
 * allocated nodes so that no allocator is needed, and every invariant checked after every step.
 */
#include "kernel/ktest.h"
#include "kernel/lib/string.h"
#include "kernel/memory/region_tree.h"

#define P     REGION_TREE_PAGE
#define POOL  96u
#define STEPS 4000u
#define LO    0x400000ull
#define HI    (LO + 512 * P)

struct mapping {
	uint64_t tag;
	struct region_node node;
};

struct interval {
	uint64_t base, size;
	unsigned slot;
};

static struct mapping nodes[POOL];
static bool used[POOL];
static struct interval model[POOL];
static unsigned model_n;
static uint64_t rng_state;

static uint64_t rng_below(uint64_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 0x2545f4914f6cdd1dull) % n;
}

static bool model_fits(uint64_t start, uint64_t end, uint64_t size, uint64_t align, uint64_t *b)
{
	uint64_t pad = start % align == 0 ? 0 : align - start % align;

	if (start + pad > end || end - (start + pad) < size)
		return false;
	*b = start + pad;
	return true;
}

static bool model_lowest(uint64_t size, uint64_t align, uint64_t *b)
{
	uint64_t start = LO;

	for (unsigned i = 0; i < model_n; i++) {
		if (model_fits(start, model[i].base, size, align, b))
			return true;
		start = model[i].base + model[i].size;
	}
	return model_fits(start, HI, size, align, b);
}

static unsigned model_first_after(uint64_t addr)
{
	unsigned i = 0;

	while (i < model_n && model[i].base + model[i].size <= addr)
		i++;
	return i;
}

static void model_insert(uint64_t base, uint64_t size, unsigned slot)
{
	unsigned i = model_first_after(base);

	memmove(&model[i + 1], &model[i], (model_n - i) * sizeof(model[0]));
	model[i] = (struct interval){.base = base, .size = size, .slot = slot};
	model_n++;
}

static int free_slot(void)
{
	for (unsigned i = 0; i < POOL; i++)
		if (!used[i])
			return (int)i;
	return -1;
}

KTEST(region_tree_differential)
{
	static const uint64_t aligns[] = {P, P, P, 2 * P, 8 * P, 64 * P};
	struct region_tree tree;
	unsigned placed = 0, refused = 0;

	memset(used, 0, sizeof(used));
	model_n = 0;
	rng_state = 0x9e3779b97f4a7c15ull;
	region_tree_init(&tree, LO, HI);
	for (unsigned s = 0; s < STEPS; s++) {
		uint64_t r = rng_below(100), size = (1 + rng_below(rng_below(4) == 0 ? 32 : 4)) * P;
		int slot = free_slot();
		const char *err;

		if (slot < 0 || r < 40) {
			if (model_n > 0) {
				unsigned i = (unsigned)rng_below(model_n);
				region_tree_remove(&tree, &nodes[model[i].slot].node);
				used[model[i].slot] = false;
				memmove(&model[i], &model[i + 1],
					(model_n - i - 1) * sizeof(model[0]));
				model_n--;
			}
		} else if (r < 75) {
			uint64_t align = aligns[rng_below(ARRAY_SIZE(aligns))], want = 0, got = 0;
			bool fits = model_lowest(size, align, &want);
			kerr_t e =
			    region_tree_place_anywhere(&tree, &nodes[slot].node, size, align, &got);

			if (!kexpectf(e == (fits ? KERR_OK : KERR_NO_MEMORY) && got == want,
				      "step %u: place_anywhere %#llx align %#llx: %s at %#llx, "
				      "want %#llx",
				      s, (unsigned long long)size, (unsigned long long)align,
				      kerr_name(e), (unsigned long long)got,
				      (unsigned long long)want))
				return;
			if (fits) {
				used[slot] = true;
				model_insert(want, size, (unsigned)slot);
				placed++;
			} else {
				refused++;
			}
		} else if (r < 90) {
			uint64_t base = LO + rng_below(HI - LO + 2 * P) / P * P;
			unsigned i = model_first_after(base);
			kerr_t want = base + size > HI                             ? KERR_INVALID
				      : i < model_n && model[i].base < base + size ? KERR_EXISTS
										   : KERR_OK;
			kerr_t e = region_tree_place_at(&tree, &nodes[slot].node, base, size);

			if (!kexpectf(e == want, "step %u: place_at %#llx+%#llx: %s, want %s", s,
				      (unsigned long long)base, (unsigned long long)size,
				      kerr_name(e), kerr_name(want)))
				return;
			if (e == KERR_OK) {
				used[slot] = true;
				model_insert(base, size, (unsigned)slot);
			}
		} else {
			uint64_t addr = LO + rng_below(HI - LO);
			unsigned i = model_first_after(addr);
			struct region_node *want = i < model_n ? &nodes[model[i].slot].node : NULL;

			kexpect(region_tree_find_first_at_or_after(&tree, addr) == want);
			kexpect(region_tree_find(&tree, addr) ==
				(want != NULL && want->base <= addr ? want : NULL));
		}
		err = region_tree_check(&tree);
		if (!kexpectf(err == NULL, "step %u: %s", s, err))
			return;
		if (!kexpect_eq(tree.count, model_n))
			return;
	}
	/* The in-order walk is the model, and emptying the tree leaves it valid. */
	unsigned i = 0;
	for (struct region_node *n = region_tree_first(&tree); n != NULL; n = region_tree_next(n))
		kexpect(i < model_n && n == &nodes[model[i++].slot].node);
	kexpect_eq(i, model_n);
	while (tree.root != NULL)
		region_tree_remove(&tree, tree.root);
	kexpect(region_tree_check(&tree) == NULL);
	kexpect_eq(tree.count, 0);
	kexpectf(placed > 100 && refused > 0, "placed %u, refused %u: the mix exercises too little",
		 placed, refused);
}
