/*
 * Kernel ELF validation. The model: the file is hostile until proven otherwise. Every offset and
 * size read from it is checked against the file's length, and every sum against overflow, before
 * it is used; structures are copied out with memcpy so nothing depends on the buffer's alignment.
 * The checks run in the order a reader would debug a broken image: is it an ELF file at all, for
 * this machine, with a sane program header table; then each segment; then the whole (overlaps,
 * entry point); and last the Quire note that says which boot protocol the kernel speaks.
 *
 * Pure C (no EFI headers): test/unit/test_loader_elf.c runs it on the host.
 */
#include "bootloader/elf_validate.h"

#include "bootloader/elf64.h"

#include <quire/boot.h>

#define PAGE_SIZE         4096ull
#define PAGE_MASK         (PAGE_SIZE - 1)
/* The highest end a segment may have: page-rounding it up must not wrap to zero. */
#define SEGMENT_END_LIMIT (~0ull & ~PAGE_MASK)

static const char *const reasons[ELF_VALIDATE_RESULT_COUNT] = {
    [ELF_VALIDATE_OK] = "valid",
    [ELF_VALIDATE_TOO_SMALL] = "too small to be an ELF file",
    [ELF_VALIDATE_BAD_MAGIC] = "not an ELF file (bad magic)",
    [ELF_VALIDATE_NOT_64BIT] = "not a 64-bit ELF file (ELFCLASS64 required)",
    [ELF_VALIDATE_NOT_LITTLE_ENDIAN] = "not a little-endian ELF file",
    [ELF_VALIDATE_BAD_VERSION] = "unknown ELF version",
    [ELF_VALIDATE_WRONG_MACHINE] = "not an x86-64 ELF file (EM_X86_64 required)",
    [ELF_VALIDATE_NOT_EXECUTABLE] =
	"not an executable (ET_EXEC required; relocatable, shared and PIE files are refused)",
    [ELF_VALIDATE_BAD_PHDR_SIZE] = "program header entries are not ELF-64 sized",
    [ELF_VALIDATE_BAD_PHDR_COUNT] = "no program headers, or more than 64",
    [ELF_VALIDATE_PHDRS_TRUNCATED] = "program header table extends past the end of the file",
    [ELF_VALIDATE_DYNAMIC] = "needs a dynamic linker (PT_INTERP or PT_DYNAMIC)",
    [ELF_VALIDATE_SEGMENT_TRUNCATED] = "a PT_LOAD segment extends past the end of the file",
    [ELF_VALIDATE_SEGMENT_FILESZ] = "a PT_LOAD segment has p_filesz > p_memsz",
    [ELF_VALIDATE_SEGMENT_WRAPS] = "a PT_LOAD segment wraps around the end of the address space",
    [ELF_VALIDATE_SEGMENT_LOW] =
	"a PT_LOAD segment lies below the kernel link base 0xffffffff80000000",
    [ELF_VALIDATE_SEGMENT_WX] = "a PT_LOAD segment is both writable and executable (W^X)",
    [ELF_VALIDATE_SEGMENT_OVERLAP] = "two PT_LOAD segments overlap or share a page",
    [ELF_VALIDATE_TOO_MANY_SEGMENTS] = "more than 16 PT_LOAD segments",
    [ELF_VALIDATE_NO_SEGMENTS] = "no PT_LOAD segment",
    [ELF_VALIDATE_BAD_ENTRY] = "the entry point is not inside an executable PT_LOAD segment",
    [ELF_VALIDATE_BAD_NOTE] = "a PT_NOTE segment is malformed or extends past the end of the file",
    [ELF_VALIDATE_NO_QUIRE_NOTE] =
	"no Quire boot-protocol note (PT_NOTE named \"Quire\", type 0x51424f31)",
    [ELF_VALIDATE_BAD_QUIRE_NOTE] = "the Quire boot-protocol note's descriptor is not 4 bytes",
    [ELF_VALIDATE_WRONG_VERSION] = "built for a different boot-protocol version",
};

const char *elf_validate_strerror(enum elf_validate_result result)
{
	if ((unsigned)result >= ELF_VALIDATE_RESULT_COUNT)
		return "unknown ELF validation error";
	return reasons[result];
}

/* Whether [offset, offset + len) lies inside a file of `size` bytes, without overflowing. */
static int in_file(uint64_t offset, uint64_t len, size_t size)
{
	return offset <= size && len <= size - offset;
}

static uint64_t page_down(uint64_t addr)
{
	return addr & ~PAGE_MASK;
}

static uint64_t page_up(uint64_t addr)
{
	return (addr + PAGE_MASK) & ~PAGE_MASK;
}

static enum elf_validate_result check_ident(const struct elf64_ehdr *eh)
{
	const unsigned char *id = eh->e_ident;

