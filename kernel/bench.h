/*
 * In-kernel benchmarks, run after the boot summary when the command line says `bench`; init and
 * its programs run afterwards as in any boot (tools/bench.sh adds run=bench, the user-space rows:
 * user/bench.c), and kmain ends QEMU once init has ended.
 *
 * Model: a benchmark is a function that performs BATCH repetitions of one operation between two
 * fenced TSC reads and returns the ticks between them. The runner calls it for BENCH_ROUNDS
 * rounds (after one warm-up round, so caches and the pmm's per-CPU cache are hot), takes the
 * median, subtracts the cost of an empty measurement (two fenced reads back to back), divides
 * by BATCH and prints one line per benchmark on the console:
 *     BENCH <name> <ticks per operation, one decimal> ticks
 * then "BENCH-DONE kernel", and returns. For the boot rows it also prints the TSC at the kernel's
 * entry and at its own start and end ("BENCH-TSC kernel_entry|kernel_bench_start|kernel_bench_end
 * <tsc>"), so that tools/bench.sh can leave the benchmarks' time out of "kernel entry to init".
 * Under `-icount shift=0` (tools/bench.sh) a guest TSC tick is one guest instruction, so the
 * figures are instruction counts and deterministic.
 * A benchmark may name a baseline: its figure is then also printed minus the baseline's, under a
 * derived name (e.g. the cost of zeroing inside an allocation).
 */
#pragma once

#include <stdint.h>

#define BENCH_ROUNDS 101u

struct bench {
	const char *name;
	uint64_t (*run)(unsigned batch); /* ticks for BATCH operations, from bench_now() pairs */
	unsigned batch;
	const char *baseline; /* NULL, or the name of an earlier bench to subtract ... */
	const char *derived;  /* ... printed as this name */
};

/* bench_now - the TSC, with lfence before (earlier work is done) and after (later work waits). */
static inline uint64_t bench_now(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/*
 * bench_run_all - runs every benchmark and prints the BENCH lines. From kmain on the boot CPU,
 * before init starts; no locks held; allocates. What the VM rows built (spaces with up to 60,000
 * mappings, kernel/benches/vm_bench.c) is kept, so a bench boot has less memory for user space.
 */
void bench_run_all(void);
