/*
 * fuzz: the system-call fuzzer (/bin/fuzz; issue 8, docs/testing.md "Hardening").
 *
 * Model. The parent (`fuzz --calls=N [--seed=S]`) records the free frame count, the processes
 * alive and its own open handles, then has the calls made by worker processes: it spawns itself as
 * `fuzz --worker SUBSEED CALLS` (10,000 calls each; --per-worker=M) with a report area it shares,
 * waits for it, and spawns the next until N calls were made. A worker makes every call number, the
 * invalid ones too (0, 21..25, huge numbers), with arguments drawn by a seeded PRNG from pools of
 * interesting values: 0, 1, -1, sizes around pages and the limits of the address space,
 * page-aligned and unaligned user addresses, kernel and non-canonical addresses, and handles of
 * every type: areas (mapped or not, clones with fewer rights), channel endpoints, threads, child
 * processes, the worker itself, closed (stale) values, neighbours of live values, random bits.
 * Half the calls are "sane" (each argument valid 85% of the time), so calls get past their checks
 * into the code behind them. After each call the worker checks the result: 0 or a negated error
 * the call's ERRORS list allows (quire/syscalls.h; UNSUPPORTED always, and INVALID when a 32-bit
 * argument had upper bits set, the decoder's rule), only UNSUPPORTED for an unknown number, and the
 * argument registers preserved; anything else is an anomaly, recorded with the arguments. Counts
 * per call number and result, and the time spent, live in the shared report, so they survive a
 * worker that ends early. Passing means: the kernel survived (this program got to its verdict), no
 * anomaly, every worker ended in a way it chose (completed, process_exit, thread_exit, or a fault
 * it provoked on purpose), and once all are gone the processes, the free frames and the parent's
 * handles are back at their baselines. The parent prints a table of the calls and the verdict,
 * one line "fuzz: PASS ..." or "fuzz: FAIL ...".
 *
 * Finding a failure again: after each worker the parent names one that left frames behind, as
 * "--worker-seed=SEED --calls=N"; `fuzz --worker-seed=SEED --calls=N --per-worker=N` runs just
 * that worker, and --trace=K makes it log every call from the K-th on, with its arguments and
 * result (and the handles of a spawn or send list), so the call at fault is found by bisecting N.
 *
 * Keeping the worker alive and finite. A call must never scribble on the worker's own state, and
 * never block for long (there is no kill):
 *   - Memory the kernel may write (every out pointer, *ADDR, *SIZE, receive buffers) is never in
 *     the protected ranges: the program image, the main stack, the report. Writable "valid"
 *     pointers come from a scratch area at SCRATCH_AT whose handles are closed at once (so no call
 *     can unmap, resize or protect it; its first page is read-only, the page past its end is not
 *     mapped), from the pool's own mappings, and from random addresses outside the protected
 *     ranges. Read-only arguments may point anywhere. The worker allocates nothing with malloc
 *     and logs nothing (but for --trace, and the rare log call that prints a few bytes).
 *   - The report area is mapped with the handle the parent passed, which is then closed.
 *   - Blocking calls are clamped: sleep up to 200 us, channel_receive's timeout up to 100 us (never
 *     QUIRE_WAIT_FOREVER), process_wait only on the pool's child processes (which end by
 *     themselves) or on values that cannot name a live process (never the worker itself).
 *   - process_spawn starts /bin/fuzz in the modes --linger (LINGER_YIELDS yields) or --noop,
 *     /bin/probe and /bin/crash_null (rarely: they log), or fails (bad paths, pointers, limits).
 *     Successful spawns are kept rare: QEMU translates a new process's code afresh, which makes a
 *     spawn cost the host far more than any other call.
 *   - thread_create enters fuzz_thread_body (yield, then thread_exit: it uses no stack) in the
 *     worker or in a pool child (the same program, so the same address), a bad entry that kills
 *     a pool child, or rarely the worker itself (counted as a risk the parent expects).
 *   - process_exit and the main thread's thread_exit are rare (about 1 in 50,000 and 100,000).
 *   - A helper thread sleeps in 1 ms steps while the worker runs, so there is a live thread to
 *     name and a sleeper waking among the calls; it ends when told, or after HELPER_IDLE_MAX ms
 *     without a call made.
 *   - No channel endpoint is ever sent in a way that could make a cycle (docs/ipc.md, "Cycles
 *     leak": a known limit, not what this fuzzer is for; it found it at once while this rule had
 *     a hole): endpoints of the pool's pairs carry a creation rank, a message on a pair of rank R
 *     carries only endpoints of pairs ranked below R, and values the worker does not track
 *     (clones, received handles) are never sent.
 *
 * Other modes: --linger yields LINGER_YIELDS times, anything else without --calls= exits 0 (what
 * random spawns start).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quire/startup.h"
#include "quire/syscalls.h"
#include "quire_runtime.h"

#define PAGE                4096ull
#define USER_LO             0x10000ull            /* the lowest user page (VM_USER_LO) */
#define USER_HI             0x0000800000000000ull /* one past the user half (VM_USER_HI) */
#define KERNEL_TEXT         0xffffffff80000000ull
#define LINEAR_MAP          0xffff800000000000ull
#define SCRATCH_AT          0x0000100000000000ull /* 16 TiB: far from anything else */
#define SCRATCH_PAGES       16ull                 /* the first one read-only */
#define SCRATCH_RW          (SCRATCH_AT + PAGE)   /* the writable part, up to the end */
#define SCRATCH_SIZE        (SCRATCH_PAGES * PAGE)
#define EXACT_BASE          0x0000200000000000ull /* where EXACT maps are aimed */
#define EXACT_SLOTS         8ull
#define EXACT_STRIDE        0x100000ull
#define REPORT_PAGES        2ull
#define RW                  (QUIRE_VMA_READ | QUIRE_VMA_WRITE)
#define PER_WORKER          10000ull
#define LINGER_YIELDS       8
#define SPAN_SMALL          64ull      /* bytes a call writes through an out pointer at most */
#define SPAN_BYTES          0x11000ull /* a receive buffer: 64 KiB and a page */
#define EXIT_ONE_IN         50000ull   /* process_exit: about once in so many calls */
#define TEXIT_ONE_IN        100000ull  /* the main thread's thread_exit */
#define REFRESH_EVERY       250ull     /* calls between two pool refreshes */
#define CHILD_REFRESH_EVERY 128ull     /* calls between two restarts of the pool's dead children */
#define NUM_BUCKETS         27u        /* numbers 0..25, then one for every larger number */
#define RESULT_BUCKETS      16u        /* 0 = OK, 1..14 the errors, 15 anything else */
#define ANOMALY_MAX         8u
#define REPORT_MAGIC        0x46555a5a52505431ull
#define HELPER_IDLE_MAX     2000 /* the helper's 1 ms naps without a call before it gives up */
#define STRINGIFY_(x)       #x
#define STRINGIFY(x)        STRINGIFY_(x)

/* The thread bodies below use the numbers as literals. */
_Static_assert(QUIRE_SYS_yield == 14 && QUIRE_SYS_thread_exit == 13 && QUIRE_SYS_sleep == 15,
	       "the assembly thread bodies' numbers");
_Static_assert(QUIRE_SYSCALL_COUNT == 20, "new calls need argument recipes here");

enum worker_state { W_STARTING = 1, W_RUNNING = 2, W_DONE = 3 };

/* What an anomaly is. */
enum anomaly_kind {
	A_RESULT = 1,  /* a result the ABI does not allow, or argument registers changed */
	A_OUT_WRITTEN, /* a failed call wrote *OUT (detail: what it wrote) */
	A_HANDLES,     /* the caller's handle count moved otherwise than the call says */
};

struct anomaly {
	uint64_t number;
	uint64_t arg[6];
	int64_t result;
	uint64_t regs_clobbered; /* a bit per argument register that came back changed */
	uint32_t kind;           /* enum anomaly_kind */
	int64_t detail;          /* A_OUT_WRITTEN: the word found; A_HANDLES: the change seen */
	int64_t expected;        /* A_HANDLES: the change expected */
};

/* Shared between the parent and one worker (REPORT_PAGES pages). */
struct report {
	uint64_t magic;
	uint64_t seed;
	uint64_t calls_planned;
	uint64_t calls_done;
	uint64_t state;           /* enum worker_state */
	uint64_t last_number;     /* the call made last (or under way) */
	uint64_t risky;           /* calls made that may end the worker on purpose */
	int64_t exit_status;      /* the status of a deliberate process_exit */
	uint64_t decoder_invalid; /* INVALID for upper bits of a 32-bit argument, not in ERRORS */
	uint64_t anomalies;
	struct anomaly anomaly[ANOMALY_MAX];
	uint64_t counts[NUM_BUCKETS][RESULT_BUCKETS];
	uint64_t ticks[NUM_BUCKETS]; /* TSC ticks spent in the calls of each bucket */
	uint64_t trace_from;         /* the parent's --trace=N: log every call from the N-th on */
};
_Static_assert(sizeof(struct report) <= REPORT_PAGES * PAGE, "the report fits its area");

/* The call table, from the ABI: names and the errors each call may return. */
#define NAME_ENTRY_(num, name, ...) [num] = #name,
static const char *const call_name[QUIRE_SYSCALL_COUNT + 1] = {QUIRE_SYSCALLS(NAME_ENTRY_)};
#undef NAME_ENTRY_
#define ERRORS_ENTRY_(num, name, ret, params, rights, errors, desc) [num] = (errors),
static const uint64_t call_errors[QUIRE_SYSCALL_COUNT + 1] = {QUIRE_SYSCALLS(ERRORS_ENTRY_)};
#undef ERRORS_ENTRY_

