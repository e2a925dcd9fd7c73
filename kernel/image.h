/*
 * The kernel image's own layout, as kernel/kernel.ld lays it out: one PT_LOAD segment each for
 * text (R+X), read-only data (R), data and bss (RW) and the symbol table (R), at
 * QUIRE_KERNEL_LINK_BASE. The bounds are linker-script symbols: only their addresses mean
 * anything, so they are declared as arrays and never read.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

extern const char image_start[], image_end[];
extern const char image_text_start[], image_text_end[];
extern const char image_rodata_start[], image_rodata_end[];
extern const char image_data_start[], image_data_end[]; /* .data and .bss */
extern const char image_ksyms_start[], image_ksyms_end[];

/* image_in_text - whether ADDR lies in the kernel's code. */
static inline bool image_in_text(uintptr_t addr)
{
	return addr >= (uintptr_t)image_text_start && addr < (uintptr_t)image_text_end;
}
