/*
 * Process start-up (ABI): what a new process finds when its first instruction runs.
 *
 * The kernel enters the program at its ELF entry with RSP 16-byte aligned minus 8 (as just after
 * a call) and RDI pointing at a struct quire_startup it wrote near the top of the process's stack.
 * Everything the block points to (argv, the strings, the handle records) lies in the same stack
 * area, above the initial RSP; the program may keep using it for its whole life. libc's crt0
 * (libc/crt0/crt0.c) reads it, then calls main(argc, argv).
 *
 * Handles: every process starts with a handle to itself (tag QUIRE_STARTUP_SELF: READ, WRITE,
 * DUPLICATE; what vma_map needs to map into "this process"), then the handles its parent passed
 * to process_spawn(), in the order given (tag QUIRE_STARTUP_PASSED, with the rights they had in the
 * parent). init also gets the framebuffer's fixed area (tag QUIRE_STARTUP_FRAMEBUFFER) and the
 * geometry in `framebuffer`; for every other process `framebuffer` is all zero.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "quire/syscalls.h"

#define QUIRE_STARTUP_MAGIC   0x51535455u /* "UTSQ" */
#define QUIRE_STARTUP_VERSION 1u

/* Limits of process_spawn() (OUT_OF_RANGE beyond them). */
#define QUIRE_SPAWN_ARGC_MAX    128u  /* arguments */
#define QUIRE_SPAWN_ARGV_BYTES  8192u /* all argument strings, NULs included */
#define QUIRE_SPAWN_HANDLES_MAX 16u   /* handles passed */

/* What a start-up handle is for. */
enum quire_startup_tag {
	QUIRE_STARTUP_SELF = 1,        /* the process itself */
	QUIRE_STARTUP_PASSED = 2,      /* passed by the parent; `index` counts them from 0 */
	QUIRE_STARTUP_FRAMEBUFFER = 3, /* init only: the framebuffer's fixed area */
};

struct quire_startup_handle {
	quire_handle_t handle;
	uint32_t tag;          /* enum quire_startup_tag */
	uint32_t index;        /* QUIRE_STARTUP_PASSED: its position in process_spawn()'s list */
	quire_rights_t rights; /* what the handle carries */
};
_Static_assert(sizeof(struct quire_startup_handle) == 16, "struct quire_startup_handle is ABI");

/* The framebuffer's geometry (init only; zero otherwise). Pixels are 32-bit. */
enum quire_pixel_format {
	QUIRE_PIXEL_NONE = 0,
	QUIRE_PIXEL_RGBX = 1, /* byte 0 red, 1 green, 2 blue (UEFI PixelRedGreenBlueReserved8Bit) */
	QUIRE_PIXEL_BGRX = 2, /* byte 0 blue, 1 green, 2 red (UEFI PixelBlueGreenRedReserved8Bit) */
};

struct quire_framebuffer_info {
	uint64_t size;            /* bytes of the area (whole pages) */
	uint32_t width, height;   /* visible pixels */
	uint32_t pixels_per_line; /* the scan-line length, in pixels (>= width) */
	uint32_t format;          /* enum quire_pixel_format */
};
_Static_assert(sizeof(struct quire_framebuffer_info) == 24, "struct quire_framebuffer_info");

struct quire_startup {
	uint32_t magic;   /* QUIRE_STARTUP_MAGIC */
	uint32_t version; /* QUIRE_STARTUP_VERSION */
	uint64_t argc;
	const char *const *argv; /* argv[argc] is NULL */
	uint64_t handle_count;
	const struct quire_startup_handle *handles;
	struct quire_framebuffer_info framebuffer;
	uint64_t stack_base; /* the lowest usable address of the main thread's stack */
	uint64_t stack_top;  /* one past its highest */
};
_Static_assert(sizeof(struct quire_startup) == 80, "struct quire_startup is ABI");
_Static_assert(offsetof(struct quire_startup, framebuffer) == 40, "struct quire_startup is ABI");
