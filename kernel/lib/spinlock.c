/*
 * Spinlocks with ranks; see spinlock.h for the model.
 *
 * The lock word is taken with an atomic exchange and, while it is busy, watched with plain loads
 * and `pause` (test-and-test-and-set), so a waiting CPU spins in its own cache instead of
 * bouncing the line with writes.
 *
 * Bookkeeping, per CPU (cpu_locks[cpu_current_id()], touched only by its own CPU): the number of
 * locks held, and in debug builds the stack of the locks themselves in acquisition order. Because
 * ranks strictly rise along the stack, its top is the highest rank held, and the rank check is one
 * compare. Locks may be released in any order; the stack closes the gap. The stack is pushed after
 * the lock is won and popped before it is released, so an interrupt handler that takes and
 * releases its own locks in between leaves it as it found it.
 */
#include "kernel/lib/spinlock.h"

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/lib/debug_check.h"
#include "kernel/lib/spinlock_internal.h"
#include "kernel/panic.h"

#ifndef QUIRE_HOST_TEST
#include "kernel/arch/x86_64/cpu.h"
#endif

/* Ranks rise strictly, so a CPU can hold at most one lock of each rank above LOCK_RANK_NONE. */
#define HELD_MAX (LOCK_RANK_COUNT - 1)

struct cpu_locks {
	unsigned count; /* locks held */
#if QUIRE_DEBUG
	const struct spinlock *held[HELD_MAX]; /* [0, count): in acquisition order */
#endif
};

static struct cpu_locks cpu_locks[CPU_MAX];

#ifdef QUIRE_HOST_TEST
#define RFLAGS_IF (1ull << 9)
uint64_t spin_host_rflags = RFLAGS_IF;

static inline uint64_t irq_save(void)
{
	uint64_t flags = spin_host_rflags;

	spin_host_rflags &= ~RFLAGS_IF;
	return flags;
}

static inline void irq_restore(uint64_t flags)
{
	spin_host_rflags = (spin_host_rflags & ~RFLAGS_IF) | (flags & RFLAGS_IF);
}
#else
static inline uint64_t irq_save(void)
{
	uint64_t flags;

	__asm__ volatile("pushfq\n\tpopq %0\n\tcli" : "=r"(flags) : : "memory");
	return flags;
}

static inline void irq_restore(uint64_t flags)
{
	if (flags & CPU_RFLAGS_IF)
		__asm__ volatile("sti" : : : "memory");
}
#endif

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("pause" : : : "memory");
#endif
}

static struct cpu_locks *this_cpu(void)
{
	unsigned cpu = cpu_current_id();

	kassert(cpu < CPU_MAX);
	return &cpu_locks[cpu];
}

void spin_init(struct spinlock *lock, const char *name, enum lock_rank rank)
{
	kassert(rank > LOCK_RANK_NONE && rank < LOCK_RANK_COUNT);
	*lock = (struct spinlock)SPINLOCK_INIT(name, rank);
}

#if QUIRE_DEBUG
static int held_index(const struct cpu_locks *cl, const struct spinlock *lock)
{
	for (unsigned i = 0; i < cl->count; i++) {
		if (cl->held[i] == lock)
			return (int)i;
	}
	return -1;
}

/* Before spinning, so that an inversion panics instead of deadlocking. */
static void check_acquire(const struct cpu_locks *cl, const struct spinlock *lock)
{
	if (lock->rank <= LOCK_RANK_NONE || lock->rank >= LOCK_RANK_COUNT)
		debug_check_fail("lock %s has no valid rank (%u): not initialised?",
				 lock->name ? lock->name : "(unnamed)", lock->rank);
	if (held_index(cl, lock) >= 0)
		debug_check_fail("recursive acquisition of lock %s (rank %u) on CPU %u", lock->name,
				 lock->rank, cpu_current_id());
	if (cl->count == 0)
		return;
	const struct spinlock *top = cl->held[cl->count - 1];
	if (lock->rank <= top->rank)
		debug_check_fail("lock rank violation: taking %s (rank %u) while holding %s "
				 "(rank %u); ranks must rise",
				 lock->name, lock->rank, top->name, top->rank);
}

static void note_acquired(struct cpu_locks *cl, const struct spinlock *lock)
{
	kassert(cl->count < HELD_MAX);
	cl->held[cl->count++] = lock;
}

static void note_released(struct cpu_locks *cl, const struct spinlock *lock)
{
	int at = held_index(cl, lock);

	if (at < 0 || lock->locked == 0)
		debug_check_fail("unlocking lock %s (rank %u), which CPU %u does not hold",
				 lock->name, lock->rank, cpu_current_id());
	for (unsigned i = (unsigned)at; i + 1 < cl->count; i++)
		cl->held[i] = cl->held[i + 1];
	cl->count--;
}
#else
static inline void check_acquire(const struct cpu_locks *cl, const struct spinlock *lock)
{
}

static inline void note_acquired(struct cpu_locks *cl, const struct spinlock *lock)
{
	cl->count++;
}

static inline void note_released(struct cpu_locks *cl, const struct spinlock *lock)
{
	cl->count--;
}
#endif

void spin_lock(struct spinlock *lock)
{
	struct cpu_locks *cl = this_cpu();

	check_acquire(cl, lock);
	while (__atomic_exchange_n(&lock->locked, 1u, __ATOMIC_ACQUIRE) != 0) {
		while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED) != 0)
			cpu_relax();
	}
	lock->owner_cpu = (int32_t)cpu_current_id();
	note_acquired(cl, lock);
}

void spin_unlock(struct spinlock *lock)
{
	note_released(this_cpu(), lock);
	lock->owner_cpu = -1;
	__atomic_store_n(&lock->locked, 0u, __ATOMIC_RELEASE);
}

uint64_t spin_lock_irqsave(struct spinlock *lock)
{
	uint64_t flags = irq_save();

	spin_lock(lock);
	return flags;
}

void spin_unlock_irqrestore(struct spinlock *lock, uint64_t flags)
{
	spin_unlock(lock);
	irq_restore(flags);
}

bool spin_held(const struct spinlock *lock)
{
#if QUIRE_DEBUG
	return held_index(this_cpu(), lock) >= 0;
#else
	return true;
#endif
}

unsigned spin_held_count(void)
{
	return this_cpu()->count;
}

const struct spinlock *spin_innermost_held(void)
{
#if QUIRE_DEBUG
	const struct cpu_locks *cl = this_cpu();

	return cl->count ? cl->held[cl->count - 1] : NULL;
#else
	return NULL;
#endif
}
