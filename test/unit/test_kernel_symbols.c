/*
 * Host tests of kernel/lib/symbols.c: lookups at the edges of a hand-made table (exact start,
 * inside, before the first symbol, at and after the end, a single symbol, an empty table), a
 * randomised comparison with a linear-scan model over many tables, and symbols_parse() on a valid
 * blob and on every kind of corruption it must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/symbols.h"
#include "test/unit/test_kernel_rng.h"

#define BASE 0xffffffff80000000ull

static const char names[] = "kernel_entry\0kmain\0panic_at\0crash_ud";
static const struct symbols_entry entries[] = {
    {0x000, 0},  /* kernel_entry */
    {0x040, 13}, /* kmain */
    {0x200, 19}, /* panic_at */
    {0x350, 28}, /* crash_ud */
};
static const struct symbols_table table = {
    .base = BASE,
    .end = BASE + 0x400,
    .entries = entries,
    .count = 4,
    .names = names,
    .names_size = sizeof(names),
};

static void expect(uint64_t addr, const char *name, uint64_t offset)
{
	struct symbols_match m = {0};

	assert_true(symbols_lookup(&table, addr, &m));
	assert_string_equal(m.name, name);
	assert_int_equal(m.offset, offset);
	assert_int_equal(m.start + m.offset, addr);
}

static void expect_none(const struct symbols_table *t, uint64_t addr)
{
	struct symbols_match m = {.name = "untouched"};

	assert_false(symbols_lookup(t, addr, &m));
	assert_string_equal(m.name, "untouched");
}

static void test_exact(void **state)
{
	expect(BASE, "kernel_entry", 0);
	expect(BASE + 0x40, "kmain", 0);
	expect(BASE + 0x350, "crash_ud", 0);
}

static void test_inside(void **state)
{
	expect(BASE + 0x3f, "kernel_entry", 0x3f);
	expect(BASE + 0x54, "kmain", 0x14);
	expect(BASE + 0x34f, "panic_at", 0x14f);
	expect(BASE + 0x3ff, "crash_ud", 0xaf);
}

static void test_before_first_and_after_last(void **state)
{
	static const struct symbols_entry late[] = {{0x100, 0}};
	struct symbols_table t = {.base = BASE,
				  .end = BASE + 0x200,
				  .entries = late,
				  .count = 1,
				  .names = names,
				  .names_size = sizeof(names)};

	expect_none(&table, BASE - 1);
	expect_none(&table, 0);
	expect_none(&table, BASE + 0x400);
	expect_none(&table, UINT64_MAX);
	expect_none(&t, BASE);
	expect_none(&t, BASE + 0xff);
	expect_none(&t, BASE + 0x200);
}

static void test_single_and_empty(void **state)
{
	static const struct symbols_entry one[] = {{0x10, 5}};
	struct symbols_table t = {.base = BASE,
				  .end = BASE + 0x20,
				  .entries = one,
				  .count = 1,
				  .names = "abcd\0only",
				  .names_size = 10};
	struct symbols_match m;

	assert_true(symbols_lookup(&t, BASE + 0x1f, &m));
	assert_string_equal(m.name, "only");
	assert_int_equal(m.offset, 0xf);
	expect_none(&t, BASE + 0xf);
	t.count = 0;
	expect_none(&t, BASE + 0x10);
}

/* The model: the last entry at or below the address, if the address is below the end. */
static int64_t model_lookup(const struct symbols_table *t, uint64_t addr)
{
	int64_t found = -1;

	if (addr < t->base || addr >= t->end)
		return -1;
	for (uint32_t i = 0; i < t->count; i++) {
		if (t->base + t->entries[i].offset <= addr)
			found = i;
	}
	return found;
}

static void random_table(struct test_rng *r, struct symbols_entry *e, uint32_t count,
			 struct symbols_table *t)
{
	uint32_t off = (uint32_t)test_rng_below(r, 64);

	for (uint32_t i = 0; i < count; i++) {
		e[i] = (struct symbols_entry){.offset = off, .name = i % 4};
		off += 1 + (uint32_t)test_rng_below(r, test_rng_below(r, 2) ? 8 : 5000);
	}
	*t = (struct symbols_table){.base = BASE,
				    .end = BASE + off,
				    .entries = e,
				    .count = count,
				    .names = "a\0b\0c\0d",
				    .names_size = 8};
}

