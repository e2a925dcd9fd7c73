/*
 * vma_errors: the argument rules of the VMA calls (quire/syscalls.h), each with its exact error:
 *
 *   INVALID       a size of 0, an unaligned exact address, flag bits outside the call's mask
 *                 (QUIRE_VMA_WRITE_COMBINE on vma_create/vma_create_map, EXACT on vma_create
 *                 and vma_protect, unknown bits)
 *   OUT_OF_RANGE  a size that overflows or exceeds the user half; an exact range outside it
 *   EXISTS        an exact mapping overlapping another (an area of ours, the program itself);
 *                 an area mapped a second time into one process
 *   NOT_FOUND     unmapping or protecting an area that is not mapped; mapping into a process
 *                 that has ended
 *   ACCESS_DENIED mapping or protecting beyond what an area was created with
 * A failed call writes nothing back (*ADDR, *OUT) and changes nothing. vma_protect lowers a
 * mapping's access, and children that use the lowered access are killed with FAULT_PROTECTION
 * (modes "lower_write": READ|WRITE lowered to READ, then a write; "lower_none": lowered to no
 * access, then a read); raised again within the area's rights, the access works again.
 */
#include "qtest.h"

#define PAGE     4096ull
#define RW       (QUIRE_VMA_READ | QUIRE_VMA_WRITE)
#define EXACT    QUIRE_VMA_EXACT
#define AREA_AT  0x51000000ull         /* an area of 4 pages the overlaps are tried against */
#define OTHER_AT 0x53000000ull         /* free: where the calls expected to succeed map */
#define CHILD_AT 0x55000000ull         /* the children's area */
#define IMAGE_AT 0x400000ull           /* the program's own image (tools/build.mk) */
#define USER_END 0x0000800000000000ull /* the end of the user half */
#define SENTINEL 0x5e5e5e5eu

static __attribute__((noinline)) void warm_stack(void)
{
	volatile char pad[64 * 1024];

	for (size_t i = 0; i < sizeof(pad); i += PAGE)
		pad[i] = 0;
}

/* vma_create(SIZE, FLAGS) fails with ERR and writes no handle. */
#define CHECK_CREATE(size, flags, err)                                                             \
	do {                                                                                       \
		quire_handle_t h_ = SENTINEL;                                                      \
		CHECK_EQ(quire_vma_create((size), (flags), &h_), -(err));                          \
		CHECK_EQ(h_, SENTINEL);                                                            \
	} while (0)

/* vma_create_map(SIZE, AT, FLAGS) fails with ERR and writes neither *ADDR nor a handle. */
#define CHECK_CREATE_MAP(size, at, flags, err)                                                     \
	do {                                                                                       \
		quire_handle_t h_ = SENTINEL;                                                      \
		uint64_t a_ = (at);                                                                \
		CHECK_EQ(quire_vma_create_map((size), &a_, (flags), &h_), -(err));                 \
		CHECK_EQ(h_, SENTINEL);                                                            \
		CHECK_EQ(a_, (at));                                                                \
	} while (0)

/* vma_map(VMA, self, AT, FLAGS) fails with ERR and writes no *ADDR. */
#define CHECK_MAP(vma, at, flags, err)                                                             \
	do {                                                                                       \
		uint64_t a_ = (at);                                                                \
		CHECK_EQ(quire_vma_map((vma), quire_self(), &a_, (flags)), -(err));                \
		CHECK_EQ(a_, (at));                                                                \
	} while (0)

static quire_handle_t map_at(uint64_t at, uint64_t pages, uint32_t flags)
{
	uint64_t addr = at;
	quire_handle_t h;

	CHECK_EQ(quire_vma_create_map(pages * PAGE, &addr, flags | EXACT, &h), 0);
	CHECK_EQ(addr, at);
	return h;
}

static void unmap_close(quire_handle_t h)
{
	CHECK_EQ(quire_vma_unmap(h, quire_self()), 0);
	CHECK_EQ(quire_handle_close(h), 0);
}

