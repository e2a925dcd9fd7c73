/*
 * Failure injection of fail_inject.h: a count of allocation attempts and the one to fail.
 *
 * Both words are updated with atomics so that allocators on several CPUs can call in at once;
 * exactly one attempt sees the armed number, and the compare-and-swap that disarms makes sure
 * no second attempt fails for the same arming.
 */
#include "kernel/memory/fail_inject.h"

static uint64_t armed_nth;     /* the attempt (counted from 1) to fail; 0 when disarmed */
static uint64_t attempts_seen; /* attempts since the last fail_inject_arm() */

void fail_inject_arm(uint64_t nth)
{
	__atomic_store_n(&armed_nth, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&attempts_seen, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&armed_nth, nth, __ATOMIC_SEQ_CST);
}

bool fail_inject_should_fail(void)
{
	uint64_t n = __atomic_add_fetch(&attempts_seen, 1, __ATOMIC_RELAXED);
	uint64_t nth = __atomic_load_n(&armed_nth, __ATOMIC_RELAXED);

	if (nth == 0 || n != nth)
		return false;
	return __atomic_compare_exchange_n(&armed_nth, &nth, 0, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_RELAXED);
}

uint64_t fail_inject_attempts(void)
{
	return __atomic_load_n(&attempts_seen, __ATOMIC_RELAXED);
}
