/*
 * Host tests of kernel/memory/region_tree.c: the edge cases by hand, then randomised differential
 * runs against a sorted array of intervals (place_anywhere must return exactly the lowest aligned
 * address the model finds; every invariant is checked after every step), then the cost at 60,000
 * regions counted in node visits, including the alignment worst case the header documents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/compiler.h"
#include "kernel/memory/region_tree.h"
#include "test/unit/test_kernel_rng.h"

#define P         REGION_TREE_PAGE
#define USER_LO   0x400000ull
#define USER_HI   0x0000800000000000ull
#define KERNEL_LO 0xffff800000000000ull
#define KERNEL_HI 0xfffffffffffff000ull

/* A caller's mapping record, as vm_space will have one. */
struct mapping {
	uint64_t tag;
	struct region_node node;
};

static void check(const struct region_tree *t)
{
	const char *err = region_tree_check(t);

	if (err != NULL)
		fail_msg("region_tree_check: %s", err);
}

static void test_empty_tree(void **state)
{
	struct region_tree t;
	struct mapping m = {.tag = 7};
	uint64_t b = 0;

	(void)state;
	region_tree_init(&t, USER_LO, USER_HI);
	check(&t);
	assert_null(region_tree_find(&t, USER_LO));
	assert_null(region_tree_first(&t));
	assert_null(region_tree_last(&t));
	assert_null(region_tree_find_first_at_or_after(&t, 0));
	assert_int_equal(region_tree_place_anywhere(&t, &m.node, P, P, &b), KERR_OK);
	assert_int_equal(b, USER_LO);
	check(&t);
	assert_ptr_equal(container_of(region_tree_find(&t, USER_LO + P - 1), struct mapping, node),
			 &m);
	assert_null(region_tree_find(&t, USER_LO + P));
	assert_null(region_tree_find(&t, USER_LO - 1));
	region_tree_remove(&t, &m.node);
	check(&t);
	assert_null(t.root);
	assert_int_equal(t.count, 0);
}

static void test_place_anywhere_fills_from_lo(void **state)
{
	struct region_tree t;
	struct mapping m[64];
	uint64_t b;

	(void)state;
	region_tree_init(&t, USER_LO, USER_HI);
	for (unsigned i = 0; i < ARRAY_SIZE(m); i++) {
		assert_int_equal(region_tree_place_anywhere(&t, &m[i].node, 3 * P, P, &b), KERR_OK);
		assert_int_equal(b, USER_LO + i * 3 * P);
		check(&t);
	}
	/* Free two neighbours: the merged hole is found first, and filled from its bottom. */
	region_tree_remove(&t, &m[10].node);
	region_tree_remove(&t, &m[11].node);
	check(&t);
	assert_int_equal(region_tree_place_anywhere(&t, &m[10].node, 4 * P, P, &b), KERR_OK);
	assert_int_equal(b, USER_LO + 30 * P);
	assert_int_equal(region_tree_place_anywhere(&t, &m[11].node, 3 * P, P, &b), KERR_OK);
	assert_int_equal(b, USER_LO + 64 * 3 * P); /* the 2-page rest is too small */
	check(&t);
	/* In-order iteration both ways. */
	uint64_t prev_end = 0;
	unsigned n = 0;
	for (struct region_node *r = region_tree_first(&t); r != NULL; r = region_tree_next(r)) {
		assert_true(r->base >= prev_end);
		prev_end = region_node_end(r);
		n++;
	}
	assert_int_equal(n, t.count);
	n = 0;
	for (struct region_node *r = region_tree_last(&t); r != NULL; r = region_tree_prev(r))
		n++;
	assert_int_equal(n, t.count);
}

