/*
 * Built-in tests of the framebuffer console (fbcon.h) on the real framebuffer: the PAT has
 * write-combining at PA4 and every PTE of the console's mapping selects it; text is drawn cell by
 * cell in the font's pixels and the boot_info's pixel order; wrapping, tabs and UTF-8; scrolling
 * moves the pixels up by one text line and clears the last; the hand-over decision. The tests
 * write to the console directly (fbcon_write(), not console_write()), so what they draw stays off
 * the serial log; they never hand the real area over, which would end the console for the rest
 * of the boot. Without a framebuffer the drawing tests have nothing to check and say so.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/fbcon.h"
#include "kernel/ktest.h"
#include "kernel/lib/string.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/pat.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area.h"
#include "kernel/memory/vm_space.h"

/* Whether the loader gave a framebuffer the console can draw on (it then must be drawing). */
static bool expect_view(struct ktest_ctx *ktest_ctx, struct fbcon_view *v)
{
	uint32_t format = ktest_boot_info()->framebuffer.format;
	bool drawable = format == QUIRE_FB_RGBX8 || format == QUIRE_FB_BGRX8;

	if (!drawable) {
		console_printf(
		    "# fbcon: no RGBX8/BGRX8 framebuffer (format %u): nothing to check\n", format);
		return false;
	}
	return kexpect(fbcon_get_view(v)) && kexpect(fbcon_drawing());
}

static void write_str(const char *s)
{
	fbcon_write(s, strlen(s));
}

static uint32_t *cell_pixel(const struct fbcon_view *v, uint32_t col, uint32_t row, uint32_t x,
			    uint32_t y)
{
	return v->pixels + ((size_t)row * v->font->height + y) * v->stride +
	       (size_t)col * v->font->width + x;
}

/* Pixels of cell (COL, ROW) that differ from GLYPH drawn in fg on bg (NULL: all background). */
static unsigned cell_mismatches(const struct fbcon_view *v, uint32_t col, uint32_t row,
				const uint8_t *glyph)
{
	unsigned bad = 0;

	for (uint32_t y = 0; y < v->font->height; y++) {
		for (uint32_t x = 0; x < v->font->width; x++) {
			bool on = glyph != NULL && psf_pixel(v->font, glyph, x, y);
			bad += *cell_pixel(v, col, row, x, y) != (on ? v->fg : v->bg);
		}
	}
	return bad;
}

/* Writes newlines until the cursor is on the last text line (no scroll). */
static void go_to_last_line(struct fbcon_view *v)
{
	fbcon_get_view(v);
	while (v->row + 1 < v->rows) {
		write_str("\n");
		fbcon_get_view(v);
	}
	write_str("\r");
	fbcon_get_view(v);
}

KTEST(fbcon_pat_has_write_combining_at_pa4)
{
	kexpect_eq((pat_read_cpu() >> 32) & 0xff, PAT_TYPE_WC);
}

KTEST(fbcon_mapping_is_write_combining)
{
	const struct quire_framebuffer *fb = &ktest_boot_info()->framebuffer;
	struct vm_space *k = vm_space_kernel();
	struct fbcon_view v;

	if (!expect_view(ktest_ctx, &v))
		return;
	struct vm_area *area = fbcon_area();
	if (!kexpect(area != NULL))
		return;
	kexpect_eq(area->kind, VM_AREA_FIXED);
	kexpect_eq(area->cache, CACHE_WRITE_COMBINING);
	kexpect_eq(area->phys, fb->base);
	kexpect_eq(v.pages, (fb->size + PAGE_SIZE - 1) / PAGE_SIZE);
	kexpect_eq((vaddr_t)v.pixels, v.base);
	unsigned bad = 0;
	for (uint64_t i = 0; i < v.pages; i++) {
		struct pagetable_mapping m;
		vaddr_t va = v.base + i * PAGE_SIZE;
		if (pagetable_query(&k->pt, va, &m) != KERR_OK) {
			if (bad++ < 4)
				kexpectf(false, "page %llu at 0x%llx is not mapped",
					 (unsigned long long)i, (unsigned long long)va);
			continue;
		}
		uint64_t cache_bits = m.pte & (PTE_PWT | PTE_PCD | PTE_PAT_4K);
		bool ok = m.page_size == PAGETABLE_PAGE_4K && m.pa == fb->base + i * PAGE_SIZE &&
			  cache_bits == pat_pte_bits(CACHE_WRITE_COMBINING, false) &&
			  cache_bits == PTE_PAT_4K &&
			  pat_policy_from_pte(m.pte, false) == CACHE_WRITE_COMBINING &&
			  m.cache == CACHE_WRITE_COMBINING &&
			  m.prot == (PAGETABLE_READ | PAGETABLE_WRITE) && (m.pte & PTE_NX);
		if (!ok && bad++ < 4)
			kexpectf(false, "page %llu: pte 0x%llx pa 0x%llx size %llu prot %u",
				 (unsigned long long)i, (unsigned long long)m.pte,
				 (unsigned long long)m.pa, (unsigned long long)m.page_size, m.prot);
	}
	kexpect_eq(bad, 0);
}

