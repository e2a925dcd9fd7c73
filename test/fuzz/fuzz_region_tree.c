/*
 * libFuzzer target: the region tree (kernel/memory/region_tree.c).
 *
 * The input's first bytes pick the managed range [lo, hi): a small one that fills up, the user
 * half, the kernel half as the kernel sets it up, or any page-aligned pair. The rest is a program:
 * a run of operations, each an opcode byte and its operands, done on the tree and on a model, a
 * sorted array of regions, with every result compared:
 * - region_tree_place_at(): KERR_INVALID for a zero, unaligned, wrapping or out-of-range region,
 *   KERR_EXISTS exactly when it overlaps one in the model, else placed where asked;
 * - region_tree_place_anywhere(): exactly the lowest address the model finds (hole by hole, in
 *   128-bit arithmetic) for any size and alignment, KERR_INVALID or KERR_NO_MEMORY otherwise;
 * - removal of any region, find, find_first_at_or_after, first, last, next and prev, and walks
 *   over the whole tree both ways.
 * After every change region_tree_check() checks the red-black and order invariants and every gap
 * and max_gap; the harness also recomputes each gap from the model and the root's max_gap, and
 * bounds the nodes a search visits (region_tree_visits) by the tree's height where the header
 * promises O(log n). Region records are malloc'd and freed as they leave the tree, the rest at the
 * end of each input, so ASan's leak check sees a record the harness loses track of.
 *
 * Any mismatch prints what differed and aborts, which libFuzzer reports as a crash.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/lib/compiler.h"
#include "kernel/memory/region_tree.h"

#define P         REGION_TREE_PAGE
#define MODEL_MAX 512u /* regions at once; placements past it are skipped */

typedef unsigned __int128 u128;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the input ---- */

struct input {
	const uint8_t *p;
	size_t n;
};

/* The next byte; zeros once the input is used up (the program then ends at its next opcode). */
static uint8_t byte(struct input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

/* The next K bytes (K <= 8) as a little-endian number. */
static uint64_t bytes(struct input *in, unsigned k)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < k; i++)
		v |= (uint64_t)byte(in) << (8 * i);
	return v;
}

/* ---- the model ---- */

/* A caller's record, as vm_space has one. */
struct record {
	uint64_t tag;
	struct region_node node;
};

struct region {
	uint64_t base, size;
	struct record *rec;
};

static struct {
	struct region r[MODEL_MAX];
	size_t n;
} model;

static struct region_tree tree;
static uint64_t tags;

__attribute__((format(printf, 1, 2))) static _Noreturn void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr,
		"fuzz_region_tree: [%#llx, %#llx), %zu regions: ", (unsigned long long)tree.lo,
		(unsigned long long)tree.hi, model.n);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

static u128 end_of(const struct region *r)
{
	return (u128)r->base + r->size;
}