static void test_place_at_overlap_each_edge(void **state)
{
	const uint64_t a = USER_LO + 16 * P;
	static const struct {
		int64_t start, pages; /* relative to a, in pages */
		kerr_t want;
	} cases[] = {
	    {-1, 2, KERR_EXISTS}, /* over the start */
	    {3, 2, KERR_EXISTS},  /* over the end */
	    {1, 2, KERR_EXISTS},  /* inside */
	    {-1, 6, KERR_EXISTS}, /* covering */
	    {0, 4, KERR_EXISTS},  /* the same */
	    {0, 1, KERR_EXISTS},  /* first page */
	    {3, 1, KERR_EXISTS},  /* last page */
	    {-4, 4, KERR_OK},     /* touching below */
	    {4, 4, KERR_OK},      /* touching above */
	};
	struct region_tree t;
	struct mapping m, other;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		region_tree_init(&t, USER_LO, USER_HI);
		assert_int_equal(region_tree_place_at(&t, &m.node, a, 4 * P), KERR_OK);
		kerr_t got = region_tree_place_at(&t, &other.node, a + cases[i].start * (int64_t)P,
						  cases[i].pages * P);
		if (got != cases[i].want)
			fail_msg("case %u: got %s, want %s", i, kerr_name(got),
				 kerr_name(cases[i].want));
		check(&t);
		assert_int_equal(t.count, got == KERR_OK ? 2 : 1);
	}
	/* Adjacent on both sides at once, filling the hole exactly. */
	struct mapping r[3];
	region_tree_init(&t, USER_LO, USER_HI);
	assert_int_equal(region_tree_place_at(&t, &r[0].node, a, P), KERR_OK);
	assert_int_equal(region_tree_place_at(&t, &r[2].node, a + 2 * P, P), KERR_OK);
	assert_int_equal(region_tree_place_at(&t, &r[1].node, a + P, P), KERR_OK);
	check(&t);
	assert_ptr_equal(region_tree_next(&r[0].node), &r[1].node);
	assert_ptr_equal(region_tree_next(&r[1].node), &r[2].node);
}

static void test_invalid_arguments(void **state)
{
	struct region_tree t;
	struct mapping m;
	uint64_t b = 0x1234;

	(void)state;
	region_tree_init(&t, USER_LO, USER_HI);
	assert_int_equal(region_tree_place_at(&t, &m.node, USER_LO, 0), KERR_INVALID);
	assert_int_equal(region_tree_place_at(&t, &m.node, USER_LO + 1, P), KERR_INVALID);
	assert_int_equal(region_tree_place_at(&t, &m.node, USER_LO, P + 8), KERR_INVALID);
	assert_int_equal(region_tree_place_at(&t, &m.node, USER_LO - P, P), KERR_INVALID);
	assert_int_equal(region_tree_place_at(&t, &m.node, USER_HI, P), KERR_INVALID);
	assert_int_equal(region_tree_place_at(&t, &m.node, USER_HI - P, 2 * P), KERR_INVALID);
	assert_int_equal(region_tree_place_at(&t, &m.node, USER_HI - P, -P), KERR_INVALID);
	assert_int_equal(region_tree_place_at(&t, &m.node, 0, P), KERR_INVALID);
	assert_int_equal(region_tree_place_anywhere(&t, &m.node, 0, P, &b), KERR_INVALID);
	assert_int_equal(region_tree_place_anywhere(&t, &m.node, 100, P, &b), KERR_INVALID);
	assert_int_equal(region_tree_place_anywhere(&t, &m.node, P, 0, &b), KERR_INVALID);
	assert_int_equal(region_tree_place_anywhere(&t, &m.node, P, 2048, &b), KERR_INVALID);
	assert_int_equal(region_tree_place_anywhere(&t, &m.node, P, 3 * P, &b), KERR_INVALID);
	assert_int_equal(b, 0x1234);
	assert_int_equal(t.count, 0);
	check(&t);
	/* The last page of the range is usable; nothing past it is. */
	assert_int_equal(region_tree_place_at(&t, &m.node, USER_HI - P, P), KERR_OK);
	check(&t);
}

