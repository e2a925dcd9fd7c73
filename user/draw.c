/*
 * draw: shows the test scene on the framebuffer, then an animation (docs/framebuffer.md).
 *
 *   draw --fb=W,H,STRIDE,FORMAT [--scene-only | --frames=N | --bench]
 *
 * init starts it (by default, or with run=draw[:ARG...]) with a handle to the framebuffer's area
 * as its first passed handle and the geometry as --fb= (FORMAT is enum quire_pixel_format).
 * draw maps the area with vma_map, draws the scene (user/gfx/scene.h) straight into it and logs
 * "draw: scene ready WxH". Then:
 *   --scene-only  the picture stays as it is, forever (the screenshot tests take it);
 *   (default)     after two seconds the animation runs forever, each frame drawn in a back buffer
 *                 (an open area from vma_create_map) and copied to the framebuffer;
 *   --frames=N    the same, but it exits with status 0 after N frames;
 *   --bench       instead of the scene: the guest instructions one full-screen copy from the back
 *                 buffer costs (rdtsc between lfences; under QEMU's -icount shift=0 one TSC tick is
 *                 one instruction), the median of BENCH_ROUNDS copies, logged as
 *                 "draw: bench copy WxH: N instructions"; then it exits with status 0.
 * No framebuffer handle, a bad --fb=, an unknown option or a failed call: a message and status 1.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quire/startup.h"
#include "quire/syscalls.h"
#include "quire_runtime.h"
#include "user/gfx/font.h"
#include "user/gfx/gfx.h"
#include "user/gfx/scene.h"

_Static_assert(GFX_FORMAT_RGBX == QUIRE_PIXEL_RGBX && GFX_FORMAT_BGRX == QUIRE_PIXEL_BGRX,
	       "gfx formats are quire_pixel_format values");

#define MS             1000000ull /* nanoseconds */
#define SCENE_HOLD_NS  (2000 * MS)
#define FRAME_PAUSE_NS (10 * MS) /* between frames: the animation leaves the CPU to others */
#define BENCH_ROUNDS   15
#define DIMENSION_MAX  16384u /* pixels: a sanity bound for --fb= */
#define FB_ARG         "--fb="
#define FRAMES_ARG     "--frames="

struct options {
	struct gfx_surface screen; /* from --fb=, pixels still NULL */
	bool have_fb;
	bool scene_only;
	bool bench;
	uint64_t frames; /* 0: forever */
};

/* Parses the unsigned decimal at *P up to a character in ENDS (or NUL); false when malformed. */
static bool parse_number(const char **p, const char *ends, uint64_t max, uint64_t *out)
{
	char *end;

	if (**p < '0' || **p > '9')
		return false;
	unsigned long long v = strtoull(*p, &end, 10);
	if (v > max || (*end != '\0' && strchr(ends, *end) == NULL))
		return false;
	*out = v;
	*p = end;
	return true;
}

/* --fb=W,H,STRIDE,FORMAT into O's screen; false when malformed or implausible. */
static bool parse_fb(const char *text, struct options *o)
{
	uint64_t v[4];

	for (int i = 0; i < 4; i++) {
		if (!parse_number(&text, i < 3 ? "," : "", DIMENSION_MAX, &v[i]))
			return false;
		if (i < 3 && *text++ != ',')
			return false;
	}
	if (v[0] == 0 || v[1] == 0 || v[2] < v[0] ||
	    (v[3] != QUIRE_PIXEL_RGBX && v[3] != QUIRE_PIXEL_BGRX))
		return false;
	o->screen = (struct gfx_surface){.width = (uint32_t)v[0],
					 .height = (uint32_t)v[1],
					 .stride = (uint32_t)v[2],
					 .format = (uint32_t)v[3]};
	return true;
}

static bool parse_options(int argc, char **argv, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, FB_ARG, strlen(FB_ARG)) == 0) {
			if (!parse_fb(a + strlen(FB_ARG), o)) {
				fprintf(stderr, "draw: bad %s (expected %sW,H,STRIDE,FORMAT)\n", a,
					FB_ARG);
				return false;
			}
			o->have_fb = true;
		} else if (strcmp(a, "--scene-only") == 0) {
			o->scene_only = true;
		} else if (strcmp(a, "--bench") == 0) {
			o->bench = true;
		} else if (strncmp(a, FRAMES_ARG, strlen(FRAMES_ARG)) == 0) {
			const char *n = a + strlen(FRAMES_ARG);
			if (!parse_number(&n, "", UINT32_MAX, &o->frames) || o->frames == 0) {
				fprintf(stderr, "draw: bad %s (expected %sN, N >= 1)\n", a,
					FRAMES_ARG);
				return false;
			}
		} else {
			fprintf(stderr, "draw: unknown argument %s\n", a);
			return false;
		}
	}
	if (!o->have_fb) {
		fprintf(stderr, "draw: no %s argument: start me from init\n", FB_ARG);
		return false;
	}
	return true;
}

