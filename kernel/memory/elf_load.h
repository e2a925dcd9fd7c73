/*
 * elf_load: user programs, from an ELF file in memory (the initrd's) into a user vm_space.
 *
 * Model: two steps. elf_load_check() is pure: it reads the file (never trusting a field it has
 * not bounded) and either rejects it with a reason or produces a plan, the list of PT_LOAD
 * segments with their rights. elf_load() runs the check, then gives each segment its own open
 * area (vm_area.h) holding exactly the segment's pages, fills the pages that carry file bytes
 * through the linear map before the area is mapped (so the kernel never writes through a user
 * mapping, and SMAP has nothing to say), maps the area at the segment's address with the
 * segment's rights, and makes those pages present; the rest of the segment (bss) is zero-filled
 * on first touch like any open memory. Last, a guarded stack area (vm_area_create_guarded) is
 * mapped so that its top is ELF_LOAD_STACK_TOP. Any failure unmaps everything mapped so far, so
 * the space and the frame counts are as before.
 *
 * What is accepted (docs/user-programs.md): ELF-64, little-endian, x86-64, version 1, ET_EXEC
 * (static: PT_INTERP and PT_DYNAMIC are refused as not supported), program headers inside the
 * file, at most ELF_LOAD_MAX_SEGMENTS non-empty PT_LOAD segments, each with filesz <= memsz, its
 * file bytes inside the file, p_offset congruent to p_vaddr modulo 4 KiB, its pages inside
 * [ELF_LOAD_LOWEST, ELF_LOAD_HIGHEST), not writable and executable at once, no two sharing a
 * page; the entry inside an executable segment. A segment is always readable (x86 pages are).
 */
#pragma once

#include <stdint.h>

#include "bootloader/elf64.h"
#include "kernel/lib/kerr.h"
#include "kernel/memory/phys.h"
#include "kernel/memory/vm_space.h"

#define ELF_LOAD_MAX_PHDRS    64
#define ELF_LOAD_MAX_SEGMENTS 16
/* Segments live in [64 KiB, 127 TiB): the NULL page and its neighbours stay unmapped, and the
 * top terabyte of the user half is left to the stack. */
#define ELF_LOAD_LOWEST       0x10000ull
#define ELF_LOAD_HIGHEST      0x00007f0000000000ull
/* The stack: ELF_LOAD_STACK_PAGES usable pages just below ELF_LOAD_STACK_TOP, one guard page on
 * each side (the low one catches an overflow). */
#define ELF_LOAD_STACK_TOP    0x00007ffffff00000ull
#define ELF_LOAD_STACK_PAGES  32ull
#define ELF_LOAD_STACK_GUARD  1u

_Static_assert(ELF_LOAD_HIGHEST <= ELF_LOAD_STACK_TOP - (ELF_LOAD_STACK_PAGES + 1) * 4096,
	       "the stack lies above every segment");
_Static_assert(ELF_LOAD_STACK_TOP + ELF_LOAD_STACK_GUARD * 4096 <= VM_USER_HI,
	       "the stack's top guard is in the user half");