static void test_create(void)
{
	CHECK_CREATE(0, RW, QUIRE_ERR_INVALID);
	CHECK_CREATE(PAGE, RW | 0x100u, QUIRE_ERR_INVALID);
	CHECK_CREATE(PAGE, RW | 0x80000000u, QUIRE_ERR_INVALID);
	CHECK_CREATE(PAGE, RW | QUIRE_VMA_WRITE_COMBINE, QUIRE_ERR_INVALID);
	CHECK_CREATE(PAGE, QUIRE_VMA_READ | QUIRE_VMA_WRITE_COMBINE, QUIRE_ERR_INVALID);
	CHECK_CREATE(PAGE, RW | EXACT, QUIRE_ERR_INVALID); /* not a vma_create flag */
	CHECK_CREATE(UINT64_MAX, RW, QUIRE_ERR_OUT_OF_RANGE);
	CHECK_CREATE(UINT64_MAX - PAGE + 2, RW, QUIRE_ERR_OUT_OF_RANGE); /* rounds past 2^64 */
	CHECK_CREATE(1ull << 63, RW, QUIRE_ERR_OUT_OF_RANGE);
	CHECK_CREATE(USER_END, RW, QUIRE_ERR_OUT_OF_RANGE); /* more than the user half holds */

	/* Sizes are rounded up to pages: one byte is a page, and a huge area costs nothing yet. */
	quire_handle_t h;
	CHECK_EQ(quire_vma_create(1, RW, &h), 0);
	CHECK_EQ(quire_handle_close(h), 0);
	CHECK_EQ(quire_vma_create(1ull << 40, RW, &h), 0);
	CHECK_EQ(quire_handle_close(h), 0);

	/* A guarded area (a thread's stack): a guard page and at least one usable page; fixed size. */
	CHECK_CREATE(PAGE, RW | QUIRE_VMA_GUARD, QUIRE_ERR_INVALID);
	CHECK_EQ(quire_vma_create(2 * PAGE, RW | QUIRE_VMA_GUARD, &h), 0);
	uint64_t size = 4 * PAGE;
	CHECK_EQ(quire_vma_resize(h, &size), -QUIRE_ERR_UNSUPPORTED);
	CHECK_EQ(quire_handle_close(h), 0);
}

static void test_create_map(void)
{
	quire_handle_t area = map_at(AREA_AT, 4, RW);

	CHECK_CREATE_MAP(0, 0, RW, QUIRE_ERR_INVALID);
	CHECK_CREATE_MAP(0, OTHER_AT, RW | EXACT, QUIRE_ERR_INVALID);
	CHECK_CREATE_MAP(PAGE, OTHER_AT + 0x123, RW | EXACT, QUIRE_ERR_INVALID);
	CHECK_CREATE_MAP(PAGE, OTHER_AT + 8, RW | EXACT, QUIRE_ERR_INVALID);
	CHECK_CREATE_MAP(PAGE, 0, RW | 0x100u, QUIRE_ERR_INVALID);
	CHECK_CREATE_MAP(PAGE, 0, RW | QUIRE_VMA_WRITE_COMBINE, QUIRE_ERR_INVALID);
	CHECK_CREATE_MAP(PAGE, OTHER_AT, RW | EXACT | QUIRE_VMA_WRITE_COMBINE, QUIRE_ERR_INVALID);
	CHECK_CREATE_MAP(UINT64_MAX, 0, RW, QUIRE_ERR_OUT_OF_RANGE);
	CHECK_CREATE_MAP(UINT64_MAX - PAGE + 2, 0, RW, QUIRE_ERR_OUT_OF_RANGE);
	CHECK_CREATE_MAP(1ull << 63, OTHER_AT, RW | EXACT, QUIRE_ERR_OUT_OF_RANGE);
	/* Exact ranges outside the user half. */
	CHECK_CREATE_MAP(2 * PAGE, USER_END - PAGE, RW | EXACT, QUIRE_ERR_OUT_OF_RANGE);
	CHECK_CREATE_MAP(PAGE, USER_END, RW | EXACT, QUIRE_ERR_OUT_OF_RANGE);
	CHECK_CREATE_MAP(PAGE, 0xffff800000000000ull, RW | EXACT, QUIRE_ERR_OUT_OF_RANGE);
	CHECK_CREATE_MAP(PAGE, 0, RW | EXACT, QUIRE_ERR_OUT_OF_RANGE);
	/* Exact ranges overlapping AREA, from inside, across its start and across its end. */
	CHECK_CREATE_MAP(PAGE, AREA_AT, RW | EXACT, QUIRE_ERR_EXISTS);
	CHECK_CREATE_MAP(PAGE, AREA_AT + 2 * PAGE, RW | EXACT, QUIRE_ERR_EXISTS);
	CHECK_CREATE_MAP(2 * PAGE, AREA_AT - PAGE, RW | EXACT, QUIRE_ERR_EXISTS);
	CHECK_CREATE_MAP(4 * PAGE, AREA_AT + 3 * PAGE, RW | EXACT, QUIRE_ERR_EXISTS);
	CHECK_CREATE_MAP(64 * PAGE, AREA_AT - 8 * PAGE, QUIRE_VMA_READ | EXACT, QUIRE_ERR_EXISTS);
	CHECK_CREATE_MAP(PAGE, IMAGE_AT, RW | EXACT, QUIRE_ERR_EXISTS); /* the program itself */

	/* Right next to AREA on both sides is free. */
	quire_handle_t below = map_at(AREA_AT - PAGE, 1, RW),
		       above = map_at(AREA_AT + 4 * PAGE, 1, RW);
	unmap_close(below);
	unmap_close(above);
	/* Without EXACT, *ADDR is only written: any value in it is fine. */
	uint64_t addr = AREA_AT + 0x123;
	quire_handle_t h;
	CHECK_EQ(quire_vma_create_map(PAGE, &addr, RW, &h), 0);
	CHECK(addr % PAGE == 0 && (addr + PAGE <= AREA_AT || addr >= AREA_AT + 4 * PAGE));
	unmap_close(h);
	unmap_close(area);
}

