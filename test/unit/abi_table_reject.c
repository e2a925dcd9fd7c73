/*
 * The negative build test of the system-call table's compile-time checks (tools/build.mk).
 *
 * Compiled as it is, this well-formed table must compile. With -DBROKEN_DUPLICATE (two calls with
 * one number), -DBROKEN_GAP (numbers not dense from 1), -DBROKEN_UNKNOWN_ERROR (an error name not
 * in enum quire_error) or -DBROKEN_ERROR_OK (OK listed as an error) it must not, each for its own
 * reason, which the build checks in the compiler's message. Never linked into anything.
 */
#include "quire/syscalls.h"

#if defined(BROKEN_DUPLICATE)
#define SECOND_NUMBER 1
#elif defined(BROKEN_GAP)
#define SECOND_NUMBER 3
#else
#define SECOND_NUMBER 2
#endif

#if defined(BROKEN_UNKNOWN_ERROR)
#define SECOND_ERRORS QUIRE_E(NO_SUCH)
#elif defined(BROKEN_ERROR_OK)
#define SECOND_ERRORS (QUIRE_E(OK) | QUIRE_E(FAULT))
#else
#define SECOND_ERRORS QUIRE_E(FAULT)
#endif

#define TEST_TABLE(X)                                                                              \
	X(1, first, ZERO, (void), "none", 0, "the first call")                                     \
	X(SECOND_NUMBER, second, ZERO, (uint64_t a), "none", SECOND_ERRORS, "the second call")

QUIRE_SYSCALL_TABLE_CHECK(TEST_TABLE, test_table)

_Static_assert(test_table_count == 2, "the check counts the table's entries");
