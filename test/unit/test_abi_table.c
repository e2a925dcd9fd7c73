/*
 * Host tests of the ABI tables: the error enum (sysroot/include/quire/errors.h), the kernel's
 * spelling of it (kernel/lib/kerr.h) and the system-call table (sysroot/include/quire/syscalls.h).
 *
 * The compile-time checks already refuse duplicate numbers, gaps and unknown error names (and the
 * build proves they still do: test/unit/abi_table_reject.c). These tests read the same table at
 * run time for what the preprocessor cannot see: names unique, at most six parameters, and the
 * errors each call lists agreeing with its parameters (a handle means BAD_HANDLE can happen, a
 * pointer means FAULT can, flags mean INVALID can), and every call returning 0 or an error with
 * the handles it creates written through a last `quire_handle_t *out`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/kerr.h"
#include "quire/errors.h"
#include "quire/rights.h"
#include "quire/syscalls.h"
#include "quire/vma.h"

struct call {
	unsigned number, enum_number;
	const char *name, *ret, *params, *rights, *desc;
	unsigned long long errors;
};

#define ENTRY(num, name_, ret_, params_, rights_, errors_, desc_)                                  \
	{(num), QUIRE_SYS_##name_, #name_, #ret_, #params_, rights_, desc_, (errors_)},
static const struct call calls[] = {QUIRE_SYSCALLS(ENTRY)};
#define NCALLS (sizeof(calls) / sizeof(calls[0]))

static void test_error_values_and_names(void **state)
{
	(void)state;
	static const struct {
		int value;
		const char *name;
	} want[] = {{0, "OK"},           {1, "INVALID"},           {2, "NOT_FOUND"},
		    {3, "UNSUPPORTED"},  {4, "TIMEOUT"},           {5, "NO_MEMORY"},
		    {6, "EXISTS"},       {7, "ACCESS_DENIED"},     {8, "OUT_OF_RANGE"},
		    {9, "WRONG_TYPE"},   {10, "BAD_HANDLE"},       {11, "FAULT"},
		    {12, "SHOULD_WAIT"}, {13, "BUFFER_TOO_SMALL"}, {14, "PEER_CLOSED"}};
	assert_int_equal(sizeof(want) / sizeof(want[0]), QUIRE_ERR_COUNT);
	for (unsigned i = 0; i < QUIRE_ERR_COUNT; i++) {
		assert_string_equal(quire_error_name(want[i].value), want[i].name);
		assert_string_equal(kerr_name((kerr_t)want[i].value), want[i].name);
	}
	assert_string_equal(quire_error_name(QUIRE_ERR_COUNT), "?");
	assert_string_equal(quire_error_name(-1), "?");
	assert_string_equal(quire_error_name(-QUIRE_ERR_FAULT), "?");
	assert_string_equal(kerr_name(KERR_COUNT), "?");
}

/* The kernel's names are the shared values, one for one. */
static void test_kerr_is_the_shared_enum(void **state)
{
	(void)state;
	assert_int_equal(sizeof(kerr_t), sizeof(enum quire_error));
	assert_int_equal(KERR_OK, QUIRE_ERR_OK);
	assert_int_equal(KERR_INVALID, QUIRE_ERR_INVALID);
	assert_int_equal(KERR_NOT_FOUND, QUIRE_ERR_NOT_FOUND);
	assert_int_equal(KERR_UNSUPPORTED, QUIRE_ERR_UNSUPPORTED);
	assert_int_equal(KERR_TIMEOUT, QUIRE_ERR_TIMEOUT);
	assert_int_equal(KERR_NO_MEMORY, QUIRE_ERR_NO_MEMORY);
	assert_int_equal(KERR_EXISTS, QUIRE_ERR_EXISTS);
	assert_int_equal(KERR_ACCESS_DENIED, QUIRE_ERR_ACCESS_DENIED);
	assert_int_equal(KERR_OUT_OF_RANGE, QUIRE_ERR_OUT_OF_RANGE);
	assert_int_equal(KERR_WRONG_TYPE, QUIRE_ERR_WRONG_TYPE);
	assert_int_equal(KERR_BAD_HANDLE, QUIRE_ERR_BAD_HANDLE);
	assert_int_equal(KERR_FAULT, QUIRE_ERR_FAULT);
	assert_int_equal(KERR_SHOULD_WAIT, QUIRE_ERR_SHOULD_WAIT);
	assert_int_equal(KERR_BUFFER_TOO_SMALL, QUIRE_ERR_BUFFER_TOO_SMALL);
	assert_int_equal(KERR_PEER_CLOSED, QUIRE_ERR_PEER_CLOSED);
	assert_int_equal(KERR_COUNT, QUIRE_ERR_COUNT);
}

