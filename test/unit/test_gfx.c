/*
 * Host tests of the drawing library (user/gfx/gfx.c) and the scene (user/gfx/scene.c).
 *
 * Every surface here lives inside a larger block filled with a guard value no packed pixel can
 * have (its X byte is set): rows above and below, and padding at the end of each scan line
 * (stride > width). After each drawing the guard must be intact, so clipping is checked at every
 * edge for every primitive. Clipped lines and circles must also be exactly the visible part of
 * the same shape drawn unclipped on a larger surface. Text is checked pixel by pixel against the
 * font's bitmap, with a small font built here and with the console font (QUIRE_FONT_PSF).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/psf.h"
#include "user/gfx/gfx.h"
#include "user/gfx/scene.h"

#ifndef QUIRE_FONT_PSF
#error "QUIRE_FONT_PSF must name the console font (tools/build.mk passes it)"
#endif

#define GUARD      0xa5a5a5a5u /* its X byte is set: gfx never stores it */
#define GUARD_ROWS 3

/* --- guarded surfaces --- */

struct guarded {
	uint32_t *mem;
	size_t words;
	struct gfx_surface s;
};

static void guarded_init(struct guarded *g, uint32_t w, uint32_t h, uint32_t pad, uint32_t format)
{
	uint32_t stride = w + pad;

	g->words = (size_t)stride * (h + 2 * GUARD_ROWS);
	g->mem = malloc(g->words * sizeof(uint32_t));
	assert_non_null(g->mem);
	for (size_t i = 0; i < g->words; i++)
		g->mem[i] = GUARD;
	g->s = (struct gfx_surface){.pixels = g->mem + (size_t)stride * GUARD_ROWS,
				    .width = w,
				    .height = h,
				    .stride = stride,
				    .format = format};
	assert_true(gfx_surface_valid(&g->s));
	gfx_clear(&g->s, 0);
}

static void guarded_free(struct guarded *g)
{
	free(g->mem);
	g->mem = NULL;
}

static bool visible(const struct guarded *g, size_t i)
{
	size_t first = (size_t)g->s.stride * GUARD_ROWS;

	if (i < first)
		return false;
	size_t row = (i - first) / g->s.stride, col = (i - first) % g->s.stride;
	return row < g->s.height && col < g->s.width;
}

/* Every word outside the visible pixels still holds the guard. */
static void assert_guard(const struct guarded *g)
{
	for (size_t i = 0; i < g->words; i++)
		if (!visible(g, i) && g->mem[i] != GUARD)
			fail_msg("guard word %zu overwritten with 0x%08x", i, g->mem[i]);
}

static uint64_t count_colour(const struct gfx_surface *s, uint32_t rgb)
{
	uint64_t n = 0;

	for (uint32_t y = 0; y < s->height; y++)
		for (uint32_t x = 0; x < s->width; x++)
			n += gfx_get_pixel(s, (int32_t)x, (int32_t)y) == rgb;
	return n;
}

/* A deterministic pseudo-random sequence. */
static uint32_t rng_next(uint64_t *state)
{
	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*state >> 33);
}

static int32_t rng_range(uint64_t *state, int32_t lo, int32_t hi)
{
	return lo + (int32_t)(rng_next(state) % (uint32_t)(hi - lo + 1));
}

/* --- fonts --- */

#define TF_WIDTH  10u
#define TF_HEIGHT 6u
#define TF_COUNT  128u
#define TF_ROW    2u /* bytes per row */

static uint8_t test_font_data[32 + TF_COUNT * TF_HEIGHT * TF_ROW];

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A PSF2 font of 128 glyphs 10 x 6 without a Unicode table, each glyph a different pattern. */
static void test_font(struct psf_font *font)
{
	uint8_t *h = test_font_data;

	put32(h, PSF2_MAGIC);
	put32(h + 4, 0);
	put32(h + 8, 32);
	put32(h + 12, 0);
	put32(h + 16, TF_COUNT);
	put32(h + 20, TF_HEIGHT * TF_ROW);
	put32(h + 24, TF_HEIGHT);
	put32(h + 28, TF_WIDTH);
	for (uint32_t g = 0; g < TF_COUNT; g++) {
		uint8_t *glyph = h + 32 + g * TF_HEIGHT * TF_ROW;
		for (uint32_t y = 0; y < TF_HEIGHT; y++) {
			glyph[y * TF_ROW] = (uint8_t)(g * 29 + y * 53 + 7);
			glyph[y * TF_ROW + 1] = (uint8_t)((g * 13 + y * 3) & 0xc0);
		}
	}
	assert_int_equal(psf_parse(test_font_data, sizeof(test_font_data), font), PSF_OK);
	assert_int_equal(font->width, TF_WIDTH);
	assert_int_equal(font->height, TF_HEIGHT);
}

