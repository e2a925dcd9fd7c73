/*
 * Copy-in and copy-out: the only way the kernel reaches user memory.
 *
 * Model: a user pointer is a uint64_t. A range is accepted only when it lies wholly in the user
 * half [VM_USER_LO, VM_USER_HI) without wrapping; the copy itself runs in user_copy.S with user
 * access opened (stac) for just its loop. A page fault there is first offered to the running
 * process's space (lazy pages are filled in as for the process itself); one that cannot be
 * served resumes at the routine's fixup, so a bad pointer becomes KERR_FAULT, never a crash.
 * Callers run in a process's context (its page tables loaded), interrupts off, no spinlock held.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/kerr.h"

/* copy_from_user - N bytes from user SRC to DST. Errors: KERR_FAULT. */
kerr_t copy_from_user(void *dst, uint64_t src, size_t n);

/* copy_to_user - N bytes from SRC to user DST. Errors: KERR_FAULT. */
kerr_t copy_to_user(uint64_t dst, const void *src, size_t n);

/*
 * copy_string_from_user - the NUL-terminated string at user SRC into DST (MAX bytes, NUL
 * included), its length to *LEN. Errors: KERR_FAULT; KERR_INVALID when there is no NUL within
 * MAX bytes.
 */
kerr_t copy_string_from_user(char *dst, uint64_t src, size_t max, size_t *len);

/* user_copy_fixup - for the trap handler: the fixup for a fault at RIP, or 0 if none. */
uint64_t user_copy_fixup(uint64_t rip);
