/*
 * The drawing primitives; see gfx.h. Every primitive first reduces its shape to rows of pixels
 * inside the surface (a clip in 64-bit arithmetic, so no coordinate can overflow), then stores
 * packed pixels along each row.
 */
#include "gfx.h"

#include <stddef.h>
#include <string.h>

/* A half-open rectangle of pixels, known to lie on the surface. */
struct box {
	uint32_t x0, y0, x1, y1;
};

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* Clips the W x H rectangle at (X, Y) to S into *B; false when nothing is left. */
static bool clip(const struct gfx_surface *s, int64_t x, int64_t y, int64_t w, int64_t h,
		 struct box *b)
{
	if (w <= 0 || h <= 0)
		return false;
	int64_t x0 = max64(x, 0), y0 = max64(y, 0);
	int64_t x1 = min64(x + w, s->width), y1 = min64(y + h, s->height);
	if (x0 >= x1 || y0 >= y1)
		return false;
	*b = (struct box){(uint32_t)x0, (uint32_t)y0, (uint32_t)x1, (uint32_t)y1};
	return true;
}

static uint32_t *row(const struct gfx_surface *s, uint32_t y)
{
	return s->pixels + (size_t)y * s->stride;
}

static void fill_box(const struct gfx_surface *s, const struct box *b, uint32_t pixel)
{
	for (uint32_t y = b->y0; y < b->y1; y++) {
		uint32_t *p = row(s, y);
		for (uint32_t x = b->x0; x < b->x1; x++)
			p[x] = pixel;
	}
}

bool gfx_surface_valid(const struct gfx_surface *s)
{
	return s != NULL && s->pixels != NULL && s->width > 0 && s->height > 0 &&
	       s->stride >= s->width &&
	       (s->format == GFX_FORMAT_RGBX || s->format == GFX_FORMAT_BGRX);
}

uint32_t gfx_pack(const struct gfx_surface *s, uint32_t rgb)
{
	uint32_t r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;

	if (s->format == GFX_FORMAT_RGBX)
		return r | g << 8 | b << 16;
	return b | g << 8 | r << 16;
}

uint32_t gfx_unpack(const struct gfx_surface *s, uint32_t pixel)
{
	/* Both orders are their own inverse: packing swaps R and B or nothing. */
	return gfx_pack(s, pixel & 0xffffff);
}

uint32_t gfx_mix(uint32_t a, uint32_t b, uint32_t num, uint32_t den)
{
	uint32_t out = 0;

	for (unsigned shift = 0; shift < 24; shift += 8) {
		uint64_t ca = (a >> shift) & 0xff, cb = (b >> shift) & 0xff;
		uint64_t c = (ca * (den - num) + cb * num + den / 2) / den;
		out |= (uint32_t)c << shift;
	}
	return out;
}

void gfx_put_pixel(const struct gfx_surface *s, int32_t x, int32_t y, uint32_t rgb)
{
	if (x >= 0 && y >= 0 && (uint32_t)x < s->width && (uint32_t)y < s->height)
		row(s, (uint32_t)y)[x] = gfx_pack(s, rgb);
}

uint32_t gfx_get_pixel(const struct gfx_surface *s, int32_t x, int32_t y)
{
	if (x >= 0 && y >= 0 && (uint32_t)x < s->width && (uint32_t)y < s->height)
		return gfx_unpack(s, row(s, (uint32_t)y)[x]);
	return 0;
}

void gfx_clear(const struct gfx_surface *s, uint32_t rgb)
{
	struct box b = {0, 0, s->width, s->height};

	fill_box(s, &b, gfx_pack(s, rgb));
}

static void fill(const struct gfx_surface *s, int64_t x, int64_t y, int64_t w, int64_t h,
		 uint32_t pixel)
{
	struct box b;

	if (clip(s, x, y, w, h, &b))
		fill_box(s, &b, pixel);
}

void gfx_fill_rect(const struct gfx_surface *s, int32_t x, int32_t y, int32_t w, int32_t h,
		   uint32_t rgb)
{
	fill(s, x, y, w, h, gfx_pack(s, rgb));
}