static uint8_t *g_real_font;
static size_t g_real_font_size;

/* The console font, read once (the parsed font points into the copy). */
static void real_font(struct psf_font *font)
{
	if (g_real_font == NULL) {
		FILE *f = fopen(QUIRE_FONT_PSF, "rb");
		if (f == NULL)
			fail_msg("cannot open %s", QUIRE_FONT_PSF);
		g_real_font = malloc(1 << 20);
		assert_non_null(g_real_font);
		g_real_font_size = fread(g_real_font, 1, 1 << 20, f);
		fclose(f);
	}
	assert_int_equal(psf_parse(g_real_font, g_real_font_size, font), PSF_OK);
}

/* Pixels (X, Y)... of S hold glyph CP of FONT drawn at (X, Y) with SCALE, FG and BG. */
static void assert_glyph(const struct gfx_surface *s, const struct psf_font *font, int32_t x,
			 int32_t y, int32_t scale, uint32_t cp, uint32_t fg, uint32_t bg)
{
	const uint8_t *glyph = psf_glyph(font, cp);

	for (int32_t j = 0; j < (int32_t)font->height * scale; j++) {
		for (int32_t i = 0; i < (int32_t)font->width * scale; i++) {
			int32_t px = x + i, py = y + j;
			if (px < 0 || py < 0 || px >= (int32_t)s->width || py >= (int32_t)s->height)
				continue;
			uint32_t want =
			    psf_pixel(font, glyph, (uint32_t)(i / scale), (uint32_t)(j / scale))
				? fg
				: bg;
			uint32_t got = gfx_get_pixel(s, px, py);
			if (got != want)
				fail_msg("glyph U+%04x pixel (%d, %d): 0x%06x, expected 0x%06x", cp,
					 i, j, got, want);
		}
	}
}

/* --- pixels and colours --- */

static void test_pack_both_orders(void **state)
{
	struct guarded rgbx, bgrx;
	uint8_t bytes[4];

	guarded_init(&rgbx, 4, 2, 1, GFX_FORMAT_RGBX);
	guarded_init(&bgrx, 4, 2, 1, GFX_FORMAT_BGRX);
	gfx_put_pixel(&rgbx.s, 1, 1, 0x123456);
	gfx_put_pixel(&bgrx.s, 1, 1, 0x123456);
	memcpy(bytes, &rgbx.s.pixels[rgbx.s.stride + 1], 4);
	assert_int_equal(bytes[0], 0x12); /* byte 0 red */
	assert_int_equal(bytes[1], 0x34);
	assert_int_equal(bytes[2], 0x56);
	assert_int_equal(bytes[3], 0);
	memcpy(bytes, &bgrx.s.pixels[bgrx.s.stride + 1], 4);
	assert_int_equal(bytes[0], 0x56); /* byte 0 blue */
	assert_int_equal(bytes[1], 0x34);
	assert_int_equal(bytes[2], 0x12);
	assert_int_equal(bytes[3], 0);
	assert_int_equal(gfx_get_pixel(&rgbx.s, 1, 1), 0x123456);
	assert_int_equal(gfx_get_pixel(&bgrx.s, 1, 1), 0x123456);
	assert_int_equal(gfx_get_pixel(&rgbx.s, -1, 1), 0);
	assert_int_equal(gfx_get_pixel(&rgbx.s, 4, 0), 0);
	/* The colour's top byte is ignored. */
	assert_int_equal(gfx_pack(&rgbx.s, 0xff0000ff), gfx_pack(&rgbx.s, 0x0000ff));
	for (uint32_t c = 0; c < 0x1000000; c += 0x010203)
		assert_int_equal(gfx_unpack(&bgrx.s, gfx_pack(&bgrx.s, c)), c);
	gfx_put_pixel(&rgbx.s, 4, 0, 0xffffff); /* off the right edge: the padding */
	gfx_put_pixel(&rgbx.s, 0, -1, 0xffffff);
	gfx_put_pixel(&rgbx.s, 0, 2, 0xffffff);
	assert_guard(&rgbx);
	assert_guard(&bgrx);
	guarded_free(&rgbx);
	guarded_free(&bgrx);
}

static void test_surface_valid(void **state)
{
	uint32_t px[4];
	struct gfx_surface s = {px, 2, 2, 2, GFX_FORMAT_BGRX};

	assert_true(gfx_surface_valid(&s));
	s.stride = 1;
	assert_false(gfx_surface_valid(&s));
	s.stride = 2, s.format = 3;
	assert_false(gfx_surface_valid(&s));
	s.format = GFX_FORMAT_RGBX, s.width = 0;
	assert_false(gfx_surface_valid(&s));
	s.width = 2, s.pixels = NULL;
	assert_false(gfx_surface_valid(&s));
}

