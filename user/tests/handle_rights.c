/*
 * handle_rights: each handle check fails with its own error, in the order BAD_HANDLE,
 * WRONG_TYPE, ACCESS_DENIED (quire/syscalls.h).
 *
 *   wrong type    a process handle where an area is wanted (even one lacking the rights the
 *                 call needs too) and an area handle where a process is wanted: WRONG_TYPE
 *   bad handle    closed handles, values that never were handles, and a closed handle's value
 *                 once its slot holds a new handle (the generation differs): BAD_HANDLE
 *   reduced       a clone without WRITE cannot map READ|WRITE (ACCESS_DENIED) but maps READ; a
 *                 child given such a handle reads the parent's data through it and is killed
 *                 with FAULT_PROTECTION when it writes (mode "write_ro"); a clone without MAP,
 *                 a process handle without WRITE or READ, a handle without TRANSFER: ACCESS_DENIED
 *   no raising    vma_protect() beyond the handle's rights and handle_clone() asking for a right
 *                 the handle lacks are ACCESS_DENIED; a clone without DUPLICATE cannot be cloned;
 *                 rights bits outside QUIRE_RIGHTS_VALID are INVALID
 */
#include "qtest.h"

#define PAGE     4096ull
#define RW       (QUIRE_VMA_READ | QUIRE_VMA_WRITE)
#define CHILD_AT 0x4f000000ull /* where the write_ro child maps the area */
#define MAGIC    0x123456789abcull
#define SLOT(h)  ((h)&0x7fffu) /* a handle value's slot index (kernel/objects/handle.h) */
#define CLONES   1024

static const quire_rights_t area_rights = QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_MAP |
					  QUIRE_RIGHT_DUPLICATE | QUIRE_RIGHT_TRANSFER;
static const quire_rights_t ro_rights =
    QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP | QUIRE_RIGHT_DUPLICATE | QUIRE_RIGHT_TRANSFER;

static quire_handle_t clones[CLONES];
static uint64_t thread_stack[64] __attribute__((aligned(16)));

static __attribute__((noinline)) void warm_stack(void)
{
	volatile char pad[64 * 1024];

	for (size_t i = 0; i < sizeof(pad); i += PAGE)
		pad[i] = 0;
}

static void thread_main(uint64_t arg)
{
	(void)arg;
	quire_thread_exit();
}

static uint64_t entry(void)
{
	return (uint64_t)(uintptr_t)thread_main;
}

static uint64_t stack_top(void)
{
	return (uint64_t)(uintptr_t)&thread_stack[64];
}

static quire_handle_t clone(quire_handle_t h, quire_rights_t rights)
{
	quire_handle_t out = QUIRE_HANDLE_INVALID;

	CHECK_EQ(quire_handle_clone(h, rights, &out), 0);
	CHECK(out != QUIRE_HANDLE_INVALID && out != h);
	return out;
}

static quire_handle_t new_area(void)
{
	quire_handle_t h;

	CHECK_EQ(quire_vma_create(PAGE, RW, &h), 0);
	return h;
}

