/*
 * The page-table module; the model, the TLB rules and the lock contract are in pagetable.h.
 *
 * Every walk goes down from the root through the linear map (phys_to_virt). A table page's
 * struct page refcount is the number of present entries in it: every place that sets a
 * not-present entry present increments it, every place that clears one decrements it, and a range
 * walk that unmaps frees a child table the moment its count reaches zero.
 */
#include "kernel/memory/pagetable.h"

#include <stddef.h>

#include "kernel/lib/compiler.h"
#include "kernel/memory/pmm.h"
#include "kernel/panic.h"

#ifndef QUIRE_HOST_TEST
#include "kernel/arch/x86_64/cpu.h"
#endif

#define KERNEL_HALF_FIRST 0xffff800000000000ull
#define LOWER_HALF_LAST   0x00007fffffffffffull

static uint64_t level_size(int level)
{
	return 1ull << (12 + 9 * level);
}

static unsigned index_at(vaddr_t va, int level)
{
	return (unsigned)(va >> (12 + 9 * level)) & (PAGETABLE_ENTRIES - 1);
}

static uint64_t *table_virt(paddr_t pa)
{
	return phys_to_virt(pa & PTE_ADDRESS);
}

/* The table page holding entry E. */
static uint64_t *table_of(uint64_t *e)
{
	return (uint64_t *)((uintptr_t)e & ~(uintptr_t)(PAGETABLE_PAGE_4K - 1));
}

static struct page *table_page(const uint64_t *table)
{
	struct page *page = pmm_page_from_virt(table);

	kassert(page != NULL);
	return page;
}

static bool is_leaf(uint64_t entry, int level)
{
	return level == 0 || (level <= 2 && (entry & PTE_LARGE));
}

/* The frame address of a leaf: a large leaf's address field also holds its PAT bit (12). */
static paddr_t leaf_address(uint64_t entry, int level)
{
	return entry & PTE_ADDRESS & ~(level_size(level) - 1);
}

/* A range is [first, last] inside one half; false for anything else. */
static bool range_ok(vaddr_t va, uint64_t pages, vaddr_t *last)
{
	if (va % PAGETABLE_PAGE_4K != 0 || pages == 0 || pages > (1ull << 35))
		return false;
	*last = va + pages * PAGETABLE_PAGE_4K - 1;
	if (va <= LOWER_HALF_LAST)
		return *last >= va && *last <= LOWER_HALF_LAST;
	return va >= KERNEL_HALF_FIRST && *last >= va;
}

/* Sets the not-present entry E of TABLE to VALUE. */
static void entry_set(uint64_t *table, uint64_t *e, uint64_t value)
{
	kassert(!(*e & PTE_PRESENT) && (value & PTE_PRESENT));
	*e = value;
	table_page(table)->refcount++;
}

/* Clears the present entry E of TABLE. */
static void entry_clear(uint64_t *table, uint64_t *e)
{
	struct page *page = table_page(table);

	kassert((*e & PTE_PRESENT) && page->refcount > 0);
	*e = 0;
	page->refcount--;
}

static paddr_t table_alloc(struct pagetable *pt)
{
	struct page *page = pmm_alloc_page(PAGE_PAGE_TABLE, PMM_ZERO);

	if (page == NULL)
		return 0;
	page->refcount = 0;
	pt->table_pages++;
	return pmm_page_to_phys(page);
}

static void table_free(struct pagetable *pt, uint64_t *table)
{
	struct page *page = table_page(table);

	kassert(page->refcount == 0 && pt->table_pages > 0);
	pt->table_pages--;
	pmm_free_page(page);
}

/* TLB work of one call: invlpg per leaf, or one full flush at the end past the threshold. */
struct flush {
	bool
	    active; /* the tables are live on this CPU, or the range is in the shared kernel half */
	bool full;
};

static struct flush flush_begin(const struct pagetable *pt, vaddr_t va, uint64_t pages)
{
	return (struct flush){.active = va >= KERNEL_HALF_FIRST || pagetable_live(pt),
			      .full = pages > PAGETABLE_FLUSH_THRESHOLD};
}

static void flush_leaf(const struct flush *f, vaddr_t va)
{
#ifndef QUIRE_HOST_TEST
	if (f->active && !f->full)
		cpu_invlpg(va);
#else
	(void)f, (void)va;
#endif
}

