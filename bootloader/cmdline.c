/*
 * Command-line handling. The line is plain bytes split at spaces; a word is a setting when it
 * reads `key=value`. Nothing here allocates or writes outside the caller's buffer, and a
 * malformed value is reported as such, so the loader can say what it ignored instead of guessing.
 */
#include "bootloader/cmdline.h"

static int is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

size_t cmdline_normalize(char *text, size_t len)
{
	size_t start = 0, end = len;

	for (size_t i = 0; i < len; i++) {
		if (is_control((unsigned char)text[i]))
			text[i] = ' ';
	}
	while (start < end && text[start] == ' ')
		start++;
	while (end > start && text[end - 1] == ' ')
		end--;
	for (size_t i = start; i < end; i++)
		text[i - start] = text[i];
	text[end - start] = '\0';
	return end - start;
}

static size_t word_length(const char *word)
{
	size_t n = 0;

	while (word[n] != '\0' && word[n] != ' ')
		n++;
	return n;
}

/* Whether the word of `len` bytes at `word` is `key` or `key=...`. */
static int word_has_key(const char *word, size_t len, const char *key)
{
	size_t k = 0;

	while (key[k] != '\0') {
		if (k == len || word[k] != key[k])
			return 0;
		k++;
	}
	return k == len || word[k] == '=';
}

int cmdline_find(const char *cmdline, const char *key, const char **value, size_t *value_len)
{
	const char *p = cmdline;
	int found = 0;
	size_t key_len = 0;

	while (key[key_len] != '\0')
		key_len++;
	while (*p != '\0') {
		size_t len = word_length(p);

		if (len > 0 && word_has_key(p, len, key)) {
			size_t skip = len > key_len ? key_len + 1 : key_len;

			*value = p + skip;
			*value_len = len - skip;
			found = 1;
		}
		p += len;
		while (*p == ' ')
			p++;
	}
	return found;
}

/* Parses the decimal number at s[0..len) into *out; 0 when it is empty, not all digits, or above
 * `max`. */
static int parse_decimal(const char *s, size_t len, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > max)
			return 0;
	}
	*out = (uint32_t)v;
	return 1;
}

enum cmdline_result cmdline_video(const char *cmdline, uint32_t *width, uint32_t *height)
{
	const char *v;
	size_t len, x = 0;

	if (!cmdline_find(cmdline, "video", &v, &len))
		return CMDLINE_ABSENT;
	while (x < len && v[x] != 'x')
		x++;
	if (x == len || !parse_decimal(v, x, 65535, width) ||
	    !parse_decimal(v + x + 1, len - x - 1, 65535, height) || *width == 0 || *height == 0)
		return CMDLINE_MALFORMED;
	return CMDLINE_FOUND;
}

enum cmdline_result cmdline_uint(const char *cmdline, const char *key, uint32_t max,
				 uint32_t *value)
{
	const char *v;
	size_t len;

	if (!cmdline_find(cmdline, key, &v, &len))
		return CMDLINE_ABSENT;
	return parse_decimal(v, len, max, value) ? CMDLINE_FOUND : CMDLINE_MALFORMED;
}
