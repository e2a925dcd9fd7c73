/*
 * The embedded symbol table of ksyms.h.
 */
#include "kernel/ksyms.h"

#include "kernel/image.h"
#include "kernel/lib/format.h"

enum parse_state { UNPARSED, VALID, INVALID };

static enum parse_state state = UNPARSED;
static struct symbols_table table;

const struct symbols_table *ksyms_table(void)
{
	if (state == UNPARSED) {
		size_t size = (size_t)(image_ksyms_end - image_ksyms_start);
		state = symbols_parse(image_ksyms_start, size, &table) == KERR_OK ? VALID : INVALID;
	}
	return state == VALID ? &table : NULL;
}

bool ksyms_lookup(uint64_t addr, struct symbols_match *match)
{
	const struct symbols_table *t = ksyms_table();

	return t != NULL && symbols_lookup(t, addr, match);
}

void ksyms_describe(uint64_t addr, bool return_address, char *buf, size_t size)
{
	uint64_t key = return_address && addr > 0 ? addr - 1 : addr;
	struct symbols_match m;

	if (!ksyms_lookup(key, &m)) {
		format_snprintf(buf, size, "?");
		return;
	}
	format_snprintf(buf, size, "%s+0x%llx", m.name,
			(unsigned long long)(m.offset + (key != addr ? 1 : 0)));
}
