/*
 * malloc, free, calloc, realloc and aligned_alloc on top of VMAs (quire/syscalls.h).
 *
 * Model. Every byte malloc hands out lies in an area it made with vma_create_map (READ|WRITE,
 * zero-filled, placed by the kernel, page aligned):
 *   - small blocks (up to 2048 bytes) come from chunks, 64 KiB areas each cut into blocks of one
 *     size class: 16..128 in steps of 16, then four classes per doubling up to 2048 (160, 192,
 *     224, 256, 320, ... 1792, 2048), so a block wastes at most about a fifth of itself;
 *   - a large block (more than 2048 bytes) is an area of its own, its size rounded up to pages.
 *     free unmaps it and closes its handle; realloc resizes it in place (vma_resize) when the
 *     address space after it is free, and copies otherwise.
 * Blocks start at offset 0 of a chunk and every class is a multiple of 16, so every block is
 * 16-byte aligned, and the power-of-two classes are aligned to their size (aligned_alloc).
 *
 * Metadata lives outside the blocks, in two tables malloc keeps in areas of their own:
 *   - the area index: every area (chunk or large block) as {base, size, handle, chunk id},
 *     sorted by base. free finds a pointer's area by binary search, so a pointer malloc did not
 *     return (or an interior one, or one already freed) is found out and aborts;
 *   - the chunk descriptors, by id: the class, a bitmap of allocated blocks, the count, and the
 *     links of the class's list of chunks with a free block (544 bytes, under 1% of a chunk).
 * An overflow past a block thus damages a neighbouring block's bytes, never malloc's bookkeeping.
 * A table grows by vma_resize in place, or by moving to a new area twice as big.
 *
 * Returning memory. A chunk whose last block is freed is released (unmapped, its handle closed)
 * unless it is its class's only empty chunk: one empty chunk per class is kept as a spare, so a
 * program that allocates and frees one block in a loop does not create and destroy an area each
 * time. quire_malloc_trim() releases the spares, and the tables once no area is left.
 *
 * Errors: a failed vma call (NO_MEMORY, the address space full) makes the allocation fail with
 * NULL and errno ENOMEM, leaving everything as it was; each table has room for the new area
 * before the area is made, so there is nothing to undo. vma_unmap and handle_close are not
 * expected to fail on an area malloc owns; if one does, the area is forgotten all the same.
 *
 * Locking: one spinlock (heap.lock) around every operation; waiting threads yield after a
 * while. It is never held across a call into the program, and it is dropped before an abort.
 */
#include <stdbool.h>
#include <stdint.h>

#include "../include/errno.h"
#include "../include/quire_runtime.h"
#include "../include/stdio.h"
#include "../include/stdlib.h"
#include "../include/string.h"
#include "quire/syscalls.h"

#define PAGE_SIZE    4096u
#define CHUNK_SIZE   65536u
#define SMALL_MAX    2048u
#define CLASS_COUNT  24
#define MAX_BLOCKS   (CHUNK_SIZE / 16u)
#define BITMAP_WORDS (MAX_BLOCKS / 64u)
#define ALIGN_MAX    PAGE_SIZE
/* No address space holds more: fail such requests without asking the kernel. */
#define LARGE_MAX    ((uint64_t)1 << 47)
#define AREA_PROT    (QUIRE_VMA_READ | QUIRE_VMA_WRITE)
#define NO_CHUNK     0u /* chunk id 0 is never used: "none", and "large" in the index */

static const uint16_t class_size[CLASS_COUNT] = {
    16,  32,  48,  64,  80,  96,  112, 128,  160,  192,  224,  256,
    320, 384, 448, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048,
};

struct chunk {
	uint64_t bitmap[BITMAP_WORDS]; /* a set bit is an allocated block (or none past blocks) */
	uint64_t base;
	quire_handle_t handle;
	uint32_t next, prev; /* the class's list of chunks with a free block; next: free ids */
	uint16_t class_index;
	uint16_t blocks; /* CHUNK_SIZE / class_size */
	uint16_t used;   /* blocks allocated */
	uint16_t hint;   /* no word below this one has a free block */
};

_Static_assert(sizeof(struct chunk) == 544, "the size the comment at the top gives");

struct area {
	uint64_t base;
	uint64_t size; /* bytes mapped */
	quire_handle_t handle;
	uint32_t chunk; /* its descriptor's id, or NO_CHUNK for a large block */
};

