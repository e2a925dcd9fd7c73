/*
 * Host tests of the physical memory manager (kernel/memory/pmm.c, pmm_init.c, fail_inject.c).
 *
 * "RAM" is one 64 MiB host allocation standing in for physical 0..64 MiB (phys_host_base). Memory
 * maps that claim RAM above it (at 4 GiB and beyond) are fine as long as nothing zeroes those
 * frames: the allocator itself only touches the struct page array, which always lands low.
 *
 * Every map is checked against a brute-force model of what pmm_init() must make of it (each frame
 * the most restrictive type covering it, then the claims), frame by frame and in the counts.
 * Then long randomised alloc/free sequences on several simulated CPUs are checked after every
 * step against a model of the live allocations, with a white-box check of the free lists (via
 * pmm_internal.h) every few hundred steps; freeing everything must give back exactly the blocks
 * pmm_init() started with. Seeds are fixed (test_kernel_rng.h) and printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/debug_check.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/pmm_internal.h"
#include "kernel/options.h"
#include "test/unit/test_kernel_rng.h"

uintptr_t phys_host_base;
unsigned host_cpu_id;

#define MiB      (1ull << 20)
#define GiB      (1ull << 30)
#define RAM_SIZE (64 * MiB)
#define NCPU     4u

static uint8_t *ram;

/* Catches a failed debug check (double free) by jumping back into the test. */
static jmp_buf *check_jump;
static char check_message[256];

void debug_check_host_hook(const char *func, const char *message)
{
	snprintf(check_message, sizeof(check_message), "%s: %s", func, message);
	if (check_jump != NULL)
		longjmp(*check_jump, 1);
}

/* ---- fake boot_info ---- */

struct fake_boot {
	struct quire_boot_info bi;
	struct quire_mem_range map[64];
	struct quire_alloc_record reg[8];
};

/* Physical "address" of a host object outside RAM: phys_to_virt() turns it back (wrapping). */
static uint64_t host_phys(const void *p)
{
	return (uint64_t)(uintptr_t)p - (uint64_t)phys_host_base;
}

static void fake_finish(struct fake_boot *fb, uint32_t map_count, uint32_t reg_count)
{
	fb->bi.memory_map = host_phys(fb->map);
	fb->bi.memory_map_count = map_count;
	fb->bi.memory_map_entry_size = sizeof(struct quire_mem_range);
	fb->bi.alloc_register = reg_count ? host_phys(fb->reg) : 0;
	fb->bi.alloc_register_count = reg_count;
	fb->bi.alloc_register_entry_size = sizeof(struct quire_alloc_record);
}

#define KERNEL_BASE    0x800000ull
#define KERNEL_PAGES   256u
#define BOOTINFO_BASE  0x900000ull
#define BOOTINFO_PAGES 4u
#define PT_BASE        0x904000ull
#define PT_PAGES       16u

/* An OVMF-like map of the 64 MiB, sorted; the loader's register in its loader range. */
static void fake_standard(struct fake_boot *fb)
{
	static const struct quire_mem_range map[] = {
	    {0x0, 159, QUIRE_MEM_USABLE, 0},
	    {0x9f000, 97, QUIRE_MEM_RESERVED, 0},
	    {0x100000, 1792, QUIRE_MEM_USABLE, 0},
	    {0x800000, 512, QUIRE_MEM_LOADER, 0},
	    {0xa00000, 1536, QUIRE_MEM_BOOT_SERVICES, 0},
	    {0x1000000, 11776, QUIRE_MEM_USABLE, 0},
	    {0x3e00000, 256, QUIRE_MEM_ACPI_RECLAIM, 0},
	    {0x3f00000, 250, QUIRE_MEM_USABLE, 0},
	    {0x3ffa000, 6, QUIRE_MEM_ACPI_NVS, 0},
	    {0xfee00000, 1, QUIRE_MEM_MMIO, 0},
	};
	static const struct quire_alloc_record reg[] = {
	    {KERNEL_BASE, KERNEL_PAGES, QUIRE_ALLOC_KERNEL_IMAGE, 0},
	    {BOOTINFO_BASE, BOOTINFO_PAGES, QUIRE_ALLOC_BOOT_INFO, 0},
	    {PT_BASE, PT_PAGES, QUIRE_ALLOC_PAGE_TABLES, 0},
	    {0x914000, 1, QUIRE_ALLOC_CMDLINE, 0},
	};

	memset(fb, 0, sizeof(*fb));
	memcpy(fb->map, map, sizeof(map));
	memcpy(fb->reg, reg, sizeof(reg));
	fb->bi.kernel_phys_base = KERNEL_BASE;
	fb->bi.kernel_size = KERNEL_PAGES * 4096ull;
	fake_finish(fb, sizeof(map) / sizeof(map[0]), sizeof(reg) / sizeof(reg[0]));
}

/* ---- the model of pmm_init() ---- */

struct model {
	uint64_t lo, hi;  /* frames of the span */
	uint8_t *kind;    /* [hi - lo] */
	uint8_t *reclaim; /* [hi - lo]: PAGE_BOOT that reclaim frees */
	uint64_t by_kind[PAGE_KIND_COUNT];
	uint64_t array_base; /* physical address of the page array */
};

