# The UEFI loader (bootloader/), built with clang against gnu-efi's headers and runtime (its crt0
# and self-relocation), linked by ld.lld into an ELF shared object and converted to a PE/COFF EFI
# application by GNU objcopy (llvm-objcopy 14 cannot write efi-app-x86_64). The unstripped ELF,
# $(BUILD)/bootloader/loader.so, keeps the debug info for gdb; it is linked at 0, so its symbols
# load at the image base the loader prints ("quire-loader: image base 0x...").
#
# Pure C files (no EFI headers) are also host unit-tested: elf_validate, memmap_convert, paging,
# cmdline, fmt and devpath.

LOADER_DIR := $(BUILD)/bootloader
LOADER_SO := $(LOADER_DIR)/loader.so
LOADER_LDS := $(LOADER_DIR)/elf_x86_64_efi.lds

GNU_EFI_INCLUDE := /usr/include/efi
GNU_EFI_LIB := /usr/lib
GNU_EFI_LDS := $(GNU_EFI_LIB)/elf_x86_64_efi.lds
GNU_EFI_CRT0 := $(GNU_EFI_LIB)/crt0-efi-x86_64.o

LOADER_SRCS := alloc.c cmdline.c console.c devpath.c elf_validate.c file.c firmware.c fmt.c \
	gop.c handoff.c load.c main.c memmap.c memmap_convert.c paging.c payload.c serial.c
LOADER_ASM := handoff_entry.S
LOADER_OBJS := $(addprefix $(LOADER_DIR)/,$(LOADER_SRCS:.c=.o) $(LOADER_ASM:.S=.o))

# -fpic: gnu-efi's crt0 relocates the image itself (_relocate), from the .rela the link keeps.
# -fshort-wchar: CHAR16 literals (L"...") must be UCS-2. -mgeneral-regs-only, -mno-red-zone:
# firmware interrupts run on our stack and nobody saved the vector state for us.
# GNU_EFI_USE_MS_ABI: firmware calls go through the function pointers with the MS ABI directly.
# GNU_EFI_USE_EXTERNAL_STDARG: gnu-efi takes va_list from <stdarg.h>, as fmt.h does.
LOADER_CFLAGS := -std=c11 -O2 -g -ffreestanding -fpic -fshort-wchar -mno-red-zone \
	-mgeneral-regs-only -fno-stack-protector -fno-strict-aliasing -fno-asynchronous-unwind-tables \
	-DGNU_EFI_USE_MS_ABI -DGNU_EFI_USE_EXTERNAL_STDARG $(WARNINGS) \
	-isystem $(GNU_EFI_INCLUDE) -isystem $(GNU_EFI_INCLUDE)/x86_64 -I$(SYSROOT_INCLUDE) -I.

# -z defs: an unresolved symbol must fail the link, not the boot (a shared object may otherwise
# keep it undefined, and gnu-efi's relocator does not resolve symbols).
LOADER_LDFLAGS := -nostdlib -znocombreloc -shared -Bsymbolic -z defs

$(LOADER_DIR)/%.o: bootloader/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LOADER_CFLAGS) -MMD -MP -c $< -o $@

$(LOADER_DIR)/%.o: bootloader/%.S | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) -fpic -g -MMD -MP -c $< -o $@

# gnu-efi's script for GNU ld, with one change for ld.lld: lld names its dynamic relocation
# section .rela.dyn, which the stock .rela output section does not collect, so the relocations
# would be lost and the loader would crash on its first absolute pointer.
$(LOADER_LDS): $(GNU_EFI_LDS) bootloader/build.mk | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)sed -e 's/^\([[:space:]]*\)\*(\.rela\.data\*)/&\n\1*(.rela.dyn)/' $< > $@.tmp
	$(Q)grep -q '(\.rela\.dyn)' $@.tmp || \
		{ echo "bootloader: $< has no .rela output section to patch" >&2; rm -f $@.tmp; exit 1; }
	$(Q)mv $@.tmp $@

$(LOADER_SO): $(LOADER_OBJS) $(LOADER_LDS)
	$(Q)$(LD) $(LOADER_LDFLAGS) -T $(LOADER_LDS) $(GNU_EFI_CRT0) $(LOADER_OBJS) \
		-L$(GNU_EFI_LIB) -lefi -lgnuefi -o $@

$(LOADER_EFI): $(LOADER_SO)
	$(Q)$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

.PHONY: loader
loader: $(LOADER_EFI)

UNIT_TESTS += loader_elf loader_memmap loader_paging loader_cmdline loader_fmt loader_devpath
UNIT_SRCS_loader_elf := test/unit/test_loader_elf.c bootloader/elf_validate.c
UNIT_SRCS_loader_memmap := test/unit/test_loader_memmap.c bootloader/memmap_convert.c
UNIT_SRCS_loader_paging := test/unit/test_loader_paging.c bootloader/paging.c
UNIT_SRCS_loader_cmdline := test/unit/test_loader_cmdline.c bootloader/cmdline.c
UNIT_SRCS_loader_fmt := test/unit/test_loader_fmt.c bootloader/fmt.c
UNIT_SRCS_loader_devpath := test/unit/test_loader_devpath.c bootloader/devpath.c
