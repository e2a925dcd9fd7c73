/*
 * Names of the kerr_t values, so that a log line says "NOT_FOUND" instead of a bare number.
 */
#include "kernel/lib/kerr.h"

#include "kernel/lib/compiler.h"

static const char *const names[KERR_COUNT] = {
    [KERR_OK] = "OK",
    [KERR_INVALID] = "INVALID",
    [KERR_NOT_FOUND] = "NOT_FOUND",
    [KERR_UNSUPPORTED] = "UNSUPPORTED",
    [KERR_TIMEOUT] = "TIMEOUT",
    [KERR_NO_MEMORY] = "NO_MEMORY",
    [KERR_EXISTS] = "EXISTS",
    [KERR_ACCESS_DENIED] = "ACCESS_DENIED",
};

const char *kerr_name(kerr_t err)
{
	if ((unsigned)err >= ARRAY_SIZE(names) || names[err] == NULL)
		return "?";
	return names[err];
}
