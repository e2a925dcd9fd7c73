/*
 * The boot summary: one screenful on the console that says what the kernel was given and what it
 * found, so that a boot log alone answers "what machine, what memory, what did the loader do".
 */
#pragma once

#include <quire/boot.h>

/*
 * summary_print - logs (at info) the kernel version, firmware, TSC frequency, memory-map totals by
 * type, framebuffer, ACPI RSDP, initrd, command line, kernel image placement, ExitBootServices
 * attempts and the loader's phase times. BI must have passed boot_info_validate().
 */
void summary_print(const struct quire_boot_info *bi);
