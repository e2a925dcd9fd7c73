/*
 * CPUID features and the CPU protections; see cpu_features.h.
 */
#include "kernel/arch/x86_64/cpu_features.h"

#include <stdint.h>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/panic.h"

static struct cpu_features features;
static bool features_read;

static bool bit(uint32_t word, unsigned n)
{
	return (word >> n) & 1;
}

static void read_features(void)
{
	uint32_t r[4];

	cpu_cpuid(0, 0, r);
	uint32_t max_leaf = r[0];
	cpu_cpuid(1, 0, r);
	features.pat = bit(r[3], 16);
	features.pge = bit(r[3], 13);
	if (max_leaf >= 7) {
		cpu_cpuid(7, 0, r);
		features.smep = bit(r[1], 7);
		features.smap = bit(r[1], 20);
	}
	cpu_cpuid(0x80000000u, 0, r);
	if (r[0] >= 0x80000001u) {
		cpu_cpuid(0x80000001u, 0, r);
		features.nx = bit(r[3], 20);
		features.pdpe1gb = bit(r[3], 26);
	}
	features_read = true;
}

const struct cpu_features *cpu_features(void)
{
	if (!features_read)
		read_features();
	return &features;
}

unsigned cpu_protect_enable(void)
{
	const struct cpu_features *f = cpu_features();
	unsigned on = CPU_PROTECT_NX | CPU_PROTECT_WP;
	uint64_t cr4 = cpu_read_cr4();

	kassert(!cpu_interrupts_enabled());
	if (!f->nx)
		panic("the CPU has no NX bit");
	cpu_wrmsr(CPU_EFER, cpu_rdmsr(CPU_EFER) | CPU_EFER_NXE);
	cpu_write_cr0(cpu_read_cr0() | CPU_CR0_WP);
	if (f->smep) {
		cr4 |= CPU_CR4_SMEP;
		on |= CPU_PROTECT_SMEP;
	}
	if (f->smap) {
		cr4 |= CPU_CR4_SMAP;
		on |= CPU_PROTECT_SMAP;
	}
	cpu_write_cr4(cr4);
	return on;
}