static void test_mix(void **state)
{
	assert_int_equal(gfx_mix(0x102030, 0xf0e0d0, 0, 7), 0x102030);
	assert_int_equal(gfx_mix(0x102030, 0xf0e0d0, 7, 7), 0xf0e0d0);
	assert_int_equal(gfx_mix(0x000000, 0xff00ff, 1, 2), 0x800080); /* 127.5 rounds up */
	assert_int_equal(gfx_mix(0xffffff, 0x000000, 1, 3), 0xaaaaaa);
}

/* --- rectangles --- */

static int64_t overlap(int64_t a, int64_t len, int64_t limit)
{
	int64_t lo = a < 0 ? 0 : a, hi = a + len > limit ? limit : a + len;

	return hi > lo ? hi - lo : 0;
}

static void test_rect_clipping_every_edge(void **state)
{
	static const int32_t rects[][4] = {
	    {2, 3, 5, 4},
	    {-5, -5, 10, 10},
	    {15, 5, 10, 10},
	    {5, -20, 3, 25},
	    {5, 8, 3, 100},
	    {-100, -100, 1000, 1000},
	    {19, 9, 1, 1},
	    {20, 0, 5, 5},
	    {0, 10, 5, 5},
	    {-5, 0, 5, 5},
	    {0, -5, 5, 5},
	    {0, 0, 0, 5},
	    {0, 0, 5, -3},
	    {INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX},
	    {INT32_MAX, 0, INT32_MAX, 5},
	    {-3, INT32_MIN, 7, INT32_MAX},
	    {INT32_MIN, 2, INT32_MAX, 3},
	};
	uint32_t formats[] = {GFX_FORMAT_RGBX, GFX_FORMAT_BGRX};

	for (size_t f = 0; f < 2; f++) {
		struct guarded g;
		guarded_init(&g, 20, 10, 3, formats[f]);
		for (size_t i = 0; i < sizeof(rects) / sizeof(rects[0]); i++) {
			const int32_t *r = rects[i];
			gfx_clear(&g.s, 0);
			gfx_fill_rect(&g.s, r[0], r[1], r[2], r[3], 0x336699);
			uint64_t want =
			    (uint64_t)(overlap(r[0], r[2], 20) * overlap(r[1], r[3], 10));
			if (r[2] <= 0 || r[3] <= 0)
				want = 0;
			if (count_colour(&g.s, 0x336699) != want)
				fail_msg("rect %zu: %llu pixels, expected %llu", i,
					 (unsigned long long)count_colour(&g.s, 0x336699),
					 (unsigned long long)want);
			assert_guard(&g);
			/* The outline of the same rectangle, on the same terms. */
			gfx_rect(&g.s, r[0], r[1], r[2], r[3], 2, 0xffffff);
			gfx_rect(&g.s, r[0], r[1], r[2], r[3], 1000, 0x808080);
			assert_guard(&g);
		}
		gfx_clear(&g.s, 0);
		gfx_rect(&g.s, 2, 2, 10, 6, 1, 0xffffff);
		assert_int_equal(count_colour(&g.s, 0xffffff), 2 * 10 + 2 * 4);
		assert_int_equal(gfx_get_pixel(&g.s, 2, 2), 0xffffff);
		assert_int_equal(gfx_get_pixel(&g.s, 11, 7), 0xffffff);
		assert_int_equal(gfx_get_pixel(&g.s, 3, 3), 0);
		gfx_clear(&g.s, 0);
		gfx_rect(&g.s, 2, 2, 10, 6, 2, 0xffffff);
		assert_int_equal(count_colour(&g.s, 0xffffff), 10 * 6 - 6 * 2);
		gfx_clear(&g.s, 0);
		gfx_rect(&g.s, 2, 2, 10, 6, 3, 0xffffff); /* meets in the middle: all filled */
		assert_int_equal(count_colour(&g.s, 0xffffff), 60);
		guarded_free(&g);
	}
}

/* --- lines and circles: clipped equals the window of the unclipped --- */

#define BIG     320
#define WIN_X   130
#define WIN_Y   140
#define SMALL_W 60
#define SMALL_H 40

struct window_pair {
	struct guarded small;
	uint32_t *big;
	struct gfx_surface big_s;
};