/* Why a file was refused, or what went wrong loading it. elf_load_reason_name() names each. */
enum elf_load_reason {
	ELF_LOAD_OK = 0,
	ELF_LOAD_TOO_SMALL,         /* shorter than an ELF header */
	ELF_LOAD_BAD_MAGIC,         /* not \x7fELF */
	ELF_LOAD_NOT_64BIT,         /* ELFCLASS32 or other */
	ELF_LOAD_NOT_LITTLE_ENDIAN, /* ELFDATA2MSB or other */
	ELF_LOAD_BAD_VERSION,       /* e_ident[EI_VERSION] or e_version not 1 */
	ELF_LOAD_WRONG_MACHINE,     /* not EM_X86_64 */
	ELF_LOAD_NOT_EXECUTABLE,    /* not ET_EXEC (relocatable, shared object, core) */
	ELF_LOAD_BAD_PHDR_SIZE,     /* e_phentsize is not 56 */
	ELF_LOAD_BAD_PHDR_COUNT,    /* no program headers, or more than ELF_LOAD_MAX_PHDRS */
	ELF_LOAD_PHDRS_OUTSIDE,     /* the program header table is not inside the file */
	ELF_LOAD_INTERP,            /* PT_INTERP: dynamic linking is not supported */
	ELF_LOAD_DYNAMIC,           /* PT_DYNAMIC: not supported */
	ELF_LOAD_SEGMENT_FILESZ,    /* filesz > memsz */
	ELF_LOAD_SEGMENT_OUTSIDE,   /* a segment's file bytes are not inside the file */
	ELF_LOAD_SEGMENT_RANGE,     /* a segment wraps or leaves [ELF_LOAD_LOWEST, _HIGHEST) */
	ELF_LOAD_SEGMENT_ALIGN,     /* p_offset and p_vaddr differ modulo 4 KiB */
	ELF_LOAD_SEGMENT_WX,        /* writable and executable */
	ELF_LOAD_SEGMENT_OVERLAP,   /* two segments share a page */
	ELF_LOAD_TOO_MANY_SEGMENTS, /* more than ELF_LOAD_MAX_SEGMENTS PT_LOAD segments */
	ELF_LOAD_NO_SEGMENTS,       /* nothing to load */
	ELF_LOAD_BAD_ENTRY,         /* the entry is not inside an executable segment */
	ELF_LOAD_ADDRESS_IN_USE,    /* elf_load(): the space already has a mapping there */
	ELF_LOAD_NO_MEMORY,         /* elf_load(): out of frames, tables or heap */
	ELF_LOAD_REASON_COUNT
};

/* One PT_LOAD segment, as checked. */
struct elf_load_segment {
	vaddr_t vaddr;   /* its first byte */
	uint64_t memsz;  /* > 0 */
	uint64_t offset; /* of its first file byte */
	uint64_t filesz; /* bytes from the file; the rest, up to memsz, is zero */
	unsigned prot;   /* VM_PROT_READ, plus WRITE or EXEC */
};

/* What elf_load_check() found. */
struct elf_load_plan {
	vaddr_t entry;
	unsigned count;
	struct elf_load_segment segment[ELF_LOAD_MAX_SEGMENTS];
};

/* What elf_load() mapped: where to start the program, and what to unmap to undo it. */
struct elf_load_image {
	vaddr_t entry;
	vaddr_t stack_top;  /* ELF_LOAD_STACK_TOP: the initial RSP lies at or below it */
	vaddr_t stack_base; /* the lowest usable stack address (the guard page lies below it) */
	unsigned count;     /* segments mapped */
	vaddr_t segment_base[ELF_LOAD_MAX_SEGMENTS]; /* each segment's mapping, page aligned */
	vaddr_t stack_mapping;                       /* the stack's mapping (its low guard page) */
};

/*
 * elf_load_check - checks the SIZE bytes of FILE (any alignment) by the rules above and fills
 * *PLAN. ELF_LOAD_OK or the first reason found. Pure; never allocates.
 */
enum elf_load_reason elf_load_check(const void *file, uint64_t size, struct elf_load_plan *plan);

/*
 * elf_load - checks FILE and loads it into SPACE (a user space), filling *IMAGE. *WHY (may be
 * NULL) gets the reason. FILE must stay unchanged during the call. No lock held; allocates.
 * Errors: KERR_INVALID (a malformed file), KERR_UNSUPPORTED (PT_INTERP, PT_DYNAMIC), KERR_EXISTS
 * (SPACE has a mapping in the way), KERR_NO_MEMORY. On error SPACE is as before.
 */
kerr_t elf_load(struct vm_space *space, const void *file, uint64_t size,
		struct elf_load_image *image, enum elf_load_reason *why);

/* elf_load_unload - unmaps what elf_load() mapped into SPACE. No lock held; never allocates. */
void elf_load_unload(struct vm_space *space, const struct elf_load_image *image);

/* elf_load_reason_name - "segment is writable and executable" etc.; "?" out of range. Pure. */
const char *elf_load_reason_name(enum elf_load_reason reason);

/* elf_load_reason_kerr - the kerr_t elf_load() returns for REASON. Pure. */
kerr_t elf_load_reason_kerr(enum elf_load_reason reason);
