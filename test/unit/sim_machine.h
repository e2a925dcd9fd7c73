/*
 * A simulated machine for the host tests of the memory code.
 *
 * Model: physical memory is one host buffer standing for physical addresses 0 .. size, so the
 * kernel's linear map becomes phys_host_base + pa (kernel/memory/phys.h). sim_boot() lays out what
 * the loader would hand over on a small machine (a memory map with one usable range from 1 MiB, a
 * 64 KiB kernel image at its bottom, a boot_info) and runs the real pmm_init() on it, so every test
 * above it exercises the real frame allocator. Each call starts a fresh machine.
 *
 * Debug checks (kernel/lib/debug_check.h) call debug_check_host_hook() on the host; this file
 * defines it, and SIM_EXPECT_CHECK_FAILS() runs a statement that must trip one.
 */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/memory/page.h"

#define SIM_USABLE_LO  (1ull << 20)
#define SIM_KERNEL_LO  SIM_USABLE_LO
#define SIM_KERNEL_LEN (64ull << 10)

/* sim_boot - a fresh machine of BYTES of RAM (a multiple of 4 MiB), its pmm initialised. */
void sim_boot(uint64_t bytes);

/* sim_bytes - the RAM size of the current machine. */
uint64_t sim_bytes(void);

/* sim_in_linear - whether P is a linear-map address of the simulated RAM. */
bool sim_in_linear(const void *p);

/* sim_frames_of - the frames counted as KIND now; for PAGE_FREE, the free count. */
uint64_t sim_frames_of(enum page_kind kind);

extern jmp_buf sim_check_jump;
extern bool sim_expecting_check;
extern char sim_check_message[256];

/* Runs STMT, which must fail a debug check whose "function: message" contains WANT. */
#define SIM_EXPECT_CHECK_FAILS(stmt, want)                                                         \
	do {                                                                                       \
		sim_check_message[0] = '\0';                                                       \
		sim_expecting_check = true;                                                        \
		if (setjmp(sim_check_jump) == 0) {                                                 \
			stmt;                                                                      \
			sim_expecting_check = false;                                               \
			fail_msg("%s did not fail a check", #stmt);                                \
		}                                                                                  \
		if (strstr(sim_check_message, (want)) == NULL)                                     \
			fail_msg("check said \"%s\", want \"%s\"", sim_check_message, (want));     \
	} while (0)

struct pagetable;

/*
 * sim_boot_vm - sim_boot(), then the kernel heap, the kernel's page tables in *KERNEL_PT (all 256
 * kernel-half PDPTs) and the VM with its kernel space, spares trimmed: a machine ready for areas
 * and spaces. Defined in sim_vm.c, which tests link with the VM sources.
 */
void sim_boot_vm(uint64_t bytes, struct pagetable *kernel_pt);
