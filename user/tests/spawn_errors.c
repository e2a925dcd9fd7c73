/*
 * spawn_errors: process_spawn() refuses every malformed request with its error and leaves the
 * caller as it was; a request at each limit works, and what it passes arrives intact.
 *
 *   paths      missing (NOT_FOUND), a directory, a text file, a malformed ELF
 *              (data/truncated.elf: its program header lies past its end) (INVALID); a path of
 *              QUIRE_PATH_MAX - 1 characters is looked up (NOT_FOUND), one with no NUL within
 *              QUIRE_PATH_MAX bytes is INVALID
 *   limits     argc QUIRE_SPAWN_ARGC_MAX works and one more is OUT_OF_RANGE; argument strings of
 *              QUIRE_SPAWN_ARGV_BYTES in all work and one byte more is OUT_OF_RANGE;
 *              QUIRE_SPAWN_HANDLES_MAX handles work and one more is OUT_OF_RANGE
 *   handles    one listed twice (INVALID), one without TRANSFER (ACCESS_DENIED), a closed one
 *              (BAD_HANDLE); a failed spawn moves none of them. A successful one moves them all:
 *              closed here (BAD_HANDLE after), present in the child with the rights they had,
 *              and working there (the child reads and answers through a shared area)
 *   argv       empty strings, spaces, tabs, newlines and UTF-8 arrive byte for byte
 * A failed spawn writes nothing to *OUT and starts no process; at the end the process count and
 * the free frame count are back at their baseline.
 */
#include "qtest.h"

#define PROT_RW     (QUIRE_VMA_READ | QUIRE_VMA_WRITE)
#define OUT_UNTOUCH 0x5a5a5a5au
#define GREETING    "hello, child"
#define ANSWER      "hello, parent"

static const char *self;

/* The strings the argv case passes after the mode; the child checks them against this table. */
static const char *const odd_args[] = {
    "",
    "hello world",
    " leading space",
    "trailing space ",
    "",
    "two  spaces",
    "tab\there",
    "new\nline",
    "quote\" and \\ backslash",
    "\xc3\xa9t\xc3\xa9 \xe2\x82\xac",
    "-",
    "--flag=value with spaces",
    "",
};
#define ODD_COUNT (sizeof(odd_args) / sizeof(odd_args[0]))

/* The rights the parent gives passed handle I (of QUIRE_SPAWN_HANDLES_MAX). */
static quire_rights_t passed_rights(unsigned i)
{
	quire_rights_t r = QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP | QUIRE_RIGHT_TRANSFER;

	if (i == 0 || i % 2 == 1)
		r |= QUIRE_RIGHT_WRITE;
	if (i % 3 == 1)
		r |= QUIRE_RIGHT_DUPLICATE;
	return r;
}

/* Static so that their pages are present before the baseline (main fills them first). */
static char long_path[QUIRE_PATH_MAX + 16];
static char big_a[QUIRE_SPAWN_ARGV_BYTES], big_b[QUIRE_SPAWN_ARGV_BYTES];
static char numbers[QUIRE_SPAWN_ARGC_MAX + 1][8];
static const char *many_argv[QUIRE_SPAWN_ARGC_MAX + 1];

/* The character at position J of a big argument. */
static char big_char(size_t j)
{
	return (char)('A' + j % 26);
}

/* child modes */

static int child_argv(int argc, char **argv)
{
	CHECK_EQ(argc, 2 + ODD_COUNT);
	CHECK(strstr(argv[0], "spawn_errors") != NULL);
	for (size_t i = 0; i < ODD_COUNT; i++)
		CHECK(strcmp(argv[2 + i], odd_args[i]) == 0);
	CHECK(argv[argc] == NULL);
	CHECK_EQ(quire_startup_info()->argc, (uint64_t)argc);
	return 0;
}

static int child_many(int argc, char **argv)
{
	CHECK_EQ(argc, QUIRE_SPAWN_ARGC_MAX);
	for (int i = 2; i < argc; i++)
		CHECK_EQ(strtol(argv[i], NULL, 10), i);
	return 0;
}

/* argv[2] says how many bytes the strings take in all; the rest are big_char patterns. */
static int child_big(int argc, char **argv)
{
	size_t total = 0;

	for (int i = 0; i < argc; i++)
		total += strlen(argv[i]) + 1;
	CHECK_EQ(total, strtol(argv[2], NULL, 10));
	for (int i = 3; i < argc; i++)
		for (size_t j = 0; argv[i][j] != '\0'; j++)
			CHECK_EQ(argv[i][j], big_char(j));
	return 0;
}

