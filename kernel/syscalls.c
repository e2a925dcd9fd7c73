/*
 * The system-call handlers and the dispatcher the entry stub calls (arch/x86_64/syscall.h).
 *
 * The table, the argument decoding and the handlers' prototypes are generated from
 * sysroot/include/quire/syscalls.h into build/kernel/gen/syscall_table.h; this is the one file
 * that includes it. Implemented so far: log and process_exit. Every other call honestly returns
 * -QUIRE_ERR_UNSUPPORTED until its part of issue 5 lands (processes, threads, handles and VMAs
 * as objects, the scheduler): docs/kernel.md lists them.
 */
#include "kernel/console.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/string.h"
#include "kernel/process.h"
#include "kernel/user_copy.h"
#include "syscall_table.h"

#define LOG_MAX 4096u /* log(): longer messages are OUT_OF_RANGE (quire/syscalls.h) */

void syscall_dispatch(struct syscall_frame *f)
{
	const uint64_t arg[6] = {f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9};

	f->rax = (uint64_t)sys_dispatch(f->rax, arg);
}

long sys_log(uint64_t msg, size_t len)
{
	static char buf[LOG_MAX]; /* one process runs at a time, interrupts off */
	struct process *p = process_current();

	if (len > LOG_MAX)
		return -QUIRE_ERR_OUT_OF_RANGE;
	kerr_t err = copy_from_user(buf, msg, len);
	if (err != KERR_OK)
		return -(long)err;
	console_printf("user: %.*s\n", (int)len, buf);
	if (p != NULL) {
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
 * Not implemented yet: these need process and VMA objects behind handles, threads and a
 * scheduler (the rest of issue 5). They return UNSUPPORTED, which every call may return; none
 * of them pretends to succeed.
 */
long sys_vma_create(uint64_t size, uint32_t flags, uint64_t out)
{
	(void)size, (void)flags, (void)out;
	return -QUIRE_ERR_UNSUPPORTED;
}

long sys_vma_create_map(uint64_t size, uint64_t addr, uint32_t flags, uint64_t out)
{
	(void)size, (void)addr, (void)flags, (void)out;
	return -QUIRE_ERR_UNSUPPORTED;
}

long sys_vma_map(quire_handle_t vma, quire_handle_t process, uint64_t addr, uint32_t flags)
{
	(void)vma, (void)process, (void)addr, (void)flags;
	return -QUIRE_ERR_UNSUPPORTED;
}

long sys_vma_unmap(quire_handle_t vma, quire_handle_t process)
{
	(void)vma, (void)process;
	return -QUIRE_ERR_UNSUPPORTED;
}

long sys_vma_resize(quire_handle_t vma, uint64_t size)
{
	(void)vma, (void)size;
	return -QUIRE_ERR_UNSUPPORTED;
}

long sys_vma_protect(quire_handle_t vma, quire_handle_t process, uint32_t flags)
{
	(void)vma, (void)process, (void)flags;
	return -QUIRE_ERR_UNSUPPORTED;
}

long sys_handle_close(quire_handle_t handle)
{
	(void)handle;
	return -QUIRE_ERR_UNSUPPORTED;
}

long sys_handle_clone(quire_handle_t handle, quire_rights_t rights, uint64_t out)
{
	(void)handle, (void)rights, (void)out;
	return -QUIRE_ERR_UNSUPPORTED;
}

long sys_process_spawn(uint64_t path, uint64_t argv, size_t argc, uint64_t handles,
		       size_t handle_count, uint64_t out)
{
	(void)path, (void)argv, (void)argc, (void)handles, (void)handle_count, (void)out;
	return -QUIRE_ERR_UNSUPPORTED;
}

long sys_process_wait(quire_handle_t process, uint64_t info)
{
	(void)process, (void)info;
	return -QUIRE_ERR_UNSUPPORTED;
}

long sys_thread_create(quire_handle_t process, uint64_t entry, uint64_t stack_top, uint64_t arg,
		       uint64_t out)
{
	(void)process, (void)entry, (void)stack_top, (void)arg, (void)out;
	return -QUIRE_ERR_UNSUPPORTED;
}

/* No threads beyond the first yet: ending the only thread ends the process with status 0. */
_Noreturn void sys_thread_exit(void)
{
	process_exit_current(0);
}

long sys_yield(void)
{
	return -QUIRE_ERR_UNSUPPORTED;
}

long sys_sleep(uint64_t ns)
{
	(void)ns;
	return -QUIRE_ERR_UNSUPPORTED;
}

long sys_system_info(uint64_t info, size_t info_size)
{
	(void)info, (void)info_size;
	return -QUIRE_ERR_UNSUPPORTED;
}
