/*
 * Host tests of the handle table (kernel/objects/handle.c) over the real kheap, pmm and VM core
 * in simulated physical memory.
 *
 * - install, lookup, close; 0 and unknown values are bad handles;
 * - a closed handle stays stale after its slot is reused (the generation), and handle values are
 *   never 0 even when one slot's generation wraps;
 * - the order of the checks: bad handle, then wrong type (even with rights missing), then access
 *   denied;
 * - clone: a subset is fine, a superset is denied (not reduced), unknown bits are invalid, a
 *   handle without DUPLICATE cannot be cloned;
 * - destroy drops every reference: fake objects with a counting release, and a real vm_area whose
 *   frames go back to the pmm when its last handle does;
 * - growth across many handles up to the limit, and failure injection during growth leaves the
 *   table as it was;
 * - thousands of random operations checked against a model (fixed seed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/compiler.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_area.h"
#include "kernel/memory/vm_space.h"
#include "kernel/objects/handle.h"
#include "test/unit/sim_machine.h"

#define SIM_BYTES  (64ull << 20)
#define ALL        QUIRE_RIGHTS_ALL
#define R          QUIRE_RIGHT_READ
#define W          QUIRE_RIGHT_WRITE
#define DUP        QUIRE_RIGHT_DUPLICATE
#define INDEX_MASK ((1u << HANDLE_INDEX_BITS) - 1)

static struct pagetable kernel_pt;
static uint64_t baseline_free;

/* A fake object: a KOBJECT_TEST with a counting release. */
struct fake {
	struct kobject obj;
	unsigned released;
};

static unsigned releases;

static void fake_release(struct kobject *obj)
{
	struct fake *f = container_of(obj, struct fake, obj);

	f->released++;
	releases++;
}

static void fake_init(struct fake *f)
{
	kobject_init(&f->obj, KOBJECT_TEST);
	f->released = 0;
}

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	pmm_get_stats(&st);
	return st.free;
}

static uint64_t user_frames(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.by_kind[PAGE_USER] - 1; /* less the zero page */
}

static int boot(void **state)
{
	(void)state;
	sim_boot_vm(SIM_BYTES, &kernel_pt);
	kobject_test_release = fake_release;
	releases = 0;
	baseline_free = free_frames();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(free_frames(), baseline_free);
	return 0;
}

static void test_install_lookup_close(void **state)
{
	struct handle_table t;
	struct fake f;
	struct kobject *o;
	quire_rights_t rights;
	handle_t h;

	(void)state;
	fake_init(&f);
	handle_table_init(&t);
	assert_int_equal(handle_table_capacity(&t), 0);
	assert_int_equal(handle_lookup(&t, 1, KOBJECT_NONE, 0, &o), KERR_BAD_HANDLE);

	assert_int_equal(handle_install(&t, &f.obj, R | W, &h), KERR_OK);
	assert_int_not_equal(h, HANDLE_INVALID);
	assert_int_equal(kobject_refcount(&f.obj), 2); /* ours and the table's */
	assert_int_equal(handle_table_count(&t), 1);
	assert_int_equal(handle_table_capacity(&t), HANDLE_TABLE_CHUNK);

	assert_int_equal(handle_lookup_rights(&t, h, KOBJECT_TEST, R, &o, &rights), KERR_OK);
	assert_ptr_equal(o, &f.obj);
	assert_int_equal(rights, R | W);
	assert_int_equal(kobject_refcount(&f.obj), 3); /* the lookup's own reference */
	kobject_put(o);
	assert_int_equal(handle_lookup(&t, h, KOBJECT_NONE, R | W, &o), KERR_OK);
	kobject_put(o);

	assert_int_equal(handle_lookup(&t, HANDLE_INVALID, KOBJECT_NONE, 0, &o), KERR_BAD_HANDLE);
	assert_int_equal(handle_lookup(&t, h + 1, KOBJECT_NONE, 0, &o), KERR_BAD_HANDLE);
	assert_int_equal(handle_lookup(&t, h ^ (1u << HANDLE_INDEX_BITS), KOBJECT_NONE, 0, &o),
			 KERR_BAD_HANDLE);
	assert_int_equal(handle_lookup(&t, INDEX_MASK, KOBJECT_NONE, 0, &o), KERR_BAD_HANDLE);
	assert_int_equal(handle_close(&t, 0), KERR_BAD_HANDLE);

	assert_int_equal(handle_close(&t, h), KERR_OK);
	assert_int_equal(kobject_refcount(&f.obj), 1);
	assert_int_equal(handle_table_count(&t), 0);
	assert_int_equal(handle_close(&t, h), KERR_BAD_HANDLE);
	assert_int_equal(handle_lookup(&t, h, KOBJECT_NONE, 0, &o), KERR_BAD_HANDLE);
	assert_int_equal(f.released, 0);
	handle_table_destroy(&t);
	kobject_put(&f.obj);
	assert_int_equal(f.released, 1);
}

