/*
 * The allocation-failure sweep (issue 8): /bin/vma_scenario (user/vma_scenario.c: the VMA calls end
 * to end, a child sharing a mapping, a channel message) is run once with failure injection counting
 * only, which gives the number of allocations it makes, spawn included; then once for every k from
 * 1 to that count with the k-th allocation failing (fail_inject.h). Each run must end with an error
 * (the spawn refused with NO_MEMORY, or the program exiting with the nonzero number of the step
 * that failed), or with the process killed for want of a frame in a page fault (FAULT_NO_MEMORY);
 * only a run whose k-th allocation was never reached (the count can vary a little from run to run)
 * may exit 0. Never a panic; and after each run the free frames (caches trimmed) and the number of
 * processes are back at their baselines. A "#" line says how the runs ended.
 */
#include "kernel/console.h"
#include "kernel/ktest.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area.h"
#include "kernel/process.h"

#define SCENARIO     "/bin/vma_scenario"
#define SETTLE_NAPS  200     /* 1 ms naps waiting for a scenario's child to end */
#define MEASURE_ARMS 1000000 /* an arming no scenario run reaches */

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	pmm_get_stats(&st);
	return st.free;
}

/* How a run ended. */
enum outcome {
	SPAWN_FAILED, /* process_spawn said NO_MEMORY */
	ERROR_EXIT,   /* the program exited with a nonzero status */
	KILLED,       /* killed by FAULT_NO_MEMORY */
	CLEAN,        /* exited 0 */
	OTHER,        /* anything else: a failure */
	OUTCOMES
};

struct run_result {
	enum outcome outcome;
	kerr_t spawn_err;
	struct quire_exit_info exit;
};

/* Runs the scenario once with the NTH allocation failing (0: none); its result. */
static struct run_result run_scenario(uint64_t nth)
{
	const char *argv[] = {SCENARIO};
	struct spawn_request req = {.path = SCENARIO, .argv = argv, .argc = 1};
	struct run_result r = {.outcome = OTHER};
	struct process *p;

	fail_inject_arm(nth);
	r.spawn_err = process_spawn(&req, &p);
	if (r.spawn_err == KERR_OK) {
		kerr_t err = process_wait(p, &r.exit);
		kobject_put(&p->obj);
		if (err != KERR_OK)
			return r;
		if (r.exit.reason == QUIRE_EXIT_NORMAL)
			r.outcome = r.exit.status == 0 ? CLEAN : ERROR_EXIT;
		else if (r.exit.reason == QUIRE_EXIT_FAULT_NO_MEMORY)
			r.outcome = KILLED;
	} else if (r.spawn_err == KERR_NO_MEMORY) {
		r.outcome = SPAWN_FAILED;
	}
	return r;
}

/* Waits for a child the scenario left behind to end; the counts once it has. */
static void settle(uint64_t processes, uint64_t *frames_now)
{
	for (int i = 0; i < SETTLE_NAPS && process_count() != processes; i++)
		(void)sched_sleep_ns(1000000);
	*frames_now = free_frames();
}

KTEST(failsweep_vma_scenario_every_allocation)
{
	static const char *const names[OUTCOMES] = {"spawn NO_MEMORY", "error exit",
						    "killed FAULT_NO_MEMORY", "exit 0", "other"};
	uint64_t processes = process_count(), frames, base, counts[OUTCOMES] = {0}, fired_clean = 0;

	/* The count, with nothing failing; it also warms the caches the baseline must include. */
	struct run_result r = run_scenario(MEASURE_ARMS);
	uint64_t total = fail_inject_attempts();
	fail_inject_arm(0);
	if (!kexpectf(r.outcome == CLEAN, "scenario without failures: outcome %u, status %lld",
		      r.outcome, (long long)r.exit.status))
		return;
	settle(processes, &base);
	for (uint64_t k = 1; k <= total; k++) {
		r = run_scenario(k);
		bool fired = fail_inject_attempts() >= k;
		fail_inject_arm(0);
		settle(processes, &frames);
		counts[r.outcome]++;
		if (r.outcome == CLEAN && fired)
			fired_clean++;
		kexpectf(r.outcome != OTHER && (r.outcome != CLEAN || !fired),
			 "k=%llu: spawn %s, reason %u, status %lld (the failure %s)",
			 (unsigned long long)k, kerr_name(r.spawn_err), r.exit.reason,
			 (long long)r.exit.status, fired ? "happened" : "was not reached");
		kexpectf(process_count() == processes, "k=%llu: %llu processes, %llu before",
			 (unsigned long long)k, (unsigned long long)process_count(),
			 (unsigned long long)processes);
		if (!kexpectf(frames == base, "k=%llu: %llu frames free, %llu before",
			      (unsigned long long)k, (unsigned long long)frames,
			      (unsigned long long)base))
			break;
	}
	console_printf("# failsweep: %llu allocations in " SCENARIO ", each failed in turn:",
		       (unsigned long long)total);
	for (unsigned o = 0; o < OUTCOMES; o++)
		if (counts[o] != 0)
			console_printf(" %s %llu;", names[o], (unsigned long long)counts[o]);
	console_printf(" %llu exited 0 though their allocation failed\n",
		       (unsigned long long)fired_clean);
}
