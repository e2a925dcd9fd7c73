/*
 * kerr_t: the kernel's one error type, which is the ABI's error enum.
 *
 * Every fallible kernel function returns a kerr_t (KERR_OK is zero) and the compiler refuses to let
 * a caller drop it: the enum carries warn_unused_result, so even a forgotten check of a function
 * that was not annotated by hand is a build error under -Werror. TRY() propagates an error
 * unchanged; unwinding that has to undo work uses goto ladders instead.
 *
 * DESIGN.md wants one error enum shared by kernel and user space, system calls returning it
 * negated: that enum is enum quire_error in sysroot/include/quire/errors.h, and kerr_t is the same
 * type under the kernel's spelling. KERR_X is QUIRE_ERR_X, value for value, so a system call
 * returns -err without translating; its values are ABI and never change.
 */
#pragma once

#include "quire/errors.h"

typedef enum quire_error kerr_t;

#define KERR_OK               QUIRE_ERR_OK
#define KERR_INVALID          QUIRE_ERR_INVALID     /* a malformed argument or input structure */
#define KERR_NOT_FOUND        QUIRE_ERR_NOT_FOUND   /* what was looked up does not exist */
#define KERR_UNSUPPORTED      QUIRE_ERR_UNSUPPORTED /* the hardware or the request is not supported */
#define KERR_TIMEOUT          QUIRE_ERR_TIMEOUT     /* a device did not answer in time */
#define KERR_NO_MEMORY        QUIRE_ERR_NO_MEMORY   /* an allocation failed */
#define KERR_EXISTS           QUIRE_ERR_EXISTS      /* overlaps or collides with something there */
#define KERR_ACCESS_DENIED    QUIRE_ERR_ACCESS_DENIED /* a right needed is missing */
#define KERR_OUT_OF_RANGE     QUIRE_ERR_OUT_OF_RANGE /* a size or range overflows or is out of bounds */
#define KERR_WRONG_TYPE       QUIRE_ERR_WRONG_TYPE  /* a handle names an object of another type */
#define KERR_BAD_HANDLE       QUIRE_ERR_BAD_HANDLE  /* a handle is closed or was never valid */
#define KERR_FAULT            QUIRE_ERR_FAULT       /* a user pointer does not reach user memory */
#define KERR_SHOULD_WAIT      QUIRE_ERR_SHOULD_WAIT /* cannot happen now, and no waiting asked */
#define KERR_BUFFER_TOO_SMALL QUIRE_ERR_BUFFER_TOO_SMALL /* the result does not fit the buffer */
#define KERR_PEER_CLOSED      QUIRE_ERR_PEER_CLOSED      /* the other end is closed */
#define KERR_COUNT            QUIRE_ERR_COUNT

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
