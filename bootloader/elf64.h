/*
 * The parts of the ELF-64 format the loader reads, defined here rather than taken from the host's
 * <elf.h>: the loader is freestanding, and these few structures are fixed by the gABI and the
 * x86-64 psABI, so a private copy cannot drift. Fields are read with memcpy from the file buffer,
 * never through a cast pointer, so no alignment is assumed of the file's contents.
 */
#pragma once

#include <stdint.h>

#define ELF_NIDENT     16
#define ELF_MAG0       0x7f
#define ELF_MAG1       'E'
#define ELF_MAG2       'L'
#define ELF_MAG3       'F'
#define ELF_EI_CLASS   4
#define ELF_EI_DATA    5
#define ELF_EI_VER     6
#define ELF_CLASS64    2
#define ELF_DATA2LSB   1
#define ELF_EV_CURRENT 1

#define ELF_ET_EXEC   2
#define ELF_EM_X86_64 62

#define ELF_PT_LOAD    1
#define ELF_PT_DYNAMIC 2
#define ELF_PT_INTERP  3
#define ELF_PT_NOTE    4

#define ELF_PF_X 0x1u
#define ELF_PF_W 0x2u
#define ELF_PF_R 0x4u

struct elf64_ehdr {
	unsigned char e_ident[ELF_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF-64 file header layout");

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF-64 program header layout");

/* A note: this header, then the name padded to the note alignment, then the descriptor. */
struct elf64_nhdr {
	uint32_t n_namesz;
	uint32_t n_descsz;
	uint32_t n_type;
};
_Static_assert(sizeof(struct elf64_nhdr) == 12, "ELF note header layout");
