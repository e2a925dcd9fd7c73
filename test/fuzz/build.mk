# Host fuzzers: libFuzzer targets (clang's -fsanitize=fuzzer) under AddressSanitizer and
# UndefinedBehaviorSanitizer, one program $(FUZZ_DIR)/fuzz_NAME per target, built from
# FUZZ_SRCS_NAME with -DQUIRE_HOST_TEST like the unit tests (docs/testing.md, "Fuzzing"):
#   page_tree    operation sequences on the page tree, over the real pmm in simulated RAM
#   region_tree  operation sequences on the region tree, against a sorted array
#   elf          the kernel's user ELF check (elf_load_check, and elf_load of what it accepts,
#                over the real VM in simulated RAM) and the loader's kernel check (elf_validate)
#   boot_info    boot_info_validate() and boot_info_describe()
# The seed corpus of each target is test/fuzz/corpus/NAME/ (committed, small).
#
#   make fuzz             each target for FUZZ_TIME seconds (default 60), one after the other;
#                         new corpus entries go to $(FUZZ_DIR)/corpus/NAME/, crashes to
#                         $(FUZZ_DIR)/crashes/ (never into test/)
#   make test             the fuzz tier of tools/test.sh: each target for FUZZ_SMOKE_TIME seconds
#                         (default 5) with a fixed seed, over its seed corpus and what make fuzz
#                         found; `make fuzz-test` runs that tier alone
# `fuzz` only depends on `fuzz-host`, so another fuzzer (the syscall fuzzer) can join it.
# This file is included after test/build.mk, whose `test` rule passes $(FUZZ_BINS) on.

FUZZ_DIR := $(BUILD)/fuzz
FUZZ_TARGETS := page_tree region_tree elf boot_info
FUZZ_TIME ?= 60
FUZZ_SMOKE_TIME ?= 5
FUZZ_CFLAGS := -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all $(WARNINGS) -I. -I$(SYSROOT_INCLUDE) -DQUIRE_HOST_TEST
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined

FUZZ_SRCS_page_tree := test/fuzz/fuzz_page_tree.c $(SIM_MACHINE) kernel/memory/page_tree.c \
	kernel/memory/page_tree_cache.c $(HOST_PMM_SRCS)
FUZZ_LDLIBS_page_tree := -lcmocka # sim_machine.c checks its setup with cmocka's asserts
FUZZ_SRCS_region_tree := test/fuzz/fuzz_region_tree.c kernel/memory/region_tree.c \
	kernel/lib/kerr.c
FUZZ_SRCS_elf := test/fuzz/fuzz_elf.c $(SIM_VM) $(HOST_VM_SRCS) kernel/memory/elf_load.c \
	bootloader/elf_validate.c
FUZZ_LDLIBS_elf := -lcmocka
FUZZ_SRCS_boot_info := test/fuzz/fuzz_boot_info.c kernel/boot_info.c kernel/lib/format.c

# Objects of their own: coverage instrumentation differs from the unit tests'.
$(FUZZ_DIR)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

define fuzz_rule
$(FUZZ_DIR)/fuzz_$(1): $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_SRCS_$(1)))
	@mkdir -p $$(@D)
	$(Q)$(HOSTCC) $(FUZZ_LDFLAGS) $$^ -o $$@ $(FUZZ_LDLIBS_$(1))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

FUZZ_BINS := $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-host fuzz-bins fuzz-test
fuzz: fuzz-host

fuzz-bins: $(FUZZ_BINS)

# The fuzz tier of `make test` alone.
fuzz-test: $(FUZZ_BINS)
	$(Q)tools/test.sh --build $(BUILD) --only fuzz --fuzz-time $(FUZZ_SMOKE_TIME) --fuzz $(FUZZ_BINS)

fuzz-host: $(FUZZ_BINS)
	$(Q)FUZZ_SEED=$${FUZZ_SEED:-0} tools/test.sh --build $(BUILD) --only fuzz --fuzz-time $(FUZZ_TIME) \
		--fuzz-corpus $(FUZZ_DIR)/corpus --fuzz-crashes $(FUZZ_DIR)/crashes --fuzz $(FUZZ_BINS)

test: $(FUZZ_BINS)
