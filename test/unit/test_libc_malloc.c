/*
 * Host tests of libc's malloc (libc/stdlib/malloc.c) and exit (libc/misc/exit.c).
 *
 * The VMA system calls malloc makes are faked here on host mmap: each area reserves address space
 * (PROT_NONE) of its size, or of four times its size so that vma_resize can grow it in place (the
 * fake picks one at random; a grow beyond the reservation is EXISTS, as when the kernel finds a
 * neighbour in the way). The fake keeps a table of handles, checks every call malloc makes (the
 * flags, the process handle, no unknown or closed handle) and counts live areas, so a test ends
 * by proving every area came back; it also fails calls on request (NO_MEMORY).
 *
 * The tests: size classes and alignment, malloc(0), large blocks unmapped on free, realloc in
 * place and by copy, calloc's zeroing and overflow, the spare chunk, 100,000 random operations
 * against a model, the same with random failures and a sweep failing each call of a script in
 * turn, pointers malloc did not return, and exit's atexit handlers through a fake process_exit
 * that longjmps back.
 */
#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "libc/include/errno.h"
#include "libc/include/quire_runtime.h"
#include "libc/include/stdlib.h"
#include "libc/misc/runtime_internal.h"
#include "quire/syscalls.h"
#include "test/unit/test_kernel_rng.h"

#define PAGE        4096u
#define FAKE_SELF   7u
#define FAKE_SLOTS  4095u
#define SMALL_MAX   2048u
#define CHUNK_BYTES 65536u

/* The fake kernel. */

struct fake_area {
	bool in_use, open, mapped;
	quire_handle_t handle;
	uint8_t *base;
	uint64_t size;    /* mapped bytes */
	uint64_t reserve; /* address space held at base */
};

static struct {
	struct fake_area area[FAKE_SLOTS];
	uint32_t generation;
	uint64_t live;        /* areas open or mapped */
	uint64_t misuse;      /* calls a correct malloc never makes */
	uint64_t calls;       /* create_map and resize calls */
	uint64_t fail_at;     /* fail the call with this number (calls), 0: none */
	uint64_t fail_one_in; /* fail each such call with probability 1/N, 0: never */
	uint64_t failed;
	int room; /* reservations: 0 random, 1 exactly the size, 4 four times it */
	struct test_rng rng;
} fake;

static void fake_reset(const char *who)
{
	fake.fail_at = 0;
	fake.fail_one_in = 0;
	fake.rng = test_rng_seeded(who);
}

static struct fake_area *fake_find(quire_handle_t h)
{
	uint32_t slot = h & 0xfff;

	if (slot == 0 || slot > FAKE_SLOTS || fake.area[slot - 1].handle != h ||
	    !fake.area[slot - 1].in_use) {
		fake.misuse++;
		return NULL;
	}
	return &fake.area[slot - 1];
}

static bool fake_should_fail(void)
{
	fake.calls++;
	if ((fake.fail_at != 0 && fake.calls == fake.fail_at) ||
	    (fake.fail_one_in != 0 && test_rng_below(&fake.rng, fake.fail_one_in) == 0)) {
		fake.failed++;
		return true;
	}
	return false;
}

static void fake_forget(struct fake_area *a)
{
	if (!a->open && !a->mapped) {
		a->in_use = false;
		fake.live--;
	}
}

long quire_vma_create_map(uint64_t size, uint64_t *addr, uint32_t flags, quire_handle_t *out)
{
	if (flags != (QUIRE_VMA_READ | QUIRE_VMA_WRITE) || size == 0) {
		fake.misuse++;
		return -QUIRE_ERR_INVALID;
	}
	if (fake_should_fail())
		return -QUIRE_ERR_NO_MEMORY;
	size = (size + PAGE - 1) / PAGE * PAGE;
	uint32_t slot = 0;
	while (slot < FAKE_SLOTS && fake.area[slot].in_use)
		slot++;
	if (slot == FAKE_SLOTS)
		return -QUIRE_ERR_NO_MEMORY;
	uint64_t times = fake.room != 0                 ? (uint64_t)fake.room
			 : test_rng_below(&fake.rng, 2) ? 1
							: 4;
	uint64_t reserve = times * size;
	void *base =
	    mmap(NULL, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED || mprotect(base, size, PROT_READ | PROT_WRITE) != 0)
		fail_msg("fake: host mmap of %llu bytes failed", (unsigned long long)reserve);
	fake.generation++;
	fake.area[slot] = (struct fake_area){
	    .in_use = true,
	    .open = true,
	    .mapped = true,
	    .handle = (quire_handle_t)((fake.generation & 0xfffff) << 12 | (slot + 1)),
	    .base = base,
	    .size = size,
	    .reserve = reserve,
	};
	fake.live++;
	*addr = (uint64_t)(uintptr_t)base;
	*out = fake.area[slot].handle;
	return 0;
}

