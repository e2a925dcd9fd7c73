/*
 * Host tests of kernel/memory/kheap.c over the real frame allocator (pmm.c, pmm_init.c) in a
 * simulated physical memory: a host buffer that stands for physical addresses 0 .. SIM_BYTES,
 * with one usable range in its memory map.
 *
 * - size classes, alignment, usable sizes, kzalloc;
 * - random sizes (small and large) freed in random order, checked against a model: no two live
 *   blocks overlap, every block keeps the pattern written into it until it is freed;
 * - after everything is freed and the spares trimmed, the heap holds no frame and the pmm's free
 *   count is back at its baseline;
 * - exhaustion: an injected failure at kmalloc and at the pmm below it gives NULL and leaks
 *   nothing; real exhaustion ends in NULL, and freeing everything recovers every frame;
 * - debug checks: double free, a pointer kmalloc never returned, a write after free.
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
#include "kernel/memory/kheap.h"
#include "kernel/memory/pmm.h"
#include "test/unit/test_kernel_rng.h"

#define SIM_BYTES  (48ull << 20) /* simulated physical memory */
#define USABLE_LO  (1ull << 20)
#define MAP_PHYS   0x1000ull /* the memory map lives below the usable range */
#define KERNEL_LO  USABLE_LO
#define KERNEL_LEN (64ull << 10)

unsigned host_cpu_id;
uintptr_t phys_host_base;

static void *sim_memory;
static uint64_t baseline_free;

static jmp_buf check_jump;
static bool expecting_failure;
static char failure[256];

void debug_check_host_hook(const char *func, const char *message)
{
	if (!expecting_failure)
		return;
	snprintf(failure, sizeof(failure), "%s: %s", func, message);
	expecting_failure = false;
	longjmp(check_jump, 1);
}

#define EXPECT_CHECK_FAILS(stmt, want)                                                             \
	do {                                                                                       \
		failure[0] = '\0';                                                                 \
		expecting_failure = true;                                                          \
		if (setjmp(check_jump) == 0) {                                                     \
			stmt;                                                                      \
			expecting_failure = false;                                                 \
			fail_msg("%s did not fail a check", #stmt);                                \
		}                                                                                  \
		if (strstr(failure, (want)) == NULL)                                               \
			fail_msg("check said \"%s\", want \"%s\"", failure, (want));               \
	} while (0)

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.free;
}

static uint64_t heap_frames(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.by_kind[PAGE_HEAP];
}

/* A fresh machine for every test: the pmm from a one-range memory map, then the heap. */
static int boot(void **state)
{
	static struct quire_boot_info bi;
	static char cmdline[1];

	if (sim_memory == NULL) {
		sim_memory = aligned_alloc(1u << 22, SIM_BYTES);
		assert_non_null(sim_memory);
	}
	phys_host_base = (uintptr_t)sim_memory;
	struct quire_mem_range *map = (void *)(phys_host_base + MAP_PHYS);
	map[0] = (struct quire_mem_range){
	    .base = USABLE_LO, .pages = (SIM_BYTES - USABLE_LO) >> 12, .type = QUIRE_MEM_USABLE};
	bi = (struct quire_boot_info){
	    .magic = QUIRE_BOOT_MAGIC,
	    .version = QUIRE_BOOT_VERSION,
	    .size = sizeof(bi),
	    .memory_map = MAP_PHYS,
	    .memory_map_count = 1,
	    .memory_map_entry_size = sizeof(struct quire_mem_range),
	    .kernel_phys_base = KERNEL_LO,
	    .kernel_size = KERNEL_LEN,
	    .cmdline = (uint64_t)((uintptr_t)cmdline - phys_host_base),
	};
	host_cpu_id = 0;
	fail_inject_arm(0);
	assert_int_equal(pmm_init(&bi), KERR_OK);
	kheap_init();
	baseline_free = free_frames();
	return 0;
}

/* Every test ends with nothing allocated: the heap gives back its spares and counts return. */
static void expect_baseline(void)
{
	struct kheap_stats ks;

	kheap_trim();
	kheap_get_stats(&ks);
	for (unsigned i = 0; i < KHEAP_CLASS_COUNT; i++) {
		assert_int_equal(ks.classes[i].objects, 0);
		assert_int_equal(ks.classes[i].slabs, 0);
	}
	assert_int_equal(ks.large_objects, 0);
	assert_int_equal(ks.frames, 0);
	assert_int_equal(heap_frames(), 0);
	assert_int_equal(free_frames(), baseline_free);
}

