/*
 * isa-debug-exit; see qemu_exit.h.
 */
#include "kernel/arch/x86_64/qemu_exit.h"

#include <quire/debug_exit.h>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/port.h"

void qemu_exit(uint8_t code)
{
	port_outb(QUIRE_DEBUG_EXIT_PORT, code);
	cpu_halt_forever();
}