KTEST(fbcon_draws_text)
{
	const struct quire_framebuffer *fb = &ktest_boot_info()->framebuffer;
	struct fbcon_view v;

	if (!expect_view(ktest_ctx, &v))
		return;
	/* The colours in the framebuffer's own order: bg is {0x10, 0x18, 0x28}. */
	kexpect_eq(v.bg, fb->format == QUIRE_FB_RGBX8 ? 0x281810u : 0x101828u);
	kexpect_eq(v.fg, 0xc8c8c8u);
	kexpect_eq(v.cols, fb->width / v.font->width);
	kexpect_eq(v.rows, fb->height / v.font->height);
	kexpect_eq(v.stride, fb->pixels_per_scan_line);
	/* A fresh line is background; after "A" its first cell is exactly the glyph. */
	write_str("\n");
	fbcon_get_view(&v);
	uint32_t row = v.row;
	kexpect_eq(v.col, 0);
	kexpect_eq(cell_mismatches(&v, 0, row, NULL), 0);
	write_str("A");
	fbcon_get_view(&v);
	kexpect_eq(v.col, 1);
	kexpect(cell_mismatches(&v, 0, row, NULL) > 0);
	kexpect_eq(cell_mismatches(&v, 0, row, psf_glyph(v.font, 'A')), 0);
	/* UTF-8: e acute (glyph 130 of this font), then a stray byte drawn as '?'. */
	write_str("\xc3\xa9\xff");
	fbcon_get_view(&v);
	kexpect_eq(v.col, 3);
	kexpect_eq(cell_mismatches(&v, 1, row, psf_glyph(v.font, 0xe9)), 0);
	kexpect_eq(cell_mismatches(&v, 2, row, psf_glyph(v.font, '?')), 0);
	/* Backspace and carriage return move the cursor; a tab goes to the next multiple of 8. */
	write_str("\b");
	fbcon_get_view(&v);
	kexpect_eq(v.col, 2);
	write_str("\t");
	fbcon_get_view(&v);
	kexpect_eq(v.col, 8);
	write_str("\tB");
	fbcon_get_view(&v);
	kexpect_eq(v.col, 17);
	kexpect_eq(cell_mismatches(&v, 16, row, psf_glyph(v.font, 'B')), 0);
	kexpect_eq(cell_mismatches(&v, 9, row, NULL), 0); /* a tab draws nothing */
	write_str("\r");
	fbcon_get_view(&v);
	kexpect_eq(v.col, 0);
	kexpect_eq(v.row, row);
	write_str("\n");
}

KTEST(fbcon_wraps_at_the_right_edge)
{
	static const char ruler[] = "---------|";
	struct fbcon_stats before, after;
	struct fbcon_view v;

	if (!expect_view(ktest_ctx, &v))
		return;
	go_to_last_line(&v);
	/* A full line leaves the cursor past the last cell, not on the next line. */
	fbcon_get_stats(&before);
	for (uint32_t i = 0; i < v.cols; i++)
		fbcon_write(&ruler[i % 10], 1);
	fbcon_get_view(&v);
	kexpect_eq(v.col, v.cols);
	kexpect_eq(v.row, v.rows - 1);
	const uint8_t *last_glyph = psf_glyph(v.font, (uint8_t)ruler[(v.cols - 1) % 10]);
	kexpect_eq(cell_mismatches(&v, v.cols - 1, v.row, last_glyph), 0);
	/* The next glyph wraps (scrolling, on the last line) and lands in the first cell. */
	write_str("W");
	fbcon_get_view(&v);
	fbcon_get_stats(&after);
	kexpect_eq(after.scrolls, before.scrolls + 1);
	kexpect_eq(v.col, 1);
	kexpect_eq(v.row, v.rows - 1);
	kexpect_eq(cell_mismatches(&v, 0, v.row, psf_glyph(v.font, 'W')), 0);
	kexpect_eq(cell_mismatches(&v, v.cols - 1, v.row - 1, last_glyph), 0);
	/* A full line and a newline advance one line, not two. */
	write_str("\r");
	for (uint32_t i = 0; i < v.cols; i++)
		write_str("=");
	fbcon_get_stats(&before);
	write_str("\n");
	fbcon_get_stats(&after);
	kexpect_eq(after.scrolls, before.scrolls + 1);
	fbcon_get_view(&v);
	kexpect_eq(cell_mismatches(&v, 0, v.row, NULL), 0);
	kexpect_eq(cell_mismatches(&v, 0, v.row - 1, psf_glyph(v.font, '=')), 0);
}

