# Quire: one non-recursive build. Each part of the tree adds its rules in its own build.mk, which
# this file includes; every output goes under $(BUILD). `make help` lists the targets.
#
# Contracts between the fragments:
#   LOADER_EFI   the UEFI loader, installed as \EFI\BOOT\BOOTX64.EFI     (bootloader/build.mk)
#   KERNEL_ELF   the kernel, installed as \quire\kernel.elf               (kernel/build.mk)
#   INITRD       the cpio newc archive installed as \quire\initrd          (tools/build.mk)
#   IMAGE        the GPT disk image with its FAT ESP                      (tools/build.mk)
#   LIBC_A       the user C library, build/libc/libc.a                    (libc/build.mk)
#   UNIT_TESTS   host unit-test names; test NAME is built from UNIT_SRCS_NAME (test/build.mk)
#   FORMAT_SRCS  C sources and headers that must match .clang-format

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SUFFIXES:

BUILD ?= build
V ?= 0
ifeq ($(V),0)
Q := @
else
Q :=
endif

CC := clang
LD := ld.lld
OBJCOPY := objcopy
HOSTCC := clang
CLANG_FORMAT := clang-format

# Warnings every C file is built with, for the guest and the host alike.
WARNINGS := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
	-Wvla -Wimplicit-fallthrough -Wno-unused-parameter
SYSROOT_INCLUDE := sysroot/include

LOADER_EFI := $(BUILD)/bootloader/BOOTX64.EFI
KERNEL_ELF := $(BUILD)/kernel/kernel.elf
INITRD := $(BUILD)/initrd.cpio
IMAGE := $(BUILD)/quire.img

# Tools missing? tools/deps.sh installs them (or says exactly how). The stamp is order-only so a
# rebuild never waits on it once the machine has what the build needs.
DEPS_STAMP := $(BUILD)/.deps-ok
$(DEPS_STAMP):
	$(Q)tools/deps.sh
	$(Q)mkdir -p $(@D) && touch $@

UNIT_TESTS :=
FORMAT_SRCS = $(shell git ls-files -co --exclude-standard -- '*.c' '*.h' 2>/dev/null)

include bootloader/build.mk
include assets/build.mk
include kernel/build.mk
include libc/build.mk
include tools/build.mk
include test/build.mk
include test/fuzz/build.mk
include user/fuzz.mk

.PHONY: all help
all: $(IMAGE) $(LIBC_A)

help:
	@echo "make            build the loader, the kernel and the disk image ($(IMAGE))"
	@echo "make run        boot the image under QEMU/OVMF (window if a display exists, serial here)"
	@echo "make test       every test tier: format check, host unit tests, fuzz smoke runs, in-QEMU suite"
	@echo "make bench      benchmarks under -icount; table and $(BUILD)/bench.json"
	@echo "make fuzz       the host fuzzers for FUZZ_TIME seconds each (and the system-call fuzzer)"
	@echo "make screenshot boot the drawing program and save $(BUILD)/screenshot.png"
	@echo "make sysroot    install headers, libc.a and crt0.o into $(BUILD)/sysroot"
	@echo "make debug      QEMU halted with a gdb stub, gdb attached with kernel symbols"
	@echo "make unit       host unit tests only (cmocka, ASan/UBSan)"
	@echo "make qemu-test  the in-QEMU suite only"
	@echo "make format     reformat every C file with .clang-format"
	@echo "make clean      remove $(BUILD)/"
	@echo "QEMU_MEM, QEMU_SMP and QEMU_MACHINE override memory, CPUs and machine for run and test."

.PHONY: clean
clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