static void flush_end(const struct flush *f)
{
#ifndef QUIRE_HOST_TEST
	if (f->active && f->full)
		cpu_write_cr3(cpu_read_cr3());
#else
	(void)f;
#endif
}

bool pagetable_live(const struct pagetable *pt)
{
#ifndef QUIRE_HOST_TEST
	return (cpu_read_cr3() & PTE_ADDRESS) == pt->root;
#else
	(void)pt;
	return false;
#endif
}

kerr_t pagetable_create(struct pagetable *pt, const struct pagetable *kernel)
{
	pt->table_pages = 0;
	pt->root = table_alloc(pt);
	if (pt->root == 0)
		return KERR_NO_MEMORY;
	pt->table_pages = 0; /* the root is not counted: it lives as long as PT */
	if (kernel != NULL) {
		uint64_t *dst = table_virt(pt->root), *src = table_virt(kernel->root);
		for (unsigned i = PAGETABLE_ENTRIES / 2; i < PAGETABLE_ENTRIES; i++) {
			if (src[i] & PTE_PRESENT)
				entry_set(dst, &dst[i], src[i]);
		}
	}
	return KERR_OK;
}

kerr_t pagetable_fill_kernel_half(struct pagetable *pt)
{
	uint64_t *root = table_virt(pt->root);

	for (unsigned i = PAGETABLE_ENTRIES / 2; i < PAGETABLE_ENTRIES; i++) {
		if (root[i] & PTE_PRESENT)
			continue;
		paddr_t pdpt = table_alloc(pt);
		if (pdpt == 0)
			return KERR_NO_MEMORY;
		entry_set(root, &root[i], pdpt | PTE_PRESENT | PTE_WRITABLE);
	}
	return KERR_OK;
}

static void destroy_table(struct pagetable *pt, uint64_t *table, int level)
{
	for (unsigned i = 0; i < PAGETABLE_ENTRIES; i++) {
		if (!(table[i] & PTE_PRESENT))
			continue;
		if (!is_leaf(table[i], level)) {
			uint64_t *child = table_virt(table[i]);
			destroy_table(pt, child, level - 1);
			table_free(pt, child);
		}
		entry_clear(table, &table[i]);
	}
}

void pagetable_destroy(struct pagetable *pt)
{
	uint64_t *root = table_virt(pt->root);

	kassert(!pagetable_live(pt));
	for (unsigned i = 0; i < PAGETABLE_ENTRIES / 2; i++) {
		if (!(root[i] & PTE_PRESENT))
			continue;
		uint64_t *child = table_virt(root[i]);
		destroy_table(pt, child, 2);
		table_free(pt, child);
		entry_clear(root, &root[i]);
	}
	for (unsigned i = PAGETABLE_ENTRIES / 2; i < PAGETABLE_ENTRIES; i++) {
		if (root[i] & PTE_PRESENT)
			entry_clear(root, &root[i]);
	}
	pt->table_pages++; /* table_free() of the root takes one off */
	table_free(pt, root);
	pt->root = 0;
}

/*
 * Finds the entry for VA at LEVEL, allocating missing tables on the way when ALLOC; *OUT is NULL
 * when a table is missing and !ALLOC. Errors: KERR_INVALID when a large leaf above LEVEL covers
 * VA, KERR_NO_MEMORY.
 */
static kerr_t walk(struct pagetable *pt, vaddr_t va, int level, bool alloc, uint64_t **out)
{
	uint64_t *table = table_virt(pt->root);
	bool user = va <= LOWER_HALF_LAST;

	*out = NULL;
	for (int l = PAGETABLE_LEVELS - 1; l > level; l--) {
		uint64_t *e = &table[index_at(va, l)];
		if (!(*e & PTE_PRESENT)) {
			if (!alloc)
				return KERR_OK;
			paddr_t child = table_alloc(pt);
			if (child == 0)
				return KERR_NO_MEMORY;
			entry_set(table, e,
				  child | PTE_PRESENT | PTE_WRITABLE | (user ? PTE_USER : 0));
		} else if (is_leaf(*e, l)) {
			return KERR_INVALID;
		}
		table = table_virt(*e);
	}
	*out = &table[index_at(va, level)];
	return KERR_OK;
}

