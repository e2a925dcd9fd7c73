/*
 * Host tests of kernel/lib/psf.c:
 * - the real console font (QUIRE_FONT_PSF, the file assets/build.mk makes): geometry, 'A' and 'B'
 *   as drawn by the font, code points below and above 256 through its Unicode table, the
 *   fallback glyph;
 * - a small font built here byte by byte: accepted as built, with and without a table, with a
 *   longer header and trailing data; every truncation length refused with the error of the part
 *   it cuts; each malformed header, geometry and Unicode table refused with its own error;
 * - fuzzing: the real font truncated at every length and damaged at random bytes. Every input is
 *   an exact-size heap copy, so AddressSanitizer catches any read past it; psf_parse() must
 *   either refuse it or return a font whose every glyph lies inside it.
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
#include "test/unit/test_kernel_rng.h"

#ifndef QUIRE_FONT_PSF
#error "QUIRE_FONT_PSF must name the console font (kernel/build.mk passes it)"
#endif

/* --- helpers --- */

static uint8_t *g_font;
static size_t g_font_size;
static volatile unsigned g_sink; /* glyph bytes read only for ASan's sake */

static void load_real_font(void)
{
	if (g_font != NULL)
		return;
	FILE *f = fopen(QUIRE_FONT_PSF, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (make %s builds it)", QUIRE_FONT_PSF, QUIRE_FONT_PSF);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	g_font = malloc((size_t)n);
	assert_non_null(g_font);
	assert_int_equal(fread(g_font, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	g_font_size = (size_t)n;
}

/* An exact-size heap copy of the first N bytes of DATA: ASan sees a read past N. */
static uint8_t *exact_copy(const uint8_t *data, size_t n)
{
	uint8_t *p = malloc(n != 0 ? n : 1);
	assert_non_null(p);
	if (n != 0)
		memcpy(p, data, n);
	return p;
}

static enum psf_result parse_copy(const uint8_t *data, size_t n, struct psf_font *font)
{
	uint8_t *p = exact_copy(data, n);
	enum psf_result r = psf_parse(p, n, font);
	free(p);
	return r;
}

static size_t glyph_index(const struct psf_font *font, const uint8_t *glyph)
{
	return (size_t)(glyph - font->glyphs) / font->bytes_per_glyph;
}

/* Row Y of a glyph of the real font (10 pixels wide: 2 bytes a row, big-endian bits). */
static unsigned row16(const uint8_t *glyph, unsigned y)
{
	return (unsigned)glyph[2 * y] << 8 | glyph[2 * y + 1];
}

/* --- the real font --- */

static void test_real_font_geometry(void **state)
{
	struct psf_font font;

	load_real_font();
	assert_int_equal(psf_parse(g_font, g_font_size, &font), PSF_OK);
	assert_int_equal(font.width, 10);
	assert_int_equal(font.height, 18);
	assert_int_equal(font.count, 256);
	assert_int_equal(font.bytes_per_row, 2);
	assert_int_equal(font.bytes_per_glyph, 36);
	assert_ptr_equal(font.glyphs, g_font + 32);
	assert_non_null(font.table);
	assert_ptr_equal(font.table, g_font + 32 + 256 * 36);
	/* The whole rest of the file is the table: 256 entries, each ended by 0xff. */
	assert_int_equal(font.table_size, g_font_size - 32 - 256 * 36);
	assert_int_equal(font.table[font.table_size - 1], 0xff);
}

static void test_real_font_letters(void **state)
{
	struct psf_font font;

	load_real_font();
	assert_int_equal(psf_parse(g_font, g_font_size, &font), PSF_OK);
	const uint8_t *a = psf_glyph(&font, 'A');
	const uint8_t *b = psf_glyph(&font, 'B');
	assert_int_equal(glyph_index(&font, a), 65);
	assert_int_not_equal(memcmp(a, b, font.bytes_per_glyph), 0);
	/*
	 * 'A' as Terminus 18x10 draws it (rows 0..17; read from the font with a script once):
	 *   rows 0-2 empty, 3 "..#####...", 4-8 ".#.....#..", 9 ".#######..", 10-14 ".#.....#..",
	 *   15-17 empty.
	 */
	static const unsigned rows_a[18] = {0,      0,      0,      0x3e00, 0x4100, 0x4100,
					    0x4100, 0x4100, 0x4100, 0x7f00, 0x4100, 0x4100,
					    0x4100, 0x4100, 0x4100, 0,      0,      0};
	for (unsigned y = 0; y < 18; y++)
		assert_int_equal(row16(a, y), rows_a[y]);
	/* 'B' shares rows 4..7 with 'A' but closes at rows 3, 8 and 14. */
	assert_int_equal(row16(b, 3), 0x7e00);
	assert_int_equal(row16(b, 8), 0x7e00);
	assert_int_equal(row16(b, 14), 0x7e00);
	/* psf_pixel reads the same bits. */
	assert_true(psf_pixel(&font, a, 1, 4));
	assert_false(psf_pixel(&font, a, 0, 4));
	assert_true(psf_pixel(&font, a, 7, 9));
	assert_false(psf_pixel(&font, a, 8, 9));
	assert_true(psf_pixel(&font, a, 2, 3));
	assert_false(psf_pixel(&font, a, 9, 17));
}

static void test_real_font_unicode(void **state)
{
	struct psf_font font;

	load_real_font();
	assert_int_equal(psf_parse(g_font, g_font_size, &font), PSF_OK);
	/* The glyphs are in code page 437 order, so the table is needed even below 256. */
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 0xe9)), 130);   /* e acute */
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 0x2500)), 196); /* box drawing */
	/* Cyrillic and Greek capital A share the Latin glyph. */
	assert_ptr_equal(psf_glyph(&font, 0x410), psf_glyph(&font, 'A'));
	assert_ptr_equal(psf_glyph(&font, 0x391), psf_glyph(&font, 'A'));
	/* Anything unmapped draws as '?'. */
	assert_int_equal(font.fallback, 63);
	assert_ptr_equal(psf_glyph(&font, 0x1f600), psf_glyph(&font, '?'));
	assert_ptr_equal(psf_glyph(&font, 0x10ffff), psf_glyph(&font, '?'));
	assert_ptr_equal(psf_glyph(&font, 0xffffffffu), psf_glyph(&font, '?'));
	/* Printable ASCII all differ from the fallback, except '?' itself. */
	for (uint32_t c = 0x21; c < 0x7f; c++) {
		if (c != '?')
			assert_ptr_not_equal(psf_glyph(&font, c), psf_glyph(&font, '?'));
	}
}

