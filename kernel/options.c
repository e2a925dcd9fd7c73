/*
 * Parsing of the kernel options; see options.h. One handler per key, table-driven, so adding an
 * option is adding a row.
 */
#include "kernel/options.h"

#include "kernel/lib/compiler.h"

/* The command-line spellings, indexed by enum log_level and enum crash_kind. */
static const char *const level_names[LOG_LEVEL_COUNT] = {
    [LOG_ERROR] = "error",
    [LOG_WARN] = "warn",
    [LOG_INFO] = "info",
    [LOG_DEBUG] = "debug",
};
static const char *const crash_names[CRASH_KIND_COUNT] = {
    [CRASH_NONE] = "none",         [CRASH_PAGEFAULT] = "pagefault", [CRASH_UD] = "ud",
    [CRASH_GPF] = "gpf",           [CRASH_PANIC] = "panic",         [CRASH_DIVIDE] = "divide",
    [CRASH_OVERFLOW] = "overflow", [CRASH_LOCKRANK] = "lockrank",
};

/* A handler returns NULL when it used the token, or the reason it could not. */
typedef const char *(*option_fn)(const struct cmdline_token *t, struct options *opts);

static const char *opt_test(const struct cmdline_token *t, struct options *opts)
{
	if (t->has_value)
		return "takes no value";
	opts->test = true;
	return NULL;
}

static const char *opt_bench(const struct cmdline_token *t, struct options *opts)
{
	if (t->has_value)
		return "takes no value";
	opts->bench = true;
	return NULL;
}

static const char *opt_loglevel(const struct cmdline_token *t, struct options *opts)
{
	for (int level = 0; level < LOG_LEVEL_COUNT; level++) {
		if (cmdline_value_is(t, level_names[level])) {
			opts->loglevel = (enum log_level)level;
			return NULL;
		}
	}
	return "expects error, warn, info or debug";
}

static const char *opt_crash(const struct cmdline_token *t, struct options *opts)
{
	for (int kind = CRASH_NONE + 1; kind < CRASH_KIND_COUNT; kind++) {
		if (cmdline_value_is(t, crash_names[kind])) {
			opts->crash = (enum crash_kind)kind;
			return NULL;
		}
	}
	return "expects pagefault, ud, gpf, panic, divide, overflow or lockrank";
}

/* A decimal count from 1 to 10^15 (no sign, no base prefix, no overflow to think about). */
static const char *opt_failalloc(const struct cmdline_token *t, struct options *opts)
{
	uint64_t n = 0;

	if (t->value_len == 0 || t->value_len > 15)
		return "expects a number from 1";
	for (size_t i = 0; i < t->value_len; i++) {
		if (t->value[i] < '0' || t->value[i] > '9')
			return "expects a number from 1";
		n = n * 10 + (uint64_t)(t->value[i] - '0');
	}
	if (n == 0)
		return "expects a number from 1";
	opts->failalloc = n;
	return NULL;
}

static const char *opt_run(const struct cmdline_token *t, struct options *opts)
{
	if (t->value_len == 0)
		return "expects program names";
	if (t->value_len >= sizeof(opts->run))
		return "too long";
	for (size_t i = 0; i < t->value_len; i++)
		opts->run[i] = t->value[i];
	opts->run[t->value_len] = '\0';
	return NULL;
}

static const char *opt_loader(const struct cmdline_token *t, struct options *opts)
{
	return NULL;
}

static const struct {
	const char *key;
	option_fn fn;
} handlers[] = {
    {"test", opt_test},   {"bench", opt_bench},         {"loglevel", opt_loglevel},
    {"crash", opt_crash}, {"failalloc", opt_failalloc}, {"video", opt_loader},
    {"run", opt_run},
};

void options_parse(const char *text, size_t len, struct options *opts, options_ignored_fn ignored,
		   void *ctx)
{
	struct cmdline_iter it;
	struct cmdline_token t;

	*opts = (struct options){
	    .test = false, .loglevel = LOG_INFO, .crash = CRASH_NONE, .failalloc = 0, .run = ""};
	cmdline_init(&it, text, len);
	while (cmdline_next(&it, &t)) {
		const char *reason = "unknown key";
		for (size_t i = 0; i < ARRAY_SIZE(handlers); i++) {
			if (cmdline_key_is(&t, handlers[i].key)) {
				reason = handlers[i].fn(&t, opts);
				break;
			}
		}
		if (reason != NULL && ignored != NULL)
			ignored(ctx, &t, reason);
	}
}
