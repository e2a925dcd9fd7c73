/*
 * Host tests of the page tree (kernel/memory/page_tree.c) and its node cache (page_tree_cache.c)
 * over the real frame allocator (pmm.c, pmm_init.c) in a simulated physical memory: a host buffer
 * standing for physical 0 .. SIM_BYTES with one usable range.
 *
 * - the check: pages at 256 KiB, 16 MiB, 1 GiB and 64 GiB into one area (indexes 64,
 *   4096, 262144 and 16777216), plus 0 and 2^36 - 1, each found in one tree;
 * - shape: a 64-aligned block is one node wherever it lies; removal frees what it emptied;
 * - insert twice, removal of what is absent, iteration order and range bounds;
 * - a randomised differential test against a model (fixed seed), with the invariants and the
 *   node accounting checked as it goes and nothing in use after destroy;
 * - preparation: insertion allocates nothing (counts; done under a spinlock, where an allocation
 *   would fail the allocation-context check), unused nodes go back; injected failures leave the
 *   prep, the tree and the frame counts as they were;
 * - the cache gives its frames back to the pmm and catches a double free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/compiler.h"
#include "kernel/lib/debug_check.h"
#include "kernel/lib/spinlock.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/page_tree.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pmm.h"
#include "test/unit/sim_machine.h"
#include "test/unit/test_kernel_rng.h"

#define SIM_BYTES (32ull << 20)
#define LIMIT     PAGE_TREE_INDEX_LIMIT

static uint64_t baseline_free;
static struct page_tree_cache cache;

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.free;
}

static struct page_tree_cache_stats cache_stats(void)
{
	struct page_tree_cache_stats s;

	page_tree_cache_get_stats(&cache, &s);
	return s;
}

/* A fresh machine for every test: the pmm from a one-range memory map, an empty node cache. */
static int boot(void **state)
{
	sim_boot(SIM_BYTES);
	page_tree_cache_init(&cache, "test page tree cache");
	baseline_free = free_frames();
	return 0;
}

/* Every test ends with no node in use, and once the spare is trimmed, every frame back. */
static void expect_baseline(void)
{
	struct page_tree_cache_stats s = cache_stats();

	assert_int_equal(s.nodes_in_use, 0);
	page_tree_cache_trim(&cache);
	s = cache_stats();
	assert_int_equal(s.frames, 0);
	assert_int_equal(s.nodes_free, 0);
	assert_int_equal(free_frames(), baseline_free);
}

/* A recognisable non-NULL value for INDEX (never dereferenced). */
static void *value_of(uint64_t index)
{
	return (void *)(uintptr_t)((index << 4) | 0x8);
}

/* Inserts with a fresh prep, released at once; asserts the error. */
static void put(struct page_tree *tree, uint64_t index, kerr_t want)
{
	struct page_tree_prep prep = {0};

	assert_int_equal(page_tree_prepare(tree, &prep), KERR_OK);
	assert_int_equal(page_tree_insert(tree, index, value_of(index), &prep), want);
	page_tree_prep_release(&prep);
}

static void test_four_offsets_in_one_tree(void **state)
{
	/* 256 KiB, 16 MiB, 1 GiB and 64 GiB into the area, and both ends of the index space. */
	static const uint64_t idx[] = {64, 4096, 262144, 16777216, 0, LIMIT - 1};
	struct page_tree tree;

	page_tree_init(&tree, &cache);
	for (unsigned i = 0; i < ARRAY_SIZE(idx); i++) {
		put(&tree, idx[i], KERR_OK);
		page_tree_check(&tree);
		for (unsigned j = 0; j <= i; j++)
			assert_ptr_equal(page_tree_lookup(&tree, idx[j]), value_of(idx[j]));
	}
	assert_int_equal(page_tree_count(&tree), ARRAY_SIZE(idx));
	/* Neighbours and other digits are empty. */
	static const uint64_t absent[] = {1,       63,         65,         4095,          4097,
					  262143,  262145,     16777215,   16777217,      LIMIT - 2,
					  1u << 7, 1ull << 30, 1ull << 35, 0x123456789ull};
	for (unsigned i = 0; i < ARRAY_SIZE(absent); i++)
		assert_null(page_tree_lookup(&tree, absent[i]));
	/* Six leaves plus the inner nodes where their paths part: fewer than a full path each. */
	assert_true(page_tree_node_count(&tree) < 6 * PAGE_TREE_LEVELS);
	assert_int_equal(cache_stats().nodes_in_use, page_tree_node_count(&tree));
	for (unsigned i = 0; i < ARRAY_SIZE(idx); i++) {
		assert_ptr_equal(page_tree_remove(&tree, idx[i]), value_of(idx[i]));
		page_tree_check(&tree);
		for (unsigned j = i + 1; j < ARRAY_SIZE(idx); j++)
			assert_ptr_equal(page_tree_lookup(&tree, idx[j]), value_of(idx[j]));
	}
	assert_int_equal(page_tree_node_count(&tree), 0);
	expect_baseline();
}