static void clip(uint64_t base, uint64_t pages, uint64_t *s, uint64_t *e)
{
	/* Inward alignment and saturation, computed in 128 bits for an independent check. */
	unsigned __int128 b = ((unsigned __int128)base + 4095) / 4096;
	unsigned __int128 end = ((unsigned __int128)base + (unsigned __int128)pages * 4096) / 4096;
	const unsigned __int128 top = ((unsigned __int128)1 << 52) - 1;

	*s = (uint64_t)(b > top ? top : b);
	*e = (uint64_t)(end > top ? top : end);
	if (*e < *s)
		*e = *s;
}

static int rank_of(uint32_t type)
{
	return type == QUIRE_MEM_USABLE                                        ? 1
	       : (type == QUIRE_MEM_BOOT_SERVICES || type == QUIRE_MEM_LOADER) ? 2
									       : 3;
}

static void model_claim(struct model *m, uint64_t base, uint64_t pages, uint8_t kind)
{
	uint64_t s, e;

	clip(base, pages, &s, &e);
	for (uint64_t f = s; f < e; f++) {
		if (f < m->lo || f >= m->hi || m->kind[f - m->lo] == PAGE_RESERVED)
			continue;
		m->kind[f - m->lo] = kind;
		m->reclaim[f - m->lo] = 0;
	}
}

/* Builds the model once pmm_init() has placed the array (its place is checked separately). */
static void model_build(struct model *m, const struct fake_boot *fb)
{
	const struct quire_boot_info *bi = &fb->bi;
	uint64_t s, e;

	m->lo = UINT64_MAX;
	m->hi = 0;
	for (uint32_t k = 0; k < bi->memory_map_count; k++) {
		if (rank_of(fb->map[k].type) == 3)
			continue;
		clip(fb->map[k].base, fb->map[k].pages, &s, &e);
		if (e > s) {
			m->lo = s < m->lo ? s : m->lo;
			m->hi = e > m->hi ? e : m->hi;
		}
	}
	assert_true(m->hi > m->lo);
	uint64_t n = m->hi - m->lo;
	m->kind = calloc(n, 1);
	m->reclaim = calloc(n, 1);
	uint8_t *rank = calloc(n, 1);
	for (uint32_t k = 0; k < bi->memory_map_count; k++) {
		clip(fb->map[k].base, fb->map[k].pages, &s, &e);
		for (uint64_t f = s > m->lo ? s : m->lo; f < e && f < m->hi; f++)
			if (rank[f - m->lo] < rank_of(fb->map[k].type))
				rank[f - m->lo] = (uint8_t)rank_of(fb->map[k].type);
	}
	for (uint64_t i = 0; i < n; i++) {
		m->kind[i] = rank[i] == 1 ? PAGE_FREE : rank[i] == 2 ? PAGE_BOOT : PAGE_RESERVED;
		m->reclaim[i] = rank[i] == 2;
	}
	if (m->lo == 0) { /* frame 0 is never handed out: address 0 means "no frame" */
		m->kind[0] = PAGE_RESERVED;
		m->reclaim[0] = 0;
	}
	free(rank);
	for (uint32_t k = 0; k < bi->alloc_register_count; k++) {
		uint32_t rk = fb->reg[k].kind;
		model_claim(m, fb->reg[k].base, fb->reg[k].pages,
			    rk == QUIRE_ALLOC_KERNEL_IMAGE  ? PAGE_KERNEL_IMAGE
			    : rk == QUIRE_ALLOC_PAGE_TABLES ? PAGE_PAGE_TABLE
							    : PAGE_BOOT);
	}
	model_claim(m, bi->kernel_phys_base, bi->kernel_size / 4096, PAGE_KERNEL_IMAGE);

	/* Where pmm_init() put the array: its frames must all have been free usable RAM. */
	m->array_base = host_phys(pmm.pages);
	uint64_t array_frames = (n * sizeof(struct page) + 4095) / 4096;
	assert_int_equal(m->array_base % 4096, 0);
	for (uint64_t f = m->array_base / 4096; f < m->array_base / 4096 + array_frames; f++) {
		assert_true(f >= m->lo && f < m->hi);
		assert_int_equal(m->kind[f - m->lo], PAGE_FREE);
		m->kind[f - m->lo] = PAGE_PMM_METADATA;
	}
	assert_true(m->array_base + array_frames * 4096 <= RAM_SIZE);
	memset(m->by_kind, 0, sizeof(m->by_kind));
	for (uint64_t i = 0; i < n; i++)
		m->by_kind[m->kind[i]]++;
}

static void model_free(struct model *m)
{
	free(m->kind);
	free(m->reclaim);
}

static void check_stats(const struct model *m)
{
	struct pmm_stats st;
	uint64_t sum = 0;

	pmm_get_stats(&st);
	assert_int_equal(st.total, m->hi - m->lo);
	assert_int_equal(st.free, st.by_kind[PAGE_FREE]);
	for (unsigned k = 0; k < PAGE_KIND_COUNT; k++) {
		if (st.by_kind[k] != m->by_kind[k])
			fail_msg("kind %s: pmm counts %llu, model %llu", pmm_kind_name(k),
				 (unsigned long long)st.by_kind[k],
				 (unsigned long long)m->by_kind[k]);
		sum += st.by_kind[k];
	}
	assert_int_equal(sum, st.total);
}

