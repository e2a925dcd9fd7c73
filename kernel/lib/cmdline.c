/*
 * The tokenizer of cmdline.h: one pass, no copies, no allocation.
 */
#include "kernel/lib/cmdline.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void cmdline_init(struct cmdline_iter *it, const char *text, size_t len)
{
	it->pos = text;
	it->end = text + len;
}

bool cmdline_next(struct cmdline_iter *it, struct cmdline_token *t)
{
	const char *p = it->pos;

	while (p < it->end && is_blank(*p))
		p++;
	if (p == it->end || *p == '\0') {
		it->pos = it->end;
		return false;
	}
	const char *start = p;
	while (p < it->end && *p != '\0' && !is_blank(*p) && *p != '=')
		p++;
	*t = (struct cmdline_token){.key = start, .key_len = (size_t)(p - start), .value = p};
	if (p < it->end && *p == '=') {
		t->has_value = true;
		t->value = ++p;
		while (p < it->end && *p != '\0' && !is_blank(*p))
			p++;
		t->value_len = (size_t)(p - t->value);
	}
	t->text = start;
	t->text_len = (size_t)(p - start);
	it->pos = p;
	return true;
}

static bool span_equals(const char *s, size_t len, const char *z)
{
	size_t i = 0;

	for (; i < len; i++) {
		if (z[i] == '\0' || z[i] != s[i])
			return false;
	}
	return z[i] == '\0';
}

bool cmdline_key_is(const struct cmdline_token *t, const char *key)
{
	return span_equals(t->key, t->key_len, key);
}

bool cmdline_value_is(const struct cmdline_token *t, const char *value)
{
	return t->has_value && span_equals(t->value, t->value_len, value);
}
