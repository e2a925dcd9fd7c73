/*
 * Thread switching, the way into ring 3, and the FPU/SSE state (kernel/sched/).
 *
 * FPU/SSE model: the kernel is built with -mgeneral-regs-only and never touches x87 or SSE
 * registers, so a user thread's FPU/SSE state stays in the registers while the kernel runs on its
 * behalf and needs saving only when another thread takes the CPU. The scheduler saves it (FXSAVE,
 * 512 bytes) when a user thread is switched out and restores it (FXRSTOR) when one is switched in,
 * eagerly: no lazy #NM trapping, whose savings are small and whose history (Lazy FP) is bad.
 * Only x87 and SSE state exists for user code: XCR0 keeps AVX and later state off, so FXSAVE
 * covers everything a program can change. fpu_init() sets CR0.MP, clears CR0.EM and CR0.TS, sets
 * CR4.OSFXSR and CR4.OSXMMEXCPT, and records the state a new thread starts with (FNINIT's x87
 * state, MXCSR 0x1f80: every exception masked, round to nearest).
 */
#pragma once

#include <stdint.h>

/* context_switch - saves this thread's registers and RSP in *SAVE_RSP, resumes the one at NEW_RSP. */
void context_switch(uint64_t *save_rsp, uint64_t new_rsp);

/* user_start - enters ring 3 at RIP with RSP and ARG in RDI; interrupts on. Never returns. */
_Noreturn void user_start(uint64_t rip, uint64_t rsp, uint64_t arg);

/* fpu_init - enables x87/SSE for user code and records the initial state. Boot CPU, once. */
void fpu_init(void);

/* fpu_initial_state - copies the clean FPU/SSE state into IMAGE (512 bytes, 16-byte aligned). */
void fpu_initial_state(uint8_t *image);

/* fpu_save / fpu_restore - FXSAVE64 into / FXRSTOR64 from IMAGE (512 bytes, 16-byte aligned). */
static inline void fpu_save(uint8_t *image)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])image) : : "memory");
}

static inline void fpu_restore(const uint8_t *image)
{
	__asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t(*)[512])image) : "memory");
}