/* A growable array in an area of its own. */
struct table {
	void *mem;
	uint64_t bytes; /* mapped */
	quire_handle_t handle;
};

/* The heap: every field after lock is guarded by it. */
static struct {
	uint32_t lock;
	struct table index; /* struct area[area_count], sorted by base */
	uint64_t area_count;
	struct table chunks;           /* struct chunk by id; id 0 unused */
	uint32_t chunk_capacity;       /* ids below it exist in the table */
	uint32_t free_ids;             /* free descriptors, linked by next */
	uint32_t partial[CLASS_COUNT]; /* chunks with a free block */
	uint32_t empty[CLASS_COUNT];   /* chunks with no block allocated: 0 or 1 */
	struct quire_malloc_stats stats;
} heap;

/* Locking. */

static void heap_lock(void)
{
	unsigned spins = 0;

	while (__atomic_exchange_n(&heap.lock, 1, __ATOMIC_ACQUIRE) != 0) {
		while (__atomic_load_n(&heap.lock, __ATOMIC_RELAXED) != 0) {
			if (++spins % 256 == 0)
				(void)quire_yield();
			else
				__asm__ volatile("pause");
		}
	}
}

static void heap_unlock(void)
{
	__atomic_store_n(&heap.lock, 0, __ATOMIC_RELEASE);
}

/* Drops the lock, says what is wrong with P and aborts. */
static _Noreturn void bad_pointer(const char *call, const void *p, const char *why)
{
	heap_unlock();
	__LIBC_NAME(fprintf)(__LIBC_NAME(stderr), "malloc: %s(%p): %s\n", call, p, why);
	__LIBC_NAME(abort)();
}

/* Areas. */

static bool area_create(uint64_t size, uint64_t *base, quire_handle_t *handle)
{
	uint64_t addr = 0;

	if (quire_vma_create_map(size, &addr, AREA_PROT, handle) != 0)
		return false;
	*base = addr;
	heap.stats.areas++;
	heap.stats.bytes_mapped += size;
	heap.stats.areas_created++;
	return true;
}

static void area_release(quire_handle_t handle, uint64_t size)
{
	(void)quire_vma_unmap(handle, quire_self());
	(void)quire_handle_close(handle);
	heap.stats.areas--;
	heap.stats.bytes_mapped -= size;
	heap.stats.areas_released++;
}

/* Changes an area's size to *SIZE (rounded to pages); false and nothing changed on failure. */
static bool area_resize(quire_handle_t handle, uint64_t old_size, uint64_t *size)
{
	uint64_t want = *size;

	if (quire_vma_resize(handle, &want) != 0)
		return false;
	heap.stats.bytes_mapped += want - old_size;
	*size = want;
	return true;
}

/* Tables. */

