/*
 * Just enough UEFI device-path parsing to answer one question: does the firmware's console output
 * (the ConOut variable) include a terminal on COM1? If it does, everything the loader prints on
 * ConOut already reaches the serial port, and writing it to the port as well would print each
 * line twice. Pure C, host-tested by test/unit/test_loader_devpath.c.
 */
#pragma once

#include <stddef.h>

/*
 * Whether the (possibly multi-instance) device path in path[0..size) has an instance with a UART
 * node below the ACPI node of COM1 (HID PNP0501, UID 0), as OVMF's
 * PciRoot(0x0)/Pci(0x1F,0x0)/Serial(0x0)/Uart(115200,8,N,1)/VenVt100() is. A malformed path
 * answers 0.
 */
int devpath_has_com1_uart(const void *path, size_t size);
