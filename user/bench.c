/*
 * bench: the user-space rows of `make bench` (docs/benchmarks.md, issue 8). tools/bench.sh boots
 * with `bench run=bench`: the kernel runs its in-kernel benchmarks, then init starts this program,
 * whose "BENCH <name> <value> ticks" lines reach the serial log through printf (the kernel tags
 * them "[bench ID] "). Under QEMU's -icount shift=0 one TSC tick is one guest instruction, so every
 * figure counts the instructions of everything the CPU ran in between, kernel included.
 *
 * Method, as kernel/bench.c's: a row runs BATCH operations between two TSC reads fenced by lfence
 * on both sides; it runs once to warm up, then ROUNDS times; the median round minus the median of
 * an empty measurement (two fenced reads back to back), divided by BATCH, is the figure per
 * operation, in tenths. What a round needs (areas to fault, populated areas to unmap) is made
 * before its first TSC read and dropped after its last.
 *
 * Rows (one operation each):
 *   null_syscall             `syscall` with number 0, which no call has: entry, dispatch
 *                            (UNSUPPORTED), the killed-thread check, sysret
 *   fault_write              first write to a page of a fresh FAULT_PAGES-page anonymous area
 *   fault_read               first read of such a page (maps the shared zero page)
 *   unmap_populated_per_page vma_unmap + handle_close of a FAULT_PAGES-page area whose pages were
 *                            all written (the close ends the area and frees its frames, which
 *                            Linux's munmap does), divided by FAULT_PAGES
 *   map_unmap_nN             vma_create_map(1 page, anywhere) + vma_unmap + handle_close, with N
 *                            other mappings in the process (three calls where Linux makes two:
 *                            mmap, munmap)
 *   map_write_unmap_nN       the same with one write to the page between map and unmap
 *   protect_nN               vma_protect of a 1-page mapping to read-only and back, per call,
 *                            the page written just before (one pair a round), so that there
 *                            is a PTE to write-protect
 *   protect_repeat_nN        the same pair repeated MAP_BATCH times without touching the page:
 *                            after the first pair there is no PTE (the return to read-write
 *                            drops it; the next write would fault it in again)
 * The N other mappings are 1-page read-write areas mapped at every other page from BG_BASE (each
 * its own region, a free page between neighbours, never touched), their handles closed at once:
 * a mapping holds its area, and a process has at most 32,768 handles. They are added in
 * increasing N in this one process, between the rows. The measured 1-page areas are placed
 * "anywhere", which is the lowest hole, below the program at 0x400000, for every N.
 *
 * For the boot rows (tools/bench.sh computes them): BENCH-TSC bench_main is the TSC read by the
 * first instruction of main() (crt0 and libc's start-up run before it), and spawn_to_main is what
 * it costs from a process_spawn() of this program to that point in the child: bench.sh takes it
 * off "kernel entry to this main" to estimate "kernel entry to init's first instruction".
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "quire/syscalls.h"
#include "quire/vma.h"
#include "quire_runtime.h"

#define ROUNDS      101u
#define PAGE        4096ull
#define FAULT_PAGES 64u          /* pages of the fault and unmap rows' area */
#define MAP_BATCH   16u          /* operations per round of the map rows */
#define BG_BASE     (1ull << 30) /* the N other mappings: every other page from 1 GiB */
#define RW          (QUIRE_VMA_READ | QUIRE_VMA_WRITE)
#define SPAWN_RUNS  11u             /* spawn_to_main: median of this many */
#define PROBE_ARG   "--spawn-probe" /* argv[1] of the child spawn_to_main starts */

static uint64_t samples[ROUNDS];
static uint64_t overhead; /* the empty measurement's median */

/* The TSC, with lfence before (earlier work is done) and after (later work waits). */
static inline uint64_t bench_now(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static void die(const char *what, long err)
{
	printf("bench: %s failed: %ld\n", what, err);
	quire_process_exit(1);
}

static inline void must(long err, const char *what)
{
	if (__builtin_expect(err != 0, 0))
		die(what, err);
}

/* System call 0, which does not exist: the shortest way in and out of the kernel. */
static inline long null_syscall(void)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(0L) : "rcx", "r11", "memory");
	return ret;
}

static uint64_t median(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t x = v[i];
		unsigned j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[n / 2];
}

