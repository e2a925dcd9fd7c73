/*
 * exhaustion: running out of memory is an error (or, in a page fault, the reason a process is
 * killed), never a crash, and everything comes back afterwards.
 *
 *   (a) frames    a child (mode "eat") maps an area larger than all of memory and writes every
 *                 page: it is killed with FAULT_NO_MEMORY at a page of that area, and once it is
 *                 gone the free frame count is back at the baseline. Touching every frame costs
 *                 time under emulation, so with more than MAX_FRAMES frames this part is skipped
 *                 (the suite's 128 MiB boot runs it).
 *   (b) handles   a child (mode "handles") creates one-page areas (no mapping) until vma_create
 *                 says NO_MEMORY; every earlier call succeeded. The handle table's limit
 *                 (HANDLE_LIMIT handles) ends this in bounded time at any memory size. It closes
 *                 them all and does it again: the second round gets as far (when the table's limit
 *                 stopped the first) and closing leaves the free count exactly where the first
 *                 round's closing left it (the table keeps the room it grew). While the table
 *                 is full, handle_clone, vma_create_map and process_spawn say NO_MEMORY too and
 *                 leave no area or process behind. After the child, the parent's free count is
 *                 back at its baseline.
 */
#include "qtest.h"

#define PAGE         4096ull
#define RW           (QUIRE_VMA_READ | QUIRE_VMA_WRITE)
#define MAX_FRAMES   300000ull      /* (a) touches every frame: skipped above this */
#define EAT_AT       0x100000000ull /* (a): the child's area, at 4 GiB */
#define EAT_EXTRA    1024ull        /* (a): pages past the frame total */
#define HANDLE_LIMIT 32768ull       /* handles a process may hold (kernel/objects/handle.h) */
#define HELD         2ull           /* (b): the child's own handles: itself and its array */

static __attribute__((noinline)) void warm_stack(void)
{
	volatile char pad[64 * 1024];

	for (size_t i = 0; i < sizeof(pad); i += PAGE)
		pad[i] = 0;
}

static struct quire_system_info info_now(void)
{
	struct quire_system_info si;

	CHECK_EQ(quire_system_info(&si, sizeof(si)), 0);
	return si;
}

/* Child mode eat: writes every page of an area of PAGES pages; it should not live through it. */
static int child_eat(uint64_t pages)
{
	uint64_t addr = EAT_AT;
	quire_handle_t h;

	CHECK_EQ(quire_vma_create_map(pages * PAGE, &addr, RW | QUIRE_VMA_EXACT, &h), 0);
	CHECK_EQ(addr, EAT_AT);
	for (uint64_t i = 0; i < pages; i++)
		*(volatile uint8_t *)(uintptr_t)(EAT_AT + i * PAGE) = 1;
	return 3; /* every page was given a frame: memory was not exhausted */
}

/* Creates one-page areas into HS until NO_MEMORY; how many were made. */
static uint64_t create_until_full(quire_handle_t *hs)
{
	uint64_t n = 0;

	for (;;) {
		CHECK(n < HANDLE_LIMIT);
		long r = quire_vma_create(PAGE, RW, &hs[n]);
		if (r == -QUIRE_ERR_NO_MEMORY)
			return n;
		CHECK_EQ(r, 0);
		n++;
	}
}

static void close_all(const quire_handle_t *hs, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		CHECK_EQ(quire_handle_close(hs[i]), 0);
}

/*
 * With the handle table full, every call that makes a handle says NO_MEMORY and leaves nothing
 * behind: not the area vma_create_map() made and mapped, not the process process_spawn() started.
 */
static void check_table_full(const char *self, quire_handle_t storage)
{
	const char *args[] = {self, "noop"};
	uint64_t processes = qtest_processes(), addr = 0;
	quire_handle_t out = QUIRE_HANDLE_INVALID;

	CHECK_EQ(quire_handle_clone(storage, QUIRE_RIGHT_READ, &out), -QUIRE_ERR_NO_MEMORY);
	CHECK_EQ(quire_vma_create_map(PAGE, &addr, RW, &out), -QUIRE_ERR_NO_MEMORY);
	CHECK_EQ(addr, 0);
	CHECK_EQ(quire_process_spawn(self, args, 2, NULL, 0, &out), -QUIRE_ERR_NO_MEMORY);
	CHECK_EQ(out, QUIRE_HANDLE_INVALID);
	for (int i = 0; i < 100 && qtest_processes() != processes; i++)
		quire_yield();
	CHECK_EQ(qtest_processes(), processes);
}

