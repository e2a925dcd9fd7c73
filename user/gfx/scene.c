/*
 * The test scene and the animation; see scene.h. Every position is computed from the surface's
 * size and the font's cell in integers, so the guest and the host agree on every pixel.
 *
 * The scene, top to bottom: corner squares (the two at the top with an arrow below the left one
 * and a checkerboard below the right one), the title and the resolution, four colour ramps, four
 * columns of shapes, three lines of font sample, the two bottom corner squares.
 */
#include "scene.h"

#include <stddef.h>

#define WHITE 0xffffffu

/* What every part of the layout is measured in. */
struct layout {
	int32_t w, h;   /* the surface */
	int32_t u;      /* the unit: 1/64 of the shorter side, at least 4 pixels */
	int32_t m;      /* the margin: two units */
	int32_t c;      /* a corner square's side: three units */
	int32_t fw, fh; /* the font's cell */
};

static int32_t max32(int32_t a, int32_t b)
{
	return a > b ? a : b;
}

static int32_t min32(int32_t a, int32_t b)
{
	return a < b ? a : b;
}

static struct layout layout_of(const struct gfx_surface *s, const struct psf_font *font)
{
	struct layout l = {.w = (int32_t)s->width, .h = (int32_t)s->height};

	l.u = max32(min32(l.w, l.h) / 64, 4);
	l.m = 2 * l.u;
	l.c = 3 * l.u;
	l.fw = (int32_t)font->width;
	l.fh = (int32_t)font->height;
	return l;
}

/* Appends TEXT at OUT; returns the new end (no NUL written). */
static char *put_str(char *out, const char *text)
{
	while (*text != '\0')
		*out++ = *text++;
	return out;
}

/* Appends N in decimal at OUT; returns the new end (no NUL written). */
static char *put_uint(char *out, uint32_t n)
{
	char digits[10];
	int count = 0;

	do {
		digits[count++] = (char)('0' + n % 10);
		n /= 10;
	} while (n != 0);
	while (count > 0)
		*out++ = digits[--count];
	return out;
}

/* TEXT centred on column CX. */
static void text_centred(const struct gfx_surface *s, const struct psf_font *font, int32_t cx,
			 int32_t y, int32_t scale, const char *text, uint32_t fg)
{
	int32_t x = cx - gfx_text_width(font, scale, text) / 2;

	gfx_text(s, font, x, y, scale, text, fg, GFX_TRANSPARENT);
}

/* The corner squares with their names, and an arrow pointing up below the top left one. */
static void draw_corners(const struct gfx_surface *s, const struct psf_font *font,
			 const struct layout *l)
{
	static const struct {
		uint32_t rgb;
		const char *name;
		bool right, bottom;
	} corners[] = {
	    {0xff0000, "top left: red", false, false},
	    {0x00ff00, "top right: green", true, false},
	    {0x0000ff, "bottom left: blue", false, true},
	    {WHITE, "bottom right: white", true, true},
	};
	int32_t inset = l->u, gap = l->u / 2;

	for (size_t i = 0; i < sizeof(corners) / sizeof(corners[0]); i++) {
		int32_t x = corners[i].right ? l->w - inset - l->c : inset;
		int32_t y = corners[i].bottom ? l->h - inset - l->c : inset;
		int32_t tw = gfx_text_width(font, 1, corners[i].name);
		int32_t tx = corners[i].right ? x - gap - tw : x + l->c + gap;
		gfx_fill_rect(s, x, y, l->c, l->c, corners[i].rgb);
		gfx_rect(s, x, y, l->c, l->c, 1, corners[i].rgb == WHITE ? 0x808080 : WHITE);
		gfx_text(s, font, tx, y + (l->c - l->fh) / 2, 1, corners[i].name, WHITE,
			 GFX_TRANSPARENT);
	}
	/* The arrow: a shaft three pixels wide and a head of two lines, then its label. */
	int32_t ax = inset + l->c / 2, top = inset + l->c + l->u, len = 5 * l->u;
	gfx_fill_rect(s, ax - 1, top, 3, len, 0xffff00);
	for (int32_t d = -1; d <= 1; d++) {
		gfx_line(s, ax + d, top, ax + d - l->u, top + l->u, 0xffff00);
		gfx_line(s, ax + d, top, ax + d + l->u, top + l->u, 0xffff00);
	}
	gfx_text(s, font, ax + l->u + 2, top + len / 2 - l->fh / 2, 1, "up", 0xffff00,
		 GFX_TRANSPARENT);
}