static void test_wrong_type(void)
{
	quire_handle_t self = quire_self(), area = new_area(), t;
	/* No WRITE, READ or MAP: the type is what is wrong, whatever else is missing too. */
	quire_handle_t bare_self = clone(self, QUIRE_RIGHT_DUPLICATE);
	quire_handle_t bare_area = clone(area, QUIRE_RIGHT_DUPLICATE);
	struct quire_exit_info info;
	uint64_t addr = 0, size = PAGE;

	CHECK_EQ(quire_vma_map(self, self, &addr, QUIRE_VMA_READ), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_vma_map(bare_self, self, &addr, QUIRE_VMA_READ), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_vma_unmap(bare_self, self), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_vma_resize(bare_self, &size), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_vma_resize(self, &size), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_vma_protect(bare_self, self, QUIRE_VMA_READ), -QUIRE_ERR_WRONG_TYPE);

	CHECK_EQ(quire_vma_map(area, area, &addr, QUIRE_VMA_READ), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_vma_map(area, bare_area, &addr, QUIRE_VMA_READ), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_vma_unmap(area, bare_area), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_vma_protect(area, area, QUIRE_VMA_READ), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_process_wait(area, &info), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_process_wait(bare_area, &info), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_thread_create(area, entry(), stack_top(), 0, &t), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_thread_create(bare_area, entry(), stack_top(), 0, &t),
		 -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(addr, 0);
	CHECK_EQ(size, PAGE);

	CHECK_EQ(quire_handle_close(bare_self), 0);
	CHECK_EQ(quire_handle_close(bare_area), 0);
	CHECK_EQ(quire_handle_close(area), 0);
}

/* Every call taking a handle says BAD_HANDLE for H (and a good area's map into H too). */
static void check_bad(quire_handle_t h, quire_handle_t good_area)
{
	struct quire_exit_info info;
	uint64_t addr = 0, size = PAGE;
	quire_handle_t out;

	CHECK_EQ(quire_handle_close(h), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_handle_clone(h, QUIRE_RIGHT_READ, &out), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_vma_map(h, quire_self(), &addr, QUIRE_VMA_READ), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_vma_map(good_area, h, &addr, QUIRE_VMA_READ), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_vma_unmap(h, quire_self()), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_vma_resize(h, &size), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_vma_protect(h, quire_self(), QUIRE_VMA_READ), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_process_wait(h, &info), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_thread_create(h, entry(), stack_top(), 0, &out), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_process_spawn("test/handle_rights", NULL, 0, &h, 1, &out),
		 -QUIRE_ERR_BAD_HANDLE);
}

static void test_bad_handles(void)
{
	quire_handle_t good = new_area(), closed = new_area();

	CHECK_EQ(quire_handle_close(closed), 0);
	check_bad(closed, good);
	check_bad(QUIRE_HANDLE_INVALID, good);
	check_bad(0xffffffffu, good);
	check_bad(0x7fffu, good);            /* the last slot, generation 0 (never used) */
	check_bad((1u << 15) | 5000u, good); /* a slot far past the table's end */
	check_bad(good ^ (1u << 15), good);  /* GOOD's slot with another generation */

	/* Checked in argument order: a bad first handle wins over a wrong second one. */
	uint64_t addr = 0;
	CHECK_EQ(quire_vma_map(closed, good, &addr, QUIRE_VMA_READ), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_vma_map(quire_self(), closed, &addr, QUIRE_VMA_READ), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_handle_close(good), 0);
}

/* A closed handle's value stays dead when its slot is given to a new handle. */
static void test_stale(void)
{
	quire_handle_t anchor = new_area(), stale = new_area();
	int n, found = -1;

	CHECK_EQ(quire_handle_close(stale), 0);
	for (n = 0; n < CLONES && found < 0; n++) {
		clones[n] =
		    clone(anchor, QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP | QUIRE_RIGHT_DUPLICATE);
		if (SLOT(clones[n]) == SLOT(stale))
			found = n;
	}
	CHECK(found >= 0); /* the slot came back within CLONES handles (freed slots are reused) */
	CHECK(clones[found] != stale);
	check_bad(stale, anchor);
	/*
	 * The slot came back as the last free one (freed slots are reused oldest first): close the
	 * others before cloning again, so that the table need not grow (it never shrinks).
	 */
	for (int i = 0; i < n; i++)
		if (i != found)
			CHECK_EQ(quire_handle_close(clones[i]), 0);
	quire_handle_t again = clone(clones[found], QUIRE_RIGHT_READ); /* the new one works */
	CHECK_EQ(quire_handle_close(again), 0);
	CHECK_EQ(quire_handle_close(clones[found]), 0);
	check_bad(clones[found], anchor);
	CHECK_EQ(quire_handle_close(anchor), 0);
}

#define CHECK_KILLED(info, why, addr, acc)                                                         \
	do {                                                                                       \
		CHECK_EQ((info).reason, (why));                                                    \
		CHECK_EQ((info).vector, 14);                                                       \
		CHECK_EQ((info).address, (addr));                                                  \
		CHECK_EQ((info).access, (acc));                                                    \
		CHECK_EQ((info).status, 0);                                                        \
	} while (0)

/* Child mode write_ro: maps the passed READ-only handle, reads through it, then writes. */
static int child_write_ro(void)
{
	quire_handle_t h = quire_startup_handle(QUIRE_STARTUP_PASSED, 0), out;
	uint64_t addr = CHILD_AT;

	CHECK(h != QUIRE_HANDLE_INVALID);
	CHECK_EQ(quire_vma_map(h, quire_self(), &addr, RW | QUIRE_VMA_EXACT),
		 -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_vma_map(h, quire_self(), &addr, QUIRE_VMA_READ | QUIRE_VMA_EXACT), 0);
	CHECK_EQ(addr, CHILD_AT);
	volatile uint64_t *p = (volatile uint64_t *)CHILD_AT;
	CHECK_EQ(p[0], MAGIC);
	CHECK_EQ(quire_vma_protect(h, quire_self(), RW), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(
	    quire_handle_clone(h, QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_MAP, &out),
	    -QUIRE_ERR_ACCESS_DENIED);
	p[1] = 1;
	return 3; /* still alive: the write went through */
}

static void test_reduced(const char *self_path)
{
	uint64_t addr = 0, size = PAGE;
	quire_handle_t area, out, self = quire_self(), t;
	struct quire_exit_info info;

	CHECK_EQ(quire_vma_create_map(PAGE, &addr, RW, &area), 0);
	volatile uint64_t *p = (volatile uint64_t *)addr;
	p[0] = MAGIC;

	/* Without WRITE: READ|WRITE (or EXECUTE) is denied, READ maps, protect cannot raise it. */
	quire_handle_t ro = clone(area, ro_rights);
	uint64_t ro_addr = 0;
	CHECK_EQ(quire_vma_map(ro, self, &ro_addr, RW), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_vma_map(ro, self, &ro_addr, QUIRE_VMA_READ | QUIRE_VMA_EXECUTE),
		 -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(ro_addr, 0);
	CHECK_EQ(quire_vma_resize(ro, &size), -QUIRE_ERR_ACCESS_DENIED);
	/* The area is mapped here already (EXISTS), but the rights are checked first. */
	CHECK_EQ(quire_vma_protect(ro, self, RW), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_vma_protect(area, self, RW | QUIRE_VMA_EXECUTE), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_vma_protect(ro, self, QUIRE_VMA_READ), 0); /* lowering is allowed */
	CHECK_EQ(p[0], MAGIC);
	CHECK_EQ(quire_vma_protect(area, self, RW), 0); /* back up, within AREA's rights */
	p[1] = 2;

	/* Cloning never adds a right; bits outside QUIRE_RIGHTS_VALID are invalid. */
	CHECK_EQ(quire_handle_clone(ro, ro_rights | QUIRE_RIGHT_WRITE, &out),
		 -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_handle_clone(ro, QUIRE_RIGHT_EXECUTE, &out), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_handle_clone(area, area_rights | QUIRE_RIGHT_EXECUTE, &out),
		 -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_handle_clone(area, QUIRE_RIGHTS_VALID + 1, &out), -QUIRE_ERR_INVALID);
	CHECK_EQ(quire_handle_clone(area, QUIRE_RIGHT_READ | 0x80000000u, &out),
		 -QUIRE_ERR_INVALID);
	CHECK_EQ(quire_handle_clone(area, 0x40u, &out), -QUIRE_ERR_INVALID);
	quire_handle_t nodup = clone(area, QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP);
	CHECK_EQ(quire_handle_clone(nodup, QUIRE_RIGHT_READ, &out), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_handle_clone(nodup, QUIRE_RIGHT_NONE, &out), -QUIRE_ERR_ACCESS_DENIED);
	quire_handle_t none = clone(area, QUIRE_RIGHT_NONE);
	CHECK_EQ(quire_handle_clone(none, QUIRE_RIGHT_NONE, &out), -QUIRE_ERR_ACCESS_DENIED);

	/* Without MAP no mapping at all; without TRANSFER no passing. */
	quire_handle_t nomap = clone(area, QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE |
					       QUIRE_RIGHT_DUPLICATE | QUIRE_RIGHT_TRANSFER);
	uint64_t nomap_addr = 0;
	CHECK_EQ(quire_vma_map(nomap, self, &nomap_addr, QUIRE_VMA_READ), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_vma_unmap(nomap, self), -QUIRE_ERR_ACCESS_DENIED);
	const char *args[] = {self_path, "write_ro"};
	CHECK_EQ(quire_process_spawn(self_path, args, 2, &nodup, 1, &out),
		 -QUIRE_ERR_ACCESS_DENIED);

	/* A process handle without WRITE cannot have areas mapped or threads made in it. */
	quire_handle_t self_ro = clone(self, QUIRE_RIGHT_READ | QUIRE_RIGHT_DUPLICATE);
	uint64_t any = 0;
	CHECK_EQ(quire_vma_map(ro, self_ro, &any, QUIRE_VMA_READ), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_vma_unmap(area, self_ro), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_vma_protect(area, self_ro, QUIRE_VMA_READ), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_thread_create(self_ro, entry(), stack_top(), 0, &t),
		 -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(any, 0);

	/* The child gets a READ-only handle (moved: a clone of RO) and dies writing through it. */
	quire_handle_t pass = clone(ro, QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP | QUIRE_RIGHT_TRANSFER);
	const char *child_args[] = {NULL, "write_ro"};
	quire_handle_t kid = qtest_spawn_self(self_path, child_args, 2, &pass, 1);
	quire_handle_t kid_nowait = clone(kid, QUIRE_RIGHT_WRITE | QUIRE_RIGHT_DUPLICATE);
	CHECK_EQ(quire_process_wait(kid_nowait, &info), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_handle_close(kid_nowait), 0);
	info = qtest_wait(kid);
	CHECK_KILLED(info, QUIRE_EXIT_FAULT_PROTECTION, CHILD_AT + 8, QUIRE_VMA_WRITE);
	CHECK_EQ(p[0], MAGIC);
	CHECK_EQ(p[1], 2);

	quire_handle_t all[] = {ro, nodup, none, nomap, self_ro};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		CHECK_EQ(quire_handle_close(all[i]), 0);
	CHECK_EQ(quire_vma_unmap(area, self), 0);
	CHECK_EQ(quire_handle_close(area), 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "write_ro") == 0)
		return child_write_ro();
	warm_stack();
	memset(clones, 0, sizeof(clones)); /* its pages now, not after the baseline */
	uint64_t frames = qtest_frames_free(), processes = qtest_processes();

	test_wrong_type();
	test_bad_handles();
	test_stale();
	test_reduced(argv[0]);
	for (int i = 0; i < 100 && qtest_processes() != processes; i++)
		quire_yield();
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(qtest_frames_free(), frames);
	printf(
	    "handle_rights: ok: wrong type, bad and stale handles, reduced rights, no raising\n");
	return 0;
}
