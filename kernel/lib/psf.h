/*
 * PSF2 console fonts (the format of Debian's console-setup fonts, /usr/share/consolefonts).
 *
 * Model: a PSF2 file is a 32-byte header (magic 72 b5 4a 86, version 0, header size, flags,
 * glyph count, bytes per glyph, height, width), the glyph bitmaps (each `height` rows of
 * ceil(width / 8) bytes, most significant bit leftmost), then, when flags bit 0 is set, a
 * Unicode table: for each glyph in order, UTF-8 sequences of the code points it draws, ended by
 * the byte 0xff (0xfe starts a combining sequence, which is skipped). psf_parse() checks the
 * whole file once, never reading past SIZE, and psf_glyph() maps a code point to its bitmap:
 * through the Unicode table when there is one, else code points below the glyph count map to
 * themselves; anything unmapped draws as the glyph of '?' (or glyph 0). Code points below 256 are
 * one array load (the lookup table psf_parse() builds, where the first glyph that lists a code
 * point wins); others scan the Unicode table, which psf_parse() has already proven well formed.
 * Data after the last glyph's entry is ignored, like the kernel's own PSF loader does.
 *
 * Pure and freestanding: compiled into the kernel (the framebuffer console), into user programs
 * (user/draw) and into the host tests. No allocation: the lookup table lives in struct psf_font.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define PSF2_MAGIC       0x864ab572u
#define PSF_MAX_WIDTH    32u /* pixels: a row fits in 4 bytes */
#define PSF_MAX_HEIGHT   64u
#define PSF_LOOKUP_LIMIT 256u /* code points 0..255 are looked up in a table built by psf_parse */
#define PSF_MAX_GLYPHS   0xffffu /* so every index fits lookup[] below PSF_NO_GLYPH */
#define PSF_NO_GLYPH     0xffffu /* in lookup[]: no glyph draws this code point */

enum psf_result {
	PSF_OK = 0,
	PSF_TOO_SMALL,    /* shorter than the header */
	PSF_BAD_MAGIC,    /* not PSF2 (a PSF1 font, or not a font) */
	PSF_BAD_HEADER,   /* version not 0, header size below 32, or past the file */
	PSF_BAD_GEOMETRY, /* width or height 0 or above the maximum; bytes per glyph inconsistent;
			      more than PSF_MAX_GLYPHS glyphs */
	PSF_NO_GLYPHS,    /* glyph count 0 */
	PSF_TRUNCATED,    /* the bitmaps run past the file */
	PSF_BAD_UNICODE,  /* the Unicode table is malformed: bad UTF-8, fewer entries than glyphs */
	PSF_RESULT_COUNT
};

struct psf_font {
	const uint8_t *glyphs;             /* glyph 0's bitmap */
	uint32_t count;                    /* glyphs */
	uint32_t width, height;            /* pixels */
	uint32_t bytes_per_row;            /* ceil(width / 8) */
	uint32_t bytes_per_glyph;          /* height * bytes_per_row */
	uint16_t lookup[PSF_LOOKUP_LIMIT]; /* code point -> glyph index, or PSF_NO_GLYPH */
	uint32_t fallback;                 /* the glyph of '?' when the font has one, else 0 */
	const uint8_t *table;              /* the Unicode table (NULL when the font has none) */
	size_t table_size;                 /* bytes, up to the end of the last glyph's entry */
};

/*
 * psf_parse - checks the SIZE bytes at DATA and fills *FONT, which points into DATA from then on
 * (DATA must outlive it; any alignment). Reads nothing outside [DATA, DATA + SIZE), whatever the
 * bytes say. On an error *FONT is unspecified. Pure; never allocates.
 */
enum psf_result psf_parse(const void *data, size_t size, struct psf_font *font);

/*
 * psf_glyph - the bitmap (bytes_per_glyph bytes) that draws code point CP, the fallback glyph when
 * none does. FONT comes from a successful psf_parse(). Pure.
 */
const uint8_t *psf_glyph(const struct psf_font *font, uint32_t cp);

/* psf_pixel - whether pixel (X, Y) of GLYPH is set; X < width, Y < height. */
static inline int psf_pixel(const struct psf_font *font, const uint8_t *glyph, uint32_t x,
			    uint32_t y)
{
	return (glyph[y * font->bytes_per_row + x / 8] >> (7 - x % 8)) & 1;
}

/* psf_result_name - "truncated" etc. Pure. */
const char *psf_result_name(enum psf_result r);
