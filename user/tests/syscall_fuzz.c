/*
 * syscall_fuzz: the system-call fuzzer in the suite (issue 8). Runs /bin/fuzz (user/fuzz.c) with
 * a fixed seed for FUZZ_CALLS calls and passes when it does: the kernel survived, no call returned
 * what the ABI does not allow, every worker ended in a way the fuzzer chose, and the processes,
 * the free frames and the fuzzer's handles came back to their baselines (the fuzzer's own
 * "fuzz: PASS" or "fuzz: FAIL" line, and its table of calls, are in the log just before). This
 * program checks the same baselines again from outside, after the fuzzer has gone.
 * `make fuzz-syscalls` runs millions of calls with other seeds (user/fuzz.mk).
 */
#include "qtest.h"

#define FUZZ_SEED  "--seed=20240101"
#define FUZZ_CALLS "--calls=200000"

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* The stack pages this program uses get their frames before the baseline is taken. */
static __attribute__((noinline)) void warm_stack(void)
{
	volatile char pad[16 * 1024];

	for (size_t i = 0; i < sizeof(pad); i += 4096)
		pad[i] = 0;
}

int main(int argc, char **argv)
{
	const char *args[] = {"/bin/fuzz", FUZZ_SEED, FUZZ_CALLS};
	struct quire_system_info si;
	quire_handle_t fuzz = QUIRE_HANDLE_INVALID;

	warm_stack();
	CHECK_EQ(quire_system_info(&si, sizeof(si)), 0);
	uint64_t frames = si.frames_free, processes = si.processes, t0 = rdtsc();
	CHECK_EQ(quire_process_spawn("/bin/fuzz", args, 3, NULL, 0, &fuzz), 0);
	struct quire_exit_info info = qtest_wait(fuzz);
	uint64_t ms = si.tsc_hz ? (rdtsc() - t0) / (si.tsc_hz / 1000) : 0;
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, 0);
	for (int i = 0;
	     i < 1000 && (qtest_frames_free() != frames || qtest_processes() != processes); i++)
		quire_sleep(1000000);
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(qtest_frames_free(), frames);
	printf("syscall_fuzz: ok: %s %s in %llu ms\n", FUZZ_SEED, FUZZ_CALLS,
	       (unsigned long long)ms);
	return 0;
}
