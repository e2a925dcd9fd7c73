/*
 * malloc_stress: libc's malloc, calloc, realloc and free under 20,000 random operations (a
 * fixed-seed generator, so every run is the same), then proof that it gave every frame back.
 *
 * A table of slots holds the live blocks. Each operation picks a slot: an empty one gets a block
 * from malloc, calloc or realloc(NULL, n); a full one is freed, or resized with realloc. Sizes
 * run from 1 byte to 256 KiB, mostly small (libc's size classes, up to 2 KiB), about a tenth
 * large (more than 2 KiB: an area of its own), with the classes' edges drawn on purpose. Every
 * block is 16-byte aligned, has at least the size asked (quire_malloc_usable_size) and is filled
 * with a pattern of its seed and the offset; the pattern is checked whole before a block is freed
 * and up to the smaller size across a realloc, and a calloc block is checked all zero first.
 *
 * Leaks. libc keeps, by design (libc/stdlib/malloc.c), one empty chunk per size class and its
 * two tables; quire_malloc_trim() releases them, after which it holds no area at all
 * (quire_malloc_stats). The kernel keeps a process's handle table at its largest size (it grows
 * by 128-slot chunks and never shrinks, kernel/objects/handle.h), so before the baseline is taken
 * the table is grown past anything the run needs, by cloning a handle 640 times and closing the
 * clones; libc's own static data and the stack are touched first too. After everything is freed
 * and trimmed, the free frame count must be back at that baseline exactly.
 */
#include "qtest.h"

#define OPS          20000
#define SLOTS        512
#define LARGE_LIMIT  (256u * 1024u)
#define HANDLES_WARM 640
#define STATS_EACH   1000

typedef uint64_t __attribute__((may_alias)) word_t;

struct slot {
	uint8_t *p;
	size_t size;
	uint32_t seed;
};

static struct slot slots[SLOTS];
static uint64_t rng = 0x243f6a8885a308d3ull; /* fixed: the same run each time */
static uint32_t next_seed = 1;

static struct {
	uint64_t mallocs, callocs, reallocs, frees, large;
	uint64_t live_blocks, live_bytes, peak_live_bytes;
} counts;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* The sizes at libc's edges: class boundaries, the small/large limit, pages, the largest. */
static const size_t edge_sizes[] = {1,          15,    16,    17,    127,    128,
				    129,        2047,  2048,  2049,  4095,   4096,
				    4097,       65535, 65536, 65537, 131072, LARGE_LIMIT - 1,
				    LARGE_LIMIT};

static size_t pick_size(void)
{
	uint64_t r = rnd() % 100;
	unsigned bits;

	if (r < 4)
		return edge_sizes[rnd() % (sizeof(edge_sizes) / sizeof(edge_sizes[0]))];
	bits = r < 92 ? (unsigned)(rnd() % 11) : 11 + (unsigned)(rnd() % 7);
	size_t size = ((size_t)1 << bits) + rnd() % ((size_t)1 << bits);
	return size > LARGE_LIMIT ? LARGE_LIMIT : size;
}

/* The pattern: 64-bit word K of the block with SEED, and the byte at offset I. */
static uint64_t word_at(uint32_t seed, size_t k)
{
	uint64_t x = (uint64_t)seed * 0x9e3779b97f4a7c15ull + k;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 29);
}

static uint8_t byte_at(uint32_t seed, size_t i)
{
	return (uint8_t)(word_at(seed, i / 8) >> (8 * (i % 8)));
}

static void fill(uint8_t *p, uint32_t seed, size_t from, size_t to)
{
	size_t i = from;

	for (; i < to && i % 8 != 0; i++)
		p[i] = byte_at(seed, i);
	for (; i + 8 <= to; i += 8)
		*(word_t *)(p + i) = word_at(seed, i / 8);
	for (; i < to; i++)
		p[i] = byte_at(seed, i);
}

static void check_fill(const uint8_t *p, uint32_t seed, size_t to)
{
	size_t i = 0;

	for (; i + 8 <= to; i += 8)
		if (*(const word_t *)(p + i) != word_at(seed, i / 8))
			break;
	for (; i < to; i++)
		if (p[i] != byte_at(seed, i)) {
			char what[120];
			snprintf(what, sizeof(what),
				 "block %p (%zu bytes checked): byte %zu is 0x%02x",
				 (const void *)p, to, i, p[i]);
			qtest_fail(__FILE__, __LINE__, what);
		}
}

static void check_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0) {
			char what[100];
			snprintf(what, sizeof(what), "calloc block %p of %zu: byte %zu is 0x%02x",
				 (const void *)p, n, i, p[i]);
			qtest_fail(__FILE__, __LINE__, what);
		}
}

static void check_block(const void *p, size_t size)
{
	CHECK(p != NULL);
	CHECK_EQ((uintptr_t)p % 16, 0);
	CHECK(quire_malloc_usable_size((void *)p) >= size);
}

