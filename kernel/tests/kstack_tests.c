/*
 * Built-in tests of kernel stacks (kstack.h) on the real MMU: a function that uses several KiB
 * of stack runs on a new kstack (RSP switched by a small assembler helper and switched back);
 * both guard pages fault not-present and the VM calls them VM_FAULT_GUARD; destroying the stack
 * gives every frame and the mapping back.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/ktest.h"
#include "kernel/lib/string.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/kstack.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_space.h"

/*
 * kstack_test_call_on(top, fn, arg): calls FN(ARG) with RSP = TOP, returns its result on the
 * caller's stack again. RBP keeps the old stack, so a backtrace from FN still reaches here.
 */
uint64_t kstack_test_call_on(uintptr_t top, uint64_t (*fn)(uint64_t), uint64_t arg);
__asm__(".pushsection .text\n"
	".globl kstack_test_call_on\n"
	".type kstack_test_call_on, @function\n"
	"kstack_test_call_on:\n"
	"	pushq %rbp\n"
	"	movq %rsp, %rbp\n"
	"	movq %rdi, %rsp\n"
	"	movq %rdx, %rdi\n"
	"	callq *%rsi\n"
	"	movq %rbp, %rsp\n"
	"	popq %rbp\n"
	"	retq\n"
	".size kstack_test_call_on, . - kstack_test_call_on\n"
	".popsection\n");

static uintptr_t seen_rsp;

/* Uses 6 KiB of stack: fills a buffer, sums it; records where its stack was. */
static uint64_t deep_function(uint64_t seed)
{
	volatile uint8_t buf[6144];
	uint64_t sum = 0;

	__asm__ volatile("movq %%rsp, %0" : "=r"(seen_rsp));
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(seed + i);
	for (size_t i = 0; i < sizeof(buf); i++)
		sum += buf[i];
	return sum;
}

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	pmm_get_stats(&st);
	return st.free;
}

static uint64_t stack_frames(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.by_kind[PAGE_KERNEL_STACK];
}

struct caught {
	unsigned count;
	uint64_t cr2, error_code;
	enum vm_fault_result vm;
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
	c->vm = vm_space_allocate(vm_space_kernel(), c->cr2,
				  (f->error_code & TRAP_PF_WRITE) ? VM_PROT_WRITE : VM_PROT_READ);
	f->rip = f->rdx;
	return true;
}

static void probe_write(uint64_t addr)
{
	__asm__ volatile("leaq 1f(%%rip), %%rdx\n\t"
			 "movq $1, (%0)\n"
			 "1:"
			 :
			 : "r"(addr)
			 : "rdx", "memory");
}

KTEST(kstack_runs_a_function_and_guards_both_ends)
{
	struct kstack s;
	uint64_t before = free_frames();
	uint64_t mappings = vm_space_mapping_count(vm_space_kernel());
	uint64_t threads_stacks = stack_frames(); /* the idle thread's, and any other thread's */

	if (!kexpect(kstack_create(4, &s) == KERR_OK))
		return;
	kexpect_eq(stack_frames(), threads_stacks + 4);
	kexpect_eq(s.top - s.bottom, 4 * PAGE_SIZE);
	kexpect_eq(s.top % 16, 0);

	uint64_t want = deep_function(7); /* on this stack, for the expected sum */
	uint64_t got = kstack_test_call_on(s.top, deep_function, 7);
	kexpect_eq(got, want);
	kexpect(seen_rsp > s.bottom && seen_rsp < s.top);
	kexpect(s.top - seen_rsp > 6144);

	/* The guard page below and the one above: not present, and the VM says "guard". */
	struct caught c = {0};
	trap_set_hook(catch_fault, &c);
	probe_write(s.bottom - 8);
	trap_set_hook(NULL, NULL);
	kexpect_eq(c.count, 1);
	kexpect_eq(c.cr2, s.bottom - 8);
	kexpect_eq(c.error_code & TRAP_PF_PRESENT, 0);
	kexpect_eq(c.vm, VM_FAULT_GUARD);
	c = (struct caught){0};
	trap_set_hook(catch_fault, &c);
	probe_write(s.top);
	trap_set_hook(NULL, NULL);
	kexpect_eq(c.count, 1);
	kexpect_eq(c.vm, VM_FAULT_GUARD);

	kstack_destroy(&s);
	kexpect_eq(stack_frames(), threads_stacks);
	kexpect_eq(vm_space_mapping_count(vm_space_kernel()), mappings);
	kexpect_eq(free_frames(), before);
}
