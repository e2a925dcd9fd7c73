/*
 * Starting user space: init (/bin/init) with its handles and arguments.
 *
 * Model: the kernel starts one program, init, and waits for it. init gets, besides its own
 * handle, the framebuffer as a fixed write-combining area (when the loader found one) with its
 * geometry in the start-up block, and its arguments: in test mode "--test" followed by the path
 * of every program under test/ in the initrd (so adding a test program is adding a file there);
 * otherwise the programs named by the command line's init.run=... (comma separated), if any.
 */
#pragma once

#include <quire/boot.h>

#include "kernel/lib/kerr.h"
#include "kernel/options.h"

/*
 * init_run - spawns /bin/init as above and waits until it ends; its exit status into *STATUS,
 * -1 when it was killed. The boot thread, after sched_init() and initrd_init(). Errors: those of
 * process_spawn() (init could not start).
 */
kerr_t init_run(const struct quire_boot_info *bi, const struct options *opts, int64_t *status);
