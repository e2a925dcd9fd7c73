/*
 * Host tests of kernel/lib/cpio.c on newc archives built here byte by byte:
 * - a good archive (070701 and 070702 entries, "./" names, a directory, an empty file, data of
 *   every length mod 4) lists, validates and finds every entry, "./a", "a" and "/a" alike;
 * - each rejection (bad magic, non-hex digit, namesize 0/1, no NUL, NUL inside the name, name or
 *   data past the end, a huge filesize that would wrap, bad checksum, no trailer) on its own;
 * - corruption sweeps: every byte of a small archive set to several values, every truncation
 *   length, and random multi-byte damage. Each run ends in an error or a valid result whose
 *   entries lie inside the archive; the archive is an exact-size heap copy, so AddressSanitizer
 *   catches any read past it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/cpio.h"
#include "test/unit/test_kernel_rng.h"

struct archive {
	uint8_t buf[8192];
	size_t len;
};

static void put(struct archive *a, const void *p, size_t n)
{
	assert_true(a->len + n <= sizeof(a->buf));
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void pad4(struct archive *a)
{
	while (a->len % 4 != 0)
		put(a, "", 1);
}

/* One entry; MAGIC "070701" or "070702" (the checksum is then computed). */
static void add(struct archive *a, const char *magic, const char *name, uint32_t mode,
		const void *data, size_t size)
{
	char hdr[CPIO_HEADER_SIZE + 1];
	uint32_t sum = 0;

	for (size_t i = 0; i < size; i++)
		sum += ((const uint8_t *)data)[i];
	if (strcmp(magic, "070701") == 0)
		sum = 0;
	snprintf(hdr, sizeof(hdr), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", magic,
		 1u, mode, 0u, 0u, 1u, 0u, (unsigned)size, 0u, 0u, 0u, 0u,
		 (unsigned)strlen(name) + 1, sum);
	put(a, hdr, CPIO_HEADER_SIZE);
	put(a, name, strlen(name) + 1);
	pad4(a);
	put(a, data, size);
	pad4(a);
}

static void trailer(struct archive *a)
{
	add(a, "070701", CPIO_TRAILER, 0, "", 0);
}

static const char readme[] = "Quire initrd\n";
static const char five[] = "12345";

/* The good archive: 6 entries and the trailer, then block padding like cpio's. */
static void build_good(struct archive *a)
{
	memset(a, 0, sizeof(*a));
	add(a, "070701", ".", CPIO_MODE_DIR | 0755, "", 0);
	add(a, "070701", "./README", CPIO_MODE_REGULAR | 0644, readme, strlen(readme));
	add(a, "070701", "./bin", CPIO_MODE_DIR | 0755, "", 0);
	add(a, "070702", "./bin/five", CPIO_MODE_REGULAR | 0755, five, 5);
	add(a, "070701", "empty", CPIO_MODE_REGULAR | 0644, "", 0);
	add(a, "070702", "bin/six", CPIO_MODE_REGULAR | 0644, "abcdef", 6);
	trailer(a);
	while (a->len % 512 != 0)
		put(a, "", 1);
}

/* An exact-size heap copy of the first LEN bytes, so ASan sees reads past the end. */
static uint8_t *copy_of(const struct archive *a, size_t len)
{
	uint8_t *p = malloc(len == 0 ? 1 : len);
	assert_non_null(p);
	memcpy(p, a->buf, len);
	return p;
}

static void test_good_archive_lists(void **state)
{
	struct archive a;
	struct cpio_iter it;
	struct cpio_entry e;
	static const char *const names[] = {"", "README", "bin", "bin/five", "empty", "bin/six"};
	uint64_t count;

	(void)state;
	build_good(&a);
	uint8_t *p = copy_of(&a, a.len);
	cpio_iter_init(&it, p, a.len);
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(cpio_next(&it, &e), CPIO_OK);
		assert_string_equal(e.name, names[i]);
		assert_int_equal(e.name_len, strlen(names[i]));
	}
	assert_int_equal(cpio_next(&it, &e), CPIO_END);
	assert_int_equal(cpio_next(&it, &e), CPIO_END); /* sticky */
	assert_int_equal(cpio_validate(p, a.len, &count), CPIO_OK);
	assert_int_equal(count, 6);
	free(p);
}

