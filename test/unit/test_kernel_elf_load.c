/*
 * Host tests of kernel/memory/elf_load.c on the simulated machine (sim_machine.h), over the real
 * VM core: a hand-built ELF with an RX text segment and an RW data segment whose bss runs over
 * two more pages.
 * - it loads: each page has the segment's rights in the space's own page table (user, text
 *   read-only and executable, data writable and NX), the bytes are the file's, the bytes around
 *   them and the bss read as zero, the stack is mapped below its top with a guard page under it;
 * - each rejection reason, from one change to the good file, with no frame used;
 * - an address already in use in the space;
 * - a failure-injection sweep (every k-th allocation fails: an error and no leak, then a clean
 *   run) and random damage to the file (an error or a load, never a crash, never a leak).
 * Frame counts go back to their baseline after every test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/memory/elf_load.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_space.h"
#include "test/unit/sim_machine.h"
#include "test/unit/test_kernel_rng.h"

#define SIM_BYTES (64ull << 20)
#define PAGE      4096ull

/* The test program's layout. */
#define TEXT_VA    0x400000ull
#define TEXT_OFF   0x1000ull
#define TEXT_SIZE  0x123ull
#define DATA_VA    0x402010ull /* not page aligned: offset 0x2010 */
#define DATA_OFF   0x2010ull
#define DATA_FILE  0x40ull
#define DATA_MEM   0x2100ull /* bss to 0x404110: three pages in all */
#define ENTRY      (TEXT_VA + 0x10)
#define FILE_SIZE  (DATA_OFF + DATA_FILE)
#define PHDR_COUNT 3 /* text, data, and a PT_GNU_STACK-like entry that is ignored */

static struct pagetable kernel_pt;
static uint64_t baseline_free, baseline_tables;
static uint8_t elf[FILE_SIZE];

static uint64_t frames_of(enum page_kind kind)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return kind == PAGE_FREE ? st.free : st.by_kind[kind];
}

static void put_ehdr(uint8_t *f, const struct elf64_ehdr *eh)
{
	memcpy(f, eh, sizeof(*eh));
}

static void put_phdr(uint8_t *f, unsigned i, const struct elf64_phdr *ph)
{
	memcpy(f + sizeof(struct elf64_ehdr) + i * sizeof(*ph), ph, sizeof(*ph));
}

static struct elf64_phdr get_phdr(const uint8_t *f, unsigned i)
{
	struct elf64_phdr ph;

	memcpy(&ph, f + sizeof(struct elf64_ehdr) + i * sizeof(ph), sizeof(ph));
	return ph;
}

static void build_elf(void)
{
	struct elf64_ehdr eh = {
	    .e_ident = {ELF_MAG0, ELF_MAG1, ELF_MAG2, ELF_MAG3, ELF_CLASS64, ELF_DATA2LSB,
			ELF_EV_CURRENT},
	    .e_type = ELF_ET_EXEC,
	    .e_machine = ELF_EM_X86_64,
	    .e_version = ELF_EV_CURRENT,
	    .e_entry = ENTRY,
	    .e_phoff = sizeof(struct elf64_ehdr),
	    .e_ehsize = sizeof(struct elf64_ehdr),
	    .e_phentsize = sizeof(struct elf64_phdr),
	    .e_phnum = PHDR_COUNT,
	};
	struct elf64_phdr text = {.p_type = ELF_PT_LOAD,
				  .p_flags = ELF_PF_R | ELF_PF_X,
				  .p_offset = TEXT_OFF,
				  .p_vaddr = TEXT_VA,
				  .p_filesz = TEXT_SIZE,
				  .p_memsz = TEXT_SIZE,
				  .p_align = PAGE};
	struct elf64_phdr data = {.p_type = ELF_PT_LOAD,
				  .p_flags = ELF_PF_R | ELF_PF_W,
				  .p_offset = DATA_OFF,
				  .p_vaddr = DATA_VA,
				  .p_filesz = DATA_FILE,
				  .p_memsz = DATA_MEM,
				  .p_align = PAGE};
	struct elf64_phdr stack = {.p_type = 0x6474e551, .p_flags = ELF_PF_R | ELF_PF_W};

	memset(elf, 0xee, sizeof(elf)); /* bytes outside the segments must not show up */
	put_ehdr(elf, &eh);
	put_phdr(elf, 0, &text);
	put_phdr(elf, 1, &data);
	put_phdr(elf, 2, &stack);
	for (uint64_t i = 0; i < TEXT_SIZE; i++)
		elf[TEXT_OFF + i] = (uint8_t)(0x90 + i);
	for (uint64_t i = 0; i < DATA_FILE; i++)
		elf[DATA_OFF + i] = (uint8_t)(0x11 * (i + 1));
}