long quire_vma_unmap(quire_handle_t vma, quire_handle_t process)
{
	struct fake_area *a = fake_find(vma);

	if (a == NULL)
		return -QUIRE_ERR_BAD_HANDLE;
	if (process != FAKE_SELF || !a->mapped) {
		fake.misuse++;
		return process != FAKE_SELF ? -QUIRE_ERR_BAD_HANDLE : -QUIRE_ERR_NOT_FOUND;
	}
	munmap(a->base, a->reserve);
	a->mapped = false;
	fake_forget(a);
	return 0;
}

long quire_vma_resize(quire_handle_t vma, uint64_t *size)
{
	struct fake_area *a = fake_find(vma);

	if (a == NULL)
		return -QUIRE_ERR_BAD_HANDLE;
	if (*size == 0 || !a->open || !a->mapped) {
		fake.misuse++;
		return -QUIRE_ERR_INVALID;
	}
	if (fake_should_fail())
		return -QUIRE_ERR_NO_MEMORY;
	uint64_t want = (*size + PAGE - 1) / PAGE * PAGE;
	if (want > a->reserve)
		return -QUIRE_ERR_EXISTS;
	if (want > a->size) {
		mprotect(a->base + a->size, want - a->size, PROT_READ | PROT_WRITE);
	} else if (want < a->size) {
		/* The pages past the end are freed: a later grow finds zeros. */
		madvise(a->base + want, a->size - want, MADV_DONTNEED);
		mprotect(a->base + want, a->size - want, PROT_NONE);
	}
	a->size = want;
	*size = want;
	return 0;
}

long quire_handle_close(quire_handle_t handle)
{
	struct fake_area *a = fake_find(handle);

	if (a == NULL)
		return -QUIRE_ERR_BAD_HANDLE;
	if (a->mapped)
		fake.misuse++; /* malloc unmaps first */
	a->open = false;
	fake_forget(a);
	return 0;
}

long quire_yield(void)
{
	return 0;
}

quire_handle_t quire_self(void)
{
	return FAKE_SELF;
}

/* The area the fake holds at P, or NULL. */
static struct fake_area *fake_area_at(const void *p)
{
	for (uint32_t i = 0; i < FAKE_SLOTS; i++) {
		struct fake_area *a = &fake.area[i];
		if (a->in_use && (const uint8_t *)p >= a->base &&
		    (const uint8_t *)p < a->base + a->size)
			return a;
	}
	return NULL;
}

static jmp_buf exit_jump;
static int64_t exit_status;

_Noreturn void quire_process_exit(int64_t status)
{
	exit_status = status;
	longjmp(exit_jump, 1);
}

/* Helpers. */

static struct quire_malloc_stats stats(void)
{
	struct quire_malloc_stats st;

	quire_malloc_stats(&st);
	return st;
}

/* Every block freed: after a trim malloc holds nothing and the fake has no live area. */
static void expect_all_returned(void)
{
	struct quire_malloc_stats st = stats();

	assert_int_equal(st.blocks_in_use, 0);
	assert_int_equal(st.bytes_in_use, 0);
	assert_int_equal(st.large_blocks, 0);
	assert_int_equal(st.chunks, st.empty_chunks);
	assert_int_equal(st.areas, fake.live);
	quire_malloc_trim();
	st = stats();
	assert_int_equal(st.areas, 0);
	assert_int_equal(st.bytes_mapped, 0);
	assert_int_equal(st.chunks, 0);
	assert_int_equal(st.table_areas, 0);
	assert_int_equal(fake.live, 0);
	assert_int_equal(fake.misuse, 0);
}

static const uint16_t want_classes[] = {16,  32,  48,  64,   80,   96,   112,  128,
					160, 192, 224, 256,  320,  384,  448,  512,
					640, 768, 896, 1024, 1280, 1536, 1792, 2048};