static uint64_t leaf_bits(unsigned prot, enum cache_policy cache, int level)
{
	uint64_t bits = PTE_PRESENT | pat_pte_bits(cache, level > 0);

	if (prot & PAGETABLE_WRITE)
		bits |= PTE_WRITABLE;
	if (prot & PAGETABLE_USER)
		bits |= PTE_USER;
	if (prot & PAGETABLE_GLOBAL)
		bits |= PTE_GLOBAL;
	if (!(prot & PAGETABLE_EXEC))
		bits |= PTE_NX;
	if (level > 0)
		bits |= PTE_LARGE;
	return bits;
}

/* The largest leaf level allowed at VA -> PA with PAGES left to map. */
static int leaf_level(vaddr_t va, paddr_t pa, uint64_t pages, unsigned prot)
{
	for (int level = 2; level > 0; level--) {
		unsigned want = level == 2 ? PAGETABLE_LARGE_1G : PAGETABLE_LARGE_2M;
		uint64_t size = level_size(level);
		if ((prot & want) && va % size == 0 && pa % size == 0 &&
		    pages >= size / PAGETABLE_PAGE_4K)
			return level;
	}
	return 0;
}

static bool prot_ok(unsigned prot, unsigned allowed, vaddr_t va)
{
	if ((prot & ~allowed) || !(prot & PAGETABLE_READ))
		return false;
	return !(prot & PAGETABLE_USER) || va <= LOWER_HALF_LAST;
}

/* Maps [VA, VA + PAGES) leaf by leaf; *DONE counts the pages mapped before an error. */
static kerr_t map_range(struct pagetable *pt, vaddr_t va, paddr_t pa, uint64_t pages, unsigned prot,
			enum cache_policy cache, uint64_t *done)
{
	int level = -1;

	for (*done = 0; *done < pages;) {
		vaddr_t v = va + *done * PAGETABLE_PAGE_4K;
		paddr_t p = pa + *done * PAGETABLE_PAGE_4K;
		uint64_t *e;
		if (level < 0)
			level = leaf_level(v, p, pages - *done, prot);
		TRY(walk(pt, v, level, true, &e));
		if ((*e & PTE_PRESENT) && level > 0 && !is_leaf(*e, level)) {
			level--; /* a table is already there: map below it with smaller leaves */
			continue;
		}
		if (*e & PTE_PRESENT)
			return KERR_INVALID;
		entry_set(e - index_at(v, level), e, p | leaf_bits(prot, cache, level));
		*done += level_size(level) / PAGETABLE_PAGE_4K;
		level = -1;
	}
	return KERR_OK;
}

kerr_t pagetable_map(struct pagetable *pt, vaddr_t va, paddr_t pa, uint64_t pages, unsigned prot,
		     enum cache_policy cache)
{
	vaddr_t last;
	uint64_t done;

	if (!range_ok(va, pages, &last) || pa % PAGETABLE_PAGE_4K != 0 ||
	    (pa + pages * PAGETABLE_PAGE_4K - 1) >> 52 != 0 ||
	    !prot_ok(prot, PAGETABLE_RIGHTS | PAGETABLE_LARGE_2M | PAGETABLE_LARGE_1G, va) ||
	    (unsigned)cache >= CACHE_POLICY_COUNT)
		return KERR_INVALID;
	kerr_t err = map_range(pt, va, pa, pages, prot, cache, &done);
	if (err == KERR_OK)
		return KERR_OK;
	/* Undo: unmap the prefix, and (for NO_MEMORY) prune the empty tables allocated on the
	 * failed page's path, which lie within that page's range. */
	uint64_t undo = done + (err == KERR_NO_MEMORY ? 1 : 0);
	if (undo > 0) {
		/* Cannot fail: the range is valid and ends on leaves this call created. */
		kerr_t undo_err = pagetable_unmap(pt, va, undo, NULL, NULL);
		kassert(undo_err == KERR_OK);
		(void)undo_err;
	}
	return err;
}

/* Effective PAGETABLE_* rights of a 4 KiB leaf reached through entries whose AND is ALL_AND and
 * whose OR is ALL_OR (the leaf included), as pagetable_query() reports them. */
