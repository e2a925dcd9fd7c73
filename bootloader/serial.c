/*
 * A polled 16550 at COM1 (I/O port 0x3f8). Polling is all the loader needs: it prints a few dozen
 * lines and never takes interrupts. Presence is probed through the scratch register, so a machine
 * without COM1 costs one failed probe instead of a boot stuck waiting for a transmitter.
 */
#include "bootloader/serial.h"

#include "bootloader/cpu.h"

#define COM1         0x3f8
#define REG_DATA     0 /* THR on write; DLL when LCR.DLAB */
#define REG_IER      1 /* DLM when LCR.DLAB */
#define REG_FCR      2
#define REG_LCR      3
#define REG_MCR      4
#define REG_LSR      5
#define REG_SCRATCH  7
#define LCR_8N1      0x03
#define LCR_DLAB     0x80
#define FCR_ENABLE   0x07 /* enable and clear both FIFOs */
#define MCR_DTR_RTS  0x03
#define LSR_THR_IDLE 0x20
#define DIVISOR_115K 1
/* About a second of polling on real hardware: far more than one character takes at 115200 baud. */
#define TX_SPINS     1000000

static int present;

void serial_init(int program)
{
	cpu_outb(COM1 + REG_SCRATCH, 0x5a);
	present = cpu_inb(COM1 + REG_SCRATCH) == 0x5a;
	if (!present || !program)
		return;
	cpu_outb(COM1 + REG_IER, 0x00);
	cpu_outb(COM1 + REG_LCR, LCR_DLAB);
	cpu_outb(COM1 + REG_DATA, DIVISOR_115K);
	cpu_outb(COM1 + REG_IER, 0x00);
	cpu_outb(COM1 + REG_LCR, LCR_8N1);
	cpu_outb(COM1 + REG_FCR, FCR_ENABLE);
	cpu_outb(COM1 + REG_MCR, MCR_DTR_RTS);
}

static void put(char c)
{
	for (unsigned spins = 0; !(cpu_inb(COM1 + REG_LSR) & LSR_THR_IDLE); spins++) {
		if (spins == TX_SPINS) {
			present = 0;
			return;
		}
	}
	cpu_outb(COM1 + REG_DATA, (uint8_t)c);
}

void serial_write(const char *text, size_t len)
{
	for (size_t i = 0; i < len && present; i++) {
		if (text[i] == '\n')
			put('\r');
		put(text[i]);
	}
}
