/*
 * Ending a QEMU run with a verdict through the isa-debug-exit device (quire/debug_exit.h).
 */
#pragma once

#include <stdint.h>

/*
 * qemu_exit - writes CODE (QUIRE_EXIT_*) to the debug-exit port, which ends QEMU with status
 * (CODE << 1) | 1. Without the device (real hardware, a QEMU without it) the write goes nowhere
 * and the CPU halts for good instead. Never returns.
 */
_Noreturn void qemu_exit(uint8_t code);
