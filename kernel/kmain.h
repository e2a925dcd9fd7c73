/*
 * The kernel's C entry point, called by kernel_entry (arch/x86_64/entry.S).
 */
#pragma once

#include <stdint.h>

#include <quire/boot.h>

/*
 * kmain - brings the kernel up on the boot CPU. BI is the loader's boot_info (a linear-map
 * address, not yet validated) and ENTRY_TSC the TSC at the kernel's first instruction. Runs on the
 * boot stack with interrupts off; never returns.
 */
_Noreturn void kmain(struct quire_boot_info *bi, uint64_t entry_tsc);
