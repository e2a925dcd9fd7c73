/*
 * Names of the kerr_t values, so that a log line says "NOT_FOUND" instead of a bare number. The
 * names come from the shared table (quire/errors.h), so kernel and user space print the same.
 */
#include "kernel/lib/kerr.h"

const char *kerr_name(kerr_t err)
{
	return quire_error_name((int)err);
}
