/*
 * threads: thread_create and thread_exit, shared memory between threads, FPU/SSE state kept per
 * thread across preemption, thread_create's errors, and how a multi-threaded process ends.
 *
 * Every thread here gets a stack of its own from vma_create_map and ends through
 * thread_finish(), which counts it done and calls thread_exit without touching memory in
 * between, so once the count shows it the main thread may unmap its stack. The main thread waits
 * by polling such a count with yield.
 *
 *   counters   four threads add to a shared counter and their own, yielding after each step
 *   fpu        three threads sum doubles in long loops until each has seen the others make
 *              progress mid-loop (the timer preempted it) and get the exact sum; one of them
 *              runs with another rounding mode (MXCSR), which the others must not see
 *   errors     thread_create with a VMA as the process (WRONG_TYPE), a closed handle
 *              (BAD_HANDLE), an unaligned stack top or a kernel-address entry (INVALID)
 *   children   process_exit from the main thread while three threads run, spin or sleep ends
 *              the whole process with that status; the last thread's thread_exit ends it with 0,
 *              whether that is the main thread or another one
 * At the end every stack is unmapped, every handle closed, and the free frame count is back at
 * its baseline.
 */
#include <stdbool.h>

#include "qtest.h"

#define STACK_SIZE   (64u * 1024u)
#define PROT_RW      (QUIRE_VMA_READ | QUIRE_VMA_WRITE)
#define KERNEL_ENTRY 0xffffffff80000000ull

/* A thread's stack: a VMA mapped in this process. */
struct stack {
	quire_handle_t vma;
	uint64_t base;
};

/*
 * Counts the calling thread done in *DONE, then ends it. Nothing after the count touches memory
 * (the call to here pushed its return address before), so its stack may go as soon as *DONE
 * shows it.
 */
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

static uint64_t stack_new(struct stack *s)
{
	s->base = 0;
	CHECK_EQ(quire_vma_create_map(STACK_SIZE, &s->base, PROT_RW, &s->vma), 0);
	CHECK(s->base != 0 && s->base % 4096 == 0);
	return s->base + STACK_SIZE;
}

static void stack_free(struct stack *s)
{
	CHECK_EQ(quire_vma_unmap(s->vma, quire_self()), 0);
	CHECK_EQ(quire_handle_close(s->vma), 0);
}

/* Starts ENTRY(ARG) on a new stack *S; returns the thread's handle. */
static quire_handle_t start_thread(void (*entry)(void *), void *arg, struct stack *s)
{
	quire_handle_t t = QUIRE_HANDLE_INVALID;
	uint64_t top = stack_new(s);

	CHECK_EQ(quire_thread_create(quire_self(), (uint64_t)(uintptr_t)entry, top,
				     (uint64_t)(uintptr_t)arg, &t),
		 0);
	CHECK(t != QUIRE_HANDLE_INVALID);
	return t;
}

static void wait_count(volatile uint32_t *count, uint32_t n)
{
	while (*count < n)
		CHECK_EQ(quire_yield(), 0);
	CHECK_EQ(*count, n);
}

/* Closes each thread's handle and frees its stack; they have all finished. */
static void reap(quire_handle_t *threads, struct stack *stacks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		CHECK_EQ(quire_handle_close(threads[i]), 0);
		stack_free(&stacks[i]);
	}
}

/* counters */

#define COUNTER_THREADS 4
#define COUNTER_STEPS   200

static struct {
	uint64_t shared;
	uint64_t mine[COUNTER_THREADS];
	uint32_t interleaved[COUNTER_THREADS]; /* steps where another thread had run meanwhile */
	volatile uint32_t done;
} counters;

static _Noreturn void counter_thread(void *arg)
{
	uintptr_t id = (uintptr_t)arg;

	for (unsigned k = 0; k < COUNTER_STEPS; k++) {
		uint64_t before = __atomic_fetch_add(&counters.shared, 1, __ATOMIC_SEQ_CST);
		counters.mine[id]++;
		CHECK_EQ(quire_yield(), 0);
		if (__atomic_load_n(&counters.shared, __ATOMIC_SEQ_CST) != before + 1)
			counters.interleaved[id]++;
	}
	thread_finish(&counters.done);
}