static unsigned effective_rights(uint64_t all_and, uint64_t all_or)
{
	return PAGETABLE_READ | ((all_and & PTE_WRITABLE) ? PAGETABLE_WRITE : 0) |
	       ((all_and & PTE_USER) ? PAGETABLE_USER : 0) |
	       ((all_or & PTE_NX) ? 0 : PAGETABLE_EXEC);
}

/* pagetable_map_one()'s walk so far. */
struct map_one_walk {
	uint64_t *made[PAGETABLE_LEVELS - 1]; /* entries this call set to new tables, top first */
	unsigned n_made;
	uint64_t all_and, all_or; /* of the entries passed */
	uint64_t table_bits;      /* of a new table's entry */
	kerr_t err;
};

/*
 * One step of pagetable_map_one()'s walk: the table below VA's entry in TABLE (at LEVEL > 0),
 * made when missing; NULL with W->err set when a large leaf is there or no frame is left. Always
 * inlined with a constant LEVEL, so the shifts and level tests fold away.
 */
static inline __attribute__((always_inline)) uint64_t *
map_one_step(struct pagetable *pt, uint64_t *table, vaddr_t va, int level, struct map_one_walk *w)
{
	uint64_t *e = &table[index_at(va, level)];

	if (UNLIKELY(!(*e & PTE_PRESENT))) {
		paddr_t child = table_alloc(pt);
		if (child == 0) {
			w->err = KERR_NO_MEMORY;
			return NULL;
		}
		entry_set(table, e, child | w->table_bits);
		w->made[w->n_made++] = e;
	} else if (UNLIKELY(is_leaf(*e, level))) {
		w->err = KERR_INVALID; /* a large leaf, never made here: nothing to undo */
		return NULL;
	}
	w->all_and &= *e;
	w->all_or |= *e;
	return table_virt(*e);
}

kerr_t pagetable_map_one(struct pagetable *pt, vaddr_t va, paddr_t pa, unsigned prot,
			 enum cache_policy cache, unsigned keep_if)
{
	bool user = va <= LOWER_HALF_LAST;
	struct map_one_walk w = {.n_made = 0,
				 .all_and = ~0ull,
				 .all_or = 0,
				 .table_bits = PTE_PRESENT | PTE_WRITABLE | (user ? PTE_USER : 0)};
	uint64_t *table = table_virt(pt->root);

	if (va % PAGETABLE_PAGE_4K != 0 || (!user && va < KERNEL_HALF_FIRST) ||
	    pa % PAGETABLE_PAGE_4K != 0 || pa >> 52 != 0 || !prot_ok(prot, PAGETABLE_RIGHTS, va) ||
	    (unsigned)cache >= CACHE_POLICY_COUNT)
		return KERR_INVALID;
	_Static_assert(PAGETABLE_LEVELS == 4, "the walk below has one step per table level");
	if ((table = map_one_step(pt, table, va, 3, &w)) == NULL ||
	    (table = map_one_step(pt, table, va, 2, &w)) == NULL ||
	    (table = map_one_step(pt, table, va, 1, &w)) == NULL)
		goto fail;
	uint64_t *e = &table[index_at(va, 0)];
	uint64_t value = pa | leaf_bits(prot, cache, 0);
	if (!(*e & PTE_PRESENT)) {
		entry_set(table, e, value);
		return KERR_OK;
	}
	if (leaf_address(*e, 0) == pa &&
	    (keep_if & ~effective_rights(w.all_and & *e, w.all_or | *e)) == 0)
		return KERR_OK; /* already right */
	struct flush f = flush_begin(pt, va, 1);
	*e = value; /* present before and after: the table's count is unchanged */
	flush_leaf(&f, va);
	return KERR_OK;

fail:
	/* Every table made here is empty but for the entry of the next one made: clear bottom up. */
	while (w.n_made > 0) {
		uint64_t *entry = w.made[--w.n_made];
		uint64_t *child = table_virt(*entry);
		entry_clear(table_of(entry), entry);
		table_free(pt, child);
	}
	return w.err;
}

/* What a range walk does with each leaf. */
struct range_op {
	enum { OP_VISIT, OP_UNMAP, OP_PROTECT } kind;
	unsigned prot;
	pagetable_unmap_fn unmap_fn;
	pagetable_visit_fn visit_fn;
	void *ctx;
	struct flush flush;
	bool stop;
};