/* The title and the resolution, centred; returns the y below them. */
static int32_t draw_title(const struct gfx_surface *s, const struct psf_font *font,
			  const struct layout *l)
{
	char line[64], *end = line;
	int32_t y = l->m;

	text_centred(s, font, l->w / 2, y, 3, "Quire", WHITE);
	y += 3 * l->fh + l->u / 2;
	end = put_str(end, "framebuffer test scene, ");
	end = put_uint(end, s->width);
	end = put_str(end, " \xc3\x97 "); /* U+00D7, the multiplication sign */
	end = put_uint(end, s->height);
	*end = '\0';
	text_centred(s, font, l->w / 2, y, 1, line, 0xc0d0ff);
	return y + l->fh + l->u;
}

/* A one-pixel checkerboard in a grey frame below the top right square (any shift shows). */
static void draw_checker(const struct gfx_surface *s, const struct layout *l)
{
	int32_t side = 3 * l->fh, x = l->w - l->u - side, y = 2 * l->u + l->c;

	gfx_fill_rect(s, x - 1, y - 1, side + 2, side + 2, 0x808080);
	for (int32_t j = 0; j < side; j++)
		for (int32_t i = 0; i < side; i++)
			gfx_put_pixel(s, x + i, y + j, (i + j) % 2 == 0 ? WHITE : 0);
}

/* Red, green, blue and grey ramps from black, labelled; returns the y below them. */
static int32_t draw_ramps(const struct gfx_surface *s, const struct psf_font *font,
			  const struct layout *l, int32_t y)
{
	static const struct {
		uint32_t rgb;
		const char *label;
	} ramps[] = {{0xff0000, "R"}, {0x00ff00, "G"}, {0x0000ff, "B"}, {WHITE, "W"}};
	int32_t x0 = l->w / 8, x1 = l->w * 7 / 8;
	int32_t bar = max32(l->h / 40, 6), gap = max32(l->u / 3, 2);

	for (size_t i = 0; i < sizeof(ramps) / sizeof(ramps[0]); i++) {
		gfx_text(s, font, x0, y + (bar - l->fh) / 2, 1, ramps[i].label, ramps[i].rgb,
			 GFX_TRANSPARENT);
		gfx_gradient_h(s, x0 + 2 * l->fw, y, x1 - x0 - 2 * l->fw, bar, 0, ramps[i].rgb);
		y += bar + gap;
	}
	return y + l->u;
}

/* Red, green and blue discs overlapping, each ringed in white. */
static void draw_discs(const struct gfx_surface *s, int32_t cx, int32_t cy, int32_t r)
{
	int32_t rd = r * 11 / 20;
	const struct {
		int32_t x, y;
		uint32_t rgb;
	} discs[] = {
	    {cx, cy - r * 7 / 20, 0xff0000},
	    {cx - r * 3 / 10, cy + r / 5, 0x00ff00},
	    {cx + r * 3 / 10, cy + r / 5, 0x0000ff},
	};

	for (size_t i = 0; i < sizeof(discs) / sizeof(discs[0]); i++) {
		gfx_fill_circle(s, discs[i].x, discs[i].y, rd, discs[i].rgb);
		gfx_circle(s, discs[i].x, discs[i].y, rd, WHITE);
	}
}

/* Six concentric outlined circles around a filled one. */
static void draw_rings(const struct gfx_surface *s, int32_t cx, int32_t cy, int32_t r)
{
	static const uint32_t colours[] = {WHITE, 0xffff00, 0x00ffff, 0xff00ff, 0xff8000, 0x80ff80};

	for (int32_t k = 0; k < 6; k++)
		gfx_circle(s, cx, cy, r - k * r / 7, colours[k]);
	gfx_fill_circle(s, cx, cy, r / 7, 0xff4040);
}