static void test_counters(void)
{
	quire_handle_t threads[COUNTER_THREADS];
	struct stack stacks[COUNTER_THREADS];

	for (uintptr_t i = 0; i < COUNTER_THREADS; i++)
		threads[i] = start_thread(counter_thread, (void *)i, &stacks[i]);
	wait_count(&counters.done, COUNTER_THREADS);
	CHECK_EQ(counters.shared, (uint64_t)COUNTER_THREADS * COUNTER_STEPS);
	for (unsigned i = 0; i < COUNTER_THREADS; i++) {
		CHECK_EQ(counters.mine[i], COUNTER_STEPS);
		CHECK(counters.interleaved[i] > 0); /* yield let the others run */
	}
	reap(threads, stacks, COUNTER_THREADS);
}

/* fpu */

#define FPU_THREADS   3
#define FPU_MIN       200000u   /* iterations at least */
#define FPU_MAX       16000000u /* at most: every partial sum stays exact (below 2^50) */
#define FPU_SWITCHES  4u        /* times a thread wants to see the others' progress */
#define FPU_CHECK     4095u     /* look at the others every 4096 iterations */
#define MXCSR_RC      (3u << 13)
#define MXCSR_RC_ZERO (3u << 13) /* round toward zero */

struct fpu_job {
	volatile uint64_t progress; /* iterations done, published every FPU_CHECK + 1 */
	volatile uint32_t finished;
	uint32_t switches; /* checks at which another thread had progressed */
	uint64_t n;        /* iterations run */
	double sum;
	uint32_t mxcsr_rc; /* the rounding control at the end */
	uint64_t ticks;
};

static struct fpu_job fpu_jobs[FPU_THREADS];
static volatile uint32_t fpu_done;

static uint32_t mxcsr_read(void)
{
	uint32_t v;

	__asm__ volatile("stmxcsr %0" : "=m"(v));
	return v;
}

static void mxcsr_write(uint32_t v)
{
	__asm__ volatile("ldmxcsr %0" ::"m"(v));
}

/* Thread ID's step: (ID + 1) * 3/8, exact in binary. */
static double fpu_step(unsigned id)
{
	return (double)(3 * (id + 1)) / 8.0;
}

/* Whether another job progressed since SEEN; updates SEEN. Sets *ALL_FINISHED. */
static bool others_moved(unsigned id, uint64_t *seen, bool *all_finished)
{
	bool moved = false;

	*all_finished = true;
	for (unsigned j = 0; j < FPU_THREADS; j++) {
		if (j == id)
			continue;
		uint64_t p = fpu_jobs[j].progress;
		if (p != seen[j])
			moved = true;
		seen[j] = p;
		if (!fpu_jobs[j].finished)
			*all_finished = false;
	}
	return moved;
}

/*
 * Sums i * step for i = 0, 1, ... in a double, never yielding, until it has seen the others
 * progress FPU_SWITCHES times (each time the timer preempted it and another ran) or the others
 * have finished, and at least FPU_MIN iterations.
 */
static _Noreturn void fpu_thread(void *arg)
{
	struct fpu_job *job = arg;
	unsigned id = (unsigned)(job - fpu_jobs);
	uint64_t seen[FPU_THREADS] = {0};
	double step = fpu_step(id), sum = 0.0;
	uint64_t i, start = rdtsc();
	bool all_finished;

	if (id == 0)
		mxcsr_write((mxcsr_read() & ~MXCSR_RC) | MXCSR_RC_ZERO);
	for (i = 0; i < FPU_MAX;) {
		sum += (double)i * step;
		i++;
		if ((i & FPU_CHECK) != 0)
			continue;
		job->progress = i;
		if (others_moved(id, seen, &all_finished))
			job->switches++;
		if (i >= FPU_MIN && (job->switches >= FPU_SWITCHES || all_finished))
			break;
	}
	job->ticks = rdtsc() - start;
	job->n = i;
	job->sum = sum;
	job->mxcsr_rc = mxcsr_read() & MXCSR_RC;
	job->finished = 1;
	thread_finish(&fpu_done);
}

