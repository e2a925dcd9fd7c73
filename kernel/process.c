/*
 * Processes: spawn, wait, end, kill; see process.h.
 */
#include "kernel/process.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/console.h"
#include "kernel/initrd.h"
#include "kernel/lib/alloc_check.h"
#include "kernel/lib/format.h"
#include "kernel/lib/log.h"
#include "kernel/lib/string.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/vm_space.h"
#include "kernel/objects/vma_calls.h"
#include "kernel/panic.h"
#include "kernel/sched/sched_internal.h"
#include "kernel/user_copy.h"

static uint64_t live_processes;

struct process *process_from_kobject(struct kobject *obj)
{
	kassert(obj->type == KOBJECT_PROCESS);
	return container_of(obj, struct process, obj);
}

struct process *process_current(void)
{
	return thread_current()->process;
}

uint64_t process_count(void)
{
	return live_processes;
}

kerr_t process_space_of(struct kobject *obj, struct vm_space **out)
{
	struct process *p = process_from_kobject(obj);

	if (p->exiting || p->ended || p->space == NULL)
		return KERR_NOT_FOUND;
	*out = p->space;
	return KERR_OK;
}

void process_add_thread(struct process *p, struct thread *t)
{
	t->process_next = p->threads;
	p->threads = t;
	p->thread_count++;
}

/* Releases what a process holds once no thread of it runs. On the kernel's page tables. */
static void release_resources(struct process *p)
{
	handle_table_destroy(&p->handles);
	if (p->space != NULL)
		vm_space_destroy(p->space);
	p->space = NULL;
}

/* The last thread of P has ended (it is the running thread, about to die). */
static void process_end(struct process *p)
{
	if (!p->exiting) {
		p->exiting = true;
		p->exit = (struct quire_exit_info){.reason = QUIRE_EXIT_NORMAL};
	}
	sched_use_kernel_tables();
	release_resources(p);
	p->ended = true;
	live_processes--;
	wait_queue_wake_all(&p->waiters);
}

void process_remove_thread(struct process *p, struct thread *t)
{
	struct thread **link = &p->threads;

	while (*link != t) {
		kassert(*link != NULL);
		link = &(*link)->process_next;
	}
	*link = t->process_next;
	t->process_next = NULL;
	kassert(p->thread_count > 0);
	if (--p->thread_count == 0)
		process_end(p);
}

void process_kill(struct process *p, const struct quire_exit_info *info)
{
	struct thread *self = thread_current();

	if (!p->exiting) {
		p->exiting = true;
		p->exit = *info;
	}
	for (struct thread *t = p->threads; t != NULL; t = t->process_next)
		if (t != self)
			thread_kill(t);
}

_Noreturn void process_exit_current(int64_t status)
{
	struct process *p = process_current();
	struct quire_exit_info info = {.status = status, .reason = QUIRE_EXIT_NORMAL};

	kassert(p != NULL);
	process_kill(p, &info);
	thread_exit_current();
}

kerr_t process_wait(struct process *p, struct quire_exit_info *out)
{
	while (!p->ended)
		TRY(wait_queue_sleep(&p->waiters));
	*out = p->exit;
	return KERR_OK;
}

/* The file name of PATH, for the log. */
static void set_name(struct process *p, const char *path)
{
	const char *base = path;

	for (const char *s = path; *s != '\0'; s++)
		if (*s == '/' && s[1] != '\0')
			base = s + 1;
	format_snprintf(p->name, sizeof(p->name), "%s", base);
}

/*
 * The start-up block (quire/startup.h) for REQ and the handles in HANDLES, laid out to end at
 * TOP: the argument strings highest, then the handle records, the argv array and the block. Built
 * in kernel memory into *BUF (kfree it) of *LEN bytes, to be copied to TOP - *LEN.
 */
static kerr_t build_startup(const struct process *p, const struct spawn_request *req,
			    const struct quire_startup_handle *handles, size_t handle_count,
			    uint64_t top, uint8_t **buf_out, size_t *len_out)
{
	size_t strings = 0;

	for (size_t i = 0; i < req->argc; i++)
		strings += strlen(req->argv[i]) + 1;
	size_t strings_len = (strings + 15) & ~(size_t)15;
	size_t handles_len = handle_count * sizeof(struct quire_startup_handle);
	size_t argv_len = ((req->argc + 1) * sizeof(uint64_t) + 15) & ~(size_t)15;
	size_t block_len = sizeof(struct quire_startup);
	size_t len = block_len + argv_len + handles_len + strings_len;
	uint8_t *buf = kzalloc(len);
	if (buf == NULL)
		return KERR_NO_MEMORY;
	uint64_t base = top - len;
	size_t block_off = 0, argv_off = block_len, handles_off = argv_off + argv_len,
	       strings_off = handles_off + handles_len;

	uint64_t *argv = (uint64_t *)(buf + argv_off);
	size_t pos = strings_off;
	for (size_t i = 0; i < req->argc; i++) {
		size_t n = strlen(req->argv[i]) + 1;
		memcpy(buf + pos, req->argv[i], n);
		argv[i] = base + pos;
		pos += n;
	}
	argv[req->argc] = 0;
	memcpy(buf + handles_off, handles, handles_len);
	struct quire_startup *s = (struct quire_startup *)(buf + block_off);
	*s = (struct quire_startup){
	    .magic = QUIRE_STARTUP_MAGIC,
	    .version = QUIRE_STARTUP_VERSION,
	    .argc = req->argc,
	    .argv = (const char *const *)(uintptr_t)(base + argv_off),
	    .handle_count = handle_count,
	    .handles = (const struct quire_startup_handle *)(uintptr_t)(base + handles_off),
	    .stack_base = p->image.stack_base,
	    .stack_top = p->image.stack_top,
	};
	if (req->framebuffer != NULL)
		s->framebuffer = *req->framebuffer;
	*buf_out = buf;
	*len_out = len;
	return KERR_OK;
}

