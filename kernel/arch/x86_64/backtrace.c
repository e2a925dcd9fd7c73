/*
 * The frame-pointer walker of backtrace.h.
 */
#include "kernel/arch/x86_64/backtrace.h"

#include <stdbool.h>

#include "kernel/arch/x86_64/stack.h"
#include "kernel/console.h"
#include "kernel/image.h"
#include "kernel/ksyms.h"

/* Whether a frame record at FP may be read, given the one before it at PREV (0 for none). */
static bool record_readable(uintptr_t fp, uintptr_t prev)
{
	uintptr_t low, high, prev_low, prev_high;

	if (fp % 8 != 0 || !stack_find(fp, 16, &low, &high))
		return false;
	if (prev == 0 || !stack_find(prev, 16, &prev_low, &prev_high) || prev_low != low)
		return true; /* the first record, or a switch to another stack (an IST handler) */
	return fp > prev;
}

unsigned backtrace_collect(uintptr_t fp, uintptr_t *pcs, unsigned max)
{
	unsigned n = 0;
	uintptr_t prev = 0;

	while (n < max && fp != 0 && record_readable(fp, prev)) {
		const uintptr_t *record = (const uintptr_t *)fp;
		uintptr_t ret = record[1];
		if (!image_in_text(ret))
			break;
		pcs[n++] = ret;
		prev = fp;
		fp = record[0];
	}
	return n;
}

static void print_frame(unsigned index, uintptr_t pc, bool return_address)
{
	char name[96];

	ksyms_describe(pc, return_address, name, sizeof(name));
	console_printf("  #%u 0x%016lx %s\n", index, (unsigned long)pc, name);
}

void backtrace_print(uintptr_t pc, uintptr_t fp)
{
	uintptr_t pcs[BACKTRACE_MAX_FRAMES];
	unsigned first = pc != 0 ? 1 : 0;
	unsigned n = backtrace_collect(fp, pcs, BACKTRACE_MAX_FRAMES - first);

	console_printf("backtrace:\n");
	if (pc != 0)
		print_frame(0, pc, false);
	for (unsigned i = 0; i < n; i++) {
		/* Deep recursion: one line for a run of identical frames. */
		unsigned run = 1;
		while (i + run < n && pcs[i + run] == pcs[i])
			run++;
		print_frame(first + i, pcs[i], true);
		if (run > 2)
			console_printf("  ... the same frame %u more times\n", run - 1);
		else if (run == 2)
			print_frame(first + i + 1, pcs[i], true);
		i += run - 1;
	}
	if (n == 0 && pc == 0)
		console_printf("  (no frames)\n");
	else if (n == BACKTRACE_MAX_FRAMES - first)
		console_printf("  ... (stopped after %u frames)\n", BACKTRACE_MAX_FRAMES);
}
