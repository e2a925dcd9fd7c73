/*
 * Hand-off. The loader's tables make the linear map and the kernel non-executable except for the
 * kernel's text; the loader itself keeps running after the CR3 switch only through the
 * executable lower-half identity alias (paging.c), for the few instructions of handoff_enter().
 * NX must be enabled before CR3 is loaded: with EFER.NXE clear, bit 63 of a page-table entry is
 * reserved and the first use of the new tables would fault. Both checks that could stop the boot
 * run before ExitBootServices, while the error can still be shown.
 */
#include "bootloader/handoff.h"

#include "bootloader/console.h"
#include "bootloader/cpu.h"

EFI_STATUS handoff_check_cpu(void)
{
	uint32_t regs[4];

	cpu_cpuid(CPU_CPUID_EXT_MAX, regs);
	if (regs[0] >= CPU_CPUID_EXT_FEATURES)
		cpu_cpuid(CPU_CPUID_EXT_FEATURES, regs);
	else
		regs[3] = 0;
	if (!(regs[3] & CPU_CPUID_EXT_NX))
		return console_error(EFI_UNSUPPORTED,
				     "the CPU has no NX (execute-disable) bit; Quire needs it");
	if (cpu_read_cr4() & CPU_CR4_LA57)
		return console_error(
		    EFI_UNSUPPORTED,
		    "the firmware runs 5-level paging; Quire needs 4-level paging");
	return EFI_SUCCESS;
}

void handoff_jump(struct quire_boot_info *info, uint64_t entry)
{
	uint64_t info_virt = QUIRE_LINEAR_MAP_BASE + (uint64_t)(UINTN)info;

	cpu_cli();
	cpu_wrmsr(CPU_MSR_EFER, cpu_rdmsr(CPU_MSR_EFER) | CPU_EFER_NXE);
	cpu_write_cr0(cpu_read_cr0() | CPU_CR0_WP);
	console_info("jumping to the kernel at 0x%llx, boot info at 0x%llx, CR3 0x%llx",
		     (unsigned long long)entry, (unsigned long long)info_virt,
		     (unsigned long long)info->pml4);
	info->tsc.before_jump = cpu_rdtsc();
	handoff_enter(info->pml4, entry, info_virt);
}
