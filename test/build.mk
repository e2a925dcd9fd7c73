# Tests. `make test` runs every tier in order through tools/test.sh, which ends with the line
# "N passed, N failed":
#   1. format: every C file matches .clang-format;
#   2. unit: host unit tests (cmocka) under AddressSanitizer and UndefinedBehaviorSanitizer;
#   3. fuzz: each host fuzzer (test/fuzz/build.mk, which adds $(FUZZ_BINS) to `test`) for
#      FUZZ_SMOKE_TIME seconds;
#   4. qemu: the in-QEMU suite (tools/run-suite.sh): the image boots in test mode on several
#      machine sizes, the kernel reports TAP over serial, and the boot failures are checked.
#
# A module registers a host unit test in its own build.mk:
#   UNIT_TESTS += NAME
#   UNIT_SRCS_NAME := test/unit/test_NAME.c path/to/code_under_test.c ...
# Each source is compiled once for the host under $(UNIT_DIR)/obj and shared between tests.

UNIT_DIR := $(BUILD)/unit
HOST_TEST_CFLAGS := -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all $(WARNINGS) -I. -I$(SYSROOT_INCLUDE) -DQUIRE_HOST_TEST
HOST_TEST_LDFLAGS := -fsanitize=address,undefined
HOST_TEST_LDLIBS := -lcmocka

$(UNIT_DIR)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_TEST_CFLAGS) -MMD -MP -c $< -o $@

define unit_test_rule
$(UNIT_DIR)/$(1): $(patsubst %.c,$(UNIT_DIR)/obj/%.o,$(UNIT_SRCS_$(1)))
	@mkdir -p $$(@D)
	$(Q)$(HOSTCC) $(HOST_TEST_LDFLAGS) $$^ -o $$@ $(HOST_TEST_LDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_test_rule,$(t))))

UNIT_BINS := $(addprefix $(UNIT_DIR)/,$(UNIT_TESTS))

.PHONY: test unit qemu-test format format-check
test: $(IMAGE) $(UNIT_BINS)
	$(Q)tools/test.sh --build $(BUILD) --image $(IMAGE) --unit $(UNIT_BINS) \
		--fuzz $(FUZZ_BINS) --fuzz-time $(FUZZ_SMOKE_TIME)

unit: $(UNIT_BINS)
	$(Q)tools/test.sh --build $(BUILD) --only unit --unit $(UNIT_BINS)

qemu-test: $(IMAGE)
	$(Q)tools/test.sh --build $(BUILD) --image $(IMAGE) --only qemu

format-check:
	$(Q)tools/test.sh --build $(BUILD) --only format

format:
	$(Q)$(CLANG_FORMAT) -i $(FORMAT_SRCS)
