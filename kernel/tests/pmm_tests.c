/*
 * Built-in tests of the frame allocator on the real memory map: the accounting adds up frame by
 * frame, everything free can be taken (single frames, then 2 MiB runs) and given back with the
 * counts exactly as before, PMM_ZERO zeroes, and an injected failure fails exactly one call.
 *
 * The exhaustion tests chain the frames they hold through struct page's next field (the owner's
 * link, page.h) as frame numbers, so they need no memory of their own and never touch the frames
 * (at 8 GiB, writing every frame would make QEMU commit all of the guest's RAM).
 */
#include "kernel/console.h"
#include "kernel/ktest.h"
#include "kernel/memmap.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/pmm.h"

/* Prints the accounting table as TAP diagnostics. */
static void print_table(const char *when, const struct pmm_stats *st)
{
	console_printf("# pmm %s: %llu frames, %llu free, %llu cached\n", when,
		       (unsigned long long)st->total, (unsigned long long)st->free,
		       (unsigned long long)st->cached);
	for (unsigned k = 0; k < PAGE_KIND_COUNT; k++)
		console_printf("#   %-14s %9llu frames %6llu MiB\n",
			       pmm_kind_name((enum page_kind)k), (unsigned long long)st->by_kind[k],
			       (unsigned long long)(st->by_kind[k] >> 8));
}

static bool is_ram(uint32_t type)
{
	return type == QUIRE_MEM_USABLE || type == QUIRE_MEM_BOOT_SERVICES ||
	       type == QUIRE_MEM_LOADER;
}

KTEST(pmm_every_frame_accounted_once)
{
	const struct quire_boot_info *bi = ktest_boot_info();
	const struct quire_mem_range *map = phys_to_virt(bi->memory_map);
	uint32_t n = bi->memory_map_count;
	struct pmm_stats st;
	uint64_t counted[PAGE_KIND_COUNT] = {0};
	uint64_t lo = UINT64_MAX, hi = 0, ram = 0, bad = 0;

	pmm_get_stats(&st);
	print_table("after boot", &st);
	for (uint32_t k = 0; k < n; k++) {
		if (!is_ram(map[k].type))
			continue;
		uint64_t s = map[k].base >> PAGE_SHIFT;
		lo = s < lo ? s : lo;
		hi = s + map[k].pages > hi ? s + map[k].pages : hi;
		ram += map[k].pages;
	}
	kexpect_eq(st.total, hi - lo);
	kexpect_eq(st.free, st.by_kind[PAGE_FREE]);

	/* Walk the array in one pass over the map (sorted, no overlaps: boot_info tests check). */
	uint32_t k = 0;
	for (uint64_t pfn = lo; pfn < hi; pfn++) {
		const struct page *p = pmm_page_from_phys(pfn << PAGE_SHIFT);
		if (!kexpect(p != NULL))
			return;
		while (k < n && (map[k].base >> PAGE_SHIFT) + map[k].pages <= pfn)
			k++;
		const struct quire_mem_range *e =
		    k < n && pfn >= map[k].base >> PAGE_SHIFT ? &map[k] : NULL;
		/* Frame 0 is never handed out, even where the map calls it RAM (pmm_init.c). */
		bool in_ram = e != NULL && is_ram(e->type) && pfn != 0;
		if (in_ram != (e != NULL && is_ram(e->type)))
			ram--;
		if (p->kind >= PAGE_KIND_COUNT || in_ram == (p->kind == PAGE_RESERVED)) {
			if (bad++ < 4)
				kexpectf(false, "frame 0x%llx (%s) has kind %u",
					 (unsigned long long)(pfn << PAGE_SHIFT),
					 e ? memmap_type_name(e->type) : "hole", p->kind);
			continue;
		}
		counted[p->kind]++;
	}
	kexpect_eq(bad, 0);
	uint64_t sum = 0;
	for (unsigned kind = 0; kind < PAGE_KIND_COUNT; kind++) {
		kexpectf(counted[kind] == st.by_kind[kind],
			 "%s: %llu frames in the array, %llu counted",
			 pmm_kind_name((enum page_kind)kind), (unsigned long long)counted[kind],
			 (unsigned long long)st.by_kind[kind]);
		sum += st.by_kind[kind];
	}
	kexpect_eq(sum, st.total);
	/* Free = RAM in the map minus every frame counted as used (reserved is never RAM). */
	uint64_t used = st.total - st.free - st.by_kind[PAGE_RESERVED];
	kexpect_eq(st.free, ram - used);
	kexpect_eq(st.by_kind[PAGE_RESERVED], st.total - ram);
}

KTEST(pmm_boot_allocations_are_held)
{
	const struct quire_boot_info *bi = ktest_boot_info();
	const struct page *kernel = pmm_page_from_phys(bi->kernel_phys_base);
	const struct page *info = pmm_page_from_phys(phys_from_linear(bi));
	const struct page *array = pmm_page_from_virt(pmm_page_from_phys(bi->kernel_phys_base));

	if (!kexpect(kernel != NULL && info != NULL && array != NULL))
		return;
	kexpect_eq(kernel->kind, PAGE_KERNEL_IMAGE);
	kexpect_eq(pmm_page_from_phys(bi->kernel_phys_base + bi->kernel_size - 1)->kind,
		   PAGE_KERNEL_IMAGE);
	kexpect_eq(info->kind, PAGE_BOOT);
	kexpect_eq(array->kind, PAGE_PMM_METADATA);
	kexpect(pmm_page_from_phys(bi->cmdline)->kind == PAGE_BOOT);
}