static void test_block_is_one_node(void **state)
{
	static const uint64_t bases[] = {0, 64 * 1000, LIMIT - 64};
	struct page_tree tree;

	page_tree_init(&tree, &cache);
	for (unsigned b = 0; b < ARRAY_SIZE(bases); b++) {
		for (uint64_t i = 0; i < 64; i++)
			put(&tree, bases[b] + i, KERR_OK);
		assert_int_equal(page_tree_node_count(&tree), 1);
		assert_int_equal(page_tree_count(&tree), 64);
		page_tree_check(&tree);
		for (uint64_t i = 0; i < 64; i++)
			assert_ptr_equal(page_tree_remove(&tree, bases[b] + i),
					 value_of(bases[b] + i));
		assert_int_equal(page_tree_node_count(&tree), 0);
	}
	/* 0 and 2^36 - 1: two leaves under one root. */
	put(&tree, 0, KERR_OK);
	put(&tree, LIMIT - 1, KERR_OK);
	assert_int_equal(page_tree_node_count(&tree), 3);
	/* Removing one collapses the root into the other leaf. */
	assert_ptr_equal(page_tree_remove(&tree, 0), value_of(0));
	assert_int_equal(page_tree_node_count(&tree), 1);
	page_tree_check(&tree);
	page_tree_destroy(&tree, NULL, NULL);
	expect_baseline();
}

static void test_insert_twice_and_remove_absent(void **state)
{
	struct page_tree tree;
	struct page_tree_prep prep = {0};

	page_tree_init(&tree, &cache);
	assert_null(page_tree_remove(&tree, 5)); /* empty tree */
	put(&tree, 4096, KERR_OK);
	put(&tree, 4096 + 3, KERR_OK);

	assert_int_equal(page_tree_prepare(&tree, &prep), KERR_OK);
	uint64_t in_use = cache_stats().nodes_in_use;
	assert_int_equal(page_tree_insert(&tree, 4096, (void *)0x1230, &prep), KERR_EXISTS);
	assert_int_equal(prep.count, PAGE_TREE_PREP_NODES); /* nothing taken */
	assert_ptr_equal(page_tree_lookup(&tree, 4096), value_of(4096));
	assert_int_equal(page_tree_count(&tree), 2);
	assert_int_equal(cache_stats().nodes_in_use, in_use);
	page_tree_prep_release(&prep);

	assert_null(page_tree_remove(&tree, 4097));      /* absent, in a present leaf */
	assert_null(page_tree_remove(&tree, 4096 + 64)); /* outside the root's range */
	assert_null(page_tree_remove(&tree, 0));
	assert_null(page_tree_remove(&tree, LIMIT - 1));
	put(&tree, 1ull << 24, KERR_OK);
	assert_null(page_tree_remove(&tree, (1ull << 24) + 4096)); /* missing child slot */
	assert_null(page_tree_remove(&tree, 4096 + 4096));
	assert_int_equal(page_tree_count(&tree), 3);
	page_tree_check(&tree);
	assert_ptr_equal(page_tree_remove(&tree, 4096), value_of(4096));
	assert_null(page_tree_remove(&tree, 4096));
	page_tree_destroy(&tree, NULL, NULL);
	expect_baseline();
}

