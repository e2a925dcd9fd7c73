/*
 * The VMA and handle system calls and system_info: the handlers the generated dispatch table
 * (build/kernel/gen/syscall_table.h, from sysroot/include/quire/syscalls.h) calls.
 *
 * Model: a handler copies its user arguments in, calls the kernel-terms function of vma_calls.h
 * (or handle.h) for the running process, and copies the results out; user pointers arrive as
 * uint64_t and are reached only through copy_from_user()/copy_to_user(). Each returns 0 or a
 * negated enum quire_error. The out-pointer rule of quire/syscalls.h: in-pointers (*addr with
 * QUIRE_VMA_EXACT, *size) are read before anything is checked, so a bad one is FAULT first;
 * results are written last, and a result that cannot be written undoes the call (the new handle
 * closed, the new mapping removed) before FAULT is returned.
 *
 * The declarations are the generated ones, type for type: kernel/build.mk compiles this header
 * together with syscall_table.h (vma_syscalls.ok), so a mismatch is a build error.
 *
 * Context: system-call entry, in the running process (process_current()), interrupts off, no
 * spinlock held; may allocate.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "quire/syscalls.h"

long sys_vma_create(uint64_t size, uint32_t flags, uint64_t out);
long sys_vma_create_map(uint64_t size, uint64_t addr, uint32_t flags, uint64_t out);
long sys_vma_map(quire_handle_t vma, quire_handle_t process, uint64_t addr, uint32_t flags);
long sys_vma_unmap(quire_handle_t vma, quire_handle_t process);
long sys_vma_resize(quire_handle_t vma, uint64_t size);
long sys_vma_protect(quire_handle_t vma, quire_handle_t process, uint32_t flags);
long sys_handle_close(quire_handle_t handle);
long sys_handle_clone(quire_handle_t handle, quire_rights_t rights, uint64_t out);
long sys_system_info(uint64_t info, size_t info_size);

/* process_count - processes started and not yet ended; defined by kernel/process.c. */
uint64_t process_count(void);
