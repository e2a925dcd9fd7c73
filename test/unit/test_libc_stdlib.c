/*
 * Host tests of libc's <stdlib.h> (libc/stdlib/): strtol, strtoul, strtoll and strtoull against the
 * host C library's on generated inputs (every base, signs, white space, prefixes, junk after the
 * digits, values far out of range), comparing value, end pointer and errno; atoi and the abs family;
 * qsort and bsearch on random arrays.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "libc/include/errno.h"
#include "libc/include/stdlib.h"
#include "test/unit/test_kernel_rng.h"

/* A number-like string: white space, a sign, a prefix, digits of about the base, then junk. */
static void random_number(struct test_rng *rng, char *p, int base)
{
	static const char *const spaces[] = {"", " ", "\t\n", "\v\f\r ", "  "};
	static const char *const prefixes[] = {"", "", "0", "0x", "0X", "00x", "x"};
	static const char *const tails[] = {"", "", " 12", "g", "z", "-", "x", ".5", "\x80"};
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFXZ";

	p += sprintf(p, "%s", spaces[test_rng_below(rng, 5)]);
	if (test_rng_below(rng, 2))
		*p++ = "+-"[test_rng_below(rng, 2)];
	p += sprintf(p, "%s", prefixes[test_rng_below(rng, 7)]);
	/* Up to 70 digits: well past 64 bits in every base. */
	int len = (int)test_rng_below(rng, test_rng_below(rng, 4) == 0 ? 70 : 22);
	int alphabet = base == 0 ? 16 : base + 1 + (int)test_rng_below(rng, 2);
	for (int i = 0; i < len; i++)
		*p++ = digits[test_rng_below(rng, (uint64_t)(alphabet < 44 ? alphabet : 44))];
	sprintf(p, "%s", tails[test_rng_below(rng, 9)]);
}

/* Runs one function of the strto* family on both libraries and compares all it produces. */
#define COMPARE_STRTO(name, s, base)                                                               \
	do {                                                                                       \
		char *want_end, *got_end;                                                          \
		errno = 0;                                                                         \
		quire_errno = 0;                                                                   \
		__typeof__(name(s, NULL, 0)) want = name(s, &want_end, base);                      \
		int want_errno = errno;                                                            \
		__typeof__(name(s, NULL, 0)) got = quire_##name(s, &got_end, base);                \
		if (want != got || want_end != got_end || want_errno != quire_errno)               \
			fail_msg(#name                                                             \
				 "(\"%s\", %d): libc %lld end+%td errno %d, quire %lld end+%td "   \
				 "errno %d",                                                       \
				 s, base, (long long)want, want_end - (s), want_errno,             \
				 (long long)got, got_end - (s), quire_errno);                      \
	} while (0)

static void test_strto_generated(void **state)
{
	struct test_rng rng = test_rng_seeded("libc_stdlib strto");
	char s[160];
	int comparisons = 0;

	for (int i = 0; i < 40000; i++) {
		int base = (int)test_rng_below(&rng, 36);
		if (base == 1)
			base = test_rng_below(&rng, 2) ? 16 : 10;
		random_number(&rng, s, base);
		COMPARE_STRTO(strtol, s, base);
		COMPARE_STRTO(strtoul, s, base);
		COMPARE_STRTO(strtoll, s, base);
		COMPARE_STRTO(strtoull, s, base);
		comparisons += 4;
	}
	printf("# libc_stdlib: %d strto* comparisons\n", comparisons);
}