static size_t want_usable(size_t n)
{
	if (n == 0)
		n = 1;
	if (n > SMALL_MAX)
		return (n + PAGE - 1) / PAGE * PAGE;
	for (size_t i = 0;; i++)
		if (want_classes[i] >= n)
			return want_classes[i];
}

/* Tests. */

static void test_size_classes(void **state)
{
	static void *blocks[PAGE + 2];

	for (size_t n = 0; n <= PAGE + 1; n++) {
		blocks[n] = quire_malloc(n);
		assert_non_null(blocks[n]);
		assert_int_equal((uintptr_t)blocks[n] % 16, 0);
		assert_int_equal(quire_malloc_usable_size(blocks[n]), want_usable(n));
		memset(blocks[n], 0xa5, n);
	}
	assert_int_equal(stats().large_blocks, PAGE + 2 - (SMALL_MAX + 1));
	assert_int_equal(stats().blocks_in_use, PAGE + 2);
	assert_int_equal(quire_malloc_usable_size(NULL), 0);
	for (size_t n = 0; n <= PAGE + 1; n++)
		quire_free(blocks[n]);
	quire_free(NULL);
	expect_all_returned();
}

static void test_zero_and_aligned(void **state)
{
	void *a = quire_malloc(0), *b = quire_malloc(0);

	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	quire_free(a);
	quire_free(b);

	for (size_t align = 1; align <= PAGE; align *= 2) {
		for (size_t n = 0; n < 3 * PAGE; n += 1 + n / 3) {
			void *p = quire_aligned_alloc(align, n);
			assert_non_null(p);
			assert_int_equal((uintptr_t)p % (align < 16 ? 16 : align), 0);
			assert_true(quire_malloc_usable_size(p) >= n);
			memset(p, 1, n);
			quire_free(p);
		}
	}
	size_t bad[] = {0, 3, 24, 2 * PAGE};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		quire_errno = 0;
		assert_null(quire_aligned_alloc(bad[i], 64));
		assert_int_equal(quire_errno, EINVAL);
	}
	expect_all_returned();
}

static void test_large_blocks(void **state)
{
	uint64_t live = fake.live;
	uint8_t *p = quire_malloc(1 << 20);

	assert_non_null(p);
	assert_int_equal((uintptr_t)p % PAGE, 0);
	struct fake_area *a = fake_area_at(p);
	assert_non_null(a);
	assert_ptr_equal(a->base, p);
	assert_int_equal(a->size, 1 << 20);
	assert_true(fake.live > live);
	p[0] = 1;
	p[(1 << 20) - 1] = 2;
	quire_handle_t handle = a->handle;
	uint64_t before_free = fake.live;
	quire_free(p);
	/* Unmapped and closed at once (no spare is kept for large blocks). */
	assert_int_equal(fake.live, before_free - 1);
	assert_null(fake_area_at(p));
	assert_false(a->in_use && a->handle == handle);

	/* Sizes no address space holds fail without a call. */
	uint64_t calls = fake.calls;
	size_t huge[] = {SIZE_MAX, SIZE_MAX - PAGE, (size_t)1 << 50};
	for (size_t i = 0; i < 3; i++) {
		quire_errno = 0;
		assert_null(quire_malloc(huge[i]));
		assert_int_equal(quire_errno, ENOMEM);
	}
	assert_int_equal(fake.calls, calls);

	/* A kernel that refuses: NULL, ENOMEM, nothing left behind. */
	fake.fail_at = fake.calls + 1;
	quire_errno = 0;
	assert_null(quire_malloc(100000));
	assert_int_equal(quire_errno, ENOMEM);
	fake.fail_at = 0;
	expect_all_returned();
}

static void fill(uint8_t *p, size_t n, uint8_t byte)
{
	memset(p, byte, n);
}

/* Whether P[0..N) all equal BYTE. */
static bool filled(const uint8_t *p, size_t n, uint8_t byte)
{
	uint64_t word = 0x0101010101010101ull * byte;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (w != word)
			return false;
	}
	for (; i < n; i++)
		if (p[i] != byte)
			return false;
	return true;
}

