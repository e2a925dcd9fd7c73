/*
 * <ctype.h>: character classes of the "C" locale, the only locale Quire has. Each takes EOF or a
 * value of unsigned char; any other value is outside the standard's domain and answers 0 (or is
 * returned unchanged by tolower/toupper) instead of indexing out of a table.
 */
#pragma once

#include "__libc.h"

int __LIBC_NAME(isalnum)(int c);
int __LIBC_NAME(isalpha)(int c);
int __LIBC_NAME(isblank)(int c);
int __LIBC_NAME(iscntrl)(int c);
int __LIBC_NAME(isdigit)(int c);
int __LIBC_NAME(isgraph)(int c);
int __LIBC_NAME(islower)(int c);
int __LIBC_NAME(isprint)(int c);
int __LIBC_NAME(ispunct)(int c);
int __LIBC_NAME(isspace)(int c);
int __LIBC_NAME(isupper)(int c);
int __LIBC_NAME(isxdigit)(int c);
int __LIBC_NAME(tolower)(int c);
int __LIBC_NAME(toupper)(int c);
