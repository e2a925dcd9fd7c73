/*
 * Deliberate crashes, selected with crash=KIND on the command line, so that the host test runner
 * can check the whole exception path end to end: the handler's report, the symbol table and the
 * backtrace (which must name the crash_* function that faulted), and the panic exit code.
 *
 * Each kind has its own function of that name; they are exported and never inlined so that the
 * faulting instruction always lies inside a symbol the backtrace can name.
 */
#pragma once

enum crash_kind {
	CRASH_NONE = 0,
	CRASH_PAGEFAULT, /* a write to an unmapped lower-half address: #PF */
	CRASH_UD,        /* ud2: #UD */
	CRASH_GPF,       /* a load from a non-canonical address: #GP */
	CRASH_PANIC,     /* panic() directly */
	CRASH_DIVIDE,    /* an integer division by zero: #DE */
	CRASH_OVERFLOW,  /* unbounded recursion into the stack's guard page: #PF, then #DF */
	CRASH_LOCKRANK,  /* two spinlocks taken against their ranks: the debug rank check panics */
	CRASH_KIND_COUNT
};

/* crash_trigger - crashes the kernel in the way KIND says; returns only for CRASH_NONE. */
void crash_trigger(enum crash_kind kind);

_Noreturn void crash_pagefault(void);
_Noreturn void crash_ud(void);
_Noreturn void crash_gpf(void);
_Noreturn void crash_panic(void);
_Noreturn void crash_divide(void);
_Noreturn void crash_overflow(void);
_Noreturn void crash_lockrank(void);
