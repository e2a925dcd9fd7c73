/*
 * Memory map and exit from boot services. The model: one firmware-map buffer and one Quire-map
 * array, both sized with slack (MAP_SLACK descriptors) while allocating is still allowed, then a
 * tight loop of GetMemoryMap, conversion and ExitBootServices that allocates nothing. A stale key
 * (EFI_INVALID_PARAMETER: some event changed the map in between) means "get the map again and
 * retry"; after a failed ExitBootServices only memory services may be called, so from then on
 * the loader speaks through COM1 alone. If the map outgrows the buffers, they are replaced
 * (memory services are still allowed) and the loop goes on, within the same attempt bound.
 */
#include "bootloader/memmap.h"

#include <efilib.h>
#include <stddef.h>

#include "bootloader/alloc.h"
#include "bootloader/console.h"
#include "bootloader/cpu.h"
#include "bootloader/memmap_convert.h"

/* Descriptors of headroom: each allocation after the size query can split a free range in two,
 * and the loader makes a handful; firmware events may add a few more. */
#define MAP_SLACK      32
/* GetMemoryMap calls before a snapshot gives up on a map that grows under its feet. */
#define SNAPSHOT_TRIES 4

_Static_assert(sizeof(EFI_MEMORY_DESCRIPTOR) == sizeof(struct uefi_memory_descriptor),
	       "memmap_convert.h mirrors EFI_MEMORY_DESCRIPTOR");

static EFI_STATUS get_map(struct memmap *m)
{
	m->size = m->buffer_pages * ALLOC_PAGE_SIZE;
	return BS->GetMemoryMap(&m->size, (EFI_MEMORY_DESCRIPTOR *)(UINTN)m->buffer, &m->key,
				&m->desc_size, &m->desc_version);
}

/* Replaces the buffer with one for `needed` bytes plus slack; m->desc_size must be known. */
static EFI_STATUS grow_buffer(struct memmap *m, UINTN needed)
{
	if (m->buffer != 0)
		alloc_free_temp(m->buffer, m->buffer_pages);
	m->buffer = 0;
	m->buffer_pages = ALLOC_PAGES(needed + MAP_SLACK * m->desc_size);
	EFI_STATUS status = alloc_temp(m->buffer_pages, "the memory map", &m->buffer);
	if (EFI_ERROR(status))
		m->buffer_pages = 0;
	return status;
}

EFI_STATUS memmap_snapshot(struct memmap *m)
{
	for (int tries = 0; tries < SNAPSHOT_TRIES; tries++) {
		EFI_STATUS status = get_map(m);

		if (status == EFI_SUCCESS) {
			console_info("memory map: %llu descriptors of %llu bytes",
				     (unsigned long long)(m->size / m->desc_size),
				     (unsigned long long)m->desc_size);
			return EFI_SUCCESS;
		}
		if (status != EFI_BUFFER_TOO_SMALL)
			return console_error(status, "GetMemoryMap failed (%s)",
					     console_status(status));
		status = grow_buffer(m, m->size);
		if (EFI_ERROR(status))
			return status;
	}
	return console_error(EFI_BUFFER_TOO_SMALL, "the memory map keeps growing");
}

uint64_t memmap_ram_end(const struct memmap *m)
{
	return memmap_convert_ram_end((const void *)(UINTN)m->buffer, m->size, m->desc_size);
}

void memmap_release(struct memmap *m)
{
	if (m->buffer != 0)
		alloc_free_temp(m->buffer, m->buffer_pages);
	m->buffer = 0;
	m->buffer_pages = 0;
}

static size_t range_capacity(const struct memmap *m)
{
	size_t descriptors = m->buffer_pages * ALLOC_PAGE_SIZE / m->desc_size;

	return memmap_convert_capacity(descriptors);
}

EFI_STATUS memmap_reserve(struct memmap *m)
{
	if (m->ranges != 0)
		alloc_drop(m->ranges);
	m->ranges = 0;
	m->range_pages = ALLOC_PAGES(range_capacity(m) * sizeof(struct quire_mem_range));
	return alloc_keep(m->range_pages, QUIRE_ALLOC_BOOT_INFO, &m->ranges);
}

/* The map outgrew the buffers between two attempts: replace both. */
static EFI_STATUS regrow(struct memmap *m)
{
	EFI_STATUS status = grow_buffer(m, m->size);

	if (!EFI_ERROR(status))
		status = memmap_reserve(m);
	return status;
}

static EFI_STATUS convert(struct memmap *m, struct quire_boot_info *info)
{
	size_t count;
	enum memmap_convert_result r =
	    memmap_convert((const void *)(UINTN)m->buffer, m->size, m->desc_size,
			   (struct quire_mem_range *)(UINTN)m->ranges, range_capacity(m), &count);

	if (r != MEMMAP_CONVERT_OK)
		return console_error(EFI_LOAD_ERROR, "cannot convert the memory map (%s)",
				     r == MEMMAP_CONVERT_NO_ROOM ? "no room"
								 : "bad descriptor size");
	info->memory_map = m->ranges;
	info->memory_map_count = (uint32_t)count;
	info->memory_map_entry_size = sizeof(struct quire_mem_range);
	return EFI_SUCCESS;
}

enum outcome { EXITED, RETRY, FAILED };

/* One try: final map, conversion, ExitBootServices. Failures are reported here. */
static enum outcome attempt(struct memmap *m, EFI_HANDLE image, uint32_t stale_keys,
			    struct quire_boot_info *info, EFI_STATUS *status)
{
	*status = get_map(m);
	if (*status == EFI_BUFFER_TOO_SMALL) {
		console_info("memory map: outgrew its buffer, retrying with a larger one");
		*status = regrow(m);
		return EFI_ERROR(*status) ? FAILED : RETRY;
	}
	if (EFI_ERROR(*status)) {
		console_error(*status, "GetMemoryMap failed (%s)", console_status(*status));
		return FAILED;
	}
	*status = convert(m, info);
	if (EFI_ERROR(*status))
		return FAILED;
	if (info->exit_boot_services_attempts == 0)
		info->tsc.before_exit_boot_services = cpu_rdtsc();
	uint32_t n = ++info->exit_boot_services_attempts;
	*status = BS->ExitBootServices(image, n <= stale_keys ? m->key + 1 : m->key);
	console_boot_services_ending();
	if (*status == EFI_SUCCESS)
		return EXITED;
	if (*status == EFI_INVALID_PARAMETER) {
		console_info("ExitBootServices attempt %u: stale memory map key, retrying", n);
		return RETRY;
	}
	console_error(*status, "ExitBootServices failed (%s)", console_status(*status));
	return FAILED;
}

EFI_STATUS memmap_exit_boot_services(struct memmap *m, EFI_HANDLE image, uint32_t stale_keys,
				     struct quire_boot_info *info)
{
	EFI_STATUS status = EFI_SUCCESS;

	for (int tries = 0; tries < MEMMAP_EXIT_ATTEMPTS; tries++) {
		enum outcome o = attempt(m, image, stale_keys, info, &status);

		if (o == EXITED)
			return EFI_SUCCESS;
		if (o == FAILED)
			return status;
	}
	return console_error(EFI_ABORTED, "ExitBootServices: no success in %u attempts",
			     MEMMAP_EXIT_ATTEMPTS);
}
