/*
 * Built-in tests of the scheduler with kernel threads: round-robin order under yield, blocking on
 * a wait queue, killing a blocked thread, sleeping, the FPU/SSE save area, and that dead threads
 * are reaped.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/switch.h"
#include "kernel/arch/x86_64/tsc.h"
#include "kernel/ktest.h"
#include "kernel/lib/compiler.h"
#include "kernel/sched/sched.h"

struct interleave {
	char order[16];
	unsigned len;
	unsigned done;
	struct wait_queue finished;
};

static void append_three(struct interleave *s, char c)
{
	for (int i = 0; i < 3; i++) {
		s->order[s->len++] = c;
		sched_yield();
	}
	s->done++;
	wait_queue_wake_all(&s->finished);
}

static void thread_a(void *arg)
{
	append_three(arg, 'a');
	thread_exit_current();
}

static void thread_b(void *arg)
{
	append_three(arg, 'b');
	thread_exit_current();
}

KTEST(sched_yield_alternates_kernel_threads)
{
	static struct interleave s;
	uint64_t live = thread_live_count();

	s.len = s.done = 0;
	wait_queue_init(&s.finished);
	if (!kexpect_eq(thread_create_kernel("a", thread_a, &s, NULL), KERR_OK))
		return;
	if (!kexpect_eq(thread_create_kernel("b", thread_b, &s, NULL), KERR_OK))
		return;
	kexpect_eq(thread_live_count(), live + 2);
	while (s.done < 2)
		kexpect_eq(wait_queue_sleep(&s.finished), KERR_OK);
	s.order[s.len] = '\0';
	/* FIFO: a runs, yields to b (behind it, the boot thread), and so on. */
	kexpectf(s.len == 6 && __builtin_memcmp(s.order, "ababab", 6) == 0, "order %s", s.order);
	sched_yield(); /* whoever died last is reaped by the next switch */
	kexpect_eq(thread_live_count(), live);
}

struct blocked {
	struct wait_queue never;
	kerr_t result;
	bool returned;
};

static void block_forever(void *arg)
{
	struct blocked *b = arg;

	b->result = wait_queue_sleep(&b->never);
	b->returned = true;
	thread_exit_current();
}

KTEST(sched_kill_wakes_a_blocked_thread)
{
	static struct blocked b;
	struct thread *t;
	uint64_t live = thread_live_count();

	wait_queue_init(&b.never);
	b.returned = false;
	if (!kexpect_eq(thread_create_kernel("blocked", block_forever, &b, &t), KERR_OK))
		return;
	kobject_get(&t->obj);
	sched_yield(); /* it runs and blocks */
	kexpect_eq(t->state, THREAD_BLOCKED);
	kexpect(!b.returned);
	thread_kill(t);
	kexpect_eq(t->state, THREAD_READY);
	kexpect(b.never.head == NULL);
	sched_yield();
	kexpect(b.returned);
	kexpect_eq(b.result, KERR_TIMEOUT);
	sched_yield();
	kexpect_eq(t->state, THREAD_DEAD);
	kobject_put(&t->obj);
	kexpect_eq(thread_live_count(), live);
}

KTEST(sched_sleep_lasts_at_least_the_time_asked)
{
	uint64_t hz = tsc_hz();

	if (!kexpectf(hz != 0, "no TSC rate"))
		return;
	for (uint64_t ms = 1; ms <= 16; ms *= 4) {
		uint64_t start = cpu_rdtsc();
		kexpect_eq(sched_sleep_ns(ms * 1000000ull), KERR_OK);
		uint64_t elapsed = cpu_rdtsc() - start;
		kexpectf(elapsed >= ms * hz / 1000, "slept %llu ticks for %llu ms",
			 (unsigned long long)elapsed, (unsigned long long)ms);
		/* Generous: TCG runs the guest slower than real time, ticks arrive late. */
		kexpectf(elapsed < (ms + 500) * hz / 1000, "slept %llu ticks for %llu ms",
			 (unsigned long long)elapsed, (unsigned long long)ms);
	}
	kexpect(sched_timer_running());
}

/* FXSAVE/FXRSTOR keep an XMM register and MXCSR (the kernel itself never touches them). */
KTEST(sched_fpu_state_round_trips)
{
	static uint8_t saved[512] ALIGNED(16), clean[512] ALIGNED(16);
	static const uint64_t pattern[2] ALIGNED(16) = {0x0123456789abcdefull,
							0xfedcba9876543210ull};
	uint64_t back[2] ALIGNED(16);
	uint32_t mxcsr = 0x1f80 | (1u << 13), got; /* round down */

	__asm__ volatile("movdqa %0, %%xmm3\n\tldmxcsr %1" : : "m"(pattern), "m"(mxcsr));
	fpu_save(saved);
	fpu_initial_state(clean);
	fpu_restore(clean);
	__asm__ volatile("movdqa %%xmm3, %0\n\tstmxcsr %1" : "=m"(back), "=m"(got));
	kexpect(back[0] == 0 && back[1] == 0);
	kexpect_eq(got, 0x1f80);
	fpu_restore(saved);
	__asm__ volatile("movdqa %%xmm3, %0\n\tstmxcsr %1" : "=m"(back), "=m"(got));
	kexpect_eq(back[0], pattern[0]);
	kexpect_eq(back[1], pattern[1]);
	kexpect_eq(got, mxcsr);
	fpu_restore(clean);
}

struct waker {
	struct wait_queue *wq;
	bool done;
};

static void wake_after_yield(void *arg)
{
	struct waker *w = arg;

	wait_queue_wake_all(w->wq);
	w->done = true;
	thread_exit_current();
}

/* A timed wait ends by its deadline with TIMEOUT, or by a wake-up with OK, and then only once. */
KTEST(sched_timed_wait_ends_by_deadline_or_wakeup)
{
	static struct wait_queue wq;
	static struct waker w;
	uint64_t hz = tsc_hz();

	wait_queue_init(&wq);
	uint64_t start = cpu_rdtsc();
	kexpect_eq(wait_queue_sleep_until(&wq, sched_deadline_ns(3000000)), KERR_TIMEOUT);
	kexpectf(cpu_rdtsc() - start >= 3 * hz / 1000, "woke after %llu ticks",
		 (unsigned long long)(cpu_rdtsc() - start));
	kexpect(wq.head == NULL);
	/* A deadline already past: at once. */
	kexpect_eq(wait_queue_sleep_until(&wq, cpu_rdtsc() - 1), KERR_TIMEOUT);

	w = (struct waker){.wq = &wq};
	if (!kexpect_eq(thread_create_kernel("waker", wake_after_yield, &w, NULL), KERR_OK))
		return;
	kexpect_eq(wait_queue_sleep_until(&wq, sched_deadline_ns(1000000000ull)), KERR_OK);
	kexpect(w.done);
	kexpect(!thread_current()->sleeping);
	/* The old deadline must not wake anything later: sleep past a few ticks, nothing breaks. */
	kexpect_eq(sched_sleep_ns(3000000), KERR_OK);
	kexpect_eq(sched_deadline_ns(SCHED_FOREVER), SCHED_FOREVER);
}
