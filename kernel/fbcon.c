/*
 * The framebuffer console; see fbcon.h for the model.
 *
 * Drawing writes every pixel of a cell (foreground and background), so a cell never needs
 * clearing before a glyph. The cursor may stand at col == cols after the last cell of a line: the
 * wrap happens when the next glyph comes, so a line of exactly `cols` characters followed by a
 * newline does not leave an empty line. Rows of pixels below the last whole text line, and the
 * padding past `width` in each scan line, stay background.
 */
#include "kernel/fbcon.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/font.h"
#include "kernel/lib/kerr.h"
#include "kernel/lib/log.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area.h"
#include "kernel/memory/vm_space.h"
#include "kernel/panic.h"

#define TAB_CELLS 8u

/* The colours, as {r, g, b}: light grey on a dark blue-grey (red and blue differ on purpose, so a
 * swapped pixel order shows). */
static const uint8_t FG_RGB[3] = {0xc8, 0xc8, 0xc8};
static const uint8_t BG_RGB[3] = {0x10, 0x18, 0x28};

/* The console. Not locked (fbcon.h); [i] set by fbcon_init() only. */
static struct {
	struct vm_area *area;   /* [i] the framebuffer's area: one reference, never dropped */
	uint32_t *pixels;       /* [i] the kernel's mapping, NULL when not mapped */
	vaddr_t base;           /* [i] */
	uint32_t width, height; /* [i] */
	uint32_t stride;        /* [i] pixels per scan line */
	uint32_t cols, rows;    /* [i] */
	uint32_t fg, bg;        /* [i] */
	struct psf_font font;   /* [i] */
	uint32_t col, row;      /* the cursor */
	uint32_t utf8_cp;       /* the code point being decoded */
	uint32_t utf8_need;     /* continuation bytes still expected */
	bool drawing;           /* set up and not handed over */
	bool busy;              /* inside fbcon_write() */
	struct fbcon_stats stats;
} con;

static uint32_t pixel_value(uint32_t format, const uint8_t rgb[3])
{
	if (format == QUIRE_FB_RGBX8)
		return (uint32_t)rgb[0] | (uint32_t)rgb[1] << 8 | (uint32_t)rgb[2] << 16;
	return (uint32_t)rgb[2] | (uint32_t)rgb[1] << 8 | (uint32_t)rgb[0] << 16;
}

/* Stores V into N pixels from P: one `rep stosl`. */
static void fill32(uint32_t *p, uint32_t v, size_t n)
{
	__asm__ volatile("rep stosl" : "+D"(p), "+c"(n) : "a"(v) : "memory");
}

static uint32_t *line_start(uint32_t text_row)
{
	return con.pixels + (size_t)text_row * con.font.height * con.stride;
}

/* Draws the glyph of CP into cell (COL, ROW). */
static void draw_glyph(uint32_t col, uint32_t row, uint32_t cp)
{
	const uint8_t *g = psf_glyph(&con.font, cp);
	uint32_t *p = line_start(row) + (size_t)col * con.font.width;

	for (uint32_t y = 0; y < con.font.height; y++, p += con.stride) {
		const uint8_t *bits = g + y * con.font.bytes_per_row;
		for (uint32_t x = 0; x < con.font.width; x++)
			p[x] = (bits[x / 8] >> (7 - x % 8)) & 1 ? con.fg : con.bg;
	}
}

/*
 * Copies N pixels from SRC down to DST (DST below SRC; the ranges may overlap) with `rep movsq`,
 * 8 bytes a step: a forward copy is right for a move towards lower addresses. memmove() would do
 * (its forward case is `rep movsb`), but under QEMU's TCG a string instruction costs per
 * iteration: 8 bytes a step made a scroll of 1280x800 six times faster (10.5 ms -> 1.8 ms).
 */
static void move_down(uint32_t *dst, const uint32_t *src, size_t n)
{
	size_t quads = n / 2;

	__asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(quads) : : "memory");
	if (n % 2 != 0)
		*dst = *src;
}

/* Moves every text line but the first up by one and clears the last. */
static void scroll(void)
{
	size_t line = (size_t)con.font.height * con.stride; /* pixels in one text line */

	move_down(con.pixels, con.pixels + line, (con.rows - 1) * line);
	fill32(line_start(con.rows - 1), con.bg, line);
	con.stats.scrolls++;
}

static void newline(void)
{
	con.col = 0;
	if (con.row + 1 < con.rows)
		con.row++;
	else
		scroll();
}

static void put_code_point(uint32_t cp)
{
	switch (cp) {
	case '\n':
		newline();
		return;
	case '\r':
		con.col = 0;
		return;
	case '\t':
		con.col = (con.col / TAB_CELLS + 1) * TAB_CELLS;
		if (con.col > con.cols)
			con.col = con.cols;
		return;
	case '\b':
		if (con.col > 0)
			con.col--;
		return;
	default:
		break;
	}
	if (cp < 0x20 || cp == 0x7f)
		return; /* other control characters draw nothing */
	if (con.col >= con.cols)
		newline();
	draw_glyph(con.col, con.row, cp);
	con.col++;
}

/*
 * UTF-8 without the checks psf.c makes of its table: a malformed sequence draws as the fallback
 * glyph ('?'), and the byte that broke it starts afresh.
 */
static void put_byte(uint8_t b)
{
	if (con.utf8_need > 0) {
		if ((b & 0xc0) == 0x80) {
			con.utf8_cp = con.utf8_cp << 6 | (b & 0x3f);
			if (--con.utf8_need == 0)
				put_code_point(con.utf8_cp);
			return;
		}
		con.utf8_need = 0;
		put_code_point('?');
	}
	if (b < 0x80)
		put_code_point(b);
	else if ((b & 0xe0) == 0xc0)
		con.utf8_cp = b & 0x1f, con.utf8_need = 1;
	else if ((b & 0xf0) == 0xe0)
		con.utf8_cp = b & 0x0f, con.utf8_need = 2;
	else if ((b & 0xf8) == 0xf0)
		con.utf8_cp = b & 0x07, con.utf8_need = 3;
	else
		put_code_point('?');
}

