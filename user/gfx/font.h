/*
 * The console font built into user/draw and the host tools: $(FONT_PSF) (assets/build.mk, a PSF2
 * font from Debian's console-setup; see assets/), embedded by user/gfx/font.S with .incbin.
 * Parse it with psf_parse(gfx_font_psf, gfx_font_psf_size, &font).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

extern const uint8_t gfx_font_psf[];
extern const uint64_t gfx_font_psf_size; /* bytes */
