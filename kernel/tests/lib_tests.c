/*
 * Built-in tests of the kernel library as built for the kernel (the host tests cover it in
 * depth; these catch what only the freestanding build could break: the string functions, the
 * formatter under -mgeneral-regs-only and -mcmodel=kernel, the log threshold), and of the
 * frame-pointer backtrace through real kernel frames.
 */
#include "kernel/arch/x86_64/backtrace.h"
#include "kernel/ksyms.h"
#include "kernel/ktest.h"
#include "kernel/lib/format.h"
#include "kernel/lib/log.h"
#include "kernel/lib/string.h"

static bool formats_as(const char *want, const char *got)
{
	return strcmp(want, got) == 0;
}

#define KEXPECT_FORMAT(want, ...)                                                                  \
	do {                                                                                       \
		char buf_[96];                                                                     \
		format_snprintf(buf_, sizeof(buf_), __VA_ARGS__);                                  \
		kexpectf(formats_as(want, buf_), "format gave \"%s\", want \"%s\"", buf_, want);   \
	} while (0)

KTEST(format_basics)
{
	KEXPECT_FORMAT("42 -42 0x2a 0X2A 052", "%d %i %#x %#X %#o", 42, -42, 42, 42, 42);
	KEXPECT_FORMAT("[  7] [7  ] [007] [+7]", "[%3d] [%-3d] [%03d] [%+d]", 7, 7, 7, 7);
	KEXPECT_FORMAT("ffffffff80000000", "%lx", 0xffffffff80000000ul);
	KEXPECT_FORMAT("18446744073709551615", "%llu", 18446744073709551615ull);
	KEXPECT_FORMAT("-9223372036854775808", "%lld", (long long)(-9223372036854775807ll - 1));
	KEXPECT_FORMAT("4096 ab|  q|(null)", "%zu %.2s|%3c|%s", (size_t)4096, "abc", 'q',
		       (const char *)NULL);
	KEXPECT_FORMAT("0x1000 (nil) 100%", "%p %p 100%%", (void *)0x1000, (void *)NULL);
	char small[4];
	kexpect_eq(format_snprintf(small, sizeof(small), "%s", "abcdef"), 6);
	kexpect(strcmp(small, "abc") == 0);
}

KTEST(string_functions)
{
	char a[32], b[32];

	memset(a, 'x', sizeof(a));
	kexpect_eq(a[0], 'x');
	kexpect_eq(a[31], 'x');
	memcpy(b, "0123456789", 11);
	kexpect_eq(strlen(b), 10);
	memmove(b + 2, b, 8); /* overlapping, forward */
	kexpect(memcmp(b, "0101234567", 10) == 0);
	memmove(b, b + 2, 8); /* overlapping, backward */
	kexpect(memcmp(b, "0123456767", 10) == 0);
	kexpect(strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0 && strcmp("", "") == 0);
	kexpect(strncmp("abcX", "abcY", 3) == 0 && strnlen("abc", 2) == 2);
}

KTEST(log_threshold)
{
	enum log_level saved = log_level();

	log_set_level(LOG_WARN);
	kexpect(log_enabled(LOG_ERROR) && log_enabled(LOG_WARN));
	kexpect(!log_enabled(LOG_INFO) && !log_enabled(LOG_DEBUG));
	log_set_level(saved);
	kexpect_eq(log_level(), saved);
	kexpect(strcmp(log_level_name(LOG_DEBUG), "debug") == 0);
}

/* Whether the frames from here up include a function called NAME. */
static NOINLINE bool backtrace_contains(const char *name)
{
	uintptr_t pcs[BACKTRACE_MAX_FRAMES];
	unsigned n =
	    backtrace_collect((uintptr_t)__builtin_frame_address(0), pcs, BACKTRACE_MAX_FRAMES);

	for (unsigned i = 0; i < n; i++) {
		struct symbols_match m;
		if (ksyms_lookup(pcs[i] - 1, &m) && strcmp(m.name, name) == 0)
			return true;
	}
	return false;
}

KTEST(backtrace_reaches_kmain)
{
	kexpect(backtrace_contains("ktest_backtrace_reaches_kmain"));
	kexpect(backtrace_contains("ktest_run_all"));
	kexpect(backtrace_contains("kmain"));
	kexpect(backtrace_contains("kernel_entry"));
	kexpect(!backtrace_contains("crash_panic"));
}
