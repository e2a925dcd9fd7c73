/*
 * The console font embedded in the kernel image (kernel/font.S): a PSF2 file, as Debian ships it
 * (assets/fonts/README). Only the bounds are declared; kernel/lib/psf.h reads the bytes.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

extern const uint8_t font_psf_start[], font_psf_end[];

/* font_psf_size - the size of the embedded font file in bytes. */
static inline size_t font_psf_size(void)
{
	return (size_t)(font_psf_end - font_psf_start);
}