static void test_stale_handle_after_reuse(void **state)
{
	struct handle_table t;
	struct fake f;
	struct kobject *o;
	handle_t first, h, hs[HANDLE_TABLE_CHUNK];

	(void)state;
	fake_init(&f);
	handle_table_init(&t);
	assert_int_equal(handle_install(&t, &f.obj, R, &first), KERR_OK);
	assert_int_equal(handle_close(&t, first), KERR_OK);
	/* Freed slots are reused oldest first: the 128th install gets FIRST's slot back. */
	for (unsigned i = 0; i < HANDLE_TABLE_CHUNK; i++)
		assert_int_equal(handle_install(&t, &f.obj, ALL, &hs[i]), KERR_OK);
	h = hs[HANDLE_TABLE_CHUNK - 1];
	assert_int_equal(handle_table_capacity(&t), HANDLE_TABLE_CHUNK);
	assert_int_equal(h & INDEX_MASK, first & INDEX_MASK);
	assert_int_not_equal(h, first);
	assert_int_equal(handle_lookup(&t, first, KOBJECT_NONE, 0, &o), KERR_BAD_HANDLE);
	assert_int_equal(handle_close(&t, first), KERR_BAD_HANDLE);
	assert_int_equal(handle_clone(&t, first, 0, &h), KERR_BAD_HANDLE);
	assert_int_equal(handle_lookup(&t, h, KOBJECT_TEST, ALL, &o), KERR_OK);
	kobject_put(o);

	/* One free slot reused 140,000 times: its generation wraps, but no value is ever 0. */
	assert_int_equal(handle_close(&t, h), KERR_OK);
	handle_t prev = h;
	for (unsigned i = 0; i < 140000; i++) {
		assert_int_equal(handle_install(&t, &f.obj, R, &h), KERR_OK);
		assert_int_not_equal(h, HANDLE_INVALID);
		assert_int_not_equal(h, prev);
		assert_int_equal(h & INDEX_MASK, first & INDEX_MASK);
		assert_int_equal(handle_close(&t, h), KERR_OK);
		prev = h;
	}
	assert_int_equal(handle_table_capacity(&t), HANDLE_TABLE_CHUNK);
	handle_table_destroy(&t);
	assert_int_equal(kobject_refcount(&f.obj), 1);
	kobject_put(&f.obj);
}

