/*
 * The kernel log of log.h.
 */
#include "kernel/lib/log.h"

#include <stdarg.h>
#include <stdint.h>

#include "kernel/arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/lib/format.h"

static enum log_level threshold = LOG_INFO;

static const char *const names[LOG_LEVEL_COUNT] = {
    [LOG_ERROR] = "error",
    [LOG_WARN] = "warn",
    [LOG_INFO] = "info",
    [LOG_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	threshold = level < LOG_LEVEL_COUNT ? level : LOG_DEBUG;
}

enum log_level log_level(void)
{
	return threshold;
}

bool log_enabled(enum log_level level)
{
	return level <= threshold;
}

const char *log_level_name(enum log_level level)
{
	return (unsigned)level < LOG_LEVEL_COUNT ? names[level] : "?";
}

static void print_prefix(enum log_level level)
{
	if (tsc_hz() == 0) {
		console_printf("[    ?.??????] %-5s ", log_level_name(level));
		return;
	}
	uint64_t us = tsc_uptime_us();
	console_printf("[%5llu.%06llu] %-5s ", (unsigned long long)(us / 1000000),
		       (unsigned long long)(us % 1000000), log_level_name(level));
}

void log_printf(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	print_prefix(level);
	va_start(ap, fmt);
	format_vprint(console_sink, NULL, fmt, ap);
	va_end(ap);
	console_write("\n", 1);
}