static void test_strto_edges(void **state)
{
	static const char *const cases[] = {
	    "0",
	    "-0",
	    "+",
	    "-",
	    "",
	    "   ",
	    "0x",
	    "0xg",
	    "-0x",
	    "0x10",
	    "010",
	    "08",
	    "9223372036854775807",
	    "9223372036854775808",
	    "-9223372036854775808",
	    "-9223372036854775809",
	    "18446744073709551615",
	    "18446744073709551616",
	    "-18446744073709551615",
	    "-18446744073709551616",
	    "-1",
	    "0x7fffffffffffffff",
	    "0x8000000000000000",
	    "0xffffffffffffffff",
	    "0x10000000000000000",
	    "1111111111111111111111111111111111111111111111111111111111111111",
	    "zzzzzzzzzzzzz",
	    "3w5e11264sgsf",
	    "3w5e11264sgsg",
	    "  \t-42abc",
	    "+-1",
	    "- 1",
	};
	static const int bases[] = {0, 2, 8, 10, 16, 36};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
			COMPARE_STRTO(strtol, cases[i], bases[b]);
			COMPARE_STRTO(strtoul, cases[i], bases[b]);
			COMPARE_STRTO(strtoll, cases[i], bases[b]);
			COMPARE_STRTO(strtoull, cases[i], bases[b]);
		}
	}
}

static void test_strto_bad_base(void **state)
{
	char *end = NULL;

	for (int base = -2; base <= 37; base += 1) {
		if (base == 0 || (base >= 2 && base <= 36))
			continue;
		quire_errno = 0;
		assert_int_equal(quire_strtol("12", &end, base), 0);
		assert_int_equal(quire_errno, EINVAL);
	}
}

static void test_atoi_abs(void **state)
{
	assert_int_equal(quire_atoi(" -123x"), -123);
	assert_int_equal(quire_atoi("2147483647"), INT_MAX);
	assert_int_equal(quire_atol("-9223372036854775808"), LONG_MIN);
	assert_int_equal(quire_atoll("77"), 77);
	assert_int_equal(quire_abs(-5), 5);
	assert_int_equal(quire_abs(INT_MAX), INT_MAX);
	assert_int_equal(quire_labs(-LONG_MAX), LONG_MAX);
	assert_int_equal(quire_llabs(-3), 3);
}

static int compare_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* A 12-byte record compared by its key only, so equal keys with different payloads occur. */
struct record {
	uint32_t key;
	uint64_t payload;
} __attribute__((packed));

static int compare_record(const void *a, const void *b)
{
	const struct record *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

static void test_qsort_bsearch(void **state)
{
	struct test_rng rng = test_rng_seeded("libc_stdlib qsort");
	static int got[2000], want[2000];
	static struct record records[700];

	for (int round = 0; round < 300; round++) {
		size_t n = test_rng_below(&rng, round < 50 ? 12 : 2000);
		uint64_t range = test_rng_below(&rng, 2) ? 10 : 1000000;
		for (size_t i = 0; i < n; i++)
			want[i] = got[i] = (int)test_rng_below(&rng, range) - (int)(range / 2);
		qsort(want, n, sizeof(int), compare_int);
		quire_qsort(got, n, sizeof(int), compare_int);
		assert_memory_equal(got, want, n * sizeof(int));
		for (int k = 0; k < 20; k++) {
			int key = (int)test_rng_below(&rng, range) - (int)(range / 2);
			int *hit = quire_bsearch(&key, got, n, sizeof(int), compare_int);
			int *host = bsearch(&key, want, n, sizeof(int), compare_int);
			assert_int_equal(hit == NULL, host == NULL);
			if (hit != NULL)
				assert_int_equal(*hit, key);
		}
	}

	uint64_t sum = 0;
	for (size_t i = 0; i < 700; i++) {
		records[i].key = (uint32_t)test_rng_below(&rng, 50);
		records[i].payload = test_rng_next(&rng);
		sum += records[i].payload;
	}
	quire_qsort(records, 700, sizeof(records[0]), compare_record);
	for (size_t i = 1; i < 700; i++)
		assert_true(records[i - 1].key <= records[i].key);
	for (size_t i = 0; i < 700; i++)
		sum -= records[i].payload;
	assert_int_equal(sum, 0); /* a permutation: nothing lost or duplicated */
	quire_qsort(NULL, 0, sizeof(int), compare_int);
	assert_null(quire_bsearch(&sum, NULL, 0, sizeof(int), compare_int));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strto_generated), cmocka_unit_test(test_strto_edges),
	    cmocka_unit_test(test_strto_bad_base),  cmocka_unit_test(test_atoi_abs),
	    cmocka_unit_test(test_qsort_bsearch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
