/*
 * The few x86-64 instructions the loader needs that C cannot express: the TSC, port I/O for
 * COM1, and the control registers and MSRs of the hand-off. Each is a one-line inline asm.
 */
#pragma once

#include <stdint.h>

#define CPU_MSR_EFER           0xc0000080u
#define CPU_EFER_NXE           (1ull << 11)
#define CPU_CR0_WP             (1ull << 16)
#define CPU_CR4_LA57           (1ull << 12)
#define CPU_CPUID_EXT_MAX      0x80000000u
#define CPU_CPUID_EXT_FEATURES 0x80000001u
#define CPU_CPUID_EXT_NX       (1u << 20) /* CPUID 0x80000001 EDX: execute-disable */

/* The TSC, not reordered before earlier instructions (LFENCE waits for them to complete). */
static inline uint64_t cpu_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return (uint64_t)hi << 32 | lo;
}

static inline void cpu_outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" ::"a"(value), "Nd"(port));
}

static inline uint8_t cpu_inb(uint16_t port)
{
	uint8_t value;

	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static inline uint64_t cpu_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void cpu_wrmsr(uint32_t msr, uint64_t value)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

static inline uint64_t cpu_read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void cpu_write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory");
}

static inline uint64_t cpu_read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/* CPUID leaf `leaf`, subleaf 0: out = {EAX, EBX, ECX, EDX}. */
static inline void cpu_cpuid(uint32_t leaf, uint32_t out[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
			 : "a"(leaf), "c"(0));
}

static inline void cpu_cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}