/* The position of the first region whose end is above ADDR (model.n when none). */
static size_t model_first_after(uint64_t addr)
{
	size_t lo = 0, hi = model.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (end_of(&model.r[mid]) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void model_insert(uint64_t base, uint64_t size, struct record *rec)
{
	size_t at = model_first_after(base);

	for (size_t i = model.n; i > at; i--) /* not memmove: ASan's is byte by byte */
		model.r[i] = model.r[i - 1];
	model.r[at] = (struct region){base, size, rec};
	model.n++;
}

static void model_remove(size_t at)
{
	for (size_t i = at; i + 1 < model.n; i++)
		model.r[i] = model.r[i + 1];
	model.n--;
}

static struct record *node_record(const struct region_node *node)
{
	return node != NULL ? container_of(node, struct record, node) : NULL;
}

/* What the tree returned (NODE) must be the model's region AT (or none when AT == model.n). */
static void expect_node(const char *what, uint64_t arg, const struct region_node *node, size_t at)
{
	struct record *want = at < model.n ? model.r[at].rec : NULL;

	if (node_record(node) != want)
		fuzz_fail("%s(%#llx): tag %lld, model tag %lld", what, (unsigned long long)arg,
			  node != NULL ? (long long)node_record(node)->tag : -1LL,
			  want != NULL ? (long long)want->tag : -1LL);
	if (node != NULL && (node->base != model.r[at].base || node->size != model.r[at].size))
		fuzz_fail("%s(%#llx): region [%#llx, +%#llx), model [%#llx, +%#llx)", what,
			  (unsigned long long)arg, (unsigned long long)node->base,
			  (unsigned long long)node->size, (unsigned long long)model.r[at].base,
			  (unsigned long long)model.r[at].size);
}

/* The height a red-black tree of N nodes can reach: 2 log2(N + 1). */
static uint64_t height_bound(void)
{
	uint64_t h = 0;

	while ((1ull << h) <= model.n + 1)
		h++;
	return 2 * h;
}

/* After every change: the tree's own check, then every gap and max_gap from the model. */
static void check_all(void)
{
	const char *err = region_tree_check(&tree);
	uint64_t prev_end = tree.lo, max_gap = 0;

	if (err != NULL)
		fuzz_fail("region_tree_check: %s", err);
	if (tree.count != model.n)
		fuzz_fail("count %llu", (unsigned long long)tree.count);
	for (size_t i = 0; i < model.n; i++) {
		const struct region_node *node = &model.r[i].rec->node;
		if (node->base != model.r[i].base || node->size != model.r[i].size)
			fuzz_fail("region %zu changed under the tree", i);
		if (node->gap != node->base - prev_end)
			fuzz_fail("gap of region %zu is %#llx, model %#llx", i,
				  (unsigned long long)node->gap,
				  (unsigned long long)(node->base - prev_end));
		if (node->gap > max_gap)
			max_gap = node->gap;
		prev_end = node->base + node->size;
	}
	if (tree.root != NULL && tree.root->max_gap != max_gap)
		fuzz_fail("root max_gap %#llx, model %#llx", (unsigned long long)tree.root->max_gap,
			  (unsigned long long)max_gap);
}

/* A search that the header calls O(log n) visited at most a constant times the height. */
static void expect_logarithmic(const char *what, uint64_t visits_before)
{
	uint64_t visits = region_tree_visits - visits_before;

	if (visits > 2 * height_bound() + 4)
		fuzz_fail("%s visited %llu nodes, height at most %llu", what,
			  (unsigned long long)visits, (unsigned long long)height_bound());
}

/* ---- operands ---- */

/* An address: near lo, near hi, at or next to a region's ends, anywhere in range, or any. */
static uint64_t pick_addr(struct input *in)
{
	uint8_t mode = byte(in);
	uint64_t v;
	size_t k;

	switch (mode % 8) {
	case 0:
		return tree.lo + (uint64_t)byte(in) * P;
	case 1:
		return tree.lo + bytes(in, 2) * P;
	case 2:
		return tree.hi - (uint64_t)(1 + byte(in)) * P;
	case 3:
		return model.n > 0 ? model.r[byte(in) % model.n].base : tree.lo;
	case 4:
		if (model.n == 0)
			return tree.hi;
		k = byte(in) % model.n;
		return model.r[k].base + model.r[k].size + (uint64_t)(int64_t)(int8_t)byte(in) * P;
	case 5:
		return bytes(in, 8);
	case 6:
		return tree.lo + (bytes(in, 8) % (tree.hi - tree.lo) & ~(P - 1));
	default: /* inside or beside a region, maybe unaligned */
		v = model.n > 0 ? model.r[byte(in) % model.n].base : tree.lo;
		v += (uint64_t)(int64_t)(int8_t)byte(in) * P;
		return mode & 0x80 ? v + byte(in) : v;
	}
}

/* A size: some pages, many, a power of two, or any 64-bit value (zero and unaligned too). */
static uint64_t pick_size(struct input *in)
{
	uint8_t mode = byte(in);

	switch (mode % 4) {
	case 0:
		return (1 + (uint64_t)byte(in)) * P;
	case 1:
		return (1 + bytes(in, 2)) * P;
	case 2:
		return P << (byte(in) % 52);
	default:
		return bytes(in, 8);
	}
}

/* An alignment: mostly a page, else a power of two up to 2^63, sometimes an invalid one. */
static uint64_t pick_align(struct input *in)
{
	static const uint64_t bad[] = {0, 1, 2048, 3 * P, P + 1, ~0ull};
	uint8_t b = byte(in);

	if (b < 128)
		return P;
	if (b < 248)
		return P << (b % 52);
	return bad[b % ARRAY_SIZE(bad)];
}

/* ---- operations ---- */

static struct record *new_record(void)
{
	struct record *rec = malloc(sizeof(*rec));

	if (rec == NULL)
		fuzz_fail("out of host memory");
	memset(rec, 0xa5, sizeof(*rec)); /* the tree must set every field it reads */
	rec->tag = ++tags;
	return rec;
}

/* What region_tree_place_at() must return for [BASE, BASE + SIZE). */
static kerr_t model_place_at(uint64_t base, uint64_t size)
{
	if (size == 0 || base % P != 0 || size % P != 0)
		return KERR_INVALID;
	if (base < tree.lo || (u128)base + size > tree.hi)
		return KERR_INVALID;
	size_t at = model_first_after(base);
	if (at < model.n && model.r[at].base < (u128)base + size)
		return KERR_EXISTS;
	return KERR_OK;
}

static void do_place_at(uint64_t base, uint64_t size)
{
	kerr_t want = model_place_at(base, size);
	struct record *rec;

	if (model.n == MODEL_MAX)
		return;
	rec = new_record();
	struct record before = *rec;
	uint64_t visits = region_tree_visits;
	kerr_t got = region_tree_place_at(&tree, &rec->node, base, size);
	expect_logarithmic("place_at", visits);
	if (got != want)
		fuzz_fail("place_at(%#llx, %#llx): %d, model %d", (unsigned long long)base,
			  (unsigned long long)size, got, want);
	if (got != KERR_OK) {
		if (memcmp(&before, rec, sizeof(before)) != 0)
			fuzz_fail("failed place_at touched the node");
		free(rec);
		return;
	}
	if (rec->node.base != base || rec->node.size != size)
		fuzz_fail("place_at(%#llx, %#llx) placed [%#llx, +%#llx)", (unsigned long long)base,
			  (unsigned long long)size, (unsigned long long)rec->node.base,
			  (unsigned long long)rec->node.size);
	model_insert(base, size, rec);
}

/* The lowest B, a multiple of ALIGN, with [B, B + SIZE) inside [START, END); false if none. */
static bool hole_fits(u128 start, u128 end, uint64_t size, uint64_t align, uint64_t *b)
{
	u128 base = (start + align - 1) / align * align;

	if (base + size > end)
		return false;
	*b = (uint64_t)base;
	return true;
}

/* What region_tree_place_anywhere() must return, and the base in *B. */
static kerr_t model_place_anywhere(uint64_t size, uint64_t align, uint64_t *b)
{
	u128 start = tree.lo;

	if (size == 0 || size % P != 0 || align < P || (align & (align - 1)) != 0)
		return KERR_INVALID;
	for (size_t i = 0; i < model.n; i++) {
		if (hole_fits(start, model.r[i].base, size, align, b))
			return KERR_OK;
		start = end_of(&model.r[i]);
	}
	return hole_fits(start, tree.hi, size, align, b) ? KERR_OK : KERR_NO_MEMORY;
}

static void do_place_anywhere(uint64_t size, uint64_t align)
{
	uint64_t want_base = 0, got_base = 0xdeadbeef;
	kerr_t want = model_place_anywhere(size, align, &want_base);
	struct record *rec;

	if (model.n == MODEL_MAX)
		return;
	rec = new_record();
	struct record before = *rec;
	uint64_t visits = region_tree_visits;
	kerr_t got = region_tree_place_anywhere(&tree, &rec->node, size, align, &got_base);
	if (align == P)
		expect_logarithmic("place_anywhere", visits);
	if (got != want || (got == KERR_OK && got_base != want_base))
		fuzz_fail("place_anywhere(%#llx, align %#llx): %d at %#llx, model %d at %#llx",
			  (unsigned long long)size, (unsigned long long)align, got,
			  (unsigned long long)got_base, want, (unsigned long long)want_base);
	if (got != KERR_OK) {
		if (memcmp(&before, rec, sizeof(before)) != 0 || got_base != 0xdeadbeef)
			fuzz_fail("failed place_anywhere touched the node or the base");
		free(rec);
		return;
	}
	if (rec->node.base != got_base || rec->node.size != size)
		fuzz_fail("place_anywhere gave the node [%#llx, +%#llx), said %#llx",
			  (unsigned long long)rec->node.base, (unsigned long long)rec->node.size,
			  (unsigned long long)got_base);
	model_insert(got_base, size, rec);
}

static void do_remove(size_t at)
{
	struct record *rec = model.r[at].rec;

	region_tree_remove(&tree, &rec->node);
	model_remove(at);
	free(rec);
}

static void do_find(uint64_t addr)
{
	size_t at = model_first_after(addr);
	uint64_t visits = region_tree_visits;

	if (at < model.n && model.r[at].base > addr)
		at =
		    model.n; /* the first region ending above ADDR starts above it: none holds it */
	expect_node("find", addr, region_tree_find(&tree, addr), at);
	expect_logarithmic("find", visits);
	visits = region_tree_visits;
	expect_node("find_first_at_or_after", addr, region_tree_find_first_at_or_after(&tree, addr),
		    model_first_after(addr));
	expect_logarithmic("find_first_at_or_after", visits);
}

/* The neighbours of region AT by next and prev. */
static void do_neighbours(size_t at)
{
	const struct region_node *node = &model.r[at].rec->node;

	expect_node("next", at, region_tree_next(node), at + 1);
	expect_node("prev", at, region_tree_prev(node), at > 0 ? at - 1 : model.n);
}

/* The whole tree, from first by next and from last by prev. */
static void do_walks(void)
{
	const struct region_node *node = region_tree_first(&tree);
	size_t k;

	for (k = 0; node != NULL; k++, node = region_tree_next(node))
		expect_node("walk up", k, node, k);
	if (k != model.n)
		fuzz_fail("walk up saw %zu regions", k);
	node = region_tree_last(&tree);
	for (k = model.n; node != NULL && k > 0; node = region_tree_prev(node)) {
		k--;
		expect_node("walk down", k, node, k);
	}
	if (node != NULL)
		fuzz_fail("walk down saw more regions than the model's %zu", model.n);
	if (k != 0)
		fuzz_fail("walk down ended with %zu regions of the model unseen", k);
	if (model.n == 0 && (region_tree_first(&tree) != NULL || region_tree_last(&tree) != NULL))
		fuzz_fail("first or last in an empty tree");
}

static void run_op(struct input *in)
{
	uint8_t op = byte(in);
	uint64_t a;

	switch (op % 12) {
	case 0:
	case 1:
	case 2:
		a = pick_addr(in);
		do_place_at(a, pick_size(in));
		break;
	case 3:
	case 4:
	case 5:
		a = pick_size(in);
		do_place_anywhere(a, pick_align(in));
		break;
	case 6:
	case 7:
		if (model.n > 0)
			do_remove(bytes(in, 2) % model.n);
		break;
	case 8:
		do_find(pick_addr(in));
		break;
	case 9:
		if (model.n > 0)
			do_neighbours(bytes(in, 2) % model.n);
		break;
	case 10:
		do_walks();
		break;
	default: /* remove a run, from the bottom or the top: rebalancing over many steps */
		for (unsigned k = 1 + byte(in) % 32; k > 0 && model.n > 0; k--)
			do_remove(op & 0x80 ? model.n - 1 : 0);
		break;
	}
	check_all();
}

/* The managed range: small (it fills), the user half, the kernel half, or any aligned pair. */
static void pick_range(struct input *in)
{
	uint8_t mode = byte(in);
	uint64_t lo, hi;

	switch (mode % 4) {
	case 0:
		lo = (uint64_t)byte(in) * P;
		hi = lo + (uint64_t)(1 + byte(in)) * P;
		break;
	case 1:
		lo = 0x1000;
		hi = 0x0000800000000000ull;
		break;
	case 2:
		lo = 0xffff800000000000ull;
		hi = 0xfffffffffffff000ull;
		break;
	default:
		lo = bytes(in, 8) & ~(P - 1);
		hi = bytes(in, 8) & ~(P - 1);
		if (lo > hi) {
			uint64_t t = lo;
			lo = hi;
			hi = t;
		}
		if (lo == hi)
			hi = lo != 0 ? lo : P;
		if (lo == hi)
			lo -= P;
		break;
	}
	region_tree_init(&tree, lo, hi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};

	model.n = 0;
	tags = 0;
	pick_range(&in);
	check_all();
	while (in.n > 0)
		run_op(&in);
	do_walks();
	while (model.n > 0) {
		do_remove(model.n / 2);
		check_all();
	}
	if (tree.root != NULL)
		fuzz_fail("tree not empty after removing every region");
	return 0;
}
