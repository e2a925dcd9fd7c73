/*
 * System-call entry (`syscall`/`sysret`), the per-CPU block behind GS, and the way into and out
 * of user mode.
 *
 * Model: while the kernel runs, GS base points at this CPU's struct percpu and KERNEL_GS_BASE
 * holds the user's GS base (0); every way into ring 3 (sysret, iretq) executes swapgs first, and
 * every way back (the syscall stub, the exception stubs when the saved CS is ring 3) executes it
 * again, so kernel code always finds its block at %gs:0. `syscall` leaves RSP untouched, so the
 * stub parks the user RSP in the block's scratch slot and loads the running thread's kernel
 * stack top from it. The C side, syscall_dispatch(), sees a struct syscall_frame and calls the
 * table generated from quire/syscalls.h (build/kernel/gen/syscall_table.h). The return takes
 * sysret, or iretq when the return RIP is not canonical (sysret would fault in ring 0 with the
 * user's RSP loaded). Interrupts are off throughout (SFMASK clears IF, DF, TF and AC).
 *
 * Per CPU: one struct percpu per CPU (CPU_MAX of them, one cache line each), and each CPU
 * programs its own MSRs: syscall_init() on the boot CPU, syscall_init_cpu() on each application
 * processor as it starts (smp.c). Only the boot CPU enters ring 3 for now.
 */
#pragma once

#include "kernel/arch/x86_64/percpu.h"

/* Byte offsets into struct percpu, for the assembly stub (PERCPU_ID: percpu.h). */
#define PERCPU_KERNEL_RSP 0
#define PERCPU_USER_RSP   8
#define PERCPU_SELF       16

/* Ring 3's selectors with RPL 3 (gdt.h: USER_CODE | 3, USER_DATA | 3; checked in syscall.c). */
#define SYSCALL_USER_CS 0x23
#define SYSCALL_USER_SS 0x1b

/* offsetof(struct syscall_frame, rip), for the stub. */
#define SYSCALL_FRAME_RIP 104

#ifndef __ASSEMBLER__

#include <stdint.h>

/*
 * One CPU's block, reached through GS base while in the kernel. Written only by its own CPU
 * (id and self once, by syscall_init_cpu() before GS base points at it), so no lock.
 */
struct percpu {
	uint64_t kernel_rsp; /* the running thread's kernel stack top */
	uint64_t user_rsp;   /* scratch: the user RSP between `syscall` and the stack switch */
	struct percpu *self; /* the block's own address: GS base, as a pointer */
	uint32_t id;         /* this CPU's index (percpu.h: cpu_current_id()) */
} __attribute__((aligned(64)));
_Static_assert(__builtin_offsetof(struct percpu, kernel_rsp) == PERCPU_KERNEL_RSP, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, self) == PERCPU_SELF, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, id) == PERCPU_ID, "percpu.h reads the id here");
_Static_assert(sizeof(struct percpu) == 64, "one cache line per CPU");

/* What the stub saves, lowest address first; the dispatcher may change rax (the result). */
struct syscall_frame {
	uint64_t r15, r14, r13, r12, rbp, rbx;
	uint64_t r9, r8, r10, rdx, rsi, rdi;
	uint64_t rax;                      /* the number on entry, the result on return */
	uint64_t rip, cs, rflags, rsp, ss; /* an iretq frame: rip = rcx, rflags = r11 */
};
_Static_assert(__builtin_offsetof(struct syscall_frame, rip) == SYSCALL_FRAME_RIP, "frame");

/*
 * syscall_init - the boot CPU's syscall_init_cpu(0), plus what user-copy code needs to know of
 * the CPU (whether stac/clac exist). Boot CPU, interrupts off, once, after gdt_init().
 */
void syscall_init(void);

/*
 * syscall_init_cpu - makes block CPU (< CPU_MAX) this CPU's: sets its id and self pointer,
 * points GS base at it (KERNEL_GS_BASE, the user's, at 0), and programs EFER.SCE, STAR (the
 * GDT's selectors), LSTAR and SFMASK. From here on cpu_current_id() returns CPU. The calling CPU,
 * interrupts off, once per CPU, after its GDT is loaded (the segment loads there may
 * change GS base).
 */
void syscall_init_cpu(unsigned cpu);

/*
 * syscall_set_kernel_stack - the kernel stack top for entries from ring 3: the calling CPU's
 * block and TSS. Interrupts off.
 */
void syscall_set_kernel_stack(uint64_t top);

/* syscall_percpu - CPU's block (< CPU_MAX), for tests and start-up checks. */
const struct percpu *syscall_percpu(unsigned cpu);

/* syscall_dispatch - from the stub: runs the call in FRAME, the result in frame->rax. */
void syscall_dispatch(struct syscall_frame *frame);

#endif