/* Child mode handles: part (b). */
static int child_handles(const char *self)
{
	uint64_t addr = 0;
	quire_handle_t storage;

	CHECK_EQ(quire_vma_create_map(HANDLE_LIMIT * sizeof(quire_handle_t), &addr, RW, &storage),
		 0);
	quire_handle_t *hs = (quire_handle_t *)(uintptr_t)addr;
	/* Its frames now, before the counts are taken. */
	memset(hs, 0, HANDLE_LIMIT * sizeof(quire_handle_t));

	uint64_t first = create_until_full(hs);
	CHECK(first > 0);
	int table_full = first + HELD == HANDLE_LIMIT;
	if (table_full)
		check_table_full(self, storage);
	close_all(hs, first);
	uint64_t after_first = qtest_frames_free();

	uint64_t second = create_until_full(hs);
	if (table_full)
		CHECK_EQ(second, first);
	close_all(hs, second);
	CHECK_EQ(qtest_frames_free(), after_first);
	printf("exhaustion: %llu areas, then NO_MEMORY (%s)\n", (unsigned long long)first,
	       table_full ? "the handle table is full" : "out of kernel memory");
	return 0;
}

/* Spawns this program in MODE with ARG; how it ended. */
static struct quire_exit_info run(const char *self, const char *mode, uint64_t arg)
{
	char text[24];
	const char *args[] = {NULL, mode, text};

	snprintf(text, sizeof(text), "%llu", (unsigned long long)arg);
	return qtest_wait(qtest_spawn_self(self, args, 3, NULL, 0));
}

/* The counts back at FRAMES and PROCESSES (yielding a while for the kernel to finish). */
static void settle(uint64_t frames, uint64_t processes)
{
	for (int i = 0; i < 100; i++) {
		if (qtest_frames_free() == frames && qtest_processes() == processes)
			break;
		quire_yield();
	}
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(qtest_frames_free(), frames);
}

/* Part (a); what it did, for the summary, into MSG. */
static void part_frames(const char *self, char *msg, size_t size)
{
	struct quire_system_info si = info_now();

	if (si.frames_total > MAX_FRAMES) {
		snprintf(msg, size,
			 "(a) skipped: %llu frames is too many to exhaust under emulation",
			 (unsigned long long)si.frames_total);
		return;
	}
	uint64_t pages = si.frames_total + EAT_EXTRA;
	struct quire_exit_info info = run(self, "eat", pages);
	CHECK_EQ(info.reason, QUIRE_EXIT_FAULT_NO_MEMORY);
	CHECK_EQ(info.vector, 14);
	CHECK_EQ(info.access, QUIRE_VMA_WRITE);
	CHECK_EQ(info.status, 0);
	CHECK(info.address >= EAT_AT && info.address < EAT_AT + pages * PAGE);
	CHECK_EQ(info.address % PAGE, 0);
	snprintf(msg, size, "(a) a child was killed for want of memory at page %llu of %llu",
		 (unsigned long long)((info.address - EAT_AT) / PAGE), (unsigned long long)pages);
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "eat") == 0)
		return child_eat(strtoull(argv[2], NULL, 10));
	if (argc > 1 && strcmp(argv[1], "handles") == 0)
		return child_handles(argv[0]);
	if (argc > 1 && strcmp(argv[1], "noop") == 0)
		return 0;
	warm_stack();
	uint64_t frames = qtest_frames_free(), processes = qtest_processes();

	char msg[160];
	part_frames(argv[0], msg, sizeof(msg));
	settle(frames, processes);
	struct quire_exit_info info = run(argv[0], "handles", 0);
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, 0);
	settle(frames, processes);
	printf("exhaustion: ok: %s; (b) as the child's line says\n", msg);
	return 0;
}