static void test_realloc_paths(void **state)
{
	/* Within a class: in place, growing and shrinking. */
	uint8_t *p = quire_malloc(100);
	fill(p, 100, 0x11);
	assert_ptr_equal(quire_realloc(p, 112), p);
	assert_ptr_equal(quire_realloc(p, 1), p);
	assert_true(filled(p, 1, 0x11));

	/* Past the class: moved, contents kept. */
	uint8_t *q = quire_realloc(p, 1000);
	assert_non_null(q);
	assert_true(filled(q, 1, 0x11));
	fill(q, 1000, 0x22);

	/* Small to large and back. */
	uint8_t *r = quire_realloc(q, 10000);
	assert_non_null(r);
	assert_true(filled(r, 1000, 0x22));
	fill(r, 10000, 0x33);

	/* Large grows in place when the fake reserved room after it, else moves. */
	int in_place = 0, moved = 0;
	size_t size = 10000;
	for (int i = 0; i < 40; i++) {
		uint8_t *old = r;
		size_t grown = size + PAGE * (1 + (size_t)i % 3);
		r = quire_realloc(r, grown);
		assert_non_null(r);
		assert_true(filled(r, size, 0x33));
		assert_true(filled(r + size, (grown + PAGE - 1) / PAGE * PAGE - size, 0));
		if (r == old)
			in_place++;
		else
			moved++;
		fill(r + size, grown - size, 0x33);
		size = grown;
		assert_int_equal(quire_malloc_usable_size(r), (size + PAGE - 1) / PAGE * PAGE);
	}
	assert_true(in_place > 0);
	assert_true(moved > 0);

	/* Large shrinks in place, giving the pages back. */
	uint8_t *old = r;
	r = quire_realloc(r, 3 * PAGE);
	assert_ptr_equal(r, old);
	assert_int_equal(fake_area_at(r)->size, 3 * PAGE);
	assert_true(filled(r, 3 * PAGE, 0x33));

	/* Large to small: moved into a class. */
	r = quire_realloc(r, 50);
	assert_int_equal(quire_malloc_usable_size(r), 64);
	assert_true(filled(r, 50, 0x33));
	assert_int_equal(stats().large_blocks, 0);

	/* realloc(NULL, n) is malloc; realloc(p, 0) is realloc(p, 1): the block stays. */
	uint8_t *s = quire_realloc(NULL, 30);
	assert_non_null(s);
	assert_int_equal(quire_malloc_usable_size(s), 32);
	assert_ptr_equal(quire_realloc(s, 0), s);
	quire_free(s);

	/* A failed grow returns NULL, sets ENOMEM and leaves the block alone. */
	uint8_t *big = quire_malloc(5 * PAGE);
	fill(big, 5 * PAGE, 0x44);
	fake.fail_one_in = 1;
	quire_errno = 0;
	assert_null(quire_realloc(big, 50 * PAGE));
	assert_int_equal(quire_errno, ENOMEM);
	assert_null(quire_realloc(r, 4000));
	/* Shrinking a large block to a small size succeeds even when no chunk can be made. */
	assert_ptr_equal(quire_realloc(big, 700), big);
	fake.fail_one_in = 0;
	assert_true(filled(big, 5 * PAGE, 0x44));
	assert_true(filled(r, 50, 0x33));
	quire_free(big);
	quire_free(r);
	expect_all_returned();
}

static void test_calloc_zeroes(void **state)
{
	size_t overflow[][2] = {{SIZE_MAX / 2 + 1, 2},
				{(size_t)1 << 32, (size_t)1 << 32},
				{SIZE_MAX, SIZE_MAX},
				{3, SIZE_MAX / 2}};
	uint64_t calls = fake.calls;

	for (size_t i = 0; i < sizeof(overflow) / sizeof(overflow[0]); i++) {
		quire_errno = 0;
		assert_null(quire_calloc(overflow[i][0], overflow[i][1]));
		assert_int_equal(quire_errno, ENOMEM);
	}
	assert_int_equal(fake.calls, calls);

	void *zero = quire_calloc(0, 8), *zero2 = quire_calloc(8, 0);
	assert_non_null(zero);
	assert_non_null(zero2);
	assert_ptr_not_equal(zero, zero2);
	quire_free(zero);
	quire_free(zero2);

	/* Reused small blocks come back zeroed. */
	for (int round = 0; round < 3; round++) {
		uint8_t *blocks[64];
		for (int i = 0; i < 64; i++) {
			size_t n = (size_t)(i * 37 % 2000) + 1;
			blocks[i] = quire_calloc(n, 1);
			assert_non_null(blocks[i]);
			assert_true(filled(blocks[i], n, 0));
			fill(blocks[i], quire_malloc_usable_size(blocks[i]), 0xee);
		}
		for (int i = 0; i < 64; i++)
			quire_free(blocks[i]);
	}
	uint8_t *large = quire_calloc(1000, 1000);
	assert_non_null(large);
	assert_true(filled(large, 1000000, 0));
	quire_free(large);
	expect_all_returned();
}

