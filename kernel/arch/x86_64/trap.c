/*
 * Exception dispatch and the fatal-exception report; see trap.h. Device interrupts (vectors 32 and
 * up) share the entry path and leave it here for irq_dispatch() (apic.h).
 */
#include "kernel/arch/x86_64/trap.h"

#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/console.h"
#include "kernel/ksyms.h"
#include "kernel/lib/alloc_check.h"
#include "kernel/lib/compiler.h"
#include "kernel/memory/vm_space.h"
#include "kernel/panic.h"
#include "kernel/process.h"
#include "kernel/user_copy.h"

static const struct {
	const char *mnemonic;
	const char *name;
} exceptions[TRAP_EXCEPTION_COUNT] = {
    [0] = {"#DE", "Divide error"},
    [1] = {"#DB", "Debug"},
    [2] = {"NMI", "Non-maskable interrupt"},
    [3] = {"#BP", "Breakpoint"},
    [4] = {"#OF", "Overflow"},
    [5] = {"#BR", "BOUND range exceeded"},
    [6] = {"#UD", "Invalid opcode"},
    [7] = {"#NM", "Device not available"},
    [8] = {"#DF", "Double fault"},
    [9] = {"", "Coprocessor segment overrun"},
    [10] = {"#TS", "Invalid TSS"},
    [11] = {"#NP", "Segment not present"},
    [12] = {"#SS", "Stack-segment fault"},
    [13] = {"#GP", "General protection fault"},
    [14] = {"#PF", "Page fault"},
    [16] = {"#MF", "x87 floating-point error"},
    [17] = {"#AC", "Alignment check"},
    [18] = {"#MC", "Machine check"},
    [19] = {"#XM", "SIMD floating-point exception"},
    [20] = {"#VE", "Virtualization exception"},
    [21] = {"#CP", "Control protection exception"},
    [28] = {"#HV", "Hypervisor injection exception"},
    [29] = {"#VC", "VMM communication exception"},
    [30] = {"#SX", "Security exception"},
};

static trap_hook_fn hook;
static void *hook_ctx;

void trap_set_hook(trap_hook_fn fn, void *ctx)
{
	hook = fn;
	hook_ctx = ctx;
}

const char *trap_name(uint64_t vector)
{
	if (vector >= TRAP_EXCEPTION_COUNT)
		return "?";
	return exceptions[vector].name != NULL ? exceptions[vector].name : "Reserved";
}

const char *trap_mnemonic(uint64_t vector)
{
	if (vector >= TRAP_EXCEPTION_COUNT || exceptions[vector].mnemonic == NULL)
		return "";
	return exceptions[vector].mnemonic;
}

static bool has_error_code(uint64_t vector)
{
	switch (vector) {
	case 8:
	case 10:
	case 11:
	case 12:
	case 13:
	case 14:
	case 17:
	case 21:
	case 29:
	case 30:
		return true;
	default:
		return false;
	}
}

static bool has_selector_error(uint64_t vector)
{
	return vector == 10 || vector == 11 || vector == 12 || vector == 13;
}

/* The error code in words: the #PF bits, or which descriptor a selector error names. */
static void print_error_code(const struct trap_frame *f)
{
	uint64_t e = f->error_code;

	if (!has_error_code(f->vector))
		return;
	console_printf("  error code 0x%llx", (unsigned long long)e);
	if (f->vector == TRAP_PAGE_FAULT) {
		console_printf(
		    ": %s %s %s%s%s\n", e & TRAP_PF_PRESENT ? "protection" : "not-present",
		    e & TRAP_PF_WRITE ? "write" : "read", e & TRAP_PF_USER ? "user" : "kernel",
		    e & TRAP_PF_FETCH ? " instruction-fetch" : "",
		    e & TRAP_PF_RESERVED ? " reserved-bit" : "");
		console_printf("  CR2 0x%016llx (the faulting address)\n",
			       (unsigned long long)cpu_read_cr2());
	} else if (has_selector_error(f->vector) && e != 0) {
		static const char *const tables[] = {"GDT", "IDT", "LDT", "IDT"};
		console_printf(": selector index %llu in the %s%s\n", (unsigned long long)(e >> 3),
			       tables[(e >> 1) & 3], e & 1 ? " (external event)" : "");
	} else {
		console_printf("\n");
	}
}

