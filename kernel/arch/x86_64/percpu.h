/*
 * Which CPU is running this code.
 *
 * Model: until SMP (issue 7) brings GS-based per-CPU data, only the boot CPU runs kernel code, and
 * its number is 0. Modules keep per-CPU state in arrays of CPU_MAX entries indexed by
 * cpu_current_id(), so that making this function real is the only change SMP needs here.
 * Host unit tests set host_cpu_id to play several CPUs.
 */
#pragma once

#define CPU_MAX 64u

#ifdef QUIRE_HOST_TEST
extern unsigned host_cpu_id;
static inline unsigned cpu_current_id(void)
{
	return host_cpu_id;
}
#else
static inline unsigned cpu_current_id(void)
{
	return 0;
}
#endif