static void test_map_unmap(void)
{
	quire_handle_t area = map_at(AREA_AT, 4, RW), h, ro;
	uint64_t addr = 0;

	CHECK_EQ(quire_vma_create(2 * PAGE, RW, &h), 0);
	CHECK_EQ(quire_vma_unmap(h, quire_self()), -QUIRE_ERR_NOT_FOUND);
	CHECK_EQ(quire_vma_protect(h, quire_self(), QUIRE_VMA_READ), -QUIRE_ERR_NOT_FOUND);
	CHECK_MAP(h, 0, RW | 0x100u, QUIRE_ERR_INVALID);
	CHECK_MAP(h, 0, RW | QUIRE_VMA_WRITE_COMBINE, QUIRE_ERR_INVALID);
	CHECK_MAP(h, OTHER_AT + 0x800, RW | EXACT, QUIRE_ERR_INVALID);
	CHECK_MAP(h, AREA_AT + 3 * PAGE, RW | EXACT, QUIRE_ERR_EXISTS);
	CHECK_MAP(h, AREA_AT - PAGE, RW | EXACT, QUIRE_ERR_EXISTS);
	CHECK_MAP(h, USER_END - PAGE, RW | EXACT, QUIRE_ERR_OUT_OF_RANGE);
	CHECK_MAP(area, OTHER_AT, RW | EXACT, QUIRE_ERR_EXISTS); /* mapped here already */
	CHECK_MAP(area, 0, QUIRE_VMA_READ, QUIRE_ERR_EXISTS);

	/* Mapped once; a second time (anywhere, or exactly elsewhere) is EXISTS. */
	CHECK_EQ(quire_vma_map(h, quire_self(), &addr, RW), 0);
	CHECK_MAP(h, 0, RW, QUIRE_ERR_EXISTS);
	CHECK_MAP(h, OTHER_AT, QUIRE_VMA_READ | EXACT, QUIRE_ERR_EXISTS);
	CHECK_EQ(quire_vma_unmap(h, quire_self()), 0);
	CHECK_EQ(quire_vma_unmap(h, quire_self()), -QUIRE_ERR_NOT_FOUND);

	/* An area created READ-only maps and protects READ only. */
	CHECK_EQ(quire_vma_create(PAGE, QUIRE_VMA_READ, &ro), 0);
	CHECK_MAP(ro, 0, RW, QUIRE_ERR_ACCESS_DENIED);
	CHECK_MAP(ro, 0, QUIRE_VMA_READ | QUIRE_VMA_EXECUTE, QUIRE_ERR_ACCESS_DENIED);
	addr = OTHER_AT;
	CHECK_EQ(quire_vma_map(ro, quire_self(), &addr, QUIRE_VMA_READ | EXACT), 0);
	CHECK_EQ(*(volatile uint64_t *)(uintptr_t)OTHER_AT, 0);
	CHECK_EQ(quire_vma_protect(ro, quire_self(), RW), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_vma_protect(area, quire_self(), RW | QUIRE_VMA_EXECUTE),
		 -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_vma_protect(ro, quire_self(), QUIRE_VMA_READ | EXACT), -QUIRE_ERR_INVALID);
	CHECK_EQ(quire_vma_protect(ro, quire_self(), QUIRE_VMA_READ | 0x100u), -QUIRE_ERR_INVALID);
	unmap_close(ro);
	CHECK_EQ(quire_handle_close(h), 0);
	unmap_close(area);
}

