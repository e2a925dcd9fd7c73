/*
 * The console font as data (user/gfx/font.h): QUIRE_FONT_PSF is the quoted path of the PSF2 file,
 * given with -D by the build (tools/build.mk). Assembled for user programs and for the host.
 */
#ifndef QUIRE_FONT_PSF
#error "QUIRE_FONT_PSF must name the font file"
#endif

	.section .rodata.gfx_font, "a"
	.balign 16
	.globl gfx_font_psf
	.type gfx_font_psf, @object
gfx_font_psf:
	.incbin QUIRE_FONT_PSF
gfx_font_psf_end:
	.size gfx_font_psf, gfx_font_psf_end - gfx_font_psf

	.balign 8
	.globl gfx_font_psf_size
	.type gfx_font_psf_size, @object
gfx_font_psf_size:
	.quad gfx_font_psf_end - gfx_font_psf
	.size gfx_font_psf_size, 8

	.section .note.GNU-stack, "", @progbits
