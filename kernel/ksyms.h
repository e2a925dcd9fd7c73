/*
 * The kernel's own symbol table, embedded in the image, for naming code addresses at run time.
 *
 * Model: the build links the kernel twice (kernel/build.mk). tools/gensyms.sh turns the function
 * symbols of the first link into a symbol blob (lib/symbols.h) that the second link places in its
 * own section, .ksyms, after everything else, so that adding it moves no code; the build compares
 * both links' symbol addresses to prove it. The blob is parsed and checked on first use.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/symbols.h"

/*
 * ksyms_table - the parsed table, or NULL when the embedded blob is missing or malformed (then
 * addresses are printed without names). Parses on the first call; boot CPU only until SMP.
 */
const struct symbols_table *ksyms_table(void);

/* ksyms_lookup - symbols_lookup() on the kernel's table; false without a table. */
bool ksyms_lookup(uint64_t addr, struct symbols_match *match);

/*
 * ksyms_describe - writes "name+0xoffset" for ADDR into BUF of SIZE bytes ("?" when unknown).
 * RETURN_ADDRESS says ADDR is a return address: the name is then looked up at ADDR - 1, so a call
 * that is the last instruction of a function is not attributed to the next function.
 */
void ksyms_describe(uint64_t addr, bool return_address, char *buf, size_t size);
