/*
 * Firmware facts. The RSDP comes from the configuration table: the ACPI 2.0 entry when the
 * firmware has one (it carries the XSDT, which 64-bit kernels want), the ACPI 1.0 entry
 * otherwise. The vendor string is UCS-2; the boot info carries ASCII, so anything outside ASCII
 * becomes '?', which keeps it printable by a kernel that knows no Unicode.
 */
#include "bootloader/firmware.h"

#include <efi.h>
#include <efilib.h>
#include <stddef.h>

#include "bootloader/console.h"

static int same_guid(const EFI_GUID *a, const EFI_GUID *b)
{
	const UINT8 *x = (const UINT8 *)a, *y = (const UINT8 *)b;

	for (size_t i = 0; i < sizeof(EFI_GUID); i++) {
		if (x[i] != y[i])
			return 0;
	}
	return 1;
}

static void *find_table(const EFI_GUID *guid)
{
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		if (same_guid(&ST->ConfigurationTable[i].VendorGuid, guid))
			return ST->ConfigurationTable[i].VendorTable;
	}
	return NULL;
}

static void find_rsdp(struct quire_boot_info *info)
{
	static EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	static EFI_GUID acpi10 = ACPI_TABLE_GUID;
	void *rsdp = find_table(&acpi20);

	info->acpi_revision = 2;
	if (rsdp == NULL) {
		rsdp = find_table(&acpi10);
		info->acpi_revision = 1;
	}
	if (rsdp == NULL) {
		info->acpi_revision = 0;
		console_warn("no ACPI RSDP in the firmware's configuration table");
		return;
	}
	info->acpi_rsdp = (uint64_t)(UINTN)rsdp;
}

static void copy_vendor(char *out, const CHAR16 *vendor)
{
	size_t i = 0;

	for (; vendor != NULL && vendor[i] != 0 && i < QUIRE_FIRMWARE_VENDOR_MAX - 1; i++)
		out[i] = vendor[i] >= 0x20 && vendor[i] < 0x7f ? (char)vendor[i] : '?';
	out[i] = '\0';
}

void firmware_describe(struct quire_boot_info *info)
{
	copy_vendor(info->firmware_vendor, ST->FirmwareVendor);
	info->firmware_revision = ST->FirmwareRevision;
	find_rsdp(info);
	console_info("firmware: %s, revision 0x%x, UEFI %u.%u, ACPI %u.0 RSDP at 0x%llx",
		     info->firmware_vendor, info->firmware_revision, ST->Hdr.Revision >> 16,
		     (ST->Hdr.Revision & 0xffff) / 10, info->acpi_revision,
		     (unsigned long long)info->acpi_rsdp);
}
