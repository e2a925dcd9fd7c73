/* sim_boot_vm() of sim_machine.h: the simulated machine with the VM brought up on it. */
#include "kernel/memory/kheap.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/vm_space.h"
#include "test/unit/sim_machine.h"

void sim_boot_vm(uint64_t bytes, struct pagetable *kernel_pt)
{
	sim_boot(bytes);
	kheap_init();
	assert_int_equal(pagetable_create(kernel_pt, NULL), KERR_OK);
	assert_int_equal(pagetable_fill_kernel_half(kernel_pt), KERR_OK);
	assert_int_equal(vm_init(kernel_pt), KERR_OK);
	kheap_trim();
}