static void test_spare_chunk(void **state)
{
	enum { N = 3 * CHUNK_BYTES / 32 }; /* three chunks of 32-byte blocks */
	static void *blocks[N];

	for (int i = 0; i < N; i++)
		blocks[i] = quire_malloc(32);
	assert_int_equal(stats().chunks, 3);
	assert_int_equal(stats().empty_chunks, 0);
	for (int i = 0; i < N; i++)
		quire_free(blocks[i]);
	/* Two chunks went back; one stays as the class's spare. */
	assert_int_equal(stats().chunks, 1);
	assert_int_equal(stats().empty_chunks, 1);

	/* A malloc/free loop uses the spare and creates no area. */
	uint64_t created = stats().areas_created;
	for (int i = 0; i < 1000; i++)
		quire_free(quire_malloc(20));
	assert_int_equal(stats().areas_created, created);
	assert_int_equal(quire_malloc_trim(), 3); /* the spare and both tables */
	expect_all_returned();
}

/* The random workload against a model. */

struct slot {
	uint8_t *p;
	size_t size;
	uint8_t byte;
};

#define SLOTS 2000

static size_t random_size(struct test_rng *rng)
{
	uint64_t r = test_rng_below(rng, 100);

	if (r < 60)
		return (size_t)test_rng_below(rng, 129);
	if (r < 85)
		return 129 + (size_t)test_rng_below(rng, SMALL_MAX - 128);
	if (r < 98)
		return SMALL_MAX + 1 + (size_t)test_rng_below(rng, 32768);
	return 32768 + (size_t)test_rng_below(rng, 256 * 1024);
}

static int compare_slots(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return (x->p > y->p) - (x->p < y->p);
}

/* No two live blocks overlap (their usable sizes counted); every one is 16-byte aligned. */
static void check_no_overlap(const struct slot *slots)
{
	static struct slot sorted[SLOTS];
	size_t n = 0;

	for (size_t i = 0; i < SLOTS; i++)
		if (slots[i].p != NULL)
			sorted[n++] = slots[i];
	qsort(sorted, n, sizeof(sorted[0]), compare_slots);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal((uintptr_t)sorted[i].p % 16, 0);
		if (i + 1 < n)
			assert_true(sorted[i].p + quire_malloc_usable_size(sorted[i].p) <=
				    sorted[i + 1].p);
	}
	assert_int_equal(stats().blocks_in_use, n);
	assert_int_equal(stats().areas, fake.live);
}

/*
 * OPS random malloc/calloc/realloc/free operations over SLOTS slots. With FAIL_ONE_IN set the fake
 * fails that share of its calls: a failed call must return NULL with ENOMEM and change nothing.
 */
