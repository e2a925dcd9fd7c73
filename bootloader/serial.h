/*
 * COM1 by port I/O: the loader's log outlives the firmware's console, because after
 * ExitBootServices nothing else can print.
 */
#pragma once

#include <stddef.h>

/* Probes for a UART at COM1; when `program` is set, also sets 115200 baud 8N1 with FIFOs (left
 * alone when the firmware's own terminal already drives the port). */
void serial_init(int program);

/* Writes `len` bytes, each '\n' as "\r\n". Does nothing when no UART was found. Never blocks
 * for long: a transmitter that stays busy disables the port for the rest of the boot. */
void serial_write(const char *text, size_t len);
