/*
 * Threads: what the scheduler runs.
 *
 * Model: a thread is a kobject (KOBJECT_THREAD) with a kernel stack (a guarded kstack, 16 KiB),
 * the kernel RSP saved while it is switched out, and its FPU/SSE state (an FXSAVE image, saved and
 * restored on every switch of a user thread). A user thread belongs to a process (it holds a
 * reference on it) and enters ring 3 the first time it runs; a kernel thread (the boot thread that
 * runs kmain, the idle thread) belongs to none and runs in the kernel's page tables.
 *
 * Life: thread_create_*() makes it READY. It runs, blocks and wakes (sched.h) until it calls
 * thread_exit_current(), or is killed: thread_kill() sets `killed` and wakes it if blocked, and the
 * thread ends itself the next time it is about to return to user mode (the system-call return, a
 * preemption, its first run), never while it holds kernel state. A dead thread's kernel stack is
 * freed by the next thread to run (no one can free the stack they stand on); its reference on its
 * process is dropped then, and the record lives on while a handle names it. The last thread of a
 * process to end ends the process (process.h).
 *
 * Locking: none yet. One CPU runs threads (SMP is issue 7) and the kernel is not preemptible:
 * interrupts are off whenever kernel code runs, except in the idle loop, so scheduler state is
 * only touched with interrupts off on the boot CPU. Issue 7 replaces this with a run-queue lock.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/kerr.h"
#include "kernel/memory/kstack.h"
#include "kernel/objects/kobject.h"
#include "quire/rights.h"

struct process;
struct wait_queue;

#define THREAD_FPU_BYTES   512 /* an FXSAVE image */
#define THREAD_NAME_MAX    24
#define THREAD_STACK_PAGES 4u /* every thread's kernel stack: 16 KiB */

/* Rights of the handle thread_create() returns. */
#define THREAD_RIGHTS                                                                              \
	(QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_DUPLICATE | QUIRE_RIGHT_TRANSFER)

enum thread_state {
	THREAD_READY,   /* on the run queue */
	THREAD_RUNNING, /* on the CPU */
	THREAD_BLOCKED, /* on a wait queue or the sleep list */
	THREAD_DEAD,    /* ended; its stack is freed by the next thread to run */
};

struct thread {
	uint8_t fpu[THREAD_FPU_BYTES]
	    __attribute__((aligned(16))); /* FXSAVE image (user threads) */
	struct kobject obj;               /* KOBJECT_THREAD */
	struct process *process; /* NULL for a kernel thread; a reference held until reaped */
	enum thread_state state;
	uint64_t rsp;                  /* the kernel RSP while switched out */
	struct kstack kstack;          /* none (top 0) for the boot thread */
	struct thread *next;           /* run queue, wait queue or sleep list */
	struct wait_queue *waiting_on; /* the queue it is blocked on, NULL otherwise */
	uint64_t wake_tsc;             /* on the sleep list: when to wake */
	struct thread *sleep_next;     /* the sleep list (a timed wait is on a wait queue too) */
	bool sleeping;                 /* on the sleep list */
	bool timed_out;                /* a timed wait ended by its deadline */
	bool killed;                   /* ends itself before it next returns to user mode */
	struct thread *process_next;   /* the process's list of live threads */
	/* How it starts: in ring 3 at entry (user), or kernel_fn(kernel_arg). */
	uint64_t entry, user_rsp, arg;
	void (*kernel_fn)(void *arg);
	void *kernel_arg;
	char name[THREAD_NAME_MAX];
};

/* thread_from_kobject - the thread OBJ (KOBJECT_THREAD) is embedded in. */
struct thread *thread_from_kobject(struct kobject *obj);

/*
 * thread_create_kernel - a READY kernel thread running FN(ARG) on a stack of its own; FN must not
 * return (it ends with thread_exit_current()). Holds the scheduler's reference only. No spinlock
 * held; allocates. Errors: KERR_NO_MEMORY.
 */
kerr_t thread_create_kernel(const char *name, void (*fn)(void *arg), void *arg,
			    struct thread **out);

/*
 * thread_create_user - a READY thread of PROCESS (which must not have ended) entering ring 3 at
 * ENTRY with RSP and ARG in RDI. It takes a reference on PROCESS and joins its thread list. *OUT
 * (may be NULL) gets the thread, with no reference of the caller's (kobject_get to keep it).
 * Errors: KERR_NO_MEMORY; KERR_NOT_FOUND when PROCESS is ending.
 */
kerr_t thread_create_user(struct process *process, uint64_t entry, uint64_t rsp, uint64_t arg,
			  struct thread **out);

/* thread_current - the thread running on this CPU (the boot thread before sched_init()). */
struct thread *thread_current(void);

/*
 * thread_exit_current - ends the running thread: off its process's list (the last one ends the
 * process: process_end_last_thread()), DEAD, and switched away from for good.
 */
_Noreturn void thread_exit_current(void);

/*
 * thread_kill - marks T to end itself before it next returns to user mode, and wakes it if it is
 * blocked (its wait returns KERR_TIMEOUT... see sched.h). Interrupts off.
 */
void thread_kill(struct thread *t);

/*
 * thread_check_killed - at a return to user mode: ends the running thread if it was killed.
 * Returns otherwise.
 */
void thread_check_killed(void);

/* thread_release - kobject release for KOBJECT_THREAD: frees the record (it is dead by then). */
void thread_release(struct kobject *obj);

/* thread_live_count - threads not yet reaped (tests: nothing leaks). */
uint64_t thread_live_count(void);
