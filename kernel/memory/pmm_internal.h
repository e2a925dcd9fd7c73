/*
 * State shared by the two halves of the physical memory manager: pmm.c (the buddy allocator, the
 * per-CPU caches, accounting) and pmm_init.c (building the page array from the memory map, and
 * giving boot memory back). Nothing outside kernel/memory/pmm*.c includes this.
 *
 * Guards (legend):
 *   [L]  pmm.lock (LOCK_RANK_PMM)
 *   [C]  the owning CPU, with interrupts off (per-CPU caches and their counters)
 *   [I]  written once by pmm_init() on the boot CPU before any other CPU runs, then read-only
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/lib/spinlock.h"
#include "kernel/memory/pmm.h"

/* Per-CPU single-frame cache: refilled and drained PMM_CACHE_BATCH frames at a time. */
#define PMM_CACHE_BATCH 32u
#define PMM_CACHE_HIGH  64u /* a free that takes the cache above this drains one batch */

/* Loader register records kept for pmm_release_boot_range(); more are never released. */
#define PMM_BOOT_RECORDS_MAX 64u

/*
 * Private flag: a PAGE_BOOT frame of boot-services or loader memory outside the loader's register,
 * which pmm_reclaim_boot_memory() frees. Kept out of page.h on purpose: nobody else may test it.
 */
#define PMM_FLAG_RECLAIMABLE (1u << 15)

struct pmm_cpu_cache {
	uint32_t head;  /* [C] first cached frame (index), PAGE_INDEX_NONE */
	uint32_t count; /* [C] frames in the list */
	int64_t
	    kind_delta[PAGE_KIND_COUNT]; /* [C] this CPU's changes by kind ([PAGE_FREE] unused) */
};

struct pmm_state {
	struct page *pages;                      /* [I] the page array */
	uint64_t base_pfn;                       /* [I] pfn of pages[0] */
	uint64_t count;                          /* [I] entries in the page array */
	struct spinlock lock;                    /* guards [L] */
	uint32_t free_head[PMM_MAX_ORDER + 1];   /* [L] free blocks of each order (index lists) */
	uint64_t free_blocks[PMM_MAX_ORDER + 1]; /* [L] blocks on each list */
	uint64_t by_kind[PAGE_KIND_COUNT];       /* [L] counts by kind, plus the CPUs' kind_delta */
	struct quire_alloc_record records[PMM_BOOT_RECORDS_MAX]; /* [L] register copy */
	uint32_t record_count;                                   /* [I] */
	bool reclaimed;                    /* [L] pmm_reclaim_boot_memory() ran */
	bool ready;                        /* [I] pmm_init() succeeded */
	struct pmm_cpu_cache cpu[CPU_MAX]; /* [C] */
};

extern struct pmm_state pmm;

/* Interrupts off around the per-CPU state and the buddy lock; a no-op in host tests. */
static inline uint64_t irq_save(void)
{
#ifdef QUIRE_HOST_TEST
	return 0;
#else
	uint64_t flags;

	__asm__ volatile("pushfq\n\tpopq %0\n\tcli" : "=r"(flags) : : "memory");
	return flags;
#endif
}

static inline void irq_restore(uint64_t flags)
{
#ifndef QUIRE_HOST_TEST
	if (flags & (1u << 9))
		__asm__ volatile("sti" : : : "memory");
#else
	(void)flags;
#endif
}

/* pmm_buddy_free_locked - frees the 2^ORDER frames from INDEX (kind already counted out). */
void pmm_buddy_free_locked(uint32_t index, unsigned order);

/* pmm_buddy_add_run_locked - frees N frames from I, already PAGE_FREE and counted, as blocks. */
void pmm_buddy_add_run_locked(uint32_t index, uint64_t n);

/* pmm_free_frames_locked - counts N frames from INDEX out of their kinds and frees them. */
void pmm_free_frames_locked(uint32_t index, uint64_t n);

/* pmm_reset_state - forgets everything (pmm_init() starts with it; host tests re-initialise). */
void pmm_reset_state(void);