/* ---- iteration ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Walks [FIRST, LAST] with page_tree_next() and compares with the sorted KEYS. */
static void expect_range(const struct page_tree *tree, const uint64_t *keys, size_t n,
			 uint64_t first, uint64_t last)
{
	size_t k = 0;
	uint64_t at = first;
	void *v;

	while (k < n && keys[k] < first)
		k++;
	while ((v = page_tree_next(tree, &at, last)) != NULL) {
		if (k >= n || keys[k] > last)
			fail_msg("range [%llx, %llx]: extra index %llx", (unsigned long long)first,
				 (unsigned long long)last, (unsigned long long)at);
		assert_int_equal(at, keys[k]);
		assert_ptr_equal(v, value_of(at));
		k++;
		if (at == last)
			break;
		at++;
	}
	if (k < n && keys[k] <= last)
		fail_msg("range [%llx, %llx]: missed index %llx", (unsigned long long)first,
			 (unsigned long long)last, (unsigned long long)keys[k]);
}

struct visit_log {
	uint64_t seen[64];
	unsigned n, stop_after;
	struct page_tree *remove_from;
};

static bool visit(uint64_t index, void *value, void *arg)
{
	struct visit_log *log = arg;

	assert_ptr_equal(value, value_of(index));
	assert_true(log->n < ARRAY_SIZE(log->seen));
	log->seen[log->n++] = index;
	if (log->remove_from != NULL)
		assert_ptr_equal(page_tree_remove(log->remove_from, index), value);
	return log->n < log->stop_after;
}

static void test_iteration_order_and_bounds(void **state)
{
	/* Sparse: whole subtrees between the keys are empty. */
	uint64_t keys[] = {0,
			   1,
			   63,
			   64,
			   4095,
			   4096,
			   4097,
			   262143,
			   262144,
			   1ull << 24,
			   (1ull << 24) + 1,
			   1ull << 30,
			   1ull << 35,
			   LIMIT - 64,
			   LIMIT - 2,
			   LIMIT - 1};
	const size_t n = ARRAY_SIZE(keys);
	struct page_tree tree;

	page_tree_init(&tree, &cache);
	for (size_t i = n; i-- > 0;) /* reverse order, so that order of insertion is not order */
		put(&tree, keys[i], KERR_OK);
	page_tree_check(&tree);
	qsort(keys, n, sizeof(keys[0]), cmp_u64);
	expect_range(&tree, keys, n, 0, LIMIT - 1);
	expect_range(&tree, keys, n, 0, UINT64_MAX);
	/* Every range whose ends are keys, keys +- 1, or points inside empty subtrees. */
	uint64_t ends[3 * ARRAY_SIZE(keys) + 4];
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		ends[m++] = keys[i];
		ends[m++] = keys[i] + 1;
		ends[m++] = keys[i] > 0 ? keys[i] - 1 : 0;
	}
	ends[m++] = 1ull << 12;
	ends[m++] = 5ull << 28;
	ends[m++] = 1ull << 33;
	ends[m++] = 100000;
	for (size_t a = 0; a < m; a++)
		for (size_t b = 0; b < m; b++)
			expect_range(&tree, keys, n, ends[a], ends[b]);

	/* for_each: ascending, stops when asked, bounds inclusive. */
	struct visit_log log = {.stop_after = 64};
	page_tree_for_each(&tree, 64, 262144, visit, &log);
	assert_int_equal(log.n, 6);
	assert_int_equal(log.seen[0], 64);
	assert_int_equal(log.seen[5], 262144);
	log = (struct visit_log){.stop_after = 3};
	page_tree_for_each(&tree, 0, LIMIT - 1, visit, &log);
	assert_int_equal(log.n, 3);
	assert_int_equal(log.seen[2], 63);
	log = (struct visit_log){.stop_after = 64};
	page_tree_for_each(&tree, LIMIT - 1, LIMIT - 1, visit, &log);
	assert_int_equal(log.n, 1);
	/* The callback may remove what it is given. */
	log = (struct visit_log){.stop_after = 64, .remove_from = &tree};
	page_tree_for_each(&tree, 4096, 1ull << 30, visit, &log);
	assert_int_equal(log.n, 7);
	assert_int_equal(page_tree_count(&tree), n - 7);
	page_tree_check(&tree);
	page_tree_destroy(&tree, NULL, NULL);
	expect_baseline();
}

/* ---- destroy ---- */

struct destroy_log {
	uint64_t calls, last;
	bool ordered;
};

static void on_destroy(uint64_t index, void *value, void *arg)
{
	struct destroy_log *log = arg;

	assert_ptr_equal(value, value_of(index));
	if (log->calls > 0 && index <= log->last)
		log->ordered = false;
	log->last = index;
	log->calls++;
}

