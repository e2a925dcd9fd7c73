/*
 * Reading whole files from the ESP the loader was started from (LoadedImage->DeviceHandle), into
 * page allocations the caller either keeps for the kernel or frees.
 */
#pragma once

#include <efi.h>

/* A file read into memory: `size` bytes at `base`, then a NUL, then zeros to the page end. */
struct file_data {
	EFI_PHYSICAL_ADDRESS base;
	UINT64 pages; /* of the allocation */
	UINT64 size;  /* of the file */
};

/* Opens the root directory of the loader's own volume; logs the image base on the way (the gdb
 * script reads that line). */
EFI_STATUS file_open_esp(EFI_HANDLE image, EFI_FILE_HANDLE *root);

/*
 * Reads `path` (ASCII, backslashes, e.g. "\\quire\\kernel.elf") whole. `kind` is the
 * QUIRE_ALLOC_* to record the buffer as, or 0 for a temporary buffer the caller frees with
 * alloc_free_temp(). A file larger than `max_size` bytes (0: no limit) is refused. Returns
 * EFI_NOT_FOUND quietly when the file does not exist; every other failure is reported, naming the
 * file.
 */
EFI_STATUS file_read(EFI_FILE_HANDLE root, const char *path, uint32_t kind, UINT64 max_size,
		     struct file_data *out);
