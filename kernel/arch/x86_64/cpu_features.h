/*
 * What the CPU can do (CPUID), and the protections Quire turns on with it.
 *
 * Model: cpu_features() reads CPUID once and caches the answer; every CPU of a machine is assumed
 * to report the same features. cpu_protect_enable() turns the protections on for the CPU that
 * calls it: EFER.NXE (NX bits are honoured), CR0.WP (ring 0 obeys read-only pages), and, where
 * the CPU has them, CR4.SMEP (ring 0 never runs user pages) and CR4.SMAP (ring 0 never touches
 * user pages outside stac/clac). The boot CPU calls it early in kmain; SMP calls it on each CPU.
 */
#pragma once

#include <stdbool.h>

struct cpu_features {
	bool nx;      /* CPUID 0x80000001 EDX[20]: execute-disable */
	bool pdpe1gb; /* CPUID 0x80000001 EDX[26]: 1 GiB pages */
	bool pat;     /* CPUID 1 EDX[16] */
	bool pge;     /* CPUID 1 EDX[13]: global pages */
	bool smep;    /* CPUID 7.0 EBX[7] */
	bool smap;    /* CPUID 7.0 EBX[20] */
};

/* cpu_features - the CPU's features (read on the first call). Any context. */
const struct cpu_features *cpu_features(void);

/* Protections cpu_protect_enable() reports as on. */
enum cpu_protection {
	CPU_PROTECT_NX = 1u << 0,
	CPU_PROTECT_WP = 1u << 1,
	CPU_PROTECT_SMEP = 1u << 2,
	CPU_PROTECT_SMAP = 1u << 3,
};

/*
 * cpu_protect_enable - turns on NXE, WP, and SMEP/SMAP where present, on this CPU; returns the
 * CPU_PROTECT_* bits now on. Interrupts off; nothing may touch a user page after it without
 * stac/clac (there are none yet). Panics without NX (the loader already refuses such a CPU).
 */
unsigned cpu_protect_enable(void);