static void pair_init(struct window_pair *p)
{
	guarded_init(&p->small, SMALL_W, SMALL_H, 4, GFX_FORMAT_BGRX);
	p->big = calloc((size_t)BIG * BIG, sizeof(uint32_t));
	assert_non_null(p->big);
	p->big_s = (struct gfx_surface){p->big, BIG, BIG, BIG, GFX_FORMAT_BGRX};
}

static void pair_clear(struct window_pair *p)
{
	gfx_clear(&p->small.s, 0);
	gfx_clear(&p->big_s, 0);
}

static void pair_check(const struct window_pair *p, const char *what, size_t i)
{
	assert_guard(&p->small);
	for (int32_t y = 0; y < SMALL_H; y++)
		for (int32_t x = 0; x < SMALL_W; x++)
			if (gfx_get_pixel(&p->small.s, x, y) !=
			    gfx_get_pixel(&p->big_s, x + WIN_X, y + WIN_Y))
				fail_msg("%s %zu: pixel (%d, %d) differs from the unclipped shape",
					 what, i, x, y);
}

static void pair_free(struct window_pair *p)
{
	guarded_free(&p->small);
	free(p->big);
}

static void test_line_clipping(void **state)
{
	struct window_pair p;
	uint64_t rng = 1;

	pair_init(&p);
	for (size_t i = 0; i < 3000; i++) {
		int32_t x0 = rng_range(&rng, -WIN_X, BIG - 1 - WIN_X);
		int32_t y0 = rng_range(&rng, -WIN_Y, BIG - 1 - WIN_Y);
		int32_t x1 = rng_range(&rng, -WIN_X, BIG - 1 - WIN_X);
		int32_t y1 = rng_range(&rng, -WIN_Y, BIG - 1 - WIN_Y);
		if (i % 10 == 0) /* horizontal and vertical ones too */
			y1 = y0;
		else if (i % 10 == 1)
			x1 = x0;
		pair_clear(&p);
		gfx_line(&p.small.s, x0, y0, x1, y1, 0xffffff);
		gfx_line(&p.big_s, x0 + WIN_X, y0 + WIN_Y, x1 + WIN_X, y1 + WIN_Y, 0xffffff);
		pair_check(&p, "line", i);
		/* Unclipped, a line has one pixel per step of its longer axis, both ends included. */
		uint64_t dx = (uint64_t)llabs((long long)x1 - x0),
			 dy = (uint64_t)llabs((long long)y1 - y0);
		assert_int_equal(count_colour(&p.big_s, 0xffffff), (dx > dy ? dx : dy) + 1);
		assert_int_equal(gfx_get_pixel(&p.big_s, x0 + WIN_X, y0 + WIN_Y), 0xffffff);
		assert_int_equal(gfx_get_pixel(&p.big_s, x1 + WIN_X, y1 + WIN_Y), 0xffffff);
	}
	/* The extremes: a diagonal of slope 1 through (0, 0), and lines wholly outside. */
	pair_clear(&p);
	gfx_line(&p.small.s, INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX, 0xffffff);
	assert_int_equal(count_colour(&p.small.s, 0xffffff), SMALL_H);
	for (int32_t i = 0; i < SMALL_H; i++)
		assert_int_equal(gfx_get_pixel(&p.small.s, i, i), 0xffffff);
	gfx_line(&p.small.s, INT32_MAX, INT32_MIN, INT32_MIN, INT32_MAX, 0x00ff00);
	gfx_line(&p.small.s, -10, -1, 100, -1, 0xff0000);
	gfx_line(&p.small.s, SMALL_W, -50, SMALL_W, 100, 0xff0000);
	gfx_line(&p.small.s, 5, 5, 5, 5, 0x0000ff);
	assert_int_equal(count_colour(&p.small.s, 0xff0000), 0);
	assert_int_equal(count_colour(&p.small.s, 0x0000ff), 1);
	assert_guard(&p.small);
	pair_free(&p);
}

static bool in_disc(int32_t dx, int32_t dy, int32_t r)
{
	return (int64_t)dx * dx + (int64_t)dy * dy <= (int64_t)r * r;
}