	if (id[0] != ELF_MAG0 || id[1] != ELF_MAG1 || id[2] != ELF_MAG2 || id[3] != ELF_MAG3)
		return ELF_VALIDATE_BAD_MAGIC;
	if (id[ELF_EI_CLASS] != ELF_CLASS64)
		return ELF_VALIDATE_NOT_64BIT;
	if (id[ELF_EI_DATA] != ELF_DATA2LSB)
		return ELF_VALIDATE_NOT_LITTLE_ENDIAN;
	if (id[ELF_EI_VER] != ELF_EV_CURRENT || eh->e_version != ELF_EV_CURRENT)
		return ELF_VALIDATE_BAD_VERSION;
	return ELF_VALIDATE_OK;
}

static enum elf_validate_result check_header(const struct elf64_ehdr *eh, size_t size)
{
	enum elf_validate_result r = check_ident(eh);

	if (r != ELF_VALIDATE_OK)
		return r;
	if (eh->e_machine != ELF_EM_X86_64)
		return ELF_VALIDATE_WRONG_MACHINE;
	if (eh->e_type != ELF_ET_EXEC)
		return ELF_VALIDATE_NOT_EXECUTABLE;
	if (eh->e_phentsize != sizeof(struct elf64_phdr))
		return ELF_VALIDATE_BAD_PHDR_SIZE;
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_VALIDATE_MAX_PHDRS)
		return ELF_VALIDATE_BAD_PHDR_COUNT;
	if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr), size))
		return ELF_VALIDATE_PHDRS_TRUNCATED;
	return ELF_VALIDATE_OK;
}

/* Checks one PT_LOAD on its own; the relations between segments are checked later. */
static enum elf_validate_result check_load(const struct elf64_phdr *ph, size_t size)
{
	if (!in_file(ph->p_offset, ph->p_filesz, size))
		return ELF_VALIDATE_SEGMENT_TRUNCATED;
	if (ph->p_filesz > ph->p_memsz)
		return ELF_VALIDATE_SEGMENT_FILESZ;
	if (ph->p_vaddr > SEGMENT_END_LIMIT || ph->p_memsz > SEGMENT_END_LIMIT - ph->p_vaddr)
		return ELF_VALIDATE_SEGMENT_WRAPS;
	if (ph->p_vaddr < QUIRE_KERNEL_LINK_BASE)
		return ELF_VALIDATE_SEGMENT_LOW;
	if ((ph->p_flags & ELF_PF_W) && (ph->p_flags & ELF_PF_X))
		return ELF_VALIDATE_SEGMENT_WX;
	return ELF_VALIDATE_OK;
}

/* Inserts `seg` keeping out->segments sorted by vaddr (there are at most 16). */
static enum elf_validate_result add_segment(struct kernel_image *out,
					    const struct kernel_segment *seg)
{
	uint32_t i = out->segment_count;

	if (i == KERNEL_MAX_SEGMENTS)
		return ELF_VALIDATE_TOO_MANY_SEGMENTS;
	while (i > 0 && out->segments[i - 1].vaddr > seg->vaddr) {
		out->segments[i] = out->segments[i - 1];
		i--;
	}
	out->segments[i] = *seg;
	out->segment_count++;
	return ELF_VALIDATE_OK;
}

static uint64_t align_up(uint64_t value, uint64_t align)
{
	return (value + align - 1) & ~(align - 1);
}

static int is_quire_name(const unsigned char *name, uint32_t namesz)
{
	static const char expected[] = QUIRE_NOTE_NAME; /* with its NUL, as the note stores it */

	if (namesz != sizeof(expected))
		return 0;
	for (uint32_t i = 0; i < namesz; i++) {
		if (name[i] != (unsigned char)expected[i])
			return 0;
	}
	return 1;
}

/*
 * Walks the notes of one PT_NOTE segment (already known to lie inside the file) looking for the
 * Quire note. The descriptor and the next note start at offsets aligned to 4 bytes, or to 8 when
 * the segment says so (p_align 8, as GNU property notes are); the last descriptor's padding may
 * be missing.
 */
static enum elf_validate_result scan_notes(const unsigned char *notes, uint64_t len, uint64_t align,
					   struct kernel_image *out, int *found)
{
	uint64_t pos = 0;

	while (len - pos >= sizeof(struct elf64_nhdr)) {
		struct elf64_nhdr nh;

		__builtin_memcpy(&nh, notes + pos, sizeof(nh));
		uint64_t name = pos + sizeof(nh);
		uint64_t desc = align_up(name + nh.n_namesz, align);
		if (desc > len || nh.n_descsz > len - desc)
			return ELF_VALIDATE_BAD_NOTE;
		if (nh.n_type == QUIRE_NOTE_BOOT_PROTOCOL &&
		    is_quire_name(notes + name, nh.n_namesz)) {
			if (nh.n_descsz != sizeof(uint32_t))
				return ELF_VALIDATE_BAD_QUIRE_NOTE;
			__builtin_memcpy(&out->note_version, notes + desc, sizeof(uint32_t));
			*found = 1;
		}
		pos = desc + align_up(nh.n_descsz, align);
		if (pos > len)
			break; /* the final descriptor's padding is optional */
	}
	return ELF_VALIDATE_OK;
}

