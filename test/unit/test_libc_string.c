/*
 * Host tests of libc's <string.h> and <ctype.h> (libc/string/, libc/ctype/): each function against
 * the host C library's on random buffers, at every source and destination alignment and every
 * length from 0 to 300, memmove over overlapping ranges in both directions.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen, strtok_r in the host library */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "libc/include/ctype.h"
#include "libc/include/string.h"
#include "test/unit/test_kernel_rng.h"

#define MAX_LEN 300
#define AREA    (MAX_LEN + 64)

static void fill_random(struct test_rng *rng, unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)test_rng_next(rng);
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void test_memcpy_memset(void **state)
{
	struct test_rng rng = test_rng_seeded("libc_string memcpy");
	unsigned char src[AREA], want[AREA], got[AREA];

	for (size_t len = 0; len <= MAX_LEN; len++) {
		for (size_t s = 0; s < 8; s++) {
			for (size_t d = 0; d < 8; d++) {
				fill_random(&rng, src, AREA);
				fill_random(&rng, want, AREA);
				memcpy(got, want, AREA);
				memcpy(want + d, src + s, len);
				assert_ptr_equal(quire_memcpy(got + d, src + s, len), got + d);
				assert_memory_equal(got, want, AREA);

				int c = (int)test_rng_below(&rng, 512) - 128;
				memset(want + d, c, len);
				assert_ptr_equal(quire_memset(got + d, c, len), got + d);
				assert_memory_equal(got, want, AREA);
			}
		}
	}
}

static void test_memmove_overlapping(void **state)
{
	struct test_rng rng = test_rng_seeded("libc_string memmove");
	unsigned char want[AREA], got[AREA];

	for (size_t len = 0; len <= MAX_LEN; len++) {
		for (int i = 0; i < 40; i++) {
			size_t s = test_rng_below(&rng, AREA - len + 1);
			size_t d = test_rng_below(&rng, AREA - len + 1);
			if (i < 16) /* the tight overlaps, both directions, every alignment */
				d = s + (size_t)i - 8 < AREA - len ? s + (size_t)i - 8 : s;
			fill_random(&rng, want, AREA);
			memcpy(got, want, AREA);
			memmove(want + d, want + s, len);
			assert_ptr_equal(quire_memmove(got + d, got + s, len), got + d);
			assert_memory_equal(got, want, AREA);
		}
	}
}

static void test_memcmp_memchr(void **state)
{
	struct test_rng rng = test_rng_seeded("libc_string memcmp");
	unsigned char a[AREA], b[AREA];

	for (size_t len = 0; len <= MAX_LEN; len++) {
		for (size_t off = 0; off < 8; off++) {
			fill_random(&rng, a, AREA);
			memcpy(b, a, AREA);
			if (len > 0 && test_rng_below(&rng, 4) != 0)
				b[off + test_rng_below(&rng, len)] ^=
				    (unsigned char)(1 + test_rng_below(&rng, 255));
			assert_int_equal(sign(quire_memcmp(a + off, b + off, len)),
					 sign(memcmp(a + off, b + off, len)));
			int c = (int)a[off + test_rng_below(&rng, len + 1)] +
				(int)test_rng_below(&rng, 2) * 256;
			assert_ptr_equal(quire_memchr(a + off, c, len), memchr(a + off, c, len));
		}
	}
}

/* A random NUL-terminated string of length len over a small alphabet, so searches find things. */
static void random_string(struct test_rng *rng, char *p, size_t len, const char *alphabet)
{
	size_t n = strlen(alphabet);

	for (size_t i = 0; i < len; i++)
		p[i] = alphabet[test_rng_below(rng, n)];
	p[len] = '\0';
}

static void test_str_searching(void **state)
{
	struct test_rng rng = test_rng_seeded("libc_string search");
	char s[AREA], t[AREA];

	for (size_t len = 0; len <= MAX_LEN; len++) {
		for (size_t off = 0; off < 8; off++) {
			char *p = s + off;
			random_string(&rng, p, len, "abcd\x80\xff");
			random_string(&rng, t, test_rng_below(&rng, 4), "abcd\xff");
			assert_int_equal(quire_strlen(p), strlen(p));
			size_t max = test_rng_below(&rng, MAX_LEN + 2);
			assert_int_equal(quire_strnlen(p, max), strnlen(p, max));
			int c = "abcde\x80\0"[test_rng_below(&rng, 7)];
			assert_ptr_equal(quire_strchr(p, c), strchr(p, c));
			assert_ptr_equal(quire_strrchr(p, c), strrchr(p, c));
			assert_ptr_equal(quire_strstr(p, t), strstr(p, t));
			assert_int_equal(quire_strspn(p, t), strspn(p, t));
			assert_int_equal(quire_strcspn(p, t), strcspn(p, t));
			assert_ptr_equal(quire_strpbrk(p, t), strpbrk(p, t));
		}
	}
}