/* Copies LEN bytes of BUF to DST in P's space (not the running one): on P's tables meanwhile. */
static kerr_t copy_to_process(struct process *p, uint64_t dst, const void *buf, size_t len)
{
	uint64_t cr3 = cpu_read_cr3();
	struct vm_space *user = vm_space_current_user();

	vm_space_set_current_user(p->space);
	cpu_write_cr3(p->space->pt.root);
	kerr_t err = copy_to_user(dst, buf, len);
	cpu_write_cr3(cr3);
	vm_space_set_current_user(user);
	return err;
}

/* The table's first handles: the process itself, then REQ's; their records into RECORDS. */
static kerr_t install_initial_handles(struct process *p, const struct spawn_request *req,
				      struct quire_startup_handle *records)
{
	handle_t h;
	uint32_t passed = 0;

	TRY(handle_install(&p->handles, &p->obj, PROCESS_RIGHTS_SELF, &h));
	records[0] = (struct quire_startup_handle){
	    .handle = h, .tag = QUIRE_STARTUP_SELF, .rights = PROCESS_RIGHTS_SELF};
	for (size_t i = 0; i < req->handle_count; i++) {
		const struct spawn_handle *sh = &req->handles[i];
		TRY(handle_install(&p->handles, sh->obj, sh->rights, &h));
		records[i + 1] = (struct quire_startup_handle){
		    .handle = h,
		    .tag = sh->tag,
		    .index = sh->tag == QUIRE_STARTUP_PASSED ? passed++ : 0,
		    .rights = sh->rights};
	}
	return KERR_OK;
}

static kerr_t check_limits(const struct spawn_request *req)
{
	size_t bytes = 0;

	if (req->argc > QUIRE_SPAWN_ARGC_MAX || req->handle_count > QUIRE_SPAWN_HANDLES_MAX)
		return KERR_OUT_OF_RANGE;
	for (size_t i = 0; i < req->argc; i++)
		bytes += strlen(req->argv[i]) + 1;
	return bytes > QUIRE_SPAWN_ARGV_BYTES ? KERR_OUT_OF_RANGE : KERR_OK;
}

/* Everything after the space exists: handles, the start-up block, the main thread. */
static kerr_t start(struct process *p, const struct spawn_request *req)
{
	struct quire_startup_handle records[QUIRE_SPAWN_HANDLES_MAX + 1];
	uint8_t *block;
	size_t len;

	TRY(install_initial_handles(p, req, records));
	TRY(build_startup(p, req, records, req->handle_count + 1, p->image.stack_top, &block,
			  &len));
	uint64_t at = p->image.stack_top - len;
	kerr_t err = KERR_OUT_OF_RANGE;
	if (at >= p->image.stack_base + 4096) /* room left below for the program's own stack */
		err = copy_to_process(p, at, block, len);
	kfree(block);
	if (err == KERR_FAULT)
		err = KERR_NO_MEMORY; /* the stack's pages could not be allocated */
	if (err != KERR_OK)
		return err;
	/* The initial RSP: 16-byte aligned minus 8, as just after a call (the SysV entry state). */
	uint64_t rsp = (at & ~15ull) - 8;
	return thread_create_user(p, p->image.entry, rsp, at, NULL);
}

kerr_t process_spawn(const struct spawn_request *req, struct process **out)
{
	const void *file;
	uint64_t size;
	enum elf_load_reason why;
	kerr_t err;

	kobject_process_release = process_release;
	TRY(check_limits(req));
	TRY(initrd_find(req->path, &file, &size));
	struct process *p = kzalloc(sizeof(*p));
	if (p == NULL)
		return KERR_NO_MEMORY;
	set_name(p, req->path);
	handle_table_init(&p->handles);
	wait_queue_init(&p->waiters);
	err = vm_space_create(&p->space);
	if (err != KERR_OK) {
		kfree(p);
		return err;
	}
	err = elf_load(p->space, file, size, &p->image, &why);
	if (err != KERR_OK) {
		log_info("process: %s not started: %s", req->path, elf_load_reason_name(why));
		vm_space_destroy(p->space);
		kfree(p);
		return err;
	}
	kobject_init(&p->obj, KOBJECT_PROCESS);
	live_processes++;
	err = start(p, req);
	if (err != KERR_OK) {
		/* No thread runs it: end it here (the space is not live on this CPU). */
		release_resources(p);
		p->exiting = p->ended = true;
		live_processes--;
		kobject_put(&p->obj);
		return err;
	}
	*out = p;
	return KERR_OK;
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
	struct quire_exit_info info;

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
		info = (struct quire_exit_info){.reason = fault_reason(r),
						.vector = TRAP_PAGE_FAULT,
						.address = addr,
						.access = access};
	} else {
		info = (struct quire_exit_info){.reason = QUIRE_EXIT_EXCEPTION,
						.vector = (uint32_t)f->vector,
						.address = f->rip};
	}
	console_printf("quire: process %llu (%s) killed: %s %s at 0x%llx (rip 0x%llx)\n",
		       (unsigned long long)p->obj.id, p->name, trap_mnemonic(f->vector),
		       f->vector == TRAP_PAGE_FAULT ? "page fault" : trap_name(f->vector),
		       (unsigned long long)info.address, (unsigned long long)f->rip);
	process_kill(p, &info);
	thread_exit_current();
}

void process_release(struct kobject *obj)
{
	struct process *p = process_from_kobject(obj);

	kassert(p->ended && p->threads == NULL && p->space == NULL);
	kfree(p);
}
