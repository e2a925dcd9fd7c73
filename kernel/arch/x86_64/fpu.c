/*
 * FPU/SSE set-up and the initial state of new threads; see switch.h.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/switch.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"

#define CR0_MP         (1ull << 1)
#define CR0_EM         (1ull << 2)
#define CR0_TS         (1ull << 3)
#define CR0_NE         (1ull << 5)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define MXCSR_DEFAULT  0x1f80u

static uint8_t initial[512] ALIGNED(16);

void fpu_init(void)
{
	uint32_t r[4];
	uint32_t mxcsr = MXCSR_DEFAULT;

	kassert(!cpu_interrupts_enabled());
	cpu_cpuid(1, 0, r);
	if (!(r[3] & (1u << 24)) || !(r[3] & (1u << 25)))
		panic("the CPU has no FXSAVE or no SSE");
	cpu_write_cr0((cpu_read_cr0() | CR0_MP | CR0_NE) & ~(CR0_EM | CR0_TS));
	cpu_write_cr4(cpu_read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	__asm__ volatile("fninit\n\tldmxcsr %0" : : "m"(mxcsr));
	fpu_save(initial);
}

void fpu_initial_state(uint8_t *image)
{
	memcpy(image, initial, sizeof(initial));
}
