/*
 * Host test of the generated libc system-call stubs (build/libc/gen/syscall_stubs.c): each stub
 * is run for real, `syscall` instruction and all, on the host, and a seccomp filter catches it
 * before Linux acts on it.
 *
 * The filter traps (SIGSYS) only a call whose number lies in Quire's range and whose first
 * argument's low 32 bits are MAGIC, so the test's own system calls (and the sanitizers') go
 * through untouched. The handler records the number and the six argument registers from the
 * signal frame, writes the answer the test chose into rax (the stub must return it unchanged),
 * and scribbles over rcx and r11, which `syscall` clobbers on real hardware too. So the test sees
 * what the kernel would: the number in rax, the arguments in rdi, rsi, rdx, r10, r8, r9, 32-bit
 * arguments zero-extended, 64-bit ones whole. Calls without arguments cannot be told apart from
 * the host's own (rdi is whatever it was), so they are not run here; __quire_syscall0 has no
 * argument to misplace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmocka.h>

#include "quire/syscalls.h"

#define MAGIC 0x51c0ffeeu /* the low half of the first argument of every trapped call */
#define HI(x) (((uint64_t)(x) << 32) | MAGIC)

struct trapped {
	int hits;
	long nr;
	uint64_t reg[6]; /* rdi, rsi, rdx, r10, r8, r9 */
};

static volatile struct trapped trapped;
static volatile long answer;
static sigjmp_buf after_noreturn;
static volatile int jump_after;

static void on_sigsys(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	greg_t *g = ((ucontext_t *)context)->uc_mcontext.gregs;
	static const int regs[6] = {REG_RDI, REG_RSI, REG_RDX, REG_R10, REG_R8, REG_R9};
	trapped.hits++;
	trapped.nr = info->si_syscall;
	for (int i = 0; i < 6; i++)
		trapped.reg[i] = (uint64_t)g[regs[i]];
	g[REG_RAX] = answer;
	g[REG_RCX] = 0x0bad0bad0bad0badll; /* clobbered, as `syscall` does */
	g[REG_R11] = 0x202;                /* rflags with IF, as after sysret */
	if (jump_after)
		siglongjmp(after_noreturn, 1);
}

