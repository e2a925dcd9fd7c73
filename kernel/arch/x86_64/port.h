/*
 * x86 I/O-port access. Each access is a real bus cycle (and a VM exit under virtualisation), so
 * callers keep port I/O out of hot loops where they can.
 */
#pragma once

#include <stdint.h>

static inline void port_outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t port_inb(uint16_t port)
{
	uint8_t value;

	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}
