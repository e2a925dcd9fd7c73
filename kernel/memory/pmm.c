/*
 * The physical memory manager of pmm.h, running part: the buddy allocator, the per-CPU caches of
 * single frames, and the accounting by kind. pmm_init.c builds the state from the memory map.
 *
 * Buddy: the free blocks of order k (2^k frames, aligned to their size in *physical* frame
 * numbers) sit on free_head[k], a doubly linked list threaded through struct page's next/prev as
 * array indices. Only a block's first frame is on a list; it carries PAGE_FLAG_BUDDY_HEAD and its
 * order, which is how a freed block finds out whether its buddy is free and of the same order.
 * Every frame of a free block, cached or not, has kind PAGE_FREE; every frame of an allocated run
 * has the run's kind, so a free of a frame that is already free is caught (a panic) and a walk
 * of the array can account every frame.
 *
 * Per-CPU cache: up to PMM_CACHE_HIGH single frames per CPU on a singly linked list (next), each
 * with PAGE_FLAG_CACHED. An empty cache takes PMM_CACHE_BATCH frames from the buddy lists (one
 * order-5 block when there is one); a cache that grows past PMM_CACHE_HIGH gives a batch back.
 * Only its own CPU touches a cache, with interrupts off, so the common alloc/free takes no lock.
 * The counts by kind are kept the same way: the global ones under the lock, plus a per-CPU delta
 * that the cache path updates without it (only for the used kind: PAGE_FREE's delta is minus
 * the sum of the others); pmm_get_stats() adds them up.
 */
#include "kernel/memory/pmm.h"

#include "kernel/lib/alloc_check.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/debug_check.h"
#include "kernel/lib/string.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/pmm_internal.h"
#include "kernel/panic.h"

/* A broken invariant found by a check (cheap, so always on): panics with the message. */
#define pmm_bug_on(cond, ...)                                                                      \
	do {                                                                                       \
		if (UNLIKELY(cond))                                                                \
			debug_check_fail(__VA_ARGS__);                                             \
	} while (0)

#define CACHE_REFILL_ORDER 5u /* 2^5 == PMM_CACHE_BATCH */
_Static_assert((1u << CACHE_REFILL_ORDER) == PMM_CACHE_BATCH, "refill block is one batch");

struct pmm_state pmm;

static const char *const kind_names[PAGE_KIND_COUNT] = {
    [PAGE_FREE] = "free",
    [PAGE_RESERVED] = "reserved",
    [PAGE_KERNEL_IMAGE] = "kernel image",
    [PAGE_BOOT] = "boot",
    [PAGE_PMM_METADATA] = "page array",
    [PAGE_PAGE_TABLE] = "page tables",
    [PAGE_HEAP] = "heap",
    [PAGE_KERNEL_STACK] = "kernel stacks",
    [PAGE_USER] = "user",
    [PAGE_TEST] = "test",
};

static inline void zero_frames(void *va, uint64_t frames)
{
#ifdef QUIRE_HOST_TEST
	memset(va, 0, frames * PAGE_SIZE);
#else
	uint64_t qwords = frames * (PAGE_SIZE / 8);

	__asm__ volatile("rep stosq" : "+D"(va), "+c"(qwords) : "a"(0ull) : "memory");
#endif
}

static inline uint32_t index_of(const struct page *page)
{
	/* One unsigned compare: a pointer below the array wraps to a huge index. */
	uint64_t i = (uint64_t)((uintptr_t)page - (uintptr_t)pmm.pages) / sizeof(struct page);

	kassert(i < pmm.count);
	return (uint32_t)i;
}

static void list_push(unsigned order, uint32_t i)
{
	struct page *p = &pmm.pages[i];

	p->next = pmm.free_head[order];
	p->prev = PAGE_INDEX_NONE;
	if (p->next != PAGE_INDEX_NONE)
		pmm.pages[p->next].prev = i;
	pmm.free_head[order] = i;
	p->order = (uint8_t)order;
	p->flags |= PAGE_FLAG_BUDDY_HEAD;
	pmm.free_blocks[order]++;
}