/* Frame by frame, the kinds of the page array against the model. */
static void check_kinds(const struct model *m)
{
	assert_int_equal(pmm.base_pfn, m->lo);
	assert_int_equal(pmm.count, m->hi - m->lo);
	for (uint64_t i = 0; i < pmm.count; i++)
		if (pmm.pages[i].kind != m->kind[i])
			fail_msg("frame 0x%llx: kind %s, model %s",
				 (unsigned long long)((m->lo + i) * 4096),
				 pmm_kind_name(pmm.pages[i].kind), pmm_kind_name(m->kind[i]));
}

/*
 * White box: every list block is a head of its order, aligned, inside the array, all its frames
 * free and on no other list; no two free buddies of one order are left uncoalesced; the cached
 * frames are free and flagged; lists plus caches hold exactly the free count.
 */
static void check_lists(void)
{
	uint8_t *seen = calloc(pmm.count, 1);
	uint64_t frames = 0;

	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++) {
		uint64_t blocks = 0;
		uint32_t prev = PAGE_INDEX_NONE;
		for (uint32_t i = pmm.free_head[k]; i != PAGE_INDEX_NONE; i = pmm.pages[i].next) {
			const struct page *p = &pmm.pages[i];
			assert_int_equal(p->prev, prev);
			assert_true(p->flags & PAGE_FLAG_BUDDY_HEAD);
			assert_int_equal(p->order, k);
			assert_int_equal((pmm.base_pfn + i) % (1ull << k), 0);
			assert_true(i + (1ull << k) <= pmm.count);
			for (uint64_t f = i; f < i + (1ull << k); f++) {
				assert_int_equal(seen[f], 0);
				seen[f] = 1;
				assert_int_equal(pmm.pages[f].kind, PAGE_FREE);
				assert_false(pmm.pages[f].flags & PAGE_FLAG_CACHED);
				if (f != i)
					assert_false(pmm.pages[f].flags & PAGE_FLAG_BUDDY_HEAD);
			}
			if (k < PMM_MAX_ORDER) {
				uint64_t b = (pmm.base_pfn + i) ^ (1ull << k);
				if (b >= pmm.base_pfn &&
				    b - pmm.base_pfn + (1ull << k) <= pmm.count) {
					const struct page *bp = &pmm.pages[b - pmm.base_pfn];
					assert_false((bp->flags & PAGE_FLAG_BUDDY_HEAD) &&
						     bp->order == k);
				}
			}
			frames += 1ull << k;
			blocks++;
			prev = i;
		}
		assert_int_equal(blocks, pmm.free_blocks[k]);
	}
	for (unsigned c = 0; c < CPU_MAX; c++) {
		uint32_t n = 0;
		for (uint32_t i = pmm.cpu[c].head; i != PAGE_INDEX_NONE; i = pmm.pages[i].next) {
			assert_int_equal(seen[i], 0);
			seen[i] = 1;
			assert_int_equal(pmm.pages[i].kind, PAGE_FREE);
			assert_true(pmm.pages[i].flags & PAGE_FLAG_CACHED);
			n++;
		}
		assert_int_equal(n, pmm.cpu[c].count);
		assert_true(n <= PMM_CACHE_HIGH);
		frames += n;
	}
	for (uint64_t i = 0; i < pmm.count; i++)
		assert_int_equal(seen[i], pmm.pages[i].kind == PAGE_FREE);
	struct pmm_stats st;
	pmm_get_stats(&st);
	assert_int_equal(frames, st.free);
	free(seen);
}

/* The free lists as a sorted list of (index << 8 | order), for before/after comparisons. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t *snapshot_lists(uint64_t *n)
{
	uint64_t cap = 0;
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++)
		cap += pmm.free_blocks[k];
	uint64_t *out = calloc(cap + 1, sizeof(uint64_t));
	*n = 0;
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++)
		for (uint32_t i = pmm.free_head[k]; i != PAGE_INDEX_NONE; i = pmm.pages[i].next)
			out[(*n)++] = (uint64_t)i << 8 | k;
	qsort(out, *n, sizeof(uint64_t), cmp_u64);
	return out;
}

static void init_ok(struct fake_boot *fb, struct model *m)
{
	host_cpu_id = 0;
	fail_inject_arm(0);
	assert_int_equal(pmm_init(&fb->bi), KERR_OK);
	model_build(m, fb);
	check_kinds(m);
	check_stats(m);
	check_lists();
}

/* ---- tests of pmm_init() ---- */

static void test_standard_map(void **state)
{
	struct fake_boot fb;
	struct model m;
	struct pmm_stats st;

	fake_standard(&fb);
	init_ok(&fb, &m);
	pmm_get_stats(&st);
	/* By hand: span 0..0x3ffa000; the array (0x3ffa frames * 16 B = 64 pages) above 1 MiB. */
	assert_int_equal(st.total, 0x3ffa);
	assert_int_equal(st.by_kind[PAGE_KERNEL_IMAGE], 256);
	assert_int_equal(st.by_kind[PAGE_PAGE_TABLE], 16);
	assert_int_equal(st.by_kind[PAGE_BOOT], 512 - 256 - 16 + 1536);
	assert_int_equal(st.by_kind[PAGE_PMM_METADATA], 64);
	assert_int_equal(st.by_kind[PAGE_RESERVED], 97 + 256 + 1); /* + frame 0, never handed out */
	assert_int_equal(st.free, 159 - 1 + 1792 + 11776 + 250 - 64);
	assert_int_equal(m.array_base, 0x100000);
	assert_int_equal(st.cached, 0);
	model_free(&m);
}

