/*
 * Internal to libc: the seams between crt0 (libc/crt0/crt0.c), the start-up code
 * (libc/misc/start.c) and exit (libc/misc/exit.c). The names are in the implementation's reserved
 * namespace and are the same in the user build and the host tests.
 */
#pragma once

#include "quire/startup.h"

/*
 * The C half of crt0's _start: checks INFO (magic, version, argv and handle pointers; a bad block
 * ends the process with QUIRE_STATUS_BAD_STARTUP), keeps it for quire_startup_info(), connects
 * stdout and stderr to the kernel log, sets the abort hook, calls MAIN_FN(argc, argv) and exits
 * with what it returns. Called once, on the initial thread, with the stack aligned as for any C
 * function.
 */
_Noreturn void __libc_start(const struct quire_startup *info, int (*main_fn)(int, char **));

/*
 * Set by __libc_start: writes out what stdout and stderr hold back (an unfinished line). exit()
 * and the abort hook call it; NULL until crt0 has run.
 */
extern void (*__libc_stdio_flush)(void);