/* --- a handmade font --- */

struct font_builder {
	uint8_t buf[1024];
	size_t len;
};

static void put(struct font_builder *b, const void *p, size_t n)
{
	assert_true(b->len + n <= sizeof(b->buf));
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void put32(struct font_builder *b, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(b, le, 4);
}

static void set32(struct font_builder *b, size_t at, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		b->buf[at + i] = (uint8_t)(v >> (8 * i));
}

enum { SMALL_W = 5, SMALL_H = 3, SMALL_COUNT = 3, SMALL_BPG = SMALL_H };
#define SMALL_BITMAPS (32 + SMALL_COUNT * SMALL_BPG)

/*
 * Three 5x3 glyphs. With TABLE: glyph 0 draws '?', glyph 1 'A' and U+0410 (plus a combining
 * sequence "e" U+0301 that must be skipped), glyph 2 U+20AC and U+1F600 (3- and 4-byte UTF-8).
 */
static void build_small(struct font_builder *b, bool table)
{
	memset(b, 0, sizeof(*b));
	put32(b, PSF2_MAGIC);
	put32(b, 0);             /* version */
	put32(b, 32);            /* header size */
	put32(b, table ? 1 : 0); /* flags */
	put32(b, SMALL_COUNT);
	put32(b, SMALL_BPG);
	put32(b, SMALL_H);
	put32(b, SMALL_W);
	static const uint8_t bitmaps[SMALL_COUNT * SMALL_BPG] = {
	    0x70, 0x20, 0x20, /* glyph 0 */
	    0x20, 0x50, 0xf8, /* glyph 1 */
	    0xf8, 0x88, 0xf8, /* glyph 2 */
	};
	put(b, bitmaps, sizeof(bitmaps));
	if (!table)
		return;
	static const uint8_t entries[] = {
	    '?',  0xff,                                     /* glyph 0 */
	    'A',  0xd0, 0x90, 0xfe, 'e',  0xcc, 0x81, 0xff, /* glyph 1 */
	    0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, /* glyph 2 */
	};
	put(b, entries, sizeof(entries));
}

static void test_small_font(void **state)
{
	struct font_builder b;
	struct psf_font font;

	build_small(&b, true);
	assert_int_equal(parse_copy(b.buf, b.len, &font), PSF_OK);
	uint8_t *p = exact_copy(b.buf, b.len);
	assert_int_equal(psf_parse(p, b.len, &font), PSF_OK);
	assert_int_equal(font.width, SMALL_W);
	assert_int_equal(font.height, SMALL_H);
	assert_int_equal(font.count, SMALL_COUNT);
	assert_int_equal(font.bytes_per_row, 1);
	assert_int_equal(font.bytes_per_glyph, SMALL_BPG);
	assert_ptr_equal(font.table, p + SMALL_BITMAPS);
	assert_int_equal(font.table_size, b.len - SMALL_BITMAPS);
	assert_int_equal(font.fallback, 0);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, '?')), 0);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 'A')), 1);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 0x410)), 1);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 0x20ac)), 2);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 0x1f600)), 2);
	/* The combining sequence's code points are not mappings of their own. */
	assert_int_equal(font.lookup['e'], PSF_NO_GLYPH);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 'e')), 0);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 0x301)), 0);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 'B')), 0);
	/* psf_pixel on glyph 1 (0x20, 0x50, 0xf8): a 5-pixel triangle. */
	const uint8_t *g = psf_glyph(&font, 'A');
	assert_true(psf_pixel(&font, g, 2, 0));
	assert_false(psf_pixel(&font, g, 1, 0));
	assert_true(psf_pixel(&font, g, 1, 1) && psf_pixel(&font, g, 3, 1));
	for (unsigned x = 0; x < SMALL_W; x++)
		assert_true(psf_pixel(&font, g, x, 2));
	free(p);
}