static void test_find(void **state)
{
	struct archive a;
	struct cpio_entry e;

	(void)state;
	build_good(&a);
	uint8_t *p = copy_of(&a, a.len);
	static const char *const readmes[] = {"README", "./README", "/README", "/./README"};
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(cpio_find(p, a.len, readmes[i], &e), CPIO_OK);
		assert_int_equal(e.size, strlen(readme));
		assert_memory_equal(e.data, readme, strlen(readme));
		assert_true(cpio_entry_is_regular(&e));
		assert_false(cpio_entry_is_dir(&e));
		assert_int_equal((uintptr_t)e.data % 4, (uintptr_t)p % 4);
	}
	assert_int_equal(cpio_find(p, a.len, "bin", &e), CPIO_OK);
	assert_true(cpio_entry_is_dir(&e));
	assert_int_equal(cpio_find(p, a.len, "/bin/five", &e), CPIO_OK);
	assert_int_equal(e.size, 5);
	assert_memory_equal(e.data, five, 5);
	assert_int_equal(e.mode & 0777, 0755);
	assert_int_equal(cpio_find(p, a.len, "bin/six", &e), CPIO_OK);
	assert_memory_equal(e.data, "abcdef", 6);
	assert_int_equal(cpio_find(p, a.len, "empty", &e), CPIO_OK);
	assert_int_equal(e.size, 0);
	assert_int_equal(cpio_find(p, a.len, "bin/fiv", &e), CPIO_NOT_FOUND);
	assert_int_equal(cpio_find(p, a.len, "READMEX", &e), CPIO_NOT_FOUND);
	assert_int_equal(cpio_find(p, a.len, CPIO_TRAILER, &e), CPIO_NOT_FOUND);
	free(p);
}

/* The result of validating A after MUTATE changed it. */
static enum cpio_result validate(const struct archive *a)
{
	uint8_t *p = copy_of(a, a->len);
	enum cpio_result r = cpio_validate(p, a->len, NULL);
	free(p);
	return r;
}

/* A one-file archive whose header field FIELD (0 = ino ... 12 = check) is set to TEXT. */
static void one_file_with_field(struct archive *a, unsigned field, const char *text)
{
	memset(a, 0, sizeof(*a));
	add(a, "070701", "f", CPIO_MODE_REGULAR | 0644, "data", 4);
	trailer(a);
	memcpy(a->buf + 6 + field * 8, text, 8);
}

static void test_rejections(void **state)
{
	struct archive a;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(cpio_validate(NULL, 0, NULL), CPIO_NO_TRAILER);

	one_file_with_field(&a, 0, "00000001");
	assert_int_equal(validate(&a), CPIO_OK); /* the control */
	a.buf[5] = '7';
	assert_int_equal(validate(&a), CPIO_BAD_MAGIC);
	one_file_with_field(&a, 0, "0000000g");
	assert_int_equal(validate(&a), CPIO_BAD_HEX);
	one_file_with_field(&a, 1, " 0000001");
	assert_int_equal(validate(&a), CPIO_BAD_HEX);
	one_file_with_field(&a, 11, "00000000"); /* namesize 0 */
	assert_int_equal(validate(&a), CPIO_BAD_NAME);
	one_file_with_field(&a, 11, "00000001"); /* only the NUL */
	assert_int_equal(validate(&a), CPIO_BAD_NAME);
	one_file_with_field(&a, 11, "00000003"); /* "f\0" + one: no NUL at the end */
	assert_int_equal(validate(&a), CPIO_BAD_NAME);
	one_file_with_field(&a, 11, "00001000"); /* name past the end */
	assert_int_equal(validate(&a), CPIO_TRUNCATED);
	one_file_with_field(&a, 11, "FFFFFFFF");
	assert_int_equal(validate(&a), CPIO_TRUNCATED);
	one_file_with_field(&a, 6, "00000100"); /* data past the end */
	assert_int_equal(validate(&a), CPIO_TRUNCATED);
	one_file_with_field(&a, 6, "FFFFFFFF");
	assert_int_equal(validate(&a), CPIO_TRUNCATED);

	/* A NUL inside the name. */
	memset(&a, 0, sizeof(a));
	add(&a, "070701", "ab", CPIO_MODE_REGULAR, "x", 1);
	trailer(&a);
	a.buf[CPIO_HEADER_SIZE] = '\0';
	assert_int_equal(validate(&a), CPIO_BAD_NAME);

	/* A checksum that does not match; the same bytes under 070701 are not checked. */
	memset(&a, 0, sizeof(a));
	add(&a, "070702", "c", CPIO_MODE_REGULAR, "xyz", 3);
	trailer(&a);
	assert_int_equal(validate(&a), CPIO_OK);
	a.buf[CPIO_HEADER_SIZE + 4] ^= 1; /* the data, after "c\0" and padding to 112 */
	assert_int_equal(validate(&a), CPIO_BAD_CHECKSUM);
	a.buf[5] = '1';
	assert_int_equal(validate(&a), CPIO_OK);

	/* No trailer: the archive ends at an entry boundary, or the file's padding is cut off. */
	memset(&a, 0, sizeof(a));
	add(&a, "070701", "f", CPIO_MODE_REGULAR, "x", 1);
	assert_int_equal(validate(&a), CPIO_NO_TRAILER);
	a.len -= 3;
	assert_int_equal(validate(&a), CPIO_NO_TRAILER);
	a.len -= 1;
	assert_int_equal(validate(&a), CPIO_TRUNCATED);

	/* A header cut short. */
	memset(&a, 0, sizeof(a));
	trailer(&a);
	a.len = CPIO_HEADER_SIZE - 1;
	assert_int_equal(validate(&a), CPIO_TRUNCATED);

	assert_string_equal(cpio_result_name(CPIO_BAD_MAGIC), "bad magic");
	assert_string_equal(cpio_result_name(CPIO_RESULT_COUNT), "?");
	for (unsigned r = 0; r < CPIO_RESULT_COUNT; r++)
		assert_non_null(cpio_result_name((enum cpio_result)r));
}

