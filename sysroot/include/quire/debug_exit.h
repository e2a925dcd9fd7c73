/*
 * How a Quire guest ends QEMU: a byte written to QEMU's isa-debug-exit device (I/O port
 * QUIRE_DEBUG_EXIT_PORT) ends QEMU with exit status (byte << 1) | 1. QEMU itself exits 0 on a
 * reset or triple fault and 1 on its own errors, so neither can be mistaken for a guest verdict.
 * The host test runner (tools/run-suite.sh) decodes these; docs/testing.md lists them.
 */
#pragma once

#define QUIRE_DEBUG_EXIT_PORT 0xf4

enum {
	QUIRE_EXIT_PASSED = 0x10, /* every test passed: QEMU exits 33 */
	QUIRE_EXIT_FAILED = 0x11, /* at least one test failed: QEMU exits 35 */
	QUIRE_EXIT_PANIC = 0x12,  /* the kernel panicked: QEMU exits 37 */
};

#define QUIRE_EXIT_STATUS(code) (((code) << 1) | 1)