static void test_small_font_variants(void **state)
{
	struct font_builder b;
	struct psf_font font;

	/* No table: code points below the count map to themselves; no '?' so glyph 0 falls back. */
	build_small(&b, false);
	assert_int_equal(parse_copy(b.buf, b.len, &font), PSF_OK);
	uint8_t *p = exact_copy(b.buf, b.len);
	assert_int_equal(psf_parse(p, b.len, &font), PSF_OK);
	assert_null(font.table);
	assert_int_equal(font.fallback, 0);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 2)), 2);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 3)), 0);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 'A')), 0);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 0x1234)), 0);
	free(p);

	/* Trailing bytes after the table are ignored; table_size stops at the last entry. */
	build_small(&b, true);
	size_t table_end = b.len;
	put(&b, "junk\x80", 5);
	assert_int_equal(parse_copy(b.buf, b.len, &font), PSF_OK);
	p = exact_copy(b.buf, b.len);
	assert_int_equal(psf_parse(p, b.len, &font), PSF_OK);
	assert_int_equal(font.table_size, table_end - SMALL_BITMAPS);
	free(p);

	/* A header longer than 32 bytes: the bitmaps start where it says. */
	struct font_builder longer;
	build_small(&b, true);
	memset(&longer, 0, sizeof(longer));
	put(&longer, b.buf, 32);
	put(&longer, "\0\0\0\0\0\0\0\0", 8);
	put(&longer, b.buf + 32, b.len - 32);
	set32(&longer, 8, 40);
	p = exact_copy(longer.buf, longer.len);
	assert_int_equal(psf_parse(p, longer.len, &font), PSF_OK);
	assert_ptr_equal(font.glyphs, p + 40);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 0x20ac)), 2);
	free(p);

	/* Two glyphs listing one code point: the first wins, below 256 and above. */
	build_small(&b, true);
	b.len = SMALL_BITMAPS;
	static const uint8_t dup[] = {'A',  0xe2, 0x82, 0xac, 0xff, 'A',
				      0xff, 0xe2, 0x82, 0xac, 0xff};
	put(&b, dup, sizeof(dup));
	assert_int_equal(parse_copy(b.buf, b.len, &font), PSF_OK);
	p = exact_copy(b.buf, b.len);
	assert_int_equal(psf_parse(p, b.len, &font), PSF_OK);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 'A')), 0);
	assert_int_equal(glyph_index(&font, psf_glyph(&font, 0x20ac)), 0);
	free(p);

	/* The largest glyphs allowed: 32 x 64. */
	memset(&b, 0, sizeof(b));
	put32(&b, PSF2_MAGIC);
	put32(&b, 0);
	put32(&b, 32);
	put32(&b, 0);
	put32(&b, 1);
	put32(&b, 4 * 64);
	put32(&b, 64);
	put32(&b, 32);
	for (unsigned i = 0; i < 4 * 64; i++)
		put(&b, "\xff", 1);
	assert_int_equal(parse_copy(b.buf, b.len, &font), PSF_OK);
	p = exact_copy(b.buf, b.len);
	assert_int_equal(psf_parse(p, b.len, &font), PSF_OK);
	assert_true(psf_pixel(&font, psf_glyph(&font, 0), 31, 63));
	free(p);
}