static void test_circles(void **state)
{
	struct guarded g;

	guarded_init(&g, 64, 64, 2, GFX_FORMAT_RGBX);
	for (int32_t r = 0; r <= 30; r++) {
		gfx_clear(&g.s, 0);
		gfx_fill_circle(&g.s, 32, 32, r, 0xff0000);
		gfx_circle(&g.s, 32, 32, r, 0xffffff);
		for (int32_t dy = -32; dy < 32; dy++) {
			for (int32_t dx = -32; dx < 32; dx++) {
				uint32_t c = gfx_get_pixel(&g.s, 32 + dx, 32 + dy);
				bool inside = in_disc(dx, dy, r);
				bool edge =
				    inside && (!in_disc(dx + 1, dy, r) || !in_disc(dx - 1, dy, r) ||
					       !in_disc(dx, dy + 1, r) || !in_disc(dx, dy - 1, r));
				if (!inside && c != 0)
					fail_msg("r %d: (%d, %d) outside the disc is drawn", r, dx,
						 dy);
				if (edge && c != 0xffffff)
					fail_msg("r %d: edge pixel (%d, %d) not on the outline", r,
						 dx, dy);
				if (inside && c == 0)
					fail_msg("r %d: (%d, %d) inside the disc is not drawn", r,
						 dx, dy);
			}
		}
		/* Symmetric in both axes. */
		for (int32_t dy = -31; dy < 32; dy++)
			for (int32_t dx = -31; dx < 32; dx++)
				assert_int_equal(gfx_get_pixel(&g.s, 32 + dx, 32 + dy),
						 gfx_get_pixel(&g.s, 32 - dx, 32 - dy));
	}
	gfx_clear(&g.s, 0);
	gfx_circle(&g.s, 10, 10, -1, 0xffffff);
	gfx_fill_circle(&g.s, 10, 10, -1, 0xffffff);
	assert_int_equal(count_colour(&g.s, 0xffffff), 0);
	gfx_fill_circle(&g.s, 10, 10, 0, 0xffffff);
	assert_int_equal(count_colour(&g.s, 0xffffff), 1);
	/* Huge and far away: clipped, and quick. */
	gfx_fill_circle(&g.s, INT32_MIN, INT32_MAX, INT32_MAX, 0xffffff);
	gfx_circle(&g.s, 32, 32, INT32_MAX, 0xffffff);
	gfx_fill_circle(&g.s, 32, INT32_MIN, 100, 0xffffff);
	assert_guard(&g);
	guarded_free(&g);

	struct window_pair p;
	uint64_t rng = 7;
	pair_init(&p);
	for (size_t i = 0; i < 300; i++) {
		int32_t r = rng_range(&rng, 0, 60);
		int32_t cx = rng_range(&rng, r - WIN_X, BIG - 1 - r - WIN_X);
		int32_t cy = rng_range(&rng, r - WIN_Y, BIG - 1 - r - WIN_Y);
		pair_clear(&p);
		gfx_fill_circle(&p.small.s, cx, cy, r, 0x00ff00);
		gfx_circle(&p.small.s, cx, cy, r + 1, 0xffffff);
		gfx_fill_circle(&p.big_s, cx + WIN_X, cy + WIN_Y, r, 0x00ff00);
		gfx_circle(&p.big_s, cx + WIN_X, cy + WIN_Y, r + 1, 0xffffff);
		pair_check(&p, "circle", i);
	}
	pair_free(&p);
}

/* --- gradients --- */

static void test_gradients(void **state)
{
	struct guarded g, whole;

	guarded_init(&g, 30, 12, 5, GFX_FORMAT_BGRX);
	guarded_init(&whole, 200, 200, 0, GFX_FORMAT_BGRX);
	gfx_gradient_h(&g.s, 0, 0, 30, 12, 0x000000, 0xff8040);
	assert_int_equal(gfx_get_pixel(&g.s, 0, 5), 0x000000);
	assert_int_equal(gfx_get_pixel(&g.s, 29, 11), 0xff8040);
	for (int32_t x = 1; x < 30; x++) {
		uint32_t a = gfx_get_pixel(&g.s, x - 1, 0), b = gfx_get_pixel(&g.s, x, 0);
		assert_true((a >> 16) <= (b >> 16) && (a & 0xff) <= (b & 0xff));
		assert_int_equal(gfx_get_pixel(&g.s, x, 0), gfx_get_pixel(&g.s, x, 11));
	}
	gfx_gradient_v(&g.s, 0, 0, 30, 12, 0xffffff, 0x000000);
	assert_int_equal(gfx_get_pixel(&g.s, 7, 0), 0xffffff);
	assert_int_equal(gfx_get_pixel(&g.s, 7, 11), 0x000000);
	/* Clipped: the colours are those of the whole rectangle, seen through the surface. */
	gfx_gradient_h(&g.s, -50, -3, 100, 20, 0x0000ff, 0xff0000);
	gfx_gradient_h(&whole.s, 0, 0, 100, 20, 0x0000ff, 0xff0000);
	for (int32_t x = 0; x < 30; x++)
		assert_int_equal(gfx_get_pixel(&g.s, x, 0), gfx_get_pixel(&whole.s, x + 50, 3));
	gfx_gradient_v(&g.s, 10, -40, 7, 100, 0x00ff00, 0x0000ff);
	gfx_gradient_v(&whole.s, 10, 0, 7, 100, 0x00ff00, 0x0000ff);
	for (int32_t y = 0; y < 12; y++)
		assert_int_equal(gfx_get_pixel(&g.s, 12, y), gfx_get_pixel(&whole.s, 12, y + 40));
	/* One pixel wide or high: the first colour. Off the surface: nothing. */
	gfx_gradient_h(&g.s, 3, 3, 1, 1, 0x123456, 0xffffff);
	assert_int_equal(gfx_get_pixel(&g.s, 3, 3), 0x123456);
	gfx_gradient_v(&g.s, 4, 4, 1, 1, 0x654321, 0xffffff);
	assert_int_equal(gfx_get_pixel(&g.s, 4, 4), 0x654321);
	gfx_gradient_h(&g.s, 30, 0, 10, 10, 0xffffff, 0xffffff);
	gfx_gradient_v(&g.s, 0, 12, 10, 10, 0xffffff, 0xffffff);
	gfx_gradient_h(&g.s, INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX, 0, 0xffffff);
	assert_guard(&g);
	guarded_free(&g);
	guarded_free(&whole);
}