static void test_alignment_honoured(void **state)
{
	struct region_tree t;
	struct mapping m[8];
	uint64_t b;

	(void)state;
	region_tree_init(&t, 0x1000, USER_HI);
	assert_int_equal(region_tree_place_anywhere(&t, &m[0].node, P, P, &b), KERR_OK);
	assert_int_equal(b, 0x1000);
	assert_int_equal(region_tree_place_anywhere(&t, &m[1].node, 2 * P, 0x200000, &b), KERR_OK);
	assert_int_equal(b, 0x200000);
	/* The padding below stays free for later, smaller requests. */
	assert_int_equal(region_tree_place_anywhere(&t, &m[2].node, 4 * P, 4 * P, &b), KERR_OK);
	assert_int_equal(b, 0x4000);
	assert_int_equal(region_tree_place_anywhere(&t, &m[3].node, P, P, &b), KERR_OK);
	assert_int_equal(b, 0x2000);
	/* A hole big enough unaligned but not aligned is passed over. */
	assert_int_equal(region_tree_place_anywhere(&t, &m[4].node, 0x100000, 0x100000, &b),
			 KERR_OK);
	assert_int_equal(b, 0x100000);
	assert_int_equal(region_tree_place_anywhere(&t, &m[5].node, 0x100000, 0x100000, &b),
			 KERR_OK);
	assert_int_equal(b, 0x300000);
	check(&t);
	/* An alignment past the range's top fails cleanly, without wrapping. */
	struct region_tree k;
	region_tree_init(&k, KERNEL_LO, KERNEL_HI);
	assert_int_equal(region_tree_place_at(&k, &m[6].node, KERNEL_LO, P), KERR_OK);
	assert_int_equal(region_tree_place_anywhere(&k, &m[7].node, P, 1ull << 63, &b),
			 KERR_NO_MEMORY);
	assert_int_equal(region_tree_place_anywhere(&k, &m[7].node, P, 1ull << 47, &b),
			 KERR_NO_MEMORY); /* 2^64 itself */
	assert_int_equal(region_tree_place_anywhere(&k, &m[7].node, P, 1ull << 46, &b), KERR_OK);
	assert_int_equal(b, KERNEL_LO + (1ull << 46));
	check(&k);
}

static void test_range_end_and_full_tree(void **state)
{
	struct region_tree t;
	struct mapping m[5];
	uint64_t b;

	(void)state;
	region_tree_init(&t, USER_LO, USER_LO + 4 * P);
	assert_int_equal(region_tree_place_anywhere(&t, &m[0].node, 5 * P, P, &b), KERR_NO_MEMORY);
	assert_int_equal(region_tree_place_at(&t, &m[3].node, USER_LO + 3 * P, P), KERR_OK);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(region_tree_place_anywhere(&t, &m[i].node, P, P, &b), KERR_OK);
		assert_int_equal(b, USER_LO + i * P);
	}
	assert_int_equal(region_tree_place_anywhere(&t, &m[4].node, P, P, &b), KERR_NO_MEMORY);
	check(&t);
	region_tree_remove(&t, &m[1].node);
	assert_int_equal(region_tree_place_anywhere(&t, &m[4].node, 2 * P, P, &b), KERR_NO_MEMORY);
	assert_int_equal(region_tree_place_anywhere(&t, &m[4].node, P, P, &b), KERR_OK);
	assert_int_equal(b, USER_LO + P);
	region_tree_remove(&t, &m[3].node);
	assert_int_equal(region_tree_place_anywhere(&t, &m[3].node, P, 2 * P, &b), KERR_NO_MEMORY);
	assert_int_equal(region_tree_place_anywhere(&t, &m[3].node, P, P, &b), KERR_OK);
	assert_int_equal(b, USER_LO + 3 * P);
	check(&t);
}

static void test_find_first_at_or_after(void **state)
{
	struct region_tree t;
	struct mapping m[3];

	(void)state;
	region_tree_init(&t, USER_LO, USER_HI);
	assert_int_equal(region_tree_place_at(&t, &m[0].node, USER_LO + 2 * P, 2 * P), KERR_OK);
	assert_int_equal(region_tree_place_at(&t, &m[1].node, USER_LO + 8 * P, P), KERR_OK);
	assert_int_equal(region_tree_place_at(&t, &m[2].node, USER_LO + 9 * P, P), KERR_OK);
	assert_ptr_equal(region_tree_find_first_at_or_after(&t, 0), &m[0].node);
	assert_ptr_equal(region_tree_find_first_at_or_after(&t, USER_LO + 3 * P + 5), &m[0].node);
	assert_ptr_equal(region_tree_find_first_at_or_after(&t, USER_LO + 4 * P), &m[1].node);
	assert_ptr_equal(region_tree_find_first_at_or_after(&t, USER_LO + 9 * P), &m[2].node);
	assert_null(region_tree_find_first_at_or_after(&t, USER_LO + 10 * P));
	assert_null(region_tree_find(&t, USER_LO + 5 * P));
	assert_ptr_equal(region_tree_find(&t, USER_LO + 9 * P - 1), &m[1].node);
}

/* ---- Differential tests against a sorted array of intervals. ---- */

#define POOL 384

struct model {
	uint64_t lo, hi;
	unsigned n;
	struct {
		uint64_t base, size;
		unsigned slot;
	} iv[POOL];
};