/* Every prefix of the small font is refused, with the error of the part it cuts. */
static void test_small_font_truncations(void **state)
{
	struct font_builder b;
	struct psf_font font;

	for (int table = 0; table <= 1; table++) {
		build_small(&b, table);
		for (size_t n = 0; n < b.len; n++) {
			enum psf_result want = n < 32              ? PSF_TOO_SMALL
					       : n < SMALL_BITMAPS ? PSF_TRUNCATED
								   : PSF_BAD_UNICODE;
			enum psf_result got = parse_copy(b.buf, n, &font);
			if (got != want)
				fail_msg("table %d, %zu of %zu bytes: %s, expected %s", table, n,
					 b.len, psf_result_name(got), psf_result_name(want));
		}
		assert_int_equal(parse_copy(b.buf, b.len, &font), PSF_OK);
	}
}

static void expect_header_field(size_t at, uint32_t value, enum psf_result want)
{
	struct font_builder b;
	struct psf_font font;

	build_small(&b, true);
	set32(&b, at, value);
	enum psf_result got = parse_copy(b.buf, b.len, &font);
	if (got != want)
		fail_msg("field at %zu = %u: %s, expected %s", at, value, psf_result_name(got),
			 psf_result_name(want));
}

static void test_bad_headers(void **state)
{
	struct font_builder b;
	struct psf_font font;

	/* Magic: any other value, a PSF1 font, nothing at all. */
	expect_header_field(0, PSF2_MAGIC ^ 1, PSF_BAD_MAGIC);
	expect_header_field(0, 0, PSF_BAD_MAGIC);
	build_small(&b, true);
	b.buf[0] = 0x36; /* PSF1: 36 04, mode, height, then the glyphs */
	b.buf[1] = 0x04;
	b.buf[2] = 0;
	b.buf[3] = 16;
	assert_int_equal(parse_copy(b.buf, b.len, &font), PSF_BAD_MAGIC);
	/* Header: version, header size below 32 or past the file. */
	expect_header_field(4, 1, PSF_BAD_HEADER);
	expect_header_field(4, 0xffffffffu, PSF_BAD_HEADER);
	expect_header_field(8, 0, PSF_BAD_HEADER);
	expect_header_field(8, 31, PSF_BAD_HEADER);
	build_small(&b, true);
	expect_header_field(8, (uint32_t)b.len + 1, PSF_BAD_HEADER);
	expect_header_field(8, 0xffffffffu, PSF_BAD_HEADER);
	/* A header size that fits but leaves too little for the bitmaps. */
	expect_header_field(8, (uint32_t)b.len - SMALL_BPG * SMALL_COUNT + 1, PSF_TRUNCATED);
	/* Geometry. */
	expect_header_field(28, 0, PSF_BAD_GEOMETRY); /* width */
	expect_header_field(28, PSF_MAX_WIDTH + 1, PSF_BAD_GEOMETRY);
	expect_header_field(28, 9, PSF_BAD_GEOMETRY); /* 2 bytes a row now */
	expect_header_field(24, 0, PSF_BAD_GEOMETRY); /* height */
	expect_header_field(24, PSF_MAX_HEIGHT + 1, PSF_BAD_GEOMETRY);
	expect_header_field(24, 2, PSF_BAD_GEOMETRY); /* bytes per glyph no longer fits */
	expect_header_field(20, SMALL_BPG + 1, PSF_BAD_GEOMETRY); /* bytes per glyph */
	expect_header_field(20, 0, PSF_BAD_GEOMETRY);
	expect_header_field(16, PSF_MAX_GLYPHS + 1, PSF_BAD_GEOMETRY);
	expect_header_field(16, 0xffffffffu, PSF_BAD_GEOMETRY);
	expect_header_field(16, 0, PSF_NO_GLYPHS);
	/* More glyphs than the file holds. */
	expect_header_field(16, SMALL_COUNT + 10, PSF_TRUNCATED);
	expect_header_field(16, PSF_MAX_GLYPHS, PSF_TRUNCATED);
	/* One glyph fewer: the last glyph's bitmap (f8 88 f8) is read as the table, bad UTF-8. */
	expect_header_field(16, SMALL_COUNT - 1, PSF_BAD_UNICODE);
	/* Unknown flag bits are ignored; without bit 0 the table is trailing data. */
	expect_header_field(12, 1 | 0x80000000u, PSF_OK);
	expect_header_field(12, 0, PSF_OK);
}

