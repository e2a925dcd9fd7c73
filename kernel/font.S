/*
 * The console font, embedded read-only in the kernel image: $(FONT_PSF), the PSF2 file that
 * assets/build.mk decompresses from Debian's console-setup-linux (assets/fonts/README says which
 * font and under what licence). kernel/build.mk passes its path as QUIRE_FONT_PSF and makes this
 * object depend on it; fbcon.c parses the bytes with psf_parse() at boot (kernel/font.h).
 */
#ifndef QUIRE_FONT_PSF
#error "QUIRE_FONT_PSF must name the console font (kernel/build.mk passes it)"
#endif

	.section .rodata.font, "a"
	.balign 16
	.globl font_psf_start
	.globl font_psf_end
	.type font_psf_start, @object
font_psf_start:
	.incbin QUIRE_FONT_PSF
font_psf_end:
	.size font_psf_start, font_psf_end - font_psf_start