/* The 32-bit arguments of each call (a bit per argument): the decoder refuses upper bits. */
static const uint8_t call_arg32[QUIRE_SYSCALL_COUNT + 1] = {
    [QUIRE_SYS_vma_create] = 1u << 1,
    [QUIRE_SYS_vma_create_map] = 1u << 2,
    [QUIRE_SYS_vma_map] = 1u << 0 | 1u << 1 | 1u << 3,
    [QUIRE_SYS_vma_unmap] = 1u << 0 | 1u << 1,
    [QUIRE_SYS_vma_resize] = 1u << 0,
    [QUIRE_SYS_vma_protect] = 1u << 0 | 1u << 1 | 1u << 2,
    [QUIRE_SYS_handle_close] = 1u << 0,
    [QUIRE_SYS_handle_clone] = 1u << 0 | 1u << 1,
    [QUIRE_SYS_process_wait] = 1u << 0,
    [QUIRE_SYS_thread_create] = 1u << 0,
    [QUIRE_SYS_channel_create] = 1u << 0,
    [QUIRE_SYS_channel_send] = 1u << 0,
    [QUIRE_SYS_channel_receive] = 1u << 0,
};

/*
 * Thread bodies that use no stack, so whatever STACK_TOP they were given (and whatever a call
 * writes there) cannot hurt them. Only rax, rcx and r11 change across a system call, so rbx, r12
 * and r13 carry their state.
 *
 * fuzz_thread_body: yield, then thread_exit.
 *
 * fuzz_helper_body (RDI = helper_ctl): until helper_ctl[H_STOP] is set, or H_BEAT (a count of the
 * calls made) stood still for HELPER_IDLE_MAX rounds, each round receives on the endpoint in
 * H_ENDPOINT (when there is one) with a 1 ms timeout, into the scratch buffers H_BYTES and
 * H_HANDLES with capacities 8192 and 16 written to H_LEN and H_COUNT first, then sleeps 1 ms;
 * then thread_exit. So a receiver is often blocked while the main thread sends: the direct path
 * of channel_send gets fuzzed too. H_SEQ is odd while its receive is under way (see do_call()).
 */
enum { H_STOP, H_BEAT, H_ENDPOINT, H_BYTES, H_LEN, H_HANDLES, H_COUNT, H_SEQ, H_WORDS };
_Static_assert(QUIRE_SYS_channel_receive == 20, "the helper's receive");
void fuzz_thread_body(void);
void fuzz_helper_body(void);
/* clang-format off */
__asm__(".text\n"
	".globl fuzz_thread_body\n"
	"fuzz_thread_body:\n"
	"	mov $14, %eax\n"
	"	syscall\n"
	"	mov $13, %eax\n"
	"	syscall\n"
	"	ud2\n"
	".globl fuzz_helper_body\n"
	"fuzz_helper_body:\n"
	"	mov %rdi, %rbx\n"
	"	mov 8(%rbx), %r12\n"		/* H_BEAT */
	"	xor %r13d, %r13d\n"		/* rounds without a call */
	"1:	cmpq $0, (%rbx)\n"		/* H_STOP */
	"	jne 3f\n"
	"	mov 16(%rbx), %rdi\n"		/* H_ENDPOINT */
	"	test %rdi, %rdi\n"
	"	jz 4f\n"
	"	incq 56(%rbx)\n"		/* H_SEQ: odd */
	"	mov 32(%rbx), %rax\n"
	"	movq $8192, (%rax)\n"		/* *H_LEN */
	"	mov 48(%rbx), %rax\n"
	"	movq $16, (%rax)\n"		/* *H_COUNT */
	"	mov 24(%rbx), %rsi\n"
	"	mov 32(%rbx), %rdx\n"
	"	mov 40(%rbx), %r10\n"
	"	mov 48(%rbx), %r8\n"
	"	mov $1000000, %r9d\n"
	"	mov $20, %eax\n"		/* channel_receive */
	"	syscall\n"
	"	incq 56(%rbx)\n"		/* H_SEQ: even */
	"4:	mov $15, %eax\n"		/* sleep 1 ms */
	"	mov $1000000, %edi\n"
	"	syscall\n"
	"	mov 8(%rbx), %rax\n"
	"	cmp %rax, %r12\n"
	"	je 2f\n"
	"	mov %rax, %r12\n"
	"	xor %r13d, %r13d\n"
	"	jmp 1b\n"
	"2:	inc %r13\n"
	"	cmp $" STRINGIFY(HELPER_IDLE_MAX) ", %r13\n"
	"	jb 1b\n"
	"3:	mov $13, %eax\n"
	"	syscall\n"
	"	ud2\n");
/* clang-format on */

/* ---- The PRNG: splitmix64, one stream per process. ---- */

static uint64_t rng_state;

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd(void)
{
	rng_state += 0x9e3779b97f4a7c15ull;
	return mix64(rng_state);
}

static uint64_t below(uint64_t n)
{
	return n == 0 ? 0 : rnd() % n;
}

/* True once in N draws. */
static bool one_in(uint64_t n)
{
	return below(n) == 0;
}

#define PICK(array) ((array)[below(sizeof(array) / sizeof((array)[0]))])

/*
 * Half the calls are made "sane": each argument is then a valid one 85% of the time, so a call
 * gets through its checks often enough to reach the code behind them; the other half draw each
 * argument valid only 30% of the time, to reach the checks themselves.
 */
static bool call_sane;

static bool sane(void)
{
	return below(100) < (call_sane ? 85u : 30u);
}

/* ---- The worker's protected memory: what no call may write. ---- */

extern char _end[];         /* the linker's end of the program image (bss included) */
extern char __ehdr_start[]; /* the linker's: the ELF header, mapped with the first segment */

/* The few ELF fields warm_up() reads (the program has no <elf.h>). */
typedef struct {
	unsigned char e_ident[16];
	uint16_t e_type, e_machine;
	uint32_t e_version;
	uint64_t e_entry, e_phoff, e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} Elf64_Ehdr_;
typedef struct {
	uint32_t p_type, p_flags;
	uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} Elf64_Phdr_;

struct range {
	uint64_t lo, hi;
};

static struct range protected_ranges[3];
static struct report *report;
static volatile uint64_t helper_ctl[H_WORDS]; /* fuzz_helper_body's words */

static void protect_setup(void)
{
	const struct quire_startup *su = quire_startup_info();

	protected_ranges[0] = (struct range){0x400000ull, ((uint64_t)(uintptr_t)_end + 2 * PAGE)};
	protected_ranges[1] = (struct range){su->stack_base - 2 * PAGE, su->stack_top + 2 * PAGE};
	protected_ranges[2] = (struct range){(uint64_t)(uintptr_t)report,
					     (uint64_t)(uintptr_t)report + REPORT_PAGES * PAGE};
}

/* Whether [P, P + SPAN) may reach a protected range (a wrap counts as reaching). */
static bool reaches_protected(uint64_t p, uint64_t span)
{
	uint64_t end = p + span;

	if (end < p)
		return p < USER_HI;
	for (size_t i = 0; i < sizeof(protected_ranges) / sizeof(protected_ranges[0]); i++)
		if (p < protected_ranges[i].hi && end > protected_ranges[i].lo)
			return true;
	return false;
}

/* ---- The pool of handles. ---- */

enum kind { K_NONE, K_AREA, K_MAPPED, K_AREA_CLONE, K_ENDPOINT, K_THREAD, K_CHILD, K_SELF };

struct entry {
	quire_handle_t h;
	uint8_t kind;
	uint64_t rank; /* endpoints: the pair's creation rank */
	uint64_t addr; /* K_MAPPED: where it was mapped */
};

/* Slots: each group is refreshed as a whole (refresh_group). */
enum {
	S_AREA = 0,         /* 4 areas, not mapped: R, RW, RWX, RW|GUARD */
	S_MAPPED = 4,       /* 3 areas mapped here: 1, 4 and 16 pages */
	S_AREA_CLONE = 7,   /* 2 clones with fewer rights */
	S_ENDPOINT = 9,     /* 3 channel pairs: 9/10, 11/12, 13/14 */
	S_EP_CLONE = 15,    /* a clone of 9 without DUPLICATE */
	S_THREAD = 16,      /* the helper (16), a short-lived thread (17) */
	S_CHILD = 18,       /* 3 children (/bin/fuzz --linger) */
	S_CHILD_CLONE = 21, /* a clone of 18 with READ only */
	S_SELF = 22,        /* the worker's own handle */
	S_SELF_CLONE = 23,  /* a clone of it (READ | DUPLICATE): never waited on */
	POOL_SIZE = 24,
};
#define STALE_MAX 64u

static struct entry pool[POOL_SIZE];
static quire_handle_t stale[STALE_MAX];
static unsigned stale_count, stale_next;
static uint64_t next_rank = 1;
static quire_handle_t self_handle;

static void remember_stale(quire_handle_t h)
{
	if (h == QUIRE_HANDLE_INVALID)
		return;
	stale[stale_next] = h;
	stale_next = (stale_next + 1) % STALE_MAX;
	if (stale_count < STALE_MAX)
		stale_count++;
}

/* Closes slot I's handle (whatever became of it) and remembers the value as stale. */
static void drop(unsigned i)
{
	if (pool[i].h != QUIRE_HANDLE_INVALID) {
		(void)quire_handle_close(pool[i].h);
		remember_stale(pool[i].h);
	}
	pool[i] = (struct entry){0};
}

static void set(unsigned i, quire_handle_t h, uint8_t kind)
{
	pool[i] = (struct entry){.h = h, .kind = h != QUIRE_HANDLE_INVALID ? kind : K_NONE};
}

static quire_handle_t spawn_child(const char *mode)
{
	const char *argv[] = {"/bin/fuzz", mode};
	quire_handle_t h = QUIRE_HANDLE_INVALID;

	if (quire_process_spawn("/bin/fuzz", argv, 2, NULL, 0, &h) != 0)
		return QUIRE_HANDLE_INVALID;
	return h;
}

static quire_handle_t clone_of(quire_handle_t h, quire_rights_t rights)
{
	quire_handle_t c = QUIRE_HANDLE_INVALID;

	if (h == QUIRE_HANDLE_INVALID || quire_handle_clone(h, rights, &c) != 0)
		return QUIRE_HANDLE_INVALID;
	return c;
}

