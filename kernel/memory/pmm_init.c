/*
 * The physical memory manager of pmm.h, building part: the page array from the boot_info memory
 * map, and giving boot memory back later.
 *
 * The map is only trusted as far as it must be: entries may come unsorted, overlapping, tiny,
 * huge, misaligned or running past 2^64. Each frame of the array's span gets the most restrictive
 * type any entry gives it (usable < boot services / loader < anything else), so an overlap can
 * only ever make a frame *less* available; frames no entry covers (holes) are reserved. Then the
 * loader's register, the kernel image and the page array itself claim their frames, and what is
 * left usable goes to the buddy lists as the largest aligned blocks that fit.
 *
 * Kinds at the end of pmm_init():
 *   usable, not claimed                      PAGE_FREE
 *   boot services / loader, not claimed      PAGE_BOOT, reclaimable (pmm_reclaim_boot_memory)
 *   QUIRE_ALLOC_KERNEL_IMAGE, kernel image   PAGE_KERNEL_IMAGE
 *   QUIRE_ALLOC_PAGE_TABLES                  PAGE_PAGE_TABLE (pmm_release_boot_range)
 *   other register records                   PAGE_BOOT (pmm_release_boot_range)
 *   the page array                           PAGE_PMM_METADATA
 *   everything else, ACPI reclaim included   PAGE_RESERVED (ACPI reclaim: nobody frees it yet)
 *   frame 0, whatever the map says           PAGE_RESERVED (address 0 means "no frame")
 * A claim never turns a reserved frame into RAM: a record overlapping firmware memory leaves
 * that part reserved.
 */
#include "kernel/lib/string.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/pmm_internal.h"
#include "kernel/panic.h"

#define ONE_MIB       0x100000ull
#define MAX_FRAMES    0xffffffffull /* 32-bit index links, PAGE_INDEX_NONE excluded */
#define RANK_HOLE     0u
#define RANK_USABLE   1u
#define RANK_BOOT     2u
#define RANK_RESERVED 3u

/* Bytes [*S, *E) of BASE + PAGES frames, page aligned inward, saturating at 2^64 - 4 KiB. */
static void byte_span(uint64_t base, uint64_t pages, uint64_t *s, uint64_t *e)
{
	const uint64_t top = ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t start = base > top ? top : (base + PAGE_SIZE - 1) & top;
	uint64_t len = pages > (top >> PAGE_SHIFT) ? top : pages << PAGE_SHIFT;
	uint64_t end = base > top - len ? top : (base + len) & top;

	*s = start;
	*e = end > start ? end : start;
}

static unsigned type_rank(uint32_t type)
{
	switch (type) {
	case QUIRE_MEM_USABLE:
		return RANK_USABLE;
	case QUIRE_MEM_BOOT_SERVICES:
	case QUIRE_MEM_LOADER:
		return RANK_BOOT;
	default:
		return RANK_RESERVED;
	}
}

static enum page_kind record_kind(uint32_t kind)
{
	switch (kind) {
	case QUIRE_ALLOC_KERNEL_IMAGE:
		return PAGE_KERNEL_IMAGE;
	case QUIRE_ALLOC_PAGE_TABLES:
		return PAGE_PAGE_TABLE;
	default:
		return PAGE_BOOT;
	}
}

struct map_view {
	const struct quire_mem_range *map;
	uint32_t count;
	const struct quire_alloc_record *reg;
	uint32_t reg_count;
	uint64_t kernel_base, kernel_end;
};

/* The frames [*LO, *HI) from the lowest to the highest usable, boot or loader frame. */
static bool find_span(const struct map_view *v, uint64_t *lo, uint64_t *hi)
{
	*lo = UINT64_MAX;
	*hi = 0;
	for (uint32_t k = 0; k < v->count; k++) {
		uint64_t s, e;
		if (type_rank(v->map[k].type) > RANK_BOOT)
			continue;
		byte_span(v->map[k].base, v->map[k].pages, &s, &e);
		if (e == s)
			continue;
		*lo = s >> PAGE_SHIFT < *lo ? s >> PAGE_SHIFT : *lo;
		*hi = e >> PAGE_SHIFT > *hi ? e >> PAGE_SHIFT : *hi;
	}
	if (*hi == 0)
		return false;
	if (*hi - *lo > MAX_FRAMES)
		*hi = *lo + MAX_FRAMES;
	return true;
}

