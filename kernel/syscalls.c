/*
 * The system-call handlers and the dispatcher the entry stub calls (arch/x86_64/syscall.h): log,
 * the process and thread calls, yield and sleep. The VMA and handle calls and system_info are in
 * kernel/objects/vma_syscalls.c.
 *
 * The table, the argument decoding and the handlers' prototypes are generated from
 * sysroot/include/quire/syscalls.h into build/kernel/gen/syscall_table.h; this is the one file
 * that includes it. Handlers run with interrupts off and may block (process_wait, sleep, yield);
 * the dispatcher ends a thread that was killed meanwhile before it returns to user mode.
 */
#include "kernel/arch/x86_64/syscall.h"
#include "kernel/console.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/string.h"
#include "kernel/memory/kheap.h"
#include "kernel/process.h"
#include "kernel/user_copy.h"
#include "syscall_table.h"

#define LOG_MAX 4096u /* log(): longer messages are OUT_OF_RANGE (quire/syscalls.h) */

void syscall_dispatch(struct syscall_frame *f)
{
	const uint64_t arg[6] = {f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9};

	f->rax = (uint64_t)sys_dispatch(f->rax, arg);
	thread_check_killed();
}

long sys_log(uint64_t msg, size_t len)
{
	static char buf[LOG_MAX]; /* log() never blocks, the kernel is not preemptible: one user */
	struct process *p = process_current();

	if (len > LOG_MAX)
		return -QUIRE_ERR_OUT_OF_RANGE;
	kerr_t err = copy_from_user(buf, msg, len);
	if (err != KERR_OK)
		return -(long)err;
	if (p == NULL)
		return -QUIRE_ERR_UNSUPPORTED; /* not from a kernel thread */
	console_printf("[%s %llu] %.*s\n", p->name, (unsigned long long)p->obj.id, (int)len, buf);
	{
		size_t keep = len < PROCESS_LOG_KEEP ? len : PROCESS_LOG_KEEP;
		memcpy(p->last_log, buf, keep);
		p->last_log[keep] = '\0';
		p->log_count++;
	}
	return 0;
}

_Noreturn void sys_process_exit(int64_t status)
{
	process_exit_current(status);
}

/*
 * Closes H, which this call installed or looked up a moment ago: it cannot fail while the kernel
 * is not preemptible and one CPU runs threads (sched.h). With SMP another thread of the process
 * could close it first, which leaves nothing to do either.
 */
static void close_own(struct handle_table *table, handle_t h)
{
	kerr_t err = handle_close(table, h);

	(void)err;
}

/* The caller's handles named in a spawn, looked up (TRANSFER) and checked for repeats. */
static kerr_t take_spawn_handles(struct process *self, const quire_handle_t *hs, size_t n,
				 struct spawn_handle *out)
{
	size_t i;
	kerr_t err = KERR_OK;

	for (i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++)
			if (hs[j] == hs[i])
				err = KERR_INVALID;
		if (err == KERR_OK)
			err =
			    handle_lookup_rights(&self->handles, hs[i], KOBJECT_NONE,
						 QUIRE_RIGHT_TRANSFER, &out[i].obj, &out[i].rights);
		if (err != KERR_OK)
			break;
		out[i].tag = QUIRE_STARTUP_PASSED;
	}
	if (err != KERR_OK)
		while (i-- > 0)
			kobject_put(out[i].obj);
	return err;
}

/* What a spawn copies in: the path, the argument strings (packed) and the handle list. */
struct spawn_in {
	char path[QUIRE_PATH_MAX];
	const char *argv[QUIRE_SPAWN_ARGC_MAX];
	char strings[QUIRE_SPAWN_ARGV_BYTES];
	quire_handle_t handles[QUIRE_SPAWN_HANDLES_MAX];
	struct spawn_handle taken[QUIRE_SPAWN_HANDLES_MAX];
};

static kerr_t copy_spawn_args(struct spawn_in *in, uint64_t path, uint64_t argv, size_t argc,
			      uint64_t handles, size_t handle_count)
{
	size_t len, used = 0;
	uint64_t ptrs[QUIRE_SPAWN_ARGC_MAX];

	TRY(copy_string_from_user(in->path, path, sizeof(in->path), &len));
	if (argc > QUIRE_SPAWN_ARGC_MAX || handle_count > QUIRE_SPAWN_HANDLES_MAX)
		return KERR_OUT_OF_RANGE;
	TRY(copy_from_user(ptrs, argv, argc * sizeof(uint64_t)));
	for (size_t i = 0; i < argc; i++) {
		kerr_t err = copy_string_from_user(in->strings + used, ptrs[i],
						   sizeof(in->strings) - used, &len);
		if (err == KERR_INVALID)
			return KERR_OUT_OF_RANGE; /* no NUL within the bytes left: too long */
		TRY(err);
		in->argv[i] = in->strings + used;
		used += len + 1;
	}
	return copy_from_user(in->handles, handles, handle_count * sizeof(quire_handle_t));
}