static void describe_leaf(uint64_t entry, int level, vaddr_t page_va, struct pagetable_mapping *out)
{
	out->page_size = level_size(level);
	out->page_va = page_va;
	out->pa = leaf_address(entry, level);
	out->prot = PAGETABLE_READ | ((entry & PTE_WRITABLE) ? PAGETABLE_WRITE : 0) |
		    ((entry & PTE_USER) ? PAGETABLE_USER : 0) |
		    ((entry & PTE_NX) ? 0 : PAGETABLE_EXEC) |
		    ((entry & PTE_GLOBAL) ? PAGETABLE_GLOBAL : 0);
	out->cache = pat_policy_from_pte(entry, level > 0);
	out->pte = entry;
}

static void leaf_op(uint64_t *table, uint64_t *e, int level, vaddr_t page_va, struct range_op *op)
{
	struct pagetable_mapping m;

	switch (op->kind) {
	case OP_VISIT:
		describe_leaf(*e, level, page_va, &m);
		op->stop = !op->visit_fn(&m, op->ctx);
		break;
	case OP_UNMAP: {
		uint64_t old = *e;
		entry_clear(table, e);
		flush_leaf(&op->flush, page_va);
		if (op->unmap_fn != NULL)
			op->unmap_fn(page_va, leaf_address(old, level), level_size(level), op->ctx);
		break;
	}
	case OP_PROTECT: {
		uint64_t keep = *e & ~(PTE_WRITABLE | PTE_USER | PTE_GLOBAL | PTE_NX);
		uint64_t value = keep | (leaf_bits(op->prot, CACHE_WRITE_BACK, level) &
					 (PTE_WRITABLE | PTE_USER | PTE_GLOBAL | PTE_NX));
		if (value != *e) {
			*e = value;
			flush_leaf(&op->flush, page_va);
		}
		break;
	}
	}
}

/* Whether the table at LEVEL under VA may be freed once empty (never a kernel-half PDPT). */
static bool freeable(int level, vaddr_t va)
{
	return level < 2 || va <= LOWER_HALF_LAST;
}

/* Applies OP to each leaf of TABLE (at LEVEL) within [FIRST, LAST], then prunes. */
static void walk_range(struct pagetable *pt, uint64_t *table, int level, vaddr_t first,
		       vaddr_t last, struct range_op *op)
{
	uint64_t size = level_size(level);

	for (vaddr_t va = first; !op->stop;) {
		vaddr_t entry_first = va & ~(size - 1), entry_last = entry_first + size - 1;
		vaddr_t sub_last = entry_last < last ? entry_last : last;
		uint64_t *e = &table[index_at(va, level)];
		if (!(*e & PTE_PRESENT)) {
			/* nothing here */
		} else if (is_leaf(*e, level)) {
			leaf_op(table, e, level, entry_first, op);
		} else {
			uint64_t *child = table_virt(*e);
			walk_range(pt, child, level - 1, va, sub_last, op);
			if (op->kind == OP_UNMAP && table_page(child)->refcount == 0 &&
			    freeable(level - 1, va)) {
				entry_clear(table, e);
				table_free(pt, child);
			}
		}
		if (sub_last == last)
			break;
		va = sub_last + 1;
	}
}

/* Whether a large leaf covers ADDR but reaches outside [FIRST, LAST]. */
static bool straddles(const struct pagetable *pt, vaddr_t addr, vaddr_t first, vaddr_t last)
{
	struct pagetable_mapping m;

	if (pagetable_query(pt, addr, &m) != KERR_OK || m.page_size == PAGETABLE_PAGE_4K)
		return false;
	return m.page_va < first || m.page_va + (m.page_size - 1) > last;
}

static kerr_t run_range(struct pagetable *pt, vaddr_t va, uint64_t pages, struct range_op *op)
{
	vaddr_t last;

	if (!range_ok(va, pages, &last))
		return KERR_INVALID;
	if (op->kind != OP_VISIT && (straddles(pt, va, va, last) || straddles(pt, last, va, last)))
		return KERR_INVALID;
	op->flush = flush_begin(pt, va, pages);
	walk_range(pt, table_virt(pt->root), PAGETABLE_LEVELS - 1, va, last, op);
	flush_end(&op->flush);
	return KERR_OK;
}