static void test_check_order(void **state)
{
	struct handle_table t;
	struct fake f;
	struct vm_area *a;
	struct kobject *o = NULL;
	handle_t hf, ha;

	(void)state;
	fake_init(&f);
	handle_table_init(&t);
	assert_int_equal(vm_area_create_open(2, VM_PROT_READ | VM_PROT_WRITE, &a), KERR_OK);
	assert_int_equal(handle_install(&t, &f.obj, R, &hf), KERR_OK);
	assert_int_equal(handle_install(&t, &a->obj, R | QUIRE_RIGHT_MAP, &ha), KERR_OK);

	/* Wrong type wins over missing rights; rights are checked only for the right type. */
	assert_int_equal(handle_lookup(&t, hf, KOBJECT_VM_AREA, W, &o), KERR_WRONG_TYPE);
	assert_int_equal(handle_lookup(&t, hf, KOBJECT_VM_AREA, R, &o), KERR_WRONG_TYPE);
	assert_int_equal(handle_lookup(&t, ha, KOBJECT_TEST, ALL, &o), KERR_WRONG_TYPE);
	assert_int_equal(handle_lookup(&t, ha, KOBJECT_VM_AREA, W, &o), KERR_ACCESS_DENIED);
	assert_int_equal(handle_lookup(&t, ha, KOBJECT_VM_AREA, R | W, &o), KERR_ACCESS_DENIED);
	assert_int_equal(handle_lookup(&t, hf, KOBJECT_TEST, W, &o), KERR_ACCESS_DENIED);
	assert_null(o); /* no error hands out anything */
	assert_int_equal(kobject_refcount(&f.obj), 2);
	assert_int_equal(kobject_refcount(&a->obj), 2);

	assert_int_equal(handle_lookup(&t, ha, KOBJECT_VM_AREA, R | QUIRE_RIGHT_MAP, &o), KERR_OK);
	assert_ptr_equal(vm_area_from_kobject(o), a);
	kobject_put(o);
	assert_int_equal(handle_lookup(&t, hf, KOBJECT_TEST, 0, &o), KERR_OK);
	kobject_put(o);

	vm_area_put(a);
	kobject_put(&f.obj);
	assert_int_equal(f.released, 0); /* the table still holds both */
	handle_table_destroy(&t);
	assert_int_equal(f.released, 1);
}

static void test_clone_rights(void **state)
{
	struct handle_table t;
	struct fake f;
	struct kobject *o;
	quire_rights_t rights;
	handle_t h, c, c2, nodup;

	(void)state;
	fake_init(&f);
	handle_table_init(&t);
	assert_int_equal(handle_install(&t, &f.obj, R | W | DUP, &h), KERR_OK);

	/* A subset: a new handle with exactly those rights. */
	assert_int_equal(handle_clone(&t, h, R | DUP, &c), KERR_OK);
	assert_int_not_equal(c, h);
	assert_int_equal(kobject_refcount(&f.obj), 3);
	assert_int_equal(handle_lookup_rights(&t, c, KOBJECT_TEST, R, &o, &rights), KERR_OK);
	assert_ptr_equal(o, &f.obj);
	assert_int_equal(rights, R | DUP);
	kobject_put(o);
	assert_int_equal(handle_lookup(&t, c, KOBJECT_TEST, W, &o), KERR_ACCESS_DENIED);

	/* A superset is denied, not reduced; the clone cannot win back what it lost. */
	c2 = 0x1234;
	assert_int_equal(handle_clone(&t, h, R | W | DUP | QUIRE_RIGHT_MAP, &c2),
			 KERR_ACCESS_DENIED);
	assert_int_equal(handle_clone(&t, c, R | W, &c2), KERR_ACCESS_DENIED);
	assert_int_equal(c2, 0x1234);
	/* Unknown bits are invalid, even with a bad handle; then the handle is checked. */
	assert_int_equal(handle_clone(&t, h, R | (1u << 6), &c2), KERR_INVALID);
	assert_int_equal(handle_clone(&t, 0, 1u << 31, &c2), KERR_INVALID);
	assert_int_equal(handle_clone(&t, 0, R, &c2), KERR_BAD_HANDLE);
	/* Without DUPLICATE there is no clone at all, not even with fewer rights. */
	assert_int_equal(handle_clone(&t, c, R, &nodup), KERR_OK);
	assert_int_equal(handle_clone(&t, nodup, R, &c2), KERR_ACCESS_DENIED);
	assert_int_equal(handle_clone(&t, nodup, 0, &c2), KERR_ACCESS_DENIED);
	assert_int_equal(handle_table_count(&t), 3);
	assert_int_equal(kobject_refcount(&f.obj), 4);

	/* Closing the original leaves the clones working. */
	assert_int_equal(handle_close(&t, h), KERR_OK);
	assert_int_equal(handle_lookup(&t, nodup, KOBJECT_TEST, R, &o), KERR_OK);
	kobject_put(o);
	kobject_put(&f.obj);
	assert_int_equal(f.released, 0);
	handle_table_destroy(&t);
	assert_int_equal(f.released, 1);
	assert_int_equal(handle_table_count(&t), 0);
}