static int boot(void **state)
{
	(void)state;
	sim_boot_vm(SIM_BYTES, &kernel_pt);
	baseline_free = frames_of(PAGE_FREE);
	baseline_tables = frames_of(PAGE_PAGE_TABLE);
	build_elf();
	return 0;
}

static void expect_baseline(void)
{
	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	assert_int_equal(frames_of(PAGE_USER), 1); /* the zero page */
	assert_int_equal(frames_of(PAGE_PAGE_TABLE), baseline_tables);
	assert_int_equal(frames_of(PAGE_FREE), baseline_free);
}

static int teardown(void **state)
{
	(void)state;
	expect_baseline();
	return 0;
}

static struct pagetable_mapping pte(struct vm_space *s, vaddr_t va)
{
	struct pagetable_mapping m;

	assert_int_equal(pagetable_query(&s->pt, va, &m), KERR_OK);
	return m;
}

static const uint8_t *bytes_at(struct vm_space *s, vaddr_t va)
{
	struct pagetable_mapping m = pte(s, va);
	return (const uint8_t *)(phys_host_base + m.pa);
}

static void test_loads(void **state)
{
	struct vm_space *s;
	struct elf_load_image img;
	enum elf_load_reason why;
	struct pagetable_mapping m;

	(void)state;
	assert_int_equal(vm_space_create(&s), KERR_OK);
	assert_int_equal(elf_load(s, elf, sizeof(elf), &img, &why), KERR_OK);
	assert_int_equal(why, ELF_LOAD_OK);
	assert_int_equal(img.entry, ENTRY);
	assert_int_equal(img.stack_top, ELF_LOAD_STACK_TOP);
	assert_int_equal(img.stack_base, ELF_LOAD_STACK_TOP - ELF_LOAD_STACK_PAGES * PAGE);
	assert_int_equal(img.count, 2);
	assert_int_equal(vm_space_mapping_count(s), 3);
	assert_int_equal(frames_of(PAGE_USER), 1 + 2); /* one text page, one data file page */

	/* Text: user, read and execute, not writable; the bytes are the file's, then zero. */
	m = pte(s, TEXT_VA);
	assert_int_equal(m.prot, PAGETABLE_READ | PAGETABLE_EXEC | PAGETABLE_USER);
	assert_int_equal(m.pte & (PTE_WRITABLE | PTE_NX), 0);
	const uint8_t *text = bytes_at(s, TEXT_VA);
	assert_memory_equal(text, elf + TEXT_OFF, TEXT_SIZE);
	for (uint64_t i = TEXT_SIZE; i < PAGE; i++)
		assert_int_equal(text[i], 0);

	/* Data: user, writable, NX; zero before the segment and after its file bytes. */
	m = pte(s, DATA_VA);
	assert_int_equal(m.prot, PAGETABLE_READ | PAGETABLE_WRITE | PAGETABLE_USER);
	assert_true(m.pte & PTE_NX);
	const uint8_t *data = bytes_at(s, DATA_VA & ~(PAGE - 1));
	for (uint64_t i = 0; i < PAGE; i++) {
		uint64_t off = i - (DATA_VA & (PAGE - 1));
		uint8_t want =
		    i >= (DATA_VA & (PAGE - 1)) && off < DATA_FILE ? elf[DATA_OFF + off] : 0;
		assert_int_equal(data[i], want);
	}
	/* bss pages: not present yet; a read gives zeros, a write a private frame. */
	vaddr_t bss = (DATA_VA & ~(PAGE - 1)) + PAGE;
	assert_int_not_equal(pagetable_query(&s->pt, bss, &m), KERR_OK);
	assert_int_equal(vm_space_allocate(s, bss + 2 * PAGE - 8, VM_PROT_READ), VM_FAULT_OK);
	assert_int_equal(pte(s, bss + PAGE).pa, vm_zero_page());
	assert_int_equal(vm_space_allocate(s, bss, VM_PROT_WRITE), VM_FAULT_OK);
	assert_int_equal(bytes_at(s, bss)[100], 0);
	assert_int_equal(vm_space_allocate(s, bss + 2 * PAGE, VM_PROT_READ), VM_FAULT_NO_MAPPING);
	assert_int_equal(vm_space_allocate(s, TEXT_VA, VM_PROT_WRITE), VM_FAULT_PROTECTION);
	assert_int_equal(vm_space_allocate(s, DATA_VA, VM_PROT_EXEC), VM_FAULT_PROTECTION);
	assert_int_equal(vm_space_allocate(s, TEXT_VA + PAGE, VM_PROT_READ), VM_FAULT_NO_MAPPING);
	assert_int_equal(vm_space_allocate(s, 0, VM_PROT_READ), VM_FAULT_NO_MAPPING);

	/* Stack: writable below its top, a guard page under its base and over its top. */
	assert_int_equal(vm_space_allocate(s, img.stack_top - 8, VM_PROT_WRITE), VM_FAULT_OK);
	m = pte(s, img.stack_top - 8);
	assert_int_equal(m.prot, PAGETABLE_READ | PAGETABLE_WRITE | PAGETABLE_USER);
	assert_int_equal(vm_space_allocate(s, img.stack_base, VM_PROT_WRITE), VM_FAULT_OK);
	assert_int_equal(vm_space_allocate(s, img.stack_base - 8, VM_PROT_WRITE), VM_FAULT_GUARD);
	assert_int_equal(vm_space_allocate(s, img.stack_top, VM_PROT_WRITE), VM_FAULT_GUARD);

	elf_load_unload(s, &img);
	assert_int_equal(vm_space_mapping_count(s), 0);
	vm_space_destroy(s);
}