/* A process that has ended has no space to map into: NOT_FOUND. */
static void test_ended_process(const char *self)
{
	const char *args[] = {NULL, "exit"};
	quire_handle_t kid = qtest_spawn_self(self, args, 2, NULL, 0), h;
	struct quire_exit_info info;
	uint64_t addr = 0;

	CHECK_EQ(quire_process_wait(kid, &info), 0);
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(quire_vma_create(PAGE, RW, &h), 0);
	CHECK_EQ(quire_vma_map(h, kid, &addr, RW), -QUIRE_ERR_NOT_FOUND);
	CHECK_EQ(quire_vma_unmap(h, kid), -QUIRE_ERR_NOT_FOUND);
	CHECK_EQ(quire_vma_protect(h, kid, QUIRE_VMA_READ), -QUIRE_ERR_NOT_FOUND);
	CHECK_EQ(addr, 0);
	CHECK_EQ(quire_handle_close(h), 0);
	CHECK_EQ(quire_handle_close(kid), 0);
}

/* Lowered, then raised again within the area's rights: the access comes back. */
static void test_protect_round_trip(void)
{
	quire_handle_t area = map_at(OTHER_AT, 2, RW);
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)OTHER_AT;

	p[0] = 0x1111;
	CHECK_EQ(quire_vma_protect(area, quire_self(), QUIRE_VMA_READ), 0);
	CHECK_EQ(p[0], 0x1111);
	CHECK_EQ(p[PAGE / 8], 0); /* the untouched page reads zero */
	CHECK_EQ(quire_vma_protect(area, quire_self(), 0), 0);
	CHECK_EQ(quire_vma_protect(area, quire_self(), RW), 0);
	p[0] = 0x2222;
	p[PAGE / 8] = 0x3333;
	CHECK_EQ(p[0], 0x2222);
	CHECK_EQ(p[PAGE / 8], 0x3333);
	unmap_close(area);
}

/* Child modes lower_write / lower_none: lowers its own mapping, then uses what it took away. */
static int child_lower(int none)
{
	quire_handle_t area = map_at(CHILD_AT, 1, RW);
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)CHILD_AT;

	p[0] = 0x10e4;
	if (none) {
		CHECK_EQ(quire_vma_protect(area, quire_self(), 0), 0);
		return (int)p[0] + 2; /* a read: it must fault */
	}
	CHECK_EQ(quire_vma_protect(area, quire_self(), QUIRE_VMA_READ), 0);
	CHECK_EQ(p[0], 0x10e4);
	p[1] = 1;
	return 3; /* the write went through */
}

#define CHECK_KILLED(info, why, addr, acc)                                                         \
	do {                                                                                       \
		CHECK_EQ((info).reason, (why));                                                    \
		CHECK_EQ((info).vector, 14);                                                       \
		CHECK_EQ((info).address, (addr));                                                  \
		CHECK_EQ((info).access, (acc));                                                    \
		CHECK_EQ((info).status, 0);                                                        \
	} while (0)

static void test_lowered_children(const char *self)
{
	const char *write_args[] = {NULL, "lower_write"}, *none_args[] = {NULL, "lower_none"};

	struct quire_exit_info info = qtest_wait(qtest_spawn_self(self, write_args, 2, NULL, 0));
	CHECK_KILLED(info, QUIRE_EXIT_FAULT_PROTECTION, CHILD_AT + 8, QUIRE_VMA_WRITE);
	info = qtest_wait(qtest_spawn_self(self, none_args, 2, NULL, 0));
	CHECK_KILLED(info, QUIRE_EXIT_FAULT_PROTECTION, CHILD_AT, QUIRE_VMA_READ);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exit") == 0)
		return 0;
	if (argc > 1 && strcmp(argv[1], "lower_write") == 0)
		return child_lower(0);
	if (argc > 1 && strcmp(argv[1], "lower_none") == 0)
		return child_lower(1);
	warm_stack();
	uint64_t frames = qtest_frames_free(), processes = qtest_processes();

	test_create();
	test_create_map();
	test_map_unmap();
	test_ended_process(argv[0]);
	test_protect_round_trip();
	test_lowered_children(argv[0]);
	for (int i = 0; i < 100 && qtest_processes() != processes; i++)
		quire_yield();
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(qtest_frames_free(), frames);
	printf(
	    "vma_errors: ok: INVALID, OUT_OF_RANGE, EXISTS, NOT_FOUND, ACCESS_DENIED each exact; "
	    "lowered access kills\n");
	return 0;
}