static void test_unsorted_map_same_result(void **state)
{
	struct fake_boot fb;
	struct model m;
	struct test_rng rng = test_rng_seeded("pmm unsorted");

	for (int round = 0; round < 20; round++) {
		fake_standard(&fb);
		for (uint32_t k = fb.bi.memory_map_count; k > 1; k--) {
			uint32_t j = (uint32_t)test_rng_below(&rng, k);
			struct quire_mem_range t = fb.map[k - 1];
			fb.map[k - 1] = fb.map[j];
			fb.map[j] = t;
		}
		init_ok(&fb, &m);
		assert_int_equal(m.array_base, 0x100000);
		model_free(&m);
	}
}

/* Each edge case: a map (and register) that pmm_init() must take, checked against the model. */
struct edge_map {
	const char *name;
	struct quire_mem_range map[8];
	uint32_t count;
	struct quire_alloc_record reg[3];
	uint32_t reg_count;
	uint64_t expect_total; /* 0: do not check */
};

static const struct edge_map edge_maps[] = {
    {"overlapping: reserved inside usable wins",
     {{0x100000, 8192, QUIRE_MEM_USABLE, 0}, {0x400000, 16, QUIRE_MEM_RESERVED, 0}},
     2,
     {{0}},
     0,
     0x2000},
    {"overlapping: reserved listed before the usable entry around it still wins",
     {{0x400000, 16, QUIRE_MEM_ACPI_NVS, 0},
      {0x1000000, 64, QUIRE_MEM_LOADER, 0},
      {0x100000, 8192, QUIRE_MEM_USABLE, 0}},
     3,
     {{0}},
     0,
     0x2000},
    {"overlapping: boot services over usable stays boot",
     {{0x100000, 8192, QUIRE_MEM_USABLE, 0},
      {0x1000000, 100, QUIRE_MEM_BOOT_SERVICES, 0},
      {0x1800000, 4096, QUIRE_MEM_USABLE, 0}},
     3,
     {{0}},
     0,
     0},
    {"overlapping usable entries count once",
     {{0x200000, 4096, QUIRE_MEM_USABLE, 0}, {0x300000, 4096, QUIRE_MEM_USABLE, 0}},
     2,
     {{0}},
     0,
     0x1100},
    {"unsorted with holes",
     {{0x2000000, 2048, QUIRE_MEM_USABLE, 0},
      {0x100000, 256, QUIRE_MEM_USABLE, 0},
      {0x1000000, 1, QUIRE_MEM_USABLE, 0},
      {0x400000, 1024, QUIRE_MEM_LOADER, 0}},
     4,
     {{0x400000, 8, QUIRE_ALLOC_BOOT_INFO, 0}},
     1,
     0x2800 - 0x100},
    {"tiny entries between reserved",
     {{0x100000, 1, QUIRE_MEM_USABLE, 0},
      {0x101000, 1, QUIRE_MEM_RESERVED, 0},
      {0x102000, 1, QUIRE_MEM_USABLE, 0},
      {0x103000, 1, QUIRE_MEM_ACPI_NVS, 0},
      {0x104000, 1, QUIRE_MEM_BOOT_SERVICES, 0},
      {0x200000, 4096, QUIRE_MEM_USABLE, 0}},
     6,
     {{0}},
     0,
     0x1100},
    {"huge and wrapping reserved entries are clipped",
     {{0x100000, 4096, QUIRE_MEM_USABLE, 0},
      {0x80000000, 1ull << 40, QUIRE_MEM_MMIO, 0},
      {0xfffffffffffff000ull, 16, QUIRE_MEM_RESERVED, 0},
      {0x180000000ull, UINT64_MAX, QUIRE_MEM_UNUSABLE, 0}},
     4,
     {{0}},
     0,
     0x1000},
    {"holes above 4 GiB",
     {{0x100000, 0x2f00, QUIRE_MEM_USABLE, 0},
      {0x100000000ull, 16384, QUIRE_MEM_USABLE, 0},
      {0x140000000ull, 4096, QUIRE_MEM_USABLE, 0},
      {0x120000000ull, 256, QUIRE_MEM_ACPI_NVS, 0}},
     4,
     {{0}},
     0,
     0x141000 - 0x100},
    {"misaligned entries shrink inward",
     {{0x100800, 4097, QUIRE_MEM_USABLE, 0},
      {0x2000000, 1024, QUIRE_MEM_USABLE, 0},
      {0x2000fff, 1, QUIRE_MEM_RESERVED, 0}},
     3,
     {{0}},
     0,
     0x2400 - 0x101},
    {"register record over reserved memory stays reserved",
     {{0x100000, 4096, QUIRE_MEM_USABLE, 0},
      {0x200000, 8, QUIRE_MEM_RESERVED, 0},
      {0x1100000, 64, QUIRE_MEM_LOADER, 0}},
     3,
     {{0x1fc000, 16, QUIRE_ALLOC_INITRD, 0}, {0x1100000, 4, QUIRE_ALLOC_PAGE_TABLES, 0}},
     2,
     0},
};

