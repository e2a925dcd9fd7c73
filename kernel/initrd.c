/*
 * The initrd: see initrd.h. The archive is parsed by kernel/lib/cpio.c, which is host-tested.
 */
#include "kernel/initrd.h"

#include <stddef.h>

#include "kernel/lib/cpio.h"
#include "kernel/lib/log.h"
#include "kernel/memory/phys.h"

static const void *archive;   /* NULL when there is no (valid) initrd */
static uint64_t archive_size; /* bytes */
static uint64_t entries;      /* before the trailer */

static void log_entries(void)
{
	struct cpio_iter it;
	struct cpio_entry e;

	cpio_iter_init(&it, archive, archive_size);
	while (cpio_next(&it, &e) == CPIO_OK)
		log_info("initrd:   %s /%s (%llu bytes)",
			 cpio_entry_is_dir(&e)       ? "dir "
			 : cpio_entry_is_regular(&e) ? "file"
						     : "other",
			 e.name, (unsigned long long)e.size);
}

kerr_t initrd_attach(const void *base, uint64_t size)
{
	uint64_t count;
	enum cpio_result r = cpio_validate(base, size, &count);

	if (r != CPIO_OK) {
		log_error("initrd: malformed archive (%s after %llu entries): ignored",
			  cpio_result_name(r), (unsigned long long)count);
		archive = NULL;
		archive_size = entries = 0;
		return KERR_INVALID;
	}
	archive = base;
	archive_size = size;
	entries = count;
	log_info("initrd: %llu entries in %llu bytes", (unsigned long long)count,
		 (unsigned long long)size);
	log_entries();
	return KERR_OK;
}

void initrd_init(const struct quire_boot_info *bi)
{
	if (bi->initrd_size == 0) {
		log_warn("initrd: none");
		return;
	}
	/* An error is logged there; the kernel goes on with an empty initrd. */
	kerr_t err = initrd_attach(phys_to_virt(bi->initrd_base), bi->initrd_size);
	(void)err;
}

kerr_t initrd_find(const char *path, const void **data, uint64_t *size)
{
	struct cpio_entry e;

	if (archive == NULL)
		return KERR_NOT_FOUND;
	enum cpio_result r = cpio_find(archive, archive_size, path, &e);
	if (r != CPIO_OK)
		return KERR_NOT_FOUND; /* validated at attach: only CPIO_NOT_FOUND is possible */
	if (!cpio_entry_is_regular(&e))
		return KERR_INVALID;
	*data = e.data;
	*size = e.size;
	return KERR_OK;
}

uint64_t initrd_file_count(void)
{
	return entries;
}

const void *initrd_base(void)
{
	return archive;
}

uint64_t initrd_size(void)
{
	return archive_size;
}

void initrd_for_each_file(void (*fn)(void *ctx, const char *path), void *ctx)
{
	struct cpio_iter it;
	struct cpio_entry e;

	if (archive == NULL)
		return;
	cpio_iter_init(&it, archive, archive_size);
	while (cpio_next(&it, &e) == CPIO_OK)
		if (cpio_entry_is_regular(&e))
			fn(ctx, e.name);
}
