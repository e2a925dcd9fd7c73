/*
 * ESP file access through the Simple File System protocol of the device the loader came from:
 * Quire's files sit beside the loader, so a machine with several disks still boots the kernel
 * that belongs to this loader. A file is read whole into fresh pages (its size from
 * EFI_FILE_INFO), in a loop because the protocol may return fewer bytes than asked.
 */
#include "bootloader/file.h"

#include <efilib.h>
#include <stddef.h>

#include "bootloader/alloc.h"
#include "bootloader/console.h"

#define PATH_MAX_CHARS 128

EFI_STATUS file_open_esp(EFI_HANDLE image, EFI_FILE_HANDLE *root)
{
	static EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
	static EFI_GUID fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
	EFI_LOADED_IMAGE *loaded;
	EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
	EFI_STATUS status = BS->HandleProtocol(image, &loaded_image_guid, (void **)&loaded);

	if (EFI_ERROR(status))
		return console_error(status, "no loaded-image protocol on the loader (%s)",
				     console_status(status));
	console_info("image base %p", loaded->ImageBase);
	status = BS->HandleProtocol(loaded->DeviceHandle, &fs_guid, (void **)&fs);
	if (EFI_ERROR(status))
		return console_error(status, "the loader's device has no FAT file system (%s)",
				     console_status(status));
	status = fs->OpenVolume(fs, root);
	if (EFI_ERROR(status))
		return console_error(status, "cannot open the ESP's root directory (%s)",
				     console_status(status));
	return EFI_SUCCESS;
}

static void widen(const char *path, CHAR16 *out)
{
	size_t i = 0;

	for (; path[i] != '\0' && i < PATH_MAX_CHARS - 1; i++)
		out[i] = (CHAR16)(unsigned char)path[i];
	out[i] = 0;
}

/* The file's size from EFI_FILE_INFO; directories are refused. */
static EFI_STATUS file_size(EFI_FILE_HANDLE file, const char *path, UINT64 *size)
{
	static EFI_GUID info_guid = EFI_FILE_INFO_ID;
	UINT64 buffer[(sizeof(EFI_FILE_INFO) + 2 * 256 + 7) / 8]; /* room for a 255-char name */
	UINTN len = sizeof(buffer);
	EFI_FILE_INFO *fi = (EFI_FILE_INFO *)buffer;
	EFI_STATUS status = file->GetInfo(file, &info_guid, &len, fi);

	if (EFI_ERROR(status))
		return console_error(status, "%s: cannot get its size (%s)", path,
				     console_status(status));
	if (fi->Attribute & EFI_FILE_DIRECTORY)
		return console_error(EFI_INVALID_PARAMETER, "%s: is a directory, not a file", path);
	*size = fi->FileSize;
	return EFI_SUCCESS;
}

static EFI_STATUS read_all(EFI_FILE_HANDLE file, const char *path, UINT8 *buffer, UINT64 size)
{
	UINT64 done = 0;

	while (done < size) {
		UINTN chunk = size - done;
		EFI_STATUS status = file->Read(file, &chunk, buffer + done);

		if (EFI_ERROR(status))
			return console_error(status,
					     "%s: read failed after %llu of %llu bytes (%s)", path,
					     (unsigned long long)done, (unsigned long long)size,
					     console_status(status));
		if (chunk == 0)
			return console_error(EFI_END_OF_FILE, "%s: ended after %llu of %llu bytes",
					     path, (unsigned long long)done,
					     (unsigned long long)size);
		done += chunk;
	}
	return EFI_SUCCESS;
}

static EFI_STATUS allocate(const char *path, uint32_t kind, struct file_data *out)
{
	out->pages = ALLOC_PAGES(out->size + 1); /* + the NUL */
	if (kind == 0)
		return alloc_temp(out->pages, path, &out->base);
	return alloc_keep(out->pages, kind, &out->base);
}

static void release(uint32_t kind, const struct file_data *f)
{
	if (kind == 0)
		alloc_free_temp(f->base, f->pages);
	else
		alloc_drop(f->base);
}

/* Reads the open `file` into a new allocation. */
static EFI_STATUS load(EFI_FILE_HANDLE file, const char *path, uint32_t kind, UINT64 max_size,
		       struct file_data *out)
{
	EFI_STATUS status = file_size(file, path, &out->size);

	if (EFI_ERROR(status))
		return status;
	if (max_size != 0 && out->size > max_size)
		return console_error(EFI_BAD_BUFFER_SIZE,
				     "%s: too large (%llu bytes, at most %llu)", path,
				     (unsigned long long)out->size, (unsigned long long)max_size);
	status = allocate(path, kind, out);
	if (EFI_ERROR(status))
		return status;
	UINT8 *bytes = (UINT8 *)(UINTN)out->base;
	status = read_all(file, path, bytes, out->size);
	if (EFI_ERROR(status)) {
		release(kind, out);
		return status;
	}
	BS->SetMem(bytes + out->size, out->pages * ALLOC_PAGE_SIZE - out->size, 0);
	return EFI_SUCCESS;
}

EFI_STATUS file_read(EFI_FILE_HANDLE root, const char *path, uint32_t kind, UINT64 max_size,
		     struct file_data *out)
{
	CHAR16 wide[PATH_MAX_CHARS];
	EFI_FILE_HANDLE file;

	widen(path, wide);
	EFI_STATUS status = root->Open(root, &file, wide, EFI_FILE_MODE_READ, 0);
	if (status == EFI_NOT_FOUND)
		return status;
	if (EFI_ERROR(status))
		return console_error(status, "%s: cannot open (%s)", path, console_status(status));
	status = load(file, path, kind, max_size, out);
	file->Close(file);
	return status;
}
