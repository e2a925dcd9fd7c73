/*
 * GOP mode selection. The firmware's current mode is the default: it is what the firmware judged
 * right for the display, and changing modes costs time and a blank screen. `video=WxH` asks for
 * an exact size; among several modes of that size the first with a linear framebuffer wins. A
 * request that cannot be met is reported and the current mode kept, so a typo never costs the
 * boot. The GOP on the console handle is preferred (what the firmware draws its console on); any
 * GOP in the system is the fallback.
 */
#include "bootloader/gop.h"

#include <efilib.h>

#include "bootloader/cmdline.h"
#include "bootloader/console.h"

static EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;

static EFI_GRAPHICS_OUTPUT_PROTOCOL *find_gop(void)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;

	if (ST->ConsoleOutHandle != NULL &&
	    BS->HandleProtocol(ST->ConsoleOutHandle, &gop_guid, (void **)&gop) == EFI_SUCCESS &&
	    gop != NULL)
		return gop;
	if (BS->LocateProtocol(&gop_guid, NULL, (void **)&gop) == EFI_SUCCESS)
		return gop;
	return NULL;
}

/* The first mode of exactly width x height, preferring one with a framebuffer; -1 for none. */
static INT64 find_mode(EFI_GRAPHICS_OUTPUT_PROTOCOL *gop, uint32_t width, uint32_t height)
{
	INT64 found = -1;

	for (UINT32 mode = 0; mode < gop->Mode->MaxMode; mode++) {
		EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi;
		UINTN size;

		if (gop->QueryMode(gop, mode, &size, &mi) != EFI_SUCCESS)
			continue;
		int match = mi->HorizontalResolution == width && mi->VerticalResolution == height;
		int linear = mi->PixelFormat != PixelBltOnly;
		BS->FreePool(mi);
		if (match && linear)
			return mode;
		if (match && found < 0)
			found = mode;
	}
	return found;
}

static void apply_video_request(EFI_GRAPHICS_OUTPUT_PROTOCOL *gop, const char *cmdline)
{
	uint32_t width, height;
	enum cmdline_result r = cmdline_video(cmdline, &width, &height);

	if (r == CMDLINE_ABSENT)
		return;
	if (r == CMDLINE_MALFORMED) {
		console_warn("video=: expected video=WIDTHxHEIGHT; keeping the current mode");
		return;
	}
	INT64 mode = find_mode(gop, width, height);
	if (mode < 0) {
		console_warn("video=%ux%u: no such GOP mode; keeping the current mode", width,
			     height);
		return;
	}
	if (mode == gop->Mode->Mode)
		return;
	EFI_STATUS status = gop->SetMode(gop, (UINT32)mode);
	if (EFI_ERROR(status))
		console_warn(
		    "video=%ux%u: setting GOP mode %lld failed (%s); keeping the current mode",
		    width, height, (long long)mode, console_status(status));
}

static void set_masks(struct quire_framebuffer *fb, uint32_t r, uint32_t g, uint32_t b, uint32_t x)
{
	fb->red_mask = r;
	fb->green_mask = g;
	fb->blue_mask = b;
	fb->reserved_mask = x;
}

/* Pixel format and masks; 0 when the mode has no framebuffer Quire can draw on. */
static int describe_pixels(const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi,
			   struct quire_framebuffer *fb)
{
	const EFI_PIXEL_BITMASK *m = &mi->PixelInformation;

	switch (mi->PixelFormat) {
	case PixelRedGreenBlueReserved8BitPerColor:
		fb->format = QUIRE_FB_RGBX8;
		set_masks(fb, 0x000000ff, 0x0000ff00, 0x00ff0000, 0xff000000);
		return 1;
	case PixelBlueGreenRedReserved8BitPerColor:
		fb->format = QUIRE_FB_BGRX8;
		set_masks(fb, 0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000);
		return 1;
	case PixelBitMask:
		/* Quire draws 32-bit pixels; the highest mask bit gives the pixel size. */
		if ((m->RedMask | m->GreenMask | m->BlueMask | m->ReservedMask) < (1u << 24)) {
			console_warn(
			    "framebuffer: bitmask pixels narrower than 32 bits unsupported");
			return 0;
		}
		fb->format = QUIRE_FB_BITMASK;
		set_masks(fb, m->RedMask, m->GreenMask, m->BlueMask, m->ReservedMask);
		return 1;
	default:
		console_warn("framebuffer: GOP mode %u is blit-only (no linear framebuffer)",
			     fb->gop_mode);
		return 0;
	}
}

static const char *const format_names[] = {
    [QUIRE_FB_NONE] = "none",
    [QUIRE_FB_RGBX8] = "RGBX8",
    [QUIRE_FB_BGRX8] = "BGRX8",
    [QUIRE_FB_BITMASK] = "bitmask",
};

/* Fills `fb` from the current mode; a mode without a usable framebuffer leaves it all zero but
 * gop_mode, format QUIRE_FB_NONE. */
static void describe(EFI_GRAPHICS_OUTPUT_PROTOCOL *gop, struct quire_framebuffer *fb)
{
	const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi = gop->Mode->Info;
	uint64_t needed = (uint64_t)mi->VerticalResolution * mi->PixelsPerScanLine * 4;

	*fb = (struct quire_framebuffer){.gop_mode = gop->Mode->Mode};
	if (!describe_pixels(mi, fb))
		return;
	if (gop->Mode->FrameBufferSize < needed ||
	    mi->PixelsPerScanLine < mi->HorizontalResolution) {
		console_warn("framebuffer: %llu bytes for %ux%u pixels (stride %u) is inconsistent",
			     (unsigned long long)gop->Mode->FrameBufferSize,
			     mi->HorizontalResolution, mi->VerticalResolution,
			     mi->PixelsPerScanLine);
		*fb = (struct quire_framebuffer){.gop_mode = gop->Mode->Mode};
		return;
	}
	fb->base = gop->Mode->FrameBufferBase;
	fb->size = gop->Mode->FrameBufferSize;
	fb->width = mi->HorizontalResolution;
	fb->height = mi->VerticalResolution;
	fb->pixels_per_scan_line = mi->PixelsPerScanLine;
}

EFI_STATUS gop_setup(const char *cmdline, struct quire_framebuffer *fb)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = find_gop();

	if (gop == NULL)
		return console_error(EFI_UNSUPPORTED,
				     "no graphics output (GOP): Quire needs a framebuffer");
	apply_video_request(gop, cmdline);
	describe(gop, fb);
	console_info("framebuffer: GOP mode %u of %u, %ux%u, stride %u pixels, %s, %llu KiB at "
		     "0x%llx",
		     fb->gop_mode, gop->Mode->MaxMode, fb->width, fb->height,
		     fb->pixels_per_scan_line, format_names[fb->format],
		     (unsigned long long)fb->size / 1024, (unsigned long long)fb->base);
	return EFI_SUCCESS;
}
