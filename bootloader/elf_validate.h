/*
 * Validation of the kernel ELF before a single byte of it is loaded. Pure C with no EFI headers,
 * so the host unit tests (test/unit/test_loader_elf.c) run exactly the code the loader runs.
 *
 * The loader jumps only into an image that passed every check here; docs/boot-protocol.md lists
 * the requirements ("The kernel ELF").
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "bootloader/elf64.h"

/* No plausible kernel has more program headers; the bound keeps every loop over them short. */
#define ELF_VALIDATE_MAX_PHDRS 64
/* A kernel has text, rodata, data (+bss) and maybe a few more; the page-table pool is sized for
 * the segments' span, not their number, so this bound only keeps the table below fixed. */
#define KERNEL_MAX_SEGMENTS    16
/* kernel_image.bad_phdr when an error concerns no single program header. */
#define ELF_VALIDATE_NO_PHDR   0xffffffffu

/* Why an image was refused. ELF_VALIDATE_OK is zero; elf_validate_strerror() names the others. */
enum elf_validate_result {
	ELF_VALIDATE_OK = 0,
	ELF_VALIDATE_TOO_SMALL,
	ELF_VALIDATE_BAD_MAGIC,
	ELF_VALIDATE_NOT_64BIT,
	ELF_VALIDATE_NOT_LITTLE_ENDIAN,
	ELF_VALIDATE_BAD_VERSION,
	ELF_VALIDATE_WRONG_MACHINE,
	ELF_VALIDATE_NOT_EXECUTABLE,
	ELF_VALIDATE_BAD_PHDR_SIZE,
	ELF_VALIDATE_BAD_PHDR_COUNT,
	ELF_VALIDATE_PHDRS_TRUNCATED,
	ELF_VALIDATE_DYNAMIC,
	ELF_VALIDATE_SEGMENT_TRUNCATED,
	ELF_VALIDATE_SEGMENT_FILESZ,
	ELF_VALIDATE_SEGMENT_WRAPS,
	ELF_VALIDATE_SEGMENT_LOW,
	ELF_VALIDATE_SEGMENT_WX,
	ELF_VALIDATE_SEGMENT_OVERLAP,
	ELF_VALIDATE_TOO_MANY_SEGMENTS,
	ELF_VALIDATE_NO_SEGMENTS,
	ELF_VALIDATE_BAD_ENTRY,
	ELF_VALIDATE_BAD_NOTE,
	ELF_VALIDATE_NO_QUIRE_NOTE,
	ELF_VALIDATE_BAD_QUIRE_NOTE,
	ELF_VALIDATE_WRONG_VERSION,
	ELF_VALIDATE_RESULT_COUNT
};

/* One PT_LOAD segment, as validated. */
struct kernel_segment {
	uint64_t vaddr;  /* link address of its first byte (>= QUIRE_KERNEL_LINK_BASE) */
	uint64_t memsz;  /* bytes in memory, > 0 */
	uint64_t offset; /* where its file bytes start */
	uint64_t filesz; /* bytes from the file; the rest, up to memsz, is zero (bss) */
	uint32_t flags;  /* ELF_PF_R | ELF_PF_W | ELF_PF_X, never both W and X */
};

/* What the loader needs of a valid image. */
struct kernel_image {
	uint64_t entry;     /* e_entry, inside an executable segment */
	uint64_t virt_base; /* page-aligned start of the lowest segment */
	uint64_t virt_end;  /* page-aligned end of the highest segment */
	uint32_t segment_count;
	struct kernel_segment segments[KERNEL_MAX_SEGMENTS]; /* sorted by vaddr, no shared pages */
	uint32_t note_version; /* descriptor of the Quire note when one was found */
	/* index of the program header an error is about, ELF_VALIDATE_NO_PHDR when none is */
	uint32_t bad_phdr;
};

/*
 * Checks that the `size` bytes at `file` are a Quire kernel this loader can run (see
 * docs/boot-protocol.md) and fills `out` with its segments. On failure `out` holds what was
 * learnt so far: bad_phdr names the offending program header, note_version the version a
 * WRONG_VERSION note declared. Reads only inside [file, file + size); allocates nothing.
 */
enum elf_validate_result elf_validate(const void *file, size_t size, struct kernel_image *out);

/* A short human reason for `result`, e.g. "not an ELF file (bad magic)"; never NULL. */
const char *elf_validate_strerror(enum elf_validate_result result);