static void list_remove(unsigned order, uint32_t i)
{
	struct page *p = &pmm.pages[i];

	if (p->prev != PAGE_INDEX_NONE)
		pmm.pages[p->prev].next = p->next;
	else
		pmm.free_head[order] = p->next;
	if (p->next != PAGE_INDEX_NONE)
		pmm.pages[p->next].prev = p->prev;
	p->next = p->prev = PAGE_INDEX_NONE;
	p->flags &= (uint16_t)~PAGE_FLAG_BUDDY_HEAD;
	pmm.free_blocks[order]--;
}

/* The index of the buddy of the order-ORDER block at I, or PAGE_INDEX_NONE if off the array. */
static uint32_t buddy_of(uint32_t i, unsigned order)
{
	uint64_t pfn = (pmm.base_pfn + i) ^ (1ull << order);

	if (pfn < pmm.base_pfn || pfn - pmm.base_pfn + (1ull << order) > pmm.count)
		return PAGE_INDEX_NONE;
	return (uint32_t)(pfn - pmm.base_pfn);
}

void pmm_buddy_free_locked(uint32_t i, unsigned order)
{
	kassert(((pmm.base_pfn + i) & ((1ull << order) - 1)) == 0);
	while (order < PMM_MAX_ORDER) {
		uint32_t b = buddy_of(i, order);
		if (b == PAGE_INDEX_NONE)
			break;
		const struct page *bp = &pmm.pages[b];
		if (!(bp->flags & PAGE_FLAG_BUDDY_HEAD) || bp->order != order)
			break;
		list_remove(order, b);
		if (b < i)
			i = b;
		order++;
	}
	list_push(order, i);
}

/* Takes a free block of 2^ORDER frames off the lists, splitting a larger one if need be. */
static uint32_t buddy_alloc_locked(unsigned order)
{
	unsigned j = order;

	while (j <= PMM_MAX_ORDER && pmm.free_head[j] == PAGE_INDEX_NONE)
		j++;
	if (j > PMM_MAX_ORDER)
		return PAGE_INDEX_NONE;
	uint32_t i = pmm.free_head[j];
	list_remove(j, i);
	while (j > order) {
		j--;
		list_push(j, i + (1u << j));
	}
	return i;
}

/* Panics unless PAGE is allocated: freeing a free (or a reserved) frame is a caller's bug. */
static void check_not_free(const struct page *page)
{
	pmm_bug_on(page->kind == PAGE_FREE || page->kind == PAGE_RESERVED,
		   "pmm: freeing frame 0x%llx, which is %s (double free?)",
		   (unsigned long long)pmm_page_to_phys(page), kind_names[page->kind]);
}

/* Counts the N free frames from I as KIND. */
static void take_frames_locked(uint32_t i, uint64_t n, enum page_kind kind)
{
	for (uint64_t k = 0; k < n; k++)
		pmm.pages[i + k].kind = (uint8_t)kind;
	pmm.by_kind[PAGE_FREE] -= n;
	pmm.by_kind[kind] += n;
}

/* Counts the N used frames from I out of their kinds, into PAGE_FREE. Panics on a free one. */
static void give_frames_locked(uint32_t i, uint64_t n)
{
	for (uint64_t k = 0; k < n; k++) {
		struct page *p = &pmm.pages[i + k];
		pmm_bug_on(p->kind == PAGE_FREE || p->kind == PAGE_RESERVED,
			   "pmm: freeing frame 0x%llx, which is %s (double free?)",
			   (unsigned long long)((pmm.base_pfn + i + k) << PAGE_SHIFT),
			   kind_names[p->kind]);
		pmm.by_kind[p->kind]--;
		p->kind = PAGE_FREE;
		p->flags &= (uint16_t)~PMM_FLAG_RECLAIMABLE;
	}
	pmm.by_kind[PAGE_FREE] += n;
}

void pmm_buddy_add_run_locked(uint32_t i, uint64_t n)
{
	uint64_t end = i + n;
	while (i < end) {
		unsigned order = PMM_MAX_ORDER;
		while (order > 0 && (((pmm.base_pfn + i) & ((1ull << order) - 1)) != 0 ||
				     i + (1ull << order) > end))
			order--;
		pmm_buddy_free_locked(i, order);
		i += 1u << order;
	}
}

