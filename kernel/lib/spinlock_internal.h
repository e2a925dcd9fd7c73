/*
 * What spinlock.c tells the allocation-context checks (alloc_check.c) beyond spinlock.h.
 */
#pragma once

#include "kernel/lib/spinlock.h"

/*
 * spin_innermost_held - the lock this CPU took last and still holds, or NULL when it holds none
 * (debug builds; always NULL otherwise). Any context.
 */
const struct spinlock *spin_innermost_held(void);

#ifdef QUIRE_HOST_TEST
/* The host's stand-in for RFLAGS: the irqsave variants clear and restore its IF bit. */
extern uint64_t spin_host_rflags;
#endif
