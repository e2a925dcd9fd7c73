/*
 * Built-in test of the drawing program's view of the framebuffer: /bin/draw, given a fixed
 * write-combining area over the GOP framebuffer as its first passed handle and the geometry as
 * --fb= (what init gives it), maps the area through vma_map and draws its test scene. Every PTE of
 * that mapping in draw's space must then select CACHE_WRITE_COMBINING with exactly PAT entry 4's
 * bits (the PAT bit, not PWT or PCD) and map the framebuffer's own frame; every page the scene
 * covers must be present. Then draw is killed and every frame is free again.
 *
 * The area is the test's own, not the console's (fbcon_area()): mapping the console's would hand
 * the display over for the rest of the boot (fbcon.h). draw's scene lands on the screen all the
 * same, so the test saves the screen through the console's mapping first and puts it back after:
 * the console goes on drawing over a picture it knows (its own tests check pixels it drew once).
 */
#include "kernel/console.h"
#include "kernel/fbcon.h"
#include "kernel/ktest.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/pat.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area.h"
#include "kernel/memory/vm_space.h"
#include "kernel/process.h"

#define DRAW_PATH       "/bin/draw"
#define DRAW_READY      "draw: scene ready"
#define WAIT_STEP_NS    10000000ull /* 10 ms */
#define WAIT_LIMIT_STEP 3000u       /* 30 s: drawing under TCG is slow, not that slow */

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	pmm_get_stats(&st);
	return st.free;
}

/* The PWT, PCD and PAT bits of a leaf: what selects its PAT entry. */
static uint64_t cache_bits(uint64_t pte, bool large)
{
	return pte & (PTE_PWT | PTE_PCD | (large ? PTE_PAT_LARGE : PTE_PAT_4K));
}

/* Waits until P logged a line or ended; false (recorded) when neither happens in time. */
static bool wait_for_log(struct ktest_ctx *ktest_ctx, struct process *p)
{
	for (unsigned i = 0; i < WAIT_LIMIT_STEP && p->log_count == 0 && !p->ended; i++)
		if (sched_sleep_ns(WAIT_STEP_NS) != KERR_OK)
			break;
	return kexpectf(p->log_count > 0, "draw logged nothing in %u ms (ended: %d)",
			(unsigned)(WAIT_LIMIT_STEP * (WAIT_STEP_NS / 1000000)), p->ended);
}

/*
 * Checks every page of AREA's mapping in P's space: present pages map the framebuffer at FB_BASE
 * with exactly the write-combining bits. Returns the number of present pages.
 */
static uint64_t check_mapping(struct ktest_ctx *ktest_ctx, struct process *p, struct vm_area *area,
			      paddr_t fb_base, uint64_t pages)
{
	struct vm_space *space = p->space;
	vaddr_t base;
	uint64_t present = 0;

	if (!kexpect(space != NULL) || !kexpect_eq(vm_space_find_area(space, area, &base), KERR_OK))
		return 0;
	vm_space_lock(space);
	for (uint64_t i = 0; i < pages; i++) {
		struct pagetable_mapping m;
		vaddr_t va = base + i * PAGE_SIZE;
		if (pagetable_query(&space->pt, va, &m) != KERR_OK)
			continue;
		bool large = m.page_size != PAGETABLE_PAGE_4K;
		present++;
		bool ok = kexpectf(m.cache == CACHE_WRITE_COMBINING &&
				       pat_policy_from_pte(m.pte, large) == CACHE_WRITE_COMBINING,
				   "page %llu: %s", (unsigned long long)i,
				   pat_policy_name(pat_policy_from_pte(m.pte, large)));
		ok = ok && kexpectf(cache_bits(m.pte, large) ==
					pat_pte_bits(CACHE_WRITE_COMBINING, large),
				    "page %llu: cache bits 0x%llx", (unsigned long long)i,
				    (unsigned long long)cache_bits(m.pte, large));
		ok = ok && kexpectf(m.pa == fb_base + i * PAGE_SIZE,
				    "page %llu maps 0x%llx, not the framebuffer's 0x%llx",
				    (unsigned long long)i, (unsigned long long)m.pa,
				    (unsigned long long)(fb_base + i * PAGE_SIZE));
		ok = ok && kexpect((m.prot & PAGETABLE_USER) && (m.prot & PAGETABLE_WRITE));
		if (!ok)
			break;
	}
	vm_space_unlock(space);
	return present;
}

