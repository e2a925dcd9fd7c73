/*
 * Reading, validating and placing the kernel: \quire\kernel.elf's PT_LOAD segments copied into
 * one contiguous physical allocation (kind QUIRE_ALLOC_KERNEL_IMAGE).
 */
#pragma once

#include <efi.h>

#include <quire/boot.h>

#include "bootloader/elf_validate.h"

#define LOAD_KERNEL_PATH "\\quire\\kernel.elf"

/* Reads and validates the kernel file, loads its segments, fills `kernel` (the validated layout)
 * and info->kernel_phys_base/virt_base/size. Every refusal names the file and the reason. */
EFI_STATUS load_kernel(EFI_FILE_HANDLE root, struct kernel_image *kernel,
		       struct quire_boot_info *info);