static uint64_t round_pages(uint64_t n)
{
	return (n + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
}

/* Makes T hold at least NEED bytes, keeping its contents. */
static bool table_reserve(struct table *t, uint64_t need)
{
	if (need <= t->bytes)
		return true;
	uint64_t want = round_pages(need > 2 * t->bytes ? need : 2 * t->bytes);
	if (t->mem != NULL && area_resize(t->handle, t->bytes, &want)) {
		t->bytes = want;
		return true;
	}
	uint64_t base;
	quire_handle_t handle;
	if (!area_create(want, &base, &handle))
		return false;
	heap.stats.table_areas++;
	if (t->mem != NULL) {
		__LIBC_NAME(memcpy)((void *)base, t->mem, t->bytes);
		area_release(t->handle, t->bytes);
		heap.stats.table_areas--;
	}
	*t = (struct table){.mem = (void *)base, .bytes = want, .handle = handle};
	return true;
}

static void table_release(struct table *t)
{
	if (t->mem == NULL)
		return;
	area_release(t->handle, t->bytes);
	heap.stats.table_areas--;
	*t = (struct table){0};
}

/* The area index. */

static struct area *areas(void)
{
	return heap.index.mem;
}

/* The position of the first area whose base is above ADDR (so the one before may hold it). */
static uint64_t index_upper(uint64_t addr)
{
	uint64_t lo = 0, hi = heap.area_count;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (areas()[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The area holding ADDR, or NULL. */
static struct area *index_find(uint64_t addr)
{
	uint64_t pos = index_upper(addr);

	if (pos == 0)
		return NULL;
	struct area *a = &areas()[pos - 1];
	return addr - a->base < a->size ? a : NULL;
}

static bool index_reserve_one(void)
{
	return table_reserve(&heap.index, (heap.area_count + 1) * sizeof(struct area));
}

/* Inserts A; index_reserve_one() made room. */
static void index_insert(struct area a)
{
	uint64_t pos = index_upper(a.base);

	__LIBC_NAME(memmove)
	(&areas()[pos + 1], &areas()[pos], (heap.area_count - pos) * sizeof(struct area));
	areas()[pos] = a;
	heap.area_count++;
}

static void index_remove(struct area *a)
{
	uint64_t pos = (uint64_t)(a - areas());

	heap.area_count--;
	__LIBC_NAME(memmove)(a, a + 1, (heap.area_count - pos) * sizeof(struct area));
}

/* Chunk descriptors. */

static struct chunk *chunk_at(uint32_t id)
{
	return &((struct chunk *)heap.chunks.mem)[id];
}

/* Makes sure a free descriptor id exists. */
static bool chunk_ids_reserve(void)
{
	if (heap.free_ids != NO_CHUNK)
		return true;
	uint32_t first = heap.chunk_capacity > 0 ? heap.chunk_capacity : 1;
	if (!table_reserve(&heap.chunks, (uint64_t)(first + 1) * sizeof(struct chunk)))
		return false;
	heap.chunk_capacity = (uint32_t)(heap.chunks.bytes / sizeof(struct chunk));
	for (uint32_t id = heap.chunk_capacity - 1; id >= first; id--) {
		chunk_at(id)->next = heap.free_ids;
		heap.free_ids = id;
	}
	return true;
}

static void list_push(unsigned c, uint32_t id)
{
	struct chunk *ch = chunk_at(id);

	ch->prev = NO_CHUNK;
	ch->next = heap.partial[c];
	if (ch->next != NO_CHUNK)
		chunk_at(ch->next)->prev = id;
	heap.partial[c] = id;
}

static void list_remove(unsigned c, uint32_t id)
{
	struct chunk *ch = chunk_at(id);

	if (ch->prev != NO_CHUNK)
		chunk_at(ch->prev)->next = ch->next;
	else
		heap.partial[c] = ch->next;
	if (ch->next != NO_CHUNK)
		chunk_at(ch->next)->prev = ch->prev;
}

/* A new, empty chunk of class C on its list; NO_CHUNK when memory ran out. */
static uint32_t chunk_create(unsigned c)
{
	uint64_t base;
	quire_handle_t handle;

	if (!index_reserve_one() || !chunk_ids_reserve() ||
	    !area_create(CHUNK_SIZE, &base, &handle))
		return NO_CHUNK;
	uint32_t id = heap.free_ids;
	struct chunk *ch = chunk_at(id);
	heap.free_ids = ch->next;

	unsigned blocks = CHUNK_SIZE / class_size[c];
	*ch = (struct chunk){
	    .base = base, .handle = handle, .class_index = (uint16_t)c, .blocks = (uint16_t)blocks};
	/* The bits past the last block read as allocated, so the search never finds them. */
	for (unsigned w = 0; w < BITMAP_WORDS; w++) {
		unsigned first = w * 64;
		ch->bitmap[w] = first >= blocks        ? ~(uint64_t)0
				: blocks - first >= 64 ? 0
						       : ~(uint64_t)0 << (blocks - first);
	}
	index_insert(
	    (struct area){.base = base, .size = CHUNK_SIZE, .handle = handle, .chunk = id});
	list_push(c, id);
	heap.empty[c]++;
	heap.stats.chunks++;
	heap.stats.empty_chunks++;
	return id;
}

static void chunk_release(uint32_t id)
{
	struct chunk *ch = chunk_at(id);

	list_remove(ch->class_index, id);
	heap.empty[ch->class_index]--;
	heap.stats.chunks--;
	heap.stats.empty_chunks--;
	index_remove(index_find(ch->base));
	area_release(ch->handle, CHUNK_SIZE);
	ch->next = heap.free_ids;
	heap.free_ids = id;
}

/* Size classes. */

/* The smallest class of at least N bytes, 1 <= N <= SMALL_MAX. */
static unsigned class_of(size_t n)
{
	if (n <= 128)
		return (unsigned)((n + 15) / 16 - 1);
	unsigned b = 63u - (unsigned)__builtin_clzll((unsigned long long)(n - 1)); /* 2^b < n */
	return 8u + (b - 7u) * 4u + (unsigned)((n - 1 - ((size_t)1 << b)) >> (b - 2u));
}

/* Allocation, with the lock held. */

static void *small_alloc(unsigned c)
{
	uint32_t id = heap.partial[c];

	if (id == NO_CHUNK && (id = chunk_create(c)) == NO_CHUNK)
		return NULL;
	struct chunk *ch = chunk_at(id);
	if (ch->used == 0) {
		heap.empty[c]--;
		heap.stats.empty_chunks--;
	}
	unsigned w = ch->hint;
	while (ch->bitmap[w] == ~(uint64_t)0)
		w++;
	unsigned bit = (unsigned)__builtin_ctzll(~ch->bitmap[w]);
	ch->bitmap[w] |= (uint64_t)1 << bit;
	ch->hint = (uint16_t)w;
	if (++ch->used == ch->blocks)
		list_remove(c, id);
	heap.stats.blocks_in_use++;
	heap.stats.bytes_in_use += class_size[c];
	return (void *)(ch->base + (uint64_t)(w * 64 + bit) * class_size[c]);
}

static void *large_alloc(size_t n)
{
	uint64_t base;
	quire_handle_t handle;

	if (n > LARGE_MAX)
		return NULL;
	uint64_t size = round_pages(n);
	if (!index_reserve_one() || !area_create(size, &base, &handle))
		return NULL;
	index_insert(
	    (struct area){.base = base, .size = size, .handle = handle, .chunk = NO_CHUNK});
	heap.stats.large_blocks++;
	heap.stats.blocks_in_use++;
	heap.stats.bytes_in_use += size;
	return (void *)base;
}

/* *FRESH says whether the block is new from the kernel, so already zero. */
static void *alloc_locked(size_t n, bool *fresh)
{
	if (n == 0)
		n = 1;
	*fresh = n > SMALL_MAX;
	return n <= SMALL_MAX ? small_alloc(class_of(n)) : large_alloc(n);
}

/* Freeing, with the lock held. */

/* The area of P, a block malloc returned; aborts (dropping the lock) otherwise. */
static struct area *block_area(const char *call, void *p)
{
	struct area *a = index_find((uint64_t)(uintptr_t)p);

	if (a == NULL)
		bad_pointer(call, p, "not a block malloc returned");
	if (a->chunk == NO_CHUNK) {
		if ((uint64_t)(uintptr_t)p != a->base)
			bad_pointer(call, p, "inside a large block, not at its start");
		return a;
	}
	struct chunk *ch = chunk_at(a->chunk);
	uint64_t off = (uint64_t)(uintptr_t)p - ch->base;
	uint64_t size = class_size[ch->class_index];
	if (off % size != 0 || off / size >= ch->blocks)
		bad_pointer(call, p, "inside a small block, not at its start");
	uint64_t i = off / size;
	if ((ch->bitmap[i / 64] & ((uint64_t)1 << (i % 64))) == 0)
		bad_pointer(call, p, "a block already freed");
	return a;
}

static uint64_t block_size(const struct area *a)
{
	return a->chunk == NO_CHUNK ? a->size : class_size[chunk_at(a->chunk)->class_index];
}

static void small_free(uint32_t id, void *p)
{
	struct chunk *ch = chunk_at(id);
	unsigned c = ch->class_index;
	uint64_t i = ((uint64_t)(uintptr_t)p - ch->base) / class_size[c];

	ch->bitmap[i / 64] &= ~((uint64_t)1 << (i % 64));
	if (i / 64 < ch->hint)
		ch->hint = (uint16_t)(i / 64);
	if (ch->used-- == ch->blocks)
		list_push(c, id);
	heap.stats.blocks_in_use--;
	heap.stats.bytes_in_use -= class_size[c];
	if (ch->used > 0)
		return;
	heap.empty[c]++;
	heap.stats.empty_chunks++;
	if (heap.empty[c] > 1)
		chunk_release(id); /* the class has its spare already */
}

static void free_locked(struct area *a, void *p)
{
	if (a->chunk != NO_CHUNK) {
		small_free(a->chunk, p);
		return;
	}
	quire_handle_t handle = a->handle;
	uint64_t size = a->size;
	index_remove(a);
	area_release(handle, size);
	heap.stats.large_blocks--;
	heap.stats.blocks_in_use--;
	heap.stats.bytes_in_use -= size;
}

/* The interface. */

void *__LIBC_NAME(malloc)(size_t size)
{
	bool fresh;

	heap_lock();
	void *p = alloc_locked(size, &fresh);
	heap_unlock();
	if (p == NULL)
		__LIBC_NAME(errno) = ENOMEM;
	return p;
}

void __LIBC_NAME(free)(void *p)
{
	if (p == NULL)
		return;
	heap_lock();
	free_locked(block_area("free", p), p);
	heap_unlock();
}

void *__LIBC_NAME(calloc)(size_t count, size_t size)
{
	size_t n;
	bool fresh;

	if (__builtin_mul_overflow(count, size, &n)) {
		__LIBC_NAME(errno) = ENOMEM;
		return NULL;
	}
	heap_lock();
	void *p = alloc_locked(n, &fresh);
	heap_unlock();
	if (p == NULL) {
		__LIBC_NAME(errno) = ENOMEM;
		return NULL;
	}
	if (!fresh)
		__LIBC_NAME(memset)(p, 0, n);
	return p;
}

/*
 * Resizes the block at P in place when it can: a small block within its class, a large one
 * staying large through vma_resize. Returns false (lock held throughout) when it must move; sets
 * *KEEP when moving is only an improvement (a large block shrinking to a small size), so a failed
 * move may leave P as it is.
 */
static bool resize_in_place(struct area *a, size_t n, bool *keep)
{
	*keep = n <= block_size(a);
	if (a->chunk != NO_CHUNK)
		return n <= block_size(a);
	if (n <= SMALL_MAX || n > LARGE_MAX)
		return false;
	uint64_t size = round_pages(n);
	if (size == a->size)
		return true;
	if (!area_resize(a->handle, a->size, &size))
		return false;
	heap.stats.bytes_in_use += size - a->size;
	a->size = size;
	return true;
}

void *__LIBC_NAME(realloc)(void *p, size_t size)
{
	bool keep;

	if (p == NULL)
		return __LIBC_NAME(malloc)(size);
	if (size == 0)
		size = 1;
	heap_lock();
	struct area *a = block_area("realloc", p);
	uint64_t old = block_size(a);
	bool in_place = resize_in_place(a, size, &keep);
	heap_unlock();
	if (in_place)
		return p;

	int saved_errno = __LIBC_NAME(errno);
	void *q = __LIBC_NAME(malloc)(size);
	if (q == NULL) {
		if (!keep)
			return NULL;
		__LIBC_NAME(errno) = saved_errno;
		return p;
	}
	__LIBC_NAME(memcpy)(q, p, size < old ? size : old);
	__LIBC_NAME(free)(p);
	return q;
}

void *__LIBC_NAME(aligned_alloc)(size_t alignment, size_t size)
{
	if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > ALIGN_MAX) {
		__LIBC_NAME(errno) = EINVAL;
		return NULL;
	}
	/* Power-of-two classes are aligned to their size; large blocks to pages. */
	if (alignment > 16 && size <= SMALL_MAX) {
		size_t pow2 = alignment;
		while (pow2 < size)
			pow2 *= 2;
		size = pow2;
	}
	return __LIBC_NAME(malloc)(size);
}

/* Statistics and trimming. */

void quire_malloc_stats(struct quire_malloc_stats *stats)
{
	heap_lock();
	*stats = heap.stats;
	heap_unlock();
}

size_t quire_malloc_trim(void)
{
	uint64_t before;

	heap_lock();
	before = heap.stats.areas_released;
	for (unsigned c = 0; c < CLASS_COUNT; c++) {
		uint32_t id = heap.partial[c];
		while (id != NO_CHUNK && heap.empty[c] > 0) {
			uint32_t next = chunk_at(id)->next;
			if (chunk_at(id)->used == 0)
				chunk_release(id);
			id = next;
		}
	}
	if (heap.stats.chunks == 0) {
		table_release(&heap.chunks);
		heap.chunk_capacity = 0;
		heap.free_ids = NO_CHUNK;
	}
	if (heap.area_count == 0)
		table_release(&heap.index);
	size_t released = (size_t)(heap.stats.areas_released - before);
	heap_unlock();
	return released;
}

size_t quire_malloc_usable_size(void *p)
{
	if (p == NULL)
		return 0;
	heap_lock();
	uint64_t size = block_size(block_area("malloc_usable_size", p));
	heap_unlock();
	return (size_t)size;
}
