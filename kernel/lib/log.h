/*
 * The kernel log: leveled, timestamped lines on the console.
 *
 * Model: every line is "[seconds.microseconds] level  message", the time counted by the TSC from the
 * kernel's first instruction (tsc.h). A line is dropped when its level is less urgent than the
 * current threshold, which starts at info and is set from the command line (loglevel=). Lines are
 * formatted straight into the console, without a buffer and without a lock: until interrupts and
 * other CPUs exist, nothing can interleave with a line being written. SMP will add a console lock.
 */
#pragma once

#include <stdbool.h>

#include "kernel/lib/compiler.h"

/* Most urgent first: a threshold of LOG_WARN lets LOG_ERROR and LOG_WARN through. */
enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_LEVEL_COUNT };

/* log_set_level - lets lines of LEVEL and more urgent through from now on. */
void log_set_level(enum log_level level);

/* log_level - the current threshold. */
enum log_level log_level(void);

/* log_enabled - whether a line of LEVEL would be printed (to skip expensive preparation). */
bool log_enabled(enum log_level level);

/* log_level_name - "error", "warn", "info" or "debug"; "?" for anything else. Pure. */
const char *log_level_name(enum log_level level);

/*
 * log_printf - prints one line at LEVEL: timestamp, level, then FMT formatted (format.h) and a
 * newline, which FMT must not supply. Callable from any context, including exception handlers;
 * never allocates, never fails.
 */
void log_printf(enum log_level level, const char *fmt, ...) PRINTF_LIKE(2, 3);

#define log_error(...) log_printf(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_printf(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_printf(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)
