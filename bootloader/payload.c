/*
 * Optional payloads. Absence is normal for both (the command line is then empty, the initrd
 * missing); a file that exists but cannot be read is an error, because booting without what the
 * user put there would hide the problem. The loader does not look inside the initrd: it is a cpio
 * newc archive for the kernel to unpack.
 */
#include "bootloader/payload.h"

#include <efilib.h>

#include "bootloader/alloc.h"
#include "bootloader/cmdline.h"
#include "bootloader/console.h"
#include "bootloader/file.h"

EFI_STATUS payload_load_cmdline(EFI_FILE_HANDLE root, struct quire_boot_info *info)
{
	struct file_data f;
	EFI_STATUS status =
	    file_read(root, PAYLOAD_CMDLINE_PATH, QUIRE_ALLOC_CMDLINE, PAYLOAD_CMDLINE_MAX, &f);

	if (status == EFI_NOT_FOUND) {
		status = alloc_keep(1, QUIRE_ALLOC_CMDLINE, &f.base);
		f.size = 0;
		if (!EFI_ERROR(status))
			BS->SetMem((void *)(UINTN)f.base, ALLOC_PAGE_SIZE, 0);
	}
	if (EFI_ERROR(status))
		return status;
	char *text = (char *)(UINTN)f.base;
	info->cmdline = f.base;
	info->cmdline_len = (uint32_t)cmdline_normalize(text, f.size);
	console_info("command line: \"%s\"", text);
	return EFI_SUCCESS;
}

EFI_STATUS payload_load_initrd(EFI_FILE_HANDLE root, struct quire_boot_info *info)
{
	struct file_data f;
	EFI_STATUS status = file_read(root, PAYLOAD_INITRD_PATH, QUIRE_ALLOC_INITRD, 0, &f);

	if (status == EFI_NOT_FOUND) {
		console_info("%s: none", PAYLOAD_INITRD_PATH);
		return EFI_SUCCESS;
	}
	if (EFI_ERROR(status))
		return status;
	if (f.size == 0) {
		alloc_drop(f.base);
		console_warn("%s: empty, ignored", PAYLOAD_INITRD_PATH);
		return EFI_SUCCESS;
	}
	info->initrd_base = f.base;
	info->initrd_size = f.size;
	console_info("%s: %llu bytes at 0x%llx", PAYLOAD_INITRD_PATH, (unsigned long long)f.size,
		     (unsigned long long)f.base);
	return EFI_SUCCESS;
}
