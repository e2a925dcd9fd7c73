/*
 * Character classes of the "C" locale, by comparison rather than a table: no table to index out of
 * bounds with a negative char, and the compiler folds these into a couple of instructions each.
 */
#include "../include/ctype.h"

static int in(int c, int lo, int hi)
{
	return c >= lo && c <= hi;
}

int __LIBC_NAME(isdigit)(int c)
{
	return in(c, '0', '9');
}

int __LIBC_NAME(islower)(int c)
{
	return in(c, 'a', 'z');
}

int __LIBC_NAME(isupper)(int c)
{
	return in(c, 'A', 'Z');
}

int __LIBC_NAME(isalpha)(int c)
{
	return in(c, 'a', 'z') || in(c, 'A', 'Z');
}

int __LIBC_NAME(isalnum)(int c)
{
	return __LIBC_NAME(isalpha)(c) || in(c, '0', '9');
}

int __LIBC_NAME(isblank)(int c)
{
	return c == ' ' || c == '\t';
}

int __LIBC_NAME(iscntrl)(int c)
{
	return in(c, 0, 0x1f) || c == 0x7f;
}

int __LIBC_NAME(isgraph)(int c)
{
	return in(c, 0x21, 0x7e);
}

int __LIBC_NAME(isprint)(int c)
{
	return in(c, 0x20, 0x7e);
}

int __LIBC_NAME(ispunct)(int c)
{
	return in(c, 0x21, 0x7e) && !__LIBC_NAME(isalnum)(c);
}

int __LIBC_NAME(isspace)(int c)
{
	return c == ' ' || in(c, '\t', '\r');
}

int __LIBC_NAME(isxdigit)(int c)
{
	return in(c, '0', '9') || in(c, 'a', 'f') || in(c, 'A', 'F');
}

int __LIBC_NAME(tolower)(int c)
{
	return in(c, 'A', 'Z') ? c - 'A' + 'a' : c;
}

int __LIBC_NAME(toupper)(int c)
{
	return in(c, 'a', 'z') ? c - 'a' + 'A' : c;
}
