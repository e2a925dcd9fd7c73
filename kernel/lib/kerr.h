/*
 * kerr_t: the kernel's one error type.
 *
 * Every fallible kernel function returns a kerr_t (KERR_OK is zero) and the compiler refuses to let
 * a caller drop it: the enum carries warn_unused_result, so even a forgotten check of a function
 * that was not annotated by hand is a build error under -Werror. TRY() propagates an error
 * unchanged; unwinding that has to undo work uses goto ladders instead.
 *
 * DESIGN.md wants one error enum shared by kernel and user space (system calls return it negated).
 * That enum belongs in sysroot/include/quire/ once system calls exist; until then the kernel keeps
 * its own here and its values are not ABI.
 */
#pragma once

enum __attribute__((warn_unused_result)) kerr {
	KERR_OK = 0,
	KERR_INVALID,       /* a malformed argument or input structure */
	KERR_NOT_FOUND,     /* what was looked up does not exist */
	KERR_UNSUPPORTED,   /* the hardware or the request is not supported */
	KERR_TIMEOUT,       /* a device did not answer in time */
	KERR_NO_MEMORY,     /* an allocation failed */
	KERR_EXISTS,        /* what was to be created overlaps or collides with something there */
	KERR_ACCESS_DENIED, /* the rights asked for exceed the rights allowed */
	KERR_COUNT
};
typedef enum kerr kerr_t;

/* Returns from the calling function with the error of EXPR, if it failed. */
#define TRY(expr)                                                                                  \
	do {                                                                                       \
		kerr_t try_err_ = (expr);                                                          \
		if (try_err_ != KERR_OK)                                                           \
			return try_err_;                                                           \
	} while (0)

/*
 * kerr_name - the enumerator's name without the prefix ("INVALID"), for log messages.
 * Pure; never fails: an out-of-range value gives "?".
 */
const char *kerr_name(kerr_t err);
