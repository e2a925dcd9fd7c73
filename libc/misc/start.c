/*
 * Process start-up: the C half of crt0, the start-up block's accessors, and the log sink behind
 * stdout and stderr.
 *
 * crt0's _start (libc/crt0/crt0.c) aligns the stack and calls __libc_start with the block the
 * kernel left in RDI (quire/startup.h). A block that fails the checks ends the process with
 * QUIRE_STATUS_BAD_STARTUP (127) before anything else runs: it means the kernel and libc disagree
 * on the ABI, and nothing the block says can be trusted.
 *
 * stdout and stderr both go to the kernel log, one log system call per line: the sink collects
 * bytes in one 256-byte line buffer and sends it, without its newline, when a newline arrives,
 * when the buffer is full (a longer line becomes several log lines), when the other stream starts
 * writing (so output keeps its order and a stream's half line is not glued to the other's), and at
 * exit or abort. The kernel tags each log line with the process. Nothing here logs by itself: a
 * program that never prints makes no log call.
 *
 * Not thread-safe yet: two threads printing at once can mix their bytes within a line.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../include/quire_runtime.h"
#include "../include/stdio.h"
#include "../include/stdlib.h"
#include "../include/string.h"
#include "quire/syscalls.h"
#include "runtime_internal.h"

#define LOG_LINE_MAX 256

static const struct quire_startup *startup;
static quire_handle_t self_handle = QUIRE_HANDLE_INVALID;

/* Each stream has its own sink so the line buffer knows who wrote last. */
struct log_sink {
	struct __libc_sink sink; /* first: the callback casts back */
};

static struct {
	const struct log_sink *owner; /* whose bytes are in buf */
	size_t used;
	char buf[LOG_LINE_MAX];
} line;

static int line_emit(void)
{
	size_t used = line.used;

	line.used = 0;
	return quire_log(line.buf, used) == 0 ? 0 : -1;
}

static void log_flush(void)
{
	if (line.used > 0)
		(void)line_emit();
}

/* Appends LEN bytes that hold no newline, sending the buffer whenever it is full. */
static int line_append(const char *s, size_t len)
{
	int ret = 0;

	while (len > 0) {
		if (line.used == sizeof(line.buf) && line_emit() < 0)
			ret = -1;
		size_t n = sizeof(line.buf) - line.used;
		if (n > len)
			n = len;
		__LIBC_NAME(memcpy)(line.buf + line.used, s, n);
		line.used += n;
		s += n;
		len -= n;
	}
	return ret;
}

static int log_write(struct __libc_sink *sink, const char *s, size_t len)
{
	const struct log_sink *from = (const struct log_sink *)sink;
	int ret = 0;

	if (line.used > 0 && line.owner != from && line_emit() < 0)
		ret = -1;
	line.owner = from;
	while (len > 0) {
		const char *nl = __LIBC_NAME(memchr)(s, '\n', len);
		size_t run = nl != NULL ? (size_t)(nl - s) : len;

		if (line_append(s, run) < 0)
			ret = -1;
		if (nl == NULL)
			break;
		if (line_emit() < 0)
			ret = -1;
		s += run + 1;
		len -= run + 1;
	}
	return ret;
}

static struct log_sink stdout_sink = {{log_write}};
static struct log_sink stderr_sink = {{log_write}};

static void abort_exit(void)
{
	log_flush();
	quire_process_exit(QUIRE_STATUS_ABORTED);
}

static bool startup_valid(const struct quire_startup *info)
{
	if (info == NULL || info->magic != QUIRE_STARTUP_MAGIC ||
	    info->version != QUIRE_STARTUP_VERSION)
		return false;
	if (info->argc > QUIRE_SPAWN_ARGC_MAX || (info->argc > 0 && info->argv == NULL))
		return false;
	if (info->argv != NULL && info->argv[info->argc] != NULL)
		return false;
	return info->handle_count == 0 || info->handles != NULL;
}

_Noreturn void __libc_start(const struct quire_startup *info, int (*main_fn)(int, char **))
{
	static char *no_args[1] = {NULL};

	if (!startup_valid(info))
		quire_process_exit(QUIRE_STATUS_BAD_STARTUP);
	startup = info;
	self_handle = quire_startup_handle(QUIRE_STARTUP_SELF, 0);
	__libc_stdio_connect(__LIBC_NAME(stdout), &stdout_sink.sink);
	__libc_stdio_connect(__LIBC_NAME(stderr), &stderr_sink.sink);
	__libc_stdio_flush = log_flush;
	__libc_abort_hook = abort_exit;

	/* C gives main modifiable strings; they are in the process's own stack area. */
	char **argv = info->argv != NULL ? (char **)info->argv : no_args;
	__LIBC_NAME(exit)(main_fn((int)info->argc, argv));
}

const struct quire_startup *quire_startup_info(void)
{
	return startup;
}

quire_handle_t quire_self(void)
{
	return self_handle;
}

quire_handle_t quire_startup_handle(uint32_t tag, uint32_t index)
{
	uint32_t seen = 0;

	if (startup == NULL)
		return QUIRE_HANDLE_INVALID;
	for (uint64_t i = 0; i < startup->handle_count; i++) {
		const struct quire_startup_handle *h = &startup->handles[i];

		if (h->tag != tag)
			continue;
		if (tag == QUIRE_STARTUP_PASSED ? h->index == index : seen++ == index)
			return h->handle;
	}
	return QUIRE_HANDLE_INVALID;
}