static void test_destroy_releases_all(void **state)
{
	struct handle_table t;
	struct fake fakes[40];
	struct vm_space *s;
	struct vm_area *a;
	vaddr_t base;
	handle_t h, c;

	(void)state;
	handle_table_init(&t);
	for (unsigned i = 0; i < 40; i++) {
		fake_init(&fakes[i]);
		for (unsigned j = 0; j <= i % 3; j++)
			assert_int_equal(handle_install(&t, &fakes[i].obj, ALL, &h), KERR_OK);
		kobject_put(&fakes[i].obj); /* the table's references alone keep them */
	}

	/* An area with frames and, once unmapped, only its two handles. */
	assert_int_equal(vm_space_create(&s), KERR_OK);
	assert_int_equal(vm_area_create_open(8, VM_PROT_READ | VM_PROT_WRITE, &a), KERR_OK);
	assert_int_equal(handle_install(&t, &a->obj, ALL, &h), KERR_OK);
	assert_int_equal(handle_clone(&t, h, R | QUIRE_RIGHT_MAP, &c), KERR_OK);
	vm_area_put(a);
	assert_int_equal(
	    vm_space_map(s, a, 0, VM_MAP_ANYWHERE, 8, VM_PROT_READ | VM_PROT_WRITE, &base),
	    KERR_OK);
	for (unsigned p = 0; p < 5; p++)
		assert_int_equal(vm_space_allocate(s, base + p * 4096, VM_PROT_WRITE), VM_FAULT_OK);
	assert_int_equal(user_frames(), 5);
	assert_int_equal(vm_space_unmap(s, base), KERR_OK);
	vm_space_destroy(s);
	assert_int_equal(user_frames(), 5); /* the handles keep the area */
	assert_int_equal(handle_close(&t, h), KERR_OK);
	assert_int_equal(user_frames(), 5); /* and one is enough */

	assert_int_equal(releases, 0);
	handle_table_destroy(&t);
	assert_int_equal(releases, 40);
	for (unsigned i = 0; i < 40; i++)
		assert_int_equal(fakes[i].released, 1);
	assert_int_equal(user_frames(), 0);
	assert_int_equal(handle_table_count(&t), 0);
	assert_int_equal(handle_table_capacity(&t), 0);
	handle_table_destroy(&t); /* an empty table: nothing to do */
}

static void test_growth_to_the_limit(void **state)
{
	struct handle_table t;
	struct fake f;
	struct kobject *o;
	handle_t h, first = 0, last = 0;

	(void)state;
	fake_init(&f);
	handle_table_init(&t);
	for (uint32_t i = 0; i < HANDLE_TABLE_MAX; i++) {
		assert_int_equal(handle_install(&t, &f.obj, i & QUIRE_RIGHTS_VALID, &h), KERR_OK);
		assert_int_equal(h & INDEX_MASK, i);
		if (i == 0)
			first = h;
		last = h;
	}
	assert_int_equal(handle_table_capacity(&t), HANDLE_TABLE_MAX);
	assert_int_equal(handle_table_count(&t), HANDLE_TABLE_MAX);
	assert_int_equal(kobject_refcount(&f.obj), HANDLE_TABLE_MAX + 1);
	/* Full: no more, and nothing changes. */
	assert_int_equal(handle_install(&t, &f.obj, R, &h), KERR_NO_MEMORY);
	assert_int_equal(handle_clone(&t, last, 0, &h), KERR_NO_MEMORY);
	assert_int_equal(kobject_refcount(&f.obj), HANDLE_TABLE_MAX + 1);
	/* The copies across every growth kept every handle. */
	assert_int_equal(handle_lookup(&t, first, KOBJECT_TEST, 0, &o), KERR_OK);
	kobject_put(o);
	assert_int_equal(handle_lookup(&t, last, KOBJECT_TEST, QUIRE_RIGHTS_VALID, &o), KERR_OK);
	kobject_put(o);
	/* One closed: room for one. */
	assert_int_equal(handle_close(&t, first), KERR_OK);
	assert_int_equal(handle_clone(&t, last, R, &h), KERR_OK);
	assert_int_equal(h & INDEX_MASK, 0);
	assert_int_equal(handle_install(&t, &f.obj, R, &h), KERR_NO_MEMORY);
	handle_table_destroy(&t);
	assert_int_equal(kobject_refcount(&f.obj), 1);
	kobject_put(&f.obj);
}

