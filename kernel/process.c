/*
 * Processes: create, run until the end, destroy; see process.h.
 */
#include "kernel/process.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console.h"
#include "kernel/initrd.h"
#include "kernel/lib/alloc_check.h"
#include "kernel/lib/string.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/vm_space.h"
#include "kernel/panic.h"

static struct process *current[CPU_MAX];

struct process *process_current(void)
{
	return current[cpu_current_id()];
}

kerr_t process_create(const char *path, struct process **out)
{
	const void *file;
	uint64_t size;
	enum elf_load_reason why;
	kerr_t err;

	kobject_process_release = process_release;
	TRY(initrd_find(path, &file, &size));
	struct process *p = kzalloc(sizeof(*p));
	if (p == NULL)
		return KERR_NO_MEMORY;
	handle_table_init(&p->handles);
	err = vm_space_create(&p->space);
	if (err != KERR_OK)
		goto free_process;
	err = elf_load(p->space, file, size, &p->image, &why);
	if (err != KERR_OK)
		goto destroy_space;
	err = kstack_create(KSTACK_DEFAULT_PAGES, &p->kstack);
	if (err != KERR_OK)
		goto unload;
	kobject_init(&p->obj, KOBJECT_PROCESS);
	*out = p;
	return KERR_OK;

unload:
	elf_load_unload(p->space, &p->image);
destroy_space:
	vm_space_destroy(p->space);
free_process:
	kfree(p);
	return err;
}

void process_run(struct process *p)
{
	unsigned cpu = cpu_current_id();

	kassert(!cpu_interrupts_enabled());
	kassert(current[cpu] == NULL && !p->ended);
	uint64_t kernel_cr3 = cpu_read_cr3();
	current[cpu] = p;
	vm_space_set_current_user(p->space);
	syscall_set_kernel_stack(p->kstack.top);
	cpu_write_cr3(p->space->pt.root);
	/* The initial RSP: 16-byte aligned minus 8, as after a call (the System V entry state). */
	user_enter(&p->resume, p->image.entry, p->image.stack_top - 8, p->kstack.top);
	/* Back from process_exit_current(), on this stack, in the process's tables. */
	cpu_write_cr3(kernel_cr3);
	syscall_set_kernel_stack(0);
	vm_space_set_current_user(NULL);
	current[cpu] = NULL;
	kassert(p->ended);
}

static _Noreturn void end_current(void)
{
	struct process *p = process_current();

	kassert(p != NULL);
	p->ended = true;
	user_resume_kernel(&p->resume);
}

_Noreturn void process_exit_current(int64_t status)
{
	struct process *p = process_current();

	kassert(p != NULL);
	p->exit = (struct quire_exit_info){.status = status, .reason = QUIRE_EXIT_NORMAL};
	end_current();
}

static uint32_t fault_reason(enum vm_fault_result r)
{
	switch (r) {
	case VM_FAULT_PROTECTION:
		return QUIRE_EXIT_FAULT_PROTECTION;
	case VM_FAULT_GUARD:
		return QUIRE_EXIT_FAULT_GUARD;
	case VM_FAULT_NO_MEMORY:
		return QUIRE_EXIT_FAULT_NO_MEMORY;
	default:
		return QUIRE_EXIT_FAULT_UNMAPPED;
	}
}

bool process_user_trap(struct trap_frame *f)
{
	struct process *p = process_current();

	if (p == NULL)
		return false;
	if (f->vector == TRAP_PAGE_FAULT) {
		uint64_t addr = cpu_read_cr2();
		uint32_t access = QUIRE_VMA_READ;
		unsigned prot = VM_PROT_READ;
		if (f->error_code & TRAP_PF_WRITE) {
			access = QUIRE_VMA_WRITE;
			prot = VM_PROT_WRITE;
		} else if (f->error_code & TRAP_PF_FETCH) {
			access = QUIRE_VMA_EXECUTE;
			prot = VM_PROT_EXEC;
		}
		enum vm_fault_result r = VM_FAULT_NO_MAPPING;
		if (!(f->error_code & TRAP_PF_RESERVED)) {
			fault_context_enter();
			r = vm_space_allocate(p->space, addr, prot);
			fault_context_exit();
		}
		if (r == VM_FAULT_OK)
			return true;
		p->exit = (struct quire_exit_info){.reason = fault_reason(r),
						   .vector = TRAP_PAGE_FAULT,
						   .address = addr,
						   .access = access};
	} else {
		p->exit = (struct quire_exit_info){.reason = QUIRE_EXIT_EXCEPTION,
						   .vector = (uint32_t)f->vector,
						   .address = f->rip};
	}
	console_printf("quire: process %llu killed: %s %s at 0x%llx (rip 0x%llx)\n",
		       (unsigned long long)p->obj.id, trap_mnemonic(f->vector),
		       f->vector == TRAP_PAGE_FAULT ? "page fault" : trap_name(f->vector),
		       (unsigned long long)p->exit.address, (unsigned long long)f->rip);
	end_current();
}

void process_release(struct kobject *obj)
{
	struct process *p = (struct process *)obj;

	kassert(p != process_current());
	handle_table_destroy(&p->handles);
	elf_load_unload(p->space, &p->image);
	vm_space_destroy(p->space);
	kstack_destroy(&p->kstack);
	kfree(p);
}

void process_destroy(struct process *p)
{
	kobject_put(&p->obj);
}
