/*
 * The scheduler: run queue, switching, wait queues, sleeping, the timer tick; see sched.h.
 */
#include "kernel/sched/sched.h"

#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/switch.h"
#include "kernel/arch/x86_64/syscall.h"
#include "kernel/arch/x86_64/tsc.h"
#include "kernel/lib/log.h"
#include "kernel/memory/vm_space.h"
#include "kernel/panic.h"
#include "kernel/process.h"
#include "kernel/sched/sched_internal.h"

static struct thread boot_thread;
static struct thread *current = &boot_thread;
static struct thread *idle;
static struct thread *run_head, *run_tail;
static struct thread *sleep_head; /* by wake_tsc, earliest first */
static struct thread *dead_head;
static uint64_t kernel_cr3;  /* the kernel's page tables, for kernel threads */
static uint64_t loaded_cr3;  /* what CR3 holds now */
static uint32_t slice_ticks; /* ticks the running thread has had since it was switched in */
static uint64_t switches, preemptions;
static bool timer_running;

struct thread *thread_current(void)
{
	return current;
}

uint64_t sched_switches(void)
{
	return switches;
}

uint64_t sched_preemptions(void)
{
	return preemptions;
}

bool sched_timer_running(void)
{
	return timer_running;
}

void sched_make_ready(struct thread *t)
{
	kassert(t != idle);
	t->state = THREAD_READY;
	t->next = NULL;
	if (run_tail != NULL)
		run_tail->next = t;
	else
		run_head = t;
	run_tail = t;
}

static struct thread *take_ready(void)
{
	struct thread *t = run_head;

	if (t != NULL) {
		run_head = t->next;
		if (run_head == NULL)
			run_tail = NULL;
		t->next = NULL;
	}
	return t;
}

void sched_add_dead(struct thread *t)
{
	t->next = dead_head;
	dead_head = t;
}

void sched_reap_dead(void)
{
	struct thread **link = &dead_head;

	while (*link != NULL) {
		struct thread *t = *link;
		if (t == current) {
			link = &t->next;
			continue;
		}
		*link = t->next;
		thread_reap(t);
	}
}

void sched_switch_away(void)
{
	struct thread *prev = current;
	struct thread *next = take_ready();

	kassert(!cpu_interrupts_enabled());
	if (next == NULL) {
		kassert(idle != NULL);
		next = idle;
	}
	if (next == prev) {
		prev->state = THREAD_RUNNING;
		return;
	}
	switches++;
	if (prev->process != NULL && prev->state != THREAD_DEAD)
		fpu_save(prev->fpu);
	struct vm_space *space = next->process != NULL ? next->process->space : NULL;
	uint64_t cr3 = space != NULL ? space->pt.root : kernel_cr3;
	if (cr3 != loaded_cr3) {
		cpu_write_cr3(cr3);
		loaded_cr3 = cr3;
	}
	vm_space_set_current_user(space);
	if (next->kstack.top != 0)
		syscall_set_kernel_stack(next->kstack.top);
	if (next->process != NULL)
		fpu_restore(next->fpu);
	current = next;
	next->state = THREAD_RUNNING;
	slice_ticks = 0;
	context_switch(&prev->rsp, next->rsp);
	/* Back on PREV's stack: someone switched to it. */
	sched_reap_dead();
}

void sched_yield(void)
{
	struct thread *t = current;

	kassert(!cpu_interrupts_enabled());
	if (t != idle)
		sched_make_ready(t);
	sched_switch_away();
}

void wait_queue_init(struct wait_queue *wq)
{
	wq->head = wq->tail = NULL;
}

kerr_t wait_queue_sleep(struct wait_queue *wq)
{
	return wait_queue_sleep_until(wq, SCHED_FOREVER);
}

/* NS nanoseconds in TSC ticks, saturating. */
static uint64_t ns_to_tsc(uint64_t ns)
{
	uint64_t hz = tsc_hz(), whole, part;

	if (hz == 0)
		hz = 1000000000ull; /* no calibration: assume 1 GHz rather than never waking */
	if (__builtin_mul_overflow(ns / 1000000000ull, hz, &whole))
		return UINT64_MAX;
	part = (ns % 1000000000ull) * (hz / 1000) / 1000000ull; /* < hz: no overflow */
	return whole + part < whole ? UINT64_MAX : whole + part;
}

/* Takes T off the sleep list (it is on it). */
static void sleep_remove(struct thread *t)
{
	struct thread **link = &sleep_head;

	while (*link != t) {
		kassert(*link != NULL);
		link = &(*link)->sleep_next;
	}
	*link = t->sleep_next;
	t->sleep_next = NULL;
	t->sleeping = false;
}

/* Puts T on the sleep list, by deadline. */
static void sleep_insert(struct thread *t, uint64_t deadline)
{
	struct thread **link = &sleep_head;

	t->wake_tsc = deadline;
	while (*link != NULL && (*link)->wake_tsc <= deadline)
		link = &(*link)->sleep_next;
	t->sleep_next = *link;
	*link = t;
	t->sleeping = true;
}

