/*
 * The scheduler: a round-robin run queue, blocking on wait queues, sleeping, and preemption of
 * user code by the local APIC timer.
 *
 * Model: one run queue of READY threads, served first in, first out. A user thread runs until it
 * blocks, yields, exits or its time slice (SCHED_SLICE_TICKS timer ticks) runs out while it is in
 * ring 3; then the next READY thread runs. When none is ready the idle thread halts with
 * interrupts on until the next interrupt. Kernel code is never preempted: a thread in the kernel
 * runs until it blocks or returns to user mode (see thread.h for why, and issue 7 for what SMP
 * changes). Each tick also wakes the sleepers whose time has come, so sleep() has the tick's
 * granularity (1 ms).
 *
 * A switch saves the callee-saved registers on the old thread's kernel stack, its FPU/SSE state
 * (user threads), loads the new thread's page tables (its process's, or the kernel's for a kernel
 * thread), points the TSS and the system-call entry at its kernel stack, restores its FPU/SSE
 * state and its registers.
 *
 * Locking: interrupts off, boot CPU (thread.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/kerr.h"
#include "kernel/sched/thread.h"

#define SCHED_HZ          1000u /* timer ticks a second */
#define SCHED_SLICE_TICKS 10u   /* a user thread's time slice: 10 ms */

/* A list of threads blocked until something happens. */
struct wait_queue {
	struct thread *head, *tail;
};

/*
 * sched_init - makes the running code the boot thread, creates the idle thread, sets up the
 * FPU/SSE state every new user thread starts with, and takes the timer's ticks (when the APIC
 * timer runs). Boot CPU, once, interrupts off, after the kernel heap and apic_init().
 */
void sched_init(void);

/* sched_yield - lets every other READY thread run first; returns when this one is picked again. */
void sched_yield(void);

/* wait_queue_init - an empty queue. */
void wait_queue_init(struct wait_queue *wq);

/*
 * wait_queue_sleep - blocks the running thread on WQ until wait_queue_wake_all(WQ) (KERR_OK) or
 * until it is killed (KERR_TIMEOUT: the caller unwinds and the return to user mode ends it).
 * Callers re-check their condition in a loop. Not from the idle thread.
 */
kerr_t wait_queue_sleep(struct wait_queue *wq);

/* A deadline that never comes: wait_queue_sleep_until() without a time limit. */
#define SCHED_FOREVER UINT64_MAX

/*
 * wait_queue_sleep_until - wait_queue_sleep() with a deadline: a TSC value (sched_deadline_ns())
 * or SCHED_FOREVER. KERR_OK when woken, KERR_TIMEOUT when the deadline passed first (at once if
 * it has passed already) or the thread was killed. The deadline is checked on timer ticks, so it
 * is met within a tick.
 */
kerr_t wait_queue_sleep_until(struct wait_queue *wq, uint64_t deadline);

/* sched_deadline_ns - the TSC deadline NS nanoseconds from now; SCHED_FOREVER saturates. */
uint64_t sched_deadline_ns(uint64_t ns);

/* wait_queue_wake_all - makes every thread blocked on WQ READY. */
void wait_queue_wake_all(struct wait_queue *wq);

/*
 * sched_sleep_ns - blocks the running thread for at least NS nanoseconds (rounded up to ticks).
 * KERR_OK, or KERR_TIMEOUT when it was killed meanwhile. Without a timer (no APIC) the idle loop
 * polls the TSC instead, so sleeping still ends.
 */
kerr_t sched_sleep_ns(uint64_t ns);

/* sched_make_ready - puts T (new, or just woken) at the tail of the run queue. */
void sched_make_ready(struct thread *t);

/* sched_switch_away - runs the next READY thread (or idle); the caller set its own state first. */
void sched_switch_away(void);

/* sched_switches - context switches so far (tests, statistics). */
uint64_t sched_switches(void);

/* sched_preemptions - switches forced by the end of a time slice (tests). */
uint64_t sched_preemptions(void);

/* sched_timer_running - whether ticks arrive (the APIC timer started). */
bool sched_timer_running(void);
