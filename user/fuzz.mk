# make fuzz-syscalls: the system-call fuzzer (user/fuzz.c, /bin/fuzz) for millions of calls.
#
# Boots $(IMAGE) with `run=fuzz:--calls=$(FUZZ_CALLS):--seed=SEED` (QEMU_MEM and QEMU_SMP as for
# `make run`), waits for the fuzzer's verdict line in the serial log ("fuzz: PASS" or
# "fuzz: FAIL"; a kernel panic, or the fuzzer ending without one, counts as a failure), then ends
# QEMU by its PID: outside test mode the kernel idles once init is done, so QEMU would not exit by
# itself. Exit status 0 on PASS, 1 otherwise; the fuzzer's table of calls and results is printed
# either way, and the whole serial log stays in $(FUZZ_SYSCALLS_LOG).
#
#   FUZZ_CALLS              calls to make (default 5,000,000)
#   FUZZ_SEED               the seed; unset or 0: one taken from the clock (printed, so a failing
#                           run can be repeated with FUZZ_SEED=that)
#   FUZZ_SYSCALLS_TIMEOUT   seconds before QEMU is given up on (default 7200)
#
# The suite runs the same fuzzer for 200,000 calls with a fixed seed (user/tests/syscall_fuzz.c).
# `make fuzz` runs it after the host fuzzers (test/fuzz/build.mk).

FUZZ_CALLS ?= 5000000
FUZZ_SYSCALLS_TIMEOUT ?= 7200
FUZZ_SYSCALLS_LOG := $(BUILD)/fuzz/syscalls.log

.PHONY: fuzz-syscalls
fuzz: fuzz-syscalls
fuzz-syscalls: $(IMAGE)
	$(Q)seed='$(FUZZ_SEED)'; log='$(FUZZ_SYSCALLS_LOG)'; \
	case "$$seed" in ''|0) seed=$$(date +%s);; esac; \
	echo "fuzz-syscalls: $(FUZZ_CALLS) calls, seed $$seed; serial log $$log"; \
	mkdir -p "$$(dirname "$$log")" && : >"$$log"; \
	tools/run-qemu.sh --image $(IMAGE) --cmdline "run=fuzz:--calls=$(FUZZ_CALLS):--seed=$$seed" \
		--serial "$$log" --timeout $(FUZZ_SYSCALLS_TIMEOUT) </dev/null >/dev/null 2>&1 & \
	pid=$$!; start=$$(date +%s); verdict=; \
	while :; do \
		if grep -aq 'fuzz: PASS' "$$log"; then verdict=PASS; break; fi; \
		if grep -aq 'fuzz: FAIL' "$$log"; then verdict=FAIL; break; fi; \
		if grep -aq 'PANIC' "$$log"; then verdict='a kernel panic'; break; fi; \
		if grep -aq 'init: bin/fuzz ' "$$log"; then verdict='no verdict from the fuzzer'; break; fi; \
		if ! kill -0 $$pid 2>/dev/null; then verdict='QEMU ended without a verdict'; break; fi; \
		sleep 2; \
	done; \
	sleep 1; kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; \
	secs=$$(( $$(date +%s) - start )); \
	tr -d '\r' <"$$log" | grep -a -e '^\[fuzz [0-9]*\] fuzz: ' -e 'PANIC' -e '^quire: ' \
		-e 'init: bin/fuzz' | sed 's/^\[fuzz [0-9]*\] //' | grep -v '^quire: process' ; \
	calls=$$(tr -d '\r' <"$$log" | sed -n 's/.*fuzz: \([0-9]*\) calls by .*/\1/p' | tail -n 1); \
	echo "fuzz-syscalls: $$verdict after $$secs s of host time (boot included)$${calls:+, $$(( calls / (secs > 0 ? secs : 1) )) calls/s}; seed $$seed"; \
	[ "$$verdict" = PASS ]
