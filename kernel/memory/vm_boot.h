/*
 * The VM core's boot step: see vm_space.h (vm_init()).
 */
#pragma once

/*
 * vm_boot_init - the zero page and the kernel space around the kernel's page tables, after
 * kernel_space_init(). Logs an error and leaves page faults fatal when it cannot. Boot CPU,
 * once, no lock held; allocates.
 */
void vm_boot_init(void);