static void test_edge_maps(void **state)
{
	for (size_t c = 0; c < sizeof(edge_maps) / sizeof(edge_maps[0]); c++) {
		const struct edge_map *e = &edge_maps[c];
		struct fake_boot fb;
		struct model m;

		printf("# edge map: %s\n", e->name);
		memset(&fb, 0, sizeof(fb));
		memcpy(fb.map, e->map, sizeof(e->map));
		memcpy(fb.reg, e->reg, sizeof(e->reg));
		fake_finish(&fb, e->count, e->reg_count);
		init_ok(&fb, &m);
		if (e->expect_total != 0)
			assert_int_equal(pmm.count, e->expect_total);

		/* Everything free can be taken as single frames and given back exactly. */
		struct pmm_stats before, after;
		pmm_get_stats(&before);
		uint64_t n = 0;
		struct page **taken = calloc(before.free + 1, sizeof(*taken));
		while ((taken[n] = pmm_alloc_page(PAGE_TEST, 0)) != NULL) {
			struct page *p = taken[n];
			assert_int_equal(m.kind[pmm_page_to_phys(p) / 4096 - m.lo], PAGE_FREE);
			n++;
		}
		assert_int_equal(n, before.free);
		for (uint64_t i = 0; i < n; i++)
			pmm_free_page(taken[i]);
		pmm_drain_cpu_caches();
		pmm_get_stats(&after);
		assert_memory_equal(&before, &after, sizeof(before));
		check_lists();
		free(taken);
		model_free(&m);
	}
}

static void test_unusable_maps_refused(void **state)
{
	struct fake_boot fb;

	memset(&fb, 0, sizeof(fb));
	fb.map[0] = (struct quire_mem_range){0x100000, 100, QUIRE_MEM_RESERVED, 0};
	fb.map[1] = (struct quire_mem_range){0x200000, 100, QUIRE_MEM_ACPI_NVS, 0};
	fake_finish(&fb, 2, 0);
	assert_int_equal(pmm_init(&fb.bi), KERR_INVALID);

	/* 1 TiB of span needs a 4 GiB array that no usable entry can hold. */
	fb.map[0] = (struct quire_mem_range){0x100000, 256, QUIRE_MEM_USABLE, 0};
	fb.map[1] = (struct quire_mem_range){1ull << 40, 256, QUIRE_MEM_USABLE, 0};
	assert_int_equal(pmm_init(&fb.bi), KERR_NO_MEMORY);

	/* The only room for the array is taken by the kernel and a record. */
	fb.map[0] = (struct quire_mem_range){0x100000, 2, QUIRE_MEM_USABLE, 0};
	fb.map[1] = (struct quire_mem_range){0x102000, 2, QUIRE_MEM_USABLE, 0};
	fb.reg[0] = (struct quire_alloc_record){0x102000, 2, QUIRE_ALLOC_INITRD, 0};
	fb.bi.kernel_phys_base = 0x100000;
	fb.bi.kernel_size = 0x2000;
	fake_finish(&fb, 2, 1);
	assert_int_equal(pmm_init(&fb.bi), KERR_NO_MEMORY);
}

/* ---- boot memory ---- */

static void test_reclaim_and_release(void **state)
{
	struct fake_boot fb;
	struct model m;
	struct pmm_stats st;

	fake_standard(&fb);
	init_ok(&fb, &m);
	uint64_t reclaimable = 0;
	for (uint64_t i = 0; i < m.hi - m.lo; i++)
		if (m.kind[i] == PAGE_BOOT && m.reclaim[i]) {
			reclaimable++;
			m.kind[i] = PAGE_FREE;
		}
	assert_int_equal(reclaimable, 512 - 256 - 16 - 4 - 1 + 1536);
	assert_int_equal(pmm_reclaim_boot_memory(), reclaimable);
	m.by_kind[PAGE_BOOT] -= reclaimable;
	m.by_kind[PAGE_FREE] += reclaimable;
	check_kinds(&m);
	check_stats(&m);
	check_lists();

	assert_int_equal(pmm_release_boot_range(0x5000000, 1), KERR_NOT_FOUND);
	assert_int_equal(pmm_release_boot_range(PT_BASE, PT_PAGES + 1), KERR_NOT_FOUND);
	assert_int_equal(pmm_release_boot_range(PT_BASE, PT_PAGES), KERR_OK);
	m.by_kind[PAGE_PAGE_TABLE] -= PT_PAGES;
	m.by_kind[PAGE_FREE] += PT_PAGES;
	check_stats(&m);
	assert_int_equal(pmm_release_boot_range(PT_BASE, PT_PAGES), KERR_OK); /* frees nothing */
	check_stats(&m);
	assert_int_equal(pmm_release_boot_range(BOOTINFO_BASE + 4096, 2), KERR_OK);
	m.by_kind[PAGE_BOOT] -= 2;
	m.by_kind[PAGE_FREE] += 2;
	check_stats(&m);
	check_lists();
	pmm_get_stats(&st);
	assert_int_equal(st.by_kind[PAGE_KERNEL_IMAGE], KERNEL_PAGES);
	model_free(&m);
}

