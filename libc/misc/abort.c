/*
 * abort and the assert failure path. Both end the process through the hook crt0 will install
 * (issue 5); until then, or if the hook returns, ud2 makes the kernel kill the process.
 */
#include "../include/assert.h"
#include "../include/stdio.h"
#include "../include/stdlib.h"

void (*__libc_abort_hook)(void);

_Noreturn void __LIBC_NAME(abort)(void)
{
	if (__libc_abort_hook != NULL)
		__libc_abort_hook();
	__builtin_trap();
}

_Noreturn void __LIBC_NAME(__assert_fail)(const char *expr, const char *file, int line,
					  const char *func)
{
	__LIBC_NAME(fprintf)
	(__LIBC_NAME(stderr), "Assertion failed: %s (%s: %s: %d)\n", expr, file, func, line);
	__LIBC_NAME(abort)();
}