static void check_fpu_job(unsigned id)
{
	const struct fpu_job *job = &fpu_jobs[id];
	uint64_t n = job->n;
	/* 3 (id + 1) / 8 * n (n - 1) / 2, each factor exact in a double. */
	double expected = (double)(3 * (id + 1)) * (double)(n * (n - 1) / 2) / 8.0;
	char what[200];

	if (job->sum != expected) {
		snprintf(what, sizeof(what),
			 "fpu thread %u: sum of %llu terms %.17g, expected %.17g", id,
			 (unsigned long long)n, job->sum, expected);
		qtest_fail(__FILE__, __LINE__, what);
	}
	CHECK(n >= FPU_MIN && n < FPU_MAX);
	CHECK(job->switches >= 1); /* preempted mid-loop at least once */
	CHECK_EQ(job->mxcsr_rc, id == 0 ? MXCSR_RC_ZERO : 0);
}

static void test_fpu(void)
{
	quire_handle_t threads[FPU_THREADS];
	struct stack stacks[FPU_THREADS];
	uint32_t most = 0;

	for (unsigned i = 0; i < FPU_THREADS; i++)
		threads[i] = start_thread(fpu_thread, &fpu_jobs[i], &stacks[i]);
	wait_count(&fpu_done, FPU_THREADS);
	for (unsigned i = 0; i < FPU_THREADS; i++) {
		check_fpu_job(i);
		if (fpu_jobs[i].switches > most)
			most = fpu_jobs[i].switches;
	}
	CHECK(most >= FPU_SWITCHES);          /* the loops spanned several time slices */
	CHECK_EQ(mxcsr_read() & MXCSR_RC, 0); /* thread 0's rounding mode stayed its own */
	reap(threads, stacks, FPU_THREADS);
}

/* errors */

static void test_errors(void)
{
	struct stack s;
	uint64_t top = stack_new(&s);
	uint64_t entry = (uint64_t)(uintptr_t)counter_thread;
	quire_handle_t out = 0x5a5a5a5a, closed;

	CHECK_EQ(quire_thread_create(s.vma, entry, top, 0, &out), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_handle_clone(quire_self(), QUIRE_RIGHT_WRITE, &closed), 0);
	CHECK_EQ(quire_handle_close(closed), 0);
	CHECK_EQ(quire_thread_create(closed, entry, top, 0, &out), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_thread_create(QUIRE_HANDLE_INVALID, entry, top, 0, &out),
		 -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_thread_create(quire_self(), entry, top - 8, 0, &out), -QUIRE_ERR_INVALID);
	CHECK_EQ(quire_thread_create(quire_self(), entry, top - 1, 0, &out), -QUIRE_ERR_INVALID);
	CHECK_EQ(quire_thread_create(quire_self(), KERNEL_ENTRY, top, 0, &out), -QUIRE_ERR_INVALID);
	CHECK_EQ(quire_thread_create(quire_self(), entry, KERNEL_ENTRY, 0, &out),
		 -QUIRE_ERR_INVALID);
	CHECK_EQ(out, 0x5a5a5a5a); /* not written by a call that failed */
	stack_free(&s);
}

/* children: how a process with several threads ends */

#define EXIT_BUSY_STATUS 77
#define MARKER           0x600dcafeu

static volatile uint32_t child_started, child_done;
static volatile uint64_t child_spins;
static volatile uint32_t *child_marker;