/* Gives the empty slot S a new block of SIZE, filled with a fresh seed's pattern. */
static void slot_new(struct slot *s, size_t size)
{
	uint64_t how = rnd() % 10;

	if (how < 6) {
		s->p = malloc(size);
		counts.mallocs++;
	} else if (how < 9) {
		size_t count = 1 + rnd() % 4, each = size / count;
		if (each == 0)
			each = 1;
		size = count * each;
		s->p = calloc(count, each);
		check_block(s->p, size);
		check_zero(s->p, size);
		counts.callocs++;
	} else {
		s->p = realloc(NULL, size);
		counts.reallocs++;
	}
	check_block(s->p, size);
	s->size = size;
	s->seed = next_seed++;
	fill(s->p, s->seed, 0, size);
	if (size > 2048)
		counts.large++;
	counts.live_blocks++;
	counts.live_bytes += size;
}

static void slot_free(struct slot *s)
{
	check_fill(s->p, s->seed, s->size);
	free(s->p);
	counts.live_blocks--;
	counts.live_bytes -= s->size;
	*s = (struct slot){0};
	counts.frees++;
}

/* Resizes S's block: the old bytes up to the smaller size stay, the new ones get the pattern. */
static void slot_resize(struct slot *s, size_t size)
{
	uint8_t *p = realloc(s->p, size);

	check_block(p, size);
	check_fill(p, s->seed, s->size < size ? s->size : size);
	if (size > s->size)
		fill(p, s->seed, s->size, size);
	counts.live_bytes += size - s->size;
	s->p = p;
	s->size = size;
	counts.reallocs++;
}

static void step(void)
{
	struct slot *s = &slots[rnd() % SLOTS];

	if (s->p == NULL)
		slot_new(s, pick_size());
	else if (rnd() % 100 < 45)
		slot_free(s);
	else
		slot_resize(s, pick_size());
}

static void free_all(void)
{
	for (size_t i = 0; i < SLOTS; i++)
		if (slots[i].p != NULL)
			slot_free(&slots[i]);
}

/* Nothing allocated, nothing kept: malloc holds no area. */
static void check_empty(void)
{
	struct quire_malloc_stats st;

	quire_malloc_trim();
	quire_malloc_stats(&st);
	CHECK_EQ(st.blocks_in_use, 0);
	CHECK_EQ(st.bytes_in_use, 0);
	CHECK_EQ(st.areas, 0);
	CHECK_EQ(st.bytes_mapped, 0);
	CHECK_EQ(st.chunks, 0);
	CHECK_EQ(st.large_blocks, 0);
	CHECK_EQ(st.table_areas, 0);
	CHECK_EQ(st.areas_created, st.areas_released);
}

/* What the run keeps whatever it does, made present before the baseline (see the top). */
static __attribute__((noinline)) void warm_up(void)
{
	volatile uint8_t below[16384];
	static quire_handle_t clones[HANDLES_WARM];

	for (size_t i = 0; i < sizeof(below); i += 512)
		below[i] = 0;
	memset(slots, 0, sizeof(slots));
	memset(&counts, 0, sizeof(counts));
	for (size_t i = 0; i < HANDLES_WARM; i++)
		CHECK_EQ(quire_handle_clone(quire_self(), QUIRE_RIGHT_READ, &clones[i]), 0);
	for (size_t i = 0; i < HANDLES_WARM; i++)
		CHECK_EQ(quire_handle_close(clones[i]), 0);
	for (size_t i = 0; i < sizeof(edge_sizes) / sizeof(edge_sizes[0]); i++)
		slot_new(&slots[i], edge_sizes[i]);
	for (size_t i = 0; i < sizeof(edge_sizes) / sizeof(edge_sizes[0]); i++)
		slot_resize(&slots[i],
			    edge_sizes[sizeof(edge_sizes) / sizeof(edge_sizes[0]) - 1 - i]);
	free_all();
	check_empty();
	memset(&counts, 0, sizeof(counts));
}

int main(int argc, char **argv)
{
	warm_up();
	uint64_t frames = qtest_frames_free();
	struct quire_malloc_stats st;

	for (int op = 1; op <= OPS; op++) {
		step();
		if (counts.live_bytes > counts.peak_live_bytes)
			counts.peak_live_bytes = counts.live_bytes;
		if (op % STATS_EACH == 0) {
			quire_malloc_stats(&st);
			CHECK_EQ(st.blocks_in_use, counts.live_blocks);
			CHECK(st.bytes_in_use >= counts.live_bytes);
		}
	}
	quire_malloc_stats(&st);
	uint64_t created = st.areas_created;
	free_all();
	check_empty();
	CHECK_EQ(qtest_frames_free(), frames);
	printf(
	    "malloc_stress: %d ops (%llu malloc, %llu calloc, %llu realloc, %llu free; %llu large; "
	    "peak %llu KiB live, %llu areas made), all returned\n",
	    OPS, (unsigned long long)counts.mallocs, (unsigned long long)counts.callocs,
	    (unsigned long long)counts.reallocs, (unsigned long long)counts.frees,
	    (unsigned long long)counts.large, (unsigned long long)(counts.peak_live_bytes / 1024),
	    (unsigned long long)created);
	return 0;
}
