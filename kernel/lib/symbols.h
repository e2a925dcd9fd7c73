/*
 * Symbol lookup: address -> "function+offset", for backtraces and exception reports.
 *
 * Model: a table of function start addresses sorted in ascending order, each with the offset of
 * its NUL-terminated name in a string pool. Addresses are stored as 32-bit offsets from a base
 * (the kernel fits in its top 2 GiB), so an entry is 8 bytes. An address belongs to the last
 * symbol at or below it, provided it lies below the table's end (the end of the kernel's text);
 * addresses below the first symbol or at/after the end belong to no symbol.
 *
 * The kernel's own table is generated at build time by tools/gensyms.sh as a blob (layout below)
 * and parsed once by symbols_parse(), which checks everything lookup relies on, so a lookup can
 * never read outside the blob. Everything here is pure and host-tested.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/kerr.h"

/* "QSYM" read as a little-endian 32-bit word. */
#define SYMBOLS_MAGIC   0x4d595351u
#define SYMBOLS_VERSION 1u

/* The blob: this header, then entries[count], then the string pool of names_size bytes. */
struct symbols_blob_header {
	uint32_t magic;   /* SYMBOLS_MAGIC */
	uint32_t version; /* SYMBOLS_VERSION */
	uint64_t base;    /* the address entry offsets are relative to */
	uint64_t end;     /* the first address past the last symbol's code */
	uint32_t count;   /* number of entries */
	uint32_t names_size;
};
_Static_assert(sizeof(struct symbols_blob_header) == 32, "symbols blob header layout");

struct symbols_entry {
	uint32_t offset; /* address - base */
	uint32_t name;   /* offset of the name in the string pool */
};
_Static_assert(sizeof(struct symbols_entry) == 8, "symbols entry layout");

struct symbols_table {
	uint64_t base;
	uint64_t end;
	const struct symbols_entry *entries; /* sorted by offset, strictly ascending */
	uint32_t count;
	const char *names; /* every entries[i].name < names_size, names[names_size - 1] == 0 */
	uint32_t names_size;
};

struct symbols_match {
	const char *name;
	uint64_t start;  /* the symbol's address */
	uint64_t offset; /* the looked-up address minus start */
};

/*
 * symbols_lookup - finds the symbol containing ADDR in TABLE by binary search and fills *MATCH.
 * Returns false, leaving *MATCH untouched, when ADDR lies before the first symbol, at or after
 * table->end, or the table is empty. TABLE must satisfy the invariants above (symbols_parse()
 * guarantees them). Pure: no locks, no allocation.
 */
bool symbols_lookup(const struct symbols_table *table, uint64_t addr, struct symbols_match *match);

/*
 * symbols_parse - checks the blob of SIZE bytes at BLOB and describes it in *TABLE, which then
 * points into the blob. Errors: KERR_INVALID when the magic or version is wrong, the parts do not
 * fit in SIZE, the entries are not strictly ascending, a name offset is out of the pool, the pool is
 * not NUL-terminated, or the end lies below the last symbol. BLOB must be 8-byte aligned.
 */
kerr_t symbols_parse(const void *blob, size_t size, struct symbols_table *table);