/* --- blit --- */

static uint32_t pattern(int32_t x, int32_t y)
{
	return (uint32_t)(x * 0x0a0000 + y * 0x000b00 + ((x ^ y) & 0xff)) & 0xffffff;
}

static void test_blit(void **state)
{
	struct guarded src, dst;

	guarded_init(&src, 8, 6, 2, GFX_FORMAT_RGBX);
	for (int32_t y = 0; y < 6; y++)
		for (int32_t x = 0; x < 8; x++)
			gfx_put_pixel(&src.s, x, y, pattern(x, y));
	for (uint32_t format = GFX_FORMAT_RGBX; format <= GFX_FORMAT_BGRX; format++) {
		guarded_init(&dst, 12, 9, 3, format);
		static const int32_t cases[][6] = {
		    /* dx, dy, sx, sy, w, h */
		    {2, 1, 0, 0, 8, 6},         {-3, -2, 0, 0, 8, 6},
		    {9, 7, 0, 0, 8, 6},         {0, 0, -2, -1, 8, 6},
		    {4, 3, 3, 2, 100, 100},     {0, 0, 7, 5, 1, 1},
		    {12, 0, 0, 0, 8, 6},        {0, 0, 8, 0, 8, 6},
		    {0, 0, 0, 0, 0, 6},         {INT32_MIN, INT32_MIN, 0, 0, INT32_MAX, INT32_MAX},
		    {5, 5, INT32_MIN, 0, 8, 6},
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const int32_t *c = cases[i];
			gfx_clear(&dst.s, 0x010101);
			gfx_blit(&dst.s, c[0], c[1], &src.s, c[2], c[3], c[4], c[5]);
			assert_guard(&dst);
			for (int32_t y = 0; y < 9; y++) {
				for (int32_t x = 0; x < 12; x++) {
					/* the source pixel that lands here, if any */
					int64_t u = (int64_t)x - c[0] + c[2],
						v = (int64_t)y - c[1] + c[3];
					bool in = u >= c[2] && u < (int64_t)c[2] + c[4] &&
						  v >= c[3] && v < (int64_t)c[3] + c[5] && u >= 0 &&
						  u < 8 && v >= 0 && v < 6;
					uint32_t want =
					    in ? pattern((int32_t)u, (int32_t)v) : 0x010101;
					if (gfx_get_pixel(&dst.s, x, y) != want)
						fail_msg(
						    "blit %zu to format %u: (%d, %d) is 0x%06x, "
						    "expected 0x%06x",
						    i, format, x, y, gfx_get_pixel(&dst.s, x, y),
						    want);
				}
			}
		}
		guarded_free(&dst);
	}
	/* gfx_copy: the one-block path (no padding, same geometry) and the row path. */
	uint32_t a[8 * 6], b[8 * 6];
	struct gfx_surface sa = {a, 8, 6, 8, GFX_FORMAT_RGBX}, sb = {b, 8, 6, 8, GFX_FORMAT_RGBX};
	gfx_copy(&sa, &src.s);
	gfx_copy(&sb, &sa);
	gfx_copy(&sb, &sb); /* onto itself: nothing changes */
	guarded_init(&dst, 5, 4, 1, GFX_FORMAT_BGRX);
	gfx_copy(&dst.s, &sb);
	assert_guard(&dst);
	for (int32_t y = 0; y < 6; y++)
		for (int32_t x = 0; x < 8; x++) {
			assert_int_equal(gfx_get_pixel(&sb, x, y), pattern(x, y));
			if (x < 5 && y < 4)
				assert_int_equal(gfx_get_pixel(&dst.s, x, y), pattern(x, y));
		}
	guarded_free(&dst);
	guarded_free(&src);
}

