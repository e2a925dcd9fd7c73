# The initrd, the disk image, and the targets that boot it: run and debug.

# The initrd is a cpio newc archive (what Linux uses too), so users build and inspect it with
# ordinary tools. Its tree is assets/initrd/ plus each user program user/NAME.c as /bin/NAME and
# each test program user/tests/NAME.c as /test/NAME (init runs every one of those in test mode).
INITRD_SRCS := $(shell find assets/initrd -type f 2>/dev/null)
INITRD_ROOT := $(BUILD)/initrd-root

# User programs: static ELFs linked at 0x400000 (docs/writing-programs.md): crt0.o first, then
# the program, then libc.a. user/NAME.c becomes /bin/NAME; each test program user/tests/NAME.c
# becomes $(USER_DIR)/tests/NAME.elf (USER_TEST_ELFS), which the initrd holds as /test/NAME.
USER_DIR := $(BUILD)/user
USER_ELFS := $(patsubst user/%.c,$(USER_DIR)/%.elf,$(wildcard user/*.c))
USER_TEST_ELFS := $(patsubst user/tests/%.c,$(USER_DIR)/tests/%.elf,$(wildcard user/tests/*.c))
USER_CFLAGS := --target=x86_64-unknown-none-elf -std=c11 -ffreestanding -nostdlib -fno-pic \
	-fno-pie -mno-red-zone -fno-stack-protector -O2 -g $(WARNINGS) -Ilibc/include \
	-I$(SYSROOT_INCLUDE)
USER_LDFLAGS := -static -nostdlib -e _start --image-base=0x400000 -z max-page-size=4096
$(USER_DIR)/%.elf: user/%.c $(LIBC_CRT0) $(LIBC_A) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -MMD -MP -c $< -o $(@:.elf=.o)
	$(Q)$(LD) $(USER_LDFLAGS) -o $@ $(LIBC_CRT0) $(@:.elf=.o) $(LIBC_A)

# user/draw also links the drawing library (user/gfx/), the PSF2 parser it shares with the kernel
# console (kernel/lib/psf.c) and the console font, which user/gfx/font.S embeds from $(FONT_PSF)
# (assets/build.mk) with .incbin. This rule, being explicit, replaces the pattern rule above.
USER_GFX_DIR := $(USER_DIR)/gfx
USER_GFX_OBJS := $(addprefix $(USER_GFX_DIR)/,gfx.o scene.o psf.o font.o)
$(USER_GFX_DIR)/%.o: user/gfx/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -I. -MMD -MP -c $< -o $@
$(USER_GFX_DIR)/psf.o: kernel/lib/psf.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -I. -MMD -MP -c $< -o $@
$(USER_GFX_DIR)/font.o: user/gfx/font.S $(FONT_PSF) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) --target=x86_64-unknown-none-elf -DQUIRE_FONT_PSF='"$(abspath $(FONT_PSF))"' \
		-MMD -MP -c $< -o $@
$(USER_DIR)/draw.elf: user/draw.c $(USER_GFX_OBJS) $(LIBC_CRT0) $(LIBC_A) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -I. -MMD -MP -c $< -o $(@:.elf=.o)
	$(Q)$(LD) $(USER_LDFLAGS) -o $@ $(LIBC_CRT0) $(@:.elf=.o) $(USER_GFX_OBJS) $(LIBC_A)

$(INITRD): $(INITRD_SRCS) $(USER_ELFS) $(USER_TEST_ELFS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)rm -rf $(INITRD_ROOT) && mkdir -p $(INITRD_ROOT)/bin $(INITRD_ROOT)/test && \
		cp -pR assets/initrd/. $(INITRD_ROOT)
	$(Q)for f in $(USER_ELFS); do cp $$f $(INITRD_ROOT)/bin/$$(basename $$f .elf); done
	$(Q)for f in $(USER_TEST_ELFS); do cp $$f $(INITRD_ROOT)/test/$$(basename $$f .elf); done
	$(Q)cd $(INITRD_ROOT) && find . -mindepth 1 | LC_ALL=C sort | \
		cpio -o -H newc --reproducible --quiet > $(abspath $@)

$(IMAGE): $(LOADER_EFI) $(KERNEL_ELF) $(INITRD) tools/mkimage.sh | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)tools/mkimage.sh --out $@ --loader $(LOADER_EFI) --kernel $(KERNEL_ELF) --initrd $(INITRD)

# make run CMDLINE="loglevel=debug" boots with that kernel command line (on a private copy).
CMDLINE ?=
.PHONY: run debug
run: $(IMAGE)
	$(Q)tools/run-qemu.sh --image $(IMAGE) --display $(if $(CMDLINE),--cmdline "$(CMDLINE)")

debug: $(IMAGE)
	$(Q)tools/debug.sh --image $(IMAGE) --kernel $(KERNEL_ELF) \
		--loader $(BUILD)/bootloader/loader.so $(if $(CMDLINE),--cmdline "$(CMDLINE)")

# make bench: the in-kernel benchmarks, then user/bench's rows, under deterministic QEMU settings
# (docs/benchmarks.md).
.PHONY: bench
bench: $(IMAGE)
	$(Q)tools/bench.sh --image $(IMAGE) --out $(BUILD)/bench.json --log $(BUILD)/bench.log

# The system-call table (sysroot/include/quire/syscalls.h) and what it generates, through one
# host program: the libc stubs (libc/build.mk), the kernel's dispatch header (kernel/build.mk) and
# docs/syscalls.md, which is committed and checked here: the build fails while it differs from
# what the table says, and `make syscalls-doc` rewrites it.
GEN_SYSCALLS := $(BUILD)/tools/gen-syscalls
SYSCALLS_DOC_GEN := $(BUILD)/gen/syscalls.md
SYSCALLS_DOC_OK := $(BUILD)/gen/syscalls-doc.ok

$(GEN_SYSCALLS): tools/gen-syscalls.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) -std=c11 -D_POSIX_C_SOURCE=200809L -O1 $(WARNINGS) -I$(SYSROOT_INCLUDE) \
		-MMD -MP $< -o $@

$(SYSCALLS_DOC_GEN): $(GEN_SYSCALLS)
	@mkdir -p $(@D)
	$(Q)$(GEN_SYSCALLS) doc > $@

$(SYSCALLS_DOC_OK): $(SYSCALLS_DOC_GEN) docs/syscalls.md
	$(Q)cmp -s docs/syscalls.md $< || { diff -u docs/syscalls.md $< | head -n 40; \
		echo "docs/syscalls.md is stale: the table in sysroot/include/quire/syscalls.h" \
			"changed; run 'make syscalls-doc' and commit the result" >&2; exit 1; }
	$(Q)touch $@

.PHONY: syscalls-doc
syscalls-doc: $(SYSCALLS_DOC_GEN)
	$(Q)cp $< docs/syscalls.md

# The table's compile-time checks must reject a broken table: test/unit/abi_table_reject.c
# compiles as it is, and fails to compile with a duplicated number, a gap, or an error name
# that is not in enum quire_error, each for the reason expected.
ABI_REJECT_OK := $(BUILD)/abi/table-reject.ok
$(ABI_REJECT_OK): test/unit/abi_table_reject.c sysroot/include/quire/syscalls.h \
		sysroot/include/quire/errors.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) -std=c11 $(WARNINGS) -I$(SYSROOT_INCLUDE) -fsyntax-only $< || \
		{ echo "abi: the well-formed table in $< does not compile" >&2; exit 1; }
	$(Q)for bad in DUPLICATE:'duplicate case value' GAP:'numbers must be dense from 1' \
			UNKNOWN_ERROR:'QUIRE_ERR_NO_SUCH' ERROR_OK:'ERRORS must name errors'; do \
		if $(HOSTCC) -std=c11 $(WARNINGS) -I$(SYSROOT_INCLUDE) -fsyntax-only \
			-DBROKEN_$${bad%%:*} $< > $(@D)/reject.log 2>&1; then \
			echo "abi: a table with BROKEN_$${bad%%:*} compiled: the check is gone" >&2; exit 1; fi; \
		grep -q "$${bad#*:}" $(@D)/reject.log || { cat $(@D)/reject.log; \
			echo "abi: BROKEN_$${bad%%:*} failed, but not with '$${bad#*:}'" >&2; exit 1; }; \
	done
	$(Q)touch $@

# The generated sources. The libc stubs are compiled into libc.a (libc/build.mk). The kernel's
# dispatch header is included by kernel/syscalls.c (kernel/build.mk); it is also compiled on its
# own with the kernel's flags, and the kernel's link waits for that check.
SYSCALL_STUBS_C := $(BUILD)/libc/gen/syscall_stubs.c
SYSCALL_TABLE_H := $(BUILD)/kernel/gen/syscall_table.h
SYSCALL_TABLE_OK := $(BUILD)/kernel/gen/syscall_table.ok

$(SYSCALL_STUBS_C): $(GEN_SYSCALLS)
	@mkdir -p $(@D)
	$(Q)$(GEN_SYSCALLS) stubs > $@

$(SYSCALL_TABLE_H): $(GEN_SYSCALLS)
	@mkdir -p $(@D)
	$(Q)$(GEN_SYSCALLS) kernel > $@

$(SYSCALL_TABLE_OK): $(SYSCALL_TABLE_H)
	$(Q)echo '#include "syscall_table.h"' | \
		$(CC) $(KERNEL_CFLAGS) -I$(<D) -x c -fsyntax-only -
	$(Q)touch $@

# Host unit tests of the table, the error enum and the stubs. Building abi_table runs the
# checks above (order-only: they produce no object to link). UNIT_DIR is $(BUILD)/unit, but
# test/build.mk sets it after this file is read.
UNIT_TESTS += abi_table abi_stubs
UNIT_SRCS_abi_table := test/unit/test_abi_table.c kernel/lib/kerr.c
UNIT_SRCS_abi_stubs := test/unit/test_abi_stubs.c $(SYSCALL_STUBS_C)
$(BUILD)/unit/abi_table: | $(ABI_REJECT_OK) $(SYSCALLS_DOC_OK) $(SYSCALL_TABLE_OK)

# The screenshot tools (docs/framebuffer.md), host programs: render-scene draws user/draw's test
# scene with the same code and font and writes the PPM QEMU's screendump would; ppm-diff compares
# two PPMs pixel by pixel; qmp is the QMP client tools/screenshot.sh takes the screendump with.
# The in-QEMU suite's screenshot scenarios run them from $(BUILD)/tools/, so `make`, `make test`
# and `make qemu-test` build them.
HOST_TOOL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -O2 $(WARNINGS) -I. -I$(SYSROOT_INCLUDE)
HOST_GFX_DIR := $(BUILD)/tools/gfx
HOST_GFX_OBJS := $(addprefix $(HOST_GFX_DIR)/,gfx.o scene.o psf.o font.o)
RENDER_SCENE := $(BUILD)/tools/render-scene
PPM_DIFF := $(BUILD)/tools/ppm-diff
QMP_CLIENT := $(BUILD)/tools/qmp
SCREENSHOT_TOOLS := $(RENDER_SCENE) $(PPM_DIFF) $(QMP_CLIENT)

$(HOST_GFX_DIR)/%.o: user/gfx/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_TOOL_CFLAGS) -MMD -MP -c $< -o $@
$(HOST_GFX_DIR)/psf.o: kernel/lib/psf.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_TOOL_CFLAGS) -MMD -MP -c $< -o $@
$(HOST_GFX_DIR)/font.o: user/gfx/font.S $(FONT_PSF) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) -DQUIRE_FONT_PSF='"$(abspath $(FONT_PSF))"' -MMD -MP -c $< -o $@

$(RENDER_SCENE): tools/render-scene.c $(HOST_GFX_OBJS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_TOOL_CFLAGS) -MMD -MP $< $(HOST_GFX_OBJS) -o $@

$(PPM_DIFF) $(QMP_CLIENT): $(BUILD)/tools/%: tools/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_TOOL_CFLAGS) -MMD -MP $< -o $@

all test qemu-test: $(SCREENSHOT_TOOLS)

# make screenshot: boots with run=draw:--scene-only at SCREENSHOT_SIZE, waits for the scene and
# saves QEMU's screendump as $(BUILD)/screenshot.png (converted from PPM by pnmtopng: QEMU 7.2's
# own PNG output swaps red and blue).
SCREENSHOT_SIZE ?= 1024x768
.PHONY: screenshot
screenshot: $(IMAGE) $(QMP_CLIENT)
	$(Q)tools/screenshot.sh --image $(IMAGE) --size $(SCREENSHOT_SIZE) --qmp-client $(QMP_CLIENT) \
		--log $(BUILD)/screenshot.log --ppm $(BUILD)/screenshot.ppm --png $(BUILD)/screenshot.png

# Host unit tests of the drawing library and the scene, with a font the test makes and with the
# console font, read at run time from its absolute path.
UNIT_TESTS += gfx
UNIT_SRCS_gfx := test/unit/test_gfx.c user/gfx/gfx.c user/gfx/scene.c kernel/lib/psf.c
# ($(BUILD)/unit is test/build.mk's UNIT_DIR, which is defined after this file is read.)
$(BUILD)/unit/obj/test/unit/test_gfx.o: $(FONT_PSF)
$(BUILD)/unit/obj/test/unit/test_gfx.o: HOST_TEST_CFLAGS += \
	-DQUIRE_FONT_PSF='"$(abspath $(FONT_PSF))"'
