/*
 * Allocation register. The boot-info block is one page: struct quire_boot_info, then
 * ALLOC_REGISTER_SIZE records. Recording happens at allocation time, so the register is complete
 * by construction when the loader takes its final memory map; and because everything is recorded
 * in one place, the error path can give it all back to the firmware in one loop.
 */
#include "bootloader/alloc.h"

#include <efilib.h>

#include "bootloader/console.h"

_Static_assert(sizeof(struct quire_boot_info) +
		       ALLOC_REGISTER_SIZE * sizeof(struct quire_alloc_record) <=
		   ALLOC_PAGE_SIZE,
	       "the boot-info block is one page");
_Static_assert(sizeof(struct quire_boot_info) % 8 == 0, "the register is 8-byte aligned");

static struct quire_boot_info *info; /* NULL until alloc_init() */

static const char *const kind_names[QUIRE_ALLOC_KIND_COUNT] = {
    [QUIRE_ALLOC_KERNEL_IMAGE] = "the kernel image", [QUIRE_ALLOC_PAGE_TABLES] = "page tables",
    [QUIRE_ALLOC_BOOT_INFO] = "boot information",    [QUIRE_ALLOC_INITRD] = "the initrd",
    [QUIRE_ALLOC_CMDLINE] = "the command line",
};

static struct quire_alloc_record *records(void)
{
	return (struct quire_alloc_record *)(UINTN)info->alloc_register;
}

static EFI_STATUS allocate(UINT64 pages, const char *what, EFI_PHYSICAL_ADDRESS *base)
{
	EFI_STATUS status = BS->AllocatePages(AllocateAnyPages, EfiLoaderData, pages, base);

	if (EFI_ERROR(status))
		return console_error(status, "out of memory: cannot allocate %llu KiB for %s (%s)",
				     (unsigned long long)pages * 4, what, console_status(status));
	return EFI_SUCCESS;
}

static EFI_STATUS record(EFI_PHYSICAL_ADDRESS base, UINT64 pages, uint32_t kind)
{
	if (info->alloc_register_count == ALLOC_REGISTER_SIZE)
		return console_error(EFI_OUT_OF_RESOURCES, "the allocation register is full (%u)",
				     ALLOC_REGISTER_SIZE);
	records()[info->alloc_register_count++] =
	    (struct quire_alloc_record){.base = base, .pages = pages, .kind = kind};
	return EFI_SUCCESS;
}

EFI_STATUS alloc_init(struct quire_boot_info **out)
{
	EFI_PHYSICAL_ADDRESS base;
	EFI_STATUS status = allocate(1, kind_names[QUIRE_ALLOC_BOOT_INFO], &base);

	if (EFI_ERROR(status))
		return status;
	info = (struct quire_boot_info *)(UINTN)base;
	BS->SetMem(info, ALLOC_PAGE_SIZE, 0);
	info->alloc_register = base + sizeof(*info);
	info->alloc_register_entry_size = sizeof(struct quire_alloc_record);
	*out = info;
	return record(base, 1, QUIRE_ALLOC_BOOT_INFO);
}

EFI_STATUS alloc_keep(UINT64 pages, uint32_t kind, EFI_PHYSICAL_ADDRESS *base)
{
	EFI_STATUS status = allocate(pages, kind_names[kind], base);

	if (EFI_ERROR(status))
		return status;
	status = record(*base, pages, kind);
	if (EFI_ERROR(status))
		BS->FreePages(*base, pages);
	return status;
}

void alloc_drop(EFI_PHYSICAL_ADDRESS base)
{
	struct quire_alloc_record *r = records();

	/* From 1: record 0 is the boot-info block, which lives until the hand-off or the end. */
	for (uint32_t i = 1; i < info->alloc_register_count; i++) {
		if (r[i].base != base)
			continue;
		BS->FreePages(base, r[i].pages);
		r[i] = r[--info->alloc_register_count];
		return;
	}
}

EFI_STATUS alloc_temp(UINT64 pages, const char *what, EFI_PHYSICAL_ADDRESS *base)
{
	return allocate(pages, what, base);
}

void alloc_free_temp(EFI_PHYSICAL_ADDRESS base, UINT64 pages)
{
	BS->FreePages(base, pages);
}

void alloc_release_all(void)
{
	if (info == NULL)
		return;
	/* Record 0 is the block holding the register itself: free it after reading the rest. */
	while (info->alloc_register_count > 1) {
		struct quire_alloc_record *r = &records()[--info->alloc_register_count];

		BS->FreePages(r->base, r->pages);
	}
	EFI_PHYSICAL_ADDRESS block = (EFI_PHYSICAL_ADDRESS)(UINTN)info;
	info = NULL;
	BS->FreePages(block, 1);
}