static quire_handle_t new_thread(quire_handle_t process, void (*body)(void), uint64_t arg)
{
	quire_handle_t h = QUIRE_HANDLE_INVALID;

	if (quire_thread_create(process, (uint64_t)(uintptr_t)body, SCRATCH_RW, arg, &h) != 0)
		return QUIRE_HANDLE_INVALID;
	return h;
}

/* Replaces slot I's handle (closing the old one) with a new object of the slot's kind. */
static void refresh_slot(unsigned i)
{
	static const uint32_t area_flags[4] = {QUIRE_VMA_READ, RW, RW | QUIRE_VMA_EXECUTE,
					       RW | QUIRE_VMA_GUARD};
	static const uint64_t mapped_pages[3] = {1, 4, 16};
	quire_handle_t h = QUIRE_HANDLE_INVALID, pair[2];
	uint64_t at = 0;

	if (i == S_SELF || i == S_THREAD)
		return;                          /* there is only one of each */
	if (i >= S_ENDPOINT && i < S_EP_CLONE) { /* a pair goes as a whole */
		unsigned first = i - (i - S_ENDPOINT) % 2;
		drop(first);
		drop(first + 1);
		if (quire_channel_create(0, pair) != 0)
			pair[0] = pair[1] = QUIRE_HANDLE_INVALID;
		uint64_t rank = next_rank++;
		for (unsigned e = 0; e < 2; e++) {
			set(first + e, pair[e], K_ENDPOINT);
			pool[first + e].rank = rank;
		}
		return;
	}
	drop(i);
	if (i < S_MAPPED) {
		if (quire_vma_create((1 + below(8)) * PAGE, area_flags[i - S_AREA], &h) != 0)
			h = QUIRE_HANDLE_INVALID;
		set(i, h, K_AREA);
	} else if (i < S_AREA_CLONE) {
		if (quire_vma_create_map(mapped_pages[i - S_MAPPED] * PAGE, &at, RW, &h) != 0)
			h = QUIRE_HANDLE_INVALID;
		set(i, h, K_MAPPED);
		pool[i].addr = at;
	} else if (i == S_AREA_CLONE) {
		set(i, clone_of(pool[S_AREA + 1].h, QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP),
		    K_AREA_CLONE);
	} else if (i == S_AREA_CLONE + 1) {
		set(i, clone_of(pool[S_MAPPED].h, QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE),
		    K_AREA_CLONE);
	} else if (i == S_EP_CLONE) {
		set(i,
		    clone_of(pool[S_ENDPOINT].h,
			     QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_TRANSFER),
		    K_ENDPOINT);
		pool[i].rank = pool[S_ENDPOINT].rank;
	} else if (i < S_CHILD) {
		set(i, new_thread(self_handle, fuzz_thread_body, 0), K_THREAD);
	} else if (i < S_CHILD_CLONE) {
		set(i, spawn_child("--linger"), K_CHILD);
	} else if (i == S_CHILD_CLONE) {
		set(i, clone_of(pool[S_CHILD].h, QUIRE_RIGHT_READ), K_CHILD);
	} else {
		set(i, clone_of(self_handle, QUIRE_RIGHT_READ | QUIRE_RIGHT_DUPLICATE), K_SELF);
	}
}

/* Slot groups: refreshed together now and then, so stale values of every kind pile up. */
static const uint8_t group_first[] = {S_AREA,   S_MAPPED, S_AREA_CLONE, S_ENDPOINT,
				      S_THREAD, S_CHILD,  S_SELF,       POOL_SIZE};
#define G_COUNT (sizeof(group_first) - 1)

static void refresh_group(unsigned g)
{
	for (unsigned i = group_first[g]; i < group_first[g + 1]; i++)
		if (!(i >= S_ENDPOINT && i < S_EP_CLONE && (i - S_ENDPOINT) % 2 == 1))
			refresh_slot(i);
}

/*
 * Refreshes every slot whose handle is gone (the helper's and self's stay gone); a child only when
 * CHILDREN says so, since starting one costs QEMU far more than any other call (it translates the
 * program's code again for its new frames).
 */
static void refresh_dead(bool children)
{
	for (unsigned i = 0; i < POOL_SIZE; i++)
		if (pool[i].h == QUIRE_HANDLE_INVALID &&
		    (children || i < S_CHILD || i > S_CHILD_CLONE))
			refresh_slot(i);
}

/* A call closed or moved H: if a slot held it, the slot is empty and H stale. */
static void consumed(uint64_t h)
{
	for (unsigned i = 0; i < POOL_SIZE; i++) {
		if (pool[i].h != QUIRE_HANDLE_INVALID && pool[i].h == h) {
			remember_stale(pool[i].h);
			pool[i] = (struct entry){0};
		}
	}
}

static void pool_setup(void)
{
	set(S_SELF, self_handle, K_SELF);
	helper_ctl[H_BYTES] = SCRATCH_RW + 2 * PAGE; /* 8 KiB, away from the in-out slots */
	helper_ctl[H_HANDLES] = SCRATCH_RW + 4 * PAGE;
	helper_ctl[H_LEN] = SCRATCH_RW + 4 * PAGE + 256;
	helper_ctl[H_COUNT] = SCRATCH_RW + 4 * PAGE + 264;
	set(S_THREAD, new_thread(self_handle, fuzz_helper_body, (uint64_t)(uintptr_t)helper_ctl),
	    K_THREAD);
	for (unsigned g = 0; g < G_COUNT; g++)
		refresh_group(g);
	/* One stale value of each kind from the start; refresh adds more. */
	for (unsigned g = 0; g < G_COUNT; g++)
		refresh_group(g);
}

/* A pool slot of KIND (or any live slot when KIND is K_NONE); its index, or -1. */
static int pick_slot(uint8_t kind)
{
	for (int tries = 0; tries < 8; tries++) {
		unsigned i = (unsigned)below(POOL_SIZE);
		if (pool[i].kind != K_NONE && (kind == K_NONE || pool[i].kind == kind))
			return (int)i;
	}
	return -1;
}

static quire_handle_t pick_stale(void)
{
	return stale_count == 0 ? 0x7fffffffu : stale[below(stale_count)];
}

/* A handle value that cannot be open in any table: a generation no slot reaches in a run. */
static quire_handle_t never_open(void)
{
	return (quire_handle_t)(0x80000000u | (uint32_t)rnd());
}

/* Any handle value, live or not; neighbours of live values may be handles nobody tracks. */
static quire_handle_t any_handle(void)
{
	int s;

	switch (below(16)) {
	case 0:
		return 0;
	case 1:
		return (quire_handle_t)rnd();
	case 2:
	case 3:
		return pick_stale();
	case 4:
		s = pick_slot(K_NONE);
		return s < 0 ? 1 : pool[s].h ^ (1u << below(32));
	case 5:
		s = pick_slot(K_NONE);
		return s < 0 ? 1 : pool[s].h + (one_in(2) ? 1u : 0x8000u);
	case 6:
		return 0xffffffffu;
	default:
		s = pick_slot(K_NONE);
		return s < 0 ? 0 : pool[s].h;
	}
}

static quire_handle_t handle_of(uint8_t kind, unsigned percent)
{
	if (call_sane)
		percent = 95;
	if (below(100) < percent) {
		int s = pick_slot(kind);
		if (s >= 0)
			return pool[s].h;
	}
	return any_handle();
}

/* A 32-bit argument: now and then with upper bits set, which the decoder refuses. */
static uint64_t arg32(uint32_t v)
{
	return one_in(32) ? (uint64_t)v | (rnd() << 32 | 1ull << 32) : v;
}

/* What process_wait may wait on: never a handle that could name a process that does not end. */
static quire_handle_t waitable(void)
{
	int s;

	switch (call_sane ? 7 : below(8)) {
	case 0:
		return 0;
	case 1:
		return pick_stale();
	case 2:
		return never_open();
	case 3:
		s = pick_slot(K_AREA);
		return s < 0 ? 0 : pool[s].h; /* WRONG_TYPE */
	case 4:
		s = pick_slot(K_ENDPOINT);
		return s < 0 ? 0 : pool[s].h;
	default:
		s = pick_slot(K_CHILD);
		return s < 0 ? 0 : pool[s].h;
	}
}

/* ---- Values. ---- */

/* clang-format off */
static const uint64_t interesting[] = {
    0, 1, 2, 7, 8, 15, 16, 63, 64, 255, 4095, 4096, 4097, 8191, 8192, 65535, 65536, 65537,
    1ull << 20, (1ull << 20) + 1, 1ull << 30, (1ull << 31) - 1, 1ull << 31, (1ull << 32) - 1,
    1ull << 32, (1ull << 32) + 1, 1ull << 46, (1ull << 47) - PAGE, 1ull << 47, 1ull << 48,
    (1ull << 63) - 1, 1ull << 63, UINT64_MAX - PAGE, UINT64_MAX - PAGE + 1, UINT64_MAX - 7,
    UINT64_MAX
};
/* clang-format on */

static uint64_t size_value(void)
{
	if (sane())
		return one_in(4) ? 1 + below(3 * PAGE) : (1 + below(16)) * PAGE;
	switch (below(6)) {
	case 0:
	case 1:
		return PICK(interesting);
	case 2:
		return (1 + below(16)) * PAGE;
	case 3:
		return (1 + below(16)) * PAGE + (one_in(2) ? 1 : PAGE - 1);
	case 4:
		return rnd() >> below(64);
	default:
		return below(4 * PAGE);
	}
}

