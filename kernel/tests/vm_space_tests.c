/*
 * Built-in tests of the VM core against the real page tables and MMU: two user spaces sharing an
 * open area (a write under one CR3 is read under the other), shrinking (the old range faults),
 * a guard page (the real #PF handler reports it; a hook catches the fault), and a kernel-space
 * area filled in on first touch by the real #PF handler -> vm_space_allocate(). Each test ends
 * with the pmm's free count back at its starting value (heap and node-cache spares trimmed).
 * User pages are touched from ring 0 under stac/clac, since SMAP is on.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/ktest.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_space.h"

#define USER_VA 0x400000ull

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	pmm_get_stats(&st);
	return st.free;
}

static void user_access_begin(void)
{
	if (cpu_features()->smap)
		__asm__ volatile("stac" ::: "memory");
}

static void user_access_end(void)
{
	if (cpu_features()->smap)
		__asm__ volatile("clac" ::: "memory");
}

struct caught {
	unsigned count;
	uint64_t cr2, error_code;
	enum vm_fault_result vm; /* what the VM said about the fault */
};

/* Records a #PF, asks the kernel space about it, and resumes at the address in RDX. */
static bool catch_fault(struct trap_frame *f, void *ctx)
{
	struct caught *c = ctx;

	if (f->vector != TRAP_PAGE_FAULT)
		return false;
	c->count++;
	c->cr2 = cpu_read_cr2();
	c->error_code = f->error_code;
	if ((f->cs & 3) == 0 && c->cr2 >= QUIRE_KERNEL_HALF_BASE)
		c->vm = vm_space_allocate(vm_space_kernel(), c->cr2,
					  (f->error_code & TRAP_PF_WRITE) ? VM_PROT_WRITE
									  : VM_PROT_READ);
	f->rip = f->rdx;
	return true;
}

/* Reads ADDR with the fault hook's resume protocol; VALUE stays as it was if it faults. */
static uint64_t probe_read(uint64_t addr, uint64_t value)
{
	__asm__ volatile("leaq 1f(%%rip), %%rdx\n\t"
			 "movq (%1), %0\n"
			 "1:"
			 : "+r"(value)
			 : "r"(addr)
			 : "rdx", "memory");
	return value;
}

KTEST(vm_shared_area_seen_through_two_spaces)
{
	struct vm_space *sa, *sb;
	struct vm_area *a;
	vaddr_t ba, bb;
	uint64_t before = free_frames(), kernel_cr3 = cpu_read_cr3();

	if (!kexpect(vm_space_kernel() != NULL) || !kexpect(vm_space_create(&sa) == KERR_OK))
		return;
	kexpect(vm_space_create(&sb) == KERR_OK);
	kexpect(vm_area_create_open(4, VM_PROT_READ | VM_PROT_WRITE, &a) == KERR_OK);
	kexpect(vm_space_map(sa, a, 0, USER_VA, 4, VM_PROT_READ | VM_PROT_WRITE, &ba) == KERR_OK);
	kexpect(vm_space_map(sb, a, 0, USER_VA + 0x100000, 4, VM_PROT_READ, &bb) == KERR_OK);
	for (unsigned i = 0; i < 4; i++) {
		kexpect_eq(vm_space_allocate(sa, ba + i * PAGE_SIZE, VM_PROT_WRITE), VM_FAULT_OK);
		kexpect_eq(vm_space_allocate(sb, bb + i * PAGE_SIZE, VM_PROT_READ), VM_FAULT_OK);
	}
	kexpect_eq(vm_space_allocate(sb, bb, VM_PROT_WRITE), VM_FAULT_PROTECTION);

	volatile uint64_t *pa = (volatile uint64_t *)(ba + 3 * PAGE_SIZE + 8);
	volatile uint64_t *pb = (volatile uint64_t *)(bb + 3 * PAGE_SIZE + 8);
	uint64_t seen, untouched;
	cpu_write_cr3(sa->pt.root);
	user_access_begin();
	*pa = 0x5157495245ull;
	user_access_end();
	cpu_write_cr3(sb->pt.root);
	user_access_begin();
	seen = *pb;
	untouched = *(volatile uint64_t *)bb;
	user_access_end();
	cpu_write_cr3(kernel_cr3);
	kexpect_eq(seen, 0x5157495245ull);
	kexpect_eq(untouched, 0);

	/* Shrink to one page: the old range faults in both spaces. */
	struct caught c = {0};
	kexpect(vm_space_resize(a, 1) == KERR_OK);
	kexpect_eq(vm_area_resident(a), 1);
	cpu_write_cr3(sb->pt.root);
	trap_set_hook(catch_fault, &c);
	user_access_begin();
	seen = probe_read((uint64_t)pb, 77);
	user_access_end();
	trap_set_hook(NULL, NULL);
	cpu_write_cr3(kernel_cr3);
	kexpect_eq(c.count, 1);
	kexpect_eq(c.cr2, (uint64_t)pb);
	kexpect_eq(c.error_code & TRAP_PF_PRESENT, 0);
	kexpect_eq(seen, 77);
	kexpect_eq(vm_space_allocate(sa, (uint64_t)pa, VM_PROT_READ), VM_FAULT_NO_MAPPING);

	vm_area_put(a);
	vm_space_destroy(sa);
	vm_space_destroy(sb);
	kexpect_eq(free_frames(), before);
}