static _Noreturn void spinner(void *arg)
{
	__atomic_fetch_add(&child_started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		child_spins++;
}

static _Noreturn void yielder(void *arg)
{
	__atomic_fetch_add(&child_started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		(void)quire_yield();
}

static _Noreturn void sleeper(void *arg)
{
	__atomic_fetch_add(&child_started, 1, __ATOMIC_SEQ_CST);
	(void)quire_sleep(10ull * 1000 * 1000 * 1000);
	quire_process_exit(3); /* woke up: the process_exit did not end this thread */
}

/* process_exit while three other threads run, spin or sleep. */
static _Noreturn void child_exit_busy(void)
{
	struct stack s[3];

	start_thread(spinner, NULL, &s[0]);
	start_thread(yielder, NULL, &s[1]);
	start_thread(sleeper, NULL, &s[2]);
	wait_count(&child_started, 3);
	quire_process_exit(EXIT_BUSY_STATUS);
}

static _Noreturn void worker(void *arg)
{
	for (int k = 0; k < 10; k++)
		(void)quire_yield();
	thread_finish(&child_done);
}

/* The main thread ends last, with thread_exit. */
static _Noreturn void child_main_last(void)
{
	struct stack s[2];

	start_thread(worker, NULL, &s[0]);
	start_thread(worker, NULL, &s[1]);
	wait_count(&child_done, 2);
	/* Between their count and their thread_exit they may have been preempted: let them end. */
	CHECK_EQ(quire_sleep(5ull * 1000 * 1000), 0);
	quire_thread_exit();
}

static _Noreturn void late_worker(void *arg)
{
	CHECK_EQ(quire_sleep(30ull * 1000 * 1000), 0);
	*child_marker = MARKER;
	quire_thread_exit();
}

/* The main thread ends first; the worker's thread_exit ends the process. */
static _Noreturn void child_worker_last(void)
{
	quire_handle_t area = quire_startup_handle(QUIRE_STARTUP_PASSED, 0);
	uint64_t addr = 0;
	struct stack s;

	CHECK(area != QUIRE_HANDLE_INVALID);
	CHECK_EQ(quire_vma_map(area, quire_self(), &addr, PROT_RW), 0);
	child_marker = (volatile uint32_t *)(uintptr_t)addr;
	start_thread(late_worker, NULL, &s);
	quire_thread_exit();
}

static int child(const char *mode)
{
	if (strcmp(mode, "exit_busy") == 0)
		child_exit_busy();
	if (strcmp(mode, "main_last") == 0)
		child_main_last();
	if (strcmp(mode, "worker_last") == 0)
		child_worker_last();
	return 2;
}

static void test_children(const char *self, uint64_t tsc_hz)
{
	const char *argv[2] = {NULL, "exit_busy"};
	uint64_t start = rdtsc();
	struct quire_exit_info info = qtest_wait(qtest_spawn_self(self, argv, 2, NULL, 0));
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, EXIT_BUSY_STATUS);
	CHECK((rdtsc() - start) / tsc_hz < 5); /* the sleeper did not hold it up */

	argv[1] = "main_last";
	info = qtest_wait(qtest_spawn_self(self, argv, 2, NULL, 0));
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, 0);

	/* The worker writes a marker into an area shared with the parent after main has gone. */
	uint64_t addr = 0;
	quire_handle_t area, passed;
	CHECK_EQ(quire_vma_create_map(4096, &addr, PROT_RW, &area), 0);
	CHECK_EQ(quire_handle_clone(area,
				    QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_MAP |
					QUIRE_RIGHT_TRANSFER,
				    &passed),
		 0);
	argv[1] = "worker_last";
	info = qtest_wait(qtest_spawn_self(self, argv, 2, &passed, 1));
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, 0);
	CHECK_EQ(*(volatile uint32_t *)(uintptr_t)addr, MARKER);
	CHECK_EQ(quire_vma_unmap(area, quire_self()), 0);
	CHECK_EQ(quire_handle_close(area), 0);
}

/*
 * Makes the pages this program will touch present before the baseline is taken: its static data
 * (zero-filled on first touch) and the main thread's stack below here.
 */
static __attribute__((noinline)) void touch_pages(void)
{
	volatile uint8_t below[16384];

	for (size_t i = 0; i < sizeof(below); i += 512)
		below[i] = 0;
	memset(&counters, 0, sizeof(counters));
	memset(fpu_jobs, 0, sizeof(fpu_jobs));
	fpu_done = 0;
	child_started = child_done = 0;
	child_spins = 0;
}

int main(int argc, char **argv)
{
	struct quire_system_info si;

	if (argc > 1)
		return child(argv[1]);
	touch_pages();
	CHECK_EQ(quire_system_info(&si, sizeof(si)), 0);
	CHECK(si.tsc_hz > 0);
	uint64_t frames = qtest_frames_free(), processes = qtest_processes();

	test_counters();
	test_fpu();
	test_errors();
	test_children(argv[0], si.tsc_hz);
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(qtest_frames_free(), frames);
	printf("threads: counters %llu, fpu sums exact over %llu/%llu/%llu iterations "
	       "(%u/%u/%u switches seen), errors and process ends right\n",
	       (unsigned long long)counters.shared, (unsigned long long)fpu_jobs[0].n,
	       (unsigned long long)fpu_jobs[1].n, (unsigned long long)fpu_jobs[2].n,
	       fpu_jobs[0].switches, fpu_jobs[1].switches, fpu_jobs[2].switches);
	return 0;
}
