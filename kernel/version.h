/*
 * What kernel this is: the version, the source revision and the compiler, for the boot summary.
 */
#pragma once

#define QUIRE_VERSION "0.1.0"

/* version_string - "Quire 0.1.0 (git abc1234, clang 14.0.6)". */
const char *version_string(void);
