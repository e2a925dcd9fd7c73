/*
 * A device path is a sequence of nodes {type, subtype, length (16-bit, little-endian, including
 * this 4-byte header), data}, ended by an end node; multi-instance paths separate their instances
 * with an end-of-instance node. The walk below trusts no length: a node shorter than its header
 * or running past the buffer ends the walk with "no".
 */
#include "bootloader/devpath.h"

#include <stdint.h>

#define NODE_HEADER        4
#define TYPE_ACPI          0x02
#define SUBTYPE_ACPI       0x01 /* ACPI_DP: HID and UID */
#define TYPE_MESSAGING     0x03
#define SUBTYPE_UART       0x0e
#define TYPE_END           0x7f
#define SUBTYPE_END_ENTIRE 0xff
/* EISA_PNP_ID(0x0501): the compressed "PNP" vendor id in the low half, the product above it. */
#define HID_PNP0501        0x050141d0u

static uint32_t read32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int is_com1_acpi_node(const unsigned char *node, size_t len)
{
	return len >= NODE_HEADER + 8 && read32(node + 4) == HID_PNP0501 && read32(node + 8) == 0;
}

int devpath_has_com1_uart(const void *path, size_t size)
{
	const unsigned char *p = path;
	size_t pos = 0;
	int under_com1 = 0; /* the instance's latest ACPI node is COM1's */

	while (size - pos >= NODE_HEADER) {
		const unsigned char *node = p + pos;
		size_t len = (size_t)node[2] | (size_t)node[3] << 8;

		if (len < NODE_HEADER || len > size - pos)
			return 0;
		if (node[0] == TYPE_END) {
			if (node[1] == SUBTYPE_END_ENTIRE)
				return 0;
			under_com1 = 0; /* the next instance starts afresh */
		} else if (node[0] == TYPE_ACPI && node[1] == SUBTYPE_ACPI) {
			under_com1 = is_com1_acpi_node(node, len);
		} else if (node[0] == TYPE_MESSAGING && node[1] == SUBTYPE_UART && under_com1) {
			return 1;
		}
		pos += len;
	}
	return 0;
}
