/*
 * Command-line tokenizer: "key=value key2 key3=" -> (key, value) pairs.
 *
 * Model: tokens are separated by runs of blanks (space, tab, CR, LF: the command-line file usually
 * ends with a newline); a token is a key, optionally followed by '=' and a value that runs to the
 * next blank. There is no quoting. Tokens point into the caller's string, which need not be
 * NUL-terminated and is never modified. Pure and host-tested.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cmdline_iter {
	const char *pos;
	const char *end;
};

struct cmdline_token {
	const char *key; /* not NUL-terminated */
	size_t key_len;
	const char *value; /* not NUL-terminated; empty (and has_value false) without '=' */
	size_t value_len;
	bool has_value;
	const char *text; /* the whole token as written, for messages */
	size_t text_len;
};

/* cmdline_init - starts iterating over the LEN bytes at TEXT. Pure. */
void cmdline_init(struct cmdline_iter *it, const char *text, size_t len);

/* cmdline_next - fills *TOKEN with the next token; false when there are no more. Pure. */
bool cmdline_next(struct cmdline_iter *it, struct cmdline_token *token);

/* cmdline_key_is - whether TOKEN's key is exactly the NUL-terminated KEY. Pure. */
bool cmdline_key_is(const struct cmdline_token *token, const char *key);

/* cmdline_value_is - whether TOKEN has a value equal to the NUL-terminated VALUE. Pure. */
bool cmdline_value_is(const struct cmdline_token *token, const char *value);
