/*
 * Thin wrappers over x86-64 instructions the C code needs: control registers, MSRs, CPUID, the
 * TSC, descriptor-table registers, TLB invalidation and stopping the CPU. One instruction each,
 * static inline, so the C that uses them reads like the manual.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define CPU_CR0_WP    (1ull << 16)
#define CPU_CR4_PGE   (1ull << 7)
#define CPU_CR4_SMEP  (1ull << 20)
#define CPU_CR4_SMAP  (1ull << 21)
#define CPU_EFER      0xc0000080u
#define CPU_EFER_NXE  (1ull << 11)
#define CPU_RFLAGS_IF (1ull << 9)
#define CPU_RFLAGS_AC (1ull << 18)

/* The operand of lgdt/lidt and the result of sgdt/sidt. */
struct cpu_table_register {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));
_Static_assert(sizeof(struct cpu_table_register) == 10, "descriptor table register layout");

static inline uint64_t cpu_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
			 : "a"(leaf), "c"(subleaf));
}

static inline uint64_t cpu_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

static inline uint64_t cpu_read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void cpu_write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline uint64_t cpu_read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t cpu_read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

/* Loading CR3 also flushes every non-global TLB entry. */
static inline void cpu_write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint64_t cpu_read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void cpu_write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* Writes back and invalidates every cache line of this CPU (slow: boot and PAT changes only). */
static inline void cpu_wbinvd(void)
{
	__asm__ volatile("wbinvd" : : : "memory");
}

static inline void cpu_invlpg(uint64_t vaddr)
{
	__asm__ volatile("invlpg (%0)" : : "r"(vaddr) : "memory");
}

static inline struct cpu_table_register cpu_sgdt(void)
{
	struct cpu_table_register r;

	__asm__ volatile("sgdt %0" : "=m"(r));
	return r;
}

static inline struct cpu_table_register cpu_sidt(void)
{
	struct cpu_table_register r;

	__asm__ volatile("sidt %0" : "=m"(r));
	return r;
}

static inline uint16_t cpu_str(void)
{
	uint16_t sel;

	__asm__ volatile("str %0" : "=r"(sel));
	return sel;
}

static inline uint16_t cpu_read_cs(void)
{
	uint16_t sel;

	__asm__ volatile("mov %%cs, %0" : "=r"(sel));
	return sel;
}

static inline uint16_t cpu_read_ss(void)
{
	uint16_t sel;

	__asm__ volatile("mov %%ss, %0" : "=r"(sel));
	return sel;
}

static inline bool cpu_interrupts_enabled(void)
{
	uint64_t flags;

	__asm__ volatile("pushfq\n\tpopq %0" : "=r"(flags));
	return (flags & CPU_RFLAGS_IF) != 0;
}

/* Stops this CPU for good: interrupts off, then halt (again, should an NMI wake it). */
static inline _Noreturn void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli\n\thlt");
}
