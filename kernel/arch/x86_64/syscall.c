/*
 * System-call MSRs and the per-CPU block; see syscall.h.
 */
#include "kernel/arch/x86_64/syscall.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/panic.h"

#define MSR_STAR           0xc0000081u
#define MSR_LSTAR          0xc0000082u
#define MSR_SFMASK         0xc0000084u
#define MSR_GS_BASE        0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define EFER_SCE           (1ull << 0)
#define RFLAGS_TF          (1ull << 8)
#define RFLAGS_DF          (1ull << 10)

void syscall_entry(void);

/* Read by user_copy.S: whether stac/clac exist (they are #UD without SMAP). */
uint8_t user_copy_smap;

/* Indexed by CPU; each written only by its own CPU. */
static struct percpu percpus[CPU_MAX];

void syscall_init(void)
{
	kassert(!cpu_interrupts_enabled());
	user_copy_smap = cpu_features()->smap;
	syscall_init_cpu(0);
}

void syscall_init_cpu(unsigned cpu)
{
	kassert(!cpu_interrupts_enabled());
	kassert(cpu < CPU_MAX);
	struct percpu *p = &percpus[cpu];
	p->self = p;
	p->id = cpu;
	cpu_wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)p);
	cpu_wrmsr(MSR_KERNEL_GS_BASE, 0);
	/* syscall: CS = STAR[47:32], SS = that + 8. sysret: SS = STAR[63:48] + 8, CS = + 16. */
	uint64_t sysret_base = GDT_USER_DATA - 8;
	_Static_assert(GDT_KERNEL_DATA == GDT_KERNEL_CODE + 8, "syscall's SS");
	_Static_assert(GDT_USER_CODE == GDT_USER_DATA + 8, "sysret's CS");
	_Static_assert(SYSCALL_USER_CS == (GDT_USER_CODE | 3), "syscall.h's user CS");
	_Static_assert(SYSCALL_USER_SS == (GDT_USER_DATA | 3), "syscall.h's user SS");
	cpu_wrmsr(MSR_STAR, (sysret_base << 48) | ((uint64_t)GDT_KERNEL_CODE << 32));
	cpu_wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
	cpu_wrmsr(MSR_SFMASK, CPU_RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | CPU_RFLAGS_AC);
	cpu_wrmsr(CPU_EFER, cpu_rdmsr(CPU_EFER) | EFER_SCE);
}

void syscall_set_kernel_stack(uint64_t top)
{
	percpus[cpu_current_id()].kernel_rsp = top;
	gdt_set_kernel_stack(top);
}

const struct percpu *syscall_percpu(unsigned cpu)
{
	kassert(cpu < CPU_MAX);
	return &percpus[cpu];
}