/* Takes frames of ORDER until none is left, chained through ->next; returns how many runs. */
static uint64_t take_all(struct ktest_ctx *ktest_ctx, unsigned order, uint32_t *chain)
{
	uint64_t runs = 0, misaligned = 0;
	struct page *p;

	*chain = PAGE_INDEX_NONE;
	while ((p = order == 0 ? pmm_alloc_page(PAGE_TEST, 0)
			       : pmm_alloc_pages(order, PAGE_TEST, 0)) != NULL) {
		paddr_t pa = pmm_page_to_phys(p);
		if (pa % ((uint64_t)PAGE_SIZE << order) != 0)
			misaligned++;
		p->next = *chain;
		*chain = (uint32_t)(pa >> PAGE_SHIFT);
		runs++;
	}
	kexpect_eq(misaligned, 0);
	return runs;
}

static void give_all(unsigned order, uint32_t chain)
{
	while (chain != PAGE_INDEX_NONE) {
		struct page *p = pmm_page_from_phys((paddr_t)chain << PAGE_SHIFT);
		chain = p->next;
		if (order == 0)
			pmm_free_page(p);
		else
			pmm_free_pages(p, order);
	}
}

static void exhaust_and_restore(struct ktest_ctx *ktest_ctx, unsigned order)
{
	struct pmm_stats before, empty, after;
	uint32_t chain;

	pmm_drain_cpu_caches();
	pmm_get_stats(&before);
	uint64_t runs = take_all(ktest_ctx, order, &chain);
	pmm_get_stats(&empty);
	console_printf("# order %u: %llu runs taken, %llu frames left free\n", order,
		       (unsigned long long)runs, (unsigned long long)empty.free);
	kexpect(runs > 0);
	kexpect_eq(empty.by_kind[PAGE_TEST], before.by_kind[PAGE_TEST] + (runs << order));
	kexpect_eq(empty.free, before.free - (runs << order));
	if (order == 0)
		kexpect_eq(empty.free, 0);
	kexpect(pmm_alloc_pages(order, PAGE_TEST, 0) == NULL);
	give_all(order, chain);
	pmm_drain_cpu_caches();
	pmm_get_stats(&after);
	for (unsigned k = 0; k < PAGE_KIND_COUNT; k++)
		kexpectf(after.by_kind[k] == before.by_kind[k], "%s: %llu before, %llu after",
			 pmm_kind_name((enum page_kind)k), (unsigned long long)before.by_kind[k],
			 (unsigned long long)after.by_kind[k]);
	kexpect_eq(after.free, before.free);
	kexpect_eq(after.cached, 0);
}

KTEST(pmm_single_frames_until_exhaustion)
{
	exhaust_and_restore(ktest_ctx, 0);
}

KTEST(pmm_2mib_runs_until_exhaustion)
{
	exhaust_and_restore(ktest_ctx, 9);
	/* Every 2 MiB run came back whole: one can be taken again. */
	struct page *p = pmm_alloc_pages(9, PAGE_TEST, 0);
	if (kexpect(p != NULL))
		pmm_free_pages(p, 9);
}

static bool all_zero(const void *va, uint64_t bytes)
{
	const uint64_t *q = va;

	for (uint64_t i = 0; i < bytes / 8; i++)
		if (q[i] != 0)
			return false;
	return true;
}

KTEST(pmm_zero_flag_zeroes_dirty_frames)
{
	struct page *p = pmm_alloc_page(PAGE_TEST, 0);

	if (!kexpect(p != NULL))
		return;
	uint64_t *va = pmm_page_to_virt(p);
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		va[i] = 0xa5a5a5a5a5a5a5a5ull + i;
	pmm_free_page(p);
	struct page *q = pmm_alloc_page(PAGE_TEST, PMM_ZERO);
	kexpect(q == p); /* the per-CPU cache hands back the frame just freed */
	kexpect(q != NULL && all_zero(pmm_page_to_virt(q), PAGE_SIZE));
	if (q != NULL)
		pmm_free_page(q);

	struct page *r = pmm_alloc_pages(2, PAGE_TEST, 0);
	if (!kexpect(r != NULL))
		return;
	uint8_t *rv = pmm_page_to_virt(r);
	for (unsigned i = 0; i < 4 * PAGE_SIZE; i++)
		rv[i] = (uint8_t)(i | 1);
	pmm_free_pages(r, 2);
	struct page *s = pmm_alloc_pages(2, PAGE_TEST, PMM_ZERO);
	kexpect(s == r);
	kexpect(s != NULL && all_zero(pmm_page_to_virt(s), 4 * PAGE_SIZE));
	if (s != NULL)
		pmm_free_pages(s, 2);
}

KTEST(pmm_injected_failure_fails_one_call)
{
	struct pmm_stats before, after;

	pmm_get_stats(&before);
	fail_inject_arm(1);
	kexpect(pmm_alloc_page(PAGE_TEST, 0) == NULL);
	struct page *p = pmm_alloc_page(PAGE_TEST, 0);
	kexpect(p != NULL);
	fail_inject_arm(2);
	struct page *q = pmm_alloc_pages(9, PAGE_TEST, 0);
	kexpect(q != NULL);
	kexpect(pmm_alloc_pages(9, PAGE_TEST, 0) == NULL);
	kexpect_eq(fail_inject_attempts(), 2);
	struct page *r = pmm_alloc_pages(9, PAGE_TEST, 0);
	kexpect(r != NULL);
	if (p != NULL)
		pmm_free_page(p);
	if (q != NULL)
		pmm_free_pages(q, 9);
	if (r != NULL)
		pmm_free_pages(r, 9);
	fail_inject_arm(0);
	pmm_get_stats(&after);
	kexpect_eq(after.free, before.free);
	kexpect_eq(after.by_kind[PAGE_TEST], before.by_kind[PAGE_TEST]);
}