typedef void (*mutation)(uint8_t *f);

static void set_ehdr_u16(uint8_t *f, size_t off, uint16_t v)
{
	memcpy(f + off, &v, sizeof(v));
}

/* Applies a change to phdr I. */
#define PHDR_EDIT(i, stmt)                                                                         \
	do {                                                                                       \
		struct elf64_phdr ph = get_phdr(f, (i));                                           \
		stmt;                                                                              \
		put_phdr(f, (i), &ph);                                                             \
	} while (0)

static void m_magic(uint8_t *f)
{
	f[1] = 'e';
}
static void m_class(uint8_t *f)
{
	f[ELF_EI_CLASS] = 1;
}
static void m_endian(uint8_t *f)
{
	f[ELF_EI_DATA] = 2;
}
static void m_version(uint8_t *f)
{
	f[ELF_EI_VER] = 0;
}
static void m_e_version(uint8_t *f)
{
	f[offsetof(struct elf64_ehdr, e_version)] = 2;
}
static void m_machine(uint8_t *f)
{
	set_ehdr_u16(f, offsetof(struct elf64_ehdr, e_machine), 3);
}
static void m_type_dyn(uint8_t *f)
{
	set_ehdr_u16(f, offsetof(struct elf64_ehdr, e_type), 3);
}
static void m_phentsize(uint8_t *f)
{
	set_ehdr_u16(f, offsetof(struct elf64_ehdr, e_phentsize), 32);
}
static void m_phnum0(uint8_t *f)
{
	set_ehdr_u16(f, offsetof(struct elf64_ehdr, e_phnum), 0);
}
static void m_phnum_big(uint8_t *f)
{
	set_ehdr_u16(f, offsetof(struct elf64_ehdr, e_phnum), ELF_LOAD_MAX_PHDRS + 1);
}
static void m_phoff(uint8_t *f)
{
	uint64_t off = FILE_SIZE - 100;
	memcpy(f + offsetof(struct elf64_ehdr, e_phoff), &off, sizeof(off));
}
static void m_phoff_wrap(uint8_t *f)
{
	uint64_t off = ~0ull - 10;
	memcpy(f + offsetof(struct elf64_ehdr, e_phoff), &off, sizeof(off));
}
static void m_interp(uint8_t *f)
{
	PHDR_EDIT(2, ph.p_type = ELF_PT_INTERP);
}
static void m_dynamic(uint8_t *f)
{
	PHDR_EDIT(2, ph.p_type = ELF_PT_DYNAMIC);
}
static void m_filesz(uint8_t *f)
{
	PHDR_EDIT(0, ph.p_filesz = ph.p_memsz + 1);
}
static void m_outside(uint8_t *f)
{
	PHDR_EDIT(1, ph.p_filesz = DATA_FILE + 1);
}
static void m_outside_wrap(uint8_t *f)
{
	PHDR_EDIT(1, ph.p_offset = ~0ull - 0xfef; ph.p_vaddr = 0x402010);
}
static void m_low(uint8_t *f)
{
	PHDR_EDIT(0, ph.p_vaddr = 0x1000 - 0 * TEXT_OFF);
}
static void m_null(uint8_t *f)
{
	PHDR_EDIT(0, ph.p_vaddr = 0);
}
static void m_kernel(uint8_t *f)
{
	PHDR_EDIT(0, ph.p_vaddr = 0xffffffff80001000ull);
}
static void m_top(uint8_t *f)
{
	PHDR_EDIT(1, ph.p_vaddr = ELF_LOAD_HIGHEST - 0xff0);
}
static void m_memsz_wrap(uint8_t *f)
{
	PHDR_EDIT(1, ph.p_memsz = ~0ull - 0x100);
}
static void m_align(uint8_t *f)
{
	PHDR_EDIT(1, ph.p_vaddr = 0x402018);
}
static void m_wx(uint8_t *f)
{
	PHDR_EDIT(1, ph.p_flags |= ELF_PF_X);
}
static void m_overlap(uint8_t *f)
{
	PHDR_EDIT(1, ph.p_vaddr = TEXT_VA + 0x10);
}
static void m_overlap_page(uint8_t *f)
{
	PHDR_EDIT(0, ph.p_memsz = 0x2100);
}
static void m_no_segments(uint8_t *f)
{
	PHDR_EDIT(0, ph.p_type = 4);
	PHDR_EDIT(1, ph.p_memsz = 0; ph.p_filesz = 0);
}
static void m_entry_data(uint8_t *f)
{
	uint64_t e = DATA_VA;
	memcpy(f + offsetof(struct elf64_ehdr, e_entry), &e, sizeof(e));
}
static void m_entry_past(uint8_t *f)
{
	uint64_t e = TEXT_VA + TEXT_SIZE;
	memcpy(f + offsetof(struct elf64_ehdr, e_entry), &e, sizeof(e));
}

