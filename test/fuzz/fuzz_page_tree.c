/*
 * libFuzzer target: the page tree (kernel/memory/page_tree.c) and its node cache
 * (page_tree_cache.c) over the real frame allocator in the simulated RAM of
 * test/unit/sim_machine.h, booted once.
 *
 * The input is a program: a run of operations, each an opcode byte and its operands (indexes are
 * decoded so that short inputs reach deep, shallow, clustered and scattered trees, and indexes the
 * tree already holds). Every operation is done on the tree and on a model, a sorted array of
 * (index, value), and every result must match: insertion (KERR_EXISTS exactly when the model has
 * the index, the prep untouched then, at most two of its nodes taken otherwise), removal,
 * lookup, page_tree_next() over a range, page_tree_for_each() with a callback that removes and
 * inserts as it goes, destruction, runs of insertions and removals, and page_tree_prepare() under
 * an injected allocation failure (the prep as it was). After each one page_tree_check() walks the
 * invariants, the counts must match the model and the node cache must hold exactly the tree's
 * nodes plus the prep's. At the end of every input the tree is destroyed and the prep released:
 * no node may be left in use, and once the cache is trimmed the free frame count must be back at
 * its value after boot (the nodes live in simulated RAM, where ASan's leak check cannot see them).
 *
 * Any mismatch prints what differed and aborts, which libFuzzer reports as a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/lib/compiler.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/page_tree.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pmm.h"
#include "test/unit/sim_machine.h"

#define SIM_BYTES   (16ull << 20)
#define LIMIT       PAGE_TREE_INDEX_LIMIT
#define MODEL_MAX   1024u /* indexes held at once; insertions past it are skipped */
#define RUN_MAX     130u  /* the longest run of one operation: crosses two leaf boundaries */
#define CHECK_EVERY 16u

int LLVMFuzzerInitialize(int *argc, char ***argv);
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

struct entry {
	uint64_t index;
	void *value;
};

static struct {
	struct entry e[MODEL_MAX];
	size_t n;
} model;

static struct page_tree_cache cache;
static struct page_tree tree;
static struct page_tree_prep prep;
static uint64_t baseline_free;
static uint64_t serial; /* makes every inserted value unique */
static unsigned ops;    /* operations of this input so far */

__attribute__((format(printf, 1, 2))) static _Noreturn void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fuzz_page_tree: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

