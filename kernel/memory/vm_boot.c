/*
 * vm_boot_init(): the VM core's place in the boot sequence (kernel only; host tests call
 * vm_init() with tables of their own). The kernel space it makes is where the heap's large
 * blocks and the kernel stacks live (kheap.h, kstack.h): before it, kmalloc() serves only the
 * size classes (vm_init() itself needs only those) and kstack_create() fails.
 */
#include "kernel/memory/vm_boot.h"

#include "kernel/lib/log.h"
#include "kernel/memory/kernel_space.h"
#include "kernel/memory/vm_space.h"

void vm_boot_init(void)
{
	struct pagetable *tables = kernel_space_pagetable();
	kerr_t err = tables != NULL ? vm_init(tables) : KERR_UNSUPPORTED;

	if (err != KERR_OK)
		log_error("vm: no kernel space (%s): page faults stay fatal", kerr_name(err));
	else
		log_info("vm: kernel space with %llu reservations; zero page at 0x%llx",
			 (unsigned long long)vm_space_mapping_count(vm_space_kernel()),
			 (unsigned long long)vm_zero_page());
}
