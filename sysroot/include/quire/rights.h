/*
 * Handle rights: what the holder of a handle may do with the object it names.
 *
 * Model: every handle carries a set of these bits next to its object (kernel/objects/handle.h).
 * A system call names the rights it needs; a handle lacking one gets "access denied", but only
 * after its object type was found right (a handle of the wrong type is "wrong type" whatever its
 * rights). Rights never grow: cloning a handle asks for a subset of the source's rights, and
 * asking for one more is "access denied", never silently reduced; a bit outside
 * QUIRE_RIGHTS_VALID is "invalid". This header is ABI: the values never change, new rights take
 * new bits.
 *
 * READ, WRITE and EXECUTE have the values of the map protection bits (VM_PROT_* in the kernel),
 * so the rights a handle gives a mapping convert without a table.
 */
#pragma once

#include <stdint.h>

typedef uint32_t quire_rights_t;

#define QUIRE_RIGHT_NONE      0u
#define QUIRE_RIGHT_READ      (1u << 0) /* map readable; read the object's state */
#define QUIRE_RIGHT_WRITE     (1u << 1) /* map writable; change the object's state (resize) */
#define QUIRE_RIGHT_EXECUTE   (1u << 2) /* map executable */
#define QUIRE_RIGHT_MAP       (1u << 3) /* map the area into an address space at all */
#define QUIRE_RIGHT_DUPLICATE (1u << 4) /* clone the handle (with the same or fewer rights) */
#define QUIRE_RIGHT_TRANSFER  (1u << 5) /* pass the handle to another process (IPC, spawn) */

#define QUIRE_RIGHTS_VALID                                                                         \
	(QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_EXECUTE | QUIRE_RIGHT_MAP |            \
	 QUIRE_RIGHT_DUPLICATE | QUIRE_RIGHT_TRANSFER)

/* Every right a new area's first handle gets. */
#define QUIRE_RIGHTS_ALL QUIRE_RIGHTS_VALID

_Static_assert(sizeof(quire_rights_t) == 4, "rights are a 32-bit word");
/* The sum equals the union only when no two rights share a bit. */
_Static_assert(QUIRE_RIGHT_READ + QUIRE_RIGHT_WRITE + QUIRE_RIGHT_EXECUTE + QUIRE_RIGHT_MAP +
		       QUIRE_RIGHT_DUPLICATE + QUIRE_RIGHT_TRANSFER ==
		   QUIRE_RIGHTS_VALID,
	       "rights are distinct bits");
_Static_assert(QUIRE_RIGHTS_VALID == 0x3fu, "rights are the low bits, none skipped");
_Static_assert(QUIRE_RIGHT_READ == 1u && QUIRE_RIGHT_WRITE == 2u && QUIRE_RIGHT_EXECUTE == 4u,
	       "READ/WRITE/EXECUTE are the map protection bits");