void gfx_rect(const struct gfx_surface *s, int32_t x, int32_t y, int32_t w, int32_t h,
	      int32_t thick, uint32_t rgb)
{
	uint32_t pixel = gfx_pack(s, rgb);
	int64_t t = thick;

	if (w <= 0 || h <= 0 || t <= 0)
		return;
	/* Thick enough to meet in the middle: the outline is the whole rectangle. */
	if (2 * t >= w || 2 * t >= h) {
		fill(s, x, y, w, h, pixel);
		return;
	}
	fill(s, x, y, w, t, pixel);
	fill(s, x, (int64_t)y + h - t, w, t, pixel);
	fill(s, x, (int64_t)y + t, t, h - 2 * t, pixel);
	fill(s, (int64_t)x + w - t, (int64_t)y + t, t, h - 2 * t, pixel);
}

/*
 * The line's pixel at step K of its major axis is K along that axis and round(K * minor / major)
 * (halves up) along the other, which is what Bresenham's error term computes. Being a closed form,
 * it lets the walk start at the first step inside the surface instead of at the line's start.
 */
void gfx_line(const struct gfx_surface *s, int32_t x0, int32_t y0, int32_t x1, int32_t y1,
	      uint32_t rgb)
{
	int64_t dx = (int64_t)x1 - x0, dy = (int64_t)y1 - y0;
	bool x_major = (dx < 0 ? -dx : dx) >= (dy < 0 ? -dy : dy);
	/* Major axis a, minor axis b, so one walk serves both orientations. */
	int64_t a0 = x_major ? x0 : y0, b0 = x_major ? y0 : x0;
	int64_t da = x_major ? dx : dy, db = x_major ? dy : dx;
	int64_t a_limit = x_major ? s->width : s->height, b_limit = x_major ? s->height : s->width;
	int64_t sa = da < 0 ? -1 : 1, sb = db < 0 ? -1 : 1;
	uint64_t na = (uint64_t)(da < 0 ? -da : da), nb = (uint64_t)(db < 0 ? -db : db);
	uint32_t pixel = gfx_pack(s, rgb);

	/* Steps whose major coordinate lies on the surface. */
	int64_t k_lo = sa > 0 ? -a0 : a0 - (a_limit - 1), k_hi = sa > 0 ? a_limit - 1 - a0 : a0;
	k_lo = max64(k_lo, 0);
	k_hi = min64(k_hi, (int64_t)na);
	if (k_lo > k_hi)
		return;
	if (na == 0) { /* a single point */
		gfx_put_pixel(s, x0, y0, rgb);
		return;
	}
	/*
	 * The minor offset q and remainder r of (2 * k * nb + na) / (2 * na), without overflow: with
	 * k * nb = Q * na + R (a product below 2^64), that is Q, plus 1 when 2 * R >= na.
	 */
	uint64_t den = 2 * na, t = (uint64_t)k_lo * nb;
	uint64_t q = t / na, r = 2 * (t % na) + na;
	if (r >= den) {
		r -= den;
		q++;
	}
	for (int64_t k = k_lo; k <= k_hi; k++) {
		int64_t a = a0 + sa * k, b = b0 + sb * (int64_t)q;
		if (b >= 0 && b < b_limit) {
			int64_t x = x_major ? a : b, y = x_major ? b : a;
			row(s, (uint32_t)y)[x] = pixel;
		}
		r += 2 * nb;
		if (r >= den) {
			r -= den;
			q++;
		}
	}
}