static const struct {
	mutation apply;
	enum elf_load_reason want;
	uint64_t size; /* 0: the whole file */
} cases[] = {
    {NULL, ELF_LOAD_TOO_SMALL, 63},
    {m_magic, ELF_LOAD_BAD_MAGIC, 0},
    {m_class, ELF_LOAD_NOT_64BIT, 0},
    {m_endian, ELF_LOAD_NOT_LITTLE_ENDIAN, 0},
    {m_version, ELF_LOAD_BAD_VERSION, 0},
    {m_e_version, ELF_LOAD_BAD_VERSION, 0},
    {m_machine, ELF_LOAD_WRONG_MACHINE, 0},
    {m_type_dyn, ELF_LOAD_NOT_EXECUTABLE, 0},
    {m_phentsize, ELF_LOAD_BAD_PHDR_SIZE, 0},
    {m_phnum0, ELF_LOAD_BAD_PHDR_COUNT, 0},
    {m_phnum_big, ELF_LOAD_BAD_PHDR_COUNT, 0},
    {m_phoff, ELF_LOAD_PHDRS_OUTSIDE, 0},
    {m_phoff_wrap, ELF_LOAD_PHDRS_OUTSIDE, 0},
    {NULL, ELF_LOAD_PHDRS_OUTSIDE, 64 + 56},
    {m_interp, ELF_LOAD_INTERP, 0},
    {m_dynamic, ELF_LOAD_DYNAMIC, 0},
    {m_filesz, ELF_LOAD_SEGMENT_FILESZ, 0},
    {m_outside, ELF_LOAD_SEGMENT_OUTSIDE, 0},
    {m_outside_wrap, ELF_LOAD_SEGMENT_OUTSIDE, 0},
    {NULL, ELF_LOAD_SEGMENT_OUTSIDE, FILE_SIZE - 1},
    {m_low, ELF_LOAD_SEGMENT_RANGE, 0},
    {m_null, ELF_LOAD_SEGMENT_RANGE, 0},
    {m_kernel, ELF_LOAD_SEGMENT_RANGE, 0},
    {m_top, ELF_LOAD_SEGMENT_RANGE, 0},
    {m_memsz_wrap, ELF_LOAD_SEGMENT_RANGE, 0},
    {m_align, ELF_LOAD_SEGMENT_ALIGN, 0},
    {m_wx, ELF_LOAD_SEGMENT_WX, 0},
    {m_overlap, ELF_LOAD_SEGMENT_OVERLAP, 0}, /* 0x400010 and offset 0x2010: congruent */
    {m_overlap_page, ELF_LOAD_SEGMENT_OVERLAP, 0},
    {m_no_segments, ELF_LOAD_NO_SEGMENTS, 0},
    {m_entry_data, ELF_LOAD_BAD_ENTRY, 0},
    {m_entry_past, ELF_LOAD_BAD_ENTRY, 0},
};

