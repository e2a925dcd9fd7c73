/*
 * Built-in tests of the first processes: /bin/probe runs in ring 3, logs through the system call
 * and exits with 42; /bin/crash_null is killed by its null dereference and the kernel goes on;
 * /bin/bad_pointers checks that bad pointers give FAULT and unknown numbers UNSUPPORTED. After
 * each, every frame is free again.
 */
#include "kernel/ktest.h"
#include "kernel/lib/string.h"
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

/* Runs PATH to its end into *EXIT (and *P's log, kept until destroyed). */
static bool run(struct ktest_ctx *ktest_ctx, const char *path, struct quire_exit_info *exit,
		char *log, uint64_t *log_count)
{
	struct process *p;

	if (!kexpectf(process_create(path, &p) == KERR_OK, "create %s", path))
		return false;
	process_run(p);
	*exit = p->exit;
	memcpy(log, p->last_log, sizeof(p->last_log));
	*log_count = p->log_count;
	process_destroy(p);
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

KTEST(process_create_missing_program)
{
	struct process *p;

	kexpect_eq(process_create("/bin/no-such-program", &p), KERR_NOT_FOUND);
}
