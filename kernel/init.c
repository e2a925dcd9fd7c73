/*
 * Starting init; see init.h.
 */
#include "kernel/init.h"

#include "kernel/fbcon.h"
#include "kernel/initrd.h"
#include "kernel/lib/log.h"
#include "kernel/lib/string.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/phys.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area.h"
#include "kernel/process.h"

#define INIT_PATH "bin/init"
#define TEST_DIR  "test/"

struct init_args {
	const char *argv[QUIRE_SPAWN_ARGC_MAX];
	size_t argc;
	bool too_many;
};

static void add_arg(struct init_args *a, const char *arg)
{
	if (a->argc < QUIRE_SPAWN_ARGC_MAX)
		a->argv[a->argc++] = arg;
	else
		a->too_many = true;
}

static void add_test(void *ctx, const char *path)
{
	if (strncmp(path, TEST_DIR, sizeof(TEST_DIR) - 1) == 0)
		add_arg(ctx, path);
}

/*
 * The framebuffer's area, a new reference for init's handle: the very area the kernel console
 * draws on (fbcon.h), so that init mapping it hands the display over. NULL when there is none
 * (fbcon_init() logged why); *INFO gets the geometry.
 */
static struct vm_area *framebuffer_area(const struct quire_boot_info *bi,
					struct quire_framebuffer_info *info)
{
	const struct quire_framebuffer *fb = &bi->framebuffer;
	struct vm_area *area = fbcon_area();

	if (area == NULL)
		return NULL;
	vm_area_get(area);
	*info = (struct quire_framebuffer_info){
	    .size = area->pages * PAGE_SIZE,
	    .width = fb->width,
	    .height = fb->height,
	    .pixels_per_line = fb->pixels_per_scan_line,
	    .format = fb->format == QUIRE_FB_RGBX8 ? QUIRE_PIXEL_RGBX : QUIRE_PIXEL_BGRX};
	return area;
}

kerr_t init_run(const struct quire_boot_info *bi, const struct options *opts, int64_t *status)
{
	static struct init_args args;
	static char run[OPTIONS_RUN_MAX];
	struct quire_framebuffer_info fb_info = {0};
	struct spawn_handle handles[1];
	struct process *init;
	struct quire_exit_info exit;

	args.argc = 0;
	add_arg(&args, "init");
	if (opts->test) {
		add_arg(&args, "--test");
		initrd_for_each_file(add_test, &args);
	}
	memcpy(run, opts->run, sizeof(run));
	for (char *s = run; *s != '\0';) {
		char *end = s;
		while (*end != '\0' && *end != ',')
			end++;
		bool last = *end == '\0';
		*end = '\0';
		if (*s != '\0')
			add_arg(&args, s);
		s = last ? end : end + 1;
	}
	if (args.too_many)
		log_warn("init: more than %u arguments: the rest are dropped",
			 QUIRE_SPAWN_ARGC_MAX);
	struct vm_area *fb = framebuffer_area(bi, &fb_info);
	if (fb != NULL)
		handles[0] = (struct spawn_handle){
		    .obj = &fb->obj,
		    .rights = QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_MAP |
			      QUIRE_RIGHT_DUPLICATE | QUIRE_RIGHT_TRANSFER,
		    .tag = QUIRE_STARTUP_FRAMEBUFFER};
	struct spawn_request req = {.path = INIT_PATH,
				    .argv = args.argv,
				    .argc = args.argc,
				    .handles = handles,
				    .handle_count = fb != NULL ? 1 : 0,
				    .framebuffer = fb != NULL ? &fb_info : NULL};
	kerr_t err = process_spawn(&req, &init);
	if (fb != NULL)
		vm_area_put(fb); /* init's handle keeps it */
	if (err != KERR_OK) {
		log_error("init: /%s did not start: %s", INIT_PATH, kerr_name(err));
		return err;
	}
	log_info("init: started (process %llu, %zu arguments)", (unsigned long long)init->obj.id,
		 args.argc);
	err = process_wait(init, &exit);
	kobject_put(&init->obj);
	if (err != KERR_OK)
		return err;
	*status = exit.reason == QUIRE_EXIT_NORMAL ? exit.status : -1;
	if (exit.reason == QUIRE_EXIT_NORMAL)
		log_info("init: exited with status %lld", (long long)exit.status);
	else
		log_error("init: killed (reason %u, vector %u, address 0x%llx)", exit.reason,
			  exit.vector, (unsigned long long)exit.address);
	return KERR_OK;
}