/* Flags for a call that takes the bits in VALID (READ is always among them). */
static uint32_t vma_flags(uint32_t valid)
{
	if (sane()) {
		uint32_t f = QUIRE_VMA_READ | (one_in(2) ? QUIRE_VMA_WRITE : 0) |
			     (one_in(4) ? QUIRE_VMA_EXECUTE : 0);
		if ((valid & QUIRE_VMA_EXACT) && one_in(2))
			f |= QUIRE_VMA_EXACT;
		if ((valid & QUIRE_VMA_GUARD) && one_in(6))
			f |= QUIRE_VMA_GUARD;
		return one_in(16) ? 0 : f;
	}
	/* clang-format off */
	static const uint32_t common[] = {
	    QUIRE_VMA_READ, RW, RW | QUIRE_VMA_EXECUTE, QUIRE_VMA_READ | QUIRE_VMA_EXECUTE,
	    RW | QUIRE_VMA_EXACT, QUIRE_VMA_READ | QUIRE_VMA_EXACT, RW | QUIRE_VMA_GUARD,
	    RW | QUIRE_VMA_EXACT | QUIRE_VMA_GUARD, 0, QUIRE_VMA_EXACT, QUIRE_VMA_WRITE,
	    QUIRE_VMA_EXECUTE, RW | QUIRE_VMA_WRITE_COMBINE, 0x80
	};
	/* clang-format on */
	switch (below(4)) {
	case 0:
		return (uint32_t)below(128);
	case 1:
		return (uint32_t)rnd();
	default:
		return PICK(common);
	}
}

static uint32_t rights_value(void)
{
	if (sane())
		return (uint32_t)below(64);
	switch (below(4)) {
	case 0:
		return (uint32_t)rnd();
	case 1:
		return (uint32_t)below(64) | 0x40u << below(26);
	default:
		return (uint32_t)below(64);
	}
}

static uint64_t exact_target(void)
{
	return EXACT_BASE + below(EXACT_SLOTS) * EXACT_STRIDE;
}

/* An address no call writes to: small, kernel, non-canonical, or at the end of the user half. */
static uint64_t bad_address(void)
{
	/* clang-format off */
	static const uint64_t bad[] = {
	    0, 1, 8, 0xff8, 0x1000, USER_LO - 8, USER_HI - 8, USER_HI - 1, USER_HI,
	    USER_HI + PAGE, 0x0000ffffffffffffull, 0x0001000000000000ull,
	    0x8000000000000000ull, 0xdead000000000000ull, LINEAR_MAP, LINEAR_MAP + 0x100000,
	    KERNEL_TEXT, KERNEL_TEXT + 0x1000, 0xfffffffffffff000ull, UINT64_MAX - 7,
	    UINT64_MAX
	};
	/* clang-format on */
	switch (below(4)) {
	case 0:
		return (rnd() | USER_HI) & ~(1ull << 63 >> below(2)); /* mostly non-canonical */
	case 1:
		return KERNEL_TEXT + below(1ull << 24);
	default:
		return PICK(bad);
	}
}

static uint64_t scratch_pointer(void)
{
	switch (below(6)) {
	case 0:
		return SCRATCH_RW;
	case 1:
		return SCRATCH_RW - (1 + below(16)); /* from the read-only page into the rest */
	case 2:
		return SCRATCH_AT + SCRATCH_SIZE - (1 + below(16)); /* runs past the end */
	case 3:
		return SCRATCH_AT + below(PAGE); /* the read-only page */
	case 4:
		return SCRATCH_RW + below(SCRATCH_SIZE - PAGE); /* unaligned */
	default:
		return SCRATCH_RW + (below(SCRATCH_SIZE - PAGE) & ~7ull);
	}
}

/* A raw pointer value of any kind; the caller filters what must not be written. */
static uint64_t any_pointer(void)
{
	int s;

	switch (below(12)) {
	case 0:
	case 1:
		return bad_address();
	case 2:
		return rnd() & (USER_HI - 1);
	case 3:
		return (rnd() & (USER_HI - 1)) & ~(PAGE - 1);
	case 4:
		return exact_target() + below(2 * PAGE);
	case 5:
		s = pick_slot(K_MAPPED);
		return s < 0 ? 0 : pool[s].addr + below(PAGE) * (one_in(2) ? 1 : 8);
	case 6:
		return USER_LO +
		       below(0x400000 - USER_LO); /* below the image: anywhere maps land */
	default:
		return scratch_pointer();
	}
}

/* A pointer the kernel may write SPAN bytes through: never into the worker's own state. */
static uint64_t write_pointer(uint64_t span)
{
	if (sane() && span <= PAGE)
		return SCRATCH_RW + below((SCRATCH_SIZE - 2 * PAGE) / 8) * 8;
	for (int tries = 0; tries < 16; tries++) {
		uint64_t p = any_pointer();
		if (!reaches_protected(p, span))
			return p;
	}
	return 0;
}

static const char fuzz_text[] = "a log line the fuzzer asked for, printable on purpose";

/* A pointer the kernel only reads: anything, the worker's own memory included. */
static uint64_t read_pointer(void)
{
	switch (below(10)) {
	case 0:
		return (uint64_t)(uintptr_t)fuzz_text;
	case 1:
		return 0x400000ull + below(PAGE);
	case 2:
		return (uint64_t)(uintptr_t)report + below(PAGE);
	default:
		return any_pointer();
	}
}

/* A slot in scratch holding VALUE, for an in-out argument; or, now and then, any pointer. */
#define INOUT_FIRST (SCRATCH_RW + 11 * PAGE) /* the scratch's last 4 pages, one per slot */
static unsigned inout_next;                  /* the next slot's page; make_call resets it */

static uint64_t in_out(uint64_t value)
{
	if (one_in(5))
		return write_pointer(SPAN_SMALL);
	uint64_t page = INOUT_FIRST + (inout_next++ % 4) * PAGE; /* never one of this call's */
	uint64_t p = page + below(PAGE / 8) * 8;
	if (one_in(16))
		p = page + below(PAGE - 8); /* unaligned */
	memcpy((void *)(uintptr_t)p, &value, sizeof(value));
	return p;
}

static uint64_t address_value(void)
{
	if (sane())
		return exact_target();
	switch (below(10)) {
	case 0:
	case 1:
	case 2:
	case 3:
		return exact_target();
	case 4:
		return exact_target() + 1 + below(PAGE - 1);
	case 5:
		/* The worker's own mappings: EXISTS, unless the kernel is wrong. */
		return protected_ranges[below(3)].lo + 2 * PAGE;
	case 6:
		return SCRATCH_AT + below(SCRATCH_PAGES) * PAGE;
	case 7:
		return bad_address() & ~(PAGE - 1);
	case 8:
		return (rnd() & (USER_HI - 1)) & ~(PAGE - 1);
	default:
		return PICK(interesting);
	}
}

/* ---- Argument recipes, one per call. ---- */

static char long_path[300];
static char path_255[QUIRE_PATH_MAX];
static char huge_arg[9000]; /* 'c's: past ARGV_BYTES */
static const char *const argv_noop[] = {"/bin/fuzz", "--noop", NULL};
static const char *const argv_linger[] = {"x", "--linger"};
static const char *argv_bad[3];
static const char *argv_huge[2];
static const char *argv_many[QUIRE_SPAWN_ARGC_MAX + 2];
static quire_handle_t hlist[QUIRE_SPAWN_HANDLES_MAX + 2];

static void recipe_setup(void)
{
	memset(huge_arg, 'c', sizeof(huge_arg) - 1);
	argv_bad[0] = "y";
	argv_bad[1] = (const char *)(uintptr_t)KERNEL_TEXT;
	argv_bad[2] = (const char *)(uintptr_t)(SCRATCH_AT + SCRATCH_SIZE - 3);
	memset(long_path, 'a', sizeof(long_path) - 1); /* its NUL lies past QUIRE_PATH_MAX */
	memset(path_255, 'b', sizeof(path_255) - 1);   /* the longest path allowed */
	argv_huge[0] = "z";
	argv_huge[1] = huge_arg;
	for (unsigned i = 0; i < sizeof(argv_many) / sizeof(argv_many[0]); i++)
		argv_many[i] = "m";
}

static uint64_t path_value(void)
{
	static const char *const paths[] = {"/bin/nope", "/bin",       "/",           "",
					    "bin/fuzz",  "/bin/fuzz/", "//bin//fuzz", "/test"};
	unsigned r = (unsigned)below(100);

	if (r < 45 || sane())
		return (uint64_t)(uintptr_t) "/bin/fuzz";
	if (r < 46)
		return (uint64_t)(uintptr_t) "/bin/probe";
	if (r == 46 && one_in(4))
		return (uint64_t)(uintptr_t) "/bin/crash_null";
	if (r < 70)
		return (uint64_t)(uintptr_t)PICK(paths);
	if (r < 75)
		return (uint64_t)(uintptr_t)long_path;
	if (r < 80)
		return (uint64_t)(uintptr_t)path_255;
	if (r < 85) { /* no NUL before the end of the scratch */
		memset((void *)(uintptr_t)(SCRATCH_AT + SCRATCH_SIZE - 8), 'q', 8);
		return SCRATCH_AT + SCRATCH_SIZE - 1 - below(4);
	}
	return bad_address();
}

static void argv_value(uint64_t *argv, uint64_t *argc)
{
	if (sane()) {
		*argv = (uint64_t)(uintptr_t)(one_in(4) ? argv_linger : argv_noop);
		*argc = 2;
		return;
	}
	switch (below(8)) {
	case 0:
		*argv = (uint64_t)(uintptr_t)argv_linger;
		*argc = 2;
		break;
	case 1:
		*argv = (uint64_t)(uintptr_t)argv_bad;
		*argc = 1 + below(3);
		break;
	case 2:
		*argv = (uint64_t)(uintptr_t)argv_huge;
		*argc = 2;
		break;
	case 3:
		*argv = (uint64_t)(uintptr_t)argv_many;
		*argc = QUIRE_SPAWN_ARGC_MAX + below(3);
		break;
	case 4:
		*argv = read_pointer();
		*argc = one_in(2) ? below(4) : PICK(interesting);
		break;
	default:
		*argv = (uint64_t)(uintptr_t)argv_noop;
		*argc = one_in(4) ? PICK(interesting) : below(3);
		break;
	}
}