static uint64_t empty_measurement(void)
{
	for (unsigned r = 0; r < ROUNDS; r++) {
		uint64_t t0 = bench_now();
		samples[r] = bench_now() - t0;
	}
	return median(samples, ROUNDS);
}

/* Runs RUN (BATCH operations a round) as the model says and prints its line. */
static void measure(const char *name, uint64_t (*run)(unsigned), unsigned batch)
{
	run(batch); /* warm-up */
	for (unsigned r = 0; r < ROUNDS; r++)
		samples[r] = run(batch);
	uint64_t m = median(samples, ROUNDS);
	m = m > overhead ? m - overhead : 0;
	uint64_t tenths = (m * 10 + batch / 2) / batch;
	printf("BENCH %s %llu.%llu ticks\n", name, (unsigned long long)(tenths / 10),
	       (unsigned long long)(tenths % 10));
}

static uint64_t run_null_syscall(unsigned batch)
{
	uint64_t t0 = bench_now();
	for (unsigned i = 0; i < batch; i++)
		(void)null_syscall();
	return bench_now() - t0;
}

/* A fresh RW area of PAGES pages mapped anywhere; its address into *AT. */
static quire_handle_t map_area(uint64_t pages, uint64_t *at)
{
	quire_handle_t h;

	*at = 0;
	must(quire_vma_create_map(pages * PAGE, at, RW, &h), "vma_create_map");
	return h;
}

static void drop_area(quire_handle_t h)
{
	must(quire_vma_unmap(h, quire_self()), "vma_unmap");
	must(quire_handle_close(h), "handle_close");
}

static uint64_t touch(unsigned pages, int write)
{
	uint64_t at;
	quire_handle_t h = map_area(pages, &at);

	uint64_t t0 = bench_now();
	for (unsigned i = 0; i < pages; i++) {
		volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)(at + i * PAGE);
		if (write)
			*p = 1;
		else
			(void)*p;
	}
	uint64_t t = bench_now() - t0;
	drop_area(h);
	return t;
}

static uint64_t run_fault_write(unsigned pages)
{
	return touch(pages, 1);
}

static uint64_t run_fault_read(unsigned pages)
{
	return touch(pages, 0);
}

static uint64_t run_unmap_populated(unsigned pages)
{
	uint64_t at;
	quire_handle_t h = map_area(pages, &at);

	for (unsigned i = 0; i < pages; i++)
		*(volatile uint8_t *)(uintptr_t)(at + i * PAGE) = 1;
	uint64_t t0 = bench_now();
	must(quire_vma_unmap(h, quire_self()), "vma_unmap");
	must(quire_handle_close(h), "handle_close");
	return bench_now() - t0;
}

static uint64_t map_unmap(unsigned batch, int write)
{
	quire_handle_t self = quire_self();

	uint64_t t0 = bench_now();
	for (unsigned i = 0; i < batch; i++) {
		uint64_t at = 0;
		quire_handle_t h;
		must(quire_vma_create_map(PAGE, &at, RW, &h), "vma_create_map");
		if (write)
			*(volatile uint8_t *)(uintptr_t)at = 1;
		must(quire_vma_unmap(h, self), "vma_unmap");
		must(quire_handle_close(h), "handle_close");
	}
	return bench_now() - t0;
}

static uint64_t run_map_unmap(unsigned batch)
{
	return map_unmap(batch, 0);
}

static uint64_t run_map_write_unmap(unsigned batch)
{
	return map_unmap(batch, 1);
}

/*
 * Two calls: read-only and back, on a 1-page mapping whose page was just written, so that the
 * read-only call has a present PTE to rewrite (as Linux's mprotect has). BATCH must be 2.
 */
static uint64_t run_protect(unsigned batch)
{
	quire_handle_t self = quire_self();
	uint64_t at;
	quire_handle_t h = map_area(1, &at);

	(void)batch;
	*(volatile uint8_t *)(uintptr_t)at = 1;
	uint64_t t0 = bench_now();
	must(quire_vma_protect(h, self, QUIRE_VMA_READ), "vma_protect");
	must(quire_vma_protect(h, self, RW), "vma_protect");
	uint64_t t = bench_now() - t0;
	drop_area(h);
	return t;
}

