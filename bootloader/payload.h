/*
 * The optional files beside the kernel: \quire\cmdline and \quire\initrd, read into allocations
 * the kernel keeps and described in the boot info.
 */
#pragma once

#include <efi.h>

#include <quire/boot.h>

#define PAYLOAD_CMDLINE_PATH "\\quire\\cmdline"
#define PAYLOAD_INITRD_PATH  "\\quire\\initrd"
/* The command line fits one page with its NUL. */
#define PAYLOAD_CMDLINE_MAX  4095

/* Reads the command line into info->cmdline as one NUL-terminated line (cmdline.c), or an empty
 * string when the ESP has none: info->cmdline is never 0. */
EFI_STATUS payload_load_cmdline(EFI_FILE_HANDLE root, struct quire_boot_info *info);

/* Reads the initrd into info->initrd_base/size; both stay 0 when it is absent or empty. */
EFI_STATUS payload_load_initrd(EFI_FILE_HANDLE root, struct quire_boot_info *info);