/* Maps the framebuffer area FB into this process as O's screen. */
static bool map_screen(quire_handle_t fb, struct options *o)
{
	uint64_t addr = 0;

	long err = quire_vma_map(fb, quire_self(), &addr, QUIRE_VMA_READ | QUIRE_VMA_WRITE);
	if (err != 0) {
		fprintf(stderr, "draw: mapping the framebuffer: %s\n", quire_error_name((int)-err));
		return false;
	}
	o->screen.pixels = (uint32_t *)(uintptr_t)addr;
	return true;
}

/* A back buffer the size of SCREEN (without its padding) in an open area of its own. */
static bool make_back_buffer(const struct gfx_surface *screen, struct gfx_surface *back)
{
	uint64_t addr = 0, size = (uint64_t)screen->width * screen->height * sizeof(uint32_t);
	quire_handle_t h;

	long err = quire_vma_create_map(size, &addr, QUIRE_VMA_READ | QUIRE_VMA_WRITE, &h);
	if (err != 0) {
		fprintf(stderr, "draw: no back buffer: %s\n", quire_error_name((int)-err));
		return false;
	}
	*back = *screen;
	back->pixels = (uint32_t *)(uintptr_t)addr;
	back->stride = screen->width;
	return true;
}

/* The TSC with every earlier instruction finished and no later one started. */
static inline uint64_t fenced_tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The median cost of one full-screen copy, less the median cost of an empty measurement. The
 * first copy, not measured, faults in every page of both buffers.
 */
static int bench(const struct gfx_surface *screen, const struct psf_font *font)
{
	struct gfx_surface back;
	uint64_t copy[BENCH_ROUNDS], empty[BENCH_ROUNDS];

	if (!make_back_buffer(screen, &back))
		return 1;
	gfx_draw_scene(&back, font);
	gfx_copy(screen, &back);
	for (int i = 0; i < BENCH_ROUNDS; i++) {
		uint64_t t0 = fenced_tsc();
		uint64_t t1 = fenced_tsc();
		gfx_copy(screen, &back);
		uint64_t t2 = fenced_tsc();
		empty[i] = t1 - t0;
		copy[i] = t2 - t1;
	}
	qsort(copy, BENCH_ROUNDS, sizeof(copy[0]), compare_u64);
	qsort(empty, BENCH_ROUNDS, sizeof(empty[0]), compare_u64);
	uint64_t median = copy[BENCH_ROUNDS / 2], overhead = empty[BENCH_ROUNDS / 2];
	printf("draw: bench copy %ux%u: %llu instructions\n", screen->width, screen->height,
	       (unsigned long long)(median > overhead ? median - overhead : 0));
	printf("draw: bench rounds %d, min %llu, max %llu, empty measurement %llu\n", BENCH_ROUNDS,
	       (unsigned long long)copy[0], (unsigned long long)copy[BENCH_ROUNDS - 1],
	       (unsigned long long)overhead);
	return 0;
}

/* The animation: FRAMES frames (0: forever), each drawn in a back buffer and copied. */
static int animate(const struct gfx_surface *screen, const struct psf_font *font, uint64_t frames)
{
	struct gfx_surface back;

	if (!make_back_buffer(screen, &back))
		return 1;
	for (uint64_t n = 0; frames == 0 || n < frames; n++) {
		gfx_draw_frame(&back, font, (uint32_t)n);
		gfx_copy(screen, &back);
		quire_sleep(FRAME_PAUSE_NS);
	}
	printf("draw: %llu frames shown\n", (unsigned long long)frames);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct psf_font font;

	if (!parse_options(argc, argv, &o))
		return 1;
	quire_handle_t fb = quire_startup_handle(QUIRE_STARTUP_PASSED, 0);
	if (fb == QUIRE_HANDLE_INVALID) {
		fprintf(stderr, "draw: no framebuffer handle: start me from init\n");
		return 1;
	}
	enum psf_result r = psf_parse(gfx_font_psf, gfx_font_psf_size, &font);
	if (r != PSF_OK) {
		fprintf(stderr, "draw: the built-in font: %s\n", psf_result_name(r));
		return 1;
	}
	if (!map_screen(fb, &o))
		return 1;
	if (o.bench)
		return bench(&o.screen, &font);
	gfx_draw_scene(&o.screen, &font);
	printf("draw: scene ready %ux%u\n", o.screen.width, o.screen.height);
	if (o.scene_only)
		for (;;)
			quire_sleep(1000 * MS);
	quire_sleep(SCENE_HOLD_NS);
	return animate(&o.screen, &font, o.frames);
}
