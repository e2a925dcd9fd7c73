/*
 * PSF2 fonts: see psf.h for the format. psf_parse() proves everything psf_glyph() relies on: the
 * bitmaps lie inside the file, and the Unicode table has one well-formed entry per glyph inside
 * the file. Sizes are compared with what is left of the file (size - offset), never added to an
 * offset first, so no header field can make a sum wrap. Includes nothing but psf.h: the same file
 * builds into the kernel, user programs and the host tests.
 */
#include "kernel/lib/psf.h"

#include <stdbool.h>

#define HEADER_SIZE   32u
#define FLAG_UNICODE  1u    /* flags bit 0: a Unicode table follows the bitmaps */
#define TABLE_END     0xffu /* ends one glyph's entry */
#define TABLE_SEQ     0xfeu /* starts a combining sequence (up to the next 0xfe or 0xff) */
#define UNICODE_MAX   0x10ffffu
#define SURROGATE_LO  0xd800u
#define SURROGATE_HI  0xdfffu
#define FALLBACK_CHAR '?'

/* Header fields, byte offsets (all little-endian 32-bit). */
enum {
	H_MAGIC = 0,
	H_VERSION = 4,
	H_HEADER_SIZE = 8,
	H_FLAGS = 12,
	H_COUNT = 16,
	H_BYTES_PER_GLYPH = 20,
	H_HEIGHT = 24,
	H_WIDTH = 28,
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Decodes the UTF-8 sequence at P[*POS] (*POS < SIZE) into *CP and moves *POS past it. Refuses
 * stray continuation bytes, 0xc0/0xc1 and 0xf5.., a sequence cut off by the end or by a
 * non-continuation byte, overlong forms, surrogates and code points above U+10FFFF.
 */
static bool utf8_next(const uint8_t *p, size_t size, size_t *pos, uint32_t *cp)
{
	uint8_t b = p[*pos];
	uint32_t c, min;
	size_t more;

	if (b < 0x80) {
		c = b, more = 0, min = 0;
	} else if ((b & 0xe0) == 0xc0) {
		c = b & 0x1f, more = 1, min = 0x80;
	} else if ((b & 0xf0) == 0xe0) {
		c = b & 0x0f, more = 2, min = 0x800;
	} else if ((b & 0xf8) == 0xf0) {
		c = b & 0x07, more = 3, min = 0x10000;
	} else {
		return false;
	}
	if (more > size - *pos - 1)
		return false;
	for (size_t i = 1; i <= more; i++) {
		uint8_t next = p[*pos + i];
		if ((next & 0xc0) != 0x80)
			return false;
		c = c << 6 | (next & 0x3f);
	}
	if (c < min || c > UNICODE_MAX || (c >= SURROGATE_LO && c <= SURROGATE_HI))
		return false;
	*pos += 1 + more;
	*cp = c;
	return true;
}

/* A walk through the Unicode table, one glyph's entry after the other. */
struct walk {
	const uint8_t *table;
	size_t size;
	size_t pos;
	bool in_sequence; /* after a 0xfe of the current entry */
};

enum step { STEP_CODE_POINT, STEP_END_OF_ENTRY, STEP_BAD };

/*
 * The next code point the current entry maps on its own (the code points of combining sequences
 * are checked and skipped), or the end of the entry, which moves the walk to the next one.
 */
static enum step walk_next(struct walk *w, uint32_t *cp)
{
	for (;;) {
		if (w->pos >= w->size)
			return STEP_BAD;
		uint8_t b = w->table[w->pos];
		if (b == TABLE_END) {
			w->pos++;
			w->in_sequence = false;
			return STEP_END_OF_ENTRY;
		}
		if (b == TABLE_SEQ) {
			w->pos++;
			w->in_sequence = true;
			continue;
		}
		if (!utf8_next(w->table, w->size, &w->pos, cp))
			return STEP_BAD;
		if (!w->in_sequence)
			return STEP_CODE_POINT;
	}
}

/* Checks the table at TABLE (SIZE bytes to the end of the file) and fills FONT's lookup. */
static enum psf_result parse_table(const uint8_t *table, size_t size, struct psf_font *font)
{
	struct walk w = {.table = table, .size = size, .pos = 0, .in_sequence = false};