/* The end of the first obstacle (non-usable entry, record, kernel) overlapping [S, E), or 0. */
static uint64_t obstacle_end(const struct map_view *v, uint64_t s, uint64_t e)
{
	uint64_t os, oe;

	for (uint32_t k = 0; k < v->count; k++) {
		if (v->map[k].type == QUIRE_MEM_USABLE)
			continue;
		byte_span(v->map[k].base, v->map[k].pages, &os, &oe);
		if (os < e && s < oe)
			return oe;
	}
	for (uint32_t k = 0; k < v->reg_count; k++) {
		byte_span(v->reg[k].base, v->reg[k].pages, &os, &oe);
		if (os < e && s < oe)
			return oe;
	}
	if (v->kernel_base < e && s < v->kernel_end)
		return v->kernel_end;
	return 0;
}

/* The lowest address at or above FLOOR where BYTES fit in usable memory alone, or UINT64_MAX. */
static uint64_t place_array(const struct map_view *v, uint64_t bytes, uint64_t floor)
{
	uint64_t best = UINT64_MAX;

	for (uint32_t k = 0; k < v->count; k++) {
		uint64_t s, e;
		if (v->map[k].type != QUIRE_MEM_USABLE)
			continue;
		byte_span(v->map[k].base, v->map[k].pages, &s, &e);
		uint64_t at = s > floor ? s : floor;
		while (at < e && e - at >= bytes && at < best) {
			uint64_t past = obstacle_end(v, at, at + bytes);
			if (past == 0) {
				best = at;
				break;
			}
			at = past;
		}
	}
	return best;
}

/* Frames [*S, *E) of the array covering bytes BASE + PAGES frames; false when none. */
static bool array_range(uint64_t base, uint64_t pages, uint64_t *s, uint64_t *e)
{
	uint64_t bs, be;

	byte_span(base, pages, &bs, &be);
	bs >>= PAGE_SHIFT;
	be >>= PAGE_SHIFT;
	if (be <= pmm.base_pfn || bs >= pmm.base_pfn + pmm.count)
		return false;
	*s = (bs > pmm.base_pfn ? bs : pmm.base_pfn) - pmm.base_pfn;
	*e = (be < pmm.base_pfn + pmm.count ? be : pmm.base_pfn + pmm.count) - pmm.base_pfn;
	return *e > *s;
}

/* Gives each frame the most restrictive rank of the entries covering it (kept in ->order). */
static void classify(const struct map_view *v)
{
	for (uint64_t i = 0; i < pmm.count; i++)
		pmm.pages[i] = (struct page){.next = PAGE_INDEX_NONE, .prev = PAGE_INDEX_NONE};
	for (uint32_t k = 0; k < v->count; k++) {
		uint64_t s, e;
		unsigned rank = type_rank(v->map[k].type);
		if (!array_range(v->map[k].base, v->map[k].pages, &s, &e))
			continue;
		for (uint64_t i = s; i < e; i++)
			if (pmm.pages[i].order < rank)
				pmm.pages[i].order = (uint8_t)rank;
	}
	for (uint64_t i = 0; i < pmm.count; i++) {
		struct page *p = &pmm.pages[i];
		if (p->order == RANK_USABLE) {
			p->kind = PAGE_FREE;
		} else if (p->order == RANK_BOOT) {
			p->kind = PAGE_BOOT;
			p->flags = PMM_FLAG_RECLAIMABLE;
		} else {
			p->kind = PAGE_RESERVED;
		}
		p->order = 0;
	}
	/*
	 * Physical address 0 means "no frame" to the rest of the kernel (a table walk or an
	 * allocation that returns a paddr_t reports failure as 0), and holds the real-mode IVT
	 * besides: frame 0 is never handed out, whatever the map says.
	 */
	if (pmm.base_pfn == 0 && pmm.count > 0) {
		pmm.pages[0].kind = PAGE_RESERVED;
		pmm.pages[0].flags = 0;
	}
}

/* Counts the RAM frames of BASE + PAGES frames as KIND (no longer reclaimable). */
static void claim(uint64_t base, uint64_t pages, enum page_kind kind)
{
	uint64_t s, e;

	if (!array_range(base, pages, &s, &e))
		return;
	for (uint64_t i = s; i < e; i++) {
		if (pmm.pages[i].kind == PAGE_RESERVED)
			continue;
		pmm.pages[i].kind = (uint8_t)kind;
		pmm.pages[i].flags = 0;
	}
}

