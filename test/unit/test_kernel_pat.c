/*
 * Host tests of kernel/memory/pat.c: the PTE bits of every cache policy, for 4 KiB pages (PAT is
 * bit 7) and for large pages (PAT is bit 12), written out by hand from the PAT layout Quire
 * programs (PA0 WB, PA1 WT, PA3 UC, PA4 WC); decoding gives the policy back; the MSR value keeps
 * the power-on entries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/memory/pagetable.h"
#include "kernel/memory/pat.h"

struct expected_bits {
	enum cache_policy policy;
	uint64_t small, large;
	unsigned pat_index;
};

static const struct expected_bits table[] = {
    {CACHE_WRITE_BACK, 0, 0, 0},
    {CACHE_WRITE_THROUGH, 0x8, 0x8, 1},
    {CACHE_UNCACHED, 0x18, 0x18, 3},
    {CACHE_WRITE_COMBINING, 0x80, 0x1000, 4},
};

static void test_every_policy_both_sizes(void **state)
{
	(void)state;
	assert_int_equal(sizeof(table) / sizeof(table[0]), CACHE_POLICY_COUNT);
	for (unsigned i = 0; i < CACHE_POLICY_COUNT; i++) {
		const struct expected_bits *e = &table[i];
		assert_int_equal(pat_pte_bits(e->policy, false), e->small);
		assert_int_equal(pat_pte_bits(e->policy, true), e->large);
	}
}

/* The index the bits select in the PAT must hold the policy's memory type. */
static void test_bits_select_the_right_pat_entry(void **state)
{
	static const uint8_t type_of[CACHE_POLICY_COUNT] = {
	    [CACHE_WRITE_BACK] = PAT_TYPE_WB,
	    [CACHE_WRITE_THROUGH] = PAT_TYPE_WT,
	    [CACHE_UNCACHED] = PAT_TYPE_UC,
	    [CACHE_WRITE_COMBINING] = PAT_TYPE_WC,
	};

	(void)state;
	for (unsigned p = 0; p < CACHE_POLICY_COUNT; p++) {
		for (int large = 0; large <= 1; large++) {
			uint64_t bits = pat_pte_bits((enum cache_policy)p, large);
			uint64_t pat_bit = large ? PTE_PAT_LARGE : PTE_PAT_4K;
			unsigned index = ((bits & PTE_PWT) ? 1 : 0) | ((bits & PTE_PCD) ? 2 : 0) |
					 ((bits & pat_bit) ? 4 : 0);
			assert_int_equal(index, table[p].pat_index);
			assert_int_equal((PAT_QUIRE_VALUE >> (8 * index)) & 0xff, type_of[p]);
			/* Only cache bits, and never PS for a small page's PAT by accident. */
			assert_int_equal(bits & ~(PTE_PWT | PTE_PCD | pat_bit), 0);
		}
	}
}

static void test_decode_round_trip(void **state)
{
	(void)state;
	for (unsigned p = 0; p < CACHE_POLICY_COUNT; p++) {
		uint64_t leaf = 0x1234000ull | PTE_PRESENT | PTE_WRITABLE | PTE_NX;
		assert_int_equal(pat_policy_from_pte(leaf | pat_pte_bits(p, false), false), p);
		/* A large leaf has PS (bit 7) set: it must not read as the PAT bit. */
		uint64_t large = 0x40000000ull | PTE_PRESENT | PTE_LARGE;
		assert_int_equal(pat_policy_from_pte(large | pat_pte_bits(p, true), true), p);
	}
	/* UC- (index 2), which Quire never writes, counts as uncached. */
	assert_int_equal(pat_policy_from_pte(PTE_PCD, false), CACHE_UNCACHED);
	assert_string_equal(pat_policy_name(CACHE_WRITE_COMBINING), "write-combining");
	assert_string_equal(pat_policy_name(CACHE_POLICY_COUNT), "?");
}

static void test_msr_value(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 8; i++) {
		uint64_t now = (PAT_QUIRE_VALUE >> (8 * i)) & 0xff;
		uint64_t power_on = (PAT_POWER_ON_VALUE >> (8 * i)) & 0xff;
		if (i == 4)
			assert_int_equal(now, PAT_TYPE_WC);
		else
			assert_int_equal(now, power_on);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_policy_both_sizes),
	    cmocka_unit_test(test_bits_select_the_right_pat_entry),
	    cmocka_unit_test(test_decode_round_trip),
	    cmocka_unit_test(test_msr_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