/* Fills hlist with N values for process_spawn: any handle may go to a child. */
static uint64_t spawn_handles(uint64_t *count)
{
	uint64_t n = below(4);

	if (call_sane) {
		n = below(3);
		for (uint64_t i = 0; i < n; i++)
			hlist[i] = handle_of(K_NONE, 95);
		*count = n;
		return (uint64_t)(uintptr_t)hlist;
	}
	if (one_in(8))
		n = one_in(2) ? QUIRE_SPAWN_HANDLES_MAX : QUIRE_SPAWN_HANDLES_MAX + 1;
	for (uint64_t i = 0; i < n && i < sizeof(hlist) / sizeof(hlist[0]); i++)
		hlist[i] = one_in(8) && i > 0 ? hlist[i - 1] : handle_of(K_NONE, 60);
	*count = one_in(16) ? PICK(interesting) : n;
	return one_in(10) ? read_pointer() : (uint64_t)(uintptr_t)hlist;
}

/*
 * A handle channel_send may carry over CHANNEL without closing a cycle: never an endpoint of a
 * pair ranked at or above CHANNEL's (or any endpoint when CHANNEL is not the pool's), never a
 * value that might name something untracked.
 */
static quire_handle_t sendable(quire_handle_t channel, int64_t rank)
{
	for (int tries = 0; tries < 8; tries++) {
		switch (call_sane ? 7 : below(8)) {
		case 0:
			return channel; /* INVALID */
		case 1:
			return pick_stale();
		case 2:
			return never_open();
		case 3:
			return 0;
		default: {
			int s = pick_slot(K_NONE);
			if (s < 0)
				continue;
			if (pool[s].kind == K_ENDPOINT && (int64_t)pool[s].rank >= rank &&
			    pool[s].h != channel)
				continue;
			return pool[s].h;
		}
		}
	}
	return 0;
}

static uint64_t send_handles(quire_handle_t channel, uint64_t *count)
{
	int64_t rank = -1;
	uint64_t n = below(3);

	for (unsigned i = 0; i < POOL_SIZE; i++)
		if (pool[i].kind == K_ENDPOINT && pool[i].h == channel)
			rank = (int64_t)pool[i].rank;
	if (!call_sane && one_in(10))
		n = one_in(2) ? QUIRE_CHANNEL_MAX_HANDLES : QUIRE_CHANNEL_MAX_HANDLES + 1;
	/* Every entry: a COUNT beyond N must not reach a value a spawn left there. */
	for (uint64_t i = 0; i < sizeof(hlist) / sizeof(hlist[0]); i++)
		hlist[i] =
		    one_in(10) && i > 0 && !call_sane ? hlist[i - 1] : sendable(channel, rank);
	*count = one_in(16) && !call_sane ? PICK(interesting) : n;
	if (!call_sane && one_in(10)) /* only pointers the kernel cannot read as handles */
		return bad_address();
	return (uint64_t)(uintptr_t)hlist;
}

static uint64_t length_value(void)
{
	if (sane())
		return one_in(50) ? below(QUIRE_CHANNEL_MAX_BYTES + 1) : below(300);
	switch (below(8)) {
	case 0:
		return PICK(interesting);
	case 1:
		return one_in(20) ? QUIRE_CHANNEL_MAX_BYTES : PAGE;
	default:
		return below(64);
	}
}

/* What a call does once its arguments are made: RISKY says it may end the worker. */
struct call {
	uint64_t number;
	uint64_t arg[6];
	bool risky;
};

static void args_thread_create(struct call *c)
{
	static const uint64_t invalid_entries[] = {
	    0, PAGE, USER_HI, USER_HI + PAGE, KERNEL_TEXT, 0x8000000000000000ull, UINT64_MAX};
	quire_handle_t process;
	int kind; /* 0: the worker, 1: a pool child, 2: anything else */

	switch (below(10)) {
	case 0:
	case 1:
	case 2:
		process = self_handle;
		kind = 0;
		break;
	case 3:
	case 4:
	case 5: {
		int s = pick_slot(K_CHILD);
		process = s < 0 ? 0 : pool[s].h;
		kind = 1;
		break;
	}
	default:
		process = any_handle();
		kind = 2;
		break;
	}
	uint64_t entry = (uint64_t)(uintptr_t)fuzz_thread_body;
	unsigned r = (unsigned)below(100);
	if (kind == 2 || r < 8) {
		entry = PICK(invalid_entries); /* refused before a thread exists */
	} else if (r < 10 && (kind == 1 || one_in(40))) {
		/* A thread that faults at once (the scratch is never executable): kills it all. */
		entry = SCRATCH_RW;
		c->risky = kind == 0;
	}
	c->arg[0] = arg32(process);
	c->arg[1] = entry;
	switch (below(6)) {
	case 0:
		c->arg[2] = PICK(interesting);
		break;
	case 1:
		c->arg[2] = bad_address();
		break;
	default:
		c->arg[2] = (rnd() & (USER_HI - 1) & ~15ull) | (one_in(10) ? 8 : 0);
		break;
	}
	c->arg[3] = rnd();
	c->arg[4] = write_pointer(SPAN_SMALL);
}

static void args_log(struct call *c)
{
	unsigned r = (unsigned)below(100);

	if (r == 0 && one_in(2)) { /* prints: a few printable bytes */
		c->arg[0] = (uint64_t)(uintptr_t)fuzz_text + below(8);
		c->arg[1] = below(9);
	} else if (r < 40) {
		c->arg[0] = read_pointer();
		c->arg[1] = 4097 + (one_in(2) ? below(1000) : rnd() >> below(52));
	} else {
		c->arg[0] = one_in(2) ? bad_address() : SCRATCH_AT + SCRATCH_SIZE - 1 - below(8);
		c->arg[1] = 1 + below(4096);
		if (c->arg[0] >= SCRATCH_AT && c->arg[0] < SCRATCH_AT + SCRATCH_SIZE)
			c->arg[1] += 8; /* past the end of the scratch: FAULT */
		if (c->arg[0] == 0 && one_in(2))
			c->arg[1] = 1;
	}
}

static void args_generic(struct call *c)
{
	for (int i = 0; i < 6; i++) {
		switch (below(4)) {
		case 0:
			c->arg[i] = write_pointer(SPAN_BYTES);
			break;
		case 1:
			c->arg[i] = never_open();
			break;
		default:
			c->arg[i] = PICK(interesting);
			if (reaches_protected(c->arg[i], SPAN_BYTES))
				c->arg[i] = 0;
			break;
		}
	}
}

static uint64_t invalid_number(void)
{
	/* clang-format off */
	static const uint64_t huge[] = {
	    QUIRE_SYSCALL_COUNT + 1, 64, 255, 256, 1000, 0x7fffffffull, 0x80000000ull,
	    0xffffffffull, (1ull << 32) + 1,
	    /* would be vma_create if the number were truncated */
	    (1ull << 32) + QUIRE_SYS_handle_close,
	    1ull << 63, UINT64_MAX
	};
	/* clang-format on */
	unsigned r = (unsigned)below(3);

	if (r == 0)
		return 0;
	if (r == 1)
		return QUIRE_SYSCALL_COUNT + 1 + below(5);
	return PICK(huge);
}

/* Call numbers and their weights (the exits are drawn apart: they are rare). */
static const uint8_t weights[QUIRE_SYSCALL_COUNT + 1] = {
    [0] = 30, /* the invalid numbers */
    [QUIRE_SYS_vma_create] = 60,
    [QUIRE_SYS_vma_create_map] = 60,
    [QUIRE_SYS_vma_map] = 60,
    [QUIRE_SYS_vma_unmap] = 50,
    [QUIRE_SYS_vma_resize] = 50,
    [QUIRE_SYS_vma_protect] = 50,
    [QUIRE_SYS_handle_close] = 50,
    [QUIRE_SYS_handle_clone] = 60,
    [QUIRE_SYS_process_spawn] = 12,
    [QUIRE_SYS_process_wait] = 30,
    [QUIRE_SYS_thread_create] = 40,
    [QUIRE_SYS_yield] = 10,
    [QUIRE_SYS_sleep] = 10,
    [QUIRE_SYS_log] = 30,
    [QUIRE_SYS_system_info] = 30,
    [QUIRE_SYS_channel_create] = 40,
    [QUIRE_SYS_channel_send] = 80,
    [QUIRE_SYS_channel_receive] = 80,
};

static uint64_t pick_number(void)
{
	unsigned total = 0;

	if (one_in(EXIT_ONE_IN))
		return QUIRE_SYS_process_exit;
	if (one_in(TEXIT_ONE_IN))
		return QUIRE_SYS_thread_exit;
	for (unsigned i = 0; i <= QUIRE_SYSCALL_COUNT; i++)
		total += weights[i];
	unsigned r = (unsigned)below(total);
	for (unsigned i = 0; i <= QUIRE_SYSCALL_COUNT; i++) {
		if (r < weights[i])
			return i == 0 ? invalid_number() : i;
		r -= weights[i];
	}
	return 0;
}

