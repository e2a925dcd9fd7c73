/*
 * initrd: the kernel's view of the initrd, the cpio newc archive the loader put in memory
 * (boot_info's initrd_base/initrd_size; docs/boot-protocol.md). Files are found by path and read
 * in place through the linear map: nothing is copied. The archive is checked once, whole, by
 * initrd_init(); a malformed one is logged and then treated as empty, so no later lookup walks
 * into the damage.
 *
 * Locking: none. initrd_init() runs once on the boot CPU before anything looks a file up; after
 * it the state is read-only.
 */
#pragma once

#include <stdint.h>

#include <quire/boot.h>

#include "kernel/lib/kerr.h"

/*
 * initrd_init - takes the initrd from BI, checks the whole archive and logs its file list (one info
 * line per entry). No initrd, or a malformed one (logged as an error),
 * leaves an empty initrd. Boot CPU, once; never allocates.
 */
void initrd_init(const struct quire_boot_info *bi);

/*
 * initrd_attach - as initrd_init(), for an archive already in kernel memory at BASE (tests).
 * Errors: KERR_INVALID (malformed: the initrd is left empty).
 */
kerr_t initrd_attach(const void *base, uint64_t size);

/*
 * initrd_find - the regular file at PATH ("bin/init", "/bin/init" and "./bin/init" alike): its
 * bytes into *DATA and *SIZE, valid for the kernel's lifetime. Any context; never allocates.
 * Errors: KERR_NOT_FOUND (no such entry), KERR_INVALID (the entry is not a regular file).
 */
kerr_t initrd_find(const char *path, const void **data, uint64_t *size);

/* initrd_file_count - entries in the archive (files and directories), 0 when empty. */
uint64_t initrd_file_count(void);

/* initrd_base / initrd_size - the archive's bytes (NULL and 0 when empty), for tests and diagnostics. */
const void *initrd_base(void);
uint64_t initrd_size(void);

/*
 * initrd_for_each_file - calls FN(CTX, PATH) for each regular file, in archive order, PATH as
 * stored (no leading "/"; NUL-terminated, valid for the kernel's lifetime). Any context; never
 * allocates.
 */
void initrd_for_each_file(void (*fn)(void *ctx, const char *path), void *ctx);
