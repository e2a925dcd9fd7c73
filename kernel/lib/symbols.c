/*
 * Lookup and validation of symbol tables; see symbols.h for the model. Validation is done once,
 * up front, so that the lookup (which runs in exception and panic paths) has nothing to check.
 */
#include "kernel/lib/symbols.h"

#include "kernel/panic.h"

bool symbols_lookup(const struct symbols_table *table, uint64_t addr, struct symbols_match *match)
{
	if (table->count == 0 || addr < table->base || addr >= table->end)
		return false;
	uint64_t rel = addr - table->base;
	if (rel < table->entries[0].offset)
		return false;

	/* Invariant: entries[lo].offset <= rel, and every entry from hi on lies above rel. */
	uint32_t lo = 0, hi = table->count;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (table->entries[mid].offset <= rel)
			lo = mid;
		else
			hi = mid;
	}
	const struct symbols_entry *e = &table->entries[lo];
	match->name = table->names + e->name;
	match->start = table->base + e->offset;
	match->offset = rel - e->offset;
	return true;
}

static bool entries_valid(const struct symbols_table *t)
{
	for (uint32_t i = 0; i < t->count; i++) {
		if (t->entries[i].name >= t->names_size)
			return false;
		if (i > 0 && t->entries[i].offset <= t->entries[i - 1].offset)
			return false;
	}
	/* base <= end was checked; comparing offsets avoids overflowing base + offset. */
	return t->count == 0 || t->entries[t->count - 1].offset < t->end - t->base;
}

kerr_t symbols_parse(const void *blob, size_t size, struct symbols_table *table)
{
	const struct symbols_blob_header *h = blob;

	kassert((uintptr_t)blob % 8 == 0);
	if (size < sizeof(*h) || h->magic != SYMBOLS_MAGIC || h->version != SYMBOLS_VERSION)
		return KERR_INVALID;
	/* 64-bit arithmetic: neither product nor sum can overflow from 32-bit fields. */
	uint64_t need =
	    sizeof(*h) + (uint64_t)h->count * sizeof(struct symbols_entry) + h->names_size;
	if (need > size || h->base > h->end)
		return KERR_INVALID;

	struct symbols_table t = {
	    .base = h->base,
	    .end = h->end,
	    .entries = (const struct symbols_entry *)(h + 1),
	    .count = h->count,
	    .names = (const char *)(h + 1) + (uint64_t)h->count * sizeof(struct symbols_entry),
	    .names_size = h->names_size,
	};
	if (t.names_size > 0 && t.names[t.names_size - 1] != '\0')
		return KERR_INVALID;
	if (t.count > 0 && t.names_size == 0)
		return KERR_INVALID;
	if (!entries_valid(&t))
		return KERR_INVALID;
	*table = t;
	return KERR_OK;
}