static void make_call(struct call *c)
{
	memset(c, 0, sizeof(*c));
	call_sane = one_in(2);
	inout_next = 0;
	c->number = pick_number();
	uint64_t *a = c->arg;

	switch (c->number) {
	case QUIRE_SYS_vma_create:
		a[0] = size_value();
		a[1] = arg32(vma_flags(QUIRE_VMA_CREATE_MASK));
		a[2] = write_pointer(SPAN_SMALL);
		break;
	case QUIRE_SYS_vma_create_map:
		a[0] = one_in(3) ? (1 + below(4)) * PAGE : size_value();
		a[1] = in_out(address_value());
		a[2] = arg32(vma_flags(QUIRE_VMA_CREATE_MAP_MASK));
		a[3] = write_pointer(SPAN_SMALL);
		break;
	case QUIRE_SYS_vma_map:
		a[0] = arg32(handle_of(K_AREA, 40));
		if (one_in(4))
			a[0] = arg32(handle_of(K_MAPPED, 90));
		a[1] = arg32(one_in(2) ? self_handle : handle_of(K_CHILD, 60));
		a[2] = in_out(address_value());
		a[3] = arg32(vma_flags(QUIRE_VMA_MAP_MASK));
		break;
	case QUIRE_SYS_vma_unmap:
		a[0] = arg32(handle_of(one_in(2) ? K_MAPPED : K_AREA, 70));
		a[1] = arg32(one_in(2) ? self_handle : handle_of(K_CHILD, 60));
		break;
	case QUIRE_SYS_vma_resize:
		a[0] = arg32(handle_of(one_in(2) ? K_MAPPED : K_AREA, 70));
		a[1] = in_out(one_in(2) ? (1 + below(32)) * PAGE - below(2) : size_value());
		break;
	case QUIRE_SYS_vma_protect:
		a[0] = arg32(handle_of(one_in(2) ? K_MAPPED : K_AREA_CLONE, 70));
		a[1] = arg32(one_in(2) ? self_handle : handle_of(K_CHILD, 60));
		a[2] = arg32(vma_flags(QUIRE_VMA_PROTECT_MASK));
		break;
	case QUIRE_SYS_handle_close:
		a[0] = arg32(one_in(50) ? self_handle : any_handle());
		if (a[0] == self_handle && !one_in(50))
			a[0] = pick_stale();
		break;
	case QUIRE_SYS_handle_clone:
		a[0] = arg32(handle_of(K_NONE, 60));
		a[1] = arg32(rights_value());
		a[2] = write_pointer(SPAN_SMALL);
		break;
	case QUIRE_SYS_process_spawn:
		a[0] = path_value();
		argv_value(&a[1], &a[2]);
		a[3] = spawn_handles(&a[4]);
		a[5] = write_pointer(SPAN_SMALL);
		break;
	case QUIRE_SYS_process_wait:
		a[0] = arg32(waitable());
		a[1] = write_pointer(SPAN_SMALL);
		break;
	case QUIRE_SYS_process_exit:
		a[0] = one_in(2) ? PICK(interesting) : rnd();
		c->risky = true;
		break;
	case QUIRE_SYS_thread_create:
		args_thread_create(c);
		break;
	case QUIRE_SYS_thread_exit:
		c->risky = true;
		break;
	case QUIRE_SYS_yield:
		a[0] = rnd();
		break;
	case QUIRE_SYS_sleep:
		a[0] = one_in(2) ? 0 : below(one_in(10) ? 200000 : 2000);
		break;
	case QUIRE_SYS_log:
		args_log(c);
		break;
	case QUIRE_SYS_system_info:
		a[0] = write_pointer(SPAN_SMALL);
		a[1] = one_in(3) ? PICK(interesting) : below(sizeof(struct quire_system_info) + 2);
		break;
	case QUIRE_SYS_channel_create:
		a[0] = arg32(one_in(4) ? (uint32_t)rnd() >> below(32) : 0);
		a[1] = write_pointer(SPAN_SMALL);
		break;
	case QUIRE_SYS_channel_send: {
		quire_handle_t ch = handle_of(K_ENDPOINT, 75);
		a[0] = arg32(ch);
		a[1] = read_pointer();
		a[2] = length_value();
		a[3] = send_handles(ch, &a[4]);
		break;
	}
	case QUIRE_SYS_channel_receive:
		a[0] = arg32(handle_of(K_ENDPOINT, 75));
		if (call_sane) { /* room for any message but the largest; the sizes above it */
			a[1] = SCRATCH_RW;
			a[2] = in_out(one_in(2) ? 8192 : below(512));
			a[3] = SCRATCH_RW + 10 * PAGE;
			a[4] = in_out(below(QUIRE_CHANNEL_MAX_HANDLES + 1));
			a[5] = one_in(2) ? 0 : below(1000);
			break;
		}
		a[1] = write_pointer(SPAN_BYTES);
		a[2] = in_out(one_in(4) ? PICK(interesting) : below(QUIRE_CHANNEL_MAX_BYTES + 2));
		a[3] = write_pointer(SPAN_SMALL);
		a[4] = in_out(one_in(4) ? PICK(interesting) : below(QUIRE_CHANNEL_MAX_HANDLES + 2));
		a[5] = one_in(2) ? 0 : below(one_in(10) ? 100000 : 1000);
		break;
	default:
		args_generic(c);
		break;
	}
}

/* ---- Making a call and judging its result. ---- */

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* The system call with every argument register, and which of them came back changed. */
static long raw_call(uint64_t n, const uint64_t a[6], uint64_t *clobbered)
{
	uint64_t di = a[0], si = a[1], dx = a[2];
	register uint64_t r10 __asm__("r10") = a[3];
	register uint64_t r8 __asm__("r8") = a[4];
	register uint64_t r9 __asm__("r9") = a[5];
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret), "+D"(di), "+S"(si), "+d"(dx), "+r"(r10), "+r"(r8), "+r"(r9)
			 : "0"(n)
			 : "rcx", "r11", "memory");
	*clobbered = (uint64_t)(di != a[0]) | (uint64_t)(si != a[1]) << 1 |
		     (uint64_t)(dx != a[2]) << 2 | (uint64_t)(r10 != a[3]) << 3 |
		     (uint64_t)(r8 != a[4]) << 4 | (uint64_t)(r9 != a[5]) << 5;
	return ret;
}

static unsigned number_bucket(uint64_t n)
{
	return n < NUM_BUCKETS - 1 ? (unsigned)n : NUM_BUCKETS - 1;
}

static unsigned result_bucket(long r)
{
	if (r == 0)
		return 0;
	if (r < 0 && -r < QUIRE_ERR_COUNT)
		return (unsigned)-r;
	return RESULT_BUCKETS - 1;
}

static bool upper_bits_in_arg32(const struct call *c)
{
	uint8_t mask = c->number <= QUIRE_SYSCALL_COUNT ? call_arg32[c->number] : 0;

	for (int i = 0; i < 6; i++)
		if ((mask & (1u << i)) && (c->arg[i] >> 32) != 0)
			return true;
	return false;
}

/* Whether R is a result the ABI allows for C. */
static bool allowed(const struct call *c, long r)
{
	if (c->number == 0 || c->number > QUIRE_SYSCALL_COUNT)
		return r == -QUIRE_ERR_UNSUPPORTED;
	if (r == 0)
		return true;
	if (r > 0 || -r >= QUIRE_ERR_COUNT)
		return false;
	uint64_t mask = call_errors[c->number] | QUIRE_E(UNSUPPORTED);
	if (r == -QUIRE_ERR_INVALID && upper_bits_in_arg32(c)) {
		if (!(mask & QUIRE_E(INVALID)))
			report->decoder_invalid++;
		return true;
	}
	return (mask & (1ull << -r)) != 0;
}

static void anomaly(const struct call *c, long r, uint32_t kind, uint64_t clobbered, int64_t detail,
		    int64_t expected)
{
	if (report->anomalies < ANOMALY_MAX) {
		struct anomaly *an = &report->anomaly[report->anomalies];
		an->number = c->number;
		memcpy(an->arg, c->arg, sizeof(an->arg));
		an->result = r;
		an->regs_clobbered = clobbered;
		an->kind = kind;
		an->detail = detail;
		an->expected = expected;
	}
	report->anomalies++;
}

static void record(const struct call *c, long r, uint64_t clobbered)
{
	report->counts[number_bucket(c->number)][result_bucket(r)]++;
	report->calls_done++;
	helper_ctl[H_BEAT]++;
	if (!allowed(c, r) || clobbered != 0)
		anomaly(c, r, A_RESULT, clobbered, 0, 0);
}

/*
 * The ABI's promises about handles, checked around a call: a call that creates handles writes
 * *OUT only on success (a canary in the scratch stays otherwise), and the caller's handle count
 * moves by exactly what the call says (none on failure: a call whose *OUT faults undoes itself).
 * The count is read with system_info, so only one call in HANDLE_CHECK_ONE_IN is measured.
 */
#define CANARY              0x0ddba11cafef00d5ull
#define HANDLE_CHECK_ONE_IN 8

/* The argument that is *OUT of a call creating handles (-1: none). */
static int out_index(uint64_t number)
{
	switch (number) {
	case QUIRE_SYS_vma_create:
	case QUIRE_SYS_handle_clone:
		return 2;
	case QUIRE_SYS_vma_create_map:
		return 3;
	case QUIRE_SYS_process_spawn:
		return 5;
	case QUIRE_SYS_thread_create:
		return 4;
	case QUIRE_SYS_channel_create:
		return 1;
	default:
		return -1;
	}
}

/* Whether [P, P + LEN) lies in the scratch's writable part (so the worker may read it). */
static bool in_scratch(uint64_t p, uint64_t len)
{
	return p >= SCRATCH_RW && p + len >= p && p + len <= SCRATCH_AT + SCRATCH_SIZE;
}

static uint64_t handle_count(void)
{
	static struct quire_system_info si;

	return quire_system_info(&si, sizeof(si)) == 0 ? si.handles : UINT64_MAX;
}

/* The change in the caller's handle count C makes with result R; false when it cannot be known. */
static bool handle_delta(const struct call *c, long r, int64_t *delta)
{
	const uint64_t *a = c->arg;

	*delta = 0;
	if (r != 0)
		return true;
	switch (c->number) {
	case QUIRE_SYS_vma_create:
	case QUIRE_SYS_vma_create_map:
	case QUIRE_SYS_handle_clone:
	case QUIRE_SYS_thread_create:
		*delta = 1;
		return true;
	case QUIRE_SYS_channel_create:
		*delta = 2;
		return true;
	case QUIRE_SYS_process_spawn:
		*delta = 1 - (int64_t)a[4];
		return true;
	case QUIRE_SYS_handle_close:
		*delta = -1;
		return true;
	case QUIRE_SYS_channel_send:
		*delta = -(int64_t)a[4];
		return true;
	case QUIRE_SYS_channel_receive: /* the handles received, written to *HANDLE_COUNT */
		if (!in_scratch(a[4], 8) || (a[4] < a[2] + 8 && a[2] < a[4] + 8))
			return false; /* unreadable, or *LEN may have been written over it */
		*delta = *(const volatile int64_t *)(uintptr_t)a[4];
		return true;
	default:
		return true;
	}
}

