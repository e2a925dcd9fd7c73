# The initrd, the disk image, and the targets that boot it: run and debug.

# The initrd is a cpio newc archive (what Linux uses too), so users build and inspect it with
# ordinary tools. Its tree is assets/initrd/ for now; later the user programs join it.
INITRD_SRCS := $(shell find assets/initrd -type f 2>/dev/null)
$(INITRD): $(INITRD_SRCS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)cd assets/initrd && find . -mindepth 1 | LC_ALL=C sort | \
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

# make bench: the in-kernel benchmarks under deterministic QEMU settings (docs/benchmarks.md).
.PHONY: bench
bench: $(IMAGE)
	$(Q)tools/bench.sh --image $(IMAGE) --out $(BUILD)/bench.json --log $(BUILD)/bench.log