/* ---- allocation ---- */

static void test_zero_and_conversions(void **state)
{
	struct fake_boot fb;
	struct model m;

	fake_standard(&fb);
	init_ok(&fb, &m);
	struct page *p = pmm_alloc_page(PAGE_TEST, 0);
	assert_non_null(p);
	uint8_t *va = pmm_page_to_virt(p);
	assert_ptr_equal(va, ram + pmm_page_to_phys(p));
	assert_ptr_equal(pmm_page_from_virt(va), p);
	assert_ptr_equal(pmm_page_from_phys(pmm_page_to_phys(p) + 123), p);
	assert_null(pmm_page_from_phys(0x3ffa000));
	memset(va, 0xab, PAGE_SIZE);
	pmm_free_page(p);
	struct page *q = pmm_alloc_page(PAGE_TEST, PMM_ZERO);
	assert_ptr_equal(q, p); /* the cache is LIFO: the dirty frame comes back */
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(va[i], 0);
	pmm_free_page(q);

	struct page *r = pmm_alloc_pages(3, PAGE_TEST, 0);
	assert_non_null(r);
	memset(pmm_page_to_virt(r), 0xcd, 8 * PAGE_SIZE);
	pmm_free_pages(r, 3);
	struct page *s = pmm_alloc_pages(3, PAGE_TEST, PMM_ZERO);
	assert_ptr_equal(s, r);
	const uint8_t *sv = pmm_page_to_virt(s);
	for (unsigned i = 0; i < 8 * PAGE_SIZE; i++)
		assert_int_equal(sv[i], 0);
	pmm_free_pages(s, 3);
	assert_string_equal(pmm_kind_name(PAGE_PAGE_TABLE), "page tables");
	assert_string_equal(pmm_kind_name(PAGE_KIND_COUNT), "?");
	model_free(&m);
}

static void test_fail_injection(void **state)
{
	struct fake_boot fb;
	struct model m;

	fake_standard(&fb);
	init_ok(&fb, &m);
	fail_inject_arm(3);
	struct page *a = pmm_alloc_page(PAGE_TEST, 0);
	struct page *b = pmm_alloc_pages(2, PAGE_TEST, 0);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(pmm_alloc_page(PAGE_TEST, 0));
	assert_int_equal(fail_inject_attempts(), 3);
	struct page *c = pmm_alloc_page(PAGE_TEST, 0);
	struct page *d = pmm_alloc_pages(9, PAGE_TEST, 0);
	assert_non_null(c);
	assert_non_null(d);
	fail_inject_arm(1);
	assert_null(pmm_alloc_pages(0, PAGE_TEST, 0));
	pmm_free_page(a);
	pmm_free_pages(b, 2);
	pmm_free_page(c);
	pmm_free_pages(d, 9);
	/* Disarmed: many attempts, none fails. */
	fail_inject_arm(0);
	for (int i = 0; i < 1000; i++) {
		struct page *p = pmm_alloc_page(PAGE_TEST, 0);
		assert_non_null(p);
		pmm_free_page(p);
	}
	assert_int_equal(fail_inject_attempts(), 1000);
	pmm_drain_cpu_caches();
	check_stats(&m);
	model_free(&m);
}

static void test_double_free_caught(void **state)
{
	struct fake_boot fb;
	struct model m;
	jmp_buf jb;

	fake_standard(&fb);
	init_ok(&fb, &m);
	struct page *p = pmm_alloc_page(PAGE_TEST, 0);
	pmm_free_page(p);
	check_message[0] = 0;
	check_jump = &jb;
	if (setjmp(jb) == 0) {
		pmm_free_page(p);
		fail_msg("double free of a cached frame went unnoticed");
	}
	assert_non_null(strstr(check_message, "double free"));
	struct page *q = pmm_alloc_pages(4, PAGE_TEST, 0);
	pmm_free_pages(q, 4);
	check_message[0] = 0;
	if (setjmp(jb) == 0) {
		pmm_free_pages(q, 4);
		fail_msg("double free of a buddy block went unnoticed");
	}
	assert_non_null(strstr(check_message, "double free"));
	check_jump = NULL;
	pmm_drain_cpu_caches();
	check_stats(&m);
	check_lists();
	model_free(&m);
}

/*
 * The long randomised run: mixed orders, four simulated CPUs, frees through both paths, kind
 * changes and drains, each step checked against the model.
 */
struct live {
	struct page *page;
	unsigned order;
	uint8_t kind;
};