/* After C succeeded: the pool slots whose handles it closed or moved away are empty. */
static void forget_consumed(const struct call *c)
{
	uint64_t list = 0, count = 0;

	switch (c->number) {
	case QUIRE_SYS_handle_close:
		consumed(c->arg[0]);
		return;
	case QUIRE_SYS_process_spawn:
		list = c->arg[3];
		count = c->arg[4];
		break;
	case QUIRE_SYS_channel_send:
		list = c->arg[3];
		count = c->arg[4];
		break;
	default:
		return;
	}
	if (list != (uint64_t)(uintptr_t)hlist)
		return;
	for (uint64_t i = 0; i < count && i < sizeof(hlist) / sizeof(hlist[0]); i++)
		consumed(hlist[i]);
}

static long last_result;

static void do_call(const struct call *c)
{
	uint64_t clobbered = 0;

	report->last_number = c->number;
	if (c->risky)
		report->risky++;
	if (c->number == QUIRE_SYS_process_exit) {
		report->exit_status = (int64_t)c->arg[0];
		report->counts[c->number][0]++; /* it does not come back */
	} else if (c->number == QUIRE_SYS_thread_exit) {
		helper_ctl[H_STOP] = 1; /* so the process ends once this thread has */
		report->counts[c->number][0]++;
	}
	int out = c->number <= QUIRE_SYSCALL_COUNT ? out_index(c->number) : -1;
	bool canary = out >= 0 && in_scratch(c->arg[out], 8);
	if (canary)
		*(volatile uint64_t *)(uintptr_t)c->arg[out] = CANARY;
	uint64_t seq = helper_ctl[H_SEQ];
	uint64_t before = one_in(HANDLE_CHECK_ONE_IN) ? handle_count() : UINT64_MAX;
	uint64_t t0 = rdtsc();
	long r = raw_call(c->number, c->arg, &clobbered);
	last_result = r;
	report->ticks[number_bucket(c->number)] += rdtsc() - t0;
	record(c, r, clobbered);
	if (canary && r != 0 && *(volatile uint64_t *)(uintptr_t)c->arg[out] != CANARY)
		anomaly(c, r, A_OUT_WRITTEN, 0, *(volatile int64_t *)(uintptr_t)c->arg[out], 0);
	int64_t delta;
	if (before != UINT64_MAX && handle_delta(c, r, &delta)) {
		uint64_t after = handle_count();
		/* Not while the helper's receive may have installed handles meanwhile. */
		bool quiet = seq % 2 == 0 && helper_ctl[H_SEQ] == seq;
		if (quiet && after != UINT64_MAX && (int64_t)(after - before) != delta)
			anomaly(c, r, A_HANDLES, 0, (int64_t)(after - before), delta);
	}
	if (r == 0)
		forget_consumed(c);
}

/* ---- The worker. ---- */

/*
 * Every page of the stack the program uses and of its writable segments gets its frame now: the
 * parent's counts then see only what the workers leave behind, and a worker never needs a frame
 * for itself once memory runs short.
 */
static __attribute__((noinline)) void warm_up(void)
{
	volatile char pad[48 * 1024];
	const Elf64_Ehdr_ *eh = (const Elf64_Ehdr_ *)__ehdr_start;

	for (size_t i = 0; i < sizeof(pad); i += PAGE)
		pad[i] = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr_ *ph = (const Elf64_Phdr_ *)(__ehdr_start + eh->e_phoff +
							      (uint64_t)i * eh->e_phentsize);
		if (ph->p_type != 1 || !(ph->p_flags & 2)) /* PT_LOAD, PF_W */
			continue;
		for (uint64_t a = ph->p_vaddr & ~(PAGE - 1); a < ph->p_vaddr + ph->p_memsz;
		     a += PAGE) {
			volatile char *p = (volatile char *)(uintptr_t)a;
			*p = *p;
		}
	}
}

static int worker_setup(void)
{
	quire_handle_t passed = quire_startup_handle(QUIRE_STARTUP_PASSED, 0);
	uint64_t at = 0;
	quire_handle_t h;

	self_handle = quire_self();
	if (passed == QUIRE_HANDLE_INVALID ||
	    quire_vma_map(passed, self_handle, &at, QUIRE_VMA_READ | QUIRE_VMA_WRITE) != 0)
		return 2;
	if (quire_handle_close(passed) != 0)
		return 3;
	report = (struct report *)(uintptr_t)at;
	if (report->magic != REPORT_MAGIC)
		return 4;
	for (uint64_t p = at; p < at + REPORT_PAGES * PAGE; p += PAGE)
		*(volatile char *)(uintptr_t)p = *(volatile char *)(uintptr_t)p; /* mapped now */
	/* The scratch: a read-only page, then RW pages; no handle is kept to either. */
	at = SCRATCH_AT;
	if (quire_vma_create_map(PAGE, &at, QUIRE_VMA_READ | QUIRE_VMA_EXACT, &h) != 0 ||
	    quire_handle_close(h) != 0)
		return 5;
	at = SCRATCH_RW;
	if (quire_vma_create_map((SCRATCH_PAGES - 1) * PAGE, &at, RW | QUIRE_VMA_EXACT, &h) != 0 ||
	    quire_handle_close(h) != 0)
		return 6;
	(void)*(volatile char *)(uintptr_t)SCRATCH_AT;
	memset((void *)(uintptr_t)SCRATCH_RW, 0, (SCRATCH_PAGES - 1) * PAGE);
	warm_up();
	protect_setup();
	recipe_setup();
	return 0;
}