static void test_numbers_dense_and_unique(void **state)
{
	(void)state;
	unsigned char seen[64] = {0};
	assert_int_equal(NCALLS, QUIRE_SYSCALL_COUNT);
	assert_true(NCALLS < sizeof(seen));
	for (unsigned i = 0; i < NCALLS; i++) {
		assert_in_range(calls[i].number, 1, NCALLS);
		assert_int_equal(calls[i].enum_number, calls[i].number);
		assert_int_equal(seen[calls[i].number]++, 0);
		assert_true(quire_syscall_number_is_known(calls[i].number));
	}
	assert_false(quire_syscall_number_is_known(0));
	assert_false(quire_syscall_number_is_known(QUIRE_SYSCALL_COUNT + 1));
	assert_false(quire_syscall_number_is_known(~0u));
}

static void test_names_unique(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NCALLS; i++)
		for (unsigned j = i + 1; j < NCALLS; j++)
			assert_string_not_equal(calls[i].name, calls[j].name);
}

static unsigned param_count(const char *params)
{
	if (strcmp(params, "(void)") == 0)
		return 0;
	unsigned n = 1;
	for (const char *p = params; *p; p++)
		n += *p == ',';
	return n;
}

/* Whether a parameter is called `size`: a size that overflows is OUT_OF_RANGE. */
static bool takes_size(const char *params)
{
	for (const char *p = strstr(params, "size"); p; p = strstr(p + 1, "size"))
		if ((p[-1] == ' ' || p[-1] == '*') && (p[4] == ',' || p[4] == ')'))
			return true;
	return false;
}

/* Whether a parameter names handles to look up (`quire_handle_t *out` only receives one). */
static bool takes_handle(const char *params)
{
	for (const char *p = strstr(params, "quire_handle_t"); p;
	     p = strstr(p + 1, "quire_handle_t"))
		if (strncmp(p, "quire_handle_t *out)", 20) != 0)
			return true;
	return false;
}

/* The issue's list, by name: nothing dropped from the table by accident. */
static void test_issue_calls_present(void **state)
{
	(void)state;
	static const char *const want[] = {
	    "vma_create",   "vma_create_map", "vma_map",      "vma_unmap",     "vma_resize",
	    "vma_protect",  "handle_close",   "handle_clone", "process_spawn", "process_wait",
	    "process_exit", "thread_create",  "thread_exit",  "yield",         "sleep",
	    "log",          "system_info"};
	for (unsigned w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		unsigned found = 0;
		for (unsigned i = 0; i < NCALLS; i++)
			found += strcmp(calls[i].name, want[w]) == 0;
		if (found != 1)
			fail_msg("system call %s: in the table %u times", want[w], found);
	}
}

static void test_errors_agree_with_parameters(void **state)
{
	(void)state;
	const unsigned long long valid = ((1ull << QUIRE_ERR_COUNT) - 1) & ~QUIRE_E(OK);
	for (unsigned i = 0; i < NCALLS; i++) {
		const struct call *c = &calls[i];
		unsigned long long e = c->errors;
		assert_int_equal(e & ~valid, 0);
		if (param_count(c->params) > 6)
			fail_msg("%s: more than six parameters", c->name);
		if (takes_handle(c->params) && !(e & QUIRE_E(BAD_HANDLE)))
			fail_msg("%s takes a handle but cannot return BAD_HANDLE", c->name);
		if (strchr(c->params, '*') && !(e & QUIRE_E(FAULT)))
			fail_msg("%s takes a pointer but cannot return FAULT", c->name);
		if (strstr(c->params, "flags") && !(e & QUIRE_E(INVALID)))
			fail_msg("%s takes flags but cannot refuse unknown bits", c->name);
		if (takes_size(c->params) && !(e & QUIRE_E(OUT_OF_RANGE)))
			fail_msg("%s takes a size but cannot return OUT_OF_RANGE", c->name);
		if (strcmp(c->ret, "NORETURN") == 0 && e != 0)
			fail_msg("%s does not return, so it returns no error", c->name);
		assert_true(strcmp(c->ret, "ZERO") == 0 || strcmp(c->ret, "NORETURN") == 0);
		assert_true(strlen(c->desc) > 0 && strlen(c->rights) > 0);
	}
}

/* Whether PARAMS ends with the out-pointer a handle-creating call writes: `quire_handle_t *out`. */
static bool ends_with_out_handle(const char *params)
{
	static const char tail[] = "quire_handle_t *out)";
	size_t len = strlen(params);
	return len >= sizeof(tail) - 1 && strcmp(params + len - (sizeof(tail) - 1), tail) == 0 &&
	       (params[len - sizeof(tail)] == ' ' || params[len - sizeof(tail)] == '(');
}