kerr_t wait_queue_sleep_until(struct wait_queue *wq, uint64_t deadline)
{
	struct thread *t = current;

	kassert(!cpu_interrupts_enabled() && t != idle);
	if (t->killed)
		return KERR_TIMEOUT;
	if (deadline != SCHED_FOREVER && cpu_rdtsc() >= deadline)
		return KERR_TIMEOUT;
	t->state = THREAD_BLOCKED;
	t->waiting_on = wq;
	t->next = NULL;
	if (wq->tail != NULL)
		wq->tail->next = t;
	else
		wq->head = t;
	wq->tail = t;
	if (deadline != SCHED_FOREVER)
		sleep_insert(t, deadline);
	t->timed_out = false;
	sched_switch_away();
	if (t->killed || t->timed_out)
		return KERR_TIMEOUT;
	return KERR_OK;
}

uint64_t sched_deadline_ns(uint64_t ns)
{
	uint64_t now = cpu_rdtsc(), delta = ns_to_tsc(ns);

	if (ns == SCHED_FOREVER || now + delta < now || now + delta == SCHED_FOREVER)
		return SCHED_FOREVER;
	return now + delta;
}

void wait_queue_wake_all(struct wait_queue *wq)
{
	struct thread *t = wq->head;

	wq->head = wq->tail = NULL;
	while (t != NULL) {
		struct thread *next = t->next;
		t->waiting_on = NULL;
		if (t->sleeping)
			sleep_remove(t);
		sched_make_ready(t);
		t = next;
	}
}

/* Takes T off WQ (it is on it). */
static void wait_queue_remove(struct wait_queue *wq, struct thread *t)
{
	struct thread *prev = NULL;

	for (struct thread *i = wq->head; i != NULL; prev = i, i = i->next) {
		if (i != t)
			continue;
		if (prev != NULL)
			prev->next = t->next;
		else
			wq->head = t->next;
		if (wq->tail == t)
			wq->tail = prev;
		t->next = NULL;
		return;
	}
	panic("thread %s is not on the wait queue it blocked on", t->name);
}

void sched_unblock(struct thread *t)
{
	kassert(t->state == THREAD_BLOCKED);
	if (t->waiting_on != NULL) {
		wait_queue_remove(t->waiting_on, t);
		t->waiting_on = NULL;
	}
	if (t->sleeping)
		sleep_remove(t);
	sched_make_ready(t);
}

/* Every sleeper whose time has come becomes READY. */
static void wake_sleepers(void)
{
	uint64_t now = cpu_rdtsc();

	while (sleep_head != NULL && sleep_head->wake_tsc <= now) {
		struct thread *t = sleep_head;
		sleep_head = t->sleep_next;
		t->sleep_next = NULL;
		t->sleeping = false;
		if (t->waiting_on != NULL) { /* a wait with a deadline: it passed */
			wait_queue_remove(t->waiting_on, t);
			t->waiting_on = NULL;
			t->timed_out = true;
		}
		sched_make_ready(t);
	}
}

kerr_t sched_sleep_ns(uint64_t ns)
{
	struct thread *t = current;

	kassert(!cpu_interrupts_enabled() && t != idle);
	if (t->killed)
		return KERR_TIMEOUT;
	if (ns == 0) {
		sched_yield();
		return t->killed ? KERR_TIMEOUT : KERR_OK;
	}
	uint64_t now = cpu_rdtsc(), delta = ns_to_tsc(ns);
	sleep_insert(t, now + delta < now ? UINT64_MAX : now + delta);
	t->state = THREAD_BLOCKED;
	sched_switch_away();
	return t->killed ? KERR_TIMEOUT : KERR_OK;
}

/*
 * The timer tick: wakes sleepers, and ends the time slice of a user thread that used it up while
 * another thread is ready. Kernel code is never preempted; the idle loop picks up what the tick
 * woke.
 */
static void tick(struct trap_frame *f)
{
	wake_sleepers();
	if ((f->cs & 3) == 0 || current == idle)
		return;
	if (++slice_ticks < SCHED_SLICE_TICKS || run_head == NULL)
		return;
	preemptions++;
	sched_yield();
	thread_check_killed();
}

static _Noreturn void idle_main(void *arg)
{
	(void)arg;
	for (;;) {
		wake_sleepers();
		if (run_head != NULL) {
			sched_switch_away();
			continue;
		}
		if (timer_running)
			__asm__ volatile("sti\n\thlt\n\tcli" : : : "memory");
		else
			__asm__ volatile("pause" : : : "memory");
	}
}

void sched_init(void)
{
	kassert(!cpu_interrupts_enabled());
	fpu_init();
	loaded_cr3 = kernel_cr3 = cpu_read_cr3();
	kobject_thread_release = thread_release;
	kobject_init(&boot_thread.obj, KOBJECT_THREAD);
	boot_thread.state = THREAD_RUNNING;
	__builtin_memcpy(boot_thread.name, "kmain", 6);
	struct thread *t;
	kerr_t err = thread_create_kernel("idle", (void (*)(void *))idle_main, NULL, &t);
	if (err != KERR_OK)
		panic("sched: no idle thread: %s", kerr_name(err));
	/* Created READY, but idle runs only when nothing else is ready: off the queue. */
	kassert(take_ready() == t);
	idle = t;
	if (apic_timer_hz() != 0) {
		irq_set_handler(APIC_TIMER_VECTOR, tick);
		timer_running = true;
	}
	log_info("sched: ready (timer %s, %u Hz, slice %u ticks)", timer_running ? "on" : "off",
		 apic_timer_hz(), SCHED_SLICE_TICKS);
}

void sched_use_kernel_tables(void)
{
	if (loaded_cr3 != kernel_cr3) {
		cpu_write_cr3(kernel_cr3);
		loaded_cr3 = kernel_cr3;
	}
	vm_space_set_current_user(NULL);
}