KTEST(fbcon_scrolls_by_one_text_line)
{
	struct fbcon_stats before, after;
	struct fbcon_view v;

	if (!expect_view(ktest_ctx, &v))
		return;
	if (!kexpect(v.width >= 60 && v.rows >= 2))
		return;
	go_to_last_line(&v);
	uint32_t last = v.rows - 1, fh = v.font->height;
	write_str("Quire");
	/* Remember the pixels of the last two text lines (their first 60 columns of pixels). */
	enum { SAMPLE_W = 60, SAMPLE_H = 2 * 64 };
	static uint32_t saved[SAMPLE_H][SAMPLE_W];
	uint32_t first_y = (last - 1) * fh;
	for (uint32_t y = 0; y < 2 * fh; y++)
		memcpy(saved[y], v.pixels + (size_t)(first_y + y) * v.stride, sizeof(saved[y]));
	fbcon_get_stats(&before);
	write_str("\n");
	fbcon_get_stats(&after);
	fbcon_get_view(&v);
	kexpect_eq(after.scrolls, before.scrolls + 1);
	kexpect_eq(v.row, last);
	kexpect_eq(v.col, 0);
	/* Every sampled pixel row moved up by one text line (18 pixel rows). */
	unsigned moved = 0;
	for (uint32_t y = 0; y < 2 * fh; y++)
		moved += memcmp(saved[y], v.pixels + (size_t)(first_y + y - fh) * v.stride,
				sizeof(saved[y])) == 0;
	kexpect_eq(moved, 2 * fh);
	kexpect_eq(cell_mismatches(&v, 0, last - 1, psf_glyph(v.font, 'Q')), 0);
	kexpect_eq(cell_mismatches(&v, 4, last - 1, psf_glyph(v.font, 'e')), 0);
	/* The new last line is background across the width, and so is the rest of the screen. */
	unsigned not_bg = 0;
	for (uint32_t y = last * fh; y < v.height; y++)
		for (uint32_t x = 0; x < v.width; x++)
			not_bg += v.pixels[(size_t)y * v.stride + x] != v.bg;
	kexpect_eq(not_bg, 0);

	/* What a scroll costs: the average over one screen of newlines at the bottom. */
	uint64_t start = cpu_rdtsc();
	for (uint32_t i = 0; i < v.rows; i++)
		write_str("\n");
	uint64_t ticks = cpu_rdtsc() - start;
	fbcon_get_stats(&after);
	console_printf("# fbcon: one scroll of %ux%u pixels takes %llu us; drawn so far: %llu "
		       "bytes, %llu scrolls, %llu ms\n",
		       v.width, v.height, (unsigned long long)tsc_ticks_to_us(ticks / v.rows),
		       (unsigned long long)after.bytes, (unsigned long long)after.scrolls,
		       (unsigned long long)tsc_ticks_to_us(after.tsc_ticks) / 1000);
}

KTEST(fbcon_hand_over_only_for_its_own_area)
{
	struct vm_area *console = fbcon_area(), *other;

	/* The decision itself, on any areas. */
	if (!kexpect(vm_area_create_open(1, VM_PROT_READ | VM_PROT_WRITE, &other) == KERR_OK))
		return;
	kexpect(!fbcon_hand_over_due(NULL, other));
	kexpect(!fbcon_hand_over_due(NULL, NULL));
	kexpect(fbcon_hand_over_due(other, other));
	kexpect(!fbcon_hand_over_due(other, NULL));
	if (console != NULL) {
		kexpect(fbcon_hand_over_due(console, console));
		kexpect(!fbcon_hand_over_due(console, other));
	}
	/* Mapping another area does not stop the console (the real one is never passed here). */
	bool drawing = fbcon_drawing();
	fbcon_user_mapped(other);
	fbcon_user_mapped(NULL);
	kexpect_eq(fbcon_drawing(), drawing);
	vm_area_put(other);
}
