/*
 * Built-in tests of the page tree and its node cache on the real frame allocator: real frames at
 * 256 KiB, 16 MiB, 1 GiB and 64 GiB into one area (and at both ends of the index space) are each
 * found again with their contents; insertion under a spinlock (the allocation-context check would
 * panic if it allocated); and after destroying the tree, freeing its frames from the callback and
 * trimming the cache, the pmm's free count is back where it started.
 */
#include "kernel/ktest.h"
#include "kernel/lib/spinlock.h"
#include "kernel/memory/page_tree.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pmm.h"

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.free;
}

struct freed {
	uint64_t calls;
	bool intact;
};

/* The destroy callback: checks the frame still carries its index, then frees it. */
static void free_frame(uint64_t index, void *value, void *arg)
{
	struct page *pg = value;
	struct freed *f = arg;

	if (*(volatile uint64_t *)pmm_page_to_virt(pg) != index)
		f->intact = false;
	f->calls++;
	pmm_free_page(pg);
}

/* Inserts a fresh zeroed frame tagged with INDEX at INDEX, the way a fault path would. */
static bool insert_frame(struct ktest_ctx *ktest_ctx, struct page_tree *tree,
			 struct spinlock *owner, uint64_t index)
{
	struct page_tree_prep prep = {0};
	struct page *pg = pmm_alloc_page(PAGE_TEST, PMM_ZERO);

	if (!kexpect(pg != NULL))
		return false;
	*(uint64_t *)pmm_page_to_virt(pg) = index;
	if (!kexpect_eq(page_tree_prepare(tree, &prep), KERR_OK)) {
		pmm_free_page(pg);
		return false;
	}
	spin_lock(owner);
	kerr_t err = page_tree_insert(tree, index, pg, &prep);
	spin_unlock(owner);
	page_tree_prep_release(&prep);
	if (!kexpect_eq(err, KERR_OK)) {
		pmm_free_page(pg);
		return false;
	}
	return true;
}

KTEST(page_tree_four_offsets_real_frames)
{
	/* 256 KiB, 16 MiB, 1 GiB and 64 GiB into the area; then the first and the last page. */
	static const uint64_t idx[] = {64, 4096, 262144, 16777216, 0, PAGE_TREE_INDEX_LIMIT - 1};
	static struct page_tree_cache cache;
	struct spinlock owner = SPINLOCK_INIT("page tree test owner", LOCK_RANK_TEST_OUTER);
	struct page_tree tree;
	struct page_tree_cache_stats cs;
	struct freed freed = {0, true};
	uint64_t before = free_frames();

	page_tree_cache_init(&cache, "page tree test cache");
	page_tree_init(&tree, &cache);
	for (unsigned i = 0; i < ARRAY_SIZE(idx); i++)
		if (!insert_frame(ktest_ctx, &tree, &owner, idx[i]))
			break;
	kexpect_eq(page_tree_count(&tree), ARRAY_SIZE(idx));
	page_tree_check(&tree);
	for (unsigned i = 0; i < ARRAY_SIZE(idx); i++) {
		struct page *pg = page_tree_lookup(&tree, idx[i]);
		if (!kexpectf(pg != NULL, "index %llu not found", (unsigned long long)idx[i]))
			continue;
		kexpect_eq(*(uint64_t *)pmm_page_to_virt(pg), idx[i]);
		kexpect(page_tree_lookup(&tree, idx[i] ^ 1) == NULL);
	}
	uint64_t first = 1, n = 0;
	while (page_tree_next(&tree, &first, PAGE_TREE_INDEX_LIMIT - 2) != NULL) {
		n++;
		first++;
	}
	kexpect_eq(n, 4); /* the four offsets, in [1, 2^36 - 2] */
	page_tree_cache_get_stats(&cache, &cs);
	kexpect_eq(cs.nodes_in_use, page_tree_node_count(&tree));

	spin_lock(&owner);
	page_tree_destroy(&tree, free_frame, &freed);
	spin_unlock(&owner);
	kexpect_eq(freed.calls, ARRAY_SIZE(idx));
	kexpect(freed.intact);
	page_tree_cache_trim(&cache);
	page_tree_cache_get_stats(&cache, &cs);
	kexpect_eq(cs.nodes_in_use, 0);
	kexpect_eq(cs.frames, 0);
	kexpect_eq(free_frames(), before);
}

KTEST(page_tree_kernel_cache_churn)
{
	struct spinlock owner = SPINLOCK_INIT("page tree test owner", LOCK_RANK_TEST_OUTER);
	struct page_tree_cache *cache = page_tree_cache_kernel();
	struct page_tree tree;
	struct page_tree_cache_stats cs;
	struct freed freed = {0, true};
	uint64_t in_use_before, x = 0x9e3779b97f4a7c15ull;

	page_tree_cache_get_stats(cache, &cs);
	in_use_before = cs.nodes_in_use;
	page_tree_init(&tree, cache);
	for (unsigned i = 0; i < 300; i++) {
		x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
		uint64_t index = (x * 0x2545f4914f6cdd1dull) % PAGE_TREE_INDEX_LIMIT;
		if (i % 3 == 0)
			index &= 0xfff; /* some clustering */
		if (page_tree_lookup(&tree, index) == NULL &&
		    !insert_frame(ktest_ctx, &tree, &owner, index))
			break;
	}
	page_tree_check(&tree);
	uint64_t count = page_tree_count(&tree);
	spin_lock(&owner);
	page_tree_destroy(&tree, free_frame, &freed);
	spin_unlock(&owner);
	kexpect_eq(freed.calls, count);
	kexpect(freed.intact);
	page_tree_cache_get_stats(cache, &cs);
	kexpect_eq(cs.nodes_in_use, in_use_before);
	kexpect(cs.empty_frames <= PAGE_TREE_CACHE_SPARE_FRAMES);
}
