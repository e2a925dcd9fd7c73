/*
 * The jump into the kernel: the machine state of boot.h's top comment and
 * docs/boot-protocol.md ("Entry state").
 */
#pragma once

#include <efi.h>

#include <quire/boot.h>

/* Checks, while errors can still be shown, that the CPU can run the loader's tables: NX
 * (execute-disable) present, and 4-level paging in use (CR4.LA57 clear). */
EFI_STATUS handoff_check_cpu(void);

/* After ExitBootServices: interrupts off, EFER.NXE and CR0.WP on, stamps info->tsc.before_jump,
 * loads CR3 = info->pml4 and jumps to `entry` with RDI = the linear-map address of `info`. */
__attribute__((noreturn)) void handoff_jump(struct quire_boot_info *info, uint64_t entry);

/* handoff_entry.S: the last three instructions (CR3, RDI, jump), in asm because no C code may run
 * between them. */
__attribute__((noreturn)) void handoff_enter(uint64_t pml4, uint64_t entry, uint64_t info_virt);