/* Whether [B, B + SIZE) fits in [START, END) for B the lowest multiple of ALIGN from START. */
static bool model_fits(uint64_t start, uint64_t end, uint64_t size, uint64_t align, uint64_t *b)
{
	uint64_t pad = start % align == 0 ? 0 : align - start % align;

	if (pad > UINT64_MAX - start || start + pad > end || end - (start + pad) < size)
		return false;
	*b = start + pad;
	return true;
}

static bool model_lowest(const struct model *m, uint64_t size, uint64_t align, uint64_t *b)
{
	uint64_t start = m->lo;

	for (unsigned i = 0; i < m->n; i++) {
		if (model_fits(start, m->iv[i].base, size, align, b))
			return true;
		start = m->iv[i].base + m->iv[i].size;
	}
	return model_fits(start, m->hi, size, align, b);
}

/* Index of the first interval whose end is above ADDR (m->n if none). */
static unsigned model_first_after(const struct model *m, uint64_t addr)
{
	unsigned i = 0;

	while (i < m->n && m->iv[i].base + m->iv[i].size <= addr)
		i++;
	return i;
}

static void model_insert(struct model *m, uint64_t base, uint64_t size, unsigned slot)
{
	unsigned i = model_first_after(m, base);

	memmove(&m->iv[i + 1], &m->iv[i], (m->n - i) * sizeof(m->iv[0]));
	m->iv[i].base = base;
	m->iv[i].size = size;
	m->iv[i].slot = slot;
	m->n++;
}

static bool model_overlaps(const struct model *m, uint64_t base, uint64_t size)
{
	unsigned i = model_first_after(m, base);

	return i < m->n && m->iv[i].base < base + size;
}

struct diff {
	struct region_tree tree;
	struct model model;
	struct mapping nodes[POOL];
	bool used[POOL];
	struct test_rng rng;
	uint64_t window; /* where place_at mostly aims: [lo, lo + window) */
	unsigned counts[4];
};

static uint64_t random_size(struct diff *d)
{
	uint64_t r = test_rng_below(&d->rng, 100);

	if (r < 70)
		return (1 + test_rng_below(&d->rng, 4)) * P;
	if (r < 95)
		return (1 + test_rng_below(&d->rng, 64)) * P;
	return (1 + test_rng_below(&d->rng, 1024)) * P;
}

static uint64_t random_align(struct diff *d)
{
	static const uint64_t aligns[] = {P, P, P, P, 2 * P, 4 * P, 16 * P, 0x200000, 1ull << 30};

	return aligns[test_rng_below(&d->rng, ARRAY_SIZE(aligns))];
}

static int free_slot(struct diff *d)
{
	unsigned start = (unsigned)test_rng_below(&d->rng, POOL);

	for (unsigned i = 0; i < POOL; i++) {
		unsigned s = (start + i) % POOL;
		if (!d->used[s])
			return (int)s;
	}
	return -1;
}

static void step_place_anywhere(struct diff *d, int slot)
{
	uint64_t size = random_size(d), align = random_align(d), want = 0, got = 0;
	bool fits = model_lowest(&d->model, size, align, &want);
	kerr_t err = region_tree_place_anywhere(&d->tree, &d->nodes[slot].node, size, align, &got);

	if (err != (fits ? KERR_OK : KERR_NO_MEMORY) || (fits && got != want))
		fail_msg("place_anywhere(%#llx, align %#llx): %s at %#llx, model %s at %#llx",
			 (unsigned long long)size, (unsigned long long)align, kerr_name(err),
			 (unsigned long long)got, fits ? "fits" : "full", (unsigned long long)want);
	if (fits) {
		d->used[slot] = true;
		model_insert(&d->model, want, size, (unsigned)slot);
		d->counts[0]++;
	}
}

static void step_place_at(struct diff *d, int slot)
{
	uint64_t r = test_rng_below(&d->rng, 100), base, size = random_size(d);
	kerr_t want, err;

	if (r < 90)
		base = d->model.lo + test_rng_below(&d->rng, d->window / P) * P;
	else if (r < 95)
		base = d->model.hi - test_rng_below(&d->rng, 8) * P; /* near or past the top */
	else
		base = test_rng_next(&d->rng) & ~(r < 98 ? P - 1 : 0);
	if (size == 0 || base % P != 0 || base < d->model.lo || base >= d->model.hi ||
	    size > d->model.hi - base)
		want = KERR_INVALID;
	else if (model_overlaps(&d->model, base, size))
		want = KERR_EXISTS;
	else
		want = KERR_OK;
	err = region_tree_place_at(&d->tree, &d->nodes[slot].node, base, size);
	if (err != want)
		fail_msg("place_at(%#llx, %#llx): %s, model %s", (unsigned long long)base,
			 (unsigned long long)size, kerr_name(err), kerr_name(want));
	if (err == KERR_OK) {
		d->used[slot] = true;
		model_insert(&d->model, base, size, (unsigned)slot);
		d->counts[1]++;
	}
}