void pmm_free_frames_locked(uint32_t i, uint64_t n)
{
	give_frames_locked(i, n);
	pmm_buddy_add_run_locked(i, n);
}

void pmm_reset_state(void)
{
	pmm = (struct pmm_state){0};
	spin_init(&pmm.lock, "pmm", LOCK_RANK_PMM);
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++)
		pmm.free_head[k] = PAGE_INDEX_NONE;
	for (unsigned c = 0; c < CPU_MAX; c++)
		pmm.cpu[c].head = PAGE_INDEX_NONE;
}

struct page *pmm_alloc_pages(unsigned order, enum page_kind kind, unsigned flags)
{
	kassert(pmm.ready && order <= PMM_MAX_ORDER);
	kassert(kind > PAGE_RESERVED && kind < PAGE_KIND_COUNT);
	if (fail_inject_should_fail())
		return NULL;
	alloc_check();

	uint64_t irq = irq_save();
	spin_lock(&pmm.lock);
	uint32_t i = buddy_alloc_locked(order);
	if (i != PAGE_INDEX_NONE)
		take_frames_locked(i, 1ull << order, kind);
	spin_unlock(&pmm.lock);
	irq_restore(irq);
	if (i == PAGE_INDEX_NONE)
		return NULL;
	if (flags & PMM_ZERO)
		zero_frames(pmm_page_to_virt(&pmm.pages[i]), 1ull << order);
	return &pmm.pages[i];
}

void pmm_free_pages(struct page *page, unsigned order)
{
	uint32_t i = index_of(page);

	kassert(order <= PMM_MAX_ORDER && i + (1ull << order) <= pmm.count);
	kassert(((pmm.base_pfn + i) & ((1ull << order) - 1)) == 0);
	/* The common double free, caught before the lock; give_frames_locked() checks the rest. */
	check_not_free(page);
	uint64_t irq = irq_save();
	spin_lock(&pmm.lock);
	give_frames_locked(i, 1ull << order);
	pmm_buddy_free_locked(i, order);
	spin_unlock(&pmm.lock);
	irq_restore(irq);
}

/* The cache is singly linked through ->next; ->prev is left as it was (nobody reads it). */
static inline void cache_push(struct pmm_cpu_cache *c, struct page *p, uint32_t i)
{
	p->flags |= PAGE_FLAG_CACHED;
	p->next = c->head;
	c->head = i;
	c->count++;
}

/* Pops the first cached frame, whose ->next is left stale: the new owner's link. */
static inline uint32_t cache_pop(struct pmm_cpu_cache *c)
{
	uint32_t i = c->head;
	struct page *p = &pmm.pages[i];

	c->head = p->next;
	c->count--;
	p->flags &= (uint16_t)~PAGE_FLAG_CACHED;
	return i;
}

/* Fills an empty cache with a batch: one aligned block if there is one, else single frames. */
static NOINLINE void cache_refill(struct pmm_cpu_cache *c)
{
	spin_lock(&pmm.lock);
	uint32_t block = buddy_alloc_locked(CACHE_REFILL_ORDER);
	if (block != PAGE_INDEX_NONE) {
		for (uint32_t k = PMM_CACHE_BATCH; k-- > 0;)
			cache_push(c, &pmm.pages[block + k], block + k);
	} else {
		for (unsigned n = 0; n < PMM_CACHE_BATCH; n++) {
			uint32_t i = buddy_alloc_locked(0);
			if (i == PAGE_INDEX_NONE)
				break;
			cache_push(c, &pmm.pages[i], i);
		}
	}
	spin_unlock(&pmm.lock);
}

/* Gives up to N cached frames back to the buddy lists. */
static NOINLINE void cache_drain(struct pmm_cpu_cache *c, uint32_t n)
{
	spin_lock(&pmm.lock);
	while (n-- > 0 && c->count > 0)
		pmm_buddy_free_locked(cache_pop(c), 0);
	spin_unlock(&pmm.lock);
}

struct page *pmm_alloc_page(enum page_kind kind, unsigned flags)
{
	kassert(pmm.ready);
	kassert(kind > PAGE_RESERVED && kind < PAGE_KIND_COUNT);
	if (fail_inject_should_fail())
		return NULL;
	alloc_check();