/* A filled square, outlines one, two and three pixels thick inside it, a filled centre. */
static void draw_boxes(const struct gfx_surface *s, int32_t cx, int32_t cy, int32_t r)
{
	int32_t step = max32(r / 5, 3);

	gfx_fill_rect(s, cx - r, cy - r, 2 * r, 2 * r, 0x604010);
	gfx_rect(s, cx - r, cy - r, 2 * r, 2 * r, 1, WHITE);
	gfx_rect(s, cx - r + step, cy - r + step, 2 * (r - step), 2 * (r - step), 2, 0x00ffff);
	gfx_rect(s, cx - r + 2 * step, cy - r + 2 * step, 2 * (r - 2 * step), 2 * (r - 2 * step), 3,
		 0xff00ff);
	gfx_fill_rect(s, cx - step, cy - step, 2 * step, 2 * step, 0xffa000);
}

/* 32 lines from the centre to evenly spaced points round a square, yellow turning to cyan. */
static void draw_fan(const struct gfx_surface *s, int32_t cx, int32_t cy, int32_t r)
{
	for (int32_t i = 0; i < 32; i++) {
		int32_t pos = (i % 8) * 2 * r / 8 - r, dx, dy;
		switch (i / 8) {
		case 0:
			dx = pos, dy = -r;
			break;
		case 1:
			dx = r, dy = pos;
			break;
		case 2:
			dx = -pos, dy = r;
			break;
		default:
			dx = -r, dy = -pos;
			break;
		}
		gfx_line(s, cx, cy, cx + dx, cy + dy, gfx_mix(0xffff00, 0x00ffff, (uint32_t)i, 31));
	}
}

/* The four columns of shapes between Y0 and Y1. */
static void draw_shapes(const struct gfx_surface *s, const struct layout *l, int32_t y0, int32_t y1)
{
	int32_t x0 = l->w / 16, cw = (l->w - 2 * x0) / 4;
	int32_t r = min32(cw, y1 - y0) / 2 - l->u / 2;
	int32_t cy = (y0 + y1) / 2;

	if (r < 4)
		return;
	draw_discs(s, x0 + cw / 2, cy, r);
	draw_rings(s, x0 + cw + cw / 2, cy, r);
	draw_boxes(s, x0 + 2 * cw + cw / 2, cy, r * 4 / 5);
	draw_fan(s, x0 + 3 * cw + cw / 2, cy, r * 4 / 5);
}

/* Three lines of font sample above the bottom corners; returns the y of their top. */
static int32_t draw_sample(const struct gfx_surface *s, const struct psf_font *font,
			   const struct layout *l)
{
	static const char *const lines[] = {
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz",
	    "0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
	    /* Latin-1 letters and signs, the euro, a bullet, an ellipsis, arrows, shades, boxes */
	    "\xc3\xa4\xc3\xb6\xc3\xbc \xc3\x9f \xc3\xa9 \xc3\xb1 \xc2\xa3 \xc2\xb0 \xc2\xb1 "
	    "\xc2\xb5 "
	    "\xe2\x82\xac \xe2\x80\xa2 \xe2\x80\xa6 "
	    "\xe2\x86\x90 \xe2\x86\x91 \xe2\x86\x92 \xe2\x86\x93 "
	    "\xe2\x96\x91\xe2\x96\x92\xe2\x96\x88 "
	    "\xe2\x94\x8c\xe2\x94\x80\xe2\x94\x90\xe2\x94\x82\xe2\x94\x94\xe2\x94\x98 "
	    "\xe2\x95\x94\xe2\x95\x90\xe2\x95\x91",
	};

	int32_t gap = max32(l->u / 3, 2), count = (int32_t)(sizeof(lines) / sizeof(lines[0]));
	int32_t top = l->h - l->u - l->c - l->u - count * (l->fh + gap);
	int32_t y = top;

	for (int32_t i = 0; i < count; i++) {
		/* The middle line on a background, to show text cells are filled exactly. */
		uint32_t bg = i == 1 ? 0x303848 : GFX_TRANSPARENT;
		gfx_text(s, font, l->w / 16, y, 1, lines[i], 0xe0e0e0, bg);
		y += l->fh + gap;
	}
	return top;
}

