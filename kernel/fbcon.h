/*
 * The framebuffer console: the kernel's text on the GOP framebuffer, until user space takes the
 * display over.
 *
 * Model: fbcon_init() makes the framebuffer a fixed, write-combining vm_area (the one object the
 * display ever is: init hands the same area to user space, fbcon_area()), maps it into the kernel
 * space with every PTE present, and from then on console_write() (console.h) sends every byte it
 * gives the serial port here as well. The screen is a grid of cells of the embedded font
 * (kernel/font.h, 10x18 pixels): light grey on a dark blue-grey, in either pixel order, with
 * newline, carriage return, tab (every 8 cells), backspace, wrapping at the right edge and
 * scrolling by one text line at the bottom (the pixel rows move up in place on the mapping and
 * the last line is cleared). Bytes are read as UTF-8; what the font cannot draw shows as '?'.
 *
 * Hand-over: once user space maps the console's area (sys_vma_map calls fbcon_user_mapped()), the
 * console stops drawing for good and says so once; its log goes on over serial only. The kernel's
 * own mapping stays, unused.
 *
 * Locking: none, like console.c: one CPU, interrupts off in the kernel. A write that arrives while
 * a write is drawing (an exception report from inside the drawing code) goes to serial only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <quire/boot.h>

#include "kernel/lib/psf.h"
#include "kernel/memory/phys.h"

struct vm_area;

/*
 * fbcon_init - sets the console up on BI's framebuffer and clears the screen. Without a
 * framebuffer, or with a pixel format other than RGBX8 and BGRX8, it logs why and stays off (and
 * there is no area). When only the drawing cannot start (mapping out of memory, a font that does
 * not parse) the area still exists for user space. The boot thread, once, after sched_init()
 * (the kernel space and the heap are up). Allocates (the area, the mapping, page tables).
 */
void fbcon_init(const struct quire_boot_info *bi);

/* fbcon_write - draws LEN bytes from S while the console draws; otherwise nothing. Never fails. */
void fbcon_write(const char *s, size_t len);

/*
 * fbcon_area - the framebuffer's area, with no new reference (the console keeps its own for the
 * life of the kernel); NULL when there is none. init takes a reference to pass it on.
 */
struct vm_area *fbcon_area(void);

/*
 * fbcon_hand_over_due - the decision of fbcon_user_mapped(): whether a user mapping of MAPPED
 * takes the display from a console drawing on CONSOLE (NULL: no console). Pure.
 */
bool fbcon_hand_over_due(const struct vm_area *console, const struct vm_area *mapped);

/*
 * fbcon_user_mapped - a user space has just mapped AREA: if it is the console's, the console stops
 * drawing (for good) and logs one line. The system-call path, no lock held; never allocates.
 */
void fbcon_user_mapped(struct vm_area *area);

/* fbcon_drawing - whether the console draws (set up, and not handed over). */
bool fbcon_drawing(void);

/* What the console looks like, for the built-in tests (kernel/tests/fbcon_tests.c). */
struct fbcon_view {
	uint32_t *pixels;       /* the kernel's mapping of pixel (0, 0) */
	vaddr_t base;           /* the mapping's first address */
	uint64_t pages;         /* its size */
	uint32_t width, height; /* visible pixels */
	uint32_t stride;        /* pixels from one scan line to the next */
	uint32_t cols, rows;    /* cells */
	uint32_t col, row;      /* the cursor: the cell the next glyph goes to (col may be cols) */
	uint32_t fg, bg;        /* the two pixel values it draws with, in the framebuffer's order */
	const struct psf_font *font;
};

/* fbcon_get_view - fills *OUT and returns true when the console is mapped; false otherwise. */
bool fbcon_get_view(struct fbcon_view *out);

/* What drawing has cost so far. */
struct fbcon_stats {
	uint64_t bytes;     /* bytes written while drawing */
	uint64_t scrolls;   /* text lines scrolled */
	uint64_t tsc_ticks; /* TSC ticks spent in fbcon_write() */
};

/* fbcon_get_stats - the totals since fbcon_init(). */
void fbcon_get_stats(struct fbcon_stats *out);
