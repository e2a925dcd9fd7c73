/*
 * Between the scheduler (sched.c), threads (thread.c) and processes (process.c); not for others.
 */
#pragma once

#include "kernel/sched/thread.h"

struct process;

/* sched_add_dead - T ended: the next thread to run reaps it (thread_reap). */
void sched_add_dead(struct thread *t);

/* sched_reap_dead - reaps every dead thread but the running one. */
void sched_reap_dead(void);

/* sched_unblock - takes blocked T off its wait queue or the sleep list and makes it READY. */
void sched_unblock(struct thread *t);

/* thread_reap - frees dead T's stack and drops its references (thread.c). */
void thread_reap(struct thread *t);

/* process_add_thread / process_remove_thread - a process's list of live threads (process.c). */
void process_add_thread(struct process *p, struct thread *t);
void process_remove_thread(struct process *p, struct thread *t);

/*
 * sched_use_kernel_tables - the running thread leaves its process's space for the kernel's page
 * tables (its process is ending and the space is about to go).
 */
void sched_use_kernel_tables(void);