	for (uint32_t glyph = 0; glyph < font->count; glyph++) {
		uint32_t cp;
		enum step s;
		while ((s = walk_next(&w, &cp)) == STEP_CODE_POINT) {
			if (cp < PSF_LOOKUP_LIMIT && font->lookup[cp] == PSF_NO_GLYPH)
				font->lookup[cp] = (uint16_t)glyph;
		}
		if (s == STEP_BAD)
			return PSF_BAD_UNICODE;
	}
	font->table = table;
	font->table_size = w.pos;
	return PSF_OK;
}

static enum psf_result parse_header(const uint8_t *p, size_t size, struct psf_font *font,
				    uint32_t *header_size, uint32_t *flags)
{
	if (size < HEADER_SIZE)
		return PSF_TOO_SMALL;
	if (le32(p + H_MAGIC) != PSF2_MAGIC)
		return PSF_BAD_MAGIC;
	*header_size = le32(p + H_HEADER_SIZE);
	*flags = le32(p + H_FLAGS);
	if (le32(p + H_VERSION) != 0 || *header_size < HEADER_SIZE || *header_size > size)
		return PSF_BAD_HEADER;
	font->count = le32(p + H_COUNT);
	font->width = le32(p + H_WIDTH);
	font->height = le32(p + H_HEIGHT);
	font->bytes_per_glyph = le32(p + H_BYTES_PER_GLYPH);
	if (font->width == 0 || font->width > PSF_MAX_WIDTH || font->height == 0 ||
	    font->height > PSF_MAX_HEIGHT || font->count > PSF_MAX_GLYPHS)
		return PSF_BAD_GEOMETRY;
	font->bytes_per_row = (font->width + 7) / 8;
	if (font->bytes_per_glyph != font->height * font->bytes_per_row)
		return PSF_BAD_GEOMETRY;
	if (font->count == 0)
		return PSF_NO_GLYPHS;
	return PSF_OK;
}

enum psf_result psf_parse(const void *data, size_t size, struct psf_font *font)
{
	const uint8_t *p = data;
	uint32_t header_size, flags;

	*font = (struct psf_font){0};
	enum psf_result r = parse_header(p, size, font, &header_size, &flags);
	if (r != PSF_OK)
		return r;
	/* count <= 0xffff and bytes_per_glyph <= 256: the product fits in 32 bits. */
	size_t bitmaps = (size_t)font->count * font->bytes_per_glyph;
	if (bitmaps > size - header_size)
		return PSF_TRUNCATED;
	font->glyphs = p + header_size;
	for (uint32_t cp = 0; cp < PSF_LOOKUP_LIMIT; cp++)
		font->lookup[cp] = PSF_NO_GLYPH;
	if (flags & FLAG_UNICODE) {
		size_t start = header_size + bitmaps;
		r = parse_table(p + start, size - start, font);
		if (r != PSF_OK)
			return r;
	} else {
		for (uint32_t cp = 0; cp < PSF_LOOKUP_LIMIT && cp < font->count; cp++)
			font->lookup[cp] = (uint16_t)cp;
	}
	uint16_t q = font->lookup[FALLBACK_CHAR];
	font->fallback = q != PSF_NO_GLYPH ? q : 0;
	return PSF_OK;
}

/* The glyph whose table entry lists CP on its own, or PSF_NO_GLYPH (code points >= 256). */
static uint32_t find_in_table(const struct psf_font *font, uint32_t cp)
{
	struct walk w = {
	    .table = font->table, .size = font->table_size, .pos = 0, .in_sequence = false};

	for (uint32_t glyph = 0; glyph < font->count; glyph++) {
		uint32_t c;
		enum step s;
		while ((s = walk_next(&w, &c)) == STEP_CODE_POINT) {
			if (c == cp)
				return glyph;
		}
		if (s == STEP_BAD) /* cannot happen after psf_parse(); stop rather than guess */
			break;
	}
	return PSF_NO_GLYPH;
}

const uint8_t *psf_glyph(const struct psf_font *font, uint32_t cp)
{
	uint32_t glyph = PSF_NO_GLYPH;

	if (cp < PSF_LOOKUP_LIMIT)
		glyph = font->lookup[cp];
	else if (font->table != NULL)
		glyph = find_in_table(font, cp);
	else if (cp < font->count)
		glyph = cp;
	if (glyph == PSF_NO_GLYPH)
		glyph = font->fallback;
	return font->glyphs + (size_t)glyph * font->bytes_per_glyph;
}

const char *psf_result_name(enum psf_result r)
{
	static const char *const names[PSF_RESULT_COUNT] = {
	    [PSF_OK] = "ok",
	    [PSF_TOO_SMALL] = "shorter than a PSF2 header",
	    [PSF_BAD_MAGIC] = "not a PSF2 font",
	    [PSF_BAD_HEADER] = "bad header",
	    [PSF_BAD_GEOMETRY] = "bad glyph geometry",
	    [PSF_NO_GLYPHS] = "no glyphs",
	    [PSF_TRUNCATED] = "truncated",
	    [PSF_BAD_UNICODE] = "bad Unicode table",
	};

	if ((unsigned)r >= PSF_RESULT_COUNT)
		return "?";
	return names[r];
}
