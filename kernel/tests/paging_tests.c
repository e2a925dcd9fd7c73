/*
 * Built-in tests of the address space the kernel runs in, read from the live page tables: the
 * loader's identity map is gone, the whole kernel half is pre-populated, and every page of the
 * kernel image has exactly the rights of its segment (text R+X, read-only data R, data RW and
 * never executable), with the stack guard pages unmapped.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/mmu.h"
#include "kernel/arch/x86_64/stack.h"
#include "kernel/image.h"
#include "kernel/ktest.h"
#include "kernel/memory/phys.h"

KTEST(identity_map_is_gone)
{
	struct mmu_translation t;
	unsigned present = 0;

	for (unsigned slot = 0; slot < QUIRE_KERNEL_HALF_PML4_FIRST; slot++) {
		if (mmu_pml4_entry(slot) & MMU_PRESENT)
			present++;
	}
	kexpectf(present == 0, "%u lower-half PML4 slots are still present", present);
	kexpect(mmu_translate(0x1000, &t) == KERR_NOT_FOUND);
	kexpect(mmu_translate(ktest_boot_info()->pml4, &t) == KERR_NOT_FOUND);
}

KTEST(kernel_half_is_fully_populated)
{
	unsigned missing = 0;

	for (unsigned i = 0; i < QUIRE_KERNEL_HALF_PML4_COUNT; i++) {
		if (!(mmu_pml4_entry(QUIRE_KERNEL_HALF_PML4_FIRST + i) & MMU_PRESENT))
			missing++;
	}
	kexpectf(missing == 0, "%u of 256 kernel-half PML4 slots have no PDPT", missing);
}

KTEST(protection_is_enforced_in_ring0)
{
	kexpectf(cpu_read_cr0() & CPU_CR0_WP, "CR0.WP is clear: ring 0 ignores read-only pages");
	kexpectf(cpu_rdmsr(CPU_EFER) & CPU_EFER_NXE, "EFER.NXE is clear: NX bits are ignored");
}

struct rights {
	bool writable, executable;
};

static bool is_guard_page(uintptr_t page)
{
	for (unsigned i = 0; i <= STACK_IST_COUNT; i++) {
		if (stack_guard_page(i) == page)
			return true;
	}
	return false;
}

/* Checks every page of [start, end) against WANT; reports the first bad page and the count. */
static void check_range(struct ktest_ctx *ktest_ctx, const char *what, const char *start,
			const char *end, struct rights want)
{
	uintptr_t first_bad = 0;
	unsigned bad = 0, pages = 0;

	for (uintptr_t p = (uintptr_t)start & ~0xfffull; p < (uintptr_t)end; p += 4096, pages++) {
		struct mmu_translation t;
		kerr_t err = mmu_translate(p, &t);
		bool ok = is_guard_page(p) ? err == KERR_NOT_FOUND
					   : err == KERR_OK && t.writable == want.writable &&
						 t.executable == want.executable && !t.user;
		if (!ok && bad++ == 0)
			first_bad = p;
	}
	kexpectf(bad == 0, "%s: %u of %u pages have the wrong rights, first at 0x%lx", what, bad,
		 pages, (unsigned long)first_bad);
	kexpectf(pages > 0, "%s is empty", what);
}

KTEST(kernel_image_is_w_xor_x)
{
	check_range(ktest_ctx, "text", image_text_start, image_text_end,
		    (struct rights){.writable = false, .executable = true});
	check_range(ktest_ctx, "rodata", image_rodata_start, image_rodata_end,
		    (struct rights){.writable = false, .executable = false});
	check_range(ktest_ctx, "data", image_data_start, image_data_end,
		    (struct rights){.writable = true, .executable = false});
	check_range(ktest_ctx, "ksyms", image_ksyms_start, image_ksyms_end,
		    (struct rights){.writable = false, .executable = false});
}

KTEST(stack_guard_pages_are_unmapped)
{
	struct mmu_translation t;

	for (unsigned i = 0; i <= STACK_IST_COUNT; i++)
		kexpectf(mmu_translate(stack_guard_page(i), &t) == KERR_NOT_FOUND,
			 "guard page %u at 0x%lx is mapped", i, (unsigned long)stack_guard_page(i));
	kexpect(mmu_translate(stack_boot_top() - 8, &t) == KERR_OK && t.writable);
}

KTEST(linear_map_is_write_back_data)
{
	const struct quire_boot_info *bi = ktest_boot_info();
	struct mmu_translation t;
	paddr_t pa = bi->memory_map;

	if (!kexpect(mmu_translate((vaddr_t)phys_to_virt(pa), &t) == KERR_OK))
		return;
	kexpect_eq(t.phys, pa);
	kexpect(t.writable);
	kexpectf(!t.executable, "the linear map is executable: RW+X at 0x%lx",
		 (unsigned long)phys_to_virt(pa));
	kexpect_eq(phys_from_linear(phys_to_virt(pa)), pa);
}
