/*
 * libFuzzer target: the two ELF validators, on the same bytes.
 *
 * 1. The kernel's user ELF check, elf_load_check() (kernel/memory/elf_load.c). It must never read
 *    outside the input (libFuzzer's copy is exactly the input's size, so ASan sees any byte past
 *    it) and must return a reason that has a name. A plan it accepts must keep every promise of
 *    elf_load.h, checked here on the plan and against the program headers re-read from the file:
 *    the plan's segments are exactly the file's PT_LOAD entries with memsz > 0, in order, with
 *    their rights; none is PT_INTERP or PT_DYNAMIC; each segment has filesz <= memsz, its file
 *    bytes inside the file, offset and address equal modulo 4 KiB, its pages inside
 *    [ELF_LOAD_LOWEST, ELF_LOAD_HIGHEST) and not both writable and executable; no two share a
 *    page; the entry lies in an executable segment.
 *    Then the accepted file is really loaded, by elf_load() into a fresh user space of the
 *    simulated machine (test/unit/sim_machine.h, booted once): it must succeed, every page that
 *    holds file bytes must be present with the segment's rights and hold exactly the file's bytes
 *    (zeros around them), and once it is unloaded and the space destroyed, every frame and page
 *    table must be back.
 * 2. The loader's kernel ELF validation, elf_validate() (bootloader/elf_validate.c): never reads
 *    outside the input, names its result, and an image it accepts has 1 to 16 segments sorted by
 *    address, none below the link base, none writable and executable, none sharing a page, each
 *    with its file bytes inside the file, virt_base and virt_end the page-rounded ends, the entry
 *    in an executable segment and the note's version the loader's.
 *
 * Any broken promise prints what was wrong and aborts, which libFuzzer reports as a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quire/boot.h>

#include "bootloader/elf64.h"
#include "bootloader/elf_validate.h"
#include "kernel/memory/elf_load.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area.h"
#include "kernel/memory/vm_space.h"
#include "test/unit/sim_machine.h"

#define SIM_BYTES (64ull << 20)
#define PAGE      4096ull

typedef unsigned __int128 u128;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pagetable kernel_pt;
static uint64_t baseline_free, baseline_tables, baseline_user;

__attribute__((format(printf, 1, 2))) static _Noreturn void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fuzz_elf: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

static uint64_t frames_of(enum page_kind kind)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return kind == PAGE_FREE ? st.free : st.by_kind[kind];
}

static u128 page_down(u128 v)
{
	return v & ~(u128)(PAGE - 1);
}

static u128 page_up(u128 v)
{
	return (v + PAGE - 1) & ~(u128)(PAGE - 1);
}

static bool in_file(uint64_t offset, uint64_t len, size_t size)
{
	return (u128)offset + len <= size;
}

static struct elf64_phdr phdr_of(const uint8_t *data, const struct elf64_ehdr *eh, unsigned i)
{
	struct elf64_phdr ph;

	memcpy(&ph, data + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
	return ph;
}

/* ---- the kernel's check ---- */

static unsigned prot_of(uint32_t flags)
{
	return VM_PROT_READ | (flags & ELF_PF_W ? VM_PROT_WRITE : 0) |
	       (flags & ELF_PF_X ? VM_PROT_EXEC : 0);
}