/* Checks passed handle I: its record, and that it maps exactly as its rights allow. */
static void child_check_handle(const struct quire_startup *su, unsigned i)
{
	quire_handle_t h = quire_startup_handle(QUIRE_STARTUP_PASSED, i);
	const struct quire_startup_handle *rec = NULL;
	quire_rights_t r = passed_rights(i);
	uint64_t addr = 0;
	quire_handle_t copy = 0;

	CHECK(h != QUIRE_HANDLE_INVALID);
	for (uint64_t k = 0; k < su->handle_count; k++)
		if (su->handles[k].handle == h)
			rec = &su->handles[k];
	CHECK(rec != NULL);
	CHECK_EQ(rec->tag, QUIRE_STARTUP_PASSED);
	CHECK_EQ(rec->index, i);
	CHECK_EQ(rec->rights, r);
	long expect = (r & QUIRE_RIGHT_WRITE) ? 0 : -QUIRE_ERR_ACCESS_DENIED;
	CHECK_EQ(quire_vma_map(h, quire_self(), &addr, PROT_RW), expect);
	if (expect == 0)
		CHECK_EQ(quire_vma_unmap(h, quire_self()), 0);
	expect = (r & QUIRE_RIGHT_DUPLICATE) ? 0 : -QUIRE_ERR_ACCESS_DENIED;
	CHECK_EQ(quire_handle_clone(h, QUIRE_RIGHT_READ, &copy), expect);
	if (expect == 0)
		CHECK_EQ(quire_handle_close(copy), 0);
}

/* QUIRE_SPAWN_HANDLES_MAX handles; the first is an area the parent wrote GREETING into. */
static int child_handles(void)
{
	const struct quire_startup *su = quire_startup_info();
	uint64_t addr = 0;

	CHECK_EQ(su->handle_count, 1 + QUIRE_SPAWN_HANDLES_MAX);
	CHECK(quire_self() != QUIRE_HANDLE_INVALID);
	for (unsigned i = 0; i < QUIRE_SPAWN_HANDLES_MAX; i++)
		child_check_handle(su, i);
	CHECK_EQ(quire_startup_handle(QUIRE_STARTUP_PASSED, QUIRE_SPAWN_HANDLES_MAX),
		 QUIRE_HANDLE_INVALID);
	quire_handle_t area = quire_startup_handle(QUIRE_STARTUP_PASSED, 0);
	CHECK_EQ(quire_vma_map(area, quire_self(), &addr, PROT_RW), 0);
	char *mem = (char *)(uintptr_t)addr;
	CHECK(strcmp(mem, GREETING) == 0);
	strcpy(mem + 64, ANSWER);
	return 0;
}

static int child(int argc, char **argv)
{
	if (strcmp(argv[1], "argv") == 0)
		return child_argv(argc, argv);
	if (strcmp(argv[1], "many") == 0)
		return child_many(argc, argv);
	if (strcmp(argv[1], "big") == 0)
		return child_big(argc, argv);
	if (strcmp(argv[1], "handles") == 0)
		return child_handles();
	return 2;
}

/* parent */

/* A spawn that must fail with ERR, starting nothing and writing nothing to *OUT. */
static void spawn_fails(int line, const char *path, const char *const *argv, size_t argc,
			const quire_handle_t *handles, size_t handle_count, long err)
{
	quire_handle_t out = OUT_UNTOUCH;
	uint64_t processes = qtest_processes();

	long got = quire_process_spawn(path, argv, argc, handles, handle_count, &out);
	if (got != err)
		qtest_fail_eq(__FILE__, line, "process_spawn()", "expected", got, err);
	if (out != OUT_UNTOUCH)
		qtest_fail(__FILE__, line, "*out written by a spawn that failed");
	if (qtest_processes() != processes)
		qtest_fail(__FILE__, line, "a process left by a spawn that failed");
}
#define SPAWN_FAILS(path, argv, argc, handles, count, err)                                         \
	spawn_fails(__LINE__, path, argv, argc, handles, count, err)