/* The small font with ENTRIES (LEN bytes) as its table. */
static enum psf_result with_table(const void *entries, size_t len)
{
	struct font_builder b;
	struct psf_font font;

	build_small(&b, true);
	b.len = SMALL_BITMAPS;
	put(&b, entries, len);
	return parse_copy(b.buf, b.len, &font);
}

#define TABLE(...)                                                                                 \
	with_table((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void test_bad_unicode(void **state)
{
	/* Well formed, as a baseline: three entries, one of them empty. */
	assert_int_equal(TABLE('a', 0xff, 0xff, 0xc3, 0xa9, 0xff), PSF_OK);
	/* Fewer entries than glyphs. */
	assert_int_equal(TABLE('a', 0xff, 'b', 0xff), PSF_BAD_UNICODE);
	assert_int_equal(TABLE(0xff, 0xff), PSF_BAD_UNICODE);
	assert_int_equal(TABLE('a', 0xff, 'b', 0xff, 'c'), PSF_BAD_UNICODE); /* last one unended */
	assert_int_equal(with_table("", 0), PSF_BAD_UNICODE);                /* no table at all */
	/* Bad UTF-8 in an entry. */
	assert_int_equal(TABLE(0x80, 0xff, 0xff, 0xff), PSF_BAD_UNICODE); /* stray continuation */
	assert_int_equal(TABLE(0xbf, 0xff, 0xff, 0xff), PSF_BAD_UNICODE);
	assert_int_equal(TABLE(0xc0, 0x80, 0xff, 0xff, 0xff), PSF_BAD_UNICODE); /* overlong NUL */
	assert_int_equal(TABLE(0xc1, 0xbf, 0xff, 0xff, 0xff), PSF_BAD_UNICODE); /* overlong */
	assert_int_equal(TABLE(0xe0, 0x80, 0x80, 0xff, 0xff, 0xff), PSF_BAD_UNICODE);
	assert_int_equal(TABLE(0xf0, 0x80, 0x80, 0x80, 0xff, 0xff, 0xff), PSF_BAD_UNICODE);
	assert_int_equal(TABLE(0xed, 0xa0, 0x80, 0xff, 0xff, 0xff), PSF_BAD_UNICODE); /* U+D800 */
	assert_int_equal(TABLE(0xf4, 0x90, 0x80, 0x80, 0xff, 0xff, 0xff),
			 PSF_BAD_UNICODE); /* U+110000 */
	assert_int_equal(TABLE(0xf5, 0x80, 0x80, 0x80, 0xff, 0xff, 0xff), PSF_BAD_UNICODE);
	assert_int_equal(TABLE(0xf8, 0x88, 0x80, 0x80, 0x80, 0xff, 0xff, 0xff), PSF_BAD_UNICODE);
	assert_int_equal(TABLE(0xc3, 0x41, 0xff, 0xff, 0xff),
			 PSF_BAD_UNICODE);                                /* bad continuation */
	assert_int_equal(TABLE(0xc3, 0xff, 0xff, 0xff), PSF_BAD_UNICODE); /* cut by the end mark */
	assert_int_equal(TABLE(0xe2, 0x82, 0xfe, 0xff, 0xff, 0xff), PSF_BAD_UNICODE);
	assert_int_equal(TABLE(0xff, 0xff, 0xe2, 0x82),
			 PSF_BAD_UNICODE); /* cut by the file's end */
	/* Bad UTF-8 inside a combining sequence, and in a later entry. */
	assert_int_equal(TABLE('a', 0xfe, 'e', 0x80, 0xff, 0xff, 0xff), PSF_BAD_UNICODE);
	assert_int_equal(TABLE('a', 0xff, 'b', 0xff, 0xed, 0xbf, 0xbf, 0xff), PSF_BAD_UNICODE);
	/* The edges that are valid: U+007F, U+0080, U+07FF, U+0800, U+FFFF, U+10000, U+10FFFF. */
	assert_int_equal(TABLE(0x7f, 0xc2, 0x80, 0xdf, 0xbf, 0xff, 0xe0, 0xa0, 0x80, 0xef, 0xbf,
			       0xbf, 0xff, 0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf, 0xff),
			 PSF_OK);
	/* Empty and repeated sequences are allowed. */
	assert_int_equal(TABLE(0xfe, 0xff, 'a', 0xfe, 0xfe, 'b', 0xff, 0xff), PSF_OK);
}

static void test_result_names(void **state)
{
	for (int i = 0; i < PSF_RESULT_COUNT; i++) {
		const char *name = psf_result_name((enum psf_result)i);
		assert_non_null(name);
		assert_string_not_equal(name, "?");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(name, psf_result_name((enum psf_result)j));
	}
	assert_string_equal(psf_result_name(PSF_RESULT_COUNT), "?");
}

/* --- fuzzing --- */

/* A parsed font over BUF (N bytes): everything psf_glyph() can return lies inside BUF. */
static void check_font_inside(const struct psf_font *font, const uint8_t *buf, size_t n,
			      struct test_rng *rng)
{
	const uint8_t *end = buf + n;

	assert_true(font->width >= 1 && font->width <= PSF_MAX_WIDTH);
	assert_true(font->height >= 1 && font->height <= PSF_MAX_HEIGHT);
	assert_true(font->count >= 1 && font->count <= PSF_MAX_GLYPHS);
	assert_true(font->glyphs >= buf + 32);
	assert_true((size_t)(end - font->glyphs) >= (size_t)font->count * font->bytes_per_glyph);
	if (font->table != NULL) {
		assert_true(font->table >= font->glyphs && font->table <= end);
		assert_true(font->table_size <= (size_t)(end - font->table));
	}
	/* Every code point below 256 (the lookup table), a few known and random ones above. */
	static const uint32_t high[] = {0x391, 0x410, 0x2500, 0x1f600, 0x10ffff};
	for (uint32_t i = 0; i < 256 + 5 + 3; i++) {
		uint32_t cp = i < 256 ? i : i < 261 ? high[i - 256] : (uint32_t)test_rng_next(rng);
		const uint8_t *g = psf_glyph(font, cp);
		assert_true(g >= font->glyphs && g + font->bytes_per_glyph <= end);
		assert_int_equal((size_t)(g - font->glyphs) % font->bytes_per_glyph, 0);
		/* ASan checks the glyph's first and last byte, and so all of it. */
		g_sink += g[0] + g[font->bytes_per_glyph - 1];
		g_sink += (unsigned)psf_pixel(font, g, font->width - 1, font->height - 1);
	}
}

static void test_fuzz_truncations(void **state)
{
	struct test_rng rng = test_rng_seeded("psf truncations");
	struct psf_font font;

	load_real_font();
	size_t table = 32 + 256 * 36;
	for (size_t n = 0; n <= g_font_size; n++) {
		uint8_t *p = exact_copy(g_font, n);
		enum psf_result r = psf_parse(p, n, &font);
		enum psf_result want = n < 32            ? PSF_TOO_SMALL
				       : n < table       ? PSF_TRUNCATED
				       : n < g_font_size ? PSF_BAD_UNICODE
							 : PSF_OK;
		if (r != want)
			fail_msg("%zu of %zu bytes: %s, expected %s", n, g_font_size,
				 psf_result_name(r), psf_result_name(want));
		if (r == PSF_OK)
			check_font_inside(&font, p, n, &rng);
		free(p);
	}
}

static void test_fuzz_flips(void **state)
{
	struct test_rng rng = test_rng_seeded("psf flips");
	unsigned by_result[PSF_RESULT_COUNT] = {0};
	struct psf_font font;

	load_real_font();
	size_t table = 32 + 256 * 36;
	for (unsigned round = 0; round < 20000; round++) {
		size_t n = g_font_size;
		if (test_rng_below(&rng, 4) == 0)
			n = (size_t)test_rng_below(&rng, g_font_size + 1);
		uint8_t *p = exact_copy(g_font, n);
		unsigned flips = 1 + (unsigned)test_rng_below(&rng, 8);
		for (unsigned i = 0; i < flips && n != 0; i++) {
			/* Aim at the parts that decide: the header, the table, anywhere. */
			size_t at;
			switch (test_rng_below(&rng, 3)) {
			case 0:
				at = (size_t)test_rng_below(&rng, 32);
				break;
			case 1:
				at = table + (size_t)test_rng_below(&rng, g_font_size - table);
				break;
			default:
				at = (size_t)test_rng_below(&rng, n);
				break;
			}
			if (at >= n)
				continue;
			if (test_rng_below(&rng, 2) == 0)
				p[at] ^= (uint8_t)(1u << test_rng_below(&rng, 8));
			else
				p[at] = (uint8_t)test_rng_next(&rng);
		}
		enum psf_result r = psf_parse(p, n, &font);
		assert_true((unsigned)r < PSF_RESULT_COUNT);
		by_result[r]++;
		if (r == PSF_OK)
			check_font_inside(&font, p, n, &rng);
		free(p);
	}
	for (int i = 0; i < PSF_RESULT_COUNT; i++)
		printf("# psf flips: %-26s %u\n", psf_result_name((enum psf_result)i),
		       by_result[i]);
	/* The damage reached every check at least once, and some fonts survived it. */
	assert_true(by_result[PSF_OK] > 0);
	assert_true(by_result[PSF_BAD_MAGIC] > 0);
	assert_true(by_result[PSF_BAD_HEADER] > 0);
	assert_true(by_result[PSF_BAD_GEOMETRY] > 0);
	assert_true(by_result[PSF_TRUNCATED] > 0);
	assert_true(by_result[PSF_BAD_UNICODE] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_font_geometry),
	    cmocka_unit_test(test_real_font_letters),
	    cmocka_unit_test(test_real_font_unicode),
	    cmocka_unit_test(test_small_font),
	    cmocka_unit_test(test_small_font_variants),
	    cmocka_unit_test(test_small_font_truncations),
	    cmocka_unit_test(test_bad_headers),
	    cmocka_unit_test(test_bad_unicode),
	    cmocka_unit_test(test_result_names),
	    cmocka_unit_test(test_fuzz_truncations),
	    cmocka_unit_test(test_fuzz_flips),
	};
	int failed = cmocka_run_group_tests_name("psf", tests, NULL, NULL);
	free(g_font);
	return failed;
}
