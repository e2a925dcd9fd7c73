/*
 * The pictures user/draw shows: the still test scene the screenshot tests compare pixel by pixel
 * with a host rendering (tools/render-scene.c), and the frames of its animation.
 *
 * Both are functions of their arguments alone (the surface's size and order, the font, the frame
 * number): no clock, no randomness, no floating point, so the guest and the host draw the same
 * pixels. The layout is relative to the surface's size; it is meant for 640x480 and up (800x600,
 * 1024x768 and 1280x1024 are tested) and stays inside the surface at any size.
 */
#pragma once

#include <stdint.h>

#include "gfx.h"

/*
 * gfx_draw_scene - the test scene on all of S: a vertical gradient background, a one-pixel white
 * border on the screen's edge, a differently coloured square in each corner (red top left, green
 * top right, blue bottom left, white bottom right, each named) and an arrow pointing up, the
 * title and the resolution in FONT, red, green, blue and grey ramps, filled and outlined circles
 * and rectangles, a fan of lines, a one-pixel checkerboard, and a font sample.
 */
void gfx_draw_scene(const struct gfx_surface *s, const struct psf_font *font);

/*
 * gfx_draw_frame - frame FRAME of the animation on all of S: a background whose colours drift,
 * scrolling bars, a bouncing ball, a turning spoke and the frame number.
 */
void gfx_draw_frame(const struct gfx_surface *s, const struct psf_font *font, uint32_t frame);
