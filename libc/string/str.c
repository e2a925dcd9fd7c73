/*
 * The str* functions: plain byte loops. Strings in Quire's user programs are short (paths, log
 * lines); if one of these ever shows in a profile, a word-at-a-time scan is the next step. strstr
 * is the simple quadratic search for the same reason.
 */
#include "../include/string.h"

size_t __LIBC_NAME(strlen)(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

size_t __LIBC_NAME(strnlen)(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0')
		n++;
	return n;
}

int __LIBC_NAME(strcmp)(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	while (*x != '\0' && *x == *y) {
		x++;
		y++;
	}
	return (*x > *y) - (*x < *y);
}

int __LIBC_NAME(strncmp)(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
		if (x[i] == '\0')
			break;
	}
	return 0;
}

char *__LIBC_NAME(strchr)(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (*s == '\0')
			return NULL;
	}
}

char *__LIBC_NAME(strrchr)(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (*s == '\0')
			return (char *)last;
	}
}

char *__LIBC_NAME(strstr)(const char *haystack, const char *needle)
{
	size_t n = __LIBC_NAME(strlen)(needle);

	for (; *haystack != '\0' || n == 0; haystack++) {
		if (__LIBC_NAME(strncmp)(haystack, needle, n) == 0)
			return (char *)haystack;
	}
	return NULL;
}

char *__LIBC_NAME(strcpy)(char *restrict dst, const char *restrict src)
{
	char *d = dst;

	while ((*d++ = *src++) != '\0')
		;
	return dst;
}

/* Copies at most n bytes and pads with NUL up to n: the destination may end unterminated. */
char *__LIBC_NAME(strncpy)(char *restrict dst, const char *restrict src, size_t n)
{
	size_t i = 0;

	for (; i < n && src[i] != '\0'; i++)
		dst[i] = src[i];
	for (; i < n; i++)
		dst[i] = '\0';
	return dst;
}

char *__LIBC_NAME(strcat)(char *restrict dst, const char *restrict src)
{
	__LIBC_NAME(strcpy)(dst + __LIBC_NAME(strlen)(dst), src);
	return dst;
}

/* Appends at most n bytes of src and always terminates. */
char *__LIBC_NAME(strncat)(char *restrict dst, const char *restrict src, size_t n)
{
	char *d = dst + __LIBC_NAME(strlen)(dst);
	size_t i = 0;

	for (; i < n && src[i] != '\0'; i++)
		d[i] = src[i];
	d[i] = '\0';
	return dst;
}

/* A 256-bit set of the bytes in chars (the NUL terminator included when with_nul). */
struct byte_set {
	unsigned long long bits[4];
};

static struct byte_set byte_set_of(const char *chars, int with_nul)
{
	struct byte_set set = {{0}};

	for (const unsigned char *p = (const unsigned char *)chars; *p != '\0'; p++)
		set.bits[*p / 64] |= 1ull << (*p % 64);
	if (with_nul)
		set.bits[0] |= 1;
	return set;
}

static int byte_set_has(const struct byte_set *set, unsigned char c)
{
	return (set->bits[c / 64] >> (c % 64)) & 1;
}

size_t __LIBC_NAME(strspn)(const char *s, const char *accept)
{
	struct byte_set set = byte_set_of(accept, 0);
	size_t n = 0;

	while (byte_set_has(&set, (unsigned char)s[n]))
		n++;
	return n;
}

size_t __LIBC_NAME(strcspn)(const char *s, const char *reject)
{
	struct byte_set set = byte_set_of(reject, 1);
	size_t n = 0;

	while (!byte_set_has(&set, (unsigned char)s[n]))
		n++;
	return n;
}

char *__LIBC_NAME(strpbrk)(const char *s, const char *accept)
{
	s += __LIBC_NAME(strcspn)(s, accept);
	return *s != '\0' ? (char *)s : NULL;
}

/*
 * Splits s at runs of delim bytes; *save remembers the position between calls (pass s == NULL to
 * continue). Writes a NUL over the delimiter that ends each token.
 */
char *__LIBC_NAME(strtok_r)(char *restrict s, const char *restrict delim, char **restrict save)
{
	if (s == NULL)
		s = *save;
	s += __LIBC_NAME(strspn)(s, delim);
	if (*s == '\0') {
		*save = s;
		return NULL;
	}
	char *end = s + __LIBC_NAME(strcspn)(s, delim);
	if (*end != '\0')
		*end++ = '\0';
	*save = end;
	return s;
}
