# The user C library: $(BUILD)/libc/libc.a and $(BUILD)/libc/crt0.o, for programs that run in
# Quire's user space, and `make sysroot`, which installs them with the headers (docs/libc.md,
# docs/writing-programs.md).
#
# User code may use SSE (floating-point formatting needs it), so unlike the kernel there is no
# -mgeneral-regs-only here. -fno-builtin keeps the compiler from turning memcpy's own loops into
# calls to memcpy. The host unit tests build the same sources with QUIRE_HOST_TEST, which prefixes
# every public name with quire_ (libc/include/__libc.h); see docs/libc.md.

LIBC_DIR := $(BUILD)/libc
LIBC_A := $(LIBC_DIR)/libc.a
LIBC_SRCS := $(wildcard libc/string/*.c libc/stdio/*.c libc/stdlib/*.c libc/ctype/*.c \
	libc/misc/*.c)
LIBC_OBJS := $(patsubst libc/%.c,$(LIBC_DIR)/%.o,$(LIBC_SRCS))
LIBC_CFLAGS := --target=x86_64-unknown-none-elf -ffreestanding -fno-builtin -nostdlib -std=c11 \
	-O2 -g -fno-stack-protector -fno-pic -mno-red-zone $(WARNINGS) -Ilibc/include \
	-I$(SYSROOT_INCLUDE)
LIBC_AR := ar

$(LIBC_DIR)/%.o: libc/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LIBC_CFLAGS) -MMD -MP -c $< -o $@

# The system-call stubs, generated from sysroot/include/quire/syscalls.h (tools/build.mk); they
# include libc/syscall/syscall_raw.h by its path from the top. The archive also waits for the
# check that docs/syscalls.md matches the table.
LIBC_OBJS += $(LIBC_DIR)/gen/syscall_stubs.o
$(LIBC_DIR)/gen/syscall_stubs.o: $(LIBC_DIR)/gen/syscall_stubs.c | $(DEPS_STAMP)
	$(Q)$(CC) $(LIBC_CFLAGS) -I. -MMD -MP -c $< -o $@

$(LIBC_A): $(LIBC_OBJS) | $(BUILD)/gen/syscalls-doc.ok
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(LIBC_AR) rcs $@ $^

# crt0.o: _start, linked first into every program (tools/build.mk), not archived.
LIBC_CRT0 := $(LIBC_DIR)/crt0.o
$(LIBC_CRT0): libc/crt0/crt0.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LIBC_CFLAGS) -MMD -MP -c $< -o $@

.PHONY: libc
libc: $(LIBC_A) $(LIBC_CRT0)

# make sysroot: what a program outside this tree compiles and links against, installed afresh
# each time into SYSROOT_DIR: include/ (libc's headers and the ABI headers, quire/*.h) and
# lib/ (libc.a, crt0.o).
SYSROOT_DIR ?= $(BUILD)/sysroot
.PHONY: sysroot
sysroot: $(LIBC_A) $(LIBC_CRT0)
	$(Q)rm -rf $(SYSROOT_DIR)/include $(SYSROOT_DIR)/lib
	$(Q)mkdir -p $(SYSROOT_DIR)/include/quire $(SYSROOT_DIR)/lib
	$(Q)cp libc/include/*.h $(SYSROOT_DIR)/include/
	$(Q)cp $(SYSROOT_INCLUDE)/quire/*.h $(SYSROOT_DIR)/include/quire/
	$(Q)cp $(LIBC_A) $(LIBC_CRT0) $(SYSROOT_DIR)/lib/
	@echo "sysroot: $(SYSROOT_DIR)"

# Host unit tests: the library's sources against the host's C library.
UNIT_TESTS += libc_string libc_printf libc_stdlib libc_malloc libc_start
UNIT_SRCS_libc_string := test/unit/test_libc_string.c libc/string/mem.c libc/string/str.c \
	libc/ctype/ctype.c
UNIT_SRCS_libc_printf := test/unit/test_libc_printf.c libc/stdio/format.c \
	libc/stdio/format_float.c libc/stdio/snprintf.c libc/stdio/printf.c libc/string/mem.c \
	libc/string/str.c libc/misc/errno.c libc/misc/abort.c
UNIT_SRCS_libc_stdlib := test/unit/test_libc_stdlib.c libc/stdlib/strtol.c libc/stdlib/qsort.c \
	libc/ctype/ctype.c libc/misc/errno.c
# malloc and exit against fake VMA calls on host mmap (the test file has the fakes); the printf
# sources because abort's assert path prints.
UNIT_SRCS_libc_malloc := test/unit/test_libc_malloc.c libc/stdlib/malloc.c libc/misc/exit.c \
	libc/misc/abort.c libc/misc/errno.c libc/stdio/format.c libc/stdio/format_float.c \
	libc/stdio/printf.c libc/string/mem.c libc/string/str.c
# crt0's C half: start-up block checks, the handle lookups, the log sink, exit and abort.
UNIT_SRCS_libc_start := test/unit/test_libc_start.c libc/misc/start.c libc/misc/exit.c \
	libc/misc/abort.c libc/misc/errno.c libc/stdio/format.c libc/stdio/format_float.c \
	libc/stdio/printf.c libc/string/mem.c libc/string/str.c