/* A copy of the screen as the console shows it; NULL when there is no console (or no memory). */
static uint32_t *save_screen(struct fbcon_view *v)
{
	if (!fbcon_get_view(v))
		return NULL;
	size_t bytes = (size_t)v->stride * v->height * sizeof(uint32_t);
	uint32_t *copy = kmalloc(bytes);
	if (copy != NULL)
		memcpy(copy, v->pixels, bytes);
	return copy;
}

static void restore_screen(const struct fbcon_view *v, uint32_t *copy)
{
	if (copy == NULL)
		return;
	memcpy(v->pixels, copy, (size_t)v->stride * v->height * sizeof(uint32_t));
	kfree(copy);
}

KTEST(draw_maps_the_framebuffer_write_combining)
{
	const struct quire_framebuffer *fb = &ktest_boot_info()->framebuffer;
	char fb_arg[64];
	struct vm_area *area;
	struct process *p;
	struct quire_exit_info exit;
	struct fbcon_view view;

	if (fb->format != QUIRE_FB_RGBX8 && fb->format != QUIRE_FB_BGRX8) {
		console_printf("# draw: no RGBX8/BGRX8 framebuffer (format %u): nothing to check\n",
			       fb->format);
		return;
	}
	uint64_t before = free_frames();
	uint32_t *screen = save_screen(&view);
	uint64_t pages = (fb->size + PAGE_SIZE - 1) / PAGE_SIZE;
	if (!kexpect_eq(vm_area_create_fixed(fb->base, pages, VM_PROT_READ | VM_PROT_WRITE,
					     CACHE_WRITE_COMBINING, &area),
			KERR_OK)) {
		restore_screen(&view, screen);
		return;
	}
	format_snprintf(fb_arg, sizeof(fb_arg), "--fb=%u,%u,%u,%u", fb->width, fb->height,
			fb->pixels_per_scan_line,
			fb->format == QUIRE_FB_RGBX8 ? QUIRE_PIXEL_RGBX : QUIRE_PIXEL_BGRX);
	const char *argv[] = {DRAW_PATH, fb_arg, "--scene-only"};
	struct spawn_handle handle = {.obj = &area->obj,
				      .rights =
					  QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_MAP,
				      .tag = QUIRE_STARTUP_PASSED};
	struct spawn_request req = {
	    .path = DRAW_PATH, .argv = argv, .argc = 3, .handles = &handle, .handle_count = 1};
	kerr_t err = process_spawn(&req, &p);
	vm_area_put(area); /* draw's handle holds it now */
	if (!kexpectf(err == KERR_OK, "spawn %s: %s", DRAW_PATH, kerr_name(err))) {
		restore_screen(&view, screen);
		return;
	}

	if (wait_for_log(ktest_ctx, p) &&
	    kexpectf(strncmp(p->last_log, DRAW_READY, strlen(DRAW_READY)) == 0, "draw said '%s'",
		     p->last_log) &&
	    kexpect(!p->ended)) {
		/* The scene covers every pixel: every page up to the last visible one is present. */
		uint64_t last =
		    ((uint64_t)(fb->height - 1) * fb->pixels_per_scan_line + fb->width) * 4;
		uint64_t visible = (last + PAGE_SIZE - 1) / PAGE_SIZE;
		uint64_t present = check_mapping(ktest_ctx, p, area, fb->base, pages);
		kexpectf(present == visible, "%llu pages present, %llu visible",
			 (unsigned long long)present, (unsigned long long)visible);
	}

	struct quire_exit_info kill = {.reason = QUIRE_EXIT_NORMAL, .status = -1};
	process_kill(p, &kill);
	kexpect_eq(process_wait(p, &exit), KERR_OK);
	kexpect(p->ended && p->space == NULL);
	kobject_put(&p->obj);
	restore_screen(&view, screen);
	kexpect_eq(free_frames(), before);
}
