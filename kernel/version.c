/*
 * The version string of version.h. QUIRE_GIT_REVISION comes from the build (kernel/build.mk
 * recompiles this file whenever `git describe` changes); "unknown" outside a git checkout.
 */
#include "kernel/version.h"

#ifndef QUIRE_GIT_REVISION
#define QUIRE_GIT_REVISION "unknown"
#endif

#define STRING(x) #x
#define EXPAND(x) STRING(x)
#define CLANG_VERSION                                                                              \
	EXPAND(__clang_major__) "." EXPAND(__clang_minor__) "." EXPAND(__clang_patchlevel__)

const char *version_string(void)
{
	return "Quire " QUIRE_VERSION " (git " QUIRE_GIT_REVISION ", clang " CLANG_VERSION ")";
}
