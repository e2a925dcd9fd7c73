/*
 * The page tree's node cache; see page_tree_cache.h for the model and the rules.
 *
 * Frame layout: [header: 64 bytes][node 0: 576]...[node 6: 576] = 4096 bytes exactly, so every
 * node is 64-byte aligned. A free node holds the next free node of its frame in its first word and
 * FREE_MAGIC ^ its address in its second: the marker that catches a double free (a node in use
 * holds its index base and its present bitmap there, and a present bitmap is never that value by
 * accident in practice). The header's magic and owner catch a pointer that is no node of the
 * cache.
 */
#include "kernel/memory/page_tree_cache.h"

#include <stdbool.h>
#include <stddef.h>

#include "kernel/lib/alloc_check.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/debug_check.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/pmm.h"
#include "kernel/panic.h"

#define FRAME_HEADER 64u
#define FRAME_MAGIC  0x70747263u /* "crtp" */
#define FREE_MAGIC   0x5046726565ea7e5dull

/* Legend: [c] constant while the frame is the cache's; [L] guarded by the cache's lock. */
struct page_tree_cache_frame {
	struct page_tree_cache_frame
	    *next; /* [L] partial list (2-linked) or empty list (1-linked) */
	struct page_tree_cache_frame *prev; /* [L] partial list only */
	void *free;                    /* [L] the first free node, NULL when the frame is full */
	struct page_tree_cache *cache; /* [c] the owner */
	struct page *page;             /* [c] the frame */
	uint32_t in_use;               /* [L] nodes handed out */
	uint32_t magic;                /* [c] FRAME_MAGIC */
};
_Static_assert(sizeof(struct page_tree_cache_frame) <= FRAME_HEADER, "frame header too large");
_Static_assert(FRAME_HEADER + PAGE_TREE_CACHE_NODES_PER_FRAME * PAGE_TREE_NODE_SIZE <= PAGE_SIZE,
	       "nodes do not fit in a frame");
_Static_assert(FRAME_HEADER + (PAGE_TREE_CACHE_NODES_PER_FRAME + 1) * PAGE_TREE_NODE_SIZE >
		   PAGE_SIZE,
	       "a frame has room for another node");

typedef struct page_tree_cache_frame frame_t;

static struct page_tree_cache kernel_cache = PAGE_TREE_CACHE_INIT("page_tree_cache");

struct page_tree_cache *page_tree_cache_kernel(void)
{
	return &kernel_cache;
}

void page_tree_cache_init(struct page_tree_cache *cache, const char *name)
{
	*cache = (struct page_tree_cache){.partial = NULL};
	spin_init(&cache->lock, name, LOCK_RANK_PAGE_TREE_CACHE);
}

/* The free-chain words of a free node. */
static void **free_link(void *node)
{
	return (void **)node;
}

static uint64_t *free_mark(void *node)
{
	return (uint64_t *)node + 1;
}

static frame_t *frame_of(const void *node)
{
	return (frame_t *)((uintptr_t)node & ~(uintptr_t)(PAGE_SIZE - 1));
}

/* ---- lists (lock held) ---- */

static void partial_link(struct page_tree_cache *c, frame_t *f)
{
	f->prev = NULL;
	f->next = c->partial;
	if (c->partial != NULL)
		c->partial->prev = f;
	c->partial = f;
}

static void partial_unlink(struct page_tree_cache *c, frame_t *f)
{
	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		c->partial = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	f->next = f->prev = NULL;
}

/* A node from a partial frame, else from an empty one; NULL when the cache has no free node. */
static void *take_locked(struct page_tree_cache *c)
{
	frame_t *f = c->partial;

	if (f == NULL) {
		f = c->empty;
		if (f == NULL)
			return NULL;
		c->empty = f->next;
		c->empty_frames--;
		partial_link(c, f);
	}
	void *node = f->free;
	kassert(node != NULL && *free_mark(node) == (FREE_MAGIC ^ (uintptr_t)node));
	f->free = *free_link(node);
	*free_mark(node) = 0;
	f->in_use++;
	if (f->free == NULL)
		partial_unlink(c, f);
	c->nodes_in_use++;
	c->nodes_free--;
	c->allocs++;
	return node;
}