/*
 * Fills T to a full table of CAP slots, then makes each allocation of the growth fail in turn
 * (install and clone by turns, once *KEEP names a handle to clone): every failure leaves the
 * table as it was; the sweep ends when the growth needs no more attempts than the one armed.
 */
static void sweep_growth_failures(struct handle_table *t, struct fake *f, uint32_t cap,
				  handle_t *keep)
{
	struct kobject *o;
	handle_t h;
	uint32_t count, refs, failures = 0;

	while (handle_table_count(t) < cap)
		assert_int_equal(handle_install(t, &f->obj, ALL, &h), KERR_OK);
	assert_int_equal(handle_table_capacity(t), cap);
	count = handle_table_count(t);
	refs = kobject_refcount(&f->obj);
	for (uint64_t k = 1;; k++) {
		bool clone = k % 2 == 0 && *keep != HANDLE_INVALID;
		kerr_t err;

		h = 0x5555;
		fail_inject_arm(k);
		err = clone ? handle_clone(t, *keep, R, &h) : handle_install(t, &f->obj, ALL, &h);
		bool hit = fail_inject_attempts() >= k;
		fail_inject_arm(0);
		if (!hit) {
			assert_int_equal(err, KERR_OK);
			break;
		}
		assert_int_equal(err, KERR_NO_MEMORY);
		assert_int_equal(h, 0x5555);
		failures++;
		assert_int_equal(handle_table_capacity(t), cap);
		assert_int_equal(handle_table_count(t), count);
		assert_int_equal(kobject_refcount(&f->obj), refs);
		if (*keep != HANDLE_INVALID) {
			assert_int_equal(handle_lookup(t, *keep, KOBJECT_TEST, ALL, &o), KERR_OK);
			kobject_put(o);
		}
	}
	/* A chunk, a directory when due, and the slab frames the heap may need for them. */
	assert_true(failures >= (cap / HANDLE_TABLE_CHUNK == 3 ? 1u : 2u));
	if (*keep == HANDLE_INVALID)
		*keep = h;
	assert_int_equal(handle_table_capacity(t), cap + HANDLE_TABLE_CHUNK);
	assert_int_equal(handle_table_count(t), count + 1);
	assert_int_equal(handle_lookup(t, *keep, KOBJECT_TEST, ALL, &o), KERR_OK);
	kobject_put(o);
}

static void test_growth_failure_injection(void **state)
{
	struct handle_table t;
	struct fake f;
	handle_t keep = HANDLE_INVALID;

	(void)state;
	fake_init(&f);
	handle_table_init(&t);
	/* Growths with a new directory and chunk (0, 1, 2 chunks), then a chunk alone (3). */
	for (uint32_t chunks = 0; chunks < 4; chunks++)
		sweep_growth_failures(&t, &f, chunks * HANDLE_TABLE_CHUNK, &keep);
	handle_table_destroy(&t);
	assert_int_equal(kobject_refcount(&f.obj), 1);
	kobject_put(&f.obj);
	assert_int_equal(f.released, 1);
}

/* The model of the random test: every open handle, what it names and its rights. */
#define MODEL_OBJECTS 8
#define MODEL_MAX     3000
#define MODEL_STALE   512

struct model_entry {
	handle_t h;
	unsigned obj; /* index in objs[] */
	quire_rights_t rights;
};

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33) % n;
}

static quire_rights_t random_rights(void)
{
	quire_rights_t r = rnd(QUIRE_RIGHTS_VALID + 1);

	return rnd(8) == 0 ? r | DUP : r;
}

