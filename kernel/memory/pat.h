/*
 * Cache policy and the Page Attribute Table (PAT).
 *
 * Model: a page's memory type is chosen by three PTE bits, PWT, PCD and PAT, which index the
 * eight entries of the PAT MSR. Quire keeps the power-on PAT (WB, WT, UC-, UC, WB, WT, UC-, UC)
 * except entry 4, which becomes write-combining, so each policy has one fixed index:
 *   write-back      0  (no bits)        the linear map and all ordinary memory
 *   write-through   1  PWT
 *   uncached        3  PWT | PCD        strong UC, for MMIO registers
 *   write-combining 4  PAT              framebuffers
 * The PAT bit is bit 7 in a 4 KiB PTE but bit 12 in a 2 MiB or 1 GiB leaf (bit 7 is PS there),
 * which is why the encoding takes the page size. The encoding and decoding are pure and
 * host-tested; pat_init_cpu() programs the MSR and runs on every CPU as it starts.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* How the CPU may cache a page. Its own type: never pass a bare int where this is meant. */
enum cache_policy {
	CACHE_WRITE_BACK = 0,
	CACHE_WRITE_THROUGH,
	CACHE_UNCACHED,
	CACHE_WRITE_COMBINING,
	CACHE_POLICY_COUNT
};

/* The PAT MSR and the memory-type encodings of its entries (Intel SDM vol. 3, 11.12). */
#define PAT_MSR      0x277u
#define PAT_TYPE_UC  0x00u
#define PAT_TYPE_WC  0x01u
#define PAT_TYPE_WT  0x04u
#define PAT_TYPE_WP  0x05u
#define PAT_TYPE_WB  0x06u
#define PAT_TYPE_UCM 0x07u /* UC-: uncached, but an MTRR may turn it into WC */

/* The power-on PAT: WB, WT, UC-, UC in entries 0..3, repeated in 4..7. */
#define PAT_POWER_ON_VALUE 0x0007040600070406ull
/* Quire's PAT: the power-on value with entry 4 (bits 32..39) made write-combining. */
#define PAT_QUIRE_VALUE    0x0007040100070406ull
_Static_assert((PAT_POWER_ON_VALUE & ~(0xffull << 32)) == (PAT_QUIRE_VALUE & ~(0xffull << 32)),
	       "only PAT entry 4 differs from the power-on value");
_Static_assert(((PAT_QUIRE_VALUE >> 32) & 0xff) == PAT_TYPE_WC, "PAT entry 4 is WC");

/*
 * pat_pte_bits - the PWT/PCD/PAT bits that select POLICY in a leaf entry: a 4 KiB PTE when LARGE
 * is false (PAT = bit 7), a 2 MiB or 1 GiB leaf when true (PAT = bit 12). Pure; POLICY must be a
 * valid enumerator (asserted).
 */
uint64_t pat_pte_bits(enum cache_policy policy, bool large);

/*
 * pat_policy_from_pte - the policy a leaf entry PTE selects under Quire's PAT (LARGE as above).
 * UC- (an index Quire never writes) reads as CACHE_UNCACHED. Pure.
 */
enum cache_policy pat_policy_from_pte(uint64_t pte, bool large);

/* pat_policy_name - "write-back" and so on; "?" for an invalid value. Pure. */
const char *pat_policy_name(enum cache_policy policy);

/*
 * pat_init_cpu - programs this CPU's PAT MSR with PAT_QUIRE_VALUE and flushes its caches and TLB
 * so that no line or translation of the old type survives. Every CPU, as it starts, with
 * interrupts off, before any write-combining mapping exists. Returns the value the MSR held.
 */
uint64_t pat_init_cpu(void);

/* pat_read_cpu - this CPU's PAT MSR. */
uint64_t pat_read_cpu(void);