static int setup(void **state)
{
	(void)state;
	struct sock_filter filter[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    /* args[0]'s low half (little-endian) */
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MAGIC, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, QUIRE_SYSCALL_COUNT, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		print_error("seccomp unavailable (%s)\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Takes SIGSYS back from cmocka, which installs its own handler around every test. */
static void arm(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	assert_int_equal(sigaction(SIGSYS, &sa, NULL), 0);
	trapped.hits = 0;
}

static void expect(long nr, int count, const uint64_t *want)
{
	assert_int_equal(trapped.hits, 1);
	assert_int_equal(trapped.nr, nr);
	for (int i = 0; i < count; i++)
		if (trapped.reg[i] != want[i])
			fail_msg("argument %d: register has %#llx, want %#llx", i + 1,
				 (unsigned long long)trapped.reg[i], (unsigned long long)want[i]);
	trapped.hits = 0;
}

/* The one six-argument call: every register, the out-pointer last in r9, the result unchanged. */
static void test_six_arguments(void **state)
{
	(void)state;
	arm();
	answer = 0;
	long got = quire_process_spawn(
	    (const char *)HI(0xa1a1a1a1), (const char *const *)0xb2b2b2b2b2b2b2b2ull,
	    0xc3c3c3c3c3c3c3c3ull, (const quire_handle_t *)0xd4d4d4d4d4d4d4d4ull,
	    0xe5e5e5e5e5e5e5e5ull, (quire_handle_t *)0xf6f6f6f6f6f6f6f6ull);
	assert_int_equal(got, 0);
	const uint64_t want[6] = {HI(0xa1a1a1a1),        0xb2b2b2b2b2b2b2b2ull,
				  0xc3c3c3c3c3c3c3c3ull, 0xd4d4d4d4d4d4d4d4ull,
				  0xe5e5e5e5e5e5e5e5ull, 0xf6f6f6f6f6f6f6f6ull};
	expect(QUIRE_SYS_process_spawn, 6, want);

	answer = -QUIRE_ERR_FAULT;
	got =
	    quire_process_spawn((const char *)HI(1), (const char *const *)2, 3,
				(const quire_handle_t *)4, 5, (quire_handle_t *)0x7fffdead0000ull);
	assert_int_equal(got, -QUIRE_ERR_FAULT);
	const uint64_t want2[6] = {HI(1), 2, 3, 4, 5, 0x7fffdead0000ull};
	expect(QUIRE_SYS_process_spawn, 6, want2);
}

/* Handles and flags are 32-bit: they arrive zero-extended, whatever the register held before. */
static void test_four_arguments_32bit(void **state)
{
	(void)state;
	arm();
	answer = 0;
	assert_int_equal(
	    quire_vma_map(MAGIC, 0xfffffffeu, (uint64_t *)0x7fff00001000ull, 0x80000007u), 0);
	const uint64_t want[4] = {MAGIC, 0xfffffffeull, 0x7fff00001000ull, 0x80000007ull};
	expect(QUIRE_SYS_vma_map, 4, want);
}

/*
 * The calls that create a handle: each writes it through its last parameter, so the
 * out-pointer must reach the register of that position (rdx, r10 or r8 here; r9 for
 * process_spawn above), whole, and the result is the kernel's 0 or error, never a handle.
 */
static void test_out_pointers(void **state)
{
	(void)state;
	quire_handle_t out = 0;
	const uint64_t out_addr = (uint64_t)(uintptr_t)&out;
	arm();

	answer = 0;
	assert_int_equal(quire_vma_create(HI(0x10), QUIRE_VMA_READ | QUIRE_VMA_WRITE, &out), 0);
	const uint64_t w1[3] = {HI(0x10), 3, out_addr}; /* out in rdx */
	expect(QUIRE_SYS_vma_create, 3, w1);

	answer = -QUIRE_ERR_NO_MEMORY;
	assert_int_equal(quire_vma_create_map(HI(2), (uint64_t *)0x1000, 0x13, &out),
			 -QUIRE_ERR_NO_MEMORY);
	const uint64_t w2[4] = {HI(2), 0x1000, 0x13, out_addr}; /* out in r10 */
	expect(QUIRE_SYS_vma_create_map, 4, w2);

	answer = -QUIRE_ERR_ACCESS_DENIED;
	assert_int_equal(quire_handle_clone(MAGIC, QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP, &out),
			 -QUIRE_ERR_ACCESS_DENIED);
	const uint64_t w3[3] = {MAGIC, QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP, out_addr}; /* rdx */
	expect(QUIRE_SYS_handle_clone, 3, w3);

	answer = -QUIRE_ERR_FAULT;
	assert_int_equal(quire_thread_create(MAGIC, 0x401000, 0x7ffffff0, 0x8000000000000001ull,
					     (quire_handle_t *)0xfffff00000000008ull),
			 -QUIRE_ERR_FAULT);
	const uint64_t w4[5] = {MAGIC, 0x401000, 0x7ffffff0, 0x8000000000000001ull,
				0xfffff00000000008ull}; /* out in r8 */
	expect(QUIRE_SYS_thread_create, 5, w4);

	/* The stub only passes the pointer: the kernel (here, nobody) writes *out. */
	assert_int_equal(out, 0);
}

/* A sample of the shorter calls, each with its own number. */
static void test_fewer_arguments(void **state)
{
	(void)state;
	arm();
	answer = 0;
	assert_int_equal(quire_sleep(HI(0x7f)), 0);
	const uint64_t w4[1] = {HI(0x7f)};
	expect(QUIRE_SYS_sleep, 1, w4);

	assert_int_equal(quire_system_info((struct quire_system_info *)HI(9), 32), 0);
	const uint64_t w5[2] = {HI(9), 32};
	expect(QUIRE_SYS_system_info, 2, w5);

	assert_int_equal(quire_vma_protect(MAGIC, 3, QUIRE_VMA_READ), 0);
	const uint64_t w6[3] = {MAGIC, 3, QUIRE_VMA_READ};
	expect(QUIRE_SYS_vma_protect, 3, w6);

	answer = -QUIRE_ERR_BAD_HANDLE;
	assert_int_equal(quire_handle_close(MAGIC), -QUIRE_ERR_BAD_HANDLE);
	const uint64_t w7[1] = {MAGIC};
	expect(QUIRE_SYS_handle_close, 1, w7);
}

/* A call that does not return: the stub makes the call and never falls through. */
static void test_noreturn(void **state)
{
	(void)state;
	arm();
	answer = 0;
	jump_after = 1;
	if (sigsetjmp(after_noreturn, 1) == 0)
		quire_process_exit((int64_t)HI(0xffffffff));
	jump_after = 0;
	const uint64_t want[1] = {HI(0xffffffff)};
	expect(QUIRE_SYS_process_exit, 1, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_six_arguments), cmocka_unit_test(test_four_arguments_32bit),
	    cmocka_unit_test(test_out_pointers),  cmocka_unit_test(test_fewer_arguments),
	    cmocka_unit_test(test_noreturn),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
