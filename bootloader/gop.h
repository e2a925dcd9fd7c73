/*
 * The framebuffer: the Graphics Output Protocol's mode, chosen per the command line, described
 * in boot_info->framebuffer.
 */
#pragma once

#include <efi.h>

#include <quire/boot.h>

/* Keeps the firmware's mode unless `cmdline` has video=WxH and a mode of exactly that size
 * exists; fills `fb`. No GOP at all is an error (Quire draws on the framebuffer). */
EFI_STATUS gop_setup(const char *cmdline, struct quire_framebuffer *fb);
