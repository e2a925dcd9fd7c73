/*
 * VMA flags (ABI): the bit values the vma_* system calls of quire/syscalls.h take. Handle rights
 * are in quire/rights.h.
 *
 * Each call accepts only the bits of its mask below; any other bit set is
 * QUIRE_ERR_INVALID, so a bit can be given a meaning later without old programs silently passing
 * it today. The protection bits have the kernel's VM_PROT_* values (kernel/memory/vm_area.h).
 */
#pragma once

#include <stdint.h>

#include "quire/rights.h"

#define QUIRE_VMA_READ          0x01u /* readable (VM_PROT_READ) */
#define QUIRE_VMA_WRITE         0x02u /* writable (VM_PROT_WRITE) */
#define QUIRE_VMA_EXECUTE       0x04u /* executable (VM_PROT_EXEC) */
#define QUIRE_VMA_EXACT         0x10u /* map at *addr exactly (page aligned) instead of anywhere */
#define QUIRE_VMA_WRITE_COMBINE 0x20u /* write-combining: fixed areas only (the framebuffer) */
#define QUIRE_VMA_GUARD         0x40u /* vma_create(_map): the lowest page is a guard page */

#define QUIRE_VMA_PROT_MASK       (QUIRE_VMA_READ | QUIRE_VMA_WRITE | QUIRE_VMA_EXECUTE)
/*
 * vma_create(): the most a mapping may ever have (READ must be among them: INVALID otherwise),
 * and GUARD; WRITE_COMBINE is refused (INVALID).
 *
 * GUARD makes a stack for a thread: the area's lowest page is a guard page that no mapping can
 * reach (a touch kills the process with QUIRE_EXIT_FAULT_GUARD, as the main thread's stack
 * overflow does), the other pages are ordinary zero-filled memory. The area needs at least two
 * pages (INVALID otherwise) and cannot be resized (vma_resize says UNSUPPORTED).
 */
#define QUIRE_VMA_CREATE_MASK     (QUIRE_VMA_PROT_MASK | QUIRE_VMA_GUARD)
/* vma_create_map(): the protection (with READ), where it goes, and GUARD. */
#define QUIRE_VMA_CREATE_MAP_MASK (QUIRE_VMA_PROT_MASK | QUIRE_VMA_EXACT | QUIRE_VMA_GUARD)
/*
 * vma_map(): the mapping's protection and where it goes. A protection is 0 (a mapping nothing
 * can touch) or READ with WRITE and/or EXECUTE: WRITE or EXECUTE without READ is INVALID (x86
 * pages are always readable).
 */
#define QUIRE_VMA_MAP_MASK        (QUIRE_VMA_PROT_MASK | QUIRE_VMA_EXACT)
/* vma_protect(): only the protection. */
#define QUIRE_VMA_PROTECT_MASK    QUIRE_VMA_PROT_MASK

_Static_assert(QUIRE_VMA_READ == 1 && QUIRE_VMA_WRITE == 2 && QUIRE_VMA_EXECUTE == 4,
	       "VMA protection bits are ABI and equal to the kernel's VM_PROT_*");
_Static_assert(QUIRE_RIGHT_READ == QUIRE_VMA_READ && QUIRE_RIGHT_WRITE == QUIRE_VMA_WRITE &&
		   QUIRE_RIGHT_EXECUTE == QUIRE_VMA_EXECUTE,
	       "a mapping's protection bits are the rights it needs");
