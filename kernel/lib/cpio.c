/*
 * cpio newc parsing: see cpio.h for the format and the rules. Offsets are 64-bit and every length
 * is compared with what is left of the archive (size - pos), never added to pos first, so no sum
 * can wrap whatever the header fields say.
 */
#include "kernel/lib/cpio.h"

#include "kernel/lib/string.h"

/* Header fields after the 6-byte magic, in order; each is 8 hex digits. */
enum field {
	F_INO,
	F_MODE,
	F_UID,
	F_GID,
	F_NLINK,
	F_MTIME,
	F_FILESIZE,
	F_DEVMAJOR,
	F_DEVMINOR,
	F_RDEVMAJOR,
	F_RDEVMINOR,
	F_NAMESIZE,
	F_CHECK,
	F_COUNT
};
#define MAGIC_LEN 6u
#define FIELD_LEN 8u
_Static_assert(MAGIC_LEN + F_COUNT * FIELD_LEN == CPIO_HEADER_SIZE, "newc header is 110 bytes");

static bool parse_hex8(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < FIELD_LEN; i++) {
		uint8_t c = p[i];
		uint32_t d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = (v << 4) | d;
	}
	*out = v;
	return true;
}

static uint64_t align4(uint64_t v)
{
	return (v + 3) & ~(uint64_t)3; /* v < 2^63 here: at most pos + 110 + 2^32 */
}

/* "./a" -> "a", "." -> "", "/a" -> "a" (lookup paths only; LEADING_SLASH says whether to). */
static const char *strip_prefix(const char *name, bool leading_slash)
{
	for (;;) {
		if (name[0] == '.' && name[1] == '/')
			name += 2;
		else if (name[0] == '.' && name[1] == '\0')
			name += 1;
		else if (leading_slash && name[0] == '/')
			name += 1;
		else
			return name;
	}
}

void cpio_iter_init(struct cpio_iter *it, const void *archive, uint64_t size)
{
	*it = (struct cpio_iter){.archive = archive, .size = size, .pos = 0, .status = CPIO_OK};
}

static enum cpio_result fail(struct cpio_iter *it, enum cpio_result r)
{
	it->status = r;
	return r;
}

static enum cpio_result read_header(const uint8_t *h, bool *checked, uint32_t f[F_COUNT])
{
	if (memcmp(h, "07070", 5) != 0 || (h[5] != '1' && h[5] != '2'))
		return CPIO_BAD_MAGIC;
	*checked = h[5] == '2';
	for (unsigned i = 0; i < F_COUNT; i++)
		if (!parse_hex8(h + MAGIC_LEN + i * FIELD_LEN, &f[i]))
			return CPIO_BAD_HEX;
	return CPIO_OK;
}

/* strnlen(), which the host's strict C11 headers do not declare. */
static uint64_t name_length(const char *name, uint64_t max)
{
	uint64_t n = 0;

	while (n < max && name[n] != '\0')
		n++;
	return n;
}

static bool checksum_ok(const uint8_t *data, uint64_t size, uint32_t want)
{
	uint32_t sum = 0;

	for (uint64_t i = 0; i < size; i++)
		sum += data[i];
	return sum == want;
}

enum cpio_result cpio_next(struct cpio_iter *it, struct cpio_entry *out)
{
	uint32_t f[F_COUNT];
	bool checked;

	if (it->status != CPIO_OK)
		return it->status;
	uint64_t left = it->size - it->pos;
	if (left == 0)
		return fail(it, CPIO_NO_TRAILER);
	if (left < CPIO_HEADER_SIZE)
		return fail(it, CPIO_TRUNCATED);
	const uint8_t *h = it->archive + it->pos;
	enum cpio_result r = read_header(h, &checked, f);
	if (r != CPIO_OK)
		return fail(it, r);

	/* The name: namesize bytes after the header, the last one its NUL and no NUL before it. */
	uint64_t namesize = f[F_NAMESIZE];
	if (namesize > left - CPIO_HEADER_SIZE)
		return fail(it, CPIO_TRUNCATED);
	const char *name = (const char *)h + CPIO_HEADER_SIZE;
	if (namesize < 2 || name_length(name, namesize) != namesize - 1)
		return fail(it, CPIO_BAD_NAME);

	/* The data, 4-aligned from the archive's start; then the next header, aligned again. */
	uint64_t data_off = align4(it->pos + CPIO_HEADER_SIZE + namesize);
	uint64_t filesize = f[F_FILESIZE];
	if (data_off > it->size || filesize > it->size - data_off)
		return fail(it, CPIO_TRUNCATED);
	const uint8_t *data = it->archive + data_off;

	if (strcmp(name, CPIO_TRAILER) == 0)
		return fail(it, CPIO_END);
	if (checked && !checksum_ok(data, filesize, f[F_CHECK]))
		return fail(it, CPIO_BAD_CHECKSUM);

	uint64_t next = align4(data_off + filesize);
	/* Padding may be cut off only by the end of the archive, which the next step reports. */
	it->pos = next < it->size ? next : it->size;
	const char *stripped = strip_prefix(name, false);
	*out = (struct cpio_entry){
	    .name = stripped,
	    .name_len = namesize - 1 - (size_t)(stripped - name),
	    .mode = f[F_MODE],
	    .ino = f[F_INO],
	    .nlink = f[F_NLINK],
	    .mtime = f[F_MTIME],
	    .data = data,
	    .size = filesize,
	};
	return CPIO_OK;
}

enum cpio_result cpio_validate(const void *archive, uint64_t size, uint64_t *count)
{
	struct cpio_iter it;
	struct cpio_entry e;
	enum cpio_result r;
	uint64_t n = 0;

	cpio_iter_init(&it, archive, size);
	while ((r = cpio_next(&it, &e)) == CPIO_OK)
		n++;
	if (count != NULL)
		*count = n;
	return r == CPIO_END ? CPIO_OK : r;
}

enum cpio_result cpio_find(const void *archive, uint64_t size, const char *path,
			   struct cpio_entry *out)
{
	struct cpio_iter it;
	struct cpio_entry e;
	enum cpio_result r;

	path = strip_prefix(path, true);
	cpio_iter_init(&it, archive, size);
	while ((r = cpio_next(&it, &e)) == CPIO_OK) {
		if (strcmp(e.name, path) == 0) {
			*out = e;
			return CPIO_OK;
		}
	}
	return r == CPIO_END ? CPIO_NOT_FOUND : r;
}

bool cpio_entry_is_dir(const struct cpio_entry *e)
{
	return (e->mode & CPIO_MODE_TYPE) == CPIO_MODE_DIR;
}

bool cpio_entry_is_regular(const struct cpio_entry *e)
{
	return (e->mode & CPIO_MODE_TYPE) == CPIO_MODE_REGULAR;
}

static const char *const result_names[CPIO_RESULT_COUNT] = {
    [CPIO_OK] = "ok",
    [CPIO_END] = "end of archive",
    [CPIO_NOT_FOUND] = "not found",
    [CPIO_TRUNCATED] = "truncated",
    [CPIO_BAD_MAGIC] = "bad magic",
    [CPIO_BAD_HEX] = "bad hex digit in a header",
    [CPIO_BAD_NAME] = "bad name",
    [CPIO_BAD_CHECKSUM] = "bad checksum",
    [CPIO_NO_TRAILER] = "no trailer",
};

const char *cpio_result_name(enum cpio_result r)
{
	if ((unsigned)r >= CPIO_RESULT_COUNT)
		return "?";
	return result_names[r];
}
