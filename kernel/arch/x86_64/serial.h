/*
 * COM1, the 16550-compatible UART at I/O port 0x3f8: the kernel's console until there is more.
 *
 * Model: polled output only (no interrupts, no receive), 115200 baud 8N1. serial_init() checks
 * that a UART is really there with the chip's loopback mode, and when it is not, every later
 * write is dropped instead of spinning on a status register that never changes. Each wait for the
 * transmitter is bounded for the same reason. Not locked: see log.h.
 */
#pragma once

#include <stddef.h>

#include "kernel/lib/kerr.h"

/*
 * serial_init - programs COM1 for 115200 8N1 with FIFOs. Errors: KERR_NOT_FOUND when the loopback
 * self-test fails (no UART); output is then discarded. Call once, before any serial_write().
 */
kerr_t serial_init(void);

/* serial_write - sends LEN bytes from S, each "\n" as "\r\n". Never fails, never allocates. */
void serial_write(const char *s, size_t len);
