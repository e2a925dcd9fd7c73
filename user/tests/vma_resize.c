/*
 * vma_resize: areas grow and shrink in place.
 *
 *   grow      the new pages are usable and read zero; the old ones keep their data
 *   shrink    the size is rounded up to pages and written back; the pages past the end are
 *             freed (the free count rises by their number) and come back zero on a later grow
 *   children  a child that touches the range it shrank away is killed with FAULT_UNMAPPED at
 *             the address touched (write: mode "shrink_write", read: "shrink_read"); and a child
 *             that maps an area the parent shrinks (mode "shared") is killed the same way: the
 *             resize reaches every space the area is mapped into
 *   errors    0 (INVALID), too big (OUT_OF_RANGE), growing into another mapping (EXISTS) or past
 *             the end of the space (NO_MEMORY), a handle without WRITE (ACCESS_DENIED), a process
 *             handle (WRONG_TYPE), a closed handle (BAD_HANDLE); none changes *SIZE
 *   unmapped  an area resized while mapped nowhere is mapped at its new size
 * Every area is mapped at an exact address, with free space after it, so growing has room.
 */
#include "qtest.h"

#define PAGE 4096ull
#define RW   (QUIRE_VMA_READ | QUIRE_VMA_WRITE)

#define GROW_AT    0x41000000ull         /* test_grow_shrink() */
#define CHILD_AT   0x43000000ull         /* the shrink_* children, in their own space */
#define CHILD_OFF  0x28ull               /* where in the page the children touch */
#define EXISTS_AT  0x45000000ull         /* test_errors(): an area with a neighbour 8 pages on */
#define SHARED_AT  0x47000000ull         /* test_shared(): the parent's and the child's mapping */
#define LATE_AT    0x49000000ull         /* test_unmapped() */
#define TOP_AT     0x00007ffffffff000ull /* the last page of the user half */
#define WAIT_SPINS 200000ul

static __attribute__((noinline)) void warm_stack(void)
{
	volatile char pad[64 * 1024];

	for (size_t i = 0; i < sizeof(pad); i += PAGE)
		pad[i] = 0;
}

static uint64_t pattern(uint64_t page, uint64_t w)
{
	return 0x7265730000000000ull ^ (page << 20) ^ w;
}

static volatile uint64_t *word(uint64_t base, uint64_t page, uint64_t w)
{
	return (volatile uint64_t *)(base + page * PAGE) + w;
}

static void fill_pages(uint64_t base, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++)
		for (uint64_t w = 0; w < PAGE / 8; w += 37)
			*word(base, i, w) = pattern(i, w);
}

static void check_pages(uint64_t base, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++)
		for (uint64_t w = 0; w < PAGE / 8; w += 37)
			CHECK_EQ(*word(base, i, w), pattern(i, w));
}

static void check_zero_pages(uint64_t base, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++)
		for (uint64_t w = 0; w < PAGE / 8; w++)
			if (*word(base, i, w) != 0)
				CHECK_EQ(*word(base, i, w), 0);
}

static quire_handle_t map_at(uint64_t at, uint64_t pages)
{
	uint64_t addr = at;
	quire_handle_t h = QUIRE_HANDLE_INVALID;

	CHECK_EQ(quire_vma_create_map(pages * PAGE, &addr, RW | QUIRE_VMA_EXACT, &h), 0);
	CHECK_EQ(addr, at);
	return h;
}

static void unmap_close(quire_handle_t h)
{
	CHECK_EQ(quire_vma_unmap(h, quire_self()), 0);
	CHECK_EQ(quire_handle_close(h), 0);
}

static long resize(quire_handle_t h, uint64_t *size, uint64_t bytes)
{
	*size = bytes;
	return quire_vma_resize(h, size);
}

static void test_grow_shrink(void)
{
	quire_handle_t h = map_at(GROW_AT, 4);
	uint64_t size;

	fill_pages(GROW_AT, 0, 4);
	CHECK_EQ(resize(h, &size, 16 * PAGE), 0);
	CHECK_EQ(size, 16 * PAGE);
	check_zero_pages(GROW_AT, 4, 16);
	fill_pages(GROW_AT, 4, 16);
	check_pages(GROW_AT, 0, 16);

	/* 5 pages and a byte: 6 pages, written back; the 10 pages past them are freed. */
	uint64_t before = qtest_frames_free();
	CHECK_EQ(resize(h, &size, 5 * PAGE + 1), 0);
	CHECK_EQ(size, 6 * PAGE);
	uint64_t after = qtest_frames_free();
	CHECK(after >= before + 10);
	CHECK(after <= before + 12); /* 10 pages, and at most a table or node with them */
	check_pages(GROW_AT, 0, 6);

	/* Grown again, the pages shrunk away are new: zero, not the old data. */
	CHECK_EQ(resize(h, &size, 8 * PAGE - 100), 0);
	CHECK_EQ(size, 8 * PAGE);
	check_zero_pages(GROW_AT, 6, 8);
	check_pages(GROW_AT, 0, 6);
	unmap_close(h);
}

