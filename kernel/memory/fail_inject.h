/*
 * Failure injection: make the N-th allocation fail, so tests can prove every caller copes.
 *
 * Model: one counter of allocation attempts (frames from the pmm and blocks from kheap alike).
 * When armed with N, the N-th attempt after arming fails as if memory had run out, and injection
 * disarms itself. The command line arms it at boot with failalloc=N; tests arm it through this API.
 * Allocation functions call fail_inject_should_fail() first thing and fail when it says so.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* fail_inject_arm - the NTH allocation attempt from now (1 = the next one) fails; 0 disarms. */
void fail_inject_arm(uint64_t nth);

/* fail_inject_should_fail - counts one attempt; true when this is the one to fail. Any context. */
bool fail_inject_should_fail(void);

/* fail_inject_attempts - attempts counted since the last fail_inject_arm() (for sweeps). */
uint64_t fail_inject_attempts(void);