static void test_destroy_calls_back_in_order(void **state)
{
	struct page_tree tree;
	struct destroy_log log = {.ordered = true};
	struct test_rng rng = test_rng_seeded(__func__);

	page_tree_init(&tree, &cache);
	for (unsigned i = 0; i < 3000; i++) {
		uint64_t idx = test_rng_below(&rng, LIMIT);
		if (page_tree_lookup(&tree, idx) == NULL)
			put(&tree, idx, KERR_OK);
	}
	uint64_t count = page_tree_count(&tree);
	page_tree_destroy(&tree, on_destroy, &log);
	assert_int_equal(log.calls, count);
	assert_true(log.ordered);
	assert_int_equal(page_tree_count(&tree), 0);
	assert_int_equal(page_tree_node_count(&tree), 0);
	assert_null(page_tree_lookup(&tree, log.last));
	put(&tree, 7, KERR_OK); /* usable again */
	page_tree_destroy(&tree, NULL, NULL);
	expect_baseline();
}

/* ---- randomised differential test ---- */

#define MODEL_MAX 4096

struct model {
	uint64_t keys[MODEL_MAX];
	size_t n;
};

static long model_find(const struct model *m, uint64_t idx)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->keys[i] == idx)
			return (long)i;
	return -1;
}

/* Indexes that make deep, shallow, clustered and scattered trees. */
static uint64_t pick_index(struct test_rng *rng, const struct model *m)
{
	static const uint64_t hot[] = {0, 64, 4096, 262144, 16777216, 1ull << 30, LIMIT - 4096};

	switch (test_rng_below(rng, 5)) {
	case 0:
		return test_rng_below(rng, LIMIT);
	case 1:
		return hot[test_rng_below(rng, ARRAY_SIZE(hot))] + test_rng_below(rng, 200);
	case 2:
		return test_rng_below(rng, 1u << 14);
	case 3:
		if (m->n > 0)
			return m->keys[test_rng_below(rng, m->n)]; /* an existing one */
		return 0;
	default:
		return (test_rng_below(rng, 64) << 30) | test_rng_below(rng, 64);
	}
}

static void check_against_model(const struct page_tree *tree, struct model *m, struct test_rng *rng)
{
	static uint64_t sorted[MODEL_MAX];

	page_tree_check(tree);
	assert_int_equal(page_tree_count(tree), m->n);
	assert_int_equal(cache_stats().nodes_in_use, page_tree_node_count(tree));
	memcpy(sorted, m->keys, m->n * sizeof(sorted[0]));
	qsort(sorted, m->n, sizeof(sorted[0]), cmp_u64);
	expect_range(tree, sorted, m->n, 0, LIMIT - 1);
	for (unsigned r = 0; r < 8; r++) {
		uint64_t a = pick_index(rng, m), b = pick_index(rng, m);
		expect_range(tree, sorted, m->n, a < b ? a : b, a < b ? b : a);
	}
}

static void differential_run(const char *name, unsigned steps, unsigned insert_pct)
{
	static struct model m;
	struct test_rng rng = test_rng_seeded(name);
	struct page_tree tree;

	m.n = 0;
	page_tree_init(&tree, &cache);
	for (unsigned step = 0; step < steps; step++) {
		uint64_t idx = pick_index(&rng, &m);
		long at = model_find(&m, idx);
		unsigned op = (unsigned)test_rng_below(&rng, 100);

		if (op < insert_pct && m.n < MODEL_MAX) {
			put(&tree, idx, at >= 0 ? KERR_EXISTS : KERR_OK);
			if (at < 0)
				m.keys[m.n++] = idx;
		} else if (op < 95) {
			void *old = page_tree_remove(&tree, idx);
			if (at >= 0) {
				assert_ptr_equal(old, value_of(idx));
				m.keys[at] = m.keys[--m.n];
			} else {
				assert_null(old);
			}
		} else {
			assert_ptr_equal(page_tree_lookup(&tree, idx),
					 at >= 0 ? value_of(idx) : NULL);
		}
		if (step % 256 == 0)
			check_against_model(&tree, &m, &rng);
	}
	check_against_model(&tree, &m, &rng);
	/* Empty it half by removal, then destroy the rest. */
	while (m.n > m.n / 2 + 1) {
		uint64_t idx = m.keys[--m.n];
		assert_ptr_equal(page_tree_remove(&tree, idx), value_of(idx));
	}
	check_against_model(&tree, &m, &rng);
	page_tree_destroy(&tree, NULL, NULL);
	expect_baseline();
}

