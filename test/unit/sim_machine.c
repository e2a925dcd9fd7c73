/* The simulated machine of sim_machine.h. */
#include "test/unit/sim_machine.h"

#include <stdio.h>
#include <stdlib.h>

#include <quire/boot.h>

#include "kernel/lib/debug_check.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/phys.h"
#include "kernel/memory/pmm.h"

/* Where the memory map lives: below the usable range, like firmware data would. */
#define SIM_MAP_PHYS 0x1000ull

unsigned host_cpu_id;
uintptr_t phys_host_base;

jmp_buf sim_check_jump;
bool sim_expecting_check;
char sim_check_message[256];

static void *memory;
static uint64_t memory_bytes;

void debug_check_host_hook(const char *func, const char *message)
{
	if (!sim_expecting_check)
		return;
	snprintf(sim_check_message, sizeof(sim_check_message), "%s: %s", func, message);
	sim_expecting_check = false;
	longjmp(sim_check_jump, 1);
}

void sim_boot(uint64_t bytes)
{
	static struct quire_boot_info bi;
	static char cmdline[1];

	assert_true(bytes % (4ull << 20) == 0 && bytes > SIM_USABLE_LO + SIM_KERNEL_LEN);
	if (memory_bytes != bytes) {
		free(memory);
		memory = aligned_alloc(4ull << 20, bytes);
		assert_non_null(memory);
		memory_bytes = bytes;
	}
	phys_host_base = (uintptr_t)memory;
	struct quire_mem_range *map = (void *)(phys_host_base + SIM_MAP_PHYS);
	map[0] = (struct quire_mem_range){.base = SIM_USABLE_LO,
					  .pages = (bytes - SIM_USABLE_LO) >> 12,
					  .type = QUIRE_MEM_USABLE};
	bi = (struct quire_boot_info){
	    .magic = QUIRE_BOOT_MAGIC,
	    .version = QUIRE_BOOT_VERSION,
	    .size = sizeof(bi),
	    .memory_map = SIM_MAP_PHYS,
	    .memory_map_count = 1,
	    .memory_map_entry_size = sizeof(struct quire_mem_range),
	    .kernel_phys_base = SIM_KERNEL_LO,
	    .kernel_size = SIM_KERNEL_LEN,
	    .cmdline = (uint64_t)((uintptr_t)cmdline - phys_host_base),
	};
	host_cpu_id = 0;
	fail_inject_arm(0);
	assert_int_equal(pmm_init(&bi), KERR_OK);
}

uint64_t sim_bytes(void)
{
	return memory_bytes;
}

bool sim_in_linear(const void *p)
{
	return (uintptr_t)p - phys_host_base < memory_bytes;
}

uint64_t sim_frames_of(enum page_kind kind)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return kind == PAGE_FREE ? st.free : st.by_kind[kind];
}