static void test_rejections(void **state)
{
	static uint8_t f[FILE_SIZE];
	struct elf_load_plan plan;
	struct elf_load_image img;
	struct vm_space *s;
	enum elf_load_reason why;

	(void)state;
	assert_int_equal(vm_space_create(&s), KERR_OK);
	assert_int_equal(elf_load_check(elf, sizeof(elf), &plan), ELF_LOAD_OK);
	assert_int_equal(plan.count, 2);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(f, elf, sizeof(f));
		if (cases[i].apply != NULL)
			cases[i].apply(f);
		uint64_t size = cases[i].size != 0 ? cases[i].size : sizeof(f);
		uint8_t *exact = malloc(size);
		memcpy(exact, f, size);
		enum elf_load_reason got = elf_load_check(exact, size, &plan);
		if (got != cases[i].want)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, elf_load_reason_name(got),
				 elf_load_reason_name(cases[i].want));
		kerr_t err = elf_load(s, exact, size, &img, &why);
		assert_int_equal(why, cases[i].want);
		assert_int_equal(err, elf_load_reason_kerr(cases[i].want));
		assert_int_equal(vm_space_mapping_count(s), 0);
		free(exact);
	}
	assert_int_equal(elf_load_reason_kerr(ELF_LOAD_INTERP), KERR_UNSUPPORTED);
	assert_int_equal(elf_load_reason_kerr(ELF_LOAD_SEGMENT_WX), KERR_INVALID);
	for (unsigned r = 0; r < ELF_LOAD_REASON_COUNT; r++)
		assert_non_null(elf_load_reason_name((enum elf_load_reason)r));
	assert_string_equal(elf_load_reason_name(ELF_LOAD_REASON_COUNT), "?");
	vm_space_destroy(s);
}