/* Counts every frame by kind and hands the free runs to the buddy lists. */
static void populate(void)
{
	uint64_t i = 0;

	while (i < pmm.count) {
		uint64_t run = i;
		while (run < pmm.count && pmm.pages[run].kind == PAGE_FREE)
			run++;
		if (run > i) {
			pmm.by_kind[PAGE_FREE] += run - i;
			pmm_buddy_add_run_locked((uint32_t)i, run - i);
			i = run;
		} else {
			pmm.by_kind[pmm.pages[i].kind]++;
			i++;
		}
	}
}

kerr_t pmm_init(const struct quire_boot_info *bi)
{
	struct map_view v = {
	    .map = phys_to_virt(bi->memory_map),
	    .count = bi->memory_map_count,
	    .reg = bi->alloc_register_count > 0 ? phys_to_virt(bi->alloc_register) : NULL,
	    .reg_count = bi->alloc_register_count,
	};
	uint64_t lo, hi;

	pmm_reset_state();
	byte_span(bi->kernel_phys_base, bi->kernel_size >> PAGE_SHIFT, &v.kernel_base,
		  &v.kernel_end);
	if (!find_span(&v, &lo, &hi))
		return KERR_INVALID;
	uint64_t bytes = (hi - lo) * sizeof(struct page);
	bytes = (bytes + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t at = place_array(&v, bytes, ONE_MIB);
	if (at == UINT64_MAX)
		at = place_array(&v, bytes, 0);
	if (at == UINT64_MAX)
		return KERR_NO_MEMORY;

	pmm.pages = phys_to_virt(at);
	pmm.base_pfn = lo;
	pmm.count = hi - lo;
	classify(&v);
	for (uint32_t k = 0; k < v.reg_count; k++)
		claim(v.reg[k].base, v.reg[k].pages, record_kind(v.reg[k].kind));
	claim(bi->kernel_phys_base, bi->kernel_size >> PAGE_SHIFT, PAGE_KERNEL_IMAGE);
	claim(at, bytes >> PAGE_SHIFT, PAGE_PMM_METADATA);
	for (uint32_t k = 0; k < v.reg_count && k < PMM_BOOT_RECORDS_MAX; k++)
		pmm.records[pmm.record_count++] = v.reg[k];
	populate();
	pmm.ready = true;
	return KERR_OK;
}

uint64_t pmm_reclaim_boot_memory(void)
{
	uint64_t freed = 0;

	kassert(pmm.ready);
	uint64_t irq = irq_save();
	spin_lock(&pmm.lock);
	kassert(!pmm.reclaimed);
	pmm.reclaimed = true;
	for (uint64_t i = 0; i < pmm.count;) {
		uint64_t run = i;
		while (run < pmm.count && pmm.pages[run].kind == PAGE_BOOT &&
		       (pmm.pages[run].flags & PMM_FLAG_RECLAIMABLE))
			run++;
		if (run > i) {
			pmm_free_frames_locked((uint32_t)i, run - i);
			freed += run - i;
			i = run;
		} else {
			i++;
		}
	}
	spin_unlock(&pmm.lock);
	irq_restore(irq);
	return freed;
}

kerr_t pmm_release_boot_range(paddr_t base, uint64_t pages)
{
	kerr_t err = KERR_NOT_FOUND;

	kassert(pmm.ready && base % PAGE_SIZE == 0);
	uint64_t irq = irq_save();
	spin_lock(&pmm.lock);
	for (uint32_t k = 0; k < pmm.record_count; k++) {
		const struct quire_alloc_record *r = &pmm.records[k];
		uint64_t rs, re, s, e;
		byte_span(r->base, r->pages, &rs, &re);
		if (pages == 0 || base < rs || base >= re || pages > (re - base) >> PAGE_SHIFT)
			continue;
		kassert(r->kind != QUIRE_ALLOC_KERNEL_IMAGE);
		err = KERR_OK;
		if (!array_range(base, pages, &s, &e))
			break;
		/* Only the frames still counted as the record's: a second release frees nothing. */
		enum page_kind kind = record_kind(r->kind);
		for (uint64_t i = s; i < e; i++)
			if (pmm.pages[i].kind == kind)
				pmm_free_frames_locked((uint32_t)i, 1);
		break;
	}
	spin_unlock(&pmm.lock);
	irq_restore(irq);
	return err;
}
