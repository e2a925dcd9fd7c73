/*
 * Cache policy <-> PTE bits, and programming the PAT MSR. See pat.h for the layout Quire uses.
 */
#include "kernel/memory/pat.h"

#include "kernel/memory/pagetable.h"
#include "kernel/panic.h"

#ifndef QUIRE_HOST_TEST
#include "kernel/arch/x86_64/cpu.h"
#endif

/* The PAT index of each policy under PAT_QUIRE_VALUE. */
static const uint8_t policy_index[CACHE_POLICY_COUNT] = {
    [CACHE_WRITE_BACK] = 0,
    [CACHE_WRITE_THROUGH] = 1,
    [CACHE_UNCACHED] = 3,
    [CACHE_WRITE_COMBINING] = 4,
};

/* What each PAT index means under PAT_QUIRE_VALUE (UC- counts as uncached). */
static const enum cache_policy index_policy[8] = {
    CACHE_WRITE_BACK,      CACHE_WRITE_THROUGH, CACHE_UNCACHED, CACHE_UNCACHED,
    CACHE_WRITE_COMBINING, CACHE_WRITE_THROUGH, CACHE_UNCACHED, CACHE_UNCACHED,
};

static uint64_t pat_bit(bool large)
{
	return large ? PTE_PAT_LARGE : PTE_PAT_4K;
}

uint64_t pat_pte_bits(enum cache_policy policy, bool large)
{
	kassert((unsigned)policy < CACHE_POLICY_COUNT);
	unsigned index = policy_index[policy];
	uint64_t bits = 0;

	if (index & 1)
		bits |= PTE_PWT;
	if (index & 2)
		bits |= PTE_PCD;
	if (index & 4)
		bits |= pat_bit(large);
	return bits;
}

enum cache_policy pat_policy_from_pte(uint64_t pte, bool large)
{
	unsigned index = ((pte & PTE_PWT) ? 1u : 0u) | ((pte & PTE_PCD) ? 2u : 0u) |
			 ((pte & pat_bit(large)) ? 4u : 0u);

	return index_policy[index];
}

const char *pat_policy_name(enum cache_policy policy)
{
	static const char *const names[CACHE_POLICY_COUNT] = {
	    [CACHE_WRITE_BACK] = "write-back",
	    [CACHE_WRITE_THROUGH] = "write-through",
	    [CACHE_UNCACHED] = "uncached",
	    [CACHE_WRITE_COMBINING] = "write-combining",
	};

	return (unsigned)policy < CACHE_POLICY_COUNT ? names[policy] : "?";
}

#ifndef QUIRE_HOST_TEST
uint64_t pat_read_cpu(void)
{
	return cpu_rdmsr(PAT_MSR);
}

uint64_t pat_init_cpu(void)
{
	uint64_t old = cpu_rdmsr(PAT_MSR);

	kassert(!cpu_interrupts_enabled());
	/* Nothing maps PAT entry 4 yet, so no cache line can have the old type; the flushes make
	 * sure of it anyway (SDM 11.12.4 asks for them around a PAT change). */
	cpu_wbinvd();
	cpu_wrmsr(PAT_MSR, PAT_QUIRE_VALUE);
	cpu_wbinvd();
	cpu_write_cr3(cpu_read_cr3());
	return old;
}
#endif