static void test_differential_growing(void **state)
{
	differential_run("differential_growing", 20000, 70);
}

static void test_differential_churn(void **state)
{
	differential_run("differential_churn", 20000, 50);
}

/* ---- preparation ---- */

static void test_insert_never_allocates(void **state)
{
	static const uint64_t idx[] = {0, 64, 4096, 262144, 16777216, LIMIT - 1, 65, 1ull << 33};
	struct spinlock owner = SPINLOCK_INIT("tree owner", LOCK_RANK_TEST_OUTER);
	struct page_tree tree;
	struct page_tree_prep prep = {0};

	page_tree_init(&tree, &cache);
	for (unsigned i = 0; i < ARRAY_SIZE(idx); i++) {
		assert_int_equal(page_tree_prepare(&tree, &prep), KERR_OK);
		assert_int_equal(prep.count, PAGE_TREE_PREP_NODES);
		struct page_tree_cache_stats before = cache_stats();
		uint64_t free_before = free_frames();
		uint64_t nodes_before = page_tree_node_count(&tree);

		/* Under a spinlock: an allocation here would fail alloc_check(). */
		spin_lock(&owner);
		assert_int_equal(page_tree_insert(&tree, idx[i], value_of(idx[i]), &prep), KERR_OK);
		spin_unlock(&owner);

		struct page_tree_cache_stats after = cache_stats();
		assert_int_equal(after.allocs, before.allocs);
		assert_int_equal(after.nodes_in_use, before.nodes_in_use);
		assert_int_equal(free_frames(), free_before);
		unsigned used = (unsigned)(page_tree_node_count(&tree) - nodes_before);
		assert_true(used <= PAGE_TREE_PREP_NODES);
		assert_int_equal(prep.count, PAGE_TREE_PREP_NODES - used);
		/* Tree nodes plus the prep's are all the nodes in use. */
		assert_int_equal(after.nodes_in_use, page_tree_node_count(&tree) + prep.count);
	}
	/* Topping up allocates only what was used; release gives the rest back. */
	uint64_t allocs = cache_stats().allocs;
	unsigned had = prep.count;
	assert_int_equal(page_tree_prepare(&tree, &prep), KERR_OK);
	assert_int_equal(cache_stats().allocs - allocs, PAGE_TREE_PREP_NODES - had);
	page_tree_prep_release(&prep);
	assert_int_equal(prep.count, 0);
	assert_int_equal(cache_stats().nodes_in_use, page_tree_node_count(&tree));
	page_tree_prep_release(&prep); /* releasing an empty prep is harmless */

	/* Removal under the owner's lock frees nodes (the cache lock ranks above it). */
	spin_lock(&owner);
	for (unsigned i = 0; i < ARRAY_SIZE(idx); i++)
		assert_ptr_equal(page_tree_remove(&tree, idx[i]), value_of(idx[i]));
	spin_unlock(&owner);
	assert_int_equal(page_tree_node_count(&tree), 0);
	expect_baseline();
}

static void test_prepare_failure_injection(void **state)
{
	struct page_tree tree;
	struct page_tree_prep prep = {0};

	page_tree_init(&tree, &cache);
	put(&tree, 4096, KERR_OK);
	put(&tree, 5, KERR_OK);
	page_tree_cache_trim(&cache); /* no free node left: the next prepare needs a frame */

	/* Sweep the N-th allocation attempt until prepare gets through. */
	unsigned failures = 0;
	for (uint64_t nth = 1;; nth++) {
		struct page_tree_cache_stats before = cache_stats();
		uint64_t free_before = free_frames();

		fail_inject_arm(nth);
		kerr_t err = page_tree_prepare(&tree, &prep);
		fail_inject_arm(0);
		if (err == KERR_OK)
			break;
		failures++;
		assert_int_equal(err, KERR_NO_MEMORY);
		assert_int_equal(prep.count, 0);
		assert_int_equal(cache_stats().nodes_in_use, before.nodes_in_use);
		page_tree_cache_trim(&cache);
		assert_int_equal(free_frames(), free_before);
		assert_int_equal(page_tree_count(&tree), 2);
		assert_ptr_equal(page_tree_lookup(&tree, 4096), value_of(4096));
		assert_ptr_equal(page_tree_lookup(&tree, 5), value_of(5));
		page_tree_check(&tree);
		assert_true(nth < 10);
	}
	assert_true(failures >= 2); /* the cache's own attempt, then the pmm's below it */
	assert_int_equal(prep.count, PAGE_TREE_PREP_NODES);

	/* A top-up that fails keeps what the prep had. */
	assert_int_equal(page_tree_insert(&tree, 1ull << 20, value_of(1ull << 20), &prep), KERR_OK);
	unsigned had = prep.count;
	assert_true(had < PAGE_TREE_PREP_NODES);
	fail_inject_arm(1);
	assert_int_equal(page_tree_prepare(&tree, &prep), KERR_NO_MEMORY);
	fail_inject_arm(0);
	assert_int_equal(prep.count, had);
	assert_int_equal(cache_stats().nodes_in_use, page_tree_node_count(&tree) + had);
	page_tree_prep_release(&prep);
	page_tree_destroy(&tree, NULL, NULL);
	expect_baseline();
}

