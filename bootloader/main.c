/*
 * Quire's UEFI loader: the order of the boot, and nothing else. Each step lives in its own file
 * and reports its own failures on the console; this file runs them in an order where everything
 * that can fail, fails before ExitBootServices, while the message can still reach the screen:
 *
 *   1. command line, kernel (read, validate, load), initrd    files from the loader's ESP
 *   2. CPU check, framebuffer, firmware facts                  what the kernel needs to know
 *   3. page tables                                             from a snapshot of the memory map
 *   4. final memory map, ExitBootServices, hand-off            nothing allocated any more
 *
 * On failure the loader frees what it allocated, waits for a key (or 30 s), and returns the error
 * to the firmware; it never jumps into an image that failed a check. docs/boot-protocol.md is the
 * reference for all of it.
 */
#include <efi.h>
#include <efilib.h>

#include <quire/boot.h>

#include "bootloader/alloc.h"
#include "bootloader/cmdline.h"
#include "bootloader/console.h"
#include "bootloader/cpu.h"
#include "bootloader/file.h"
#include "bootloader/firmware.h"
#include "bootloader/gop.h"
#include "bootloader/handoff.h"
#include "bootloader/load.h"
#include "bootloader/memmap.h"
#include "bootloader/paging.h"
#include "bootloader/payload.h"

#define ERROR_WAIT_SECONDS 30

#define TRY(expr)                                                                                  \
	do {                                                                                       \
		EFI_STATUS try_status_ = (expr);                                                   \
		if (EFI_ERROR(try_status_))                                                        \
			return try_status_;                                                        \
	} while (0)

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table);

/* The validated kernel layout: read in step 1, mapped in step 3, entered at the hand-off. */
static struct kernel_image kernel;

/* Step 1: everything read from the ESP. */
static EFI_STATUS read_files(EFI_HANDLE image, struct quire_boot_info *info)
{
	EFI_FILE_HANDLE root;

	TRY(file_open_esp(image, &root));
	EFI_STATUS status = payload_load_cmdline(root, info);
	if (!EFI_ERROR(status))
		status = load_kernel(root, &kernel, info);
	if (!EFI_ERROR(status))
		status = payload_load_initrd(root, info);
	root->Close(root);
	return status;
}

/* Step 3: the tables map all memory the snapshot shows, so they are sized from it. */
static EFI_STATUS build_page_tables(struct memmap *map, struct quire_boot_info *info)
{
	TRY(memmap_snapshot(map));
	uint64_t ram_end = memmap_ram_end(map);
	uint64_t linear = paging_linear_size(ram_end);
	if (ram_end > linear)
		console_warn("memory above %llu GiB is left out of the linear map",
			     (unsigned long long)(linear >> 30));
	struct paging_pool pool = {.pages = paging_pool_pages(linear, &kernel)};
	TRY(alloc_keep(pool.pages, QUIRE_ALLOC_PAGE_TABLES, &pool.phys));
	pool.base = (uint64_t *)(UINTN)pool.phys;
	BS->SetMem(pool.base, pool.pages * PAGING_PAGE_SIZE, 0);
	enum paging_result r =
	    paging_build(&pool, linear, &kernel, info->kernel_phys_base, &info->pml4);
	if (r != PAGING_OK)
		return console_error(EFI_LOAD_ERROR, "building the page tables failed (%s)",
				     r == PAGING_POOL_EXHAUSTED ? "pool exhausted" : "bad layout");
	console_info("page tables: %llu KiB at 0x%llx, linear map of %llu GiB",
		     (unsigned long long)pool.pages * 4, (unsigned long long)pool.phys,
		     (unsigned long long)(linear >> 30));
	return EFI_SUCCESS;
}

/* loader.stale_map_key=N: fail the first N ExitBootServices calls on purpose (tests). */
static uint32_t stale_keys(const struct quire_boot_info *info)
{
	uint32_t n = 0;
	enum cmdline_result r = cmdline_uint((const char *)(UINTN)info->cmdline,
					     "loader.stale_map_key", MEMMAP_EXIT_ATTEMPTS - 1, &n);

	if (r == CMDLINE_MALFORMED)
		console_warn("loader.stale_map_key: expected a number from 0 to %u; ignored",
			     MEMMAP_EXIT_ATTEMPTS - 1);
	return r == CMDLINE_FOUND ? n : 0;
}

/* After ExitBootServices, on COM1 only: what the kernel will find, and the loader's timing. */
static void report_exit(const struct quire_boot_info *info)
{
	console_info("exited boot services after %u attempt(s); memory map: %u ranges",
		     info->exit_boot_services_attempts, info->memory_map_count);
	console_info("TSC: entry to ExitBootServices %llu ticks",
		     (unsigned long long)(info->tsc.before_exit_boot_services - info->tsc.entry));
}

/* Steps 3 and 4; the firmware-map buffer is the loader's own, given back if the boot fails. */
static EFI_STATUS exit_firmware(EFI_HANDLE image, uint32_t stale, struct quire_boot_info *info)
{
	struct memmap map = {0};
	EFI_STATUS status = build_page_tables(&map, info);

	if (!EFI_ERROR(status))
		status = memmap_reserve(&map);
	if (!EFI_ERROR(status)) {
		console_info("allocation register: %u records; exiting boot services",
			     info->alloc_register_count);
		status = memmap_exit_boot_services(&map, image, stale, info);
	}
	if (EFI_ERROR(status))
		memmap_release(&map);
	return status;
}

/* The whole boot; returns only on failure. */
static EFI_STATUS boot(EFI_HANDLE image, uint64_t entry_tsc)
{
	struct quire_boot_info *info;

	TRY(alloc_init(&info));
	info->magic = QUIRE_BOOT_MAGIC;
	info->version = QUIRE_BOOT_VERSION;
	info->size = sizeof(*info);
	info->tsc.entry = entry_tsc;
	TRY(read_files(image, info));
	uint32_t stale = stale_keys(info);
	TRY(handoff_check_cpu());
	TRY(gop_setup((const char *)(UINTN)info->cmdline, &info->framebuffer));
	firmware_describe(info);
	TRY(exit_firmware(image, stale, info));
	report_exit(info);
	handoff_jump(info, kernel.entry);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table)
{
	uint64_t entry_tsc = cpu_rdtsc();

	InitializeLib(image, system_table);
	console_init();
	console_info("Quire loader, boot protocol %u", QUIRE_BOOT_VERSION);
	EFI_STATUS status = boot(image, entry_tsc);
	alloc_release_all();
	console_wait_key(ERROR_WAIT_SECONDS);
	return status;
}
