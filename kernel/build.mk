# The kernel: $(KERNEL_ELF), a static ELF linked at QUIRE_KERNEL_LINK_BASE (quire/boot.h), plus the
# kernel's host unit tests. Included by the top Makefile; objects go under $(BUILD)/kernel/.
#
# Every .c and .S under kernel/ is part of the kernel. The link runs twice: the first link carries
# an empty symbol table; tools/gensyms.sh turns its function symbols into the real table, which
# the second link places last in the image (kernel.ld), and `gensyms.sh verify` fails the build
# unless every symbol before the table kept its address. See docs/kernel.md.

KERNEL_DIR := $(BUILD)/kernel
KERNEL_GEN := $(KERNEL_DIR)/gen

# The link address lives in one place, the boot protocol header.
KERNEL_LINK_BASE := $(shell sed -n \
	's/^\#define QUIRE_KERNEL_LINK_BASE[[:space:]]*\(0x[0-9a-fA-F]*\).*/\1/p' \
	$(SYSROOT_INCLUDE)/quire/boot.h)
ifeq ($(KERNEL_LINK_BASE),)
$(error kernel/build.mk: no QUIRE_KERNEL_LINK_BASE in $(SYSROOT_INCLUDE)/quire/boot.h)
endif

KERNEL_TARGET := --target=x86_64-unknown-none-elf
KERNEL_CFLAGS := $(KERNEL_TARGET) -std=c11 -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -nostdlib -g -O2 $(WARNINGS) -I. -I$(SYSROOT_INCLUDE)
# Debug checks (kernel/lib/debug_check.h): lock ranks, heap poisoning, allocation context.
# `make KERNEL_DEBUG=0 BUILD=build-release` builds without them (a separate BUILD, since objects
# do not track the flag).
KERNEL_DEBUG ?= 1
KERNEL_CFLAGS += -DQUIRE_DEBUG=$(KERNEL_DEBUG)
KERNEL_ASFLAGS := $(KERNEL_TARGET) -g -I. -I$(SYSROOT_INCLUDE)
KERNEL_LDFLAGS := -T kernel/kernel.ld -static -nostdlib -z max-page-size=4096 --build-id=none \
	--defsym=KERNEL_LINK_BASE=$(KERNEL_LINK_BASE)
KERNEL_NM := nm

KERNEL_SRCS := $(sort $(wildcard kernel/*.c kernel/*/*.c kernel/*/*/*.c \
	kernel/*.S kernel/*/*.S kernel/*/*/*.S))
KERNEL_OBJS := $(patsubst kernel/%,$(KERNEL_DIR)/%.o,$(basename $(KERNEL_SRCS)))

$(KERNEL_DIR)/%.o: kernel/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

$(KERNEL_DIR)/%.o: kernel/%.S | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(KERNEL_ASFLAGS) -MMD -MP -c $< -o $@

# The source revision in the version string. The file changes only when the revision does, so
# version.o is rebuilt then and only then.
KERNEL_REVISION := $(shell git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
$(KERNEL_GEN)/revision: kernel-revision-check
	@mkdir -p $(@D)
	$(Q)echo '$(KERNEL_REVISION)' | cmp -s - $@ || echo '$(KERNEL_REVISION)' > $@
.PHONY: kernel-revision-check
kernel-revision-check:
$(KERNEL_DIR)/version.o: $(KERNEL_GEN)/revision
$(KERNEL_DIR)/version.o: KERNEL_CFLAGS += -DQUIRE_GIT_REVISION='"$(KERNEL_REVISION)"'

# Link 1, with an empty symbol table.
$(KERNEL_GEN)/ksyms-empty.S: tools/gensyms.sh | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)tools/gensyms.sh generate --empty > $@

$(KERNEL_GEN)/%.o: $(KERNEL_GEN)/%.S
	$(Q)$(CC) $(KERNEL_ASFLAGS) -c $< -o $@

$(KERNEL_DIR)/kernel.pass1.elf: $(KERNEL_OBJS) $(KERNEL_GEN)/ksyms-empty.o kernel/kernel.ld
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(KERNEL_GEN)/ksyms-empty.o

# Link 2, with the table generated from link 1, checked to have moved nothing.
$(KERNEL_GEN)/ksyms-table.S: $(KERNEL_DIR)/kernel.pass1.elf tools/gensyms.sh
	$(Q)NM=$(KERNEL_NM) tools/gensyms.sh generate $< > $@