static void test_classes_and_alignment(void **state)
{
	static const size_t sizes[] = {0,   1,   15,  16,  17,   33,   64,
				       100, 255, 256, 257, 1000, 2047, 2048};
	static const size_t want[] = {16,  16,  16,  16,  32,   64,   64,
				      128, 256, 256, 512, 1024, 2048, 2048};
	void *p[(sizeof(sizes) / sizeof(sizes[0]))];

	for (size_t i = 0; i < (sizeof(sizes) / sizeof(sizes[0])); i++) {
		p[i] = kmalloc(sizes[i]);
		assert_non_null(p[i]);
		assert_int_equal(kheap_usable_size(p[i]), want[i]);
		assert_int_equal((uintptr_t)p[i] % want[i], 0);
		memset(p[i], 0xa5, want[i]);
	}
	struct kheap_stats ks;
	kheap_get_stats(&ks);
	assert_int_equal(ks.classes[0].objects, 4);
	assert_int_equal(ks.classes[0].bytes, 64);
	assert_int_equal(ks.classes[7].objects, 2);
	assert_int_equal(ks.frames, heap_frames());
	for (size_t i = 0; i < (sizeof(sizes) / sizeof(sizes[0])); i++)
		kfree(p[i]);
	kfree(NULL);
	expect_baseline();
}

static void test_large_and_zeroed(void **state)
{
	uint8_t *a = kmalloc(2049);
	uint8_t *b = kzalloc(3 * 4096 + 1);
	uint8_t *c = kzalloc(40);

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_int_equal((uintptr_t)a % 4096, 0);
	assert_int_equal(kheap_usable_size(a), 4096);
	assert_int_equal(kheap_usable_size(b), 4 * 4096);
	for (size_t i = 0; i < 3 * 4096 + 1; i++)
		assert_int_equal(b[i], 0);
	for (size_t i = 0; i < 40; i++)
		assert_int_equal(c[i], 0);
	struct kheap_stats ks;
	kheap_get_stats(&ks);
	assert_int_equal(ks.large_objects, 2);
	assert_int_equal(ks.large_frames, 5);
	assert_null(kmalloc((4096u << PMM_MAX_ORDER) + 1)); /* beyond the largest run */
	void *d = kmalloc(4096u << PMM_MAX_ORDER);          /* exactly the largest run: fine */
	assert_non_null(d);
	assert_int_equal(kheap_usable_size(d), 4096u << PMM_MAX_ORDER);
	kfree(d);
	kfree(a);
	kfree(b);
	kfree(c);
	expect_baseline();
}

struct block {
	uint8_t *p;
	size_t size;
	uint8_t pattern;
};

static size_t random_size(struct test_rng *r)
{
	switch (test_rng_below(r, 16)) {
	case 0:
		return 2049 + test_rng_below(r, 5 * 4096); /* large: up to 8 frames */
	case 1:
	case 2:
		return 1 + test_rng_below(r, 2048);
	default:
		return 1 + test_rng_below(r, 160);
	}
}

static void check_and_free(struct block *b)
{
	for (size_t i = 0; i < b->size; i++) {
		if (b->p[i] != b->pattern)
			fail_msg("block %p (%zu bytes): byte %zu is 0x%02x, want 0x%02x",
				 (void *)b->p, b->size, i, b->p[i], b->pattern);
	}
	kfree(b->p);
	b->p = NULL;
}