static void step_remove(struct diff *d)
{
	unsigned i;

	if (d->model.n == 0)
		return;
	i = (unsigned)test_rng_below(&d->rng, d->model.n);
	region_tree_remove(&d->tree, &d->nodes[d->model.iv[i].slot].node);
	d->used[d->model.iv[i].slot] = false;
	memmove(&d->model.iv[i], &d->model.iv[i + 1],
		(d->model.n - i - 1) * sizeof(d->model.iv[0]));
	d->model.n--;
	d->counts[2]++;
}

static void step_query(struct diff *d)
{
	uint64_t addr;
	unsigned i;
	struct region_node *want, *got;

	if (d->model.n > 0 && test_rng_below(&d->rng, 2) == 0) {
		/* Near a region edge, where mistakes live. */
		i = (unsigned)test_rng_below(&d->rng, d->model.n);
		addr = d->model.iv[i].base + d->model.iv[i].size - 2 + test_rng_below(&d->rng, 4);
	} else {
		addr = d->model.lo + test_rng_below(&d->rng, d->window);
	}
	i = model_first_after(&d->model, addr);
	want = i < d->model.n ? &d->nodes[d->model.iv[i].slot].node : NULL;
	assert_ptr_equal(region_tree_find_first_at_or_after(&d->tree, addr), want);
	got = region_tree_find(&d->tree, addr);
	assert_ptr_equal(got, want != NULL && want->base <= addr ? want : NULL);
	d->counts[3]++;
}

static void compare_all(struct diff *d)
{
	unsigned i = 0;

	for (struct region_node *r = region_tree_first(&d->tree); r != NULL;
	     r = region_tree_next(r), i++) {
		assert_true(i < d->model.n);
		assert_ptr_equal(r, &d->nodes[d->model.iv[i].slot].node);
		assert_int_equal(r->base, d->model.iv[i].base);
		assert_int_equal(r->size, d->model.iv[i].size);
	}
	assert_int_equal(i, d->model.n);
}

static void run_differential(const char *name, uint64_t lo, uint64_t hi, uint64_t window,
			     unsigned steps)
{
	struct diff *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	d->rng = test_rng_seeded(name);
	d->window = window;
	d->model.lo = lo;
	d->model.hi = hi;
	region_tree_init(&d->tree, lo, hi);
	for (unsigned s = 0; s < steps; s++) {
		uint64_t r = test_rng_below(&d->rng, 100);
		int slot = free_slot(d);

		/* Lean towards growing, with the odd phase of shrinking, so sizes vary widely. */
		bool shrink = (s / 2000) % 3 == 2;
		if (r < 20)
			step_query(d);
		else if (slot < 0 || r < (shrink ? 70 : 40))
			step_remove(d);
		else if (r < (shrink ? 85 : 75))
			step_place_anywhere(d, slot);
		else
			step_place_at(d, slot);
		check(&d->tree);
		assert_int_equal(d->tree.count, d->model.n);
		if (s % 64 == 0)
			compare_all(d);
	}
	compare_all(d);
	printf("# %s: %u steps: %u placed anywhere, %u placed at, %u removed, %u queries\n", name,
	       steps, d->counts[0], d->counts[1], d->counts[2], d->counts[3]);
	free(d);
}

static void test_differential_small_range(void **state)
{
	(void)state;
	/* 2,048 pages: fills up, so "no space" and packed gaps are common. */
	run_differential("region_tree differential small", USER_LO, USER_LO + 2048 * P, 2048 * P,
			 30000);
}

static void test_differential_user_half(void **state)
{
	(void)state;
	run_differential("region_tree differential user", USER_LO, USER_HI, 8192 * P, 20000);
}

static void test_differential_top_of_memory(void **state)
{
	(void)state;
	/* The kernel half ends one page short of 2^64: alignment must not wrap. */
	run_differential("region_tree differential kernel", KERNEL_HI - 4096 * P, KERNEL_HI,
			 4096 * P, 20000);
}