static enum elf_validate_result check_note(const unsigned char *file, size_t size,
					   const struct elf64_phdr *ph, struct kernel_image *out,
					   int *found)
{
	if (!in_file(ph->p_offset, ph->p_filesz, size))
		return ELF_VALIDATE_BAD_NOTE;
	return scan_notes(file + ph->p_offset, ph->p_filesz, ph->p_align == 8 ? 8 : 4, out, found);
}

static enum elf_validate_result take_load(const struct elf64_phdr *ph, size_t size,
					  struct kernel_image *out)
{
	enum elf_validate_result r = check_load(ph, size);

	if (r != ELF_VALIDATE_OK || ph->p_memsz == 0)
		return r; /* an empty PT_LOAD occupies nothing: nothing to load or map */
	struct kernel_segment seg = {
	    .vaddr = ph->p_vaddr,
	    .memsz = ph->p_memsz,
	    .offset = ph->p_offset,
	    .filesz = ph->p_filesz,
	    .flags = ph->p_flags & (ELF_PF_R | ELF_PF_W | ELF_PF_X),
	};
	return add_segment(out, &seg);
}

/* One pass over the program headers: segments collected and checked alone, notes scanned. */
static enum elf_validate_result scan_phdrs(const unsigned char *file, size_t size,
					   const struct elf64_ehdr *eh, struct kernel_image *out,
					   int *found_note)
{
	for (uint32_t i = 0; i < eh->e_phnum; i++) {
		struct elf64_phdr ph;
		enum elf_validate_result r = ELF_VALIDATE_OK;

		__builtin_memcpy(&ph, file + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		out->bad_phdr = i;
		if (ph.p_type == ELF_PT_INTERP || ph.p_type == ELF_PT_DYNAMIC)
			r = ELF_VALIDATE_DYNAMIC;
		else if (ph.p_type == ELF_PT_LOAD)
			r = take_load(&ph, size, out);
		else if (ph.p_type == ELF_PT_NOTE)
			r = check_note(file, size, &ph, out, found_note);
		if (r != ELF_VALIDATE_OK)
			return r;
	}
	out->bad_phdr = ELF_VALIDATE_NO_PHDR;
	return ELF_VALIDATE_OK;
}

/* Segments are sorted by vaddr: each must start on a page after every earlier one ends, so each
 * page of the image gets exactly one segment's permissions. */
static enum elf_validate_result check_layout(struct kernel_image *out)
{
	uint64_t end = 0;

	if (out->segment_count == 0)
		return ELF_VALIDATE_NO_SEGMENTS;
	for (uint32_t i = 0; i < out->segment_count; i++) {
		const struct kernel_segment *s = &out->segments[i];

		if (i > 0 && page_down(s->vaddr) < end)
			return ELF_VALIDATE_SEGMENT_OVERLAP;
		end = page_up(s->vaddr + s->memsz);
	}
	out->virt_base = page_down(out->segments[0].vaddr);
	out->virt_end = end;
	return ELF_VALIDATE_OK;
}

static enum elf_validate_result check_entry(const struct kernel_image *out)
{
	for (uint32_t i = 0; i < out->segment_count; i++) {
		const struct kernel_segment *s = &out->segments[i];

		if ((s->flags & ELF_PF_X) && out->entry >= s->vaddr &&
		    out->entry - s->vaddr < s->memsz)
			return ELF_VALIDATE_OK;
	}
	return ELF_VALIDATE_BAD_ENTRY;
}

enum elf_validate_result elf_validate(const void *file, size_t size, struct kernel_image *out)
{
	struct elf64_ehdr eh;
	int found_note = 0;
	enum elf_validate_result r;

	__builtin_memset(out, 0, sizeof(*out));
	out->bad_phdr = ELF_VALIDATE_NO_PHDR;
	if (size < sizeof(eh))
		return ELF_VALIDATE_TOO_SMALL;
	__builtin_memcpy(&eh, file, sizeof(eh));
	r = check_header(&eh, size);
	if (r == ELF_VALIDATE_OK)
		r = scan_phdrs(file, size, &eh, out, &found_note);
	if (r != ELF_VALIDATE_OK)
		return r;
	out->entry = eh.e_entry;
	r = check_layout(out);
	if (r == ELF_VALIDATE_OK)
		r = check_entry(out);
	if (r != ELF_VALIDATE_OK)
		return r;
	if (!found_note)
		return ELF_VALIDATE_NO_QUIRE_NOTE;
	if (out->note_version != QUIRE_BOOT_VERSION)
		return ELF_VALIDATE_WRONG_VERSION;
	return ELF_VALIDATE_OK;
}
