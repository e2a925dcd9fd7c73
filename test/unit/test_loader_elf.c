/*
 * Host tests of bootloader/elf_validate.c. A small but complete Quire kernel image is built in
 * memory (text R+X, rodata R with the Quire note, data+bss RW, a PT_NOTE), accepted as is; then
 * each test breaks one thing and expects the matching refusal. A last test validates every prefix
 * of the good image, so ASan sees any read past a truncated file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bootloader/elf64.h"
#include "bootloader/elf_validate.h"

#include <quire/boot.h>

#define BASE       QUIRE_KERNEL_LINK_BASE
#define IMAGE_SIZE 0x4000
#define NOTE_OFF   0x2040 /* the Quire note, inside the rodata segment's file bytes */
#define PH_TEXT    0
#define PH_RODATA  1
#define PH_DATA    2
#define PH_NOTE    3

static _Alignas(8) unsigned char image[IMAGE_SIZE];
static struct kernel_image out;

static struct elf64_ehdr *ehdr(void)
{
	return (struct elf64_ehdr *)image;
}

static struct elf64_phdr *phdr(int i)
{
	return (struct elf64_phdr *)(image + sizeof(struct elf64_ehdr)) + i;
}

static void set_phdr(int i, uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr,
		     uint64_t filesz, uint64_t memsz)
{
	*phdr(i) = (struct elf64_phdr){.p_type = type,
				       .p_flags = flags,
				       .p_offset = offset,
				       .p_vaddr = vaddr,
				       .p_paddr = vaddr,
				       .p_filesz = filesz,
				       .p_memsz = memsz,
				       .p_align = type == ELF_PT_NOTE ? 4 : 4096};
}

/* A note at image[offset]: name "Quire" (6 bytes, padded to 8), a 4-byte descriptor. */
static void put_note(size_t offset, uint32_t type, uint32_t descsz, uint32_t version)
{
	struct elf64_nhdr nh = {.n_namesz = 6, .n_descsz = descsz, .n_type = type};

	memcpy(image + offset, &nh, sizeof(nh));
	memcpy(image + offset + sizeof(nh), "Quire\0\0", 8);
	memcpy(image + offset + sizeof(nh) + 8, &version, sizeof(version));
}

static int build_good(void **state)
{
	memset(image, 0, sizeof(image));
	memcpy(ehdr()->e_ident,
	       "\x7f"
	       "ELF",
	       4);
	ehdr()->e_ident[ELF_EI_CLASS] = ELF_CLASS64;
	ehdr()->e_ident[ELF_EI_DATA] = ELF_DATA2LSB;
	ehdr()->e_ident[ELF_EI_VER] = ELF_EV_CURRENT;
	ehdr()->e_type = ELF_ET_EXEC;
	ehdr()->e_machine = ELF_EM_X86_64;
	ehdr()->e_version = ELF_EV_CURRENT;
	ehdr()->e_entry = BASE + 0x10;
	ehdr()->e_phoff = sizeof(struct elf64_ehdr);
	ehdr()->e_ehsize = sizeof(struct elf64_ehdr);
	ehdr()->e_phentsize = sizeof(struct elf64_phdr);
	ehdr()->e_phnum = 4;
	set_phdr(PH_TEXT, ELF_PT_LOAD, ELF_PF_R | ELF_PF_X, 0x1000, BASE, 0x100, 0x100);
	set_phdr(PH_RODATA, ELF_PT_LOAD, ELF_PF_R, 0x2000, BASE + 0x1000, 0x80, 0x80);
	set_phdr(PH_DATA, ELF_PT_LOAD, ELF_PF_R | ELF_PF_W, 0x3000, BASE + 0x2000, 0x10, 0x3000);
	set_phdr(PH_NOTE, ELF_PT_NOTE, ELF_PF_R, NOTE_OFF, BASE + 0x1040, 24, 24);
	put_note(NOTE_OFF, QUIRE_NOTE_BOOT_PROTOCOL, 4, QUIRE_BOOT_VERSION);
	*state = NULL;
	return 0;
}

