/*
 * Threads: creation, the first run, ending and killing; see thread.h.
 */
#include "kernel/sched/thread.h"

#include <stddef.h>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/switch.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/memory/kheap.h"
#include "kernel/panic.h"
#include "kernel/process.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/sched_internal.h"

static uint64_t live_threads;

struct thread *thread_from_kobject(struct kobject *obj)
{
	kassert(obj->type == KOBJECT_THREAD);
	return container_of(obj, struct thread, obj);
}

uint64_t thread_live_count(void)
{
	return live_threads;
}

/*
 * Where a new thread's first context_switch() "returns" to. RSP is 8 modulo 16 here, as at the
 * entry of any function, and RBP is 0, which ends backtraces.
 */
static _Noreturn void thread_first_run(void)
{
	struct thread *t = thread_current();

	sched_reap_dead();
	if (t->process == NULL) {
		t->kernel_fn(t->kernel_arg);
		thread_exit_current();
	}
	thread_check_killed();
	user_start(t->entry, t->user_rsp, t->arg);
}

/* A thread record with a kernel stack whose first switch lands in thread_first_run(). */
static kerr_t thread_alloc(const char *name, struct thread **out)
{
	struct thread *t = kzalloc(sizeof(*t));

	if (t == NULL)
		return KERR_NO_MEMORY;
	kassert(((uintptr_t)t->fpu & 15) == 0);
	kerr_t err = kstack_create(THREAD_STACK_PAGES, &t->kstack);
	if (err != KERR_OK) {
		kfree(t);
		return err;
	}
	format_snprintf(t->name, sizeof(t->name), "%s", name);
	kobject_init(&t->obj, KOBJECT_THREAD);
	/* The frame context_switch() pops: six callee-saved registers (zero), then the return
	 * address; above it a zero "return address" that ends backtraces. */
	uint64_t *sp = (uint64_t *)t->kstack.top;
	*--sp = 0;
	*--sp = (uint64_t)(uintptr_t)thread_first_run;
	for (unsigned i = 0; i < 6; i++)
		*--sp = 0;
	t->rsp = (uint64_t)(uintptr_t)sp;
	fpu_initial_state(t->fpu);
	t->state = THREAD_READY;
	live_threads++;
	*out = t;
	return KERR_OK;
}

kerr_t thread_create_kernel(const char *name, void (*fn)(void *arg), void *arg, struct thread **out)
{
	struct thread *t;

	TRY(thread_alloc(name, &t));
	t->kernel_fn = fn;
	t->kernel_arg = arg;
	if (out != NULL)
		*out = t;
	sched_make_ready(t);
	return KERR_OK;
}

kerr_t thread_create_user(struct process *p, uint64_t entry, uint64_t rsp, uint64_t arg,
			  struct thread **out)
{
	struct thread *t;

	if (p->exiting || p->ended)
		return KERR_NOT_FOUND;
	TRY(thread_alloc(p->name, &t));
	t->entry = entry;
	t->user_rsp = rsp;
	t->arg = arg;
	kobject_get(&p->obj);
	t->process = p;
	process_add_thread(p, t);
	if (out != NULL)
		*out = t;
	sched_make_ready(t);
	return KERR_OK;
}

_Noreturn void thread_exit_current(void)
{
	struct thread *t = thread_current();

	kassert(!cpu_interrupts_enabled());
	kassert(t->kstack.top != 0); /* the boot thread never ends */
	if (t->process != NULL)
		process_remove_thread(t->process, t); /* the last one ends the process */
	t->state = THREAD_DEAD;
	sched_add_dead(t);
	sched_switch_away();
	panic("a dead thread ran again");
}

void thread_kill(struct thread *t)
{
	kassert(!cpu_interrupts_enabled());
	if (t->state == THREAD_DEAD)
		return;
	t->killed = true;
	if (t->state == THREAD_BLOCKED)
		sched_unblock(t);
}

void thread_check_killed(void)
{
	if (thread_current()->killed)
		thread_exit_current();
}

/* The record only: the stack went when the thread was reaped, the process reference too. */
void thread_release(struct kobject *obj)
{
	struct thread *t = thread_from_kobject(obj);

	kassert(t->state == THREAD_DEAD && t->kstack.top == 0 && t->process == NULL);
	kfree(t);
}

/* Called by the scheduler for a dead thread that no longer runs: its stack and references. */
void thread_reap(struct thread *t)
{
	struct process *p = t->process;

	kassert(t->state == THREAD_DEAD && t != thread_current());
	kstack_destroy(&t->kstack);
	t->kstack = (struct kstack){0};
	t->process = NULL;
	live_threads--;
	if (p != NULL)
		kobject_put(&p->obj);
	kobject_put(&t->obj);
}
