/*
 * The COM1 driver of serial.h. Register offsets and bits are from the 16550 data sheet.
 */
#include "kernel/arch/x86_64/serial.h"

#include <stdbool.h>
#include <stdint.h>

#include "kernel/arch/x86_64/port.h"

#define COM1 0x3f8

enum {
	REG_DATA = 0, /* THR/RBR; divisor low byte while DLAB is set */
	REG_IER = 1,  /* interrupt enable; divisor high byte while DLAB is set */
	REG_FCR = 2,  /* FIFO control */
	REG_LCR = 3,  /* line control */
	REG_MCR = 4,  /* modem control */
	REG_LSR = 5,  /* line status */
};

#define LCR_8N1       0x03
#define LCR_DLAB      0x80
#define FCR_ENABLE    0xc7 /* enable and clear both FIFOs, 14-byte receive threshold */
#define MCR_DTR_RTS   0x03
#define MCR_OUT2      0x08 /* gates the interrupt line on PCs; harmless while IER is 0 */
#define MCR_LOOPBACK  0x10
#define LSR_THR_EMPTY 0x20
#define BAUD_DIVISOR  1 /* 115200 / 115200 */

/* Far longer than one character takes at 115200 baud (~87 us) on any machine. */
#define TX_SPIN_LIMIT 1000000

static bool present;

static bool loopback_works(void)
{
	port_outb(COM1 + REG_MCR, MCR_LOOPBACK | MCR_OUT2 | MCR_DTR_RTS);
	port_outb(COM1 + REG_DATA, 0xae);
	bool ok = port_inb(COM1 + REG_DATA) == 0xae;
	port_outb(COM1 + REG_MCR, MCR_OUT2 | MCR_DTR_RTS);
	return ok;
}

kerr_t serial_init(void)
{
	port_outb(COM1 + REG_IER, 0);
	port_outb(COM1 + REG_LCR, LCR_DLAB);
	port_outb(COM1 + REG_DATA, BAUD_DIVISOR & 0xff);
	port_outb(COM1 + REG_IER, BAUD_DIVISOR >> 8);
	port_outb(COM1 + REG_LCR, LCR_8N1);
	port_outb(COM1 + REG_FCR, FCR_ENABLE);
	present = loopback_works();
	return present ? KERR_OK : KERR_NOT_FOUND;
}

static void put_byte(char c)
{
	for (int spins = 0; spins < TX_SPIN_LIMIT; spins++) {
		if (port_inb(COM1 + REG_LSR) & LSR_THR_EMPTY)
			break;
	}
	port_outb(COM1 + REG_DATA, (uint8_t)c);
}

void serial_write(const char *s, size_t len)
{
	if (!present)
		return;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			put_byte('\r');
		put_byte(s[i]);
	}
}