static void random_workload(const char *who, int ops, uint64_t fail_one_in)
{
	static struct slot slots[SLOTS];
	struct test_rng rng = test_rng_seeded(who);
	int failures = 0;

	memset(slots, 0, sizeof(slots));
	fake.fail_one_in = fail_one_in;
	for (int op = 0; op < ops; op++) {
		struct slot *s = &slots[test_rng_below(&rng, SLOTS)];
		uint64_t kind = test_rng_below(&rng, 10);
		uint8_t byte = (uint8_t)(1 + test_rng_below(&rng, 255));
		quire_errno = 0;
		if (s->p == NULL) {
			size_t n = random_size(&rng);
			bool zeroed = kind < 3;
			uint8_t *p = zeroed ? quire_calloc(1, n) : quire_malloc(n);
			if (p == NULL) {
				assert_true(fail_one_in != 0);
				assert_int_equal(quire_errno, ENOMEM);
				failures++;
				continue;
			}
			assert_int_equal((uintptr_t)p % 16, 0);
			assert_true(quire_malloc_usable_size(p) >= n);
			if (zeroed)
				assert_true(filled(p, n, 0));
			fill(p, n, byte);
			*s = (struct slot){p, n, byte};
		} else if (kind < 4) {
			assert_true(filled(s->p, s->size, s->byte));
			quire_free(s->p);
			s->p = NULL;
		} else {
			size_t n = random_size(&rng);
			uint8_t *p = quire_realloc(s->p, n);
			if (p == NULL) {
				assert_true(fail_one_in != 0);
				assert_int_equal(quire_errno, ENOMEM);
				assert_true(filled(s->p, s->size, s->byte));
				failures++;
				continue;
			}
			assert_true(filled(p, n < s->size ? n : s->size, s->byte));
			assert_true(quire_malloc_usable_size(p) >= n);
			fill(p, n, byte);
			*s = (struct slot){p, n, byte};
		}
		if (op % 2000 == 0)
			check_no_overlap(slots);
	}
	fake.fail_one_in = 0;
	check_no_overlap(slots);
	struct quire_malloc_stats st = stats();
	printf("# %s: %d operations, %d failed; %llu areas created so far\n", who, ops, failures,
	       (unsigned long long)st.areas_created);
	for (size_t i = 0; i < SLOTS; i++) {
		if (slots[i].p != NULL) {
			assert_true(filled(slots[i].p, slots[i].size, slots[i].byte));
			quire_free(slots[i].p);
		}
	}
	expect_all_returned();
}

static void test_random_operations(void **state)
{
	random_workload("libc_malloc random", 100000, 0);
}

static void test_random_failures(void **state)
{
	random_workload("libc_malloc failures", 30000, 6);
	assert_true(fake.failed > 0);
}

/*
 * A fixed script of 600 allocations that makes both tables grow several times, run once per
 * create/resize call it makes, failing that call: every allocation either succeeds or returns
 * NULL with ENOMEM (a failed table resize falls back to a new area), and freeing what succeeded
 * leaves nothing behind. Twice: with no room to grow areas in place, and with room.
 */
static void failure_sweep(int room)
{
	enum { N = 600 };
	static void *blocks[N];
	uint64_t total_calls = 0, runs_failing = 0;

	fake.room = room;
	for (uint64_t k = 0; k == 0 || k <= total_calls; k++) {
		uint64_t start = fake.calls, failed = fake.failed;
		bool got_null = false;
		fake.fail_at = k == 0 ? 0 : start + k;
		for (int i = 0; i < N; i++) {
			size_t n =
			    i % 3 == 0 ? PAGE * (size_t)(1 + i % 5) : (size_t)(i * 37 % 2048) + 1;
			quire_errno = 0;
			blocks[i] = quire_malloc(n);
			if (blocks[i] == NULL) {
				assert_int_equal(quire_errno, ENOMEM);
				got_null = true;
			}
		}
		if (k == 0)
			total_calls = fake.calls - start;
		assert_int_equal(fake.failed - failed, k == 0 ? 0 : 1);
		runs_failing += got_null;
		for (int i = 0; i < N; i++)
			quire_free(blocks[i]);
		fake.fail_at = 0;
		expect_all_returned();
	}
	fake.room = 0;
	printf("# libc_malloc sweep (room %d): failed each of %llu calls in turn, %llu runs saw "
	       "NULL\n",
	       room, (unsigned long long)total_calls, (unsigned long long)runs_failing);
	assert_true(total_calls > 200);
	assert_true(runs_failing > 200);
}

static void test_failure_sweep(void **state)
{
	failure_sweep(1);
	failure_sweep(4);
}

static jmp_buf abort_jump;

static void abort_hook(void)
{
	longjmp(abort_jump, 1);
}