/* Child modes shrink_write / shrink_read: shrinks its own area, then touches the old range. */
static int child_shrink(int write)
{
	quire_handle_t h = map_at(CHILD_AT, 4);
	uint64_t size;

	fill_pages(CHILD_AT, 0, 4);
	CHECK_EQ(resize(h, &size, 2 * PAGE), 0);
	CHECK_EQ(size, 2 * PAGE);
	check_pages(CHILD_AT, 0, 2);
	volatile uint64_t *gone =
	    (volatile uint64_t *)(CHILD_AT + (write ? 2 : 3) * PAGE + CHILD_OFF);
	if (write)
		*gone = 1;
	else
		(void)*gone;
	return 3; /* still alive: the old range did not fault */
}

/* Spawns the child mode MODE (with HANDLE passed, if not invalid). */
static quire_handle_t spawn(const char *self, const char *mode, quire_handle_t handle)
{
	const char *args[] = {NULL, mode};

	return qtest_spawn_self(self, args, 2, &handle, handle != QUIRE_HANDLE_INVALID ? 1 : 0);
}

#define CHECK_KILLED(info, why, addr, acc)                                                         \
	do {                                                                                       \
		CHECK_EQ((info).reason, (why));                                                    \
		CHECK_EQ((info).vector, 14);                                                       \
		CHECK_EQ((info).address, (addr));                                                  \
		CHECK_EQ((info).access, (acc));                                                    \
		CHECK_EQ((info).status, 0);                                                        \
	} while (0)

static void test_children(const char *self)
{
	struct quire_exit_info info = qtest_wait(spawn(self, "shrink_write", QUIRE_HANDLE_INVALID));
	CHECK_KILLED(info, QUIRE_EXIT_FAULT_UNMAPPED, CHILD_AT + 2 * PAGE + CHILD_OFF,
		     QUIRE_VMA_WRITE);
	info = qtest_wait(spawn(self, "shrink_read", QUIRE_HANDLE_INVALID));
	CHECK_KILLED(info, QUIRE_EXIT_FAULT_UNMAPPED, CHILD_AT + 3 * PAGE + CHILD_OFF,
		     QUIRE_VMA_READ);
}

/* Polls (yielding, bounded) until *TURN is WANT. */
static int wait_turn(volatile uint64_t *turn, uint64_t want)
{
	for (unsigned long i = 0; i < WAIT_SPINS; i++) {
		if (__atomic_load_n(turn, __ATOMIC_ACQUIRE) == want)
			return 1;
		quire_yield();
	}
	return 0;
}

/* Child mode shared: maps the passed area, touches page 3, and touches it again once shrunk. */
static int child_shared(void)
{
	quire_handle_t h = quire_startup_handle(QUIRE_STARTUP_PASSED, 0);
	uint64_t addr = SHARED_AT;

	CHECK_EQ(quire_vma_map(h, quire_self(), &addr, RW | QUIRE_VMA_EXACT), 0);
	volatile uint64_t *turn = word(SHARED_AT, 0, 0);
	*word(SHARED_AT, 3, 0) = 0x5ba4ed;
	__atomic_store_n(turn, 1, __ATOMIC_RELEASE);
	CHECK(wait_turn(turn, 2));
	*word(SHARED_AT, 3, CHILD_OFF / 8) = 2;
	return 3;
}

static void test_shared(const char *self)
{
	quire_handle_t h = map_at(SHARED_AT, 4), pass;
	uint64_t size;

	CHECK_EQ(quire_handle_clone(h,
				    QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_MAP |
					QUIRE_RIGHT_TRANSFER,
				    &pass),
		 0);
	quire_handle_t kid = spawn(self, "shared", pass);
	volatile uint64_t *turn = word(SHARED_AT, 0, 0);
	CHECK(wait_turn(turn, 1));
	CHECK_EQ(*word(SHARED_AT, 3, 0), 0x5ba4ed);
	CHECK_EQ(resize(h, &size, 2 * PAGE), 0);
	__atomic_store_n(turn, 2, __ATOMIC_RELEASE);
	struct quire_exit_info info = qtest_wait(kid);
	CHECK_KILLED(info, QUIRE_EXIT_FAULT_UNMAPPED, SHARED_AT + 3 * PAGE + CHILD_OFF,
		     QUIRE_VMA_WRITE);
	CHECK_EQ(*turn, 2);
	unmap_close(h);
}

