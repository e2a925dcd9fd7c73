/*
 * gfx: a small drawing library on 32-bit pixel surfaces (user/draw's and the host tools').
 *
 * Model: a surface is WIDTH x HEIGHT visible pixels, row y starting STRIDE pixels after row y - 1
 * (STRIDE >= WIDTH: a framebuffer's scan line may be longer than what shows), each pixel one
 * uint32_t in memory order RGBX (byte 0 red) or BGRX (byte 0 blue), the two orders UEFI's GOP
 * gives. Callers name colours as 0xRRGGBB whatever the surface's order; each primitive packs the
 * colour once (gfx_pack) and stores pixels. Coordinates are signed and may lie anywhere: every
 * primitive clips to the surface, so a shape partly or wholly off the surface draws only what
 * falls on it and never touches memory outside the visible pixels (the padding at the end of a
 * scan line included).
 *
 * Pure C on integers only: no system calls, no allocation, no floating point, so the same source
 * gives bit-identical pictures in user/draw and on the host (tools/render-scene.c), which is what
 * the screenshot tests compare. Nothing here is thread-safe beyond what the caller arranges.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/psf.h"

/* Pixel orders: the values of enum quire_pixel_format (quire/startup.h). */
enum gfx_format {
	GFX_FORMAT_RGBX = 1, /* byte 0 red, 1 green, 2 blue */
	GFX_FORMAT_BGRX = 2, /* byte 0 blue, 1 green, 2 red */
};

/* A colour argument above 0xffffff: text draws no background (gfx_text's BG). */
#define GFX_TRANSPARENT 0xff000000u

struct gfx_surface {
	uint32_t *pixels; /* pixel (0, 0) */
	uint32_t width, height;
	uint32_t stride; /* pixels per line, >= width */
	uint32_t format; /* enum gfx_format */
};

/* gfx_surface_valid - whether S describes a drawable surface (pixels, sizes, stride, format). */
bool gfx_surface_valid(const struct gfx_surface *s);

/* gfx_pack - the pixel value of colour RGB (0xRRGGBB) on S; the X byte is 0. */
uint32_t gfx_pack(const struct gfx_surface *s, uint32_t rgb);

/* gfx_unpack - the colour (0xRRGGBB) of pixel value PIXEL on S. */
uint32_t gfx_unpack(const struct gfx_surface *s, uint32_t pixel);

/* gfx_mix - the colour A + (B - A) * NUM / DEN per channel, rounded; DEN > 0, NUM in [0, DEN]. */
uint32_t gfx_mix(uint32_t a, uint32_t b, uint32_t num, uint32_t den);

/* gfx_put_pixel - sets pixel (X, Y) to RGB when it lies on S. */
void gfx_put_pixel(const struct gfx_surface *s, int32_t x, int32_t y, uint32_t rgb);

/* gfx_get_pixel - the colour (0xRRGGBB) of pixel (X, Y); 0 when it lies off S. */
uint32_t gfx_get_pixel(const struct gfx_surface *s, int32_t x, int32_t y);

/* gfx_clear - fills all of S with RGB. */
void gfx_clear(const struct gfx_surface *s, uint32_t rgb);

/* gfx_fill_rect - fills the W x H rectangle at (X, Y); nothing when W or H is <= 0. */
void gfx_fill_rect(const struct gfx_surface *s, int32_t x, int32_t y, int32_t w, int32_t h,
		   uint32_t rgb);

/* gfx_rect - the outline of the W x H rectangle at (X, Y), THICK pixels wide, inside it. */
void gfx_rect(const struct gfx_surface *s, int32_t x, int32_t y, int32_t w, int32_t h,
	      int32_t thick, uint32_t rgb);

/*
 * gfx_line - a one-pixel line from (X0, Y0) to (X1, Y1), both ends included (Bresenham). The
 * pixels are those of the whole line, clipped; its cost grows with the part inside the bounding
 * box of the line and the surface.
 */
void gfx_line(const struct gfx_surface *s, int32_t x0, int32_t y0, int32_t x1, int32_t y1,
	      uint32_t rgb);

/* gfx_circle - the one-pixel outline of the circle of radius R around (CX, CY) (midpoint). */
void gfx_circle(const struct gfx_surface *s, int32_t cx, int32_t cy, int32_t r, uint32_t rgb);

/*
 * gfx_fill_circle - the disc of radius R around (CX, CY): the pixels (CX + DX, CY + DY) with
 * DX * DX + DY * DY <= R * R. R < 0 draws nothing, R == 0 one pixel.
 */
void gfx_fill_circle(const struct gfx_surface *s, int32_t cx, int32_t cy, int32_t r, uint32_t rgb);

/*
 * gfx_gradient_h - fills the W x H rectangle at (X, Y) with colours from LEFT (first column) to
 * RIGHT (last column), gfx_mix() of the column's position; gfx_gradient_v the same from TOP to
 * BOTTOM by rows. The colours depend on the rectangle, not on what is clipped.
 */
void gfx_gradient_h(const struct gfx_surface *s, int32_t x, int32_t y, int32_t w, int32_t h,
		    uint32_t left, uint32_t right);
void gfx_gradient_v(const struct gfx_surface *s, int32_t x, int32_t y, int32_t w, int32_t h,
		    uint32_t top, uint32_t bottom);

/*
 * gfx_blit - copies the W x H rectangle at (SX, SY) of SRC to (DX, DY) of DST, clipped to both
 * surfaces; pixels are converted when the two orders differ. DST and SRC must not overlap unless
 * they are the same pixels at the same place.
 */
void gfx_blit(const struct gfx_surface *dst, int32_t dx, int32_t dy, const struct gfx_surface *src,
	      int32_t sx, int32_t sy, int32_t w, int32_t h);

/* gfx_copy - all of SRC to (0, 0) of DST, clipped (the back-buffer copy of user/draw). */
void gfx_copy(const struct gfx_surface *dst, const struct gfx_surface *src);

/*
 * gfx_text - draws the UTF-8 string TEXT with FONT at (X, Y) (the top left of the first glyph),
 * each font pixel a SCALE x SCALE square (SCALE >= 1): set pixels in FG, clear ones in BG unless
 * BG is GFX_TRANSPARENT. '\n' starts a new line at X, FONT->height * SCALE lower; a malformed
 * UTF-8 byte draws as U+FFFD would (the font's fallback when it has none). Returns the x just
 * past the last glyph of the last line.
 */
int32_t gfx_text(const struct gfx_surface *s, const struct psf_font *font, int32_t x, int32_t y,
		 int32_t scale, const char *text, uint32_t fg, uint32_t bg);

/* gfx_text_width - the width in pixels of TEXT's longest line as gfx_text would draw it. */
int32_t gfx_text_width(const struct psf_font *font, int32_t scale, const char *text);

/*
 * gfx_utf8_next - decodes the code point at *P and advances *P past it (one byte for a malformed
 * sequence, which decodes as U+FFFD). *P must not point at the terminating NUL.
 */
uint32_t gfx_utf8_next(const char **p);
