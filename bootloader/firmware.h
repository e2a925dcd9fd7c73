/*
 * What the firmware tells the kernel through the loader: its vendor and revision, and where the
 * ACPI tables start (the RSDP from the UEFI configuration table).
 */
#pragma once

#include <quire/boot.h>

/* Fills firmware_vendor, firmware_revision, acpi_rsdp and acpi_revision. Cannot fail: a
 * firmware without ACPI tables is reported and leaves acpi_rsdp 0. */
void firmware_describe(struct quire_boot_info *info);
