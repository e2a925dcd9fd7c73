/*
 * The mem* functions. The bulk of memcpy, memmove and memset moves eight bytes per iteration with
 * `rep movsq`/`rep stosq`: QEMU under -icount counts `rep movsb`/`rep stosb` per byte, and a byte
 * loop costs several instructions per byte, so the quadword forms are the fast path both there and
 * on hardware. The tail of fewer than eight bytes is copied bytewise.
 *
 * These files are built with -ffreestanding -fno-builtin, so the compiler never turns a loop here
 * back into a call to memcpy or memset.
 */
#include <stdint.h>

#include "../include/string.h"

void *__LIBC_NAME(memcpy)(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	size_t quads = n / 8;

	__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(quads) : : "memory");
	for (size_t i = 0; i < n % 8; i++)
		d[i] = s[i];
	return dst;
}

/* Copies downwards, highest byte first, for a destination above an overlapping source. */
static void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
	size_t quads = n / 8;

	for (size_t i = n; i > quads * 8; i--)
		d[i - 1] = s[i - 1];
	if (quads == 0)
		return;
	d += quads * 8 - 8;
	s += quads * 8 - 8;
	__asm__ volatile("std\n\trep movsq\n\tcld" : "+D"(d), "+S"(s), "+c"(quads) : : "memory");
}

void *__LIBC_NAME(memmove)(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	/* A forward copy is safe unless the destination starts inside the source. */
	if ((uintptr_t)d - (uintptr_t)s >= n) {
		size_t quads = n / 8;

		__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(quads) : : "memory");
		for (size_t i = 0; i < n % 8; i++)
			d[i] = s[i];
	} else {
		copy_backward(d, s, n);
	}
	return dst;
}

void *__LIBC_NAME(memset)(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t pattern = (unsigned char)c * 0x0101010101010101ull;
	size_t quads = n / 8;

	__asm__ volatile("rep stosq" : "+D"(d), "+c"(quads) : "a"(pattern) : "memory");
	for (size_t i = 0; i < n % 8; i++)
		d[i] = (unsigned char)c;
	return dst;
}

int __LIBC_NAME(memcmp)(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	}
	return 0;
}

void *__LIBC_NAME(memchr)(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == (unsigned char)c)
			return (void *)(p + i);
	}
	return NULL;
}
