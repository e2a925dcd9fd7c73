/*
 * bad_pointers_all: every pointer argument of every system call, given a pointer the kernel
 * cannot use, returns FAULT, and a call that faulted leaves nothing behind.
 *
 * The pointers (enum kind): NULL; a kernel address; an unmapped user address; a range that
 * starts in a mapped page (EDGE_AT, whose next page is free) and runs into the unmapped one; and,
 * for what the kernel writes, a read-only page. Each call is made with one bad pointer and
 * everything else valid, so FAULT can only come from that pointer. After each call the free
 * frame and process counts must be back where they were: a call that faulted on its out pointer
 * undid itself (no handle, no mapping, no process, no thread left; the process and the thread
 * such calls start would sleep for seconds if they ever ran, so the counts would show them).
 * A mapping that should have been undone is also looked for directly (vma_unmap says NOT_FOUND,
 * the exact address is free).
 * At the end everything is released and the counts are back at their first baselines.
 */
#include "qtest.h"

#define PAGE         4096ull
#define RW           (QUIRE_VMA_READ | QUIRE_VMA_WRITE)
#define EDGE_AT      0x4d000000ull /* one mapped page; the page after it stays free */
#define FREE_AT      0x4e000000ull /* free: the exact target of the calls that must undo */
#define KERNEL_ADDR  0xffffffff80000000ull
#define UNMAPPED     0x0000500000000000ull
#define SETTLE_TRIES 100
#define LINGER_NS    5000000000ull /* how long what must never run would stay if it ran */

enum kind { K_NULL, K_KERNEL, K_UNMAPPED, K_STRADDLE, K_READONLY, KINDS };
#define READ_KINDS K_READONLY /* what the kernel only reads: every kind but the read-only page */

static const char *const kind_name[KINDS] = {"NULL", "kernel", "unmapped", "straddling",
					     "read-only"};

static uint64_t ro_page;           /* a read-only page */
static quire_handle_t edge, ro;    /* the areas of EDGE_AT's page and of the read-only one */
static quire_handle_t loose;       /* an area mapped nowhere (1 page) */
static quire_handle_t passable;    /* an area handle to pass to process_spawn */
static const char *self_path;      /* argv[0] */
static uint64_t frames, processes; /* after the set-up: every call must leave them so */
static uint64_t start_frames, start_processes;

static _Noreturn void fail_kind(int line, const char *call, int k, long got)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s with a %s pointer returned %ld, not -FAULT (%d)", call,
		 kind_name[k], got, -QUIRE_ERR_FAULT);
	qtest_fail(__FILE__, line, msg);
}

static _Noreturn void fail_leak(int line, const char *call, int k, uint64_t f, uint64_t p)
{
	char msg[256];

	snprintf(msg, sizeof(msg),
		 "%s with a %s pointer left %llu free frames (not %llu), %llu processes (not %llu)",
		 call, kind_name[k], (unsigned long long)f, (unsigned long long)frames,
		 (unsigned long long)p, (unsigned long long)processes);
	qtest_fail(__FILE__, line, msg);
}

/* Waits (yielding, bounded) for the counts to be back at FRAMES and PROCESSES. */
static int settled(uint64_t want_frames, uint64_t want_processes, uint64_t *f, uint64_t *p)
{
	for (int i = 0;; i++) {
		*f = qtest_frames_free();
		*p = qtest_processes();
		if ((*f == want_frames && *p == want_processes) || i == SETTLE_TRIES)
			return *f == want_frames && *p == want_processes;
		quire_yield();
	}
}

