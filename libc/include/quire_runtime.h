/*
 * <quire_runtime.h>: what libc knows about the process it runs in, beyond standard C.
 *
 * crt0 (libc/crt0/crt0.c) hands the start-up block the kernel gave the process
 * (quire/startup.h) to libc before main() runs; these functions read it. The block and
 * everything it points to stay valid for the whole life of the process.
 *
 * Also here: malloc's statistics and trim, for tests that prove the heap gives its areas back.
 *
 * The names already carry the quire_ prefix, so unlike the standard ones they are the same in
 * the user build and in the host tests (libc/include/__libc.h).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "quire/startup.h"
#include "quire/syscalls.h"

/* Exit statuses libc itself uses. */
#define QUIRE_STATUS_BAD_STARTUP 127 /* crt0 found no valid start-up block */
#define QUIRE_STATUS_ABORTED     134 /* abort() (128 + SIGABRT's 6, as a shell would say) */

/* The start-up block crt0 received; NULL before crt0 has run (host tests). */
const struct quire_startup *quire_startup_info(void);

/* The handle to this process (tag QUIRE_STARTUP_SELF): what vma_map/vma_unmap take as PROCESS. */
quire_handle_t quire_self(void);

/*
 * The start-up handle with TAG (enum quire_startup_tag): for QUIRE_STARTUP_PASSED the one the
 * parent passed at position INDEX of process_spawn()'s list, for the other tags the INDEX-th one
 * of that tag (0 for the only one). QUIRE_HANDLE_INVALID when there is none.
 */
quire_handle_t quire_startup_handle(uint32_t tag, uint32_t index);

/*
 * malloc's state. An "area" is a VMA malloc created: a chunk of small blocks, the area of one
 * large block, or one of malloc's own two tables (the sorted area index and the chunk
 * descriptors). A program that has freed everything and called quire_malloc_trim() holds none.
 */
struct quire_malloc_stats {
	uint64_t areas;         /* VMAs malloc holds now: chunks + large blocks + tables */
	uint64_t bytes_mapped;  /* their total size in bytes */
	uint64_t chunks;        /* chunks of small blocks (64 KiB each) */
	uint64_t empty_chunks;  /* of those, empty ones kept as spares (at most one per class) */
	uint64_t large_blocks;  /* blocks in their own area (larger than 2048 bytes) */
	uint64_t table_areas;   /* 0, 1 or 2: malloc's own tables */
	uint64_t blocks_in_use; /* blocks allocated and not freed, small and large */
	uint64_t bytes_in_use;  /* their usable sizes */
	uint64_t areas_created; /* VMAs created since the process started */
	uint64_t areas_released;
};

/* Fills *STATS. Takes malloc's lock. */
void quire_malloc_stats(struct quire_malloc_stats *stats);

/*
 * Returns what malloc keeps without need: the empty spare chunks, and its tables when no block is
 * left. Returns the number of areas released. Takes malloc's lock.
 */
size_t quire_malloc_trim(void);

/*
 * The bytes usable at P, a block malloc returned (>= what was asked for); 0 for NULL. Like free,
 * it aborts for a pointer malloc did not return.
 */
size_t quire_malloc_usable_size(void *p);