/*
 * Every call returns 0 or a negated error: the calls that create a handle write it through a last
 * `quire_handle_t *out`, list FAULT for it, and no other call has such a parameter.
 */
static void test_handles_through_out_pointers(void **state)
{
	(void)state;
	static const char *const creating[] = {"vma_create",    "vma_create_map", "handle_clone",
					       "process_spawn", "thread_create",  "channel_create"};
	for (unsigned i = 0; i < NCALLS; i++) {
		const struct call *c = &calls[i];
		bool creates = false;
		for (unsigned w = 0; w < sizeof(creating) / sizeof(creating[0]); w++)
			creates |= strcmp(c->name, creating[w]) == 0;
		bool out = ends_with_out_handle(c->params);
		if (creates != out)
			fail_msg("%s: creates a handle %d, ends with `quire_handle_t *out` %d",
				 c->name, creates, out);
		if (strstr(c->params, "*out") && !out)
			fail_msg("%s: `*out` is not the last parameter", c->name);
		if (out && !(c->errors & QUIRE_E(FAULT)))
			fail_msg("%s writes *out but cannot return FAULT", c->name);
		if (out && strcmp(c->ret, "ZERO") != 0)
			fail_msg("%s writes *out, so it returns 0 or an error", c->name);
	}
	/* process_spawn takes a NUL-terminated path, bounded: no length parameter. */
	for (unsigned i = 0; i < NCALLS; i++)
		if (strcmp(calls[i].name, "process_spawn") == 0)
			assert_null(strstr(calls[i].params, "path_len"));
	assert_int_equal(QUIRE_PATH_MAX, 256);
}

/* Flag masks: each call's accepted bits, and the refusals the issue asks for. */
/* A 32-bit parameter with upper bits set is INVALID (the generated decoder): listed wherever. */
static void test_narrow_parameters_list_invalid(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NCALLS; i++) {
		const struct call *c = &calls[i];
		bool narrow = strstr(c->params, "quire_handle_t ") != NULL ||
			      strstr(c->params, "uint32_t ") != NULL ||
			      strstr(c->params, "quire_rights_t ") != NULL;
		/* A pointer to a handle is 64 bits: "quire_handle_t *" does not count. */
		const char *p = c->params;
		bool only_pointers = true;
		while ((p = strstr(p, "quire_handle_t ")) != NULL) {
			if (p[15] != '*')
				only_pointers = false;
			p += 15;
		}
		if (strstr(c->params, "uint32_t ") == NULL &&
		    strstr(c->params, "quire_rights_t ") == NULL && only_pointers)
			narrow = false;
		if (narrow && !(c->errors & QUIRE_E(INVALID)))
			fail_msg("%s takes a 32-bit parameter but does not list INVALID", c->name);
	}
}

static void test_vma_masks(void **state)
{
	(void)state;
	assert_int_equal(QUIRE_VMA_CREATE_MASK & QUIRE_VMA_WRITE_COMBINE, 0);
	assert_int_equal(QUIRE_VMA_CREATE_MASK & QUIRE_VMA_EXACT, 0);
	assert_int_equal(QUIRE_VMA_PROTECT_MASK & QUIRE_VMA_EXACT, 0);
	assert_int_equal(QUIRE_VMA_MAP_MASK & QUIRE_VMA_WRITE_COMBINE, 0);
	assert_int_not_equal(QUIRE_VMA_MAP_MASK & QUIRE_VMA_EXACT, 0);
	/* The protection bits are the rights a mapping with them needs. */
	assert_int_equal(QUIRE_VMA_READ, QUIRE_RIGHT_READ);
	assert_int_equal(QUIRE_VMA_WRITE, QUIRE_RIGHT_WRITE);
	assert_int_equal(QUIRE_VMA_EXECUTE, QUIRE_RIGHT_EXECUTE);
	assert_int_equal(QUIRE_VMA_PROT_MASK & ~QUIRE_RIGHTS_VALID, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_values_and_names),
	    cmocka_unit_test(test_kerr_is_the_shared_enum),
	    cmocka_unit_test(test_numbers_dense_and_unique),
	    cmocka_unit_test(test_names_unique),
	    cmocka_unit_test(test_issue_calls_present),
	    cmocka_unit_test(test_errors_agree_with_parameters),
	    cmocka_unit_test(test_handles_through_out_pointers),
	    cmocka_unit_test(test_vma_masks),
	    cmocka_unit_test(test_narrow_parameters_list_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