/* vma_resize(H, SIZE) fails with ERR and leaves *SIZE as it was. */
#define CHECK_RESIZE_FAILS(h, bytes, err)                                                          \
	do {                                                                                       \
		uint64_t size_ = (bytes);                                                          \
		CHECK_EQ(quire_vma_resize((h), &size_), -(err));                                   \
		CHECK_EQ(size_, (bytes));                                                          \
	} while (0)

static void test_errors(void)
{
	quire_handle_t h = map_at(EXISTS_AT, 4), next = map_at(EXISTS_AT + 8 * PAGE, 1), weak;
	uint64_t size;

	CHECK_RESIZE_FAILS(h, 0, QUIRE_ERR_INVALID);
	CHECK_RESIZE_FAILS(h, UINT64_MAX, QUIRE_ERR_OUT_OF_RANGE);
	CHECK_RESIZE_FAILS(h, UINT64_MAX - PAGE + 2, QUIRE_ERR_OUT_OF_RANGE); /* rounds past 2^64 */
	CHECK_RESIZE_FAILS(h, 1ull << 47, QUIRE_ERR_OUT_OF_RANGE); /* the whole user half */
	CHECK_RESIZE_FAILS(h, 1ull << 62, QUIRE_ERR_OUT_OF_RANGE);
	CHECK_RESIZE_FAILS(h, 16 * PAGE, QUIRE_ERR_EXISTS);
	CHECK_RESIZE_FAILS(h, 9 * PAGE, QUIRE_ERR_EXISTS);
	CHECK_EQ(resize(h, &size, 8 * PAGE), 0); /* exactly up to the neighbour */
	fill_pages(EXISTS_AT, 0, 8);
	CHECK_RESIZE_FAILS(h, 8 * PAGE + 1, QUIRE_ERR_EXISTS);
	check_pages(EXISTS_AT, 0, 8);

	CHECK_EQ(quire_handle_clone(h, QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP | QUIRE_RIGHT_DUPLICATE,
				    &weak),
		 0);
	CHECK_RESIZE_FAILS(weak, 4 * PAGE, QUIRE_ERR_ACCESS_DENIED);
	CHECK_RESIZE_FAILS(quire_self(), 4 * PAGE, QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_handle_close(weak), 0);
	CHECK_RESIZE_FAILS(weak, 4 * PAGE, QUIRE_ERR_BAD_HANDLE);
	CHECK_RESIZE_FAILS(QUIRE_HANDLE_INVALID, 4 * PAGE, QUIRE_ERR_BAD_HANDLE);
	check_pages(EXISTS_AT, 0, 8);
	unmap_close(next);
	unmap_close(h);

	/* The last page of the user half cannot grow: no address space is left after it. */
	quire_handle_t top = map_at(TOP_AT, 1);
	*word(TOP_AT, 0, PAGE / 8 - 1) = 0x70b;
	CHECK_RESIZE_FAILS(top, 2 * PAGE, QUIRE_ERR_NO_MEMORY);
	CHECK_EQ(*word(TOP_AT, 0, PAGE / 8 - 1), 0x70b);
	unmap_close(top);
}

/* An area resized while mapped nowhere: its next mapping has the new size. */
static void test_unmapped(void)
{
	quire_handle_t h;
	uint64_t size, addr = LATE_AT;

	CHECK_EQ(quire_vma_create(PAGE, RW, &h), 0);
	CHECK_EQ(resize(h, &size, 3 * PAGE - 5), 0);
	CHECK_EQ(size, 3 * PAGE);
	CHECK_EQ(quire_vma_map(h, quire_self(), &addr, RW | QUIRE_VMA_EXACT), 0);
	CHECK_EQ(addr, LATE_AT);
	check_zero_pages(LATE_AT, 0, 3);
	fill_pages(LATE_AT, 0, 3);
	check_pages(LATE_AT, 0, 3);
	unmap_close(h);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "shrink_write") == 0)
		return child_shrink(1);
	if (argc > 1 && strcmp(argv[1], "shrink_read") == 0)
		return child_shrink(0);
	if (argc > 1 && strcmp(argv[1], "shared") == 0)
		return child_shared();
	warm_stack();
	uint64_t frames = qtest_frames_free(), processes = qtest_processes();

	test_grow_shrink();
	CHECK_EQ(qtest_frames_free(), frames);
	test_children(argv[0]);
	test_shared(argv[0]);
	test_errors();
	test_unmapped();
	for (int i = 0; i < 100 && qtest_processes() != processes; i++)
		quire_yield();
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(qtest_frames_free(), frames);
	printf("vma_resize: ok: grow, shrink, faults past the end in 3 children, 12 errors\n");
	return 0;
}