/* --- text --- */

static void test_text_matches_font(void **state)
{
	struct psf_font font;
	struct guarded g;

	test_font(&font);
	guarded_init(&g, 64, 40, 3, GFX_FORMAT_RGBX);
	gfx_clear(&g.s, 0x202020);
	int32_t end = gfx_text(&g.s, &font, 3, 2, 1, "AB", 0xffffff, 0x000080);
	assert_int_equal(end, 3 + 2 * TF_WIDTH);
	assert_glyph(&g.s, &font, 3, 2, 1, 'A', 0xffffff, 0x000080);
	assert_glyph(&g.s, &font, 13, 2, 1, 'B', 0xffffff, 0x000080);
	assert_int_equal(gfx_get_pixel(&g.s, 23, 2), 0x202020); /* nothing past the text */
	/* Scaled, on a transparent background: unset pixels keep what was there. */
	gfx_clear(&g.s, 0x202020);
	gfx_text(&g.s, &font, 1, 1, 3, "C", 0xff0000, GFX_TRANSPARENT);
	assert_glyph(&g.s, &font, 1, 1, 3, 'C', 0xff0000, 0x202020);
	/* A new line starts at x, one cell lower; the width is the longest line's. */
	gfx_clear(&g.s, 0);
	end = gfx_text(&g.s, &font, 5, 0, 1, "DE\nF", 0x00ff00, 0x000000);
	assert_int_equal(end, 5 + TF_WIDTH);
	assert_glyph(&g.s, &font, 5, (int32_t)TF_HEIGHT, 1, 'F', 0x00ff00, 0);
	assert_int_equal(gfx_text_width(&font, 1, "DE\nF"), 2 * TF_WIDTH);
	assert_int_equal(gfx_text_width(&font, 2, "x\nabc"), 6 * TF_WIDTH);
	assert_int_equal(gfx_text_width(&font, 1, ""), 0);
	/* A code point the font lacks and malformed UTF-8 draw the fallback glyph ('?'). */
	gfx_text(&g.s, &font, 0, 20, 1, "\xc3\xa9\xff", 0xffffff, 0);
	assert_glyph(&g.s, &font, 0, 20, 1, '?', 0xffffff, 0);
	assert_glyph(&g.s, &font, (int32_t)TF_WIDTH, 20, 1, '?', 0xffffff, 0);
	assert_guard(&g);
	guarded_free(&g);
}

static void test_text_clipping(void **state)
{
	struct psf_font font;
	struct guarded g;
	static const int32_t at[][2] = {{-15, -3},          {-5, 10},      {58, 37}, {30, -5},
					{-100, -100},       {60, 0},       {0, 39},  {INT32_MIN, 0},
					{INT32_MAX - 5, 3}, {3, INT32_MAX}};

	test_font(&font);
	guarded_init(&g, 64, 40, 3, GFX_FORMAT_BGRX);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		gfx_clear(&g.s, 0);
		gfx_text(&g.s, &font, at[i][0], at[i][1], 2, "Qz", 0xffff00, 0x0000ff);
		assert_guard(&g);
		if (at[i][0] > -100 && at[i][0] < 100 && at[i][1] > -100 && at[i][1] < 100) {
			assert_glyph(&g.s, &font, at[i][0], at[i][1], 2, 'Q', 0xffff00, 0x0000ff);
			assert_glyph(&g.s, &font, at[i][0] + 2 * (int32_t)TF_WIDTH, at[i][1], 2,
				     'z', 0xffff00, 0x0000ff);
		}
	}
	guarded_free(&g);
}