static void random_run(const char *who, struct fake_boot *fb, unsigned steps)
{
	struct test_rng rng = test_rng_seeded(who);
	struct model m;
	struct live *live = calloc(1 << 16, sizeof(*live));
	uint64_t nlive = 0, blocks_n, after_n;

	init_ok(fb, &m);
	uint64_t *blocks = snapshot_lists(&blocks_n);
	uint32_t *owner = malloc(pmm.count * sizeof(uint32_t));
	memset(owner, 0xff, pmm.count * sizeof(uint32_t));

	for (unsigned step = 0; step < steps; step++) {
		host_cpu_id = (unsigned)test_rng_below(&rng, NCPU);
		uint64_t r = test_rng_below(&rng, 100);
		bool grow = nlive < 40 || (r < 55 && nlive < (1 << 16) - 1);
		if (grow) {
			unsigned order =
			    r < 35 ? 0 : (unsigned)test_rng_below(&rng, PMM_MAX_ORDER + 1);
			uint8_t kind = (uint8_t)(PAGE_PAGE_TABLE + test_rng_below(&rng, 5));
			struct page *p = order == 0 && r % 2 ? pmm_alloc_page(kind, 0)
							     : pmm_alloc_pages(order, kind, 0);
			if (p == NULL) {
				/* Only when nothing big enough is on the lists (and the cache is empty). */
				for (unsigned k = order; k <= PMM_MAX_ORDER; k++)
					assert_int_equal(pmm.free_blocks[k], 0);
				continue;
			}
			uint32_t i = (uint32_t)(p - pmm.pages);
			assert_int_equal((pmm.base_pfn + i) % (1ull << order), 0);
			for (uint32_t f = i; f < i + (1u << order); f++) {
				if (owner[f] != UINT32_MAX || m.kind[f] != PAGE_FREE)
					fail_msg("step %u: frame %u handed out twice", step, f);
				owner[f] = (uint32_t)nlive;
				m.kind[f] = kind;
			}
			m.by_kind[PAGE_FREE] -= 1u << order;
			m.by_kind[kind] += 1u << order;
			live[nlive++] = (struct live){p, order, kind};
		} else if (r < 95) {
			uint64_t j = test_rng_below(&rng, nlive);
			struct live l = live[j];
			uint32_t i = (uint32_t)(l.page - pmm.pages);
			if (l.order == 0 && r % 2)
				pmm_free_page(l.page);
			else
				pmm_free_pages(l.page, l.order);
			for (uint32_t f = i; f < i + (1u << l.order); f++) {
				owner[f] = UINT32_MAX;
				m.kind[f] = PAGE_FREE;
			}
			m.by_kind[PAGE_FREE] += 1u << l.order;
			m.by_kind[l.kind] -= 1u << l.order;
			live[j] = live[--nlive];
			if (j < nlive) {
				uint32_t moved = (uint32_t)(live[j].page - pmm.pages);
				for (uint32_t f = moved; f < moved + (1u << live[j].order); f++)
					owner[f] = (uint32_t)j;
			}
		} else if (r < 98 && nlive > 0) {
			struct live *l = &live[test_rng_below(&rng, nlive)];
			uint8_t kind = (uint8_t)(PAGE_PAGE_TABLE + test_rng_below(&rng, 5));
			pmm_set_kind(l->page, l->order, kind);
			uint32_t i = (uint32_t)(l->page - pmm.pages);
			for (uint32_t f = i; f < i + (1u << l->order); f++)
				m.kind[f] = kind;
			m.by_kind[l->kind] -= 1u << l->order;
			m.by_kind[kind] += 1u << l->order;
			l->kind = kind;
		} else {
			pmm_drain_cpu_caches();
			struct pmm_stats st;
			pmm_get_stats(&st);
			assert_int_equal(st.cached, 0);
		}
		check_stats(&m);
		if (step % 512 == 0) {
			check_kinds(&m);
			check_lists();
		}
	}
	while (nlive > 0) {
		struct live l = live[--nlive];
		host_cpu_id = (unsigned)test_rng_below(&rng, NCPU);
		pmm_free_pages(l.page, l.order);
	}
	pmm_drain_cpu_caches();
	check_lists();
	uint64_t *after = snapshot_lists(&after_n);
	assert_int_equal(after_n, blocks_n);
	assert_memory_equal(after, blocks, blocks_n * sizeof(uint64_t));
	free(after);
	free(blocks);
	free(owner);
	free(live);
	model_free(&m);
}

static void test_random_standard(void **state)
{
	struct fake_boot fb;

	fake_standard(&fb);
	random_run("pmm random standard", &fb, 30000);
}

static void test_random_fragmented(void **state)
{
	struct fake_boot fb;

	/* Odd-sized, oddly aligned runs (so blocks are cut by the runs' edges), and RAM at 4 GiB. */
	memset(&fb, 0, sizeof(fb));
	fb.map[0] = (struct quire_mem_range){0x3000, 0x5fd, QUIRE_MEM_USABLE, 0};
	fb.map[1] = (struct quire_mem_range){0x700000, 0x1234, QUIRE_MEM_USABLE, 0};
	fb.map[2] = (struct quire_mem_range){0x1a00000, 0x777, QUIRE_MEM_BOOT_SERVICES, 0};
	fb.map[3] = (struct quire_mem_range){0x2200000, 0x1801, QUIRE_MEM_USABLE, 0};
	fb.map[4] = (struct quire_mem_range){0x100000000ull + 0x5000, 0x2fff, QUIRE_MEM_USABLE, 0};
	fb.map[5] = (struct quire_mem_range){0x2300000, 7, QUIRE_MEM_RESERVED, 0};
	fake_finish(&fb, 6, 0);
	random_run("pmm random fragmented", &fb, 30000);
}

