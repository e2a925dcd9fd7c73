/*
 * Internal to Quire's libc headers: the one naming seam between the user build and the host tests.
 *
 * For the user target every public function is spelled with its standard name. The host unit tests
 * link the same sources into a program that also has the host's C library, so under
 * QUIRE_HOST_TEST each name gets a `quire_` prefix (`quire_snprintf`, `quire_memcpy`) and the two
 * libraries live side by side: the tests compare one with the other. Declarations and definitions
 * both go through __LIBC_NAME, so nothing else changes between the builds.
 */
#pragma once

#ifdef QUIRE_HOST_TEST
#define __LIBC_NAME(name) quire_##name
#else
#define __LIBC_NAME(name) name
#endif