static void test_random_against_model(void **state)
{
	static struct model_entry live[MODEL_MAX];
	static handle_t stale[MODEL_STALE];
	struct fake objs[MODEL_OBJECTS];
	struct handle_table t;
	unsigned n_live = 0, n_stale = 0, refs[MODEL_OBJECTS] = {0};
	struct kobject *o;

	(void)state;
	rng_state = 0x5eed1234;
	handle_table_init(&t);
	for (unsigned i = 0; i < MODEL_OBJECTS; i++)
		fake_init(&objs[i]);
	for (unsigned op = 0; op < 40000; op++) {
		unsigned what = rnd(100);
		handle_t h;

		if (what < 30 && n_live < MODEL_MAX) { /* install */
			unsigned i = rnd(MODEL_OBJECTS);
			quire_rights_t r = random_rights();

			assert_int_equal(handle_install(&t, &objs[i].obj, r, &h), KERR_OK);
			live[n_live++] = (struct model_entry){h, i, r};
			refs[i]++;
		} else if (what < 55 && n_live > 0) { /* close */
			unsigned k = rnd(n_live);

			assert_int_equal(handle_close(&t, live[k].h), KERR_OK);
			refs[live[k].obj]--;
			stale[n_stale++ % MODEL_STALE] = live[k].h;
			live[k] = live[--n_live];
		} else if (what < 75 && n_live > 0 && n_live < MODEL_MAX) { /* clone */
			struct model_entry *e = &live[rnd(n_live)];
			quire_rights_t r = rnd(4) == 0 ? rnd(1u << 8) : random_rights();
			kerr_t want = (r & ~QUIRE_RIGHTS_VALID) ? KERR_INVALID
				      : !(e->rights & DUP)      ? KERR_ACCESS_DENIED
				      : (e->rights & r) != r    ? KERR_ACCESS_DENIED
								: KERR_OK;

			assert_int_equal(handle_clone(&t, e->h, r, &h), want);
			if (want == KERR_OK) {
				live[n_live++] = (struct model_entry){h, e->obj, r};
				refs[e->obj]++;
			}
		} else if (n_live > 0) { /* lookup */
			struct model_entry *e = &live[rnd(n_live)];
			uint32_t type = rnd(3); /* NONE, VM_AREA, TEST */
			quire_rights_t need = rnd(QUIRE_RIGHTS_VALID + 1);
			kerr_t want = (type == KOBJECT_VM_AREA)    ? KERR_WRONG_TYPE
				      : (e->rights & need) != need ? KERR_ACCESS_DENIED
								   : KERR_OK;

			assert_int_equal(handle_lookup(&t, e->h, type, need, &o), want);
			if (want == KERR_OK) {
				assert_ptr_equal(o, &objs[e->obj].obj);
				kobject_put(o);
			}
		}
		if (n_stale > 0 && rnd(4) == 0) { /* a closed handle stays closed */
			h = stale[rnd(n_stale < MODEL_STALE ? n_stale : MODEL_STALE)];
			assert_int_equal(handle_lookup(&t, h, KOBJECT_NONE, 0, &o),
					 KERR_BAD_HANDLE);
			assert_int_equal(handle_close(&t, h), KERR_BAD_HANDLE);
		}
		if (op % 1000 == 0) {
			assert_int_equal(handle_table_count(&t), n_live);
			for (unsigned i = 0; i < MODEL_OBJECTS; i++)
				assert_int_equal(kobject_refcount(&objs[i].obj), refs[i] + 1);
		}
	}
	assert_true(n_live > 500); /* the model grew the table across several chunks */
	for (unsigned k = 0; k < n_live; k++) {
		assert_int_equal(handle_lookup(&t, live[k].h, KOBJECT_TEST, live[k].rights, &o),
				 KERR_OK);
		kobject_put(o);
	}
	handle_table_destroy(&t);
	for (unsigned i = 0; i < MODEL_OBJECTS; i++) {
		assert_int_equal(kobject_refcount(&objs[i].obj), 1);
		kobject_put(&objs[i].obj);
		assert_int_equal(objs[i].released, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_install_lookup_close, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_handle_after_reuse, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_check_order, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_rights, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_destroy_releases_all, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_growth_to_the_limit, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_growth_failure_injection, boot, teardown),
	    cmocka_unit_test_setup_teardown(test_random_against_model, boot, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