static void print_registers(const struct trap_frame *f)
{
	char where[96];

	ksyms_describe(f->rip, false, where, sizeof(where));
	console_printf("  rip 0x%016llx %s\n", (unsigned long long)f->rip, where);
	console_printf("  rsp 0x%016llx rflags 0x%016llx cs 0x%llx ss 0x%llx\n",
		       (unsigned long long)f->rsp, (unsigned long long)f->rflags,
		       (unsigned long long)f->cs, (unsigned long long)f->ss);
	console_printf("  rax 0x%016llx rbx 0x%016llx rcx 0x%016llx\n", (unsigned long long)f->rax,
		       (unsigned long long)f->rbx, (unsigned long long)f->rcx);
	console_printf("  rdx 0x%016llx rsi 0x%016llx rdi 0x%016llx\n", (unsigned long long)f->rdx,
		       (unsigned long long)f->rsi, (unsigned long long)f->rdi);
	console_printf("  rbp 0x%016llx r8  0x%016llx r9  0x%016llx\n", (unsigned long long)f->rbp,
		       (unsigned long long)f->r8, (unsigned long long)f->r9);
	console_printf("  r10 0x%016llx r11 0x%016llx r12 0x%016llx\n", (unsigned long long)f->r10,
		       (unsigned long long)f->r11, (unsigned long long)f->r12);
	console_printf("  r13 0x%016llx r14 0x%016llx r15 0x%016llx\n", (unsigned long long)f->r13,
		       (unsigned long long)f->r14, (unsigned long long)f->r15);
	console_printf("  CR0 0x%016llx CR3 0x%016llx CR4 0x%016llx\n",
		       (unsigned long long)cpu_read_cr0(), (unsigned long long)cpu_read_cr3(),
		       (unsigned long long)cpu_read_cr4());
}

/*
 * A kernel page fault goes to the VM. The space is chosen by the faulting code, not by the
 * address: the kernel faults in the kernel space (so a stray kernel touch of a user address is
 * not served), except inside the copy-in/copy-out routines (user_copy.h), whose user-half
 * accesses are served from the running process's space, and which resume at their fixup when
 * that fails. Returns NULL when the fault was handled, else the reason it could not be. Faults
 * from ring 3 never come here: process_user_trap() serves them or kills the process.
 */
static const char *page_fault(struct trap_frame *f)
{
	uint64_t fixup = user_copy_fixup(f->rip);
	bool user = fixup != 0 && cpu_read_cr2() < VM_USER_HI;
	struct vm_space *space = user ? vm_space_current_user() : vm_space_kernel();
	unsigned access = VM_PROT_READ;

	if (f->error_code & TRAP_PF_WRITE)
		access = VM_PROT_WRITE;
	else if (f->error_code & TRAP_PF_FETCH)
		access = VM_PROT_EXEC;
	if (f->error_code & TRAP_PF_RESERVED)
		return "a reserved bit is set in a page-table entry";
	enum vm_fault_result r = VM_FAULT_NO_MAPPING;
	if (space != NULL) {
		fault_context_enter();
		r = vm_space_allocate(space, cpu_read_cr2(), access);
		fault_context_exit();
	}
	if (r == VM_FAULT_OK)
		return NULL;
	if (user) {
		f->rip = fixup; /* the copy routine reports KERR_FAULT */
		return NULL;
	}
	if (space == NULL)
		return "no kernel space yet";
	return vm_fault_result_name(r);
}

void trap_dispatch(struct trap_frame *f)
{
	const char *reason = "";

	/*
	 * User code can set RFLAGS.AC (popf), and an exception from ring 3 keeps it: SMAP would be
	 * off for everything the kernel does on the program's behalf. syscall clears AC through
	 * SFMASK; here clac does. iretq gives the program its own RFLAGS back.
	 */
	if ((f->cs & 3) != 0 && cpu_features()->smap)
		__asm__ volatile("clac" : : : "memory");
	/* A device interrupt (or a software `int N` above the exceptions): never a fault. */
	if (f->vector >= TRAP_EXCEPTION_COUNT) {
		irq_dispatch(f);
		return;
	}
	if (hook != NULL && hook(f, hook_ctx))
		return;
	/* Ring 3: the process's business (served, or the process is killed), except NMI and #MC. */
	if ((f->cs & 3) != 0 && f->vector != TRAP_NMI && f->vector != TRAP_MACHINE_CHECK &&
	    process_user_trap(f))
		return;
	if (f->vector == TRAP_PAGE_FAULT) {
		reason = page_fault(f);
		if (reason == NULL)
			return;
	}

	/* Every other exception is fatal for now: report it all, then panic from the faulting
	 * frame so the backtrace starts at the faulting instruction. */
	const char *mode = (f->cs & 3) != 0 ? "user" : "kernel";
	console_printf("\nquire: exception %llu %s %s in %s mode\n", (unsigned long long)f->vector,
		       trap_mnemonic(f->vector), trap_name(f->vector), mode);
	print_error_code(f);
	print_registers(f);
	panic_at_frame(__func__, f->rip, f->rbp, "unhandled %s %s in %s mode%s%s",
		       trap_mnemonic(f->vector), trap_name(f->vector), mode, *reason ? ": " : "",
		       reason);
}
