/*
 * Benchmarks of the VM core (issue 4's figures): first-touch faults, map+unmap, and both with
 * N other mappings in the space.
 */
#pragma once

#include "kernel/bench.h"

/* vm_bench_table - the benchmarks, in the order they run; *COUNT gets their number. */
const struct bench *vm_bench_table(unsigned *count);