$(KERNEL_ELF): $(KERNEL_OBJS) $(KERNEL_GEN)/ksyms-table.o kernel/kernel.ld
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $@.tmp $(KERNEL_OBJS) $(KERNEL_GEN)/ksyms-table.o
	$(Q)NM=$(KERNEL_NM) tools/gensyms.sh verify $(KERNEL_DIR)/kernel.pass1.elf $@.tmp || \
		{ rm -f $@.tmp; exit 1; }
	$(Q)mv $@.tmp $@

.PHONY: kernel
kernel: $(KERNEL_ELF)

# The system-call dispatch header generated from quire/syscalls.h (tools/build.mk): included by
# kernel/syscalls.c alone; the link also waits for its stand-alone check.
$(KERNEL_ELF): | $(KERNEL_GEN)/syscall_table.ok
$(KERNEL_DIR)/syscalls.o: $(KERNEL_GEN)/syscall_table.h
$(KERNEL_DIR)/syscalls.o: KERNEL_CFLAGS += -I$(KERNEL_GEN)

# The handlers of kernel/objects/vma_syscalls.c are declared by hand in vma_syscalls.h (the
# generated header is for syscalls.c alone); compiling both headers together turns any difference
# from the generated prototypes into a conflicting-types error. The link waits for the check.
$(KERNEL_GEN)/vma_syscalls.ok: $(KERNEL_GEN)/syscall_table.h kernel/objects/vma_syscalls.h
	$(Q)printf '#include "syscall_table.h"\n#include "kernel/objects/vma_syscalls.h"\n' | \
		$(CC) $(KERNEL_CFLAGS) -I$(KERNEL_GEN) -x c -fsyntax-only -
	$(Q)touch $@
$(KERNEL_ELF): | $(KERNEL_GEN)/vma_syscalls.ok

# Host unit tests of the kernel's pure modules (test/build.mk builds and runs them).
UNIT_TESTS += kernel_format kernel_symbols kernel_memmap kernel_boot_info kernel_options
UNIT_SRCS_kernel_format := test/unit/test_kernel_format.c kernel/lib/format.c
UNIT_SRCS_kernel_symbols := test/unit/test_kernel_symbols.c kernel/lib/symbols.c
UNIT_SRCS_kernel_memmap := test/unit/test_kernel_memmap.c kernel/memmap.c
UNIT_SRCS_kernel_boot_info := test/unit/test_kernel_boot_info.c kernel/boot_info.c \
	kernel/lib/format.c
UNIT_SRCS_kernel_options := test/unit/test_kernel_options.c kernel/options.c kernel/lib/cmdline.c

# The ACPI MADT parser (kernel/lib/acpi_madt.c) over hand-built tables, each in a buffer of its own
# exact size so that AddressSanitizer stops any read past a table.
UNIT_TESTS += acpi_madt
UNIT_SRCS_acpi_madt := test/unit/test_acpi_madt.c kernel/lib/acpi_madt.c

# Source sets the memory tests share, each one layer over the one before; SIM_MACHINE is the
# simulated RAM and boot_info they run on (test/unit/sim_machine.h).
HOST_PMM_SRCS := kernel/memory/pmm.c kernel/memory/pmm_init.c kernel/memory/fail_inject.c \
	kernel/lib/spinlock.c kernel/lib/alloc_check.c
HOST_VM_SRCS := $(HOST_PMM_SRCS) kernel/memory/vm_area.c kernel/memory/vm_area_open.c \
	kernel/memory/vm_area_fixed.c kernel/memory/vm_area_guarded.c \
	kernel/memory/vm_area_reservation.c kernel/memory/vm_space.c kernel/memory/vm_space_fault.c \
	kernel/memory/vm_space_resize.c kernel/objects/kobject.c kernel/memory/page_tree.c \
	kernel/memory/page_tree_cache.c kernel/memory/region_tree.c kernel/memory/pagetable.c \
	kernel/memory/pat.c kernel/memory/kheap.c kernel/memory/kstack.c kernel/lib/kerr.c
SIM_MACHINE := test/unit/sim_machine.c
SIM_VM := $(SIM_MACHINE) test/unit/sim_vm.c

