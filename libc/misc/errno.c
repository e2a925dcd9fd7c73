/* errno: a plain global until user threads exist (see include/errno.h). */
#include "../include/errno.h"

int __LIBC_NAME(errno);