KTEST(vm_kernel_area_faults_in_on_first_touch)
{
	struct vm_area *a;
	vaddr_t b;
	uint64_t before = free_frames();
	struct vm_space *k = vm_space_kernel();

	if (!kexpect(k != NULL))
		return;
	kexpect(vm_area_create_open(8, VM_PROT_READ | VM_PROT_WRITE, &a) == KERR_OK);
	if (!kexpect(vm_space_map(k, a, 0, VM_MAP_ANYWHERE, 8, VM_PROT_READ | VM_PROT_WRITE, &b) ==
		     KERR_OK))
		return;
	kexpect(b >= QUIRE_LINEAR_MAP_BASE + QUIRE_LINEAR_MAP_MAX_SIZE &&
		b < QUIRE_KERNEL_LINK_BASE);
	/* No hook: the real #PF handler serves each first touch (reads get the zero page). */
	volatile uint64_t *p = (volatile uint64_t *)b;
	kexpect_eq(p[5 * 512], 0);
	for (unsigned i = 0; i < 8; i++)
		p[i * 512 + 1] = 1000 + i;
	uint64_t sum = 0;
	for (unsigned i = 0; i < 8; i++)
		sum += p[i * 512 + 1];
	kexpect_eq(sum, 8 * 1000 + 28);
	kexpect_eq(vm_area_resident(a), 8);
	kexpect(vm_space_unmap(k, b) == KERR_OK);
	vm_area_put(a);
	kexpect_eq(free_frames(), before);
}

KTEST(vm_guard_page_faults)
{
	struct vm_area *a;
	vaddr_t b;
	uint64_t before = free_frames();
	struct vm_space *k = vm_space_kernel();
	struct caught c = {0};

	if (!kexpect(k != NULL))
		return;
	kexpect(vm_area_create_guarded(2, 1, 0, VM_PROT_READ | VM_PROT_WRITE, &a) == KERR_OK);
	if (!kexpect(vm_space_map(k, a, 0, VM_MAP_ANYWHERE, 3, VM_PROT_READ | VM_PROT_WRITE, &b) ==
		     KERR_OK))
		return;
	volatile uint64_t *top = (volatile uint64_t *)(b + 3 * PAGE_SIZE - 8);
	*top = 0xabcd; /* the real handler serves the stack's top page */
	kexpect_eq(*top, 0xabcd);
	trap_set_hook(catch_fault, &c);
	uint64_t seen = probe_read(b + 16, 5); /* the guard page below the stack */
	trap_set_hook(NULL, NULL);
	kexpect_eq(c.count, 1);
	kexpect_eq(c.cr2, b + 16);
	kexpect_eq(c.vm, VM_FAULT_GUARD);
	kexpect_eq(seen, 5);
	kexpect(vm_space_unmap(k, b) == KERR_OK);
	vm_area_put(a);
	kexpect_eq(free_frames(), before);
}