/* Walks P fully and checks every entry it yields lies inside it. */
static enum cpio_result walk_checked(const uint8_t *p, size_t len)
{
	struct cpio_iter it;
	struct cpio_entry e;
	enum cpio_result r;

	cpio_iter_init(&it, p, len);
	while ((r = cpio_next(&it, &e)) == CPIO_OK) {
		const uint8_t *name = (const uint8_t *)e.name;
		const uint8_t *data = e.data;
		assert_true(name >= p && name + e.name_len < p + len);
		assert_int_equal(name[e.name_len], 0);
		assert_true(data >= p && data <= p + len && e.size <= (uint64_t)(p + len - data));
	}
	assert_true(r > CPIO_OK && r < CPIO_RESULT_COUNT && r != CPIO_NOT_FOUND);
	struct cpio_entry f;
	enum cpio_result fr = cpio_find(p, len, "bin/six", &f);
	assert_true(fr < CPIO_RESULT_COUNT && fr != CPIO_END);
	return r;
}

static void test_every_byte_flipped(void **state)
{
	struct archive a;
	static const uint8_t values[] = {0x00, '0', '7', '9', 'f', 'F', 'g', 0xff};
	unsigned ok = 0, bad = 0;

	(void)state;
	build_good(&a);
	size_t len = a.len;
	for (size_t i = 0; i < len; i++) {
		for (unsigned v = 0; v < sizeof(values) + 1; v++) {
			uint8_t *p = copy_of(&a, len);
			p[i] = v < sizeof(values) ? values[v] : (uint8_t)(p[i] ^ 0x01);
			if (walk_checked(p, len) == CPIO_END)
				ok++;
			else
				bad++;
			free(p);
		}
	}
	printf("# flips: %u valid, %u rejected\n", ok, bad);
	assert_true(bad > 0 && ok > 0);
}

static void test_every_truncation(void **state)
{
	struct archive a;

	(void)state;
	build_good(&a);
	size_t full = a.len;
	size_t trailer_end = 0;
	for (size_t len = 0; len <= full; len++) {
		uint8_t *p = copy_of(&a, len);
		enum cpio_result r = walk_checked(p, len);
		if (r == CPIO_END && trailer_end == 0)
			trailer_end = len;
		/* Valid exactly once the trailer's header and name are there. */
		assert_true((r == CPIO_END) == (trailer_end != 0 && len >= trailer_end));
		free(p);
	}
	assert_true(trailer_end > 0 && trailer_end < full);
}

static void test_random_damage(void **state)
{
	struct archive a;
	struct test_rng rng = test_rng_seeded("cpio random damage");

	(void)state;
	build_good(&a);
	for (unsigned round = 0; round < 20000; round++) {
		size_t len = 1 + test_rng_next(&rng) % a.len;
		uint8_t *p = copy_of(&a, len);
		unsigned hits = 1 + test_rng_next(&rng) % 6;
		for (unsigned h = 0; h < hits; h++)
			p[test_rng_next(&rng) % len] = (uint8_t)test_rng_next(&rng);
		(void)walk_checked(p, len);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_archive_lists), cmocka_unit_test(test_find),
	    cmocka_unit_test(test_rejections),         cmocka_unit_test(test_every_byte_flipped),
	    cmocka_unit_test(test_every_truncation),   cmocka_unit_test(test_random_damage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