/* Formats a fresh frame: header, every node on its free chain. The frame is private to the caller. */
static frame_t *carve(struct page_tree_cache *c, struct page *pg)
{
	frame_t *f = pmm_page_to_virt(pg);
	uint8_t *nodes = (uint8_t *)f + FRAME_HEADER;

	*f = (frame_t){.cache = c, .page = pg, .magic = FRAME_MAGIC};
	for (unsigned i = PAGE_TREE_CACHE_NODES_PER_FRAME; i-- > 0;) {
		void *node = nodes + i * PAGE_TREE_NODE_SIZE;
		*free_link(node) = f->free;
		*free_mark(node) = FREE_MAGIC ^ (uintptr_t)node;
		f->free = node;
	}
	return f;
}

struct page_tree_node *page_tree_cache_alloc(struct page_tree_cache *cache)
{
	void *node;

	alloc_check();
	if (fail_inject_should_fail())
		return NULL;
	spin_lock(&cache->lock);
	node = take_locked(cache);
	spin_unlock(&cache->lock);
	if (node != NULL)
		return node;

	/* No free node: a frame from the pmm with the lock dropped, then link it in. */
	struct page *pg = pmm_alloc_page(PAGE_HEAP, 0);
	if (pg == NULL)
		return NULL;
	frame_t *f = carve(cache, pg);
	spin_lock(&cache->lock);
	f->next = cache->empty;
	cache->empty = f;
	cache->empty_frames++;
	cache->frames++;
	cache->nodes_free += PAGE_TREE_CACHE_NODES_PER_FRAME;
	node = take_locked(cache); /* from this frame or one another CPU freed meanwhile */
	spin_unlock(&cache->lock);
	kassert(node != NULL);
	return node;
}

/* Puts NODE back on its frame; returns the frame when it is surplus and leaves the cache. */
static frame_t *put_locked(struct page_tree_cache *c, frame_t *f, void *node)
{
	bool was_full = f->free == NULL;

	*free_link(node) = f->free;
	*free_mark(node) = FREE_MAGIC ^ (uintptr_t)node;
	f->free = node;
	f->in_use--;
	c->nodes_in_use--;
	c->nodes_free++;
	c->frees++;
	if (f->in_use != 0) {
		if (was_full)
			partial_link(c, f);
		return NULL;
	}
	if (!was_full)
		partial_unlink(c, f);
	if (c->empty_frames < PAGE_TREE_CACHE_SPARE_FRAMES) {
		f->next = c->empty;
		c->empty = f;
		c->empty_frames++;
		return NULL;
	}
	c->frames--;
	c->nodes_free -= PAGE_TREE_CACHE_NODES_PER_FRAME;
	return f;
}

static void frame_release(frame_t *f)
{
	struct page *pg = f->page;

	f->magic = 0;
	pmm_free_page(pg);
}

void page_tree_cache_free(struct page_tree_cache *cache, struct page_tree_node *node)
{
	frame_t *f = frame_of(node);
	uintptr_t offset = (uintptr_t)node - (uintptr_t)f;

	kassert(node != NULL);
	if (f->magic != FRAME_MAGIC || f->cache != cache || offset < FRAME_HEADER ||
	    (offset - FRAME_HEADER) % PAGE_TREE_NODE_SIZE != 0)
		debug_check_fail("%p is not a node of page tree cache %s", (void *)node,
				 cache->lock.name);
	spin_lock(&cache->lock);
	if (*free_mark(node) == (FREE_MAGIC ^ (uintptr_t)node) || f->in_use == 0) {
		spin_unlock(&cache->lock);
		debug_check_fail("double free of page tree node %p", (void *)node);
	}
	frame_t *surplus = put_locked(cache, f, node);
	spin_unlock(&cache->lock);
	if (surplus != NULL)
		frame_release(surplus);
}

uint64_t page_tree_cache_trim(struct page_tree_cache *cache)
{
	uint64_t n = 0;

	spin_lock(&cache->lock);
	frame_t *list = cache->empty;
	cache->empty = NULL;
	n = cache->empty_frames;
	cache->empty_frames = 0;
	cache->frames -= n;
	cache->nodes_free -= n * PAGE_TREE_CACHE_NODES_PER_FRAME;
	spin_unlock(&cache->lock);
	while (list != NULL) {
		frame_t *next = list->next;
		frame_release(list);
		list = next;
	}
	return n;
}

void page_tree_cache_get_stats(struct page_tree_cache *cache, struct page_tree_cache_stats *out)
{
	spin_lock(&cache->lock);
	*out = (struct page_tree_cache_stats){
	    .nodes_in_use = cache->nodes_in_use,
	    .nodes_free = cache->nodes_free,
	    .frames = cache->frames,
	    .empty_frames = cache->empty_frames,
	    .allocs = cache->allocs,
	    .frees = cache->frees,
	};
	spin_unlock(&cache->lock);
}
