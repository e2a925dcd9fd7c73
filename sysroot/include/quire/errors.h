/*
 * Quire's error codes: one enum shared by the kernel and user space (ABI).
 *
 * A system call returns a negated quire_error on failure (-QUIRE_ERR_FAULT) and zero on success,
 * nothing else (a call's results, such as a new handle, go through its out-pointers);
 * docs/syscalls.md lists which errors each call can return. The kernel spells the same values KERR_* (kernel/lib/kerr.h), so
 * a kernel error travels to user space unchanged.
 *
 * The values are ABI: they never change and are never reused. A new error takes the next number
 * and gets a line in QUIRE_ERRORS; the _Static_asserts below pin every existing one.
 */
#pragma once

/*
 * The table: X(NAME, VALUE, DESCRIPTION), one line per error, in value order. When several
 * errors apply, the order of the checks decides: the handle's validity (BAD_HANDLE), then its
 * type (WRONG_TYPE), then its rights (ACCESS_DENIED), then the other arguments.
 */
#define QUIRE_ERRORS(X)                                                                            \
	X(OK, 0, "success")                                                                        \
	X(INVALID, 1,                                                                              \
	  "a malformed argument: zero size, unaligned address, unknown flag bits, "                \
	  "malformed input structure (ELF)")                                                       \
	X(NOT_FOUND, 2, "what was looked up does not exist (a file, a mapping)")                   \
	X(UNSUPPORTED, 3, "the request or the hardware is not supported (an unknown system call)") \
	X(TIMEOUT, 4, "a device or a wait did not finish in time")                                 \
	X(NO_MEMORY, 5, "an allocation failed (frames, kernel heap, address space)")               \
	X(EXISTS, 6, "what was to be created overlaps or collides with something already there")   \
	X(ACCESS_DENIED, 7, "the handle lacks a right the operation needs")                        \
	X(OUT_OF_RANGE, 8, "a size or an address range overflows or lies outside what is allowed") \
	X(WRONG_TYPE, 9, "the handle names an object of another type (checked before rights)")     \
	X(BAD_HANDLE, 10, "the handle is closed or was never valid in this process")               \
	X(FAULT, 11, "a user pointer does not reach readable (or writable) user memory")           \
	X(SHOULD_WAIT, 12,                                                                         \
	  "it cannot happen now and the caller asked not to wait: a full queue, nothing to "       \
	  "receive")                                                                               \
	X(BUFFER_TOO_SMALL, 13,                                                                    \
	  "the caller's buffer cannot hold the result; the sizes needed are reported")             \
	X(PEER_CLOSED, 14, "the other end (of a channel) is closed")

#if defined(__GNUC__) || defined(__clang__)
#define QUIRE_ERROR_MUST_USE_ __attribute__((warn_unused_result))
#else
#define QUIRE_ERROR_MUST_USE_
#endif

/*
 * The enum carries warn_unused_result: a function returning it cannot have its result dropped
 * (the kernel builds with -Werror, so a forgotten check is a build error).
 */
#define QUIRE_ERROR_ENUMERATOR_(name, value, desc) QUIRE_ERR_##name = value,
enum QUIRE_ERROR_MUST_USE_ quire_error {
	QUIRE_ERRORS(QUIRE_ERROR_ENUMERATOR_) QUIRE_ERR_COUNT /* not an error: the number of them */
};
#undef QUIRE_ERROR_ENUMERATOR_

#define QUIRE_OK QUIRE_ERR_OK

/* The ABI values, pinned. */
_Static_assert(QUIRE_ERR_OK == 0, "QUIRE_ERR_OK is ABI");
_Static_assert(QUIRE_ERR_INVALID == 1, "QUIRE_ERR_INVALID is ABI");
_Static_assert(QUIRE_ERR_NOT_FOUND == 2, "QUIRE_ERR_NOT_FOUND is ABI");
_Static_assert(QUIRE_ERR_UNSUPPORTED == 3, "QUIRE_ERR_UNSUPPORTED is ABI");
_Static_assert(QUIRE_ERR_TIMEOUT == 4, "QUIRE_ERR_TIMEOUT is ABI");
_Static_assert(QUIRE_ERR_NO_MEMORY == 5, "QUIRE_ERR_NO_MEMORY is ABI");
_Static_assert(QUIRE_ERR_EXISTS == 6, "QUIRE_ERR_EXISTS is ABI");
_Static_assert(QUIRE_ERR_ACCESS_DENIED == 7, "QUIRE_ERR_ACCESS_DENIED is ABI");
_Static_assert(QUIRE_ERR_OUT_OF_RANGE == 8, "QUIRE_ERR_OUT_OF_RANGE is ABI");
_Static_assert(QUIRE_ERR_WRONG_TYPE == 9, "QUIRE_ERR_WRONG_TYPE is ABI");
_Static_assert(QUIRE_ERR_BAD_HANDLE == 10, "QUIRE_ERR_BAD_HANDLE is ABI");
_Static_assert(QUIRE_ERR_FAULT == 11, "QUIRE_ERR_FAULT is ABI");
_Static_assert(QUIRE_ERR_SHOULD_WAIT == 12, "QUIRE_ERR_SHOULD_WAIT is ABI");
_Static_assert(QUIRE_ERR_BUFFER_TOO_SMALL == 13, "QUIRE_ERR_BUFFER_TOO_SMALL is ABI");
_Static_assert(QUIRE_ERR_PEER_CLOSED == 14, "QUIRE_ERR_PEER_CLOSED is ABI");
_Static_assert(QUIRE_ERR_COUNT == 15, "a new error needs its value pinned above");

/*
 * quire_error_name - the enumerator's name without the prefix ("NOT_FOUND"), for log lines and
 * test messages; "?" for a value that is not an error (negate a system call's result first).
 * Pure; any context.
 */
static inline const char *quire_error_name(int err)
{
	switch (err) {
#define QUIRE_ERROR_NAME_CASE_(name, value, desc)                                                  \
	case value:                                                                                \
		return #name;
		QUIRE_ERRORS(QUIRE_ERROR_NAME_CASE_)
#undef QUIRE_ERROR_NAME_CASE_
	default:
		return "?";
	}
}
