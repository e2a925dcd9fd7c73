/*
 * Host tests of bootloader/devpath.c: OVMF's ConOut variable (the bytes as OVMF stores them),
 * and paths that must not count as COM1: another port, a UART under no ACPI node, COM1's ACPI
 * node in one instance and a UART in the next, and malformed lengths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bootloader/devpath.h"

/* Node builders: each appends one node at p and returns the position after it. */
static unsigned char *node(unsigned char *p, unsigned type, unsigned subtype, size_t len)
{
	memset(p, 0, len);
	p[0] = (unsigned char)type;
	p[1] = (unsigned char)subtype;
	p[2] = (unsigned char)(len & 0xff);
	p[3] = (unsigned char)(len >> 8);
	return p + len;
}

static unsigned char *acpi(unsigned char *p, uint32_t hid, uint32_t uid)
{
	unsigned char *end = node(p, 0x02, 0x01, 12);

	memcpy(p + 4, &hid, 4);
	memcpy(p + 8, &uid, 4);
	return end;
}

#define PNP0A03 0x0a0341d0u /* PCI root */
#define PNP0501 0x050141d0u /* 16550 UART */

static unsigned char *pci(unsigned char *p)
{
	return node(p, 0x01, 0x01, 6);
}

static unsigned char *uart(unsigned char *p)
{
	return node(p, 0x03, 0x0e, 19);
}

static unsigned char *vt100(unsigned char *p)
{
	return node(p, 0x03, 0x0a, 20);
}

static unsigned char *end_instance(unsigned char *p)
{
	return node(p, 0x7f, 0x01, 4);
}

static unsigned char *end_entire(unsigned char *p)
{
	return node(p, 0x7f, 0xff, 4);
}

static unsigned char path[512];

/* PciRoot(0x0)/Pci(0x1F,0x0)/Serial(uid)/Uart(115200,8,N,1)/VenVt100() */
static unsigned char *serial_console(unsigned char *p, uint32_t uid)
{
	p = acpi(p, PNP0A03, 0);
	p = pci(p);
	p = acpi(p, PNP0501, uid);
	p = uart(p);
	return vt100(p);
}

/* PciRoot(0x0)/Pci(0x1,0x0)/AcpiAdr(...): the GOP console. */
static unsigned char *video_console(unsigned char *p)
{
	p = acpi(p, PNP0A03, 0);
	p = pci(p);
	return node(p, 0x02, 0x03, 8);
}

static void test_ovmf_conout(void **state)
{
	/* OVMF: the serial terminal, then the video console. */
	unsigned char *p = serial_console(path, 0);
	p = end_instance(p);
	p = video_console(p);
	p = end_entire(p);
	assert_true(devpath_has_com1_uart(path, (size_t)(p - path)));
}

static void test_com1_second_instance(void **state)
{
	unsigned char *p = video_console(path);
	p = end_instance(p);
	p = serial_console(p, 0);
	p = end_entire(p);
	assert_true(devpath_has_com1_uart(path, (size_t)(p - path)));
}

static void test_video_only_or_com2(void **state)
{
	unsigned char *p = video_console(path);
	p = end_entire(p);
	assert_false(devpath_has_com1_uart(path, (size_t)(p - path)));
	p = serial_console(path, 1); /* COM2 */
	p = end_entire(p);
	assert_false(devpath_has_com1_uart(path, (size_t)(p - path)));
}

static void test_uart_not_under_com1(void **state)
{
	/* COM1's ACPI node ends its instance; the UART is in the next one. */
	unsigned char *p = acpi(path, PNP0501, 0);
	p = end_instance(p);
	p = acpi(p, PNP0A03, 0);
	p = uart(p);
	p = end_entire(p);
	assert_false(devpath_has_com1_uart(path, (size_t)(p - path)));
	/* COM1, then another ACPI device, then the UART: the UART belongs to the latter. */
	p = acpi(path, PNP0501, 0);
	p = acpi(p, PNP0A03, 0);
	p = uart(p);
	p = end_entire(p);
	assert_false(devpath_has_com1_uart(path, (size_t)(p - path)));
}

static void test_malformed(void **state)
{
	unsigned char *p = serial_console(path, 0);
	size_t size = (size_t)(end_entire(p) - path);

	/* Truncated before the UART node ends. */
	assert_false(devpath_has_com1_uart(path, 12 + 6 + 12 + 10));
	/* A zero-length node (would loop forever if trusted). */
	path[2] = 0;
	path[3] = 0;
	assert_false(devpath_has_com1_uart(path, size));
	/* A node claiming more bytes than there are. */
	serial_console(path, 0);
	path[2] = 0xff;
	path[3] = 0xff;
	assert_false(devpath_has_com1_uart(path, size));
	assert_false(devpath_has_com1_uart(path, 0));
	assert_false(devpath_has_com1_uart(path, 3));
}

static void test_stops_at_end(void **state)
{
	/* Anything after the end-of-path node is not part of the path. */
	unsigned char *p = end_entire(path);
	p = serial_console(p, 0);
	assert_false(devpath_has_com1_uart(path, (size_t)(p - path)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ovmf_conout),        cmocka_unit_test(test_com1_second_instance),
	    cmocka_unit_test(test_video_only_or_com2), cmocka_unit_test(test_uart_not_under_com1),
	    cmocka_unit_test(test_malformed),          cmocka_unit_test(test_stops_at_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
