/*
 * cpio: a reader of "newc" cpio archives (the initrd's format), in place and without allocating.
 *
 * Model: an archive is a run of entries, each a 110-byte ASCII header (magic "070701", or
 * "070702" when the header carries a checksum of the data, then 13 fields of 8 hex digits), the
 * entry's name with its NUL (the header's namesize counts it), padding to a multiple of 4 bytes
 * from the start of the archive, the data (filesize bytes), and padding to 4 again. An entry
 * named "TRAILER!!!" ends the archive; whatever follows it (cpio pads to 512-byte blocks) is not
 * read. Names are stored as the archiver got them, often with a leading "./"; cpio_entry.name has
 * it stripped, so "./bin/init", "bin/init" and the lookup path "/bin/init" all name one file.
 *
 * Every step is checked against the archive's size before a byte is read, in 64-bit arithmetic
 * that cannot overflow, so a malformed or truncated archive gives an error, never a read outside
 * it. The parser is pure C: the host unit tests run the exact code the kernel runs.
 *
 * Hard links (newc stores the data with the last link only) and device files are reported as
 * entries but nothing resolves them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPIO_HEADER_SIZE 110u
#define CPIO_TRAILER     "TRAILER!!!"

/* File types in cpio_entry.mode (the st_mode bits, as in POSIX <sys/stat.h>). */
#define CPIO_MODE_TYPE    0170000u
#define CPIO_MODE_DIR     0040000u
#define CPIO_MODE_REGULAR 0100000u
#define CPIO_MODE_SYMLINK 0120000u

/* What a step of the parser found. CPIO_OK is zero; cpio_result_name() names every value. */
enum cpio_result {
	CPIO_OK = 0,
	CPIO_END,          /* the trailer: no more entries */
	CPIO_NOT_FOUND,    /* cpio_find(): no entry of that name */
	CPIO_TRUNCATED,    /* a header, name or data runs past the end of the archive */
	CPIO_BAD_MAGIC,    /* a header does not start with 070701 or 070702 */
	CPIO_BAD_HEX,      /* a header field holds a character that is not a hex digit */
	CPIO_BAD_NAME,     /* namesize 0 or 1 (no name), or no NUL at namesize - 1, or one before */
	CPIO_BAD_CHECKSUM, /* a 070702 entry's data does not sum to its check field */
	CPIO_NO_TRAILER,   /* the archive ends at an entry boundary without a trailer */
	CPIO_RESULT_COUNT
};

/* One entry, pointing into the archive. Valid as long as the archive is. */
struct cpio_entry {
	const char *name; /* NUL-terminated, without a leading "./" ("." itself becomes "") */
	size_t name_len;  /* strlen(name) */
	uint32_t mode;    /* type and permission bits */
	uint32_t ino;
	uint32_t nlink;
	uint32_t mtime;
	const void *data; /* filesize bytes */
	uint64_t size;
};

/* The parser's position. Once a step fails, every later step returns the same error. */
struct cpio_iter {
	const uint8_t *archive;
	uint64_t size;
	uint64_t pos;            /* offset of the next header */
	enum cpio_result status; /* CPIO_OK while entries may follow; else sticky */
};

/* cpio_iter_init - an iterator over the SIZE bytes at ARCHIVE (NULL only when SIZE is 0). Pure. */
void cpio_iter_init(struct cpio_iter *it, const void *archive, uint64_t size);

/*
 * cpio_next - the next entry into *OUT: CPIO_OK, or CPIO_END after the last one (the trailer), or
 * the error that stopped the walk (*OUT is then untouched). Pure; never allocates.
 */
enum cpio_result cpio_next(struct cpio_iter *it, struct cpio_entry *out);

/*
 * cpio_validate - walks the whole archive to its trailer; *COUNT (may be NULL) gets the number of
 * entries before the trailer. CPIO_OK or the first error. An empty archive (SIZE 0) is
 * CPIO_NO_TRAILER. Pure.
 */
enum cpio_result cpio_validate(const void *archive, uint64_t size, uint64_t *count);

/*
 * cpio_find - the first entry named PATH (a leading "/" or "./" of PATH is ignored) into *OUT.
 * CPIO_OK, CPIO_NOT_FOUND when the walk reached the trailer without it, or the error that stopped
 * the walk first. Pure.
 */
enum cpio_result cpio_find(const void *archive, uint64_t size, const char *path,
			   struct cpio_entry *out);

/* cpio_entry_is_dir / cpio_entry_is_regular - the entry's type, from its mode. */
bool cpio_entry_is_dir(const struct cpio_entry *e);
bool cpio_entry_is_regular(const struct cpio_entry *e);

/* cpio_result_name - "truncated" etc.; "?" for an out-of-range value. Pure. */
const char *cpio_result_name(enum cpio_result r);