/* floor(sqrt(N)). */
static uint64_t isqrt(uint64_t n)
{
	uint64_t lo = 0, hi = 1ull << 32;

	while (hi - lo > 1) { /* lo * lo <= n < hi * hi */
		uint64_t mid = lo + (hi - lo) / 2;
		if (mid * mid <= n)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The half-width of the disc of radius R on the row DY from its centre; -1 past the disc. */
static int64_t disc_half_width(int64_t r, int64_t dy)
{
	if (dy < 0)
		dy = -dy;
	if (dy > r)
		return -1;
	return (int64_t)isqrt((uint64_t)(r * r - dy * dy));
}

/* The rows of the disc of radius R around CY that lie on S: [*LO, *HI] as offsets from CY. */
static bool disc_rows(const struct gfx_surface *s, int64_t cy, int64_t r, int64_t *lo, int64_t *hi)
{
	if (r < 0)
		return false;
	*lo = max64(-r, -cy);
	*hi = min64(r, (int64_t)s->height - 1 - cy);
	return *lo <= *hi;
}

static void span(const struct gfx_surface *s, int64_t x0, int64_t x1, int64_t y, uint32_t pixel)
{
	fill(s, x0, y, x1 - x0 + 1, 1, pixel);
}

void gfx_fill_circle(const struct gfx_surface *s, int32_t cx, int32_t cy, int32_t r, uint32_t rgb)
{
	uint32_t pixel = gfx_pack(s, rgb);
	int64_t lo, hi;

	if (!disc_rows(s, cy, r, &lo, &hi))
		return;
	for (int64_t dy = lo; dy <= hi; dy++) {
		int64_t w = disc_half_width(r, dy);
		span(s, (int64_t)cx - w, (int64_t)cx + w, (int64_t)cy + dy, pixel);
	}
}

/*
 * The outline is the disc's boundary: on each row, the pixels of the disc that the next row out
 * (further from the centre) does not cover, at least the outermost one each side. So the outline
 * is closed and lies exactly on the edge of gfx_fill_circle's disc.
 */
void gfx_circle(const struct gfx_surface *s, int32_t cx, int32_t cy, int32_t r, uint32_t rgb)
{
	uint32_t pixel = gfx_pack(s, rgb);
	int64_t lo, hi;

	if (!disc_rows(s, cy, r, &lo, &hi))
		return;
	for (int64_t dy = lo; dy <= hi; dy++) {
		int64_t w = disc_half_width(r, dy);
		int64_t outer = disc_half_width(r, dy < 0 ? dy - 1 : dy + 1);
		int64_t inner = min64(outer + 1, w); /* first x of the outline on the right */
		int64_t y = (int64_t)cy + dy;
		span(s, (int64_t)cx + inner, (int64_t)cx + w, y, pixel);
		span(s, (int64_t)cx - w, (int64_t)cx - inner, y, pixel);
	}
}

void gfx_gradient_h(const struct gfx_surface *s, int32_t x, int32_t y, int32_t w, int32_t h,
		    uint32_t left, uint32_t right)
{
	struct box b;

	if (!clip(s, x, y, w, h, &b))
		return;
	uint32_t *first = row(s, b.y0);
	for (uint32_t i = b.x0; i < b.x1; i++)
		first[i] = gfx_pack(s, w == 1 ? left
					      : gfx_mix(left, right, (uint32_t)((int64_t)i - x),
							(uint32_t)(w - 1)));
	for (uint32_t j = b.y0 + 1; j < b.y1; j++)
		memcpy(row(s, j) + b.x0, first + b.x0, (size_t)(b.x1 - b.x0) * sizeof(uint32_t));
}

void gfx_gradient_v(const struct gfx_surface *s, int32_t x, int32_t y, int32_t w, int32_t h,
		    uint32_t top, uint32_t bottom)
{
	struct box b;

	if (!clip(s, x, y, w, h, &b))
		return;
	for (uint32_t j = b.y0; j < b.y1; j++) {
		struct box line = {b.x0, j, b.x1, j + 1};
		uint32_t rgb =
		    h == 1 ? top
			   : gfx_mix(top, bottom, (uint32_t)((int64_t)j - y), (uint32_t)(h - 1));
		fill_box(s, &line, gfx_pack(s, rgb));
	}
}

void gfx_blit(const struct gfx_surface *dst, int32_t dx, int32_t dy, const struct gfx_surface *src,
	      int32_t sx, int32_t sy, int32_t w, int32_t h)
{
	int64_t x = dx, y = dy, u = sx, v = sy, cw = w, ch = h;

	/* Clip to the source, moving the destination along, then to the destination. */
	if (u < 0) {
		x -= u, cw += u, u = 0;
	}
	if (v < 0) {
		y -= v, ch += v, v = 0;
	}
	cw = min64(cw, (int64_t)src->width - u);
	ch = min64(ch, (int64_t)src->height - v);
	struct box b;
	if (!clip(dst, x, y, cw, ch, &b))
		return;
	u += b.x0 - x;
	v += b.y0 - y;
	size_t n = b.x1 - b.x0;
	for (uint32_t j = b.y0; j < b.y1; j++) {
		uint32_t *to = row(dst, j) + b.x0;
		const uint32_t *from = row(src, (uint32_t)(v + (j - b.y0))) + u;
		if (dst->format == src->format) {
			if (to != from)
				memcpy(to, from, n * sizeof(uint32_t));
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			uint32_t p = from[i];
			to[i] = (p & 0xff00ff00u) | (p >> 16 & 0xffu) | (p & 0xffu) << 16;
		}
	}
}

void gfx_copy(const struct gfx_surface *dst, const struct gfx_surface *src)
{
	/* The common case, one block: both surfaces the same, without padding. */
	if (dst->format == src->format && dst->width == src->width && dst->height == src->height &&
	    dst->stride == dst->width && src->stride == src->width) {
		if (dst->pixels != src->pixels)
			memcpy(dst->pixels, src->pixels,
			       (size_t)dst->width * dst->height * sizeof(uint32_t));
		return;
	}
	gfx_blit(dst, 0, 0, src, 0, 0, (int32_t)src->width, (int32_t)src->height);
}

uint32_t gfx_utf8_next(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	uint32_t cp, min;
	unsigned extra;

	if (s[0] < 0x80) {
		*p += 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0)
		cp = s[0] & 0x1f, extra = 1, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		cp = s[0] & 0x0f, extra = 2, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		cp = s[0] & 0x07, extra = 3, min = 0x10000;
	else
		goto malformed;
	for (unsigned i = 1; i <= extra; i++) {
		if ((s[i] & 0xc0) != 0x80) /* a NUL ends it too */
			goto malformed;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		goto malformed;
	*p += 1 + extra;
	return cp;
malformed:
	*p += 1;
	return 0xfffd;
}

static void draw_glyph(const struct gfx_surface *s, const struct psf_font *font, int64_t x,
		       int64_t y, int64_t scale, uint32_t cp, uint32_t fg, uint32_t bg)
{
	const uint8_t *glyph = psf_glyph(font, cp);
	struct box whole;

	if (!clip(s, x, y, font->width * scale, font->height * scale, &whole))
		return;
	for (uint32_t gy = 0; gy < font->height; gy++) {
		for (uint32_t gx = 0; gx < font->width; gx++) {
			uint32_t pixel = psf_pixel(font, glyph, gx, gy) ? fg : bg;
			if (pixel != GFX_TRANSPARENT)
				fill(s, x + gx * scale, y + gy * scale, scale, scale, pixel);
		}
	}
}

int32_t gfx_text(const struct gfx_surface *s, const struct psf_font *font, int32_t x, int32_t y,
		 int32_t scale, const char *text, uint32_t fg, uint32_t bg)
{
	int64_t cx = x, cy = y, sc = scale < 1 ? 1 : scale;
	uint32_t fg_pixel = gfx_pack(s, fg);
	uint32_t bg_pixel = bg > 0xffffffu ? GFX_TRANSPARENT : gfx_pack(s, bg);

	while (*text != '\0') {
		uint32_t cp = gfx_utf8_next(&text);
		if (cp == '\n') {
			cx = x;
			cy += font->height * sc;
			continue;
		}
		/* Past the right edge nothing more of this line shows; keep counting anyway. */
		if (cx < (int64_t)s->width && cy < (int64_t)s->height)
			draw_glyph(s, font, cx, cy, sc, cp, fg_pixel, bg_pixel);
		cx += font->width * sc;
	}
	return (int32_t)min64(max64(cx, INT32_MIN), INT32_MAX);
}

int32_t gfx_text_width(const struct psf_font *font, int32_t scale, const char *text)
{
	int64_t sc = scale < 1 ? 1 : scale, widest = 0, line = 0;

	while (*text != '\0') {
		uint32_t cp = gfx_utf8_next(&text);
		line = cp == '\n' ? 0 : line + font->width * sc;
		widest = max64(widest, line);
	}
	return (int32_t)min64(widest, INT32_MAX);
}
