/*
 * Spinlocks with ranks.
 *
 * Model: a spinlock is a test-and-test-and-set word. Each lock has a rank from enum lock_rank,
 * which lists the locks in the only order a CPU may take them: a CPU holding a lock of rank R may
 * only take locks of rank > R. Debug builds (QUIRE_DEBUG) keep, per CPU, the ranks held and panic
 * on an inversion or a recursive acquisition, naming both locks; they also count the locks held so
 * that allocation functions can assert that none is (alloc_check.h).
 *
 * The _irqsave variants also disable interrupts and restore them on unlock: use them for locks an
 * interrupt handler can take. Until SMP arrives there is one CPU, but the code is written for many.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Acquisition order: lower ranks first. Add new locks in their place, with a comment. */
enum lock_rank {
	LOCK_RANK_NONE = 0,   /* not a lock: the bottom of a CPU's rank stack */
	LOCK_RANK_TEST_OUTER, /* built-in tests of the rank checker */
	LOCK_RANK_TEST_INNER,
	/*
	 * a process's handle table (kernel/objects/handle.h). Outermost of the object locks: a
	 * handle names an object, so an operation may go from the table to the object (take an
	 * object's lock while still holding the table, to read the object with the handle) but
	 * never back, since no object knows the tables that name it and its release runs with no
	 * spinlock held. Today the table lock covers only the slot array and kobject_get(), and it
	 * is dropped before the caller locks the object or a space (a space's lock is a blocking
	 * lock, never taken under a spinlock). Two tables are never held at once (same rank).
	 */
	LOCK_RANK_HANDLE_TABLE,
	LOCK_RANK_VM_AREA, /* a vm_area's pages and mapping list; taken under a space's lock */
	LOCK_RANK_PAGE_TREE_CACHE, /* page-tree node cache: freed into under a vm_area's lock */
	LOCK_RANK_KHEAP,           /* kheap size classes; released before the heap calls the pmm */
	LOCK_RANK_PMM,             /* buddy free lists */
	LOCK_RANK_CONSOLE,         /* the console: any code may log while holding any other lock */
	LOCK_RANK_COUNT
};

struct spinlock {
	volatile uint32_t locked; /* 0 free, 1 held */
	uint8_t rank;             /* enum lock_rank */
	const char *name;         /* for rank-violation reports */
	int32_t owner_cpu;        /* debug: the holder's CPU, -1 when free */
};

#define SPINLOCK_INIT(lock_name, lock_rank)                                                        \
	{                                                                                          \
		.locked = 0, .rank = (lock_rank), .name = (lock_name), .owner_cpu = -1             \
	}

/* spin_init - a free lock called NAME of RANK. */
void spin_init(struct spinlock *lock, const char *name, enum lock_rank rank);

/* spin_lock - spins until LOCK is this CPU's. Debug: panics on a rank inversion or recursion. */
void spin_lock(struct spinlock *lock);

/* spin_unlock - releases LOCK, which this CPU holds (debug: asserted). */
void spin_unlock(struct spinlock *lock);

/* spin_lock_irqsave - disables interrupts, then spin_lock(); returns the RFLAGS to restore. */
uint64_t spin_lock_irqsave(struct spinlock *lock);

/* spin_unlock_irqrestore - spin_unlock(), then restores interrupts as FLAGS says. */
void spin_unlock_irqrestore(struct spinlock *lock, uint64_t flags);

/* spin_held - whether this CPU holds LOCK (debug builds; always true otherwise). */
bool spin_held(const struct spinlock *lock);

/* spin_held_count - how many spinlocks this CPU holds now. */
unsigned spin_held_count(void);