static void test_random_against_model(void **state)
{
	enum { SLOTS = 600, STEPS = 30000 };
	static struct block blocks[SLOTS];
	struct test_rng r = test_rng_seeded("kheap random");

	memset(blocks, 0, sizeof(blocks));
	for (unsigned step = 0; step < STEPS; step++) {
		struct block *b = &blocks[test_rng_below(&r, SLOTS)];
		if (b->p != NULL) {
			check_and_free(b);
			continue;
		}
		b->size = random_size(&r);
		b->p = kmalloc(b->size);
		assert_non_null(b->p);
		assert_true(kheap_usable_size(b->p) >= b->size);
		for (unsigned j = 0; j < SLOTS; j++) {
			const struct block *o = &blocks[j];
			if (o == b || o->p == NULL)
				continue;
			if (b->p < o->p + o->size && o->p < b->p + b->size)
				fail_msg("%p+%zu overlaps %p+%zu", (void *)b->p, b->size,
					 (void *)o->p, o->size);
		}
		b->pattern = (uint8_t)(step * 7 + 1);
		memset(b->p, b->pattern, b->size);
	}
	/* The heap holds exactly what the model says is live, and frees back to the baseline. */
	struct kheap_stats ks;
	kheap_get_stats(&ks);
	uint64_t live = 0, live_large = 0;
	for (unsigned j = 0; j < SLOTS; j++) {
		if (blocks[j].p != NULL) {
			live++;
			live_large += blocks[j].size > KHEAP_SMALL_MAX;
		}
	}
	uint64_t counted = ks.large_objects;
	for (unsigned i = 0; i < KHEAP_CLASS_COUNT; i++)
		counted += ks.classes[i].objects;
	assert_int_equal(counted, live);
	assert_int_equal(ks.large_objects, live_large);
	assert_int_equal(ks.frames, heap_frames());
	for (unsigned j = 0; j < SLOTS; j++) {
		if (blocks[j].p != NULL)
			check_and_free(&blocks[j]);
	}
	expect_baseline();
}

static void test_injected_failures(void **state)
{
	/* At kmalloc's own entry. */
	fail_inject_arm(1);
	assert_null(kmalloc(64));
	void *p = kmalloc(64); /* disarmed again */
	assert_non_null(p);
	kfree(p);
	expect_baseline();
	/* Below: the pmm refusing the slab frame (attempt 2: kmalloc's, then the pmm's). */
	fail_inject_arm(2);
	assert_null(kmalloc(512));
	fail_inject_arm(2);
	assert_null(kmalloc(10000));
	struct kheap_stats ks;
	kheap_get_stats(&ks);
	assert_int_equal(ks.classes[5].slabs, 0);
	assert_int_equal(ks.large_objects, 0);
	assert_int_equal(heap_frames(), 0);
	p = kmalloc(512);
	assert_non_null(p);
	kfree(p);
	expect_baseline();
}

/* Links every block through its first word, so exhausting memory needs no side table. */
static void test_exhaustion_and_recovery(void **state)
{
	void *chain = NULL;
	uint64_t count = 0;

	for (size_t size = 4096u << PMM_MAX_ORDER; size >= 16; size /= 2) {
		void *p;
		while ((p = kmalloc(size)) != NULL) {
			*(void **)p = chain;
			chain = p;
			count++;
		}
	}
	assert_true(count > 0);
	assert_null(kmalloc(16));
	assert_null(kmalloc(5000));
	assert_true(free_frames() == 0);
	while (chain != NULL) {
		void *next = *(void **)chain;
		kfree(chain);
		chain = next;
	}
	expect_baseline();
	void *p = kmalloc(100);
	assert_non_null(p);
	kfree(p);
	expect_baseline();
}

static void test_debug_checks(void **state)
{
	uint64_t *p = kmalloc(64), *q = kmalloc(64), *big = kmalloc(8192);
	static uint64_t not_heap[4];

	assert_non_null(p);
	assert_non_null(q);
	assert_non_null(big);
	kfree(p);
	EXPECT_CHECK_FAILS(kfree(p), "double free of 64-byte object");
	EXPECT_CHECK_FAILS(kfree((uint8_t *)q + 16 + 8), "is not an object kmalloc returned");
	EXPECT_CHECK_FAILS(kfree((uint8_t *)big + 4096), "is not a kheap pointer");
	phys_host_base = (uintptr_t)sim_memory;
	EXPECT_CHECK_FAILS(kfree(not_heap), "is not a kheap pointer");
	/* A write after free is caught when the object is handed out again. */
	p[3] = 42;
	EXPECT_CHECK_FAILS(kmalloc(64), "use after free: 64-byte object");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_classes_and_alignment, boot),
	    cmocka_unit_test_setup(test_large_and_zeroed, boot),
	    cmocka_unit_test_setup(test_random_against_model, boot),
	    cmocka_unit_test_setup(test_injected_failures, boot),
	    cmocka_unit_test_setup(test_exhaustion_and_recovery, boot),
	    cmocka_unit_test_setup(test_debug_checks, boot),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	free(sim_memory);
	return failed;
}
