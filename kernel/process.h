/*
 * Processes, as far as the first user program needs them (issue 5, first slice).
 *
 * Model: a process is a kobject holding a user vm_space (its program loaded from the initrd), a
 * handle table, one thread's worth of state (a kernel stack, the saved kernel context to return
 * to) and how it ended. There is no scheduler yet: process_run() enters the program in ring 3 on
 * the process's kernel stack and comes back when it calls process_exit() or is killed by a fault
 * or exception; the kernel goes on running either way. One process runs at a time, on the boot
 * CPU, with interrupts off.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "kernel/arch/x86_64/syscall.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/lib/kerr.h"
#include "kernel/memory/elf_load.h"
#include "kernel/memory/kstack.h"
#include "kernel/objects/handle.h"
#include "kernel/objects/kobject.h"
#include "quire/syscalls.h"

#define PROCESS_LOG_KEEP 128 /* bytes of the last log message kept, for tests */

struct process {
	struct kobject obj; /* KOBJECT_PROCESS */
	struct vm_space *space;
	struct handle_table handles;
	struct elf_load_image image;
	struct kstack kstack;
	struct kcontext resume; /* where process_run() continues when the process ends */
	bool ended;
	struct quire_exit_info exit;
	uint64_t log_count;                  /* log() calls that printed */
	char last_log[PROCESS_LOG_KEEP + 1]; /* the last of them, truncated, NUL-terminated */
};

/*
 * process_create - a process running the initrd program PATH, not started yet. Errors:
 * KERR_NOT_FOUND (no such file), KERR_INVALID (a malformed ELF), KERR_NO_MEMORY; nothing is left
 * behind on error.
 */
kerr_t process_create(const char *path, struct process **out);

/*
 * process_run - runs PROCESS until it exits or is killed; its exit information is in
 * process->exit afterwards. Once per process; no spinlock held; interrupts off.
 */
void process_run(struct process *process);

/* process_destroy - releases everything PROCESS holds: handles, mappings, space, kernel stack. */
void process_destroy(struct process *process);

/* process_current - the process running on this CPU, or NULL. */
struct process *process_current(void);

/* process_exit_current - ends the running process with STATUS; back to process_run(). */
_Noreturn void process_exit_current(int64_t status);

/*
 * process_user_trap - an exception from ring 3 in FRAME: a page fault the process's space serves
 * returns (the instruction is retried); anything else kills the process (back to process_run())
 * with the reason recorded. Returns false when there is no running process (the caller panics).
 */
bool process_user_trap(struct trap_frame *frame);

/* process_release - kobject release for KOBJECT_PROCESS. */
void process_release(struct kobject *obj);
