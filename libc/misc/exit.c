/*
 * exit, atexit and _Exit: the ways a program ends itself.
 *
 * The atexit handlers live in a fixed table of ATEXIT_MAX (32, what C requires at least), so
 * registering never allocates. exit pops them one at a time, last registered first; a handler
 * that registers another during exit gets it run too, next. Then stdout and stderr are flushed
 * (through __libc_stdio_flush, set by crt0's start-up code, so this file does not drag the log
 * sink into programs that never print) and process_exit ends the process: the kernel releases
 * every handle and mapping, malloc's areas included, so exit frees nothing itself.
 *
 * Not thread-safe: a second thread calling exit or atexit during exit races with the first.
 */
#include <stddef.h>

#include "../include/stdlib.h"
#include "quire/syscalls.h"
#include "runtime_internal.h"

#define ATEXIT_MAX 32

static void (*handlers[ATEXIT_MAX])(void);
static int handler_count;

void (*__libc_stdio_flush)(void);

int __LIBC_NAME(atexit)(void (*handler)(void))
{
	if (handler == NULL || handler_count == ATEXIT_MAX)
		return -1;
	handlers[handler_count++] = handler;
	return 0;
}

_Noreturn void __LIBC_NAME(exit)(int status)
{
	while (handler_count > 0) {
		void (*handler)(void) = handlers[--handler_count];

		handler();
	}
	if (__libc_stdio_flush != NULL)
		__libc_stdio_flush();
	quire_process_exit(status);
}

_Noreturn void __LIBC_NAME(_Exit)(int status)
{
	quire_process_exit(status);
}
