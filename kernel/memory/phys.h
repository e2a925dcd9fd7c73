/*
 * Physical and virtual addresses, and the only sanctioned conversions between them.
 *
 * Model: all physical memory is mapped write-back at QUIRE_LINEAR_MAP_BASE (the boot protocol's
 * linear map), so the kernel reaches a physical address P at P + QUIRE_LINEAR_MAP_BASE. The two
 * address kinds have their own typedefs so that a signature says which one it takes, and code
 * converts only through these helpers, never by adding the offset by hand.
 */
#pragma once

#include <stdint.h>

#include <quire/boot.h>

typedef uint64_t paddr_t; /* a physical address */
typedef uint64_t vaddr_t; /* a virtual address */

#ifdef QUIRE_HOST_TEST
/*
 * Host unit tests simulate physical memory with one large host allocation: physical address PA
 * lives at phys_host_base + PA. The test sets phys_host_base before using kernel memory code.
 */
extern uintptr_t phys_host_base;
#define PHYS_LINEAR_BASE phys_host_base
#else
#define PHYS_LINEAR_BASE QUIRE_LINEAR_MAP_BASE
#endif

/* phys_to_virt - the linear-map address of physical address PA. PA must be below 64 TiB. */
static inline void *phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)(pa + PHYS_LINEAR_BASE);
}

/*
 * phys_from_linear - the physical address behind linear-map address VA. VA must lie in the
 * linear map (not in the kernel image, whose addresses are not linear-map addresses).
 */
static inline paddr_t phys_from_linear(const void *va)
{
	return (paddr_t)(uintptr_t)va - PHYS_LINEAR_BASE;
}