static enum elf_validate_result validate(void)
{
	return elf_validate(image, sizeof(image), &out);
}

static void test_good_image(void **state)
{
	assert_int_equal(validate(), ELF_VALIDATE_OK);
	assert_int_equal(out.segment_count, 3);
	assert_int_equal(out.entry, BASE + 0x10);
	assert_int_equal(out.virt_base, BASE);
	assert_int_equal(out.virt_end, BASE + 0x5000);
	assert_int_equal(out.note_version, QUIRE_BOOT_VERSION);
	assert_int_equal(out.bad_phdr, ELF_VALIDATE_NO_PHDR);
	assert_int_equal(out.segments[2].vaddr, BASE + 0x2000);
	assert_int_equal(out.segments[2].filesz, 0x10);
	assert_int_equal(out.segments[2].memsz, 0x3000);
	assert_int_equal(out.segments[2].flags, ELF_PF_R | ELF_PF_W);
}

/* Program headers in another order than the addresses: the result is sorted by vaddr. */
static void test_segments_sorted(void **state)
{
	struct elf64_phdr text = *phdr(PH_TEXT);

	*phdr(PH_TEXT) = *phdr(PH_DATA);
	*phdr(PH_DATA) = text;
	assert_int_equal(validate(), ELF_VALIDATE_OK);
	assert_int_equal(out.segments[0].vaddr, BASE);
	assert_int_equal(out.segments[1].vaddr, BASE + 0x1000);
	assert_int_equal(out.segments[2].vaddr, BASE + 0x2000);
}

static void test_too_small(void **state)
{
	assert_int_equal(elf_validate(image, 63, &out), ELF_VALIDATE_TOO_SMALL);
	assert_int_equal(elf_validate(image, 0, &out), ELF_VALIDATE_TOO_SMALL);
}

static void test_bad_magic(void **state)
{
	memcpy(image, "this is not an ELF", 18);
	assert_int_equal(validate(), ELF_VALIDATE_BAD_MAGIC);
	assert_string_equal(elf_validate_strerror(ELF_VALIDATE_BAD_MAGIC),
			    "not an ELF file (bad magic)");
}

static void test_32bit(void **state)
{
	ehdr()->e_ident[ELF_EI_CLASS] = 1; /* ELFCLASS32 */
	assert_int_equal(validate(), ELF_VALIDATE_NOT_64BIT);
}

static void test_big_endian(void **state)
{
	ehdr()->e_ident[ELF_EI_DATA] = 2; /* ELFDATA2MSB */
	assert_int_equal(validate(), ELF_VALIDATE_NOT_LITTLE_ENDIAN);
}

static void test_bad_version(void **state)
{
	ehdr()->e_version = 2;
	assert_int_equal(validate(), ELF_VALIDATE_BAD_VERSION);
	build_good(state);
	ehdr()->e_ident[ELF_EI_VER] = 0;
	assert_int_equal(validate(), ELF_VALIDATE_BAD_VERSION);
}

static void test_wrong_machine(void **state)
{
	ehdr()->e_machine = 3; /* EM_386 */
	assert_int_equal(validate(), ELF_VALIDATE_WRONG_MACHINE);
	ehdr()->e_machine = 183; /* EM_AARCH64 */
	assert_int_equal(validate(), ELF_VALIDATE_WRONG_MACHINE);
}

static void test_not_exec(void **state)
{
	ehdr()->e_type = 3; /* ET_DYN: a PIE or a shared object */
	assert_int_equal(validate(), ELF_VALIDATE_NOT_EXECUTABLE);
	ehdr()->e_type = 1; /* ET_REL */
	assert_int_equal(validate(), ELF_VALIDATE_NOT_EXECUTABLE);
}