/* The position of the first model entry with an index >= INDEX (model.n when none). */
static size_t model_lower(uint64_t index)
{
	size_t lo = 0, hi = model.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (model.e[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void *model_get(uint64_t index)
{
	size_t at = model_lower(index);

	return at < model.n && model.e[at].index == index ? model.e[at].value : NULL;
}

static void model_put(uint64_t index, void *value)
{
	size_t at = model_lower(index);

	for (size_t i = model.n; i > at; i--) /* not memmove: ASan's is byte by byte */
		model.e[i] = model.e[i - 1];
	model.e[at] = (struct entry){index, value};
	model.n++;
}

static void model_del(uint64_t index)
{
	size_t at = model_lower(index);

	for (size_t i = at; i + 1 < model.n; i++)
		model.e[i] = model.e[i + 1];
	model.n--;
}

/* The first model entry with an index in [FIRST, LAST], or NULL. */
static const struct entry *model_next(uint64_t first, uint64_t last)
{
	size_t at = model_lower(first);

	if (first > last || at == model.n || model.e[at].index > last)
		return NULL;
	return &model.e[at];
}

static uint64_t cache_in_use(void)
{
	struct page_tree_cache_stats s;

	page_tree_cache_get_stats(&cache, &s);
	return s.nodes_in_use;
}

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.free;
}

/*
 * The counts and the node accounting, after every operation; with FULL, the invariants too
 * (page_tree_check() walks every node, so it runs after every operation only while the tree is
 * small, then after every CHECK_EVERY-th, and at the end of the input).
 */
static void check_all(bool full)
{
	if (full)
		page_tree_check(&tree);
	if (page_tree_count(&tree) != model.n)
		fuzz_fail("count %llu, model %zu", (unsigned long long)page_tree_count(&tree),
			  model.n);
	if (cache_in_use() != page_tree_node_count(&tree) + prep.count)
		fuzz_fail("cache has %llu nodes in use, tree %llu + prep %u",
			  (unsigned long long)cache_in_use(),
			  (unsigned long long)page_tree_node_count(&tree), prep.count);
}

/* ---- operands ---- */

/* An index: small, medium or anywhere; one held or next to one held; near the hot boundaries. */
static uint64_t pick_index(struct input *in)
{
	static const uint64_t hot[] = {0,          64,         4096,         262144,
				       1ull << 24, 1ull << 30, LIMIT - 4096, LIMIT - 64};
	uint8_t mode = byte(in);
	uint64_t v;

	switch (mode % 8) {
	case 0:
		return byte(in);
	case 1:
		return bytes(in, 2);
	case 2:
		return bytes(in, 5) & (LIMIT - 1);
	case 3:
		return model.n > 0 ? model.e[byte(in) % model.n].index : 0;
	case 4:
		v = model.n > 0 ? model.e[byte(in) % model.n].index : 0;
		v += (uint64_t)(int64_t)(int8_t)byte(in);
		return v & (LIMIT - 1);
	case 5:
		v = hot[byte(in) % ARRAY_SIZE(hot)];
		return (v + byte(in)) & (LIMIT - 1);
	case 6: /* one digit set at a chosen level, plus a low digit: paths part high up */
		v = byte(in);
		return ((uint64_t)(v % 64) << (PAGE_TREE_BITS * (1 + mode / 8 % 5))) |
		       (byte(in) % 64);
	default:
		return LIMIT - 1 - byte(in);
	}
}

/* ---- operations ---- */

static void *new_value(void)
{
	return (void *)(uintptr_t)((++serial << 4) | 0x8);
}

static void do_insert(uint64_t index)
{
	void *had = model_get(index), *value = new_value();

	if (had == NULL && model.n == MODEL_MAX)
		return;
	if (page_tree_prepare(&tree, &prep) != KERR_OK)
		fuzz_fail("prepare failed with plenty of memory");
	if (prep.count != PAGE_TREE_PREP_NODES)
		fuzz_fail("prepare left %u nodes", prep.count);
	struct page_tree_node *held[PAGE_TREE_PREP_NODES];
	memcpy(held, prep.nodes, sizeof(held));
	uint64_t nodes = page_tree_node_count(&tree);
	kerr_t err = page_tree_insert(&tree, index, value, &prep);
	uint64_t used = page_tree_node_count(&tree) - nodes;

	if (had != NULL) {
		if (err != KERR_EXISTS)
			fuzz_fail("insert %#llx over a value: %d", (unsigned long long)index, err);
		if (used != 0 || prep.count != PAGE_TREE_PREP_NODES ||
		    memcmp(held, prep.nodes, sizeof(held)) != 0)
			fuzz_fail("failed insert %#llx changed the prep or the tree",
				  (unsigned long long)index);
		if (page_tree_lookup(&tree, index) != had)
			fuzz_fail("failed insert %#llx replaced the value",
				  (unsigned long long)index);
		return;
	}
	if (err != KERR_OK)
		fuzz_fail("insert %#llx: %d", (unsigned long long)index, err);
	if (used > PAGE_TREE_PREP_NODES || prep.count != PAGE_TREE_PREP_NODES - used)
		fuzz_fail("insert %#llx took %llu nodes, prep has %u", (unsigned long long)index,
			  (unsigned long long)used, prep.count);
	model_put(index, value);
	if (page_tree_lookup(&tree, index) != value)
		fuzz_fail("inserted %#llx, lookup disagrees", (unsigned long long)index);
}

static void do_remove(uint64_t index)
{
	void *want = model_get(index);
	void *got = page_tree_remove(&tree, index);

	if (got != want)
		fuzz_fail("remove %#llx: %p, model %p", (unsigned long long)index, got, want);
	if (want != NULL)
		model_del(index);
	if (page_tree_lookup(&tree, index) != NULL)
		fuzz_fail("removed %#llx, still there", (unsigned long long)index);
}

static void do_lookup(uint64_t index)
{
	void *want = model_get(index), *got = page_tree_lookup(&tree, index);

	if (got != want)
		fuzz_fail("lookup %#llx: %p, model %p", (unsigned long long)index, got, want);
}

static void do_next(uint64_t first, uint64_t last)
{
	const struct entry *want = model_next(first, last);
	uint64_t at = first;
	void *got = page_tree_next(&tree, &at, last);

	if (want == NULL) {
		if (got != NULL || at != first)
			fuzz_fail("next in [%#llx, %#llx]: %#llx, model none",
				  (unsigned long long)first, (unsigned long long)last,
				  (unsigned long long)at);
		return;
	}
	if (got != want->value || at != want->index)
		fuzz_fail("next in [%#llx, %#llx]: %#llx %p, model %#llx %p",
			  (unsigned long long)first, (unsigned long long)last,
			  (unsigned long long)at, got, (unsigned long long)want->index,
			  want->value);
}

/* The whole tree in order, by page_tree_next(), against the model. */
static void do_walk(void)
{
	uint64_t at = 0;
	size_t k = 0;
	void *v;

	while ((v = page_tree_next(&tree, &at, LIMIT - 1)) != NULL) {
		if (k >= model.n || model.e[k].index != at || model.e[k].value != v)
			fuzz_fail("walk: entry %zu is %#llx, model %#llx", k,
				  (unsigned long long)at,
				  k < model.n ? (unsigned long long)model.e[k].index : 0ull);
		k++;
		if (at == LIMIT - 1)
			break;
		at++;
	}
	if (k != model.n)
		fuzz_fail("walk saw %zu entries, model %zu", k, model.n);
}

/* page_tree_for_each() with a callback that checks each visit and changes the tree as it goes. */
struct visit {
	struct input *in;
	uint64_t from; /* the next visit must be the model's first entry in [from, last] */
	uint64_t last;
	unsigned left; /* visits before the callback says stop */
	bool stopped, done;
};

static bool visit(uint64_t index, void *value, void *arg)
{
	struct visit *v = arg;
	const struct entry *want = model_next(v->from, v->last);
	uint8_t act = byte(v->in);

	if (v->done || want == NULL || want->index != index || want->value != value)
		fuzz_fail("for_each visited %#llx, model %#llx", (unsigned long long)index,
			  want != NULL ? (unsigned long long)want->index : ~0ull);
	if (index == v->last)
		v->done = true; /* for_each must not call again */
	v->from = index + 1;
	switch (act % 4) {
	case 1:
		do_remove(index);
		break;
	case 2: /* ahead: visited later when in range */
		if (index + 1 + act / 4 < LIMIT)
			do_insert(index + 1 + act / 4);
		break;
	case 3: /* behind: never visited */
		if (index >= 1 + act / 4u)
			do_insert(index - 1 - act / 4);
		break;
	}
	if (--v->left == 0) {
		v->stopped = true;
		return false;
	}
	return true;
}

static void do_for_each(struct input *in, uint64_t first, uint64_t last)
{
	struct visit v = {.in = in, .from = first, .last = last, .left = 1 + byte(in) % 32};

	page_tree_for_each(&tree, first, last, visit, &v);
	if (!v.stopped && !v.done && model_next(v.from, last) != NULL)
		fuzz_fail("for_each [%#llx, %#llx] stopped before %#llx", (unsigned long long)first,
			  (unsigned long long)last,
			  (unsigned long long)model_next(v.from, last)->index);
}

struct destroy_log {
	size_t k;
};

static void on_destroy(uint64_t index, void *value, void *arg)
{
	struct destroy_log *log = arg;

	if (log->k >= model.n || model.e[log->k].index != index || model.e[log->k].value != value)
		fuzz_fail("destroy called back %#llx as entry %zu", (unsigned long long)index,
			  log->k);
	log->k++;
}

static void do_destroy(void)
{
	struct destroy_log log = {0};

	page_tree_destroy(&tree, on_destroy, &log);
	if (log.k != model.n)
		fuzz_fail("destroy called back %zu times, model %zu", log.k, model.n);
	if (page_tree_node_count(&tree) != 0 || page_tree_count(&tree) != 0)
		fuzz_fail("destroy left nodes or values");
	model.n = 0;
}

/* page_tree_prepare() failing on its Kth allocation: KERR_NO_MEMORY and the prep as it was. */
static void do_prepare_failing(unsigned k)
{
	struct page_tree_prep before = prep;
	uint64_t in_use = cache_in_use();

	fail_inject_arm(k);
	kerr_t err = page_tree_prepare(&tree, &prep);
	fail_inject_arm(0);
	if (err == KERR_OK) {
		if (prep.count != PAGE_TREE_PREP_NODES)
			fuzz_fail("prepare succeeded with %u nodes", prep.count);
		return; /* the failure fell after the allocations it needed */
	}
	if (err != KERR_NO_MEMORY || prep.count != before.count ||
	    memcmp(before.nodes, prep.nodes, before.count * sizeof(prep.nodes[0])) != 0 ||
	    cache_in_use() != in_use)
		fuzz_fail("failed prepare (%d) changed the prep or the cache", err);
}

static void run_op(struct input *in)
{
	uint8_t op = byte(in);
	uint64_t a, b;
	unsigned n;

	switch (op % 16) {
	case 0:
	case 1:
	case 2:
	case 3:
		do_insert(pick_index(in));
		break;
	case 4:
	case 5:
		do_remove(pick_index(in));
		break;
	case 6:
		do_lookup(pick_index(in));
		break;
	case 7: /* a range; past LIMIT and reversed ones too */
		a = pick_index(in);
		b = op & 0x80 ? UINT64_MAX - byte(in) : pick_index(in);
		do_next(a, b);
		break;
	case 8:
		a = pick_index(in);
		b = op & 0x80 ? LIMIT - 1 : pick_index(in);
		do_for_each(in, a, b);
		break;
	case 9: /* a run of insertions, every STEP indexes */
		a = pick_index(in);
		n = 1 + byte(in) % RUN_MAX;
		b = 1 + (op >> 7) * byte(in);
		for (unsigned i = 0; i < n && a + i * b < LIMIT; i++)
			do_insert(a + i * b);
		break;
	case 10:
		a = pick_index(in);
		n = 1 + byte(in) % RUN_MAX;
		b = 1 + (op >> 7) * byte(in);
		for (unsigned i = 0; i < n && a + i * b < LIMIT; i++)
			do_remove(a + i * b);
		break;
	case 11:
		do_walk();
		break;
	case 12:
		if (op & 0x80)
			do_destroy();
		else
			page_tree_prep_release(&prep);
		break;
	case 13:
		do_prepare_failing(1 + (op >> 4) % 3);
		break;
	default:
		do_lookup(pick_index(in));
		break;
	}
	check_all(model.n <= 64 || ++ops % CHECK_EVERY == 0);
}

/* ---- libFuzzer ---- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sim_boot(SIM_BYTES);
	page_tree_cache_init(&cache, "fuzz page tree cache");
	baseline_free = free_frames();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};

	page_tree_init(&tree, &cache);
	prep = (struct page_tree_prep){0};
	model.n = 0;
	ops = 0; /* every input runs alike, whatever ran before it */
	while (in.n > 0)
		run_op(&in);
	check_all(true);
	do_walk();
	do_destroy();
	page_tree_prep_release(&prep);
	check_all(true);
	if (cache_in_use() != 0)
		fuzz_fail("%llu nodes still in use after destroy",
			  (unsigned long long)cache_in_use());
	page_tree_cache_trim(&cache);
	if (free_frames() != baseline_free)
		fuzz_fail("free frames %llu, %llu after boot", (unsigned long long)free_frames(),
			  (unsigned long long)baseline_free);
	return 0;
}