/* An accepted plan against the file's program headers, re-read here. */
static void check_plan_against_file(const uint8_t *data, size_t size,
				    const struct elf_load_plan *plan)
{
	struct elf64_ehdr eh;
	unsigned k = 0;

	memcpy(&eh, data, sizeof(eh));
	if (eh.e_type != ELF_ET_EXEC || eh.e_machine != ELF_EM_X86_64 ||
	    eh.e_phentsize != sizeof(struct elf64_phdr) || eh.e_phnum == 0 ||
	    eh.e_phnum > ELF_LOAD_MAX_PHDRS)
		fuzz_fail("elf_load_check accepted a bad header");
	if (!in_file(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(struct elf64_phdr), size))
		fuzz_fail("elf_load_check accepted headers outside the file");
	if (plan->entry != eh.e_entry)
		fuzz_fail("plan entry %#llx, e_entry %#llx", (unsigned long long)plan->entry,
			  (unsigned long long)eh.e_entry);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		struct elf64_phdr ph = phdr_of(data, &eh, i);
		if (ph.p_type == ELF_PT_INTERP || ph.p_type == ELF_PT_DYNAMIC)
			fuzz_fail("elf_load_check accepted PT_INTERP or PT_DYNAMIC (phdr %u)", i);
		if (ph.p_type != ELF_PT_LOAD || ph.p_memsz == 0)
			continue;
		if (k >= plan->count)
			fuzz_fail("phdr %u is a PT_LOAD missing from the plan", i);
		const struct elf_load_segment *s = &plan->segment[k++];
		if (s->vaddr != ph.p_vaddr || s->memsz != ph.p_memsz || s->offset != ph.p_offset ||
		    s->filesz != ph.p_filesz || s->prot != prot_of(ph.p_flags))
			fuzz_fail("plan segment %u differs from phdr %u", k - 1, i);
	}
	if (k != plan->count)
		fuzz_fail("the plan has %u segments, the file %u", plan->count, k);
}

static void check_plan(const uint8_t *data, size_t size, const struct elf_load_plan *plan)
{
	bool entry_ok = false;

	if (plan->count == 0 || plan->count > ELF_LOAD_MAX_SEGMENTS)
		fuzz_fail("plan with %u segments", plan->count);
	for (unsigned i = 0; i < plan->count; i++) {
		const struct elf_load_segment *s = &plan->segment[i];
		if (s->memsz == 0 || s->filesz > s->memsz)
			fuzz_fail("segment %u: memsz %#llx filesz %#llx", i,
				  (unsigned long long)s->memsz, (unsigned long long)s->filesz);
		if (!in_file(s->offset, s->filesz, size))
			fuzz_fail("segment %u: file bytes outside the file", i);
		if (s->vaddr < ELF_LOAD_LOWEST || (u128)s->vaddr + s->memsz > ELF_LOAD_HIGHEST)
			fuzz_fail("segment %u: [%#llx, +%#llx) outside the user range", i,
				  (unsigned long long)s->vaddr, (unsigned long long)s->memsz);
		if ((s->offset ^ s->vaddr) & (PAGE - 1))
			fuzz_fail("segment %u: offset and address differ modulo 4 KiB", i);
		if (!(s->prot & VM_PROT_READ) || (s->prot & ~VM_PROT_ALL) ||
		    ((s->prot & VM_PROT_WRITE) && (s->prot & VM_PROT_EXEC)))
			fuzz_fail("segment %u: rights %#x", i, s->prot);
		for (unsigned j = 0; j < i; j++) {
			const struct elf_load_segment *t = &plan->segment[j];
			if (page_down(s->vaddr) < page_up((u128)t->vaddr + t->memsz) &&
			    page_down(t->vaddr) < page_up((u128)s->vaddr + s->memsz))
				fuzz_fail("segments %u and %u share a page", j, i);
		}
		if ((s->prot & VM_PROT_EXEC) && plan->entry >= s->vaddr &&
		    plan->entry - s->vaddr < s->memsz)
			entry_ok = true;
	}
	if (!entry_ok)
		fuzz_fail("entry %#llx in no executable segment", (unsigned long long)plan->entry);
	check_plan_against_file(data, size, plan);
}

static const uint8_t *bytes_at(struct vm_space *s, uint64_t va, unsigned want_prot)
{
	struct pagetable_mapping m;

	if (pagetable_query(&s->pt, va, &m) != KERR_OK)
		fuzz_fail("page %#llx with file bytes is not present", (unsigned long long)va);
	if (m.prot != (want_prot | PAGETABLE_USER))
		fuzz_fail("page %#llx has rights %#x, want %#x", (unsigned long long)va, m.prot,
			  want_prot | PAGETABLE_USER);
	return (const uint8_t *)(phys_host_base + m.pa);
}