static void test_bad_phdr_table(void **state)
{
	ehdr()->e_phentsize = 32;
	assert_int_equal(validate(), ELF_VALIDATE_BAD_PHDR_SIZE);
	build_good(state);
	ehdr()->e_phnum = 0;
	assert_int_equal(validate(), ELF_VALIDATE_BAD_PHDR_COUNT);
	ehdr()->e_phnum = ELF_VALIDATE_MAX_PHDRS + 1;
	assert_int_equal(validate(), ELF_VALIDATE_BAD_PHDR_COUNT);
}

static void test_truncated_phdrs(void **state)
{
	/* The file ends inside the third program header. */
	assert_int_equal(elf_validate(image, 64 + 2 * 56 + 20, &out), ELF_VALIDATE_PHDRS_TRUNCATED);
	build_good(state);
	ehdr()->e_phoff = ~0ull - 8; /* offset + size would wrap */
	assert_int_equal(validate(), ELF_VALIDATE_PHDRS_TRUNCATED);
}

static void test_segment_past_eof(void **state)
{
	phdr(PH_DATA)->p_filesz = IMAGE_SIZE; /* from 0x3000 on: past the end */
	phdr(PH_DATA)->p_memsz = IMAGE_SIZE;
	assert_int_equal(validate(), ELF_VALIDATE_SEGMENT_TRUNCATED);
	assert_int_equal(out.bad_phdr, PH_DATA);
	build_good(state);
	phdr(PH_TEXT)->p_offset = ~0ull - 0x10; /* offset + filesz would wrap */
	assert_int_equal(validate(), ELF_VALIDATE_SEGMENT_TRUNCATED);
	/* The whole file but the last byte of the text segment's bytes. */
	build_good(state);
	assert_int_equal(elf_validate(image, 0x10ff, &out), ELF_VALIDATE_SEGMENT_TRUNCATED);
}

static void test_filesz_above_memsz(void **state)
{
	phdr(PH_RODATA)->p_memsz = 0x40;
	assert_int_equal(validate(), ELF_VALIDATE_SEGMENT_FILESZ);
	assert_int_equal(out.bad_phdr, PH_RODATA);
}

static void test_segment_wraps(void **state)
{
	phdr(PH_DATA)->p_vaddr = ~0ull - 0x1000;
	assert_int_equal(validate(), ELF_VALIDATE_SEGMENT_WRAPS);
	build_good(state);
	phdr(PH_DATA)->p_vaddr =
	    0xfffffffffffff000ull; /* the very last page: rounding would wrap */
	phdr(PH_DATA)->p_memsz = 0x1000;
	assert_int_equal(validate(), ELF_VALIDATE_SEGMENT_WRAPS);
}

static void test_low_half_vaddr(void **state)
{
	phdr(PH_TEXT)->p_vaddr = 0x400000;
	ehdr()->e_entry = 0x400010;
	assert_int_equal(validate(), ELF_VALIDATE_SEGMENT_LOW);
	assert_int_equal(out.bad_phdr, PH_TEXT);
	/* Kernel half, but below the link base: the loader only maps the top 2 GiB. */
	build_good(state);
	phdr(PH_DATA)->p_vaddr = QUIRE_KERNEL_HALF_BASE;
	assert_int_equal(validate(), ELF_VALIDATE_SEGMENT_LOW);
}

static void test_wx_segment(void **state)
{
	phdr(PH_DATA)->p_flags = ELF_PF_R | ELF_PF_W | ELF_PF_X;
	assert_int_equal(validate(), ELF_VALIDATE_SEGMENT_WX);
	assert_int_equal(out.bad_phdr, PH_DATA);
}

static void test_overlap(void **state)
{
	/* rodata starting in text's page: one page would need two sets of permissions. */
	phdr(PH_RODATA)->p_vaddr = BASE + 0x200;
	assert_int_equal(validate(), ELF_VALIDATE_SEGMENT_OVERLAP);
	assert_int_equal(out.bad_phdr, ELF_VALIDATE_NO_PHDR);
	/* data's bss running into a later segment. */
	build_good(state);
	phdr(PH_RODATA)->p_vaddr = BASE + 0x3000;
	assert_int_equal(validate(), ELF_VALIDATE_SEGMENT_OVERLAP);
}