/* ---- Cost at 60,000 regions, counted in node visits. ---- */

#define SCALE_N 60000u

static double log2_of(double x)
{
	double l = 0;

	while (x >= 2) {
		x /= 2;
		l++;
	}
	return l + (x - 1); /* within 0.09 of log2; plenty for a bound */
}

static void test_scaling_60000(void **state)
{
	struct mapping *m = calloc(SCALE_N + 1, sizeof(*m));
	struct region_tree t;
	struct test_rng rng = test_rng_seeded("region_tree scaling");
	uint64_t max_place = 0, max_find = 0, sum_place = 0, sum_find = 0, b;
	const unsigned rounds = 2000;
	double bound = 3 * log2_of(SCALE_N);

	(void)state;
	assert_non_null(m);
	/* One-page regions with one-page holes between them: every hole fits one page, none two. */
	region_tree_init(&t, USER_LO, USER_HI);
	for (unsigned i = 0; i < SCALE_N; i++)
		assert_int_equal(region_tree_place_at(&t, &m[i].node, USER_LO + 2 * i * P, P),
				 KERR_OK);
	check(&t);
	for (unsigned r = 0; r < rounds; r++) {
		unsigned j = 1 + (unsigned)test_rng_below(&rng, SCALE_N - 2);
		uint64_t hole = USER_LO + (2 * j - 1) * P, v;

		/* Removing region j leaves the only 3-page hole: a 2-page request must land there. */
		region_tree_remove(&t, &m[j].node);
		region_tree_visits = 0;
		assert_int_equal(region_tree_place_anywhere(&t, &m[SCALE_N].node, 2 * P, P, &b),
				 KERR_OK);
		v = region_tree_visits;
		assert_int_equal(b, hole);
		max_place = v > max_place ? v : max_place;
		sum_place += v;
		region_tree_remove(&t, &m[SCALE_N].node);
		assert_int_equal(region_tree_place_at(&t, &m[j].node, USER_LO + 2 * j * P, P),
				 KERR_OK);

		uint64_t addr = USER_LO + test_rng_below(&rng, 2 * SCALE_N * P);
		region_tree_visits = 0;
		struct region_node *f = region_tree_find(&t, addr);
		v = region_tree_visits;
		assert_true((f != NULL) == (((addr - USER_LO) / P) % 2 == 0));
		max_find = v > max_find ? v : max_find;
		sum_find += v;
	}
	check(&t);
	printf("# %u regions: place_anywhere visits max %llu avg %.1f; find visits max %llu avg "
	       "%.1f; bound 3*log2(n) = %.1f\n",
	       SCALE_N, (unsigned long long)max_place, (double)sum_place / rounds,
	       (unsigned long long)max_find, (double)sum_find / rounds, bound);
	assert_true(max_place < bound);
	assert_true(max_find < bound);

	/*
	 * The documented worst case: a 2-page-aligned page when every hole starts at an odd page.
	 * Each hole passes the max_gap filter and fails on alignment, so the walk is linear.
	 */
	region_tree_init(&t, USER_LO + P, USER_HI);
	for (unsigned i = 0; i < SCALE_N; i++)
		assert_int_equal(region_tree_place_at(&t, &m[i].node, USER_LO + 2 * (i + 1) * P, P),
				 KERR_OK);
	region_tree_visits = 0;
	assert_int_equal(region_tree_place_anywhere(&t, &m[SCALE_N].node, P, 2 * P, &b), KERR_OK);
	printf("# alignment worst case at %u regions: %llu visits\n", SCALE_N,
	       (unsigned long long)region_tree_visits);
	assert_int_equal(b, USER_LO + 2 * (SCALE_N + 1) * P);
	assert_true(region_tree_visits <= 3ull * SCALE_N);
	check(&t);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_tree),
	    cmocka_unit_test(test_place_anywhere_fills_from_lo),
	    cmocka_unit_test(test_place_at_overlap_each_edge),
	    cmocka_unit_test(test_invalid_arguments),
	    cmocka_unit_test(test_alignment_honoured),
	    cmocka_unit_test(test_range_end_and_full_tree),
	    cmocka_unit_test(test_find_first_at_or_after),
	    cmocka_unit_test(test_differential_small_range),
	    cmocka_unit_test(test_differential_user_half),
	    cmocka_unit_test(test_differential_top_of_memory),
	    cmocka_unit_test(test_scaling_60000),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