/* A spawn of this program that must work and exit with 0. */
static void spawn_passes(int line, const char *const *argv, size_t argc,
			 const quire_handle_t *handles, size_t handle_count)
{
	quire_handle_t child_h = 0;

	long got = quire_process_spawn(self, argv, argc, handles, handle_count, &child_h);
	if (got != 0)
		qtest_fail_eq(__FILE__, line, "process_spawn()", "0", got, 0);
	struct quire_exit_info info = qtest_wait(child_h);
	if (info.reason != QUIRE_EXIT_NORMAL || info.status != 0) {
		char what[100];
		snprintf(what, sizeof(what), "the child (%s) ended with reason %u, status %lld",
			 argv[1], info.reason, (long long)info.status);
		qtest_fail(__FILE__, line, what);
	}
}
#define SPAWN_PASSES(argv, argc, handles, count) spawn_passes(__LINE__, argv, argc, handles, count)

static void test_paths(void)
{
	const char *argv[1] = {self};

	SPAWN_FAILS("test/no_such_program", argv, 1, NULL, 0, -QUIRE_ERR_NOT_FOUND);
	SPAWN_FAILS("bin", argv, 1, NULL, 0, -QUIRE_ERR_INVALID);
	SPAWN_FAILS("test", argv, 1, NULL, 0, -QUIRE_ERR_INVALID);
	SPAWN_FAILS("README", argv, 1, NULL, 0, -QUIRE_ERR_INVALID);
	SPAWN_FAILS("data/truncated.elf", argv, 1, NULL, 0, -QUIRE_ERR_INVALID);
	memset(long_path, 'a', sizeof(long_path));
	long_path[QUIRE_PATH_MAX - 1] = '\0'; /* the longest path there is */
	SPAWN_FAILS(long_path, argv, 1, NULL, 0, -QUIRE_ERR_NOT_FOUND);
	long_path[QUIRE_PATH_MAX - 1] = 'a';
	long_path[sizeof(long_path) - 1] = '\0'; /* no NUL within QUIRE_PATH_MAX bytes */
	SPAWN_FAILS(long_path, argv, 1, NULL, 0, -QUIRE_ERR_INVALID);
}

static void test_argv(void)
{
	const char *argv[2 + ODD_COUNT] = {self, "argv"};

	for (size_t i = 0; i < ODD_COUNT; i++)
		argv[2 + i] = odd_args[i];
	SPAWN_PASSES(argv, 2 + ODD_COUNT, NULL, 0);
}

static void test_argc_limit(void)
{
	many_argv[0] = self;
	many_argv[1] = "many";
	SPAWN_PASSES(many_argv, QUIRE_SPAWN_ARGC_MAX, NULL, 0);
	SPAWN_FAILS(self, many_argv, QUIRE_SPAWN_ARGC_MAX + 1, NULL, 0, -QUIRE_ERR_OUT_OF_RANGE);
}

/* Argument strings of exactly QUIRE_SPAWN_ARGV_BYTES bytes in all (NULs counted), then one more. */
static void test_argv_bytes(void)
{
	char total[16];
	const char *argv[5] = {self, "big", total, big_a, big_b};

	snprintf(total, sizeof(total), "%u", QUIRE_SPAWN_ARGV_BYTES);
	size_t fixed = strlen(self) + 1 + 4 + strlen(total) + 1;
	size_t len_a = 3000, len_b = QUIRE_SPAWN_ARGV_BYTES - fixed - (len_a + 1) - 1;
	for (size_t j = 0; j < sizeof(big_a); j++)
		big_a[j] = big_b[j] = big_char(j);
	big_a[len_a] = '\0';
	big_b[len_b] = '\0';
	SPAWN_PASSES(argv, 5, NULL, 0);
	big_b[len_b] = big_char(len_b);
	big_b[len_b + 1] = '\0';
	SPAWN_FAILS(self, argv, 5, NULL, 0, -QUIRE_ERR_OUT_OF_RANGE);
}

static quire_handle_t new_area(void)
{
	quire_handle_t h = 0;

	CHECK_EQ(quire_vma_create(4096, PROT_RW, &h), 0);
	return h;
}

/* Every handle in HS (N of them) is still open: a failed spawn moved none. */
static void check_open(const quire_handle_t *hs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		quire_handle_t copy;
		CHECK_EQ(quire_handle_clone(hs[i], QUIRE_RIGHT_READ, &copy), 0);
		CHECK_EQ(quire_handle_close(copy), 0);
	}
}