static void test_entry_outside_text(void **state)
{
	ehdr()->e_entry = BASE + 0x2000; /* in data: mapped, but not executable */
	assert_int_equal(validate(), ELF_VALIDATE_BAD_ENTRY);
	ehdr()->e_entry = BASE + 0x100; /* one past the end of text */
	assert_int_equal(validate(), ELF_VALIDATE_BAD_ENTRY);
	ehdr()->e_entry = 0;
	assert_int_equal(validate(), ELF_VALIDATE_BAD_ENTRY);
}

static void test_missing_note(void **state)
{
	put_note(NOTE_OFF, 0x1234, 4, QUIRE_BOOT_VERSION); /* right name, other type */
	assert_int_equal(validate(), ELF_VALIDATE_NO_QUIRE_NOTE);
	build_good(state);
	memcpy(image + NOTE_OFF + sizeof(struct elf64_nhdr), "Quirk", 5);
	assert_int_equal(validate(), ELF_VALIDATE_NO_QUIRE_NOTE);
	build_good(state);
	phdr(PH_NOTE)->p_type = 0; /* PT_NULL: no PT_NOTE at all */
	assert_int_equal(validate(), ELF_VALIDATE_NO_QUIRE_NOTE);
}

static void test_wrong_version(void **state)
{
	put_note(NOTE_OFF, QUIRE_NOTE_BOOT_PROTOCOL, 4, QUIRE_BOOT_VERSION + 1);
	assert_int_equal(validate(), ELF_VALIDATE_WRONG_VERSION);
	assert_int_equal(out.note_version, QUIRE_BOOT_VERSION + 1);
}

static void test_bad_notes(void **state)
{
	put_note(NOTE_OFF, QUIRE_NOTE_BOOT_PROTOCOL, 8, QUIRE_BOOT_VERSION);
	phdr(PH_NOTE)->p_filesz = 28;
	assert_int_equal(validate(), ELF_VALIDATE_BAD_QUIRE_NOTE);
	build_good(state);
	put_note(NOTE_OFF, QUIRE_NOTE_BOOT_PROTOCOL, 400,
		 QUIRE_BOOT_VERSION); /* past the segment */
	assert_int_equal(validate(), ELF_VALIDATE_BAD_NOTE);
	assert_int_equal(out.bad_phdr, PH_NOTE);
	build_good(state);
	phdr(PH_NOTE)->p_offset = IMAGE_SIZE - 8;
	assert_int_equal(validate(), ELF_VALIDATE_BAD_NOTE);
}

/* The Quire note after another vendor's note, in an 8-aligned PT_NOTE (as GNU property notes
 * are): found all the same. */
static void test_note_after_other_note_aligned8(void **state)
{
	struct elf64_nhdr gnu = {.n_namesz = 4, .n_descsz = 12, .n_type = 5};

	memcpy(image + NOTE_OFF, &gnu, sizeof(gnu));
	memcpy(image + NOTE_OFF + 12, "GNU\0", 4);
	memset(image + NOTE_OFF + 16, 0xaa, 16); /* 12 bytes of descriptor, padded to 16 */
	/* With 8-byte alignment the Quire descriptor starts at 24, not 20: 12 + 6 rounded up. */
	struct elf64_nhdr quire = {
	    .n_namesz = 6, .n_descsz = 4, .n_type = QUIRE_NOTE_BOOT_PROTOCOL};
	uint32_t version = QUIRE_BOOT_VERSION;
	memcpy(image + NOTE_OFF + 32, &quire, sizeof(quire));
	memcpy(image + NOTE_OFF + 32 + 12, "Quire\0\0", 8);
	memcpy(image + NOTE_OFF + 32 + 24, &version, 4);
	phdr(PH_NOTE)->p_align = 8;
	phdr(PH_NOTE)->p_filesz = 32 + 28;
	assert_int_equal(validate(), ELF_VALIDATE_OK);
	/* Read with 4-byte alignment, the GNU note ends at 28 and garbage follows. */
	phdr(PH_NOTE)->p_align = 4;
	assert_int_not_equal(validate(), ELF_VALIDATE_OK);
}

