/*
 * The Quire note: the version marker the loader requires before it loads the kernel (see
 * quire/boot.h). kernel.ld puts .note.quire into a PT_NOTE segment of its own (and into the
 * read-only PT_LOAD, where the bytes also live).
 */
#include <stdint.h>

#include <quire/boot.h>

#include "kernel/lib/compiler.h"

/* An ELF note: sizes, type, the name padded to 4 bytes, the descriptor padded to 4 bytes. */
struct quire_note {
	uint32_t name_size;
	uint32_t desc_size;
	uint32_t type;
	char name[8];
	uint32_t desc;
};
_Static_assert(sizeof(QUIRE_NOTE_NAME) == 6, "the note name is 6 bytes with its NUL");
_Static_assert(sizeof(struct quire_note) == 24, "ELF note layout");

static const struct quire_note note USED SECTION(".note.quire") ALIGNED(4) = {
    .name_size = sizeof(QUIRE_NOTE_NAME),
    .desc_size = sizeof(uint32_t),
    .type = QUIRE_NOTE_BOOT_PROTOCOL,
    .name = QUIRE_NOTE_NAME,
    .desc = QUIRE_BOOT_VERSION,
};
