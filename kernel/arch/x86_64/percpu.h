/*
 * Which CPU is running this code.
 *
 * Model: every CPU's GS base points at its own struct percpu (syscall.h) while kernel code runs
 * (the boot CPU's from syscall_init(), each application processor's from syscall_init_cpu() in
 * its start-up, before anything else can ask), and the block holds the CPU's index at the fixed
 * offset PERCPU_ID: 0 for the boot CPU, 1.. for the application processors in the order they
 * came up (smp.h). Modules keep per-CPU state in arrays of CPU_MAX entries indexed by
 * cpu_current_id(). Host unit tests set host_cpu_id to play several CPUs.
 *
 * The read is one `mov %gs:PERCPU_ID`, volatile so that the compiler never carries a CPU index
 * across a point where the thread could move to another CPU (none can yet: no thread runs on an
 * application processor). Interrupts or not, it always names the CPU executing it.
 */
#pragma once

#define CPU_MAX 64u

/* Byte offset of struct percpu's id field (syscall.h asserts it). */
#define PERCPU_ID 24

#ifndef __ASSEMBLER__

#ifdef QUIRE_HOST_TEST
extern unsigned host_cpu_id;
static inline unsigned cpu_current_id(void)
{
	return host_cpu_id;
}
#else
static inline unsigned cpu_current_id(void)
{
	unsigned id;

	__asm__ volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(PERCPU_ID));
	return id;
}
#endif

#endif
