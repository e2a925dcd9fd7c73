/*
 * Backtraces by frame pointers (the kernel is built with -fno-omit-frame-pointer).
 *
 * Model: each frame record is {saved RBP, return address} at RBP. The walk trusts nothing it
 * reads: a record must be 8-byte aligned and lie inside one of the kernel's stacks (stack.h)
 * before it is read; a record on the same stack as the previous one must lie above it (stacks grow
 * down, so this also rules out cycles); a return address must point into the kernel's text; and
 * the walk stops after BACKTRACE_MAX_FRAMES. So a corrupt stack ends the backtrace early rather
 * than faulting inside the panic path.
 */
#pragma once

#include <stdint.h>

#define BACKTRACE_MAX_FRAMES 32

/*
 * backtrace_collect - the return addresses found by walking from frame pointer FP, at most MAX of
 * them, into PCS. Returns how many. Never faults; never allocates.
 */
unsigned backtrace_collect(uintptr_t fp, uintptr_t *pcs, unsigned max);

/*
 * backtrace_print - prints "backtrace:" and one line "  #N 0xaddress name+0xoffset" per frame:
 * first PC itself when it is nonzero (the faulting or current instruction), then the return
 * addresses found from FP.
 */
void backtrace_print(uintptr_t pc, uintptr_t fp);
