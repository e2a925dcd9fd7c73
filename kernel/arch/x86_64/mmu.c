/*
 * The live-table helpers of mmu.h: the two that change the loader's tables walk them here (they
 * must not touch frame reference counts, which the loader's tables do not have); translation is
 * pagetable_query().
 */
#include "kernel/arch/x86_64/mmu.h"

#include <stddef.h>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/panic.h"

#define LEVELS 4

static uint64_t *table_at(paddr_t pa)
{
	return phys_to_virt(pa & MMU_ADDRESS);
}

static uint64_t *pml4(void)
{
	return table_at(cpu_read_cr3());
}

/* The index of VA in the table of level LEVEL (3 = PML4 ... 0 = page table). */
static unsigned index_at(vaddr_t va, int level)
{
	return (unsigned)(va >> (12 + 9 * level)) & (MMU_ENTRIES - 1);
}

void mmu_drop_identity_map(void)
{
	uint64_t *top = pml4();

	kassert(!cpu_interrupts_enabled());
	for (unsigned slot = 0; slot < QUIRE_KERNEL_HALF_PML4_FIRST; slot++)
		top[slot] = 0;
	cpu_write_cr3(cpu_read_cr3());
}

uint64_t mmu_pml4_entry(unsigned slot)
{
	kassert(slot < MMU_ENTRIES);
	return pml4()[slot];
}

/* Finds the entry that maps VA (the leaf) and its level; NULL when VA is not mapped. */
static uint64_t *find_leaf(vaddr_t va, int *level_out, uint64_t *all_levels_and,
			   uint64_t *all_levels_or)
{
	uint64_t *table = pml4();

	*all_levels_and = ~0ull;
	*all_levels_or = 0;
	for (int level = LEVELS - 1; level >= 0; level--) {
		uint64_t *entry = &table[index_at(va, level)];
		if (!(*entry & MMU_PRESENT))
			return NULL;
		*all_levels_and &= *entry;
		*all_levels_or |= *entry;
		if (level == 0 || ((*entry & MMU_LARGE) && level <= 2)) {
			*level_out = level;
			return entry;
		}
		table = table_at(*entry);
	}
	return NULL;
}

struct pagetable mmu_live_pagetable(void)
{
	return (struct pagetable){.root = cpu_read_cr3() & MMU_ADDRESS};
}

kerr_t mmu_translate(vaddr_t va, struct mmu_translation *out)
{
	struct pagetable live = mmu_live_pagetable();
	struct pagetable_mapping m;

	TRY(pagetable_query(&live, va, &m));
	out->phys = m.pa;
	out->page_size = m.page_size;
	out->writable = (m.prot & PAGETABLE_WRITE) != 0;
	out->user = (m.prot & PAGETABLE_USER) != 0;
	out->executable = (m.prot & PAGETABLE_EXEC) != 0;
	return KERR_OK;
}

kerr_t mmu_unmap_page(vaddr_t va)
{
	uint64_t and_bits, or_bits;
	int level;
	uint64_t *leaf = find_leaf(va, &level, &and_bits, &or_bits);

	if (leaf == NULL)
		return KERR_NOT_FOUND;
	if (level != 0)
		return KERR_UNSUPPORTED;
	*leaf &= ~MMU_PRESENT;
	cpu_invlpg(va);
	return KERR_OK;
}