/* --trace: one log line for call number I (counted from 1), made as C, with its result. */
static void trace(uint64_t i, const struct call *c)
{
	char line[256];
	int n = snprintf(
	    line, sizeof(line),
	    "fuzz: trace %llu: %llu (0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx) = %lld",
	    (unsigned long long)i, (unsigned long long)c->number, (unsigned long long)c->arg[0],
	    (unsigned long long)c->arg[1], (unsigned long long)c->arg[2],
	    (unsigned long long)c->arg[3], (unsigned long long)c->arg[4],
	    (unsigned long long)c->arg[5], (long long)last_result);
	if ((c->number == QUIRE_SYS_process_spawn || c->number == QUIRE_SYS_channel_send) &&
	    c->arg[3] == (uint64_t)(uintptr_t)hlist)
		for (uint64_t k = 0; k < c->arg[4] && k < 4 && n > 0 && n < (int)sizeof(line); k++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, " [0x%x]", hlist[k]);
	if (n > 0)
		quire_log(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static int worker(uint64_t seed, uint64_t calls)
{
	int err = worker_setup();

	if (err != 0)
		return err;
	rng_state = seed;
	report->state = W_STARTING;
	pool_setup();
	report->state = W_RUNNING;
	for (uint64_t i = 0; i < calls; i++) {
		struct call c;
		if (i % REFRESH_EVERY == REFRESH_EVERY - 1)
			refresh_group((unsigned)below(G_COUNT));
		else if (i % 16 == 15)
			refresh_dead(i % CHILD_REFRESH_EVERY == CHILD_REFRESH_EVERY - 1);
		/* The helper receives on the peer of the endpoint in S_ENDPOINT. */
		helper_ctl[H_ENDPOINT] = pool[S_ENDPOINT + 1].h;
		make_call(&c);
		do_call(&c);
		if (report->trace_from != 0 && i + 1 >= report->trace_from)
			trace(i + 1, &c);
	}
	helper_ctl[H_STOP] = 1;
	report->state = W_DONE;
	return 0;
}

static int linger(void)
{
	for (int i = 0; i < LINGER_YIELDS; i++)
		quire_yield();
	return 0;
}

/* ---- The parent. ---- */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		quire_log(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static struct quire_system_info info_now(void)
{
	struct quire_system_info si;

	memset(&si, 0, sizeof(si));
	(void)quire_system_info(&si, sizeof(si));
	return si;
}

struct totals {
	uint64_t calls, workers, completed, exited, thread_exited, killed, unexplained;
	uint64_t anomalies, decoder_invalid;
	uint64_t counts[NUM_BUCKETS][RESULT_BUCKETS];
	uint64_t ticks[NUM_BUCKETS];
	uint64_t tsc_hz;
};

static const char *bucket_name(unsigned b)
{
	static char text[16];

	if (b <= QUIRE_SYSCALL_COUNT)
		return call_name[b] != NULL ? call_name[b] : "(invalid)";
	if (b < NUM_BUCKETS - 1)
		return "(invalid)";
	snprintf(text, sizeof(text), "(>%u)", NUM_BUCKETS - 2);
	return text;
}

static void print_anomaly(const struct anomaly *an)
{
	if (an->kind == A_OUT_WRITTEN)
		say("fuzz: ANOMALY: the next call failed but wrote 0x%llx to *OUT",
		    (unsigned long long)an->detail);
	else if (an->kind == A_HANDLES)
		say("fuzz: ANOMALY: the next call changed the handle count by %lld, not %lld",
		    (long long)an->detail, (long long)an->expected);
	say("fuzz: ANOMALY: call %llu (%s) (0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx) "
	    "returned %lld (%s)%s",
	    (unsigned long long)an->number, bucket_name(number_bucket(an->number)),
	    (unsigned long long)an->arg[0], (unsigned long long)an->arg[1],
	    (unsigned long long)an->arg[2], (unsigned long long)an->arg[3],
	    (unsigned long long)an->arg[4], (unsigned long long)an->arg[5], (long long)an->result,
	    an->result < 0 ? quire_error_name((int)-an->result) : "not an error",
	    an->regs_clobbered ? ", argument registers changed" : "");
}

/* How one worker ended, into T; false when it ended in a way nothing explains. */
static bool judge_worker(const struct report *rep, const struct quire_exit_info *info,
			 struct totals *t)
{
	bool normal = info->reason == QUIRE_EXIT_NORMAL;

	if (normal && info->status == 0 && rep->state == W_DONE) {
		t->completed++;
		return true;
	}
	if (normal && rep->last_number == QUIRE_SYS_process_exit &&
	    info->status == rep->exit_status) {
		t->exited++;
		return true;
	}
	if (normal && rep->last_number == QUIRE_SYS_thread_exit && info->status == 0) {
		t->thread_exited++;
		return true;
	}
	if (!normal && rep->risky > 0) {
		t->killed++;
		return true;
	}
	t->unexplained++;
	say("fuzz: FAIL: worker %llu (seed 0x%llx) ended unexplained: reason %u, status %lld, "
	    "vector %u, address 0x%llx, state %llu, %llu calls made, the last %llu (%s)",
	    (unsigned long long)t->workers, (unsigned long long)rep->seed, info->reason,
	    (long long)info->status, info->vector, (unsigned long long)info->address,
	    (unsigned long long)rep->state, (unsigned long long)rep->calls_done,
	    (unsigned long long)rep->last_number, bucket_name(number_bucket(rep->last_number)));
	return false;
}

static uint64_t trace_from; /* --trace=N */

/* Runs one worker of CALLS calls with SEED; adds what it did to T. False: it could not start. */
static bool run_worker(quire_handle_t area, struct report *rep, uint64_t seed, uint64_t calls,
		       struct totals *t)
{
	char seed_text[24], calls_text[24];
	const char *argv[] = {"/bin/fuzz", "--worker", seed_text, calls_text};
	quire_handle_t pass = QUIRE_HANDLE_INVALID, child = QUIRE_HANDLE_INVALID;
	struct quire_exit_info info;

	memset(rep, 0, sizeof(*rep));
	rep->magic = REPORT_MAGIC;
	rep->seed = seed;
	rep->calls_planned = calls;
	rep->trace_from = trace_from;
	snprintf(seed_text, sizeof(seed_text), "%llu", (unsigned long long)seed);
	snprintf(calls_text, sizeof(calls_text), "%llu", (unsigned long long)calls);
	long err = quire_handle_clone(
	    area, QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_MAP | QUIRE_RIGHT_TRANSFER,
	    &pass);
	if (err == 0)
		err = quire_process_spawn("/bin/fuzz", argv, 4, &pass, 1, &child);
	if (err != 0) {
		say("fuzz: FAIL: could not start a worker: %s", quire_error_name((int)-err));
		if (pass != QUIRE_HANDLE_INVALID)
			(void)quire_handle_close(pass);
		return false;
	}
	memset(&info, 0, sizeof(info));
	err = quire_process_wait(child, &info);
	(void)quire_handle_close(child);
	if (err != 0) {
		say("fuzz: FAIL: waiting for a worker: %s", quire_error_name((int)-err));
		return false;
	}
	t->workers++;
	if (rep->state == 0 && info.reason == QUIRE_EXIT_NORMAL) {
		say("fuzz: FAIL: a worker gave up before its first call (status %lld)",
		    (long long)info.status);
		return false;
	}
	t->calls += rep->calls_done;
	for (unsigned n = 0; n < NUM_BUCKETS; n++)
		t->ticks[n] += rep->ticks[n];
	for (unsigned n = 0; n < NUM_BUCKETS; n++)
		for (unsigned r = 0; r < RESULT_BUCKETS; r++)
			t->counts[n][r] += rep->counts[n][r];
	for (uint64_t i = 0; i < rep->anomalies && i < ANOMALY_MAX; i++)
		print_anomaly(&rep->anomaly[i]);
	t->anomalies += rep->anomalies;
	t->decoder_invalid += rep->decoder_invalid;
	judge_worker(rep, &info, t);
	return true;
}

static void print_table(const struct totals *t)
{
	for (unsigned n = 0; n < NUM_BUCKETS; n++) {
		char line[256];
		uint64_t sum = 0;
		int len = 0;

		for (unsigned r = 0; r < RESULT_BUCKETS; r++)
			sum += t->counts[n][r];
		if (sum == 0)
			continue;
		len = snprintf(
		    line, sizeof(line), "fuzz: %3u %-16s %8llu %6llu ms:", n, bucket_name(n),
		    (unsigned long long)sum,
		    (unsigned long long)(t->tsc_hz ? t->ticks[n] / (t->tsc_hz / 1000) : 0));
		for (unsigned r = 0; r < RESULT_BUCKETS && len > 0 && len < (int)sizeof(line);
		     r++) {
			if (t->counts[n][r] == 0)
				continue;
			const char *name = r == 0                    ? "OK"
					   : r == RESULT_BUCKETS - 1 ? "OTHER"
								     : quire_error_name((int)r);
			len += snprintf(line + len, sizeof(line) - (size_t)len, " %s %llu", name,
					(unsigned long long)t->counts[n][r]);
		}
		say("%s", line);
	}
}

/* Waits (up to about 10 s of sleeping) for the counts to come back to BASE. */
static struct quire_system_info settle(const struct quire_system_info *base)
{
	struct quire_system_info now = info_now();

	for (int i = 0; i < 10000; i++) {
		if (now.processes == base->processes && now.frames_free == base->frames_free &&
		    now.handles == base->handles)
			break;
		quire_sleep(1000000);
		now = info_now();
	}
	return now;
}

/*
 * After a worker: once its children are gone, the free frames it left fewer than LAST are
 * reported with its seed, so a leak is found again with --worker-seed=SEED --calls=N (and the
 * call that leaks by bisecting N). Returns the count now.
 */
static uint64_t attribute_leak(const struct quire_system_info *base, uint64_t last,
			       const struct totals *t, uint64_t seed, uint64_t calls)
{
	struct quire_system_info now = info_now();

	for (int i = 0; i < 2000 && now.processes != base->processes; i++) {
		quire_sleep(1000000);
		now = info_now();
	}
	if (now.processes == base->processes && now.frames_free < last)
		say("fuzz: worker %llu (--worker-seed=%llu --calls=%llu) left %llu frames behind",
		    (unsigned long long)t->workers, (unsigned long long)seed,
		    (unsigned long long)calls, (unsigned long long)(last - now.frames_free));
	return now.frames_free;
}

static int parent(uint64_t seed, uint64_t calls, uint64_t per_worker, uint64_t worker_seed)
{
	static struct totals t;
	uint64_t at = 0;
	quire_handle_t area;

	warm_up();
	if (quire_vma_create_map(REPORT_PAGES * PAGE, &at, RW, &area) != 0) {
		say("fuzz: FAIL: no report area");
		return 1;
	}
	struct report *rep = (struct report *)(uintptr_t)at;
	memset(rep, 0, REPORT_PAGES * PAGE);
	say("fuzz: seed %llu, %llu calls, %llu per worker", (unsigned long long)seed,
	    (unsigned long long)calls, (unsigned long long)per_worker);
	struct quire_system_info base = info_now();
	uint64_t t0 = rdtsc(), index = 0;

	t.tsc_hz = base.tsc_hz;
	bool ok = true;

	uint64_t last = base.frames_free;
	while (t.calls < calls && ok) {
		uint64_t n = calls - t.calls < per_worker ? calls - t.calls : per_worker;
		uint64_t sub = worker_seed != 0 ? worker_seed : mix64(seed ^ mix64(++index));
		ok = run_worker(area, rep, sub, n, &t);
		last = attribute_leak(&base, last, &t, sub, n);
	}
	uint64_t t1 = rdtsc();
	struct quire_system_info end = settle(&base);
	uint64_t ms = base.tsc_hz ? (t1 - t0) / (base.tsc_hz / 1000) : 0;

	print_table(&t);
	say("fuzz: %llu calls by %llu workers in %llu ms of guest time (%llu calls/s): %llu "
	    "completed, %llu process_exit, %llu thread_exit, %llu killed on purpose, %llu "
	    "unexplained; %llu anomalies; %llu INVALID from a 32-bit argument's upper bits",
	    (unsigned long long)t.calls, (unsigned long long)t.workers, (unsigned long long)ms,
	    (unsigned long long)(ms ? t.calls * 1000 / ms : 0), (unsigned long long)t.completed,
	    (unsigned long long)t.exited, (unsigned long long)t.thread_exited,
	    (unsigned long long)t.killed, (unsigned long long)t.unexplained,
	    (unsigned long long)t.anomalies, (unsigned long long)t.decoder_invalid);
	bool leak = end.frames_free != base.frames_free || end.processes != base.processes ||
		    end.handles != base.handles;
	if (leak)
		say("fuzz: baseline differs: frames free %llu -> %llu, processes %llu -> %llu, "
		    "handles %llu -> %llu",
		    (unsigned long long)base.frames_free, (unsigned long long)end.frames_free,
		    (unsigned long long)base.processes, (unsigned long long)end.processes,
		    (unsigned long long)base.handles, (unsigned long long)end.handles);
	ok = ok && !leak && t.anomalies == 0 && t.unexplained == 0;
	say("fuzz: %s: seed %llu, %llu calls, frames free %llu (baseline %llu), processes %llu "
	    "(baseline %llu)",
	    ok ? "PASS" : "FAIL", (unsigned long long)seed, (unsigned long long)t.calls,
	    (unsigned long long)end.frames_free, (unsigned long long)base.frames_free,
	    (unsigned long long)end.processes, (unsigned long long)base.processes);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, calls = 0, per_worker = PER_WORKER, worker_seed = 0;
	bool run = false;

	if (argc == 4 && strcmp(argv[1], "--worker") == 0)
		return worker(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0));
	if (argc > 1 && strcmp(argv[1], "--linger") == 0)
		return linger();
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--calls=", 8) == 0) {
			calls = strtoull(argv[i] + 8, NULL, 0);
			run = true;
		} else if (strncmp(argv[i], "--seed=", 7) == 0) {
			seed = strtoull(argv[i] + 7, NULL, 0);
		} else if (strncmp(argv[i], "--trace=", 8) == 0) {
			trace_from = strtoull(argv[i] + 8, NULL, 0);
		} else if (strncmp(argv[i], "--worker-seed=", 14) == 0) {
			worker_seed = strtoull(argv[i] + 14, NULL, 0);
		} else if (strncmp(argv[i], "--per-worker=", 13) == 0) {
			per_worker = strtoull(argv[i] + 13, NULL, 0);
		}
	}
	if (!run)
		return 0; /* --noop, or whatever a random spawn passed */
	if (per_worker == 0)
		per_worker = PER_WORKER;
	return parent(seed, calls, per_worker, worker_seed);
}