void gfx_draw_scene(const struct gfx_surface *s, const struct psf_font *font)
{
	struct layout l = layout_of(s, font);

	gfx_gradient_v(s, 0, 0, l.w, l.h, 0x183060, 0x040810);
	int32_t y = draw_title(s, font, &l);
	y = draw_ramps(s, font, &l, y);
	int32_t bottom = draw_sample(s, font, &l);
	draw_shapes(s, &l, y, bottom - l.u);
	draw_corners(s, font, &l);
	draw_checker(s, &l);
	gfx_rect(s, 0, 0, l.w, l.h, 1, WHITE);
}

/* A triangle wave: 0 up to N and back, period 2N. */
static int32_t bounce(uint32_t t, int32_t n)
{
	if (n <= 0)
		return 0;
	uint32_t p = t % (2 * (uint32_t)n);
	return p < (uint32_t)n ? (int32_t)p : 2 * n - (int32_t)p;
}

/* sin(STEP * 2 pi / 64) * 1024, from a quarter-wave table. */
static int32_t sine64(uint32_t step)
{
	static const int16_t quarter[17] = {0,   100, 200, 297, 392, 483,  569,  650, 724,
					    792, 851, 903, 946, 980, 1004, 1019, 1024};
	uint32_t k = step % 64;

	if (k <= 16)
		return quarter[k];
	if (k <= 32)
		return quarter[32 - k];
	if (k <= 48)
		return -quarter[k - 32];
	return -quarter[64 - k];
}

void gfx_draw_frame(const struct gfx_surface *s, const struct psf_font *font, uint32_t frame)
{
	static const uint32_t palette[] = {0x402060, 0x204080, 0x106060,
					   0x305020, 0x604010, 0x602040};
	struct layout l = layout_of(s, font);
	uint32_t n = sizeof(palette) / sizeof(palette[0]), phase = frame / 90 % n;
	uint32_t top = gfx_mix(palette[phase], palette[(phase + 1) % n], frame % 90, 90);
	uint32_t bottom =
	    gfx_mix(palette[(phase + 3) % n], palette[(phase + 4) % n], frame % 90, 90);

	gfx_gradient_v(s, 0, 0, l.w, l.h, top, bottom);
	/* Bars scrolling to the right. */
	int32_t bar = max32(l.w / 32, 4), band = l.h * 3 / 4;
	for (int32_t i = 0; i < 8; i++) {
		int32_t x =
		    (int32_t)(((uint32_t)i * (uint32_t)l.w / 8 + frame * 4) % (uint32_t)l.w);
		uint32_t rgb = gfx_mix(0xff4040, 0x40a0ff, (uint32_t)i, 7);
		gfx_fill_rect(s, x, band, bar, l.h / 8, rgb);
		gfx_fill_rect(s, x - l.w, band, bar, l.h / 8, rgb); /* the part wrapped round */
	}
	/* A spoke turning round the centre, and a ball bouncing across the upper half. */
	int32_t cx = l.w / 2, cy = l.h / 2, len = min32(l.w, l.h) / 4;
	for (int32_t d = -1; d <= 1; d++)
		gfx_line(s, cx + d, cy, cx + d + sine64(frame) * len / 1024,
			 cy - sine64(frame + 16) * len / 1024, WHITE);
	gfx_circle(s, cx, cy, len, 0xc0c0c0);
	int32_t r = max32(min32(l.w, l.h) / 16, 4);
	int32_t bx = r + bounce(frame * 7, l.w - 2 * r),
		by = r + bounce(frame * 5, l.h / 2 - 2 * r);
	gfx_fill_circle(s, bx, by, r, 0xffd040);
	gfx_circle(s, bx, by, r, WHITE);

	char text[32], *end = put_str(text, "frame ");
	end = put_uint(end, frame);
	*end = '\0';
	gfx_text(s, font, l.m, l.h - l.m - 2 * l.fh, 2, text, WHITE, 0x000000);
	gfx_rect(s, 0, 0, l.w, l.h, 1, WHITE);
}