static void test_random_against_model(void **state)
{
	struct test_rng r = test_rng_seeded("symbols");
	struct symbols_entry *e = malloc(5000 * sizeof(*e));

	for (int round = 0; round < 300; round++) {
		struct symbols_table t;
		uint32_t count = 1 + (uint32_t)test_rng_below(&r, round < 100 ? 8 : 5000);
		random_table(&r, e, count, &t);
		for (int q = 0; q < 300; q++) {
			uint64_t span = t.end - t.base + 200;
			uint64_t addr = t.base - 100 + test_rng_below(&r, span);
			int64_t want = model_lookup(&t, addr);
			struct symbols_match m;
			bool got = symbols_lookup(&t, addr, &m);
			assert_int_equal(got, want >= 0);
			if (got) {
				assert_int_equal(m.start, t.base + e[want].offset);
				assert_ptr_equal(m.name, t.names + e[want].name);
			}
		}
	}
	free(e);
}

/* A blob as tools/gensyms.sh lays it out, in 8-byte-aligned storage. */
struct blob {
	uint64_t storage[64];
	size_t size;
};

static void build_blob(struct blob *b)
{
	struct symbols_blob_header h = {.magic = SYMBOLS_MAGIC,
					.version = SYMBOLS_VERSION,
					.base = BASE,
					.end = BASE + 0x400,
					.count = 4,
					.names_size = sizeof(names)};
	char *p = (char *)b->storage;

	memset(b->storage, 0, sizeof(b->storage));
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), entries, sizeof(entries));
	memcpy(p + sizeof(h) + sizeof(entries), names, sizeof(names));
	b->size = sizeof(h) + sizeof(entries) + sizeof(names);
}

static struct symbols_blob_header *header_of(struct blob *b)
{
	return (struct symbols_blob_header *)b->storage;
}

static struct symbols_entry *entries_of(struct blob *b)
{
	return (struct symbols_entry *)(header_of(b) + 1);
}

static void test_parse_valid(void **state)
{
	struct blob b;
	struct symbols_table t;
	struct symbols_match m;

	build_blob(&b);
	assert_int_equal(symbols_parse(b.storage, b.size, &t), KERR_OK);
	assert_int_equal(t.count, 4);
	assert_true(symbols_lookup(&t, BASE + 0x210, &m));
	assert_string_equal(m.name, "panic_at");
	assert_int_equal(m.offset, 0x10);
}

static void test_parse_empty_table(void **state)
{
	struct symbols_blob_header h = {.magic = SYMBOLS_MAGIC, .version = SYMBOLS_VERSION};
	struct symbols_table t;

	assert_int_equal(symbols_parse(&h, sizeof(h), &t), KERR_OK);
	assert_int_equal(t.count, 0);
	expect_none(&t, BASE);
}

static void expect_invalid(struct blob *b, size_t size)
{
	struct symbols_table t = {0};

	assert_int_equal(symbols_parse(b->storage, size, &t), KERR_INVALID);
	assert_int_equal(t.count, 0);
}

static void test_parse_rejects_corruption(void **state)
{
	struct blob b;

	build_blob(&b);
	expect_invalid(&b, sizeof(struct symbols_blob_header) - 1);
	expect_invalid(&b, b.size - 1);
	header_of(&b)->magic ^= 1;
	expect_invalid(&b, b.size);
	build_blob(&b);
	header_of(&b)->version = 2;
	expect_invalid(&b, b.size);
	build_blob(&b);
	header_of(&b)->count = 0x7fffffff;
	expect_invalid(&b, b.size);
	build_blob(&b);
	entries_of(&b)[2].offset = entries_of(&b)[1].offset; /* duplicate: not strictly ascending */
	expect_invalid(&b, b.size);
	build_blob(&b);
	entries_of(&b)[3].offset = 0x10; /* unsorted */
	expect_invalid(&b, b.size);
	build_blob(&b);
	entries_of(&b)[1].name = sizeof(names); /* past the pool */
	expect_invalid(&b, b.size);
	build_blob(&b);
	((char *)b.storage)[b.size - 1] = 'x'; /* pool not terminated */
	expect_invalid(&b, b.size);
	build_blob(&b);
	header_of(&b)->end = BASE + 0x350; /* the last symbol would start at the end */
	expect_invalid(&b, b.size);
	build_blob(&b);
	header_of(&b)->base = BASE + 0x1000; /* base above end */
	expect_invalid(&b, b.size);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact),
	    cmocka_unit_test(test_inside),
	    cmocka_unit_test(test_before_first_and_after_last),
	    cmocka_unit_test(test_single_and_empty),
	    cmocka_unit_test(test_random_against_model),
	    cmocka_unit_test(test_parse_valid),
	    cmocka_unit_test(test_parse_empty_table),
	    cmocka_unit_test(test_parse_rejects_corruption),
	};
	return cmocka_run_group_tests_name("kernel_symbols", tests, NULL, NULL);
}
