/*
 * CPU exceptions: the register frame the assembly stubs build, and what happens to it.
 *
 * Model: every exception vector enters a stub in trap_stubs.S, which pushes a zero where the CPU
 * pushed no error code, then the vector number and every general register, so each handler sees
 * the same struct trap_frame. The stub also links a frame-pointer record whose return address is
 * the interrupted RIP, so a backtrace taken inside a handler continues into the interrupted code.
 * trap_dispatch() offers the frame to the test hook (built-in tests provoke exceptions on
 * purpose); anything else is, for now, fatal: a full report and a panic. User-mode faults and
 * device interrupts get their own paths when user space and the APIC arrive.
 */
#pragma once

/* Byte offsets into struct trap_frame, for the assembly stubs. */
#define TRAP_FRAME_RIP  136
#define TRAP_FRAME_SIZE 176

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stdint.h>

/* In push order reversed: the stub pushes rax first, so r15 ends up at the lowest address. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error_code; /* 0 for vectors without one */
	/* Pushed by the CPU. */
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(__builtin_offsetof(struct trap_frame, rip) == TRAP_FRAME_RIP, "trap frame");
_Static_assert(sizeof(struct trap_frame) == TRAP_FRAME_SIZE, "trap frame");

#define TRAP_EXCEPTION_COUNT 32

enum trap_vector {
	TRAP_DIVIDE = 0,
	TRAP_DEBUG = 1,
	TRAP_NMI = 2,
	TRAP_BREAKPOINT = 3,
	TRAP_INVALID_OPCODE = 6,
	TRAP_DOUBLE_FAULT = 8,
	TRAP_GENERAL_PROTECTION = 13,
	TRAP_PAGE_FAULT = 14,
	TRAP_MACHINE_CHECK = 18,
};

/* Page-fault error-code bits (Intel SDM vol. 3, 4.7). */
#define TRAP_PF_PRESENT  (1u << 0) /* 0: the page was not present; 1: a protection violation */
#define TRAP_PF_WRITE    (1u << 1)
#define TRAP_PF_USER     (1u << 2)
#define TRAP_PF_RESERVED (1u << 3) /* a reserved bit was set in a paging entry */
#define TRAP_PF_FETCH    (1u << 4) /* an instruction fetch */

/*
 * Called with every exception before it is treated as fatal. Returns true when it handled the
 * exception: execution then resumes at frame->rip, with the frame's registers (the hook may change
 * both). Runs with interrupts off on the exception's stack.
 */
typedef bool (*trap_hook_fn)(struct trap_frame *frame, void *ctx);

/*
 * trap_set_hook - installs HOOK (with CTX) or, with NULL, removes it. For built-in tests that
 * provoke exceptions deliberately; there is one hook, and tests must remove it when done.
 */
void trap_set_hook(trap_hook_fn hook, void *ctx);

/* trap_name - "Page fault" and so on for vectors 0..31, "Reserved" for holes, "?" beyond. */
const char *trap_name(uint64_t vector);

/* trap_mnemonic - "#PF" and so on, "" where the manual gives none. */
const char *trap_mnemonic(uint64_t vector);

/* trap_dispatch - entry from the stubs with the frame they built. Returns only to resume. */
void trap_dispatch(struct trap_frame *frame);

#endif
