/*
 * init: the first user program. The kernel starts it with a handle to itself, the framebuffer's
 * area (tag QUIRE_STARTUP_FRAMEBUFFER, when there is one) and its arguments (kernel/init.h):
 *
 *   init --test PATH...   runs each test program PATH in a process of its own, one after the
 *                         other, and reports each as a TAP line over the kernel log: "ok N - PATH"
 *                         when it exited with status 0, "not ok N - PATH" with the status or the
 *                         reason it was killed otherwise; a last line checks that the free frame
 *                         count is back at its baseline. Exits with the number of failures.
 *   init SPEC...          starts each program SPEC names, "NAME[:ARG[:ARG...]]" (the kernel's
 *                         run=... option; "draw" when there is none): bin/NAME with argv
 *                         {bin/NAME, --fb=W,H,STRIDE,FORMAT (when there is a framebuffer), ARG...}
 *                         and a clone of the framebuffer handle as its first passed handle; then
 *                         waits for them all and logs how each ended.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "quire/startup.h"
#include "quire/syscalls.h"
#include "quire_runtime.h"

#define PROGRAMS_MAX     8u  /* programs run=... may name */
#define PROGRAM_ARGS_MAX 14u /* arguments after NAME in one run=NAME:ARG:... */
/* What a started program gets of the framebuffer: drawing on it, and passing it on. */
#define FB_RIGHTS                                                                                  \
	(QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_MAP | QUIRE_RIGHT_DUPLICATE |          \
	 QUIRE_RIGHT_TRANSFER)

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

/* A program init starts: its argv, and its process once spawned. */
struct program {
	char path[QUIRE_PATH_MAX];
	char fb_arg[64];
	const char *argv[PROGRAM_ARGS_MAX + 2];
	size_t argc;
	quire_handle_t process;
};

/*
 * Splits SPEC ("NAME[:ARG[:ARG...]]", changed in place) into P's argv: bin/NAME, then
 * --fb=W,H,STRIDE,FORMAT when there is a framebuffer, then the ARGs.
 */
static void parse_program(char *spec, const struct quire_framebuffer_info *fb, struct program *p)
{
	char *name = spec, *args = strchr(spec, ':');

	if (args != NULL)
		*args++ = '\0';
	snprintf(p->path, sizeof(p->path), "bin/%s", name);
	p->argc = 0;
	p->argv[p->argc++] = p->path;
	if (fb->format != QUIRE_PIXEL_NONE) {
		snprintf(p->fb_arg, sizeof(p->fb_arg), "--fb=%u,%u,%u,%u", fb->width, fb->height,
			 fb->pixels_per_line, fb->format);
		p->argv[p->argc++] = p->fb_arg;
	}
	while (args != NULL && p->argc < PROGRAM_ARGS_MAX + 1) {
		char *next = strchr(args, ':');
		if (next != NULL)
			*next++ = '\0';
		p->argv[p->argc++] = args;
		args = next;
	}
	p->argv[p->argc] = NULL;
}

/*
 * Starts every program SPECS names (the kernel's run=...; "draw" when there is none), each with
 * a clone of the framebuffer handle when init has one, then waits for them all.
 */
static int run_programs(int count, char **specs)
{
	static char default_spec[] = "draw";
	static char *defaults[] = {default_spec};
	static struct program programs[PROGRAMS_MAX];
	const struct quire_startup *su = quire_startup_info();
	quire_handle_t fb = quire_startup_handle(QUIRE_STARTUP_FRAMEBUFFER, 0);
	int started = 0;

	if (count == 0) {
		count = 1;
		specs = defaults;
	}
	if (count > (int)PROGRAMS_MAX) {
		say("init: only the first %u programs are started", PROGRAMS_MAX);
		count = PROGRAMS_MAX;
	}
	for (int i = 0; i < count; i++) {
		struct program *p = &programs[started];
		quire_handle_t pass = QUIRE_HANDLE_INVALID;
		long err = 0;

		parse_program(specs[i], &su->framebuffer, p);
		if (fb != QUIRE_HANDLE_INVALID)
			err = quire_handle_clone(fb, FB_RIGHTS, &pass);
		if (err == 0)
			err =
			    quire_process_spawn(p->path, p->argv, p->argc, &pass,
						pass != QUIRE_HANDLE_INVALID ? 1 : 0, &p->process);
		if (err != 0) {
			say("init: %s did not start: %s", p->path, quire_error_name((int)-err));
			if (pass != QUIRE_HANDLE_INVALID)
				quire_handle_close(pass);
			continue;
		}
		started++;
	}
	for (int i = 0; i < started; i++) {
		struct quire_exit_info info = {0};
		long err = quire_process_wait(programs[i].process, &info);
		quire_handle_close(programs[i].process);
		if (err != 0)
			say("init: waiting for %s: %s", programs[i].path,
			    quire_error_name((int)-err));
		else
			say("init: %s %s (status %lld)", programs[i].path, reason_name(info.reason),
			    (long long)info.status);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--test") == 0)
		return run_tests(argc - 2, argv + 2);
	return run_programs(argc - 1, argv + 1);
}
