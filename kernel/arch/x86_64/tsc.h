/*
 * The time-stamp counter as the kernel's clock: log timestamps and phase times.
 *
 * Model: the kernel's entry stamp (the first instruction of kernel_entry) is time zero. The TSC
 * frequency is taken from CPUID leaf 0x15 when the CPU states it exactly (crystal frequency and
 * ratio); otherwise measured against the PIT's channel 2 over about 20 ms, with an error bound
 * that is checked (tsc.c says how); CPUID leaf 0x16's nominal base frequency is the last resort. Until calibration, times
 * are unknown and converters return 0. Assumes an invariant TSC, as every x86-64 CPU since about
 * 2008 and QEMU provide; the boot CPU's TSC is the reference.
 */
#pragma once

#include <stdint.h>

#include "kernel/lib/kerr.h"

enum tsc_source {
	TSC_SOURCE_NONE = 0,
	TSC_SOURCE_CPUID_15H, /* crystal clock and TSC/crystal ratio from CPUID */
	TSC_SOURCE_PIT,       /* measured against the 8254 PIT */
	TSC_SOURCE_CPUID_16H, /* the processor's nominal base frequency */
};

/* tsc_init - records ENTRY_TSC, the kernel's first stamp, as time zero. Call once, first. */
void tsc_init(uint64_t entry_tsc);

/*
 * tsc_calibrate - determines the TSC frequency as the model above says. Takes about 20 ms when
 * the PIT is used (up to 100 ms on a machine that keeps preempting the CPU). Errors: KERR_UNSUPPORTED when no method gives a plausible frequency (tsc_hz()
 * then stays 0). Interrupts must be off (they are, until the kernel enables them).
 */
kerr_t tsc_calibrate(void);

/* tsc_hz - the calibrated frequency in Hz; 0 before calibration or when it failed. */
uint64_t tsc_hz(void);

/* tsc_error_ppm - the error bound of a PIT measurement in parts per million; 0 otherwise. */
uint64_t tsc_error_ppm(void);

/* tsc_source - how tsc_hz() was determined. */
enum tsc_source tsc_source(void);

/* tsc_source_name - "CPUID 0x15", "PIT", "CPUID 0x16" or "none". */
const char *tsc_source_name(enum tsc_source source);

/* tsc_entry - the TSC value at the kernel's first instruction. */
uint64_t tsc_entry(void);

/* tsc_ticks_to_us - TICKS converted to microseconds, without overflow; 0 before calibration. */
uint64_t tsc_ticks_to_us(uint64_t ticks);

/* tsc_uptime_us - microseconds since the kernel's first instruction; 0 before calibration. */
uint64_t tsc_uptime_us(void);