/* Runs FN(ARG) and expects it to abort. */
#define EXPECT_ABORT(call)                                                                         \
	do {                                                                                       \
		if (setjmp(abort_jump) == 0) {                                                     \
			call;                                                                      \
			fail_msg("did not abort: " #call);                                         \
		}                                                                                  \
	} while (0)

static void test_bad_pointers_abort(void **state)
{
	static char not_heap[64] __attribute__((aligned(16)));
	char *volatile small = quire_malloc(64);
	char *volatile large = quire_malloc(3 * PAGE);
	char *volatile freed = quire_malloc(64);

	quire_free(freed);
	__libc_abort_hook = abort_hook;
	EXPECT_ABORT(quire_free(not_heap));
	EXPECT_ABORT(quire_free(small + 16));
	EXPECT_ABORT(quire_free(small + 1));
	EXPECT_ABORT(quire_free(large + PAGE));
	EXPECT_ABORT(quire_free(large + 16));
	EXPECT_ABORT(quire_free(freed));
	EXPECT_ABORT(quire_realloc(small + 32, 10));
	EXPECT_ABORT(quire_realloc(not_heap, 10));
	EXPECT_ABORT(quire_malloc_usable_size(large + 8));
	/* Past the last whole 48-byte block of a chunk (65536 = 1365 * 48 + 16). */
	char *volatile c48 = quire_malloc(48);
	struct fake_area *area = fake_area_at(c48);
	EXPECT_ABORT(quire_free(area->base + 1365 * 48));
	__libc_abort_hook = NULL;

	/* The lock was dropped each time: malloc still works, and the blocks are intact. */
	quire_free(small);
	quire_free(large);
	quire_free(c48);
	quire_free(quire_malloc(10));
	expect_all_returned();
}

/* exit and atexit. */

static int order[64], order_len;
static int flushed_at;

static void record(int n)
{
	order[order_len++] = n;
}

static void handler1(void)
{
	record(1);
}

static void handler2(void)
{
	record(2);
}

static void handler3(void)
{
	record(3);
}

static void handler_registers(void)
{
	record(4);
	assert_int_equal(quire_atexit(handler1), 0);
}

static void flush_hook(void)
{
	flushed_at = order_len;
}

static int run_exit(int status, bool underscore)
{
	order_len = 0;
	flushed_at = -1;
	exit_status = -1;
	if (setjmp(exit_jump) == 0) {
		if (underscore)
			quire__Exit(status);
		quire_exit(status);
	}
	return (int)exit_status;
}

static void test_exit_runs_atexit(void **state)
{
	__libc_stdio_flush = flush_hook;
	assert_int_equal(quire_atexit(handler1), 0);
	assert_int_equal(quire_atexit(handler2), 0);
	assert_int_equal(quire_atexit(handler3), 0);
	assert_int_equal(run_exit(7, false), 7);
	assert_int_equal(order_len, 3);
	assert_int_equal(order[0], 3);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 1);
	assert_int_equal(flushed_at, 3); /* after every handler */

	/* Nothing is left registered; a handler may register another during exit. */
	assert_int_equal(run_exit(-1, false), -1);
	assert_int_equal(order_len, 0);
	assert_int_equal(quire_atexit(handler2), 0);
	assert_int_equal(quire_atexit(handler_registers), 0);
	assert_int_equal(run_exit(0, false), 0);
	assert_int_equal(order_len, 3);
	assert_int_equal(order[0], 4);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 2);

	/* 32 handlers fit, the 33rd does not; NULL is refused. */
	for (int i = 0; i < 32; i++)
		assert_int_equal(quire_atexit(i % 2 ? handler1 : handler2), 0);
	assert_int_equal(quire_atexit(handler3), -1);
	assert_int_equal(quire_atexit(NULL), -1);
	assert_int_equal(run_exit(300, false), 300);
	assert_int_equal(order_len, 32);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[31], 2);

	/* _Exit runs nothing and flushes nothing. */
	assert_int_equal(quire_atexit(handler3), 0);
	assert_int_equal(run_exit(5, true), 5);
	assert_int_equal(order_len, 0);
	assert_int_equal(flushed_at, -1);
	assert_int_equal(run_exit(6, false), 6);
	assert_int_equal(order_len, 1);
	__libc_stdio_flush = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_size_classes),      cmocka_unit_test(test_zero_and_aligned),
	    cmocka_unit_test(test_large_blocks),      cmocka_unit_test(test_realloc_paths),
	    cmocka_unit_test(test_calloc_zeroes),     cmocka_unit_test(test_spare_chunk),
	    cmocka_unit_test(test_random_operations), cmocka_unit_test(test_random_failures),
	    cmocka_unit_test(test_failure_sweep),     cmocka_unit_test(test_bad_pointers_abort),
	    cmocka_unit_test(test_exit_runs_atexit),
	};

	fake_reset("libc_malloc fake");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