/* Every page of S holding file bytes: the file's bytes, zeros around them. */
static void check_segment_bytes(struct vm_space *sp, const uint8_t *data,
				const struct elf_load_segment *s)
{
	uint64_t first = (uint64_t)page_down(s->vaddr);
	uint64_t end = (uint64_t)page_up((u128)s->vaddr + s->filesz);

	if (s->filesz == 0)
		return; /* all bss: no page need be present yet */

	for (uint64_t va = first; va < end; va += PAGE) {
		const uint8_t *page = bytes_at(sp, va, s->prot);
		for (uint64_t i = 0; i < PAGE; i++) {
			uint64_t at = va + i;
			uint8_t want = at >= s->vaddr && at - s->vaddr < s->filesz
					   ? data[s->offset + (at - s->vaddr)]
					   : 0;
			if (page[i] != want)
				fuzz_fail("byte at %#llx is %#x, want %#x", (unsigned long long)at,
					  page[i], want);
		}
	}
}

static void load_and_check(const uint8_t *data, size_t size, const struct elf_load_plan *plan)
{
	struct vm_space *space;
	struct elf_load_image img;
	enum elf_load_reason why;

	if (vm_space_create(&space) != KERR_OK)
		fuzz_fail("vm_space_create failed");
	kerr_t err = elf_load(space, data, size, &img, &why);
	if (err != KERR_OK)
		fuzz_fail("elf_load of an accepted file: %s", elf_load_reason_name(why));
	if (img.entry != plan->entry || img.count != plan->count ||
	    img.stack_top != ELF_LOAD_STACK_TOP)
		fuzz_fail("image: entry %#llx, %u segments, stack top %#llx",
			  (unsigned long long)img.entry, img.count,
			  (unsigned long long)img.stack_top);
	for (unsigned i = 0; i < plan->count; i++)
		check_segment_bytes(space, data, &plan->segment[i]);
	elf_load_unload(space, &img);
	if (vm_space_mapping_count(space) != 0)
		fuzz_fail("unload left %llu mappings",
			  (unsigned long long)vm_space_mapping_count(space));
	vm_space_destroy(space);
	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	if (frames_of(PAGE_FREE) != baseline_free ||
	    frames_of(PAGE_PAGE_TABLE) != baseline_tables || frames_of(PAGE_USER) != baseline_user)
		fuzz_fail(
		    "frames after unload: free %llu/%llu, tables %llu/%llu, user %llu/%llu",
		    (unsigned long long)frames_of(PAGE_FREE), (unsigned long long)baseline_free,
		    (unsigned long long)frames_of(PAGE_PAGE_TABLE),
		    (unsigned long long)baseline_tables, (unsigned long long)frames_of(PAGE_USER),
		    (unsigned long long)baseline_user);
}

static void fuzz_kernel_check(const uint8_t *data, size_t size)
{
	struct elf_load_plan plan;

	memset(&plan, 0xa5, sizeof(plan));
	enum elf_load_reason r = elf_load_check(data, size, &plan);
	if ((unsigned)r >= ELF_LOAD_REASON_COUNT || r == ELF_LOAD_ADDRESS_IN_USE ||
	    r == ELF_LOAD_NO_MEMORY)
		fuzz_fail("elf_load_check returned %d", r);
	const char *name = elf_load_reason_name(r);
	if (name == NULL || strcmp(name, "?") == 0)
		fuzz_fail("reason %d has no name", r);
	if (r != ELF_LOAD_OK)
		return;
	check_plan(data, size, &plan);
	load_and_check(data, size, &plan);
}

/* ---- the loader's validation ---- */