/*
 * BATCH calls, BATCH / 2 times read-only and back without touching the page: from the first
 * return to read-write on, the page has no PTE (Quire drops it rather than rewrite it, and the
 * next write faults it in), so the read-only calls find nothing to rewrite.
 */
static uint64_t run_protect_repeat(unsigned batch)
{
	quire_handle_t self = quire_self();
	uint64_t at;
	quire_handle_t h = map_area(1, &at);

	*(volatile uint8_t *)(uintptr_t)at = 1;
	uint64_t t0 = bench_now();
	for (unsigned i = 0; i < batch / 2; i++) {
		must(quire_vma_protect(h, self, QUIRE_VMA_READ), "vma_protect");
		must(quire_vma_protect(h, self, RW), "vma_protect");
	}
	uint64_t t = bench_now() - t0;
	drop_area(h);
	return t;
}

/* Adds 1-page mappings at every other page from BG_BASE until there are N. */
static void grow_background(unsigned n)
{
	static unsigned count;

	for (; count < n; count++) {
		uint64_t at = BG_BASE + 2ull * count * PAGE;
		quire_handle_t h;
		must(quire_vma_create_map(PAGE, &at, RW | QUIRE_VMA_EXACT, &h),
		     "vma_create_map (background)");
		must(quire_handle_close(h), "handle_close (background)");
	}
}

static void rows_at(unsigned n, int all)
{
	char name[48];
	uint64_t at;

	grow_background(n);
	drop_area(map_area(1, &at));
	printf("bench: N=%u: a 1-page area maps at 0x%llx\n", n, (unsigned long long)at);
	snprintf(name, sizeof(name), "map_unmap_n%u", n);
	measure(name, run_map_unmap, MAP_BATCH);
	if (!all)
		return;
	snprintf(name, sizeof(name), "map_write_unmap_n%u", n);
	measure(name, run_map_write_unmap, MAP_BATCH);
	snprintf(name, sizeof(name), "protect_n%u", n);
	measure(name, run_protect, 2);
	snprintf(name, sizeof(name), "protect_repeat_n%u", n);
	measure(name, run_protect_repeat, 2 * MAP_BATCH);
}

/* Ticks from a process_spawn() of this program to the first instruction of the child's main. */
static void spawn_to_main(const char *path)
{
	const char *argv[] = {path, PROBE_ARG};
	static uint64_t runs[SPAWN_RUNS];

	for (unsigned r = 0; r < SPAWN_RUNS; r++) {
		struct quire_exit_info info;
		quire_handle_t kid;
		uint64_t t0 = bench_now();
		must(quire_process_spawn(path, argv, 2, NULL, 0, &kid), "process_spawn");
		must(quire_process_wait(kid, &info), "process_wait");
		must(quire_handle_close(kid), "handle_close");
		if (info.reason != QUIRE_EXIT_NORMAL)
			die("the spawn probe", (long)info.reason);
		runs[r] = (uint64_t)info.status - t0;
	}
	printf("BENCH spawn_to_main %llu.0 ticks\n", (unsigned long long)median(runs, SPAWN_RUNS));
}

int main(int argc, char **argv)
{
	uint64_t start = bench_now(); /* first: the boot row's end */

	if (argc > 1 && strcmp(argv[1], PROBE_ARG) == 0)
		quire_process_exit((int64_t)start); /* spawn_to_main's child */
	printf("BENCH-TSC bench_main %llu\n", (unsigned long long)start);
	if (null_syscall() != -QUIRE_ERR_UNSUPPORTED)
		die("system call 0", null_syscall());
	overhead = empty_measurement();
	printf("bench: %u rounds each, median; empty measurement %llu ticks\n", ROUNDS,
	       (unsigned long long)overhead);
	printf("BENCH user_tsc_overhead %llu.0 ticks\n", (unsigned long long)overhead);
	measure("null_syscall", run_null_syscall, 64);
	measure("fault_write", run_fault_write, FAULT_PAGES);
	measure("fault_read", run_fault_read, FAULT_PAGES);
	measure("unmap_populated_per_page", run_unmap_populated, FAULT_PAGES);
	rows_at(0, 1);
	rows_at(100, 0);
	rows_at(1000, 0);
	rows_at(10000, 0);
	rows_at(60000, 1);
	spawn_to_main(argc > 0 ? argv[0] : "bin/bench");
	printf("BENCH-DONE user\n");
	return 0;
}
