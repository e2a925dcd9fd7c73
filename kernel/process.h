/*
 * Processes: an address space, a handle table and threads.
 *
 * Model: a process is a kobject (KOBJECT_PROCESS) holding a user vm_space with its program loaded
 * from the initrd, a handle table whose first handle names the process itself, and a list of live
 * threads. process_spawn() builds it, writes the start-up block (quire/startup.h: argv, the initial
 * handles, the framebuffer geometry for init) on its stack and starts its main thread. It ends when
 * its last thread ends: normally (process_exit, or the last thread_exit), or killed by a fault or an
 * exception one of its threads could not survive, in which case every other thread is killed too
 * (thread.h: each ends itself before it next returns to ring 3). Ending releases everything the
 * process holds at once (every handle, every mapping, the space) and wakes process_wait()ers; the
 * record itself, with the exit information, lives while a handle or a thread still refers to it.
 * The self handle makes a reference cycle only while the process runs: ending closes it.
 *
 * Locking: interrupts off, boot CPU, like the scheduler (sched.h); SMP brings a lock (issue 7).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "kernel/arch/x86_64/trap.h"
#include "kernel/lib/kerr.h"
#include "kernel/memory/elf_load.h"
#include "kernel/objects/handle.h"
#include "kernel/objects/kobject.h"
#include "kernel/sched/sched.h"
#include "quire/startup.h"
#include "quire/syscalls.h"

#define PROCESS_LOG_KEEP 128 /* bytes of the last log message kept, for tests */
#define PROCESS_NAME_MAX 32

/* Rights of the handle process_spawn() gives the parent, and of the process's own. */
#define PROCESS_RIGHTS_PARENT                                                                      \
	(QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_DUPLICATE | QUIRE_RIGHT_TRANSFER)
#define PROCESS_RIGHTS_SELF (QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_DUPLICATE)

struct process {
	struct kobject obj;          /* KOBJECT_PROCESS */
	char name[PROCESS_NAME_MAX]; /* the program's file name, for the log */
	struct vm_space *space;      /* NULL once ended */
	struct handle_table handles;
	struct elf_load_image image;
	struct thread *threads; /* live threads (thread.process_next) */
	uint32_t thread_count;
	bool exiting; /* exit information recorded; the threads are ending */
	bool ended;   /* everything released; exit is final */
	struct quire_exit_info exit;
	struct wait_queue waiters;           /* process_wait()ers */
	uint64_t log_count;                  /* log() calls that printed */
	char last_log[PROCESS_LOG_KEEP + 1]; /* the last of them, truncated, NUL-terminated */
};

/* A handle a new process starts with, besides its own. */
struct spawn_handle {
	struct kobject *obj;   /* the caller keeps its reference; the new table takes its own */
	quire_rights_t rights; /* within QUIRE_RIGHTS_VALID */
	uint32_t tag;          /* enum quire_startup_tag: PASSED or FRAMEBUFFER */
};

/* What to start. Everything in kernel memory. */
struct spawn_request {
	const char *path;
	const char *const *argv; /* ARGC strings */
	size_t argc;
	const struct spawn_handle *handles;
	size_t handle_count;
	const struct quire_framebuffer_info *framebuffer; /* NULL: none (all but init) */
};

/*
 * process_spawn - starts the initrd program REQ->path as a new process, its main thread READY.
 * *OUT gets a reference (kobject_put it, or install it in a handle table and put). Limits are
 * quire/startup.h's. No spinlock held; allocates. Errors: KERR_NOT_FOUND (no such file),
 * KERR_INVALID (not a regular file, a malformed ELF), KERR_UNSUPPORTED (a dynamic ELF),
 * KERR_OUT_OF_RANGE (too many arguments, argument bytes or handles), KERR_NO_MEMORY. Nothing is
 * left behind on error.
 */
kerr_t process_spawn(const struct spawn_request *req, struct process **out);

/*
 * process_wait - blocks until P has ended, then copies its exit information to *OUT. Errors:
 * KERR_TIMEOUT only when the waiting thread was killed meanwhile (it is ending).
 */
kerr_t process_wait(struct process *p, struct quire_exit_info *out);

/* process_from_kobject - the process OBJ (KOBJECT_PROCESS) is embedded in. */
struct process *process_from_kobject(struct kobject *obj);

/* process_current - the process of the running thread, or NULL for a kernel thread. */
struct process *process_current(void);

/* process_count - processes started and not yet ended (system_info). */
uint64_t process_count(void);

/*
 * process_kill - ends P with INFO: records it (unless P is ending already: the first reason
 * stands) and kills every thread of P but the running one. The running thread, if it is P's,
 * must end itself next (thread_exit_current()).
 */
void process_kill(struct process *p, const struct quire_exit_info *info);

/* process_exit_current - ends the running process with STATUS. */
_Noreturn void process_exit_current(int64_t status);

/*
 * process_user_trap - an exception from ring 3 in FRAME: a page fault the process's space serves
 * returns true (the instruction is retried); anything else kills the process with the reason
 * recorded and ends the running thread. Returns false when no process runs (the caller panics).
 */
bool process_user_trap(struct trap_frame *frame);

/* process_release - kobject release for KOBJECT_PROCESS. */
void process_release(struct kobject *obj);