	uint64_t irq = irq_save();
	struct pmm_cpu_cache *c = &pmm.cpu[cpu_current_id()];
	if (c->count == 0)
		cache_refill(c);
	if (c->count == 0) {
		irq_restore(irq);
		return NULL;
	}
	struct page *p = &pmm.pages[cache_pop(c)];
	p->kind = (uint8_t)kind;
	c->kind_delta[kind]++; /* PAGE_FREE's share is derived: see pmm_get_stats() */
	irq_restore(irq);
	if (flags & PMM_ZERO)
		zero_frames(pmm_page_to_virt(p), 1);
	return p;
}

void pmm_free_page(struct page *page)
{
	uint32_t i = index_of(page);

	check_not_free(page);
	uint64_t irq = irq_save();
	struct pmm_cpu_cache *c = &pmm.cpu[cpu_current_id()];
	c->kind_delta[page->kind]--;
	page->kind = PAGE_FREE; /* an allocated frame never has PMM_FLAG_RECLAIMABLE */
	cache_push(c, page, i);
	if (c->count > PMM_CACHE_HIGH)
		cache_drain(c, PMM_CACHE_BATCH);
	irq_restore(irq);
}

void pmm_drain_cpu_caches(void)
{
	uint64_t irq = irq_save();
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++)
		cache_drain(&pmm.cpu[cpu], pmm.cpu[cpu].count);
	irq_restore(irq);
}

void pmm_set_kind(struct page *page, unsigned order, enum page_kind kind)
{
	uint32_t i = index_of(page);

	kassert(kind > PAGE_RESERVED && kind < PAGE_KIND_COUNT);
	kassert(order <= PMM_MAX_ORDER && i + (1ull << order) <= pmm.count);
	uint64_t irq = irq_save();
	spin_lock(&pmm.lock);
	for (uint64_t k = 0; k < (1ull << order); k++) {
		struct page *p = &pmm.pages[i + k];
		kassert(p->kind != PAGE_FREE && p->kind != PAGE_RESERVED);
		pmm.by_kind[p->kind]--;
		pmm.by_kind[kind]++;
		p->kind = (uint8_t)kind;
		p->flags &= (uint16_t)~PMM_FLAG_RECLAIMABLE; /* adopted: no longer reclaim's */
	}
	spin_unlock(&pmm.lock);
	irq_restore(irq);
}

void pmm_get_stats(struct pmm_stats *out)
{
	*out = (struct pmm_stats){.total = pmm.count};
	uint64_t irq = irq_save();
	spin_lock(&pmm.lock);
	for (unsigned k = 0; k < PAGE_KIND_COUNT; k++)
		out->by_kind[k] = pmm.by_kind[k];
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		const struct pmm_cpu_cache *c = &pmm.cpu[cpu];
		/* The cache path moves frames between PAGE_FREE and one kind, so PAGE_FREE's
		 * delta is minus the others' (two fewer updates on the fast path). */
		for (unsigned k = PAGE_FREE + 1; k < PAGE_KIND_COUNT; k++) {
			out->by_kind[k] += (uint64_t)c->kind_delta[k];
			out->by_kind[PAGE_FREE] -= (uint64_t)c->kind_delta[k];
		}
		out->cached += c->count;
	}
	spin_unlock(&pmm.lock);
	irq_restore(irq);
	out->free = out->by_kind[PAGE_FREE];
}

const char *pmm_kind_name(enum page_kind kind)
{
	if ((unsigned)kind >= PAGE_KIND_COUNT)
		return "?";
	return kind_names[kind];
}

struct page *pmm_page_from_phys(paddr_t pa)
{
	uint64_t pfn = pa >> PAGE_SHIFT;

	if (pfn < pmm.base_pfn || pfn - pmm.base_pfn >= pmm.count)
		return NULL;
	return &pmm.pages[pfn - pmm.base_pfn];
}

paddr_t pmm_page_to_phys(const struct page *page)
{
	return (pmm.base_pfn + index_of(page)) << PAGE_SHIFT;
}

void *pmm_page_to_virt(const struct page *page)
{
	return phys_to_virt(pmm_page_to_phys(page));
}

struct page *pmm_page_from_virt(const void *linear_va)
{
	return pmm_page_from_phys(phys_from_linear(linear_va));
}
