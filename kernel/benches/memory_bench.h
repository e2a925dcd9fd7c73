/*
 * Benchmarks of the memory allocators and of page zeroing (issue 3's figures).
 */
#pragma once

#include "kernel/bench.h"

/* memory_bench_table - the benchmarks, in the order they run; *COUNT gets their number. */
const struct bench *memory_bench_table(unsigned *count);
