/*
 * The physical memory manager: every frame of RAM, who uses it, and allocation of single frames
 * and of contiguous, naturally aligned runs of 2^order frames.
 *
 * Model: a struct page array (page.h) covers the frames from the lowest to the highest usable one;
 * a binary buddy allocator (orders 0..PMM_MAX_ORDER) owns the free ones, and a per-CPU cache of
 * single frames in front of it makes the common single-frame alloc/free a short path without the
 * buddy lock. Every frame is counted by kind, so free + the sum of the used kinds = total always.
 *
 * Locking: the buddy lists are guarded by one spinlock (LOCK_RANK_PMM); a CPU's cache is touched
 * only by its own CPU, with interrupts off. No caller may hold a spinlock when it calls an
 * allocation function (DESIGN.md: allocate first, then lock): debug builds assert it.
 * Allocation can fail (NULL); every caller handles it. Failure injection (fail_inject.h) can make
 * the N-th allocation fail on purpose.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <quire/boot.h>

#include "kernel/lib/kerr.h"
#include "kernel/memory/page.h"
#include "kernel/memory/phys.h"

#define PAGE_SIZE     4096u
#define PAGE_SHIFT    12u
#define PMM_MAX_ORDER 10u /* 2^10 frames = 4 MiB, so a 2 MiB run (order 9) is always possible */

/* Allocation flags. */
enum {
	PMM_ZERO = 1u << 0, /* the frames come back zeroed */
};

/*
 * pmm_init - builds the page array and the buddy lists from BI's memory map: usable RAM becomes
 * free; the kernel image, every allocation in the loader's register, the page array and every
 * non-usable range are counted as used by their kind; boot-services and loader memory that is no
 * longer needed stays used (PAGE_BOOT) until pmm_reclaim_boot_memory(). Boot CPU, once.
 * Errors: KERR_NO_MEMORY when no usable range can hold the page array; KERR_INVALID for a map
 * the pmm cannot use (no usable memory).
 */
kerr_t pmm_init(const struct quire_boot_info *bi);

/*
 * pmm_reclaim_boot_memory - frees boot-services memory and the loader's own memory that is not in
 * its allocation register, once the kernel no longer reads anything from them (after it has
 * switched to its own page tables and copied what it keeps of boot_info). Boot CPU, once.
 * Returns the number of frames given back.
 */
uint64_t pmm_reclaim_boot_memory(void);

/*
 * pmm_release_boot_range - frees one allocation of the loader's register (for example the
 * loader's page tables once the kernel has its own). Errors: KERR_NOT_FOUND when no record of
 * that kind covers [BASE, BASE + PAGES).
 */
kerr_t pmm_release_boot_range(paddr_t base, uint64_t pages);

/*
 * pmm_alloc_pages - 2^ORDER contiguous frames aligned to their size, counted as KIND, zeroed when
 * FLAGS has PMM_ZERO. Returns the first frame's struct page, or NULL when no such run is free (or
 * an injected failure). May not be called with a spinlock held or in the fault path. Never sleeps.
 */
struct page *pmm_alloc_pages(unsigned order, enum page_kind kind, unsigned flags);

/* pmm_free_pages - gives back a run from pmm_alloc_pages() with the same ORDER. Any context. */
void pmm_free_pages(struct page *page, unsigned order);

/* pmm_alloc_page / pmm_free_page - one frame, through the per-CPU cache. As above. */
struct page *pmm_alloc_page(enum page_kind kind, unsigned flags);
void pmm_free_page(struct page *page);

/* pmm_set_kind - recounts an allocated frame run as KIND (e.g. a frame handed to user space). */
void pmm_set_kind(struct page *page, unsigned order, enum page_kind kind);

/* Conversions between a frame's struct page, its physical address and its linear-map address. */
struct page *pmm_page_from_phys(paddr_t pa); /* NULL when PA is outside the page array */
paddr_t pmm_page_to_phys(const struct page *page);
void *pmm_page_to_virt(const struct page *page);
struct page *pmm_page_from_virt(const void *linear_va);

struct pmm_stats {
	uint64_t total; /* frames the page array covers */
	uint64_t free;  /* == by_kind[PAGE_FREE] */
	uint64_t by_kind[PAGE_KIND_COUNT];
	uint64_t cached; /* of the free frames, those in per-CPU caches */
};

/* pmm_get_stats - a consistent snapshot of the counters. Any context. */
void pmm_get_stats(struct pmm_stats *out);

/* pmm_kind_name - "free", "reserved", "kernel image", ... for tables and logs. */
const char *pmm_kind_name(enum page_kind kind);

/* pmm_drain_cpu_caches - returns every per-CPU cached frame to the buddy lists (tests, low memory). */
void pmm_drain_cpu_caches(void);