UNIT_TESTS += kernel_spinlock kernel_kheap kernel_pmm kernel_pat kernel_pagetable
UNIT_SRCS_kernel_spinlock := test/unit/test_kernel_spinlock.c kernel/lib/spinlock.c \
	kernel/lib/alloc_check.c
UNIT_SRCS_kernel_kheap := test/unit/test_kernel_kheap.c $(SIM_VM) $(HOST_VM_SRCS)
UNIT_SRCS_kernel_pmm := test/unit/test_kernel_pmm.c $(HOST_PMM_SRCS) kernel/options.c \
	kernel/lib/cmdline.c
UNIT_SRCS_kernel_pat := test/unit/test_kernel_pat.c kernel/memory/pat.c
UNIT_SRCS_kernel_pagetable := test/unit/test_kernel_pagetable.c $(SIM_MACHINE) \
	kernel/memory/pagetable.c kernel/memory/pat.c $(HOST_PMM_SRCS)

UNIT_TESTS += kernel_region_tree kernel_page_tree kernel_vm
UNIT_SRCS_kernel_region_tree := test/unit/test_kernel_region_tree.c kernel/memory/region_tree.c \
	kernel/lib/kerr.c
UNIT_SRCS_kernel_page_tree := test/unit/test_kernel_page_tree.c $(SIM_MACHINE) \
	kernel/memory/page_tree.c kernel/memory/page_tree_cache.c $(HOST_PMM_SRCS)
UNIT_SRCS_kernel_vm := test/unit/test_kernel_vm.c $(SIM_VM) $(HOST_VM_SRCS)

# Copies between address spaces (kernel/memory/vm_copy.c) over the real VM core.
UNIT_TESTS += vm_copy
UNIT_SRCS_vm_copy := test/unit/test_vm_copy.c $(SIM_VM) $(HOST_VM_SRCS) kernel/memory/vm_copy.c

# The VMA system calls in kernel terms, over the real handle table, areas and spaces; the test
# brings a fake process object and process_space_of().
UNIT_TESTS += vma_calls
UNIT_SRCS_vma_calls := test/unit/test_vma_calls.c $(SIM_VM) $(HOST_VM_SRCS) \
	kernel/objects/handle.c kernel/objects/vma_calls.c

# User space's inputs: the initrd's cpio reader and the user ELF loader (docs/user-programs.md).
UNIT_TESTS += kernel_cpio kernel_elf_load
UNIT_SRCS_kernel_cpio := test/unit/test_kernel_cpio.c kernel/lib/cpio.c
UNIT_SRCS_kernel_elf_load := test/unit/test_kernel_elf_load.c $(SIM_VM) $(HOST_VM_SRCS) \
	kernel/memory/elf_load.c

UNIT_TESTS += kernel_handle_table
UNIT_SRCS_kernel_handle_table := test/unit/test_kernel_handle_table.c $(SIM_VM) \
	$(HOST_VM_SRCS) kernel/objects/handle.c
# The in-QEMU initrd test checks README's size against the file the initrd was built from.
$(KERNEL_DIR)/tests/initrd_tests.o: assets/initrd/README
$(KERNEL_DIR)/tests/initrd_tests.o: KERNEL_CFLAGS += \
	-DQUIRE_README_SIZE=$(shell wc -c < assets/initrd/README 2>/dev/null || echo 0)ull

# PSF2 fonts (kernel/lib/psf.c, also built into user programs): the host test parses the real
# console font, $(FONT_PSF) from assets/build.mk, read at run time from its absolute path.
UNIT_TESTS += psf
UNIT_SRCS_psf := test/unit/test_psf.c kernel/lib/psf.c
# ($(BUILD)/unit is test/build.mk's UNIT_DIR, which is defined after this file is read.)
$(BUILD)/unit/obj/test/unit/test_psf.o: $(FONT_PSF)
$(BUILD)/unit/obj/test/unit/test_psf.o: HOST_TEST_CFLAGS += \
	-DQUIRE_FONT_PSF='"$(abspath $(FONT_PSF))"'

# The console font, embedded by kernel/font.S with .incbin: the path goes in as a macro, and the
# object depends on the file (the assembler's -MMD does not see .incbin).
$(KERNEL_DIR)/font.o: $(FONT_PSF)
$(KERNEL_DIR)/font.o: KERNEL_ASFLAGS += -DQUIRE_FONT_PSF='"$(abspath $(FONT_PSF))"'
