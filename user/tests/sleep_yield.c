/*
 * sleep_yield: sleep() lasts at least as long as asked, yield() and sleep(0) return at once, a
 * sleeping thread lets the others run, and the timer preempts a thread that never gives up the
 * CPU.
 *
 * Durations are measured with rdtsc against system_info's tsc_hz. The upper bounds are generous
 * (emulation is slow and its timer is coarse); the lower bounds are exact.
 *
 *   sleep        sleep(20 ms) three times: each at least 20 ms, under 2 s; sleep(0) and
 *                yield() return 0
 *   progress     a thread spinning with yield counts up while the main thread sleeps
 *   preemption   threads A and B spin without ever yielding, each waiting for a flag only the
 *                other sets: whichever runs first can only be stopped by the timer; meanwhile
 *                the main thread sleeps 20 ms, and must get the CPU back in time
 * Every thread's stack is unmapped and its handle closed; the free frame count ends at its
 * baseline.
 */
#include "qtest.h"

#define STACK_SIZE  (64u * 1024u)
#define PROT_RW     (QUIRE_VMA_READ | QUIRE_VMA_WRITE)
#define NS_PER_MS   1000000ull
#define SLEEP_NS    (20 * NS_PER_MS)
#define UPPER_NS    (2000 * NS_PER_MS)
#define SLEEP_TIMES 3

struct stack {
	quire_handle_t vma;
	uint64_t base;
};

static uint64_t tsc_hz;

static struct {
	volatile uint64_t spins;
	volatile uint32_t stop, done;
	volatile uint32_t a_started, b_flag;
} shared;

/* Counts the calling thread done in *DONE and ends it, touching no memory after the count. */
__attribute__((naked, noreturn)) static void thread_finish(volatile uint32_t *done)
{
	__asm__("lock incl (%%rdi)\n\t"
		"movl %0, %%eax\n\t"
		"syscall\n\t"
		"ud2" ::"i"(QUIRE_SYS_thread_exit));
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t ns_since(uint64_t start)
{
	uint64_t ticks = rdtsc() - start;

	return ticks / tsc_hz * 1000000000ull + ticks % tsc_hz * 1000000000ull / tsc_hz;
}

static quire_handle_t start_thread(void (*entry)(void *), struct stack *s)
{
	quire_handle_t t = QUIRE_HANDLE_INVALID;

	s->base = 0;
	CHECK_EQ(quire_vma_create_map(STACK_SIZE, &s->base, PROT_RW, &s->vma), 0);
	CHECK_EQ(quire_thread_create(quire_self(), (uint64_t)(uintptr_t)entry, s->base + STACK_SIZE,
				     0, &t),
		 0);
	return t;
}

static void reap(quire_handle_t t, struct stack *s)
{
	CHECK_EQ(quire_handle_close(t), 0);
	CHECK_EQ(quire_vma_unmap(s->vma, quire_self()), 0);
	CHECK_EQ(quire_handle_close(s->vma), 0);
}

static void wait_done(uint32_t n)
{
	while (shared.done < n)
		CHECK_EQ(quire_yield(), 0);
}

/* Sleeps NS and checks how long it took: at least NS, less than UPPER_NS. */
static uint64_t timed_sleep(uint64_t ns)
{
	uint64_t start = rdtsc();

	CHECK_EQ(quire_sleep(ns), 0);
	uint64_t took = ns_since(start);
	if (took < ns || took >= UPPER_NS) {
		char what[120];
		snprintf(what, sizeof(what), "sleep(%llu ns) took %llu ns", (unsigned long long)ns,
			 (unsigned long long)took);
		qtest_fail(__FILE__, __LINE__, what);
	}
	return took;
}

static uint64_t test_sleep(void)
{
	uint64_t longest = 0;

	CHECK_EQ(quire_sleep(0), 0);
	CHECK_EQ(quire_yield(), 0);
	for (int i = 0; i < SLEEP_TIMES; i++) {
		uint64_t took = timed_sleep(SLEEP_NS);
		if (took > longest)
			longest = took;
	}
	return longest;
}

static _Noreturn void yielding_spinner(void *arg)
{
	while (!shared.stop) {
		shared.spins++;
		(void)quire_yield();
	}
	thread_finish(&shared.done);
}

/* Returns how many times the spinner went round while the main thread slept. */
static uint64_t test_progress(void)
{
	struct stack s;
	quire_handle_t t = start_thread(yielding_spinner, &s);

	while (shared.spins == 0)
		CHECK_EQ(quire_yield(), 0);
	uint64_t before = shared.spins;
	timed_sleep(SLEEP_NS);
	uint64_t during = shared.spins - before;
	CHECK(during > 0);
	shared.stop = 1;
	wait_done(1);
	reap(t, &s);
	return during;
}

/* A: waits for B's flag without yielding. */
static _Noreturn void thread_a(void *arg)
{
	shared.a_started = 1;
	while (!shared.b_flag)
		;
	thread_finish(&shared.done);
}

/* B: waits until A runs, then sets the flag A waits for, without yielding. */
static _Noreturn void thread_b(void *arg)
{
	while (!shared.a_started)
		;
	shared.b_flag = 1;
	thread_finish(&shared.done);
}

static void test_preemption(void)
{
	struct stack sa, sb;

	shared.done = 0;
	quire_handle_t a = start_thread(thread_a, &sa);
	quire_handle_t b = start_thread(thread_b, &sb);
	timed_sleep(SLEEP_NS); /* A and B spin meanwhile; the timer must wake this one */
	wait_done(2);
	CHECK(shared.a_started && shared.b_flag);
	reap(a, &sa);
	reap(b, &sb);
}

/* Makes the pages used later present before the baseline: static data and the stack below. */
static __attribute__((noinline)) void touch_pages(void)
{
	volatile uint8_t below[16384];

	for (size_t i = 0; i < sizeof(below); i += 512)
		below[i] = 0;
	memset(&shared, 0, sizeof(shared));
}

int main(int argc, char **argv)
{
	struct quire_system_info si;

	touch_pages();
	CHECK_EQ(quire_system_info(&si, sizeof(si)), 0);
	CHECK(si.tsc_hz > 0);
	tsc_hz = si.tsc_hz;
	uint64_t frames = qtest_frames_free();

	uint64_t longest = test_sleep();
	uint64_t spins = test_progress();
	test_preemption();
	CHECK_EQ(qtest_frames_free(), frames);
	printf("sleep_yield: sleep(20 ms) took at most %llu us, a yielding thread went round %llu "
	       "times during one, a spinning thread was preempted\n",
	       (unsigned long long)(longest / 1000), (unsigned long long)spins);
	return 0;
}
