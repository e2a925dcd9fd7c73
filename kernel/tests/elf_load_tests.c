/*
 * Built-in test of the user ELF loader on the real page tables: /bin/probe (user/probe.c, built
 * with the initrd) is checked and loaded into a fresh user space. Each segment's pages carry its
 * rights in the space's table (user; text executable and read-only; data writable and NX), its
 * first page holds the file's bytes (read through the linear map), the entry is the file's, the
 * stack is mapped below ELF_LOAD_STACK_TOP, and after unloading and destroying the space every
 * frame is free again. The program is not run: user mode comes with processes.
 */
#include "kernel/initrd.h"
#include "kernel/ktest.h"
#include "kernel/lib/string.h"
#include "kernel/memory/elf_load.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pmm.h"

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	pmm_get_stats(&st);
	return st.free;
}

/* Checks SEG's first page in SPACE: rights, and the file bytes that land in it. */
static void check_segment(struct ktest_ctx *ktest_ctx, struct vm_space *space,
			  const struct elf_load_segment *seg, const uint8_t *file)
{
	struct pagetable_mapping m;
	unsigned want = PAGETABLE_READ | PAGETABLE_USER;

	if (!kexpectf(pagetable_query(&space->pt, seg->vaddr, &m) == KERR_OK,
		      "segment at 0x%llx not present", (unsigned long long)seg->vaddr))
		return;
	if (seg->prot & VM_PROT_WRITE)
		want |= PAGETABLE_WRITE;
	if (seg->prot & VM_PROT_EXEC)
		want |= PAGETABLE_EXEC;
	kexpect_eq(m.prot, want);
	kexpect((m.pte & PTE_USER) != 0);
	kexpect(((m.pte & PTE_NX) != 0) == !(seg->prot & VM_PROT_EXEC));
	uint64_t in_page = seg->vaddr & 0xfff;
	uint64_t n = seg->filesz < 4096 - in_page ? seg->filesz : 4096 - in_page;
	const uint8_t *frame = phys_to_virt(m.pa & ~0xfffull);
	kexpect(memcmp(frame + in_page, file + seg->offset, n) == 0);
}

KTEST(elf_load_probe_from_initrd)
{
	const void *file;
	uint64_t size;
	struct elf_load_plan plan;
	struct elf_load_image img;
	enum elf_load_reason why;
	struct vm_space *space;
	uint64_t before = free_frames();

	if (!kexpect(initrd_find("/bin/probe", &file, &size) == KERR_OK))
		return;
	if (!kexpectf(elf_load_check(file, size, &plan) == ELF_LOAD_OK, "check: %s",
		      elf_load_reason_name(elf_load_check(file, size, &plan))))
		return;
	kexpect(plan.count >= 2);
	if (!kexpect(vm_space_create(&space) == KERR_OK))
		return;
	if (kexpectf(elf_load(space, file, size, &img, &why) == KERR_OK, "load: %s",
		     elf_load_reason_name(why))) {
		kexpect_eq(img.entry, plan.entry);
		kexpect_eq(img.count, plan.count);
		bool text = false, data = false;
		for (unsigned i = 0; i < plan.count; i++) {
			check_segment(ktest_ctx, space, &plan.segment[i], file);
			text |= (plan.segment[i].prot & VM_PROT_EXEC) != 0;
			data |= (plan.segment[i].prot & VM_PROT_WRITE) != 0;
		}
		kexpect(text && data);
		struct vm_mapping_info info;
		kexpect(vm_space_lookup(space, img.stack_top - 8, &info) == KERR_OK);
		kexpect_eq(img.stack_top, ELF_LOAD_STACK_TOP);
		kexpect_eq(vm_space_allocate(space, img.stack_top - 8, VM_PROT_WRITE), VM_FAULT_OK);
		kexpect_eq(vm_space_allocate(space, img.stack_base - 8, VM_PROT_WRITE),
			   VM_FAULT_GUARD);
		elf_load_unload(space, &img);
		kexpect_eq(vm_space_mapping_count(space), 0);
	}
	vm_space_destroy(space);
	kexpect_eq(free_frames(), before);
}

KTEST(elf_load_rejects_readme)
{
	const void *file;
	uint64_t size;
	struct elf_load_image img;
	enum elf_load_reason why;
	struct vm_space *space;

	if (!kexpect(initrd_find("README", &file, &size) == KERR_OK) ||
	    !kexpect(vm_space_create(&space) == KERR_OK))
		return;
	kexpect_eq(elf_load(space, file, size, &img, &why), KERR_INVALID);
	kexpect_eq(why, ELF_LOAD_BAD_MAGIC);
	kexpect_eq(vm_space_mapping_count(space), 0);
	vm_space_destroy(space);
}
