/*
 * struct page: the metadata of one physical frame (4 KiB), and the frame kinds used for accounting.
 *
 * Model: the physical memory manager (pmm.h) keeps one struct page for every frame from the lowest
 * to the highest usable frame of the memory map, in one array; a frame's number (pfn) is its index
 * plus the array's first pfn, so page <-> physical address conversions are arithmetic. The struct
 * is 16 bytes (DESIGN.md allows at most 16) so the array costs 0.4% of memory.
 *
 * Every frame has exactly one kind at any time; the pmm counts frames by kind, so a test can
 * assert that nothing leaked. The links and the order belong to whoever owns the frame: the buddy
 * allocator while it is free, the page-table code or a vm_area while they hold it. The reference
 * count belongs to the owner too (page tables: the number of live entries; open areas: mappings).
 */
#pragma once

#include <stdint.h>

/* What a frame is used for. Names appear in the accounting table (pmm_kind_name()). */
enum page_kind {
	PAGE_FREE = 0,     /* in the buddy allocator or a per-CPU cache */
	PAGE_RESERVED,     /* not RAM, firmware's, or a hole between usable ranges: never free */
	PAGE_KERNEL_IMAGE, /* the kernel's text, data and bss */
	PAGE_BOOT,         /* the loader's allocations still in use: boot_info, initrd, cmdline */
	PAGE_PMM_METADATA, /* the struct page array itself */
	PAGE_PAGE_TABLE,   /* a page-table page (any level) */
	PAGE_HEAP,         /* kheap: slab pages and large allocations */
	PAGE_KERNEL_STACK, /* kernel stacks */
	PAGE_USER,         /* pages of user-visible memory (vm_area pages) */
	PAGE_TEST,         /* taken by a test, which must give it back */
	PAGE_KIND_COUNT
};

/* A free-list link or "no page" in the 32-bit index links below. */
#define PAGE_INDEX_NONE 0xffffffffu

struct page {
	uint32_t next;     /* owner's link: index into the page array, PAGE_INDEX_NONE at the end */
	uint32_t prev;     /* owner's link */
	uint32_t refcount; /* owner's reference count */
	uint8_t kind;      /* enum page_kind */
	uint8_t order;     /* buddy: order of the free block this frame heads */
	uint16_t flags;    /* PAGE_FLAG_* */
};
_Static_assert(sizeof(struct page) == 16, "struct page must stay at 16 bytes");

enum {
	PAGE_FLAG_BUDDY_HEAD =
	    1u << 0,                /* heads a free block of 2^order frames in the buddy lists */
	PAGE_FLAG_CACHED = 1u << 1, /* free, held in a per-CPU cache */
	PAGE_FLAG_ZERO = 1u << 2,   /* known to be all zeroes (optional hint) */
};
