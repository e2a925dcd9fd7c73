/*
 * render-scene: the reference picture of the screenshot tests, rendered on the host by the same
 * drawing code user/draw runs (user/gfx/, kernel/lib/psf.c and the same font, user/gfx/font.S).
 *
 * Usage: render-scene WIDTHxHEIGHT OUT.ppm
 *
 * Draws gfx_draw_scene() on a WIDTH x HEIGHT BGRX surface (the order of the framebuffer OVMF
 * gives on QEMU's standard VGA) and writes it as QEMU 7.2's screendump writes the screen: a
 * binary PPM, the header "P6\n<width> <height>\n255\n", then every row from the top, each pixel
 * as its red, green and blue bytes. Exit status 0, or 1 with a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/lib/psf.h"
#include "user/gfx/font.h"
#include "user/gfx/gfx.h"
#include "user/gfx/scene.h"

#define DIMENSION_MAX 16384u

static int usage(void)
{
	fprintf(stderr, "usage: render-scene WIDTHxHEIGHT OUT.ppm\n");
	return 1;
}

static int parse_size(const char *text, uint32_t *w, uint32_t *h)
{
	char *end;
	unsigned long a, b;

	errno = 0;
	a = strtoul(text, &end, 10);
	if (end == text || *end != 'x' || errno != 0)
		return 0;
	text = end + 1;
	b = strtoul(text, &end, 10);
	if (end == text || *end != '\0' || errno != 0)
		return 0;
	if (a == 0 || b == 0 || a > DIMENSION_MAX || b > DIMENSION_MAX)
		return 0;
	*w = (uint32_t)a;
	*h = (uint32_t)b;
	return 1;
}

static int write_ppm(const char *path, const struct gfx_surface *s)
{
	FILE *f = fopen(path, "wb");
	unsigned char *line = malloc((size_t)s->width * 3);
	int ok = f != NULL && line != NULL;

	if (ok)
		ok = fprintf(f, "P6\n%u %u\n255\n", s->width, s->height) > 0;
	for (uint32_t y = 0; ok && y < s->height; y++) {
		for (uint32_t x = 0; x < s->width; x++) {
			uint32_t rgb = gfx_get_pixel(s, (int32_t)x, (int32_t)y);
			line[3 * x] = (unsigned char)(rgb >> 16);
			line[3 * x + 1] = (unsigned char)(rgb >> 8);
			line[3 * x + 2] = (unsigned char)rgb;
		}
		ok = fwrite(line, 3, s->width, f) == s->width;
	}
	free(line);
	if (f != NULL && fclose(f) != 0)
		ok = 0;
	if (!ok)
		fprintf(stderr, "render-scene: writing %s: %s\n", path, strerror(errno));
	return ok;
}

int main(int argc, char **argv)
{
	struct gfx_surface s = {.format = GFX_FORMAT_BGRX};
	struct psf_font font;

	if (argc != 3 || !parse_size(argv[1], &s.width, &s.height))
		return usage();
	enum psf_result r = psf_parse(gfx_font_psf, gfx_font_psf_size, &font);
	if (r != PSF_OK) {
		fprintf(stderr, "render-scene: the built-in font: %s\n", psf_result_name(r));
		return 1;
	}
	s.stride = s.width;
	s.pixels = calloc((size_t)s.width * s.height, sizeof(uint32_t));
	if (s.pixels == NULL) {
		fprintf(stderr, "render-scene: out of memory\n");
		return 1;
	}
	gfx_draw_scene(&s, &font);
	int ok = write_ppm(argv[2], &s);
	free(s.pixels);
	return ok ? 0 : 1;
}