/* CALL (made with a pointer of kind K) returned FAULT and left nothing behind. */
#define CHECK_FAULT(k, call)                                                                       \
	do {                                                                                       \
		long r_ = (call);                                                                  \
		uint64_t f_, p_;                                                                   \
		if (r_ != -QUIRE_ERR_FAULT)                                                        \
			fail_kind(__LINE__, #call, (k), r_);                                       \
		if (!settled(frames, processes, &f_, &p_))                                         \
			fail_leak(__LINE__, #call, (k), f_, p_);                                   \
	} while (0)

/*
 * A pointer of kind K to an object of SIZE bytes (at least 2): a straddling one has half the
 * object in EDGE_AT's page and half in the free page after it.
 */
static uint64_t bad(int k, uint64_t size)
{
	switch (k) {
	case K_NULL:
		return 0;
	case K_KERNEL:
		return KERNEL_ADDR;
	case K_UNMAPPED:
		return UNMAPPED;
	case K_STRADDLE:
		return EDGE_AT + PAGE - size / 2;
	default:
		return ro_page;
	}
}

#define BAD(type, k) ((type *)(uintptr_t)bad((k), sizeof(type)))

/* A string of kind K: a straddling one is non-NUL bytes up to the end of EDGE_AT's page. */
static const char *bad_string(int k)
{
	if (k != K_STRADDLE)
		return (const char *)(uintptr_t)bad(k, 2);
	memset((void *)(uintptr_t)(EDGE_AT + PAGE - 64), 'x', 64);
	return (const char *)(uintptr_t)(EDGE_AT + PAGE - 4);
}

static __attribute__((noinline)) void warm_stack(void)
{
	volatile char pad[64 * 1024];

	for (size_t i = 0; i < sizeof(pad); i += PAGE)
		pad[i] = 0;
}

/* Must never run: if it did, it would hold its stack for LINGER_NS and the counts would show it. */
static void thread_main(uint64_t arg)
{
	(void)arg;
	quire_sleep(LINGER_NS);
	quire_thread_exit();
}

static quire_handle_t spawn_noop(void)
{
	const char *args[] = {NULL, "noop"};

	return qtest_spawn_self(self_path, args, 2, NULL, 0);
}

static void setup(void)
{
	uint64_t addr = EDGE_AT;

	CHECK_EQ(quire_vma_create_map(PAGE, &addr, RW | QUIRE_VMA_EXACT, &edge), 0);
	CHECK_EQ(addr, EDGE_AT);
	memset((void *)(uintptr_t)EDGE_AT, 0,
	       PAGE); /* its frame now: the kernel's writes cost none */
	ro_page = 0;
	CHECK_EQ(quire_vma_create_map(PAGE, &ro_page, QUIRE_VMA_READ, &ro), 0);
	CHECK_EQ(*(volatile uint64_t *)(uintptr_t)ro_page, 0); /* mapped (the zero page) now */
	CHECK_EQ(quire_vma_create(PAGE, RW, &loose), 0);
	CHECK_EQ(quire_vma_create(PAGE, RW, &passable), 0);
}

static void test_vma_calls(void)
{
	for (int k = 0; k < KINDS; k++) {
		uint64_t addr = 0;
		quire_handle_t h = 0x5e5e5e5e;

		CHECK_FAULT(k, quire_vma_create(PAGE, RW, BAD(quire_handle_t, k)));
		CHECK_FAULT(k, quire_vma_create_map(PAGE, BAD(uint64_t, k), RW, &h));
		CHECK_FAULT(k, quire_vma_create_map(PAGE, &addr, RW, BAD(quire_handle_t, k)));
		addr = FREE_AT;
		CHECK_FAULT(k, quire_vma_create_map(PAGE, &addr, RW | QUIRE_VMA_EXACT,
						    BAD(quire_handle_t, k)));
		CHECK_EQ(h, 0x5e5e5e5e); /* never written on failure */
		CHECK_FAULT(k, quire_vma_map(loose, quire_self(), BAD(uint64_t, k), RW));
		CHECK_EQ(quire_vma_unmap(loose, quire_self()), -QUIRE_ERR_NOT_FOUND);
		CHECK_FAULT(k, quire_vma_resize(loose, BAD(uint64_t, k)));
		CHECK_FAULT(k, quire_handle_clone(loose, RW, BAD(quire_handle_t, k)));
		if (k == K_READONLY)
			continue; /* read, not written, with QUIRE_VMA_EXACT */
		CHECK_FAULT(k,
			    quire_vma_create_map(PAGE, BAD(uint64_t, k), RW | QUIRE_VMA_EXACT, &h));
		CHECK_FAULT(
		    k, quire_vma_map(loose, quire_self(), BAD(uint64_t, k), RW | QUIRE_VMA_EXACT));
		CHECK_EQ(quire_vma_unmap(loose, quire_self()), -QUIRE_ERR_NOT_FOUND);
	}

	/* Undone for real: FREE_AT is free and LOOSE still one page (FREE_AT's next page too). */
	uint64_t addr = FREE_AT, next = FREE_AT + PAGE;
	quire_handle_t h;
	CHECK_EQ(quire_vma_map(loose, quire_self(), &addr, RW | QUIRE_VMA_EXACT), 0);
	CHECK_EQ(quire_vma_create_map(PAGE, &next, RW | QUIRE_VMA_EXACT, &h), 0);
	CHECK_EQ(quire_vma_unmap(h, quire_self()), 0);
	CHECK_EQ(quire_handle_close(h), 0);
	CHECK_EQ(quire_vma_unmap(loose, quire_self()), 0);
}

static void test_process_calls(void)
{
	for (int k = 0; k < KINDS; k++) {
		const char *argv_ok[] = {self_path, "linger"};
		const char *argv_bad[] = {self_path, NULL};
		quire_handle_t child = 0x5e5e5e5e;

		if (k < READ_KINDS) {
			CHECK_FAULT(
			    k, quire_process_spawn(bad_string(k), argv_ok, 2, NULL, 0, &child));
			/* The argv array: a straddling one has argv[0] mapped and argv[1] not. */
			const char **array = (const char **)(uintptr_t)bad(k, 2 * sizeof(char *));
			if (k == K_STRADDLE)
				array[0] = self_path;
			CHECK_FAULT(k, quire_process_spawn(self_path, array, 2, NULL, 0, &child));
			argv_bad[1] = bad_string(k);
			CHECK_FAULT(k,
				    quire_process_spawn(self_path, argv_bad, 2, NULL, 0, &child));
			/* The handle list: a straddling one has handles[0] mapped and handles[1] not. */
			quire_handle_t *hs =
			    (quire_handle_t *)(uintptr_t)bad(k, 2 * sizeof(quire_handle_t));
			if (k == K_STRADDLE)
				hs[0] = passable;
			CHECK_FAULT(k, quire_process_spawn(self_path, argv_ok, 2, hs, 2, &child));
			CHECK_EQ(child, 0x5e5e5e5e);
		}
		/* The out pointer: the process was started and must be ended again. */
		CHECK_FAULT(k, quire_process_spawn(self_path, argv_ok, 2, &passable, 1,
						   BAD(quire_handle_t, k)));
		quire_handle_t check; /* and PASSABLE is still ours */
		CHECK_EQ(quire_handle_clone(passable, QUIRE_RIGHT_READ, &check), 0);
		CHECK_EQ(quire_handle_close(check), 0);
	}

	/* Waits for a child that has ended (INFO is checked after the wait): counts as they are. */
	quire_handle_t child = spawn_noop();
	struct quire_exit_info info;
	CHECK_EQ(quire_process_wait(child, &info), 0);
	uint64_t saved_frames = frames, saved_processes = processes;
	frames = qtest_frames_free(); /* the ended child's record lives while CHILD names it */
	processes = qtest_processes();
	CHECK_EQ(processes, saved_processes);
	for (int k = 0; k < KINDS; k++)
		CHECK_FAULT(k, quire_process_wait(child, BAD(struct quire_exit_info, k)));
	frames = saved_frames;
	processes = saved_processes;
	info = qtest_wait(child);
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, 0);

	/* A thread that would start on EDGE_AT's page: it must end before its first instruction. */
	for (int k = 0; k < KINDS; k++)
		CHECK_FAULT(k, quire_thread_create(quire_self(), (uint64_t)(uintptr_t)thread_main,
						   EDGE_AT + PAGE, 0, BAD(quire_handle_t, k)));
}

static void test_other_calls(void)
{
	for (int k = 0; k < KINDS; k++) {
		if (k < READ_KINDS) {
			const char *msg = bad_string(k);
			CHECK_FAULT(k, quire_log(msg, 8));
		}
		CHECK_FAULT(k, quire_system_info(BAD(struct quire_system_info, k),
						 sizeof(struct quire_system_info)));
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "noop") == 0)
		return 0;
	if (argc > 1 && strcmp(argv[1], "linger") == 0) {
		/* Started by a spawn that failed: it must be ended before it runs. */
		printf("bad_pointers_all: a process whose spawn failed runs\n");
		quire_sleep(LINGER_NS);
		return 1;
	}
	self_path = argv[0];
	warm_stack();
	start_frames = qtest_frames_free();
	start_processes = qtest_processes();
	setup();
	frames = qtest_frames_free();
	processes = qtest_processes();

	test_vma_calls();
	test_process_calls();
	test_other_calls();

	CHECK_EQ(quire_handle_close(loose), 0);
	CHECK_EQ(quire_handle_close(passable), 0);
	CHECK_EQ(quire_vma_unmap(edge, quire_self()), 0);
	CHECK_EQ(quire_handle_close(edge), 0);
	CHECK_EQ(quire_vma_unmap(ro, quire_self()), 0);
	CHECK_EQ(quire_handle_close(ro), 0);
	uint64_t f, p;
	CHECK(settled(start_frames, start_processes, &f, &p));
	printf("bad_pointers_all: ok: 15 pointer arguments of 10 calls, %d kinds of bad pointer\n",
	       KINDS);
	return 0;
}
