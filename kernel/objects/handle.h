/*
 * Handles: a process's names for kernel objects, each with the rights it grants.
 *
 * Model: a handle table maps 32-bit handle values to {object, rights}. A slot holds one kobject
 * reference for as long as the handle is open, so an object lives at least as long as a handle
 * names it. Installing takes a reference of the table's own; closing drops it; destroying the
 * table (the process ends) drops every one, so an area with no handle and no mapping is freed
 * then. A lookup checks, in this order and each with its own error: that the handle is open
 * (KERR_BAD_HANDLE), that the object has the type asked for (KERR_WRONG_TYPE, even when rights
 * are missing too), that the handle carries every right asked for (KERR_ACCESS_DENIED); it hands
 * out a reference of its own, which the caller puts when done, so the handle may be closed
 * meanwhile without the object going away under the caller. Cloning gives a second handle to the
 * same object with a subset of the rights (quire/rights.h): rights only ever shrink.
 *
 * Handle values: bits 0..14 are the slot index, bits 15..31 the slot's generation, which starts
 * at 1, skips 0 on wrapping, and goes up each time the slot is freed. So 0 is never a handle
 * (HANDLE_INVALID), and a closed handle's value stays stale when its slot is reused: it fails
 * with KERR_BAD_HANDLE until that slot has been reused 131,071 times. Freed slots are reused
 * oldest first (a FIFO), which spreads reuse over every free slot instead of recycling one value.
 *
 * Growth and limit: slots live in chunks of HANDLE_TABLE_CHUNK (128 slots, 2 KiB: one kheap slab
 * object), reached through a directory of chunk pointers that doubles when full (at most 256
 * pointers, 2 KiB too). An empty table holds no memory; the first install allocates a directory
 * and one chunk, and each growth adds one chunk, so slots never move and growing never copies
 * them, only the directory's pointers. A table holds at most HANDLE_TABLE_MAX (32,768) handles;
 * an install into a full table fails with KERR_NO_MEMORY (the process's handle memory is
 * exhausted). The chunk (and the bigger directory, when one is due) is allocated before the
 * table lock is taken; then the lock is taken, the capacity re-checked (another CPU may have
 * grown it: what was allocated is freed unused), the chunk linked in and the directories
 * swapped, and the old directory is freed after unlocking. A failed allocation leaves the table
 * as it was.
 *
 * Locking: lock (LOCK_RANK_HANDLE_TABLE, spinlock.h says why it ranks below every object lock)
 * guards every field. It is held only to read or change slots and to take a reference
 * (kobject_get() is an atomic add): never to allocate, free or drop a reference, since the last
 * kobject_put() runs a release that needs no spinlock held. So lookup, the hot path of every
 * system call, is short: lock, check three things, one atomic add, unlock. No interrupt handler
 * uses a handle table, so it is not an irqsave lock.
 */
#pragma once

#include <stdint.h>

#include <quire/rights.h>

#include "kernel/lib/kerr.h"
#include "kernel/lib/spinlock.h"
#include "kernel/objects/kobject.h"

typedef uint32_t handle_t;

#define HANDLE_INVALID     0u     /* never a handle: user space's "no handle" */
#define HANDLE_INDEX_BITS  15u    /* slot index in bits 0..14, generation in 15..31 */
#define HANDLE_TABLE_CHUNK 128u   /* slots per chunk (2 KiB), the unit of growth */
#define HANDLE_TABLE_MAX   32768u /* slots at most: 1 << HANDLE_INDEX_BITS */

struct handle_slot;

/* Legend: [L] guarded by lock. */
struct handle_table {
	struct spinlock lock;
	struct handle_slot **chunks; /* [L] directory: capacity / CHUNK chunks; NULL when empty */
	uint32_t capacity;           /* [L] slots: a multiple of HANDLE_TABLE_CHUNK, <= MAX */
	uint32_t count;              /* [L] open handles */
	uint32_t free_head;          /* [L] oldest free slot; HANDLE_TABLE_MAX when none */
	uint32_t free_tail;          /* [L] newest free slot */
};

/* handle_table_init - an empty TABLE. Allocates nothing; any context. */
void handle_table_init(struct handle_table *table);

/*
 * handle_table_destroy - closes every handle of TABLE, dropping each object's reference (an
 * object whose last reference this was is released now), and frees the chunks; TABLE is
 * empty afterwards and may be used again. Nobody else may use TABLE meanwhile (the process has
 * no thread left). No spinlock held; never allocates.
 */
void handle_table_destroy(struct handle_table *table);

/*
 * handle_install - a new handle *OUT in TABLE for OBJ with RIGHTS (within QUIRE_RIGHTS_VALID,
 * asserted: the kernel chooses them). The table takes a reference of its own; the caller keeps
 * its one. No spinlock held; may allocate (growth), never sleeps. Errors: KERR_NO_MEMORY (the
 * table could not grow, or the table holds HANDLE_TABLE_MAX handles); TABLE and OBJ's count
 * are unchanged then.
 */
kerr_t handle_install(struct handle_table *table, struct kobject *obj, quire_rights_t rights,
		      handle_t *out);

/*
 * handle_lookup - the object H names in TABLE, as a new reference in *OUT that the caller
 * kobject_put()s. TYPE is the enum kobject_type wanted, or KOBJECT_NONE for any; REQUIRED the
 * rights H must carry (within QUIRE_RIGHTS_VALID, asserted). Takes only the table lock (a caller
 * may hold locks of a lower rank); never allocates or sleeps. Errors, checked in this order:
 * KERR_BAD_HANDLE (H is 0, closed or never was), KERR_WRONG_TYPE, KERR_ACCESS_DENIED.
 */
kerr_t handle_lookup(struct handle_table *table, handle_t h, uint32_t type, quire_rights_t required,
		     struct kobject **out);

/*
 * handle_lookup_rights - handle_lookup() that also gives H's rights in *RIGHTS (vma_protect can
 * only lower what the handle allows). As handle_lookup().
 */
kerr_t handle_lookup_rights(struct handle_table *table, handle_t h, uint32_t type,
			    quire_rights_t required, struct kobject **out, quire_rights_t *rights);

/*
 * handle_close - closes H in TABLE and drops its reference (which may release the object). No
 * spinlock held; never allocates. Errors: KERR_BAD_HANDLE.
 */
kerr_t handle_close(struct handle_table *table, handle_t h);

/*
 * handle_clone - a second handle *OUT in TABLE to H's object with RIGHTS, which must be a subset
 * of H's rights. As handle_install() for context. Errors, in this order: KERR_INVALID (RIGHTS has
 * a bit outside QUIRE_RIGHTS_VALID), KERR_BAD_HANDLE, KERR_ACCESS_DENIED (H lacks
 * QUIRE_RIGHT_DUPLICATE, or RIGHTS asks for a right H does not have: never silently reduced),
 * KERR_NO_MEMORY (as handle_install()). On an error TABLE is unchanged.
 */
kerr_t handle_clone(struct handle_table *table, handle_t h, quire_rights_t rights, handle_t *out);

/* handle_table_count - the open handles of TABLE (tests, system_info). Takes the table lock. */
uint32_t handle_table_count(struct handle_table *table);

/* handle_table_capacity - the slots TABLE has room for now (tests). Takes the table lock. */
uint32_t handle_table_capacity(struct handle_table *table);