static void check_image(const uint8_t *data, size_t size, const struct kernel_image *img)
{
	struct elf64_ehdr eh;
	bool entry_ok = false;

	if (img->segment_count == 0 || img->segment_count > KERNEL_MAX_SEGMENTS)
		fuzz_fail("kernel image with %u segments", img->segment_count);
	if (img->note_version != QUIRE_BOOT_VERSION || img->bad_phdr != ELF_VALIDATE_NO_PHDR)
		fuzz_fail("kernel image: note version %u, bad_phdr %u", img->note_version,
			  img->bad_phdr);
	memcpy(&eh, data, sizeof(eh));
	if (img->entry != eh.e_entry)
		fuzz_fail("kernel image entry %#llx, e_entry %#llx", (unsigned long long)img->entry,
			  (unsigned long long)eh.e_entry);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		struct elf64_phdr ph = phdr_of(data, &eh, i);
		if (ph.p_type == ELF_PT_INTERP || ph.p_type == ELF_PT_DYNAMIC)
			fuzz_fail("elf_validate accepted PT_INTERP or PT_DYNAMIC (phdr %u)", i);
	}
	for (unsigned i = 0; i < img->segment_count; i++) {
		const struct kernel_segment *s = &img->segments[i];
		u128 end = (u128)s->vaddr + s->memsz;
		if (s->memsz == 0 || s->filesz > s->memsz || !in_file(s->offset, s->filesz, size))
			fuzz_fail("kernel segment %u: memsz %#llx filesz %#llx offset %#llx", i,
				  (unsigned long long)s->memsz, (unsigned long long)s->filesz,
				  (unsigned long long)s->offset);
		if (s->vaddr < QUIRE_KERNEL_LINK_BASE || page_up(end) > UINT64_MAX)
			fuzz_fail("kernel segment %u: [%#llx, +%#llx)", i,
				  (unsigned long long)s->vaddr, (unsigned long long)s->memsz);
		if ((s->flags & ELF_PF_W) && (s->flags & ELF_PF_X))
			fuzz_fail("kernel segment %u is writable and executable", i);
		if (s->flags & ~(ELF_PF_R | ELF_PF_W | ELF_PF_X))
			fuzz_fail("kernel segment %u: flags %#x", i, s->flags);
		if (i > 0) {
			const struct kernel_segment *t = &img->segments[i - 1];
			if (t->vaddr > s->vaddr ||
			    page_up((u128)t->vaddr + t->memsz) > page_down(s->vaddr))
				fuzz_fail(
				    "kernel segments %u and %u out of order or sharing a page",
				    i - 1, i);
		}
		if ((s->flags & ELF_PF_X) && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->memsz)
			entry_ok = true;
	}
	const struct kernel_segment *last = &img->segments[img->segment_count - 1];
	if (img->virt_base != page_down(img->segments[0].vaddr) ||
	    img->virt_end != page_up((u128)last->vaddr + last->memsz))
		fuzz_fail("kernel image [%#llx, %#llx) is not its segments' pages",
			  (unsigned long long)img->virt_base, (unsigned long long)img->virt_end);
	if (!entry_ok)
		fuzz_fail("kernel entry %#llx in no executable segment",
			  (unsigned long long)img->entry);
}

static void fuzz_loader_validate(const uint8_t *data, size_t size)
{
	struct kernel_image img;

	enum elf_validate_result r = elf_validate(data, size, &img);
	if ((unsigned)r >= ELF_VALIDATE_RESULT_COUNT)
		fuzz_fail("elf_validate returned %d", r);
	if (elf_validate_strerror(r) == NULL)
		fuzz_fail("result %d has no name", r);
	if (r != ELF_VALIDATE_OK) {
		struct elf64_ehdr eh;
		if (img.bad_phdr == ELF_VALIDATE_NO_PHDR)
			return;
		memcpy(&eh, data, sizeof(eh)); /* bad_phdr is set only past the header checks */
		if (img.bad_phdr >= eh.e_phnum)
			fuzz_fail("bad_phdr %u of %u program headers", img.bad_phdr, eh.e_phnum);
		return;
	}
	check_image(data, size, &img);
}

/* ---- libFuzzer ---- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sim_boot_vm(SIM_BYTES, &kernel_pt);
	baseline_free = frames_of(PAGE_FREE);
	baseline_tables = frames_of(PAGE_PAGE_TABLE);
	baseline_user = frames_of(PAGE_USER);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_kernel_check(data, size);
	fuzz_loader_validate(data, size);
	return 0;
}