/* ---- the cache ---- */

static void test_cache_returns_frames(void **state)
{
	enum { N = 5 * PAGE_TREE_CACHE_NODES_PER_FRAME + 3 };
	struct page_tree_node *nodes[N];
	struct pmm_stats st;
	uint64_t heap_before;

	pmm_get_stats(&st);
	heap_before = st.by_kind[PAGE_HEAP];
	for (unsigned i = 0; i < N; i++) {
		nodes[i] = page_tree_cache_alloc(&cache);
		assert_non_null(nodes[i]);
		assert_int_equal((uintptr_t)nodes[i] % 64, 0);
		memset(nodes[i], 0xa5, PAGE_TREE_NODE_SIZE); /* ASan: within the frame */
		for (unsigned j = 0; j < i; j++)
			assert_ptr_not_equal(nodes[i], nodes[j]);
	}
	struct page_tree_cache_stats s = cache_stats();
	assert_int_equal(s.frames, 6);
	assert_int_equal(s.nodes_in_use, N);
	assert_int_equal(s.nodes_free, 6 * PAGE_TREE_CACHE_NODES_PER_FRAME - N);
	pmm_get_stats(&st);
	assert_int_equal(st.by_kind[PAGE_HEAP] - heap_before, 6);

	for (unsigned i = 0; i < N; i += 2) /* every other one: frames stay in use */
		page_tree_cache_free(&cache, nodes[i]);
	assert_int_equal(cache_stats().frames, 6);
	for (unsigned i = 1; i < N; i += 2)
		page_tree_cache_free(&cache, nodes[i]);
	s = cache_stats();
	assert_int_equal(s.nodes_in_use, 0);
	assert_int_equal(s.frames, PAGE_TREE_CACHE_SPARE_FRAMES); /* the rest went back at once */
	assert_int_equal(s.empty_frames, PAGE_TREE_CACHE_SPARE_FRAMES);

	/* The spare serves the next allocation without the pmm. */
	uint64_t free_before = free_frames();
	nodes[0] = page_tree_cache_alloc(&cache);
	assert_non_null(nodes[0]);
	assert_int_equal(free_frames(), free_before);
	page_tree_cache_free(&cache, nodes[0]);

	/* Double free. */
	nodes[0] = page_tree_cache_alloc(&cache);
	nodes[1] = page_tree_cache_alloc(&cache);
	page_tree_cache_free(&cache, nodes[0]);
	SIM_EXPECT_CHECK_FAILS(page_tree_cache_free(&cache, nodes[0]), "double free");
	page_tree_cache_free(&cache, nodes[1]);
	expect_baseline();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_four_offsets_in_one_tree, boot),
	    cmocka_unit_test_setup(test_block_is_one_node, boot),
	    cmocka_unit_test_setup(test_insert_twice_and_remove_absent, boot),
	    cmocka_unit_test_setup(test_iteration_order_and_bounds, boot),
	    cmocka_unit_test_setup(test_destroy_calls_back_in_order, boot),
	    cmocka_unit_test_setup(test_differential_growing, boot),
	    cmocka_unit_test_setup(test_differential_churn, boot),
	    cmocka_unit_test_setup(test_insert_never_allocates, boot),
	    cmocka_unit_test_setup(test_prepare_failure_injection, boot),
	    cmocka_unit_test_setup(test_cache_returns_frames, boot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
