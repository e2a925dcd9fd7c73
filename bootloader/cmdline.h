/*
 * The command line as the loader sees it: the text of \quire\cmdline, made into one line of
 * space-separated words, some of them `key=value` settings the loader itself reads (video=WxH,
 * loader.stale_map_key=N; see docs/boot-protocol.md). Pure C, host-tested by
 * test/unit/test_loader_cmdline.c. The kernel gets the whole line, loader keys included.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum cmdline_result {
	CMDLINE_ABSENT = 0, /* the key is not on the line */
	CMDLINE_FOUND,      /* the key is there and its value parsed */
	CMDLINE_MALFORMED,  /* the key is there but its value is not what it must be */
};

/*
 * Turns the `len` bytes at `text` into one line in place: every control byte (newlines, tabs,
 * NUL...) becomes a space, leading and trailing spaces go, and text[result] = '\0'. `text` must
 * have room for len + 1 bytes. Returns the new length.
 */
size_t cmdline_normalize(char *text, size_t len);

/*
 * Finds the last word of `cmdline` that is `key` or starts with `key=` (later words override
 * earlier ones). On success *value points just past the '=' (or at the word's end for a bare key)
 * and *value_len counts the value's bytes. Returns 1 when found, 0 otherwise.
 */
int cmdline_find(const char *cmdline, const char *key, const char **value, size_t *value_len);

/* video=WxH: both decimal, 1..65535. */
enum cmdline_result cmdline_video(const char *cmdline, uint32_t *width, uint32_t *height);

/* key=N with N decimal, at most `max`. */
enum cmdline_result cmdline_uint(const char *cmdline, const char *key, uint32_t max,
				 uint32_t *value);