/*
 * pagetable_unmap() of one page, with what run_range() does for it in one walk: down to the leaf
 * or the hole, a large leaf refused (it sticks out of one page), the leaf cleared, invalidated and
 * reported, then the tables on the path that are left empty freed bottom up.
 */
static kerr_t unmap_one(struct pagetable *pt, vaddr_t va, pagetable_unmap_fn fn, void *ctx)
{
	uint64_t *entry[PAGETABLE_LEVELS]; /* entry[l]: the entry for VA at level l on the path */
	uint64_t *table = table_virt(pt->root);
	int l = PAGETABLE_LEVELS - 1;

	if (va % PAGETABLE_PAGE_4K != 0 ||
	    (va > LOWER_HALF_LAST - (PAGETABLE_PAGE_4K - 1) && va < KERNEL_HALF_FIRST))
		return KERR_INVALID;
	for (;; l--) {
		entry[l] = &table[index_at(va, l)];
		if (!(*entry[l] & PTE_PRESENT))
			break; /* a hole: nothing to clear */
		if (is_leaf(*entry[l], l)) {
			if (l > 0)
				return KERR_INVALID;
			uint64_t old = *entry[0];
			struct flush f = flush_begin(pt, va, 1);
			entry_clear(table, entry[0]);
			flush_leaf(&f, va);
			if (fn != NULL)
				fn(va, leaf_address(old, 0), PAGETABLE_PAGE_4K, ctx);
			break;
		}
		table = table_virt(*entry[l]);
	}
	/* TABLE is the table at level l; free it and its parents while they are empty. */
	for (; l < PAGETABLE_LEVELS - 1; l++) {
		uint64_t *child = table_of(entry[l]);
		if (table_page(child)->refcount != 0 || !freeable(l, va))
			break;
		entry_clear(table_of(entry[l + 1]), entry[l + 1]);
		table_free(pt, child);
	}
	return KERR_OK;
}

kerr_t pagetable_unmap(struct pagetable *pt, vaddr_t va, uint64_t pages, pagetable_unmap_fn fn,
		       void *ctx)
{
	struct range_op op = {.kind = OP_UNMAP, .unmap_fn = fn, .ctx = ctx};

	if (pages == 1)
		return unmap_one(pt, va, fn, ctx);
	return run_range(pt, va, pages, &op);
}

kerr_t pagetable_protect(struct pagetable *pt, vaddr_t va, uint64_t pages, unsigned prot)
{
	struct range_op op = {.kind = OP_PROTECT, .prot = prot};

	if (!prot_ok(prot, PAGETABLE_RIGHTS, va))
		return KERR_INVALID;
	return run_range(pt, va, pages, &op);
}

kerr_t pagetable_for_each(const struct pagetable *pt, vaddr_t va, uint64_t pages,
			  pagetable_visit_fn fn, void *ctx)
{
	struct range_op op = {.kind = OP_VISIT, .visit_fn = fn, .ctx = ctx};

	/* A visit changes nothing: the cast only lets the walkers share their code. */
	return run_range((struct pagetable *)pt, va, pages, &op);
}

kerr_t pagetable_query(const struct pagetable *pt, vaddr_t va, struct pagetable_mapping *out)
{
	uint64_t *table = table_virt(pt->root);
	uint64_t all_and = ~0ull, all_or = 0;

	for (int level = PAGETABLE_LEVELS - 1; level >= 0; level--) {
		uint64_t e = table[index_at(va, level)];
		if (!(e & PTE_PRESENT))
			return KERR_NOT_FOUND;
		all_and &= e;
		all_or |= e;
		if (is_leaf(e, level)) {
			uint64_t size = level_size(level);
			describe_leaf(e, level, va & ~(size - 1), out);
			out->pa |= va & (size - 1);
			/* Rights are effective over every level; NX anywhere wins. */
			out->prot &= ~(PAGETABLE_WRITE | PAGETABLE_USER | PAGETABLE_EXEC);
			out->prot |= ((all_and & PTE_WRITABLE) ? PAGETABLE_WRITE : 0) |
				     ((all_and & PTE_USER) ? PAGETABLE_USER : 0) |
				     ((all_or & PTE_NX) ? 0 : PAGETABLE_EXEC);
			return KERR_OK;
		}
		table = table_virt(e);
	}
	return KERR_NOT_FOUND;
}