static void test_str_comparing(void **state)
{
	struct test_rng rng = test_rng_seeded("libc_string compare");
	char a[AREA], b[AREA];

	for (size_t len = 0; len <= MAX_LEN; len++) {
		for (int i = 0; i < 8; i++) {
			random_string(&rng, a, len, "ab\x90");
			memcpy(b, a, len + 1);
			if (len > 0 && i % 4 != 0)
				b[test_rng_below(&rng, len)] = "ab\x90\0"[test_rng_below(&rng, 4)];
			size_t n = test_rng_below(&rng, len + 3);
			assert_int_equal(sign(quire_strcmp(a, b)), sign(strcmp(a, b)));
			assert_int_equal(sign(quire_strncmp(a, b, n)), sign(strncmp(a, b, n)));
		}
	}
}

static void test_str_copying(void **state)
{
	struct test_rng rng = test_rng_seeded("libc_string copy");
	char src[AREA], want[2 * AREA], got[2 * AREA];

	for (size_t len = 0; len <= MAX_LEN; len++) {
		size_t off = len % 8, n = test_rng_below(&rng, len + 8);
		size_t head = test_rng_below(&rng, 40);
		random_string(&rng, src + off, len, "xyz");
		memset(want, '#', sizeof(want));
		memset(got, '#', sizeof(got));

		assert_ptr_equal(quire_strcpy(got + 1, src + off), got + 1);
		strcpy(want + 1, src + off);
		assert_memory_equal(got, want, sizeof(got));
		assert_ptr_equal(quire_strncpy(got + 3, src + off, n), got + 3);
		strncpy(want + 3, src + off, n);
		assert_memory_equal(got, want, sizeof(got));

		random_string(&rng, want, head, "pq");
		memcpy(got, want, head + 1);
		assert_ptr_equal(quire_strcat(got, src + off), got);
		strcat(want, src + off);
		assert_memory_equal(got, want, sizeof(got));
		assert_ptr_equal(quire_strncat(got, src + off, n), got);
		strncat(want, src + off, n);
		assert_memory_equal(got, want, sizeof(got));
	}
}

static void test_strtok_r(void **state)
{
	struct test_rng rng = test_rng_seeded("libc_string strtok_r");
	char a[AREA], b[AREA];

	for (int i = 0; i < 2000; i++) {
		size_t len = test_rng_below(&rng, 60);
		random_string(&rng, a, len, "ab,; ");
		memcpy(b, a, len + 1);
		const char *delim = i % 2 ? ", ;" : ",";
		char *save_a = NULL, *save_b = NULL;
		char *ta = quire_strtok_r(a, delim, &save_a), *tb = strtok_r(b, delim, &save_b);
		for (;;) {
			assert_int_equal(ta == NULL, tb == NULL);
			if (ta == NULL)
				break;
			assert_int_equal(ta - a, tb - b);
			assert_string_equal(ta, tb);
			ta = quire_strtok_r(NULL, delim, &save_a);
			tb = strtok_r(NULL, delim, &save_b);
		}
		assert_memory_equal(a, b, len + 1);
	}
}

/* Every class of every value in the domain (EOF and unsigned char), in the "C" locale. */
static void test_ctype(void **state)
{
	for (int c = -1; c < 256; c++) {
		assert_int_equal(!!quire_isalnum(c), !!isalnum(c));
		assert_int_equal(!!quire_isalpha(c), !!isalpha(c));
		assert_int_equal(!!quire_isblank(c), !!isblank(c));
		assert_int_equal(!!quire_iscntrl(c), !!iscntrl(c));
		assert_int_equal(!!quire_isdigit(c), !!isdigit(c));
		assert_int_equal(!!quire_isgraph(c), !!isgraph(c));
		assert_int_equal(!!quire_islower(c), !!islower(c));
		assert_int_equal(!!quire_isprint(c), !!isprint(c));
		assert_int_equal(!!quire_ispunct(c), !!ispunct(c));
		assert_int_equal(!!quire_isspace(c), !!isspace(c));
		assert_int_equal(!!quire_isupper(c), !!isupper(c));
		assert_int_equal(!!quire_isxdigit(c), !!isxdigit(c));
		assert_int_equal(quire_tolower(c), tolower(c));
		assert_int_equal(quire_toupper(c), toupper(c));
	}
	assert_int_equal(quire_isalpha(-200), 0);
	assert_int_equal(quire_toupper(1000), 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_memcpy_memset), cmocka_unit_test(test_memmove_overlapping),
	    cmocka_unit_test(test_memcmp_memchr), cmocka_unit_test(test_str_searching),
	    cmocka_unit_test(test_str_comparing), cmocka_unit_test(test_str_copying),
	    cmocka_unit_test(test_strtok_r),      cmocka_unit_test(test_ctype),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
