/*
 * Kernel loading. The model is one physical run for the whole image: the segments' span, from
 * the lowest segment page to the end of the highest, is allocated at once, zeroed, and each
 * segment's file bytes are copied to the same offset from the run's start as its link address has
 * from the lowest page. Physical and virtual layouts then differ by one constant, which is what
 * boot_info->kernel_phys_base/virt_base describe, and the zeroing gives bss (and the gaps between
 * segments) for free. The file buffer is temporary and is freed once the copy is made.
 */
#include "bootloader/load.h"

#include <efilib.h>

#include "bootloader/alloc.h"
#include "bootloader/console.h"
#include "bootloader/file.h"

static EFI_STATUS refuse(enum elf_validate_result r, const struct kernel_image *k)
{
	const char *why = elf_validate_strerror(r);

	if (r == ELF_VALIDATE_WRONG_VERSION)
		return console_error(EFI_INCOMPATIBLE_VERSION,
				     "%s: %s (the kernel speaks version %u, this loader %u)",
				     LOAD_KERNEL_PATH, why, k->note_version, QUIRE_BOOT_VERSION);
	if (k->bad_phdr != ELF_VALIDATE_NO_PHDR)
		return console_error(EFI_LOAD_ERROR, "%s: %s (program header %u)", LOAD_KERNEL_PATH,
				     why, k->bad_phdr);
	return console_error(EFI_LOAD_ERROR, "%s: %s", LOAD_KERNEL_PATH, why);
}

static EFI_STATUS read_and_validate(EFI_FILE_HANDLE root, struct file_data *f,
				    struct kernel_image *k)
{
	EFI_STATUS status = file_read(root, LOAD_KERNEL_PATH, 0, 0, f);

	if (status == EFI_NOT_FOUND)
		return console_error(status, "%s: not found on the ESP", LOAD_KERNEL_PATH);
	if (EFI_ERROR(status))
		return status;
	enum elf_validate_result r = elf_validate((const void *)(UINTN)f->base, f->size, k);
	if (r != ELF_VALIDATE_OK) {
		alloc_free_temp(f->base, f->pages);
		return refuse(r, k);
	}
	console_info("%s: %llu bytes, %u segments, entry 0x%llx, boot protocol %u",
		     LOAD_KERNEL_PATH, (unsigned long long)f->size, k->segment_count,
		     (unsigned long long)k->entry, k->note_version);
	return EFI_SUCCESS;
}

static void copy_segments(const struct file_data *f, const struct kernel_image *k, UINT8 *image)
{
	const UINT8 *file = (const UINT8 *)(UINTN)f->base;

	for (uint32_t i = 0; i < k->segment_count; i++) {
		const struct kernel_segment *s = &k->segments[i];
		UINT8 *dest = image + (s->vaddr - k->virt_base);

		BS->CopyMem(dest, (void *)(file + s->offset), s->filesz);
		console_info("  segment %u: 0x%llx..0x%llx %c%c%c at 0x%llx", i,
			     (unsigned long long)s->vaddr,
			     (unsigned long long)(s->vaddr + s->memsz),
			     (s->flags & ELF_PF_R) ? 'r' : '-', (s->flags & ELF_PF_W) ? 'w' : '-',
			     (s->flags & ELF_PF_X) ? 'x' : '-', (unsigned long long)(UINTN)dest);
	}
}

EFI_STATUS load_kernel(EFI_FILE_HANDLE root, struct kernel_image *k, struct quire_boot_info *info)
{
	struct file_data f;
	EFI_PHYSICAL_ADDRESS base;
	EFI_STATUS status = read_and_validate(root, &f, k);

	if (EFI_ERROR(status))
		return status;
	UINT64 size = k->virt_end - k->virt_base;
	status = alloc_keep(ALLOC_PAGES(size), QUIRE_ALLOC_KERNEL_IMAGE, &base);
	if (!EFI_ERROR(status)) {
		BS->SetMem((void *)(UINTN)base, size, 0);
		copy_segments(&f, k, (UINT8 *)(UINTN)base);
		info->kernel_phys_base = base;
		info->kernel_virt_base = k->virt_base;
		info->kernel_size = size;
	}
	alloc_free_temp(f.base, f.pages);
	return status;
}
