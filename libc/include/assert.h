/*
 * <assert.h>. No include guard: the standard lets a program include it again after changing NDEBUG.
 *
 * A failed assert calls __assert_fail, which prints "Assertion failed: ..." on stderr and then
 * abort()s. abort() calls the process layer's hook (__libc_abort_hook, set by crt0 once process_exit
 * exists, issue 5) and, if there is none or it returns, executes ud2 so the kernel kills the process
 * with an invalid-opcode reason that process_wait reports.
 *
 * Under QUIRE_HOST_TEST the macro is quire_assert, so it does not collide with the host's assert.
 */
#include "__libc.h"

#undef __LIBC_ASSERT
#ifdef NDEBUG
#define __LIBC_ASSERT(expr) ((void)0)
#else
#define __LIBC_ASSERT(expr)                                                                        \
	((expr) ? (void)0 : __LIBC_NAME(__assert_fail)(#expr, __FILE__, __LINE__, __func__))
#endif

#ifdef QUIRE_HOST_TEST
#undef quire_assert
#define quire_assert(expr) __LIBC_ASSERT(expr)
#else
#undef assert
#define assert(expr) __LIBC_ASSERT(expr)
#ifndef static_assert
#define static_assert _Static_assert
#endif
#endif

#ifndef __LIBC_ASSERT_FAIL_DECLARED
#define __LIBC_ASSERT_FAIL_DECLARED
_Noreturn void __LIBC_NAME(__assert_fail)(const char *expr, const char *file, int line,
					  const char *func);
#endif