void fbcon_write(const char *s, size_t len)
{
	if (!con.drawing || con.busy)
		return;
	con.busy = true;
	uint64_t start = cpu_rdtsc();
	for (size_t i = 0; i < len; i++)
		put_byte((uint8_t)s[i]);
	con.stats.bytes += len;
	con.stats.tsc_ticks += cpu_rdtsc() - start;
	con.busy = false;
}

/* The area over the framebuffer, or NULL (logged) when there is none user space could use. */
static struct vm_area *create_area(const struct quire_framebuffer *fb)
{
	struct vm_area *area;

	if (fb->format == QUIRE_FB_NONE || fb->size == 0) {
		log_info("fbcon: no framebuffer: the console is on serial only");
		return NULL;
	}
	if (fb->format != QUIRE_FB_RGBX8 && fb->format != QUIRE_FB_BGRX8) {
		log_warn("fbcon: pixel format %u is not drawn (only RGBX8 and BGRX8 are)",
			 fb->format);
		return NULL;
	}
	if (fb->base % PAGE_SIZE != 0) {
		log_warn("fbcon: framebuffer at 0x%llx is not page aligned",
			 (unsigned long long)fb->base);
		return NULL;
	}
	/* Rounded up without overflow (boot_info_validate() bounds base + size already). */
	uint64_t pages = fb->size / PAGE_SIZE + (fb->size % PAGE_SIZE != 0);
	kerr_t err = vm_area_create_fixed(fb->base, pages, VM_PROT_READ | VM_PROT_WRITE,
					  CACHE_WRITE_COMBINING, &area);
	if (err != KERR_OK) {
		log_warn("fbcon: no framebuffer area: %s", kerr_name(err));
		return NULL;
	}
	return area;
}

/* Maps the whole area into the kernel space with every PTE present: drawing never faults. */
static kerr_t map_area(struct vm_area *area, vaddr_t *base)
{
	struct vm_space *k = vm_space_kernel();

	TRY(vm_space_map(k, area, 0, VM_MAP_ANYWHERE, area->pages, VM_PROT_READ | VM_PROT_WRITE,
			 base));
	kerr_t err = vm_space_populate(k, *base, area->pages);
	if (err != KERR_OK) {
		kerr_t undo = vm_space_unmap(k, *base);
		kassert(undo == KERR_OK);
	}
	return err;
}

void fbcon_init(const struct quire_boot_info *bi)
{
	const struct quire_framebuffer *fb = &bi->framebuffer;
	vaddr_t base;

	con.area = create_area(fb);
	if (con.area == NULL)
		return;
	enum psf_result font = psf_parse(font_psf_start, font_psf_size(), &con.font);
	if (font != PSF_OK) {
		log_error("fbcon: the embedded font: %s", psf_result_name(font));
		return;
	}
	if (fb->width < con.font.width || fb->height < con.font.height ||
	    fb->pixels_per_scan_line < fb->width ||
	    (uint64_t)fb->pixels_per_scan_line * fb->height > fb->size / 4) {
		log_warn("fbcon: framebuffer %ux%u, stride %u, %llu bytes: nothing to draw on",
			 fb->width, fb->height, fb->pixels_per_scan_line,
			 (unsigned long long)fb->size);
		return;
	}
	kerr_t err = map_area(con.area, &base);
	if (err != KERR_OK) {
		log_warn("fbcon: cannot map the framebuffer: %s", kerr_name(err));
		return;
	}
	con.pixels = (uint32_t *)base;
	con.base = base;
	con.width = fb->width;
	con.height = fb->height;
	con.stride = fb->pixels_per_scan_line;
	con.cols = fb->width / con.font.width;
	con.rows = fb->height / con.font.height;
	con.fg = pixel_value(fb->format, FG_RGB);
	con.bg = pixel_value(fb->format, BG_RGB);
	fill32(con.pixels, con.bg, (size_t)con.stride * con.height);
	con.drawing = true;
	log_info("fbcon: %ux%u, %u x %u cells of %ux%u, write-combining at 0x%llx", con.width,
		 con.height, con.cols, con.rows, con.font.width, con.font.height,
		 (unsigned long long)base);
}

struct vm_area *fbcon_area(void)
{
	return con.area;
}

bool fbcon_hand_over_due(const struct vm_area *console, const struct vm_area *mapped)
{
	return console != NULL && mapped == console;
}

void fbcon_user_mapped(struct vm_area *area)
{
	if (!con.drawing || !fbcon_hand_over_due(con.area, area))
		return;
	con.drawing = false;
	log_info("fbcon: user space has the display; the console continues on serial only");
}

bool fbcon_drawing(void)
{
	return con.drawing;
}

bool fbcon_get_view(struct fbcon_view *out)
{
	if (con.pixels == NULL)
		return false;
	*out = (struct fbcon_view){.pixels = con.pixels,
				   .base = con.base,
				   .pages = con.area->pages,
				   .width = con.width,
				   .height = con.height,
				   .stride = con.stride,
				   .cols = con.cols,
				   .rows = con.rows,
				   .col = con.col,
				   .row = con.row,
				   .fg = con.fg,
				   .bg = con.bg,
				   .font = &con.font};
	return true;
}

void fbcon_get_stats(struct fbcon_stats *out)
{
	*out = con.stats;
}