static void test_utf8(void **state)
{
	static const struct {
		const char *text;
		uint32_t cp;
		size_t len;
	} cases[] = {
	    {"A", 'A', 1},
	    {"\xc3\xa9", 0xe9, 2},
	    {"\xe2\x82\xac", 0x20ac, 3},
	    {"\xf0\x9f\x98\x80", 0x1f600, 4},
	    {"\xc3", 0xfffd, 1},             /* cut short by the NUL */
	    {"\xc0\x80", 0xfffd, 1},         /* overlong */
	    {"\xed\xa0\x80", 0xfffd, 1},     /* a surrogate */
	    {"\xf4\x90\x80\x80", 0xfffd, 1}, /* past U+10FFFF */
	    {"\x80", 0xfffd, 1},
	    {"\xff", 0xfffd, 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *p = cases[i].text;
		assert_int_equal(gfx_utf8_next(&p), cases[i].cp);
		assert_int_equal((size_t)(p - cases[i].text), cases[i].len);
	}
}

static void test_text_with_console_font(void **state)
{
	struct psf_font font;
	struct guarded g;

	real_font(&font);
	guarded_init(&g, 100, 60, 7, GFX_FORMAT_BGRX);
	gfx_text(&g.s, &font, 4, 5, 1, "A\xc3\x97", 0xffffff, 0x000000);
	assert_glyph(&g.s, &font, 4, 5, 1, 'A', 0xffffff, 0);
	assert_glyph(&g.s, &font, 4 + (int32_t)font.width, 5, 1, 0xd7, 0xffffff, 0);
	/* 'A' is not blank, and differs from the fallback. */
	assert_true(count_colour(&g.s, 0xffffff) > 20);
	assert_ptr_not_equal(psf_glyph(&font, 'A'), psf_glyph(&font, 0x10ffff));
	gfx_clear(&g.s, 0);
	gfx_text(&g.s, &font, 50, 30, 2, "Wy", 0x00ff00, GFX_TRANSPARENT);
	assert_glyph(&g.s, &font, 50, 30, 2, 'W', 0x00ff00, 0);
	assert_guard(&g);
	guarded_free(&g);
}

/* --- the scene --- */

static void test_scene_stays_inside_and_is_deterministic(void **state)
{
	static const uint32_t sizes[][2] = {{640, 480}, {800, 600}, {1024, 768}, {1280, 1024},
					    {1, 1},     {7, 3},     {100, 50},   {3000, 40}};
	struct psf_font font;

	real_font(&font);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct guarded a, b;
		guarded_init(&a, sizes[i][0], sizes[i][1], 3, GFX_FORMAT_BGRX);
		guarded_init(&b, sizes[i][0], sizes[i][1], 0, GFX_FORMAT_RGBX);
		gfx_draw_scene(&a.s, &font);
		gfx_draw_scene(&b.s, &font);
		assert_guard(&a);
		assert_guard(&b);
		/* The same colours in either order, whatever the stride. */
		for (int32_t y = 0; y < (int32_t)sizes[i][1]; y++)
			for (int32_t x = 0; x < (int32_t)sizes[i][0]; x++)
				if (gfx_get_pixel(&a.s, x, y) != gfx_get_pixel(&b.s, x, y))
					fail_msg("%ux%u: (%d, %d) differs between the orders",
						 sizes[i][0], sizes[i][1], x, y);
		/* Drawn twice, the same picture. */
		gfx_draw_scene(&a.s, &font);
		for (int32_t y = 0; y < (int32_t)sizes[i][1]; y++)
			for (int32_t x = 0; x < (int32_t)sizes[i][0]; x++)
				assert_int_equal(gfx_get_pixel(&a.s, x, y),
						 gfx_get_pixel(&b.s, x, y));
		if (sizes[i][0] >= 640 && sizes[i][1] >= 480) {
			/* The corners: red, green, blue and white squares, a white border. */
			uint32_t w = sizes[i][0], h = sizes[i][1], u = (h < w ? h : w) / 64 + 2;
			assert_int_equal(gfx_get_pixel(&a.s, (int32_t)u, (int32_t)u), 0xff0000);
			assert_int_equal(gfx_get_pixel(&a.s, (int32_t)(w - u), (int32_t)u),
					 0x00ff00);
			assert_int_equal(gfx_get_pixel(&a.s, (int32_t)u, (int32_t)(h - u)),
					 0x0000ff);
			assert_int_equal(gfx_get_pixel(&a.s, (int32_t)(w - u), (int32_t)(h - u)),
					 0xffffff);
			assert_int_equal(gfx_get_pixel(&a.s, (int32_t)w / 2, 0), 0xffffff);
		}
		for (uint32_t frame = 0; frame < 3000; frame += 997) {
			gfx_draw_frame(&a.s, &font, frame);
			assert_guard(&a);
		}
		gfx_draw_frame(&a.s, &font, UINT32_MAX);
		assert_guard(&a);
		guarded_free(&a);
		guarded_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pack_both_orders),
	    cmocka_unit_test(test_surface_valid),
	    cmocka_unit_test(test_mix),
	    cmocka_unit_test(test_rect_clipping_every_edge),
	    cmocka_unit_test(test_line_clipping),
	    cmocka_unit_test(test_circles),
	    cmocka_unit_test(test_gradients),
	    cmocka_unit_test(test_blit),
	    cmocka_unit_test(test_text_matches_font),
	    cmocka_unit_test(test_text_clipping),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_text_with_console_font),
	    cmocka_unit_test(test_scene_stays_inside_and_is_deterministic),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	free(g_real_font);
	return failed;
}
