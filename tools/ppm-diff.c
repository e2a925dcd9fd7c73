/*
 * ppm-diff: compares two binary PPM pictures pixel by pixel (the screenshot tests: a QEMU
 * screendump against the host rendering of tools/render-scene.c).
 *
 * Usage: ppm-diff EXPECTED.ppm ACTUAL.ppm
 *
 * Reads both (P6, maxval 255, header comments allowed) and prints one line of verdict: identical,
 * a size mismatch, or how many pixels differ, then for a difference the box that holds every
 * differing pixel and the first DETAILS of them, in row order, with both colours.
 * Exit status: 0 when both have the same size and every pixel is the same; 1 when they differ;
 * 2 when a file cannot be read or is not such a PPM.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DETAILS       10
#define DIMENSION_MAX 65536ul

struct picture {
	unsigned long width, height;
	unsigned char *rgb; /* width * height * 3 bytes */
};

/* Skips whitespace and '#' comments; false at the end of the file. */
static int skip_space(FILE *f)
{
	int c;

	while ((c = getc(f)) != EOF) {
		if (c == '#') {
			while ((c = getc(f)) != EOF && c != '\n')
				;
		} else if (!isspace(c)) {
			ungetc(c, f);
			return 1;
		}
	}
	return 0;
}

static int read_number(FILE *f, unsigned long *out)
{
	int c, digits = 0;
	unsigned long v = 0;

	if (!skip_space(f))
		return 0;
	while ((c = getc(f)) != EOF && isdigit(c) && v <= DIMENSION_MAX) {
		v = v * 10 + (unsigned long)(c - '0');
		digits++;
	}
	/* The one whitespace character after it is consumed: after maxval, the pixels follow. */
	if (c == EOF || !isspace(c) || digits == 0 || v > DIMENSION_MAX)
		return 0;
	*out = v;
	return 1;
}

/* Reads PATH into *P; 0 with a message when it cannot. */
static int read_ppm(const char *path, struct picture *p)
{
	FILE *f = fopen(path, "rb");
	unsigned long maxval;
	int ok = 0;

	if (f == NULL) {
		fprintf(stderr, "ppm-diff: %s: %s\n", path, strerror(errno));
		return 0;
	}
	if (getc(f) != 'P' || getc(f) != '6' || !read_number(f, &p->width) ||
	    !read_number(f, &p->height) || !read_number(f, &maxval)) {
		fprintf(stderr, "ppm-diff: %s: not a binary PPM (P6)\n", path);
	} else if (maxval != 255 || p->width == 0 || p->height == 0) {
		fprintf(stderr, "ppm-diff: %s: %lux%lu, maxval %lu: only 8-bit pictures\n", path,
			p->width, p->height, maxval);
	} else {
		size_t size = p->width * p->height * 3;
		p->rgb = malloc(size);
		if (p->rgb != NULL && fread(p->rgb, 1, size, f) == size)
			ok = 1;
		else
			fprintf(stderr, "ppm-diff: %s: shorter than %lux%lu pixels\n", path,
				p->width, p->height);
	}
	fclose(f);
	return ok;
}

static unsigned long colour(const struct picture *p, unsigned long i)
{
	const unsigned char *c = p->rgb + 3 * i;

	return (unsigned long)c[0] << 16 | (unsigned long)c[1] << 8 | c[2];
}

int main(int argc, char **argv)
{
	struct picture a = {0}, b = {0};
	unsigned long differ = 0, x0 = ~0ul, y0 = ~0ul, x1 = 0, y1 = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: ppm-diff EXPECTED.ppm ACTUAL.ppm\n");
		return 2;
	}
	if (!read_ppm(argv[1], &a) || !read_ppm(argv[2], &b))
		return 2;
	if (a.width != b.width || a.height != b.height) {
		printf("ppm-diff: sizes differ: %lux%lu expected, %lux%lu found\n", a.width,
		       a.height, b.width, b.height);
		return 1;
	}
	for (unsigned long i = 0; i < a.width * a.height; i++) {
		unsigned long ca = colour(&a, i), cb = colour(&b, i), x = i % a.width,
			      y = i / a.width;
		if (ca == cb)
			continue;
		if (differ < DETAILS)
			printf("  (%lu, %lu): expected #%06lx, found #%06lx\n", x, y, ca, cb);
		differ++;
		x0 = x < x0 ? x : x0;
		y0 = y < y0 ? y : y0;
		x1 = x > x1 ? x : x1;
		y1 = y > y1 ? y : y1;
	}
	if (differ == 0) {
		printf("ppm-diff: identical, %lux%lu\n", a.width, a.height);
		return 0;
	}
	printf("ppm-diff: %lu of %lu pixels differ, within (%lu, %lu)-(%lu, %lu)\n", differ,
	       a.width * a.height, x0, y0, x1, y1);
	return 1;
}