static void test_handle_errors(void)
{
	const char *argv[2] = {self, "handles"};
	quire_handle_t hs[QUIRE_SPAWN_HANDLES_MAX + 1], pair[2], closed;

	for (size_t i = 0; i < QUIRE_SPAWN_HANDLES_MAX + 1; i++)
		hs[i] = new_area();
	SPAWN_FAILS(self, argv, 2, hs, QUIRE_SPAWN_HANDLES_MAX + 1, -QUIRE_ERR_OUT_OF_RANGE);
	pair[0] = hs[0];
	pair[1] = hs[0];
	SPAWN_FAILS(self, argv, 2, pair, 2, -QUIRE_ERR_INVALID);
	pair[1] = hs[1];
	CHECK_EQ(quire_handle_clone(
		     hs[2], QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP | QUIRE_RIGHT_DUPLICATE, &pair[1]),
		 0);
	SPAWN_FAILS(self, argv, 2, pair, 2, -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_handle_close(pair[1]), 0);
	pair[1] = quire_self(); /* READ, WRITE, DUPLICATE: no TRANSFER */
	SPAWN_FAILS(self, argv, 2, pair, 2, -QUIRE_ERR_ACCESS_DENIED);
	closed = new_area();
	CHECK_EQ(quire_handle_close(closed), 0);
	pair[1] = closed;
	SPAWN_FAILS(self, argv, 2, pair, 2, -QUIRE_ERR_BAD_HANDLE);
	check_open(hs, QUIRE_SPAWN_HANDLES_MAX + 1);
	for (size_t i = 0; i < QUIRE_SPAWN_HANDLES_MAX + 1; i++)
		CHECK_EQ(quire_handle_close(hs[i]), 0);
}

/* QUIRE_SPAWN_HANDLES_MAX handles move to the child; the first is an area both use. */
static void test_handles_moved(void)
{
	const char *argv[2] = {self, "handles"};
	quire_handle_t area, passed[QUIRE_SPAWN_HANDLES_MAX];
	uint64_t addr = 0;

	CHECK_EQ(quire_vma_create_map(4096, &addr, PROT_RW, &area), 0);
	char *mem = (char *)(uintptr_t)addr;
	strcpy(mem, GREETING);
	CHECK_EQ(quire_handle_clone(area, passed_rights(0), &passed[0]), 0);
	for (unsigned i = 1; i < QUIRE_SPAWN_HANDLES_MAX; i++) {
		quire_handle_t h = new_area();
		CHECK_EQ(quire_handle_clone(h, passed_rights(i), &passed[i]), 0);
		CHECK_EQ(quire_handle_close(h), 0);
	}
	SPAWN_PASSES(argv, 2, passed, QUIRE_SPAWN_HANDLES_MAX);
	for (unsigned i = 0; i < QUIRE_SPAWN_HANDLES_MAX; i++)
		CHECK_EQ(quire_handle_close(passed[i]), -QUIRE_ERR_BAD_HANDLE);
	CHECK(strcmp(mem + 64, ANSWER) == 0);
	CHECK_EQ(quire_vma_unmap(area, quire_self()), 0);
	CHECK_EQ(quire_handle_close(area), 0);
}

/* Fills the static buffers (their pages become present) and touches the stack below here. */
static __attribute__((noinline)) void touch_pages(void)
{
	volatile uint8_t below[16384];

	for (size_t i = 0; i < sizeof(below); i += 512)
		below[i] = 0;
	memset(long_path, 'a', sizeof(long_path));
	memset(big_a, 'a', sizeof(big_a));
	memset(big_b, 'b', sizeof(big_b));
	for (int i = 0; i <= (int)QUIRE_SPAWN_ARGC_MAX; i++) {
		snprintf(numbers[i], sizeof(numbers[i]), "%d", i);
		many_argv[i] = numbers[i];
	}
}

int main(int argc, char **argv)
{
	self = argv[0];
	if (argc > 1)
		return child(argc, argv);

	touch_pages();
	uint64_t frames = qtest_frames_free(), processes = qtest_processes();
	test_paths();
	test_argv();
	test_argc_limit();
	test_argv_bytes();
	test_handle_errors();
	test_handles_moved();
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(qtest_frames_free(), frames);
	printf("spawn_errors: every bad spawn refused with its error, the limits exact, argv and "
	       "handles arrive intact\n");
	return 0;
}
