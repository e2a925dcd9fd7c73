/*
 * The benchmark runner; see bench.h. Figures are kept in tenths of a tick per operation so that
 * a cost below one tick per operation (nothing here, but the runner should not care) and the
 * subtraction of a baseline stay exact enough.
 */
#include "kernel/bench.h"

#include <stdbool.h>

#include "kernel/arch/x86_64/tsc.h"
#include "kernel/benches/memory_bench.h"
#include "kernel/benches/vm_bench.h"
#include "kernel/console.h"
#include "kernel/lib/log.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"

#define MAX_BENCHES 32u

static uint64_t samples[BENCH_ROUNDS];

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
	for (unsigned r = 0; r < BENCH_ROUNDS; r++) {
		uint64_t t0 = bench_now();
		samples[r] = bench_now() - t0;
	}
	return median(samples, BENCH_ROUNDS);
}

/* The median ticks of one batch of B, minus OVERHEAD, in tenths of a tick per operation. */
static uint64_t measure(const struct bench *b, uint64_t overhead)
{
	b->run(b->batch); /* warm-up */
	for (unsigned r = 0; r < BENCH_ROUNDS; r++)
		samples[r] = b->run(b->batch);
	uint64_t m = median(samples, BENCH_ROUNDS);
	m = m > overhead ? m - overhead : 0;
	return (m * 10 + b->batch / 2) / b->batch;
}

static void report(const char *name, uint64_t tenths)
{
	console_printf("BENCH %s %llu.%llu ticks\n", name, (unsigned long long)(tenths / 10),
		       (unsigned long long)(tenths % 10));
}

static const struct bench *find(const struct bench *t, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

/* Runs one table; a row with a baseline also reports its difference from that earlier row. */
static void run_table(const struct bench *t, unsigned n, uint64_t overhead)
{
	uint64_t result[MAX_BENCHES];

	kassert(n <= MAX_BENCHES);
	for (unsigned i = 0; i < n; i++) {
		result[i] = measure(&t[i], overhead);
		report(t[i].name, result[i]);
		if (t[i].baseline == NULL)
			continue;
		const struct bench *base = find(t, i, t[i].baseline);
		if (base == NULL) {
			log_warn("bench: %s: no earlier benchmark %s", t[i].name, t[i].baseline);
			continue;
		}
		uint64_t b = result[base - t];
		report(t[i].derived, result[i] > b ? result[i] - b : 0);
	}
}

/* Every table, in the order the rows appear in the report. */
static const struct bench *(*const tables[])(unsigned *count) = {
    memory_bench_table,
    vm_bench_table,
};

void bench_run_all(void)
{
	uint64_t start = bench_now();
	uint64_t overhead = empty_measurement();

	/* For tools/bench.sh's boot row, which leaves out the time spent here. */
	console_printf("BENCH-TSC kernel_entry %llu\n", (unsigned long long)tsc_entry());
	console_printf("BENCH-TSC kernel_bench_start %llu\n", (unsigned long long)start);
	log_info("bench: %u tables, %u rounds each, median; empty measurement %llu ticks",
		 (unsigned)ARRAY_SIZE(tables), BENCH_ROUNDS, (unsigned long long)overhead);
	console_printf("BENCH tsc_overhead %llu.0 ticks\n", (unsigned long long)overhead);
	for (unsigned k = 0; k < ARRAY_SIZE(tables); k++) {
		unsigned n;
		const struct bench *t = tables[k](&n);
		run_table(t, n, overhead);
	}
	console_printf("BENCH-DONE kernel\n");
	uint64_t end = bench_now(); /* the one line after this counts as boot time */
	console_printf("BENCH-TSC kernel_bench_end %llu\n", (unsigned long long)end);
}
