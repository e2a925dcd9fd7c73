/*
 * Built-in tests of processes, run through process_spawn() and process_wait() from the boot
 * thread: /bin/probe runs in ring 3, logs through the system call
 * and exits with 42; /bin/crash_null is killed by its null dereference and the kernel goes on;
 * /bin/bad_pointers checks that bad pointers give FAULT and unknown numbers UNSUPPORTED. After
 * each, every frame is free again.
 */
#include "kernel/ktest.h"
#include "kernel/lib/string.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pmm.h"
#include "kernel/process.h"

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	pmm_get_stats(&st);
	return st.free;
}

/* Runs PATH (no arguments, no handles) to its end into *EXIT, with its log. */
static bool run(struct ktest_ctx *ktest_ctx, const char *path, struct quire_exit_info *exit,
		char *log, uint64_t *log_count)
{
	const char *argv[] = {path};
	struct spawn_request req = {.path = path, .argv = argv, .argc = 1};
	struct process *p;

	if (!kexpectf(process_spawn(&req, &p) == KERR_OK, "spawn %s", path))
		return false;
	kexpect_eq(process_wait(p, exit), KERR_OK);
	kexpect(p->ended && p->space == NULL && p->threads == NULL);
	memcpy(log, p->last_log, sizeof(p->last_log));
	*log_count = p->log_count;
	kobject_put(&p->obj);
	return true;
}

KTEST(process_probe_logs_and_exits_42)
{
	struct quire_exit_info exit;
	char log[PROCESS_LOG_KEEP + 1];
	uint64_t count;
	uint64_t before = free_frames();

	if (!run(ktest_ctx, "/bin/probe", &exit, log, &count))
		return;
	kexpect_eq(exit.reason, QUIRE_EXIT_NORMAL);
	kexpect_eq(exit.status, 42);
	kexpect_eq(count, 1);
	kexpectf(strcmp(log, "hello from user space") == 0, "log was '%s'", log);
	kexpect_eq(free_frames(), before);
	/* Twice: nothing of the first run is left in the way of the second. */
	if (run(ktest_ctx, "/bin/probe", &exit, log, &count))
		kexpect_eq(exit.status, 42);
	kexpect_eq(free_frames(), before);
}

KTEST(process_null_dereference_is_killed)
{
	struct quire_exit_info exit;
	char log[PROCESS_LOG_KEEP + 1];
	uint64_t count;
	uint64_t before = free_frames();

	if (!run(ktest_ctx, "/bin/crash_null", &exit, log, &count))
		return;
	kexpect_eq(exit.reason, QUIRE_EXIT_FAULT_UNMAPPED);
	kexpect_eq(exit.vector, 14);
	kexpect_eq(exit.address, 0);
	kexpect_eq(exit.access, QUIRE_VMA_READ);
	kexpect_eq(exit.status, 0);
	kexpect_eq(free_frames(), before);
	/* The kernel runs on: another process still works. */
	if (run(ktest_ctx, "/bin/probe", &exit, log, &count))
		kexpect_eq(exit.status, 42);
	kexpect_eq(free_frames(), before);
}

KTEST(process_bad_pointers_fault)
{
	struct quire_exit_info exit;
	char log[PROCESS_LOG_KEEP + 1];
	uint64_t count;
	uint64_t before = free_frames();

	if (!run(ktest_ctx, "/bin/bad_pointers", &exit, log, &count))
		return;
	kexpect_eq(exit.reason, QUIRE_EXIT_NORMAL);
	kexpectf(exit.status == 0, "check %lld failed", (long long)exit.status);
	kexpect_eq(count, 1);
	kexpect_eq(free_frames(), before);
}

KTEST(process_spawn_refuses_what_it_cannot_start)
{
	const char *argv[] = {"x"};
	struct spawn_request req = {.path = "/bin/no-such-program", .argv = argv, .argc = 1};
	struct process *p;
	uint64_t before = free_frames(), processes = process_count();

	kexpect_eq(process_spawn(&req, &p), KERR_NOT_FOUND);
	req.path = "/bin"; /* a directory */
	kexpect_eq(process_spawn(&req, &p), KERR_INVALID);
	req.path = "/README"; /* not an ELF */
	kexpect_eq(process_spawn(&req, &p), KERR_INVALID);
	req.path = "/bin/probe";
	req.argc = QUIRE_SPAWN_ARGC_MAX + 1;
	kexpect_eq(process_spawn(&req, &p), KERR_OUT_OF_RANGE);
	kexpect_eq(process_count(), processes);
	kexpect_eq(free_frames(), before);
}

/* Every allocation of a spawn failing in turn: an error each time, and nothing leaked. */
KTEST(process_spawn_survives_every_allocation_failure)
{
	const char *argv[] = {"/bin/probe", "an argument"};
	struct spawn_request req = {.path = "/bin/probe", .argv = argv, .argc = 2};
	struct process *p;
	struct quire_exit_info exit;
	uint64_t before = free_frames(), processes = process_count();
	unsigned failures = 0;

	for (uint64_t k = 1; k < 400; k++) {
		fail_inject_arm(k);
		kerr_t err = process_spawn(&req, &p);
		bool fired = fail_inject_attempts() >= k;
		fail_inject_arm(0); /* before the process runs: only the spawn's own allocations */
		if (err == KERR_OK) {
			kexpect_eq(process_wait(p, &exit), KERR_OK);
			kexpect_eq(exit.status, 42);
			kobject_put(&p->obj);
			if (!fired)
				break; /* every allocation has failed once */
		} else {
			kexpectf(err == KERR_NO_MEMORY, "k=%llu: %s", (unsigned long long)k,
				 kerr_name(err));
			failures++;
		}
		kexpect_eq(process_count(), processes);
		if (!kexpectf(free_frames() == before, "k=%llu leaked", (unsigned long long)k))
			break;
	}
	kexpectf(failures > 5, "only %u allocations failed", failures);
}