static void test_dynamic(void **state)
{
	phdr(PH_NOTE)->p_type = ELF_PT_INTERP;
	assert_int_equal(validate(), ELF_VALIDATE_DYNAMIC);
}

static void test_no_segments(void **state)
{
	phdr(PH_TEXT)->p_type = 0;
	phdr(PH_RODATA)->p_type = 0;
	phdr(PH_DATA)->p_type = 0;
	assert_int_equal(validate(), ELF_VALIDATE_NO_SEGMENTS);
}

static void test_too_many_segments(void **state)
{
	/* 17 one-page read-only segments after text; the table has room at 64 + 21 * 56 < 0x1000. */
	ehdr()->e_phnum = 4 + KERNEL_MAX_SEGMENTS;
	for (int i = 0; i < KERNEL_MAX_SEGMENTS; i++)
		set_phdr(4 + i, ELF_PT_LOAD, ELF_PF_R, 0x2000,
			 BASE + 0x10000 + 0x1000 * (uint64_t)i, 0x10, 0x10);
	assert_int_equal(validate(), ELF_VALIDATE_TOO_MANY_SEGMENTS);
}

static void test_empty_segment_ignored(void **state)
{
	set_phdr(PH_NOTE, ELF_PT_LOAD, ELF_PF_R | ELF_PF_W | ELF_PF_X, 0, BASE, 0, 0);
	/* W+X is still refused: the flags are checked before the size. */
	assert_int_equal(validate(), ELF_VALIDATE_SEGMENT_WX);
	set_phdr(PH_NOTE, ELF_PT_LOAD, ELF_PF_R, 0, BASE + 0x100000, 0, 0);
	ehdr()->e_phnum = 4;
	/* No note now, but the empty segment itself caused no overlap. */
	assert_int_equal(validate(), ELF_VALIDATE_NO_QUIRE_NOTE);
	assert_int_equal(out.segment_count, 3);
}

static void test_strerror(void **state)
{
	for (int r = 0; r < ELF_VALIDATE_RESULT_COUNT; r++) {
		assert_non_null(elf_validate_strerror(r));
		for (int s = 0; s < r; s++)
			assert_string_not_equal(elf_validate_strerror(r), elf_validate_strerror(s));
	}
	assert_string_equal(elf_validate_strerror(ELF_VALIDATE_RESULT_COUNT),
			    "unknown ELF validation error");
}

/* Every prefix of a good image: never a read outside it (ASan), never OK before the end. */
static void test_every_truncation(void **state)
{
	for (size_t size = 0; size < 0x3010; size++)
		assert_int_not_equal(elf_validate(image, size, &out), ELF_VALIDATE_OK);
	assert_int_equal(elf_validate(image, 0x3010, &out), ELF_VALIDATE_OK);
}

#define T(f) cmocka_unit_test_setup(f, build_good)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_good_image),
	    T(test_segments_sorted),
	    T(test_too_small),
	    T(test_bad_magic),
	    T(test_32bit),
	    T(test_big_endian),
	    T(test_bad_version),
	    T(test_wrong_machine),
	    T(test_not_exec),
	    T(test_bad_phdr_table),
	    T(test_truncated_phdrs),
	    T(test_segment_past_eof),
	    T(test_filesz_above_memsz),
	    T(test_segment_wraps),
	    T(test_low_half_vaddr),
	    T(test_wx_segment),
	    T(test_overlap),
	    T(test_entry_outside_text),
	    T(test_missing_note),
	    T(test_wrong_version),
	    T(test_bad_notes),
	    T(test_note_after_other_note_aligned8),
	    T(test_dynamic),
	    T(test_no_segments),
	    T(test_too_many_segments),
	    T(test_empty_segment_ignored),
	    T(test_strerror),
	    T(test_every_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