/* Exhaustion on one CPU while the other CPUs' caches hold frames; then all comes back. */
static void test_exhaustion_across_cpus(void **state)
{
	struct fake_boot fb;
	struct model m;
	struct pmm_stats before, after;

	fake_standard(&fb);
	init_ok(&fb, &m);
	pmm_get_stats(&before);
	struct page **taken = calloc(before.free + 1, sizeof(*taken));
	uint64_t n = 0;
	for (host_cpu_id = 1; host_cpu_id < NCPU; host_cpu_id++) {
		struct page *p = pmm_alloc_page(PAGE_TEST, 0);
		pmm_free_page(p); /* leaves 32 frames in this CPU's cache */
	}
	host_cpu_id = 0;
	while ((taken[n] = pmm_alloc_page(PAGE_TEST, 0)) != NULL)
		n++;
	assert_int_equal(n, before.free - 3 * PMM_CACHE_BATCH);
	assert_null(pmm_alloc_pages(0, PAGE_TEST, 0));
	pmm_drain_cpu_caches();
	while ((taken[n] = pmm_alloc_pages(0, PAGE_TEST, 0)) != NULL)
		n++;
	assert_int_equal(n, before.free);
	for (uint64_t i = 0; i < n; i++) {
		host_cpu_id = (unsigned)(i % NCPU);
		pmm_free_page(taken[i]);
		assert_true(pmm.cpu[host_cpu_id].count <= PMM_CACHE_HIGH);
	}
	host_cpu_id = 0;
	pmm_drain_cpu_caches();
	pmm_get_stats(&after);
	assert_memory_equal(&before, &after, sizeof(before));
	check_lists();
	free(taken);
	model_free(&m);
}

/*
 * Frame 0 is usable in the standard map, yet never handed out: physical address 0 is the "no
 * frame" value of the callers (a 128 MiB QEMU boot once drained memory down to frame 0 and a
 * page-table allocation mistook it for a failure).
 */
static void test_frame_zero_never_handed_out(void **state)
{
	struct fake_boot fb;
	struct model m;
	struct pmm_stats before;

	fake_standard(&fb);
	init_ok(&fb, &m);
	assert_int_equal(pmm_page_from_phys(0)->kind, PAGE_RESERVED);
	pmm_get_stats(&before);
	struct page **taken = calloc(before.free + 1, sizeof(*taken));
	uint64_t n = 0;
	while ((taken[n] = pmm_alloc_page(PAGE_TEST, 0)) != NULL) {
		assert_int_not_equal(pmm_page_to_phys(taken[n]), 0);
		n++;
	}
	assert_int_equal(n, before.free);
	for (uint64_t i = 0; i < n; i++)
		pmm_free_page(taken[i]);
	pmm_drain_cpu_caches();
	check_stats(&m);
	check_lists();
	free(taken);
	model_free(&m);
}

/* failalloc=N on the command line (kernel/options.c): a count from 1, anything else ignored. */
static void count_ignored(void *ctx, const struct cmdline_token *t, const char *reason)
{
	(*(int *)ctx)++;
}

static void test_failalloc_option(void **state)
{
	static const struct {
		const char *text;
		uint64_t value;
		int ignored;
	} cases[] = {
	    {"", 0, 0},
	    {"failalloc=1", 1, 0},
	    {"test failalloc=12345 loglevel=debug", 12345, 0},
	    {"failalloc=999999999999999", 999999999999999ull, 0},
	    {"failalloc=0", 0, 1},
	    {"failalloc=", 0, 1},
	    {"failalloc", 0, 1},
	    {"failalloc=-3", 0, 1},
	    {"failalloc=0x10", 0, 1},
	    {"failalloc=1000000000000000", 0, 1},
	    {"failalloc=7 failalloc=9", 9, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct options o;
		int ignored = 0;
		options_parse(cases[i].text, strlen(cases[i].text), &o, count_ignored, &ignored);
		assert_int_equal(o.failalloc, cases[i].value);
		assert_int_equal(ignored, cases[i].ignored);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_standard_map),
	    cmocka_unit_test(test_unsorted_map_same_result),
	    cmocka_unit_test(test_edge_maps),
	    cmocka_unit_test(test_unusable_maps_refused),
	    cmocka_unit_test(test_reclaim_and_release),
	    cmocka_unit_test(test_zero_and_conversions),
	    cmocka_unit_test(test_fail_injection),
	    cmocka_unit_test(test_failalloc_option),
	    cmocka_unit_test(test_double_free_caught),
	    cmocka_unit_test(test_exhaustion_across_cpus),
	    cmocka_unit_test(test_frame_zero_never_handed_out),
	    cmocka_unit_test(test_random_standard),
	    cmocka_unit_test(test_random_fragmented),
	};

	ram = aligned_alloc(2 * MiB, RAM_SIZE);
	memset(ram, 0x5a, RAM_SIZE);
	phys_host_base = (uintptr_t)ram;
	int failed = cmocka_run_group_tests_name("kernel_pmm", tests, NULL, NULL);
	free(ram);
	return failed;
}