/* Something already at the data segment's address: the text mapped so far is undone. */
static void test_address_in_use(void **state)
{
	struct vm_space *s;
	struct vm_area *a;
	struct elf_load_image img;
	enum elf_load_reason why;
	vaddr_t base;

	(void)state;
	assert_int_equal(vm_space_create(&s), KERR_OK);
	assert_int_equal(vm_area_create_open(1, VM_PROT_READ, &a), KERR_OK);
	assert_int_equal(vm_space_map(s, a, 0, 0x404000, 1, VM_PROT_READ, &base), KERR_OK);
	assert_int_equal(elf_load(s, elf, sizeof(elf), &img, &why), KERR_EXISTS);
	assert_int_equal(why, ELF_LOAD_ADDRESS_IN_USE);
	assert_int_equal(vm_space_mapping_count(s), 1);
	assert_int_equal(frames_of(PAGE_USER), 1);
	assert_int_equal(vm_space_unmap(s, base), KERR_OK);
	vm_area_put(a);
	/* Twice into one space: the second finds the first in the way. */
	assert_int_equal(elf_load(s, elf, sizeof(elf), &img, &why), KERR_OK);
	struct elf_load_image again;
	assert_int_equal(elf_load(s, elf, sizeof(elf), &again, &why), KERR_EXISTS);
	assert_int_equal(vm_space_mapping_count(s), 3);
	vm_space_destroy(s); /* destroying the space frees what was loaded, too */
}

static void test_failure_injection(void **state)
{
	unsigned failed = 0;
	uint64_t k;

	(void)state;
	for (k = 1; k < 10000; k++) {
		struct vm_space *s;
		struct elf_load_image img;
		enum elf_load_reason why;

		fail_inject_arm(k);
		kerr_t err = vm_space_create(&s);
		if (err == KERR_OK) {
			err = elf_load(s, elf, sizeof(elf), &img, &why);
			if (err == KERR_OK)
				elf_load_unload(s, &img);
			else
				assert_int_equal(why, ELF_LOAD_NO_MEMORY);
			assert_int_equal(vm_space_mapping_count(s), 0);
			vm_space_destroy(s);
		}
		bool hit = fail_inject_attempts() >= k;
		fail_inject_arm(0);
		expect_baseline();
		if (!hit) {
			assert_int_equal(err, KERR_OK);
			break;
		}
		assert_int_equal(err, KERR_NO_MEMORY);
		failed++;
	}
	assert_true(k < 10000);
	printf("# failure injection: %u runs each failed one allocation, then a clean run\n",
	       failed);
	assert_true(failed > 5);
}

static void test_random_damage(void **state)
{
	struct test_rng rng = test_rng_seeded("elf_load random damage");
	struct vm_space *s;
	unsigned loaded = 0;

	(void)state;
	assert_int_equal(vm_space_create(&s), KERR_OK);
	for (unsigned round = 0; round < 3000; round++) {
		struct elf_load_image img;
		enum elf_load_reason why;
		uint64_t size =
		    round % 4 == 0 ? 1 + test_rng_below(&rng, sizeof(elf)) : sizeof(elf);
		uint8_t *f = malloc(size);
		memcpy(f, elf, size);
		unsigned hits = 1 + (unsigned)test_rng_below(&rng, 4);
		for (unsigned h = 0; h < hits; h++) {
			/* Mostly the headers, where damage matters. */
			uint64_t at = test_rng_below(&rng, 4) != 0
					  ? test_rng_below(&rng, 64 + 3 * 56)
					  : test_rng_below(&rng, size);
			if (at < size)
				f[at] = (uint8_t)test_rng_next(&rng);
		}
		kerr_t err = elf_load(s, f, size, &img, &why);
		assert_true(why < ELF_LOAD_REASON_COUNT);
		assert_int_equal(err, elf_load_reason_kerr(why));
		if (err == KERR_OK) {
			loaded++;
			elf_load_unload(s, &img);
		}
		assert_int_equal(vm_space_mapping_count(s), 0);
		free(f);
	}
	printf("# random damage: %u of 3000 damaged files still loaded\n", loaded);
	vm_space_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_loads, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_rejections, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_address_in_use, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_failure_injection, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_random_damage, boot, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
