/*
 * init: the first user program. The kernel starts it with a handle to itself, the framebuffer's
 * area (tag QUIRE_STARTUP_FRAMEBUFFER, when there is one) and its arguments (kernel/init.h):
 *
 *   init --test PATH...   runs each test program PATH in a process of its own, one after the
 *                         other, and reports each as a TAP line over the kernel log: "ok N - PATH"
 *                         when it exited with status 0, "not ok N - PATH" with the status or the
 *                         reason it was killed otherwise; a last line checks that the free frame
 *                         count is back at its baseline. Exits with the number of failures.
 *   init NAME...          starts bin/NAME for each (the kernel's run=... option), waits for them
 *                         and logs how each ended.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "quire/startup.h"
#include "quire/syscalls.h"

/* One line to the kernel log (the TAP stream: tools/run-suite.sh reads init's lines). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	quire_log(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static const char *reason_name(uint32_t reason)
{
	switch (reason) {
	case QUIRE_EXIT_NORMAL:
		return "exited";
	case QUIRE_EXIT_FAULT_UNMAPPED:
		return "page fault on unmapped memory";
	case QUIRE_EXIT_FAULT_PROTECTION:
		return "page fault against the mapping's protection";
	case QUIRE_EXIT_FAULT_GUARD:
		return "page fault on a guard page";
	case QUIRE_EXIT_FAULT_NO_MEMORY:
		return "no memory for a page fault";
	case QUIRE_EXIT_EXCEPTION:
		return "CPU exception";
	default:
		return "unknown reason";
	}
}

/* Runs PATH with ARGV[0] = PATH and no handles; its exit information into *INFO. */
static long run(const char *path, struct quire_exit_info *info)
{
	const char *argv[] = {path};
	quire_handle_t child;

	long err = quire_process_spawn(path, argv, 1, NULL, 0, &child);
	if (err != 0)
		return err;
	err = quire_process_wait(child, info);
	long closed = quire_handle_close(child);
	return err != 0 ? err : closed;
}

static uint64_t free_frames(void)
{
	struct quire_system_info si;

	if (quire_system_info(&si, sizeof(si)) != 0)
		return 0;
	return si.frames_free;
}

static int run_tests(int count, char **paths)
{
	int failed = 0;
	uint64_t baseline = free_frames();

	say("TAP version 13");
	say("1..%d", count + 1);
	for (int i = 0; i < count; i++) {
		struct quire_exit_info info = {0};
		long err = run(paths[i], &info);
		if (err != 0) {
			say("not ok %d - %s", i + 1, paths[i]);
			say("# could not run it: %s", quire_error_name((int)-err));
		} else if (info.reason != QUIRE_EXIT_NORMAL || info.status != 0) {
			say("not ok %d - %s", i + 1, paths[i]);
			say("# %s: status %lld, vector %u, address 0x%llx",
			    reason_name(info.reason), (long long)info.status, info.vector,
			    (unsigned long long)info.address);
		} else {
			say("ok %d - %s", i + 1, paths[i]);
			continue;
		}
		failed++;
	}
	uint64_t after = free_frames();
	if (after == baseline && baseline != 0) {
		say("ok %d - init: free frames back at the baseline (%llu)", count + 1,
		    (unsigned long long)after);
	} else {
		say("not ok %d - init: free frames back at the baseline", count + 1);
		say("# %llu free before the tests, %llu after", (unsigned long long)baseline,
		    (unsigned long long)after);
		failed++;
	}
	say("# init: %d passed, %d failed", count + 1 - failed, failed);
	return failed;
}

static void run_programs(int count, char **names)
{
	for (int i = 0; i < count; i++) {
		char path[QUIRE_PATH_MAX];
		struct quire_exit_info info = {0};

		snprintf(path, sizeof(path), "bin/%s", names[i]);
		long err = run(path, &info);
		if (err != 0)
			say("init: %s did not run: %s", path, quire_error_name((int)-err));
		else
			say("init: %s %s (status %lld)", path, reason_name(info.reason),
			    (long long)info.status);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--test") == 0)
		return run_tests(argc - 2, argv + 2);
	run_programs(argc - 1, argv + 1);
	return 0;
}