long sys_process_spawn(uint64_t path, uint64_t argv, size_t argc, uint64_t handles,
		       size_t handle_count, uint64_t out)
{
	struct process *self = process_current(), *child;
	handle_t h;
	kerr_t err;

	struct spawn_in *in = kmalloc(sizeof(*in));
	if (in == NULL)
		return -QUIRE_ERR_NO_MEMORY;
	err = copy_spawn_args(in, path, argv, argc, handles, handle_count);
	if (err == KERR_OK)
		err = take_spawn_handles(self, in->handles, handle_count, in->taken);
	if (err != KERR_OK) {
		kfree(in);
		return -(long)err;
	}
	struct spawn_request req = {.path = in->path,
				    .argv = in->argv,
				    .argc = argc,
				    .handles = in->taken,
				    .handle_count = handle_count};
	err = process_spawn(&req, &child);
	for (size_t i = 0; i < handle_count; i++)
		kobject_put(in->taken[i].obj);
	if (err == KERR_OK) {
		err = handle_install(&self->handles, &child->obj, PROCESS_RIGHTS_PARENT, &h);
		if (err == KERR_OK && copy_to_user(out, &h, sizeof(h)) != KERR_OK) {
			close_own(&self->handles, h);
			err = KERR_FAULT;
		}
		if (err != KERR_OK) {
			/* Ended before its first instruction; the caller's handles stay its own. */
			struct quire_exit_info info = {.reason = QUIRE_EXIT_NORMAL};
			process_kill(child, &info);
		}
		kobject_put(&child->obj);
	}
	if (err == KERR_OK)
		for (size_t i = 0; i < handle_count; i++)
			close_own(&self->handles, in->handles[i]); /* moved to the child */
	kfree(in);
	return -(long)err;
}

long sys_process_wait(quire_handle_t process, uint64_t info)
{
	struct process *self = process_current();
	struct kobject *obj;
	struct quire_exit_info exit;

	kerr_t err =
	    handle_lookup(&self->handles, process, KOBJECT_PROCESS, QUIRE_RIGHT_READ, &obj);
	if (err != KERR_OK)
		return -(long)err;
	err = process_wait(process_from_kobject(obj), &exit);
	kobject_put(obj);
	if (err == KERR_OK)
		err = copy_to_user(info, &exit, sizeof(exit));
	return -(long)err;
}

long sys_thread_create(quire_handle_t process, uint64_t entry, uint64_t stack_top, uint64_t arg,
		       uint64_t out)
{
	struct process *self = process_current();
	struct kobject *obj;
	struct thread *t;
	handle_t h;

	kerr_t err =
	    handle_lookup(&self->handles, process, KOBJECT_PROCESS, QUIRE_RIGHT_WRITE, &obj);
	if (err != KERR_OK)
		return -(long)err;
	if (entry < VM_USER_LO || entry >= VM_USER_HI || stack_top <= VM_USER_LO ||
	    stack_top > VM_USER_HI || stack_top % 16 != 0) {
		kobject_put(obj);
		return -QUIRE_ERR_INVALID;
	}
	err = thread_create_user(process_from_kobject(obj), entry, stack_top - 8, arg, &t);
	kobject_put(obj);
	if (err != KERR_OK)
		return -(long)err;
	err = handle_install(&self->handles, &t->obj, THREAD_RIGHTS, &h);
	if (err == KERR_OK && copy_to_user(out, &h, sizeof(h)) != KERR_OK) {
		close_own(&self->handles, h);
		err = KERR_FAULT;
	}
	if (err != KERR_OK)
		thread_kill(t); /* ends at its first run, before any user instruction */
	return -(long)err;
}

_Noreturn void sys_thread_exit(void)
{
	thread_exit_current();
}

long sys_yield(void)
{
	sched_yield();
	return 0;
}

long sys_sleep(uint64_t ns)
{
	/* Killed meanwhile: the return to user mode ends the thread, whatever this says. */
	return sched_sleep_ns(ns) == KERR_OK ? 0 : -QUIRE_ERR_TIMEOUT;
}
